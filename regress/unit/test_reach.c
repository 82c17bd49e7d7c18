/*
 * test_reach.c — a cluster's reachability from what its watchers say.
 */
#include "appliance/log.h"
#include "appliance/kafka/reach.h"
#include "tap.h"

int main(void)
{
	char why[400];
	int64_t since, down_ms;
	struct reach *a1, *a2, *b;
	unsigned g;

	log_setup(LOG_LVL_ERROR, LOG_TO_STDERR);
	is_int(reach_cluster("A", why, sizeof(why), &since, &down_ms), REACH_UNKNOWN,
	       "a cluster nobody watches is unknown");
	a1 = reach_new("A", "A->B");
	a2 = reach_new("A", "A->C");
	b = reach_new("B", "A->B");
	ok(a1 && a2 && b, "watchers made");
	is_int(reach_cluster("A", NULL, 0, NULL, NULL), REACH_UNKNOWN, "watched, not heard yet");

	reach_up(a1);
	is_int(reach_cluster("A", NULL, 0, NULL, NULL), REACH_REACHABLE, "one watcher heard it");
	is_int(reach_cluster("B", NULL, 0, NULL, NULL), REACH_UNKNOWN, "B is another cluster");

	g = reach_generation(a2);
	reach_down(a2, "Connect to ipv4#127.0.0.1:1 failed: Connection refused");
	is_int(reach_cluster("A", why, sizeof(why), &since, &down_ms), REACH_UNREACHABLE,
	       "one watcher that cannot reach it is enough");
	is(why, "Connect to ipv4#127.0.0.1:1 failed: Connection refused", "with its reason");
	ok(since > 0, "and since when");
	ok(reach_is_down(a2, why, sizeof(why)) && !reach_is_down(a1, NULL, 0),
	   "each watcher keeps its own view");
	is(reach_cluster_of(a2), "A", "a watcher knows its cluster");
	{
		/* a flow just resumed: its watcher has heard nothing yet */
		struct reach *fresh = reach_new("A", "A->D");

		why[0] = '\0';
		ok(reach_is_down(fresh, why, sizeof(why)),
		   "a new watcher of a cluster known down says down");
		is(why, "Connect to ipv4#127.0.0.1:1 failed: Connection refused",
		   "with the cluster's reason");
		reach_up(fresh);
		ok(!reach_is_down(fresh, NULL, 0), "until it hears from the cluster itself");
		reach_free(fresh);
	}

	reach_up(a2);
	ok(reach_generation(a2) != g, "hearing it again starts a new generation");
	is_int(reach_cluster("A", why, sizeof(why), &since, &down_ms), REACH_REACHABLE,
	       "reachable once no watcher says otherwise");
	is(why, "", "no reason then");
	ok(down_ms >= 0, "unreachable time kept");

	reach_down(a1, "x");
	reach_free(a1);
	reach_free(a2);
	is_int(reach_cluster("A", NULL, 0, NULL, NULL), REACH_UNKNOWN,
	       "unknown again when no flow watches it");
	reach_free(b);
	reach_free(NULL);
	reach_down(NULL, "ignored");
	ok(!reach_is_down(NULL, NULL, 0), "a missing watcher says nothing");
	reach_shutdown();
	return done_testing();
}
