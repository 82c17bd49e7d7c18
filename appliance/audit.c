/*
 * audit.c — one state-store connection, serialised by a mutex, shared by
 * every thread that records.
 */
#include "audit.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

#include "log.h"
#include "state.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct state *st;

int audit_open(const char *state_dir, struct ferr *err)
{
	pthread_mutex_lock(&lock);
	if (!st && state_open_worker(state_dir, &st, err)) {
		pthread_mutex_unlock(&lock);
		return -1;
	}
	pthread_mutex_unlock(&lock);
	return 0;
}

void audit_close(void)
{
	pthread_mutex_lock(&lock);
	state_close(st);
	st = NULL;
	pthread_mutex_unlock(&lock);
}

void audit_request(const char *who, const char *role, const char *origin, const char *action,
		   const char *result, const char *detail)
{
	struct audit_entry e = { .who = who, .role = role, .origin = origin, .action = action,
				 .result = result, .detail = detail ? detail : "" };
	struct ferr err;

	pthread_mutex_lock(&lock);
	if (st && state_audit_add(st, &e, &err))
		log_error("audit trail: %s (lost: %s by %s: %s)", err.msg, action, who, result);
	pthread_mutex_unlock(&lock);
	if (e.result[0] == 'd')
		log_warn("denied: %s (role %s) via %s: %s", who, role, origin, action);
	else
		log_debug("audit: %s (role %s) via %s: %s: %s", who, role, origin, action, result);
}

void audit_system(const char *result, const char *fmt, ...)
{
	char action[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(action, sizeof(action), fmt, ap);
	va_end(ap);
	audit_request("ferryd", "system", "ferryd", action, result, "");
}
