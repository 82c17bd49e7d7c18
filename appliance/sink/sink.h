/*
 * sink.h — the history sink: ferryd's audit trail, offset-sync history,
 * checkpoints, transfer ledger, configuration revisions, cluster and rule
 * snapshots and placement decisions, delivered to PostgreSQL (the tables
 * of pgext/sql/20_sink.sql) over libpq, exactly once.
 *
 * Events wait in the state store's outbox (schema/012_sink_outbox.sql),
 * queued in the transaction that makes them. One thread of the sink's own
 * reads them in id order, a batch (ferry.sink.batch.size) at a time, COPYs
 * them into a temporary table and calls ferry.sink_apply(), which applies
 * them and advances the appliance's cursor in the same PostgreSQL
 * transaction; then deletes them from the outbox. After a reconnect or a
 * crash it reads the cursor back, so an event is neither lost nor applied
 * twice. While PostgreSQL is away the thread retries with a backoff and the
 * events stay on disk. Every libpq call is non-blocking and bounded, so a
 * PostgreSQL that does not answer delays ferryd's stop by at most ~0.2 s.
 */
#ifndef FERRY_SINK_H
#define FERRY_SINK_H

#include <stdint.h>

#include "appliance/conf/conf.h"
#include "lib/err.h"

struct sink;

/* What `show sink` and the metrics show (a copy taken under the lock). */
struct sink_status {
	char state[32];         /* off, connecting, connected, unreachable, error */
	char target[1024];      /* the conninfo, any password masked; "" off */
	int64_t delivered_upto; /* PostgreSQL's cursor: the highest event id applied; -1 unknown */
	int64_t pending;        /* events waiting in the outbox; -1 unknown */
	int64_t oldest_ms;      /* when the oldest of them was queued (wall ms); 0 none */
	int64_t delivered;      /* events delivered since ferryd started */
	int64_t errors;         /* failed connects and batches since ferryd started */
	char last_error[512];   /* "" none */
	int64_t last_error_ms;
};

/* Starts the sink's thread for the store in STATE_DIR, delivering as
 * APPLIANCE (ferry.appliance.name or the host name). It does nothing until
 * sink_configure() hands it a configuration. */
int sink_start(const char *state_dir, const char *appliance, struct sink **out, struct ferr *err);
/* C (a reference: taken) runs as REVISION: the thread takes its ferry.sink.*
 * keys (a changed conninfo reconnects), turns the outbox on or off, and
 * queues the revision's cluster and rule snapshots. Main thread; never
 * blocks. */
void sink_configure(struct sink *s, struct conf *c, int revision);
void sink_status(struct sink *s, struct sink_status *out);
/* Stops the thread (within ~0.5 s, PostgreSQL answering or not) and frees. */
void sink_stop(struct sink *s);

/* CONNINFO as `show sink` prints it: every keyword with a value, a password
 * as ********. 0, or -1 when it does not parse (ERR says why). */
int sink_conninfo_masked(const char *conninfo, char *buf, size_t sz, struct ferr *err);

#endif
