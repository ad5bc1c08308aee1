/* ports/search: full-text search over messages. The index lives beside the
 * messages (same transactions), so the port only queries. Implementations
 * must be callable from worker threads (each thread its own connection), so
 * a search never holds up the event loop. */
#ifndef FE_SEARCH_PORT_H
#define FE_SEARCH_PORT_H
#include <stddef.h>
#include <stdint.h>
#include "lib/utf8.h"

/* One thing the user typed: a word, a "quoted phrase", or the word being
 * typed (prefix: "deplo" finds "deployment"). Plain text, no syntax. */
struct search_term {
	char *text;
	int phrase, prefix;
	int exclude; /* -word or -"phrase": matching messages are left out */
};

/* A name in a from: or in: filter (core/search parses them). */
#define SEARCH_MAX_NAMES 4
#define SEARCH_NAME_BYTES 104
enum search_name_kind {
	SEARCH_NAME_USER,    /* from:@name: email local part or display name */
	SEARCH_NAME_ME,      /* from:me: the caller */
	SEARCH_NAME_CHANNEL, /* in:#name: a chat's name */
	SEARCH_NAME_DM,      /* in:@name: the caller's direct chat with that user */
};
struct search_name {
	int kind;
	char text[SEARCH_NAME_BYTES]; /* as typed, without the @ or # */
};

/* What the filters ask besides words: names are ORed within from: and
 * within in:; everything else is ANDed. */
struct search_filters {
	struct search_name from[SEARCH_MAX_NAMES];
	int nfrom;
	struct search_name in[SEARCH_MAX_NAMES];
	int nin;
	int64_t after_ms, before_ms; /* created_at strictly between (0 = unbounded) */
	int has_file, has_link;
};

struct search_query {
	struct search_term *terms;
	size_t nterms;
	const int64_t *chats; /* the only chats searched: the caller's */
	size_t nchats;
	int64_t user_id;             /* the caller: from:me, in:@name */
	struct search_filters f;     /* names and has: (its dates are merged into after_ms/before_ms) */
	int64_t sender_id;           /* 0 = any */
	int64_t after_ms, before_ms; /* 0 = unbounded */
	int by_date;                 /* newest first instead of relevance */
	int limit, offset;
	/* Stopping: the search gives up with FE_EUNAVAIL (no hits) once the
	 * monotonic clock (time_mono_us) reaches deadline_us (0 = never), or
	 * once *cancel (read atomically; NULL = never) becomes nonzero. */
	int64_t deadline_us;
	const int *cancel;
};

struct search_hit {
	int64_t id, chat_id, sender_id, created_at;
	char chat_name[UTF8_BUF(50)];
	char sender_name[UTF8_BUF(50)]; /* the sender's current name */
	char *content;                  /* owned */
	char *snippet;                  /* owned; matches between <mark> and </mark>, the rest as stored */
};

struct search_ops {
	/* Runs q over the chats q->chats only, on the calling worker thread
	 * (core/search's run(), on the search lane; never the loop thread).
	 * Fills *out (owned by the caller: search_hits_free) with at most
	 * q->limit hits after skipping q->offset, best first (or newest first
	 * with q->by_date), and *total with the number of matches. Without terms to match (only
	 * filters and exclusions) the hits are the newest messages that pass
	 * the filters. A name no chat or member of q->chats answers to gives
	 * no hits (never an error). q and its strings are borrowed for the
	 * call. Returns 0 or FE_E* (nothing in *out): FE_EUNAVAIL when
	 * stopped by q's deadline or cancel flag, or when the database cannot
	 * be opened; FE_ECORRUPT when the database is damaged (and the store
	 * is then marked damaged too); FE_EINTERNAL otherwise. */
	int (*search)(void *s, const struct search_query *q, struct search_hit **out, size_t *n,
	              int64_t *total);
	/* Rebuilds the index from the messages, in one write transaction
	 * (fechatter reindex, with no server running; blocks for as long as
	 * it takes). Returns 0 or FE_EINTERNAL (logged; the old index stays). */
	int (*rebuild)(void *s);
};

/* The port: ops over impl (made by an adapter's open, e.g.
 * fts5_search_open; freed by its close). */
struct search {
	const struct search_ops *ops;
	void *impl;
};

/* Frees h[0..n), their strings, and the array itself (NULL-safe). Called by
 * whoever got the hits from search (core/search, tests). */
void search_hits_free(struct search_hit *h, size_t n);

#endif
