/* core/cached: read-through access to the hot records through the cache
 * port (key families and TTLs of ARCHITECTURE.md), and their invalidation:
 * explicitly right after a use case's own writes, and by events (bus
 * handler registered before the notification fan-out, so fan-out always
 * sees fresh membership). */
#ifndef FE_CACHED_H
#define FE_CACHED_H
#include <stddef.h>
#include "core/app.h"
#include "ports/model.h"

#define TTL_USER 1800
#define TTL_CHAT 600
#define TTL_MESSAGES 300
#define TTL_UNREAD 300
#define TTL_WS_USERS 600

/* Callers: core/ use cases and core/auth (never the handlers, except
 * through cached_page_*), on the loop thread, which owns the cache and the
 * store. Without a cache (app->cache.ops NULL) every read goes to the store
 * and every forget does nothing. The reads return 0, or the store's code as
 * it came (FE_ENOTFOUND when there is no such record; FE_ENOSPC,
 * FE_EUNAVAIL, FE_ECORRUPT, FE_EINTERNAL): no fe_err, the caller maps it
 * (err_store). A record read from the store is kept for its TTL. */

/* User id (user:{id}) into *u, the caller's storage. */
int cached_user(struct app *app, int64_t id, struct user *u);
/* Workspace id (workspace:{id}, the record with its member count) into
 * *w, the caller's storage. Dropped with every cache_forget_user of one of
 * its users (a sign-up changes the count) and by cache_forget_workspace. */
int cached_workspace(struct app *app, int64_t id, struct workspace *w);
/* Chat id (chat:{id}, the chat with its members' ids and roles) into *c,
 * the caller's storage, with member_count and viewer's my_role ("" when
 * viewer is not a member) filled. Its activity fields (last message) may
 * be as old as the TTL. */
int cached_chat(struct app *app, int64_t id, int64_t viewer, struct chat *c);
/* The chat's member ids, ascending (from chat:{id}); *ids owned (free). */
int cached_member_ids(struct app *app, int64_t chat_id, int64_t **ids, size_t *n);
/* unread:{user}: the user's counters, one entry per chat (the store's
 * unread_counts); *out owned (free). */
int cached_unread(struct app *app, int64_t user_id, struct unread **out, size_t *n);

/* Rendered pages: an answer body kept as its handler rendered it, so that
 * a repeated hot read is one copy. This module owns each kind's key, tag,
 * TTL and invalidation; handlers name the page, never its key. */
enum cached_page_kind {
	/* a chat's newest page of messages (id = the chat), per page size and
	 * viewer (reactions carry "me"); dropped by every change to the chat
	 * and by a profile change of one of its members */
	CACHED_FIRST_PAGE,
	/* the users of a workspace (id = the workspace); dropped when one of
	 * them changes (cache_forget_user) */
	CACHED_WS_USERS,
};

struct cached_page {
	enum cached_page_kind kind;
	int64_t id;     /* the chat or the workspace */
	int limit;      /* CACHED_FIRST_PAGE: the page size */
	int64_t viewer; /* CACHED_FIRST_PAGE: the reader */
};

/* A page's answer body as fetched or kept: data owned (free()), gzip 1
 * when data is the gzip form. */
struct cached_body {
	char *data;
	size_t len;
	int gzip;
};

/* A page is kept per form its readers take, each form its own entry with
 * the page's tag and TTL, made when a reader of that form misses: as
 * rendered (key) for readers without gzip, and for readers that accept gzip
 * (key ":gz") the gzip body, or the body as rendered when it is shorter
 * than GZIP_MIN_BYTES. Only forms someone reads take memory (browsers all
 * take gzip, about a fifth of the bytes), one lookup per read, and every
 * invalidation drops both.
 *
 * Fetches page pg in the form for a reader that accepts gzip or not into
 * *out (out->gzip says which it is). FE_ENOTFOUND when that form is absent
 * or expired, or the appliance runs without a cache. The caller checks the
 * reader's right to the page first. Loop thread. */
int cached_page_fetch(struct app *app, const struct cached_page *pg, int accept_gzip,
                      struct cached_body *out);
/* Makes page pg's form for the reader from body (len bytes as rendered,
 * owned: taken), keeps it with its kind's TTL and tag, and hands it back in
 * *out (owned): gzip (GZIP_LEVEL_KEPT) when accept_gzip and body is at least
 * GZIP_MIN_BYTES, else body itself. Without a cache nothing is kept (the
 * answer is still made). */
void cached_page_keep(struct app *app, const struct cached_page *pg, char *body, size_t len, int accept_gzip,
                      struct cached_body *out);
/* Shorthands for the form of readers without gzip: cached_page_fetch into
 * *body (owned) and *len; cached_page_keep of a copy of body. */
int cached_page_get(struct app *app, const struct cached_page *pg, char **body, size_t *len);
void cached_page_put(struct app *app, const struct cached_page *pg, const char *body, size_t len);

/* Forget after a write (the use case's own, before its event): the user's
 * record and the workspace's rendered user list; the chat's record (with
 * members and roles). Never fail. */
void cache_forget_user(struct app *app, int64_t user_id, int64_t workspace_id);
void cache_forget_chat(struct app *app, int64_t chat_id);
/* After a write to the workspace's own record (a rename). */
void cache_forget_workspace(struct app *app, int64_t workspace_id);
/* A profile change: the rendered message pages of the user's chats show
 * their name and avatar, so those go too. */
void cache_forget_profile(struct app *app, int64_t user_id, int64_t workspace_id);

/* Subscribes the event-driven invalidation to app->bus for every event but
 * typing and presence (call before the fan-out subscribes, so it sees fresh
 * membership); without a cache, only the authentication cache's part
 * (SessionsRevoked, Resync). Once per app, from main.c (or the unit tests'
 * app builder) before serving. */
void cached_init(struct app *app);

#endif
