/*
 * audit.c — one state-store connection, serialised by a mutex, shared by
 * every thread that records. An entry the store cannot take (disk full,
 * read-only file system: often the very event being recorded) is kept in
 * memory with its time and written once the store takes writes again.
 */
#include "appliance/store/audit.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/log.h"
#include "appliance/store/state.h"

#define PENDING_MAX 1000 /* entries kept while the store fails; older ones are dropped */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct state *st;
/* entries not yet written, oldest first; each string owned here */
static struct audit_entry pending[PENDING_MAX];
static size_t npending;
static unsigned long long pending_dropped;

static void pending_free(struct audit_entry *e)
{
	free((char *)e->who);
	free((char *)e->role);
	free((char *)e->origin);
	free((char *)e->action);
	free((char *)e->result);
	free((char *)e->detail);
}

/* Keeps a copy of E (lock held). */
static void pending_add(const struct audit_entry *e)
{
	struct audit_entry c = {
		.ts_ms = e->ts_ms ? e->ts_ms : state_now_ms(),
		.who = strdup(e->who),
		.role = strdup(e->role),
		.origin = strdup(e->origin),
		.action = strdup(e->action),
		.result = strdup(e->result),
		.detail = strdup(e->detail),
	};

	if (!c.who || !c.role || !c.origin || !c.action || !c.result || !c.detail) {
		pending_free(&c);
		pending_dropped++;
		return;
	}
	if (npending == PENDING_MAX) {
		pending_free(&pending[0]);
		memmove(pending, pending + 1, (PENDING_MAX - 1) * sizeof(pending[0]));
		npending--;
		pending_dropped++;
	}
	pending[npending++] = c;
}

/* Writes what is pending, in order (lock held): 0 when nothing is left. */
static int pending_flush(void)
{
	struct ferr err;
	size_t i;

	for (i = 0; i < npending; i++)
		if (state_audit_add(st, &pending[i], &err))
			break;
	if (i > 0) {
		log_info("audit trail: %zu delayed entr%s written", i, i == 1 ? "y" : "ies");
		for (size_t k = 0; k < i; k++)
			pending_free(&pending[k]);
		memmove(pending, pending + i, (npending - i) * sizeof(pending[0]));
		npending -= i;
	}
	if (npending == 0 && pending_dropped) {
		log_error("audit trail: %llu entries were lost while the state store failed",
			  pending_dropped);
		pending_dropped = 0;
	}
	return npending ? -1 : 0;
}

void audit_retry(void)
{
	pthread_mutex_lock(&lock);
	if (st && npending)
		pending_flush();
	pthread_mutex_unlock(&lock);
}

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
	if (st && npending && pending_flush())
		log_error("audit trail: %zu entries could not be written and are lost", npending);
	for (size_t i = 0; i < npending; i++)
		pending_free(&pending[i]);
	npending = 0;
	state_close(st);
	st = NULL;
	pthread_mutex_unlock(&lock);
}

void audit_request(const char *who, const char *role, const char *origin, const char *action,
		   const char *result, const char *detail)
{
	struct audit_entry e = { .who = who,
				 .role = role,
				 .origin = origin,
				 .action = action,
				 .result = result,
				 .detail = detail ? detail : "" };
	struct ferr err = { 0 };

	pthread_mutex_lock(&lock);
	e.ts_ms = state_now_ms();
	if (st && ((npending && pending_flush()) || state_audit_add(st, &e, &err))) {
		if (npending)
			err.msg[0] = '\0';
		log_error("audit trail: %s%skept in memory until the state store takes it: %s by %s: "
			  "%s",
			  err.msg, err.msg[0] ? "; " : "", action, who, result);
		pending_add(&e);
	}
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
