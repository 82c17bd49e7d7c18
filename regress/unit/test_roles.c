/*
 * test_roles.c — principals to roles.
 */
#include "lib/roles.h"
#include "tap.h"

int main(void)
{
	struct acl_rules *r;
	struct acl_peer p;
	struct ferr err;

	ok(acl_rules_new("uid:0", "gid:4242, uid:1000", "user:nobody, cert:CN=audit,O=Example;", &r,
			 &err) == 0,
	   "rules parse");
	acl_peer_from_cred(&p, 0, 0);
	is(acl_role_name(acl_role_of(r, &p)), "admin", "uid 0 is admin");
	acl_peer_from_cred(&p, 1000, 100);
	is(acl_role_name(acl_role_of(r, &p)), "operator", "uid 1000 is operator");
	acl_peer_from_cred(&p, 3333, 4242);
	is(acl_role_name(acl_role_of(r, &p)), "operator", "primary gid 4242 is operator");
	acl_peer_from_cred(&p, 65534, 65534);
	is(acl_role_name(acl_role_of(r, &p)), "auditor", "user:nobody is auditor");
	acl_peer_from_cred(&p, 12345, 12345);
	is(acl_role_name(acl_role_of(r, &p)), "none", "anyone else: no role");
	memset(&p, 0, sizeof(p));
	snprintf(p.cert_subject, sizeof(p.cert_subject), "CN=audit,O=Example");
	is(acl_role_name(acl_role_of(r, &p)), "auditor", "a certificate subject with commas");
	snprintf(p.cert_subject, sizeof(p.cert_subject), "CN=audit");
	is(acl_role_name(acl_role_of(r, &p)), "none", "subjects match whole");
	acl_rules_free(r);

	ok(acl_rules_new("user:no-such-user-here", "", "", &r, &err) == -1, "unknown user");
	is(err.msg, "admin principal \"user:no-such-user-here\": no such user",
	   "named with its role");
	ok(acl_rules_new("", "uid:abc", "", &r, &err) == -1, "bad uid");
	like(err.msg, "operator principal \"uid:abc\": not a number", "named");
	ok(acl_rules_new("", "", "host:x", &r, &err) == -1, "unknown kind");
	like(err.msg, "unknown kind", "named");
	ok(acl_rules_new("", "", "", &r, &err) == 0, "empty lists are fine");
	acl_peer_from_cred(&p, 0, 0);
	is(acl_role_name(acl_role_of(r, &p)), "none", "and give nobody a role");
	acl_rules_free(r);
	return done_testing();
}
