/*
 * diag.c — collecting config diagnostics.
 */
#include "appliance/conf/diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void diags_add(struct diags *d, int is_error, const char *file, int line, const char *key,
	       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diags_vadd(d, is_error, file, line, key, fmt, ap);
	va_end(ap);
}

void diags_vadd(struct diags *d, int is_error, const char *file, int line, const char *key,
		const char *fmt, va_list ap)
{
	char what[768], full[1200];

	vsnprintf(what, sizeof(what), fmt, ap);
	if (!file)
		snprintf(full, sizeof(full), "%s", what);
	else if (line > 0 && key)
		snprintf(full, sizeof(full), "%s:%d: %s: %s", file, line, key, what);
	else if (line > 0)
		snprintf(full, sizeof(full), "%s:%d: %s", file, line, what);
	else if (key)
		snprintf(full, sizeof(full), "%s: %s: %s", file, key, what);
	else
		snprintf(full, sizeof(full), "%s: %s", file, what);

	/* the same problem found through several flows is reported once */
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->v[i].msg, full) == 0)
			return;
	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 16;
		struct diag *nv = realloc(d->v, ncap * sizeof(*nv));

		if (!nv)
			return; /* out of memory: the diagnostic is lost, the count is not */
		d->v = nv;
		d->cap = ncap;
	}
	d->v[d->n].is_error = is_error;
	d->v[d->n].msg = strdup(full);
	if (d->v[d->n].msg)
		d->n++;
	if (is_error)
		d->nerrors++;
	else
		d->nwarnings++;
}

void diags_add_msg(struct diags *d, int is_error, const char *msg)
{
	diags_add(d, is_error, NULL, 0, NULL, "%s", msg);
}

void diags_free(struct diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].msg);
	free(d->v);
	memset(d, 0, sizeof(*d));
}
