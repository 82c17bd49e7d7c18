/*
 * kclient.h — creates librdkafka handles for ferryd from Java-named client
 * settings (clientconf) plus the settings ferry insists on, and routes
 * librdkafka's logs and errors into ferryd's log.
 */
#ifndef FERRY_KCLIENT_H
#define FERRY_KCLIENT_H

#include <librdkafka/rdkafka.h>

#include "appliance/conf/clientconf.h"
#include "lib/err.h"
#include "appliance/kafka/reach.h"

struct kv {
	const char *key, *value;
};

/* Called from librdkafka threads on errors; FATAL is 1 for fatal errors. */
typedef void(kclient_error_fn)(void *opaque, int fatal, const char *reason);
/* Every non-fatal error librdkafka reports (after it is logged), with its
 * code: where the handle's main queue is served (a consumer after
 * rd_kafka_poll_set_consumer(): inside rd_kafka_consumer_poll). */
typedef void(kclient_event_fn)(void *opaque, rd_kafka_resp_err_t err, const char *reason);

struct kclient_opts {
	const char *what;           /* "A->B consumer of A", for logs */
	const struct kv *defaults;  /* applied before the user's settings */
	const struct kv *forced;    /* applied after them (cannot be overridden) */
	kclient_error_fn *on_error; /* NULL: errors are only logged */
	kclient_event_fn *on_event; /* NULL: none */
	void *opaque;
	void (*dr_msg_cb)(rd_kafka_t *, const rd_kafka_message_t *, void *);
	/* the watcher this client reports its cluster's reachability to
	 * (borrowed: outlives the handle); NULL none. By default librdkafka's
	 * errors say when it is down (a connection attempt failed and every
	 * broker is down); reach_stats adds librdkafka statistics every 5 s,
	 * whose broker states say when it is up again: only for a handle
	 * polled all the time, or the statistics pile up in its queue.
	 * reach_manual: the caller reports (kclient_reach_report) and the
	 * errors only give the reason. */
	struct reach *reach;
	int reach_stats, reach_manual;
	/* without a watcher: the cluster the client talks to, so that its
	 * connection errors are not logged again while the cluster is known
	 * to be unreachable (reach_cluster) */
	const char *cluster;
};

int kclient_new(rd_kafka_type_t type, const struct props *settings, enum client_role role,
		const struct kclient_opts *o, rd_kafka_t **out, struct ferr *err);

/*
 * A consumer handle for admin work on a cluster, never subscribed nor
 * committing (GROUP is only its identity): librdkafka 2.0.2 answers
 * ListConsumerGroupOffsets safely only through a consumer handle.
 */
int kclient_admin_consumer(const struct props *settings, const char *what, const char *group,
			   rd_kafka_t **out, struct ferr *err);

/* Destroys RK and what kclient_new() attached to it. */
void kclient_destroy(rd_kafka_t *rk);

/* The cluster answered (OK) or not: reported to the handle's watcher,
 * with librdkafka's last connection error as the reason (else WHY). */
void kclient_reach_report(rd_kafka_t *rk, int ok, const char *why);

/* 1 when librdkafka's statistics JSON (LEN bytes) shows a broker in state
 * UP: what tells a watched client that its cluster answers again. */
int kclient_stats_broker_up(const char *json, size_t len);

/* The opaque given in kclient_opts. */
void *kclient_opaque(rd_kafka_t *rk);

#endif
