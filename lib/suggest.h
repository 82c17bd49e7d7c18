/*
 * suggest.h — "did you mean": how far apart two names are (Damerau-
 * Levenshtein distance, adjacent transpositions counted as one edit, in
 * its optimal-string-alignment form), how far a misspelling may be from
 * what was meant, and the nearest of a set of candidates offered one by
 * one. Knows nothing of where the candidates come from (the config key
 * tables, the command table).
 */
#ifndef FERRY_SUGGEST_H
#define FERRY_SUGGEST_H

#include <stddef.h>

/* Longest name compared; longer ones are never suggested nor matched. */
#define SUGGEST_MAX 255

/* Edits (insert, delete, substitute a byte, swap two adjacent bytes) that
 * turn A into B; SIZE_MAX when either is longer than SUGGEST_MAX. */
size_t suggest_distance(const char *a, const char *b);

/* The largest distance at which WORD is taken for a misspelling: 1 for
 * names shorter than 6 bytes, 2 from 6 on (short names are too close to
 * each other for more: "acks" and "ack", but not "acks" and "args"). */
size_t suggest_limit(const char *word);

struct suggest {
	const char *word; /* borrowed: outlives the struct */
	size_t limit;
	size_t dist; /* of best; SIZE_MAX while none */
	char best[SUGGEST_MAX + 1];
};

void suggest_init(struct suggest *s, const char *word);
/* Offers PREFIX followed by NAME (PREFIX may be ""); kept when nearer
 * than anything offered before and within the limit. The first of equally
 * near candidates wins, so table order decides ties. An exact match is
 * never a suggestion. */
void suggest_offer(struct suggest *s, const char *prefix, const char *name);
/* The suggestion, or NULL when nothing was near enough. */
const char *suggest_best(const struct suggest *s);

#endif
