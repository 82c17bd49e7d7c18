/*
 * policy.h — MM2's replication policies: how a source topic is named on the
 * target, and how a remote topic name tells where it came from. Names must
 * match MM2's DefaultReplicationPolicy and IdentityReplicationPolicy byte
 * for byte, so that MM2 and Kafka-native tooling see the same topology.
 */
#ifndef FERRY_POLICY_H
#define FERRY_POLICY_H

#include <stddef.h>

#include "lib/err.h"

enum policy_kind { POLICY_DEFAULT, POLICY_IDENTITY };

struct policy {
	enum policy_kind kind;
	char separator[64];         /* replication.policy.separator */
	char internal_sep[64];      /* the separator of MM2's internal topic names */
	char heartbeats_topic[256]; /* heartbeats.topic (MM2: "heartbeats") */
};

/* Accepts MM2's class names (fully qualified or simple). */
int policy_kind_parse(const char *cls, enum policy_kind *out);
const char *policy_kind_name(enum policy_kind k);

int policy_init(struct policy *p, enum policy_kind kind, const char *separator, struct ferr *err);

/* Remote name of TOPIC from cluster SOURCE. Returns 0, or -1 if it does not fit. */
int policy_format_remote(const struct policy *p, const char *source, const char *topic, char *out,
			 size_t outsz);

/* Source alias of a remote topic into OUT; returns 1 if TOPIC is remote, 0 if not. */
int policy_topic_source(const struct policy *p, const char *topic, char *out, size_t outsz);

/* The topic one hop upstream; returns 1 if found, 0 if TOPIC is not remote. */
int policy_upstream_topic(const struct policy *p, const char *topic, char *out, size_t outsz);

/* replication.policy.internal.topic.separator.enabled=false: internal
 * topic names use "." whatever the separator. */
void policy_set_internal_separator(struct policy *p, int use_separator);
/* mm2-offset-syncs.<alias>.internal (with the internal separator). */
int policy_offset_syncs_topic(const struct policy *p, const char *alias, char *out, size_t sz);
/* <alias>.checkpoints.internal */
int policy_checkpoints_topic(const struct policy *p, const char *alias, char *out, size_t sz);

/* MM2's internal-topic rule: Kafka-internal ("__", "."), Connect or MM2 internal. */
int policy_is_internal(const struct policy *p, const char *topic);

/* Heartbeats topic at any number of hops ("heartbeats", "A.heartbeats", ...). */
int policy_is_heartbeats(const struct policy *p, const char *topic);

/* MM2's cycle rule for flow ->TARGET: TOPIC came (at any hop) from TARGET. */
int policy_is_cycle(const struct policy *p, const char *topic, const char *target);

#endif
