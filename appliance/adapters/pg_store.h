/* adapters/pg_store: the store port on PostgreSQL (libpq), with the
 * embedded migrations of schema/postgres/, prepared statements, and a
 * circuit breaker around the connection (adapters/pg_util.c). Built only
 * into fechatter-cluster (-DFE_CLUSTER). */
#ifndef FE_PG_STORE_H
#define FE_PG_STORE_H
#include <stddef.h>
#include "ports/search.h"
#include "ports/store.h"

/* Connects to url (a postgresql:// URL or a libpq conninfo), applies the
 * pending migrations of schema/postgres/ in one transaction (under an
 * advisory lock, so that appliances starting together migrate once) when
 * migrate is 1, and fills *st. Each statement may take up to timeout_ms
 * (also the connect deadline and the server's statement_timeout); one that
 * takes longer drops the connection and opens the breaker. Returns 0, or
 * -1 with a reason in err: unreachable, the database is newer than this
 * binary, or a migration failed. */
int pg_store_open(const char *url, int timeout_ms, int migrate, struct store *st, char *err, size_t errlen);

/* Closes the connection and frees. NULL-safe (st->impl NULL). */
void pg_store_close(struct store *st);

/* The token signing key every appliance of the database shares: sk (64
 * bytes, libsodium's Ed25519 layout) is offered and stored when the
 * database has none yet (INSERT ... ON CONFLICT DO NOTHING), then the
 * stored one is read back into sk. *made 1 when ours was stored. Returns 0
 * or FE_E* (sk undefined then). */
int pg_store_signing_key(struct store *st, unsigned char sk[64], int *made);

/* The schema version this binary knows (highest schema/postgres/ file). */
int pg_store_schema_version(void);

/* 1 while the breaker is open (the database was unreachable at the last
 * call), else 0. For /health's reason. */
int pg_store_down(const struct store *st);

/* A search port that answers FE_EUNAVAIL: for --store postgres until a
 * PostgreSQL search adapter is wired in its place. */
void pg_store_no_search(struct search *s);

#endif
