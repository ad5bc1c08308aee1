/* adapters/sqlite_store: the store port on SQLite (WAL, foreign keys,
 * synchronous FULL or NORMAL), with the embedded schema migrations. */
#ifndef FE_SQLITE_STORE_H
#define FE_SQLITE_STORE_H
#include "ports/store.h"

/* Opens (creating) the database at path (":memory:" for tests), applies the
 * pending migrations in one transaction, fills *st. durability_full selects
 * synchronous=FULL. Returns 0, or -1 with a reason in err (errlen bytes):
 * the database is newer than this binary, unreadable, or a migration failed. */
int sqlite_store_open(const char *path, int durability_full, struct store *st, char *err, size_t errlen);

/* Checkpoints the WAL (TRUNCATE) and closes. NULL-safe. */
void sqlite_store_close(struct store *st);

/* Writes a consistent copy of the database at src (safe while a server
 * writes to it: SQLite's online backup) to dest, through dest.tmp and a
 * rename. Returns 0 or -1 with a reason in err. */
int sqlite_store_backup(const char *src, const char *dest, char *err, size_t errlen);

/* The schema version this binary knows (highest embedded migration). */
int sqlite_store_schema_version(void);

#endif
