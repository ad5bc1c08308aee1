/* adapters/fts5_index: scoped tokens and the index's maintenance. */
#include <stdio.h>
#include <string.h>
#include "adapters/fts5_index.h"
#include "adapters/fts5_tokenize.h"

struct words {
	void (*fn)(const char *w, size_t n, void *arg);
	void *arg;
};

static void word(void *arg, const char *t, size_t n, size_t start, size_t end, int flags)
{
	(void)start, (void)end, (void)flags;
	struct words *w = arg;
	w->fn(t, n, w->arg);
}

void fts5_words(const char *text, void (*fn)(const char *w, size_t n, void *arg), void *arg)
{
	struct words w = {fn, arg};
	fts5_tokenize(text, strlen(text), FTS5_TOK_DOCUMENT, word, &w);
}

struct scoped {
	struct buf *out;
	char prefix[32];
};

static void add_scoped(const char *w, size_t n, void *arg)
{
	struct scoped *sc = arg;
	if (sc->out->len)
		buf_add(sc->out, " ");
	buf_add(sc->out, sc->prefix);
	buf_addn(sc->out, w, n);
}

void fts5_scoped_text(int64_t chat_id, const char *text, struct buf *out)
{
	struct scoped sc = {out, ""};
	snprintf(sc.prefix, sizeof sc.prefix, "k%lldx", (long long)chat_id);
	fts5_words(text, add_scoped, &sc);
}

static int write_row(sqlite3 *db, int del, int64_t id, int64_t chat_id, const char *content,
                     const char *sender)
{
	struct buf body = {0}, who = {0};
	fts5_scoped_text(chat_id, content ? content : "", &body);
	fts5_scoped_text(chat_id, sender ? sender : "", &who);
	sqlite3_stmt *st = NULL;
	const char *sql =
	    del ? "INSERT INTO messages_scoped(messages_scoped, rowid, body, who) VALUES ('delete', ?, ?, ?)"
	        : "INSERT INTO messages_scoped(rowid, body, who) VALUES (?, ?, ?)";
	int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, body.p ? body.p : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, who.p ? who.p : "", -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	sqlite3_finalize(st);
	buf_free(&body);
	buf_free(&who);
	return rc;
}

int fts5_index_add(sqlite3 *db, int64_t id, int64_t chat_id, const char *content, const char *sender)
{
	return write_row(db, 0, id, chat_id, content, sender);
}

int fts5_index_remove(sqlite3 *db, int64_t id, int64_t chat_id, const char *content, const char *sender)
{
	return write_row(db, 1, id, chat_id, content, sender);
}

int fts5_index_rebuild(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_exec(db, "INSERT INTO messages_scoped(messages_scoped) VALUES ('delete-all')", NULL,
	                      NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(
		    db, "SELECT id, chat_id, content, sender_name FROM messages WHERE deleted_at IS NULL", -1,
		    &st, NULL);
	while (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		rc = fts5_index_add(db, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
		                    (const char *)sqlite3_column_text(st, 2),
		                    (const char *)sqlite3_column_text(st, 3));
	sqlite3_finalize(st);
	return rc;
}
