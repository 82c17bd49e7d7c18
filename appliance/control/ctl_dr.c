/*
 * ctl_dr.c — the read-only disaster-recovery views: `show offset-syncs`
 * and `translate offset` (a partition's offset-sync history and what it
 * translates to), `show checkpoints` (the last checkpoint emitted per
 * group partition) and `show heartbeats`. The first three read the state
 * store through a connection of their worker's own (ctl_offload), so a
 * long history never holds the main loop on the disk; `translate group`,
 * which asks Kafka, is failover's (ctl_failover.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/control/ctl.h"
#include "appliance/dr/heartbeat.h"
#include "appliance/dr/translate.h"
#include "appliance/runtime.h"
#include "appliance/store/state.h"

/* show offset-syncs and translate offset, off the loop: the arguments and
 * what the running flow says of the partition, copied on the main loop */
struct sync_job {
	char *state_dir;
	char flow[256], topic[256];
	int32_t partition;
	int64_t offset;              /* translate offset's; -1: show offset-syncs */
	int topic_known, part_known; /* the flow mirrors them now (else: the store says) */
};

static void sync_job_free(void *job)
{
	struct sync_job *j = job;

	if (j)
		free(j->state_dir);
	free(j);
}

struct known {
	const struct sync_job *j;
	int topic, part;
};

static void known_pos(void *ctx, const char *flow, const char *topic, int32_t partition,
		      int64_t next_offset, int64_t updated_ms)
{
	struct known *k = ctx;

	(void)flow;
	(void)next_offset;
	(void)updated_ms;
	if (strcmp(topic, k->j->topic) != 0)
		return;
	k->topic = 1;
	k->part |= partition == k->j->partition;
}

/* 0 when J's topic and partition are the flow's (now, or saved in ST:
 * a paused or restarted flow's), else -1 with OUT failed naming which. */
static int check_known(struct state *st, const struct sync_job *j, struct ctl_reply *out)
{
	struct known k = { j, j->topic_known, j->part_known };
	struct ferr err;

	if ((!k.topic || !k.part) && state_positions_list(st, j->flow, known_pos, &k, &err)) {
		ctl_fail(out, "internal", "%s", err.msg);
		return -1;
	}
	if (!k.topic) {
		ctl_fail(out, "not_found",
			 "TOPIC: flow %s mirrors no topic %s (see show topics %s)", j->flow,
			 j->topic, j->flow);
		return -1;
	}
	if (!k.part) {
		ctl_fail(out, "not_found",
			 "PARTITION: flow %s mirrors no partition %d of %s (see show lag %s)",
			 j->flow, (int)j->partition, j->topic, j->flow);
		return -1;
	}
	return 0;
}

static const char *const syncs_cols[] = { "upstream", "downstream", "recorded at" };

static void sync_row(void *ctx, int64_t upstream, int64_t downstream, int64_t ts_ms)
{
	struct ctl_reply *r = ctx;

	CTL_ROW(r->rows, syncs_cols, json_integer((json_int_t)upstream),
		json_integer((json_int_t)downstream), ctl_opt_ts(ts_ms));
}

static const char *const translate_cols[] = { "flow",     "topic",      "partition",
					      "upstream", "downstream", "result" };

static void sync_job_run(void *job, struct ctl_reply *out)
{
	struct sync_job *j = job;
	struct state *st = NULL;
	struct offset_history h = { 0 };
	struct ferr err;

	if (state_open_worker(j->state_dir, &st, &err)) {
		ctl_fail(out, "internal", "%s", err.msg);
		return;
	}
	if (check_known(st, j, out))
		goto out;
	if (j->offset < 0) {
		CTL_TABLE(out, syncs_cols);
		if (state_syncs_list(st, j->flow, j->topic, j->partition, sync_row, out, &err))
			ctl_fail(out, "internal", "%s", err.msg);
		goto out;
	}
	if (state_syncs_load(st, j->flow, j->topic, j->partition, &h, &err)) {
		ctl_fail(out, "internal", "%s", err.msg);
		goto out;
	}
	{
		int64_t down = -1;
		enum translate_result tr = offsets_translate(&h, j->offset, &down);

		CTL_TABLE(out, translate_cols);
		CTL_ROW(out->rows, translate_cols, json_string(j->flow), json_string(j->topic),
			json_integer(j->partition), json_integer((json_int_t)j->offset),
			tr == TRANSLATE_OK ? json_integer((json_int_t)down) : json_null(),
			json_string(translate_result_str(tr)));
		if (tr == TRANSLATE_BELOW_HISTORY)
			snprintf(out->message, sizeof(out->message),
				 "the history of %s[%d] is exact from offset %lld", j->topic,
				 (int)j->partition, (long long)offset_history_from(&h));
	}
out:
	if (out->err_code) {
		json_decref(out->columns);
		json_decref(out->rows);
		out->columns = out->rows = NULL;
	}
	offset_history_free(&h);
	state_close(st);
}

static const struct ctl_job_ops sync_ops = { sync_job_run, sync_job_free };

/* A job for FLOW TOPIC PARTITION [OFFSET] (M's arguments), or NULL with R
 * failed (an unknown flow: not_found). */
static struct sync_job *sync_job_new(struct runtime *rt, const struct cmd_match *m,
				     struct ctl_reply *r)
{
	const char *flow = m->args[0], *topic = m->args[1];
	struct rt_flow *f = runtime_flow(rt, flow);
	struct part_stat *v = NULL;
	struct sync_job *j;
	size_t n;

	if (!f) {
		ctl_fail(r, "not_found",
			 "FLOW: no flow %s in the running configuration (see show flows)", flow);
		return NULL;
	}
	j = calloc(1, sizeof(*j));
	if (!j || !(j->state_dir = strdup(rt->state_dir))) {
		sync_job_free(j);
		ctl_fail(r, "internal", "out of memory");
		return NULL;
	}
	snprintf(j->flow, sizeof(j->flow), "%s", flow);
	snprintf(j->topic, sizeof(j->topic), "%s", topic);
	/* both validated by the grammar: PARTITION 0..INT32_MAX, OFFSET 0 or more */
	j->partition = (int32_t)strtol(m->args[2], NULL, 10);
	j->offset = m->nargs > 3 ? strtoll(m->args[3], NULL, 10) : -1;
	n = runtime_flow_partitions(rt, f, &v);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i].topic, topic) != 0)
			continue;
		j->topic_known = 1;
		j->part_known |= v[i].partition == j->partition;
	}
	free(v);
	return j;
}

void ctl_show_offset_syncs(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
			   struct ctl_reply *r)
{
	struct sync_job *j = sync_job_new(rt, m, r);

	(void)s;
	/* j passes to the offload; the rows come from its worker */
	if (j)
		ctl_offload(r, &sync_ops, j);
}

void ctl_translate_offset(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
			  struct ctl_reply *r)
{
	ctl_show_offset_syncs(rt, s, m, r); /* the same job; OFFSET makes it translate */
}

/* show checkpoints, off the loop */
struct ckpt_job {
	char *state_dir, *group; /* group: NULL for all */
};

static void ckpt_job_free(void *job)
{
	struct ckpt_job *j = job;

	if (!j)
		return;
	free(j->state_dir);
	free(j->group);
	free(j);
}

static const char *const checkpoints_cols[] = {
	"flow",      "group",    "topic",      "remote topic",
	"partition", "upstream", "downstream", "emitted at",
};

static void ckpt_row(void *ctx, const struct state_checkpoint *c)
{
	struct ctl_reply *r = ctx;

	CTL_ROW(r->rows, checkpoints_cols, json_string(c->flow), json_string(c->group),
		json_string(c->topic), json_string(c->remote_topic), json_integer(c->partition),
		json_integer((json_int_t)c->upstream), json_integer((json_int_t)c->downstream),
		ctl_opt_ts(c->ts_ms));
}

static void ckpt_job_run(void *job, struct ctl_reply *out)
{
	struct ckpt_job *j = job;
	struct state *st = NULL;
	struct ferr err;

	CTL_TABLE(out, checkpoints_cols);
	if (state_open_worker(j->state_dir, &st, &err) ||
	    state_checkpoints_list(st, j->group, ckpt_row, out, &err))
		ctl_fail(out, "internal", "%s", err.msg);
	state_close(st);
}

static const struct ctl_job_ops ckpt_ops = { ckpt_job_run, ckpt_job_free };

void ctl_show_checkpoints(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
			  struct ctl_reply *r)
{
	const char *group = m->nargs > 0 ? m->args[0] : NULL;
	struct ckpt_job *j = calloc(1, sizeof(*j));

	(void)s;
	if (!j || !(j->state_dir = strdup(rt->state_dir)) ||
	    (group && !(j->group = strdup(group)))) {
		ckpt_job_free(j);
		ctl_fail(r, "internal", "out of memory");
		return;
	}
	/* j passes to the offload; the rows come from its worker */
	ctl_offload(r, &ckpt_ops, j);
}

static const char *const heartbeats_cols[] = { "source", "target", "topic", "sent", "last sent" };

void ctl_show_heartbeats(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
			 struct ctl_reply *r)
{
	const struct conf *c = rt->conf;

	(void)s;
	(void)m;
	CTL_TABLE(r, heartbeats_cols);
	for (size_t i = 0; i < c->nheartbeats; i++) {
		const struct conf_heartbeat *hb = &c->heartbeats[i];
		uint64_t sent;
		int64_t last;

		heartbeats_count(hb->source, hb->target, hb->topic, &sent, &last);
		CTL_ROW(r->rows, heartbeats_cols, json_string(hb->source), json_string(hb->target),
			json_string(hb->topic), json_integer((json_int_t)sent), ctl_opt_ts(last));
	}
}
