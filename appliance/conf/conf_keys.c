/*
 * conf_keys.c — the table itself. Defaults are MM2's, so a file written
 * for MM2 means the same thing here.
 */
#include "appliance/conf/conf_keys.h"

#include <stddef.h>
#include <string.h>

#include "appliance/conf/conf.h"

#define NB 0, 0            /* no bounds */
#define NOF CKF_NONE, 0, 0 /* no per-flow value */
/* where the resolved value lives in struct conf_flow */
#define F(type, member) \
	type, offsetof(struct conf_flow, member), sizeof(((struct conf_flow *)0)->member)

const struct conf_key conf_keys[] = {
	/* --- topology --- */
	{ "clusters", CK_LIST, NULL, NB, CK_GLOBAL, NULL, NULL,
	  "Aliases of the Kafka clusters of the topology, comma-separated.", NOF },
	{ "enabled", CK_BOOL, "false", NB, CK_FLOW, NULL, NULL,
	  "Whether flow A->B runs (set as A->B.enabled).", NOF },
	{ "topics", CK_LIST, ".*", NB, CK_GLOBAL | CK_FLOW | CK_FAILBACK, NULL, NULL,
	  "Java regular expressions of the topics to mirror; the list is joined with '|' "
	  "and must match the whole topic name.",
	  // NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, sized by its element
	  F(CKF_REGEX, topics) },
	{ "topics.exclude", CK_LIST, ".*[\\-\\.]internal, .*\\.replica, __.*", NB,
	  CK_GLOBAL | CK_FLOW | CK_FAILBACK, NULL, NULL,
	  "Regular expressions of topics never mirrored, even when `topics` matches.",
	  // NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, sized by its element
	  F(CKF_REGEX, exclude) },
	{ "topics.blacklist", CK_LIST, NULL, NB, CK_GLOBAL | CK_FLOW | CK_DEPRECATED,
	  "topics.exclude", NULL, "Deprecated name of topics.exclude.", NOF },
	{ "replication.policy.class", CK_CLASS,
	  "org.apache.kafka.connect.mirror.DefaultReplicationPolicy", NB,
	  CK_GLOBAL | CK_FLOW | CK_FAILBACK, NULL, NULL,
	  "How remote topics are named: DefaultReplicationPolicy (A.orders) or "
	  "IdentityReplicationPolicy (orders).",
	  F(CKF_POLICY, policy.kind) },
	{ "replication.policy.separator", CK_STRING, ".", NB, CK_GLOBAL | CK_FLOW | CK_FAILBACK,
	  NULL, NULL, "Separator between source alias and topic in remote topic names.",
	  F(CKF_STR, policy.separator) },
	{ "replication.factor", CK_INT, "2", -1, 32767, CK_GLOBAL | CK_FLOW | CK_FAILBACK, NULL,
	  NULL,
	  "Replication factor of remote topics ferry creates; -1 uses the target "
	  "broker's default.",
	  F(CKF_INT, replication_factor) },
	{ "refresh.topics.enabled", CK_BOOL, "true", NB, CK_GLOBAL | CK_FLOW | CK_FAILBACK, NULL,
	  NULL, "Whether new source topics and partitions are picked up while running.",
	  F(CKF_BOOL, refresh_enabled) },
	// NOLINTNEXTLINE(bugprone-implicit-widening-of-multiplication-result): fits in int
	{ "refresh.topics.interval.seconds", CK_INT, "600", 1, 86400 * 365,
	  CK_GLOBAL | CK_FLOW | CK_FAILBACK, NULL, NULL,
	  "How often the source is checked for new topics and partitions.",
	  F(CKF_LL, refresh_interval_s) },
	{ "tasks.max", CK_INT, "1", 1, 256, CK_GLOBAL | CK_FLOW | CK_FAILBACK, NULL, NULL,
	  "Mirror workers per flow; each owns a stable share of the partitions "
	  "and has its own consumer and producer.",
	  F(CKF_INT, tasks_max) },

	/* --- ferry's own keys --- */
	{ "ferry.positions.flush.interval.ms", CK_INT, "1000", 10, 600000, CK_GLOBAL | CK_FAILBACK,
	  NULL, NULL,
	  "How often acknowledged source positions are written to the state store; "
	  "a crash re-sends at most this much (duplicates, never loss).",
	  F(CKF_LL, flush_interval_ms) },
	{ "ferry.shutdown.timeout.ms", CK_INT, "30000", 0, 3600000, CK_GLOBAL | CK_FAILBACK, NULL,
	  NULL,
	  "On SIGTERM, how long to wait for in-flight records to be acknowledged "
	  "before giving up on them (they are re-sent after restart).",
	  F(CKF_LL, shutdown_timeout_ms) },
	{ "ferry.mirror.max.inflight.bytes", CK_INT, "33554432", 65536, 17179869184LL,
	  CK_GLOBAL | CK_FAILBACK, NULL, NULL,
	  "Per mirror task, the key + value bytes of records handed to the target producer and "
	  "not yet acknowledged; at this budget the task stops taking records from the source "
	  "until acknowledgements free it (see ferryd(8), Memory).",
	  F(CKF_LL, max_inflight_bytes) },

	{ "ferry.appliance.name", CK_STRING, "", NB, CK_GLOBAL, NULL, NULL,
	  "Name of this appliance in the shell prompt and `show version`; empty: the host name.",
	  NOF },
	{ "ferry.control.socket", CK_STRING, "/run/ferry/control.sock", NB, CK_GLOBAL | CK_RESTART,
	  NULL, NULL,
	  "UNIX socket of the control protocol (shell, automation, SQL); \"off\": none, "
	  "and no TLS listener either. One that cannot be set up stops ferryd at start.",
	  NOF },
	{ "ferry.control.group", CK_STRING, "", NB, CK_GLOBAL | CK_RESTART, NULL, NULL,
	  "Group owning the control socket (mode 0660); empty: ferryd's own group. A name that is "
	  "no group is a configuration error.",
	  NOF },
	{ "ferry.control.role.admin", CK_STRING, "uid:0", NB, CK_GLOBAL, NULL, NULL,
	  "Principals with the admin role (everything, configure included): comma-separated "
	  "uid:N, user:NAME, gid:N, group:NAME, or cert:SUBJECT (ended by ';').",
	  NOF },
	{ "ferry.control.role.operator", CK_STRING, "", NB, CK_GLOBAL, NULL, NULL,
	  "Principals with the operator role (show, pause, resume, failover, reset offsets).",
	  NOF },
	{ "ferry.control.role.auditor", CK_STRING, "", NB, CK_GLOBAL, NULL, NULL,
	  "Principals with the auditor role (show commands only).", NOF },
	{ "ferry.control.tls.listen", CK_STRING, "", NB, CK_GLOBAL | CK_RESTART, NULL, NULL,
	  "host:port of the TLS listener of the control protocol; empty: none. Clients must "
	  "present a certificate signed by ferry.control.tls.ca.",
	  NOF },
	{ "ferry.control.tls.cert", CK_STRING, "", NB, CK_GLOBAL | CK_RESTART, NULL, NULL,
	  "PEM certificate (chain) of the TLS listener.", NOF },
	{ "ferry.control.tls.key", CK_STRING, "", NB, CK_GLOBAL | CK_RESTART | CK_SENSITIVE, NULL,
	  NULL, "PEM private key of the TLS listener.", NOF },
	{ "ferry.control.tls.ca", CK_STRING, "", NB, CK_GLOBAL | CK_RESTART, NULL, NULL,
	  "PEM CA certificates that sign client certificates.", NOF },
	{ "ferry.metrics.listen", CK_STRING, "127.0.0.1:9464", NB, CK_GLOBAL | CK_RESTART, NULL,
	  NULL,
	  "host:port where /metrics is served in Prometheus text format; \"off\": not served.",
	  NOF },
	{ "ferry.canary.enabled", CK_BOOL, "false", NB, CK_GLOBAL | CK_FLOW, NULL, NULL,
	  "Send a canary record through the flow every interval and measure its end-to-end "
	  "latency on the target.",
	  F(CKF_BOOL, canary_enabled) },
	{ "ferry.canary.topic", CK_STRING, "ferry-canary", NB, CK_GLOBAL | CK_FLOW, NULL, NULL,
	  "Source topic of the canary records (created with one partition if missing).",
	  F(CKF_STR, canary_topic) },
	{ "ferry.canary.interval.ms", CK_INT, "5000", 100, 3600000, CK_GLOBAL | CK_FLOW, NULL, NULL,
	  "How often a canary record is sent.", F(CKF_LL, canary_interval_ms) },
	{ "ferry.canary.threshold.ms", CK_INT, "10000", 1, 86400000, CK_GLOBAL | CK_FLOW, NULL,
	  NULL, "Canary latency (or silence) above which the flow is degraded.",
	  F(CKF_LL, canary_threshold_ms) },

	{ "ferry.mirror.read.uncommitted", CK_BOOL, "false", NB, CK_GLOBAL | CK_FLOW, NULL, NULL,
	  "Also mirror the records of aborted transactions (the source consumer reads with "
	  "isolation.level=read_uncommitted); false: committed records only, as MM2.",
	  F(CKF_BOOL, mirror_read_uncommitted) },

	{ "ferry.offset-syncs.retention", CK_INT, "100000", 10, 100000000, CK_GLOBAL | CK_FAILBACK,
	  NULL, NULL,
	  "Offset syncs kept at most per partition in the state store for translation (those "
	  "below the source's log start go anyway); offsets older than the oldest kept cannot "
	  "be translated: no checkpoint, failover refuses the group.",
	  F(CKF_LL, syncs_retention) },

	{ "ferry.failover.drain.timeout.ms", CK_INT, "120000", 1000, 3600000, CK_GLOBAL, NULL, NULL,
	  "How long `failover --drain` waits for a flow's lag to reach 0 (only the session that "
	  "asked waits; other sessions are served meanwhile).",
	  NOF },

	/* --- data placement (appliance/placement/) --- */
	{ "ferry.labels", CK_LIST, "", NB, CK_CLUSTER, NULL, NULL,
	  "Labels of a cluster, set as <alias>.ferry.labels: comma-separated key=value "
	  "(e.g. region=eu, jurisdiction=de); a cluster without labels meets no placement "
	  "requirement.",
	  NOF },
	{ "ferry.placement.rules", CK_LIST, "", NB, CK_GLOBAL, NULL, NULL,
	  "Names of the data-placement rules in force, comma-separated; each needs "
	  "ferry.placement.<rule>.topics and .require.",
	  NOF },
	{ "ferry.placement.<rule>.topics", CK_LIST, NULL, NB, CK_GLOBAL | CK_PATTERN, NULL, NULL,
	  "Java regular expressions (whole-name match, as `topics`) of the source topics the rule "
	  "restricts.",
	  NOF },
	{ "ferry.placement.<rule>.require", CK_LIST, NULL, NB, CK_GLOBAL | CK_PATTERN, NULL, NULL,
	  "Labels (key=value, comma-separated) a cluster must all carry to hold a copy of the "
	  "rule's topics; a topic matched by several rules must meet all of them.",
	  NOF },
	{ "ferry.placement.<rule>.category", CK_STRING, "", NB, CK_GLOBAL | CK_PATTERN, NULL, NULL,
	  "The data category of the rule's topics (e.g. personal-data), for the audit trail and "
	  "`show placement`.",
	  NOF },
	{ "ferry.placement.<rule>.basis", CK_STRING, "", NB, CK_GLOBAL | CK_PATTERN, NULL, NULL,
	  "The legal basis of the rule (e.g. GDPR Art. 44), for the audit trail and `show "
	  "placement`.",
	  NOF },

	/* --- MM2 keys ferry does not implement yet --- */
	{ "emit.heartbeats.enabled", CK_BOOL, "true", NB, CK_GLOBAL | CK_FLOW, NULL, NULL,
	  "Write heartbeats (source alias, target alias, time) to the `heartbeats` topic of "
	  "the target; as in MM2, every ordered pair of clusters does unless this is false.",
	  F(CKF_BOOL, emit_heartbeats) },
	{ "emit.heartbeats.interval.seconds", CK_INT, "1", 1, 86400, CK_GLOBAL | CK_FLOW, NULL,
	  NULL, "How often heartbeats are written.", F(CKF_LL, heartbeats_interval_s) },
	{ "emit.checkpoints.enabled", CK_BOOL, "true", NB, CK_GLOBAL | CK_FLOW, NULL, NULL,
	  "Write MM2 checkpoints (translated consumer-group offsets) to "
	  "<source>.checkpoints.internal on the target.",
	  F(CKF_BOOL, emit_checkpoints) },
	{ "emit.checkpoints.interval.seconds", CK_INT, "60", 1, 86400, CK_GLOBAL | CK_FLOW, NULL,
	  NULL, "How often checkpoints are written.", F(CKF_LL, checkpoints_interval_s) },
	{ "emit.offset-syncs.enabled", CK_BOOL, "true", NB, CK_GLOBAL | CK_FLOW, NULL, NULL,
	  "Write MM2's offset-syncs topic (ferry keeps its own exact history either way).",
	  F(CKF_BOOL, emit_offset_syncs) },
	{ "sync.group.offsets.enabled", CK_BOOL, "false", NB, CK_GLOBAL | CK_FLOW, NULL, NULL,
	  "Commit translated offsets to the same groups on the target, when they have no "
	  "active members there; never backwards.",
	  F(CKF_BOOL, sync_group_offsets) },
	{ "sync.group.offsets.interval.seconds", CK_INT, "60", 1, 86400, CK_GLOBAL | CK_FLOW, NULL,
	  NULL, "How often group offsets are synced to the target.",
	  F(CKF_LL, sync_group_offsets_interval_s) },
	{ "sync.topic.configs.enabled", CK_BOOL, "true", NB, CK_GLOBAL | CK_FLOW | CK_NOT_YET, NULL,
	  "false", "Topic config sync (not yet implemented).", NOF },
	{ "sync.topic.configs.interval.seconds", CK_INT, "600", NB,
	  CK_GLOBAL | CK_FLOW | CK_NOT_YET, NULL, NULL, "(not yet implemented)", NOF },
	{ "sync.topic.acls.enabled", CK_BOOL, "true", NB, CK_GLOBAL | CK_FLOW | CK_NOT_YET, NULL,
	  "false", "Topic ACL sync (not yet implemented).", NOF },
	{ "sync.topic.acls.interval.seconds", CK_INT, "600", NB, CK_GLOBAL | CK_FLOW | CK_NOT_YET,
	  NULL, NULL, "(not yet implemented)", NOF },
	{ "groups", CK_LIST, ".*", NB, CK_GLOBAL | CK_FLOW, NULL, NULL,
	  "Regular expressions of the consumer groups to checkpoint (whole-name match).",
	  // NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, sized by its element
	  F(CKF_REGEX, groups) },
	{ "groups.exclude", CK_LIST, "console-consumer-.*, connect-.*, __.*", NB,
	  CK_GLOBAL | CK_FLOW, NULL, NULL, "Consumer groups never checkpointed.",
	  // NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, sized by its element
	  F(CKF_REGEX, groups_exclude) },
	{ "groups.blacklist", CK_LIST, NULL, NB, CK_GLOBAL | CK_FLOW | CK_DEPRECATED,
	  "groups.exclude", NULL, "Deprecated name of groups.exclude.", NOF },
	{ "refresh.groups.enabled", CK_BOOL, "true", NB, CK_GLOBAL | CK_FLOW | CK_NOT_YET, NULL,
	  "true", "Groups are listed afresh at every checkpoint round; false is not supported.",
	  NOF },
	{ "refresh.groups.interval.seconds", CK_INT, "600", 1, 86400, CK_GLOBAL | CK_FLOW, NULL,
	  NULL, "Accepted for MM2 files; ferry lists groups at every checkpoint round.",
	  F(CKF_LL, refresh_groups_interval_s) },
	{ "offset-syncs.topic.location", CK_STRING, "source", NB, CK_GLOBAL | CK_FLOW, NULL, NULL,
	  "Where MM2's offset-syncs topic lives: source or target.",
	  F(CKF_STR, offset_syncs_location) },
	{ "offset-syncs.topic.replication.factor", CK_INT, "3", -1, 32767, CK_GLOBAL | CK_FLOW,
	  NULL, NULL, "Replication factor of the offset-syncs topic when ferry creates it.",
	  F(CKF_INT, offset_syncs_rf) },
	{ "heartbeats.topic.replication.factor", CK_INT, "3", -1, 32767, CK_GLOBAL | CK_FLOW, NULL,
	  NULL, "Replication factor of the heartbeats topic when ferry creates it.",
	  F(CKF_INT, heartbeats_rf) },
	{ "checkpoints.topic.replication.factor", CK_INT, "3", -1, 32767, CK_GLOBAL | CK_FLOW, NULL,
	  NULL, "Replication factor of the checkpoints topic when ferry creates it.",
	  F(CKF_INT, checkpoints_rf) },
	{ "config.properties.exclude", CK_LIST, NULL, NB, CK_GLOBAL | CK_FLOW | CK_NOT_YET, NULL,
	  NULL, "(not yet implemented)", NOF },
	{ "config.properties.blacklist", CK_LIST, NULL, NB, CK_GLOBAL | CK_FLOW | CK_NOT_YET, NULL,
	  NULL, "(not yet implemented)", NOF },
	{ "offset.lag.max", CK_INT, "100", 0, 1000000000, CK_GLOBAL | CK_FLOW, NULL, NULL,
	  "An offset sync is also written to MM2's topic after this many records without one.",
	  F(CKF_LL, offset_lag_max) },
	{ "replication.policy.internal.topic.separator.enabled", CK_BOOL, "true", NB,
	  CK_GLOBAL | CK_FLOW | CK_FAILBACK, NULL, NULL,
	  "Whether MM2's internal topic names use replication.policy.separator (else \".\").",
	  F(CKF_BOOL, internal_sep_enabled) },
	{ "heartbeats.topic", CK_STRING, "heartbeats", NB, CK_GLOBAL | CK_FLOW | CK_FAILBACK, NULL,
	  NULL, "Name of the heartbeats topic (MM2's heartbeats.topic of the replication policy).",
	  F(CKF_STR, policy.heartbeats_topic) },
	{ "topic.filter.class", CK_CLASS, NULL, NB, CK_GLOBAL | CK_FLOW | CK_NOT_YET, NULL,
	  "org.apache.kafka.connect.mirror.DefaultTopicFilter", "(not yet implemented)", NOF },
	{ "group.filter.class", CK_CLASS, NULL, NB, CK_GLOBAL | CK_FLOW | CK_NOT_YET, NULL,
	  "org.apache.kafka.connect.mirror.DefaultGroupFilter", "(not yet implemented)", NOF },
	{ "config.property.filter.class", CK_CLASS, NULL, NB, CK_GLOBAL | CK_FLOW | CK_NOT_YET,
	  NULL, "org.apache.kafka.connect.mirror.DefaultConfigPropertyFilter",
	  "(not yet implemented)", NOF },
	{ "exactly.once.support", CK_STRING, NULL, NB, CK_GLOBAL | CK_FLOW | CK_NOT_YET, NULL,
	  "disabled", "(not yet implemented)", NOF },
	{ "use.incremental.alter.configs", CK_STRING, "requested", NB,
	  CK_GLOBAL | CK_FLOW | CK_NOT_YET, NULL, "never",
	  "(not yet implemented: ferry alters no topic configs on the target)", NOF },
	{ "add.source.alias.to.metrics", CK_BOOL, "false", NB, CK_GLOBAL | CK_FLOW | CK_NOT_YET,
	  NULL, "false", "(not yet implemented: ferry's metrics name the flow)", NOF },
	{ "forwarding.admin.class", CK_CLASS, NULL, NB, CK_GLOBAL | CK_FLOW | CK_NOT_YET, NULL,
	  "org.apache.kafka.clients.admin.ForwardingAdmin",
	  "(not yet implemented: Java classes cannot run in ferry)", NOF },

	/* --- Connect worker and MM2 internals: no meaning for ferry --- */
	{ "offset.storage.", CK_STRING, NULL, NB, CK_GLOBAL | CK_WORKER | CK_PREFIX, NULL, NULL,
	  "Connect worker storage (ferry keeps positions in its state store).", NOF },
	{ "config.storage.", CK_STRING, NULL, NB, CK_GLOBAL | CK_WORKER | CK_PREFIX, NULL, NULL, "",
	  NOF },
	{ "status.storage.", CK_STRING, NULL, NB, CK_GLOBAL | CK_WORKER | CK_PREFIX, NULL, NULL, "",
	  NOF },
	{ "key.converter", CK_STRING, NULL, NB, CK_GLOBAL | CK_FLOW | CK_WORKER | CK_PREFIX, NULL,
	  NULL, "Connect converters (ferry copies bytes unchanged).", NOF },
	{ "value.converter", CK_STRING, NULL, NB, CK_GLOBAL | CK_FLOW | CK_WORKER | CK_PREFIX, NULL,
	  NULL, "", NOF },
	{ "header.converter", CK_STRING, NULL, NB, CK_GLOBAL | CK_FLOW | CK_WORKER | CK_PREFIX,
	  NULL, NULL, "", NOF },
	{ "offset.flush.", CK_STRING, NULL, NB, CK_GLOBAL | CK_WORKER | CK_PREFIX, NULL, NULL,
	  "Connect offset flushing (see ferry.positions.flush.interval.ms).", NOF },
	{ "group.id", CK_STRING, NULL, NB, CK_GLOBAL | CK_WORKER, NULL, NULL, "", NOF },
	{ "plugin.path", CK_STRING, NULL, NB, CK_GLOBAL | CK_WORKER, NULL, NULL, "", NOF },
	{ "config.providers", CK_STRING, NULL, NB, CK_GLOBAL | CK_WORKER | CK_PREFIX, NULL, NULL,
	  "", NOF },
	{ "rest.", CK_STRING, NULL, NB, CK_GLOBAL | CK_WORKER | CK_PREFIX, NULL, NULL, "", NOF },
	{ "listeners", CK_STRING, NULL, NB, CK_GLOBAL | CK_WORKER, NULL, NULL, "", NOF },
	{ "dedicated.mode.", CK_STRING, NULL, NB, CK_GLOBAL | CK_WORKER | CK_PREFIX, NULL, NULL, "",
	  NOF },
	{ "task.shutdown.graceful.timeout.ms", CK_INT, NULL, NB, CK_GLOBAL | CK_WORKER, NULL, NULL,
	  "", NOF },
	{ "connector.client.config.override.policy", CK_STRING, NULL, NB, CK_GLOBAL | CK_WORKER,
	  NULL, NULL, "", NOF },
	{ "source.cluster.alias", CK_STRING, NULL, NB, CK_GLOBAL | CK_FLOW | CK_WORKER, NULL, NULL,
	  "", NOF },
	{ "target.cluster.alias", CK_STRING, NULL, NB, CK_GLOBAL | CK_FLOW | CK_WORKER, NULL, NULL,
	  "", NOF },
	{ "name", CK_STRING, NULL, NB, CK_FLOW | CK_WORKER, NULL, NULL, "", NOF },
	{ "connector.class", CK_STRING, NULL, NB, CK_FLOW | CK_WORKER, NULL, NULL, "", NOF },
};

const unsigned conf_keys_count = sizeof(conf_keys) / sizeof(conf_keys[0]);

/* NAME against a CK_PATTERN entry "pre<word>post": the word is one or more
 * of [A-Za-z0-9_-]. */
static int pattern_match(const char *pat, const char *name)
{
	const char *lt = strchr(pat, '<'), *gt = strchr(pat, '>');
	size_t pre, post, n = strlen(name);

	if (!lt || !gt)
		return 0;
	pre = (size_t)(lt - pat);
	post = strlen(gt + 1);
	if (n <= pre + post || strncmp(name, pat, pre) != 0 || strcmp(name + n - post, gt + 1) != 0)
		return 0;
	for (size_t i = pre; i < n - post; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-",
			    name[i]))
			return 0;
	return 1;
}

const struct conf_key *conf_key_find(const char *name)
{
	for (unsigned i = 0; i < conf_keys_count; i++) {
		const struct conf_key *k = &conf_keys[i];

		if (k->flags & CK_PATTERN) {
			if (pattern_match(k->name, name) || strcmp(name, k->name) == 0)
				return k;
		} else if (k->flags & CK_PREFIX) {
			if (strncmp(name, k->name, strlen(k->name)) == 0 ||
			    strcmp(name, k->name) == 0)
				return k;
		} else if (strcmp(name, k->name) == 0) {
			return k;
		}
	}
	return NULL;
}

const char *ck_type_name(enum ck_type t)
{
	switch (t) {
	case CK_BOOL:
		return "boolean";
	case CK_INT:
		return "integer";
	case CK_STRING:
		return "string";
	case CK_LIST:
		return "list";
	case CK_CLASS:
		return "class";
	}
	return "?";
}
