/*
 * ctl.h — what the control server (control.c) and the command handlers
 * (ctl_cmds.c) share: a session's identity and mode, and a reply under
 * construction.
 */
#ifndef FERRY_CTL_H
#define FERRY_CTL_H

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "lib/roles.h"
#include "lib/cmdtab.h"
#include "appliance/conf/props.h"
#include "appliance/runtime.h"

struct ctl_session {
	char who[300]; /* "alice (uid 1000)" or "cert:CN=..." */
	enum acl_role role;
	const char *origin;     /* "unix" or "tls" */
	unsigned mode;          /* MODE_EXEC or MODE_CONFIG */
	struct props candidate; /* private candidate in configuration mode */
	int dirty;              /* candidate differs from what it was copied from */
	int base_revision;      /* running revision when the candidate was made */
};

/*
 * A command that has to wait for the data path (failover --drain) or for
 * Kafka (ctl_offload below) must not hold the main loop: its handler fills
 * in a wait instead of a result, and control.c calls poll every 200 ms from
 * the loop (and at once when an offload worker finishes) until poll
 * completes the reply. Other sessions, /metrics and signals are served meanwhile; the
 * waiting session reads no further requests until its answer is out.
 */
struct ctl_reply;
struct ctl_wait {
	/* 1: keep waiting; 0: R holds the answer and STATE has been freed */
	int (*poll)(struct runtime *rt, void *state, struct ctl_reply *r);
	/* the session ended first: free STATE */
	void (*cancel)(void *state);
	void *state; /* owned by the wait */
};

struct ctl_reply {
	struct ctl_wait wait;   /* poll set: the answer comes later */
	json_t *columns, *rows; /* a result set, or NULL */
	char *text;             /* free text (malloc'd), or NULL */
	char message[2048];     /* a short note for the user */
	const char *err_code;   /* NULL: success */
	char err[8192];
};

/*
 * A command whose Kafka part blocks (admin calls of up to 10 s) runs that
 * part off the main loop (ctl_offload.c): the handler checks its arguments
 * and copies what the work needs from the runtime into a job, then
 * ctl_offload() runs ops->run(job, out) on a worker thread and fills in
 * R's wait; once run returns, the wait's poll moves OUT into R on the main
 * loop, where control.c sends and audits it. RUN touches only JOB and OUT
 * (never the runtime, its state connection or the session) and may write
 * the state store through a connection of its own. FREE may run on either
 * thread: whichever of the session and the worker lets go last.
 */
struct ctl_job_ops {
	void (*run)(void *job, struct ctl_reply *out);
	void (*free)(void *job);
};

/* JOB passes to the offload in every case (freed by ops->free). 0, or -1
 * with R failed. */
int ctl_offload(struct ctl_reply *r, const struct ctl_job_ops *ops, void *job);

/* The same inside a wait of one's own (failover --drain commits once
 * drained): start, then poll from the wait's poll (1: running; 0: R holds
 * the answer and O is gone), or abandon from its cancel. JOB passes to the
 * offload in every case; NULL with ERR when no worker could start. */
struct ctl_offload;
struct ctl_offload *ctl_offload_start(const struct ctl_job_ops *ops, void *job, struct ferr *err);
int ctl_offload_poll(struct ctl_offload *o, struct ctl_reply *r);
void ctl_offload_abandon(struct ctl_offload *o);

/* ferryd's shutdown, once no session is left: asks every worker to stop
 * (their kadmin waits end within 500 ms) and waits up to TIMEOUT_MS for
 * them; a worker still inside librdkafka then is left to the process's
 * exit. */
void ctl_offload_shutdown(int timeout_ms);

/* An eventfd (or -1: none) that every worker signals when it finishes, so
 * that control.c polls the waits at once rather than on their timer. */
void ctl_offload_wake_fd(int fd);

typedef void (*ctl_handler)(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
			    struct ctl_reply *r);

/* Indexed by enum cmd_id; NULL for commands the shell handles itself. */
extern const ctl_handler ctl_handlers[CMD__COUNT];

/*
 * 0 when the command table (lib/cmdtab.c) and ctl_handlers[] agree: every
 * enum cmd_id has exactly one row, and a handler exactly when its row is
 * not CMDF_LOCAL. Else -1, ERR naming the first command at fault and where
 * to fix it. control_start() refuses to serve commands otherwise, and
 * regress/unit/test_ctl_handlers.c checks it at build-and-test time.
 */
int ctl_handlers_check(struct ferr *err);

/* ctl_failover.c */
void ctl_failover(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
		  struct ctl_reply *r);
void ctl_reset_offsets(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
		       struct ctl_reply *r);
void ctl_failback(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
		  struct ctl_reply *r);

/*
 * How failover translates a group's committed OFFSET of the source
 * partition TOPIC[PARTITION] of flow CF (REMOTE: its name on the target),
 * shared by failover and translate group: from the offset-sync history in
 * ST, and an offset below the history and the source's log start (asked
 * of SRC, the target's of TGT) resumes at the earliest record
 * (*BELOW_START 1). Returns the enum translate_result (*DOWN set on
 * TRANSLATE_OK, else -1) with WHY saying why not, or -1 when the history
 * could not be read (WHY says why). Blocks on Kafka: offload workers only.
 */
int ctl_translate_group_offset(struct state *st, rd_kafka_t *src, rd_kafka_t *tgt,
			       const struct conf_flow *cf, const char *topic, const char *remote,
			       int32_t partition, int64_t offset, int64_t *down, int *below_start,
			       char *why, size_t whysz);

/* ctl_dr.c: offset syncs, translation, checkpoints, heartbeats */
void ctl_show_offset_syncs(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
			   struct ctl_reply *r);
void ctl_translate_offset(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
			  struct ctl_reply *r);
void ctl_translate_group(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
			 struct ctl_reply *r);
void ctl_show_checkpoints(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
			  struct ctl_reply *r);
void ctl_show_heartbeats(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
			 struct ctl_reply *r);

/* A time (unix ms) as ISO 8601 UTC with milliseconds
 * ("2026-12-03T17:58:01.123Z"); null when MS < 0 (unknown). */
json_t *ctl_opt_ts(int64_t ms);
/* ctl_audit.c: the audit trail's hash chain */
void ctl_audit_verify(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
		      struct ctl_reply *r);

/* ctl_placement.c: data placement */
void ctl_show_placement(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
			struct ctl_reply *r);
void ctl_placement_check(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
			 struct ctl_reply *r);

/* Names of KIND ("flow", "cluster", "topic", "group", "key") for completion;
 * WORDS (a JSON array or NULL) is the line typed so far: groups are those of
 * the cluster it names. PARTIAL (or NULL) is the word being completed: keys
 * are those valid where it stands (after "A->B.", the per-flow keys...).
 * NULL for an unknown kind, or (groups) when the names come later: then R's
 * wait is set and, once it completes, R->rows holds them (or R an error). */
json_t *ctl_names(struct runtime *rt, struct ctl_session *s, const char *kind, json_t *words,
		  const char *partial, struct ctl_reply *r);

void ctl_session_reset(struct ctl_session *s);

/*
 * A result set (`show` tables, failover reports): each table's columns
 * are one static list of names, `static const char *const x_cols[]`,
 * read by the header (CTL_TABLE) and by every row (CTL_ROW), so a column
 * is added in that list and at the row's value, and a row with a value
 * too many or too few does not compile. The values are jansson values
 * (json_string(), json_integer(), json_real(), json_null(), or any json_t
 * the row takes): their C types are checked where they are built, unlike
 * a json_pack() format that must agree with its arguments.
 */
#define CTL_NCOLS(cols) (sizeof(cols) / sizeof((cols)[0]))
#define CTL_TABLE(r, cols) ctl_table((r), (cols), CTL_NCOLS(cols))
#define CTL_ROW(rows, cols, ...)                                               \
	do {                                                                   \
		json_t *ctl_row_v_[] = { __VA_ARGS__ };                        \
		_Static_assert(CTL_NCOLS(ctl_row_v_) == CTL_NCOLS(cols),       \
			       "a row of " #cols " has one value per column"); \
		ctl_row_add((rows), ctl_row_v_, CTL_NCOLS(ctl_row_v_));        \
	} while (0)

/* Sets R's columns to the N names of COLS and its rows to an empty array. */
void ctl_table(struct ctl_reply *r, const char *const *cols, size_t n);

/* Appends to ROWS an array of the N values V, taking each (a reference
 * each); a NULL among them (a failed json_string(): NULL or invalid UTF-8,
 * out of memory) drops the row and frees the others, as json_pack() did. */
void ctl_row_add(json_t *rows, json_t *const *v, size_t n);

/* Sets an error on R (printf-style). */
void ctl_fail(struct ctl_reply *r, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Sets ERR on R: not_found for FERR_NOT_FOUND, invalid otherwise. */
void ctl_fail_err(struct ctl_reply *r, const struct ferr *err);

#endif
