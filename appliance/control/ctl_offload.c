/*
 * ctl_offload.c — control commands whose Kafka part blocks (show groups,
 * group completion, failover, reset-offsets, failback) run that part on a thread of
 * their own, so the main loop keeps serving /metrics, signals and other
 * sessions. The answer comes back through the session's struct ctl_wait:
 * control.c polls it from the loop, and the reply and its audit record are
 * made there, as for any other request.
 *
 * An offload is shared by two owners, the wait on the main loop and the
 * worker thread, and freed by whichever lets go last: a session that ends
 * first abandons it (the worker runs to its end and its answer is
 * dropped), a worker that ends first leaves its answer for the next poll.
 * The worker touches only the job (copies of what it needs, made on the
 * main loop) and a reply of its own, never the runtime or the session.
 *
 * Workers are detached; a registry counts them so that ferryd's shutdown
 * can ask them to stop (every kadmin wait of theirs ends within 500 ms)
 * and wait for them, for a bounded time.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>

#include "lib/clock.h"
#include "appliance/control/ctl.h"
#include "appliance/kafka/kadmin.h"
#include "appliance/log.h"

struct ctl_offload {
	const struct ctl_job_ops *ops;
	void *job;                /* owned by the offload: ops->free */
	struct ctl_reply out;     /* the worker's answer; moved into the session's reply */
	atomic_int stop;          /* set at shutdown: the worker's kadmin waits end */
	int refs;                 /* under lock: the wait and the worker */
	int finished;             /* under lock: out is complete */
	struct ctl_offload *next; /* under lock: the running workers */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gone = PTHREAD_COND_INITIALIZER;
static struct ctl_offload *running; /* offloads whose worker has not finished */
static int nworkers;                /* threads that have not returned yet */
static int shutting_down;
static int wake_fd = -1; /* under lock: control.c's eventfd */

static void reply_clear(struct ctl_reply *r)
{
	json_decref(r->columns);
	json_decref(r->rows);
	free(r->text);
	r->columns = r->rows = NULL;
	r->text = NULL;
}

static void offload_free(struct ctl_offload *o)
{
	o->ops->free(o->job);
	reply_clear(&o->out);
	free(o);
}

/* Drops one owner's reference; the last one frees O. */
static void offload_unref(struct ctl_offload *o)
{
	int last;

	pthread_mutex_lock(&lock);
	last = --o->refs == 0;
	pthread_mutex_unlock(&lock);
	if (last)
		offload_free(o);
}

static void *worker(void *arg)
{
	struct ctl_offload *o = arg;

	kadmin_thread_stop(&o->stop);
	o->ops->run(o->job, &o->out);
	kadmin_thread_stop(NULL);
	pthread_mutex_lock(&lock);
	o->finished = 1;
	if (wake_fd >= 0)
		eventfd_write(wake_fd, 1);
	for (struct ctl_offload **pp = &running; *pp; pp = &(*pp)->next) {
		if (*pp == o) {
			*pp = o->next;
			break;
		}
	}
	pthread_mutex_unlock(&lock);
	/* the worker's reference; O may be freed here when the session left */
	offload_unref(o);
	/* counted down last: a shutdown that saw nworkers reach 0 has nothing
	 * of ours left to wait for */
	pthread_mutex_lock(&lock);
	nworkers--;
	pthread_cond_broadcast(&gone);
	pthread_mutex_unlock(&lock);
	return NULL;
}

struct ctl_offload *ctl_offload_start(const struct ctl_job_ops *ops, void *job, struct ferr *err)
{
	struct ctl_offload *o = calloc(1, sizeof(*o));
	pthread_attr_t attr;
	pthread_t thr;
	int rc;

	if (!o) {
		ops->free(job);
		ferr_set(err, "out of memory");
		return NULL;
	}
	o->ops = ops;
	o->job = job; /* JOB belongs to the offload from here */
	o->refs = 2;  /* the caller's wait and the worker */
	pthread_mutex_lock(&lock);
	if (shutting_down) {
		pthread_mutex_unlock(&lock);
		offload_free(o);
		ferr_set(err, "ferryd is stopping");
		return NULL;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&thr, &attr, worker, o);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		pthread_mutex_unlock(&lock);
		offload_free(o);
		ferr_set(err, "cannot start a worker thread: %s", strerror(rc));
		return NULL;
	}
	o->next = running;
	running = o;
	nworkers++;
	pthread_mutex_unlock(&lock);
	return o;
}

/* Moves the worker's answer into R (which holds nothing yet). */
static void reply_move(struct ctl_reply *r, struct ctl_reply *from)
{
	r->columns = from->columns;
	r->rows = from->rows;
	r->text = from->text;
	from->columns = from->rows = NULL;
	from->text = NULL;
	memcpy(r->message, from->message, sizeof(r->message));
	if (from->err_code)
		ctl_fail(r, from->err_code, "%s", from->err);
}

int ctl_offload_poll(struct ctl_offload *o, struct ctl_reply *r)
{
	int finished;

	pthread_mutex_lock(&lock);
	finished = o->finished;
	pthread_mutex_unlock(&lock);
	if (!finished)
		return 1;
	/* the worker is done with OUT (the lock ordered its writes before ours) */
	reply_move(r, &o->out);
	offload_unref(o);
	return 0;
}

void ctl_offload_abandon(struct ctl_offload *o)
{
	if (o)
		offload_unref(o);
}

static int wait_poll(struct runtime *rt, void *state, struct ctl_reply *r)
{
	(void)rt;
	return ctl_offload_poll(state, r);
}

static void wait_cancel(void *state)
{
	ctl_offload_abandon(state);
}

int ctl_offload(struct ctl_reply *r, const struct ctl_job_ops *ops, void *job)
{
	struct ferr err;
	struct ctl_offload *o = ctl_offload_start(ops, job, &err);

	if (!o) {
		ctl_fail(r, "internal", "%s", err.msg);
		return -1;
	}
	/* the offload's first reference passes to the wait: wait_poll or
	 * wait_cancel lets go of it */
	r->wait = (struct ctl_wait){ .poll = wait_poll, .cancel = wait_cancel, .state = o };
	return 0;
}

void ctl_offload_wake_fd(int fd)
{
	pthread_mutex_lock(&lock);
	wake_fd = fd;
	pthread_mutex_unlock(&lock);
}

void ctl_offload_shutdown(int timeout_ms)
{
	struct timespec deadline = clock_deadline(CLOCK_REALTIME, timeout_ms);
	int left;

	pthread_mutex_lock(&lock);
	shutting_down = 1;
	for (struct ctl_offload *o = running; o; o = o->next)
		atomic_store(&o->stop, 1);
	while (nworkers > 0 && pthread_cond_timedwait(&gone, &lock, &deadline) != ETIMEDOUT)
		;
	left = nworkers;
	pthread_mutex_unlock(&lock);
	/* a call librdkafka does not let us interrupt (offsets_for_times,
	 * watermarks: 10 s at most) is left to end with the process; its job
	 * stays reachable from the registry */
	if (left)
		log_warn("control: %d command%s still waiting for Kafka after %d ms; exiting anyway",
			 left, left == 1 ? "" : "s", timeout_ms);
}
