/*
 * test_metrics.c — the metric registry is whole: every enum metric_id has
 * its row (metrics.c's _Static_assert catches a row left out at the end of
 * the designated initialisers, this test one left out in between, which C
 * leaves zeroed), names are unique and in Prometheus's conventions, and
 * each help is one line of /metrics' HELP and of ferryd(8)'s METRICS.
 */
#include <string.h>

#include "appliance/control/metrics.h"
#include "regress/unit/tap.h"

int main(void)
{
	ok(metric_defs_count > 0, "the registry has metrics");
	for (unsigned i = 0; i < metric_defs_count; i++) {
		const struct metric_def *d = &metric_defs[i];
		const char *prom = d->prom;
		unsigned dup = 0;

		if (!d->name || !prom || !d->type || !d->help) {
			ok(0, "row %u of metric_defs[] is filled (an M_* index without its row?)",
			   i);
			continue;
		}
		ok(d->name[0] && d->help[0] && !strpbrk(d->help, "\t\n"),
		   "%s: MM2 name and a one-line help", d->prom);
		ok(strncmp(d->prom, "ferry_", 6) == 0, "%s: Prometheus name starts with ferry_",
		   d->prom);
		ok(strcmp(d->type, "gauge") == 0 || strcmp(d->type, "counter") == 0,
		   "%s: gauge or counter", d->prom);
		if (strcmp(d->type, "counter") == 0) {
			size_t n = strlen(d->prom);

			ok(n > 6 && strcmp(d->prom + n - 6, "_total") == 0,
			   "%s: a counter's name ends in _total", d->prom);
		}
		for (unsigned j = 0; j < metric_defs_count; j++) {
			const char *pj = metric_defs[j].prom;

			if (pj && strcmp(pj, prom) == 0)
				dup++;
		}
		is_int(dup, 1, "%s: one row of that name", d->prom);
	}
	return done_testing();
}
