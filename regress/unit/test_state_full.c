/*
 * test_state_full.c — the state store when its files cannot grow (a full
 * disk, simulated with RLIMIT_FSIZE so that no root is needed): a save
 * that fails reports it and changes nothing, the connection is not wedged
 * by a half-done transaction, and saves succeed again once the files can
 * grow, with nothing lost or corrupted. A group-commit record (the guard
 * that keeps a synced group offset from moving backwards) fails the same
 * way, visibly.
 */
#include "appliance/store/state.h"
#include "store_files.h"
#include "tap.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* Many syncs per save: each save needs new pages in the WAL. */
static int save_batch(struct state *st, int64_t round, struct ferr *err)
{
	static char topics[8][16];
	struct state_position ps[8];
	struct state_sync sy[8 * 16];
	size_t ns = 0;

	for (int t = 0; t < 8; t++) {
		snprintf(topics[t], sizeof(topics[t]), "topic-%d", t);
		ps[t] = (struct state_position){ .topic = topics[t],
						 .partition = 0,
						 .next_offset = round * 100 + 100,
						 .last_upstream = round * 100 + 99,
						 .last_downstream = round * 200 + 99,
						 .last_timestamp = -1 };
		for (int k = 0; k < 16; k++)
			sy[ns++] = (struct state_sync){
				.topic = topics[t],
				.partition = 0,
				// NOLINTNEXTLINE(bugprone-implicit-widening-of-multiplication-result): small test values
				.upstream = round * 100 + k * 6,
				// NOLINTNEXTLINE(bugprone-implicit-widening-of-multiplication-result): small test values
				.downstream = round * 200 + k * 12,
				.translate_from = -1,
				.unknown_min = -1,
				.known_up = -1,
				.log_start = -1
			};
	}
	return state_positions_save(st, "A->B", ps, 8, sy, ns, 1000000, err);
}

int main(void)
{
	char dir[] = "/tmp/ferry-state-full-XXXXXX";
	char db[128], wal[128], shm[128];
	struct state *st;
	struct ferr err;
	int64_t pos, round = 0, saved_round = -1;
	int failed = 0;

	signal(SIGXFSZ, SIG_IGN); /* EFBIG instead of a signal */
	ok(mkdtemp(dir) != NULL, "temp dir");
	snprintf(db, sizeof(db), "%s/ferry.db", dir);
	snprintf(wal, sizeof(wal), "%s/ferry.db-wal", dir);
	snprintf(shm, sizeof(shm), "%s/ferry.db-shm", dir);
	ok(state_open(dir, &st, &err) == 0, "store opened");
	ok(save_batch(st, round++, &err) == 0, "a first save");
	saved_round = 0;

	/* the files may not grow beyond their current size plus a little */
	off_t cap = file_size(wal) > file_size(db) ? file_size(wal) : file_size(db);

	ok(set_fsize((rlim_t)cap + 8192) == 0, "file size limited to %lld bytes",
	   (long long)cap + 8192);
	for (int i = 0; i < 2000 && !failed; i++) {
		if (save_batch(st, round, &err) == 0)
			saved_round = round;
		else
			failed = 1;
		round++;
	}
	ok(failed, "a save fails once the WAL cannot grow");
	like(err.msg, "ferry.db", "the error names the store: %s", err.msg);
	pos = -1;
	ok(state_position_get(st, "A->B", "topic-3", 0, &pos, &err) == 1 &&
		   pos == saved_round * 100 + 100,
	   "the failed save changed nothing");
	/* again and again: each attempt fails cleanly, none wedges the
	 * connection with a transaction left open */
	for (int i = 0; i < 5; i++)
		ok(save_batch(st, round, &err) == -1 &&
			   strstr(err.msg, "within a transaction") == NULL,
		   "retry %d fails for the same reason: %s", i + 1, err.msg);

	/* checkpoint.c commits a group offset on the target only once this
	 * record of it is saved: the failure must be reported */
	int64_t down = -1;
	int32_t gp = 0;

	/* small records may still fit in the WAL's last pages: until one fails */
	while (gp < 100000 &&
	       state_group_commit_put(st, "B", "billing", "A.orders", gp, -1, 4242, &err) == 0)
		gp++;
	ok(gp < 100000, "a group-commit record fails too, and says so: %s", err.msg);
	ok(state_group_commit_get(st, "B", "billing", "A.orders", gp, &down, &err) == 0,
	   "and nothing of it was saved");

	ok(set_fsize(RLIM_INFINITY) == 0, "the files may grow again");
	ok(save_batch(st, round, &err) == 0, "the next save succeeds: %s", err.msg);
	ok(state_group_commit_put(st, "B", "billing", "A.orders", gp, -1, 4242, &err) == 0 &&
		   state_group_commit_get(st, "B", "billing", "A.orders", gp, &down, &err) == 1 &&
		   down == 4242,
	   "the group-commit record is saved on the next try");
	ok(state_position_get(st, "A->B", "topic-3", 0, &pos, &err) == 1 &&
		   pos == round * 100 + 100,
	   "and is read back");
	state_close(st);

	ok(state_open(dir, &st, &err) == 0, "reopened");
	ok(state_position_get(st, "A->B", "topic-3", 0, &pos, &err) == 1 &&
		   pos == round * 100 + 100,
	   "the position survived");
	state_close(st);

	sqlite3 *h;
	sqlite3_stmt *s;

	ok(sqlite3_open(db, &h) == SQLITE_OK &&
		   sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &s, NULL) == SQLITE_OK &&
		   sqlite3_step(s) == SQLITE_ROW &&
		   strcmp((const char *)sqlite3_column_text(s, 0), "ok") == 0,
	   "integrity_check: ok");
	sqlite3_finalize(s);
	sqlite3_close(h);

	store_files_remove(dir);
	return done_testing();
}
