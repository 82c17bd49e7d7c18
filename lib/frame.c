/*
 * frame.c — the control protocol's framing (docs/protocol.md): a 4-byte
 * big-endian length and one JSON object. Needs only libc and jansson, so
 * ferryd, the shell and the PostgreSQL extension (pgext/) compile the very
 * same file.
 */
#include "lib/frame.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int frame_feed(struct frame_buf *fb, const void *data, size_t n)
{
	if (fb->len + n > fb->cap) {
		size_t ncap = fb->cap ? fb->cap : 4096;
		unsigned char *nb;

		while (ncap < fb->len + n)
			ncap *= 2;
		nb = realloc(fb->buf, ncap);
		if (!nb)
			return -1;
		fb->buf = nb;
		fb->cap = ncap;
	}
	memcpy(fb->buf + fb->len, data, n);
	fb->len += n;
	return 0;
}

enum frame_rc frame_take(struct frame_buf *fb, json_t **out, char *err, size_t errsz)
{
	uint32_t n;
	json_error_t je;
	json_t *j;

	if (fb->len < 4)
		return FRAME_NEED_MORE;
	n = (uint32_t)fb->buf[0] << 24 | (uint32_t)fb->buf[1] << 16 | (uint32_t)fb->buf[2] << 8 |
	    fb->buf[3];
	if (n == 0 || n > PROTO_MAX_FRAME) {
		snprintf(err, errsz, "frame of %u bytes refused: frames are 1 to %u bytes", n,
			 PROTO_MAX_FRAME);
		return FRAME_TOO_BIG;
	}
	if (fb->len < 4 + (size_t)n)
		return FRAME_NEED_MORE;
	j = json_loadb((const char *)fb->buf + 4, n, JSON_REJECT_DUPLICATES, &je);
	memmove(fb->buf, fb->buf + 4 + n, fb->len - 4 - n);
	fb->len -= 4 + n;
	if (!j) {
		snprintf(err, errsz, "malformed frame: not JSON: %s at byte %d", je.text,
			 je.position);
		return FRAME_BAD;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		snprintf(err, errsz, "malformed frame: expected a JSON object");
		return FRAME_BAD;
	}
	*out = j;
	return FRAME_OK;
}

void frame_buf_free(struct frame_buf *fb)
{
	free(fb->buf);
	memset(fb, 0, sizeof(*fb));
}

int frame_encode(const json_t *msg, unsigned char **out, size_t *len)
{
	char *s = json_dumps(msg, JSON_COMPACT | JSON_ENSURE_ASCII);
	size_t n;
	unsigned char *b;

	if (!s)
		return -1;
	n = strlen(s);
	b = malloc(n + 4);
	if (!b || n > PROTO_MAX_FRAME) {
		free(s);
		free(b);
		return -1;
	}
	b[0] = (unsigned char)(n >> 24);
	b[1] = (unsigned char)(n >> 16);
	b[2] = (unsigned char)(n >> 8);
	b[3] = (unsigned char)n;
	memcpy(b + 4, s, n);
	free(s);
	*out = b;
	*len = n + 4;
	return 0;
}
