/*
 * placement.h — data placement: whether a copy of a topic may be held by a
 * cluster, from the configuration's rules (`ferry.placement.<rule>.*`) and
 * the clusters' labels (`A.ferry.labels`). One pure decision function, so
 * discovery, the mirror tasks, the shell's `placement check` and `show
 * placement` (and later the PostgreSQL extension) cannot disagree.
 */
#ifndef FERRY_PLACEMENT_H
#define FERRY_PLACEMENT_H

#include <stddef.h>

#include "appliance/conf/conf.h"
#include "lib/err.h"

struct placement_verdict {
	int allowed;        /* 1: every rule naming the topic is met (or none names it) */
	size_t nrules;      /* how many rules name the topic */
	char rules[512];    /* their names, comma-separated ("" none) */
	char blocking[512]; /* of those, the ones the cluster does not meet */
	char category[512]; /* their categories, comma-separated, no repeats */
	char basis[512];    /* their legal bases, "; "-separated, no repeats */
	char missing[512];  /* required labels the cluster lacks ("k=v, ...") */
};

/*
 * Whether CLUSTER (an alias of C) may hold a copy of TOPIC (its name on the
 * source, which the rules' regexes match in full). A topic named by several
 * rules must meet all of them; a cluster without labels meets no
 * requirement. 0 with *V filled, or -1 (ERR) when CLUSTER is not in C.
 * Pure: reads C only, allocates nothing, any thread.
 */
int placement_check(const struct conf *c, const char *topic, const char *cluster,
		    struct placement_verdict *v, struct ferr *err);

/*
 * The same for a topic a flow (CF) copies: TOPIC and, when the flow's
 * replication policy says it is itself a remote topic (A.customers-eu on
 * B, copied on by B->C), its upstream names too, hop by hop, so that a
 * rule on customers-.* also holds on the second hop. The verdicts are
 * merged: allowed only when every name is. On error (-1, ERR) *V still
 * says no (allowed 0, blocking names the failure): callers that act on
 * *V regardless fail closed.
 */
int placement_check_flow(const struct conf *c, const struct conf_flow *cf, const char *topic,
			 struct placement_verdict *v, struct ferr *err);

/* 1 when C has any placement rule (a quick way out for the data path). */
int placement_any(const struct conf *c);

/* C's labels of CLUSTER as written ("region=eu, jurisdiction=de"; "" none). */
void placement_labels(const struct conf *c, const char *cluster, char *buf, size_t sz);

#endif
