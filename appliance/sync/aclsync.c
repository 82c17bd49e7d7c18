/*
 * aclsync.c — a flow's ACL sync: every sync.topic.acls.interval.seconds,
 * the source's ACL bindings are read (DescribeAcls), mapped by
 * acl/aclmap.c's rules to what the target should have, compared with what
 * the target has (DescribeAcls) and what ferry created there before (the
 * state store's acl_bindings), then the missing ones are created
 * (CreateAcls) and the ones ferry created that are no longer wanted are
 * removed (DeleteAcls, one exact filter each). A binding that already
 * exists on the target when ferry would create it is not ferry's: it is
 * never recorded, so never removed. Runs on its own thread; blocking admin
 * calls are fine here, never on the main loop.
 */
#include "appliance/sync/aclsync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acl/aclmap.h"
#include "appliance/data/flow.h"
#include "appliance/kafka/kadmin.h"
#include "appliance/kafka/kclient.h"
#include "appliance/log.h"
#include "appliance/store/audit.h"
#include "appliance/store/state.h"
#include "lib/clock.h"

#define ADMIN_MS 10000
#define STEP_MS 2000

struct as {
	struct flow *f;
	const struct conf_flow *cf;
	struct state *st;
	rd_kafka_t *src, *tgt;
	/* which cluster's missing authorizer was last logged: said once, not
	 * every round (0 none, 1 source, 2 target) */
	int said_disabled;
};

/* Metadata of RK (every topic when ALL), asked in STEP_MS steps for up to
 * ADMIN_MS so that a flow stopping (pause, commit: the main loop joins
 * this thread) is noticed within a step, as topicconf.c does. */
static rd_kafka_resp_err_t metadata(struct as *c, rd_kafka_t *rk, int all,
				    const struct rd_kafka_metadata **md)
{
	rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR__TIMED_OUT;

	for (int waited = 0; waited < ADMIN_MS && !atomic_load(&c->f->stop); waited += STEP_MS) {
		e = rd_kafka_metadata(rk, all, NULL, md, STEP_MS);
		if (e != RD_KAFKA_RESP_ERR__TIMED_OUT && e != RD_KAFKA_RESP_ERR__TRANSPORT)
			break;
	}
	return e;
}

/* The flow's answers for aclmap (aclmap.h: struct aclmap_flow). */
static int topic_mirrored(void *arg, const char *topic)
{
	return flow_should_replicate(arg, topic);
}

static int remote_name(void *arg, const char *topic, char *out, size_t sz)
{
	return flow_remote_name(arg, topic, out, sz);
}

static int group_synced(void *arg, const char *group)
{
	const struct conf_flow *cf = arg;

	/* checkpoint.c's rule: the flow's filters, never ferry's own groups */
	return regexlist_match(cf->groups, group) && !regexlist_match(cf->groups_exclude, group) &&
	       strncmp(group, "ferry-mirror.", 13) != 0;
}

/*
 * Whether the cluster of RK has an authorizer: 1 yes, 0 no, -1 unknown
 * (error set). librdkafka 2.0.2 drops DescribeAcls' top-level error
 * (rd_kafka_DescribeAclsResponse_parse reads the error code and never
 * sets it on the result), so a cluster without an authorizer, which
 * answers SECURITY_DISABLED, reads as one without bindings; and an empty
 * source must never read as "every binding is gone". So a broker's
 * authorizer.class.name is read first (DescribeConfigs, read-only).
 */
static int has_authorizer(struct as *c, rd_kafka_t *rk, const char *cluster, struct ferr *err)
{
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_resp_err_t e = metadata(c, rk, 0, &md);
	char id[32], es[512];
	rd_kafka_ConfigResource_t *res;
	rd_kafka_queue_t *q;
	rd_kafka_AdminOptions_t *o;
	rd_kafka_event_t *ev;
	int rc = -1;

	if (e || !md->broker_cnt) {
		ferr_set(err, "brokers of %s: %s", cluster,
			 e ? rd_kafka_err2str(e) : "none in the metadata");
		if (md)
			rd_kafka_metadata_destroy(md);
		return -1;
	}
	snprintf(id, sizeof(id), "%d", (int)md->brokers[0].id);
	rd_kafka_metadata_destroy(md);
	res = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_BROKER, id);
	q = rd_kafka_queue_new(rk);
	o = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
	rd_kafka_AdminOptions_set_request_timeout(o, ADMIN_MS, es, sizeof(es));
	rd_kafka_DescribeConfigs(rk, &res, 1, o, q);
	ev = kadmin_wait(q, RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT, ADMIN_MS + 2000, &c->f->stop);
	if (!ev) {
		ferr_set(err, "the configuration of %s: no answer", cluster);
	} else if (rd_kafka_event_error(ev)) {
		ferr_set(err, "the configuration of %s: %s", cluster,
			 rd_kafka_event_error_string(ev));
	} else {
		size_t nr, nc = 0;
		const rd_kafka_ConfigResource_t **r = rd_kafka_DescribeConfigs_result_resources(
			rd_kafka_event_DescribeConfigs_result(ev), &nr);
		const rd_kafka_ConfigEntry_t **ce = nr && !rd_kafka_ConfigResource_error(r[0])
							    ? rd_kafka_ConfigResource_configs(r[0],
											      &nc)
							    : NULL;

		if (!ce) {
			ferr_set(err, "the configuration of %s: %s", cluster,
				 nr ? rd_kafka_ConfigResource_error_string(r[0]) : "no result");
		} else {
			rc = 0;
			for (size_t i = 0; i < nc; i++) {
				const char *v = rd_kafka_ConfigEntry_value(ce[i]);

				if (strcmp(rd_kafka_ConfigEntry_name(ce[i]),
					   "authorizer.class.name") == 0 &&
				    v && *v)
					rc = 1;
			}
		}
	}
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_AdminOptions_destroy(o);
	rd_kafka_queue_destroy(q);
	rd_kafka_ConfigResource_destroy(res);
	return rc;
}

/* Every binding of the cluster of RK into *OUT. Returns 0;
 * 1 when the cluster has no authorizer (SECURITY_DISABLED, for a
 * librdkafka that reports it); -1 on error. */
static int describe(struct as *c, rd_kafka_t *rk, const char *cluster, struct aclmap_list *out,
		    struct ferr *err)
{
	char es[512];
	rd_kafka_AclBindingFilter_t *flt;
	rd_kafka_queue_t *q;
	rd_kafka_AdminOptions_t *o;
	rd_kafka_event_t *ev;
	int rc = -1;

	flt = rd_kafka_AclBindingFilter_new(RD_KAFKA_RESOURCE_ANY, NULL,
					    RD_KAFKA_RESOURCE_PATTERN_ANY, NULL, NULL,
					    RD_KAFKA_ACL_OPERATION_ANY,
					    RD_KAFKA_ACL_PERMISSION_TYPE_ANY, es, sizeof(es));
	if (!flt)
		return ferr_set(err, "ACL filter: %s", es);
	q = rd_kafka_queue_new(rk);
	o = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DESCRIBEACLS);
	rd_kafka_AdminOptions_set_request_timeout(o, ADMIN_MS, es, sizeof(es));
	rd_kafka_DescribeAcls(rk, flt, o, q);
	ev = kadmin_wait(q, RD_KAFKA_EVENT_DESCRIBEACLS_RESULT, ADMIN_MS + 2000, &c->f->stop);
	if (!ev) {
		ferr_set(err, "reading the ACLs of %s: no answer", cluster);
	} else if (rd_kafka_event_error(ev) == RD_KAFKA_RESP_ERR_SECURITY_DISABLED) {
		rc = 1;
	} else if (rd_kafka_event_error(ev)) {
		ferr_set(err, "reading the ACLs of %s: %s", cluster,
			 rd_kafka_event_error_string(ev));
	} else {
		size_t n;
		const rd_kafka_AclBinding_t **v =
			rd_kafka_DescribeAcls_result_acls(rd_kafka_event_DescribeAcls_result(ev),
							  &n);

		rc = 0;
		for (size_t i = 0; i < n && rc == 0; i++) {
			struct aclmap_binding b;
			char d[1400];

			if (aclmap_binding_set(&b, rd_kafka_AclBinding_restype(v[i]),
					       rd_kafka_AclBinding_resource_pattern_type(v[i]),
					       rd_kafka_AclBinding_name(v[i]),
					       rd_kafka_AclBinding_principal(v[i]),
					       rd_kafka_AclBinding_host(v[i]),
					       rd_kafka_AclBinding_operation(v[i]),
					       rd_kafka_AclBinding_permission_type(v[i]))) {
				/* cut, it would name another principal or resource */
				log_warn("%s: ACL binding %s... of %s left alone: a name, principal "
					 "or host longer than ferry keeps",
					 c->cf->name, aclmap_describe(&b, d, sizeof(d)), cluster);
				continue;
			}
			if (aclmap_list_add(out, &b))
				rc = ferr_set(err, "out of memory");
		}
	}
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_AdminOptions_destroy(o);
	rd_kafka_queue_destroy(q);
	rd_kafka_AclBinding_destroy(flt);
	return rc;
}

/* The names of the source's topics (caller frees with kadmin_free_names). */
static int source_topics(struct as *c, char ***out, size_t *n, struct ferr *err)
{
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_resp_err_t e = metadata(c, c->src, 1, &md);
	char **v;

	*out = NULL;
	*n = 0;
	if (e)
		return ferr_set(err, "topics of %s: %s", c->cf->source, rd_kafka_err2str(e));
	v = calloc((size_t)md->topic_cnt + 1, sizeof(*v));
	for (int i = 0; v && i < md->topic_cnt; i++) {
		if (md->topics[i].err)
			continue;
		v[*n] = strdup(md->topics[i].topic);
		if (!v[*n]) {
			kadmin_free_names(v, *n);
			v = NULL;
			break;
		}
		(*n)++;
	}
	rd_kafka_metadata_destroy(md);
	if (!v) {
		*n = 0;
		return ferr_set(err, "out of memory");
	}
	*out = v;
	return 0;
}

static rd_kafka_AclBinding_t *to_kafka(const struct aclmap_binding *b, int filter, char *es,
				       size_t essz)
{
	return (filter ? rd_kafka_AclBindingFilter_new
		       : rd_kafka_AclBinding_new)(b->restype, b->name, b->pattern, b->principal,
						  b->host, b->op, b->perm, es, essz);
}

/* Creates the bindings of WANT on the target; *OK[i] is set for each one
 * the target acknowledged. Returns the number of failures (logged). */
static size_t create(struct as *c, const struct aclmap_list *want, int *ok)
{
	// NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, sized by its element
	rd_kafka_AclBinding_t **v = calloc(want->n ? want->n : 1, sizeof(*v));
	rd_kafka_queue_t *q = rd_kafka_queue_new(c->tgt);
	rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(c->tgt,
							       RD_KAFKA_ADMIN_OP_CREATEACLS);
	rd_kafka_event_t *ev = NULL;
	char es[512], d[1400];
	size_t failed = 0, n = 0;

	for (size_t i = 0; v && i < want->n; i++) {
		ok[i] = 0;
		v[n] = to_kafka(&want->v[i], 0, es, sizeof(es));
		if (!v[n]) {
			log_warn("%s: ACL binding %s not created on %s: %s", c->cf->name,
				 aclmap_describe(&want->v[i], d, sizeof(d)), c->cf->target, es);
			failed++;
			break; /* the result array must line up with WANT */
		}
		n++;
	}
	if (!v || n != want->n) {
		failed += v ? 0 : want->n;
		goto out;
	}
	rd_kafka_AdminOptions_set_request_timeout(o, ADMIN_MS, es, sizeof(es));
	rd_kafka_CreateAcls(c->tgt, v, n, o, q);
	ev = kadmin_wait(q, RD_KAFKA_EVENT_CREATEACLS_RESULT, ADMIN_MS + 2000, &c->f->stop);
	if (!ev || rd_kafka_event_error(ev)) {
		log_warn("%s: creating %zu ACL binding%s on %s: %s", c->cf->name, n,
			 n == 1 ? "" : "s", c->cf->target,
			 ev ? rd_kafka_event_error_string(ev) : "no answer");
		failed += n;
	} else {
		size_t nr;
		const rd_kafka_acl_result_t **r =
			rd_kafka_CreateAcls_result_acls(rd_kafka_event_CreateAcls_result(ev), &nr);

		for (size_t i = 0; i < n; i++) {
			const rd_kafka_error_t *e = i < nr ? rd_kafka_acl_result_error(r[i]) : NULL;

			if (i < nr && !e) {
				ok[i] = 1;
				continue;
			}
			log_warn("%s: ACL binding %s not created on %s: %s", c->cf->name,
				 aclmap_describe(&want->v[i], d, sizeof(d)), c->cf->target,
				 e ? rd_kafka_error_string(e) : "no result");
			failed++;
		}
	}
out:
	if (ev)
		rd_kafka_event_destroy(ev);
	if (v)
		rd_kafka_AclBinding_destroy_array(v, n);
	free(v);
	rd_kafka_AdminOptions_destroy(o);
	rd_kafka_queue_destroy(q);
	return failed;
}

/* Removes binding B (exactly it: every field of the filter is set) from
 * the target. 0 when the target acknowledged, -1 (logged) if not. */
static int remove_one(struct as *c, const struct aclmap_binding *b)
{
	char es[512], d[1400];
	rd_kafka_AclBindingFilter_t *flt = to_kafka(b, 1, es, sizeof(es));
	rd_kafka_queue_t *q;
	rd_kafka_AdminOptions_t *o;
	rd_kafka_event_t *ev;
	const char *why = NULL;

	if (!flt) {
		log_warn("%s: ACL binding %s not removed from %s: %s", c->cf->name,
			 aclmap_describe(b, d, sizeof(d)), c->cf->target, es);
		return -1;
	}
	q = rd_kafka_queue_new(c->tgt);
	o = rd_kafka_AdminOptions_new(c->tgt, RD_KAFKA_ADMIN_OP_DELETEACLS);
	rd_kafka_AdminOptions_set_request_timeout(o, ADMIN_MS, es, sizeof(es));
	rd_kafka_DeleteAcls(c->tgt, &flt, 1, o, q);
	ev = kadmin_wait(q, RD_KAFKA_EVENT_DELETEACLS_RESULT, ADMIN_MS + 2000, &c->f->stop);
	if (!ev) {
		why = "no answer";
	} else if (rd_kafka_event_error(ev)) {
		why = rd_kafka_event_error_string(ev);
	} else {
		size_t nr;
		const rd_kafka_DeleteAcls_result_response_t **r =
			rd_kafka_DeleteAcls_result_responses(rd_kafka_event_DeleteAcls_result(ev),
							     &nr);
		const rd_kafka_error_t *e = nr ? rd_kafka_DeleteAcls_result_response_error(r[0])
					       : NULL;

		if (!nr)
			why = "no result";
		else if (e)
			why = rd_kafka_error_string(e);
	}
	if (why)
		log_warn("%s: ACL binding %s not removed from %s: %s", c->cf->name,
			 aclmap_describe(b, d, sizeof(d)), c->cf->target, why);
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_AdminOptions_destroy(o);
	rd_kafka_queue_destroy(q);
	rd_kafka_AclBinding_destroy(flt);
	return why ? -1 : 0;
}

/* A cluster without an authorizer: said once (info), until it has one. */
static void no_authorizer(struct as *c, int which)
{
	const char *cluster = which == 1 ? c->cf->source : c->cf->target;

	if (c->said_disabled != which)
		log_info("%s: ACL sync skipped: %s has no authorizer (security is disabled "
			 "there); checked again every %lld s",
			 c->cf->name, cluster, c->cf->sync_acls_interval_s);
	c->said_disabled = which;
}

/* One round; returns -1 when some part of it failed (counted). */
static int round_once(struct as *c)
{
	const struct conf_flow *cf = c->cf;
	struct aclmap_list src = { 0 }, want = { 0 }, have = { 0 }, mine = { 0 }, add = { 0 };
	char **topics = NULL, **groups = NULL, d[1400];
	size_t ntopics = 0, ngroups = 0, copied = 0, skipped = 0, theirs = 0, created = 0,
	       removed = 0, failed = 0;
	int *ok = NULL, rc = -1, r;
	enum aclmap_trust trust;
	const char *distrust;
	struct ferr err = { 0 };

	/* everything is read before anything is changed: a round that cannot
	 * see the whole picture changes nothing (an empty answer must never
	 * read as "every binding is gone at the source") */
	r = has_authorizer(c, c->src, cf->source, &err);
	if (r == 1)
		r = describe(c, c->src, cf->source, &src, &err);
	else if (r == 0)
		r = 1;
	if (r == 1) {
		no_authorizer(c, 1);
		rc = 0;
		goto out;
	}
	if (r < 0 || source_topics(c, &topics, &ntopics, &err) ||
	    kadmin_list_groups(c->src, &groups, &ngroups, ADMIN_MS, &err))
		goto fail;
	r = has_authorizer(c, c->tgt, cf->target, &err);
	if (r == 1)
		r = describe(c, c->tgt, cf->target, &have, &err);
	else if (r == 0)
		r = 1;
	if (r == 1) {
		no_authorizer(c, 2);
		rc = 0;
		goto out;
	}
	if (r < 0)
		goto fail;
	if (c->said_disabled)
		log_info("%s: ACL sync: %s and %s have authorizers now", cf->name, cf->source,
			 cf->target);
	c->said_disabled = 0;
	if (state_acl_list(c->st, cf->name, &mine, &err))
		goto fail;
	trust = aclmap_answers_trust(src.n, have.n, mine.n, &distrust);
	if (trust == ACLMAP_CHANGE_NOTHING) {
		ferr_set(&err,
			 "%s while ferry has %zu binding%s on record for %s; librdkafka 2.0.2 "
			 "cannot tell that from a DescribeAcls refused for lack of DESCRIBE on "
			 "the cluster, so nothing is removed (remove them by hand if the source "
			 "really has none)",
			 distrust, mine.n, mine.n == 1 ? "" : "s", cf->target);
		goto fail;
	}
	if (trust == ACLMAP_KEEP_RECORDS)
		log_warn("%s: ACL sync: %s; ferry's %zu record%s kept until it answers them",
			 cf->name, distrust, mine.n, mine.n == 1 ? "" : "s");

	struct aclmap_flow fl = {
		.topic_mirrored = topic_mirrored,
		.remote_name = remote_name,
		.group_synced = group_synced,
		.arg = (void *)cf,
		/* A.<prefix> covers exactly A's copies of the prefix's topics */
		.prefix_preserving = cf->policy.kind == POLICY_DEFAULT,
		.topics = (const char *const *)topics,
		.ntopics = ntopics,
		.groups = (const char *const *)groups,
		.ngroups = ngroups,
	};

	for (size_t i = 0; i < src.n; i++) {
		const char *why;
		int k = aclmap_map(&fl, &src.v[i], &want, &why);

		if (k < 0) {
			ferr_set(&err, "out of memory");
			goto fail;
		}
		if (k == 0) {
			skipped++;
			log_debug("%s: ACL binding %s of %s not copied: %s", cf->name,
				  aclmap_describe(&src.v[i], d, sizeof(d)), cf->source, why);
		}
		copied += k > 0;
	}
	aclmap_list_sort(&want);
	aclmap_list_sort(&have);
	aclmap_list_sort(&mine);

	for (size_t i = 0; i < want.n; i++) {
		if (!aclmap_list_find(&have, &want.v[i])) {
			if (aclmap_list_add(&add, &want.v[i])) {
				ferr_set(&err, "out of memory");
				goto fail;
			}
		} else if (!aclmap_list_find(&mine, &want.v[i])) {
			theirs++; /* there before ferry would create it: not ferry's */
		}
	}
	ok = calloc(add.n ? add.n : 1, sizeof(*ok));
	if (!ok) {
		ferr_set(&err, "out of memory");
		goto fail;
	}
	if (add.n)
		failed += create(c, &add, ok);
	for (size_t i = 0; i < add.n; i++) {
		struct ferr se;

		if (!ok[i])
			continue;
		created++;
		atomic_fetch_add(&c->f->acl_created, 1);
		aclmap_describe(&add.v[i], d, sizeof(d));
		audit_system("ok", "%s: ACL binding created on %s: %s", cf->name, cf->target, d);
		/* after the creation: a record of a binding that was never made
		 * could later remove an identical one made by hand */
		if (state_acl_add(c->st, cf->name, cf->target, &add.v[i], &se))
			log_warn("%s: ACL binding %s created on %s but not recorded (%s): ferry "
				 "will not remove it",
				 cf->name, d, cf->target, se.msg);
	}
	/* what ferry created and no longer wants: gone at the source (or no
	 * longer covering a mirrored topic or synced group) */
	for (size_t i = 0; i < mine.n && !atomic_load(&c->f->stop); i++) {
		struct ferr se;
		int there;

		if (aclmap_list_find(&want, &mine.v[i]))
			continue;
		if (trust == ACLMAP_KEEP_RECORDS)
			continue; /* not there, or not shown: never forgotten on that */
		aclmap_describe(&mine.v[i], d, sizeof(d));
		there = aclmap_list_find(&have, &mine.v[i]) != NULL;
		if (there && remove_one(c, &mine.v[i])) {
			failed++;
			continue;
		}
		if (there) {
			removed++;
			atomic_fetch_add(&c->f->acl_removed, 1);
			audit_system("ok", "%s: ACL binding removed from %s (gone at %s): %s",
				     cf->name, cf->target, cf->source, d);
		} else {
			log_info("%s: ACL binding %s that ferry created is no longer on %s: "
				 "forgotten",
				 cf->name, d, cf->target);
		}
		if (state_acl_del(c->st, cf->name, &mine.v[i], &se))
			log_warn("%s: %s", cf->name, se.msg);
	}
	log_info("%s: ACL sync: %zu binding%s on %s, %zu copied, %zu not; %zu on %s: %zu created, "
		 "%zu removed, %zu already there and not ferry's, %zu failed",
		 cf->name, src.n, src.n == 1 ? "" : "s", cf->source, copied, skipped, want.n,
		 cf->target, created, removed, theirs, failed);
	rc = failed ? -1 : 0;
	goto out;
fail:
	log_warn("%s: ACL sync: %s; nothing changed this round", cf->name, err.msg);
out:
	if (rc)
		atomic_fetch_add(&c->f->acl_failures, 1);
	free(ok);
	kadmin_free_names(topics, ntopics);
	kadmin_free_names(groups, ngroups);
	aclmap_list_free(&src);
	aclmap_list_free(&want);
	aclmap_list_free(&have);
	aclmap_list_free(&mine);
	aclmap_list_free(&add);
	return rc;
}

static void sleep_until(struct flow *f, int64_t when)
{
	while (!atomic_load(&f->stop) && clock_mono_ms() < when) {
		struct timespec ts = { 0, 100 * 1000000L };

		nanosleep(&ts, NULL);
	}
}

void *aclsync_main(void *arg)
{
	struct flow *f = arg;
	const struct conf_flow *cf = f->cf;
	struct as c = { .f = f, .cf = cf };
	struct ferr err = { 0 };
	char what[400], group[400];
	int64_t next;

	/* the flow's stop also ends this thread's admin waits (a stop never
	 * waits out a cluster that does not answer) */
	kadmin_thread_stop(&f->stop);
	if (state_open_worker(f->state_dir, &c.st, &err)) {
		log_error("%s: ACL sync: %s", cf->name, err.msg);
		return NULL;
	}
	/* consumer handles, never subscribed (kclient_admin_consumer says why) */
	snprintf(group, sizeof(group), "ferry-mirror.%s.admin", cf->name);
	snprintf(what, sizeof(what), "%s ACL reader on %s", cf->name, cf->source);
	if (kclient_admin_consumer(&cf->source_admin, what, group, &c.src, &err))
		goto out;
	snprintf(what, sizeof(what), "%s ACL writer on %s", cf->name, cf->target);
	if (kclient_admin_consumer(&cf->target_admin, what, group, &c.tgt, &err))
		goto out;
	next = clock_mono_ms() + 1000;
	while (!atomic_load(&f->stop)) {
		sleep_until(f, next);
		if (atomic_load(&f->stop))
			break;
		round_once(&c);
		next = clock_mono_ms() + cf->sync_acls_interval_s * 1000;
	}
out:
	if (err.msg[0] && (!c.src || !c.tgt))
		log_error("%s: ACL sync: %s", cf->name, err.msg);
	kclient_destroy(c.tgt);
	kclient_destroy(c.src);
	state_close(c.st);
	return NULL;
}
