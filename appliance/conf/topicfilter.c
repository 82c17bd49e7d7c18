/*
 * topicfilter.c — compiled include/exclude lists (PCRE2, full-match).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "appliance/conf/topicfilter.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct regexlist {
	char *source;     /* trimmed items joined by ", " (for display) */
	pcre2_code *code; /* NULL when the list is empty */
};

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Appends [s, e) to a growing buffer. */
static int append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t ncap = (*cap + n + 1) * 2;
		char *nb = realloc(*buf, ncap);

		if (!nb)
			return -1;
		*buf = nb;
		*cap = ncap;
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}

int regexlist_compile(const char *list, struct regexlist **out, struct ferr *err)
{
	struct regexlist *rl = calloc(1, sizeof(*rl));
	char *joined = NULL, *shown = NULL;
	size_t jl = 0, jc = 0, sl = 0, sc = 0;
	const char *s = list, *e = list + strlen(list);
	int items = 0;

	if (!rl)
		return ferr_set(err, "out of memory");
	/* Kafka's LIST type: trim, then split on commas with surrounding blanks */
	while (s < e && is_space(*s))
		s++;
	while (e > s && is_space(e[-1]))
		e--;
	if (append(&joined, &jl, &jc, "(?:", 3) || append(&shown, &sl, &sc, "", 0))
		goto oom;
	while (s < e) {
		const char *comma = memchr(s, ',', (size_t)(e - s));
		const char *ie = comma ? comma : e;
		const char *is = s;

		while (ie > is && is_space(ie[-1]))
			ie--;
		if (items > 0 &&
		    (append(&joined, &jl, &jc, "|", 1) || append(&shown, &sl, &sc, ", ", 2)))
			goto oom;
		if (append(&joined, &jl, &jc, is, (size_t)(ie - is)) ||
		    append(&shown, &sl, &sc, is, (size_t)(ie - is)))
			goto oom;
		items++;
		if (!comma)
			break;
		s = comma + 1;
		while (s < e && is_space(*s))
			s++;
		if (s == e) {
			/* a trailing comma leaves an empty pattern, as in Kafka */
			if (append(&joined, &jl, &jc, "|", 1) || append(&shown, &sl, &sc, ", ", 2))
				goto oom;
		}
	}
	if (append(&joined, &jl, &jc, ")", 1))
		goto oom;
	rl->source = shown;
	shown = NULL;
	if (items > 0) {
		int ecode;
		PCRE2_SIZE eoff;

		rl->code = pcre2_compile((PCRE2_SPTR)joined, PCRE2_ZERO_TERMINATED,
					 PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_UTF, &ecode,
					 &eoff, NULL);
		if (!rl->code) {
			PCRE2_UCHAR msg[256];

			pcre2_get_error_message(ecode, msg, sizeof(msg));
			/* offset is into "(?:...)"; report it against the list as written */
			ferr_set(err, "invalid regular expression \"%s\": %s at offset %zu", list,
				 (const char *)msg, eoff >= 3 ? (size_t)eoff - 3 : 0);
			free(joined);
			regexlist_free(rl);
			return -1;
		}
		(void)pcre2_jit_compile(rl->code, PCRE2_JIT_COMPLETE); /* optional speed-up */
	}
	free(joined);
	*out = rl;
	return 0;
oom:
	free(joined);
	free(shown);
	regexlist_free(rl);
	return ferr_set(err, "out of memory");
}

int regexlist_match(const struct regexlist *rl, const char *name)
{
	pcre2_match_data *md;
	int rc;

	if (!rl || !rl->code)
		return 0;
	md = pcre2_match_data_create_from_pattern(rl->code, NULL);
	if (!md)
		return 0;
	rc = pcre2_match(rl->code, (PCRE2_SPTR)name, PCRE2_ZERO_TERMINATED, 0, 0, md, NULL);
	pcre2_match_data_free(md);
	return rc >= 0;
}

const char *regexlist_source(const struct regexlist *rl)
{
	return rl && rl->source ? rl->source : "";
}

void regexlist_free(struct regexlist *rl)
{
	if (!rl)
		return;
	pcre2_code_free(rl->code);
	free(rl->source);
	free(rl);
}
