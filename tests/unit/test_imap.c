/* tests/unit/test_imap: lib/imap, the int64 -> pointer open-addressing map:
 * put/get/del, overwrite, growth, backward-shift deletion inside clusters,
 * and 10,000 random operations checked against a sorted reference array. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "lib/imap.h"

#define V(x) ((void *)(uintptr_t)(x))

/* Counts occupied slots and checks each is findable from its home slot. */
static size_t check_table(const struct imap *m)
{
	size_t used = 0;
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key) {
			used++;
			assert_ptr_equal(imap_get(m, m->slots[i].key), m->slots[i].val);
		}
	assert_int_equal(used, m->n);
	assert_true(m->n * 4 <= m->cap * 3 || m->cap == 0);
	return used;
}

static void test_empty(void **state)
{
	struct imap m = {0};
	assert_null(imap_get(&m, 1));
	assert_null(imap_del(&m, 1));
	imap_free(&m);
	assert_null(m.slots);
	assert_int_equal(m.cap, 0);
	assert_int_equal(m.n, 0);
}

static void test_put_get_del(void **state)
{
	struct imap m = {0};
	int a, b, c;
	imap_put(&m, 1, &a);
	imap_put(&m, -7, &b);
	imap_put(&m, INT64_MAX, &c);
	assert_int_equal(m.n, 3);
	assert_ptr_equal(imap_get(&m, 1), &a);
	assert_ptr_equal(imap_get(&m, -7), &b);
	assert_ptr_equal(imap_get(&m, INT64_MAX), &c);
	assert_null(imap_get(&m, 2));
	assert_null(imap_get(&m, INT64_MIN));

	assert_ptr_equal(imap_del(&m, -7), &b);
	assert_int_equal(m.n, 2);
	assert_null(imap_get(&m, -7));
	assert_null(imap_del(&m, -7));
	assert_int_equal(m.n, 2);
	assert_ptr_equal(imap_get(&m, 1), &a);
	assert_ptr_equal(imap_get(&m, INT64_MAX), &c);
	check_table(&m);
	imap_free(&m);
	assert_null(imap_get(&m, 1));
}

static void test_overwrite(void **state)
{
	struct imap m = {0};
	imap_put(&m, 42, V(1));
	imap_put(&m, 42, V(2));
	assert_int_equal(m.n, 1);
	assert_ptr_equal(imap_get(&m, 42), V(2));
	assert_ptr_equal(imap_del(&m, 42), V(2));
	assert_int_equal(m.n, 0);
	assert_null(imap_get(&m, 42));
	/* put again after delete */
	imap_put(&m, 42, V(3));
	assert_ptr_equal(imap_get(&m, 42), V(3));
	assert_int_equal(m.n, 1);
	imap_free(&m);
}

static void test_growth(void **state)
{
	struct imap m = {0};
	size_t last_cap = 0;
	int grew = 0;
	for (int64_t k = 1; k <= 5000; k++) {
		imap_put(&m, k, V(k * 3));
		if (m.cap != last_cap) {
			assert_true(m.cap > last_cap);
			assert_int_equal(m.cap & (m.cap - 1), 0); /* a power of two */
			grew++;
			last_cap = m.cap;
		}
		assert_true(m.n * 4 <= m.cap * 3);
	}
	assert_true(grew >= 5);
	assert_int_equal(m.n, 5000);
	for (int64_t k = 1; k <= 5000; k++)
		assert_ptr_equal(imap_get(&m, k), V(k * 3));
	assert_null(imap_get(&m, 5001));
	assert_null(imap_get(&m, 0x7fff));
	check_table(&m);
	imap_free(&m);
}

static void test_delete_in_cluster(void **state)
{
	/* Fill a 16-slot table so that clusters form, then delete every key in
	 * turn from a fresh copy and check all others stay findable. */
	int64_t keys[12];
	for (int i = 0; i < 12; i++)
		keys[i] = (int64_t)(i + 1) * 16; /* multiples of the capacity */
	for (int victim = 0; victim < 12; victim++) {
		struct imap m = {0};
		for (int i = 0; i < 12; i++)
			imap_put(&m, keys[i], V(i + 1));
		assert_int_equal(m.cap, 16);
		assert_ptr_equal(imap_del(&m, keys[victim]), V(victim + 1));
		assert_int_equal(m.n, 11);
		for (int i = 0; i < 12; i++) {
			if (i == victim)
				assert_null(imap_get(&m, keys[i]));
			else
				assert_ptr_equal(imap_get(&m, keys[i]), V(i + 1));
		}
		check_table(&m);
		/* then delete the rest in reverse and keep checking */
		for (int j = 11; j >= 0; j--) {
			if (j == victim)
				continue;
			assert_ptr_equal(imap_del(&m, keys[j]), V(j + 1));
			for (int i = 0; i < j; i++)
				if (i != victim)
					assert_ptr_equal(imap_get(&m, keys[i]), V(i + 1));
			check_table(&m);
		}
		assert_int_equal(m.n, 0);
		imap_free(&m);
	}
}

static void test_full_wraparound_cluster(void **state)
{
	/* with a small table, clusters wrap past the last slot: put 12 keys
	 * (the most a 16-slot table holds), delete half, all others stay */
	struct imap m = {0};
	int64_t k[12];
	uint64_t x = 0x12345678;
	for (int i = 0; i < 12; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		k[i] = (int64_t)(x >> 1) | 1;
		imap_put(&m, k[i], V(i + 100));
	}
	assert_int_equal(m.cap, 16);
	for (int i = 0; i < 12; i += 2)
		assert_ptr_equal(imap_del(&m, k[i]), V(i + 100));
	for (int i = 0; i < 12; i++)
		assert_ptr_equal(imap_get(&m, k[i]), i % 2 ? V(i + 100) : NULL);
	check_table(&m);
	imap_free(&m);
}

/* ---- random operations against a sorted reference ---- */

struct ref {
	int64_t key;
	uintptr_t val;
};
static struct ref refs[20000];
static size_t nref;

static long ref_find(int64_t key)
{
	size_t lo = 0, hi = nref;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (refs[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (long)lo;
}

static void ref_put(int64_t key, uintptr_t val)
{
	long i = ref_find(key);
	if ((size_t)i < nref && refs[i].key == key) {
		refs[i].val = val;
		return;
	}
	memmove(&refs[i + 1], &refs[i], (nref - (size_t)i) * sizeof refs[0]);
	refs[i].key = key;
	refs[i].val = val;
	nref++;
}

static uintptr_t ref_del(int64_t key)
{
	long i = ref_find(key);
	if ((size_t)i >= nref || refs[i].key != key)
		return 0;
	uintptr_t v = refs[i].val;
	memmove(&refs[i], &refs[i + 1], (nref - (size_t)i - 1) * sizeof refs[0]);
	nref--;
	return v;
}

static uintptr_t ref_get(int64_t key)
{
	long i = ref_find(key);
	return (size_t)i < nref && refs[i].key == key ? refs[i].val : 0;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void test_random_against_reference(void **state)
{
	struct imap m = {0};
	nref = 0;
	/* keys from a small range so puts overwrite and deletes hit; plus some
	 * wide random keys (negative too) */
	for (int op = 0; op < 10000; op++) {
		uint64_t r = next_rand();
		int64_t key = (r & 1) ? (int64_t)(r >> 8) % 3000 + 1 : (int64_t)(next_rand() | 1);
		if (key == 0)
			key = 1;
		unsigned what = (unsigned)(r >> 4) % 10;
		if (what < 6) {
			uintptr_t v = (uintptr_t)op + 1;
			imap_put(&m, key, V(v));
			ref_put(key, v);
		} else if (what < 9) {
			assert_ptr_equal(imap_del(&m, key), V(ref_del(key)));
		} else {
			assert_ptr_equal(imap_get(&m, key), V(ref_get(key)));
		}
		assert_int_equal(m.n, nref);
		if (op % 1000 == 999) {
			for (size_t i = 0; i < nref; i++)
				assert_ptr_equal(imap_get(&m, refs[i].key), V(refs[i].val));
			check_table(&m);
		}
	}
	/* every present key, and absent neighbours */
	for (size_t i = 0; i < nref; i++) {
		assert_ptr_equal(imap_get(&m, refs[i].key), V(refs[i].val));
		if (!ref_get(refs[i].key + 1) && refs[i].key + 1 != 0)
			assert_null(imap_get(&m, refs[i].key + 1));
	}
	/* iteration visits exactly the reference's keys */
	size_t seen = 0;
	for (size_t i = 0; i < m.cap; i++)
		if (m.slots[i].key) {
			assert_ptr_equal(m.slots[i].val, V(ref_get(m.slots[i].key)));
			seen++;
		}
	assert_int_equal(seen, nref);
	/* delete everything in random order */
	while (nref) {
		size_t i = (size_t)(next_rand() % nref);
		int64_t key = refs[i].key;
		assert_ptr_equal(imap_del(&m, key), V(ref_del(key)));
		assert_int_equal(m.n, nref);
		if (nref % 500 == 0)
			for (size_t j = 0; j < nref; j++)
				assert_ptr_equal(imap_get(&m, refs[j].key), V(refs[j].val));
	}
	for (size_t i = 0; i < m.cap; i++)
		assert_int_equal(m.slots[i].key, 0);
	imap_free(&m);
}

static void test_10000_distinct(void **state)
{
	struct imap m = {0};
	nref = 0;
	while (nref < 10000) {
		int64_t key = (int64_t)next_rand();
		if (!key || ref_get(key))
			continue;
		ref_put(key, (uintptr_t)nref + 1);
		imap_put(&m, key, V(nref));
	}
	assert_int_equal(m.n, 10000);
	for (size_t i = 0; i < nref; i++)
		assert_ptr_equal(imap_get(&m, refs[i].key), V(refs[i].val));
	check_table(&m);
	/* delete every other key (by sorted position); the rest stay */
	for (size_t i = 0; i < 10000; i += 2)
		assert_ptr_equal(imap_del(&m, refs[i].key), V(refs[i].val));
	assert_int_equal(m.n, 5000);
	for (size_t i = 0; i < 10000; i++)
		assert_ptr_equal(imap_get(&m, refs[i].key), i % 2 ? V(refs[i].val) : NULL);
	check_table(&m);
	imap_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_put_get_del),
	    cmocka_unit_test(test_overwrite),
	    cmocka_unit_test(test_growth),
	    cmocka_unit_test(test_delete_in_cluster),
	    cmocka_unit_test(test_full_wraparound_cluster),
	    cmocka_unit_test(test_random_against_reference),
	    cmocka_unit_test(test_10000_distinct),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
