/*
 * test_mm2fmt.c — MM2's record formats, byte for byte.
 */
#include "appliance/kafka/mm2fmt.h"
#include "tap.h"

static int same(const struct mm2buf *b, const unsigned char *want, size_t n)
{
	return !b->overflow && b->len == n && memcmp(b->data, want, n) == 0;
}

int main(void)
{
	struct mm2buf b;
	char g[64], t[64];
	int32_t p;
	int64_t up, down;

	mm2_offset_sync_key(&b, "orders", 3);
	const unsigned char k1[] = { 0, 6, 'o', 'r', 'd', 'e', 'r', 's', 0, 0, 0, 3 };
	ok(same(&b, k1, sizeof(k1)), "offset sync key: int16 length, topic, int32 partition");
	mm2_offset_sync_value(&b, 258, 0x0102030405060708LL);
	const unsigned char v1[] = { 0, 0, 0, 0, 0, 0, 1, 2, 1, 2, 3, 4, 5, 6, 7, 8 };
	ok(same(&b, v1, sizeof(v1)), "offset sync value: two big-endian int64");

	mm2_checkpoint_key(&b, "g1", "A.orders", 0);
	const unsigned char k2[] = { 0,   2,   'g', '1', 0,   8, 'A', '.', 'o',
				     'r', 'd', 'e', 'r', 's', 0, 0,   0,   0 };
	ok(same(&b, k2, sizeof(k2)), "checkpoint key: group, remote topic, partition");
	mm2_checkpoint_value(&b, 10, 7, "");
	const unsigned char v2[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0 };
	ok(same(&b, v2, sizeof(v2)), "checkpoint value: version 0, upstream, downstream, metadata");

	mm2_heartbeat_key(&b, "A", "B");
	const unsigned char k3[] = { 0, 1, 'A', 0, 1, 'B' };
	ok(same(&b, k3, sizeof(k3)), "heartbeat key: source, target");
	mm2_heartbeat_value(&b, 1);
	const unsigned char v3[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	ok(same(&b, v3, sizeof(v3)), "heartbeat value: version 0, timestamp");

	struct mm2buf k, v;

	mm2_checkpoint_key(&k, "billing", "A.pay", 7);
	mm2_checkpoint_value(&v, 123456789012LL, 99, "meta");
	ok(mm2_checkpoint_decode(k.data, k.len, v.data, v.len, g, sizeof(g), t, sizeof(t), &p, &up,
				 &down) == 0,
	   "decode a checkpoint");
	ok(strcmp(g, "billing") == 0 && strcmp(t, "A.pay") == 0 && p == 7 && up == 123456789012LL &&
		   down == 99,
	   "its fields round-trip");
	ok(mm2_checkpoint_decode(k.data, k.len - 1, v.data, v.len, g, sizeof(g), t, sizeof(t), &p,
				 &up, &down) == -1,
	   "a short key is malformed");
	v.data[1] = 1;
	ok(mm2_checkpoint_decode(k.data, k.len, v.data, v.len, g, sizeof(g), t, sizeof(t), &p, &up,
				 &down) == -1,
	   "an unknown version is refused");
	return done_testing();
}
