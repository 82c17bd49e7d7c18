/*
 * kclient.c — librdkafka handle construction and callbacks.
 */
#include "lib/clock.h"
#include "appliance/kafka/kclient.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "appliance/log.h"

/* Lives as long as the handle: librdkafka hands it back to callbacks. */
struct kclient_ctx {
	char what[256];
	kclient_error_fn *on_error;
	kclient_event_fn *on_event;
	void *opaque;
	pthread_mutex_t lock; /* guards recent and the reachability fields */
	struct {
		char key[192];
		int64_t ms;
	} recent[8]; /* warnings said lately */
	unsigned next;

	/* reachability (kclient_opts.reach): what librdkafka said since the
	 * watcher last heard the cluster answer (generation gen) */
	struct reach *reach;
	int reach_stats, reach_manual;
	char cluster[256]; /* kclient_opts.cluster */
	unsigned gen;
	int all_down, conn_failed;
	char conn_error[400]; /* the last failed connection attempt */
};

/* librdkafka's words for a connection that could not be set up, as
 * opposed to one that closed (an idle connection the broker reaped). */
static int conn_failure(int err, const char *reason)
{
	static const char *const setup[] = {
		"Connect to ",
		"Connection setup timed out",
		"Failed to resolve",
		"SSL handshake failed",
		"Failed to verify broker certificate",
		"Disconnected while requesting ApiVersion",
		"verify that security.protocol",
		"SASL",
		NULL,
	};

	if (err == RD_KAFKA_RESP_ERR__RESOLVE || err == RD_KAFKA_RESP_ERR__AUTHENTICATION ||
	    err == RD_KAFKA_RESP_ERR__SSL)
		return 1;
	if (err != RD_KAFKA_RESP_ERR__TRANSPORT)
		return 0;
	for (int i = 0; setup[i]; i++)
		if (strstr(reason, setup[i]))
			return 1;
	return 0;
}

/* Forgets what was said before the watcher last heard the cluster (lock held). */
static void reach_refresh(struct kclient_ctx *ctx)
{
	unsigned g = reach_generation(ctx->reach);

	if (g != ctx->gen) {
		ctx->gen = g;
		ctx->all_down = 0;
		ctx->conn_failed = 0;
	}
}

/*
 * A cluster is down for this client when a connection attempt failed and
 * every broker is down (librdkafka says __ALL_BROKERS_DOWN once per such
 * episode, in either order with the failures): neither alone, since one
 * broker of several may be away, and an idle connection the broker closed
 * also counts as down. Returns 1 for an error about reachability.
 */
static int reach_error(struct kclient_ctx *ctx, int err, const char *reason)
{
	int failure = conn_failure(err, reason), down = 0;
	char why[sizeof(ctx->conn_error)];

	if (!failure && err != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN &&
	    err != RD_KAFKA_RESP_ERR__TRANSPORT)
		return 0;
	if (!ctx->reach)
		return 1;
	pthread_mutex_lock(&ctx->lock);
	reach_refresh(ctx);
	if (failure) {
		const char *cut = strstr(reason, " (after ");
		int n = cut ? (int)(cut - reason) : (int)strlen(reason);

		snprintf(ctx->conn_error, sizeof(ctx->conn_error), "%.*s", n, reason);
		ctx->conn_failed = 1;
	}
	if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
		ctx->all_down = 1;
	if (!ctx->reach_manual && ctx->conn_failed && ctx->all_down) {
		down = 1;
		snprintf(why, sizeof(why), "%s", ctx->conn_error);
	}
	pthread_mutex_unlock(&ctx->lock);
	if (down)
		reach_down(ctx->reach, why);
	return 1;
}

/* 1 when librdkafka's statistics JSON shows a broker connection up: only
 * the "brokers" object is looked at (it comes before the partitions, which
 * can make the document large). */
int kclient_stats_broker_up(const char *json, size_t len)
{
	const char *p = memmem(json, len, "\"brokers\":", 10);
	const char *end = json + len;
	int depth = 0, instr = 0;

	if (!p)
		return 0;
	for (p += 10; p < end; p++) {
		if (instr) {
			if (*p == '\\')
				p++;
			else if (*p == '"')
				instr = 0;
			continue;
		}
		if (*p == '"') {
			/* the closing quote too: "UPDATE" (the broker's address
			 * changes, its connection goes) is not up */
			static const char up[] = "\"state\":\"UP\"";
			if (depth > 0 && (size_t)(end - p) >= sizeof(up) - 1 &&
			    memcmp(p, up, sizeof(up) - 1) == 0)
				return 1;
			instr = 1;
		} else if (*p == '{') {
			depth++;
		} else if (*p == '}' && --depth <= 0) {
			break;
		}
	}
	return 0;
}

static int stats_cb(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
	struct kclient_ctx *ctx = opaque;

	(void)rk;
	if (ctx && ctx->reach && kclient_stats_broker_up(json, len))
		reach_up(ctx->reach);
	return 0; /* librdkafka frees json */
}

/* A broker that stays away makes librdkafka repeat the same few complaints
 * on every reconnect: say each once a minute. Returns 1 to log. */
static int first_in_a_while(struct kclient_ctx *ctx, const char *msg)
{
	char key[sizeof(ctx->recent[0].key)];
	const char *cut = strstr(msg, " (after ");
	size_t n = cut ? (size_t)(cut - msg) : strlen(msg);
	int64_t now = clock_mono_ms();
	int say = 1;

	if (!ctx)
		return 1;
	if (n >= sizeof(key))
		n = sizeof(key) - 1;
	memcpy(key, msg, n);
	key[n] = '\0';
	pthread_mutex_lock(&ctx->lock);
	for (unsigned i = 0; i < 8; i++) {
		if (strcmp(ctx->recent[i].key, key) == 0) {
			if (now - ctx->recent[i].ms < 60000)
				say = 0;
			else
				ctx->recent[i].ms = now;
			pthread_mutex_unlock(&ctx->lock);
			return say;
		}
	}
	memcpy(ctx->recent[ctx->next].key, key, n + 1);
	ctx->recent[ctx->next].ms = now;
	ctx->next = (ctx->next + 1) % 8;
	pthread_mutex_unlock(&ctx->lock);
	return 1;
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	struct kclient_ctx *ctx = rd_kafka_opaque(rk);
	const char *what = ctx ? ctx->what : rd_kafka_name(rk);

	/* librdkafka's errors are mostly transient (a broker went away) and it
	 * retries them itself: warnings by our policy. Settings ferry chose
	 * deliberately are not worth a warning. */
	if (strcmp(fac, "CONFWARN") == 0 && strstr(buf, "enable.gapless.guarantee"))
		level = 7;
	/* connection failures also come through error_cb, which says them */
	if (strcmp(fac, "FAIL") == 0)
		level = 7;
	if (level <= 4 && !first_in_a_while(ctx, buf))
		level = 7;
	if (level <= 4)
		log_warn("%s: librdkafka %s: %s", what, fac, buf);
	else
		log_debug("%s: librdkafka %s: %s", what, fac, buf);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct kclient_ctx *ctx = opaque;

	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		char buf[512];
		rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk, buf, sizeof(buf));

		log_error("%s: fatal client error %s: %s", ctx->what, rd_kafka_err2name(orig), buf);
		if (ctx->on_error)
			ctx->on_error(ctx->opaque, 1, buf);
		return;
	}
	if (err == RD_KAFKA_RESP_ERR__AUTHENTICATION || err == RD_KAFKA_RESP_ERR__SSL) {
		/* will not heal by itself: the operator must fix credentials */
		log_error("%s: %s: %s", ctx->what, rd_kafka_err2name(err), reason);
		reach_error(ctx, err, reason);
		return;
	}
	if (reach_error(ctx, err, reason) && ctx->cluster[0] &&
	    reach_cluster(ctx->cluster, NULL, 0, NULL, NULL) == REACH_UNREACHABLE)
		/* the watchers log the cluster going away and coming back,
		 * once each, instead of every retry of every client; while the
		 * cluster answers, a broker of it that does not is worth the
		 * warning (a watcher alone would never say it) */
		// NOLINTNEXTLINE(bugprone-branch-clone): same line, two reasons (see comment)
		log_debug("%s: %s: %s", ctx->what, rd_kafka_err2name(err), reason);
	else if (first_in_a_while(ctx, reason))
		log_warn("%s: %s: %s", ctx->what, rd_kafka_err2name(err), reason);
	else
		log_debug("%s: %s: %s", ctx->what, rd_kafka_err2name(err), reason);
	if (ctx->on_event)
		ctx->on_event(ctx->opaque, (rd_kafka_resp_err_t)err, reason);
}

static int apply(rd_kafka_conf_t *conf, const struct kv *kv, const char *what, struct ferr *err)
{
	char errstr[512];

	for (; kv && kv->key; kv++) {
		if (rd_kafka_conf_set(conf, kv->key, kv->value, errstr, sizeof(errstr)) !=
		    RD_KAFKA_CONF_OK)
			return ferr_set(err, "%s: setting %s=%s: %s", what, kv->key, kv->value,
					errstr);
	}
	return 0;
}

int kclient_new(rd_kafka_type_t type, const struct props *settings, enum client_role role,
		const struct kclient_opts *o, rd_kafka_t **out, struct ferr *err)
{
	struct diags d = { 0 };
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	struct kclient_ctx *ctx;
	char errstr[512];
	rd_kafka_t *rk;

	/* defaults first, then the user's translated settings, then forced ones */
	if (apply(conf, o->defaults, o->what, err))
		goto fail;
	if (clientconf_build(settings, role, o->what, &d, conf)) {
		for (size_t i = 0; i < d.n; i++)
			if (d.v[i].is_error) {
				ferr_set(err, "%s", d.v[i].msg);
				break;
			}
		diags_free(&d);
		goto fail;
	}
	diags_free(&d);
	if (apply(conf, o->forced, o->what, err))
		goto fail;

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx) {
		ferr_set(err, "out of memory");
		goto fail;
	}
	snprintf(ctx->what, sizeof(ctx->what), "%s", o->what);
	pthread_mutex_init(&ctx->lock, NULL);
	ctx->on_error = o->on_error;
	ctx->on_event = o->on_event;
	ctx->opaque = o->opaque;
	ctx->reach = o->reach;
	ctx->reach_stats = o->reach && o->reach_stats;
	ctx->reach_manual = o->reach_manual;
	snprintf(ctx->cluster, sizeof(ctx->cluster), "%s",
		 o->reach     ? reach_cluster_of(o->reach)
		 : o->cluster ? o->cluster
			      : "");
	ctx->gen = reach_generation(o->reach);
	if (ctx->reach_stats) {
		const struct kv stats[] = { { "statistics.interval.ms", "5000" }, { NULL, NULL } };

		if (apply(conf, stats, o->what, err)) {
			pthread_mutex_destroy(&ctx->lock);
			free(ctx);
			goto fail;
		}
		rd_kafka_conf_set_stats_cb(conf, stats_cb);
	}
	rd_kafka_conf_set_opaque(conf, ctx);
	rd_kafka_conf_set_log_cb(conf, log_cb);
	rd_kafka_conf_set_error_cb(conf, error_cb);
	if (o->dr_msg_cb)
		rd_kafka_conf_set_dr_msg_cb(conf, o->dr_msg_cb);

	rk = rd_kafka_new(type, conf, errstr, sizeof(errstr));
	if (!rk) {
		pthread_mutex_destroy(&ctx->lock);
		free(ctx);
		ferr_set(err, "%s: cannot create client: %s", o->what, errstr);
		goto fail;
	}
	/* conf now belongs to rk; ctx is freed by kclient_destroy() */
	*out = rk;
	return 0;
fail:
	rd_kafka_conf_destroy(conf);
	return -1;
}

int kclient_admin_consumer(const struct props *settings, const char *what, const char *group,
			   rd_kafka_t **out, struct ferr *err)
{
	const struct kv defaults[] = { { "log.connection.close", "false" }, { NULL, NULL } };
	const struct kv forced[] = { { "group.id", group },
				     { "enable.auto.commit", "false" },
				     { NULL, NULL } };
	struct kclient_opts o = { .what = what, .defaults = defaults, .forced = forced };

	return kclient_new(RD_KAFKA_CONSUMER, settings, ROLE_CONSUMER, &o, out, err);
}

void kclient_destroy(rd_kafka_t *rk)
{
	struct kclient_ctx *ctx;

	if (!rk)
		return;
	ctx = rd_kafka_opaque(rk);
	rd_kafka_destroy(rk);
	if (ctx)
		pthread_mutex_destroy(&ctx->lock);
	free(ctx);
}

void kclient_reach_report(rd_kafka_t *rk, int ok, const char *why)
{
	struct kclient_ctx *ctx = rd_kafka_opaque(rk);
	char buf[sizeof(ctx->conn_error)];

	if (!ctx || !ctx->reach)
		return;
	if (ok) {
		reach_up(ctx->reach);
		return;
	}
	pthread_mutex_lock(&ctx->lock);
	reach_refresh(ctx);
	snprintf(buf, sizeof(buf), "%s", ctx->conn_failed ? ctx->conn_error : why);
	pthread_mutex_unlock(&ctx->lock);
	reach_down(ctx->reach, buf);
}

void *kclient_opaque(rd_kafka_t *rk)
{
	struct kclient_ctx *ctx = rd_kafka_opaque(rk);

	return ctx ? ctx->opaque : NULL;
}
