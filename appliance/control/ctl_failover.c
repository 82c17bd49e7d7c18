/*
 * ctl_failover.c — the disaster-recovery commands: failover (exact
 * translated offsets committed to the target), reset-offsets (by time),
 * and failback (mirroring the remote topics back).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "appliance/store/audit.h"
#include "lib/clock.h"
#include "appliance/control/ctl.h"
#include "appliance/kafka/kadmin.h"
#include "appliance/kafka/kclient.h"
#include "appliance/log.h"
#include "appliance/store/state.h"
#include "appliance/dr/translate.h"

#define ADMIN_MS 10000

static rd_kafka_t *admin_handle(const struct props *settings, const char *what, struct ferr *err)
{
	rd_kafka_t *rk = NULL;

	if (kclient_admin_consumer(settings, what, "ferry-mirror.control", &rk, err))
		return NULL;
	return rk;
}

/* A failover --drain in progress: looked up by name on every poll, since a
 * commit may replace or remove the flow meanwhile. */
struct drain {
	char flow[256];
	char *pattern;
	char who[300];
	long long timeout;
	int64_t deadline;
	struct ctl_offload *commit; /* once drained: the commit, off the loop */
};

static void drain_free(void *state)
{
	struct drain *d = state;

	/* a session that left during the commit abandons it: the worker
	 * finishes (and audits) what it started */
	ctl_offload_abandon(d->commit);
	free(d->pattern);
	free(d);
}

/* 1: every partition of F is mirrored to its end and saved; 0: not yet
 * (WHERE says what is behind). */
static int drained(struct rt_flow *f, char *where, size_t wsize)
{
	struct part_stat *v = NULL;
	size_t n = flow_partitions(f->flow, &v), behind = 0;
	long long lag = 0;
	char first[600] = "";

	for (size_t i = 0; i < n; i++) {
		long long l = v[i].end_offset < 0 || v[i].position < 0
				      ? -1
				      : v[i].end_offset - v[i].position;

		if (l != 0 || v[i].saved != v[i].position) {
			behind++;
			if (l > 0)
				lag += l;
			if (!first[0])
				snprintf(first, sizeof(first),
					 "%s[%d]: end offset %lld, mirrored %lld, "
					 "saved %lld",
					 v[i].topic, (int)v[i].partition,
					 (long long)v[i].end_offset, (long long)v[i].position,
					 (long long)v[i].saved);
		}
	}
	free(v);
	snprintf(where, wsize, "%zu partitions behind (lag %lld), e.g. %s", behind, lag,
		 n ? first : "no partition mirrored yet");
	return n > 0 && behind == 0;
}

struct failover_job;
static const struct ctl_job_ops failover_ops;
static struct failover_job *failover_job_new(struct runtime *rt, const char *who, const char *name,
					     const char *pattern, struct ctl_reply *r);

static int drain_poll(struct runtime *rt, void *state, struct ctl_reply *r)
{
	struct drain *d = state;
	struct rt_flow *f = runtime_flow(rt, d->flow);
	char where[800];

	if (d->commit) {
		if (ctl_offload_poll(d->commit, r))
			return 1;
		d->commit = NULL; /* it freed itself; R holds the answer */
	} else if (!f)
		ctl_fail(r, "invalid", "flow %s left the running configuration while draining",
			 d->flow);
	else if (!f->flow)
		ctl_fail(r, "invalid", "flow %s became %s while draining", d->flow,
			 runtime_flow_state(f, NULL));
	else if (flow_get_status(f->flow) == FLOW_FAILED)
		ctl_fail(r, "invalid", "flow %s failed while draining: %s", d->flow,
			 f->flow->fail_reason);
	else if (drained(f, where, sizeof(where))) {
		struct failover_job *j = failover_job_new(rt, d->who, d->flow, d->pattern, r);
		struct ferr err;

		log_info("failover %s: drained", d->flow);
		/* j passes to the offload, which d holds until it answers */
		if (j && (d->commit = ctl_offload_start(&failover_ops, j, &err)))
			return 1;
		if (j)
			ctl_fail(r, "internal", "%s", err.msg);
	} else if (clock_mono_ms() > d->deadline)
		ctl_fail(r, "invalid",
			 "drain of %s timed out after %lld ms: %s; is the source "
			 "still taking writes?",
			 d->flow, d->timeout, where);
	else
		return 1;
	drain_free(d);
	return 0;
}

void ctl_failover(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
		  struct ctl_reply *r)
{
	const char *name = m->args[0], *pattern = m->args[1];
	struct rt_flow *f = runtime_flow(rt, name);
	struct regexlist *rx = NULL;
	struct drain *d;
	struct ferr err;

	if (!f) {
		ctl_fail(r, "not_found", "no flow %s in the running configuration", name);
		return;
	}
	if (regexlist_compile(pattern, &rx, &err)) {
		ctl_fail(r, "invalid", "REGEX: %s", err.msg);
		return;
	}
	regexlist_free(rx);
	if (!cmdtab_flag(m, "--drain")) {
		struct failover_job *j = failover_job_new(rt, s->who, name, pattern, r);

		/* j passes to the offload; the answer comes from its worker */
		if (j)
			ctl_offload(r, &failover_ops, j);
		return;
	}
	if (!f->flow) {
		ctl_fail(r, "invalid",
			 "flow %s is %s: resume it to drain, or fail over without "
			 "--drain",
			 name, runtime_flow_state(f, NULL));
		return;
	}
	d = calloc(1, sizeof(*d));
	if (!d || !(d->pattern = strdup(pattern))) {
		free(d);
		ctl_fail(r, "internal", "out of memory");
		return;
	}
	snprintf(d->flow, sizeof(d->flow), "%s", name);
	snprintf(d->who, sizeof(d->who), "%s", s->who);
	// NOLINTNEXTLINE(cert-err34-c): a CK_INT key, range-checked at load
	d->timeout = atoll(conf_global(rt->conf, "ferry.failover.drain.timeout.ms"));
	d->deadline = clock_mono_ms() + d->timeout;
	log_info("failover %s: draining for %s (at most %lld ms)", name, s->who, d->timeout);
	/* ownership of d passes to the wait: drain_poll or drain_free frees it */
	r->wait = (struct ctl_wait){ .poll = drain_poll, .cancel = drain_free, .state = d };
}

int ctl_translate_group_offset(struct state *st, rd_kafka_t *src, rd_kafka_t *tgt,
			       const struct conf_flow *cf, const char *topic, const char *remote,
			       int32_t partition, int64_t offset, int64_t *down, int *below_start,
			       char *why, size_t whysz)
{
	struct offset_history h;
	int64_t lo, hi;
	enum translate_result tr;
	struct ferr err;

	*below_start = 0;
	*down = -1;
	if (state_syncs_load(st, cf->name, topic, partition, &h, &err)) {
		offset_history_free(&h);
		snprintf(why, whysz, "%s", err.msg);
		return -1;
	}
	tr = offsets_translate(&h, offset, down);
	/* below the source's log start, a consumer on the source would start
	 * at the earliest record too */
	if (tr == TRANSLATE_BELOW_HISTORY &&
	    rd_kafka_query_watermark_offsets(src, topic, partition, &lo, &hi, ADMIN_MS) == 0 &&
	    offset < lo) {
		int64_t tlo = -1;

		if (rd_kafka_query_watermark_offsets(tgt, remote, partition, &tlo, &hi, ADMIN_MS))
			tlo = -1;
		tr = offsets_translate_below_start(&h, offset, lo, tlo, down);
		*below_start = tr == TRANSLATE_OK;
	}
	if (tr == TRANSLATE_BELOW_HISTORY)
		snprintf(why, whysz,
			 "offset %lld of %s[%d] cannot be translated: %s, which is exact from "
			 "offset %lld",
			 (long long)offset, topic, (int)partition, translate_result_str(tr),
			 (long long)offset_history_from(&h));
	else if (tr != TRANSLATE_OK)
		snprintf(why, whysz, "offset %lld of %s[%d] cannot be translated: %s",
			 (long long)offset, topic, (int)partition, translate_result_str(tr));
	else
		snprintf(why, whysz, "%s", translate_result_str(tr));
	if (tr != TRANSLATE_OK)
		*down = -1;
	offset_history_free(&h);
	return (int)tr;
}

/* Commits the exact translated offsets of the groups matching PATTERN on
 * the target of flow NAME (CF), and reports per group and partition.
 * Blocks on Kafka: runs on an offload worker (failover_run), with ST its
 * own state connection. */
/* failover's report: one row per group partition, or per refused group */
static const char *const failover_cols[] = {
	"group", "topic", "partition", "upstream", "downstream", "result",
};

static void failover_commit(struct state *st, const struct conf_flow *cf, const char *who,
			    const char *name, const char *pattern, struct ctl_reply *r)
{
	struct regexlist *rx = NULL;
	rd_kafka_t *src = NULL, *tgt = NULL;
	char **groups = NULL;
	size_t ngroups = 0, committed = 0, refused = 0;
	struct ferr err;
	char what[300], refusals[1024] = "";

	if (regexlist_compile(pattern, &rx, &err)) {
		ctl_fail(r, "invalid", "REGEX: %s", err.msg);
		return;
	}
	snprintf(what, sizeof(what), "failover %s: admin on %s", name, cf->source);
	src = admin_handle(&cf->source_admin, what, &err);
	snprintf(what, sizeof(what), "failover %s: admin on %s", name, cf->target);
	tgt = src ? admin_handle(&cf->target_admin, what, &err) : NULL;
	if (!src || !tgt) {
		ctl_fail(r, "internal", "%s", err.msg);
		goto out;
	}
	if (kadmin_list_groups(src, &groups, &ngroups, ADMIN_MS, &err)) {
		ctl_fail(r, "internal", "%s: %s", cf->source, err.msg);
		goto out;
	}
	CTL_TABLE(r, failover_cols);
	for (size_t g = 0; g < ngroups; g++) {
		struct group_offset *offs = NULL, *want = NULL;
		size_t n = 0, nwant = 0;
		char state[64] = "";
		int members = 0;

		if (!regexlist_match(rx, groups[g]) || strncmp(groups[g], "ferry-mirror.", 13) == 0)
			continue;
		if (kadmin_group_state(tgt, groups[g], state, sizeof(state), &members, ADMIN_MS,
				       &err) == 0 &&
		    members > 0) {
			char why[200];

			snprintf(why, sizeof(why), "refused: %d active member%s on %s (%s)",
				 members, members == 1 ? "" : "s", cf->target, state);
			CTL_ROW(r->rows, failover_cols, json_string(groups[g]), json_string(""),
				json_null(), json_null(), json_null(), json_string(why));
			refused++;
			snprintf(refusals + strlen(refusals), sizeof(refusals) - strlen(refusals),
				 "%s%s (%s)", refused > 1 ? ", " : "", groups[g], why);
			continue;
		}
		if (kadmin_group_offsets(src, groups[g], &offs, &n, ADMIN_MS, &err)) {
			CTL_ROW(r->rows, failover_cols, json_string(groups[g]), json_string(""),
				json_null(), json_null(), json_null(), json_string(err.msg));
			continue;
		}
		want = calloc(n ? n : 1, sizeof(*want));
		int64_t *ups = calloc(n ? n : 1, sizeof(*ups));
		int *early = calloc(n ? n : 1, sizeof(*early));
		char why[1400] = ""; /* the first partition that cannot be translated */

		for (size_t i = 0; want && ups && early && i < n; i++) {
			int64_t down = -1;
			char remote[512], reason[1400], why_tr[1300];
			int tr, below_start = 0;

			if (!flow_should_replicate(cf, offs[i].topic) ||
			    policy_format_remote(&cf->policy, cf->source, offs[i].topic, remote,
						 sizeof(remote)))
				continue;
			tr = ctl_translate_group_offset(st, src, tgt, cf, offs[i].topic, remote,
							offs[i].partition, offs[i].offset, &down,
							&below_start, why_tr, sizeof(why_tr));
			if (tr < 0) {
				snprintf(reason, sizeof(reason), "refused: %s", why_tr);
				goto refuse;
			}
			if (tr == TRANSLATE_NONE) {
				CTL_ROW(r->rows, failover_cols, json_string(groups[g]),
					json_string(remote), json_integer(offs[i].partition),
					json_integer((json_int_t)offs[i].offset), json_null(),
					json_string("skipped: nothing mirrored yet"));
				continue;
			}
			if (tr != TRANSLATE_OK) {
				snprintf(reason, sizeof(reason), "refused: %s", why_tr);
				goto refuse;
			}
			early[nwant] = below_start;
			snprintf(want[nwant].topic, sizeof(want[nwant].topic), "%s", remote);
			want[nwant].partition = offs[i].partition;
			want[nwant].offset = down;
			ups[nwant] = offs[i].offset;
			nwant++;
			continue;
refuse:
			/* the whole group: committing its other partitions would
			 * leave this one to the consumer's reset policy, a guess */
			CTL_ROW(r->rows, failover_cols, json_string(groups[g]), json_string(remote),
				json_integer(offs[i].partition),
				json_integer((json_int_t)offs[i].offset), json_null(),
				json_string(reason));
			if (!why[0])
				snprintf(why, sizeof(why), "%s", reason);
		}
		if (why[0]) {
			for (size_t i = 0; i < nwant; i++)
				CTL_ROW(r->rows, failover_cols, json_string(groups[g]),
					json_string(want[i].topic), json_integer(want[i].partition),
					json_integer((json_int_t)ups[i]),
					json_integer((json_int_t)want[i].offset),
					json_string("not committed: the group is refused"));
			nwant = 0;
			refused++;
			snprintf(refusals + strlen(refusals), sizeof(refusals) - strlen(refusals),
				 "%s%s (%s)", refused > 1 ? ", " : "", groups[g], why);
		}
		if (nwant) {
			int ok = kadmin_commit_offsets(tgt, groups[g], want, nwant, ADMIN_MS,
						       &err) == 0;

			for (size_t i = 0; i < nwant; i++) {
				struct ferr perr;
				char res[sizeof(err.msg) + sizeof(perr.msg) + 64];

				if (!ok)
					snprintf(res, sizeof(res), "%s", err.msg);
				else
					snprintf(res, sizeof(res), "%s",
						 early[i]
							 ? "committed: below the source's log start, "
							   "where its earliest record is"
							 : "committed");
				/* the group is moved on the target either way; a record
				 * the store refuses (disk full) is said, not hidden */
				if (ok &&
				    state_group_commit_put(st, cf->target, groups[g], want[i].topic,
							   want[i].partition, ups[i],
							   want[i].offset, &perr) != 0)
					snprintf(res + strlen(res), sizeof(res) - strlen(res),
						 " (not recorded in the state store: %s)",
						 perr.msg);
				CTL_ROW(r->rows, failover_cols, json_string(groups[g]),
					json_string(want[i].topic), json_integer(want[i].partition),
					json_integer((json_int_t)ups[i]),
					json_integer((json_int_t)want[i].offset), json_string(res));
			}
			if (ok)
				committed++;
		}
		free(early);
		free(ups);
		free(want);
		free(offs);
	}
	if (committed == 0 && refused == 0 && json_array_size(r->rows) == 0) {
		json_decref(r->columns);
		json_decref(r->rows);
		r->columns = r->rows = NULL;
		ctl_fail(r, "not_found",
			 "no consumer group on %s matches %s with offsets on topics "
			 "of %s",
			 cf->source, pattern, name);
		goto out;
	}
	snprintf(r->message, sizeof(r->message), "failover %s: %zu group%s committed on %s%s%s",
		 name, committed, committed == 1 ? "" : "s", cf->target,
		 refused ? "; refused: " : "", refusals);
	audit_system("ok", "failover %s --groups %s by %s: %zu committed, %zu refused", name,
		     pattern, who, committed, refused);
out:
	kadmin_free_names(groups, ngroups);
	if (src)
		rd_kafka_consumer_close(src);
	if (tgt)
		rd_kafka_consumer_close(tgt);
	kclient_destroy(src);
	kclient_destroy(tgt);
	regexlist_free(rx);
}

/* failover, off the loop: copies of what failover_commit needs, made on
 * the main loop, since a commit may replace or remove the flow meanwhile. */
struct failover_job {
	struct conf *conf;        /* a reference: keeps cf alive */
	struct conf_flow *own_cf; /* a failback flow's own copy (points into conf), or NULL */
	const struct conf_flow *cf;
	char *state_dir, *pattern;
	char name[256], who[300];
};

static void failover_job_free(void *job)
{
	struct failover_job *j = job;

	if (!j)
		return;
	conf_flow_destroy(j->own_cf);
	conf_unref(j->conf);
	free(j->state_dir);
	free(j->pattern);
	free(j);
}

/* On the worker: a state connection of its own (the main thread's is the
 * main thread's), then the commit. */
static void failover_run(void *job, struct ctl_reply *r)
{
	struct failover_job *j = job;
	struct state *st = NULL;
	struct ferr err;

	if (state_open_worker(j->state_dir, &st, &err)) {
		ctl_fail(r, "internal", "%s", err.msg);
		return;
	}
	failover_commit(st, j->cf, j->who, j->name, j->pattern, r);
	state_close(st);
}

static const struct ctl_job_ops failover_ops = { failover_run, failover_job_free };

/* A failover job for flow NAME (which runs), or NULL with R failed. */
static struct failover_job *failover_job_new(struct runtime *rt, const char *who, const char *name,
					     const char *pattern, struct ctl_reply *r)
{
	struct rt_flow *f = runtime_flow(rt, name);
	struct failover_job *j = calloc(1, sizeof(*j));
	struct ferr err;

	if (!j || !(j->state_dir = strdup(rt->state_dir)) || !(j->pattern = strdup(pattern))) {
		failover_job_free(j);
		ctl_fail(r, "internal", "out of memory");
		return NULL;
	}
	j->conf = conf_ref(f->conf);
	j->cf = f->cf;
	/* a failback flow's settings die with its rt_flow: the job makes its
	 * own from the same configuration */
	if (f->owned_cf) {
		if (conf_make_failback(f->conf, f->cf->failback_of, &j->own_cf, &err)) {
			failover_job_free(j);
			ctl_fail(r, "internal", "%s", err.msg);
			return NULL;
		}
		j->cf = j->own_cf;
	}
	snprintf(j->name, sizeof(j->name), "%s", name);
	snprintf(j->who, sizeof(j->who), "%s", who);
	return j;
}

/* reset-offsets, off the loop: copies of its arguments and the cluster's
 * admin settings, made on the main loop. */
struct reset_job {
	char who[300];
	char *alias, *group, *when;
	long long ms;
	struct props settings; /* owned */
};

static void reset_job_free(void *job)
{
	struct reset_job *j = job;

	if (!j)
		return;
	props_free(&j->settings);
	free(j->alias);
	free(j->group);
	free(j->when);
	free(j);
}

/* On the worker: resets the group to the first offset at or after the time. */
static const char *const reset_cols[] = { "topic", "partition", "old offset", "new offset" };

static void reset_offsets_run(void *job, struct ctl_reply *r)
{
	struct reset_job *j = job;
	const char *alias = j->alias, *group = j->group, *when = j->when;
	long long ms = j->ms;
	rd_kafka_t *rk = NULL;
	struct group_offset *offs = NULL, *want = NULL;
	size_t n = 0;
	char state[64] = "", what[300];
	int members = 0;
	struct ferr err;

	snprintf(what, sizeof(what), "reset-offsets on %s", alias);
	rk = admin_handle(&j->settings, what, &err);
	if (!rk) {
		ctl_fail(r, "internal", "%s", err.msg);
		return;
	}
	if (kadmin_group_state(rk, group, state, sizeof(state), &members, ADMIN_MS, &err)) {
		ctl_fail(r, "internal", "%s", err.msg);
		goto out;
	}
	if (members > 0) {
		ctl_fail(r, "invalid",
			 "group %s has %d active member%s on %s (%s); stop them first", group,
			 members, members == 1 ? "" : "s", alias, state);
		goto out;
	}
	if (kadmin_group_offsets(rk, group, &offs, &n, ADMIN_MS, &err)) {
		ctl_fail(r, "internal", "%s", err.msg);
		goto out;
	}
	if (n == 0) {
		ctl_fail(r, "not_found", "group %s has no committed offsets on %s", group, alias);
		goto out;
	}
	{
		rd_kafka_topic_partition_list_t *tpl = rd_kafka_topic_partition_list_new((int)n);
		rd_kafka_resp_err_t e;

		for (size_t i = 0; i < n; i++)
			rd_kafka_topic_partition_list_add(tpl, offs[i].topic, offs[i].partition)
				->offset = ms;
		e = rd_kafka_offsets_for_times(rk, tpl, ADMIN_MS);
		if (e) {
			ctl_fail(r, "internal", "offsets for %s on %s: %s", when, alias,
				 rd_kafka_err2str(e));
			rd_kafka_topic_partition_list_destroy(tpl);
			goto out;
		}
		want = calloc(n, sizeof(*want));
		CTL_TABLE(r, reset_cols);
		for (int i = 0; want && i < tpl->cnt; i++) {
			int64_t off = tpl->elems[i].offset;

			if (tpl->elems[i].err) {
				ctl_fail(r, "internal", "%s[%d]: %s", tpl->elems[i].topic,
					 (int)tpl->elems[i].partition,
					 rd_kafka_err2str(tpl->elems[i].err));
				break;
			}
			if (off < 0) {
				/* no record at or after the time: the end of the partition */
				int64_t lo, hi;

				if (rd_kafka_query_watermark_offsets(rk, tpl->elems[i].topic,
								     tpl->elems[i].partition, &lo,
								     &hi, ADMIN_MS) == 0)
					off = hi;
			}
			snprintf(want[i].topic, sizeof(want[i].topic), "%s", tpl->elems[i].topic);
			want[i].partition = tpl->elems[i].partition;
			want[i].offset = off;
			CTL_ROW(r->rows, reset_cols, json_string(want[i].topic),
				json_integer(want[i].partition),
				json_integer((json_int_t)offs[i].offset),
				json_integer((json_int_t)off));
		}
		rd_kafka_topic_partition_list_destroy(tpl);
		if (r->err_code)
			goto out;
		if (kadmin_commit_offsets(rk, group, want, n, ADMIN_MS, &err)) {
			ctl_fail(r, "internal", "%s", err.msg);
			goto out;
		}
		snprintf(r->message, sizeof(r->message), "group %s on %s reset to %s", group, alias,
			 when);
		/* recorded here too: a session that left meanwhile gets no answer */
		audit_system("ok", "reset-offsets of group %s on %s to %s by %s: %zu partition%s",
			     group, alias, when, j->who, n, n == 1 ? "" : "s");
	}
out:
	if (r->err_code) {
		json_decref(r->columns);
		json_decref(r->rows);
		r->columns = r->rows = NULL;
	}
	free(offs);
	free(want);
	rd_kafka_consumer_close(rk);
	kclient_destroy(rk);
}

static const struct ctl_job_ops reset_ops = { reset_offsets_run, reset_job_free };

void ctl_reset_offsets(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
		       struct ctl_reply *r)
{
	const char *alias = m->args[0], *group = m->args[1], *when = m->args[2];
	struct reset_job *j;
	int found = 0;

	for (size_t i = 0; i < rt->conf->nclusters; i++)
		found |= strcmp(rt->conf->clusters[i].alias, alias) == 0;
	if (!found) {
		ctl_fail(r, "not_found", "no cluster %s in the running configuration", alias);
		return;
	}
	j = calloc(1, sizeof(*j));
	if (j)
		snprintf(j->who, sizeof(j->who), "%s", s->who);
	if (!j || !(j->alias = strdup(alias)) || !(j->group = strdup(group)) ||
	    !(j->when = strdup(when)) ||
	    conf_cluster_settings(rt->conf, alias, ROLE_ADMIN, &j->settings)) {
		reset_job_free(j);
		ctl_fail(r, "internal", "out of memory");
		return;
	}
	cmdtab_parse_datetime(when, &j->ms); /* validated by the grammar */
	/* j passes to the offload; the answer comes from its worker */
	ctl_offload(r, &reset_ops, j);
}

/*
 * failback, in three steps. On the main loop, ctl_failback checks the
 * flow and hands a job to an offload worker; the worker reads the end
 * offset of every partition the flow mirrored on the old primary (A, the
 * failback's target), up to 10 s each; back on the main loop, fb_poll
 * starts the failback (runtime_failback: it pauses A->B and starts the
 * failback flow, both runtime work) and makes the report from the saved
 * positions.
 *
 * The end offsets are read BEFORE the failback flow starts, and that is
 * what makes "only on old primary" exact: the failback writes into the very
 * topics whose end offsets the report compares (A.orders on B goes back to
 * orders on A), so end offsets read after its start could count records it
 * already copied back as never mirrored. Nothing of ferry writes to those
 * topics before the start (A->B only reads them), so the count is exact as
 * of that moment; records producers still write to A meanwhile are theirs,
 * after it. An end offset that could not be read is reported as unknown,
 * never guessed.
 */
struct fb_job {
	struct conf *conf;    /* a reference: keeps fb alive */
	struct conf_flow *fb; /* owned: the failback flow's settings (points into conf) */
	char *state_dir;      /* owned */
	char flow[256];
};

static void fb_job_free(void *job)
{
	struct fb_job *j = job;

	if (!j)
		return;
	conf_flow_destroy(j->fb);
	conf_unref(j->conf);
	free(j->state_dir);
	free(j);
}

/* The partitions the flow mirrored: [topic, partition], then the end
 * offset appended. Listed first and queried after, so that no read
 * transaction stays open for the 10 s a watermark call may take. */
static void fb_part_one(void *ctx, const char *flow, const char *topic, int32_t partition,
			int64_t next_offset, int64_t updated_ms)
{
	(void)flow;
	(void)next_offset;
	(void)updated_ms;
	json_array_append_new(ctx, json_pack("[s,i]", topic, (int)partition));
}

/* On the worker: the old primary's end offsets of every partition the
 * flow mirrored, as OUT's rows [topic, partition, end offset or null]; OUT
 * fails when they could not be asked for at all. A state connection of
 * its own: the main thread's is the main thread's. */
static void fb_ends_run(void *job, struct ctl_reply *out)
{
	struct fb_job *j = job;
	json_t *rows = json_array(), *row;
	rd_kafka_t *tgt = NULL;
	struct state *st = NULL;
	struct ferr err;
	char what[300];
	size_t i;

	if (state_open_worker(j->state_dir, &st, &err)) {
		json_decref(rows);
		ctl_fail(out, "internal", "%s", err.msg);
		return;
	}
	snprintf(what, sizeof(what), "failback %s: admin on %s", j->flow, j->fb->target);
	if (state_positions_list(st, j->flow, fb_part_one, rows, &err) ||
	    !(tgt = admin_handle(&j->fb->target_admin, what, &err))) {
		json_decref(rows);
		ctl_fail(out, "internal", "%s", err.msg);
		state_close(st);
		return;
	}
	state_close(st);
	json_array_foreach(rows, i, row)
	{
		int64_t lo = -1, hi = -1;

		if (rd_kafka_query_watermark_offsets(tgt, json_string_value(json_array_get(row, 0)),
						     (int32_t)json_integer_value(
							     json_array_get(row, 1)),
						     &lo, &hi, ADMIN_MS))
			hi = -1;
		json_array_append_new(row, hi >= 0 ? json_integer(hi) : json_null());
	}
	out->rows = rows; /* OUT owns them from here */
	rd_kafka_consumer_close(tgt);
	kclient_destroy(tgt);
}

static const struct ctl_job_ops fb_ends_ops = { fb_ends_run, fb_job_free };

struct fb_wait {
	struct ctl_offload *ends; /* the worker reading the end offsets */
	struct ctl_reply answer;  /* its answer, once in: owns its rows */
	char flow[256], who[300];
};

static void fb_wait_free(void *state)
{
	struct fb_wait *w = state;

	/* a session that leaves before the end offsets are read starts no
	 * failback: nothing has changed yet, the worker's answer is dropped */
	ctl_offload_abandon(w->ends);
	free(w);
}

/* failback's report: one row per partition the flow mirrored */
static const char *const failback_cols[] = {
	"topic",           "partition",   "mirrored up to", "end offset", "only on old primary",
	"comes back from", "starting at",
};

struct fb_report {
	struct runtime *rt;
	const char *flow;
	json_t *ends; /* fb_ends rows, or NULL when none could be read */
	const struct conf_flow *fb;
	struct ctl_reply *r;
	long long only_on_source;
	size_t unknown; /* partitions whose end offset is not known */
};

/* The end offset read before the failback started, or -1. */
static int64_t fb_end_of(const json_t *ends, const char *topic, int32_t partition)
{
	size_t i;
	json_t *row;

	json_array_foreach(ends, i, row)
	{
		if (json_integer_value(json_array_get(row, 1)) == partition &&
		    strcmp(json_string_value(json_array_get(row, 0)), topic) == 0)
			return json_is_integer(json_array_get(row, 2))
				       ? (int64_t)json_integer_value(json_array_get(row, 2))
				       : -1;
	}
	return -1;
}

static void fb_row(void *ctx, const char *flow, const char *topic, int32_t partition,
		   int64_t next_offset, int64_t updated_ms)
{
	struct fb_report *x = ctx;
	int64_t hi = x->ends ? fb_end_of(x->ends, topic, partition) : -1, next, last_down;
	char remote[512];
	struct ferr err;

	(void)flow;
	(void)updated_ms;
	/* A->B mirrors the heartbeats topic as MM2 does, but nothing of it
	 * comes back, and the heartbeat thread keeps writing it on A while
	 * A->B is paused: it is no record a producer wrote and lost */
	if (policy_is_heartbeats(&x->fb->policy, topic))
		return;
	if (state_position_full(x->rt->st, x->flow, topic, partition, &next, &last_down, &err) != 1)
		last_down = -1;
	policy_format_remote(&x->fb->policy, x->fb->target, topic, remote, sizeof(remote));
	if (hi < 0)
		x->unknown++;
	else if (hi > next_offset)
		x->only_on_source += hi - next_offset;
	CTL_ROW(x->r->rows, failback_cols, json_string(topic), json_integer(partition),
		json_integer((json_int_t)next_offset), hi >= 0 ? json_integer(hi) : json_null(),
		hi >= 0 ? json_integer(hi > next_offset ? hi - next_offset : 0) : json_null(),
		json_string(remote), last_down >= 0 ? json_integer(last_down + 1) : json_null());
}

/* On the main loop, once the end offsets are in (ENDS, or ENDS_ERR):
 * starts the failback and reports. */
static void fb_start(struct runtime *rt, const struct fb_wait *w, json_t *ends,
		     const char *ends_err, struct ctl_reply *r)
{
	struct rt_flow *fb;
	struct fb_report x = { .rt = rt, .flow = w->flow, .ends = ends, .r = r };
	struct ferr err;
	char what[300], unknown[1024] = "";

	if (runtime_failback(rt, w->flow, w->who, &err)) {
		ctl_fail_err(r, &err);
		return;
	}
	snprintf(what, sizeof(what), "failback:%s", w->flow);
	fb = runtime_flow(rt, what);
	x.fb = fb->cf;
	CTL_TABLE(r, failback_cols);
	if (state_positions_list(rt->st, w->flow, fb_row, &x, &err)) {
		snprintf(r->message, sizeof(r->message),
			 "failback of %s runs as flow %s; the report "
			 "could not be made: %s",
			 w->flow, fb->name, err.msg);
		return;
	}
	if (x.unknown)
		snprintf(unknown, sizeof(unknown),
			 " The end offset of %zu partition%s on %s could not "
			 "be read before the failback started%s%s: how many of their records were never mirrored is not known "
			 "(`end offset` null).",
			 x.unknown, x.unknown == 1 ? "" : "s", fb->cf->target, ends_err ? ": " : "",
			 ends_err ? ends_err : "");
	snprintf(r->message, sizeof(r->message),
		 "failback of %s runs as flow %s (%s paused). %lld record%s on %s were never "
		 "mirrored to %s (offsets from `mirrored up to` to `end offset`): they stay on "
		 "%s, before the records that come back.%s",
		 w->flow, fb->name, w->flow, x.only_on_source, x.only_on_source == 1 ? "" : "s",
		 fb->cf->target, fb->cf->source, fb->cf->target, unknown);
}

static int fb_poll(struct runtime *rt, void *state, struct ctl_reply *r)
{
	struct fb_wait *w = state;
	struct ctl_reply *a = &w->answer;

	if (ctl_offload_poll(w->ends, a))
		return 1;
	w->ends = NULL; /* it freed itself; A holds its answer */
	fb_start(rt, w, a->err_code ? NULL : a->rows, a->err_code ? a->err : NULL, r);
	json_decref(a->columns);
	json_decref(a->rows);
	free(a->text);
	free(w);
	return 0;
}

void ctl_failback(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
		  struct ctl_reply *r)
{
	const char *flow = m->args[0];
	struct fb_job *j = calloc(1, sizeof(*j));
	struct fb_wait *w = calloc(1, sizeof(*w));
	struct ferr err;

	if (!j || !w || !(j->state_dir = strdup(rt->state_dir))) {
		fb_job_free(j);
		free(w);
		ctl_fail(r, "internal", "out of memory");
		return;
	}
	j->conf = conf_ref(rt->conf);
	/* what runtime_failback would refuse, refused before any Kafka work
	 * (it checks again once the end offsets are in) */
	if (conf_make_failback(rt->conf, flow, &j->fb, &err) ||
	    (runtime_flow(rt, j->fb->name) && ferr_set(&err, "%s runs already", j->fb->name))) {
		fb_job_free(j);
		free(w);
		ctl_fail_err(r, &err);
		return;
	}
	snprintf(j->flow, sizeof(j->flow), "%s", flow);
	snprintf(w->flow, sizeof(w->flow), "%s", flow);
	snprintf(w->who, sizeof(w->who), "%s", s->who);
	/* j passes to the offload in every case; its first reference to w */
	if (!(w->ends = ctl_offload_start(&fb_ends_ops, j, &err))) {
		free(w);
		ctl_fail(r, "internal", "%s", err.msg);
		return;
	}
	/* ownership of w passes to the wait: fb_poll or fb_wait_free frees it */
	r->wait = (struct ctl_wait){ .poll = fb_poll, .cancel = fb_wait_free, .state = w };
}

/* translate group: failover's translation of one group, committing
 * nothing. A failover job whose pattern is the group's name. */
static const char *const tgroup_cols[] = {
	"group", "topic", "remote topic", "partition", "source offset", "target offset", "result",
};

static int cmp_group_offset(const void *a, const void *b)
{
	const struct group_offset *x = a, *y = b;
	int c = strcmp(x->topic, y->topic);

	return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

static void tgroup_run(void *job, struct ctl_reply *r)
{
	struct failover_job *j = job;
	const struct conf_flow *cf = j->cf;
	const char *group = j->pattern;
	struct group_offset *offs = NULL;
	size_t n = 0, mirrored = 0;
	rd_kafka_t *src = NULL, *tgt = NULL;
	struct state *st = NULL;
	struct ferr err;
	char what[300];

	snprintf(what, sizeof(what), "translate group %s: admin on %s", j->name, cf->source);
	src = admin_handle(&cf->source_admin, what, &err);
	snprintf(what, sizeof(what), "translate group %s: admin on %s", j->name, cf->target);
	tgt = src ? admin_handle(&cf->target_admin, what, &err) : NULL;
	if (!src || !tgt || state_open_worker(j->state_dir, &st, &err)) {
		ctl_fail(r, "internal", "%s", err.msg);
		goto out;
	}
	if (kadmin_group_offsets(src, group, &offs, &n, ADMIN_MS, &err)) {
		ctl_fail(r, "internal", "%s: %s", cf->source, err.msg);
		goto out;
	}
	if (n == 0) {
		ctl_fail(r, "not_found", "GROUP: group %s has no committed offsets on %s", group,
			 cf->source);
		goto out;
	}
	qsort(offs, n, sizeof(*offs), cmp_group_offset);
	CTL_TABLE(r, tgroup_cols);
	for (size_t i = 0; i < n; i++) {
		int64_t down = -1;
		char remote[512], why[1300];
		int below_start = 0, tr;

		if (offs[i].offset < 0 || !flow_should_replicate(cf, offs[i].topic) ||
		    policy_format_remote(&cf->policy, cf->source, offs[i].topic, remote,
					 sizeof(remote)))
			continue;
		mirrored++;
		tr = ctl_translate_group_offset(st, src, tgt, cf, offs[i].topic, remote,
						offs[i].partition, offs[i].offset, &down,
						&below_start, why, sizeof(why));
		if (below_start)
			snprintf(why, sizeof(why),
				 "translated: below the source's log start, where its earliest "
				 "record is");
		CTL_ROW(r->rows, tgroup_cols, json_string(group), json_string(offs[i].topic),
			json_string(remote), json_integer(offs[i].partition),
			json_integer((json_int_t)offs[i].offset),
			tr == TRANSLATE_OK ? json_integer((json_int_t)down) : json_null(),
			json_string(why));
	}
	if (!mirrored)
		snprintf(r->message, sizeof(r->message),
			 "group %s has committed offsets on %s, none on a topic %s mirrors", group,
			 cf->source, j->name);
out:
	free(offs);
	state_close(st);
	if (src)
		rd_kafka_consumer_close(src);
	if (tgt)
		rd_kafka_consumer_close(tgt);
	kclient_destroy(src);
	kclient_destroy(tgt);
}

static const struct ctl_job_ops tgroup_ops = { tgroup_run, failover_job_free };

void ctl_translate_group(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
			 struct ctl_reply *r)
{
	const char *name = m->args[0], *group = m->args[1];
	struct failover_job *j;

	if (!runtime_flow(rt, name)) {
		ctl_fail(r, "not_found",
			 "FLOW: no flow %s in the running configuration (see show flows)", name);
		return;
	}
	/* j passes to the offload; the rows come from its worker */
	if ((j = failover_job_new(rt, s->who, name, group, r)) != NULL)
		ctl_offload(r, &tgroup_ops, j);
}
