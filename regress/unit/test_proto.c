/*
 * test_proto.c — control protocol framing, and rendering of properties
 * back to text that parses to the same entries, and a wait for an answer
 * that a signal interrupts.
 */
#include "appliance/conf/props.h"
#include "lib/clock.h"
#include "lib/proto.h"
#include "tap.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
	struct frame_buf fb = { 0 };
	json_t *j = json_pack("{s:s, s:i}", "type", "hello", "version", 1), *out = NULL;
	unsigned char *b;
	size_t n;
	char err[256];

	ok(frame_encode(j, &b, &n) == 0, "encode");
	ok(n > 4 && b[0] == 0 && b[3] == n - 4, "length prefix, big-endian");
	frame_feed(&fb, b, 3);
	is_int(frame_take(&fb, &out, err, sizeof(err)), FRAME_NEED_MORE, "partial header: wait");
	frame_feed(&fb, b + 3, n - 3);
	frame_feed(&fb, b, n); /* a second frame right behind */
	ok(frame_take(&fb, &out, err, sizeof(err)) == FRAME_OK &&
		   json_integer_value(json_object_get(out, "version")) == 1,
	   "first frame");
	json_decref(out);
	ok(frame_take(&fb, &out, err, sizeof(err)) == FRAME_OK, "second frame");
	json_decref(out);
	is_int(frame_take(&fb, &out, err, sizeof(err)), FRAME_NEED_MORE, "nothing left");
	free(b);
	json_decref(j);

	unsigned char big[4] = { 0x00, 0x20, 0x00, 0x00 }; /* 2 MiB */

	frame_feed(&fb, big, 4);
	is_int(frame_take(&fb, &out, err, sizeof(err)), FRAME_TOO_BIG, "over 1 MiB refused");
	like(err, "frame of 2097152 bytes refused", "says its size");
	frame_buf_free(&fb);

	unsigned char bad[] = { 0, 0, 0, 3, '{', 'x', '}' };

	frame_feed(&fb, bad, sizeof(bad));
	is_int(frame_take(&fb, &out, err, sizeof(err)), FRAME_BAD, "not JSON");
	like(err, "malformed frame: not JSON", "said");
	frame_buf_free(&fb);
	unsigned char arr[] = { 0, 0, 0, 2, '[', ']' };

	frame_feed(&fb, arr, sizeof(arr));
	is_int(frame_take(&fb, &out, err, sizeof(err)), FRAME_BAD, "an array is not an object");
	frame_buf_free(&fb);
	unsigned char zero[] = { 0, 0, 0, 0 };

	frame_feed(&fb, zero, sizeof(zero));
	is_int(frame_take(&fb, &out, err, sizeof(err)), FRAME_TOO_BIG, "an empty frame is refused");
	frame_buf_free(&fb);

	/* props_render round trip */
	struct props p = { 0 }, q;
	struct ferr fe;
	char *text;

	p.file = strdup("x");
	props_set(&p, "A->B.topics", "orders.*, pay", 0);
	props_set(&p, "odd key=with:chars", " leading blank, tab\there, newline\nend\\", 0);
	props_set(&p, "#hash", "!bang", 0);
	props_set(&p, "A->B.topics", "orders.*", 0);
	text = props_render(&p);
	ok(text != NULL, "render");
	ok(props_parse("r", text, strlen(text), &q, &fe) == 0, "the rendering parses");
	is_int(q.n, 3, "one line per key (the last value of each)");
	is(props_get(&q, "A->B.topics")->value, "orders.*", "the effective value");
	is(props_get(&q, "odd key=with:chars")->value, " leading blank, tab\there, newline\nend\\",
	   "escapes round-trip");
	is(props_get(&q, "#hash")->value, "!bang", "a key starting with # is not a comment");
	free(text);
	props_free(&q);
	ok(props_unset(&p, "A->B.topics") == 2, "unset removes every entry of a key");
	ok(props_put(&p, "new", "v") == 0 && props_put(&p, "new", "w") == 0 && p.n == 3,
	   "put appends once, then replaces");
	props_free(&p);

	/* a ^C that came before the wait began (while the request was being
	 * sent) ends the wait at once: the signal's EINTR was spent on the
	 * send, and poll would wait out the whole timeout for a flag
	 * already set */
	{
		struct proto_client pc = { .fd = -1 };
		volatile sig_atomic_t flag = 1;
		int sv[2];
		json_t *msg = NULL;
		long long t0;

		ok(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "a connection nobody answers on");
		pc.fd = sv[0];
		pc.interrupt = &flag;
		t0 = clock_mono_ms();
		ok(proto_recv(&pc, &msg, 3000, &fe) == -1, "the wait ends");
		is(fe.msg, "interrupted", "as interrupted");
		ok(clock_mono_ms() - t0 < 1000, "at once, not after the timeout");
		flag = 0;
		ok(proto_recv(&pc, &msg, 200, &fe) == -1 && strstr(fe.msg, "no answer"),
		   "without the flag it waits for the answer");
		close(sv[0]);
		close(sv[1]);
		frame_buf_free(&pc.in);
	}
	return done_testing();
}
