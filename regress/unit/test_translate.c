/*
 * test_translate.c — exact offset translation: contiguous data, compaction
 * gaps, transaction markers, a start mid-topic, re-sends after a crash,
 * truncation, and the end of the partition.
 */
#include "appliance/translate.h"
#include "tap.h"

static int64_t tr(const struct offset_sync *s, size_t n, int64_t last, int64_t g)
{
	int64_t d = -99;

	if (!offsets_translate(s, n, last, g, &d))
		return -1;
	return d;
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
	is_int(tr(resent, N(resent), 139, 90), 110, "re-send: g inside -> its last copy, nothing re-read");
	is_int(tr(resent, N(resent), 139, 100), 120, "re-send: the first new record");
	is_int(tr(resent, N(resent), 139, 110), 130, "re-send: later");
	is_int(tr(resent, N(resent), 139, 200), 140, "re-send: the end");

	/* truncation: the source lost 60..99 (unclean election) and reused the
	 * offsets for new records, mirrored after the old ones */
	struct offset_sync trunc[] = { { 0, 0 }, { 60, 100 } };

	is_int(tr(trunc, N(trunc), 129, 70), 110, "truncation: reused offsets map to the new records");
	is_int(tr(trunc, N(trunc), 129, 30), 30, "truncation: older offsets keep their place");

	is_int(tr(plain, 0, 99, 5), -1, "no history: no answer");
	return done_testing();
}
