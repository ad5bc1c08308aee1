/* core/chat: chats and their members: the four chat types, their rules,
 * and the events their changes publish. A chat is invisible (FE_ENOTFOUND)
 * to anyone who is not a member, and to every other workspace. */
#ifndef FE_CHAT_H
#define FE_CHAT_H
#include <stddef.h>
#include "core/app.h"
#include "lib/err.h"
#include "ports/model.h"

struct chat_create_in {
	const char *name, *chat_type, *description; /* name, description may be NULL */
	const int64_t *members;                     /* other people (the caller may appear too) */
	size_t nmembers;
};

/* A chat as its members see it in lists. */
struct chat_summary {
	struct chat chat;
	struct message last; /* last.id == 0: no message yet */
	int64_t unread_count, mention_count;
	int64_t *members; /* owned */
	size_t nmembers;
};
void chat_summaries_free(struct chat_summary *a, size_t n);

/* *created = 1 for a new chat, 0 for an existing Single of the same pair. */
int chat_create(struct app *app, const struct principal *p, const struct chat_create_in *in,
		struct chat_summary *out, int *created, struct fe_err *e);
/* The caller's chats, most recent activity first; *out owned (chat_summaries_free). */
int chat_list(struct app *app, const struct principal *p, struct chat_summary **out, size_t *n, struct fe_err *e);
int chat_get(struct app *app, const struct principal *p, int64_t id, struct chat_summary *out, struct fe_err *e);
/* name/description NULL keep their value. */
int chat_update(struct app *app, const struct principal *p, int64_t id, const char *name, const char *description,
		struct chat_summary *out, struct fe_err *e);
int chat_delete(struct app *app, const struct principal *p, int64_t id, struct fe_err *e);
/* Public channels of the workspace the caller is not in; *out owned (free). */
int chat_public(struct app *app, const struct principal *p, struct chat **out, size_t *n, struct fe_err *e);
int chat_join(struct app *app, const struct principal *p, int64_t id, struct chat_summary *out, struct fe_err *e);
int chat_leave(struct app *app, const struct principal *p, int64_t id, struct fe_err *e);
int chat_members(struct app *app, const struct principal *p, int64_t id, struct chat_member **out, size_t *n,
		 struct fe_err *e);
int chat_add_members(struct app *app, const struct principal *p, int64_t id, const int64_t *users, size_t n,
		     struct fe_err *e);
int chat_remove_member(struct app *app, const struct principal *p, int64_t id, int64_t user, struct fe_err *e);
int chat_set_role(struct app *app, const struct principal *p, int64_t id, int64_t user, const char *role,
		  struct fe_err *e);

/* Loads chat id if the caller is a member (c->my_role set), else FE_ENOTFOUND. */
int chat_require_member(struct app *app, const struct principal *p, int64_t id, struct chat *c, struct fe_err *e);
/* 1 when role is owner or admin. */
int chat_role_manages(const char *role);

#endif
