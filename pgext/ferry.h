/*
 * ferry.h — what the extension's C files share: the settings (ferry.c) and
 * the call into ferryd's control protocol (ferry_conn.c).
 */
#ifndef FERRY_PGEXT_H
#define FERRY_PGEXT_H

/* GUCs (ferry.c); all PGC_SUSET */
extern char *ferry_control_socket;
extern char *ferry_control_tls_address;
extern char *ferry_control_tls_cert;
extern char *ferry_control_tls_key;
extern char *ferry_control_tls_ca;
extern int ferry_timeout_ms;

/* One result set of a command, copied out of ferryd's reply into palloc'd
 * memory (the JSON is gone by the time it is returned). Cells are text in
 * the form PostgreSQL's input functions read (integers in decimal, times
 * as ISO-8601); NULL is unknown. */
struct ferry_result {
	int ncols;
	char **cols;
	int nrows;
	char ***rows;
	char *message; /* the reply's note, or NULL */
};

/* Sends the command ARGV (ARGC words) to ferryd and returns its result set,
 * allocated in the current memory context. Any failure is an ERROR. */
struct ferry_result *ferry_command(const char *const *argv, int argc);
/* The same, but a failed reply whose error code is CODE (docs/protocol.md,
 * e.g. "too_large") returns NULL instead of an ERROR. */
struct ferry_result *ferry_command_unless(const char *const *argv, int argc, const char *code);

/* Index of the column named NAME, or -1. A NAME ending in '*' matches a
 * column that starts with what precedes it. */
int ferry_result_col(const struct ferry_result *r, const char *name);

#endif
