/* adapters/fts5_search: the search port on SQLite FTS5 (unicode61 with
 * adapters/fts5_tokenize for every script). Each thread
 * that searches opens its own read-only connection to the database. */
#ifndef FE_FTS5_SEARCH_H
#define FE_FTS5_SEARCH_H
#include "ports/search.h"

/* Prepares searching the database at path (already migrated). Returns 0. */
int fts5_search_open(const char *path, struct search *s);
void fts5_search_close(struct search *s);

#endif
