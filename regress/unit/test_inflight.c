/*
 * test_inflight.c — positions advance only over acknowledged records.
 */
#include "appliance/data/inflight.h"
#include "tap.h"

int main(void)
{
	struct inflight f;

	inflight_init(&f, -1);
	is_int(inflight_position(&f), -1, "nothing known");
	inflight_push(&f, 10);
	inflight_push(&f, 11);
	inflight_push(&f, 15); /* a gap: compaction or a transaction marker */
	is_int(inflight_position(&f), 10, "first in flight");
	ok(inflight_ack(&f, 11) == 0, "out-of-order ack accepted");
	is_int(inflight_position(&f), 10, "position waits for 10");
	inflight_ack(&f, 10);
	is_int(inflight_position(&f), 15, "10 and 11 acked: position is the next in flight");
	inflight_ack(&f, 15);
	is_int(inflight_position(&f), 16, "all acked: after the last");
	is_int(inflight_count(&f), 0, "empty");
	ok(inflight_ack(&f, 99) == -1, "unknown offset refused");

	/* growth past the initial ring size, acked in order */
	for (int64_t o = 100; o < 5100; o++)
		inflight_push(&f, o);
	is_int(inflight_count(&f), 5000, "5000 in flight");
	for (int64_t o = 100; o < 5000; o++)
		inflight_ack(&f, o);
	is_int(inflight_position(&f), 5000, "position at first unacked");
	for (int64_t o = 5000; o < 5100; o++)
		inflight_ack(&f, o);
	is_int(inflight_position(&f), 5100, "all acked");
	inflight_free(&f);

	inflight_init(&f, 42);
	is_int(inflight_position(&f), 42, "a restored position is kept until records flow");
	inflight_free(&f);

	/* the source deleted 50..79 before ferry read them (retention) */
	inflight_init(&f, 40);
	for (int64_t o = 40; o < 50; o++)
		inflight_push(&f, o);
	ok(inflight_skip_to(&f, 80) == 0, "skip with records in flight");
	is_int(inflight_position(&f), 40, "the position waits for what is in flight");
	for (int64_t o = 40; o < 49; o++)
		inflight_ack(&f, o);
	is_int(inflight_position(&f), 49, "never past an unacknowledged record");
	inflight_ack(&f, 49);
	is_int(inflight_position(&f), 80, "all acknowledged: the position is the new log start");
	is_int(inflight_count(&f), 0, "nothing left in flight");
	inflight_push(&f, 80);
	inflight_ack(&f, 80);
	is_int(inflight_position(&f), 81, "and records flow on from there");
	ok(inflight_skip_to(&f, 90) == 0 && inflight_position(&f) == 90,
	   "with nothing in flight the position moves at once");
	inflight_free(&f);

	/* the consumed-bytes mark of the oldest record in flight (the task's
	 * memory window starts there) */
	uint64_t seq = 0;

	inflight_init(&f, -1);
	ok(inflight_oldest_seq(&f, &seq) == 0, "nothing in flight: no oldest");
	inflight_push_seq(&f, 7, 1000);
	inflight_push_seq(&f, 8, 3000);
	inflight_push_seq(&f, 9, 9000);
	ok(inflight_oldest_seq(&f, &seq) == 1 && seq == 1000, "oldest: the first pushed");
	inflight_ack(&f, 8);
	ok(inflight_oldest_seq(&f, &seq) == 1 && seq == 1000, "a later ack does not move it");
	inflight_ack(&f, 7);
	ok(inflight_oldest_seq(&f, &seq) == 1 && seq == 9000,
	   "acks of the head move it past every acked one");
	inflight_ack(&f, 9);
	ok(inflight_oldest_seq(&f, &seq) == 0, "all acked: none");
	inflight_free(&f);

	/* the timestamp of the record at the position (show lag's lag seconds) */
	int64_t ts = 0;

	inflight_init(&f, -1);
	ok(inflight_oldest_ts(&f, &ts) == 0, "nothing in flight: no timestamp");
	inflight_push_rec(&f, 7, 0, 10, 1000);
	inflight_push_rec(&f, 8, 10, 10, -1);
	inflight_push_rec(&f, 9, 20, 10, 3000);
	ok(inflight_oldest_ts(&f, &ts) == 1 && ts == 1000, "the oldest record's");
	inflight_ack(&f, 7);
	ok(inflight_oldest_ts(&f, &ts) == 0, "a record without a timestamp: unknown, not guessed");
	inflight_ack(&f, 8);
	ok(inflight_oldest_ts(&f, &ts) == 1 && ts == 3000, "then the next one's");
	inflight_ack(&f, 9);
	inflight_skip_to(&f, 20);
	ok(inflight_oldest_ts(&f, &ts) == 0, "all acked: none");
	inflight_push_rec(&f, 25, 30, 10, 5000);
	inflight_skip_to(&f, 40);
	ok(inflight_oldest_ts(&f, &ts) == 1 && ts == 5000, "a skip behind a record: the record's");
	inflight_ack(&f, 25);
	ok(inflight_oldest_ts(&f, &ts) == 0 && inflight_position(&f) == 40,
	   "deleted offsets at the position: no record, no timestamp");
	inflight_free(&f);
	return done_testing();
}
