/*
 * test_audit.c — the audit trail when the state store refuses writes (its
 * files may not grow: RLIMIT_FSIZE, so no root is needed): entries are
 * kept in memory and written, in order and with their own time, once the
 * store takes writes again.
 */
#include "appliance/store/audit.h"
#include "appliance/store/state.h"
#include "store_files.h"
#include "tap.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

struct seen {
	int n;
	int in_order;
	int64_t last_ts;
	char first[64], last[64];
};

static void on_entry(void *ctx, const struct audit_entry *e)
{
	struct seen *s = ctx;

	if (strncmp(e->action, "entry ", 6) != 0)
		return;
	if (s->n == 0)
		snprintf(s->first, sizeof(s->first), "%s", e->action);
	else if (e->ts_ms < s->last_ts)
		s->in_order = 0;
	snprintf(s->last, sizeof(s->last), "%s", e->action);
	s->last_ts = e->ts_ms;
	s->n++;
}

static struct seen list(const char *dir)
{
	struct seen s = { .in_order = 1 };
	struct state *st;
	struct ferr err;

	if (state_open_worker(dir, &st, &err) == 0) {
		state_audit_list(st, 1000, on_entry, &s, &err);
		state_close(st);
	}
	return s;
}

int main(void)
{
	char dir[] = "/tmp/ferry-audit-XXXXXX";
	char path[128], detail[4096];
	struct state *st;
	struct ferr err;
	struct seen s;

	signal(SIGXFSZ, SIG_IGN);
	ok(mkdtemp(dir) != NULL, "temp dir");
	ok(state_open(dir, &st, &err) == 0, "store created");
	ok(audit_open(dir, &err) == 0, "audit trail opened");
	audit_system("ok", "entry 0");
	s = list(dir);
	is_int(s.n, 1, "a first entry is written");

	snprintf(path, sizeof(path), "%s/ferry.db-wal", dir);
	ok(set_fsize((rlim_t)file_size(path) + 4096) == 0, "the store's files may not grow");
	memset(detail, 'x', sizeof(detail) - 1);
	detail[sizeof(detail) - 1] = '\0';
	for (int i = 1; i <= 40; i++) {
		char action[32];

		snprintf(action, sizeof(action), "entry %d", i);
		audit_request("tester", "admin", "unit", action, "ok", detail);
	}
	s = list(dir);
	ok(s.n < 41, "the store took only %d of 41 entries", s.n);

	ok(set_fsize(RLIM_INFINITY) == 0, "the files may grow again");
	audit_retry();
	s = list(dir);
	is_int(s.n, 41, "every kept entry is written once the store takes writes");
	ok(strcmp(s.first, "entry 0") == 0 && strcmp(s.last, "entry 40") == 0, "in order: %s .. %s",
	   s.first, s.last);
	ok(s.in_order, "with their own, non-decreasing times");
	audit_system("ok", "entry 41");
	is_int(list(dir).n, 42, "and new entries follow");

	audit_close();
	state_close(st);
	store_files_remove(dir);
	return done_testing();
}
