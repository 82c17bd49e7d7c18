/*
 * proto.c — the blocking client of the control protocol (the framing is
 * lib/frame.c).
 */
#include "lib/proto.h"

#include "lib/clock.h"

#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <poll.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <netdb.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

static const char *ssl_why(void)
{
	static char why[256];
	unsigned long e = ERR_get_error();

	ERR_error_string_n(e, why, sizeof(why));
	ERR_clear_error();
	return e ? why : "connection lost";
}

int proto_send(struct proto_client *c, const json_t *msg, struct ferr *err)
{
	unsigned char *b;
	size_t n, off = 0;

	if (frame_encode(msg, &b, &n))
		return ferr_set(err, "cannot encode the request (too large?)");
	while (off < n) {
		ssize_t w;

		if (c->ssl) {
			int r = SSL_write(c->ssl, b + off, (int)(n - off));

			if (r <= 0) {
				free(b);
				return ferr_set(err, "cannot send to ferryd: %s", ssl_why());
			}
			off += (size_t)r;
			continue;
		}
		w = send(c->fd, b + off, n - off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			free(b);
			return ferr_set(err, "cannot send to ferryd: %s", strerror(errno));
		}
		off += (size_t)w;
	}
	free(b);
	return 0;
}

int proto_recv(struct proto_client *c, json_t **msg, int timeout_ms, struct ferr *err)
{
	long long deadline = clock_mono_ms() + timeout_ms;
	char why[256];
	struct frame_buf *in = &c->in;

	for (;;) {
		enum frame_rc rc = frame_take(in, msg, why, sizeof(why));
		unsigned char buf[65536];
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		long long left = deadline - clock_mono_ms();
		ssize_t r;

		if (rc == FRAME_OK)
			return 0;
		if (rc != FRAME_NEED_MORE)
			return ferr_set(err, "bad answer from ferryd: %s", why);
		if (left <= 0)
			return ferr_set(err, "no answer from ferryd within %d ms", timeout_ms);
		/* before the wait too: a signal that came while the request was
		 * sent spent its EINTR there, and poll would not see it */
		if (c->interrupt && *c->interrupt)
			return ferr_set(err, "interrupted");
		if (!(c->ssl && SSL_pending(c->ssl) > 0)) {
			r = poll(&pfd, 1, (int)left);
			if (r < 0 && errno == EINTR && c->interrupt && *c->interrupt)
				return ferr_set(err, "interrupted");
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				continue;
		}
		if (c->ssl) {
			int n = SSL_read(c->ssl, buf, sizeof(buf));

			if (n <= 0) {
				int e = SSL_get_error(c->ssl, n);

				if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
					continue;
				if (e == SSL_ERROR_ZERO_RETURN)
					return ferr_set(err, "ferryd closed the connection");
				return ferr_set(err, "cannot read from ferryd: %s", ssl_why());
			}
			if (frame_feed(in, buf, (size_t)n))
				return ferr_set(err, "out of memory");
			continue;
		}
		r = recv(c->fd, buf, sizeof(buf), 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return ferr_set(err, "cannot read from ferryd: %s", strerror(errno));
		if (r == 0)
			return ferr_set(err, "ferryd closed the connection");
		if (frame_feed(in, buf, (size_t)r))
			return ferr_set(err, "out of memory");
	}
}

static int say_hello(struct proto_client *c, const char *client_name, struct ferr *err);

/* "permission denied" on PATH (the socket, or a directory on the way to it
 * when SOCKET_OK is 0), naming who may connect: the group that owns it
 * (ferry.control.group) when its mode lets that group in, else its owner. */
static int access_denied(const char *path, int socket_ok, struct ferr *err)
{
	char dir[4096], gbuf[4096], pbuf[4096];
	const char *what = path;
	struct group gr, *g = NULL;
	struct passwd pw, *u = NULL;
	struct stat st;

	if (!socket_ok) {
		/* the nearest directory we cannot search or stat */
		snprintf(dir, sizeof(dir), "%s", path);
		what = dirname(dir);
		while (stat(what, &st) != 0 && strcmp(what, "/") != 0 && strcmp(what, ".") != 0)
			what = dirname(dir);
	}
	if (stat(what, &st) != 0)
		return ferr_set(err, "%s: permission denied", path);
	getgrgid_r(st.st_gid, &gr, gbuf, sizeof(gbuf), &g);
	getpwuid_r(st.st_uid, &pw, pbuf, sizeof(pbuf), &u);
	if (st.st_mode & (S_ISDIR(st.st_mode) ? S_IXGRP : S_IWGRP)) {
		char gname[64];

		if (g)
			snprintf(gname, sizeof(gname), "%s", g->gr_name);
		else
			snprintf(gname, sizeof(gname), "%u", (unsigned)st.st_gid);
		return ferr_set(err,
				"%s: permission denied%s%s (mode %04o); members of group %s "
				"may connect (ask an admin to add you: usermod -aG %s $USER, then "
				"log in again)",
				path, what != path ? " on " : "", what != path ? what : "",
				(unsigned)(st.st_mode & 07777), gname, gname);
	}
	if (u)
		return ferr_set(err,
				"%s: permission denied%s%s (mode %04o); only %s may connect "
				"(ferry.control.group in ferryd's configuration opens it to a group)",
				path, what != path ? " on " : "", what != path ? what : "",
				(unsigned)(st.st_mode & 07777), u->pw_name);
	return ferr_set(err, "%s: permission denied%s%s (mode %04o, owner uid %u)", path,
			what != path ? " on " : "", what != path ? what : "",
			(unsigned)(st.st_mode & 07777), (unsigned)st.st_uid);
}

int proto_connect(const char *path, const char *client_name, struct proto_client *c,
		  struct ferr *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (strlen(path) >= sizeof(sa.sun_path))
		return ferr_set(err, "%s: socket path too long", path);
	if (stat(path, &st) != 0) {
		if (errno == ENOENT)
			return ferr_set(err,
					"%s: no such socket: is ferryd running? "
					"(set the path with -s or FERRY_SOCKET)",
					path);
		if (errno == EACCES)
			return access_denied(path, 0, err);
		return ferr_set(err, "%s: %s", path, strerror(errno));
	}
	if (!S_ISSOCK(st.st_mode))
		return ferr_set(err, "%s: not a socket; refusing to use it", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return ferr_set(err, "socket: %s", strerror(errno));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;

		close(c->fd);
		c->fd = -1;
		if (e == ECONNREFUSED)
			return ferr_set(err,
					"%s: nobody listens: ferryd is not running (or listens "
					"elsewhere: set the path with -s or FERRY_SOCKET)",
					path);
		if (e == EACCES)
			return access_denied(path, 1, err);
		return ferr_set(err, "%s: cannot connect: %s", path, strerror(e));
	}
	return say_hello(c, client_name, err);
}

/* Exchanges hellos on a fresh connection. */
static int say_hello(struct proto_client *c, const char *client_name, struct ferr *err)
{
	json_t *hello, *reply = NULL;

	hello = json_pack("{s:s, s:i, s:s}", "type", "hello", "version", PROTO_VERSION, "client",
			  client_name);
	if (proto_call(c, hello, &reply, 10000, err)) {
		json_decref(hello);
		proto_close(c);
		return -1;
	}
	json_decref(hello);
	if (json_is_true(json_object_get(reply, "ok")) == 0) {
		const char *m = json_string_value(
			json_object_get(json_object_get(reply, "error"), "message"));

		ferr_set(err, "ferryd refused the connection: %s", m ? m : "no reason given");
		json_decref(reply);
		proto_close(c);
		return -1;
	}
	c->hello = reply;
	return 0;
}

int proto_call(struct proto_client *c, json_t *msg, json_t **reply, int timeout_ms,
	       struct ferr *err)
{
	long id = ++c->next_id;

	json_object_set_new(msg, "id", json_integer(id));
	if (proto_send(c, msg, err))
		return -1;
	for (;;) {
		json_t *r;

		if (proto_recv(c, &r, timeout_ms, err))
			return -1;
		if (json_integer_value(json_object_get(r, "id")) == id) {
			*reply = r;
			return 0;
		}
		/* an unsolicited or stale message: skip it */
		json_decref(r);
	}
}

int proto_connect_tls(const char *hostport, const char *cert, const char *key, const char *ca,
		      const char *client_name, struct proto_client *c, struct ferr *err)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *ai = NULL, *a;
	char host[256], port[16];
	const char *colon = strrchr(hostport, ':');
	size_t hl;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (!colon || colon == hostport || (hl = (size_t)(colon - hostport)) >= sizeof(host))
		return ferr_set(err, "--tls %s: expected host:port", hostport);
	memcpy(host, hostport, hl);
	host[hl] = '\0';
	if (host[0] == '[' && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	snprintf(port, sizeof(port), "%s", colon + 1);
	if (!cert || !ca)
		return ferr_set(err, "TLS needs a client certificate (--cert) and the CA (--ca)");
	if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai)
		return ferr_set(err, "%s: cannot resolve %s", hostport, host);
	for (a = ai; a; a = a->ai_next) {
		c->fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c->fd >= 0 && connect(c->fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1;
	}
	freeaddrinfo(ai);
	if (c->fd < 0)
		return ferr_set(err, "%s: cannot connect: %s", hostport, strerror(errno));
	c->ctx = SSL_CTX_new(TLS_client_method());
	if (!c->ctx)
		goto ssl_fail;
	SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
	if (SSL_CTX_load_verify_locations(c->ctx, ca, NULL) != 1) {
		ferr_set(err, "--ca %s: %s", ca, ssl_why());
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(c->ctx, cert) != 1) {
		ferr_set(err, "--cert %s: %s", cert, ssl_why());
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(c->ctx, key ? key : cert, SSL_FILETYPE_PEM) != 1) {
		ferr_set(err, "--key %s: %s", key ? key : cert, ssl_why());
		goto fail;
	}
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	c->ssl = SSL_new(c->ctx);
	if (!c->ssl)
		goto ssl_fail;
	SSL_set_fd(c->ssl, c->fd);
	SSL_set1_host(c->ssl, host); /* the certificate must name the host */
	SSL_set_tlsext_host_name(c->ssl, host);
	if (SSL_connect(c->ssl) != 1) {
		long v = SSL_get_verify_result(c->ssl);

		if (v != X509_V_OK)
			ferr_set(err, "%s: ferryd's certificate: %s", hostport,
				 X509_verify_cert_error_string(v));
		else
			ferr_set(err, "%s: TLS handshake failed: %s", hostport, ssl_why());
		goto fail;
	}
	/* TLS 1.3 finishes the client side before ferryd has checked our
	 * certificate: a refusal shows up on the first exchange */
	if (say_hello(c, client_name, err))
		return ferr_wrap(err,
				 "%s: ferryd ended the TLS session (is the client certificate "
				 "signed by its CA and made for client use?)",
				 hostport);
	return 0;
ssl_fail:
	ferr_set(err, "TLS: %s", ssl_why());
fail:
	proto_close(c);
	return -1;
}

void proto_close(struct proto_client *c)
{
	if (c->ssl) {
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	SSL_CTX_free(c->ctx);
	if (c->fd >= 0)
		close(c->fd);
	frame_buf_free(&c->in);
	json_decref(c->hello);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}
