/*
 * ferry_conn.c — one command to ferryd from inside a backend: connect to
 * the control socket (or the TLS listener), exchange hellos, send the
 * command's argv, read the reply, and copy its result set into palloc'd
 * memory. A connection lives for one call.
 *
 * A backend must never hang here: the socket is non-blocking and every
 * wait is WaitLatchOrSocket followed by CHECK_FOR_INTERRUPTS (as
 * PostgreSQL's libpq-be-fe-helpers.h does), so a query cancel,
 * statement_timeout or termination ends a call at once; the whole call has
 * one deadline (ferry.timeout_ms, capped by statement_timeout). The fd is
 * counted with AcquireExternalFD, and everything that is not palloc'd (the
 * fd, OpenSSL's objects, jansson's JSON, the frame buffer) is released in
 * PG_FINALLY, on success and on every error, cancel included.
 */
#include "postgres.h"

#include <errno.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "portability/instr_time.h"
#include "storage/fd.h"
#include "storage/latch.h"
#include "storage/proc.h" /* StatementTimeout */
#include "utils/wait_event.h"

#include "lib/frame.h"
#include "pgext/ferry.h"

#define FERRY_CLIENT "ferry.so (PostgreSQL extension)"
#define FERRY_PROTO_VERSION 1

struct conn {
	int fd;
	bool fd_counted; /* AcquireExternalFD succeeded */
	SSL_CTX *ctx;
	SSL *ssl;
	struct frame_buf in;
	json_t *reply;
	const char *where; /* the socket path or host:port, for messages */
	instr_time start;
	long timeout_ms;
	long next_id;
};

/* each ends the call with an ERROR */
static void fail_timeout(const struct conn *c, const char *doing) pg_attribute_noreturn();
static void fail_lost(const struct conn *c, const char *what) pg_attribute_noreturn();
static void fail_unreachable(const struct conn *c, const char *detail, const char *hint)
	pg_attribute_noreturn();
static void fail_reply(json_t *reply, const char *const *argv, int argc) pg_attribute_noreturn();

static long elapsed_ms(const struct conn *c)
{
	instr_time now;

	INSTR_TIME_SET_CURRENT(now);
	INSTR_TIME_SUBTRACT(now, c->start);
	return (long)INSTR_TIME_GET_MILLISEC(now);
}

static void fail_timeout(const struct conn *c, const char *doing)
{
	ereport(ERROR, (errcode(ERRCODE_CONNECTION_FAILURE),
			errmsg("ferryd did not answer within %ld ms", c->timeout_ms),
			errdetail("No answer from %s while %s.", c->where, doing),
			errhint("Is ferryd running and not stopped? The limit is ferry.timeout_ms "
				"(and statement_timeout).")));
}

/* Waits until the socket is ready for EVENTS (WL_SOCKET_*), the latch is
 * set or the deadline passes (an ERROR). Interrupts are served here. */
static void conn_wait(struct conn *c, int events, const char *doing)
{
	long left = c->timeout_ms - elapsed_ms(c);
	int rc;

	if (left <= 0)
		fail_timeout(c, doing);
	rc = WaitLatchOrSocket(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH | events,
			       c->fd, left, PG_WAIT_EXTENSION);
	if (rc & WL_LATCH_SET)
		ResetLatch(MyLatch);
	CHECK_FOR_INTERRUPTS();
}

static const char *ssl_why(void)
{
	static char why[256];
	unsigned long e = ERR_get_error();

	ERR_error_string_n(e, why, sizeof(why));
	ERR_clear_error();
	return e ? why : "connection closed";
}

static void fail_lost(const struct conn *c, const char *what)
{
	ereport(ERROR,
		(errcode(ERRCODE_CONNECTION_FAILURE), errmsg("lost the connection to ferryd"),
		 errdetail("%s: %s.", c->where, what)));
}

/* Waits as OpenSSL asked after a non-blocking call returned R. */
static void ssl_wait(struct conn *c, int r, const char *doing)
{
	int e = SSL_get_error(c->ssl, r);

	if (e == SSL_ERROR_WANT_READ)
		conn_wait(c, WL_SOCKET_READABLE, doing);
	else if (e == SSL_ERROR_WANT_WRITE)
		conn_wait(c, WL_SOCKET_WRITEABLE, doing);
	else if (e == SSL_ERROR_ZERO_RETURN)
		fail_lost(c, "ferryd closed the TLS session");
	else
		fail_lost(c, ssl_why());
}

static void conn_send(struct conn *c, const unsigned char *b, size_t n)
{
	size_t off = 0;

	while (off < n) {
		ssize_t w;

		if (c->ssl) {
			int r = SSL_write(c->ssl, b + off, (int)(n - off));

			if (r > 0)
				off += (size_t)r;
			else
				ssl_wait(c, r, "sending the request");
			continue;
		}
		w = send(c->fd, b + off, n - off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w >= 0)
			off += (size_t)w;
		else if (errno == EAGAIN || errno == EWOULDBLOCK)
			conn_wait(c, WL_SOCKET_WRITEABLE, "sending the request");
		else if (errno != EINTR)
			fail_lost(c, strerror(errno));
	}
}

/* Reads until one whole frame is in; returns it (to be decref'd, and
 * meanwhile owned by c->reply so that an error frees it). */
static json_t *conn_recv(struct conn *c)
{
	char why[256];
	unsigned char buf[16384];

	for (;;) {
		json_t *msg = NULL;
		enum frame_rc rc = frame_take(&c->in, &msg, why, sizeof(why));
		ssize_t r;

		if (rc == FRAME_OK)
			return msg;
		if (rc != FRAME_NEED_MORE)
			ereport(ERROR, (errcode(ERRCODE_PROTOCOL_VIOLATION),
					errmsg("bad answer from ferryd"), errdetail("%s.", why)));
		if (c->ssl) {
			int n = SSL_read(c->ssl, buf, sizeof(buf));

			if (n <= 0) {
				ssl_wait(c, n, "waiting for the answer");
				continue;
			}
			if (frame_feed(&c->in, buf, (size_t)n))
				ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
			continue;
		}
		r = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (r > 0) {
			if (frame_feed(&c->in, buf, (size_t)r))
				ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		} else if (r == 0) {
			fail_lost(c, "ferryd closed the connection");
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			conn_wait(c, WL_SOCKET_READABLE, "waiting for the answer");
		} else if (errno != EINTR) {
			fail_lost(c, strerror(errno));
		}
	}
}

/* Sends MSG (adding its id) and leaves the reply with that id in
 * c->reply. */
static void conn_call(struct conn *c, json_t *msg)
{
	long id = ++c->next_id;
	unsigned char *b = NULL;
	size_t n = 0;
	int rc;

	json_object_set_new(msg, "id", json_integer(id));
	rc = frame_encode(msg, &b, &n);
	json_decref(msg);
	if (rc)
		ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				errmsg("cannot encode the request to ferryd (over 1 MiB?)")));
	PG_TRY();
	{
		conn_send(c, b, n);
	}
	PG_FINALLY();
	{
		free(b);
	}
	PG_END_TRY();
	for (;;) {
		json_decref(c->reply);
		c->reply = NULL;
		c->reply = conn_recv(c);
		if (json_integer_value(json_object_get(c->reply, "id")) == id)
			return;
		/* an unsolicited message: skip it */
	}
}

/* A new socket, non-blocking, counted against max_files_per_process. */
static void conn_socket(struct conn *c, int family)
{
	if (!AcquireExternalFD())
		ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
			 errmsg("cannot connect to ferryd: too many open files in this backend"),
			 errhint("Raise max_files_per_process.")));
	c->fd_counted = true;
	c->fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				errmsg("cannot connect to ferryd: socket: %m")));
}

static void fail_unreachable(const struct conn *c, const char *detail, const char *hint)
{
	ereport(ERROR, (errcode(ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION),
			errmsg("ferryd is unreachable at %s", c->where), errdetail("%s", detail),
			hint ? errhint("%s", hint) : 0));
}

static void connect_unix(struct conn *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = ferry_control_socket ? ferry_control_socket : "";
	struct stat st;

	c->where = path;
	if (path[0] != '/')
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("ferry.control_socket must be an absolute path, not \"%s\"",
				       path)));
	if (strlen(path) >= sizeof(sa.sun_path))
		ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("ferry.control_socket is too long for a UNIX socket (%zu bytes at most)",
				sizeof(sa.sun_path) - 1)));
	if (stat(path, &st) != 0) {
		int e = errno;

		if (e == ENOENT)
			fail_unreachable(c, "No such socket.",
					 "Is ferryd running? Set ferry.control_socket to its "
					 "ferry.control.socket.");
		if (e == EACCES)
			fail_unreachable(c,
					 "Permission denied on a directory on the way to the socket.",
					 "The server's OS user must be a member of ferryd's "
					 "ferry.control.group.");
		fail_unreachable(c, strerror(e), NULL);
	}
	if (!S_ISSOCK(st.st_mode))
		fail_unreachable(c, "The path is not a socket; it is not used.",
				 "Set ferry.control_socket to ferryd's ferry.control.socket.");
	memcpy(sa.sun_path, path, strlen(path) + 1);
	conn_socket(c, AF_UNIX);
	for (;;) {
		int e;

		if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return;
		e = errno;
		if (e == EINTR)
			continue;
		if (e == EAGAIN) {
			/* the listen backlog is full (ferryd stopped or busy):
			 * try again shortly, within the deadline */
			long left = c->timeout_ms - elapsed_ms(c);

			if (left <= 0)
				fail_timeout(c, "connecting");
			(void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					Min(left, 20), PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
			CHECK_FOR_INTERRUPTS();
			continue;
		}
		if (e == ECONNREFUSED)
			fail_unreachable(c, "Nobody listens on the socket: ferryd is not running.",
					 "Start ferryd, or set ferry.control_socket to the "
					 "socket of the one that runs.");
		if (e == EACCES)
			fail_unreachable(c, "Permission denied on the socket.",
					 "The server's OS user must be a member of ferryd's "
					 "ferry.control.group.");
		fail_unreachable(c, strerror(e), NULL);
	}
}

static void connect_tls(struct conn *c)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	const char *hostport = ferry_control_tls_address;
	const char *colon = strrchr(hostport, ':');
	char host[256], port[16];
	size_t hl;
	int rc;

	c->where = hostport;
	if (!colon || colon == hostport || (hl = (size_t)(colon - hostport)) >= sizeof(host) ||
	    strlen(colon + 1) >= sizeof(port) || colon[1] == '\0')
		ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("ferry.control_tls_address \"%s\" is not host:port", hostport)));
	memcpy(host, hostport, hl);
	host[hl] = '\0';
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	strlcpy(port, colon + 1, sizeof(port));
	if (!ferry_control_tls_cert[0] || !ferry_control_tls_ca[0])
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("ferry.control_tls_address needs ferry.control_tls_cert and "
				       "ferry.control_tls_ca")));
	/* name resolution blocks; numeric addresses (the usual case) do not */
	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc != 0 || !ai)
		fail_unreachable(c, gai_strerror(rc), NULL);
	PG_TRY();
	{
		conn_socket(c, ai->ai_family);
		if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			if (errno != EINPROGRESS)
				fail_unreachable(c, strerror(errno), NULL);
			/* connected once it has a peer; an error ends it; a wakeup
			 * by the latch alone waits again */
			for (;;) {
				struct sockaddr_storage peer;
				socklen_t pl = sizeof(peer);
				int err = 0;
				socklen_t len = sizeof(err);

				conn_wait(c, WL_SOCKET_CONNECTED, "connecting");
				if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 &&
				    err != 0)
					fail_unreachable(c, strerror(err), NULL);
				if (getpeername(c->fd, (struct sockaddr *)&peer, &pl) == 0)
					break;
			}
		}
	}
	PG_FINALLY();
	{
		freeaddrinfo(ai);
	}
	PG_END_TRY();

	c->ctx = SSL_CTX_new(TLS_client_method());
	if (!c->ctx)
		fail_unreachable(c, ssl_why(), NULL);
	SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
	if (SSL_CTX_load_verify_locations(c->ctx, ferry_control_tls_ca, NULL) != 1)
		ereport(ERROR, (errcode(ERRCODE_CONFIG_FILE_ERROR),
				errmsg("ferry.control_tls_ca \"%s\": %s", ferry_control_tls_ca,
				       ssl_why())));
	if (SSL_CTX_use_certificate_chain_file(c->ctx, ferry_control_tls_cert) != 1)
		ereport(ERROR, (errcode(ERRCODE_CONFIG_FILE_ERROR),
				errmsg("ferry.control_tls_cert \"%s\": %s", ferry_control_tls_cert,
				       ssl_why())));
	{
		const char *key = ferry_control_tls_key[0] ? ferry_control_tls_key
							   : ferry_control_tls_cert;

		if (SSL_CTX_use_PrivateKey_file(c->ctx, key, SSL_FILETYPE_PEM) != 1)
			ereport(ERROR,
				(errcode(ERRCODE_CONFIG_FILE_ERROR),
				 errmsg("ferry.control_tls_key \"%s\": %s", key, ssl_why())));
	}
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	c->ssl = SSL_new(c->ctx);
	if (!c->ssl)
		fail_unreachable(c, ssl_why(), NULL);
	SSL_set_fd(c->ssl, c->fd);
	SSL_set1_host(c->ssl, host); /* ferryd's certificate must name the host */
	SSL_set_tlsext_host_name(c->ssl, host);
	for (;;) {
		int r = SSL_connect(c->ssl);
		int e;

		if (r == 1)
			break;
		e = SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_WANT_READ) {
			conn_wait(c, WL_SOCKET_READABLE, "in the TLS handshake");
		} else if (e == SSL_ERROR_WANT_WRITE) {
			conn_wait(c, WL_SOCKET_WRITEABLE, "in the TLS handshake");
		} else {
			long v = SSL_get_verify_result(c->ssl);

			if (v != X509_V_OK)
				fail_unreachable(c, X509_verify_cert_error_string(v),
						 "ferryd's certificate must chain to "
						 "ferry.control_tls_ca and name the host.");
			fail_unreachable(c, ssl_why(), NULL);
		}
	}
}

/* Releases what C holds; safe on a partly set up or already closed one. */
static void conn_close(struct conn *c)
{
	if (c->ssl) {
		/* best effort, without waiting: the fd is closed next */
		(void)SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	SSL_CTX_free(c->ctx);
	c->ctx = NULL;
	ERR_clear_error();
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	if (c->fd_counted)
		ReleaseExternalFD();
	c->fd_counted = false;
	frame_buf_free(&c->in);
	json_decref(c->reply);
	c->reply = NULL;
}

/* A cell as text, palloc'd; NULL for null. */
static char *cell_text(json_t *v)
{
	char *s, *out;

	switch (json_typeof(v)) {
	case JSON_NULL:
		return NULL;
	case JSON_STRING:
		return pnstrdup(json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		return psprintf("%lld", (long long)json_integer_value(v));
	case JSON_REAL:
		return psprintf("%.17g", json_real_value(v));
	case JSON_TRUE:
		return pstrdup("true");
	case JSON_FALSE:
		return pstrdup("false");
	default:
		s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		out = s ? pstrdup(s) : NULL;
		free(s);
		return out;
	}
}

static const char *argv_line(const char *const *argv, int argc)
{
	StringInfoData b;

	initStringInfo(&b);
	for (int i = 0; i < argc; i++)
		appendStringInfo(&b, "%s%s", i ? " " : "", argv[i]);
	return b.data;
}

/* ERROR for a failed reply, by ferryd's error code (docs/protocol.md). */
static void fail_reply(json_t *reply, const char *const *argv, int argc)
{
	json_t *e = json_object_get(reply, "error");
	const char *code = json_string_value(json_object_get(e, "code"));
	const char *msg = json_string_value(json_object_get(e, "message"));
	const char *line = argv_line(argv, argc);

	code = code ? code : "";
	msg = msg ? msg : "no reason given";
	if (strcmp(code, "denied") == 0)
		ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("ferryd refused `%s`: permission denied", line),
			 errdetail("ferryd: %s", msg),
			 errhint("ferryd identifies this PostgreSQL server by its OS user (or TLS "
				 "certificate): name it in ferryd's ferry.control.role.auditor.")));
	if (strcmp(code, "not_found") == 0)
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("ferryd: %s", msg),
				errdetail("Command: %s", line)));
	if (strcmp(code, "syntax") == 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("ferryd does not understand `%s`", line),
				errdetail("ferryd: %s", msg),
				errhint("Is ferryd older than the extension?")));
	if (strcmp(code, "invalid") == 0)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				errmsg("ferryd: %s", msg), errdetail("Command: %s", line)));
	ereport(ERROR, (errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
			errmsg("ferryd failed `%s`: %s", line, msg),
			errdetail("ferryd's error code: %s", code[0] ? code : "none")));
}

/* Copies the reply's result set (columns, rows) into palloc'd memory. */
static struct ferry_result *copy_result(json_t *reply)
{
	json_t *res = json_object_get(reply, "result");
	json_t *cols = json_object_get(res, "columns"), *rows = json_object_get(res, "rows");
	struct ferry_result *r = palloc0(sizeof(*r));
	const char *msg = json_string_value(json_object_get(reply, "message"));

	r->message = msg ? pstrdup(msg) : NULL;
	if (!json_is_array(cols) || !json_is_array(rows))
		return r; /* a command without a table */
	r->ncols = (int)json_array_size(cols);
	r->cols = palloc0(sizeof(char *) * (r->ncols + 1));
	for (int i = 0; i < r->ncols; i++) {
		const char *n = json_string_value(json_array_get(cols, i));

		r->cols[i] = pstrdup(n ? n : "");
	}
	r->nrows = (int)json_array_size(rows);
	r->rows = palloc0(sizeof(char **) * (r->nrows + 1));
	for (int i = 0; i < r->nrows; i++) {
		json_t *row = json_array_get(rows, i);

		if (!json_is_array(row) || (int)json_array_size(row) != r->ncols)
			ereport(ERROR, (errcode(ERRCODE_PROTOCOL_VIOLATION),
					errmsg("bad answer from ferryd"),
					errdetail("Row %d has not the %d cells of the columns.",
						  i + 1, r->ncols)));
		r->rows[i] = palloc0(sizeof(char *) * (r->ncols + 1));
		for (int j = 0; j < r->ncols; j++)
			r->rows[i][j] = cell_text(json_array_get(row, j));
	}
	return r;
}

/* The effective limit: ferry.timeout_ms, or statement_timeout if shorter. */
static long call_timeout(void)
{
	long t = ferry_timeout_ms;

	if (StatementTimeout > 0 && StatementTimeout < t)
		t = StatementTimeout;
	return t;
}

struct ferry_result *ferry_command(const char *const *argv, int argc)
{
	return ferry_command_unless(argv, argc, NULL);
}

struct ferry_result *ferry_command_unless(const char *const *argv, int argc, const char *code)
{
	struct conn conn_s;
	/* volatile: read in PG_FINALLY after a longjmp */
	struct conn *volatile c = &conn_s;
	struct ferry_result *volatile result = NULL;

	memset(&conn_s, 0, sizeof(conn_s));
	conn_s.fd = -1;
	conn_s.timeout_ms = call_timeout();
	INSTR_TIME_SET_CURRENT(conn_s.start);
	PG_TRY();
	{
		json_t *hello, *req, *av;
		const char *role;

		if (ferry_control_tls_address && ferry_control_tls_address[0])
			connect_tls(c);
		else
			connect_unix(c);
		hello = json_pack("{s:s, s:i, s:s}", "type", "hello", "version",
				  FERRY_PROTO_VERSION, "client", FERRY_CLIENT);
		if (!hello)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		conn_call(c, hello);
		if (!json_is_true(json_object_get(c->reply, "ok"))) {
			const char *m = json_string_value(
				json_object_get(json_object_get(c->reply, "error"), "message"));

			ereport(ERROR,
				(errcode(ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION),
				 errmsg("ferryd refused the connection"),
				 errdetail("ferryd at %s: %s", c->where,
					   m ? m : "no reason given")));
		}
		role = json_string_value(json_object_get(c->reply, "role"));
		elog(DEBUG1, "ferry: connected to %s as %s, role %s", c->where,
		     json_string_value(json_object_get(c->reply, "user"))
			     ? json_string_value(json_object_get(c->reply, "user"))
			     : "?",
		     role ? role : "none");
		av = json_array();
		for (int i = 0; av && i < argc; i++) {
			/* never a command with a word left out (not UTF-8) */
			if (json_array_append_new(av, json_string(argv[i]))) {
				json_decref(av);
				ereport(ERROR, (errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
						errmsg("argument %d of `%s` is not valid UTF-8",
						       i + 1, argv_line(argv, argc))));
			}
		}
		req = av ? json_pack("{s:s, s:o}", "type", "request", "argv", av) : NULL;
		if (!req)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		conn_call(c, req);
		if (!json_is_true(json_object_get(c->reply, "ok"))) {
			const char *got = json_string_value(
				json_object_get(json_object_get(c->reply, "error"), "code"));

			/* the caller's to handle: NULL says so */
			if (!code || !got || strcmp(got, code) != 0)
				fail_reply(c->reply, argv, argc);
		} else {
			result = copy_result(c->reply);
		}
	}
	PG_FINALLY();
	{
		conn_close(c);
	}
	PG_END_TRY();
	return result;
}

int ferry_result_col(const struct ferry_result *r, const char *name)
{
	size_t n = strlen(name);
	bool prefix = n > 0 && name[n - 1] == '*';

	for (int i = 0; i < r->ncols; i++) {
		if (prefix ? strncmp(r->cols[i], name, n - 1) == 0 : strcmp(r->cols[i], name) == 0)
			return i;
	}
	return -1;
}
