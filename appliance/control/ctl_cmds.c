/*
 * ctl_cmds.c — what each control command does. The grammar, help and
 * required role of every command live in shell/cmdtab.c; this file only
 * maps a command id to its handler.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "lib/clock.h"
#include "lib/proto.h"
#include "appliance/conf/clientconf.h"
#include "appliance/conf/conf_keys.h"
#include "appliance/control/ctl.h"
#include "appliance/kafka/kadmin.h"
#include "appliance/kafka/kclient.h"
#include "appliance/log.h"
#include "appliance/control/metrics.h"
#include "appliance/kafka/reach.h"
#include "appliance/sink/sink.h"
#include "appliance/store/state.h"
#include "lib/version.h"

void ctl_fail(struct ctl_reply *r, const char *code, const char *fmt, ...)
{
	va_list ap;

	r->err_code = code;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
}

void ctl_fail_err(struct ctl_reply *r, const struct ferr *err)
{
	ctl_fail(r, err->code == FERR_NOT_FOUND ? "not_found" : "invalid", "%s", err->msg);
}

void ctl_session_reset(struct ctl_session *s)
{
	props_free(&s->candidate);
	s->dirty = 0;
	s->mode = MODE_EXEC;
}

void ctl_table(struct ctl_reply *r, const char *const *cols, size_t n)
{
	r->columns = json_array();
	r->rows = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(r->columns, json_string(cols[i]));
}

void ctl_row_add(json_t *rows, json_t *const *v, size_t n)
{
	json_t *row = json_array();
	size_t i;

	for (i = 0; i < n && v[i] && row; i++)
		json_array_append_new(row, v[i]); /* takes v[i] */
	if (i == n && row) {
		json_array_append_new(rows, row); /* takes row */
		return;
	}
	/* a value failed: no row, and the values not yet taken are freed */
	for (; i < n; i++)
		json_decref(v[i]);
	json_decref(row);
}

static void fmt_time(int64_t ms, char *buf, size_t sz)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *flow_filter(const struct cmd_match *m, struct runtime *rt, struct ctl_reply *r)
{
	const char *name = m->nargs > 0 ? m->args[0] : NULL;

	if (name && !runtime_flow(rt, name))
		ctl_fail(r, "not_found", "no flow %s in the running configuration (see show flows)",
			 name);
	return name;
}

static const char *const version_cols[] = { "item", "value" };

static void h_show_version(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
			   struct ctl_reply *r)
{
	char up[64], rev[32], proto[16];
	int64_t secs = (state_now_ms() - rt->started_ms) / 1000;

	(void)s;
	(void)m;
	snprintf(up, sizeof(up), "%lldd %02lld:%02lld:%02lld", (long long)(secs / 86400),
		 (long long)(secs / 3600 % 24), (long long)(secs / 60 % 60),
		 (long long)(secs % 60));
	snprintf(rev, sizeof(rev), "%d", rt->revision);
	snprintf(proto, sizeof(proto), "%d", PROTO_VERSION);
	const char *const items[][2] = {
		{ "appliance", rt->appliance },
		{ "ferryd", FERRY_VERSION },
		{ "librdkafka", rd_kafka_version_str() },
		{ "protocol", proto },
		{ "uptime", up },
		{ "config revision", rev },
		{ "config file", rt->config_file },
		{ "state dir", rt->state_dir },
	};

	CTL_TABLE(r, version_cols);
	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++)
		CTL_ROW(r->rows, version_cols, json_string(items[i][0]), json_string(items[i][1]));
}

static const char *const clusters_cols[] = {
	"cluster",      "bootstrap.servers", "flows from", "flows to",
	"reachability", "unreachable since", "last error",
};

static void h_show_clusters(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
			    struct ctl_reply *r)
{
	const struct conf *c = rt->conf;

	(void)s;
	(void)m;
	CTL_TABLE(r, clusters_cols);
	for (size_t i = 0; i < c->nclusters; i++) {
		const char *alias = c->clusters[i].alias;
		char key[300], from[1024] = "", to[1024] = "";
		const struct prop *bs;

		snprintf(key, sizeof(key), "%s.bootstrap.servers", alias);
		bs = props_get(&c->raw, key);
		if (!bs)
			bs = props_get(&c->raw, "bootstrap.servers");
		for (size_t f = 0; f < c->nflows; f++) {
			char *dst = strcmp(c->flows[f].source, alias) == 0   ? from
				    : strcmp(c->flows[f].target, alias) == 0 ? to
									     : NULL;

			if (!dst)
				continue;
			if (*dst)
				strncat(dst, ", ", sizeof(from) - strlen(dst) - 1);
			strncat(dst, c->flows[f].name, sizeof(from) - strlen(dst) - 1);
		}
		/* what the running flows' clients say (reach.h): no probe of
		 * its own, so a cluster no running flow uses is unknown */
		char why[400], since[32] = "";
		int64_t since_ms;
		enum reach_state st = reach_cluster(alias, why, sizeof(why), &since_ms, NULL);

		if (st == REACH_UNREACHABLE)
			fmt_time(since_ms, since, sizeof(since));
		CTL_ROW(r->rows, clusters_cols, json_string(alias),
			json_string(bs ? bs->value : ""), json_string(from), json_string(to),
			json_string(reach_state_name(st)), json_string(since), json_string(why));
	}
}

static int cmp_part(const void *a, const void *b)
{
	const struct part_stat *x = a, *y = b;
	int c = strcmp(x->topic, y->topic);

	return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

/* The partitions of F in topic, partition order (a paused flow's as
 * runtime_flow_partitions says); none when F is not ONLY (NULL: any).
 * Caller frees *v. */
static size_t sorted_partitions(struct runtime *rt, const struct rt_flow *f, const char *only,
				struct part_stat **v)
{
	size_t n;

	*v = NULL;
	if (only && strcmp(only, f->name) != 0)
		return 0;
	n = runtime_flow_partitions(rt, f, v);
	if (n)
		qsort(*v, n, sizeof(**v), cmp_part);
	return n;
}

static const char *const flows_cols[] = {
	"flow",   "state",  "topics", "partitions", "records",    "bytes",
	"reason", "source", "target", "lag",        "latency ms",
};

/* The sum of F's partitions' lag (as show lag has it), or null when any is
 * unknown or F has none; what ferry_partition_lag adds up to. */
static json_t *flow_lag(struct runtime *rt, const struct rt_flow *f)
{
	struct part_stat *v = NULL;
	size_t n = runtime_flow_partitions(rt, f, &v);
	long long sum = 0;
	int known = n > 0;

	for (size_t i = 0; i < n; i++) {
		if (metrics_lag(&v[i]) < 0)
			known = 0;
		else
			sum += metrics_lag(&v[i]);
	}
	free(v);
	return known ? json_integer((json_int_t)sum) : json_null();
}

/* ferry_replication_latency_ms of F (the average over the last 10-20 s,
 * rounded to the ms), or null while it has none. */
static json_t *flow_latency_ms(const struct rt_flow *f)
{
	struct lat_window rl = { 0 }, age = { 0 };

	if (!f->flow)
		return json_null();
	flow_latency(f->flow, &rl, &age);
	if (!rl.count)
		return json_null();
	return json_integer((json_int_t)((rl.sum + rl.count / 2) / rl.count));
}

static void h_show_flows(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
			 struct ctl_reply *r)
{
	(void)s;
	(void)m;
	CTL_TABLE(r, flows_cols);
	for (size_t i = 0; i < rt->nflows; i++) {
		struct rt_flow *f = &rt->flows[i];
		const char *reason;
		const char *state = runtime_flow_state(f, &reason);
		json_int_t topics = 0, parts = 0;
		struct flow_counters c;

		/* records and bytes since ferryd started, as the metrics count them */
		runtime_flow_counters(f, &c);
		if (f->flow) {
			topics = (json_int_t)atomic_load(&f->flow->topics_mirrored);
			parts = (json_int_t)atomic_load(&f->flow->partitions_mirrored);
		} else if (f->paused) {
			/* what it mirrored when paused, as saved: sorted, a
			 * topic's partitions stand together */
			struct part_stat *v = NULL;
			size_t n = sorted_partitions(rt, f, NULL, &v);

			parts = (json_int_t)n;
			for (size_t j = 0; j < n; j++)
				topics += j == 0 || strcmp(v[j - 1].topic, v[j].topic) != 0;
			free(v);
		}
		char held[600];

		/* placement holding topics back is the flow doing its job: the
		 * state stays, the reason says which topics and why */
		if (f->flow && !reason[0] && atomic_load(&f->flow->topics_blocked) > 0) {
			struct placement_hold *h = NULL;
			size_t nh = flow_held(f->flow, &h);

			snprintf(held, sizeof(held),
				 "%zu topic(s) blocked-by-placement%s%.200s%s%.200s%s", nh,
				 nh ? ": " : "", nh ? h[0].topic : "", nh ? " (rule " : "",
				 nh ? h[0].rules : "",
				 nh > 1 ? "), ..."
				 : nh   ? ")"
					: "");
			free(h);
			reason = held;
		}
		CTL_ROW(r->rows, flows_cols, json_string(f->name), json_string(state),
			json_integer(topics), json_integer(parts),
			json_integer((json_int_t)c.records), json_integer((json_int_t)c.bytes),
			json_string(reason), json_string(f->cf->source), json_string(f->cf->target),
			flow_lag(rt, f), flow_latency_ms(f));
	}
}


static const char *const topics_cols[] = { "flow", "topic", "remote topic", "partitions", "state" };

static void h_show_topics(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
			  struct ctl_reply *r)
{
	const char *only = flow_filter(m, rt, r);

	(void)s;
	if (r->err_code)
		return;
	CTL_TABLE(r, topics_cols);
	for (size_t i = 0; i < rt->nflows; i++) {
		struct rt_flow *f = &rt->flows[i];
		struct part_stat *v = NULL;
		size_t n = sorted_partitions(rt, f, only, &v);
		struct placement_hold *h = NULL;
		size_t nh = f->flow && (!only || strcmp(only, f->name) == 0)
				    ? flow_held(f->flow, &h)
				    : 0;

		for (size_t j = 0; j < n;) {
			size_t k = j;
			const char *state = "mirroring";

			while (k < n && strcmp(v[k].topic, v[j].topic) == 0)
				k++;
			for (size_t x = j; x < k; x++)
				if (v[x].blocked)
					state = v[x].reason;
			CTL_ROW(r->rows, topics_cols, json_string(f->name), json_string(v[j].topic),
				json_string(v[j].remote), json_integer((json_int_t)(k - j)),
				json_string(state));
			j = k;
		}
		/* held back before a partition was ever handed to a task */
		for (size_t x = 0; x < nh; x++) {
			char state[600];
			int seen = 0;

			for (size_t y = 0; y < n && !seen; y++)
				seen = strcmp(v[y].topic, h[x].topic) == 0;
			if (seen)
				continue;
			snprintf(state, sizeof(state), "blocked-by-placement: rule %s", h[x].rules);
			json_array_append_new(r->rows, json_pack("[s,s,s,I,s]", f->name, h[x].topic,
								 "", (json_int_t)0, state));
		}
		free(h);
		free(v);
	}
}

static const char *const lag_cols[] = {
	"flow", "topic",       "partition",      "end offset", "position",
	"lag",  "lag seconds", "never mirrored", "state",
};

/* Now minus the timestamp of the record at P's position (the oldest not
 * yet acknowledged by the target), in seconds: 0 when the lag is 0, null
 * when it is unknown or ferry has not fetched that record (a paused flow,
 * a partition waiting for the source). Never interpolated. */
static json_t *lag_seconds(const struct part_stat *p, int64_t now_ms)
{
	long long lag = metrics_lag(p);

	if (lag == 0)
		return json_real(0);
	if (lag < 0 || p->position_ts < 0)
		return json_null();
	/* a record stamped ahead of ferryd's clock is not negative lag */
	return json_real(now_ms > p->position_ts ? (double)(now_ms - p->position_ts) / 1000.0 : 0);
}

static void lag_rows(struct runtime *rt, const char *only, struct ctl_reply *r)
{
	int64_t now = clock_wall_ms();

	CTL_TABLE(r, lag_cols);
	for (size_t i = 0; i < rt->nflows; i++) {
		struct rt_flow *f = &rt->flows[i];
		struct part_stat *v = NULL;
		size_t n = sorted_partitions(rt, f, only, &v);

		for (size_t j = 0; j < n; j++) {
			json_t *lag = metrics_lag(&v[j]) < 0 ? json_null()
							     : json_integer(metrics_lag(&v[j]));
			char state[sizeof(v[j].reason) + 16];

			if (f->paused)
				snprintf(state, sizeof(state), "paused%s%s",
					 v[j].reason[0] ? ": " : "", v[j].reason);
			else
				snprintf(state, sizeof(state), "%s",
					 v[j].stopped || v[j].blocked ? v[j].reason : "mirroring");
			CTL_ROW(r->rows, lag_cols, json_string(f->name), json_string(v[j].topic),
				json_integer(v[j].partition),
				v[j].end_offset >= 0 ? json_integer(v[j].end_offset) : json_null(),
				v[j].position >= 0 ? json_integer(v[j].position) : json_null(), lag,
				lag_seconds(&v[j], now),
				json_integer((json_int_t)v[j].never_mirrored), json_string(state));
		}
		free(v);
	}
}

/* show lag with a paused flow in view waits for fresh end offsets (off
 * the loop, see lagwatch.h), at most LAG_WAIT_MS: then it shows the last
 * ones it has. */
#define LAG_WAIT_MS 5000
struct lag_wait {
	char only[256]; /* "": every flow */
	uint64_t ticket;
	int64_t deadline;
};

static int lag_poll(struct runtime *rt, void *state, struct ctl_reply *r)
{
	struct lag_wait *w = state;

	if (!runtime_lag_fresh(rt, w->ticket) && clock_mono_ms() < w->deadline)
		return 1;
	lag_rows(rt, w->only[0] ? w->only : NULL, r);
	free(w);
	return 0;
}

static void lag_cancel(void *state)
{
	free(state);
}

static void h_show_lag(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
		       struct ctl_reply *r)
{
	const char *only = flow_filter(m, rt, r);
	struct lag_wait *w;
	int paused = 0;

	(void)s;
	if (r->err_code)
		return;
	for (size_t i = 0; i < rt->nflows; i++)
		paused |= rt->flows[i].paused && (!only || strcmp(only, rt->flows[i].name) == 0);
	w = paused ? calloc(1, sizeof(*w)) : NULL;
	if (!w) {
		lag_rows(rt, only, r);
		return;
	}
	snprintf(w->only, sizeof(w->only), "%s", only ? only : "");
	w->ticket = runtime_lag_refresh(rt);
	w->deadline = clock_mono_ms() + LAG_WAIT_MS;
	/* w passes to the wait: lag_poll or lag_cancel frees it */
	r->wait = (struct ctl_wait){ .poll = lag_poll, .cancel = lag_cancel, .state = w };
}

static const char *const offsets_cols[] = {
	"flow", "topic", "partition", "next offset", "saved at",
};

struct offsets_ctx {
	struct ctl_reply *r;
};

static void offsets_row(void *ctx, const char *flow, const char *topic, int32_t partition,
			int64_t next_offset, int64_t updated_ms)
{
	struct offsets_ctx *x = ctx;
	char t[32];

	fmt_time(updated_ms, t, sizeof(t));
	CTL_ROW(x->r->rows, offsets_cols, json_string(flow), json_string(topic),
		json_integer(partition), json_integer((json_int_t)next_offset), json_string(t));
}

static void h_show_offsets(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
			   struct ctl_reply *r)
{
	const char *only = flow_filter(m, rt, r);
	struct offsets_ctx x = { r };
	struct ferr err;

	(void)s;
	if (r->err_code)
		return;
	CTL_TABLE(r, offsets_cols);
	if (state_positions_list(rt->st, only, offsets_row, &x, &err))
		ctl_fail(r, "internal", "%s", err.msg);
}

/* Whether a flow of C reads from or writes to cluster ALIAS. */
static int cluster_in_use(const struct conf *c, const char *alias)
{
	for (size_t f = 0; f < c->nflows; f++)
		if (strcmp(c->flows[f].source, alias) == 0 ||
		    strcmp(c->flows[f].target, alias) == 0)
			return 1;
	return 0;
}

/* A consumer group of cluster ALIAS, for show groups and completion. */
struct group_visit {
	const char *alias;
	void (*fn)(void *arg, const char *alias, const rd_kafka_ConsumerGroupListing_t *g);
	void *arg;
};

static void visit_group(void *arg, const rd_kafka_ConsumerGroupListing_t *g)
{
	struct group_visit *v = arg;

	/* ferry's own groups are never committed to */
	if (strncmp(rd_kafka_ConsumerGroupListing_group_id(g), "ferry-mirror.", 13) != 0)
		v->fn(v->arg, v->alias, g);
}

/* Calls FN for each consumer group on cluster ALIAS (admin SETTINGS) but
 * ferry's own; 0, or -1 with ERR (the cluster did not answer within
 * TIMEOUT_MS, say). Blocks: runs on an offload worker. */
static int list_groups(const char *alias, const struct props *settings, int timeout_ms,
		       void (*fn)(void *arg, const char *alias,
				  const rd_kafka_ConsumerGroupListing_t *g),
		       void *arg, struct ferr *err)
{
	struct kclient_opts o = { .what = alias };
	struct group_visit v = { alias, fn, arg };
	rd_kafka_t *rk = NULL;
	int rc;

	if (kclient_new(RD_KAFKA_PRODUCER, settings, ROLE_ADMIN, &o, &rk, err))
		return -1;
	rc = kadmin_each_group(rk, visit_group, &v, timeout_ms, err);
	kclient_destroy(rk);
	return rc;
}

/* show groups and group completion, off the loop (ctl_offload): what each
 * cluster needs, copied from the running configuration on the main loop. */
struct groups_cluster {
	char alias[256];
	struct props settings; /* its admin settings (owned) */
	const char *skip;      /* a static reason not to ask it, or NULL */
};

struct groups_job {
	struct groups_cluster *v;
	size_t n;
	int timeout_ms;
	int names; /* completion: group ids, once each, as out->rows */
};

static void groups_job_free(void *job)
{
	struct groups_job *j = job;

	for (size_t i = 0; j && i < j->n; i++)
		props_free(&j->v[i].settings);
	if (j)
		free(j->v);
	free(j);
}

static const char *const groups_cols[] = { "cluster", "group", "state", "simple" };

static void group_row(void *arg, const char *alias, const rd_kafka_ConsumerGroupListing_t *g);
static void group_name(void *arg, const char *alias, const rd_kafka_ConsumerGroupListing_t *g);

static void groups_job_run(void *job, struct ctl_reply *out)
{
	struct groups_job *j = job;

	if (j->names)
		out->rows = json_array();
	else
		CTL_TABLE(out, groups_cols);
	for (size_t i = 0; i < j->n; i++) {
		const char *alias = j->v[i].alias;
		struct ferr err;

		if (j->v[i].skip)
			ferr_set(&err, "%s", j->v[i].skip);
		else if (list_groups(alias, &j->v[i].settings, j->timeout_ms,
				     j->names ? group_name : group_row,
				     j->names ? (void *)out->rows : (void *)out, &err) == 0)
			continue;
		/* a cluster that cannot be listed is a row saying why, not a
		 * failure of the whole command */
		if (j->names)
			log_debug("completion: groups of %s: %s", alias, err.msg);
		else
			CTL_ROW(out->rows, groups_cols, json_string(alias), json_string(""),
				json_string(err.msg), json_string(""));
	}
}

static const struct ctl_job_ops groups_ops = { groups_job_run, groups_job_free };

/* A job for the clusters of the running configuration (only ONLY, when
 * set); NULL when out of memory. */
static struct groups_job *groups_job_new(struct runtime *rt, const char *only, int names,
					 int timeout_ms)
{
	const struct conf *c = rt->conf;
	struct groups_job *j = calloc(1, sizeof(*j));

	if (!j || !(j->v = calloc(c->nclusters ? c->nclusters : 1, sizeof(*j->v)))) {
		free(j);
		return NULL;
	}
	j->names = names;
	j->timeout_ms = timeout_ms;
	for (size_t i = 0; i < c->nclusters; i++) {
		struct groups_cluster *gc = &j->v[j->n];
		const char *alias = c->clusters[i].alias;

		if (only && strcmp(only, alias) != 0)
			continue;
		snprintf(gc->alias, sizeof(gc->alias), "%s", alias);
		if (!cluster_in_use(c, alias))
			gc->skip = "(no flow uses this cluster)";
		else if (conf_cluster_settings(c, alias, ROLE_ADMIN, &gc->settings))
			gc->skip = "out of memory";
		j->n++;
	}
	return j;
}

static void group_row(void *arg, const char *alias, const rd_kafka_ConsumerGroupListing_t *g)
{
	struct ctl_reply *r = arg;

	CTL_ROW(r->rows, groups_cols, json_string(alias),
		json_string(rd_kafka_ConsumerGroupListing_group_id(g)),
		json_string(
			rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupListing_state(g))),
		json_string(rd_kafka_ConsumerGroupListing_is_simple_consumer_group(g) ? "yes"
										      : "no"));
}

static void h_show_groups(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
			  struct ctl_reply *r)
{
	const char *only = m->nargs > 0 ? m->args[0] : NULL;
	struct groups_job *j;

	(void)s;
	j = groups_job_new(rt, only, 0, 5000);
	if (!j) {
		ctl_fail(r, "internal", "out of memory");
		return;
	}
	if (only && j->n == 0) {
		groups_job_free(j);
		ctl_fail(r, "not_found", "no cluster %s in the running configuration", only);
		return;
	}
	/* j passes to the offload; the rows come from its worker */
	ctl_offload(r, &groups_ops, j);
}

static const char *const metrics_cols[] = { "metric", "labels", "value" };

struct metrics_ctx {
	struct ctl_reply *r;
};

static void metrics_row(void *ctx, const struct metric_def *d, const char *labels, double value)
{
	struct metrics_ctx *x = ctx;

	CTL_ROW(x->r->rows, metrics_cols, json_string(d->name), json_string(labels),
		json_real(value));
}

static void h_show_metrics(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
			   struct ctl_reply *r)
{
	struct metrics_ctx x = { r };

	(void)s;
	(void)m;
	CTL_TABLE(r, metrics_cols);
	metrics_collect(rt, metrics_row, &x);
}

static const char *const audit_cols[] = {
	"id", "time", "who", "role", "origin", "action", "result", "detail", "prev hash", "hash",
};

static void audit_row(void *ctx, const struct audit_entry *e)
{
	struct ctl_reply *r = ctx;
	char t[32];

	fmt_time(e->ts_ms, t, sizeof(t));
	CTL_ROW(r->rows, audit_cols, json_integer((json_int_t)e->id), json_string(t),
		json_string(e->who), json_string(e->role), json_string(e->origin),
		json_string(e->action), json_string(e->result), json_string(e->detail),
		json_string(e->prev_hash), json_string(e->hash));
}

static void h_show_audit(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
			 struct ctl_reply *r)
{
	// NOLINTNEXTLINE(cert-err34-c): ARG_COUNT, 1..INT_MAX (cmdtab check_arg)
	int n = m->nargs > 0 && m->args[0] ? atoi(m->args[0]) : 20;
	const char *since = m->nargs > 1 ? m->args[1] : NULL,
		   *after = m->nargs > 2 ? m->args[2] : NULL;
	long long since_ms = 0, after_id = 0;
	struct ferr err;
	int rc;

	(void)s;
	n = n > 10000 ? 10000 : n;
	/* both validated by the grammar (DATETIME, ID) */
	if (since)
		cmdtab_parse_datetime(since, &since_ms);
	if (after)
		after_id = strtoll(after, NULL, 10);
	CTL_TABLE(r, audit_cols);
	if (since || after)
		rc = state_audit_page(rt->st, since_ms, after_id, n, audit_row, r, &err);
	else
		rc = state_audit_list(rt->st, n, audit_row, r, &err);
	if (rc)
		ctl_fail(r, "internal", "%s", err.msg);
}

static void h_show_config(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
			  struct ctl_reply *r)
{
	(void)s;
	(void)m;
	r->text = runtime_config_text(rt);
	if (!r->text)
		ctl_fail(r, "internal", "out of memory");
}

static const char *const revisions_cols[] = { "revision", "running", "time", "who", "comment" };

struct rev_ctx {
	struct ctl_reply *r;
	int running;
};

static void rev_row(void *ctx, const struct revision *rv)
{
	struct rev_ctx *x = ctx;
	char t[32];

	fmt_time(rv->ts_ms, t, sizeof(t));
	CTL_ROW(x->r->rows, revisions_cols, json_integer(rv->rev),
		json_string(rv->rev == x->running ? "*" : ""), json_string(t), json_string(rv->who),
		json_string(rv->comment));
}

static void h_show_revisions(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
			     struct ctl_reply *r)
{
	struct rev_ctx x = { r, rt->revision };
	struct ferr err;

	(void)s;
	(void)m;
	CTL_TABLE(r, revisions_cols);
	if (state_revision_list(rt->st, rev_row, &x, &err))
		ctl_fail(r, "internal", "%s", err.msg);
}

static const char *const sink_cols[] = {
	"state", "target", "delivered up to", "pending", "oldest pending", "last error",
};

/* ISO-8601 UTC with milliseconds, as the protocol writes times */
static json_t *json_time_ms(int64_t ms)
{
	char buf[40], sec[32];

	if (ms <= 0)
		return json_null();
	fmt_time(ms, sec, sizeof(sec));
	sec[strcspn(sec, "Z")] = '\0';
	snprintf(buf, sizeof(buf), "%s.%03dZ", sec, (int)(ms % 1000));
	return json_string(buf);
}

static void h_show_sink(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
			struct ctl_reply *r)
{
	struct sink_status st;
	int off;

	(void)s;
	(void)m;
	sink_status(rt->sink, &st);
	off = strcmp(st.state, "off") == 0;
	CTL_TABLE(r, sink_cols);
	CTL_ROW(r->rows, sink_cols, json_string(st.state),
		off ? json_null() : json_string(st.target),
		st.delivered_upto >= 0 ? json_integer(st.delivered_upto) : json_null(),
		off ? json_null() : json_integer(st.pending), json_time_ms(st.oldest_ms),
		st.last_error[0] ? json_string(st.last_error) : json_null());
}

/* show transfers, off the loop (ctl_offload): the ledger is read through
 * a state connection of the worker's own, so a long ledger never holds
 * the main loop on the disk. */
struct transfers_job {
	char *state_dir, *flow, *since; /* flow, since: NULL for all */
	int flow_running;               /* FLOW is in the running configuration */
};

static void transfers_job_free(void *job)
{
	struct transfers_job *j = job;

	if (!j)
		return;
	free(j->state_dir);
	free(j->flow);
	free(j->since);
	free(j);
}

static json_t *opt_int(int64_t v)
{
	return v >= 0 ? json_integer((json_int_t)v) : json_null();
}

json_t *ctl_opt_ts(int64_t ms)
{
	char t[40];
	size_t n;

	if (ms < 0)
		return json_null();
	fmt_time(ms - ms % 1000, t, sizeof(t));
	n = strlen(t);
	if (n > 0 && t[n - 1] == 'Z')
		snprintf(t + n - 1, sizeof(t) - (n - 1), ".%03dZ", (int)(ms % 1000));
	return json_string(t);
}

static const char *const transfers_cols[] = {
	"day",   "flow",         "topic",       "partition",       "records",
	"bytes", "first offset", "last offset", "first timestamp", "last timestamp",
	"rule",  "category",     "held back"
};

static json_t *opt_str(const char *v)
{
	return v ? json_string(v) : json_null();
}

static void transfer_row(void *ctx, const struct state_transfer *x)
{
	struct ctl_reply *r = ctx;

	CTL_ROW(r->rows, transfers_cols, json_string(x->day), json_string(x->flow),
		json_string(x->topic), json_integer(x->partition),
		json_integer((json_int_t)x->l.records), json_integer((json_int_t)x->l.bytes),
		opt_int(x->l.first_offset), opt_int(x->l.last_offset), ctl_opt_ts(x->l.first_ts),
		ctl_opt_ts(x->l.last_ts), opt_str(x->l.rule), opt_str(x->l.category),
		json_integer((json_int_t)x->held_back));
}

static void transfers_job_run(void *job, struct ctl_reply *out)
{
	struct transfers_job *j = job;
	struct state *st = NULL;
	struct ferr err;

	CTL_TABLE(out, transfers_cols);
	if (state_open_worker(j->state_dir, &st, &err) ||
	    state_transfers_list(st, j->flow, j->since, transfer_row, out, &err)) {
		ctl_fail(out, "internal", "%s", err.msg);
		state_close(st);
		return;
	}
	state_close(st);
	/* a flow no longer configured still has its history; one that never
	 * was is a mistake worth naming */
	if (j->flow && !j->flow_running && json_array_size(out->rows) == 0)
		ctl_fail(out, "not_found",
			 "FLOW: no flow %s in the running configuration nor in the transfer ledger "
			 "(see show flows)",
			 j->flow);
}

static const struct ctl_job_ops transfers_ops = { transfers_job_run, transfers_job_free };

static void h_show_transfers(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
			     struct ctl_reply *r)
{
	const char *flow = NULL, *since = NULL;
	struct transfers_job *j;

	(void)s;
	/* either may be left out (NULL) */
	flow = m->nargs > 0 ? m->args[0] : NULL;
	since = m->nargs > 1 ? m->args[1] : NULL;
	j = calloc(1, sizeof(*j));
	if (!j || !(j->state_dir = strdup(rt->state_dir)) || (flow && !(j->flow = strdup(flow))) ||
	    (since && !(j->since = strdup(since)))) {
		transfers_job_free(j);
		ctl_fail(r, "internal", "out of memory");
		return;
	}
	j->flow_running = flow && runtime_flow(rt, flow) != NULL;
	/* j passes to the offload; the rows come from its worker */
	ctl_offload(r, &transfers_ops, j);
}

static void h_pause(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
		    struct ctl_reply *r)
{
	struct ferr err;

	if (runtime_pause(rt, m->args[0], s->who, &err))
		ctl_fail_err(r, &err);
	else
		snprintf(r->message, sizeof(r->message), "flow %s paused; positions saved",
			 m->args[0]);
}

static void h_resume(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
		     struct ctl_reply *r)
{
	struct ferr err;

	if (runtime_resume(rt, m->args[0], s->who, &err))
		ctl_fail_err(r, &err);
	else
		snprintf(r->message, sizeof(r->message), "flow %s resumed", m->args[0]);
}

/* resume flow F --topic T --partition P --from X: only a partition ferry
 * stopped; the mirror task applies it (and audits the outcome), since only
 * it may touch the partition's consumer and positions. */
static void h_resume_partition(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
			       struct ctl_reply *r)
{
	struct rt_flow *f = runtime_flow(rt, m->args[0]);
	const char *topic = m->args[1];
	// NOLINTNEXTLINE(cert-err34-c): ARG partition, checked by cmdtab
	int32_t partition = (int32_t)atol(m->args[2]);
	long long from;
	struct part_stat *v = NULL;
	size_t n;
	int found = 0, stopped = 0;
	struct ferr err;

	(void)s;
	if (!f) {
		ctl_fail(r, "not_found", "no flow %s in the running configuration (see show flows)",
			 m->args[0]);
		return;
	}
	if (!f->flow) {
		ctl_fail(r, "error", "flow %s is not running (%s)", f->name,
			 runtime_flow_state(f, NULL));
		return;
	}
	if (cmdtab_parse_position(m->args[3], &from)) { /* the matcher checked it already */
		ctl_fail(r, "error", "POSITION: expected earliest, latest or an offset");
		return;
	}
	n = flow_partitions(f->flow, &v);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i].topic, topic) == 0 && v[i].partition == partition) {
			found = 1;
			stopped = v[i].stopped;
		}
	}
	free(v);
	if (!found) {
		ctl_fail(r, "not_found", "flow %s does not mirror %s[%d] (see show lag %s)",
			 f->name, topic, (int)partition, f->name);
		return;
	}
	if (!stopped) {
		ctl_fail(r, "error",
			 "%s[%d] of flow %s is not stopped: nothing to resume (to restart "
			 "a paused flow: resume flow %s)",
			 topic, (int)partition, f->name, f->name);
		return;
	}
	if (flow_resume_partition(f->flow, topic, partition, from, &err)) {
		ctl_fail_err(r, &err);
		return;
	}
	snprintf(r->message, sizeof(r->message),
		 "%s[%d] of flow %s resumes from %s; the outcome "
		 "is logged and audited (show audit), the partition shows in show lag %s",
		 topic, (int)partition, f->name, m->args[3], f->name);
}

static int copy_running(struct runtime *rt, struct ctl_session *s)
{
	props_free(&s->candidate);
	if (props_copy(&rt->conf->raw, "candidate", &s->candidate))
		return -1;
	s->dirty = 0;
	s->base_revision = rt->revision;
	return 0;
}

static void h_configure(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
			struct ctl_reply *r)
{
	(void)m;
	if (copy_running(rt, s)) {
		ctl_fail(r, "internal", "out of memory");
		return;
	}
	s->mode = MODE_CONFIG;
	snprintf(r->message, sizeof(r->message), "candidate copied from revision %d", rt->revision);
}

static int valid_key(const char *k)
{
	if (!*k)
		return 0;
	for (const char *p = k; *p; p++)
		if (*p == ' ' || *p == '\t' || *p == '=' || *p == '\n')
			return 0;
	return 1;
}

static void h_set(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
		  struct ctl_reply *r)
{
	const char *key = m->args[0], *value = m->nargs > 1 ? m->args[1] : "";
	const struct prop *old = props_get(&s->candidate, key);

	(void)rt;
	if (!valid_key(key)) {
		ctl_fail(r, "invalid", "KEY \"%s\": keys have no blanks or '='", key);
		return;
	}
	if (old && strcmp(old->value, value) == 0) {
		snprintf(r->message, sizeof(r->message), "%s is already %s", key, value);
		return;
	}
	if (props_put(&s->candidate, key, value)) {
		ctl_fail(r, "internal", "out of memory");
		return;
	}
	s->dirty = 1;
}

static void h_delete(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
		     struct ctl_reply *r)
{
	(void)rt;
	if (props_unset(&s->candidate, m->args[0]) == 0) {
		ctl_fail(r, "not_found", "%s is not set in the candidate", m->args[0]);
		return;
	}
	s->dirty = 1;
}

static void h_cfg_show(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
		       struct ctl_reply *r)
{
	(void)rt;
	(void)m;
	r->text = props_render(&s->candidate);
	if (!r->text)
		ctl_fail(r, "internal", "out of memory");
}

/* Appends to a growing text. */
static void add_text(char **buf, size_t *len, size_t *cap, const char *a, const char *b,
		     const char *c)
{
	size_t need = strlen(a) + strlen(b) + strlen(c) + 8;

	if (*len + need >= *cap) {
		size_t ncap = (*cap + need) * 2;
		char *nb = realloc(*buf, ncap);

		if (!nb)
			return;
		*buf = nb;
		*cap = ncap;
	}
	*len += (size_t)snprintf(*buf + *len, *cap - *len, "%s%s = %s\n", a, b, c);
}

/* Walks what CAND sets otherwise than RUN, as `show | compare` lists it:
 * in candidate order the changed and added keys ("-" old, "+" new), then
 * the removed ones. FN (may be NULL) gets each line; returns how many keys
 * differ. */
static size_t props_diff(const struct props *run, const struct props *cand,
			 void (*fn)(void *ctx, const char *sign, const struct prop *p), void *ctx)
{
	size_t n = 0;

	for (size_t i = 0; i < cand->n; i++) {
		const struct prop *c = &cand->v[i], *o;

		if (props_get(cand, c->key) != c)
			continue;
		o = props_get(run, c->key);
		if (o && strcmp(o->value, c->value) == 0)
			continue;
		n++;
		if (fn && o)
			fn(ctx, "- ", o);
		if (fn)
			fn(ctx, "+ ", c);
	}
	for (size_t i = 0; i < run->n; i++) {
		const struct prop *o = &run->v[i];

		if (props_get(run, o->key) != o || props_get(cand, o->key))
			continue;
		n++;
		if (fn)
			fn(ctx, "- ", o);
	}
	return n;
}

struct diff_text {
	char *buf;
	size_t len, cap;
};

static void diff_line(void *ctx, const char *sign, const struct prop *p)
{
	struct diff_text *t = ctx;

	add_text(&t->buf, &t->len, &t->cap, sign, p->key, p->value);
}

static void h_compare(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
		      struct ctl_reply *r)
{
	struct diff_text t = { 0 };

	(void)m;
	props_diff(&rt->conf->raw, &s->candidate, diff_line, &t);
	r->text = t.buf ? t.buf : strdup("");
	if (!t.buf)
		snprintf(r->message, sizeof(r->message), "no changes");
}

/* 1 when CAND sets some key otherwise than RUN (what `show | compare` lists). */
static int candidate_changed(const struct props *run, const struct props *cand)
{
	return props_diff(run, cand, NULL, NULL) > 0;
}

/* 1 when S's candidate sets nothing otherwise than the revision it was
 * made from, which another session's commit has replaced meanwhile:
 * committing it would only undo that commit. 0 when it changes something
 * or the base revision cannot be read (then the commit goes on, with its
 * note that a revision was committed meanwhile). */
static int candidate_is_stale_copy(struct runtime *rt, const struct ctl_session *s)
{
	struct revision rv;
	struct props base;
	struct ferr err;
	int same = 0;

	if (s->base_revision == rt->revision ||
	    state_revision_get(rt->st, s->base_revision, &rv, &err) != 1)
		return 0;
	if (props_parse("base", rv.text, strlen(rv.text), &base, &err) == 0) {
		same = !candidate_changed(&base, &s->candidate);
		props_free(&base);
	}
	revision_free(&rv);
	return same;
}

static void h_commit(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
		     struct ctl_reply *r)
{
	const char *comment = m->nargs > 0 ? m->args[0] : "";
	char *text = props_render(&s->candidate);
	struct diags d = { 0 };
	struct conf *c = NULL;
	struct revision rv = { 0 };
	struct ferr err;
	char summary[1024], restart_keys[512] = "";
	int rev;
	size_t off;

	if (!text) {
		ctl_fail(r, "internal", "out of memory");
		return;
	}
	/* an unchanged candidate makes no revision: a success (scripts
	 * commit unconditionally), audited as this message */
	if (!candidate_changed(&rt->conf->raw, &s->candidate)) {
		snprintf(r->message, sizeof(r->message), "commit: no changes; revision %d stays",
			 rt->revision);
		s->dirty = 0;
		s->base_revision = rt->revision;
		free(text);
		return;
	}
	if (candidate_is_stale_copy(rt, s)) {
		snprintf(r->message, sizeof(r->message),
			 "commit: no changes to revision %d, which this candidate was made from; "
			 "revision %d, committed meanwhile, stays (the candidate now follows it)",
			 s->base_revision, rt->revision);
		copy_running(rt, s);
		free(text);
		return;
	}
	if (conf_parse("candidate", text, strlen(text), &c, &d)) {
		off = (size_t)
			snprintf(r->err, sizeof(r->err),
				 "commit refused: the candidate has %u error%s; nothing changed",
				 d.nerrors, d.nerrors == 1 ? "" : "s");
		for (size_t i = 0; i < d.n && off < sizeof(r->err); i++)
			if (d.v[i].is_error)
				off += (size_t)snprintf(r->err + off, sizeof(r->err) - off,
							"\n  %s", d.v[i].msg);
		r->err_code = "invalid";
		diags_free(&d);
		free(text);
		return;
	}
	/* keys that a running ferryd cannot change on the fly */
	for (unsigned i = 0; i < conf_keys_count; i++) {
		const struct conf_key *k = &conf_keys[i];
		const char *a, *b;

		if (!(k->flags & CK_RESTART))
			continue;
		a = conf_global(rt->conf, k->name);
		b = conf_global(c, k->name);
		if (a && b && strcmp(a, b) != 0) {
			strncat(restart_keys, " ", sizeof(restart_keys) - strlen(restart_keys) - 1);
			strncat(restart_keys, k->name,
				sizeof(restart_keys) - strlen(restart_keys) - 1);
		}
	}
	{
		struct revision cur;

		if (state_revision_get(rt->st, rt->revision, &cur, &err) == 1) {
			rv.source_file = cur.source_file;
			rv.source_sha256 = cur.source_sha256;
			cur.source_file = cur.source_sha256 = NULL;
			revision_free(&cur);
		}
	}
	rv.who = s->who;
	rv.comment = (char *)comment;
	rv.text = text;
	if (!rv.source_file)
		rv.source_file = strdup(rt->config_file);
	if (!rv.source_sha256)
		rv.source_sha256 = strdup("");
	if (state_revision_add(rt->st, &rv, &rev, &err)) {
		ctl_fail(r, "internal", "%s; nothing changed", err.msg);
		conf_unref(c);
		free(rv.source_file);
		free(rv.source_sha256);
		diags_free(&d);
		free(text);
		return;
	}
	free(rv.source_file);
	free(rv.source_sha256);
	free(text);
	off = 0;
	if (s->base_revision != rt->revision)
		off += (size_t)snprintf(r->message + off, sizeof(r->message) - off,
					"note: revision %d was committed meanwhile; the candidate "
					"replaced it\n",
					rt->revision);
	runtime_apply(rt, c, rev, summary, sizeof(summary));
	off += (size_t)snprintf(r->message + off, sizeof(r->message) - off, "%s", summary);
	for (size_t i = 0; i < d.n && off < sizeof(r->message); i++)
		off += (size_t)snprintf(r->message + off, sizeof(r->message) - off, "\nwarning: %s",
					d.v[i].msg);
	if (restart_keys[0] && off < sizeof(r->message))
		snprintf(r->message + off, sizeof(r->message) - off,
			 "\nnote: takes effect when ferryd restarts:%s", restart_keys);
	diags_free(&d);
	copy_running(rt, s);
}

static void h_rollback(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
		       struct ctl_reply *r)
{
	// NOLINTNEXTLINE(cert-err34-c): ARG_REVISION, 1..INT_MAX (cmdtab check_arg)
	int rev = atoi(m->args[0]);
	struct revision rv;
	struct props p;
	struct ferr err;
	int found = state_revision_get(rt->st, rev, &rv, &err);

	if (found < 0) {
		ctl_fail(r, "internal", "%s", err.msg);
		return;
	}
	if (found == 0) {
		ctl_fail(r, "not_found", "no revision %d (see show revisions)", rev);
		return;
	}
	if (props_parse("candidate", rv.text, strlen(rv.text), &p, &err)) {
		ctl_fail(r, "internal", "revision %d: %s", rev, err.msg);
		revision_free(&rv);
		return;
	}
	props_free(&s->candidate);
	s->candidate = p;
	s->dirty = 1;
	snprintf(r->message, sizeof(r->message),
		 "candidate loaded from revision %d; review it with "
		 "`show | compare`, apply it with `commit`",
		 rev);
	revision_free(&rv);
}

static void h_cfg_exit(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
		       struct ctl_reply *r)
{
	(void)rt;
	(void)m;
	if (s->dirty) {
		ctl_fail(r, "invalid",
			 "the candidate has uncommitted changes: `commit` them, or "
			 "`exit discard` to drop them");
		return;
	}
	ctl_session_reset(s);
}

static void h_cfg_discard(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
			  struct ctl_reply *r)
{
	(void)rt;
	(void)m;
	if (s->dirty)
		snprintf(r->message, sizeof(r->message), "uncommitted changes dropped");
	ctl_session_reset(s);
}

const ctl_handler ctl_handlers[CMD__COUNT] = {
	[CMD_FAILOVER] = ctl_failover,
	[CMD_RESET_OFFSETS] = ctl_reset_offsets,
	[CMD_FAILBACK] = ctl_failback,
	[CMD_SHOW_VERSION] = h_show_version,
	[CMD_SHOW_CLUSTERS] = h_show_clusters,
	[CMD_SHOW_FLOWS] = h_show_flows,
	[CMD_SHOW_TOPICS] = h_show_topics,
	[CMD_SHOW_LAG] = h_show_lag,
	[CMD_SHOW_OFFSETS] = h_show_offsets,
	[CMD_SHOW_GROUPS] = h_show_groups,
	[CMD_SHOW_METRICS] = h_show_metrics,
	[CMD_SHOW_AUDIT] = h_show_audit,
	[CMD_AUDIT_VERIFY] = ctl_audit_verify,
	[CMD_SHOW_CONFIG] = h_show_config,
	[CMD_SHOW_REVISIONS] = h_show_revisions,
	[CMD_SHOW_TRANSFERS] = h_show_transfers,
	[CMD_SHOW_SINK] = h_show_sink,
	[CMD_SHOW_PLACEMENT] = ctl_show_placement,
	[CMD_PLACEMENT_CHECK] = ctl_placement_check,
	[CMD_SHOW_OFFSET_SYNCS] = ctl_show_offset_syncs,
	[CMD_SHOW_CHECKPOINTS] = ctl_show_checkpoints,
	[CMD_SHOW_HEARTBEATS] = ctl_show_heartbeats,
	[CMD_TRANSLATE_OFFSET] = ctl_translate_offset,
	[CMD_TRANSLATE_GROUP] = ctl_translate_group,
	[CMD_PAUSE_FLOW] = h_pause,
	[CMD_RESUME_FLOW] = h_resume,
	[CMD_RESUME_PARTITION] = h_resume_partition,
	[CMD_CONFIGURE] = h_configure,
	[CMD_CFG_SET] = h_set,
	[CMD_CFG_DELETE] = h_delete,
	[CMD_CFG_SHOW] = h_cfg_show,
	[CMD_CFG_COMPARE] = h_compare,
	[CMD_CFG_COMMIT] = h_commit,
	[CMD_CFG_ROLLBACK] = h_rollback,
	[CMD_CFG_EXIT] = h_cfg_exit,
	[CMD_CFG_DISCARD] = h_cfg_discard,
};

int ctl_handlers_check(struct ferr *err)
{
	size_t n;
	const struct cmd_def *all = cmdtab_all(&n);

	for (size_t i = 0; i < n; i++)
		if ((unsigned)all[i].id >= CMD__COUNT)
			return ferr_set(err, "`%s`: its id is not in enum cmd_id (lib/cmdtab.h)",
					all[i].syntax);
	for (unsigned id = 0; id < CMD__COUNT; id++) {
		const struct cmd_def *d = NULL;
		size_t rows = 0;

		for (size_t i = 0; i < n; i++)
			if ((unsigned)all[i].id == id) {
				d = &all[i];
				rows++;
			}
		if (rows != 1)
			return ferr_set(err, "command id %u has %zu rows in lib/cmdtab.c, not 1",
					id, rows);
		if ((d->flags & CMDF_LOCAL) && ctl_handlers[id])
			return ferr_set(err,
					"`%s` is the shell's own (CMDF_LOCAL) but has a handler "
					"in ctl_handlers[] (appliance/control/ctl_cmds.c)",
					d->syntax);
		if (!(d->flags & CMDF_LOCAL) && !ctl_handlers[id])
			return ferr_set(err,
					"`%s` has no handler in ctl_handlers[] "
					"(appliance/control/ctl_cmds.c)",
					d->syntax);
	}
	return 0;
}

static void group_name(void *arg, const char *alias, const rd_kafka_ConsumerGroupListing_t *g)
{
	json_t *a = arg;
	const char *id = rd_kafka_ConsumerGroupListing_group_id(g);
	size_t i;
	json_t *v;

	(void)alias;
	json_array_foreach(a, i, v) if (strcmp(json_string_value(v), id) ==
					0) return; /* the same group on two clusters: once */
	json_array_append_new(a, json_string(id));
}

/* Adds NAME once (completion lists are short: a linear look is enough). */
static void add_name(json_t *a, const char *prefix, const char *name)
{
	char buf[512];
	size_t i;
	json_t *v;

	snprintf(buf, sizeof(buf), "%s%s", prefix, name);
	json_array_foreach(a, i, v) if (strcmp(json_string_value(v), buf) == 0) return;
	json_array_append_new(a, json_string(buf));
}

/* Client settings after PREFIX ("A.", "A->B.consumer." ...), from
 * clientconf's table: those of role ROLE, or (ROLE 0) the common ones. */
static void add_client_keys(json_t *a, const char *prefix, unsigned role)
{
	unsigned kr;
	int common;
	const char *k;

	for (size_t i = 0; (k = clientconf_key_at(i, &kr, &common)) != NULL; i++)
		if (role ? (kr & role) != 0 : common)
			add_name(a, prefix, k);
}

/* The role prefixes after PREFIX ("consumer." ...), or the role's keys
 * when INNER already names one. Returns 1 when INNER named a role. */
static int add_role_keys(json_t *a, const char *prefix, const char *inner)
{
	static const enum client_role roles[] = { ROLE_CONSUMER, ROLE_PRODUCER, ROLE_ADMIN };
	const char *dot = strchr(inner, '.');
	enum client_role role;
	char p[512];

	if (dot && client_role_parse(inner, (size_t)(dot - inner), &role) == 0) {
		snprintf(p, sizeof(p), "%s%.*s", prefix, (int)(dot - inner + 1), inner);
		add_client_keys(a, p, role);
		return 1;
	}
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		snprintf(p, sizeof(p), "%s.", client_role_name(roles[i]));
		add_name(a, prefix, p);
	}
	return 0;
}

/* Every key valid where PARTIAL stands, from the key tables (conf_keys.c,
 * clientconf.c), plus those P sets: after "A->B." the per-flow keys, after
 * "A." a cluster's client settings, after "[A.|A->B.]consumer." that
 * role's, at the start the top-level ones and the cluster and flow
 * prefixes. The shell keeps those starting with PARTIAL. */
static void key_names(json_t *a, const struct conf *c, const struct props *p, const char *partial)
{
	const char *arrow = strstr(partial, "->"), *dot = strchr(partial, '.');
	char prefix[300];

	for (size_t i = 0; i < p->n; i++)
		if (props_get(p, p->v[i].key) == &p->v[i])
			add_name(a, "", p->v[i].key);
	if (arrow && dot && dot > arrow) {
		/* A->B.<flow key> */
		snprintf(prefix, sizeof(prefix), "%.*s", (int)(dot - partial + 1), partial);
		if (add_role_keys(a, prefix, dot + 1))
			return;
		for (unsigned i = 0; i < conf_keys_count; i++)
			if ((conf_keys[i].flags & CK_FLOW) &&
			    !(conf_keys[i].flags & (CK_WORKER | CK_PREFIX | CK_DEPRECATED)))
				add_name(a, prefix, conf_keys[i].name);
		return;
	}
	if (!arrow && dot) {
		for (size_t i = 0; i < c->nclusters; i++) {
			const char *alias = c->clusters[i].alias;

			if (strlen(alias) != (size_t)(dot - partial) ||
			    strncmp(alias, partial, strlen(alias)) != 0)
				continue;
			/* A.<client setting> */
			snprintf(prefix, sizeof(prefix), "%s.", alias);
			if (!add_role_keys(a, prefix, dot + 1))
				add_client_keys(a, prefix, 0);
			return;
		}
		/* consumer.<key> at the top level */
		if (add_role_keys(a, "", partial))
			return;
	}
	/* the top level: ferry's and MM2's keys, common client settings, and
	 * where the per-cluster and per-flow ones start */
	for (unsigned i = 0; i < conf_keys_count; i++)
		if ((conf_keys[i].flags & CK_GLOBAL) &&
		    !(conf_keys[i].flags & (CK_WORKER | CK_PREFIX | CK_DEPRECATED)))
			add_name(a, "", conf_keys[i].name);
	add_client_keys(a, "", 0);
	add_role_keys(a, "", "");
	for (size_t i = 0; i < c->nclusters; i++) {
		snprintf(prefix, sizeof(prefix), "%s.", c->clusters[i].alias);
		add_name(a, "", prefix);
		for (size_t j = 0; j < c->nclusters; j++) {
			if (i == j)
				continue;
			snprintf(prefix, sizeof(prefix), "%s->%s.", c->clusters[i].alias,
				 c->clusters[j].alias);
			add_name(a, "", prefix);
		}
	}
}

json_t *ctl_names(struct runtime *rt, struct ctl_session *s, const char *kind, json_t *words,
		  const char *partial, struct ctl_reply *r)
{
	json_t *a = json_array();

	if (strcmp(kind, "flow") == 0) {
		for (size_t i = 0; i < rt->nflows; i++)
			json_array_append_new(a, json_string(rt->flows[i].name));
	} else if (strcmp(kind, "cluster") == 0) {
		for (size_t i = 0; i < rt->conf->nclusters; i++)
			json_array_append_new(a, json_string(rt->conf->clusters[i].alias));
	} else if (strcmp(kind, "topic") == 0) {
		for (size_t i = 0; i < rt->nflows; i++) {
			struct part_stat *v = NULL;
			size_t n;

			if (!rt->flows[i].flow)
				continue;
			n = flow_partitions(rt->flows[i].flow, &v);
			for (size_t j = 0; j < n; j++)
				if (v[j].partition == 0)
					json_array_append_new(a, json_string(v[j].topic));
			free(v);
		}
	} else if (strcmp(kind, "group") == 0) {
		/* the groups of the cluster the line names (reset-offsets A
		 * --group), else of every cluster; a round trip each, so short */
		const char *only = NULL;
		struct groups_job *j;
		size_t i;
		json_t *w;

		json_array_foreach(words, i,
				   w) for (size_t k = 0; k < rt->conf->nclusters && !only;
					   k++) if (json_is_string(w) &&
						    strcmp(json_string_value(w),
							   rt->conf->clusters[k].alias) == 0)
			only = rt->conf->clusters[k].alias;
		json_decref(a);
		/* off the loop: the names come through R's wait */
		if (!(j = groups_job_new(rt, only, 1, 3000)))
			ctl_fail(r, "internal", "out of memory");
		else
			ctl_offload(r, &groups_ops, j);
		return NULL;
	} else if (strcmp(kind, "key") == 0) {
		const struct props *p = s->mode == MODE_CONFIG ? &s->candidate : &rt->conf->raw;
		const char *w0 = json_string_value(json_array_get(words, 0));

		/* `delete KEY`: only what is set can go */
		if (w0 && *w0 && strncmp("delete", w0, strlen(w0)) == 0) {
			for (size_t i = 0; i < p->n; i++)
				if (props_get(p, p->v[i].key) == &p->v[i])
					add_name(a, "", p->v[i].key);
		} else {
			key_names(a, rt->conf, p, partial ? partial : "");
		}
	} else {
		json_decref(a);
		return NULL;
	}
	return a;
}
