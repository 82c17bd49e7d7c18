/*
 * test_kclient_reach.c — what a client with a watcher says of its
 * cluster: the broker states of librdkafka's statistics, and which failed
 * connections are still worth a warning. Real librdkafka handles against
 * a port nobody listens on; no broker is needed.
 */
#include "appliance/kclient.h"
#include "tap.h"

#include <string.h>

static int up(const char *json)
{
	return kclient_stats_broker_up(json, strlen(json));
}

int main(void)
{
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

	return done_testing();
}
