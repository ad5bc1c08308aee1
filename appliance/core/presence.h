/* core/presence: who is connected (online / away / offline with last_seen)
 * and who is typing where (expires after 10 s). In-memory state of one app
 * (struct presence, app->presence); changes publish EV_PRESENCE_CHANGED
 * and EV_TYPING_CHANGED. */
#ifndef FE_PRESENCE_H
#define FE_PRESENCE_H
#include <stddef.h>
#include "core/app.h"
#include "lib/err.h"
#include "lib/utf8.h"

#define TYPING_TTL_MS 10000

struct presence_info {
	int64_t user_id;
	const char *status; /* static: "online", "away", "offline" */
	int64_t last_seen;  /* ms; 0 unknown */
};

struct typing_info {
	int64_t user_id;
	char user_name[UTF8_BUF(50)];
	int64_t expires_at;
};

/* Callers: the real-time endpoints (http/ws.c, h_realtime.c) and their
 * hub, on the loop thread, which owns app->presence and the bus. p is the
 * authenticated caller (borrowed for the call), any workspace user.
 * Errors: 0, or a negative FE_E* code with e filled. */

/* A connection of p opened / closed (WebSocket or SSE): counted per user;
 * the first connection makes the user online, the last one offline (with
 * last_seen), each publishing PresenceChanged; closing also ends p's
 * typing. Never fail. */
void presence_connect(struct app *app, const struct principal *p);
void presence_disconnect(struct app *app, const struct principal *p);
/* Sets p's status to "online" or "away" (PresenceChanged when it changes).
 * Errors: FE_EINVAL (VALIDATION_ERROR, field status) for another value;
 * FE_ECONFLICT (NOT_CONNECTED) when p has no open connection (a user
 * without one stays offline). status is borrowed. */
int presence_set(struct app *app, const struct principal *p, const char *status, struct fe_err *e);
/* Users of p's workspace that are online or away; with chat_id > 0 only
 * members of that chat. Errors: FE_ENOTFOUND (NOT_FOUND) when p is not a
 * member of chat_id; store errors. *out owned (free). */
int presence_online(struct app *app, const struct principal *p, int64_t chat_id, struct presence_info **out,
                    size_t *n, struct fe_err *e);

/* Typing start (on = 1) or stop in chat_id: TypingChanged when p starts
 * or stops (a repeated start only extends the entry by TYPING_TTL_MS; a
 * stop when not typing says nothing). Errors: FE_ENOTFOUND (NOT_FOUND)
 * when p is not a member of chat_id; store errors. e NULL (internal stop,
 * presence_disconnect) skips the membership check. */
int typing_set(struct app *app, const struct principal *p, int64_t chat_id, int on, struct fe_err *e);
/* Who types in chat_id now. Errors: FE_ENOTFOUND (NOT_FOUND) when p is
 * not a member of chat_id. *out owned (free). */
int typing_users(struct app *app, const struct principal *p, int64_t chat_id, struct typing_info **out,
                 size_t *n, struct fe_err *e);
/* Expires typing entries older than TYPING_TTL_MS (TypingChanged for
 * each); the server calls it about once a second. */
void typing_tick(struct app *app);

/* The presence state of one app (app->presence; every function above uses
 * it): empty at first. Owned: presence_free. Aborts when out of memory. */
struct presence *presence_new(void);
/* Frees st and what it holds (NULL-safe); publishes nothing. Call after the
 * last connection was detached (server_free). */
void presence_free(struct presence *st);

#endif
