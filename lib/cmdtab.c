/*
 * cmdtab.c — the command table and the matcher every view shares.
 */
#include "lib/cmdtab.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define X ACL_ADMIN
#define O ACL_OPERATOR
#define A ACL_AUDITOR
#define E MODE_EXEC
#define C MODE_CONFIG

// NOLINTBEGIN(bugprone-macro-parentheses): designated initialisers, no expression
#define CMD(id_, syn, hlp, role_, modes_, flags_, doc_)                                \
	{                                                                              \
		.id = id_, .syntax = syn, .help = hlp, .role = role_, .modes = modes_, \
		.flags = flags_, .doc = doc_                                           \
	}
// NOLINTEND(bugprone-macro-parentheses)

static struct cmd_def table[] = {
	CMD(CMD_HELP, "help [TEXT]", "Describe commands\nCommand to describe", ACL_NONE, E | C,
	    CMDF_LOCAL,
	    "Lists the commands of the current mode, or describes the ones starting "
	    "with TEXT. `?` anywhere on a line lists what may come next."),
	CMD(CMD_EXIT, "exit", "Leave the shell", ACL_NONE, E, CMDF_LOCAL,
	    "Leaves the shell (also `quit` and end-of-file)."),
	CMD(CMD_SHOW_VERSION, "show version",
	    "Show running system information\nVersions of ferryd, "
	    "librdkafka and the protocol",
	    A, E, 0,
	    "Shows ferryd's version, the appliance name, uptime, librdkafka's version and the "
	    "control protocol version."),
	CMD(CMD_SHOW_CLUSTERS, "show clusters",
	    "Show running system information\nKafka clusters of "
	    "the topology",
	    A, E, 0,
	    "Lists the clusters of the running configuration with their bootstrap servers, the "
	    "flows that read from or write to them and whether ferryd reaches them: reachable, "
	    "unreachable (since when, and librdkafka's last connection error), or unknown when no "
	    "running flow uses the cluster (ferryd judges from the clients of its flows and "
	    "probes nothing else)."),
	CMD(CMD_SHOW_FLOWS, "show flows",
	    "Show running system information\nReplication flows and "
	    "their state",
	    A, E, 0,
	    "Lists the flows with their state (starting, running, degraded, stalled, paused, "
	    "failed, stopped), "
	    "topics, partitions (a paused flow's as saved), records and bytes mirrored since "
	    "ferryd started (across pauses and restarts) and the reason if any (why a flow failed, "
	    "is stalled or degraded). A flow whose source or target does not answer is degraded, "
	    "started or not, with the reason \"A unreachable: \" and librdkafka's last connection "
	    "error; it runs again by itself once the cluster answers."),
	CMD(CMD_SHOW_TOPICS, "show topics [FLOW]",
	    "Show running system information\nMirrored "
	    "topics\nOnly this flow",
	    A, E, 0, "Lists the mirrored topics per flow: source topic, remote topic, partitions."),
	CMD(CMD_SHOW_LAG, "show lag [FLOW]",
	    "Show running system information\nPer-partition "
	    "replication lag\nOnly this flow",
	    A, E, 0,
	    "Per source partition: the source end offset, the mirrored position (everything "
	    "before it is acknowledged by the target), the lag between them, the offsets the "
	    "source deleted before ferry mirrored them (never mirrored), and the state: mirroring, "
	    "or why the partition stopped (see resume flow ... --partition). A paused flow's "
	    "partitions stay listed (state paused): the saved position against the source's end "
	    "offset, asked for when the command runs (up to 5 s) and every 5 s; empty, and the "
	    "state says why, when the source does not answer."),
	CMD(CMD_SHOW_OFFSETS, "show offsets [FLOW]",
	    "Show running system information\nSaved "
	    "positions\nOnly this flow",
	    A, E, 0,
	    "The positions saved in the state store: where each partition resumes after a restart."),
	CMD(CMD_SHOW_GROUPS, "show groups [CLUSTER]",
	    "Show running system information\nConsumer "
	    "groups\nOnly this cluster",
	    A, E, 0,
	    "Lists the consumer groups of the clusters (of one cluster with CLUSTER), with their "
	    "state."),
	CMD(CMD_SHOW_METRICS, "show metrics",
	    "Show running system information\nMetrics (the same "
	    "registry /metrics exports)",
	    A, E, 0,
	    "Every metric of the registry with its labels and current value, as exported to "
	    "Prometheus."),
	CMD(CMD_SHOW_AUDIT, "show audit [COUNT] [--since DATETIME] [--after ID]",
	    "Show running system information\nAudit trail\n"
	    "How many entries (default 20, at most 10000)\nFrom a time on\nISO 8601 with a zone "
	    "(2026-11-22T10:00:00Z) or epoch milliseconds\nAfter an entry\nAn entry's id",
	    A, E, 0,
	    "The latest COUNT entries of the audit trail (20 by default, at most 10000), oldest "
	    "first: id, when, who, role, origin, what, result, detail. With --since or --after, "
	    "the first COUNT entries at or after DATETIME and after entry ID instead, oldest "
	    "first: a client pages through the trail by giving the last id it read as --after. Each "
	    "entry carries its link in the hash chain (prev hash, hash; see audit verify)."),
	CMD(CMD_AUDIT_VERIFY, "audit verify", "The audit trail\nCheck the audit trail's hash chain",
	    A, E, 0,
	    "Walks the audit trail's hash chain, oldest entry first: each entry's hash is the "
	    "SHA-256 of the hash before it and the entry's own fields. Says ok, or broken and the "
	    "first bad id with what is wrong: a gap (entries deleted), a hash mismatch (the entry "
	    "was changed after it was written) or a prev-hash mismatch (the entry does not follow "
	    "the one before it). Also how many entries were checked and their first and last id. "
	    "It cannot see the newest entries deleted: compare the last id and hash with a copy "
	    "(the PostgreSQL sink, ferry.audit_verify())."),
	CMD(CMD_SHOW_CONFIG, "show config",
	    "Show running system information\nRunning configuration "
	    "as an MM2 properties file",
	    A, E, 0,
	    "The running configuration, exactly as an MM2 connect-mirror-maker.properties file "
	    "that ferryd (or MM2) can be started from."),
	CMD(CMD_SHOW_REVISIONS, "show revisions",
	    "Show running system information\nCommitted "
	    "configuration revisions",
	    A, E | C, 0,
	    "Lists the committed configuration revisions: number, time, who, comment."),
	CMD(CMD_SHOW_SINK, "show sink",
	    "Show running system information\nThe history sink to PostgreSQL", A, E, 0,
	    "The history sink (ferry.sink.conninfo): its state (off, connecting, connected, "
	    "unreachable, error), the target (the connection string; a password would show as "
	    "********), the highest event id PostgreSQL has applied (delivered up to; null until "
	    "ferryd has read it there), the events waiting in the state store (pending) and when "
	    "the oldest of them was made, and the last error. Events wait while PostgreSQL is "
	    "unreachable and are delivered, each once, when it answers again."),
	CMD(CMD_SHOW_TRANSFERS, "show transfers [FLOW] [--since DATE]",
	    "Show running system information\nThe transfer ledger: what was mirrored where, "
	    "per day\nOnly this flow\nFrom a day on\nUTC day, YYYY-MM-DD",
	    A, E, 0,
	    "The transfer ledger, per UTC day (the day ferry mirrored the records, not their "
	    "timestamps), flow, source topic and partition: records and bytes (key + value) "
	    "mirrored, the first and last source offset and those records' timestamps, and the "
	    "placement rules and categories that allowed the copy; a topic a rule holds back from "
	    "the flow's target has a row of its own, partition -1 (the topic as a whole), with "
	    "the records held back as last measured that day and the rule and category that hold "
	    "them. Of FLOW only, from day DATE on. A record counts once, when the position that "
	    "covers it is saved: a restart, even after a crash, never counts it twice. A flow no "
	    "longer configured is still shown."),
	CMD(CMD_SHOW_PLACEMENT, "show placement",
	    "Show running system information\nWhere each mirrored topic is held, under which "
	    "placement rules",
	    A, E, 0,
	    "Per mirrored topic, every cluster that holds it (the source and each copy) with the "
	    "cluster's labels, the placement rules and data category that apply, the retention.ms in "
	    "force there (asked of the cluster), and the topics a rule holds back from a flow's "
	    "target with the records held back (source end offsets minus what was copied). A copy "
	    "made before a rule existed is reported, not deleted."),
	CMD(CMD_PLACEMENT_CHECK, "placement check TOPIC CLUSTER",
	    "Data placement rules\nDry run: may TOPIC be copied to CLUSTER?\nSource topic name\n"
	    "Target cluster alias",
	    A, E, 0,
	    "Says which placement rules name TOPIC, the labels each requires, the labels CLUSTER "
	    "carries, and whether a copy of TOPIC on CLUSTER would be allowed; changes nothing."),
	CMD(CMD_SHOW_OFFSET_SYNCS, "show offset-syncs FLOW TOPIC PARTITION",
	    "Show running system information\nThe offset-sync history of a partition\n"
	    "Replication flow\nSource topic\nPartition number",
	    A, E, 0,
	    "The offset syncs ferry keeps in its state store for one source partition of FLOW, "
	    "oldest first: each pairs an upstream (source) offset with the downstream (target) "
	    "offset of the same record, recorded whenever the difference between them changes "
	    "(and at most ferry.offset-syncs.retention of them). What `translate offset`, "
	    "failover and the checkpoints translate with."),
	CMD(CMD_SHOW_CHECKPOINTS, "show checkpoints [GROUP]",
	    "Show running system information\nThe last checkpoint emitted per group "
	    "partition\nOnly this consumer group",
	    A, E, 0,
	    "Per flow, consumer group, source topic and partition: the last checkpoint ferry "
	    "emitted to the target's checkpoints topic and the target acknowledged (upstream: the "
	    "group's committed offset on the source; downstream: where it resumes on the target; "
	    "when). Kept in the state store, so it survives restarts; a flow no longer configured "
	    "is still shown."),
	CMD(CMD_SHOW_HEARTBEATS, "show heartbeats",
	    "Show running system information\nMM2 heartbeats ferryd emits", A, E, 0,
	    "Per heartbeat emitter (source and target cluster, the heartbeats topic on the "
	    "target): how many heartbeats the target acknowledged since ferryd started and the "
	    "time of the last one (null: none yet)."),
	CMD(CMD_TRANSLATE_OFFSET, "translate offset FLOW TOPIC PARTITION OFFSET",
	    "Translate source offsets to the target (changes nothing)\nOne source offset\n"
	    "Replication flow\nSource topic\nPartition number\nSource (upstream) offset, 0 or "
	    "more",
	    A, E, 0,
	    "Where a consumer that has processed every record of the source partition below "
	    "OFFSET resumes on FLOW's target, from the offset-sync history alone (as failover "
	    "translates): the downstream offset when the history answers exactly (result "
	    "`translated`), else null and why (nothing mirrored yet, below the kept history, "
	    "inside a range mirrored without known target offsets). Never a nearby guess."),
	CMD(CMD_TRANSLATE_GROUP, "translate group FLOW GROUP",
	    "Translate source offsets to the target (changes nothing)\nA consumer group's "
	    "committed offsets\nReplication flow\nConsumer group on the flow's source",
	    A, E, 0,
	    "Asks FLOW's source for GROUP's committed offsets and translates those on topics the "
	    "flow mirrors exactly as failover would (a group offset below the source's log start "
	    "resumes at the earliest record): per partition the source topic, the remote topic, "
	    "the source offset, the target offset (null when it cannot be translated exactly) and "
	    "the result. Commits nothing."),
	CMD(CMD_PAUSE_FLOW, "pause flow FLOW",
	    "Pause a replication flow\nReplication flow\nFlow "
	    "name (SOURCE->TARGET)",
	    O, E, 0,
	    "Stops the flow after its in-flight records are acknowledged and its positions saved. "
	    "A paused flow stays paused across restarts until resumed."),
	CMD(CMD_RESUME_FLOW, "resume flow FLOW",
	    "Resume a paused flow\nReplication flow\nFlow name "
	    "(SOURCE->TARGET)",
	    O, E, 0, "Starts a paused flow again from its saved positions."),
	CMD(CMD_RESUME_PARTITION,
	    "resume flow FLOW --topic TOPIC --partition PARTITION --from POSITION",
	    "Resume a paused flow\nReplication flow\nFlow name (SOURCE->TARGET)\nResume one stopped "
	    "partition\nSource topic\nWhich partition\nPartition number\nWhere to start\nearliest, "
	    "latest, or a source offset",
	    O, E, 0,
	    "Resumes one partition that ferry stopped because its source log changed under it (the "
	    "topic was recreated, the log went backwards) or a record could not be read. Mirroring "
	    "starts at POSITION: the log start (earliest), its end (latest) or a source offset within "
	    "the log. The partition's offset-sync history is cut there, so no consumer-group offset "
	    "is ever translated across the discontinuity. The outcome is logged and audited; `show "
	    "lag` shows the partition mirroring again."),
	CMD(CMD_FAILOVER, "failover FLOW --groups REGEX [--drain]",
	    "Move consumer groups to the "
	    "target of a flow\nReplication flow\nFlow name (SOURCE->TARGET)\nWhich groups\nJava "
	    "regular expression of group names\nFirst wait until the flow has mirrored everything",
	    O, E, 0,
	    "Planned failover: commits to the target, for every source group matching REGEX, the "
	    "exact translation of its committed offsets (zero records re-read, zero skipped), and "
	    "prints a report (group, topic, partition, upstream, downstream). With --drain it first "
	    "waits (at most ferry.failover.drain.timeout.ms) until every mirrored partition's lag is 0, "
	    "which happens once the source stopped taking writes. A group with active members on the "
	    "target is refused, with the reason."),
	CMD(CMD_FAILBACK, "failback FLOW",
	    "Mirror back after a failover\nReplication flow\nThe "
	    "flow that was failed over (SOURCE->TARGET)",
	    O, E, 0,
	    "After `failover SOURCE->TARGET`, starts the reverse mirroring of the remote topics "
	    "(SOURCE.orders on TARGET back to orders on SOURCE) from where the failover left them, "
	    "and reports per partition the records the old primary has that the standby never got."),
	CMD(CMD_RESET_OFFSETS, "reset-offsets CLUSTER --group GROUP --to-datetime DATETIME",
	    "Move a consumer group to a point in time\nCluster alias\nWhich group\nGroup id\n"
	    "Target time\nISO 8601 (2026-11-22T10:00:00Z) or epoch milliseconds",
	    O, E, 0,
	    "Commits for GROUP on CLUSTER, for every partition it has offsets on, the first offset "
	    "whose record is at or after DATETIME (the end of the partition when none is); refused "
	    "while the group has active members. Prints old and new offsets."),
	CMD(CMD_CONFIGURE, "configure", "Edit a candidate configuration", X, E, 0,
	    "Enters configuration mode with a private candidate copied from the running "
	    "configuration."),
	CMD(CMD_CFG_SET, "set KEY VALUE",
	    "Set a configuration key\nKey, as in an MM2 file "
	    "(A->B.topics, B.bootstrap.servers, ...)\nValue",
	    X, C, 0, "Sets KEY to VALUE in the candidate."),
	CMD(CMD_CFG_DELETE, "delete KEY", "Delete a configuration key\nKey to remove", X, C, 0,
	    "Removes KEY from the candidate (it falls back to its default)."),
	CMD(CMD_CFG_SHOW, "show", "Show the candidate configuration", X, C, 0,
	    "The candidate as an MM2 properties file."),
	CMD(CMD_CFG_COMPARE, "show | compare",
	    "Show the candidate configuration\nPipe through\n"
	    "Differences from the running configuration",
	    X, C, 0,
	    "The candidate's differences from the running configuration: - removed, + added."),
	CMD(CMD_CFG_COMMIT, "commit [TEXT]",
	    "Validate and apply the candidate\nComment for the "
	    "revision",
	    X, C, 0,
	    "Validates the candidate like ferryd --check-config, applies it (flows whose settings "
	    "did not change keep running) and records it as the next revision. A candidate without "
	    "changes makes no revision (\"commit: no changes\"), nor does one that changes nothing "
	    "of the revision it was made from when another session committed meanwhile."),
	CMD(CMD_CFG_ROLLBACK, "rollback REVISION",
	    "Load a committed revision into the candidate\n"
	    "Revision number (see show revisions)",
	    X, C, 0, "Replaces the candidate with revision REVISION; `commit` applies it."),
	CMD(CMD_CFG_EXIT, "exit", "Leave configuration mode", X, C, 0,
	    "Leaves configuration mode; refused while the candidate has uncommitted changes."),
	CMD(CMD_CFG_DISCARD, "exit discard", "Leave configuration mode\nDrop uncommitted changes",
	    X, C, 0, "Leaves configuration mode and drops the candidate's uncommitted changes."),
};

#undef X
#undef O
#undef A
#undef E
#undef C

static const struct {
	const char *name;
	enum arg_kind kind;
} arg_names[] = {
	{ "FLOW", ARG_FLOW },         { "CLUSTER", ARG_CLUSTER },
	{ "TOPIC", ARG_TOPIC },       { "GROUP", ARG_GROUP },
	{ "KEY", ARG_KEY },           { "VALUE", ARG_VALUE },
	{ "TEXT", ARG_TEXT },         { "REVISION", ARG_REVISION },
	{ "COUNT", ARG_COUNT },       { "REGEX", ARG_REGEX },
	{ "DATETIME", ARG_DATETIME }, { "PARTITION", ARG_PARTITION },
	{ "POSITION", ARG_POSITION }, { "DATE", ARG_DATE },
	{ "OFFSET", ARG_OFFSET },     { "ID", ARG_ID },
};

const char *arg_kind_name(enum arg_kind k)
{
	for (size_t i = 0; i < sizeof(arg_names) / sizeof(arg_names[0]); i++)
		if (arg_names[i].kind == k)
			return arg_names[i].name;
	return "WORD";
}

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void parse_all(void)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct cmd_def *d = &table[i];
		const char *s = d->syntax, *h = d->help;

		d->ntok = 0;
		while (*s && d->ntok < CMD_MAX_TOKENS) {
			struct cmd_tok *t = &d->tok[d->ntok];
			char w[sizeof(t->word)];
			size_t n = 0;
			const char *he;

			while (*s == ' ')
				s++;
			if (*s == '[') {
				t->optional = 1;
				s++;
			}
			while (*s && *s != ' ' && *s != ']' && n + 1 < sizeof(w))
				w[n++] = *s++;
			w[n] = '\0';
			if (*s == ']')
				s++;
			t->kind = ARG_KEYWORD;
			for (size_t a = 0; a < sizeof(arg_names) / sizeof(arg_names[0]); a++)
				if (strcmp(w, arg_names[a].name) == 0)
					t->kind = arg_names[a].kind;
			snprintf(t->word, sizeof(t->word), "%s", w);
			/* help lines: one per token */
			he = strchr(h, '\n');
			t->help = h;
			t->help_len = he ? (int)(he - h) : (int)strlen(h);
			d->ntok++;
			if (he)
				h = he + 1;
			else
				h = h + strlen(h);
		}
	}
}

/* Whether another command starts with D's first N+1 tokens (same words). */
static int shared_prefix(const struct cmd_def *d, size_t n)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const struct cmd_def *e = &table[i];
		size_t t;

		if (e == d || e->ntok <= n)
			continue;
		for (t = 0; t <= n && strcmp(e->tok[t].word, d->tok[t].word) == 0; t++)
			;
		if (t > n)
			return 1;
	}
	return 0;
}

/* After parse_all: each command's own line (see struct cmd_def). A command
 * all of whose tokens another one shares (exit, resume flow FLOW) is
 * described by its first token; a pipe ("show | compare") by what follows. */
static void summarise_all(void)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct cmd_def *d = &table[i];
		size_t t = 0;

		while (t < d->ntok && shared_prefix(d, t))
			t++;
		if (t == d->ntok)
			t = 0;
		if (strcmp(d->tok[t].word, "|") == 0 && t + 1 < d->ntok)
			t++;
		d->summary = d->tok[t].help;
		d->summary_len = d->tok[t].help_len;
	}
}

static void init_once(void)
{
	parse_all();
	summarise_all();
}

void cmdtab_init(void)
{
	pthread_once(&once, init_once);
}

const struct cmd_def *cmdtab_all(size_t *n)
{
	cmdtab_init();
	*n = sizeof(table) / sizeof(table[0]);
	return table;
}

const struct cmd_def *cmdtab_get(enum cmd_id id)
{
	cmdtab_init();
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].id == id)
			return &table[i];
	return NULL;
}

static size_t tok_len(const struct cmd_tok *t)
{
	return strlen(t->word);
}

int cmdtab_split(const char *line, char ***words, char *err, size_t errsz)
{
	char **v = NULL;
	int n = 0, cap = 0;
	const char *s = line;

	*words = NULL;
	for (;;) {
		char buf[4096];
		size_t bl = 0;
		char q = 0;

		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		if (*s == '|') {
			buf[bl++] = *s++;
		} else {
			while (*s && (q || (!isspace((unsigned char)*s) && *s != '|'))) {
				if (!q && (*s == '"' || *s == '\'')) {
					q = *s++;
					continue;
				}
				if (q && *s == q) {
					q = 0;
					s++;
					continue;
				}
				if (*s == '\\' && s[1] && q != '\'')
					s++;
				if (bl + 1 < sizeof(buf))
					buf[bl++] = *s;
				s++;
			}
			if (q) {
				snprintf(err, errsz, "unbalanced %c quote", q);
				cmdtab_free_words(v, n);
				return -1;
			}
		}
		buf[bl] = '\0';
		if (n + 1 >= cap) {
			int ncap = cap ? cap * 2 : 8;
			char **nv = realloc(v, (size_t)ncap * sizeof(*nv));

			if (!nv) {
				snprintf(err, errsz, "out of memory");
				cmdtab_free_words(v, n);
				return -1;
			}
			v = nv;
			cap = ncap;
		}
		v[n] = strdup(buf);
		if (!v[n]) {
			snprintf(err, errsz, "out of memory");
			cmdtab_free_words(v, n);
			return -1;
		}
		n++;
		v[n] = NULL;
	}
	*words = v;
	return n;
}

void cmdtab_free_words(char **words, int n)
{
	for (int i = 0; i < n; i++)
		free(words[i]);
	free(words);
}

static int is_rest(enum arg_kind k)
{
	return k == ARG_VALUE || k == ARG_TEXT;
}

/* 2: exact keyword, 1: prefix of the keyword, 0: no */
static int kw_match(const struct cmd_tok *t, const char *w)
{
	size_t tl = tok_len(t), wl = strlen(w);

	if (wl == 0 || wl > tl || strncmp(t->word, w, wl) != 0)
		return 0;
	return wl == tl ? 2 : 1;
}

static int check_arg(const struct cmd_tok *t, const char *w, char *err, size_t errsz)
{
	if (t->kind == ARG_REVISION || t->kind == ARG_COUNT) {
		for (const char *p = w; *p; p++) {
			if (!isdigit((unsigned char)*p)) {
				snprintf(err, errsz, "%s: expected a positive number, got \"%s\"",
					 arg_kind_name(t->kind), w);
				return -1;
			}
		}
		errno = 0;
		long long v = strtoll(w, NULL, 10);

		if (v <= 0 && errno == 0) {
			snprintf(err, errsz, "%s: expected a positive number, got \"%s\"",
				 arg_kind_name(t->kind), w);
			return -1;
		}
		/* the handlers read it as an int: a larger one was undefined
		 * behaviour there (atoi), and `show audit` read it as negative */
		if (errno == ERANGE || v > INT_MAX) {
			snprintf(err, errsz, "%s: expected a positive number up to %d, got \"%s\"",
				 arg_kind_name(t->kind), INT_MAX, w);
			return -1;
		}
	} else if (t->kind == ARG_PARTITION) {
		char *end;
		long long v = strtoll(w, &end, 10);

		if (!isdigit((unsigned char)*w) || *end || v > 2147483647LL) {
			snprintf(err, errsz,
				 "PARTITION: expected a partition number (0 or more), got "
				 "\"%s\"",
				 w);
			return -1;
		}
	} else if (t->kind == ARG_OFFSET || t->kind == ARG_ID) {
		char *end;
		long long v;

		errno = 0;
		v = strtoll(w, &end, 10);
		if (!isdigit((unsigned char)*w) || *end || errno == ERANGE || v < 0) {
			snprintf(err, errsz, "%s: expected %s (0 or more), got \"%s\"",
				 arg_kind_name(t->kind),
				 t->kind == ARG_OFFSET ? "an offset" : "an audit entry id", w);
			return -1;
		}
	} else if (t->kind == ARG_POSITION) {
		long long v;

		if (cmdtab_parse_position(w, &v)) {
			snprintf(err, errsz,
				 "POSITION: expected earliest, latest or an offset (0 or "
				 "more), got \"%s\"",
				 w);
			return -1;
		}
	} else if (t->kind == ARG_DATETIME) {
		long long ms;

		if (cmdtab_parse_datetime(w, &ms)) {
			snprintf(err, errsz,
				 "DATETIME: expected ISO 8601 with a zone, like "
				 "2026-11-22T10:00:00Z, or epoch milliseconds; got \"%s\"",
				 w);
			return -1;
		}
	} else if (t->kind == ARG_DATE) {
		if (cmdtab_parse_date(w)) {
			snprintf(err, errsz, "DATE: expected a day YYYY-MM-DD, got \"%s\"", w);
			return -1;
		}
	} else if (t->kind == ARG_FLOW && !strstr(w, "->")) {
		snprintf(err, errsz, "FLOW: expected SOURCE->TARGET, got \"%s\"", w);
		return -1;
	}
	return 0;
}

/* The token after the optional keyword at TI and the arguments it takes
 * ("--since DATETIME"): where the matcher goes on when it is left out. */
static size_t opt_end(const struct cmd_def *d, size_t ti)
{
	size_t e = ti + 1;

	while (e < d->ntok && d->tok[e].kind != ARG_KEYWORD && !d->tok[e].optional)
		e++;
	return e;
}

/* 1 when token TI of D is an optional keyword that word W is not: it is
 * left out, with its argument. */
static int skip_opt(const struct cmd_def *d, size_t ti, const char *w)
{
	return d->tok[ti].kind == ARG_KEYWORD && d->tok[ti].optional &&
	       kw_match(&d->tok[ti], w) == 0;
}

/* Whether token TI of D, an optional argument, is left out: word W is one
 * of the optional keywords that follow it ("show transfers --since DATE",
 * "show audit --after 7"). */
static int skip_arg(const struct cmd_def *d, size_t ti, const char *w)
{
	if (!d->tok[ti].optional || d->tok[ti].kind == ARG_KEYWORD)
		return 0;
	for (size_t k = ti + 1; k < d->ntok && d->tok[k].kind == ARG_KEYWORD && d->tok[k].optional;
	     k = opt_end(d, k))
		if (kw_match(&d->tok[k], w) != 0)
			return 1;
	return 0;
}

/* How the command fares against WORDS: score = sum of keyword exactness;
 * *stop = index of the first word that does not fit (n when all fit);
 * returns 1 when the whole command matched. */
static int try_cmd(const struct cmd_def *d, char **words, int n, int *stop, int *score,
		   int *complete)
{
	int wi = 0;
	size_t ti;

	*score = 0;
	*complete = 0;
	for (ti = 0; ti < d->ntok; ti++) {
		const struct cmd_tok *t = &d->tok[ti];

		if (wi >= n) {
			*stop = n;
			*complete = t->optional;
			return t->optional;
		}
		if (skip_opt(d, ti, words[wi])) {
			ti = opt_end(d, ti) - 1; /* left out, with its argument */
			continue;
		}
		if (t->kind == ARG_KEYWORD) {
			int k = kw_match(t, words[wi]);

			if (!k) {
				*stop = wi;
				return 0;
			}
			*score += k;
			wi++;
		} else if (is_rest(t->kind)) {
			wi = n;
		} else if (!skip_arg(d, ti, words[wi])) {
			wi++;
		}
	}
	*stop = wi;
	*complete = 1;
	return wi == n;
}

static unsigned edit_distance(const char *a, const char *b, size_t bl)
{
	size_t al = strlen(a);
	unsigned prev[64], cur[64];

	if (al >= 63 || bl >= 63)
		return 99;
	for (size_t j = 0; j <= bl; j++)
		prev[j] = (unsigned)j;
	for (size_t i = 1; i <= al; i++) {
		cur[0] = (unsigned)i;
		for (size_t j = 1; j <= bl; j++) {
			unsigned c = prev[j - 1] + (a[i - 1] != b[j - 1]);
			unsigned d = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = c < d ? (c < ins ? c : ins) : (d < ins ? d : ins);
		}
		memcpy(prev, cur, sizeof(unsigned) * (bl + 1));
	}
	return prev[bl];
}

enum match_rc cmdtab_match(char **words, int n, unsigned mode, struct cmd_match *m, char *err,
			   size_t errsz)
{
	const struct cmd_def *best = NULL;
	int best_score = -1, ties = 0, furthest = -1;
	char tied[256] = "";

	cmdtab_init();
	memset(m, 0, sizeof(*m));
	if (n == 0) {
		snprintf(err, errsz, "empty command");
		return MATCH_INCOMPLETE;
	}
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const struct cmd_def *d = &table[i];
		int stop, score, complete;

		if (!(d->modes & mode))
			continue;
		if (try_cmd(d, words, n, &stop, &score, &complete)) {
			if (score > best_score) {
				best = d;
				best_score = score;
				ties = 0;
				snprintf(tied, sizeof(tied), "%s", d->syntax);
			} else if (score == best_score) {
				ties++;
				strncat(tied, ", ", sizeof(tied) - strlen(tied) - 1);
				strncat(tied, d->syntax, sizeof(tied) - strlen(tied) - 1);
			}
		} else if (stop > furthest) {
			furthest = stop;
		}
	}
	if (best && ties == 0) {
		int wi = 0;

		m->def = best;
		for (size_t ti = 0; ti < best->ntok && wi < n; ti++) {
			const struct cmd_tok *t = &best->tok[ti];

			if (skip_opt(best, ti, words[wi])) {
				size_t e = opt_end(best, ti);

				/* left out: its arguments are absent */
				while (++ti < e)
					if (m->nargs < CMD_MAX_ARGS)
						m->args[m->nargs++] = NULL;
				ti--;
				continue;
			}
			if (t->kind == ARG_KEYWORD) {
				if (t->optional)
					m->present |= 1u << ti;
				wi++;
				continue;
			}
			if (is_rest(t->kind)) {
				size_t len = 1;

				for (int j = wi; j < n; j++)
					len += strlen(words[j]) + 1;
				m->args[m->nargs] = calloc(1, len);
				for (int j = wi; j < n && m->args[m->nargs]; j++) {
					if (j > wi)
						// NOLINTNEXTLINE(clang-analyzer-security.insecureAPI.strcpy): sized by the sum above
						strcat(m->args[m->nargs], " ");
					// NOLINTNEXTLINE(clang-analyzer-security.insecureAPI.strcpy): sized by the sum above
					strcat(m->args[m->nargs], words[j]);
				}
				m->nargs++;
				wi = n;
			} else if (skip_arg(best, ti, words[wi])) {
				m->args[m->nargs++] = NULL; /* left out */
			} else {
				if (check_arg(t, words[wi], err, errsz)) {
					cmdtab_match_free(m);
					return MATCH_BAD_ARG;
				}
				m->args[m->nargs++] = strdup(words[wi]);
				wi++;
			}
		}
		return MATCH_OK;
	}
	if (best) {
		snprintf(err, errsz, "ambiguous command; it could be: %s", tied);
		return MATCH_AMBIGUOUS;
	}

	/* nothing matched: say where, and what would have fitted there */
	if (furthest >= n) {
		/* all words fit some command, which wants more */
		struct cmd_next nx[32];
		size_t k = cmdtab_next(words, n, "", mode, nx, 32);
		char want[512] = "";

		for (size_t i = 0; i < k; i++) {
			if (!nx[i].word)
				continue;
			if (*want)
				strncat(want, ", ", sizeof(want) - strlen(want) - 1);
			if (nx[i].kind == ARG_KEYWORD)
				strncat(want, nx[i].word, sizeof(want) - strlen(want) - 1);
			else {
				strncat(want, "<", sizeof(want) - strlen(want) - 1);
				strncat(want, arg_kind_name(nx[i].kind),
					sizeof(want) - strlen(want) - 1);
				strncat(want, ">", sizeof(want) - strlen(want) - 1);
			}
		}
		snprintf(err, errsz, "incomplete command; expected %s after \"%s\"", want,
			 words[n - 1]);
		return MATCH_INCOMPLETE;
	}
	/* a command of the other mode? */
	{
		unsigned other = mode == MODE_EXEC ? MODE_CONFIG : MODE_EXEC;

		for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
			int stop, score, complete;

			if ((table[i].modes & other) && !(table[i].modes & mode) &&
			    try_cmd(&table[i], words, n, &stop, &score, &complete)) {
				snprintf(err, errsz,
					 other == MODE_CONFIG
						 ? "`%s` is a configuration-mode command: enter `configure` first"
						 : "`%s` is not a configuration-mode command: `exit` first",
					 table[i].syntax);
				return MATCH_UNKNOWN;
			}
		}
	}

	{
		int at = furthest < 0 ? 0 : furthest;
		struct cmd_next nx[64];
		size_t k = cmdtab_next(words, at, "", mode, nx, 64);
		const char *sugg = NULL;
		unsigned bestd = 3;

		for (size_t i = 0; i < k; i++) {
			if (!nx[i].word || nx[i].kind != ARG_KEYWORD)
				continue;
			unsigned dist = edit_distance(words[at], nx[i].word, strlen(nx[i].word));

			if (dist < bestd) {
				bestd = dist;
				sugg = nx[i].word;
			}
		}
		if (sugg) {
			snprintf(err, errsz, "unknown command at \"%s\"; did you mean \"%s\"?",
				 words[at], sugg);
		} else {
			snprintf(err, errsz,
				 "unknown command at \"%s\"; type ? or help for the "
				 "commands",
				 words[at]);
		}
	}
	return MATCH_UNKNOWN;
}

void cmdtab_match_free(struct cmd_match *m)
{
	for (size_t i = 0; i < m->nargs; i++)
		free(m->args[i]);
	memset(m, 0, sizeof(*m));
}

size_t cmdtab_next(char **words, int n, const char *partial, unsigned mode, struct cmd_next *out,
		   size_t max)
{
	size_t k = 0;
	size_t pl = strlen(partial);

	cmdtab_init();
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]) && k < max; i++) {
		const struct cmd_def *d = &table[i];
		int wi = 0;
		size_t ti;
		int ok = 1;

		if (!(d->modes & mode))
			continue;
		for (ti = 0; ti < d->ntok && wi < n; ti++) {
			const struct cmd_tok *t = &d->tok[ti];

			if (skip_opt(d, ti, words[wi])) {
				ti = opt_end(d, ti) - 1;
				continue;
			}
			if (t->kind == ARG_KEYWORD) {
				if (!kw_match(t, words[wi])) {
					ok = 0;
					break;
				}
			} else if (is_rest(t->kind)) {
				/* everything after belongs to the argument */
				wi = n;
				ti = d->ntok;
				ok = 0; /* nothing structured follows a rest argument */
				break;
			} else if (skip_arg(d, ti, words[wi])) {
				continue;
			}
			wi++;
		}
		if (!ok || wi < n)
			continue;
		if (ti == d->ntok) {
			/* the command may end here */
			if (pl == 0) {
				int dup = 0;

				for (size_t j = 0; j < k; j++)
					dup |= out[j].word == NULL;
				if (!dup)
					out[k++] = (struct cmd_next){ NULL, ARG_KEYWORD,
								      "end of command", 14 };
			}
			continue;
		}
		const struct cmd_tok *t = &d->tok[ti];
		int dup = 0;

		/* a keyword that does not start with PARTIAL is not listed,
		 * but optional keywords after it may be */
		if (t->kind == ARG_KEYWORD && strncmp(t->word, partial, pl) != 0)
			dup = 1;
		for (size_t j = 0; j < k; j++) {
			if (!out[j].word)
				continue;
			if (out[j].kind == t->kind && strcmp(out[j].word, t->word) == 0)
				dup = 1;
		}
		if (!dup && k < max)
			out[k++] = (struct cmd_next){ t->word, t->kind, t->help, t->help_len };
		/* an optional argument or keyword may be left out for the
		 * optional keywords after it */
		for (size_t o = t->kind == ARG_KEYWORD ? opt_end(d, ti) : ti + 1;
		     t->optional && o < d->ntok && d->tok[o].kind == ARG_KEYWORD &&
		     d->tok[o].optional;
		     o = opt_end(d, o)) {
			const struct cmd_tok *kw = &d->tok[o];
			int seen = 0;

			for (size_t j = 0; j < k; j++)
				seen |= out[j].word && strcmp(out[j].word, kw->word) == 0;
			if (!seen && strncmp(kw->word, partial, pl) == 0 && k < max)
				out[k++] = (struct cmd_next){ kw->word, kw->kind, kw->help,
							      kw->help_len };
		}
		if (t->optional && pl == 0 && k < max) {
			int dupe = 0;

			for (size_t j = 0; j < k; j++)
				dupe |= out[j].word == NULL;
			if (!dupe)
				out[k++] = (struct cmd_next){ NULL, ARG_KEYWORD, "end of command",
							      14 };
		}
	}
	return k;
}


int cmdtab_flag(const struct cmd_match *m, const char *word)
{
	for (size_t ti = 0; m->def && ti < m->def->ntok; ti++)
		if (m->def->tok[ti].kind == ARG_KEYWORD && strcmp(m->def->tok[ti].word, word) == 0)
			return (m->present >> ti) & 1u;
	return 0;
}

int cmdtab_parse_position(const char *s, long long *out)
{
	char *end;

	if (strcmp(s, "earliest") == 0) {
		*out = -2;
		return 0;
	}
	if (strcmp(s, "latest") == 0) {
		*out = -1;
		return 0;
	}
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return *end || errno ? -1 : 0;
}

int cmdtab_parse_date(const char *s)
{
	struct tm tm;
	int y, mo, d, n = 0;
	time_t t;

	// NOLINTNEXTLINE(cert-err34-c): %n and the count check the whole form
	if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10 ||
	    s[4] != '-' || s[7] != '-' || strspn(s, "0123456789-") != 10)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = 12;
	t = timegm(&tm);
	/* a day that does not exist (2026-02-30) comes back as another one */
	if (gmtime_r(&t, &tm) == NULL || tm.tm_year != y - 1900 || tm.tm_mon != mo - 1 ||
	    tm.tm_mday != d)
		return -1;
	return 0;
}

int cmdtab_parse_datetime(const char *s, long long *ms)
{
	struct tm tm;
	int y, mo, d, h, mi, sec, n = 0, frac = 0, fd = 0;
	const char *p;
	long long t, off = 0;

	if (*s && strspn(s, "0123456789") == strlen(s)) {
		// NOLINTNEXTLINE(cert-err34-c): digits only, at most 15 (checked above)
		*ms = atoll(s);
		return strlen(s) > 15 ? -1 : 0;
	}
	// NOLINTNEXTLINE(cert-err34-c): %n and the count check the whole form
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || n != 19)
		return -1;
	p = s + n;
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			if (fd < 3) {
				frac = frac * 10 + (*p - '0');
				fd++;
			}
			p++;
		}
		while (fd < 3) {
			frac *= 10;
			fd++;
		}
	}
	if (*p == 'Z' && p[1] == '\0') {
		off = 0;
	} else if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) &&
		   isdigit((unsigned char)p[2]) && p[3] == ':' && isdigit((unsigned char)p[4]) &&
		   isdigit((unsigned char)p[5]) && p[6] == '\0') {
		off = ((p[1] - '0') * 10 + (p[2] - '0')) * 3600 +
		      ((p[4] - '0') * 10 + (p[5] - '0')) * 60;
		if (*p == '-')
			off = -off;
	} else {
		return -1; /* a time without a zone is ambiguous */
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = (long long)timegm(&tm);
	*ms = (t - off) * 1000 + frac;
	return 0;
}
