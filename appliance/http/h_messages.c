/* http/h_messages: messages, threads, reactions, read markers, unread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/cached.h"
#include "core/chat.h"
#include "core/message.h"
#include "http/handlers.h"
#include "http/jsonio.h"
#include "http/send_decode.h"

/* Reads an optional positive integer query argument; -1 when malformed. */
static int64_t query_id(struct req *r, const char *name, int64_t def, int64_t max)
{
	char buf[32];
	if (req_query(r, name, buf, sizeof buf))
		return def;
	char *end;
	long long v = strtoll(buf, &end, 10);
	if (!*buf || *end || v < 0 || v > max)
		return -1;
	return v;
}

/* Reads limit/before/after; answers 400 and returns -1 when malformed. */
static int paging(struct req *r, int *limit, int64_t *before, int64_t *after)
{
	int64_t l = query_id(r, "limit", 50, 100);
	*before = query_id(r, "before", 0, INT64_MAX);
	*after = query_id(r, "after", -2, INT64_MAX); /* -2: absent; 0: from the oldest */
	const char *bad = l < 1 ? "limit" : *before < 0 ? "before" : *after == -1 ? "after" : NULL;
	if (bad) {
		resp_fail(r, FE_EINVAL, "VALIDATION_ERROR", bad,
		          !strcmp(bad, "limit") ? "limit must be an integer in 1..100"
		                                : "cursors must be message ids");
		return -1;
	}
	*limit = (int)l;
	return 0;
}

/* A page with meta {has_more, next_before, next_after} (the cursor to pass
 * for the next page in the direction this one was taken) as the envelope's
 * text; frees list. Returns owned, free(). */
static char *list_text(struct message *list, size_t n, int has_more, const char *cursor, int64_t next)
{
	cJSON *d = cJSON_CreateArray(), *meta = cJSON_CreateObject();
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(d, json_message(&list[i]));
	messages_free(list, n);
	cJSON_AddBoolToObject(meta, "has_more", has_more);
	cJSON_AddNullToObject(meta, "next_before");
	cJSON_AddNullToObject(meta, "next_after");
	if (has_more && next)
		cJSON_ReplaceItemInObject(meta, cursor, cJSON_CreateNumber((double)next));
	return json_ok_text(d, meta);
}

static void send_text(struct req *r, char *text)
{
	resp_raw(r, 200, "application/json; charset=utf-8", text, strlen(text));
}

/* Answers a kept page in the form it came in. */
static void send_body(struct req *r, struct cached_body *b)
{
	if (b->gzip)
		resp_gzip(r, 200, "application/json; charset=utf-8", b->data, b->len);
	else
		resp_raw(r, 200, "application/json; charset=utf-8", b->data, b->len);
}

void h_messages_list(struct req *r)
{
	struct fe_err e = {0};
	struct message *list;
	size_t n;
	int limit, more;
	int64_t before, after;
	char *text;
	int64_t chat = req_cap_id(r, "id");
	if (paging(r, &limit, &before, &after))
		return;
	/* the first page (the hot read) is kept as the rendered answer
	 * (core/cached: per viewer, dropped by every change to the chat) */
	struct chat c;
	struct cached_body b;
	struct cached_page pg = {CACHED_FIRST_PAGE, chat, limit, r->who.user_id};
	int first = !before && after < 0;
	if (first) {
		if (chat_require_member(r->app, &r->who, chat, &c, &e)) {
			resp_err(r, &e);
			return;
		}
		if (!cached_page_fetch(r->app, &pg, req_accepts_gzip(r), &b)) {
			send_body(r, &b);
			return;
		}
	}
	if (message_list(r->app, &r->who, chat, before, after, limit, &list, &n, &more, &e)) {
		resp_err(r, &e);
		return;
	}
	/* newest first: older pages continue below the last item, newer ones
	 * above the first */
	if (after >= 0)
		text = list_text(list, n, more, "next_after", n ? list[0].id : 0);
	else
		text = list_text(list, n, more, "next_before", n ? list[n - 1].id : 0);
	if (first) {
		cached_page_keep(r->app, &pg, text, strlen(text), req_accepts_gzip(r), &b);
		send_body(r, &b);
		return;
	}
	send_text(r, text);
}

void h_replies(struct req *r)
{
	struct fe_err e = {0};
	struct message *list;
	size_t n;
	int limit, more;
	int64_t before, after;
	if (paging(r, &limit, &before, &after))
		return;
	if (message_replies(r->app, &r->who, req_cap_id(r, "id"), req_cap_id(r, "mid"), after > 0 ? after : 0,
	                    limit, &list, &n, &more, &e)) {
		resp_err(r, &e);
		return;
	}
	send_text(r, list_text(list, n, more, "next_after", n ? list[n - 1].id : 0));
}

static void send_done(void *req, int rc, const struct fe_err *e, const struct message *m, int created)
{
	struct req *r = ticket_take(req);
	if (!r)
		return;
	if (rc)
		resp_err(r, e);
	else
		resp_ok(r, created ? 201 : 200, json_message(m));
}

void h_message_send(struct req *r)
{
	struct fe_err e = {0};
	struct send_in in;
	cJSON *j = req_json(r);
	if (!j)
		return;
	if (send_decode(j, NULL, &in, &e)) {
		resp_err(r, &e);
		goto out;
	}
	struct ticket *t = req_defer(r);
	if (message_send(r->app, &r->who, req_cap_id(r, "id"), &in, send_done, t, &e)) {
		ticket_take(t);
		resp_err(r, &e);
	}
out:
	cJSON_Delete(j);
}

static void send_message(struct req *r, int rc, struct message *m, const struct fe_err *e)
{
	if (rc) {
		resp_err(r, e);
		return;
	}
	resp_ok(r, 200, json_message(m));
	message_clear(m);
}

void h_message_edit(struct req *r)
{
	struct fe_err e = {0};
	struct message m = {0};
	const char *content;
	cJSON *j = req_json(r);
	if (!j)
		return;
	if (jstr(j, "content", 1, &content, &e))
		resp_err(r, &e);
	else
		send_message(
		    r,
		    message_edit(r->app, &r->who, req_cap_id(r, "id"), req_cap_id(r, "mid"), content, &m, &e),
		    &m, &e);
	cJSON_Delete(j);
}

void h_message_delete(struct req *r)
{
	struct fe_err e = {0};
	struct message m = {0};
	send_message(r, message_delete(r->app, &r->who, req_cap_id(r, "id"), req_cap_id(r, "mid"), &m, &e),
	             &m, &e);
}

static void react(struct req *r, const char *emoji, int add)
{
	struct fe_err e = {0};
	struct reaction_sum *sums;
	size_t n;
	int changed;
	int64_t mid = req_cap_id(r, "mid");
	if (message_react(r->app, &r->who, req_cap_id(r, "id"), mid, emoji, add, &changed, &sums, &n, &e)) {
		resp_err(r, &e);
		return;
	}
	cJSON *d = json_reactions(sums, n);
	free(sums);
	resp_ok(r, add && changed ? 201 : 200, d);
}

void h_reaction_add(struct req *r)
{
	struct fe_err e = {0};
	const char *emoji;
	cJSON *j = req_json(r);
	if (!j)
		return;
	if (jstr(j, "emoji", 1, &emoji, &e))
		resp_err(r, &e);
	else
		react(r, emoji, 1);
	cJSON_Delete(j);
}

void h_reaction_remove(struct req *r)
{
	react(r, req_cap(r, "emoji"), 0);
}

void h_mark_read(struct req *r)
{
	struct fe_err e = {0};
	int64_t mid = 0, marker = 0, chat = req_cap_id(r, "id");
	cJSON *j = req_json(r);
	if (!j)
		return;
	if (jint(j, "message_id", 1, 1, INT64_MAX / 2, &mid, &e) ||
	    message_mark_read(r->app, &r->who, chat, mid, &marker, &e)) {
		resp_err(r, &e);
	} else {
		cJSON *d = cJSON_CreateObject();
		cJSON_AddNumberToObject(d, "chat_id", (double)chat);
		cJSON_AddNumberToObject(d, "message_id", (double)marker);
		resp_ok(r, 200, d);
	}
	cJSON_Delete(j);
}

void h_unread_counts(struct req *r)
{
	struct fe_err e = {0};
	struct unread *list;
	size_t n;
	if (message_unread(r->app, &r->who, &list, &n, &e)) {
		resp_err(r, &e);
		return;
	}
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "chat_id", (double)list[i].chat_id);
		cJSON_AddNumberToObject(o, "unread_count", (double)list[i].unread_count);
		cJSON_AddNumberToObject(o, "mention_count", (double)list[i].mention_count);
		cJSON_AddItemToArray(a, o);
	}
	free(list);
	resp_ok(r, 200, a);
}
