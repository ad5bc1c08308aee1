/* core/search: message search as people type it: words, "quoted phrases",
 * the last word as a prefix; FTS5 syntax characters are plain text. Only
 * the caller's chats are searched (the list is part of the query). The
 * query runs on a worker thread with its own read connection, so sends keep
 * flowing meanwhile; the callback runs on the loop thread. */
#ifndef FE_SEARCH_H
#define FE_SEARCH_H
#include <stddef.h>
#include "core/app.h"
#include "lib/err.h"
#include "ports/search.h"

struct search_in {
	const char *q;
	int64_t chat_id;   /* 0 = all the caller's chats */
	int64_t sender_id; /* 0 = anyone */
	int64_t after_ms, before_ms;
	int by_date;
	int limit, offset;
};

struct search_out {
	struct search_hit *hits; /* borrowed for the callback */
	size_t n;
	int64_t total;
	double took_ms;
};

typedef void (*search_cb)(void *req, int rc, const struct fe_err *e, const struct search_out *out);

/* Returns 0 (cb runs once later) or FE_E* (cb not called). An empty query
 * after parsing answers at once through cb with no hits. */
int search_messages(struct app *app, const struct principal *p, const struct search_in *in, search_cb cb, void *req,
		    struct fe_err *e);

/* Splits what the user typed into terms (owned: search_terms_free). */
size_t search_parse(const char *q, struct search_term *terms, size_t max);
void search_terms_free(struct search_term *terms, size_t n);

#endif
