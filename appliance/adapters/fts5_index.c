/* adapters/fts5_index: scoped tokens and the index's maintenance. */
#include <stdio.h>
#include <string.h>
#include "adapters/fts5_index.h"
#include "lib/utf8.h"

/* Code point at s; *len gets its byte length. Queries may hold any bytes:
 * a byte that starts no well-formed sequence counts alone (U+FFFD), so a
 * cut sequence never steps over the terminating NUL. */
static uint32_t cp_at(const unsigned char *s, size_t *len)
{
	return utf8_decode((const char *)s, len);
}

/* Letters and digits FTS5's unicode61 surely keeps inside a token; when in
 * doubt a character separates (queries are cut the same way, so a doubt
 * costs nothing but a split word). */
static int word_char(uint32_t c)
{
	if (c < 0x80)
		return (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z');
	return (c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7) || (c >= 0x300 && c <= 0x36F) ||
	       (c >= 0x386 && c <= 0x3FF && c != 0x387) || (c >= 0x400 && c <= 0x481) || (c >= 0x48A && c <= 0x52F) ||
	       (c >= 0x5D0 && c <= 0x5EA) || (c >= 0x620 && c <= 0x64A) || (c >= 0x1E00 && c <= 0x1FFF) ||
	       (c >= 0x3040 && c <= 0x30FF && c != 0x30FB) || (c >= 0x3400 && c <= 0x4DBF) ||
	       (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xAC00 && c <= 0xD7AF) || (c >= 0xF900 && c <= 0xFAFF);
}

void fts5_words(const char *text, void (*fn)(const char *w, size_t n, void *arg), void *arg)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, len;
	while (s[i]) {
		while (s[i] && !word_char(cp_at(s + i, &len)))
			i += len;
		size_t start = i;
		while (s[i] && word_char(cp_at(s + i, &len)))
			i += len;
		if (i > start)
			fn(text + start, i - start, arg);
	}
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

static int write_row(sqlite3 *db, int del, int64_t id, int64_t chat_id, const char *content, const char *sender)
{
	struct buf body = {0}, who = {0};
	fts5_scoped_text(chat_id, content ? content : "", &body);
	fts5_scoped_text(chat_id, sender ? sender : "", &who);
	sqlite3_stmt *st = NULL;
	const char *sql = del ? "INSERT INTO messages_scoped(messages_scoped, rowid, body, who) VALUES ('delete', ?, ?, ?)"
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
	int rc = sqlite3_exec(db, "INSERT INTO messages_scoped(messages_scoped) VALUES ('delete-all')", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "SELECT id, chat_id, content, sender_name FROM messages WHERE deleted_at IS NULL",
					-1, &st, NULL);
	while (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		rc = fts5_index_add(db, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
				    (const char *)sqlite3_column_text(st, 2), (const char *)sqlite3_column_text(st, 3));
	sqlite3_finalize(st);
	return rc;
}
