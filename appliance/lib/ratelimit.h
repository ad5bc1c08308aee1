/* lib/ratelimit: sliding-window rate limiter keyed by short strings (client
 * address, account email). The window is approximated with two fixed
 * buckets (current and previous, weighted by overlap), as nginx and
 * Cloudflare do: O(1) per hit, bounded memory. Single-threaded. */
#ifndef FE_RATELIMIT_H
#define FE_RATELIMIT_H
#include <stddef.h>
#include <stdint.h>

struct ratelimit;

/* At most `limit` hits per `window_ms` for one key; at most max_keys keys
 * are tracked (the least recently used key is forgotten beyond that).
 * Returns owned, free with ratelimit_free(); aborts on allocation failure. */
struct ratelimit *ratelimit_new(unsigned limit, unsigned window_ms, size_t max_keys);

/* Counts one hit for key at now_ms. Returns 0 when allowed, otherwise the
 * number of seconds (>= 1) after which a retry would be allowed; a refused
 * hit is not counted. Keys longer than 127 bytes are truncated. */
int ratelimit_hit(struct ratelimit *rl, const char *key, int64_t now_ms);

/* Forgets key (e.g. after a successful sign-in). */
void ratelimit_reset(struct ratelimit *rl, const char *key);

void ratelimit_free(struct ratelimit *rl);

/* The verdict of the same two-bucket window for counts kept elsewhere (the
 * shared counters of a cluster, adapters/pg_counters): cur hits in the
 * current bucket, prev in the previous one, elapsed_ms into the current
 * bucket (< window_ms). Returns 0 when one more hit fits, otherwise the
 * seconds (>= 1) until it would, as ratelimit_hit() answers. */
int ratelimit_verdict(unsigned limit, unsigned window_ms, uint32_t cur, uint32_t prev, uint64_t elapsed_ms);

#endif
