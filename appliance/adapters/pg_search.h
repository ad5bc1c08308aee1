/* adapters/pg_search: the search port on PostgreSQL full-text search
 * (fechatter-cluster, --store postgres). Words are matched with the
 * text search configuration fe_search (simple + unaccent: case and accent
 * folded) over the messages' content and sender name (the expression index
 * of schema/postgres/0010_search.sql); a word of an unspaced script (Chinese,
 * Japanese, Thai, Lao, Khmer, Myanmar) is matched as a substring of the
 * content (pg_trgm index). Relevance is ts_rank (content weighted 1.0, the
 * sender's name 0.4, as the FTS5 adapter's bm25 weights), newest first
 * among equals; snippets come from ts_headline with <mark> markers. Each
 * search worker thread has its own connection. */
#ifndef FE_PG_SEARCH_H
#define FE_PG_SEARCH_H
#include "ports/search.h"

/* Prepares searching the PostgreSQL database at url (conninfo or
 * postgresql:// URL, already migrated) into *s. Connections are opened
 * lazily, one per calling thread. Returns 0 (never fails: an unreachable
 * database makes searches answer FE_EUNAVAIL). */
int pg_search_open(const char *url, struct search *s);

/* Closes the calling thread's connection and frees s's state (NULL-safe). */
void pg_search_close(struct search *s);

#endif
