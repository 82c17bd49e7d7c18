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

/* Creates DIR and its parents (mode 0750) if missing; the error names the
 * directory ("cannot create state directory DIR: ..."). */
int state_dir_create(const char *dir, struct ferr *err);
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
	int64_t last_upstream, last_downstream; /* last mirrored record; -1 unknown */
	/* the last acknowledged record's identity (last_record >= 0 only) */
	int64_t last_timestamp; /* -1 none */
	int has_hash;
	uint64_t last_hash;  /* record_hash() of its key and value */
	int64_t last_record; /* its source offset; -1: unchanged */
};

/* A change of a partition's offset delta (see translate.h). The fields
 * after downstream are zero for a plain change of delta. */
struct state_sync {
	const char *topic;
	int32_t partition;
	int64_t upstream, downstream;
	/* where the partition's exact history starts, used only when it has
	 * none yet: 0 when the flow started from the beginning, else where
	 * mirroring began */
	int64_t translate_from;
	/* 1: records acknowledged just before this one had unknown target
	 * offsets; unknown_min is the lowest of their upstream offsets */
	int after_unknown;
	int64_t unknown_min;
	/* the last record of this run with a known target offset before this
	 * one; -1: none in this run (the saved last_upstream is, and the
	 * records the target holds between it and this one are unknown) */
	int64_t known_up;
	/* the source partition's log start offset, when known (> 0) */
	int64_t log_start;
};

/* Saved position of FLOW's TOPIC/PARTITION: 1 and *out if known, 0 if
 * not, -1 on error. */
int state_position_get(struct state *st, const char *flow, const char *topic, int32_t partition,
		       int64_t *out, struct ferr *err);

/* Writes N positions and NS offset syncs of FLOW in one transaction (all
 * or nothing). The history of a partition keeps what translates the
 * offsets its source still holds: syncs whose runs lie wholly below the
 * log start go, and at most RETENTION syncs stay; either raises the
 * partition's translate_from to the oldest sync kept, so what was pruned
 * answers "cannot translate". Unknown target offsets become holes. */
int state_positions_save(struct state *st, const char *flow, const struct state_position *v,
			 size_t n, const struct state_sync *syncs, size_t ns, long long retention,
			 struct ferr *err);

/* --- the transfer ledger (schema/008_transfers.sql) --- */

/* What one partition's position passed over since its last save: the
 * records the target acknowledged below it. Offsets and timestamps are -1
 * while unknown; RULE and CATEGORY are the placement rules that named the
 * topic and that the target met, so the copy was allowed, and their
 * categories (NULL: no rule names the topic). */
struct state_ledger {
	int64_t records, bytes; /* bytes: key + value of each record */
	int64_t first_offset, last_offset;
	int64_t first_ts, last_ts; /* record timestamps of those two records */
	const char *rule, *category;
};

/* state_positions_save, and with each position V[i] its ledger entry
 * LEDGER[i] (LEDGER NULL: none) in the same transaction, added to the row
 * of the UTC day of this commit. An entry without records writes nothing;
 * a rule kept in the row stays when an entry has none. */
int state_positions_save_ledger(struct state *st, const char *flow, const struct state_position *v,
				const struct state_ledger *ledger, size_t n,
				const struct state_sync *syncs, size_t ns, long long retention,
				struct ferr *err);

/* N records a placement rule holds back from FLOW's target of TOPIC (the
 * source end offsets minus the saved positions, as just measured), with
 * the rules that hold them (RULE) and their categories: today's row of
 * the topic as a whole (partition -1) is set to them, a snapshot, not a
 * sum (the last measurement of the day stands). Its own transaction. */
int state_ledger_set_held(struct state *st, const char *flow, const char *topic, int64_t n,
			  const char *rule, const char *category, struct ferr *err);

/* A row of the ledger as read back. */
struct state_transfer {
	const char *day, *flow, *topic;
	int32_t partition;
	struct state_ledger l; /* offsets and timestamps -1 when NULL */
	int64_t held_back;     /* state_ledger_set_held's last count; 0 none */
	int64_t updated_ms;
};
/* The ledger's rows of FLOW (NULL: every flow) from day SINCE on (a
 * YYYY-MM-DD, NULL: all), by day, flow, topic, partition (one
 * statement, so one snapshot). */
typedef void (*state_transfer_fn)(void *ctx, const struct state_transfer *x);
int state_transfers_list(struct state *st, const char *flow, const char *since,
			 state_transfer_fn fn, void *ctx, struct ferr *err);

/* The UTC day of MS (unix time in ms) as YYYY-MM-DD. */
void state_day_utc(int64_t ms, char buf[static 11]);

/* The translation history of a partition (its syncs in downstream order,
 * holes, last mirrored record, translate_from), read in one read
 * transaction so a concurrent save is seen whole or not at all. The
 * caller frees it with offset_history_free (also after an error). */
struct offset_history;
int state_syncs_load(struct state *st, const char *flow, const char *topic, int32_t partition,
		     struct offset_history *out, struct ferr *err);
/* Test seam: when set, called by state_syncs_load between its reads. */
extern void (*state_syncs_load_hook)(void *ctx);
extern void *state_syncs_load_hook_ctx;

/* Cuts FLOW's translation history of a partition at a discontinuity of the source log: in one transaction
 * deletes its offset syncs and holes, sets its position to NEXT_OFFSET, last_upstream/last_downstream to -1
 * and translate_from to NEXT_OFFSET. */
int state_history_cut(struct state *st, const char *flow, const char *topic, int32_t partition,
		      int64_t next_offset, struct ferr *err);

/* Offsets ferry committed for a group on a target (never moved back). */
int state_group_commit_get(struct state *st, const char *cluster, const char *group,
			   const char *topic, int32_t partition, int64_t *downstream,
			   struct ferr *err);
int state_group_commit_put(struct state *st, const char *cluster, const char *group,
			   const char *topic, int32_t partition, int64_t upstream,
			   int64_t downstream, struct ferr *err);

/* Every saved position (of FLOW, or of all flows when NULL). */
typedef void (*state_position_fn)(void *ctx, const char *flow, const char *topic, int32_t partition,
				  int64_t next_offset, int64_t updated_ms);
int state_positions_list(struct state *st, const char *flow, state_position_fn fn, void *ctx,
			 struct ferr *err);

/* --- audit trail --- */
struct audit_entry {
	int64_t id, ts_ms;
	const char *who, *role, *origin, *action, *result, *detail;
	const char *prev_hash, *hash; /* read only: state_audit_add computes them */
};
int state_audit_add(struct state *st, const struct audit_entry *e, struct ferr *err);
/* The LIMIT newest entries, oldest first. */
typedef void (*state_audit_fn)(void *ctx, const struct audit_entry *e);
int state_audit_list(struct state *st, int limit, state_audit_fn fn, void *ctx, struct ferr *err);
/* The first LIMIT entries with an id above AFTER_ID and a time at or after
 * SINCE_MS (0, 0: from the first), oldest first: a page of the trail. */
int state_audit_page(struct state *st, int64_t since_ms, int64_t after_id, int limit,
		     state_audit_fn fn, void *ctx, struct ferr *err);

/* --- checkpoints (schema/010_checkpoints.sql) --- */

/* The last checkpoint of FLOW for a group's partition that the target
 * acknowledged: the group's committed UPSTREAM offset on the source,
 * DOWNSTREAM where it resumes on the target, TS_MS when. */
struct state_checkpoint {
	const char *flow, *group, *topic; /* topic: the source topic */
	const char *remote_topic;         /* its name on the target */
	int32_t partition;
	int64_t upstream, downstream, ts_ms;
};
/* Replaces the row of C's (flow, group, topic, partition). */
int state_checkpoint_put(struct state *st, const struct state_checkpoint *c, struct ferr *err);
/* Every row (of GROUP only, unless NULL), by flow, group, topic, partition. */
typedef void (*state_checkpoint_fn)(void *ctx, const struct state_checkpoint *c);
int state_checkpoints_list(struct state *st, const char *group, state_checkpoint_fn fn, void *ctx,
			   struct ferr *err);

/* The offset syncs of a partition (upstream, downstream, when recorded),
 * oldest first (in downstream order, as recorded). */
typedef void (*state_sync_fn)(void *ctx, int64_t upstream, int64_t downstream, int64_t ts_ms);
int state_syncs_list(struct state *st, const char *flow, const char *topic, int32_t partition,
		     state_sync_fn fn, void *ctx, struct ferr *err);
/* Walks the whole hash chain (auditchain.h), oldest first, into W. */
struct audit_walk;
int state_audit_verify(struct state *st, struct audit_walk *w, struct ferr *err);

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

/* The partition's source log changed under ferry (its stop): nothing of
 * its history translates until state_history_cut() starts a new one. */
int state_history_block(struct state *st, const char *flow, const char *topic, int32_t partition,
			struct ferr *err);

/* Source offsets [FROM, TO) of a partition were deleted at the source
 * before ferry mirrored them; the sum of such offsets per partition. */
int state_gap_add(struct state *st, const char *flow, const char *topic, int32_t partition,
		  int64_t from, int64_t to, struct ferr *err);
int state_gaps_total(struct state *st, const char *flow, const char *topic, int32_t partition,
		     int64_t *out, struct ferr *err);

/* Remote topics ferry created (topic config sync alters only these):
 * TOPIC on target CLUSTER, created by FLOW from SOURCE_TOPIC. */
int state_topic_created_add(struct state *st, const char *cluster, const char *topic,
			    const char *flow, const char *source_topic, struct ferr *err);
/* 1 when ferry created TOPIC on CLUSTER (the flow that did into FLOW,
 * when not NULL), 0 when not, -1 on error. */
int state_topic_created_get(struct state *st, const char *cluster, const char *topic, char *flow,
			    size_t flowsz, struct ferr *err);
/* The retention.ms in force on remote TOPIC at target CLUSTER as read
 * there at OBSERVED_MS, TOPIC being FLOW's copy of SOURCE_TOPIC
 * (schema/013_remote_retention.sql): 1 when recorded
 * (new or changed; the sink reports it), 0 when the store had that value
 * already, -1 (ERR). */
int state_remote_retention_put(struct state *st, const char *cluster, const char *topic,
			       int64_t retention_ms, int64_t observed_ms, const char *flow,
			       const char *source_topic, struct ferr *err);
/* ACL sync (appliance/sync/aclsync.c): the bindings ferry created on the
 * target of FLOW (CLUSTER), so that it removes only what it created. */
struct aclmap_binding;
struct aclmap_list;
int state_acl_add(struct state *st, const char *flow, const char *cluster,
		  const struct aclmap_binding *b, struct ferr *err);
int state_acl_del(struct state *st, const char *flow, const struct aclmap_binding *b,
		  struct ferr *err);
/* Appends FLOW's recorded bindings to *OUT. */
int state_acl_list(struct state *st, const char *flow, struct aclmap_list *out, struct ferr *err);

/* --- the history sink's outbox (schema/012_sink_outbox.sql,
 * appliance/sink/sink.c) --- */

/* Whether the sink is on (its triggers queue events). */
int state_sink_enabled(struct state *st, int *on, struct ferr *err);
/* Turns it on (queueing, in the same transaction, every event the store's
 * tables hold: the backfill) or off (dropping what is queued). */
int state_sink_set_enabled(struct state *st, int on, struct ferr *err);
/* Queues an event of KIND made by C (a snapshot), once per KEY; nothing
 * while the sink is off. */
int state_sink_event_add(struct state *st, const char *kind, const char *key, const char *payload,
			 struct ferr *err);
/* The first LIMIT events above id AFTER, in id order, to FN (non-zero
 * from FN: out of memory, the read stops with -1); how many, or -1. */
typedef int (*state_sink_event_fn)(void *ctx, int64_t id, const char *kind, const char *payload);
int state_sink_batch(struct state *st, int64_t after, int limit, state_sink_event_fn fn, void *ctx,
		     struct ferr *err);
/* Deletes the events with ids up to UPTO (delivered). */
int state_sink_delete(struct state *st, int64_t upto, struct ferr *err);
/* How many events wait, and when the oldest was queued (0: none). */
int state_sink_pending(struct state *st, int64_t *count, int64_t *oldest_ms, struct ferr *err);
/* PostgreSQL's CURSOR is above every id this store handed out (*SEQ, the
 * highest): another store delivered there (a new state directory under
 * the same appliance name, a restored backup). The waiting events move
 * above CURSOR, in order, so none is taken for delivered. */
int state_sink_rebase(struct state *st, int64_t cursor, int64_t *seq, struct ferr *err);
/* FLOW's verdict on TOPIC for its target CLUSTER; recorded (and queued
 * for the sink by its trigger) only when new or changed. */
int state_placement_verdict(struct state *st, const char *flow, const char *topic,
			    const char *cluster, int allowed, const char *rule,
			    const char *category, const char *basis, struct ferr *err);

int64_t state_now_ms(void);

#endif
