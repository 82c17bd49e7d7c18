/*
 * topicconf.c — topic config sync: the desired-set computation, the
 * DescribeConfigs / AlterConfigs calls, and the flow thread that keeps
 * the remote topics ferry created configured like their sources.
 */
#include "appliance/sync/topicconf.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/clock.h"
#include "appliance/data/flow.h"
#include "appliance/kafka/kadmin.h"
#include "appliance/kafka/kclient.h"
#include "appliance/log.h"
#include "appliance/store/audit.h"
#include "appliance/store/state.h"

#define ADMIN_MS 30000
#define MD_MS 10000
#define STEP_MS 2000        /* blocking metadata calls are cut in steps to notice a stop */
#define FIRST_ROUND_MS 1000 /* after a (re)start: a commit's overrides apply at once */

/* ---------------------------------------------------------------- sets */

static size_t tc_find(const struct tc_set *s, const char *name, int *found)
{
	size_t lo = 0, hi = s->n;

	*found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(s->v[mid].name, name);

		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int tc_set_put(struct tc_set *s, const char *name, const char *value, int source, int read_only,
	       int sensitive)
{
	int found;
	size_t at = tc_find(s, name, &found);
	char *nv = value ? strdup(value) : NULL;

	if (value && !nv)
		return -1;
	if (found) {
		/* the set owns its strings: the old value goes */
		free(s->v[at].value);
		s->v[at].value = nv;
		s->v[at].source = source;
		s->v[at].read_only = read_only;
		s->v[at].sensitive = sensitive;
		return 0;
	}
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 16;
		struct tc_entry *n = realloc(s->v, ncap * sizeof(*n));

		if (!n) {
			free(nv);
			return -1;
		}
		s->v = n;
		s->cap = ncap;
	}
	char *nn = strdup(name);

	if (!nn) {
		free(nv);
		return -1;
	}
	memmove(&s->v[at + 1], &s->v[at], (s->n - at) * sizeof(s->v[0]));
	s->v[at] = (struct tc_entry){ .name = nn,
				      .value = nv,
				      .source = source,
				      .read_only = read_only,
				      .sensitive = sensitive };
	s->n++;
	return 0;
}

const struct tc_entry *tc_set_get(const struct tc_set *s, const char *name)
{
	int found;
	size_t at = tc_find(s, name, &found);

	return found ? &s->v[at] : NULL;
}

void tc_set_free(struct tc_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].name);
		free(s->v[i].value);
	}
	free(s->v);
	free(s->error);
	memset(s, 0, sizeof(*s));
}

/* A source entry MM2 would copy (DefaultConfigPropertyFilter and
 * MirrorSourceConnector.targetConfig), whatever the exclude list says. */
static int copyable(const struct tc_entry *e, int defaults_from_source)
{
	if (e->read_only || e->sensitive || !e->value)
		return 0;
	if (e->source == RD_KAFKA_CONFIG_SOURCE_STATIC_BROKER_CONFIG ||
	    e->source == RD_KAFKA_CONFIG_SOURCE_UNKNOWN_CONFIG)
		return 0;
	if (e->source == RD_KAFKA_CONFIG_SOURCE_DEFAULT_CONFIG)
		return defaults_from_source;
	return 1;
}

int topicconf_desired(const struct tc_set *src, const struct tc_set *tgt,
		      const struct regexlist *exclude, int defaults_from_source,
		      const struct props *overrides, struct tc_set *out)
{
	const int dyn = RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG;

	for (size_t i = 0; src && i < src->n; i++) {
		const struct tc_entry *e = &src->v[i];

		if (!copyable(e, defaults_from_source) ||
		    (exclude && regexlist_match(exclude, e->name)))
			continue;
		if (tc_set_put(out, e->name, e->value, dyn, 0, 0))
			return -1;
	}
	/* an excluded config the target holds at topic level stays as it is */
	for (size_t i = 0; tgt && i < tgt->n; i++) {
		const struct tc_entry *e = &tgt->v[i];

		if (e->source != dyn || !e->value || e->sensitive || e->read_only ||
		    !(exclude && regexlist_match(exclude, e->name)))
			continue;
		if (tc_set_put(out, e->name, e->value, dyn, 0, 0))
			return -1;
	}
	for (size_t i = 0; overrides && i < overrides->n; i++) {
		const struct prop *p = &overrides->v[i];

		if (props_get(overrides, p->key) != p)
			continue; /* a later entry of the key wins */
		if (tc_set_put(out, p->key, p->value, dyn, 0, 0))
			return -1;
	}
	return 0;
}

int topicconf_current(const struct tc_set *tgt, struct tc_set *out)
{
	for (size_t i = 0; i < tgt->n; i++) {
		const struct tc_entry *e = &tgt->v[i];

		if (e->source == RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG &&
		    tc_set_put(out, e->name, e->value, e->source, 0, e->sensitive))
			return -1;
	}
	return 0;
}

static int same_value(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int topicconf_equal(const struct tc_set *a, const struct tc_set *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i].name, b->v[i].name) != 0 ||
		    !same_value(a->v[i].value, b->v[i].value))
			return 0;
	return 1;
}

static void appendf(char *buf, size_t sz, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void appendf(char *buf, size_t sz, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len >= sz)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *len, sz - *len, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len += (size_t)n;
	if (*len >= sz)
		*len = sz;
}

void topicconf_diff(const struct tc_set *from, const struct tc_set *to, char *buf, size_t sz)
{
	size_t len = 0;
	const char *sep = "";

	if (!sz)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < to->n; i++) {
		const struct tc_entry *old = tc_set_get(from, to->v[i].name);

		if (old && same_value(old->value, to->v[i].value))
			continue;
		appendf(buf, sz, &len, "%s%s %s -> %s", sep, to->v[i].name,
			old ? (old->value ? old->value : "(hidden)") : "(default)",
			to->v[i].value ? to->v[i].value : "(hidden)");
		sep = ", ";
	}
	for (size_t i = 0; i < from->n; i++) {
		if (tc_set_get(to, from->v[i].name))
			continue;
		appendf(buf, sz, &len, "%s%s %s -> (default)", sep, from->v[i].name,
			from->v[i].value ? from->v[i].value : "(hidden)");
		sep = ", ";
	}
}

/* ---------------------------------------------------------------- Kafka */

static rd_kafka_AdminOptions_t *admin_opts(rd_kafka_t *rk, rd_kafka_admin_op_t op, int timeout_ms)
{
	rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(rk, op);
	char es[256];

	rd_kafka_AdminOptions_set_request_timeout(o, timeout_ms, es, sizeof(es));
	return o;
}

/* Index of NAME among TOPICS, or N. */
static size_t topic_index(const char *const *topics, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(topics[i], name) == 0)
			return i;
	return n;
}

int topicconf_describe(rd_kafka_t *rk, const char *const *topics, size_t n, struct tc_set *out,
		       int timeout_ms, atomic_int *stop, struct ferr *err)
{
	// NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, sized by its element
	rd_kafka_ConfigResource_t **res = calloc(n ? n : 1, sizeof(*res));
	rd_kafka_queue_t *q;
	rd_kafka_AdminOptions_t *o;
	rd_kafka_event_t *ev;
	int rc = -1;

	if (!res)
		return ferr_set(err, "out of memory");
	if (n == 0) {
		free(res);
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		res[i] = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topics[i]);
	q = rd_kafka_queue_new(rk);
	o = admin_opts(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, timeout_ms);
	rd_kafka_DescribeConfigs(rk, res, n, o, q);
	ev = kadmin_wait(q, RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT, timeout_ms + 2000, stop);
	if (!ev) {
		ferr_set(err, "describing topic configs: no answer");
	} else if (rd_kafka_event_error(ev)) {
		ferr_set(err, "describing topic configs: %s", rd_kafka_event_error_string(ev));
	} else {
		size_t rn;
		const rd_kafka_ConfigResource_t **rr = rd_kafka_DescribeConfigs_result_resources(
			rd_kafka_event_DescribeConfigs_result(ev), &rn);

		rc = 0;
		for (size_t i = 0; i < rn && rc == 0; i++) {
			size_t at = topic_index(topics, n, rd_kafka_ConfigResource_name(rr[i]));
			size_t ce;
			const rd_kafka_ConfigEntry_t **e;

			if (at == n)
				continue;
			if (rd_kafka_ConfigResource_error(rr[i])) {
				free(out[at].error);
				out[at].error = strdup(rd_kafka_ConfigResource_error_string(rr[i]));
				out[at].errcode = (int)rd_kafka_ConfigResource_error(rr[i]);
				continue;
			}
			e = rd_kafka_ConfigResource_configs(rr[i], &ce);
			for (size_t j = 0; j < ce && rc == 0; j++)
				if (tc_set_put(&out[at], rd_kafka_ConfigEntry_name(e[j]),
					       rd_kafka_ConfigEntry_value(e[j]),
					       (int)rd_kafka_ConfigEntry_source(e[j]),
					       rd_kafka_ConfigEntry_is_read_only(e[j]),
					       rd_kafka_ConfigEntry_is_sensitive(e[j])))
					rc = ferr_set(err, "out of memory");
		}
	}
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_AdminOptions_destroy(o);
	rd_kafka_queue_destroy(q);
	for (size_t i = 0; i < n; i++)
		rd_kafka_ConfigResource_destroy(res[i]);
	free(res);
	return rc;
}

int topicconf_alter(rd_kafka_t *rk, const char *const *topics, const struct tc_set *sets, size_t n,
		    char **errs, int timeout_ms, atomic_int *stop, struct ferr *err)
{
	// NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, sized by its element
	rd_kafka_ConfigResource_t **res = calloc(n ? n : 1, sizeof(*res));
	rd_kafka_queue_t *q;
	rd_kafka_AdminOptions_t *o;
	rd_kafka_event_t *ev;
	int rc = -1;

	if (!res)
		return ferr_set(err, "out of memory");
	if (n == 0) {
		free(res);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		res[i] = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topics[i]);
		for (size_t j = 0; j < sets[i].n; j++)
			rd_kafka_ConfigResource_set_config(res[i], sets[i].v[j].name,
							   sets[i].v[j].value);
	}
	q = rd_kafka_queue_new(rk);
	o = admin_opts(rk, RD_KAFKA_ADMIN_OP_ALTERCONFIGS, timeout_ms);
	rd_kafka_AlterConfigs(rk, res, n, o, q);
	ev = kadmin_wait(q, RD_KAFKA_EVENT_ALTERCONFIGS_RESULT, timeout_ms + 2000, stop);
	if (!ev) {
		ferr_set(err, "altering topic configs: no answer");
	} else if (rd_kafka_event_error(ev)) {
		ferr_set(err, "altering topic configs: %s", rd_kafka_event_error_string(ev));
	} else {
		size_t rn;
		const rd_kafka_ConfigResource_t **rr =
			rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(
								       ev),
							       &rn);

		rc = 0;
		for (size_t i = 0; i < rn; i++) {
			size_t at = topic_index(topics, n, rd_kafka_ConfigResource_name(rr[i]));

			if (at == n || !rd_kafka_ConfigResource_error(rr[i]))
				continue;
			free(errs[at]);
			/* the caller frees it */
			errs[at] = strdup(rd_kafka_ConfigResource_error_string(rr[i]));
		}
	}
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_AdminOptions_destroy(o);
	rd_kafka_queue_destroy(q);
	for (size_t i = 0; i < n; i++)
		rd_kafka_ConfigResource_destroy(res[i]);
	free(res);
	return rc;
}

int topicconf_for_create(rd_kafka_t *src, const struct conf_flow *cf, const char *const *topics,
			 size_t n, struct tc_set *out, atomic_int *stop)
{
	struct tc_set *desc = calloc(n ? n : 1, sizeof(*desc));
	struct ferr e = { 0 };
	int rc = 0, all = 0;

	if (!desc)
		return -1;
	if (n && topicconf_describe(src, topics, n, desc, ADMIN_MS, stop, &e))
		all = 1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const char *why = all ? e.msg : desc[i].error;

		if (why) {
			free(out[i].error);
			out[i].error = strdup(why);
			rc = topicconf_desired(NULL, NULL, NULL, 0, &cf->topic_overrides, &out[i]);
			continue;
		}
		rc = topicconf_desired(&desc[i], NULL, cf->config_exclude, cf->defaults_from_source,
				       &cf->topic_overrides, &out[i]);
	}
	for (size_t i = 0; i < n; i++)
		tc_set_free(&desc[i]);
	free(desc);
	return rc == 0 && all ? 1 : rc;
}

int topicconf_retention_ms(const struct tc_set *s, int64_t *ms)
{
	const struct tc_entry *e = tc_set_get(s, "retention.ms");
	char *end;
	long long v;

	if (!e || !e->value || !e->value[0])
		return -1;
	errno = 0;
	v = strtoll(e->value, &end, 10);
	if (errno || *end || v < -1)
		return -1;
	*ms = v;
	return 0;
}

int topicconf_record_retention(struct state *st, const char *cluster, const char *topic,
			       const char *flow, const char *source_topic, const struct tc_set *s,
			       struct ferr *err)
{
	int64_t ms;

	if (s->error || topicconf_retention_ms(s, &ms))
		return 0; /* nothing read: nothing to record (never a guess) */
	return state_remote_retention_put(st, cluster, topic, ms, clock_wall_ms(), flow,
					  source_topic, err);
}

int topicconf_refused_configs(rd_kafka_resp_err_t e)
{
	return e == RD_KAFKA_RESP_ERR_INVALID_CONFIG || e == RD_KAFKA_RESP_ERR_POLICY_VIOLATION;
}

/* ---------------------------------------------------------------- the thread */

/* What was last said about a remote topic, so each state is logged once. */
struct memo {
	char *topic;
	char *said; /* "" after a success; the error; "not ours" */
};

struct tcsync {
	struct flow *f;
	const struct conf_flow *cf;
	struct state *st;
	rd_kafka_t *src, *tgt;
	struct memo *memo;
	size_t nmemo;
};

/* 1 when TOPIC's last word was SAID already; records it otherwise. */
static int said_before(struct tcsync *t, const char *topic, const char *said)
{
	struct memo *m;

	for (size_t i = 0; i < t->nmemo; i++) {
		if (strcmp(t->memo[i].topic, topic) != 0)
			continue;
		if (strcmp(t->memo[i].said, said) == 0)
			return 1;
		char *ns = strdup(said);

		if (ns) {
			free(t->memo[i].said);
			t->memo[i].said = ns;
		}
		return 0;
	}
	m = realloc(t->memo, (t->nmemo + 1) * sizeof(*m));
	if (!m)
		return 0;
	t->memo = m;
	m[t->nmemo].topic = strdup(topic);
	m[t->nmemo].said = strdup(said);
	if (!m[t->nmemo].topic || !m[t->nmemo].said) {
		free(m[t->nmemo].topic);
		free(m[t->nmemo].said);
		return 0;
	}
	t->nmemo++;
	return 0;
}

/* A topic the sync could not bring in line this round: counted every
 * time, logged and audited when its reason changes. */
static void sync_failed(struct tcsync *t, const char *remote, const char *why)
{
	const struct conf_flow *cf = t->cf;

	atomic_fetch_add(&t->f->topic_config_sync_errors, 1);
	if (said_before(t, remote, why)) {
		log_debug("%s: topic configs of %s on %s still not synced: %s", cf->name, remote,
			  cf->target, why);
		return;
	}
	log_error("%s: cannot sync the topic configs of %s on %s: %s (mirroring goes on; "
		  "retried every %lld s)",
		  cf->name, remote, cf->target, why, cf->sync_topic_configs_interval_s);
	audit_system("error", "%s: sync topic configs of %s on %s: %s", cf->name, remote,
		     cf->target, why);
}

struct pair {
	const char *topic; /* source; points into metadata */
	char remote[512];
};

/* Metadata of every topic, asked in short steps so that a stop of the
 * flow is noticed within STEP_MS. */
static rd_kafka_resp_err_t metadata(struct tcsync *t, rd_kafka_t *rk,
				    const struct rd_kafka_metadata **md)
{
	rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR__TIMED_OUT;

	for (int waited = 0; waited < MD_MS && !atomic_load(&t->f->stop); waited += STEP_MS) {
		e = rd_kafka_metadata(rk, 1, NULL, md, STEP_MS);
		if (e != RD_KAFKA_RESP_ERR__TIMED_OUT && e != RD_KAFKA_RESP_ERR__TRANSPORT)
			break;
	}
	return e;
}

static void record_retention(struct tcsync *t, const char *remote, const char *source,
			     const struct tc_set *td)
{
	struct ferr e = { 0 };

	if (topicconf_record_retention(t->st, t->cf->target, remote, t->cf->name, source, td, &e) <
	    0)
		log_warn("%s: topic config sync: %s", t->cf->name, e.msg);
}

/* The retention in force after an alter is the target's to say (an alter
 * that drops an override falls back to the target's default, which only
 * the target knows): the altered topics are described once more. */
static void record_altered(struct tcsync *t, const char **topics, const char *const *sources,
			   char *const *errs, size_t n)
{
	struct tc_set *now = calloc(n ? n : 1, sizeof(*now));
	struct ferr e = { 0 };

	if (now && topicconf_describe(t->tgt, topics, n, now, ADMIN_MS, &t->f->stop, &e) == 0) {
		for (size_t i = 0; i < n; i++)
			if (!errs[i])
				record_retention(t, topics[i], sources[i], &now[i]);
	} else if (!atomic_load(&t->f->stop)) {
		log_debug("%s: topic config sync: retention after the sync not read: %s",
			  t->cf->name, now ? e.msg : "out of memory");
	}
	for (size_t i = 0; now && i < n; i++)
		tc_set_free(&now[i]);
	free(now);
}

static void sync_round(struct tcsync *t)
{
	struct flow *f = t->f;
	const struct conf_flow *cf = t->cf;
	const struct rd_kafka_metadata *smd = NULL, *tmd = NULL;
	struct pair *pv = NULL;
	size_t np = 0, nalter = 0;
	const char **stopics = NULL, **rtopics = NULL, **atopics = NULL;
	struct tc_set *sd = NULL, *td = NULL, *want = NULL, *have = NULL;
	char **errs = NULL;
	struct ferr e = { 0 };
	rd_kafka_resp_err_t re;

	re = metadata(t, t->src, &smd);
	if (re) {
		log_debug("%s: topic config sync: cannot list topics of %s: %s", cf->name,
			  cf->source, rd_kafka_err2str(re));
		goto out;
	}
	re = metadata(t, t->tgt, &tmd);
	if (re) {
		log_debug("%s: topic config sync: cannot list topics of %s: %s", cf->name,
			  cf->target, rd_kafka_err2str(re));
		goto out;
	}
	pv = calloc((size_t)smd->topic_cnt + 1, sizeof(*pv));
	if (!pv)
		goto out;
	for (int i = 0; i < smd->topic_cnt; i++) {
		const struct rd_kafka_metadata_topic *st = &smd->topics[i];
		char owner[256];
		int on_target = 0, mine;

		if (st->err || !flow_should_replicate(cf, st->topic) ||
		    flow_remote_name(cf, st->topic, pv[np].remote, sizeof(pv[np].remote)))
			continue;
		for (int j = 0; j < tmd->topic_cnt && !on_target; j++)
			on_target = !tmd->topics[j].err &&
				    strcmp(tmd->topics[j].topic, pv[np].remote) == 0;
		if (!on_target)
			continue; /* discovery creates it, with its configs */
		mine = state_topic_created_get(t->st, cf->target, pv[np].remote, owner,
					       sizeof(owner), &e);
		if (mine < 0) {
			sync_failed(t, pv[np].remote, e.msg);
			continue;
		}
		if (!mine) {
			if (!said_before(t, pv[np].remote, "not created by ferry"))
				log_info("%s: topic %s on %s was not created by ferry; its configs "
					 "are left alone",
					 cf->name, pv[np].remote, cf->target);
			continue;
		}
		if (strcmp(owner, cf->name) != 0)
			continue; /* another flow's copy (IdentityReplicationPolicy) */
		pv[np++].topic = st->topic;
	}
	if (np == 0)
		goto out;

	// NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, sized by its element
	stopics = calloc(np, sizeof(*stopics));
	// NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, sized by its element
	rtopics = calloc(np, sizeof(*rtopics));
	// NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, sized by its element
	atopics = calloc(np, sizeof(*atopics));
	// NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, sized by its element
	errs = calloc(np, sizeof(*errs));
	sd = calloc(np, sizeof(*sd));
	td = calloc(np, sizeof(*td));
	want = calloc(np, sizeof(*want));
	have = calloc(np, sizeof(*have));
	if (!stopics || !rtopics || !atopics || !errs || !sd || !td || !want || !have)
		goto out;
	for (size_t i = 0; i < np; i++) {
		stopics[i] = pv[i].topic;
		rtopics[i] = pv[i].remote;
	}
	if (topicconf_describe(t->src, stopics, np, sd, ADMIN_MS, &f->stop, &e) ||
	    topicconf_describe(t->tgt, rtopics, np, td, ADMIN_MS, &f->stop, &e)) {
		if (!atomic_load(&f->stop))
			log_warn("%s: topic config sync: %s; retrying in %lld s", cf->name, e.msg,
				 cf->sync_topic_configs_interval_s);
		goto out;
	}
	for (size_t i = 0; i < np; i++) {
		struct tc_set d = { 0 }, cur = { 0 };
		char why[600];

		if (sd[i].error || td[i].error) {
			snprintf(why, sizeof(why), "describing %s on %s: %s",
				 sd[i].error ? pv[i].topic : pv[i].remote,
				 sd[i].error ? cf->source : cf->target,
				 sd[i].error ? sd[i].error : td[i].error);
			sync_failed(t, pv[i].remote, why);
			continue;
		}
		if (topicconf_desired(&sd[i], &td[i], cf->config_exclude, cf->defaults_from_source,
				      &cf->topic_overrides, &d) ||
		    topicconf_current(&td[i], &cur)) {
			tc_set_free(&d);
			tc_set_free(&cur);
			sync_failed(t, pv[i].remote, "out of memory");
			continue;
		}
		record_retention(t, pv[i].remote, pv[i].topic, &td[i]);
		if (topicconf_equal(&d, &cur)) {
			said_before(t, pv[i].remote, "");
			tc_set_free(&d);
			tc_set_free(&cur);
			continue;
		}
		/* the arrays own the sets from here */
		atopics[nalter] = pv[i].remote;
		want[nalter] = d;
		have[nalter] = cur;
		stopics[nalter] = pv[i].topic; /* reused: the source of each alter */
		nalter++;
	}
	if (nalter == 0)
		goto out;
	if (topicconf_alter(t->tgt, atopics, want, nalter, errs, ADMIN_MS, &f->stop, &e)) {
		for (size_t i = 0; i < nalter && !atomic_load(&f->stop); i++)
			sync_failed(t, atopics[i], e.msg);
		goto out;
	}
	for (size_t i = 0; i < nalter; i++) {
		char diff[2000];

		if (errs[i]) {
			sync_failed(t, atopics[i], errs[i]);
			continue;
		}
		topicconf_diff(&have[i], &want[i], diff, sizeof(diff));
		said_before(t, atopics[i], "");
		atomic_fetch_add(&f->topic_config_syncs, 1);
		log_info("%s: synced topic configs of %s on %s from %s on %s: %s", cf->name,
			 atopics[i], cf->target, stopics[i], cf->source, diff);
		audit_system("ok", "%s: topic configs of %s on %s synced from %s: %s", cf->name,
			     atopics[i], cf->target, stopics[i], diff);
	}
	record_altered(t, atopics, stopics, errs, nalter);
out:
	for (size_t i = 0; sd && td && i < np; i++) {
		tc_set_free(&sd[i]);
		tc_set_free(&td[i]);
	}
	for (size_t i = 0; want && have && i < nalter; i++) {
		tc_set_free(&want[i]);
		tc_set_free(&have[i]);
	}
	for (size_t i = 0; errs && i < np; i++)
		free(errs[i]);
	free(errs);
	free(sd);
	free(td);
	free(want);
	free(have);
	free(stopics);
	free(rtopics);
	free(atopics);
	free(pv);
	if (smd)
		rd_kafka_metadata_destroy(smd);
	if (tmd)
		rd_kafka_metadata_destroy(tmd);
}

static void wait_until(struct flow *f, int64_t deadline_mono_ms)
{
	int64_t left = deadline_mono_ms - clock_mono_ms();
	struct timespec ts = clock_deadline(CLOCK_MONOTONIC, left > 0 ? left : 0);

	pthread_mutex_lock(&f->lock);
	while (!atomic_load(&f->stop)) {
		if (pthread_cond_timedwait(&f->cond, &f->lock, &ts) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&f->lock);
}

void *topicconf_main(void *arg)
{
	struct flow *f = arg;
	const struct conf_flow *cf = f->cf;
	struct tcsync t = { .f = f, .cf = cf };
	struct kclient_opts o;
	struct ferr err = { 0 };
	char what[400], cid[400];
	int64_t next;

	snprintf(cid, sizeof(cid), "ferry-%s-topicconf", cf->name);
	const struct kv defaults[] = {
		{ "client.id", cid },
		{ "log.connection.close", "false" },
		{ NULL, NULL },
	};
	if (state_open_worker(f->state_dir, &t.st, &err))
		goto out;
	snprintf(what, sizeof(what), "%s topic config reader on %s", cf->name, cf->source);
	o = (struct kclient_opts){ .what = what, .defaults = defaults, .cluster = cf->source };
	if (kclient_new(RD_KAFKA_PRODUCER, &cf->source_admin, ROLE_ADMIN, &o, &t.src, &err))
		goto out;
	snprintf(what, sizeof(what), "%s topic config writer on %s", cf->name, cf->target);
	o.what = what;
	o.cluster = cf->target;
	if (kclient_new(RD_KAFKA_PRODUCER, &cf->target_admin, ROLE_ADMIN, &o, &t.tgt, &err))
		goto out;

	next = clock_mono_ms() + FIRST_ROUND_MS;
	while (!atomic_load(&f->stop)) {
		wait_until(f, next);
		if (atomic_load(&f->stop))
			break;
		rd_kafka_poll(t.src, 0); /* serve error callbacks */
		rd_kafka_poll(t.tgt, 0);
		sync_round(&t);
		/* tests wait for rounds */
		log_debug("%s: topic config sync round done", cf->name);
		next = clock_mono_ms() + cf->sync_topic_configs_interval_s * 1000;
	}
out:
	if (err.msg[0])
		log_error("%s: topic config sync: %s", cf->name, err.msg);
	kclient_destroy(t.tgt);
	kclient_destroy(t.src);
	for (size_t i = 0; i < t.nmemo; i++) {
		free(t.memo[i].topic);
		free(t.memo[i].said);
	}
	free(t.memo);
	state_close(t.st);
	return NULL;
}
