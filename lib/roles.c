/*
 * roles.c — principal lists -> control-plane roles.
 */
#include "lib/roles.h"

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum pkind { P_UID, P_GID, P_CERT };

struct principal {
	enum pkind kind;
	unsigned long id;
	char *subject;
	enum acl_role role;
};

struct acl_rules {
	struct principal *v;
	size_t n;
};

const char *acl_role_name(enum acl_role r)
{
	switch (r) {
	case ACL_NONE:
		return "none";
	case ACL_AUDITOR:
		return "auditor";
	case ACL_OPERATOR:
		return "operator";
	case ACL_ADMIN:
		return "admin";
	}
	return "?";
}

int acl_role_parse(const char *s, enum acl_role *out)
{
	for (int r = ACL_AUDITOR; r <= ACL_ADMIN; r++) {
		if (strcmp(s, acl_role_name((enum acl_role)r)) == 0) {
			*out = (enum acl_role)r;
			return 0;
		}
	}
	return -1;
}

void acl_peer_from_cred(struct acl_peer *p, uid_t uid, gid_t gid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	int n = (int)(sizeof(p->groups) / sizeof(p->groups[0]));

	memset(p, 0, sizeof(*p));
	p->has_cred = 1;
	p->uid = uid;
	p->gid = gid;
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res &&
	    getgrouplist(pw.pw_name, gid, p->groups, &n) >= 0)
		p->ngroups = (size_t)n;
	else {
		p->groups[0] = gid;
		p->ngroups = 1;
	}
}

void acl_peer_name(const struct acl_peer *p, char *out, size_t outsz)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (!p->has_cred) {
		snprintf(out, outsz, "cert:%s", p->cert_subject);
		return;
	}
	if (getpwuid_r(p->uid, &pw, buf, sizeof(buf), &res) == 0 && res)
		snprintf(out, outsz, "%s (uid %lu)", pw.pw_name, (unsigned long)p->uid);
	else
		snprintf(out, outsz, "uid %lu", (unsigned long)p->uid);
}

static int parse_ulong(const char *s, unsigned long *out)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || *end ? -1 : 0;
}

int acl_group_gid(const char *name, gid_t *gid)
{
	struct group gr, *res = NULL;
	char *buf = NULL;
	int rc = ERANGE;

	/* a group with many members needs more than a page */
	for (size_t sz = 16384; rc == ERANGE && sz <= (1u << 22); sz *= 2) {
		char *nb = realloc(buf, sz);

		if (!nb) {
			rc = ENOMEM;
			break;
		}
		buf = nb;
		rc = getgrnam_r(name, &gr, buf, sz, &res);
	}
	if (rc == 0 && !res)
		rc = ENOENT;
	if (rc == 0)
		*gid = gr.gr_gid;
	free(buf);
	return rc;
}

static int add(struct acl_rules *r, const char *item, enum acl_role role, struct ferr *err)
{
	struct principal p = { .role = role };
	const char *colon = strchr(item, ':');
	const char *v = colon ? colon + 1 : NULL;
	size_t kl = colon ? (size_t)(colon - item) : 0;
	struct principal *nv;

	if (!colon || !*v)
		return ferr_set(err,
				"%s principal \"%s\": expected uid:N, user:NAME, gid:N, "
				"group:NAME or cert:SUBJECT",
				acl_role_name(role), item);
	if (kl == 3 && strncmp(item, "uid", 3) == 0) {
		p.kind = P_UID;
		if (parse_ulong(v, &p.id))
			return ferr_set(err, "%s principal \"%s\": not a number",
					acl_role_name(role), item);
	} else if (kl == 3 && strncmp(item, "gid", 3) == 0) {
		p.kind = P_GID;
		if (parse_ulong(v, &p.id))
			return ferr_set(err, "%s principal \"%s\": not a number",
					acl_role_name(role), item);
	} else if (kl == 4 && strncmp(item, "user", 4) == 0) {
		struct passwd pw, *res = NULL;
		char buf[4096];

		if (getpwnam_r(v, &pw, buf, sizeof(buf), &res) != 0 || !res)
			return ferr_set(err, "%s principal \"%s\": no such user",
					acl_role_name(role), item);
		p.kind = P_UID;
		p.id = pw.pw_uid;
	} else if (kl == 5 && strncmp(item, "group", 5) == 0) {
		gid_t gid;
		int rc = acl_group_gid(v, &gid);

		if (rc)
			return ferr_set(err, "%s principal \"%s\": no such group%s%s",
					acl_role_name(role), item, rc != ENOENT ? ": " : "",
					rc != ENOENT ? strerror(rc) : "");
		p.kind = P_GID;
		p.id = gid;
	} else if (kl == 4 && strncmp(item, "cert", 4) == 0) {
		p.kind = P_CERT;
		p.subject = strdup(v);
		if (!p.subject)
			return ferr_set(err, "out of memory");
	} else {
		return ferr_set(err,
				"%s principal \"%s\": unknown kind; expected uid, user, gid, "
				"group or cert",
				acl_role_name(role), item);
	}
	nv = realloc(r->v, (r->n + 1) * sizeof(*nv));
	if (!nv) {
		free(p.subject);
		return ferr_set(err, "out of memory");
	}
	r->v = nv;
	r->v[r->n++] = p;
	return 0;
}

static int add_list(struct acl_rules *r, const char *list, enum acl_role role, struct ferr *err)
{
	const char *s = list ? list : "";

	while (*s) {
		char item[600];
		size_t n;
		const char *e;

		while (*s == ',' || isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		e = s;
		/* certificate subjects contain commas: cert: takes the rest up to ';' */
		if (strncmp(s, "cert:", 5) == 0)
			while (*e && *e != ';')
				e++;
		else
			while (*e && *e != ',')
				e++;
		n = (size_t)(e - s);
		while (n && isspace((unsigned char)s[n - 1]))
			n--;
		if (n >= sizeof(item))
			return ferr_set(err, "%s principal too long", acl_role_name(role));
		memcpy(item, s, n);
		item[n] = '\0';
		if (add(r, item, role, err))
			return -1;
		s = *e ? e + 1 : e;
	}
	return 0;
}

int acl_rules_new(const char *admins, const char *operators, const char *auditors,
		  struct acl_rules **out, struct ferr *err)
{
	struct acl_rules *r = calloc(1, sizeof(*r));

	if (!r)
		return ferr_set(err, "out of memory");
	if (add_list(r, admins, ACL_ADMIN, err) || add_list(r, operators, ACL_OPERATOR, err) ||
	    add_list(r, auditors, ACL_AUDITOR, err)) {
		acl_rules_free(r);
		return -1;
	}
	*out = r;
	return 0;
}

void acl_rules_free(struct acl_rules *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].subject);
	free(r->v);
	free(r);
}

enum acl_role acl_role_of(const struct acl_rules *r, const struct acl_peer *p)
{
	enum acl_role best = ACL_NONE;

	for (size_t i = 0; r && i < r->n; i++) {
		const struct principal *q = &r->v[i];
		int match = 0;

		if (q->role <= best)
			continue;
		if (q->kind == P_UID && p->has_cred)
			match = p->uid == (uid_t)q->id;
		else if (q->kind == P_GID && p->has_cred) {
			for (size_t g = 0; g < p->ngroups && !match; g++)
				match = p->groups[g] == (gid_t)q->id;
			match = match || p->gid == (gid_t)q->id;
		} else if (q->kind == P_CERT && p->cert_subject[0])
			match = strcmp(q->subject, p->cert_subject) == 0;
		if (match)
			best = q->role;
	}
	return best;
}
