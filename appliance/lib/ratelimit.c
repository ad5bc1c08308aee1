/* lib/ratelimit: sliding-window rate limiter approximated with two fixed
 * buckets per key. A key's estimate at time t in bucket [s, s + W) is
 *   cur + prev * (W - (t - s)) / W
 * and a hit is allowed while that estimate stays below the limit. Keys live
 * in a chained hash table (SipHash with a random key, so crafted keys cannot
 * pile up in one chain) and on an LRU list that bounds their number. When
 * more than max_keys keys are active the least recently used one is
 * forgotten, which resets its count: size max_keys for the expected number
 * of concurrently active clients. */
#include <limits.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include "lib/ratelimit.h"
#include "lib/xalloc.h"

#define KEY_MAX 127

struct entry {
	struct entry *hnext;         /* hash chain */
	struct entry *lprev, *lnext; /* LRU list, most recent first */
	int64_t bucket;              /* index of the current bucket (t / W) */
	uint32_t cur, prev;          /* hits in the current and previous bucket */
	uint64_t hash;
	unsigned char klen;
	char key[KEY_MAX + 1];
};

struct ratelimit {
	uint32_t limit;
	uint32_t window; /* W, ms */
	size_t max_keys, nkeys;
	size_t mask; /* hash table size - 1 */
	struct entry **table;
	struct entry *head, *tail; /* LRU list */
	unsigned char hkey[crypto_shorthash_KEYBYTES];
};

static uint64_t key_hash(const struct ratelimit *rl, const char *key, size_t klen)
{
	unsigned char h[crypto_shorthash_BYTES];
	uint64_t v;
	crypto_shorthash(h, (const unsigned char *)key, klen, rl->hkey);
	memcpy(&v, h, sizeof v);
	return v;
}

struct ratelimit *ratelimit_new(unsigned limit, unsigned window_ms, size_t max_keys)
{
	if (sodium_init() < 0)
		abort();
	struct ratelimit *rl = xcalloc(1, sizeof *rl);
	rl->limit = limit;
	rl->window = window_ms ? window_ms : 1;
	rl->max_keys = max_keys ? max_keys : 1;
	size_t size = 16;
	while (size < rl->max_keys && size < ((size_t)1 << 30))
		size <<= 1;
	rl->mask = size - 1;
	rl->table = xcalloc(size, sizeof *rl->table);
	randombytes_buf(rl->hkey, sizeof rl->hkey);
	return rl;
}

static void lru_unlink(struct ratelimit *rl, struct entry *e)
{
	if (e->lprev)
		e->lprev->lnext = e->lnext;
	else
		rl->head = e->lnext;
	if (e->lnext)
		e->lnext->lprev = e->lprev;
	else
		rl->tail = e->lprev;
	e->lprev = e->lnext = NULL;
}

static void lru_push_front(struct ratelimit *rl, struct entry *e)
{
	e->lprev = NULL;
	e->lnext = rl->head;
	if (rl->head)
		rl->head->lprev = e;
	rl->head = e;
	if (!rl->tail)
		rl->tail = e;
}

/* Finds key; *link receives the slot pointing at the entry (or at the chain
 * end when absent) so the caller can unlink it. */
static struct entry *find(struct ratelimit *rl, const char *key, size_t klen, uint64_t hash,
                          struct entry ***link)
{
	struct entry **pp = &rl->table[hash & rl->mask];
	for (; *pp; pp = &(*pp)->hnext) {
		struct entry *e = *pp;
		if (e->hash == hash && e->klen == klen && memcmp(e->key, key, klen) == 0)
			break;
	}
	if (link)
		*link = pp;
	return *pp;
}

/* Removes e from its hash chain (not from the LRU list). */
static void hash_unlink(struct ratelimit *rl, struct entry *e)
{
	struct entry **pp = &rl->table[e->hash & rl->mask];
	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
}

/* floor(t / w) for any sign of t */
static int64_t bucket_of(int64_t t, uint32_t w)
{
	int64_t b = t / (int64_t)w;
	if (t % (int64_t)w < 0)
		b--;
	return b;
}

/* Whether one more hit fits: cur + prev * (W - elapsed) / W < limit, exactly
 * in integers (each product is below 2^64). */
static int fits(uint32_t limit, uint32_t w, uint32_t cur, uint32_t prev, uint64_t elapsed)
{
	if (cur >= limit)
		return 0;
	return (uint64_t)prev * (w - elapsed) < (uint64_t)(limit - cur) * w;
}

/* Milliseconds from elapsed (into the current bucket) until a hit would fit,
 * assuming no further hits are counted. Only called when it does not fit now. */
static uint64_t wait_ms(uint32_t limit, uint32_t w, uint32_t cur, uint32_t prev, uint64_t elapsed)
{
	if (limit == 0)
		return w; /* never fits; answer with one window */
	if (cur < limit) {
		/* smallest e with prev * (W - e) < (limit - cur) * W, within this
		 * bucket or (e == W) at the start of the next one */
		uint64_t k = (uint64_t)(limit - cur) * w;
		uint64_t q = k / prev + (k % prev != 0); /* prev > 0 here */
		uint64_t e = q > w ? 0 : w - q + 1;
		return e > elapsed ? e - elapsed : 1;
	}
	/* cur == limit: in the next bucket prev' = limit, cur' = 0, which fits
	 * once limit * (W - e) < limit * W, i.e. from e = 1 */
	return (uint64_t)w - elapsed + 1;
}

int ratelimit_hit(struct ratelimit *rl, const char *key, int64_t now_ms)
{
	size_t klen = strnlen(key, KEY_MAX);
	uint64_t hash = key_hash(rl, key, klen);
	struct entry **link;
	struct entry *e = find(rl, key, klen, hash, &link);
	int64_t b = bucket_of(now_ms, rl->window);

	if (e) {
		lru_unlink(rl, e);
	} else {
		if (rl->nkeys >= rl->max_keys) {
			/* reuse the least recently used entry */
			e = rl->tail;
			lru_unlink(rl, e);
			hash_unlink(rl, e);
			/* the slot found above may have pointed at e's hnext field */
			find(rl, key, klen, hash, &link);
		} else {
			e = xcalloc(1, sizeof *e);
			rl->nkeys++;
		}
		memset(e, 0, sizeof *e);
		e->hash = hash;
		e->klen = (unsigned char)klen;
		memcpy(e->key, key, klen);
		e->bucket = b;
		*link = e;
	}
	lru_push_front(rl, e);

	if (b == e->bucket + 1) {
		e->prev = e->cur;
		e->cur = 0;
		e->bucket = b;
	} else if (b > e->bucket) {
		e->prev = e->cur = 0;
		e->bucket = b;
	} else if (b < e->bucket) {
		b = e->bucket; /* clock went backwards: stay in the newest bucket */
	}
	uint64_t elapsed =
	    now_ms > b * (int64_t)rl->window ? (uint64_t)(now_ms - b * (int64_t)rl->window) : 0;
	if (elapsed >= rl->window)
		elapsed = rl->window - 1;

	if (fits(rl->limit, rl->window, e->cur, e->prev, elapsed)) {
		e->cur++;
		return 0;
	}
	uint64_t ms = wait_ms(rl->limit, rl->window, e->cur, e->prev, elapsed);
	uint64_t s = (ms + 999) / 1000;
	if (s < 1)
		s = 1;
	return s > INT_MAX ? INT_MAX : (int)s;
}

int ratelimit_verdict(unsigned limit, unsigned window_ms, uint32_t cur, uint32_t prev, uint64_t elapsed_ms)
{
	uint32_t w = window_ms ? window_ms : 1;
	if (elapsed_ms >= w)
		elapsed_ms = w - 1;
	if (fits(limit, w, cur, prev, elapsed_ms))
		return 0;
	uint64_t s = (wait_ms(limit, w, cur, prev, elapsed_ms) + 999) / 1000;
	if (s < 1)
		s = 1;
	return s > INT_MAX ? INT_MAX : (int)s;
}

void ratelimit_reset(struct ratelimit *rl, const char *key)
{
	size_t klen = strnlen(key, KEY_MAX);
	uint64_t hash = key_hash(rl, key, klen);
	struct entry **link;
	struct entry *e = find(rl, key, klen, hash, &link);
	if (!e)
		return;
	*link = e->hnext;
	lru_unlink(rl, e);
	free(e);
	rl->nkeys--;
}

void ratelimit_free(struct ratelimit *rl)
{
	if (!rl)
		return;
	struct entry *e = rl->head;
	while (e) {
		struct entry *next = e->lnext;
		free(e);
		e = next;
	}
	free(rl->table);
	free(rl);
}
