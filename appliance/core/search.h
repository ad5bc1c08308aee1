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

/* Searches the caller's messages for what in asks (in->q parsed with
 * search_parse_query, its filters ANDed with in->f's and the other
 * fields), on the search lane of app->workers. Called by the HTTP handler
 * (http/h_search) on the loop thread, for any signed-in member: only the
 * caller's chats are searched (in->chat_id must be one of them).
 * Returns 0 (cb runs once later, on the loop thread) or FE_E* (cb not
 * called): 400 VALIDATION_ERROR (field q: empty without any filter, or
 * over 500 characters; before/after/on: not a day; from/in: too many
 * names), 404 for a chat the caller is not in, 429
 * RATE_LIMITED or TOO_MANY_SEARCHES (e->retry_after set), 503 when shutting
 * down, another FE_E* when the store fails listing the caller's chats. A
 * query with neither words nor filters after parsing answers at
 * once through cb with no hits (before this returns); one with filters
 * only gives the newest messages that pass them. When the query was queued and job is not
 * NULL, *job is set to it (borrowed until cb runs: for search_cancel).
 * cb's rc: 0, or FE_EUNAVAIL with code SEARCH_TIMEOUT (the deadline passed)
 * or SEARCH_CANCELLED, or another FE_E* when the search failed
 * (FE_ECORRUPT: the database is damaged). in and its strings are copied
 * before this returns; out's hits are borrowed for the callback only. */
int search_messages(struct app *app, const struct principal *p, const struct search_in *in, search_cb cb,
                    void *req, struct search_job **job, struct fe_err *e);

/* Asks a queued or running search to stop (the client went away): its
 * query is interrupted, cb still runs once (with SEARCH_CANCELLED). Called
 * by the HTTP layer on the loop thread, only before cb ran. No errors. */
void search_cancel(struct search_job *job);

/* Stops every queued or running search of app (graceful shutdown): each cb
 * still runs once, with 503 SHUTTING_DOWN. Called by the server on the loop
 * thread. No errors. */
void search_cancel_all(struct app *app);

/* An app's searches: the jobs queued or running and the counters below.
 * Made and freed by main.c (and the unit tests' app builder) as
 * app->searches, so two apps in one process keep them apart. searches_new
 * never fails (aborts without memory); searches_free is NULL-safe and is
 * called once no search is queued (after the workers stopped). */
struct searches;
struct searches *searches_new(void);
void searches_free(struct searches *s);

/* Searches of app since it started, by outcome, and those queued or
 * running now. Fills *out (a copy). Loop thread (http/metrics). */
struct search_stats {
	uint64_t ok, timeouts, cancelled, failed;
	int64_t in_progress;
};
void search_stats(const struct app *app, struct search_stats *out);

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
/* Frees the strings search_parse_query put in *p (the struct is the
 * caller's) and empties it; safe to call twice. */
void search_parsed_free(struct search_parsed *p);

/* Adds one filter given apart from the query (an API parameter; called by
 * http/h_search before search_messages): op is
 * from, in, before, after, on or has, value what follows the colon in a
 * query (has: also "file,link"). Returns 0, or FE_EINVAL when the value is
 * not one the operator takes (an empty name, a bad date, an unknown has:
 * value, too many names), f then unchanged. Pure. */
int search_filter_apply(struct search_filters *f, const char *op, const char *value);

/* 1 when f asks for something (a name, a date, a has:), else 0. Pure; no
 * errors. */
int search_filters_any(const struct search_filters *f);

/* Parses "YYYY-MM-DD" (n bytes, years 1970..9999) into the milliseconds
 * of that day's start, UTC, into *day_ms. Returns 0, or -1 when it is not
 * a real day (*day_ms unchanged). Pure (the parser's; tests call it). */
int search_date(const char *s, size_t n, int64_t *day_ms);

/* Parses q as search_parse_query does and keeps the terms only (the
 * filters dropped, and a bad date ignored): fills terms[0..max) and returns
 * how many. The strings are owned by the caller: search_terms_free. Pure;
 * for callers that only need the words (tests, snippets). */
size_t search_parse(const char *q, struct search_term *terms, size_t max);
/* Frees terms[0..n)'s strings (the array is the caller's). */
void search_terms_free(struct search_term *terms, size_t n);

#endif
