/* tests/fuzz/fuzz_search: search as people type it, end to end below the
 * HTTP layer: core/search's parser (search_parse) turns the query into
 * terms, and the FTS5 adapter (adapters/fts5_search) builds its FTS5, trigram
 * and LIKE queries from them and runs them on a small real database (a temp
 * file, seeded once per process: Latin, accented, Chinese and Japanese text
 * and FTS5 syntax), marking snippets. The first input byte picks options;
 * the rest is the query string as the handler passes it on (at most 2047
 * bytes, 1..500 characters, any bytes: the URL decoding lets any through). */
#define TESTAPP_STORE_ONLY
#include "fuzz.h"
#include "testapp.h"
#include "adapters/fts5_search.h"
#include "core/search.h"
#include "lib/utf8.h"
#include "ports/search.h"

static struct search se;
static char path[64];
static int64_t chats[3];

static void cleanup(void)
{
	fts5_search_close(&se);
	sqlite_store_close(&st);
	remove_db_files(path);
}

static int64_t add_chat(int64_t ws, const char *name, int64_t owner)
{
	struct chat c = {0};
	c.workspace_id = ws;
	c.created_by = owner;
	c.created_at = T0;
	snprintf(c.chat_type, sizeof c.chat_type, "Group");
	snprintf(c.name, sizeof c.name, "%s", name);
	if (st.ops->chat_insert(st.impl, &c, NULL) || st.ops->member_add(st.impl, c.id, owner, "owner", T0))
		abort();
	return c.id;
}

static void add_msg(int64_t chat, int64_t sender, const char *content)
{
	static int n;
	struct message m = {0};
	m.chat_id = chat;
	m.sender_id = sender;
	m.content = (char *)content;
	m.created_at = T0 + ++n * 1000;
	if (st.ops->message_insert(st.impl, &m))
		abort();
}

static void init(void)
{
	static int done;
	if (done)
		return;
	done = 1;
	char err[512] = "";
	fe_log_level = LOG_ERR;
	if (temp_db_path(path, sizeof path, "fe_fuzz_search") < 0 ||
	    sqlite_store_open(path, 0, &st, err, sizeof err)) {
		fprintf(stderr, "fuzz_search: store: %s\n", err);
		abort();
	}
	atexit(cleanup);
	int64_t ws = store_add_workspace(&st, "Acme", T0);
	struct user a = new_user(ws, "ann@acme.io", "Ann Arbor", "member", T0);
	struct user b = new_user(ws, "ben@acme.io", "Émile Zola", "member", T0);
	store_insert_user(&st, &a);
	store_insert_user(&st, &b);
	chats[0] = add_chat(ws, "General", a.id);
	chats[1] = add_chat(ws, "Japan", a.id);
	chats[2] = add_chat(ws, "Secret", b.id);
	add_msg(chats[0], a.id, "The deployment is scheduled for Friday");
	add_msg(chats[0], b.id, "Café au lait at the corner, ÀÉÎÕÜ ß Ωμέγα Привет");
	add_msg(chats[0], a.id, "quick brown fox jumps over the lazy dog 100% _under_ back\\slash");
	add_msg(chats[1], a.id, "東京タワーに行きました");
	add_msg(chats[1], b.id, "東京で会議 meeting tomorrow 한국어");
	add_msg(chats[0], a.id, "FTS5 syntax: NEAR( AND OR * col:content \"quoted\" ^start done");
	add_msg(chats[2], b.id, "東京の秘密 meeting 🎉 emoji");
	char longer[1200] = "";
	for (int i = 0; i < 40; i++)
		strcat(longer, i == 30 ? "deployment東京 " : "filler words here ");
	add_msg(chats[0], b.id, longer);
	fts5_search_open(path, &st, NULL, &se);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	init();
	if (!size)
		return 0;
	uint8_t opt = data[0];
	char *q = fuzz_str(data + 1, size - 1 > 2047 ? 2047 : size - 1);
	size_t qlen = utf8_chars(q);
	if (!qlen || qlen > 500) { /* refused by search_messages */
		free(q);
		return 0;
	}
	struct search_term terms[16];
	size_t n = search_parse(q, terms, 16);
	CHECK(n <= 16);
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(terms[i].text);
		CHECK(l > 0 && l <= 100 && !strchr(terms[i].text, '"'));
		CHECK(strstr(q, terms[i].text));
		if (!terms[i].phrase)
			CHECK(!strpbrk(terms[i].text, " \t\r\n"));
		CHECK(!terms[i].prefix || (i == n - 1 && !terms[i].phrase));
	}
	if (n) {
		struct search_query sq = {0};
		sq.terms = terms;
		sq.nterms = n;
		sq.chats = chats;
		sq.nchats = (opt & 1) ? 3 : 2;
		sq.by_date = !!(opt & 2);
		sq.sender_id = (opt & 4) ? 1 : 0;
		sq.limit = (opt & 8) ? 1 : 20;
		sq.offset = (opt & 16) ? 1 : 0;
		struct search_hit *hits = NULL;
		size_t nh = 0;
		int64_t total = 0;
		int rc = se.ops->search(se.impl, &sq, &hits, &nh, &total);
		CHECK(rc == 0);
		CHECK(nh <= (size_t)sq.limit && (int64_t)nh <= total);
		for (size_t i = 0; i < nh; i++)
			CHECK(hits[i].content && hits[i].snippet);
		search_hits_free(hits, nh);
	}
	search_terms_free(terms, n);
	free(q);
	return 0;
}
