/*
 * tap.h — a minimal Test Anything Protocol emitter for ferry's C unit
 * tests (in the spirit of libtap): ok, is, is_int, diag, done_testing.
 * Header-only; each test binary includes it once.
 */
#ifndef FERRY_TAP_H
#define FERRY_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static void __attribute__((format(printf, 1, 2))) diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

static int __attribute__((format(printf, 4, 5)))
tap_ok(int cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond) {
		tap_failed++;
		diag("  failed at %s:%d", file, line);
	}
	return cond;
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define is(got, want, ...)                                                                 \
	do {                                                                               \
		const char *g_ = (got), *w_ = (want);                                      \
		if (!tap_ok(g_ && w_ ? strcmp(g_, w_) == 0 : g_ == w_, __FILE__, __LINE__, \
			    __VA_ARGS__)) {                                                \
			diag("         got: %s", g_ ? g_ : "(null)");                      \
			diag("    expected: %s", w_ ? w_ : "(null)");                      \
		}                                                                          \
	} while (0)

#define is_int(got, want, ...)                                            \
	do {                                                              \
		long long g_ = (long long)(got), w_ = (long long)(want);  \
		if (!tap_ok(g_ == w_, __FILE__, __LINE__, __VA_ARGS__)) { \
			diag("         got: %lld", g_);                   \
			diag("    expected: %lld", w_);                   \
		}                                                         \
	} while (0)

#define like(got, needle, ...)                                                                \
	do {                                                                                  \
		const char *g_ = (got), *n_ = (needle);                                       \
		if (!tap_ok(g_ && strstr(g_, n_) != NULL, __FILE__, __LINE__, __VA_ARGS__)) { \
			diag("         got: %s", g_ ? g_ : "(null)");                         \
			diag("    expected to contain: %s", n_);                              \
		}                                                                             \
	} while (0)

static int done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
