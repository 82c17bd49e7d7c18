/*
 * clientconf.h — Kafka client settings as MM2 files write them (Java client
 * names: bootstrap.servers, security.protocol, sasl.jaas.config,
 * ssl.truststore.location, fetch.max.wait.ms ...) translated into a
 * librdkafka configuration for one client role. Holds the table of every
 * Java client key ferry understands; unknown ones are warnings, malformed
 * ones errors, both naming file:line and key.
 *
 * Settings that would break ferry's guarantees are refused: acks other than
 * all, enable.idempotence=false, a finite delivery.timeout.ms (or
 * message.timeout.ms), auto.offset.reset other than earliest or latest.
 * Whether isolation.level=read_uncommitted is allowed depends on the flow's
 * ferry.mirror.read.uncommitted, so conf.c checks that one.
 */
#ifndef FERRY_CLIENTCONF_H
#define FERRY_CLIENTCONF_H

#include <librdkafka/rdkafka.h>

#include "appliance/conf/diag.h"
#include "appliance/conf/props.h"

enum client_role { ROLE_CONSUMER = 1, ROLE_PRODUCER = 2, ROLE_ADMIN = 4 };

const char *client_role_name(enum client_role r);
/* "consumer" -> ROLE_CONSUMER ...; returns 0 or -1. */
int client_role_parse(const char *prefix, size_t len, enum client_role *out);

/* 1 if KEY is a client setting shared by every role of a cluster
 * (bootstrap.servers, security.*, ssl.*, sasl.* ...), which MM2 accepts
 * unprefixed at the top level and per cluster (`A.security.protocol`). */
int clientconf_is_common_key(const char *key);
/* 1 if KEY is known for ROLE (common keys included). */
int clientconf_is_known_key(const char *key, enum client_role role);
/* The I-th key of the client table (0, 1, ... until NULL) with the roles
 * it applies to and whether it is common: what completion offers. */
const char *clientconf_key_at(size_t i, unsigned *roles, int *common);
/* Offers every client key to S for "did you mean": the common ones bare
 * when COMMON, and each key as "<role>.<key>" for every role that knows
 * it (so "consumer.fetch.max.bytez" meets only the consumer's keys). */
struct suggest;
void clientconf_offer_keys(struct suggest *s, int common);
/* 1 if the key holds a secret (passwords, JAAS config). */
int clientconf_is_sensitive(const char *key);

/*
 * Translates SETTINGS (Java names, in precedence order: later entries win)
 * for ROLE into INTO, on top of what INTO already holds. Diagnostics go to
 * D (nothing is logged). Returns 0 when D got no new errors. With
 * into == NULL it only validates.
 */
int clientconf_build(const struct props *settings, enum client_role role, const char *what,
		     struct diags *d, rd_kafka_conf_t *into);

#endif
