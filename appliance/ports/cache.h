/* ports/cache: a bounded key-value cache with a TTL per entry (the Redis of
 * the original design). Keys are "family:..." strings; the family (text up
 * to the first ':') groups the statistics. Values are opaque bytes, copied
 * in and out. An entry may carry one tag; dropping a tag drops every entry
 * carrying it without scanning the cache (pattern invalidation such as
 * messages:{chat_id}:*). Single-threaded: the loop thread owns it. */
#ifndef FE_CACHE_H
#define FE_CACHE_H
#include <stddef.h>
#include <stdint.h>

struct cache_family_stats {
	char family[16];
	uint64_t hits, misses, evictions, entries, bytes;
};

struct cache_ops {
	/* Copies the value of a live entry into *val (owned, free()) and *len;
	 * FE_ENOTFOUND when absent or expired. */
	int (*get)(void *c, const char *key, char **val, size_t *len);
	/* Stores a copy of val for ttl_s seconds; tag may be NULL. Evicts the
	 * least recently used entries beyond the byte limit. */
	void (*put)(void *c, const char *key, const void *val, size_t len, int ttl_s, const char *tag);
	/* Drops the entry of key / every entry carrying tag; absent: nothing. */
	void (*del)(void *c, const char *key);
	void (*del_tag)(void *c, const char *tag);
	/* Fills out[0..*n) (at most max families; out is the caller's) with
	 * the counters since start, for /metrics and /api/cache/stats. */
	void (*stats)(void *c, struct cache_family_stats *out, size_t max, size_t *n);
	/* Drops every entry (a bus between hosts lost events: nothing cached
	 * can be trusted). */
	void (*clear)(void *c);
};

struct cache {
	const struct cache_ops *ops;
	void *impl;
};

#endif
