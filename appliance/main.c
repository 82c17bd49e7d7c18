/*
 * main.c — ferryd: command line, the main event loop (signals, status
 * timer, sd_notify), and starting/stopping the flows of a topology.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "appliance/store/audit.h"
#include "appliance/conf/clientconf.h"
#include "appliance/conf/conf.h"
#include "appliance/control/control.h"
#include "appliance/control/metrics.h"
#include "appliance/runtime.h"
#include "appliance/conf/conf_keys.h"
#include "appliance/data/flow.h"
#include "appliance/log.h"
#include "appliance/store/auditchain.h"
#include "appliance/store/state.h"
#include "appliance/store/statelock.h"
#include "lib/version.h"

#define DEFAULT_STATE_DIR "/var/lib/ferry"

static const char usage_text[] =
	"usage: ferryd [OPTIONS] CONFIG\n"
	"       ferryd --check-config CONFIG\n"
	"       ferryd --list-keys | --dump-keys | --dump-metrics\n"
	"       ferryd [--state-dir DIR] --verify-audit\n"
	"\n"
	"Runs every enabled replication flow of CONFIG, an Apache Kafka MirrorMaker 2\n"
	"connect-mirror-maker.properties file, in the foreground.\n"
	"\n"
	"  -c, --check-config     validate CONFIG, print the resolved topology, exit\n"
	"  -d, --state-dir DIR    where the SQLite state store lives (default " DEFAULT_STATE_DIR
	")\n"
	"  -l, --log-level LEVEL  error, warning, info (default) or debug\n"
	"  -t, --log-target T     auto (default), stderr or journal\n"
	"      --list-keys        print every configuration key ferryd knows, exit\n"
	"      --dump-keys        the same with every column of the table (make docs), exit\n"
	"      --dump-metrics     print every metric of the registry (make docs), exit\n"
	"      --verify-audit     check the hash chain of the audit trail in the state\n"
	"                         directory (ferryd may run meanwhile), exit: 0 ok,\n"
	"                         3 broken, 1 when the store cannot be read\n"
	"  -V, --version          print the version, exit\n"
	"  -h, --help             print this help, exit\n"
	"\n"
	"Exit status: 0 after a clean stop, 1 when every flow failed or the state\n"
	"store cannot be used, 2 for a bad command line, 69 when the control socket\n"
	"cannot be set up, 75 when another ferryd uses the state directory, 78 for a\n"
	"bad CONFIG.\n";

struct daemon {
	struct statelock *lock;
	struct runtime rt;
	struct control *ctl;
	struct metrics_http *http;
	int exit_code;
	int ticks;
};

static void print_diags(const struct diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		fprintf(stderr, "ferryd: %s: %s\n", d->v[i].is_error ? "error" : "warning",
			d->v[i].msg);
}

static void print_settings(const char *title, const struct props *s)
{
	int any = 0;

	printf("  %s:", title);
	for (size_t i = 0; i < s->n; i++) {
		if (props_get(s, s->v[i].key) != &s->v[i])
			continue;
		printf("%s%s=%s", any ? ", " : " ", s->v[i].key,
		       clientconf_is_sensitive(s->v[i].key) ? "[hidden]" : s->v[i].value);
		any = 1;
	}
	printf("%s\n", any ? "" : " (defaults)");
}

static void print_topology(const struct conf *c)
{
	printf("config: %s\n", c->file);
	printf("clusters:");
	for (size_t i = 0; i < c->nclusters; i++)
		printf("%s%s", i ? ", " : " ", c->clusters[i].alias);
	printf("\n");
	printf("flows: %zu enabled\n", c->nflows);
	for (size_t i = 0; i < c->nflows; i++) {
		const struct conf_flow *f = &c->flows[i];
		char example[600];

		policy_format_remote(&f->policy, f->source, "<topic>", example, sizeof(example));
		printf("flow %s\n", f->name);
		printf("  remote topics: <topic> on %s -> %s on %s\n", f->source, example,
		       f->target);
		printf("  cycle rule: topics that came from %s are never sent back\n", f->target);
		/* every key the flow holds, as resolved (the table says which) */
		for (unsigned k = 0; k < conf_keys_count; k++) {
			char num[64];

			if (conf_keys[k].field != CKF_NONE)
				printf("  %s: %s\n", conf_keys[k].name,
				       conf_flow_key_value(f, &conf_keys[k], num, sizeof(num)));
		}
		print_settings("consumer", &f->consumer);
		print_settings("producer", &f->producer);
		print_settings("source admin", &f->source_admin);
		print_settings("target admin", &f->target_admin);
		print_settings("topic overrides", &f->topic_overrides);
	}
}

/* where a key may be set, as --list-keys and --dump-keys name it */
static const char *key_scope(const struct conf_key *k)
{
	if ((k->flags & CK_CLUSTER) && (k->flags & CK_FLOW))
		return "cluster,flow";
	if (k->flags & CK_CLUSTER)
		return "cluster";
	if ((k->flags & CK_GLOBAL) && (k->flags & CK_FLOW))
		return "global,flow";
	return (k->flags & CK_FLOW) ? "flow" : "global";
}

/* how ferry treats a key, as --list-keys and --dump-keys name it */
static const char *key_support(const struct conf_key *k)
{
	if (k->flags & CK_NOT_YET)
		return "not-yet";
	if (k->flags & CK_WORKER)
		return "ignored";
	return (k->flags & CK_DEPRECATED) ? "deprecated" : "supported";
}

static void list_keys(void)
{
	for (unsigned i = 0; i < conf_keys_count; i++) {
		const struct conf_key *k = &conf_keys[i];
		const char *support = key_support(k);
		const char *scope = key_scope(k);

		printf("%s%s\t%s\t%s\t%s\t%s\t%s\n", k->name, (k->flags & CK_PREFIX) ? "*" : "",
		       ck_type_name(k->type), k->def ? k->def : "-", scope, support, k->help);
	}
}

/*
 * Every column of the key table, tab-separated, "-" where a column has no
 * value (a default of "" prints as nothing): name (prefix keys end in
 * '*'), type, default, bounds (min..max for integers with bounds), scope,
 * support, deprecated alias of, when it applies (commit or restart),
 * sensitive (yes/no), the value that silences a not-yet key, help.
 * scripts/gen-man.pl turns it into the key reference of ferry.conf(5).
 */
static void dump_keys(void)
{
	for (unsigned i = 0; i < conf_keys_count; i++) {
		const struct conf_key *k = &conf_keys[i];
		const char *support = key_support(k);
		const char *scope = key_scope(k);
		char bounds[64] = "-";

		if (k->type == CK_INT && (k->min || k->max))
			snprintf(bounds, sizeof(bounds), "%lld..%lld", k->min, k->max);
		printf("%s%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k->name,
		       (k->flags & CK_PREFIX) ? "*" : "", ck_type_name(k->type),
		       k->def ? k->def : "-", bounds, scope, support,
		       k->alias_of ? k->alias_of : "-",
		       (k->flags & CK_RESTART) ? "restart" : "commit",
		       (k->flags & CK_SENSITIVE) ? "yes" : "no",
		       k->ferry_value ? k->ferry_value : "-", k->help);
	}
}

/* The metric registry, tab-separated: Prometheus name, type, MM2's name,
 * help; scripts/gen-man.pl turns it into ferryd(8)'s METRICS. */
static void dump_metrics(void)
{
	for (unsigned i = 0; i < metric_defs_count; i++)
		printf("%s\t%s\t%s\t%s\n", metric_defs[i].prom, metric_defs[i].type,
		       metric_defs[i].name, metric_defs[i].help);
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	(void)userdata;
	if (si->ssi_signo == SIGHUP) {
		log_warn("SIGHUP: reloading the configuration is not supported yet; ignored");
		return 0;
	}
	log_info("%s received: stopping (in-flight records are flushed, positions saved)",
		 strsignal((int)si->ssi_signo));
	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct daemon *d = userdata;
	struct runtime *rt = &d->rt;
	size_t failed = 0, running = 0, stalled = 0, active = 0;
	char stalls[64] = "";
	unsigned long long recs = 0;
	char status[256];

	for (size_t i = 0; i < rt->nflows; i++) {
		const char *st = runtime_flow_state(&rt->flows[i], NULL);
		struct flow_counters c;

		/* since ferryd started, paused flows' too (as /metrics counts) */
		runtime_flow_counters(&rt->flows[i], &c);
		recs += c.records;
		if (strcmp(st, "paused") == 0)
			continue;
		active++;
		failed += strcmp(st, "failed") == 0;
		running += strcmp(st, "running") == 0;
		stalled += strcmp(st, "stalled") == 0;
	}
	metrics_tick(rt);
	audit_retry();
	if (stalled)
		snprintf(stalls, sizeof(stalls), "%zu stalled, ", stalled);
	snprintf(status, sizeof(status),
		 "STATUS=%zu flows running, %s%zu failed, %llu records mirrored", running, stalls,
		 failed, recs);
	sd_notify(0, status);
	if (++d->ticks % 10 == 0)
		log_debug("%s", status + 7);
	/* with no control socket nobody could resume a failed flow: exit so
	 * the service manager restarts ferryd */
	if (!d->ctl && active > 0 && failed == active) {
		log_error("every flow has failed; ferryd exits");
		d->exit_code = 1;
		return sd_event_exit(sd_event_source_get_event(s), 1);
	}
	return sd_event_source_set_time(s, usec + 1000000);
}

static int run(struct daemon *d, const char *config_file, const char *state_dir, struct conf *conf)
{
	sd_event *ev = NULL;
	sd_event_source *tick = NULL;
	struct ferr err;
	sigset_t ss;
	uint64_t now;
	int rc, busy;
	const char *sock;

	/* before anything in the directory is opened or changed: a second
	 * ferryd there would write every record twice */
	if (statelock_take(state_dir, &d->lock, &busy, &err)) {
		log_error("%s; nothing started", err.msg);
		conf_unref(conf);
		return busy ? EX_TEMPFAIL : 1;
	}
	if (runtime_init(&d->rt, config_file, state_dir, conf, &err)) {
		log_error("%s", err.msg);
		runtime_stop(&d->rt);
		statelock_release(d->lock);
		return 1;
	}
	if (audit_open(state_dir, &err)) {
		log_error("%s", err.msg);
		runtime_stop(&d->rt);
		statelock_release(d->lock);
		return 1;
	}
	/* signals are handled by sd-event: block them before any thread exists */
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);

	rc = sd_event_default(&ev);
	if (rc < 0) {
		log_error("cannot create the event loop: %s", strerror(-rc));
		d->exit_code = 1;
		goto out;
	}
	sd_event_add_signal(ev, NULL, SIGTERM, on_signal, d);
	sd_event_add_signal(ev, NULL, SIGINT, on_signal, d);
	sd_event_add_signal(ev, NULL, SIGHUP, on_signal, d);

	/* a ferryd nobody can pause, resume or stop through its socket is not
	 * what was configured: unless the socket is off, no socket, no start
	 * (the metrics endpoint only watches: without it ferryd runs on) */
	sock = conf_global(d->rt.conf, "ferry.control.socket");
	if (sock && strcmp(sock, "off") == 0) {
		log_info("control socket off (ferry.control.socket = off): no shell, no commands");
	} else if (control_start(ev, &d->rt, &d->ctl, &err)) {
		log_error("control socket: %s; nothing started (ferry.control.socket = off runs "
			  "without one)",
			  err.msg);
		d->exit_code = EX_UNAVAILABLE;
		goto out;
	}
	if (metrics_http_start(ev, &d->rt, conf_global(d->rt.conf, "ferry.metrics.listen"),
			       &d->http, &err))
		log_error("%s; running without it", err.msg);

	runtime_start(&d->rt);
	log_info("ferryd %s started: %zu flows, configuration revision %d, state in %s",
		 FERRY_VERSION, d->rt.nflows, d->rt.revision, state_dir);

	sd_event_now(ev, CLOCK_MONOTONIC, &now);
	sd_event_add_time(ev, &tick, CLOCK_MONOTONIC, now + 1000000, 0, on_tick, d);
	sd_event_source_set_enabled(tick, SD_EVENT_ON);
	sd_notify(0, "READY=1\nSTATUS=running");
	rc = sd_event_loop(ev);
	if (rc < 0) {
		log_error("event loop failed: %s", strerror(-rc));
		d->exit_code = 1;
	}
out:
	sd_notify(0, "STOPPING=1");
	control_stop(d->ctl);
	metrics_http_stop(d->http);
	runtime_stop(&d->rt);
	metrics_shutdown();
	reach_shutdown();
	audit_close();
	sd_event_source_unref(tick);
	sd_event_unref(ev);
	if (d->exit_code == 0)
		log_info("ferryd stopped cleanly");
	statelock_release(d->lock); /* last: the store and audit trail are closed */
	return d->exit_code;
}

/* --verify-audit: what `audit verify` says, without a running ferryd (a
 * reader beside one is fine: the store is in WAL mode). */
static int verify_audit(const char *state_dir)
{
	char path[4096];
	struct state *st = NULL;
	struct audit_walk w;
	struct ferr err;

	snprintf(path, sizeof(path), "%s/ferry.db", state_dir);
	/* opening would create an empty store where there is none */
	if (access(path, R_OK) != 0) {
		fprintf(stderr, "ferryd: --verify-audit: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (state_open_worker(state_dir, &st, &err) || state_audit_verify(st, &w, &err)) {
		fprintf(stderr, "ferryd: --verify-audit: %s\n", err.msg);
		state_close(st);
		return 1;
	}
	state_close(st);
	printf("%s: audit trail %s: %lld entries checked", path, w.broken ? "broken" : "ok",
	       (long long)w.checked);
	if (w.checked)
		printf(", ids %lld to %lld", (long long)w.first_id, (long long)w.last_id);
	if (w.broken)
		printf(": %s", w.problem);
	putchar('\n');
	return w.broken ? 3 : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "check-config", no_argument, NULL, 'c' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "log-target", required_argument, NULL, 't' },
		{ "list-keys", no_argument, NULL, 'K' },
		{ "dump-keys", no_argument, NULL, 'D' },
		{ "dump-metrics", no_argument, NULL, 'M' },
		{ "verify-audit", no_argument, NULL, 'A' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum log_level level = LOG_LVL_INFO;
	enum log_target target = LOG_TO_AUTO;
	const char *state_dir = DEFAULT_STATE_DIR;
	int check = 0, verify = 0, opt;
	struct diags d = { 0 };
	struct daemon dm = { 0 };
	struct conf *conf = NULL;
	int rc;

	while ((opt = getopt_long(argc, argv, "cd:l:t:Vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			check = 1;
			break;
		case 'd':
			state_dir = optarg;
			break;
		case 'l':
			if (log_level_parse(optarg, &level)) {
				fprintf(stderr,
					"ferryd: --log-level: unknown level \"%s\"; expected "
					"error, warning, info or debug\n",
					optarg);
				return 2;
			}
			break;
		case 't':
			if (log_target_parse(optarg, &target)) {
				fprintf(stderr,
					"ferryd: --log-target: unknown target \"%s\"; expected "
					"auto, stderr or journal\n",
					optarg);
				return 2;
			}
			break;
		case 'K':
			list_keys();
			return 0;
		case 'D':
			dump_keys();
			return 0;
		case 'M':
			dump_metrics();
			return 0;
		case 'A':
			verify = 1;
			break;
		case 'V':
			printf("ferryd %s (librdkafka %s)\n", FERRY_VERSION,
			       rd_kafka_version_str());
			return 0;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (verify && optind == argc)
		return verify_audit(state_dir);
	if (optind != argc - 1) {
		fprintf(stderr, "ferryd: %s\n\n%s",
			optind >= argc ? "missing CONFIG argument"
				       : "only one CONFIG argument allowed",
			usage_text);
		return 2;
	}
	if (target == LOG_TO_JOURNAL && access("/run/systemd/journal/socket", W_OK) != 0) {
		/* journald is not running here: lines sent to it would vanish */
		fprintf(stderr, "ferryd: warning: --log-target journal: journald is not reachable "
				"(/run/systemd/journal/socket); logging to stderr\n");
		target = LOG_TO_STDERR;
	}
	log_setup(level, target);

	rc = conf_load(argv[optind], &conf, &d);
	print_diags(&d);
	if (rc) {
		fprintf(stderr, "ferryd: %u error%s in %s; nothing started\n", d.nerrors,
			d.nerrors == 1 ? "" : "s", argv[optind]);
		diags_free(&d);
		return EX_CONFIG;
	}
	diags_free(&d);
	if (check) {
		print_topology(conf);
		conf_unref(conf);
		return 0;
	}
	/* the configuration passes to the runtime */
	return run(&dm, argv[optind], state_dir, conf);
}
