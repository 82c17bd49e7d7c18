/*
 * ferry.c — the extension's entry point: the module magic and its settings
 * (ferry.*). The SQL functions are in ferry_funcs.c, the client of
 * ferryd's control protocol in ferry_conn.c.
 *
 * Every setting is PGC_SUSET: where a backend connects decides which
 * ferryd answers, and ferryd identifies the server's OS user (or its
 * certificate), not the SQL caller, so no unprivileged role may point it
 * elsewhere.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "pgext/ferry.h"

PG_MODULE_MAGIC;

char *ferry_control_socket = NULL;
char *ferry_control_tls_address = NULL;
char *ferry_control_tls_cert = NULL;
char *ferry_control_tls_key = NULL;
char *ferry_control_tls_ca = NULL;
int ferry_timeout_ms = 10000;

void _PG_init(void);

void _PG_init(void)
{
	DefineCustomStringVariable(
		"ferry.control_socket", "UNIX socket of ferryd's control protocol.",
		"Used unless ferry.control_tls_address is set. ferryd identifies the "
		"server's OS user by its peer credentials.",
		&ferry_control_socket, "/run/ferry/control.sock", PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable(
		"ferry.control_tls_address",
		"host:port of ferryd's TLS control listener; empty: use ferry.control_socket.",
		"ferryd identifies the server by the subject of ferry.control_tls_cert.",
		&ferry_control_tls_address, "", PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("ferry.control_tls_cert",
				   "PEM client certificate (chain) presented to ferryd's TLS listener.",
				   NULL, &ferry_control_tls_cert, "", PGC_SUSET, 0, NULL, NULL,
				   NULL);
	DefineCustomStringVariable(
		"ferry.control_tls_key",
		"PEM private key of ferry.control_tls_cert; empty: the key is in that file.", NULL,
		&ferry_control_tls_key, "", PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("ferry.control_tls_ca",
				   "PEM CA certificates that ferryd's certificate must chain to.",
				   NULL, &ferry_control_tls_ca, "", PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable(
		"ferry.timeout_ms", "How long a call waits for ferryd, in milliseconds.",
		"Connecting, the hello and the command together; never longer than "
		"statement_timeout when that is set.",
		&ferry_timeout_ms, 10000, 1, 3600000, PGC_SUSET, GUC_UNIT_MS, NULL, NULL, NULL);
	MarkGUCPrefixReserved("ferry");
}
