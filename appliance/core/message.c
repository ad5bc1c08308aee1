/* core/message: message use cases and the send write path. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/cached.h"
#include "core/chat.h"
#include "core/file.h"
#include "core/limits.h"
#include "core/message.h"
#include "core/writer.h"
#include "lib/log.h"
#include "lib/utf8.h"
#include "lib/xalloc.h"

int message_check_content(const char *content, int allow_empty, struct fe_err *e)
{
	size_t n = utf8_chars(content);
	if ((!n && !allow_empty) || n > MESSAGE_MAX_CHARS)
		return err_set(e, FE_EINVAL, "VALIDATION_ERROR", "content",
		               "content must be 1..%d characters", MESSAGE_MAX_CHARS);
	if (utf8_has_controls(content, 1))
		return err_set(e, FE_EINVAL, "VALIDATION_ERROR", "content",
		               "content may not hold control characters other than newline and tab");
	return 0;
}

/* Loads message id of chat_id, visible to p; FE_ENOTFOUND otherwise. */
static int load_message(struct app *app, const struct principal *p, int64_t chat_id, int64_t id,
                        struct chat *c, struct message *m, struct fe_err *e)
{
	int rc = chat_require_member(app, p, chat_id, c, e);
	if (rc)
		return rc;
	rc = store_call(&app->store, message_get, id, p->user_id, m);
	if (!rc && m->chat_id != chat_id) {
		message_clear(m);
		rc = FE_ENOTFOUND;
	}
	if (rc)
		return rc == FE_ENOTFOUND ? err_set(e, rc, "NOT_FOUND", NULL, "no such message")
		                          : err_store(e, rc);
	return 0;
}

/* ---- send ---- */

struct send_op {
	struct write_op op;
	struct principal who;
	struct chat chat;
	/* content owned; the answer once applied: apply fills id, created_at,
	 * reply_to, sender name and avatar, mentions and files */
	struct message m;
	struct message existing; /* an earlier send with the same key (existed) */
	int64_t files[MESSAGE_MAX_FILES];
	size_t nfiles;
	int64_t root;          /* thread root, 0 = none */
	int64_t token_version; /* the sender's when queued: a revocation voids the send */
	int existed;
	message_cb cb;
	void *req;
};

/* 1 when the (case-folded) text at s starts with the case-folded name and
 * the name ends there (next is not a letter, digit or '_'). */
static int mention_at(const char *s, const char *name)
{
	char key[sizeof((struct chat_member *)0)->fullname];
	utf8_fold(name, key, sizeof key);
	size_t n = strlen(key);
	if (!n || strncmp(s, key, n))
		return 0;
	unsigned char c = (unsigned char)s[n];
	if (c < 0x80)
		return !isalnum(c) && c != '_';
	/* non-ASCII: the name ends unless a letter follows (Latin, Greek,
	 * Cyrillic, CJK...); punctuation such as ’ or », emoji and other astral
	 * symbols end it */
	size_t len;
	uint32_t cp = utf8_decode(s + n, &len);
	int letter = (cp >= 0xC0 && cp <= 0x24F && cp != 0xD7 && cp != 0xF7) ||
	             (cp >= 0x370 && cp <= 0x52F) || (cp >= 0x3040 && cp <= 0x9FFF) ||
	             (cp >= 0xAC00 && cp <= 0xD7AF);
	return !letter;
}

/* Resolves @Full Name, @here and @everyone against the chat's members. */
static int resolve_mentions(struct store *st, struct send_op *so, int64_t **ids, size_t *n)
{
	*ids = NULL;
	*n = 0;
	if (!strchr(so->m.content, '@'))
		return 0;
	char *content = xmalloc(strlen(so->m.content) + 1);
	utf8_fold(so->m.content, content, strlen(so->m.content) + 1);
	struct chat_member *members;
	size_t nm, cap = 0;
	int rc = store_call(st, members_list, so->chat.id, &members, &nm);
	if (rc) {
		free(content);
		return rc;
	}
	for (const char *at = strchr(content, '@'); at; at = strchr(at + 1, '@')) {
		if (at > content && (isalnum((unsigned char)at[-1]) || at[-1] == '.'))
			continue; /* an email address, not a mention */
		if (mention_at(at + 1, "here") || mention_at(at + 1, "everyone") ||
		    mention_at(at + 1, "channel")) {
			so->m.mentions_all = 1;
			continue;
		}
		for (size_t i = 0; i < nm; i++) {
			if (members[i].user_id == so->who.user_id || !mention_at(at + 1, members[i].fullname))
				continue;
			int dup = 0;
			for (size_t k = 0; k < *n; k++)
				dup |= (*ids)[k] == members[i].user_id;
			if (!dup) {
				if (*n == cap) {
					cap = cap ? cap * 2 : 4;
					int64_t *b = xrealloc(*ids, cap * sizeof **ids);
					*ids = b;
				}
				(*ids)[(*n)++] = members[i].user_id;
			}
		}
	}
	free(members);
	free(content);
	return 0;
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* Forgets what an earlier run of send_apply left (a batch replayed). */
static void send_reset(struct send_op *so)
{
	free(so->m.mentions);
	free(so->m.files);
	so->m.mentions = NULL;
	so->m.files = NULL;
	so->m.nmentions = so->m.nfiles = 0;
	so->m.id = 0;
	so->m.mentions_all = 0;
	message_clear(&so->existing);
	memset(&so->existing, 0, sizeof so->existing);
	so->existed = 0;
}

/* The earlier send of the same key answers (read inside the transaction). */
static int send_existing(struct store *st, struct send_op *so, int64_t id)
{
	int rc = store_call(st, message_get, id, so->who.user_id, &so->existing);
	if (!rc)
		so->existed = 1;
	return rc;
}

/* The file rows of the answer, by id, once each (as a read gives them). */
static int send_files(struct store *st, struct send_op *so)
{
	int64_t ids[MESSAGE_MAX_FILES];
	size_t n = 0;
	memcpy(ids, so->files, so->nfiles * sizeof ids[0]);
	qsort(ids, so->nfiles, sizeof ids[0], cmp_id);
	for (size_t i = 0; i < so->nfiles; i++)
		if (!i || ids[i] != ids[i - 1])
			ids[n++] = ids[i];
	so->m.files = xcalloc(n, sizeof *so->m.files);
	for (size_t i = 0; i < n; i++) {
		int rc = store_call(st, file_get, ids[i], &so->m.files[i]);
		if (rc)
			return rc;
		so->m.nfiles++;
	}
	return 0;
}

/* On the writer's connection (the writer thread): nothing of the loop's. */
static int send_apply(struct app *app, struct store *st, struct write_op *op)
{
	struct send_op *so = (struct send_op *)op;
	int64_t existing;
	int rc, member;
	struct user u;
	send_reset(so);
	/* a send queued before its sender was suspended, logged out everywhere
	 * or changed password, but applied after that commit, is refused */
	if ((rc = store_call(st, chat_sender, so->chat.id, so->who.user_id, &u, &member)))
		return rc == FE_ENOTFOUND ? FE_EAUTH : rc;
	if (u.token_version != so->token_version || strcmp(u.status, "Active"))
		return FE_EAUTH;
	if (!member) { /* left the chat in the meantime; a repeat still answers */
		if (so->m.idempotency_key[0] &&
		    !store_call(st, message_by_key, so->who.user_id, so->m.idempotency_key, &existing))
			return send_existing(st, so, existing);
		return FE_ENOTFOUND;
	}
	int64_t *mentions;
	size_t nmentions;
	if ((rc = resolve_mentions(st, so, &mentions, &nmentions)))
		return rc;
	so->m.created_at = app->now_ms();
	so->m.reply_to = so->root;
	rc = store_call(st, message_insert, &so->m);
	if (rc == FE_ECONFLICT && so->m.idempotency_key[0]) {
		/* the key was used: the insert wrote nothing, answer the earlier */
		free(mentions);
		if ((rc = store_call(st, message_by_key, so->who.user_id, so->m.idempotency_key, &existing)))
			return rc == FE_ENOTFOUND ? FE_ECONFLICT : rc;
		return send_existing(st, so, existing);
	}
	if (!rc && nmentions)
		rc = store_call(st, mentions_insert, so->m.id, so->chat.id, mentions, nmentions);
	if (!rc) {
		qsort(mentions, nmentions, sizeof *mentions, cmp_id);
		so->m.mentions = mentions;
		so->m.nmentions = (int)nmentions;
		mentions = NULL;
	}
	free(mentions);
	if (!rc && so->nfiles &&
	    !(rc = store_call(st, message_files_insert, so->m.id, so->files, so->nfiles)))
		rc = send_files(st, so);
	if (!rc && so->root)
		rc = store_call(st, reply_count_add, so->root, 1);
	if (!rc)
		rc = store_call(st, chat_touch, so->chat.id, so->m.id, so->m.created_at);
	snprintf(so->m.sender_avatar, sizeof so->m.sender_avatar, "%s", u.avatar_url);
	return rc;
}

/* On the loop: answers and publishes from what send_apply built (no read). */
static void send_done(struct app *app, struct write_op *op, int rc)
{
	struct send_op *so = (struct send_op *)op;
	struct fe_err e = {0};
	if (rc) {
		err_store(&e, rc);
		if (rc == FE_ENOTFOUND)
			err_set(&e, rc, "NOT_FOUND", NULL, "no such chat");
		else if (rc == FE_EAUTH)
			err_set(&e, rc, "INVALID_TOKEN", NULL, "the access token has been revoked");
		so->cb(so->req, rc, &e, NULL, 0);
	} else {
		const struct message *m = so->existed ? &so->existing : &so->m;
		if (!so->existed) {
			struct event ev = {.type = EV_MESSAGE_CREATED,
			                   .workspace_id = so->chat.workspace_id,
			                   .chat_id = so->chat.id,
			                   .actor_id = so->who.user_id,
			                   .message_id = m->id,
			                   .message = m,
			                   .idempotency_key = m->idempotency_key};
			bus_publish(&app->bus, &ev);
		}
		so->cb(so->req, 0, NULL, m, !so->existed);
	}
	message_clear(&so->existing);
	message_clear(&so->m);
	free(so);
}

int message_send(struct app *app, const struct principal *p, int64_t chat_id, const struct send_in *in,
                 message_cb cb, void *req, struct fe_err *e)
{
	struct chat c;
	int rc = chat_require_member(app, p, chat_id, &c, e);
	if (rc)
		return rc;
	if ((rc = message_check_content(in->content, in->nfiles > 0, e)))
		return rc;
	const char *key = in->idempotency_key;
	if (key && (!*key || strlen(key) > 64 || utf8_has_controls(key, 0)))
		return err_set(e, FE_EINVAL, "VALIDATION_ERROR", "idempotency_key",
		               "idempotency_key must be 1..64 characters");
	int64_t root = 0;
	if (in->reply_to) {
		struct message parent;
		rc = store_call(&app->store, message_get, in->reply_to, p->user_id, &parent);
		if (rc && rc != FE_ENOTFOUND)
			return err_store(e, rc);
		if (rc || parent.chat_id != chat_id) {
			message_clear(&parent);
			return err_set(e, FE_EINVAL, "VALIDATION_ERROR", "reply_to",
			               "reply_to must be a message of this chat");
		}
		root = parent.reply_to ? parent.reply_to : parent.id;
		message_clear(&parent);
	}
	int64_t files[MESSAGE_MAX_FILES];
	for (size_t i = 0; i < in->nfiles; i++) {
		files[i] = in->files[i];
		rc = in->file_urls[i] ? file_resolve_url(app, p, in->file_urls[i], &files[i], e)
		                      : file_check_attach(app, p, files[i], e);
		if (rc)
			return rc;
	}
	struct user u;
	if ((rc = cached_user(app, p->user_id, &u)))
		return rc == FE_ENOTFOUND ? err_set(e, FE_EAUTH, "INVALID_TOKEN", NULL, "unknown account")
		                          : err_store(e, rc);
	if ((rc = limits_hit(app, LIMIT_SEND, p->user_id, e)))
		return rc; /* a valid send, one too many this minute */
	struct send_op *so = xcalloc(1, sizeof *so);
	so->m.content = xstrdup(in->content);
	so->token_version = u.token_version;
	so->op.apply = send_apply;
	so->op.done = send_done;
	so->who = *p;
	so->chat = c;
	so->m.chat_id = chat_id;
	so->m.sender_id = p->user_id;
	snprintf(so->m.idempotency_key, sizeof so->m.idempotency_key, "%s", key ? key : "");
	so->root = root;
	memcpy(so->files, files, in->nfiles * sizeof files[0]);
	so->nfiles = in->nfiles;
	so->cb = cb;
	so->req = req;
	writer_submit(app->writer, &so->op);
	return 0;
}

/* ---- reads ---- */

int message_list(struct app *app, const struct principal *p, int64_t chat_id, int64_t before, int64_t after,
                 int limit, struct message **out, size_t *n, int *has_more, struct fe_err *e)
{
	struct chat c;
	int rc = chat_require_member(app, p, chat_id, &c, e);
	if (rc)
		return rc;
	if ((rc = store_call(&app->store, messages_page, chat_id, before, after, limit + 1, p->user_id, out,
	                     n)))
		return err_store(e, rc);
	*has_more = *n > (size_t)limit;
	if (*has_more) {
		/* newest first: for `after` pages the extra one is the newest */
		size_t drop = after >= 0 ? 0 : *n - 1;
		message_clear(&(*out)[drop]);
		memmove(&(*out)[drop], &(*out)[drop + 1], (*n - 1 - drop) * sizeof **out);
		(*n)--;
	}
	return 0;
}

int message_replies(struct app *app, const struct principal *p, int64_t chat_id, int64_t root, int64_t after,
                    int limit, struct message **out, size_t *n, int *has_more, struct fe_err *e)
{
	struct chat c;
	struct message m;
	int rc = load_message(app, p, chat_id, root, &c, &m, e);
	if (rc)
		return rc;
	message_clear(&m);
	if ((rc = store_call(&app->store, replies_page, root, after, limit + 1, p->user_id, out, n)))
		return err_store(e, rc);
	*has_more = *n > (size_t)limit;
	if (*has_more) {
		message_clear(&(*out)[*n - 1]);
		(*n)--;
	}
	return 0;
}

/* ---- edits, deletes, reactions ---- */

static void publish_message(struct app *app, enum event_type t, const struct principal *p,
                            const struct chat *c, const struct message *m)
{
	struct event ev = {.type = t,
	                   .workspace_id = c->workspace_id,
	                   .chat_id = c->id,
	                   .actor_id = p->user_id,
	                   .message_id = m->id,
	                   .message = m};
	bus_publish(&app->bus, &ev);
}

int message_edit(struct app *app, const struct principal *p, int64_t chat_id, int64_t id, const char *content,
                 struct message *out, struct fe_err *e)
{
	struct chat c;
	int rc = load_message(app, p, chat_id, id, &c, out, e);
	if (rc)
		return rc;
	if (out->deleted_at)
		rc = err_set(e, FE_ENOTFOUND, "NOT_FOUND", NULL, "the message was deleted");
	else if (out->sender_id != p->user_id)
		rc = err_set(e, FE_EFORBIDDEN, "FORBIDDEN", NULL, "only the sender can edit a message");
	else if (!(rc = message_check_content(content, out->nfiles > 0, e)) &&
	         (rc = store_call(&app->store, message_edit, id, content, app->now_ms())))
		err_store(e, rc);
	message_clear(out);
	if (rc)
		return rc;
	if ((rc = store_call(&app->store, message_get, id, p->user_id, out)))
		return err_store(e, rc);
	publish_message(app, EV_MESSAGE_UPDATED, p, &c, out);
	return 0;
}

int message_delete(struct app *app, const struct principal *p, int64_t chat_id, int64_t id,
                   struct message *out, struct fe_err *e)
{
	struct chat c;
	int rc = load_message(app, p, chat_id, id, &c, out, e);
	if (rc)
		return rc;
	int64_t root = out->reply_to;
	if (out->deleted_at)
		rc = err_set(e, FE_ENOTFOUND, "NOT_FOUND", NULL, "the message was deleted");
	else if (out->sender_id != p->user_id && !chat_role_manages(c.my_role))
		rc = err_set(e, FE_EFORBIDDEN, "FORBIDDEN", NULL,
		             "only the sender or a chat owner/admin can delete it");
	message_clear(out);
	if (rc)
		return rc;
	if ((rc = store_call(&app->store, begin)) ||
	    (rc = store_call(&app->store, message_delete, id, app->now_ms())) ||
	    (root && (rc = store_call(&app->store, reply_count_add, root, -1))) ||
	    (rc = store_call(&app->store, commit))) {
		store_call(&app->store, rollback);
		return err_store(e, rc);
	}
	if ((rc = store_call(&app->store, message_get, id, p->user_id, out)))
		return err_store(e, rc);
	publish_message(app, EV_MESSAGE_DELETED, p, &c, out);
	return 0;
}

int message_react(struct app *app, const struct principal *p, int64_t chat_id, int64_t id, const char *emoji,
                  int add, int *changed, struct reaction_sum **out, size_t *n, struct fe_err *e)
{
	struct chat c;
	struct message m;
	size_t len = emoji ? strlen(emoji) : 0;
	if (!len || len > 32 || !utf8_valid(emoji, len) || utf8_has_controls(emoji, 0) ||
	    strpbrk(emoji, " \t\r\n"))
		return err_set(e, FE_EINVAL, "VALIDATION_ERROR", "emoji",
		               "emoji must be 1..32 bytes without spaces");
	int rc = load_message(app, p, chat_id, id, &c, &m, e);
	if (rc)
		return rc;
	int deleted = m.deleted_at != 0;
	message_clear(&m);
	if (deleted)
		return err_set(e, FE_ENOTFOUND, "NOT_FOUND", NULL, "the message was deleted");
	rc = add ? store_call(&app->store, reaction_add, id, p->user_id, emoji, app->now_ms())
	         : store_call(&app->store, reaction_remove, id, p->user_id, emoji);
	*changed = rc == 0;
	if (rc == (add ? FE_ECONFLICT : FE_ENOTFOUND))
		rc = 0;
	if (rc || (rc = store_call(&app->store, reactions_of, id, p->user_id, out, n)))
		return err_store(e, rc);
	if (*changed) {
		struct event ev = {.type = EV_REACTION_CHANGED,
		                   .workspace_id = c.workspace_id,
		                   .chat_id = chat_id,
		                   .actor_id = p->user_id,
		                   .user_id = p->user_id,
		                   .message_id = id,
		                   .emoji = emoji,
		                   .added = add};
		bus_publish(&app->bus, &ev);
	}
	return 0;
}

/* ---- read markers ---- */

int message_mark_read(struct app *app, const struct principal *p, int64_t chat_id, int64_t id,
                      int64_t *marker, struct fe_err *e)
{
	struct chat c;
	int64_t before = 0, last = 0;
	int rc = chat_require_member(app, p, chat_id, &c, e);
	if (rc)
		return rc;
	if ((rc = store_call(&app->store, max_message_id, chat_id, &last)) ||
	    (rc = store_call(&app->store, read_get, chat_id, p->user_id, &before)))
		return err_store(e, rc);
	if (id > last)
		return err_set(e, FE_EINVAL, "VALIDATION_ERROR", "message_id",
		               "message_id is beyond the chat's last message");
	*marker = before;
	if (id <= before)
		return 0;
	if ((rc = store_call(&app->store, read_set, chat_id, p->user_id, id, app->now_ms())))
		return err_store(e, rc);
	*marker = id;
	struct event ev = {.type = EV_READ_MARKER_MOVED,
	                   .workspace_id = c.workspace_id,
	                   .chat_id = chat_id,
	                   .actor_id = p->user_id,
	                   .user_id = p->user_id,
	                   .message_id = id};
	bus_publish(&app->bus, &ev);
	return 0;
}

int message_unread(struct app *app, const struct principal *p, struct unread **out, size_t *n,
                   struct fe_err *e)
{
	int rc = cached_unread(app, p->user_id, out, n);
	return rc ? err_store(e, rc) : 0;
}
