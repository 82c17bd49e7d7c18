/*
 * placement.c — the placement decision (see placement.h). The rules and
 * labels are parsed and validated by conf.c, so that a bad rule refuses
 * the whole configuration; this file only decides.
 */
#include "appliance/placement/placement.h"

#include <stdio.h>
#include <string.h>

/* Appends WORD to BUF (SEP between entries), unless it is there already. */
static void add_word(char *buf, size_t sz, const char *sep, const char *word)
{
	size_t n = strlen(buf), wl = strlen(word);

	if (!wl)
		return;
	for (const char *s = buf; (s = strstr(s, word)) != NULL; s += wl)
		if ((s == buf || s[-1] == ' ') && (s[wl] == '\0' || s[wl] == sep[0]))
			return;
	snprintf(buf + n, sz - n, "%s%s", n ? sep : "", word);
}

static const char *label_of(const struct conf_cluster *cl, const char *key)
{
	for (size_t i = 0; cl && i < cl->nlabels; i++)
		if (strcmp(cl->labels[i].key, key) == 0)
			return cl->labels[i].value;
	return NULL;
}

int placement_check(const struct conf *c, const char *topic, const char *cluster,
		    struct placement_verdict *v, struct ferr *err)
{
	const struct conf_cluster *cl = conf_find_cluster(c, cluster);

	memset(v, 0, sizeof(*v));
	v->allowed = 1;
	if (!cl)
		return ferr_not_found(err, "no cluster %s in the running configuration", cluster);
	for (size_t i = 0; i < c->nrules; i++) {
		const struct conf_rule *r = &c->rules[i];
		int met = 1;

		if (!r->topics || !regexlist_match(r->topics, topic))
			continue;
		v->nrules++;
		add_word(v->rules, sizeof(v->rules), ", ", r->name);
		add_word(v->category, sizeof(v->category), ", ", r->category);
		add_word(v->basis, sizeof(v->basis), "; ", r->basis);
		for (size_t j = 0; j < r->nrequire; j++) {
			const char *have = label_of(cl, r->require[j].key);
			char want[256];

			if (have && strcmp(have, r->require[j].value) == 0)
				continue;
			snprintf(want, sizeof(want), "%s=%s", r->require[j].key,
				 r->require[j].value);
			add_word(v->missing, sizeof(v->missing), ", ", want);
			met = 0;
		}
		if (!met) {
			v->allowed = 0;
			add_word(v->blocking, sizeof(v->blocking), ", ", r->name);
		}
	}
	return 0;
}

/* Adds each ", "-separated word of LIST to BUF (see add_word). */
static void add_words(char *buf, size_t sz, const char *sep, const char *list)
{
	char w[512];
	size_t seplen = strlen(sep);

	while (*list) {
		const char *e = strstr(list, sep);
		size_t n = e ? (size_t)(e - list) : strlen(list);

		snprintf(w, sizeof(w), "%.*s", (int)n, list);
		add_word(buf, sz, sep, w);
		list += n;
		if (e)
			list += seplen;
	}
}

int placement_check_flow(const struct conf *c, const struct conf_flow *cf, const char *topic,
			 struct placement_verdict *v, struct ferr *err)
{
	char name[512], up[512];
	struct placement_verdict one;

	if (placement_check(c, topic, cf->target, v, err))
		goto closed;
	snprintf(name, sizeof(name), "%s", topic);
	/* a bounded walk: a cycle of names cannot come from a real policy */
	for (int hop = 0; hop < 16; hop++) {
		if (policy_upstream_topic(&cf->policy, name, up, sizeof(up)) != 1 ||
		    strcmp(up, name) == 0)
			break;
		if (placement_check(c, up, cf->target, &one, err))
			goto closed;
		v->allowed = v->allowed && one.allowed;
		v->nrules += one.nrules;
		add_words(v->rules, sizeof(v->rules), ", ", one.rules);
		add_words(v->blocking, sizeof(v->blocking), ", ", one.blocking);
		add_words(v->category, sizeof(v->category), ", ", one.category);
		add_words(v->basis, sizeof(v->basis), "; ", one.basis);
		add_words(v->missing, sizeof(v->missing), ", ", one.missing);
		snprintf(name, sizeof(name), "%s", up);
	}
	return 0;

closed:
	/* a rule set ferry cannot evaluate holds the topic back: copying data a
	 * rule may forbid is the one mistake placement exists to prevent */
	memset(v, 0, sizeof(*v));
	snprintf(v->blocking, sizeof(v->blocking), "(placement check failed: %.400s)", err->msg);
	return -1;
}

int placement_any(const struct conf *c)
{
	return c && c->nrules > 0;
}

void placement_labels(const struct conf *c, const char *cluster, char *buf, size_t sz)
{
	const struct conf_cluster *cl = conf_find_cluster(c, cluster);
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; cl && i < cl->nlabels && n < sz; i++)
		n += (size_t)snprintf(buf + n, sz - n, "%s%s=%s", i ? ", " : "", cl->labels[i].key,
				      cl->labels[i].value);
}
