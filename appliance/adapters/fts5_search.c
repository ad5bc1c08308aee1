/* adapters/fts5_search: turns structured search terms into FTS5 queries.
 * Words go to the chat-scoped index messages_scoped (adapters/fts5_index.c):
 * a word w is asked as ("k<c1>x<w>" OR "k<c2>x<w>" ...) over the caller's
 * chats only, so FTS5 reads just those chats' postings; one pass counts
 * every match and keeps the best page (bm25, newest first among equals),
 * then the page's rows are read and their snippets marked here. Chinese and
 * Japanese runs of three or more characters go to the trigram index
 * messages_cjk; shorter runs are substring matches over the caller's
 * chats. User text is only ever a quoted token, never FTS5 syntax. A
 * progress handler on the thread's connection stops a query at its
 * deadline or when it is cancelled (the client went away). */
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "adapters/fts5_index.h"
#include "adapters/fts5_search.h"
#include "adapters/sqlite_internal.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/timefmt.h"
#include "lib/utf8.h"

#define MAX_WORD 101

struct fts {
	char path[512];
	pthread_key_t key;
};

static void close_conn(void *db)
{
	sqlite3_close_v2(db);
}

/* This thread's read-only connection. */
static sqlite3 *conn(struct fts *f)
{
	sqlite3 *db = pthread_getspecific(f->key);
	if (db)
		return db;
	if (sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		log_err("search: cannot open %s: %s", f->path, db ? sqlite3_errmsg(db) : "no memory");
		sqlite3_close_v2(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 5000);
	/* searches read index pages all over the file: map it rather than copy
	 * it through a small page cache (pages stay the kernel's, reclaimable) */
	sqlite3_exec(db, "PRAGMA mmap_size=1073741824; PRAGMA cache_size=-4000", NULL, NULL, NULL);
	pthread_setspecific(f->key, db);
	return db;
}

/* SQLite virtual machine steps between two looks at the clock and the
 * cancel flag: a few microseconds of work, so a query stops promptly. */
#define PROGRESS_STEPS 1000

/* The progress handler: nonzero stops the running statement, which then
 * fails with SQLITE_INTERRUPT. */
static int should_stop(void *arg)
{
	const struct search_query *q = arg;
	if (q->cancel && __atomic_load_n(q->cancel, __ATOMIC_RELAXED))
		return 1;
	return q->deadline_us && time_mono_us() >= q->deadline_us;
}

/* 1 when q must stop now (checked before starting and between steps). */
static int stopped(const struct search_query *q)
{
	return should_stop((void *)q);
}

/* Code point at s; *len gets its byte length. Queries may hold any bytes:
 * a byte that starts no well-formed sequence counts alone (U+FFFD), so a
 * cut sequence never steps over the terminating NUL. */
static uint32_t cp_at(const unsigned char *s, size_t *len)
{
	return utf8_decode((const char *)s, len);
}

/* Scripts written without spaces (same ranges as schema/0002_search.sql). */
static int is_cjk(uint32_t c)
{
	return (c >= 0x3040 && c <= 0x30FF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) ||
	       (c >= 0xF900 && c <= 0xFAFF);
}

/* Adds t as an FTS5 string ("..." with quotes doubled). */
static void quoted(struct buf *b, const char *t, size_t n)
{
	buf_add(b, "\"");
	for (size_t i = 0; i < n; i++) {
		if (t[i] == '"')
			buf_add(b, "\"\"");
		else
			buf_addn(b, &t[i], 1);
	}
	buf_add(b, "\"");
}

/* The query split by script: FTS5 words, trigram runs, substrings. */
struct plan {
	int nwords;       /* terms without Chinese or Japanese */
	struct buf trigram; /* FTS5 expression for messages_cjk */
	char *likes[32];  /* LIKE patterns (escaped, with %) */
	int nlikes;
	int cjk;          /* some term has Chinese or Japanese: use the CJK path */
};

static void add_like(struct plan *p, const char *t, size_t n)
{
	if (p->nlikes == 32)
		return;
	struct buf b = {0};
	buf_add(&b, "%");
	for (size_t i = 0; i < n; i++) {
		if (t[i] == '%' || t[i] == '_' || t[i] == '\\')
			buf_add(&b, "\\");
		buf_addn(&b, &t[i], 1);
	}
	buf_add(&b, "%");
	p->likes[p->nlikes++] = b.p;
}

static void make_plan(const struct search_query *q, struct plan *p)
{
	memset(p, 0, sizeof *p);
	for (size_t i = 0; i < q->nterms; i++) {
		const struct search_term *t = &q->terms[i];
		const unsigned char *s = (const unsigned char *)t->text;
		int has_cjk = 0;
		for (size_t k = 0, len; s[k]; k += len)
			has_cjk |= is_cjk(cp_at(s + k, &len));
		if (!has_cjk) {
			p->nwords++;
			add_like(p, t->text, strlen(t->text)); /* used only when the CJK path runs */
			continue;
		}
		p->cjk = 1;
		/* split into runs of CJK and of other characters */
		size_t k = 0, len;
		while (s[k]) {
			size_t start = k, chars = 0;
			int cjk = is_cjk(cp_at(s + k, &len));
			while (s[k] && is_cjk(cp_at(s + k, &len)) == cjk) {
				k += len;
				chars++;
			}
			const char *run = (const char *)s + start;
			if (cjk && chars >= 3) {
				if (p->trigram.len)
					buf_add(&p->trigram, " ");
				quoted(&p->trigram, run, k - start);
			} else if (k > start && !(chars == 1 && !cjk && (*run == ' '))) {
				add_like(p, run, k - start);
			}
		}
	}
}

static void plan_free(struct plan *p)
{
	buf_free(&p->trigram);
	for (int i = 0; i < p->nlikes; i++)
		free(p->likes[i]);
}

/* Marks the first case-insensitive (ASCII) occurrence of each pattern. */
static char *mark_likes(const char *content, const struct plan *p)
{
	struct buf b = {0};
	const char *best = NULL;
	size_t blen = 0;
	for (int i = 0; i < p->nlikes && !best; i++) {
		struct buf pat = {0};
		for (const char *s = p->likes[i] + 1; *s && s[1]; s++) {
			if (*s == '\\' && s[1])
				s++;
			buf_addn(&pat, s, 1);
		}
		if (pat.len && (best = strcasestr(content, pat.p)))
			blen = pat.len;
		buf_free(&pat);
	}
	if (!best) {
		buf_add(&b, content);
		return b.p ? b.p : strdup("");
	}
	buf_addn(&b, content, (size_t)(best - content));
	buf_add(&b, "<mark>");
	buf_addn(&b, best, blen);
	buf_add(&b, "</mark>");
	buf_add(&b, best + blen);
	return b.p;
}

static void bind_all(sqlite3_stmt *st, const struct search_query *q, const struct plan *p, const char *match,
		     const char *chats)
{
	sqlite3_bind_text(st, 1, match ? match : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, q->sender_id);
	sqlite3_bind_int64(st, 3, q->after_ms);
	sqlite3_bind_int64(st, 4, q->before_ms);
	sqlite3_bind_int(st, 5, q->limit);
	sqlite3_bind_int(st, 6, q->offset);
	sqlite3_bind_text(st, 7, chats, -1, SQLITE_STATIC);
	for (int i = 0; i < p->nlikes; i++)
		sqlite3_bind_text(st, 8 + i, p->likes[i], -1, SQLITE_STATIC);
}


/* Reads a hit row: id, chat_id, chat name, sender_id, sender name,
 * content, (6: snippet, left to the caller), created_at. */
static void read_hit(sqlite3_stmt *st, struct search_hit *h)
{
	h->id = sqlite3_column_int64(st, 0);
	h->chat_id = sqlite3_column_int64(st, 1);
	snprintf(h->chat_name, sizeof h->chat_name, "%s", (const char *)sqlite3_column_text(st, 2));
	h->sender_id = sqlite3_column_int64(st, 3);
	snprintf(h->sender_name, sizeof h->sender_name, "%s", (const char *)sqlite3_column_text(st, 4));
	h->content = strdup((const char *)sqlite3_column_text(st, 5));
	if (!h->content)
		abort();
	h->created_at = sqlite3_column_int64(st, 7);
}

/* ---- the scoped word path ---- */

struct wordlist {
	char words[16][MAX_WORD];
	int n;
};

static void collect(const char *w, size_t n, void *arg)
{
	struct wordlist *l = arg;
	if (l->n < 16 && n < MAX_WORD) {
		memcpy(l->words[l->n], w, n);
		l->words[l->n][n] = 0;
		l->n++;
	}
}

/* The MATCH expression: each term (a word, or a phrase of the words cut
 * from it) ORed over the caller's chats' scoped tokens; terms ANDed. */
static int scoped_match(const struct search_query *q, struct buf *m)
{
	int terms = 0;
	for (size_t i = 0; i < q->nterms; i++) {
		struct wordlist l = {.n = 0};
		fts5_words(q->terms[i].text, collect, &l);
		if (!l.n)
			continue;
		buf_add(m, terms++ ? " AND (" : "(");
		for (size_t c = 0; c < q->nchats; c++) {
			buf_add(m, c ? " OR \"" : "\"");
			for (int k = 0; k < l.n; k++)
				buf_addf(m, "%sk%lldx%s", k ? " " : "", (long long)q->chats[c], l.words[k]);
			buf_add(m, q->terms[i].prefix ? "\"*" : "\"");
		}
		buf_add(m, ")");
	}
	return terms;
}

struct ranked {
	int64_t id;
	double score;
};

/* 1 when a ranks before b. */
static int before(const struct ranked *a, const struct ranked *b, int by_date)
{
	if (!by_date && a->score != b->score)
		return a->score < b->score; /* bm25: lower is better */
	return a->id > b->id;
}

/* What a snippet marks: the query's words, folded; the last word of a
 * prefix term matches as a prefix. */
struct snip {
	const char *content;
	struct wordlist want[16];
	int prefix[16], nt;
	size_t pos[64][2];
	int n;
};

static void snip_word(const char *w, size_t n, void *arg)
{
	struct snip *sn = arg;
	char word[MAX_WORD], f[MAX_WORD];
	if (sn->n == 64 || n >= MAX_WORD)
		return;
	memcpy(word, w, n);
	word[n] = 0;
	utf8_fold_plain(word, f, sizeof f);
	for (int t = 0; t < sn->nt; t++)
		for (int k = 0; k < sn->want[t].n; k++) {
			const char *q = sn->want[t].words[k];
			int last = sn->prefix[t] && k == sn->want[t].n - 1;
			if (last ? !strncmp(f, q, strlen(q)) : !strcmp(f, q)) {
				sn->pos[sn->n][0] = (size_t)(w - sn->content);
				sn->pos[sn->n][1] = (size_t)(w - sn->content) + n;
				sn->n++;
				return;
			}
		}
}

/* The content with the matching words between <mark> and </mark>, cut to
 * about 300 bytes around the first match. Returns owned text. */
static char *snippet(const char *content, const struct search_query *q)
{
	struct snip sn = {.content = content};
	for (size_t i = 0; i < q->nterms && sn.nt < 16; i++) {
		struct wordlist *l = &sn.want[sn.nt];
		l->n = 0;
		fts5_words(q->terms[i].text, collect, l);
		for (int k = 0; k < l->n; k++)
			utf8_fold_plain(l->words[k], l->words[k], MAX_WORD);
		sn.prefix[sn.nt++] = q->terms[i].prefix;
	}
	fts5_words(content, snip_word, &sn);
	size_t len = strlen(content), from = 0, to = len;
	if (len > 300) {
		size_t first = sn.n ? sn.pos[0][0] : 0;
		from = first > 100 ? first - 100 : 0;
		to = from + 300 < len ? from + 300 : len;
		while (from > 0 && ((unsigned char)content[from] & 0xC0) == 0x80)
			from--;
		while (to < len && ((unsigned char)content[to] & 0xC0) == 0x80)
			to++;
	}
	struct buf out = {0};
	size_t at = from;
	if (from)
		buf_add(&out, "…");
	for (int k = 0; k < sn.n; k++) {
		if (sn.pos[k][0] < from || sn.pos[k][1] > to)
			continue;
		buf_addn(&out, content + at, sn.pos[k][0] - at);
		buf_add(&out, "<mark>");
		buf_addn(&out, content + sn.pos[k][0], sn.pos[k][1] - sn.pos[k][0]);
		buf_add(&out, "</mark>");
		at = sn.pos[k][1];
	}
	buf_addn(&out, content + at, to - at);
	if (to < len)
		buf_add(&out, "…");
	return out.p ? out.p : strdup("");
}

static int scoped_search(sqlite3 *db, const struct search_query *q, struct search_hit **out, size_t *n, int64_t *total)
{
	struct buf m = {0};
	sqlite3_stmt *st = NULL;
	struct ranked *top = NULL;
	size_t k = 0, want = (size_t)q->offset + (size_t)q->limit;
	int rc = 0;
	if (!scoped_match(q, &m))
		goto done;
	int filtered = q->sender_id || q->after_ms || q->before_ms;
	const char *sql = filtered
		? "SELECT s.rowid, bm25(messages_scoped, 1.0, 0.4) FROM messages_scoped s JOIN messages m ON m.id = s.rowid"
		  " WHERE messages_scoped MATCH ?1 AND (?2 = 0 OR m.sender_id = ?2) AND (?3 = 0 OR m.created_at > ?3)"
		  " AND (?4 = 0 OR m.created_at < ?4)"
		: "SELECT rowid, bm25(messages_scoped, 1.0, 0.4) FROM messages_scoped WHERE messages_scoped MATCH ?1";
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_err("search: prepare failed: %s", sqlite3_errmsg(db));
		rc = FE_EINTERNAL;
		goto done;
	}
	sqlite3_bind_text(st, 1, m.p, -1, SQLITE_STATIC);
	if (filtered) {
		sqlite3_bind_int64(st, 2, q->sender_id);
		sqlite3_bind_int64(st, 3, q->after_ms);
		sqlite3_bind_int64(st, 4, q->before_ms);
	}
	top = malloc((want + 1) * sizeof *top);
	if (!top)
		abort();
	/* one pass: count every match, keep the best `want` in order */
	int s;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		struct ranked r = {sqlite3_column_int64(st, 0), sqlite3_column_double(st, 1)};
		(*total)++;
		if (k == want && !before(&r, &top[k - 1], q->by_date))
			continue;
		size_t j = k < want ? k++ : k - 1;
		while (j > 0 && before(&r, &top[j - 1], q->by_date)) {
			top[j] = top[j - 1];
			j--;
		}
		top[j] = r;
	}
	if (s == SQLITE_INTERRUPT) {
		rc = FE_EUNAVAIL;
		*total = 0;
		goto done;
	}
	if (s != SQLITE_DONE) {
		log_warn("search: query failed: %s", sqlite3_errmsg(db));
		*total = 0;
		k = 0;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (k <= (size_t)q->offset)
		goto done;
	if (sqlite3_prepare_v2(db,
			       "SELECT m.id, m.chat_id, c.name, m.sender_id, m.sender_name, m.content, NULL, m.created_at"
			       " FROM messages m JOIN chats c ON c.id = m.chat_id WHERE m.id = ?",
			       -1, &st, NULL) != SQLITE_OK) {
		rc = FE_EINTERNAL;
		goto done;
	}
	*out = calloc(k - (size_t)q->offset, sizeof **out);
	if (!*out)
		abort();
	for (size_t i = (size_t)q->offset; i < k; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, top[i].id);
		int r = sqlite3_step(st);
		if (r == SQLITE_INTERRUPT) {
			rc = FE_EUNAVAIL;
			break;
		}
		if (r != SQLITE_ROW)
			continue; /* gone meanwhile */
		struct search_hit *h = &(*out)[(*n)++];
		read_hit(st, h);
		h->snippet = snippet(h->content, q);
	}
done:
	sqlite3_finalize(st);
	free(top);
	buf_free(&m);
	return rc;
}

static int search_once(void *self, const struct search_query *q, struct search_hit **out, size_t *n, int64_t *total)
{
	struct fts *f = self;
	struct plan p;
	struct buf sql = {0}, match = {0}, chats = {0}, count = {0};
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int rc = 0;
	*out = NULL;
	*n = 0;
	*total = 0;
	sqlite3 *db = conn(f);
	if (!db)
		return FE_EUNAVAIL;
	if (stopped(q))
		return FE_EUNAVAIL; /* waited in the queue past its deadline, or nobody waits for it */
	sqlite3_progress_handler(db, PROGRESS_STEPS, should_stop, (void *)q);
	make_plan(q, &p);
	/* the CJK path: a trigram match and/or substrings (every other word
	 * becomes a substring condition too) */
	int cjk = p.cjk;
	if (!q->nchats || (!p.nwords && !cjk))
		goto out;
	if (!cjk) {
		rc = scoped_search(db, q, out, n, total);
		goto out;
	}
	buf_add(&chats, "[");
	for (size_t i = 0; i < q->nchats; i++)
		buf_addf(&chats, "%s%lld", i ? "," : "", (long long)q->chats[i]);
	buf_add(&chats, "]");
	const char *cols = "m.id, m.chat_id, c.name, m.sender_id, m.sender_name, m.content, %s, m.created_at";
	if (p.trigram.len) {
		buf_add(&match, p.trigram.p);
		buf_add(&sql, "SELECT ");
		buf_addf(&sql, cols, "snippet(messages_cjk, 0, '<mark>', '</mark>', '…', 24)");
		buf_add(&sql, " FROM messages_cjk JOIN messages m ON m.id = messages_cjk.rowid"
			      " JOIN chats c ON c.id = m.chat_id WHERE messages_cjk MATCH ?1"
			      " AND m.chat_id IN (SELECT value FROM json_each(?7))");
	} else {
		buf_add(&match, "");
		buf_add(&sql, "SELECT ");
		buf_addf(&sql, cols, "NULL");
		buf_add(&sql, " FROM messages m JOIN chats c ON c.id = m.chat_id WHERE ?1 = ''"
			      " AND m.chat_id IN (SELECT value FROM json_each(?7))");
	}
	buf_add(&sql, " AND m.deleted_at IS NULL AND (?2 = 0 OR m.sender_id = ?2)"
		      " AND (?3 = 0 OR m.created_at > ?3) AND (?4 = 0 OR m.created_at < ?4)");
	for (int i = 0; i < p.nlikes; i++)
		buf_addf(&sql, " AND m.content LIKE ?%d ESCAPE '\\'", 8 + i);
	if (q->by_date || !p.trigram.len)
		buf_add(&sql, " ORDER BY m.id DESC");
	else
		buf_add(&sql, " ORDER BY bm25(messages_cjk), m.id DESC");
	buf_add(&sql, " LIMIT ?5 OFFSET ?6");
	/* the total: the same query counted (bm25 cannot share a query with a window function) */
	const char *from = strstr(sql.p, " FROM ");
	const char *order = strstr(sql.p, " ORDER BY ");
	buf_add(&count, "SELECT count(*)");
	buf_addn(&count, from, (size_t)(order - from));
	buf_add(&count, " AND ?5 > 0 AND ?6 >= 0");
	if (sqlite3_prepare_v2(db, sql.p, -1, &st, NULL) != SQLITE_OK) {
		log_err("search: prepare failed: %s", sqlite3_errmsg(db));
		rc = FE_EINTERNAL;
		goto out;
	}
	bind_all(st, q, &p, match.p, chats.p);
	int s;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		struct search_hit *h;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			struct search_hit *b = realloc(*out, cap * sizeof *b);
			if (!b)
				abort();
			*out = b;
		}
		h = &(*out)[(*n)++];
		memset(h, 0, sizeof *h);
		read_hit(st, h);
		const unsigned char *snip = sqlite3_column_text(st, 6);
		h->snippet = snip ? strdup((const char *)snip) : mark_likes(h->content, &p);
		if (!h->snippet)
			abort();
	}
	if (s == SQLITE_DONE && (*n == (size_t)q->limit || q->offset)) {
		sqlite3_stmt *cs = NULL;
		if (sqlite3_prepare_v2(db, count.p, -1, &cs, NULL) == SQLITE_OK) {
			bind_all(cs, q, &p, match.p, chats.p);
			int r = sqlite3_step(cs);
			if (r == SQLITE_ROW)
				*total = sqlite3_column_int64(cs, 0);
			else if (r == SQLITE_INTERRUPT)
				s = r;
		}
		sqlite3_finalize(cs);
	} else {
		*total = (int64_t)*n + q->offset;
	}
	if (s == SQLITE_INTERRUPT) {
		rc = FE_EUNAVAIL;
	} else if (s != SQLITE_DONE) {
		/* a query FTS5 still refuses must not become a 500: no results */
		log_warn("search: query failed: %s", sqlite3_errmsg(db));
		search_hits_free(*out, *n);
		*out = NULL;
		*n = 0;
		*total = 0;
	}
out:
	sqlite3_finalize(st);
	sqlite3_progress_handler(db, 0, NULL, NULL);
	if (rc == FE_EUNAVAIL) { /* stopped: no partial answer */
		search_hits_free(*out, *n);
		*out = NULL;
		*n = 0;
		*total = 0;
	}
	plan_free(&p);
	buf_free(&sql);
	buf_free(&match);
	buf_free(&chats);
	buf_free(&count);
	return rc;
}

/* A search over a damaged file answers DATABASE_CORRUPT, not a partial (or
 * empty) result: SQLite's error log marks the store damaged for every
 * connection, this worker's included. */
static int fts_search(void *self, const struct search_query *q, struct search_hit **out, size_t *n, int64_t *total)
{
	int rc = search_once(self, q, out, n, total);
	if (rc != FE_EUNAVAIL && sq_is_corrupt()) {
		search_hits_free(*out, *n);
		*out = NULL;
		*n = 0;
		*total = 0;
		rc = FE_ECORRUPT;
	}
	return rc;
}

static int fts_rebuild(void *self)
{
	struct fts *f = self;
	sqlite3 *db = NULL;
	char *msg = NULL;
	int rc = 0;
	if (sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    sqlite3_exec(db,
			 "PRAGMA busy_timeout=10000; BEGIN IMMEDIATE;"
			 " INSERT INTO messages_cjk(messages_cjk) VALUES ('rebuild');",
			 NULL, NULL, &msg) != SQLITE_OK ||
	    fts5_index_rebuild(db) != SQLITE_OK ||
	    sqlite3_exec(db, "INSERT INTO messages_scoped(messages_scoped) VALUES ('optimize'); COMMIT;", NULL, NULL,
			 &msg) != SQLITE_OK) {
		log_err("search: rebuild failed: %s", msg ? msg : db ? sqlite3_errmsg(db) : "no memory");
		rc = FE_EINTERNAL;
	}
	sqlite3_free(msg);
	sqlite3_close_v2(db);
	return rc;
}

static const struct search_ops ops = {fts_search, fts_rebuild};

int fts5_search_open(const char *path, struct search *s)
{
	struct fts *f = calloc(1, sizeof *f);
	if (!f)
		abort();
	snprintf(f->path, sizeof f->path, "%s", path);
	pthread_key_create(&f->key, close_conn);
	s->ops = &ops;
	s->impl = f;
	return 0;
}

void fts5_search_close(struct search *s)
{
	if (!s || !s->impl)
		return;
	struct fts *f = s->impl;
	sqlite3 *db = pthread_getspecific(f->key);
	if (db)
		sqlite3_close_v2(db);
	pthread_key_delete(f->key);
	free(f);
	s->impl = NULL;
}
