/*
 * ctl_placement.c — the data-placement commands: `placement check TOPIC
 * CLUSTER` (a dry run of placement_check(), on the main loop: it reads the
 * running configuration only) and `show placement` (where every mirrored
 * topic is held; the retention in force on each cluster and the records a
 * rule holds back are asked of Kafka, so that part runs off the loop
 * through ctl_offload.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "appliance/control/ctl.h"
#include "appliance/kafka/kadmin.h"
#include "appliance/kafka/kclient.h"
#include "appliance/log.h"
#include "appliance/placement/heldback.h"
#include "appliance/placement/placement.h"
#include "appliance/runtime.h"
#include "appliance/store/state.h"
#include "appliance/sync/topicconf.h"

#define ADMIN_MS 10000

/* `placement check`'s table; the last column is named for the cluster asked
 * about ("met by E") once the table is made */
static const char *const check_cols[] = { "rule",     "topics", "requires",
					  "category", "basis",  "met by" };

/* `show placement`'s table */
static const char *const placement_cols[] = { "topic", "cluster",  "holds",        "labels",
					      "rules", "category", "retention.ms", "held back",
					      "flow",  "basis",    "allowed" };

void ctl_placement_check(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
			 struct ctl_reply *r)
{
	const char *topic = m->args[0], *cluster = m->args[1];
	const struct conf *c = rt->conf;
	struct placement_verdict v;
	struct ferr err;
	char labels[512];

	(void)s;
	if (placement_check(c, topic, cluster, &v, &err)) {
		ctl_fail_err(r, &err);
		return;
	}
	placement_labels(c, cluster, labels, sizeof(labels));
	CTL_TABLE(r, check_cols);
	json_array_set_new(r->columns, 5, json_sprintf("met by %s", cluster));
	for (size_t i = 0; i < c->nrules; i++) {
		const struct conf_rule *rule = &c->rules[i];
		char req[512] = "";
		size_t n = 0;
		struct placement_verdict one;
		struct conf only = *c; /* the same check, with this rule alone */

		if (!rule->topics || !regexlist_match(rule->topics, topic))
			continue;
		for (size_t j = 0; j < rule->nrequire && n < sizeof(req); j++)
			n += (size_t)snprintf(req + n, sizeof(req) - n, "%s%s=%s", j ? ", " : "",
					      rule->require[j].key, rule->require[j].value);
		only.rules = (struct conf_rule *)rule;
		only.nrules = 1;
		placement_check(&only, topic, cluster, &one, &err);
		CTL_ROW(r->rows, check_cols, json_string(rule->name),
			json_string(regexlist_source(rule->topics)), json_string(req),
			json_string(rule->category), json_string(rule->basis),
			json_string(one.allowed ? "yes" : "no"));
	}
	if (v.nrules == 0)
		snprintf(r->message, sizeof(r->message),
			 "allowed: no placement rule names %s; a copy on %s (labels: %s) is allowed",
			 topic, cluster, labels[0] ? labels : "none");
	else if (v.allowed)
		snprintf(r->message, sizeof(r->message),
			 "allowed: %s (labels: %s) meets every rule naming %s (%s)", cluster,
			 labels, topic, v.rules);
	else
		snprintf(r->message, sizeof(r->message),
			 "blocked: %s may not be copied to %s (labels: %s): rule %s requires %s",
			 topic, cluster, labels[0] ? labels : "none", v.blocking, v.missing);
}

/* One row of show placement, filled on the main loop; the worker adds what
 * Kafka says. */
struct prow {
	char topic[256];   /* the source topic */
	char cluster[256]; /* where this row's copy is (or would be) */
	char name[512];    /* the topic's name there */
	char flow[256];    /* "" for the source row */
	char labels[512], rules[512], category[512], basis[512];
	int allowed; /* today's rules allow a copy here (the source: always) */
	int blocked, copied_before;
	int32_t partitions;
	int ci, si; /* indexes of the cluster's and the flow source's settings */
	/* from the worker */
	char holds[600];
	char retention[128];
	long long held_back; /* -1: not a held row, or unknown */
};

struct pcluster {
	char alias[256];
	struct props settings; /* its admin settings (owned) */
	rd_kafka_t *rk;        /* worker only */
};

struct pjob {
	struct prow *v;
	size_t n, cap;
	struct pcluster *cl;
	size_t ncl;
	char *state_dir;
};

static void pjob_free(void *job)
{
	struct pjob *j = job;

	if (!j)
		return;
	for (size_t i = 0; i < j->ncl; i++) {
		props_free(&j->cl[i].settings);
		kclient_destroy(j->cl[i].rk);
	}
	free(j->cl);
	free(j->v);
	free(j->state_dir);
	free(j);
}

static int cluster_index(struct pjob *j, const struct conf *c, const char *alias)
{
	for (size_t i = 0; i < j->ncl; i++)
		if (strcmp(j->cl[i].alias, alias) == 0)
			return (int)i;
	struct pcluster *n = realloc(j->cl, (j->ncl + 1) * sizeof(*n));

	if (!n)
		return -1;
	j->cl = n;
	memset(&n[j->ncl], 0, sizeof(n[0]));
	snprintf(n[j->ncl].alias, sizeof(n[j->ncl].alias), "%s", alias);
	if (conf_cluster_settings(c, alias, ROLE_ADMIN, &n[j->ncl].settings))
		return -1;
	return (int)j->ncl++;
}

static struct prow *row_add(struct pjob *j)
{
	if (j->n == j->cap) {
		size_t ncap = j->cap ? j->cap * 2 : 16;
		struct prow *nv = realloc(j->v, ncap * sizeof(*nv));

		if (!nv)
			return NULL;
		j->v = nv;
		j->cap = ncap;
	}
	memset(&j->v[j->n], 0, sizeof(j->v[0]));
	j->v[j->n].held_back = -1;
	return &j->v[j->n++];
}

static int has_row(const struct pjob *j, const char *topic, const char *cluster)
{
	for (size_t i = 0; i < j->n; i++)
		if (strcmp(j->v[i].topic, topic) == 0 && strcmp(j->v[i].cluster, cluster) == 0 &&
		    !j->v[i].flow[0])
			return 1;
	return 0;
}

static int has_flow_row(const struct pjob *j, const char *topic, const char *flow)
{
	for (size_t i = 0; i < j->n; i++)
		if (strcmp(j->v[i].topic, topic) == 0 && strcmp(j->v[i].flow, flow) == 0)
			return 1;
	return 0;
}

/* The source row of TOPIC on F's source, once. */
static int source_row(struct pjob *j, const struct conf *c, const struct conf_flow *cf,
		      const char *topic)
{
	struct prow *w;
	struct placement_verdict v;
	struct ferr err;

	if (has_row(j, topic, cf->source))
		return 0;
	if (!(w = row_add(j)))
		return -1;
	snprintf(w->topic, sizeof(w->topic), "%s", topic);
	snprintf(w->cluster, sizeof(w->cluster), "%s", cf->source);
	snprintf(w->name, sizeof(w->name), "%s", topic);
	placement_labels(c, cf->source, w->labels, sizeof(w->labels));
	if (placement_check(c, topic, cf->source, &v, &err) == 0) {
		snprintf(w->rules, sizeof(w->rules), "%s", v.rules);
		snprintf(w->category, sizeof(w->category), "%s", v.category);
		snprintf(w->basis, sizeof(w->basis), "%s", v.basis);
	}
	w->allowed = 1; /* the data's home is no copy */
	snprintf(w->holds, sizeof(w->holds), "source");
	w->ci = cluster_index(j, c, cf->source);
	return w->ci < 0 ? -1 : 0;
}

static int held_of(const struct placement_hold *h, size_t n, const char *topic)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(h[i].topic, topic) == 0)
			return (int)i;
	return -1;
}

/* The rows of one running flow. */
static int flow_rows(struct pjob *j, const struct conf *c, struct runtime *rt, struct rt_flow *f)
{
	struct part_stat *v = NULL;
	struct placement_hold *h = NULL;
	size_t n = runtime_flow_partitions(rt, f, &v), nh = flow_held(f->flow, &h);
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		struct prow *w;
		struct placement_verdict pv;
		struct ferr err;

		if (has_flow_row(j, v[i].topic, f->name) || held_of(h, nh, v[i].topic) >= 0)
			continue; /* a topic once; a held one below */
		if (source_row(j, c, f->cf, v[i].topic) || !(w = row_add(j))) {
			rc = -1;
			break;
		}
		snprintf(w->topic, sizeof(w->topic), "%s", v[i].topic);
		snprintf(w->cluster, sizeof(w->cluster), "%s", f->cf->target);
		snprintf(w->name, sizeof(w->name), "%s", v[i].remote);
		snprintf(w->flow, sizeof(w->flow), "%s", f->name);
		placement_labels(c, f->cf->target, w->labels, sizeof(w->labels));
		if (placement_check_flow(c, f->cf, v[i].topic, &pv, &err) == 0) {
			snprintf(w->rules, sizeof(w->rules), "%s", pv.rules);
			snprintf(w->category, sizeof(w->category), "%s", pv.category);
			snprintf(w->basis, sizeof(w->basis), "%s", pv.basis);
			w->allowed = pv.allowed;
		}
		snprintf(w->holds, sizeof(w->holds), "copy %s", v[i].remote);
		w->ci = cluster_index(j, c, f->cf->target);
		if (w->ci < 0)
			rc = -1;
	}
	for (size_t i = 0; i < nh && rc == 0; i++) {
		struct prow *w;

		if (source_row(j, c, f->cf, h[i].topic) || !(w = row_add(j))) {
			rc = -1;
			break;
		}
		snprintf(w->topic, sizeof(w->topic), "%s", h[i].topic);
		snprintf(w->cluster, sizeof(w->cluster), "%s", f->cf->target);
		if (flow_remote_name(f->cf, h[i].topic, w->name, sizeof(w->name)))
			w->name[0] = '\0';
		snprintf(w->flow, sizeof(w->flow), "%s", f->name);
		placement_labels(c, f->cf->target, w->labels, sizeof(w->labels));
		snprintf(w->rules, sizeof(w->rules), "%s", h[i].rules);
		snprintf(w->category, sizeof(w->category), "%s", h[i].category);
		{
			struct placement_verdict pv;
			struct ferr err;

			if (placement_check_flow(c, f->cf, h[i].topic, &pv, &err) == 0)
				snprintf(w->basis, sizeof(w->basis), "%s", pv.basis);
		}
		w->blocked = 1; /* allowed stays 0 */
		w->copied_before = h[i].copied_before;
		w->partitions = h[i].partitions;
		w->ci = cluster_index(j, c, f->cf->target);
		w->si = cluster_index(j, c, f->cf->source);
		if (w->ci < 0 || w->si < 0)
			rc = -1;
	}
	free(v);
	free(h);
	return rc;
}

static rd_kafka_t *handle(struct pcluster *pc, struct ferr *err)
{
	struct kclient_opts o = { .what = pc->alias };

	if (!pc->rk && kclient_new(RD_KAFKA_PRODUCER, &pc->settings, ROLE_ADMIN, &o, &pc->rk, err))
		return NULL;
	return pc->rk;
}

/* retention.ms of W's topic on its cluster (RK) into OUT: 1, 0 when the
 * topic does not exist there, -1 (ERR). What the cluster says is recorded
 * in ST (a copy's row, the store open) as the retention in force there, as the topic config
 * sync does (schema/013_remote_retention.sql). */
static int retention_of(rd_kafka_t *rk, struct state *st, const struct prow *w, char *out,
			size_t sz, struct ferr *err)
{
	struct tc_set ts = { 0 };
	const struct tc_entry *e;
	struct ferr rerr = { 0 };
	const char *topic = w->name;
	int rc = -1;

	if (topicconf_describe(rk, &topic, 1, &ts, ADMIN_MS, NULL, err)) {
		/* err says why */
	} else if (ts.error && ts.errcode == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
		rc = 0;
	} else if (ts.error) {
		ferr_set(err, "%s", ts.error);
	} else {
		e = tc_set_get(&ts, "retention.ms");
		snprintf(out, sz, "%s%s", e && e->value ? e->value : "?",
			 e && e->source == RD_KAFKA_CONFIG_SOURCE_DEFAULT_CONFIG ? " (default)"
										 : "");
		if (st && topicconf_record_retention(st, w->cluster, topic, w->flow, w->topic, &ts,
						     &rerr) < 0)
			log_warn("show placement: %s", rerr.msg);
		rc = 1;
	}
	tc_set_free(&ts);
	return rc;
}

/* The records of W's source topic the rule keeps from its flow's target;
 * -1 when unknown. */
static long long held_back(struct pjob *j, struct state *st, const struct prow *w, struct ferr *err)
{
	rd_kafka_t *rk = handle(&j->cl[w->si], err);
	long long n = -1;

	if (!rk || placement_held_back(rk, st, w->flow, w->topic, w->partitions, ADMIN_MS, &n, err))
		return -1;
	return n;
}

static void pjob_run(void *job, struct ctl_reply *out)
{
	struct pjob *j = job;
	struct state *st = NULL;
	struct ferr err;

	if (state_open_worker(j->state_dir, &st, &err))
		st = NULL; /* held back then counts from the log start */
	CTL_TABLE(out, placement_cols);
	for (size_t i = 0; i < j->n; i++) {
		struct prow *w = &j->v[i];
		rd_kafka_t *rk = handle(&j->cl[w->ci], &err);
		int rc = rk && w->name[0] ? retention_of(rk, w->flow[0] ? st : NULL, w,
							 w->retention, sizeof(w->retention), &err)
					  : -1;

		if (rc < 0 && rk && w->name[0])
			snprintf(w->retention, sizeof(w->retention), "unknown: %.100s", err.msg);
		if (w->blocked) {
			snprintf(w->holds, sizeof(w->holds), "blocked-by-placement%s%s",
				 rc == 1 ? "; copy made before the rule: " : "",
				 rc == 1 ? w->name : "");
			if (rc != 1)
				w->retention[0] = '\0';
			w->held_back = held_back(j, st, w, &err);
		} else if (rc == 0) {
			snprintf(w->retention, sizeof(w->retention), "(no such topic)");
		}
		CTL_ROW(out->rows, placement_cols, json_string(w->topic), json_string(w->cluster),
			json_string(w->holds), json_string(w->labels), json_string(w->rules),
			json_string(w->category), json_string(w->retention),
			w->blocked && w->held_back >= 0 ? json_integer(w->held_back) : json_null(),
			json_string(w->flow), json_string(w->basis),
			json_string(w->allowed ? "yes" : "no"));
	}
	state_close(st);
}

static const struct ctl_job_ops pjob_ops = { pjob_run, pjob_free };

void ctl_show_placement(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
			struct ctl_reply *r)
{
	struct pjob *j = calloc(1, sizeof(*j));

	(void)s;
	(void)m;
	if (!j || !(j->state_dir = strdup(rt->state_dir))) {
		free(j);
		ctl_fail(r, "internal", "out of memory");
		return;
	}
	for (size_t i = 0; i < rt->nflows; i++) {
		struct rt_flow *f = &rt->flows[i];

		if (f->flow && flow_rows(j, rt->conf, rt, f)) {
			pjob_free(j);
			ctl_fail(r, "internal", "out of memory");
			return;
		}
	}
	/* j passes to the offload; the rows come from its worker */
	ctl_offload(r, &pjob_ops, j);
}
