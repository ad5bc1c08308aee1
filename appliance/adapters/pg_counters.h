/* adapters/pg_counters: the cluster's shared rate-limit counters
 * (ports/counters) in PostgreSQL, on a connection of their own. */
#ifndef FE_PG_COUNTERS_H
#define FE_PG_COUNTERS_H
#include <stddef.h>
#include "ports/counters.h"

/* Connects to url (a libpq connection URL), creates the table
 * fe_rate_counters if it does not exist, prepares the statements and fills
 * *out. Returns 0, or -1 with a message in err (nothing to free then). */
int pg_counters_open(const char *url, struct counters *out, char *err, size_t errlen);

/* Closes the connection and frees the adapter; NULL-safe, and nothing when
 * c->ops is not this adapter's. */
void pg_counters_close(struct counters *c);

#endif
