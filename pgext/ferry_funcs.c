/*
 * ferry_funcs.c — the SQL functions of schema ferry (sql/10_functions.sql):
 * each checks its arguments before anything is sent, sends one control
 * command (the argv the `ferry` shell would send for the same line) and
 * returns the reply's columns mapped BY NAME onto its declared columns.
 *
 * A set-returning function fills a tuplestore (SetSingleFuncCall on 15,
 * InitMaterializedSRF from 16) and refuses to run when its declared
 * columns are not the ones this library maps (a ferry--X.sql that does not
 * match ferry.so). A reply that lacks a mapped column is an error naming
 * it: ferryd is older than the extension.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "pgext/ferry.h"

/* Kafka's limit for topic names; flows, groups and clusters get the same */
#define FERRY_NAME_MAX 249
/* audit entries per page (`show audit N --after ID`), well inside a frame */
#define AUDIT_PAGE 1000

/* one declared column and the reply column it is read from */
struct colmap {
	const char *sql;
	const char *reply; /* ending in '*': a column whose name starts so */
	bool only_numbers; /* a cell that is not an integer is unknown (NULL) */
};

#define NCOLS(m) ((int)lengthof(m))

/* --- arguments --- */

/* A name argument, checked: not NULL (unless OPTIONAL), not empty, at
 * most FERRY_NAME_MAX bytes, no blanks or control characters, not an
 * option (--x). NULL when optional and NULL. */
static const char *arg_name(FunctionCallInfo fcinfo, int n, const char *what, bool optional)
{
	text *t;
	char *s;
	size_t len;

	if (PG_ARGISNULL(n)) {
		if (optional)
			return NULL;
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("%s must not be NULL", what)));
	}
	t = PG_GETARG_TEXT_PP(n);
	len = VARSIZE_ANY_EXHDR(t);
	if (len == 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("%s must not be empty", what)));
	if (len > FERRY_NAME_MAX)
		ereport(ERROR, (errcode(ERRCODE_NAME_TOO_LONG),
				errmsg("%s is too long: %zu bytes, at most %d", what, len,
				       FERRY_NAME_MAX)));
	s = text_to_cstring(t);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p <= ' ' || *p == 0x7f)
			ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not contain blanks or control characters", what)));
	}
	if (strncmp(s, "--", 2) == 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("%s must not start with \"--\"", what)));
	/* ferryd's protocol is UTF-8 JSON: a name it cannot carry would be
	 * dropped from the command, which then means something else */
	if (GetDatabaseEncoding() == PG_SQL_ASCII &&
	    pg_encoding_verifymbstr(PG_UTF8, s, (int)strlen(s)) != (int)strlen(s))
		ereport(ERROR, (errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
				errmsg("%s must be valid UTF-8", what),
				errdetail("The database encoding is SQL_ASCII: ferryd's names are "
					  "UTF-8.")));
	return pg_server_to_any(s, (int)strlen(s), PG_UTF8);
}

/* A non-negative integer argument, as decimal text. */
static const char *arg_count(FunctionCallInfo fcinfo, int n, const char *what, bool is64)
{
	int64 v;

	if (PG_ARGISNULL(n))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("%s must not be NULL", what)));
	v = is64 ? PG_GETARG_INT64(n) : (int64)PG_GETARG_INT32(n);
	if (v < 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("%s must not be negative, got " INT64_FORMAT, what, v)));
	return psprintf(INT64_FORMAT, v);
}

/* --- results --- */

struct srf {
	ReturnSetInfo *rsinfo;
	TupleDesc desc;
	int ncols;
	const struct colmap *map;
	FmgrInfo *in;
	Oid *ioparam;
	int32 *typmod;
	bool *text_like;
};

static void srf_begin(FunctionCallInfo fcinfo, struct srf *s, const struct colmap *map, int n,
		      const char *fname)
{
#if PG_VERSION_NUM >= 160000
	InitMaterializedSRF(fcinfo, 0);
#else
	SetSingleFuncCall(fcinfo, 0);
#endif
	s->rsinfo = (ReturnSetInfo *)fcinfo->resultinfo;
	s->desc = s->rsinfo->setDesc;
	s->map = map;
	s->ncols = n;
	if (s->desc->natts != n)
		ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("ferry.%s() is declared with %d columns, ferry.so maps %d", fname,
				s->desc->natts, n),
			 errhint("The extension's SQL and its library differ: ALTER EXTENSION "
				 "ferry UPDATE, or reinstall.")));
	s->in = palloc0(sizeof(FmgrInfo) * n);
	s->ioparam = palloc0(sizeof(Oid) * n);
	s->typmod = palloc0(sizeof(int32) * n);
	s->text_like = palloc0(sizeof(bool) * n);
	for (int i = 0; i < n; i++) {
		Form_pg_attribute a = TupleDescAttr(s->desc, i);
		Oid func;

		if (strcmp(NameStr(a->attname), map[i].sql) != 0)
			ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column %d of ferry.%s() is \"%s\", ferry.so maps \"%s\"",
					i + 1, fname, NameStr(a->attname), map[i].sql),
				 errhint("The extension's SQL and its library differ: ALTER "
					 "EXTENSION ferry UPDATE, or reinstall.")));
		getTypeInputInfo(a->atttypid, &func, &s->ioparam[i]);
		fmgr_info(func, &s->in[i]);
		s->typmod[i] = a->atttypmod;
		s->text_like[i] = a->atttypid == TEXTOID || a->atttypid == VARCHAROID;
	}
}

/* Where each declared column is in R; an error names a missing one. */
static int *srf_columns(const struct srf *s, const struct ferry_result *r, const char *command)
{
	int *at = palloc(sizeof(int) * s->ncols);

	for (int i = 0; i < s->ncols; i++) {
		at[i] = ferry_result_col(r, s->map[i].reply);
		if (at[i] < 0)
			ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("ferryd's answer to `%s` has no column \"%s\" (for %s)",
					command, s->map[i].reply, s->map[i].sql),
				 errhint("ferryd is older than the extension: upgrade ferryd.")));
	}
	return at;
}

/* A cell as the declared column's type; *isnull for unknown. An empty
 * string is unknown too, but for text columns. */
static Datum srf_value(const struct srf *s, int i, const char *cell, bool *isnull)
{
	*isnull = cell == NULL || (cell[0] == '\0' && !s->text_like[i]);
	if (!*isnull && s->map[i].only_numbers) {
		const char *p = cell + (cell[0] == '-');

		*isnull = *p == '\0' || strspn(p, "0123456789") != strlen(p);
	}
	if (*isnull)
		return (Datum)0;
	return InputFunctionCall(&s->in[i], unconstify(char *, cell), s->ioparam[i], s->typmod[i]);
}

static void srf_put(struct srf *s, const struct ferry_result *r, const char *command)
{
	int *at = srf_columns(s, r, command);
	Datum *values = palloc(sizeof(Datum) * s->ncols);
	bool *nulls = palloc(sizeof(bool) * s->ncols);

	for (int row = 0; row < r->nrows; row++) {
		for (int i = 0; i < s->ncols; i++)
			values[i] = srf_value(s, i, r->rows[row][at[i]], &nulls[i]);
		tuplestore_putvalues(s->rsinfo->setResult, s->desc, values, nulls);
	}
}

static const char *command_line(const char *const *argv, int argc)
{
	StringInfoData b;

	initStringInfo(&b);
	for (int i = 0; i < argc; i++)
		appendStringInfo(&b, "%s%s", i ? " " : "", argv[i]);
	return b.data;
}

/* The common case: one command, its rows. */
static Datum show(FunctionCallInfo fcinfo, const char *fname, const struct colmap *map, int n,
		  const char *const *argv, int argc)
{
	struct srf s;
	struct ferry_result *r;

	srf_begin(fcinfo, &s, map, n, fname);
	r = ferry_command(argv, argc);
	srf_put(&s, r, command_line(argv, argc));
	return (Datum)0;
}

/* --- the functions --- */

PG_FUNCTION_INFO_V1(ferry_flows);
PG_FUNCTION_INFO_V1(ferry_lag);
PG_FUNCTION_INFO_V1(ferry_topics);
PG_FUNCTION_INFO_V1(ferry_offset_map);
PG_FUNCTION_INFO_V1(ferry_translate_offset);
PG_FUNCTION_INFO_V1(ferry_translate_group);
PG_FUNCTION_INFO_V1(ferry_checkpoints);
PG_FUNCTION_INFO_V1(ferry_heartbeats);
PG_FUNCTION_INFO_V1(ferry_placement);
PG_FUNCTION_INFO_V1(ferry_placement_check);
PG_FUNCTION_INFO_V1(ferry_transfers);
PG_FUNCTION_INFO_V1(ferry_audit_log);

static const struct colmap flows_map[] = {
	{ "flow", "flow" },
	{ "source", "source" },
	{ "target", "target" },
	{ "state", "state" },
	{ "reason", "reason" },
	{ "topics", "topics" },
	{ "partitions", "partitions" },
	{ "records", "records" },
	{ "bytes", "bytes" },
	{ "lag_records", "lag" },
	{ "replication_latency_ms", "latency ms" },
};

Datum ferry_flows(PG_FUNCTION_ARGS)
{
	static const char *const argv[] = { "show", "flows" };

	return show(fcinfo, "flows", flows_map, NCOLS(flows_map), argv, 2);
}

static const struct colmap lag_map[] = {
	{ "flow", "flow" },
	{ "topic", "topic" },
	{ "partition", "partition" },
	{ "end_offset", "end offset" },
	{ "position", "position" },
	{ "lag_records", "lag" },
	{ "lag_seconds", "lag seconds" },
};

Datum ferry_lag(PG_FUNCTION_ARGS)
{
	const char *flow = arg_name(fcinfo, 0, "flow", true);
	const char *argv[] = { "show", "lag", flow };

	return show(fcinfo, "lag", lag_map, NCOLS(lag_map), argv, flow ? 3 : 2);
}

static const struct colmap topics_map[] = {
	{ "flow", "flow" },
	{ "topic", "topic" },
	{ "remote_topic", "remote topic" },
	{ "partitions", "partitions" },
	{ "state", "state" },
};

Datum ferry_topics(PG_FUNCTION_ARGS)
{
	const char *flow = arg_name(fcinfo, 0, "flow", true);
	const char *argv[] = { "show", "topics", flow };

	return show(fcinfo, "topics", topics_map, NCOLS(topics_map), argv, flow ? 3 : 2);
}

static const struct colmap offset_map_map[] = {
	{ "upstream", "upstream" },
	{ "downstream", "downstream" },
	{ "recorded_at", "recorded at" },
};

Datum ferry_offset_map(PG_FUNCTION_ARGS)
{
	const char *flow = arg_name(fcinfo, 0, "flow", false);
	const char *topic = arg_name(fcinfo, 1, "topic", false);
	const char *part = arg_count(fcinfo, 2, "partition", false);
	const char *argv[] = { "show", "offset-syncs", flow, topic, part };

	return show(fcinfo, "offset_map", offset_map_map, NCOLS(offset_map_map), argv, 5);
}

/* The downstream offset of UPSTREAM, or NULL with a NOTICE saying why it
 * cannot be translated exactly (ferryd's result and note). */
Datum ferry_translate_offset(PG_FUNCTION_ARGS)
{
	const char *flow = arg_name(fcinfo, 0, "flow", false);
	const char *topic = arg_name(fcinfo, 1, "topic", false);
	const char *part = arg_count(fcinfo, 2, "partition", false);
	const char *up = arg_count(fcinfo, 3, "upstream", true);
	const char *argv[] = { "translate", "offset", flow, topic, part, up };
	struct ferry_result *r = ferry_command(argv, 6);
	int down = ferry_result_col(r, "downstream"), res = ferry_result_col(r, "result");

	if (down < 0 || res < 0 || r->nrows != 1)
		ereport(ERROR,
			(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
			 errmsg("ferryd's answer to `%s` is not one row with downstream and result",
				command_line(argv, 6)),
			 errhint("ferryd is older than the extension: upgrade ferryd.")));
	if (r->rows[0][down] == NULL || r->rows[0][down][0] == '\0') {
		ereport(NOTICE,
			(errmsg("offset %s of %s[%s] in flow %s cannot be translated exactly: %s",
				up, topic, part, flow,
				r->rows[0][res] ? r->rows[0][res] : "unknown"),
			 r->message && r->message[0] ? errdetail("ferryd: %s.", r->message) : 0));
		PG_RETURN_NULL();
	}
	PG_RETURN_DATUM(DirectFunctionCall1(int8in, CStringGetDatum(r->rows[0][down])));
}

static const struct colmap translate_group_map[] = {
	{ "topic", "topic" },
	{ "remote_topic", "remote topic" },
	{ "partition", "partition" },
	{ "source_offset", "source offset" },
	{ "target_offset", "target offset" },
	{ "result", "result" },
};

Datum ferry_translate_group(PG_FUNCTION_ARGS)
{
	const char *flow = arg_name(fcinfo, 0, "flow", false);
	const char *grp = arg_name(fcinfo, 1, "grp", false);
	const char *argv[] = { "translate", "group", flow, grp };

	return show(fcinfo, "translate_group", translate_group_map, NCOLS(translate_group_map),
		    argv, 4);
}

static const struct colmap checkpoints_map[] = {
	{ "flow", "flow" },
	{ "grp", "group" },
	{ "topic", "topic" },
	{ "remote_topic", "remote topic" },
	{ "partition", "partition" },
	{ "upstream", "upstream" },
	{ "downstream", "downstream" },
	{ "emitted_at", "emitted at" },
};

Datum ferry_checkpoints(PG_FUNCTION_ARGS)
{
	const char *grp = arg_name(fcinfo, 0, "grp", true);
	const char *argv[] = { "show", "checkpoints", grp };

	return show(fcinfo, "checkpoints", checkpoints_map, NCOLS(checkpoints_map), argv,
		    grp ? 3 : 2);
}

static const struct colmap heartbeats_map[] = {
	{ "source", "source" }, { "target", "target" },       { "topic", "topic" },
	{ "sent", "sent" },     { "last_sent", "last sent" },
};

Datum ferry_heartbeats(PG_FUNCTION_ARGS)
{
	static const char *const argv[] = { "show", "heartbeats" };

	return show(fcinfo, "heartbeats", heartbeats_map, NCOLS(heartbeats_map), argv, 2);
}

static const struct colmap placement_map[] = {
	{ "topic", "topic" },
	{ "cluster", "cluster" },
	{ "labels", "labels" },
	{ "rule", "rules" },
	{ "category", "category" },
	{ "basis", "basis" },
	/* "unknown: <why>" and "(no such topic)" are NULL here */
	{ "retention_ms", "retention.ms", true },
	{ "allowed", "allowed" },
	{ "holds", "holds" },
	{ "held_back", "held back" },
	{ "flow", "flow" },
};

Datum ferry_placement(PG_FUNCTION_ARGS)
{
	static const char *const argv[] = { "show", "placement" };

	return show(fcinfo, "placement", placement_map, NCOLS(placement_map), argv, 2);
}

static const struct colmap placement_check_map[] = {
	{ "rule", "rule" },         { "topics", "topics" }, { "requires", "requires" },
	{ "category", "category" }, { "basis", "basis" },   { "met", "met by *" },
};

Datum ferry_placement_check(PG_FUNCTION_ARGS)
{
	const char *topic = arg_name(fcinfo, 0, "topic", false);
	const char *cluster = arg_name(fcinfo, 1, "cluster", false);
	const char *argv[] = { "placement", "check", topic, cluster };

	return show(fcinfo, "placement_check", placement_check_map, NCOLS(placement_check_map),
		    argv, 4);
}

static const struct colmap transfers_map[] = {
	{ "day", "day" },
	{ "flow", "flow" },
	{ "topic", "topic" },
	{ "partition", "partition" },
	{ "records", "records" },
	{ "bytes", "bytes" },
	{ "first_offset", "first offset" },
	{ "last_offset", "last offset" },
	{ "first_ts", "first timestamp" },
	{ "last_ts", "last timestamp" },
	{ "rule", "rule" },
	{ "category", "category" },
	{ "held_back", "held back" },
};

Datum ferry_transfers(PG_FUNCTION_ARGS)
{
	const char *argv[] = { "show", "transfers", "--since", NULL };

	if (!PG_ARGISNULL(0)) {
		DateADT d = PG_GETARG_DATEADT(0);
		int y, m, day;

		if (DATE_NOT_FINITE(d))
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("since must be a finite date")));
		j2date(d + POSTGRES_EPOCH_JDATE, &y, &m, &day);
		if (y < 1 || y > 9999)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("since must be a date of the years 1 to 9999")));
		argv[3] = psprintf("%04d-%02d-%02d", y, m, day);
	}
	return show(fcinfo, "transfers", transfers_map, NCOLS(transfers_map), argv,
		    argv[3] ? 4 : 2);
}

static const struct colmap audit_map[] = {
	{ "id", "id" },         { "ts", "time" },       { "who", "who" },
	{ "role", "role" },     { "origin", "origin" }, { "action", "action" },
	{ "result", "result" }, { "detail", "detail" }, { "prev_hash", "prev hash" },
	{ "hash", "hash" },
};

/* The audit trail oldest first, from SINCE (everything when NULL), read a
 * page at a time (`show audit N [--since T] --after ID`). A page of long
 * entries may not fit ferryd's 1 MiB frame (it answers too_large): the same
 * page is asked again with half the count, down to one entry, and the
 * count grows back after each page that fits. */
Datum ferry_audit_log(PG_FUNCTION_ARGS)
{
	struct srf s;
	const char *since = NULL;
	int64 after = 0, last;
	int idcol, count = AUDIT_PAGE;

	if (!PG_ARGISNULL(0)) {
		TimestampTz t = PG_GETARG_TIMESTAMPTZ(0);
		struct pg_tm tm;
		fsec_t fsec;

		if (TIMESTAMP_NOT_FINITE(t) || timestamp2tm(t, NULL, &tm, &fsec, NULL, NULL) != 0 ||
		    tm.tm_year < 1970 || tm.tm_year > 9999)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("since must be a time of the years 1970 to 9999")));
		/* ferryd keeps milliseconds; a fraction below rounds down, so
		 * an entry of that millisecond is included */
		since = psprintf("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year, tm.tm_mon,
				 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(fsec / 1000));
	}
	srf_begin(fcinfo, &s, audit_map, NCOLS(audit_map), "audit_log");
	for (;;) {
		const char *argv[7];
		int argc = 0;
		struct ferry_result *r;
		const char *line;

		argv[argc++] = "show";
		argv[argc++] = "audit";
		argv[argc++] = psprintf("%d", count);
		if (since) {
			argv[argc++] = "--since";
			argv[argc++] = since;
		}
		argv[argc++] = "--after";
		argv[argc++] = psprintf(INT64_FORMAT, after);
		line = command_line(argv, argc);
		r = ferry_command_unless(argv, argc, "too_large");
		if (!r) {
			if (count == 1)
				ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("the audit entry after id " INT64_FORMAT
						" is larger than ferryd's 1 MiB control frame",
						after),
					 errdetail("ferryd answered too_large to `%s`.", line),
					 errhint("ferry.audit_event holds it when ferryd's history "
						 "sink is on.")));
			count /= 2;
			elog(DEBUG1, "ferry: `%s` is over the frame limit; asking %d entries", line,
			     count);
			continue;
		}
		srf_put(&s, r, line);
		if (r->nrows < count)
			break;
		count = Min(count * 2, AUDIT_PAGE);
		/* the next page starts after the last id read (srf_put found
		 * the column); ids only grow, or the paging would not end */
		idcol = ferry_result_col(r, "id");
		last = r->rows[r->nrows - 1][idcol] ? pg_strtoint64(r->rows[r->nrows - 1][idcol])
						    : -1;
		if (last <= after)
			ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("ferryd's answer to `%s` does not move on: its last id is " INT64_FORMAT,
					line, last)));
		after = last;
	}
	return (Datum)0;
}
