/*
 * inflight.c — a ring of in-flight source offsets per partition.
 * Acknowledgements usually arrive in order (idempotent producer, one
 * partition), so acking is O(1) at the head; out-of-order acks still work.
 */
#include "appliance/data/inflight.h"

#include <stdlib.h>
#include <string.h>

static void tally_reset(struct inflight_tally *t)
{
	*t = (struct inflight_tally){ 0, 0, -1, -1, -1, -1 };
}

void inflight_init(struct inflight *f, int64_t start)
{
	memset(f, 0, sizeof(*f));
	f->acked_next = start;
	tally_reset(&f->tally);
}

/* The tally outlives the ring: a partition resumed on a new log must still
 * report what its old log's position passed over. */
void inflight_free(struct inflight *f)
{
	struct inflight_tally keep = f->tally;

	free(f->ring);
	memset(f, 0, sizeof(*f));
	f->tally = keep;
}

void inflight_reset(struct inflight *f, int64_t start)
{
	struct inflight_tally keep = f->tally;

	inflight_free(f);
	inflight_init(f, start);
	f->tally = keep;
}

void inflight_tally_take(struct inflight *f, struct inflight_tally *out)
{
	*out = f->tally;
	tally_reset(&f->tally);
}

int inflight_tally_pending(const struct inflight *f)
{
	return f->tally.records > 0;
}

static struct inflight_ent *at(const struct inflight *f, size_t i)
{
	return &f->ring[(f->head + i) % f->cap];
}

int inflight_push(struct inflight *f, int64_t offset)
{
	return inflight_push_seq(f, offset, 0);
}

static int push(struct inflight *f, struct inflight_ent e)
{
	if (f->len == f->cap) {
		size_t ncap = f->cap ? f->cap * 2 : 256;
		struct inflight_ent *nr = malloc(ncap * sizeof(*nr));

		if (!nr)
			return -1;
		for (size_t i = 0; i < f->len; i++)
			nr[i] = *at(f, i);
		free(f->ring);
		f->ring = nr;
		f->cap = ncap;
		f->head = 0;
	}
	f->ring[(f->head + f->len) % f->cap] = e;
	f->len++;
	return 0;
}

/* The acknowledged prefix leaves the ring; the records in it are tallied. */
static void drain(struct inflight *f)
{
	while (f->len && at(f, 0)->acked) {
		const struct inflight_ent *e = at(f, 0);
		struct inflight_tally *t = &f->tally;

		if (e->kind == ENT_RECORD) {
			t->records++;
			t->bytes += e->bytes;
			/* offsets rise within a ring; a resumed log may start lower */
			if (t->first_offset < 0 || e->offset < t->first_offset) {
				t->first_offset = e->offset;
				t->first_ts = e->ts;
			}
			if (e->offset > t->last_offset) {
				t->last_offset = e->offset;
				t->last_ts = e->ts;
			}
		}
		f->acked_next = e->offset + 1;
		f->head = (f->head + 1) % f->cap;
		f->len--;
	}
}

int inflight_push_seq(struct inflight *f, int64_t offset, uint64_t seq)
{
	return push(f, (struct inflight_ent){ offset, 0, ENT_RECORD, seq, 0, -1 });
}

int inflight_push_rec(struct inflight *f, int64_t offset, uint64_t seq, int64_t bytes, int64_t ts)
{
	return push(f, (struct inflight_ent){ offset, 0, ENT_RECORD, seq, bytes, ts });
}

int inflight_ack(struct inflight *f, int64_t offset)
{
	size_t i;

	for (i = 0; i < f->len; i++) {
		struct inflight_ent *e = at(f, i);

		if (e->offset == offset) {
			e->acked = 1;
			break;
		}
		if (e->offset > offset)
			return -1;
	}
	if (i == f->len)
		return -1;
	drain(f);
	return 0;
}

int inflight_skip_to(struct inflight *f, int64_t offset)
{
	if (f->len == 0) {
		f->acked_next = offset;
		return 0;
	}
	/* a placeholder for the last deleted offset, acknowledged already:
	 * the prefix drains through it to OFFSET */
	return push(f, (struct inflight_ent){ offset - 1, 1, ENT_SKIP, 0, 0, -1 });
}

int64_t inflight_position(const struct inflight *f)
{
	if (f->len)
		return at(f, 0)->offset;
	return f->acked_next;
}

int inflight_oldest_seq(const struct inflight *f, uint64_t *seq)
{
	if (!f->len)
		return 0;
	*seq = at(f, 0)->seq;
	return 1;
}

int inflight_oldest_ts(const struct inflight *f, int64_t *ts)
{
	/* a skip placeholder stands for deleted offsets: no record, no time */
	if (!f->len || at(f, 0)->kind != ENT_RECORD || at(f, 0)->ts < 0)
		return 0;
	*ts = at(f, 0)->ts;
	return 1;
}

size_t inflight_count(const struct inflight *f)
{
	return f->len;
}
