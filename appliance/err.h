/*
 * err.h — the error out-parameter every public function that can fail
 * takes: a fixed buffer, so reporting an error never allocates.
 */
#ifndef FERRY_ERR_H
#define FERRY_ERR_H

#include <stddef.h>

struct ferr {
	char msg[1024];
};

/* Sets the message (printf-style). Returns -1 so callers can
 * `return ferr_set(err, ...)`. A NULL err is allowed. */
int ferr_set(struct ferr *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefixes the existing message with more context: "<ctx>: <old>". */
int ferr_wrap(struct ferr *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
