/*
 * err.c — formatting for struct ferr.
 */
/* the analyzer's view of these functions (err.h) is not for their bodies */
#define FERR_IMPL
#include "lib/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void set(struct ferr *err, enum ferr_code code, const char *fmt, va_list ap)
{
	err->code = code;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int ferr_set(struct ferr *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	set(err, FERR_FAILED, fmt, ap);
	va_end(ap);
	return -1;
}

int ferr_not_found(struct ferr *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	set(err, FERR_NOT_FOUND, fmt, ap);
	va_end(ap);
	return -1;
}

int ferr_wrap(struct ferr *err, const char *fmt, ...)
{
	char ctx[512], old[sizeof(err->msg)];
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	char joined[sizeof(ctx) + sizeof(old) + 2];

	memcpy(old, err->msg, sizeof(old));
	snprintf(joined, sizeof(joined), "%s: %s", ctx, old);
	snprintf(err->msg, sizeof(err->msg), "%.*s", (int)sizeof(err->msg) - 1, joined);
	return -1;
}
