/* adapters/fts5_index: the chat-scoped word index messages_scoped (FTS5,
 * contentless). Every word is indexed as "k<chat_id>x<word>", so a search
 * asks FTS5 only for the caller's chats' tokens: the doclists it reads hold
 * nothing but matches in those chats, whatever the size of the database.
 * Words are cut by adapters/fts5_tokenize (unicode61 made to keep marks,
 * bigrams for unspaced scripts), for messages, queries and snippets alike;
 * the table's own tokenizer ("ascii") only splits the space-separated
 * tokens written here again, unchanged. */
#ifndef FE_FTS5_INDEX_H
#define FE_FTS5_INDEX_H
#include <sqlite3.h>
#include <stdint.h>
#include "lib/buf.h"

/* Appends to out the scoped tokens of text for chat_id, space-separated. */
void fts5_scoped_text(int64_t chat_id, const char *text, struct buf *out);

/* Calls fn(token, len, arg) for each token fts5_tokenize makes of text as
 * a document, in order (token: folded, not NUL-terminated, valid during
 * the call only). */
void fts5_words(const char *text, void (*fn)(const char *w, size_t n, void *arg), void *arg);

/* Adds / removes one message (same values as when it was added). Inside the
 * caller's transaction. Returns an SQLite result code. */
int fts5_index_add(sqlite3 *db, int64_t id, int64_t chat_id, const char *content, const char *sender);
int fts5_index_remove(sqlite3 *db, int64_t id, int64_t chat_id, const char *content, const char *sender);

/* Re-creates the whole index from the messages table. */
int fts5_index_rebuild(sqlite3 *db);

#endif
