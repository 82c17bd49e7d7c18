/*
 * statelock.h — one ferryd per state directory. Two on the same directory
 * would both add revisions to one history and both mirror, writing every
 * record twice; so ferryd holds an exclusive flock(2) on
 * <state-dir>/ferry.lock for its whole life, taken before the state store
 * or the audit trail is opened. The kernel drops the lock when the process
 * ends however it ends, so a lock file left behind blocks nobody. The
 * holder writes its pid into the file, for the next one's message.
 * `ferryd --check-config` takes no lock.
 */
#ifndef FERRY_STATELOCK_H
#define FERRY_STATELOCK_H

#include "lib/err.h"

struct statelock;

/* Creates DIR if missing and locks it. On failure ERR says why and *BUSY
 * is 1 when another process holds the lock (the message names DIR and,
 * when it could be read, that process's pid), 0 for any other reason. */
int statelock_take(const char *dir, struct statelock **out, int *busy, struct ferr *err);
/* Drops the lock (NULL is fine); the file stays, unlinking it would race
 * with a ferryd that has just opened it. */
void statelock_release(struct statelock *l);

#endif
