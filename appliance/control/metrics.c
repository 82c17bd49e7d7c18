/*
 * metrics.c — the registry, collection from the running flows, the
 * Prometheus text format and its HTTP endpoint.
 */
#include "appliance/control/metrics.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "appliance/conf/conf.h"
#include "appliance/log.h"
#include "appliance/kafka/reach.h"
#include "appliance/sink/sink.h"
#include "lib/clock.h"

/*
 * Where each metric's row is: metrics_collect() names a metric by its
 * index. The rows below are designated ([M_X] = ...), so their order is
 * free, and M_COUNT_ checks that every index has one: a row left out at
 * the end makes the array shorter (the _Static_assert below), one left out
 * in between is an empty row (regress/unit/test_metrics.c).
 */
enum metric_id {
	M_STATE,
	M_RECORDS,
	M_BYTES,
	M_BYTE_RATE,
	M_RL,
	M_RL_MIN,
	M_RL_MAX,
	M_RL_AVG,
	M_AGE,
	M_AGE_MIN,
	M_AGE_MAX,
	M_AGE_AVG,
	M_CKPT_LAT,
	M_CKPT_COUNT,
	M_CANARY,
	M_END,
	M_POS,
	M_LAG,
	M_STOPPED,
	M_NEVER,
	M_STORE_ERRORS,
	M_INFLIGHT,
	M_INFLIGHT_MAX,
	M_CLUSTER_REACHABLE,
	M_CLUSTER_UNREACHABLE_SECS,
	M_TC_SYNCS,
	M_TC_SYNC_ERRORS,
	M_ACL_CREATED,
	M_ACL_REMOVED,
	M_ACL_FAILURES,
	M_PLACEMENT_BLOCKED,
	M_SINK_PENDING,
	M_SINK_LAG,
	M_SINK_DELIVERED,
	M_SINK_ERRORS,
	M_COUNT_
};

const struct metric_def metric_defs[] = {
	[M_SINK_PENDING] = { "sink-pending-events", "ferry_sink_pending_events", "gauge",
			     "Events of the history sink waiting in the state store for PostgreSQL "
			     "(ferry.sink.conninfo)" },
	[M_SINK_LAG] = { "sink-lag-seconds", "ferry_sink_lag_seconds", "gauge",
			 "Age in seconds of the oldest event waiting for the history sink; 0 when "
			 "none waits" },
	[M_SINK_DELIVERED] = { "sink-delivered-events", "ferry_sink_delivered_events_total",
			       "counter",
			       "Events the history sink delivered to PostgreSQL since ferryd "
			       "started" },
	[M_SINK_ERRORS] = { "sink-errors", "ferry_sink_errors_total", "counter",
			    "Failed connections and batches of the history sink since ferryd "
			    "started (the events wait and are sent again)" },
	[M_STATE] = { "flow-state", "ferry_flow_state", "gauge",
		      "1 for the state the flow is in (label state), 0 for the others" },
	[M_RECORDS] = { "record-count", "ferry_record_count_total", "counter",
			"Records mirrored and acknowledged by the target since ferryd started" },
	[M_BYTES] = { "byte-count", "ferry_byte_count_total", "counter",
		      "Bytes (key + value) mirrored and acknowledged since ferryd started" },
	[M_BYTE_RATE] = { "byte-rate", "ferry_byte_rate", "gauge",
			  "Bytes per second mirrored over the last 10 seconds" },
	[M_RL] = { "replication-latency-ms", "ferry_replication_latency_ms", "gauge",
		   "Average ms from a record's timestamp to the target's acknowledgement, last "
		   "10-20 s" },
	[M_RL_MIN] = { "replication-latency-ms-min", "ferry_replication_latency_ms_min", "gauge",
		       "Minimum replication latency in ms, last 10-20 s" },
	[M_RL_MAX] = { "replication-latency-ms-max", "ferry_replication_latency_ms_max", "gauge",
		       "Maximum replication latency in ms, last 10-20 s" },
	[M_RL_AVG] = { "replication-latency-ms-avg", "ferry_replication_latency_ms_avg", "gauge",
		       "Average replication latency in ms, last 10-20 s" },
	[M_AGE] = { "record-age-ms", "ferry_record_age_ms", "gauge",
		    "Average age in ms of records when consumed from the source, last 10-20 s" },
	[M_AGE_MIN] = { "record-age-ms-min", "ferry_record_age_ms_min", "gauge",
			"Minimum record age in ms, last 10-20 s" },
	[M_AGE_MAX] = { "record-age-ms-max", "ferry_record_age_ms_max", "gauge",
			"Maximum record age in ms, last 10-20 s" },
	[M_AGE_AVG] = { "record-age-ms-avg", "ferry_record_age_ms_avg", "gauge",
			"Average record age in ms, last 10-20 s" },
	[M_CKPT_LAT] = { "checkpoint-latency-ms", "ferry_checkpoint_latency_ms", "gauge",
			 "ms the last checkpoint round took, from reading the groups to the "
			 "target's acknowledgement" },
	[M_CKPT_COUNT] = { "checkpoint-count", "ferry_checkpoint_count_total", "counter",
			   "Checkpoint records written and acknowledged since ferryd started" },
	[M_CANARY] = { "canary-latency-ms", "ferry_canary_latency_ms", "gauge",
		       "End-to-end latency in ms of the flow's last canary record "
		       "(ferry.canary.enabled)" },
	[M_END] = { "partition-end-offset", "ferry_partition_end_offset", "gauge",
		    "Source high watermark of a mirrored partition, as last fetched (queried "
		    "every 5 s while the flow is paused)" },
	[M_POS] = { "partition-position", "ferry_partition_position", "gauge",
		    "First source offset not yet acknowledged by the target" },
	[M_LAG] = { "partition-lag", "ferry_partition_lag", "gauge",
		    "Records of the partition not yet mirrored: end offset minus position (also "
		    "while the flow is paused)" },
	[M_STOPPED] = { "partition-stopped", "ferry_partition_stopped", "gauge",
			"1 when the partition stopped (source log changed under ferry, unreadable "
			"record) until an operator resumes it" },
	[M_NEVER] = { "partition-offsets-never-mirrored",
		      "ferry_partition_offsets_never_mirrored_total", "counter",
		      "Source offsets deleted at the source (retention, DeleteRecords) before "
		      "ferry mirrored them, as recorded in the state store" },
	[M_STORE_ERRORS] = { "state-store-errors", "ferry_state_store_errors_total", "counter",
			     "Failed attempts to save the flow's positions and offset syncs (the "
			     "flow stalls) since ferryd started" },
	[M_INFLIGHT] = { "inflight-bytes", "ferry_inflight_bytes", "gauge",
			 "Key + value bytes of records handed to the target producer, not yet "
			 "acknowledged" },
	[M_INFLIGHT_MAX] = { "inflight-bytes-max", "ferry_inflight_bytes_max", "gauge",
			     "Highest ferry_inflight_bytes of the flow since it started" },
	[M_CLUSTER_REACHABLE] = { "cluster-reachable", "ferry_cluster_reachable", "gauge",
				  "1 when the running flows' clients reach the cluster, 0 when it "
				  "does not answer them; absent while no running flow uses it" },
	[M_CLUSTER_UNREACHABLE_SECS] = { "cluster-unreachable-seconds",
					 "ferry_cluster_unreachable_seconds_total", "counter",
					 "Seconds the cluster was unreachable since ferryd "
					 "started" },
	[M_TC_SYNCS] = { "topic-config-sync-count", "ferry_topic_config_syncs_total", "counter",
			 "Remote topics whose configs topic config sync altered since ferryd started" },
	[M_TC_SYNC_ERRORS] = { "topic-config-sync-errors", "ferry_topic_config_sync_errors_total",
			       "counter",
			       "Topic config syncs of a remote topic that failed (describe or alter "
			       "refused) since ferryd started" },
	[M_ACL_CREATED] = { "acl-bindings-created", "ferry_acl_bindings_created_total", "counter",
			    "ACL bindings ACL sync created on the target since ferryd started" },
	[M_ACL_REMOVED] = { "acl-bindings-removed", "ferry_acl_bindings_removed_total", "counter",
			    "ACL bindings ferry had created that ACL sync removed from the target "
			    "(gone at the source) since ferryd started" },
	[M_ACL_FAILURES] = { "acl-sync-failures", "ferry_acl_sync_failures_total", "counter",
			     "ACL sync rounds that failed (a cluster did not answer, a binding was "
			     "refused) since ferryd started" },
	[M_PLACEMENT_BLOCKED] = { "placement-blocked-topics", "ferry_placement_blocked_topics",
				  "gauge",
				  "Source topics the flow does not copy to its target because a "
				  "placement rule (ferry.placement.*) requires labels the target "
				  "lacks" },
};
_Static_assert(sizeof(metric_defs) / sizeof(metric_defs[0]) == M_COUNT_,
	       "metric_defs[] needs one row per enum metric_id");

const unsigned metric_defs_count = sizeof(metric_defs) / sizeof(metric_defs[0]);

long long metrics_lag(const struct part_stat *p)
{
	if (p->end_offset < 0 || p->position < 0)
		return -1;
	return p->end_offset > p->position ? p->end_offset - p->position : 0;
}

/* byte-rate: one ring of (time, bytes) samples per flow name */
#define RATE_SLOTS 11
struct rate {
	char flow[256];
	int64_t ms[RATE_SLOTS];
	uint64_t bytes[RATE_SLOTS];
	int next, filled;
};
static struct rate *rates;
static size_t nrates;

static struct rate *rate_of(const char *flow)
{
	struct rate *nr;

	for (size_t i = 0; i < nrates; i++)
		if (strcmp(rates[i].flow, flow) == 0)
			return &rates[i];
	nr = realloc(rates, (nrates + 1) * sizeof(*nr));
	if (!nr)
		return NULL;
	rates = nr;
	memset(&rates[nrates], 0, sizeof(rates[0]));
	snprintf(rates[nrates].flow, sizeof(rates[0].flow), "%s", flow);
	return &rates[nrates++];
}

void metrics_tick(struct runtime *rt)
{
	int64_t now = state_now_ms();

	for (size_t i = 0; i < rt->nflows; i++) {
		struct rt_flow *f = &rt->flows[i];
		struct rate *r = rate_of(f->name);

		if (!r)
			continue;
		r->ms[r->next] = now;
		struct flow_counters c;

		runtime_flow_counters(f, &c);
		r->bytes[r->next] = c.bytes;
		r->next = (r->next + 1) % RATE_SLOTS;
		if (r->filled < RATE_SLOTS)
			r->filled++;
	}
}

static double byte_rate(const char *flow)
{
	struct rate *r = NULL;
	int newest, oldest;

	for (size_t i = 0; i < nrates; i++)
		if (strcmp(rates[i].flow, flow) == 0)
			r = &rates[i];
	if (!r || r->filled < 2)
		return 0;
	newest = (r->next + RATE_SLOTS - 1) % RATE_SLOTS;
	oldest = r->filled < RATE_SLOTS ? 0 : r->next;
	if (r->ms[newest] <= r->ms[oldest] || r->bytes[newest] < r->bytes[oldest])
		return 0;
	return (double)(r->bytes[newest] - r->bytes[oldest]) * 1000.0 /
	       (double)(r->ms[newest] - r->ms[oldest]);
}

/* Label values escaped as the text format wants (\\, \", \n). */
static void esc(char *out, size_t sz, const char *v)
{
	size_t o = 0;

	for (; *v && o + 3 < sz; v++) {
		if (*v == '\\' || *v == '"') {
			out[o++] = '\\';
			out[o++] = *v;
		} else if (*v == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			out[o++] = *v;
		}
	}
	out[o] = '\0';
}

/* Per cluster of the running configuration, from the flows' watchers. */
static void collect_clusters(struct runtime *rt, metric_fn fn, void *ctx)
{
	for (size_t i = 0; i < rt->conf->nclusters; i++) {
		char alias[600], labels[700];
		int64_t unreachable_ms;
		enum reach_state st = reach_cluster(rt->conf->clusters[i].alias, NULL, 0, NULL,
						    &unreachable_ms);

		esc(alias, sizeof(alias), rt->conf->clusters[i].alias);
		snprintf(labels, sizeof(labels), "cluster=\"%s\"", alias);
		if (st != REACH_UNKNOWN)
			fn(ctx, &metric_defs[M_CLUSTER_REACHABLE], labels, st == REACH_REACHABLE);
		fn(ctx, &metric_defs[M_CLUSTER_UNREACHABLE_SECS], labels,
		   // NOLINTNEXTLINE(bugprone-integer-division): whole seconds
		   (double)(unreachable_ms / 1000));
	}
}

/* The per-partition series of F (a paused flow's too: its lag matters
 * most then). Whether a paused flow's partition stopped is known only
 * once it runs again: no ferry_partition_stopped for it. */
static void partition_samples(struct runtime *rt, const struct rt_flow *f, const char *base,
			      metric_fn fn, void *ctx)
{
	struct part_stat *v = NULL;
	size_t n = runtime_flow_partitions(rt, f, &v);
	char labels[2400];

	for (size_t j = 0; j < n; j++) {
		char topic[600];

		esc(topic, sizeof(topic), v[j].topic);
		snprintf(labels, sizeof(labels), "%s,topic=\"%s\",partition=\"%d\"", base, topic,
			 (int)v[j].partition);
		if (v[j].end_offset >= 0)
			fn(ctx, &metric_defs[M_END], labels, (double)v[j].end_offset);
		if (v[j].position >= 0)
			fn(ctx, &metric_defs[M_POS], labels, (double)v[j].position);
		if (metrics_lag(&v[j]) >= 0)
			fn(ctx, &metric_defs[M_LAG], labels, (double)metrics_lag(&v[j]));
		if (f->flow)
			fn(ctx, &metric_defs[M_STOPPED], labels, v[j].stopped ? 1 : 0);
		fn(ctx, &metric_defs[M_NEVER], labels, (double)v[j].never_mirrored);
	}
	free(v);
}

/* the history sink's, while one is configured */
static void collect_sink(struct runtime *rt, metric_fn fn, void *ctx)
{
	struct sink_status st;
	char labels[600], app[520];
	int64_t now = clock_wall_ms();

	sink_status(rt->sink, &st);
	if (strcmp(st.state, "off") == 0)
		return;
	esc(app, sizeof(app), rt->appliance);
	snprintf(labels, sizeof(labels), "appliance=\"%s\"", app);
	fn(ctx, &metric_defs[M_SINK_PENDING], labels, st.pending > 0 ? (double)st.pending : 0);
	fn(ctx, &metric_defs[M_SINK_LAG], labels,
	   st.oldest_ms > 0 && now > st.oldest_ms ? (double)(now - st.oldest_ms) / 1000.0 : 0);
	fn(ctx, &metric_defs[M_SINK_DELIVERED], labels, (double)st.delivered);
	fn(ctx, &metric_defs[M_SINK_ERRORS], labels, (double)st.errors);
}

void metrics_collect(struct runtime *rt, metric_fn fn, void *ctx)
{
	static const char *const states[] = { "starting", "running", "degraded", "stalled",
					      "paused",   "failed",  "stopped" };

	collect_clusters(rt, fn, ctx);
	collect_sink(rt, fn, ctx);

	for (size_t i = 0; i < rt->nflows; i++) {
		struct rt_flow *f = &rt->flows[i];
		char flow[600], base[1400], labels[2400];
		const char *state = runtime_flow_state(f, NULL);

		esc(flow, sizeof(flow), f->name);
		snprintf(base, sizeof(base), "flow=\"%s\",source=\"%s\",target=\"%s\"", flow,
			 f->cf->source, f->cf->target);
		for (size_t s = 0; s < sizeof(states) / sizeof(states[0]); s++) {
			snprintf(labels, sizeof(labels), "%s,state=\"%s\"", base, states[s]);
			fn(ctx, &metric_defs[M_STATE], labels, strcmp(state, states[s]) == 0);
		}
		/* counters: every run of the flow since ferryd started, so that
		 * a pause or a restarting commit never takes them back */
		struct flow_counters c;

		runtime_flow_counters(f, &c);
		fn(ctx, &metric_defs[M_RECORDS], base, (double)c.records);
		fn(ctx, &metric_defs[M_BYTES], base, (double)c.bytes);
		fn(ctx, &metric_defs[M_BYTE_RATE], base, f->flow ? byte_rate(f->name) : 0);
		fn(ctx, &metric_defs[M_STORE_ERRORS], base, (double)c.store_errors);
		if (f->cf->emit_checkpoints)
			fn(ctx, &metric_defs[M_CKPT_COUNT], base, (double)c.checkpoints);
		if (f->cf->sync_topic_configs) {
			fn(ctx, &metric_defs[M_TC_SYNCS], base, (double)c.topic_config_syncs);
			fn(ctx, &metric_defs[M_TC_SYNC_ERRORS], base,
			   (double)c.topic_config_sync_errors);
		}
		if (f->cf->sync_acls && !f->cf->failback_of[0]) {
			fn(ctx, &metric_defs[M_ACL_CREATED], base, (double)c.acl_created);
			fn(ctx, &metric_defs[M_ACL_REMOVED], base, (double)c.acl_removed);
			fn(ctx, &metric_defs[M_ACL_FAILURES], base, (double)c.acl_failures);
		}
		if (!f->flow) {
			partition_samples(rt, f, base, fn, ctx);
			continue;
		}
		fn(ctx, &metric_defs[M_INFLIGHT], base,
		   (double)atomic_load(&f->flow->inflight_bytes));
		fn(ctx, &metric_defs[M_INFLIGHT_MAX], base,
		   (double)atomic_load(&f->flow->inflight_bytes_peak));
		fn(ctx, &metric_defs[M_PLACEMENT_BLOCKED], base,
		   (double)atomic_load(&f->flow->topics_blocked));

		struct lat_window rl, age;

		flow_latency(f->flow, &rl, &age);
		if (rl.count) {
			fn(ctx, &metric_defs[M_RL], base, (double)rl.sum / (double)rl.count);
			fn(ctx, &metric_defs[M_RL_MIN], base, (double)rl.min);
			fn(ctx, &metric_defs[M_RL_MAX], base, (double)rl.max);
			fn(ctx, &metric_defs[M_RL_AVG], base, (double)rl.sum / (double)rl.count);
		}
		if (age.count) {
			fn(ctx, &metric_defs[M_AGE], base, (double)age.sum / (double)age.count);
			fn(ctx, &metric_defs[M_AGE_MIN], base, (double)age.min);
			fn(ctx, &metric_defs[M_AGE_MAX], base, (double)age.max);
			fn(ctx, &metric_defs[M_AGE_AVG], base, (double)age.sum / (double)age.count);
		}

		if (f->cf->emit_checkpoints && atomic_load(&f->flow->checkpoints_written))
			fn(ctx, &metric_defs[M_CKPT_LAT], base,
			   (double)atomic_load(&f->flow->checkpoint_latency_ms));
		if (f->cf->canary_enabled && atomic_load(&f->flow->canary_seen_ms))
			fn(ctx, &metric_defs[M_CANARY], base,
			   (double)atomic_load(&f->flow->canary_latency_ms));

		partition_samples(rt, f, base, fn, ctx);
	}
}

struct prom {
	char *buf;
	size_t len, cap;
	int oom;
};

static void __attribute__((format(printf, 2, 3))) prom_put(struct prom *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(p->buf ? p->buf + p->len : NULL, p->buf ? p->cap - p->len : 0, fmt,
			      ap);
		va_end(ap);
		if (n < 0)
			return;
		if (p->buf && p->len + (size_t)n < p->cap) {
			p->len += (size_t)n;
			return;
		}
		size_t ncap = (p->cap + (size_t)n + 1) * 2;
		char *nb = realloc(p->buf, ncap);

		if (!nb) {
			p->oom = 1;
			return;
		}
		p->buf = nb;
		p->cap = ncap;
	}
}

/* Samples arrive grouped by flow, not by metric: collect them per metric. */
struct sample {
	unsigned def;
	char *labels;
	double value;
};
struct samples {
	struct sample *v;
	size_t n, cap;
};

static void add_sample(void *ctx, const struct metric_def *d, const char *labels, double value)
{
	struct samples *s = ctx;

	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 64;
		struct sample *nv = realloc(s->v, ncap * sizeof(*nv));

		if (!nv)
			return;
		s->v = nv;
		s->cap = ncap;
	}
	s->v[s->n].def = (unsigned)(d - metric_defs);
	s->v[s->n].labels = strdup(labels);
	s->v[s->n].value = value;
	if (s->v[s->n].labels)
		s->n++;
}

char *metrics_prometheus(struct runtime *rt)
{
	struct samples s = { 0 };
	struct prom p = { 0 };

	metrics_collect(rt, add_sample, &s);
	for (unsigned d = 0; d < metric_defs_count; d++) {
		prom_put(&p, "# HELP %s %s\n# TYPE %s %s\n", metric_defs[d].prom,
			 metric_defs[d].help, metric_defs[d].prom, metric_defs[d].type);
		for (size_t i = 0; i < s.n; i++)
			if (s.v[i].def == d)
				prom_put(&p, "%s{%s} %.17g\n", metric_defs[d].prom, s.v[i].labels,
					 s.v[i].value);
	}
	for (size_t i = 0; i < s.n; i++)
		free(s.v[i].labels);
	free(s.v);
	if (p.oom) {
		free(p.buf);
		return NULL;
	}
	return p.buf ? p.buf : strdup("");
}

/* ---- HTTP ---- */

struct metrics_http {
	struct MHD_Daemon *d;
	struct runtime *rt;
	sd_event_source *io, *timer;
};

static enum MHD_Result answer(
	void *cls, struct MHD_Connection *conn, const char *url, const char *method,
	const char *version, const char *upload_data,
	// NOLINTNEXTLINE(readability-non-const-parameter): libmicrohttpd's callback type
	size_t *upload_size, void **con_cls)
{
	struct metrics_http *h = cls;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	unsigned status = MHD_HTTP_OK;
	char *body;

	(void)version;
	(void)upload_data;
	(void)upload_size;
	(void)con_cls;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		body = strdup("only GET /metrics is served\n");
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
	} else if (strcmp(url, "/metrics") != 0) {
		body = strdup("not found: metrics are at /metrics\n");
		status = MHD_HTTP_NOT_FOUND;
	} else {
		body = metrics_prometheus(h->rt);
		if (!body) {
			body = strdup("out of memory\n");
			status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		}
	}
	if (!body)
		return MHD_NO;
	/* the body passes to libmicrohttpd, which frees it */
	resp = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(resp, "Content-Type",
				status == MHD_HTTP_OK ? "text/plain; version=0.0.4; charset=utf-8"
						      : "text/plain; charset=utf-8");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static int on_mhd_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct metrics_http *h = userdata;

	(void)s;
	(void)fd;
	(void)revents;
	MHD_run(h->d);
	return 0;
}

static int on_mhd_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct metrics_http *h = userdata;

	MHD_run(h->d);
	return sd_event_source_set_time(s, usec + 1000000);
}

int metrics_http_start(sd_event *ev, struct runtime *rt, const char *listen,
		       struct metrics_http **out, struct ferr *err)
{
	struct metrics_http *h;
	char host[256];
	int port;
	struct addrinfo hints = { .ai_flags = AI_NUMERICSERV | AI_PASSIVE,
				  .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai = NULL;
	char portstr[16];
	const union MHD_DaemonInfo *info;
	uint64_t now;

	*out = NULL;
	if (!listen || !*listen || strcmp(listen, "off") == 0)
		return 0;
	if (conf_parse_hostport(listen, host, sizeof(host), &port))
		return ferr_set(err, "ferry.metrics.listen: expected host:port, got \"%s\"",
				listen);
	snprintf(portstr, sizeof(portstr), "%d", port);
	if (getaddrinfo(host, portstr, &hints, &ai) != 0 || !ai)
		return ferr_set(err, "ferry.metrics.listen: cannot resolve %s", host);
	h = calloc(1, sizeof(*h));
	if (!h) {
		freeaddrinfo(ai);
		return ferr_set(err, "out of memory");
	}
	h->rt = rt;
	h->d = MHD_start_daemon(MHD_USE_EPOLL | (ai->ai_family == AF_INET6 ? MHD_USE_IPv6 : 0),
				(uint16_t)port, NULL, NULL, answer, h, MHD_OPTION_SOCK_ADDR,
				ai->ai_addr, MHD_OPTION_CONNECTION_LIMIT, (unsigned)32,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
	freeaddrinfo(ai);
	if (!h->d) {
		free(h);
		return ferr_set(err, "ferry.metrics.listen: cannot serve on %s (address in use?)",
				listen);
	}
	info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info || sd_event_add_io(ev, &h->io, info->epoll_fd, EPOLLIN, on_mhd_io, h) < 0) {
		MHD_stop_daemon(h->d);
		free(h);
		return ferr_set(err, "cannot add the metrics server to the event loop");
	}
	sd_event_now(ev, CLOCK_MONOTONIC, &now);
	sd_event_add_time(ev, &h->timer, CLOCK_MONOTONIC, now + 1000000, 0, on_mhd_timer, h);
	sd_event_source_set_enabled(h->timer, SD_EVENT_ON);
	log_info("metrics served at http://%s/metrics", listen);
	*out = h;
	return 0;
}

void metrics_http_stop(struct metrics_http *h)
{
	if (!h)
		return;
	sd_event_source_unref(h->io);
	sd_event_source_unref(h->timer);
	MHD_stop_daemon(h->d);
	free(h);
}

void metrics_shutdown(void)
{
	free(rates);
	rates = NULL;
	nrates = 0;
}
