/* adapters/sqlite_chat: chats, members, messages, reactions, read markers
 * and files on SQLite (the conversation half of the store port). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "adapters/fts5_index.h"
#include "adapters/sqlite_chat.h"
#include "lib/err.h"
#include "lib/utf8.h"
#include "lib/xalloc.h"

static int id_list(struct sq *s, sqlite3_stmt *st, int64_t **out, size_t *n);
static int index_message(struct sq *s, int64_t id, int remove);

/* ---- chats ---- */

#define CHAT_COLS                                                                                            \
	"c.id, c.workspace_id, c.chat_type, c.name, c.description, c.created_by, "                           \
	"coalesce(c.last_message_id, 0),"                                                                    \
	" c.last_activity_at, c.created_at, c.updated_at,"                                                   \
	" (SELECT count(*) FROM chat_members x WHERE x.chat_id = c.id),"                                     \
	" coalesce((SELECT role FROM chat_members x WHERE x.chat_id = c.id AND x.user_id = ?1), '')"

static void row_chat(sqlite3_stmt *st, void *el)
{
	struct chat *c = el;
	c->id = sq_i64(st, 0);
	c->workspace_id = sq_i64(st, 1);
	sq_text(st, 2, c->chat_type, sizeof c->chat_type);
	sq_text(st, 3, c->name, sizeof c->name);
	sq_text(st, 4, c->description, sizeof c->description);
	c->created_by = sq_i64(st, 5);
	c->last_message_id = sq_i64(st, 6);
	c->last_activity_at = sq_i64(st, 7);
	c->created_at = sq_i64(st, 8);
	c->updated_at = sq_i64(st, 9);
	c->member_count = sq_i64(st, 10);
	sq_text(st, 11, c->my_role, sizeof c->my_role);
}

/* Steps a chat query into an array. */
static int chat_list(struct sq *s, sqlite3_stmt *st, struct chat **out, size_t *n)
{
	return sq_rows(s, st, out, n, sizeof **out, row_chat, NULL);
}

int sqc_chat_insert(void *p, struct chat *c, const char *single_key)
{
	struct sq *s = p;
	char key[sizeof c->name];
	utf8_fold(c->name, key, sizeof key);
	int rc = sq_exec(
	    s,
	    "INSERT INTO chats(workspace_id, chat_type, name, name_key, description, created_by, single_key,"
	    " last_activity_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	    NULL, "ittttitiii", c->workspace_id, c->chat_type, c->name, key, c->description, c->created_by,
	    single_key, c->created_at, c->created_at, c->created_at);
	if (!rc)
		c->id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

int sqc_chat_find_single(void *p, int64_t ws, const char *key, int64_t *id)
{
	return sq_scalar(p, "SELECT id FROM chats WHERE workspace_id = ? AND single_key = ?", id, "it", ws,
	                 key);
}

int sqc_chat_get(void *p, int64_t id, int64_t viewer, struct chat *c)
{
	struct sq *s = p;
	sqlite3_stmt *st = sq_query(s, "SELECT " CHAT_COLS " FROM chats c WHERE c.id = ?2", "ii", viewer, id);
	return sq_row(s, st, row_chat, c);
}

int sqc_chats_of_user(void *p, int64_t user, struct chat **out, size_t *n)
{
	struct sq *s = p;
	return chat_list(s,
	                 sq_query(s,
	                          "SELECT " CHAT_COLS
	                          " FROM chat_members cm JOIN chats c ON c.id = cm.chat_id"
	                          " WHERE cm.user_id = ?1 ORDER BY c.last_activity_at DESC, c.id DESC",
	                          "i", user),
	                 out, n);
}

int sqc_chats_public(void *p, int64_t ws, int64_t user, struct chat **out, size_t *n)
{
	struct sq *s = p;
	return chat_list(
	    s,
	    sq_query(s,
	             "SELECT " CHAT_COLS " FROM chats c WHERE c.workspace_id = ?2 AND"
	             " c.chat_type = 'PublicChannel' AND NOT EXISTS (SELECT 1 FROM chat_members x"
	             " WHERE x.chat_id = c.id AND x.user_id = ?1) ORDER BY c.name COLLATE NOCASE",
	             "ii", user, ws),
	    out, n);
}

int sqc_chat_update(void *p, const struct chat *c)
{
	int changes = 0;
	char key[sizeof c->name];
	utf8_fold(c->name, key, sizeof key);
	int rc = sq_exec(
	    p, "UPDATE chats SET name = ?, name_key = ?, description = ?, updated_at = ? WHERE id = ?",
	    &changes, "tttii", c->name, key, c->description, c->updated_at, c->id);
	return rc ? rc : changes ? 0 : FE_ENOTFOUND;
}

int sqc_chat_delete(void *p, int64_t id)
{
	struct sq *s = p;
	int rc;
	/* the scoped index first (it needs each message's words), then the rows;
	 * mentions and reactions cascade from messages, members and read markers
	 * from chats */
	int64_t *ids = NULL;
	size_t n = 0;
	if ((rc = id_list(
	         s, sq_query(s, "SELECT id FROM messages WHERE chat_id = ? AND deleted_at IS NULL", "i", id),
	         &ids, &n)))
		return rc;
	for (size_t i = 0; i < n && !rc; i++)
		rc = index_message(s, ids[i], 1);
	free(ids);
	if (rc || (rc = sq_exec(s, "DELETE FROM messages WHERE chat_id = ?", NULL, "i", id)))
		return rc;
	int changes = 0;
	rc = sq_exec(s, "DELETE FROM chats WHERE id = ?", &changes, "i", id);
	return rc ? rc : changes ? 0 : FE_ENOTFOUND;
}

int sqc_chat_touch(void *p, int64_t id, int64_t mid, int64_t at)
{
	return sq_exec(p,
	               "UPDATE chats SET last_message_id = max(coalesce(last_message_id, 0), ?), "
	               "last_activity_at = ? WHERE id = ?",
	               NULL, "iii", mid, at, id);
}

/* ---- members ---- */

int sqc_member_add(void *p, int64_t chat, int64_t user, const char *role, int64_t now)
{
	return sq_exec(p, "INSERT INTO chat_members(chat_id, user_id, role, joined_at) VALUES (?, ?, ?, ?)",
	               NULL, "iiti", chat, user, role, now);
}

int sqc_member_remove(void *p, int64_t chat, int64_t user)
{
	struct sq *s = p;
	int changes = 0;
	int rc = sq_exec(s, "DELETE FROM chat_members WHERE chat_id = ? AND user_id = ?", &changes, "ii",
	                 chat, user);
	if (!rc && changes)
		rc = sq_exec(s, "DELETE FROM read_markers WHERE chat_id = ? AND user_id = ?", NULL, "ii",
		             chat, user);
	return rc ? rc : changes ? 0 : FE_ENOTFOUND;
}

#define MEMBER_SQL                                                                                           \
	"SELECT cm.chat_id, cm.user_id, cm.joined_at, cm.role, u.fullname, u.avatar_url FROM chat_members "  \
	"cm"                                                                                                 \
	" JOIN users u ON u.id = cm.user_id"

static void row_member(sqlite3_stmt *st, void *el)
{
	struct chat_member *m = el;
	m->chat_id = sq_i64(st, 0);
	m->user_id = sq_i64(st, 1);
	m->joined_at = sq_i64(st, 2);
	sq_text(st, 3, m->role, sizeof m->role);
	sq_text(st, 4, m->fullname, sizeof m->fullname);
	sq_text(st, 5, m->avatar_url, sizeof m->avatar_url);
}

int sqc_member_get(void *p, int64_t chat, int64_t user, struct chat_member *m)
{
	struct sq *s = p;
	sqlite3_stmt *st =
	    sq_query(s, MEMBER_SQL " WHERE cm.chat_id = ? AND cm.user_id = ?", "ii", chat, user);
	return sq_row(s, st, row_member, m);
}

struct sender_row {
	struct user *u;
	int member;
};

static void row_sender(sqlite3_stmt *st, void *el)
{
	struct sender_row *r = el;
	r->u->id = sq_i64(st, 0);
	r->u->workspace_id = sq_i64(st, 1);
	sq_text(st, 2, r->u->fullname, sizeof r->u->fullname);
	sq_text(st, 3, r->u->status, sizeof r->u->status);
	r->u->token_version = sq_i64(st, 4);
	sq_text(st, 5, r->u->avatar_url, sizeof r->u->avatar_url);
	r->member = sqlite3_column_int(st, 6);
}

int sqc_chat_sender(void *p, int64_t chat, int64_t user, struct user *u, int *member)
{
	struct sq *s = p;
	struct sender_row r = {u, 0};
	memset(u, 0, sizeof *u);
	sqlite3_stmt *st = sq_query(s,
	                            "SELECT u.id, u.workspace_id, u.fullname, u.status, u.token_version,"
	                            " u.avatar_url, EXISTS (SELECT 1 FROM chat_members cm WHERE"
	                            " cm.chat_id = ?1 AND cm.user_id = u.id) FROM users u WHERE u.id = ?2",
	                            "ii", chat, user);
	int rc = sq_row(s, st, row_sender, &r);
	*member = r.member;
	return rc;
}

int sqc_member_set_role(void *p, int64_t chat, int64_t user, const char *role)
{
	int changes = 0;
	int rc = sq_exec(p, "UPDATE chat_members SET role = ? WHERE chat_id = ? AND user_id = ?", &changes,
	                 "tii", role, chat, user);
	return rc ? rc : changes ? 0 : FE_ENOTFOUND;
}

int sqc_members_list(void *p, int64_t chat, struct chat_member **out, size_t *n)
{
	struct sq *s = p;
	return sq_rows(
	    s, sq_query(s, MEMBER_SQL " WHERE cm.chat_id = ? ORDER BY cm.joined_at, cm.user_id", "i", chat),
	    out, n, sizeof **out, row_member, NULL);
}

/* Collects the first column of a query as int64s. */
static void row_id(sqlite3_stmt *st, void *el)
{
	*(int64_t *)el = sq_i64(st, 0);
}

static int id_list(struct sq *s, sqlite3_stmt *st, int64_t **out, size_t *n)
{
	return sq_rows(s, st, out, n, sizeof **out, row_id, NULL);
}

int sqc_chat_ids_of_user(void *p, int64_t user, int64_t **out, size_t *n)
{
	struct sq *s = p;
	return id_list(
	    s, sq_query(s, "SELECT chat_id FROM chat_members WHERE user_id = ? ORDER BY chat_id", "i", user),
	    out, n);
}

int sqc_member_ids(void *p, int64_t chat, int64_t **out, size_t *n)
{
	struct sq *s = p;
	return id_list(
	    s, sq_query(s, "SELECT user_id FROM chat_members WHERE chat_id = ? ORDER BY user_id", "i", chat),
	    out, n);
}

int sqc_owner_count(void *p, int64_t chat, int64_t *n)
{
	return sq_scalar(p, "SELECT count(*) FROM chat_members WHERE chat_id = ? AND role = 'owner'", n, "i",
	                 chat);
}

/* ---- messages ---- */

#define MSG_SQL                                                                                              \
	"SELECT m.id, m.chat_id, m.sender_id, coalesce(m.reply_to, 0), m.reply_count, m.created_at,"         \
	" coalesce(m.edited_at, 0), coalesce(m.deleted_at, 0), m.content, coalesce(m.idempotency_key, ''),"  \
	" m.mentions_all, u.fullname, u.avatar_url FROM messages m JOIN users u ON u.id = m.sender_id"

static void row_message(sqlite3_stmt *st, void *el)
{
	struct message *m = el;
	m->id = sq_i64(st, 0);
	m->chat_id = sq_i64(st, 1);
	m->sender_id = sq_i64(st, 2);
	m->reply_to = sq_i64(st, 3);
	m->reply_count = sq_i64(st, 4);
	m->created_at = sq_i64(st, 5);
	m->edited_at = sq_i64(st, 6);
	m->deleted_at = sq_i64(st, 7);
	const unsigned char *t = sqlite3_column_text(st, 8);
	m->content = xstrdup(t ? (const char *)t : "");
	sq_text(st, 9, m->idempotency_key, sizeof m->idempotency_key);
	m->mentions_all = (int)sq_i64(st, 10);
	sq_text(st, 11, m->sender_name, sizeof m->sender_name);
	sq_text(st, 12, m->sender_avatar, sizeof m->sender_avatar);
}

#define FILE_COLS "f.id, f.size, f.uploader_id, f.created_at, f.sha256, f.ext, f.mime_type, f.filename"

static void row_file(sqlite3_stmt *st, void *el)
{
	struct file_rec *f = el;
	f->id = sq_i64(st, 0);
	f->size = sq_i64(st, 1);
	f->uploader_id = sq_i64(st, 2);
	f->created_at = sq_i64(st, 3);
	sq_text(st, 4, f->sha256, sizeof f->sha256);
	sq_text(st, 5, f->ext, sizeof f->ext);
	sq_text(st, 6, f->mime_type, sizeof f->mime_type);
	sq_text(st, 7, f->filename, sizeof f->filename);
}

static void row_reaction(sqlite3_stmt *st, void *el)
{
	struct reaction_sum *r = el;
	sq_text(st, 0, r->emoji, sizeof r->emoji);
	r->count = (int)sq_i64(st, 1);
	r->me = (int)sq_i64(st, 2);
}

int sqc_reactions_of(void *p, int64_t mid, int64_t viewer, struct reaction_sum **out, size_t *n)
{
	struct sq *s = p;
	return sq_rows(
	    s,
	    sq_query(s,
	             "SELECT emoji, count(*), max(user_id = ?1) FROM reactions WHERE message_id = ?2"
	             " GROUP BY emoji ORDER BY min(created_at), emoji",
	             "ii", viewer, mid),
	    out, n, sizeof **out, row_reaction, NULL);
}

/* Loads reactions, files and mentions of m. */
static int details(struct sq *s, struct message *m, int64_t viewer)
{
	size_t n = 0;
	int rc;
	if (m->deleted_at)
		return 0;
	struct reaction_sum *rs;
	if ((rc = sqc_reactions_of(s, m->id, viewer, &rs, &n)))
		return rc;
	m->reactions = rs;
	m->nreactions = (int)n;
	if ((rc = sq_rows(s,
	                  sq_query(s,
	                           "SELECT " FILE_COLS
	                           " FROM message_files mf JOIN files f ON f.id = mf.file_id"
	                           " WHERE mf.message_id = ? ORDER BY f.id",
	                           "i", m->id),
	                  &m->files, &n, sizeof *m->files, row_file, NULL)))
		return rc;
	m->nfiles = (int)n;
	int64_t *ids;
	if ((rc = id_list(s,
	                  sq_query(s, "SELECT user_id FROM mentions WHERE message_id = ? ORDER BY user_id",
	                           "i", m->id),
	                  &ids, &n)))
		return rc;
	m->mentions = ids;
	m->nmentions = (int)n;
	return 0;
}

static void clear_message(void *el)
{
	message_clear(el);
}

/* Steps a message query into an array, with details. */
static int message_list(struct sq *s, sqlite3_stmt *st, int64_t viewer, int reverse, struct message **out,
                        size_t *n)
{
	int rc = sq_rows(s, st, out, n, sizeof **out, row_message, clear_message);
	if (rc)
		return rc;
	for (size_t i = 0; reverse && i < *n / 2; i++) {
		struct message t = (*out)[i];
		(*out)[i] = (*out)[*n - 1 - i];
		(*out)[*n - 1 - i] = t;
	}
	for (size_t i = 0; i < *n; i++)
		if ((rc = details(s, &(*out)[i], viewer))) {
			messages_free(*out, *n);
			*out = NULL;
			*n = 0;
			return rc;
		}
	return 0;
}

/* Adds (remove = 0) or removes (1) message id's words in the scoped index
 * from the values in hand (a cached statement: no read of the row). */
static int index_values(struct sq *s, int64_t id, int64_t chat, const char *content, const char *sender,
                        int remove)
{
	struct buf body = {0}, who = {0};
	fts5_scoped_text(chat, content ? content : "", &body);
	fts5_scoped_text(chat, sender ? sender : "", &who);
	int rc = remove ? sq_exec(s,
	                          "INSERT INTO messages_scoped(messages_scoped, rowid, body, who)"
	                          " VALUES ('delete', ?, ?, ?)",
	                          NULL, "itt", id, body.p ? body.p : "", who.p ? who.p : "")
	                : sq_exec(s, "INSERT INTO messages_scoped(rowid, body, who) VALUES (?, ?, ?)", NULL,
	                          "itt", id, body.p ? body.p : "", who.p ? who.p : "");
	buf_free(&body);
	buf_free(&who);
	return rc;
}

struct indexed {
	int64_t chat;
	char *content, *sender;
	int tombstone;
};

static void index_row(sqlite3_stmt *st, void *el)
{
	struct indexed *x = el;
	const unsigned char *c = sqlite3_column_text(st, 1), *w = sqlite3_column_text(st, 2);
	x->chat = sq_i64(st, 0);
	x->content = xstrdup(c ? (const char *)c : "");
	x->sender = xstrdup(w ? (const char *)w : "");
	x->tombstone = sqlite3_column_int(st, 3);
}

/* Adds (remove = 0) or removes (1) message id's words in the scoped index,
 * reading its current row (edits and deletes; a tombstone is not indexed). */
static int index_message(struct sq *s, int64_t id, int remove)
{
	struct indexed x = {0};
	int rc = sq_row(
	    s,
	    sq_query(
	        s, "SELECT chat_id, content, sender_name, deleted_at IS NOT NULL FROM messages WHERE id = ?",
	        "i", id),
	    index_row, &x);
	if (!rc && !x.tombstone)
		rc = index_values(s, id, x.chat, x.content, x.sender, remove);
	free(x.content);
	free(x.sender);
	return rc;
}

static void row_inserted(sqlite3_stmt *st, void *el)
{
	struct message *m = el;
	m->id = sq_i64(st, 0);
	sq_text(st, 1, m->sender_name, sizeof m->sender_name);
}

int sqc_message_insert(void *p, struct message *m)
{
	struct sq *s = p;
	/* RETURNING hands back the id and the sender's name it stored: the
	 * index is written from them and the content in hand */
	sqlite3_stmt *st = sq_query(
	    s,
	    "INSERT INTO messages(chat_id, sender_id, content, reply_to, idempotency_key, mentions_all,"
	    " created_at, sender_name) VALUES (?1, ?2, ?3, nullif(?4, 0), nullif(?5, ''), ?6, ?7,"
	    " coalesce((SELECT fullname FROM users WHERE id = ?2), '')) RETURNING id, sender_name",
	    "iititii", m->chat_id, m->sender_id, m->content, m->reply_to, m->idempotency_key,
	    (int64_t)m->mentions_all, m->created_at);
	int rc = sq_row(s, st, row_inserted, m);
	if (rc == FE_ENOTFOUND)
		rc = FE_EINTERNAL; /* an INSERT ... RETURNING always returns its row */
	if (!rc)
		rc = index_values(s, m->id, m->chat_id, m->content, m->sender_name, 0);
	return rc;
}

int sqc_message_by_key(void *p, int64_t sender, const char *key, int64_t *id)
{
	return sq_scalar(p, "SELECT id FROM messages WHERE sender_id = ? AND idempotency_key = ?", id, "it",
	                 sender, key);
}

int sqc_message_get(void *p, int64_t id, int64_t viewer, struct message *m)
{
	struct sq *s = p;
	sqlite3_stmt *st = sq_query(s, MSG_SQL " WHERE m.id = ?", "i", id);
	memset(m, 0, sizeof *m);
	int rc = sq_row(s, st, row_message, m);
	if (!rc && (rc = details(s, m, viewer)))
		message_clear(m);
	return rc;
}

int sqc_messages_page(void *p, int64_t chat, int64_t before, int64_t after, int limit, int64_t viewer,
                      struct message **out, size_t *n)
{
	struct sq *s = p;
	int64_t hi = before > 0 ? before : INT64_MAX;
	if (after >= 0)
		return message_list(
		    s,
		    sq_query(
		        s, MSG_SQL " WHERE m.chat_id = ? AND m.id > ? AND m.id < ? ORDER BY m.id ASC LIMIT ?",
		        "iiii", chat, after, hi, (int64_t)limit),
		    viewer, 1, out, n);
	return message_list(s,
	                    sq_query(s,
	                             MSG_SQL " WHERE m.chat_id = ? AND m.id < ? ORDER BY m.id DESC LIMIT ?",
	                             "iii", chat, hi, (int64_t)limit),
	                    viewer, 0, out, n);
}

int sqc_replies_page(void *p, int64_t root, int64_t after, int limit, int64_t viewer, struct message **out,
                     size_t *n)
{
	struct sq *s = p;
	return message_list(s,
	                    sq_query(s,
	                             MSG_SQL " WHERE m.reply_to = ? AND m.id > ? ORDER BY m.id ASC LIMIT ?",
	                             "iii", root, after, (int64_t)limit),
	                    viewer, 0, out, n);
}

int sqc_message_edit(void *p, int64_t id, const char *content, int64_t at)
{
	int changes = 0;
	int rc = index_message(p, id, 1);
	if (rc)
		return rc;
	rc = sq_exec(p, "UPDATE messages SET content = ?, edited_at = ? WHERE id = ? AND deleted_at IS NULL",
	             &changes, "tii", content, at, id);
	if (!rc && changes)
		rc = index_message(p, id, 0);
	return rc ? rc : changes ? 0 : FE_ENOTFOUND;
}

int sqc_message_delete(void *p, int64_t id, int64_t at)
{
	struct sq *s = p;
	int changes = 0, rc;
	if ((rc = index_message(s, id, 1)))
		return rc;
	if ((rc = sq_exec(s,
	                  "UPDATE messages SET content = '', sender_name = '', deleted_at = ? WHERE id = ? "
	                  "AND deleted_at IS NULL",
	                  &changes, "ii", at, id)))
		return rc;
	if (!changes)
		return FE_ENOTFOUND;
	if ((rc = sq_exec(s, "DELETE FROM reactions WHERE message_id = ?", NULL, "i", id)) ||
	    (rc = sq_exec(s, "DELETE FROM mentions WHERE message_id = ?", NULL, "i", id)) ||
	    (rc = sq_exec(s, "DELETE FROM message_files WHERE message_id = ?", NULL, "i", id)))
		return rc;
	return 0;
}

int sqc_reply_count_add(void *p, int64_t root, int delta)
{
	return sq_exec(p, "UPDATE messages SET reply_count = max(reply_count + ?, 0) WHERE id = ?", NULL,
	               "ii", (int64_t)delta, root);
}

int sqc_mentions_insert(void *p, int64_t mid, int64_t chat, const int64_t *users, size_t n)
{
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++)
		rc = sq_exec(p,
		             "INSERT OR IGNORE INTO mentions(message_id, user_id, chat_id) VALUES (?, ?, ?)",
		             NULL, "iii", mid, users[i], chat);
	return rc;
}

int sqc_message_files_insert(void *p, int64_t mid, const int64_t *ids, size_t n)
{
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++)
		rc = sq_exec(p, "INSERT OR IGNORE INTO message_files(message_id, file_id) VALUES (?, ?)",
		             NULL, "ii", mid, ids[i]);
	return rc;
}

int sqc_reaction_add(void *p, int64_t mid, int64_t user, const char *emoji, int64_t now)
{
	return sq_exec(p, "INSERT INTO reactions(message_id, user_id, emoji, created_at) VALUES (?, ?, ?, ?)",
	               NULL, "iiti", mid, user, emoji, now);
}

int sqc_reaction_remove(void *p, int64_t mid, int64_t user, const char *emoji)
{
	int changes = 0;
	int rc = sq_exec(p, "DELETE FROM reactions WHERE message_id = ? AND user_id = ? AND emoji = ?",
	                 &changes, "iit", mid, user, emoji);
	return rc ? rc : changes ? 0 : FE_ENOTFOUND;
}

/* ---- read markers ---- */

int sqc_read_get(void *p, int64_t chat, int64_t user, int64_t *mid)
{
	*mid = 0;
	int rc = sq_scalar(p, "SELECT message_id FROM read_markers WHERE chat_id = ? AND user_id = ?", mid,
	                   "ii", chat, user);
	return rc == FE_ENOTFOUND ? 0 : rc;
}

int sqc_read_set(void *p, int64_t chat, int64_t user, int64_t mid, int64_t now)
{
	return sq_exec(
	    p,
	    "INSERT INTO read_markers(chat_id, user_id, message_id, updated_at) VALUES (?1, ?2, ?3, ?4)"
	    " ON CONFLICT(user_id, chat_id) DO UPDATE SET message_id = max(message_id, excluded.message_id),"
	    " updated_at = excluded.updated_at",
	    NULL, "iiii", chat, user, mid, now);
}

static void row_unread(sqlite3_stmt *st, void *el)
{
	struct unread *u = el;
	u->chat_id = sq_i64(st, 0);
	u->unread_count = sq_i64(st, 1);
	u->mention_count = sq_i64(st, 2);
}

int sqc_unread_counts(void *p, int64_t user, struct unread **out, size_t *n)
{
	struct sq *s = p;
	sqlite3_stmt *st =
	    sq_query(s,
	             "SELECT cm.chat_id, count(m.id), count(CASE WHEN m.mentions_all OR EXISTS"
	             " (SELECT 1 FROM mentions x WHERE x.message_id = m.id AND x.user_id = ?1) THEN 1 END)"
	             " FROM chat_members cm LEFT JOIN read_markers rm ON rm.chat_id = cm.chat_id"
	             " AND rm.user_id = ?1 LEFT JOIN messages m ON m.chat_id = cm.chat_id"
	             " AND m.id > coalesce(rm.message_id, 0) AND m.sender_id != ?1 AND m.deleted_at IS NULL"
	             " WHERE cm.user_id = ?1 GROUP BY cm.chat_id ORDER BY cm.chat_id",
	             "i", user);
	return sq_rows(s, st, out, n, sizeof **out, row_unread, NULL);
}

int sqc_max_message_id(void *p, int64_t chat, int64_t *id)
{
	*id = 0;
	return sq_scalar(p, "SELECT coalesce(max(id), 0) FROM messages WHERE chat_id = ?", id, "i", chat);
}

/* ---- files ---- */

int sqc_file_insert(void *p, struct file_rec *f)
{
	struct sq *s = p;
	int rc = sq_exec(s,
	                 "INSERT INTO files(sha256, ext, mime_type, size, uploader_id, filename, created_at)"
	                 " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(sha256, uploader_id) DO NOTHING",
	                 NULL, "tttiiti", f->sha256, f->ext, f->mime_type, f->size, f->uploader_id,
	                 f->filename, f->created_at);
	if (rc)
		return rc;
	sqlite3_stmt *st =
	    sq_query(s, "SELECT " FILE_COLS " FROM files f WHERE sha256 = ? AND uploader_id = ?", "ti",
	             f->sha256, f->uploader_id);
	return sq_row(s, st, row_file, f);
}

int sqc_file_get(void *p, int64_t id, struct file_rec *f)
{
	struct sq *s = p;
	sqlite3_stmt *st = sq_query(s, "SELECT " FILE_COLS " FROM files f WHERE id = ?", "i", id);
	return sq_row(s, st, row_file, f);
}

int sqc_files_by_sha(void *p, const char *sha, struct file_rec **out, size_t *n)
{
	struct sq *s = p;
	sqlite3_stmt *st =
	    sq_query(s, "SELECT " FILE_COLS " FROM files f WHERE f.sha256 = ? ORDER BY f.id", "t", sha);
	return sq_rows(s, st, out, n, sizeof **out, row_file, NULL);
}

struct sha_span {
	char lo[65], hi[65];
};

static void row_sha_span(sqlite3_stmt *st, void *el)
{
	struct sha_span *x = el;
	sq_text(st, 0, x->lo, sizeof x->lo);
	sq_text(st, 1, x->hi, sizeof x->hi);
}

int sqc_file_sha_by_suffix(void *p, const char *suffix, const char *ext, char sha[65])
{
	struct sq *s = p;
	struct sha_span x = {{0}, {0}};
	/* a scan of the files table (no index can serve a suffix): the table
	 * holds one row per upload, and only this compatibility route asks */
	sqlite3_stmt *st = sq_query(s,
	                            "SELECT min(sha256), max(sha256) FROM files"
	                            " WHERE substr(sha256, 7) = ? AND ext = ? AND length(sha256) = 64",
	                            "tt", suffix, ext);
	int rc = sq_row(s, st, row_sha_span, &x);
	if (rc)
		return rc;
	if (!*x.lo || strcmp(x.lo, x.hi))
		return FE_ENOTFOUND;
	memcpy(sha, x.lo, 65);
	return 0;
}

int sqc_file_in_chats_of(void *p, int64_t file, int64_t user)
{
	int64_t one;
	return sq_scalar(p,
	                 "SELECT 1 FROM message_files mf JOIN messages m ON m.id = mf.message_id"
	                 " AND m.deleted_at IS NULL JOIN chat_members cm ON cm.chat_id = m.chat_id"
	                 " AND cm.user_id = ? WHERE mf.file_id = ? LIMIT 1",
	                 &one, "ii", user, file);
}

int sqc_file_avatar_in_workspace_of(void *p, int64_t file, int64_t user)
{
	int64_t one;
	return sq_scalar(p,
	                 "SELECT 1 FROM users a JOIN users me ON me.id = ?"
	                 " AND me.workspace_id = a.workspace_id WHERE a.avatar_file_id = ? LIMIT 1",
	                 &one, "ii", user, file);
}
