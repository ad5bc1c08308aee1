/* tests/unit/test_search: what people type (core/search: search_parse) and
 * the FTS5 adapter (adapters/fts5_search) end to end on a real temp-file
 * database: the store applies the schema with the search tables and its
 * triggers; rows go in through the store port; the adapter searches on its
 * own read-only connection from the test thread. */
#define TESTAPP_STORE_ONLY /* the adapter alone, no app */
#include <sqlite3.h>
#include "testapp.h"
#include "adapters/fts5_search.h"
#include "core/search.h"
#include "lib/buf.h"
#include "lib/timefmt.h"
#include "ports/search.h"

#define S (st.ops)
#define SI (st.impl)

/* ---- search_parse ---- */

struct parsed {
	struct search_term t[20];
	size_t n;
};

static struct parsed parse(const char *q, size_t max)
{
	struct parsed p;
	memset(&p, 0, sizeof p);
	p.n = search_parse(q, p.t, max);
	assert_true(p.n <= max);
	return p;
}

static void term_is(const struct parsed *p, size_t i, const char *text, int phrase, int prefix)
{
	assert_true(i < p->n);
	assert_string_equal(p->t[i].text, text);
	assert_int_equal(p->t[i].phrase, phrase);
	assert_int_equal(p->t[i].prefix, prefix);
}

static void done_parse(struct parsed *p)
{
	search_terms_free(p->t, p->n);
}

static void test_parse_words(void **state)
{
	struct parsed p = parse("hello world", 16);
	assert_int_equal(p.n, 2);
	term_is(&p, 0, "hello", 0, 0);
	term_is(&p, 1, "world", 0, 1); /* the word being typed */
	done_parse(&p);

	p = parse("hello world ", 16); /* finished typing */
	assert_int_equal(p.n, 2);
	term_is(&p, 1, "world", 0, 0);
	done_parse(&p);

	p = parse("  \tdeplo", 16);
	assert_int_equal(p.n, 1);
	term_is(&p, 0, "deplo", 0, 1);
	done_parse(&p);

	p = parse("one\ttwo\nthree\r\nfour ", 16);
	assert_int_equal(p.n, 4);
	term_is(&p, 0, "one", 0, 0);
	term_is(&p, 1, "two", 0, 0);
	term_is(&p, 2, "three", 0, 0);
	term_is(&p, 3, "four", 0, 0);
	done_parse(&p);

	p = parse("Café naïve 東京", 16);
	assert_int_equal(p.n, 3);
	term_is(&p, 0, "Café", 0, 0);
	term_is(&p, 1, "naïve", 0, 0);
	term_is(&p, 2, "東京", 0, 1);
	done_parse(&p);

	p = parse("", 16);
	assert_int_equal(p.n, 0);
	p = parse("   \t ", 16);
	assert_int_equal(p.n, 0);
}

static void test_parse_phrases(void **state)
{
	struct parsed p = parse("say \"exact phrase\" now", 16);
	assert_int_equal(p.n, 3);
	term_is(&p, 0, "say", 0, 0);
	term_is(&p, 1, "exact phrase", 1, 0);
	term_is(&p, 2, "now", 0, 1);
	done_parse(&p);

	p = parse("say \"exact phrase\"", 16); /* ends with a quote: no prefix */
	assert_int_equal(p.n, 2);
	term_is(&p, 0, "say", 0, 0);
	term_is(&p, 1, "exact phrase", 1, 0);
	done_parse(&p);

	p = parse("\"a b\"\"c d\"", 16); /* two phrases back to back */
	assert_int_equal(p.n, 2);
	term_is(&p, 0, "a b", 1, 0);
	term_is(&p, 1, "c d", 1, 0);
	done_parse(&p);

	p = parse("\"\" \"!!!\" \"  \" x", 16); /* empty and punctuation-only phrases dropped */
	assert_int_equal(p.n, 1);
	term_is(&p, 0, "x", 0, 1);
	done_parse(&p);
}

static void test_parse_unbalanced_quote(void **state)
{
	struct parsed p = parse("say \"unbalanced", 16);
	assert_int_equal(p.n, 2);
	term_is(&p, 0, "say", 0, 0);
	term_is(&p, 1, "unbalanced", 0, 1);
	done_parse(&p);

	p = parse("\"", 16);
	assert_int_equal(p.n, 0);

	p = parse("\"a b\" \"c", 16); /* a phrase, then a lone quote */
	assert_int_equal(p.n, 2);
	term_is(&p, 0, "a b", 1, 0);
	term_is(&p, 1, "c", 0, 1);
	done_parse(&p);

	p = parse("hello \"", 16); /* ends with a quote: hello is finished */
	assert_int_equal(p.n, 1);
	term_is(&p, 0, "hello", 0, 0);
	done_parse(&p);
}

/* A word followed directly by a stray closing quote: the query ends with a
 * quote, so the word is not the one being typed. */
static void test_parse_trailing_quote_after_word(void **state)
{
	struct parsed p = parse("deploy\"", 16);
	char text[16] = "";
	int n = (int)p.n, phrase = -1, prefix = -1;
	if (p.n) {
		snprintf(text, sizeof text, "%s", p.t[0].text);
		phrase = p.t[0].phrase;
		prefix = p.t[0].prefix;
	}
	done_parse(&p);
	assert_int_equal(n, 1);
	assert_string_equal(text, "deploy");
	assert_int_equal(phrase, 0);
	assert_int_equal(prefix, 0);
}

/* ---- search_parse_query: filters ---- */

struct pq {
	struct search_parsed p;
	int rc;
	const char *field;
};

static struct pq pq(const char *q)
{
	struct pq r;
	memset(&r, 0, sizeof r);
	r.rc = search_parse_query(q, &r.p, &r.field);
	assert_true(r.p.nterms <= SEARCH_MAX_TERMS);
	return r;
}

static void test_parse_filters(void **state)
{
	int64_t d;
	struct pq r = pq("deploy from:@ann in:#general has:file has:LINK before:2026-12-01 after:2026-11-01");
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.p.nterms, 1);
	assert_string_equal(r.p.terms[0].text, "deploy");
	assert_int_equal(r.p.terms[0].prefix, 0); /* the query ended with a filter */
	assert_int_equal(r.p.f.nfrom, 1);
	assert_int_equal(r.p.f.from[0].kind, SEARCH_NAME_USER);
	assert_string_equal(r.p.f.from[0].text, "ann");
	assert_int_equal(r.p.f.nin, 1);
	assert_int_equal(r.p.f.in[0].kind, SEARCH_NAME_CHANNEL);
	assert_string_equal(r.p.f.in[0].text, "general");
	assert_true(r.p.f.has_file && r.p.f.has_link);
	assert_int_equal(search_date("2026-12-01", 10, &d), 0);
	assert_int_equal(d, 1796083200000LL); /* date -u -d 2026-12-01 +%s */
	assert_int_equal(r.p.f.before_ms, d);
	assert_int_equal(search_date("2026-11-01", 10, &d), 0);
	assert_int_equal(r.p.f.after_ms, d + 86400000 - 1); /* after the day ends */
	search_parsed_free(&r.p);

	r = pq("FROM:me In:@bob on:2024-02-29 x");
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.p.f.from[0].kind, SEARCH_NAME_ME);
	assert_int_equal(r.p.f.in[0].kind, SEARCH_NAME_DM);
	assert_string_equal(r.p.f.in[0].text, "bob");
	assert_int_equal(search_date("2024-02-29", 10, &d), 0);
	assert_int_equal(r.p.f.after_ms, d - 1);
	assert_int_equal(r.p.f.before_ms, d + 86400000);
	assert_int_equal(r.p.nterms, 1);
	assert_int_equal(r.p.terms[0].prefix, 1);
	search_parsed_free(&r.p);

	/* quoted names, unicode names, @me is a user called me */
	r = pq("from:\"Ann Lee\" from:@\"Zoë Ørsted\" in:#\"road map\" from:@me from:Émile");
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.p.nterms, 0);
	assert_int_equal(r.p.f.nfrom, 4);
	assert_string_equal(r.p.f.from[0].text, "Ann Lee");
	assert_string_equal(r.p.f.from[1].text, "Zoë Ørsted");
	assert_int_equal(r.p.f.from[2].kind, SEARCH_NAME_USER);
	assert_string_equal(r.p.f.from[2].text, "me");
	assert_string_equal(r.p.f.from[3].text, "Émile");
	assert_string_equal(r.p.f.in[0].text, "road map");
	search_parsed_free(&r.p);

	/* exclusions */
	r = pq("deploy -friday -\"staging server\" -");
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.p.nterms, 3);
	assert_int_equal(r.p.terms[0].exclude, 0);
	assert_int_equal(r.p.terms[1].exclude, 1);
	assert_string_equal(r.p.terms[1].text, "friday");
	assert_int_equal(r.p.terms[2].exclude, 1);
	assert_int_equal(r.p.terms[2].phrase, 1);
	assert_string_equal(r.p.terms[2].text, "staging server");
	search_parsed_free(&r.p);
	r = pq("-deplo"); /* an excluded word is never the prefix being typed */
	assert_int_equal(r.p.nterms, 1);
	assert_int_equal(r.p.terms[0].prefix, 0);
	assert_int_equal(r.p.terms[0].exclude, 1);
	search_parsed_free(&r.p);
}

static void test_parse_filter_edges(void **state)
{
	/* empty, unknown and malformed operators are plain words */
	struct pq r = pq("from: in:# in:@ has: has:cake foo:bar -from:ann");
	assert_int_equal(r.rc, 0);
	assert_false(search_filters_any(&r.p.f));
	assert_int_equal(r.p.nterms, 7);
	assert_string_equal(r.p.terms[0].text, "from:");
	assert_string_equal(r.p.terms[1].text, "in:#");
	assert_string_equal(r.p.terms[4].text, "has:cake");
	assert_string_equal(r.p.terms[5].text, "foo:bar");
	assert_string_equal(r.p.terms[6].text, "from:ann");
	assert_int_equal(r.p.terms[6].exclude, 1);
	search_parsed_free(&r.p);

	/* only filters: no terms */
	r = pq("from:@ann has:file");
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.p.nterms, 0);
	assert_true(search_filters_any(&r.p.f));
	search_parsed_free(&r.p);

	/* an operator inside a word is not one; nested and stray quotes */
	r = pq("xfrom:ann \"a \"b\" c\" from:\"unclosed");
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.p.f.nfrom, 0);
	assert_string_equal(r.p.terms[0].text, "xfrom:ann");
	search_parsed_free(&r.p);

	/* bad dates name the operator */
	const char *bad[] = {"before:2026-13-01", "after:2026-02-29",  "on:2026-2-3", "on:yesterday",
	                     "before:1969-12-31", "after:2026-12-01x", "on:",         "ON:0000-00-00"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		r = pq(bad[i]);
		if (!strcmp(bad[i], "on:")) { /* empty: a plain word */
			assert_int_equal(r.rc, 0);
		} else {
			assert_int_equal(r.rc, FE_EINVAL);
			assert_true(!strncasecmp(bad[i], r.field, strlen(r.field)));
		}
		search_parsed_free(&r.p);
	}

	/* at most SEARCH_MAX_NAMES names per operator */
	r = pq("from:a from:b from:c from:d from:e");
	assert_int_equal(r.rc, FE_EINVAL);
	assert_string_equal(r.field, "from");
	search_parsed_free(&r.p);

	/* tightening: the later before: wins when earlier, never widens */
	r = pq("before:2026-12-01 before:2026-12-31 after:2026-01-01 after:2025-01-01");
	int64_t d;
	assert_int_equal(search_date("2026-12-01", 10, &d), 0);
	assert_int_equal(r.p.f.before_ms, d);
	assert_int_equal(search_date("2026-01-01", 10, &d), 0);
	assert_int_equal(r.p.f.after_ms, d + 86400000 - 1);
	search_parsed_free(&r.p);

	/* parameters */
	struct search_filters f = {0};
	assert_int_equal(search_filter_apply(&f, "has", "file,link"), 0);
	assert_true(f.has_file && f.has_link);
	assert_int_equal(search_filter_apply(&f, "has", "file,cake"), FE_EINVAL);
	assert_int_equal(search_filter_apply(&f, "from", "@"), FE_EINVAL);
	assert_int_equal(search_filter_apply(&f, "from", "Ann Lee"), 0);
	assert_string_equal(f.from[0].text, "Ann Lee");
	assert_int_equal(search_filter_apply(&f, "in", "@bob"), 0);
	assert_int_equal(f.in[0].kind, SEARCH_NAME_DM);
	assert_int_equal(search_filter_apply(&f, "on", "2026-12-32"), FE_EINVAL);
	assert_int_equal(search_date("1970-01-01", 10, &d), 0);
	assert_int_equal(d, 0);
	assert_int_equal(search_date("2000-03-01", 10, &d), 0);
	assert_int_equal(d, 951868800000LL);
}

static void test_parse_punctuation_and_limits(void **state)
{
	struct parsed p = parse("!!! hello ... ?? world-wide ---", 16);
	assert_int_equal(p.n, 2);
	term_is(&p, 0, "hello", 0, 0);
	assert_string_equal(p.t[1].text, "world-wide");
	done_parse(&p);

	p = parse("*** AND ( ) :", 16);
	assert_int_equal(p.n, 1);
	term_is(&p, 0, "AND", 0, 0);
	done_parse(&p);

	/* at most 16 terms: the first 16 */
	char q[512] = "";
	for (int i = 0; i < 20; i++)
		snprintf(q + strlen(q), sizeof q - strlen(q), "w%d ", i);
	p = parse(q, 16);
	assert_int_equal(p.n, 16);
	assert_string_equal(p.t[0].text, "w0");
	assert_string_equal(p.t[15].text, "w15");
	done_parse(&p);
	/* and never more than max */
	p = parse("a b c d e", 3);
	assert_int_equal(p.n, 3);
	assert_string_equal(p.t[2].text, "c");
	done_parse(&p);

	/* terms over 100 bytes dropped, 100 bytes kept */
	char w100[101], w101[102], both[260];
	memset(w100, 'a', 100);
	w100[100] = 0;
	memset(w101, 'b', 101);
	w101[101] = 0;
	snprintf(both, sizeof both, "%s %s x", w101, w100);
	p = parse(both, 16);
	assert_int_equal(p.n, 2);
	assert_string_equal(p.t[0].text, w100);
	term_is(&p, 1, "x", 0, 1);
	done_parse(&p);
	/* bytes, not characters: 51 × "é" is 102 bytes */
	char accents[128] = "";
	for (int i = 0; i < 51; i++)
		strcat(accents, "é");
	p = parse(accents, 16);
	assert_int_equal(p.n, 0);
	done_parse(&p);
	/* a long phrase is dropped too */
	char ph[140];
	snprintf(ph, sizeof ph, "\"%s b\" y", w100);
	p = parse(ph, 16);
	assert_int_equal(p.n, 1);
	term_is(&p, 0, "y", 0, 1);
	done_parse(&p);
}

/* ---- the FTS5 adapter ---- */

static struct search se;
static char path[64];
static int64_t wsA;
static int64_t ann, ben, emile;
static int64_t general, secret, japan;
static int64_t msg[64]; /* msg[i]: id of message i (1-based, as in seed) */
static int nmsg;

static int setup(void **state)
{
	char err[512] = "";
	fe_log_level = LOG_ERR;
	if (temp_db_path(path, sizeof path, "fe_search") < 0)
		return -1;
	if (sqlite_store_open(path, 0, &st, err, sizeof err)) {
		fprintf(stderr, "store: %s\n", err);
		return -1;
	}
	fts5_search_open(path, &st, NULL, &se);
	nmsg = 0;
	memset(msg, 0, sizeof msg);
	return 0;
}

static int teardown(void **state)
{
	fts5_search_close(&se);
	sqlite_store_close(&st);
	remove_db_files(path);
	return 0;
}

static int64_t add_user(const char *email, const char *fullname)
{
	struct user u = new_user(wsA, email, fullname, "member", T0);
	store_insert_user(&st, &u);
	return u.id;
}

static int64_t add_chat(const char *name, int64_t owner)
{
	struct chat c = {0};
	c.workspace_id = wsA;
	c.created_by = owner;
	c.created_at = T0;
	snprintf(c.chat_type, sizeof c.chat_type, "Group");
	snprintf(c.name, sizeof c.name, "%s", name);
	assert_int_equal(S->chat_insert(SI, &c, NULL), 0);
	assert_int_equal(S->member_add(SI, c.id, owner, "owner", T0), 0);
	return c.id;
}

/* Adds message number nmsg+1; created_at = T0 + number * 1000. */
static int add_msg(int64_t chat, int64_t sender, const char *content)
{
	struct message m = {0};
	m.chat_id = chat;
	m.sender_id = sender;
	m.content = (char *)content;
	m.created_at = T0 + (int64_t)(nmsg + 1) * 1000;
	assert_int_equal(S->message_insert(SI, &m), 0);
	assert_true(nmsg + 1 < 64);
	msg[++nmsg] = m.id;
	return nmsg;
}

static void seed(void)
{
	wsA = store_add_workspace(&st, "Acme", T0);
	ann = add_user("ann@acme.io", "Ann Arbor");
	ben = add_user("ben@acme.io", "Ben Bay");
	emile = add_user("emile@acme.io", "Émile Zola");
	general = add_chat("General", ann);
	secret = add_chat("Secret", ann);
	japan = add_chat("Japan", ann);
	add_msg(general, ann, "The deployment is scheduled for Friday");       /* 1 */
	add_msg(general, ben, "Café au lait at the corner");                   /* 2 */
	add_msg(general, ann, "quick brown fox jumps over the lazy dog");      /* 3 */
	add_msg(general, ben, "lazy brown dog");                               /* 4 */
	add_msg(general, emile, "bonjour tout le monde");                      /* 5 */
	add_msg(secret, ann, "deployment secret plan for Friday");             /* 6 */
	add_msg(japan, ann, "東京タワーに行きました");                         /* 7 */
	add_msg(japan, ben, "東京で会議 meeting tomorrow");                    /* 8 */
	add_msg(japan, ann, "大阪に行きます");                                 /* 9 */
	add_msg(general, ann, "FTS5 syntax: NEAR( AND OR * col:content done"); /* 10 */
	add_msg(secret, ben, "東京の秘密 meeting");                            /* 11 */
}

static int index_of(int64_t id)
{
	for (int i = 1; i <= nmsg; i++)
		if (msg[i] == id)
			return i;
	return 0;
}

struct opts {
	const int64_t *chats;
	size_t nchats;
	int64_t sender, after, before;
	int by_date, limit, offset;
	int keep_order;
};

static int64_t last_total;
static char last_snippet[512];
static struct search_hit last_hit;

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Runs q (as typed) and returns the hit numbers as "1,4" (sorted unless
 * keep_order). Default chats: general and japan (not secret). */
static const char *find_o(const char *q, const struct opts *o)
{
	static char out[512];
	int64_t mine[2] = {general, japan};
	struct search_term terms[16];
	struct search_query sq = {0};
	sq.terms = terms;
	sq.nterms = search_parse(q, terms, 16);
	sq.chats = o && o->chats ? o->chats : mine;
	sq.nchats = o && o->chats ? o->nchats : 2;
	sq.sender_id = o ? o->sender : 0;
	sq.after_ms = o ? o->after : 0;
	sq.before_ms = o ? o->before : 0;
	sq.by_date = o ? o->by_date : 0;
	sq.limit = o && o->limit ? o->limit : 100;
	sq.offset = o ? o->offset : 0;
	struct search_hit *h = NULL;
	size_t n = 99;
	int64_t total = -1;
	assert_int_equal(se.ops->search(se.impl, &sq, &h, &n, &total), 0);
	assert_true(n <= (size_t)sq.limit);
	int idx[128];
	last_snippet[0] = 0;
	memset(&last_hit, 0, sizeof last_hit);
	for (size_t i = 0; i < n; i++) {
		idx[i] = index_of(h[i].id);
		assert_true(idx[i] > 0);
		assert_non_null(h[i].content);
		assert_non_null(h[i].snippet);
		/* never a chat outside the query's list */
		int ok = 0;
		for (size_t k = 0; k < sq.nchats; k++)
			ok |= sq.chats[k] == h[i].chat_id;
		assert_true(ok);
		if (i == 0) {
			snprintf(last_snippet, sizeof last_snippet, "%s", h[i].snippet);
			last_hit = h[i];
			last_hit.content = last_hit.snippet = NULL;
		}
	}
	search_hits_free(h, n);
	search_terms_free(terms, sq.nterms);
	last_total = total;
	if (!(o && o->keep_order))
		qsort(idx, n, sizeof idx[0], cmp_int);
	out[0] = 0;
	for (size_t i = 0; i < n; i++)
		snprintf(out + strlen(out), sizeof out - strlen(out), "%s%d", i ? "," : "", idx[i]);
	return out;
}

static const char *find(const char *q)
{
	return find_o(q, NULL);
}

static void test_words_prefix_phrase(void **state)
{
	seed();
	assert_string_equal(find("deployment"), "1");
	assert_int_equal(last_total, 1);
	assert_string_equal(last_snippet, "The <mark>deployment</mark> is scheduled for Friday");
	assert_int_equal(last_hit.chat_id, general);
	assert_string_equal(last_hit.chat_name, "General");
	assert_int_equal(last_hit.sender_id, ann);
	assert_string_equal(last_hit.sender_name, "Ann Arbor");
	assert_int_equal(last_hit.created_at, T0 + 1000);
	/* prefix while typing, not once finished */
	assert_string_equal(find("deplo"), "1");
	assert_string_equal(find("deplo "), "");
	assert_string_equal(find("scheduled fri"), "1");
	/* every word must match */
	assert_string_equal(find("brown"), "3,4");
	assert_string_equal(find("brown dog"), "3,4");
	assert_string_equal(find("brown fox"), "3");
	assert_string_equal(find("brown cat"), "");
	/* phrases in order */
	assert_string_equal(find("\"brown dog\""), "4");
	assert_string_equal(find("\"dog brown\""), "");
	assert_string_equal(find("\"lazy dog\" quick"), "3");
	assert_string_equal(find("\"brown fox\" \"lazy dog\""), "3");
}

static void test_membership(void **state)
{
	seed();
	int64_t only_secret[] = {secret};
	int64_t both[] = {general, secret};
	int64_t none[] = {999999};
	struct opts o = {0};
	assert_string_equal(find("deployment"), "1"); /* 6 is in secret */
	o.chats = only_secret;
	o.nchats = 1;
	assert_string_equal(find_o("deployment", &o), "6");
	assert_string_equal(find_o("東京", &o), "11");
	assert_string_equal(find_o("東京タワー", &o), "");
	o.chats = both;
	o.nchats = 2;
	assert_string_equal(find_o("deployment", &o), "1,6");
	assert_string_equal(find_o("friday", &o), "1,6");
	o.chats = none;
	o.nchats = 1;
	assert_string_equal(find_o("deployment", &o), "");
	assert_string_equal(find_o("東京", &o), "");
	o.nchats = 0; /* no chats at all */
	assert_string_equal(find_o("deployment", &o), "");
	assert_int_equal(last_total, 0);
	/* the chat token is not searchable text */
	char tok[32];
	snprintf(tok, sizeof tok, "c%lld", (long long)secret);
	assert_string_equal(find(tok), "");
	snprintf(tok, sizeof tok, "chat_tok:c%lld", (long long)secret);
	assert_string_equal(find(tok), "");
	/* meeting is in japan (8) and secret (11): only 8 */
	assert_string_equal(find("meeting"), "8");
}

static void test_folding_and_sender(void **state)
{
	seed();
	assert_string_equal(find("cafe"), "2");
	assert_string_equal(find("CAFÉ "), "2");
	assert_string_equal(find("Cafe AU lait"), "2");
	assert_string_equal(find("LAZY"), "3,4");
	/* the sender's name */
	assert_string_equal(find("zola"), "5");
	assert_string_equal(find("emile"), "5");
	assert_string_equal(find("ÉMILE bonjour"), "5");
	assert_string_equal(find("ben"), "2,4,8");
	assert_string_equal(find("ben lazy"), "4");
	assert_string_equal(find("arbor fox"), "3");
}

static void test_cjk(void **state)
{
	seed();
	/* three or more characters: the trigram index */
	assert_string_equal(find("東京タワー"), "7");
	assert_true(strstr(last_snippet, "<mark>") != NULL);
	assert_string_equal(find("タワーに"), "7");
	assert_string_equal(find("行きます"), "9");
	assert_string_equal(find("東京タワー 会議"), "");
	/* two characters: substrings */
	assert_string_equal(find("東京"), "7,8");
	assert_string_equal(find("行き"), "7,9");
	assert_string_equal(find("会議"), "8");
	assert_string_equal(find("大阪"), "9");
	assert_string_equal(find("名古"), "");
	assert_string_equal(find_o("大阪", &(struct opts){.keep_order = 1}), "9");
	assert_string_equal(last_snippet, "<mark>大阪</mark>に行きます");
	/* one character */
	assert_string_equal(find("京"), "7,8");
	/* combined with a Latin word: both must match */
	assert_string_equal(find("東京 meeting"), "8");
	assert_string_equal(find("meeting 東京"), "8");
	assert_string_equal(find("東京 friday"), "");
	assert_string_equal(find("東京タワー meeting"), "");
	assert_string_equal(find("東京タワー 行き"), "7");
}

static void test_edit_and_delete(void **state)
{
	seed();
	assert_string_equal(find("cafe"), "2");
	assert_int_equal(S->message_edit(SI, msg[2], "Tea at the corner", T0 + 50000), 0);
	assert_string_equal(find("cafe"), "");
	assert_string_equal(find("tea"), "2");
	assert_string_equal(find("corner"), "2");
	/* a CJK message edited to Latin and back */
	assert_int_equal(S->message_edit(SI, msg[7], "Tokyo tower visit", T0 + 51000), 0);
	assert_string_equal(find("東京タワー"), "");
	assert_string_equal(find("東京"), "8");
	assert_string_equal(find("tokyo"), "7");
	assert_int_equal(S->message_edit(SI, msg[1], "新しい東京駅の計画", T0 + 52000), 0);
	assert_string_equal(find("東京駅"), "1");
	assert_string_equal(find("deployment"), "");
	/* deletes */
	assert_string_equal(find("fox"), "3");
	assert_int_equal(S->message_delete(SI, msg[3], T0 + 53000), 0);
	assert_string_equal(find("fox"), "");
	assert_string_equal(find("brown"), "4");
	assert_string_equal(find("arbor quick"), "");
	assert_int_equal(S->message_delete(SI, msg[8], T0 + 54000), 0);
	assert_string_equal(find("会議"), "");
	assert_string_equal(find("meeting"), "");
	assert_string_equal(find("東京"), "1");
	assert_int_equal(S->message_delete(SI, msg[9], T0 + 55000), 0);
	assert_string_equal(find("行きます"), "");
	/* the sender's name no longer finds a deleted message */
	assert_string_equal(find("ben"), "2,4");
	assert_int_equal(S->message_delete(SI, msg[4], T0 + 56000), 0);
	assert_string_equal(find("ben"), "2");
}

static void test_filters_and_order(void **state)
{
	seed();
	struct opts o = {0};
	o.sender = ben;
	assert_string_equal(find_o("brown", &o), "4");
	o.sender = ann;
	assert_string_equal(find_o("brown", &o), "3");
	assert_string_equal(find_o("東京", &o), "7");
	o.sender = emile;
	assert_string_equal(find_o("brown", &o), "");
	memset(&o, 0, sizeof o);
	o.after = T0 + 3000; /* strictly after message 3 */
	assert_string_equal(find_o("brown", &o), "4");
	assert_string_equal(find_o("東京", &o), "7,8");
	o.after = T0 + 7000;
	assert_string_equal(find_o("東京", &o), "8");
	assert_string_equal(find_o("東京タワー", &o), "");
	o.after = 0;
	o.before = T0 + 4000; /* strictly before message 4 */
	assert_string_equal(find_o("brown", &o), "3");
	o.after = T0 + 2500;
	o.before = T0 + 3500;
	assert_string_equal(find_o("brown", &o), "3");
	o.after = T0 + 3500;
	o.before = T0 + 3600;
	assert_string_equal(find_o("brown", &o), "");
	/* newest first */
	memset(&o, 0, sizeof o);
	o.by_date = 1;
	o.keep_order = 1;
	assert_string_equal(find_o("lazy", &o), "4,3");
	assert_string_equal(find_o("東京", &o), "8,7");
	assert_string_equal(find_o("東京タワー", &o), "7");
	add_msg(general, ben, "lazy afternoon"); /* 12 */
	assert_string_equal(find_o("lazy", &o), "12,4,3");
}

static void test_paging(void **state)
{
	seed();
	char text[64];
	for (int i = 0; i < 25; i++) {
		snprintf(text, sizeof text, "bulk item number %d 項目", i);
		add_msg(general, i % 2 ? ann : ben, text); /* 12..36 */
	}
	struct opts o = {0};
	o.limit = 10;
	o.keep_order = 1;
	char seen[40] = {0};
	for (int page = 0; page < 3; page++) {
		o.offset = page * 10;
		const char *r = find_o("bulk", &o);
		assert_int_equal(last_total, 25);
		int count = 0, prev = 1000;
		for (const char *s = r; *s;) {
			int k = atoi(s);
			assert_true(k >= 12 && k <= 36);
			assert_false(seen[k]);
			seen[k] = 1;
			assert_true(k < prev); /* equal relevance: newest first */
			prev = k;
			count++;
			s = strchr(s, ',');
			if (!s)
				break;
			s++;
		}
		assert_int_equal(count, page < 2 ? 10 : 5);
	}
	for (int k = 12; k <= 36; k++)
		assert_true(seen[k]);
	/* past the end: nothing, the total still right */
	o.offset = 30;
	assert_string_equal(find_o("bulk", &o), "");
	assert_int_equal(last_total, 25);
	/* a page that is not full with offset 0: total = hits */
	o.offset = 0;
	o.limit = 100;
	find_o("bulk", &o);
	assert_int_equal(last_total, 25);
	/* by date, exact pages */
	o.by_date = 1;
	o.limit = 5;
	o.offset = 5;
	assert_string_equal(find_o("bulk", &o), "31,30,29,28,27");
	assert_int_equal(last_total, 25);
	/* the substring path pages too */
	o.by_date = 0;
	o.limit = 10;
	o.offset = 20;
	assert_string_equal(find_o("項目", &o), "16,15,14,13,12");
	assert_int_equal(last_total, 25);
	o.offset = 0;
	find_o("項目", &o);
	assert_int_equal(last_total, 25);
	o.limit = 1;
	assert_string_equal(find_o("bulk 項目 number", &o), "36");
	assert_int_equal(last_total, 25);
}

static void test_fts5_syntax_is_text(void **state)
{
	seed();
	static const char *qs[] = {
	    "NEAR(",
	    "AND",
	    "OR",
	    "NOT",
	    "*",
	    "col:content",
	    "content:deployment",
	    "sender_name:ann",
	    "a OR b",
	    "-foo",
	    "^bar",
	    "(",
	    ")",
	    "{content}: x",
	    "\"",
	    "\"\"",
	    "'",
	    "a' OR 'b",
	    "NEAR(a b, 2)",
	    "x AND",
	    "\\",
	    "%",
	    "_",
	    "%_\\",
	    "東京\"",
	    "東京 AND OR",
	    "東京%",
	    "東京_",
	    "***",
	    "+",
	    "deploy*",
	    "de\"ploy",
	    "NOT deployment",
	    "deployment NOT",
	    "\"deployment",
	    "東京 \"a",
	    "chat_tok:c1",
	    "rank:bm25",
	    "messages_fts",
	    "NEAR(\"東京\" meeting)",
	    "x:y:z",
	    "a - b",
	};
	for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
		find(qs[i]); /* rc 0 asserted inside */
	}
	/* the operators are words */
	assert_string_equal(find("col:content"), "10");
	assert_string_equal(find("NEAR("), "10");
	assert_string_equal(find("AND OR done"), "10");
	assert_string_equal(find("content:deployment"), "");
	assert_string_equal(find("deployment*"), "1");
	assert_string_equal(find("NOT deployment"), "");
	/* a term with a quote inside, given directly to the port */
	struct search_term t[2] = {{(char *)"de\"ploy", 0, 1, 0}, {(char *)"東\"京", 0, 0, 0}};
	int64_t chats[] = {general, japan};
	struct search_query q = {0};
	q.terms = t;
	q.nterms = 1;
	q.chats = chats;
	q.nchats = 2;
	q.limit = 10;
	struct search_hit *h = NULL;
	size_t n = 0;
	int64_t total = 0;
	assert_int_equal(se.ops->search(se.impl, &q, &h, &n, &total), 0);
	search_hits_free(h, n);
	q.terms = &t[1];
	assert_int_equal(se.ops->search(se.impl, &q, &h, &n, &total), 0);
	assert_int_equal(n, 0);
	search_hits_free(h, n);
}

/* Everything a query returns, for comparing before and after a rebuild. */
static void snapshot(char *out, size_t size)
{
	static const char *qs[] = {"deplo", "cafe",       "brown", "\"brown dog\"", "ben",
	                           "emile", "東京タワー", "東京",  "行き",          "東京 meeting",
	                           "tea",   "lazy",       "tokyo", "bulk"};
	int64_t all[] = {general, secret, japan};
	out[0] = 0;
	for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
		struct search_term terms[16];
		struct search_query q = {0};
		q.terms = terms;
		q.nterms = search_parse(qs[i], terms, 16);
		q.chats = all;
		q.nchats = 3;
		q.limit = 50;
		struct search_hit *h = NULL;
		size_t n = 0;
		int64_t total = 0;
		assert_int_equal(se.ops->search(se.impl, &q, &h, &n, &total), 0);
		snprintf(out + strlen(out), size - strlen(out), "%s[%lld]:", qs[i], (long long)total);
		for (size_t k = 0; k < n; k++)
			snprintf(out + strlen(out), size - strlen(out), "%lld/%s;", (long long)h[k].id,
			         h[k].snippet);
		snprintf(out + strlen(out), size - strlen(out), "\n");
		search_hits_free(h, n);
		search_terms_free(terms, q.nterms);
	}
	assert_true(strlen(out) < size - 1);
}

static void test_rebuild(void **state)
{
	seed();
	for (int i = 0; i < 5; i++)
		add_msg(general, ben, "bulk text for the index");
	assert_int_equal(S->message_edit(SI, msg[2], "Tea at the corner", T0 + 50000), 0);
	assert_int_equal(S->message_edit(SI, msg[7], "Tokyo tower 東京タワー again", T0 + 51000), 0);
	assert_int_equal(S->message_delete(SI, msg[4], T0 + 52000), 0);
	assert_int_equal(S->message_delete(SI, msg[9], T0 + 53000), 0);
	static char before[16384], after[16384];
	snapshot(before, sizeof before);
	assert_non_null(strstr(before, "東京タワー[1]:"));
	assert_non_null(strstr(before, "brown[1]:"));
	assert_int_equal(se.ops->rebuild(se.impl), 0);
	snapshot(after, sizeof after);
	assert_string_equal(before, after);
	/* and the index keeps following writes */
	add_msg(japan, ann, "東京タワーの夜");
	assert_string_equal(find("東京タワー"), "7,17");
	assert_int_equal(se.ops->rebuild(se.impl), 0);
	assert_string_equal(find("東京タワー"), "7,17");
	assert_string_equal(find("brown"), "3");
}

/* ---- stopping a query: deadline and cancel ---- */

#define BULK 20000

/* BULK messages in general holding the word "bulkword" (one transaction). */
static void seed_bulk(void)
{
	sqlite3 *db = ((struct sq *)st.impl)->db;
	assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	for (int i = 0; i < BULK; i++) {
		char text[96];
		struct message m = {0};
		snprintf(text, sizeof text, "bulkword number %d of the pile, with filler words %d, 会議中", i,
		         i * 7);
		m.chat_id = general;
		m.sender_id = ben;
		m.content = text;
		m.created_at = T0 + 100000 + i;
		assert_int_equal(S->message_insert(SI, &m), 0);
	}
	assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
}

/* Runs q over general with a deadline (0 = none) and a cancel flag. */
static int run_stoppable(const char *q, int64_t deadline_us, const int *cancel, size_t *n, int64_t *total)
{
	int64_t chats[] = {general};
	struct search_term terms[16];
	struct search_query sq = {0};
	sq.terms = terms;
	sq.nterms = search_parse(q, terms, 16);
	sq.chats = chats;
	sq.nchats = 1;
	sq.limit = 20;
	sq.deadline_us = deadline_us;
	sq.cancel = cancel;
	struct search_hit *h = NULL;
	*n = 99;
	*total = -1;
	int rc = se.ops->search(se.impl, &sq, &h, n, total);
	if (rc)
		assert_null(h); /* a stopped search gives nothing back */
	search_hits_free(h, *n);
	search_terms_free(terms, sq.nterms);
	return rc;
}

/* A query over BULK rows of a real file: without a deadline it answers in
 * full; with a 1 ms deadline it is interrupted (FE_EUNAVAIL, no hits); the
 * same thread's connection answers the next query in full again. Words and
 * bigram phrases (CJK) stop alike. */
static void test_deadline_interrupts_query(void **state)
{
	seed();
	seed_bulk();
	size_t n;
	int64_t total;
	for (int pass = 0; pass < 2; pass++) {
		const char *q = pass ? "会議中 bulkword" : "bulkword"; /* 会議中: a phrase of bigrams */
		int64_t want = BULK;
		int64_t t0 = time_mono_us();
		assert_int_equal(run_stoppable(q, 0, NULL, &n, &total), 0);
		int64_t full_us = time_mono_us() - t0;
		assert_int_equal(total, want);
		assert_int_equal(n, 20);
		print_message("    %s: %lld us without a deadline\n", q, (long long)full_us);

		assert_int_equal(run_stoppable(q, time_mono_us() + 1000, NULL, &n, &total), FE_EUNAVAIL);
		assert_int_equal(n, 0);
		assert_int_equal(total, 0);

		/* the handler is gone: the next query on this connection completes */
		assert_int_equal(run_stoppable(q, time_mono_us() + 60 * 1000000LL, NULL, &n, &total), 0);
		assert_int_equal(total, want);
	}
	assert_string_equal(find("deployment"), "1");
}

/* A set cancel flag stops the query (nobody waits for it); a clear one
 * does not. */
static void test_cancel_stops_query(void **state)
{
	seed();
	seed_bulk();
	size_t n;
	int64_t total;
	int cancel = 0;
	assert_int_equal(run_stoppable("bulkword", 0, &cancel, &n, &total), 0);
	assert_int_equal(total, BULK);
	cancel = 1;
	assert_int_equal(run_stoppable("bulkword", 0, &cancel, &n, &total), FE_EUNAVAIL);
	assert_int_equal(run_stoppable("bulkword 会", 0, &cancel, &n, &total), FE_EUNAVAIL);
	assert_int_equal(n, 0);
	cancel = 0;
	assert_int_equal(run_stoppable("bulkword", 0, &cancel, &n, &total), 0);
	assert_int_equal(total, BULK);
}

/* ---- a caller in many chats: the same answer as one MATCH over all ---- */

#define MANY 27 /* chats: more than two of the adapter's batches */

/* The ids FTS5 ranks for expr as one MATCH (the adapter's order: bm25 with
 * its weights, newest first among equals), read on a connection of the
 * test's own; *count gets how many matched. */
static size_t one_match(const char *expr, int64_t *ids, size_t max, int64_t *count)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	size_t n = 0;
	*count = 0;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
	                                    "SELECT rowid FROM messages_scoped WHERE messages_scoped MATCH ?"
	                                    " ORDER BY bm25(messages_scoped, 1.0, 0.4), rowid DESC",
	                                    -1, &q, NULL),
	                 SQLITE_OK);
	sqlite3_bind_text(q, 1, expr, -1, SQLITE_STATIC);
	while (sqlite3_step(q) == SQLITE_ROW) {
		if (n < max)
			ids[n++] = sqlite3_column_int64(q, 0);
		(*count)++;
	}
	sqlite3_finalize(q);
	sqlite3_close(db);
	return n;
}

/* "(k<c1>x<a> + k<c1>x<b>* OR k<c2>x... )" over the chats: one term as the
 * adapter asked it before it split the chats into batches. */
static void over_chats(struct buf *e, const int64_t *chats, size_t nchats, const char *const *toks, int ntoks,
                       int star)
{
	char t[64];
	buf_add(e, "(");
	for (size_t c = 0; c < nchats; c++) {
		if (c)
			buf_add(e, " OR ");
		for (int k = 0; k < ntoks; k++) {
			snprintf(t, sizeof t, "%s\"k%lldx%s\"%s", k ? " + " : "", (long long)chats[c],
			         toks[k], star && k == ntoks - 1 ? "*" : "");
			buf_add(e, t);
		}
	}
	buf_add(e, ")");
}

/* The adapter asks the caller's chats a batch at a time; the hits, their
 * order (bm25 ties broken newest first) and the totals are those of one
 * MATCH over every chat, for words, prefixes, phrases, exclusions and
 * pages that cross batches. */
/* 1 when the process maps (part of) file `path`. */
static int mapped(const char *file)
{
	char line[1024], real[PATH_MAX];
	int found = 0;
	if (!realpath(file, real))
		return -1;
	FILE *f = fopen("/proc/self/maps", "r");
	assert_non_null(f);
	size_t n = strlen(real);
	while (fgets(line, sizeof line, f)) { /* the file itself, not its -shm */
		size_t l = strcspn(line, "\n");
		if (l > n && !memcmp(line + l - n, real, n) && line[l - n - 1] == ' ')
			found = 1;
	}
	fclose(f);
	return found;
}

/* A search connection maps the file while it reads (--search-mmap), and
 * lets the map go once the search is over: the pages it touched leave the
 * server's resident memory between searches. */
static void test_map_released_after_search(void **state)
{
	fts5_search_close(&se);
	struct fts5_search_mem mem = {1 << 20, 64 << 20, 0, 1000};
	fts5_search_open(path, &st, &mem, &se);
	seed();
	sqlite3 *db = NULL; /* the pages into the file: a map serves only what the log does not hold */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(mapped(path), 0);
	assert_string_equal(find("deployment"), "1");
	assert_string_equal(last_snippet, "The <mark>deployment</mark> is scheduled for Friday");
	assert_int_equal(mapped(path), 0);
	assert_string_equal(find("brown"), "3,4"); /* the next search maps it again */
	assert_int_equal(mapped(path), 0);
}

static void test_many_chats_rank_as_one_match(void **state)
{
	static const char *const fillers[] = {"", " alpha", " alpha beta gamma",
	                                      " alpha beta gamma delta epsilon"};
	wsA = store_add_workspace(&st, "Acme", T0);
	ann = add_user("ann@acme.io", "Ann Arbor");
	int64_t chats[MANY];
	int64_t at = T0;
	for (int i = 0; i < MANY; i++) {
		char name[16];
		snprintf(name, sizeof name, "c%02d", i);
		chats[i] = add_chat(name, ann);
		for (int j = 0; j < 1 + i % 4; j++) { /* term frequency and length vary, scores tie often */
			char text[160];
			snprintf(text, sizeof text, "rollout%s%s%s", j % 2 ? " rollout" : "",
			         fillers[(i + j) % 4], i % 5 == 0 ? " plan blocked" : (j ? " plan" : ""));
			struct message m = {.chat_id = chats[i], .sender_id = ann, .content = text};
			m.created_at = at += 1000;
			assert_int_equal(S->message_insert(SI, &m), 0);
		}
		struct message other = {.chat_id = chats[i], .sender_id = ann, .content = "nothing here"};
		other.created_at = at += 1000;
		assert_int_equal(S->message_insert(SI, &other), 0);
	}
	static const char *const roll[] = {"rollout"}, *const plan[] = {"plan"},
	                         *const blocked[] = {"blocked"}, *const phrase[] = {"rollout", "plan"};
	struct {
		const char *q;
		int limit, offset;
	} cases[] = {{"rollout", 100, 0},          {"rollout plan", 100, 0}, {"\"rollout plan\"", 100, 0},
	             {"rollout -blocked", 100, 0}, {"rollout", 7, 9},        {"roll", 5, 0}};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		struct buf e = {0};
		switch (c) {
		case 0:
		case 4:
			over_chats(&e, chats, MANY, roll, 1, 1);
			break;
		case 1:
			over_chats(&e, chats, MANY, roll, 1, 0);
			buf_add(&e, " AND ");
			over_chats(&e, chats, MANY, plan, 1, 1);
			break;
		case 2:
			over_chats(&e, chats, MANY, phrase, 2, 0);
			break;
		case 3:
			over_chats(&e, chats, MANY, roll, 1, 0);
			buf_add(&e, " NOT body : ");
			over_chats(&e, chats, MANY, blocked, 1, 0);
			break;
		case 5: {
			static const char *const ro[] = {"roll"};
			over_chats(&e, chats, MANY, ro, 1, 1);
			break;
		}
		}
		int64_t want[256], count;
		size_t nwant = one_match(e.p, want, 256, &count);
		buf_free(&e);
		assert_true(count > 10);

		struct search_term terms[16];
		struct search_query sq = {
		    .chats = chats, .nchats = MANY, .limit = cases[c].limit, .offset = cases[c].offset};
		sq.terms = terms;
		sq.nterms = search_parse(cases[c].q, terms, 16);
		struct search_hit *h = NULL;
		size_t n = 0;
		int64_t total = -1;
		assert_int_equal(se.ops->search(se.impl, &sq, &h, &n, &total), 0);
		search_terms_free(terms, sq.nterms);
		assert_int_equal(total, count);
		size_t from = (size_t)cases[c].offset, expect = nwant > from ? nwant - from : 0;
		if (expect > (size_t)cases[c].limit)
			expect = (size_t)cases[c].limit;
		assert_int_equal(n, expect);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(h[i].id, want[from + i]);
		search_hits_free(h, n);
	}
}

/* The relevance window (--search-rank-window): the newest W matches ranked
 * by bm25, the older ones after them, newest first. Here the window's rows
 * are all in one chat of the first batch, more than that batch's share of
 * the window, so the adapter scores the rest in a second pass: the window's
 * order is bm25 as one MATCH over the rows at or above its oldest. */
static void test_rank_window(void **state)
{
	enum { W = 40, OLD = 3 };
	fts5_search_close(&se);
	struct fts5_search_mem mem = {4 << 20, 0, 0, W};
	fts5_search_open(path, &st, &mem, &se);
	static const char *const fillers[] = {"", " alpha", " alpha beta gamma",
	                                      " alpha beta gamma delta epsilon"};
	wsA = store_add_workspace(&st, "Acme", T0);
	ann = add_user("ann@acme.io", "Ann Arbor");
	int64_t chats[MANY], at = T0;
	for (int i = 0; i < MANY; i++) {
		char name[16];
		snprintf(name, sizeof name, "w%02d", i);
		chats[i] = add_chat(name, ann);
	}
	for (int n = 0; n < MANY * OLD + W; n++) { /* the last W in chat 0 */
		char text[160];
		snprintf(text, sizeof text, "rollout%s%s", n % 2 ? " rollout" : "", fillers[(n / 2) % 4]);
		struct message m = {.chat_id = n < MANY * OLD ? chats[n % MANY] : chats[0],
		                    .sender_id = ann,
		                    .content = text};
		m.created_at = at += 1000;
		assert_int_equal(S->message_insert(SI, &m), 0);
	}
	static const char *const roll[] = {"rollout"};
	struct buf e = {0};
	over_chats(&e, chats, MANY, roll, 1, 1);
	/* the expected order: the newest W by bm25 (ties newest first), then
	 * the rest newest first */
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	int64_t all[256], want[256];
	size_t nall = 0, nwant = 0;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
	                                    "SELECT rowid FROM messages_scoped WHERE messages_scoped MATCH ?"
	                                    " ORDER BY rowid DESC",
	                                    -1, &q, NULL),
	                 SQLITE_OK);
	sqlite3_bind_text(q, 1, e.p, -1, SQLITE_STATIC);
	while (sqlite3_step(q) == SQLITE_ROW && nall < 256)
		all[nall++] = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	assert_int_equal(nall, MANY * OLD + W);
	assert_int_equal(
	    sqlite3_prepare_v2(db,
	                       "SELECT rowid FROM messages_scoped WHERE messages_scoped MATCH ?"
	                       " AND rowid >= ? ORDER BY bm25(messages_scoped, 1.0, 0.4), rowid DESC",
	                       -1, &q, NULL),
	    SQLITE_OK);
	sqlite3_bind_text(q, 1, e.p, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, all[W - 1]);
	while (sqlite3_step(q) == SQLITE_ROW)
		want[nwant++] = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	buf_free(&e);
	assert_int_equal(nwant, W);
	for (size_t i = W; i < nall; i++)
		want[nwant++] = all[i];
	for (int page = 0; page < 2; page++) { /* two pages: 0..99, 100.. */
		struct search_term terms[4];
		struct search_query sq = {.chats = chats, .nchats = MANY, .limit = 100, .offset = page * 100};
		sq.terms = terms;
		sq.nterms = search_parse("roll", terms, 4);
		struct search_hit *h = NULL;
		size_t n = 0;
		int64_t total = -1;
		assert_int_equal(se.ops->search(se.impl, &sq, &h, &n, &total), 0);
		search_terms_free(terms, sq.nterms);
		assert_int_equal(total, (int64_t)nall);
		assert_int_equal(n, page ? nall - 100 : 100);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(h[i].id, want[page * 100 + i]);
		search_hits_free(h, n);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_words),
	    cmocka_unit_test(test_parse_phrases),
	    cmocka_unit_test(test_parse_unbalanced_quote),
	    cmocka_unit_test(test_parse_trailing_quote_after_word),
	    cmocka_unit_test(test_parse_punctuation_and_limits),
	    cmocka_unit_test(test_parse_filters),
	    cmocka_unit_test(test_parse_filter_edges),
	    cmocka_unit_test_setup_teardown(test_words_prefix_phrase, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_membership, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_folding_and_sender, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cjk, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_edit_and_delete, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_filters_and_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paging, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fts5_syntax_is_text, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rebuild, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_deadline_interrupts_query, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel_stops_query, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_many_chats_rank_as_one_match, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_map_released_after_search, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rank_window, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
