/*
 * inflight.c — a ring of in-flight source offsets per partition.
 * Acknowledgements usually arrive in order (idempotent producer, one
 * partition), so acking is O(1) at the head; out-of-order acks still work.
 */
#include "appliance/data/inflight.h"

#include <stdlib.h>
#include <string.h>

void inflight_init(struct inflight *f, int64_t start)
{
	memset(f, 0, sizeof(*f));
	f->acked_next = start;
}

void inflight_free(struct inflight *f)
{
	free(f->ring);
	memset(f, 0, sizeof(*f));
}

static struct inflight_ent *at(const struct inflight *f, size_t i)
{
	return &f->ring[(f->head + i) % f->cap];
}

int inflight_push(struct inflight *f, int64_t offset)
{
	return inflight_push_seq(f, offset, 0);
}

int inflight_push_seq(struct inflight *f, int64_t offset, uint64_t seq)
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
	f->ring[(f->head + f->len) % f->cap] = (struct inflight_ent){ offset, 0, seq };
	f->len++;
	return 0;
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
	while (f->len && at(f, 0)->acked) {
		f->acked_next = at(f, 0)->offset + 1;
		f->head = (f->head + 1) % f->cap;
		f->len--;
	}
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
	if (inflight_push(f, offset - 1) != 0)
		return -1;
	at(f, f->len - 1)->acked = 1;
	return 0;
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

size_t inflight_count(const struct inflight *f)
{
	return f->len;
}
