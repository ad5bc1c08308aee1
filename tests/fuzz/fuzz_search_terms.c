/* tests/fuzz/fuzz_search_terms: the pure half of search, fast enough for
 * tens of millions of runs: core/search's parser (search_parse) and what
 * the FTS5 adapters make of each term: its words (fts5_words, which the
 * MATCH expression quotes, so a word must never hold a quote or a space),
 * the scoped tokens (fts5_scoped_text) and the folded words the snippets
 * compare (utf8_fold_plain in place). Same input as fuzz_search: an options
 * byte (ignored here), then the query string. The database half is
 * fuzz_search. */
#include "adapters/fts5_index.h"
#include "core/search.h"
#include "fuzz.h"
#include "lib/buf.h"
#include "lib/utf8.h"
#include "ports/search.h"

struct words {
	const char *term;
	size_t tlen;
	int n;
};

static void word(const char *w, size_t n, void *arg)
{
	struct words *ws = arg;
	CHECK(n > 0 && w >= ws->term && w + n <= ws->term + ws->tlen); /* inside the term */
	for (size_t i = 0; i < n; i++)
		CHECK(w[i] != '"' && w[i] != ' ' && w[i] != '*' && (unsigned char)w[i] >= 0x30);
	if (n < 101) { /* the adapters keep words below MAX_WORD (101) bytes */
		char copy[101];
		memcpy(copy, w, n);
		copy[n] = 0;
		utf8_fold_plain(copy, copy, sizeof copy);
		CHECK(strlen(copy) <= n && !strchr(copy, '"'));
	}
	ws->n++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	char *q = fuzz_str(data + 1, size - 1 > 2047 ? 2047 : size - 1);
	struct search_term terms[16];
	size_t n = search_parse(q, terms, 16);
	CHECK(n <= 16);
	for (size_t i = 0; i < n; i++) {
		const char *t = terms[i].text;
		size_t l = strlen(t);
		CHECK(l > 0 && l <= 100 && !strchr(t, '"') && strstr(q, t));
		if (!terms[i].phrase)
			CHECK(!strpbrk(t, " \t\r\n"));
		CHECK(!terms[i].prefix || (i == n - 1 && !terms[i].phrase));
		struct words ws = {t, l, 0};
		fts5_words(t, word, &ws);
		struct buf b = {0};
		fts5_scoped_text(42, t, &b);
		CHECK(!ws.n || (b.p && !strncmp(b.p, "k42x", 4) && !strchr(b.p, '"')));
		buf_free(&b);
	}
	search_terms_free(terms, n);
	free(q);
	return 0;
}
