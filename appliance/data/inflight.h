/*
 * inflight.h — per-partition bookkeeping of records handed to the producer
 * but not yet acknowledged by the target. It answers one question: up to
 * which source offset is everything acknowledged? That offset, and only
 * that, may be saved as the partition's position.
 */
#ifndef FERRY_INFLIGHT_H
#define FERRY_INFLIGHT_H

#include <stddef.h>
#include <stdint.h>

/*
 * What the acknowledged prefix passed over since the tally was last taken
 * (inflight_tally_take): exactly the records below the position, for the
 * transfer ledger, which is saved with that position. Offsets and
 * timestamps are -1 while unknown.
 */
struct inflight_tally {
	int64_t records, bytes; /* mirrored records, their key + value bytes */
	int64_t first_offset, last_offset;
	int64_t first_ts, last_ts; /* the timestamps of those two records */
};

struct inflight {
	/* seq: where the record lies in its task's stream of consumed
	 * bytes (see inflight_push_seq) */
	struct inflight_ent {
		int64_t offset;
		int acked;
		enum { ENT_RECORD, ENT_SKIP } kind;
		uint64_t seq;
		int64_t bytes, ts; /* ENT_RECORD: key + value size, timestamp (-1) */
	} * ring;
	size_t cap, head, len;
	int64_t acked_next; /* first offset after the acknowledged prefix; -1 unknown */
	struct inflight_tally tally;
};

/* START: the partition's starting position if known (else -1). */
void inflight_init(struct inflight *f, int64_t start);
void inflight_free(struct inflight *f);
/* The partition goes on with a new log at START (an operator's resume):
 * the ring empties as inflight_free() + inflight_init() would, but the
 * tally not yet taken stays, for the ledger row of the next save. */
void inflight_reset(struct inflight *f, int64_t start);
/* Records that OFFSET was handed to the producer. Offsets must rise. */
int inflight_push(struct inflight *f, int64_t offset);
/* The same, with SEQ: the count of bytes its task had consumed before this
 * record (non-decreasing per partition). */
int inflight_push_seq(struct inflight *f, int64_t offset, uint64_t seq);
/* The same, with the record's key + value BYTES and timestamp TS (-1
 * unknown): what the tally counts once the position passes it. */
int inflight_push_rec(struct inflight *f, int64_t offset, uint64_t seq, int64_t bytes, int64_t ts);
/* What the position passed over since the last take, into *OUT; the
 * tally starts again. inflight_free() keeps it (see resume). */
void inflight_tally_take(struct inflight *f, struct inflight_tally *out);
/* Whether the tally holds anything not yet taken. */
int inflight_tally_pending(const struct inflight *f);
/* The SEQ of the first record not yet acknowledged: 1 and *seq, or 0 when
 * nothing is in flight. */
int inflight_oldest_seq(const struct inflight *f, uint64_t *seq);
/* The timestamp of the first record not yet acknowledged (the one at the
 * position): 1 and *ts, or 0 when nothing is in flight or it is unknown. */
int inflight_oldest_ts(const struct inflight *f, int64_t *ts);
/* Records the target's acknowledgement of OFFSET; 0, or -1 if unknown. */
int inflight_ack(struct inflight *f, int64_t offset);
/* The source log lost everything below OFFSET before it was read (it must
 * lie above every offset pushed): once what is in flight is acknowledged,
 * the position is OFFSET. 0, or -1 out of memory. */
int inflight_skip_to(struct inflight *f, int64_t offset);
/* The position to save: the first unacknowledged offset, or after the last
 * acknowledged one when nothing is in flight; -1 when nothing is known. */
int64_t inflight_position(const struct inflight *f);
size_t inflight_count(const struct inflight *f);

#endif
