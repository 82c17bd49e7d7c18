/*
 * props.c — the Java .properties grammar: natural lines joined by a trailing
 * odd backslash, '#'/'!' comments, key ended by an unescaped '=', ':' or
 * whitespace, escapes \t \n \r \f \uXXXX (encoded as UTF-8 here).
 */
#include "appliance/conf/props.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sbuf {
	char *s;
	size_t n, cap;
};

static int sb_put(struct sbuf *b, char c)
{
	if (b->n + 2 > b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 64;
		char *ns = realloc(b->s, ncap);

		if (!ns)
			return -1;
		b->s = ns;
		b->cap = ncap;
	}
	b->s[b->n++] = c;
	b->s[b->n] = '\0';
	return 0;
}

static int sb_put_utf8(struct sbuf *b, unsigned cp)
{
	int rc = 0;

	if (cp < 0x80) {
		rc |= sb_put(b, (char)cp);
	} else if (cp < 0x800) {
		rc |= sb_put(b, (char)(0xC0 | (cp >> 6)));
		rc |= sb_put(b, (char)(0x80 | (cp & 0x3F)));
	} else if (cp < 0x10000) {
		rc |= sb_put(b, (char)(0xE0 | (cp >> 12)));
		rc |= sb_put(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
		rc |= sb_put(b, (char)(0x80 | (cp & 0x3F)));
	} else {
		rc |= sb_put(b, (char)(0xF0 | (cp >> 18)));
		rc |= sb_put(b, (char)(0x80 | ((cp >> 12) & 0x3F)));
		rc |= sb_put(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
		rc |= sb_put(b, (char)(0x80 | (cp & 0x3F)));
	}
	return rc ? -1 : 0;
}

int props_set(struct props *p, const char *key, const char *value, int line)
{
	if (p->n == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 32;
		struct prop *nv = realloc(p->v, ncap * sizeof(*nv));

		if (!nv)
			return -1;
		p->v = nv;
		p->cap = ncap;
	}
	p->v[p->n].key = strdup(key);
	p->v[p->n].value = strdup(value);
	p->v[p->n].line = line;
	if (!p->v[p->n].key || !p->v[p->n].value) {
		free(p->v[p->n].key);
		free(p->v[p->n].value);
		return -1;
	}
	p->n++;
	return 0;
}

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\f';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Unescapes one logical line's key or value from [s, e). Stops a key at an
 * unescaped separator when STOP_AT_SEP; *endp receives where it stopped.
 */
static int unescape(const char *name, int line, const char *s, const char *e, int stop_at_sep,
		    struct sbuf *out, const char **endp, struct ferr *err)
{
	unsigned pending_hi = 0; /* a UTF-16 high surrogate waiting for its pair */

	while (s < e) {
		char c = *s;

		if (stop_at_sep && (c == '=' || c == ':' || is_ws(c)))
			break;
		if (c != '\\') {
			if (sb_put(out, c))
				return ferr_set(err, "out of memory");
			s++;
			continue;
		}
		s++;
		if (s >= e)
			break; /* a lone trailing backslash at end of file: dropped, as Java does */
		c = *s++;
		switch (c) {
		case 't':
			c = '\t';
			break;
		case 'n':
			c = '\n';
			break;
		case 'r':
			c = '\r';
			break;
		case 'f':
			c = '\f';
			break;
		case 'u': {
			unsigned cp = 0;

			for (int i = 0; i < 4; i++) {
				int h = s < e ? hexval(*s) : -1;

				if (h < 0)
					return ferr_set(err, "%s:%d: malformed \\uXXXX escape",
							name, line);
				cp = cp * 16 + (unsigned)h;
				s++;
			}
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				pending_hi = cp;
				continue;
			}
			if (cp >= 0xDC00 && cp <= 0xDFFF && pending_hi) {
				cp = 0x10000 + ((pending_hi - 0xD800) << 10) + (cp - 0xDC00);
				pending_hi = 0;
			}
			if (sb_put_utf8(out, cp))
				return ferr_set(err, "out of memory");
			continue;
		}
		default:
			break; /* \= \: \# \\ and any other char stand for themselves */
		}
		if (sb_put(out, c))
			return ferr_set(err, "out of memory");
	}
	if (endp)
		*endp = s;
	return 0;
}

/* True when the natural line [s, e) ends in an odd number of backslashes. */
static int continues(const char *s, const char *e)
{
	size_t n = 0;

	while (e > s && e[-1] == '\\') {
		n++;
		e--;
	}
	return n % 2 == 1;
}

int props_parse(const char *name, const char *text, size_t len, struct props *out, struct ferr *err)
{
	const char *p = text, *end = text + len;
	int lineno = 0;
	struct sbuf logical = { 0 };

	memset(out, 0, sizeof(*out));
	out->file = strdup(name);
	if (!out->file)
		return ferr_set(err, "out of memory");

	while (p < end) {
		const char *nl, *ls, *le;
		int start_line;

		/* gather one logical line */
		logical.n = 0;
		if (logical.s)
			logical.s[0] = '\0';
		start_line = lineno + 1;
		for (int first = 1;; first = 0) {
			nl = memchr(p, '\n', (size_t)(end - p));
			ls = p;
			le = nl ? nl : end;
			p = nl ? nl + 1 : end;
			lineno++;
			if (le > ls && le[-1] == '\r')
				le--;
			if (!first) {
				while (ls < le && is_ws(*ls))
					ls++;
			} else {
				const char *q = ls;

				while (q < le && is_ws(*q))
					q++;
				if (q == le || *q == '#' || *q == '!')
					break; /* blank or comment: not continued, ever */
			}
			int cont = continues(ls, le);

			for (const char *q = ls; q < (cont ? le - 1 : le); q++)
				if (sb_put(&logical, *q))
					goto oom;
			if (!cont || p >= end)
				break;
		}
		if (logical.n == 0)
			continue;

		/* split into key and value */
		const char *s = logical.s, *e = logical.s + logical.n, *after;
		struct sbuf key = { 0 }, val = { 0 };

		while (s < e && is_ws(*s))
			s++;
		if (s == e)
			continue;
		if (unescape(name, start_line, s, e, 1, &key, &after, err))
			goto fail_kv;
		s = after;
		while (s < e && is_ws(*s))
			s++;
		if (s < e && (*s == '=' || *s == ':'))
			s++;
		while (s < e && is_ws(*s))
			s++;
		if (unescape(name, start_line, s, e, 0, &val, NULL, err))
			goto fail_kv;
		if (props_set(out, key.s ? key.s : "", val.s ? val.s : "", start_line)) {
			free(key.s);
			free(val.s);
			goto oom;
		}
		free(key.s);
		free(val.s);
		continue;
fail_kv:
		free(key.s);
		free(val.s);
		free(logical.s);
		props_free(out);
		return -1;
	}
	free(logical.s);
	return 0;
oom:
	free(logical.s);
	props_free(out);
	return ferr_set(err, "%s: out of memory", name);
}

int props_read_file(const char *path, char **text, size_t *len, struct ferr *err)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;

	*text = NULL;
	if (!f)
		return ferr_set(err, "%s: cannot open: %s", path, strerror(errno));
	for (;;) {
		if (n + 4096 > cap) {
			size_t ncap = cap ? cap * 2 : 8192;
			char *nb = realloc(buf, ncap);

			if (!nb) {
				free(buf);
				fclose(f);
				return ferr_set(err, "%s: out of memory", path);
			}
			buf = nb;
			cap = ncap;
		}
		size_t got = fread(buf + n, 1, cap - n - 1, f);

		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		int e = errno;

		free(buf);
		fclose(f);
		return ferr_set(err, "%s: cannot read: %s", path, strerror(e));
	}
	fclose(f);
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

int props_load(const char *path, struct props *out, struct ferr *err)
{
	char *buf;
	size_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	if (props_read_file(path, &buf, &n, err))
		return -1;
	rc = props_parse(path, buf, n, out, err);
	free(buf);
	return rc;
}

const struct prop *props_get(const struct props *p, const char *key)
{
	for (size_t i = p->n; i > 0; i--)
		if (strcmp(p->v[i - 1].key, key) == 0)
			return &p->v[i - 1];
	return NULL;
}

void props_free(struct props *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].key);
		free(p->v[i].value);
	}
	free(p->v);
	free(p->file);
	memset(p, 0, sizeof(*p));
}

size_t props_unset(struct props *p, const char *key)
{
	size_t w = 0, removed = 0;

	for (size_t i = 0; i < p->n; i++) {
		if (strcmp(p->v[i].key, key) == 0) {
			free(p->v[i].key);
			free(p->v[i].value);
			removed++;
			continue;
		}
		p->v[w++] = p->v[i];
	}
	p->n = w;
	return removed;
}

int props_put(struct props *p, const char *key, const char *value)
{
	for (size_t i = p->n; i > 0; i--) {
		if (strcmp(p->v[i - 1].key, key) == 0) {
			char *nv = strdup(value);

			if (!nv)
				return -1;
			free(p->v[i - 1].value);
			p->v[i - 1].value = nv;
			return 0;
		}
	}
	return props_set(p, key, value, 0);
}

int props_copy(const struct props *src, const char *name, struct props *dst)
{
	memset(dst, 0, sizeof(*dst));
	dst->file = strdup(name);
	if (!dst->file)
		return -1;
	for (size_t i = 0; i < src->n; i++) {
		if (props_set(dst, src->v[i].key, src->v[i].value, src->v[i].line)) {
			props_free(dst);
			return -1;
		}
	}
	return 0;
}

static int put_escaped(struct sbuf *b, const char *s, int is_key)
{
	for (size_t i = 0; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		int rc = 0;

		if (c == '\\')
			// NOLINTNEXTLINE(misc-redundant-expression): two backslashes on purpose
			rc = sb_put(b, '\\') | sb_put(b, '\\');
		else if (c == '\n')
			rc = sb_put(b, '\\') | sb_put(b, 'n');
		else if (c == '\r')
			rc = sb_put(b, '\\') | sb_put(b, 'r');
		else if (c == '\t')
			rc = sb_put(b, '\\') | sb_put(b, 't');
		else if (c == '\f')
			rc = sb_put(b, '\\') | sb_put(b, 'f');
		else if ((is_key && (c == '=' || c == ':' || c == ' ')) ||
			 (i == 0 && (c == '#' || c == '!' || c == ' ')))
			rc = sb_put(b, '\\') | sb_put(b, (char)c);
		else
			rc = sb_put(b, (char)c);
		if (rc)
			return -1;
	}
	return 0;
}

char *props_render(const struct props *p)
{
	struct sbuf b = { 0 };

	if (sb_put(&b, '\0') == 0)
		b.n = 0;
	for (size_t i = 0; i < p->n; i++) {
		const struct prop *last = props_get(p, p->v[i].key);
		int first_seen = 1;

		for (size_t j = 0; j < i; j++)
			if (strcmp(p->v[j].key, p->v[i].key) == 0)
				first_seen = 0;
		if (!first_seen)
			continue;
		if (put_escaped(&b, p->v[i].key, 1) || sb_put(&b, ' ') || sb_put(&b, '=') ||
		    sb_put(&b, ' ') || put_escaped(&b, last->value, 0) || sb_put(&b, '\n')) {
			free(b.s);
			return NULL;
		}
	}
	return b.s;
}
