/* core/presence: connection counts per user and typing entries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/chat.h"
#include "core/presence.h"
#include "lib/imap.h"
#include "lib/log.h"
#include "lib/utf8.h"
#include "lib/xalloc.h"

struct pres {
	int64_t workspace_id;
	int conns;
	int away;
	int64_t last_seen;
};

struct typing {
	int64_t chat_id, workspace_id, user_id, expires_at;
	char user_name[UTF8_BUF(50)];
};

/* One app's presence state (app->presence). */
struct presence {
	struct imap users; /* user_id -> struct pres */
	struct typing *typing;
	size_t ntyping, captyping;
};

static const char *status_of(const struct pres *p)
{
	return !p || !p->conns ? "offline" : p->away ? "away" : "online";
}

static void publish(struct app *app, int64_t ws, int64_t user, const struct pres *p)
{
	struct event ev = {.type = EV_PRESENCE_CHANGED,
	                   .workspace_id = ws,
	                   .actor_id = user,
	                   .user_id = user,
	                   .status = status_of(p),
	                   .last_seen = p ? p->last_seen : 0};
	bus_publish(&app->bus, &ev);
}

void presence_connect(struct app *app, const struct principal *p)
{
	struct presence *st = app->presence;
	struct pres *s = imap_get(&st->users, p->user_id);
	if (!s) {
		s = xcalloc(1, sizeof *s);
		s->workspace_id = p->workspace_id;
		imap_put(&st->users, p->user_id, s);
	}
	s->last_seen = app->now_ms();
	if (s->conns++ == 0) {
		s->away = 0;
		publish(app, p->workspace_id, p->user_id, s);
	}
}

void presence_disconnect(struct app *app, const struct principal *p)
{
	struct presence *st = app->presence;
	struct pres *s = imap_get(&st->users, p->user_id);
	if (!s || !s->conns)
		return;
	s->last_seen = app->now_ms();
	if (--s->conns == 0) {
		publish(app, p->workspace_id, p->user_id, s);
		/* also end any typing of this user */
		for (size_t i = 0; i < st->ntyping;)
			if (st->typing[i].user_id == p->user_id) {
				struct principal who = *p;
				typing_set(app, &who, st->typing[i].chat_id, 0, NULL);
			} else {
				i++;
			}
	}
}

int presence_set(struct app *app, const struct principal *p, const char *status, struct fe_err *e)
{
	struct presence *st = app->presence;
	if (!status || (strcmp(status, "online") && strcmp(status, "away")))
		return err_set(e, FE_EINVAL, "VALIDATION_ERROR", "status", "status must be online or away");
	struct pres *s = imap_get(&st->users, p->user_id);
	if (!s || !s->conns)
		return err_set(e, FE_ECONFLICT, "NOT_CONNECTED", NULL,
		               "open a WebSocket or SSE connection first");
	int away = !strcmp(status, "away");
	if (s->away != away) {
		s->away = away;
		s->last_seen = app->now_ms();
		publish(app, p->workspace_id, p->user_id, s);
	}
	return 0;
}

int presence_online(struct app *app, const struct principal *p, int64_t chat_id, struct presence_info **out,
                    size_t *n, struct fe_err *e)
{
	struct presence *st = app->presence;
	int64_t *members = NULL;
	size_t nm = 0;
	int rc;
	*out = NULL;
	*n = 0;
	if (chat_id > 0) {
		struct chat c;
		if ((rc = chat_require_member(app, p, chat_id, &c, e)))
			return rc;
		if ((rc = store_call(&app->store, member_ids, chat_id, &members, &nm)))
			return err_set(e, rc, NULL, NULL, "store error");
	}
	*out = xcalloc(st->users.n ? st->users.n : 1, sizeof **out);
	for (size_t i = 0; i < st->users.cap; i++) {
		struct pres *s = st->users.slots[i].val;
		int64_t uid = st->users.slots[i].key;
		if (!uid || !s->conns || s->workspace_id != p->workspace_id)
			continue;
		int in = !members;
		for (size_t k = 0; k < nm && !in; k++)
			in = members[k] == uid;
		if (in)
			(*out)[(*n)++] = (struct presence_info){uid, status_of(s), s->last_seen};
	}
	free(members);
	return 0;
}

static void publish_typing(struct app *app, const struct typing *t, int on)
{
	struct event ev = {.type = EV_TYPING_CHANGED,
	                   .workspace_id = t->workspace_id,
	                   .chat_id = t->chat_id,
	                   .actor_id = t->user_id,
	                   .user_id = t->user_id,
	                   .added = on,
	                   .user_name = t->user_name};
	bus_publish(&app->bus, &ev);
}

int typing_set(struct app *app, const struct principal *p, int64_t chat_id, int on, struct fe_err *e)
{
	struct presence *st = app->presence;
	size_t i;
	struct chat c;
	int rc = e ? chat_require_member(app, p, chat_id, &c, e) : 0; /* e NULL: internal stop */
	if (rc)
		return rc;
	for (i = 0; i < st->ntyping; i++)
		if (st->typing[i].chat_id == chat_id && st->typing[i].user_id == p->user_id)
			break;
	if (!on) {
		if (i == st->ntyping)
			return 0; /* was not typing: nothing to say */
		struct typing t = st->typing[i];
		st->typing[i] = st->typing[--st->ntyping];
		publish_typing(app, &t, 0);
		return 0;
	}
	int64_t exp = app->now_ms() + TYPING_TTL_MS;
	if (i < st->ntyping) {
		st->typing[i].expires_at = exp; /* still typing: extend silently */
		return 0;
	}
	struct user u;
	if ((rc = store_call(&app->store, user_get, p->user_id, &u)))
		return err_set(e, rc, NULL, NULL, "store error");
	if (st->ntyping == st->captyping) {
		st->captyping = st->captyping ? st->captyping * 2 : 16;
		struct typing *b = xrealloc(st->typing, st->captyping * sizeof *st->typing);
		st->typing = b;
	}
	struct typing *t = &st->typing[st->ntyping++];
	*t = (struct typing){chat_id, p->workspace_id, p->user_id, exp, ""};
	snprintf(t->user_name, sizeof t->user_name, "%s", u.fullname);
	publish_typing(app, t, 1);
	return 0;
}

int typing_users(struct app *app, const struct principal *p, int64_t chat_id, struct typing_info **out,
                 size_t *n, struct fe_err *e)
{
	struct presence *st = app->presence;
	struct chat c;
	int rc = chat_require_member(app, p, chat_id, &c, e);
	if (rc)
		return rc;
	*n = 0;
	*out = xcalloc(st->ntyping ? st->ntyping : 1, sizeof **out);
	for (size_t i = 0; i < st->ntyping; i++)
		if (st->typing[i].chat_id == chat_id) {
			struct typing_info *t = &(*out)[(*n)++];
			t->user_id = st->typing[i].user_id;
			t->expires_at = st->typing[i].expires_at;
			snprintf(t->user_name, sizeof t->user_name, "%s", st->typing[i].user_name);
		}
	return 0;
}

void typing_tick(struct app *app)
{
	struct presence *st = app->presence;
	int64_t now = app->now_ms();
	for (size_t i = 0; i < st->ntyping;) {
		if (st->typing[i].expires_at > now) {
			i++;
			continue;
		}
		struct typing t = st->typing[i];
		st->typing[i] = st->typing[--st->ntyping];
		publish_typing(app, &t, 0);
	}
}

struct presence *presence_new(void)
{
	struct presence *st = xcalloc(1, sizeof *st);
	return st;
}

void presence_free(struct presence *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->users.cap; i++)
		if (st->users.slots[i].key)
			free(st->users.slots[i].val);
	imap_free(&st->users);
	free(st->typing);
	free(st);
}
