/*
 * flow.c — lifecycle of one flow: its threads, its stop flag, its failure.
 */
#include "appliance/data/flow.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/store/audit.h"
#include "appliance/log.h"
#include "appliance/data/mirror.h"
#include "appliance/sync/topicconf.h"
#include "appliance/sync/aclsync.h"

const char *flow_status_name(enum flow_status s)
{
	switch (s) {
	case FLOW_STARTING:
		return "starting";
	case FLOW_RUNNING:
		return "running";
	case FLOW_FAILED:
		return "failed";
	case FLOW_STOPPED:
		return "stopped";
	}
	return "?";
}

enum flow_status flow_get_status(struct flow *f)
{
	return (enum flow_status)atomic_load(&f->status);
}

void flow_request_stop(struct flow *f)
{
	pthread_mutex_lock(&f->lock);
	atomic_store(&f->stop, 1);
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
}

void flow_fail(struct flow *f, const char *fmt, ...)
{
	va_list ap;
	int first;

	pthread_mutex_lock(&f->lock);
	first = atomic_load(&f->status) != FLOW_FAILED;
	if (first) {
		va_start(ap, fmt);
		vsnprintf(f->fail_reason, sizeof(f->fail_reason), fmt, ap);
		va_end(ap);
		atomic_store(&f->status, FLOW_FAILED);
	}
	atomic_store(&f->stop, 1);
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
	if (first) {
		log_error("flow %s failed: %s", f->cf->name, f->fail_reason);
		audit_system("error", "flow %s failed: %s", f->cf->name, f->fail_reason);
	}
}

void flow_stall(struct flow *f, const char *fmt, ...)
{
	char reason[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&f->lock);
	if (atomic_fetch_add(&f->stalled_tasks, 1) == 0)
		snprintf(f->stall_reason, sizeof(f->stall_reason), "%s", reason);
	pthread_mutex_unlock(&f->lock);
	log_error("flow %s stalled: %s", f->cf->name, reason);
	audit_system("error", "flow %s stalled: %s", f->cf->name, reason);
}

void flow_unstall(struct flow *f, const char *what)
{
	pthread_mutex_lock(&f->lock);
	atomic_fetch_sub(&f->stalled_tasks, 1);
	pthread_mutex_unlock(&f->lock);
	log_info("flow %s resumed: %s", f->cf->name, what);
	audit_system("ok", "flow %s resumed: %s", f->cf->name, what);
}

const char *flow_stalled(struct flow *f)
{
	if (atomic_load(&f->stalled_tasks) == 0)
		return NULL;
	pthread_mutex_lock(&f->lock);
	snprintf(f->stall_view, sizeof(f->stall_view), "%s", f->stall_reason);
	pthread_mutex_unlock(&f->lock);
	return f->stall_view;
}

int flow_unreachable(struct flow *f, char *buf, size_t sz)
{
	struct reach *side[2] = { f->reach_src, f->reach_tgt };
	char why[400];

	for (int i = 0; i < 2; i++) {
		if (reach_is_down(side[i], why, sizeof(why))) {
			snprintf(buf, sz, "%s unreachable: %s", reach_cluster_of(side[i]), why);
			return 1;
		}
	}
	return 0;
}

/* FNV-1a over topic and partition: a partition's task never changes as
 * topics and partitions are added. */
static int task_of(const struct flow *f, const char *topic, int32_t partition)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)topic; *p; p++)
		h = (h ^ *p) * 16777619u;
	for (int i = 0; i < 4; i++)
		h = (h ^ ((uint32_t)partition >> (8 * i) & 0xff)) * 16777619u;
	return (int)(h % (uint32_t)f->ntasks);
}

void flow_assign(struct flow *f, const char *topic, const char *remote, int32_t partition)
{
	mirror_task_add(f->tasks[task_of(f, topic, partition)], topic, remote, partition);
}

int flow_stopped_partitions(struct flow *f, char *buf, size_t sz)
{
	struct part_stat *v = NULL;
	size_t n, any = 0;
	int stopped = 0;
	const struct part_stat *first = NULL;

	/* from the tasks' snapshots, published at every stop and resume; the
	 * status tick asks every second, so copy the partitions only when a
	 * task has a stopped one */
	for (int i = 0; i < f->ntasks; i++)
		any += mirror_task_stopped(f->tasks[i]);
	if (!any)
		return 0;
	n = flow_partitions(f, &v);
	for (size_t i = 0; i < n; i++) {
		if (!v[i].stopped)
			continue;
		stopped++;
		if (!first || strcmp(v[i].topic, first->topic) < 0 ||
		    (strcmp(v[i].topic, first->topic) == 0 && v[i].partition < first->partition))
			first = &v[i];
	}
	if (stopped == 1)
		snprintf(buf, sz, "partition %s[%d] stopped: %s", first->topic,
			 (int)first->partition, first->reason);
	else if (stopped > 1)
		snprintf(buf, sz, "%d partitions stopped, %s[%d] among them: %s", stopped,
			 first->topic, (int)first->partition, first->reason);
	free(v);
	return stopped;
}

int flow_resume_partition(struct flow *f, const char *topic, int32_t partition, int64_t from,
			  struct ferr *err)
{
	if (mirror_task_resume(f->tasks[task_of(f, topic, partition)], topic, partition, from))
		return ferr_set(err, "out of memory");
	return 0;
}

int flow_start(const struct conf *conf, const struct conf_flow *cf, const char *state_dir,
	       struct flow **out, struct ferr *err)
{
	struct flow *f = calloc(1, sizeof(*f));
	pthread_condattr_t ca;
	int rc;

	if (!f)
		return ferr_set(err, "out of memory");
	f->conf = conf;
	f->cf = cf;
	/* the refcount is the only thing changed through it */
	f->placement_conf = conf_ref((struct conf *)conf);
	f->state_dir = strdup(state_dir);
	atomic_init(&f->status, FLOW_STARTING);
	pthread_mutex_init(&f->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&f->cond, &ca);
	pthread_condattr_destroy(&ca);
	// NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, sized by its element
	f->tasks = calloc((size_t)cf->tasks_max, sizeof(*f->tasks));
	f->reach_src = reach_new(cf->source, cf->name);
	f->reach_tgt = reach_new(cf->target, cf->name);
	if (!f->state_dir || !f->tasks || !f->reach_src || !f->reach_tgt) {
		ferr_set(err, "out of memory");
		goto fail;
	}
	/* every client is created before any thread runs, so a bad setting
	 * fails the start as a whole */
	for (int i = 0; i < cf->tasks_max; i++) {
		if (mirror_task_new(f, i, &f->tasks[i], err))
			goto fail;
		f->ntasks++;
	}
	for (int i = 0; i < f->ntasks; i++)
		if (mirror_task_start(f->tasks[i], err))
			goto fail;
	rc = pthread_create(&f->discover_thr, NULL, discover_main, f);
	if (rc != 0) {
		ferr_set(err, "%s: cannot start discovery thread: %s", cf->name, strerror(rc));
		goto fail;
	}
	f->discover_started = 1;
	if (cf->emit_checkpoints || cf->sync_group_offsets) {
		rc = pthread_create(&f->checkpoint_thr, NULL, checkpoint_main, f);
		if (rc != 0) {
			ferr_set(err, "%s: cannot start checkpoint thread: %s", cf->name,
				 strerror(rc));
			goto fail;
		}
		f->checkpoint_started = 1;
	}
	if (cf->sync_topic_configs) {
		rc = pthread_create(&f->topicconf_thr, NULL, topicconf_main, f);
		if (rc != 0) {
			ferr_set(err, "%s: cannot start topic config sync thread: %s", cf->name,
				 strerror(rc));
			goto fail;
		}
		f->topicconf_started = 1;
	}
	/* a failback flow copies back what the sync put on its source */
	if (cf->sync_acls && !cf->failback_of[0]) {
		rc = pthread_create(&f->aclsync_thr, NULL, aclsync_main, f);
		if (rc != 0) {
			ferr_set(err, "%s: cannot start ACL sync thread: %s", cf->name,
				 strerror(rc));
			goto fail;
		}
		f->aclsync_started = 1;
	}
	if (cf->canary_enabled) {
		rc = pthread_create(&f->canary_thr, NULL, canary_main, f);
		if (rc != 0) {
			ferr_set(err, "%s: cannot start canary thread: %s", cf->name, strerror(rc));
			goto fail;
		}
		f->canary_started = 1;
	}
	*out = f;
	return 0;
fail:
	atomic_store(&f->stop, 1);
	flow_join(f, NULL);
	return -1;
}

void flow_counters_add(struct flow *f, struct flow_counters *total)
{
	total->records += atomic_load(&f->records);
	total->bytes += atomic_load(&f->bytes);
	total->checkpoints += atomic_load(&f->checkpoints_written);
	total->store_errors += atomic_load(&f->store_errors);
	total->topic_config_syncs += atomic_load(&f->topic_config_syncs);
	total->topic_config_sync_errors += atomic_load(&f->topic_config_sync_errors);
	total->acl_created += atomic_load(&f->acl_created);
	total->acl_removed += atomic_load(&f->acl_removed);
	total->acl_failures += atomic_load(&f->acl_failures);
}

void flow_join(struct flow *f, struct flow_counters *total)
{
	if (!f)
		return;
	if (f->discover_started)
		pthread_join(f->discover_thr, NULL);
	if (f->canary_started)
		pthread_join(f->canary_thr, NULL);
	if (f->checkpoint_started)
		pthread_join(f->checkpoint_thr, NULL);
	if (f->topicconf_started)
		pthread_join(f->topicconf_thr, NULL);
	if (f->aclsync_started)
		pthread_join(f->aclsync_thr, NULL);
	for (int i = 0; i < f->ntasks; i++)
		mirror_task_join(f->tasks[i]);
	if (total)
		flow_counters_add(f, total);
	free(f->tasks);
	/* after every client that reports to them is gone */
	reach_free(f->reach_src);
	reach_free(f->reach_tgt);
	pthread_cond_destroy(&f->cond);
	pthread_mutex_destroy(&f->lock);
	conf_unref(f->placement_conf);
	free(f->held);
	free(f->state_dir);
	free(f);
}

void flow_set_placement(struct flow *f, struct conf *c)
{
	struct conf *old;

	pthread_mutex_lock(&f->lock);
	old = f->placement_conf;
	f->placement_conf = conf_ref(c);
	atomic_fetch_add(&f->placement_gen, 1);
	pthread_cond_broadcast(&f->cond); /* discovery: a round now */
	pthread_mutex_unlock(&f->lock);
	conf_unref(old);
}

struct conf *flow_placement(struct flow *f, unsigned *gen)
{
	struct conf *c;

	pthread_mutex_lock(&f->lock);
	c = conf_ref(f->placement_conf);
	*gen = atomic_load(&f->placement_gen);
	pthread_mutex_unlock(&f->lock);
	return c;
}

void flow_set_held(struct flow *f, const struct placement_hold *v, size_t n)
{
	struct placement_hold *copy = n ? malloc(n * sizeof(*copy)) : NULL;

	if (n && !copy)
		return; /* the last list stays: shown a little stale, nothing copied */
	if (n)
		memcpy(copy, v, n * sizeof(*copy));
	pthread_mutex_lock(&f->lock);
	free(f->held);
	f->held = copy; /* owned by the flow from here */
	f->nheld = n;
	pthread_mutex_unlock(&f->lock);
	atomic_store(&f->topics_blocked, n);
}

size_t flow_held(struct flow *f, struct placement_hold **out)
{
	size_t n;

	*out = NULL;
	pthread_mutex_lock(&f->lock);
	n = f->nheld;
	if (n) {
		*out = malloc(n * sizeof(**out));
		if (*out)
			memcpy(*out, f->held, n * sizeof(**out));
		else
			n = 0;
	}
	pthread_mutex_unlock(&f->lock);
	return n;
}

size_t flow_partitions(struct flow *f, struct part_stat **out)
{
	struct part_stat *all = NULL;
	size_t n = 0;

	for (int i = 0; i < f->ntasks; i++) {
		struct part_stat *v;
		struct lat_window r = { 0 }, a = { 0 };
		size_t k = mirror_task_snapshot(f->tasks[i], &v, &r, &a);
		struct part_stat *na;

		if (!k)
			continue;
		na = realloc(all, (n + k) * sizeof(*na));
		if (!na) {
			free(v);
			continue;
		}
		all = na;
		memcpy(all + n, v, k * sizeof(*v));
		n += k;
		free(v);
	}
	*out = all;
	return n;
}

void flow_latency(struct flow *f, struct lat_window *replication, struct lat_window *age)
{
	memset(replication, 0, sizeof(*replication));
	memset(age, 0, sizeof(*age));
	for (int i = 0; i < f->ntasks; i++) {
		struct part_stat *v;

		mirror_task_snapshot(f->tasks[i], &v, replication, age);
		free(v);
	}
}
