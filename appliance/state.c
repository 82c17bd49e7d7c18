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

#include "state_schema.h"

enum stmt_id { ST_POS_GET, ST_POS_PUT, ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST__COUNT };

static const char *const stmt_sql[ST__COUNT] = {
	[ST_POS_GET] = "SELECT next_offset FROM positions WHERE flow = ?1 AND topic = ?2 AND partition = ?3",
	[ST_POS_PUT] = "INSERT INTO positions (flow, topic, partition, next_offset, updated_ms) "
		       "VALUES (?1, ?2, ?3, ?4, ?5) "
		       "ON CONFLICT (flow, topic, partition) DO UPDATE SET "
		       "next_offset = excluded.next_offset, updated_ms = excluded.updated_ms",
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
};

struct state {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmt[ST__COUNT];
};

static int db_err(struct state *st, struct ferr *err, const char *what)
{
	return ferr_set(err, "%s: %s: %s", st->path, what, sqlite3_errmsg(st->db));
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

	sqlite3_reset(st->stmt[id]);
	sqlite3_clear_bindings(st->stmt[id]);
	if (rc != SQLITE_DONE)
		return db_err(st, err, what);
	return 0;
}

int state_position_get(struct state *st, const char *flow, const char *topic, int32_t partition,
		       int64_t *out, struct ferr *err)
{
	sqlite3_stmt *s = st->stmt[ST_POS_GET];
	int rc, found = 0;

	sqlite3_bind_text(s, 1, flow, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, topic, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, partition);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(s, 0);
		found = 1;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_err(st, err, "reading a position");
	return found;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int state_positions_save(struct state *st, const char *flow, const struct state_position *v,
			 size_t n, struct ferr *err)
{
	sqlite3_stmt *s = st->stmt[ST_POS_PUT];
	int64_t now = now_ms();

	if (n == 0)
		return 0;
	if (step_done(st, ST_BEGIN, err, "starting a transaction"))
		return -1;
	for (size_t i = 0; i < n; i++) {
		sqlite3_bind_text(s, 1, flow, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, v[i].topic, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 3, v[i].partition);
		sqlite3_bind_int64(s, 4, v[i].next_offset);
		sqlite3_bind_int64(s, 5, now);
		if (step_done(st, ST_POS_PUT, err, "saving positions")) {
			step_done(st, ST_ROLLBACK, NULL, "rollback");
			return -1;
		}
	}
	return step_done(st, ST_COMMIT, err, "committing positions");
}
