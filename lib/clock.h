/*
 * clock.h — the two clocks ferry reads: monotonic milliseconds for
 * deadlines and intervals, wall-clock milliseconds for record timestamps
 * and what is stored or shown.
 */
#ifndef FERRY_CLOCK_H
#define FERRY_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t clock_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline int64_t clock_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The time MS milliseconds from now on clock ID, as pthread_cond_timedwait
 * takes it (a condition variable waits on CLOCK_REALTIME unless its
 * attributes name CLOCK_MONOTONIC). */
static inline struct timespec clock_deadline(clockid_t id, int64_t ms)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

#endif
