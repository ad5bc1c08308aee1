/* adapters/sqlite_import: the transfer sink on SQLite. The whole import is
 * one transaction on the store's connection: a failure anywhere rolls it
 * all back. New ids come from the database; the file's ids are mapped to
 * them in temporary tables (temp.m_user, m_file, m_chat, m_msg: old ->
 * new) kept in a temporary file, so memory does not grow with the file.
 * Messages go into the scoped search index as the server's sends do (the
 * trigram index follows by trigger); derived columns (chats'
 * last_message_id, single_key, messages' sender_name) are set here. */
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "adapters/fts5_index.h"
#include "adapters/sqlite_internal.h"
#include "adapters/sqlite_transfer.h"
#include "lib/err.h"
#include "lib/utf8.h"
#include "lib/xalloc.h"

struct isink {
	struct sq *s;
	int64_t ws, owner;
	int64_t count[TR_NKINDS];
	struct tr_header header;
	int open, committed;
	int lookup_rc; /* a lookup that failed for another reason than "no row" */
};

static int input(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int input(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return TR_EINPUT;
}

static int store_failed(struct isink *k, char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "import: %s failed: %s", what, sqlite3_errmsg(k->s->db));
	return TR_ESTORE;
}

/* Maps an sq_exec result: a uniqueness clash is the file's fault. */
static int wrote(struct isink *k, int rc, char *err, size_t errlen, const char *clash, const char *what)
{
	if (!rc)
		return 0;
	if (rc == FE_ECONFLICT)
		return input(err, errlen, "%s", clash);
	return store_failed(k, err, errlen, what);
}

/* The new id of the file's id old in a map (sql: a string literal), or 0
 * when there is none; a store error is kept in k->lookup_rc. */
static int64_t lookup(struct isink *k, const char *sql, int64_t old)
{
	int64_t v = 0;
	int rc = old > 0 ? sq_scalar(k->s, sql, &v, "i", old) : FE_ENOTFOUND;
	if (rc && rc != FE_ENOTFOUND)
		k->lookup_rc = rc;
	return rc ? 0 : v;
}

#define USER_ID "SELECT new FROM m_user WHERE old = ?"
#define FILE_ID "SELECT new FROM m_file WHERE old = ?"
#define CHAT_ID "SELECT new FROM m_chat WHERE old = ?"
#define MSG_ID "SELECT new FROM m_msg WHERE old = ?"

static int remember(struct isink *k, const char *sql, int64_t old, int64_t new, char *err, size_t errlen,
                    const char *kind)
{
	int rc = sq_exec(k->s, sql, NULL, "ii", old, new);
	if (rc == FE_ECONFLICT)
		return input(err, errlen, "duplicate %s id %lld", kind, (long long)old);
	return rc ? store_failed(k, err, errlen, "id map") : 0;
}

/* Each of these returns 0 or TR_E* with err set. */

static int put_workspace(struct isink *k, const struct tr_workspace *w, char *err, size_t errlen)
{
	char key[sizeof w->name];
	utf8_fold(w->name, key, sizeof key);
	int rc = sq_exec(k->s, "INSERT INTO workspaces(name, name_key, created_at) VALUES (?, ?, ?)", NULL,
	                 "tti", w->name, key, w->created_at);
	if (rc)
		return wrote(k, rc, err, errlen, "a workspace with this name exists", "workspace");
	k->ws = sqlite3_last_insert_rowid(k->s->db);
	k->owner = w->owner;
	return 0;
}

static int put_user(struct isink *k, const struct tr_user *u, char *err, size_t errlen)
{
	if (lookup(k, USER_ID, u->id))
		return input(err, errlen, "duplicate user id %lld", (long long)u->id);
	int rc = sq_exec(
	    k->s,
	    "INSERT INTO users(workspace_id, email, fullname, password_hash, role, status, title, department,"
	    " avatar_url, bio, timezone, language, created_at, updated_at)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	    NULL, "itttttttttttii", k->ws, u->email, u->fullname, u->password_hash, u->role, u->status,
	    u->title, u->department, u->avatar_url, u->bio, u->timezone, u->language, u->created_at,
	    u->updated_at);
	if (rc)
		return wrote(k, rc, err, errlen, "another user has this email", "user");
	return remember(k, "INSERT INTO m_user(old, new) VALUES (?, ?)", u->id,
	                sqlite3_last_insert_rowid(k->s->db), err, errlen, "user");
}

static int put_file(struct isink *k, const struct tr_file *f, char *err, size_t errlen)
{
	int64_t up = lookup(k, USER_ID, f->uploader);
	if (!up)
		return input(err, errlen, "unknown uploader (user %lld)", (long long)f->uploader);
	if (lookup(k, FILE_ID, f->id))
		return input(err, errlen, "duplicate file id %lld", (long long)f->id);
	int rc = sq_exec(k->s,
	                 "INSERT INTO files(sha256, ext, mime_type, size, uploader_id, filename, created_at)"
	                 " VALUES (?, ?, ?, ?, ?, ?, ?)",
	                 NULL, "tttiiti", f->sha256, f->ext, f->mime_type, f->size, up, f->filename,
	                 f->created_at);
	if (rc)
		return wrote(k, rc, err, errlen, "the same file (sha256) twice from one uploader", "file");
	return remember(k, "INSERT INTO m_file(old, new) VALUES (?, ?)", f->id,
	                sqlite3_last_insert_rowid(k->s->db), err, errlen, "file");
}

static int put_avatar(struct isink *k, const struct tr_avatar *a, char *err, size_t errlen)
{
	int64_t user = lookup(k, USER_ID, a->user), file = lookup(k, FILE_ID, a->file), up = 0;
	if (!user)
		return input(err, errlen, "unknown user %lld", (long long)a->user);
	if (!file)
		return input(err, errlen, "unknown file %lld", (long long)a->file);
	if (sq_scalar(k->s, "SELECT uploader_id FROM files WHERE id = ?", &up, "i", file) || up != user)
		return input(err, errlen, "file %lld is not a file user %lld uploaded", (long long)a->file,
		             (long long)a->user);
	int rc = sq_exec(k->s, "UPDATE users SET avatar_file_id = ? WHERE id = ?", NULL, "ii", file, user);
	return rc ? store_failed(k, err, errlen, "avatar") : 0;
}

static int put_chat(struct isink *k, const struct tr_chat *c, char *err, size_t errlen)
{
	int64_t by = lookup(k, USER_ID, c->created_by);
	if (!by)
		return input(err, errlen, "unknown creator (user %lld)", (long long)c->created_by);
	if (lookup(k, CHAT_ID, c->id))
		return input(err, errlen, "duplicate chat id %lld", (long long)c->id);
	char single[48] = "", key[sizeof c->name];
	if (!strcmp(c->chat_type, "Single")) {
		int64_t a = lookup(k, USER_ID, c->pair[0]), b = lookup(k, USER_ID, c->pair[1]);
		if (!a || !b)
			return input(err, errlen, "unknown user in the pair of a Single chat");
		snprintf(single, sizeof single, "%lld:%lld", (long long)(a < b ? a : b),
		         (long long)(a < b ? b : a));
	}
	utf8_fold(c->name, key, sizeof key);
	int rc = sq_exec(
	    k->s,
	    "INSERT INTO chats(workspace_id, chat_type, name, name_key, description, created_by, single_key,"
	    " last_activity_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, nullif(?, ''), ?, ?, ?)",
	    NULL, "ittttitiii", k->ws, c->chat_type, c->name, key, c->description, by, single,
	    c->last_activity_at, c->created_at, c->updated_at);
	if (rc)
		return wrote(k, rc, err, errlen,
		             *single ? "a second Single chat for the same pair"
		                     : "a second channel with this name",
		             "chat");
	return remember(k, "INSERT INTO m_chat(old, new) VALUES (?, ?)", c->id,
	                sqlite3_last_insert_rowid(k->s->db), err, errlen, "chat");
}

static int put_member(struct isink *k, const struct tr_member *m, char *err, size_t errlen)
{
	int64_t chat = lookup(k, CHAT_ID, m->chat), user = lookup(k, USER_ID, m->user);
	if (!chat)
		return input(err, errlen, "unknown chat %lld", (long long)m->chat);
	if (!user)
		return input(err, errlen, "unknown user %lld", (long long)m->user);
	int rc =
	    sq_exec(k->s, "INSERT INTO chat_members(chat_id, user_id, role, joined_at) VALUES (?, ?, ?, ?)",
	            NULL, "iiti", chat, user, m->role, m->joined_at);
	return wrote(k, rc, err, errlen, "the same member twice in a chat", "member");
}

static int put_message(struct isink *k, const struct tr_message *m, char *err, size_t errlen)
{
	int64_t chat = lookup(k, CHAT_ID, m->chat), sender = lookup(k, USER_ID, m->sender), parent = 0,
	        pchat = 0;
	if (!chat)
		return input(err, errlen, "unknown chat %lld", (long long)m->chat);
	if (!sender)
		return input(err, errlen, "unknown sender (user %lld)", (long long)m->sender);
	if (lookup(k, MSG_ID, m->id))
		return input(err, errlen, "duplicate message id %lld", (long long)m->id);
	if (m->reply_to) {
		if (!(parent = lookup(k, MSG_ID, m->reply_to)))
			return input(
			    err, errlen,
			    "reply_to names unknown message %lld (a parent comes before its replies)",
			    (long long)m->reply_to);
		if (sq_scalar(k->s, "SELECT chat_id FROM messages WHERE id = ?", &pchat, "i", parent) ||
		    pchat != chat)
			return input(err, errlen, "reply_to names message %lld of another chat",
			             (long long)m->reply_to);
	}
	int rc = sq_exec(
	    k->s,
	    "INSERT INTO messages(chat_id, sender_id, content, reply_to, reply_count, idempotency_key,"
	    " mentions_all, created_at, edited_at, deleted_at, sender_name)"
	    " VALUES (?1, ?2, ?3, nullif(?4, 0), ?5, nullif(?6, ''), ?7, ?8, nullif(?9, 0), nullif(?10, 0),"
	    " CASE WHEN ?10 = 0 THEN (SELECT fullname FROM users WHERE id = ?2) ELSE '' END)",
	    NULL, "iitiitiiii", chat, sender, m->content, parent, m->reply_count, m->idempotency_key,
	    (int64_t)m->mentions_all, m->created_at, m->edited_at, m->deleted_at);
	if (rc)
		return wrote(k, rc, err, errlen, "the same idempotency_key twice from one sender", "message");
	int64_t id = sqlite3_last_insert_rowid(k->s->db);
	if ((rc =
	         remember(k, "INSERT INTO m_msg(old, new) VALUES (?, ?)", m->id, id, err, errlen, "message")))
		return rc;
	for (size_t i = 0; i < m->nmentions; i++) {
		int64_t u = lookup(k, USER_ID, m->mentions[i]);
		if (!u)
			return input(err, errlen, "mentions unknown user %lld", (long long)m->mentions[i]);
		if ((rc = sq_exec(
		         k->s,
		         "INSERT OR IGNORE INTO mentions(message_id, user_id, chat_id) VALUES (?, ?, ?)",
		         NULL, "iii", id, u, chat)))
			return store_failed(k, err, errlen, "mention");
	}
	for (size_t i = 0; i < m->nfiles; i++) {
		int64_t f = lookup(k, FILE_ID, m->files[i]);
		if (!f)
			return input(err, errlen, "names unknown file %lld", (long long)m->files[i]);
		if ((rc = sq_exec(k->s,
		                  "INSERT OR IGNORE INTO message_files(message_id, file_id) VALUES (?, ?)",
		                  NULL, "ii", id, f)))
			return store_failed(k, err, errlen, "message file");
	}
	if (m->deleted_at)
		return 0; /* a tombstone is not searchable */
	sqlite3_stmt *st = sq_query(k->s, "SELECT fullname FROM users WHERE id = ?", "i", sender);
	if (!st || sqlite3_step(st) != SQLITE_ROW) {
		if (st)
			sqlite3_reset(st);
		return store_failed(k, err, errlen, "sender name");
	}
	rc = fts5_index_add(k->s->db, id, chat, m->content, (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return rc == SQLITE_OK ? 0 : store_failed(k, err, errlen, "search index");
}

static int put_reaction(struct isink *k, const struct tr_reaction *r, char *err, size_t errlen)
{
	int64_t msg = lookup(k, MSG_ID, r->message), user = lookup(k, USER_ID, r->user);
	if (!msg)
		return input(err, errlen, "unknown message %lld", (long long)r->message);
	if (!user)
		return input(err, errlen, "unknown user %lld", (long long)r->user);
	int rc =
	    sq_exec(k->s, "INSERT INTO reactions(message_id, user_id, emoji, created_at) VALUES (?, ?, ?, ?)",
	            NULL, "iiti", msg, user, r->emoji, r->created_at);
	return wrote(k, rc, err, errlen, "the same reaction twice", "reaction");
}

static int put_read(struct isink *k, const struct tr_read *r, char *err, size_t errlen)
{
	int64_t chat = lookup(k, CHAT_ID, r->chat), user = lookup(k, USER_ID, r->user), msg = 0, mchat = 0;
	if (!chat)
		return input(err, errlen, "unknown chat %lld", (long long)r->chat);
	if (!user)
		return input(err, errlen, "unknown user %lld", (long long)r->user);
	if (r->message) {
		if (!(msg = lookup(k, MSG_ID, r->message)))
			return input(err, errlen, "unknown message %lld", (long long)r->message);
		if (sq_scalar(k->s, "SELECT chat_id FROM messages WHERE id = ?", &mchat, "i", msg) ||
		    mchat != chat)
			return input(err, errlen, "message %lld is not in chat %lld", (long long)r->message,
			             (long long)r->chat);
	}
	int rc = sq_exec(
	    k->s, "INSERT INTO read_markers(chat_id, user_id, message_id, updated_at) VALUES (?, ?, ?, ?)",
	    NULL, "iiii", chat, user, msg, r->updated_at);
	return wrote(k, rc, err, errlen, "two read markers for one user in one chat", "read marker");
}

static int check_counts(struct isink *k, char *err, size_t errlen)
{
	static const struct {
		enum tr_kind kind;
		const char *name;
	} counted[] = {{TR_USER, "users"}, {TR_CHAT, "chats"}, {TR_MESSAGE, "messages"}};
	const int64_t want[] = {k->header.users, k->header.chats, k->header.messages};
	for (size_t i = 0; i < 3; i++)
		if (k->count[counted[i].kind] != want[i])
			return input(err, errlen, "the header announces %lld %s but the file holds %lld",
			             (long long)want[i], counted[i].name,
			             (long long)k->count[counted[i].kind]);
	return 0;
}

static int isink_put(void *impl, const struct tr_record *r, char *err, size_t errlen)
{
	struct isink *k = impl;
	int rc = 0;
	switch (r->kind) {
	case TR_HEADER:
		k->header = r->u.header;
		break;
	case TR_WORKSPACE:
		rc = put_workspace(k, &r->u.workspace, err, errlen);
		break;
	case TR_USER:
		rc = put_user(k, &r->u.user, err, errlen);
		break;
	case TR_FILE:
		rc = put_file(k, &r->u.file, err, errlen);
		break;
	case TR_AVATAR:
		rc = put_avatar(k, &r->u.avatar, err, errlen);
		break;
	case TR_CHAT:
		rc = put_chat(k, &r->u.chat, err, errlen);
		break;
	case TR_MEMBER:
		rc = put_member(k, &r->u.member, err, errlen);
		break;
	case TR_MESSAGE:
		rc = put_message(k, &r->u.message, err, errlen);
		break;
	case TR_REACTION:
		rc = put_reaction(k, &r->u.reaction, err, errlen);
		break;
	case TR_READ:
		rc = put_read(k, &r->u.read, err, errlen);
		break;
	case TR_END:
		rc = check_counts(k, err, errlen);
		break;
	case TR_NKINDS:
		rc = input(err, errlen, "unknown record");
		break;
	}
	if (k->lookup_rc) /* not the file's fault: the store failed */
		return store_failed(k, err, errlen, "reading the id map");
	if (!rc)
		k->count[r->kind]++;
	return rc;
}

static int isink_commit(void *impl, char *err, size_t errlen)
{
	struct isink *k = impl;
	int64_t owner = 0;
	if (k->owner && !(owner = lookup(k, USER_ID, k->owner)))
		return input(err, errlen, "the workspace's owner is unknown user %lld", (long long)k->owner);
	if ((owner &&
	     sq_exec(k->s, "UPDATE workspaces SET owner_id = ? WHERE id = ?", NULL, "ii", owner, k->ws)) ||
	    sq_exec(
	        k->s,
	        "UPDATE chats SET last_message_id = (SELECT max(id) FROM messages WHERE chat_id = chats.id)"
	        " WHERE workspace_id = ?",
	        NULL, "i", k->ws))
		return store_failed(k, err, errlen, "finishing");
	if (sqlite3_exec(k->s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		return store_failed(k, err, errlen, "commit");
	k->committed = 1;
	return 0;
}

static void isink_close(void *impl)
{
	struct isink *k = impl;
	if (!k)
		return;
	if (k->open && !k->committed)
		sqlite3_exec(k->s->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_exec(k->s->db,
	             "DROP TABLE IF EXISTS temp.m_user; DROP TABLE IF EXISTS temp.m_file;"
	             " DROP TABLE IF EXISTS temp.m_chat; DROP TABLE IF EXISTS temp.m_msg",
	             NULL, NULL, NULL);
	free(k);
}

static const struct tr_sink_ops isink_ops = {.put = isink_put, .commit = isink_commit, .close = isink_close};

int sqlite_import_open(struct store *st, struct tr_sink *out, char *err, size_t errlen)
{
	struct isink *k = xcalloc(1, sizeof *k);
	k->s = st->impl;
	int64_t users = 0;
	int rc;
	if (sq_scalar(k->s, "SELECT count(*) FROM users", &users, "")) {
		rc = store_failed(k, err, errlen, "counting users");
		goto fail;
	}
	if (users) {
		rc = input(err, errlen,
		           "the data folder already holds %lld users: import needs an empty appliance",
		           (long long)users);
		goto fail;
	}
	/* the maps spill to a temporary file, not to memory (changing
	 * temp_store drops temporary tables: none exist yet) */
	if (sqlite3_exec(k->s->db,
	                 "PRAGMA temp_store = FILE;"
	                 "CREATE TEMP TABLE m_user(old INTEGER PRIMARY KEY, new INTEGER NOT NULL);"
	                 "CREATE TEMP TABLE m_file(old INTEGER PRIMARY KEY, new INTEGER NOT NULL);"
	                 "CREATE TEMP TABLE m_chat(old INTEGER PRIMARY KEY, new INTEGER NOT NULL);"
	                 "CREATE TEMP TABLE m_msg(old INTEGER PRIMARY KEY, new INTEGER NOT NULL);"
	                 "BEGIN IMMEDIATE",
	                 NULL, NULL, NULL) != SQLITE_OK) {
		rc = store_failed(k, err, errlen, "begin");
		goto fail;
	}
	k->open = 1;
	out->ops = &isink_ops;
	out->impl = k;
	return 0;
fail:
	free(k);
	return rc;
}
