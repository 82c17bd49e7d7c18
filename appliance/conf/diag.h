/*
 * diag.h — a list of config diagnostics (errors and warnings), each
 * already formatted as "FILE:LINE: KEY: what was wrong, what was expected".
 * The loader collects all of them so an operator fixes a file in one pass.
 */
#ifndef FERRY_DIAG_H
#define FERRY_DIAG_H

#include <stdarg.h>
#include <stddef.h>

struct diag {
	int is_error;
	char *msg;
};

struct diags {
	struct diag *v;
	size_t n, cap;
	unsigned nerrors, nwarnings;
};

/* LINE 0 means "not from a line" (a default or a missing key). */
void diags_add(struct diags *d, int is_error, const char *file, int line, const char *key,
	       const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void diags_vadd(struct diags *d, int is_error, const char *file, int line, const char *key,
		const char *fmt, va_list ap) __attribute__((format(printf, 6, 0)));
/* A message that already says where it comes from. */
void diags_add_msg(struct diags *d, int is_error, const char *msg);
void diags_free(struct diags *d);

#endif
