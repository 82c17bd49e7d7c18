/*
 * translate.h — exact offset translation from the offset-sync history of a
 * partition. A sync (upstream u, downstream d) is recorded whenever the
 * delta d - u of mirrored records changes (compaction gaps, transaction
 * markers, a start mid-topic, records re-sent after a crash, truncation);
 * between two syncs, records are contiguous on both sides.
 *
 * translate(g) is where a consumer that has processed every upstream
 * record below g resumes on the target: just after the last mirrored
 * record whose upstream offset is below g. So nothing it processed is
 * read again and nothing at or above g is skipped; with no re-sends this
 * is the downstream offset of the first mirrored record at or above g,
 * and past the end of the partition it is the downstream end.
 */
#ifndef FERRY_TRANSLATE_H
#define FERRY_TRANSLATE_H

#include <stddef.h>
#include <stdint.h>

struct offset_sync {
	int64_t upstream, downstream;
};

/*
 * SYNCS in downstream order (the order they were recorded); LAST_DOWN is
 * the downstream offset of the last mirrored record. Returns 1 and *out,
 * or 0 when nothing was mirrored (no answer).
 */
int offsets_translate(const struct offset_sync *syncs, size_t n, int64_t last_down, int64_t g,
		      int64_t *out);

#endif
