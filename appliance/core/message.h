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

/* rc 0: m is the stored message (borrowed for the call); created = 0 when
 * the idempotency key matched an earlier send. */
typedef void (*message_cb)(void *req, int rc, const struct fe_err *e, const struct message *m, int created);

/* Validates and queues a send: p must be a member of the chat; content,
 * idempotency_key and reply_to as docs/API.md says; each file must be one p
 * may attach (core/file: file_check_attach, or file_resolve_url for a url;
 * VALIDATION_ERROR naming "files" otherwise). Returns 0 (cb runs once,
 * after COMMIT) or FE_E* with e set (cb not called). */
int message_send(struct app *app, const struct principal *p, int64_t chat_id, const struct send_in *in, message_cb cb,
		 void *req, struct fe_err *e);

/* Newest first; *out owned (messages_free). limit 1..100. */
int message_list(struct app *app, const struct principal *p, int64_t chat_id, int64_t before, int64_t after, int limit,
		 struct message **out, size_t *n, int *has_more, struct fe_err *e);
/* The thread under root, oldest first. */
int message_replies(struct app *app, const struct principal *p, int64_t chat_id, int64_t root, int64_t after, int limit,
		    struct message **out, size_t *n, int *has_more, struct fe_err *e);
/* out is filled with the updated message (message_clear). */
int message_edit(struct app *app, const struct principal *p, int64_t chat_id, int64_t id, const char *content,
		 struct message *out, struct fe_err *e);
int message_delete(struct app *app, const struct principal *p, int64_t chat_id, int64_t id, struct message *out,
		   struct fe_err *e);
/* *changed = 1 when the reaction was added/removed, 0 when it already was
 * so; *out (owned, free) the message's reactions afterwards. */
int message_react(struct app *app, const struct principal *p, int64_t chat_id, int64_t id, const char *emoji, int add,
		  int *changed, struct reaction_sum **out, size_t *n, struct fe_err *e);
/* Moves the caller's marker forward; *marker gets its value afterwards. */
int message_mark_read(struct app *app, const struct principal *p, int64_t chat_id, int64_t id, int64_t *marker,
		      struct fe_err *e);
int message_unread(struct app *app, const struct principal *p, struct unread **out, size_t *n, struct fe_err *e);

/* Content rules: 1..4000 characters (0 allowed when allow_empty), no
 * control characters but newline and tab. */
int message_check_content(const char *content, int allow_empty, struct fe_err *e);

#endif
