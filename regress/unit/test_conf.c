/*
 * test_conf.c — MM2 config loading: precedence, validation messages,
 * and translation of client settings to librdkafka.
 */
#include "appliance/clientconf.h"
#include "appliance/conf.h"
#include "tap.h"

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
		 "sync.topic.acls.enabled = false\n", &d);
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
		is(setting(&f->consumer, "fetch.min.bytes"), "30", "A->B.consumer.* wins over A.consumer.* and consumer.*");
		is(setting(&f->consumer, "bootstrap.servers"), "a:9092", "consumer reads the source");
		is(setting(&f->producer, "bootstrap.servers"), "b:9092", "producer writes the target");
		is(setting(&f->producer, "linger.ms"), "7", "B.producer.* applies to producers into B");
		is(setting(&f->consumer, "security.protocol"), "PLAINTEXT", "top-level client key inherited");
	}
	f = flow(c, "B->A");
	if (f) {
		ok(regexlist_match(f->topics, "pay1") && !regexlist_match(f->topics, "orders1"),
		   "B->A.topics overrides topics");
		is(setting(&f->consumer, "fetch.min.bytes"), "10", "B has no override: consumer.* applies");
		is_int(f->replication_factor, 1, "top-level replication.factor");
		is(setting(&f->producer, "linger.ms"), NULL, "B.producer.* does not apply to producers into A");
	}
	ok(find(&d, "topics.blacklist: deprecated") != NULL, "deprecated key warned");
	ok(find(&d, "offset.storage") == NULL, "Connect worker keys ignored silently");
	ok(find(&d, "sync.topic.acls.enabled") == NULL,
	   "unsupported key set to what ferry does anyway: no warning");
	conf_free(c);
	diags_free(&d);

	/* --- defaults as MM2 --- */
	c = load("clusters=A,B\nA.bootstrap.servers=a:1\nB.bootstrap.servers=b:1\nA->B.enabled=true\n", &d);
	f = flow(c, "A->B");
	ok(f != NULL, "minimal file");
	if (f) {
		is(regexlist_source(f->topics), ".*", "topics default .*");
		ok(regexlist_match(f->exclude, "__consumer_offsets") &&
		   regexlist_match(f->exclude, "a.internal") && regexlist_match(f->exclude, "b.replica"),
		   "MM2 default excludes");
		is_int(f->replication_factor, 2, "replication.factor default 2 (MM2)");
		is_int(f->refresh_interval_s, 600, "refresh default 600 s");
		ok(f->refresh_enabled, "refresh enabled by default");
		is_int(f->tasks_max, 1, "tasks.max default 1");
		ok(f->policy.kind == POLICY_DEFAULT && strcmp(f->policy.separator, ".") == 0,
		   "DefaultReplicationPolicy with '.'");
		is(rd_get(&f->consumer, ROLE_CONSUMER, "bootstrap.servers"), "a:1", "translated bootstrap");
	}
	conf_free(c);
	diags_free(&d);

	c = load("clusters=A,B\nA.bootstrap.servers=a:1\nB.bootstrap.servers=b:1\n", &d);
	ok(c && c->nflows == 0, "flows are disabled by default, as in MM2");
	ok(find(&d, "no flow is enabled") != NULL, "and that is warned");
	conf_free(c);
	diags_free(&d);

	/* --- bad input: clear errors naming file:line and key --- */
	c = load("clusters = A, B\n"
		 "A.bootstrap.servers = a:1\n"
		 "B.bootstrap.servers = b:1\n"
		 "A->X.enabled = true\n", &d);
	ok(c == NULL, "unknown alias in a flow refuses the file");
	like(find(&d, "unknown cluster alias"), "mm2.properties:4: A->X.enabled: unknown cluster alias \"X\"",
	     "names file:line, key and alias");
	diags_free(&d);

	c = load("clusters = A, B\n"
		 "A.bootstrap.servers = a:1\n"
		 "A->B.enabled = true\n", &d);
	ok(c == NULL, "missing bootstrap servers refuses the file");
	like(find(&d, "B.bootstrap.servers"), "missing", "names the missing key");
	diags_free(&d);

	c = load("clusters = A, B\nA.bootstrap.servers=a\nB.bootstrap.servers=b\n"
		 "A->B.enabled = true\nA->B.topics = (unclosed\n", &d);
	ok(c == NULL, "invalid regex refuses the file");
	like(find(&d, "invalid regular expression"), "mm2.properties:5: A->B.topics:", "names file:line and key");
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
		 "A->A.enabled = true\n", &d);
	ok(c == NULL, "malformed values refuse the file");
	like(find(&d, ":4: A->B.enabled"), "expected true or false", "bad boolean");
	like(find(&d, ":5: tasks.max"), "out of range; expected 1..256", "out of range");
	like(find(&d, ":6: replication.factor"), "expected an integer", "not a number");
	like(find(&d, ":7: replication.policy.class"), "unsupported replication policy", "unknown policy");
	like(find(&d, ":9: A->A.enabled"), "two different clusters", "self flow");
	diags_free(&d);

	c = load("clusters = A, B\nA.bootstrap.servers=a\nB.bootstrap.servers=b\n"
		 "A->B.enabled = true\nB.producer.acks = 1\n", &d);
	ok(c == NULL, "acks=1 refused");
	like(find(&d, ":5: acks"), "ferry requires acks=all", "says why");
	diags_free(&d);

	c = load("clusters = A, B\nA.bootstrap.servers=a\nB.bootstrap.servers=b\n"
		 "A->B.enabled = true\nA->B.sync.topic.acls.enabled = true\nA.consumer.no.such.key = 1\n"
		 "A.replication.factor = 3\n", &d);
	ok(c != NULL, "unsupported keys are warnings, not errors");
	like(find(&d, ":5: A->B.sync.topic.acls.enabled"), "not supported by ferry yet", "not-yet key warned");
	like(find(&d, ":6: A.consumer.no.such.key"), "unknown consumer setting", "unknown client key warned");
	like(find(&d, ":7: A.replication.factor"), "not read per cluster", "cluster-scoped flow key warned");
	conf_free(c);
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
		 "A.consumer.fetch.max.wait.ms = 250\n", &d);
	f = flow(c, "A->B");
	ok(f != NULL, "SASL config loads");
	if (f) {
		is(rd_get(&f->consumer, ROLE_CONSUMER, "security.protocol"), "sasl_plaintext", "protocol");
		is(rd_get(&f->consumer, ROLE_CONSUMER, "sasl.mechanisms"), "SCRAM-SHA-256", "mechanism");
		is(rd_get(&f->consumer, ROLE_CONSUMER, "sasl.username"), "alice", "JAAS username");
		is(rd_get(&f->consumer, ROLE_CONSUMER, "sasl.password"), "s3cr\"et", "JAAS password, escaped quote");
		is(rd_get(&f->consumer, ROLE_CONSUMER, "fetch.wait.max.ms"), "250", "fetch.max.wait.ms renamed");
		is(rd_get(&f->producer, ROLE_PRODUCER, "message.max.bytes"), "2000000", "max.request.size renamed");
		is(rd_get(&f->producer, ROLE_PRODUCER, "queue.buffering.max.kbytes"), "32768", "buffer.memory in KiB");
		ok(clientconf_is_sensitive("sasl.jaas.config") && clientconf_is_sensitive("ssl.keystore.password"),
		   "secrets are marked sensitive");
	}
	conf_free(c);
	diags_free(&d);

	char jks[] = "/tmp/ferry-test-XXXXXX";
	int fd = mkstemp(jks);
	const unsigned char magic[] = { 0xFE, 0xED, 0xFE, 0xED, 0, 0, 0, 2 };

	ok(fd >= 0 && write(fd, magic, sizeof(magic)) == (ssize_t)sizeof(magic), "wrote a JKS-looking file");
	close(fd);
	char text[1024];

	snprintf(text, sizeof(text), "clusters = A, B\nA.bootstrap.servers=a\nB.bootstrap.servers=b\n"
		 "A->B.enabled = true\nA.security.protocol=SSL\nA.ssl.truststore.location=%s\n", jks);
	c = load(text, &d);
	ok(c == NULL, "JKS truststore refused");
	like(find(&d, ":6: ssl.truststore.location"), "Java KeyStore (JKS)", "with a conversion hint");
	diags_free(&d);
	unlink(jks);

	snprintf(text, sizeof(text), "clusters = A, B\nA.bootstrap.servers=a\nB.bootstrap.servers=b\n"
		 "A->B.enabled = true\nA.ssl.truststore.location=/nonexistent/ca.pem\n");
	c = load(text, &d);
	ok(c == NULL, "missing truststore refused");
	like(find(&d, ":5: ssl.truststore.location"), "cannot open /nonexistent/ca.pem", "names the file");
	diags_free(&d);
	return done_testing();
}
