/* tests/unit/test_lru_cache: the in-memory cache adapter (adapters/lru_cache)
 * through the cache port, with a fake clock: copies in and out, overwrite,
 * delete, TTL expiry, the byte budget with LRU eviction, per-family stats,
 * tags, the quarter-of-the-budget rule, and a long random run against a
 * reference model. */
#define TESTAPP_CLOCK_ONLY /* the adapter alone: just the fake clock */
#include "testapp.h"

static struct cache c;
#define OPS (c.ops)
#define IMPL (c.impl)

static int setup(void **state)
{
	clock_set(T0);
	memset(&c, 0, sizeof c);
	return 0;
}

static int teardown(void **state)
{
	lru_cache_free(&c);
	return 0;
}

static void make(size_t max)
{
	lru_cache_free(&c);
	assert_int_equal(lru_cache_new(max, fake_clock, &c), 0);
	assert_non_null(c.ops);
	assert_non_null(c.impl);
}

static void put_s(const char *key, const char *val, int ttl, const char *tag)
{
	OPS->put(IMPL, key, val, strlen(val), ttl, tag);
}

/* 1 when key is live (and its value equals want when want is not NULL). */
static int has(const char *key, const char *want)
{
	char *v = NULL;
	size_t len = 0;
	int rc = OPS->get(IMPL, key, &v, &len);
	if (rc) {
		assert_int_equal(rc, FE_ENOTFOUND);
		return 0;
	}
	assert_non_null(v);
	if (want) {
		assert_int_equal(len, strlen(want));
		assert_memory_equal(v, want, len);
	}
	free(v);
	return 1;
}

static struct cache_family_stats fam(const char *name)
{
	struct cache_family_stats all[16], none;
	size_t n = 99;
	memset(&none, 0, sizeof none);
	OPS->stats(IMPL, all, 16, &n);
	assert_true(n <= 16);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(all[i].family, name))
			return all[i];
	return none;
}

/* The per-entry overhead: bytes of one entry minus its key and value. */
static size_t overhead(void)
{
	struct cache probe;
	struct cache_family_stats st[4];
	size_t n = 0;
	assert_int_equal(lru_cache_new(1 << 20, fake_clock, &probe), 0);
	probe.ops->put(probe.impl, "p:k", "0123456789", 10, 60, NULL);
	probe.ops->stats(probe.impl, st, 4, &n);
	assert_int_equal(n, 1);
	assert_string_equal(st[0].family, "p");
	assert_int_equal(st[0].entries, 1);
	assert_true(st[0].bytes > 10 + 3);
	size_t o = (size_t)st[0].bytes - 10 - 3;
	lru_cache_free(&probe);
	assert_null(probe.impl);
	return o;
}

/* ---- basics ---- */

static void test_put_get_copies(void **state)
{
	make(1 << 20);
	char val[] = "hello";
	OPS->put(IMPL, "user:1", val, 5, 60, NULL);
	val[0] = 'J'; /* the cache holds its own copy */
	char *v = NULL;
	size_t len = 0;
	assert_int_equal(OPS->get(IMPL, "user:1", &v, &len), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(v, "hello", 5);
	v[0] = 'X'; /* mutating the returned buffer does not touch the cache */
	v[4] = 'Y';
	free(v);
	assert_true(has("user:1", "hello"));
	/* binary values with NUL bytes keep their length */
	const char bin[6] = {1, 0, 2, 0, 3, 0};
	OPS->put(IMPL, "blob:1", bin, sizeof bin, 60, NULL);
	assert_int_equal(OPS->get(IMPL, "blob:1", &v, &len), 0);
	assert_int_equal(len, 6);
	assert_memory_equal(v, bin, 6);
	free(v);
	/* an empty value is a live entry */
	OPS->put(IMPL, "blob:2", "", 0, 60, NULL);
	assert_int_equal(OPS->get(IMPL, "blob:2", &v, &len), 0);
	assert_int_equal(len, 0);
	free(v);
	/* absent */
	v = (char *)0x1;
	assert_int_equal(OPS->get(IMPL, "user:2", &v, &len), FE_ENOTFOUND);
	assert_false(has("user:", NULL));
	assert_false(has("nofamily", NULL));
}

static void test_overwrite_and_del(void **state)
{
	make(1 << 20);
	size_t o = overhead();
	put_s("chat:1", "first", 60, NULL);
	put_s("chat:1", "second value", 60, NULL);
	assert_true(has("chat:1", "second value"));
	struct cache_family_stats f = fam("chat");
	assert_int_equal(f.entries, 1);
	assert_int_equal(f.bytes, o + strlen("second value") + strlen("chat:1"));
	put_s("chat:1", "x", 60, NULL);
	assert_true(has("chat:1", "x"));
	f = fam("chat");
	assert_int_equal(f.entries, 1);
	assert_int_equal(f.bytes, o + 1 + 6);
	put_s("chat:2", "two", 60, NULL);
	OPS->del(IMPL, "chat:1");
	assert_false(has("chat:1", NULL));
	assert_true(has("chat:2", "two"));
	OPS->del(IMPL, "chat:1"); /* twice: nothing */
	OPS->del(IMPL, "chat:404");
	assert_true(has("chat:2", "two"));
	f = fam("chat");
	assert_int_equal(f.entries, 1);
	assert_int_equal(f.evictions, 0);
	/* a deleted key can be stored again */
	put_s("chat:1", "again", 60, NULL);
	assert_true(has("chat:1", "again"));
	/* overwrite refreshes the TTL */
	clock_advance(50000);
	put_s("chat:2", "two-b", 60, NULL);
	clock_advance(50000);
	assert_false(has("chat:1", NULL));
	assert_true(has("chat:2", "two-b"));
}

static void test_ttl(void **state)
{
	make(1 << 20);
	put_s("user:1", "a", 10, NULL);
	put_s("user:2", "b", 20, NULL);
	put_s("user:3", "c", 0, NULL); /* no lifetime at all */
	assert_false(has("user:3", NULL));
	clock_set(T0 + 9999);
	assert_true(has("user:1", "a"));
	assert_true(has("user:2", "b"));
	clock_set(T0 + 10001);
	assert_false(has("user:1", NULL));
	assert_true(has("user:2", "b"));
	/* reading does not extend the lifetime */
	clock_set(T0 + 19999);
	assert_true(has("user:2", "b"));
	clock_set(T0 + 20001);
	assert_false(has("user:2", NULL));
	/* an expired entry left the stats when it was found expired */
	struct cache_family_stats f = fam("user");
	assert_int_equal(f.entries, 0);
	assert_int_equal(f.bytes, 0);
	/* and can be stored again with a fresh lifetime */
	put_s("user:1", "a2", 5, NULL);
	clock_advance(4000);
	assert_true(has("user:1", "a2"));
	clock_advance(2000);
	assert_false(has("user:1", NULL));
	/* a long TTL (a day) */
	put_s("user:9", "long", 86400, NULL);
	clock_advance(86399LL * 1000);
	assert_true(has("user:9", "long"));
}

/* ---- budget and eviction ---- */

static void test_lru_eviction_order(void **state)
{
	size_t o = overhead();
	char val[101];
	memset(val, 'v', 100);
	val[100] = 0;
	size_t s = o + 100 + strlen("k:0"); /* every entry has this size */
	make(5 * s);                        /* exactly five fit */
	char key[16];
	for (int i = 0; i < 5; i++) {
		snprintf(key, sizeof key, "k:%d", i);
		put_s(key, val, 600, NULL);
	}
	struct cache_family_stats f = fam("k");
	assert_int_equal(f.entries, 5);
	assert_int_equal(f.bytes, 5 * s);
	assert_int_equal(f.evictions, 0);
	/* read k:0 and k:2: they become the most recent */
	assert_true(has("k:0", val));
	assert_true(has("k:2", val));
	put_s("k:5", val, 600, NULL); /* evicts k:1 (least recently used) */
	f = fam("k");
	assert_int_equal(f.entries, 5);
	assert_int_equal(f.evictions, 1);
	put_s("k:6", val, 600, NULL); /* evicts k:3 */
	f = fam("k");
	assert_int_equal(f.evictions, 2);
	assert_int_equal(f.entries, 5);
	assert_int_equal(f.bytes, 5 * s);
	/* check without disturbing the order first: k:1 and k:3 are gone */
	assert_false(has("k:1", NULL));
	assert_false(has("k:3", NULL));
	/* order now (oldest first): k:4, k:0, k:2, k:5, k:6 */
	put_s("k:7", val, 600, NULL); /* evicts k:4 */
	assert_false(has("k:4", NULL));
	assert_true(has("k:0", val));
	assert_true(has("k:2", val));
	assert_true(has("k:5", val));
	assert_true(has("k:6", val));
	assert_true(has("k:7", val));
	f = fam("k");
	assert_int_equal(f.evictions, 3);
	/* an overwrite moves an entry to the front too: k:0 is oldest now */
	put_s("k:0", val, 600, NULL);
	put_s("k:8", val, 600, NULL); /* evicts k:2 */
	assert_false(has("k:2", NULL));
	assert_true(has("k:0", val));
	assert_true(has("k:8", val));
	/* one bigger entry (still under a quarter) evicts as many as needed */
	size_t extra = s / 5;
	char *big = malloc(100 + extra + 1);
	assert_non_null(big);
	memset(big, 'b', 100 + extra);
	big[100 + extra] = 0;
	put_s("k:9", big, 600, NULL); /* size s + extra: two must go (k:5, k:6) */
	assert_false(has("k:5", NULL));
	assert_false(has("k:6", NULL));
	assert_true(has("k:7", val));
	assert_true(has("k:0", val));
	assert_true(has("k:8", val));
	assert_true(has("k:9", big));
	free(big);
	f = fam("k");
	assert_int_equal(f.evictions, 6);
	assert_int_equal(f.entries, 4);
	assert_int_equal(f.bytes, 4 * s + extra);
	assert_true(f.bytes <= 5 * s);
}

static void test_too_big_not_stored(void **state)
{
	size_t o = overhead();
	make(4000);
	/* exactly a quarter: stored */
	size_t fit = 1000 - o - strlen("big:1");
	char *v = malloc(1200);
	assert_non_null(v);
	memset(v, 'z', 1200);
	OPS->put(IMPL, "big:1", v, fit, 60, NULL);
	char *got = NULL;
	size_t len = 0;
	assert_int_equal(OPS->get(IMPL, "big:1", &got, &len), 0);
	assert_int_equal(len, fit);
	free(got);
	/* one byte more: not stored, and nothing was evicted for it */
	put_s("small:1", "s", 60, NULL);
	OPS->put(IMPL, "big:2", v, fit + 1, 60, NULL);
	assert_int_equal(OPS->get(IMPL, "big:2", &got, &len), FE_ENOTFOUND);
	assert_true(has("big:1", NULL));
	assert_true(has("small:1", "s"));
	/* far too big (bigger than the whole budget) */
	OPS->put(IMPL, "big:3", v, 1200, 60, NULL);
	assert_false(has("big:3", NULL));
	struct cache_family_stats f = fam("big");
	assert_int_equal(f.entries, 1);
	assert_int_equal(f.evictions, 0);
	assert_int_equal(f.bytes, 1000);
	/* a too-big overwrite must not leave the old value served */
	OPS->put(IMPL, "big:1", v, 1200, 60, NULL);
	assert_false(has("big:1", NULL));
	assert_true(has("small:1", "s"));
	free(v);
	/* a cache of size 0 stores nothing */
	make(0);
	put_s("user:1", "x", 60, NULL);
	assert_false(has("user:1", NULL));
}

/* ---- stats ---- */

static void test_stats_per_family(void **state)
{
	make(1 << 20);
	size_t o = overhead();
	put_s("user:1", "aaaa", 60, NULL);
	put_s("user:2", "bb", 60, NULL);
	put_s("chat:1", "c", 60, NULL);
	put_s("unread:7", "", 60, NULL);
	assert_true(has("user:1", "aaaa"));
	assert_true(has("user:1", "aaaa"));
	assert_true(has("chat:1", "c"));
	assert_false(has("user:3", NULL));
	assert_false(has("chat:9", NULL));
	assert_false(has("chat:8", NULL));
	assert_false(has("ghost:1", NULL)); /* a family seen only by misses */

	struct cache_family_stats u = fam("user"), ch = fam("chat"), un = fam("unread"), g = fam("ghost");
	assert_string_equal(u.family, "user");
	assert_int_equal(u.hits, 2);
	assert_int_equal(u.misses, 1);
	assert_int_equal(u.entries, 2);
	assert_int_equal(u.bytes, (o + 4 + 6) + (o + 2 + 6));
	assert_int_equal(u.evictions, 0);
	assert_int_equal(ch.hits, 1);
	assert_int_equal(ch.misses, 2);
	assert_int_equal(ch.entries, 1);
	assert_int_equal(ch.bytes, o + 1 + 6);
	assert_int_equal(un.entries, 1);
	assert_int_equal(un.bytes, o + 0 + 8);
	assert_int_equal(un.hits + un.misses, 0);
	assert_string_equal(g.family, "ghost");
	assert_int_equal(g.misses, 1);
	assert_int_equal(g.entries, 0);

	/* stats(max) never writes more than max */
	struct cache_family_stats two[3];
	size_t n = 0;
	memset(two, 0x5a, sizeof two);
	OPS->stats(IMPL, two, 2, &n);
	assert_int_equal(n, 2);
	assert_int_equal(((unsigned char *)&two[2])[0], 0x5a);
	OPS->stats(IMPL, two, 0, &n);
	assert_int_equal(n, 0);

	/* delete everything: entries and bytes back to 0, counters kept */
	OPS->del(IMPL, "user:1");
	OPS->del(IMPL, "user:2");
	OPS->del(IMPL, "chat:1");
	OPS->del(IMPL, "unread:7");
	u = fam("user");
	ch = fam("chat");
	un = fam("unread");
	assert_int_equal(u.entries, 0);
	assert_int_equal(u.bytes, 0);
	assert_int_equal(u.hits, 2);
	assert_int_equal(ch.entries, 0);
	assert_int_equal(ch.bytes, 0);
	assert_int_equal(un.entries, 0);
	assert_int_equal(un.bytes, 0);
	/* a miss after the delete is counted */
	assert_false(has("user:1", NULL));
	assert_int_equal(fam("user").misses, 2);
}

/* ---- tags ---- */

static void test_del_tag(void **state)
{
	make(1 << 20);
	put_s("messages:1:a", "a1", 60, "messages:1");
	put_s("messages:1:b", "a2", 60, "messages:1");
	put_s("messages:1:c", "a3", 60, "messages:1");
	put_s("messages:1:d", "a4", 60, "messages:1");
	put_s("messages:2:a", "b1", 60, "messages:2");
	put_s("messages:2:b", "b2", 60, "messages:2");
	put_s("messages:1:untagged", "u", 60, NULL);
	/* one deleted individually, one overwritten under another tag, one
	 * overwritten without a tag */
	OPS->del(IMPL, "messages:1:b");
	put_s("messages:1:c", "moved", 60, "messages:2");
	put_s("messages:1:d", "untag", 60, NULL);
	OPS->del_tag(IMPL, "messages:1");
	assert_false(has("messages:1:a", NULL));
	assert_false(has("messages:1:b", NULL));
	assert_true(has("messages:1:c", "moved"));
	assert_true(has("messages:1:d", "untag"));
	assert_true(has("messages:2:a", "b1"));
	assert_true(has("messages:2:b", "b2"));
	assert_true(has("messages:1:untagged", "u"));
	struct cache_family_stats f = fam("messages");
	assert_int_equal(f.entries, 5);
	assert_int_equal(f.evictions, 0);
	/* again, and unknown tags: nothing */
	OPS->del_tag(IMPL, "messages:1");
	OPS->del_tag(IMPL, "messages:404");
	OPS->del_tag(IMPL, "");
	assert_int_equal(fam("messages").entries, 5);
	/* the other tag drops exactly its three */
	OPS->del_tag(IMPL, "messages:2");
	assert_false(has("messages:2:a", NULL));
	assert_false(has("messages:2:b", NULL));
	assert_false(has("messages:1:c", NULL));
	assert_true(has("messages:1:d", "untag"));
	assert_true(has("messages:1:untagged", "u"));
	assert_int_equal(fam("messages").entries, 2);
	/* a tag used again after it emptied */
	put_s("messages:1:e", "e", 60, "messages:1");
	put_s("messages:1:f", "f", 60, "messages:1");
	OPS->del(IMPL, "messages:1:e");
	OPS->del(IMPL, "messages:1:f"); /* the tag is empty now */
	put_s("messages:1:g", "g", 60, "messages:1");
	assert_true(has("messages:1:g", "g"));
	OPS->del_tag(IMPL, "messages:1");
	assert_false(has("messages:1:g", NULL));
	OPS->del(IMPL, "messages:1:d");
	OPS->del(IMPL, "messages:1:untagged");
	f = fam("messages");
	assert_int_equal(f.entries, 0);
	assert_int_equal(f.bytes, 0);
}

/* clear (a bus between hosts lost events): every entry and tag goes, the
 * counters stay, and the cache works on afterwards */
static void test_clear(void **state)
{
	make(1 << 20);
	put_s("messages:1:a", "a1", 60, "messages:1");
	put_s("messages:1:b", "a2", 60, "messages:1");
	put_s("user:1", "u1", 60, NULL);
	put_s("chat:1", "c1", 60, NULL);
	assert_true(has("user:1", "u1"));
	uint64_t hits = fam("user").hits;
	OPS->clear(IMPL);
	assert_false(has("messages:1:a", NULL));
	assert_false(has("messages:1:b", NULL));
	assert_false(has("user:1", NULL));
	assert_false(has("chat:1", NULL));
	assert_int_equal(fam("messages").entries, 0);
	assert_int_equal(fam("messages").bytes, 0);
	assert_int_equal(fam("user").hits, hits);
	assert_int_equal(fam("messages").evictions, 0);
	OPS->del_tag(IMPL, "messages:1"); /* the tag went with its entries */
	OPS->clear(IMPL);                 /* empty: nothing */
	put_s("messages:1:c", "a3", 60, "messages:1");
	assert_true(has("messages:1:c", "a3"));
	OPS->del_tag(IMPL, "messages:1");
	assert_false(has("messages:1:c", NULL));
}

static void test_del_tag_after_expiry(void **state)
{
	make(1 << 20);
	put_s("m:1", "short", 5, "t");
	put_s("m:2", "long", 60, "t");
	put_s("m:3", "short2", 5, "t");
	put_s("m:4", "other", 5, "u");
	clock_advance(6000);
	assert_false(has("m:1", NULL)); /* found expired: dropped from its tag */
	assert_false(has("m:4", NULL)); /* the last of tag u */
	OPS->del_tag(IMPL, "t");        /* m:2 live, m:3 expired but not yet seen */
	assert_false(has("m:2", NULL));
	assert_false(has("m:3", NULL));
	struct cache_family_stats f = fam("m");
	assert_int_equal(f.entries, 0);
	assert_int_equal(f.bytes, 0);
	/* tag u emptied by expiry is usable again */
	put_s("m:5", "five", 60, "u");
	put_s("m:6", "six", 60, NULL);
	OPS->del_tag(IMPL, "u");
	assert_false(has("m:5", NULL));
	assert_true(has("m:6", "six"));
}

static void test_del_tag_after_eviction(void **state)
{
	size_t o = overhead();
	size_t s = o + 10 + strlen("e:00");
	make(4 * s); /* four entries of size s */
	char key[16];
	/* e:00..e:03 tagged x (e:01 untagged) */
	put_s("e:00", "0123456789", 600, "x");
	put_s("e:01", "0123456789", 600, NULL);
	put_s("e:02", "0123456789", 600, "x");
	put_s("e:03", "0123456789", 600, "y");
	/* two more evict e:00 and e:01 */
	put_s("e:04", "0123456789", 600, "y");
	put_s("e:05", "0123456789", 600, "x");
	assert_int_equal(fam("e").evictions, 2);
	OPS->del_tag(IMPL, "x"); /* e:02, e:05 */
	assert_false(has("e:00", NULL));
	assert_false(has("e:01", NULL));
	assert_false(has("e:02", NULL));
	assert_false(has("e:05", NULL));
	assert_true(has("e:03", "0123456789"));
	assert_true(has("e:04", "0123456789"));
	assert_int_equal(fam("e").entries, 2);
	/* tag z: its entries all evicted, then reused */
	put_s("e:10", "0123456789", 600, "z");
	put_s("e:11", "0123456789", 600, "z");
	for (int i = 20; i < 24; i++) { /* fills the cache: evicts everything else */
		snprintf(key, sizeof key, "e:%d", i);
		put_s(key, "0123456789", 600, "w");
	}
	assert_false(has("e:10", NULL));
	assert_false(has("e:11", NULL));
	assert_false(has("e:03", NULL));
	put_s("e:12", "0123456789", 600, "z"); /* evicts e:20 */
	assert_true(has("e:12", "0123456789"));
	OPS->del_tag(IMPL, "z");
	assert_false(has("e:12", NULL));
	assert_false(has("e:20", NULL));
	for (int i = 21; i < 24; i++) {
		snprintf(key, sizeof key, "e:%d", i);
		assert_true(has(key, "0123456789"));
	}
	OPS->del_tag(IMPL, "w");
	struct cache_family_stats f = fam("e");
	assert_int_equal(f.entries, 0);
	assert_int_equal(f.bytes, 0);
	/* y was emptied by evictions: reusable */
	put_s("e:30", "0123456789", 600, "y");
	put_s("e:31", "0123456789", 600, NULL);
	OPS->del_tag(IMPL, "y");
	assert_false(has("e:30", NULL));
	assert_true(has("e:31", "0123456789"));
}

/* Many entries: the hash table grows; every key still found. */
static void test_many_entries(void **state)
{
	make(64u << 20);
	char key[32], val[32];
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof key, "n:%d", i);
		snprintf(val, sizeof val, "value-%d", i * 7);
		put_s(key, val, 600, i % 3 ? NULL : "third");
	}
	assert_int_equal(fam("n").entries, 5000);
	for (int i = 0; i < 5000; i += 7) {
		snprintf(key, sizeof key, "n:%d", i);
		snprintf(val, sizeof val, "value-%d", i * 7);
		assert_true(has(key, val));
	}
	OPS->del_tag(IMPL, "third");
	assert_int_equal(fam("n").entries, 5000 - 1667);
	for (int i = 0; i < 30; i++) {
		snprintf(key, sizeof key, "n:%d", i);
		assert_int_equal(has(key, NULL), i % 3 != 0);
	}
}

/* ---- random operations against a model ---- */

#define NKEYS 60
struct model_entry {
	int present;
	char val[64];
	size_t len;
	int tag; /* -1 none */
	int64_t expires;
};

static const char *tags[] = {"t:0", "t:1", "t:2", "t:3"};
static const char *families[] = {"user", "chat", "messages"};

static void key_of(int k, char *out, size_t n)
{
	snprintf(out, n, "%s:%d", families[k % 3], k);
}

static void test_random_vs_model(void **state)
{
	make(64u << 20);
	size_t o = overhead();
	struct model_entry m[NKEYS];
	uint64_t hits[3] = {0}, misses[3] = {0};
	memset(m, 0, sizeof m);
	srand(12345);
	char key[32];
	for (int step = 0; step < 10000; step++) {
		int op = rand() % 100;
		int k = rand() % NKEYS;
		key_of(k, key, sizeof key);
		if (op < 40) { /* put */
			struct model_entry *e = &m[k];
			e->present = 1;
			e->len = (size_t)(rand() % 60);
			for (size_t i = 0; i < e->len; i++)
				e->val[i] = (char)(rand() % 256);
			e->tag = rand() % 5 - 1;
			int ttl = 1 + rand() % 30;
			e->expires = fake_now + ttl * 1000LL;
			OPS->put(IMPL, key, e->val, e->len, ttl, e->tag < 0 ? NULL : tags[e->tag]);
		} else if (op < 75) { /* get */
			struct model_entry *e = &m[k];
			if (e->present && e->expires <= fake_now)
				e->present = 0;
			char *v = NULL;
			size_t len = 0;
			int rc = OPS->get(IMPL, key, &v, &len);
			if (e->present) {
				assert_int_equal(rc, 0);
				assert_int_equal(len, e->len);
				if (len)
					assert_memory_equal(v, e->val, len);
				free(v);
				hits[k % 3]++;
			} else {
				assert_int_equal(rc, FE_ENOTFOUND);
				misses[k % 3]++;
			}
		} else if (op < 85) { /* del */
			m[k].present = 0;
			OPS->del(IMPL, key);
		} else if (op < 88) { /* del_tag */
			int t = rand() % 4;
			for (int i = 0; i < NKEYS; i++)
				if (m[i].tag == t)
					m[i].present = 0;
			OPS->del_tag(IMPL, tags[t]);
			for (int i = 0; i < NKEYS; i++)
				if (m[i].tag == t)
					m[i].tag = -1;
		} else { /* time passes */
			clock_advance(rand() % 3000);
		}
		if (step % 97 == 0 || step == 9999) {
			for (int f = 0; f < 3; f++) {
				uint64_t entries = 0, bytes = 0;
				for (int i = f; i < NKEYS; i += 3) {
					if (!m[i].present)
						continue;
					char kk[32];
					key_of(i, kk, sizeof kk);
					entries++;
					bytes += o + m[i].len + strlen(kk);
				}
				struct cache_family_stats s = fam(families[f]);
				if (!s.family[0] && !entries)
					continue; /* not seen yet */
				assert_int_equal(s.entries, entries);
				assert_int_equal(s.bytes, bytes);
				assert_int_equal(s.hits, hits[f]);
				assert_int_equal(s.misses, misses[f]);
				assert_int_equal(s.evictions, 0);
			}
		}
	}
	/* finally every key agrees, and deleting everything empties the stats */
	for (int k = 0; k < NKEYS; k++) {
		key_of(k, key, sizeof key);
		int live = m[k].present && m[k].expires > fake_now;
		assert_int_equal(has(key, NULL), live);
		OPS->del(IMPL, key);
	}
	for (int f = 0; f < 3; f++) {
		struct cache_family_stats s = fam(families[f]);
		assert_int_equal(s.entries, 0);
		assert_int_equal(s.bytes, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_put_get_copies, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_overwrite_and_del, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ttl, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lru_eviction_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_too_big_not_stored, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stats_per_family, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_del_tag, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_del_tag_after_expiry, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_del_tag_after_eviction, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_clear, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_many_entries, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_random_vs_model, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
