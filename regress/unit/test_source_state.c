/*
 * test_source_state.c — what the state store keeps to notice a source log
 * that changed under ferry: the last mirrored record's identity (saved
 * with the position, kept while acknowledgements carry none), offsets the
 * source deleted before they were mirrored, and the history cut an
 * operator's resume makes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "appliance/store/state.h"
#include "appliance/dr/translate.h"
#include "store_files.h"
#include "tap.h"

int main(void)
{
	char dir[] = "/tmp/ferry-test-source-XXXXXX";
	struct state *st;
	struct ferr err;
	struct state_last_record lr;
	int64_t sum = -1;

	ok(mkdtemp(dir) != NULL, "temp dir");
	ok(state_open(dir, &st, &err) == 0, "opens and migrates");
	is_int(state_last_record_get(st, "A->B", "t", 0, &lr, &err), 0, "nothing saved yet");

	struct state_position p = {
		"t", 0, 100, 99, 99, 1700000000123, 1, 0xfedcba9876543210ULL, 99
	};
	struct state_sync sy[] = {
		{ .topic = "t", .partition = 0, .upstream = 0, .downstream = 0 },
		{ .topic = "t", .partition = 0, .upstream = 50, .downstream = 60 }
	};

	ok(state_positions_save(st, "A->B", &p, 1, sy, 2, 100, &err) == 0, "saved with identity");
	ok(state_last_record_get(st, "A->B", "t", 0, &lr, &err) == 1, "read back");
	ok(lr.next_offset == 100 && lr.offset == 99 && lr.timestamp == 1700000000123 &&
		   lr.has_hash && lr.hash == 0xfedcba9876543210ULL,
	   "offset, timestamp and 64-bit hash kept");

	/* a position moving with no acknowledged record (eof) keeps the identity */
	struct state_position q = { "t", 0, 104, -1, -1, -1, 0, 0, -1 };

	ok(state_positions_save(st, "A->B", &q, 1, NULL, 0, 100, &err) == 0, "position alone");
	ok(state_last_record_get(st, "A->B", "t", 0, &lr, &err) == 1 && lr.next_offset == 104 &&
		   lr.offset == 99 && lr.has_hash && lr.timestamp == 1700000000123,
	   "the identity goes with last_record, never alone");

	/* acknowledged without a target offset: no sync, but the identity moves */
	struct state_position u = { "t", 0, 106, -1, -1, 1700000000200, 1, 42, 105 };

	ok(state_positions_save(st, "A->B", &u, 1, NULL, 0, 100, &err) == 0 &&
		   state_last_record_get(st, "A->B", "t", 0, &lr, &err) == 1 && lr.offset == 105 &&
		   lr.hash == 42 && lr.timestamp == 1700000000200,
	   "the identity follows every acknowledgement, known target offset or not");

	/* a log that changed under ferry translates nothing until a cut */
	struct offset_history h0;
	int64_t d0;

	ok(state_history_block(st, "A->B", "t", 0, &err) == 0, "translation blocked");
	ok(state_syncs_load(st, "A->B", "t", 0, &h0, &err) == 0, "history loads");
	is_int(offsets_translate(&h0, 60, &d0), TRANSLATE_BELOW_HISTORY,
	       "an offset inside the old history is not translated any more");
	offset_history_free(&h0);
	ok(state_last_record_get(st, "A->B", "t", 0, &lr, &err) == 1 && lr.next_offset == 106,
	   "the position is untouched");

	ok(state_gaps_total(st, "A->B", "t", 0, &sum, &err) == 0 && sum == 0, "no gap yet");
	ok(state_gap_add(st, "A->B", "t", 0, 104, 150, &err) == 0, "a gap recorded");
	ok(state_gap_add(st, "A->B", "t", 0, 104, 160, &err) == 0, "the same gap seen longer");
	ok(state_gap_add(st, "A->B", "t", 0, 200, 210, &err) == 0, "a second gap");
	ok(state_gaps_total(st, "A->B", "t", 0, &sum, &err) == 0 && sum == 66,
	   "offsets never mirrored: 56 + 10");
	ok(state_gaps_total(st, "A->B", "t", 1, &sum, &err) == 0 && sum == 0, "per partition");
	ok(state_gap_add(st, "A->B", "t", 0, 300, 300, &err) == -1, "an empty gap is refused");

	struct offset_history h;
	int64_t down;

	ok(state_history_cut(st, "A->B", "t", 0, 7, &err) == 0, "history cut");
	ok(state_last_record_get(st, "A->B", "t", 0, &lr, &err) == 1 && lr.next_offset == 7 &&
		   lr.offset == -1 && !lr.has_hash && lr.timestamp == -1,
	   "position moved there, the last record forgotten");
	ok(state_syncs_load(st, "A->B", "t", 0, &h, &err) == 0 && h.n == 0 && h.last_down == -1 &&
		   h.translate_from == 7,
	   "no sync spans the cut; translation is exact from there on");
	is_int(offsets_translate(&h, 50, &down), TRANSLATE_NONE,
	       "an offset of the old log: no answer");
	offset_history_free(&h);
	ok(state_history_cut(st, "A->B", "u", 3, 5, &err) == 0 &&
		   state_last_record_get(st, "A->B", "u", 3, &lr, &err) == 1 && lr.next_offset == 5,
	   "a cut of a partition without a position creates it");
	state_close(st);

	store_files_remove(dir);
	return done_testing();
}
