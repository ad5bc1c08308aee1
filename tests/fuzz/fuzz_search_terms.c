/* tests/fuzz/fuzz_search_terms: the pure half of search, fast enough for
 * tens of millions of runs: core/search's parser (search_parse) and what
 * the FTS5 adapters make of each term: its tokens (adapters/fts5_tokenize,
 * as a query and as a document: the MATCH expression quotes them and the
 * "ascii" table tokenizer must keep each one whole, so a token holds no
 * ASCII byte but lower-case letters and digits, and is valid UTF-8; its
 * offsets lie inside the term, in order) and the scoped tokens
 * (fts5_scoped_text). Then the whole parser (search_parse_query): filters
 * hold names that occur in the query, at most SEARCH_MAX_NAMES each, never
 * empty; date bounds are whole UTC days; an error names a date operator or
 * from/in; excluded terms are never the prefix; each name applied again as
 * a parameter (search_filter_apply) is accepted. Same input as fuzz_search:
 * an options byte (ignored here), then the query string. The database half
 * is fuzz_search. */
#include "fuzz.h"
#include "adapters/fts5_index.h"
#include "adapters/fts5_tokenize.h"
#include "core/search.h"
#include "lib/buf.h"
#include "lib/utf8.h"
#include "ports/search.h"

struct toks {
	size_t tlen, last_start;
	int n, prefix;
};

static void token(void *arg, const char *t, size_t n, size_t start, size_t end, int flags)
{
	struct toks *k = arg;
	CHECK(n > 0 && utf8_valid(t, n));
	for (size_t i = 0; i < n; i++)
		CHECK((unsigned char)t[i] >= 0x80 || (t[i] >= '0' && t[i] <= '9') ||
		      (t[i] >= 'a' && t[i] <= 'z'));
	CHECK(start < end && end <= k->tlen && start >= k->last_start); /* inside the term, in order */
	CHECK(!k->prefix);                                              /* a prefix token comes last */
	k->prefix = !!(flags & FTS5_TOK_PREFIX);
	k->last_start = start;
	k->n++;
}

static void word(const char *w, size_t n, void *arg)
{
	CHECK(n > 0 && !memchr(w, '"', n) && !memchr(w, ' ', n));
	(*(int *)arg)++;
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
		struct toks qk = {l, 0, 0, 0}, dk = {l, 0, 0, 0};
		CHECK(!fts5_tokenize(t, l, FTS5_TOK_QUERY, token, &qk));
		CHECK(!fts5_tokenize(t, l, FTS5_TOK_DOCUMENT, token, &dk));
		int nw = 0;
		fts5_words(t, word, &nw);
		CHECK(nw == dk.n && qk.n <= dk.n);
		struct buf b = {0};
		fts5_scoped_text(42, t, &b);
		CHECK(!nw || (b.p && !strncmp(b.p, "k42x", 4) && !strchr(b.p, '"')));
		buf_free(&b);
	}
	search_terms_free(terms, n);

	struct search_parsed p;
	const char *field = NULL;
	int rc = search_parse_query(q, &p, &field);
	CHECK(p.nterms <= SEARCH_MAX_TERMS);
	CHECK(p.f.nfrom <= SEARCH_MAX_NAMES && p.f.nin <= SEARCH_MAX_NAMES);
	if (rc) {
		CHECK(rc == FE_EINVAL && field);
		CHECK(!strcmp(field, "before") || !strcmp(field, "after") || !strcmp(field, "on") ||
		      !strcmp(field, "from") || !strcmp(field, "in"));
	} else {
		CHECK(p.nterms >= n); /* the terms-only parse drops nothing but filters */
		CHECK(!p.f.after_ms || p.f.after_ms == -1 || (p.f.after_ms + 1) % 86400000 == 0);
		CHECK(!p.f.before_ms || p.f.before_ms == 1 || p.f.before_ms % 86400000 == 0);
		struct search_filters again = {0};
		for (int i = 0; i < p.f.nfrom; i++) {
			const struct search_name *nm = &p.f.from[i];
			CHECK(nm->text[0] && strlen(nm->text) < SEARCH_NAME_BYTES);
			CHECK(nm->kind == SEARCH_NAME_USER || nm->kind == SEARCH_NAME_ME);
			if (nm->kind == SEARCH_NAME_USER && nm->text[0] != '@')
				CHECK(!search_filter_apply(&again, "from", nm->text) ||
				      again.nfrom == SEARCH_MAX_NAMES);
		}
		for (int i = 0; i < p.f.nin; i++) {
			const struct search_name *nm = &p.f.in[i];
			CHECK(nm->text[0] && strlen(nm->text) < SEARCH_NAME_BYTES);
			CHECK(nm->kind == SEARCH_NAME_CHANNEL || nm->kind == SEARCH_NAME_DM);
		}
	}
	for (size_t i = 0; i < p.nterms; i++) {
		CHECK(p.terms[i].text && strlen(p.terms[i].text) <= 100);
		CHECK(!p.terms[i].exclude || !p.terms[i].prefix);
	}
	search_parsed_free(&p);
	free(q);
	return 0;
}
