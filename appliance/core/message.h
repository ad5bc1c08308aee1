/* core/message: messages, threads, reactions, mentions, read markers and
 * unread counts. Sends go through the group-commit writer; the rest are
 * small synchronous transactions. Every change publishes its event after
 * commit. Chats the caller is not a member of are FE_ENOTFOUND. */
#ifndef FE_MESSAGE_H
#define FE_MESSAGE_H
#include <stddef.h>
#include "core/app.h"
#include "lib/err.h"
#include "ports/model.h"

#define MESSAGE_MAX_CHARS 4000
#define MESSAGE_MAX_FILES 10

struct send_in {
	const char *content;         /* trimmed */
	const char *idempotency_key; /* may be NULL */
	int64_t reply_to;            /* 0 = none */
	/* the attachments: entry i is the file behind file_urls[i] (borrowed,
	 * "/api/files/<sha256>.<ext>", resolved by message_send) when that is
	 * not NULL, else the file id files[i] */
	int64_t files[MESSAGE_MAX_FILES];
	const char *file_urls[MESSAGE_MAX_FILES];
	size_t nfiles;
};

/* The use cases below, in common: called by the HTTP handlers
 * (http/h_messages.c), message_send also by the WebSocket (http/ws.c), on the loop thread, which owns the
 * store, the cache, the bus and the writer. p is the authenticated caller (borrowed for the call). Who: any
 * member of chat_id, whatever the workspace role; a chat the caller is not a member of, or of another
 * workspace, is FE_ENOTFOUND (NOT_FOUND); so is a message id that is not in chat_id (NOT_FOUND, "no such
 * message"). Errors: 0, or a negative FE_E* code with e filled; "store errors" are what err_store() makes of
 * a failed store call (FE_ENOTFOUND, FE_ENOSPC, FE_ECORRUPT, or FE_EUNAVAIL / FE_EINTERNAL as the store
 * returned them). A change publishes its event on app->bus after its commit. */

/* The outcome of a send, called once from the writer's flush on the loop
 * thread, after the COMMIT (or the failure) of its group. rc 0: m is the
 * stored message (borrowed for the call); created = 0 when the idempotency
 * key matched an earlier send of this sender (nothing new was written, no
 * event). rc < 0: e says why (m NULL): FE_EAUTH (INVALID_TOKEN) when the
 * sender was suspended or their tokens revoked after the send was queued,
 * FE_ENOTFOUND (NOT_FOUND) when the sender left the chat or it was deleted
 * in the meantime, store errors. */
typedef void (*message_cb)(void *req, int rc, const struct fe_err *e, const struct message *m, int created);

/* Validates and queues a send to chat_id for the group-commit writer.
 * Who: a member of the chat (else FE_ENOTFOUND).
 * Checks, in order (FE_EINVAL, VALIDATION_ERROR naming the field):
 * content as message_check_content (empty allowed with files);
 * idempotency_key (NULL: none) 1..64 bytes without control characters;
 * reply_to a message of this chat (a reply to a reply joins its root's
 * thread); each file one p may attach (core/file: file_check_attach, or
 * file_resolve_url for a url; their errors, VALIDATION_ERROR naming
 * "files"). Then FE_EAUTH (INVALID_TOKEN) when the account is gone,
 * FE_ERATE (RATE_LIMITED) past the per-user send limit (core/limits), and
 * store errors. Mentions (@name, @all) are resolved when the send is
 * applied. Returns 0: cb(req, ...) runs exactly once, after COMMIT, with
 * the outcome, and MessageCreated is published for a new message; or an
 * FE_E* code with e set (cb is not called, nothing queued). in and its
 * strings are borrowed for the call (the content is copied); req is the
 * caller's and is only handed back to cb. */
int message_send(struct app *app, const struct principal *p, int64_t chat_id, const struct send_in *in,
                 message_cb cb, void *req, struct fe_err *e);

/* One page of chat_id's messages, newest first, tombstones included.
 * before 0 = unbounded, else messages below it; after >= 0 = the limit
 * oldest above it (still returned newest first), after < 0 = none. limit
 * 1..100 (the caller checks it). *has_more = 1 when more messages lie
 * beyond the page in its direction. Who: a member of the chat. Errors:
 * store errors. *out owned (messages_free(*out, *n)). */
int message_list(struct app *app, const struct principal *p, int64_t chat_id, int64_t before, int64_t after,
                 int limit, struct message **out, size_t *n, int *has_more, struct fe_err *e);
/* The thread under root (a message of chat_id; a deleted root still has
 * its thread), the limit replies above id after, oldest first; *has_more
 * as in message_list. Who: a member of the chat. Errors: FE_ENOTFOUND
 * (NOT_FOUND) when root is not a message of chat_id; store errors. *out
 * owned (messages_free). */
int message_replies(struct app *app, const struct principal *p, int64_t chat_id, int64_t root, int64_t after,
                    int limit, struct message **out, size_t *n, int *has_more, struct fe_err *e);
/* Replaces the content of message id of chat_id and publishes
 * MessageUpdated. Who: the message's sender only (a chat owner or admin
 * may not edit others' messages): FE_EFORBIDDEN (FORBIDDEN) for anyone
 * else in the chat. Errors: FE_ENOTFOUND (NOT_FOUND) when the message is
 * not in the chat or was deleted; FE_EINVAL as message_check_content
 * (empty allowed when the message has files); store errors. out (the
 * caller's storage) gets the updated message, owned (message_clear) on
 * success, nothing to free on an error. content is borrowed. */
int message_edit(struct app *app, const struct principal *p, int64_t chat_id, int64_t id, const char *content,
                 struct message *out, struct fe_err *e);
/* Makes message id of chat_id a tombstone (content, reactions, mentions,
 * file references and search entry gone; its thread root's reply count one
 * lower) in one transaction, and publishes MessageDeleted. Who: its sender,
 * or a chat owner or admin (chat_role_manages); FE_EFORBIDDEN (FORBIDDEN)
 * for another member. Errors: FE_ENOTFOUND (NOT_FOUND) when the message is
 * not in the chat or already deleted; store errors. out gets the tombstone,
 * owned (message_clear) on success, nothing to free on an error. */
int message_delete(struct app *app, const struct principal *p, int64_t chat_id, int64_t id,
                   struct message *out, struct fe_err *e);
/* Adds (add 1) or removes (add 0) the caller's reaction emoji on message
 * id of chat_id. *changed = 1 when the reaction was added/removed (then
 * ReactionChanged is published), 0 when it already was so (not an error);
 * *out (owned, free) the message's reactions afterwards, by emoji in order
 * of first use. Who: any member of the chat. Errors: FE_EINVAL
 * (VALIDATION_ERROR, field emoji) unless emoji is 1..32 bytes of valid
 * UTF-8 without controls or white space (checked first); FE_ENOTFOUND
 * (NOT_FOUND) when the message is not in the chat or was deleted; store
 * errors. emoji is borrowed. */
int message_react(struct app *app, const struct principal *p, int64_t chat_id, int64_t id, const char *emoji,
                  int add, int *changed, struct reaction_sum **out, size_t *n, struct fe_err *e);
/* Moves the caller's read marker in chat_id forward to message id (a lower
 * id keeps it: not an error, no event) and publishes ReadMarkerMoved when
 * it moved; *marker gets the marker's value afterwards. Who: any member of
 * the chat. Errors: FE_EINVAL (VALIDATION_ERROR, field message_id) when id
 * is above the chat's last message id; store errors. */
int message_mark_read(struct app *app, const struct principal *p, int64_t chat_id, int64_t id,
                      int64_t *marker, struct fe_err *e);
/* The caller's unread and mention counts, one entry per chat they are a
 * member of, by chat id (read through the cache). Who: any workspace user.
 * Errors: store errors. *out owned (free). */
int message_unread(struct app *app, const struct principal *p, struct unread **out, size_t *n,
                   struct fe_err *e);

/* Content rules: 1..4000 characters (MESSAGE_MAX_CHARS; 0 allowed when
 * allow_empty), no control characters but newline and tab. Returns 0, or
 * FE_EINVAL (VALIDATION_ERROR, field content) with e filled. content is
 * not NULL. Pure: any thread. */
int message_check_content(const char *content, int allow_empty, struct fe_err *e);

#endif
