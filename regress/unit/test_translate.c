/*
 * test_translate.c — exact offset translation: contiguous data, compaction
 * gaps, transaction markers, a start mid-topic, re-sends after a crash,
 * truncation, and the end of the partition; and the honest "cannot
 * translate" below the kept history and inside ranges mirrored without
 * known target offsets.
 */
#include "appliance/dr/translate.h"
#include "tap.h"

/* The answer for G, or -1 when there is none; R gets the result. */
static int64_t trx(const struct offset_sync *s, size_t n, int64_t last, int64_t from,
		   const struct offset_hole *holes, size_t nholes, int64_t g,
		   enum translate_result *r)
{
	struct offset_history h = {
		(struct offset_sync *)s, n, (struct offset_hole *)holes, nholes, last, from
	};
	int64_t d = -99;

	*r = offsets_translate(&h, g, &d);
	return *r == TRANSLATE_OK ? d : -1;
}

/* A history exact from its first sync's upstream (or from 0 for a start
 * at the beginning): the cases before pruning existed. */
static int64_t tr(const struct offset_sync *s, size_t n, int64_t last, int64_t g)
{
	enum translate_result r;

	return trx(s, n, last, 0, NULL, 0, g, &r);
}

static enum translate_result res(const struct offset_sync *s, size_t n, int64_t last, int64_t from,
				 const struct offset_hole *holes, size_t nholes, int64_t g)
{
	enum translate_result r;

	trx(s, n, last, from, holes, nholes, g, &r);
	return r;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

int main(void)
{
	/* 0..99 mirrored to 0..99 */
	struct offset_sync plain[] = { { 0, 0 } };

	is_int(tr(plain, 1, 99, 0), 0, "plain: g=0");
	is_int(tr(plain, 1, 99, 42), 42, "plain: g=42");
	is_int(tr(plain, 1, 99, 99), 99, "plain: last record");
	is_int(tr(plain, 1, 99, 100), 100, "plain: the end of the partition -> downstream end");
	is_int(tr(plain, 1, 99, 5000), 100, "plain: far past the end -> downstream end");

	/* compaction: upstream 10..19 and 30 are gone; downstream contiguous */
	struct offset_sync comp[] = { { 0, 0 }, { 20, 10 }, { 31, 20 } };

	is_int(tr(comp, N(comp), 29, 5), 5, "compaction: before the gap");
	is_int(tr(comp, N(comp), 29, 10), 10, "compaction: g in a gap -> next record");
	is_int(tr(comp, N(comp), 29, 15), 10, "compaction: g inside the gap");
	is_int(tr(comp, N(comp), 29, 20), 10, "compaction: first after the gap");
	is_int(tr(comp, N(comp), 29, 25), 15, "compaction: within the second run");
	is_int(tr(comp, N(comp), 29, 30), 20, "compaction: single-offset gap");
	is_int(tr(comp, N(comp), 29, 31), 20, "compaction: after it");
	is_int(tr(comp, N(comp), 29, 40), 29, "compaction: the last record");
	is_int(tr(comp, N(comp), 29, 41), 30, "compaction: the end");

	/* transactions: 5 records then a commit marker, repeated */
	struct offset_sync txn[] = { { 0, 0 }, { 6, 5 }, { 12, 10 } };

	is_int(tr(txn, N(txn), 14, 5), 5, "txn: g on a marker -> the next data record");
	is_int(tr(txn, N(txn), 14, 6), 5, "txn: first of the next transaction");
	is_int(tr(txn, N(txn), 14, 17), 15, "txn: after the last marker -> the end");

	/* mirroring started in the middle of the topic (upstream 1000..) */
	struct offset_sync mid[] = { { 1000, 0 } };

	is_int(tr(mid, 1, 49, 10), 0, "mid: g before the first mirrored record -> its offset");
	is_int(tr(mid, 1, 49, 1000), 0, "mid: the first mirrored record");
	is_int(tr(mid, 1, 49, 1010), 10, "mid: within");

	/* a crash: 0..99 went to 0..99, but the saved position was 80, so
	 * 80..99 were re-sent (100..119) and mirroring went on from 100 */
	struct offset_sync resent[] = { { 0, 0 }, { 80, 100 } };

	is_int(tr(resent, N(resent), 139, 50), 50, "re-send: g before the re-sent range");
	is_int(tr(resent, N(resent), 139, 90), 110,
	       "re-send: g inside -> its last copy, nothing re-read");
	is_int(tr(resent, N(resent), 139, 100), 120, "re-send: the first new record");
	is_int(tr(resent, N(resent), 139, 110), 130, "re-send: later");
	is_int(tr(resent, N(resent), 139, 200), 140, "re-send: the end");

	/* truncation: the source lost 60..99 (unclean election) and reused the
	 * offsets for new records, mirrored after the old ones */
	struct offset_sync trunc[] = { { 0, 0 }, { 60, 100 } };

	is_int(tr(trunc, N(trunc), 129, 70), 110,
	       "truncation: reused offsets map to the new records");
	is_int(tr(trunc, N(trunc), 129, 30), 30, "truncation: older offsets keep their place");

	is_int(tr(plain, 0, 99, 5), -1, "no history: no answer");
	is_int(res(plain, 0, 99, 0, NULL, 0, 5), TRANSLATE_NONE, "no history: TRANSLATE_NONE");
	is_int(res(plain, 1, -1, 0, NULL, 0, 5), TRANSLATE_NONE,
	       "a last record before the last sync (inconsistent): TRANSLATE_NONE");

	/* below the kept history: 0..999 mirrored 1:1 with a delta change at
	 * every 100 (a marker each); syncs below 500 pruned, so the history
	 * is exact from 500 only */
	struct offset_sync kept[] = { { 500, 495 }, { 601, 595 }, { 702, 695 } };
	enum translate_result r;

	is_int(trx(kept, N(kept), 794, 500, NULL, 0, 499, &r), -1, "pruned: g below -> no answer");
	is_int(r, TRANSLATE_BELOW_HISTORY, "pruned: TRANSLATE_BELOW_HISTORY, not the oldest sync");
	is_int(res(kept, N(kept), 794, 500, NULL, 0, 0), TRANSLATE_BELOW_HISTORY, "pruned: g = 0");
	is_int(trx(kept, N(kept), 794, 500, NULL, 0, 500, &r), 495, "pruned: g = translate_from");
	is_int(r, TRANSLATE_OK, "is exact");
	is_int(tr(kept, N(kept), 794, 650), 644, "pruned: within the kept history");
	is_int(tr(kept, N(kept), 794, 800), 793, "pruned: near the end");

	/* pruned by the count cap: translate_from rose to the oldest kept
	 * sync's upstream (state.c); -1 (a store from before 006) means the
	 * same */
	is_int(res(kept, N(kept), 794, -1, NULL, 0, 499), TRANSLATE_BELOW_HISTORY,
	       "no translate_from: exact from the oldest sync only");
	is_int(trx(kept, N(kept), 794, -1, NULL, 0, 501, &r), 496, "and exact above it");

	/* pruned by the log start 650: the sync at 601 starts below it and
	 * stays, so the history is exact from 601 */
	struct offset_sync lso[] = { { 601, 595 }, { 702, 695 } };

	is_int(res(lso, N(lso), 794, 601, NULL, 0, 600), TRANSLATE_BELOW_HISTORY,
	       "log start: below the first kept run");
	is_int(tr(lso, N(lso), 794, 650), 644, "log start: the log start itself translates");
	is_int(trx(lso, N(lso), 794, 601, NULL, 0, 601, &r), 595, "log start: translate_from");

	/* below the history and below the source's log start: the consumer
	 * would resume at the source's earliest record */
	struct offset_history kh = { kept, N(kept), NULL, 0, 794, 500 };
	int64_t d = -99;

	is_int(offsets_translate_below_start(&kh, 100, 650, 7, &d), TRANSLATE_OK,
	       "below the log start, the history covers it: exact");
	is_int(d, 644, "translate(log start), not the target's earliest");
	d = -99;
	is_int(offsets_translate_below_start(&kh, 100, 300, 7, &d), TRANSLATE_OK,
	       "below a log start the history does not cover");
	is_int(d, 7, "the target's earliest offset");
	is_int(offsets_translate_below_start(&kh, 100, 300, -1, &d), TRANSLATE_BELOW_HISTORY,
	       "the target's earliest unknown: cannot translate");
	is_int(offsets_translate_below_start(&kh, 400, 300, 7, &d), TRANSLATE_BELOW_HISTORY,
	       "g at or above the log start: cannot translate");
	is_int(offsets_translate_below_start(&kh, 100, -1, 7, &d), TRANSLATE_BELOW_HISTORY,
	       "log start unknown: cannot translate");

	/* a start at the beginning: nothing mirrorable below the first
	 * record, so translate_from 0 answers its offset for lower g */
	struct offset_sync fresh[] = { { 40, 0 } };

	is_int(trx(fresh, 1, 9, 0, NULL, 0, 3, &r), 0,
	       "from the beginning: g below the first record");
	is_int(r, TRANSLATE_OK, "exact: nothing mirrorable lies below it");
	is_int(res(fresh, 1, 9, 40, NULL, 0, 3), TRANSLATE_BELOW_HISTORY,
	       "a start mid-topic at 40: below it, cannot translate");

	/* an unknown stretch: 0..9 known (0->0), 10..19 acknowledged without
	 * target offsets, with a source gap (a marker at 15) among them, then
	 * a fresh sync at 20 -> 19; the hole is 11..19 */
	struct offset_sync unk[] = { { 0, 0 }, { 20, 19 } };
	struct offset_hole hole[] = { { 11, 19 } };

	is_int(trx(unk, N(unk), 29, 0, hole, 1, 10, &r), 10,
	       "unknown: g after the last known record");
	is_int(r, TRANSLATE_OK, "is exact");
	is_int(trx(unk, N(unk), 29, 0, hole, 1, 11, &r), -1, "unknown: g inside -> no answer");
	is_int(r, TRANSLATE_UNKNOWN_RANGE, "TRANSLATE_UNKNOWN_RANGE");
	is_int(res(unk, N(unk), 29, 0, hole, 1, 17), TRANSLATE_UNKNOWN_RANGE,
	       "unknown: g past the source gap (the stretched run would skip a record)");
	is_int(res(unk, N(unk), 29, 0, hole, 1, 19), TRANSLATE_UNKNOWN_RANGE, "unknown: its end");
	is_int(trx(unk, N(unk), 29, 0, hole, 1, 20, &r), 19, "unknown: the fresh sync is exact");
	is_int(tr(unk, N(unk), 29, 25), 24, "unknown: after it, exact");
	is_int(tr(unk, N(unk), 29, 5), 5, "unknown: before it, exact");
	return done_testing();
}
