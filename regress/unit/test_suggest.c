/*
 * test_suggest.c — edit distance and "did you mean" candidates.
 */
#include <stdint.h>

#include "lib/suggest.h"
#include "tap.h"

int main(void)
{
	struct suggest s;
	char longname[SUGGEST_MAX + 2];

	is_int(suggest_distance("topics", "topics"), 0, "same name: 0");
	is_int(suggest_distance("topcis", "topics"), 1, "adjacent swap: 1 edit");
	is_int(suggest_distance("topic", "topics"), 1, "one byte missing: 1");
	is_int(suggest_distance("topicss", "topics"), 1, "one byte more: 1");
	is_int(suggest_distance("topixs", "topics"), 1, "one byte wrong: 1");
	is_int(suggest_distance("servres", "servers"), 1, "swap in the middle");
	is_int(suggest_distance("ca", "abc"), 3,
	       "optimal string alignment: no edit of a swapped pair");
	is_int(suggest_distance("", "abc"), 3, "from empty: one insert each");
	is_int(suggest_distance("abc", ""), 3, "to empty: one delete each");
	is_int(suggest_distance("kitten", "sitting"), 3, "the textbook pair");
	is_int(suggest_distance("fetch.max.bytez", "fetch.min.bytez"), 2, "two apart");

	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ok(suggest_distance(longname, "x") == SIZE_MAX, "longer than SUGGEST_MAX: never near");

	is_int(suggest_limit("acks"), 1, "short names: 1 edit");
	is_int(suggest_limit("abcde"), 1, "5 bytes: 1 edit");
	is_int(suggest_limit("topics"), 2, "6 bytes and more: 2 edits");

	suggest_init(&s, "topcis");
	ok(suggest_best(&s) == NULL, "nothing offered: no suggestion");
	suggest_offer(&s, "", "groups");
	ok(suggest_best(&s) == NULL, "a far name is not a suggestion");
	suggest_offer(&s, "", "topics.exclude");
	ok(suggest_best(&s) == NULL, "nor one 8 edits away");
	suggest_offer(&s, "", "topics");
	is(suggest_best(&s), "topics", "the near one is");
	suggest_offer(&s, "", "topcs");
	is(suggest_best(&s), "topics", "an equally near one later does not replace it");

	suggest_init(&s, "A->B.topcis");
	suggest_offer(&s, "A->B.", "topics");
	is(suggest_best(&s), "A->B.topics", "a prefix is part of the candidate");

	suggest_init(&s, "consumer.fetch.max.bytez");
	suggest_offer(&s, "producer.", "fetch.max.bytes");
	ok(suggest_best(&s) == NULL, "another role's prefix is too far");
	suggest_offer(&s, "consumer.", "fetch.max.bytesx");
	is(suggest_best(&s), "consumer.fetch.max.bytesx", "2 edits away");
	suggest_offer(&s, "consumer.", "fetch.max.bytes");
	is(suggest_best(&s), "consumer.fetch.max.bytes", "a nearer one replaces it");

	suggest_init(&s, "ack");
	suggest_offer(&s, "", "acks");
	is(suggest_best(&s), "acks", "short: 1 edit is a suggestion");
	suggest_init(&s, "ak");
	suggest_offer(&s, "", "acks");
	ok(suggest_best(&s) == NULL, "short: 2 edits are not");

	suggest_init(&s, "topics");
	suggest_offer(&s, "", "topics");
	ok(suggest_best(&s) == NULL, "an exact match is not a suggestion");
	suggest_offer(&s, longname, "");
	ok(suggest_best(&s) == NULL, "an overlong candidate is skipped");

	return done_testing();
}
