/*
 * log.c — owns where ferryd's log lines go and which are kept.
 */
#include "appliance/log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

static enum log_level cur_level = LOG_LVL_INFO;
static int to_journal;
static int stderr_is_journal;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static const struct {
	const char *name;
	enum log_level lvl;
} level_names[] = {
	{ "error", LOG_LVL_ERROR },
	{ "warning", LOG_LVL_WARNING },
	{ "info", LOG_LVL_INFO },
	{ "debug", LOG_LVL_DEBUG },
};

int log_level_parse(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcasecmp(s, level_names[i].name) == 0) {
			*out = level_names[i].lvl;
			return 0;
		}
	}
	if (strcasecmp(s, "warn") == 0) {
		*out = LOG_LVL_WARNING;
		return 0;
	}
	return -1;
}

int log_target_parse(const char *s, enum log_target *out)
{
	if (strcmp(s, "auto") == 0)
		*out = LOG_TO_AUTO;
	else if (strcmp(s, "stderr") == 0)
		*out = LOG_TO_STDERR;
	else if (strcmp(s, "journal") == 0)
		*out = LOG_TO_JOURNAL;
	else
		return -1;
	return 0;
}

/* systemd sets JOURNAL_STREAM=dev:ino when stderr is connected to journald;
 * then timestamps are redundant and priorities can travel as <N> prefixes. */
static int detect_stderr_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	struct stat st;
	unsigned long long dev, ino;

	// NOLINTNEXTLINE(cert-err34-c): our own env var; a bad one means no match
	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &st) != 0)
		return 0;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_setup(enum log_level level, enum log_target target)
{
	cur_level = level;
	stderr_is_journal = detect_stderr_journal();
	to_journal = target == LOG_TO_JOURNAL;
}

enum log_level log_get_level(void)
{
	return cur_level;
}

static const char *level_tag(enum log_level l)
{
	switch (l) {
	case LOG_LVL_ERROR:
		return "error";
	case LOG_LVL_WARNING:
		return "warning";
	case LOG_LVL_INFO:
		return "info";
	default:
		return "debug";
	}
}

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char buf[2048];

	if (level > cur_level)
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);

	if (to_journal) {
		sd_journal_send("MESSAGE=%s", buf, "PRIORITY=%d", (int)level,
				"SYSLOG_IDENTIFIER=ferryd", NULL);
		return;
	}

	pthread_mutex_lock(&out_lock);
	if (stderr_is_journal) {
		fprintf(stderr, "<%d>%s\n", (int)level, buf);
	} else {
		struct timespec ts;
		struct tm tm;
		char tbuf[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		strftime(tbuf, sizeof(tbuf), "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ld ferryd %s: %s\n", tbuf, ts.tv_nsec / 1000000L,
			level_tag(level), buf);
	}
	fflush(stderr);
	pthread_mutex_unlock(&out_lock);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}
