/*
 * discover.c — the discovery loop of one flow: which source topics match,
 * whether they are internal or would close a cycle, and that each has a
 * remote topic on the target with at least as many partitions. Only then
 * are its partitions handed to the mirror tasks, so a task never produces
 * to a partition that does not exist.
 */
#include <errno.h>
#include <stdint.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/clock.h"
#include "appliance/data/flow.h"
#include "appliance/store/audit.h"
#include "appliance/kafka/kadmin.h"
#include "appliance/kafka/kclient.h"
#include "appliance/log.h"
#include "appliance/store/state.h"
#include "appliance/sync/topicconf.h"
#include "appliance/placement/heldback.h"
#include "appliance/placement/placement.h"

#define MD_TIMEOUT_MS 10000
#define ADMIN_TIMEOUT_MS 30000
#define STEP_MS 1000  /* blocking calls are cut in steps to notice a stop */
#define PROBE_MS 5000 /* how often an unreachable cluster is asked again */
#define HELD_MS 2000  /* per partition: a held-back count too late waits a round */

struct known_topic {
	char *name;
	int32_t published; /* partitions [0, published) handed to tasks */
};

struct cand {
	const char *name; /* points into source metadata */
	char remote[512];
	int32_t src_parts, tgt_parts;
	int failed;
	int retry_plain; /* the target refused it with the source's configs */
};

struct discovery {
	struct flow *f;
	rd_kafka_t *src, *tgt;
	struct state *st; /* records the topics ferry creates (topic config sync) */
	struct known_topic *known;
	size_t nknown;
	int last_ok;            /* for logging only transitions */
	unsigned placement_gen; /* of the rules the last round applied */
	/* topics held back by placement and audited as such: audited once per
	 * topic and flow (not per round), and again only when it changes */
	struct placement_hold *held;
	size_t nheld;
};

static const struct placement_hold *held_find(const struct discovery *d, const char *topic)
{
	for (size_t i = 0; i < d->nheld; i++)
		if (strcmp(d->held[i].topic, topic) == 0)
			return &d->held[i];
	return NULL;
}

/* The placement verdict of every candidate: a blocked one leaves C (never
 * created, never assigned) and goes to the flow's held list; a change of
 * verdict is audited once. */
static size_t apply_placement(struct discovery *d, struct cand *c, size_t n)
{
	struct flow *f = d->f;
	const struct conf_flow *cf = f->cf;
	struct conf *pc = flow_placement(f, &d->placement_gen);
	struct placement_hold *held = calloc(n + 1, sizeof(*held));
	size_t nheld = 0, kept = 0;
	char labels[512];
	struct ferr err;

	placement_labels(pc, cf->target, labels, sizeof(labels));
	for (size_t i = 0; i < n; i++) {
		struct placement_verdict v;
		const struct placement_hold *was = held_find(d, c[i].name);
		int judged = 0;

		/* on error V says no: the topic is held back (fail closed) */
		if (held && placement_check_flow(pc, cf, c[i].name, &v, &err))
			log_error("%s: topic %s held back: %s", cf->name, c[i].name, err.msg);
		else
			judged = held != NULL;
		/* the history sink's placement decisions: the store keeps the
		 * last verdict and queues an event only when it is new or
		 * changed (schema/012_sink_outbox.sql) */
		if (judged && d->st &&
		    state_placement_verdict(d->st, cf->name, c[i].name, cf->target, v.allowed,
					    v.allowed ? v.rules : v.blocking, v.category, v.basis,
					    &err))
			log_warn("%s: %s", cf->name, err.msg);
		if (!held || v.allowed) {
			if (held && was)
				audit_system("ok",
					     "placement: flow %s: topic %s may be copied to %s again "
					     "(no rule restricts it there now)",
					     cf->name, c[i].name, cf->target);
			c[kept++] = c[i];
			continue;
		}
		struct placement_hold *h = &held[nheld++];
		struct known_topic *k = NULL;

		for (size_t j = 0; j < d->nknown; j++)
			if (strcmp(d->known[j].name, c[i].name) == 0)
				k = &d->known[j];
		snprintf(h->topic, sizeof(h->topic), "%s", c[i].name);
		snprintf(h->rules, sizeof(h->rules), "%s", v.blocking);
		snprintf(h->category, sizeof(h->category), "%s", v.category);
		h->partitions = c[i].src_parts;
		h->copied_before = (k && k->published > 0) || c[i].tgt_parts > 0;
		if (was && strcmp(was->rules, h->rules) == 0)
			continue;
		log_warn("%s: topic %s is not copied to %s: placement rule %s requires %s; %s has %s%s",
			 cf->name, c[i].name, cf->target, v.blocking, v.missing, cf->target,
			 labels[0] ? "labels " : "no labels", labels);
		audit_system("denied",
			     "placement: flow %s: topic %s blocked-by-placement on %s: rule %s "
			     "(category %s%s%s) requires %s; %s has %s%s%s",
			     cf->name, c[i].name, cf->target, v.blocking,
			     v.category[0] ? v.category : "-", v.basis[0] ? ", basis " : "",
			     v.basis, v.missing, cf->target, labels[0] ? "labels " : "no labels",
			     labels,
			     h->copied_before ? "; what was copied before stays there" : "");
	}
	if (held) {
		flow_set_held(f, held, nheld);
		free(d->held);
		d->held = held; /* the discovery's own list from here */
		d->nheld = nheld;
	}
	conf_unref(pc);
	return kept;
}

/*
 * The records each topic of this round's held list is held back from the
 * target (the source end offsets minus the flow's saved positions), into
 * today's transfer ledger row of the topic as a whole, with the rules that
 * hold it: once a round, off the main loop. A measurement that fails
 * changes nothing: the row keeps the last count, never a guess.
 */
static void record_held(struct discovery *d)
{
	const struct conf_flow *cf = d->f->cf;

	for (size_t i = 0; d->st && i < d->nheld && !atomic_load(&d->f->stop); i++) {
		const struct placement_hold *h = &d->held[i];
		long long n = 0;
		struct ferr err;

		if (placement_held_back(d->src, d->st, cf->name, h->topic, h->partitions, HELD_MS,
					&n, &err) == 0 &&
		    state_ledger_set_held(d->st, cf->name, h->topic, n, h->rules,
					  h->category[0] ? h->category : NULL, &err) == 0)
			continue;
		log_warn("%s: cannot record the records held back of %s: %s (the transfer ledger "
			 "keeps the last count; retried next round)",
			 cf->name, h->topic, err.msg);
	}
}

/* Where TOPIC goes on the target: MM2's remote name, or for a failback
 * flow the upstream name (A.orders -> orders). */
int flow_remote_name(const struct conf_flow *cf, const char *topic, char *out, size_t sz)
{
	if (cf->failback_of[0])
		return policy_upstream_topic(&cf->policy, topic, out, sz) ? 0 : -1;
	return policy_format_remote(&cf->policy, cf->source, topic, out, sz);
}

/* MM2's MirrorSourceConnector.shouldReplicateTopic(). */
int flow_should_replicate(const struct conf_flow *cf, const char *topic)
{
	if (cf->failback_of[0]) {
		/* back to the old primary: only its remote topics, by their own name */
		char src[256], up[512];

		if (!policy_topic_source(&cf->policy, topic, src, sizeof(src)) ||
		    strcmp(src, cf->target) != 0 || policy_is_heartbeats(&cf->policy, topic) ||
		    !policy_upstream_topic(&cf->policy, topic, up, sizeof(up)) ||
		    policy_is_internal(&cf->policy, up))
			return 0;
		return regexlist_match(cf->topics, up) && !regexlist_match(cf->exclude, up);
	}
	int wanted = regexlist_match(cf->topics, topic) && !regexlist_match(cf->exclude, topic);

	/* the canary topic rides along whatever the filters say */
	if (cf->canary_enabled && strcmp(topic, cf->canary_topic) == 0)
		return 1;
	if (!wanted && !policy_is_heartbeats(&cf->policy, topic))
		return 0;
	if (policy_is_internal(&cf->policy, topic))
		return 0;
	return !policy_is_cycle(&cf->policy, topic, cf->target);
}

static struct known_topic *known_get(struct discovery *d, const char *name)
{
	struct known_topic *nk;

	for (size_t i = 0; i < d->nknown; i++)
		if (strcmp(d->known[i].name, name) == 0)
			return &d->known[i];
	nk = realloc(d->known, (d->nknown + 1) * sizeof(*nk));
	if (!nk)
		return NULL;
	d->known = nk;
	nk[d->nknown].name = strdup(name);
	nk[d->nknown].published = 0;
	if (!nk[d->nknown].name)
		return NULL;
	return &d->known[d->nknown++];
}

/* A result queue and options for one admin request to the target. */
static void admin_begin(struct discovery *d, rd_kafka_admin_op_t op, rd_kafka_queue_t **q,
			rd_kafka_AdminOptions_t **opt)
{
	char errstr[512];

	*q = rd_kafka_queue_new(d->tgt);
	*opt = rd_kafka_AdminOptions_new(d->tgt, op);
	rd_kafka_AdminOptions_set_operation_timeout(*opt, ADMIN_TIMEOUT_MS, errstr, sizeof(errstr));
	rd_kafka_AdminOptions_set_request_timeout(*opt, ADMIN_TIMEOUT_MS, errstr, sizeof(errstr));
}

static void admin_end(rd_kafka_queue_t *q, rd_kafka_AdminOptions_t *opt, rd_kafka_event_t *ev)
{
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_AdminOptions_destroy(opt);
	rd_kafka_queue_destroy(q);
}

static void report_reach(rd_kafka_t *rk, rd_kafka_resp_err_t e);
static int unreachable_error(rd_kafka_resp_err_t e);

/* Metadata of every topic, asked in short steps so a stop is noticed. */
static rd_kafka_resp_err_t metadata(struct discovery *d, rd_kafka_t *rk,
				    const struct rd_kafka_metadata **md)
{
	rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR__TIMED_OUT;

	for (int waited = 0; waited < MD_TIMEOUT_MS && !atomic_load(&d->f->stop);
	     waited += 2 * STEP_MS) {
		e = rd_kafka_metadata(rk, 1, NULL, md, 2 * STEP_MS);
		if (e != RD_KAFKA_RESP_ERR__TIMED_OUT && e != RD_KAFKA_RESP_ERR__TRANSPORT)
			break;
	}
	if (!atomic_load(&d->f->stop))
		report_reach(rk, e);
	return e;
}

/* Errors of a metadata request that mean the cluster did not answer (as
 * opposed to answering no, e.g. not authorized). */
static int unreachable_error(rd_kafka_resp_err_t e)
{
	return e == RD_KAFKA_RESP_ERR__TRANSPORT || e == RD_KAFKA_RESP_ERR__TIMED_OUT ||
	       e == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || e == RD_KAFKA_RESP_ERR__RESOLVE ||
	       e == RD_KAFKA_RESP_ERR__AUTHENTICATION || e == RD_KAFKA_RESP_ERR__SSL;
}

static void report_reach(rd_kafka_t *rk, rd_kafka_resp_err_t e)
{
	char why[300];

	if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
		kclient_reach_report(rk, 1, NULL);
	} else if (unreachable_error(e)) {
		snprintf(why, sizeof(why), "no answer to a metadata request: %s",
			 rd_kafka_err2str(e));
		kclient_reach_report(rk, 0, why);
	}
}

/*
 * While the data path says a cluster of the flow is unreachable, ask it
 * for its brokers (no topics: a small request) every few seconds, so that
 * its return is noticed by the flow's consumer too, which cannot tell
 * (its statistics would pile up while it is not polled).
 */
static void probe_unreachable(struct discovery *d)
{
	struct flow *f = d->f;
	rd_kafka_t *rk[2] = { d->src, d->tgt };
	struct reach *side[2] = { f->reach_src, f->reach_tgt };

	for (int i = 0; i < 2 && !atomic_load(&f->stop); i++) {
		const struct rd_kafka_metadata *md = NULL;
		rd_kafka_resp_err_t e;

		if (!reach_is_down(side[i], NULL, 0))
			continue;
		rd_kafka_poll(rk[i], 0); /* the connection errors since the last call */
		e = rd_kafka_metadata(rk[i], 0, NULL, &md, 2 * STEP_MS);
		report_reach(rk[i], e);
		if (md)
			rd_kafka_metadata_destroy(md);
	}
}

/* Records that ferry created C's remote topic: only those are altered by
 * topic config sync. Not recorded, it is treated as made by hand. */
static void record_created(struct discovery *d, const struct cand *c)
{
	const struct conf_flow *cf = d->f->cf;
	struct ferr e;

	if (!d->st || state_topic_created_add(d->st, cf->target, c->remote, cf->name, c->name, &e))
		log_error("%s: created %s on %s but cannot record it (%s): topic config sync "
			  "will leave it alone",
			  cf->name, c->remote, cf->target, d->st ? e.msg : "no state store");
}

/*
 * Creates the remote topics of C that are missing, with their source's
 * configs (KAFKA-12254) when WITH_CONFIGS; a topic the target refuses
 * for its configs (not for a transient error) is marked retry_plain, and a call without WITH_CONFIGS
 * creates those bare (topic config sync then reports the refused config
 * every round, and mirroring goes on).
 */
static void create_topics(struct discovery *d, struct cand *c, size_t n, int with_configs)
{
	const struct conf_flow *cf = d->f->cf;
	// NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, sized by its element
	rd_kafka_NewTopic_t **nt = calloc(n ? n : 1, sizeof(*nt));
	// NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, sized by its element
	struct cand **who = calloc(n ? n : 1, sizeof(*who));
	// NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, sized by its element
	const char **names = calloc(n ? n : 1, sizeof(*names));
	struct tc_set *cfgs = calloc(n ? n : 1, sizeof(*cfgs));
	size_t cnt = 0;
	char errstr[512];

	if (!nt || !who || !names || !cfgs)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (with_configs ? (c[i].tgt_parts != 0 || c[i].failed) : !c[i].retry_plain)
			continue;
		c[i].retry_plain = 0;
		nt[cnt] = rd_kafka_NewTopic_new(c[i].remote, c[i].src_parts, cf->replication_factor,
						errstr, sizeof(errstr));
		if (!nt[cnt]) {
			log_error("%s: cannot create %s on %s: %s", cf->name, c[i].remote,
				  cf->target, errstr);
			c[i].failed = 1;
			continue;
		}
		names[cnt] = c[i].name;
		who[cnt++] = &c[i];
	}
	if (cnt == 0)
		goto out;
	int r = with_configs ? topicconf_for_create(d->src, cf, names, cnt, cfgs, &d->f->stop) : -1;

	if (r == 1) {
		/* bare, a topic would take the target's defaults: a smaller
		 * max.message.bytes fails the flow, cleanup.policy=delete
		 * drops what a compacted source keeps (KAFKA-12254) */
		if (!atomic_load(&d->f->stop))
			log_warn("%s: %zu new topic%s not created on %s this round: %s", cf->name,
				 cnt, cnt == 1 ? "" : "s", cf->target,
				 cfgs[0].error ? cfgs[0].error : "no answer");
		for (size_t i = 0; i < cnt; i++)
			who[i]->failed = 1;
		goto out;
	}
	if (r == 0) {
		for (size_t i = 0; i < cnt; i++) {
			if (cfgs[i].error)
				log_warn("%s: creating %s on %s without the configs of %s: %s",
					 cf->name, who[i]->remote, cf->target, who[i]->name,
					 cfgs[i].error);
			for (size_t j = 0; j < cfgs[i].n; j++)
				rd_kafka_NewTopic_set_config(nt[i], cfgs[i].v[j].name,
							     cfgs[i].v[j].value);
		}
	}

	rd_kafka_queue_t *q;
	rd_kafka_AdminOptions_t *opt;

	admin_begin(d, RD_KAFKA_ADMIN_OP_CREATETOPICS, &q, &opt);
	rd_kafka_CreateTopics(d->tgt, nt, cnt, opt, q);
	rd_kafka_event_t *ev = kadmin_wait(q, RD_KAFKA_EVENT_CREATETOPICS_RESULT,
					   ADMIN_TIMEOUT_MS + 5000, &d->f->stop);

	if (!ev || rd_kafka_event_error(ev)) {
		log_error("%s: creating topics on %s failed: %s", cf->name, cf->target,
			  ev ? rd_kafka_event_error_string(ev) : "timed out");
		for (size_t i = 0; i < cnt; i++)
			who[i]->failed = 1;
	} else {
		const rd_kafka_CreateTopics_result_t *res = rd_kafka_event_CreateTopics_result(ev);
		size_t rn;
		const rd_kafka_topic_result_t **tr = rd_kafka_CreateTopics_result_topics(res, &rn);

		for (size_t i = 0; i < rn; i++) {
			const char *name = rd_kafka_topic_result_name(tr[i]);
			rd_kafka_resp_err_t e = rd_kafka_topic_result_error(tr[i]);

			for (size_t j = 0; j < cnt; j++) {
				if (strcmp(who[j]->remote, name) != 0)
					continue;
				if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
					who[j]->tgt_parts = who[j]->src_parts;
					record_created(d, who[j]);
					log_info("%s: created topic %s on %s (%" PRId32
						 " partitions, "
						 "replication factor %d%s)",
						 cf->name, name, cf->target, who[j]->src_parts,
						 cf->replication_factor,
						 with_configs && cfgs[j].n ? ", source configs"
									   : "");
					audit_system("ok",
						     "%s: created topic %s on %s (%" PRId32
						     " partitions)",
						     cf->name, name, cf->target, who[j]->src_parts);
				} else if (e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
					/* raced with another creator; the next round checks its size */
					who[j]->failed = 1;
				} else if (with_configs && cfgs[j].n &&
					   topicconf_refused_configs(e)) {
					log_error("%s: %s refused topic %s with the configs of "
						  "%s: %s; creating it without them",
						  cf->name, cf->target, name, who[j]->name,
						  rd_kafka_topic_result_error_string(tr[i]));
					audit_system("error",
						     "%s: create topic %s on %s with configs: %s",
						     cf->name, name, cf->target,
						     rd_kafka_topic_result_error_string(tr[i]));
					who[j]->retry_plain = 1;
				} else {
					log_error("%s: cannot create topic %s on %s: %s", cf->name,
						  name, cf->target,
						  rd_kafka_topic_result_error_string(tr[i]));
					audit_system("error", "%s: create topic %s on %s: %s",
						     cf->name, name, cf->target,
						     rd_kafka_topic_result_error_string(tr[i]));
					who[j]->failed = 1;
				}
			}
		}
	}
	admin_end(q, opt, ev);
out:
	for (size_t i = 0; i < cnt; i++) {
		rd_kafka_NewTopic_destroy(nt[i]);
		tc_set_free(&cfgs[i]);
	}
	free(nt);
	free(who);
	free(names);
	free(cfgs);
}

static void grow_topics(struct discovery *d, struct cand *c, size_t n)
{
	const struct conf_flow *cf = d->f->cf;
	// NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, sized by its element
	rd_kafka_NewPartitions_t **np = calloc(n ? n : 1, sizeof(*np));
	// NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, sized by its element
	struct cand **who = calloc(n ? n : 1, sizeof(*who));
	size_t cnt = 0;
	char errstr[512];

	if (!np || !who)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (c[i].failed || c[i].tgt_parts == 0 || c[i].tgt_parts >= c[i].src_parts)
			continue;
		np[cnt] = rd_kafka_NewPartitions_new(c[i].remote, (size_t)c[i].src_parts, errstr,
						     sizeof(errstr));
		if (!np[cnt])
			continue;
		who[cnt++] = &c[i];
	}
	if (cnt == 0)
		goto out;

	rd_kafka_queue_t *q;
	rd_kafka_AdminOptions_t *opt;

	admin_begin(d, RD_KAFKA_ADMIN_OP_CREATEPARTITIONS, &q, &opt);
	rd_kafka_CreatePartitions(d->tgt, np, cnt, opt, q);
	rd_kafka_event_t *ev = kadmin_wait(q, RD_KAFKA_EVENT_CREATEPARTITIONS_RESULT,
					   ADMIN_TIMEOUT_MS + 5000, &d->f->stop);

	if (!ev || rd_kafka_event_error(ev)) {
		log_error("%s: adding partitions on %s failed: %s", cf->name, cf->target,
			  ev ? rd_kafka_event_error_string(ev) : "timed out");
	} else {
		const rd_kafka_CreatePartitions_result_t
			*res = rd_kafka_event_CreatePartitions_result(ev);
		size_t rn;
		const rd_kafka_topic_result_t **tr = rd_kafka_CreatePartitions_result_topics(res,
											     &rn);

		for (size_t i = 0; i < rn; i++) {
			const char *name = rd_kafka_topic_result_name(tr[i]);
			rd_kafka_resp_err_t e = rd_kafka_topic_result_error(tr[i]);

			for (size_t j = 0; j < cnt; j++) {
				if (strcmp(who[j]->remote, name) != 0)
					continue;
				if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
					log_info("%s: added partitions to %s on %s: %" PRId32
						 " -> %" PRId32,
						 cf->name, name, cf->target, who[j]->tgt_parts,
						 who[j]->src_parts);
					audit_system("ok",
						     "%s: added partitions to %s on %s: %" PRId32
						     " -> %" PRId32,
						     cf->name, name, cf->target, who[j]->tgt_parts,
						     who[j]->src_parts);
					who[j]->tgt_parts = who[j]->src_parts;
				} else {
					log_error("%s: cannot add partitions to %s on %s: %s",
						  cf->name, name, cf->target,
						  rd_kafka_topic_result_error_string(tr[i]));
				}
			}
		}
	}
	admin_end(q, opt, ev);
out:
	for (size_t i = 0; i < cnt; i++)
		rd_kafka_NewPartitions_destroy(np[i]);
	free(np);
	free(who);
}

static int32_t target_partitions(const struct rd_kafka_metadata *md, const char *name)
{
	for (int i = 0; i < md->topic_cnt; i++)
		if (strcmp(md->topics[i].topic, name) == 0)
			return md->topics[i].err ? 0 : md->topics[i].partition_cnt;
	return 0;
}

/* One discovery round; 1 when both clusters answered. */
static int discover_once(struct discovery *d)
{
	struct flow *f = d->f;
	const struct conf_flow *cf = f->cf;
	const struct rd_kafka_metadata *smd = NULL, *tmd = NULL;
	rd_kafka_resp_err_t e;
	struct cand *c = NULL;
	size_t n = 0;
	int ok = 0;

	rd_kafka_poll(d->src, 0); /* serve error callbacks */
	rd_kafka_poll(d->tgt, 0);
	e = metadata(d, d->src, &smd);
	if (e) {
		/* an unreachable cluster is logged once by its watcher (reach.c) */
		if (d->last_ok)
			log_msg(unreachable_error(e) ? LOG_LVL_DEBUG : LOG_LVL_WARNING,
				"%s: cannot list topics of %s: %s; retrying", cf->name, cf->source,
				rd_kafka_err2str(e));
		return 0;
	}
	e = metadata(d, d->tgt, &tmd);
	if (e) {
		if (d->last_ok)
			log_msg(unreachable_error(e) ? LOG_LVL_DEBUG : LOG_LVL_WARNING,
				"%s: cannot list topics of %s: %s; retrying", cf->name, cf->target,
				rd_kafka_err2str(e));
		rd_kafka_metadata_destroy(smd);
		return 0;
	}

	c = calloc((size_t)smd->topic_cnt + 1, sizeof(*c));
	if (!c)
		goto out;
	for (int i = 0; i < smd->topic_cnt; i++) {
		const struct rd_kafka_metadata_topic *t = &smd->topics[i];

		if (t->err || t->partition_cnt <= 0 || !flow_should_replicate(cf, t->topic))
			continue;
		if (flow_remote_name(cf, t->topic, c[n].remote, sizeof(c[n].remote))) {
			log_error("%s: remote name of %s is too long", cf->name, t->topic);
			continue;
		}
		c[n].name = t->topic;
		c[n].src_parts = t->partition_cnt;
		c[n].tgt_parts = target_partitions(tmd, c[n].remote);
		n++;
	}
	/* before anything is created on the target */
	n = apply_placement(d, c, n);
	create_topics(d, c, n, 1);
	create_topics(d, c, n, 0);
	grow_topics(d, c, n);

	for (size_t i = 0; i < n; i++) {
		struct known_topic *k;
		int32_t upto;

		if (c[i].failed || c[i].tgt_parts <= 0)
			continue;
		k = known_get(d, c[i].name);
		if (!k) {
			flow_fail(f, "%s: out of memory", cf->name);
			goto out;
		}
		upto = c[i].src_parts < c[i].tgt_parts ? c[i].src_parts : c[i].tgt_parts;
		if (upto <= k->published)
			continue;
		if (k->published == 0) {
			log_info("%s: mirroring topic %s as %s on %s (%" PRId32 " partitions)",
				 cf->name, c[i].name, c[i].remote, cf->target, upto);
			atomic_fetch_add(&f->topics_mirrored, 1);
		} else {
			log_info("%s: mirroring new partitions of %s: %" PRId32 " -> %" PRId32,
				 cf->name, c[i].name, k->published, upto);
		}
		for (int32_t p = k->published; p < upto; p++)
			flow_assign(f, c[i].name, c[i].remote, p);
		k->published = upto;
	}
	/* after the assignments, which it must not delay */
	record_held(d);
	ok = 1;
out:
	free(c);
	rd_kafka_metadata_destroy(smd);
	rd_kafka_metadata_destroy(tmd);
	return ok;
}

/* Waits MS, or until the flow stops or its placement rules change. */
static void wait_ms(struct flow *f, int64_t ms, unsigned gen)
{
	struct timespec ts = clock_deadline(CLOCK_MONOTONIC, ms);

	pthread_mutex_lock(&f->lock);
	while (!atomic_load(&f->stop) && atomic_load(&f->placement_gen) == gen) {
		if (pthread_cond_timedwait(&f->cond, &f->lock, &ts) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&f->lock);
}

void *discover_main(void *arg)
{
	struct flow *f = arg;
	const struct conf_flow *cf = f->cf;
	struct discovery d = { .f = f, .last_ok = 1 };
	struct kclient_opts o;
	struct ferr err;
	char what[400], cid[400];
	int64_t backoff = 1000;
	int first = 1;
	unsigned long long rounds = 0;

	snprintf(what, sizeof(what), "%s admin client of %s", cf->name, cf->source);
	snprintf(cid, sizeof(cid), "ferry-%s-admin", cf->name);
	const struct kv defaults[] = {
		{ "client.id", cid },
		{ "log.connection.close", "false" },
		{ NULL, NULL },
	};
	o = (struct kclient_opts){
		.what = what, .defaults = defaults, .reach = f->reach_src, .reach_manual = 1
	};
	if (kclient_new(RD_KAFKA_PRODUCER, &cf->source_admin, ROLE_ADMIN, &o, &d.src, &err)) {
		flow_fail(f, "%s", err.msg);
		return NULL;
	}
	snprintf(what, sizeof(what), "%s admin client of %s", cf->name, cf->target);
	o.what = what;
	o.reach = f->reach_tgt;
	if (kclient_new(RD_KAFKA_PRODUCER, &cf->target_admin, ROLE_ADMIN, &o, &d.tgt, &err)) {
		flow_fail(f, "%s", err.msg);
		kclient_destroy(d.src);
		return NULL;
	}

	if (state_open_worker(f->state_dir, &d.st, &err))
		log_error("%s: %s (topics created now will not get topic config sync)", cf->name,
			  err.msg);
	if (cf->emit_offset_syncs) {
		/* MM2's offset-syncs topic: compacted, one partition */
		static const char *const cfg[] = { "cleanup.policy", "compact", NULL };
		rd_kafka_t *where = cf->offset_syncs_on_target ? d.tgt : d.src;

		if (kadmin_ensure_topic(where, cf->offset_syncs_topic, 1, cf->offset_syncs_rf, cfg,
					10000, &err) < 0)
			log_warn("%s: %s (MM2 tools will not see offset syncs until it exists)",
				 cf->name, err.msg);
	}
	while (!atomic_load(&f->stop)) {
		int ok = discover_once(&d);

		if (ok && first) {
			int expect = FLOW_STARTING;

			atomic_compare_exchange_strong(&f->status, &expect, FLOW_RUNNING);
			log_info("%s: running (%" PRIuFAST64 " topics to mirror)", cf->name,
				 atomic_load(&f->topics_mirrored));
			first = 0;
		}
		if (ok && !d.last_ok)
			log_debug("%s: both clusters answer again", cf->name);
		d.last_ok = ok;
		if (!ok) {
			/* the next round that gets through applies the newest rules */
			d.placement_gen = atomic_load(&f->placement_gen);
			wait_ms(f, backoff, d.placement_gen);
			backoff = backoff * 2 > 30000 ? 30000 : backoff * 2;
			continue;
		}
		backoff = 1000;
		/* tests wait for rounds to prove what was not mirrored */
		log_debug("%s: discovery round %llu done (%" PRIuFAST64 " topics to mirror)",
			  cf->name, ++rounds, atomic_load(&f->topics_mirrored));
		/* until the next round, in steps that probe a cluster the data
		 * path finds unreachable */
		for (int64_t left = cf->refresh_enabled ? cf->refresh_interval_s * 1000 : INT64_MAX;
		     left > 0 && !atomic_load(&f->stop) &&
		     atomic_load(&f->placement_gen) == d.placement_gen;
		     left -= PROBE_MS) {
			wait_ms(f, left < PROBE_MS ? left : PROBE_MS, d.placement_gen);
			probe_unreachable(&d);
		}
	}
	for (size_t i = 0; i < d.nknown; i++)
		free(d.known[i].name);
	free(d.known);
	state_close(d.st);
	free(d.held);
	kclient_destroy(d.src);
	kclient_destroy(d.tgt);
	return NULL;
}
