/* adapters/lru_cache: the cache port in memory: a string hash map, one LRU
 * list, a byte budget, per-entry expiry and per-tag entry lists. */
#ifndef FE_LRU_CACHE_H
#define FE_LRU_CACHE_H
#include "ports/cache.h"

/* max_bytes counts keys, values and per-entry overhead. now_ms is the clock. */
int lru_cache_new(size_t max_bytes, int64_t (*now_ms)(void), struct cache *c);
void lru_cache_free(struct cache *c);

#endif
