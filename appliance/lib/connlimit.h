/* lib/connlimit: counts open connections per client address and in total,
 * and says whether one more may be admitted. Pure bookkeeping (no sockets),
 * so it can be unit-tested; http/server.c asks it when lws accepts a
 * connection and tells it when the connection is destroyed. */
#ifndef FE_CONNLIMIT_H
#define FE_CONNLIMIT_H
#include <stddef.h>
#include <stdint.h>

enum { CONNLIMIT_OK = 0, CONNLIMIT_PER_ADDR = 1, CONNLIMIT_TOTAL = 2 };

struct connlimit;

/* A counter admitting at most per_addr connections per address and total in
 * all (both >= 1). Returns owned, free with connlimit_free. */
struct connlimit *connlimit_new(int per_addr, int total);
void connlimit_free(struct connlimit *c);

/* Would one more connection from addr (16 bytes: IPv6, or IPv4-mapped) be
 * admitted? CONNLIMIT_OK, or which cap it would pass. Changes nothing. */
int connlimit_check(const struct connlimit *c, const unsigned char addr[16]);

/* Counts connection id (any unique nonzero value) from addr; an id already
 * counted is released first. Counts even past the caps (the caller checked). */
void connlimit_add(struct connlimit *c, uint64_t id, const unsigned char addr[16]);

/* Stops counting connection id; unknown ids are ignored. */
void connlimit_remove(struct connlimit *c, uint64_t id);

/* Connections counted in total, and from addr. */
int connlimit_total(const struct connlimit *c);
int connlimit_count(const struct connlimit *c, const unsigned char addr[16]);

#endif
