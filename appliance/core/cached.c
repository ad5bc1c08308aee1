/* core/cached: cache keys, blobs, rendered pages and invalidation: the one
 * place that spells a cache key or tag. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/auth.h"
#include "core/cached.h"
#include "lib/err.h"
#include "lib/gzip.h"
#include "lib/xalloc.h"

#define C app->cache.ops
#define CI app->cache.impl

struct chat_blob_member {
	int64_t user_id;
	char role[8];
};

/* A fixed-size record cached under key: 0 and *out filled from the cache
 * when it holds a copy of that size, else -1. */
static int record_get(struct app *app, const char *key, void *out, size_t size)
{
	char *val;
	size_t len;
	if (!app->cache.ops || C->get(CI, key, &val, &len))
		return -1;
	int ok = len == size;
	if (ok)
		memcpy(out, val, size);
	free(val);
	return ok ? 0 : -1;
}

int cached_user(struct app *app, int64_t id, struct user *u)
{
	char key[48];
	snprintf(key, sizeof key, "user:%lld", (long long)id);
	if (!record_get(app, key, u, sizeof *u))
		return 0;
	int rc = store_call(&app->store, user_get, id, u);
	if (!rc && app->cache.ops)
		C->put(CI, key, u, sizeof *u, TTL_USER, NULL);
	return rc;
}

int cached_workspace(struct app *app, int64_t id, struct workspace *w)
{
	char key[48];
	snprintf(key, sizeof key, "workspace:%lld", (long long)id);
	if (!record_get(app, key, w, sizeof *w))
		return 0;
	int rc = store_call(&app->store, workspace_get, id, w);
	if (!rc && app->cache.ops)
		C->put(CI, key, w, sizeof *w, TTL_WS_USERS, NULL);
	return rc;
}

/* Loads chat:{id}: the chat record then its members. *blob owned. */
static int chat_blob(struct app *app, int64_t id, char **blob, size_t *len)
{
	char key[48];
	snprintf(key, sizeof key, "chat:%lld", (long long)id);
	if (app->cache.ops && !C->get(CI, key, blob, len))
		return 0;
	struct chat c;
	struct chat_member *m = NULL;
	size_t n = 0;
	int rc = store_call(&app->store, chat_get, id, 0, &c);
	if (!rc)
		rc = store_call(&app->store, members_list, id, &m, &n);
	if (rc)
		return rc;
	*len = sizeof c + n * sizeof(struct chat_blob_member);
	*blob = xmalloc(*len);
	memcpy(*blob, &c, sizeof c);
	struct chat_blob_member *bm = (struct chat_blob_member *)(*blob + sizeof c);
	for (size_t i = 0; i < n; i++) {
		bm[i].user_id = m[i].user_id;
		memcpy(bm[i].role, m[i].role, sizeof bm[i].role);
	}
	free(m);
	if (app->cache.ops)
		C->put(CI, key, *blob, *len, TTL_CHAT, NULL);
	return 0;
}

int cached_chat(struct app *app, int64_t id, int64_t viewer, struct chat *c)
{
	char *blob;
	size_t len;
	int rc = chat_blob(app, id, &blob, &len);
	if (rc)
		return rc;
	memcpy(c, blob, sizeof *c);
	size_t n = (len - sizeof *c) / sizeof(struct chat_blob_member);
	struct chat_blob_member *bm = (struct chat_blob_member *)(blob + sizeof *c);
	c->member_count = (int64_t)n;
	c->my_role[0] = 0;
	for (size_t i = 0; i < n; i++)
		if (bm[i].user_id == viewer)
			memcpy(c->my_role, bm[i].role, sizeof c->my_role);
	free(blob);
	return 0;
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

int cached_member_ids(struct app *app, int64_t chat_id, int64_t **ids, size_t *n)
{
	char *blob;
	size_t len;
	int rc = chat_blob(app, chat_id, &blob, &len);
	if (rc)
		return rc;
	*n = (len - sizeof(struct chat)) / sizeof(struct chat_blob_member);
	*ids = xmalloc((*n ? *n : 1) * sizeof **ids);
	struct chat_blob_member *bm = (struct chat_blob_member *)(blob + sizeof(struct chat));
	for (size_t i = 0; i < *n; i++)
		(*ids)[i] = bm[i].user_id;
	qsort(*ids, *n, sizeof **ids, cmp_id);
	free(blob);
	return 0;
}

int cached_unread(struct app *app, int64_t user_id, struct unread **out, size_t *n)
{
	char key[48], *val;
	size_t len;
	snprintf(key, sizeof key, "unread:%lld", (long long)user_id);
	if (app->cache.ops && !C->get(CI, key, &val, &len)) {
		*out = (struct unread *)val;
		*n = len / sizeof **out;
		return 0;
	}
	int rc = store_call(&app->store, unread_counts, user_id, out, n);
	if (!rc && app->cache.ops)
		C->put(CI, key, *out, *n * sizeof **out, TTL_UNREAD, NULL);
	return rc;
}

/* The tag of every rendered page of a chat's messages (messages:{chat}:*). */
static void messages_tag(char *tag, size_t n, int64_t chat_id)
{
	snprintf(tag, n, "messages:%lld", (long long)chat_id);
}

#define WS_USERS_KEY "workspace:%lld:users"

/* pg's key and tag (tag "" when none) and TTL. */
static int page_key(const struct cached_page *pg, char *key, size_t kn, char *tag, size_t tn)
{
	*tag = 0;
	switch (pg->kind) {
	case CACHED_FIRST_PAGE:
		snprintf(key, kn, "messages:%lld:first:%d:u%lld", (long long)pg->id, pg->limit,
		         (long long)pg->viewer);
		messages_tag(tag, tn, pg->id);
		return TTL_MESSAGES;
	case CACHED_WS_USERS:
	default:
		snprintf(key, kn, WS_USERS_KEY, (long long)pg->id);
		return TTL_WS_USERS;
	}
}

/* The key of pg's form for readers that accept gzip: its key with ":gz".
 * Its value is the body and one byte more, GZ_FORM when the body is gzip,
 * PLAIN_FORM when it was too small to compress (one lookup either way). */
static void gz_key(char *gkey, size_t n, const char *key)
{
	snprintf(gkey, n, "%s:gz", key);
}
#define GZ_FORM 'g'
#define PLAIN_FORM 'i'

int cached_page_fetch(struct app *app, const struct cached_page *pg, int accept_gzip, struct cached_body *out)
{
	char key[96], gkey[100], tag[48];
	if (!app->cache.ops)
		return FE_ENOTFOUND;
	page_key(pg, key, sizeof key, tag, sizeof tag);
	out->gzip = 0;
	if (!accept_gzip)
		return C->get(CI, key, &out->data, &out->len);
	gz_key(gkey, sizeof gkey, key);
	int rc = C->get(CI, gkey, &out->data, &out->len);
	if (rc)
		return rc;
	if (!out->len) { /* not one of ours: treat as absent */
		free(out->data);
		return FE_ENOTFOUND;
	}
	out->gzip = out->data[--out->len] == GZ_FORM;
	return 0;
}

void cached_page_keep(struct app *app, const struct cached_page *pg, char *body, size_t len, int accept_gzip,
                      struct cached_body *out)
{
	char key[96], gkey[100], tag[48], *gz;
	size_t glen;
	int ttl = page_key(pg, key, sizeof key, tag, sizeof tag);
	*out = (struct cached_body){body, len, 0};
	if (accept_gzip && len >= GZIP_MIN_BYTES && !gzip_compress(body, len, GZIP_LEVEL_KEPT, &gz, &glen)) {
		free(body);
		*out = (struct cached_body){gz, glen, 1};
	}
	if (!app->cache.ops)
		return;
	if (!accept_gzip) {
		C->put(CI, key, body, len, ttl, *tag ? tag : NULL);
		return;
	}
	/* the form with its marker byte */
	out->data = xrealloc(out->data, out->len + 1);
	out->data[out->len] = out->gzip ? GZ_FORM : PLAIN_FORM;
	gz_key(gkey, sizeof gkey, key);
	C->put(CI, gkey, out->data, out->len + 1, ttl, *tag ? tag : NULL);
}

int cached_page_get(struct app *app, const struct cached_page *pg, char **body, size_t *len)
{
	struct cached_body b;
	int rc = cached_page_fetch(app, pg, 0, &b);
	if (!rc) {
		*body = b.data;
		*len = b.len;
	}
	return rc;
}

void cached_page_put(struct app *app, const struct cached_page *pg, const char *body, size_t len)
{
	struct cached_body b;
	if (!app->cache.ops)
		return;
	char *copy = xmalloc(len + 1);
	memcpy(copy, body, len);
	copy[len] = 0;
	cached_page_keep(app, pg, copy, len, 0, &b);
	free(b.data);
}

static void forget(struct app *app, const char *fmt, int64_t id)
{
	char key[64];
	if (!app->cache.ops)
		return;
	snprintf(key, sizeof key, fmt, (long long)id);
	C->del(CI, key);
}

void cache_forget_user(struct app *app, int64_t user_id, int64_t workspace_id)
{
	auth_forget_user(app, user_id); /* the account state authentication checks */
	forget(app, "user:%lld", user_id);
	forget(app, WS_USERS_KEY, workspace_id);
	forget(app, WS_USERS_KEY ":gz", workspace_id); /* its form for gzip readers */
	forget(app, "workspace:%lld", workspace_id);   /* its member count */
}

void cache_forget_workspace(struct app *app, int64_t workspace_id)
{
	forget(app, "workspace:%lld", workspace_id);
}

void cache_forget_chat(struct app *app, int64_t chat_id)
{
	forget(app, "chat:%lld", chat_id);
}

void cache_forget_profile(struct app *app, int64_t user_id, int64_t workspace_id)
{
	int64_t *chats;
	size_t n;
	cache_forget_user(app, user_id, workspace_id);
	if (!app->cache.ops || store_call(&app->store, chat_ids_of_user, user_id, &chats, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		char tag[48];
		messages_tag(tag, sizeof tag, chats[i]);
		C->del_tag(CI, tag);
	}
	free(chats);
}

/* Drops the unread counters of every member of a chat. */
static void forget_unread_of(struct app *app, const int64_t *ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		forget(app, "unread:%lld", ids[i]);
}

static void on_event(void *ctx, const struct event *ev)
{
	struct app *app = ctx;
	char tag[48];
	int64_t *ids = NULL;
	size_t n = 0;
	messages_tag(tag, sizeof tag, ev->chat_id);
	if (!app->cache.ops) { /* the authentication cache only */
		if (ev->type == EV_SESSIONS_REVOKED)
			auth_forget_user(app, ev->user_id);
		else if (ev->type == EV_RESYNC)
			auth_forget_all(app);
		return;
	}
	switch (ev->type) {
	case EV_MESSAGE_CREATED:
	case EV_MESSAGE_DELETED:
		C->del_tag(CI, tag);
		if (!cached_member_ids(app, ev->chat_id, &ids, &n))
			forget_unread_of(app, ids, n);
		break;
	case EV_MESSAGE_UPDATED:
	case EV_REACTION_CHANGED:
		C->del_tag(CI, tag);
		break;
	case EV_READ_MARKER_MOVED:
		forget(app, "unread:%lld", ev->user_id);
		break;
	case EV_CHAT_CREATED:
	case EV_CHAT_UPDATED:
	case EV_USER_JOINED_CHAT:
		cache_forget_chat(app, ev->chat_id);
		if (!cached_member_ids(app, ev->chat_id, &ids, &n))
			forget_unread_of(app, ids, n);
		break;
	case EV_USER_LEFT_CHAT:
	case EV_CHAT_DELETED:
		cache_forget_chat(app, ev->chat_id);
		C->del_tag(CI, tag);
		forget_unread_of(app, ev->audience, ev->naudience);
		forget(app, "unread:%lld", ev->user_id);
		break;
	case EV_SESSIONS_REVOKED:
		/* the account changed (suspension, logout-all, password): done by
		 * the use case on the appliance that made the change, needed here
		 * when the event came from another one (its authentication cache
		 * would otherwise accept the void tokens until TTL_USER) */
		cache_forget_user(app, ev->user_id, ev->workspace_id);
		break;
	case EV_USER_CHANGED: /* as the use case did, for other appliances */
		cache_forget_profile(app, ev->user_id, ev->workspace_id);
		break;
	case EV_WORKSPACE_CHANGED:
		cache_forget_workspace(app, ev->workspace_id);
		break;
	case EV_RESYNC: /* events were lost: nothing cached can be trusted */
		if (C->clear)
			C->clear(CI);
		auth_forget_all(app);
		break;
	default:
		break;
	}
	free(ids);
}

void cached_init(struct app *app)
{
	app->bus.ops->subscribe(app->bus.impl,
	                        EV_ALL & ~(EV_BIT(EV_TYPING_CHANGED) | EV_BIT(EV_PRESENCE_CHANGED)), on_event,
	                        app);
}
