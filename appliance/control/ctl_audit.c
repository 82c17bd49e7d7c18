/*
 * ctl_audit.c — `audit verify`: the audit trail's hash chain walked on a
 * worker thread (a long trail is read whole; the main loop never waits on
 * the disk), with its own connection to the state store.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/control/ctl.h"
#include "appliance/runtime.h"
#include "appliance/store/auditchain.h"
#include "appliance/store/state.h"

static const char *const verify_cols[] = { "result", "checked", "first id", "last id", "problem" };

static void verify_run(void *job, struct ctl_reply *out)
{
	const char *state_dir = job;
	struct state *st = NULL;
	struct audit_walk w;
	struct ferr err;

	CTL_TABLE(out, verify_cols);
	if (state_open_worker(state_dir, &st, &err) || state_audit_verify(st, &w, &err)) {
		ctl_fail(out, "internal", "%s", err.msg);
		state_close(st);
		return;
	}
	state_close(st);
	CTL_ROW(out->rows, verify_cols, json_string(w.broken ? "broken" : "ok"),
		json_integer((json_int_t)w.checked),
		w.checked ? json_integer((json_int_t)w.first_id) : json_null(),
		w.checked ? json_integer((json_int_t)w.last_id) : json_null(),
		w.broken ? json_string(w.problem) : json_null());
}

static void verify_free(void *job)
{
	free(job);
}

static const struct ctl_job_ops verify_ops = { verify_run, verify_free };

void ctl_audit_verify(struct runtime *rt, struct ctl_session *s, const struct cmd_match *m,
		      struct ctl_reply *r)
{
	char *dir = strdup(rt->state_dir);

	(void)s;
	(void)m;
	if (!dir) {
		ctl_fail(r, "internal", "out of memory");
		return;
	}
	/* dir passes to the offload, which frees it */
	ctl_offload(r, &verify_ops, dir);
}
