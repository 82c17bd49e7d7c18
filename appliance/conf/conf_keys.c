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
	  "Aliases of the Kafka clusters of the topology, comma-separated; required. An alias "
	  "may not contain `.`, `->` or blanks, and each needs its `<alias>.bootstrap.servers`.",
	  NOF },
	{ "enabled", CK_BOOL, "false", NB, CK_FLOW, NULL, NULL,
	  "Whether the flow runs. As in MM2, flows are off unless enabled.", NOF },
	{ "topics", CK_LIST, ".*", NB, CK_GLOBAL | CK_FLOW | CK_FAILBACK, NULL, NULL,
	  "Java regular expressions of the topics to mirror. The list is joined with `|` and "
	  "must match the whole topic name (Java `Pattern.matches`), as in MM2; ferry compiles "
	  "it with PCRE2.",
	  // NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, sized by its element
	  F(CKF_REGEX, topics) },
	{ "topics.exclude", CK_LIST, ".*[\\-\\.]internal, .*\\.replica, __.*", NB,
	  CK_GLOBAL | CK_FLOW | CK_FAILBACK, NULL, NULL,
	  "Regular expressions of topics never mirrored, even when `topics` matches. The old "
	  "name `topics.blacklist` is read too (deprecated, warned).",
	  // NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, sized by its element
	  F(CKF_REGEX, exclude) },
	{ "topics.blacklist", CK_LIST, NULL, NB, CK_GLOBAL | CK_FLOW | CK_DEPRECATED,
	  "topics.exclude", NULL, "Deprecated name of topics.exclude.", NOF },
	{ "replication.policy.class", CK_CLASS,
	  "org.apache.kafka.connect.mirror.DefaultReplicationPolicy", NB,
	  CK_GLOBAL | CK_FLOW | CK_FAILBACK, NULL, NULL,
	  "How remote topics are named. `DefaultReplicationPolicy` names remote topics "
	  "`<source>.<topic>` and detects cycles by those names; `IdentityReplicationPolicy` "
	  "keeps topic names (no cycle detection: do not use it both ways). The simple class "
	  "names are accepted too.",
	  F(CKF_POLICY, policy.kind) },
	{ "replication.policy.separator", CK_STRING, ".", NB, CK_GLOBAL | CK_FLOW | CK_FAILBACK,
	  NULL, NULL,
	  "Separator between the source alias and the topic name in remote topic names.",
	  F(CKF_STR, policy.separator) },
	{ "replication.factor", CK_INT, "2", -1, 32767, CK_GLOBAL | CK_FLOW | CK_FAILBACK, NULL,
	  NULL,
	  "Replication factor of remote topics ferry creates (the default is MM2's); -1 takes "
	  "the target broker's default.",
	  F(CKF_INT, replication_factor) },
	{ "refresh.topics.enabled", CK_BOOL, "true", NB, CK_GLOBAL | CK_FLOW | CK_FAILBACK, NULL,
	  NULL,
	  "Whether new source topics and partitions are picked up while running; when false, "
	  "topics are discovered once at start.",
	  F(CKF_BOOL, refresh_enabled) },
	// NOLINTNEXTLINE(bugprone-implicit-widening-of-multiplication-result): fits in int
	{ "refresh.topics.interval.seconds", CK_INT, "600", 1, 86400 * 365,
	  CK_GLOBAL | CK_FLOW | CK_FAILBACK, NULL, NULL,
	  "How often the source is checked for new topics and partitions.",
	  F(CKF_LL, refresh_interval_s) },
	{ "tasks.max", CK_INT, "1", 1, 256, CK_GLOBAL | CK_FLOW | CK_FAILBACK, NULL, NULL,
	  "Mirror tasks per flow. Each has its own consumer, producer and a stable share of the "
	  "partitions (by a hash of topic and partition, so adding partitions never moves "
	  "existing ones).",
	  F(CKF_INT, tasks_max) },

	/* --- ferry's own keys --- */
	{ "ferry.positions.flush.interval.ms", CK_INT, "1000", 10, 600000, CK_GLOBAL | CK_FAILBACK,
	  NULL, NULL,
	  "How often acknowledged source positions are written to the state store. A crash "
	  "re-sends at most what was acknowledged in this window (duplicates, never loss).",
	  F(CKF_LL, flush_interval_ms) },
	{ "ferry.shutdown.timeout.ms", CK_INT, "30000", 0, 3600000, CK_GLOBAL | CK_FAILBACK, NULL,
	  NULL,
	  "On SIGTERM, how long to wait for in-flight records to be acknowledged before giving "
	  "up on them (they are re-sent after the next start).",
	  F(CKF_LL, shutdown_timeout_ms) },
	{ "ferry.mirror.max.inflight.bytes", CK_INT, "33554432", 65536, 17179869184LL,
	  CK_GLOBAL | CK_FAILBACK, NULL, NULL,
	  "Per mirror task: how many key + value bytes (32 MiB by default) may have been "
	  "consumed since the oldest record the target has not acknowledged yet. A consumed "
	  "record keeps its whole fetch buffer in memory until it is acknowledged, and one "
	  "fetch buffer holds records of many partitions, so this window, not only the bytes in "
	  "flight, is what bounds the memory a stalled target costs. At the budget the task "
	  "stops taking records from the source (the consumer stops fetching once "
	  "`queued.max.messages.kbytes` are queued) and goes on when acknowledgements free it; "
	  "no record is dropped or skipped. Capped by the producer's `buffer.memory` "
	  "(queue.buffering.max.kbytes, ferry's default 65536 KiB); the producer's "
	  "`queue.buffering.max.messages` (default 20000) bounds the number of records the same "
	  "way. Shown as `ferry_inflight_bytes` in `/metrics`. The worst-case memory per task "
	  "and of ferryd is in ferryd(8), section Memory.",
	  F(CKF_LL, max_inflight_bytes) },

	{ "ferry.appliance.name", CK_STRING, "", NB, CK_GLOBAL, NULL, NULL,
	  "Name of this appliance in the shell prompt and `show version`; empty: the host name.",
	  NOF },
	{ "ferry.sink.conninfo", CK_STRING, "", NB, CK_GLOBAL, NULL, NULL,
	  "The history sink: a libpq connection string (`host=db1 dbname=audit user=ferry_sink` "
	  "or a `postgresql://` URI) of the PostgreSQL database where the ferry extension's sink "
	  "tables live (`CREATE EXTENSION ferry`); empty: no sink. ferryd then delivers its audit "
	  "trail, offset-sync history, checkpoints, transfer ledger, configuration revisions, "
	  "cluster and rule snapshots and placement decisions there, in batches, exactly once, "
	  "from an outbox in the state store where events wait while PostgreSQL is away (see "
	  "ferryd(8), SINK). A `password` in it is refused: put it in `ferry.sink.passfile` or "
	  "the file `PGPASSFILE` names, so that `show config` never shows it. ferryd sets "
	  "`connect_timeout=10`, `application_name=ferryd` and TCP keepalives unless the string "
	  "sets them. A commit applies a change at once (the sink reconnects); setting it turns "
	  "the sink on and queues the history the state store holds, clearing it turns it off "
	  "and drops what waits.",
	  NOF },
	{ "ferry.sink.passfile", CK_STRING, "", NB, CK_GLOBAL, NULL, NULL,
	  "A PostgreSQL password file (the format of `~/.pgpass`, mode 0600) for "
	  "`ferry.sink.conninfo`; empty: libpq's own choice (`PGPASSFILE`, then ~/.pgpass of "
	  "ferryd's user). A commit applies a change at once.",
	  NOF },
	{ "ferry.sink.batch.size", CK_INT, "1000", 1, 100000, CK_GLOBAL, NULL, NULL,
	  "At most this many events are sent to PostgreSQL in one transaction (one COPY). A "
	  "commit applies a change at once.",
	  NOF },
	{ "ferry.sink.interval.ms", CK_INT, "1000", 10, 3600000, CK_GLOBAL, NULL, NULL,
	  "How often the sink looks for new events when none waited (it sends batch after batch "
	  "while they do); also how often `show sink` and the sink metrics are refreshed. A "
	  "commit applies a change at once.",
	  NOF },
	{ "ferry.control.socket", CK_STRING, "/run/ferry/control.sock", NB, CK_GLOBAL | CK_RESTART,
	  NULL, NULL,
	  "UNIX socket of the control protocol used by ferry(1), automation and the SQL "
	  "extension. Created with mode 0660; a path that exists and is not a socket is never "
	  "replaced. At most 107 bytes, or `off`: no control socket (and no TLS listener), so "
	  "no shell and no commands. Unless it is off, a socket that cannot be set up (the path "
	  "is another ferryd's or not a socket, its directory cannot be created or written) "
	  "stops ferryd at start; see ferryd(8).",
	  NOF },
	{ "ferry.control.group", CK_STRING, "", NB, CK_GLOBAL | CK_RESTART, NULL, NULL,
	  "Group owning the control socket (mode 0660); empty: ferryd's own group. Its members "
	  "may connect (their role decides what they may do). A name that is no group is an "
	  "error of the file (`ferryd --check-config` reports it too).",
	  NOF },
	{ "ferry.control.role.admin", CK_STRING, "uid:0", NB, CK_GLOBAL, NULL, NULL,
	  "Principals with the admin role (everything, `configure` included): comma-separated "
	  "`uid:<N>`, `user:<NAME>`, `gid:<N>`, `group:<NAME>` (UNIX peers, identified by "
	  "SO_PEERCRED), or `cert:<SUBJECT>` (TLS peers; the RFC 2253 subject, ended by `;`). A "
	  "peer gets the highest role that names it. Auditors may run `show` commands; "
	  "operators also `pause`, `resume` (and the failover commands); admins also "
	  "`configure`. A peer without a role is refused every command, and the refusal is "
	  "audited. A name that does not resolve is a configuration error.",
	  NOF },
	{ "ferry.control.role.operator", CK_STRING, "", NB, CK_GLOBAL, NULL, NULL,
	  "Principals with the operator role (`show`, `pause`, `resume`, failover, reset "
	  "offsets), written as for `ferry.control.role.admin`.",
	  NOF },
	{ "ferry.control.role.auditor", CK_STRING, "", NB, CK_GLOBAL, NULL, NULL,
	  "Principals with the auditor role (`show` commands only), written as for "
	  "`ferry.control.role.admin`.",
	  NOF },
	{ "ferry.control.tls.listen", CK_STRING, "", NB, CK_GLOBAL | CK_RESTART, NULL, NULL,
	  "host:port of a TLS listener of the control protocol; empty: none. Clients must "
	  "present a certificate signed by `ferry.control.tls.ca`. Needs "
	  "`ferry.control.tls.cert`, `ferry.control.tls.key` and `ferry.control.tls.ca` (PEM "
	  "files), and the control socket (not `off`). A listener that cannot be set up "
	  "(address in use, unreadable certificate or key) stops ferryd at start, as the "
	  "control socket does.",
	  NOF },
	{ "ferry.control.tls.cert", CK_STRING, "", NB, CK_GLOBAL | CK_RESTART, NULL, NULL,
	  "PEM certificate (chain) of the TLS listener.", NOF },
	{ "ferry.control.tls.key", CK_STRING, "", NB, CK_GLOBAL | CK_RESTART | CK_SENSITIVE, NULL,
	  NULL, "PEM private key of the TLS listener.", NOF },
	{ "ferry.control.tls.ca", CK_STRING, "", NB, CK_GLOBAL | CK_RESTART, NULL, NULL,
	  "PEM CA certificates that sign client certificates.", NOF },
	{ "ferry.metrics.listen", CK_STRING, "127.0.0.1:9464", NB, CK_GLOBAL | CK_RESTART, NULL,
	  NULL,
	  "host:port where `/metrics` is served in the Prometheus text format, or `off`: not "
	  "served.",
	  NOF },
	{ "ferry.canary.enabled", CK_BOOL, "false", NB, CK_GLOBAL | CK_FLOW, NULL, NULL,
	  "Every `ferry.canary.interval.ms` ferryd writes a canary record to "
	  "`ferry.canary.topic` on the source, the flow mirrors it like any record, and ferryd "
	  "reads it back on the target to measure the end-to-end latency. Past "
	  "`ferry.canary.threshold.ms`, or when no canary arrives for that long, the flow is "
	  "`degraded`.",
	  F(CKF_BOOL, canary_enabled) },
	{ "ferry.canary.topic", CK_STRING, "ferry-canary", NB, CK_GLOBAL | CK_FLOW, NULL, NULL,
	  "Source topic of the canary records (created with one partition if missing).",
	  F(CKF_STR, canary_topic) },
	{ "ferry.canary.interval.ms", CK_INT, "5000", 100, 3600000, CK_GLOBAL | CK_FLOW, NULL, NULL,
	  "How often a canary record is sent.", F(CKF_LL, canary_interval_ms) },
	{ "ferry.canary.threshold.ms", CK_INT, "10000", 1, 86400000, CK_GLOBAL | CK_FLOW, NULL,
	  NULL, "Canary latency (or silence) above which the flow is `degraded`.",
	  F(CKF_LL, canary_threshold_ms) },

	{ "ferry.mirror.read.uncommitted", CK_BOOL, "false", NB, CK_GLOBAL | CK_FLOW, NULL, NULL,
	  "Whether the flow also mirrors the records of aborted transactions: true makes the "
	  "source consumer read with `isolation.level=read_uncommitted`, so aborted records "
	  "arrive on the target as ordinary records. By default only committed records are "
	  "mirrored (as MM2 does), and a consumer `isolation.level` override that disagrees "
	  "with this key is refused.",
	  F(CKF_BOOL, mirror_read_uncommitted) },

	{ "ferry.offset-syncs.retention", CK_INT, "100000", 10, 100000000, CK_GLOBAL | CK_FAILBACK,
	  NULL, NULL,
	  "A safety bound on the offset syncs kept per partition in the state store. The "
	  "history is needed exactly for the offsets the source still holds: when syncs are "
	  "saved, those whose runs lie wholly below the source partition's log start offset (as "
	  "the mirror's last fetch reported it) are deleted; then, past this many, the oldest "
	  "go. Each partition keeps the upstream offset its history is exact from "
	  "(translate_from: where mirroring began, 0 when it began at the start of the "
	  "partition, raised to the oldest kept sync whenever syncs are pruned). A group offset "
	  "below it, or inside a range whose records the target acknowledged without their "
	  "offsets (kept as a hole of the history), cannot be translated: no checkpoint, no "
	  "group offset sync, and `ferry failover` refuses the group naming the partition. The "
	  "exception is a group offset below the source partition's log start: the records "
	  "between it and the log start are gone at the source, so the group resumes where a "
	  "consumer on the source would, at the earliest record: its exact translation when the "
	  "history holds it, else the target partition's earliest offset. So a retention small "
	  "enough to be hit turns old offsets of idle groups into \"cannot translate\", never "
	  "into a guess.",
	  F(CKF_LL, syncs_retention) },

	{ "ferry.failover.drain.timeout.ms", CK_INT, "120000", 1000, 3600000, CK_GLOBAL, NULL, NULL,
	  "How long `ferry failover --drain` waits for the flow's lag to reach 0. Only the "
	  "session that asked waits; ferryd serves other sessions and `/metrics` meanwhile, and "
	  "closing the waiting session cancels the failover.",
	  NOF },

	/* --- data placement (appliance/placement/) --- */
	{ "ferry.labels", CK_LIST, "", NB, CK_CLUSTER, NULL, NULL,
	  "The cluster's labels for data placement, comma-separated <key>`=`<value> (e.g. "
	  "`A.ferry.labels = region=eu, jurisdiction=de`); key and value are non-empty (at "
	  "most 63 and 127 characters) of letters, digits and `_-./:`, a key appears once. A "
	  "cluster without labels meets no placement requirement. Without a cluster prefix it "
	  "is an error.",
	  NOF },
	{ "ferry.placement.rules", CK_LIST, "", NB, CK_GLOBAL, NULL, NULL,
	  "Names of the data-placement rules in force, comma-separated (letters, digits, `_`, "
	  "`-`); each needs `ferry.placement.`<rule>`.topics` and `.require`. A name listed "
	  "without them, or a `ferry.placement.`<rule>`.*` key of a rule not listed, is an "
	  "error.",
	  NOF },
	{ "ferry.placement.<rule>.topics", CK_LIST, NULL, NB, CK_GLOBAL | CK_PATTERN, NULL, NULL,
	  "Java regular expressions (whole-name match, as `topics`) of the source topics the rule "
	  "restricts; required. A remote topic a flow copies on (`A.customers-eu` on B, copied "
	  "by B->C) is judged by its name and by its upstream names, so the rule holds on the "
	  "second hop. A backslash is doubled in a .properties file: `kyc\\\\..*` is the "
	  "regular expression `kyc\\..*`.",
	  NOF },
	{ "ferry.placement.<rule>.require", CK_LIST, NULL, NB, CK_GLOBAL | CK_PATTERN, NULL, NULL,
	  "Labels (<key>`=`<value>, comma-separated) a cluster must all carry to hold a copy of "
	  "the rule's topics; required. A topic matched by several rules must meet all of "
	  "them.",
	  NOF },
	{ "ferry.placement.<rule>.category", CK_STRING, "", NB, CK_GLOBAL | CK_PATTERN, NULL, NULL,
	  "The data category of the rule's topics (e.g. `personal-data`), named in the audit "
	  "trail, `show placement`, `placement check` and the transfer ledger.",
	  NOF },
	{ "ferry.placement.<rule>.basis", CK_STRING, "", NB, CK_GLOBAL | CK_PATTERN, NULL, NULL,
	  "The legal basis of the rule (e.g. `GDPR Art. 44`), named in the audit trail and "
	  "`placement check`.",
	  NOF },

	/* --- MM2 keys ferry does not implement yet --- */
	{ "emit.heartbeats.enabled", CK_BOOL, "true", NB, CK_GLOBAL | CK_FLOW, NULL, NULL,
	  "As MM2, every ordered pair of clusters writes a heartbeat (source alias, target "
	  "alias, time) every `emit.heartbeats.interval.seconds` to the `heartbeats.topic` of "
	  "the target (one partition, compacted, `heartbeats.topic.replication.factor`), "
	  "whether the pair is an enabled flow or not, unless this is false. Flows mirror "
	  "heartbeats topics whatever their topic filters say (`A.heartbeats` on B), which is "
	  "how replication hops are counted.",
	  F(CKF_BOOL, emit_heartbeats) },
	{ "emit.heartbeats.interval.seconds", CK_INT, "1", 1, 86400, CK_GLOBAL | CK_FLOW, NULL,
	  NULL, "How often heartbeats are written.", F(CKF_LL, heartbeats_interval_s) },
	{ "emit.checkpoints.enabled", CK_BOOL, "true", NB, CK_GLOBAL | CK_FLOW, NULL, NULL,
	  "Every `emit.checkpoints.interval.seconds`, for the consumer groups matching `groups` "
	  "and not `groups.exclude` that committed offsets on mirrored topics, write "
	  "`<source>.checkpoints.internal` on the target (one partition, compacted, "
	  "`checkpoints.topic.replication.factor`): the group, the remote topic, the partition, "
	  "the upstream offset and its exact translation. A translated offset never moves "
	  "backwards unless the group itself went back. A group offset ferry cannot translate "
	  "exactly (below the kept history, or inside a range mirrored without known target "
	  "offsets; see `ferry.offset-syncs.retention`) gets no checkpoint and no group offset "
	  "sync, and ferryd logs why once; ferry never writes a nearby offset instead. Groups "
	  "are listed afresh every round.",
	  F(CKF_BOOL, emit_checkpoints) },
	{ "emit.checkpoints.interval.seconds", CK_INT, "60", 1, 86400, CK_GLOBAL | CK_FLOW, NULL,
	  NULL, "How often checkpoints are written.", F(CKF_LL, checkpoints_interval_s) },
	{ "emit.offset-syncs.enabled", CK_BOOL, "true", NB, CK_GLOBAL | CK_FLOW, NULL, NULL,
	  "Write `mm2-offset-syncs.<target>.internal` (one partition, compacted) on the source, "
	  "or on the target with `offset-syncs.topic.location = target`: a record (topic, "
	  "partition; upstream offset, downstream offset) whenever the offset delta of a "
	  "partition changes, and after `offset.lag.max` records without one. Independently, "
	  "ferry keeps every change of delta in its state store, which is what makes its own "
	  "translation exact (see `ferry.offset-syncs.retention` for how long).",
	  F(CKF_BOOL, emit_offset_syncs) },
	{ "sync.group.offsets.enabled", CK_BOOL, "false", NB, CK_GLOBAL | CK_FLOW, NULL, NULL,
	  "Every `sync.group.offsets.interval.seconds` also commit the translated offsets to "
	  "the same groups on the target, for groups without active members there; an offset is "
	  "never moved backwards.",
	  F(CKF_BOOL, sync_group_offsets) },
	{ "sync.group.offsets.interval.seconds", CK_INT, "60", 1, 86400, CK_GLOBAL | CK_FLOW, NULL,
	  NULL, "How often group offsets are synced to the target.",
	  F(CKF_LL, sync_group_offsets_interval_s) },
	{ "sync.topic.configs.enabled", CK_BOOL, "true", NB, CK_GLOBAL | CK_FLOW, NULL, NULL,
	  "Copy the configs of source topics to the remote topics ferry created, every "
	  "sync.topic.configs.interval.seconds (topics are created with them either way).",
	  F(CKF_BOOL, sync_topic_configs) },
	// NOLINTNEXTLINE(bugprone-implicit-widening-of-multiplication-result): fits in int
	{ "sync.topic.configs.interval.seconds", CK_INT, "600", 1, 86400 * 365, CK_GLOBAL | CK_FLOW,
	  NULL, NULL, "How often topic configs are copied from the source to the target.",
	  F(CKF_LL, sync_topic_configs_interval_s) },
	{ "sync.topic.acls.enabled", CK_BOOL, "true", NB, CK_GLOBAL | CK_FLOW, NULL, NULL,
	  "Copy the source's TOPIC ACL bindings of mirrored topics (LITERAL, PREFIXED; not "
	  "ALLOW WRITE; ALLOW ALL as ALLOW READ) and GROUP bindings of synced groups to the "
	  "target; bindings ferry created are removed when gone at the source.",
	  F(CKF_BOOL, sync_acls) },
	{ "sync.topic.acls.interval.seconds", CK_INT, "600", 1, 86400, CK_GLOBAL | CK_FLOW, NULL,
	  NULL, "How often ACL bindings are synced to the target.",
	  F(CKF_LL, sync_acls_interval_s) },
	{ "groups", CK_LIST, ".*", NB, CK_GLOBAL | CK_FLOW, NULL, NULL,
	  "Regular expressions of the consumer groups to checkpoint (whole-name match).",
	  // NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, sized by its element
	  F(CKF_REGEX, groups) },
	{ "groups.exclude", CK_LIST, "console-consumer-.*, connect-.*, __.*", NB,
	  CK_GLOBAL | CK_FLOW, NULL, NULL,
	  "Consumer groups never checkpointed. The old name `groups.blacklist` is read too "
	  "(deprecated, warned).",
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
	  "Where MM2's offset-syncs topic lives: `source` or `target`.",
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
	{ "config.properties.exclude", CK_LIST,
	  "follower\\.replication\\.throttled\\.replicas, "
	  "leader\\.replication\\.throttled\\.replicas, "
	  "message\\.timestamp\\.difference\\.max\\.ms, message\\.timestamp\\.type, "
	  "unclean\\.leader\\.election\\.enable, min\\.insync\\.replicas",
	  NB, CK_GLOBAL | CK_FLOW | CK_FAILBACK, NULL, NULL,
	  "Regular expressions (whole name) of topic configs never copied to remote topics; "
	  "the target's own value of such a config is kept.",
	  // NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, sized by its element
	  F(CKF_REGEX, config_exclude) },
	{ "config.properties.blacklist", CK_LIST, NULL, NB, CK_GLOBAL | CK_FLOW | CK_DEPRECATED,
	  "config.properties.exclude", NULL, "Deprecated name of config.properties.exclude.", NOF },
	{ "use.defaults.from", CK_STRING, "target", NB, CK_GLOBAL | CK_FLOW | CK_FAILBACK, NULL,
	  NULL,
	  "target: a source config at its default is not copied, the target's default applies; "
	  "source: default values are copied too.",
	  F(CKF_STR, use_defaults_from) },
	{ "topic.overrides.", CK_STRING, NULL, NB, CK_FLOW | CK_CLUSTER | CK_PREFIX, NULL, NULL,
	  "(ferry's; MM2 has no such key) `B.topic.overrides.`<config> `=` <value>: a topic "
	  "config every remote topic on B gets, at creation and at every sync, whatever its "
	  "source says (it wins over `config.properties.exclude` too). <config> must be a "
	  "Kafka topic config and the value not empty.",
	  NOF },
	{ "offset.lag.max", CK_INT, "100", 0, 1000000000, CK_GLOBAL | CK_FLOW, NULL, NULL,
	  "An offset sync is also written to MM2's topic after this many records without one.",
	  F(CKF_LL, offset_lag_max) },
	{ "replication.policy.internal.topic.separator.enabled", CK_BOOL, "true", NB,
	  CK_GLOBAL | CK_FLOW | CK_FAILBACK, NULL, NULL,
	  "Whether MM2's internal topic names use `replication.policy.separator` (else `.`).",
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
	  "ferry always sends the whole config set with AlterConfigs, as MM2's \"never\" "
	  "(librdkafka 2.0.2 has no IncrementalAlterConfigs); the set it sends keeps the "
	  "target's values of excluded configs.",
	  NOF },
	{ "add.source.alias.to.metrics", CK_BOOL, "false", NB, CK_GLOBAL | CK_FLOW | CK_NOT_YET,
	  NULL, "false", "(not yet implemented: ferry's metrics name the flow)", NOF },
	{ "forwarding.admin.class", CK_CLASS, NULL, NB, CK_GLOBAL | CK_FLOW | CK_NOT_YET, NULL,
	  "org.apache.kafka.clients.admin.ForwardingAdmin",
	  "(not yet implemented: Java classes cannot run in ferry)", NOF },

	/* --- Connect worker and MM2 internals: no meaning for ferry --- */
	{ "offset.storage.", CK_STRING, NULL, NB, CK_GLOBAL | CK_WORKER | CK_PREFIX, NULL, NULL,
	  "Connect worker storage; ferry keeps positions in its state store.", NOF },
	{ "config.storage.", CK_STRING, NULL, NB, CK_GLOBAL | CK_WORKER | CK_PREFIX, NULL, NULL, "",
	  NOF },
	{ "status.storage.", CK_STRING, NULL, NB, CK_GLOBAL | CK_WORKER | CK_PREFIX, NULL, NULL, "",
	  NOF },
	{ "key.converter", CK_STRING, NULL, NB, CK_GLOBAL | CK_FLOW | CK_WORKER | CK_PREFIX, NULL,
	  NULL, "Connect converters; ferry copies bytes unchanged.", NOF },
	{ "value.converter", CK_STRING, NULL, NB, CK_GLOBAL | CK_FLOW | CK_WORKER | CK_PREFIX, NULL,
	  NULL, "", NOF },
	{ "header.converter", CK_STRING, NULL, NB, CK_GLOBAL | CK_FLOW | CK_WORKER | CK_PREFIX,
	  NULL, NULL, "", NOF },
	{ "offset.flush.", CK_STRING, NULL, NB, CK_GLOBAL | CK_WORKER | CK_PREFIX, NULL, NULL,
	  "Connect offset flushing; see `ferry.positions.flush.interval.ms`.", NOF },
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
