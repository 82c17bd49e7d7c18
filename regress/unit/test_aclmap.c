/*
 * test_aclmap.c — the ACL sync rules (acl/aclmap.c): which source bindings
 * reach the target, and as what.
 */
#include <stdio.h>
#include <string.h>

#include "acl/aclmap.h"
#include "tap.h"

/* A flow A->B mirroring every topic but "secret" and syncing groups
 * "app-*" (not "app-skip"); remote names as Default- or Identity-
 * ReplicationPolicy would give them. */
struct fake {
	int identity;
};

static int mirrored(void *arg, const char *topic)
{
	(void)arg;
	return strcmp(topic, "secret") != 0;
}

static int remote(void *arg, const char *topic, char *out, size_t sz)
{
	const struct fake *f = arg;
	int n = f->identity ? snprintf(out, sz, "%s", topic) : snprintf(out, sz, "A.%s", topic);

	return n < 0 || (size_t)n >= sz ? -1 : 0;
}

static int synced(void *arg, const char *group)
{
	(void)arg;
	return strncmp(group, "app-", 4) == 0 && strcmp(group, "app-skip") != 0;
}

static const char *const topics[] = { "orders", "order-lines", "payments", "secret" };
static const char *const groups[] = { "app-1", "app-2", "app-skip", "other" };

static struct aclmap_binding B(rd_kafka_ResourceType_t rt, const char *name,
			       rd_kafka_ResourcePatternType_t pt, rd_kafka_AclOperation_t op,
			       rd_kafka_AclPermissionType_t perm) {
	struct aclmap_binding b;

	aclmap_binding_set(&b, rt, pt, name, "User:alice", "*", op, perm);
	return b;
}

/* Maps SRC and returns what came out, described, joined by "; ". */
static const char *
map1(const struct aclmap_flow *fl, struct aclmap_binding src, int *n, const char **why)
{
	static char buf[4096];
	struct aclmap_list out = { 0 };
	size_t len = 0;

	buf[0] = 0;
	*n = aclmap_map(fl, &src, &out, why);
	for (size_t i = 0; i < out.n; i++) {
		char d[1400];

		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? "; " : "",
					aclmap_describe(&out.v[i], d, sizeof(d)));
	}
	aclmap_list_free(&out);
	return buf;
}

int main(void)
{
	struct fake dflt = { 0 }, ident = { 1 };
	struct aclmap_flow fl = { mirrored, remote, synced, &dflt, 1, topics, 4, groups, 4 };
	const char *why;
	int n;
	const rd_kafka_ResourceType_t T = RD_KAFKA_RESOURCE_TOPIC, G = RD_KAFKA_RESOURCE_GROUP;
	const rd_kafka_ResourcePatternType_t LIT = RD_KAFKA_RESOURCE_PATTERN_LITERAL,
					     PRE = RD_KAFKA_RESOURCE_PATTERN_PREFIXED;
	const rd_kafka_AclPermissionType_t ALLOW = RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW,
					   DENY = RD_KAFKA_ACL_PERMISSION_TYPE_DENY;

	/* literal topic bindings */
	is(map1(&fl, B(T, "orders", LIT, RD_KAFKA_ACL_OPERATION_READ, ALLOW), &n, &why),
	   "TOPIC A.orders LITERAL User:alice@* READ ALLOW", "ALLOW READ goes to the remote name");
	is_int(n, 1, "one binding");
	is(why, "copied", "why: copied");
	is(map1(&fl, B(T, "orders", LIT, RD_KAFKA_ACL_OPERATION_DESCRIBE, ALLOW), &n, &why),
	   "TOPIC A.orders LITERAL User:alice@* DESCRIBE ALLOW", "ALLOW DESCRIBE copied");
	is(map1(&fl, B(T, "orders", LIT, RD_KAFKA_ACL_OPERATION_WRITE, ALLOW), &n, &why), "",
	   "ALLOW WRITE is not copied");
	is_int(n, 0, "nothing");
	like(why, "only ferry writes remote topics", "and says why");
	is(map1(&fl, B(T, "orders", LIT, RD_KAFKA_ACL_OPERATION_DELETE, ALLOW), &n, &why), "",
	   "ALLOW DELETE of a remote topic is not copied either");
	is(map1(&fl, B(T, "orders", LIT, RD_KAFKA_ACL_OPERATION_ALTER_CONFIGS, ALLOW), &n, &why),
	   "", "nor ALLOW ALTER_CONFIGS");
	is(map1(&fl, B(T, "orders", LIT, RD_KAFKA_ACL_OPERATION_ALL, ALLOW), &n, &why),
	   "TOPIC A.orders LITERAL User:alice@* READ ALLOW", "ALLOW ALL becomes ALLOW READ");
	is(map1(&fl, B(T, "orders", LIT, RD_KAFKA_ACL_OPERATION_WRITE, DENY), &n, &why),
	   "TOPIC A.orders LITERAL User:alice@* WRITE DENY", "DENY WRITE is copied as it is");
	is(map1(&fl, B(T, "orders", LIT, RD_KAFKA_ACL_OPERATION_ALL, DENY), &n, &why),
	   "TOPIC A.orders LITERAL User:alice@* ALL DENY", "DENY ALL stays ALL");
	is(map1(&fl, B(T, "secret", LIT, RD_KAFKA_ACL_OPERATION_READ, ALLOW), &n, &why), "",
	   "a topic the flow does not mirror: nothing");
	is(why, "topic not mirrored by this flow", "why");
	is(map1(&fl, B(T, "*", LIT, RD_KAFKA_ACL_OPERATION_READ, ALLOW), &n, &why), "",
	   "the wildcard topic: nothing");
	like(why, "wildcard", "why");

	/* principal and host are kept */
	{
		struct aclmap_binding b = B(T, "orders", LIT, RD_KAFKA_ACL_OPERATION_READ, DENY);

		snprintf(b.principal, sizeof(b.principal), "User:bob");
		snprintf(b.host, sizeof(b.host), "10.0.0.7");
		is(map1(&fl, b, &n, &why), "TOPIC A.orders LITERAL User:bob@10.0.0.7 READ DENY",
		   "principal and host kept");
	}

	/* prefixed topic bindings, DefaultReplicationPolicy: prefix to prefix */
	is(map1(&fl, B(T, "order", PRE, RD_KAFKA_ACL_OPERATION_READ, ALLOW), &n, &why),
	   "TOPIC A.order PREFIXED User:alice@* READ ALLOW",
	   "a prefix covering mirrored topics becomes the remote prefix");
	is(map1(&fl, B(T, "zzz", PRE, RD_KAFKA_ACL_OPERATION_READ, ALLOW), &n, &why), "",
	   "a prefix covering no topic: nothing");
	is(why, "prefix covers no mirrored topic", "why");
	is(map1(&fl, B(T, "sec", PRE, RD_KAFKA_ACL_OPERATION_READ, ALLOW), &n, &why), "",
	   "a prefix covering only unmirrored topics: nothing");
	is(map1(&fl, B(T, "order", PRE, RD_KAFKA_ACL_OPERATION_WRITE, ALLOW), &n, &why), "",
	   "prefixed ALLOW WRITE: nothing");

	/* IdentityReplicationPolicy: a prefix would reach the target's own
	 * topics, so the mirrored topics it covers get literal bindings */
	fl.arg = &ident;
	fl.prefix_preserving = 0;
	is(map1(&fl, B(T, "order", PRE, RD_KAFKA_ACL_OPERATION_READ, ALLOW), &n, &why),
	   "TOPIC orders LITERAL User:alice@* READ ALLOW; "
	   "TOPIC order-lines LITERAL User:alice@* READ ALLOW",
	   "identity: one literal per mirrored topic under the prefix");
	is_int(n, 2, "two");
	like(why, "literal bindings", "why");
	is(map1(&fl, B(T, "orders", LIT, RD_KAFKA_ACL_OPERATION_READ, ALLOW), &n, &why),
	   "TOPIC orders LITERAL User:alice@* READ ALLOW", "identity: literal keeps its name");
	is(map1(&fl, B(T, "", PRE, RD_KAFKA_ACL_OPERATION_READ, DENY), &n, &why), "",
	   "an empty prefix (everything) is a wildcard: nothing");
	fl.arg = &dflt;
	fl.prefix_preserving = 1;

	/* groups */
	is(map1(&fl, B(G, "app-1", LIT, RD_KAFKA_ACL_OPERATION_READ, ALLOW), &n, &why),
	   "GROUP app-1 LITERAL User:alice@* READ ALLOW",
	   "a synced group's binding keeps its name");
	is(map1(&fl, B(G, "app-skip", LIT, RD_KAFKA_ACL_OPERATION_READ, ALLOW), &n, &why), "",
	   "an excluded group: nothing");
	is(why, "group not synced by this flow", "why");
	is(map1(&fl, B(G, "app-1", LIT, RD_KAFKA_ACL_OPERATION_ALL, ALLOW), &n, &why),
	   "GROUP app-1 LITERAL User:alice@* READ ALLOW", "group ALLOW ALL becomes READ");
	is(map1(&fl, B(G, "app-1", LIT, RD_KAFKA_ACL_OPERATION_DELETE, ALLOW), &n, &why),
	   "GROUP app-1 LITERAL User:alice@* DELETE ALLOW", "group ALLOW DELETE copied");
	is(map1(&fl, B(G, "app", PRE, RD_KAFKA_ACL_OPERATION_READ, DENY), &n, &why),
	   "GROUP app-1 LITERAL User:alice@* READ DENY; GROUP app-2 LITERAL User:alice@* READ DENY",
	   "a group prefix: literals of the synced groups it covers");
	is(map1(&fl, B(G, "*", LIT, RD_KAFKA_ACL_OPERATION_READ, ALLOW), &n, &why), "",
	   "the wildcard group: nothing");

	/* what is never copied */
	is(map1(&fl,
		B(RD_KAFKA_RESOURCE_BROKER, "kafka-cluster", LIT, RD_KAFKA_ACL_OPERATION_ALL,
		  ALLOW),
		&n, &why),
	   "", "a CLUSTER binding: nothing");
	is(why, "not a TOPIC or GROUP binding", "why");
	is(map1(&fl,
		B(T, "orders", RD_KAFKA_RESOURCE_PATTERN_MATCH, RD_KAFKA_ACL_OPERATION_READ, ALLOW),
		&n, &why),
	   "", "a MATCH pattern (a filter, not a binding): nothing");

	/* lists: sorted, without duplicates, searchable */
	{
		struct aclmap_list l = { 0 };
		struct aclmap_binding a = B(T, "b", LIT, RD_KAFKA_ACL_OPERATION_READ, ALLOW);
		struct aclmap_binding c = B(T, "a", LIT, RD_KAFKA_ACL_OPERATION_READ, ALLOW);
		struct aclmap_binding d = B(T, "a", LIT, RD_KAFKA_ACL_OPERATION_READ, DENY);

		aclmap_list_add(&l, &a);
		aclmap_list_add(&l, &c);
		aclmap_list_add(&l, &a);
		aclmap_list_sort(&l);
		is_int(l.n, 2, "duplicates dropped");
		ok(aclmap_list_find(&l, &a) && aclmap_list_find(&l, &c), "both found");
		ok(!aclmap_list_find(&l, &d), "a binding differing in permission only is not");
		aclmap_list_free(&l);
	}

	/* names round-trip as the state store keeps them */
	{
		rd_kafka_AclOperation_t op;
		rd_kafka_ResourcePatternType_t pt;
		rd_kafka_ResourceType_t rt;
		rd_kafka_AclPermissionType_t pm;

		ok(aclmap_op_parse("DESCRIBE_CONFIGS", &op) == 0 &&
			   op == RD_KAFKA_ACL_OPERATION_DESCRIBE_CONFIGS,
		   "operation name parsed");
		ok(aclmap_pattern_parse("PREFIXED", &pt) == 0 &&
			   pt == RD_KAFKA_RESOURCE_PATTERN_PREFIXED,
		   "pattern parsed");
		ok(aclmap_restype_parse("GROUP", &rt) == 0 && rt == RD_KAFKA_RESOURCE_GROUP,
		   "resource type parsed");
		ok(aclmap_perm_parse("DENY", &pm) == 0 && pm == RD_KAFKA_ACL_PERMISSION_TYPE_DENY,
		   "permission parsed");
		ok(aclmap_op_parse("read", &op) == -1, "names are Kafka's, upper case");
		ok(aclmap_op_name((rd_kafka_AclOperation_t)99) == NULL, "unknown code: NULL");
	}
	/* a principal too long to keep is refused, never cut into another one */
	{
		struct aclmap_binding b;
		char longp[700];

		memset(longp, 'x', sizeof(longp) - 1);
		longp[sizeof(longp) - 1] = '\0';
		memcpy(longp, "User:CN=", 8);
		ok(aclmap_binding_set(&b, T, LIT, "orders", longp, "*", RD_KAFKA_ACL_OPERATION_READ,
				      ALLOW) == -1,
		   "a 699-byte principal does not fit: -1");
		ok(aclmap_binding_set(&b, T, LIT, "orders", "User:CN=alice", "*",
				      RD_KAFKA_ACL_OPERATION_READ, ALLOW) == 0 &&
			   strcmp(b.principal, "User:CN=alice") == 0,
		   "one that fits: 0, kept whole");
	}
	/* an empty DescribeAcls answer may be a refused one (librdkafka 2.0.2
	 * drops the error): never the reason to remove or forget what ferry
	 * created */
	{
		const char *reason = NULL;

		ok(aclmap_answers_trust(0, 0, 0, &reason) == ACLMAP_ACT,
		   "nothing recorded: empty answers are acted upon");
		ok(aclmap_answers_trust(0, 5, 0, &reason) == ACLMAP_ACT,
		   "an empty source, nothing recorded: acted upon");
		ok(aclmap_answers_trust(0, 5, 3, &reason) == ACLMAP_CHANGE_NOTHING &&
			   strstr(reason, "source"),
		   "an empty source with bindings recorded: nothing changes");
		ok(aclmap_answers_trust(4, 0, 3, &reason) == ACLMAP_KEEP_RECORDS &&
			   strstr(reason, "target"),
		   "an empty target with bindings recorded: creations, but no record forgotten");
		ok(aclmap_answers_trust(4, 5, 3, &reason) == ACLMAP_ACT,
		   "both answered: acted upon");
	}
	return done_testing();
}
