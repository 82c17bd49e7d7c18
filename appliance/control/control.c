/*
 * control.c — the control protocol server.
 *
 * A session reads frames, answers each in order, and is closed after a
 * malformed or oversized frame (the stream cannot be trusted after either)
 * once the error reply is written. ferryd keeps running whatever a client
 * sends.
 */
#include "appliance/control/control.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/eventfd.h>
#include <sys/un.h>
#include <unistd.h>

#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "lib/proto.h"
#include "appliance/store/audit.h"
#include "appliance/control/ctl.h"
#include "appliance/log.h"
#include "lib/version.h"

#define MAX_SESSIONS 64

struct session {
	struct control *ctl;
	struct session *next;
	int fd;
	sd_event_source *src;
	struct frame_buf in;
	unsigned char *out;
	size_t outlen, outoff;
	int hello_done;
	int closing;          /* close once the output is written */
	SSL *ssl;             /* TLS sessions; NULL on the UNIX socket */
	int identified;       /* TLS: peer certificate read, role set */
	int ssl_wants_write;  /* TLS: OpenSSL needs the socket writable */
	uint64_t born_usec;   /* TLS: a handshake not done in 10 s ends the session */
	struct pending *wait; /* a request whose answer is not ready yet */
	struct acl_peer peer;
	struct ctl_session cs;
};

/* A request answered later (struct ctl_wait): what its reply and its
 * audit record need once the answer is there. */
struct pending {
	json_t *id;
	int names;           /* a names lookup: answered with r->rows, not audited */
	char *line;          /* the request as typed, for the audit */
	const char *role;    /* the role it was granted under */
	struct ctl_reply *r; /* the handler's reply, wait included */
	sd_event_source *timer;
};

struct control {
	sd_event *ev;
	struct runtime *rt;
	struct acl_rules *rules;
	int lfd;
	sd_event_source *lsrc;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	ino_t ino;          /* of our socket file: never unlink another's */
	int roles_revision; /* the revision the role lists were read from */
	SSL_CTX *tls;       /* the TLS listener, when configured */
	int tfd;
	sd_event_source *tsrc, *reaper;
	int efd; /* an off-loop worker finished: poll the waits now */
	sd_event_source *esrc;
	struct session *sessions;
	int nsessions;
};

static void pending_free(struct pending *p)
{
	sd_event_source_disable_unref(p->timer);
	json_decref(p->id);
	json_decref(p->r->columns);
	json_decref(p->r->rows);
	free(p->r->text);
	free(p->r);
	free(p->line);
	free(p);
}

static void session_free(struct session *s)
{
	struct session **pp;

	for (pp = &s->ctl->sessions; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	s->ctl->nsessions--;
	if (s->wait) {
		struct pending *p = s->wait;

		if (!p->names) {
			audit_request(s->cs.who, p->role, s->cs.origin, p->line, "error",
				      "cancelled: the session ended before the answer was ready");
			log_info("control: %s left while `%s` was waiting; cancelled", s->cs.who,
				 p->line);
		}
		p->r->wait.cancel(p->r->wait.state);
		pending_free(p);
	}
	sd_event_source_unref(s->src);
	if (s->ssl) {
		SSL_shutdown(s->ssl);
		SSL_free(s->ssl);
	}
	close(s->fd);
	frame_buf_free(&s->in);
	free(s->out);
	ctl_session_reset(&s->cs);
	free(s);
}

static void update_events(struct session *s)
{
	uint32_t ev = s->closing ? 0 : EPOLLIN;

	if (s->outoff < s->outlen || s->ssl_wants_write)
		ev |= EPOLLOUT;
	sd_event_source_set_io_events(s->src, ev);
}

static void queue(struct session *s, json_t *msg)
{
	unsigned char *b;
	size_t n;

	if (frame_encode(msg, &b, &n)) {
		json_t *e = json_pack("{s:s, s:O?, s:b, s:{s:s, s:s}}", "type", "response", "id",
				      json_object_get(msg, "id"), "ok", 0, "error", "code",
				      "too_large", "message",
				      "the answer is larger than the protocol's 1 MiB frame limit; "
				      "narrow the request (e.g. one flow)");

		json_decref(msg);
		if (frame_encode(e, &b, &n)) {
			json_decref(e);
			return;
		}
		json_decref(e);
	} else {
		json_decref(msg);
	}
	if (s->outoff == s->outlen) {
		free(s->out);
		s->out = b;
		s->outlen = n;
		s->outoff = 0;
	} else {
		unsigned char *nb = realloc(s->out, s->outlen + n);

		if (!nb) {
			free(b);
			return;
		}
		memcpy(nb + s->outlen, b, n);
		s->out = nb;
		s->outlen += n;
		free(b);
	}
}

static void control_reload_roles(struct control *c);

static json_t *error_reply(json_t *id, const char *code, const char *message)
{
	return json_pack("{s:s, s:O?, s:b, s:{s:s, s:s}}", "type", "response", "id", id, "ok", 0,
			 "error", "code", code, "message", message);
}

static const char *mode_name(unsigned mode)
{
	return mode == MODE_CONFIG ? "configure" : "exec";
}

static char *join_argv(json_t *argv)
{
	size_t len = 1, i;
	json_t *v;
	char *s;

	json_array_foreach(argv, i, v)
		len += strlen(json_string_value(v) ? json_string_value(v) : "") + 1;
	s = calloc(1, len);
	if (!s)
		return NULL;
	json_array_foreach(argv, i, v)
	{
		if (i)
			// NOLINTNEXTLINE(clang-analyzer-security.insecureAPI.strcpy): as below
			strcat(s, " ");
		// NOLINTNEXTLINE(clang-analyzer-security.insecureAPI.strcpy): s holds the summed lengths above
		strcat(s, json_string_value(v) ? json_string_value(v) : "");
	}
	return s;
}

/* Audits a handled request and queues its answer; R's contents are used up. */
static void finish_request(struct session *s, json_t *id, const char *line, const char *role,
			   struct ctl_reply *r)
{
	struct control *c = s->ctl;
	json_t *reply;

	/* a new running revision may change who holds which role */
	if (c->rt->revision != c->roles_revision)
		control_reload_roles(c);
	audit_request(s->cs.who, role, s->cs.origin, line, r->err_code ? "error" : "ok",
		      r->err_code ? r->err : r->message);
	if (r->err_code) {
		reply = error_reply(id, r->err_code, r->err);
		json_decref(r->columns);
		json_decref(r->rows);
	} else {
		reply = json_pack("{s:s, s:O?, s:b, s:s}", "type", "response", "id", id, "ok", 1,
				  "mode", mode_name(s->cs.mode));
		if (r->columns)
			json_object_set_new(reply, "result",
					    json_pack("{s:o, s:o}", "columns", r->columns, "rows",
						      r->rows ? r->rows : json_array()));
		if (r->text)
			json_object_set_new(reply, "text", json_string(r->text));
		if (r->message[0])
			json_object_set_new(reply, "message", json_string(r->message));
	}
	r->columns = r->rows = NULL;
	free(r->text);
	r->text = NULL;
	json_object_set_new(reply, "mode", json_string(mode_name(s->cs.mode)));
	queue(s, reply);
}

/* Queues the answer of a names lookup; R's contents are used up. */
static void finish_names(struct session *s, json_t *id, struct ctl_reply *r)
{
	if (r->err_code) {
		queue(s, error_reply(id, r->err_code, r->err));
		json_decref(r->rows);
	} else {
		/* the names array goes to the answer */
		queue(s, json_pack("{s:s, s:O?, s:b, s:o}", "type", "response", "id", id, "ok", 1,
				   "names", r->rows ? r->rows : json_array()));
	}
	r->rows = NULL;
	json_decref(r->columns);
	r->columns = NULL;
	free(r->text);
	r->text = NULL;
}

static void dispatch_frames(struct session *s);
static int flush_out(struct session *s);

static int on_wait_timer(sd_event_source *src, uint64_t usec, void *userdata)
{
	struct session *s = userdata;
	struct pending *p = s->wait;
	uint64_t now = usec;

	if (p->r->wait.poll(s->ctl->rt, p->r->wait.state, p->r) > 0) {
		sd_event_now(s->ctl->ev, CLOCK_MONOTONIC, &now);
		sd_event_source_set_time(src, now + 200 * 1000ULL);
		return sd_event_source_set_enabled(src, SD_EVENT_ONESHOT);
	}
	s->wait = NULL;
	if (p->names)
		finish_names(s, p->id, p->r);
	else
		finish_request(s, p->id, p->line, p->role, p->r);
	pending_free(p);
	/* requests that arrived meanwhile are answered now, in order */
	dispatch_frames(s);
	flush_out(s);
	return 0;
}

/* A worker of ctl_offload.c finished: instead of up to 200 ms later, the
 * waits are polled on the loop's next turn (their timers, so that a poll
 * never runs inside this walk over the sessions). */
static int on_wake(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
	struct control *c = userdata;
	eventfd_t v;
	uint64_t now;

	(void)src;
	(void)revents;
	eventfd_read(fd, &v);
	sd_event_now(c->ev, CLOCK_MONOTONIC, &now);
	for (struct session *s = c->sessions; s; s = s->next) {
		if (s->wait) {
			sd_event_source_set_time(s->wait->timer, now);
			sd_event_source_set_enabled(s->wait->timer, SD_EVENT_ONESHOT);
		}
	}
	return 0;
}

/* Parks R until its wait completes; 0, or -1 (R is left to the caller).
 * LINE is NULL for a names lookup. */
static int start_wait(struct session *s, json_t *id, char *line, const char *role,
		      struct ctl_reply *r)
{
	struct pending *p = calloc(1, sizeof(*p));
	uint64_t now;

	if (!p)
		goto fail;
	sd_event_now(s->ctl->ev, CLOCK_MONOTONIC, &now);
	if (sd_event_add_time(s->ctl->ev, &p->timer, CLOCK_MONOTONIC, now + 200 * 1000ULL, 0,
			      on_wait_timer, s) < 0) {
		free(p);
		goto fail;
	}
	p->id = json_incref(id);
	p->names = line == NULL;
	p->line = line;
	p->role = role;
	p->r = r;
	s->wait = p;
	log_debug("control: %s: `%s` answers later", s->cs.who, line ? line : "(names)");
	return 0;
fail:
	r->wait.cancel(r->wait.state);
	memset(&r->wait, 0, sizeof(r->wait));
	ctl_fail(r, "internal", "out of memory");
	return -1;
}

static void handle_request(struct session *s, json_t *msg, json_t *id)
{
	json_t *argv = json_object_get(msg, "argv");
	struct control *c = s->ctl;
	char **words = NULL, err[1024];
	struct cmd_match m;
	struct ctl_reply *r;
	char *line;
	size_t i, n;
	json_t *v;
	const char *role = acl_role_name(s->cs.role);
	enum match_rc mrc;

	if (!json_is_array(argv) || json_array_size(argv) == 0 || json_array_size(argv) > 64) {
		queue(s, error_reply(id, "malformed",
				     "a request needs \"argv\": an array of 1 to 64 "
				     "strings"));
		return;
	}
	json_array_foreach(argv, i, v)
	{
		if (!json_is_string(v) || json_string_length(v) > 65536) {
			queue(s, error_reply(id, "malformed", "\"argv\" must hold strings"));
			return;
		}
	}
	n = json_array_size(argv);
	line = join_argv(argv);
	words = calloc(n + 1, sizeof(*words));
	if (!line || !words) {
		free(line);
		free(words);
		queue(s, error_reply(id, "internal", "out of memory"));
		return;
	}
	json_array_foreach(argv, i, v) words[i] = (char *)json_string_value(v);
	mrc = cmdtab_match(words, (int)n, s->cs.mode, &m, err, sizeof(err));
	free(words);
	if (mrc != MATCH_OK) {
		audit_request(s->cs.who, role, s->cs.origin, line, "error", err);
		queue(s, error_reply(id, "syntax", err));
		free(line);
		return;
	}
	if (s->cs.role < m.def->role) {
		char why[1024];

		snprintf(why, sizeof(why), "permission denied: `%s` needs the %s role; %s has %s",
			 m.def->syntax, acl_role_name(m.def->role), s->cs.who,
			 s->cs.role == ACL_NONE ? "no role" : role);
		audit_request(s->cs.who, role, s->cs.origin, line, "denied", why);
		queue(s, error_reply(id, "denied", why));
		cmdtab_match_free(&m);
		free(line);
		return;
	}
	if (!ctl_handlers[m.def->id]) {
		queue(s, error_reply(id, "syntax", "this command is handled by the shell"));
		cmdtab_match_free(&m);
		free(line);
		return;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		queue(s, error_reply(id, "internal", "out of memory"));
		cmdtab_match_free(&m);
		free(line);
		return;
	}
	ctl_handlers[m.def->id](c->rt, &s->cs, &m, r);
	cmdtab_match_free(&m);
	if (r->wait.poll && !r->err_code && start_wait(s, id, line, role, r) == 0)
		return; /* line and r now belong to s->wait */
	finish_request(s, id, line, role, r);
	free(line);
	free(r);
}

static void handle_msg(struct session *s, json_t *msg)
{
	json_t *id = json_object_get(msg, "id");
	const char *type = json_string_value(json_object_get(msg, "type"));
	struct control *c = s->ctl;

	if (id && !json_is_integer(id)) {
		queue(s, error_reply(NULL, "malformed", "\"id\" must be an integer"));
		return;
	}
	if (!type) {
		queue(s, error_reply(id, "malformed",
				     "a message needs a string \"type\": hello, "
				     "request or names"));
		return;
	}
	if (strcmp(type, "hello") == 0) {
		json_t *ver = json_object_get(msg, "version");

		if (!json_is_integer(ver) || json_integer_value(ver) != PROTO_VERSION) {
			char why[160];

			snprintf(why, sizeof(why),
				 "protocol version %lld is not supported; ferryd "
				 "speaks version %d",
				 (long long)json_integer_value(ver), PROTO_VERSION);
			queue(s, error_reply(id, "version", why));
			s->closing = 1;
			return;
		}
		s->hello_done = 1;
		queue(s, json_pack("{s:s, s:O?, s:b, s:i, s:s, s:s, s:s, s:s, s:s}", "type",
				   "hello", "id", id, "ok", 1, "version", PROTO_VERSION, "server",
				   "ferryd " FERRY_VERSION, "appliance", c->rt->appliance, "user",
				   s->cs.who, "role", acl_role_name(s->cs.role), "mode",
				   mode_name(s->cs.mode)));
		return;
	}
	if (!s->hello_done) {
		queue(s, error_reply(id, "malformed", "send a hello first"));
		s->closing = 1;
		return;
	}
	if (strcmp(type, "request") == 0) {
		handle_request(s, msg, id);
	} else if (strcmp(type, "names") == 0) {
		const char *kind = json_string_value(json_object_get(msg, "kind"));
		struct ctl_reply *r;
		json_t *names;

		if (s->cs.role < ACL_AUDITOR) {
			queue(s, error_reply(id, "denied", "permission denied: no role"));
			return;
		}
		if (!(r = calloc(1, sizeof(*r)))) {
			queue(s, error_reply(id, "internal", "out of memory"));
			return;
		}
		names = kind ? ctl_names(c->rt, &s->cs, kind, json_object_get(msg, "words"),
					 json_string_value(json_object_get(msg, "partial")), r)
			     : NULL;
		if (names) {
			queue(s, json_pack("{s:s, s:O?, s:b, s:o}", "type", "response", "id", id,
					   "ok", 1, "names", names));
		} else if (r->wait.poll && !r->err_code) {
			/* group names come from Kafka, off the loop */
			if (start_wait(s, id, NULL, NULL, r) == 0)
				return; /* r now belongs to s->wait */
			finish_names(s, id, r);
		} else if (r->err_code) {
			finish_names(s, id, r);
		} else {
			queue(s, error_reply(id, "malformed",
					     "names: \"kind\" must be flow, cluster, "
					     "topic, group or key"));
		}
		free(r);
	} else {
		char why[160];

		snprintf(why, sizeof(why),
			 "unknown message type \"%.40s\"; expected hello, request "
			 "or names",
			 type);
		queue(s, error_reply(id, "malformed", why));
	}
}

/* TLS: once the handshake is done, the certificate subject is the peer. */
static void identify_tls(struct session *s)
{
	X509 *cert;
	BIO *b;
	char *mem;
	long n;

	if (s->identified || !SSL_is_init_finished(s->ssl))
		return;
	s->identified = 1;
	cert = SSL_get1_peer_certificate(s->ssl);
	b = BIO_new(BIO_s_mem());
	if (cert && b &&
	    X509_NAME_print_ex(b, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0 &&
	    (n = BIO_get_mem_data(b, &mem)) > 0)
		snprintf(s->peer.cert_subject, sizeof(s->peer.cert_subject), "%.*s", (int)n, mem);
	BIO_free(b);
	X509_free(cert);
	acl_peer_name(&s->peer, s->cs.who, sizeof(s->cs.who));
	s->cs.role = acl_role_of(s->ctl->rules, &s->peer);
	log_debug("control: TLS session from %s (role %s)", s->cs.who, acl_role_name(s->cs.role));
}

/* read(2) or SSL_read: > 0 bytes, 0 end of stream, -1 try later, -2 broken. */
static ssize_t s_read(struct session *s, void *buf, size_t n)
{
	ssize_t r;

	if (!s->ssl) {
		r = read(s->fd, buf, n);
		if (r < 0)
			return errno == EAGAIN || errno == EINTR ? -1 : -2;
		return r;
	}
	r = SSL_read(s->ssl, buf, (int)n);
	s->ssl_wants_write = 0;
	if (r > 0) {
		identify_tls(s);
		return r;
	}
	switch (SSL_get_error(s->ssl, (int)r)) {
	case SSL_ERROR_WANT_READ:
		identify_tls(s);
		return -1;
	case SSL_ERROR_WANT_WRITE:
		s->ssl_wants_write = 1;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	default: {
		unsigned long e = ERR_get_error();
		char why[256];

		ERR_error_string_n(e, why, sizeof(why));
		log_warn("control: TLS session ended: %s", e ? why : "connection lost");
		ERR_clear_error();
		return -2;
	}
	}
}

static ssize_t s_write(struct session *s, const void *buf, size_t n)
{
	ssize_t w;

	if (!s->ssl) {
		w = send(s->fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0)
			return errno == EAGAIN || errno == EINTR ? -1 : -2;
		return w;
	}
	w = SSL_write(s->ssl, buf, (int)n);
	if (w > 0)
		return w;
	switch (SSL_get_error(s->ssl, (int)w)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return -1;
	default:
		ERR_clear_error();
		return -2;
	}
}

static int on_session_io(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
	struct session *s = userdata;

	(void)src;
	(void)fd;
	if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR) || (s->ssl && (revents & EPOLLOUT))) {
		unsigned char buf[65536];
		ssize_t r = s_read(s, buf, sizeof(buf));

		if (r == 0 || r == -2) {
			session_free(s);
			return 0;
		}
		if (s->ssl && !s->identified && r > 0)
			identify_tls(s);
		if (r > 0 && !s->closing) {
			if (frame_feed(&s->in, buf, (size_t)r)) {
				session_free(s);
				return 0;
			}
			dispatch_frames(s);
		}
	}
	flush_out(s);
	return 0;
}

/* Answers the complete requests buffered in S, in order, until one has to
 * wait or the session is closing. */
static void dispatch_frames(struct session *s)
{
	while (!s->closing && !s->wait) {
		char why[256];
		json_t *msg = NULL;
		enum frame_rc rc = frame_take(&s->in, &msg, why, sizeof(why));

		if (rc == FRAME_NEED_MORE)
			break;
		if (rc != FRAME_OK) {
			log_warn("control: %s: %s; closing the session", s->cs.who, why);
			audit_request(s->cs.who, acl_role_name(s->cs.role), s->cs.origin, "(frame)",
				      "error", why);
			queue(s, error_reply(NULL, rc == FRAME_TOO_BIG ? "too_large" : "malformed",
					     why));
			s->closing = 1;
			frame_buf_free(&s->in);
			break;
		}
		handle_msg(s, msg);
		json_decref(msg);
	}
}

/* Writes what it can of S's output; -1 when that ended (and freed) S. */
static int flush_out(struct session *s)
{
	if (s->outoff < s->outlen) {
		ssize_t w = s_write(s, s->out + s->outoff, s->outlen - s->outoff);

		if (w == -2) {
			session_free(s);
			return -1;
		}
		if (w > 0)
			s->outoff += (size_t)w;
	}
	if (s->closing && s->outoff == s->outlen) {
		session_free(s);
		return -1;
	}
	update_events(s);
	return 0;
}

/* Accepts a connection on listener FD into a new session in exec mode,
 * or NULL (a full table or no memory: the peer sees its connection closed). */
static struct session *session_accept(struct control *c, int fd, const char *origin)
{
	struct session *s;
	int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (cfd < 0)
		return NULL;
	if (c->nsessions >= MAX_SESSIONS) {
		log_warn("control: %d sessions open; refusing another", MAX_SESSIONS);
		close(cfd);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s || sd_event_add_io(c->ev, &s->src, cfd, EPOLLIN, on_session_io, s) < 0) {
		free(s);
		close(cfd);
		return NULL;
	}
	s->ctl = c;
	s->fd = cfd;
	s->cs.origin = origin;
	s->cs.mode = MODE_EXEC;
	s->next = c->sessions;
	c->sessions = s;
	c->nsessions++;
	return s;
}

static int on_accept(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
	struct control *c = userdata;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct session *s;

	(void)src;
	(void)revents;
	if (!(s = session_accept(c, fd, "unix")))
		return 0;
	if (getsockopt(s->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
		session_free(s);
		return 0;
	}
	acl_peer_from_cred(&s->peer, cred.uid, cred.gid);
	acl_peer_name(&s->peer, s->cs.who, sizeof(s->cs.who));
	s->cs.role = acl_role_of(c->rules, &s->peer);
	log_debug("control: session from %s (role %s)", s->cs.who, acl_role_name(s->cs.role));
	return 0;
}

static int on_accept_tls(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
	struct control *c = userdata;
	struct session *s;

	(void)src;
	(void)revents;
	if (!(s = session_accept(c, fd, "tls")))
		return 0;
	if (!(s->ssl = SSL_new(c->tls))) {
		session_free(s);
		return 0;
	}
	SSL_set_fd(s->ssl, s->fd);
	SSL_set_accept_state(s->ssl);
	sd_event_now(c->ev, CLOCK_MONOTONIC, &s->born_usec);
	/* no role until the certificate is read (the handshake runs on the
	 * first reads); the who of a session that never gets there */
	snprintf(s->cs.who, sizeof(s->cs.who), "tls peer (handshake pending)");
	s->cs.role = ACL_NONE;
	return 0;
}

/* TLS peers that never finish their handshake must not hold a slot. */
static int on_reap(sd_event_source *src, uint64_t usec, void *userdata)
{
	struct control *c = userdata;
	uint64_t now = usec;

	/* usec is when this timer was due, which can be earlier than the
	 * loop time a session was accepted at when the loop ran late: judge
	 * ages by the loop's clock, and never by an unsigned difference that
	 * could wrap and reap a session born after the deadline */
	sd_event_now(c->ev, CLOCK_MONOTONIC, &now);
	for (struct session *s = c->sessions, *next; s; s = next) {
		next = s->next;
		if (s->ssl && !s->identified && now > s->born_usec &&
		    now - s->born_usec > 10 * 1000000ULL) {
			log_warn(
				"control: TLS handshake not finished in 10 s; closing the session");
			session_free(s);
		}
	}
	return sd_event_source_set_time(src, now + 2 * 1000000ULL);
}

static int tls_error(struct ferr *err, const char *what, const char *file)
{
	unsigned long e = ERR_get_error();
	char why[256];

	ERR_error_string_n(e, why, sizeof(why));
	ERR_clear_error();
	return ferr_set(err, "%s %s: %s", what, file, e ? why : "failed");
}

static int tls_start(struct control *c, const char *listen_on, struct ferr *err)
{
	const char *cert = conf_global(c->rt->conf, "ferry.control.tls.cert");
	const char *key = conf_global(c->rt->conf, "ferry.control.tls.key");
	const char *ca = conf_global(c->rt->conf, "ferry.control.tls.ca");
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	char host[256], port[16];
	int p, one = 1;

	if (conf_parse_hostport(listen_on, host, sizeof(host), &p))
		return ferr_set(err, "ferry.control.tls.listen: expected host:port");
	snprintf(port, sizeof(port), "%d", p);
	c->tls = SSL_CTX_new(TLS_server_method());
	if (!c->tls)
		return tls_error(err, "TLS:", "context");
	SSL_CTX_set_min_proto_version(c->tls, TLS1_2_VERSION);
	if (SSL_CTX_use_certificate_chain_file(c->tls, cert) != 1)
		return tls_error(err, "ferry.control.tls.cert", cert);
	if (SSL_CTX_use_PrivateKey_file(c->tls, key, SSL_FILETYPE_PEM) != 1)
		return tls_error(err, "ferry.control.tls.key", key);
	if (SSL_CTX_check_private_key(c->tls) != 1)
		return tls_error(err, "ferry.control.tls.key does not match", cert);
	if (SSL_CTX_load_verify_locations(c->tls, ca, NULL) != 1)
		return tls_error(err, "ferry.control.tls.ca", ca);
	/* client certificates are required: they are the identity */
	SSL_CTX_set_verify(c->tls, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai)
		return ferr_set(err, "ferry.control.tls.listen: cannot resolve %s", host);
	c->tfd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->tfd < 0 || setsockopt(c->tfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(c->tfd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(c->tfd, 16) != 0) {
		freeaddrinfo(ai);
		return ferr_set(err, "ferry.control.tls.listen %s: %s", listen_on, strerror(errno));
	}
	freeaddrinfo(ai);
	if (sd_event_add_io(c->ev, &c->tsrc, c->tfd, EPOLLIN, on_accept_tls, c) < 0)
		return ferr_set(err, "cannot add the TLS listener to the event loop");
	{
		uint64_t now;

		sd_event_now(c->ev, CLOCK_MONOTONIC, &now);
		if (sd_event_add_time(c->ev, &c->reaper, CLOCK_MONOTONIC, now + 2 * 1000000ULL, 0,
				      on_reap, c) >= 0)
			sd_event_source_set_enabled(c->reaper, SD_EVENT_ON);
	}
	log_info("control protocol over TLS on %s (client certificates required)", listen_on);
	return 0;
}

static void control_reload_roles(struct control *c)
{
	struct acl_rules *nr;
	struct ferr err;

	if (acl_rules_new(conf_global(c->rt->conf, "ferry.control.role.admin"),
			  conf_global(c->rt->conf, "ferry.control.role.operator"),
			  conf_global(c->rt->conf, "ferry.control.role.auditor"), &nr, &err)) {
		log_error("control: roles: %s", err.msg);
		return;
	}
	acl_rules_free(c->rules);
	c->rules = nr;
	c->roles_revision = c->rt->revision;
	/* sessions keep the role they authenticated with until they reconnect,
	 * except that a lost role takes effect at once */
	for (struct session *s = c->sessions; s; s = s->next) {
		enum acl_role r = acl_role_of(c->rules, &s->peer);

		if (r < s->cs.role)
			s->cs.role = r;
	}
}

static int make_parent(const char *path, struct ferr *err)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0750) != 0 && errno != EEXIST)
		return ferr_set(err, "cannot create %s: %s", dir, strerror(errno));
	return 0;
}

int control_start(sd_event *ev, struct runtime *rt, struct control **out, struct ferr *err)
{
	struct control *c = calloc(1, sizeof(*c));
	const char *path = conf_global(rt->conf, "ferry.control.socket");
	const char *group = conf_global(rt->conf, "ferry.control.group");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;

	/* a command the table offers and nothing here runs would only be
	 * found by the operator who types it */
	if (ctl_handlers_check(err)) {
		free(c);
		return -1;
	}
	if (!c)
		return ferr_set(err, "out of memory");
	c->ev = ev;
	c->rt = rt;
	c->lfd = -1;
	c->tfd = -1;
	c->efd = -1;
	if (acl_rules_new(conf_global(rt->conf, "ferry.control.role.admin"),
			  conf_global(rt->conf, "ferry.control.role.operator"),
			  conf_global(rt->conf, "ferry.control.role.auditor"), &c->rules, err))
		goto fail;
	c->roles_revision = rt->revision;
	if (!path || !*path || strlen(path) >= sizeof(sa.sun_path)) {
		ferr_set(err, "ferry.control.socket: empty or longer than %zu bytes",
			 sizeof(sa.sun_path) - 1);
		goto fail;
	}
	snprintf(c->path, sizeof(c->path), "%s", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (make_parent(path, err))
		goto fail;
	if (lstat(path, &st) == 0) {
		int probe;

		if (!S_ISSOCK(st.st_mode)) {
			ferr_set(err, "%s exists and is not a socket; refusing to replace it",
				 path);
			goto fail;
		}
		/* someone listening there is another ferryd: leave it alone */
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(probe);
			ferr_set(err, "%s: another ferryd listens there (set ferry.control.socket)",
				 path);
			goto fail;
		}
		if (probe >= 0)
			close(probe);
		unlink(path); /* a stale socket of an earlier ferryd */
	}
	c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->lfd < 0) {
		ferr_set(err, "socket: %s", strerror(errno));
		goto fail;
	}
	/* 0660 from the start: no window where others could connect */
	old = umask(0117);
	if (bind(c->lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		umask(old);
		ferr_set(err, "%s: cannot bind: %s", path, strerror(errno));
		goto fail;
	}
	umask(old);
	/* ours from here: the failure path removes it */
	if (lstat(path, &st) == 0)
		c->ino = st.st_ino;
	if (group && *group) {
		gid_t gid;
		int rc = acl_group_gid(group, &gid);

		if (rc) {
			ferr_set(err, "ferry.control.group: no such group \"%s\"%s%s", group,
				 rc != ENOENT ? ": " : "", rc != ENOENT ? strerror(rc) : "");
			goto fail;
		}
		if (chown(path, (uid_t)-1, gid) != 0) {
			ferr_set(err, "%s: cannot give it to group %s: %s", path, group,
				 strerror(errno));
			goto fail;
		}
	}
	if (listen(c->lfd, 16) != 0 ||
	    sd_event_add_io(ev, &c->lsrc, c->lfd, EPOLLIN, on_accept, c) < 0) {
		ferr_set(err, "%s: cannot listen: %s", path, strerror(errno));
		goto fail;
	}
	{
		const char *tl = conf_global(rt->conf, "ferry.control.tls.listen");

		/* a listener that was asked for and is missing is as fatal as a
		 * missing socket: the clients configured to use it could not */
		if (tl && *tl && tls_start(c, tl, err))
			goto fail;
	}
	log_info("control socket %s ready", path);
	/* without it, answers that come off the loop wait for the 200 ms poll */
	c->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (c->efd >= 0 && sd_event_add_io(ev, &c->esrc, c->efd, EPOLLIN, on_wake, c) >= 0)
		ctl_offload_wake_fd(c->efd);
	*out = c;
	return 0;
fail:
	sd_event_source_unref(c->reaper);
	sd_event_source_unref(c->tsrc);
	if (c->tfd >= 0)
		close(c->tfd);
	SSL_CTX_free(c->tls);
	sd_event_source_unref(c->lsrc);
	if (c->lfd >= 0) {
		close(c->lfd);
		if (c->ino && lstat(c->path, &st) == 0 && st.st_ino == c->ino)
			unlink(c->path);
	}
	acl_rules_free(c->rules);
	free(c);
	return -1;
}

void control_stop(struct control *c)
{
	if (!c)
		return;
	while (c->sessions)
		// NOLINTNEXTLINE(clang-analyzer-unix.Malloc): session_free unlinks s from c->sessions; the analyzer does not follow the list
		session_free(c->sessions);
	/* the sessions abandoned their off-loop commands: end the workers, or
	 * leave what librdkafka will not let go of to the process's exit */
	ctl_offload_wake_fd(-1);
	ctl_offload_shutdown(5000);
	sd_event_source_unref(c->esrc);
	if (c->efd >= 0)
		close(c->efd);
	sd_event_source_unref(c->lsrc);
	sd_event_source_unref(c->tsrc);
	sd_event_source_unref(c->reaper);
	if (c->tfd >= 0)
		close(c->tfd);
	SSL_CTX_free(c->tls);
	if (c->lfd >= 0) {
		struct stat st;

		close(c->lfd);
		if (lstat(c->path, &st) == 0 && st.st_ino == c->ino)
			unlink(c->path);
	}
	acl_rules_free(c->rules);
	free(c);
}
