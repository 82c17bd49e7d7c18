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

#include "lib/err.h"

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
	int64_t last_upstream, last_downstream;   /* last mirrored record; -1 unknown */
	/* the last mirrored record's identity (with last_upstream >= 0 only) */
	int64_t last_timestamp;                   /* -1 none */
	int has_hash;
	uint64_t last_hash;                       /* record_hash() of its key and value */
};

/* A change of a partition's offset delta (see translate.h). */
struct state_sync {
	const char *topic;
	int32_t partition;
	int64_t upstream, downstream;
};

/* Saved position of FLOW's TOPIC/PARTITION: 1 and *out if known, 0 if
 * not, -1 on error. */
int state_position_get(struct state *st, const char *flow, const char *topic, int32_t partition,
		       int64_t *out, struct ferr *err);

/* Writes N positions and NS offset syncs of FLOW in one transaction (all
 * or nothing), keeping at most RETENTION syncs per partition. */
int state_positions_save(struct state *st, const char *flow, const struct state_position *v,
			 size_t n, const struct state_sync *syncs, size_t ns, long long retention,
			 struct ferr *err);

/* The offset syncs of a partition in downstream order (caller frees
 * *out) and the downstream offset of its last mirrored record (-1 none). */
struct offset_sync;
int state_syncs_load(struct state *st, const char *flow, const char *topic, int32_t partition,
		     struct offset_sync **out, size_t *n, int64_t *last_down, struct ferr *err);

/* Offsets ferry committed for a group on a target (never moved back). */
int state_group_commit_get(struct state *st, const char *cluster, const char *group,
			   const char *topic, int32_t partition, int64_t *downstream,
			   struct ferr *err);
int state_group_commit_put(struct state *st, const char *cluster, const char *group,
			   const char *topic, int32_t partition, int64_t upstream,
			   int64_t downstream, struct ferr *err);

/* Every saved position (of FLOW, or of all flows when NULL). */
typedef void (*state_position_fn)(void *ctx, const char *flow, const char *topic,
				  int32_t partition, int64_t next_offset, int64_t updated_ms);
int state_positions_list(struct state *st, const char *flow, state_position_fn fn, void *ctx,
			 struct ferr *err);

/* --- audit trail --- */
struct audit_entry {
	int64_t id, ts_ms;
	const char *who, *role, *origin, *action, *result, *detail;
};
int state_audit_add(struct state *st, const struct audit_entry *e, struct ferr *err);
/* The LIMIT newest entries, oldest first. */
typedef void (*state_audit_fn)(void *ctx, const struct audit_entry *e);
int state_audit_list(struct state *st, int limit, state_audit_fn fn, void *ctx, struct ferr *err);

/* --- configuration revisions --- */
struct revision {
	int rev;
	int64_t ts_ms;
	char *who, *comment, *text, *source_file, *source_sha256;
};
void revision_free(struct revision *r);
/* 1 and *out when found, 0 when there is none, -1 on error. rev 0 = latest. */
int state_revision_get(struct state *st, int rev, struct revision *out, struct ferr *err);
/* Adds R as the next revision; its number goes to *rev. */
int state_revision_add(struct state *st, const struct revision *r, int *rev, struct ferr *err);
typedef void (*state_revision_fn)(void *ctx, const struct revision *r);
int state_revision_list(struct state *st, state_revision_fn fn, void *ctx, struct ferr *err);

/* --- flows paused by an operator --- */
int state_flow_paused(struct state *st, const char *flow, int *paused, struct ferr *err);
int state_flow_set_paused(struct state *st, const char *flow, int paused, const char *who,
			  struct ferr *err);

/* Failbacks: add one, list them. */
int state_failback_add(struct state *st, const char *flow, const char *who, struct ferr *err);
typedef void (*state_failback_fn)(void *ctx, const char *flow);
int state_failback_list(struct state *st, state_failback_fn fn, void *ctx, struct ferr *err);
/* Seeds a position only where none is saved yet. */
int state_position_seed(struct state *st, const char *flow, const char *topic, int32_t partition,
			int64_t next_offset, struct ferr *err);
/* The saved position and last mirrored record of a partition: 1 when known. */
int state_position_full(struct state *st, const char *flow, const char *topic, int32_t partition,
			int64_t *next_offset, int64_t *last_downstream, struct ferr *err);

/* The last mirrored record of a partition as saved: where the position is,
 * the record's source offset (-1 unknown), its timestamp and hash. */
struct state_last_record {
	int64_t next_offset, offset, timestamp;
	int has_hash;
	uint64_t hash;
};
/* 1 and *out when a position is saved, 0 when none, -1 on error. */
int state_last_record_get(struct state *st, const char *flow, const char *topic, int32_t partition,
			  struct state_last_record *out, struct ferr *err);

/* Source offsets [FROM, TO) of a partition were deleted at the source
 * before ferry mirrored them; the sum of such offsets per partition. */
int state_gap_add(struct state *st, const char *flow, const char *topic, int32_t partition,
		  int64_t from, int64_t to, struct ferr *err);
int state_gaps_total(struct state *st, const char *flow, const char *topic, int32_t partition,
		     int64_t *out, struct ferr *err);

/* Cuts FLOW's translation history of a partition at a discontinuity of the
 * source log: in one transaction deletes its offset syncs, sets its
 * position to NEXT_OFFSET and forgets its last mirrored record. */
int state_history_cut(struct state *st, const char *flow, const char *topic, int32_t partition,
		      int64_t next_offset, struct ferr *err);

int64_t state_now_ms(void);

#endif
