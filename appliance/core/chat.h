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
/* Frees an array of n summaries (chat_list's) with their contents;
 * NULL-safe. */
void chat_summaries_free(struct chat_summary *a, size_t n);

/* The use cases below, in common:
 * - Callers: the HTTP handlers (http/h_chats.c) on the loop thread, which
 *   owns the store, the cache and the bus (core/demo.c too, at start-up).
 *   p is the authenticated caller (borrowed for the call); "workspace
 *   user" below means any p, whatever the workspace role (owner, admin or
 *   member): chat rights come from the chat role alone.
 * - Chat roles: the creator of a Group or channel is its owner, the people
 *   added are members; both people of a Single are members, so nobody
 *   manages a Single. A "manager" is a chat owner or admin
 *   (chat_role_manages).
 * - Errors: 0, or a negative FE_E* code with e filled. A chat the caller
 *   is not a member of, or of another workspace, is FE_ENOTFOUND
 *   (NOT_FOUND), never FE_EFORBIDDEN. "Store errors" are what err_store()
 *   makes of a failed store call: FE_ENOTFOUND, FE_ENOSPC (DISK_FULL),
 *   FE_ECORRUPT (DATABASE_CORRUPT), or FE_EUNAVAIL / FE_EINTERNAL / ... as
 *   the store returned them.
 * - Changes are written in one transaction (nothing is changed on an
 *   error), forget the chat's cache entries and publish their event on
 *   app->bus after the commit.
 * - A chat_summary out (chat_create, chat_get, chat_update, chat_join) is
 *   the caller's storage; on success it owns out->last's contents and
 *   out->members: free them with message_clear(&out->last) and
 *   free(out->members). On an error there is nothing to free. */

/* Creates a chat of in->chat_type with the caller and in->members (the
 * caller's own id and duplicates are dropped from them).
 * Who: any workspace user; becomes its owner ("member" in a Single).
 * Rules (FE_EINVAL, VALIDATION_ERROR with the field): chat_type one of
 * Single, Group, PrivateChannel, PublicChannel; a channel's name 1..50
 * characters, a Group's 0..50, no control characters (a Single has no
 * name: in->name is ignored); description 0..500; at most 1000 members
 * given; a Single has exactly one other person, a Group at least one; each
 * member an Active user of the caller's workspace.
 * A Single of the same pair that exists already is returned instead:
 * *created = 0, nothing written, no event. Otherwise *created = 1 and
 * ChatCreated is published (a Single with the stored name ""). FE_ECONFLICT
 * (CHAT_EXISTS, field name) when a channel of the workspace has that name
 * (case-folded); store errors. in is borrowed; out as above. */
int chat_create(struct app *app, const struct principal *p, const struct chat_create_in *in,
                struct chat_summary *out, int *created, struct fe_err *e);
/* The chats the caller is a member of, most recent activity first, each
 * with its members, last message and unread counters; a Single is named
 * after the other person. Who: any workspace user. Errors: store errors.
 * *out owned: chat_summaries_free(*out, *n) (NULL and 0 on an error). */
int chat_list(struct app *app, const struct principal *p, struct chat_summary **out, size_t *n,
              struct fe_err *e);
/* Chat id as the caller sees it (as in chat_list). Who: a member of the
 * chat (else FE_ENOTFOUND). Errors: store errors. out as above. */
int chat_get(struct app *app, const struct principal *p, int64_t id, struct chat_summary *out,
             struct fe_err *e);
/* Renames chat id and/or changes its description (NULL keeps a value),
 * publishes ChatUpdated and fills out with the updated chat.
 * Who: a manager of the chat (owner or admin); a plain member gets
 * FE_EFORBIDDEN (FORBIDDEN), a non-member FE_ENOTFOUND.
 * Errors: FE_EINVAL (VALIDATION_ERROR) when a name is given for a Single
 * (checked before the role), a name outside 1..50 characters for a channel
 * or 0..50 for a Group, a description over 500, control characters;
 * FE_ECONFLICT (CHAT_EXISTS) when another channel of the workspace has the
 * name; store errors. name and description are borrowed. */
int chat_update(struct app *app, const struct principal *p, int64_t id, const char *name,
                const char *description, struct chat_summary *out, struct fe_err *e);
/* Deletes chat id with its messages, members and read markers, and
 * publishes ChatDeleted to the members it had.
 * Who: a chat owner only; an admin or member gets FE_EFORBIDDEN
 * (FORBIDDEN), a non-member FE_ENOTFOUND. Errors: store errors. */
int chat_delete(struct app *app, const struct principal *p, int64_t id, struct fe_err *e);
/* The public channels of the caller's workspace the caller is not a
 * member of, by name. Who: any workspace user. Errors: store errors.
 * *out owned (free; may be NULL when *n is 0). */
int chat_public(struct app *app, const struct principal *p, struct chat **out, size_t *n, struct fe_err *e);
/* Joins chat id as a member, with the read marker at its newest message
 * (its history does not count as unread), publishes UserJoinedChat, and
 * fills out. Who: any workspace user for a PublicChannel of the caller's
 * workspace; for any other chat the caller must be a member already (then
 * nothing changes and out is filled: joining twice is not an error).
 * FE_ENOTFOUND for a chat of another workspace, or a non-public chat the
 * caller is not in. Errors: store errors. out as above. */
int chat_join(struct app *app, const struct principal *p, int64_t id, struct chat_summary *out,
              struct fe_err *e);
/* The caller leaves chat id; UserLeftChat goes to the members before the
 * change (the one who left hears it too). Who: any member (else
 * FE_ENOTFOUND). Errors: FE_EFORBIDDEN (CANNOT_LEAVE) for a Single;
 * FE_ECONFLICT (LAST_OWNER) when the caller is the only owner and others
 * remain (the last one in the chat may leave); store errors. */
int chat_leave(struct app *app, const struct principal *p, int64_t id, struct fe_err *e);
/* The members of chat id with their roles and names, by joined_at, then
 * user id. Who: any member (else FE_ENOTFOUND). Errors: store errors.
 * *out owned (free). */
int chat_members(struct app *app, const struct principal *p, int64_t id, struct chat_member **out, size_t *n,
                 struct fe_err *e);
/* Adds users (1..1000 ids; the caller's own id, duplicates and existing
 * members are skipped) to chat id as members, each with the read marker at
 * the newest message, and publishes UserJoinedChat for each one added.
 * Who: a manager of the chat; a plain member gets FE_EFORBIDDEN
 * (FORBIDDEN), a non-member FE_ENOTFOUND. Errors: FE_EFORBIDDEN for a
 * Single; FE_EINVAL (VALIDATION_ERROR) for no ids or more than 1000 (field
 * user_ids), or an id that is not an Active user of the workspace (field
 * members); store errors. users is borrowed. */
int chat_add_members(struct app *app, const struct principal *p, int64_t id, const int64_t *users, size_t n,
                     struct fe_err *e);
/* Removes user from chat id; UserLeftChat goes to the members before the
 * change (the removed one hears it too). user == the caller is
 * chat_leave (with its rules).
 * Who: a manager of the chat (so never in a Single); a plain member gets
 * FE_EFORBIDDEN, a non-member FE_ENOTFOUND. Errors: FE_ENOTFOUND
 * (NOT_FOUND) when user is not a member; FE_EFORBIDDEN when an admin
 * removes an owner (an owner may remove anyone); store errors. */
int chat_remove_member(struct app *app, const struct principal *p, int64_t id, int64_t user,
                       struct fe_err *e);
/* Gives member user of chat id the chat role (owner, admin or member) and
 * publishes ChatUpdated (with user as the event's user).
 * Who: a chat owner only: a non-member gets FE_ENOTFOUND, a plain member
 * and an admin FE_EFORBIDDEN (FORBIDDEN).
 * Errors: FE_EINVAL (VALIDATION_ERROR, field role) for another role (before
 * any other check); FE_ENOTFOUND (NOT_FOUND) when user is not a member;
 * FE_EFORBIDDEN for a Single; FE_ECONFLICT (LAST_OWNER) when it would take
 * the role from the chat's only owner; store errors. role is borrowed. */
int chat_set_role(struct app *app, const struct principal *p, int64_t id, int64_t user, const char *role,
                  struct fe_err *e);

/* Loads chat id (through the cache) into *c, with c->my_role the caller's
 * role, if the caller is a member of it in the caller's workspace.
 * Errors: FE_ENOTFOUND (NOT_FOUND) otherwise; store errors. For core/
 * use cases (message, search, presence) and handlers that check
 * membership before a read; loop thread. */
int chat_require_member(struct app *app, const struct principal *p, int64_t id, struct chat *c,
                        struct fe_err *e);
/* 1 when a chat role is owner or admin (may manage the chat), else 0.
 * role must not be NULL. Pure: any thread. */
int chat_role_manages(const char *role);

#endif
