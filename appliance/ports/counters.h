/* ports/counters: rate-limit counters shared by every appliance of a
 * cluster, so that a sign-in limit or a per-user send limit holds as one
 * whichever appliance answers. The same sliding window as lib/ratelimit
 * (two fixed buckets weighted by overlap), kept where all appliances see it.
 * The single-box appliance has none (app->counters.ops == NULL): core/auth
 * and core/limits then count in their in-memory lib/ratelimit windows, with
 * no indirection on that path. Loop thread only. */
#ifndef FE_COUNTERS_H
#define FE_COUNTERS_H
#include <stdint.h>

struct counters_ops {
	/* Counts one hit for key (a namespaced string such as "ip:signin:
	 * 10.0.0.1" or "send:42", at most 127 bytes are significant) in a
	 * sliding window of window_ms holding at most limit hits, at now_ms.
	 * Returns 0 when allowed, otherwise the seconds (>= 1) after which a
	 * retry would be allowed; a refused hit is not counted. Never fails:
	 * when the shared counters cannot be reached the adapter counts in a
	 * window of its own (the limit then holds per appliance) and says so in
	 * the log. */
	int (*hit)(void *impl, const char *key, unsigned window_ms, unsigned limit, int64_t now_ms);
	/* Forgets key's hits (a successful sign-in resets the account's count). */
	void (*reset)(void *impl, const char *key);
};

struct counters {
	const struct counters_ops *ops; /* NULL: none, core uses lib/ratelimit */
	void *impl;
};

#endif
