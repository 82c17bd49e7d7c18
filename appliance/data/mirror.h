/*
 * mirror.h — one mirror task: a consumer on the source, an idempotent
 * producer (acks=all) on the target, and the positions of the partitions
 * it owns. Records go to the same partition of the remote topic with key,
 * value, headers and timestamp unchanged; payloads are handed to the
 * producer without copying. A partition's position advances only over
 * records the target acknowledged.
 */
#ifndef FERRY_MIRROR_H
#define FERRY_MIRROR_H

#include "appliance/data/flow.h"

int mirror_task_new(struct flow *f, int index, struct mirror_task **out, struct ferr *err);
int mirror_task_start(struct mirror_task *t, struct ferr *err);
/* Thread-safe: queue a partition for the task to start mirroring. */
void mirror_task_add(struct mirror_task *t, const char *topic, const char *remote,
		     int32_t partition);
/* Thread-safe: queue an operator's resume of a stopped partition from
 * FROM (an offset, or RD_KAFKA_OFFSET_BEGINNING / _END); 0 or -1 (memory).
 * The task thread applies it and audits the outcome. */
int mirror_task_resume(struct mirror_task *t, const char *topic, int32_t partition, int64_t from);
/* The task's last snapshot: partitions (caller frees *out) and latencies. */
size_t mirror_task_snapshot(struct mirror_task *t, struct part_stat **out,
			    struct lat_window *replication, struct lat_window *age);
/* How many partitions of the task's last snapshot are stopped. */
size_t mirror_task_stopped(struct mirror_task *t);
/* Joins the task thread (the flow's stop flag ends it) and frees it. */
void mirror_task_join(struct mirror_task *t);

#endif
