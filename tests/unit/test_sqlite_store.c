/* tests/unit/test_sqlite_store: the SQLite adapter through the store port
 * (ports/store.h), on a real in-memory database with the embedded schema:
 * migrations and the newer-schema refusal, workspaces, users, invites,
 * refresh tokens and nested transactions. */
#define TESTAPP_STORE_ONLY /* the adapter alone, no app */
#include <sys/stat.h>
#include "testapp.h"
#include "lib/embedded.h"

#define OPS (st.ops)
#define IMPL (st.impl)

/* A temp file path (the file itself is removed; SQLite creates it). */
static void temp_db(char *out, size_t n)
{
	int fd = temp_db_path(out, n, "fe_store");
	assert_true(fd >= 0);
}

static int read_user_version(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	int v = -1;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q, NULL), SQLITE_OK);
	if (sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return v;
}

static int64_t add_workspace(const char *name)
{
	int64_t id = store_add_workspace(&st, name, T0);
	assert_true(id > 0);
	return id;
}

static int64_t add_user(int64_t ws, const char *email, const char *role)
{
	char fullname[sizeof((struct user *)0)->fullname];
	snprintf(fullname, sizeof fullname, "User %s", email);
	struct user u = new_user(ws, email, fullname, role, T0);
	store_insert_user(&st, &u);
	assert_true(u.id > 0);
	assert_string_equal(u.status, "Active");
	return u.id;
}

static void add_invite(const char *code, int64_t ws, int64_t by, int max_uses, int64_t expires,
                       int64_t created)
{
	struct invite i = {0};
	snprintf(i.code, sizeof i.code, "%s", code);
	i.workspace_id = ws;
	i.created_by = by;
	i.max_uses = max_uses;
	i.expires_at = expires;
	i.created_at = created;
	assert_int_equal(OPS->invite_insert(IMPL, &i), 0);
}

static int64_t add_refresh(int64_t user, const char *family, const char *hash)
{
	struct refresh_token t = {0};
	t.user_id = user;
	snprintf(t.family, sizeof t.family, "%s", family);
	t.created_at = T0;
	t.expires_at = T0 + 1000;
	t.family_expires_at = T0 + 2000;
	assert_int_equal(OPS->refresh_insert(IMPL, &t, hash), 0);
	assert_true(t.id > 0);
	return t.id;
}

/* ---- open and migrations ---- */

static void test_schema_version_positive(void **state)
{
	assert_true(sqlite_store_schema_version() >= 1);
	assert_non_null(st.ops);
	assert_non_null(st.impl);
	assert_int_equal(OPS->ping(IMPL), 0);
	int64_t n = -1;
	assert_int_equal(OPS->workspace_count(IMPL, &n), 0);
	assert_int_equal(n, 0);
}

static void test_file_migrated_and_reopened(void **state)
{
	char path[64], err[512] = "";
	temp_db(path, sizeof path);
	struct store f = {0};
	assert_int_equal(sqlite_store_open(path, 0, &f, err, sizeof err), 0);
	struct workspace w = {0};
	snprintf(w.name, sizeof w.name, "Persisted");
	w.created_at = T0;
	assert_int_equal(f.ops->workspace_insert(f.impl, &w), 0);
	int64_t db = -1, wal = -1;
	assert_int_equal(f.ops->sizes(f.impl, &db, &wal), 0);
	assert_true(db > 0);
	assert_true(wal >= 0);
	sqlite_store_close(&f);
	assert_null(f.impl);

	assert_int_equal(read_user_version(path), sqlite_store_schema_version());

	/* reopening applies nothing and keeps the data */
	assert_int_equal(sqlite_store_open(path, 1, &f, err, sizeof err), 0);
	struct workspace g = {0};
	assert_int_equal(f.ops->workspace_get(f.impl, w.id, &g), 0);
	assert_string_equal(g.name, "Persisted");
	sqlite_store_close(&f);
	assert_int_equal(read_user_version(path), sqlite_store_schema_version());
	remove_db_files(path);
}

/* Checkpoints left to the caller (sqlite_store_checkpoints deferred): the
 * commits only note the log's length, so the database file keeps its size
 * however long the log grows past the threshold; the checkpoint entry then
 * copies the log into it, and does nothing while the log is short. The
 * automatic mode at the same threshold copies inside the commits. */
static void test_checkpoints_deferred(void **state)
{
	char path[64], err[512] = "";
	for (int deferred = 1; deferred >= 0; deferred--) {
		temp_db(path, sizeof path);
		struct store f = {0};
		assert_int_equal(sqlite_store_open(path, 1, &f, err, sizeof err), 0);
		sqlite_store_checkpoints(&f, 20, deferred);
		int64_t db0 = -1, db1 = -1, db2 = -1, wal = -1;
		assert_int_equal(f.ops->sizes(f.impl, &db0, &wal), 0);
		for (int i = 0; i < 40; i++) { /* 40 commits: more than 20 pages of log */
			struct workspace w = {0};
			snprintf(w.name, sizeof w.name, "Checkpointed %d", i);
			w.created_at = T0;
			assert_int_equal(f.ops->workspace_insert(f.impl, &w), 0);
		}
		assert_int_equal(f.ops->sizes(f.impl, &db1, &wal), 0);
		if (deferred) {
			assert_int_equal(db1, db0); /* no commit copied the log */
			assert_int_equal(f.ops->checkpoint(f.impl), 0);
			assert_int_equal(f.ops->sizes(f.impl, &db2, &wal), 0);
			assert_true(db2 > db0);                         /* the schema's and rows' pages */
			assert_int_equal(f.ops->checkpoint(f.impl), 0); /* short log: nothing */
		} else {
			assert_true(db1 > db0); /* copied by a commit */
		}
		sqlite_store_close(&f);
		remove_db_files(path);
	}
}

/* sizes past 2 GiB (a 32-bit off_t cannot hold them: stat fails with
 * EOVERFLOW unless the build has a 64-bit off_t): the WAL is grown sparse
 * to 3 GiB for the measurement and put back before the store goes on. */
static void test_sizes_past_2gib(void **state)
{
	char path[64], wal[80], err[512] = "";
	temp_db(path, sizeof path);
	struct store f = {0};
	assert_int_equal(sqlite_store_open(path, 0, &f, err, sizeof err), 0);
	assert_int_equal(store_add_workspace(&f, "Big", T0) > 0, 1);
	snprintf(wal, sizeof wal, "%s-wal", path);
	struct stat sb;
	assert_int_equal(stat(wal, &sb), 0);
	const int64_t before = (int64_t)sb.st_size, big = (int64_t)3 << 30;
	assert_int_equal(truncate(wal, (off_t)big), 0);
	int64_t db = -1, w = -1;
	int rc = f.ops->sizes(f.impl, &db, &w);
	assert_int_equal(truncate(wal, (off_t)before), 0);
	assert_int_equal(rc, 0);
	assert_true(db > 0);
	assert_true(w == big);
	sqlite_store_close(&f);
	remove_db_files(path);
}

static void test_newer_database_refused(void **state)
{
	char path[64], err[512] = "", sql[64], num[16];
	temp_db(path, sizeof path);
	int newer = sqlite_store_schema_version() + 7;
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", newer);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	struct store f = {0};
	assert_int_equal(sqlite_store_open(path, 1, &f, err, sizeof err), -1);
	assert_null(f.impl);
	snprintf(num, sizeof num, "%d", newer);
	assert_non_null(strstr(err, num));
	assert_non_null(strstr(err, "version"));
	/* untouched */
	assert_int_equal(read_user_version(path), newer);
	remove_db_files(path);
}

/* 0004: pictures set as bare urls before it keep only a file their user
 * uploaded, now by id; any other /api/files/ url is dropped (issue 9). */
static void test_picture_urls_migrated(void **state)
{
	char path[64], err[512] = "";
	temp_db(path, sizeof path);
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	const char *steps[] = {"schema/0001_init.sql", "schema/0002_search.sql",
	                       "schema/0003_scoped_search.sql"};
	for (size_t i = 0; i < 3; i++) {
		const struct embedded_file *f = embedded_find(steps[i]);
		assert_non_null(f);
		assert_int_equal(sqlite3_exec(db, (const char *)f->data, NULL, NULL, NULL), SQLITE_OK);
	}
	const char *seed =
	    "PRAGMA user_version = 3;"
	    "INSERT INTO workspaces(id, name, name_key, created_at) VALUES (1, 'W', 'w', 0);"
	    "INSERT INTO users(id, workspace_id, email, fullname, password_hash, created_at, updated_at, "
	    "avatar_url)"
	    " VALUES (1, 1, 'a@x.io', 'A', 'h', 0, 0, '/api/files/"
	    "aa"
	    "%s.png'),"
	    " (2, 1, 'b@x.io', 'B', 'h', 0, 0, '/api/files/"
	    "aa"
	    "%s.png'),"
	    " (3, 1, 'c@x.io', 'C', 'h', 0, 0, 'https://example.com/c.png'),"
	    " (4, 1, 'd@x.io', 'D', 'h', 0, 0, '/api/files/abc.png'),"
	    " (5, 1, 'e@x.io', 'E', 'h', 0, 0, '');"
	    "INSERT INTO files(id, sha256, ext, mime_type, size, uploader_id, filename, created_at)"
	    " VALUES (7, 'aa' || '%s', 'png', 'image/png', 1, 1, 'a.png', 0);";
	char sha62[63], sql[2048];
	memset(sha62, 'b', 62);
	sha62[62] = 0;
	snprintf(sql, sizeof sql, seed, sha62, sha62, sha62);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	struct store f = {0};
	assert_int_equal(sqlite_store_open(path, 1, &f, err, sizeof err), 0);
	struct user u;
	char url[128];
	snprintf(url, sizeof url, "/api/files/aa%s.png", sha62);
	assert_int_equal(f.ops->user_get(f.impl, 1, &u), 0);
	assert_string_equal(u.avatar_url, url); /* ann's own file: kept, by id */
	assert_int_equal(u.avatar_file_id, 7);
	assert_int_equal(f.ops->user_get(f.impl, 2, &u), 0);
	assert_string_equal(u.avatar_url, ""); /* someone else's file: dropped */
	assert_int_equal(u.avatar_file_id, 0);
	assert_int_equal(f.ops->user_get(f.impl, 3, &u), 0);
	assert_string_equal(u.avatar_url, "https://example.com/c.png");
	assert_int_equal(u.avatar_file_id, 0);
	assert_int_equal(f.ops->user_get(f.impl, 4, &u), 0);
	assert_string_equal(u.avatar_url, "");
	assert_int_equal(f.ops->file_avatar_in_workspace_of(f.impl, 7, 2), 0);
	sqlite_store_close(&f);
	assert_int_equal(read_user_version(path), sqlite_store_schema_version());
	remove_db_files(path);
}

static void test_close_null_safe(void **state)
{
	sqlite_store_close(NULL);
	struct store empty = {0};
	sqlite_store_close(&empty);
}

/* ---- workspaces ---- */

static void test_workspace_insert_get(void **state)
{
	int64_t id = add_workspace("Acme");
	struct workspace w;
	memset(&w, 0x55, sizeof w);
	assert_int_equal(OPS->workspace_get(IMPL, id, &w), 0);
	assert_int_equal(w.id, id);
	assert_string_equal(w.name, "Acme");
	assert_int_equal(w.owner_id, 0);
	assert_int_equal(w.created_at, T0);
	assert_int_equal(w.member_count, 0);
	assert_int_equal(OPS->workspace_get(IMPL, id + 100, &w), FE_ENOTFOUND);

	int64_t n = 0;
	assert_int_equal(OPS->workspace_count(IMPL, &n), 0);
	assert_int_equal(n, 1);
}

static void test_workspace_name_unique_nocase(void **state)
{
	add_workspace("Acme");
	struct workspace w = {0};
	snprintf(w.name, sizeof w.name, "ACME");
	w.created_at = T0;
	assert_int_equal(OPS->workspace_insert(IMPL, &w), FE_ECONFLICT);
	int64_t n = 0;
	assert_int_equal(OPS->workspace_count(IMPL, &n), 0);
	assert_int_equal(n, 1);
}

static void test_workspace_member_count_owner(void **state)
{
	int64_t a = add_workspace("A"), b = add_workspace("B");
	int64_t u1 = add_user(a, "u1@x.io", "owner");
	add_user(a, "u2@x.io", "member");
	add_user(b, "u3@x.io", "owner");
	assert_int_equal(OPS->workspace_set_owner(IMPL, a, u1), 0);
	struct workspace w = {0};
	assert_int_equal(OPS->workspace_get(IMPL, a, &w), 0);
	assert_int_equal(w.member_count, 2);
	assert_int_equal(w.owner_id, u1);
	assert_int_equal(OPS->workspace_get(IMPL, b, &w), 0);
	assert_int_equal(w.member_count, 1);
	assert_int_equal(w.owner_id, 0);
}

static void test_workspace_rename(void **state)
{
	int64_t a = add_workspace("Alpha");
	int64_t b = add_workspace("Beta");
	assert_int_equal(OPS->workspace_rename(IMPL, b, "alpha"), FE_ECONFLICT);
	assert_int_equal(OPS->workspace_rename(IMPL, b, "Gamma"), 0);
	/* renaming to itself in another case is allowed */
	assert_int_equal(OPS->workspace_rename(IMPL, a, "ALPHA"), 0);
	assert_int_equal(OPS->workspace_rename(IMPL, 9999, "Delta"), FE_ENOTFOUND);
	struct workspace w = {0};
	assert_int_equal(OPS->workspace_get(IMPL, b, &w), 0);
	assert_string_equal(w.name, "Gamma");
	assert_int_equal(OPS->workspace_get(IMPL, a, &w), 0);
	assert_string_equal(w.name, "ALPHA");
}

/* ---- users ---- */

static void test_user_insert_get_by_email(void **state)
{
	int64_t ws = add_workspace("W");
	int64_t id = add_user(ws, "Alice@Example.com", "owner");
	struct user u;
	memset(&u, 0, sizeof u);
	assert_int_equal(OPS->user_get(IMPL, id, &u), 0);
	assert_int_equal(u.id, id);
	assert_int_equal(u.workspace_id, ws);
	assert_string_equal(u.email, "Alice@Example.com");
	assert_string_equal(u.fullname, "User Alice@Example.com");
	assert_string_equal(u.role, "owner");
	assert_string_equal(u.status, "Active");
	assert_int_equal(u.token_version, 0);
	assert_string_equal(u.title, "");
	assert_string_equal(u.bio, "");
	assert_int_equal(u.created_at, T0);
	assert_int_equal(u.updated_at, T0);

	struct user v;
	memset(&v, 0, sizeof v);
	assert_int_equal(OPS->user_by_email(IMPL, "alice@example.COM", &v), 0);
	assert_int_equal(v.id, id);
	assert_int_equal(OPS->user_by_email(IMPL, "ALICE@EXAMPLE.COM", &v), 0);
	assert_int_equal(v.id, id);
	assert_int_equal(OPS->user_by_email(IMPL, "bob@example.com", &v), FE_ENOTFOUND);
	assert_int_equal(OPS->user_get(IMPL, id + 50, &v), FE_ENOTFOUND);

	/* the credentials: by email (any case) or id, nowhere else */
	struct credentials c;
	memset(&c, 0, sizeof c);
	assert_int_equal(OPS->credentials_by_email(IMPL, "ALICE@example.com", &c), 0);
	assert_int_equal(c.user_id, id);
	assert_string_equal(c.password_hash, "$argon2id$fake");
	assert_string_equal(c.status, "Active");
	assert_int_equal(c.token_version, 0);
	memset(&c, 0, sizeof c);
	assert_int_equal(OPS->credentials_by_id(IMPL, id, &c), 0);
	assert_string_equal(c.password_hash, "$argon2id$fake");
	assert_int_equal(OPS->credentials_by_email(IMPL, "bob@example.com", &c), FE_ENOTFOUND);
	assert_int_equal(OPS->credentials_by_id(IMPL, id + 50, &c), FE_ENOTFOUND);
	assert_null(memmem(&u, sizeof u, "$argon2id$fake", 14));
	assert_null(memmem(&v, sizeof v, "$argon2id$fake", 14));
}

static void test_user_duplicate_email(void **state)
{
	int64_t ws = add_workspace("W");
	int64_t ws2 = add_workspace("W2");
	add_user(ws, "dup@example.com", "owner");
	struct user u = {0};
	u.workspace_id = ws2; /* unique across workspaces too */
	snprintf(u.email, sizeof u.email, "DUP@example.com");
	snprintf(u.fullname, sizeof u.fullname, "Dup");
	snprintf(u.role, sizeof u.role, "member");
	u.created_at = T0;
	assert_int_equal(OPS->user_insert(IMPL, &u, "h"), FE_ECONFLICT);
	struct user *list = NULL;
	size_t n = 99;
	assert_int_equal(OPS->users_list(IMPL, ws2, &list, &n), 0);
	assert_int_equal(n, 0);
	free(list);
}

static void test_user_unknown_workspace_refused(void **state)
{
	struct user u = {0};
	u.workspace_id = 424242;
	snprintf(u.email, sizeof u.email, "x@example.com");
	snprintf(u.fullname, sizeof u.fullname, "X");
	snprintf(u.role, sizeof u.role, "member");
	u.created_at = T0;
	assert_true(OPS->user_insert(IMPL, &u, "h") < 0);
	struct user v;
	assert_int_equal(OPS->user_by_email(IMPL, "x@example.com", &v), FE_ENOTFOUND);
}

static void test_users_list_scoped(void **state)
{
	int64_t a = add_workspace("A"), b = add_workspace("B");
	int64_t ids[3];
	ids[0] = add_user(a, "a1@x.io", "owner");
	add_user(b, "b1@x.io", "owner");
	ids[1] = add_user(a, "a2@x.io", "member");
	add_user(b, "b2@x.io", "member");
	ids[2] = add_user(a, "a3@x.io", "admin");
	struct user *list = NULL;
	size_t n = 0;
	assert_int_equal(OPS->users_list(IMPL, a, &list, &n), 0);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(list[i].workspace_id, a);
		assert_int_equal(list[i].id, ids[i]); /* ordered by id */
	}
	assert_string_equal(list[2].role, "admin");
	free(list);
	assert_int_equal(OPS->users_list(IMPL, b, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].email, "b1@x.io");
	assert_string_equal(list[1].email, "b2@x.io");
	free(list);
}

static void test_users_list_many(void **state)
{
	/* more than the initial array capacity */
	int64_t a = add_workspace("Big");
	char email[64];
	for (int i = 0; i < 40; i++) {
		snprintf(email, sizeof email, "u%d@big.io", i);
		add_user(a, email, "member");
	}
	struct user *list = NULL;
	size_t n = 0;
	assert_int_equal(OPS->users_list(IMPL, a, &list, &n), 0);
	assert_int_equal(n, 40);
	assert_string_equal(list[0].email, "u0@big.io");
	assert_string_equal(list[39].email, "u39@big.io");
	free(list);
}

static void test_user_update_profile(void **state)
{
	int64_t ws = add_workspace("W");
	int64_t id = add_user(ws, "p@x.io", "member");
	struct user u = {0};
	assert_int_equal(OPS->user_get(IMPL, id, &u), 0);
	snprintf(u.fullname, sizeof u.fullname, "Péter Nagy");
	snprintf(u.title, sizeof u.title, "Engineer");
	snprintf(u.department, sizeof u.department, "R&D");
	snprintf(u.avatar_url, sizeof u.avatar_url, "https://example.com/a.png");
	snprintf(u.bio, sizeof u.bio, "line one\nline two");
	snprintf(u.timezone, sizeof u.timezone, "Europe/Budapest");
	snprintf(u.language, sizeof u.language, "hu");
	snprintf(u.role, sizeof u.role, "owner");          /* not a profile field: ignored */
	snprintf(u.email, sizeof u.email, "changed@x.io"); /* not a profile field */
	u.updated_at = T0 + 5000;
	assert_int_equal(OPS->user_update_profile(IMPL, &u), 0);

	struct user v = {0};
	assert_int_equal(OPS->user_get(IMPL, id, &v), 0);
	assert_string_equal(v.fullname, "Péter Nagy");
	assert_string_equal(v.title, "Engineer");
	assert_string_equal(v.department, "R&D");
	assert_string_equal(v.avatar_url, "https://example.com/a.png");
	assert_string_equal(v.bio, "line one\nline two");
	assert_string_equal(v.timezone, "Europe/Budapest");
	assert_string_equal(v.language, "hu");
	assert_int_equal(v.updated_at, T0 + 5000);
	assert_int_equal(v.created_at, T0);
	assert_string_equal(v.role, "member");
	assert_string_equal(v.email, "p@x.io");

	u.id = id + 1000;
	assert_int_equal(OPS->user_update_profile(IMPL, &u), FE_ENOTFOUND);
}

static void test_user_role_status(void **state)
{
	int64_t ws = add_workspace("W");
	int64_t id = add_user(ws, "r@x.io", "member");
	assert_int_equal(OPS->user_set_role_status(IMPL, id, "admin", "Suspended"), 0);
	struct user u = {0};
	assert_int_equal(OPS->user_get(IMPL, id, &u), 0);
	assert_string_equal(u.role, "admin");
	assert_string_equal(u.status, "Suspended");
	assert_int_equal(OPS->user_set_role_status(IMPL, id, "member", "Active"), 0);
	assert_int_equal(OPS->user_get(IMPL, id, &u), 0);
	assert_string_equal(u.role, "member");
	assert_string_equal(u.status, "Active");
	/* the schema refuses values outside the enumerations */
	assert_true(OPS->user_set_role_status(IMPL, id, "king", "Active") < 0);
	assert_true(OPS->user_set_role_status(IMPL, id, "member", "Gone") < 0);
	assert_int_equal(OPS->user_get(IMPL, id, &u), 0);
	assert_string_equal(u.role, "member");
	assert_string_equal(u.status, "Active");
	assert_int_equal(OPS->user_set_role_status(IMPL, id + 99, "member", "Active"), FE_ENOTFOUND);
}

static void test_user_token_version_and_password(void **state)
{
	int64_t ws = add_workspace("W");
	int64_t id = add_user(ws, "t@x.io", "member");
	int64_t other = add_user(ws, "o@x.io", "member");
	assert_int_equal(OPS->user_bump_token_version(IMPL, id), 0);
	assert_int_equal(OPS->user_bump_token_version(IMPL, id), 0);
	struct user u = {0};
	assert_int_equal(OPS->user_get(IMPL, id, &u), 0);
	assert_int_equal(u.token_version, 2);
	assert_int_equal(OPS->user_get(IMPL, other, &u), 0);
	assert_int_equal(u.token_version, 0);

	struct credentials c;
	assert_int_equal(OPS->user_set_password(IMPL, id, "$argon2id$new"), 0);
	assert_int_equal(OPS->credentials_by_id(IMPL, id, &c), 0);
	assert_string_equal(c.password_hash, "$argon2id$new");
	assert_int_equal(c.token_version, 2);
	assert_int_equal(OPS->credentials_by_id(IMPL, other, &c), 0);
	assert_string_equal(c.password_hash, "$argon2id$fake");
}

/* ---- invites ---- */

static void test_invite_insert_get(void **state)
{
	int64_t ws = add_workspace("W");
	int64_t by = add_user(ws, "o@x.io", "owner");
	add_invite("CODE1", ws, by, 3, T0 + 3600000, T0);
	struct invite i;
	memset(&i, 0x55, sizeof i);
	assert_int_equal(OPS->invite_get(IMPL, "CODE1", &i), 0);
	assert_string_equal(i.code, "CODE1");
	assert_int_equal(i.workspace_id, ws);
	assert_int_equal(i.created_by, by);
	assert_int_equal(i.max_uses, 3);
	assert_int_equal(i.uses, 0);
	assert_int_equal(i.expires_at, T0 + 3600000);
	assert_int_equal(i.revoked_at, 0);
	assert_int_equal(i.created_at, T0);
	assert_int_equal(OPS->invite_get(IMPL, "NOPE", &i), FE_ENOTFOUND);

	/* duplicate code */
	struct invite d = i;
	assert_int_equal(OPS->invite_insert(IMPL, &d), FE_ECONFLICT);
	/* max_uses must be positive */
	struct invite z = i;
	snprintf(z.code, sizeof z.code, "ZERO");
	z.max_uses = 0;
	assert_true(OPS->invite_insert(IMPL, &z) < 0);
	assert_int_equal(OPS->invite_get(IMPL, "ZERO", &i), FE_ENOTFOUND);
}

static void test_invites_active_filtering(void **state)
{
	int64_t ws = add_workspace("W"), ws2 = add_workspace("Other");
	int64_t by = add_user(ws, "o@x.io", "owner");
	int64_t by2 = add_user(ws2, "o2@x.io", "owner");
	int64_t now = T0 + 10000;
	add_invite("ACTIVE1", ws, by, 5, now + 100000, T0 + 1);
	add_invite("ACTIVE2", ws, by, 5, now + 100000, T0 + 2);
	add_invite("REVOKED", ws, by, 5, now + 100000, T0 + 3);
	add_invite("EXPIRED", ws, by, 5, now, T0 + 4); /* expires_at == now: expired */
	add_invite("USEDUP", ws, by, 1, now + 100000, T0 + 5);
	add_invite("OTHERWS", ws2, by2, 5, now + 100000, T0 + 6);
	assert_int_equal(OPS->invite_revoke(IMPL, ws, "REVOKED", now - 1), 0);
	assert_int_equal(OPS->invite_use(IMPL, "USEDUP", now - 1), 0);

	struct invite *list = NULL;
	size_t n = 0;
	assert_int_equal(OPS->invites_active(IMPL, ws, now, &list, &n), 0);
	assert_int_equal(n, 2);
	/* newest first */
	assert_string_equal(list[0].code, "ACTIVE2");
	assert_string_equal(list[1].code, "ACTIVE1");
	free(list);

	/* earlier, EXPIRED was still active */
	assert_int_equal(OPS->invites_active(IMPL, ws, now - 1, &list, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(list[0].code, "EXPIRED");
	free(list);

	assert_int_equal(OPS->invites_active(IMPL, ws2, now, &list, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].code, "OTHERWS");
	free(list);
}

static void test_invites_active_many(void **state)
{
	int64_t ws = add_workspace("W");
	int64_t by = add_user(ws, "o@x.io", "owner");
	char code[32];
	for (int i = 0; i < 20; i++) {
		snprintf(code, sizeof code, "C%02d", i);
		add_invite(code, ws, by, 1, T0 + 100000, T0 + i);
	}
	struct invite *list = NULL;
	size_t n = 0;
	assert_int_equal(OPS->invites_active(IMPL, ws, T0, &list, &n), 0);
	assert_int_equal(n, 20);
	assert_string_equal(list[0].code, "C19");
	assert_string_equal(list[19].code, "C00");
	free(list);
}

static void test_invite_use_counts(void **state)
{
	int64_t ws = add_workspace("W");
	int64_t by = add_user(ws, "o@x.io", "owner");
	int64_t now = T0 + 10;
	add_invite("TWO", ws, by, 2, now + 1000, T0);
	struct invite i = {0};
	assert_int_equal(OPS->invite_use(IMPL, "TWO", now), 0);
	assert_int_equal(OPS->invite_get(IMPL, "TWO", &i), 0);
	assert_int_equal(i.uses, 1);
	assert_int_equal(OPS->invite_use(IMPL, "TWO", now), 0);
	assert_int_equal(OPS->invite_use(IMPL, "TWO", now), FE_ENOTFOUND);
	assert_int_equal(OPS->invite_use(IMPL, "TWO", now), FE_ENOTFOUND);
	assert_int_equal(OPS->invite_get(IMPL, "TWO", &i), 0);
	assert_int_equal(i.uses, 2);

	add_invite("EXP", ws, by, 5, now + 1000, T0);
	assert_int_equal(OPS->invite_use(IMPL, "EXP", now + 1000), FE_ENOTFOUND);
	assert_int_equal(OPS->invite_use(IMPL, "EXP", now + 999), 0);

	add_invite("REV", ws, by, 5, now + 1000, T0);
	assert_int_equal(OPS->invite_revoke(IMPL, ws, "REV", now), 0);
	assert_int_equal(OPS->invite_use(IMPL, "REV", now), FE_ENOTFOUND);
	assert_int_equal(OPS->invite_get(IMPL, "REV", &i), 0);
	assert_int_equal(i.uses, 0);

	assert_int_equal(OPS->invite_use(IMPL, "UNKNOWN", now), FE_ENOTFOUND);
}

static void test_invite_revoke_scoped(void **state)
{
	int64_t ws = add_workspace("W"), ws2 = add_workspace("Other");
	int64_t by = add_user(ws, "o@x.io", "owner");
	add_user(ws2, "o2@x.io", "owner");
	add_invite("MINE", ws, by, 5, T0 + 100000, T0);
	struct invite i = {0};
	assert_int_equal(OPS->invite_revoke(IMPL, ws2, "MINE", T0 + 1), FE_ENOTFOUND);
	assert_int_equal(OPS->invite_get(IMPL, "MINE", &i), 0);
	assert_int_equal(i.revoked_at, 0);
	assert_int_equal(OPS->invite_revoke(IMPL, ws, "MINE", T0 + 2), 0);
	assert_int_equal(OPS->invite_get(IMPL, "MINE", &i), 0);
	assert_int_equal(i.revoked_at, T0 + 2);
	/* a second revoke finds nothing to revoke and keeps the first time */
	assert_int_equal(OPS->invite_revoke(IMPL, ws, "MINE", T0 + 3), FE_ENOTFOUND);
	assert_int_equal(OPS->invite_get(IMPL, "MINE", &i), 0);
	assert_int_equal(i.revoked_at, T0 + 2);
	assert_int_equal(OPS->invite_revoke(IMPL, ws, "NOPE", T0 + 3), FE_ENOTFOUND);
}

/* ---- refresh tokens ---- */

static void test_refresh_insert_get(void **state)
{
	int64_t ws = add_workspace("W");
	int64_t u = add_user(ws, "o@x.io", "owner");
	int64_t id = add_refresh(u, "famA", "hash1");
	struct refresh_token t;
	memset(&t, 0x55, sizeof t);
	assert_int_equal(OPS->refresh_get(IMPL, "hash1", &t), 0);
	assert_int_equal(t.id, id);
	assert_int_equal(t.user_id, u);
	assert_string_equal(t.family, "famA");
	assert_int_equal(t.created_at, T0);
	assert_int_equal(t.expires_at, T0 + 1000);
	assert_int_equal(t.family_expires_at, T0 + 2000);
	assert_int_equal(t.rotated_at, 0);
	assert_int_equal(t.revoked_at, 0);
	assert_int_equal(OPS->refresh_get(IMPL, "nohash", &t), FE_ENOTFOUND);

	/* token hashes are unique */
	struct refresh_token d = {0};
	d.user_id = u;
	snprintf(d.family, sizeof d.family, "famB");
	d.created_at = T0;
	d.expires_at = d.family_expires_at = T0 + 1;
	assert_int_equal(OPS->refresh_insert(IMPL, &d, "hash1"), FE_ECONFLICT);
}

static void test_refresh_rotate_once(void **state)
{
	int64_t ws = add_workspace("W");
	int64_t u = add_user(ws, "o@x.io", "owner");
	int64_t id = add_refresh(u, "famA", "hash1");
	assert_int_equal(OPS->refresh_rotate(IMPL, id, T0 + 7), 0);
	struct refresh_token t = {0};
	assert_int_equal(OPS->refresh_get(IMPL, "hash1", &t), 0);
	assert_int_equal(t.rotated_at, T0 + 7);
	assert_int_equal(OPS->refresh_rotate(IMPL, id, T0 + 8), FE_ECONFLICT);
	assert_int_equal(OPS->refresh_get(IMPL, "hash1", &t), 0);
	assert_int_equal(t.rotated_at, T0 + 7);
}

static void test_refresh_revoke(void **state)
{
	int64_t ws = add_workspace("W");
	int64_t u = add_user(ws, "o@x.io", "owner");
	int64_t v = add_user(ws, "v@x.io", "member");
	add_refresh(u, "famA", "hash1");
	struct refresh_token t = {0};
	/* only the owner of the token can revoke it */
	assert_int_equal(OPS->refresh_revoke(IMPL, v, "hash1", T0 + 1), FE_ENOTFOUND);
	assert_int_equal(OPS->refresh_get(IMPL, "hash1", &t), 0);
	assert_int_equal(t.revoked_at, 0);
	assert_int_equal(OPS->refresh_revoke(IMPL, u, "hash1", T0 + 2), 0);
	assert_int_equal(OPS->refresh_get(IMPL, "hash1", &t), 0);
	assert_int_equal(t.revoked_at, T0 + 2);
	assert_int_equal(OPS->refresh_revoke(IMPL, u, "hash1", T0 + 3), FE_ENOTFOUND);
	assert_int_equal(OPS->refresh_revoke(IMPL, u, "nohash", T0 + 3), FE_ENOTFOUND);
}

static void test_refresh_revoke_family(void **state)
{
	int64_t ws = add_workspace("W");
	int64_t u = add_user(ws, "o@x.io", "owner");
	add_refresh(u, "famA", "a1");
	add_refresh(u, "famA", "a2");
	add_refresh(u, "famA", "a3");
	add_refresh(u, "famB", "b1");
	assert_int_equal(OPS->refresh_revoke(IMPL, u, "a1", T0 + 1), 0);
	assert_int_equal(OPS->refresh_revoke_family(IMPL, "famA", T0 + 5), 0);
	struct refresh_token t = {0};
	assert_int_equal(OPS->refresh_get(IMPL, "a1", &t), 0);
	assert_int_equal(t.revoked_at, T0 + 1); /* already revoked: kept */
	assert_int_equal(OPS->refresh_get(IMPL, "a2", &t), 0);
	assert_int_equal(t.revoked_at, T0 + 5);
	assert_int_equal(OPS->refresh_get(IMPL, "a3", &t), 0);
	assert_int_equal(t.revoked_at, T0 + 5);
	assert_int_equal(OPS->refresh_get(IMPL, "b1", &t), 0);
	assert_int_equal(t.revoked_at, 0);
	/* an unknown family is not an error */
	assert_int_equal(OPS->refresh_revoke_family(IMPL, "nofam", T0 + 6), 0);
}

static void test_refresh_revoke_user_count(void **state)
{
	int64_t ws = add_workspace("W");
	int64_t u = add_user(ws, "o@x.io", "owner");
	int64_t v = add_user(ws, "v@x.io", "member");
	add_refresh(u, "f1", "u1");
	add_refresh(u, "f2", "u2");
	add_refresh(u, "f3", "u3");
	add_refresh(v, "f4", "v1");
	assert_int_equal(OPS->refresh_revoke(IMPL, u, "u3", T0 + 1), 0);
	int revoked = -1;
	assert_int_equal(OPS->refresh_revoke_user(IMPL, u, T0 + 9, &revoked), 0);
	assert_int_equal(revoked, 2);
	struct refresh_token t = {0};
	assert_int_equal(OPS->refresh_get(IMPL, "u1", &t), 0);
	assert_int_equal(t.revoked_at, T0 + 9);
	assert_int_equal(OPS->refresh_get(IMPL, "u2", &t), 0);
	assert_int_equal(t.revoked_at, T0 + 9);
	assert_int_equal(OPS->refresh_get(IMPL, "u3", &t), 0);
	assert_int_equal(t.revoked_at, T0 + 1);
	assert_int_equal(OPS->refresh_get(IMPL, "v1", &t), 0);
	assert_int_equal(t.revoked_at, 0);
	revoked = -1;
	assert_int_equal(OPS->refresh_revoke_user(IMPL, u, T0 + 10, &revoked), 0);
	assert_int_equal(revoked, 0);
}

/* ---- transactions ---- */

/* 1 when workspace id exists with this name (ids of rolled-back rows may be
 * reused, hence the name check). */
static int ws_exists(int64_t id, const char *name)
{
	struct workspace w = {0};
	int rc = OPS->workspace_get(IMPL, id, &w);
	assert_true(rc == 0 || rc == FE_ENOTFOUND);
	return rc == 0 && !strcmp(w.name, name);
}

static void test_nested_rollback_inner_keeps_outer(void **state)
{
	assert_int_equal(OPS->begin(IMPL), 0);
	int64_t outer = add_workspace("Outer");
	assert_int_equal(OPS->begin(IMPL), 0);
	int64_t inner = add_workspace("Inner");
	OPS->rollback(IMPL);
	assert_true(ws_exists(outer, "Outer"));
	assert_false(ws_exists(inner, "Inner"));
	int64_t after = add_workspace("After");
	assert_int_equal(OPS->commit(IMPL), 0);
	int64_t n = 0;
	assert_int_equal(OPS->workspace_count(IMPL, &n), 0);
	assert_int_equal(n, 2);
	assert_true(ws_exists(outer, "Outer"));
	assert_true(ws_exists(after, "After"));
}

static void test_nested_rollback_outer_discards_all(void **state)
{
	int64_t before = add_workspace("Before");
	assert_int_equal(OPS->begin(IMPL), 0);
	int64_t outer = add_workspace("Outer");
	assert_int_equal(OPS->begin(IMPL), 0);
	int64_t inner = add_workspace("Inner");
	assert_int_equal(OPS->commit(IMPL), 0); /* inner released */
	assert_true(ws_exists(inner, "Inner"));
	OPS->rollback(IMPL);
	int64_t n = 0;
	assert_int_equal(OPS->workspace_count(IMPL, &n), 0);
	assert_int_equal(n, 1);
	assert_true(ws_exists(before, "Before"));
	assert_false(ws_exists(outer, "Outer"));
	assert_false(ws_exists(inner, "Inner"));

	/* the store is usable for a new transaction afterwards */
	assert_int_equal(OPS->begin(IMPL), 0);
	int64_t later = add_workspace("Later");
	assert_int_equal(OPS->commit(IMPL), 0);
	assert_int_equal(OPS->workspace_count(IMPL, &n), 0);
	assert_int_equal(n, 2);
	assert_true(ws_exists(later, "Later"));
}

static void test_three_levels(void **state)
{
	assert_int_equal(OPS->begin(IMPL), 0);
	int64_t l1 = add_workspace("L1");
	assert_int_equal(OPS->begin(IMPL), 0);
	int64_t l2 = add_workspace("L2");
	assert_int_equal(OPS->begin(IMPL), 0);
	int64_t l3 = add_workspace("L3");
	OPS->rollback(IMPL);                    /* drops L3 */
	assert_int_equal(OPS->commit(IMPL), 0); /* keeps L2 */
	assert_int_equal(OPS->commit(IMPL), 0);
	assert_true(ws_exists(l1, "L1"));
	assert_true(ws_exists(l2, "L2"));
	assert_false(ws_exists(l3, "L3"));
	int64_t n = 0;
	assert_int_equal(OPS->workspace_count(IMPL, &n), 0);
	assert_int_equal(n, 2);
}

#define T(f) cmocka_unit_test_setup_teardown(f, store_setup, store_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_schema_version_positive),
	    T(test_file_migrated_and_reopened),
	    T(test_picture_urls_migrated),
	    T(test_sizes_past_2gib),
	    T(test_checkpoints_deferred),
	    T(test_newer_database_refused),
	    T(test_close_null_safe),
	    T(test_workspace_insert_get),
	    T(test_workspace_name_unique_nocase),
	    T(test_workspace_member_count_owner),
	    T(test_workspace_rename),
	    T(test_user_insert_get_by_email),
	    T(test_user_duplicate_email),
	    T(test_user_unknown_workspace_refused),
	    T(test_users_list_scoped),
	    T(test_users_list_many),
	    T(test_user_update_profile),
	    T(test_user_role_status),
	    T(test_user_token_version_and_password),
	    T(test_invite_insert_get),
	    T(test_invites_active_filtering),
	    T(test_invites_active_many),
	    T(test_invite_use_counts),
	    T(test_invite_revoke_scoped),
	    T(test_refresh_insert_get),
	    T(test_refresh_rotate_once),
	    T(test_refresh_revoke),
	    T(test_refresh_revoke_family),
	    T(test_refresh_revoke_user_count),
	    T(test_nested_rollback_inner_keeps_outer),
	    T(test_nested_rollback_outer_discards_all),
	    T(test_three_levels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
