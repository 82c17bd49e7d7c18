/*
 * kclient.c — librdkafka handle construction and callbacks.
 */
#include "lib/clock.h"
#include "kclient.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

/* Lives as long as the handle: librdkafka hands it back to callbacks. */
struct kclient_ctx {
	char what[256];
	kclient_error_fn *on_error;
	kclient_event_fn *on_event;
	void *opaque;
	pthread_mutex_t lock;       /* guards recent (librdkafka threads) */
	struct { char key[192]; int64_t ms; } recent[8];   /* warnings said lately */
	unsigned next;
};

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
		return;
	}
	if (first_in_a_while(ctx, reason))
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
			return ferr_set(err, "%s: setting %s=%s: %s", what, kv->key, kv->value, errstr);
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
	const struct kv forced[] = { { "group.id", group }, { "enable.auto.commit", "false" },
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

void *kclient_opaque(rd_kafka_t *rk)
{
	struct kclient_ctx *ctx = rd_kafka_opaque(rk);

	return ctx ? ctx->opaque : NULL;
}
