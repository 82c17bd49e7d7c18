/*
 * aclmap.c — the ACL sync rules (aclmap.h says which and why): source
 * binding -> target bindings, and the sorted lists aclsync.c compares.
 */
#include "acl/aclmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Kafka's names, indexed by the protocol's codes (which librdkafka's enums
 * share); librdkafka 2.0.2 calls resource type 4 BROKER, Kafka CLUSTER. */
static const char *const restype_names[] = {
	"UNKNOWN",          "ANY", "TOPIC", "GROUP", "CLUSTER", "TRANSACTIONAL_ID",
	"DELEGATION_TOKEN", "USER"
};
static const char *const pattern_names[] = { "UNKNOWN", "ANY", "MATCH", "LITERAL", "PREFIXED" };
static const char *const op_names[] = { "UNKNOWN",
					"ANY",
					"ALL",
					"READ",
					"WRITE",
					"CREATE",
					"DELETE",
					"ALTER",
					"DESCRIBE",
					"CLUSTER_ACTION",
					"DESCRIBE_CONFIGS",
					"ALTER_CONFIGS",
					"IDEMPOTENT_WRITE",
					"CREATE_TOKENS",
					"DESCRIBE_TOKENS" };
static const char *const perm_names[] = { "UNKNOWN", "ANY", "DENY", "ALLOW" };

#define NAMES(v) (sizeof(v) / sizeof((v)[0]))

static const char *name_of(const char *const *v, size_t n, int code)
{
	return code >= 0 && (size_t)code < n ? v[code] : NULL;
}

static int parse_name(const char *const *v, size_t n, const char *s, int *out)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0) {
			*out = (int)i;
			return 0;
		}
	return -1;
}

const char *aclmap_restype_name(rd_kafka_ResourceType_t t)
{
	return name_of(restype_names, NAMES(restype_names), (int)t);
}

const char *aclmap_pattern_name(rd_kafka_ResourcePatternType_t p)
{
	return name_of(pattern_names, NAMES(pattern_names), (int)p);
}

const char *aclmap_op_name(rd_kafka_AclOperation_t op)
{
	return name_of(op_names, NAMES(op_names), (int)op);
}

const char *aclmap_perm_name(rd_kafka_AclPermissionType_t p)
{
	return name_of(perm_names, NAMES(perm_names), (int)p);
}

int aclmap_restype_parse(const char *s, rd_kafka_ResourceType_t *out)
{
	int v;

	if (parse_name(restype_names, NAMES(restype_names), s, &v))
		return -1;
	*out = (rd_kafka_ResourceType_t)v;
	return 0;
}

int aclmap_pattern_parse(const char *s, rd_kafka_ResourcePatternType_t *out)
{
	int v;

	if (parse_name(pattern_names, NAMES(pattern_names), s, &v))
		return -1;
	*out = (rd_kafka_ResourcePatternType_t)v;
	return 0;
}

int aclmap_op_parse(const char *s, rd_kafka_AclOperation_t *out)
{
	int v;

	if (parse_name(op_names, NAMES(op_names), s, &v))
		return -1;
	*out = (rd_kafka_AclOperation_t)v;
	return 0;
}

int aclmap_perm_parse(const char *s, rd_kafka_AclPermissionType_t *out)
{
	int v;

	if (parse_name(perm_names, NAMES(perm_names), s, &v))
		return -1;
	*out = (rd_kafka_AclPermissionType_t)v;
	return 0;
}

int aclmap_binding_set(struct aclmap_binding *b, rd_kafka_ResourceType_t restype,
		       rd_kafka_ResourcePatternType_t pattern, const char *name,
		       const char *principal, const char *host, rd_kafka_AclOperation_t op,
		       rd_kafka_AclPermissionType_t perm)
{
	int n1, n2, n3;

	memset(b, 0, sizeof(*b));
	b->restype = restype;
	b->pattern = pattern;
	n1 = snprintf(b->name, sizeof(b->name), "%s", name ? name : "");
	n2 = snprintf(b->principal, sizeof(b->principal), "%s", principal ? principal : "");
	n3 = snprintf(b->host, sizeof(b->host), "%s", host ? host : "");
	b->op = op;
	b->perm = perm;
	return n1 < 0 || (size_t)n1 >= sizeof(b->name) || n2 < 0 ||
			       (size_t)n2 >= sizeof(b->principal) || n3 < 0 ||
			       (size_t)n3 >= sizeof(b->host)
		       ? -1
		       : 0;
}

int aclmap_cmp(const struct aclmap_binding *a, const struct aclmap_binding *b)
{
	int c;

	if (a->restype != b->restype)
		return a->restype < b->restype ? -1 : 1;
	if (a->pattern != b->pattern)
		return a->pattern < b->pattern ? -1 : 1;
	if ((c = strcmp(a->name, b->name)) != 0 || (c = strcmp(a->principal, b->principal)) != 0 ||
	    (c = strcmp(a->host, b->host)) != 0)
		return c;
	if (a->op != b->op)
		return a->op < b->op ? -1 : 1;
	if (a->perm != b->perm)
		return a->perm < b->perm ? -1 : 1;
	return 0;
}

static int cmp_void(const void *a, const void *b)
{
	return aclmap_cmp(a, b);
}

int aclmap_list_add(struct aclmap_list *l, const struct aclmap_binding *b)
{
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 16;
		struct aclmap_binding *nv = realloc(l->v, ncap * sizeof(*nv));

		if (!nv)
			return -1;
		l->v = nv;
		l->cap = ncap;
	}
	l->v[l->n++] = *b;
	return 0;
}

void aclmap_list_free(struct aclmap_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void aclmap_list_sort(struct aclmap_list *l)
{
	size_t k = 0;

	if (!l->n)
		return;
	qsort(l->v, l->n, sizeof(*l->v), cmp_void);
	for (size_t i = 1; i < l->n; i++)
		if (aclmap_cmp(&l->v[k], &l->v[i]) != 0)
			l->v[++k] = l->v[i];
	l->n = k + 1;
}

const struct aclmap_binding *aclmap_list_find(const struct aclmap_list *l,
					      const struct aclmap_binding *b)
{
	return l->n ? bsearch(b, l->v, l->n, sizeof(*l->v), cmp_void) : NULL;
}

enum aclmap_trust aclmap_answers_trust(size_t nsrc, size_t nhave, size_t nmine, const char **why)
{
	*why = "both answered";
	if (nmine == 0)
		return ACLMAP_ACT; /* nothing of ferry's to remove or forget */
	if (nsrc == 0) {
		*why = "the source answered no ACL binding at all";
		return ACLMAP_CHANGE_NOTHING;
	}
	if (nhave == 0) {
		*why = "the target answered no ACL binding at all, not even those ferry created";
		return ACLMAP_KEEP_RECORDS;
	}
	return ACLMAP_ACT;
}

const char *aclmap_describe(const struct aclmap_binding *b, char *buf, size_t sz)
{
	const char *rt = aclmap_restype_name(b->restype), *pt = aclmap_pattern_name(b->pattern);
	const char *op = aclmap_op_name(b->op), *pm = aclmap_perm_name(b->perm);

	snprintf(buf, sz, "%s %s %s %s@%s %s %s", rt ? rt : "?", b->name, pt ? pt : "?",
		 b->principal, b->host, op ? op : "?", pm ? pm : "?");
	return buf;
}

/* An ALLOW of an operation that changes a topic: only ferry writes (and
 * alters) remote topics, so these never reach them. */
static int changes_topic(rd_kafka_AclOperation_t op)
{
	switch (op) {
	case RD_KAFKA_ACL_OPERATION_WRITE:
	case RD_KAFKA_ACL_OPERATION_CREATE:
	case RD_KAFKA_ACL_OPERATION_DELETE:
	case RD_KAFKA_ACL_OPERATION_ALTER:
	case RD_KAFKA_ACL_OPERATION_ALTER_CONFIGS:
	case RD_KAFKA_ACL_OPERATION_IDEMPOTENT_WRITE:
		return 1;
	default:
		return 0;
	}
}

/* Appends SRC's entry on resource (RESTYPE, PATTERN, NAME). */
static int add_on(struct aclmap_list *out, const struct aclmap_binding *src,
		  rd_kafka_ResourcePatternType_t pattern, const char *name,
		  rd_kafka_AclOperation_t op)
{
	struct aclmap_binding b;

	/* SRC's fields fit; NAME is a remote name of at most as many bytes */
	if (aclmap_binding_set(&b, src->restype, pattern, name, src->principal, src->host, op,
			       src->perm))
		return 0;
	return aclmap_list_add(out, &b);
}

static int map_topic(const struct aclmap_flow *fl, const struct aclmap_binding *src,
		     rd_kafka_AclOperation_t op, struct aclmap_list *out, const char **why)
{
	char remote[512];
	size_t plen = strlen(src->name);
	int n = 0, covered = 0;

	if (src->pattern == RD_KAFKA_RESOURCE_PATTERN_LITERAL) {
		if (!fl->topic_mirrored(fl->arg, src->name)) {
			*why = "topic not mirrored by this flow";
			return 0;
		}
		if (fl->remote_name(fl->arg, src->name, remote, sizeof(remote))) {
			*why = "remote topic name too long";
			return 0;
		}
		*why = "copied";
		return add_on(out, src, RD_KAFKA_RESOURCE_PATTERN_LITERAL, remote, op) ? -1 : 1;
	}
	/* PREFIXED: only when it covers a topic the flow mirrors now */
	for (size_t i = 0; i < fl->ntopics; i++) {
		const char *t = fl->topics[i];

		if (strncmp(t, src->name, plen) != 0 || !fl->topic_mirrored(fl->arg, t))
			continue;
		covered = 1;
		if (fl->prefix_preserving)
			break;
		if (fl->remote_name(fl->arg, t, remote, sizeof(remote)))
			continue;
		if (add_on(out, src, RD_KAFKA_RESOURCE_PATTERN_LITERAL, remote, op))
			return -1;
		n++;
	}
	if (!covered) {
		*why = "prefix covers no mirrored topic";
		return 0;
	}
	if (!fl->prefix_preserving) {
		*why = "copied as literal bindings of the mirrored topics it covers";
		return n;
	}
	if (fl->remote_name(fl->arg, src->name, remote, sizeof(remote))) {
		*why = "remote prefix too long";
		return 0;
	}
	*why = "copied";
	return add_on(out, src, RD_KAFKA_RESOURCE_PATTERN_PREFIXED, remote, op) ? -1 : 1;
}

static int map_group(const struct aclmap_flow *fl, const struct aclmap_binding *src,
		     rd_kafka_AclOperation_t op, struct aclmap_list *out, const char **why)
{
	size_t plen = strlen(src->name);
	int n = 0;

	if (src->pattern == RD_KAFKA_RESOURCE_PATTERN_LITERAL) {
		if (!fl->group_synced(fl->arg, src->name)) {
			*why = "group not synced by this flow";
			return 0;
		}
		*why = "copied";
		return add_on(out, src, RD_KAFKA_RESOURCE_PATTERN_LITERAL, src->name, op) ? -1 : 1;
	}
	for (size_t i = 0; i < fl->ngroups; i++) {
		const char *g = fl->groups[i];

		if (strncmp(g, src->name, plen) != 0 || !fl->group_synced(fl->arg, g))
			continue;
		if (add_on(out, src, RD_KAFKA_RESOURCE_PATTERN_LITERAL, g, op))
			return -1;
		n++;
	}
	*why = n ? "copied as literal bindings of the synced groups it covers"
		 : "prefix covers no synced group";
	return n;
}

int aclmap_map(const struct aclmap_flow *fl, const struct aclmap_binding *src,
	       struct aclmap_list *out, const char **why)
{
	rd_kafka_AclOperation_t op = src->op;

	if (src->restype != RD_KAFKA_RESOURCE_TOPIC && src->restype != RD_KAFKA_RESOURCE_GROUP) {
		*why = "not a TOPIC or GROUP binding";
		return 0;
	}
	if (src->pattern != RD_KAFKA_RESOURCE_PATTERN_LITERAL &&
	    src->pattern != RD_KAFKA_RESOURCE_PATTERN_PREFIXED) {
		*why = "pattern type is neither LITERAL nor PREFIXED";
		return 0;
	}
	if (!src->name[0] || strcmp(src->name, "*") == 0) {
		*why = "wildcard resource: it would cover the target's own resources";
		return 0;
	}
	if (src->perm != RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW &&
	    src->perm != RD_KAFKA_ACL_PERMISSION_TYPE_DENY) {
		*why = "permission is neither ALLOW nor DENY";
		return 0;
	}
	if (src->perm == RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW) {
		if (op == RD_KAFKA_ACL_OPERATION_ALL)
			op = RD_KAFKA_ACL_OPERATION_READ; /* MM2's rule: readers, not writers */
		else if (src->restype == RD_KAFKA_RESOURCE_TOPIC && changes_topic(op)) {
			*why = "ALLOW of an operation that changes the topic: only ferry writes "
			       "remote topics";
			return 0;
		}
	}
	return src->restype == RD_KAFKA_RESOURCE_TOPIC ? map_topic(fl, src, op, out, why)
						       : map_group(fl, src, op, out, why);
}
