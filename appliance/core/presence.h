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

/* A connection of p opened / closed (WebSocket or SSE). */
void presence_connect(struct app *app, const struct principal *p);
void presence_disconnect(struct app *app, const struct principal *p);
/* status "online" or "away"; FE_EINVAL otherwise. Only while connected:
 * a user without a connection stays offline (FE_ECONFLICT). */
int presence_set(struct app *app, const struct principal *p, const char *status, struct fe_err *e);
/* Users of p's workspace that are online or away; with chat_id > 0 only
 * members of that chat (which must be p's). *out owned (free). */
int presence_online(struct app *app, const struct principal *p, int64_t chat_id, struct presence_info **out,
		    size_t *n, struct fe_err *e);

/* Typing start (on = 1) or stop in a chat p is a member of. */
int typing_set(struct app *app, const struct principal *p, int64_t chat_id, int on, struct fe_err *e);
/* Who types in chat_id now (p must be a member). *out owned (free). */
int typing_users(struct app *app, const struct principal *p, int64_t chat_id, struct typing_info **out, size_t *n,
		 struct fe_err *e);
/* Expires typing entries older than TYPING_TTL_MS; call about once a second. */
void typing_tick(struct app *app);

/* The presence state of one app (app->presence; every function above uses
 * it): empty at first. Owned: presence_free. Aborts when out of memory. */
struct presence *presence_new(void);
/* Frees st and what it holds (NULL-safe); publishes nothing. Call after the
 * last connection was detached (server_free). */
void presence_free(struct presence *st);

#endif
