/*
 * test_ledger.c — the transfer ledger: the in-flight ring tallies exactly
 * what a position passes over (out-of-order acknowledgements, skipped
 * offsets), and the state store adds it to the day's row in the
 * transaction that saves that position, all or nothing; the records a
 * placement rule holds back are a snapshot on the topic's row (partition
 * -1), set, not added.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "appliance/data/inflight.h"
#include "appliance/store/state.h"
#include "store_files.h"
#include "tap.h"

#define MAXROWS 16

struct rows {
	size_t n;
	struct row {
		char day[16], flow[32], topic[32], rule[32], category[32];
		int32_t partition;
		int has_rule;
		struct state_ledger l;
		int64_t held_back;
	} v[MAXROWS];
};

static void collect(void *ctx, const struct state_transfer *x)
{
	struct rows *r = ctx;
	struct row *w;

	if (r->n == MAXROWS)
		return;
	w = &r->v[r->n++];
	snprintf(w->day, sizeof(w->day), "%s", x->day);
	snprintf(w->flow, sizeof(w->flow), "%s", x->flow);
	snprintf(w->topic, sizeof(w->topic), "%s", x->topic);
	w->partition = x->partition;
	w->l = x->l;
	w->held_back = x->held_back;
	w->has_rule = x->l.rule != NULL;
	snprintf(w->rule, sizeof(w->rule), "%s", x->l.rule ? x->l.rule : "");
	snprintf(w->category, sizeof(w->category), "%s", x->l.category ? x->l.category : "");
	w->l.rule = w->l.category = NULL; /* not kept past the callback */
}

static struct rows list(struct state *st, const char *flow, const char *since)
{
	struct rows r = { 0 };
	struct ferr err;

	if (state_transfers_list(st, flow, since, collect, &r, &err))
		diag("list: %s", err.msg);
	return r;
}

static void tally_tests(void)
{
	struct inflight f;
	struct inflight_tally t;

	inflight_init(&f, 10);
	inflight_push_rec(&f, 10, 0, 100, 1000);
	inflight_push_rec(&f, 11, 0, 50, 1001);
	inflight_push_rec(&f, 12, 0, 7, 999); /* timestamps need not rise */
	ok(!inflight_tally_pending(&f), "nothing acknowledged: nothing tallied");
	inflight_ack(&f, 11);
	ok(!inflight_tally_pending(&f) && inflight_position(&f) == 10,
	   "an acknowledgement above the position is not tallied (a crash re-sends it)");
	inflight_ack(&f, 10);
	inflight_tally_take(&f, &t);
	ok(t.records == 2 && t.bytes == 150 && t.first_offset == 10 && t.last_offset == 11 &&
		   t.first_ts == 1000 && t.last_ts == 1001 && inflight_position(&f) == 12,
	   "the prefix: two records, their bytes, first and last with their timestamps");
	inflight_tally_take(&f, &t);
	ok(t.records == 0 && t.first_offset == -1, "taken: the tally starts again");
	/* out of order across the prefix: tallied once the prefix reaches it */
	inflight_push_rec(&f, 13, 0, 2, 1002);
	inflight_ack(&f, 13);
	ok(!inflight_tally_pending(&f), "acknowledged behind an unacknowledged record: not yet");
	inflight_ack(&f, 12);
	inflight_tally_take(&f, &t);
	ok(t.records == 2 && t.bytes == 9 && t.first_offset == 12 && t.last_offset == 13 &&
		   t.first_ts == 999 && t.last_ts == 1002 && inflight_position(&f) == 14,
	   "then both, the position past both");
	/* offsets the source deleted are no records */
	inflight_push_rec(&f, 14, 0, 1, 5);
	inflight_skip_to(&f, 20);
	inflight_ack(&f, 14);
	inflight_tally_take(&f, &t);
	ok(t.records == 1 && inflight_position(&f) == 20,
	   "a skip moves the position, counts nothing");
	/* the tally outlives the ring (a resumed partition) */
	inflight_push_rec(&f, 20, 0, 3, 6);
	inflight_ack(&f, 20);
	inflight_free(&f);
	ok(inflight_tally_pending(&f), "inflight_free keeps what is not yet taken");
	inflight_init(&f, 0);
	ok(!inflight_tally_pending(&f), "inflight_init starts empty");
	/* a resume on a new log (mirror.c resume_one) after a save that
	 * failed: what the old log's position passed over is still counted */
	inflight_push_rec(&f, 30, 0, 7, 8);
	inflight_ack(&f, 30);
	inflight_reset(&f, 5);
	ok(inflight_tally_pending(&f) && inflight_position(&f) == 5 && inflight_count(&f) == 0,
	   "inflight_reset empties the ring at the new start, keeps the tally");
	inflight_tally_take(&f, &t);
	ok(t.records == 1 && t.bytes == 7 && t.first_offset == 30, "the old log's record is there");
	inflight_free(&f);
}

int main(void)
{
	char dir[] = "/tmp/ferry-test-ledger-XXXXXX";
	struct state *st;
	struct ferr err;
	struct rows r;
	char today[11];

	tally_tests();

	ok(mkdtemp(dir) != NULL, "temp dir");
	ok(state_open(dir, &st, &err) == 0, "opens and migrates");
	state_day_utc(state_now_ms(), today);
	{
		char d[11];

		state_day_utc(0, d);
		is(d, "1970-01-01", "day of the epoch");
		state_day_utc(1764806399999LL, d);
		is(d, "2025-12-03", "the last ms of a day is that day (UTC)");
		state_day_utc(1764806400000LL, d);
		is(d, "2025-12-04", "the next ms is the next day");
	}

	struct state_position p[] = { { "orders", 0, 100, 99, 99, -1, 0, 0, -1 },
				      { "orders", 1, 50, 49, 49, -1, 0, 0, -1 },
				      { "quiet", 0, 7, -1, -1, -1, 0, 0, -1 } };
	struct state_ledger l[] = { { 100, 1000, 0, 99, 1000, 1099, NULL, NULL },
				    { 50, 500, 0, 49, 2000, 2049, NULL, NULL },
				    { 0, 0, -1, -1, -1, -1, NULL, NULL } };

	ok(state_positions_save_ledger(st, "A->B", p, l, 3, NULL, 0, 100, &err) == 0,
	   "positions and ledger saved");
	r = list(st, NULL, NULL);
	is_int(r.n, 2, "one row per partition with records; none without");
	ok(r.n == 2 && strcmp(r.v[0].day, today) == 0 && strcmp(r.v[0].flow, "A->B") == 0 &&
		   strcmp(r.v[0].topic, "orders") == 0 && r.v[0].partition == 0 &&
		   r.v[0].l.records == 100 && r.v[0].l.bytes == 1000 &&
		   r.v[0].l.first_offset == 0 && r.v[0].l.last_offset == 99 &&
		   r.v[0].l.first_ts == 1000 && r.v[0].l.last_ts == 1099 && !r.v[0].has_rule &&
		   r.v[0].held_back == 0,
	   "today's row: records, bytes, offsets, timestamps, no rule");

	/* the next batch adds up; first stays, last moves */
	p[0].next_offset = 130;
	l[0] = (struct state_ledger){ 30, 300, 100, 129, 1100, 1129, NULL, NULL };
	ok(state_positions_save_ledger(st, "A->B", p, l, 1, NULL, 0, 100, &err) == 0,
	   "second batch");
	r = list(st, "A->B", NULL);
	ok(r.n == 2 && r.v[0].l.records == 130 && r.v[0].l.bytes == 1300 &&
		   r.v[0].l.first_offset == 0 && r.v[0].l.first_ts == 1000 &&
		   r.v[0].l.last_offset == 129 && r.v[0].l.last_ts == 1129,
	   "adds up: 130 records, first 0, last 129");

	/* a resumed partition starting lower again: the lowest is first */
	p[1].next_offset = 5;
	l[1] = (struct state_ledger){ 5, 5, 0, 4, 3000, 3004, "pii", "personal-data" };
	ok(state_positions_save_ledger(st, "A->B", &p[1], &l[1], 1, NULL, 0, 100, &err) == 0,
	   "a batch below what the day has");
	r = list(st, "A->B", NULL);
	ok(r.n == 2 && r.v[1].l.records == 55 && r.v[1].l.first_offset == 0 &&
		   r.v[1].l.first_ts == 2000 && r.v[1].l.last_offset == 49 &&
		   r.v[1].l.last_ts == 2049,
	   "first is the lowest offset, last the highest, each with its timestamp");
	ok(r.n == 2 && strcmp(r.v[1].rule, "pii") == 0 &&
		   strcmp(r.v[1].category, "personal-data") == 0,
	   "the rule and category that applied");

	/* a later entry without a rule leaves the row's rule be */
	l[1] = (struct state_ledger){ 2, 2, 50, 51, 2050, 2051, NULL, NULL };
	p[1].next_offset = 52;
	ok(state_positions_save_ledger(st, "A->B", &p[1], &l[1], 1, NULL, 0, 100, &err) == 0,
	   "a batch without a rule");
	r = list(st, "A->B", NULL);
	ok(r.n == 2 && r.v[1].l.records == 57 && r.v[1].l.last_offset == 51 &&
		   strcmp(r.v[1].rule, "pii") == 0 && r.v[1].held_back == 0,
	   "adds up; the rule stays");

	/* all or nothing: a position the store refuses takes its ledger with it */
	struct state_position bad[] = { { "orders", 0, 140, 139, 139, -1, 0, 0, -1 },
					{ "orders", 2, -5, -1, -1, -1, 0, 0, -1 } };
	struct state_ledger badl[] = { { 10, 100, 130, 139, 1, 2, NULL, NULL },
				       { 1, 1, 0, 0, 1, 1, NULL, NULL } };

	ok(state_positions_save_ledger(st, "A->B", bad, badl, 2, NULL, 0, 100, &err) != 0,
	   "a save that fails");
	r = list(st, "A->B", NULL);
	ok(r.n == 2 && r.v[0].l.records == 130, "counts nothing of it (one transaction)");

	/* filters */
	l[0] = (struct state_ledger){ 1, 1, 0, 0, 1, 1, NULL, NULL };
	ok(state_positions_save_ledger(st, "B->A", p, l, 1, NULL, 0, 100, &err) == 0,
	   "another flow");
	is_int(list(st, NULL, NULL).n, 3, "all flows");
	is_int(list(st, "B->A", NULL).n, 1, "one flow");
	is_int(list(st, "C->D", NULL).n, 0, "a flow without rows");
	is_int(list(st, NULL, today).n, 3, "since today");
	is_int(list(st, NULL, "9999-01-01").n, 0, "since a day to come");
	is_int(list(st, "A->B", "1970-01-01").n, 2, "a flow since a day long past");

	/* held back: a snapshot on the topic's row, set, not added */
	ok(state_ledger_set_held(st, "A->U", "customers-eu", 1000, "pii", "personal-data", &err) ==
		   0,
	   "held back: 1000 measured");
	r = list(st, "A->U", NULL);
	ok(r.n == 1 && strcmp(r.v[0].day, today) == 0 &&
		   strcmp(r.v[0].topic, "customers-eu") == 0 && r.v[0].partition == -1 &&
		   r.v[0].held_back == 1000 && r.v[0].l.records == 0 && r.v[0].l.bytes == 0 &&
		   r.v[0].l.first_offset == -1 && r.v[0].l.last_offset == -1 &&
		   r.v[0].l.first_ts == -1 && strcmp(r.v[0].rule, "pii") == 0 &&
		   strcmp(r.v[0].category, "personal-data") == 0,
	   "today's row of the topic as a whole (-1): held back, rule, category, no records");
	ok(state_ledger_set_held(st, "A->U", "customers-eu", 1200, "pii, live",
				 "personal-data, kyc", &err) == 0,
	   "measured again: 1200");
	r = list(st, "A->U", NULL);
	ok(r.n == 1 && r.v[0].held_back == 1200 && strcmp(r.v[0].rule, "pii, live") == 0 &&
		   strcmp(r.v[0].category, "personal-data, kyc") == 0,
	   "the last measurement stands (not 2200), with the rules that held it");
	ok(state_ledger_set_held(st, "A->U", "customers-eu", 9, "pii", NULL, &err) == 0,
	   "measured lower (retention deleted records)");
	r = list(st, "A->U", NULL);
	ok(r.n == 1 && r.v[0].held_back == 9 && !r.v[0].category[0], "9, a rule without category");
	ok(state_ledger_set_held(st, "A->U", "customers-eu", -1, "pii", NULL, &err) != 0 &&
		   strstr(err.msg, "customers-eu") != NULL,
	   "a negative count is refused, naming the topic");
	r = list(st, "A->U", NULL);
	ok(r.n == 1 && r.v[0].held_back == 9, "and changes nothing");
	ok(state_ledger_set_held(st, "A->B", "orders", 3, "live", "kyc", &err) == 0,
	   "held back of a topic with records of its own");
	r = list(st, "A->B", "1970-01-01");
	ok(r.n == 3 && r.v[0].partition == -1 && r.v[0].held_back == 3 && r.v[0].l.records == 0 &&
		   r.v[1].partition == 0 && r.v[1].l.records == 130 && r.v[1].held_back == 0 &&
		   r.v[2].partition == 1 && r.v[2].l.records == 57 &&
		   strcmp(r.v[2].rule, "pii") == 0,
	   "its own row beside the partitions' rows, which it leaves be");
	ok(state_ledger_set_held(st, "A->B", "orders", 0, "live", "kyc", &err) == 0,
	   "held back: none any more");
	r = list(st, "A->B", NULL);
	ok(r.n == 3 && r.v[0].held_back == 0, "0 stands");
	p[0].next_offset = 131;
	l[0] = (struct state_ledger){ 1, 1, 130, 130, 1, 1, "pii", "personal-data" };
	ok(state_positions_save_ledger(st, "A->B", p, l, 1, NULL, 0, 100, &err) == 0,
	   "a save after it");
	r = list(st, "A->B", NULL);
	ok(r.n == 3 && r.v[0].held_back == 0 && strcmp(r.v[0].rule, "live") == 0 &&
		   r.v[1].l.records == 131 && r.v[1].held_back == 0,
	   "adds to the partition's row only");

	/* reopened: still there */
	state_close(st);
	ok(state_open(dir, &st, &err) == 0, "reopened");
	r = list(st, "A->B", NULL);
	ok(r.n == 3 && r.v[1].l.records == 131 && r.v[2].l.records == 57, "survives a reopen");
	r = list(st, "A->U", NULL);
	ok(r.n == 1 && r.v[0].held_back == 9, "the held-back snapshot survives a reopen");
	state_close(st);
	store_files_remove(dir);
	return done_testing();
}
