/* adapters/fts5_tokenize: unicode61 through fts5_api, then marks kept,
 * words folded and unspaced scripts cut into bigrams (see the header). */
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include "adapters/fts5_tokenize.h"
#include "lib/buf.h"
#include "lib/utf8.h"
#include "lib/xalloc.h"

/* ---- unicode61, one instance per thread ---- */

static fts5_tokenizer u61; /* its functions, from FTS5's registry */
static void *u61_ctx;      /* their context pointer */
static sqlite3 *u61_db;    /* the connection they came from, kept open */
static int u61_ok;
static pthread_once_t u61_once = PTHREAD_ONCE_INIT;
static pthread_key_t u61_key;

static void u61_free(void *t)
{
	u61.xDelete(t);
}

/* Looks unicode61 up once: SELECT fts5(?1) hands out the fts5_api. */
static void u61_load(void)
{
	fts5_api *api = NULL;
	sqlite3_stmt *st = NULL;
	if (sqlite3_open_v2(":memory:", &u61_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) ==
	        SQLITE_OK &&
	    sqlite3_prepare_v2(u61_db, "SELECT fts5(?1)", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
		sqlite3_step(st);
	}
	sqlite3_finalize(st);
	if (api && api->iVersion >= 2 && api->xFindTokenizer(api, "unicode61", &u61_ctx, &u61) == SQLITE_OK &&
	    !pthread_key_create(&u61_key, u61_free))
		u61_ok = 1;
}

/* This thread's unicode61: accent folding, and marks (M*) and ZWNJ/ZWJ
 * inside words. NULL when FTS5 is missing. */
static Fts5Tokenizer *u61_instance(void)
{
	pthread_once(&u61_once, u61_load);
	if (!u61_ok)
		return NULL;
	Fts5Tokenizer *t = pthread_getspecific(u61_key);
	if (t)
		return t;
	const char *argv[] = {"remove_diacritics", "2",          "categories",
	                      "L* N* Co M*",       "tokenchars", "\u200c\u200d"};
	if (u61.xCreate(u61_ctx, argv, 6, &t) != SQLITE_OK)
		return NULL;
	pthread_setspecific(u61_key, t);
	return t;
}

/* ---- characters ---- */

/* Scripts written without spaces between words. */
static int unspaced(unsigned c)
{
	return (c >= 0x0E00 && c <= 0x0EFF) ||                                 /* Thai, Lao */
	       (c >= 0x1000 && c <= 0x109F) || (c >= 0xA9E0 && c <= 0xA9FF) || /* Myanmar */
	       (c >= 0xAA60 && c <= 0xAA7F) ||                                 /* Myanmar */
	       (c >= 0x1780 && c <= 0x17FF) || (c >= 0x19E0 && c <= 0x19FF) || /* Khmer */
	       (c >= 0x3005 && c <= 0x3007) ||                                 /* 々〆〇 */
	       (c >= 0x3040 && c <= 0x30FF) || (c >= 0x31F0 && c <= 0x31FF) || /* kana */
	       (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) || /* Han */
	       (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFF66 && c <= 0xFF9F) || /* Han, half-width kana */
	       (c >= 0x20000 && c <= 0x323AF);                                 /* Han */
}

/* What a character of a (unicode61-folded) word becomes; 0: dropped. */
static unsigned fold(unsigned c)
{
	if (c < 0xF8)
		return c;
	switch (c) {
	case 0xF8:
		return 'o'; /* ø, ł, đ: letters of their own that unicode61 keeps, */
	case 0x142:
		return 'l'; /* though people type them plain */
	case 0x111:
		return 'd';
	/* Greek tonos and dialytika */
	case 0x3AC:
		return 0x3B1;
	case 0x3AD:
		return 0x3B5;
	case 0x3AE:
		return 0x3B7;
	case 0x3AF:
	case 0x390:
	case 0x3CA:
		return 0x3B9;
	case 0x3CC:
		return 0x3BF;
	case 0x3CD:
	case 0x3B0:
	case 0x3CB:
		return 0x3C5;
	case 0x3CE:
		return 0x3C9;
	case 0x622:
	case 0x623:
	case 0x625:
		return 0x627; /* alef with madda or hamza: alef */
	case 0x629:
		return 0x647; /* teh marbuta: heh */
	case 0x649:
		return 0x64A; /* alef maksura: yeh */
	}
	if ((c >= 0x591 && c <= 0x5BD) || c == 0x5BF || c == 0x5C1 || c == 0x5C2 || c == 0x5C4 ||
	    c == 0x5C5 || c == 0x5C7) /* Hebrew points and cantillation */
		return 0;
	if ((c >= 0x610 && c <= 0x61A) || c == 0x640 || (c >= 0x64B && c <= 0x65F) || c == 0x670 ||
	    (c >= 0x6D6 && c <= 0x6DC) || (c >= 0x6DF && c <= 0x6E4) || c == 0x6E7 || c == 0x6E8 ||
	    (c >= 0x6EA && c <= 0x6ED)) /* Arabic harakat, tatweel, Quranic marks */
		return 0;
	/* joiners, variation selectors, marks for symbols, skin tones */
	if (c == 0x200C || c == 0x200D || (c >= 0xFE00 && c <= 0xFE0F) || (c >= 0x20D0 && c <= 0x20FF) ||
	    (c >= 0xE0100 && c <= 0xE01EF) || (c >= 0x1F3FB && c <= 0x1F3FF))
		return 0;
	if (c >= 0xFF10 && c <= 0xFF19) /* full-width digits and letters */
		return c - 0xFF10 + '0';
	if (c >= 0xFF21 && c <= 0xFF3A)
		return c - 0xFF21 + 'a';
	if (c >= 0xFF41 && c <= 0xFF5A)
		return c - 0xFF41 + 'a';
	return c;
}

/* ---- the passes ---- */

struct span {
	size_t at, n;      /* bytes in the list's buffer */
	size_t start, end; /* in the text */
	int kind;
};

enum {
	K_WORD,
	K_GRAM,
	K_TAIL /* a run's last character after its bigrams */,
	K_LONE /* a one-character run */
};

struct list {
	struct buf bytes;
	struct span *v;
	size_t n, cap;
	size_t base; /* added to unicode61's offsets (a run tokenized again) */
};

static void list_add(struct list *l, const char *t, size_t n, size_t start, size_t end, int kind)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 32;
		l->v = xrealloc(l->v, l->cap * sizeof *l->v);
	}
	l->v[l->n++] = (struct span){l->bytes.len, n, start, end, kind};
	buf_addn(&l->bytes, t, n);
}

static void list_free(struct list *l)
{
	buf_free(&l->bytes);
	free(l->v);
}

static int collect(void *ctx, int tflags, const char *t, int n, int start, int end)
{
	(void)tflags;
	struct list *l = ctx;
	list_add(l, t, (size_t)n, l->base + (size_t)start, l->base + (size_t)end, K_WORD);
	return SQLITE_OK;
}

/* unicode61's tokens of text[from..to), into l. */
static int u61_run(Fts5Tokenizer *t, const char *text, size_t from, size_t to, int flags, struct list *l)
{
	l->base = from;
	if (to - from > 0x7fffffff)
		to = from + 0x7fffffff;
	return u61.xTokenize(t, l, flags, text + from, (int)(to - from), collect) == SQLITE_OK ? 0 : -1;
}

/* A code point and where it is in the text. */
struct cp {
	unsigned c;
	size_t start, end;
};

#define SMALL 64 /* code points held on the stack */

/* The characters of text[from..to) that folding keeps, into v (room for
 * to - from of them). Returns how many. */
static size_t kept_chars(const char *text, size_t from, size_t to, struct cp *v)
{
	size_t k = 0, len;
	for (size_t i = from; i < to; i += len) {
		unsigned c = utf8_decode_n(text + i, to - i, &len);
		if (fold(c))
			v[k++] = (struct cp){c, i, i + len};
	}
	return k;
}

static void *room(void *small, size_t n, size_t size)
{
	if (n <= SMALL)
		return small;
	void *p = xmalloc(n * size);
	return p;
}

/* One run of a single kind (tok: unicode61's folded form of text[s..e)). */
static void add_run(struct list *out, const char *text, const char *tok, size_t n, size_t s, size_t e)
{
	size_t len, m = 0, plain = 1;
	if (!n)
		return; /* unicode61 gives an empty token for a lone mark it folds away */
	for (size_t i = 0; i < n && plain; i++)
		plain = (unsigned char)tok[i] < 0x80;
	if (plain) { /* the common case: ASCII, which folding leaves alone */
		while (s < e && !fold(utf8_decode_n(text + s, e - s, &len)))
			s += len; /* a dropped mark before the word (an emoji's selector) stays out */
		if (s < e)
			list_add(out, tok, n, s, e, K_WORD);
		return;
	}
	struct cp small_src[SMALL];
	unsigned small_f[SMALL];
	struct cp *src = room(small_src, e - s, sizeof *src);
	unsigned *f = room(small_f, n, sizeof *f);
	size_t ns = kept_chars(text, s, e, src);
	for (size_t i = 0; ns && i < n; i += len) { /* the folded characters */
		unsigned c = fold(utf8_decode_n(tok + i, n - i, &len));
		if (c)
			f[m++] = c;
	}
	char b[8];
	if (m && !unspaced(src[0].c)) {
		struct buf w = {0};
		for (size_t i = 0; i < m; i++)
			buf_addn(&w, b, utf8_encode(f[i], b));
		/* a dropped mark before the word stays out */
		list_add(out, w.p, w.len, src[0].start, e, K_WORD);
		buf_free(&w);
	} else if (m) {
		/* character i of the folded run came from src[i] (the same count
		 * unless folding dropped some: then the place is approximate) */
#define AT(i) src[(i) < ns ? (i) : ns - 1]
		for (size_t i = 0; i + 1 < m; i++) {
			size_t k = utf8_encode(f[i], b);
			k += utf8_encode(f[i + 1], b + k);
			list_add(out, b, k, AT(i).start, AT(i + 1).end, K_GRAM);
		}
		size_t k = utf8_encode(f[m - 1], b);
		list_add(out, b, k, AT(m - 1).start, AT(m - 1).end, m > 1 ? K_TAIL : K_LONE);
#undef AT
	}
	if (f != small_f)
		free(f);
	if (src != small_src)
		free(src);
}

int fts5_tokenize(const char *text, size_t len, enum fts5_tok_mode mode, fts5_tok_fn fn, void *arg)
{
	Fts5Tokenizer *t = u61_instance();
	if (!t)
		return -1;
	int flags = mode == FTS5_TOK_QUERY ? FTS5_TOKENIZE_QUERY : FTS5_TOKENIZE_DOCUMENT;
	struct list words = {0}, out = {0};
	char *clean = NULL;
	if (!utf8_valid(text, len)) {
		/* unicode61 reads a cut or overlong sequence as some letter: each
		 * byte that is not UTF-8 becomes a space (offsets stay the same) */
		clean = xmalloc(len + 1);
		for (size_t i = 0, l; i < len; i += l)
			if (utf8_decode_n(text + i, len - i, &l) == 0xfffd && l == 1)
				clean[i] = ' ';
			else
				memcpy(clean + i, text + i, l);
		clean[len] = 0;
		text = clean;
	}
	u61_run(t, text, 0, len, flags, &words);
	for (size_t w = 0; w < words.n; w++) {
		const struct span *sp = &words.v[w];
		/* a word mixing spaced and unspaced scripts ("tokyo東京"): each
		 * run is tokenized again, alone, for its own folded form */
		size_t s = sp->start, e = sp->end, cut = s, l;
		int cur = -1, mixed = 0;
		for (size_t i = s; i < e; i += l) {
			unsigned c = utf8_decode_n(text + i, e - i, &l);
			if (fold(c)) {
				mixed |= cur >= 0 && cur != unspaced(c);
				cur = unspaced(c);
			}
		}
		if (!mixed) {
			add_run(&out, text, words.bytes.p + sp->at, sp->n, s, e);
			continue;
		}
		cur = -1;
		for (size_t i = s;; i += l) {
			int u = cur;
			l = 1;
			if (i < e) {
				unsigned c = utf8_decode_n(text + i, e - i, &l);
				if (fold(c))
					u = unspaced(c);
			}
			if (i == e || (cur >= 0 && u != cur)) {
				struct list run = {0};
				if (!u61_run(t, text, cut, i, flags, &run))
					for (size_t r = 0; r < run.n; r++)
						add_run(&out, text, run.bytes.p + run.v[r].at, run.v[r].n,
						        run.v[r].start, run.v[r].end);
				list_free(&run);
				cut = i;
			}
			if (i == e)
				break;
			cur = u;
		}
	}
	for (size_t i = 0; i < out.n; i++) {
		const struct span *sp = &out.v[i];
		int last = i + 1 == out.n, fl = sp->kind == K_WORD ? 0 : FTS5_TOK_GRAM;
		if (mode == FTS5_TOK_QUERY && last && sp->kind == K_TAIL)
			continue; /* the run may go on in the text: its bigrams say enough */
		if (mode == FTS5_TOK_QUERY && last && sp->kind == K_LONE)
			fl |= FTS5_TOK_PREFIX;
		fn(arg, out.bytes.p + sp->at, sp->n, sp->start, sp->end, fl);
	}
	list_free(&words);
	list_free(&out);
	free(clean);
	return 0;
}
