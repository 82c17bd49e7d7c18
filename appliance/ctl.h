/*
 * ctl.h — what the control server (control.c) and the command handlers
 * (ctl_cmds.c) share: a session's identity and mode, and a reply under
 * construction.
 */
#ifndef FERRY_CTL_H
#define FERRY_CTL_H

#include <jansson.h>

#include "lib/roles.h"
#include "lib/cmdtab.h"
#include "props.h"
#include "runtime.h"

struct ctl_session {
	char who[300];              /* "alice (uid 1000)" or "cert:CN=..." */
	enum acl_role role;
	const char *origin;         /* "unix" or "tls" */
	unsigned mode;              /* MODE_EXEC or MODE_CONFIG */
	struct props candidate;     /* private candidate in configuration mode */
	int dirty;                  /* candidate differs from what it was copied from */
	int base_revision;          /* running revision when the candidate was made */
};

/*
 * A command that has to wait for the data path (failover --drain) must not
 * hold the main loop: its handler fills in a wait instead of a result, and
 * control.c calls poll every 200 ms from the loop until poll completes the
 * reply. Other sessions, /metrics and signals are served meanwhile; the
 * waiting session reads no further requests until its answer is out.
 */
struct ctl_reply;
struct ctl_wait {
	/* 1: keep waiting; 0: R holds the answer and STATE has been freed */
	int (*poll)(struct runtime *rt, void *state, struct ctl_reply *r);
	/* the session ended first: free STATE */
	void (*cancel)(void *state);
	void *state;                /* owned by the wait */
};

struct ctl_reply {
	struct ctl_wait wait;       /* poll set: the answer comes later */
	json_t *columns, *rows;     /* a result set, or NULL */
	char *text;                 /* free text (malloc'd), or NULL */
	char message[2048];         /* a short note for the user */
	const char *err_code;       /* NULL: success */
	char err[8192];
};

typedef void (*ctl_handler)(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
			    struct ctl_reply *r);

/* Indexed by enum cmd_id; NULL for commands the shell handles itself. */
extern const ctl_handler ctl_handlers[CMD__COUNT];

/* ctl_failover.c */
void ctl_failover(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
		  struct ctl_reply *r);
void ctl_reset_offsets(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
		       struct ctl_reply *r);
void ctl_failback(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
		  struct ctl_reply *r);

/* Names of KIND ("flow", "cluster", "topic", "group", "key") for completion;
 * WORDS (a JSON array or NULL) is the line typed so far: groups are those of
 * the cluster it names. */
json_t *ctl_names(struct runtime *rt, struct ctl_session *s, const char *kind, json_t *words);

void ctl_session_reset(struct ctl_session *s);

/* Sets an error on R (printf-style). */
void ctl_fail(struct ctl_reply *r, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Sets ERR on R: not_found for FERR_NOT_FOUND, invalid otherwise. */
void ctl_fail_err(struct ctl_reply *r, const struct ferr *err);

#endif
