/* core/limits: the per-user abuse limits every transport shares. A use case
 * (or the one place a transport enters it) calls limits_hit() before doing
 * the work, so a send over HTTP and one over WebSocket count against the
 * same window. Sliding windows of one minute per user and action
 * (lib/ratelimit), plus a cap on the searches a user has running at once.
 * Refusals are counted per action for /metrics. Loop thread only. */
#ifndef FE_LIMITS_H
#define FE_LIMITS_H
#include <stdint.h>
#include "core/app.h"
#include "lib/err.h"

enum limit_kind {
	LIMIT_SEND,           /* a message sent (HTTP or WebSocket) */
	LIMIT_UPLOAD,         /* a file upload started */
	LIMIT_SEARCH,         /* a search asked */
	LIMIT_INVITE,         /* a workspace invite created */
	LIMIT_PROFILE,        /* a profile change */
	LIMIT_SEARCH_RUNNING, /* refused by the concurrent-search cap (limits_enter) */
	LIMIT_NKINDS
};

/* The limits cfg asks for (send_rate, upload_rate, search_rate, invite_rate,
 * profile_rate per user per minute; search_concurrency; 0 = off), at most
 * max_users users tracked per action (beyond that the least recently active
 * user's window is forgotten). Returns owned, free with limits_free();
 * aborts on allocation failure. */
struct limits *limits_new(const struct config *cfg, size_t max_users);
/* Frees l and its windows; NULL-safe. */
void limits_free(struct limits *l);

/* Counts one action of kind k (LIMIT_SEND .. LIMIT_PROFILE) by user_id at
 * app->now_ms(). Returns 0 when allowed (always when app->limits is NULL or
 * that limit is 0), otherwise FE_ERATE with e filled: code RATE_LIMITED,
 * retry_after in seconds (>= 1), a message naming the action. A refused
 * action is not counted in the window but is counted for /metrics. */
int limits_hit(struct app *app, enum limit_kind k, int64_t user_id, struct fe_err *e);

/* Takes one of user_id's concurrent-search slots. Returns 0 (release it
 * with limits_leave() exactly once), or FE_ERATE with e filled: code
 * TOO_MANY_SEARCHES, retry_after 1. Always 0 when the cap is off. */
int limits_enter(struct app *app, int64_t user_id, struct fe_err *e);
/* Gives back one slot taken by limits_enter (core/search, when the search
 * ends, is refused or cancelled); nothing when the cap is off. */
void limits_leave(struct app *app, int64_t user_id);

/* For /metrics: the label of kind k ("send", ...; static) and how many
 * actions of that kind were refused since start (0 when l is NULL). */
const char *limits_name(enum limit_kind k);
uint64_t limits_refused(const struct limits *l, enum limit_kind k);

#endif
