/* core/search: message search as people type it: words, "quoted phrases",
 * the last word as a prefix; FTS5 syntax characters are plain text. Only
 * the caller's chats are searched (the list is part of the query). The
 * query runs on the search lane of the workers (APP_LANE_SEARCH), with its
 * own read connection, so sends keep flowing and sign-ins never queue
 * behind searches; the callback runs on the loop thread. A search is
 * stopped at its deadline (cfg search_timeout_ms, counted from the request)
 * or when search_cancel() says nobody waits for it any more. Per user: at
 * most cfg search_concurrency searches running and cfg search_rate a
 * minute (core/limits). */
#ifndef FE_SEARCH_H
#define FE_SEARCH_H
#include <stddef.h>
#include "core/app.h"
#include "lib/err.h"
#include "ports/search.h"

struct search_in {
	const char *q;                  /* may be NULL or empty when f holds a filter */
	const struct search_filters *f; /* from the API's parameters (NULL = none), ANDed with q's */
	int64_t chat_id;                /* 0 = all the caller's chats */
	int64_t sender_id;              /* 0 = anyone */
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

struct search_job;

/* Returns 0 (cb runs once later, on the loop thread) or FE_E* (cb not
 * called): 400 VALIDATION_ERROR (field q: empty without any filter, or
 * over 500 characters; before/after/on: not a day; from/in: too many
 * names), 404 for a chat the caller is not in, 429
 * RATE_LIMITED or TOO_MANY_SEARCHES (e->retry_after set), 503 when shutting
 * down. A query with neither words nor filters after parsing answers at
 * once through cb with no hits (before this returns); one with filters
 * only gives the newest messages that pass them. When the query was queued and job is not
 * NULL, *job is set to it (borrowed until cb runs: for search_cancel).
 * cb's rc: 0, or FE_EUNAVAIL with code SEARCH_TIMEOUT (the deadline passed)
 * or SEARCH_CANCELLED, or another FE_E* when the search failed. */
int search_messages(struct app *app, const struct principal *p, const struct search_in *in, search_cb cb,
                    void *req, struct search_job **job, struct fe_err *e);

/* Asks a queued or running search to stop (the client went away): its
 * query is interrupted, cb still runs once (with SEARCH_CANCELLED). Loop
 * thread, only before cb ran. */
void search_cancel(struct search_job *job);

/* Stops every queued or running search (graceful shutdown): each cb still
 * runs once, with 503 SHUTTING_DOWN. Loop thread. */
void search_cancel_all(void);

/* Searches since start, by outcome, and those queued or running now. */
struct search_stats {
	uint64_t ok, timeouts, cancelled, failed;
	int64_t in_progress;
};
void search_stats(struct search_stats *out);

/* What the user typed, parsed (search_parse_query). */
#define SEARCH_MAX_TERMS 16
struct search_parsed {
	struct search_term terms[SEARCH_MAX_TERMS]; /* words and phrases, excluded ones too */
	size_t nterms;
	struct search_filters f;
};

/* Parses a query as people type it, as in Slack and Mattermost: words,
 * "quoted phrases", the last word as a prefix while typing; -word and
 * -"phrase" exclude; the filters from:@name (or from:name, from:"Full
 * Name"; from:me is the caller), in:#chat (in:chat, in:"Chat name"),
 * in:@name (the direct chat with that user), before:, after:, on: (a
 * YYYY-MM-DD date, UTC: before the day starts, after it ends, within it),
 * has:file and has:link. An operator is recognised at the start of a word
 * only, its name in any case; an unknown operator (foo:bar), an empty one
 * (from:, in:#) or an unknown has: value is a plain word; a filter cannot be
 * excluded (-from:x is the excluded phrase "from x"). A repeated from: or
 * in: ORs its names (at most SEARCH_MAX_NAMES each); dates tighten. Pure:
 * no I/O. Returns 0, or FE_EINVAL with *field set to the operator ("before",
 * "after", "on") whose date is not a valid day, or to "from"/"in" when they
 * name too many. *out holds owned strings even after an error: free it with
 * search_parsed_free. */
int search_parse_query(const char *q, struct search_parsed *out, const char **field);
void search_parsed_free(struct search_parsed *p);

/* Adds one filter given apart from the query (an API parameter): op is
 * from, in, before, after, on or has, value what follows the colon in a
 * query (has: also "file,link"). Returns 0, or FE_EINVAL when the value is
 * not one the operator takes (an empty name, a bad date, an unknown has:
 * value, too many names). */
int search_filter_apply(struct search_filters *f, const char *op, const char *value);

/* 1 when f asks for something (a name, a date, a has:). */
int search_filters_any(const struct search_filters *f);

/* Parses "YYYY-MM-DD" (n bytes, years 1970..9999) into the milliseconds
 * of that day's start, UTC. Returns 0, or -1 when it is not a real day. */
int search_date(const char *s, size_t n, int64_t *day_ms);

/* The terms only, the filters dropped (owned: search_terms_free). */
size_t search_parse(const char *q, struct search_term *terms, size_t max);
void search_terms_free(struct search_term *terms, size_t n);

#endif
