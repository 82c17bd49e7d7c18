/*
 * flow.h — one running replication flow (A->B): a discovery thread that
 * decides which source partitions to mirror and prepares the remote topics,
 * and tasks.max mirror tasks that move records. The flow owns their
 * lifecycle: start, stop on request, stop loudly on a fatal error.
 */
#ifndef FERRY_FLOW_H
#define FERRY_FLOW_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "appliance/conf/conf.h"
#include "lib/err.h"
#include "appliance/kafka/reach.h"

enum flow_status { FLOW_STARTING, FLOW_RUNNING, FLOW_FAILED, FLOW_STOPPED };

struct mirror_task;

/* One mirrored partition as its task last saw it (refreshed every second). */
struct part_stat {
	char topic[256], remote[256];
	int32_t partition;
	int64_t position;       /* first offset not yet acknowledged by the target; -1 unknown */
	int64_t end_offset;     /* source high watermark as last fetched; -1 unknown */
	int64_t saved;          /* position last written to the state store; -1 none */
	int stopped;            /* the partition stopped (source log changed, unreadable record) */
	char reason[400];       /* why, when stopped */
	int64_t never_mirrored; /* offsets the source deleted before ferry read them */
	int blocked;            /* held back by a placement rule (reason names it) */
	int64_t inflight;       /* records handed to the producer, not yet acknowledged */
	/* the timestamp (ms) of the record at position, when ferry has
	 * fetched it (it is in flight); -1 unknown (show lag's lag seconds) */
	int64_t position_ts;
};

/* A topic the flow holds back by a placement rule, as discovery's last
 * round found it (the verdict in short; placement.h has the whole). */
struct placement_hold {
	char topic[256];
	char rules[512];    /* the rules the target does not meet */
	char category[512]; /* their categories */
	int32_t partitions; /* the source topic's */
	int copied_before;  /* ferry mirrored it to the target before the rule */
};

/* min/max/avg of a latency in ms over a window. */
struct lat_window {
	int64_t min, max, sum, count;
};
void lat_add(struct lat_window *w, int64_t v);
void lat_merge(struct lat_window *into, const struct lat_window *w);

/* A partition handed by discovery to a mirror task. */
struct part_assign {
	char *topic;  /* source topic */
	char *remote; /* its name on the target */
	int32_t partition;
};

struct flow {
	const struct conf *conf;    /* borrowed: outlives the flow */
	const struct conf_flow *cf; /* borrowed: one of conf->flows */
	char *state_dir;

	atomic_int stop;      /* set by flow_request_stop() */
	atomic_int status;    /* enum flow_status */
	pthread_mutex_t lock; /* guards fail_reason, cond waits */
	pthread_cond_t cond;  /* wakes the discovery thread */
	char fail_reason[512];

	pthread_t discover_thr, canary_thr, checkpoint_thr, topicconf_thr;
	int discover_started, canary_started, checkpoint_started, topicconf_started;
	pthread_t aclsync_thr; /* sync.topic.acls.enabled (appliance/sync/aclsync.c) */
	int aclsync_started;
	struct mirror_task **tasks;
	int ntasks;

	/* counters for status lines and the benchmark */
	atomic_uint_fast64_t records; /* acknowledged by the target */
	atomic_uint_fast64_t bytes;
	atomic_uint_fast64_t topics_mirrored;
	atomic_uint_fast64_t partitions_mirrored;

	/* canary (ferry.canary.enabled) */
	atomic_int_fast64_t canary_latency_ms; /* last measured; 0 none */
	atomic_int_fast64_t canary_seen_ms;    /* wall time of the last one seen; 0 never */
	atomic_int degraded;


	/* checkpoints */
	atomic_int_fast64_t checkpoint_latency_ms; /* last round: start to acknowledged */
	atomic_uint_fast64_t checkpoints_written;

	/* topic config sync (appliance/sync/topicconf.c): remote topics
	 * whose configs were altered, and attempts that failed */
	atomic_uint_fast64_t topic_config_syncs;
	atomic_uint_fast64_t topic_config_sync_errors;
	/* ACL sync: bindings created and removed on the target, failed rounds */
	atomic_uint_fast64_t acl_created, acl_removed, acl_failures;

	/* state store: a task whose save fails stops consuming (flow_stall)
	 * until a save succeeds again (flow_unstall); the flow shows
	 * "stalled" while any task is */
	atomic_int stalled_tasks;
	char stall_reason[512];            /* guarded by lock; the first task's reason */
	char stall_view[512];              /* main thread only: copy for runtime_flow_state */
	atomic_uint_fast64_t store_errors; /* failed saves since the flow started */

	/* in-flight bytes (key + value of records handed to the producer and
	 * not yet acknowledged), summed over the tasks, and its peak */
	atomic_int_fast64_t inflight_bytes;
	atomic_int_fast64_t inflight_bytes_peak;

	/* data placement (appliance/placement/): the configuration whose rules
	 * are in force, a reference replaced by flow_set_placement() when a
	 * commit keeps the flow running; discovery and the tasks compare
	 * placement_gen with the one they last acted on (a cheap check per
	 * loop turn, i.e. per batch) */
	struct conf *placement_conf; /* guarded by lock */
	atomic_uint placement_gen;
	struct placement_hold *held; /* guarded by lock: discovery's last list */
	size_t nheld;
	atomic_uint_fast64_t topics_blocked; /* nheld */

	/* what the flow's clients say of its two clusters (reach.h): the
	 * mirror consumer and producer report errors, the producer its
	 * statistics, discovery its metadata calls */
	struct reach *reach_src, *reach_tgt;
};

/* The flow's counters (metrics.c's counters and show flows): what one run
 * of a flow counted; the runtime adds up the runs of a flow, so that a
 * restart (pause/resume, commit) never takes them back. */
struct flow_counters {
	uint64_t records, bytes, checkpoints, store_errors;
	uint64_t topic_config_syncs, topic_config_sync_errors;
	uint64_t acl_created, acl_removed, acl_failures;
};
/* Adds F's counters as they are now to *TOTAL. */
void flow_counters_add(struct flow *f, struct flow_counters *total);

int flow_start(const struct conf *conf, const struct conf_flow *cf, const char *state_dir,
	       struct flow **out, struct ferr *err);
/* Asks every thread of the flow to finish; returns at once. */
void flow_request_stop(struct flow *f);
/* Waits for the threads (after flow_request_stop or a failure), adds the
 * flow's final counters (nothing counts once its threads are gone) to
 * *TOTAL unless it is NULL, frees. */
void flow_join(struct flow *f, struct flow_counters *total);
/* Marks the flow failed with REASON (first reason wins) and stops it. */
void flow_fail(struct flow *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
enum flow_status flow_get_status(struct flow *f);
/* A task of F cannot write the state store (REASON) and stops consuming:
 * logged, audited, shown as "stalled" until every such task called
 * flow_unstall() after a successful save. */
void flow_stall(struct flow *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void flow_unstall(struct flow *f, const char *what);
/* Main thread only: the stall reason while stalled (else NULL). */
const char *flow_stalled(struct flow *f);
const char *flow_status_name(enum flow_status s);

/* 1 when a cluster of F does not answer its clients: "A unreachable:
 * <librdkafka's last connection error>" into BUF (the source first). */
int flow_unreachable(struct flow *f, char *buf, size_t sz);

/* How many partitions are stopped (as the tasks last published); the
 * first one's reason into BUF. */
int flow_stopped_partitions(struct flow *f, char *buf, size_t sz);
/* Queues an operator's resume of a stopped partition (see mirror.h). */
int flow_resume_partition(struct flow *f, const char *topic, int32_t partition, int64_t from,
			  struct ferr *err);

/* Main thread: makes C's placement rules (a reference is taken) the ones
 * F enforces, at once: discovery runs a round, each task re-judges its
 * topics before its next batch. */
void flow_set_placement(struct flow *f, struct conf *c);
/* Any thread: the configuration whose rules are in force (a reference:
 * conf_unref() it) and its generation. */
struct conf *flow_placement(struct flow *f, unsigned *gen);
/* Discovery: replaces the list of held-back topics (V is copied). */
void flow_set_held(struct flow *f, const struct placement_hold *v, size_t n);
/* A copy of the held-back topics (caller frees *out); their count. */
size_t flow_held(struct flow *f, struct placement_hold **out);

/* Discovery -> tasks: queue a partition for the task that owns it. */
void flow_assign(struct flow *f, const char *topic, const char *remote, int32_t partition);

/* Every partition of the flow (caller frees *out); its count. */
size_t flow_partitions(struct flow *f, struct part_stat **out);
/* replication-latency-ms and record-age-ms over the last 10-20 s. */
void flow_latency(struct flow *f, struct lat_window *replication, struct lat_window *age);

/* discover.c */
void *discover_main(void *arg);
/* The name of TOPIC on the target (MM2's remote name; upstream for a failback). */
int flow_remote_name(const struct conf_flow *cf, const char *topic, char *out, size_t sz);
/* MM2's rule: filters, heartbeats, internal topics, cycles (and the canary). */
int flow_should_replicate(const struct conf_flow *cf, const char *topic);
/* checkpoint.c: checkpoints and group offset sync */
void *checkpoint_main(void *arg);
/* canary.c */
void *canary_main(void *arg);

#endif
