/* tests/unit/test_wsop: WebSocket op decoding and the client frame header
 * scanner (http/wsop, pure functions, no lws). */
#include <string.h>
#include "testutil.h"
#include "http/wsop.h"

static int decode(const char *text, struct wsop *op, struct fe_err *e)
{
	memset(e, 0, sizeof *e);
	return wsop_decode(text, strlen(text), op, e);
}

static void test_decode_ops(void **state)
{
	struct wsop op;
	struct fe_err e;
	assert_int_equal(
	    decode("{\"op\":\"send\",\"chat_id\":7,\"content\":\" hi \",\"idempotency_key\":\"k1\","
	           "\"reply_to\":3,\"files\":[4,5]}",
	           &op, &e),
	    0);
	assert_int_equal(op.kind, WSOP_SEND);
	assert_int_equal(op.chat_id, 7);
	assert_string_equal(op.send.content, "hi");
	assert_string_equal(op.key, "k1");
	assert_string_equal(op.send.idempotency_key, "k1");
	assert_int_equal(op.send.reply_to, 3);
	assert_int_equal(op.send.nfiles, 2);
	assert_int_equal(op.send.files[1], 5);
	wsop_free(&op);
	/* file urls as HTTP takes them (http/send_decode), resolved later */
	assert_int_equal(
	    decode("{\"op\":\"send\",\"chat_id\":7,\"files\":[4,\"/api/files/ab.png\"]}", &op, &e), 0);
	assert_int_equal(op.send.nfiles, 2);
	assert_int_equal(op.send.files[0], 4);
	assert_null(op.send.file_urls[0]);
	assert_string_equal(op.send.file_urls[1], "/api/files/ab.png");
	wsop_free(&op);
	assert_int_equal(decode("{\"op\":\"send\",\"chat_id\":7,\"files\":[1.5]}", &op, &e), FE_EINVAL);
	assert_string_equal(e.field, "files");
	assert_string_equal(e.message, "files must hold file ids or urls");
	wsop_free(&op);
	assert_int_equal(decode("{\"op\":\"send\",\"chat_id\":7}", &op, &e), 0);
	assert_string_equal(op.send.content, "");
	assert_null(op.key);
	wsop_free(&op);
	assert_int_equal(decode("{\"op\":\"typing\",\"chat_id\":2,\"state\":\"stop\"}", &op, &e), 0);
	assert_int_equal(op.kind, WSOP_TYPING);
	assert_int_equal(op.typing_on, 0);
	wsop_free(&op);
	assert_int_equal(decode("{\"op\":\"read\",\"chat_id\":2,\"message_id\":9}", &op, &e), 0);
	assert_int_equal(op.message_id, 9);
	wsop_free(&op);
	assert_int_equal(decode("{\"op\":\"auth\",\"token\":\"a.b.c\"}", &op, &e), 0);
	assert_string_equal(op.token, "a.b.c");
	wsop_free(&op);
	assert_int_equal(decode("{\"op\":\"dance\"}", &op, &e), 0);
	assert_int_equal(op.kind, WSOP_UNKNOWN);
	assert_string_equal(op.name, "dance");
	wsop_free(&op);
}

static void test_decode_errors(void **state)
{
	struct wsop op;
	struct fe_err e;
	const char *bad[] = {"", "nope", "[1]", "{\"chat_id\":1}", "{\"op\":5}", "\"op\""};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(decode(bad[i], &op, &e), FE_EINVAL);
		assert_string_equal(e.code, "INVALID_JSON");
		assert_null(op.name);
		wsop_free(&op);
	}
	assert_int_equal(wsop_decode("{\"op\":\"ping\"}\xff", 14, &op, &e), FE_EINVAL); /* not UTF-8 */
	wsop_free(&op);
	/* a send's errors keep its key, whichever field is wrong */
	assert_int_equal(decode("{\"op\":\"send\",\"idempotency_key\":\"k9\",\"chat_id\":\"x\"}", &op, &e),
	                 FE_EINVAL);
	assert_string_equal(op.name, "send");
	assert_string_equal(op.key, "k9");
	assert_string_equal(e.field, "chat_id");
	wsop_free(&op);
	assert_int_equal(
	    decode("{\"op\":\"send\",\"chat_id\":1,\"idempotency_key\":\"k8\",\"files\":\"no\"}", &op, &e),
	    FE_EINVAL);
	assert_string_equal(op.key, "k8");
	wsop_free(&op);
	assert_int_equal(decode("{\"op\":\"typing\",\"chat_id\":1,\"state\":\"maybe\"}", &op, &e), FE_EINVAL);
	assert_string_equal(e.field, "state");
	wsop_free(&op);
	assert_int_equal(decode("{\"op\":\"auth\"}", &op, &e), FE_EINVAL);
	wsop_free(&op);
}

/* A NUL character, raw or as a \u0000 escape, would cut the value (a send
 * stored cut short): refused as in request bodies, naming the op and key;
 * the text \\u0000 (an escaped backslash) is fine. Found by fuzz_wsop. */
static void test_decode_refuses_nul(void **state)
{
	struct wsop op;
	struct fe_err e;
	assert_int_equal(
	    decode("{\"op\":\"send\",\"chat_id\":1,\"idempotency_key\":\"k7\",\"content\":\"a\\u0000b\"}",
	           &op, &e),
	    FE_EINVAL);
	assert_string_equal(e.code, "INVALID_JSON");
	assert_string_equal(op.name, "send");
	assert_string_equal(op.key, "k7");
	wsop_free(&op);
	const char raw[] = "{\"op\":\"presence\",\"status\":\"away\0x\"}";
	memset(&e, 0, sizeof e);
	assert_int_equal(wsop_decode(raw, sizeof raw - 1, &op, &e), FE_EINVAL);
	assert_string_equal(e.code, "INVALID_JSON");
	wsop_free(&op);
	assert_int_equal(decode("{\"op\":\"send\",\"chat_id\":1,\"content\":\"C:\\\\u0000\"}", &op, &e), 0);
	assert_string_equal(op.send.content, "C:\\u0000");
	wsop_free(&op);
}

/* A frame is one JSON value: a second one after it is refused, not dropped
 * (cJSON_ParseWithLength stops after the first value; found by fuzz_wsop). */
static void test_decode_refuses_trailing(void **state)
{
	struct wsop op;
	struct fe_err e;
	const char *bad[] = {"{\"op\":\"ping\"}{\"op\":\"send\",\"chat_id\":1}", "{\"op\":\"ping\"} x",
	                     "{\"op\":\"ping\"}]"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(decode(bad[i], &op, &e), FE_EINVAL);
		assert_string_equal(e.code, "INVALID_JSON");
		wsop_free(&op);
	}
	assert_int_equal(decode("{\"op\":\"ping\"} \r\n\t", &op, &e), 0);
	assert_int_equal(op.kind, WSOP_PING);
	wsop_free(&op);
}

/* Ids far outside int64_t (1e300, or 1e999 which parses as infinity) are
 * refused before any conversion to an integer (UBSan reported the
 * conversion in jint; found by fuzz_wsop). */
static void test_decode_huge_numbers(void **state)
{
	struct wsop op;
	struct fe_err e;
	const char *bad[] = {"{\"op\":\"send\",\"chat_id\":1e300}", "{\"op\":\"send\",\"chat_id\":-1e300}",
	                     "{\"op\":\"read\",\"chat_id\":1,\"message_id\":1e999}",
	                     "{\"op\":\"typing\",\"chat_id\":9.3e18,\"state\":\"start\"}"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(decode(bad[i], &op, &e), FE_EINVAL);
		assert_string_equal(e.code, "VALIDATION_ERROR");
		wsop_free(&op);
	}
}

static void test_frame_scan(void **state)
{
	struct wsframe_scan st = {0};
	size_t at = 99;
	/* masked text "hi", masked 200-byte binary (16-bit length), masked empty ping */
	unsigned char ok[2 + 4 + 2 + 4 + 4 + 200 + 2 + 4];
	size_t n = 0;
	ok[n++] = 0x81, ok[n++] = 0x82, n += 4, ok[n++] = 'h', ok[n++] = 'i';
	ok[n++] = 0x82, ok[n++] = 0xfe, ok[n++] = 0, ok[n++] = 200, n += 4, n += 200;
	ok[n++] = 0x89, ok[n++] = 0x80, n += 4;
	assert_int_equal(n, sizeof ok);
	/* byte by byte and all at once: the same verdict */
	for (size_t i = 0; i < n; i++)
		assert_int_equal(wsframe_scan(&st, ok + i, 1, &at), WSF_OK);
	assert_int_equal(st.state, 0);
	memset(&st, 0, sizeof st);
	assert_int_equal(wsframe_scan(&st, ok, n, &at), WSF_OK);
	/* then an unmasked frame: the violation names its start */
	unsigned char bad[sizeof ok + 3];
	memcpy(bad, ok, sizeof ok);
	bad[n] = 0x81, bad[n + 1] = 0x01, bad[n + 2] = 'x';
	memset(&st, 0, sizeof st);
	assert_int_equal(wsframe_scan(&st, bad, sizeof bad, &at), WSF_UNMASKED);
	assert_int_equal(at, n);
	/* RSV1 */
	unsigned char rsv[] = {0xc1, 0x80, 1, 2, 3, 4};
	memset(&st, 0, sizeof st);
	assert_int_equal(wsframe_scan(&st, rsv, sizeof rsv, &at), WSF_RSV);
	assert_int_equal(at, 0);
	/* a header split across reads: the frame began in the earlier bytes */
	unsigned char a[] = {0x81}, b[] = {0x02, 'o', 'k'};
	memset(&st, 0, sizeof st);
	assert_int_equal(wsframe_scan(&st, a, 1, &at), WSF_OK);
	assert_int_equal(wsframe_scan(&st, b, sizeof b, &at), WSF_UNMASKED);
	assert_int_equal(at, 0);
	/* a 64-bit length is skipped across reads */
	unsigned char big[] = {0x82, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 9, 9, 9, 9};
	memset(&st, 0, sizeof st);
	assert_int_equal(wsframe_scan(&st, big, sizeof big, &at), WSF_OK);
	assert_int_equal(st.left, 65536);
	unsigned char zeros[4096] = {0};
	for (int i = 0; i < 16; i++)
		assert_int_equal(wsframe_scan(&st, zeros, sizeof zeros, &at), WSF_OK);
	assert_int_equal(st.state, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decode_ops),
	    cmocka_unit_test(test_decode_errors),
	    cmocka_unit_test(test_decode_refuses_nul),
	    cmocka_unit_test(test_decode_huge_numbers),
	    cmocka_unit_test(test_decode_refuses_trailing),
	    cmocka_unit_test(test_frame_scan),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
