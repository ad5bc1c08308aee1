/* adapters/bus_codec: events as compact JSON (see bus_codec.h). Keys are
 * short; zero numbers, empty texts and absent pointers are left out. Numbers
 * of 10^15 and beyond (cJSON prints 15 significant digits when that reads
 * back "close enough"; a token version of INT64_MAX) travel as decimal
 * strings. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "adapters/bus_codec.h"
#include "lib/err.h"
#include "lib/xalloc.h"

#define EXACT_MAX 9007199254740992.0 /* 2^53: doubles hold every integer below */
#define PRINT_MAX 1000000000000000LL /* 10^15: cJSON prints these exactly */

static cJSON *i64_item(int64_t v)
{
	if (v < PRINT_MAX && v > -PRINT_MAX)
		return cJSON_CreateNumber((double)v);
	char s[24];
	snprintf(s, sizeof s, "%lld", (long long)v);
	return cJSON_CreateString(s);
}

static void put_i64(cJSON *o, const char *k, int64_t v)
{
	if (v)
		cJSON_AddItemToObject(o, k, i64_item(v));
}

/* it as an integer: 0, or -1 when it is neither an integral number nor a
 * decimal string. */
static int item_i64(const cJSON *it, int64_t *v)
{
	if (cJSON_IsNumber(it)) {
		double d = it->valuedouble;
		if (d >= EXACT_MAX || d <= -EXACT_MAX || d != (double)(int64_t)d)
			return -1;
		*v = (int64_t)d;
		return 0;
	}
	if (cJSON_IsString(it)) {
		char *end;
		errno = 0;
		long long x = strtoll(it->valuestring, &end, 10);
		if (errno || end == it->valuestring || *end)
			return -1;
		*v = x;
		return 0;
	}
	return -1;
}

static void put_str(cJSON *o, const char *k, const char *s)
{
	if (s && *s)
		cJSON_AddStringToObject(o, k, s);
}

/* *v from o's member k: 0 when absent; -1 when not an integer. */
static int get_i64(const cJSON *o, const char *k, int64_t *v)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);
	*v = 0;
	return it ? item_i64(it, v) : 0;
}

/* Copies o's text member k into out (n bytes): "" when absent; -1 when not
 * a string or too long. *present tells whether it was there (may be NULL). */
static int get_str(const cJSON *o, const char *k, char *out, size_t n, int *present)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);
	*out = 0;
	if (present)
		*present = it != NULL;
	if (!it)
		return 0;
	if (!cJSON_IsString(it) || strlen(it->valuestring) >= n)
		return -1;
	memcpy(out, it->valuestring, strlen(it->valuestring) + 1);
	return 0;
}

static cJSON *enc_message(const struct message *m)
{
	cJSON *o = cJSON_CreateObject();
	put_i64(o, "id", m->id);
	put_i64(o, "c", m->chat_id);
	put_i64(o, "s", m->sender_id);
	put_i64(o, "rt", m->reply_to);
	put_i64(o, "rc", m->reply_count);
	put_i64(o, "ca", m->created_at);
	put_i64(o, "ea", m->edited_at);
	put_i64(o, "da", m->deleted_at);
	put_str(o, "x", m->content);
	put_str(o, "k", m->idempotency_key);
	put_str(o, "sn", m->sender_name);
	put_str(o, "sa", m->sender_avatar);
	if (m->mentions_all)
		cJSON_AddNumberToObject(o, "ma", 1);
	if (m->nmentions > 0) {
		cJSON *a = cJSON_AddArrayToObject(o, "mn");
		for (int i = 0; i < m->nmentions; i++)
			cJSON_AddItemToArray(a, i64_item(m->mentions[i]));
	}
	if (m->nfiles > 0) {
		cJSON *a = cJSON_AddArrayToObject(o, "f");
		for (int i = 0; i < m->nfiles; i++) {
			const struct file_rec *f = &m->files[i];
			cJSON *fo = cJSON_CreateObject();
			put_i64(fo, "id", f->id);
			put_i64(fo, "sz", f->size);
			put_i64(fo, "u", f->uploader_id);
			put_i64(fo, "ca", f->created_at);
			put_str(fo, "h", f->sha256);
			put_str(fo, "e", f->ext);
			put_str(fo, "mt", f->mime_type);
			put_str(fo, "fn", f->filename);
			cJSON_AddItemToArray(a, fo);
		}
	}
	if (m->nreactions > 0) {
		cJSON *a = cJSON_AddArrayToObject(o, "r");
		for (int i = 0; i < m->nreactions; i++) {
			cJSON *ro = cJSON_CreateObject();
			put_str(ro, "e", m->reactions[i].emoji);
			put_i64(ro, "n", m->reactions[i].count);
			put_i64(ro, "me", m->reactions[i].me);
			cJSON_AddItemToArray(a, ro);
		}
	}
	return o;
}

static cJSON *enc_chat(const struct chat *c)
{
	cJSON *o = cJSON_CreateObject();
	put_i64(o, "id", c->id);
	put_i64(o, "w", c->workspace_id);
	put_i64(o, "cb", c->created_by);
	put_i64(o, "lm", c->last_message_id);
	put_i64(o, "la", c->last_activity_at);
	put_i64(o, "ca", c->created_at);
	put_i64(o, "ua", c->updated_at);
	put_str(o, "t", c->chat_type);
	put_str(o, "n", c->name);
	put_str(o, "d", c->description);
	put_i64(o, "mc", c->member_count);
	put_str(o, "r", c->my_role);
	return o;
}

char *bus_codec_encode(const struct event *ev, const char *origin, size_t *len)
{
	cJSON *o = cJSON_CreateObject();
	put_str(o, "o", origin);
	cJSON_AddNumberToObject(o, "t", ev->type);
	put_i64(o, "w", ev->workspace_id);
	put_i64(o, "c", ev->chat_id);
	put_i64(o, "a", ev->actor_id);
	put_i64(o, "u", ev->user_id);
	put_i64(o, "m", ev->message_id);
	if (ev->emoji)
		cJSON_AddStringToObject(o, "e", ev->emoji);
	put_i64(o, "ad", ev->added);
	if (ev->status)
		cJSON_AddStringToObject(o, "s", ev->status);
	put_i64(o, "ls", ev->last_seen);
	if (ev->user_name)
		cJSON_AddStringToObject(o, "n", ev->user_name);
	if (ev->audience) {
		cJSON *a = cJSON_AddArrayToObject(o, "au");
		for (size_t i = 0; i < ev->naudience; i++)
			cJSON_AddItemToArray(a, i64_item(ev->audience[i]));
	}
	if (ev->idempotency_key)
		cJSON_AddStringToObject(o, "k", ev->idempotency_key);
	put_i64(o, "tv", ev->token_version);
	if (ev->message)
		cJSON_AddItemToObject(o, "msg", enc_message(ev->message));
	if (ev->chat)
		cJSON_AddItemToObject(o, "chat", enc_chat(ev->chat));
	char *text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!text)
		abort();
	*len = strlen(text);
	return text;
}

/* An array member of numbers into an owned int64 array. 0, or -1. */
static int get_ids(const cJSON *o, const char *k, int64_t **out, size_t *n)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, k), *it;
	*out = NULL;
	*n = 0;
	if (!a)
		return 0;
	if (!cJSON_IsArray(a))
		return -1;
	int count = cJSON_GetArraySize(a);
	*out = xmalloc((size_t)(count ? count : 1) * sizeof **out);
	cJSON_ArrayForEach(it, a)
	{
		if (item_i64(it, &(*out)[*n]))
			return -1;
		(*n)++;
	}
	return 0;
}

static int dec_message(const cJSON *o, struct message *m)
{
	int bad = !cJSON_IsObject(o);
	int64_t v;
	size_t n;
	if (bad)
		return -1;
	bad |= get_i64(o, "id", &m->id) | get_i64(o, "c", &m->chat_id) | get_i64(o, "s", &m->sender_id) |
	       get_i64(o, "rt", &m->reply_to) | get_i64(o, "rc", &m->reply_count) |
	       get_i64(o, "ca", &m->created_at) | get_i64(o, "ea", &m->edited_at) |
	       get_i64(o, "da", &m->deleted_at);
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, "x");
	if (x && !cJSON_IsString(x))
		return -1;
	m->content = xstrdup(x ? x->valuestring : "");
	bad |= get_str(o, "k", m->idempotency_key, sizeof m->idempotency_key, NULL) |
	       get_str(o, "sn", m->sender_name, sizeof m->sender_name, NULL) |
	       get_str(o, "sa", m->sender_avatar, sizeof m->sender_avatar, NULL);
	bad |= get_i64(o, "ma", &v);
	m->mentions_all = v != 0;
	bad |= get_ids(o, "mn", &m->mentions, &n);
	m->nmentions = (int)n;
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "f"), *it;
	if (a) {
		if (!cJSON_IsArray(a))
			return -1;
		int count = cJSON_GetArraySize(a);
		m->files = xcalloc((size_t)(count ? count : 1), sizeof *m->files);
		cJSON_ArrayForEach(it, a)
		{
			struct file_rec *f = &m->files[m->nfiles++];
			if (!cJSON_IsObject(it))
				return -1;
			bad |= get_i64(it, "id", &f->id) | get_i64(it, "sz", &f->size) |
			       get_i64(it, "u", &f->uploader_id) | get_i64(it, "ca", &f->created_at) |
			       get_str(it, "h", f->sha256, sizeof f->sha256, NULL) |
			       get_str(it, "e", f->ext, sizeof f->ext, NULL) |
			       get_str(it, "mt", f->mime_type, sizeof f->mime_type, NULL) |
			       get_str(it, "fn", f->filename, sizeof f->filename, NULL);
		}
	}
	a = cJSON_GetObjectItemCaseSensitive(o, "r");
	if (a) {
		if (!cJSON_IsArray(a))
			return -1;
		int count = cJSON_GetArraySize(a);
		m->reactions = xcalloc((size_t)(count ? count : 1), sizeof *m->reactions);
		cJSON_ArrayForEach(it, a)
		{
			struct reaction_sum *r = &m->reactions[m->nreactions++];
			if (!cJSON_IsObject(it))
				return -1;
			bad |= get_str(it, "e", r->emoji, sizeof r->emoji, NULL) | get_i64(it, "n", &v);
			r->count = (int)v;
			bad |= get_i64(it, "me", &v);
			r->me = (int)v;
		}
	}
	return bad ? -1 : 0;
}

static int dec_chat(const cJSON *o, struct chat *c)
{
	if (!cJSON_IsObject(o))
		return -1;
	return get_i64(o, "id", &c->id) | get_i64(o, "w", &c->workspace_id) |
	       get_i64(o, "cb", &c->created_by) | get_i64(o, "lm", &c->last_message_id) |
	       get_i64(o, "la", &c->last_activity_at) | get_i64(o, "ca", &c->created_at) |
	       get_i64(o, "ua", &c->updated_at) | get_str(o, "t", c->chat_type, sizeof c->chat_type, NULL) |
	       get_str(o, "n", c->name, sizeof c->name, NULL) |
	       get_str(o, "d", c->description, sizeof c->description, NULL) |
	       get_i64(o, "mc", &c->member_count) | get_str(o, "r", c->my_role, sizeof c->my_role, NULL);
}

static int decode(const cJSON *o, struct decoded_event *d)
{
	struct event *ev = &d->ev;
	int64_t v;
	int present, bad = 0;
	if (!cJSON_IsObject(o) || get_str(o, "o", d->origin, sizeof d->origin, NULL) || get_i64(o, "t", &v) ||
	    v <= 0 || v >= EV_COUNT)
		return -1;
	ev->type = (enum event_type)v;
	bad |= get_i64(o, "w", &ev->workspace_id) | get_i64(o, "c", &ev->chat_id) |
	       get_i64(o, "a", &ev->actor_id) | get_i64(o, "u", &ev->user_id) |
	       get_i64(o, "m", &ev->message_id) | get_i64(o, "ls", &ev->last_seen) |
	       get_i64(o, "tv", &ev->token_version);
	bad |= get_i64(o, "ad", &v);
	ev->added = v != 0;
	bad |= get_str(o, "e", d->emoji, sizeof d->emoji, &present);
	ev->emoji = present ? d->emoji : NULL;
	bad |= get_str(o, "s", d->status, sizeof d->status, &present);
	ev->status = present ? d->status : NULL;
	bad |= get_str(o, "n", d->user_name, sizeof d->user_name, &present);
	ev->user_name = present ? d->user_name : NULL;
	bad |= get_str(o, "k", d->idempotency_key, sizeof d->idempotency_key, &present);
	ev->idempotency_key = present ? d->idempotency_key : NULL;
	if (cJSON_GetObjectItemCaseSensitive(o, "au")) {
		bad |= get_ids(o, "au", &d->audience, &ev->naudience);
		ev->audience = d->audience;
	}
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "msg");
	if (m) {
		bad |= dec_message(m, &d->msg);
		ev->message = &d->msg;
	}
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "chat");
	if (c) {
		bad |= dec_chat(c, &d->chat);
		ev->chat = &d->chat;
	}
	return bad ? -1 : 0;
}

int bus_codec_decode(const char *text, size_t len, struct decoded_event *out)
{
	memset(out, 0, sizeof *out);
	cJSON *o = cJSON_ParseWithLength(text, len);
	int rc = o ? decode(o, out) : -1;
	cJSON_Delete(o);
	if (rc) {
		bus_codec_clear(out);
		return FE_EINVAL;
	}
	return 0;
}

void bus_codec_clear(struct decoded_event *d)
{
	if (!d)
		return;
	message_clear(&d->msg);
	free(d->audience);
	memset(d, 0, sizeof *d);
}

void bus_codec_subject(const struct event *ev, const char *prefix, char *out, size_t n)
{
	if (ev->type == EV_WORKSPACE_CHANGED)
		snprintf(out, n, "%s.%lld.workspace", prefix, (long long)ev->workspace_id);
	else if (ev->chat_id)
		snprintf(out, n, "%s.%lld.chat.%lld", prefix, (long long)ev->workspace_id,
		         (long long)ev->chat_id);
	else
		snprintf(out, n, "%s.%lld.user.%lld", prefix, (long long)ev->workspace_id,
		         (long long)ev->user_id);
}
