/* tests/unit/test_fts5_tokenize: the one tokenizer of search
 * (adapters/fts5_tokenize) on real sentences in many scripts: the tokens of
 * each sentence as indexed, the bytes each token came from (what a snippet
 * marks), and that a word of the sentence (a substring for the scripts
 * written without spaces) is found in it as a query (its query tokens are a
 * run of the sentence's tokens, which is what the FTS5 phrase asks) while a
 * word it does not contain is not. Before issue 13 Devanagari, Bengali,
 * Tamil, Thai, Armenian, Georgian and Ethiopic yielded no tokens at all and
 * vowelled Arabic was cut into letters. */
#include <stdio.h>
#include <string.h>
#include "testutil.h"
#include "adapters/fts5_tokenize.h"

#define MAXT 128

struct toks {
	char t[MAXT][64];
	size_t start[MAXT], end[MAXT];
	int flags[MAXT];
	int n;
};

static void add(void *arg, const char *t, size_t n, size_t start, size_t end, int flags)
{
	struct toks *k = arg;
	assert_true(k->n < MAXT && n > 0 && n < 64 && start < end);
	for (size_t i = 0; i < n; i++) /* what the "ascii" table tokenizer keeps as is */
		assert_true((unsigned char)t[i] >= 0x80 || (t[i] >= '0' && t[i] <= '9') ||
		            (t[i] >= 'a' && t[i] <= 'z'));
	memcpy(k->t[k->n], t, n);
	k->t[k->n][n] = 0;
	k->start[k->n] = start;
	k->end[k->n] = end;
	k->flags[k->n] = flags;
	k->n++;
}

static struct toks tokens(const char *text, enum fts5_tok_mode mode)
{
	struct toks k = {.n = 0};
	assert_int_equal(fts5_tokenize(text, strlen(text), mode, add, &k), 0);
	return k;
}

/* The document tokens of text joined with '|'. */
static const char *doc(const char *text)
{
	static char out[4096];
	struct toks k = tokens(text, FTS5_TOK_DOCUMENT);
	out[0] = 0;
	for (int i = 0; i < k.n; i++)
		snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", i ? "|" : "", k.t[i]);
	return out;
}

/* 1 when the query q, as the search asks it (its tokens as a phrase, a
 * lone unspaced character or the last token as a prefix when typed last),
 * matches text. */
static int found(const char *text, const char *q)
{
	struct toks d = tokens(text, FTS5_TOK_DOCUMENT), w = tokens(q, FTS5_TOK_QUERY);
	if (!w.n)
		return 0;
	for (int at = 0; at + w.n <= d.n; at++) {
		int k = 0;
		for (; k < w.n; k++) {
			int prefix = (w.flags[k] & FTS5_TOK_PREFIX) || k == w.n - 1;
			size_t n = strlen(w.t[k]);
			if (prefix ? strncmp(d.t[at + k], w.t[k], n) : strcmp(d.t[at + k], w.t[k]))
				break;
		}
		if (k == w.n)
			return 1;
	}
	return 0;
}

/* The bytes of text that document token i came from. */
static const char *source(const char *text, int i)
{
	static char out[256];
	struct toks k = tokens(text, FTS5_TOK_DOCUMENT);
	assert_true(i < k.n);
	snprintf(out, sizeof out, "%.*s", (int)(k.end[i] - k.start[i]), text + k.start[i]);
	return out;
}

struct sentence {
	const char *script, *text, *tokens, *word, *absent;
};

static const struct sentence sentences[] = {
    {"Latin (French)", "Le café est très chaud à Paris", "le|cafe|est|tres|chaud|a|paris", "Café", "thé"},
    {"Latin (Polish)", "Zażółć gęślą jaźń", "zazolc|gesla|jazn", "gęślą", "gesli"},
    {"Greek", "Καλημέρα κόσμε, τι κάνεις;", "καλημερα|κοσμε|τι|κανεισ", "καλημερα", "καληνύχτα"},
    {"Cyrillic", "Привет, как дела?", "привет|как|дела", "ДЕЛА", "пока"},
    {"Armenian", "Բարեւ ձեզ, ինչպես եք", "բարեւ|ձեզ|ինչպես|եք", "Բարեւ", "շնորհակալություն"},
    {"Georgian", "გამარჯობა მეგობარო", "გამარჯობა|მეგობარო", "მეგობარო", "ნახვამდის"},
    {"Hebrew (pointed)", "שָׁלוֹם עוֹלָם", "שלום|עולם", "שלום", "תודה"},
    {"Arabic (vowelled)", "كَتَبَ الوَلَدُ الدَّرْسَ", "كتب|الولد|الدرس", "الولد", "المدرسة"},
    {"Arabic (plain)", "كتب الولد الدرس", "كتب|الولد|الدرس", "كَتَبَ", "قرأ"},
    {"Persian (ZWNJ)", "من می‌خواهم بروم", "من|میخواهم|بروم", "میخواهم", "نمیخواهم"},
    {"Devanagari", "deploy नमस्ते दुनिया done", "deploy|नमस्ते|दुनिया|done", "नमस्ते", "धन्यवाद"},
    {"Bengali", "আমি বাংলায় গান গাই", "আমি|বাংলায়|গান|গাই", "গান", "কবিতা"},
    {"Tamil", "வணக்கம் உலகம்", "வணக்கம்|உலகம்", "உலகம்", "நன்றி"},
    {"Thai", "สวัสดีครับ", "สว|วั|ัส|สด|ดี|ีค|คร|รั|ับ|บ", "ดีครับ", "ขอบคุณ"},
    {"Lao", "ສະບາຍດີ", "ສະ|ະບ|ບາ|າຍ|ຍດ|ດີ|ີ", "ບາຍ", "ຂອບໃຈ"},
    {"Khmer", "សួស្តី", "សួ|ួស|ស្|្ត|តី|ី", "ស្តី", "អរគុណ"},
    {"Myanmar", "မင်္ဂလာပါ", "မင|င်|်္|္ဂ|ဂလ|လာ|ာပ|ပါ|ါ", "ဂလာ", "ကျေးဇူး"},
    {"Chinese", "我们明天开会", "我们|们明|明天|天开|开会|会", "明天", "后天"},
    {"Japanese", "東京タワーに行きました", "東京|京タ|タワ|ワー|ーに|に行|行き|きま|まし|した|た", "タワー",
     "大阪"},
    {"Korean", "안녕하세요 세계", "안녕하세요|세계", "세계", "감사합니다"},
    {"Ethiopic", "ሰላም ለዓለም", "ሰላም|ለዓለም", "ሰላም", "አመሰግናለሁ"},
    {"Emoji next to words", "🎉party❤️time 👍done", "party|time|done", "party", "🎉"},
    {"Mixed Latin and Han", "tokyo東京 meeting", "tokyo|東京|京|meeting", "tokyo東京", "osaka"},
};

static void test_tokens_of_each_script(void **state)
{
	for (size_t i = 0; i < sizeof sentences / sizeof *sentences; i++) {
		const struct sentence *s = &sentences[i];
		print_message("    %s: %s\n", s->script, doc(s->text));
		assert_string_equal(doc(s->text), s->tokens);
	}
}

static void test_found_by_a_word_not_by_another(void **state)
{
	for (size_t i = 0; i < sizeof sentences / sizeof *sentences; i++) {
		const struct sentence *s = &sentences[i];
		if (!found(s->text, s->word) || found(s->text, s->absent))
			fail_msg("%s: \"%s\" in \"%s\": found %d, \"%s\" found %d", s->script, s->word,
			         s->text, found(s->text, s->word), s->absent, found(s->text, s->absent));
	}
}

/* Any substring of two or more characters of an unspaced run is found,
 * and a one-character one as a prefix; a substring that is not there is
 * not. */
static void test_unspaced_substrings(void **state)
{
	static const char *texts[] = {
	    "我们明天开会", "東京タワーに行きました", "ภาษาไทยง่ายนิดเดียว", "ພາສາລາວ", "ភាសាខ្មែរ", "မြန်မာဘာသာ"};
	for (size_t t = 0; t < sizeof texts / sizeof *texts; t++) {
		const char *s = texts[t];
		size_t len = strlen(s);
		for (size_t a = 0; a < len; a++) {
			if (((unsigned char)s[a] & 0xC0) == 0x80)
				continue;
			for (size_t b = a + 1; b <= len; b++) {
				if (b < len && ((unsigned char)s[b] & 0xC0) == 0x80)
					continue;
				char q[128];
				snprintf(q, sizeof q, "%.*s", (int)(b - a), s + a);
				if (!found(s, q))
					fail_msg("\"%s\" not found in \"%s\"", q, s);
			}
		}
	}
	assert_false(found("我们明天开会", "我们开会")); /* not a substring */
	assert_false(found("東京タワー", "京都"));
	assert_false(found("ภาษาไทย", "ไทยภาษา"));
	/* as the next word after a run, as written */
	assert_true(found("会議 meeting", "会議 meeting"));
	assert_true(found("東京tokyo", "京tokyo"));
	assert_false(found("東京都tokyo", "東京tokyo"));
}

/* What a snippet marks: the bytes each token came from, marks included. */
static void test_offsets(void **state)
{
	assert_string_equal(source("كَتَبَ الوَلَدُ", 0), "كَتَبَ");
	assert_string_equal(source("كَتَبَ الوَلَدُ", 1), "الوَلَدُ");
	assert_string_equal(source("deploy नमस्ते दुनिया", 1), "नमस्ते");
	assert_string_equal(source("deploy नमस्ते दुनिया", 2), "दुनिया");
	assert_string_equal(source("สวัสดีครับ", 0), "สว");
	assert_string_equal(source("สวัสดีครับ", 1), "วั");
	assert_string_equal(source("สวัสดีครับ", 9), "บ");
	assert_string_equal(source("❤️hello", 0), "hello"); /* the emoji's variation selector stays out */
	assert_string_equal(source("Ｔｏｋｙｏ ２０２６", 0), "Ｔｏｋｙｏ");
	assert_string_equal(doc("Ｔｏｋｙｏ ２０２６"), "tokyo|2026");
}

/* A query's spaceless run gives its last character alone only when more
 * follows (the text's run may go on); a lone character ending the term is
 * a prefix. */
static void test_query_mode(void **state)
{
	struct toks k = tokens("東京", FTS5_TOK_QUERY);
	assert_int_equal(k.n, 1);
	assert_string_equal(k.t[0], "東京");
	k = tokens("東", FTS5_TOK_QUERY);
	assert_int_equal(k.n, 1);
	assert_int_equal(k.flags[0], FTS5_TOK_GRAM | FTS5_TOK_PREFIX);
	k = tokens("東京 tokyo", FTS5_TOK_QUERY);
	assert_int_equal(k.n, 3);
	assert_string_equal(k.t[1], "京");
	assert_int_equal(k.flags[1], FTS5_TOK_GRAM);
	k = tokens("Hello", FTS5_TOK_QUERY);
	assert_int_equal(k.n, 1);
	assert_int_equal(k.flags[0], 0);
}

static void test_nothing_to_index(void **state)
{
	assert_string_equal(doc(""), "");
	assert_string_equal(doc("  ...!?  👍🏽 ❤️ 👨‍👩‍👧"), "");
	assert_string_equal(doc("ـــ"), ""); /* tatweel only */
	/* a lone combining mark: unicode61 folds it to an empty token, which is
	 * no token (found by tests/fuzz/fuzz_search_terms) */
	assert_string_equal(doc("w \xcc\x88 x"), "w|x");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tokens_of_each_script),
	    cmocka_unit_test(test_found_by_a_word_not_by_another),
	    cmocka_unit_test(test_unspaced_substrings),
	    cmocka_unit_test(test_offsets),
	    cmocka_unit_test(test_query_mode),
	    cmocka_unit_test(test_nothing_to_index),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
