/* adapters/sqlite_export: the transfer source on SQLite. One read-only
 * connection and one read transaction for the whole walk. Ids are
 * renumbered 1..N per kind in id order through temporary tables
 * (temp.x_user, x_file, x_chat, x_msg: new INTEGER PRIMARY KEY, old
 * UNIQUE) kept in a temporary file, so memory does not grow with the
 * workspace; every row is handed out as soon as it is read. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "adapters/sqlite_transfer.h"
#include "lib/xalloc.h"

struct xsrc {
	sqlite3 *db;
	int64_t ws;
	int64_t *ids; /* parsed id lists of the current message */
	size_t cap;
};

static int fail(struct xsrc *x, char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "export: %s: %s", what, sqlite3_errmsg(x->db));
	return -1;
}

static const char *col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? (const char *)t : "";
}

static void copy(char *dst, size_t n, sqlite3_stmt *st, int i)
{
	snprintf(dst, n, "%s", col(st, i));
}

/* Prepares sql with ?1 = the workspace bound. */
static sqlite3_stmt *prep(struct xsrc *x, const char *sql)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(x->db, sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	if (sqlite3_bind_parameter_count(st) >= 1)
		sqlite3_bind_int64(st, 1, x->ws);
	return st;
}

static int64_t scalar(struct xsrc *x, const char *sql)
{
	sqlite3_stmt *st = prep(x, sql);
	int64_t v = st && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_finalize(st);
	return v;
}

/* Appends the ids of "3,5,9" (a group_concat of integers) to x->ids from
 * index at; returns how many were appended. */
static size_t id_list(struct xsrc *x, const char *s, size_t at)
{
	size_t n = 0;
	while (*s) {
		if (at + n == x->cap) {
			x->cap = x->cap ? x->cap * 2 : 16;
			x->ids = xrealloc(x->ids, x->cap * sizeof *x->ids);
		}
		char *end;
		x->ids[at + n++] = strtoll(s, &end, 10);
		if (*end != ',')
			break;
		s = end + 1;
	}
	return n;
}

static void row_user(struct xsrc *x, sqlite3_stmt *st, struct tr_record *r)
{
	struct tr_user *u = &r->u.user;
	u->id = sqlite3_column_int64(st, 0);
	copy(u->email, sizeof u->email, st, 1);
	copy(u->fullname, sizeof u->fullname, st, 2);
	copy(u->role, sizeof u->role, st, 3);
	copy(u->status, sizeof u->status, st, 4);
	copy(u->title, sizeof u->title, st, 5);
	copy(u->department, sizeof u->department, st, 6);
	copy(u->avatar_url, sizeof u->avatar_url, st, 7);
	copy(u->bio, sizeof u->bio, st, 8);
	copy(u->timezone, sizeof u->timezone, st, 9);
	copy(u->language, sizeof u->language, st, 10);
	u->created_at = sqlite3_column_int64(st, 11);
	u->updated_at = sqlite3_column_int64(st, 12);
}

static void row_file(struct xsrc *x, sqlite3_stmt *st, struct tr_record *r)
{
	struct tr_file *f = &r->u.file;
	f->id = sqlite3_column_int64(st, 0);
	f->uploader = sqlite3_column_int64(st, 1);
	f->size = sqlite3_column_int64(st, 2);
	f->created_at = sqlite3_column_int64(st, 3);
	copy(f->sha256, sizeof f->sha256, st, 4);
	copy(f->ext, sizeof f->ext, st, 5);
	copy(f->mime_type, sizeof f->mime_type, st, 6);
	copy(f->filename, sizeof f->filename, st, 7);
}

static void row_avatar(struct xsrc *x, sqlite3_stmt *st, struct tr_record *r)
{
	r->u.avatar.user = sqlite3_column_int64(st, 0);
	r->u.avatar.file = sqlite3_column_int64(st, 1);
}

static void row_chat(struct xsrc *x, sqlite3_stmt *st, struct tr_record *r)
{
	struct tr_chat *c = &r->u.chat;
	c->id = sqlite3_column_int64(st, 0);
	c->created_by = sqlite3_column_int64(st, 1);
	c->last_activity_at = sqlite3_column_int64(st, 2);
	c->created_at = sqlite3_column_int64(st, 3);
	c->updated_at = sqlite3_column_int64(st, 4);
	copy(c->chat_type, sizeof c->chat_type, st, 5);
	copy(c->name, sizeof c->name, st, 6);
	copy(c->description, sizeof c->description, st, 7);
	/* single_key "lo:hi" (old user ids) comes out as the pair's numbers */
	c->pair[0] = sqlite3_column_int64(st, 8);
	c->pair[1] = sqlite3_column_int64(st, 9);
	if (c->pair[0] > c->pair[1]) {
		int64_t t = c->pair[0];
		c->pair[0] = c->pair[1];
		c->pair[1] = t;
	}
}

static void row_member(struct xsrc *x, sqlite3_stmt *st, struct tr_record *r)
{
	struct tr_member *m = &r->u.member;
	m->chat = sqlite3_column_int64(st, 0);
	m->user = sqlite3_column_int64(st, 1);
	m->joined_at = sqlite3_column_int64(st, 2);
	copy(m->role, sizeof m->role, st, 3);
}

static void row_message(struct xsrc *x, sqlite3_stmt *st, struct tr_record *r)
{
	struct tr_message *m = &r->u.message;
	m->id = sqlite3_column_int64(st, 0);
	m->chat = sqlite3_column_int64(st, 1);
	m->sender = sqlite3_column_int64(st, 2);
	m->reply_to = sqlite3_column_int64(st, 3);
	m->reply_count = sqlite3_column_int64(st, 4);
	m->created_at = sqlite3_column_int64(st, 5);
	m->edited_at = sqlite3_column_int64(st, 6);
	m->deleted_at = sqlite3_column_int64(st, 7);
	m->content = col(st, 8);
	copy(m->idempotency_key, sizeof m->idempotency_key, st, 9);
	m->mentions_all = sqlite3_column_int(st, 10);
	/* one array for both lists: mentions first, then files */
	size_t nm = id_list(x, col(st, 11), 0);
	size_t nf = id_list(x, col(st, 12), nm);
	m->mentions = x->ids;
	m->nmentions = nm;
	m->files = x->ids + nm;
	m->nfiles = nf;
}

static void row_reaction(struct xsrc *x, sqlite3_stmt *st, struct tr_record *r)
{
	struct tr_reaction *re = &r->u.reaction;
	re->message = sqlite3_column_int64(st, 0);
	re->user = sqlite3_column_int64(st, 1);
	re->created_at = sqlite3_column_int64(st, 2);
	copy(re->emoji, sizeof re->emoji, st, 3);
}

static void row_read(struct xsrc *x, sqlite3_stmt *st, struct tr_record *r)
{
	struct tr_read *rd = &r->u.read;
	rd->chat = sqlite3_column_int64(st, 0);
	rd->user = sqlite3_column_int64(st, 1);
	rd->message = sqlite3_column_int64(st, 2);
	rd->updated_at = sqlite3_column_int64(st, 3);
}

/* One query per record kind, in record order; ?1 is the workspace. */
static const struct {
	enum tr_kind kind;
	const char *what, *sql;
	void (*row)(struct xsrc *x, sqlite3_stmt *st, struct tr_record *r);
} walks[] = {
    {TR_USER, "users",
     "SELECT x.new, u.email, u.fullname, u.role, u.status, u.title, u.department, u.avatar_url, u.bio,"
     " u.timezone, u.language, u.created_at, u.updated_at FROM x_user x JOIN users u ON u.id = x.old"
     " ORDER BY x.new",
     row_user},
    {TR_FILE, "files",
     "SELECT x.new, xu.new, f.size, f.created_at, f.sha256, f.ext, f.mime_type, f.filename FROM x_file x"
     " JOIN files f ON f.id = x.old JOIN x_user xu ON xu.old = f.uploader_id ORDER BY x.new",
     row_file},
    {TR_AVATAR, "avatars",
     "SELECT x.new, xf.new FROM x_user x JOIN users u ON u.id = x.old JOIN x_file xf ON xf.old = "
     "u.avatar_file_id"
     " ORDER BY x.new",
     row_avatar},
    {TR_CHAT, "chats",
     "SELECT x.new, coalesce(xb.new, 0), c.last_activity_at, c.created_at, c.updated_at, c.chat_type, c.name,"
     " c.description,"
     " coalesce((SELECT new FROM x_user WHERE old = CAST(substr(c.single_key, 1, instr(c.single_key, ':') - "
     "1)"
     " AS INTEGER)), 0),"
     " coalesce((SELECT new FROM x_user WHERE old = CAST(substr(c.single_key, instr(c.single_key, ':') + 1)"
     " AS INTEGER)), 0)"
     " FROM x_chat x JOIN chats c ON c.id = x.old LEFT JOIN x_user xb ON xb.old = c.created_by ORDER BY "
     "x.new",
     row_chat},
    {TR_MEMBER, "members",
     "SELECT xc.new, xu.new, cm.joined_at, cm.role FROM chat_members cm JOIN x_chat xc ON xc.old = cm.chat_id"
     " JOIN x_user xu ON xu.old = cm.user_id ORDER BY xc.new, cm.joined_at, xu.new",
     row_member},
    {TR_MESSAGE, "messages",
     "SELECT x.new, xc.new, xu.new, coalesce(xr.new, 0), m.reply_count, m.created_at, coalesce(m.edited_at, "
     "0),"
     " coalesce(m.deleted_at, 0), m.content, coalesce(m.idempotency_key, ''), m.mentions_all,"
     " (SELECT group_concat(n) FROM (SELECT xm.new AS n FROM mentions mn JOIN x_user xm ON xm.old = "
     "mn.user_id"
     " WHERE mn.message_id = m.id ORDER BY xm.new)),"
     " (SELECT group_concat(n) FROM (SELECT xf.new AS n FROM message_files mf JOIN x_file xf ON xf.old = "
     "mf.file_id"
     " WHERE mf.message_id = m.id ORDER BY xf.new))"
     " FROM x_msg x JOIN messages m ON m.id = x.old JOIN x_chat xc ON xc.old = m.chat_id"
     " JOIN x_user xu ON xu.old = m.sender_id LEFT JOIN x_msg xr ON xr.old = m.reply_to ORDER BY x.new",
     row_message},
    {TR_REACTION, "reactions",
     "SELECT xm.new, xu.new, r.created_at, r.emoji FROM x_msg xm JOIN reactions r ON r.message_id = xm.old"
     " JOIN x_user xu ON xu.old = r.user_id ORDER BY xm.new, r.created_at, r.emoji, xu.new",
     row_reaction},
    {TR_READ, "read markers",
     /* a marker may sit on any id up to the chat's last message: it becomes
      * the chat's newest exported message at or below it */
     "SELECT xc.new, xu.new, coalesce((SELECT xm.new FROM messages m JOIN x_msg xm ON xm.old = m.id"
     " WHERE m.chat_id = rm.chat_id AND m.id <= rm.message_id ORDER BY m.id DESC LIMIT 1), 0), rm.updated_at"
     " FROM read_markers rm JOIN x_chat xc ON xc.old = rm.chat_id JOIN x_user xu ON xu.old = rm.user_id"
     " ORDER BY xc.new, xu.new",
     row_read},
};

/* The numbering tables: rows are numbered in insertion (= id) order. */
static const char *numbering =
    "CREATE TEMP TABLE x_user(new INTEGER PRIMARY KEY, old INTEGER NOT NULL UNIQUE);"
    "CREATE TEMP TABLE x_file(new INTEGER PRIMARY KEY, old INTEGER NOT NULL UNIQUE);"
    "CREATE TEMP TABLE x_chat(new INTEGER PRIMARY KEY, old INTEGER NOT NULL UNIQUE);"
    "CREATE TEMP TABLE x_msg(new INTEGER PRIMARY KEY, old INTEGER NOT NULL UNIQUE);";

static const char *fills[] = {
    "INSERT INTO x_user(old) SELECT id FROM users WHERE workspace_id = ?1 ORDER BY id",
    "INSERT INTO x_file(old) SELECT f.id FROM files f JOIN x_user x ON x.old = f.uploader_id ORDER BY f.id",
    "INSERT INTO x_chat(old) SELECT id FROM chats WHERE workspace_id = ?1 ORDER BY id",
    "INSERT INTO x_msg(old) SELECT m.id FROM messages m JOIN x_chat x ON x.old = m.chat_id ORDER BY m.id",
};

static int run_fill(struct xsrc *x, const char *sql)
{
	sqlite3_stmt *st = prep(x, sql);
	int rc = st ? sqlite3_step(st) : SQLITE_ERROR;
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int walk(struct xsrc *x, tr_record_fn fn, void *arg, char *err, size_t errlen)
{
	struct tr_record r;
	int rc;
	memset(&r, 0, sizeof r);
	r.kind = TR_HEADER;
	r.u.header.version = TR_VERSION;
	r.u.header.users = scalar(x, "SELECT count(*) FROM x_user");
	r.u.header.chats = scalar(x, "SELECT count(*) FROM x_chat");
	r.u.header.messages = scalar(x, "SELECT count(*) FROM x_msg");
	if ((rc = fn(&r, arg)))
		return rc;
	memset(&r, 0, sizeof r);
	r.kind = TR_WORKSPACE;
	sqlite3_stmt *st =
	    prep(x, "SELECT w.name, coalesce((SELECT new FROM x_user WHERE old = w.owner_id), 0),"
	            " w.created_at FROM workspaces w WHERE w.id = ?1");
	if (!st || sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return fail(x, err, errlen, "workspace");
	}
	copy(r.u.workspace.name, sizeof r.u.workspace.name, st, 0);
	r.u.workspace.owner = sqlite3_column_int64(st, 1);
	r.u.workspace.created_at = sqlite3_column_int64(st, 2);
	sqlite3_finalize(st);
	if ((rc = fn(&r, arg)))
		return rc;
	for (size_t k = 0; k < sizeof walks / sizeof walks[0]; k++) {
		if (!(st = prep(x, walks[k].sql)))
			return fail(x, err, errlen, walks[k].what);
		int s;
		while ((s = sqlite3_step(st)) == SQLITE_ROW) {
			memset(&r, 0, sizeof r);
			r.kind = walks[k].kind;
			walks[k].row(x, st, &r);
			if ((rc = fn(&r, arg))) {
				sqlite3_finalize(st);
				return rc;
			}
		}
		if (s != SQLITE_DONE) {
			fail(x, err, errlen, walks[k].what);
			sqlite3_finalize(st);
			return -1;
		}
		sqlite3_finalize(st);
	}
	memset(&r, 0, sizeof r);
	r.kind = TR_END;
	return fn(&r, arg);
}

static int xsrc_each(void *impl, tr_record_fn fn, void *arg, char *err, size_t errlen)
{
	struct xsrc *x = impl;
	if (sqlite3_exec(x->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return fail(x, err, errlen, "begin");
	int rc = 0;
	if (sqlite3_exec(x->db, numbering, NULL, NULL, NULL) != SQLITE_OK)
		rc = fail(x, err, errlen, "numbering");
	for (size_t i = 0; !rc && i < sizeof fills / sizeof fills[0]; i++)
		if (run_fill(x, fills[i]))
			rc = fail(x, err, errlen, "numbering");
	if (!rc)
		rc = walk(x, fn, arg, err, errlen);
	sqlite3_exec(x->db, "ROLLBACK", NULL, NULL, NULL); /* read only: nothing to keep */
	sqlite3_exec(x->db,
	             "DROP TABLE IF EXISTS x_user; DROP TABLE IF EXISTS x_file;"
	             " DROP TABLE IF EXISTS x_chat; DROP TABLE IF EXISTS x_msg;",
	             NULL, NULL, NULL);
	return rc;
}

static void xsrc_close(void *impl)
{
	struct xsrc *x = impl;
	if (!x)
		return;
	sqlite3_close(x->db);
	free(x->ids);
	free(x);
}

static const struct tr_source_ops xsrc_ops = {.each = xsrc_each, .close = xsrc_close};

int sqlite_export_open(const char *path, int64_t workspace_id, struct tr_source *out, char *err,
                       size_t errlen)
{
	struct xsrc *x = xcalloc(1, sizeof *x);
	int rc = -1;
	if (sqlite3_open_v2(path, &x->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "export: cannot open %s: %s", path,
		         x->db ? sqlite3_errmsg(x->db) : "no memory");
		goto out;
	}
	sqlite3_busy_timeout(x->db, 10000);
	/* the numbering tables go to a temporary file, not to memory */
	if (sqlite3_exec(x->db, "PRAGMA temp_store = FILE; PRAGMA cache_size = -2000", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		fail(x, err, errlen, "configure");
		goto out;
	}
	int64_t n = scalar(x, "SELECT count(*) FROM workspaces");
	if (n < 0) {
		fail(x, err, errlen, "no workspaces table (not a fechatter database?)");
		goto out;
	}
	if (!workspace_id) {
		if (n != 1) {
			snprintf(err, errlen,
			         n ? "the appliance holds %lld workspaces: choose one with --workspace ID"
			           : "the appliance holds no workspace: nothing to export",
			         (long long)n);
			rc = TR_EINPUT;
			goto out;
		}
		workspace_id = scalar(x, "SELECT id FROM workspaces");
	}
	x->ws = workspace_id;
	if (scalar(x, "SELECT count(*) FROM workspaces WHERE id = ?1") != 1) {
		snprintf(err, errlen, "no workspace with id %lld", (long long)workspace_id);
		rc = TR_EINPUT;
		goto out;
	}
	out->ops = &xsrc_ops;
	out->impl = x;
	return 0;
out:
	xsrc_close(x);
	return rc;
}
