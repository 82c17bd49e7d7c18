/*
 * kadmin.c — blocking wrappers over librdkafka's admin API.
 */
#include "appliance/kafka/kadmin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local atomic_int *thread_stop;

void kadmin_thread_stop(atomic_int *stop)
{
	thread_stop = stop;
}

static int stopped(atomic_int *stop)
{
	return (stop && atomic_load(stop)) || (thread_stop && atomic_load(thread_stop));
}

rd_kafka_event_t *kadmin_wait(rd_kafka_queue_t *q, rd_kafka_event_type_t type, int timeout_ms,
			      atomic_int *stop)
{
	for (int waited = 0; waited <= timeout_ms && !stopped(stop); waited += 500) {
		rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 500);

		if (!ev)
			continue;
		if (rd_kafka_event_type(ev) == type)
			return ev;
		rd_kafka_event_destroy(ev);
	}
	return NULL;
}

static rd_kafka_AdminOptions_t *opts(rd_kafka_t *rk, rd_kafka_admin_op_t op, int timeout_ms)
{
	rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(rk, op);
	char es[256];

	rd_kafka_AdminOptions_set_request_timeout(o, timeout_ms, es, sizeof(es));
	return o;
}

int kadmin_ensure_topic(rd_kafka_t *rk, const char *topic, int partitions, int rf,
			const char *const *configs, int timeout_ms, struct ferr *err)
{
	char es[512];
	rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, partitions, rf, es, sizeof(es));
	rd_kafka_queue_t *q;
	rd_kafka_AdminOptions_t *o;
	rd_kafka_event_t *ev;
	int rc = -1;

	if (!nt)
		return ferr_set(err, "topic %s: %s", topic, es);
	for (; configs && configs[0]; configs += 2)
		rd_kafka_NewTopic_set_config(nt, configs[0], configs[1]);
	q = rd_kafka_queue_new(rk);
	o = opts(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout_ms);
	rd_kafka_AdminOptions_set_operation_timeout(o, timeout_ms, es, sizeof(es));
	rd_kafka_CreateTopics(rk, &nt, 1, o, q);
	ev = kadmin_wait(q, RD_KAFKA_EVENT_CREATETOPICS_RESULT, timeout_ms + 2000, NULL);
	if (!ev) {
		ferr_set(err, "creating topic %s: no answer", topic);
	} else if (rd_kafka_event_error(ev)) {
		ferr_set(err, "creating topic %s: %s", topic, rd_kafka_event_error_string(ev));
	} else {
		size_t n;
		const rd_kafka_topic_result_t **tr =
			rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev),
							    &n);
		rd_kafka_resp_err_t e = n ? rd_kafka_topic_result_error(tr[0])
					  : RD_KAFKA_RESP_ERR_NO_ERROR;

		if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
			rc = 1;
		else if (e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
			rc = 0;
		else
			ferr_set(err, "creating topic %s: %s", topic,
				 rd_kafka_topic_result_error_string(tr[0]));
	}
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_AdminOptions_destroy(o);
	rd_kafka_queue_destroy(q);
	rd_kafka_NewTopic_destroy(nt);
	return rc;
}

void kadmin_free_names(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int kadmin_each_group(rd_kafka_t *rk, kadmin_group_fn fn, void *arg, int timeout_ms,
		      struct ferr *err)
{
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_AdminOptions_t *o = opts(rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS, timeout_ms);
	rd_kafka_event_t *ev;
	int rc = -1;

	rd_kafka_ListConsumerGroups(rk, o, q);
	ev = kadmin_wait(q, RD_KAFKA_EVENT_LISTCONSUMERGROUPS_RESULT, timeout_ms + 2000, NULL);
	if (!ev || rd_kafka_event_error(ev)) {
		ferr_set(err, "listing consumer groups: %s",
			 ev ? rd_kafka_event_error_string(ev) : "no answer");
	} else {
		size_t k;
		const rd_kafka_ConsumerGroupListing_t **g = rd_kafka_ListConsumerGroups_result_valid(
			rd_kafka_event_ListConsumerGroups_result(ev), &k);

		for (size_t i = 0; i < k; i++)
			fn(arg, g[i]);
		rc = 0;
	}
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_AdminOptions_destroy(o);
	rd_kafka_queue_destroy(q);
	return rc;
}

struct names {
	char **v;
	size_t n, cap;
	int oom;
};

static void add_name(void *arg, const rd_kafka_ConsumerGroupListing_t *g)
{
	struct names *x = arg;
	char *id;

	if (x->n == x->cap) {
		size_t ncap = x->cap ? x->cap * 2 : 16;
		char **nv = realloc(x->v, ncap * sizeof(*nv));

		if (!nv) {
			x->oom = 1;
			return;
		}
		x->v = nv;
		x->cap = ncap;
	}
	if (!(id = strdup(rd_kafka_ConsumerGroupListing_group_id(g))))
		x->oom = 1;
	else
		x->v[x->n++] = id;
}

int kadmin_list_groups(rd_kafka_t *rk, char ***out, size_t *n, int timeout_ms, struct ferr *err)
{
	struct names x = { 0 };

	*out = NULL;
	*n = 0;
	if (kadmin_each_group(rk, add_name, &x, timeout_ms, err) || x.oom) {
		kadmin_free_names(x.v, x.n);
		return x.oom ? ferr_set(err, "listing consumer groups: out of memory") : -1;
	}
	*out = x.v;
	*n = x.n;
	return 0;
}

int kadmin_group_offsets(rd_kafka_t *rk, const char *group, struct group_offset **out, size_t *n,
			 int timeout_ms, struct ferr *err)
{
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_AdminOptions_t *o = opts(rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS,
					  timeout_ms);
	rd_kafka_ListConsumerGroupOffsets_t *req = rd_kafka_ListConsumerGroupOffsets_new(group,
											 NULL);
	rd_kafka_event_t *ev;
	int rc = -1;

	*out = NULL;
	*n = 0;
	rd_kafka_ListConsumerGroupOffsets(rk, &req, 1, o, q);
	ev = kadmin_wait(q, RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT, timeout_ms + 2000,
			 NULL);
	if (!ev || rd_kafka_event_error(ev)) {
		ferr_set(err, "offsets of group %s: %s", group,
			 ev ? rd_kafka_event_error_string(ev) : "no answer");
	} else {
		size_t k;
		const rd_kafka_group_result_t **gr = rd_kafka_ListConsumerGroupOffsets_result_groups(
			rd_kafka_event_ListConsumerGroupOffsets_result(ev), &k);
		const rd_kafka_error_t *ge = k ? rd_kafka_group_result_error(gr[0]) : NULL;

		if (ge) {
			ferr_set(err, "offsets of group %s: %s", group, rd_kafka_error_string(ge));
		} else if (k) {
			const rd_kafka_topic_partition_list_t *tp = rd_kafka_group_result_partitions(
				gr[0]);
			struct group_offset *v = calloc(tp && tp->cnt ? (size_t)tp->cnt : 1,
							sizeof(*v));

			if (v) {
				for (int i = 0; tp && i < tp->cnt; i++) {
					if (tp->elems[i].offset < 0 || tp->elems[i].err)
						continue;
					snprintf(v[*n].topic, sizeof(v[*n].topic), "%s",
						 tp->elems[i].topic);
					v[*n].partition = tp->elems[i].partition;
					v[*n].offset = tp->elems[i].offset;
					(*n)++;
				}
				*out = v;
				rc = 0;
			}
		} else {
			rc = 0;
		}
	}
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_ListConsumerGroupOffsets_destroy(req);
	rd_kafka_AdminOptions_destroy(o);
	rd_kafka_queue_destroy(q);
	return rc;
}

int kadmin_group_state(rd_kafka_t *rk, const char *group, char *state, size_t sz, int *members,
		       int timeout_ms, struct ferr *err)
{
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_AdminOptions_t *o = opts(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, timeout_ms);
	const char *groups[] = { group };
	rd_kafka_event_t *ev;
	int rc = -1;

	rd_kafka_DescribeConsumerGroups(rk, groups, 1, o, q);
	ev = kadmin_wait(q, RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT, timeout_ms + 2000, NULL);
	if (!ev || rd_kafka_event_error(ev)) {
		ferr_set(err, "describing group %s: %s", group,
			 ev ? rd_kafka_event_error_string(ev) : "no answer");
	} else {
		size_t k;
		const rd_kafka_ConsumerGroupDescription_t *
			*d = rd_kafka_DescribeConsumerGroups_result_groups(
				rd_kafka_event_DescribeConsumerGroups_result(ev), &k);

		if (k && rd_kafka_ConsumerGroupDescription_error(d[0])) {
			ferr_set(err, "describing group %s: %s", group,
				 rd_kafka_error_string(
					 rd_kafka_ConsumerGroupDescription_error(d[0])));
		} else if (k) {
			snprintf(state, sz, "%s",
				 rd_kafka_consumer_group_state_name(
					 rd_kafka_ConsumerGroupDescription_state(d[0])));
			*members = (int)rd_kafka_ConsumerGroupDescription_member_count(d[0]);
			rc = 0;
		}
	}
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_AdminOptions_destroy(o);
	rd_kafka_queue_destroy(q);
	return rc;
}

int kadmin_commit_offsets(rd_kafka_t *rk, const char *group, const struct group_offset *v, size_t n,
			  int timeout_ms, struct ferr *err)
{
	rd_kafka_topic_partition_list_t *tpl = rd_kafka_topic_partition_list_new((int)n);
	rd_kafka_AlterConsumerGroupOffsets_t *req;
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_AdminOptions_t *o = opts(rk, RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS,
					  timeout_ms);
	rd_kafka_event_t *ev;
	int rc = -1;

	for (size_t i = 0; i < n; i++)
		rd_kafka_topic_partition_list_add(tpl, v[i].topic, v[i].partition)
			->offset = v[i].offset;
	req = rd_kafka_AlterConsumerGroupOffsets_new(group, tpl);
	rd_kafka_AlterConsumerGroupOffsets(rk, &req, 1, o, q);
	ev = kadmin_wait(q, RD_KAFKA_EVENT_ALTERCONSUMERGROUPOFFSETS_RESULT, timeout_ms + 2000,
			 NULL);
	if (!ev || rd_kafka_event_error(ev)) {
		ferr_set(err, "committing offsets of group %s: %s", group,
			 ev ? rd_kafka_event_error_string(ev) : "no answer");
	} else {
		size_t k;
		const rd_kafka_group_result_t *
			*gr = rd_kafka_AlterConsumerGroupOffsets_result_groups(
				rd_kafka_event_AlterConsumerGroupOffsets_result(ev), &k);
		const rd_kafka_error_t *ge = k ? rd_kafka_group_result_error(gr[0]) : NULL;

		rc = 0;
		if (ge) {
			ferr_set(err, "committing offsets of group %s: %s", group,
				 rd_kafka_error_string(ge));
			rc = -1;
		} else if (k) {
			const rd_kafka_topic_partition_list_t *tp = rd_kafka_group_result_partitions(
				gr[0]);

			for (int i = 0; tp && i < tp->cnt; i++) {
				if (tp->elems[i].err) {
					ferr_set(err, "committing %s[%d] for group %s: %s",
						 tp->elems[i].topic, (int)tp->elems[i].partition,
						 group, rd_kafka_err2str(tp->elems[i].err));
					rc = -1;
				}
			}
		}
	}
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_AlterConsumerGroupOffsets_destroy(req);
	rd_kafka_topic_partition_list_destroy(tpl);
	rd_kafka_AdminOptions_destroy(o);
	rd_kafka_queue_destroy(q);
	return rc;
}
