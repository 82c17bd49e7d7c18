/*
 * conf.c — MM2 properties -> validated topology (struct conf).
 */
#include "appliance/conf/conf.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <libpq-fe.h>

#include "lib/roles.h"
#include "lib/suggest.h"
#include "appliance/conf/clientconf.h"
#include "appliance/conf/conf_keys.h"

struct loader {
	struct conf *c;
	struct diags *d;
	const char *file;
};

static void __attribute__((format(printf, 3, 4)))
err_at(struct loader *L, const struct prop *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diags_vadd(L->d, 1, L->file, p ? p->line : 0, p ? p->key : NULL, fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 3, 4)))
warn_at(struct loader *L, const struct prop *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diags_vadd(L->d, 0, L->file, p ? p->line : 0, p ? p->key : NULL, fmt, ap);
	va_end(ap);
}

static int alias_index(const struct conf *c, const char *s, size_t len)
{
	for (size_t i = 0; i < c->nclusters; i++)
		if (strlen(c->clusters[i].alias) == len &&
		    strncmp(c->clusters[i].alias, s, len) == 0)
			return (int)i;
	return -1;
}

static int parse_bool(const char *v, int *out)
{
	if (strcasecmp(v, "true") == 0)
		*out = 1;
	else if (strcasecmp(v, "false") == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

static int parse_ll(const char *v, long long *out)
{
	char *end;

	errno = 0;
	while (isspace((unsigned char)*v))
		v++;
	*out = strtoll(v, &end, 10);
	if (errno || end == v)
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	return *end ? -1 : 0;
}

/* Checks one occurrence of a known key; 0 if the value is well-formed. */
static int check_value(struct loader *L, const struct conf_key *k, const struct prop *p)
{
	char buf[160];

	switch (k->type) {
	case CK_BOOL: {
		int b;

		if (parse_bool(p->value, &b)) {
			err_at(L, p, "expected true or false, got \"%s\"", p->value);
			return -1;
		}
		return 0;
	}
	case CK_INT: {
		long long v;

		if (parse_ll(p->value, &v)) {
			err_at(L, p, "expected an integer, got \"%s\"", p->value);
			return -1;
		}
		if (k->min != k->max && (v < k->min || v > k->max)) {
			snprintf(buf, sizeof(buf), "%lld..%lld", k->min, k->max);
			err_at(L, p, "value %s is out of range; expected %s", p->value, buf);
			return -1;
		}
		return 0;
	}
	case CK_LIST:
		if (strcmp(k->name, "clusters") != 0 && strcmp(k->name, "ferry.labels") != 0 &&
		    strcmp(k->name, "ferry.placement.rules") != 0 &&
		    strcmp(k->name, "ferry.placement.<rule>.require") != 0 &&
		    !(k->flags & (CK_NOT_YET | CK_WORKER))) {
			struct regexlist *rl;
			struct ferr e;

			if (regexlist_compile(p->value, &rl, &e)) {
				err_at(L, p, "%s", e.msg);
				return -1;
			}
			regexlist_free(rl);
		}
		return 0;
	case CK_CLASS:
		if (strcmp(k->name, "replication.policy.class") == 0) {
			enum policy_kind pk;

			if (policy_kind_parse(p->value, &pk)) {
				err_at(L, p, "unsupported replication policy %s; expected %s",
				       p->value,
				       "DefaultReplicationPolicy or IdentityReplicationPolicy "
				       "(org.apache.kafka.connect.mirror.*)");
				return -1;
			}
		}
		return 0;
	case CK_STRING:
		if (strcmp(k->name, "replication.policy.separator") == 0 && p->value[0] == '\0') {
			err_at(L, p, "must not be empty");
			return -1;
		}
		if (strcmp(k->name, "use.defaults.from") == 0 && strcmp(p->value, "target") != 0 &&
		    strcmp(p->value, "source") != 0) {
			err_at(L, p, "expected target or source, got \"%s\"", p->value);
			return -1;
		}
		return 0;
	}
	return 0;
}

/* Warnings for keys that are read but not (yet) acted on. */
static void note_support(struct loader *L, const struct conf_key *k, const struct prop *p)
{
	if (k->flags & CK_NOT_YET) {
		if (k->ferry_value && strcasecmp(k->ferry_value, p->value) == 0)
			return;
		warn_at(L, p, "not supported by ferry yet, ignored");
	} else if (k->flags & CK_DEPRECATED) {
		warn_at(L, p, "deprecated MM2 name; use %s", k->alias_of);
	}
}

/* "consumer.fetch.min.bytes" -> role + inner key; 0 if it has a role prefix. */
static int split_role(const char *key, enum client_role *role, const char **inner)
{
	const char *dot = strchr(key, '.');

	if (!dot || client_role_parse(key, (size_t)(dot - key), role))
		return -1;
	*inner = dot + 1;
	return 0;
}

/* Where a key was written, for the keys that may be offered instead. */
enum key_scope {
	SCOPE_TOP,     /* KEY */
	SCOPE_CLUSTER, /* A.KEY: client settings only */
	SCOPE_FLOW,    /* A->B.KEY */
};

/*
 * A key none of the tables knows, written as PREFIX WORD (PREFIX "", "A."
 * or "A->B."). Near a key valid at that scope (ferry's and MM2's keys,
 * Connect worker keys, the Java client keys) it is a misspelling and an
 * error: as a warning, `A->B.topcis` left the flow mirroring every topic.
 * Far from all of them it may belong to something ferry does not know (a
 * newer Kafka client): a warning, as MM2 would ignore it too. WHAT names
 * the kind of setting in the message.
 */
static void unknown_key(struct loader *L, const struct prop *p, enum key_scope sc,
			const char *prefix, const char *word, const char *what)
{
	struct suggest s;
	const char *best;

	suggest_init(&s, word);
	for (unsigned i = 0; sc != SCOPE_CLUSTER && i < conf_keys_count; i++) {
		const struct conf_key *k = &conf_keys[i];
		size_t n = strlen(k->name);

		if (!(k->flags & (sc == SCOPE_TOP ? CK_GLOBAL : CK_FLOW)))
			continue;
		if ((k->flags & CK_PREFIX) && n && k->name[n - 1] == '.')
			continue; /* a family ("rest."), not a key */
		suggest_offer(&s, "", k->name);
	}
	/* a flow takes no unprefixed client settings (they are per cluster) */
	clientconf_offer_keys(&s, sc != SCOPE_FLOW);
	best = suggest_best(&s);
	if (best)
		err_at(L, p, "unknown %s; did you mean %s%s?", what, prefix, best);
	else
		warn_at(L, p, "unknown %s, ignored", what);
}

/* ROLE.INNER, written after PREFIX at scope SC. */
static void check_client_key(struct loader *L, const struct prop *p, enum key_scope sc,
			     const char *prefix, const char *inner, enum client_role role)
{
	char what[300];

	if (clientconf_is_known_key(inner, role))
		return;
	snprintf(what, sizeof(what), "%s setting \"%s\"", client_role_name(role), inner);
	unknown_key(L, p, sc, prefix, p->key + strlen(prefix), what);
}

/*
 * The topic configs of Kafka 3.9 and 4.x (kafka-configs --entity-type
 * topics): an override names one of them, so that a misspelt name fails
 * here, naming its line, rather than at every remote topic on the target.
 */
static const char *const topic_config_names[] = {
	"cleanup.policy",
	"compression.gzip.level",
	"compression.lz4.level",
	"compression.type",
	"compression.zstd.level",
	"delete.retention.ms",
	"file.delete.delay.ms",
	"flush.messages",
	"flush.ms",
	"follower.replication.throttled.replicas",
	"index.interval.bytes",
	"leader.replication.throttled.replicas",
	"local.retention.bytes",
	"local.retention.ms",
	"max.compaction.lag.ms",
	"max.message.bytes",
	"message.downconversion.enable",
	"message.format.version",
	"message.timestamp.after.max.ms",
	"message.timestamp.before.max.ms",
	"message.timestamp.difference.max.ms",
	"message.timestamp.type",
	"min.cleanable.dirty.ratio",
	"min.compaction.lag.ms",
	"min.insync.replicas",
	"preallocate",
	"remote.log.copy.disable",
	"remote.log.delete.on.disable",
	"remote.storage.enable",
	"retention.bytes",
	"retention.ms",
	"segment.bytes",
	"segment.index.bytes",
	"segment.jitter.ms",
	"segment.ms",
	"unclean.leader.election.enable",
};

#define OVERRIDES "topic.overrides."

/* INNER is "topic.overrides.CONFIG" as written after P's "B." or "A->B.". */
static void check_override(struct loader *L, const struct prop *p, const char *inner)
{
	const char *name = inner + strlen(OVERRIDES);
	struct suggest s;
	const char *best;

	if (strncmp(inner, OVERRIDES, strlen(OVERRIDES)) != 0 || !*name) {
		err_at(L, p, "expected %sCONFIG = VALUE, naming a topic config", OVERRIDES);
		return;
	}
	for (size_t i = 0; i < sizeof(topic_config_names) / sizeof(topic_config_names[0]); i++) {
		if (strcmp(name, topic_config_names[i]) == 0) {
			if (!p->value[0])
				err_at(L, p, "expected a value for topic config %s", name);
			return;
		}
	}
	suggest_init(&s, name);
	for (size_t i = 0; i < sizeof(topic_config_names) / sizeof(topic_config_names[0]); i++)
		suggest_offer(&s, "", topic_config_names[i]);
	best = suggest_best(&s);
	if (best)
		err_at(L, p, "unknown topic config \"%s\"; did you mean %.*s%s?", name,
		       (int)(name - p->key), p->key, best);
	else
		err_at(L, p,
		       "unknown topic config \"%s\"; expected a Kafka topic config such as "
		       "retention.ms or cleanup.policy",
		       name);
}

/* Classifies and checks every line; returns nothing, errors go to L->d. */
static void classify(struct loader *L)
{
	const struct props *raw = &L->c->raw;

	for (size_t i = 0; i < raw->n; i++) {
		const struct prop *p = &raw->v[i];
		const char *key = p->key, *arrow = strstr(key, "->");
		const struct prop *last = props_get(raw, key);
		enum client_role role;
		const char *inner, *cinner;
		char prefix[300];

		if (last != p) {
			char buf[32];

			snprintf(buf, sizeof(buf), "%d", last->line);
			warn_at(L, p, "set again on line %s; this line has no effect", buf);
			continue;
		}
		if (arrow) {
			const char *src = key, *dst = arrow + 2, *dot = strchr(dst, '.');
			int si = alias_index(L->c, src, (size_t)(arrow - src));
			int ti;

			if (!dot) {
				err_at(L, p, "malformed flow key; expected SOURCE->TARGET.<key>");
				continue;
			}
			ti = alias_index(L->c, dst, (size_t)(dot - dst));
			if (si < 0 || ti < 0) {
				char alias[256], known[512] = "";
				size_t n = si < 0 ? (size_t)(arrow - src) : (size_t)(dot - dst);

				snprintf(alias, sizeof(alias), "%.*s", (int)n, si < 0 ? src : dst);
				for (size_t c = 0; c < L->c->nclusters; c++) {
					if (c)
						strncat(known, ", ",
							sizeof(known) - strlen(known) - 1);
					strncat(known, L->c->clusters[c].alias,
						sizeof(known) - strlen(known) - 1);
				}
				err_at(L, p, "unknown cluster alias \"%s\"; `clusters` lists: %s",
				       alias, known);
				continue;
			}
			if (si == ti) {
				err_at(L, p, "a flow needs two different clusters");
				continue;
			}
			inner = dot + 1;
			const struct conf_key *k = conf_key_find(inner);

			if (k && (k->flags & CK_CLUSTER) && (k->flags & CK_FLOW)) {
				check_override(L, p, inner);
			} else if (k && (k->flags & CK_CLUSTER)) {
				err_at(L, p, "\"%s\" is set per cluster; write <alias>.%s", inner,
				       inner);
			} else if (k && (k->flags & CK_FLOW)) {
				if (!(k->flags & CK_WORKER)) {
					if (check_value(L, k, p) == 0)
						note_support(L, k, p);
				}
			} else if (k) {
				warn_at(L, p,
					"\"%s\" cannot be set per flow; set it at the top level",
					inner);
			} else if (split_role(inner, &role, &cinner) == 0) {
				snprintf(prefix, sizeof(prefix), "%.*s", (int)(inner - key), key);
				check_client_key(L, p, SCOPE_FLOW, prefix, cinner, role);
			} else if (clientconf_is_common_key(inner)) {
				warn_at(L, p,
					"client settings are per cluster; use <alias>.%s or %s",
					inner, "<flow>.consumer|producer|admin.<key>");
			} else {
				char what[300];

				snprintf(prefix, sizeof(prefix), "%.*s", (int)(inner - key), key);
				snprintf(what, sizeof(what), "flow setting \"%s\"", inner);
				unknown_key(L, p, SCOPE_FLOW, prefix, inner, what);
			}
			continue;
		}

		const char *dot = strchr(key, '.');
		int ci = dot ? alias_index(L->c, key, (size_t)(dot - key)) : -1;

		if (ci >= 0) {
			inner = dot + 1;
			snprintf(prefix, sizeof(prefix), "%.*s", (int)(inner - key), key);
			if (clientconf_is_common_key(inner))
				continue;
			if (split_role(inner, &role, &cinner) == 0) {
				check_client_key(L, p, SCOPE_CLUSTER, prefix, cinner, role);
				continue;
			}
			const struct conf_key *k = conf_key_find(inner);

			if (k && (k->flags & CK_CLUSTER)) {
				/* topic overrides (also per flow), or labels */
				if (k->flags & CK_FLOW)
					check_override(L, p, inner);
				else
					check_value(L, k, p); /* labels: parse_placement() */
			} else if (k && !(k->flags & CK_WORKER)) {
				warn_at(L, p,
					"\"%s\" is not read per cluster (MM2 ignores it too); "
					"set it at the top level or per flow as SOURCE->TARGET.%s",
					inner, inner);
			} else if (!k) {
				char what[300];

				snprintf(what, sizeof(what), "cluster setting \"%s\"", inner);
				unknown_key(L, p, SCOPE_CLUSTER, prefix, inner, what);
			}
			continue;
		}

		const struct conf_key *k = conf_key_find(key);

		if (k && (k->flags & CK_GLOBAL)) {
			if (!(k->flags & CK_WORKER) && check_value(L, k, p) == 0)
				note_support(L, k, p);
		} else if (k && (k->flags & CK_CLUSTER)) {
			/* would apply nowhere: what a file means must not be
			 * silently lost */
			if (k->flags & CK_FLOW)
				err_at(L, p,
				       "a topic override names its target or flow; write "
				       "<target>.%s or SOURCE->TARGET.%s",
				       key, key);
			else
				err_at(L, p, "set per cluster; write <alias>.%s (e.g. %s.%s)", key,
				       L->c->clusters[0].alias, key);
		} else if (k) {
			warn_at(L, p, "only meaningful per flow; write SOURCE->TARGET.%s", key);
		} else if (clientconf_is_common_key(key)) {
			continue;
		} else if (split_role(key, &role, &inner) == 0) {
			check_client_key(L, p, SCOPE_TOP, "", inner, role);
		} else if (dot && (clientconf_is_common_key(dot + 1) ||
				   (split_role(dot + 1, &role, &inner) == 0 &&
				    clientconf_is_known_key(inner, role)))) {
			/* a client setting of a cluster `clusters` does not list (or
			 * of MM2's connector-level source./target. prefixes): not a
			 * misspelt top-level key, whatever it is near */
			warn_at(L, p,
				"unknown setting, ignored (if %.*s is a cluster, `clusters` "
				"does not list it)",
				(int)(dot - key), key);
		} else {
			unknown_key(L, p, SCOPE_TOP, "", key, "setting");
		}
	}
}

static int parse_clusters(struct loader *L)
{
	const struct prop *p = props_get(&L->c->raw, "clusters");
	struct conf *c = L->c;
	const char *s;

	if (!p) {
		diags_add(L->d, 1, L->file, 0, "clusters",
			  "missing; expected a list of cluster aliases, e.g. `clusters = A, B`");
		return -1;
	}
	s = p->value;
	while (*s) {
		const char *e;
		size_t n;

		while (isspace((unsigned char)*s) || *s == ',')
			s++;
		if (!*s)
			break;
		e = s;
		while (*e && *e != ',')
			e++;
		n = (size_t)(e - s);
		while (n && isspace((unsigned char)s[n - 1]))
			n--;
		char alias[256];

		if (n == 0 || n >= sizeof(alias)) {
			err_at(L, p, "invalid cluster alias (empty or longer than 255)");
			return -1;
		}
		snprintf(alias, sizeof(alias), "%.*s", (int)n, s);
		if (strchr(alias, '.') || strstr(alias, "->") || strpbrk(alias, " \t")) {
			err_at(L, p, "invalid cluster alias \"%s\"; %s", alias,
			       "aliases may not contain '.', '->' or blanks");
			return -1;
		}
		if (alias_index(c, alias, n) >= 0) {
			err_at(L, p, "cluster alias \"%s\" listed twice", alias);
			return -1;
		}
		struct conf_cluster *nc = realloc(c->clusters, (c->nclusters + 1) * sizeof(*nc));

		if (!nc)
			return -1;
		c->clusters = nc;
		memset(&c->clusters[c->nclusters], 0, sizeof(c->clusters[0]));
		c->clusters[c->nclusters].alias = strdup(alias);
		if (!c->clusters[c->nclusters].alias)
			return -1;
		c->nclusters++;
		s = e;
	}
	if (c->nclusters == 0) {
		err_at(L, p, "no cluster aliases given; expected e.g. `clusters = A, B`");
		return -1;
	}
	return 0;
}

/* Flow-level value: A->B.KEY, then top-level KEY (and a deprecated alias of
 * it at each level), then the table default. */
static const char *flow_value(struct loader *L, const char *flow, const char *key,
			      const struct prop **from)
{
	const struct conf_key *k = conf_key_find(key);
	char fk[512];
	const struct prop *p;
	const char *alias = NULL;

	for (unsigned i = 0; i < conf_keys_count; i++)
		if ((conf_keys[i].flags & CK_DEPRECATED) && strcmp(conf_keys[i].alias_of, key) == 0)
			alias = conf_keys[i].name;

	snprintf(fk, sizeof(fk), "%s.%s", flow, key);
	if ((p = props_get(&L->c->raw, fk)))
		goto found;
	if (alias) {
		snprintf(fk, sizeof(fk), "%s.%s", flow, alias);
		if ((p = props_get(&L->c->raw, fk)))
			goto found;
	}
	if ((p = props_get(&L->c->raw, key)))
		goto found;
	if (alias && (p = props_get(&L->c->raw, alias)))
		goto found;
	*from = NULL;
	return k ? k->def : NULL;
found:
	*from = p;
	return p->value;
}

static long long flow_int(struct loader *L, const char *flow, const char *key)
{
	const struct prop *p;
	const char *v = flow_value(L, flow, key, &p);
	long long n = 0;

	if (v)
		parse_ll(v, &n); /* already validated by classify() */
	return n;
}

static int flow_bool(struct loader *L, const char *flow, const char *key)
{
	const struct prop *p;
	const char *v = flow_value(L, flow, key, &p);
	int b = 0;

	if (v)
		parse_bool(v, &b);
	return b;
}

/* Appends raw entries matching PREFIX (stripped) and, when COMMON_ONLY,
 * only shared client keys. */
static int collect(struct loader *L, struct props *dst, const char *prefix, int common_only)
{
	const struct props *raw = &L->c->raw;
	size_t pl = strlen(prefix);

	for (size_t i = 0; i < raw->n; i++) {
		const struct prop *p = &raw->v[i];
		const char *k;

		if (pl && strncmp(p->key, prefix, pl) != 0)
			continue;
		if (strstr(p->key, "->") && !strstr(prefix, "->"))
			continue; /* a flow key, not this level's */
		k = p->key + pl;
		if (!*k)
			continue;
		if (!pl && strchr(k, '.') &&
		    alias_index(L->c, k, (size_t)(strchr(k, '.') - k)) >= 0)
			continue; /* a cluster key, not a top-level one */
		if (common_only && !clientconf_is_common_key(k))
			continue;
		if (props_set(dst, k, p->value, p->line))
			return -1;
	}
	return 0;
}

static int client_settings(struct loader *L, struct props *dst, const char *alias, const char *flow,
			   enum client_role role)
{
	char pre[512];
	const char *rn = client_role_name(role);

	memset(dst, 0, sizeof(*dst));
	dst->file = strdup(L->file);
	if (!dst->file)
		return -1;
	if (collect(L, dst, "", 1))
		return -1;
	snprintf(pre, sizeof(pre), "%s.", rn);
	if (collect(L, dst, pre, 0))
		return -1;
	snprintf(pre, sizeof(pre), "%s.", alias);
	if (collect(L, dst, pre, 1))
		return -1;
	snprintf(pre, sizeof(pre), "%s.%s.", alias, rn);
	if (collect(L, dst, pre, 0))
		return -1;
	snprintf(pre, sizeof(pre), "%s.%s.", flow, rn);
	if (collect(L, dst, pre, 0))
		return -1;
	return 0;
}

/* The member of F that holds key K. */
static void *field_at(struct conf_flow *f, const struct conf_key *k)
{
	return (char *)f + k->off;
}

static const void *cfield_at(const struct conf_flow *f, const struct conf_key *k)
{
	return (const char *)f + k->off;
}

/* Stores V, a value of K already checked by classify(), in F. */
static int field_store(struct conf_flow *f, const struct conf_key *k, const char *v, struct ferr *e)
{
	void *m = field_at(f, k);
	long long n = 0;
	int b = 0;

	switch (k->field) {
	case CKF_NONE:
		return 0;
	case CKF_BOOL:
		if (v)
			parse_bool(v, &b);
		*(int *)m = b;
		return 0;
	case CKF_INT:
		if (v)
			parse_ll(v, &n);
		*(int *)m = (int)n;
		return 0;
	case CKF_LL:
		if (v)
			parse_ll(v, &n);
		*(long long *)m = n;
		return 0;
	case CKF_STR:
		if (strlen(v ? v : "") >= k->size)
			return ferr_set(e, "\"%s\" is longer than %zu bytes", v ? v : "",
					k->size - 1);
		snprintf(m, k->size, "%s", v ? v : "");
		return 0;
	case CKF_REGEX:
		return regexlist_compile(v ? v : "", (struct regexlist **)m, e);
	case CKF_POLICY: {
		enum policy_kind pk = POLICY_DEFAULT;

		if (v && policy_kind_parse(v, &pk))
			return ferr_set(e, "unsupported replication policy %s", v);
		*(enum policy_kind *)m = pk;
		return 0;
	}
	}
	return 0;
}

/* Copies K's member from SRC to DST (a regex list is compiled anew: each
 * flow owns its own). */
static int field_copy(struct conf_flow *dst, const struct conf_flow *src, const struct conf_key *k,
		      struct ferr *e)
{
	if (k->field == CKF_REGEX)
		return regexlist_compile(regexlist_source(
						 *(struct regexlist *const *)cfield_at(src, k)),
					 (struct regexlist **)field_at(dst, k), e);
	memcpy(field_at(dst, k), cfield_at(src, k), k->size);
	return 0;
}

const char *conf_flow_key_value(const struct conf_flow *f, const struct conf_key *k, char *num,
				size_t numsz)
{
	const void *m = cfield_at(f, k);

	switch (k->field) {
	case CKF_NONE:
		return NULL;
	case CKF_BOOL:
		return *(const int *)m ? "true" : "false";
	case CKF_INT:
		snprintf(num, numsz, "%d", *(const int *)m);
		return num;
	case CKF_LL:
		snprintf(num, numsz, "%lld", *(const long long *)m);
		return num;
	case CKF_STR:
		return m;
	case CKF_REGEX:
		return regexlist_source(*(struct regexlist *const *)m);
	case CKF_POLICY:
		return policy_kind_name(*(const enum policy_kind *)m);
	}
	return NULL;
}

/* What follows from the stored keys: the policy (policy_init() resets it,
 * so the keys it holds are carried over) and MM2's internal topic names. */
static int flow_derive(struct conf_flow *f, struct ferr *e)
{
	char sep[sizeof(f->policy.separator)], hb[sizeof(f->policy.heartbeats_topic)];

	snprintf(sep, sizeof(sep), "%s", f->policy.separator);
	snprintf(hb, sizeof(hb), "%s", f->policy.heartbeats_topic);
	if (policy_init(&f->policy, f->policy.kind, sep, e))
		return -1;
	snprintf(f->policy.heartbeats_topic, sizeof(f->policy.heartbeats_topic), "%s",
		 hb[0] ? hb : "heartbeats");
	policy_set_internal_separator(&f->policy, f->internal_sep_enabled);
	f->offset_syncs_on_target = strcmp(f->offset_syncs_location, "target") == 0;
	f->defaults_from_source = strcmp(f->use_defaults_from, "source") == 0;
	policy_offset_syncs_topic(&f->policy, f->target, f->offset_syncs_topic,
				  sizeof(f->offset_syncs_topic));
	policy_checkpoints_topic(&f->policy, f->source, f->checkpoints_topic,
				 sizeof(f->checkpoints_topic));
	return 0;
}

/* The source consumer reads committed records only unless
 * ferry.mirror.read.uncommitted says aborted ones are wanted too: an
 * isolation.level override may not decide it behind ferry's back. */
static void check_isolation(struct loader *L, const struct conf_flow *f)
{
	const struct prop *p = props_get(&f->consumer, "isolation.level");

	if (!p)
		return;
	if (strcmp(p->value, "read_uncommitted") == 0 && !f->mirror_read_uncommitted)
		diags_add(L->d, 1, L->file, p->line, p->key,
			  "isolation.level=read_uncommitted would mirror the records of aborted "
			  "transactions to %s as if committed; set %s.ferry.mirror.read.uncommitted = "
			  "true if that is wanted",
			  f->target, f->name);
	else if (strcmp(p->value, "read_committed") == 0 && f->mirror_read_uncommitted)
		diags_add(L->d, 1, L->file, p->line, p->key,
			  "isolation.level=read_committed contradicts "
			  "ferry.mirror.read.uncommitted = true of flow %s; remove one",
			  f->name);
}

/* F's topic overrides: its target's (B.topic.overrides.X), then its own
 * (A->B.topic.overrides.X), a later line of the same key winning as in Java. */
static int collect_overrides(struct loader *L, struct conf_flow *f)
{
	const char *level[2] = { f->target, f->name };
	char pre[600];

	for (int l = 0; l < 2; l++) {
		snprintf(pre, sizeof(pre), "%s.%s", level[l], OVERRIDES);
		for (size_t i = 0; i < L->c->raw.n; i++) {
			const struct prop *p = &L->c->raw.v[i];

			if (strncmp(p->key, pre, strlen(pre)) == 0 && p->key[strlen(pre)] &&
			    props_put(&f->topic_overrides, p->key + strlen(pre), p->value))
				return -1;
		}
	}
	return 0;
}

static int build_flow(struct loader *L, struct conf_flow *f, size_t si, size_t ti)
{
	struct conf *c = L->c;
	const struct prop *from;
	struct ferr e;
	char what[300];

	memset(f, 0, sizeof(*f));
	f->source = c->clusters[si].alias;
	f->target = c->clusters[ti].alias;
	snprintf(f->name, sizeof(f->name), "%s->%s", f->source, f->target);

	/* every key the table places in a flow, resolved with MM2's precedence */
	for (unsigned i = 0; i < conf_keys_count; i++) {
		const struct conf_key *k = &conf_keys[i];
		const char *v;

		if (k->field == CKF_NONE)
			continue;
		if (k->flags & CK_FLOW) {
			v = flow_value(L, f->name, k->name, &from);
		} else {
			from = props_get(&c->raw, k->name);
			v = from ? from->value : k->def;
		}
		if (field_store(f, k, v, &e)) {
			/* classify() reported a malformed line already; anything
			 * else (a value too long for ferry) is reported here */
			if (k->field != CKF_REGEX || L->d->nerrors == 0)
				diags_add(L->d, 1, L->file, from ? from->line : 0, k->name, "%s",
					  e.msg);
			return -1;
		}
	}
	if (strcmp(f->offset_syncs_location, "source") != 0 &&
	    strcmp(f->offset_syncs_location, "target") != 0) {
		flow_value(L, f->name, "offset-syncs.topic.location", &from);
		err_at(L, from, "expected source or target, got \"%s\"", f->offset_syncs_location);
		return -1;
	}
	if (flow_derive(f, &e)) {
		flow_value(L, f->name, "replication.policy.separator", &from);
		diags_add(L->d, 1, L->file, from ? from->line : 0, "replication.policy.separator",
			  "%s", e.msg);
		return -1;
	}

	if (collect_overrides(L, f))
		return -1;
	if (client_settings(L, &f->consumer, f->source, f->name, ROLE_CONSUMER) ||
	    client_settings(L, &f->producer, f->target, f->name, ROLE_PRODUCER) ||
	    client_settings(L, &f->source_admin, f->source, f->name, ROLE_ADMIN) ||
	    client_settings(L, &f->target_admin, f->target, f->name, ROLE_ADMIN))
		return -1;
	snprintf(what, sizeof(what), "the %s consumer of %s", f->name, f->source);
	clientconf_build(&f->consumer, ROLE_CONSUMER, what, L->d, NULL);
	check_isolation(L, f);
	snprintf(what, sizeof(what), "the %s producer to %s", f->name, f->target);
	clientconf_build(&f->producer, ROLE_PRODUCER, what, L->d, NULL);
	snprintf(what, sizeof(what), "the %s admin client of %s", f->name, f->source);
	clientconf_build(&f->source_admin, ROLE_ADMIN, what, L->d, NULL);
	snprintf(what, sizeof(what), "the %s admin client of %s", f->name, f->target);
	clientconf_build(&f->target_admin, ROLE_ADMIN, what, L->d, NULL);
	return 0;
}

static void free_flow(struct conf_flow *f)
{
	regexlist_free(f->topics);
	regexlist_free(f->exclude);
	regexlist_free(f->groups);
	regexlist_free(f->groups_exclude);
	regexlist_free(f->config_exclude);
	props_free(&f->topic_overrides);
	props_free(&f->consumer);
	props_free(&f->producer);
	props_free(&f->source_admin);
	props_free(&f->target_admin);
}

static long long global_int(struct loader *L, const char *key)
{
	const struct prop *p = props_get(&L->c->raw, key);
	const struct conf_key *k = conf_key_find(key);
	long long v = 0;

	parse_ll(p ? p->value : k->def, &v);
	return v;
}

/* CH is allowed in a label's key or value: letters, digits and what label
 * values are made of in practice (region=eu-west-1, basis=gdpr/44). */
static int label_char(int ch)
{
	return isalnum(ch) || ch == '_' || ch == '-' || ch == '.' || ch == '/' || ch == ':';
}

/* S[0..N) is a label's key or value for a buffer of SZ: non-empty, fits,
 * label_char() throughout. */
static int label_word(const char *s, size_t n, size_t sz)
{
	if (n == 0 || n >= sz)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!label_char((unsigned char)s[i]))
			return 0;
	return 1;
}

int conf_parse_labels(const char *list, struct conf_label **out, size_t *n, struct ferr *err)
{
	struct conf_label *v = NULL;
	size_t nv = 0;
	const char *s = list;

	*out = NULL;
	*n = 0;
	while (*s) {
		const char *e, *eq;
		size_t len, kl, vl;
		struct conf_label *nl;

		while (isspace((unsigned char)*s))
			s++;
		e = strchr(s, ',');
		if (!e)
			e = s + strlen(s);
		len = (size_t)(e - s);
		while (len && isspace((unsigned char)s[len - 1]))
			len--;
		eq = memchr(s, '=', len);
		kl = eq ? (size_t)(eq - s) : 0;
		while (kl && isspace((unsigned char)s[kl - 1]))
			kl--;
		const char *vs = eq ? eq + 1 : s + len;

		while (vs < s + len && isspace((unsigned char)*vs))
			vs++;
		vl = (size_t)(s + len - vs);
		int ok = eq && label_word(s, kl, sizeof(v->key)) &&
			 label_word(vs, vl, sizeof(v->value));
		for (size_t i = 0; ok && i < nv; i++)
			if (strlen(v[i].key) == kl && strncmp(v[i].key, s, kl) == 0) {
				free(v);
				return ferr_set(err, "label key \"%.*s\" given twice", (int)kl, s);
			}
		if (!ok) {
			free(v);
			return ferr_set(err,
					"malformed label \"%.*s\"; expected KEY=VALUE, both non-empty "
					"(at most %zu and %zu characters) of letters, digits and _-./:",
					(int)len, s, sizeof(v->key) - 1, sizeof(v->value) - 1);
		}
		nl = realloc(v, (nv + 1) * sizeof(*nl));
		if (!nl) {
			free(v);
			return ferr_set(err, "out of memory");
		}
		v = nl;
		snprintf(v[nv].key, sizeof(v[nv].key), "%.*s", (int)kl, s);
		snprintf(v[nv].value, sizeof(v[nv].value), "%.*s", (int)vl, vs);
		nv++;
		s = *e ? e + 1 : e;
		if (*e && !*s) {
			free(v);
			return ferr_set(err, "malformed label list: ends with ','");
		}
	}
	*out = v;
	*n = nv;
	return 0;
}

/* "ferry.placement.NAME.SUFFIX" -> NAME (into BUF); 0, or -1 when KEY is
 * no rule key. */
static int rule_key(const char *key, char *buf, size_t sz)
{
	static const char pre[] = "ferry.placement.";
	const char *s = key + sizeof(pre) - 1, *dot;

	if (strncmp(key, pre, sizeof(pre) - 1) != 0 || strcmp(key, "ferry.placement.rules") == 0)
		return -1;
	dot = strrchr(s, '.');
	if (!dot || dot == s)
		return -1;
	snprintf(buf, sz, "%.*s", (int)(dot - s), s);
	return 0;
}

/* Labels of every cluster and the placement rules: each problem names its
 * line and key; nothing of a bad rule is kept (the whole load fails). */
static void parse_placement(struct loader *L)
{
	struct conf *c = L->c;
	const struct prop *rp = props_get(&c->raw, "ferry.placement.rules");
	struct ferr e;

	for (size_t i = 0; i < c->nclusters; i++) {
		char key[300];
		const struct prop *p;

		snprintf(key, sizeof(key), "%s.ferry.labels", c->clusters[i].alias);
		p = props_get(&c->raw, key);
		if (p && conf_parse_labels(p->value, &c->clusters[i].labels,
					   &c->clusters[i].nlabels, &e))
			err_at(L, p, "%s", e.msg);
	}
	/* the names listed */
	for (const char *s = rp ? rp->value : ""; *s;) {
		const char *e2;
		size_t n;
		struct conf_rule *nr, *r;

		while (isspace((unsigned char)*s) || *s == ',')
			s++;
		if (!*s)
			break;
		e2 = strchr(s, ',');
		if (!e2)
			e2 = s + strlen(s);
		n = (size_t)(e2 - s);
		while (n && isspace((unsigned char)s[n - 1]))
			n--;
		char name[64];
		int ok = n > 0 && n < sizeof(name);

		for (size_t j = 0; ok && j < n; j++)
			ok = isalnum((unsigned char)s[j]) || s[j] == '_' || s[j] == '-';
		if (!ok) {
			err_at(L, rp,
			       "invalid rule name \"%.*s\"; expected 1 to %zu letters, digits, _ "
			       "or -",
			       (int)n, s, sizeof(name) - 1);
			s = e2;
			continue;
		}
		snprintf(name, sizeof(name), "%.*s", (int)n, s);
		s = e2;
		for (size_t j = 0; j < c->nrules; j++)
			if (strcmp(c->rules[j].name, name) == 0) {
				err_at(L, rp, "rule \"%s\" listed twice", name);
				ok = 0;
			}
		if (!ok)
			continue;
		nr = realloc(c->rules, (c->nrules + 1) * sizeof(*nr));
		if (!nr) {
			err_at(L, rp, "out of memory");
			return;
		}
		c->rules = nr;
		r = &c->rules[c->nrules++];
		memset(r, 0, sizeof(*r));
		snprintf(r->name, sizeof(r->name), "%s", name);
	}
	/* every ferry.placement.<rule>.* key belongs to a listed rule */
	for (size_t i = 0; i < c->raw.n; i++) {
		const struct prop *p = &c->raw.v[i];
		char name[300];
		int listed = 0;

		if (rule_key(p->key, name, sizeof(name)) || props_get(&c->raw, p->key) != p)
			continue;
		for (size_t j = 0; j < c->nrules; j++)
			listed |= strcmp(c->rules[j].name, name) == 0;
		if (!listed)
			err_at(L, p, "rule \"%s\" is not listed in ferry.placement.rules (%s%s)",
			       name, rp ? "which lists: " : "which is not set",
			       rp ? rp->value : "");
	}
	for (size_t j = 0; j < c->nrules; j++) {
		struct conf_rule *r = &c->rules[j];
		char key[300];
		const struct prop *pt, *pr, *pc, *pb;

		snprintf(key, sizeof(key), "ferry.placement.%s.topics", r->name);
		pt = props_get(&c->raw, key);
		snprintf(key, sizeof(key), "ferry.placement.%s.require", r->name);
		pr = props_get(&c->raw, key);
		snprintf(key, sizeof(key), "ferry.placement.%s.category", r->name);
		pc = props_get(&c->raw, key);
		snprintf(key, sizeof(key), "ferry.placement.%s.basis", r->name);
		pb = props_get(&c->raw, key);
		r->category = strdup(pc ? pc->value : "");
		r->basis = strdup(pb ? pb->value : "");
		if (!pt && !pr && !pc && !pb) {
			err_at(L, rp,
			       "unknown rule \"%s\": no ferry.placement.%s.* keys define it "
			       "(expected at least .topics and .require)",
			       r->name, r->name);
			continue;
		}
		if (!pt || !pt->value[0])
			err_at(L, pt ? pt : rp,
			       "rule \"%s\" has no topics; expected ferry.placement.%s.topics = "
			       "<regex>[, <regex>...]",
			       r->name, r->name);
		else if (regexlist_compile(pt->value, &r->topics, &e))
			r->topics = NULL; /* check_value() named the bad regex already */
		if (!pr || !pr->value[0])
			err_at(L, pr ? pr : rp,
			       "rule \"%s\" requires nothing; expected ferry.placement.%s.require "
			       "= KEY=VALUE[, KEY=VALUE...]",
			       r->name, r->name);
		else if (conf_parse_labels(pr->value, &r->require, &r->nrequire, &e))
			err_at(L, pr, "%s", e.msg);
	}
}

static int build(struct loader *L)
{
	struct conf *c = L->c;
	unsigned errors_before = L->d->nerrors;

	if (parse_clusters(L))
		return -1;
	classify(L);
	parse_placement(L);

	for (size_t i = 0; i < c->nclusters; i++) {
		char key[300], rkey[320];
		const char *roles[] = { "consumer", "producer", "admin" };
		int all_roles = 1;

		snprintf(key, sizeof(key), "%s.bootstrap.servers", c->clusters[i].alias);
		if (props_get(&c->raw, key) || props_get(&c->raw, "bootstrap.servers"))
			continue;
		for (size_t r = 0; r < 3; r++) {
			snprintf(rkey, sizeof(rkey), "%s.%s.bootstrap.servers",
				 c->clusters[i].alias, roles[r]);
			if (!props_get(&c->raw, rkey))
				all_roles = 0;
		}
		if (!all_roles)
			diags_add(L->d, 1, L->file, 0, key,
				  "missing; expected host:port[,host:port...] of cluster %s",
				  c->clusters[i].alias);
	}
	if (L->d->nerrors != errors_before)
		return -1;

	for (size_t s = 0; s < c->nclusters; s++) {
		for (size_t t = 0; t < c->nclusters; t++) {
			char name[600];

			if (s == t)
				continue;
			snprintf(name, sizeof(name), "%s->%s", c->clusters[s].alias,
				 c->clusters[t].alias);
			if (!flow_bool(L, name, "enabled"))
				continue;
			struct conf_flow *nf = realloc(c->flows, (c->nflows + 1) * sizeof(*nf));

			if (!nf)
				return -1;
			c->flows = nf;
			if (build_flow(L, &c->flows[c->nflows], s, t)) {
				free_flow(&c->flows[c->nflows]);
				return -1;
			}
			c->nflows++;
		}
	}
	/* a failback flow runs on the clusters' own client settings (no flow
	 * prefix): refuse there too what would be refused in a flow, so that
	 * `failback` cannot fail on a setting the file was accepted with (once
	 * the flows are fine: their errors name the same lines already) */
	for (size_t i = 0; L->d->nerrors == errors_before && i < c->nclusters; i++) {
		static const enum client_role roles[] = { ROLE_CONSUMER, ROLE_PRODUCER };

		for (size_t r = 0; r < sizeof(roles) / sizeof(roles[0]); r++) {
			struct props s = { 0 };
			struct diags only = { 0 };
			char what[300];

			snprintf(what, sizeof(what), "the %s of %s (failback)",
				 client_role_name(roles[r]), c->clusters[i].alias);
			if (conf_cluster_settings(c, c->clusters[i].alias, roles[r], &s) == 0)
				clientconf_build(&s, roles[r], what, &only, NULL);
			/* warnings were given for the flows' use of the same lines */
			for (size_t k = 0; k < only.n; k++)
				if (only.v[k].is_error)
					diags_add_msg(L->d, 1, only.v[k].msg);
			diags_free(&only);
			props_free(&s);
		}
	}
	/* heartbeats: every ordered pair, as MM2 */
	for (size_t si = 0; si < c->nclusters; si++) {
		for (size_t ti = 0; ti < c->nclusters; ti++) {
			char name[600];
			const struct prop *from;
			const char *v;
			struct conf_heartbeat *nh;

			if (si == ti)
				continue;
			snprintf(name, sizeof(name), "%s->%s", c->clusters[si].alias,
				 c->clusters[ti].alias);
			if (!flow_bool(L, name, "emit.heartbeats.enabled"))
				continue;
			nh = realloc(c->heartbeats, (c->nheartbeats + 1) * sizeof(*nh));
			if (!nh)
				return -1;
			c->heartbeats = nh;
			nh = &c->heartbeats[c->nheartbeats++];
			memset(nh, 0, sizeof(*nh));
			nh->source = c->clusters[si].alias;
			nh->target = c->clusters[ti].alias;
			nh->interval_s = flow_int(L, name, "emit.heartbeats.interval.seconds");
			nh->rf = (int)flow_int(L, name, "heartbeats.topic.replication.factor");
			v = flow_value(L, name, "heartbeats.topic", &from);
			snprintf(nh->topic, sizeof(nh->topic), "%s", v ? v : "heartbeats");
		}
	}
	if (c->nflows == 0)
		diags_add(L->d, 0, L->file, 0, NULL,
			  "no flow is enabled (set e.g. `%s->%s.enabled = true`); nothing to mirror",
			  c->clusters[0].alias, c->nclusters > 1 ? c->clusters[1].alias : "B");
	/* control plane settings that can be checked without touching anything */
	{
		const struct prop *pa = props_get(&c->raw, "ferry.control.role.admin");
		const struct prop *po = props_get(&c->raw, "ferry.control.role.operator");
		const struct prop *pu = props_get(&c->raw, "ferry.control.role.auditor");
		const struct prop *ml = props_get(&c->raw, "ferry.metrics.listen");
		const struct prop *tl = props_get(&c->raw, "ferry.control.tls.listen");
		struct acl_rules *rules;
		struct ferr e;
		char host[256];
		int port;

		if (acl_rules_new(conf_global(c, "ferry.control.role.admin"),
				  conf_global(c, "ferry.control.role.operator"),
				  conf_global(c, "ferry.control.role.auditor"), &rules, &e)) {
			const struct prop *blame = strstr(e.msg, "admin") == e.msg      ? pa
						   : strstr(e.msg, "operator") == e.msg ? po
											: pu;

			err_at(L, blame, "%s", e.msg);
		} else {
			acl_rules_free(rules);
		}
		const struct prop *cs = props_get(&c->raw, "ferry.control.socket");
		const struct prop *cg = props_get(&c->raw, "ferry.control.group");
		int sock_off = cs && strcmp(cs->value, "off") == 0;

		if (cs && !sock_off &&
		    (!cs->value[0] ||
		     strlen(cs->value) >= sizeof(((struct sockaddr_un *)0)->sun_path)))
			err_at(L, cs,
			       "expected the path of a UNIX socket (at most %zu bytes) or off, "
			       "got \"%s\"",
			       sizeof(((struct sockaddr_un *)0)->sun_path) - 1, cs->value);
		if (cg && cg->value[0] && !sock_off) {
			gid_t gid;
			int rc = acl_group_gid(cg->value, &gid);

			if (rc)
				err_at(L, cg, "no such group \"%s\"%s%s", cg->value,
				       rc != ENOENT ? ": " : "", rc != ENOENT ? strerror(rc) : "");
		}
		if (sock_off && tl && tl->value[0])
			err_at(L, tl,
			       "the TLS listener needs the control socket, and "
			       "ferry.control.socket is off");
		if (ml && strcmp(ml->value, "off") != 0 &&
		    conf_parse_hostport(ml->value, host, sizeof(host), &port))
			err_at(L, ml, "expected host:port or off, got \"%s\"", ml->value);
		if (tl && tl->value[0] && conf_parse_hostport(tl->value, host, sizeof(host), &port))
			err_at(L, tl, "expected host:port, got \"%s\"", tl->value);
		const struct prop *sc = props_get(&c->raw, "ferry.sink.conninfo");

		if (sc && sc->value[0]) {
			char *perr = NULL;
			PQconninfoOption *o = PQconninfoParse(sc->value, &perr);

			if (!o) {
				char *nl = perr ? strchr(perr, '\n') : NULL;

				if (nl)
					*nl = '\0';
				err_at(L, sc, "not a libpq connection string: %s",
				       perr ? perr : "out of memory");
			}
			for (PQconninfoOption *q = o; q && q->keyword; q++)
				if (strcmp(q->keyword, "password") == 0 && q->val)
					err_at(L, sc,
					       "a password is not accepted in the connection string "
					       "(show config would show it); put it in the file "
					       "ferry.sink.passfile names, or PGPASSFILE");
			PQconninfoFree(o);
			PQfreemem(perr);
		}
		if (tl && tl->value[0] &&
		    (!conf_global(c, "ferry.control.tls.cert")[0] ||
		     !conf_global(c, "ferry.control.tls.key")[0] ||
		     !conf_global(c, "ferry.control.tls.ca")[0]))
			err_at(L, tl, "a TLS listener needs ferry.control.tls.cert, .key and .ca");
	}
	c->flush_interval_ms = global_int(L, "ferry.positions.flush.interval.ms");
	c->syncs_retention = global_int(L, "ferry.offset-syncs.retention");
	c->shutdown_timeout_ms = global_int(L, "ferry.shutdown.timeout.ms");
	c->max_inflight_bytes = global_int(L, "ferry.mirror.max.inflight.bytes");
	return L->d->nerrors != errors_before ? -1 : 0;
}

static int finish(struct conf *c, struct diags *d, struct conf **out)
{
	c->refs = 1;
	struct loader L = { .c = c, .d = d, .file = c->file };

	if (build(&L)) {
		conf_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

int conf_parse(const char *name, const char *text, size_t len, struct conf **out, struct diags *d)
{
	struct conf *c = calloc(1, sizeof(*c));
	struct ferr e;

	if (!c)
		return -1;
	c->file = strdup(name);
	if (!c->file || props_parse(name, text, len, &c->raw, &e)) {
		diags_add(d, 1, name, 0, NULL, "%s", c->file ? e.msg : "out of memory");
		conf_free(c);
		return -1;
	}
	return finish(c, d, out);
}

int conf_load(const char *path, struct conf **out, struct diags *d)
{
	struct conf *c = calloc(1, sizeof(*c));
	struct ferr e;

	if (!c)
		return -1;
	c->file = strdup(path);
	if (!c->file || props_load(path, &c->raw, &e)) {
		/* props' message already names the file */
		diags_add_msg(d, 1, c->file ? e.msg : "out of memory");
		conf_free(c);
		return -1;
	}
	return finish(c, d, out);
}

void conf_free(struct conf *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nflows; i++)
		free_flow(&c->flows[i]);
	free(c->flows);
	free(c->heartbeats);
	for (size_t i = 0; i < c->nclusters; i++) {
		free(c->clusters[i].alias);
		free(c->clusters[i].labels);
	}
	free(c->clusters);
	for (size_t i = 0; i < c->nrules; i++) {
		regexlist_free(c->rules[i].topics);
		free(c->rules[i].require);
		free(c->rules[i].category);
		free(c->rules[i].basis);
	}
	free(c->rules);
	props_free(&c->raw);
	free(c->file);
	free(c);
}

struct conf *conf_ref(struct conf *c)
{
	if (c)
		__atomic_add_fetch(&c->refs, 1, __ATOMIC_SEQ_CST);
	return c;
}

void conf_unref(struct conf *c)
{
	if (c && __atomic_sub_fetch(&c->refs, 1, __ATOMIC_SEQ_CST) == 0)
		conf_free(c);
}

static void fp_add(char **buf, size_t *len, size_t *cap, const char *k, const char *v)
{
	size_t need = strlen(k) + strlen(v) + 3;

	if (*len + need + 1 > *cap) {
		size_t ncap = (*cap + need + 1) * 2;
		char *nb = realloc(*buf, ncap);

		if (!nb)
			return;
		*buf = nb;
		*cap = ncap;
	}
	*len += (size_t)snprintf(*buf + *len, *cap - *len, "%s=%s\n", k, v);
}

static void fp_props(char **buf, size_t *len, size_t *cap, const char *role, const struct props *s)
{
	for (size_t i = 0; i < s->n; i++) {
		char k[600];

		if (props_get(s, s->v[i].key) != &s->v[i])
			continue;
		snprintf(k, sizeof(k), "%s.%s", role, s->v[i].key);
		fp_add(buf, len, cap, k, s->v[i].value);
	}
}

char *conf_flow_fingerprint(const struct conf *c, const struct conf_flow *f)
{
	char *buf = NULL, num[64];
	size_t len = 0, cap = 0;

	(void)c; /* the global keys a flow depends on are in the flow */
	for (unsigned i = 0; i < conf_keys_count; i++) {
		const struct conf_key *k = &conf_keys[i];

		if (k->field != CKF_NONE)
			fp_add(&buf, &len, &cap, k->name,
			       conf_flow_key_value(f, k, num, sizeof(num)));
	}
	/* the client settings, cluster-wide ones (bootstrap.servers, security)
	 * included, whatever their names */
	fp_props(&buf, &len, &cap, "consumer", &f->consumer);
	fp_props(&buf, &len, &cap, "producer", &f->producer);
	fp_props(&buf, &len, &cap, "source_admin", &f->source_admin);
	fp_props(&buf, &len, &cap, "target_admin", &f->target_admin);
	fp_props(&buf, &len, &cap, "topic.overrides", &f->topic_overrides);
	return buf;
}

const struct conf_cluster *conf_find_cluster(const struct conf *c, const char *alias)
{
	for (size_t i = 0; c && i < c->nclusters; i++)
		if (strcmp(c->clusters[i].alias, alias) == 0)
			return &c->clusters[i];
	return NULL;
}

const struct conf_flow *conf_find_flow(const struct conf *c, const char *name)
{
	for (size_t i = 0; c && i < c->nflows; i++)
		if (strcmp(c->flows[i].name, name) == 0)
			return &c->flows[i];
	return NULL;
}

const char *conf_global(const struct conf *c, const char *key)
{
	const struct prop *p = props_get(&c->raw, key);
	const struct conf_key *k;

	if (p)
		return p->value;
	k = conf_key_find(key);
	return k ? k->def : NULL;
}

int conf_parse_hostport(const char *s, char *host, size_t hostsz, int *port)
{
	const char *colon;
	char *end;
	long p;
	size_t hl;

	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':')
			return -1;
		hl = (size_t)(rb - s - 1);
		s++;
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -1;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= hostsz)
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (errno || *end || p < 0 || p > 65535 || end == colon + 1)
		return -1;
	*port = (int)p;
	return 0;
}

int conf_cluster_settings(const struct conf *c, const char *alias, enum client_role role,
			  struct props *out)
{
	struct loader L = { .c = (struct conf *)c, .d = NULL, .file = c->file };

	/* no flow prefix can match "-" */
	return client_settings(&L, out, alias, "-", role);
}

int conf_make_failback(const struct conf *c, const char *flow, struct conf_flow **out,
		       struct ferr *err)
{
	struct diags d = { 0 };
	struct loader L = { .c = (struct conf *)c, .d = &d, .file = c->file };
	const char *arrow = strstr(flow, "->");
	struct conf_flow *orig, *f;
	int si, ti;
	struct ferr e;

	if (!arrow)
		return ferr_set(err, "FLOW: expected SOURCE->TARGET, got \"%s\"", flow);
	si = alias_index(c, flow, (size_t)(arrow - flow));
	ti = alias_index(c, arrow + 2, strlen(arrow + 2));
	if (si < 0 || ti < 0 || si == ti)
		return ferr_not_found(err, "no clusters %.*s and %s in the running configuration",
				      (int)(arrow - flow), flow, arrow + 2);
	orig = calloc(1, sizeof(*orig));
	f = calloc(1, sizeof(*f));
	if (!orig || !f) {
		free(orig);
		free(f);
		return ferr_set(err, "out of memory");
	}
	if (build_flow(&L, orig, (size_t)si, (size_t)ti)) {
		ferr_set(err, "%s: %s", flow, d.n ? d.v[0].msg : "cannot be built");
		free_flow(orig);
		free(orig);
		free(f);
		diags_free(&d);
		return -1;
	}
	diags_free(&d);
	f->source = orig->target;
	f->target = orig->source;
	snprintf(f->name, sizeof(f->name), "failback:%.*s", (int)sizeof(f->name) - 10, orig->name);
	snprintf(f->failback_of, sizeof(f->failback_of), "%s", orig->name);
	/* what the table marks CK_FAILBACK is the original flow's; the rest
	 * (checkpoints, offset syncs, canary...) stays off */
	for (unsigned i = 0; i < conf_keys_count; i++)
		if (conf_keys[i].field != CKF_NONE && (conf_keys[i].flags & CK_FAILBACK) &&
		    field_copy(f, orig, &conf_keys[i], &e))
			goto fail;
	snprintf(f->offset_syncs_location, sizeof(f->offset_syncs_location), "source");
	if (flow_derive(f, &e))
		goto fail;
	if (conf_cluster_settings(c, f->source, ROLE_CONSUMER, &f->consumer) ||
	    conf_cluster_settings(c, f->target, ROLE_PRODUCER, &f->producer) ||
	    conf_cluster_settings(c, f->source, ROLE_ADMIN, &f->source_admin) ||
	    conf_cluster_settings(c, f->target, ROLE_ADMIN, &f->target_admin)) {
		ferr_set(&e, "out of memory");
		goto fail;
	}
	free_flow(orig);
	free(orig);
	*out = f;
	return 0;
fail:
	free_flow(orig);
	free(orig);
	conf_flow_destroy(f);
	return ferr_set(err, "%s: %s", flow, e.msg);
}

void conf_flow_destroy(struct conf_flow *f)
{
	if (!f)
		return;
	free_flow(f);
	free(f);
}
