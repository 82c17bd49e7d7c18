/*
 * runtime.c — revisions at start, flow lifecycle, applying commits.
 */
#include "appliance/runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "appliance/store/audit.h"
#include "appliance/dr/heartbeat.h"
#include "appliance/data/lagwatch.h"
#include "appliance/sink/sink.h"
#include "appliance/log.h"

static void sha256_hex(const char *text, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	EVP_Digest(text, len, md, &mdlen, EVP_sha256(), NULL);
	for (unsigned i = 0; i < mdlen && i < 32; i++)
		// NOLINTNEXTLINE(bugprone-implicit-widening-of-multiplication-result): i < 64
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
}

static int add_revision(struct runtime *rt, const char *text, const char *who, const char *comment,
			const char *sha, int *rev, struct ferr *err)
{
	struct revision r = {
		.who = (char *)who,
		.comment = (char *)comment,
		.text = (char *)text,
		.source_file = rt->config_file,
		.source_sha256 = (char *)sha,
	};

	return state_revision_add(rt->st, &r, rev, err);
}

int runtime_init(struct runtime *rt, const char *config_file, const char *state_dir,
		 struct conf *file_conf, struct ferr *err)
{
	char *text = NULL, sha[65], comment[600];
	size_t len;
	struct revision latest;
	int found;

	memset(rt, 0, sizeof(*rt));
	rt->config_file = strdup(config_file);
	rt->state_dir = strdup(state_dir);
	rt->started_ms = state_now_ms();
	if (!rt->config_file || !rt->state_dir) {
		conf_unref(file_conf);
		return ferr_set(err, "out of memory");
	}
	if (state_open(state_dir, &rt->st, err))
		goto fail;
	if (props_read_file(config_file, &text, &len, err))
		goto fail;
	sha256_hex(text, len, sha);
	found = state_revision_get(rt->st, 0, &latest, err);
	if (found < 0)
		goto fail;
	if (found && strcmp(latest.source_file, config_file) == 0 &&
	    strcmp(latest.source_sha256, sha) == 0) {
		/* the file is as it was: the latest commit over it runs */
		struct diags d = { 0 };
		struct conf *c = NULL;
		char name[64];

		snprintf(name, sizeof(name), "revision %d", latest.rev);
		if (conf_parse(name, latest.text, strlen(latest.text), &c, &d) == 0) {
			conf_unref(file_conf);
			rt->conf = c;
			rt->revision = latest.rev;
			diags_free(&d);
			revision_free(&latest);
			free(text);
			log_info("running configuration revision %d (%s)", rt->revision,
				 rt->revision > 1 ? "committed over the file" : "the file");
			goto done;
		}
		for (size_t i = 0; i < d.n; i++)
			log_error("%s", d.v[i].msg);
		log_error("revision %d no longer loads; running %s instead", latest.rev,
			  config_file);
		diags_free(&d);
	}
	snprintf(comment, sizeof(comment),
		 found ? "loaded from %s (changed since revision %d)" : "loaded from %s",
		 config_file, found ? latest.rev : 0);
	if (found)
		revision_free(&latest);
	if (add_revision(rt, text, "ferryd", comment, sha, &rt->revision, err))
		goto fail;
	free(text);
	rt->conf = file_conf;
	log_info("running configuration revision %d (%s)", rt->revision, comment);
done : {
	const char *name = conf_global(rt->conf, "ferry.appliance.name");

	if (name && *name)
		snprintf(rt->appliance, sizeof(rt->appliance), "%s", name);
	else if (gethostname(rt->appliance, sizeof(rt->appliance)) != 0)
		snprintf(rt->appliance, sizeof(rt->appliance), "ferry");
	rt->appliance[sizeof(rt->appliance) - 1] = '\0';
}
	return 0;
fail:
	free(text);
	conf_unref(file_conf);
	return -1;
}

/* A flow leaves the runtime (removed, or replaced by a restart): its
 * counters wait for a flow of its name (push_flow). */
static struct rt_retired *retired_find(struct runtime *rt, const char *name)
{
	for (size_t i = 0; i < rt->nretired; i++)
		if (strcmp(rt->retired[i].name, name) == 0)
			return &rt->retired[i];
	return NULL;
}

static void retire(struct runtime *rt, const struct rt_flow *f)
{
	struct rt_retired *nv = retired_find(rt, f->name);

	if (nv) {
		nv->c = f->base;
		return;
	}
	nv = realloc(rt->retired, (rt->nretired + 1) * sizeof(*nv));
	if (!nv) {
		log_error("out of memory: the counters of flow %s start again from 0", f->name);
		return;
	}
	rt->retired = nv;
	snprintf(nv[rt->nretired].name, sizeof(nv[0].name), "%s", f->name);
	nv[rt->nretired++].c = f->base;
}

/* Appends a flow named after CF, holding a reference to C; NULL when out
 * of memory. */
static struct rt_flow *push_flow(struct runtime *rt, struct conf *c, const struct conf_flow *cf)
{
	struct rt_flow *nv = realloc(rt->flows, (rt->nflows + 1) * sizeof(*nv));
	struct rt_flow *f;

	if (!nv)
		return NULL;
	rt->flows = nv;
	f = &rt->flows[rt->nflows++];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", cf->name);
	f->conf = conf_ref(c);
	f->cf = cf;
	/* a flow that ran before under this name goes on counting from there */
	struct rt_retired *was = retired_find(rt, f->name);

	if (was) {
		f->base = was->c;
		*was = rt->retired[--rt->nretired];
	}
	return f;
}

static int add_flow(struct runtime *rt, struct conf *c, const struct conf_flow *cf)
{
	struct rt_flow *f = push_flow(rt, c, cf);
	struct ferr err;
	int paused = 0;

	if (!f)
		return -1;
	if (state_flow_paused(rt->st, cf->name, &paused, &err))
		log_error("%s", err.msg);
	f->paused = paused;
	return 0;
}

static int add_failback_flow(struct runtime *rt, struct conf_flow *cf)
{
	struct rt_flow *f = push_flow(rt, rt->conf, cf);

	if (!f)
		return -1;
	f->owned_cf = cf; /* the runtime owns it from here */
	return 0;
}

static void start_flow(struct runtime *rt, struct rt_flow *f)
{
	struct ferr err;

	f->start_error[0] = '\0';
	if (f->paused) {
		log_info("flow %s is paused (resume it with `resume flow %s`)", f->name, f->name);
		return;
	}
	if (flow_start(f->conf, f->cf, rt->state_dir, &f->flow, &err)) {
		f->flow = NULL;
		snprintf(f->start_error, sizeof(f->start_error), "%.*s",
			 (int)sizeof(f->start_error) - 1, err.msg);
		log_error("cannot start flow %s: %s", f->name, err.msg);
		audit_system("error", "start flow %s: %s", f->name, err.msg);
	}
}

static void stop_flow(struct rt_flow *f)
{
	if (!f->flow)
		return;
	flow_request_stop(f->flow);
	flow_join(f->flow, &f->base);
	f->flow = NULL;
}

/* Tells the lag watch which flows are paused now (after every change). */
static void watch_paused(struct runtime *rt)
{
	struct lagwatch_flow *v = rt->nflows ? calloc(rt->nflows, sizeof(*v)) : NULL;
	size_t n = 0;

	if (!rt->lw || (rt->nflows && !v)) {
		free(v);
		return;
	}
	for (size_t i = 0; i < rt->nflows; i++)
		if (rt->flows[i].paused)
			v[n++] = (struct lagwatch_flow){ rt->flows[i].name,
							 &rt->flows[i].cf->consumer,
							 rt->flows[i].cf->mirror_read_uncommitted };
	lagwatch_sync(rt->lw, v, n);
	free(v);
}

static void start_heartbeats(struct runtime *rt)
{
	struct ferr err;

	if (heartbeats_start(rt->conf, &rt->hb, &err))
		log_error("heartbeats: %s", err.msg);
}

struct fb_ctx {
	struct runtime *rt;
};

static void restore_failback(void *ctx, const char *flow)
{
	struct runtime *rt = ((struct fb_ctx *)ctx)->rt;
	struct conf_flow *cf;
	struct ferr err;

	if (conf_make_failback(rt->conf, flow, &cf, &err)) {
		log_error("failback of %s: %s", flow, err.msg);
		return;
	}
	if (add_failback_flow(rt, cf))
		conf_flow_destroy(cf);
}

void runtime_start(struct runtime *rt)
{
	struct fb_ctx x = { rt };
	struct ferr err;

	start_heartbeats(rt);
	if (sink_start(rt->state_dir, rt->appliance, &rt->sink, &err))
		log_error("%s; no history sink", err.msg);
	else
		sink_configure(rt->sink, conf_ref(rt->conf), rt->revision);
	if (lagwatch_start(rt->state_dir, &rt->lw, &err))
		log_error("%s; paused flows show no lag", err.msg);
	for (size_t i = 0; i < rt->conf->nflows; i++)
		if (add_flow(rt, rt->conf, &rt->conf->flows[i]))
			log_error("out of memory");
	if (state_failback_list(rt->st, restore_failback, &x, &err))
		log_error("%s", err.msg);
	for (size_t i = 0; i < rt->nflows; i++)
		start_flow(rt, &rt->flows[i]);
	watch_paused(rt);
}

struct seed_ctx {
	struct runtime *rt;
	const struct conf_flow *fb; /* the failback flow: its policy is A->B's */
	const char *orig;           /* "A->B" */
	int failed;
};

/* For every partition A->B mirrored: the failback starts on B right after
 * the last record that came from A. */
static void seed_one(void *ctx, const char *flow, const char *topic, int32_t partition,
		     int64_t next_offset, int64_t updated_ms)
{
	struct seed_ctx *x = ctx;
	char remote[512];
	int64_t next, last_down;
	struct ferr err;

	(void)flow;
	(void)next_offset;
	(void)updated_ms;
	/* the failback's target is A, the original source */
	if (policy_format_remote(&x->fb->policy, x->fb->target, topic, remote, sizeof(remote)) ||
	    state_position_full(x->rt->st, x->orig, topic, partition, &next, &last_down, &err) !=
		    1 ||
	    last_down < 0)
		return;
	if (state_position_seed(x->rt->st, x->fb->name, remote, partition, last_down + 1, &err))
		x->failed = 1;
}

int runtime_failback(struct runtime *rt, const char *flow, const char *who, struct ferr *err)
{
	struct conf_flow *cf;
	struct rt_flow *o;
	struct seed_ctx x;

	if (conf_make_failback(rt->conf, flow, &cf, err))
		return -1;
	if (runtime_flow(rt, cf->name)) {
		ferr_set(err, "%s runs already", cf->name);
		conf_flow_destroy(cf);
		return -1;
	}
	/* mirroring the old primary to the standby while the standby's data
	 * goes back would loop: the original flow stops first */
	o = runtime_flow(rt, flow);
	if (o && !o->paused && runtime_pause(rt, flow, who, err)) {
		conf_flow_destroy(cf);
		return -1;
	}
	x = (struct seed_ctx){ rt, cf, flow, 0 };
	if (state_positions_list(rt->st, flow, seed_one, &x, err) || x.failed) {
		conf_flow_destroy(cf);
		return x.failed ? ferr_set(err, "cannot seed the failback positions") : -1;
	}
	if (state_failback_add(rt->st, flow, who, err) || add_failback_flow(rt, cf)) {
		conf_flow_destroy(cf);
		return -1;
	}
	start_flow(rt, &rt->flows[rt->nflows - 1]);
	watch_paused(rt);
	log_info("failback of %s started by %s as flow %s", flow, who,
		 rt->flows[rt->nflows - 1].name);
	audit_system("ok", "failback of %s started by %s", flow, who);
	return 0;
}

struct rt_flow *runtime_flow(struct runtime *rt, const char *name)
{
	for (size_t i = 0; i < rt->nflows; i++)
		if (strcmp(rt->flows[i].name, name) == 0)
			return &rt->flows[i];
	return NULL;
}

const char *runtime_flow_state(const struct rt_flow *f, const char **reason)
{
	if (reason)
		*reason = "";
	if (f->paused)
		return "paused";
	if (!f->flow) {
		if (reason)
			*reason = f->start_error;
		return f->start_error[0] ? "failed" : "stopped";
	}
	if (flow_get_status(f->flow) == FLOW_FAILED && reason)
		*reason = f->flow->fail_reason;
	if (flow_get_status(f->flow) != FLOW_FAILED && flow_get_status(f->flow) != FLOW_STOPPED &&
	    flow_stalled(f->flow)) {
		if (reason)
			*reason = f->flow->stall_view;
		return "stalled";
	}
	if (flow_get_status(f->flow) == FLOW_STARTING || flow_get_status(f->flow) == FLOW_RUNNING) {
		/* a cluster that does not answer: degraded whether the flow got
		 * going or not, so that one state (and one alert) says it */
		static _Thread_local char unreachable[600];

		if (flow_unreachable(f->flow, unreachable, sizeof(unreachable))) {
			if (reason)
				*reason = unreachable;
			return "degraded";
		}
	}
	if (flow_get_status(f->flow) == FLOW_RUNNING) {
		/* the caller uses the reason at once; one buffer per thread */
		static _Thread_local char stopped[600];

		if (flow_stopped_partitions(f->flow, stopped, sizeof(stopped)) > 0) {
			if (reason)
				*reason = stopped;
			return "degraded";
		}
	}
	if (flow_get_status(f->flow) == FLOW_RUNNING && atomic_load(&f->flow->degraded)) {
		if (reason)
			*reason = "canary latency above ferry.canary.threshold.ms";
		return "degraded";
	}
	return flow_status_name(flow_get_status(f->flow));
}

/* Appends " NAME" to a list in BUF. */
static void append(char *buf, size_t sz, const char *name)
{
	size_t l = strlen(buf);

	if (l < sz)
		snprintf(buf + l, sz - l, " %s", name);
}

void runtime_apply(struct runtime *rt, struct conf *newc, int revision, char *summary,
		   size_t summarysz)
{
	struct rt_flow *old = rt->flows;
	size_t nold = rt->nflows;
	char kept[1024] = "", started[1024] = "", restarted[1024] = "", stopped[1024] = "";

	rt->flows = NULL;
	rt->nflows = 0;
	/* failback flows are not in any configuration: they carry over */
	for (size_t j = 0; j < nold; j++) {
		struct rt_flow *nv;

		if (!old[j].owned_cf)
			continue;
		nv = realloc(rt->flows, (rt->nflows + 1) * sizeof(*nv));
		if (!nv)
			continue;
		rt->flows = nv;
		if (old[j].flow)
			flow_set_placement(old[j].flow, newc); /* failbacks obey it too */
		rt->flows[rt->nflows++] = old[j];
		old[j].conf = NULL; /* moved */
		old[j].owned_cf = NULL;
		append(kept, sizeof(kept), old[j].name);
	}
	for (size_t i = 0; i < newc->nflows; i++) {
		const struct conf_flow *ncf = &newc->flows[i];
		struct rt_flow *o = NULL;

		for (size_t j = 0; j < nold; j++)
			if (old[j].conf && strcmp(old[j].name, ncf->name) == 0)
				o = &old[j];
		if (o) {
			char *a = conf_flow_fingerprint(o->conf, o->cf);
			char *b = conf_flow_fingerprint(newc, ncf);
			int same = a && b && strcmp(a, b) == 0 && o->flow;

			free(a);
			free(b);
			if (same || o->paused) {
				/* carry it over as it is: same settings, or paused */
				struct rt_flow *nv = realloc(rt->flows,
							     (rt->nflows + 1) * sizeof(*nv));

				if (nv) {
					rt->flows = nv;
					if (o->paused && !same) {
						/* takes the new settings when resumed */
						conf_unref(o->conf);
						o->conf = conf_ref(newc);
						o->cf = ncf;
					}
					/* placement rules and labels are not in
					 * the fingerprint: they take effect in the
					 * running flow, at once */
					if (o->flow)
						flow_set_placement(o->flow, newc);
					rt->flows[rt->nflows++] = *o;
					o->conf = NULL; /* moved */
					append(kept, sizeof(kept), ncf->name);
					continue;
				}
			}
			stop_flow(o);
			retire(rt, o); /* the new run counts on from here */
			conf_unref(o->conf);
			o->conf = NULL;
			if (add_flow(rt, newc, ncf) == 0) {
				start_flow(rt, &rt->flows[rt->nflows - 1]);
				append(restarted, sizeof(restarted), ncf->name);
			}
			continue;
		}
		if (add_flow(rt, newc, ncf) == 0) {
			start_flow(rt, &rt->flows[rt->nflows - 1]);
			append(started, sizeof(started), ncf->name);
		}
	}
	for (size_t j = 0; j < nold; j++) {
		if (!old[j].conf)
			continue;
		stop_flow(&old[j]);
		retire(rt, &old[j]);
		conf_unref(old[j].conf);
		append(stopped, sizeof(stopped), old[j].name);
	}
	free(old);
	heartbeats_stop(rt->hb);
	rt->hb = NULL;
	conf_unref(rt->conf);
	rt->conf = newc;
	rt->revision = revision;
	start_heartbeats(rt);
	sink_configure(rt->sink, conf_ref(newc), revision);
	watch_paused(rt);
	snprintf(summary, summarysz,
		 "revision %d applied; started:%s; restarted:%s; stopped:%s; "
		 "unchanged:%s",
		 revision, *started ? started : " none", *restarted ? restarted : " none",
		 *stopped ? stopped : " none", *kept ? kept : " none");
	log_info("%s", summary);
}

int runtime_pause(struct runtime *rt, const char *name, const char *who, struct ferr *err)
{
	struct rt_flow *f = runtime_flow(rt, name);

	if (!f)
		return ferr_not_found(err, "no flow %s in the running configuration", name);
	if (f->paused)
		return ferr_set(err, "flow %s is already paused", name);
	if (state_flow_set_paused(rt->st, name, 1, who, err))
		return -1;
	stop_flow(f);
	f->paused = 1;
	watch_paused(rt);
	log_info("flow %s paused by %s", name, who);
	return 0;
}

int runtime_resume(struct runtime *rt, const char *name, const char *who, struct ferr *err)
{
	struct rt_flow *f = runtime_flow(rt, name);

	if (!f)
		return ferr_not_found(err, "no flow %s in the running configuration", name);
	if (!f->paused && f->flow && flow_get_status(f->flow) != FLOW_FAILED)
		return ferr_set(err, "flow %s is not paused", name);
	if (state_flow_set_paused(rt->st, name, 0, who, err))
		return -1;
	/* resuming a failed flow restarts it from its saved positions */
	stop_flow(f);
	f->paused = 0;
	watch_paused(rt);
	start_flow(rt, f);
	log_info("flow %s resumed by %s", name, who);
	if (f->start_error[0])
		return ferr_set(err, "flow %s could not start: %s", name, f->start_error);
	return 0;
}

void runtime_flow_counters(const struct rt_flow *f, struct flow_counters *out)
{
	*out = f->base;
	if (f->flow)
		flow_counters_add(f->flow, out);
}

size_t runtime_flow_partitions(struct runtime *rt, const struct rt_flow *f, struct part_stat **out)
{
	size_t n, k = 0;

	*out = NULL;
	if (f->flow)
		return flow_partitions(f->flow, out);
	if (!f->paused)
		return 0;
	n = lagwatch_partitions(rt->lw, f->name, out);
	/* the saved positions of topics the flow (as configured now) still
	 * mirrors: a commit while paused may have changed its filters */
	for (size_t i = 0; i < n; i++) {
		struct part_stat *p = &(*out)[i];

		if (!flow_should_replicate(f->cf, p->topic) ||
		    flow_remote_name(f->cf, p->topic, p->remote, sizeof(p->remote)))
			continue;
		(*out)[k++] = *p;
	}
	if (!k) {
		free(*out);
		*out = NULL;
	}
	return k;
}

uint64_t runtime_lag_refresh(struct runtime *rt)
{
	return lagwatch_refresh(rt->lw);
}

int runtime_lag_fresh(struct runtime *rt, uint64_t ticket)
{
	return lagwatch_done(rt->lw, ticket);
}

void runtime_stop(struct runtime *rt)
{
	sink_stop(rt->sink);
	rt->sink = NULL;
	lagwatch_stop(rt->lw);
	rt->lw = NULL;
	heartbeats_stop(rt->hb);
	rt->hb = NULL;
	for (size_t i = 0; i < rt->nflows; i++)
		if (rt->flows[i].flow)
			flow_request_stop(rt->flows[i].flow);
	for (size_t i = 0; i < rt->nflows; i++) {
		stop_flow(&rt->flows[i]);
		conf_flow_destroy(rt->flows[i].owned_cf);
		conf_unref(rt->flows[i].conf);
	}
	free(rt->flows);
	rt->flows = NULL;
	rt->nflows = 0;
	free(rt->retired);
	rt->retired = NULL;
	rt->nretired = 0;
	conf_unref(rt->conf);
	rt->conf = NULL;
	state_close(rt->st);
	rt->st = NULL;
	free(rt->config_file);
	free(rt->state_dir);
}

char *runtime_config_text(struct runtime *rt)
{
	struct revision r;
	struct ferr err;
	char *text;

	if (state_revision_get(rt->st, rt->revision, &r, &err) != 1)
		return props_render(&rt->conf->raw);
	text = r.text;
	r.text = NULL;
	revision_free(&r);
	return text;
}
