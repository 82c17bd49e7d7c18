/*
 * kt — the Kafka test tool of ferry's regression suite.
 *
 * A small command-line client on librdkafka that the Perl harness
 * (regress/lib/Ferry/Test/) uses to prepare and verify the real Kafka
 * clusters of the tests.  It owns:
 *
 *   - readiness probing of a broker            (wait-ready)
 *   - topic administration                     (create, add-partitions,
 *                                               delete, delete-records, topics)
 *   - the deterministic record scheme below    (produce)
 *   - single hand-made records                 (put)
 *   - reading a whole topic back               (dump, count, seqcheck)
 *   - consumer group offsets                   (group-commit, group-offsets)
 *   - ACL bindings                             (acl-add, acl-del, acl-list)
 *
 * It is a test tool only: ferryd neither links nor runs it.
 *
 * Record scheme of `produce` (tests and the harness rely on it):
 *   seq        S .. S+N-1
 *   partition  seq % <partitions of the topic>, or --partition
 *   key        "k-<seq>"
 *   value      "<seq>:" then filler up to --size bytes (default 100); the
 *              byte at value offset i is FILLER[(seq + i) % 62]
 *              (FILLER = A-Z a-z 0-9); never shorter than "<seq>:"
 *   headers    seq=<seq>, h2=x<seq>
 *   timestamp  CreateTime BASE + seq, where BASE is chosen once per run so
 *              that every timestamp lies about a day in the past: old
 *              enough to be stable, young enough for the brokers' 7-day
 *              retention never to delete it; with --now, the time it is
 *              produced (the demo: its latency metrics then read true)
 *
 * Output of `dump`, one line per record in partition, offset order:
 *   P \t OFFSET \t TIMESTAMP \t KEY \t VALUE \t HEADERS
 * KEY and VALUE escape bytes < 0x20, >= 0x7f and '\' as \xHH; a null key
 * or value prints as \N.  HEADERS is name=value,name=value with ',' and
 * '=' escaped too (a null header value prints as \N), or empty.
 *
 * Exit status: 0 success, 1 failure (message on stderr naming the command),
 * 2 usage error.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#define MAX_X 64             /* -X options */
#define MAX_CONFIG 64        /* create --config options */
#define TS_AGE_MS 86400000LL /* produced timestamps lie this far in the past */
#define TXN_SIZE 100         /* records per transaction */
#define SCAN_BATCH 10000

static const char FILLER[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

static const char USAGE[] =
	"usage: kt -b BOOTSTRAP [-X key=value]... [-v] COMMAND ARGS\n"
	"\n"
	"commands:\n"
	"  wait-ready [--timeout SEC]            wait until the broker serves metadata (60)\n"
	"  create TOPIC PARTITIONS [--rf N] [--config k=v]...\n"
	"  add-partitions TOPIC TOTAL\n"
	"  delete TOPIC\n"
	"  set-config TOPIC key=value...        replaces the topic's dynamic configs\n"
	"  configs TOPIC [--all]                 key<TAB>value of its topic-level configs,\n"
	"                                        sorted; --all: every entry, key<TAB>value<TAB>source\n"
	"  delete-records TOPIC PARTITION OFFSET the log then starts at OFFSET\n"
	"  topics [--all]                        name<TAB>partitions, sorted; --all shows __*\n"
	"  produce TOPIC --count N [--start S] [--size BYTES] [--partition P]\n"
	"          [--transactional-id ID [--abort-every K]] [--rate RECORDS_PER_SEC]\n"
	"          [--key-mod M]                 (keys k-<seq % M>: they repeat, for compaction)\n"
	"          [--now]                       (timestamps now, not a day in the past)\n"
	"                                        seq-numbered records; prints 'aborted SEQ'\n"
	"  put TOPIC [--partition P] [--key K] [--value V] [--header NAME=V]...\n"
	"          [--timestamp MS]              one record; fields as dump prints them\n"
	"                                        (\\xHH escapes, \\N null, the default)\n"
	"  dump TOPIC [--timeout SEC] [--isolation read_committed|read_uncommitted]\n"
	"                                        P OFFSET TIMESTAMP KEY VALUE HEADERS\n"
	"  count TOPIC                           sum of high - low watermarks\n"
	"  seqcheck TOPIC --count N [--start S] [--exclude-file F] [--exact]\n"
	"          [--timeout SEC]\n"
	"  group-commit GROUP TOPIC PARTITION OFFSET\n"
	"  group-offsets GROUP                   topic<TAB>partition<TAB>offset\n"
	"  join GROUP TOPIC [--seconds S]        be an active member of GROUP for S s (30)\n"
	"  acl-add TYPE NAME PATTERN PRINCIPAL HOST OPERATION PERMISSION\n"
	"                                        one ACL binding (names as Kafka's, any case:\n"
	"                                        topic orders literal User:alice '*' read allow)\n"
	"  acl-del TYPE NAME PATTERN PRINCIPAL HOST OPERATION PERMISSION\n"
	"                                        removes exactly that binding\n"
	"  acl-list                              TYPE NAME PATTERN PRINCIPAL HOST OP PERM, sorted,\n"
	"                                        tab-separated; exit 3 without an authorizer\n"
	"\n"
	"options:\n"
	"  -b BOOTSTRAP   bootstrap.servers\n"
	"  -X key=value   librdkafka property for every client kt creates\n"
	"  -v             verbose: librdkafka logs and errors, summaries\n";

static struct {
	const char *bootstrap;
	const char *x[MAX_X];
	int nx;
	int verbose;
	const char *cmd;
	char last_error[512];
} G;

/* ---------------------------------------------------------------- util */

__attribute__((format(printf, 1, 2))) static void fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "kt %s: ", G.cmd ? G.cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

__attribute__((format(printf, 1, 2), noreturn)) static void usage(const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		fprintf(stderr, "kt%s%s: ", G.cmd ? " " : "", G.cmd ? G.cmd : "");
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fputs(USAGE, stderr);
	exit(2);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wall-clock time in ms, for record timestamps. */
static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until deadline, at least 1 and at most cap. */
static int left_ms(int64_t deadline, int cap)
{
	int64_t left = deadline - now_ms();

	if (left < 1)
		return 1;
	if (left > cap)
		return cap;
	return (int)left;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static long long parse_num(const char *what, const char *s, long long min, long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end != '\0' || v < min || v > max)
		usage("%s: '%s' is not a number in [%lld, %lld]", what, s, min, max);
	return v;
}

/* Value of option argv[*i]; usage error when missing. */
static const char *optval(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc)
		usage("option %s needs a value", argv[*i]);
	return argv[++*i];
}

/* Splits "k=v" into key (copied into buf) and value; 0 or -1. */
static int split_kv(const char *kv, char *buf, size_t bufsz, const char **val)
{
	const char *eq = strchr(kv, '=');
	int n;

	if (!eq || eq == kv)
		return -1;
	n = snprintf(buf, bufsz, "%.*s", (int)(eq - kv), kv);
	if (n < 0 || (size_t)n >= bufsz)
		return -1;
	*val = eq + 1;
	return 0;
}

/* ------------------------------------------------------------ clients */

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	if (G.verbose || level <= 2)
		fprintf(stderr, "kt %s: librdkafka %s: %s\n", G.cmd, fac, buf);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	snprintf(G.last_error, sizeof G.last_error, "%s", reason);
	if (G.verbose || err == RD_KAFKA_RESP_ERR__FATAL)
		fprintf(stderr, "kt %s: librdkafka error: %s: %s\n", G.cmd,
			rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

static int conf_set(rd_kafka_conf_t *conf, const char *key, const char *val)
{
	char errstr[512];

	if (rd_kafka_conf_set(conf, key, val, errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
		fail("config %s=%s: %s", key, val, errstr);
		return -1;
	}
	return 0;
}

/*
 * A configuration with kt's defaults, then the -X overrides, then extra
 * NULL-terminated key, value pairs.  NULL on error (reported).
 */
static rd_kafka_conf_t *conf_new(const char *const *extra)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char key[256];
	const char *val;
	int i;

	if (conf_set(conf, "bootstrap.servers", G.bootstrap) || conf_set(conf, "client.id", "kt") ||
	    conf_set(conf, "reconnect.backoff.ms", "50") ||
	    conf_set(conf, "reconnect.backoff.max.ms", "500") ||
	    conf_set(conf, "log.connection.close", "false"))
		goto bad;
	for (i = 0; extra && extra[i]; i += 2)
		if (conf_set(conf, extra[i], extra[i + 1]))
			goto bad;
	for (i = 0; i < G.nx; i++) {
		if (split_kv(G.x[i], key, sizeof key, &val)) {
			fail("-X %s: expected key=value", G.x[i]);
			goto bad;
		}
		if (conf_set(conf, key, val))
			goto bad;
	}
	rd_kafka_conf_set_log_cb(conf, log_cb);
	rd_kafka_conf_set_error_cb(conf, error_cb);
	return conf;
bad:
	rd_kafka_conf_destroy(conf);
	return NULL;
}

/* Takes conf in all cases. */
static rd_kafka_t *client_new(rd_kafka_type_t type, rd_kafka_conf_t *conf)
{
	char errstr[512];
	rd_kafka_t *rk;

	if (!conf)
		return NULL;
	rk = rd_kafka_new(type, conf, errstr, sizeof errstr);
	if (!rk) {
		fail("cannot create client: %s", errstr);
		rd_kafka_conf_destroy(conf);
	}
	return rk;
}

/* Admin requests go through a plain producer handle. */
static rd_kafka_t *admin_new(void)
{
	return client_new(RD_KAFKA_PRODUCER, conf_new(NULL));
}

static rd_kafka_AdminOptions_t *admin_options(rd_kafka_t *rk, int timeout_ms)
{
	rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_ANY);
	char errstr[256];

	if (rd_kafka_AdminOptions_set_request_timeout(o, timeout_ms, errstr, sizeof errstr) ||
	    rd_kafka_AdminOptions_set_operation_timeout(o, timeout_ms, errstr, sizeof errstr)) {
		fail("admin options: %s", errstr);
		rd_kafka_AdminOptions_destroy(o);
		return NULL;
	}
	return o;
}

/*
 * Waits for the admin result event of type on q; NULL on timeout, and on an
 * event level error unless keep_errors (all reported).
 */
static rd_kafka_event_t *admin_wait(rd_kafka_queue_t *q, rd_kafka_event_type_t type, int timeout_ms,
				    int keep_errors)
{
	int64_t deadline = now_ms() + timeout_ms;
	rd_kafka_event_t *ev;

	for (;;) {
		ev = rd_kafka_queue_poll(q, left_ms(deadline, 1000));
		if (ev && rd_kafka_event_type(ev) == type)
			break;
		if (ev)
			rd_kafka_event_destroy(ev);
		if (now_ms() >= deadline) {
			fail("no answer from the cluster in %d ms", timeout_ms);
			return NULL;
		}
	}
	if (rd_kafka_event_error(ev) && !keep_errors) {
		fail("%s", rd_kafka_event_error_string(ev));
		rd_kafka_event_destroy(ev);
		return NULL;
	}
	return ev;
}

/*
 * Full metadata of the cluster; retried until deadline.  NULL on failure
 * (reported).
 */
static const rd_kafka_metadata_t *metadata_all(rd_kafka_t *rk, int64_t deadline)
{
	const rd_kafka_metadata_t *md;
	rd_kafka_resp_err_t err;

	for (;;) {
		err = rd_kafka_metadata(rk, 1, NULL, &md, left_ms(deadline, 5000));
		if (!err)
			return md;
		if (now_ms() >= deadline) {
			fail("metadata request failed: %s", rd_kafka_err2str(err));
			return NULL;
		}
		sleep_ms(100);
	}
}

static const rd_kafka_metadata_topic_t *md_topic(const rd_kafka_metadata_t *md, const char *topic)
{
	int i;

	for (i = 0; i < md->topic_cnt; i++)
		if (strcmp(md->topics[i].topic, topic) == 0)
			return &md->topics[i];
	return NULL;
}

/*
 * Waits until topic has no error, at least min_parts (and at least one)
 * partitions and every partition a leader; returns the partition count, or
 * -1 on timeout (reported with the last reason).  With min_parts < 0 waits
 * until the topic is gone and returns 0.
 */
static int topic_wait(rd_kafka_t *rk, const char *topic, int min_parts, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	const rd_kafka_metadata_t *md;
	const rd_kafka_metadata_topic_t *t;
	char why[256] = "no metadata";
	int i, n;

	for (;;) {
		rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, NULL, &md,
							    left_ms(deadline, 5000));

		n = -1;
		if (err) {
			snprintf(why, sizeof why, "metadata request failed: %s",
				 rd_kafka_err2str(err));
			goto next;
		}
		t = md_topic(md, topic);
		if (min_parts < 0) {
			if (!t || t->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
				n = 0;
			else
				snprintf(why, sizeof why, "topic still exists");
		} else if (!t) {
			snprintf(why, sizeof why, "topic does not exist");
		} else if (t->err) {
			snprintf(why, sizeof why, "%s", rd_kafka_err2str(t->err));
		} else if (t->partition_cnt < min_parts || t->partition_cnt == 0) {
			snprintf(why, sizeof why, "topic has %d partitions", t->partition_cnt);
		} else {
			n = t->partition_cnt;
			for (i = 0; i < t->partition_cnt; i++) {
				if (t->partitions[i].err || t->partitions[i].leader < 0) {
					snprintf(why, sizeof why, "partition %d has no leader: %s",
						 t->partitions[i].id,
						 rd_kafka_err2str(t->partitions[i].err));
					n = -1;
					break;
				}
			}
		}
		rd_kafka_metadata_destroy(md);
next:
		if (n >= 0)
			return n;
		if (now_ms() >= deadline) {
			fail("topic '%s': %s", topic, why);
			return -1;
		}
		sleep_ms(100);
	}
}

/* ---------------------------------------------------------- wait-ready */

static int cmd_wait_ready(int argc, char **argv)
{
	int timeout = 60, i, rc = 1;
	int64_t deadline;
	const rd_kafka_metadata_t *md;
	rd_kafka_resp_err_t err;
	rd_kafka_t *rk;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--timeout") == 0)
			timeout = (int)parse_num("--timeout", optval(argc, argv, &i), 0, 86400);
		else
			usage("unexpected argument '%s'", argv[i]);
	}
	deadline = now_ms() + (int64_t)timeout * 1000;
	rk = admin_new();
	if (!rk)
		return 1;
	for (;;) {
		err = rd_kafka_metadata(rk, 0, NULL, &md, left_ms(deadline, 2000));
		if (!err) {
			int brokers = md->broker_cnt;

			rd_kafka_metadata_destroy(md);
			if (brokers >= 1) {
				rc = 0;
				break;
			}
			err = RD_KAFKA_RESP_ERR__TRANSPORT;
		}
		rd_kafka_poll(rk, 0);
		if (now_ms() >= deadline) {
			fail("%s not ready after %d s: %s%s%s", G.bootstrap, timeout,
			     rd_kafka_err2str(err), G.last_error[0] ? "; " : "", G.last_error);
			break;
		}
		rd_kafka_poll(rk, left_ms(deadline, 200));
	}
	rd_kafka_destroy(rk);
	return rc;
}

/* ----------------------------------------------------- topic admin ops */

enum topic_op { OP_CREATE, OP_ADD_PARTITIONS, OP_DELETE };

static int topic_admin(enum topic_op op, const char *topic, int parts, int rf, const char **configs,
		       int nconfigs)
{
	const int timeout_ms = 60000;
	rd_kafka_t *rk;
	rd_kafka_queue_t *q = NULL;
	rd_kafka_AdminOptions_t *opts = NULL;
	rd_kafka_NewTopic_t *nt = NULL;
	rd_kafka_NewPartitions_t *np = NULL;
	rd_kafka_DeleteTopic_t *dt = NULL;
	rd_kafka_event_t *ev = NULL;
	const rd_kafka_topic_result_t **res = NULL;
	size_t nres = 0, j;
	char errstr[512], key[256];
	const char *val;
	int rc = 1, i;

	rk = admin_new();
	if (!rk)
		return 1;
	q = rd_kafka_queue_new(rk);
	opts = admin_options(rk, timeout_ms);
	if (!opts)
		goto out;

	switch (op) {
	case OP_CREATE:
		nt = rd_kafka_NewTopic_new(topic, parts, rf, errstr, sizeof errstr);
		if (!nt) {
			fail("topic '%s': %s", topic, errstr);
			goto out;
		}
		for (i = 0; i < nconfigs; i++) {
			rd_kafka_resp_err_t err;

			if (split_kv(configs[i], key, sizeof key, &val)) {
				fail("--config %s: expected key=value", configs[i]);
				goto out;
			}
			err = rd_kafka_NewTopic_set_config(nt, key, val);
			if (err) {
				fail("--config %s: %s", configs[i], rd_kafka_err2str(err));
				goto out;
			}
		}
		rd_kafka_CreateTopics(rk, &nt, 1, opts, q);
		ev = admin_wait(q, RD_KAFKA_EVENT_CREATETOPICS_RESULT, timeout_ms + 5000, 0);
		if (ev)
			res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(
									  ev),
								  &nres);
		break;
	case OP_ADD_PARTITIONS:
		np = rd_kafka_NewPartitions_new(topic, (size_t)parts, errstr, sizeof errstr);
		if (!np) {
			fail("topic '%s': %s", topic, errstr);
			goto out;
		}
		rd_kafka_CreatePartitions(rk, &np, 1, opts, q);
		ev = admin_wait(q, RD_KAFKA_EVENT_CREATEPARTITIONS_RESULT, timeout_ms + 5000, 0);
		if (ev)
			res = rd_kafka_CreatePartitions_result_topics(
				rd_kafka_event_CreatePartitions_result(ev), &nres);
		break;
	case OP_DELETE:
		dt = rd_kafka_DeleteTopic_new(topic);
		rd_kafka_DeleteTopics(rk, &dt, 1, opts, q);
		ev = admin_wait(q, RD_KAFKA_EVENT_DELETETOPICS_RESULT, timeout_ms + 5000, 0);
		if (ev)
			res = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(
									  ev),
								  &nres);
		break;
	}
	if (!ev)
		goto out;
	for (j = 0; j < nres; j++) {
		if (rd_kafka_topic_result_error(res[j])) {
			const char *s = rd_kafka_topic_result_error_string(res[j]);

			fail("topic '%s': %s%s%s", rd_kafka_topic_result_name(res[j]),
			     rd_kafka_err2name(rd_kafka_topic_result_error(res[j])), s ? ": " : "",
			     s ? s : "");
			goto out;
		}
	}
	if (nres != 1) {
		fail("topic '%s': %zu results", topic, nres);
		goto out;
	}
	/* make the change visible before returning */
	switch (op) {
	case OP_CREATE:
	case OP_ADD_PARTITIONS:
		rc = topic_wait(rk, topic, parts, timeout_ms) < 0;
		break;
	case OP_DELETE:
		rc = topic_wait(rk, topic, -1, timeout_ms) < 0;
		break;
	}
out:
	if (ev)
		rd_kafka_event_destroy(ev);
	if (nt)
		rd_kafka_NewTopic_destroy(nt);
	if (np)
		rd_kafka_NewPartitions_destroy(np);
	if (dt)
		rd_kafka_DeleteTopic_destroy(dt);
	if (opts)
		rd_kafka_AdminOptions_destroy(opts);
	rd_kafka_queue_destroy(q);
	rd_kafka_destroy(rk);
	return rc;
}

static int cmd_create(int argc, char **argv)
{
	const char *topic = NULL, *configs[MAX_CONFIG];
	int parts = -1, rf = 1, nconfigs = 0, npos = 0, i;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--rf") == 0) {
			rf = (int)parse_num("--rf", optval(argc, argv, &i), 1, 1000);
		} else if (strcmp(argv[i], "--config") == 0) {
			if (nconfigs == MAX_CONFIG)
				usage("too many --config options");
			configs[nconfigs++] = optval(argc, argv, &i);
			if (!strchr(configs[nconfigs - 1], '='))
				usage("--config %s: expected key=value", configs[nconfigs - 1]);
		} else if (argv[i][0] == '-' && argv[i][1] == '-') {
			usage("unknown option '%s'", argv[i]);
		} else if (npos == 0) {
			topic = argv[i];
			npos++;
		} else if (npos == 1) {
			parts = (int)parse_num("PARTITIONS", argv[i], 1, 100000);
			npos++;
		} else {
			usage("unexpected argument '%s'", argv[i]);
		}
	}
	if (npos != 2)
		usage("create needs TOPIC and PARTITIONS");
	return topic_admin(OP_CREATE, topic, parts, rf, configs, nconfigs);
}

static int cmd_add_partitions(int argc, char **argv)
{
	if (argc != 2)
		usage("add-partitions needs TOPIC and TOTAL");
	return topic_admin(OP_ADD_PARTITIONS, argv[0], (int)parse_num("TOTAL", argv[1], 1, 100000),
			   0, NULL, 0);
}

static int cmd_delete(int argc, char **argv)
{
	if (argc != 1)
		usage("delete needs TOPIC");
	return topic_admin(OP_DELETE, argv[0], 0, 0, NULL, 0);
}

/*
 * set-config TOPIC key=value...: AlterConfigs (not incremental: librdkafka
 * 2.0.2 has no IncrementalAlterConfigs), so the topic's dynamic configs
 * become exactly the ones given.
 */
static int cmd_set_config(int argc, char **argv)
{
	rd_kafka_t *rk;
	rd_kafka_queue_t *q;
	rd_kafka_AdminOptions_t *opts;
	rd_kafka_ConfigResource_t *cr;
	rd_kafka_event_t *ev;
	char key[256];
	const char *val;
	int rc = 1;

	if (argc < 2)
		usage("set-config needs TOPIC and key=value...");
	rk = admin_new();
	if (!rk)
		return 1;
	q = rd_kafka_queue_new(rk);
	opts = admin_options(rk, 30000);
	cr = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, argv[0]);
	for (int i = 1; i < argc; i++) {
		if (split_kv(argv[i], key, sizeof key, &val)) {
			fail("%s: expected key=value", argv[i]);
			goto out;
		}
		if (rd_kafka_ConfigResource_set_config(cr, key, val)) {
			fail("%s: cannot set", argv[i]);
			goto out;
		}
	}
	if (!opts)
		goto out;
	rd_kafka_AlterConfigs(rk, &cr, 1, opts, q);
	ev = admin_wait(q, RD_KAFKA_EVENT_ALTERCONFIGS_RESULT, 35000, 0);
	if (ev) {
		size_t n;
		const rd_kafka_ConfigResource_t **res =
			rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(
								       ev),
							       &n);

		rc = 0;
		for (size_t j = 0; j < n; j++) {
			if (rd_kafka_ConfigResource_error(res[j])) {
				fail("topic '%s': %s", argv[0],
				     rd_kafka_ConfigResource_error_string(res[j]));
				rc = 1;
			}
		}
		rd_kafka_event_destroy(ev);
	}
out:
	rd_kafka_ConfigResource_destroy(cr);
	if (opts)
		rd_kafka_AdminOptions_destroy(opts);
	rd_kafka_queue_destroy(q);
	rd_kafka_destroy(rk);
	return rc;
}

/*
 * configs TOPIC [--all]: DescribeConfigs; the topic-level (dynamic topic)
 * entries, or every entry with its source.
 */
static int cmd_configs(int argc, char **argv)
{
	rd_kafka_t *rk;
	rd_kafka_queue_t *q;
	rd_kafka_AdminOptions_t *opts;
	rd_kafka_ConfigResource_t *cr;
	rd_kafka_event_t *ev;
	int all = argc == 2 && strcmp(argv[1], "--all") == 0, rc = 1;

	if (argc < 1 || argc > 2 || (argc == 2 && !all))
		usage("configs needs TOPIC [--all]");
	rk = admin_new();
	if (!rk)
		return 1;
	q = rd_kafka_queue_new(rk);
	opts = admin_options(rk, 30000);
	cr = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, argv[0]);
	if (!opts)
		goto out;
	rd_kafka_DescribeConfigs(rk, &cr, 1, opts, q);
	ev = admin_wait(q, RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT, 35000, 0);
	if (ev) {
		size_t n, ce;
		const rd_kafka_ConfigResource_t **res = rd_kafka_DescribeConfigs_result_resources(
			rd_kafka_event_DescribeConfigs_result(ev), &n);

		for (size_t j = 0; j < n; j++) {
			const rd_kafka_ConfigEntry_t **e;

			if (rd_kafka_ConfigResource_error(res[j])) {
				fail("topic '%s': %s", argv[0],
				     rd_kafka_ConfigResource_error_string(res[j]));
				continue;
			}
			e = rd_kafka_ConfigResource_configs(res[j], &ce);
			for (size_t k = 0; k < ce; k++) {
				rd_kafka_ConfigSource_t src = rd_kafka_ConfigEntry_source(e[k]);
				const char *v = rd_kafka_ConfigEntry_value(e[k]);

				if (all)
					printf("%s\t%s\t%s\n", rd_kafka_ConfigEntry_name(e[k]),
					       v ? v : "", rd_kafka_ConfigSource_name(src));
				else if (src == RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG)
					printf("%s\t%s\n", rd_kafka_ConfigEntry_name(e[k]),
					       v ? v : "");
			}
			rc = 0;
		}
		rd_kafka_event_destroy(ev);
	}
out:
	rd_kafka_ConfigResource_destroy(cr);
	if (opts)
		rd_kafka_AdminOptions_destroy(opts);
	rd_kafka_queue_destroy(q);
	rd_kafka_destroy(rk);
	return rc;
}

/*
 * delete-records TOPIC PARTITION OFFSET: DeleteRecords, so the partition's
 * log starts at OFFSET (what retention does, at once).
 */
static int cmd_delete_records(int argc, char **argv)
{
	rd_kafka_t *rk;
	rd_kafka_queue_t *q;
	rd_kafka_AdminOptions_t *opts;
	rd_kafka_topic_partition_list_t *tpl;
	rd_kafka_DeleteRecords_t *dr;
	rd_kafka_event_t *ev;
	int rc = 1;

	if (argc != 3)
		usage("delete-records needs TOPIC PARTITION OFFSET");
	rk = admin_new();
	if (!rk)
		return 1;
	q = rd_kafka_queue_new(rk);
	opts = admin_options(rk, 30000);
	tpl = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(tpl, argv[0],
					  (int32_t)parse_num("PARTITION", argv[1], 0, 100000))
		->offset = parse_num("OFFSET", argv[2], 0, INT64_MAX);
	dr = rd_kafka_DeleteRecords_new(tpl); /* copies tpl */
	rd_kafka_topic_partition_list_destroy(tpl);
	if (opts) {
		rd_kafka_DeleteRecords(rk, &dr, 1, opts, q);
		ev = admin_wait(q, RD_KAFKA_EVENT_DELETERECORDS_RESULT, 35000, 0);
		if (ev) {
			const rd_kafka_topic_partition_list_t
				*res = rd_kafka_DeleteRecords_result_offsets(
					rd_kafka_event_DeleteRecords_result(ev));

			rc = 0;
			for (int j = 0; res && j < res->cnt; j++) {
				if (res->elems[j].err) {
					fail("%s[%d]: %s", res->elems[j].topic,
					     (int)res->elems[j].partition,
					     rd_kafka_err2str(res->elems[j].err));
					rc = 1;
				} else if (G.verbose) {
					printf("%s\t%d\t%lld\n", res->elems[j].topic,
					       (int)res->elems[j].partition,
					       (long long)res->elems[j].offset);
				}
			}
			rd_kafka_event_destroy(ev);
		}
		rd_kafka_AdminOptions_destroy(opts);
	}
	rd_kafka_DeleteRecords_destroy(dr);
	rd_kafka_queue_destroy(q);
	rd_kafka_destroy(rk);
	return rc;
}

/*
 * join GROUP TOPIC --seconds S: a member of GROUP (subscribed to TOPIC)
 * for S seconds, committing nothing: makes the group active.
 */
static int cmd_join(int argc, char **argv)
{
	const char *group = NULL, *topic = NULL;
	long long secs = 30;
	char errstr[512];
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	rd_kafka_topic_partition_list_t *sub;
	int64_t end;
	int npos = 0;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--seconds") == 0)
			secs = parse_num("--seconds", optval(argc, argv, &i), 1, 86400);
		// cppcheck-suppress knownConditionTrueFalse ; ++npos counts and goes on, on purpose
		else if (npos == 0 && ++npos)
			group = argv[i];
		// cppcheck-suppress knownConditionTrueFalse ; as above
		else if (npos == 1 && ++npos)
			topic = argv[i];
		else
			usage("unexpected argument '%s'", argv[i]);
	}
	if (!group || !topic)
		usage("join needs GROUP and TOPIC");
	{
		const char *extra[] = { "group.id",
					group,
					"enable.auto.commit",
					"false",
					"auto.offset.reset",
					"latest",
					NULL,
					NULL };

		conf = conf_new(extra);
	}
	if (!conf)
		return 1;
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
	if (!rk) {
		fail("%s", errstr);
		return 1;
	}
	rd_kafka_poll_set_consumer(rk);
	sub = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(sub, topic, RD_KAFKA_PARTITION_UA);
	if (rd_kafka_subscribe(rk, sub)) {
		fail("cannot subscribe to %s", topic);
		rd_kafka_topic_partition_list_destroy(sub);
		rd_kafka_destroy(rk);
		return 1;
	}
	rd_kafka_topic_partition_list_destroy(sub);
	end = now_ms() + secs * 1000;
	while (now_ms() < end) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);

		if (m)
			rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return 0;
}

struct topic_line {
	const char *name;
	int parts;
};

static int cmp_topic_line(const void *a, const void *b)
{
	return strcmp(((const struct topic_line *)a)->name, ((const struct topic_line *)b)->name);
}

static int cmd_topics(int argc, char **argv)
{
	int all = 0, i, n = 0, rc = 1;
	const rd_kafka_metadata_t *md;
	struct topic_line *lines;
	rd_kafka_t *rk;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--all") == 0)
			all = 1;
		else
			usage("unexpected argument '%s'", argv[i]);
	}
	rk = admin_new();
	if (!rk)
		return 1;
	md = metadata_all(rk, now_ms() + 30000);
	if (!md)
		goto out;
	lines = calloc((size_t)md->topic_cnt + 1, sizeof *lines);
	if (!lines) {
		fail("out of memory");
		rd_kafka_metadata_destroy(md);
		goto out;
	}
	for (i = 0; i < md->topic_cnt; i++) {
		const rd_kafka_metadata_topic_t *t = &md->topics[i];

		if (t->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
			continue;
		if (!all && strncmp(t->topic, "__", 2) == 0)
			continue;
		lines[n].name = t->topic;
		lines[n].parts = t->partition_cnt;
		n++;
	}
	qsort(lines, (size_t)n, sizeof *lines, cmp_topic_line);
	for (i = 0; i < n; i++)
		printf("%s\t%d\n", lines[i].name, lines[i].parts);
	free(lines);
	rd_kafka_metadata_destroy(md);
	rc = 0;
out:
	rd_kafka_destroy(rk);
	return rc;
}

/* ------------------------------------------------------------- produce */

struct dr_state {
	long long delivered, failed;
	long long first_seq;
	rd_kafka_resp_err_t first_err;
};

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct dr_state *st = opaque;

	if (m->err) {
		if (st->failed++ == 0) {
			st->first_err = m->err;
			st->first_seq = (long long)(intptr_t)m->_private;
		}
	} else {
		st->delivered++;
	}
}

/* Value of seq: "<seq>:" then filler up to size bytes; returns its length. */
static size_t make_value(char *buf, size_t size, long long seq)
{
	int n = snprintf(buf, size + 32, "%lld:", seq);
	size_t len = (size_t)n > size ? (size_t)n : size, i;

	for (i = (size_t)n; i < len; i++)
		buf[i] = FILLER[(unsigned long long)(seq + (long long)i) % (sizeof FILLER - 1)];
	return len;
}

static long long G_key_mod; /* produce --key-mod: keys repeat, for compaction */
static int G_now;           /* produce --now: timestamps now */

static int produce_one(rd_kafka_t *rk, const char *topic, int32_t partition, long long seq,
		       char *vbuf, size_t size, int64_t ts_base)
{
	char key[32], hseq[32], h2[32];
	int klen = snprintf(key, sizeof key, "k-%lld", G_key_mod > 0 ? seq % G_key_mod : seq);
	int slen = snprintf(hseq, sizeof hseq, "%lld", seq);
	int h2len = snprintf(h2, sizeof h2, "x%lld", seq);
	size_t vlen = make_value(vbuf, size, seq);
	rd_kafka_headers_t *hdrs;
	rd_kafka_resp_err_t err;

	for (;;) {
		hdrs = rd_kafka_headers_new(2);
		if (rd_kafka_header_add(hdrs, "seq", -1, hseq, slen) ||
		    rd_kafka_header_add(hdrs, "h2", -1, h2, h2len)) {
			rd_kafka_headers_destroy(hdrs);
			fail("cannot add headers");
			return -1;
		}
		err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
					RD_KAFKA_V_PARTITION(partition),
					RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
					RD_KAFKA_V_KEY(key, (size_t)klen),
					RD_KAFKA_V_VALUE(vbuf, vlen),
					/* 0: librdkafka stamps the record now */
					RD_KAFKA_V_TIMESTAMP(G_now ? 0 : ts_base + seq),
					RD_KAFKA_V_HEADERS(hdrs),
					RD_KAFKA_V_OPAQUE((void *)(intptr_t)seq), RD_KAFKA_V_END);
		if (!err)
			return 0;
		rd_kafka_headers_destroy(hdrs);
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
			fail("seq %lld: %s", seq, rd_kafka_err2str(err));
			return -1;
		}
		rd_kafka_poll(rk, 50);
	}
}

/* Reports and consumes a transactional API error; always -1. */
static int txn_error(const char *what, rd_kafka_error_t *error)
{
	fail("%s: %s", what, rd_kafka_error_string(error));
	rd_kafka_error_destroy(error);
	return -1;
}

static int flush_all(rd_kafka_t *rk, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;

	while (rd_kafka_outq_len(rk) > 0) {
		if (now_ms() >= deadline) {
			fail("%d messages not delivered after %d s%s%s", rd_kafka_outq_len(rk),
			     timeout_ms / 1000, G.last_error[0] ? ": " : "", G.last_error);
			return -1;
		}
		rd_kafka_flush(rk, left_ms(deadline, 1000));
	}
	rd_kafka_poll(rk, 0);
	return 0;
}

static int cmd_produce(int argc, char **argv)
{
	const char *topic = NULL, *txn_id = NULL;
	long long count = -1, start = 0, seq, end, size = 100, abort_every = 0;
	long long partition = -1, txn_no = 0, txn_first = 0, rate = 0;
	int64_t ts_base, t0;
	struct dr_state st = { 0 };
	rd_kafka_error_t *error;
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	char *vbuf = NULL;
	int parts = 1, rc = 1, i;
	const char *extra[] = { "acks", "all", "enable.idempotence", "true", "linger.ms", "5", NULL,
				NULL,   NULL };

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--count") == 0)
			count = parse_num("--count", optval(argc, argv, &i), 0, LLONG_MAX / 4);
		else if (strcmp(argv[i], "--start") == 0)
			start = parse_num("--start", optval(argc, argv, &i), 0, LLONG_MAX / 4);
		else if (strcmp(argv[i], "--size") == 0)
			size = parse_num("--size", optval(argc, argv, &i), 0, 64 << 20);
		else if (strcmp(argv[i], "--partition") == 0)
			partition = parse_num("--partition", optval(argc, argv, &i), 0, INT32_MAX);
		else if (strcmp(argv[i], "--transactional-id") == 0)
			txn_id = optval(argc, argv, &i);
		else if (strcmp(argv[i], "--abort-every") == 0)
			abort_every = parse_num("--abort-every", optval(argc, argv, &i), 0,
						INT32_MAX);
		else if (strcmp(argv[i], "--rate") == 0)
			rate = parse_num("--rate", optval(argc, argv, &i), 1, 100000000);
		else if (strcmp(argv[i], "--now") == 0)
			G_now = 1;
		else if (strcmp(argv[i], "--key-mod") == 0)
			G_key_mod = parse_num("--key-mod", optval(argc, argv, &i), 1,
					      LLONG_MAX / 4);
		else if (argv[i][0] == '-' && argv[i][1] == '-')
			usage("unknown option '%s'", argv[i]);
		else if (!topic)
			topic = argv[i];
		else
			usage("unexpected argument '%s'", argv[i]);
	}
	if (!topic || count < 0)
		usage("produce needs TOPIC and --count N");
	if (abort_every && !txn_id)
		usage("--abort-every needs --transactional-id");
	if (txn_id) {
		extra[6] = "transactional.id";
		extra[7] = txn_id;
	}
	end = start + count;
	/* every timestamp of this run lies in [now - TS_AGE_MS - count, now - TS_AGE_MS) */
	ts_base = wall_ms() - TS_AGE_MS - end;

	conf = conf_new(extra);
	if (!conf)
		return 1;
	rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
	rd_kafka_conf_set_opaque(conf, &st);
	rk = client_new(RD_KAFKA_PRODUCER, conf);
	if (!rk)
		return 1;
	vbuf = malloc((size_t)size + 32);
	if (!vbuf) {
		fail("out of memory");
		goto out;
	}
	if (partition < 0) {
		parts = topic_wait(rk, topic, 1, 30000);
		if (parts < 0)
			goto out;
	}
	if (txn_id) {
		error = rd_kafka_init_transactions(rk, 60000);
		if (error) {
			txn_error("init_transactions", error);
			goto out;
		}
	}
	t0 = now_ms();
	for (seq = start; seq < end; seq++) {
		int32_t p = partition >= 0 ? (int32_t)partition : (int32_t)(seq % parts);

		if (rate > 0 && (seq - start) % 100 == 0) {
			/* pace: record i is due at t0 + i / rate seconds */
			int64_t due = t0 + (seq - start) * 1000 / rate;

			while (now_ms() < due)
				rd_kafka_poll(rk, (int)(due - now_ms()));
		}

		if (txn_id && (seq - start) % TXN_SIZE == 0) {
			error = rd_kafka_begin_transaction(rk);
			if (error) {
				txn_error("begin_transaction", error);
				goto out;
			}
			txn_first = seq;
			txn_no++;
		}
		if (produce_one(rk, topic, p, seq, vbuf, (size_t)size, ts_base))
			goto out;
		if ((seq & 255) == 0)
			rd_kafka_poll(rk, 0);
		if (!txn_id && st.failed)
			break;
		if (txn_id && ((seq - start + 1) % TXN_SIZE == 0 || seq == end - 1)) {
			if (abort_every > 0 && txn_no % abort_every == 0) {
				/* deliver first so the aborted records are in the log */
				if (flush_all(rk, 120000))
					goto out;
				if (st.failed)
					break;
				error = rd_kafka_abort_transaction(rk, 60000);
				if (error) {
					txn_error("abort_transaction", error);
					goto out;
				}
				for (long long s = txn_first; s <= seq; s++)
					printf("aborted %lld\n", s);
			} else {
				error = rd_kafka_commit_transaction(rk, 60000);
				if (error) {
					txn_error("commit_transaction", error);
					goto out;
				}
			}
		}
	}
	if (flush_all(rk, 120000))
		goto out;
	if (st.failed) {
		fail("%lld of %lld records failed; first: seq %lld: %s", st.failed, count,
		     st.first_seq, rd_kafka_err2str(st.first_err));
		goto out;
	}
	if (st.delivered != count) {
		fail("only %lld of %lld records delivered", st.delivered, count);
		goto out;
	}
	if (fflush(stdout) || ferror(stdout)) {
		fail("writing stdout: %s", strerror(errno));
		goto out;
	}
	if (G.verbose)
		fprintf(stderr, "produced %lld\n", count);
	rc = 0;
out:
	free(vbuf);
	rd_kafka_destroy(rk);
	return rc;
}

/* ----------------------------------------------------------------- put */

/*
 * Decodes a field written like dump's output: \xHH escapes, "\N" for null.
 * Returns a malloc'ed buffer (NULL with *isnull set for \N) and its length
 * in *len; usage error on a bad escape.
 */
static char *unescape_arg(const char *what, const char *s, size_t *len, int *isnull)
{
	size_t n = strlen(s), i, o = 0;
	char *buf;

	*isnull = strcmp(s, "\\N") == 0;
	*len = 0;
	if (*isnull)
		return NULL;
	buf = malloc(n + 1);
	if (!buf) {
		fail("out of memory");
		exit(1);
	}
	for (i = 0; i < n; i++) {
		if (s[i] != '\\') {
			buf[o++] = s[i];
			continue;
		}
		if (s[i + 1] == 'x' && isxdigit((unsigned char)s[i + 2]) &&
		    isxdigit((unsigned char)s[i + 3])) {
			char hex[3] = { s[i + 2], s[i + 3], '\0' };

			buf[o++] = (char)strtol(hex, NULL, 16);
			i += 3;
			continue;
		}
		free(buf);
		usage("%s: bad escape in '%s' (use \\xHH, or \\N alone for null)", what, s);
	}
	buf[o] = '\0';
	*len = o;
	return buf;
}

struct put_hdr {
	char *name, *val;
	size_t vlen;
	int isnull;
};

static void put_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	rd_kafka_message_t *out = opaque;

	out->err = m->err;
	out->partition = m->partition;
	out->offset = m->offset;
}

/*
 * put TOPIC [--partition P] [--key K] [--value V] [--header NAME=V]...
 *     [--timestamp MS]
 * Produces one record (key/value null unless given; \xHH escapes, \N for
 * null, as dump prints them) and prints "PARTITION<TAB>OFFSET".
 */
static int cmd_put(int argc, char **argv)
{
	const char *extra[] = { "acks", "all", "enable.idempotence", "true", NULL };
	const char *topic = NULL, *key_arg = "\\N", *val_arg = "\\N", *hdr_args[MAX_CONFIG];
	struct put_hdr hdrs[MAX_CONFIG];
	rd_kafka_message_t result = { .err = RD_KAFKA_RESP_ERR__IN_PROGRESS };
	rd_kafka_headers_t *h = NULL;
	rd_kafka_resp_err_t err;
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk = NULL;
	long long partition = RD_KAFKA_PARTITION_UA, ts = 0;
	char *key = NULL, *val = NULL;
	size_t klen, vlen;
	int nhdr = 0, knull, vnull, rc = 1, i;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--partition") == 0)
			partition = parse_num("--partition", optval(argc, argv, &i), 0, INT32_MAX);
		else if (strcmp(argv[i], "--key") == 0)
			key_arg = optval(argc, argv, &i);
		else if (strcmp(argv[i], "--value") == 0)
			val_arg = optval(argc, argv, &i);
		else if (strcmp(argv[i], "--timestamp") == 0)
			ts = parse_num("--timestamp", optval(argc, argv, &i), 0, LLONG_MAX);
		else if (strcmp(argv[i], "--header") == 0) {
			if (nhdr == MAX_CONFIG)
				usage("too many --header options");
			hdr_args[nhdr] = optval(argc, argv, &i);
			if (!strchr(hdr_args[nhdr], '=') || hdr_args[nhdr][0] == '=')
				usage("--header %s: expected name=value", hdr_args[nhdr]);
			nhdr++;
		} else if (argv[i][0] == '-' && argv[i][1] == '-')
			usage("unknown option '%s'", argv[i]);
		else if (!topic)
			topic = argv[i];
		else
			usage("unexpected argument '%s'", argv[i]);
	}
	if (!topic)
		usage("put needs TOPIC");
	/* decode everything (usage errors) before allocating clients */
	memset(hdrs, 0, sizeof hdrs);
	for (i = 0; i < nhdr; i++) {
		const char *eq = strchr(hdr_args[i], '=');
		char name[256];
		size_t nlen;
		int nnull;

		snprintf(name, sizeof name, "%.*s", (int)(eq - hdr_args[i]), hdr_args[i]);
		hdrs[i].name = unescape_arg("--header", name, &nlen, &nnull);
		if (nnull || nlen != strlen(hdrs[i].name))
			usage("--header %s: bad name", hdr_args[i]);
		hdrs[i].val = unescape_arg("--header", eq + 1, &hdrs[i].vlen, &hdrs[i].isnull);
	}
	key = unescape_arg("--key", key_arg, &klen, &knull);
	val = unescape_arg("--value", val_arg, &vlen, &vnull);

	conf = conf_new(extra);
	if (!conf)
		goto out;
	rd_kafka_conf_set_dr_msg_cb(conf, put_dr_cb);
	rd_kafka_conf_set_opaque(conf, &result);
	rk = client_new(RD_KAFKA_PRODUCER, conf);
	if (!rk)
		goto out;
	if (topic_wait(rk, topic, 1, 30000) < 0)
		goto out;
	if (nhdr) {
		h = rd_kafka_headers_new((size_t)nhdr);
		for (i = 0; i < nhdr; i++) {
			if (rd_kafka_header_add(h, hdrs[i].name, -1,
						hdrs[i].isnull ? NULL : hdrs[i].val,
						hdrs[i].isnull ? 0 : (ssize_t)hdrs[i].vlen)) {
				fail("cannot add header %s", hdrs[i].name);
				rd_kafka_headers_destroy(h);
				goto out;
			}
		}
	}
	err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
				RD_KAFKA_V_PARTITION((int32_t)partition),
				RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				RD_KAFKA_V_KEY(knull ? NULL : key, klen),
				RD_KAFKA_V_VALUE(vnull ? NULL : val, vlen),
				RD_KAFKA_V_TIMESTAMP(ts), RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_END);
	if (err) {
		if (h)
			rd_kafka_headers_destroy(h);
		fail("topic '%s': %s", topic, rd_kafka_err2str(err));
		goto out;
	}
	if (flush_all(rk, 60000))
		goto out;
	if (result.err) {
		fail("topic '%s': %s", topic, rd_kafka_err2str(result.err));
		goto out;
	}
	printf("%" PRId32 "\t%" PRId64 "\n", result.partition, result.offset);
	rc = 0;
out:
	for (i = 0; i < nhdr; i++) {
		free(hdrs[i].name);
		free(hdrs[i].val);
	}
	free(key);
	free(val);
	if (rk)
		rd_kafka_destroy(rk);
	return rc;
}

/* --------------------------------------------------- reading a topic */

typedef void (*record_fn)(void *arg, const rd_kafka_message_t *m);

/*
 * Reads every partition of topic, in partition order, from its low to its
 * high watermark as queried at the start, calling fn for every record.
 * 0 or -1 (reported).
 */
static int scan_topic(const char *topic, const char *isolation, int timeout_s, record_fn fn,
		      void *arg)
{
	const char *extra[] = { "enable.partition.eof",
				"true",
				"isolation.level",
				isolation,
				"auto.offset.reset",
				"error",
				"fetch.wait.max.ms",
				"100",
				"fetch.error.backoff.ms",
				"100",
				"enable.auto.commit",
				"false",
				NULL };
	int64_t deadline = now_ms() + (int64_t)timeout_s * 1000;
	rd_kafka_message_t **msgs = NULL;
	rd_kafka_topic_t *rkt = NULL;
	rd_kafka_t *rk;
	int parts, p, rc = -1;

	rk = client_new(RD_KAFKA_CONSUMER, conf_new(extra));
	if (!rk)
		return -1;
	// NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, sized by its element
	msgs = malloc(SCAN_BATCH * sizeof *msgs);
	if (!msgs) {
		fail("out of memory");
		goto out;
	}
	parts = topic_wait(rk, topic, 1, left_ms(deadline, INT_MAX));
	if (parts < 0)
		goto out;
	rkt = rd_kafka_topic_new(rk, topic, NULL);
	if (!rkt) {
		fail("topic '%s': %s", topic, rd_kafka_err2str(rd_kafka_last_error()));
		goto out;
	}
	for (p = 0; p < parts; p++) {
		int64_t lo, hi, pos;
		rd_kafka_resp_err_t err;

		for (;;) {
			err = rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi,
							       left_ms(deadline, 5000));
			if (!err)
				break;
			if (now_ms() >= deadline) {
				fail("topic '%s' partition %d: watermarks: %s", topic, p,
				     rd_kafka_err2str(err));
				goto out;
			}
			sleep_ms(100);
		}
		if (hi <= lo)
			continue;
		if (rd_kafka_consume_start(rkt, p, lo) == -1) {
			fail("topic '%s' partition %d: consume_start: %s", topic, p,
			     rd_kafka_err2str(rd_kafka_last_error()));
			goto out;
		}
		pos = lo;
		while (pos < hi) {
			ssize_t n, j;
			int fatal = 0;

			if (now_ms() >= deadline) {
				fail("topic '%s' partition %d: timed out at offset %" PRId64
				     ", high watermark %" PRId64 "%s%s",
				     topic, p, pos, hi, G.last_error[0] ? ": " : "", G.last_error);
				rd_kafka_consume_stop(rkt, p);
				goto out;
			}
			n = rd_kafka_consume_batch(rkt, p, left_ms(deadline, 100), msgs,
						   SCAN_BATCH);
			if (n < 0) {
				fail("topic '%s' partition %d: consume: %s", topic, p,
				     rd_kafka_err2str(rd_kafka_last_error()));
				rd_kafka_consume_stop(rkt, p);
				goto out;
			}
			for (j = 0; j < n; j++) {
				rd_kafka_message_t *m = msgs[j];

				if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
					if (m->offset > pos)
						pos = m->offset;
				} else if (m->err) {
					snprintf(G.last_error, sizeof G.last_error, "%s",
						 rd_kafka_message_errstr(m));
					if (G.verbose)
						fprintf(stderr, "kt %s: partition %d: %s\n", G.cmd,
							p, G.last_error);
					if (m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET ||
					    m->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE ||
					    m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
					    m->err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION ||
					    m->err ==
						    RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED) {
						fail("topic '%s' partition %d: %s", topic, p,
						     G.last_error);
						fatal = 1;
					}
				} else if (m->offset >= pos && m->offset < hi) {
					fn(arg, m);
					pos = m->offset + 1;
				}
				rd_kafka_message_destroy(m);
			}
			if (fatal) {
				rd_kafka_consume_stop(rkt, p);
				goto out;
			}
		}
		if (rd_kafka_consume_stop(rkt, p) == -1) {
			fail("topic '%s' partition %d: consume_stop: %s", topic, p,
			     rd_kafka_err2str(rd_kafka_last_error()));
			goto out;
		}
	}
	rc = 0;
out:
	free(msgs);
	if (rkt)
		rd_kafka_topic_destroy(rkt);
	rd_kafka_destroy(rk);
	return rc;
}

static const char *isolation_arg(const char *s)
{
	if (strcmp(s, "read_committed") != 0 && strcmp(s, "read_uncommitted") != 0)
		usage("--isolation: '%s' is not read_committed or read_uncommitted", s);
	return s;
}

/* ---------------------------------------------------------------- dump */

static void put_esc(const void *data, size_t len, int in_header)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = data;
	size_t i, run = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c < 0x20 || c >= 0x7f || c == '\\' || (in_header && (c == ',' || c == '='))) {
			if (i > run)
				fwrite(s + run, 1, i - run, stdout);
			putchar_unlocked('\\');
			putchar_unlocked('x');
			putchar_unlocked(hex[c >> 4]);
			putchar_unlocked(hex[c & 15]);
			run = i + 1;
		}
	}
	if (len > run)
		fwrite(s + run, 1, len - run, stdout);
}

static void dump_record(void *arg, const rd_kafka_message_t *m)
{
	rd_kafka_timestamp_type_t tstype;
	int64_t ts = rd_kafka_message_timestamp(m, &tstype);
	rd_kafka_headers_t *hdrs;
	const char *name;
	const void *val;
	size_t vlen, i;

	printf("%" PRId32 "\t%" PRId64 "\t%" PRId64 "\t", m->partition, m->offset, ts);
	if (m->key)
		put_esc(m->key, m->key_len, 0);
	else
		fputs("\\N", stdout);
	putchar_unlocked('\t');
	if (m->payload)
		put_esc(m->payload, m->len, 0);
	else
		fputs("\\N", stdout);
	putchar_unlocked('\t');
	if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
		for (i = 0; rd_kafka_header_get_all(hdrs, i, &name, &val, &vlen) ==
			    RD_KAFKA_RESP_ERR_NO_ERROR;
		     i++) {
			if (i)
				putchar_unlocked(',');
			put_esc(name, strlen(name), 1);
			putchar_unlocked('=');
			if (val)
				put_esc(val, vlen, 1);
			else
				fputs("\\N", stdout);
		}
	}
	putchar_unlocked('\n');
}

static int cmd_dump(int argc, char **argv)
{
	const char *topic = NULL, *isolation = "read_committed";
	int timeout = 120, i;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--timeout") == 0)
			timeout = (int)parse_num("--timeout", optval(argc, argv, &i), 1, 86400);
		else if (strcmp(argv[i], "--isolation") == 0)
			isolation = isolation_arg(optval(argc, argv, &i));
		else if (argv[i][0] == '-' && argv[i][1] == '-')
			usage("unknown option '%s'", argv[i]);
		else if (!topic)
			topic = argv[i];
		else
			usage("unexpected argument '%s'", argv[i]);
	}
	if (!topic)
		usage("dump needs TOPIC");
	if (scan_topic(topic, isolation, timeout, dump_record, NULL))
		return 1;
	if (fflush(stdout) || ferror(stdout)) {
		fail("writing stdout: %s", strerror(errno));
		return 1;
	}
	return 0;
}

/* --------------------------------------------------------------- count */

static int cmd_count(int argc, char **argv)
{
	const char *extra[] = { "isolation.level", "read_uncommitted", NULL };
	int64_t deadline = now_ms() + 60000, lo, hi;
	long long total = 0;
	rd_kafka_resp_err_t err;
	rd_kafka_t *rk;
	int parts, p, rc = 1;

	if (argc != 1)
		usage("count needs TOPIC");
	rk = client_new(RD_KAFKA_CONSUMER, conf_new(extra));
	if (!rk)
		return 1;
	parts = topic_wait(rk, argv[0], 1, 30000);
	if (parts < 0)
		goto out;
	for (p = 0; p < parts; p++) {
		for (;;) {
			err = rd_kafka_query_watermark_offsets(rk, argv[0], p, &lo, &hi,
							       left_ms(deadline, 5000));
			if (!err)
				break;
			if (now_ms() >= deadline) {
				fail("topic '%s' partition %d: watermarks: %s", argv[0], p,
				     rd_kafka_err2str(err));
				goto out;
			}
			sleep_ms(100);
		}
		total += hi - lo;
	}
	printf("%lld\n", total);
	rc = 0;
out:
	rd_kafka_destroy(rk);
	return rc;
}

/* ------------------------------------------------------------ seqcheck */

struct seqcheck {
	long long start, count;
	uint32_t *seen;    /* per seq in range: times seen */
	uint8_t *excluded; /* per seq in range */
	long long *odd;    /* seqs seen outside the range */
	size_t nodd, odd_cap;
	long long records, noseq, outoforder;
	int32_t cur_part;
	long long part_max;
	int oom;
};

static int parse_seq(const void *p, size_t len, long long *out)
{
	const char *s = p;
	long long v = 0;
	size_t i = 0;
	int neg = 0;

	if (len > 0 && s[0] == '-') {
		neg = 1;
		i = 1;
	}
	if (i == len || len - i > 18)
		return -1;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = neg ? -v : v;
	return 0;
}

static void seqcheck_record(void *arg, const rd_kafka_message_t *m)
{
	struct seqcheck *sc = arg;
	rd_kafka_headers_t *hdrs;
	const void *val;
	size_t len;
	long long seq;

	sc->records++;
	if (m->partition != sc->cur_part) {
		sc->cur_part = m->partition;
		sc->part_max = LLONG_MIN;
	}
	if (rd_kafka_message_headers(m, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR ||
	    rd_kafka_header_get_last(hdrs, "seq", &val, &len) != RD_KAFKA_RESP_ERR_NO_ERROR ||
	    !val || parse_seq(val, len, &seq)) {
		sc->noseq++;
		return;
	}
	if (seq >= sc->start && seq < sc->start + sc->count) {
		long long i = seq - sc->start;

		if (sc->seen[i] == 0 && seq < sc->part_max)
			sc->outoforder++;
		if (sc->seen[i] < UINT32_MAX)
			sc->seen[i]++;
		if (seq > sc->part_max)
			sc->part_max = seq;
		return;
	}
	if (sc->nodd == sc->odd_cap) {
		size_t cap = sc->odd_cap ? sc->odd_cap * 2 : 64;
		long long *n = realloc(sc->odd, cap * sizeof *n);

		if (!n) {
			sc->oom = 1;
			return;
		}
		sc->odd = n;
		sc->odd_cap = cap;
	}
	sc->odd[sc->nodd++] = seq;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

/* Marks the seqs listed in file (optionally "aborted SEQ") as excluded. */
static int read_excludes(struct seqcheck *sc, const char *file)
{
	FILE *f = fopen(file, "r");
	char line[256];
	int lineno = 0;

	if (!f) {
		fail("--exclude-file %s: %s", file, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f)) {
		char *s = line, *end;
		long long seq;

		lineno++;
		while (*s == ' ' || *s == '\t')
			s++;
		if (strncmp(s, "aborted ", 8) == 0)
			s += 8;
		if (*s == '\n' || *s == '\0' || *s == '#')
			continue;
		errno = 0;
		seq = strtoll(s, &end, 10);
		while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
			end++;
		if (errno || end == s || *end != '\0') {
			fail("--exclude-file %s:%d: not a seq: %s", file, lineno, line);
			fclose(f);
			return -1;
		}
		if (seq >= sc->start && seq < sc->start + sc->count)
			sc->excluded[seq - sc->start] = 1;
	}
	if (ferror(f)) {
		fail("--exclude-file %s: %s", file, strerror(errno));
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

static int cmd_seqcheck(int argc, char **argv)
{
	const char *topic = NULL, *exclude_file = NULL;
	struct seqcheck sc = { .count = -1, .cur_part = -1, .part_max = LLONG_MIN };
	long long distinct = 0, missing = 0, unexpected = 0, dups, i, shown;
	int exact = 0, timeout = 120, rc = 1, j;
	size_t k;

	for (j = 0; j < argc; j++) {
		if (strcmp(argv[j], "--count") == 0)
			sc.count = parse_num("--count", optval(argc, argv, &j), 0, 1LL << 32);
		else if (strcmp(argv[j], "--start") == 0)
			sc.start = parse_num("--start", optval(argc, argv, &j), 0, LLONG_MAX / 4);
		else if (strcmp(argv[j], "--exclude-file") == 0)
			exclude_file = optval(argc, argv, &j);
		else if (strcmp(argv[j], "--exact") == 0)
			exact = 1;
		else if (strcmp(argv[j], "--timeout") == 0)
			timeout = (int)parse_num("--timeout", optval(argc, argv, &j), 1, 86400);
		else if (argv[j][0] == '-' && argv[j][1] == '-')
			usage("unknown option '%s'", argv[j]);
		else if (!topic)
			topic = argv[j];
		else
			usage("unexpected argument '%s'", argv[j]);
	}
	if (!topic || sc.count < 0)
		usage("seqcheck needs TOPIC and --count N");
	sc.seen = calloc((size_t)sc.count + 1, sizeof *sc.seen);
	sc.excluded = calloc((size_t)sc.count + 1, 1);
	if (!sc.seen || !sc.excluded) {
		fail("out of memory");
		goto out;
	}
	if (exclude_file && read_excludes(&sc, exclude_file))
		goto out;
	if (scan_topic(topic, "read_committed", timeout, seqcheck_record, &sc))
		goto out;
	if (sc.oom) {
		fail("out of memory");
		goto out;
	}
	for (i = 0; i < sc.count; i++) {
		if (sc.seen[i]) {
			distinct++;
			if (sc.excluded[i])
				unexpected++;
		} else if (!sc.excluded[i]) {
			missing++;
		}
	}
	if (sc.nodd)
		qsort(sc.odd, sc.nodd, sizeof *sc.odd, cmp_ll);
	for (k = 0; k < sc.nodd; k++) {
		if (k == 0 || sc.odd[k] != sc.odd[k - 1]) {
			distinct++;
			unexpected++;
		}
	}
	/* records without a seq header count as distinct and unexpected */
	distinct += sc.noseq;
	unexpected += sc.noseq;
	dups = sc.records - distinct;

	printf("records=%lld distinct=%lld missing=%lld duplicates=%lld outoforder=%lld "
	       "unexpected=%lld\n",
	       sc.records, distinct, missing, dups, sc.outoforder, unexpected);
	if (missing) {
		fputs("missing:", stdout);
		for (i = 0, shown = 0; i < sc.count && shown < 10; i++) {
			if (!sc.seen[i] && !sc.excluded[i]) {
				printf(" %lld", sc.start + i);
				shown++;
			}
		}
		putchar('\n');
	}
	if (unexpected) {
		fputs("unexpected:", stdout);
		shown = 0;
		for (i = 0; i < sc.count && shown < 10; i++) {
			if (sc.seen[i] && sc.excluded[i]) {
				printf(" %lld", sc.start + i);
				shown++;
			}
		}
		for (k = 0; k < sc.nodd && shown < 10; k++) {
			if (k == 0 || sc.odd[k] != sc.odd[k - 1]) {
				printf(" %lld", sc.odd[k]);
				shown++;
			}
		}
		if (sc.noseq && shown < 10)
			printf(" (%lld records without a seq header)", sc.noseq);
		putchar('\n');
	}
	if (fflush(stdout) || ferror(stdout)) {
		fail("writing stdout: %s", strerror(errno));
		goto out;
	}
	rc = (missing || unexpected || (exact && dups)) ? 1 : 0;
out:
	free(sc.seen);
	free(sc.excluded);
	free(sc.odd);
	return rc;
}

/* ------------------------------------------------------ consumer groups */

static int retriable_group_err(rd_kafka_resp_err_t err)
{
	switch (err) {
	case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
	case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
	case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
	case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
	case RD_KAFKA_RESP_ERR__TRANSPORT:
	case RD_KAFKA_RESP_ERR__TIMED_OUT:
	case RD_KAFKA_RESP_ERR__WAIT_COORD:
	case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
		return 1;
	default:
		return 0;
	}
}

static int cmd_group_commit(int argc, char **argv)
{
	const char *extra[] = {
		"group.id", NULL, "enable.auto.commit", "false", "enable.auto.offset.store",
		"false",    NULL
	};
	int64_t deadline = now_ms() + 60000;
	rd_kafka_topic_partition_list_t *list;
	rd_kafka_resp_err_t err;
	long long partition, offset;
	rd_kafka_t *rk;
	int rc = 1, i;

	if (argc != 4)
		usage("group-commit needs GROUP TOPIC PARTITION OFFSET");
	partition = parse_num("PARTITION", argv[2], 0, INT32_MAX);
	offset = parse_num("OFFSET", argv[3], 0, INT64_MAX);
	extra[1] = argv[0];
	rk = client_new(RD_KAFKA_CONSUMER, conf_new(extra));
	if (!rk)
		return 1;
	list = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(list, argv[1], (int32_t)partition)->offset = offset;
	for (;;) {
		err = rd_kafka_commit(rk, list, 0);
		for (i = 0; !err && i < list->cnt; i++)
			err = list->elems[i].err;
		if (!err) {
			rc = 0;
			break;
		}
		if (!retriable_group_err(err) || now_ms() >= deadline) {
			fail("group '%s' %s [%lld] offset %lld: %s", argv[0], argv[1], partition,
			     offset, rd_kafka_err2str(err));
			break;
		}
		sleep_ms(200);
	}
	rd_kafka_topic_partition_list_destroy(list);
	err = rd_kafka_consumer_close(rk);
	if (err && rc == 0) {
		fail("consumer close: %s", rd_kafka_err2str(err));
		rc = 1;
	}
	rd_kafka_destroy(rk);
	return rc;
}

/*
 * The request goes through a consumer handle with group.id = GROUP, not a
 * plain admin (producer) handle: librdkafka 2.0.2 (and later, see
 * confluentinc/librdkafka#5040) dereferences the handle's NULL consumer
 * group when OffsetFetch answers NOT_COORDINATOR/COORDINATOR_NOT_AVAILABLE,
 * which happens on the first group request to a fresh cluster.  With a
 * group handle that path is harmless and kt retries.
 */
static int cmd_group_offsets(int argc, char **argv)
{
	const char *extra[] = {
		"group.id", NULL, "enable.auto.commit", "false", "enable.auto.offset.store",
		"false",    NULL
	};
	int64_t deadline = now_ms() + 60000;
	rd_kafka_ListConsumerGroupOffsets_t *req;
	rd_kafka_AdminOptions_t *opts = NULL;
	rd_kafka_topic_partition_list_t *parts = NULL;
	rd_kafka_queue_t *q;
	rd_kafka_t *rk;
	int rc = 1, i;

	if (argc != 1)
		usage("group-offsets needs GROUP");
	extra[1] = argv[0];
	rk = client_new(RD_KAFKA_CONSUMER, conf_new(extra));
	if (!rk)
		return 1;
	q = rd_kafka_queue_new(rk);
	opts = admin_options(rk, 30000);
	if (!opts)
		goto out;
	for (;;) {
		const rd_kafka_group_result_t **groups;
		const rd_kafka_error_t *gerr;
		const rd_kafka_topic_partition_list_t *res;
		rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
		rd_kafka_event_t *ev;
		size_t ngroups;
		char why[512] = "";

		req = rd_kafka_ListConsumerGroupOffsets_new(argv[0], NULL);
		rd_kafka_ListConsumerGroupOffsets(rk, &req, 1, opts, q);
		rd_kafka_ListConsumerGroupOffsets_destroy(req);
		ev = admin_wait(q, RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT, 35000, 1);
		if (!ev)
			goto out;
		groups = rd_kafka_ListConsumerGroupOffsets_result_groups(
			rd_kafka_event_ListConsumerGroupOffsets_result(ev), &ngroups);
		if (rd_kafka_event_error(ev)) {
			err = rd_kafka_event_error(ev);
			snprintf(why, sizeof why, "%s", rd_kafka_event_error_string(ev));
		} else if (ngroups != 1) {
			snprintf(why, sizeof why, "%zu group results", ngroups);
		} else if ((gerr = rd_kafka_group_result_error(groups[0]))) {
			err = rd_kafka_error_code(gerr);
			snprintf(why, sizeof why, "%s", rd_kafka_error_string(gerr));
		} else if ((res = rd_kafka_group_result_partitions(groups[0]))) {
			parts = rd_kafka_topic_partition_list_copy(res);
		} else {
			parts = rd_kafka_topic_partition_list_new(0);
		}
		rd_kafka_event_destroy(ev);
		if (parts)
			break;
		if (!retriable_group_err(err) || now_ms() >= deadline) {
			fail("group '%s': %s", argv[0], why);
			goto out;
		}
		sleep_ms(200);
	}
	rd_kafka_topic_partition_list_sort(parts, NULL, NULL);
	for (i = 0; i < parts->cnt; i++) {
		if (parts->elems[i].err) {
			fail("group '%s' %s [%d]: %s", argv[0], parts->elems[i].topic,
			     parts->elems[i].partition, rd_kafka_err2str(parts->elems[i].err));
			goto out;
		}
	}
	for (i = 0; i < parts->cnt; i++)
		printf("%s\t%d\t%" PRId64 "\n", parts->elems[i].topic, parts->elems[i].partition,
		       parts->elems[i].offset);
	rc = 0;
out:
	if (parts)
		rd_kafka_topic_partition_list_destroy(parts);
	if (opts)
		rd_kafka_AdminOptions_destroy(opts);
	rd_kafka_queue_destroy(q);
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return rc;
}

/* ---------------------------------------------------------------- ACLs */

static int acl_code(const char *what, const char *s, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (names[i] && strcasecmp(s, names[i]) == 0)
			return i;
	usage("%s: unknown '%s'", what, s);
}

/* Kafka's names, indexed by the protocol codes librdkafka's enums share */
static const char *const ACL_TYPES[] = { NULL, NULL, "TOPIC", "GROUP", "CLUSTER" };
static const char *const ACL_PATTERNS[] = { NULL, NULL, NULL, "LITERAL", "PREFIXED" };
static const char *const ACL_OPS[] = { NULL,
				       NULL,
				       "ALL",
				       "READ",
				       "WRITE",
				       "CREATE",
				       "DELETE",
				       "ALTER",
				       "DESCRIBE",
				       "CLUSTER_ACTION",
				       "DESCRIBE_CONFIGS",
				       "ALTER_CONFIGS",
				       "IDEMPOTENT_WRITE" };
static const char *const ACL_PERMS[] = { NULL, NULL, "DENY", "ALLOW" };
#define NN(v) ((int)(sizeof(v) / sizeof((v)[0])))

static const char *acl_name(const char *const *names, int n, int code)
{
	return code >= 0 && code < n && names[code] ? names[code] : "?";
}

/* acl-add / acl-del: one binding (a filter matching exactly it) */
static int acl_change(int argc, char **argv, int del)
{
	rd_kafka_t *rk;
	rd_kafka_queue_t *q;
	rd_kafka_AdminOptions_t *opts;
	rd_kafka_AclBinding_t *b;
	rd_kafka_event_t *ev;
	char errstr[512];
	int rc = 1;

	if (argc != 7)
		usage("%s needs TYPE NAME PATTERN PRINCIPAL HOST OPERATION PERMISSION",
		      del ? "acl-del" : "acl-add");
	b = (del ? rd_kafka_AclBindingFilter_new
		 : rd_kafka_AclBinding_new)((rd_kafka_ResourceType_t)acl_code("TYPE", argv[0],
									      ACL_TYPES,
									      NN(ACL_TYPES)),
					    argv[1],
					    (rd_kafka_ResourcePatternType_t)
						    acl_code("PATTERN", argv[2], ACL_PATTERNS,
							     NN(ACL_PATTERNS)),
					    argv[3], argv[4],
					    (rd_kafka_AclOperation_t)acl_code("OPERATION", argv[5],
									      ACL_OPS, NN(ACL_OPS)),
					    (rd_kafka_AclPermissionType_t)acl_code("PERMISSION",
										   argv[6],
										   ACL_PERMS,
										   NN(ACL_PERMS)),
					    errstr, sizeof errstr);
	if (!b) {
		fail("%s", errstr);
		return 1;
	}
	rk = admin_new();
	if (!rk) {
		rd_kafka_AclBinding_destroy(b);
		return 1;
	}
	q = rd_kafka_queue_new(rk);
	opts = admin_options(rk, 30000);
	if (!opts)
		goto out;
	if (del)
		rd_kafka_DeleteAcls(rk, &b, 1, opts, q);
	else
		rd_kafka_CreateAcls(rk, &b, 1, opts, q);
	ev = admin_wait(q,
			del ? RD_KAFKA_EVENT_DELETEACLS_RESULT : RD_KAFKA_EVENT_CREATEACLS_RESULT,
			35000, 0);
	if (!ev)
		goto out;
	if (del) {
		size_t n, m = 0;
		const rd_kafka_DeleteAcls_result_response_t **r =
			rd_kafka_DeleteAcls_result_responses(rd_kafka_event_DeleteAcls_result(ev),
							     &n);
		const rd_kafka_error_t *e = n ? rd_kafka_DeleteAcls_result_response_error(r[0])
					      : NULL;

		if (n && !e)
			rd_kafka_DeleteAcls_result_response_matching_acls(r[0], &m);
		if (!n || e)
			fail("%s", e ? rd_kafka_error_string(e) : "no result");
		else if (m != 1)
			fail("%zu bindings matched, expected exactly 1", m);
		else
			rc = 0;
	} else {
		size_t n;
		const rd_kafka_acl_result_t **r =
			rd_kafka_CreateAcls_result_acls(rd_kafka_event_CreateAcls_result(ev), &n);
		const rd_kafka_error_t *e = n ? rd_kafka_acl_result_error(r[0]) : NULL;

		if (!n || e)
			fail("%s", e ? rd_kafka_error_string(e) : "no result");
		else
			rc = 0;
	}
	rd_kafka_event_destroy(ev);
out:
	if (opts)
		rd_kafka_AdminOptions_destroy(opts);
	rd_kafka_AclBinding_destroy(b);
	rd_kafka_queue_destroy(q);
	rd_kafka_destroy(rk);
	return rc;
}

static int cmd_acl_add(int argc, char **argv)
{
	return acl_change(argc, argv, 0);
}

static int cmd_acl_del(int argc, char **argv)
{
	return acl_change(argc, argv, 1);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmd_acl_list(int argc, char **argv)
{
	rd_kafka_t *rk;
	rd_kafka_queue_t *q;
	rd_kafka_AdminOptions_t *opts;
	rd_kafka_AclBindingFilter_t *f;
	rd_kafka_event_t *ev;
	char errstr[512];
	int rc = 1;

	(void)argv;
	if (argc != 0)
		usage("acl-list takes no arguments");
	f = rd_kafka_AclBindingFilter_new(RD_KAFKA_RESOURCE_ANY, NULL,
					  RD_KAFKA_RESOURCE_PATTERN_ANY, NULL, NULL,
					  RD_KAFKA_ACL_OPERATION_ANY,
					  RD_KAFKA_ACL_PERMISSION_TYPE_ANY, errstr, sizeof errstr);
	if (!f) {
		fail("%s", errstr);
		return 1;
	}
	rk = admin_new();
	if (!rk) {
		rd_kafka_AclBinding_destroy(f);
		return 1;
	}
	q = rd_kafka_queue_new(rk);
	opts = admin_options(rk, 30000);
	if (!opts)
		goto out;
	rd_kafka_DescribeAcls(rk, f, opts, q);
	ev = admin_wait(q, RD_KAFKA_EVENT_DESCRIBEACLS_RESULT, 35000, 1);
	if (!ev)
		goto out;
	if (rd_kafka_event_error(ev) == RD_KAFKA_RESP_ERR_SECURITY_DISABLED) {
		fail("%s", rd_kafka_event_error_string(ev));
		rc = 3;
	} else if (rd_kafka_event_error(ev)) {
		fail("%s", rd_kafka_event_error_string(ev));
	} else {
		size_t n;
		const rd_kafka_AclBinding_t **v =
			rd_kafka_DescribeAcls_result_acls(rd_kafka_event_DescribeAcls_result(ev),
							  &n);
		char **lines = calloc(n ? n : 1, sizeof(*lines));

		rc = lines ? 0 : 1;
		for (size_t i = 0; lines && i < n; i++) {
			if (asprintf(&lines[i], "%s\t%s\t%s\t%s\t%s\t%s\t%s",
				     acl_name(ACL_TYPES, NN(ACL_TYPES),
					      (int)rd_kafka_AclBinding_restype(v[i])),
				     rd_kafka_AclBinding_name(v[i]),
				     acl_name(ACL_PATTERNS, NN(ACL_PATTERNS),
					      (int)rd_kafka_AclBinding_resource_pattern_type(v[i])),
				     rd_kafka_AclBinding_principal(v[i]),
				     rd_kafka_AclBinding_host(v[i]),
				     acl_name(ACL_OPS, NN(ACL_OPS),
					      (int)rd_kafka_AclBinding_operation(v[i])),
				     acl_name(ACL_PERMS, NN(ACL_PERMS),
					      (int)rd_kafka_AclBinding_permission_type(v[i]))) <
			    0) {
				lines[i] = NULL;
				rc = 1;
			}
		}
		if (lines && rc == 0) {
			qsort(lines, n, sizeof(*lines), cmp_str);
			for (size_t i = 0; i < n; i++)
				printf("%s\n", lines[i]);
		}
		for (size_t i = 0; lines && i < n; i++)
			free(lines[i]);
		free(lines);
	}
	rd_kafka_event_destroy(ev);
out:
	if (opts)
		rd_kafka_AdminOptions_destroy(opts);
	rd_kafka_AclBinding_destroy(f);
	rd_kafka_queue_destroy(q);
	rd_kafka_destroy(rk);
	return rc;
}

/* ---------------------------------------------------------------- main */

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} COMMANDS[] = {
	{ "wait-ready", cmd_wait_ready },
	{ "create", cmd_create },
	{ "add-partitions", cmd_add_partitions },
	{ "delete", cmd_delete },
	{ "set-config", cmd_set_config },
	{ "configs", cmd_configs },
	{ "delete-records", cmd_delete_records },
	{ "join", cmd_join },
	{ "topics", cmd_topics },
	{ "produce", cmd_produce },
	{ "put", cmd_put },
	{ "dump", cmd_dump },
	{ "count", cmd_count },
	{ "seqcheck", cmd_seqcheck },
	{ "group-commit", cmd_group_commit },
	{ "group-offsets", cmd_group_offsets },
	{ "acl-add", cmd_acl_add },
	{ "acl-del", cmd_acl_del },
	{ "acl-list", cmd_acl_list },
};

int main(int argc, char **argv)
{
	static char outbuf[1 << 20];
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-b") == 0) {
			G.bootstrap = optval(argc, argv, &i);
		} else if (strcmp(argv[i], "-X") == 0) {
			if (G.nx == MAX_X)
				usage("too many -X options");
			G.x[G.nx++] = optval(argc, argv, &i);
			if (!strchr(G.x[G.nx - 1], '=') || G.x[G.nx - 1][0] == '=')
				usage("-X %s: expected key=value", G.x[G.nx - 1]);
		} else if (strcmp(argv[i], "-v") == 0) {
			G.verbose = 1;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fputs(USAGE, stdout);
			return 0;
		} else if (argv[i][0] == '-') {
			usage("unknown option '%s'", argv[i]);
		} else {
			break;
		}
	}
	if (i >= argc)
		usage("no command given");
	if (!G.bootstrap)
		usage("-b BOOTSTRAP is required");
	setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
	for (size_t c = 0; c < sizeof COMMANDS / sizeof COMMANDS[0]; c++) {
		if (strcmp(argv[i], COMMANDS[c].name) == 0) {
			G.cmd = COMMANDS[c].name;
			rc = COMMANDS[c].fn(argc - i - 1, argv + i + 1);
			if (fflush(stdout) && rc == 0) {
				fail("writing stdout: %s", strerror(errno));
				rc = 1;
			}
			/* let librdkafka's background threads finish before exit */
			rd_kafka_wait_destroyed(10000);
			return rc;
		}
	}
	usage("unknown command '%s'", argv[i]);
}
