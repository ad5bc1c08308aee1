/* adapters/pg_chat: chats, members, messages, reactions, read markers and
 * files on PostgreSQL (the conversation half of the store port; mirrors
 * adapters/sqlite_chat.c). The search index is messages.tsv, a generated
 * column: written with the row, nothing to maintain here. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "adapters/pg_chat.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/utf8.h"
#include "lib/xalloc.h"

static void row_id(const struct pg_res *r, void *el)
{
	*(int64_t *)el = pg_i64(r, 0);
}

/* ---- chats ---- */

#define CHAT_COLS                                                                                            \
	"c.id, c.workspace_id, c.chat_type, c.name, c.description, c.created_by, "                           \
	"coalesce(c.last_message_id, 0),"                                                                    \
	" c.last_activity_at, c.created_at, c.updated_at,"                                                   \
	" (SELECT count(*) FROM chat_members x WHERE x.chat_id = c.id),"                                     \
	" coalesce((SELECT role FROM chat_members x WHERE x.chat_id = c.id AND x.user_id = $1), '')"

static void row_chat(const struct pg_res *r, void *el)
{
	struct chat *c = el;
	c->id = pg_i64(r, 0);
	c->workspace_id = pg_i64(r, 1);
	pg_text(r, 2, c->chat_type, sizeof c->chat_type);
	pg_text(r, 3, c->name, sizeof c->name);
	pg_text(r, 4, c->description, sizeof c->description);
	c->created_by = pg_i64(r, 5);
	c->last_message_id = pg_i64(r, 6);
	c->last_activity_at = pg_i64(r, 7);
	c->created_at = pg_i64(r, 8);
	c->updated_at = pg_i64(r, 9);
	c->member_count = pg_i64(r, 10);
	pg_text(r, 11, c->my_role, sizeof c->my_role);
}

int pgc_chat_insert(void *p, struct chat *c, const char *single_key)
{
	char key[sizeof c->name];
	utf8_fold(c->name, key, sizeof key);
	int rc = pg_row(
	    p,
	    "INSERT INTO chats(workspace_id, chat_type, name, name_key, description, created_by, single_key,"
	    " last_activity_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $8)"
	    " ON CONFLICT DO NOTHING RETURNING id",
	    row_id, &c->id, "ittttiti", c->workspace_id, c->chat_type, c->name, key, c->description,
	    c->created_by, single_key, c->created_at);
	return rc == FE_ENOTFOUND ? FE_ECONFLICT : rc;
}

int pgc_chat_find_single(void *p, int64_t ws, const char *key, int64_t *id)
{
	return pg_scalar(p, "SELECT id FROM chats WHERE workspace_id = $1 AND single_key = $2", id, "it", ws,
	                 key);
}

int pgc_chat_get(void *p, int64_t id, int64_t viewer, struct chat *c)
{
	return pg_row(p, "SELECT " CHAT_COLS " FROM chats c WHERE c.id = $2", row_chat, c, "ii", viewer, id);
}

int pgc_chats_of_user(void *p, int64_t user, struct chat **out, size_t *n)
{
	return pg_rows(p,
	               "SELECT " CHAT_COLS " FROM chat_members cm JOIN chats c ON c.id = cm.chat_id"
	               " WHERE cm.user_id = $1 ORDER BY c.last_activity_at DESC, c.id DESC",
	               out, n, sizeof **out, row_chat, "i", user);
}

int pgc_chats_public(void *p, int64_t ws, int64_t user, struct chat **out, size_t *n)
{
	/* SQLite orders by name COLLATE NOCASE: ASCII letters folded, bytes */
	return pg_rows(
	    p,
	    "SELECT " CHAT_COLS " FROM chats c WHERE c.workspace_id = $2 AND"
	    " c.chat_type = 'PublicChannel' AND NOT EXISTS (SELECT 1 FROM chat_members x"
	    " WHERE x.chat_id = c.id AND x.user_id = $1)"
	    " ORDER BY translate(c.name, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"
	    " COLLATE \"C\", c.id",
	    out, n, sizeof **out, row_chat, "ii", user, ws);
}

int pgc_chat_update(void *p, const struct chat *c)
{
	int changes = 0;
	char key[sizeof c->name];
	utf8_fold(c->name, key, sizeof key);
	int rc = pg_execf(
	    p, "UPDATE chats SET name = $1, name_key = $2, description = $3, updated_at = $4 WHERE id = $5",
	    NULL, &changes, "tttii", c->name, key, c->description, c->updated_at, c->id);
	return rc ? rc : changes ? 0 : FE_ENOTFOUND;
}

int pgc_chat_delete(void *p, int64_t id)
{
	/* mentions, reactions and file references cascade from messages,
	 * members and read markers from chats; the search column goes with
	 * its row */
	int rc = pg_execf(p, "DELETE FROM messages WHERE chat_id = $1", NULL, NULL, "i", id);
	if (rc)
		return rc;
	int changes = 0;
	rc = pg_execf(p, "DELETE FROM chats WHERE id = $1", NULL, &changes, "i", id);
	return rc ? rc : changes ? 0 : FE_ENOTFOUND;
}

int pgc_chat_touch(void *p, int64_t id, int64_t mid, int64_t at)
{
	return pg_execf(p,
	                "UPDATE chats SET last_message_id = greatest(coalesce(last_message_id, 0), $1),"
	                " last_activity_at = $2 WHERE id = $3",
	                NULL, NULL, "iii", mid, at, id);
}

/* ---- members ---- */

int pgc_member_add(void *p, int64_t chat, int64_t user, const char *role, int64_t now)
{
	int changes = 0;
	int rc =
	    pg_execf(p,
	             "INSERT INTO chat_members(chat_id, user_id, role, joined_at) VALUES ($1, $2, $3, $4)"
	             " ON CONFLICT DO NOTHING",
	             NULL, &changes, "iiti", chat, user, role, now);
	return rc ? rc : changes ? 0 : FE_ECONFLICT;
}

int pgc_member_remove(void *p, int64_t chat, int64_t user)
{
	int changes = 0;
	int rc = pg_execf(p, "DELETE FROM chat_members WHERE chat_id = $1 AND user_id = $2", NULL, &changes,
	                  "ii", chat, user);
	if (!rc && changes)
		rc = pg_execf(p, "DELETE FROM read_markers WHERE chat_id = $1 AND user_id = $2", NULL, NULL,
		              "ii", chat, user);
	return rc ? rc : changes ? 0 : FE_ENOTFOUND;
}

#define MEMBER_SQL                                                                                           \
	"SELECT cm.chat_id, cm.user_id, cm.joined_at, cm.role, u.fullname, u.avatar_url FROM chat_members "  \
	"cm"                                                                                                 \
	" JOIN users u ON u.id = cm.user_id"

static void row_member(const struct pg_res *r, void *el)
{
	struct chat_member *m = el;
	m->chat_id = pg_i64(r, 0);
	m->user_id = pg_i64(r, 1);
	m->joined_at = pg_i64(r, 2);
	pg_text(r, 3, m->role, sizeof m->role);
	pg_text(r, 4, m->fullname, sizeof m->fullname);
	pg_text(r, 5, m->avatar_url, sizeof m->avatar_url);
}

int pgc_member_get(void *p, int64_t chat, int64_t user, struct chat_member *m)
{
	return pg_row(p, MEMBER_SQL " WHERE cm.chat_id = $1 AND cm.user_id = $2", row_member, m, "ii", chat,
	              user);
}

struct sender_row {
	struct user *u;
	int member;
};

static void row_sender(const struct pg_res *r, void *el)
{
	struct sender_row *x = el;
	x->u->id = pg_i64(r, 0);
	x->u->workspace_id = pg_i64(r, 1);
	pg_text(r, 2, x->u->fullname, sizeof x->u->fullname);
	pg_text(r, 3, x->u->status, sizeof x->u->status);
	x->u->token_version = pg_i64(r, 4);
	pg_text(r, 5, x->u->avatar_url, sizeof x->u->avatar_url);
	x->member = (int)pg_i64(r, 6);
}

int pgc_chat_sender(void *p, int64_t chat, int64_t user, struct user *u, int *member)
{
	struct sender_row x = {u, 0};
	memset(u, 0, sizeof *u);
	int rc = pg_row(p,
	                "SELECT u.id, u.workspace_id, u.fullname, u.status, u.token_version,"
	                " u.avatar_url, (EXISTS (SELECT 1 FROM chat_members cm WHERE"
	                " cm.chat_id = $1 AND cm.user_id = u.id))::int FROM users u WHERE u.id = $2",
	                row_sender, &x, "ii", chat, user);
	*member = x.member;
	return rc;
}

int pgc_member_set_role(void *p, int64_t chat, int64_t user, const char *role)
{
	int changes = 0;
	int rc = pg_execf(p, "UPDATE chat_members SET role = $1 WHERE chat_id = $2 AND user_id = $3", NULL,
	                  &changes, "tii", role, chat, user);
	return rc ? rc : changes ? 0 : FE_ENOTFOUND;
}

int pgc_members_list(void *p, int64_t chat, struct chat_member **out, size_t *n)
{
	return pg_rows(p, MEMBER_SQL " WHERE cm.chat_id = $1 ORDER BY cm.joined_at, cm.user_id", out, n,
	               sizeof **out, row_member, "i", chat);
}

int pgc_chat_ids_of_user(void *p, int64_t user, int64_t **out, size_t *n)
{
	return pg_rows(p, "SELECT chat_id FROM chat_members WHERE user_id = $1 ORDER BY chat_id", out, n,
	               sizeof **out, row_id, "i", user);
}

int pgc_member_ids(void *p, int64_t chat, int64_t **out, size_t *n)
{
	return pg_rows(p, "SELECT user_id FROM chat_members WHERE chat_id = $1 ORDER BY user_id", out, n,
	               sizeof **out, row_id, "i", chat);
}

int pgc_owner_count(void *p, int64_t chat, int64_t *n)
{
	return pg_scalar(p, "SELECT count(*) FROM chat_members WHERE chat_id = $1 AND role = 'owner'", n, "i",
	                 chat);
}

/* ---- messages ---- */

#define MSG_SQL                                                                                              \
	"SELECT m.id, m.chat_id, m.sender_id, coalesce(m.reply_to, 0), m.reply_count, m.created_at,"         \
	" coalesce(m.edited_at, 0), coalesce(m.deleted_at, 0), m.content, coalesce(m.idempotency_key, ''),"  \
	" m.mentions_all, u.fullname, u.avatar_url FROM messages m JOIN users u ON u.id = m.sender_id"

static void row_message(const struct pg_res *r, void *el)
{
	struct message *m = el;
	m->id = pg_i64(r, 0);
	m->chat_id = pg_i64(r, 1);
	m->sender_id = pg_i64(r, 2);
	m->reply_to = pg_i64(r, 3);
	m->reply_count = pg_i64(r, 4);
	m->created_at = pg_i64(r, 5);
	m->edited_at = pg_i64(r, 6);
	m->deleted_at = pg_i64(r, 7);
	m->content = pg_strdup(r, 8);
	pg_text(r, 9, m->idempotency_key, sizeof m->idempotency_key);
	m->mentions_all = (int)pg_i64(r, 10);
	pg_text(r, 11, m->sender_name, sizeof m->sender_name);
	pg_text(r, 12, m->sender_avatar, sizeof m->sender_avatar);
}

#define FILE_COLS "f.id, f.size, f.uploader_id, f.created_at, f.sha256, f.ext, f.mime_type, f.filename"

static void file_at(const struct pg_res *r, int c, struct file_rec *f)
{
	f->id = pg_i64(r, c);
	f->size = pg_i64(r, c + 1);
	f->uploader_id = pg_i64(r, c + 2);
	f->created_at = pg_i64(r, c + 3);
	pg_text(r, c + 4, f->sha256, sizeof f->sha256);
	pg_text(r, c + 5, f->ext, sizeof f->ext);
	pg_text(r, c + 6, f->mime_type, sizeof f->mime_type);
	pg_text(r, c + 7, f->filename, sizeof f->filename);
}

static void row_file(const struct pg_res *r, void *el)
{
	file_at(r, 0, el);
}

static void row_reaction(const struct pg_res *r, void *el)
{
	struct reaction_sum *x = el;
	pg_text(r, 0, x->emoji, sizeof x->emoji);
	x->count = (int)pg_i64(r, 1);
	x->me = (int)pg_i64(r, 2);
}

int pgc_reactions_of(void *p, int64_t mid, int64_t viewer, struct reaction_sum **out, size_t *n)
{
	return pg_rows(p,
	               "SELECT emoji, count(*), max((user_id = $1)::int) FROM reactions WHERE message_id = $2"
	               " GROUP BY emoji ORDER BY min(created_at), emoji COLLATE \"C\"",
	               out, n, sizeof **out, row_reaction, "ii", viewer, mid);
}

/* The details of many messages at once (three queries for a page instead
 * of three per message): rows carry their message id in column 0. */
struct detail_rows {
	int64_t mid;
	union {
		struct reaction_sum r;
		struct file_rec f;
		int64_t user;
	} v;
};

static void row_d_reaction(const struct pg_res *r, void *el)
{
	struct detail_rows *d = el;
	d->mid = pg_i64(r, 0);
	pg_text(r, 1, d->v.r.emoji, sizeof d->v.r.emoji);
	d->v.r.count = (int)pg_i64(r, 2);
	d->v.r.me = (int)pg_i64(r, 3);
}

static void row_d_file(const struct pg_res *r, void *el)
{
	struct detail_rows *d = el;
	d->mid = pg_i64(r, 0);
	file_at(r, 1, &d->v.f);
}

static void row_d_user(const struct pg_res *r, void *el)
{
	struct detail_rows *d = el;
	d->mid = pg_i64(r, 0);
	d->v.user = pg_i64(r, 1);
}

/* The index in a of the message with id mid, or -1. */
static long find_message(struct message *a, size_t n, int64_t mid)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].id == mid)
			return (long)i;
	return -1;
}

/* Loads reactions, files and mentions of the live messages of a[0..n). */
static int details(struct pg *s, struct message *a, size_t n, int64_t viewer)
{
	struct buf ids = {0};
	buf_add(&ids, "{");
	int any = 0;
	for (size_t i = 0; i < n; i++)
		if (!a[i].deleted_at) {
			char num[24];
			snprintf(num, sizeof num, "%s%" PRId64, any ? "," : "", a[i].id);
			buf_add(&ids, num);
			any = 1;
		}
	buf_add(&ids, "}");
	if (!any) {
		buf_free(&ids);
		return 0;
	}
	struct detail_rows *d = NULL;
	size_t nd = 0;
	int rc = pg_rows(s,
	                 "SELECT message_id, emoji, count(*), max((user_id = $1)::int) FROM reactions"
	                 " WHERE message_id = ANY($2::bigint[]) GROUP BY message_id, emoji"
	                 " ORDER BY message_id, min(created_at), emoji COLLATE \"C\"",
	                 &d, &nd, sizeof *d, row_d_reaction, "it", viewer, ids.p);
	for (size_t i = 0; !rc && i < nd; i++) {
		long k = find_message(a, n, d[i].mid);
		if (k < 0)
			continue;
		a[k].reactions =
		    xrealloc(a[k].reactions, (size_t)(a[k].nreactions + 1) * sizeof *a[k].reactions);
		a[k].reactions[a[k].nreactions++] = d[i].v.r;
	}
	free(d);
	d = NULL;
	if (!rc)
		rc = pg_rows(s,
		             "SELECT mf.message_id, " FILE_COLS
		             " FROM message_files mf JOIN files f ON f.id = mf.file_id"
		             " WHERE mf.message_id = ANY($1::bigint[]) ORDER BY mf.message_id, f.id",
		             &d, &nd, sizeof *d, row_d_file, "t", ids.p);
	for (size_t i = 0; !rc && i < nd; i++) {
		long k = find_message(a, n, d[i].mid);
		if (k < 0)
			continue;
		a[k].files = xrealloc(a[k].files, (size_t)(a[k].nfiles + 1) * sizeof *a[k].files);
		a[k].files[a[k].nfiles++] = d[i].v.f;
	}
	free(d);
	d = NULL;
	if (!rc)
		rc = pg_rows(s,
		             "SELECT message_id, user_id FROM mentions WHERE message_id = ANY($1::bigint[])"
		             " ORDER BY message_id, user_id",
		             &d, &nd, sizeof *d, row_d_user, "t", ids.p);
	for (size_t i = 0; !rc && i < nd; i++) {
		long k = find_message(a, n, d[i].mid);
		if (k < 0)
			continue;
		a[k].mentions = xrealloc(a[k].mentions, (size_t)(a[k].nmentions + 1) * sizeof *a[k].mentions);
		a[k].mentions[a[k].nmentions++] = d[i].v.user;
	}
	free(d);
	buf_free(&ids);
	return rc;
}

/* Runs a message query into an array, with details (reversed when asked). */
static int message_list(struct pg *s, int rc, struct message *a, size_t n, int64_t viewer, int reverse,
                        struct message **out, size_t *nout)
{
	*out = NULL;
	*nout = 0;
	if (rc)
		return rc;
	for (size_t i = 0; reverse && i < n / 2; i++) {
		struct message t = a[i];
		a[i] = a[n - 1 - i];
		a[n - 1 - i] = t;
	}
	if ((rc = details(s, a, n, viewer))) {
		messages_free(a, n);
		return rc;
	}
	*out = a;
	*nout = n;
	return 0;
}

static void row_inserted(const struct pg_res *r, void *el)
{
	struct message *m = el;
	m->id = pg_i64(r, 0);
	pg_text(r, 1, m->sender_name, sizeof m->sender_name);
}

int pgc_message_insert(void *p, struct message *m)
{
	/* RETURNING hands back the id and the sender's name it stored; the
	 * search column is computed with the row */
	int rc = pg_row(
	    p,
	    "INSERT INTO messages(chat_id, sender_id, content, reply_to, idempotency_key, mentions_all,"
	    " created_at, sender_name) VALUES ($1, $2, $3, nullif($4, 0), nullif($5, ''), $6, $7,"
	    " coalesce((SELECT fullname FROM users WHERE id = $2), ''))"
	    " ON CONFLICT DO NOTHING RETURNING id, sender_name",
	    row_inserted, m, "iititii", m->chat_id, m->sender_id, m->content, m->reply_to, m->idempotency_key,
	    (int64_t)m->mentions_all, m->created_at);
	return rc == FE_ENOTFOUND ? FE_ECONFLICT : rc;
}

int pgc_message_by_key(void *p, int64_t sender, const char *key, int64_t *id)
{
	return pg_scalar(p, "SELECT id FROM messages WHERE sender_id = $1 AND idempotency_key = $2", id, "it",
	                 sender, key);
}

int pgc_message_get(void *p, int64_t id, int64_t viewer, struct message *m)
{
	memset(m, 0, sizeof *m);
	int rc = pg_row(p, MSG_SQL " WHERE m.id = $1", row_message, m, "i", id);
	if (!rc && (rc = details(p, m, 1, viewer)))
		message_clear(m);
	return rc;
}

int pgc_messages_page(void *p, int64_t chat, int64_t before, int64_t after, int limit, int64_t viewer,
                      struct message **out, size_t *n)
{
	int64_t hi = before > 0 ? before : INT64_MAX;
	struct message *a = NULL;
	size_t k = 0;
	int rc;
	if (after >= 0) {
		rc = pg_rows(
		    p, MSG_SQL " WHERE m.chat_id = $1 AND m.id > $2 AND m.id < $3 ORDER BY m.id ASC LIMIT $4",
		    &a, &k, sizeof *a, row_message, "iiii", chat, after, hi, (int64_t)limit);
		return message_list(p, rc, a, k, viewer, 1, out, n);
	}
	rc = pg_rows(p, MSG_SQL " WHERE m.chat_id = $1 AND m.id < $2 ORDER BY m.id DESC LIMIT $3", &a, &k,
	             sizeof *a, row_message, "iii", chat, hi, (int64_t)limit);
	return message_list(p, rc, a, k, viewer, 0, out, n);
}

int pgc_replies_page(void *p, int64_t root, int64_t after, int limit, int64_t viewer, struct message **out,
                     size_t *n)
{
	struct message *a = NULL;
	size_t k = 0;
	int rc = pg_rows(p, MSG_SQL " WHERE m.reply_to = $1 AND m.id > $2 ORDER BY m.id ASC LIMIT $3", &a, &k,
	                 sizeof *a, row_message, "iii", root, after, (int64_t)limit);
	return message_list(p, rc, a, k, viewer, 0, out, n);
}

int pgc_message_edit(void *p, int64_t id, const char *content, int64_t at)
{
	int changes = 0;
	int rc = pg_execf(
	    p, "UPDATE messages SET content = $1, edited_at = $2 WHERE id = $3 AND deleted_at IS NULL", NULL,
	    &changes, "tii", content, at, id);
	return rc ? rc : changes ? 0 : FE_ENOTFOUND;
}

int pgc_message_delete(void *p, int64_t id, int64_t at)
{
	int changes = 0, rc;
	if ((rc = pg_execf(p,
	                   "UPDATE messages SET content = '', sender_name = '', deleted_at = $1 WHERE id = $2"
	                   " AND deleted_at IS NULL",
	                   NULL, &changes, "ii", at, id)))
		return rc;
	if (!changes)
		return FE_ENOTFOUND;
	if ((rc = pg_execf(p, "DELETE FROM reactions WHERE message_id = $1", NULL, NULL, "i", id)) ||
	    (rc = pg_execf(p, "DELETE FROM mentions WHERE message_id = $1", NULL, NULL, "i", id)) ||
	    (rc = pg_execf(p, "DELETE FROM message_files WHERE message_id = $1", NULL, NULL, "i", id)))
		return rc;
	return 0;
}

int pgc_reply_count_add(void *p, int64_t root, int delta)
{
	return pg_execf(p, "UPDATE messages SET reply_count = greatest(reply_count + $1, 0) WHERE id = $2",
	                NULL, NULL, "ii", (int64_t)delta, root);
}

int pgc_mentions_insert(void *p, int64_t mid, int64_t chat, const int64_t *users, size_t n)
{
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++)
		rc = pg_execf(p,
		              "INSERT INTO mentions(message_id, user_id, chat_id) VALUES ($1, $2, $3)"
		              " ON CONFLICT DO NOTHING",
		              NULL, NULL, "iii", mid, users[i], chat);
	return rc;
}

int pgc_message_files_insert(void *p, int64_t mid, const int64_t *ids, size_t n)
{
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++)
		rc = pg_execf(
		    p,
		    "INSERT INTO message_files(message_id, file_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
		    NULL, NULL, "ii", mid, ids[i]);
	return rc;
}

int pgc_reaction_add(void *p, int64_t mid, int64_t user, const char *emoji, int64_t now)
{
	int changes = 0;
	int rc =
	    pg_execf(p,
	             "INSERT INTO reactions(message_id, user_id, emoji, created_at) VALUES ($1, $2, $3, $4)"
	             " ON CONFLICT DO NOTHING",
	             NULL, &changes, "iiti", mid, user, emoji, now);
	return rc ? rc : changes ? 0 : FE_ECONFLICT;
}

int pgc_reaction_remove(void *p, int64_t mid, int64_t user, const char *emoji)
{
	int changes = 0;
	int rc = pg_execf(p, "DELETE FROM reactions WHERE message_id = $1 AND user_id = $2 AND emoji = $3",
	                  NULL, &changes, "iit", mid, user, emoji);
	return rc ? rc : changes ? 0 : FE_ENOTFOUND;
}

/* ---- read markers ---- */

int pgc_read_get(void *p, int64_t chat, int64_t user, int64_t *mid)
{
	*mid = 0;
	int rc = pg_scalar(p, "SELECT message_id FROM read_markers WHERE chat_id = $1 AND user_id = $2", mid,
	                   "ii", chat, user);
	return rc == FE_ENOTFOUND ? 0 : rc;
}

int pgc_read_set(void *p, int64_t chat, int64_t user, int64_t mid, int64_t now)
{
	return pg_execf(
	    p,
	    "INSERT INTO read_markers(chat_id, user_id, message_id, updated_at) VALUES ($1, $2, $3, $4)"
	    " ON CONFLICT (user_id, chat_id) DO UPDATE SET"
	    " message_id = greatest(read_markers.message_id, excluded.message_id),"
	    " updated_at = excluded.updated_at",
	    NULL, NULL, "iiii", chat, user, mid, now);
}

static void row_unread(const struct pg_res *r, void *el)
{
	struct unread *u = el;
	u->chat_id = pg_i64(r, 0);
	u->unread_count = pg_i64(r, 1);
	u->mention_count = pg_i64(r, 2);
}

int pgc_unread_counts(void *p, int64_t user, struct unread **out, size_t *n)
{
	return pg_rows(p,
	               "SELECT cm.chat_id, count(m.id), count(CASE WHEN m.mentions_all <> 0 OR EXISTS"
	               " (SELECT 1 FROM mentions x WHERE x.message_id = m.id AND x.user_id = $1) THEN 1 END)"
	               " FROM chat_members cm LEFT JOIN read_markers rm ON rm.chat_id = cm.chat_id"
	               " AND rm.user_id = $1 LEFT JOIN messages m ON m.chat_id = cm.chat_id"
	               " AND m.id > coalesce(rm.message_id, 0) AND m.sender_id <> $1 AND m.deleted_at IS NULL"
	               " WHERE cm.user_id = $1 GROUP BY cm.chat_id ORDER BY cm.chat_id",
	               out, n, sizeof **out, row_unread, "i", user);
}

int pgc_max_message_id(void *p, int64_t chat, int64_t *id)
{
	*id = 0;
	return pg_scalar(p, "SELECT coalesce(max(id), 0) FROM messages WHERE chat_id = $1", id, "i", chat);
}

/* ---- files ---- */

int pgc_file_insert(void *p, struct file_rec *f)
{
	int rc = pg_execf(p,
	                  "INSERT INTO files(sha256, ext, mime_type, size, uploader_id, filename, created_at)"
	                  " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (sha256, uploader_id) DO NOTHING",
	                  NULL, NULL, "tttiiti", f->sha256, f->ext, f->mime_type, f->size, f->uploader_id,
	                  f->filename, f->created_at);
	if (rc)
		return rc;
	return pg_row(p, "SELECT " FILE_COLS " FROM files f WHERE sha256 = $1 AND uploader_id = $2", row_file,
	              f, "ti", f->sha256, f->uploader_id);
}

int pgc_file_get(void *p, int64_t id, struct file_rec *f)
{
	return pg_row(p, "SELECT " FILE_COLS " FROM files f WHERE id = $1", row_file, f, "i", id);
}

int pgc_files_by_sha(void *p, const char *sha, struct file_rec **out, size_t *n)
{
	return pg_rows(p, "SELECT " FILE_COLS " FROM files f WHERE f.sha256 = $1 ORDER BY f.id", out, n,
	               sizeof **out, row_file, "t", sha);
}

struct sha_span {
	char lo[65], hi[65];
};

static void row_sha_span(const struct pg_res *r, void *el)
{
	struct sha_span *x = el;
	pg_text(r, 0, x->lo, sizeof x->lo);
	pg_text(r, 1, x->hi, sizeof x->hi);
}

int pgc_file_sha_by_suffix(void *p, const char *suffix, const char *ext, char sha[65])
{
	struct sha_span x = {{0}, {0}};
	int rc = pg_row(p,
	                "SELECT min(sha256 COLLATE \"C\"), max(sha256 COLLATE \"C\") FROM files"
	                " WHERE substr(sha256, 7) = $1 AND ext = $2 AND length(sha256) = 64",
	                row_sha_span, &x, "tt", suffix, ext);
	if (rc)
		return rc;
	if (!*x.lo || strcmp(x.lo, x.hi))
		return FE_ENOTFOUND;
	memcpy(sha, x.lo, 65);
	return 0;
}

int pgc_file_in_chats_of(void *p, int64_t file, int64_t user)
{
	int64_t one;
	return pg_scalar(p,
	                 "SELECT 1 FROM message_files mf JOIN messages m ON m.id = mf.message_id"
	                 " AND m.deleted_at IS NULL JOIN chat_members cm ON cm.chat_id = m.chat_id"
	                 " AND cm.user_id = $1 WHERE mf.file_id = $2 LIMIT 1",
	                 &one, "ii", user, file);
}

int pgc_file_avatar_in_workspace_of(void *p, int64_t file, int64_t user)
{
	int64_t one;
	return pg_scalar(p,
	                 "SELECT 1 FROM users a JOIN users me ON me.id = $1"
	                 " AND me.workspace_id = a.workspace_id WHERE a.avatar_file_id = $2 LIMIT 1",
	                 &one, "ii", user, file);
}
