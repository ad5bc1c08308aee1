/* adapters/pgmap: pure helpers of the PostgreSQL store adapter. */
#ifndef FE_PGMAP_H
#define FE_PGMAP_H

#define PG_BACKOFF_MIN_MS 100
#define PG_BACKOFF_MAX_MS 5000

/* Maps a failed statement's SQLSTATE to FE_E*: 23505 (unique) →
 * FE_ECONFLICT; other 23xxx (foreign key, check, not null) and 22xxx (bad
 * data) → FE_EINVAL; 53100 (disk full) → FE_ENOSPC; 08xxx (connection),
 * 57xxx (cancelled, statement timeout, shutting down), other 53xxx
 * (resources), 40xxx (serialization, deadlock), 55P03 (lock timeout) →
 * FE_EUNAVAIL; NULL or malformed (no answer
 * from the server) → FE_EUNAVAIL; anything else FE_EINTERNAL. */
int pg_map_sqlstate(const char *sqlstate);
/* 1 when sqlstate means the connection is gone (NULL, 08xxx, 57P01..03:
 * the server shut down or crashed), else 0. */
int pg_sqlstate_lost(const char *sqlstate);
/* The breaker's next wait after a failed reconnect: 100 ms at first (or
 * below), then doubling, at most 5000 ms. */
int pg_next_backoff(int backoff_ms);

#endif
