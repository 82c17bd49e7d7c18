/*
 * auditchain.c — the audit trail's hash chain (see auditchain.h for the
 * encoding): the hash of one entry, and the judgement of a whole chain
 * that `audit verify` and `ferryd --verify-audit` report.
 */
#include "appliance/store/auditchain.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

const char audit_genesis_hash[AUDIT_HASH_LEN + 1] =
	"0000000000000000000000000000000000000000000000000000000000000000";

/* Feeds `<len>:<bytes>,` of S (LEN bytes) to the digest. */
static int enc(EVP_MD_CTX *md, const char *s, size_t len)
{
	char head[32];
	int n = snprintf(head, sizeof(head), "%zu:", len);

	return EVP_DigestUpdate(md, head, (size_t)n) == 1 && EVP_DigestUpdate(md, s, len) == 1 &&
	       EVP_DigestUpdate(md, ",", 1) == 1;
}

static int enc_str(EVP_MD_CTX *md, const char *s)
{
	return enc(md, s, strlen(s));
}

static int enc_int(EVP_MD_CTX *md, int64_t v)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%" PRId64, v);

	return enc(md, buf, (size_t)n);
}

int audit_chain_hash(const char *prev_hash, const struct audit_fields *f,
		     char out[AUDIT_HASH_LEN + 1], struct ferr *err)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char dg[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok;

	if (!md)
		return ferr_set(err, "audit hash: out of memory");
	ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 && enc_str(md, prev_hash) &&
	     enc_int(md, f->id) && enc_int(md, f->ts_ms) && enc_str(md, f->who) &&
	     enc_str(md, f->role) && enc_str(md, f->origin) && enc_str(md, f->action) &&
	     enc_str(md, f->result) && enc_str(md, f->detail) &&
	     EVP_DigestFinal_ex(md, dg, &dlen) == 1 && dlen * 2 == AUDIT_HASH_LEN;
	EVP_MD_CTX_free(md);
	if (!ok)
		return ferr_set(err, "audit hash: OpenSSL SHA-256 failed");
	for (size_t i = 0; i < dlen; i++) {
		out[2 * i] = hex[dg[i] >> 4];
		out[2 * i + 1] = hex[dg[i] & 15];
	}
	out[AUDIT_HASH_LEN] = '\0';
	return 0;
}

void audit_walk_init(struct audit_walk *w)
{
	memset(w, 0, sizeof(*w));
	memcpy(w->prev, audit_genesis_hash, sizeof(w->prev));
}

/* The same words as pgext/sql/30_audit.sql's ferry.audit_verify(): a
 * client may compare the two. */
int audit_walk_step(struct audit_walk *w, const struct audit_fields *f, const char *prev_hash,
		    const char *hash, struct ferr *err)
{
	int64_t want = w->checked ? w->last_id + 1 : 1;
	char h[AUDIT_HASH_LEN + 1];

	if (w->checked == 0)
		w->first_id = f->id;
	w->checked++;
	w->last_id = f->id;
	if (w->broken)
		goto next;
	if (f->id != want) {
		w->broken = 1;
		if (f->id == want + 1)
			snprintf(w->problem, sizeof(w->problem),
				 "gap: id %" PRId64 " missing (deleted)", want);
		else if (f->id > want)
			snprintf(w->problem, sizeof(w->problem),
				 "gap: ids %" PRId64 " to %" PRId64 " missing (deleted)", want,
				 f->id - 1);
		else
			snprintf(w->problem, sizeof(w->problem),
				 "gap: id %" PRId64 " follows id %" PRId64 " (out of order)", f->id,
				 w->checked > 1 ? want - 1 : 0);
		goto next;
	}
	if (!hash) {
		w->broken = 1;
		snprintf(w->problem, sizeof(w->problem),
			 "hash mismatch: id %" PRId64 " has no hash", f->id);
		goto next;
	}
	if (audit_chain_hash(prev_hash ? prev_hash : "", f, h, err))
		return -1;
	if (!prev_hash || strcmp(h, hash) != 0) {
		w->broken = 1;
		snprintf(w->problem, sizeof(w->problem),
			 "hash mismatch: id %" PRId64
			 " (the entry was changed after it was written)",
			 f->id);
		goto next;
	}
	if (w->prev_null || strcmp(prev_hash, w->prev) != 0) {
		w->broken = 1;
		if (w->checked == 1)
			snprintf(w->problem, sizeof(w->problem),
				 "prev-hash mismatch: id %" PRId64
				 " (the first entry's prev hash is not the genesis hash)",
				 f->id);
		else
			snprintf(w->problem, sizeof(w->problem),
				 "prev-hash mismatch: id %" PRId64
				 " (its prev hash is not the hash "
				 "of id %" PRId64 ")",
				 f->id, f->id - 1);
	}
next:
	w->prev_null = hash == NULL || strlen(hash) != AUDIT_HASH_LEN;
	if (!w->prev_null)
		memcpy(w->prev, hash, sizeof(w->prev));
	return 0;
}
