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

#include "appliance/conf/clientconf.h"
#include "appliance/conf/diag.h"
#include "appliance/conf/policy.h"
#include "appliance/conf/props.h"
#include "appliance/conf/topicfilter.h"

/* One `key=value` label of a cluster (`A.ferry.labels`) or one label a
 * placement rule requires (`ferry.placement.<rule>.require`). */
struct conf_label {
	char key[64], value[128];
};

struct conf_cluster {
	char *alias;
	struct conf_label *labels; /* A.ferry.labels; none: meets no requirement */
	size_t nlabels;
};

/* A data-placement rule (`ferry.placement.<name>.*`): the topics it names
 * may only be copied to clusters carrying every label of require. The
 * decision is appliance/placement/placement.h's. */
struct conf_rule {
	char name[64];
	struct regexlist *topics; /* whole-name match, as MM2's topic filters */
	struct conf_label *require;
	size_t nrequire;
	char *category, *basis; /* "" when not set */
};

struct conf_flow {
	char name[256];              /* "A->B", or "failback:A->B" */
	char failback_of[256];       /* set on a failback flow: the flow it reverses */
	const char *source, *target; /* point into conf->clusters */
	/*
	 * The resolved value of every key of conf_keys.c with a field (see
	 * enum ck_field): the table says which member holds which key. A new
	 * key gets a member here and an F(...) there, and the fingerprint,
	 * --check-config and the failback copy follow by themselves.
	 */
	struct regexlist *topics;
	struct regexlist *exclude;
	struct policy policy; /* kind, separator, heartbeats_topic from keys */
	int internal_sep_enabled;
	int replication_factor;
	int refresh_enabled;
	long long refresh_interval_s;
	int tasks_max;
	long long flush_interval_ms; /* global keys the flow depends on */
	long long shutdown_timeout_ms;
	long long max_inflight_bytes; /* ferry.mirror.max.inflight.bytes, per task */
	long long syncs_retention;
	int emit_offset_syncs;
	char offset_syncs_location[64]; /* offset-syncs.topic.location: source or target (room
					 * for a wrong value, named in its error) */
	int offset_syncs_rf;
	long long offset_lag_max;
	int emit_checkpoints;
	long long checkpoints_interval_s;
	int checkpoints_rf;
	struct regexlist *groups;
	struct regexlist *groups_exclude;
	long long refresh_groups_interval_s;
	int sync_group_offsets;
	long long sync_group_offsets_interval_s;
	int sync_acls; /* sync.topic.acls.enabled (appliance/sync/aclsync.c) */
	long long sync_acls_interval_s;
	int emit_heartbeats; /* this pair's heartbeats (they run outside the flow) */
	long long heartbeats_interval_s;
	int heartbeats_rf;
	int canary_enabled;
	char canary_topic[256];
	long long canary_interval_ms, canary_threshold_ms;
	int mirror_read_uncommitted; /* ferry.mirror.read.uncommitted */
	int sync_topic_configs;      /* sync.topic.configs.enabled */
	long long sync_topic_configs_interval_s;
	struct regexlist *config_exclude; /* config.properties.exclude */
	char use_defaults_from[64];       /* target or source (room for a wrong value) */
	/* derived from the above */
	int offset_syncs_on_target; /* offset-syncs.topic.location = target */
	char offset_syncs_topic[512];
	char checkpoints_topic[512]; /* <source>.checkpoints.internal, on the target */
	int defaults_from_source;    /* use.defaults.from = source */
	/* topic configs every remote topic of the flow gets: <target>.topic.overrides.X,
	 * then <flow>.topic.overrides.X (the flow's wins); key = config name */
	struct props topic_overrides;
	/* Java-named client settings in precedence order (later wins) */
	struct props consumer; /* source cluster */
	struct props producer; /* target cluster */
	struct props source_admin;
	struct props target_admin;
};

/* MM2 writes heartbeats for every ordered pair of clusters whose
 * emit.heartbeats.enabled is true, enabled as a flow or not. */
struct conf_heartbeat {
	const char *source, *target; /* point into conf->clusters */
	long long interval_s;
	int rf;
	char topic[256]; /* heartbeats.topic */
};

struct conf {
	int refs; /* conf_ref/conf_unref; 1 when loaded */
	char *file;
	struct props raw;
	struct conf_cluster *clusters;
	size_t nclusters;
	struct conf_flow *flows; /* enabled flows only */
	size_t nflows;
	struct conf_heartbeat *heartbeats;
	size_t nheartbeats;
	long long flush_interval_ms;
	long long syncs_retention;
	long long shutdown_timeout_ms;
	long long max_inflight_bytes; /* ferry.mirror.max.inflight.bytes, per task */
	struct conf_rule *rules;      /* ferry.placement.rules, in their listed order */
	size_t nrules;
};

/*
 * Loads and validates PATH. Every problem found is added to D (errors and
 * warnings, formatted FILE:LINE: KEY: ...). Returns 0 when D holds no
 * errors; otherwise -1 and *out is untouched. Nothing is connected to.
 */
int conf_load(const char *path, struct conf **out, struct diags *d);
/* The same from text already in memory (NAME is used in messages). */
int conf_parse(const char *name, const char *text, size_t len, struct conf **out, struct diags *d);

void conf_free(struct conf *c);
struct conf *conf_ref(struct conf *c);
/* Drops a reference; frees at zero. */
void conf_unref(struct conf *c);

/* Everything that decides how FLOW runs, as text: every key of the table
 * with a field (conf_keys.h) and the four client property sets. Two flows
 * with equal fingerprints behave the same, so a commit that leaves it
 * unchanged does not restart the flow. Caller frees. */
char *conf_flow_fingerprint(const struct conf *c, const struct conf_flow *f);

struct conf_key;
/* The value of key K (one with a field) in F, as a file would write it;
 * NUM is scratch space for numbers. */
const char *conf_flow_key_value(const struct conf_flow *f, const struct conf_key *k, char *num,
				size_t numsz);

/*
 * The failback flow of FLOW, "SOURCE->TARGET" (enabled or not): it mirrors
 * the remote topics of SOURCE on TARGET (SOURCE.orders) back to SOURCE
 * under their upstream names (orders), with the original flow's filters
 * and policy. Caller frees with conf_flow_destroy(); it points into C.
 */
int conf_make_failback(const struct conf *c, const char *flow, struct conf_flow **out,
		       struct ferr *err);
void conf_flow_destroy(struct conf_flow *f);

/* The Java-named client settings of ROLE on cluster ALIAS outside any flow
 * (caller props_free()s OUT). */
int conf_cluster_settings(const struct conf *c, const char *alias, enum client_role role,
			  struct props *out);

/* Splits "host:port" (IPv6 as [addr]:port); 0 or -1. */
int conf_parse_hostport(const char *s, char *host, size_t hostsz, int *port);

/* A cluster by alias, or NULL. */
const struct conf_cluster *conf_find_cluster(const struct conf *c, const char *alias);
/* Parses a label list "k=v, k=v" (LIST) into *OUT (caller frees); 0, or -1
 * with ERR saying which label is malformed and what was expected. */
int conf_parse_labels(const char *list, struct conf_label **out, size_t *n, struct ferr *err);

/* A flow by name ("A->B"), or NULL. */
const struct conf_flow *conf_find_flow(const struct conf *c, const char *name);

/* The value of a top-level `ferry.*` or MM2 key as resolved (file or
 * default); NULL when neither. */
const char *conf_global(const struct conf *c, const char *key);

#endif
