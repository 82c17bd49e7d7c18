/*
 * test_props.c — the Java .properties grammar (props.c).
 */
#include "appliance/conf/props.h"
#include "tap.h"

#include <stdlib.h>

static const char *get(const struct props *p, const char *k)
{
	const struct prop *e = props_get(p, k);

	return e ? e->value : NULL;
}

static int line_of(const struct props *p, const char *k)
{
	const struct prop *e = props_get(p, k);

	return e ? e->line : -1;
}

int main(void)
{
	struct props p;
	struct ferr err;
	const char text[] = "# comment\n"
			    "! also a comment\n"
			    "\n"
			    "clusters = A, B\n"
			    "A.bootstrap.servers=a:9092\n"
			    "B.bootstrap.servers:b:9092\n"
			    "key\\ with\\ spaces value with spaces  \n"
			    "   indented    =    x\n"
			    "multi = one, \\\n"
			    "        two, \\\n"
			    "        three\n"
			    "after.multi = 1\n"
			    "escaped = tab\\there\\nnewline \\u00e9 \\\\ end\n"
			    "emptyval =\n"
			    "justkey\n"
			    "A->B.topics = .*\\\\.orders\n"
			    "dup = first\n"
			    "dup = second\r\n"
			    "colon\\:key = v\n"
			    "eq\\=key = v2\n"
			    "#not = a key\n"
			    "trailing.backslash.even = x\\\\\n"
			    "next = y\n";

	ok(props_parse("t.properties", text, sizeof(text) - 1, &p, &err) == 0, "parses");
	is(get(&p, "clusters"), "A, B", "'=' separator with blanks");
	is(get(&p, "A.bootstrap.servers"), "a:9092", "no blanks");
	is(get(&p, "B.bootstrap.servers"), "b:9092", "':' separator");
	is(get(&p, "key with spaces"), "value with spaces  ",
	   "escaped blanks in key; trailing blanks kept");
	is(get(&p, "indented"), "x", "leading blanks skipped");
	is(get(&p, "multi"), "one, two, three", "continuation lines joined, indentation dropped");
	is_int(line_of(&p, "multi"), 9, "continued entry reports its first line");
	is_int(line_of(&p, "after.multi"), 12, "line numbers count continuation lines");
	is(get(&p, "escaped"), "tab\there\nnewline \xc3\xa9 \\ end", "escapes and \\u to UTF-8");
	is(get(&p, "emptyval"), "", "empty value");
	is(get(&p, "justkey"), "", "key alone");
	is(get(&p, "A->B.topics"), ".*\\.orders", "regex backslashes unescaped once");
	is(get(&p, "dup"), "second", "later line wins");
	is_int(line_of(&p, "dup"), 18, "props_get returns the last occurrence");
	is(get(&p, "colon:key"), "v", "escaped ':' in key");
	is(get(&p, "eq=key"), "v2", "escaped '=' in key");
	ok(get(&p, "#not") == NULL, "comment not parsed as key");
	is(get(&p, "trailing.backslash.even"), "x\\", "even backslashes do not continue");
	is(get(&p, "next"), "y", "line after even backslashes is its own entry");
	props_free(&p);

	const char bad[] = "a = \\u12G4\n";

	ok(props_parse("bad.properties", bad, sizeof(bad) - 1, &p, &err) == -1, "bad \\u rejected");
	like(err.msg, "bad.properties:1", "error names file:line");

	ok(props_load("/nonexistent/file.properties", &p, &err) == -1, "missing file");
	like(err.msg, "/nonexistent/file.properties: cannot open", "error names the file");
	ok(props_load("/", &p, &err) == -1, "a directory is not a file");
	like(err.msg, "cannot read", "says it cannot be read");

	const char noeol[] = "last = value";

	ok(props_parse("x", noeol, sizeof(noeol) - 1, &p, &err) == 0, "no final newline");
	is(get(&p, "last"), "value", "last line read");
	props_free(&p);
	return done_testing();
}
