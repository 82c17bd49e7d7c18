/*
 * canary.c — the optional canary of a flow: a record written to the
 * canary topic on the source every interval, mirrored like any other, and
 * read back from the remote canary topic on the target. Its end-to-end
 * latency (target read time minus source write time) is the flow's
 * canary latency; past the threshold, or when no canary arrives for that
 * long, the flow is degraded.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/clock.h"
#include "appliance/data/flow.h"
#include "appliance/kafka/kclient.h"
#include "appliance/log.h"

static void ensure_topic(rd_kafka_t *rk, const char *topic, int rf)
{
	char errstr[256];
	rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, 1, rf, errstr, sizeof(errstr));
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_event_t *ev;

	if (!nt) {
		rd_kafka_queue_destroy(q);
		return;
	}
	rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
	ev = rd_kafka_queue_poll(q, 15000);
	if (ev)
		rd_kafka_event_destroy(ev); /* exists already: fine */
	rd_kafka_NewTopic_destroy(nt);
	rd_kafka_queue_destroy(q);
}

static void sleep_ms(struct flow *f, int64_t ms)
{
	while (ms > 0 && !atomic_load(&f->stop)) {
		struct timespec ts = { 0, 100 * 1000000L };

		nanosleep(&ts, NULL);
		ms -= 100;
	}
}

void *canary_main(void *arg)
{
	struct flow *f = arg;
	const struct conf_flow *cf = f->cf;
	rd_kafka_t *prod = NULL, *cons = NULL;
	struct kclient_opts o;
	struct ferr err;
	char what[400], remote[512], group[400];
	int assigned = 0;
	int64_t next_send = 0, seq = 0, first_sent = 0;

	if (policy_format_remote(&cf->policy, cf->source, cf->canary_topic, remote, sizeof(remote)))
		return NULL;
	snprintf(what, sizeof(what), "%s canary producer on %s", cf->name, cf->source);
	const struct kv pdef[] = { { "linger.ms", "0" },
				   { "log.connection.close", "false" },
				   { NULL, NULL } };
	o = (struct kclient_opts){ .what = what, .defaults = pdef, .cluster = cf->source };
	if (kclient_new(RD_KAFKA_PRODUCER, &cf->source_admin, ROLE_PRODUCER, &o, &prod, &err)) {
		log_error("%s: %s", what, err.msg);
		return NULL;
	}
	snprintf(what, sizeof(what), "%s canary consumer on %s", cf->name, cf->target);
	snprintf(group, sizeof(group), "ferry-mirror.%s.canary", cf->name);
	const struct kv cdef[] = { { "log.connection.close", "false" }, { NULL, NULL } };
	const struct kv cforced[] = { { "group.id", group },
				      { "enable.auto.commit", "false" },
				      { "enable.partition.eof", "false" },
				      { NULL, NULL } };
	o = (struct kclient_opts){
		.what = what, .defaults = cdef, .forced = cforced, .cluster = cf->target
	};
	if (kclient_new(RD_KAFKA_CONSUMER, &cf->target_admin, ROLE_CONSUMER, &o, &cons, &err)) {
		log_error("%s: %s", what, err.msg);
		kclient_destroy(prod);
		return NULL;
	}
	rd_kafka_poll_set_consumer(cons);
	ensure_topic(prod, cf->canary_topic, cf->replication_factor);

	while (!atomic_load(&f->stop)) {
		int64_t now = clock_wall_ms();
		rd_kafka_message_t *m;

		if (!assigned) {
			/* read the remote canary topic from its end once it exists */
			const struct rd_kafka_metadata *md = NULL;
			rd_kafka_topic_t *rkt = rd_kafka_topic_new(cons, remote, NULL);

			if (rkt &&
			    rd_kafka_metadata(cons, 0, rkt, &md, 2000) ==
				    RD_KAFKA_RESP_ERR_NO_ERROR &&
			    md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
			    md->topics[0].partition_cnt > 0) {
				rd_kafka_topic_partition_list_t
					*tpl = rd_kafka_topic_partition_list_new(1);

				rd_kafka_topic_partition_list_add(tpl, remote, 0)
					->offset = RD_KAFKA_OFFSET_END;
				if (rd_kafka_assign(cons, tpl) == RD_KAFKA_RESP_ERR_NO_ERROR)
					assigned = 1;
				rd_kafka_topic_partition_list_destroy(tpl);
			}
			if (md)
				rd_kafka_metadata_destroy(md);
			if (rkt)
				rd_kafka_topic_destroy(rkt);
		}
		if (now >= next_send) {
			char val[600];
			int n = snprintf(val, sizeof(val), "%s %" PRId64 " %" PRId64, cf->name,
					 ++seq, now);

			if (rd_kafka_producev(prod, RD_KAFKA_V_TOPIC(cf->canary_topic),
					      RD_KAFKA_V_PARTITION(0),
					      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
					      RD_KAFKA_V_KEY("ferry-canary", 12),
					      RD_KAFKA_V_VALUE(val, (size_t)n),
					      RD_KAFKA_V_TIMESTAMP(now),
					      RD_KAFKA_V_HEADER("ferry-canary", cf->name, -1),
					      RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR_NO_ERROR &&
			    !first_sent)
				first_sent = now;
			next_send = now + cf->canary_interval_ms;
		}
		rd_kafka_poll(prod, 0);
		while ((m = rd_kafka_consumer_poll(cons, assigned ? 100 : 0)) != NULL) {
			const void *hv;
			size_t hl;
			rd_kafka_headers_t *h;

			if (!m->err &&
			    rd_kafka_message_headers(m, &h) == RD_KAFKA_RESP_ERR_NO_ERROR &&
			    rd_kafka_header_get_last(h, "ferry-canary", &hv, &hl) ==
				    RD_KAFKA_RESP_ERR_NO_ERROR &&
			    hl == strlen(cf->name) && memcmp(hv, cf->name, hl) == 0) {
				rd_kafka_timestamp_type_t tt;
				int64_t ts = rd_kafka_message_timestamp(m, &tt);

				atomic_store(&f->canary_latency_ms, clock_wall_ms() - ts);
				atomic_store(&f->canary_seen_ms, clock_wall_ms());
			}
			rd_kafka_message_destroy(m);
		}
		{
			int64_t seen = atomic_load(&f->canary_seen_ms);
			int64_t lat = atomic_load(&f->canary_latency_ms);
			int degraded = (seen && lat > cf->canary_threshold_ms) ||
				       (first_sent &&
					clock_wall_ms() - (seen ? seen : first_sent) >
						cf->canary_threshold_ms + cf->canary_interval_ms);
			int was = atomic_exchange(&f->degraded, degraded);

			if (degraded && !was)
				log_warn("flow %s degraded: canary latency %" PRId64
					 " ms, last canary %s",
					 cf->name, lat, seen ? "seen" : "never seen");
			else if (!degraded && was)
				log_info("flow %s no longer degraded: canary latency %" PRId64
					 " ms",
					 cf->name, lat);
		}
		if (!assigned)
			sleep_ms(f, 500);
	}
	rd_kafka_flush(prod, 2000);
	rd_kafka_consumer_close(cons);
	kclient_destroy(cons);
	kclient_destroy(prod);
	return NULL;
}
