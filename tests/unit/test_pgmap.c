/* tests/unit/test_pgmap: the PostgreSQL store's pure helpers
 * (adapters/pgmap): SQLSTATE to FE_E* mapping, which SQLSTATEs mean the
 * connection is gone, and the circuit breaker's backoff. */
#include "testutil.h"
#include "adapters/pgmap.h"
#include "lib/err.h"

static void test_constraint_codes(void **state)
{
	assert_int_equal(pg_map_sqlstate("23505"), FE_ECONFLICT); /* unique_violation */
	assert_int_equal(pg_map_sqlstate("23503"), FE_EINVAL);    /* foreign_key_violation */
	assert_int_equal(pg_map_sqlstate("23502"), FE_EINVAL);    /* not_null_violation */
	assert_int_equal(pg_map_sqlstate("23514"), FE_EINVAL);    /* check_violation */
	assert_int_equal(pg_map_sqlstate("22021"), FE_EINVAL);    /* bad UTF-8 */
}

static void test_unavailable_codes(void **state)
{
	assert_int_equal(pg_map_sqlstate(NULL), FE_EUNAVAIL); /* no answer at all */
	assert_int_equal(pg_map_sqlstate(""), FE_EUNAVAIL);
	assert_int_equal(pg_map_sqlstate("08006"), FE_EUNAVAIL); /* connection_failure */
	assert_int_equal(pg_map_sqlstate("57014"), FE_EUNAVAIL); /* statement timeout */
	assert_int_equal(pg_map_sqlstate("57P01"), FE_EUNAVAIL); /* admin_shutdown */
	assert_int_equal(pg_map_sqlstate("40P01"), FE_EUNAVAIL); /* deadlock_detected */
	assert_int_equal(pg_map_sqlstate("40001"), FE_EUNAVAIL); /* serialization_failure */
	assert_int_equal(pg_map_sqlstate("55P03"), FE_EUNAVAIL); /* lock timeout */
	assert_int_equal(pg_map_sqlstate("53300"), FE_EUNAVAIL); /* too_many_connections */
	assert_int_equal(pg_map_sqlstate("53100"), FE_ENOSPC);   /* disk_full */
}

static void test_other_codes(void **state)
{
	assert_int_equal(pg_map_sqlstate("42P01"), FE_EINTERNAL); /* undefined_table */
	assert_int_equal(pg_map_sqlstate("XX000"), FE_EINTERNAL);
}

static void test_lost(void **state)
{
	assert_true(pg_sqlstate_lost(NULL));
	assert_true(pg_sqlstate_lost("08003"));
	assert_true(pg_sqlstate_lost("57P01"));
	assert_true(pg_sqlstate_lost("57P02"));
	assert_true(pg_sqlstate_lost("57P03"));
	assert_false(pg_sqlstate_lost("57014")); /* a cancelled statement: the connection stays */
	assert_false(pg_sqlstate_lost("23505"));
	assert_false(pg_sqlstate_lost("55P03"));
}

static void test_backoff(void **state)
{
	assert_int_equal(pg_next_backoff(0), 100);
	assert_int_equal(pg_next_backoff(-5), 100);
	assert_int_equal(pg_next_backoff(100), 200);
	assert_int_equal(pg_next_backoff(200), 400);
	int ms = 0, steps = 0;
	while (ms < 5000 && steps < 100) {
		int next = pg_next_backoff(ms);
		assert_true(next > ms);
		ms = next;
		steps++;
	}
	assert_int_equal(ms, 5000); /* capped, reached in a few steps */
	assert_true(steps <= 8);
	assert_int_equal(pg_next_backoff(5000), 5000);
	assert_int_equal(pg_next_backoff(4000), 5000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_constraint_codes), cmocka_unit_test(test_unavailable_codes),
	    cmocka_unit_test(test_other_codes),      cmocka_unit_test(test_lost),
	    cmocka_unit_test(test_backoff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
