/* adapters/fts5_search: turns structured search terms into FTS5 queries.
 * Everything goes to the chat-scoped index messages_scoped
 * (adapters/fts5_index.c): a term's tokens (adapters/fts5_tokenize, the
 * same tokenizer that indexed the messages) are asked as the phrase
 * ("k<c1>x<t1>" + "k<c1>x<t2>" OR "k<c2>x<t1>" + ...) over the caller's
 * chats only, so FTS5 reads just those chats' postings; one pass counts
 * every match and keeps the best page (bm25, newest first among equals),
 * then the page's rows are read and their snippets marked here, at the
 * offsets the tokenizer gives. Scripts without spaces are bigrams, so a
 * substring is a phrase of bigrams. User text is only ever a quoted token,
 * never FTS5 syntax. A progress handler on the thread's connection stops a
 * query at its deadline or when it is cancelled (the client went away). */
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "adapters/fts5_index.h"
#include "adapters/fts5_search.h"
#include "adapters/fts5_tokenize.h"
#include "adapters/sqlite_internal.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/timefmt.h"
#include "lib/utf8.h"
#include "lib/xalloc.h"

#define MAX_WORD 160 /* bytes of a query token (a term has at most 100, folding may lengthen a little) */
#define MAX_TOKS 32  /* tokens of a term */
#define MAX_MARKS 128

struct fts {
	char path[512];
	pthread_key_t key;
	struct sq *store;    /* marked damaged when a search meets corruption; may be NULL */
	int64_t mmap_bytes;  /* each connection's PRAGMA mmap_size */
	int64_t map_rss;     /* resident bytes above which a connection unmaps after a search */
	int64_t cache_bytes; /* each connection's page cache */
	size_t rank_window;  /* newest matches scored (bm25); 0 = all */
};

static void close_conn(void *db)
{
	sqlite3_close_v2(db);
}

/* fe_fold(text): lib/utf8's case folding (the one chats.name_key holds),
 * for display names compared the way chat names are. */
static void sql_fold(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	(void)argc;
	const char *s = (const char *)sqlite3_value_text(argv[0]);
	if (!s) {
		sqlite3_result_null(cx);
		return;
	}
	size_t n = strlen(s) + 1;
	char *out = sqlite3_malloc64(n);
	if (!out) {
		sqlite3_result_error_nomem(cx);
		return;
	}
	utf8_fold(s, out, n);
	sqlite3_result_text(cx, out, -1, sqlite3_free);
}

/* fe_take(p): 1 while the counter p (bound with sqlite3_bind_pointer, type
 * "fe_take") is above zero, counting it down; 0 after. */
static void sql_take(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	(void)argc;
	size_t *left = sqlite3_value_pointer(argv[0], "fe_take");
	int take = left && *left > 0;
	if (take)
		(*left)--;
	sqlite3_result_int(cx, take);
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
	sqlite3_create_function_v2(db, "fe_fold", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_fold, NULL,
	                           NULL, NULL);
	sqlite3_create_function_v2(db, "fe_take", 1, SQLITE_UTF8, NULL, sql_take, NULL, NULL, NULL);
	/* a search reads the postings of the caller's chats and the docsize
	 * row of every match (bm25): a page cache that holds them spares a
	 * pread per page (system calls are dear on a VM); a map would too, but
	 * its touched pages count as resident, and faulting them in again
	 * after an unmap (drop_map) costs more than the reads it saved */
	char pragma[96];
	snprintf(pragma, sizeof pragma, "PRAGMA mmap_size=%lld; PRAGMA cache_size=-%lld",
	         (long long)f->mmap_bytes, (long long)(f->cache_bytes ? f->cache_bytes / 1024 : 2000));
	sqlite3_exec(db, pragma, NULL, NULL, NULL);
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

/* Reads a hit row: id, chat_id, chat name, sender_id, sender name,
 * content, (6: snippet, left to the caller), created_at. */
static void read_hit(sqlite3_stmt *st, struct search_hit *h)
{
	h->id = sqlite3_column_int64(st, 0);
	h->chat_id = sqlite3_column_int64(st, 1);
	snprintf(h->chat_name, sizeof h->chat_name, "%s", (const char *)sqlite3_column_text(st, 2));
	h->sender_id = sqlite3_column_int64(st, 3);
	snprintf(h->sender_name, sizeof h->sender_name, "%s", (const char *)sqlite3_column_text(st, 4));
	h->content = xstrdup((const char *)sqlite3_column_text(st, 5));
	h->created_at = sqlite3_column_int64(st, 7);
}

/* ---- the scoped path ---- */

/* A term's query tokens (a longer term keeps its first MAX_TOKS: a phrase
 * of fewer tokens finds a superset). */
struct qterm {
	char tok[MAX_TOKS][MAX_WORD];
	unsigned char len[MAX_TOKS];
	int star[MAX_TOKS]; /* matched as a prefix */
	int n, full;
};

static void qcollect(void *arg, const char *t, size_t n, size_t start, size_t end, int flags)
{
	(void)start, (void)end;
	struct qterm *q = arg;
	if (q->full || q->n == MAX_TOKS || n >= MAX_WORD) {
		q->full = 1; /* a gap would break the phrase: stop here */
		return;
	}
	memcpy(q->tok[q->n], t, n);
	q->len[q->n] = (unsigned char)n;
	q->star[q->n] = !!(flags & FTS5_TOK_PREFIX);
	q->n++;
}

/* The query's terms tokenized (owned array of q->nterms). */
static struct qterm *query_tokens(const struct search_query *q)
{
	struct qterm *t = xcalloc(q->nterms ? q->nterms : 1, sizeof *t);
	for (size_t i = 0; i < q->nterms; i++) {
		fts5_tokenize(q->terms[i].text, strlen(q->terms[i].text), FTS5_TOK_QUERY, qcollect, &t[i]);
		if (t[i].n && q->terms[i].prefix && !q->terms[i].exclude)
			t[i].star[t[i].n - 1] = 1; /* the word being typed */
	}
	return t;
}

/* A MATCH expression: each term (the phrase of its tokens) ORed over the
 * caller's chats' scoped tokens; the terms to find ANDed (exclude 0), or
 * the excluded ones ORed (exclude 1). Returns the number of terms. */
static int scoped_match(const struct search_query *q, const struct qterm *qt, int exclude, struct buf *m)
{
	int terms = 0;
	char tok[MAX_WORD + 32];
	for (size_t i = 0; i < q->nterms; i++) {
		const struct qterm *t = &qt[i];
		if (!t->n || !q->terms[i].exclude != !exclude)
			continue;
		buf_add(m, terms++ ? (exclude ? " OR (" : " AND (") : "(");
		for (size_t c = 0; c < q->nchats; c++) {
			if (c)
				buf_add(m, " OR ");
			for (int k = 0; k < t->n; k++) {
				int n = snprintf(tok, sizeof tok, "k%lldx%.*s", (long long)q->chats[c],
				                 (int)t->len[k], t->tok[k]);
				if (k)
					buf_add(m, " + ");
				quoted(m, tok, (size_t)n);
				if (t->star[k])
					buf_add(m, "*");
			}
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

/* What a snippet marks: where a term's tokens occur in the content as a
 * run (the phrase FTS5 matched; a token matched as a prefix may be longer),
 * from the first token's start to the last one's end, at the tokenizer's
 * offsets; overlapping places merged. */
struct dtok {
	size_t at, n, start, end;
	int flags;
};

struct dtoks {
	struct buf bytes;
	struct dtok *v;
	size_t n, cap;
};

static void doc_token(void *arg, const char *t, size_t n, size_t start, size_t end, int flags)
{
	struct dtoks *d = arg;
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 64;
		d->v = xrealloc(d->v, d->cap * sizeof *d->v);
	}
	d->v[d->n++] = (struct dtok){d->bytes.len, n, start, end, flags};
	buf_addn(&d->bytes, t, n);
}

static int cmp_place(const void *a, const void *b)
{
	const size_t *x = a, *y = b;
	return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* The places to mark in content (sorted, disjoint); returns how many. */
static int places(const char *content, size_t len, const struct search_query *q, const struct qterm *qt,
                  size_t pos[MAX_MARKS][2])
{
	struct dtoks d = {0};
	int n = 0;
	fts5_tokenize(content, len, FTS5_TOK_DOCUMENT, doc_token, &d);
	for (size_t i = 0; i < q->nterms; i++) {
		const struct qterm *t = &qt[i];
		if (q->terms[i].exclude)
			continue; /* not in the hit, by definition */
		for (size_t p = 0; t->n && p + (size_t)t->n <= d.n && n < MAX_MARKS; p++) {
			int k = 0;
			for (; k < t->n; k++) {
				const struct dtok *x = &d.v[p + (size_t)k];
				size_t qn = t->len[k];
				if ((t->star[k] ? x->n < qn : x->n != qn) ||
				    memcmp(d.bytes.p + x->at, t->tok[k], qn))
					break;
			}
			if (k < t->n)
				continue;
			const struct dtok *first = &d.v[p], *last = &d.v[p + (size_t)t->n - 1];
			size_t end = last->end, l;
			if (t->n == 1 && t->star[0] && (first->flags & FTS5_TOK_GRAM) &&
			    t->len[0] < first->n) {
				utf8_decode_n(content + first->start, first->end - first->start, &l);
				end = first->start + l; /* one character asked: that one, not the bigram */
			}
			pos[n][0] = first->start;
			pos[n][1] = end;
			n++;
		}
	}
	buf_free(&d.bytes);
	free(d.v);
	qsort(pos, (size_t)n, sizeof pos[0], cmp_place);
	int m = 0;
	for (int k = 0; k < n; k++) {
		if (m && pos[k][0] <= pos[m - 1][1]) {
			if (pos[k][1] > pos[m - 1][1])
				pos[m - 1][1] = pos[k][1];
		} else {
			pos[m][0] = pos[k][0];
			pos[m][1] = pos[k][1];
			m++;
		}
	}
	return m;
}

/* The content with the matching tokens between <mark> and </mark>, cut to
 * about 300 bytes around the first match. Returns owned text. */
static char *snippet(const char *content, const struct search_query *q, const struct qterm *qt)
{
	struct {
		size_t pos[MAX_MARKS][2];
		int n;
	} sn;
	size_t len = strlen(content), from = 0, to = len;
	sn.n = places(content, len, q, qt, sn.pos);
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
	return out.p ? out.p : xstrdup("");
}

/* ---- filters (from:, in:, has:, dates): SQL conditions with bound values ---- */

#define MAX_BINDS 64

struct binds {
	struct {
		const char *s; /* NULL: i */
		int64_t i;
	} v[MAX_BINDS];
	int n;
	char folded[2 * SEARCH_MAX_NAMES][SEARCH_NAME_BYTES];
	int nfolded;
};

static void bind_s(struct binds *b, const char *s)
{
	if (b->n < MAX_BINDS)
		b->v[b->n++].s = s;
}

static void bind_i(struct binds *b, int64_t i)
{
	if (b->n < MAX_BINDS) {
		b->v[b->n].s = NULL;
		b->v[b->n++].i = i;
	}
}

static const char *fold(struct binds *b, const char *s)
{
	char *out = b->folded[b->nfolded++];
	utf8_fold(s, out, SEARCH_NAME_BYTES);
	return out;
}

/* Binds b's values from parameter `first` on; returns the next one. */
static int bind_all(sqlite3_stmt *st, const struct binds *b, int first)
{
	for (int i = 0; i < b->n; i++, first++) {
		if (b->v[i].s)
			sqlite3_bind_text(st, first, b->v[i].s, -1, SQLITE_STATIC);
		else
			sqlite3_bind_int64(st, first, b->v[i].i);
	}
	return first;
}

/* "users u is the member called name": the email's local part (ASCII case
 * folded) or the display name (lib/utf8 folding), whole. */
static void user_is(struct buf *w, struct binds *b, const char *name)
{
	buf_add(
	    w, "(substr(u.email, 1, instr(u.email, '@') - 1) = ? COLLATE NOCASE OR fe_fold(u.fullname) = ?)");
	bind_s(b, name);
	bind_s(b, fold(b, name));
}

static void id_list(struct buf *w, const int64_t *ids, size_t n)
{
	char num[24];
	for (size_t i = 0; i < n; i++) {
		snprintf(num, sizeof num, "%s%lld", i ? "," : "", (long long)ids[i]);
		buf_add(w, num);
	}
}

/* Narrows q's chats to those in: names (in:#name a chat's name, in:@name
 * the direct chat with that member). Returns 0 with *ids (owned) and *n,
 * or FE_E*. */
static int in_chats(sqlite3 *db, const struct search_query *q, int64_t **ids, size_t *n)
{
	struct buf w = {0};
	struct binds b = {0};
	sqlite3_stmt *st = NULL;
	int rc = 0;
	*ids = xcalloc(q->nchats ? q->nchats : 1, sizeof **ids);
	*n = 0;
	buf_add(&w, "SELECT c.id FROM chats c WHERE c.id IN (");
	id_list(&w, q->chats, q->nchats);
	buf_add(&w, ") AND (");
	for (int i = 0; i < q->f.nin; i++) {
		const struct search_name *nm = &q->f.in[i];
		if (i)
			buf_add(&w, " OR ");
		if (nm->kind == SEARCH_NAME_DM) {
			buf_add(
			    &w,
			    "(c.chat_type = 'Single' AND EXISTS (SELECT 1 FROM chat_members cm JOIN users u"
			    " ON u.id = cm.user_id WHERE cm.chat_id = c.id AND cm.user_id != ? AND ");
			bind_i(&b, q->user_id);
			user_is(&w, &b, nm->text);
			buf_add(&w, "))");
		} else {
			buf_add(&w, "(c.chat_type != 'Single' AND c.name_key = ?)");
			bind_s(&b, fold(&b, nm->text));
		}
	}
	buf_add(&w, ")");
	if (sqlite3_prepare_v2(db, w.p, -1, &st, NULL) != SQLITE_OK) {
		log_err("search: prepare failed: %s", sqlite3_errmsg(db));
		rc = FE_EINTERNAL;
		goto out;
	}
	bind_all(st, &b, 1);
	int s;
	while ((s = sqlite3_step(st)) == SQLITE_ROW && *n < q->nchats)
		(*ids)[(*n)++] = sqlite3_column_int64(st, 0);
	if (s == SQLITE_INTERRUPT)
		rc = FE_EUNAVAIL;
	else if (s != SQLITE_DONE && s != SQLITE_ROW)
		rc = sq_note_corrupt(NULL, s, NULL) ? FE_ECORRUPT : FE_EINTERNAL;
out:
	sqlite3_finalize(st);
	buf_free(&w);
	return rc;
}

/* The conditions on messages m besides the words: " AND ..." (or nothing)
 * into w, their values into b. Returns 1 when there is any. */
static int filter_sql(const struct search_query *q, struct buf *w, struct binds *b)
{
	size_t at = w->len;
	if (q->sender_id) {
		buf_add(w, " AND m.sender_id = ?");
		bind_i(b, q->sender_id);
	}
	if (q->after_ms) {
		buf_add(w, " AND m.created_at > ?");
		bind_i(b, q->after_ms);
	}
	if (q->before_ms) {
		buf_add(w, " AND m.created_at < ?");
		bind_i(b, q->before_ms);
	}
	if (q->f.nfrom) {
		buf_add(w, " AND m.sender_id IN (SELECT u.id FROM users u WHERE ");
		for (int i = 0; i < q->f.nfrom; i++) {
			if (i)
				buf_add(w, " OR ");
			if (q->f.from[i].kind == SEARCH_NAME_ME) {
				buf_add(w, "u.id = ?");
				bind_i(b, q->user_id);
			} else {
				user_is(w, b, q->f.from[i].text);
			}
		}
		buf_add(w, ")");
	}
	if (q->f.has_file)
		buf_add(w, " AND EXISTS (SELECT 1 FROM message_files mf WHERE mf.message_id = m.id)");
	if (q->f.has_link)
		buf_add(w, " AND (m.content LIKE '%http://%' OR m.content LIKE '%https://%')");
	return w->len > at;
}

/* Chats asked in one MATCH: FTS5 merges the phrases ORed over the chats
 * child by child for every row, so a caller in hundreds of chats is
 * searched a batch at a time. A row holds its own chat's tokens only, so
 * each row matches in one batch and gets the same bm25 there (the other
 * chats' phrases add nothing to its score, and each phrase's document
 * count is the same): the hits and totals are those of one big MATCH. */
#define CHAT_BATCH 10

/* Steps st to its end, counting the rows into *total and keeping the best
 * `want` in top[0..*k) (column 0 the id, 1 the score). Returns st's last
 * step result. */
static int collect(sqlite3_stmt *st, struct ranked *top, size_t *k, size_t want, int by_date, int64_t *total)
{
	int s;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		struct ranked r = {sqlite3_column_int64(st, 0), sqlite3_column_double(st, 1)};
		(*total)++;
		if (*k == want && !before(&r, &top[*k - 1], by_date))
			continue;
		size_t j = *k < want ? (*k)++ : *k - 1;
		while (j > 0 && before(&r, &top[j - 1], by_date)) {
			top[j] = top[j - 1];
			j--;
		}
		top[j] = r;
	}
	return s;
}

/* Relevance ranks the newest RANK_WINDOW matches only: a common word or a
 * short prefix in hundreds of chats matches tens of thousands of messages,
 * and bm25 costs a docsize read and a position list per row it scores.
 * Each batch of chats is walked newest first: every match counted, the
 * newest kept, and only the first few scored (a share of the window, the
 * rest of the row left unscored by fe_take). The newest RANK_WINDOW
 * matches of all batches are the window; a batch that holds more of them
 * than it scored is asked again for bm25 at or above the window's oldest
 * rowid (rare: the shares are generous). Matches older than the window
 * follow it, newest first, so the order is one total order and pages
 * never overlap. With fewer matches than the window, the order is bm25
 * over every match, as before. */
#define RANK_WINDOW 1000 /* the default (--search-rank-window) */

/* The scoped MATCH for one batch of q's chats into m (reset first): the
 * terms to find, minus the excluded ones. */
static void batch_match(const struct search_query *q, const struct qterm *qt, size_t c0, int excluded,
                        struct buf *m, struct buf *neg)
{
	struct search_query part = *q;
	part.chats = q->chats + c0;
	part.nchats = q->nchats - c0 < CHAT_BATCH ? q->nchats - c0 : CHAT_BATCH;
	buf_free(m);
	scoped_match(&part, qt, 0, m);
	if (excluded) {
		buf_free(neg);
		scoped_match(&part, qt, 1, neg);
		buf_add(m, " NOT body : (");
		buf_addn(m, neg->p, neg->len);
		buf_add(m, ")");
	}
}

/* A kept match: its id, its bm25 when scored. */
struct kept {
	int64_t id;
	double score;
	int scored;
};

static int cmp_kept_id(const void *a, const void *b)
{
	int64_t x = ((const struct kept *)a)->id, y = ((const struct kept *)b)->id;
	return x < y ? 1 : x > y ? -1 : 0; /* newest first */
}

/* "SELECT s.rowid, <col> FROM messages_scoped s [JOIN messages m] WHERE
 * messages_scoped MATCH ? <and> <filters> <order>" prepared into *st. */
static int prepare_words(sqlite3 *db, const char *col, const char *and, const struct buf *w,
                         const char *order, sqlite3_stmt **st)
{
	struct buf sql = {0};
	buf_add(&sql, "SELECT s.rowid, ");
	buf_add(&sql, col);
	buf_add(&sql, " FROM messages_scoped s");
	if (w->p)
		buf_add(&sql, " JOIN messages m ON m.id = s.rowid");
	buf_add(&sql, " WHERE messages_scoped MATCH ?");
	buf_add(&sql, and);
	if (w->p)
		buf_add(&sql, w->p);
	buf_add(&sql, order);
	int rc = sqlite3_prepare_v2(db, sql.p, -1, st, NULL);
	if (rc != SQLITE_OK)
		log_err("search: prepare failed: %s", sqlite3_errmsg(db));
	buf_free(&sql);
	return rc;
}

/* Words to find: the best `want` ids into top[0..*k) (owned by the caller,
 * want + 1 slots), every match counted into *total. Returns the last step
 * result (SQLITE_DONE when all went well) or -1 when a statement could not
 * be prepared. */
static int words_search(sqlite3 *db, const struct search_query *q, const struct qterm *qt, int excluded,
                        int by_date, struct binds *b, struct ranked *top, size_t *k, size_t want,
                        size_t rank_window, int64_t *total)
{
	struct buf m = {0}, neg = {0}, w = {0};
	sqlite3_stmt *walk = NULL, *rank = NULL;
	size_t nbatch = (q->nchats + CHAT_BATCH - 1) / CHAT_BATCH;
	size_t win = by_date ? 0 : rank_window ? rank_window : SIZE_MAX;
	size_t keep = want > win ? want : win, nkept = 0;
	/* each batch scores its newest `share` (a batch's share of the window
	 * is about win / nbatch when the chats' messages interleave) */
	size_t share =
	    win == SIZE_MAX ? SIZE_MAX : win / (nbatch ? nbatch : 1) + win / (4 * (nbatch ? nbatch : 1)) + 16;
	if (share > keep)
		share = keep;
	struct kept *kept = NULL;
	size_t *scored_n = xcalloc(nbatch ? nbatch : 1, sizeof *scored_n);
	int s = SQLITE_DONE;
	filter_sql(q, &w, b);
	/* 1: per batch, newest first: count every match, keep the newest
	 * `keep` with the first `share` scored */
	if (prepare_words(db, "CASE WHEN fe_take(?) THEN bm25(messages_scoped, 1.0, 0.4) END", "", &w,
	                  " ORDER BY s.rowid DESC", &walk) != SQLITE_OK) {
		s = -1;
		goto out;
	}
	struct kept *bk = NULL, *merged = NULL; /* a batch's newest, newest first; the merge of both */
	size_t bcap = 0;
	for (size_t bi = 0; bi < nbatch && s == SQLITE_DONE; bi++) {
		sqlite3_reset(walk); /* before its bound text is freed */
		batch_match(q, qt, bi * CHAT_BATCH, excluded, &m, &neg);
		size_t left = win ? share : 0, got = 0, nb = 0;
		sqlite3_bind_pointer(walk, 1, &left, "fe_take", NULL);
		sqlite3_bind_text(walk, 2, m.p, -1, SQLITE_STATIC);
		bind_all(walk, b, 3);
		while ((s = sqlite3_step(walk)) == SQLITE_ROW) {
			(*total)++;
			if (got++ >= keep)
				continue;
			if (nb == bcap) {
				bcap = bcap ? bcap * 2 : 256;
				bk = xrealloc(bk, bcap * sizeof *bk);
			}
			int sc = sqlite3_column_type(walk, 1) != SQLITE_NULL;
			bk[nb++] = (struct kept){sqlite3_column_int64(walk, 0),
			                         sc ? sqlite3_column_double(walk, 1) : 0, sc};
		}
		scored_n[bi] = got < share ? got : share;
		if (!nb)
			continue;
		/* the newest `keep` of both lists (a row is in one batch only) */
		size_t mn = nkept + nb < keep ? nkept + nb : keep, i = 0, j = 0;
		merged = xrealloc(merged, mn * sizeof *merged);
		for (size_t o = 0; o < mn; o++)
			merged[o] = j == nb || (i < nkept && kept[i].id > bk[j].id) ? kept[i++] : bk[j++];
		struct kept *t = kept;
		kept = merged;
		merged = t;
		nkept = mn;
	}
	free(bk);
	free(merged);
	sqlite3_reset(walk);
	if (s != SQLITE_DONE || !nkept)
		goto out;
	size_t window = nkept < win ? nkept : win;
	/* 2: a window row left unscored: its batch held more of the window
	 * than its share; score that batch's rows at or above the window's
	 * oldest */
	int missing = 0;
	for (size_t i = 0; i < window && !missing; i++)
		missing = !kept[i].scored;
	if (missing) {
		int64_t oldest = kept[window - 1].id;
		if (prepare_words(db, "bm25(messages_scoped, 1.0, 0.4)", " AND s.rowid >= ?", &w, "",
		                  &rank) != SQLITE_OK) {
			s = -1;
			goto out;
		}
		for (size_t bi = 0; bi < nbatch && s == SQLITE_DONE; bi++) {
			if (scored_n[bi] < share)
				continue; /* scored every match it had */
			sqlite3_reset(rank);
			batch_match(q, qt, bi * CHAT_BATCH, excluded, &m, &neg);
			sqlite3_bind_text(rank, 1, m.p, -1, SQLITE_STATIC);
			sqlite3_bind_int64(rank, 2, oldest);
			bind_all(rank, b, 3);
			while ((s = sqlite3_step(rank)) == SQLITE_ROW) {
				struct kept key = {sqlite3_column_int64(rank, 0), 0, 0};
				struct kept *x = bsearch(&key, kept, window, sizeof *kept, cmp_kept_id);
				if (x && !x->scored)
					*x = (struct kept){key.id, sqlite3_column_double(rank, 1), 1};
			}
		}
		if (s != SQLITE_DONE)
			goto out;
	}
	/* the window by relevance, the page's share of it */
	size_t rw = want < window ? want : window;
	for (size_t i = 0; i < window; i++) {
		struct ranked r = {kept[i].id, kept[i].score};
		if (*k == rw && !before(&r, &top[*k - 1], 0))
			continue;
		size_t j = *k < rw ? (*k)++ : *k - 1;
		while (j > 0 && before(&r, &top[j - 1], 0)) {
			top[j] = top[j - 1];
			j--;
		}
		top[j] = r;
	}
	/* the rest of the page: the matches after the window, newest first */
	for (size_t i = window; i < nkept && *k < want; i++)
		top[(*k)++] = (struct ranked){kept[i].id, 0};
out:
	sqlite3_finalize(walk);
	sqlite3_finalize(rank);
	free(kept);
	free(scored_n);
	buf_free(&m);
	buf_free(&neg);
	buf_free(&w);
	return s;
}

static int scoped_search(sqlite3 *db, const struct search_query *q0, size_t rank_window,
                         struct search_hit **out, size_t *n, int64_t *total)
{
	struct buf m = {0}, neg = {0}, sql = {0};
	struct binds b = {0};
	sqlite3_stmt *st = NULL;
	struct ranked *top = NULL;
	int64_t *narrowed = NULL;
	struct search_query qq = *q0, *q = &qq;
	size_t k = 0, want = (size_t)q->offset + (size_t)q->limit;
	int rc = 0, by_date = q->by_date;
	struct qterm *qt = query_tokens(q);
	if (q->f.nin) { /* in: first: the chats searched */
		if ((rc = in_chats(db, q0, &narrowed, &q->nchats)))
			goto done;
		q->chats = narrowed;
		if (!q->nchats)
			goto done; /* no chat of the caller's by that name */
	}
	int words = scoped_match(q, qt, 0, &m), excluded = scoped_match(q, qt, 1, &neg);
	int positive = 0;
	for (size_t i = 0; i < q->nterms; i++)
		positive |= !q->terms[i].exclude;
	if (positive && !words)
		goto done; /* words typed, none of them indexable */
	top = xmalloc((want + 1) * sizeof *top);
	int s = SQLITE_DONE;
	if (words) {
		s = words_search(db, q, qt, excluded, by_date, &b, top, &k, want, rank_window, total);
		if (s == -1) {
			rc = FE_EINTERNAL;
			goto done;
		}
	} else { /* filters only: the newest messages that pass them */
		by_date = 1;
		buf_add(&sql, "SELECT m.id, 0.0 FROM messages m WHERE m.chat_id IN (");
		id_list(&sql, q->chats, q->nchats);
		buf_add(&sql, ") AND m.deleted_at IS NULL");
		if (excluded)
			buf_add(
			    &sql,
			    " AND m.id NOT IN (SELECT rowid FROM messages_scoped WHERE messages_scoped MATCH"
			    " ?) ");
		filter_sql(q, &sql, &b);
		buf_add(&sql, " ORDER BY m.id DESC");
		if (sqlite3_prepare_v2(db, sql.p, -1, &st, NULL) != SQLITE_OK) {
			log_err("search: prepare failed: %s", sqlite3_errmsg(db));
			rc = FE_EINTERNAL;
			goto done;
		}
		int first = 1;
		if (excluded)
			sqlite3_bind_text(st, first++, neg.p, -1, SQLITE_STATIC);
		bind_all(st, &b, first);
		s = collect(st, top, &k, want, by_date, total);
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
		if (sq_note_corrupt(NULL, s, NULL)) {
			rc = FE_ECORRUPT;
			goto done;
		}
	}
	sqlite3_finalize(st);
	st = NULL;
	if (k <= (size_t)q->offset)
		goto done;
	/* the sender's current name (the index holds the one at send time) */
	if (sqlite3_prepare_v2(
	        db,
	        "SELECT m.id, m.chat_id, c.name, m.sender_id, coalesce(u.fullname, m.sender_name), m.content,"
	        " NULL, m.created_at FROM messages m JOIN chats c ON c.id = m.chat_id"
	        " LEFT JOIN users u ON u.id = m.sender_id WHERE m.id = ?",
	        -1, &st, NULL) != SQLITE_OK) {
		rc = FE_EINTERNAL;
		goto done;
	}
	*out = xcalloc(k - (size_t)q->offset, sizeof **out);
	for (size_t i = (size_t)q->offset; i < k; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, top[i].id);
		int r = sqlite3_step(st);
		if (r == SQLITE_INTERRUPT) {
			rc = FE_EUNAVAIL;
			break;
		}
		if (sq_note_corrupt(NULL, r, NULL)) {
			rc = FE_ECORRUPT;
			break;
		}
		if (r != SQLITE_ROW)
			continue; /* gone meanwhile */
		struct search_hit *h = &(*out)[(*n)++];
		read_hit(st, h);
		h->snippet = snippet(h->content, q, qt);
	}
done:
	sqlite3_finalize(st);
	free(qt);
	free(top);
	free(narrowed);
	buf_free(&m);
	buf_free(&neg);
	buf_free(&sql);
	return rc;
}

static int search_once(void *self, const struct search_query *q, struct search_hit **out, size_t *n,
                       int64_t *total)
{
	struct fts *f = self;
	int rc = 0;
	*out = NULL;
	*n = 0;
	*total = 0;
	sqlite3 *db = conn(f);
	if (!db)
		return FE_EUNAVAIL;
	if (stopped(q))
		return FE_EUNAVAIL; /* waited in the queue past its deadline, or nobody waits for it */
	if (!q->nchats)
		return 0;
	sqlite3_progress_handler(db, PROGRESS_STEPS, should_stop, (void *)q);
	/* one snapshot for the walk, the ranking and the rows */
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	rc = scoped_search(db, q, f->rank_window, out, n, total);
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	sqlite3_progress_handler(db, 0, NULL, NULL);
	if (rc == FE_EUNAVAIL) { /* stopped: no partial answer */
		search_hits_free(*out, *n);
		*out = NULL;
		*n = 0;
		*total = 0;
	}
	return rc;
}

/* A search over a damaged file answers DATABASE_CORRUPT, not a partial (or
 * empty) result: corruption this worker meets marks the store damaged, and
 * once the store is damaged every search answers so. */
/* The process's resident memory in bytes (/proc/self/statm), 0 when
 * unknown. */
static int64_t resident_bytes(void)
{
	char b[128];
	int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, b, sizeof b - 1);
	close(fd);
	if (n <= 0)
		return 0;
	b[n] = 0;
	long long size = 0, res = 0;
	if (sscanf(b, "%lld %lld", &size, &res) != 2)
		return 0;
	return (int64_t)res * sysconf(_SC_PAGESIZE);
}

/* Once a search is over (every statement done) and the process holds more
 * than f->map_rss resident, unmaps db's file: the mapped pages it touched
 * leave the resident set (they stay in the kernel's page cache) and the
 * next search maps the file again on its first read. Unmapping after
 * every search would fault every page in again (slow on a VM), so only
 * over the budget. */
static void drop_map(struct fts *f, sqlite3 *db)
{
	if (!db || f->mmap_bytes <= 0 || (f->map_rss > 0 && resident_bytes() <= f->map_rss))
		return;
	sqlite3_int64 sz = 0;
	sqlite3_file_control(db, "main", SQLITE_FCNTL_MMAP_SIZE, &sz);
	sz = f->mmap_bytes;
	sqlite3_file_control(db, "main", SQLITE_FCNTL_MMAP_SIZE, &sz);
}

static int fts_search(void *self, const struct search_query *q, struct search_hit **out, size_t *n,
                      int64_t *total)
{
	struct fts *f = self;
	int rc = search_once(self, q, out, n, total);
	sqlite3 *db = pthread_getspecific(f->key);
	drop_map(f, db);
	if (rc == FE_ECORRUPT && !sq_is_corrupt(f->store))
		sq_note_corrupt(f->store, SQLITE_CORRUPT, db ? sqlite3_errmsg(db) : "met by a search");
	if (rc != FE_EUNAVAIL && sq_is_corrupt(f->store)) {
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
	    sqlite3_exec(db, "PRAGMA busy_timeout=10000; BEGIN IMMEDIATE;", NULL, NULL, &msg) != SQLITE_OK ||
	    fts5_index_rebuild(db) != SQLITE_OK ||
	    sqlite3_exec(db, "INSERT INTO messages_scoped(messages_scoped) VALUES ('optimize'); COMMIT;",
	                 NULL, NULL, &msg) != SQLITE_OK) {
		log_err("search: rebuild failed: %s", msg ? msg : db ? sqlite3_errmsg(db) : "no memory");
		rc = FE_EINTERNAL;
	}
	sqlite3_free(msg);
	sqlite3_close_v2(db);
	return rc;
}

static const struct search_ops ops = {fts_search, fts_rebuild};

int fts5_search_open(const char *path, struct store *store, const struct fts5_search_mem *mem,
                     struct search *s)
{
	struct fts *f = xcalloc(1, sizeof *f);
	snprintf(f->path, sizeof f->path, "%s", path);
	f->store = store ? store->impl : NULL;
	f->cache_bytes = mem ? mem->cache_bytes : 4 << 20;
	f->mmap_bytes = mem ? mem->mmap_bytes : 0;
	f->map_rss = mem ? mem->map_rss : 0;
	f->rank_window = mem ? (size_t)mem->rank_window : RANK_WINDOW;
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
