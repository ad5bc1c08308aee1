/* tests/unit/test_fts5_words: the tokens adapters/fts5_index indexes
 * (fts5_words: adapters/fts5_tokenize as a document, folded), including search queries that
 * are not valid UTF-8 (the query string of GET /api/search/messages is
 * URL-decoded into any bytes). Found by tests/fuzz/fuzz_search: a cut
 * sequence at the end of a term made the decoder step over the NUL and read
 * past the term's memory. */
#include <stdio.h>
#include <string.h>
#include "testutil.h"
#include "adapters/fts5_index.h"

static void join(const char *w, size_t n, void *arg)
{
	char *out = arg;
	size_t k = strlen(out);
	snprintf(out + k, 256 - k, "%s%.*s", k ? "|" : "", (int)n, w);
}

static const char *words(const char *text)
{
	static char out[256];
	out[0] = 0;
	fts5_words(text, join, out);
	return out;
}

static void test_words(void **state)
{
	assert_string_equal(words("The quick, brown fox!"), "the|quick|brown|fox");
	assert_string_equal(words("Café au lait"), "cafe|au|lait");
	assert_string_equal(words("東京タワー meeting"), "東京|京タ|タワ|ワー|ー|meeting");
	assert_string_equal(words("  ...  "), "");
}

static void test_invalid_bytes_separate(void **state)
{
	/* a lead byte whose sequence is cut: a separator on its own; before the
	 * fix it swallowed the next two bytes ("\xe4ab" became one word) */
	assert_string_equal(words("\xe4"
	                          "ab cd"),
	                    "ab|cd");
	assert_string_equal(words("x\xe6\x9d"
	                          "yz"),
	                    "x|yz");
	/* cut at the very end: nothing past the NUL is read (ASan replays of
	 * tests/fuzz/corpus/search show it) */
	assert_string_equal(words("ab\xf0\x9f"), "ab");
	assert_string_equal(words("\xe4"), "");
	/* stray continuation bytes and overlongs separate too */
	assert_string_equal(words("ab\x80"
	                          "cd\xc0\xaf"
	                          "ef"),
	                    "ab|cd|ef");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_words),
	    cmocka_unit_test(test_invalid_bytes_separate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
