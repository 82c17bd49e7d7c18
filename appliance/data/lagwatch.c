/*
 * lagwatch.c — end offsets of paused flows' source partitions, off the
 * main loop (see lagwatch.h).
 *
 * The entries of the watch list are made by the main thread (lagwatch_sync)
 * and freed only by the watch thread: the main thread marks an entry gone,
 * the thread takes it off the list at its next round and frees it with its
 * Kafka handle. An entry's name and settings never change once made (new
 * settings make a new entry), so the thread reads them without the lock;
 * its answer (parts, error) is written and read under the lock.
 */
#include "appliance/data/lagwatch.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "lib/clock.h"
#include "appliance/kafka/kclient.h"
#include "appliance/log.h"
#include "appliance/store/state.h"

#define LW_INTERVAL_MS 5000 /* between rounds (about a Prometheus scrape) */
#define LW_QUERY_MS 4000    /* one flow's end offsets, all partitions at once */

struct lw_flow {
	char name[256];
	struct props consumer; /* owned copy */
	int read_uncommitted;
	int gone;                /* under lock: no longer paused (the thread frees it) */
	rd_kafka_t *rk;          /* watch thread only */
	struct part_stat *parts; /* under lock: the last answer (owned) */
	size_t nparts;
	int answered; /* under lock: parts hold an answer */
};

struct lagwatch {
	char *state_dir;
	pthread_t thr;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stop;                 /* under lock */
	uint64_t asked, answered; /* under lock: rounds asked for, the last one answered */
	struct lw_flow **v;       /* under lock */
	size_t n;
	struct state *st; /* watch thread only */
};

static void lw_flow_free(struct lw_flow *e)
{
	if (!e)
		return;
	if (e->rk)
		kclient_destroy(e->rk);
	props_free(&e->consumer);
	free(e->parts);
	free(e);
}

/* ---- the watch thread ---- */

struct pos_list {
	struct part_stat *v;
	size_t n, cap;
	int oom;
};

static void add_pos(void *ctx, const char *flow, const char *topic, int32_t partition,
		    int64_t next_offset, int64_t updated_ms)
{
	struct pos_list *l = ctx;

	(void)flow;
	(void)updated_ms;
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 16;
		struct part_stat *nv = realloc(l->v, ncap * sizeof(*nv));

		if (!nv) {
			l->oom = 1;
			return;
		}
		l->v = nv;
		l->cap = ncap;
	}
	memset(&l->v[l->n], 0, sizeof(l->v[0]));
	snprintf(l->v[l->n].topic, sizeof(l->v[0].topic), "%s", topic);
	l->v[l->n].partition = partition;
	l->v[l->n].position = next_offset >= 0 ? next_offset : -1;
	l->v[l->n].saved = l->v[l->n].position;
	l->v[l->n].end_offset = -1;
	l->v[l->n].position_ts = -1; /* nothing of a paused flow is fetched */
	l->n++;
}

static int make_handle(struct lw_flow *e, struct ferr *err)
{
	char what[400], cid[300];
	const struct kv defaults[] = {
		{ "client.id", cid },
		{ "log.connection.close", "false" },
		{ NULL, NULL },
	};
	/* the end the mirror's consumer would read to: the last stable offset
	 * under read_committed, as its fetches report it while it runs */
	const struct kv forced[] = {
		{ "enable.auto.commit", "false" },
		{ "isolation.level", e->read_uncommitted ? "read_uncommitted" : "read_committed" },
		{ NULL, NULL },
	};
	struct kclient_opts o = { .what = what, .defaults = defaults, .forced = forced };

	snprintf(what, sizeof(what), "%s (paused) end offsets", e->name);
	snprintf(cid, sizeof(cid), "ferry-%s-lag", e->name);
	return kclient_new(RD_KAFKA_CONSUMER, &e->consumer, ROLE_CONSUMER, &o, &e->rk, err);
}

/* One flow's answer: its saved positions, the source's end offsets (every
 * partition in one ListOffsets round, "latest"), the offsets never
 * mirrored. Runs on the watch thread; the answer replaces E's under the
 * lock. */
static void query(struct lagwatch *w, struct lw_flow *e)
{
	struct pos_list l = { 0 };
	struct ferr err;
	char why[300] = "";

	if (!w->st && state_open_worker(w->state_dir, &w->st, &err)) {
		log_warn("paused flows' lag: %s", err.msg);
		return;
	}
	if (state_positions_list(w->st, e->name, add_pos, &l, &err) || l.oom) {
		log_warn("paused flow %s: %s", e->name, l.oom ? "out of memory" : err.msg);
		free(l.v);
		return;
	}
	for (size_t i = 0; i < l.n; i++)
		if (state_gaps_total(w->st, e->name, l.v[i].topic, l.v[i].partition,
				     &l.v[i].never_mirrored, &err))
			l.v[i].never_mirrored = 0; /* a count for display only */
	if (l.n && !e->rk && make_handle(e, &err))
		snprintf(why, sizeof(why), "%.*s", (int)sizeof(why) - 1, err.msg);
	if (e->rk && l.n) {
		rd_kafka_topic_partition_list_t *tpl = rd_kafka_topic_partition_list_new((int)l.n);
		rd_kafka_resp_err_t rc;

		for (size_t i = 0; i < l.n; i++)
			rd_kafka_topic_partition_list_add(tpl, l.v[i].topic, l.v[i].partition)
				->offset = RD_KAFKA_OFFSET_END;
		/* a timestamp of -1 asks for the end: librdkafka 2.0.2 has no
		 * admin ListOffsets, and this is one request per leader where
		 * watermark queries are one per partition */
		rc = rd_kafka_offsets_for_times(e->rk, tpl, LW_QUERY_MS);
		if (rc)
			snprintf(why, sizeof(why), "end offsets from %s: %s", e->name,
				 rd_kafka_err2str(rc));
		for (int j = 0; !rc && j < tpl->cnt; j++) {
			const rd_kafka_topic_partition_t *p = &tpl->elems[j];

			for (size_t i = 0; i < l.n; i++) {
				if (l.v[i].partition != p->partition ||
				    strcmp(l.v[i].topic, p->topic) != 0)
					continue;
				if (p->err)
					snprintf(l.v[i].reason, sizeof(l.v[i].reason),
						 "end offset unknown: %s",
						 rd_kafka_err2str(p->err));
				else if (p->offset >= 0)
					l.v[i].end_offset = p->offset;
			}
		}
		rd_kafka_topic_partition_list_destroy(tpl);
	}
	if (*why) {
		for (size_t i = 0; i < l.n; i++)
			snprintf(l.v[i].reason, sizeof(l.v[i].reason), "end offset unknown: %.*s",
				 (int)sizeof(l.v[i].reason) - 21, why);
		log_debug("paused flow %s: %s", e->name, why);
	}
	pthread_mutex_lock(&w->lock);
	free(e->parts);
	e->parts = l.v; /* the answer passes to the entry */
	e->nparts = l.n;
	e->answered = 1;
	pthread_mutex_unlock(&w->lock);
}

static void *watch_main(void *arg)
{
	struct lagwatch *w = arg;
	int64_t next = 0;

	pthread_mutex_lock(&w->lock);
	while (!w->stop) {
		struct lw_flow **live = NULL, **dead = NULL;
		size_t nlive = 0, ndead = 0;
		uint64_t ticket;

		if (w->asked == w->answered && clock_mono_ms() < next) {
			struct timespec ts = clock_deadline(CLOCK_MONOTONIC,
							    next - clock_mono_ms());

			pthread_cond_timedwait(&w->cond, &w->lock, &ts);
			continue;
		}
		ticket = w->asked;
		/* gone entries leave the list; the others are queried outside the
		 * lock (nobody else frees them) */
		if (w->n) {
			// NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, sized by its element
			live = malloc(w->n * sizeof(*live));
			// NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, sized by its element
			dead = malloc(w->n * sizeof(*dead));
		}
		if (w->n && (!live || !dead)) {
			free(live);
			free(dead);
			next = clock_mono_ms() + LW_INTERVAL_MS;
			continue;
		}
		for (size_t i = 0, k = 0; i < w->n; i++) {
			if (w->v[i]->gone)
				dead[ndead++] = w->v[i];
			else
				w->v[k++] = live[nlive++] = w->v[i];
		}
		w->n = nlive;
		pthread_mutex_unlock(&w->lock);
		for (size_t i = 0; i < ndead; i++)
			lw_flow_free(dead[i]);
		for (size_t i = 0; i < nlive; i++) {
			pthread_mutex_lock(&w->lock);
			int stop = w->stop;
			pthread_mutex_unlock(&w->lock);

			if (stop)
				break;
			query(w, live[i]);
		}
		free(live);
		free(dead);
		pthread_mutex_lock(&w->lock);
		if (ticket > w->answered)
			w->answered = ticket;
		next = clock_mono_ms() + LW_INTERVAL_MS;
	}
	pthread_mutex_unlock(&w->lock);
	state_close(w->st);
	w->st = NULL;
	return NULL;
}

/* ---- the main thread's side ---- */

int lagwatch_start(const char *state_dir, struct lagwatch **out, struct ferr *err)
{
	struct lagwatch *w = calloc(1, sizeof(*w));
	pthread_condattr_t ca;
	int rc;

	*out = NULL;
	if (!w || !(w->state_dir = strdup(state_dir))) {
		free(w);
		return ferr_set(err, "out of memory");
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cond, &ca);
	pthread_condattr_destroy(&ca);
	rc = pthread_create(&w->thr, NULL, watch_main, w);
	if (rc != 0) {
		pthread_cond_destroy(&w->cond);
		pthread_mutex_destroy(&w->lock);
		free(w->state_dir);
		free(w);
		return ferr_set(err, "cannot start the paused flows' lag thread: %s", strerror(rc));
	}
	*out = w;
	return 0;
}

void lagwatch_stop(struct lagwatch *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = 1;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thr, NULL);
	for (size_t i = 0; i < w->n; i++)
		lw_flow_free(w->v[i]);
	free(w->v);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w->state_dir);
	free(w);
}

static int props_same(const struct props *a, const struct props *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i].key, b->v[i].key) != 0 ||
		    strcmp(a->v[i].value, b->v[i].value) != 0)
			return 0;
	return 1;
}

void lagwatch_sync(struct lagwatch *w, const struct lagwatch_flow *v, size_t n)
{
	int changed = 0;

	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < w->n; i++) {
		struct lw_flow *e = w->v[i];
		int keep = 0;

		for (size_t j = 0; j < n && !e->gone && !keep; j++)
			keep = strcmp(e->name, v[j].name) == 0 &&
			       e->read_uncommitted == v[j].read_uncommitted &&
			       props_same(&e->consumer, v[j].consumer);
		if (!keep)
			e->gone = 1;
	}
	for (size_t j = 0; j < n; j++) {
		struct lw_flow *e, **nv;
		int have = 0;

		for (size_t i = 0; i < w->n && !have; i++)
			have = !w->v[i]->gone && strcmp(w->v[i]->name, v[j].name) == 0;
		if (have)
			continue;
		e = calloc(1, sizeof(*e));
		// NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, sized by its element
		nv = e ? realloc(w->v, (w->n + 1) * sizeof(*nv)) : NULL;
		if (!nv || props_copy(v[j].consumer, v[j].name, &e->consumer)) {
			if (nv)
				w->v = nv;
			if (e)
				props_free(&e->consumer);
			free(e);
			log_error("paused flow %s: out of memory; its lag is not shown", v[j].name);
			continue;
		}
		w->v = nv;
		snprintf(e->name, sizeof(e->name), "%s", v[j].name);
		e->read_uncommitted = v[j].read_uncommitted;
		w->v[w->n++] = e; /* the list owns it; the watch thread frees it */
		changed = 1;
	}
	if (changed) {
		w->asked++;
		pthread_cond_broadcast(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
}

size_t lagwatch_partitions(struct lagwatch *w, const char *flow, struct part_stat **out)
{
	size_t n = 0;

	*out = NULL;
	if (!w)
		return 0;
	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < w->n; i++) {
		struct lw_flow *e = w->v[i];

		if (e->gone || !e->answered || strcmp(e->name, flow) != 0 || !e->nparts)
			continue;
		*out = malloc(e->nparts * sizeof(**out));
		if (*out) {
			memcpy(*out, e->parts, e->nparts * sizeof(**out));
			n = e->nparts;
		}
		break;
	}
	pthread_mutex_unlock(&w->lock);
	return n;
}

uint64_t lagwatch_refresh(struct lagwatch *w)
{
	uint64_t t;

	if (!w)
		return 0;
	pthread_mutex_lock(&w->lock);
	t = ++w->asked;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	return t;
}

int lagwatch_done(struct lagwatch *w, uint64_t ticket)
{
	int done;

	if (!w)
		return 1;
	pthread_mutex_lock(&w->lock);
	done = w->answered >= ticket;
	pthread_mutex_unlock(&w->lock);
	return done;
}
