/*
 * state.h — ferryd's memory: the SQLite state store in <state-dir>/ferry.db
 * (WAL mode). One connection per thread that writes; the schema is brought
 * up to date by numbered migrations (PRAGMA user_version) when ferryd opens
 * the store first.
 */
#ifndef FERRY_STATE_H
#define FERRY_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct state;

/* Opens (creating DIR and the database if missing) and migrates.
 * Refuses a database newer than this ferryd. */
int state_open(const char *dir, struct state **out, struct ferr *err);
/* Another connection to an already migrated store (for a worker thread). */
int state_open_worker(const char *dir, struct state **out, struct ferr *err);
void state_close(struct state *st);

int state_schema_version(struct state *st, int *out, struct ferr *err);

struct state_position {
	const char *topic;
	int32_t partition;
	int64_t next_offset;
};

/* Saved position of FLOW's TOPIC/PARTITION: 1 and *out if known, 0 if
 * not, -1 on error. */
int state_position_get(struct state *st, const char *flow, const char *topic, int32_t partition,
		       int64_t *out, struct ferr *err);

/* Writes N positions of FLOW in one transaction (all or nothing). */
int state_positions_save(struct state *st, const char *flow, const struct state_position *v,
			 size_t n, struct ferr *err);

#endif
