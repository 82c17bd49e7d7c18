/*
 * audit.h — the audit trail: who did what when, and with what result, for
 * every control request (allowed or denied) and every automatic action of
 * ferryd (topic created, partitions added, flow failed). Any thread may
 * record; entries go to the state store's `audit` table and to the log.
 */
#ifndef FERRY_AUDIT_H
#define FERRY_AUDIT_H

#include "lib/err.h"

int audit_open(const char *state_dir, struct ferr *err);
void audit_close(void);

/* A control request. RESULT is "ok", "denied" or "error". */
void audit_request(const char *who, const char *role, const char *origin, const char *action,
		   const char *result, const char *detail);

/* Writes entries kept while the state store failed (main loop, every second). */
void audit_retry(void);

/* Something ferryd did by itself. */
void audit_system(const char *result, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
