/*
 * test_state.c — the SQLite state store: migrations, positions, and the
 * offset-sync history (pruning, translate_from, holes, one-snapshot loads,
 * history cuts).
 */
#include "acl/aclmap.h"
#include "appliance/store/state.h"
#include "appliance/store/state_schema.h"
#include "appliance/dr/translate.h"
#include "store_files.h"
#include "tap.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define SY(t, p, u, d)                                                             \
	{                                                                          \
		.topic = (t), .partition = (p), .upstream = (u), .downstream = (d) \
	}

/* Loads the history of A->B orders[P] and translates G: the answer or -1,
 * the result in *R. */
static int64_t tr_at(struct state *st, int32_t p, int64_t g, enum translate_result *r)
{
	struct offset_history h;
	struct ferr err;
	int64_t d = -1;

	if (state_syncs_load(st, "A->B", "orders", p, &h, &err)) {
		diag("load: %s", err.msg);
		*r = TRANSLATE_NONE;
		return -2;
	}
	*r = offsets_translate(&h, g, &d);
	offset_history_free(&h);
	return *r == TRANSLATE_OK ? d : -1;
}

/* a save by another connection in the middle of a load */
struct race {
	struct state *writer;
	int fired;
};

static void save_between(void *ctx)
{
	struct race *x = ctx;
	struct ferr err;
	struct state_sync y = SY("orders", 5, 110, 100);
	struct state_position p = { "orders", 5, 131, 130, 120, -1, 0, 0, -1 };

	if (x->fired++)
		return;
	if (state_positions_save(x->writer, "A->B", &p, 1, &y, 1, 100, &err))
		diag("racing save: %s", err.msg);
}

struct ckpt_seen {
	size_t n;
	int64_t up, down, ts;
	char remote[64];
};

static void ckpt_seen_fn(void *ctx, const struct state_checkpoint *c)
{
	struct ckpt_seen *x = ctx;

	x->n++;
	x->up = c->upstream;
	x->down = c->downstream;
	x->ts = c->ts_ms;
	snprintf(x->remote, sizeof(x->remote), "%s", c->remote_topic);
}

struct audit_seen {
	size_t n;
	int64_t first, last;
};

static void audit_seen_fn(void *ctx, const struct audit_entry *e)
{
	struct audit_seen *x = ctx;

	if (!x->n++)
		x->first = e->id;
	x->last = e->id;
}

int main(void)
{
	char dir[] = "/tmp/ferry-state-XXXXXX";
	char sub[128], dbpath[256], cmd[256];
	struct state *st, *w;
	struct ferr err;
	int64_t pos, d;
	int v;

	ok(mkdtemp(dir) != NULL, "temp dir");
	snprintf(sub, sizeof(sub), "%s/nested/state", dir);
	if (!ok(state_open(sub, &st, &err) == 0, "opens, creating missing directories")) {
		/* nothing below can run without it (a statement without its
		 * SQL, a migration that fails): say why and stop */
		diag("%s", err.msg);
		return done_testing();
	}
	ok(state_schema_version(st, &v, &err) == 0 && v == schema_version_latest,
	   "migrated to the latest schema version");
	is_int(state_position_get(st, "A->B", "orders", 0, &pos, &err), 0, "no position yet");

	/* the remote topics ferry created (topic config sync alters only these) */
	{
		char owner[64] = "";

		is_int(state_topic_created_get(st, "B", "A.orders", owner, sizeof(owner), &err), 0,
		       "a topic not recorded is not ferry's");
		ok(state_topic_created_add(st, "B", "A.orders", "A->B", "orders", &err) == 0,
		   "a created topic is recorded");
		is_int(state_topic_created_get(st, "B", "A.orders", owner, sizeof(owner), &err), 1,
		       "and found");
		is(owner, "A->B", "with the flow that created it");
		is_int(state_topic_created_get(st, "C", "A.orders", NULL, 0, &err), 0,
		       "per target cluster");
	}

	struct state_position ps[] = { { "orders", 0, 100, 99, 99, -1, 0, 0, -1 },
				       { "orders", 1, 7, -1, -1, -1, 0, 0, -1 },
				       { "pay", 0, 0, -1, -1, -1, 0, 0, -1 } };

	ok(state_positions_save(st, "A->B", ps, 3, NULL, 0, 100, &err) == 0,
	   "save three positions");
	ok(state_position_get(st, "A->B", "orders", 1, &pos, &err) == 1 && pos == 7, "read back");
	is_int(state_position_get(st, "A->C", "orders", 1, &pos, &err), 0, "flows are separate");
	ps[0].next_offset = 200;
	ps[0].last_upstream = ps[0].last_downstream = -1; /* unknown: keeps what is saved */
	ok(state_positions_save(st, "A->B", ps, 1, NULL, 0, 100, &err) == 0, "update");
	ok(state_position_get(st, "A->B", "orders", 0, &pos, &err) == 1 && pos == 200, "updated");

	ok(state_open_worker(sub, &w, &err) == 0, "a worker connection");
	ok(state_position_get(w, "A->B", "orders", 0, &pos, &err) == 1 && pos == 200,
	   "sees the same data");
	struct state_position bad = { "orders", 0, -5, -1, -1, -1, 0, 0, -1 };

	ok(state_positions_save(w, "A->B", &bad, 1, NULL, 0, 100, &err) == -1,
	   "a negative position is refused");
	like(err.msg, "ferry.db", "error names the database");
	ok(state_position_get(w, "A->B", "orders", 0, &pos, &err) == 1 && pos == 200,
	   "nothing half-applied");

	/* offset syncs: saved with positions, loaded in downstream order, pruned */
	struct state_sync sy[] = { SY("orders", 0, 0, 0), SY("orders", 0, 20, 10),
				   SY("orders", 0, 31, 20), SY("orders", 1, 5, 0) };
	struct state_position p0 = { "orders", 0, 41, 40, 29, -1, 0, 0, -1 };
	struct offset_history h;
	enum translate_result r;

	ok(state_positions_save(w, "A->B", &p0, 1, sy, 4, 100, &err) == 0, "syncs saved");
	ok(state_syncs_load(w, "A->B", "orders", 0, &h, &err) == 0 && h.n == 3 && h.last_down == 29,
	   "three syncs of partition 0, last downstream 29");
	ok(h.n == 3 && h.syncs[1].upstream == 20 && h.syncs[1].downstream == 10,
	   "in downstream order");
	is_int(h.translate_from, 0, "a start from the beginning: exact from 0");
	offset_history_free(&h);
	is_int(tr_at(w, 0, 25, &r), 15, "exact: within the second run");
	struct state_sync more[] = { SY("orders", 0, 40, 30), SY("orders", 0, 50, 35) };

	struct state_position p1 = { "orders", 0, 56, 55, 40, -1, 0, 0, -1 };

	ok(state_positions_save(w, "A->B", &p1, 1, more, 2, 3, &err) == 0, "retention 3");
	ok(state_syncs_load(w, "A->B", "orders", 0, &h, &err) == 0 && h.n == 3 &&
		   h.syncs[0].downstream == 20,
	   "the oldest went first");
	is_int(h.translate_from, 31, "the count cap raised translate_from to the oldest kept sync");
	offset_history_free(&h);
	is_int(tr_at(w, 0, 25, &r), -1, "pruned by the count cap: no answer");
	is_int(r, TRANSLATE_BELOW_HISTORY, "TRANSLATE_BELOW_HISTORY, not the oldest sync's offset");
	is_int(tr_at(w, 0, 31, &r), 20, "the oldest kept sync still translates");
	ok(state_syncs_load(w, "A->C", "orders", 0, &h, &err) == 0 && h.n == 0 &&
		   h.last_down == -1 && h.translate_from == -1,
	   "another flow has none");
	offset_history_free(&h);

	/* mirroring began mid-topic at 1000 (no history yet): exact from there */
	struct state_sync mid = SY("orders", 2, 1000, 0);
	struct state_position pm = { "orders", 2, 1010, 1009, 9, -1, 0, 0, -1 };

	mid.translate_from = 1000;
	ok(state_positions_save(w, "A->B", &pm, 1, &mid, 1, 100, &err) == 0, "a start mid-topic");
	is_int(tr_at(w, 2, 999, &r), -1, "below where mirroring began: no answer");
	is_int(r, TRANSLATE_BELOW_HISTORY, "TRANSLATE_BELOW_HISTORY");
	is_int(tr_at(w, 2, 1005, &r), 5, "above it: exact");
	struct state_sync later = SY("orders", 2, 1020, 10);

	later.translate_from = 0; /* ignored: the partition has a history */
	pm.next_offset = 1030;
	pm.last_upstream = 1029;
	pm.last_downstream = 19;
	ok(state_positions_save(w, "A->B", &pm, 1, &later, 1, 100, &err) == 0, "a later sync");
	is_int(tr_at(w, 2, 999, &r), -1, "translate_from stays where the history began");

	/* pruned by the source's log start: runs 0..99 -> 0.., 101..199 ->
	 * 100.., 202.. -> 199..; the log start 150 lies in the second run */
	struct state_sync ls[] = { SY("orders", 3, 0, 0), SY("orders", 3, 101, 100),
				   SY("orders", 3, 202, 199) };
	struct state_position pl = { "orders", 3, 300, 299, 296, -1, 0, 0, -1 };

	ls[2].log_start = 150;
	ok(state_positions_save(w, "A->B", &pl, 1, ls, 3, 100, &err) == 0, "log start 150");
	ok(state_syncs_load(w, "A->B", "orders", 3, &h, &err) == 0 && h.n == 2 &&
		   h.syncs[0].upstream == 101 && h.translate_from == 101,
	   "runs wholly below the log start pruned; exact from the run holding it");
	offset_history_free(&h);
	is_int(tr_at(w, 3, 100, &r), -1, "below: no answer");
	is_int(r, TRANSLATE_BELOW_HISTORY, "TRANSLATE_BELOW_HISTORY");
	is_int(tr_at(w, 3, 150, &r), 149, "the log start translates exactly");
	is_int(tr_at(w, 3, 250, &r), 247, "and above it");

	/* acknowledgements without target offsets: 0..9 known (0 -> 0), 10..19
	 * unknown (a marker at 15 among them), then 20 -> 19 known */
	struct state_sync u0 = SY("orders", 4, 0, 0), u1 = SY("orders", 4, 20, 19);
	struct state_position pu = { "orders", 4, 10, 9, 9, -1, 0, 0, -1 };

	ok(state_positions_save(w, "A->B", &pu, 1, &u0, 1, 100, &err) == 0, "known records");
	u1.after_unknown = 1;
	u1.unknown_min = 10;
	u1.known_up = 9;
	pu.next_offset = 30;
	pu.last_upstream = 29;
	pu.last_downstream = 28;
	ok(state_positions_save(w, "A->B", &pu, 1, &u1, 1, 100, &err) == 0,
	   "a fresh sync after unknown ones");
	ok(state_syncs_load(w, "A->B", "orders", 4, &h, &err) == 0 && h.nholes == 1 &&
		   h.holes[0].from == 11 && h.holes[0].to == 19,
	   "the hole 11..19 is kept");
	offset_history_free(&h);
	is_int(tr_at(w, 4, 10, &r), 10, "g after the last known record: exact");
	is_int(tr_at(w, 4, 17, &r), -1, "g inside the unknown range: no answer");
	is_int(r, TRANSLATE_UNKNOWN_RANGE, "TRANSLATE_UNKNOWN_RANGE");
	is_int(tr_at(w, 4, 20, &r), 19, "the fresh sync: exact");
	is_int(tr_at(w, 4, 25, &r), 24, "after it: exact");

	/* a restart after unknown acknowledgements at the end of the last run:
	 * the first known record of the new run is not contiguous with the
	 * saved last one on the target */
	struct state_sync u2 = SY("orders", 4, 40, 39);

	u2.known_up = -1;
	pu.next_offset = 41;
	pu.last_upstream = 40;
	pu.last_downstream = 39;
	ok(state_positions_save(w, "A->B", &pu, 1, &u2, 1, 100, &err) == 0, "after a restart");
	is_int(tr_at(w, 4, 30, &r), 29, "g just after the saved last record: exact");
	is_int(tr_at(w, 4, 35, &r), -1, "g between it and the new run: no answer");
	is_int(r, TRANSLATE_UNKNOWN_RANGE, "TRANSLATE_UNKNOWN_RANGE");
	is_int(tr_at(w, 4, 40, &r), 39, "the new run: exact");
	struct state_sync u3 = SY("orders", 4, 41, 40);

	u3.known_up = -1; /* a restart, contiguous on the target: no hole */
	pu.next_offset = 42;
	pu.last_upstream = 41;
	pu.last_downstream = 40;
	ok(state_positions_save(w, "A->B", &pu, 1, &u3, 1, 100, &err) == 0, "a contiguous restart");
	ok(state_syncs_load(w, "A->B", "orders", 4, &h, &err) == 0 && h.nholes == 2,
	   "adds no hole");
	offset_history_free(&h);
	/* the count cap past the holes takes them along */
	struct state_sync u4 = SY("orders", 4, 50, 48);

	ok(state_positions_save(w, "A->B", NULL, 0, &u4, 1, 1, &err) == 0, "retention 1");
	ok(state_syncs_load(w, "A->B", "orders", 4, &h, &err) == 0 && h.n == 1 && h.nholes == 0 &&
		   h.translate_from == 50,
	   "holes below translate_from go with the syncs");
	offset_history_free(&h);

	/* a save racing a load: the load sees the store before or after the
	 * save, never its syncs from before and its last record from after */
	struct state_sync r0 = SY("orders", 5, 0, 0);
	struct state_position pr = { "orders", 5, 100, 99, 99, -1, 0, 0, -1 };
	struct race x = { st, 0 };

	ok(state_positions_save(w, "A->B", &pr, 1, &r0, 1, 100, &err) == 0, "0..99 mirrored 1:1");
	state_syncs_load_hook = save_between;
	state_syncs_load_hook_ctx = &x;
	ok(state_syncs_load(w, "A->B", "orders", 5, &h, &err) == 0, "a load with a racing save");
	state_syncs_load_hook = NULL;
	is_int(x.fired, 1, "the save ran between the load's reads");
	is_int(h.last_down, 99, "the load saw the last record of its own snapshot");
	is_int(offsets_translate(&h, 105, &d), TRANSLATE_OK, "and translates");
	is_int(d, 100, "g past its end -> its downstream end, not a run stretched over 110 -> 100");
	offset_history_free(&h);
	is_int(tr_at(w, 5, 105, &r), 100, "a fresh load sees the save whole");
	is_int(tr_at(w, 5, 115, &r), 105, "with its sync");

	/* a history cut at a discontinuity of the source */
	ok(state_history_cut(w, "A->B", "orders", 4, 7, &err) == 0, "history cut at 7");
	ok(state_syncs_load(w, "A->B", "orders", 4, &h, &err) == 0 && h.n == 0 && h.nholes == 0 &&
		   h.last_down == -1 && h.translate_from == 7,
	   "no syncs, no holes, exact from 7");
	offset_history_free(&h);
	ok(state_position_get(w, "A->B", "orders", 4, &pos, &err) == 1 && pos == 7,
	   "the position is 7");
	is_int(tr_at(w, 4, 40, &r), -1, "nothing translates across the cut");
	is_int(r, TRANSLATE_NONE, "TRANSLATE_NONE until something is mirrored");
	struct state_sync c1 = SY("orders", 4, 9, 60);
	struct state_position pc = { "orders", 4, 20, 19, 70, -1, 0, 0, -1 };

	c1.known_up = -1;
	c1.translate_from = 9; /* ignored: the cut set it */
	ok(state_positions_save(w, "A->B", &pc, 1, &c1, 1, 100, &err) == 0,
	   "mirrored after the cut");
	is_int(tr_at(w, 4, 7, &r), 60, "from the cut on: exact");
	is_int(tr_at(w, 4, 6, &r), -1, "below the cut: no answer");
	is_int(r, TRANSLATE_BELOW_HISTORY, "TRANSLATE_BELOW_HISTORY");
	ok(state_history_cut(w, "A->B", "orders", 99, 0, &err) == 0 &&
		   state_position_get(w, "A->B", "orders", 99, &pos, &err) == 1 && pos == 0,
	   "a cut of a partition without a position creates it");

	d = 0;
	is_int(state_group_commit_get(w, "B", "g", "A.orders", 0, &d, &err), 0, "no group commit");
	ok(state_group_commit_put(w, "B", "g", "A.orders", 0, 50, 40, &err) == 0 &&
		   state_group_commit_get(w, "B", "g", "A.orders", 0, &d, &err) == 1 && d == 40,
	   "a group commit round-trips");

	/* ACL bindings ferry created (schema 007) */
	{
		struct aclmap_binding a, b;
		struct aclmap_list l = { 0 };

		aclmap_binding_set(&a, RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_PATTERN_PREFIXED,
				   "A.ord", "User:bob", "*",
				   RD_KAFKA_ACL_OPERATION_DESCRIBE_CONFIGS,
				   RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW);
		aclmap_binding_set(&b, RD_KAFKA_RESOURCE_GROUP, RD_KAFKA_RESOURCE_PATTERN_LITERAL,
				   "app-1", "User:alice", "10.0.0.1", RD_KAFKA_ACL_OPERATION_READ,
				   RD_KAFKA_ACL_PERMISSION_TYPE_DENY);
		ok(state_acl_add(w, "A->B", "B", &a, &err) == 0 &&
			   state_acl_add(w, "A->B", "B", &b, &err) == 0 &&
			   state_acl_add(w, "A->B", "B", &b, &err) == 0,
		   "ACL bindings recorded (twice is once)");
		ok(state_acl_list(w, "A->B", &l, &err) == 0 && l.n == 2, "both listed");
		aclmap_list_sort(&l);
		ok(aclmap_list_find(&l, &a) && aclmap_list_find(&l, &b), "every field round-trips");
		aclmap_list_free(&l);
		ok(state_acl_list(w, "C->B", &l, &err) == 0 && l.n == 0, "per flow");
		ok(state_acl_del(w, "A->B", &a, &err) == 0 &&
			   state_acl_list(w, "A->B", &l, &err) == 0 && l.n == 1 &&
			   aclmap_cmp(&l.v[0], &b) == 0,
		   "one forgotten, the other kept");
		aclmap_list_free(&l);
	}
	/* checkpoints (show checkpoints): one row per group partition, replaced */
	{
		struct state_checkpoint cp1 = {
			"A->B", "g1", "orders", "A.orders", 0, 10, 12, 1000
		};
		struct state_checkpoint cp2 = { "A->B", "g2", "orders", "A.orders", 1, 5, 5, 1001 };
		struct ckpt_seen seen = { 0 };

		ok(state_checkpoint_put(w, &cp1, &err) == 0 &&
			   state_checkpoint_put(w, &cp2, &err) == 0,
		   "checkpoints recorded");
		cp1.upstream = 20;
		cp1.downstream = 22;
		cp1.ts_ms = 2000;
		ok(state_checkpoint_put(w, &cp1, &err) == 0, "a later one of the same partition");
		ok(state_checkpoints_list(w, NULL, ckpt_seen_fn, &seen, &err) == 0 && seen.n == 2,
		   "two rows: the later replaced the earlier");
		seen.n = 0;
		ok(state_checkpoints_list(w, "g1", ckpt_seen_fn, &seen, &err) == 0 && seen.n == 1 &&
			   seen.up == 20 && seen.down == 22 && seen.ts == 2000 &&
			   strcmp(seen.remote, "A.orders") == 0,
		   "of one group: the last one");
	}
	/* the audit trail, paged (show audit --since/--after) */
	{
		struct audit_entry e = { .who = "t",
					 .role = "admin",
					 .origin = "unix",
					 .action = "x",
					 .result = "ok",
					 .detail = "" };
		struct audit_seen seen = { 0 };

		for (int i = 0; i < 5; i++) {
			e.ts_ms = 5000 + i * 1000;
			state_audit_add(w, &e, &err);
		}
		ok(state_audit_page(w, 0, 0, 100, audit_seen_fn, &seen, &err) == 0 && seen.n >= 5,
		   "the whole trail from the first");
		int64_t last = seen.last, first5 = seen.last - 4;

		seen = (struct audit_seen){ 0 };
		ok(state_audit_page(w, 0, first5, 2, audit_seen_fn, &seen, &err) == 0 &&
			   seen.n == 2 && seen.first == first5 + 1 && seen.last == first5 + 2,
		   "after an id, COUNT of them, oldest first");
		seen = (struct audit_seen){ 0 };
		ok(state_audit_page(w, 8000, 0, 100, audit_seen_fn, &seen, &err) == 0 &&
			   seen.n == 2 && seen.last == last,
		   "since a time: the entries at or after it");
		seen = (struct audit_seen){ 0 };
		ok(state_audit_page(w, 0, last, 100, audit_seen_fn, &seen, &err) == 0 &&
			   seen.n == 0,
		   "after the last: none");
	}
	state_close(w);
	state_close(st);

	ok(state_open(sub, &st, &err) == 0, "reopen (migrations idempotent)");
	ok(state_position_get(st, "A->B", "pay", 0, &pos, &err) == 1 && pos == 0,
	   "positions survive");
	state_close(st);

	/* a store from before 006 with a history: exact from its oldest sync */
	char olddir[128];
	sqlite3 *odb;

	snprintf(olddir, sizeof(olddir), "%s/old", dir);
	ok(mkdir(olddir, 0700) == 0, "a directory for an old store");
	snprintf(dbpath, sizeof(dbpath), "%s/ferry.db", olddir);
	ok(sqlite3_open(dbpath, &odb) == SQLITE_OK, "an old store");
	for (unsigned i = 0; i < schema_migrations_count && schema_migrations[i].version < 6; i++)
		sqlite3_exec(odb, schema_migrations[i].sql, NULL, NULL, NULL);
	ok(sqlite3_exec(odb,
			"INSERT INTO positions (flow, topic, partition, next_offset, updated_ms, "
			"last_upstream, last_downstream) VALUES ('A->B', 'orders', 0, 60, 0, 59, 49);"
			"INSERT INTO offset_syncs (flow, topic, partition, upstream, downstream, ts_ms) "
			"VALUES ('A->B', 'orders', 0, 30, 20, 0), ('A->B', 'orders', 0, 45, 30, 0);"
			"PRAGMA user_version = 5;",
			NULL, NULL, NULL) == SQLITE_OK,
	   "with a pruned history and no translate_from");
	sqlite3_close(odb);
	ok(state_open(olddir, &st, &err) == 0, "migrated to 006");
	is_int(tr_at(st, 0, 29, &r), -1, "below its oldest sync: no answer");
	is_int(r, TRANSLATE_BELOW_HISTORY, "TRANSLATE_BELOW_HISTORY");
	is_int(tr_at(st, 0, 35, &r), 25, "above it: exact");
	state_close(st);
	store_files_remove(olddir);

	/* a store from a newer ferryd is left alone */
	sqlite3 *db;

	snprintf(dbpath, sizeof(dbpath), "%s/ferry.db", sub);
	sqlite3_open(dbpath, &db);
	sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL);
	sqlite3_close(db);
	ok(state_open(sub, &st, &err) == -1, "newer schema refused");
	like(err.msg, "newer than this ferryd", "and says why");

	ok(state_open("/proc/ferry-cannot", &st, &err) == -1, "uncreatable directory");
	like(err.msg, "/proc/ferry-cannot", "error names the directory");

	store_files_remove(sub); /* DIR/nested/state */
	snprintf(cmd, sizeof(cmd), "%s/nested", dir);
	rmdir(cmd);
	rmdir(dir);
	return done_testing();
}
