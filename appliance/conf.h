/*
 * conf.h — the typed topology read from an MM2 connect-mirror-maker.properties
 * file: clusters, the enabled flows between them, each flow's filters,
 * policy, knobs and the Kafka client settings of its four clients, resolved
 * with MM2's precedence:
 *
 *   default < top-level KEY < A->B.KEY                     (flow keys)
 *   top-level client key < top-level ROLE.KEY < A.KEY
 *     < A.ROLE.KEY < A->B.ROLE.KEY                          (client settings)
 *
 * where ROLE is consumer (source side), producer (target side) or admin.
 */
#ifndef FERRY_CONF_H
#define FERRY_CONF_H

#include <stddef.h>

#include "diag.h"
#include "policy.h"
#include "props.h"
#include "topicfilter.h"

struct conf_cluster {
	char *alias;
};

struct conf_flow {
	char name[256];                 /* "A->B" */
	const char *source, *target;    /* point into conf->clusters */
	struct regexlist *topics;
	struct regexlist *exclude;
	struct policy policy;
	int replication_factor;
	int refresh_enabled;
	long long refresh_interval_s;
	int tasks_max;
	/* Java-named client settings in precedence order (later wins) */
	struct props consumer;          /* source cluster */
	struct props producer;          /* target cluster */
	struct props source_admin;
	struct props target_admin;
};

struct conf {
	char *file;
	struct props raw;
	struct conf_cluster *clusters;
	size_t nclusters;
	struct conf_flow *flows;        /* enabled flows only */
	size_t nflows;
	long long flush_interval_ms;
	long long shutdown_timeout_ms;
};

/*
 * Loads and validates PATH. Every problem found is added to D (errors and
 * warnings, formatted FILE:LINE: KEY: ...). Returns 0 when D holds no
 * errors; otherwise -1 and *out is untouched. Nothing is connected to.
 */
int conf_load(const char *path, struct conf **out, struct diags *d);
/* The same from text already in memory (NAME is used in messages). */
int conf_parse(const char *name, const char *text, size_t len, struct conf **out,
	       struct diags *d);

void conf_free(struct conf *c);

#endif
