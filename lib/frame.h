/*
 * frame.h — framing of ferry's control protocol (docs/protocol.md): frames
 * of a 4-byte big-endian length followed by that many bytes of one JSON
 * object. Shared by ferryd, the `ferry` shell (through lib/proto.h) and the
 * PostgreSQL extension, which compiles lib/frame.c into ferry.so.
 */
#ifndef FERRY_FRAME_H
#define FERRY_FRAME_H

#include <jansson.h>
#include <stddef.h>

#define PROTO_MAX_FRAME (1u << 20) /* 1 MiB: a larger frame is refused */

/* --- incremental decoding (non-blocking servers) --- */
struct frame_buf {
	unsigned char *buf;
	size_t len, cap;
};

enum frame_rc { FRAME_NEED_MORE, FRAME_OK, FRAME_TOO_BIG, FRAME_BAD };

/* Appends received bytes. 0, or -1 out of memory. */
int frame_feed(struct frame_buf *fb, const void *data, size_t n);
/* Takes one frame off the buffer if complete. FRAME_OK: *out is a JSON
 * object (caller decrefs). FRAME_TOO_BIG / FRAME_BAD: err says why; the
 * stream cannot be trusted after either. */
enum frame_rc frame_take(struct frame_buf *fb, json_t **out, char *err, size_t errsz);
void frame_buf_free(struct frame_buf *fb);

/* Encodes MSG as one frame (caller frees *out). 0 or -1. */
int frame_encode(const json_t *msg, unsigned char **out, size_t *len);

#endif
