/*
 * suggest.c — edit distance and the nearest candidate.
 */
#include "lib/suggest.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

size_t suggest_distance(const char *a, const char *b)
{
	/* three rows of the table: i-2, i-1 and i (transpositions look two back) */
	// cppcheck-suppress unassignedVariable ; r0 is written through pp
	size_t r0[SUGGEST_MAX + 1], r1[SUGGEST_MAX + 1], r2[SUGGEST_MAX + 1];
	size_t *pp = r0, *prev = r1, *cur = r2;
	size_t la = strlen(a), lb = strlen(b);

	if (la > SUGGEST_MAX || lb > SUGGEST_MAX)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t *t;

		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t d = prev[j] + 1;

			if (cur[j - 1] + 1 < d)
				d = cur[j - 1] + 1;
			if (prev[j - 1] + cost < d)
				d = prev[j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    pp[j - 2] + 1 < d)
				d = pp[j - 2] + 1;
			cur[j] = d;
		}
		t = pp;
		pp = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb];
}

size_t suggest_limit(const char *word)
{
	return strlen(word) < 6 ? 1 : 2;
}

void suggest_init(struct suggest *s, const char *word)
{
	s->word = word;
	s->limit = suggest_limit(word);
	s->dist = SIZE_MAX;
	s->best[0] = '\0';
}

void suggest_offer(struct suggest *s, const char *prefix, const char *name)
{
	char cand[SUGGEST_MAX + 2];
	size_t d;

	/* too long to be compared: never a suggestion */
	if ((size_t)snprintf(cand, sizeof(cand), "%s%s", prefix, name) > SUGGEST_MAX)
		return;
	d = suggest_distance(s->word, cand);
	if (d == 0 || d > s->limit || d >= s->dist)
		return;
	s->dist = d;
	memcpy(s->best, cand, strlen(cand) + 1);
}

const char *suggest_best(const struct suggest *s)
{
	return s->dist == SIZE_MAX ? NULL : s->best;
}
