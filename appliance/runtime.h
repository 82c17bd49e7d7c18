/*
 * runtime.h — the running topology: which configuration revision runs,
 * the flows it started (or that an operator paused), and how a new
 * configuration is applied without restarting flows it does not change.
 * Owned by the main thread; the control plane calls in from there.
 */
#ifndef FERRY_RUNTIME_H
#define FERRY_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "appliance/conf/conf.h"
#include "lib/err.h"
#include "appliance/data/flow.h"
#include "appliance/store/state.h"

struct rt_flow {
	char name[256];
	struct conf *conf; /* a reference: it owns cf */
	const struct conf_flow *cf;
	struct conf_flow *owned_cf; /* a failback flow's own (== cf), freed with it */
	struct flow *flow;          /* NULL while paused or when it could not start */
	int paused;
	char start_error[512];
	/* what the flow's earlier runs in this ferryd counted (a pause, resume
	 * or restarting commit ends a run): counters add it, so they never go
	 * backwards while ferryd runs */
	struct flow_counters base;
};

/* The counters of a flow no longer configured, kept for its return. */
struct rt_retired {
	char name[256];
	struct flow_counters c;
};

struct heartbeats;
struct lagwatch;
struct sink;

struct runtime {
	struct conf *conf;     /* running configuration (a reference) */
	struct heartbeats *hb; /* MM2 heartbeats of the running configuration */
	int revision;          /* its revision number */
	char *config_file, *state_dir;
	struct state *st; /* the main thread's state connection */
	struct rt_flow *flows;
	size_t nflows;
	int64_t started_ms;
	char appliance[256];
	struct lagwatch *lw; /* paused flows' end offsets (NULL: none) */
	struct rt_retired *retired;
	size_t nretired;
	struct sink *sink; /* the history sink (appliance/sink/sink.h); NULL: none */
};

/*
 * Opens the state store and decides what runs: revision 1 is the file
 * ferryd was started from; if the file is unchanged since its revision
 * lineage began, the latest committed revision of that lineage runs;
 * a changed file becomes a new revision. FILE_CONF is the parsed file
 * (the reference passes to the runtime).
 */
int runtime_init(struct runtime *rt, const char *config_file, const char *state_dir,
		 struct conf *file_conf, struct ferr *err);
/* Starts every flow that is not paused. A flow that cannot start is kept
 * with its error (shown as failed). */
void runtime_start(struct runtime *rt);
/*
 * Makes NEWC (reference passed) the running configuration REVISION:
 * removed flows stop, new ones start, changed ones restart, unchanged ones
 * keep running. SUMMARY tells what happened.
 */
void runtime_apply(struct runtime *rt, struct conf *newc, int revision, char *summary,
		   size_t summarysz);
int runtime_pause(struct runtime *rt, const char *name, const char *who, struct ferr *err);
int runtime_resume(struct runtime *rt, const char *name, const char *who, struct ferr *err);
/*
 * Starts the failback of FLOW ("A->B"): pauses A->B if it runs, seeds the
 * failback flow's positions at the downstream end each partition reached,
 * records it (restarted with ferryd) and starts it.
 */
int runtime_failback(struct runtime *rt, const char *flow, const char *who, struct ferr *err);
struct rt_flow *runtime_flow(struct runtime *rt, const char *name);
/* "starting", "running", "degraded", "stalled", "paused", "failed", "stopped";
 * REASON (when not NULL) says why for failed, stalled and degraded (a
 * cluster of the flow unreachable, stopped partitions, the canary) */
const char *runtime_flow_state(const struct rt_flow *f, const char **reason);
/* F's counters since ferryd started: its earlier runs and the current one. */
void runtime_flow_counters(const struct rt_flow *f, struct flow_counters *out);
/* F's partitions (caller frees *out): a running flow's as its tasks last
 * published them; a paused flow's saved positions against the source's
 * end offsets as last queried (see lagwatch.h), those of topics the flow
 * still selects, their REASON set when the end offset is unknown. */
size_t runtime_flow_partitions(struct runtime *rt, const struct rt_flow *f, struct part_stat **out);
/* Asks for the paused flows' end offsets now; runtime_lag_fresh() says
 * when they have come (or 1 when there is nothing to wait for). */
uint64_t runtime_lag_refresh(struct runtime *rt);
int runtime_lag_fresh(struct runtime *rt, uint64_t ticket);
/* Stops every flow and releases everything. */
void runtime_stop(struct runtime *rt);

/* The text of the running revision (caller frees). */
char *runtime_config_text(struct runtime *rt);

#endif
