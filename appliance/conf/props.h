/*
 * props.h — reads Java .properties files (the format of MM2's
 * connect-mirror-maker.properties) into an ordered list of key/value pairs,
 * each remembering the line it started on, so every later error can name
 * file:line.
 */
#ifndef FERRY_PROPS_H
#define FERRY_PROPS_H

#include <stddef.h>

#include "lib/err.h"

struct prop {
	char *key;
	char *value;
	int line; /* 1-based line where the logical line starts */
};

struct props {
	char *file; /* name used in messages */
	struct prop *v;
	size_t n, cap;
};

/* Reads a whole text file (NUL-terminated; caller frees *text). */
int props_read_file(const char *path, char **text, size_t *len, struct ferr *err);

/* Reads and parses PATH. On error, err names the file and the cause. */
int props_load(const char *path, struct props *out, struct ferr *err);

/* Parses TEXT (LEN bytes) as a properties file called NAME. */
int props_parse(const char *name, const char *text, size_t len, struct props *out,
		struct ferr *err);

/* The last entry for KEY (Java semantics: a later line overrides), or NULL. */
const struct prop *props_get(const struct props *p, const char *key);

/* Appends a copy of key/value (line 0 = set programmatically). */
int props_set(struct props *p, const char *key, const char *value, int line);

/* Removes every entry of KEY; returns how many were removed. */
size_t props_unset(struct props *p, const char *key);
/* Sets KEY: replaces the last entry's value in place, or appends. */
int props_put(struct props *p, const char *key, const char *value);
/* A deep copy (NAME becomes its file name). */
int props_copy(const struct props *src, const char *name, struct props *dst);
/* Writes the effective entries (last of each key, in first-seen order) as
 * `key = value` lines, escaped so props_parse reads them back. Caller frees. */
char *props_render(const struct props *p);

void props_free(struct props *p);

#endif
