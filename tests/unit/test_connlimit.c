/* tests/unit/test_connlimit: connection counting per address and in total
 * (lib/connlimit), against a plain model under many random opens/closes. */
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "lib/connlimit.h"

static void addr_of(int n, unsigned char a[16])
{
	memset(a, 0, 16);
	a[10] = a[11] = 0xff; /* IPv4-mapped 127.0.x.y */
	a[12] = 127;
	a[14] = (unsigned char)(n >> 8);
	a[15] = (unsigned char)n;
}

static void test_caps(void **state)
{
	struct connlimit *c = connlimit_new(2, 3);
	unsigned char a[16], b[16];
	addr_of(1, a);
	addr_of(2, b);
	assert_int_equal(connlimit_check(c, a), CONNLIMIT_OK);
	connlimit_add(c, 1, a);
	connlimit_add(c, 2, a);
	assert_int_equal(connlimit_check(c, a), CONNLIMIT_PER_ADDR);
	assert_int_equal(connlimit_check(c, b), CONNLIMIT_OK);
	connlimit_add(c, 3, b);
	assert_int_equal(connlimit_check(c, b), CONNLIMIT_TOTAL);
	assert_int_equal(connlimit_total(c), 3);
	connlimit_remove(c, 1);
	connlimit_remove(c, 1);  /* twice: ignored */
	connlimit_remove(c, 99); /* unknown: ignored */
	assert_int_equal(connlimit_total(c), 2);
	assert_int_equal(connlimit_count(c, a), 1);
	assert_int_equal(connlimit_check(c, a), CONNLIMIT_OK);
	connlimit_add(c, 3, a); /* an id counted again moves */
	assert_int_equal(connlimit_count(c, b), 0);
	assert_int_equal(connlimit_count(c, a), 2);
	assert_int_equal(connlimit_total(c), 2);
	connlimit_free(c);
}

static void test_random_against_model(void **state)
{
	enum { IDS = 5000, ADDRS = 300 };
	static int where[IDS]; /* address + 1 of open id, or 0 */
	static int model[ADDRS];
	struct connlimit *c = connlimit_new(1000000, 1000000);
	unsigned char a[16];
	int total = 0;
	srand(7);
	for (int step = 0; step < 200000; step++) {
		int id = rand() % IDS;
		if (where[id]) {
			connlimit_remove(c, (uint64_t)id + 1);
			model[where[id] - 1]--;
			where[id] = 0;
			total--;
		} else {
			int ad = rand() % ADDRS;
			addr_of(ad, a);
			connlimit_add(c, (uint64_t)id + 1, a);
			model[ad]++;
			where[id] = ad + 1;
			total++;
		}
		if (step % 997 == 0)
			for (int k = 0; k < ADDRS; k++) {
				addr_of(k, a);
				assert_int_equal(connlimit_count(c, a), model[k]);
			}
	}
	assert_int_equal(connlimit_total(c), total);
	for (int id = 0; id < IDS; id++)
		connlimit_remove(c, (uint64_t)id + 1);
	assert_int_equal(connlimit_total(c), 0);
	for (int k = 0; k < ADDRS; k++) {
		addr_of(k, a);
		assert_int_equal(connlimit_count(c, a), 0);
	}
	connlimit_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_caps),
	    cmocka_unit_test(test_random_against_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
