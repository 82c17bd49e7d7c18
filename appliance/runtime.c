/*
 * runtime.c — revisions at start, flow lifecycle, applying commits.
 */
#include "runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "audit.h"
#include "heartbeat.h"
#include "log.h"

static void sha256_hex(const char *text, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	EVP_Digest(text, len, md, &mdlen, EVP_sha256(), NULL);
	for (unsigned i = 0; i < mdlen && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
}

static int add_revision(struct runtime *rt, const char *text, const char *who,
			const char *comment, const char *sha, int *rev, struct ferr *err)
{
	struct revision r = {
		.who = (char *)who, .comment = (char *)comment, .text = (char *)text,
		.source_file = rt->config_file, .source_sha256 = (char *)sha,
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
		log_error("revision %d no longer loads; running %s instead", latest.rev, config_file);
		diags_free(&d);
	}
	snprintf(comment, sizeof(comment), found ? "loaded from %s (changed since revision %d)"
						 : "loaded from %s",
		 config_file, found ? latest.rev : 0);
	if (found)
		revision_free(&latest);
	if (add_revision(rt, text, "ferryd", comment, sha, &rt->revision, err))
		goto fail;
	free(text);
	rt->conf = file_conf;
	log_info("running configuration revision %d (%s)", rt->revision, comment);
done:
	{
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

static int add_flow(struct runtime *rt, struct conf *c, const struct conf_flow *cf)
{
	struct rt_flow *nv = realloc(rt->flows, (rt->nflows + 1) * sizeof(*nv));
	struct rt_flow *f;
	struct ferr err;
	int paused = 0;

	if (!nv)
		return -1;
	rt->flows = nv;
	f = &rt->flows[rt->nflows++];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", cf->name);
	f->conf = conf_ref(c);
	f->cf = cf;
	if (state_flow_paused(rt->st, cf->name, &paused, &err))
		log_error("%s", err.msg);
	f->paused = paused;
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
		snprintf(f->start_error, sizeof(f->start_error), "%.*s", (int)sizeof(f->start_error) - 1, err.msg);
		log_error("cannot start flow %s: %s", f->name, err.msg);
		audit_system("error", "start flow %s: %s", f->name, err.msg);
	}
}

static void stop_flow(struct rt_flow *f)
{
	if (!f->flow)
		return;
	flow_request_stop(f->flow);
	flow_join(f->flow);
	f->flow = NULL;
}

static void start_heartbeats(struct runtime *rt)
{
	struct ferr err;

	if (heartbeats_start(rt->conf, &rt->hb, &err))
		log_error("heartbeats: %s", err.msg);
}

void runtime_start(struct runtime *rt)
{
	start_heartbeats(rt);
	for (size_t i = 0; i < rt->conf->nflows; i++)
		if (add_flow(rt, rt->conf, &rt->conf->flows[i]))
			log_error("out of memory");
	for (size_t i = 0; i < rt->nflows; i++)
		start_flow(rt, &rt->flows[i]);
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
				struct rt_flow *nv = realloc(rt->flows, (rt->nflows + 1) * sizeof(*nv));

				if (nv) {
					rt->flows = nv;
					if (o->paused && !same) {
						/* takes the new settings when resumed */
						conf_unref(o->conf);
						o->conf = conf_ref(newc);
						o->cf = ncf;
					}
					rt->flows[rt->nflows++] = *o;
					o->conf = NULL;   /* moved */
					append(kept, sizeof(kept), ncf->name);
					continue;
				}
			}
			stop_flow(o);
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
	snprintf(summary, summarysz, "revision %d applied; started:%s; restarted:%s; stopped:%s; "
		 "unchanged:%s", revision, *started ? started : " none",
		 *restarted ? restarted : " none", *stopped ? stopped : " none",
		 *kept ? kept : " none");
	log_info("%s", summary);
}

int runtime_pause(struct runtime *rt, const char *name, const char *who, struct ferr *err)
{
	struct rt_flow *f = runtime_flow(rt, name);

	if (!f)
		return ferr_set(err, "no flow %s in the running configuration", name);
	if (f->paused)
		return ferr_set(err, "flow %s is already paused", name);
	if (state_flow_set_paused(rt->st, name, 1, who, err))
		return -1;
	stop_flow(f);
	f->paused = 1;
	log_info("flow %s paused by %s", name, who);
	return 0;
}

int runtime_resume(struct runtime *rt, const char *name, const char *who, struct ferr *err)
{
	struct rt_flow *f = runtime_flow(rt, name);

	if (!f)
		return ferr_set(err, "no flow %s in the running configuration", name);
	if (!f->paused && f->flow && flow_get_status(f->flow) != FLOW_FAILED)
		return ferr_set(err, "flow %s is not paused", name);
	if (state_flow_set_paused(rt->st, name, 0, who, err))
		return -1;
	/* resuming a failed flow restarts it from its saved positions */
	stop_flow(f);
	f->paused = 0;
	start_flow(rt, f);
	log_info("flow %s resumed by %s", name, who);
	if (f->start_error[0])
		return ferr_set(err, "flow %s could not start: %s", name, f->start_error);
	return 0;
}

void runtime_stop(struct runtime *rt)
{
	heartbeats_stop(rt->hb);
	rt->hb = NULL;
	for (size_t i = 0; i < rt->nflows; i++)
		if (rt->flows[i].flow)
			flow_request_stop(rt->flows[i].flow);
	for (size_t i = 0; i < rt->nflows; i++) {
		stop_flow(&rt->flows[i]);
		conf_unref(rt->flows[i].conf);
	}
	free(rt->flows);
	rt->flows = NULL;
	rt->nflows = 0;
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
