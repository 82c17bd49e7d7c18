/*
 * state.c — the SQLite state store: open, migrate, prepared statements.
 */
#include "state.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "clock.h"
#include "state_schema.h"
#include "translate.h"

enum stmt_id {
	ST_POS_PUT, ST_POS_LIST, ST_POS_LIST_ALL, ST_BEGIN, ST_COMMIT, ST_ROLLBACK,
	ST_AUDIT_ADD, ST_AUDIT_LIST, ST_REV_GET, ST_REV_LATEST, ST_REV_ADD, ST_REV_LIST,
	ST_FLOW_PAUSED, ST_FLOW_SET_PAUSED, ST_SYNC_ADD, ST_SYNC_PRUNE, ST_SYNC_LOAD, ST_LAST_DOWN,
	ST_GC_GET, ST_GC_PUT, ST_FB_ADD, ST_FB_LIST, ST_POS_SEED, ST_POS_FULL, ST__COUNT
};

static const char *const stmt_sql[ST__COUNT] = {
	[ST_POS_PUT] = "INSERT INTO positions (flow, topic, partition, next_offset, updated_ms, "
		       "last_upstream, last_downstream) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
		       "ON CONFLICT (flow, topic, partition) DO UPDATE SET "
		       "next_offset = excluded.next_offset, updated_ms = excluded.updated_ms, "
		       "last_upstream = CASE WHEN excluded.last_upstream >= 0 "
		       "THEN excluded.last_upstream ELSE last_upstream END, "
		       "last_downstream = CASE WHEN excluded.last_downstream >= 0 "
		       "THEN excluded.last_downstream ELSE last_downstream END",
	[ST_SYNC_ADD] = "INSERT OR REPLACE INTO offset_syncs (flow, topic, partition, upstream, "
			"downstream, ts_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_SYNC_PRUNE] = "DELETE FROM offset_syncs WHERE flow = ?1 AND topic = ?2 AND partition = ?3 "
			  "AND downstream < (SELECT downstream FROM offset_syncs WHERE flow = ?1 AND "
			  "topic = ?2 AND partition = ?3 ORDER BY downstream DESC LIMIT 1 OFFSET ?4)",
	[ST_SYNC_LOAD] = "SELECT upstream, downstream FROM offset_syncs WHERE flow = ?1 AND "
			 "topic = ?2 AND partition = ?3 ORDER BY downstream",
	[ST_LAST_DOWN] = "SELECT last_downstream FROM positions WHERE flow = ?1 AND topic = ?2 "
			 "AND partition = ?3",
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
	[ST_AUDIT_ADD] = "INSERT INTO audit (ts_ms, who, role, origin, action, result, detail) "
			 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_AUDIT_LIST] = "SELECT id, ts_ms, who, role, origin, action, result, detail FROM "
			  "(SELECT * FROM audit ORDER BY id DESC LIMIT ?1) ORDER BY id",
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
	[ST_FLOW_SET_PAUSED] = "INSERT INTO flow_admin (flow, paused, ts_ms, who) VALUES (?1, ?2, ?3, ?4) "
			       "ON CONFLICT (flow) DO UPDATE SET paused = excluded.paused, "
			       "ts_ms = excluded.ts_ms, who = excluded.who",
	[ST_FB_ADD] = "INSERT OR REPLACE INTO failbacks (flow, ts_ms, who) VALUES (?1, ?2, ?3)",
	[ST_FB_LIST] = "SELECT flow FROM failbacks ORDER BY flow",
	[ST_POS_SEED] = "INSERT OR IGNORE INTO positions (flow, topic, partition, next_offset, "
			"updated_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_POS_FULL] = "SELECT next_offset, last_downstream FROM positions WHERE flow = ?1 AND "
			"topic = ?2 AND partition = ?3",
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
};

struct state {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmt[ST__COUNT];
};

#define WAL_CHECKPOINT_PAGES 1000   /* SQLite's default autocheckpoint */

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

static int mkdir_p(const char *dir, struct ferr *err)
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
	if (sqlite3_open_v2(st->path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		ferr_set(err, "%s: cannot open: %s", st->path,
			 st->db ? sqlite3_errmsg(st->db) : "out of memory");
		state_close(st);
		return -1;
	}
	sqlite3_busy_timeout(st->db, 10000);
	sqlite3_wal_hook(st->db, wal_hook, NULL);   /* replaces sqlite3_wal_autocheckpoint() */
	if (exec(st, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
		     "PRAGMA foreign_keys = ON;", err)) {
		state_close(st);
		return -1;
	}
	*out = st;
	return 0;
}

static int prepare_all(struct state *st, struct ferr *err)
{
	for (int i = 0; i < ST__COUNT; i++) {
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

/* Each step runs in its own BEGIN IMMEDIATE together with its user_version,
 * so a crash leaves the store at a whole version. */
static int migrate(struct state *st, struct ferr *err)
{
	int cur;
	int latest = (int)schema_migrations_count;

	if (state_schema_version(st, &cur, err))
		return -1;
	if (cur > latest)
		return ferr_set(err, "%s: schema version %d is newer than this ferryd knows (%d); "
				"refusing to touch it", st->path, cur, latest);
	for (unsigned i = 0; i < schema_migrations_count; i++) {
		const struct schema_migration *m = &schema_migrations[i];
		char setv[64];

		if (m->version <= cur)
			continue;
		if (exec(st, "BEGIN IMMEDIATE", err))
			return -1;
		snprintf(setv, sizeof(setv), "PRAGMA user_version = %d", m->version);
		if (exec(st, m->sql, err) || exec(st, setv, err)) {
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

	if (mkdir_p(dir, err) || open_conn(dir, &st, err))
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
	if (v != (int)schema_migrations_count) {
		ferr_set(err, "%s: schema version %d, expected %u", st->path, v,
			 schema_migrations_count);
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
		db_err(st, err, what);   /* before the reset, which may touch errno */
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

int state_positions_save(struct state *st, const char *flow, const struct state_position *v,
			 size_t n, const struct state_sync *syncs, size_t ns, long long retention,
			 struct ferr *err)
{
	sqlite3_stmt *s = st->stmt[ST_POS_PUT];
	int64_t now = state_now_ms();

	if (n == 0 && ns == 0)
		return 0;
	end_failed_txn(st);
	if (step_done(st, ST_BEGIN, err, "starting a transaction"))
		return -1;
	for (size_t i = 0; i < n; i++) {
		sqlite3_bind_text(s, 1, flow, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, v[i].topic, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 3, v[i].partition);
		sqlite3_bind_int64(s, 4, v[i].next_offset);
		sqlite3_bind_int64(s, 5, now);
		sqlite3_bind_int64(s, 6, v[i].last_upstream);
		sqlite3_bind_int64(s, 7, v[i].last_downstream);
		if (step_done(st, ST_POS_PUT, err, "saving positions"))
			goto fail;
	}
	for (size_t i = 0; i < ns; i++) {
		sqlite3_stmt *a = st->stmt[ST_SYNC_ADD];

		sqlite3_bind_text(a, 1, flow, -1, SQLITE_STATIC);
		sqlite3_bind_text(a, 2, syncs[i].topic, -1, SQLITE_STATIC);
		sqlite3_bind_int(a, 3, syncs[i].partition);
		sqlite3_bind_int64(a, 4, syncs[i].upstream);
		sqlite3_bind_int64(a, 5, syncs[i].downstream);
		sqlite3_bind_int64(a, 6, now);
		if (step_done(st, ST_SYNC_ADD, err, "saving offset syncs"))
			goto fail;
		/* prune once per partition: after its last sync of this batch */
		if (i + 1 == ns || strcmp(syncs[i + 1].topic, syncs[i].topic) != 0 ||
		    syncs[i + 1].partition != syncs[i].partition) {
			sqlite3_stmt *p = st->stmt[ST_SYNC_PRUNE];

			sqlite3_bind_text(p, 1, flow, -1, SQLITE_STATIC);
			sqlite3_bind_text(p, 2, syncs[i].topic, -1, SQLITE_STATIC);
			sqlite3_bind_int(p, 3, syncs[i].partition);
			sqlite3_bind_int64(p, 4, retention - 1);
			if (step_done(st, ST_SYNC_PRUNE, err, "pruning offset syncs"))
				goto fail;
		}
	}
	if (step_done(st, ST_COMMIT, err, "committing positions") == 0)
		return 0;
fail:
	end_failed_txn(st);
	return -1;
}

int state_syncs_load(struct state *st, const char *flow, const char *topic, int32_t partition,
		     struct offset_sync **out, size_t *n, int64_t *last_down, struct ferr *err)
{
	sqlite3_stmt *s = st->stmt[ST_SYNC_LOAD];
	struct offset_sync *v = NULL;
	size_t k = 0, cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	*last_down = -1;
	sqlite3_bind_text(s, 1, flow, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, topic, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, partition);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (k == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct offset_sync *nv = realloc(v, ncap * sizeof(*nv));

			if (!nv) {
				free(v);
				sqlite3_reset(s);
				return ferr_set(err, "out of memory");
			}
			v = nv;
			cap = ncap;
		}
		v[k].upstream = sqlite3_column_int64(s, 0);
		v[k].downstream = sqlite3_column_int64(s, 1);
		k++;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE) {
		free(v);
		return db_err(st, err, "reading offset syncs");
	}
	s = st->stmt[ST_LAST_DOWN];
	sqlite3_bind_text(s, 1, flow, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, topic, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, partition);
	if (sqlite3_step(s) == SQLITE_ROW)
		*last_down = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	*out = v;
	*n = k;
	return 0;
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
	return step_done(st, ST_AUDIT_ADD, err, "writing the audit trail");
}

int state_audit_list(struct state *st, int limit, state_audit_fn fn, void *ctx, struct ferr *err)
{
	sqlite3_stmt *s = st->stmt[ST_AUDIT_LIST];
	int rc;

	sqlite3_bind_int(s, 1, limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct audit_entry e = {
			.id = sqlite3_column_int64(s, 0), .ts_ms = sqlite3_column_int64(s, 1),
			.who = col_text(s, 2), .role = col_text(s, 3), .origin = col_text(s, 4),
			.action = col_text(s, 5), .result = col_text(s, 6), .detail = col_text(s, 7),
		};

		fn(ctx, &e);
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
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
			.rev = sqlite3_column_int(s, 0), .ts_ms = sqlite3_column_int64(s, 1),
			.who = (char *)col_text(s, 2), .comment = (char *)col_text(s, 3),
			.text = (char *)"", .source_file = (char *)col_text(s, 5),
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
