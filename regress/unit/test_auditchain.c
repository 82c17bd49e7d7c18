/*
 * test_auditchain.c — the audit trail's hash chain: the encoding against a
 * value computed by another implementation (Python's hashlib, the same
 * bytes pgext/sql/30_audit.sql hashes), the chain written by
 * state_audit_add, and what `audit verify` reports after an entry is
 * edited, deleted, or edited and rehashed; entries older than the chain's
 * migration are hashed when it runs.
 */
#include "appliance/store/auditchain.h"
#include "appliance/store/state.h"
#include "appliance/store/state_schema.h"
#include "store_files.h"
#include "tap.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int sql(const char *dir, const char *stmt)
{
	char path[256];
	sqlite3 *db = NULL;
	int rc;

	snprintf(path, sizeof(path), "%s/ferry.db", dir);
	if (sqlite3_open(path, &db) != SQLITE_OK) {
		sqlite3_close(db);
		return -1;
	}
	rc = sqlite3_exec(db, stmt, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		diag("%s: %s", stmt, sqlite3_errmsg(db));
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

static struct audit_walk verify(struct state *st)
{
	struct audit_walk w;
	struct ferr err;

	if (state_audit_verify(st, &w, &err)) {
		diag("verify: %s", err.msg);
		memset(&w, 0, sizeof(w));
		snprintf(w.problem, sizeof(w.problem), "(verify failed)");
		w.broken = -1;
	}
	return w;
}

static void add(struct state *st, int64_t ts, const char *action)
{
	struct audit_entry e = { .ts_ms = ts,
				 .who = "alice (uid 1000)",
				 .role = "admin",
				 .origin = "unix",
				 .action = action,
				 .result = "ok",
				 .detail = "" };
	struct ferr err;

	if (state_audit_add(st, &e, &err))
		diag("add: %s", err.msg);
}

/* A fresh store in DIR with three entries. */
static struct state *fresh(char *dir)
{
	struct state *st = NULL;
	struct ferr err;

	if (!mkdtemp(dir) || state_open(dir, &st, &err))
		return NULL;
	add(st, 1764783481123, "set ferry.x = \xc3\xa9");
	add(st, 1764783481124, "show flows");
	add(st, 1764783481125, "commit");
	return st;
}

struct hashes {
	int n;
	char prev[4][AUDIT_HASH_LEN + 1], hash[4][AUDIT_HASH_LEN + 1];
};

static void on_entry(void *ctx, const struct audit_entry *e)
{
	struct hashes *h = ctx;

	if (h->n < 4) {
		snprintf(h->prev[h->n], sizeof(h->prev[0]), "%s", e->prev_hash);
		snprintf(h->hash[h->n], sizeof(h->hash[0]), "%s", e->hash);
	}
	h->n++;
}

int main(void)
{
	struct audit_fields f = { .id = 1,
				  .ts_ms = 1764783481123,
				  .who = "alice (uid 1000)",
				  .role = "admin",
				  .origin = "unix",
				  .action = "set ferry.x = \xc3\xa9",
				  .result = "ok",
				  .detail = "" };
	char h[AUDIT_HASH_LEN + 1];
	char dir[] = "/tmp/ferry-chain-XXXXXX";
	struct hashes hs = { 0 };
	struct audit_walk w;
	struct state *st;
	struct ferr err;

	/* python3: sha256(b''.join(str(len(b)).encode()+b':'+b+b',' for b in
	 * [b'0'*64, b'1', b'1764783481123', ...])) */
	ok(audit_chain_hash(audit_genesis_hash, &f, h, &err) == 0, "hash computed");
	is(h, "9d6c0033c7c730b51daa68a695d5564907d299aa6c98b57dd8c910cff5cb85ed",
	   "the encoding: <byte length>:<bytes>, per field (UTF-8 counted in bytes)");

	st = fresh(dir);
	ok(st != NULL, "store with three entries");
	if (!st)
		return done_testing();
	state_audit_list(st, 10, on_entry, &hs, &err);
	is_int(hs.n, 3, "three entries listed");
	is(hs.prev[0], audit_genesis_hash, "the first entry follows the genesis hash");
	is(hs.hash[0], h, "its hash is the one computed above: set in the INSERT");
	is(hs.prev[1], hs.hash[0], "the second follows the first");
	is(hs.prev[2], hs.hash[1], "the third follows the second");
	w = verify(st);
	ok(!w.broken, "verify: ok");
	is_int(w.checked, 3, "three checked");
	ok(w.first_id == 1 && w.last_id == 3, "ids 1 to 3");

	ok(sql(dir, "UPDATE audit SET action = 'show clusters' WHERE id = 2") == 0, "id 2 edited");
	w = verify(st);
	ok(w.broken == 1, "verify: broken");
	is(w.problem, "hash mismatch: id 2 (the entry was changed after it was written)",
	   "names id 2, edited");
	is_int(w.checked, 3, "the whole chain still counted");

	ok(sql(dir, "UPDATE audit SET action = 'show flows' WHERE id = 2") == 0, "id 2 restored");
	ok(!verify(st).broken, "verify: ok again");

	/* edited and rehashed (the hash is no secret): the next entry names it */
	f = (struct audit_fields){ .id = 2,
				   .ts_ms = 1764783481124,
				   .who = "mallory",
				   .role = "admin",
				   .origin = "unix",
				   .action = "show flows",
				   .result = "ok",
				   .detail = "" };
	ok(audit_chain_hash(hs.hash[0], &f, h, &err) == 0, "rehash of an edited id 2");
	{
		char stmt[512];

		snprintf(stmt, sizeof(stmt),
			 "UPDATE audit SET who = 'mallory', hash = '%s' WHERE id = 2", h);
		ok(sql(dir, stmt) == 0, "id 2 edited and rehashed");
	}
	w = verify(st);
	is(w.problem, "prev-hash mismatch: id 3 (its prev hash is not the hash of id 2)",
	   "the entry after it does not follow");

	ok(sql(dir, "DELETE FROM audit WHERE id = 2") == 0, "id 2 deleted");
	w = verify(st);
	ok(w.broken == 1, "verify: broken");
	is(w.problem, "gap: id 2 missing (deleted)", "names id 2, missing");
	ok(w.checked == 2 && w.first_id == 1 && w.last_id == 3, "2 checked, ids 1 to 3");

	ok(sql(dir, "DELETE FROM audit WHERE id = 1") == 0, "id 1 deleted");
	is(verify(st).problem, "gap: ids 1 to 2 missing (deleted)",
	   "missing first entries are a gap");
	ok(sql(dir, "UPDATE audit SET hash = NULL WHERE id = 3") == 0, "hash of id 3 erased");
	state_close(st);
	st = NULL;
	ok(state_open(dir, &st, &err) == 0, "reopened");
	if (st) {
		ok(sql(dir, "INSERT INTO audit (id, ts_ms, who, role, origin, action, result) "
			    "VALUES (1, 1, 'x', 'admin', 'unix', 'x', 'ok'), "
			    "(2, 2, 'x', 'admin', 'unix', 'x', 'ok')") == 0,
		   "ids 1 and 2 put back without hashes");
		is(verify(st).problem, "hash mismatch: id 1 has no hash",
		   "a reopened store does not rehash what lost its hash");
	}
	state_close(st);
	store_files_remove(dir);

	/* a store from before the chain: every migration before it, entries
	 * written then; the chain's migration hashes them in id order */
	{
		char d2[] = "/tmp/ferry-chain-XXXXXX";
		char path[256];
		sqlite3 *db = NULL;
		unsigned k = 0;
		int okm = mkdtemp(d2) != NULL;

		while (k < schema_migrations_count &&
		       !strstr(schema_migrations[k].name, "audit_chain"))
			k++;
		ok(k < schema_migrations_count, "the chain's migration is migration %u", k + 1);
		snprintf(path, sizeof(path), "%s/ferry.db", d2);
		okm = okm && sqlite3_open(path, &db) == SQLITE_OK;
		for (unsigned i = 0; okm && i < k; i++)
			okm = sqlite3_exec(db, schema_migrations[i].sql, NULL, NULL, NULL) ==
			      SQLITE_OK;
		if (okm && k > 0) {
			char v[64];

			snprintf(v, sizeof(v), "PRAGMA user_version = %d",
				 schema_migrations[k - 1].version);
			okm = sqlite3_exec(db, v, NULL, NULL, NULL) == SQLITE_OK &&
			      sqlite3_exec(db,
					   "INSERT INTO audit (ts_ms, who, role, origin, action, "
					   "result) VALUES (1764783481123, 'alice (uid 1000)', "
					   "'admin', 'unix', 'set ferry.x = \xc3\xa9', 'ok'), "
					   "(2, 'ferryd', 'system', 'ferryd', 'b', 'ok'), "
					   "(3, 'ferryd', 'system', 'ferryd', 'c', 'error')",
					   NULL, NULL, NULL) == SQLITE_OK;
		}
		sqlite3_close(db);
		ok(okm, "a store at version %d with three entries",
		   k > 0 ? schema_migrations[k - 1].version : 0);
		st = NULL;
		ok(state_open(d2, &st, &err) == 0, "migrated");
		if (st) {
			memset(&hs, 0, sizeof(hs));
			state_audit_list(st, 10, on_entry, &hs, &err);
			is(hs.hash[0],
			   "9d6c0033c7c730b51daa68a695d5564907d299aa6c98b57dd8c910cff5cb85ed",
			   "the oldest entry hashed as one written with the chain");
			add(st, 4, "d");
			w = verify(st);
			ok(!w.broken && w.checked == 4, "the old entries and a new one verify: %s",
			   w.problem);
		}
		state_close(st);
		store_files_remove(d2);
	}

	/* a store past the chain's migration whose entries lost their
	 * hashes: a later migration does not hash them again (the chain is
	 * filled once, by its own migration) */
	{
		char d3[] = "/tmp/ferry-chain-XXXXXX";
		char path[256], v[64];
		sqlite3 *db = NULL;
		unsigned k = 0;
		int okm = mkdtemp(d3) != NULL;

		while (k < schema_migrations_count &&
		       !strstr(schema_migrations[k].name, "audit_chain"))
			k++;
		snprintf(path, sizeof(path), "%s/ferry.db", d3);
		okm = okm && k < schema_migrations_count && sqlite3_open(path, &db) == SQLITE_OK;
		for (unsigned i = 0; okm && i <= k; i++)
			okm = sqlite3_exec(db, schema_migrations[i].sql, NULL, NULL, NULL) ==
			      SQLITE_OK;
		if (okm) {
			snprintf(v, sizeof(v), "PRAGMA user_version = %d",
				 schema_migrations[k].version);
			okm = sqlite3_exec(db, v, NULL, NULL, NULL) == SQLITE_OK &&
			      sqlite3_exec(db,
					   "INSERT INTO audit (ts_ms, who, role, origin, action, "
					   "result) VALUES (1, 'ferryd', 'system', 'ferryd', 'a', "
					   "'ok')",
					   NULL, NULL, NULL) == SQLITE_OK;
		}
		sqlite3_close(db);
		ok(okm, "a store at the chain's version with an entry without a hash");
		st = NULL;
		ok(state_open(d3, &st, &err) == 0, "migrated");
		if (st) {
			w = verify(st);
			if (k + 1 < schema_migrations_count)
				is(w.problem, "hash mismatch: id 1 has no hash",
				   "a later migration leaves an erased hash erased");
		}
		state_close(st);
		store_files_remove(d3);
	}
	return done_testing();
}
