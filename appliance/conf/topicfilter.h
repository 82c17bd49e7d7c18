/*
 * topicfilter.h — MM2's topic (and group) filters: a comma-separated list
 * of Java regular expressions, joined with '|', that must match the whole
 * name. Compiled with PCRE2, whose syntax covers what these lists use.
 */
#ifndef FERRY_TOPICFILTER_H
#define FERRY_TOPICFILTER_H

#include "lib/err.h"

struct regexlist;

/* Compiles LIST ("a, b.*, c"); an empty list matches nothing.
 * On error, err says which pattern and where it broke. */
int regexlist_compile(const char *list, struct regexlist **out, struct ferr *err);
/* 1 when NAME matches one of the patterns entirely. */
int regexlist_match(const struct regexlist *rl, const char *name);
const char *regexlist_source(const struct regexlist *rl);
void regexlist_free(struct regexlist *rl);

#endif
