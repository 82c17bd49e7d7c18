/*
 * test_conf.c — MM2 config loading: precedence, validation messages,
 * and translation of client settings to librdkafka.
 */
#include "appliance/conf/clientconf.h"
#include "appliance/conf/conf.h"
#include "appliance/conf/conf_keys.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static struct conf *load(const char *text, struct diags *d)
{
	struct conf *c = NULL;

	memset(d, 0, sizeof(*d));
	if (conf_parse("mm2.properties", text, strlen(text), &c, d))
		return NULL;
	return c;
}

/* Is there a diagnostic containing NEEDLE? */
static const char *find(const struct diags *d, const char *needle)
{
	for (size_t i = 0; i < d->n; i++)
		if (strstr(d->v[i].msg, needle))
			return d->v[i].msg;
	return NULL;
}

static const struct conf_flow *flow(const struct conf *c, const char *name)
{
	for (size_t i = 0; c && i < c->nflows; i++)
		if (strcmp(c->flows[i].name, name) == 0)
			return &c->flows[i];
	return NULL;
}

static const char *setting(const struct props *s, const char *k)
{
	const struct prop *p = props_get(s, k);

	return p ? p->value : NULL;
}

static char rdval[1024];

static const char *rd_get(const struct props *s, enum client_role role, const char *k)
{
	struct diags d = { 0 };
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	size_t sz = sizeof(rdval);

	rdval[0] = '\0';
	if (clientconf_build(s, role, "test", &d, conf) == 0)
		if (rd_kafka_conf_get(conf, k, rdval, &sz) != RD_KAFKA_CONF_OK)
			snprintf(rdval, sizeof(rdval), "(unset)");
	diags_free(&d);
	rd_kafka_conf_destroy(conf);
	return rdval;
}

/* A topic-level librdkafka property as clientconf_build() leaves it. */
static const char *rd_topic_get(const struct props *s, enum client_role role, const char *k)
{
	struct diags d = { 0 };
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	size_t sz = sizeof(rdval);

	snprintf(rdval, sizeof(rdval), "(unset)");
	if (clientconf_build(s, role, "test", &d, conf) == 0) {
		const rd_kafka_topic_conf_t *tc = rd_kafka_conf_get_default_topic_conf(conf);
		rd_kafka_topic_conf_t *dflt = tc ? NULL : rd_kafka_topic_conf_new();

		if (rd_kafka_topic_conf_get(tc ? tc : dflt, k, rdval, &sz) != RD_KAFKA_CONF_OK)
			snprintf(rdval, sizeof(rdval), "(unset)");
		if (dflt)
			rd_kafka_topic_conf_destroy(dflt);
	}
	diags_free(&d);
	rd_kafka_conf_destroy(conf);
	return rdval;
}

/* ---- the key table drives the fingerprint (what `commit` compares) ---- */

static const char fp_base[] = "clusters = A, B, C\n"
			      "A.bootstrap.servers = a:9092\n"
			      "B.bootstrap.servers = b:9092\n"
			      "C.bootstrap.servers = c:9092\n"
			      "A->B.enabled = true\n";

/* Loads fp_base plus EXTRA; the fingerprint of A->B (caller frees) and, in
 * VAL, the value A->B holds for key K (when K is given). NULL when the
 * text does not load. */
static char *fp_with(const char *extra, const struct conf_key *k, char *val, size_t valsz)
{
	char text[2048], num[64];
	struct diags d = { 0 };
	struct conf *c = NULL;
	const struct conf_flow *f;
	char *fp = NULL;

	snprintf(text, sizeof(text), "%s%s", fp_base, extra);
	if (conf_parse("mm2.properties", text, strlen(text), &c, &d) == 0 &&
	    (f = conf_find_flow(c, "A->B"))) {
		fp = conf_flow_fingerprint(c, f);
		if (k && val)
			snprintf(val, valsz, "%s", conf_flow_key_value(f, k, num, sizeof(num)));
	}
	conf_free(c);
	diags_free(&d);
	return fp;
}

/* Other values worth trying for K, whatever its name: the first one the
 * loader accepts and that changes what the flow holds is used. */
static size_t candidates(const struct conf_key *k, char out[][128], size_t max)
{
	size_t n = 0;
	// NOLINTNEXTLINE(cert-err34-c): a CK_INT default from the table
	long long def = k->def ? atoll(k->def) : 0;

	switch (k->type) {
	case CK_BOOL:
		snprintf(out[n++], 128, "true");
		snprintf(out[n++], 128, "false");
		break;
	case CK_INT:
		snprintf(out[n++], 128, "%lld", def + 1);
		snprintf(out[n++], 128, "%lld", def - 1);
		snprintf(out[n++], 128, "%lld", k->min);
		snprintf(out[n++], 128, "%lld", k->max);
		break;
	case CK_STRING:
		snprintf(out[n++], 128, "%sx", k->def ? k->def : "");
		snprintf(out[n++], 128, "target");
		snprintf(out[n++], 128, "source");
		snprintf(out[n++], 128, "_");
		break;
	case CK_LIST:
		snprintf(out[n++], 128, "x.*");
		break;
	case CK_CLASS:
		snprintf(out[n++], 128, "IdentityReplicationPolicy");
		snprintf(out[n++], 128, "DefaultReplicationPolicy");
		break;
	}
	return n < max ? n : max;
}

/*
 * Every help text is one line of ferryd --dump-keys and the key's entry in
 * ferry.conf(5) (scripts/gen-man.pl): no tab or newline, its `bold` marks
 * paired, and a key ferry implements says what it does.
 */
static void test_help_texts(void)
{
	unsigned bad = 0;

	for (unsigned i = 0; i < conf_keys_count; i++) {
		const struct conf_key *k = &conf_keys[i];
		unsigned ticks = 0;

		for (const char *p = k->help; p && *p; p++)
			ticks += *p == '`';
		if (!k->help || strpbrk(k->help, "\t\n") || ticks % 2 ||
		    (!(k->flags & (CK_WORKER | CK_NOT_YET)) && !k->help[0])) {
			diag("%s: help text missing, with a tab or newline, or an unpaired `",
			     k->name);
			bad++;
		}
	}
	ok(bad == 0, "every key's help text can be a line of --dump-keys and of ferry.conf(5)");
}

static void test_fingerprint_every_key(void)
{
	char *base = fp_with("", NULL, NULL, 0);
	unsigned checked = 0;

	ok(base != NULL, "fingerprint: the base file loads");
	for (unsigned i = 0; base && i < conf_keys_count; i++) {
		const struct conf_key *k = &conf_keys[i];
		const struct conf_key *held = k;
		char cand[8][128], basev[512] = "", newv[512] = "", line[600];
		size_t nc;
		int changed = 0, tried = 0;

		if ((k->flags & CK_FLOW) && !(k->flags & (CK_NOT_YET | CK_WORKER | CK_PREFIX)) &&
		    !(k->flags & CK_DEPRECATED) && strcmp(k->name, "enabled") != 0)
			ok(k->field != CKF_NONE,
			   "%s: a per-flow key has its place in struct conf_flow "
			   "(F(...) in conf_keys.c)",
			   k->name);
		if (k->flags & CK_DEPRECATED) {
			/* an old name lands where its current name does */
			held = conf_key_find(k->alias_of);
			if (!(k->flags & CK_FLOW) || !held || held->field == CKF_NONE)
				continue;
		} else if (k->field == CKF_NONE) {
			continue;
		}
		free(fp_with("", held, basev, sizeof(basev)));
		nc = candidates(k, cand, 8);
		for (size_t j = 0; j < nc && !changed; j++) {
			char *fp;

			/* per flow where the key may be, else at the top level */
			snprintf(line, sizeof(line), "%s%s = %s\n",
				 (k->flags & CK_FLOW) ? "A->B." : "", k->name, cand[j]);
			fp = fp_with(line, held, newv, sizeof(newv));
			if (fp && strcmp(newv, basev) != 0) {
				tried = 1;
				changed = strcmp(fp, base) != 0;
			}
			free(fp);
		}
		ok(tried, "%s: some other value loads and changes what the flow holds", k->name);
		ok(changed,
		   "%s: a commit that changes it changes the flow's fingerprint (restarts it)",
		   k->name);
		checked++;
	}
	ok(checked >= 30, "fingerprint: %u keys checked", checked);

	/* what is not a table key: client settings at every level, clusters */
	static const struct {
		const char *line;
		int changes;
		const char *what;
	} extra[] = {
		{ "A.consumer.fetch.min.bytes = 7\n", 1, "a consumer setting of the source" },
		{ "A->B.consumer.check.crcs = true\n", 1, "a flow's consumer setting" },
		{ "producer.linger.ms = 7\n", 1, "a top-level producer setting" },
		{ "B.producer.linger.ms = 7\n", 1, "a producer setting of the target" },
		{ "A->B.producer.compression.type = lz4\n", 1, "a flow's producer setting" },
		{ "A.admin.metadata.max.age.ms = 7000\n", 1, "an admin setting of the source" },
		{ "B.admin.metadata.max.age.ms = 7000\n", 1, "an admin setting of the target" },
		{ "A.bootstrap.servers = a2:9092\n", 1, "the source's bootstrap servers" },
		{ "B.reconnect.backoff.ms = 77\n", 1, "a cluster-wide setting of the target" },
		{ "client.id = x\n", 1, "a top-level client setting" },
		{ "C.bootstrap.servers = c2:9092\n", 0, "another cluster's settings" },
		{ "C->A.emit.heartbeats.enabled = false\n", 0, "another pair's heartbeats" },
		{ "ferry.appliance.name = x\n", 0, "a control-plane key" },
		{ "ferry.control.role.operator = uid:1\n", 0, "a role" },
	};
	for (size_t i = 0; base && i < sizeof(extra) / sizeof(extra[0]); i++) {
		char *fp = fp_with(extra[i].line, NULL, NULL, 0);

		ok(fp && (strcmp(fp, base) != 0) == extra[i].changes, "fingerprint %s: %s",
		   extra[i].changes ? "changes with" : "does not change with", extra[i].what);
		free(fp);
	}
	free(base);
}

/* the failback copy walks the table too */
static void test_failback_copy(void)
{
	struct diags d = { 0 };
	struct conf *c = NULL;
	struct conf_flow *fb = NULL;
	struct ferr e;
	const struct conf_flow *f;
	const char *text =
		"clusters = A, B\nA.bootstrap.servers = a:9092\nB.bootstrap.servers = b:9092\n"
		"A->B.enabled = true\n"
		"A->B.topics = orders, pay.*\n"
		"A->B.tasks.max = 3\n"
		"A->B.replication.policy.separator = _\n"
		"A->B.ferry.canary.enabled = true\n"
		"A->B.sync.group.offsets.enabled = true\n"
		"ferry.positions.flush.interval.ms = 250\n";

	ok(conf_parse("mm2.properties", text, strlen(text), &c, &d) == 0, "failback: file loads");
	f = c ? conf_find_flow(c, "A->B") : NULL;
	ok(f && conf_make_failback(c, "A->B", &fb, &e) == 0, "failback of A->B built");
	for (unsigned i = 0; f && fb && i < conf_keys_count; i++) {
		const struct conf_key *k = &conf_keys[i];
		char n1[64], n2[64];

		if (k->field == CKF_NONE || !(k->flags & CK_FAILBACK))
			continue;
		is(conf_flow_key_value(fb, k, n1, sizeof(n1)),
		   conf_flow_key_value(f, k, n2, sizeof(n2)), "failback keeps %s", k->name);
	}
	if (fb) {
		is(regexlist_source(fb->topics), "orders, pay.*", "failback: the topics of A->B");
		is_int(fb->tasks_max, 3, "failback: tasks.max of A->B");
		is(fb->policy.separator, "_", "failback: the separator of A->B");
		is_int(fb->canary_enabled, 0, "failback: no canary");
		is_int(fb->sync_group_offsets, 0, "failback: no group offset sync");
		is_int(fb->emit_checkpoints, 0, "failback: no checkpoints");
		is(fb->source, "B", "failback: from B");
	}
	conf_flow_destroy(fb);
	conf_free(c);
	diags_free(&d);
}

/* ---- overrides that break ferry's guarantees are refused ---- */

static void test_refused_overrides(void)
{
	static const char base[] = "clusters = A, B\nA.bootstrap.servers = a:9092\n"
				   "B.bootstrap.servers = b:9092\nA->B.enabled = true\n";
	static const struct {
		const char *line;
		const char *at; /* NULL: accepted */
		const char *why;
	} cases[] = {
		{ "B.producer.delivery.timeout.ms = 30000\n", ":5: delivery.timeout.ms",
		  "delivery.timeout.ms=30000 would reorder records" },
		{ "producer.delivery.timeout.ms = 120000\n", ":5: delivery.timeout.ms",
		  "would reorder records" },
		{ "A->B.producer.delivery.timeout.ms = 1\n", ":5: delivery.timeout.ms",
		  "would reorder records" },
		{ "A->B.producer.message.timeout.ms = 300000\n", ":5: message.timeout.ms",
		  "would reorder records" },
		{ "B.producer.delivery.timeout.ms = soon\n", ":5: delivery.timeout.ms",
		  "expected 0" },
		{ "B.producer.delivery.timeout.ms = 0\n", NULL, NULL },
		{ "A->B.producer.delivery.timeout.ms = 2147483647\n", NULL, NULL },
		{ "A.consumer.isolation.level = read_uncommitted\n", ":5: isolation.level",
		  "set A->B.ferry.mirror.read.uncommitted = true if that is wanted" },
		{ "consumer.isolation.level = read_uncommitted\nA->B.ferry.mirror.read.uncommitted = true\n",
		  NULL, NULL },
		{ "A->B.consumer.isolation.level = read_committed\nferry.mirror.read.uncommitted = true\n",
		  ":5: isolation.level", "contradicts ferry.mirror.read.uncommitted = true" },
		{ "A.consumer.isolation.level = dirty\n", ":5: isolation.level",
		  "expected read_committed or read_uncommitted" },
		{ "A.consumer.isolation.level = read_committed\n", NULL, NULL },
		{ "consumer.auto.offset.reset = none\n", ":5: auto.offset.reset",
		  "ferry never resets a saved position" },
		{ "A->B.consumer.auto.offset.reset = smallest\n", ":5: auto.offset.reset",
		  "expected earliest or latest" },
		{ "A.consumer.auto.offset.reset = latest\n", NULL, NULL },
		{ "A->B.consumer.auto.offset.reset = earliest\n", NULL, NULL },
		/* the failback's producer writes to A: refused there too */
		{ "A.producer.delivery.timeout.ms = 5000\n", ":5: delivery.timeout.ms",
		  "would reorder records" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[1024];
		struct diags d = { 0 };
		struct conf *c = NULL;
		int rc;

		snprintf(text, sizeof(text), "%s%s", base, cases[i].line);
		rc = conf_parse("mm2.properties", text, strlen(text), &c, &d);
		if (!cases[i].at) {
			ok(rc == 0, "accepted: %.*s", (int)strcspn(cases[i].line, "\n"),
			   cases[i].line);
			if (rc)
				for (size_t j = 0; j < d.n; j++)
					diag("%s", d.v[j].msg);
		} else {
			ok(rc != 0 && c == NULL, "refused: %.*s", (int)strcspn(cases[i].line, "\n"),
			   cases[i].line);
			like(find(&d, cases[i].at), cases[i].why, "  names file:line, key and why");
		}
		conf_free(c);
		diags_free(&d);
	}

	/* what is accepted reaches librdkafka as ferry means it */
	{
		struct diags d = { 0 };
		struct conf *c = NULL;
		const struct conf_flow *f;
		char text[1024];

		snprintf(text, sizeof(text), "%s%s", base,
			 "B.producer.delivery.timeout.ms = 2147483647\n"
			 "A.consumer.isolation.level = read_uncommitted\n"
			 "A->B.ferry.mirror.read.uncommitted = true\n"
			 "A.consumer.auto.offset.reset = latest\n");
		c = load(text, &d);
		f = c ? conf_find_flow(c, "A->B") : NULL;
		ok(f != NULL, "overrides ferry accepts load");
		if (f) {
			is(rd_get(&f->producer, ROLE_PRODUCER, "message.timeout.ms"), "0",
			   "delivery.timeout.ms=2147483647 is no timeout (0)");
			is(rd_get(&f->consumer, ROLE_CONSUMER, "isolation.level"),
			   "read_uncommitted",
			   "isolation.level=read_uncommitted when the flow asks for aborted records");
			is_int(f->mirror_read_uncommitted, 1,
			       "ferry.mirror.read.uncommitted resolved");
			is(rd_topic_get(&f->consumer, ROLE_CONSUMER, "auto.offset.reset"),
			   "largest",
			   "auto.offset.reset=latest is not handed to librdkafka (its default stays)");
		}
		conf_free(c);
		diags_free(&d);
	}
}

int main(void)
{
	struct diags d;
	struct conf *c;
	const struct conf_flow *f;

	/* --- a full, valid file --- */
	c = load("clusters = A, B, C\n"
		 "A.bootstrap.servers = a:9092\n"
		 "B.bootstrap.servers = b:9092\n"
		 "C.bootstrap.servers = c:9092\n"
		 "A->B.enabled = true\n"
		 "B->A.enabled = true\n"
		 "A->C.enabled = false\n"
		 "topics = orders.*\n"
		 "B->A.topics = pay.*\n"
		 "replication.factor = 1\n"
		 "A->B.replication.factor = 3\n"
		 "tasks.max = 2\n"
		 "refresh.topics.interval.seconds = 5\n"
		 "replication.policy.separator = _\n"
		 "security.protocol = PLAINTEXT\n"
		 "consumer.fetch.min.bytes = 10\n"
		 "A.consumer.fetch.min.bytes = 20\n"
		 "A->B.consumer.fetch.min.bytes = 30\n"
		 "B.producer.linger.ms = 7\n"
		 "topics.blacklist = x.*\n"
		 "offset.storage.replication.factor = 1\n"
		 "refresh.groups.enabled = true\n",
		 &d);
	ok(c != NULL, "valid file loads");
	is_int(d.nerrors, 0, "no errors");
	is_int(c ? c->nflows : 0, 2, "two enabled flows (A->C disabled)");
	f = flow(c, "A->B");
	ok(f != NULL, "A->B exists");
	if (f) {
		ok(regexlist_match(f->topics, "orders1") && !regexlist_match(f->topics, "pay1"),
		   "A->B uses top-level topics");
		ok(regexlist_match(f->exclude, "x1"), "deprecated topics.blacklist honoured");
		is_int(f->replication_factor, 3, "flow key overrides top level");
		is_int(f->tasks_max, 2, "tasks.max from top level");
		is_int(f->refresh_interval_s, 5, "refresh interval");
		is(f->policy.separator, "_", "separator");
		is(setting(&f->consumer, "fetch.min.bytes"), "30",
		   "A->B.consumer.* wins over A.consumer.* and consumer.*");
		is(setting(&f->consumer, "bootstrap.servers"), "a:9092",
		   "consumer reads the source");
		is(setting(&f->producer, "bootstrap.servers"), "b:9092",
		   "producer writes the target");
		is(setting(&f->producer, "linger.ms"), "7",
		   "B.producer.* applies to producers into B");
		is(setting(&f->consumer, "security.protocol"), "PLAINTEXT",
		   "top-level client key inherited");
	}
	f = flow(c, "B->A");
	if (f) {
		ok(regexlist_match(f->topics, "pay1") && !regexlist_match(f->topics, "orders1"),
		   "B->A.topics overrides topics");
		is(setting(&f->consumer, "fetch.min.bytes"), "10",
		   "B has no override: consumer.* applies");
		is_int(f->replication_factor, 1, "top-level replication.factor");
		is(setting(&f->producer, "linger.ms"), NULL,
		   "B.producer.* does not apply to producers into A");
	}
	ok(find(&d, "topics.blacklist: deprecated") != NULL, "deprecated key warned");
	ok(find(&d, "offset.storage") == NULL, "Connect worker keys ignored silently");
	ok(find(&d, "refresh.groups.enabled") == NULL,
	   "unsupported key set to what ferry does anyway: no warning");
	conf_free(c);
	diags_free(&d);

	/* --- defaults as MM2 --- */
	c = load("clusters=A,B\nA.bootstrap.servers=a:1\nB.bootstrap.servers=b:1\nA->B.enabled=true\n",
		 &d);
	f = flow(c, "A->B");
	ok(f != NULL, "minimal file");
	if (f) {
		is(regexlist_source(f->topics), ".*", "topics default .*");
		ok(regexlist_match(f->exclude, "__consumer_offsets") &&
			   regexlist_match(f->exclude, "a.internal") &&
			   regexlist_match(f->exclude, "b.replica"),
		   "MM2 default excludes");
		is_int(f->replication_factor, 2, "replication.factor default 2 (MM2)");
		is_int(f->refresh_interval_s, 600, "refresh default 600 s");
		ok(f->refresh_enabled, "refresh enabled by default");
		is_int(f->tasks_max, 1, "tasks.max default 1");
		ok(f->policy.kind == POLICY_DEFAULT && strcmp(f->policy.separator, ".") == 0,
		   "DefaultReplicationPolicy with '.'");
		is(rd_get(&f->consumer, ROLE_CONSUMER, "bootstrap.servers"), "a:1",
		   "translated bootstrap");
	}
	conf_free(c);
	diags_free(&d);

	c = load("clusters=A,B\nA.bootstrap.servers=a:1\nB.bootstrap.servers=b:1\n", &d);
	ok(c && c->nflows == 0, "flows are disabled by default, as in MM2");
	ok(find(&d, "no flow is enabled") != NULL, "and that is warned");
	conf_free(c);
	diags_free(&d);

	/* --- misspelt keys: errors with the key meant, at every scope --- */
	{
		static const struct {
			const char *line, *msg;
		} typos[] = {
			{ "A->B.topcis = orders", "mm2.properties:5: A->B.topcis: unknown flow "
						  "setting \"topcis\"; did you mean A->B.topics?" },
			{ "tasks.mx = 2",
			  "mm2.properties:5: tasks.mx: unknown setting; did you mean "
			  "tasks.max?" },
			{ "A.bootstrap.servres = a:2",
			  "mm2.properties:5: A.bootstrap.servres: unknown "
			  "cluster setting \"bootstrap.servres\"; did you mean A.bootstrap.servers?" },
			{ "A.consumer.fetch.max.bytez = 1",
			  "mm2.properties:5: A.consumer.fetch.max.bytez: "
			  "unknown consumer setting \"fetch.max.bytez\"; did you mean "
			  "A.consumer.fetch.max.bytes?" },
			{ "A->B.producer.lingr.ms = 1", "did you mean A->B.producer.linger.ms?" },
			{ "consumer.isolation.levl = read_committed", "did you mean "
								      "consumer.isolation.level?" },
			{ "sasl.mechanisms = PLAIN",
			  "sasl.mechanisms: unknown setting; did you mean "
			  "sasl.mechanism?" },
			{ "A->B.emit.checkpoint.enabled = true", "did you mean "
								 "A->B.emit.checkpoints.enabled?" },
			{ "ferry.control.sockt = /x", "did you mean ferry.control.socket?" },
			{ "A->B.enabeld = true", "did you mean A->B.enabled?" },
		};
		for (size_t i = 0; i < sizeof(typos) / sizeof(typos[0]); i++) {
			char text[512];

			snprintf(text, sizeof(text),
				 "clusters = A, B\nA.bootstrap.servers = a:1\n"
				 "B.bootstrap.servers = b:1\nA->B.enabled = true\n%s\n",
				 typos[i].line);
			c = load(text, &d);
			ok(c == NULL, "misspelt %s refuses the file", typos[i].line);
			is_int(d.nerrors, 1, "%s: one error", typos[i].line);
			like(find(&d, "did you mean"), typos[i].msg,
			     "%s: names line, key and the key meant", typos[i].line);
			conf_free(c);
			diags_free(&d);
		}
	}
	/* far from every key: something ferry does not know, a warning */
	c = load("clusters = A, B\nA.bootstrap.servers = a:1\nB.bootstrap.servers = b:1\n"
		 "A->B.enabled = true\nno.such.key = 1\nA->B.producer.totally.unknown = 1\n"
		 "C.bootstrap.servers = c:1\n",
		 &d);
	ok(c != NULL, "keys far from every known key do not refuse the file");
	like(find(&d, "no.such.key"), "mm2.properties:5: no.such.key: unknown setting, ignored",
	     "a far key is a warning");
	like(find(&d, "totally.unknown"), "unknown producer setting \"totally.unknown\", ignored",
	     "a far client key too");
	like(find(&d, "C.bootstrap"),
	     "C.bootstrap.servers: unknown setting, ignored (if C is a "
	     "cluster, `clusters` does not list it)",
	     "a client setting of an unlisted cluster is not taken for a misspelt key");
	ok(find(&d, "did you mean") == NULL, "and none of them gets a suggestion");
	conf_free(c);
	diags_free(&d);

	/* --- bad input: clear errors naming file:line and key --- */
	c = load("clusters = A, B\n"
		 "A.bootstrap.servers = a:1\n"
		 "B.bootstrap.servers = b:1\n"
		 "A->X.enabled = true\n",
		 &d);
	ok(c == NULL, "unknown alias in a flow refuses the file");
	like(find(&d, "unknown cluster alias"),
	     "mm2.properties:4: A->X.enabled: unknown cluster alias \"X\"",
	     "names file:line, key and alias");
	diags_free(&d);

	c = load("clusters = A, B\n"
		 "A.bootstrap.servers = a:1\n"
		 "A->B.enabled = true\n",
		 &d);
	ok(c == NULL, "missing bootstrap servers refuses the file");
	like(find(&d, "B.bootstrap.servers"), "missing", "names the missing key");
	diags_free(&d);

	c = load("clusters = A, B\nA.bootstrap.servers=a\nB.bootstrap.servers=b\n"
		 "A->B.enabled = true\nA->B.topics = (unclosed\n",
		 &d);
	ok(c == NULL, "invalid regex refuses the file");
	like(find(&d, "invalid regular expression"),
	     "mm2.properties:5: A->B.topics:", "names file:line and key");
	diags_free(&d);

	c = load("A.bootstrap.servers=a\n", &d);
	ok(c == NULL, "no clusters");
	like(find(&d, "clusters"), "missing", "says clusters is missing");
	diags_free(&d);

	c = load("clusters = A, B\nA.bootstrap.servers=a\nB.bootstrap.servers=b\n"
		 "A->B.enabled = yes\n"
		 "tasks.max = 0\n"
		 "replication.factor = many\n"
		 "replication.policy.class = com.example.Custom\n"
		 "B.producer.acks = 1\n"
		 "A->A.enabled = true\n",
		 &d);
	ok(c == NULL, "malformed values refuse the file");
	like(find(&d, ":4: A->B.enabled"), "expected true or false", "bad boolean");
	like(find(&d, ":5: tasks.max"), "out of range; expected 1..256", "out of range");
	like(find(&d, ":6: replication.factor"), "expected an integer", "not a number");
	like(find(&d, ":7: replication.policy.class"), "unsupported replication policy",
	     "unknown policy");
	like(find(&d, ":9: A->A.enabled"), "two different clusters", "self flow");
	diags_free(&d);

	c = load("clusters = A, B\nA.bootstrap.servers=a\nB.bootstrap.servers=b\n"
		 "A->B.enabled = true\nB.producer.acks = 1\n",
		 &d);
	ok(c == NULL, "acks=1 refused");
	like(find(&d, ":5: acks"), "ferry requires acks=all", "says why");
	diags_free(&d);

	c = load("clusters = A, B\nA.bootstrap.servers=a\nB.bootstrap.servers=b\n"
		 "A->B.enabled = true\nA->B.refresh.groups.enabled = false\nA.consumer.no.such.key = 1\n"
		 "A.replication.factor = 3\n",
		 &d);
	ok(c != NULL, "unsupported keys are warnings, not errors");
	like(find(&d, ":5: A->B.refresh.groups.enabled"), "not supported by ferry yet",
	     "not-yet key warned");
	like(find(&d, ":6: A.consumer.no.such.key"), "unknown consumer setting",
	     "unknown client key warned");
	like(find(&d, ":7: A.replication.factor"), "not read per cluster",
	     "cluster-scoped flow key warned");
	conf_free(c);
	diags_free(&d);

	/* client.dns.lookup: what librdkafka 2.0.2 does anyway, or a warning */
	c = load("clusters = A, B\nA.bootstrap.servers=a\nB.bootstrap.servers=b\n"
		 "A->B.enabled = true\nclient.dns.lookup = use_all_dns_ips\n"
		 "B.client.dns.lookup = resolve_canonical_bootstrap_servers_only\n",
		 &d);
	ok(c != NULL, "client.dns.lookup as MM2 files set it starts");
	ok(find(&d, ":5: client.dns.lookup") == NULL,
	   "use_all_dns_ips is what librdkafka does: no word");
	like(find(&d, ":6: client.dns.lookup"), "not supported, ignored",
	     "the canonical lookup librdkafka cannot do is warned");
	conf_free(c);
	diags_free(&d);
	c = load("clusters = A, B\nA.bootstrap.servers=a\nB.bootstrap.servers=b\n"
		 "A->B.enabled = true\nclient.dns.lookup = all_of_them\n",
		 &d);
	ok(c == NULL, "an unknown client.dns.lookup refuses the file");
	like(find(&d, ":5: client.dns.lookup"), "expected use_all_dns_ips or",
	     "names what is expected");
	diags_free(&d);

	/* --- security settings translated to librdkafka --- */
	c = load("clusters = A, B\nA.bootstrap.servers=a\nB.bootstrap.servers=b\n"
		 "A->B.enabled = true\n"
		 "A.security.protocol = sasl_plaintext\n"
		 "A.sasl.mechanism = SCRAM-SHA-256\n"
		 "A.sasl.jaas.config = org.apache.kafka.common.security.scram.ScramLoginModule required "
		 "username=\"alice\" password=\"s3cr\\\\\"et\";\n"
		 "B.producer.max.request.size = 2000000\n"
		 "B.producer.buffer.memory = 33554432\n"
		 "A.consumer.fetch.max.wait.ms = 250\n",
		 &d);
	f = flow(c, "A->B");
	ok(f != NULL, "SASL config loads");
	if (f) {
		is(rd_get(&f->consumer, ROLE_CONSUMER, "security.protocol"), "sasl_plaintext",
		   "protocol");
		is(rd_get(&f->consumer, ROLE_CONSUMER, "sasl.mechanisms"), "SCRAM-SHA-256",
		   "mechanism");
		is(rd_get(&f->consumer, ROLE_CONSUMER, "sasl.username"), "alice", "JAAS username");
		is(rd_get(&f->consumer, ROLE_CONSUMER, "sasl.password"), "s3cr\"et",
		   "JAAS password, escaped quote");
		is(rd_get(&f->consumer, ROLE_CONSUMER, "fetch.wait.max.ms"), "250",
		   "fetch.max.wait.ms renamed");
		is(rd_get(&f->producer, ROLE_PRODUCER, "message.max.bytes"), "2000000",
		   "max.request.size renamed");
		is(rd_get(&f->producer, ROLE_PRODUCER, "queue.buffering.max.kbytes"), "32768",
		   "buffer.memory in KiB");
		ok(clientconf_is_sensitive("sasl.jaas.config") &&
			   clientconf_is_sensitive("ssl.keystore.password"),
		   "secrets are marked sensitive");
	}
	conf_free(c);
	diags_free(&d);

	char jks[] = "/tmp/ferry-test-XXXXXX";
	int fd = mkstemp(jks);
	const unsigned char magic[] = { 0xFE, 0xED, 0xFE, 0xED, 0, 0, 0, 2 };

	ok(fd >= 0 && write(fd, magic, sizeof(magic)) == (ssize_t)sizeof(magic),
	   "wrote a JKS-looking file");
	close(fd);
	char text[1024];

	snprintf(text, sizeof(text),
		 "clusters = A, B\nA.bootstrap.servers=a\nB.bootstrap.servers=b\n"
		 "A->B.enabled = true\nA.security.protocol=SSL\nA.ssl.truststore.location=%s\n",
		 jks);
	c = load(text, &d);
	ok(c == NULL, "JKS truststore refused");
	like(find(&d, ":6: ssl.truststore.location"), "Java KeyStore (JKS)",
	     "with a conversion hint");
	diags_free(&d);
	unlink(jks);

	snprintf(text, sizeof(text),
		 "clusters = A, B\nA.bootstrap.servers=a\nB.bootstrap.servers=b\n"
		 "A->B.enabled = true\nA.ssl.truststore.location=/nonexistent/ca.pem\n");
	c = load(text, &d);
	ok(c == NULL, "missing truststore refused");
	like(find(&d, ":5: ssl.truststore.location"), "cannot open /nonexistent/ca.pem",
	     "names the file");
	diags_free(&d);

	test_help_texts();
	test_fingerprint_every_key();
	test_failback_copy();
	test_refused_overrides();
	return done_testing();
}
