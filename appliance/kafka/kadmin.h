/*
 * kadmin.h — small blocking admin helpers on a librdkafka handle, for the
 * control-plane threads (never the data path): create a topic if missing,
 * list groups, read and commit group offsets, describe a group's state.
 */
#ifndef FERRY_KADMIN_H
#define FERRY_KADMIN_H

#include <librdkafka/rdkafka.h>
#include <stdatomic.h>
#include <stdint.h>

#include "lib/err.h"

/* Waits up to TIMEOUT_MS for the admin result of TYPE on Q, in 500 ms
 * steps so that a set *STOP (NULL: none) ends the wait early; NULL when
 * none came. Other events on Q are dropped. */
rd_kafka_event_t *kadmin_wait(rd_kafka_queue_t *q, rd_kafka_event_type_t type, int timeout_ms,
			      atomic_int *stop);

/* Names a flag (NULL: none) that also ends every kadmin wait of the
 * calling thread early, whatever its caller passed: the control plane's
 * off-loop workers (ctl_offload.c) set it once, so that ferryd's shutdown
 * does not wait out their admin calls. The flag must outlive the thread's
 * kadmin calls. */
void kadmin_thread_stop(atomic_int *stop);

/* Creates TOPIC with PARTITIONS and RF (-1: broker default) and the given
 * configs (NULL-terminated key, value pairs); an existing topic is fine.
 * Returns 1 if created, 0 if it existed, -1 on error. */
int kadmin_ensure_topic(rd_kafka_t *rk, const char *topic, int partitions, int rf,
			const char *const *configs, int timeout_ms, struct ferr *err);

struct group_offset {
	char topic[512];
	int32_t partition;
	int64_t offset;
};

/* Calls FN for every consumer group of the cluster. */
typedef void (*kadmin_group_fn)(void *arg, const rd_kafka_ConsumerGroupListing_t *g);
int kadmin_each_group(rd_kafka_t *rk, kadmin_group_fn fn, void *arg, int timeout_ms,
		      struct ferr *err);
/* Group ids of the cluster (caller frees with kadmin_free_names). */
int kadmin_list_groups(rd_kafka_t *rk, char ***out, size_t *n, int timeout_ms, struct ferr *err);
void kadmin_free_names(char **v, size_t n);

/* Committed offsets of GROUP (caller frees *out). RK must be a consumer
 * handle: librdkafka 2.0.2 crashes answering this on a producer handle. */
int kadmin_group_offsets(rd_kafka_t *rk, const char *group, struct group_offset **out, size_t *n,
			 int timeout_ms, struct ferr *err);

/* The group's state ("Empty", "Stable", "Dead", ...) and member count. */
int kadmin_group_state(rd_kafka_t *rk, const char *group, char *state, size_t sz, int *members,
		       int timeout_ms, struct ferr *err);

/* Commits OFFSETS for GROUP (AlterConsumerGroupOffsets); the group must
 * have no members. */
int kadmin_commit_offsets(rd_kafka_t *rk, const char *group, const struct group_offset *v, size_t n,
			  int timeout_ms, struct ferr *err);

#endif
