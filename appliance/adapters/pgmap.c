/* adapters/pgmap: the pure helpers of the PostgreSQL store (no libpq):
 * error mapping and the breaker's backoff. */
#include <string.h>
#include "adapters/pgmap.h"
#include "lib/err.h"

int pg_map_sqlstate(const char *st)
{
	if (!st || strlen(st) != 5)
		return FE_EUNAVAIL; /* no answer from the server: the connection went away */
	if (!strcmp(st, "23505"))
		return FE_ECONFLICT;
	if (!strncmp(st, "23", 2) || !strncmp(st, "22", 2))
		return FE_EINVAL;
	if (!strcmp(st, "53100"))
		return FE_ENOSPC;
	if (!strcmp(st, "55P03"))
		return FE_EUNAVAIL; /* lock_timeout */
	if (!strncmp(st, "08", 2) || !strncmp(st, "57", 2) || !strncmp(st, "53", 2) || !strncmp(st, "40", 2))
		return FE_EUNAVAIL;
	return FE_EINTERNAL;
}

int pg_sqlstate_lost(const char *st)
{
	return !st || strlen(st) != 5 || !strncmp(st, "08", 2) || !strcmp(st, "57P01") ||
	       !strcmp(st, "57P02") || !strcmp(st, "57P03");
}

int pg_next_backoff(int ms)
{
	if (ms < PG_BACKOFF_MIN_MS)
		return PG_BACKOFF_MIN_MS;
	return ms >= PG_BACKOFF_MAX_MS / 2 ? PG_BACKOFF_MAX_MS : ms * 2;
}
