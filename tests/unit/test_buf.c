/* tests/unit/test_buf: the growable text buffer (lib/buf): appends that
 * grow it many times, formatting longer than any stack probe, free and
 * reuse. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "lib/buf.h"

static void test_add_grows(void **state)
{
	struct buf b = {0};
	char want[20000];
	size_t wl = 0;
	for (int i = 0; i < 2000; i++) {
		char piece[16];
		snprintf(piece, sizeof piece, "%d,", i);
		buf_add(&b, piece);
		memcpy(want + wl, piece, strlen(piece));
		wl += strlen(piece);
		assert_int_equal(b.len, wl);
		assert_true(b.cap > b.len);
		assert_int_equal(b.p[b.len], 0);
	}
	want[wl] = 0;
	assert_string_equal(b.p, want);
	assert_int_equal(strlen(b.p), b.len);
	buf_free(&b);
	assert_null(b.p);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
}

static void test_addn(void **state)
{
	struct buf b = {0};
	buf_addn(&b, "abcdef", 3);
	assert_int_equal(b.len, 3);
	assert_string_equal(b.p, "abc");
	/* bytes after n are never read; NUL bytes inside are kept */
	buf_addn(&b, "x\0y", 3);
	assert_int_equal(b.len, 6);
	assert_memory_equal(b.p, "abcx\0y", 7);
	/* n = 0 on an empty buffer still gives a valid empty string */
	struct buf e = {0};
	buf_addn(&e, "zzz", 0);
	assert_non_null(e.p);
	assert_int_equal(e.len, 0);
	assert_string_equal(e.p, "");
	buf_add(&e, "");
	assert_string_equal(e.p, "");
	buf_free(&e);
	/* one large append at once */
	char *big = malloc(100001);
	assert_non_null(big);
	for (int i = 0; i < 100000; i++)
		big[i] = (char)('a' + i % 26);
	big[100000] = 0;
	buf_addn(&b, big, 100000);
	assert_int_equal(b.len, 100006);
	assert_memory_equal(b.p + 6, big, 100000);
	assert_int_equal(b.p[b.len], 0);
	/* many single bytes */
	for (int i = 0; i < 5000; i++)
		buf_addn(&b, &big[i], 1);
	assert_int_equal(b.len, 105006);
	assert_memory_equal(b.p + 100006, big, 5000);
	free(big);
	buf_free(&b);
}

static void test_addf(void **state)
{
	struct buf b = {0};
	buf_addf(&b, "%d-%s-%lld", 42, "x", (long long)-7);
	assert_string_equal(b.p, "42-x--7");
	assert_int_equal(b.len, 7);
	buf_addf(&b, "%s", "");
	assert_int_equal(b.len, 7);
	buf_addf(&b, "[%5.2f]", 3.14159);
	assert_string_equal(b.p, "42-x--7[ 3.14]");
	buf_free(&b);

	/* formatting a string longer than 4 KiB, several times */
	char *longs = malloc(9001);
	assert_non_null(longs);
	for (int i = 0; i < 9000; i++)
		longs[i] = (char)('A' + i % 23);
	longs[9000] = 0;
	buf_add(&b, "<");
	buf_addf(&b, "%s|%d|%s", longs, 123, longs);
	assert_int_equal(b.len, 1 + 9000 + 5 + 9000);
	assert_int_equal(b.p[0], '<');
	assert_memory_equal(b.p + 1, longs, 9000);
	assert_memory_equal(b.p + 9001, "|123|", 5);
	assert_memory_equal(b.p + 9006, longs, 9000);
	assert_int_equal(b.p[b.len], 0);
	assert_int_equal(strlen(b.p), b.len);
	/* width padding past 4 KiB */
	buf_free(&b);
	buf_addf(&b, "%6000s", "r");
	assert_int_equal(b.len, 6000);
	assert_int_equal(b.p[0], ' ');
	assert_int_equal(b.p[5999], 'r');
	/* many formatted appends */
	buf_free(&b);
	for (int i = 0; i < 3000; i++)
		buf_addf(&b, "%04d;", i);
	assert_int_equal(b.len, 3000 * 5);
	assert_memory_equal(b.p, "0000;0001;", 10);
	assert_memory_equal(b.p + 2999 * 5, "2999;", 5);
	assert_int_equal(b.p[b.len], 0);
	free(longs);
	buf_free(&b);
}

static void test_free_and_reuse(void **state)
{
	struct buf b = {0};
	buf_free(&b); /* on an empty buffer: fine */
	assert_null(b.p);
	for (int round = 0; round < 5; round++) {
		for (int i = 0; i < 100 * (round + 1); i++)
			buf_add(&b, "0123456789");
		assert_int_equal(b.len, 1000 * (size_t)(round + 1));
		assert_int_equal(strlen(b.p), b.len);
		buf_free(&b);
		assert_null(b.p);
		assert_int_equal(b.len, 0);
		assert_int_equal(b.cap, 0);
		buf_addf(&b, "round %d", round);
		char want[32];
		snprintf(want, sizeof want, "round %d", round);
		assert_string_equal(b.p, want);
		buf_free(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_add_grows),
	    cmocka_unit_test(test_addn),
	    cmocka_unit_test(test_addf),
	    cmocka_unit_test(test_free_and_reuse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
