/* lib/gzip: round trips through zlib (checked against a known gzip member
 * too), refusal of damaged input, and the Accept-Encoding rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "lib/gzip.h"

static void test_round_trip(void **state)
{
	size_t n = 20000;
	char *in = malloc(n), *gz, *out;
	size_t glen, olen;
	for (size_t i = 0; i < n; i++)
		in[i] = (char)("chat message text "[i % 18] + (i / 997) % 3);
	for (int level = 1; level <= 9; level += 4) {
		assert_int_equal(gzip_compress(in, n, level, &gz, &glen), 0);
		assert_true(glen < n / 4);
		assert_int_equal((unsigned char)gz[0], 0x1f); /* the gzip magic */
		assert_int_equal((unsigned char)gz[1], 0x8b);
		assert_int_equal(gzip_inflate(gz, glen, &out, &olen), 0);
		assert_int_equal(olen, n);
		assert_memory_equal(out, in, n);
		assert_int_equal(out[olen], 0);
		free(out);
		/* deterministic: the same input gives the same bytes */
		char *gz2;
		size_t glen2;
		assert_int_equal(gzip_compress(in, n, level, &gz2, &glen2), 0);
		assert_int_equal(glen2, glen);
		assert_memory_equal(gz2, gz, glen);
		free(gz2);
		free(gz);
	}
	/* empty input */
	assert_int_equal(gzip_compress("", 0, 6, &gz, &glen), 0);
	assert_int_equal(gzip_inflate(gz, glen, &out, &olen), 0);
	assert_int_equal(olen, 0);
	free(out);
	free(gz);
	free(in);
}

/* What `printf hello | gzip -n` writes: another implementation's member. */
static void test_inflate_foreign(void **state)
{
	static const unsigned char hello[] = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	                                      0x03, 0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x86,
	                                      0xa6, 0x10, 0x36, 0x05, 0x00, 0x00, 0x00};
	char *out;
	size_t olen;
	assert_int_equal(gzip_inflate(hello, sizeof hello, &out, &olen), 0);
	assert_int_equal(olen, 5);
	assert_string_equal(out, "hello");
	free(out);
}

static void test_inflate_refuses_damage(void **state)
{
	char *gz, *out = (char *)1;
	size_t glen, olen;
	const char *text = "a body that is long enough to compress, a body that is long enough";
	assert_int_equal(gzip_compress(text, strlen(text), 6, &gz, &glen), 0);
	/* cut short, a flipped byte in the data, a wrong CRC, trailing garbage,
	 * not gzip at all */
	assert_int_equal(gzip_inflate(gz, glen - 1, &out, &olen), -1);
	assert_null(out);
	char *bad = malloc(glen + 1);
	memcpy(bad, gz, glen);
	bad[12] ^= 0x55;
	assert_int_equal(gzip_inflate(bad, glen, &out, &olen), -1);
	memcpy(bad, gz, glen);
	bad[glen - 6] ^= 1;
	assert_int_equal(gzip_inflate(bad, glen, &out, &olen), -1);
	memcpy(bad, gz, glen);
	bad[glen] = 'x';
	assert_int_equal(gzip_inflate(bad, glen + 1, &out, &olen), -1);
	assert_int_equal(gzip_inflate(text, strlen(text), &out, &olen), -1);
	assert_int_equal(gzip_inflate("", 0, &out, &olen), -1);
	free(bad);
	free(gz);
}

static void test_accepted(void **state)
{
	static const char *yes[] = {
	    "gzip",         "GZIP",          "x-gzip", "gzip, deflate, br", "deflate, gzip;q=0.5", "gzip;q=1",
	    "gzip;q=1.0",   "gzip; q=0.001", "*",      "br, *;q=0.1",       "gzip;Q=0.5",          " \tgzip ",
	    "gzip;level=1", "gzip;q=0, gzip"};
	static const char *no[] = {"",           "identity",      "deflate", "br, deflate", "gzip;q=0",
	                           "gzip;q=0.0", "gzip; q=0.000", "*;q=0",   "gzip;q=0, *", "gzip;q=",
	                           "gzip;q=x",   "gzipx",         "xgzip",   "gzi",         "*;q=0, deflate",
	                           ",,,",        "gzip;q=-1"};
	assert_int_equal(gzip_accepted(NULL), 0);
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
		if (!gzip_accepted(yes[i]))
			fail_msg("should accept gzip: '%s'", yes[i]);
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
		if (gzip_accepted(no[i]))
			fail_msg("should not accept gzip: '%s'", no[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_inflate_foreign),
	    cmocka_unit_test(test_inflate_refuses_damage),
	    cmocka_unit_test(test_accepted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
