/*
 * test_policy.c — MM2's replication policies and topic filters.
 */
#include "appliance/conf/policy.h"
#include "appliance/conf/topicfilter.h"
#include "tap.h"

int main(void)
{
	struct policy d, id, dash;
	struct ferr err;
	char buf[256];
	enum policy_kind k;

	ok(policy_kind_parse("org.apache.kafka.connect.mirror.DefaultReplicationPolicy", &k) == 0 &&
		   k == POLICY_DEFAULT,
	   "fully qualified DefaultReplicationPolicy");
	ok(policy_kind_parse("IdentityReplicationPolicy", &k) == 0 && k == POLICY_IDENTITY,
	   "simple IdentityReplicationPolicy");
	ok(policy_kind_parse("com.example.MyPolicy", &k) == -1, "unknown class refused");
	ok(policy_init(&d, POLICY_DEFAULT, "", &err) == -1, "empty separator refused");

	policy_init(&d, POLICY_DEFAULT, ".", &err);
	policy_init(&id, POLICY_IDENTITY, ".", &err);
	policy_init(&dash, POLICY_DEFAULT, "__", &err);

	policy_format_remote(&d, "A", "orders", buf, sizeof(buf));
	is(buf, "A.orders", "default: alias.topic");
	policy_format_remote(&dash, "A", "orders", buf, sizeof(buf));
	is(buf, "A__orders", "custom separator");
	policy_format_remote(&id, "A", "orders", buf, sizeof(buf));
	is(buf, "orders", "identity keeps the name");
	policy_format_remote(&id, "A", "heartbeats", buf, sizeof(buf));
	is(buf, "A.heartbeats", "identity still prefixes heartbeats");
	ok(policy_format_remote(&d, "A", "x", buf, 3) == -1, "too long for the buffer");

	ok(policy_topic_source(&d, "B.orders", buf, sizeof(buf)) == 1, "B.orders is remote");
	is(buf, "B", "its source is B");
	ok(policy_topic_source(&d, "orders", buf, sizeof(buf)) == 0, "orders is not remote");
	ok(policy_topic_source(&d, "orders.", buf, sizeof(buf)) == 0,
	   "trailing separator only: not remote (Java split drops trailing empties)");
	ok(policy_topic_source(&id, "B.orders", buf, sizeof(buf)) == 0,
	   "identity: nothing is remote");
	ok(policy_upstream_topic(&d, "C.B.orders", buf, sizeof(buf)) == 1, "two hops");
	is(buf, "B.orders", "upstream of C.B.orders");

	ok(policy_is_cycle(&d, "B.orders", "B"), "B.orders must not go back to B");
	ok(policy_is_cycle(&d, "C.B.orders", "B"), "nor C.B.orders (B two hops up)");
	ok(!policy_is_cycle(&d, "C.orders", "B"), "C.orders may go to B");
	ok(!policy_is_cycle(&d, "orders", "B"), "a local topic may go to B");
	ok(!policy_is_cycle(&id, "orders", "B"), "identity cannot detect cycles by name");

	ok(policy_is_internal(&d, "__consumer_offsets"), "__ is internal");
	ok(policy_is_internal(&d, ".hidden"), ". prefix is internal");
	ok(policy_is_internal(&d, "mm2-offset-syncs.B.internal"), ".internal is internal");
	ok(policy_is_internal(&d, "connect-offsets-internal"), "-internal is internal");
	ok(!policy_is_internal(&d, "orders"), "orders is not");

	ok(policy_is_heartbeats(&d, "heartbeats"), "heartbeats");
	ok(policy_is_heartbeats(&d, "A.heartbeats"), "A.heartbeats");
	ok(policy_is_heartbeats(&d, "B.A.heartbeats"), "B.A.heartbeats");
	ok(!policy_is_heartbeats(&d, "A.heartbeats2"), "not A.heartbeats2");

	/* MM2's internal topic names follow the separator (unless told not to) */
	policy_offset_syncs_topic(&d, "B", buf, sizeof(buf));
	is(buf, "mm2-offset-syncs.B.internal", "offset-syncs topic");
	policy_checkpoints_topic(&d, "A", buf, sizeof(buf));
	is(buf, "A.checkpoints.internal", "checkpoints topic");
	policy_offset_syncs_topic(&dash, "B", buf, sizeof(buf));
	is(buf, "mm2-offset-syncs__B__internal", "custom separator in internal names");
	ok(policy_is_internal(&dash, "A__checkpoints__internal"), "and such a name is internal");
	policy_set_internal_separator(&dash, 0);
	policy_checkpoints_topic(&dash, "A", buf, sizeof(buf));
	is(buf, "A.checkpoints.internal", "internal.topic.separator.enabled=false: dots");

	/* topic filters: a comma list of Java regexes, joined with |, whole match */
	struct regexlist *rl;

	ok(regexlist_compile("orders.*, pay", &rl, &err) == 0, "list compiles");
	ok(regexlist_match(rl, "orders"), "orders matches orders.*");
	ok(regexlist_match(rl, "orders-eu"), "orders-eu matches orders.*");
	ok(regexlist_match(rl, "pay"), "pay matches");
	ok(!regexlist_match(rl, "payments"), "payments does not (whole-name match)");
	ok(!regexlist_match(rl, "xorders"), "xorders does not (anchored at start)");
	is(regexlist_source(rl), "orders.*, pay", "source kept for display");
	regexlist_free(rl);

	ok(regexlist_compile(".*[\\-\\.]internal, .*\\.replica, __.*", &rl, &err) == 0,
	   "MM2's default exclude list compiles");
	ok(regexlist_match(rl, "x.internal") && regexlist_match(rl, "x-internal"), "internal");
	ok(regexlist_match(rl, "t.replica") && regexlist_match(rl, "__consumer_offsets"),
	   "replica and __");
	ok(!regexlist_match(rl, "orders"), "orders not excluded");
	regexlist_free(rl);

	ok(regexlist_compile("a|ab", &rl, &err) == 0 && regexlist_match(rl, "ab"),
	   "alternation backtracks to a whole match");
	regexlist_free(rl);
	ok(regexlist_compile("", &rl, &err) == 0 && !regexlist_match(rl, "") &&
		   !regexlist_match(rl, "x"),
	   "empty list matches nothing");
	regexlist_free(rl);
	ok(regexlist_compile("good, [bad", &rl, &err) == -1, "invalid regex refused");
	like(err.msg, "[bad", "error quotes the list");
	like(err.msg, "missing terminating ]", "error says what is wrong");
	return done_testing();
}
