/*
 * heldback.c — records held back by a placement rule (see heldback.h).
 */
#include "appliance/placement/heldback.h"

int placement_held_back(rd_kafka_t *src, struct state *st, const char *flow, const char *topic,
			int32_t partitions, int timeout_ms, long long *out, struct ferr *err)
{
	long long total = 0;

	for (int32_t p = 0; p < partitions; p++) {
		int64_t lo = 0, hi = 0, pos = -1;
		rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(src, topic, p, &lo, &hi,
									 timeout_ms);

		if (e)
			return ferr_set(err, "%s[%d]: %s", topic, (int)p, rd_kafka_err2str(e));
		if (st && state_position_get(st, flow, topic, p, &pos, err) < 0)
			return -1;
		if (pos < lo)
			pos = lo;
		if (hi > pos)
			total += hi - pos;
	}
	*out = total;
	return 0;
}
