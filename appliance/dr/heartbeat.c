/*
 * heartbeat.c — one thread, one producer per cluster that receives
 * heartbeats.
 */
#include "lib/clock.h"
#include "appliance/dr/heartbeat.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "appliance/kafka/kadmin.h"
#include "appliance/kafka/kclient.h"
#include "appliance/log.h"
#include "appliance/kafka/reach.h"
#include "appliance/kafka/mm2fmt.h"

struct hb_target {
	const char *alias;
	rd_kafka_t *rk;
	int rf;
	char topic[256];
	int topic_ready;
};

struct heartbeats {
	struct conf *conf;
	pthread_t thr;
	atomic_int stop;
	struct hb_target *targets;
	size_t ntargets;
	int64_t *due; /* per conf->heartbeats entry */
};

/* Heartbeats acknowledged per (source, target, topic) since ferryd
 * started: kept apart from struct heartbeats, which a commit replaces.
 * Written by the heartbeat thread's delivery reports, read by the control
 * plane; a few entries, so a list under a lock. */
struct hb_count {
	char source[256], target[256], topic[256];
	uint64_t sent;
	int64_t last_ms;
	struct hb_count *next;
};
static pthread_mutex_t counts_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hb_count *counts; /* under counts_lock; lives as long as the process */

static struct hb_count *count_of(const char *source, const char *target, const char *topic)
{
	for (struct hb_count *k = counts; k; k = k->next)
		if (strcmp(k->source, source) == 0 && strcmp(k->target, target) == 0 &&
		    strcmp(k->topic, topic) == 0)
			return k;
	return NULL;
}

void heartbeats_count(const char *source, const char *target, const char *topic, uint64_t *sent,
		      int64_t *last_ms)
{
	const struct hb_count *k;

	pthread_mutex_lock(&counts_lock);
	k = count_of(source, target, topic);
	*sent = k ? k->sent : 0;
	*last_ms = k ? k->last_ms : -1;
	pthread_mutex_unlock(&counts_lock);
}

/* The delivery report of a heartbeat (served by rd_kafka_poll on the
 * heartbeat thread); the message's opaque is its index in conf->heartbeats. */
static void on_hb_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	const struct heartbeats *h = kclient_opaque(rk);
	size_t i = (size_t)(uintptr_t)m->_private;
	const struct conf_heartbeat *hb;
	struct hb_count *k;

	(void)opaque;
	if (m->err || !h || i >= h->conf->nheartbeats)
		return;
	hb = &h->conf->heartbeats[i];
	pthread_mutex_lock(&counts_lock);
	k = count_of(hb->source, hb->target, hb->topic);
	if (!k && (k = calloc(1, sizeof(*k))) != NULL) {
		snprintf(k->source, sizeof(k->source), "%s", hb->source);
		snprintf(k->target, sizeof(k->target), "%s", hb->target);
		snprintf(k->topic, sizeof(k->topic), "%s", hb->topic);
		k->next = counts;
		counts = k; /* the list owns it */
	}
	if (k) {
		k->sent++;
		k->last_ms = clock_wall_ms();
	}
	pthread_mutex_unlock(&counts_lock);
}

static struct hb_target *target_of(struct heartbeats *h, const char *alias)
{
	for (size_t i = 0; i < h->ntargets; i++)
		if (strcmp(h->targets[i].alias, alias) == 0)
			return &h->targets[i];
	return NULL;
}

static void *hb_main(void *arg)
{
	struct heartbeats *h = arg;
	const struct conf *c = h->conf;
	int64_t next_topic_try = 0;

	/* a stop ends a topic creation's wait too: ferryd's shutdown never waits
	 * out a target that does not answer */
	kadmin_thread_stop(&h->stop);
	while (!atomic_load(&h->stop)) {
		int64_t now = clock_mono_ms();

		/* the heartbeats topic: compacted, one partition, as MM2 makes it */
		if (now >= next_topic_try) {
			int missing = 0;

			for (size_t i = 0; i < h->ntargets; i++) {
				struct hb_target *t = &h->targets[i];
				static const char *const cfg[] = { "cleanup.policy", "compact",
								   NULL };
				struct ferr err;

				if (t->topic_ready || atomic_load(&h->stop))
					continue;
				if (kadmin_ensure_topic(t->rk, t->topic, 1, t->rf, cfg, 10000,
							&err) >= 0)
					t->topic_ready = 1;
				else {
					missing = 1;
					/* an unreachable cluster is logged once (reach.c), not
					 * at every try */
					log_msg(reach_cluster(t->alias, NULL, 0, NULL, NULL) ==
								REACH_UNREACHABLE
							? LOG_LVL_DEBUG
							: LOG_LVL_WARNING,
						"heartbeats: %s on %s: %s; retrying", t->topic,
						t->alias, err.msg);
				}
			}
			next_topic_try = missing ? now + 10000 : INT64_MAX;
		}
		for (size_t i = 0; i < c->nheartbeats; i++) {
			const struct conf_heartbeat *hb = &c->heartbeats[i];
			struct hb_target *t = target_of(h, hb->target);
			struct mm2buf k, v;

			if (!t || !t->topic_ready || now < h->due[i])
				continue;
			h->due[i] = now + hb->interval_s * 1000;
			mm2_heartbeat_key(&k, hb->source, hb->target);
			mm2_heartbeat_value(&v, clock_wall_ms());
			/* a heartbeat that cannot be queued is simply skipped */
			rd_kafka_producev(t->rk, RD_KAFKA_V_TOPIC(t->topic),
					  RD_KAFKA_V_PARTITION(0),
					  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
					  RD_KAFKA_V_KEY(k.data, k.len),
					  RD_KAFKA_V_VALUE(v.data, v.len),
					  RD_KAFKA_V_TIMESTAMP(clock_wall_ms()),
					  RD_KAFKA_V_OPAQUE((void *)(uintptr_t)i), RD_KAFKA_V_END);
		}
		for (size_t i = 0; i < h->ntargets; i++)
			rd_kafka_poll(h->targets[i].rk, 0);
		{
			struct timespec ts = { 0, 100 * 1000000L };

			nanosleep(&ts, NULL);
		}
	}
	for (size_t i = 0; i < h->ntargets; i++)
		rd_kafka_flush(h->targets[i].rk, 2000);
	return NULL;
}

/* Frees H and its clients (its thread is not running). */
static void hb_free(struct heartbeats *h)
{
	for (size_t i = 0; i < h->ntargets; i++)
		kclient_destroy(h->targets[i].rk);
	free(h->targets);
	free(h->due);
	conf_unref(h->conf);
	free(h);
}

int heartbeats_start(struct conf *c, struct heartbeats **out, struct ferr *err)
{
	struct heartbeats *h;

	*out = NULL;
	if (c->nheartbeats == 0)
		return 0;
	h = calloc(1, sizeof(*h));
	if (!h)
		return ferr_set(err, "out of memory");
	h->conf = conf_ref(c);
	h->due = calloc(c->nheartbeats, sizeof(*h->due));
	h->targets = calloc(c->nclusters, sizeof(*h->targets));
	if (!h->due || !h->targets) {
		ferr_set(err, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < c->nheartbeats; i++) {
		const struct conf_heartbeat *hb = &c->heartbeats[i];
		struct hb_target *t;
		struct props settings;
		char what[300];
		struct kclient_opts o;
		const struct kv def[] = { { "linger.ms", "0" },
					  { "log.connection.close", "false" },
					  { "message.timeout.ms", "30000" },
					  { NULL, NULL } };

		if (target_of(h, hb->target))
			continue;
		t = &h->targets[h->ntargets];
		t->alias = hb->target;
		t->rf = hb->rf;
		snprintf(t->topic, sizeof(t->topic), "%s", hb->topic);
		if (conf_cluster_settings(c, hb->target, ROLE_PRODUCER, &settings)) {
			ferr_set(err, "out of memory");
			goto fail;
		}
		snprintf(what, sizeof(what), "heartbeats producer to %s", hb->target);
		o = (struct kclient_opts){ .what = what,
					   .defaults = def,
					   .cluster = hb->target,
					   .opaque = h,
					   .dr_msg_cb = on_hb_delivery };
		if (kclient_new(RD_KAFKA_PRODUCER, &settings, ROLE_PRODUCER, &o, &t->rk, err)) {
			props_free(&settings);
			goto fail;
		}
		props_free(&settings);
		h->ntargets++;
	}
	if (pthread_create(&h->thr, NULL, hb_main, h) != 0) {
		ferr_set(err, "cannot start the heartbeat thread");
		goto fail;
	}
	*out = h;
	return 0;
fail:
	hb_free(h);
	return -1;
}

void heartbeats_stop(struct heartbeats *h)
{
	if (!h)
		return;
	atomic_store(&h->stop, 1);
	pthread_join(h->thr, NULL);
	hb_free(h);
}
