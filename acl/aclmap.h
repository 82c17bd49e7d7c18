/*
 * aclmap.h — the rules of Kafka ACL sync, as pure functions: which ACL
 * bindings of a flow's source cluster are copied to its target, and what
 * each becomes there (appliance/sync/aclsync.c asks the clusters and
 * applies the answer). Nothing here talks to Kafka; the librdkafka header
 * is used for its enums only, so that a binding read from DescribeAcls is
 * a binding here without translation.
 *
 * The rules (MM2's, then ferry's own, see acl/README.md):
 *   - TOPIC bindings whose pattern covers a topic the flow mirrors, and
 *     GROUP bindings of groups the flow syncs, are copied; nothing else
 *     (CLUSTER, TRANSACTIONAL_ID ... and MATCH/ANY patterns are filters).
 *   - a LITERAL topic binding goes to the remote topic name; a LITERAL "*"
 *     is never copied (it would cover the target's own topics).
 *   - a PREFIXED topic binding becomes a PREFIXED binding on the remote
 *     prefix when the replication policy keeps prefixes (A.<prefix>, the
 *     namespace of A's copies); otherwise (IdentityReplicationPolicy) one
 *     LITERAL binding per mirrored topic it covers, so that it never
 *     reaches the target's own topics that happen to share the prefix.
 *   - ALLOW WRITE (and the other operations that change a topic: CREATE,
 *     DELETE, ALTER, ALTER_CONFIGS, IDEMPOTENT_WRITE) on topics is not
 *     copied: only ferry writes remote topics. ALLOW ALL becomes ALLOW READ.
 *     DENY bindings are copied as they are. Principal and host are kept.
 *   - groups keep their names (checkpoint.c syncs offsets to the same
 *     group); a PREFIXED group binding becomes LITERAL bindings of the
 *     synced groups it covers, for the same reason as above.
 */
#ifndef FERRY_ACLMAP_H
#define FERRY_ACLMAP_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>

struct aclmap_binding {
	rd_kafka_ResourceType_t restype;
	rd_kafka_ResourcePatternType_t pattern;
	char name[512];
	char principal[512];
	char host[256];
	rd_kafka_AclOperation_t op;
	rd_kafka_AclPermissionType_t perm;
};

/* A growable array of bindings; zero-initialised is empty. */
struct aclmap_list {
	struct aclmap_binding *v;
	size_t n, cap;
};

/* What the mapping needs to know of the flow: its filters and naming, and
 * the source's current topics and groups (for PREFIXED bindings). */
struct aclmap_flow {
	/* 1 when the flow mirrors TOPIC (filters, internal and cycle rules) */
	int (*topic_mirrored)(void *arg, const char *topic);
	/* TOPIC's name on the target: 0, or -1 when it does not fit */
	int (*remote_name)(void *arg, const char *topic, char *out, size_t sz);
	/* 1 when the flow syncs GROUP's offsets (groups, groups.exclude) */
	int (*group_synced)(void *arg, const char *group);
	void *arg;
	/* 1 when remote_name(P + x) is remote_name(P) + x for every x
	 * (DefaultReplicationPolicy), so that a prefix maps to a prefix */
	int prefix_preserving;
	const char *const *topics; /* the source's topics (borrowed) */
	size_t ntopics;
	const char *const *groups; /* the source's consumer groups (borrowed) */
	size_t ngroups;
};

/*
 * Appends to OUT what the source binding SRC becomes on the target (none,
 * one, or for an expanded prefix several). Returns the number appended,
 * or -1 when out of memory; *WHY (never NULL) says why in a few words,
 * for the log: "copied", or why it is not.
 */
int aclmap_map(const struct aclmap_flow *fl, const struct aclmap_binding *src,
	       struct aclmap_list *out, const char **why);

/* Fills B. 0, or -1 when NAME, PRINCIPAL or HOST does not fit (a long
 * TLS distinguished name): B then holds a cut value, which names another
 * principal or resource and must never be created, compared or removed. */
int aclmap_binding_set(struct aclmap_binding *b, rd_kafka_ResourceType_t restype,
		       rd_kafka_ResourcePatternType_t pattern, const char *name,
		       const char *principal, const char *host, rd_kafka_AclOperation_t op,
		       rd_kafka_AclPermissionType_t perm);

int aclmap_list_add(struct aclmap_list *l, const struct aclmap_binding *b);
void aclmap_list_free(struct aclmap_list *l);
/* Sorts by aclmap_cmp and drops duplicates. */
void aclmap_list_sort(struct aclmap_list *l);
/* In a sorted list: the equal binding, or NULL. */
const struct aclmap_binding *aclmap_list_find(const struct aclmap_list *l,
					      const struct aclmap_binding *b);
/* Orders every field; 0 when the bindings are the same binding. */
int aclmap_cmp(const struct aclmap_binding *a, const struct aclmap_binding *b);

/*
 * How far a round may act on the answers it read: NSRC bindings from the
 * source, NHAVE from the target, NMINE recorded as ferry's. librdkafka
 * 2.0.2 drops DescribeAcls' top-level error, so a cluster that refuses it
 * (ferry's principal lacks DESCRIBE on the cluster) answers an empty
 * list. While ferry has bindings on record:
 *  - an empty source answer changes nothing (ACLMAP_CHANGE_NOTHING):
 *    acted upon, it would remove every binding ferry created;
 *  - an empty target answer (a target wiped by hand, or a refusal: ALTER
 *    implies DESCRIBE, so then creations fail too) creates what is wanted
 *    but forgets no record (ACLMAP_KEEP_RECORDS): a record forgotten on a
 *    refused answer would leave its binding on the target for ever.
 * *WHY (never NULL) says why in a few words.
 */
enum aclmap_trust { ACLMAP_ACT, ACLMAP_KEEP_RECORDS, ACLMAP_CHANGE_NOTHING };
enum aclmap_trust aclmap_answers_trust(size_t nsrc, size_t nhave, size_t nmine, const char **why);

/* "TOPIC orders LITERAL User:alice@* READ ALLOW" into BUF, for logs and
 * the audit trail. */
const char *aclmap_describe(const struct aclmap_binding *b, char *buf, size_t sz);

/* Kafka's upper-case names ("TOPIC", "PREFIXED", "READ", "ALLOW"), as the
 * state store keeps them; NULL for values outside the enums. The parsers
 * return 0, or -1 for an unknown name. */
const char *aclmap_restype_name(rd_kafka_ResourceType_t t);
const char *aclmap_pattern_name(rd_kafka_ResourcePatternType_t p);
const char *aclmap_op_name(rd_kafka_AclOperation_t op);
const char *aclmap_perm_name(rd_kafka_AclPermissionType_t p);
int aclmap_restype_parse(const char *s, rd_kafka_ResourceType_t *out);
int aclmap_pattern_parse(const char *s, rd_kafka_ResourcePatternType_t *out);
int aclmap_op_parse(const char *s, rd_kafka_AclOperation_t *out);
int aclmap_perm_parse(const char *s, rd_kafka_AclPermissionType_t *out);

#endif
