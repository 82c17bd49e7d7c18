/*
 * mirror.c — the data path of one mirror task. Ownership of a consumed
 * record: rd_kafka_consumer_poll() gives us the message; we hand its
 * payload (not a copy) and its detached headers to the producer and keep
 * the message itself as the produce opaque; the delivery report callback
 * acknowledges its offset and destroys it. So each consumed record is
 * destroyed exactly once: in on_delivery(), or where producing it failed.
 */
#include "clock.h"
#include "mirror.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inflight.h"
#include "kclient.h"
#include "log.h"
#include "mm2fmt.h"
#include "state.h"

#define BATCH_MAX 5000   /* records taken from the consumer per loop turn */

struct mpart {
	struct mtopic *t;
	int32_t partition;
	struct inflight fl;
	int64_t saved;           /* last position written to the store; -1 none */
	int64_t saved_last_down; /* last_down as last written (it ends translation) */
	/* offset syncs: the delta downstream - upstream of the last acknowledged
	 * record, and the last record itself */
	int have_delta;
	int64_t delta, last_up, last_down;
	int64_t last_mm2_up;     /* upstream offset of the last sync sent to MM2's topic */
	/* end of partition reached at this offset (librdkafka's EOF event):
	 * with nothing in flight, every record below it was mirrored, and
	 * what lies between the last one and it (transaction markers, aborted
	 * records) has nothing to mirror */
	int64_t eof;
	int dropped;             /* a record was not handed over: never trust eof again */
};

struct pending_sync {
	struct mtopic *t;
	int32_t partition;
	int64_t upstream, downstream;
};

struct mtopic {
	char *name, *remote;
	rd_kafka_topic_t *src_rkt;   /* consumer side; opaque = this */
	rd_kafka_topic_t *dst_rkt;   /* producer side */
	struct mpart **parts;        /* indexed by partition; NULL = not ours */
	int32_t nparts;
};

struct mirror_task {
	struct flow *f;
	int index;
	char what[320];
	pthread_t thr;
	int started;

	pthread_mutex_t lock;        /* guards pending */
	struct part_assign *pending;
	size_t npending, cap;

	/* below: only the task thread touches these */
	rd_kafka_t *consumer, *producer;
	struct state *st;
	struct mtopic **topics;
	size_t ntopics;
	int64_t start_logical;       /* where a partition without a position starts */
	rd_kafka_t *syncp;           /* writes MM2's offset-syncs topic; NULL when off */
	struct pending_sync *syncs;  /* recorded, not yet in the state store */
	size_t nsyncs, capsyncs;
	uint64_t mm2_syncs_dropped;
	size_t inflight_total;
	int stopping;                /* purged records are expected, not failures */
	atomic_int fatal;            /* the producer hit a fatal error ... */
	char fatal_reason[512];      /* ... this one (set before fatal) */
	int64_t last_flush_ms;
	int64_t last_save_error_ms;
	int64_t last_consumer_warn_ms;  /* consumer warnings: at most one per 10 s */
	unsigned consumer_warns_dropped;

	/* statistics: written by the task thread, read by the control plane */
	struct lat_window repl_cur, age_cur;  /* task thread only */
	int64_t window_start_ms, last_snap_ms;
	pthread_mutex_t snap_lock;            /* guards the four below */
	struct part_stat *snap;
	size_t nsnap;
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

	if (!mp->dropped && inflight_count(&mp->fl) == 0 && mp->eof > p)
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

/* Called for every acknowledged record: a change of delta is a sync. */
static void record_sync(struct mirror_task *t, struct mpart *mp, int64_t up, int64_t down)
{
	if (!mp->have_delta || down - up != mp->delta) {
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
		t->syncs[t->nsyncs++] = (struct pending_sync){ mp->t, mp->partition, up, down };
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
	while (total > peak && !atomic_compare_exchange_weak(&t->f->inflight_bytes_peak, &peak, total))
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
			flow_fail(t->f, "record %s[%" PRId32 "]@%" PRId64 " was not written to %s[%" PRId32
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

		if (m->offset >= 0)
			record_sync(t, mp, src->offset, m->offset);
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

static struct mtopic *topic_get(struct mirror_task *t, const char *name, const char *remote)
{
	struct mtopic *mt;
	rd_kafka_topic_conf_t *tc;
	struct mtopic **nt;

	for (size_t i = 0; i < t->ntopics; i++)
		if (strcmp(t->topics[i]->name, name) == 0)
			return t->topics[i];
	mt = calloc(1, sizeof(*mt));
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
	tc = rd_kafka_topic_conf_new();
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
		int64_t pos = -1;
		int found;
		char ob[48];

		if (!mt) {
			flow_fail(t->f, "%s: out of memory", t->what);
			break;
		}
		if (pa->partition >= mt->nparts) {
			struct mpart **np = realloc(mt->parts, (size_t)(pa->partition + 1) * sizeof(*np));

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
			continue;   /* already ours */
		found = state_position_get(t->st, t->f->cf->name, pa->topic, pa->partition, &pos, &err);
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
		mt->parts[pa->partition] = mp;
		rd_kafka_topic_partition_list_add(tpl, pa->topic, pa->partition)->offset =
			found ? pos : t->start_logical;
		atomic_fetch_add(&t->f->partitions_mirrored, 1);
		log_debug("%s: mirroring %s[%d] -> %s[%d] from %s", t->what, pa->topic,
			  (int)pa->partition, pa->remote, (int)pa->partition,
			  offset_str(found ? pos : t->start_logical, ob, sizeof(ob)));
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
					(!mp->have_delta || mp->last_down == mp->saved_last_down)))
				continue;
			if (n == cap) {
				size_t ncap = cap ? cap * 2 : 64;
				struct state_position *nv = realloc(v, ncap * sizeof(*nv));
				struct mpart **nw;

				if (nv)
					v = nv;
				nw = realloc(who, ncap * sizeof(*nw));
				if (nw)
					who = nw;
				if (!nv || !nw)
					goto out;
				cap = ncap;
			}
			who[n] = mp;
			v[n++] = (struct state_position){ mt->name, p, pos,
							  mp->have_delta ? mp->last_up : -1,
							  mp->have_delta ? mp->last_down : -1 };
		}
	}
	if (n == 0 && t->nsyncs == 0) {
		rc = 0;
		goto out;
	}
	struct state_sync *ss = t->nsyncs ? malloc(t->nsyncs * sizeof(*ss)) : NULL;

	if (t->nsyncs && !ss)
		goto out;
	for (size_t i = 0; i < t->nsyncs; i++)
		ss[i] = (struct state_sync){ t->syncs[i].t->name, t->syncs[i].partition,
					     t->syncs[i].upstream, t->syncs[i].downstream };
	if (state_positions_save(t->st, t->f->cf->name, v, n, ss, t->nsyncs,
				 t->f->conf->syncs_retention, &err) != 0) {
		free(ss);
		/* the records are safe on the target; only a restart would re-send more */
		int64_t now = clock_mono_ms();

		atomic_fetch_add(&t->f->store_errors, 1);
		if (t->stopping) {
			log_error("%s: cannot save positions: %s; a restart re-sends from the last "
				  "saved positions", t->what, err.msg);
		} else if (!t->store_stalled) {
			t->store_stalled = 1;
			t->last_save_error_ms = now;
			flow_stall(t->f, "%s cannot write the state store: %s; it takes no new records "
				   "until a save succeeds (retried every %lld ms)", t->what, err.msg,
				   (long long)t->f->conf->flush_interval_ms);
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
		who[i]->saved = v[i].next_offset;
		if (v[i].last_downstream >= 0)
			who[i]->saved_last_down = v[i].last_downstream;
	}
out:
	free(v);
	free(who);
	return rc;
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
	if (tstype != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE)
		lat_add(&t->age_cur, clock_wall_ms() - ts);
	if (rd_kafka_message_detach_headers(m, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR)
		hdrs = NULL;

	for (;;) {
		rd_kafka_resp_err_t e = rd_kafka_producev(
			t->producer,
			RD_KAFKA_V_RKT(mp->t->dst_rkt),
			RD_KAFKA_V_PARTITION(m->partition),
			RD_KAFKA_V_MSGFLAGS(0),                 /* no copy: M lives until its report */
			RD_KAFKA_V_VALUE(m->payload, m->len),
			RD_KAFKA_V_KEY(m->key, m->key_len),
			RD_KAFKA_V_TIMESTAMP(tstype == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? 0 : ts),
			RD_KAFKA_V_HEADERS(hdrs),               /* passes to librdkafka on success */
			RD_KAFKA_V_OPAQUE(m),
			RD_KAFKA_V_END);

		if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
			if (inflight_push_seq(&mp->fl, m->offset, t->consumed_bytes) != 0)
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

static void consumer_event(struct mirror_task *t, rd_kafka_message_t *m)
{
	if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
		struct mpart *mp = part_of(t, m);

		if (mp && m->offset > mp->eof)
			mp->eof = m->offset;
	} else if (m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET ||
		   m->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE) {
		/* the saved position fell off the source log (retention): records
		 * between it and the new start were deleted at the source */
		log_warn("%s: %s[%d]: %s", t->what,
			 m->rkt ? rd_kafka_topic_name(m->rkt) : "?", (int)m->partition,
			 rd_kafka_message_errstr(m));
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
				 t->consumer_warns_dropped ? " (and similar messages suppressed)" : "");
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
				 "re-sent after restart", t->what, t->inflight_total,
				 (long long)timeout);
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
}

/* Publishes positions, end offsets and latency windows for the control
 * plane; runs on the task thread once a second. */
static void publish_snapshot(struct mirror_task *t, int64_t now)
{
	struct part_stat *v = NULL;
	size_t n = 0, cap = 0;

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
			n++;
		}
	}
	pthread_mutex_lock(&t->snap_lock);
	free(t->snap);
	t->snap = v;
	t->nsnap = n;
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
			publish_snapshot(t, clock_mono_ms());   /* new partitions: show them at once */
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
		update_window(t);   /* publishes what the batch added */
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

	if (!p || strcmp(p->value, "earliest") == 0)
		return RD_KAFKA_OFFSET_BEGINNING;   /* MM2's default */
	if (strcmp(p->value, "latest") == 0)
		return RD_KAFKA_OFFSET_END;
	return RD_KAFKA_OFFSET_INVALID;             /* "none": fail on a missing position */
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

	t->max_inflight_bytes = t->f->conf->max_inflight_bytes;
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
		{ "isolation.level", "read_committed" },   /* aborted records are never copied */
		{ "auto.offset.reset", "earliest" },
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
		{ NULL, NULL },
	};
	o = (struct kclient_opts){ .what = what, .defaults = cdefaults, .forced = cforced,
				   .on_error = on_client_error, .opaque = t };
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
	o = (struct kclient_opts){ .what = what, .defaults = pdefaults, .forced = pforced,
				   .on_error = on_client_error, .opaque = t,
				   .dr_msg_cb = on_delivery };
	if (kclient_new(RD_KAFKA_PRODUCER, &f->cf->producer, ROLE_PRODUCER, &o, &t->producer, err))
		goto fail;
	inflight_limits(t);
	if (f->cf->emit_offset_syncs) {
		const struct props *where = f->cf->offset_syncs_on_target ? &f->cf->producer
									   : &f->cf->source_admin;
		const struct kv sdef[] = { { "linger.ms", "50" }, { "log.connection.close", "false" },
					   { NULL, NULL } };

		snprintf(what, sizeof(what), "%s offset-syncs producer", t->what);
		o = (struct kclient_opts){ .what = what, .defaults = sdef, .forced = pforced };
		if (kclient_new(RD_KAFKA_PRODUCER, where, ROLE_PRODUCER, &o, &t->syncp, err))
			goto fail;
	}
	*out = t;
	return 0;
fail:
	kclient_destroy(t->producer);
	kclient_destroy(t->consumer);
	state_close(t->st);
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
	free(t->snap);
	pthread_mutex_destroy(&t->lock);
	pthread_mutex_destroy(&t->snap_lock);
	free(t);
}
