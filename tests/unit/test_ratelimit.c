/* tests/unit/test_ratelimit: the two-bucket sliding-window limiter
 * (lib/ratelimit): limits, Retry-After, sliding, keys, reset, LRU bound;
 * and the per-user limits built on it (core/limits): one window per user
 * and action, 0 = off, the concurrent-search cap, refusal counters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "core/limits.h"
#include "lib/config.h"
#include "lib/ratelimit.h"

#define T0 1700000000000LL /* a realistic epoch in ms */

static void test_limit_then_retry_after(void **state)
{
	struct ratelimit *rl = ratelimit_new(5, 60000, 100);
	for (int i = 0; i < 5; i++)
		assert_int_equal(ratelimit_hit(rl, "10.0.0.1", T0 + i * 10), 0);
	int ra = ratelimit_hit(rl, "10.0.0.1", T0 + 100);
	assert_true(ra >= 1);
	assert_true(ra <= 61); /* never more than one window (+1 s of rounding) */
	ratelimit_free(rl);
}

static void test_retry_after_is_honest(void **state)
{
	/* at Retry-After the hit is allowed; one second earlier it is not */
	struct ratelimit *rl = ratelimit_new(3, 10000, 100);
	int64_t t = T0;
	for (int i = 0; i < 3; i++)
		assert_int_equal(ratelimit_hit(rl, "k", t), 0);
	int ra = ratelimit_hit(rl, "k", t);
	assert_true(ra >= 1 && ra <= 11);
	if (ra > 1)
		assert_true(ratelimit_hit(rl, "k", t + (ra - 1) * 1000LL) > 0);
	assert_int_equal(ratelimit_hit(rl, "k", t + ra * 1000LL), 0);
	ratelimit_free(rl);
}

static void test_short_window_retry_after_at_least_one(void **state)
{
	struct ratelimit *rl = ratelimit_new(1, 200, 10);
	assert_int_equal(ratelimit_hit(rl, "k", T0), 0);
	assert_int_equal(ratelimit_hit(rl, "k", T0 + 1), 1);
	assert_int_equal(ratelimit_hit(rl, "k", T0 + 1000), 0);
	ratelimit_free(rl);
}

static void test_refused_hits_not_counted(void **state)
{
	struct ratelimit *rl = ratelimit_new(2, 1000, 10);
	assert_int_equal(ratelimit_hit(rl, "k", T0), 0);
	assert_int_equal(ratelimit_hit(rl, "k", T0), 0);
	int ra = ratelimit_hit(rl, "k", T0 + 1);
	assert_true(ra >= 1);
	/* hammering while refused does not push the retry time further out */
	for (int i = 0; i < 500; i++)
		assert_true(ratelimit_hit(rl, "k", T0 + 2 + i) > 0);
	assert_int_equal(ratelimit_hit(rl, "k", T0 + 1 + ra * 1000LL), 0);
	ratelimit_free(rl);
}

static void test_window_slides(void **state)
{
	const int64_t w = 1000;
	struct ratelimit *rl = ratelimit_new(10, (unsigned)w, 10);
	int64_t b = (T0 / w + 1) * w; /* start of a bucket */
	for (int i = 0; i < 10; i++)
		assert_int_equal(ratelimit_hit(rl, "k", b + i), 0);
	assert_true(ratelimit_hit(rl, "k", b + 20) > 0);

	/* half a window into the next bucket the previous one weighs 1/2:
	 * 10 * 0.5 = 5, so five more hits fit */
	int allowed = 0;
	for (int i = 0; i < 20; i++)
		allowed += ratelimit_hit(rl, "k", b + w + w / 2) == 0;
	assert_int_equal(allowed, 5);

	/* two windows later everything has slid out */
	allowed = 0;
	for (int i = 0; i < 20; i++)
		allowed += ratelimit_hit(rl, "k", b + 3 * w) == 0;
	assert_int_equal(allowed, 10);

	/* much later: the full limit again */
	allowed = 0;
	for (int i = 0; i < 20; i++)
		allowed += ratelimit_hit(rl, "k", b + 100 * w) == 0;
	assert_int_equal(allowed, 10);
	ratelimit_free(rl);
}

static void test_no_burst_at_bucket_edge(void **state)
{
	/* a fixed window would allow 2 * limit around the boundary; the sliding
	 * estimate allows the limit (plus one, as 10 * 0.99 = 9.9 < 10) */
	const int64_t w = 60000;
	struct ratelimit *rl = ratelimit_new(10, (unsigned)w, 10);
	int64_t b = (T0 / w + 1) * w;
	int allowed = 0;
	for (int i = 0; i < 20; i++)
		allowed += ratelimit_hit(rl, "k", b + w - 10) == 0;
	for (int i = 0; i < 20; i++)
		allowed += ratelimit_hit(rl, "k", b + w + 10) == 0;
	assert_true(allowed >= 10 && allowed <= 11);
	ratelimit_free(rl);
}

static void test_independent_keys(void **state)
{
	struct ratelimit *rl = ratelimit_new(2, 60000, 100);
	assert_int_equal(ratelimit_hit(rl, "alice@example.com", T0), 0);
	assert_int_equal(ratelimit_hit(rl, "alice@example.com", T0), 0);
	assert_true(ratelimit_hit(rl, "alice@example.com", T0) > 0);
	assert_int_equal(ratelimit_hit(rl, "bob@example.com", T0), 0);
	assert_int_equal(ratelimit_hit(rl, "bob@example.com", T0), 0);
	assert_true(ratelimit_hit(rl, "bob@example.com", T0) > 0);
	assert_int_equal(ratelimit_hit(rl, "", T0), 0);
	assert_int_equal(ratelimit_hit(rl, "alice@example.co", T0), 0);
	assert_true(ratelimit_hit(rl, "alice@example.com", T0 + 1) > 0);
	ratelimit_free(rl);
}

static void test_reset(void **state)
{
	struct ratelimit *rl = ratelimit_new(1, 60000, 100);
	assert_int_equal(ratelimit_hit(rl, "a", T0), 0);
	assert_int_equal(ratelimit_hit(rl, "b", T0), 0);
	assert_true(ratelimit_hit(rl, "a", T0) > 0);
	ratelimit_reset(rl, "a");
	assert_int_equal(ratelimit_hit(rl, "a", T0), 0);
	assert_true(ratelimit_hit(rl, "a", T0) > 0);
	assert_true(ratelimit_hit(rl, "b", T0) > 0); /* other keys untouched */
	ratelimit_reset(rl, "never-seen");           /* no-op */
	ratelimit_reset(rl, "a");
	ratelimit_reset(rl, "a");
	assert_int_equal(ratelimit_hit(rl, "a", T0), 0);
	ratelimit_free(rl);
}

static void test_long_keys_truncated(void **state)
{
	char k1[300], k2[300];
	memset(k1, 'x', sizeof k1);
	k1[sizeof k1 - 1] = 0;
	memcpy(k2, k1, sizeof k2);
	k2[200] = 'y'; /* differs only after byte 127 */
	struct ratelimit *rl = ratelimit_new(1, 60000, 100);
	assert_int_equal(ratelimit_hit(rl, k1, T0), 0);
	assert_true(ratelimit_hit(rl, k2, T0) > 0);
	k2[100] = 'y'; /* now differs within the first 127 bytes */
	assert_int_equal(ratelimit_hit(rl, k2, T0), 0);
	ratelimit_free(rl);
}

static void test_lru_eviction(void **state)
{
	struct ratelimit *rl = ratelimit_new(1, 60000, 3);
	assert_int_equal(ratelimit_hit(rl, "a", T0), 0);
	assert_int_equal(ratelimit_hit(rl, "b", T0), 0);
	assert_int_equal(ratelimit_hit(rl, "c", T0), 0);
	assert_true(ratelimit_hit(rl, "a", T0) > 0);     /* a is now most recent */
	assert_int_equal(ratelimit_hit(rl, "d", T0), 0); /* evicts b, the LRU */
	assert_true(ratelimit_hit(rl, "a", T0) > 0);
	assert_true(ratelimit_hit(rl, "c", T0) > 0);
	assert_true(ratelimit_hit(rl, "d", T0) > 0);
	assert_int_equal(ratelimit_hit(rl, "b", T0), 0); /* forgotten: fresh again */
	ratelimit_free(rl);
}

static void test_max_keys_bound(void **state)
{
	/* many more keys than max_keys: only the most recent max_keys stay */
	enum { MAX = 100, N = 5000 };
	struct ratelimit *rl = ratelimit_new(1, 60000, MAX);
	char key[32];
	for (int i = 0; i < N; i++) {
		snprintf(key, sizeof key, "198.51.100.%d", i);
		assert_int_equal(ratelimit_hit(rl, key, T0), 0);
	}
	for (int i = N - MAX; i < N; i++) {
		snprintf(key, sizeof key, "198.51.100.%d", i);
		assert_true(ratelimit_hit(rl, key, T0) > 0);
	}
	for (int i = 0; i < N - MAX; i += 97) {
		snprintf(key, sizeof key, "198.51.100.%d", i);
		assert_int_equal(ratelimit_hit(rl, key, T0), 0);
	}
	ratelimit_free(rl);

	/* max_keys of 1 still works */
	rl = ratelimit_new(1, 60000, 1);
	assert_int_equal(ratelimit_hit(rl, "a", T0), 0);
	assert_true(ratelimit_hit(rl, "a", T0) > 0);
	assert_int_equal(ratelimit_hit(rl, "b", T0), 0);
	assert_int_equal(ratelimit_hit(rl, "a", T0), 0);
	ratelimit_free(rl);
}

static void test_random_retry_after_property(void **state)
{
	/* random traffic: every refusal's Retry-After is >= 1, within a window,
	 * still refused one second earlier, and allowed at that time */
	static const unsigned windows[] = {1000, 1500, 10000, 60000};
	static const unsigned limits[] = {1, 3, 5, 20};
	srand(12345);
	for (size_t wi = 0; wi < 4; wi++) {
		for (size_t li = 0; li < 4; li++) {
			unsigned w = windows[wi], limit = limits[li];
			struct ratelimit *rl = ratelimit_new(limit, w, 16);
			int64_t t = T0 + rand() % 100000;
			int refusals = 0;
			for (int i = 0; i < 2000; i++) {
				t += rand() % (2 * w / limit + 1);
				int ra = ratelimit_hit(rl, "k", t);
				if (ra == 0)
					continue;
				refusals++;
				assert_true(ra >= 1);
				assert_true((int64_t)ra * 1000 <= (int64_t)w + 1000);
				int64_t early = t + (ra - 1) * 1000LL;
				if (ra > 1)
					assert_true(ratelimit_hit(rl, "k", early) > 0);
				t += ra * 1000LL;
				assert_int_equal(ratelimit_hit(rl, "k", t), 0);
			}
			assert_true(refusals > 0);
			ratelimit_free(rl);
		}
	}
}

static void test_clock_backwards(void **state)
{
	struct ratelimit *rl = ratelimit_new(2, 1000, 10);
	assert_int_equal(ratelimit_hit(rl, "k", T0 + 5000), 0);
	assert_int_equal(ratelimit_hit(rl, "k", T0 + 5000), 0);
	int ra = ratelimit_hit(rl, "k", T0);
	assert_true(ra >= 1 && ra <= 2);
	assert_int_equal(ratelimit_hit(rl, "k", T0 + 7000), 0);
	ratelimit_free(rl);
	ratelimit_free(NULL);
}

/* ---- core/limits ---- */

static int64_t now_ms;
static int64_t clock_now(void)
{
	return now_ms;
}

static void limits_app(struct app *app, struct config *cfg)
{
	memset(app, 0, sizeof *app);
	config_defaults(cfg);
	cfg->send_rate = 3;
	cfg->upload_rate = 0; /* off */
	cfg->search_rate = 2;
	cfg->search_concurrency = 2;
	app->cfg = cfg;
	app->now_ms = clock_now;
	now_ms = T0;
	app->limits = limits_new(cfg, 100);
}

static void test_limits_per_user_and_action(void **state)
{
	struct app app;
	struct config cfg;
	limits_app(&app, &cfg);
	struct fe_err e = {0};
	for (int i = 0; i < 3; i++)
		assert_int_equal(limits_hit(&app, LIMIT_SEND, 7, &e), 0);
	assert_int_equal(limits_hit(&app, LIMIT_SEND, 7, &e), FE_ERATE);
	assert_string_equal(e.code, "RATE_LIMITED");
	assert_true(e.retry_after >= 1 && e.retry_after <= 61);
	assert_non_null(strstr(e.message, "messages"));
	/* another user, another action: their own windows */
	assert_int_equal(limits_hit(&app, LIMIT_SEND, 8, NULL), 0);
	assert_int_equal(limits_hit(&app, LIMIT_SEARCH, 7, NULL), 0);
	/* a limit of 0 is off */
	for (int i = 0; i < 1000; i++)
		assert_int_equal(limits_hit(&app, LIMIT_UPLOAD, 7, NULL), 0);
	assert_int_equal(limits_refused(app.limits, LIMIT_SEND), 1);
	assert_int_equal(limits_refused(app.limits, LIMIT_UPLOAD), 0);
	/* a minute later the window has slid */
	now_ms += 120000;
	assert_int_equal(limits_hit(&app, LIMIT_SEND, 7, NULL), 0);
	limits_free(app.limits);
	/* no limits at all: everything passes */
	app.limits = NULL;
	for (int i = 0; i < 10; i++)
		assert_int_equal(limits_hit(&app, LIMIT_SEND, 7, NULL), 0);
	assert_int_equal(limits_refused(NULL, LIMIT_SEND), 0);
	assert_string_equal(limits_name(LIMIT_SEARCH_RUNNING), "search_running");
}

/* ratelimit_verdict (the shared counters' decision) answers as ratelimit_hit
 * for the same counts: replay random hits and compare at every step */
static void test_verdict_matches_hit(void **state)
{
	srand(7);
	for (int round = 0; round < 20; round++) {
		unsigned limit = 1 + (unsigned)(rand() % 8), w = 1000 + (unsigned)(rand() % 5000);
		struct ratelimit *rl = ratelimit_new(limit, w, 10);
		uint32_t cur = 0, prev = 0;
		int64_t bucket = T0 / w, t = T0;
		for (int i = 0; i < 200; i++) {
			t += rand() % (int)(w / 3);
			int64_t b = t / w;
			if (b == bucket + 1) {
				prev = cur;
				cur = 0;
			} else if (b > bucket) {
				prev = cur = 0;
			}
			bucket = b;
			int want = ratelimit_verdict(limit, w, cur, prev, (uint64_t)(t - b * w));
			assert_int_equal(ratelimit_hit(rl, "k", t), want);
			if (!want)
				cur++;
		}
		ratelimit_free(rl);
	}
}

/* a fake shared-counters port: records the last call, refuses from the
 * limit-th hit of a key on */
static char fake_key[160];
static unsigned fake_limit, fake_window, fake_calls, fake_resets;
static int fake_hit(void *impl, const char *key, unsigned window_ms, unsigned limit, int64_t now)
{
	snprintf(fake_key, sizeof fake_key, "%s", key);
	fake_limit = limit;
	fake_window = window_ms;
	return ++fake_calls > limit ? 9 : 0;
}
static void fake_reset(void *impl, const char *key)
{
	fake_resets++;
}
static const struct counters_ops fake_ops = {fake_hit, fake_reset};

/* with shared counters (a cluster) core/limits counts there, under the
 * action's name and user id, with the configured rate; the in-memory
 * window is not used */
static void test_limits_use_shared_counters(void **state)
{
	struct app app;
	struct config cfg;
	limits_app(&app, &cfg);
	app.counters.ops = &fake_ops;
	fake_calls = 0;
	struct fe_err e = {0};
	for (int i = 0; i < 3; i++)
		assert_int_equal(limits_hit(&app, LIMIT_SEND, 42, &e), 0);
	assert_string_equal(fake_key, "send:42");
	assert_int_equal(fake_limit, 3);
	assert_int_equal(fake_window, 60000);
	assert_int_equal(limits_hit(&app, LIMIT_SEND, 42, &e), FE_ERATE);
	assert_int_equal(e.retry_after, 9);
	assert_int_equal(limits_refused(app.limits, LIMIT_SEND), 1);
	/* a limit that is off is not counted anywhere */
	assert_int_equal(limits_hit(&app, LIMIT_UPLOAD, 42, NULL), 0);
	assert_int_equal(fake_calls, 4);
	limits_free(app.limits);
}

static void test_limits_concurrent_searches(void **state)
{
	struct app app;
	struct config cfg;
	limits_app(&app, &cfg);
	struct fe_err e = {0};
	assert_int_equal(limits_enter(&app, 7, &e), 0);
	assert_int_equal(limits_enter(&app, 7, &e), 0);
	assert_int_equal(limits_enter(&app, 7, &e), FE_ERATE);
	assert_string_equal(e.code, "TOO_MANY_SEARCHES");
	assert_int_equal(e.retry_after, 1);
	assert_int_equal(limits_enter(&app, 8, NULL), 0); /* per user */
	limits_leave(&app, 7);
	assert_int_equal(limits_enter(&app, 7, NULL), 0); /* a slot given back */
	assert_int_equal(limits_enter(&app, 7, NULL), FE_ERATE);
	limits_leave(&app, 7);
	limits_leave(&app, 7);
	limits_leave(&app, 8);
	assert_int_equal(limits_refused(app.limits, LIMIT_SEARCH_RUNNING), 2);
	limits_free(app.limits);
	/* cap 0 = off */
	cfg.search_concurrency = 0;
	app.limits = limits_new(&cfg, 100);
	for (int i = 0; i < 50; i++)
		assert_int_equal(limits_enter(&app, 7, NULL), 0);
	limits_free(app.limits);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_limit_then_retry_after),
	    cmocka_unit_test(test_retry_after_is_honest),
	    cmocka_unit_test(test_short_window_retry_after_at_least_one),
	    cmocka_unit_test(test_refused_hits_not_counted),
	    cmocka_unit_test(test_window_slides),
	    cmocka_unit_test(test_no_burst_at_bucket_edge),
	    cmocka_unit_test(test_independent_keys),
	    cmocka_unit_test(test_reset),
	    cmocka_unit_test(test_long_keys_truncated),
	    cmocka_unit_test(test_lru_eviction),
	    cmocka_unit_test(test_max_keys_bound),
	    cmocka_unit_test(test_random_retry_after_property),
	    cmocka_unit_test(test_clock_backwards),
	    cmocka_unit_test(test_limits_per_user_and_action),
	    cmocka_unit_test(test_limits_concurrent_searches),
	    cmocka_unit_test(test_verdict_matches_hit),
	    cmocka_unit_test(test_limits_use_shared_counters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
