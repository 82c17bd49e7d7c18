/*
 * mm2fmt.c — encoders and decoders of MM2's internal records.
 */
#include "appliance/kafka/mm2fmt.h"

#include <string.h>

static void put(struct mm2buf *b, const void *p, size_t n)
{
	if (b->len + n > sizeof(b->data)) {
		b->overflow = 1;
		return;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void put_i16(struct mm2buf *b, int16_t v)
{
	unsigned char x[2] = { (unsigned char)((uint16_t)v >> 8), (unsigned char)v };

	put(b, x, 2);
}

static void put_i32(struct mm2buf *b, int32_t v)
{
	uint32_t u = (uint32_t)v;
	unsigned char x[4] = { (unsigned char)(u >> 24), (unsigned char)(u >> 16),
			       (unsigned char)(u >> 8), (unsigned char)u };

	put(b, x, 4);
}

static void put_i64(struct mm2buf *b, int64_t v)
{
	uint64_t u = (uint64_t)v;
	unsigned char x[8];

	for (int i = 0; i < 8; i++)
		x[i] = (unsigned char)(u >> (56 - 8 * i));
	put(b, x, 8);
}

static void put_str(struct mm2buf *b, const char *s)
{
	size_t n = strlen(s);

	if (n > 32767) {
		b->overflow = 1;
		return;
	}
	put_i16(b, (int16_t)n);
	put(b, s, n);
}

void mm2_offset_sync_key(struct mm2buf *b, const char *topic, int32_t partition)
{
	b->len = 0;
	b->overflow = 0;
	put_str(b, topic);
	put_i32(b, partition);
}

void mm2_offset_sync_value(struct mm2buf *b, int64_t upstream, int64_t downstream)
{
	b->len = 0;
	b->overflow = 0;
	put_i64(b, upstream);
	put_i64(b, downstream);
}

void mm2_checkpoint_key(struct mm2buf *b, const char *group, const char *topic, int32_t partition)
{
	b->len = 0;
	b->overflow = 0;
	put_str(b, group);
	put_str(b, topic);
	put_i32(b, partition);
}

void mm2_checkpoint_value(struct mm2buf *b, int64_t upstream, int64_t downstream,
			  const char *metadata)
{
	b->len = 0;
	b->overflow = 0;
	put_i16(b, 0);
	put_i64(b, upstream);
	put_i64(b, downstream);
	put_str(b, metadata ? metadata : "");
}

void mm2_heartbeat_key(struct mm2buf *b, const char *source, const char *target)
{
	b->len = 0;
	b->overflow = 0;
	put_str(b, source);
	put_str(b, target);
}

void mm2_heartbeat_value(struct mm2buf *b, int64_t timestamp_ms)
{
	b->len = 0;
	b->overflow = 0;
	put_i16(b, 0);
	put_i64(b, timestamp_ms);
}

struct rd {
	const unsigned char *p;
	size_t left;
};

static int get(struct rd *r, void *out, size_t n)
{
	if (r->left < n)
		return -1;
	if (out)
		memcpy(out, r->p, n);
	r->p += n;
	r->left -= n;
	return 0;
}

static int get_i64(struct rd *r, int64_t *v)
{
	unsigned char x[8];
	uint64_t u = 0;

	if (get(r, x, 8))
		return -1;
	for (int i = 0; i < 8; i++)
		u = u << 8 | x[i];
	*v = (int64_t)u;
	return 0;
}

static int get_str(struct rd *r, char *out, size_t sz)
{
	unsigned char x[2];
	size_t n;

	if (get(r, x, 2))
		return -1;
	n = (size_t)(x[0] << 8 | x[1]);
	if (n >= sz || r->left < n)
		return -1;
	get(r, out, n);
	out[n] = '\0';
	return 0;
}

int mm2_checkpoint_decode(const void *key, size_t klen, const void *val, size_t vlen, char *group,
			  size_t gsz, char *topic, size_t tsz, int32_t *partition,
			  int64_t *upstream, int64_t *downstream)
{
	struct rd k = { key, klen }, v = { val, vlen };
	unsigned char p[4], ver[2];

	if (get_str(&k, group, gsz) || get_str(&k, topic, tsz) || get(&k, p, 4))
		return -1;
	*partition = (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
			       p[3]);
	if (get(&v, ver, 2) || ver[0] != 0 || ver[1] != 0 || get_i64(&v, upstream) ||
	    get_i64(&v, downstream))
		return -1;
	return 0;
}
