/*
 * translate.c — see translate.h for the rule; this is its arithmetic.
 */
#include "translate.h"

int offsets_translate(const struct offset_sync *s, size_t n, int64_t last_down, int64_t g,
		      int64_t *out)
{
	int64_t best = -1;   /* max downstream of a record whose upstream < g */

	if (n == 0 || last_down < s[n - 1].downstream)
		return 0;
	for (size_t i = 0; i < n; i++) {
		/* run i: upstream u0.., downstream d0.. for len records */
		int64_t d_end = i + 1 < n ? s[i + 1].downstream : last_down + 1;
		int64_t len = d_end - s[i].downstream;
		int64_t below;

		if (len <= 0 || s[i].upstream >= g)
			continue;
		below = g - s[i].upstream;   /* records of the run with upstream < g */
		if (below > len)
			below = len;
		if (s[i].downstream + below - 1 > best)
			best = s[i].downstream + below - 1;
	}
	*out = best >= 0 ? best + 1 : s[0].downstream;
	return 1;
}
