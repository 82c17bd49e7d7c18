/*
 * heldback.h — how many records a placement rule holds back from a flow's
 * target: per partition, the source end offset minus the flow's saved
 * position (the log start when it has none: nothing below it can be
 * copied). For `show placement` and for the transfer ledger, which
 * records the held-back count with the rule and category of
 * placement_check(). Blocking (Kafka and the state store): never on the
 * main loop.
 */
#ifndef FERRY_HELDBACK_H
#define FERRY_HELDBACK_H

#include <librdkafka/rdkafka.h>
#include <stdint.h>

#include "appliance/store/state.h"
#include "lib/err.h"

/* SRC: any handle on FLOW's source cluster; ST: a state connection of the
 * calling thread (NULL: count from the log start); PARTITIONS of TOPIC.
 * 0 with *OUT, or -1 (ERR names the partition). */
int placement_held_back(rd_kafka_t *src, struct state *st, const char *flow, const char *topic,
			int32_t partitions, int timeout_ms, long long *out, struct ferr *err);

#endif
