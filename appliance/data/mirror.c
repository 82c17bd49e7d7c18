/*
 * mirror.c — the data path of one mirror task. Ownership of a consumed
 * record: rd_kafka_consumer_poll() gives us the message; we hand its
 * payload (not a copy) and its detached headers to the producer and keep
 * the message itself as the produce opaque; the delivery report callback
 * acknowledges its offset and destroys it. So each consumed record is
 * destroyed exactly once: in on_delivery(), or where producing it failed.
 */
#include "lib/clock.h"
#include "appliance/data/mirror.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#include "appliance/store/audit.h"
#include "appliance/data/inflight.h"
#include "appliance/kafka/kclient.h"
#include "appliance/log.h"
#include "appliance/kafka/mm2fmt.h"
#include "appliance/store/state.h"
#include "appliance/placement/placement.h"

#define BATCH_MAX 5000 /* records taken from the consumer per loop turn */

struct mpart {
	struct mtopic *t;
	int32_t partition;
	struct inflight fl;
	int64_t saved;           /* last position written to the store; -1 none */
	int64_t saved_last_down; /* last_down as last written (it ends translation) */
	int64_t saved_ident;     /* ident_offset as last written */
	/* offset syncs: the delta downstream - upstream of the last acknowledged
	 * record, and the last record itself */
	int have_delta;
	int64_t delta, last_up, last_down;
	int64_t last_mm2_up; /* upstream offset of the last sync sent to MM2's topic */
	/* acknowledgements without a target offset since the last known one:
	 * the lowest upstream offset among them (valid when unknown is set) */
	int unknown;
	int64_t unknown_min;
	/* end of partition reached at this offset (librdkafka's EOF event):
	 * with nothing in flight, every record below it was mirrored, and
	 * what lies between the last one and it (transaction markers, aborted
	 * records) has nothing to mirror */
	int64_t eof;
	int dropped; /* a record was not handed over: never trust eof again */
	/* on (re)start: the last acknowledged record (ident_*) is read back
	 * first and compared; records below resume_at were mirrored before and
	 * are not sent again. Verifying starts only with nothing in flight and
	 * ends before anything is sent, so ident_* stay put meanwhile. */
	int verify;
	int64_t resume_at;
	/* stopped: the source log changed under ferry or a record cannot be
	 * read; nothing of it is mirrored until an operator resumes it */
	int stopped;
	int assigned; /* part of the consumer's assignment */
	char stop_reason[400];
	/* the last acknowledged record (from the store at start, then from
	 * every acknowledgement): saved with the position, read back to check */
	int have_ident;
	int64_t ident_offset, ident_ts;
	uint64_t ident_hash;
	/* the topic vanished from the source (deleted?): nothing is sent until
	 * what is in flight is acknowledged and the last record is checked */
	int recheck;
	int gone_logged;
	int64_t recheck_at_ms;    /* look for the topic again then ... */
	int64_t recheck_delay_ms; /* ... backing off while it stays away */
	int64_t reassign_at_ms;   /* > 0: assign again at reassign_offset then */
	int64_t reassign_offset;
	int64_t never_mirrored; /* offsets deleted at the source before ferry read them */
	/* the placement rule that applies to this partition's records, for
	 * the transfer ledger (owned; NULL: none): see part_placement() */
	char *rule, *category;
	/* held back by a placement rule: unassigned, nothing more is handed to
	 * the producer; what was handed before is acknowledged (or fails the
	 * flow) as usual, so the position stays on the first record not copied,
	 * and once the rule allows the topic again the partition is assigned
	 * there (after its in-flight records are settled) */
	int blocked;
};

/* An operator's `resume flow F --topic T --partition P --from X`. */
struct part_resume {
	char *topic;
	int32_t partition;
	int64_t from; /* >= 0, or RD_KAFKA_OFFSET_BEGINNING / _END */
};

struct pending_sync {
	struct mtopic *t;
	int32_t partition;
	int64_t upstream, downstream;
	int64_t translate_from; /* as in struct state_sync */
	int after_unknown;
	int64_t unknown_min, known_up;
};

struct mtopic {
	char *name, *remote;
	int blocked;               /* by placement: forward() sends none of its records */
	char block_reason[300];    /* "blocked-by-placement: rule ..." */
	rd_kafka_topic_t *src_rkt; /* consumer side; opaque = this */
	rd_kafka_topic_t *dst_rkt; /* producer side */
	struct mpart **parts;      /* indexed by partition; NULL = not ours */
	int32_t nparts;
};

struct mirror_task {
	struct flow *f;
	int index;
	char what[320];
	pthread_t thr;
	int started;

	pthread_mutex_t lock; /* guards pending and resumes */
	struct part_assign *pending;
	size_t npending, cap;
	struct part_resume *resumes;
	size_t nresumes;

	/* below: only the task thread touches these */
	rd_kafka_t *consumer, *producer;
	struct state *st;
	struct mtopic **topics;
	size_t ntopics;
	int64_t start_logical;      /* where a partition without a position starts */
	rd_kafka_t *syncp;          /* writes MM2's offset-syncs topic; NULL when off */
	struct pending_sync *syncs; /* recorded, not yet in the state store */
	size_t nsyncs, capsyncs;
	uint64_t mm2_syncs_dropped;
	size_t inflight_total;
	int stopping;           /* purged records are expected, not failures */
	atomic_int fatal;       /* the producer hit a fatal error ... */
	char fatal_reason[512]; /* ... this one (set before fatal) */
	int64_t last_flush_ms;
	int64_t last_save_error_ms;
	int64_t last_consumer_warn_ms; /* consumer warnings: at most one per 10 s */
	unsigned consumer_warns_dropped;
	size_t nreassign; /* partitions with reassign_at_ms set */
	size_t nrecheck;  /* partitions with recheck set */
	/* placement: the rules last applied (a reference) and their generation
	 * (flow.placement_gen), compared once per loop turn, before a batch */
	struct conf *pconf;
	unsigned pgen;
	size_t nunblock; /* partitions blocked whose topic is allowed again */

	/* statistics: written by the task thread, read by the control plane */
	struct lat_window repl_cur, age_cur; /* task thread only */
	int64_t window_start_ms, last_snap_ms;
	pthread_mutex_t snap_lock; /* guards the five below */
	struct part_stat *snap;
	size_t nsnap;
	size_t nsnap_stopped; /* how many of snap are stopped */
	struct lat_window repl_last, age_last;

	/* back-pressure (task thread only): the consumer is not polled while
	 * the store is stalled or the in-flight records reach their budget */
	int store_stalled;           /* the last save failed; retried every flush interval */
	uint64_t consumed_bytes;     /* key + value of every record handed to the producer */
	uint64_t oldest_seq;         /* consumed_bytes when the oldest one in flight was taken */
	int64_t window_pub;          /* consumed_bytes - oldest_seq as last published */
	int64_t max_inflight_bytes;  /* ferry.mirror.max.inflight.bytes, capped by the producer's */
	size_t max_inflight_records; /* the producer's queue.buffering.max.messages */
};

void lat_add(struct lat_window *w, int64_t v)
{
	if (w->count == 0 || v < w->min)
		w->min = v;
	if (w->count == 0 || v > w->max)
		w->max = v;
	w->sum += v;
	w->count++;
}

void lat_merge(struct lat_window *into, const struct lat_window *w)
{
	if (w->count == 0)
		return;
	if (into->count == 0 || w->min < into->min)
		into->min = w->min;
	if (into->count == 0 || w->max > into->max)
		into->max = w->max;
	into->sum += w->sum;
	into->count += w->count;
}

/* The position to save and show: see inflight_position() and mpart.eof. */
static int64_t part_position(const struct mpart *mp)
{
	int64_t p = inflight_position(&mp->fl);

	if (!mp->dropped && !mp->stopped && !mp->verify && !mp->recheck && !mp->blocked &&
	    inflight_count(&mp->fl) == 0 && mp->eof > p)
		return mp->eof;
	return p;
}

static struct mtopic *topic_of(struct mirror_task *t, rd_kafka_topic_t *rkt)
{
	struct mtopic *mt = rd_kafka_topic_opaque(rkt);
	const char *name;

	if (mt)
		return mt;
	/* librdkafka knew the topic before we attached our opaque: by name */
	name = rd_kafka_topic_name(rkt);
	for (size_t i = 0; i < t->ntopics; i++)
		if (strcmp(t->topics[i]->name, name) == 0)
			return t->topics[i];
	return NULL;
}

static struct mpart *part_of(struct mirror_task *t, const rd_kafka_message_t *m)
{
	struct mtopic *mt = topic_of(t, m->rkt);

	if (!mt || m->partition < 0 || m->partition >= mt->nparts)
		return NULL;
	return mt->parts[m->partition];
}

/* A record's identity besides its offset and timestamp: XXH3 of its key,
 * then of its value seeded with that (null and empty differ). Fast enough
 * (many GB/s) to run on every acknowledgement. */
static uint64_t record_hash(const rd_kafka_message_t *m)
{
	uint64_t k = m->key ? XXH3_64bits(m->key, m->key_len) : 0x6e756c6c6b6579ULL;

	return m->payload ? XXH3_64bits_withSeed(m->payload, m->len, k) : k ^ 0x6e756c6cULL;
}

/* MM2's offset-syncs topic is for MM2's tools; ferry's own exact history
 * is in the state store. A sync that cannot be queued is dropped. */
static void send_mm2_sync(struct mirror_task *t, struct mpart *mp, int64_t up, int64_t down)
{
	struct mm2buf k, v;

	if (!t->syncp)
		return;
	mm2_offset_sync_key(&k, mp->t->name, mp->partition);
	mm2_offset_sync_value(&v, up, down);
	if (k.overflow ||
	    rd_kafka_producev(t->syncp, RD_KAFKA_V_TOPIC(t->f->cf->offset_syncs_topic),
			      RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
			      RD_KAFKA_V_KEY(k.data, k.len), RD_KAFKA_V_VALUE(v.data, v.len),
			      RD_KAFKA_V_END) != RD_KAFKA_RESP_ERR_NO_ERROR)
		t->mm2_syncs_dropped++;
	mp->last_mm2_up = up;
}

/* Called for every record acknowledged with its target offset: a change
 * of delta is a sync, and so is the first known offset after unknown ones
 * (state.c marks what lies between as a hole). */
static void record_sync(struct mirror_task *t, struct mpart *mp, int64_t up, int64_t down)
{
	if (!mp->have_delta || down - up != mp->delta || mp->unknown) {
		if (t->nsyncs == t->capsyncs) {
			size_t ncap = t->capsyncs ? t->capsyncs * 2 : 64;
			struct pending_sync *nv = realloc(t->syncs, ncap * sizeof(*nv));

			if (!nv) {
				flow_fail(t->f, "%s: out of memory", t->what);
				return;
			}
			t->syncs = nv;
			t->capsyncs = ncap;
		}
		t->syncs[t->nsyncs++] = (struct pending_sync){
			.t = mp->t,
			.partition = mp->partition,
			.upstream = up,
			.downstream = down,
			/* used only where the partition has no history yet: nothing
			 * mirrorable lies below a start from the beginning */
			.translate_from = mp->have_delta   ? -1
					  : mp->saved >= 0 ? mp->saved
					  : t->start_logical == RD_KAFKA_OFFSET_BEGINNING ? 0
											  : up,
			.after_unknown = mp->unknown,
			.unknown_min = mp->unknown ? mp->unknown_min : -1,
			.known_up = mp->have_delta ? mp->last_up : -1,
		};
		mp->unknown = 0;
		mp->delta = down - up;
		mp->have_delta = 1;
		send_mm2_sync(t, mp, up, down);
	} else if (t->f->cf->offset_lag_max > 0 &&
		   up - mp->last_mm2_up >= t->f->cf->offset_lag_max) {
		send_mm2_sync(t, mp, up, down);
	}
	mp->last_up = up;
	mp->last_down = down;
}

/*
 * Ferry's account of the memory its records pin. A consumed record keeps
 * its whole fetch response (or decompressed batch) alive until the target
 * acknowledges it, and one response carries records of many partitions; so
 * what counts is not the bytes in flight but the bytes consumed since the
 * oldest record still in flight: every fetch buffer taken after that one
 * may still be held. This window (key + value bytes) is what
 * ferry.mirror.max.inflight.bytes bounds, and ferry_inflight_bytes shows.
 * Recomputed once per loop turn (acknowledgements only shrink it).
 */
static void update_window(struct mirror_task *t)
{
	uint64_t oldest = t->consumed_bytes, seq;
	int64_t w, delta, total, peak;

	for (size_t i = 0; i < t->ntopics; i++)
		for (int32_t p = 0; p < t->topics[i]->nparts; p++) {
			struct mpart *mp = t->topics[i]->parts[p];

			if (mp && inflight_oldest_seq(&mp->fl, &seq) && seq < oldest)
				oldest = seq;
		}
	t->oldest_seq = oldest;
	w = (int64_t)(t->consumed_bytes - oldest);
	delta = w - t->window_pub;
	t->window_pub = w;
	total = atomic_fetch_add(&t->f->inflight_bytes, delta) + delta;
	peak = atomic_load(&t->f->inflight_bytes_peak);
	while (total > peak &&
	       !atomic_compare_exchange_weak(&t->f->inflight_bytes_peak, &peak, total))
		;
}

/* Whether the task must stop taking records from the consumer: the state
 * store cannot be written (nothing more may be acknowledged past what is
 * saved), or the records in flight pin their budget (update_window). */
static int hold_consumer(const struct mirror_task *t)
{
	return t->store_stalled ||
	       (int64_t)(t->consumed_bytes - t->oldest_seq) >= t->max_inflight_bytes ||
	       t->inflight_total >= t->max_inflight_records;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct mirror_task *t = kclient_opaque(rk);
	rd_kafka_message_t *src = m->_private;
	struct mpart *mp = part_of(t, src);

	(void)opaque;
	t->inflight_total--;
	if (m->err) {
		int purged = m->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE ||
			     m->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT;

		if (!(purged && t->stopping))
			flow_fail(t->f,
				  "record %s[%" PRId32 "]@%" PRId64
				  " was not written to %s[%" PRId32
				  "] on %s: %s (%s)%s%s; the flow stops here and resumes from this "
				  "record after a restart",
				  rd_kafka_topic_name(src->rkt), src->partition, src->offset,
				  rd_kafka_topic_name(m->rkt), m->partition, t->f->cf->target,
				  rd_kafka_err2str(m->err), rd_kafka_err2name(m->err),
				  atomic_load(&t->fatal) ? "; producer: " : "",
				  atomic_load(&t->fatal) ? t->fatal_reason : "");
	} else if (mp) {
		rd_kafka_timestamp_type_t tt;
		int64_t ts = rd_kafka_message_timestamp(src, &tt);

		/* what a restart reads back: the last record acknowledged at all */
		if (src->offset > mp->ident_offset || !mp->have_ident) {
			mp->have_ident = 1;
			mp->ident_offset = src->offset;
			mp->ident_ts = tt == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? -1 : ts;
			mp->ident_hash = record_hash(src);
		}
		if (m->offset >= 0) {
			record_sync(t, mp, src->offset, m->offset);
		} else if (!mp->unknown || src->offset < mp->unknown_min) {
			/* acknowledged without its target offset (duplicate sequence,
			 * implicit ack): the next known one starts a fresh sync */
			mp->unknown_min = src->offset;
			mp->unknown = 1;
		}
		if (tt != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE)
			lat_add(&t->repl_cur, clock_wall_ms() - ts);
		if (inflight_ack(&mp->fl, src->offset) != 0)
			log_error("%s: acknowledgement for unknown offset %s[%" PRId32 "]@%" PRId64,
				  t->what, rd_kafka_topic_name(src->rkt), src->partition,
				  src->offset);
		atomic_fetch_add(&t->f->records, 1);
		atomic_fetch_add(&t->f->bytes, src->len + src->key_len);
	}
	rd_kafka_message_destroy(src);
}

/* May run on a librdkafka thread. A fatal producer error is turned into a
 * flow failure by the task thread, which first collects the delivery
 * report that names the record behind it. */
static void on_client_error(void *opaque, int fatal, const char *reason)
{
	struct mirror_task *t = opaque;

	if (!fatal || atomic_load(&t->fatal))
		return;
	snprintf(t->fatal_reason, sizeof(t->fatal_reason), "%s", reason);
	atomic_store(&t->fatal, 1);
}

static void handle_fatal(struct mirror_task *t)
{
	int64_t deadline = clock_mono_ms() + 2000;

	while (flow_get_status(t->f) != FLOW_FAILED && clock_mono_ms() < deadline)
		rd_kafka_poll(t->producer, 100);
	flow_fail(t->f, "%s: fatal client error: %s", t->what, t->fatal_reason);
}

void mirror_task_add(struct mirror_task *t, const char *topic, const char *remote,
		     int32_t partition)
{
	pthread_mutex_lock(&t->lock);
	if (t->npending == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 16;
		struct part_assign *np = realloc(t->pending, ncap * sizeof(*np));

		if (!np) {
			pthread_mutex_unlock(&t->lock);
			flow_fail(t->f, "%s: out of memory", t->what);
			return;
		}
		t->pending = np;
		t->cap = ncap;
	}
	t->pending[t->npending].topic = strdup(topic);
	t->pending[t->npending].remote = strdup(remote);
	t->pending[t->npending].partition = partition;
	if (t->pending[t->npending].topic && t->pending[t->npending].remote)
		t->npending++;
	else {
		free(t->pending[t->npending].topic);
		free(t->pending[t->npending].remote);
	}
	pthread_mutex_unlock(&t->lock);
}

static struct mtopic *topic_find(struct mirror_task *t, const char *name)
{
	for (size_t i = 0; i < t->ntopics; i++)
		if (strcmp(t->topics[i]->name, name) == 0)
			return t->topics[i];
	return NULL;
}

/*
 * The placement rule and category that apply to MP's records from now on,
 * as the transfer ledger records them (NULL: none); copied. 0, or -1 out
 * of memory (the old ones stay).
 */
static int ledger_placement(struct mpart *mp, const char *rule, const char *category)
{
	char *r = rule ? strdup(rule) : NULL, *c = category ? strdup(category) : NULL;

	if ((rule && !r) || (category && !c)) {
		free(r);
		free(c);
		return -1;
	}
	free(mp->rule);
	free(mp->category);
	mp->rule = r;
	mp->category = c;
	return 0;
}

/*
 * MP's ledger rule and category from V, the verdict of the task's rules on
 * its topic (NULL: none could be had, so no rule): the rules that named the
 * topic and that the target met, so the copy was allowed. A blocked
 * verdict changes nothing: what is still acknowledged of MP was sent under
 * the rules before, and nothing more is sent.
 */
static void part_placement(struct mirror_task *t, struct mpart *mp,
			   const struct placement_verdict *v)
{
	int named = v && v->nrules > 0;

	if (v && !v->allowed)
		return;
	if (ledger_placement(mp, named ? v->rules : NULL,
			     named && v->category[0] ? v->category : NULL) != 0)
		flow_fail(t->f, "%s: out of memory", t->what);
}

/* The verdict of the task's rules on TOPIC into *V: V, or NULL when there
 * is none (no rules loaded, or the target unknown to them). */
static const struct placement_verdict *judge(struct mirror_task *t, const char *topic,
					     struct placement_verdict *v)
{
	struct ferr e;

	if (!t->pconf)
		return NULL;
	/* on error V holds the topic back (placement_check_flow fails closed) */
	(void)placement_check_flow(t->pconf, t->f->cf, topic, v, &e);
	return v;
}

static struct mtopic *topic_get(struct mirror_task *t, const char *name, const char *remote)
{
	struct mtopic *mt;
	rd_kafka_topic_conf_t *tc;
	struct mtopic **nt;

	for (size_t i = 0; i < t->ntopics; i++)
		if (strcmp(t->topics[i]->name, name) == 0)
			return t->topics[i];
	mt = calloc(1, sizeof(*mt));
	// NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, sized by its element
	nt = realloc(t->topics, (t->ntopics + 1) * sizeof(*nt));
	if (!mt || !nt) {
		free(mt);
		if (nt)
			t->topics = nt;
		return NULL;
	}
	t->topics = nt;
	mt->name = strdup(name);
	mt->remote = strdup(remote);
	/* a fresh rd_kafka_topic_conf_new() would drop the consumer's topic
	 * settings (auto.offset.reset=error among them): start from a copy */
	tc = rd_kafka_default_topic_conf_dup(t->consumer);
	rd_kafka_topic_conf_set_opaque(tc, mt);
	/* tc passes to librdkafka here */
	mt->src_rkt = rd_kafka_topic_new(t->consumer, name, tc);
	mt->dst_rkt = rd_kafka_topic_new(t->producer, remote, NULL);
	if (!mt->name || !mt->remote || !mt->src_rkt || !mt->dst_rkt) {
		if (mt->src_rkt)
			rd_kafka_topic_destroy(mt->src_rkt);
		if (mt->dst_rkt)
			rd_kafka_topic_destroy(mt->dst_rkt);
		free(mt->name);
		free(mt->remote);
		free(mt);
		return NULL;
	}
	{
		struct placement_verdict v;

		if (judge(t, name, &v) && !v.allowed) {
			mt->blocked = 1;
			snprintf(mt->block_reason, sizeof(mt->block_reason),
				 "blocked-by-placement: rule %.250s", v.blocking);
		}
	}
	t->topics[t->ntopics++] = mt;
	return mt;
}

static const char *offset_str(int64_t off, char *buf, size_t sz)
{
	if (off == RD_KAFKA_OFFSET_BEGINNING)
		return "the beginning";
	if (off == RD_KAFKA_OFFSET_END)
		return "the end";
	if (off < 0)
		return "the reset policy";
	snprintf(buf, sz, "offset %" PRId64, off);
	return buf;
}

static void publish_snapshot(struct mirror_task *t, int64_t now);

/* Starts mirroring the partitions discovery queued for us; 1 if any. */
static int take_pending(struct mirror_task *t)
{
	struct part_assign *list;
	size_t n;
	rd_kafka_topic_partition_list_t *tpl;
	struct ferr err;

	pthread_mutex_lock(&t->lock);
	list = t->pending;
	n = t->npending;
	t->pending = NULL;
	t->npending = t->cap = 0;
	pthread_mutex_unlock(&t->lock);
	if (!n)
		return 0;

	tpl = rd_kafka_topic_partition_list_new((int)n);
	for (size_t i = 0; i < n; i++) {
		struct part_assign *pa = &list[i];
		struct mtopic *mt = topic_get(t, pa->topic, pa->remote);
		struct mpart *mp;
		struct state_last_record lr;
		int64_t pos = -1, assign_at;
		int found;
		char ob[48];

		if (!mt) {
			flow_fail(t->f, "%s: out of memory", t->what);
			break;
		}
		if (pa->partition >= mt->nparts) {
			size_t want = (size_t)pa->partition + 1;
			// NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, sized by its element
			struct mpart **np = realloc(mt->parts, want * sizeof(*np));

			if (!np) {
				flow_fail(t->f, "%s: out of memory", t->what);
				break;
			}
			for (int32_t p = mt->nparts; p <= pa->partition; p++)
				np[p] = NULL;
			mt->parts = np;
			mt->nparts = pa->partition + 1;
		}
		if (mt->parts[pa->partition])
			continue; /* already ours */
		found = state_last_record_get(t->st, t->f->cf->name, pa->topic, pa->partition, &lr,
					      &err);
		if (found == 1)
			pos = lr.next_offset;
		if (found < 0) {
			flow_fail(t->f, "%s: %s", t->what, err.msg);
			break;
		}
		mp = calloc(1, sizeof(*mp));
		if (!mp) {
			flow_fail(t->f, "%s: out of memory", t->what);
			break;
		}
		mp->t = mt;
		mp->partition = pa->partition;
		mp->eof = -1;
		inflight_init(&mp->fl, found ? pos : -1);
		mp->saved = found ? pos : -1;
		mp->saved_last_down = -1;
		mp->saved_ident = found && lr.has_hash ? lr.offset : -1;
		mp->ident_offset = -1;
		mp->resume_at = found ? pos : -1;
		assign_at = found ? pos : t->start_logical;
		/* read the last mirrored record back first: if the source log is
		 * not the one ferry mirrored (a topic recreated while ferryd was
		 * away), the partition stops instead of mixing two logs */
		if (found && lr.has_hash && lr.offset >= 0 && lr.offset < pos) {
			mp->have_ident = 1;
			mp->ident_offset = lr.offset;
			mp->ident_ts = lr.timestamp;
			mp->ident_hash = lr.hash;
			mp->verify = 1;
			assign_at = lr.offset;
		}
		if (state_gaps_total(t->st, t->f->cf->name, pa->topic, pa->partition,
				     &mp->never_mirrored, &err) != 0)
			log_warn("%s: %s", t->what, err.msg); /* a count for display only */
		mt->parts[pa->partition] = mp;
		atomic_fetch_add(&t->f->partitions_mirrored, 1);
		{
			struct placement_verdict v;

			part_placement(t, mp, judge(t, mt->name, &v));
		}
		if (mt->blocked) {
			/* discovery handed it over before the rule: not assigned */
			mp->blocked = 1;
			mp->verify = 0;
			continue;
		}
		/* a failed assignment below fails the flow: nothing reads this then */
		mp->assigned = 1;
		rd_kafka_topic_partition_list_add(tpl, pa->topic, pa->partition)->offset = assign_at;
		log_debug("%s: mirroring %s[%d] -> %s[%d] from %s%s", t->what, pa->topic,
			  (int)pa->partition, pa->remote, (int)pa->partition,
			  offset_str(found ? pos : t->start_logical, ob, sizeof(ob)),
			  mp->verify ? ", checking the last mirrored record first" : "");
	}
	if (tpl->cnt > 0) {
		rd_kafka_error_t *e = rd_kafka_incremental_assign(t->consumer, tpl);

		if (e) {
			flow_fail(t->f, "%s: cannot assign partitions: %s", t->what,
				  rd_kafka_error_string(e));
			rd_kafka_error_destroy(e);
		}
	}
	rd_kafka_topic_partition_list_destroy(tpl);
	for (size_t i = 0; i < n; i++) {
		free(list[i].topic);
		free(list[i].remote);
	}
	free(list);
	return 1;
}

/*
 * Writes what changed since the last save: positions and the pending
 * offset syncs, in one transaction. When the store cannot take it (disk
 * full, read-only file system, I/O error) nothing is lost: the syncs stay
 * pending and the positions in memory, the task stalls (hold_consumer()
 * stops taking records, delivery reports are still served) and the next
 * flush retries; the first save that succeeds ends the stall. 0 or -1.
 */
static int save_positions(struct mirror_task *t)
{
	struct state_position *v = NULL;
	struct state_ledger *led = NULL;
	struct mpart **who = NULL;
	size_t n = 0, cap = 0;
	struct ferr err;
	int rc = -1;

	for (size_t i = 0; i < t->ntopics; i++) {
		struct mtopic *mt = t->topics[i];

		for (int32_t p = 0; p < mt->nparts; p++) {
			struct mpart *mp = mt->parts[p];
			int64_t pos;

			if (!mp)
				continue;
			pos = part_position(mp);
			/* only what changed: the position, or the last mirrored record
			 * (an out-of-order acknowledgement moves it alone) */
			if (pos < 0 || (pos == mp->saved &&
					(!mp->have_delta || mp->last_down == mp->saved_last_down) &&
					(!mp->have_ident || mp->ident_offset == mp->saved_ident) &&
					!inflight_tally_pending(&mp->fl)))
				continue;
			if (n == cap) {
				size_t ncap = cap ? cap * 2 : 64;
				struct state_position *nv = realloc(v, ncap * sizeof(*nv));
				struct state_ledger *nl;
				struct mpart **nw;

				if (nv)
					v = nv;
				nl = realloc(led, ncap * sizeof(*nl));
				if (nl)
					led = nl;
				// NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, sized by its element
				nw = realloc(who, ncap * sizeof(*nw));
				if (nw)
					who = nw;
				if (!nv || !nl || !nw)
					goto out;
				cap = ncap;
			}
			who[n] = mp;
			/* what this position passes over since the last save: the
			 * ledger row grows in the same transaction, by exactly that */
			{
				const struct inflight_tally *ty = &mp->fl.tally;

				led[n] = (struct state_ledger){ ty->records,      ty->bytes,
								ty->first_offset, ty->last_offset,
								ty->first_ts,     ty->last_ts,
								mp->rule,         mp->category };
			}
			/* the identity of the last acknowledged record goes along,
			 * so that a restart can tell whether the log is the same */
			v[n++] = (struct state_position){ mt->name,
							  p,
							  pos,
							  mp->have_delta ? mp->last_up : -1,
							  mp->have_delta ? mp->last_down : -1,
							  mp->have_ident ? mp->ident_ts : -1,
							  mp->have_ident,
							  mp->ident_hash,
							  mp->have_ident ? mp->ident_offset : -1 };
		}
	}
	if (n == 0 && t->nsyncs == 0) {
		rc = 0;
		goto out;
	}
	struct state_sync *ss = t->nsyncs ? malloc(t->nsyncs * sizeof(*ss)) : NULL;

	if (t->nsyncs && !ss)
		goto out;
	for (size_t i = 0; i < t->nsyncs; i++) {
		const struct pending_sync *y = &t->syncs[i];
		int64_t lo = -1, hi = -1;

		/* the log start the consumer's last fetch reported (Fetch v5+;
		 * invalid until then): the history below it is not needed */
		if (rd_kafka_get_watermark_offsets(t->consumer, y->t->name, y->partition, &lo,
						   &hi) != RD_KAFKA_RESP_ERR_NO_ERROR)
			lo = -1;
		ss[i] = (struct state_sync){ .topic = y->t->name,
					     .partition = y->partition,
					     .upstream = y->upstream,
					     .downstream = y->downstream,
					     .translate_from = y->translate_from,
					     .after_unknown = y->after_unknown,
					     .unknown_min = y->unknown_min,
					     .known_up = y->known_up,
					     .log_start = lo };
	}
	if (state_positions_save_ledger(t->st, t->f->cf->name, v, led, n, ss, t->nsyncs,
					t->f->conf->syncs_retention, &err) != 0) {
		free(ss);
		/* the records are safe on the target; only a restart would re-send more */
		int64_t now = clock_mono_ms();

		atomic_fetch_add(&t->f->store_errors, 1);
		if (t->stopping) {
			log_error("%s: cannot save positions: %s; a restart re-sends from the last "
				  "saved positions",
				  t->what, err.msg);
		} else if (!t->store_stalled) {
			t->store_stalled = 1;
			t->last_save_error_ms = now;
			flow_stall(t->f,
				   "%s cannot write the state store: %s; it takes no new records "
				   "until a save succeeds (retried every %lld ms)",
				   t->what, err.msg, (long long)t->f->conf->flush_interval_ms);
		} else if (now - t->last_save_error_ms > 10000) {
			log_error("%s: still cannot save positions: %s", t->what, err.msg);
			t->last_save_error_ms = now;
		}
		goto out;
	}
	free(ss);
	rc = 0;
	if (t->store_stalled) {
		t->store_stalled = 0;
		flow_unstall(t->f, "the state store takes writes again; positions and offset syncs "
				   "saved, records flow");
	}
	t->nsyncs = 0;
	for (size_t i = 0; i < n; i++) {
		struct inflight_tally done;

		/* saved: the tally starts again (nothing drained it meanwhile,
		 * this thread alone acknowledges) */
		inflight_tally_take(&who[i]->fl, &done);
		who[i]->saved = v[i].next_offset;
		if (v[i].last_downstream >= 0)
			who[i]->saved_last_down = v[i].last_downstream;
		if (v[i].last_record >= 0)
			who[i]->saved_ident = v[i].last_record;
	}
out:
	free(v);
	free(led);
	free(who);
	return rc;
}

static void unassign_one(struct mirror_task *t, struct mpart *mp);

/* (Re)assigns one partition at OFFSET (a real offset or a logical one).
 * librdkafka refuses to assign what is assigned, and after a failed fetch
 * (auto.offset.reset=error) the partition still is: unassign it first.
 * Its removal is served before the unassign call returns, so the new
 * assignment is never mistaken for the old one. */
static int assign_one(struct mirror_task *t, struct mpart *mp, int64_t offset)
{
	rd_kafka_topic_partition_list_t *tpl;
	rd_kafka_error_t *e;

	if (mp->assigned)
		unassign_one(t, mp);
	tpl = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(tpl, mp->t->name, mp->partition)->offset = offset;
	e = rd_kafka_incremental_assign(t->consumer, tpl);
	rd_kafka_topic_partition_list_destroy(tpl);
	if (e) {
		flow_fail(t->f, "%s: cannot assign %s[%d]: %s", t->what, mp->t->name,
			  (int)mp->partition, rd_kafka_error_string(e));
		rd_kafka_error_destroy(e);
		return -1;
	}
	mp->assigned = 1;
	return 0;
}

static void unassign_one(struct mirror_task *t, struct mpart *mp)
{
	rd_kafka_topic_partition_list_t *tpl = rd_kafka_topic_partition_list_new(1);
	rd_kafka_error_t *e;

	rd_kafka_topic_partition_list_add(tpl, mp->t->name, mp->partition);
	e = rd_kafka_incremental_unassign(t->consumer, tpl);
	rd_kafka_topic_partition_list_destroy(tpl);
	mp->assigned = 0;
	if (e) {
		/* still stopped for ferry: forward() drops what arrives */
		log_warn("%s: cannot unassign %s[%d]: %s", t->what, mp->t->name, (int)mp->partition,
			 rd_kafka_error_string(e));
		rd_kafka_error_destroy(e);
	}
}

static void reassign_later(struct mirror_task *t, struct mpart *mp, int64_t offset,
			   int64_t delay_ms)
{
	if (mp->reassign_at_ms == 0)
		t->nreassign++;
	mp->reassign_at_ms = clock_mono_ms() + delay_ms;
	mp->reassign_offset = offset;
}

/*
 * Stops one partition loudly: the source log changed under ferry, or a
 * record cannot be read. Its position stays at what the target
 * acknowledged; what the consumer still holds of it is dropped. Only an
 * operator's `resume flow F --topic T --partition P --from ...` goes on.
 */
enum stop_kind {
	STOP_UNREADABLE,  /* the log is the same, a record cannot be read */
	STOP_LOG_CHANGED, /* the log is not the one mirrored: its history means nothing */
};

static void __attribute__((format(printf, 4, 5)))
stop_partition(struct mirror_task *t, struct mpart *mp, enum stop_kind kind, const char *fmt, ...)
{
	va_list ap;
	struct ferr err;

	if (mp->stopped)
		return;
	/* consumer groups of the new log must not be translated with the old
	 * log's history (checkpoints, group offset sync, failover) */
	if (kind == STOP_LOG_CHANGED &&
	    state_history_block(t->st, t->f->cf->name, mp->t->name, mp->partition, &err) != 0)
		log_error("%s: %s[%d]: %s; offsets of this partition may still be translated with "
			  "its old history until it is resumed",
			  t->what, mp->t->name, (int)mp->partition, err.msg);
	va_start(ap, fmt);
	vsnprintf(mp->stop_reason, sizeof(mp->stop_reason), fmt, ap);
	va_end(ap);
	mp->stopped = 1;
	mp->verify = 0;
	if (mp->recheck) {
		mp->recheck = 0;
		t->nrecheck--;
	}
	if (mp->reassign_at_ms) {
		mp->reassign_at_ms = 0;
		t->nreassign--;
	}
	unassign_one(t, mp);
	log_error("flow %s: partition %s[%d] stopped at offset %" PRId64 ": %s; resume it with "
		  "`resume flow %s --topic %s --partition %d --from earliest|latest|OFFSET`",
		  t->f->cf->name, mp->t->name, (int)mp->partition, part_position(mp),
		  mp->stop_reason, t->f->cf->name, mp->t->name, (int)mp->partition);
	audit_system("error", "flow %s: partition %s[%d] stopped at offset %" PRId64 ": %s",
		     t->f->cf->name, mp->t->name, (int)mp->partition, part_position(mp),
		     mp->stop_reason);
	publish_snapshot(t, clock_mono_ms());
}

/* The record at ident_offset, read back after a start: 1 it is the one
 * ferry mirrored last, 0 the log changed (the partition is stopped). */
static int verify_record(struct mirror_task *t, struct mpart *mp, const rd_kafka_message_t *m,
			 int64_t ts)
{
	if (m->offset != mp->ident_offset) {
		stop_partition(t, mp, STOP_LOG_CHANGED,
			       "the source log changed: a record at offset %" PRId64
			       " where ferry mirrored none (ferry's last mirrored record is at %" PRId64
			       ", its position %" PRId64 "); the topic was recreated or rewritten",
			       m->offset, mp->ident_offset, mp->resume_at);
		return 0;
	}
	int same_data = record_hash(m) == mp->ident_hash;

	if (ts != mp->ident_ts || !same_data) {
		stop_partition(t, mp, STOP_LOG_CHANGED,
			       "the source log changed: the record at offset %" PRId64
			       " is not the one ferry mirrored (timestamp %" PRId64 " vs %" PRId64
			       "%s); the topic was recreated or rewritten",
			       m->offset, ts, mp->ident_ts, same_data ? "" : ", key/value differ");
		return 0;
	}
	return 1;
}

/* Produces one consumed record; takes ownership of M in every case. */
static void forward(struct mirror_task *t, rd_kafka_message_t *m)
{
	struct mpart *mp = part_of(t, m);
	rd_kafka_headers_t *hdrs = NULL;
	rd_kafka_timestamp_type_t tstype;
	int64_t ts;
	int64_t warned_ms = 0;

	if (!mp) {
		/* not assigned to us (cannot happen with incremental assign): drop
		 * without advancing anything */
		log_warn("%s: record from unassigned %s[%d] ignored", t->what,
			 rd_kafka_topic_name(m->rkt), (int)m->partition);
		rd_kafka_message_destroy(m);
		return;
	}
	ts = rd_kafka_message_timestamp(m, &tstype);
	if (mp->stopped || mp->recheck || mp->t->blocked) {
		/* fetched before the stop took effect, or perhaps from a new log
		 * of a recreated topic, or of a topic a placement rule now keeps
		 * from the target: not ours to send (read again from the
		 * position, which stays before it, when it may be) */
		rd_kafka_message_destroy(m);
		return;
	}
	if (m->offset < mp->resume_at) {
		/* below the saved position: only the last mirrored record, read
		 * back to compare it, and never sent again */
		if (mp->verify) {
			if (verify_record(t, mp, m,
					  tstype == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? -1 : ts)) {
				mp->verify = 0;
				mp->gone_logged = 0;
				log_debug("%s: %s[%d]: last mirrored record at %" PRId64 " checked",
					  t->what, mp->t->name, (int)mp->partition, m->offset);
			}
		} else {
			stop_partition(t, mp, STOP_LOG_CHANGED,
				       "the source log changed: a record at offset %" PRId64
				       " below ferry's position %" PRId64
				       " where ferry mirrored none; "
				       "the topic was recreated or rewritten",
				       m->offset, mp->resume_at);
		}
		rd_kafka_message_destroy(m);
		return;
	}
	if (mp->verify) {
		/* the record at ident_offset is gone (compacted away): nothing
		 * to compare with, and nothing at or above the position is lost */
		mp->verify = 0;
		log_info("%s: %s[%d]: the last mirrored record (offset %" PRId64 ") is no longer "
			 "in the source log (compaction); not checked",
			 t->what, mp->t->name, (int)mp->partition, mp->ident_offset);
	}
	if (tstype != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE)
		lat_add(&t->age_cur, clock_wall_ms() - ts);
	if (rd_kafka_message_detach_headers(m, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR)
		hdrs = NULL;

	for (;;) {
		rd_kafka_resp_err_t e =
			rd_kafka_producev(t->producer, RD_KAFKA_V_RKT(mp->t->dst_rkt),
					  RD_KAFKA_V_PARTITION(m->partition),
					  RD_KAFKA_V_MSGFLAGS(
						  0), /* no copy: M lives until its report */
					  RD_KAFKA_V_VALUE(m->payload, m->len),
					  RD_KAFKA_V_KEY(m->key, m->key_len),
					  RD_KAFKA_V_TIMESTAMP(
						  tstype == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? 0
											     : ts),
					  RD_KAFKA_V_HEADERS(
						  hdrs), /* passes to librdkafka on success */
					  RD_KAFKA_V_OPAQUE(m), RD_KAFKA_V_END);

		if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
			/* counted in the ledger once the position passes it */
			if (inflight_push_rec(&mp->fl, m->offset, t->consumed_bytes,
					      (int64_t)(m->len + m->key_len),
					      tstype == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? -1
											 : ts) != 0)
				flow_fail(t->f, "%s: out of memory", t->what);
			t->inflight_total++;
			t->consumed_bytes += m->len + m->key_len;
			return;
		}
		if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
			/* back-pressure: the target is slower; serve reports and retry */
			rd_kafka_poll(t->producer, 50);
		} else if (e == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION ||
			   e == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC) {
			/* the remote topic or its new partitions are not in the
			 * producer's metadata yet: refresh and retry */
			const struct rd_kafka_metadata *md = NULL;
			int64_t now = clock_mono_ms();

			if (warned_ms == 0)
				warned_ms = now;
			else if (now - warned_ms > 30000) {
				log_warn("%s: still waiting for %s[%d] to appear on %s", t->what,
					 mp->t->remote, (int)m->partition, t->f->cf->target);
				warned_ms = now;
			}
			if (rd_kafka_metadata(t->producer, 0, mp->t->dst_rkt, &md, 2000) ==
			    RD_KAFKA_RESP_ERR_NO_ERROR)
				rd_kafka_metadata_destroy(md);
			rd_kafka_poll(t->producer, 200);
		} else {
			flow_fail(t->f, "cannot produce %s[%d]@%" PRId64 " to %s[%d] on %s: %s",
				  mp->t->name, (int)m->partition, m->offset, mp->t->remote,
				  (int)m->partition, t->f->cf->target, rd_kafka_err2str(e));
			break;
		}
		if (atomic_load(&t->f->stop))
			break;
	}
	/* not handed over: the position stays before this record */
	mp->dropped = 1;
	if (hdrs)
		rd_kafka_headers_destroy(hdrs);
	rd_kafka_message_destroy(m);
}

/* The partition or its topic is no longer in the source's metadata: the
 * topic was deleted, and may be recreated with a new log under the same
 * name (librdkafka 2.0.2 knows no topic IDs). */
static int topic_gone(rd_kafka_resp_err_t e)
{
	return e == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
	       e == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC || e == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION;
}

/* MP's topic or partition left the source's metadata: hold the partition
 * (forward() drops what arrives) until do_rechecks() has read its last
 * mirrored record again. */
static void partition_gone(struct mirror_task *t, struct mpart *mp, const char *why)
{
	if (mp->stopped)
		return;
	if (!mp->recheck) {
		mp->recheck = 1;
		mp->recheck_delay_ms = 0;
		t->nrecheck++;
	}
	mp->eof = -1; /* what reached the end before may be dropped now */
	if (!mp->gone_logged) {
		log_warn("%s: %s[%d]: %s; if the topic comes back, its last mirrored record is "
			 "checked before anything more is mirrored",
			 t->what, mp->t->name, (int)mp->partition, why);
		mp->gone_logged = 1;
	}
}

/*
 * librdkafka reports a partition that left the metadata (topic deleted) as
 * an error op on the partition's queue, served by the error callback, as
 * "TOPIC [PARTITION]: reason (error)": that is where it names the
 * partition. Runs inside rd_kafka_consumer_poll() on the task thread.
 */
static void on_consumer_event(void *opaque, rd_kafka_resp_err_t err, const char *reason)
{
	struct mirror_task *t = opaque;
	const char *br = strstr(reason, " [");
	char topic[256];
	char *end;
	long part;
	struct mtopic *mt;

	if (!topic_gone(err) || !br || (size_t)(br - reason) >= sizeof(topic))
		return;
	part = strtol(br + 2, &end, 10);
	if (end == br + 2 || *end != ']' || part < 0 || part > INT32_MAX)
		return;
	memcpy(topic, reason, (size_t)(br - reason));
	topic[br - reason] = '\0';
	mt = topic_find(t, topic);
	if (mt && part < mt->nparts && mt->parts[part])
		partition_gone(t, mt->parts[part], reason);
}

/* Consumer errors after which librdkafka goes on past records it could
 * not deliver: mirroring on would leave a hole. */
static int data_error(rd_kafka_resp_err_t e)
{
	return e == RD_KAFKA_RESP_ERR__BAD_MSG || /* CRC mismatch (check.crcs) */
	       e == RD_KAFKA_RESP_ERR__BAD_COMPRESSION ||
	       e == RD_KAFKA_RESP_ERR__NOT_IMPLEMENTED || /* message format, codec */
	       e == RD_KAFKA_RESP_ERR_INVALID_MSG ||      /* CORRUPT_MESSAGE */
	       e == RD_KAFKA_RESP_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT ||
	       e == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE;
}

/*
 * The consumer could not fetch at OFFSET (auto.offset.reset=error: never a
 * silent reset). The log start and end tell why:
 *  - the position fell below the log start: the source deleted records
 *    ferry had not mirrored yet (retention, DeleteRecords). Counted,
 *    logged, audited and recorded; mirroring goes on from the log start,
 *    as MM2 does, and translation stays exact (a sync is recorded where the
 *    delta jumps).
 *  - the position lies beyond the log end: the log went backwards (topic
 *    recreated, unclean truncation). The partition stops.
 */
static void out_of_range(struct mirror_task *t, struct mpart *mp, int64_t offset)
{
	int64_t lo = -1, hi = -1, pos;
	rd_kafka_resp_err_t e;
	struct ferr err;

	if (mp->stopped)
		return;
	if (offset < 0) {
		/* a logical start (beginning, end) could not be looked up: no
		 * position to judge, try again */
		log_warn("%s: %s[%d]: the start offset could not be looked up; trying again",
			 t->what, mp->t->name, (int)mp->partition);
		reassign_later(t, mp, offset, 2000);
		return;
	}
	/* blocks this task (not the main loop) for at most the timeout */
	e = rd_kafka_query_watermark_offsets(t->consumer, mp->t->name, mp->partition, &lo, &hi,
					     5000);
	if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
		log_warn("%s: %s[%d]: offset %" PRId64 " out of range, and the log's bounds cannot "
			 "be read (%s); trying again",
			 t->what, mp->t->name, (int)mp->partition, offset, rd_kafka_err2str(e));
		reassign_later(t, mp, offset, 2000);
		return;
	}
	/* everything below the fetch offset was delivered to us */
	pos = mp->verify ? mp->resume_at : offset;
	if (pos < lo) {
		char detail[400];

		snprintf(detail, sizeof(detail),
			 "offsets %" PRId64 "..%" PRId64 " (%" PRId64
			 " records or markers) were deleted at the source before ferry mirrored "
			 "them; mirroring goes on from the log start %" PRId64,
			 pos, lo - 1, lo - pos, lo);
		log_error("flow %s: %s[%d]: %s", t->f->cf->name, mp->t->name, (int)mp->partition,
			  detail);
		audit_system("error", "flow %s: partition %s[%d]: %s", t->f->cf->name, mp->t->name,
			     (int)mp->partition, detail);
		if (state_gap_add(t->st, t->f->cf->name, mp->t->name, mp->partition, pos, lo, &err))
			log_error("%s: %s", t->what, err.msg);
		mp->never_mirrored += lo - pos;
		/* the position moves to lo once what is in flight is acknowledged */
		if (inflight_skip_to(&mp->fl, lo) != 0)
			flow_fail(t->f, "%s: out of memory", t->what);
		mp->verify = 0;
		assign_one(t, mp, lo);
	} else if (pos > hi) {
		stop_partition(t, mp, STOP_LOG_CHANGED,
			       "the source log went backwards: ferry's position is %" PRId64
			       " but the log now ends at %" PRId64 " (starts at %" PRId64
			       "); the topic "
			       "was recreated or truncated",
			       pos, hi, lo);
	} else if (mp->verify && offset < lo) {
		/* the last mirrored record was deleted, the position is still there */
		mp->verify = 0;
		log_info("%s: %s[%d]: the last mirrored record (offset %" PRId64 ") was deleted at "
			 "the source; not checked",
			 t->what, mp->t->name, (int)mp->partition, offset);
		assign_one(t, mp, pos);
	} else {
		/* in range again (a leader change): fetch there once more */
		log_warn("%s: %s[%d]: offset %" PRId64 " was out of range but lies within %" PRId64
			 "..%" PRId64 " now; fetching again",
			 t->what, mp->t->name, (int)mp->partition, offset, lo, hi);
		reassign_later(t, mp, offset, 1000);
	}
}

static void consumer_event(struct mirror_task *t, rd_kafka_message_t *m)
{
	if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
		struct mpart *mp = part_of(t, m);

		/* not while records are dropped (held or stopped): the end they
		 * reached was not mirrored */
		if (mp && !mp->recheck && !mp->stopped && !mp->blocked && m->offset > mp->eof)
			mp->eof = m->offset;
	} else if ((m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET ||
		    m->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE) &&
		   part_of(t, m)) {
		out_of_range(t, part_of(t, m), m->offset);
	} else if (topic_gone(m->err) && part_of(t, m)) {
		partition_gone(t, part_of(t, m), rd_kafka_message_errstr(m));
	} else if (data_error(m->err) && part_of(t, m)) {
		stop_partition(t, part_of(t, m), STOP_UNREADABLE,
			       "a record at offset %" PRId64 " cannot be read: %s (%s)", m->offset,
			       rd_kafka_message_errstr(m), rd_kafka_err2name(m->err));
	} else if (m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
		   m->err == RD_KAFKA_RESP_ERR__FATAL) {
		flow_fail(t->f, "%s: consuming %s[%d]: %s", t->what,
			  m->rkt ? rd_kafka_topic_name(m->rkt) : "?", (int)m->partition,
			  rd_kafka_message_errstr(m));
	} else {
		/* transient (a broker away, a topic being deleted): librdkafka
		 * retries; say it, but not a thousand times */
		int64_t now = clock_mono_ms();

		if (now - t->last_consumer_warn_ms >= 10000) {
			log_warn("%s: consumer: %s[%d]: %s%s", t->what,
				 m->rkt ? rd_kafka_topic_name(m->rkt) : "-", (int)m->partition,
				 rd_kafka_message_errstr(m),
				 t->consumer_warns_dropped ? " (and similar messages suppressed)"
							   : "");
			t->last_consumer_warn_ms = now;
			t->consumer_warns_dropped = 0;
		} else {
			t->consumer_warns_dropped++;
		}
	}
	rd_kafka_message_destroy(m);
}

static void shutdown_task(struct mirror_task *t)
{
	int64_t timeout = t->f->conf->shutdown_timeout_ms;
	int64_t deadline;

	t->stopping = 1;
	/* let the target acknowledge what is in flight, then save; a producer
	 * in a fatal state acknowledges nothing more */
	if (t->producer) {
		if (rd_kafka_fatal_error(t->producer, NULL, 0) == RD_KAFKA_RESP_ERR_NO_ERROR)
			rd_kafka_flush(t->producer, (int)timeout);
		save_positions(t);
		if (t->inflight_total > 0)
			log_warn("%s: %zu records still unacknowledged after %lld ms; they will be "
				 "re-sent after restart",
				 t->what, t->inflight_total, (long long)timeout);
		rd_kafka_purge(t->producer, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
		deadline = clock_mono_ms() + 5000;
		while (t->inflight_total > 0 && clock_mono_ms() < deadline)
			rd_kafka_poll(t->producer, 100);
		save_positions(t);
	}
	if (t->consumer) {
		rd_kafka_consumer_close(t->consumer);
	}
	for (size_t i = 0; i < t->ntopics; i++) {
		struct mtopic *mt = t->topics[i];

		for (int32_t p = 0; p < mt->nparts; p++) {
			if (mt->parts[p]) {
				inflight_free(&mt->parts[p]->fl);
				free(mt->parts[p]->rule);
				free(mt->parts[p]->category);
				free(mt->parts[p]);
			}
		}
		free(mt->parts);
		rd_kafka_topic_destroy(mt->src_rkt);
		rd_kafka_topic_destroy(mt->dst_rkt);
		free(mt->name);
		free(mt->remote);
		free(mt);
	}
	free(t->topics);
	t->topics = NULL;
	t->ntopics = 0;
	if (t->syncp)
		rd_kafka_flush(t->syncp, 2000);
	kclient_destroy(t->syncp);
	kclient_destroy(t->producer);
	kclient_destroy(t->consumer);
	t->producer = t->consumer = t->syncp = NULL;
	free(t->syncs);
	t->syncs = NULL;
	t->nsyncs = t->capsyncs = 0;
	state_close(t->st);
	t->st = NULL;
	conf_unref(t->pconf);
	t->pconf = NULL;
}

/* Publishes positions, end offsets and latency windows for the control
 * plane; runs on the task thread once a second. */
static void publish_snapshot(struct mirror_task *t, int64_t now)
{
	struct part_stat *v = NULL;
	size_t n = 0, cap = 0, nstopped = 0;

	for (size_t i = 0; i < t->ntopics; i++) {
		struct mtopic *mt = t->topics[i];

		for (int32_t p = 0; p < mt->nparts; p++) {
			struct mpart *mp = mt->parts[p];
			int64_t lo = -1, hi = -1;

			if (!mp)
				continue;
			if (n == cap) {
				size_t ncap = cap ? cap * 2 : 16;
				struct part_stat *nv = realloc(v, ncap * sizeof(*nv));

				if (!nv) {
					free(v);
					return;
				}
				v = nv;
				cap = ncap;
			}
			/* cached from the last fetch: no request to the broker */
			if (rd_kafka_get_watermark_offsets(t->consumer, mt->name, p, &lo, &hi) !=
			    RD_KAFKA_RESP_ERR_NO_ERROR)
				hi = -1;
			memset(&v[n], 0, sizeof(v[n]));
			snprintf(v[n].topic, sizeof(v[n].topic), "%s", mt->name);
			snprintf(v[n].remote, sizeof(v[n].remote), "%s", mt->remote);
			v[n].partition = p;
			v[n].position = part_position(mp);
			v[n].end_offset = hi;
			v[n].saved = mp->saved;
			v[n].stopped = mp->stopped;
			if (mp->stopped) {
				snprintf(v[n].reason, sizeof(v[n].reason), "%s", mp->stop_reason);
				nstopped++;
			}
			v[n].never_mirrored = mp->never_mirrored;
			v[n].inflight = (int64_t)inflight_count(&mp->fl);
			/* the record at the position is the oldest in flight when
			 * the position is its offset (not the EOF beyond) */
			if (v[n].position != inflight_position(&mp->fl) ||
			    !inflight_oldest_ts(&mp->fl, &v[n].position_ts))
				v[n].position_ts = -1;
			if (mt->blocked && !mp->stopped) {
				v[n].blocked = 1;
				snprintf(v[n].reason, sizeof(v[n].reason), "%s%s", mt->block_reason,
					 v[n].inflight
						 ? " (records handed over before it are being "
						   "acknowledged)"
						 : "");
			}
			n++;
		}
	}
	pthread_mutex_lock(&t->snap_lock);
	free(t->snap);
	t->snap = v;
	t->nsnap = n;
	t->nsnap_stopped = nstopped;
	if (now - t->window_start_ms >= 10000) {
		t->repl_last = t->repl_cur;
		t->age_last = t->age_cur;
		memset(&t->repl_cur, 0, sizeof(t->repl_cur));
		memset(&t->age_cur, 0, sizeof(t->age_cur));
		t->window_start_ms = now;
	}
	pthread_mutex_unlock(&t->snap_lock);
}

size_t mirror_task_snapshot(struct mirror_task *t, struct part_stat **out,
			    struct lat_window *replication, struct lat_window *age)
{
	size_t n;

	pthread_mutex_lock(&t->snap_lock);
	n = t->nsnap;
	*out = n ? malloc(n * sizeof(**out)) : NULL;
	if (*out)
		memcpy(*out, t->snap, n * sizeof(**out));
	else
		n = 0;
	lat_merge(replication, &t->repl_last);
	lat_merge(age, &t->age_last);
	pthread_mutex_unlock(&t->snap_lock);
	return n;
}

/* Partitions whose fetch is to be retried (out_of_range's transient cases). */
static void do_reassigns(struct mirror_task *t)
{
	int64_t now = clock_mono_ms();

	for (size_t i = 0; i < t->ntopics && t->nreassign; i++) {
		struct mtopic *mt = t->topics[i];

		for (int32_t p = 0; p < mt->nparts; p++) {
			struct mpart *mp = mt->parts[p];

			if (!mp || !mp->reassign_at_ms || mp->reassign_at_ms > now)
				continue;
			mp->reassign_at_ms = 0;
			t->nreassign--;
			/* a held partition is assigned again by do_rechecks(), once
			 * it exists: never one that does not (see there) */
			if (!mp->stopped && !mp->recheck && !mp->blocked)
				assign_one(t, mp, mp->reassign_offset);
		}
	}
}

/* How many partitions the source's metadata has for MT now (0: none, the
 * topic is away). */
static int32_t partitions_now(struct mirror_task *t, struct mtopic *mt)
{
	const struct rd_kafka_metadata *md = NULL;
	int32_t n = 0;

	if (rd_kafka_metadata(t->consumer, 0, mt->src_rkt, &md, 2000) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return 0;
	if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR)
		n = md->topics[0].partition_cnt;
	rd_kafka_metadata_destroy(md);
	return n;
}

/* Assigns MP at POS (its position): a start if nothing was mirrored yet,
 * else after reading the last mirrored record back when it lies below. */
static void assign_at_position(struct mirror_task *t, struct mpart *mp, int64_t pos)
{
	if (pos < 0) {
		/* nothing mirrored yet: a start like any other */
		assign_one(t, mp, t->start_logical);
	} else if (mp->have_ident && mp->ident_offset < pos) {
		mp->verify = 1;
		mp->resume_at = pos;
		assign_one(t, mp, mp->ident_offset);
	} else {
		log_info("%s: %s[%d]: no mirrored record to check; going on at %" PRId64, t->what,
			 mp->t->name, (int)mp->partition, pos);
		mp->resume_at = pos;
		assign_one(t, mp, pos);
	}
}

/* Partitions whose topic vanished: once what is in flight is acknowledged
 * and the topic is back, read the last mirrored record again (as at a
 * start) before going on. The assignment is left alone while the topic is
 * away: librdkafka 2.0.2 then hangs in rd_kafka_destroy() if a partition
 * that does not exist was unassigned and assigned again. */
static void do_rechecks(struct mirror_task *t)
{
	int64_t now = clock_mono_ms();

	for (size_t i = 0; i < t->ntopics && t->nrecheck; i++) {
		struct mtopic *mt = t->topics[i];
		int32_t have = -1; /* asked once per topic and round */

		for (int32_t p = 0; p < mt->nparts; p++) {
			struct mpart *mp = mt->parts[p];
			int64_t pos;

			if (!mp || !mp->recheck || mp->blocked || inflight_count(&mp->fl) > 0 ||
			    mp->recheck_at_ms > now)
				continue;
			if (have < 0)
				have = partitions_now(t, mt);
			if (p >= have) {
				/* one metadata request per topic: 1 s, doubling to 30 s */
				mp->recheck_delay_ms = mp->recheck_delay_ms
							       ? mp->recheck_delay_ms * 2
							       : 1000;
				if (mp->recheck_delay_ms > 30000)
					mp->recheck_delay_ms = 30000;
				mp->recheck_at_ms = clock_mono_ms() + mp->recheck_delay_ms;
				continue;
			}
			pos = part_position(mp); /* still held: acknowledgements only */
			mp->recheck = 0;
			t->nrecheck--;
			if (mp->reassign_at_ms) {
				mp->reassign_at_ms = 0;
				t->nreassign--;
			}
			assign_at_position(t, mp, pos);
		}
	}
}

/* Partitions whose placement block was lifted: assigned again at their
 * position once the records handed over before the block are settled (a
 * record is never handed over twice, nor skipped). */
static void do_unblocks(struct mirror_task *t)
{
	for (size_t i = 0; i < t->ntopics && t->nunblock; i++) {
		struct mtopic *mt = t->topics[i];

		for (int32_t p = 0; p < mt->nparts; p++) {
			struct mpart *mp = mt->parts[p];

			if (!mp || !mp->blocked || mt->blocked || inflight_count(&mp->fl) > 0)
				continue;
			mp->blocked = 0;
			t->nunblock--;
			/* a stopped partition waits for its operator; a held one
			 * for do_rechecks(), which assigns it */
			if (!mp->stopped && !mp->recheck)
				assign_at_position(t, mp, part_position(mp));
		}
	}
}

/*
 * The placement rules changed (a commit): judge every topic of the task
 * again before the next batch. A topic now blocked is unassigned at once
 * and forward() drops what the consumer still holds of it, so no record
 * of it is handed to the producer after this; records handed over before
 * (at most linger.ms plus a produce request's worth) are acknowledged as
 * any other: librdkafka 2.0.2 cannot take back queued records of an
 * idempotent producer without a gap in its sequence numbers (only an
 * aborted transaction moves its base), which fails the partition. The
 * position stays on the first record not copied, so nothing is lost.
 */
static void placement_refresh(struct mirror_task *t)
{
	unsigned gen;
	struct conf *pc = flow_placement(t->f, &gen);

	/* what was acknowledged under the rules before goes to the ledger
	 * with them (a failed save keeps it for the next, with the new ones) */
	(void)save_positions(t);
	conf_unref(t->pconf);
	t->pconf = pc; /* the task's reference from here */
	t->pgen = gen;
	for (size_t i = 0; i < t->ntopics; i++) {
		struct mtopic *mt = t->topics[i];
		struct placement_verdict v;
		const struct placement_verdict *pv = judge(t, mt->name, &v);
		int blocked = pv && !pv->allowed;

		if (blocked) {
			snprintf(mt->block_reason, sizeof(mt->block_reason),
				 "blocked-by-placement: rule %.250s", v.blocking);
		}
		for (int32_t p = 0; p < mt->nparts; p++)
			if (mt->parts[p])
				part_placement(t, mt->parts[p], pv);
		if (blocked == mt->blocked)
			continue;
		mt->blocked = blocked;
		for (int32_t p = 0; p < mt->nparts; p++) {
			struct mpart *mp = mt->parts[p];

			if (!mp)
				continue;
			if (blocked && !mp->blocked) {
				mp->blocked = 1;
				mp->verify = 0;
				mp->eof = -1; /* what reached the end before is not copied now */
				if (mp->assigned)
					unassign_one(t, mp);
				if (mp->reassign_at_ms) {
					mp->reassign_at_ms = 0;
					t->nreassign--;
				}
			} else if (!blocked && mp->blocked) {
				t->nunblock++;
			}
		}
		log_info("%s: %s %s: %s", t->what, blocked ? "stops copying" : "copies again",
			 mt->name, blocked ? mt->block_reason : "no placement rule blocks it now");
	}
	publish_snapshot(t, clock_mono_ms());
}

/* Resumes a stopped partition from where the operator chose: the state
 * store's position moves there and the offset-sync history is cut, so no
 * translation ever spans the discontinuity. */
static void resume_one(struct mirror_task *t, const struct part_resume *r)
{
	struct mtopic *mt;
	struct mpart *mp;
	int64_t lo = -1, hi = -1, from = r->from;
	rd_kafka_resp_err_t e;
	struct ferr err;
	const char *flow = t->f->cf->name;

	mt = topic_find(t, r->topic);
	mp = mt && r->partition < mt->nparts ? mt->parts[r->partition] : NULL;
	if (!mp || !mp->stopped) {
		audit_system("error",
			     "flow %s: resume of partition %s[%d] not done: it is not stopped",
			     flow, r->topic, (int)r->partition);
		return;
	}
	e = rd_kafka_query_watermark_offsets(t->consumer, mt->name, mp->partition, &lo, &hi, 10000);
	if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
		log_error("flow %s: cannot resume %s[%d]: the log's bounds cannot be read: %s",
			  flow, mt->name, (int)mp->partition, rd_kafka_err2str(e));
		audit_system("error",
			     "flow %s: resume of partition %s[%d] failed: the log's bounds "
			     "cannot be read: %s",
			     flow, mt->name, (int)mp->partition, rd_kafka_err2str(e));
		return;
	}
	if (from == RD_KAFKA_OFFSET_BEGINNING)
		from = lo;
	else if (from == RD_KAFKA_OFFSET_END)
		from = hi;
	if (from < lo || from > hi) {
		log_error("flow %s: cannot resume %s[%d] from %" PRId64 ": the log holds %" PRId64
			  "..%" PRId64,
			  flow, mt->name, (int)mp->partition, from, lo, hi);
		audit_system("error",
			     "flow %s: resume of partition %s[%d] from %" PRId64 " refused: "
			     "the log holds offsets %" PRId64 " to %" PRId64 " (end)",
			     flow, mt->name, (int)mp->partition, from, lo, hi);
		return;
	}
	/* nothing of the old log is in flight any more only once acknowledged */
	if (inflight_count(&mp->fl) > 0) {
		rd_kafka_flush(t->producer, 30000);
		rd_kafka_poll(t->producer, 0);
	}
	/* the old log's records go into the ledger with their position, before
	 * the cut moves it (a failed save keeps them for the next one) */
	(void)save_positions(t);
	if (inflight_count(&mp->fl) > 0 ||
	    state_history_cut(t->st, flow, mt->name, mp->partition, from, &err) != 0) {
		const char *why = inflight_count(&mp->fl) > 0
					  ? "records still unacknowledged by the target"
					  : err.msg;

		log_error("flow %s: cannot resume %s[%d]: %s", flow, mt->name, (int)mp->partition,
			  why);
		audit_system("error", "flow %s: resume of partition %s[%d] failed: %s", flow,
			     mt->name, (int)mp->partition, why);
		return;
	}
	/* pending syncs of this partition describe the old log: drop them,
	 * keeping the others in order (a partition's first sync carries where
	 * its history starts) */
	{
		size_t k = 0;

		for (size_t i = 0; i < t->nsyncs; i++)
			if (!(t->syncs[i].t == mt && t->syncs[i].partition == mp->partition))
				t->syncs[k++] = t->syncs[i];
		t->nsyncs = k;
	}
	/* a tally the save above could not write stays for the next save */
	inflight_reset(&mp->fl, from);
	mp->saved = from;
	mp->saved_last_down = -1;
	mp->have_delta = 0;
	mp->unknown = 0;
	mp->eof = -1;
	mp->dropped = 0;
	mp->verify = 0;
	mp->resume_at = from;
	mp->have_ident = 0; /* the new log's records are the ones to remember */
	mp->ident_offset = -1;
	mp->saved_ident = -1;
	mp->gone_logged = 0;
	mp->stopped = 0;
	mp->stop_reason[0] = '\0';
	log_info("flow %s: partition %s[%d] resumed from offset %" PRId64 " (log %" PRId64
		 "..%" PRId64 "); offset translation starts again there",
		 flow, mt->name, (int)mp->partition, from, lo, hi);
	audit_system("ok",
		     "flow %s: partition %s[%d] resumed from offset %" PRId64
		     "; offset-sync history cut there",
		     flow, mt->name, (int)mp->partition, from);
	if (mt->blocked)
		mp->blocked = 1; /* assigned at FROM once placement allows it */
	else
		assign_one(t, mp, from);
	publish_snapshot(t, clock_mono_ms());
}

static void take_resumes(struct mirror_task *t)
{
	struct part_resume *list;
	size_t n;

	pthread_mutex_lock(&t->lock);
	list = t->resumes;
	n = t->nresumes;
	t->resumes = NULL;
	t->nresumes = 0;
	pthread_mutex_unlock(&t->lock);
	for (size_t i = 0; i < n; i++) {
		resume_one(t, &list[i]);
		free(list[i].topic);
	}
	free(list);
}

int mirror_task_resume(struct mirror_task *t, const char *topic, int32_t partition, int64_t from)
{
	char *tn = strdup(topic);
	struct part_resume *nv;

	if (!tn)
		return -1;
	pthread_mutex_lock(&t->lock);
	nv = realloc(t->resumes, (t->nresumes + 1) * sizeof(*nv));
	if (!nv) {
		pthread_mutex_unlock(&t->lock);
		free(tn);
		return -1;
	}
	t->resumes = nv;
	/* tn passes to the task thread, which frees it in take_resumes() */
	t->resumes[t->nresumes++] = (struct part_resume){ tn, partition, from };
	pthread_mutex_unlock(&t->lock);
	// cppcheck-suppress memleak ; tn is owned by t->resumes now (comment above)
	return 0;
}

size_t mirror_task_stopped(struct mirror_task *t)
{
	size_t n;

	pthread_mutex_lock(&t->snap_lock);
	n = t->nsnap_stopped;
	pthread_mutex_unlock(&t->snap_lock);
	return n;
}

static void *task_main(void *arg)
{
	struct mirror_task *t = arg;
	struct flow *f = t->f;
	int64_t flush_ms = f->conf->flush_interval_ms;

	t->last_flush_ms = clock_mono_ms();
	while (!atomic_load(&f->stop)) {
		rd_kafka_message_t *m;
		int n = 0;

		if (take_pending(t))
			publish_snapshot(t,
					 clock_mono_ms()); /* new partitions: show them at once */
		take_resumes(t);
		/* placement: one load per turn, so before every batch */
		if (atomic_load(&f->placement_gen) != t->pgen)
			placement_refresh(t);
		if (t->nunblock)
			do_unblocks(t);
		if (t->nreassign)
			do_reassigns(t);
		if (t->nrecheck)
			do_rechecks(t);
		/* held, the consumer is not polled: it stops fetching once
		 * queued.max.messages.kbytes are queued, and what it holds is
		 * taken after the hold, in order */
		update_window(t);
		int held = hold_consumer(t);

		while (!held && n < BATCH_MAX && !atomic_load(&f->stop) &&
		       (m = rd_kafka_consumer_poll(t->consumer, n == 0 ? 100 : 0)) != NULL) {
			n++;
			if (m->err)
				consumer_event(t, m);
			else
				forward(t, m);
			held = hold_consumer(t);
		}
		update_window(t); /* publishes what the batch added */
		/* held: wait for delivery reports instead */
		rd_kafka_poll(t->producer, held ? 100 : 0);
		if (t->syncp)
			rd_kafka_poll(t->syncp, 0);
		if (atomic_load(&t->fatal))
			handle_fatal(t);
		if (clock_mono_ms() - t->last_flush_ms >= flush_ms) {
			save_positions(t);
			t->last_flush_ms = clock_mono_ms();
		}
		if (clock_mono_ms() - t->last_snap_ms >= 1000) {
			t->last_snap_ms = clock_mono_ms();
			publish_snapshot(t, t->last_snap_ms);
		}
	}
	shutdown_task(t);
	return NULL;
}

static int64_t start_offset_for(const struct props *consumer)
{
	const struct prop *p = props_get(consumer, "auto.offset.reset");

	/* conf.c accepts only earliest (MM2's default) and latest: where a
	 * partition ferry never mirrored starts, never a reset */
	if (p && strcmp(p->value, "latest") == 0)
		return RD_KAFKA_OFFSET_END;
	return RD_KAFKA_OFFSET_BEGINNING;
}

/* The in-flight budget: ferry.mirror.max.inflight.bytes, and never more
 * than the producer's own limits (which a user may have lowered), so that
 * hold_consumer() stops the consumer before produce could block. */
static void inflight_limits(struct mirror_task *t)
{
	const rd_kafka_conf_t *c = rd_kafka_conf(t->producer);
	char buf[64];
	size_t sz = sizeof(buf);
	long long v;

	t->max_inflight_bytes = t->f->cf->max_inflight_bytes;
	t->max_inflight_records = 20000;
	if (rd_kafka_conf_get(c, "queue.buffering.max.kbytes", buf, &sz) == RD_KAFKA_CONF_OK &&
	    (v = strtoll(buf, NULL, 10)) > 0 && v * 1024 < t->max_inflight_bytes)
		t->max_inflight_bytes = v * 1024;
	sz = sizeof(buf);
	if (rd_kafka_conf_get(c, "queue.buffering.max.messages", buf, &sz) == RD_KAFKA_CONF_OK &&
	    (v = strtoll(buf, NULL, 10)) > 0)
		t->max_inflight_records = (size_t)v;
}

int mirror_task_new(struct flow *f, int index, struct mirror_task **out, struct ferr *err)
{
	struct mirror_task *t = calloc(1, sizeof(*t));
	char group[400], cid[400], what[400];
	struct kclient_opts o;

	if (!t)
		return ferr_set(err, "out of memory");
	t->f = f;
	t->pconf = flow_placement(f, &t->pgen); /* the task's reference */
	t->index = index;
	snprintf(t->what, sizeof(t->what), "%s task %d", f->cf->name, index);
	pthread_mutex_init(&t->lock, NULL);
	pthread_mutex_init(&t->snap_lock, NULL);
	t->window_start_ms = clock_mono_ms();
	t->start_logical = start_offset_for(&f->cf->consumer);

	if (state_open_worker(f->state_dir, &t->st, err))
		goto fail;

	/* The group id is never joined nor committed to: librdkafka needs one
	 * for its consumer queue. Positions live in the state store. */
	snprintf(group, sizeof(group), "ferry-mirror.%s.%d", f->cf->name, index);
	snprintf(cid, sizeof(cid), "ferry-%s-consumer-%d", f->cf->name, index);
	snprintf(what, sizeof(what), "%s consumer of %s", t->what, f->cf->source);
	const struct kv cdefaults[] = {
		{ "client.id", cid },
		/* a corrupt batch is an error, not a silent hole (librdkafka's
		 * default is off; Kafka's Java consumer checks) */
		{ "check.crcs", "true" },
		/* memory in bytes (ferryd(8), Memory): prefetch enough to keep
		 * the producer busy, not 64 MiB per task; one fetch response
		 * (held whole by any of its records) at most 16 MiB, 1 MiB of
		 * it per partition */
		{ "queued.max.messages.kbytes", "16384" },
		{ "fetch.max.bytes", "16777216" },
		{ "max.partition.fetch.bytes", "1048576" },
		{ "log.connection.close", "false" },
		{ NULL, NULL },
	};
	const struct kv cforced[] = {
		{ "group.id", group },
		{ "enable.auto.commit", "false" },
		{ "enable.auto.offset.store", "false" },
		/* reaching the end tells how far trailing transaction markers go */
		{ "enable.partition.eof", "true" },
		/* never a silent reset of a position the source no longer has:
		 * out_of_range() decides (where a new partition starts is
		 * start_logical, from the user's auto.offset.reset) */
		{ "auto.offset.reset", "error" },
		/* aborted records are never copied unless the flow's
		 * ferry.mirror.read.uncommitted asks for them (conf.c refuses an
		 * isolation.level that says otherwise) */
		{ "isolation.level",
		  f->cf->mirror_read_uncommitted ? "read_uncommitted" : "read_committed" },
		{ NULL, NULL },
	};
	o = (struct kclient_opts){ .what = what,
				   .defaults = cdefaults,
				   .forced = cforced,
				   .on_error = on_client_error,
				   .on_event = on_consumer_event,
				   .opaque = t,
				   .reach = f->reach_src };
	if (kclient_new(RD_KAFKA_CONSUMER, &f->cf->consumer, ROLE_CONSUMER, &o, &t->consumer, err))
		goto fail;
	rd_kafka_poll_set_consumer(t->consumer);

	snprintf(cid, sizeof(cid), "ferry-%s-producer-%d", f->cf->name, index);
	snprintf(what, sizeof(what), "%s producer to %s", t->what, f->cf->target);
	const struct kv pdefaults[] = {
		{ "client.id", cid },
		{ "linger.ms", "10" },
		{ "batch.size", "1000000" },
		{ "batch.num.messages", "10000" },
		{ "queue.buffering.max.messages", "20000" },
		/* librdkafka's own byte limit (Java's buffer.memory), above
		 * ferry.mirror.max.inflight.bytes' default so that ferry's
		 * budget binds first and the task loop never blocks in it */
		{ "queue.buffering.max.kbytes", "65536" },
		/* 0 = never give up: a target outage stalls the flow (lag grows)
		 * instead of failing it; delivery.timeout.ms overrides */
		{ "message.timeout.ms", "0" },
		{ "log.connection.close", "false" },
		{ NULL, NULL },
	};
	/* gapless: a batch that fails for good (e.g. too large for the target)
	 * must not be followed by later records, or the target's order would
	 * differ from the source once the failed record is re-sent */
	const struct kv pforced[] = {
		{ "enable.idempotence", "true" },
		{ "acks", "all" },
		{ "enable.gapless.guarantee", "true" },
		{ NULL, NULL },
	};
	o = (struct kclient_opts){ .what = what,
				   .defaults = pdefaults,
				   .forced = pforced,
				   .on_error = on_client_error,
				   .opaque = t,
				   .dr_msg_cb = on_delivery,
				   .reach = f->reach_tgt,
				   .reach_stats = 1 };
	if (kclient_new(RD_KAFKA_PRODUCER, &f->cf->producer, ROLE_PRODUCER, &o, &t->producer, err))
		goto fail;
	inflight_limits(t);
	if (f->cf->emit_offset_syncs) {
		const struct props *where = f->cf->offset_syncs_on_target ? &f->cf->producer
									  : &f->cf->source_admin;
		const struct kv sdef[] = { { "linger.ms", "50" },
					   { "log.connection.close", "false" },
					   { NULL, NULL } };

		snprintf(what, sizeof(what), "%s offset-syncs producer", t->what);
		o = (struct kclient_opts){ .what = what,
					   .defaults = sdef,
					   .forced = pforced,
					   .cluster = f->cf->offset_syncs_on_target
							      ? f->cf->target
							      : f->cf->source };
		if (kclient_new(RD_KAFKA_PRODUCER, where, ROLE_PRODUCER, &o, &t->syncp, err))
			goto fail;
	}
	*out = t;
	return 0;
fail:
	kclient_destroy(t->producer);
	kclient_destroy(t->consumer);
	state_close(t->st);
	conf_unref(t->pconf);
	pthread_mutex_destroy(&t->lock);
	pthread_mutex_destroy(&t->snap_lock);
	free(t);
	return -1;
}

int mirror_task_start(struct mirror_task *t, struct ferr *err)
{
	int rc = pthread_create(&t->thr, NULL, task_main, t);

	if (rc != 0)
		return ferr_set(err, "%s: cannot start thread: %s", t->what, strerror(rc));
	t->started = 1;
	return 0;
}

void mirror_task_join(struct mirror_task *t)
{
	if (!t)
		return;
	if (t->started)
		pthread_join(t->thr, NULL);
	else
		shutdown_task(t);
	for (size_t i = 0; i < t->npending; i++) {
		free(t->pending[i].topic);
		free(t->pending[i].remote);
	}
	free(t->pending);
	for (size_t i = 0; i < t->nresumes; i++)
		free(t->resumes[i].topic);
	free(t->resumes);
	free(t->snap);
	pthread_mutex_destroy(&t->lock);
	pthread_mutex_destroy(&t->snap_lock);
	free(t);
}
