/*
 * checkpoint.c — a flow's consumer-group work: every
 * emit.checkpoints.interval.seconds, the offsets that source groups
 * committed on mirrored topics are translated exactly (translate.h) and
 * written as MM2 checkpoints to <source>.checkpoints.internal on the
 * target; with sync.group.offsets.enabled they are also committed to the
 * same groups on the target while those have no active members there.
 * A translated offset never moves backwards unless the group rewound.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/clock.h"
#include "appliance/store/audit.h"
#include "appliance/data/flow.h"
#include "appliance/kafka/kadmin.h"
#include "appliance/kafka/kclient.h"
#include "appliance/log.h"
#include "appliance/kafka/mm2fmt.h"
#include "appliance/store/state.h"
#include "appliance/dr/translate.h"

#define ADMIN_MS 10000

struct ckpt {
	char *group, *topic; /* source topic */
	int32_t partition;
	int64_t upstream, downstream; /* downstream -1: none (or no longer translatable) */
	enum translate_result said;   /* the last answer logged, so it is logged once */
};

struct cp {
	struct flow *f;
	const struct conf_flow *cf;
	struct state *st;
	rd_kafka_t *src, *tgt, *prod;
	struct ckpt *last; /* the last checkpoint of each (group, topic, partition) */
	size_t nlast, caplast;
	int topic_ready;
	int64_t next_sync_ms;
	atomic_int acked;     /* checkpoint records acknowledged in this round */
	int64_t gc_warned_ms; /* when a failed group-commit record was last logged */
	size_t gc_skipped;    /* offsets not synced for it since then */
};

static int ckpt_cmp(const char *group, const char *topic, int32_t partition, const struct ckpt *k)
{
	int c = strcmp(group, k->group);

	if (!c)
		c = strcmp(topic, k->topic);
	return c ? c : (partition > k->partition) - (partition < k->partition);
}

/* Where (GROUP, TOPIC, PARTITION) is or would go in c->last, which is kept
 * sorted: a round looks up every partition of every group, so a linear
 * search would make rounds quadratic in groups x partitions. */
static size_t lower_bound(const struct cp *c, const char *group, const char *topic,
			  int32_t partition)
{
	size_t lo = 0, hi = c->nlast;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ckpt_cmp(group, topic, partition, &c->last[mid]) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The entry of (GROUP, TOPIC, PARTITION), added when new; valid until the
 * next call (an insertion moves entries). NULL when out of memory. */
static struct ckpt *last_of(struct cp *c, const char *group, const char *topic, int32_t partition)
{
	size_t at = lower_bound(c, group, topic, partition);
	struct ckpt k = { NULL, NULL, partition, -1, -1, TRANSLATE_OK };

	if (at < c->nlast && ckpt_cmp(group, topic, partition, &c->last[at]) == 0)
		return &c->last[at];
	if (c->nlast == c->caplast) {
		size_t ncap = c->caplast ? c->caplast * 2 : 64;
		struct ckpt *nv = realloc(c->last, ncap * sizeof(*nv));

		if (!nv)
			return NULL;
		c->last = nv;
		c->caplast = ncap;
	}
	k.group = strdup(group);
	k.topic = strdup(topic);
	if (!k.group || !k.topic) {
		free(k.group);
		free(k.topic);
		return NULL;
	}
	memmove(&c->last[at + 1], &c->last[at], (c->nlast - at) * sizeof(*c->last));
	c->last[at] = k;
	c->nlast++;
	return &c->last[at];
}

/* What a checkpoint record says, for the state store once the target
 * has it (show checkpoints): the produce's opaque, freed by the delivery
 * report (or where producing failed). */
struct ckpt_sent {
	char *group, *topic, *remote;
	int32_t partition;
	int64_t upstream, downstream;
};

static void ckpt_sent_free(struct ckpt_sent *k)
{
	if (!k)
		return;
	free(k->group);
	free(k->topic);
	free(k->remote);
	free(k);
}

static struct ckpt_sent *ckpt_sent_new(const char *group, const char *topic, const char *remote,
				       int32_t partition, int64_t upstream, int64_t downstream)
{
	struct ckpt_sent *k = calloc(1, sizeof(*k));

	if (!k || !(k->group = strdup(group)) || !(k->topic = strdup(topic)) ||
	    !(k->remote = strdup(remote))) {
		ckpt_sent_free(k);
		return NULL;
	}
	k->partition = partition;
	k->upstream = upstream;
	k->downstream = downstream;
	return k;
}

/* Served by rd_kafka_poll/flush on the checkpoint thread, so c->st (that
 * thread's connection) may be written here. */
static void on_ckpt_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct cp *c = kclient_opaque(rk);
	struct ckpt_sent *k = m->_private; /* ours from here */
	struct ferr err;

	(void)opaque;
	if (!m->err)
		atomic_fetch_add(&c->acked, 1);
	if (!m->err && k) {
		struct state_checkpoint row = { c->cf->name,   k->group,       k->topic,
						k->remote,     k->partition,   k->upstream,
						k->downstream, clock_wall_ms() };

		/* show checkpoints only: the checkpoint itself is on the target */
		if (state_checkpoint_put(c->st, &row, &err))
			log_warn("%s: %s", c->cf->name, err.msg);
	}
	ckpt_sent_free(k);
}

/* The sync history of a partition, read once per round however many
 * groups have offsets on it. */
struct history {
	char *topic;
	int32_t partition;
	struct offset_history h;
	int64_t src_lo, tgt_lo; /* log start offsets, asked once a round when needed; -2 not yet */
};

struct histories {
	struct history *v;
	size_t n, cap;
};

static void histories_free(struct histories *h)
{
	for (size_t i = 0; i < h->n; i++) {
		free(h->v[i].topic);
		offset_history_free(&h->v[i].h);
	}
	free(h->v);
	memset(h, 0, sizeof(*h));
}

/* The log start offset of TOPIC[PARTITION] on the cluster of RK; -1 unknown. */
static int64_t earliest_offset(struct cp *c, rd_kafka_t *rk, const char *topic, int32_t partition)
{
	int64_t lo = -1, hi = -1;
	rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(rk, topic, partition, &lo, &hi,
								 ADMIN_MS);

	if (e) {
		log_warn("%s: log start of %s[%d]: %s", c->cf->name, topic, (int)partition,
			 rd_kafka_err2str(e));
		return -1;
	}
	return lo;
}

/* Translates one group's committed offset G: a translate_result (*down
 * on TRANSLATE_OK), or -1 when the history cannot be read. Below the
 * history, a G below the source's log start resumes where a consumer on
 * the source would: at its earliest record (offsets_translate_below_start). */
static int translate_one(struct cp *c, struct histories *h, const char *topic, int32_t partition,
			 int64_t g, int64_t *down)
{
	struct history *e = NULL;
	struct ferr err;
	char remote[512];
	enum translate_result r;

	for (size_t i = 0; i < h->n && !e; i++)
		if (h->v[i].partition == partition && strcmp(h->v[i].topic, topic) == 0)
			e = &h->v[i];
	if (!e) {
		if (h->n == h->cap) {
			size_t ncap = h->cap ? h->cap * 2 : 16;
			struct history *nv = realloc(h->v, ncap * sizeof(*nv));

			if (!nv)
				return -1;
			h->v = nv;
			h->cap = ncap;
		}
		e = &h->v[h->n];
		memset(e, 0, sizeof(*e));
		e->partition = partition;
		e->src_lo = e->tgt_lo = -2;
		e->topic = strdup(topic);
		if (!e->topic)
			return -1;
		if (state_syncs_load(c->st, c->cf->name, topic, partition, &e->h, &err)) {
			log_warn("%s: %s", c->cf->name, err.msg);
			free(e->topic);
			return -1;
		}
		h->n++;
	}
	r = offsets_translate(&e->h, g, down);
	if (r != TRANSLATE_BELOW_HISTORY)
		return (int)r;
	if (e->src_lo == -2)
		e->src_lo = earliest_offset(c, c->src, topic, partition);
	if (e->src_lo < 0 || g >= e->src_lo)
		return (int)r;
	if (e->tgt_lo == -2)
		e->tgt_lo = policy_format_remote(&c->cf->policy, c->cf->source, topic, remote,
						 sizeof(remote))
				    ? -1
				    : earliest_offset(c, c->tgt, remote, partition);
	return (int)offsets_translate_below_start(&e->h, g, e->src_lo, e->tgt_lo, down);
}

/* Commits the checkpoints of GROUP to the target group when it has no
 * members there, never moving an offset backwards. */
static void sync_group(struct cp *c, const char *group)
{
	char state[64] = "";
	int members = 0;
	struct group_offset *cur = NULL, *want = NULL;
	size_t ncur = 0, nwant = 0, kept = 0;
	struct ferr err;

	if (kadmin_group_state(c->tgt, group, state, sizeof(state), &members, ADMIN_MS, &err) ==
		    0 &&
	    members > 0) {
		log_debug("%s: group %s is active on %s (%s, %d members): offsets not synced",
			  c->cf->name, group, c->cf->target, state, members);
		return;
	}
	if (kadmin_group_offsets(c->tgt, group, &cur, &ncur, ADMIN_MS, &err) != 0) {
		log_warn("%s: %s", c->cf->name, err.msg);
		return;
	}
	want = calloc(c->nlast ? c->nlast : 1, sizeof(*want));
	/* the group's entries are adjacent in the sorted c->last */
	for (size_t i = lower_bound(c, group, "", INT32_MIN);
	     want && i < c->nlast && strcmp(c->last[i].group, group) == 0; i++) {
		struct ckpt *k = &c->last[i];
		char remote[512];
		int64_t have = -1;

		if (k->downstream < 0 || policy_format_remote(&c->cf->policy, c->cf->source,
							      k->topic, remote, sizeof(remote)))
			continue;
		for (size_t j = 0; j < ncur; j++)
			if (cur[j].partition == k->partition && strcmp(cur[j].topic, remote) == 0)
				have = cur[j].offset;
		if (have >= k->downstream)
			continue; /* never backwards (nor a no-op) */
		snprintf(want[nwant].topic, sizeof(want[nwant].topic), "%s", remote);
		want[nwant].partition = k->partition;
		want[nwant].offset = k->downstream;
		nwant++;
	}
	/* the record first: an offset ferry committed but could not record
	 * (a full disk) would be a commit the "never backwards" guard does
	 * not know of. Such an offset is not committed this round; k keeps
	 * it, so the next round tries again. A record whose commit then fails
	 * stays until the next round's replaces it. */
	for (size_t i = 0; i < nwant; i++) {
		struct ferr perr;

		if (state_group_commit_put(c->st, c->cf->target, group, want[i].topic,
					   want[i].partition, -1, want[i].offset, &perr) == 0) {
			want[kept++] = want[i];
			continue;
		}
		c->gc_skipped++;
		/* at most one line a minute: a full disk fails every round */
		if (c->gc_warned_ms == 0 || clock_mono_ms() - c->gc_warned_ms >= 60000) {
			log_warn("%s: group %s: offset %" PRId64 " of %s[%d] not synced to %s: %s; "
				 "%zu offset%s skipped since the last such message, retried next round",
				 c->cf->name, group, want[i].offset, want[i].topic,
				 (int)want[i].partition, c->cf->target, perr.msg, c->gc_skipped,
				 c->gc_skipped == 1 ? "" : "s");
			c->gc_warned_ms = clock_mono_ms();
			c->gc_skipped = 0;
		}
	}
	nwant = kept;
	if (nwant && kadmin_commit_offsets(c->tgt, group, want, nwant, ADMIN_MS, &err) == 0)
		log_debug("%s: synced %zu offsets of group %s to %s", c->cf->name, nwant, group,
			  c->cf->target);
	else if (nwant)
		log_warn("%s: %s", c->cf->name, err.msg);
	free(cur);
	free(want);
}

static void round_once(struct cp *c, int do_sync)
{
	const struct conf_flow *cf = c->cf;
	char **groups = NULL;
	size_t ngroups = 0, sent = 0;
	struct histories hist = { 0 };
	struct ferr err;
	int64_t t0 = clock_mono_ms();

	if (kadmin_list_groups(c->src, &groups, &ngroups, ADMIN_MS, &err)) {
		log_warn("%s: %s", cf->name, err.msg);
		return;
	}
	atomic_store(&c->acked, 0);
	for (size_t g = 0; g < ngroups && !atomic_load(&c->f->stop); g++) {
		struct group_offset *offs = NULL;
		size_t n = 0, used = 0;

		if (!regexlist_match(cf->groups, groups[g]) ||
		    regexlist_match(cf->groups_exclude, groups[g]) ||
		    strncmp(groups[g], "ferry-mirror.", 13) == 0)
			continue;
		if (kadmin_group_offsets(c->src, groups[g], &offs, &n, ADMIN_MS, &err)) {
			log_warn("%s: %s", cf->name, err.msg);
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			struct ckpt *k;
			int64_t down;
			char remote[512];
			struct mm2buf key, val;
			int r;

			if (!flow_should_replicate(cf, offs[i].topic))
				continue;
			r = translate_one(c, &hist, offs[i].topic, offs[i].partition,
					  offs[i].offset, &down);
			if (r < 0)
				continue; /* the history could not be read (logged) */
			k = NULL;
			switch ((enum translate_result)r) {
			case TRANSLATE_NONE:
				continue; /* nothing mirrored yet: nothing to say */
			case TRANSLATE_BELOW_HISTORY:
			case TRANSLATE_UNKNOWN_RANGE:
				/* no checkpoint and no group sync: an answer would be a guess */
				k = last_of(c, groups[g], offs[i].topic, offs[i].partition);
				if (!k)
					continue;
				if (k->said != (enum translate_result)r)
					log_warn("%s: group %s: offset %" PRId64
						 " of %s[%d] cannot be "
						 "translated (%s): no checkpoint, no offset sync",
						 cf->name, groups[g], offs[i].offset, offs[i].topic,
						 (int)offs[i].partition,
						 translate_result_str((enum translate_result)r));
				k->said = (enum translate_result)r;
				k->upstream = offs[i].offset;
				k->downstream = -1;
				continue;
			case TRANSLATE_OK:
				k = last_of(c, groups[g], offs[i].topic, offs[i].partition);
				break;
			}
			if (!k)
				continue;
			k->said = TRANSLATE_OK;
			/* never backwards, unless the group itself went back */
			if (k->downstream >= 0 && down < k->downstream &&
			    offs[i].offset >= k->upstream)
				down = k->downstream;
			k->upstream = offs[i].offset;
			k->downstream = down;
			used++;
			if (!cf->emit_checkpoints || !c->topic_ready ||
			    policy_format_remote(&cf->policy, cf->source, offs[i].topic, remote,
						 sizeof(remote)))
				continue;
			mm2_checkpoint_key(&key, groups[g], remote, offs[i].partition);
			mm2_checkpoint_value(&val, offs[i].offset, down, "");
			struct ckpt_sent *ks = ckpt_sent_new(groups[g], offs[i].topic, remote,
							     offs[i].partition, offs[i].offset,
							     down);

			/* ks passes to the delivery report when produced */
			if (!key.overflow &&
			    rd_kafka_producev(c->prod, RD_KAFKA_V_TOPIC(cf->checkpoints_topic),
					      RD_KAFKA_V_PARTITION(0),
					      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
					      RD_KAFKA_V_KEY(key.data, key.len),
					      RD_KAFKA_V_VALUE(val.data, val.len),
					      RD_KAFKA_V_OPAQUE(ks),
					      RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR_NO_ERROR)
				// NOLINTNEXTLINE(clang-analyzer-unix.Malloc): ks is the message's opaque, freed by on_ckpt_delivery
				sent++;
			else
				ckpt_sent_free(ks);
		}
		free(offs);
		if (used && do_sync)
			sync_group(c, groups[g]);
	}
	kadmin_free_names(groups, ngroups);
	histories_free(&hist);
	if (sent) {
		rd_kafka_flush(c->prod, ADMIN_MS);
		atomic_store(&c->f->checkpoint_latency_ms, clock_mono_ms() - t0);
		atomic_fetch_add(&c->f->checkpoints_written, (uint_fast64_t)atomic_load(&c->acked));
	}
}

static void sleep_until(struct flow *f, int64_t when)
{
	while (!atomic_load(&f->stop) && clock_mono_ms() < when) {
		struct timespec ts = { 0, 100 * 1000000L };

		nanosleep(&ts, NULL);
	}
}

void *checkpoint_main(void *arg)
{
	struct flow *f = arg;
	const struct conf_flow *cf = f->cf;
	struct cp c = { .f = f, .cf = cf };
	struct kclient_opts o;
	struct ferr err;
	char what[400], group[400];
	int64_t next_ckpt;

	if (state_open_worker(f->state_dir, &c.st, &err)) {
		log_error("%s: checkpoints: %s", cf->name, err.msg);
		return NULL;
	}
	/* admin work on consumer handles (kclient_admin_consumer says why) */
	snprintf(group, sizeof(group), "ferry-mirror.%s.admin", cf->name);
	snprintf(what, sizeof(what), "%s group reader on %s", cf->name, cf->source);
	if (kclient_admin_consumer(&cf->source_admin, what, group, &c.src, &err))
		goto out;
	snprintf(what, sizeof(what), "%s group writer on %s", cf->name, cf->target);
	if (kclient_admin_consumer(&cf->target_admin, what, group, &c.tgt, &err))
		goto out;
	snprintf(what, sizeof(what), "%s checkpoint producer to %s", cf->name, cf->target);
	const struct kv pdef[] = { { "linger.ms", "20" },
				   { "log.connection.close", "false" },
				   { "message.timeout.ms", "30000" },
				   { NULL, NULL } };
	o = (struct kclient_opts){ .what = what,
				   .defaults = pdef,
				   .opaque = &c,
				   .dr_msg_cb = on_ckpt_delivery,
				   .cluster = cf->target };
	if (kclient_new(RD_KAFKA_PRODUCER, &cf->producer, ROLE_PRODUCER, &o, &c.prod, &err))
		goto out;

	next_ckpt = clock_mono_ms() + 2000; /* let the mirror tasks record some syncs first */
	c.next_sync_ms = next_ckpt;
	while (!atomic_load(&f->stop)) {
		int64_t interval = cf->emit_checkpoints ? cf->checkpoints_interval_s * 1000
							: cf->sync_group_offsets_interval_s * 1000;
		int do_sync;

		sleep_until(f, next_ckpt);
		if (atomic_load(&f->stop))
			break;
		if (cf->emit_checkpoints && !c.topic_ready) {
			static const char *const cfg[] = { "cleanup.policy", "compact", NULL };

			if (kadmin_ensure_topic(c.prod, cf->checkpoints_topic, 1,
						cf->checkpoints_rf, cfg, ADMIN_MS, &err) >= 0)
				c.topic_ready = 1;
			else /* an unreachable target is logged once (reach.c) */
				log_msg(reach_is_down(f->reach_tgt, NULL, 0) ? LOG_LVL_DEBUG
									     : LOG_LVL_WARNING,
					"%s: %s; retrying", cf->name, err.msg);
		}
		do_sync = cf->sync_group_offsets && clock_mono_ms() >= c.next_sync_ms;
		if (do_sync)
			c.next_sync_ms = clock_mono_ms() + cf->sync_group_offsets_interval_s * 1000;
		round_once(&c, do_sync);
		if (cf->sync_group_offsets && cf->sync_group_offsets_interval_s * 1000 < interval)
			interval = cf->sync_group_offsets_interval_s * 1000;
		next_ckpt = clock_mono_ms() + interval;
		rd_kafka_poll(c.prod, 0);
	}
out:
	if (err.msg[0] && (!c.src || !c.tgt || !c.prod))
		log_error("%s: checkpoints: %s", cf->name, err.msg);
	if (c.prod) {
		rd_kafka_flush(c.prod, 2000);
		/* what the target did not take: its reports free their opaques */
		rd_kafka_purge(c.prod, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
		rd_kafka_flush(c.prod, 1000);
	}
	kclient_destroy(c.prod);
	kclient_destroy(c.tgt);
	kclient_destroy(c.src);
	for (size_t i = 0; i < c.nlast; i++) {
		free(c.last[i].group);
		free(c.last[i].topic);
	}
	free(c.last);
	state_close(c.st);
	return NULL;
}
