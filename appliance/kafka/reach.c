/*
 * reach.c — the registry of cluster watchers and each cluster's
 * reachability (see reach.h).
 */
#include "appliance/kafka/reach.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "appliance/log.h"

struct rcluster {
	struct rcluster *next;
	char name[256];
	enum reach_state state; /* as last derived from its watchers */
	char why[400];
	int64_t since_wall, since_mono; /* when it became unreachable */
	int64_t unreachable_ms;         /* earlier episodes, summed */
};

struct reach {
	struct reach *next;
	struct rcluster *c;
	char owner[256];
	enum reach_state state;
	char why[400];
	int64_t since_mono;
	unsigned gen;
};

/* guards everything below and every watcher's fields */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct rcluster *clusters;
static struct reach *watchers;

const char *reach_state_name(enum reach_state s)
{
	switch (s) {
	case REACH_UNKNOWN:
		return "unknown";
	case REACH_REACHABLE:
		return "reachable";
	case REACH_UNREACHABLE:
		return "unreachable";
	}
	return "?";
}

static struct rcluster *cluster_get(const char *name, int create)
{
	struct rcluster *c;

	for (c = clusters; c; c = c->next)
		if (strcmp(c->name, name) == 0)
			return c;
	if (!create || !(c = calloc(1, sizeof(*c))))
		return NULL;
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->next = clusters;
	clusters = c;
	return c;
}

/* Derives C's state from its watchers and logs a change (mu held): the
 * one line an outage and its end each cost in the log. */
static void derive(struct rcluster *c)
{
	const struct reach *down = NULL;
	enum reach_state st = REACH_UNKNOWN;
	int64_t now = clock_mono_ms();

	for (const struct reach *w = watchers; w; w = w->next) {
		if (w->c != c)
			continue;
		if (w->state == REACH_UNREACHABLE) {
			if (!down || w->since_mono < down->since_mono)
				down = w;
			st = REACH_UNREACHABLE;
		} else if (w->state == REACH_REACHABLE && st == REACH_UNKNOWN) {
			st = REACH_REACHABLE;
		}
	}
	if (down)
		snprintf(c->why, sizeof(c->why), "%s", down->why);
	if (st == c->state)
		return;
	if (st == REACH_UNREACHABLE) {
		c->since_wall = clock_wall_ms();
		c->since_mono = now;
		log_warn("cluster %s unreachable: %s", c->name, c->why);
	} else if (c->state == REACH_UNREACHABLE) {
		int64_t secs = (now - c->since_mono) / 1000;

		c->unreachable_ms += now - c->since_mono;
		if (st == REACH_REACHABLE)
			log_info("cluster %s reachable again (unreachable for %" PRId64 " s)",
				 c->name, secs);
		else
			log_info("cluster %s: no running flow uses it any more (it was unreachable "
				 "for %" PRId64 " s)",
				 c->name, secs);
	}
	c->state = st;
}

struct reach *reach_new(const char *cluster, const char *owner)
{
	struct reach *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	snprintf(r->owner, sizeof(r->owner), "%s", owner);
	pthread_mutex_lock(&mu);
	r->c = cluster_get(cluster, 1);
	if (!r->c) {
		pthread_mutex_unlock(&mu);
		free(r);
		return NULL;
	}
	r->next = watchers;
	watchers = r;
	pthread_mutex_unlock(&mu);
	return r;
}

void reach_free(struct reach *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&mu);
	for (struct reach **p = &watchers; *p; p = &(*p)->next) {
		if (*p == r) {
			*p = r->next;
			break;
		}
	}
	derive(r->c);
	pthread_mutex_unlock(&mu);
	free(r);
}

void reach_down(struct reach *r, const char *why)
{
	if (!r)
		return;
	pthread_mutex_lock(&mu);
	if (r->state != REACH_UNREACHABLE) {
		r->since_mono = clock_mono_ms();
		log_debug("%s: %s unreachable: %s", r->owner, r->c->name, why);
	}
	r->state = REACH_UNREACHABLE;
	snprintf(r->why, sizeof(r->why), "%s", why);
	derive(r->c);
	pthread_mutex_unlock(&mu);
}

void reach_up(struct reach *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&mu);
	if (r->state == REACH_UNREACHABLE)
		log_debug("%s: %s reachable", r->owner, r->c->name);
	r->state = REACH_REACHABLE;
	r->why[0] = '\0';
	r->gen++;
	derive(r->c);
	pthread_mutex_unlock(&mu);
}

unsigned reach_generation(const struct reach *r)
{
	unsigned g;

	if (!r)
		return 0;
	pthread_mutex_lock(&mu);
	g = r->gen;
	pthread_mutex_unlock(&mu);
	return g;
}

int reach_is_down(struct reach *r, char *buf, size_t sz)
{
	int down;

	if (!r)
		return 0;
	pthread_mutex_lock(&mu);
	down = r->state == REACH_UNREACHABLE;
	if (down && buf)
		snprintf(buf, sz, "%s", r->why);
	/* a watcher that has heard nothing yet (a flow just resumed or
	 * restarted by a commit) takes what the other watchers know, so the
	 * flow does not read "starting" while its cluster is known down */
	if (!down && r->state == REACH_UNKNOWN && r->c->state == REACH_UNREACHABLE) {
		down = 1;
		if (buf)
			snprintf(buf, sz, "%s", r->c->why);
	}
	pthread_mutex_unlock(&mu);
	return down;
}

const char *reach_cluster_of(const struct reach *r)
{
	/* the cluster record lives until reach_shutdown(): no lock needed */
	return r ? r->c->name : "";
}

enum reach_state reach_cluster(const char *cluster, char *why, size_t sz, int64_t *since_ms,
			       int64_t *unreachable_ms)
{
	enum reach_state st = REACH_UNKNOWN;
	struct rcluster *c;

	if (why && sz)
		why[0] = '\0';
	if (since_ms)
		*since_ms = 0;
	if (unreachable_ms)
		*unreachable_ms = 0;
	pthread_mutex_lock(&mu);
	c = cluster_get(cluster, 0);
	if (c) {
		st = c->state;
		if (unreachable_ms)
			*unreachable_ms = c->unreachable_ms;
		if (st == REACH_UNREACHABLE) {
			if (why)
				snprintf(why, sz, "%s", c->why);
			if (since_ms)
				*since_ms = c->since_wall;
			if (unreachable_ms)
				*unreachable_ms += clock_mono_ms() - c->since_mono;
		}
	}
	pthread_mutex_unlock(&mu);
	return st;
}

void reach_shutdown(void)
{
	pthread_mutex_lock(&mu);
	while (clusters) {
		struct rcluster *c = clusters;

		clusters = c->next;
		free(c);
	}
	pthread_mutex_unlock(&mu);
}
