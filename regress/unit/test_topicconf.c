/*
 * test_topicconf.c — the desired config set of a remote topic (what topic
 * config sync sends with the whole-set AlterConfigs), its comparison with
 * the target's current set and the description of a change.
 */
#include <string.h>

#include "appliance/conf/conf_keys.h"
#include "appliance/conf/props.h"
#include "appliance/conf/topicfilter.h"
#include "appliance/sync/topicconf.h"
#include "tap.h"

enum {
	DYN = RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG,
	DYNB = RD_KAFKA_CONFIG_SOURCE_DYNAMIC_BROKER_CONFIG,
	STATIC = RD_KAFKA_CONFIG_SOURCE_STATIC_BROKER_CONFIG,
	DEF = RD_KAFKA_CONFIG_SOURCE_DEFAULT_CONFIG,
};

static const char *val(const struct tc_set *s, const char *name)
{
	const struct tc_entry *e = tc_set_get(s, name);

	return e ? (e->value ? e->value : "(null)") : "(absent)";
}

int main(void)
{
	struct tc_set src = { 0 }, tgt = { 0 }, want = { 0 }, cur = { 0 }, none = { 0 };
	struct regexlist *mm2 = NULL, *custom = NULL;
	struct props ov = { 0 };
	struct ferr err;
	char buf[512];

	ok(regexlist_compile(conf_key_find("config.properties.exclude")->def, &mm2, &err) == 0,
	   "MM2's default exclude list compiles");
	ok(regexlist_compile("segment\\.ms, flush\\..*", &custom, &err) == 0,
	   "a custom exclude list compiles");

	/* the source as DescribeConfigs gives it */
	tc_set_put(&src, "retention.ms", "3600000", DYN, 0, 0);
	tc_set_put(&src, "cleanup.policy", "compact", DYN, 0, 0);
	tc_set_put(&src, "max.message.bytes", "2000000", DYNB, 0, 0);
	tc_set_put(&src, "min.insync.replicas", "2", DYN, 0, 0);
	tc_set_put(&src, "message.timestamp.type", "LogAppendTime", DYN, 0, 0);
	tc_set_put(&src, "unclean.leader.election.enable", "true", DYN, 0, 0);
	tc_set_put(&src, "leader.replication.throttled.replicas", "0:1", DYN, 0, 0);
	tc_set_put(&src, "segment.bytes", "1073741824", DEF, 0, 0);
	tc_set_put(&src, "log.dirs.static", "/x", STATIC, 0, 0);
	tc_set_put(&src, "ro.thing", "1", DYN, 1, 0);
	tc_set_put(&src, "secret.thing", NULL, DYN, 0, 1);
	tc_set_put(&src, "segment.ms", "7200000", DYN, 0, 0);
	ok(src.n == 12 && strcmp(src.v[0].name, "cleanup.policy") == 0, "a set is kept sorted");
	tc_set_put(&src, "retention.ms", "86400000", DYN, 0, 0);
	is(val(&src, "retention.ms"), "86400000", "putting a name again replaces its value");
	ok(src.n == 12, "and adds nothing");

	/* use.defaults.from = target, MM2's exclude list, no target yet */
	ok(topicconf_desired(&src, NULL, mm2, 0, NULL, &want) == 0, "desired set for a new topic");
	is(val(&want, "retention.ms"), "86400000", "a topic-level value is copied");
	is(val(&want, "cleanup.policy"), "compact", "cleanup.policy is copied");
	is(val(&want, "max.message.bytes"), "2000000", "a dynamic broker value is copied (MM2)");
	is(val(&want, "segment.ms"), "7200000", "segment.ms is not in MM2's list");
	is(val(&want, "min.insync.replicas"), "(absent)", "min.insync.replicas is excluded");
	is(val(&want, "message.timestamp.type"), "(absent)", "message.timestamp.type is excluded");
	is(val(&want, "unclean.leader.election.enable"), "(absent)",
	   "unclean.leader.election.enable is excluded");
	is(val(&want, "leader.replication.throttled.replicas"), "(absent)",
	   "leader.replication.throttled.replicas is excluded");
	is(val(&want, "segment.bytes"), "(absent)",
	   "a default is not copied (use.defaults.from=target)");
	is(val(&want, "log.dirs.static"), "(absent)", "a static broker entry is never copied");
	is(val(&want, "ro.thing"), "(absent)", "a read-only entry is never copied");
	is(val(&want, "secret.thing"), "(absent)", "a sensitive entry is never copied");
	ok(want.n == 4, "nothing else (%zu entries)", want.n);
	for (size_t i = 0; i < want.n; i++)
		ok(want.v[i].source == DYN, "%s is sent as a topic-level config", want.v[i].name);
	tc_set_free(&want);

	/* use.defaults.from = source */
	topicconf_desired(&src, NULL, mm2, 1, NULL, &want);
	is(val(&want, "segment.bytes"), "1073741824", "use.defaults.from=source copies defaults");
	is(val(&want, "log.dirs.static"), "(absent)", "still no static broker entry");
	tc_set_free(&want);

	/* the target holds values of its own: excluded ones stay, others go */
	tc_set_put(&tgt, "min.insync.replicas", "1", DYN, 0, 0);
	tc_set_put(&tgt, "segment.ms", "60000", DYN, 0, 0);
	tc_set_put(&tgt, "retention.ms", "1", DYN, 0, 0);
	tc_set_put(&tgt, "compression.type", "zstd", DYN, 0, 0);
	tc_set_put(&tgt, "message.timestamp.type", "CreateTime", DEF, 0, 0);
	tc_set_put(&tgt, "flush.ms", "5", DYN, 0, 0);
	props_set(&ov, "retention.bytes", "1000000000", 3);
	props_set(&ov, "flush.messages", "1000", 4);
	props_set(&ov, "flush.messages", "2000", 5);
	props_set(&ov, "min.insync.replicas", "3", 6);
	ok(topicconf_desired(&src, &tgt, custom, 0, &ov, &want) == 0, "desired set for a sync");
	is(val(&want, "min.insync.replicas"), "3", "an override wins even over an excluded config");
	is(val(&want, "segment.ms"), "60000",
	   "an excluded config keeps the target's own value (KAFKA-14420)");
	is(val(&want, "flush.ms"), "5", "so does one matched by a pattern (flush\\..*)");
	is(val(&want, "retention.ms"), "86400000", "a copied config takes the source's value");
	is(val(&want, "compression.type"), "(absent)",
	   "a target value of a config not excluded goes back to its default");
	is(val(&want, "message.timestamp.type"), "LogAppendTime",
	   "a config MM2 excludes by default is copied when a custom list leaves it out");
	is(val(&want, "retention.bytes"), "1000000000", "an override is added");
	is(val(&want, "flush.messages"), "2000", "the later line of an override wins");

	/* compare with what the target holds */
	ok(topicconf_current(&tgt, &cur) == 0, "the target's current set");
	ok(cur.n == 5, "is its topic-level entries (%zu)", cur.n);
	ok(!topicconf_equal(&want, &cur), "differs from the desired one: an alter is due");
	topicconf_diff(&cur, &want, buf, sizeof(buf));
	like(buf, "retention.ms 1 -> 86400000", "the change names the old and new value");
	like(buf, "retention.bytes (default) -> 1000000000", "and configs set anew");
	like(buf, "compression.type zstd -> (default)", "and configs that go back to default");
	ok(strstr(buf, "segment.ms") == NULL, "and not what stays");
	ok(topicconf_equal(&want, &want), "a set equals itself: no needless alter");
	ok(topicconf_equal(&none, &none), "two empty sets are equal");
	tc_set_free(&cur);
	tc_set_free(&want);

	/* a target already in line */
	topicconf_desired(&src, NULL, custom, 0, NULL, &want);
	{
		struct tc_set in_line = { 0 };

		for (size_t i = 0; i < want.n; i++)
			tc_set_put(&in_line, want.v[i].name, want.v[i].value, DYN, 0, 0);
		tc_set_put(&in_line, "segment.bytes", "1073741824", DEF, 0, 0);
		topicconf_current(&in_line, &cur);
		ok(topicconf_equal(&want, &cur), "a target in line with the source needs no alter");
		tc_set_free(&in_line);
	}
	tc_set_free(&cur);
	tc_set_free(&want);

	/* overrides only (a source that could not be described) */
	topicconf_desired(NULL, NULL, NULL, 0, &ov, &want);
	ok(want.n == 3, "overrides alone make a set");
	tc_set_free(&want);

	props_free(&ov);
	tc_set_free(&src);
	tc_set_free(&tgt);
	regexlist_free(mm2);
	regexlist_free(custom);
	/* only a refusal of the configs makes discovery create a topic bare */
	ok(topicconf_refused_configs(RD_KAFKA_RESP_ERR_INVALID_CONFIG) &&
		   topicconf_refused_configs(RD_KAFKA_RESP_ERR_POLICY_VIOLATION),
	   "INVALID_CONFIG and POLICY_VIOLATION refuse the configs");
	ok(!topicconf_refused_configs(RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT) &&
		   !topicconf_refused_configs(RD_KAFKA_RESP_ERR_NOT_CONTROLLER) &&
		   !topicconf_refused_configs(RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED),
	   "a timeout, a moving controller, a missing right: asked again with the configs");
	/* the source gives no answer at all (here: the flow stops at once, on
	 * a real client that has no broker to ask): 1, and discovery creates
	 * nothing rather than every new topic bare */
	{
		char es[256];
		rd_kafka_conf_t *kc = rd_kafka_conf_new();
		rd_kafka_t *rk;
		struct conf_flow cf;
		struct tc_set out[2];
		const char *const names[] = { "orders", "payments" };
		atomic_int stop = 1;

		memset(&cf, 0, sizeof(cf));
		memset(out, 0, sizeof(out));
		rd_kafka_conf_set(kc, "bootstrap.servers", "127.0.0.1:1", es, sizeof(es));
		rd_kafka_conf_set(kc, "log_level", "0", es, sizeof(es));
		rk = rd_kafka_new(RD_KAFKA_PRODUCER, kc, es, sizeof(es));
		if (!ok(rk != NULL, "a client"))
			diag("%s", es);
		if (rk) {
			ok(topicconf_for_create(rk, &cf, names, 2, out, &stop) == 1,
			   "no answer for the configs: 1 (create nothing this round)");
			ok(out[0].error && out[1].error, "each topic says why");
			tc_set_free(&out[0]);
			tc_set_free(&out[1]);
			rd_kafka_destroy(rk);
		}
	}
	return done_testing();
}
