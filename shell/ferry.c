/*
 * ferry.c — the `ferry` admin shell: interactive on libedit (history, `?`
 * help and tab completion from the shared command table, live names from
 * ferryd, paging), one-shot (`ferry 'show flows'` or `ferry show flows`)
 * and scripts (`ferry < file`). It is a view: ferryd parses, authorises
 * and executes every command it receives.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <histedit.h>
#include <poll.h>
#include <wchar.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/version.h"
#include "lib/cmdtab.h"
#include "lib/proto.h"

struct shell {
	struct proto_client c;
	int connected;
	const char *socket;
	const char *tls, *cert, *key, *ca; /* --tls: ferryd's TLS listener */
	unsigned mode;
	char appliance[128];
	int interactive;
	int echo; /* scripts: print each command after the prompt */
	int errors;
	char prompt[256];
	EditLine *el;
	History *hist;
	char histfile[1024];
};

static const char usage_text[] =
	"usage: ferry [-s SOCKET] [-e] ['COMMAND LINE' | WORD...]\n"
	"\n"
	"The admin shell of a ferry appliance. With one argument, that is a command\n"
	"line (ferry 'show lag A->B | json'); with several, they are its words. Without\n"
	"a command it reads commands interactively (or from standard input when that\n"
	"is not a terminal).\n"
	"\n"
	"  -s, --socket PATH   ferryd's control socket (default $FERRY_SOCKET, else\n"
	"                      " PROTO_DEFAULT_SOCKET ")\n"
	"      --tls HOST:PORT ferryd's TLS listener instead of the socket, with\n"
	"      --cert FILE     this client certificate (PEM; its key too, unless\n"
	"      --key FILE      given apart), checking ferryd against\n"
	"      --ca FILE       these CA certificates\n"
	"  -e, --echo          when reading a script, print each command first\n"
	"      --commands      print every command with its help, and exit\n"
	"  -V, --version       print the version and exit\n"
	"  -h, --help          print this help and exit\n"
	"\n"
	"Append `| json` to a command for machine-readable output.\n";

/* ---------------------------------------------------------------- output */

/* Interactively, SIGINT only sets this (no SA_RESTART, so a wait sees
 * EINTR): ^C abandons what the shell is doing, never the shell itself. */
static volatile sig_atomic_t got_sigint;

static void on_sigint(int sig)
{
	(void)sig;
	got_sigint = 1;
}

static int term_rows(void)
{
	struct winsize ws;

	const char *lines = getenv("LINES");

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
		return ws.ws_row;
	/* a terminal that does not say its size: $LINES, as curses does */
	// NOLINTNEXTLINE(cert-err34-c): a bad $LINES reads as 0, then the default
	if (lines && atoi(lines) > 2)
		// NOLINTNEXTLINE(cert-err34-c): a bad $LINES reads as 0, then the default
		return atoi(lines);
	return 24;
}

/* Writes TEXT, through $PAGER (default less -FRX) when interactive and
 * longer than the terminal. */
static void emit(struct shell *sh, const char *text)
{
	int lines = 0;
	const char *pager;
	int fds[2];
	pid_t pid;

	for (const char *p = text; *p; p++)
		lines += *p == '\n';
	if (!sh->interactive || !isatty(STDOUT_FILENO) || lines < term_rows() - 1 ||
	    pipe(fds) != 0) {
		fputs(text, stdout);
		fflush(stdout);
		return;
	}
	pager = getenv("PAGER");
	if (!pager || !*pager)
		pager = "less";
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		dup2(fds[0], STDIN_FILENO);
		close(fds[0]);
		close(fds[1]);
		if (strcmp(pager, "less") == 0)
			execlp("less", "less", "-FRX", (char *)NULL);
		else
			execlp("sh", "sh", "-c", "exec $PAGER", (char *)NULL);
		_exit(127);
	}
	close(fds[0]);
	if (pid < 0) {
		close(fds[1]);
		fputs(text, stdout);
		return;
	}
	{
		void (*old)(int) = signal(SIGPIPE, SIG_IGN);
		size_t n = strlen(text), off = 0;

		got_sigint = 0;
		while (off < n && !got_sigint) {
			ssize_t w = write(fds[1], text + off, n - off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break;
			off += (size_t)w;
		}
		close(fds[1]);
		/* ^C reached the pager too (same process group); one that stays
		 * (less) is ended, so that the prompt comes back at once */
		while (waitpid(pid, NULL, got_sigint ? WNOHANG : 0) != pid) {
			if (got_sigint) {
				kill(pid, SIGTERM);
				waitpid(pid, NULL, 0);
				break;
			}
			if (errno != EINTR)
				break;
		}
		signal(SIGPIPE, old);
	}
}

struct buf {
	char *s;
	size_t len, cap;
};

static void __attribute__((format(printf, 2, 3))) bprintf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (b->len + (size_t)n + 1 > b->cap) {
		size_t ncap = (b->cap + (size_t)n + 1) * 2;
		char *ns = realloc(b->s, ncap);

		if (!ns)
			return;
		b->s = ns;
		b->cap = ncap;
	}
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* A cell as text (caller frees). */
static char *cell(json_t *v)
{
	char tmp[64];

	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_integer(v)) {
		snprintf(tmp, sizeof(tmp), "%lld", (long long)json_integer_value(v));
		return strdup(tmp);
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);

		if (d == (double)(long long)d)
			snprintf(tmp, sizeof(tmp), "%lld", (long long)d);
		else
			snprintf(tmp, sizeof(tmp), "%.3f", d);
		return strdup(tmp);
	}
	if (json_is_true(v))
		return strdup("yes");
	if (json_is_false(v))
		return strdup("no");
	return strdup("-");
}

/* Display width of UTF-8 text: count code points. */
static size_t width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xC0) != 0x80;
	return w;
}

static void render_table(struct buf *b, json_t *columns, json_t *rows)
{
	size_t nc = json_array_size(columns), nr = json_array_size(rows);
	size_t *wid = calloc(nc ? nc : 1, sizeof(*wid));
	char **cells = calloc((nr + 1) * (nc ? nc : 1), sizeof(*cells));

	if (!wid || !cells) {
		free(wid);
		free(cells);
		return;
	}
	for (size_t c = 0; c < nc; c++) {
		cells[c] = cell(json_array_get(columns, c));
		wid[c] = width(cells[c] ? cells[c] : "");
	}
	for (size_t r = 0; r < nr; r++) {
		json_t *row = json_array_get(rows, r);

		for (size_t c = 0; c < nc; c++) {
			char *t = cell(json_array_get(row, c));

			cells[(r + 1) * nc + c] = t;
			if (t && width(t) > wid[c])
				wid[c] = width(t);
		}
	}
	for (size_t r = 0; r <= nr; r++) {
		for (size_t c = 0; c < nc; c++) {
			const char *t = cells[r * nc + c] ? cells[r * nc + c] : "";
			int last = c + 1 == nc;

			bprintf(b, "%s", t);
			if (!last)
				bprintf(b, "%*s", (int)(wid[c] - width(t) + 2), "");
		}
		bprintf(b, "\n");
		if (r == 0) {
			for (size_t c = 0; c < nc; c++) {
				for (size_t i = 0; i < wid[c]; i++)
					bprintf(b, "-");
				if (c + 1 < nc)
					bprintf(b, "  ");
			}
			bprintf(b, "\n");
		}
	}
	for (size_t i = 0; i < (nr + 1) * nc; i++)
		free(cells[i]);
	free(cells);
	free(wid);
}

/* ---------------------------------------------------------------- connection */

static int ensure_connected(struct shell *sh)
{
	struct ferr err;
	json_t *mode;
	const char *app;

	if (sh->connected)
		return 0;
	if (sh->tls ? proto_connect_tls(sh->tls, sh->cert, sh->key, sh->ca, "ferry " FERRY_VERSION,
					&sh->c, &err)
		    : proto_connect(sh->socket, "ferry " FERRY_VERSION, &sh->c, &err)) {
		fprintf(stderr, "%% %s\n", err.msg);
		return -1;
	}
	sh->connected = 1;
	app = json_string_value(json_object_get(sh->c.hello, "appliance"));
	snprintf(sh->appliance, sizeof(sh->appliance), "%s", app ? app : "ferry");
	mode = json_object_get(sh->c.hello, "mode");
	sh->mode = json_is_string(mode) && strcmp(json_string_value(mode), "configure") == 0
			   ? MODE_CONFIG
			   : MODE_EXEC;
	return 0;
}

static void disconnect(struct shell *sh)
{
	if (sh->connected)
		proto_close(&sh->c);
	sh->connected = 0;
	sh->mode = MODE_EXEC;
}

/* A request and its answer. Interactively (on_sigint installed), ^C while
 * waiting (failover --drain waits long) gives the prompt back. In exec
 * mode the caller then drops the connection, and ferryd cancels what that
 * session was waiting for; in configure mode that would throw away the
 * operator's candidate, so the session stays and the late answer is
 * skipped by proto_call, which matches answers to requests by id. A
 * command ferryd already ran (a commit) stays done either way. */
static int call_interruptibly(struct shell *sh, json_t *req, json_t **reply, struct ferr *err)
{
	int rc;

	got_sigint = 0;
	if (!sh->interactive)
		return proto_call(&sh->c, req, reply, 300000, err);
	sh->c.interrupt = &got_sigint;
	rc = proto_call(&sh->c, req, reply, 300000, err);
	sh->c.interrupt = NULL;
	return rc;
}

/* ---------------------------------------------------------------- commands */

static void print_help(struct shell *sh, char **words, int n)
{
	size_t nd;
	const struct cmd_def *defs = cmdtab_all(&nd);
	struct buf b = { 0 };
	char prefix[512] = "";

	for (int i = 0; i < n; i++) {
		if (i)
			strncat(prefix, " ", sizeof(prefix) - strlen(prefix) - 1);
		strncat(prefix, words[i], sizeof(prefix) - strlen(prefix) - 1);
	}
	bprintf(&b, "%s commands%s%s:\n",
		sh->mode == MODE_CONFIG ? "configuration mode" : "exec mode",
		*prefix ? " starting with " : "", prefix);
	for (size_t i = 0; i < nd; i++) {
		const struct cmd_def *d = &defs[i];

		if (!(d->modes & sh->mode) || strncmp(d->syntax, prefix, strlen(prefix)) != 0)
			continue;
		bprintf(&b, "  %-26s %.*s\n", d->syntax, d->summary_len, d->summary);
		if (*prefix)
			bprintf(&b, "      %s (role: %s)\n", d->doc,
				d->role == ACL_NONE ? "any" : acl_role_name(d->role));
	}
	bprintf(&b, "Type ? after a word for what may follow; Tab completes; `| json` for JSON.\n");
	emit(sh, b.s ? b.s : "");
	free(b.s);
}

static void print_reply(struct shell *sh, json_t *reply, int as_json)
{
	json_t *result = json_object_get(reply, "result");
	json_t *text = json_object_get(reply, "text");
	json_t *msg = json_object_get(reply, "message");
	struct buf b = { 0 };

	if (as_json) {
		json_t *out = json_object();
		char *s;

		if (result)
			json_object_set(out, "result", result);
		if (text)
			json_object_set(out, "text", text);
		if (msg)
			json_object_set(out, "message", msg);
		s = json_dumps(out, JSON_INDENT(2) | JSON_SORT_KEYS);
		json_decref(out);
		if (s) {
			bprintf(&b, "%s\n", s);
			free(s);
		}
	} else {
		if (result)
			render_table(&b, json_object_get(result, "columns"),
				     json_object_get(result, "rows"));
		if (text) {
			const char *t = json_string_value(text);

			bprintf(&b, "%s%s", t, *t && t[strlen(t) - 1] != '\n' ? "\n" : "");
		}
		if (msg)
			bprintf(&b, "%s\n", json_string_value(msg));
	}
	emit(sh, b.s ? b.s : "");
	free(b.s);
}

/* Runs one command line; returns 1 to leave the shell, 0 otherwise. */
static int run_line(struct shell *sh, const char *line)
{
	char **words = NULL, err[1024];
	int n, as_json = 0, leave = 0, want_help = 0;
	struct cmd_match m;
	enum match_rc mrc;
	size_t len = strlen(line);

	while (len && isspace((unsigned char)line[len - 1]))
		len--;
	if (len && line[len - 1] == '?') {
		/* "show ?" typed in a script or one-shot: help, not a command */
		want_help = 1;
	}
	n = cmdtab_split(line, &words, err, sizeof(err));
	if (n < 0) {
		fprintf(stderr, "%% %s\n", err);
		sh->errors++;
		return 0;
	}
	if (n > 0 && words[0][0] == '#') {
		cmdtab_free_words(words, n);
		return 0;
	}
	if (want_help) {
		size_t wl = strlen(words[n - 1]);

		if (wl == 1) {
			free(words[--n]);
			words[n] = NULL;
		} else {
			words[n - 1][wl - 1] = '\0';
		}
		struct cmd_next nx[64];
		size_t k = cmdtab_next(words, n, "", sh->mode, nx, 64);
		struct buf b = { 0 };

		for (size_t i = 0; i < k; i++) {
			if (!nx[i].word)
				bprintf(&b, "  %-20s %s\n", "<cr>", "end of command");
			else
				bprintf(&b, "  %-20s %.*s\n", nx[i].word, nx[i].help_len,
					nx[i].help);
		}
		if (k == 0)
			bprintf(&b, "%% nothing may follow here\n");
		emit(sh, b.s ? b.s : "");
		free(b.s);
		cmdtab_free_words(words, n);
		return 0;
	}
	if (n == 0) {
		cmdtab_free_words(words, n);
		return 0;
	}
	if (n >= 2 && strcmp(words[n - 2], "|") == 0 && strcmp(words[n - 1], "json") == 0) {
		as_json = 1;
		free(words[n - 1]);
		free(words[n - 2]);
		n -= 2;
		words[n] = NULL;
	}
	if (sh->mode == MODE_EXEC && n == 1 && strcmp(words[0], "quit") == 0) {
		cmdtab_free_words(words, n);
		return 1;
	}
	mrc = cmdtab_match(words, n, sh->mode, &m, err, sizeof(err));
	if (mrc == MATCH_OK && (m.def->flags & CMDF_LOCAL)) {
		if (m.def->id == CMD_EXIT)
			leave = 1;
		else if (m.def->id == CMD_HELP) {
			char **hw = NULL;
			int hn = m.nargs ? cmdtab_split(m.args[0], &hw, err, sizeof(err)) : 0;

			print_help(sh, hw, hn > 0 ? hn : 0);
			cmdtab_free_words(hw, hn > 0 ? hn : 0);
		}
		cmdtab_match_free(&m);
		cmdtab_free_words(words, n);
		return leave;
	}
	if (mrc == MATCH_OK)
		cmdtab_match_free(&m);
	/* everything else is ferryd's to parse (again), authorise and run */
	if (ensure_connected(sh)) {
		sh->errors++;
		cmdtab_free_words(words, n);
		return 0;
	}
	{
		json_t *argv = json_array(), *req, *reply = NULL;
		struct ferr ferr;

		for (int i = 0; i < n; i++)
			json_array_append_new(argv, json_string(words[i]));
		req = json_pack("{s:s, s:o}", "type", "request", "argv", argv);
		if (call_interruptibly(sh, req, &reply, &ferr)) {
			sh->errors++;
			if (got_sigint && sh->mode == MODE_CONFIG) {
				fprintf(stderr,
					"%% interrupted: ferryd still completes the command; "
					"its answer is dropped (the configure session and its "
					"candidate stay)\n");
			} else {
				if (got_sigint)
					fprintf(stderr,
						"%% interrupted: the session to ferryd was "
						"closed (a failover still draining is cancelled)\n");
				else
					fprintf(stderr, "%% %s\n", ferr.msg);
				disconnect(sh);
			}
		} else if (!json_is_true(json_object_get(reply, "ok"))) {
			json_t *e = json_object_get(reply, "error");

			fprintf(stderr, "%% %s\n",
				json_string_value(json_object_get(e, "message"))
					? json_string_value(json_object_get(e, "message"))
					: "error");
			sh->errors++;
		} else {
			print_reply(sh, reply, as_json);
		}
		if (reply) {
			const char *mode = json_string_value(json_object_get(reply, "mode"));

			if (mode)
				sh->mode = strcmp(mode, "configure") == 0 ? MODE_CONFIG : MODE_EXEC;
		}
		json_decref(req);
		json_decref(reply);
	}
	cmdtab_free_words(words, n);
	return 0;
}

/* ---------------------------------------------------------------- libedit */

static char *prompt_fn(EditLine *el)
{
	struct shell *sh;

	el_get(el, EL_CLIENTDATA, &sh);
	snprintf(sh->prompt, sizeof(sh->prompt), "%s%s ", sh->appliance,
		 sh->mode == MODE_CONFIG ? "(config)#" : ">");
	return sh->prompt;
}

/* The words before the cursor and the partial word under it. */
static int line_words(EditLine *el, char ***words, char *partial, size_t psz)
{
	const LineInfo *li = el_line(el);
	size_t len = (size_t)(li->cursor - li->buffer);
	char *text = malloc(len + 1), err[256];
	const char *ws;
	int n;

	if (!text)
		return -1;
	memcpy(text, li->buffer, len);
	text[len] = '\0';
	ws = text + len;
	while (ws > text && !isspace((unsigned char)ws[-1]) && ws[-1] != '|')
		ws--;
	snprintf(partial, psz, "%s", ws);
	text[ws - text] = '\0';
	n = cmdtab_split(text, words, err, sizeof(err));
	free(text);
	return n;
}

static const char *kind_name(enum arg_kind k)
{
	switch (k) {
	case ARG_FLOW:
		return "flow";
	case ARG_CLUSTER:
		return "cluster";
	case ARG_TOPIC:
		return "topic";
	case ARG_GROUP:
		return "group";
	case ARG_KEY:
		return "key";
	default:
		return NULL;
	}
}

static unsigned char complete_fn(EditLine *el, int ch)
{
	struct shell *sh;
	char **words = NULL, partial[512];
	int n;
	struct cmd_next nx[64];
	size_t k;
	const char *cands[512];
	size_t nc = 0, pl;
	json_t *names = NULL;
	unsigned char rc = CC_REDISPLAY;
	int interrupted = 0;

	(void)ch;
	el_get(el, EL_CLIENTDATA, &sh);
	n = line_words(el, &words, partial, sizeof(partial));
	if (n < 0)
		return CC_ERROR;
	pl = strlen(partial);
	k = cmdtab_next(words, n, "", sh->mode, nx, 64);
	for (size_t i = 0; i < k && nc < 512; i++) {
		const char *kind;

		if (!nx[i].word)
			continue;
		if (nx[i].kind == ARG_KEYWORD) {
			if (strncmp(nx[i].word, partial, pl) == 0)
				cands[nc++] = nx[i].word;
			continue;
		}
		kind = kind_name(nx[i].kind);
		if (kind && !names && ensure_connected(sh) == 0) {
			/* the word so far too: which keys are valid after "A->B." */
			json_t *req = json_pack("{s:s, s:s, s:[], s:s}", "type", "names", "kind",
						kind, "words", "partial", partial),
			       *reply;
			struct ferr err;

			/* the line so far: which cluster's groups, say */
			for (int w = 0; w < n; w++)
				json_array_append_new(json_object_get(req, "words"),
						      json_string(words[w]));

			/* ^C ends the wait as it does a command's; the session
			 * stays, its late answer is skipped by id */
			got_sigint = 0;
			sh->c.interrupt = sh->interactive ? &got_sigint : NULL;
			if (proto_call(&sh->c, req, &reply, 15000, &err) == 0) {
				names = json_incref(json_object_get(reply, "names"));
				json_decref(reply);
			} else if (got_sigint) {
				interrupted = 1;
			} else {
				disconnect(sh);
			}
			sh->c.interrupt = NULL;
			json_decref(req);
			if (interrupted)
				break;
		}
		if (names) {
			size_t j;
			json_t *v;

			json_array_foreach(names, j, v)
			{
				const char *s = json_string_value(v);

				if (s && strncmp(s, partial, pl) == 0 && nc < 512)
					cands[nc++] = s;
			}
		}
	}
	if (interrupted) {
		/* el_gets returns no line: interactive() says ^C and gives a
		 * fresh prompt, as for ^C while typing */
		rc = CC_EOF;
	} else if (nc == 1) {
		el_insertstr(el, cands[0] + pl);
		/* "A->B." is where keys start, not a word of its own */
		if (!*cands[0] || cands[0][strlen(cands[0]) - 1] != '.')
			el_insertstr(el, " ");
		rc = CC_REFRESH;
	} else if (nc > 1) {
		/* the common prefix first; the list when there is nothing to add */
		size_t common = strlen(cands[0]);

		for (size_t i = 1; i < nc; i++) {
			size_t j = 0;

			while (j < common && cands[i][j] == cands[0][j])
				j++;
			common = j;
		}
		if (common > pl) {
			char add[512];

			snprintf(add, sizeof(add), "%.*s", (int)(common - pl), cands[0] + pl);
			el_insertstr(el, add);
			rc = CC_REFRESH;
		} else {
			fputc('\n', stdout);
			for (size_t i = 0; i < nc; i++)
				printf("%s%s", cands[i], i + 1 < nc ? "  " : "\n");
			fflush(stdout);
		}
	} else {
		rc = CC_REFRESH_BEEP;
	}
	json_decref(names);
	cmdtab_free_words(words, n);
	return rc;
}

static unsigned char help_fn(EditLine *el, int ch)
{
	struct shell *sh;
	char **words = NULL, partial[512];
	int n;
	struct cmd_next nx[64];
	size_t k;

	(void)ch;
	el_get(el, EL_CLIENTDATA, &sh);
	n = line_words(el, &words, partial, sizeof(partial));
	if (n < 0)
		return CC_ERROR;
	k = cmdtab_next(words, n, partial, sh->mode, nx, 64);
	fputc('\n', stdout);
	for (size_t i = 0; i < k; i++) {
		if (!nx[i].word)
			printf("  %-20s %s\n", "<cr>", "end of command");
		else
			printf("  %-20s %.*s\n", nx[i].word, nx[i].help_len, nx[i].help);
	}
	if (k == 0)
		printf("%% nothing matches here\n");
	fflush(stdout);
	cmdtab_free_words(words, n);
	return CC_REDISPLAY;
}

/* 1 when the terminal went away (a closed ssh session or pty): an end of
 * input no ^D can follow, so configure mode's refusal would only repeat. */
static int input_hung_up(void)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };

	return poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR | POLLNVAL));
}

static void interactive(struct shell *sh)
{
	struct sigaction sa = { .sa_handler = on_sigint }; /* no SA_RESTART */
	HistEvent hev;
	const char *home = getenv("HOME");
	const char *hf = getenv("FERRY_HISTORY");

	sh->el = el_init("ferry", stdin, stdout, stderr);
	sh->hist = history_init();
	history(sh->hist, &hev, H_SETSIZE, 1000);
	history(sh->hist, &hev, H_SETUNIQUE, 1);
	if (hf && *hf)
		snprintf(sh->histfile, sizeof(sh->histfile), "%s", hf);
	else if (home)
		snprintf(sh->histfile, sizeof(sh->histfile), "%s/.ferry_history", home);
	if (sh->histfile[0])
		history(sh->hist, &hev, H_LOAD, sh->histfile);
	el_set(sh->el, EL_CLIENTDATA, sh);
	el_set(sh->el, EL_EDITOR, "emacs");
	el_set(sh->el, EL_HIST, history, sh->hist);
	el_set(sh->el, EL_PROMPT, prompt_fn);
	/* the wide-character call: libedit keeps these strings without copying
	 * (the narrow one copies them and never frees the copies) */
	el_wset(sh->el, EL_ADDFN, L"ferry-complete", L"Complete the word", complete_fn);
	el_set(sh->el, EL_BIND, "^I", "ferry-complete", NULL);
	el_wset(sh->el, EL_ADDFN, L"ferry-help", L"Show what may come next", help_fn);
	el_set(sh->el, EL_BIND, "?", "ferry-help", NULL);
	el_set(sh->el, EL_SIGNAL, 1);
	/* for the whole session: libedit passes ^C on to this handler (its
	 * read then fails with EINTR), and so do waits and the pager */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);

	if (ensure_connected(sh) == 0)
		printf("ferry %s: connected to %s (%s, role %s). Type ? or help.\n", FERRY_VERSION,
		       sh->appliance, sh->tls ? sh->tls : sh->socket,
		       json_string_value(json_object_get(sh->c.hello, "role")));
	for (int eofs = 0;;) {
		int count;
		const char *line;
		char *copy;

		got_sigint = 0;
		errno = 0;
		line = el_gets(sh->el, &count);
		if (!line && (got_sigint || errno == EINTR)) {
			/* ^C: the line is dropped, a fresh prompt (el_gets starts
			 * from an empty line) */
			fputs("^C\n", stdout);
			fflush(stdout);
			continue;
		}
		if (!line || count <= 0) {
			putchar('\n');
			/* ^D leaves configure mode as `exit` does, refused
			 * alike with uncommitted changes; it leaves the shell only
			 * from exec mode (or at a true end of input: a tty that
			 * keeps answering end-of-file) */
			if (sh->mode == MODE_CONFIG && sh->connected && ++eofs < 50 &&
			    !input_hung_up()) {
				run_line(sh, "exit");
				continue;
			}
			break;
		}
		eofs = 0;
		copy = strdup(line);
		if (!copy)
			break;
		copy[strcspn(copy, "\n")] = '\0';
		if (*copy) {
			history(sh->hist, &hev, H_ENTER, copy);
			if (sh->histfile[0])
				history(sh->hist, &hev, H_SAVE, sh->histfile);
		}
		if (run_line(sh, copy)) {
			free(copy);
			break;
		}
		free(copy);
	}
	history_end(sh->hist);
	el_end(sh->el);
}

static void script(struct shell *sh)
{
	char *line = NULL;
	size_t cap = 0;

	while (getline(&line, &cap, stdin) >= 0) {
		line[strcspn(line, "\n")] = '\0';
		if (sh->echo) {
			if (!sh->connected && ensure_connected(sh) != 0) {
				sh->errors++;
				break;
			}
			printf("%s%s %s\n", sh->appliance,
			       sh->mode == MODE_CONFIG ? "(config)#" : ">", line);
			fflush(stdout);
		}
		if (run_line(sh, line))
			break;
		fflush(stdout);
		fflush(stderr);
	}
	free(line);
}

static void list_commands(void)
{
	size_t n;
	const struct cmd_def *d = cmdtab_all(&n);

	for (size_t i = 0; i < n; i++) {
		printf("%s\t%s\t%s\t%s\t", d[i].syntax,
		       (d[i].modes & MODE_EXEC) && (d[i].modes & MODE_CONFIG) ? "exec,configure"
		       : (d[i].modes & MODE_CONFIG)                           ? "configure"
									      : "exec",
		       d[i].role == ACL_NONE ? "any" : acl_role_name(d[i].role), d[i].doc);
		for (size_t t = 0; t < d[i].ntok; t++)
			printf("%s%s=%.*s", t ? "; " : "", d[i].tok[t].word, d[i].tok[t].help_len,
			       d[i].tok[t].help);
		printf("\n");
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "echo", no_argument, NULL, 'e' },
		{ "tls", required_argument, NULL, 'T' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "ca", required_argument, NULL, 'a' },
		{ "commands", no_argument, NULL, 'C' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct shell sh = { .mode = MODE_EXEC };
	int opt;

	snprintf(sh.appliance, sizeof(sh.appliance), "ferry");
	sh.socket = getenv("FERRY_SOCKET");
	if (!sh.socket || !*sh.socket)
		sh.socket = PROTO_DEFAULT_SOCKET;
	while ((opt = getopt_long(argc, argv, "+s:eVh", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			sh.socket = optarg;
			break;
		case 'e':
			sh.echo = 1;
			break;
		case 'T':
			sh.tls = optarg;
			break;
		case 'c':
			sh.cert = optarg;
			break;
		case 'k':
			sh.key = optarg;
			break;
		case 'a':
			sh.ca = optarg;
			break;
		case 'C':
			list_commands();
			return 0;
		case 'V':
			printf("ferry %s (protocol %d)\n", FERRY_VERSION, PROTO_VERSION);
			return 0;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs(usage_text, stderr);
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	if (optind + 1 == argc) {
		/* one-shot, one argument: a whole command line (as vtysh -c),
		 * split by the shell's own tokenizer, quotes and `| json` too */
		run_line(&sh, argv[optind]);
	} else if (optind < argc) {
		/* one-shot: the arguments are the words of one command line */
		size_t len = 1;
		char *line;

		for (int i = optind; i < argc; i++)
			len += strlen(argv[i]) * 2 + 3;
		line = calloc(1, len);
		if (!line)
			return 1;
		for (int i = optind; i < argc; i++) {
			/* keep a word a word: blanks, quotes, a regex's | */
			int quote = strpbrk(argv[i], " \t\"'|\\") != NULL ||
				    (argv[i][0] && argv[i][strlen(argv[i]) - 1] == '?' &&
				     strcmp(argv[i], "?") != 0);

			if (i > optind)
				// NOLINTNEXTLINE(clang-analyzer-security.insecureAPI.strcpy): line is sized for every word quoted
				strcat(line, " ");
			if (quote) {
				char *p = line + strlen(line);

				*p++ = '"';
				for (const char *q = argv[i]; *q; q++) {
					if (*q == '"' || *q == '\\')
						*p++ = '\\';
					*p++ = *q;
				}
				*p++ = '"';
				*p = '\0';
			} else {
				// NOLINTNEXTLINE(clang-analyzer-security.insecureAPI.strcpy): line is sized for every word quoted
				strcat(line, argv[i]);
			}
		}
		run_line(&sh, line);
		free(line);
	} else if (isatty(STDIN_FILENO)) {
		sh.interactive = 1;
		interactive(&sh);
	} else {
		script(&sh);
	}
	disconnect(&sh);
	/* interactive errors were answered on screen; one-shot and scripts
	 * report them in the exit status */
	return sh.errors && !sh.interactive ? 1 : 0;
}
