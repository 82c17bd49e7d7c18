/*
 * test_kclient_reach.c — what a client with a watcher says of its
 * cluster: the broker states of librdkafka's statistics, and which failed
 * connections are still worth a warning. Real librdkafka handles against
 * a port nobody listens on; no broker is needed.
 */
#include "appliance/kafka/kclient.h"
#include "appliance/log.h"
#include "appliance/conf/props.h"
#include "appliance/kafka/reach.h"
#include "lib/clock.h"
#include "tap.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int up(const char *json)
{
	return kclient_stats_broker_up(json, strlen(json));
}

/* A port bound but not listening: every connection to it is refused. */
static int closed_port(int *fd)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*fd = socket(AF_INET, SOCK_STREAM, 0);
	if (*fd < 0 || bind(*fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(*fd, (struct sockaddr *)&sa, &len) != 0)
		return -1;
	return ntohs(sa.sin_port);
}

/* What the log said while RK was polled for MS, stderr caught in a file. */
static char *log_while_polled(rd_kafka_t *rk, int ms)
{
	char path[] = "/tmp/test_kclient_reach.XXXXXX", *text;
	int fd = mkstemp(path), saved = dup(2);
	long n;
	FILE *f;

	fflush(stderr);
	dup2(fd, 2);
	for (int64_t end = clock_mono_ms() + ms; clock_mono_ms() < end;)
		rd_kafka_poll(rk, 100);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	f = fopen(path, "r");
	unlink(path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)n + 1);
	if (fread(text, 1, (size_t)n, f) != (size_t)n)
		text[0] = '\0';
	fclose(f);
	return text;
}

static int has_warning(const char *log, const char *needle)
{
	for (const char *l = log; l && *l;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);
		char line[2048];

		snprintf(line, sizeof(line), "%.*s", (int)len, l);
		if (strstr(line, "warning:") && strstr(line, needle))
			return 1;
		l = nl ? nl + 1 : NULL;
	}
	return 0;
}

int main(void)
{
	struct props settings = { 0 };
	struct kclient_opts o;
	struct ferr err;
	struct reach *watch, *other;
	rd_kafka_t *rk = NULL;
	char addr[64], *log;
	int lfd, port;

	/* --- the statistics: only a broker in state UP counts --- */
	ok(up("{\"name\":\"p\",\"brokers\":{\"b:9092/1\":{\"name\":\"b:9092/1\",\"state\":\"UP\"}}}"),
	   "a broker UP");
	ok(!up("{\"brokers\":{\"b:9092/1\":{\"state\":\"DOWN\"}}}"), "a broker DOWN");
	ok(!up("{\"brokers\":{\"b:9092/1\":{\"state\":\"UPDATE\"}}}"),
	   "UPDATE (its address is changing, the connection goes) is not UP");
	ok(!up("{\"brokers\":{\"b:9092/1\":{\"state\":\"TRY_CONNECT\"}},"
	       "\"topics\":{\"t\":{\"state\":\"UP\"}}}"),
	   "a \"state\" outside \"brokers\" is not a broker's");
	ok(!up("{\"brokers\":{}}"), "no broker");

	/* --- failed connections of a client whose watcher hears the cluster --- */
	log_setup(LOG_LVL_WARNING, LOG_TO_STDERR);
	port = closed_port(&lfd);
	ok(port > 0, "a port nobody listens on");
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	props_set(&settings, "bootstrap.servers", addr, 1);

	/* the cluster answers the flow's other clients: a client that cannot
	 * connect to one of its brokers is worth a warning (one of several
	 * brokers away), as before watchers existed */
	watch = reach_new("X", "X->Y");
	other = reach_new("X", "X->Z");
	reach_up(other);
	reach_up(watch);
	o = (struct kclient_opts){ .what = "X->Y admin client of X",
				   .reach = watch,
				   .reach_manual = 1 };
	ok(kclient_new(RD_KAFKA_PRODUCER, &settings, ROLE_ADMIN, &o, &rk, &err) == 0,
	   "a watched client");
	log = log_while_polled(rk, 3000);
	is_int(reach_cluster("X", NULL, 0, NULL, NULL), REACH_REACHABLE,
	       "the cluster stays reachable (the caller reports for this client)");
	ok(has_warning(log, "refused"),
	   "its refused connection is a warning while the cluster is reachable");
	if (!has_warning(log, "refused"))
		diag("log: %s", log);
	free(log);
	kclient_destroy(rk);

	/* once the cluster is known unreachable its watchers said so once:
	 * a client says nothing more of its own failed connections */
	reach_down(other, "Connect to ipv4#127.0.0.1:1 failed: Connection refused");
	ok(kclient_new(RD_KAFKA_PRODUCER, &settings, ROLE_ADMIN, &o, &rk, &err) == 0,
	   "another watched client");
	log_setup(LOG_LVL_WARNING, LOG_TO_STDERR);
	log = log_while_polled(rk, 3000);
	ok(!has_warning(log, "refused") && !has_warning(log, "brokers are down"),
	   "no warning per retry while the cluster is known unreachable");
	free(log);
	kclient_destroy(rk);

	reach_free(watch);
	reach_free(other);
	reach_shutdown();
	props_free(&settings);
	close(lfd);
	return done_testing();
}
