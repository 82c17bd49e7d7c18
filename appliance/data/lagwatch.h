/*
 * lagwatch.h — the lag of paused flows. A paused flow runs no consumer, so
 * nothing fetches its source partitions' end offsets any more; yet its lag
 * is what an operator watches then (the source keeps growing). One thread
 * asks the source clusters for those end offsets every few seconds, and at
 * once when asked (show lag), and compares them with the positions the
 * flow saved in the state store; the main loop only reads the last answer
 * under a lock, never Kafka.
 */
#ifndef FERRY_LAGWATCH_H
#define FERRY_LAGWATCH_H

#include <stddef.h>
#include <stdint.h>

#include "appliance/data/flow.h"
#include "lib/err.h"
#include "appliance/conf/props.h"

struct lagwatch;

/* Starts the thread; it reads the store in STATE_DIR through a connection
 * of its own. */
int lagwatch_start(const char *state_dir, struct lagwatch **out, struct ferr *err);
/* Stops the thread (a query under way ends within its 4 s timeout) and
 * frees everything. W may be NULL. */
void lagwatch_stop(struct lagwatch *w);

/* A paused flow: its name and the settings of its source consumer. */
struct lagwatch_flow {
	const char *name;
	const struct props *consumer; /* copied */
	int read_uncommitted;         /* ferry.mirror.read.uncommitted: end = high watermark */
};
/* The paused flows are now V (main thread): flows no longer in V are
 * dropped, new ones (or ones whose settings changed) are queried at once. */
void lagwatch_sync(struct lagwatch *w, const struct lagwatch_flow *v, size_t n);

/* The partitions of paused FLOW as last queried (caller frees *out): each
 * with its saved position, the source's end offset (-1 when the query
 * failed: REASON says why) and the offsets never mirrored; REMOTE is
 * empty. 0 before the first answer. */
size_t lagwatch_partitions(struct lagwatch *w, const char *flow, struct part_stat **out);

/* Asks for a round now; lagwatch_done() tells when one that began after
 * this call has finished. */
uint64_t lagwatch_refresh(struct lagwatch *w);
int lagwatch_done(struct lagwatch *w, uint64_t ticket);

#endif
