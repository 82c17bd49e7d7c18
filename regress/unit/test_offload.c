/*
 * test_offload.c — ctl_offload.c: a job's answer reaches the session's
 * reply; a session that leaves first abandons the job, which its worker
 * then frees; shutdown ends a worker blocked in kadmin_wait through the
 * thread's stop flag and waits for it; nothing starts after shutdown.
 * Run under ASan by `make check`: a use after free or a leak fails it.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "appliance/control/ctl.h"
#include "appliance/kafka/kadmin.h"
#include "tap.h"

static atomic_int freed;

struct tjob {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int gate_open; /* a gated job waits for it */
	int gated;
	rd_kafka_t *rk; /* a kadmin job waits on a queue of it */
	atomic_int entered, waited_out;
};

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static struct tjob *tjob_new(int gated)
{
	struct tjob *j = calloc(1, sizeof(*j));

	pthread_mutex_init(&j->lock, NULL);
	pthread_cond_init(&j->cond, NULL);
	j->gated = gated;
	return j;
}

static void open_gate(struct tjob *j)
{
	pthread_mutex_lock(&j->lock);
	j->gate_open = 1;
	pthread_cond_broadcast(&j->cond);
	pthread_mutex_unlock(&j->lock);
}

static void tjob_run(void *job, struct ctl_reply *out)
{
	struct tjob *j = job;

	atomic_store(&j->entered, 1);
	if (j->gated) {
		pthread_mutex_lock(&j->lock);
		while (!j->gate_open)
			pthread_cond_wait(&j->cond, &j->lock);
		pthread_mutex_unlock(&j->lock);
	}
	if (j->rk) {
		/* nothing ever answers on this queue: only a stop ends the wait */
		rd_kafka_queue_t *q = rd_kafka_queue_new(j->rk);
		rd_kafka_event_t *ev = kadmin_wait(q, RD_KAFKA_EVENT_LISTCONSUMERGROUPS_RESULT,
						   600000, NULL);

		if (ev)
			rd_kafka_event_destroy(ev);
		rd_kafka_queue_destroy(q);
		atomic_store(&j->waited_out, 1);
		ctl_fail(out, "internal", "no answer");
		return;
	}
	out->columns = json_pack("[s]", "n");
	out->rows = json_pack("[[i]]", 42);
	snprintf(out->message, sizeof(out->message), "done");
}

static void tjob_free(void *job)
{
	struct tjob *j = job;

	pthread_cond_destroy(&j->cond);
	pthread_mutex_destroy(&j->lock);
	free(j);
	atomic_fetch_add(&freed, 1);
}

static const struct ctl_job_ops ops = { tjob_run, tjob_free };

static void reply_free(struct ctl_reply *r)
{
	json_decref(r->columns);
	json_decref(r->rows);
	free(r->text);
}

int main(void)
{
	struct ctl_reply r = { 0 };
	struct ferr err;
	struct ctl_offload *o;
	struct tjob *j;
	int polls = 0;

	/* an answer through the wait, as control.c polls it */
	is_int(ctl_offload(&r, &ops, tjob_new(0)), 0, "ctl_offload starts a worker");
	ok(r.wait.poll && r.wait.cancel && r.wait.state, "and fills in the reply's wait");
	while (r.wait.poll(NULL, r.wait.state, &r) == 1 && polls++ < 10000)
		sleep_ms(1);
	is(r.message, "done", "the worker's message reaches the reply");
	ok(r.rows && json_integer_value(json_array_get(json_array_get(r.rows, 0), 0)) == 42,
	   "and its rows");
	ok(!r.err_code, "no error");
	is_int(atomic_load(&freed), 1, "the job is freed once the answer is taken");
	reply_free(&r);

	/* a session that leaves while the worker runs */
	j = tjob_new(1);
	o = ctl_offload_start(&ops, j, &err);
	ok(o != NULL, "a gated job starts");
	while (!atomic_load(&j->entered))
		sleep_ms(1);
	ctl_offload_abandon(o);
	is_int(atomic_load(&freed), 1, "abandoned while running: the worker still owns the job");
	open_gate(j); /* j is the worker's until it frees it */
	polls = 0;
	while (atomic_load(&freed) < 2 && polls++ < 10000)
		sleep_ms(1);
	is_int(atomic_load(&freed), 2, "the worker frees the abandoned job when it ends");

	/* polling from the start: 1 until the worker is done, then the answer */
	j = tjob_new(0);
	memset(&r, 0, sizeof(r));
	o = ctl_offload_start(&ops, j, &err);
	polls = 0;
	while (atomic_load(&freed) < 3 && ctl_offload_poll(o, &r) == 1 && polls++ < 10000)
		sleep_ms(1);
	is(r.message, "done", "the answer comes with the poll that sees the worker done");
	is_int(atomic_load(&freed), 3, "and the poll frees the job");
	reply_free(&r);

	/* shutdown ends a worker stuck in kadmin_wait */
	{
		rd_kafka_conf_t *conf = rd_kafka_conf_new();
		char es[256];
		rd_kafka_t *rk;

		rd_kafka_conf_set(conf, "log_level", "0", es, sizeof(es));
		rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, es, sizeof(es));
		j = tjob_new(0);
		j->rk = rk;
		o = ctl_offload_start(&ops, j, &err);
		ok(o != NULL, "a job waiting on a queue nobody answers starts");
		while (!atomic_load(&j->entered))
			sleep_ms(1);
		ctl_offload_abandon(o); /* as control_stop's sessions do */
		ctl_offload_shutdown(5000);
		is_int(atomic_load(&freed), 4,
		       "shutdown: the stop flag ended its kadmin_wait, the worker freed the job");
		rd_kafka_destroy(rk);
	}
	j = tjob_new(0);
	ok(ctl_offload_start(&ops, j, &err) == NULL, "nothing starts once ferryd stops");
	is(err.msg, "ferryd is stopping", "saying so");
	is_int(atomic_load(&freed), 5, "and the job handed over is freed");
	return done_testing();
}
