/* tests/unit/test_timefmt: RFC 3339 formatting of milliseconds since the
 * epoch (lib/timefmt), including dates a 32-bit time_t cannot hold (after
 * 2038-01-19T03:14:07Z): armhf builds need a 64-bit time_t for them. */
#include <string.h>
#include "testutil.h"
#include "lib/timefmt.h"

static void expect(int64_t ms, const char *want)
{
	char out[32];
	memset(out, 'x', sizeof out);
	time_rfc3339(ms, out);
	assert_string_equal(out, want);
}

static void test_epoch_and_today(void **state)
{
	expect(0, "1970-01-01T00:00:00.000Z");
	expect(1764324000123, "2025-11-28T10:00:00.123Z");
}

static void test_after_2038(void **state)
{
	expect(2147483647000, "2038-01-19T03:14:07.000Z"); /* the last second of a 32-bit time_t */
	expect(2147483648000, "2038-01-19T03:14:08.000Z"); /* the first one past it */
	expect(2214131696789, "2040-02-29T12:34:56.789Z");
	expect(4294967296000, "2106-02-07T06:28:16.000Z"); /* past a 32-bit unsigned one too */
}

static void test_clock_is_past_2020(void **state)
{
	/* the wall clock read through a (64-bit) timespec */
	assert_true(time_now_ms() > 1577836800000); /* 2020-01-01 */
	int64_t a = time_mono_us(), b = time_mono_us();
	assert_true(b >= a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_epoch_and_today),
	    cmocka_unit_test(test_after_2038),
	    cmocka_unit_test(test_clock_is_past_2020),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
