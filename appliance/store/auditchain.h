/*
 * auditchain.h — the audit trail's hash chain: how an entry's hash is
 * computed from the hash before it and the entry's own fields, and how a
 * chain is judged. The encoding is the contract with the PostgreSQL side
 * (pgext/sql/30_audit.sql computes the same bytes): each field as
 * `<decimal byte length>:<bytes>,`, in the order prev_hash, id, ts_ms, who,
 * role, origin, action, result, detail, numbers in decimal ASCII; the hash
 * is the lowercase hex SHA-256 of their concatenation.
 */
#ifndef FERRY_AUDITCHAIN_H
#define FERRY_AUDITCHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

#define AUDIT_HASH_LEN 64 /* hex digits of a SHA-256 */

/* The prev_hash of the first entry: 64 '0's. */
extern const char audit_genesis_hash[AUDIT_HASH_LEN + 1];

struct audit_fields {
	int64_t id, ts_ms;
	const char *who, *role, *origin, *action, *result, *detail;
};

/* OUT = hex(SHA-256(enc(prev_hash) || enc(id) || ... || enc(detail))). */
int audit_chain_hash(const char *prev_hash, const struct audit_fields *f,
		     char out[AUDIT_HASH_LEN + 1], struct ferr *err);

/* A walk over a chain, oldest first: feed every entry to audit_walk_step,
 * then read the verdict. The problem names the first bad id. */
struct audit_walk {
	int64_t checked, first_id, last_id; /* ids 0: no entry */
	int broken;
	char problem[256];
	char prev[AUDIT_HASH_LEN + 1]; /* the stored hash of the last entry seen */
	int prev_null;
};

void audit_walk_init(struct audit_walk *w);
/* PREV_HASH and HASH are the stored columns (NULL when missing). */
int audit_walk_step(struct audit_walk *w, const struct audit_fields *f, const char *prev_hash,
		    const char *hash, struct ferr *err);

#endif
