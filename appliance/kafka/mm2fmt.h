/*
 * mm2fmt.h — MirrorMaker 2's internal record formats, byte for byte, so
 * that MM2's own tools (RemoteClusterUtils, MirrorCheckpointConnector)
 * read what ferry writes. Kafka's Struct encoding: STRING = int16 length
 * + UTF-8, INT16/32/64 big-endian.
 *
 *   offset sync   key   topic STRING, partition INT32
 *                 value upstream INT64, downstream INT64
 *   checkpoint    key   group STRING, topic STRING, partition INT32
 *                 value version INT16 (0), upstream INT64, downstream INT64,
 *                       metadata STRING
 *   heartbeat     key   source alias STRING, target alias STRING
 *                 value version INT16 (0), timestamp INT64
 */
#ifndef FERRY_MM2FMT_H
#define FERRY_MM2FMT_H

#include <stddef.h>
#include <stdint.h>

struct mm2buf {
	unsigned char data[1024];
	size_t len;
	int overflow; /* a field did not fit (names over ~500 bytes) */
};

void mm2_offset_sync_key(struct mm2buf *b, const char *topic, int32_t partition);
void mm2_offset_sync_value(struct mm2buf *b, int64_t upstream, int64_t downstream);
void mm2_checkpoint_key(struct mm2buf *b, const char *group, const char *topic, int32_t partition);
void mm2_checkpoint_value(struct mm2buf *b, int64_t upstream, int64_t downstream,
			  const char *metadata);
void mm2_heartbeat_key(struct mm2buf *b, const char *source, const char *target);
void mm2_heartbeat_value(struct mm2buf *b, int64_t timestamp_ms);

/* Decoders for what ferry reads back; 0, or -1 when malformed. */
int mm2_checkpoint_decode(const void *key, size_t klen, const void *val, size_t vlen, char *group,
			  size_t gsz, char *topic, size_t tsz, int32_t *partition,
			  int64_t *upstream, int64_t *downstream);

#endif
