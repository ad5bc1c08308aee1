/* tests/unit/test_wsbatch: the frames one batched send carries (http/wsbatch):
 * RFC 6455 server text-frame headers at every length boundary, and batches
 * that keep every message whole and in order, parsed back frame by frame. */
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "http/wsbatch.h"

static void test_header_lengths(void **state)
{
	unsigned char h[WSB_HDR_MAX];
	assert_int_equal(wsb_text_header(h, 0), 2);
	assert_int_equal(h[0], 0x81);
	assert_int_equal(h[1], 0);
	assert_int_equal(wsb_text_header(h, 125), 2);
	assert_int_equal(h[1], 125);
	assert_int_equal(wsb_text_header(h, 126), 4);
	assert_int_equal(h[1], 126);
	assert_int_equal(h[2], 0);
	assert_int_equal(h[3], 126);
	assert_int_equal(wsb_text_header(h, 65535), 4);
	assert_int_equal(h[2], 0xff);
	assert_int_equal(h[3], 0xff);
	assert_int_equal(wsb_text_header(h, 65536), 10);
	assert_int_equal(h[0], 0x81);
	assert_int_equal(h[1], 127);
	static const unsigned char want[] = {0, 0, 0, 0, 0, 1, 0, 0};
	assert_memory_equal(h + 2, want, 8);
	assert_int_equal(wsb_text_header(h, 0x0102030405060708ull), 10);
	static const unsigned char big[] = {1, 2, 3, 4, 5, 6, 7, 8};
	assert_memory_equal(h + 2, big, 8);
}

/* Parses one server text frame at p (n bytes left): payload and length.
 * Returns the frame's total length, 0 when it is cut or not a final text
 * frame. */
static size_t parse(const unsigned char *p, size_t n, const unsigned char **pay, size_t *len)
{
	if (n < 2 || p[0] != 0x81 || (p[1] & 0x80))
		return 0;
	size_t h = 2, l = p[1];
	if (l == 126) {
		if (n < 4)
			return 0;
		l = (size_t)p[2] << 8 | p[3];
		h = 4;
	} else if (l == 127) {
		if (n < 10)
			return 0;
		l = 0;
		for (int i = 0; i < 8; i++)
			l = l << 8 | p[2 + i];
		h = 10;
	}
	if (n - h < l)
		return 0;
	*pay = p + h;
	*len = l;
	return h + l;
}

static void test_batch_keeps_messages_whole_and_in_order(void **state)
{
	/* lengths around each header boundary; the cap stops the batch */
	static const size_t lens[] = {1, 125, 126, 127, 300, 65535, 65536, 70000, 5, 0};
	size_t n = sizeof lens / sizeof lens[0], total = 0;
	for (size_t i = 0; i < n; i++)
		total += lens[i] + WSB_HDR_MAX;
	unsigned char *out = malloc(total), *msg[sizeof lens / sizeof lens[0]];
	for (size_t i = 0; i < n; i++) {
		msg[i] = malloc(lens[i] + 1);
		for (size_t k = 0; k < lens[i]; k++)
			msg[i][k] = (unsigned char)('a' + (i + k) % 26);
	}
	size_t used = 0;
	for (size_t i = 0; i < n; i++) {
		size_t u = wsb_put(out, total, used, 1, msg[i], lens[i]);
		assert_true(u > used);
		used = u;
	}
	/* parsed back: the same messages, in the same order, nothing left over */
	size_t off = 0;
	for (size_t i = 0; i < n; i++) {
		const unsigned char *pay;
		size_t len, f = parse(out + off, used - off, &pay, &len);
		assert_true(f > 0);
		assert_int_equal(len, lens[i]);
		if (len)
			assert_memory_equal(pay, msg[i], len);
		off += f;
	}
	assert_int_equal(off, used);
	for (size_t i = 0; i < n; i++)
		free(msg[i]);
	free(out);
}

static void test_a_message_that_does_not_fit_is_not_cut(void **state)
{
	unsigned char out[300];
	memset(out, 0xee, sizeof out);
	char a[200], b[200];
	memset(a, 'a', sizeof a);
	memset(b, 'b', sizeof b);
	size_t used = wsb_put(out, sizeof out, 0, 1, a, 200);
	assert_int_equal(used, 204);
	/* 204 + 2 + 94 = 300 fits exactly; 95 bytes do not */
	assert_int_equal(wsb_put(out, sizeof out, used, 1, b, 95), 0);
	for (size_t i = used; i < sizeof out; i++)
		assert_int_equal(out[i], 0xee); /* untouched */
	assert_int_equal(wsb_put(out, sizeof out, used, 1, b, 94), 300);
	assert_memory_equal(out + 206, b, 94);
	/* a header alone never goes in: 125 bytes need 127 */
	assert_int_equal(wsb_put(out, 126, 0, 1, a, 125), 0);
	assert_int_equal(wsb_put(out, 127, 0, 1, a, 125), 127);
	/* used beyond cap (a caller's mistake) adds nothing */
	assert_int_equal(wsb_put(out, 10, 20, 1, a, 1), 0);
}

static void test_sse_messages_go_as_they_are(void **state)
{
	unsigned char out[64];
	size_t used = wsb_put(out, sizeof out, 0, 0, "id: 1\ndata: {}\n\n", 16);
	assert_int_equal(used, 16);
	used = wsb_put(out, sizeof out, used, 0, "id: 2\ndata: []\n\n", 16);
	assert_int_equal(used, 32);
	assert_memory_equal(out, "id: 1\ndata: {}\n\nid: 2\ndata: []\n\n", 32);
	assert_int_equal(wsb_put(out, sizeof out, used, 0, "x", 33), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_header_lengths),
	    cmocka_unit_test(test_batch_keeps_messages_whole_and_in_order),
	    cmocka_unit_test(test_a_message_that_does_not_fit_is_not_cut),
	    cmocka_unit_test(test_sse_messages_go_as_they_are),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
