/*
 * log.h — leveled logging for ferryd.
 *
 * Policy (after FRR): error = an operator must act; warning = ferry will
 * repair it itself or it is a config smell; info = a state change that a
 * `show` command would also show; debug = everything else, off by default.
 * Lines go to stderr (with a timestamp unless journald captures stderr) or
 * straight to journald with a priority and structured fields.
 */
#ifndef FERRY_LOG_H
#define FERRY_LOG_H

#include <stdarg.h>

enum log_level { LOG_LVL_ERROR = 3, LOG_LVL_WARNING = 4, LOG_LVL_INFO = 6, LOG_LVL_DEBUG = 7 };
enum log_target { LOG_TO_AUTO, LOG_TO_STDERR, LOG_TO_JOURNAL };

/* Parse "error|warning|info|debug"; returns 0 or -1. */
int log_level_parse(const char *s, enum log_level *out);
/* Parse "auto|stderr|journal"; returns 0 or -1. */
int log_target_parse(const char *s, enum log_target *out);

void log_setup(enum log_level level, enum log_target target);
enum log_level log_get_level(void);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)                                       \
	do {                                                 \
		if (log_get_level() >= LOG_LVL_DEBUG)        \
			log_msg(LOG_LVL_DEBUG, __VA_ARGS__); \
	} while (0)

#endif
