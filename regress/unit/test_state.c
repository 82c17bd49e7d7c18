/*
 * test_state.c — the SQLite state store: migrations and positions.
 */
#include "appliance/state.h"
#include "appliance/state_schema.h"
#include "appliance/translate.h"
#include "tap.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
	char dir[] = "/tmp/ferry-state-XXXXXX";
	char sub[128], dbpath[160];
	struct state *st, *w;
	struct ferr err;
	int64_t pos;
	int v;

	ok(mkdtemp(dir) != NULL, "temp dir");
	snprintf(sub, sizeof(sub), "%s/nested/state", dir);
	ok(state_open(sub, &st, &err) == 0, "opens, creating missing directories");
	ok(state_schema_version(st, &v, &err) == 0 && v == (int)schema_migrations_count,
	   "migrated to the latest schema version");
	is_int(state_position_get(st, "A->B", "orders", 0, &pos, &err), 0, "no position yet");

	struct state_position ps[] = { { "orders", 0, 100, 99, 99, -1, 0, 0 },
				       { "orders", 1, 7, -1, -1, -1, 0, 0 },
				       { "pay", 0, 0, -1, -1, -1, 0, 0 } };

	ok(state_positions_save(st, "A->B", ps, 3, NULL, 0, 100, &err) == 0, "save three positions");
	ok(state_position_get(st, "A->B", "orders", 1, &pos, &err) == 1 && pos == 7, "read back");
	is_int(state_position_get(st, "A->C", "orders", 1, &pos, &err), 0, "flows are separate");
	ps[0].next_offset = 200;
	ps[0].last_upstream = ps[0].last_downstream = -1;   /* unknown: keeps what is saved */
	ok(state_positions_save(st, "A->B", ps, 1, NULL, 0, 100, &err) == 0, "update");
	ok(state_position_get(st, "A->B", "orders", 0, &pos, &err) == 1 && pos == 200, "updated");

	ok(state_open_worker(sub, &w, &err) == 0, "a worker connection");
	ok(state_position_get(w, "A->B", "orders", 0, &pos, &err) == 1 && pos == 200,
	   "sees the same data");
	struct state_position bad = { "orders", 0, -5, -1, -1, -1, 0, 0 };

	ok(state_positions_save(w, "A->B", &bad, 1, NULL, 0, 100, &err) == -1,
	   "a negative position is refused");
	like(err.msg, "ferry.db", "error names the database");
	ok(state_position_get(w, "A->B", "orders", 0, &pos, &err) == 1 && pos == 200,
	   "nothing half-applied");

	/* offset syncs: saved with positions, loaded in downstream order, pruned */
	struct state_sync sy[] = { { "orders", 0, 0, 0 }, { "orders", 0, 20, 10 },
				   { "orders", 0, 31, 20 }, { "orders", 1, 5, 0 } };
	struct state_position p0 = { "orders", 0, 41, 40, 29, -1, 0, 0 };
	struct offset_sync *os;
	size_t n;
	int64_t last;

	ok(state_positions_save(w, "A->B", &p0, 1, sy, 4, 100, &err) == 0, "syncs saved");
	ok(state_syncs_load(w, "A->B", "orders", 0, &os, &n, &last, &err) == 0 && n == 3 &&
	   last == 29, "three syncs of partition 0, last downstream 29");
	ok(n == 3 && os[1].upstream == 20 && os[1].downstream == 10, "in downstream order");
	free(os);
	struct state_sync more[] = { { "orders", 0, 40, 30 }, { "orders", 0, 50, 35 } };

	ok(state_positions_save(w, "A->B", NULL, 0, more, 2, 3, &err) == 0, "retention 3");
	ok(state_syncs_load(w, "A->B", "orders", 0, &os, &n, &last, &err) == 0 && n == 3 &&
	   os[0].downstream == 20, "the oldest went first");
	free(os);
	ok(state_syncs_load(w, "A->C", "orders", 0, &os, &n, &last, &err) == 0 && n == 0 &&
	   last == -1, "another flow has none");
	free(os);

	int64_t d = 0;

	is_int(state_group_commit_get(w, "B", "g", "A.orders", 0, &d, &err), 0, "no group commit");
	ok(state_group_commit_put(w, "B", "g", "A.orders", 0, 50, 40, &err) == 0 &&
	   state_group_commit_get(w, "B", "g", "A.orders", 0, &d, &err) == 1 && d == 40,
	   "a group commit round-trips");
	state_close(w);
	state_close(st);

	ok(state_open(sub, &st, &err) == 0, "reopen (migrations idempotent)");
	ok(state_position_get(st, "A->B", "pay", 0, &pos, &err) == 1 && pos == 0, "positions survive");
	state_close(st);

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

	char cmd[256];

	snprintf(cmd, sizeof(cmd), "%s/nested/state/ferry.db", dir);
	unlink(cmd);
	snprintf(cmd, sizeof(cmd), "%s/nested/state/ferry.db-wal", dir);
	unlink(cmd);
	snprintf(cmd, sizeof(cmd), "%s/nested/state/ferry.db-shm", dir);
	unlink(cmd);
	snprintf(cmd, sizeof(cmd), "%s/nested/state", dir);
	rmdir(cmd);
	snprintf(cmd, sizeof(cmd), "%s/nested", dir);
	rmdir(cmd);
	rmdir(dir);
	return done_testing();
}
