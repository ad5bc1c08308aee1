/* tests/unit/test_router: the pure route matcher (http/router:
 * router_match_path) and the Range header parser (http/range), both
 * extracted from their lws callers so tests/fuzz can drive them. */
#include <string.h>
#include "testutil.h"
#include "http/range.h"
#include "http/router.h"

static struct route_cap caps[MAX_CAPS];
static int ncaps, idx;

static int m(enum method me, const char *path)
{
	memset(caps, 0, sizeof caps);
	ncaps = -1;
	idx = -1;
	return router_match_path(me, path, caps, &ncaps, &idx);
}

static void test_match_and_captures(void **state)
{
	assert_int_equal(m(M_POST, "/api/signin"), 0);
	assert_string_equal(routes[idx].pattern, "/api/signin");
	assert_int_equal(ncaps, 0);
	assert_int_equal(m(M_DELETE, "/api/chat/7/members/9"), 0);
	assert_string_equal(routes[idx].pattern, "/api/chat/{id}/members/{user_id}");
	assert_int_equal(ncaps, 2);
	assert_string_equal(caps[0].name, "id");
	assert_string_equal(caps[0].value, "7");
	assert_string_equal(caps[1].name, "user_id");
	assert_string_equal(caps[1].value, "9");
	/* HEAD finds the GET route */
	assert_int_equal(m(M_HEAD, "/api/users/me"), 0);
	assert_int_equal(routes[idx].method, M_GET);
}

static void test_misses(void **state)
{
	/* the path exists with other methods: 405, no captures left behind */
	assert_int_equal(m(M_PUT, "/api/chat/1"), FE_EMETHOD);
	assert_int_equal(ncaps, 0);
	assert_int_equal(m(M_GET, "/api/nothing-here"), FE_ENOTFOUND);
	assert_int_equal(ncaps, 0);
	/* an empty segment, a trailing slash, a segment too long for a capture */
	assert_int_equal(m(M_GET, "/api/chat//messages"), FE_ENOTFOUND);
	assert_int_equal(m(M_GET, "/api/users/me/"), FE_ENOTFOUND);
	char longp[400] = "/api/chat/";
	memset(longp + strlen(longp), '7', 300);
	assert_int_equal(m(M_GET, longp), FE_ENOTFOUND);
	/* outside /api/ the static catch-all answers, without captures */
	assert_int_equal(m(M_GET, "/index.html"), 0);
	assert_string_equal(routes[idx].pattern, "*");
	assert_int_equal(ncaps, 0);
	assert_int_equal(m(M_GET, "/api"), FE_ENOTFOUND);
}

static void test_range(void **state)
{
	int64_t off = -7, len = -7;
	assert_int_equal(range_parse("bytes=0-3", 10, &off, &len), 1);
	assert_int_equal(off, 0);
	assert_int_equal(len, 4);
	assert_int_equal(range_parse("bytes=-2", 10, &off, &len), 1);
	assert_int_equal(off, 8);
	assert_int_equal(len, 2);
	assert_int_equal(range_parse("bytes=5-", 10, &off, &len), 1);
	assert_int_equal(off, 5);
	assert_int_equal(len, 5);
	assert_int_equal(range_parse("bytes=3-999", 10, &off, &len), 1); /* cut to the file */
	assert_int_equal(len, 7);
	assert_int_equal(range_parse("bytes=-99", 10, &off, &len), 1); /* all of it */
	assert_int_equal(off, 0);
	assert_int_equal(len, 10);
	assert_int_equal(range_parse("bytes=10-", 10, &off, &len), -1);
	assert_int_equal(range_parse("bytes=-1", 0, &off, &len), -1);
	off = len = -7;
	assert_int_equal(range_parse("bytes=0-1,4-5", 10, &off, &len), 0); /* several: the whole file */
	assert_int_equal(range_parse("bytes=5-3", 10, &off, &len), 0);
	assert_int_equal(range_parse("items=0-1", 10, &off, &len), 0);
	assert_int_equal(range_parse("bytes=x", 10, &off, &len), 0);
	assert_int_equal(range_parse("bytes=-0", 10, &off, &len), 0);
	assert_int_equal(off, -7); /* untouched when 0 */
	assert_int_equal(len, -7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_match_and_captures),
	    cmocka_unit_test(test_misses),
	    cmocka_unit_test(test_range),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
