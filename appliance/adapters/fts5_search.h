/* adapters/fts5_search: the search port on SQLite FTS5 (unicode61 with
 * adapters/fts5_tokenize for every script). Each thread
 * that searches opens its own read-only connection to the database. */
#ifndef FE_FTS5_SEARCH_H
#define FE_FTS5_SEARCH_H
#include <stdint.h>
#include "ports/search.h"
#include "ports/store.h"

/* What each search thread's connection may hold. */
struct fts5_search_mem {
	int64_t cache_bytes; /* its page cache (SQLite cache_size); 0 = SQLite's default */
	int64_t mmap_bytes;  /* bytes of the file it maps (PRAGMA mmap_size); 0 = none */
	int64_t map_rss;     /* after a search, it unmaps the file when the process's
	                      * resident memory is above this (touched mapped pages
	                      * count as resident); 0 = after every search */
	int rank_window;     /* the newest matches a relevance search scores (bm25);
	                      * older ones follow them, newest first; 0 = every match */
};

/* Prepares searching the database at path (already migrated) into *s.
 * store is the SQLite store (sqlite_store_open) of the same file, or NULL:
 * corruption a search meets marks it damaged, and a damaged store makes
 * every search answer FE_ECORRUPT; it must outlive s. Each thread's
 * connection's memory comes from mem (NULL: no map, a 4 MB page cache).
 * Returns 0. Free with fts5_search_close. */
int fts5_search_open(const char *path, struct store *store, const struct fts5_search_mem *mem,
                     struct search *s);
void fts5_search_close(struct search *s);

#endif
