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

/* user:{id} */
int cached_user(struct app *app, int64_t id, struct user *u);
/* chat:{id}: the chat with member_count and viewer's my_role filled. */
int cached_chat(struct app *app, int64_t id, int64_t viewer, struct chat *c);
/* The chat's member ids (sorted); *ids owned (free). */
int cached_member_ids(struct app *app, int64_t chat_id, int64_t **ids, size_t *n);
/* unread:{user}: every chat's counters; *out owned (free). */
int cached_unread(struct app *app, int64_t user_id, struct unread **out, size_t *n);

/* Forget after a write. */
void cache_forget_user(struct app *app, int64_t user_id, int64_t workspace_id);
void cache_forget_chat(struct app *app, int64_t chat_id);
/* A profile change: the rendered message pages of the user's chats show
 * their name and avatar, so those go too. */
void cache_forget_profile(struct app *app, int64_t user_id, int64_t workspace_id);

/* Subscribes the event-driven invalidation to the bus (call before the
 * fan-out subscribes). */
void cached_init(struct app *app);

#endif
