/*
 * state.c — the SQLite state store: open, migrate, prepared statements.
 */
#include "appliance/store/state.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "acl/aclmap.h"
#include "lib/clock.h"
#include "appliance/store/auditchain.h"
#include "appliance/store/state_schema.h"
#include "appliance/dr/translate.h"

enum stmt_id {
	ST_POS_PUT,
	ST_POS_LIST,
	ST_POS_LIST_ALL,
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_AUDIT_ADD,
	ST_AUDIT_LIST,
	ST_AUDIT_PAGE,
	ST_CKPT_PUT,
	ST_CKPT_LIST,
	ST_SYNC_LIST,
	ST_AUDIT_WALK,
	ST_REV_GET,
	ST_REV_LATEST,
	ST_REV_ADD,
	ST_REV_LIST,
	ST_FLOW_PAUSED,
	ST_FLOW_SET_PAUSED,
	ST_SYNC_ADD,
	ST_SYNC_PRUNE,
	ST_SYNC_LOAD,
	ST_HIST_POS,
	ST_GC_GET,
	ST_GC_PUT,
	ST_FB_ADD,
	ST_FB_LIST,
	ST_POS_SEED,
	ST_POS_FULL,
	ST_SYNC_PRUNE_LSO,
	ST_TF_INIT,
	ST_TF_RAISE,
	ST_TF_OLDEST,
	ST_HOLE_ADD,
	ST_HOLE_PRUNE,
	ST_HOLE_LOAD,
	ST_POS_LAST,
	ST_CUT_SYNCS,
	ST_CUT_HOLES,
	ST_CUT_POS,
	ST_BEGIN_READ,
	ST_LAST_REC,
	ST_GAP_ADD,
	ST_GAP_SUM,
	ST_HIST_BLOCK,
	ST_TOPIC_CREATED_ADD,
	ST_TOPIC_CREATED_GET,
	ST_RETENTION_PUT,
	ST_LEDGER_ADD,
	ST_LEDGER_SET_HELD,
	ST_LEDGER_LIST,
	ST_ACL_ADD,
	ST_ACL_DEL,
	ST_ACL_LIST,
	ST_SINK_ENABLED,
	ST_SINK_EVENT_ADD,
	ST_SINK_BATCH,
	ST_SINK_DELETE,
	ST_SINK_PENDING,
	ST_SINK_SEQ,
	ST_PLACEMENT_VERDICT,
	ST__COUNT
};

/* The columns every audit listing reads, in audit_rows()' order. */
#define AUDIT_COLS "id, ts_ms, who, role, origin, action, result, detail, prev_hash, hash"

static const char *const stmt_sql[ST__COUNT] = {
	[ST_POS_PUT] = "INSERT INTO positions (flow, topic, partition, next_offset, updated_ms, "
		       "last_upstream, last_downstream, last_record, last_timestamp, last_hash) "
		       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?10, ?8, ?9) "
		       "ON CONFLICT (flow, topic, partition) DO UPDATE SET "
		       "next_offset = excluded.next_offset, updated_ms = excluded.updated_ms, "
		       "last_upstream = CASE WHEN excluded.last_upstream >= 0 "
		       "THEN excluded.last_upstream ELSE last_upstream END, "
		       "last_downstream = CASE WHEN excluded.last_downstream >= 0 "
		       "THEN excluded.last_downstream ELSE last_downstream END, "
		       /* the record identity goes with last_record, never alone */
		       "last_record = CASE WHEN excluded.last_record >= 0 "
		       "THEN excluded.last_record ELSE last_record END, "
		       "last_timestamp = CASE WHEN excluded.last_record >= 0 "
		       "THEN excluded.last_timestamp ELSE last_timestamp END, "
		       "last_hash = CASE WHEN excluded.last_record >= 0 "
		       "THEN excluded.last_hash ELSE last_hash END",
	[ST_SYNC_ADD] = "INSERT OR REPLACE INTO offset_syncs (flow, topic, partition, upstream, "
			"downstream, ts_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_SYNC_PRUNE] =
		"DELETE FROM offset_syncs WHERE flow = ?1 AND topic = ?2 AND partition = ?3 "
		"AND downstream < (SELECT downstream FROM offset_syncs WHERE flow = ?1 AND "
		"topic = ?2 AND partition = ?3 ORDER BY downstream DESC LIMIT 1 OFFSET ?4)",
	[ST_SYNC_LOAD] = "SELECT upstream, downstream FROM offset_syncs WHERE flow = ?1 AND "
			 "topic = ?2 AND partition = ?3 ORDER BY downstream",
	[ST_HIST_POS] = "SELECT last_downstream, translate_from FROM positions WHERE flow = ?1 AND "
			"topic = ?2 AND partition = ?3",
	/* runs wholly below the log start ?4: every sync older (on the target)
	 * than the newest one that starts at or below it; a re-send starts
	 * lower than what it follows, so "older" is by downstream offset */
	[ST_SYNC_PRUNE_LSO] = "DELETE FROM offset_syncs WHERE flow = ?1 AND topic = ?2 AND "
			      "partition = ?3 AND downstream < (SELECT MAX(downstream) FROM "
			      "offset_syncs WHERE flow = ?1 AND topic = ?2 AND partition = ?3 AND "
			      "upstream <= ?4)",
	[ST_TF_INIT] = "UPDATE positions SET translate_from = ?4 WHERE flow = ?1 AND topic = ?2 "
		       "AND partition = ?3 AND translate_from < 0",
	[ST_TF_RAISE] = "UPDATE positions SET translate_from = MAX(translate_from, ?4) WHERE "
			"flow = ?1 AND topic = ?2 AND partition = ?3",
	[ST_TF_OLDEST] = "SELECT upstream FROM offset_syncs WHERE flow = ?1 AND topic = ?2 AND "
			 "partition = ?3 ORDER BY downstream LIMIT 1",
	[ST_HOLE_ADD] = "INSERT OR REPLACE INTO offset_sync_holes (flow, topic, partition, "
			"upstream_from, upstream_to, ts_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_HOLE_PRUNE] = "DELETE FROM offset_sync_holes WHERE flow = ?1 AND topic = ?2 AND "
			  "partition = ?3 AND upstream_to < (SELECT translate_from FROM positions "
			  "WHERE flow = ?1 AND topic = ?2 AND partition = ?3)",
	[ST_HOLE_LOAD] = "SELECT upstream_from, upstream_to FROM offset_sync_holes WHERE flow = ?1 "
			 "AND topic = ?2 AND partition = ?3 ORDER BY upstream_from",
	[ST_POS_LAST] = "SELECT last_upstream, last_downstream FROM positions WHERE flow = ?1 AND "
			"topic = ?2 AND partition = ?3",
	[ST_CUT_SYNCS] =
		"DELETE FROM offset_syncs WHERE flow = ?1 AND topic = ?2 AND partition = ?3",
	[ST_CUT_HOLES] = "DELETE FROM offset_sync_holes WHERE flow = ?1 AND topic = ?2 AND "
			 "partition = ?3",
	[ST_CUT_POS] = "INSERT INTO positions (flow, topic, partition, next_offset, updated_ms, "
		       "last_upstream, last_downstream, translate_from) VALUES (?1, ?2, ?3, ?4, ?5, "
		       "-1, -1, ?4) ON CONFLICT (flow, topic, partition) DO UPDATE SET "
		       "next_offset = excluded.next_offset, updated_ms = excluded.updated_ms, "
		       "last_upstream = -1, last_downstream = -1, last_record = -1, "
		       "last_timestamp = -1, last_hash = NULL, "
		       "translate_from = excluded.translate_from",
	[ST_BEGIN_READ] = "BEGIN",
	[ST_GC_GET] = "SELECT downstream FROM group_commits WHERE cluster = ?1 AND grp = ?2 AND "
		      "topic = ?3 AND partition = ?4",
	[ST_GC_PUT] = "INSERT INTO group_commits (cluster, grp, topic, partition, upstream, "
		      "downstream, ts_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT "
		      "(cluster, grp, topic, partition) DO UPDATE SET upstream = excluded.upstream, "
		      "downstream = excluded.downstream, ts_ms = excluded.ts_ms",
	[ST_POS_LIST] = "SELECT flow, topic, partition, next_offset, updated_ms FROM positions "
			"WHERE flow = ?1 ORDER BY topic, partition",
	[ST_POS_LIST_ALL] = "SELECT flow, topic, partition, next_offset, updated_ms FROM positions "
			    "ORDER BY flow, topic, partition",
	/* the chain link in the INSERT itself: one statement is atomic, so no
	 * other connection writes between reading the last hash and this row;
	 * an id is one more than the last, as SQLite picks without AUTOINCREMENT */
	[ST_AUDIT_ADD] = "INSERT INTO audit (id, ts_ms, who, role, origin, action, result, detail, "
			 "prev_hash, hash) SELECT n.id, ?1, ?2, ?3, ?4, ?5, ?6, ?7, n.prev, "
			 "ferry_audit_hash(n.prev, n.id, ?1, ?2, ?3, ?4, ?5, ?6, ?7) FROM "
			 "(SELECT COALESCE(MAX(id), 0) + 1 AS id, COALESCE((SELECT hash FROM "
			 "audit ORDER BY id DESC LIMIT 1), ?8) AS prev FROM audit) AS n",
	[ST_AUDIT_LIST] = "SELECT " AUDIT_COLS " FROM "
			  "(SELECT * FROM audit ORDER BY id DESC LIMIT ?1) ORDER BY id",
	/* show audit --since/--after: a page, oldest first */
	[ST_AUDIT_PAGE] = "SELECT " AUDIT_COLS " FROM audit WHERE id > ?2 AND ts_ms >= ?3 "
			  "ORDER BY id LIMIT ?1",
	[ST_CKPT_PUT] =
		"INSERT INTO checkpoints (flow, grp, topic, partition, upstream, "
		"downstream, ts_ms, remote_topic) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON "
		"CONFLICT (flow, grp, topic, partition) DO UPDATE SET upstream = "
		"excluded.upstream, downstream = excluded.downstream, ts_ms = excluded.ts_ms, "
		"remote_topic = excluded.remote_topic",
	[ST_CKPT_LIST] = "SELECT flow, grp, topic, partition, upstream, downstream, ts_ms, "
			 "remote_topic FROM "
			 "checkpoints WHERE (?1 IS NULL OR grp = ?1) ORDER BY flow, grp, topic, "
			 "partition",
	[ST_SYNC_LIST] = "SELECT upstream, downstream, ts_ms FROM offset_syncs WHERE flow = ?1 AND "
			 "topic = ?2 AND partition = ?3 ORDER BY downstream",
	[ST_AUDIT_WALK] = "SELECT id, ts_ms, who, role, origin, action, result, detail, "
			  "prev_hash, hash FROM audit ORDER BY id",
	[ST_REV_GET] = "SELECT rev, ts_ms, who, comment, text, source_file, source_sha256 "
		       "FROM config_revisions WHERE rev = ?1",
	[ST_REV_LATEST] = "SELECT rev, ts_ms, who, comment, text, source_file, source_sha256 "
			  "FROM config_revisions ORDER BY rev DESC LIMIT 1",
	[ST_REV_ADD] = "INSERT INTO config_revisions (rev, ts_ms, who, comment, text, source_file, "
		       "source_sha256) VALUES ((SELECT COALESCE(MAX(rev), 0) + 1 FROM "
		       "config_revisions), ?1, ?2, ?3, ?4, ?5, ?6) RETURNING rev",
	[ST_REV_LIST] = "SELECT rev, ts_ms, who, comment, '', source_file, source_sha256 "
			"FROM config_revisions ORDER BY rev",
	[ST_FLOW_PAUSED] = "SELECT paused FROM flow_admin WHERE flow = ?1",
	[ST_FLOW_SET_PAUSED] =
		"INSERT INTO flow_admin (flow, paused, ts_ms, who) VALUES (?1, ?2, ?3, ?4) "
		"ON CONFLICT (flow) DO UPDATE SET paused = excluded.paused, "
		"ts_ms = excluded.ts_ms, who = excluded.who",
	[ST_FB_ADD] = "INSERT OR REPLACE INTO failbacks (flow, ts_ms, who) VALUES (?1, ?2, ?3)",
	[ST_FB_LIST] = "SELECT flow FROM failbacks ORDER BY flow",
	[ST_POS_SEED] = "INSERT OR IGNORE INTO positions (flow, topic, partition, next_offset, "
			"updated_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_POS_FULL] = "SELECT next_offset, last_downstream FROM positions WHERE flow = ?1 AND "
			"topic = ?2 AND partition = ?3",
	[ST_LAST_REC] = "SELECT next_offset, last_record, last_timestamp, last_hash IS NOT NULL, "
			"COALESCE(last_hash, 0) FROM positions WHERE flow = ?1 AND topic = ?2 AND "
			"partition = ?3",
	[ST_GAP_ADD] = "INSERT INTO source_gaps (flow, topic, partition, from_offset, to_offset, "
		       "ts_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (flow, topic, partition, "
		       "from_offset) DO UPDATE SET to_offset = MAX(to_offset, excluded.to_offset), "
		       "ts_ms = excluded.ts_ms",
	[ST_GAP_SUM] = "SELECT COALESCE(SUM(to_offset - from_offset), 0) FROM source_gaps WHERE "
		       "flow = ?1 AND topic = ?2 AND partition = ?3",
	[ST_HIST_BLOCK] = "UPDATE positions SET translate_from = 9223372036854775807 WHERE "
			  "flow = ?1 AND topic = ?2 AND partition = ?3",
	[ST_TOPIC_CREATED_ADD] = "INSERT OR REPLACE INTO created_topics (cluster, topic, flow, "
				 "source_topic, ts_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
	/* a value read again unchanged leaves the row (and its first
	 * observation time) alone: only news reaches the sink */
	[ST_RETENTION_PUT] = "INSERT INTO remote_retention (cluster, topic, retention_ms, "
			     "observed_ms, flow, source_topic) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON "
			     "CONFLICT (cluster, topic) DO UPDATE SET retention_ms = "
			     "excluded.retention_ms, observed_ms = excluded.observed_ms, flow = "
			     "excluded.flow, source_topic = excluded.source_topic WHERE "
			     "retention_ms IS NOT excluded.retention_ms",
	[ST_TOPIC_CREATED_GET] = "SELECT flow, source_topic FROM created_topics WHERE cluster = ?1 "
				 "AND topic = ?2",
	/* the first and last records are the lowest and highest offsets of
	 * the day (a resumed partition may start lower again); every right
	 * side reads the row as it was before this update */
	[ST_LEDGER_ADD] =
		"INSERT INTO transfers (day, flow, topic, partition, records, bytes, first_offset, "
		"last_offset, first_ts, last_ts, rule, category, updated_ms) VALUES "
		"(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) ON CONFLICT "
		"(day, flow, topic, partition) DO UPDATE SET records = records + excluded.records, "
		"bytes = bytes + excluded.bytes, "
		"first_ts = CASE WHEN first_offset IS NULL OR excluded.first_offset < first_offset "
		"THEN excluded.first_ts ELSE first_ts END, "
		"first_offset = CASE WHEN first_offset IS NULL OR excluded.first_offset < "
		"first_offset THEN excluded.first_offset ELSE first_offset END, "
		"last_ts = CASE WHEN last_offset IS NULL OR excluded.last_offset > last_offset "
		"THEN excluded.last_ts ELSE last_ts END, "
		"last_offset = CASE WHEN last_offset IS NULL OR excluded.last_offset > last_offset "
		"THEN excluded.last_offset ELSE last_offset END, "
		"rule = COALESCE(excluded.rule, rule), category = COALESCE(excluded.category, "
		"category), updated_ms = excluded.updated_ms",
	/* a snapshot, not a sum: the count and rules as last measured */
	[ST_LEDGER_SET_HELD] = "INSERT INTO transfers (day, flow, topic, partition, rule, category, "
			       "held_back, updated_ms) VALUES (?1, ?2, ?3, -1, ?4, ?5, ?6, ?7) "
			       "ON CONFLICT (day, flow, topic, partition) DO UPDATE SET "
			       "rule = excluded.rule, category = excluded.category, "
			       "held_back = excluded.held_back, updated_ms = excluded.updated_ms",
	[ST_LEDGER_LIST] = "SELECT day, flow, topic, partition, records, bytes, first_offset, "
			   "last_offset, first_ts, last_ts, rule, category, held_back, updated_ms "
			   "FROM transfers WHERE (?1 IS NULL OR flow = ?1) AND (?2 IS NULL OR "
			   "day >= ?2) ORDER BY day, flow, topic, partition",
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_ACL_ADD] = "INSERT OR REPLACE INTO acl_bindings (flow, cluster, resource_type, "
		       "pattern_type, name, principal, host, operation, permission, created_ms) "
		       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[ST_ACL_DEL] = "DELETE FROM acl_bindings WHERE flow = ?1 AND resource_type = ?3 AND "
		       "pattern_type = ?4 AND name = ?5 AND principal = ?6 AND host = ?7 AND "
		       "operation = ?8 AND permission = ?9",
	[ST_ACL_LIST] = "SELECT resource_type, pattern_type, name, principal, host, operation, "
			"permission FROM acl_bindings WHERE flow = ?1",
	/* --- the history sink's outbox (schema/012_sink_outbox.sql) --- */
	[ST_SINK_ENABLED] = "SELECT enabled FROM sink_state",
	/* queued only while the sink is on, once per key (as the triggers) */
	[ST_SINK_EVENT_ADD] = "INSERT INTO sink_outbox (kind, key, payload, created_ms) "
			      "SELECT ?1, ?2, ?3, ?4 WHERE (SELECT enabled FROM sink_state) = 1 "
			      "AND NOT EXISTS (SELECT 1 FROM sink_outbox WHERE key = ?2)",
	[ST_SINK_BATCH] = "SELECT id, kind, payload FROM sink_outbox WHERE id > ?1 ORDER BY id "
			  "LIMIT ?2",
	[ST_SINK_DELETE] = "DELETE FROM sink_outbox WHERE id <= ?1",
	[ST_SINK_PENDING] = "SELECT count(*), COALESCE(min(created_ms), 0) FROM sink_outbox",
	[ST_SINK_SEQ] = "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = "
			"'sink_outbox'), 0)",
	/* a new verdict or a changed one only: its trigger queues the event */
	[ST_PLACEMENT_VERDICT] =
		"INSERT INTO placement_verdicts (flow, topic, cluster, allowed, rule, category, "
		"basis, decided_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (flow, "
		"topic) DO UPDATE SET cluster = excluded.cluster, allowed = excluded.allowed, "
		"rule = excluded.rule, category = excluded.category, basis = excluded.basis, "
		/* a decision's time is part of its key (here and in
		 * PostgreSQL): a change within the same ms gets the next one */
		"decided_ms = MAX(excluded.decided_ms, decided_ms + 1) WHERE cluster IS NOT "
		"excluded.cluster OR "
		"allowed IS NOT excluded.allowed OR rule IS NOT excluded.rule OR category IS NOT "
		"excluded.category OR basis IS NOT excluded.basis",
};

struct state {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmt[ST__COUNT];
};

#define WAL_CHECKPOINT_PAGES 1000 /* SQLite's default autocheckpoint */

/*
 * SQLite's own autocheckpoint runs after a commit and, when it fails (the
 * disk is full and the database file cannot grow), makes that COMMIT
 * return the error although the transaction is committed. Ferry must know
 * exactly whether a save reached the store, so this hook checkpoints the
 * same way but keeps the checkpoint's failure to itself: the WAL then
 * grows, and the next write that cannot be stored fails for real. A failed
 * checkpoint leaves the WAL intact and is retried after the next commit.
 */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	(void)arg;
	if (pages >= WAL_CHECKPOINT_PAGES)
		(void)sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return SQLITE_OK;
}

/* For an I/O error, what the file system said too ("No space left on
 * device", "Read-only file system"): SQLite's own text is vaguer. */
static int db_err(struct state *st, struct ferr *err, const char *what)
{
	int code = sqlite3_errcode(st->db), sys = sqlite3_system_errno(st->db);

	if (sys != 0 && (code == SQLITE_IOERR || code == SQLITE_CANTOPEN))
		return ferr_set(err, "%s: %s: %s (%s)", st->path, what, sqlite3_errmsg(st->db),
				strerror(sys));
	if (code == SQLITE_IOERR)
		return ferr_set(err, "%s: %s: %s (SQLite extended code %d)", st->path, what,
				sqlite3_errmsg(st->db), sqlite3_extended_errcode(st->db));
	return ferr_set(err, "%s: %s: %s", st->path, what, sqlite3_errmsg(st->db));
}

static int step_done(struct state *st, enum stmt_id id, struct ferr *err, const char *what);

/* After a failed write (disk full, I/O error) SQLite may or may not have
 * rolled the transaction back itself; one left open would make every later
 * BEGIN fail ("cannot start a transaction within a transaction") and wedge
 * the connection, so end it here. */
static void end_failed_txn(struct state *st)
{
	if (!sqlite3_get_autocommit(st->db))
		step_done(st, ST_ROLLBACK, NULL, "rollback");
}

static int exec(struct state *st, const char *sql, struct ferr *err)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		ferr_set(err, "%s: %s", st->path, msg ? msg : sqlite3_errmsg(st->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int state_dir_create(const char *dir, struct ferr *err)
{
	char buf[4096];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(buf))
		return ferr_set(err, "state directory path is empty or too long");
	memcpy(buf, dir, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0750) != 0 && errno != EEXIST)
			return ferr_set(err, "cannot create %s: %s", buf, strerror(errno));
		*p = '/';
	}
	if (mkdir(buf, 0750) != 0 && errno != EEXIST)
		return ferr_set(err, "cannot create state directory %s: %s", buf, strerror(errno));
	return 0;
}

/* ferry_audit_hash(prev_hash, id, ts_ms, who, role, origin, action, result,
 * detail): the chain hash of an audit entry (auditchain.h), for the INSERT
 * that writes it; NULL when an argument is. */
static void sql_audit_hash(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *t[9] = { 0 };
	char out[AUDIT_HASH_LEN + 1];
	struct audit_fields f;
	struct ferr err;

	if (argc != 9) { /* registered with 9: SQLite calls with no other count */
		sqlite3_result_error(ctx, "ferry_audit_hash: 9 arguments expected", -1);
		return;
	}
	for (int i = 0; i < 9; i++) {
		if (sqlite3_value_type(argv[i]) == SQLITE_NULL) {
			sqlite3_result_null(ctx);
			return;
		}
		t[i] = (const char *)sqlite3_value_text(argv[i]);
		if (!t[i]) {
			sqlite3_result_error_nomem(ctx);
			return;
		}
	}
	f = (struct audit_fields){
		.id = sqlite3_value_int64(argv[1]),
		.ts_ms = sqlite3_value_int64(argv[2]),
		.who = t[3],
		.role = t[4],
		.origin = t[5],
		.action = t[6],
		.result = t[7],
		.detail = t[8],
	};
	if (audit_chain_hash(t[0], &f, out, &err)) {
		sqlite3_result_error(ctx, err.msg, -1);
		return;
	}
	sqlite3_result_text(ctx, out, AUDIT_HASH_LEN, SQLITE_TRANSIENT);
}

static int open_conn(const char *dir, struct state **out, struct ferr *err)
{
	struct state *st = calloc(1, sizeof(*st));
	size_t n;

	if (!st)
		return ferr_set(err, "out of memory");
	n = strlen(dir) + sizeof("/ferry.db");
	st->path = malloc(n);
	if (!st->path) {
		free(st);
		return ferr_set(err, "out of memory");
	}
	snprintf(st->path, n, "%s/ferry.db", dir);
	if (sqlite3_open_v2(st->path, &st->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		ferr_set(err, "%s: cannot open: %s", st->path,
			 st->db ? sqlite3_errmsg(st->db) : "out of memory");
		state_close(st);
		return -1;
	}
	if (sqlite3_create_function_v2(st->db, "ferry_audit_hash", 9,
				       SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_audit_hash,
				       NULL, NULL, NULL) != SQLITE_OK) {
		ferr_set(err, "%s: registering ferry_audit_hash: %s", st->path,
			 sqlite3_errmsg(st->db));
		state_close(st);
		return -1;
	}
	sqlite3_busy_timeout(st->db, 10000);
	sqlite3_wal_hook(st->db, wal_hook, NULL); /* replaces sqlite3_wal_autocheckpoint() */
	if (exec(st,
		 "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
		 "PRAGMA foreign_keys = ON;",
		 err)) {
		state_close(st);
		return -1;
	}
	*out = st;
	return 0;
}

static int prepare_all(struct state *st, struct ferr *err)
{
	for (int i = 0; i < ST__COUNT; i++) {
		/* stmt_sql[] is designated by enum stmt_id: an id added without
		 * its SQL is a NULL here, found by every store that opens
		 * (test_state) rather than by the first call that uses it */
		if (!stmt_sql[i])
			return ferr_set(err,
					"state store: statement %d of enum stmt_id has no SQL "
					"in stmt_sql[] (appliance/store/state.c)",
					i);
		if (sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &st->stmt[i], NULL) != SQLITE_OK)
			return db_err(st, err, "preparing statements");
	}
	return 0;
}

int state_schema_version(struct state *st, int *out, struct ferr *err)
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return db_err(st, err, "reading schema version");
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_finalize(s);
		return db_err(st, err, "reading schema version");
	}
	*out = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return 0;
}

/*
 * Entries written before the audit trail had its hash chain (migration
 * 011_audit_chain) get theirs in id order, in the migration's transaction:
 * done once, when the columns appear, so a hash erased later is reported by
 * `audit verify`, never silently restored. Nothing to do before that
 * migration (no column) or after it (every INSERT sets the hash).
 */
static int audit_chain_fill(struct state *st, struct ferr *err)
{
	static const char fill[] =
		"UPDATE audit SET prev_hash = COALESCE((SELECT a.hash FROM audit AS a WHERE "
		"a.id < audit.id ORDER BY a.id DESC LIMIT 1), ?1), hash = ferry_audit_hash("
		"COALESCE((SELECT a.hash FROM audit AS a WHERE a.id < audit.id ORDER BY a.id "
		"DESC LIMIT 1), ?1), id, ts_ms, who, role, origin, action, result, detail) "
		"WHERE id = ?2";
	sqlite3_stmt *s = NULL;
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	int rc, has = 0;

	if (sqlite3_prepare_v2(st->db,
			       "SELECT COUNT(*) FROM pragma_table_info('audit') WHERE name = 'hash'",
			       -1, &s, NULL) != SQLITE_OK)
		return db_err(st, err, "looking for the audit hash chain");
	if (sqlite3_step(s) == SQLITE_ROW)
		has = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (!has)
		return 0;
	/* the ids first: a table is not updated while a statement reads it */
	if (sqlite3_prepare_v2(st->db, "SELECT id FROM audit WHERE hash IS NULL ORDER BY id", -1,
			       &s, NULL) != SQLITE_OK)
		return db_err(st, err, "hashing the audit trail");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 1024;
			int64_t *v = realloc(ids, ncap * sizeof(*ids));

			if (!v) {
				sqlite3_finalize(s);
				free(ids);
				return ferr_set(err, "hashing the audit trail: out of memory");
			}
			ids = v;
			cap = ncap;
		}
		ids[n++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		free(ids);
		return db_err(st, err, "hashing the audit trail");
	}
	if (n && sqlite3_prepare_v2(st->db, fill, -1, &s, NULL) != SQLITE_OK) {
		free(ids);
		return db_err(st, err, "hashing the audit trail");
	}
	rc = SQLITE_DONE;
	/* oldest first: each row reads the hash just written before it */
	for (size_t i = 0; i < n && rc == SQLITE_DONE; i++) {
		sqlite3_bind_text(s, 1, audit_genesis_hash, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, ids[i]);
		rc = sqlite3_step(s);
		sqlite3_reset(s);
	}
	free(ids);
	if (n)
		sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : db_err(st, err, "hashing the audit trail");
}

/* Each step runs in its own BEGIN IMMEDIATE together with its user_version,
 * so a crash leaves the store at a whole version. */
static int migrate(struct state *st, struct ferr *err)
{
	int cur;
	int latest = schema_version_latest;

	if (state_schema_version(st, &cur, err))
		return -1;
	if (cur > latest)
		return ferr_set(err,
				"%s: schema version %d is newer than this ferryd knows (%d); "
				"refusing to touch it",
				st->path, cur, latest);
	for (unsigned i = 0; i < schema_migrations_count; i++) {
		const struct schema_migration *m = &schema_migrations[i];
		char setv[64];

		if (m->version <= cur)
			continue;
		if (exec(st, "BEGIN IMMEDIATE", err))
			return -1;
		snprintf(setv, sizeof(setv), "PRAGMA user_version = %d", m->version);
		/* the chain's own migration only: a later one must not hash
		 * again an entry whose hash was erased since */
		if (exec(st, m->sql, err) ||
		    (strstr(m->name, "audit_chain") && audit_chain_fill(st, err)) ||
		    exec(st, setv, err)) {
			ferr_wrap(err, "migration %s", m->name);
			exec(st, "ROLLBACK", NULL);
			return -1;
		}
		if (exec(st, "COMMIT", err))
			return -1;
	}
	return 0;
}

int state_open(const char *dir, struct state **out, struct ferr *err)
{
	struct state *st;

	if (state_dir_create(dir, err) || open_conn(dir, &st, err))
		return -1;
	if (migrate(st, err) || prepare_all(st, err)) {
		state_close(st);
		return -1;
	}
	*out = st;
	return 0;
}

int state_open_worker(const char *dir, struct state **out, struct ferr *err)
{
	struct state *st;
	int v;

	if (open_conn(dir, &st, err))
		return -1;
	if (state_schema_version(st, &v, err)) {
		state_close(st);
		return -1;
	}
	if (v != schema_version_latest) {
		ferr_set(err, "%s: schema version %d, expected %d", st->path, v,
			 schema_version_latest);
		state_close(st);
		return -1;
	}
	if (prepare_all(st, err)) {
		state_close(st);
		return -1;
	}
	*out = st;
	return 0;
}

void state_close(struct state *st)
{
	if (!st)
		return;
	for (int i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

static int step_done(struct state *st, enum stmt_id id, struct ferr *err, const char *what)
{
	int rc = sqlite3_step(st->stmt[id]);

	if (rc != SQLITE_DONE)
		db_err(st, err, what); /* before the reset, which may touch errno */
	sqlite3_reset(st->stmt[id]);
	sqlite3_clear_bindings(st->stmt[id]);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Steps bound statement ID for at most one row and copies its first N
 * integer columns to COLS: 1 (a row), 0 (none) or -1. The statement is
 * reset either way. */
static int step_row(struct state *st, enum stmt_id id, int64_t *cols, int n, struct ferr *err,
		    const char *what)
{
	sqlite3_stmt *s = st->stmt[id];
	int rc = sqlite3_step(s);

	for (int i = 0; rc == SQLITE_ROW && i < n; i++)
		cols[i] = sqlite3_column_int64(s, i);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_err(st, err, what);
	return rc == SQLITE_ROW;
}

int state_position_get(struct state *st, const char *flow, const char *topic, int32_t partition,
		       int64_t *out, struct ferr *err)
{
	int64_t last_downstream;

	return state_position_full(st, flow, topic, partition, out, &last_downstream, err);
}

int64_t state_now_ms(void)
{
	return clock_wall_ms();
}

/* Binds FLOW, TOPIC, PARTITION to ?1..?3 of statement ID. */
static sqlite3_stmt *bind_part(struct state *st, enum stmt_id id, const char *flow,
			       const char *topic, int32_t partition)
{
	sqlite3_stmt *s = st->stmt[id];

	sqlite3_bind_text(s, 1, flow, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, topic, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, partition);
	return s;
}

static int same_part(const struct state_sync *a, const struct state_sync *b)
{
	return a->partition == b->partition && strcmp(a->topic, b->topic) == 0;
}

/* The upstream range a sync after unknown target offsets cannot translate
 * (translate.h): group offsets above the last record whose target offset
 * is known (+1: that one still translates) and below this sync. With no
 * known record in this run, the saved last record stands in, and the
 * records the target holds between it and this sync are unknown too
 * (unless the target offsets are contiguous). 1 and the range when there
 * is one; *raise_to >= 0 when the partition has no history, which then
 * starts at this sync. */
static int hole_of(struct state *st, const char *flow, const struct state_sync *y,
		   struct offset_hole *h, int64_t *raise_to, struct ferr *err)
{
	int64_t low; /* g <= low translates exactly */

	*raise_to = -1;
	if (y->known_up >= 0) {
		if (!y->after_unknown)
			return 0;
		low = y->known_up + 1;
	} else {
		int64_t last[2];
		int rc;

		bind_part(st, ST_POS_LAST, flow, y->topic, y->partition);
		rc = step_row(st, ST_POS_LAST, last, 2, err, "reading the last mirrored record");
		if (rc < 0)
			return -1;
		if (rc == 0 || last[0] < 0) {
			if (y->after_unknown)
				*raise_to = y->upstream;
			return 0;
		}
		if (!y->after_unknown && y->downstream == last[1] + 1)
			return 0; /* contiguous on the target: nothing unknown between */
		low = last[0] + 1;
	}
	if (y->after_unknown && y->unknown_min < low)
		low = y->unknown_min; /* re-sent records with unknown copies */
	h->from = low + 1;
	h->to = y->upstream - 1;
	return h->from <= h->to;
}

/* After a prune of statement ID (bound, not stepped): raises
 * translate_from to the oldest sync kept when anything went. */
static int prune_step(struct state *st, enum stmt_id id, const char *flow,
		      const struct state_sync *y, struct ferr *err)
{
	int64_t oldest;
	int rc;

	if (step_done(st, id, err, "pruning offset syncs"))
		return -1;
	if (sqlite3_changes(st->db) == 0)
		return 0;
	bind_part(st, ST_TF_OLDEST, flow, y->topic, y->partition);
	rc = step_row(st, ST_TF_OLDEST, &oldest, 1, err, "reading offset syncs");
	if (rc <= 0)
		return rc;
	sqlite3_bind_int64(bind_part(st, ST_TF_RAISE, flow, y->topic, y->partition), 4, oldest);
	return step_done(st, ST_TF_RAISE, err, "saving translate_from");
}

void state_day_utc(int64_t ms, char buf[static 11])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 11, "%Y-%m-%d", &tm);
}

static void bind_opt_int(sqlite3_stmt *s, int i, int64_t v)
{
	if (v >= 0)
		sqlite3_bind_int64(s, i, v);
	else
		sqlite3_bind_null(s, i);
}

static void bind_opt_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

/* Adds L to the ledger row of DAY (inside the caller's transaction). */
static int ledger_add(struct state *st, const char *day, const char *flow, const char *topic,
		      int32_t partition, const struct state_ledger *l, int64_t now,
		      struct ferr *err)
{
	sqlite3_stmt *s = st->stmt[ST_LEDGER_ADD];

	if (l->records <= 0)
		return 0;
	sqlite3_bind_text(s, 1, day, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, flow, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, topic, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, partition);
	sqlite3_bind_int64(s, 5, l->records > 0 ? l->records : 0);
	sqlite3_bind_int64(s, 6, l->bytes > 0 ? l->bytes : 0);
	/* no record, no offsets: a held-back count alone leaves them be */
	bind_opt_int(s, 7, l->first_offset);
	bind_opt_int(s, 8, l->last_offset);
	bind_opt_int(s, 9, l->first_ts);
	bind_opt_int(s, 10, l->last_ts);
	bind_opt_text(s, 11, l->rule);
	bind_opt_text(s, 12, l->category);
	sqlite3_bind_int64(s, 13, now);
	return step_done(st, ST_LEDGER_ADD, err, "saving the transfer ledger");
}

int state_ledger_set_held(struct state *st, const char *flow, const char *topic, int64_t n,
			  const char *rule, const char *category, struct ferr *err)
{
	sqlite3_stmt *s = st->stmt[ST_LEDGER_SET_HELD];
	int64_t now = state_now_ms();
	char day[11];

	if (n < 0)
		return ferr_set(err, "%s %s: %lld records held back: expected a count >= 0", flow,
				topic, (long long)n);
	state_day_utc(now, day);
	/* one statement: its own transaction */
	sqlite3_bind_text(s, 1, day, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, flow, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, topic, -1, SQLITE_STATIC);
	bind_opt_text(s, 4, rule);
	bind_opt_text(s, 5, category);
	sqlite3_bind_int64(s, 6, n);
	sqlite3_bind_int64(s, 7, now);
	return step_done(st, ST_LEDGER_SET_HELD, err, "saving the records held back");
}

static int64_t col_opt_int(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, i);
}

static const char *col_opt_text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

int state_transfers_list(struct state *st, const char *flow, const char *since,
			 state_transfer_fn fn, void *ctx, struct ferr *err)
{
	sqlite3_stmt *s = st->stmt[ST_LEDGER_LIST];
	int rc;

	bind_opt_text(s, 1, flow);
	bind_opt_text(s, 2, since);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct state_transfer x = {
			.day = (const char *)sqlite3_column_text(s, 0),
			.flow = (const char *)sqlite3_column_text(s, 1),
			.topic = (const char *)sqlite3_column_text(s, 2),
			.partition = sqlite3_column_int(s, 3),
			.l = { .records = sqlite3_column_int64(s, 4),
			       .bytes = sqlite3_column_int64(s, 5),
			       .first_offset = col_opt_int(s, 6),
			       .last_offset = col_opt_int(s, 7),
			       .first_ts = col_opt_int(s, 8),
			       .last_ts = col_opt_int(s, 9),
			       .rule = col_opt_text(s, 10),
			       .category = col_opt_text(s, 11) },
			.held_back = sqlite3_column_int64(s, 12),
			.updated_ms = sqlite3_column_int64(s, 13),
		};

		fn(ctx, &x);
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : db_err(st, err, "reading the transfer ledger");
}

int state_positions_save(struct state *st, const char *flow, const struct state_position *v,
			 size_t n, const struct state_sync *syncs, size_t ns, long long retention,
			 struct ferr *err)
{
	return state_positions_save_ledger(st, flow, v, NULL, n, syncs, ns, retention, err);
}

int state_positions_save_ledger(struct state *st, const char *flow, const struct state_position *v,
				const struct state_ledger *ledger, size_t n,
				const struct state_sync *syncs, size_t ns, long long retention,
				struct ferr *err)
{
	sqlite3_stmt *s = st->stmt[ST_POS_PUT];
	int64_t now = state_now_ms();
	int64_t *raise = NULL;
	char day[11];

	if (n == 0 && ns == 0)
		return 0;
	if (ns && !(raise = malloc(ns * sizeof(*raise))))
		return ferr_set(err, "out of memory");
	state_day_utc(now, day);
	end_failed_txn(st);
	if (step_done(st, ST_BEGIN, err, "starting a transaction")) {
		free(raise);
		return -1;
	}
	/* syncs first: a hole is judged against the last record saved before */
	for (size_t i = 0; i < ns; i++) {
		sqlite3_stmt *a;
		struct offset_hole h;
		int rc = hole_of(st, flow, &syncs[i], &h, &raise[i], err);

		if (rc < 0)
			goto fail;
		if (rc) {
			a = bind_part(st, ST_HOLE_ADD, flow, syncs[i].topic, syncs[i].partition);
			sqlite3_bind_int64(a, 4, h.from);
			sqlite3_bind_int64(a, 5, h.to);
			sqlite3_bind_int64(a, 6, now);
			if (step_done(st, ST_HOLE_ADD, err, "saving an offset-sync hole"))
				goto fail;
		}
		a = bind_part(st, ST_SYNC_ADD, flow, syncs[i].topic, syncs[i].partition);
		sqlite3_bind_int64(a, 4, syncs[i].upstream);
		sqlite3_bind_int64(a, 5, syncs[i].downstream);
		sqlite3_bind_int64(a, 6, now);
		if (step_done(st, ST_SYNC_ADD, err, "saving offset syncs"))
			goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		sqlite3_bind_text(s, 1, flow, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, v[i].topic, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 3, v[i].partition);
		sqlite3_bind_int64(s, 4, v[i].next_offset);
		sqlite3_bind_int64(s, 5, now);
		sqlite3_bind_int64(s, 6, v[i].last_upstream);
		sqlite3_bind_int64(s, 7, v[i].last_downstream);
		sqlite3_bind_int64(s, 8, v[i].last_timestamp);
		sqlite3_bind_int64(s, 10, v[i].last_record);
		if (v[i].has_hash)
			sqlite3_bind_int64(s, 9, (int64_t)v[i].last_hash);
		else
			sqlite3_bind_null(s, 9);
		if (step_done(st, ST_POS_PUT, err, "saving positions"))
			goto fail;
		/* the ledger counts what this very position covers: a crash
		 * before COMMIT loses both, and the re-sent records are counted
		 * when their position is saved */
		if (ledger &&
		    ledger_add(st, day, flow, v[i].topic, v[i].partition, &ledger[i], now, err))
			goto fail;
	}
	/* per run of one partition's syncs (runs of several partitions may
	 * interleave; each is handled, a partition's first sync leads its
	 * first run): where its history starts, then what is no longer
	 * needed or over the cap */
	for (size_t i = 0, first = 0; i < ns; i++) {
		const struct state_sync *y = &syncs[i];
		sqlite3_stmt *p;

		if (i + 1 < ns && same_part(&syncs[i + 1], y))
			continue;
		p = bind_part(st, ST_TF_INIT, flow, y->topic, y->partition);
		sqlite3_bind_int64(p, 4, syncs[first].translate_from);
		if (step_done(st, ST_TF_INIT, err, "saving translate_from"))
			goto fail;
		for (size_t j = first; j <= i; j++) {
			if (raise[j] < 0)
				continue;
			sqlite3_bind_int64(bind_part(st, ST_TF_RAISE, flow, y->topic, y->partition),
					   4, raise[j]);
			if (step_done(st, ST_TF_RAISE, err, "saving translate_from"))
				goto fail;
		}
		if (y->log_start > 0) {
			sqlite3_bind_int64(bind_part(st, ST_SYNC_PRUNE_LSO, flow, y->topic,
						     y->partition),
					   4, y->log_start);
			if (prune_step(st, ST_SYNC_PRUNE_LSO, flow, y, err))
				goto fail;
		}
		sqlite3_bind_int64(bind_part(st, ST_SYNC_PRUNE, flow, y->topic, y->partition), 4,
				   retention - 1);
		if (prune_step(st, ST_SYNC_PRUNE, flow, y, err))
			goto fail;
		bind_part(st, ST_HOLE_PRUNE, flow, y->topic, y->partition);
		if (step_done(st, ST_HOLE_PRUNE, err, "pruning offset-sync holes"))
			goto fail;
		first = i + 1;
	}
	free(raise);
	if (step_done(st, ST_COMMIT, err, "committing positions") == 0)
		return 0;
	goto end;
fail:
	free(raise);
end:
	end_failed_txn(st);
	return -1;
}

void (*state_syncs_load_hook)(void *ctx);
void *state_syncs_load_hook_ctx;

/* both are read as two int64_t columns by load_pairs */
_Static_assert(sizeof(struct offset_sync) == 2 * sizeof(int64_t), "offset_sync layout");
_Static_assert(sizeof(struct offset_hole) == 2 * sizeof(int64_t), "offset_hole layout");

/* Appends the rows of bound statement ID (two integer columns) to *V. */
static int load_pairs(struct state *st, enum stmt_id id, void **v, size_t *n, size_t elem,
		      struct ferr *err)
{
	sqlite3_stmt *s = st->stmt[id];
	size_t cap = 0;
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t *row;

		if (*n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			void *nv = realloc(*v, ncap * elem);

			if (!nv) {
				sqlite3_reset(s);
				sqlite3_clear_bindings(s);
				return ferr_set(err, "out of memory");
			}
			*v = nv;
			cap = ncap;
		}
		row = (int64_t *)((char *)*v + *n * elem);
		row[0] = sqlite3_column_int64(s, 0);
		row[1] = sqlite3_column_int64(s, 1);
		(*n)++;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : db_err(st, err, "reading offset syncs");
}

int state_syncs_load(struct state *st, const char *flow, const char *topic, int32_t partition,
		     struct offset_history *out, struct ferr *err)
{
	int64_t pos[2];
	int rc;

	memset(out, 0, sizeof(*out));
	out->last_down = out->translate_from = -1;
	/* one snapshot: a save between the reads would stretch the last run
	 * over syncs this load never saw */
	if (step_done(st, ST_BEGIN_READ, err, "starting a read transaction"))
		return -1;
	bind_part(st, ST_SYNC_LOAD, flow, topic, partition);
	if (load_pairs(st, ST_SYNC_LOAD, (void **)&out->syncs, &out->n, sizeof(*out->syncs), err))
		goto fail;
	if (state_syncs_load_hook)
		state_syncs_load_hook(state_syncs_load_hook_ctx);
	bind_part(st, ST_HOLE_LOAD, flow, topic, partition);
	if (load_pairs(st, ST_HOLE_LOAD, (void **)&out->holes, &out->nholes, sizeof(*out->holes),
		       err))
		goto fail;
	bind_part(st, ST_HIST_POS, flow, topic, partition);
	rc = step_row(st, ST_HIST_POS, pos, 2, err, "reading a position");
	if (rc < 0)
		goto fail;
	if (rc == 1) {
		out->last_down = pos[0];
		out->translate_from = pos[1];
	}
	if (step_done(st, ST_COMMIT, err, "ending a read transaction"))
		goto fail;
	return 0;
fail:
	step_done(st, ST_ROLLBACK, NULL, "rollback");
	offset_history_free(out);
	return -1;
}

int state_history_cut(struct state *st, const char *flow, const char *topic, int32_t partition,
		      int64_t next_offset, struct ferr *err)
{
	if (step_done(st, ST_BEGIN, err, "starting a transaction"))
		return -1;
	bind_part(st, ST_CUT_SYNCS, flow, topic, partition);
	if (step_done(st, ST_CUT_SYNCS, err, "cutting offset syncs"))
		goto fail;
	bind_part(st, ST_CUT_HOLES, flow, topic, partition);
	if (step_done(st, ST_CUT_HOLES, err, "cutting offset-sync holes"))
		goto fail;
	sqlite3_bind_int64(bind_part(st, ST_CUT_POS, flow, topic, partition), 4, next_offset);
	sqlite3_bind_int64(st->stmt[ST_CUT_POS], 5, state_now_ms());
	if (step_done(st, ST_CUT_POS, err, "saving the position after a history cut"))
		goto fail;
	if (step_done(st, ST_COMMIT, err, "committing a history cut") == 0)
		return 0;
fail:
	end_failed_txn(st);
	return -1;
}

int state_group_commit_get(struct state *st, const char *cluster, const char *group,
			   const char *topic, int32_t partition, int64_t *downstream,
			   struct ferr *err)
{
	sqlite3_stmt *s = st->stmt[ST_GC_GET];

	sqlite3_bind_text(s, 1, cluster, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, group, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, topic, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, partition);
	return step_row(st, ST_GC_GET, downstream, 1, err, "reading group commits");
}

int state_group_commit_put(struct state *st, const char *cluster, const char *group,
			   const char *topic, int32_t partition, int64_t upstream,
			   int64_t downstream, struct ferr *err)
{
	sqlite3_stmt *s = st->stmt[ST_GC_PUT];

	sqlite3_bind_text(s, 1, cluster, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, group, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, topic, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, partition);
	sqlite3_bind_int64(s, 5, upstream);
	sqlite3_bind_int64(s, 6, downstream);
	sqlite3_bind_int64(s, 7, state_now_ms());
	return step_done(st, ST_GC_PUT, err, "saving a group commit");
}

static const char *col_text(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? (const char *)t : "";
}

int state_positions_list(struct state *st, const char *flow, state_position_fn fn, void *ctx,
			 struct ferr *err)
{
	sqlite3_stmt *s = st->stmt[flow ? ST_POS_LIST : ST_POS_LIST_ALL];
	int rc;

	if (flow)
		sqlite3_bind_text(s, 1, flow, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		fn(ctx, col_text(s, 0), col_text(s, 1), sqlite3_column_int(s, 2),
		   sqlite3_column_int64(s, 3), sqlite3_column_int64(s, 4));
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : db_err(st, err, "listing positions");
}

int state_audit_add(struct state *st, const struct audit_entry *e, struct ferr *err)
{
	sqlite3_stmt *s = st->stmt[ST_AUDIT_ADD];

	sqlite3_bind_int64(s, 1, e->ts_ms ? e->ts_ms : state_now_ms());
	sqlite3_bind_text(s, 2, e->who, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, e->role, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, e->origin, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, e->action, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, e->result, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, e->detail ? e->detail : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 8, audit_genesis_hash, -1, SQLITE_STATIC);
	return step_done(st, ST_AUDIT_ADD, err, "writing the audit trail");
}

/* Calls FN for each row of the bound audit statement ID (AUDIT_COLS). */
static int audit_rows(struct state *st, enum stmt_id id, state_audit_fn fn, void *ctx,
		      struct ferr *err)
{
	sqlite3_stmt *s = st->stmt[id];
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct audit_entry e = {
			.id = sqlite3_column_int64(s, 0),
			.ts_ms = sqlite3_column_int64(s, 1),
			.who = col_text(s, 2),
			.role = col_text(s, 3),
			.origin = col_text(s, 4),
			.action = col_text(s, 5),
			.result = col_text(s, 6),
			.detail = col_text(s, 7),
			.prev_hash = col_text(s, 8),
			.hash = col_text(s, 9),
		};

		fn(ctx, &e);
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : db_err(st, err, "reading the audit trail");
}

int state_audit_list(struct state *st, int limit, state_audit_fn fn, void *ctx, struct ferr *err)
{
	sqlite3_bind_int(st->stmt[ST_AUDIT_LIST], 1, limit);
	return audit_rows(st, ST_AUDIT_LIST, fn, ctx, err);
}

int state_audit_page(struct state *st, int64_t since_ms, int64_t after_id, int limit,
		     state_audit_fn fn, void *ctx, struct ferr *err)
{
	sqlite3_stmt *s = st->stmt[ST_AUDIT_PAGE];

	sqlite3_bind_int(s, 1, limit);
	sqlite3_bind_int64(s, 2, after_id);
	sqlite3_bind_int64(s, 3, since_ms);
	return audit_rows(st, ST_AUDIT_PAGE, fn, ctx, err);
}

int state_checkpoint_put(struct state *st, const struct state_checkpoint *c, struct ferr *err)
{
	sqlite3_stmt *s = st->stmt[ST_CKPT_PUT];

	sqlite3_bind_text(s, 1, c->flow, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, c->group, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, c->topic, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, c->partition);
	sqlite3_bind_int64(s, 5, c->upstream);
	sqlite3_bind_int64(s, 6, c->downstream);
	sqlite3_bind_int64(s, 7, c->ts_ms);
	sqlite3_bind_text(s, 8, c->remote_topic, -1, SQLITE_STATIC);
	return step_done(st, ST_CKPT_PUT, err, "recording a checkpoint");
}

int state_checkpoints_list(struct state *st, const char *group, state_checkpoint_fn fn, void *ctx,
			   struct ferr *err)
{
	sqlite3_stmt *s = st->stmt[ST_CKPT_LIST];
	int rc;

	if (group)
		sqlite3_bind_text(s, 1, group, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct state_checkpoint c = {
			.flow = col_text(s, 0),
			.group = col_text(s, 1),
			.topic = col_text(s, 2),
			.partition = sqlite3_column_int(s, 3),
			.upstream = sqlite3_column_int64(s, 4),
			.downstream = sqlite3_column_int64(s, 5),
			.ts_ms = sqlite3_column_int64(s, 6),
			.remote_topic = col_text(s, 7),
		};

		fn(ctx, &c);
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : db_err(st, err, "reading the checkpoints");
}

int state_syncs_list(struct state *st, const char *flow, const char *topic, int32_t partition,
		     state_sync_fn fn, void *ctx, struct ferr *err)
{
	sqlite3_stmt *s = st->stmt[ST_SYNC_LIST];
	int rc;

	sqlite3_bind_text(s, 1, flow, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, topic, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, partition);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		fn(ctx, sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1),
		   sqlite3_column_int64(s, 2));
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : db_err(st, err, "reading the offset syncs");
}

int state_audit_verify(struct state *st, struct audit_walk *w, struct ferr *err)
{
	sqlite3_stmt *s = st->stmt[ST_AUDIT_WALK];
	int rc;

	audit_walk_init(w);
	/* one statement: one snapshot of the trail, however long the walk */
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct audit_fields f = {
			.id = sqlite3_column_int64(s, 0),
			.ts_ms = sqlite3_column_int64(s, 1),
			.who = col_text(s, 2),
			.role = col_text(s, 3),
			.origin = col_text(s, 4),
			.action = col_text(s, 5),
			.result = col_text(s, 6),
			.detail = col_text(s, 7),
		};
		const char *prev = (const char *)sqlite3_column_text(s, 8);
		const char *hash = (const char *)sqlite3_column_text(s, 9);

		if (audit_walk_step(w, &f, prev, hash, err)) {
			sqlite3_reset(s);
			return -1;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : db_err(st, err, "reading the audit trail");
}

void revision_free(struct revision *r)
{
	free(r->who);
	free(r->comment);
	free(r->text);
	free(r->source_file);
	free(r->source_sha256);
	memset(r, 0, sizeof(*r));
}

static void rev_from_row(sqlite3_stmt *s, struct revision *r)
{
	r->rev = sqlite3_column_int(s, 0);
	r->ts_ms = sqlite3_column_int64(s, 1);
	r->who = strdup(col_text(s, 2));
	r->comment = strdup(col_text(s, 3));
	r->text = strdup(col_text(s, 4));
	r->source_file = strdup(col_text(s, 5));
	r->source_sha256 = strdup(col_text(s, 6));
}

int state_revision_get(struct state *st, int rev, struct revision *out, struct ferr *err)
{
	sqlite3_stmt *s = st->stmt[rev ? ST_REV_GET : ST_REV_LATEST];
	int rc, found = 0;

	memset(out, 0, sizeof(*out));
	if (rev)
		sqlite3_bind_int(s, 1, rev);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		rev_from_row(s, out);
		found = 1;
		if (!out->who || !out->comment || !out->text || !out->source_file ||
		    !out->source_sha256) {
			revision_free(out);
			found = -1;
			ferr_set(err, "out of memory");
		}
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_err(st, err, "reading a configuration revision");
	return found;
}

int state_revision_add(struct state *st, const struct revision *r, int *rev, struct ferr *err)
{
	sqlite3_stmt *s = st->stmt[ST_REV_ADD];
	int rc;

	sqlite3_bind_int64(s, 1, r->ts_ms ? r->ts_ms : state_now_ms());
	sqlite3_bind_text(s, 2, r->who, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, r->comment ? r->comment : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, r->text, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, r->source_file, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, r->source_sha256, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*rev = sqlite3_column_int(s, 0);
	while (rc == SQLITE_ROW)
		rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : db_err(st, err, "saving a configuration revision");
}

int state_revision_list(struct state *st, state_revision_fn fn, void *ctx, struct ferr *err)
{
	sqlite3_stmt *s = st->stmt[ST_REV_LIST];
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct revision r = {
			.rev = sqlite3_column_int(s, 0),
			.ts_ms = sqlite3_column_int64(s, 1),
			.who = (char *)col_text(s, 2),
			.comment = (char *)col_text(s, 3),
			.text = (char *)"",
			.source_file = (char *)col_text(s, 5),
			.source_sha256 = (char *)col_text(s, 6),
		};

		fn(ctx, &r);
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : db_err(st, err, "listing configuration revisions");
}

int state_flow_paused(struct state *st, const char *flow, int *paused, struct ferr *err)
{
	int64_t v = 0;
	int rc;

	sqlite3_bind_text(st->stmt[ST_FLOW_PAUSED], 1, flow, -1, SQLITE_STATIC);
	rc = step_row(st, ST_FLOW_PAUSED, &v, 1, err, "reading flow state");
	*paused = (int)v;
	return rc < 0 ? -1 : 0;
}

int state_flow_set_paused(struct state *st, const char *flow, int paused, const char *who,
			  struct ferr *err)
{
	sqlite3_stmt *s = st->stmt[ST_FLOW_SET_PAUSED];

	sqlite3_bind_text(s, 1, flow, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, paused ? 1 : 0);
	sqlite3_bind_int64(s, 3, state_now_ms());
	sqlite3_bind_text(s, 4, who, -1, SQLITE_STATIC);
	return step_done(st, ST_FLOW_SET_PAUSED, err, "saving flow state");
}

int state_failback_add(struct state *st, const char *flow, const char *who, struct ferr *err)
{
	sqlite3_stmt *s = st->stmt[ST_FB_ADD];

	sqlite3_bind_text(s, 1, flow, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, state_now_ms());
	sqlite3_bind_text(s, 3, who, -1, SQLITE_STATIC);
	return step_done(st, ST_FB_ADD, err, "saving a failback");
}

int state_failback_list(struct state *st, state_failback_fn fn, void *ctx, struct ferr *err)
{
	sqlite3_stmt *s = st->stmt[ST_FB_LIST];
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		fn(ctx, col_text(s, 0));
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : db_err(st, err, "listing failbacks");
}

int state_position_seed(struct state *st, const char *flow, const char *topic, int32_t partition,
			int64_t next_offset, struct ferr *err)
{
	sqlite3_stmt *s = st->stmt[ST_POS_SEED];

	sqlite3_bind_text(s, 1, flow, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, topic, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, partition);
	sqlite3_bind_int64(s, 4, next_offset);
	sqlite3_bind_int64(s, 5, state_now_ms());
	return step_done(st, ST_POS_SEED, err, "seeding a position");
}

int state_position_full(struct state *st, const char *flow, const char *topic, int32_t partition,
			int64_t *next_offset, int64_t *last_downstream, struct ferr *err)
{
	sqlite3_stmt *s = st->stmt[ST_POS_FULL];
	int64_t v[2];
	int rc;

	sqlite3_bind_text(s, 1, flow, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, topic, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, partition);
	rc = step_row(st, ST_POS_FULL, v, 2, err, "reading a position");
	if (rc == 1) {
		*next_offset = v[0];
		*last_downstream = v[1];
	}
	return rc;
}

int state_last_record_get(struct state *st, const char *flow, const char *topic, int32_t partition,
			  struct state_last_record *out, struct ferr *err)
{
	int64_t v[5];
	int rc;

	bind_part(st, ST_LAST_REC, flow, topic, partition);
	rc = step_row(st, ST_LAST_REC, v, 5, err, "reading the last mirrored record");
	if (rc == 1)
		*out = (struct state_last_record){ .next_offset = v[0],
						   .offset = v[1],
						   .timestamp = v[2],
						   .has_hash = v[3] != 0,
						   .hash = (uint64_t)v[4] };
	return rc;
}

int state_gap_add(struct state *st, const char *flow, const char *topic, int32_t partition,
		  int64_t from, int64_t to, struct ferr *err)
{
	sqlite3_stmt *s = bind_part(st, ST_GAP_ADD, flow, topic, partition);

	sqlite3_bind_int64(s, 4, from);
	sqlite3_bind_int64(s, 5, to);
	sqlite3_bind_int64(s, 6, state_now_ms());
	return step_done(st, ST_GAP_ADD, err, "recording offsets never mirrored");
}

int state_gaps_total(struct state *st, const char *flow, const char *topic, int32_t partition,
		     int64_t *out, struct ferr *err)
{
	int rc;

	bind_part(st, ST_GAP_SUM, flow, topic, partition);
	rc = step_row(st, ST_GAP_SUM, out, 1, err, "reading offsets never mirrored");
	if (rc == 0)
		*out = 0;
	return rc < 0 ? -1 : 0;
}

int state_history_block(struct state *st, const char *flow, const char *topic, int32_t partition,
			struct ferr *err)
{
	bind_part(st, ST_HIST_BLOCK, flow, topic, partition);
	return step_done(st, ST_HIST_BLOCK, err, "blocking translation");
}

int state_topic_created_add(struct state *st, const char *cluster, const char *topic,
			    const char *flow, const char *source_topic, struct ferr *err)
{
	sqlite3_stmt *s = st->stmt[ST_TOPIC_CREATED_ADD];

	sqlite3_bind_text(s, 1, cluster, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, topic, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, flow, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, source_topic, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, state_now_ms());
	return step_done(st, ST_TOPIC_CREATED_ADD, err, "recording a created topic");
}

int state_topic_created_get(struct state *st, const char *cluster, const char *topic, char *flow,
			    size_t flowsz, struct ferr *err)
{
	sqlite3_stmt *s = st->stmt[ST_TOPIC_CREATED_GET];
	int rc;

	sqlite3_bind_text(s, 1, cluster, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, topic, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && flow && flowsz)
		snprintf(flow, flowsz, "%s", col_text(s, 0));
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		db_err(st, err, "reading created topics");
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int state_remote_retention_put(struct state *st, const char *cluster, const char *topic,
			       int64_t retention_ms, int64_t observed_ms, const char *flow,
			       const char *source_topic, struct ferr *err)
{
	sqlite3_stmt *s = st->stmt[ST_RETENTION_PUT];

	sqlite3_bind_text(s, 1, cluster, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, topic, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, retention_ms);
	sqlite3_bind_int64(s, 4, observed_ms);
	sqlite3_bind_text(s, 5, flow, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, source_topic, -1, SQLITE_STATIC);
	if (step_done(st, ST_RETENTION_PUT, err, "recording a remote topic's retention"))
		return -1;
	return sqlite3_changes(st->db) > 0 ? 1 : 0;
}

/* Binds ?1 FLOW, ?2 CLUSTER and ?3..?9 the binding B, by Kafka's names. */
static int bind_acl(struct state *st, enum stmt_id id, const char *flow, const char *cluster,
		    const struct aclmap_binding *b, struct ferr *err)
{
	sqlite3_stmt *s = st->stmt[id];
	const char *rt = aclmap_restype_name(b->restype), *pt = aclmap_pattern_name(b->pattern);
	const char *op = aclmap_op_name(b->op), *pm = aclmap_perm_name(b->perm);

	if (!rt || !pt || !op || !pm)
		return ferr_set(err, "ACL binding of %s: a type Kafka does not name", b->name);
	sqlite3_bind_text(s, 1, flow, -1, SQLITE_STATIC);
	if (cluster)
		sqlite3_bind_text(s, 2, cluster, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, rt, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, pt, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, b->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, b->principal, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, b->host, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 8, op, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 9, pm, -1, SQLITE_STATIC);
	return 0;
}

int state_acl_add(struct state *st, const char *flow, const char *cluster,
		  const struct aclmap_binding *b, struct ferr *err)
{
	if (bind_acl(st, ST_ACL_ADD, flow, cluster, b, err)) {
		sqlite3_clear_bindings(st->stmt[ST_ACL_ADD]);
		return -1;
	}
	sqlite3_bind_int64(st->stmt[ST_ACL_ADD], 10, state_now_ms());
	return step_done(st, ST_ACL_ADD, err, "recording an ACL binding");
}

int state_acl_del(struct state *st, const char *flow, const struct aclmap_binding *b,
		  struct ferr *err)
{
	if (bind_acl(st, ST_ACL_DEL, flow, NULL, b, err)) {
		sqlite3_clear_bindings(st->stmt[ST_ACL_DEL]);
		return -1;
	}
	return step_done(st, ST_ACL_DEL, err, "forgetting an ACL binding");
}

int state_acl_list(struct state *st, const char *flow, struct aclmap_list *out, struct ferr *err)
{
	sqlite3_stmt *s = st->stmt[ST_ACL_LIST];
	int rc;

	sqlite3_bind_text(s, 1, flow, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct aclmap_binding b;
		rd_kafka_ResourceType_t rt;
		rd_kafka_ResourcePatternType_t pt;
		rd_kafka_AclOperation_t op;
		rd_kafka_AclPermissionType_t pm;

		if (aclmap_restype_parse(col_text(s, 0), &rt) ||
		    aclmap_pattern_parse(col_text(s, 1), &pt) ||
		    aclmap_op_parse(col_text(s, 5), &op) ||
		    aclmap_perm_parse(col_text(s, 6), &pm)) {
			continue; /* not written by state_acl_add: never acted upon */
		}
		if (aclmap_binding_set(&b, rt, pt, col_text(s, 2), col_text(s, 3), col_text(s, 4),
				       op, pm))
			continue; /* not written by state_acl_add: never acted upon */
		if (aclmap_list_add(out, &b)) {
			sqlite3_reset(s);
			sqlite3_clear_bindings(s);
			return ferr_set(err, "out of memory");
		}
	}
	if (rc != SQLITE_DONE)
		db_err(st, err, "listing ACL bindings");
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* --- the history sink's outbox --- */

int state_sink_enabled(struct state *st, int *on, struct ferr *err)
{
	int64_t v = 0;
	int rc = step_row(st, ST_SINK_ENABLED, &v, 1, err, "reading the sink's state");

	if (rc < 0)
		return -1;
	*on = rc == 1 && v == 1;
	return 0;
}

/* Queues every source view's rows (sink_src_*: the migrations' list of
 * what the triggers report), oldest first; an event already queued stays
 * as it is. Inside the caller's transaction. */
static int sink_backfill(struct state *st, struct ferr *err)
{
	sqlite3_stmt *v;
	int rc;

	if (sqlite3_prepare_v2(st->db,
			       "SELECT name FROM sqlite_schema WHERE type = 'view' AND name LIKE "
			       "'sink!_src!_%' ESCAPE '!' ORDER BY name",
			       -1, &v, NULL) != SQLITE_OK)
		return db_err(st, err, "listing the sink's sources");
	while ((rc = sqlite3_step(v)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(v, 0);
		char sql[512];

		/* the name comes from sqlite_schema and matched sink_src_%:
		 * quoted as an identifier all the same */
		snprintf(sql, sizeof(sql),
			 "INSERT INTO sink_outbox (kind, key, payload, created_ms) SELECT kind, key, "
			 "payload, %lld FROM \"%s\" s WHERE NOT EXISTS (SELECT 1 FROM sink_outbox o "
			 "WHERE o.key = s.key) ORDER BY ord",
			 (long long)state_now_ms(), name);
		if (strchr(name, '"') || exec(st, sql, err)) {
			sqlite3_finalize(v);
			return ferr_wrap(err, "backfilling the sink's outbox from %s", name);
		}
	}
	sqlite3_finalize(v);
	return rc == SQLITE_DONE ? 0 : db_err(st, err, "listing the sink's sources");
}

int state_sink_set_enabled(struct state *st, int on, struct ferr *err)
{
	int was;

	if (step_done(st, ST_BEGIN, err, "beginning a transaction"))
		return -1;
	if (state_sink_enabled(st, &was, err))
		goto fail;
	if (on && !was) {
		if (exec(st, "UPDATE sink_state SET enabled = 1", err) || sink_backfill(st, err))
			goto fail;
	} else if (!on && was) {
		/* nothing waits for a sink that is gone; turning it on again
		 * queues everything the store still holds */
		if (exec(st, "UPDATE sink_state SET enabled = 0; DELETE FROM sink_outbox", err))
			goto fail;
	}
	if (step_done(st, ST_COMMIT, err, "committing"))
		goto fail;
	return 0;
fail:
	end_failed_txn(st);
	return -1;
}

int state_sink_event_add(struct state *st, const char *kind, const char *key, const char *payload,
			 struct ferr *err)
{
	sqlite3_stmt *s = st->stmt[ST_SINK_EVENT_ADD];

	sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, payload, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, state_now_ms());
	return step_done(st, ST_SINK_EVENT_ADD, err, "queueing a sink event");
}

int state_sink_batch(struct state *st, int64_t after, int limit, state_sink_event_fn fn, void *ctx,
		     struct ferr *err)
{
	sqlite3_stmt *s = st->stmt[ST_SINK_BATCH];
	int rc, n = 0;

	sqlite3_bind_int64(s, 1, after);
	sqlite3_bind_int(s, 2, limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (fn(ctx, sqlite3_column_int64(s, 0), col_text(s, 1), col_text(s, 2))) {
			rc = SQLITE_DONE;
			n = -1;
			break;
		}
		n++;
	}
	if (rc != SQLITE_DONE)
		db_err(st, err, "reading the sink's outbox");
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (n < 0)
		return ferr_set(err, "out of memory");
	return rc == SQLITE_DONE ? n : -1;
}

int state_sink_delete(struct state *st, int64_t upto, struct ferr *err)
{
	sqlite3_bind_int64(st->stmt[ST_SINK_DELETE], 1, upto);
	return step_done(st, ST_SINK_DELETE, err, "deleting delivered sink events");
}

int state_sink_pending(struct state *st, int64_t *count, int64_t *oldest_ms, struct ferr *err)
{
	int64_t v[2] = { 0, 0 };

	if (step_row(st, ST_SINK_PENDING, v, 2, err, "counting the sink's outbox") < 0)
		return -1;
	*count = v[0];
	*oldest_ms = v[1];
	return 0;
}

int state_sink_rebase(struct state *st, int64_t cursor, int64_t *seq, struct ferr *err)
{
	int64_t v = 0;
	char sql[512];

	if (step_done(st, ST_BEGIN, err, "beginning a transaction"))
		return -1;
	if (step_row(st, ST_SINK_SEQ, &v, 1, err, "reading the sink's sequence") < 0)
		goto fail;
	*seq = v;
	if (v < cursor) {
		/* every id here is <= v < cursor, so adding cursor keeps them
		 * distinct and in order, all above what PostgreSQL holds */
		snprintf(sql, sizeof(sql),
			 "UPDATE sink_outbox SET id = id + %lld; "
			 "UPDATE sqlite_sequence SET seq = %lld + seq WHERE name = 'sink_outbox'; "
			 "INSERT INTO sqlite_sequence (name, seq) SELECT 'sink_outbox', %lld "
			 "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'sink_outbox')",
			 (long long)cursor, (long long)cursor, (long long)cursor);
		if (exec(st, sql, err))
			goto fail;
	}
	if (step_done(st, ST_COMMIT, err, "committing"))
		goto fail;
	return 0;
fail:
	end_failed_txn(st);
	return -1;
}

int state_placement_verdict(struct state *st, const char *flow, const char *topic,
			    const char *cluster, int allowed, const char *rule,
			    const char *category, const char *basis, struct ferr *err)
{
	sqlite3_stmt *s = st->stmt[ST_PLACEMENT_VERDICT];

	sqlite3_bind_text(s, 1, flow, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, topic, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, cluster, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, allowed ? 1 : 0);
	sqlite3_bind_text(s, 5, rule ? rule : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, category ? category : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, basis ? basis : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 8, state_now_ms());
	return step_done(st, ST_PLACEMENT_VERDICT, err, "recording a placement verdict");
}
