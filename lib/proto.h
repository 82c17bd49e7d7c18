/*
 * proto.h — ferry's control protocol, version 1 (docs/protocol.md): frames
 * of a 4-byte big-endian length followed by that many bytes of one JSON
 * object, over a UNIX stream socket or TLS. Shared by ferryd (server), the
 * `ferry` shell and the PostgreSQL extension (clients).
 */
#ifndef FERRY_PROTO_H
#define FERRY_PROTO_H

#include <signal.h>

#include <jansson.h>
#include <stddef.h>

#include "lib/err.h"
#include "lib/frame.h"

#define PROTO_VERSION 1
#define PROTO_DEFAULT_SOCKET "/run/ferry/control.sock"

/* --- blocking client --- */
struct ssl_st;
struct ssl_ctx_st;

struct proto_client {
	int fd;
	struct ssl_ctx_st *ctx; /* TLS clients only */
	struct ssl_st *ssl;
	struct frame_buf in;
	json_t *hello; /* the server's hello (appliance, user, role ...) */
	long next_id;
	/* when set and nonzero after a signal, a wait for an answer ends with
	 * "interrupted" (the caller then closes the connection, which makes
	 * ferryd cancel the request) */
	volatile sig_atomic_t *interrupt;
};

/* Connects to the UNIX socket PATH and exchanges hellos. Refuses a path
 * that is not a socket; says when nobody listens. */
int proto_connect(const char *path, const char *client_name, struct proto_client *c,
		  struct ferr *err);
/* Connects to ferryd's TLS listener HOSTPORT ("host:port") with the client
 * certificate CERT (PEM; its key in KEY, or in CERT when KEY is NULL),
 * checking the server against the CA file CA and the host name. */
int proto_connect_tls(const char *hostport, const char *cert, const char *key, const char *ca,
		      const char *client_name, struct proto_client *c, struct ferr *err);
/* Sends MSG (adding "id") and waits for the reply with the same id. */
int proto_call(struct proto_client *c, json_t *msg, json_t **reply, int timeout_ms,
	       struct ferr *err);
void proto_close(struct proto_client *c);

int proto_send(struct proto_client *c, const json_t *msg, struct ferr *err);
int proto_recv(struct proto_client *c, json_t **msg, int timeout_ms, struct ferr *err);

#endif
