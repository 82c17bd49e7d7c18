/*
 * translate.h — exact offset translation from the offset-sync history of a
 * partition. A sync (upstream u, downstream d) is recorded whenever the
 * delta d - u of mirrored records changes (compaction gaps, transaction
 * markers, a start mid-topic, records re-sent after a crash, truncation)
 * and after a stretch of acknowledgements whose target offsets were not
 * known; between two syncs, records are contiguous on both sides.
 *
 * translate(g) is where a consumer that has processed every upstream
 * record below g resumes on the target: just after the last mirrored
 * record whose upstream offset is below g. So nothing it processed is
 * read again and nothing at or above g is skipped; with no re-sends this
 * is the downstream offset of the first mirrored record at or above g,
 * and past the end of the partition it is the downstream end.
 *
 * The history answers exactly only for g >= translate_from: below it the
 * syncs were pruned (or mirroring had not begun), and the answer would be
 * a guess. Inside a hole (a range of upstream offsets acknowledged
 * without target offsets) the number of records below g is unknown.
 * Both are answered "cannot translate", never with a nearby offset.
 */
#ifndef FERRY_TRANSLATE_H
#define FERRY_TRANSLATE_H

#include <stddef.h>
#include <stdint.h>

struct offset_sync {
	int64_t upstream, downstream;
};

/* Group offsets g with from <= g <= to cannot be translated. */
struct offset_hole {
	int64_t from, to;
};

/* Everything translation needs of one partition, read at one instant. */
struct offset_history {
	struct offset_sync *syncs; /* in downstream order (the order recorded) */
	size_t n;
	struct offset_hole *holes;
	size_t nholes;
	int64_t last_down;      /* downstream offset of the last mirrored record; -1 none */
	int64_t translate_from; /* exact for g >= this; -1: the first sync's upstream */
};

void offset_history_free(struct offset_history *h);

enum translate_result {
	TRANSLATE_OK,            /* *out is the exact answer */
	TRANSLATE_NONE,          /* nothing mirrored (or the history is inconsistent) */
	TRANSLATE_BELOW_HISTORY, /* g < translate_from: no exact answer is kept */
	TRANSLATE_UNKNOWN_RANGE, /* g inside a hole */
};

/* "translated", "nothing mirrored yet", ... for messages. */
const char *translate_result_str(enum translate_result r);

/* The exact downstream offset for group offset G, in *out on TRANSLATE_OK. */
enum translate_result offsets_translate(const struct offset_history *h, int64_t g, int64_t *out);

/*
 * For a G below the history (TRANSLATE_BELOW_HISTORY) that is also below
 * the source partition's LOG_START: the records in [G, LOG_START) are gone
 * at the source, so a consumer there resumes at its earliest record. When
 * the history covers LOG_START that is translate(LOG_START); else the
 * target's earliest offset TARGET_EARLIEST (-1 unknown). Any other case
 * keeps TRANSLATE_BELOW_HISTORY (or what translating LOG_START answers).
 */
enum translate_result offsets_translate_below_start(const struct offset_history *h, int64_t g,
						    int64_t log_start, int64_t target_earliest,
						    int64_t *out);

/* Where the history is exact from (translate_from resolved). */
int64_t offset_history_from(const struct offset_history *h);

#endif
