/*
 * heartbeat.h — MM2's heartbeats: for every ordered pair of clusters (as
 * conf->heartbeats lists them), a record (source alias, target alias,
 * time) written every interval to the `heartbeats` topic of the target.
 * Flows mirror heartbeats topics like any other (A.heartbeats on B), which
 * is how MM2's RemoteClusterUtils counts replication hops.
 */
#ifndef FERRY_HEARTBEAT_H
#define FERRY_HEARTBEAT_H

#include <stdint.h>

#include "appliance/conf/conf.h"
#include "lib/err.h"

struct heartbeats;

/* Starts the heartbeat thread for C (a reference is kept); NULL *out when
 * no pair emits heartbeats. */
int heartbeats_start(struct conf *c, struct heartbeats **out, struct ferr *err);
void heartbeats_stop(struct heartbeats *h);

/* What the targets acknowledged of the heartbeats from SOURCE to TARGET
 * on TOPIC since ferryd started (across the restarts a commit makes):
 * *SENT of them, the last at *LAST_MS (wall clock; -1 none). Any thread. */
void heartbeats_count(const char *source, const char *target, const char *topic, uint64_t *sent,
		      int64_t *last_ms);

#endif
