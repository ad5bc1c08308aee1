/* tests/unit/test_reqhead: the strict request-head scanner (http/reqhead):
 * what passes, what is refused with which status, byte by byte or at once. */
#include <stdio.h>
#include <string.h>
#include "testutil.h"
#include "http/reqhead.h"

/* Scans s in one call; returns the verdict and fills h. */
static int scan(struct reqhead *h, const char *s)
{
	size_t used;
	memset(h, 0, sizeof *h);
	return reqhead_feed(h, (const unsigned char *)s, strlen(s), &used);
}

/* Scans s one byte at a time; the verdict must match the one-call scan. */
static int scan_bytes(const char *s)
{
	struct reqhead h, h1;
	memset(&h, 0, sizeof h);
	int v = REQHEAD_MORE;
	size_t used;
	for (size_t i = 0; s[i] && v == REQHEAD_MORE; i++)
		v = reqhead_feed(&h, (const unsigned char *)s + i, 1, &used);
	assert_int_equal(v, scan(&h1, s));
	assert_int_equal(h.status, h1.status);
	return v;
}

static int status_of(const char *s)
{
	struct reqhead h;
	int v = scan(&h, s);
	scan_bytes(s);
	return v == REQHEAD_REFUSE ? h.status : v == REQHEAD_DONE ? 200 : 0;
}

static void test_accepts(void **state)
{
	struct reqhead h;
	size_t used;
	const char *ok = "GET /api/users/me?x=1&y=%41 HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer x.y.z\r\n"
	                 "X-Empty:\r\nContent-Length:  12 \r\n\r\nBODY";
	memset(&h, 0, sizeof h);
	assert_int_equal(reqhead_feed(&h, (const unsigned char *)ok, strlen(ok), &used), REQHEAD_DONE);
	assert_int_equal(used, strlen(ok) - 4); /* the body is not the head's */
	assert_string_equal(h.method, "GET");
	assert_int_equal(status_of(ok), 200);
	/* bare LF line ends, HTTP/1.0, the methods we route, a WebSocket upgrade */
	assert_int_equal(status_of("GET / HTTP/1.0\nHost: a\n\n"), 200);
	const char *methods[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
		char req[64];
		snprintf(req, sizeof req, "%s /x HTTP/1.1\r\n\r\n", methods[i]);
		assert_int_equal(status_of(req), 200);
	}
	assert_int_equal(status_of("GET /ws HTTP/1.1\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n\r\n"),
	                 200);
	assert_int_equal(status_of("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"),
	                 200); /* 411 later */
}

static void test_verdict_sticks(void **state)
{
	struct reqhead h;
	size_t used;
	assert_int_equal(scan(&h, "GET / HTTP/1.1\r\n\r\n"), REQHEAD_DONE);
	assert_int_equal(reqhead_feed(&h, (const unsigned char *)"FOO", 3, &used), REQHEAD_DONE);
	assert_int_equal(used, 0);
}

static void test_smuggling(void **state)
{
	struct reqhead h;
	assert_int_equal(status_of("POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n"),
	                 400);
	assert_int_equal(status_of("POST / HTTP/1.1\r\ncontent-length: 2\r\nCONTENT-LENGTH: 2\r\n\r\n"), 400);
	assert_int_equal(status_of("POST / HTTP/1.1\r\nContent-Length: 2, 2\r\n\r\n"), 400);
	assert_int_equal(status_of("POST / HTTP/1.1\r\nContent-Length: +2\r\n\r\n"), 400);
	assert_int_equal(status_of("POST / HTTP/1.1\r\nContent-Length:\r\n\r\n"), 400);
	assert_int_equal(
	    status_of("POST / HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
	assert_int_equal(
	    status_of("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n"), 400);
	assert_int_equal(scan(&h, "POST / HTTP/1.1\r\nTransfer-Encoding : chunked\r\n\r\n"), REQHEAD_REFUSE);
	assert_int_equal(h.status, 400);
	assert_non_null(strstr(h.message, "colon"));
	assert_int_equal(status_of("POST / HTTP/1.1\r\nContent-Length\t: 5\r\n\r\n"), 400);
	/* a line without a colon would swallow the next one in lws */
	assert_int_equal(status_of("POST / HTTP/1.1\r\nX-A\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
	assert_int_equal(status_of("GET / HTTP/1.1\r\nX-A: 1\r\n folded\r\n\r\n"), 400); /* obs-fold */
	assert_int_equal(status_of("GET / HTTP/1.1\r\nX-A: 1\r2\r\n\r\n"), 400);         /* bare CR */
	assert_int_equal(status_of("GET / HTTP/1.1\r\nX-A: 1\0002\r\n\r\n"), 0); /* NUL ends our string... */
	static const char nul[] = "GET / HTTP/1.1\r\nX-A: 1\0002\r\n\r\n";
	size_t used;
	memset(&h, 0, sizeof h);
	assert_int_equal(reqhead_feed(&h, (const unsigned char *)nul, sizeof nul - 1, &used), REQHEAD_REFUSE);
	assert_int_equal(h.status, 400);
}

static void test_methods_and_targets(void **state)
{
	struct reqhead h;
	assert_int_equal(scan(&h, "TRACE / HTTP/1.1\r\n\r\n"), REQHEAD_REFUSE);
	assert_int_equal(h.status, 405);
	assert_string_equal(h.code, "METHOD_NOT_ALLOWED");
	assert_non_null(h.allow);
	assert_int_equal(status_of("CONNECT a:443 HTTP/1.1\r\n\r\n"), 405);
	assert_int_equal(status_of("OPTIONS * HTTP/1.1\r\n\r\n"), 405);
	assert_int_equal(status_of("GET * HTTP/1.1\r\n\r\n"), 400);
	assert_int_equal(status_of("FOO / HTTP/1.1\r\n\r\n"), 501);
	assert_int_equal(status_of("get / HTTP/1.1\r\n\r\n"), 501); /* methods are case-sensitive */
	assert_int_equal(status_of("PROPFINDXYZW / HTTP/1.1\r\n\r\n"), 501);
	assert_int_equal(scan(&h, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), REQHEAD_REFUSE);
	assert_int_equal(h.status, 501);
	assert_int_equal(status_of("GET http://host/x HTTP/1.1\r\n\r\n"), 400);
	assert_int_equal(status_of("GET /a%00b HTTP/1.1\r\n\r\n"), 400);
	assert_int_equal(status_of("GET /a?b=%00 HTTP/1.1\r\n\r\n"), 400);
	assert_int_equal(status_of("GET /a%2 HTTP/1.1\r\n\r\n"), 400);
	assert_int_equal(status_of("GET /a%zz HTTP/1.1\r\n\r\n"), 400);
	assert_int_equal(status_of("GET /a%0a HTTP/1.1\r\n\r\n"), 200); /* %0a is not NUL */
	assert_int_equal(status_of("GET /\xc3\xa9 HTTP/1.1\r\n\r\n"), 400);
	assert_int_equal(status_of(" / HTTP/1.1\r\n\r\n"), 400);
	assert_int_equal(status_of("\r\nGET / HTTP/1.1\r\n\r\n"), 400);
	assert_int_equal(status_of("GET / HTTP/2.0\r\n\r\n"), 505);
	assert_int_equal(status_of("GET / HTTX/1.1\r\n\r\n"), 400);
	assert_int_equal(status_of("GET /\r\n\r\n"), 400);
	assert_int_equal(status_of("GET / HTTP/1.1\r\nUpgrade: h2c\r\n\r\n"), 400);
}

static void test_sizes(void **state)
{
	static char big[REQHEAD_MAX_BYTES * 2];
	/* exactly the limit passes, one more byte is 431 */
	const char *pre = "GET / HTTP/1.1\r\nX-Big: ";
	size_t k = strlen(pre), fill = REQHEAD_MAX_BYTES - k - 4;
	memcpy(big, pre, k);
	memset(big + k, 'a', fill);
	memcpy(big + k + fill, "\r\n\r\n", 5);
	assert_int_equal(strlen(big), REQHEAD_MAX_BYTES);
	assert_int_equal(status_of(big), 200);
	memcpy(big + k + fill, "a\r\n\r\n", 6);
	assert_int_equal(status_of(big), 431);
	/* a long target is 414 */
	memcpy(big, "GET /", 5);
	memset(big + 5, 'a', REQHEAD_MAX_BYTES);
	memcpy(big + 5 + REQHEAD_MAX_BYTES, " HTTP/1.1\r\n\r\n", 14);
	assert_int_equal(status_of(big), 414);
	/* escapes count as the byte they stand for: 1,500 escaped bytes pass */
	size_t k2 = (size_t)snprintf(big, sizeof big, "GET /s?q=");
	for (int i = 0; i < 1500; i++)
		k2 += (size_t)snprintf(big + k2, sizeof big - k2, "%%E4");
	snprintf(big + k2, sizeof big - k2, " HTTP/1.1\r\n\r\n");
	assert_true(strlen(big) > REQHEAD_MAX_BYTES);
	assert_int_equal(status_of(big), 200);
	/* too many fields */
	size_t n = (size_t)snprintf(big, sizeof big, "GET / HTTP/1.1\r\n");
	for (int i = 0; i <= REQHEAD_MAX_FIELDS; i++)
		n += (size_t)snprintf(big + n, sizeof big - n, "a%d:1\r\n", i);
	snprintf(big + n, sizeof big - n, "\r\n");
	assert_int_equal(status_of(big), 431);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accepts),   cmocka_unit_test(test_verdict_sticks),
	    cmocka_unit_test(test_smuggling), cmocka_unit_test(test_methods_and_targets),
	    cmocka_unit_test(test_sizes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
