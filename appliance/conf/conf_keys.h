/*
 * conf_keys.h — the one table of every configuration key ferryd knows:
 * MM2's keys (those ferry implements, those it does not yet, and Connect
 * worker keys it has no use for) and ferry's own `ferry.*` keys. The config
 * loader, `ferryd --list-keys`, ferry.conf(5)'s key reference (generated
 * from `ferryd --dump-keys` by `make docs`) and (later) the shell all
 * read this table; nothing else spells a key's name, type or default.
 *
 * Kafka client settings (bootstrap.servers, security.protocol, ssl.*,
 * consumer.* ...) live in clientconf.c's table instead, because each of
 * them also needs a translation to librdkafka.
 */
#ifndef FERRY_CONF_KEYS_H
#define FERRY_CONF_KEYS_H

#include <stddef.h>

enum ck_type { CK_BOOL, CK_INT, CK_STRING, CK_LIST, CK_CLASS };

enum ck_flags {
	CK_GLOBAL = 1 << 0,     /* may be set at the top level */
	CK_FLOW = 1 << 1,       /* may be set per flow as `A->B.<key>` */
	CK_SENSITIVE = 1 << 2,  /* never logged or shown */
	CK_NOT_YET = 1 << 3,    /* MM2 key ferry does not implement yet: warn */
	CK_WORKER = 1 << 4,     /* Connect worker key: no meaning for ferry, ignored */
	CK_PREFIX = 1 << 5,     /* name is a prefix ("offset.storage.") */
	CK_DEPRECATED = 1 << 6, /* old MM2 name; `alias_of` is the current one */
	CK_RESTART = 1 << 7,    /* a commit records it; it takes effect at restart */
	CK_FAILBACK = 1 << 8,   /* a failback flow keeps the original flow's value */
	CK_CLUSTER = 1 << 9,    /* set per cluster as `A.<key>` (with CK_FLOW also per flow,
				 * which wins: topic overrides) */
	CK_PATTERN = 1 << 10,   /* name holds one `<name>` part: any word of [A-Za-z0-9_-] */
};

/*
 * Where a key's resolved value lives in struct conf_flow (as librdkafka's
 * _RK(field) table): the loader stores every such key there, and the flow
 * fingerprint (what a commit compares), `ferryd --check-config` and the
 * failback copy walk the table instead of naming fields, so a new key is
 * covered by all of them at once. Global-only keys with a field are copied
 * into every flow, because the flow's behaviour depends on them.
 */
enum ck_field {
	CKF_NONE = 0, /* no per-flow value: control plane, not implemented, worker, alias */
	CKF_BOOL,     /* int, 0 or 1 */
	CKF_INT,      /* int */
	CKF_LL,       /* long long */
	CKF_STR,      /* char[size] */
	CKF_REGEX,    /* struct regexlist * (owned by the flow) */
	CKF_POLICY,   /* enum policy_kind */
};

struct conf_key {
	const char *name;
	enum ck_type type;
	const char *def;    /* default as written in a file; NULL: none */
	long long min, max; /* bounds for CK_INT */
	unsigned flags;
	const char *alias_of; /* for CK_DEPRECATED */
	/* for CK_NOT_YET: the value that matches what ferry does today, so
	 * setting it is not worth a warning (e.g. sync.topic.acls.enabled=false) */
	const char *ferry_value;
	/* the key's whole reference text: ferry.conf(5)'s entry is generated
	 * from it (`make docs`, scripts/gen-man.pl) and --list-keys prints it.
	 * One line of plain text; `word` is set in bold, <word> in italic. */
	const char *help;
	enum ck_field field; /* CKF_NONE: none of the below */
	size_t off, size;    /* offsetof and sizeof the member of struct conf_flow */
};

extern const struct conf_key conf_keys[];
extern const unsigned conf_keys_count;

/* Exact key (or prefix entry) lookup; deprecated names resolve to themselves. */
const struct conf_key *conf_key_find(const char *name);
const char *ck_type_name(enum ck_type t);

#endif
