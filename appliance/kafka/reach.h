/*
 * reach.h — which clusters ferryd's own Kafka clients can reach. Each
 * running flow watches its source and its target (one watcher each); the
 * flow's clients report into the watcher from librdkafka's callbacks or
 * from the discovery thread, and the cluster's reachability is what all
 * watchers of that cluster say. No client is added for this: a cluster no
 * running flow uses is "unknown".
 *
 * Reports come from any thread; the views are read by the main thread.
 * One process-wide registry guarded by a mutex; a change of a cluster's
 * reachability is logged there, once per change.
 */
#ifndef FERRY_REACH_H
#define FERRY_REACH_H

#include <stddef.h>
#include <stdint.h>

enum reach_state { REACH_UNKNOWN, REACH_REACHABLE, REACH_UNREACHABLE };

struct reach;

/* A watcher of CLUSTER for OWNER (a flow name, for the log); NULL when out
 * of memory (every call below accepts NULL and does nothing). */
struct reach *reach_new(const char *cluster, const char *owner);
void reach_free(struct reach *r);

/* Evidence from a client: the cluster did not answer (WHY: librdkafka's
 * last connection error), or it did. Any thread. */
void reach_down(struct reach *r, const char *why);
void reach_up(struct reach *r);
/* Bumped by every reach_up(): lets a client forget errors it saw before. */
unsigned reach_generation(const struct reach *r);
/* 1 while the watcher says unreachable, or has heard nothing yet while
 * its cluster is unreachable by other watchers; the reason into BUF. Any
 * thread. */
int reach_is_down(struct reach *r, char *buf, size_t sz);
const char *reach_cluster_of(const struct reach *r);

/* The cluster's view: unreachable when any watcher says so (WHY, and
 * SINCE_MS the wall time it became unreachable), reachable when a watcher
 * heard from it and none says otherwise, else unknown. UNREACHABLE_MS:
 * how long it has been unreachable in all since ferryd started (never
 * goes backwards). Any pointer may be NULL. */
enum reach_state reach_cluster(const char *cluster, char *why, size_t sz, int64_t *since_ms,
			       int64_t *unreachable_ms);
const char *reach_state_name(enum reach_state s);

/* Frees the registry (at exit, after every watcher is gone). */
void reach_shutdown(void);

#endif
