/* adapters/fts5_search: the search port on SQLite FTS5 (unicode61 with
 * adapters/fts5_tokenize for every script). Each thread
 * that searches opens its own read-only connection to the database. */
#ifndef FE_FTS5_SEARCH_H
#define FE_FTS5_SEARCH_H
#include <stdint.h>
#include "ports/search.h"
#include "ports/store.h"

/* Prepares searching the database at path (already migrated) into *s.
 * store is the SQLite store (sqlite_store_open) of the same file, or NULL:
 * corruption a search meets marks it damaged, and a damaged store makes
 * every search answer FE_ECORRUPT; it must outlive s. Each thread's
 * connection maps at most mmap_bytes of the file (0 = read through the
 * page cache only). Returns 0. Free with fts5_search_close. */
int fts5_search_open(const char *path, struct store *store, int64_t mmap_bytes, struct search *s);
void fts5_search_close(struct search *s);

#endif
