/*
 * roles.h — control-plane roles: who may do what on ferryd's control
 * socket (not Kafka ACLs: their sync lives in acl/). Three roles, each
 * including the one below: auditor (look), operator (+ pause, resume,
 * failover, reset offsets), admin (+ configure). A peer is identified by
 * its uid, gid and groups (SO_PEERCRED) or by its TLS certificate subject,
 * and mapped to the highest role whose principal list names it.
 *
 * The acl_ prefix of the names below is older than this file's move to
 * lib/; read it as "access to the control plane".
 */
#ifndef FERRY_ROLES_H
#define FERRY_ROLES_H

#include <stddef.h>
#include <sys/types.h>

#include "lib/err.h"

enum acl_role { ACL_NONE = 0, ACL_AUDITOR = 1, ACL_OPERATOR = 2, ACL_ADMIN = 3 };

const char *acl_role_name(enum acl_role r);
/* "auditor" -> ACL_AUDITOR ...; 0 or -1 */
int acl_role_parse(const char *s, enum acl_role *out);

struct acl_peer {
	int has_cred; /* uid/gid are known (UNIX socket) */
	uid_t uid;
	gid_t gid;
	gid_t groups[64]; /* supplementary groups of uid */
	size_t ngroups;
	char cert_subject[512]; /* TLS client certificate subject (RFC 2253), or "" */
};

/* Fills groups and a display name ("alice (uid 1000)") for a UNIX peer. */
void acl_peer_from_cred(struct acl_peer *p, uid_t uid, gid_t gid);
void acl_peer_name(const struct acl_peer *p, char *out, size_t outsz);

struct acl_rules;

/* The gid of group NAME into *GID: 0, or an errno value (ENOENT when there
 * is no such group). Grows its buffer as a group with many members needs,
 * so that the config check, the role rules and the control socket agree
 * on what a group is. */
int acl_group_gid(const char *name, gid_t *gid);

/*
 * Builds the rules from the three principal lists (comma-separated
 * "uid:N", "user:NAME", "gid:N", "group:NAME", "cert:SUBJECT"). A name that
 * does not resolve is an error naming the role and principal.
 */
int acl_rules_new(const char *admins, const char *operators, const char *auditors,
		  struct acl_rules **out, struct ferr *err);
void acl_rules_free(struct acl_rules *r);

enum acl_role acl_role_of(const struct acl_rules *r, const struct acl_peer *p);

#endif
