/*
 * test_sink_outbox.c — the history sink's outbox in the state store
 * (schema/012_sink_outbox.sql): nothing is queued while the sink is off;
 * turning it on backfills what the store holds, once; triggers queue each
 * audit entry, offset sync, revision and changed placement verdict once,
 * and a ledger row as its newest state under a new id; batches come in id
 * order above a cursor; a remote topic's retention only when new or
 * changed (schema/013_remote_retention.sql); delivered events are deleted; a PostgreSQL cursor
 * above every id the store made moves the waiting events above it; off
 * drops what waits. Also sink_conninfo_masked().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "appliance/sink/sink.h"
#include "appliance/store/state.h"
#include "store_files.h"
#include "tap.h"

#define MAXEV 64

struct evs {
	int n;
	int64_t id[MAXEV];
	char kind[MAXEV][32];
	char payload[MAXEV][512];
};

static int collect(void *ctx, int64_t id, const char *kind, const char *payload)
{
	struct evs *e = ctx;

	if (e->n < MAXEV) {
		e->id[e->n] = id;
		snprintf(e->kind[e->n], sizeof(e->kind[0]), "%s", kind);
		snprintf(e->payload[e->n], sizeof(e->payload[0]), "%s", payload);
		e->n++;
	}
	return 0;
}

static struct evs batch(struct state *st, int64_t after, int limit)
{
	struct evs e = { 0 };
	struct ferr err;

	if (state_sink_batch(st, after, limit, collect, &e, &err) < 0)
		diag("batch: %s", err.msg);
	return e;
}

static int64_t pending(struct state *st)
{
	int64_t n = -1, oldest;
	struct ferr err;

	if (state_sink_pending(st, &n, &oldest, &err))
		diag("pending: %s", err.msg);
	return n;
}

static void audit(struct state *st, const char *action)
{
	struct audit_entry e = { .ts_ms = 1764784681123LL,
				 .who = "alice",
				 .role = "admin",
				 .origin = "unix",
				 .action = action,
				 .result = "ok",
				 .detail = "a \"quoted\"\tdetail\\" };
	struct ferr err;

	if (state_audit_add(st, &e, &err))
		diag("audit: %s", err.msg);
}

static int count_kind(const struct evs *e, const char *kind)
{
	int n = 0;

	for (int i = 0; i < e->n; i++)
		n += strcmp(e->kind[i], kind) == 0;
	return n;
}

int main(void)
{
	char dir[] = "/tmp/ferry-test-sink-XXXXXX";
	struct state *st;
	struct ferr err;
	struct evs e;
	int on = -1;
	int64_t seq;
	char buf[256];

	ok(mkdtemp(dir) != NULL, "temp dir");
	ok(state_open(dir, &st, &err) == 0, "opens and migrates");
	ok(state_sink_enabled(st, &on, &err) == 0 && on == 0, "the sink is off in a new store");

	/* --- off: nothing queued --- */
	audit(st, "show version");
	ok(state_sink_event_add(st, "cluster_snapshot", "[\"c\",1,\"A\"]", "{}", &err) == 0,
	   "a C event while off");
	is_int(pending(st), 0, "off: nothing is queued");

	/* --- on: the backfill --- */
	{
		struct revision r = { .who = "ferryd",
				      .comment = "",
				      .text = "clusters = A",
				      .source_file = "/f",
				      .source_sha256 = "x" };
		int rev;

		ok(state_revision_add(st, &r, &rev, &err) == 0, "a revision");
	}
	ok(state_sink_set_enabled(st, 1, &err) == 0, "turned on");
	ok(state_sink_enabled(st, &on, &err) == 0 && on == 1, "on");
	e = batch(st, 0, 100);
	is_int(e.n, 2, "the backfill queued the audit entry and the revision");
	is_int(count_kind(&e, "audit"), 1, "one audit event");
	is_int(count_kind(&e, "config_revision"), 1, "one revision event");
	like(e.payload[count_kind(&e, "audit") && strcmp(e.kind[0], "audit") == 0 ? 0 : 1],
	     "\"ts\":\"2025-12-03T17:58:01.123Z\"", "times are ISO-8601 UTC with ms");
	ok(state_sink_set_enabled(st, 1, &err) == 0 && pending(st) == 2,
	   "turning it on again queues nothing twice");

	/* --- triggers --- */
	audit(st, "show flows");
	e = batch(st, 0, 100);
	is_int(e.n, 3, "a new audit entry is queued");
	like(e.payload[2], "\"action\":\"show flows\"", "with its action");
	like(e.payload[2], "a \\\"quoted\\\"\\tdetail\\\\", "JSON escapes kept");
	ok(e.id[0] < e.id[1] && e.id[1] < e.id[2], "in id order");
	{
		struct state_position p = { .topic = "t",
					    .partition = 0,
					    .next_offset = 10,
					    .last_upstream = -1,
					    .last_downstream = -1,
					    .last_timestamp = -1,
					    .last_record = -1 };
		struct state_sync s = {
			.topic = "t", .partition = 0, .upstream = 5, .downstream = 3, .known_up = -1
		};
		struct state_ledger l = { .records = 10,
					  .bytes = 100,
					  .first_offset = 0,
					  .last_offset = 9,
					  .first_ts = 1000,
					  .last_ts = 2000 };

		ok(state_positions_save_ledger(st, "A->B", &p, &l, 1, &s, 1, 1000, &err) == 0,
		   "a save with an offset sync and a ledger entry");
		ok(state_positions_save_ledger(st, "A->B", &p, &l, 1, &s, 1, 1000, &err) == 0,
		   "the same sync again, the ledger grows");
	}
	e = batch(st, 0, 100);
	is_int(count_kind(&e, "offset_sync"), 1, "the offset sync once");
	is_int(count_kind(&e, "transfer"), 1, "the ledger row once, coalesced");
	ok(strcmp(e.kind[e.n - 1], "transfer") == 0 && strstr(e.payload[e.n - 1], "\"records\":20"),
	   "its newest state, with the newest id");

	ok(state_placement_verdict(st, "A->B", "t", "B", 1, "", "", "", &err) == 0, "a verdict");
	ok(state_placement_verdict(st, "A->B", "t", "B", 1, "", "", "", &err) == 0, "the same");
	ok(state_placement_verdict(st, "A->B", "t", "B", 0, "pii", "pd", "GDPR", &err) == 0,
	   "a changed verdict");
	ok(state_placement_verdict(st, "A->B", "t", "B", 0, "pii", "pd", "GDPR Art. 49", &err) == 0,
	   "the same verdict on another legal basis");
	e = batch(st, 0, 100);
	is_int(count_kind(&e, "placement_decision"), 3,
	       "three decisions: new, changed, and on a new basis");
	like(e.payload[e.n - 1], "\"allowed\":false", "allowed as a JSON boolean");

	{
		struct state_checkpoint c = { .flow = "A->B",
					      .group = "g",
					      .topic = "t",
					      .remote_topic = "A.t",
					      .partition = 0,
					      .upstream = 5,
					      .downstream = 3,
					      .ts_ms = 1000 };

		ok(state_checkpoint_put(st, &c, &err) == 0, "a checkpoint");
	}
	e = batch(st, 0, 100);
	is_int(count_kind(&e, "checkpoint"), 1, "the checkpoint queued");
	like(e.payload[e.n - 1], "\"remote_topic\":\"A.t\"", "with the remote topic it named");

	/* schema/013_remote_retention.sql: only a new or changed value is news */
	is_int(state_remote_retention_put(st, "B", "A.t", 604800000, 1764784681123LL, "A->B", "t",
					  &err),
	       1, "a remote topic's retention recorded");
	is_int(state_remote_retention_put(st, "B", "A.t", 604800000, 1764784690000LL, "A->B", "t",
					  &err),
	       0, "the same value read again: unchanged");
	is_int(state_remote_retention_put(st, "B", "A.t", 3600000, 1764784700000LL, "A->B", "t",
					  &err),
	       1, "a changed value recorded");
	e = batch(st, 0, 100);
	is_int(count_kind(&e, "topic_retention"), 2, "two retention events: new, then changed");
	like(e.payload[e.n - 1],
	     "\"cluster\":\"B\",\"topic\":\"A.t\",\"retention_ms\":3600000,"
	     "\"observed_at\":\"2025-12-03T17:58:20.000Z\",\"flow\":\"A->B\","
	     "\"source_topic\":\"t\"",
	     "with the new value and when it was read");

	ok(state_sink_event_add(st, "rule_snapshot", "[\"r\",1,\"pii\"]", "{\"rule\":\"pii\"}",
				&err) == 0 &&
		   state_sink_event_add(st, "rule_snapshot", "[\"r\",1,\"pii\"]",
					"{\"rule\":\"pii\"}", &err) == 0,
	   "a C event, twice");
	e = batch(st, 0, 100);
	is_int(count_kind(&e, "rule_snapshot"), 1, "queued once per key");

	/* --- batches, delivery --- */
	{
		int64_t total = pending(st);
		struct evs b1 = batch(st, 0, 3), b2;

		is_int(b1.n, 3, "a batch of at most 3");
		b2 = batch(st, b1.id[2], 100);
		is_int(b2.n, total - 3, "the rest above its last id");
		ok(state_sink_delete(st, b1.id[2], &err) == 0, "delivered up to the batch");
		is_int(pending(st), total - 3, "gone from the outbox");
	}

	/* --- a cursor from another store --- */
	{
		int64_t before = pending(st);

		ok(state_sink_rebase(st, 1000000, &seq, &err) == 0,
		   "rebase above a foreign cursor");
		ok(seq < 1000000, "this store's ids were all below it");
		e = batch(st, 1000000, 100);
		is_int(e.n, before, "every waiting event is above the cursor now, none lost");
		audit(st, "after the rebase");
		e = batch(st, 1000000, 100);
		ok(e.n == before + 1 && e.id[e.n - 1] > e.id[e.n - 2], "new ids follow them");
		ok(state_sink_rebase(st, 5, &seq, &err) == 0 && batch(st, 1000000, 100).n == e.n,
		   "a cursor below changes nothing");
	}

	/* --- off --- */
	ok(state_sink_set_enabled(st, 0, &err) == 0, "turned off");
	is_int(pending(st), 0, "off drops what waits");
	audit(st, "while off");
	is_int(pending(st), 0, "and queues nothing");
	state_close(st);
	store_files_remove(dir);

	/* --- conninfo shown --- */
	ok(sink_conninfo_masked("host=db1 dbname=h user=u password=pw", buf, sizeof(buf), &err) ==
		   0,
	   "a conninfo parses");
	ok(strstr(buf, "host=db1") && strstr(buf, "password=********") && !strstr(buf, "pw "),
	   "its password masked: %s", buf);
	ok(sink_conninfo_masked("postgresql://u:pw@db1/h", buf, sizeof(buf), &err) == 0 &&
		   !strstr(buf, "=pw"),
	   "a URI's password masked too: %s", buf);
	ok(sink_conninfo_masked("host=db1 nosuch=1", buf, sizeof(buf), &err) == -1 &&
		   strstr(err.msg, "nosuch"),
	   "a bad one says why: %s", err.msg);
	return done_testing();
}
