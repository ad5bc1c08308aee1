/* tests/unit/test_utf8: strict UTF-8 validation (RFC 3629), decoding of
 * any bytes, code point counting and control-character detection
 * (lib/utf8). */
#include <string.h>
#include "testutil.h"
#include "lib/utf8.h"

static int valid(const char *s)
{
	return utf8_valid(s, strlen(s));
}

static void test_valid_sequences(void **state)
{
	assert_true(utf8_valid("", 0));
	assert_true(valid("hello, world"));
	assert_true(valid("\x7f"));
	assert_true(valid("\xc2\x80"));         /* U+0080, smallest 2-byte */
	assert_true(valid("caf\xc3\xa9"));      /* é */
	assert_true(valid("\xdf\xbf"));         /* U+07FF */
	assert_true(valid("\xe0\xa0\x80"));     /* U+0800, smallest 3-byte */
	assert_true(valid("\xe2\x82\xac"));     /* € */
	assert_true(valid("\xed\x9f\xbf"));     /* U+D7FF, just below the surrogates */
	assert_true(valid("\xee\x80\x80"));     /* U+E000, just above */
	assert_true(valid("\xef\xbf\xbf"));     /* U+FFFF */
	assert_true(valid("\xf0\x90\x80\x80")); /* U+10000, smallest 4-byte */
	assert_true(valid("\xf0\x9f\x98\x80")); /* 😀 */
	assert_true(valid("\xf4\x8f\xbf\xbf")); /* U+10FFFF, the last code point */
	assert_true(valid("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z"));
}

static void test_overlongs(void **state)
{
	assert_false(valid("\xc0\x80"));         /* NUL in two bytes */
	assert_false(valid("\xc0\xaf"));         /* '/' */
	assert_false(valid("\xc1\xbf"));         /* U+007F in two bytes */
	assert_false(valid("\xe0\x80\x80"));     /* NUL in three bytes */
	assert_false(valid("\xe0\x9f\xbf"));     /* U+07FF in three bytes */
	assert_false(valid("\xf0\x80\x80\x80")); /* NUL in four bytes */
	assert_false(valid("\xf0\x8f\xbf\xbf")); /* U+FFFF in four bytes */
}

static void test_surrogates_and_range(void **state)
{
	assert_false(valid("\xed\xa0\x80"));             /* U+D800 */
	assert_false(valid("\xed\xbf\xbf"));             /* U+DFFF */
	assert_false(valid("\xed\xa0\xbd\xed\xb8\x80")); /* a CESU-8 pair */
	assert_false(valid("\xf4\x90\x80\x80"));         /* U+110000 */
	assert_false(valid("\xf7\xbf\xbf\xbf"));
	assert_false(valid("\xf8\x88\x80\x80\x80")); /* 5-byte form */
	assert_false(valid("\xfc\x84\x80\x80\x80\x80"));
	assert_false(valid("\xfe"));
	assert_false(valid("\xff"));
}

static void test_truncated(void **state)
{
	assert_false(valid("\xc3"));
	assert_false(valid("abc\xc3"));
	assert_false(valid("\xe2\x82"));
	assert_false(valid("\xe2"));
	assert_false(valid("\xf0\x9f\x98"));
	assert_false(valid("\xf0\x9f"));
	/* a full sequence cut by len */
	assert_false(utf8_valid("\xe2\x82\xac", 2));
	assert_true(utf8_valid("\xe2\x82\xac", 3));
	assert_false(utf8_valid("a\xf0\x9f\x98\x80", 4));
	/* len stops before a bad byte */
	assert_true(utf8_valid("ab\xff", 2));
	/* a lead byte followed by a non-continuation */
	assert_false(valid("\xc3("));
	assert_false(valid("\xe2(\xa1"));
	assert_false(valid("\xe2\x82("));
	assert_false(valid("\xf0\x9f\x98z"));
	assert_false(valid("\xc3\xc3\xa9"));
}

static void test_lone_continuation(void **state)
{
	assert_false(valid("\x80"));
	assert_false(valid("\xbf"));
	assert_false(valid("a\x80z"));
	assert_false(valid("\xc3\xa9\xa9")); /* one continuation too many */
	assert_false(valid("\xe2\x82\xac\x80"));
}

static void test_chars(void **state)
{
	assert_int_equal(utf8_chars(""), 0);
	assert_int_equal(utf8_chars("abc"), 3);
	assert_int_equal(utf8_chars("h\xc3\xa9llo"), 5);
	assert_int_equal(utf8_chars("\xe2\x82\xac"), 1);
	assert_int_equal(utf8_chars("\xf0\x9f\x98\x80"), 1);
	assert_int_equal(utf8_chars("\xf0\x9f\x98\x80"
	                            "a\xe2\x82\xac"),
	                 3);
	assert_int_equal(utf8_chars("a\nb"), 3);
	char big[301];
	for (int i = 0; i < 100; i++)
		memcpy(big + 3 * i, "\xe2\x82\xac", 3);
	big[300] = 0;
	assert_int_equal(utf8_chars(big), 100);
}

static void test_controls(void **state)
{
	assert_int_equal(utf8_has_controls("", 0), 0);
	assert_int_equal(utf8_has_controls("plain text", 0), 0);
	assert_int_equal(utf8_has_controls("plain text", 1), 0);
	assert_int_equal(utf8_has_controls("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 0), 0);
	/* newline and tab only with allow_newlines */
	assert_int_equal(utf8_has_controls("a\nb", 0), 1);
	assert_int_equal(utf8_has_controls("a\nb", 1), 0);
	assert_int_equal(utf8_has_controls("a\tb", 0), 1);
	assert_int_equal(utf8_has_controls("a\tb", 1), 0);
	/* other C0 controls never */
	assert_int_equal(utf8_has_controls("a\rb", 1), 1);
	assert_int_equal(utf8_has_controls("\x01", 1), 1);
	assert_int_equal(utf8_has_controls("x\x1b[31m", 1), 1);
	assert_int_equal(utf8_has_controls("end\x1f", 0), 1);
	/* DEL */
	assert_int_equal(utf8_has_controls("a\x7f", 0), 1);
	assert_int_equal(utf8_has_controls("a\x7f", 1), 1);
	/* C1 controls U+0080..U+009F */
	assert_int_equal(utf8_has_controls("\xc2\x80", 1), 1);
	assert_int_equal(utf8_has_controls("a\xc2\x85"
	                                   "b",
	                                   1),
	                 1); /* NEL */
	assert_int_equal(utf8_has_controls("\xc2\x9f", 0), 1);
	/* neighbours that are not controls */
	assert_int_equal(utf8_has_controls("\xc2\xa0", 0), 0);     /* NBSP */
	assert_int_equal(utf8_has_controls("\xc5\x85", 0), 0);     /* U+0145 */
	assert_int_equal(utf8_has_controls("\xe2\x80\xa6", 0), 0); /* … (continuation 0x80) */
	assert_int_equal(utf8_has_controls("\xe2\x80\x85", 0), 0); /* U+2005 */
}

static unsigned dec(const char *s, size_t *len)
{
	*len = 99;
	return utf8_decode(s, len);
}

static void test_decode(void **state)
{
	size_t l;
	assert_int_equal(dec("a", &l), 'a');
	assert_int_equal(l, 1);
	assert_int_equal(dec("", &l), 0);
	assert_int_equal(l, 1);
	assert_int_equal(dec("\xc3\xa9", &l), 0xe9);
	assert_int_equal(l, 2);
	assert_int_equal(dec("\xe6\x9d\xb1", &l), 0x6771); /* 東 */
	assert_int_equal(l, 3);
	assert_int_equal(dec("\xf0\x9f\x8e\x89", &l), 0x1f389);
	assert_int_equal(l, 4);
	/* a sequence cut by the end of the string: the lead byte alone, so a
	 * walker stops at the NUL instead of stepping over it */
	assert_int_equal(dec("\xe4", &l), 0xfffd);
	assert_int_equal(l, 1);
	assert_int_equal(dec("\xf0\x9f\x8e", &l), 0xfffd);
	assert_int_equal(l, 1);
	assert_int_equal(dec("\xe4"
	                     "ab",
	                     &l),
	                 0xfffd);
	assert_int_equal(l, 1);
	/* whatever utf8_valid refuses decodes as U+FFFD, one byte */
	static const char *bad[] = {"\x80",
	                            "\xbf",
	                            "\xc0\xaf",
	                            "\xc1\xbf",
	                            "\xe0\x80\xaf",
	                            "\xed\xa0\x80",
	                            "\xf4\x90\x80\x80",
	                            "\xf5\x80\x80\x80",
	                            "\xf8\x88\x80\x80\x80",
	                            "\xff"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(dec(bad[i], &l), 0xfffd);
		assert_int_equal(l, 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid_sequences),
	    cmocka_unit_test(test_overlongs),
	    cmocka_unit_test(test_surrogates_and_range),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_lone_continuation),
	    cmocka_unit_test(test_chars),
	    cmocka_unit_test(test_controls),
	    cmocka_unit_test(test_decode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
