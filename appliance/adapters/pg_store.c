/* adapters/pg_store: the store port on PostgreSQL: transactions, health,
 * workspaces, users, invites, refresh tokens, open and migrations (the
 * conversation half is adapters/pg_chat.c). Mirrors adapters/sqlite_store.c:
 * same statements in PostgreSQL's dialect, same results and error codes.
 *
 * A write transaction (the outermost begin) takes one advisory lock, held
 * until commit: write transactions run one at a time across every
 * connection to the database, as SQLite's BEGIN IMMEDIATE makes them, so
 * the use cases' read-then-write steps keep the meaning they have on
 * SQLite. The writer thread's group commit makes that one transaction per
 * batch. Inserts that may meet a unique row use ON CONFLICT DO NOTHING
 * (FE_ECONFLICT when nothing was written), so that such a result leaves the
 * transaction usable, as on SQLite. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "adapters/pg_chat.h"
#include "adapters/pg_internal.h"
#include "adapters/pg_store.h"
#include "lib/embedded.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/timefmt.h"
#include "lib/utf8.h"
#include "lib/xalloc.h"

/* the advisory lock of write transactions, and of migrations */
#define TXN_LOCK "7110001"
#define MIGRATE_LOCK "7110002"

/* ---- transactions and health ---- */

static int op_begin(void *p)
{
	struct pg *s = p;
	if (s->depth && s->aborted)
		return s->abort_rc;
	int rc =
	    pg_simple(s, s->depth ? "SAVEPOINT sp" : "BEGIN; SELECT pg_advisory_xact_lock(" TXN_LOCK ")");
	if (!rc)
		s->depth++;
	else if (!s->depth && s->conn && !s->lost)
		pg_rollback_text(s, "ROLLBACK"); /* BEGIN ran but the lock did not */
	if (!s->depth)
		s->aborted = 0;
	return rc;
}

static int op_commit(void *p)
{
	struct pg *s = p;
	if (!s->depth)
		return FE_EINTERNAL;
	if (s->lost)
		return FE_EUNAVAIL;
	if (s->aborted)
		return s->abort_rc ? s->abort_rc : FE_EINTERNAL;
	int rc = pg_simple(s, s->depth > 1 ? "RELEASE sp" : "COMMIT");
	if (!rc)
		s->depth--;
	return rc;
}

static void op_rollback(void *p)
{
	struct pg *s = p;
	if (!s->depth)
		return;
	if (s->conn && !s->lost) {
		if (s->depth > 1)
			pg_rollback_text(s, "ROLLBACK TO sp; RELEASE sp");
		else
			pg_rollback_text(s, "ROLLBACK");
		s->aborted = 0;
	}
	s->depth--;
	if (!s->depth) {
		s->aborted = 0;
		if (s->lost) {
			s->lost = 0;
			if (s->conn) {
				PQfinish(s->conn);
				s->conn = NULL;
			}
		}
	}
}

static int op_ping(void *p)
{
	int64_t one;
	return pg_scalar(p, "SELECT 1", &one, "") ? FE_EUNAVAIL : 0;
}

static int op_sync(void *p)
{
	(void)p;
	return 0; /* PostgreSQL made each commit durable before answering it */
}

/* The database's size on the server (pg_database_size); no WAL of ours. */
static int op_sizes(void *p, int64_t *db, int64_t *wal)
{
	*db = *wal = 0;
	if (pg_scalar(p, "SELECT pg_database_size(current_database())", db, ""))
		*db = 0;
	return 0;
}

/* ---- workspaces ---- */

static int op_workspace_count(void *p, int64_t *n)
{
	return pg_scalar(p, "SELECT count(*) FROM workspaces", n, "");
}

static void row_id(const struct pg_res *r, void *el)
{
	*(int64_t *)el = pg_i64(r, 0);
}

static int op_workspace_insert(void *p, struct workspace *w)
{
	char key[sizeof w->name];
	utf8_fold(w->name, key, sizeof key);
	int rc = pg_row(p,
	                "INSERT INTO workspaces(name, name_key, created_at) VALUES ($1, $2, $3)"
	                " ON CONFLICT DO NOTHING RETURNING id",
	                row_id, &w->id, "tti", w->name, key, w->created_at);
	return rc == FE_ENOTFOUND ? FE_ECONFLICT : rc;
}

static void row_workspace(const struct pg_res *r, void *el)
{
	struct workspace *w = el;
	w->id = pg_i64(r, 0);
	pg_text(r, 1, w->name, sizeof w->name);
	w->owner_id = pg_i64(r, 2);
	w->created_at = pg_i64(r, 3);
	w->member_count = pg_i64(r, 4);
}

static int op_workspace_get(void *p, int64_t id, struct workspace *w)
{
	return pg_row(p,
	              "SELECT id, name, coalesce(owner_id, 0), created_at,"
	              " (SELECT count(*) FROM users WHERE workspace_id = w.id)"
	              " FROM workspaces w WHERE id = $1",
	              row_workspace, w, "i", id);
}

static int op_workspace_set_owner(void *p, int64_t id, int64_t owner)
{
	return pg_execf(p, "UPDATE workspaces SET owner_id = $1 WHERE id = $2", NULL, NULL, "ii", owner, id);
}

static int op_workspace_rename(void *p, int64_t id, const char *name)
{
	int changes = 0;
	char key[UTF8_BUF(50)];
	utf8_fold(name, key, sizeof key);
	int rc = pg_execf(p, "UPDATE workspaces SET name = $1, name_key = $2 WHERE id = $3", NULL, &changes,
	                  "tti", name, key, id);
	return rc ? rc : changes ? 0 : FE_ENOTFOUND;
}

/* ---- users ---- */

/* Never the password hash: that is read by credentials_by_* alone. */
#define USER_COLS                                                                                            \
	"id, workspace_id, email, fullname, role, status, token_version, title, department,"                 \
	" avatar_url, coalesce(avatar_file_id, 0), bio, timezone, language, created_at, updated_at"

static void row_user(const struct pg_res *r, void *el)
{
	struct user *u = el;
	u->id = pg_i64(r, 0);
	u->workspace_id = pg_i64(r, 1);
	pg_text(r, 2, u->email, sizeof u->email);
	pg_text(r, 3, u->fullname, sizeof u->fullname);
	pg_text(r, 4, u->role, sizeof u->role);
	pg_text(r, 5, u->status, sizeof u->status);
	u->token_version = pg_i64(r, 6);
	pg_text(r, 7, u->title, sizeof u->title);
	pg_text(r, 8, u->department, sizeof u->department);
	pg_text(r, 9, u->avatar_url, sizeof u->avatar_url);
	u->avatar_file_id = pg_i64(r, 10);
	pg_text(r, 11, u->bio, sizeof u->bio);
	pg_text(r, 12, u->timezone, sizeof u->timezone);
	pg_text(r, 13, u->language, sizeof u->language);
	u->created_at = pg_i64(r, 14);
	u->updated_at = pg_i64(r, 15);
}

static int op_user_insert(void *p, struct user *u, const char *password_hash)
{
	int rc = pg_row(p,
	                "INSERT INTO users(workspace_id, email, fullname, password_hash, role, status,"
	                " created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'Active', $6, $6)"
	                " ON CONFLICT DO NOTHING RETURNING id",
	                row_id, &u->id, "itttti", u->workspace_id, u->email, u->fullname, password_hash,
	                u->role, u->created_at);
	if (rc == FE_ENOTFOUND)
		return FE_ECONFLICT;
	if (!rc) {
		strcpy(u->status, "Active");
		u->updated_at = u->created_at;
	}
	return rc;
}

static int op_user_get(void *p, int64_t id, struct user *u)
{
	return pg_row(p, "SELECT " USER_COLS " FROM users WHERE id = $1", row_user, u, "i", id);
}

/* SQLite compares email with COLLATE NOCASE (ASCII letters folded) */
#define EMAIL_IS "lower(email) = lower($1)"

static int op_user_by_email(void *p, const char *email, struct user *u)
{
	return pg_row(p, "SELECT " USER_COLS " FROM users WHERE " EMAIL_IS, row_user, u, "t", email);
}

static int op_users_list(void *p, int64_t ws, struct user **out, size_t *n)
{
	return pg_rows(p, "SELECT " USER_COLS " FROM users WHERE workspace_id = $1 ORDER BY id", out, n,
	               sizeof **out, row_user, "i", ws);
}

#define CRED_SQL "SELECT id, password_hash, status, token_version FROM users"

static void row_credentials(const struct pg_res *r, void *el)
{
	struct credentials *c = el;
	c->user_id = pg_i64(r, 0);
	pg_text(r, 1, c->password_hash, sizeof c->password_hash);
	pg_text(r, 2, c->status, sizeof c->status);
	c->token_version = pg_i64(r, 3);
}

static int op_credentials_by_email(void *p, const char *email, struct credentials *c)
{
	return pg_row(p, CRED_SQL " WHERE " EMAIL_IS, row_credentials, c, "t", email);
}

static int op_credentials_by_id(void *p, int64_t id, struct credentials *c)
{
	return pg_row(p, CRED_SQL " WHERE id = $1", row_credentials, c, "i", id);
}

static int op_user_update_profile(void *p, const struct user *u)
{
	int changes = 0;
	int rc = pg_execf(p,
	                  "UPDATE users SET fullname = $1, title = $2, department = $3, avatar_url = $4,"
	                  " avatar_file_id = nullif($5, 0), bio = $6, timezone = $7, language = $8,"
	                  " updated_at = $9 WHERE id = $10",
	                  NULL, &changes, "ttttitttii", u->fullname, u->title, u->department, u->avatar_url,
	                  u->avatar_file_id, u->bio, u->timezone, u->language, u->updated_at, u->id);
	return rc ? rc : changes ? 0 : FE_ENOTFOUND;
}

static int op_user_set_role_status(void *p, int64_t id, const char *role, const char *status)
{
	int changes = 0;
	int rc = pg_execf(p, "UPDATE users SET role = $1, status = $2 WHERE id = $3", NULL, &changes, "tti",
	                  role, status, id);
	return rc ? rc : changes ? 0 : FE_ENOTFOUND;
}

static int op_user_set_password(void *p, int64_t id, const char *hash)
{
	return pg_execf(p, "UPDATE users SET password_hash = $1 WHERE id = $2", NULL, NULL, "ti", hash, id);
}

static int op_user_bump_token_version(void *p, int64_t id)
{
	return pg_execf(p, "UPDATE users SET token_version = token_version + 1 WHERE id = $1", NULL, NULL,
	                "i", id);
}

/* ---- invites ---- */

#define INVITE_COLS                                                                                          \
	"code, workspace_id, created_by, max_uses, uses, expires_at, coalesce(revoked_at, 0), created_at"

static void row_invite(const struct pg_res *r, void *el)
{
	struct invite *i = el;
	pg_text(r, 0, i->code, sizeof i->code);
	i->workspace_id = pg_i64(r, 1);
	i->created_by = pg_i64(r, 2);
	i->max_uses = (int)pg_i64(r, 3);
	i->uses = (int)pg_i64(r, 4);
	i->expires_at = pg_i64(r, 5);
	i->revoked_at = pg_i64(r, 6);
	i->created_at = pg_i64(r, 7);
}

static int op_invite_insert(void *p, const struct invite *i)
{
	int changes = 0;
	int rc = pg_execf(
	    p,
	    "INSERT INTO invites(code, workspace_id, created_by, max_uses, uses, expires_at, created_at)"
	    " VALUES ($1, $2, $3, $4, 0, $5, $6) ON CONFLICT DO NOTHING",
	    NULL, &changes, "tiiiii", i->code, i->workspace_id, i->created_by, (int64_t)i->max_uses,
	    i->expires_at, i->created_at);
	return rc ? rc : changes ? 0 : FE_ECONFLICT;
}

static int op_invite_get(void *p, const char *code, struct invite *i)
{
	return pg_row(p, "SELECT " INVITE_COLS " FROM invites WHERE code = $1", row_invite, i, "t", code);
}

static int op_invites_active(void *p, int64_t ws, int64_t now, struct invite **out, size_t *n)
{
	return pg_rows(p,
	               "SELECT " INVITE_COLS " FROM invites WHERE workspace_id = $1 AND revoked_at IS NULL"
	               " AND expires_at > $2 AND uses < max_uses ORDER BY created_at DESC LIMIT 1000",
	               out, n, sizeof **out, row_invite, "ii", ws, now);
}

static int op_invite_revoke(void *p, int64_t ws, const char *code, int64_t now)
{
	int changes = 0;
	int rc = pg_execf(p,
	                  "UPDATE invites SET revoked_at = $1 WHERE code = $2 AND workspace_id = $3"
	                  " AND revoked_at IS NULL",
	                  NULL, &changes, "iti", now, code, ws);
	return rc ? rc : changes ? 0 : FE_ENOTFOUND;
}

static int op_invite_use(void *p, const char *code, int64_t now)
{
	int changes = 0;
	int rc = pg_execf(p,
	                  "UPDATE invites SET uses = uses + 1 WHERE code = $1 AND revoked_at IS NULL"
	                  " AND expires_at > $2 AND uses < max_uses",
	                  NULL, &changes, "ti", code, now);
	return rc ? rc : changes ? 0 : FE_ENOTFOUND;
}

/* ---- refresh tokens ---- */

static int op_refresh_insert(void *p, struct refresh_token *t, const char *hash)
{
	int rc = pg_row(p,
	                "INSERT INTO refresh_tokens(user_id, family, token_hash, created_at, expires_at,"
	                " family_expires_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING"
	                " RETURNING id",
	                row_id, &t->id, "ittiii", t->user_id, t->family, hash, t->created_at, t->expires_at,
	                t->family_expires_at);
	return rc == FE_ENOTFOUND ? FE_ECONFLICT : rc;
}

static void row_refresh(const struct pg_res *r, void *el)
{
	struct refresh_token *t = el;
	t->id = pg_i64(r, 0);
	t->user_id = pg_i64(r, 1);
	pg_text(r, 2, t->family, sizeof t->family);
	t->created_at = pg_i64(r, 3);
	t->expires_at = pg_i64(r, 4);
	t->family_expires_at = pg_i64(r, 5);
	t->rotated_at = pg_i64(r, 6);
	t->revoked_at = pg_i64(r, 7);
}

static int op_refresh_get(void *p, const char *hash, struct refresh_token *t)
{
	return pg_row(p,
	              "SELECT id, user_id, family, created_at, expires_at, family_expires_at,"
	              " coalesce(rotated_at, 0), coalesce(revoked_at, 0) FROM refresh_tokens"
	              " WHERE token_hash = $1",
	              row_refresh, t, "t", hash);
}

static int op_refresh_rotate(void *p, int64_t id, int64_t now)
{
	int changes = 0;
	int rc = pg_execf(p, "UPDATE refresh_tokens SET rotated_at = $1 WHERE id = $2 AND rotated_at IS NULL",
	                  NULL, &changes, "ii", now, id);
	return rc ? rc : changes ? 0 : FE_ECONFLICT;
}

static int op_refresh_revoke(void *p, int64_t user, const char *hash, int64_t now)
{
	int changes = 0;
	int rc = pg_execf(p,
	                  "UPDATE refresh_tokens SET revoked_at = $1 WHERE user_id = $2 AND token_hash = $3"
	                  " AND revoked_at IS NULL",
	                  NULL, &changes, "iit", now, user, hash);
	return rc ? rc : changes ? 0 : FE_ENOTFOUND;
}

static int op_refresh_revoke_family(void *p, const char *family, int64_t now)
{
	return pg_execf(p,
	                "UPDATE refresh_tokens SET revoked_at = $1 WHERE family = $2 AND revoked_at IS NULL",
	                NULL, NULL, "it", now, family);
}

static int op_refresh_revoke_user(void *p, int64_t user, int64_t now, int *revoked)
{
	return pg_execf(p,
	                "UPDATE refresh_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL"
	                " AND rotated_at IS NULL",
	                NULL, revoked, "ii", now, user);
}

/* ---- password-set links and import mapping (as adapters/sqlite_store.c) ---- */

static int op_password_token_insert(void *p, struct password_token *t, const char *hash)
{
	int rc = pg_row(p,
	                "INSERT INTO password_tokens(user_id, token_hash, created_at, expires_at)"
	                " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING id",
	                row_id, &t->id, "itii", t->user_id, hash, t->created_at, t->expires_at);
	return rc == FE_ENOTFOUND ? FE_ECONFLICT : rc;
}

static void row_password_token(const struct pg_res *r, void *el)
{
	struct password_token *t = el;
	t->id = pg_i64(r, 0);
	t->user_id = pg_i64(r, 1);
	t->created_at = pg_i64(r, 2);
	t->expires_at = pg_i64(r, 3);
	t->used_at = pg_i64(r, 4);
}

static int op_password_token_get(void *p, const char *hash, struct password_token *t)
{
	return pg_row(p,
	              "SELECT id, user_id, created_at, expires_at, coalesce(used_at, 0) FROM password_tokens"
	              " WHERE token_hash = $1",
	              row_password_token, t, "t", hash);
}

static int op_password_token_use(void *p, int64_t id, int64_t now)
{
	int changes = 0;
	int rc = pg_execf(p, "UPDATE password_tokens SET used_at = $1 WHERE id = $2 AND used_at IS NULL",
	                  NULL, &changes, "ii", now, id);
	return rc ? rc : changes ? 0 : FE_ECONFLICT;
}

static int op_import_map_get(void *p, const char *kind, const char *key, int64_t *id)
{
	return pg_scalar(p, "SELECT id FROM import_map WHERE kind = $1 AND key = $2", id, "tt", kind, key);
}

static int op_import_map_put(void *p, const char *kind, const char *key, int64_t id)
{
	int changes = 0;
	int rc =
	    pg_execf(p, "INSERT INTO import_map(kind, key, id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
	             NULL, &changes, "tti", kind, key, id);
	return rc ? rc : changes ? 0 : FE_ECONFLICT;
}

static const struct store_ops ops = {
    .begin = op_begin,
    .commit = op_commit,
    .rollback = op_rollback,
    .ping = op_ping,
    .sync = op_sync,
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
    .chat_insert = pgc_chat_insert,
    .chat_find_single = pgc_chat_find_single,
    .chat_get = pgc_chat_get,
    .chats_of_user = pgc_chats_of_user,
    .chat_ids_of_user = pgc_chat_ids_of_user,
    .chats_public = pgc_chats_public,
    .chat_update = pgc_chat_update,
    .chat_delete = pgc_chat_delete,
    .chat_touch = pgc_chat_touch,
    .member_add = pgc_member_add,
    .member_remove = pgc_member_remove,
    .member_get = pgc_member_get,
    .chat_sender = pgc_chat_sender,
    .member_set_role = pgc_member_set_role,
    .members_list = pgc_members_list,
    .member_ids = pgc_member_ids,
    .owner_count = pgc_owner_count,
    .reactions_of = pgc_reactions_of,
    .message_insert = pgc_message_insert,
    .message_by_key = pgc_message_by_key,
    .message_get = pgc_message_get,
    .messages_page = pgc_messages_page,
    .replies_page = pgc_replies_page,
    .message_edit = pgc_message_edit,
    .message_delete = pgc_message_delete,
    .reply_count_add = pgc_reply_count_add,
    .mentions_insert = pgc_mentions_insert,
    .message_files_insert = pgc_message_files_insert,
    .reaction_add = pgc_reaction_add,
    .reaction_remove = pgc_reaction_remove,
    .read_get = pgc_read_get,
    .read_set = pgc_read_set,
    .unread_counts = pgc_unread_counts,
    .max_message_id = pgc_max_message_id,
    .file_insert = pgc_file_insert,
    .file_get = pgc_file_get,
    .files_by_sha = pgc_files_by_sha,
    .file_sha_by_suffix = pgc_file_sha_by_suffix,
    .file_in_chats_of = pgc_file_in_chats_of,
    .file_avatar_in_workspace_of = pgc_file_avatar_in_workspace_of,
};

/* ---- open, migrate, close ---- */

#define PG_SCHEMA "schema/postgres/"

static int migration_number(const char *path)
{
	if (strncmp(path, PG_SCHEMA, strlen(PG_SCHEMA)) || strchr(path + strlen(PG_SCHEMA), '/'))
		return 0;
	return atoi(path + strlen(PG_SCHEMA));
}

int pg_store_schema_version(void)
{
	int v = 0;
	for (const struct embedded_file *f = embedded_files; f->path; f++)
		if (migration_number(f->path) > v)
			v = migration_number(f->path);
	return v;
}

/* Runs one simple-protocol text on the raw connection; -1 with the
 * server's message in err. */
static int exec_raw(PGconn *c, const char *text, char *err, size_t errlen)
{
	PGresult *r = PQexec(c, text);
	ExecStatusType st = PQresultStatus(r);
	int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
	if (!ok)
		snprintf(err, errlen, "%s", r ? PQresultErrorMessage(r) : PQerrorMessage(c));
	PQclear(r);
	return ok ? 0 : -1;
}

static int migrate(PGconn *c, char *err, size_t errlen)
{
	char msg[400];
	int want = pg_store_schema_version(), have = 0;
	if (exec_raw(c,
	             "BEGIN; SELECT pg_advisory_xact_lock(" MIGRATE_LOCK ");"
	             " CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);",
	             msg, sizeof msg))
		goto fail;
	PGresult *r = PQexec(c, "SELECT coalesce(max(version), 0) FROM schema_version");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		snprintf(msg, sizeof msg, "%s", PQresultErrorMessage(r));
		PQclear(r);
		goto fail;
	}
	have = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	if (have > want) {
		snprintf(err, errlen,
		         "the database has schema version %d but this binary knows only up to %d: "
		         "use a newer fechatter binary (refusing to touch the data)",
		         have, want);
		PQclear(PQexec(c, "ROLLBACK"));
		return -1;
	}
	for (int v = have + 1; v <= want; v++)
		for (const struct embedded_file *f = embedded_files; f->path; f++) {
			if (migration_number(f->path) != v)
				continue;
			if (exec_raw(c, (const char *)f->data, msg, sizeof msg)) {
				snprintf(err, errlen, "migration %s failed: %s", f->path, msg);
				PQclear(PQexec(c, "ROLLBACK"));
				return -1;
			}
			log_info("store: migrated to=%s", f->path);
		}
	char sql[120];
	snprintf(sql, sizeof sql,
	         "DELETE FROM schema_version; INSERT INTO schema_version VALUES (%d); COMMIT", want);
	if (exec_raw(c, sql, msg, sizeof msg))
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "migration failed: %s", msg);
	PQclear(PQexec(c, "ROLLBACK"));
	return -1;
}

int pg_store_open(const char *url, int timeout_ms, int do_migrate, struct store *st, char *err, size_t errlen)
{
	struct pg *s = xcalloc(1, sizeof *s);
	snprintf(s->url, sizeof s->url, "%s", url);
	s->timeout_ms = timeout_ms > 0 ? timeout_ms : 1500;
	if (pg_ready(s)) {
		snprintf(err, errlen, "cannot connect to PostgreSQL at the --pg-url given");
		free(s);
		return -1;
	}
	if (do_migrate) {
		/* migrations may take long: no statement timeout for them */
		PQclear(PQexec(s->conn, "SET statement_timeout = 0"));
		int rc = migrate(s->conn, err, errlen);
		char sql[64];
		snprintf(sql, sizeof sql, "SET statement_timeout = %d", s->timeout_ms);
		PQclear(PQexec(s->conn, sql));
		if (rc) {
			PQfinish(s->conn);
			free(s);
			return -1;
		}
	}
	st->ops = &ops;
	st->impl = s;
	return 0;
}

void pg_store_close(struct store *st)
{
	if (!st || !st->impl)
		return;
	struct pg *s = st->impl;
	if (s->conn)
		PQfinish(s->conn);
	free(s);
	st->impl = NULL;
}

int pg_store_down(const struct store *st)
{
	const struct pg *s = st && st->ops == &ops ? st->impl : NULL;
	return s && !s->conn;
}

static void row_key(const struct pg_res *r, void *el)
{
	pg_text(r, 0, el, 129);
}

int pg_store_signing_key(struct store *st, unsigned char sk[64], int *made)
{
	struct pg *s = st->impl;
	char hex[129], got[129] = "";
	static const char digits[] = "0123456789abcdef";
	for (int i = 0; i < 64; i++) {
		hex[2 * i] = digits[sk[i] >> 4];
		hex[2 * i + 1] = digits[sk[i] & 15];
	}
	hex[128] = 0;
	int changes = 0;
	int rc = pg_execf(s,
	                  "INSERT INTO signing_key(id, key, created_at) VALUES (1, decode($1, 'hex'), $2)"
	                  " ON CONFLICT DO NOTHING",
	                  NULL, &changes, "ti", hex, time_now_ms());
	if (!rc)
		rc = pg_row(s, "SELECT encode(key, 'hex') FROM signing_key WHERE id = 1", row_key, got, "");
	explicit_bzero(hex, sizeof hex);
	if (rc)
		return rc;
	if (strlen(got) != 128) {
		explicit_bzero(got, sizeof got);
		return FE_EINTERNAL;
	}
	for (int i = 0; i < 64; i++) {
		const char *a = strchr(digits, got[2 * i]), *b = strchr(digits, got[2 * i + 1]);
		if (!a || !b) {
			explicit_bzero(got, sizeof got);
			return FE_EINTERNAL;
		}
		sk[i] = (unsigned char)(((a - digits) << 4) | (b - digits));
	}
	explicit_bzero(got, sizeof got);
	*made = changes == 1;
	return 0;
}

/* ---- no search yet ---- */

static int nosearch_search(void *s, const struct search_query *q, struct search_hit **out, size_t *n,
                           int64_t *total)
{
	(void)s;
	(void)q;
	*out = NULL;
	*n = 0;
	*total = 0;
	return FE_EUNAVAIL;
}

static int nosearch_rebuild(void *s)
{
	(void)s;
	return 0;
}

static const struct search_ops nosearch_ops = {nosearch_search, nosearch_rebuild};

void pg_store_no_search(struct search *s)
{
	s->ops = &nosearch_ops;
	s->impl = NULL;
}
