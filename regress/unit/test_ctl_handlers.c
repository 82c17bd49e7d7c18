/*
 * test_ctl_handlers.c — the command table (lib/cmdtab.c) and ferryd's
 * handlers (appliance/control/ctl_cmds.c ctl_handlers[]) agree: a command
 * added to the table without its handler, or a handler left for a command
 * that is gone or the shell's own, fails here rather than when an operator
 * types it. control_start() runs the same check.
 */
#include <string.h>

#include "appliance/control/ctl.h"
#include "regress/unit/tap.h"

int main(void)
{
	struct ferr err = { 0 };
	size_t n, served = 0;
	const struct cmd_def *all = cmdtab_all(&n);
	int rc = ctl_handlers_check(&err);

	ok(rc == 0, "every command of the table has its handler%s%s", rc ? ": " : "",
	   rc ? err.msg : "");
	is_int(n, CMD__COUNT, "one table row per enum cmd_id");
	for (size_t i = 0; i < n; i++)
		served += ctl_handlers[all[i].id] != NULL;
	ok(served > 0 && served < n, "ferryd serves %zu commands, the shell the other %zu", served,
	   n - served);
	return done_testing();
}
