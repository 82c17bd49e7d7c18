/*
 * err.h — the error out-parameter every public function that can fail
 * takes: a fixed buffer, so reporting an error never allocates.
 */
#ifndef FERRY_ERR_H
#define FERRY_ERR_H

#include <stddef.h>

/* What kind of failure, for callers that answer differently (the control
 * protocol's not_found vs invalid); most only pass the message on. */
enum ferr_code {
	FERR_FAILED = 0,
	FERR_NOT_FOUND,         /* a named thing (flow, cluster) does not exist */
};

struct ferr {
	enum ferr_code code;
	char msg[1024];
};

/* Sets the message (printf-style). Returns -1 so callers can
 * `return ferr_set(err, ...)`. A NULL err is allowed. */
int ferr_set(struct ferr *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* As ferr_set, with code FERR_NOT_FOUND. */
int ferr_not_found(struct ferr *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefixes the existing message with more context: "<ctx>: <old>", keeping the code. */
int ferr_wrap(struct ferr *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
