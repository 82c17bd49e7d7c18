/*
 * sink.c — the history sink's thread: the outbox to PostgreSQL (see
 * sink.h), its settings, its state for `show sink` and the metrics, and
 * the snapshot events of each configuration revision.
 */
#include "appliance/sink/sink.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "appliance/log.h"
#include "appliance/store/state.h"
#include "lib/clock.h"

#define SLICE_MS 100        /* how often a wait looks at the stop flag */
#define CONNECT_MS 10000    /* a connection attempt, all of it */
#define STATEMENT_MS 30000  /* one statement, COPY included */
#define BACKOFF_MIN_MS 1000 /* after a failure; doubles up to the max */
#define BACKOFF_MAX_MS 30000

struct sink_settings {
	char conninfo[1024], passfile[1024];
	long long batch, interval_ms;
};

struct sink {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
	char *state_dir;
	char appliance[256];
	/* handed over by sink_configure (under mu), taken by the thread */
	struct conf *next_conf;
	int next_rev;
	struct sink_status st; /* under mu */
};

/* The thread's own: nothing here is shared. */
struct worker {
	struct sink *s;
	struct state *db;
	PGconn *pg;
	struct sink_settings set;
	int enabled;
	int64_t cursor; /* PostgreSQL's, as last read or set; -1 unknown */
	int64_t retry_at, backoff;
	char staged; /* the temp table exists in this session */
};

static int stopping(struct sink *s)
{
	int v;

	pthread_mutex_lock(&s->mu);
	v = s->stop;
	pthread_mutex_unlock(&s->mu);
	return v;
}

static void set_state(struct sink *s, const char *state)
{
	pthread_mutex_lock(&s->mu);
	snprintf(s->st.state, sizeof(s->st.state), "%s", state);
	pthread_mutex_unlock(&s->mu);
}

static void __attribute__((format(printf, 3, 4)))
fail(struct worker *w, const char *state, const char *fmt, ...)
{
	struct sink *s = w->s;
	char msg[512];
	va_list ap;
	int again;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&s->mu);
	/* said once in the log while it stays the same (a PostgreSQL that
	 * is down fails every attempt alike); always in show sink */
	again = strcmp(s->st.last_error, msg) == 0;
	snprintf(s->st.last_error, sizeof(s->st.last_error), "%s", msg);
	s->st.last_error_ms = clock_wall_ms();
	snprintf(s->st.state, sizeof(s->st.state), "%s", state);
	s->st.errors++;
	pthread_mutex_unlock(&s->mu);
	if (!again)
		log_warn("sink: %s; events wait in the state store", msg);
}

int sink_conninfo_masked(const char *conninfo, char *buf, size_t sz, struct ferr *err)
{
	char *perr = NULL;
	PQconninfoOption *o = PQconninfoParse(conninfo, &perr);
	size_t n = 0;

	if (!o) {
		ferr_set(err, "%s", perr ? perr : "out of memory");
		PQfreemem(perr);
		return -1;
	}
	buf[0] = '\0';
	for (PQconninfoOption *p = o; p->keyword && n < sz; p++) {
		if (!p->val)
			continue;
		n += (size_t)snprintf(buf + n, sz - n, "%s%s=%s", n ? " " : "", p->keyword,
				      strcmp(p->keyword, "password") == 0 ? "********" : p->val);
	}
	PQconninfoFree(o);
	return 0;
}

/* --- waiting on libpq without blocking the stop --- */

/* Waits until PostgreSQL's socket is readable (or writable), DEADLINE
 * (monotonic ms) passes or the sink stops: 0, or -1 with ERRBUF set. */
static int pg_wait(struct worker *w, int for_write, int64_t deadline, char *errbuf, size_t sz)
{
	for (;;) {
		struct pollfd p = { .fd = PQsocket(w->pg), .events = for_write ? POLLOUT : POLLIN };
		int64_t left = deadline - clock_mono_ms();
		int rc;

		if (stopping(w->s)) {
			snprintf(errbuf, sz, "ferryd is stopping");
			return -1;
		}
		if (left <= 0) {
			snprintf(errbuf, sz, "PostgreSQL did not answer in time");
			return -1;
		}
		if (p.fd < 0) {
			snprintf(errbuf, sz, "no connection to PostgreSQL");
			return -1;
		}
		rc = poll(&p, 1, (int)(left < SLICE_MS ? left : SLICE_MS));
		if (rc > 0)
			return 0;
		if (rc < 0 && errno != EINTR) {
			snprintf(errbuf, sz, "poll: %s", strerror(errno));
			return -1;
		}
	}
}

/* Sends what libpq buffered (non-blocking connection). */
static int pg_flush(struct worker *w, int64_t deadline, char *errbuf, size_t sz)
{
	int rc;

	while ((rc = PQflush(w->pg)) == 1)
		if (pg_wait(w, 1, deadline, errbuf, sz))
			return -1;
	if (rc < 0) {
		snprintf(errbuf, sz, "%s", PQerrorMessage(w->pg));
		return -1;
	}
	return 0;
}

/* The results of what was sent, until libpq has no more: the last one
 * (caller PQclear()s), or NULL with ERRBUF set. A COPY IN result ends the
 * wait (the caller sends the data). */
static PGresult *pg_results(struct worker *w, int64_t deadline, char *errbuf, size_t sz)
{
	PGresult *last = NULL, *r;

	if (pg_flush(w, deadline, errbuf, sz))
		return NULL;
	for (;;) {
		while (PQisBusy(w->pg)) {
			if (pg_wait(w, 0, deadline, errbuf, sz) || !PQconsumeInput(w->pg)) {
				if (!stopping(w->s) && PQstatus(w->pg) == CONNECTION_BAD)
					snprintf(errbuf, sz, "%s", PQerrorMessage(w->pg));
				PQclear(last);
				return NULL;
			}
		}
		r = PQgetResult(w->pg);
		if (!r)
			break;
		PQclear(last);
		last = r;
		if (PQresultStatus(r) == PGRES_COPY_IN)
			break;
	}
	if (!last) {
		snprintf(errbuf, sz, "no result from PostgreSQL");
		return NULL;
	}
	return last;
}

/* One statement with text parameters; the result's status must be WANT.
 * 0 (and *OUT when wanted: the caller PQclear()s), or -1. */
static int pg_exec(struct worker *w, const char *sql, int n, const char *const *params,
		   ExecStatusType want, PGresult **out, char *errbuf, size_t sz)
{
	int64_t deadline = clock_mono_ms() + STATEMENT_MS;
	PGresult *r;

	if (!PQsendQueryParams(w->pg, sql, n, NULL, params, NULL, NULL, 0)) {
		snprintf(errbuf, sz, "%s", PQerrorMessage(w->pg));
		return -1;
	}
	r = pg_results(w, deadline, errbuf, sz);
	if (!r)
		return -1;
	if (PQresultStatus(r) != want) {
		const char *hint = PQresultErrorField(r, PG_DIAG_MESSAGE_HINT);

		snprintf(errbuf, sz, "%s%s%s", PQresultErrorMessage(r), hint ? " hint: " : "",
			 hint ? hint : "");
		/* libpq's messages end in a newline */
		errbuf[strcspn(errbuf, "\n")] = '\0';
		PQclear(r);
		return -1;
	}
	if (out)
		*out = r;
	else
		PQclear(r);
	return 0;
}

static void disconnect(struct worker *w)
{
	if (w->pg)
		PQfinish(w->pg); /* closes the socket; sends at most a Terminate */
	w->pg = NULL;
	w->staged = 0;
	w->cursor = -1;
}

static void backoff(struct worker *w)
{
	w->backoff = w->backoff ? w->backoff * 2 : BACKOFF_MIN_MS;
	if (w->backoff > BACKOFF_MAX_MS)
		w->backoff = BACKOFF_MAX_MS;
	w->retry_at = clock_mono_ms() + w->backoff;
}

/* Reads the cursor (sink_apply with nothing staged) and forgets what the
 * outbox holds at or below it: delivered before a crash or a lost reply. */
static int read_cursor(struct worker *w, char *errbuf, size_t sz)
{
	const char *p[1] = { w->s->appliance };
	PGresult *r = NULL;
	struct ferr err;
	int64_t seq;

	if (pg_exec(w, "BEGIN", 0, NULL, PGRES_COMMAND_OK, NULL, errbuf, sz) ||
	    pg_exec(w, "SELECT ferry.sink_apply($1)", 1, p, PGRES_TUPLES_OK, &r, errbuf, sz) ||
	    pg_exec(w, "COMMIT", 0, NULL, PGRES_COMMAND_OK, NULL, errbuf, sz)) {
		PQclear(r);
		return -1;
	}
	w->cursor = PQntuples(r) == 1 ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
	PQclear(r);
	if (state_sink_rebase(w->db, w->cursor, &seq, &err) ||
	    state_sink_delete(w->db, w->cursor, &err)) {
		snprintf(errbuf, sz, "%.400s", err.msg);
		return -1;
	}
	if (seq < w->cursor)
		log_warn("sink: PostgreSQL has events of appliance %s up to %lld, above any this "
			 "state store made (%lld): another store delivered there; this one's "
			 "events follow them",
			 w->s->appliance, (long long)w->cursor, (long long)seq);
	pthread_mutex_lock(&w->s->mu);
	w->s->st.delivered_upto = w->cursor;
	pthread_mutex_unlock(&w->s->mu);
	return 0;
}

/* PostgreSQL's warnings go to ferryd's log, not to stderr (libpq's
 * default): ferry.sink_apply() warns so of audit events it kept in
 * ferry.audit_conflict, because ferryd's state store reused their ids. */
static void pg_notice(void *arg, const PGresult *r)
{
	const char *sev = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
	const char *hint = PQresultErrorField(r, PG_DIAG_MESSAGE_HINT);

	(void)arg;
	if (sev && strcmp(sev, "WARNING") == 0)
		log_warn("sink: PostgreSQL: %s%s%s", msg ? msg : "(no message)", hint ? "; " : "",
			 hint ? hint : "");
	else
		log_debug("sink: PostgreSQL: %s: %s", sev ? sev : "?", msg ? msg : "(no message)");
}

static int connect_pg(struct worker *w)
{
	/* ferry's defaults first: the conninfo (expanded from dbname) may
	 * override them; the passfile last, as ferry.sink.passfile says */
	const char *kw[] = { "connect_timeout",
			     "application_name",
			     "keepalives",
			     "keepalives_idle",
			     "keepalives_interval",
			     "keepalives_count",
			     "dbname",
			     "passfile",
			     NULL };
	const char *val[] = { "10",
			      "ferryd",
			      "1",
			      "10",
			      "5",
			      "3",
			      w->set.conninfo,
			      w->set.passfile[0] ? w->set.passfile : NULL,
			      NULL };
	int64_t deadline = clock_mono_ms() + CONNECT_MS;
	PostgresPollingStatusType ps = PGRES_POLLING_WRITING;
	char errbuf[512] = "";

	if (!w->set.passfile[0])
		kw[7] = NULL;
	set_state(w->s, "connecting");
	w->pg = PQconnectStartParams(kw, val, 1);
	if (!w->pg || PQstatus(w->pg) == CONNECTION_BAD) {
		snprintf(errbuf, sizeof(errbuf), "%s",
			 w->pg ? PQerrorMessage(w->pg) : "out of memory");
		errbuf[strcspn(errbuf, "\n")] = '\0';
		fail(w, "unreachable", "cannot connect to PostgreSQL: %s", errbuf);
		goto out;
	}
	while (ps != PGRES_POLLING_OK) {
		if (ps == PGRES_POLLING_FAILED) {
			snprintf(errbuf, sizeof(errbuf), "%s", PQerrorMessage(w->pg));
			break;
		}
		if (pg_wait(w, ps == PGRES_POLLING_WRITING, deadline, errbuf, sizeof(errbuf)))
			break;
		ps = PQconnectPoll(w->pg);
	}
	if (ps != PGRES_POLLING_OK) {
		errbuf[strcspn(errbuf, "\n")] = '\0';
		if (!stopping(w->s))
			fail(w, "unreachable", "cannot connect to PostgreSQL: %s", errbuf);
		goto out;
	}
	PQsetNoticeReceiver(w->pg, pg_notice, NULL);
	if (PQsetnonblocking(w->pg, 1)) {
		fail(w, "error", "PostgreSQL: %s", PQerrorMessage(w->pg));
		goto out;
	}
	/* the staging table of this session; its owner is the sink's role,
	 * and ferry.sink_apply() runs as the extension's owner, so it may read
	 * it (a temporary table is seen by no other session anyway) */
	if (pg_exec(w,
		    "CREATE TEMP TABLE IF NOT EXISTS ferry_sink_stage (event_id bigint NOT NULL, "
		    "kind text NOT NULL, payload jsonb NOT NULL) ON COMMIT DELETE ROWS",
		    0, NULL, PGRES_COMMAND_OK, NULL, errbuf, sizeof(errbuf)) ||
	    pg_exec(w, "GRANT SELECT ON pg_temp.ferry_sink_stage TO PUBLIC", 0, NULL,
		    PGRES_COMMAND_OK, NULL, errbuf, sizeof(errbuf)) ||
	    read_cursor(w, errbuf, sizeof(errbuf))) {
		if (!stopping(w->s))
			fail(w, "error", "PostgreSQL: %s", errbuf);
		goto out;
	}
	w->staged = 1;
	w->backoff = 0;
	set_state(w->s, "connected");
	log_info("sink: connected to PostgreSQL; delivered up to event %lld", (long long)w->cursor);
	return 0;
out:
	disconnect(w);
	backoff(w);
	return -1;
}

/* --- a batch --- */

struct batch {
	char *buf; /* COPY text rows */
	size_t len, cap;
	int64_t last;
	int n, oom;
};

static void put(struct batch *b, const char *p, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t ncap = (b->cap + n + 1) * 2;
		char *nb = realloc(b->buf, ncap);

		if (!nb) {
			b->oom = 1;
			return;
		}
		b->buf = nb;
		b->cap = ncap;
	}
	memcpy(b->buf + b->len, p, n);
	b->len += n;
}

/* COPY's text format: a backslash, tab, newline or carriage return in a
 * value is escaped (JSON escapes control characters itself, but keeps
 * its own backslashes) */
static void put_copy_text(struct batch *b, const char *s)
{
	for (const char *p = s; *p; p++) {
		const char *e = *p == '\\'   ? "\\\\"
				: *p == '\t' ? "\\t"
				: *p == '\n' ? "\\n"
				: *p == '\r' ? "\\r"
					     : NULL;

		if (e)
			put(b, e, 2);
		else
			put(b, p, 1);
	}
}

static int add_event(void *ctx, int64_t id, const char *kind, const char *payload)
{
	struct batch *b = ctx;
	char num[32];
	int n = snprintf(num, sizeof(num), "%lld\t", (long long)id);

	put(b, num, (size_t)n);
	put_copy_text(b, kind);
	put(b, "\t", 1);
	put_copy_text(b, payload);
	put(b, "\n", 1);
	b->last = id;
	b->n++;
	return b->oom;
}

/* BEGIN; COPY the batch; ferry.sink_apply(); COMMIT. 0 with the new
 * cursor, or -1 (ERRBUF): the transaction's outcome is then unknown, and
 * the cursor read after the reconnect says which. */
static int send_batch(struct worker *w, struct batch *b, char *errbuf, size_t sz)
{
	const char *p[1] = { w->s->appliance };
	int64_t deadline = clock_mono_ms() + STATEMENT_MS;
	PGresult *r = NULL;
	int rc;

	if (pg_exec(w, "BEGIN", 0, NULL, PGRES_COMMAND_OK, NULL, errbuf, sz) ||
	    pg_exec(w, "COPY pg_temp.ferry_sink_stage (event_id, kind, payload) FROM STDIN", 0,
		    NULL, PGRES_COPY_IN, NULL, errbuf, sz))
		return -1;
	/* 0: libpq's buffer is full (non-blocking); send it, then again */
	while ((rc = PQputCopyData(w->pg, b->buf, (int)b->len)) == 0)
		if (pg_flush(w, deadline, errbuf, sz))
			return -1;
	if (rc < 0 || PQputCopyEnd(w->pg, NULL) < 0) {
		snprintf(errbuf, sz, "%s", PQerrorMessage(w->pg));
		return -1;
	}
	r = pg_results(w, deadline, errbuf, sz);
	if (!r)
		return -1;
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		snprintf(errbuf, sz, "COPY: %s", PQresultErrorMessage(r));
		errbuf[strcspn(errbuf, "\n")] = '\0';
		PQclear(r);
		return -1;
	}
	PQclear(r);
	r = NULL;
	if (pg_exec(w, "SELECT ferry.sink_apply($1)", 1, p, PGRES_TUPLES_OK, &r, errbuf, sz) ||
	    pg_exec(w, "COMMIT", 0, NULL, PGRES_COMMAND_OK, NULL, errbuf, sz)) {
		PQclear(r);
		return -1;
	}
	w->cursor = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return 0;
}

/* One batch: 1 when one was delivered, 0 when none waits, -1 on error
 * (the connection is dropped). */
static int deliver(struct worker *w)
{
	struct batch b = { 0 };
	struct ferr err;
	char errbuf[512] = "";
	int n;

	n = state_sink_batch(w->db, w->cursor, (int)w->set.batch, add_event, &b, &err);
	if (n <= 0) {
		free(b.buf);
		if (n < 0)
			fail(w, "error", "%s", err.msg);
		return n;
	}
	if (send_batch(w, &b, errbuf, sizeof(errbuf))) {
		free(b.buf);
		if (!stopping(w->s))
			fail(w, "error", "PostgreSQL: %s", errbuf);
		disconnect(w);
		backoff(w);
		return -1;
	}
	free(b.buf);
	/* committed in PostgreSQL: gone from the outbox (should this fail,
	 * the next connect deletes them by the cursor) */
	if (state_sink_delete(w->db, w->cursor, &err))
		fail(w, "error", "%s", err.msg);
	pthread_mutex_lock(&w->s->mu);
	w->s->st.delivered += n;
	w->s->st.delivered_upto = w->cursor;
	pthread_mutex_unlock(&w->s->mu);
	return 1;
}

/* --- snapshots of a configuration revision --- */

/* "username=\"x\"" out of a JAAS line; "" none */
static void jaas_username(const char *jaas, char *out, size_t sz)
{
	const char *p = jaas ? strstr(jaas, "username=") : NULL;
	size_t n;

	out[0] = '\0';
	if (!p)
		return;
	p += strlen("username=");
	if (*p == '"') {
		p++;
		n = strcspn(p, "\"");
	} else {
		n = strcspn(p, " ;");
	}
	snprintf(out, sz, "%.*s", (int)n, p);
}

/* The RFC 2253 subject of the first certificate of a PEM file; "" none */
static void pem_subject(const char *path, char *out, size_t sz)
{
	FILE *f = path && *path ? fopen(path, "r") : NULL;
	X509 *x;
	BIO *mem;

	out[0] = '\0';
	if (!f)
		return;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (!x)
		return;
	mem = BIO_new(BIO_s_mem());
	if (mem && X509_NAME_print_ex(mem, X509_get_subject_name(x), 0, XN_FLAG_RFC2253) >= 0) {
		int n = BIO_read(mem, out, (int)sz - 1);

		out[n > 0 ? n : 0] = '\0';
	}
	BIO_free(mem);
	X509_free(x);
}

static const char *prop_value(const struct props *p, const char *key)
{
	const struct prop *v = props_get(p, key);

	return v && v->value[0] ? v->value : NULL;
}

static void queue_event(struct worker *w, const char *kind, json_t *key, json_t *payload)
{
	char *k = json_dumps(key, JSON_COMPACT), *v = json_dumps(payload, JSON_COMPACT);
	struct ferr err;

	if (!k || !v)
		log_error("sink: out of memory queueing a %s event", kind);
	else if (state_sink_event_add(w->db, kind, k, v, &err))
		log_error("sink: %s", err.msg);
	free(k);
	free(v);
	json_decref(key);
	json_decref(payload);
}

static void queue_snapshots(struct worker *w, const struct conf *c, int rev)
{
	for (size_t i = 0; i < c->nclusters; i++) {
		const struct conf_cluster *cl = &c->clusters[i];
		struct props p = { 0 };
		json_t *labels = json_object();
		char principal[512] = "";
		const char *proto, *ktype;

		conf_cluster_settings(c, cl->alias, ROLE_ADMIN, &p);
		for (size_t j = 0; j < cl->nlabels; j++)
			json_object_set_new(labels, cl->labels[j].key,
					    json_string(cl->labels[j].value));
		proto = prop_value(&p, "security.protocol");
		if (proto && strstr(proto, "SASL"))
			jaas_username(prop_value(&p, "sasl.jaas.config"), principal,
				      sizeof(principal));
		ktype = prop_value(&p, "ssl.keystore.type");
		if (!principal[0] && proto && strstr(proto, "SSL") &&
		    (!ktype || strcasecmp(ktype, "PEM") == 0))
			pem_subject(prop_value(&p, "ssl.keystore.location"), principal,
				    sizeof(principal));
		queue_event(w, "cluster_snapshot",
			    json_pack("[s,i,s]", "cluster_snapshot", rev, cl->alias),
			    json_pack("{s:i, s:s, s:s?, s:o, s:s, s:s?, s:s?}", "rev", rev,
				      "cluster", cl->alias, "bootstrap",
				      prop_value(&p, "bootstrap.servers"), "labels", labels,
				      "security_protocol", proto ? proto : "PLAINTEXT",
				      "sasl_mechanism",
				      proto && strstr(proto, "SASL")
					      ? (prop_value(&p, "sasl.mechanism")
							 ? prop_value(&p, "sasl.mechanism")
							 : "GSSAPI")
					      : NULL,
				      "principal", principal[0] ? principal : NULL));
		props_free(&p);
	}
	for (size_t i = 0; i < c->nrules; i++) {
		const struct conf_rule *r = &c->rules[i];
		char key[200], req[1024] = "";
		const struct prop *topics;
		size_t n = 0;

		snprintf(key, sizeof(key), "ferry.placement.%s.topics", r->name);
		topics = props_get(&c->raw, key);
		for (size_t j = 0; j < r->nrequire && n < sizeof(req); j++)
			n += (size_t)snprintf(req + n, sizeof(req) - n, "%s%s=%s", j ? ", " : "",
					      r->require[j].key, r->require[j].value);
		queue_event(w, "rule_snapshot", json_pack("[s,i,s]", "rule_snapshot", rev, r->name),
			    json_pack("{s:i, s:s, s:s?, s:s, s:s?, s:s?}", "rev", rev, "rule",
				      r->name, "topics", topics ? topics->value : NULL, "requires",
				      req, "category", r->category[0] ? r->category : NULL, "basis",
				      r->basis[0] ? r->basis : NULL));
	}
}

static long long key_ll(const struct conf *c, const char *key)
{
	const char *v = conf_global(c, key);

	return v ? strtoll(v, NULL, 10) : 0;
}

/* A configuration from sink_configure: new settings, on or off, and the
 * revision's snapshots. */
static void take_conf(struct worker *w, struct conf *c, int rev)
{
	struct sink_settings ns = { 0 };
	struct ferr err;
	int on;

	snprintf(ns.conninfo, sizeof(ns.conninfo), "%s", conf_global(c, "ferry.sink.conninfo"));
	snprintf(ns.passfile, sizeof(ns.passfile), "%s", conf_global(c, "ferry.sink.passfile"));
	ns.batch = key_ll(c, "ferry.sink.batch.size");
	ns.interval_ms = key_ll(c, "ferry.sink.interval.ms");
	on = ns.conninfo[0] != '\0';
	if (strcmp(ns.conninfo, w->set.conninfo) != 0 ||
	    strcmp(ns.passfile, w->set.passfile) != 0) {
		disconnect(w);
		w->backoff = 0;
		w->retry_at = 0;
	}
	w->set = ns;
	if (on != w->enabled) {
		if (state_sink_set_enabled(w->db, on, &err)) {
			/* tried again with the next configuration or start */
			fail(w, "error", "%s", err.msg);
		} else {
			w->enabled = on;
			log_info("sink: %s",
				 on ? "on: the outbox holds the store's history" : "off");
		}
	}
	pthread_mutex_lock(&w->s->mu);
	if (!on ||
	    sink_conninfo_masked(ns.conninfo, w->s->st.target, sizeof(w->s->st.target), &err))
		w->s->st.target[0] = '\0';
	if (!on) {
		snprintf(w->s->st.state, sizeof(w->s->st.state), "off");
		w->s->st.pending = 0;
		w->s->st.oldest_ms = 0;
	}
	pthread_mutex_unlock(&w->s->mu);
	if (w->enabled)
		queue_snapshots(w, c, rev);
}

static void refresh_pending(struct worker *w)
{
	int64_t n, oldest;
	struct ferr err;

	if (state_sink_pending(w->db, &n, &oldest, &err))
		return;
	pthread_mutex_lock(&w->s->mu);
	w->s->st.pending = n;
	w->s->st.oldest_ms = oldest;
	pthread_mutex_unlock(&w->s->mu);
}

/* Sleeps MS or until sink_configure/sink_stop signals. */
static void nap(struct sink *s, int64_t ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&s->mu);
	if (!s->stop && !s->next_conf)
		pthread_cond_timedwait(&s->cv, &s->mu, &ts);
	pthread_mutex_unlock(&s->mu);
}

static void *run(void *arg)
{
	struct worker w = { .s = arg, .cursor = -1 };
	struct ferr err;

	while (!stopping(w.s) && state_open_worker(w.s->state_dir, &w.db, &err)) {
		fail(&w, "error", "%s", err.msg);
		nap(w.s, BACKOFF_MAX_MS);
	}
	/* on from an earlier run: no backfill (it was made then) */
	if (w.db && state_sink_enabled(w.db, &w.enabled, &err))
		w.enabled = 0;
	while (!stopping(w.s)) {
		struct conf *c;
		int rev;

		pthread_mutex_lock(&w.s->mu);
		c = w.s->next_conf;
		rev = w.s->next_rev;
		w.s->next_conf = NULL;
		pthread_mutex_unlock(&w.s->mu);
		if (c) {
			take_conf(&w, c, rev);
			conf_unref(c);
		}
		if (!w.enabled) {
			nap(w.s, 60000);
			continue;
		}
		refresh_pending(&w);
		if (!w.pg && clock_mono_ms() >= w.retry_at)
			connect_pg(&w);
		if (w.pg) {
			int rc = deliver(&w);

			if (rc > 0) {
				refresh_pending(&w);
				continue; /* more may wait: no nap between full batches */
			}
		}
		nap(w.s, w.set.interval_ms > 0 ? w.set.interval_ms : 1000);
	}
	disconnect(&w);
	state_close(w.db);
	return NULL;
}

int sink_start(const char *state_dir, const char *appliance, struct sink **out, struct ferr *err)
{
	struct sink *s = calloc(1, sizeof(*s));

	if (!s || !(s->state_dir = strdup(state_dir))) {
		free(s);
		return ferr_set(err, "out of memory");
	}
	snprintf(s->appliance, sizeof(s->appliance), "%s", appliance);
	snprintf(s->st.state, sizeof(s->st.state), "off");
	s->st.delivered_upto = -1;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	if (pthread_create(&s->thread, NULL, run, s)) {
		pthread_mutex_destroy(&s->mu);
		pthread_cond_destroy(&s->cv);
		free(s->state_dir);
		free(s);
		return ferr_set(err, "sink: cannot start its thread");
	}
	*out = s;
	return 0;
}

void sink_configure(struct sink *s, struct conf *c, int revision)
{
	struct conf *old;

	if (!s) {
		conf_unref(c);
		return;
	}
	pthread_mutex_lock(&s->mu);
	old = s->next_conf; /* not taken yet: this one replaces it */
	s->next_conf = c;   /* the thread owns the reference from here */
	s->next_rev = revision;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	conf_unref(old);
}

void sink_status(struct sink *s, struct sink_status *out)
{
	if (!s) {
		memset(out, 0, sizeof(*out));
		snprintf(out->state, sizeof(out->state), "off");
		out->delivered_upto = -1;
		return;
	}
	pthread_mutex_lock(&s->mu);
	*out = s->st;
	pthread_mutex_unlock(&s->mu);
}

void sink_stop(struct sink *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = 1;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	conf_unref(s->next_conf);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s->state_dir);
	free(s);
}
