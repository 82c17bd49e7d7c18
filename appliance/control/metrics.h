/*
 * metrics.h — the one metric registry. Each metric is defined once (MM2's
 * name, the Prometheus name, type, help); `show metrics` and the
 * Prometheus endpoint (/metrics over HTTP, libmicrohttpd) both read it.
 */
#ifndef FERRY_METRICS_H
#define FERRY_METRICS_H

#include <systemd/sd-event.h>

#include "lib/err.h"
#include "appliance/data/flow.h"
#include "appliance/runtime.h"

struct metric_def {
	const char *name; /* MM2's name where MM2 has one */
	const char *prom; /* Prometheus name */
	const char *type; /* "gauge" or "counter" */
	const char *help;
};

extern const struct metric_def metric_defs[];
extern const unsigned metric_defs_count;

/* LABELS is Prometheus-formatted: flow="A->B",topic="orders" */
typedef void (*metric_fn)(void *ctx, const struct metric_def *d, const char *labels, double value);
void metrics_collect(struct runtime *rt, metric_fn fn, void *ctx);

/* Source end offset minus mirrored position, or -1 when either is unknown. */
long long metrics_lag(const struct part_stat *p);

/* Called once a second by the main loop: samples byte counters for byte-rate. */
void metrics_tick(struct runtime *rt);

/* Frees what metrics_tick() keeps. */
void metrics_shutdown(void);

/* The Prometheus text exposition (format 0.0.4); caller frees. */
char *metrics_prometheus(struct runtime *rt);

struct metrics_http;
/* Serves /metrics on LISTEN ("host:port"); runs on the main loop. */
int metrics_http_start(sd_event *ev, struct runtime *rt, const char *listen,
		       struct metrics_http **out, struct ferr *err);
void metrics_http_stop(struct metrics_http *h);

#endif
