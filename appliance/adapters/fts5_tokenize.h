/* adapters/fts5_tokenize: the one tokenizer of search. Index tokens, query
 * tokens and snippet offsets all come from here, so they cannot disagree.
 *
 * It is FTS5's own unicode61 (remove_diacritics 2), reached through
 * fts5_api, with these changes:
 * - combining marks stay inside words (categories L* N* Co M*): unicode61
 *   alone cuts Devanagari, Bengali, Tamil, Thai or vowelled Arabic at every
 *   vowel sign; ZWJ/ZWNJ stay inside words too (Persian, Indic);
 * - then each word is folded: Arabic vowel marks (harakat), tatweel and
 *   Quranic marks dropped and alef/yeh/teh marbuta forms unified (as
 *   Lucene's Arabic normaliser does), Hebrew points dropped, Greek tonos and
 *   dialytika removed, fullwidth ASCII made ASCII, ZWJ/ZWNJ and variation
 *   selectors dropped; a word left empty is no token;
 * - runs of scripts written without spaces (Han, Hiragana, Katakana, Thai,
 *   Lao, Khmer, Myanmar) become overlapping bigrams of code points, so any
 *   substring of two or more characters is found. In a document a run also
 *   yields its last character alone, so every character starts a token (a
 *   one-character query is a prefix query).
 * Tokens are valid UTF-8 whose only ASCII bytes are lower-case letters and
 * digits. */
#ifndef FE_FTS5_TOKENIZE_H
#define FE_FTS5_TOKENIZE_H
#include <stddef.h>

enum fts5_tok_mode {
	FTS5_TOK_DOCUMENT, /* text to index (or to mark in a snippet) */
	FTS5_TOK_QUERY     /* one search term: a run's last character alone only when more follows */
};

/* Token flags. */
#define FTS5_TOK_GRAM 1   /* from a run without spaces (a bigram or a lone character) */
#define FTS5_TOK_PREFIX 2 /* query: a lone character that ends the term, to be matched as a prefix */

/* Called for each token in order: tok[0..n) (not NUL-terminated, valid only
 * during the call) and the bytes text[start..end) it came from. */
typedef void (*fts5_tok_fn)(void *arg, const char *tok, size_t n, size_t start, size_t end, int flags);

/* Tokenizes text[0..len) (any bytes: what is not UTF-8 separates). Returns
 * 0, or -1 when FTS5's unicode61 tokenizer cannot be reached (an SQLite
 * built without FTS5; fn was not called). Thread-safe: each thread uses its
 * own unicode61 instance, freed when the thread ends. */
int fts5_tokenize(const char *text, size_t len, enum fts5_tok_mode mode, fts5_tok_fn fn, void *arg);

#endif
