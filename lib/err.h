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
	FERR_NOT_FOUND, /* a named thing (flow, cluster) does not exist */
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

/* The analyzer sees ferr_set's body only in err.c; tell it here that these
 * always return -1, or every `return ferr_set(...)` path looks like success
 * with its out-parameters unset (clang-tidy's false positives). */
#if defined(__clang_analyzer__) && !defined(FERR_IMPL)
#define ferr_set(...)                  \
	({                             \
		ferr_set(__VA_ARGS__); \
		-1;                    \
	})
#define ferr_not_found(...)                  \
	({                                   \
		ferr_not_found(__VA_ARGS__); \
		-1;                          \
	})
#define ferr_wrap(...)                  \
	({                              \
		ferr_wrap(__VA_ARGS__); \
		-1;                     \
	})
#endif

#endif
