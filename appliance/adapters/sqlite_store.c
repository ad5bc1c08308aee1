/* adapters/sqlite_store: store port implementation on SQLite. One connection,
 * used from the loop thread only; statements are prepared once and kept. */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "adapters/sqlite_store.h"
#include "lib/embedded.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/progress.h"
#include "lib/utf8.h"
#include "lib/xalloc.h"

#include "adapters/fts5_index.h"
#include "adapters/sqlite_chat.h"
#include "adapters/sqlite_internal.h"

/* ---- transactions and health ---- */

static int op_begin(void *p)
{
	struct sq *s = p;
	int rc = sq_exec(s, s->depth ? "SAVEPOINT sp" : "BEGIN IMMEDIATE", NULL, "");
	if (!rc)
		s->depth++;
	return rc;
}

static int op_commit(void *p)
{
	struct sq *s = p;
	int rc = sq_exec(s, s->depth > 1 ? "RELEASE sp" : "COMMIT", NULL, "");
	if (!rc)
		s->depth--;
	return rc;
}

static void op_rollback(void *p)
{
	struct sq *s = p;
	if (sqlite3_get_autocommit(s->db)) {
		s->depth = 0; /* SQLite already rolled back (e.g. SQLITE_FULL) */
		return;
	}
	if (s->depth > 1) {
		sq_exec(s, "ROLLBACK TO sp", NULL, "");
		sq_exec(s, "RELEASE sp", NULL, "");
	} else if (s->depth == 1) {
		sq_exec(s, "ROLLBACK", NULL, "");
	}
	if (s->depth)
		s->depth--;
}

static int op_ping(void *p)
{
	int64_t one;
	if (sq_is_corrupt(p))
		return FE_ECORRUPT;
	return sq_scalar(p, "SELECT 1", &one, "") ? (sq_is_corrupt(p) ? FE_ECORRUPT : FE_EUNAVAIL) : 0;
}

static int op_sync(void *p)
{
	struct sq *s = p;
	if (s->wal_fd < 0)
		return 0; /* SQLite synced each commit itself */
	if (fdatasync(s->wal_fd)) {
		log_err("store: fdatasync of the write-ahead log: %s", strerror(errno));
		return errno == ENOSPC ? FE_ENOSPC : FE_EUNAVAIL;
	}
	return 0;
}

/* The commit hook of a connection whose checkpoints are deferred: notes the
 * log's length, checkpoints nothing (sqlite3_wal_hook replaces SQLite's
 * automatic checkpoint). */
static int note_wal(void *arg, sqlite3 *db, const char *name, int pages)
{
	(void)db, (void)name;
	struct sq *s = arg;
	s->wal_pages = pages;
	return SQLITE_OK;
}

static int op_checkpoint(void *p)
{
	struct sq *s = p;
	if (!s->ckpt_pages || s->wal_pages < s->ckpt_pages)
		return 0;
	/* PASSIVE, as SQLite's automatic checkpoint: copies what no reader
	 * still needs, waits for nobody; the next write restarts the log once
	 * all of it is copied */
	int rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	if (rc == SQLITE_BUSY)
		rc = SQLITE_OK; /* another connection is checkpointing */
	if (rc == SQLITE_OK)
		s->wal_pages = 0;
	else
		log_warn("store: checkpoint of the write-ahead log: %s", sqlite3_errmsg(s->db));
	return sq_map_rc(s, rc);
}

void sqlite_store_checkpoints(struct store *st, int pages, int deferred)
{
	struct sq *s = st->impl;
	if (deferred) {
		s->ckpt_pages = pages;
		s->wal_pages = 0;
		sqlite3_wal_hook(s->db, note_wal, s);
	} else {
		s->ckpt_pages = 0;
		sqlite3_wal_autocheckpoint(s->db, pages);
	}
}

static int op_sizes(void *p, int64_t *db, int64_t *wal)
{
	struct sq *s = p;
	char w[600];
	struct stat sb;
	*db = *wal = 0;
	if (!stat(s->path, &sb))
		*db = sb.st_size;
	snprintf(w, sizeof w, "%s-wal", s->path);
	if (!stat(w, &sb))
		*wal = sb.st_size;
	return 0;
}

/* ---- workspaces ---- */

static int op_workspace_count(void *p, int64_t *n)
{
	return sq_scalar(p, "SELECT count(*) FROM workspaces", n, "");
}

static int op_workspace_insert(void *p, struct workspace *w)
{
	struct sq *s = p;
	char key[sizeof w->name];
	utf8_fold(w->name, key, sizeof key);
	int rc = sq_exec(s, "INSERT INTO workspaces(name, name_key, created_at) VALUES (?, ?, ?)", NULL,
	                 "tti", w->name, key, w->created_at);
	if (!rc)
		w->id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

static void row_workspace(sqlite3_stmt *st, void *el)
{
	struct workspace *w = el;
	w->id = sq_i64(st, 0);
	sq_text(st, 1, w->name, sizeof w->name);
	w->owner_id = sq_i64(st, 2);
	w->created_at = sq_i64(st, 3);
	w->member_count = sq_i64(st, 4);
}

static int op_workspace_get(void *p, int64_t id, struct workspace *w)
{
	struct sq *s = p;
	sqlite3_stmt *st = sq_query(s,
	                            "SELECT id, name, coalesce(owner_id, 0), created_at,"
	                            " (SELECT count(*) FROM users WHERE workspace_id = w.id)"
	                            " FROM workspaces w WHERE id = ?",
	                            "i", id);
	return sq_row(s, st, row_workspace, w);
}

static int op_workspace_set_owner(void *p, int64_t id, int64_t owner)
{
	return sq_exec(p, "UPDATE workspaces SET owner_id = ? WHERE id = ?", NULL, "ii", owner, id);
}

static int op_workspace_rename(void *p, int64_t id, const char *name)
{
	int changes = 0;
	char key[UTF8_BUF(50)];
	utf8_fold(name, key, sizeof key);
	int rc = sq_exec(p, "UPDATE workspaces SET name = ?, name_key = ? WHERE id = ?", &changes, "tti",
	                 name, key, id);
	return rc ? rc : changes ? 0 : FE_ENOTFOUND;
}

/* ---- users ---- */

/* Never the password hash: that is read by credentials_by_* alone. */
#define USER_COLS                                                                                            \
	"id, workspace_id, email, fullname, role, status, token_version, title, department,"                 \
	" avatar_url, coalesce(avatar_file_id, 0), bio, timezone, language, created_at, updated_at"

static void row_user(sqlite3_stmt *st, void *el)
{
	struct user *u = el;
	u->id = sq_i64(st, 0);
	u->workspace_id = sq_i64(st, 1);
	sq_text(st, 2, u->email, sizeof u->email);
	sq_text(st, 3, u->fullname, sizeof u->fullname);
	sq_text(st, 4, u->role, sizeof u->role);
	sq_text(st, 5, u->status, sizeof u->status);
	u->token_version = sq_i64(st, 6);
	sq_text(st, 7, u->title, sizeof u->title);
	sq_text(st, 8, u->department, sizeof u->department);
	sq_text(st, 9, u->avatar_url, sizeof u->avatar_url);
	u->avatar_file_id = sq_i64(st, 10);
	sq_text(st, 11, u->bio, sizeof u->bio);
	sq_text(st, 12, u->timezone, sizeof u->timezone);
	sq_text(st, 13, u->language, sizeof u->language);
	u->created_at = sq_i64(st, 14);
	u->updated_at = sq_i64(st, 15);
}

static int op_user_insert(void *p, struct user *u, const char *password_hash)
{
	struct sq *s = p;
	int rc = sq_exec(s,
	                 "INSERT INTO users(workspace_id, email, fullname, password_hash, role, status,"
	                 " created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'Active', ?, ?)",
	                 NULL, "ittttii", u->workspace_id, u->email, u->fullname, password_hash, u->role,
	                 u->created_at, u->created_at);
	if (!rc) {
		u->id = sqlite3_last_insert_rowid(s->db);
		strcpy(u->status, "Active");
		u->updated_at = u->created_at;
	}
	return rc;
}

static int op_user_get(void *p, int64_t id, struct user *u)
{
	struct sq *s = p;
	return sq_row(s, sq_query(s, "SELECT " USER_COLS " FROM users WHERE id = ?", "i", id), row_user, u);
}

static int op_user_by_email(void *p, const char *email, struct user *u)
{
	struct sq *s = p;
	return sq_row(s, sq_query(s, "SELECT " USER_COLS " FROM users WHERE email = ?", "t", email), row_user,
	              u);
}

static int op_users_list(void *p, int64_t ws, struct user **out, size_t *n)
{
	struct sq *s = p;
	return sq_rows(
	    s, sq_query(s, "SELECT " USER_COLS " FROM users WHERE workspace_id = ? ORDER BY id", "i", ws),
	    out, n, sizeof **out, row_user, NULL);
}

#define CRED_SQL "SELECT id, password_hash, status, token_version FROM users"

static void row_credentials(sqlite3_stmt *st, void *el)
{
	struct credentials *c = el;
	c->user_id = sq_i64(st, 0);
	sq_text(st, 1, c->password_hash, sizeof c->password_hash);
	sq_text(st, 2, c->status, sizeof c->status);
	c->token_version = sq_i64(st, 3);
}

static int op_credentials_by_email(void *p, const char *email, struct credentials *c)
{
	struct sq *s = p;
	return sq_row(s, sq_query(s, CRED_SQL " WHERE email = ?", "t", email), row_credentials, c);
}

static int op_credentials_by_id(void *p, int64_t id, struct credentials *c)
{
	struct sq *s = p;
	return sq_row(s, sq_query(s, CRED_SQL " WHERE id = ?", "i", id), row_credentials, c);
}

static int op_user_update_profile(void *p, const struct user *u)
{
	int changes = 0;
	int rc = sq_exec(p,
	                 "UPDATE users SET fullname = ?, title = ?, department = ?, avatar_url = ?,"
	                 " avatar_file_id = nullif(?, 0), bio = ?, timezone = ?, language = ?, updated_at = ?"
	                 " WHERE id = ?",
	                 &changes, "ttttitttii", u->fullname, u->title, u->department, u->avatar_url,
	                 u->avatar_file_id, u->bio, u->timezone, u->language, u->updated_at, u->id);
	return rc ? rc : changes ? 0 : FE_ENOTFOUND;
}

static int op_user_set_role_status(void *p, int64_t id, const char *role, const char *status)
{
	int changes = 0;
	int rc = sq_exec(p, "UPDATE users SET role = ?, status = ? WHERE id = ?", &changes, "tti", role,
	                 status, id);
	return rc ? rc : changes ? 0 : FE_ENOTFOUND;
}

static int op_user_set_password(void *p, int64_t id, const char *hash)
{
	return sq_exec(p, "UPDATE users SET password_hash = ? WHERE id = ?", NULL, "ti", hash, id);
}

static int op_user_bump_token_version(void *p, int64_t id)
{
	return sq_exec(p, "UPDATE users SET token_version = token_version + 1 WHERE id = ?", NULL, "i", id);
}

/* ---- invites ---- */

#define INVITE_COLS                                                                                          \
	"code, workspace_id, created_by, max_uses, uses, expires_at, coalesce(revoked_at, 0), created_at"

static void row_invite(sqlite3_stmt *st, void *el)
{
	struct invite *i = el;
	sq_text(st, 0, i->code, sizeof i->code);
	i->workspace_id = sq_i64(st, 1);
	i->created_by = sq_i64(st, 2);
	i->max_uses = (int)sq_i64(st, 3);
	i->uses = (int)sq_i64(st, 4);
	i->expires_at = sq_i64(st, 5);
	i->revoked_at = sq_i64(st, 6);
	i->created_at = sq_i64(st, 7);
}

static int op_invite_insert(void *p, const struct invite *i)
{
	return sq_exec(
	    p,
	    "INSERT INTO invites(code, workspace_id, created_by, max_uses, uses, expires_at, created_at)"
	    " VALUES (?, ?, ?, ?, 0, ?, ?)",
	    NULL, "tiiiii", i->code, i->workspace_id, i->created_by, (int64_t)i->max_uses, i->expires_at,
	    i->created_at);
}

static int op_invite_get(void *p, const char *code, struct invite *i)
{
	struct sq *s = p;
	return sq_row(s, sq_query(s, "SELECT " INVITE_COLS " FROM invites WHERE code = ?", "t", code),
	              row_invite, i);
}

static int op_invites_active(void *p, int64_t ws, int64_t now, struct invite **out, size_t *n)
{
	struct sq *s = p;
	return sq_rows(s,
	               sq_query(s,
	                        "SELECT " INVITE_COLS
	                        " FROM invites WHERE workspace_id = ? AND revoked_at IS NULL"
	                        " AND expires_at > ? AND uses < max_uses ORDER BY created_at DESC LIMIT 1000",
	                        "ii", ws, now),
	               out, n, sizeof **out, row_invite, NULL);
}

static int op_invite_revoke(void *p, int64_t ws, const char *code, int64_t now)
{
	int changes = 0;
	int rc = sq_exec(
	    p, "UPDATE invites SET revoked_at = ? WHERE code = ? AND workspace_id = ? AND revoked_at IS NULL",
	    &changes, "iti", now, code, ws);
	return rc ? rc : changes ? 0 : FE_ENOTFOUND;
}

static int op_invite_use(void *p, const char *code, int64_t now)
{
	int changes = 0;
	int rc = sq_exec(p,
	                 "UPDATE invites SET uses = uses + 1 WHERE code = ? AND revoked_at IS NULL"
	                 " AND expires_at > ? AND uses < max_uses",
	                 &changes, "ti", code, now);
	return rc ? rc : changes ? 0 : FE_ENOTFOUND;
}

/* ---- refresh tokens ---- */

static int op_refresh_insert(void *p, struct refresh_token *t, const char *hash)
{
	struct sq *s = p;
	int rc = sq_exec(s,
	                 "INSERT INTO refresh_tokens(user_id, family, token_hash, created_at, expires_at,"
	                 " family_expires_at) VALUES (?, ?, ?, ?, ?, ?)",
	                 NULL, "ittiii", t->user_id, t->family, hash, t->created_at, t->expires_at,
	                 t->family_expires_at);
	if (!rc)
		t->id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

static void row_refresh(sqlite3_stmt *st, void *el)
{
	struct refresh_token *t = el;
	t->id = sq_i64(st, 0);
	t->user_id = sq_i64(st, 1);
	sq_text(st, 2, t->family, sizeof t->family);
	t->created_at = sq_i64(st, 3);
	t->expires_at = sq_i64(st, 4);
	t->family_expires_at = sq_i64(st, 5);
	t->rotated_at = sq_i64(st, 6);
	t->revoked_at = sq_i64(st, 7);
}

static int op_refresh_get(void *p, const char *hash, struct refresh_token *t)
{
	struct sq *s = p;
	sqlite3_stmt *st = sq_query(s,
	                            "SELECT id, user_id, family, created_at, expires_at, family_expires_at,"
	                            " coalesce(rotated_at, 0), coalesce(revoked_at, 0) FROM refresh_tokens"
	                            " WHERE token_hash = ?",
	                            "t", hash);
	return sq_row(s, st, row_refresh, t);
}

static int op_refresh_rotate(void *p, int64_t id, int64_t now)
{
	int changes = 0;
	int rc = sq_exec(p, "UPDATE refresh_tokens SET rotated_at = ? WHERE id = ? AND rotated_at IS NULL",
	                 &changes, "ii", now, id);
	return rc ? rc : changes ? 0 : FE_ECONFLICT;
}

static int op_refresh_revoke(void *p, int64_t user, const char *hash, int64_t now)
{
	int changes = 0;
	int rc = sq_exec(p,
	                 "UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND token_hash = ?"
	                 " AND revoked_at IS NULL",
	                 &changes, "iit", now, user, hash);
	return rc ? rc : changes ? 0 : FE_ENOTFOUND;
}

static int op_refresh_revoke_family(void *p, const char *family, int64_t now)
{
	return sq_exec(p, "UPDATE refresh_tokens SET revoked_at = ? WHERE family = ? AND revoked_at IS NULL",
	               NULL, "it", now, family);
}

static int op_refresh_revoke_user(void *p, int64_t user, int64_t now, int *revoked)
{
	return sq_exec(p,
	               "UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL"
	               " AND rotated_at IS NULL",
	               revoked, "ii", now, user);
}

/* ---- password-set links ---- */

static int op_password_token_insert(void *p, struct password_token *t, const char *hash)
{
	struct sq *s = p;
	int rc = sq_exec(s,
	                 "INSERT INTO password_tokens(user_id, token_hash, created_at, expires_at)"
	                 " VALUES (?, ?, ?, ?)",
	                 NULL, "itii", t->user_id, hash, t->created_at, t->expires_at);
	if (!rc)
		t->id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

static void row_password_token(sqlite3_stmt *st, void *el)
{
	struct password_token *t = el;
	t->id = sq_i64(st, 0);
	t->user_id = sq_i64(st, 1);
	t->created_at = sq_i64(st, 2);
	t->expires_at = sq_i64(st, 3);
	t->used_at = sq_i64(st, 4);
}

static int op_password_token_get(void *p, const char *hash, struct password_token *t)
{
	struct sq *s = p;
	sqlite3_stmt *st = sq_query(s,
	                            "SELECT id, user_id, created_at, expires_at, coalesce(used_at, 0)"
	                            " FROM password_tokens WHERE token_hash = ?",
	                            "t", hash);
	return sq_row(s, st, row_password_token, t);
}

static int op_password_token_use(void *p, int64_t id, int64_t now)
{
	int changes = 0;
	int rc = sq_exec(p, "UPDATE password_tokens SET used_at = ? WHERE id = ? AND used_at IS NULL",
	                 &changes, "ii", now, id);
	return rc ? rc : changes ? 0 : FE_ECONFLICT;
}

/* ---- import mapping ---- */

static int op_import_map_get(void *p, const char *kind, const char *key, int64_t *id)
{
	return sq_scalar(p, "SELECT id FROM import_map WHERE kind = ? AND key = ?", id, "tt", kind, key);
}

static int op_import_map_put(void *p, const char *kind, const char *key, int64_t id)
{
	return sq_exec(p, "INSERT INTO import_map(kind, key, id) VALUES (?, ?, ?)", NULL, "tti", kind, key,
	               id);
}

static const struct store_ops ops = {
    .begin = op_begin,
    .commit = op_commit,
    .rollback = op_rollback,
    .ping = op_ping,
    .sync = op_sync,
    .checkpoint = op_checkpoint,
    .sizes = op_sizes,
    .workspace_count = op_workspace_count,
    .workspace_insert = op_workspace_insert,
    .workspace_get = op_workspace_get,
    .workspace_set_owner = op_workspace_set_owner,
    .workspace_rename = op_workspace_rename,
    .user_insert = op_user_insert,
    .user_get = op_user_get,
    .user_by_email = op_user_by_email,
    .users_list = op_users_list,
    .credentials_by_email = op_credentials_by_email,
    .credentials_by_id = op_credentials_by_id,
    .user_update_profile = op_user_update_profile,
    .user_set_role_status = op_user_set_role_status,
    .user_set_password = op_user_set_password,
    .user_bump_token_version = op_user_bump_token_version,
    .invite_insert = op_invite_insert,
    .invite_get = op_invite_get,
    .invites_active = op_invites_active,
    .invite_revoke = op_invite_revoke,
    .invite_use = op_invite_use,
    .refresh_insert = op_refresh_insert,
    .refresh_get = op_refresh_get,
    .refresh_rotate = op_refresh_rotate,
    .refresh_revoke = op_refresh_revoke,
    .refresh_revoke_family = op_refresh_revoke_family,
    .refresh_revoke_user = op_refresh_revoke_user,
    .password_token_insert = op_password_token_insert,
    .password_token_get = op_password_token_get,
    .password_token_use = op_password_token_use,
    .import_map_get = op_import_map_get,
    .import_map_put = op_import_map_put,
    .chat_insert = sqc_chat_insert,
    .chat_find_single = sqc_chat_find_single,
    .chat_get = sqc_chat_get,
    .chats_of_user = sqc_chats_of_user,
    .chat_ids_of_user = sqc_chat_ids_of_user,
    .chats_public = sqc_chats_public,
    .chat_update = sqc_chat_update,
    .chat_delete = sqc_chat_delete,
    .chat_touch = sqc_chat_touch,
    .member_add = sqc_member_add,
    .member_remove = sqc_member_remove,
    .member_get = sqc_member_get,
    .chat_sender = sqc_chat_sender,
    .member_set_role = sqc_member_set_role,
    .members_list = sqc_members_list,
    .member_ids = sqc_member_ids,
    .owner_count = sqc_owner_count,
    .reactions_of = sqc_reactions_of,
    .message_insert = sqc_message_insert,
    .message_by_key = sqc_message_by_key,
    .message_get = sqc_message_get,
    .messages_page = sqc_messages_page,
    .replies_page = sqc_replies_page,
    .message_edit = sqc_message_edit,
    .message_delete = sqc_message_delete,
    .reply_count_add = sqc_reply_count_add,
    .mentions_insert = sqc_mentions_insert,
    .message_files_insert = sqc_message_files_insert,
    .reaction_add = sqc_reaction_add,
    .reaction_remove = sqc_reaction_remove,
    .read_get = sqc_read_get,
    .read_set = sqc_read_set,
    .unread_counts = sqc_unread_counts,
    .max_message_id = sqc_max_message_id,
    .file_insert = sqc_file_insert,
    .file_get = sqc_file_get,
    .files_by_sha = sqc_files_by_sha,
    .file_sha_by_suffix = sqc_file_sha_by_suffix,
    .file_in_chats_of = sqc_file_in_chats_of,
    .file_avatar_in_workspace_of = sqc_file_avatar_in_workspace_of,
};

/* ---- open, migrate, close ---- */

/* SQLite's error log: every connection of the process reports here the
 * corruption it meets, with SQLite's detail (where in the file). It only
 * logs: the log does not say which database, so the store that is damaged
 * is marked by the connections that read for it (sq_map_rc, and the
 * search workers through fts5_search). */
static void on_sqlite_log(void *arg, int rc, const char *msg)
{
	(void)arg;
	if (sq_note_corrupt(NULL, rc, msg))
		log_warn("sqlite: rc=%d %s", rc, msg ? msg : "");
}

int sqlite_store_init(void)
{
	/* no allocation statistics (nothing reads them): with them on, every
	 * SQLite malloc and free takes a process-wide mutex, which the loop
	 * and the writer thread then share */
	if (sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) != SQLITE_OK)
		return -1;
	return sqlite3_config(SQLITE_CONFIG_LOG, on_sqlite_log, NULL) == SQLITE_OK ? 0 : -1;
}

int sqlite_store_damaged(const struct store *st)
{
	return st && st->impl ? sq_is_corrupt(st->impl) : 0;
}

void sqlite_store_share_damage(struct store *st, const struct store *owner)
{
	struct sq *s = st->impl, *o = owner->impl;
	s->corrupt = o->corrupt;
}

/* schema/NNNN_*.sql only: schema/postgres/ holds the PostgreSQL adapter's */
static int is_migration(const char *path)
{
	return !strncmp(path, "schema/", 7) && !strchr(path + 7, '/');
}

static int migration_number(const char *path)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	return atoi(b);
}

int sqlite_store_schema_version(void)
{
	int v = 0;
	for (const struct embedded_file *f = embedded_files; f->path; f++)
		if (is_migration(f->path) && migration_number(f->path) > v)
			v = migration_number(f->path);
	return v;
}

static int migrate(sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int have = 0, want = sqlite_store_schema_version();
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			have = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	if (have > want) {
		snprintf(err, errlen,
		         "the database has schema version %d but this binary knows only up to %d: "
		         "use a newer fechatter binary (refusing to touch the data)",
		         have, want);
		return -1;
	}
	if (have == want)
		return 0;
	char *msg = NULL;
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK)
		goto fail;
	for (int v = have + 1; v <= want; v++) {
		for (const struct embedded_file *f = embedded_files; f->path; f++) {
			if (!is_migration(f->path) || migration_number(f->path) != v)
				continue;
			if (sqlite3_exec(db, (const char *)f->data, NULL, NULL, &msg) != SQLITE_OK) {
				snprintf(err, errlen, "migration %s failed: %s", f->path, msg);
				sqlite3_free(msg);
				sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
				return -1;
			}
			log_info("store: migrated to=%s", f->path);
		}
	}
	/* 0003 makes the scoped word index, which only C can fill; 0005
	 * makes it again for the new tokenizer */
	if (have < 5 && want >= 5 && fts5_index_rebuild(db) != SQLITE_OK) {
		snprintf(err, errlen, "filling the search index failed: %s", sqlite3_errmsg(db));
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", want);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "migration failed: %s", msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* SQLITE_DEFERRED_SYNC: a descriptor of the write-ahead log (the file
 * SQLite writes the commits to; fdatasync on any descriptor of it flushes
 * them), and its folder synced once, so that the log's name is durable
 * too. The log stays while any connection is open. */
static int open_wal(struct sq *s, char *err, size_t errlen)
{
	char w[600], dir[600];
	int64_t one;
	/* a read makes SQLite open (create) the log */
	if (sq_scalar(s, "SELECT count(*) FROM sqlite_schema", &one, "")) {
		snprintf(err, errlen, "cannot read %s", s->path);
		return -1;
	}
	snprintf(w, sizeof w, "%s-wal", s->path);
	if ((s->wal_fd = open(w, O_RDWR | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "cannot open %s: %s", w, strerror(errno));
		return -1;
	}
	snprintf(dir, sizeof dir, "%s", s->path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	int d = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d < 0 || fsync(d)) {
		snprintf(err, errlen, "cannot sync the folder of %s: %s", s->path, strerror(errno));
		if (d >= 0)
			close(d);
		return -1;
	}
	close(d);
	return 0;
}

/* The two connections of the server (the loop's and the writer thread's)
 * take turns at writing: one waiting for the other's transaction retries
 * every 200 us, for 5 s at most (SQLite's own busy timeout sleeps 1, 2, 5,
 * 10... ms, long for the event loop next to a commit of a few ms). */
static int on_busy(void *arg, int tries)
{
	(void)arg;
	if (tries >= 25000)
		return 0;
	usleep(200);
	return 1;
}

int sqlite_store_open(const char *path, int durability_full, struct store *st, char *err, size_t errlen)
{
	struct sq *s = xcalloc(1, sizeof *s);
	s->corrupt = &s->own_corrupt;
	s->wal_fd = -1;
	snprintf(s->path, sizeof s->path, "%s", path);
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	                    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open database %s: %s", path,
		         s->db ? sqlite3_errmsg(s->db) : "no memory");
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1); /* tells UNIQUE violations apart */
	sqlite3_busy_handler(s->db, on_busy, NULL);
	char pragmas[256];
	snprintf(pragmas, sizeof pragmas,
	         "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s; PRAGMA foreign_keys=ON;"
	         " PRAGMA journal_size_limit=67108864; PRAGMA cache_size=-2000; PRAGMA temp_store=MEMORY;",
	         durability_full == 1 ? "FULL" : "NORMAL");
	char *msg = NULL;
	if (sqlite3_exec(s->db, pragmas, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "cannot configure database %s: %s", path, msg);
		sqlite3_free(msg);
		goto fail;
	}
	if (migrate(s->db, err, errlen))
		goto fail;
	if (durability_full == SQLITE_DEFERRED_SYNC && open_wal(s, err, errlen))
		goto fail;
	st->ops = &ops;
	st->impl = s;
	return 0;
fail:
	if (s->wal_fd >= 0)
		close(s->wal_fd);
	sqlite3_close(s->db);
	free(s);
	return -1;
}

void sqlite_store_close(struct store *st)
{
	if (!st || !st->impl)
		return;
	struct sq *s = st->impl;
	for (int i = 0; i < s->ncache; i++)
		sqlite3_finalize(s->cache[i].st);
	sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	sqlite3_close(s->db);
	if (s->wal_fd >= 0)
		close(s->wal_fd);
	free(s);
	st->impl = NULL;
}

int sqlite_store_backup(const char *src, const char *dest, char *err, size_t errlen)
{
	sqlite3 *from = NULL, *to = NULL;
	sqlite3_backup *b = NULL;
	char tmp[600];
	int rc = -1, in_txn = 0;
	snprintf(tmp, sizeof tmp, "%s.tmp", dest);
	unlink(tmp);
	if (sqlite3_open_v2(src, &from, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open the database %s: %s", src,
		         from ? sqlite3_errmsg(from) : "no memory");
		goto out;
	}
	if (sqlite3_open_v2(tmp, &to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot create %s: %s", tmp, to ? sqlite3_errmsg(to) : "no memory");
		goto out;
	}
	sqlite3_busy_timeout(from, 10000);
	/* One read transaction for the whole copy: in WAL mode the server keeps
	 * writing beside it, and the copy is the database as of this moment
	 * (the steps never restart, however busy the server is). */
	if (sqlite3_exec(from, "BEGIN; SELECT count(*) FROM sqlite_schema;", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot read the database %s: %s", src, sqlite3_errmsg(from));
		goto out;
	}
	in_txn = 1;
	b = sqlite3_backup_init(to, "main", from, "main");
	if (!b) {
		snprintf(err, errlen, "backup failed: %s", sqlite3_errmsg(to));
		goto out;
	}
	struct progress p;
	int s;
	progress_begin(&p, "backup: database", 0, "pages");
	while ((s = sqlite3_backup_step(b, 1024)) == SQLITE_OK || s == SQLITE_BUSY || s == SQLITE_LOCKED) {
		p.total = (uint64_t)sqlite3_backup_pagecount(b);
		progress_update(&p, (uint64_t)(sqlite3_backup_pagecount(b) - sqlite3_backup_remaining(b)));
		if (s != SQLITE_OK)
			sqlite3_sleep(20);
	}
	if (s == SQLITE_DONE) {
		p.total = p.done = (uint64_t)sqlite3_backup_pagecount(b);
		progress_end(&p);
	}
	sqlite3_backup_finish(b);
	if (s != SQLITE_DONE) {
		snprintf(err, errlen, "backup failed: %s", sqlite3_errstr(s));
		goto out;
	}
	/* a copy in rollback-journal mode: readers of the file (the archive
	 * writer, tools) leave no -wal/-shm beside it; the server turns WAL
	 * back on when it opens the restored file */
	if (sqlite3_exec(to, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_close(to) != SQLITE_OK) {
		snprintf(err, errlen, "cannot write %s", tmp);
		goto out;
	}
	to = NULL;
	if (rename(tmp, dest)) {
		snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, dest, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (in_txn)
		sqlite3_exec(from, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(from);
	sqlite3_close(to);
	if (rc)
		unlink(tmp);
	return rc;
}

/* One integer from sql on db; -1 on error. */
static int64_t count_of(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

int sqlite_store_summary(const char *path, struct store_summary *sum, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	int rc = -1;
	memset(sum, 0, sizeof *sum);
	/* read-write without create, as for the check: the last connection
	 * to close removes a -wal/-shm a read-only one would leave behind */
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s: %s", path, db ? sqlite3_errmsg(db) : "no memory");
		goto out;
	}
	sqlite3_busy_timeout(db, 5000);
	sum->schema_version = (int)count_of(db, "PRAGMA user_version");
	sum->workspaces = count_of(db, "SELECT count(*) FROM workspaces");
	sum->users = count_of(db, "SELECT count(*) FROM users");
	sum->chats = count_of(db, "SELECT count(*) FROM chats");
	sum->messages = count_of(db, "SELECT count(*) FROM messages WHERE deleted_at IS NULL");
	sum->files = count_of(db, "SELECT count(DISTINCT sha256) FROM files");
	if (sum->schema_version < 0 || sum->workspaces < 0 || sum->users < 0 || sum->chats < 0 ||
	    sum->messages < 0 || sum->files < 0) {
		snprintf(err, errlen, "%s is not a fechatter database: %s", path, sqlite3_errmsg(db));
		goto out;
	}
	rc = 0;
out:
	sqlite3_close(db);
	return rc;
}

int sqlite_store_file_shas(const char *path, void (*fn)(const char *sha, void *arg), void *arg, char *err,
                           size_t errlen)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc = -1, s = SQLITE_OK;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT DISTINCT sha256 FROM files ORDER BY sha256", -1, &st, NULL) !=
	        SQLITE_OK) {
		snprintf(err, errlen, "cannot read the files of %s: %s", path,
		         db ? sqlite3_errmsg(db) : "no memory");
		goto out;
	}
	sqlite3_busy_timeout(db, 5000);
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		const char *sha = (const char *)sqlite3_column_text(st, 0);
		if (sha)
			fn(sha, arg);
	}
	if (s != SQLITE_DONE) {
		snprintf(err, errlen, "cannot read the files of %s: %s", path, sqlite3_errmsg(db));
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}

int sqlite_store_integrity(const char *path, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc = -1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "not a database: %s", db ? sqlite3_errmsg(db) : "no memory");
		goto out;
	}
	int s = sqlite3_step(st);
	const char *t = s == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
	if (!t || strcmp(t, "ok")) {
		snprintf(err, errlen, "integrity_check: %s", t ? t : sqlite3_errmsg(db));
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}

/* Prints up to 10 ids of sql's rows after label; returns the row count
 * (-1 on error). */
static int64_t list_ids(sqlite3 *db, const char *sql, const char *label, FILE *out)
{
	sqlite3_stmt *st = NULL;
	int64_t n = 0;
	int s = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	char ids[200] = "";
	size_t len = 0;
	while (s == SQLITE_OK && (s = sqlite3_step(st)) == SQLITE_ROW) {
		if (n++ < 10 && len < sizeof ids - 24)
			len += (size_t)snprintf(ids + len, sizeof ids - len, "%s%lld", len ? " " : "",
			                        (long long)sqlite3_column_int64(st, 0));
	}
	if (s == SQLITE_ROW)
		s = SQLITE_DONE;
	sqlite3_finalize(st);
	if (s != SQLITE_DONE)
		return -1;
	if (n)
		fprintf(out, "search index: %s: %lld (ids %s%s)\n", label, (long long)n, ids,
		        n > 10 ? " ..." : "");
	return n;
}

/* The word index against the messages: each live message has exactly one
 * row in messages_scoped (its _docsize table holds one row per indexed
 * message), and no row stands for a deleted or missing message. */
static int check_index(sqlite3 *db, FILE *out)
{
	int64_t missing = list_ids(db,
	                           "SELECT id FROM messages m WHERE deleted_at IS NULL AND NOT EXISTS"
	                           " (SELECT 1 FROM messages_scoped_docsize d WHERE d.id = m.id) ORDER BY id",
	                           "live messages missing from the index", out);
	int64_t stray =
	    list_ids(db,
	             "SELECT id FROM messages_scoped_docsize d WHERE NOT EXISTS (SELECT 1 FROM messages m"
	             " WHERE m.id = d.id AND m.deleted_at IS NULL) ORDER BY id",
	             "index rows without a live message", out);
	if (missing < 0 || stray < 0) {
		fprintf(out, "search index: error: %s\n", sqlite3_errmsg(db));
		return 0;
	}
	if (missing || stray) {
		fprintf(out,
		        "search index: out of step with the messages (`fechatter reindex` rebuilds it)\n");
		return 0;
	}
	fprintf(out, "search index: ok (%lld messages)\n",
	        (long long)count_of(db, "SELECT count(*) FROM messages WHERE deleted_at IS NULL"));
	return 1;
}

/* Prints each row of sql's first column as "label: row"; returns 1 when
 * the only row is "ok", 0 otherwise (errors printed). */
static int check_rows(sqlite3 *db, const char *sql, const char *label, FILE *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL), rows = 0, ok = 0;
	while (st && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		ok = !rows++ && t && !strcmp(t, "ok");
		fprintf(out, "%s: %s\n", label, t ? t : "");
	}
	if (rc != SQLITE_DONE) {
		fprintf(out, "%s: error: %s\n", label, sqlite3_errmsg(db));
		ok = 0;
	}
	sqlite3_finalize(st);
	return ok && rows == 1;
}

int sqlite_store_check(const char *path, FILE *out)
{
	struct stat sb;
	if (stat(path, &sb)) {
		fprintf(out, "database: cannot read %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (sb.st_size == 0) {
		fprintf(out, "database: %s is empty (0 bytes)\n", path);
		return -1;
	}
	sqlite3 *db = NULL;
	/* read-write without create: a WAL left by a crash is recovered */
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		fprintf(out, "database: cannot open %s: %s\n", path, db ? sqlite3_errmsg(db) : "no memory");
		sqlite3_close(db);
		return -1;
	}
	sqlite3_busy_timeout(db, 5000);
	int ok = check_rows(db, "PRAGMA integrity_check", "integrity_check", out);
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db,
	                            "SELECT name FROM sqlite_schema WHERE type = 'table'"
	                            " AND sql LIKE 'CREATE VIRTUAL TABLE % USING fts5%' ORDER BY name",
	                            -1, &st, NULL);
	while (st && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		char *sql =
		    sqlite3_mprintf("INSERT INTO \"%w\"(\"%w\") VALUES ('integrity-check')", name, name);
		char *msg = NULL;
		if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK) {
			fprintf(out, "fts5 %s: ok\n", name);
		} else {
			fprintf(out, "fts5 %s: error: %s\n", name, msg ? msg : sqlite3_errmsg(db));
			ok = 0;
		}
		sqlite3_free(msg);
		sqlite3_free(sql);
	}
	if (rc != SQLITE_DONE) {
		fprintf(out, "fts5: error: %s\n", sqlite3_errmsg(db));
		ok = 0;
	}
	sqlite3_finalize(st);
	if (ok)
		ok = check_index(db, out);
	sqlite3_close(db);
	fprintf(out, "database: %s\n", ok ? "ok" : "damaged");
	return ok ? 0 : -1;
}
