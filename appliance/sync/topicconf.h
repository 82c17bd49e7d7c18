/*
 * topicconf.h — topic config sync (MM2's sync.topic.configs): what config
 * set a remote topic should have, given its source topic's configs, the
 * target's own values of excluded configs and ferry's per-target
 * overrides; the blocking DescribeConfigs / AlterConfigs calls; and the
 * flow thread that copies changes every sync.topic.configs.interval.seconds
 * to the remote topics ferry created (never to one it did not).
 *
 * librdkafka 2.0.2 has only the whole-set AlterConfigs: whatever a request
 * does not name goes back to its default. So the desired set is always
 * complete (KAFKA-14420 is MM2 wiping the target's own values that way).
 */
#ifndef FERRY_TOPICCONF_H
#define FERRY_TOPICCONF_H

#include <librdkafka/rdkafka.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "appliance/conf/conf.h"
#include "lib/err.h"

/* One config entry of a topic as DescribeConfigs gave it. */
struct tc_entry {
	char *name;
	char *value;   /* NULL: none given (sensitive) */
	int source;    /* rd_kafka_ConfigSource_t */
	int read_only; /* also: cannot be set per topic */
	int sensitive;
};

/* A topic's config entries, sorted by name once built with tc_set_put(). */
struct tc_set {
	struct tc_entry *v;
	size_t n, cap;
	char *error; /* set when the topic could not be described */
	int errcode; /* then its rd_kafka_resp_err_t */
};

/* Adds or replaces NAME (kept sorted); 0 or -1 (out of memory). */
int tc_set_put(struct tc_set *s, const char *name, const char *value, int source, int read_only,
	       int sensitive);
const struct tc_entry *tc_set_get(const struct tc_set *s, const char *name);
void tc_set_free(struct tc_set *s);

/*
 * The complete config set a remote topic should carry (OUT: source
 * DYNAMIC_TOPIC_CONFIG entries, sorted), as MM2 computes it, without
 * MM2's KAFKA-14420:
 *  - each source entry that is not read-only, not sensitive, not a static
 *    broker setting, not matched by EXCLUDE (whole name), and not at its
 *    default unless DEFAULTS_FROM_SOURCE (use.defaults.from = source);
 *  - the target's own topic-level values of excluded configs (TGT; NULL
 *    for a topic not created yet), which a whole-set alter would wipe;
 *  - OVERRIDES (config name -> value), which win over both.
 */
int topicconf_desired(const struct tc_set *src, const struct tc_set *tgt,
		      const struct regexlist *exclude, int defaults_from_source,
		      const struct props *overrides, struct tc_set *out);
/* What the target topic holds now, as a set comparable with the desired
 * one: its topic-level (DYNAMIC_TOPIC_CONFIG) entries. */
int topicconf_current(const struct tc_set *tgt, struct tc_set *out);
/* 1 when A and B name the same configs with the same values. */
int topicconf_equal(const struct tc_set *a, const struct tc_set *b);
/* "retention.ms 86400000 -> 3600000, cleanup.policy (default) -> compact"
 * into BUF: what going from FROM to TO changes. */
void topicconf_diff(const struct tc_set *from, const struct tc_set *to, char *buf, size_t sz);

/*
 * DescribeConfigs of N topics on RK in one request: OUT[i] (N sets,
 * zeroed by the caller) gets TOPICS[i]'s entries, or its error. -1 (ERR)
 * when the request as a whole failed or timed out.
 */
int topicconf_describe(rd_kafka_t *rk, const char *const *topics, size_t n, struct tc_set *out,
		       int timeout_ms, atomic_int *stop, struct ferr *err);
/* AlterConfigs of N topics on RK in one request, each to exactly
 * SETS[i]; ERRS[i] (malloc'd, caller frees) is set for a topic the target
 * refused. -1 (ERR) when the request as a whole failed. */
int topicconf_alter(rd_kafka_t *rk, const char *const *topics, const struct tc_set *sets, size_t n,
		    char **errs, int timeout_ms, atomic_int *stop, struct ferr *err);

/*
 * The configs new remote topics of CF are created with (KAFKA-12254):
 * OUT[i] (N sets, zeroed by the caller) is the desired set of source
 * topic TOPICS[i] described on SRC, or only CF's overrides when the
 * source refused to describe it (its error in OUT[i].error; the sync
 * catches up). 0; 1 when the request as a whole had no answer (a
 * timeout, a stop), each OUT[i].error set: the caller creates nothing
 * then rather than every topic bare; -1 out of memory.
 */
int topicconf_for_create(rd_kafka_t *src, const struct conf_flow *cf, const char *const *topics,
			 size_t n, struct tc_set *out, atomic_int *stop);

/* 1 when a CreateTopics error E refuses the configs a topic was asked
 * with (INVALID_CONFIG, POLICY_VIOLATION), so that creating it without
 * them may succeed; 0 for any other error (a timeout, a controller
 * moving, a missing right ...), after which the next round asks again
 * with the configs rather than create the topic bare (KAFKA-12254). */
int topicconf_refused_configs(rd_kafka_resp_err_t e);

/* The retention.ms in force in S, a target topic's described set (its
 * override or the target's default: DescribeConfigs gives the effective
 * value): 0 with *MS (-1: forever), -1 when S has none readable. */
int topicconf_retention_ms(const struct tc_set *s, int64_t *ms);
/* Records S's retention.ms as that of remote TOPIC on CLUSTER, FLOW's
 * copy of SOURCE_TOPIC, in ST (state_remote_retention_put): 1 recorded, 0 unchanged or nothing read
 * in S, -1 (ERR). Shared by the sync and `show placement`. */
struct state;
int topicconf_record_retention(struct state *st, const char *cluster, const char *topic,
			       const char *flow, const char *source_topic, const struct tc_set *s,
			       struct ferr *err);

/* The flow thread (struct flow * ARG): started by flow_start() when
 * sync.topic.configs.enabled. */
void *topicconf_main(void *arg);

#endif
