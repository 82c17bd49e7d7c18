/*
 * translate.c — see translate.h for the rule; this is its arithmetic.
 */
#include "appliance/dr/translate.h"

#include <stdlib.h>

void offset_history_free(struct offset_history *h)
{
	free(h->syncs);
	free(h->holes);
	h->syncs = NULL;
	h->holes = NULL;
	h->n = h->nholes = 0;
}

const char *translate_result_str(enum translate_result r)
{
	switch (r) {
	case TRANSLATE_OK:
		return "translated";
	case TRANSLATE_NONE:
		return "nothing mirrored yet";
	case TRANSLATE_BELOW_HISTORY:
		return "below the kept offset-sync history";
	case TRANSLATE_UNKNOWN_RANGE:
		return "inside a range mirrored without known target offsets";
	}
	return "?";
}

int64_t offset_history_from(const struct offset_history *h)
{
	/* a history saved before translate_from existed is exact from its
	 * oldest sync at best */
	if (h->translate_from >= 0)
		return h->translate_from;
	return h->n ? h->syncs[0].upstream : -1;
}

enum translate_result offsets_translate(const struct offset_history *h, int64_t g, int64_t *out)
{
	const struct offset_sync *s = h->syncs;
	size_t n = h->n;
	int64_t best = -1; /* max downstream of a record whose upstream < g */

	if (n == 0 || h->last_down < s[n - 1].downstream)
		return TRANSLATE_NONE;
	if (g < offset_history_from(h))
		return TRANSLATE_BELOW_HISTORY;
	for (size_t i = 0; i < h->nholes; i++)
		if (g >= h->holes[i].from && g <= h->holes[i].to)
			return TRANSLATE_UNKNOWN_RANGE;
	for (size_t i = 0; i < n; i++) {
		/* run i: upstream u0.., downstream d0.. for len records */
		int64_t d_end = i + 1 < n ? s[i + 1].downstream : h->last_down + 1;
		int64_t len = d_end - s[i].downstream;
		int64_t below;

		if (len <= 0 || s[i].upstream >= g)
			continue;
		below = g - s[i].upstream; /* records of the run with upstream < g */
		if (below > len)
			below = len;
		if (s[i].downstream + below - 1 > best)
			best = s[i].downstream + below - 1;
	}
	/* no kept record below g (g >= translate_from): the first kept one is
	 * the next; what was pruned lies below it on the target */
	*out = best >= 0 ? best + 1 : s[0].downstream;
	return TRANSLATE_OK;
}

enum translate_result offsets_translate_below_start(const struct offset_history *h, int64_t g,
						    int64_t log_start, int64_t target_earliest,
						    int64_t *out)
{
	if (log_start < 0 || g >= log_start)
		return TRANSLATE_BELOW_HISTORY;
	if (log_start >= offset_history_from(h))
		return offsets_translate(h, log_start, out);
	if (target_earliest < 0)
		return TRANSLATE_BELOW_HISTORY;
	*out = target_earliest;
	return TRANSLATE_OK;
}
