/*
 * test_cmdtab.c — the command table's matcher: prefixes, arguments,
 * ambiguity and suggestions, modes, `?` candidates, line splitting.
 */
#include "lib/cmdtab.h"
#include "tap.h"

#include <string.h>

static enum match_rc m(const char *line, unsigned mode, struct cmd_match *out, char *err,
		       size_t errsz)
{
	char **w;
	int n = cmdtab_split(line, &w, err, errsz);
	enum match_rc rc;

	if (n < 0)
		return MATCH_BAD_ARG;
	rc = cmdtab_match(w, n, mode, out, err, errsz);
	cmdtab_free_words(w, n);
	return rc;
}

/* COMMAND's one-line description as a string (until the next call). */
static const char *summary(enum cmd_id id)
{
	static char buf[256];
	const struct cmd_def *d = cmdtab_get(id);

	snprintf(buf, sizeof(buf), "%.*s", d->summary_len, d->summary);
	return buf;
}

int main(void)
{
	struct cmd_match x;
	char err[1024];
	char **w;
	int n;

	ok(m("show flows", MODE_EXEC, &x, err, sizeof(err)) == MATCH_OK &&
		   x.def->id == CMD_SHOW_FLOWS,
	   "show flows");
	cmdtab_match_free(&x);
	ok(m("sh fl", MODE_EXEC, &x, err, sizeof(err)) == MATCH_OK && x.def->id == CMD_SHOW_FLOWS,
	   "unique prefixes: sh fl");
	cmdtab_match_free(&x);
	ok(m("show lag A->B", MODE_EXEC, &x, err, sizeof(err)) == MATCH_OK && x.nargs == 1,
	   "optional argument given");
	is(x.args[0], "A->B", "its value");
	cmdtab_match_free(&x);
	ok(m("show lag", MODE_EXEC, &x, err, sizeof(err)) == MATCH_OK && x.nargs == 0,
	   "optional argument left out");
	cmdtab_match_free(&x);
	ok(m("show re", MODE_EXEC, &x, err, sizeof(err)) == MATCH_OK &&
		   x.def->id == CMD_SHOW_REVISIONS,
	   "show re: revisions is the only re*");
	cmdtab_match_free(&x);

	is_int(m("show flws", MODE_EXEC, &x, err, sizeof(err)), MATCH_UNKNOWN, "typo");
	is(err, "unknown command at \"flws\"; did you mean \"flows\"?",
	   "suggests the closest word");
	is_int(m("show", MODE_EXEC, &x, err, sizeof(err)), MATCH_INCOMPLETE, "incomplete");
	like(err, "expected version, clusters, flows", "lists what may follow");
	is_int(m("show co", MODE_EXEC, &x, err, sizeof(err)), MATCH_OK, "show co: config");
	cmdtab_match_free(&x);
	is_int(m("pause flow nonsense", MODE_EXEC, &x, err, sizeof(err)), MATCH_BAD_ARG,
	       "bad FLOW");
	like(err, "FLOW: expected SOURCE->TARGET", "names the argument");
	is_int(m("show audit 0", MODE_EXEC, &x, err, sizeof(err)), MATCH_BAD_ARG, "COUNT 0");
	is_int(m("show audit 2147483648", MODE_EXEC, &x, err, sizeof(err)), MATCH_BAD_ARG,
	       "COUNT above INT_MAX");
	like(err, "COUNT: expected a positive number up to 2147483647", "says the bound");
	is_int(m("show audit 99999999999999999999", MODE_EXEC, &x, err, sizeof(err)), MATCH_BAD_ARG,
	       "COUNT beyond long long");
	is_int(m("show audit 2147483647", MODE_EXEC, &x, err, sizeof(err)), MATCH_OK,
	       "COUNT INT_MAX");
	cmdtab_match_free(&x);
	/* an optional argument followed by an optional keyword and its own */
	ok(m("show transfers", MODE_EXEC, &x, err, sizeof(err)) == MATCH_OK &&
		   x.def->id == CMD_SHOW_TRANSFERS && x.nargs == 0,
	   "show transfers: both left out");
	cmdtab_match_free(&x);
	ok(m("show transfers A->B", MODE_EXEC, &x, err, sizeof(err)) == MATCH_OK && x.nargs == 1 &&
		   strcmp(x.args[0], "A->B") == 0,
	   "show transfers FLOW");
	cmdtab_match_free(&x);
	ok(m("show transfers --since 2026-12-01", MODE_EXEC, &x, err, sizeof(err)) == MATCH_OK &&
		   x.nargs == 2 && x.args[0] == NULL && strcmp(x.args[1], "2026-12-01") == 0 &&
		   cmdtab_flag(&x, "--since"),
	   "show transfers --since DATE: FLOW left out (NULL)");
	cmdtab_match_free(&x);
	ok(m("show transfers A->B --since 2026-12-01", MODE_EXEC, &x, err, sizeof(err)) ==
			   MATCH_OK &&
		   x.nargs == 2 && strcmp(x.args[0], "A->B") == 0 &&
		   strcmp(x.args[1], "2026-12-01") == 0,
	   "show transfers FLOW --since DATE");
	cmdtab_match_free(&x);
	is_int(m("show transfers --since", MODE_EXEC, &x, err, sizeof(err)), MATCH_INCOMPLETE,
	       "--since without its DATE");
	like(err, "expected <DATE> after \"--since\"", "says what is missing");
	is_int(m("show transfers --since 2026-02-30", MODE_EXEC, &x, err, sizeof(err)),
	       MATCH_BAD_ARG, "a day that does not exist");
	is(err, "DATE: expected a day YYYY-MM-DD, got \"2026-02-30\"", "names DATE");
	is_int(m("show transfers A->B --since 1.12.2026", MODE_EXEC, &x, err, sizeof(err)),
	       MATCH_BAD_ARG, "a day in another form");
	like(err, "DATE: expected a day YYYY-MM-DD", "names DATE");
	is_int(m("show transfers orders", MODE_EXEC, &x, err, sizeof(err)), MATCH_BAD_ARG,
	       "show transfers: a FLOW that is none");
	like(err, "FLOW: expected SOURCE->TARGET", "names FLOW");
	ok(cmdtab_parse_date("2028-02-29") == 0 && cmdtab_parse_date("2026-02-29") != 0 &&
		   cmdtab_parse_date("2026-1-01") != 0 && cmdtab_parse_date("2026-01-01x") != 0 &&
		   cmdtab_parse_date("+026-01-01") != 0,
	   "DATE: leap days, and nothing but YYYY-MM-DD");
	{
		char **tw;
		struct cmd_next nx[16];
		int tn = cmdtab_split("show transfers --since", &tw, err, sizeof(err));
		size_t k = cmdtab_next(tw, tn, "", MODE_EXEC, nx, 16);

		ok(k == 1 && nx[0].kind == ARG_DATE, "? after --since: DATE");
		cmdtab_free_words(tw, tn);
		tn = cmdtab_split("show transfers", &tw, err, sizeof(err));
		k = cmdtab_next(tw, tn, "", MODE_EXEC, nx, 16);
		ok(k == 3 && nx[0].kind == ARG_FLOW && strcmp(nx[1].word, "--since") == 0 &&
			   nx[2].word == NULL,
		   "? after show transfers: FLOW, --since or the end");
		k = cmdtab_next(tw, tn, "--s", MODE_EXEC, nx, 16);
		ok(k == 2 && nx[1].word && strcmp(nx[1].word, "--since") == 0,
		   "completing --s: --since (and FLOW, any word)");
		cmdtab_free_words(tw, tn);
	}

	/* two optional keywords, each may be left out (show audit) */
	ok(m("show audit --after 7", MODE_EXEC, &x, err, sizeof(err)) == MATCH_OK &&
		   x.def->id == CMD_SHOW_AUDIT && x.nargs == 3 && !x.args[0] && !x.args[1] &&
		   strcmp(x.args[2], "7") == 0 && cmdtab_flag(&x, "--after") &&
		   !cmdtab_flag(&x, "--since"),
	   "show audit --after ID: COUNT and --since left out");
	cmdtab_match_free(&x);
	ok(m("show audit 5 --since 2026-12-01T00:00:00Z --after 7", MODE_EXEC, &x, err,
	     sizeof(err)) == MATCH_OK &&
		   x.nargs == 3 && strcmp(x.args[0], "5") == 0 &&
		   strcmp(x.args[1], "2026-12-01T00:00:00Z") == 0 && strcmp(x.args[2], "7") == 0,
	   "show audit COUNT --since DATETIME --after ID");
	cmdtab_match_free(&x);
	ok(m("show audit 5 --since 1700000000000", MODE_EXEC, &x, err, sizeof(err)) == MATCH_OK &&
		   x.nargs == 2 && strcmp(x.args[1], "1700000000000") == 0,
	   "show audit COUNT --since DATETIME");
	cmdtab_match_free(&x);
	ok(m("show audit 5", MODE_EXEC, &x, err, sizeof(err)) == MATCH_OK && x.nargs == 1,
	   "show audit COUNT");
	cmdtab_match_free(&x);
	is_int(m("show audit --after -1", MODE_EXEC, &x, err, sizeof(err)), MATCH_BAD_ARG,
	       "a negative id");
	is(err, "ID: expected an audit entry id (0 or more), got \"-1\"", "names ID");
	is_int(m("show audit --after 7 --since 2026-12-01T00:00:00Z", MODE_EXEC, &x, err,
		 sizeof(err)),
	       MATCH_UNKNOWN, "options in the table's order only");
	is_int(m("show audit --after", MODE_EXEC, &x, err, sizeof(err)), MATCH_INCOMPLETE,
	       "--after without its ID");
	{
		char **tw;
		struct cmd_next nx[16];
		int tn = cmdtab_split("show audit 5", &tw, err, sizeof(err));
		size_t k = cmdtab_next(tw, tn, "", MODE_EXEC, nx, 16);

		ok(k == 3 && strcmp(nx[0].word, "--since") == 0 &&
			   strcmp(nx[1].word, "--after") == 0 && nx[2].word == NULL,
		   "? after show audit COUNT: --since, --after or the end");
		k = cmdtab_next(tw, tn, "--a", MODE_EXEC, nx, 16);
		ok(k == 1 && strcmp(nx[0].word, "--after") == 0, "completing --a: --after");
		cmdtab_free_words(tw, tn);
		tn = cmdtab_split("show audit", &tw, err, sizeof(err));
		k = cmdtab_next(tw, tn, "", MODE_EXEC, nx, 16);
		ok(k == 4 && nx[0].kind == ARG_COUNT && strcmp(nx[1].word, "--since") == 0 &&
			   strcmp(nx[2].word, "--after") == 0 && nx[3].word == NULL,
		   "? after show audit: COUNT, --since, --after or the end");
		cmdtab_free_words(tw, tn);
	}
	/* translate offset: PARTITION and OFFSET checked by the grammar */
	ok(m("translate offset A->B orders 0 12", MODE_EXEC, &x, err, sizeof(err)) == MATCH_OK &&
		   x.def->id == CMD_TRANSLATE_OFFSET && x.nargs == 4 &&
		   strcmp(x.args[3], "12") == 0,
	   "translate offset FLOW TOPIC PARTITION OFFSET");
	cmdtab_match_free(&x);
	is_int(m("translate offset A->B orders 0 -3", MODE_EXEC, &x, err, sizeof(err)),
	       MATCH_BAD_ARG, "a negative offset");
	is(err, "OFFSET: expected an offset (0 or more), got \"-3\"", "names OFFSET");
	is_int(m("translate offset A->B orders x 3", MODE_EXEC, &x, err, sizeof(err)),
	       MATCH_BAD_ARG, "a partition that is no number");
	like(err, "PARTITION: expected a partition number", "names PARTITION");
	is_int(m("translate offset A->B orders 0 99999999999999999999", MODE_EXEC, &x, err,
		 sizeof(err)),
	       MATCH_BAD_ARG, "an offset too large");
	ok(m("show offset A->B", MODE_EXEC, &x, err, sizeof(err)) == MATCH_OK &&
		   x.def->id == CMD_SHOW_OFFSETS,
	   "show offset: still show offsets (not offset-syncs)");
	cmdtab_match_free(&x);

	is_int(m("xyzzy", MODE_EXEC, &x, err, sizeof(err)), MATCH_UNKNOWN, "nonsense");
	like(err, "type ? or help", "points at help when nothing is close");

	/* modes */
	is_int(m("set tasks.max 2", MODE_EXEC, &x, err, sizeof(err)), MATCH_UNKNOWN,
	       "set in exec mode");
	like(err, "configuration-mode command: enter `configure` first", "says which mode");
	ok(m("set A->B.topics orders.*, pay ments", MODE_CONFIG, &x, err, sizeof(err)) == MATCH_OK,
	   "set in configure mode");
	is(x.args[0], "A->B.topics", "KEY");
	is(x.args[1], "orders.*, pay ments", "VALUE takes the rest of the line");
	cmdtab_match_free(&x);
	ok(m("show | compare", MODE_CONFIG, &x, err, sizeof(err)) == MATCH_OK &&
		   x.def->id == CMD_CFG_COMPARE,
	   "show | compare");
	cmdtab_match_free(&x);
	ok(m("show|compare", MODE_CONFIG, &x, err, sizeof(err)) == MATCH_OK &&
		   x.def->id == CMD_CFG_COMPARE,
	   "the pipe needs no blanks");
	cmdtab_match_free(&x);
	ok(m("show", MODE_CONFIG, &x, err, sizeof(err)) == MATCH_OK && x.def->id == CMD_CFG_SHOW,
	   "show alone in configure mode: the candidate");
	cmdtab_match_free(&x);
	ok(m("exit", MODE_CONFIG, &x, err, sizeof(err)) == MATCH_OK && x.def->id == CMD_CFG_EXIT,
	   "exit in configure mode");
	cmdtab_match_free(&x);
	ok(m("exit discard", MODE_CONFIG, &x, err, sizeof(err)) == MATCH_OK &&
		   x.def->id == CMD_CFG_DISCARD,
	   "exit discard");
	cmdtab_match_free(&x);
	ok(m("commit my comment here", MODE_CONFIG, &x, err, sizeof(err)) == MATCH_OK,
	   "commit TEXT");
	is(x.args[0], "my comment here", "TEXT");
	cmdtab_match_free(&x);

	/* splitting */
	n = cmdtab_split("set k \"a b\"  'c\"d'", &w, err, sizeof(err));
	is_int(n, 4, "quotes group words");
	is(w[2], "a b", "double quotes");
	is(w[3], "c\"d", "single quotes keep the other quote");
	cmdtab_free_words(w, n);
	is_int(cmdtab_split("set k \"open", &w, err, sizeof(err)), -1, "unbalanced quote");
	like(err, "unbalanced", "said");

	/* ? candidates */
	{
		struct cmd_next nx[64];
		char *words[] = { "show", NULL };
		size_t k = cmdtab_next(words, 1, "", MODE_EXEC, nx, 64), found = 0;

		for (size_t i = 0; i < k; i++)
			found += nx[i].word && strcmp(nx[i].word, "lag") == 0;
		ok(found == 1 && k >= 10, "after show: lag among %zu candidates", k);
		k = cmdtab_next(words, 1, "la", MODE_EXEC, nx, 64);
		ok(k == 1 && strcmp(nx[0].word, "lag") == 0, "partial la: only lag");
		char *w2[] = { "show", "lag", NULL };

		k = cmdtab_next(w2, 2, "", MODE_EXEC, nx, 64);
		ok(k == 2, "after show lag: FLOW or end of command");
	}

	/* resume flow: the whole flow, or one stopped partition from a position */
	ok(m("resume flow A->B", MODE_EXEC, &x, err, sizeof(err)) == MATCH_OK &&
		   x.def->id == CMD_RESUME_FLOW,
	   "resume flow FLOW");
	cmdtab_match_free(&x);
	ok(m("resume flow A->B --topic orders --partition 0 --from earliest", MODE_EXEC, &x, err,
	     sizeof(err)) == MATCH_OK &&
		   x.def->id == CMD_RESUME_PARTITION && x.nargs == 4,
	   "resume flow FLOW --topic T --partition 0 --from earliest");
	is(x.args[1], "orders", "the topic");
	is(x.args[2], "0", "partition 0 is a partition");
	cmdtab_match_free(&x);
	ok(m("res fl A->B --t orders --p 3 --f 1234", MODE_EXEC, &x, err, sizeof(err)) ==
			   MATCH_OK &&
		   x.def->id == CMD_RESUME_PARTITION && strcmp(x.args[3], "1234") == 0,
	   "prefixes and an offset");
	cmdtab_match_free(&x);
	ok(m("resume flow A->B --topic orders --partition -1 --from latest", MODE_EXEC, &x, err,
	     sizeof(err)) == MATCH_BAD_ARG,
	   "a negative partition is refused");
	like(err, "PARTITION: expected a partition number", "naming the argument");
	ok(m("resume flow A->B --topic orders --partition 2 --from soon", MODE_EXEC, &x, err,
	     sizeof(err)) == MATCH_BAD_ARG,
	   "a position that is none is refused");
	like(err, "POSITION: expected earliest, latest or an offset", "saying what is expected");
	{
		long long v;

		ok(cmdtab_parse_position("earliest", &v) == 0 && v == -2 &&
			   cmdtab_parse_position("latest", &v) == 0 && v == -1 &&
			   cmdtab_parse_position("42", &v) == 0 && v == 42 &&
			   cmdtab_parse_position("4x", &v) == -1 &&
			   cmdtab_parse_position("-3", &v) == -1,
		   "positions parse: earliest -2, latest -1, offsets as given");
	}

	/* failover: an optional keyword at the end */
	ok(m("failover A->B --groups 'bill.*|pay' --drain", MODE_EXEC, &x, err, sizeof(err)) ==
			   MATCH_OK &&
		   x.def->id == CMD_FAILOVER,
	   "failover with --drain");
	is(x.args[1], "bill.*|pay", "a quoted regex keeps its |");
	ok(cmdtab_flag(&x, "--drain"), "--drain given");
	cmdtab_match_free(&x);
	ok(m("failover A->B --g x", MODE_EXEC, &x, err, sizeof(err)) == MATCH_OK &&
		   !cmdtab_flag(&x, "--drain"),
	   "--drain left out; --g abbreviates --groups");
	cmdtab_match_free(&x);
	is_int(m("reset-offsets A --group g --to-datetime noon", MODE_EXEC, &x, err, sizeof(err)),
	       MATCH_BAD_ARG, "bad DATETIME");
	like(err, "DATETIME: expected ISO 8601", "named");
	{
		long long ms = 0;

		ok(cmdtab_parse_datetime("1970-01-01T00:00:01Z", &ms) == 0 && ms == 1000, "ISO, Z");
		ok(cmdtab_parse_datetime("2026-11-22T10:00:00.250+01:00", &ms) == 0 &&
			   ms == 1795338000250LL,
		   "ISO, fraction and offset");
		ok(cmdtab_parse_datetime("1795338000250", &ms) == 0 && ms == 1795338000250LL,
		   "epoch ms");
		ok(cmdtab_parse_datetime("2026-11-22T10:00:00", &ms) == -1, "no zone: refused");
		ok(cmdtab_parse_datetime("2026-13-22T10:00:00Z", &ms) == -1, "month 13: refused");
		ok(cmdtab_parse_datetime("", &ms) == -1, "empty: refused");
	}

	/* every command has a help line per token and a doc */
	{
		size_t nd;
		const struct cmd_def *d = cmdtab_all(&nd);
		int bad = 0;

		for (size_t i = 0; i < nd; i++)
			for (size_t t = 0; t < d[i].ntok; t++)
				if (d[i].tok[t].help_len == 0 || !d[i].doc[0])
					bad++;
		is_int(bad, 0, "every token has help, every command a description");
	}

	/* each command has a one-line description of its own: `help show`
	 * lists the show commands each with its own line, never the shared
	 * "Show running system information" of their first word */
	{
		size_t nd;
		const struct cmd_def *d = cmdtab_all(&nd);
		int dup = 0, empty = 0, shows = 0;

		for (size_t i = 0; i < nd; i++) {
			empty += d[i].summary_len == 0;
			if (strncmp(d[i].syntax, "show ", 5) == 0 && (d[i].modes & MODE_EXEC)) {
				shows++;
				ok(strncmp(d[i].summary, "Show running system information",
					   (size_t)d[i].summary_len) != 0,
				   "%s: its own line, not show's", d[i].syntax);
			}
			for (size_t j = 0; j < i; j++)
				if ((d[i].modes & d[j].modes) &&
				    d[i].summary_len == d[j].summary_len &&
				    strncmp(d[i].summary, d[j].summary, (size_t)d[i].summary_len) ==
					    0) {
					diag("%s and %s: both \"%.*s\"", d[i].syntax, d[j].syntax,
					     d[i].summary_len, d[i].summary);
					dup++;
				}
		}
		ok(shows >= 10, "the show commands were looked at (%d)", shows);
		is_int(empty, 0, "no command without a description");
		is_int(dup, 0, "no two commands of one mode share a description");
		is(summary(CMD_SHOW_LAG), "Per-partition replication lag",
		   "show lag: its token's help");
		is(summary(CMD_PAUSE_FLOW), "Pause a replication flow",
		   "pause flow: its first word's (not \"flow\"'s)");
		is(summary(CMD_RESUME_PARTITION), "Resume one stopped partition",
		   "resume flow ... --topic: where it parts from resume flow");
		is(summary(CMD_CFG_COMPARE), "Differences from the running configuration",
		   "show | compare: past the pipe");
	}
	return done_testing();
}
