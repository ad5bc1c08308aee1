/* adapters/pg_search: the search port on PostgreSQL (see the header).
 *
 * One search is at most three round trips on the thread's connection:
 * the terms turned into tsqueries by PostgreSQL itself (phraseto_tsquery
 * or, for the word being typed, to_tsquery with :*, both in the fe_search
 * configuration, so the query is folded exactly as the documents are), the
 * names of from:/in: filters resolved (folded here with lib/utf8, as the
 * SQLite adapter does), then one statement that counts every match
 * (count(*) OVER ()), keeps the page (ORDER BY rank, id LIMIT/OFFSET) and
 * marks it (ts_headline). Everything is scoped to the caller's chats in the
 * statement (chat_id = ANY($1)). User text only ever travels as a bound
 * parameter. Statements are sent asynchronously and the socket is polled,
 * so a search past its deadline or whose client went away is cancelled
 * (PQcancel) instead of running on. */
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "adapters/pg_search.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/timefmt.h"
#include "lib/utf8.h"
#include "lib/xalloc.h"

#define MAX_PARAMS 64
#define MAX_MARKS 128
#define POLL_MS 20 /* between two looks at the clock and the cancel flag */

/* The document a search matches: the content (weight A, 1.0) and the
 * sender's name at send time (weight B, 0.4), the expression of the GIN
 * index messages_search (schema/postgres/0010_search.sql). */
#define DOC "fe_search_doc(m.content, m.sender_name)"

struct pgs {
	char url[512];
	pthread_key_t key;
};

static void close_conn(void *c)
{
	PQfinish(c);
}

/* This thread's connection (reopened when it broke), or NULL. */
static PGconn *conn(struct pgs *p)
{
	PGconn *c = pthread_getspecific(p->key);
	if (c && PQstatus(c) == CONNECTION_OK)
		return c;
	if (c) {
		PQfinish(c);
		pthread_setspecific(p->key, NULL);
	}
	c = PQconnectdb(p->url);
	if (!c || PQstatus(c) != CONNECTION_OK) {
		log_err("search: cannot connect to PostgreSQL: %s", c ? PQerrorMessage(c) : "no memory");
		PQfinish(c);
		return NULL;
	}
	pthread_setspecific(p->key, c);
	return c;
}

static int should_stop(const struct search_query *q)
{
	if (q->cancel && __atomic_load_n(q->cancel, __ATOMIC_RELAXED))
		return 1;
	return q->deadline_us && time_mono_us() >= q->deadline_us;
}

/* Bound parameters ($1, $2, ...): borrowed strings or numbers formatted
 * here. */
struct params {
	const char *v[MAX_PARAMS];
	char num[MAX_PARAMS][24];
	int n;
};

/* Adds s as the next parameter; returns its number (1-based). */
static int param_s(struct params *p, const char *s)
{
	if (p->n == MAX_PARAMS)
		return p->n; /* unreachable: a query has at most ~40 */
	p->v[p->n++] = s;
	return p->n;
}

static int param_i(struct params *p, int64_t i)
{
	if (p->n == MAX_PARAMS)
		return p->n;
	snprintf(p->num[p->n], sizeof p->num[0], "%lld", (long long)i);
	p->v[p->n] = p->num[p->n];
	return ++p->n;
}

/* Runs sql with p on c, giving up when q must stop (the statement is
 * cancelled). Returns the result (owned; PGRES_TUPLES_OK checked) or NULL
 * with *rc FE_EUNAVAIL (stopped, or the connection broke) or
 * FE_EINTERNAL. */
static PGresult *run(PGconn *c, const char *sql, const struct params *p, const struct search_query *q,
                     int *rc)
{
	if (!PQsendQueryParams(c, sql, p->n, NULL, p->v, NULL, NULL, 0)) {
		log_warn("search: send failed: %s", PQerrorMessage(c));
		*rc = PQstatus(c) == CONNECTION_OK ? FE_EINTERNAL : FE_EUNAVAIL;
		return NULL;
	}
	int stopped = 0;
	while (PQisBusy(c)) {
		if (!stopped && should_stop(q)) {
			PGcancel *cx = PQgetCancel(c);
			char e[256];
			if (cx)
				PQcancel(cx, e, sizeof e);
			PQfreeCancel(cx);
			stopped = 1;
		}
		struct pollfd pfd = {PQsocket(c), POLLIN, 0};
		if (poll(&pfd, 1, POLL_MS) < 0 || !PQconsumeInput(c))
			break;
	}
	PGresult *res = NULL, *r;
	while ((r = PQgetResult(c)))
		if (!res)
			res = r;
		else
			PQclear(r);
	if (stopped) {
		PQclear(res);
		*rc = FE_EUNAVAIL;
		return NULL;
	}
	if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_warn("search: query failed: %s", res ? PQresultErrorMessage(res) : PQerrorMessage(c));
		PQclear(res);
		*rc = PQstatus(c) == CONNECTION_OK ? FE_EINTERNAL : FE_EUNAVAIL;
		return NULL;
	}
	return res;
}

/* 1 when cp belongs to a script written without spaces between words
 * (the ones adapters/fts5_tokenize cuts into bigrams). */
static int unspaced_cp(unsigned cp)
{
	return (cp >= 0x0E00 && cp <= 0x0EFF) || /* Thai, Lao */
	       (cp >= 0x1000 && cp <= 0x109F) || /* Myanmar */
	       (cp >= 0x1780 && cp <= 0x17FF) || /* Khmer */
	       (cp >= 0x3040 && cp <= 0x30FF) || /* Hiragana, Katakana */
	       (cp >= 0x31F0 && cp <= 0x31FF) || /* Katakana extensions */
	       (cp >= 0x3400 && cp <= 0x4DBF) || /* CJK extension A */
	       (cp >= 0x4E00 && cp <= 0x9FFF) || /* CJK */
	       (cp >= 0xF900 && cp <= 0xFAFF) || /* CJK compatibility */
	       (cp >= 0xFF66 && cp <= 0xFF9F) || /* half-width Katakana */
	       (cp >= 0x20000 && cp <= 0x3FFFF); /* CJK extensions B.. */
}

/* 1 when the term holds a character of an unspaced script: it is then
 * matched as a substring of the content (what the bigrams of the FTS5
 * adapter find). */
static int unspaced(const char *s)
{
	size_t len = strlen(s), l;
	for (size_t i = 0; i < len; i += l) {
		unsigned cp = utf8_decode_n(s + i, len - i, &l);
		if (!l)
			l = 1;
		if (unspaced_cp(cp))
			return 1;
	}
	return 0;
}

/* 1 when cp is a Hebrew point or cantillation mark, or an Arabic vowel
 * or Quranic mark: optional in writing, so left out on both sides (the
 * list of fe_strip_marks in schema/postgres/0010_search.sql). */
static int optional_mark(unsigned cp)
{
	return (cp >= 0x0591 && cp <= 0x05BD) || cp == 0x05BF || cp == 0x05C1 || cp == 0x05C2 ||
	       cp == 0x05C4 || cp == 0x05C5 || cp == 0x05C7 || (cp >= 0x0610 && cp <= 0x061A) ||
	       (cp >= 0x064B && cp <= 0x065F) || cp == 0x0670 || (cp >= 0x06D6 && cp <= 0x06DC) ||
	       (cp >= 0x06DF && cp <= 0x06E4) || cp == 0x06E7 || cp == 0x06E8 ||
	       (cp >= 0x06EA && cp <= 0x06ED);
}

/* 1 when the term is written in Hebrew or Arabic letters: it is then
 * matched as a substring of the content with the optional marks left out
 * on both sides (unaccent does not fold them). */
static int marked_script(const char *s)
{
	size_t len = strlen(s), l;
	for (size_t i = 0; i < len; i += l) {
		unsigned cp = utf8_decode_n(s + i, len - i, &l);
		if (!l)
			l = 1;
		if ((cp >= 0x0590 && cp <= 0x05FF) || (cp >= 0x0600 && cp <= 0x06FF) ||
		    (cp >= 0x0750 && cp <= 0x077F) || (cp >= 0x08A0 && cp <= 0x08FF) ||
		    (cp >= 0xFB1D && cp <= 0xFDFF) || (cp >= 0xFE70 && cp <= 0xFEFF))
			return 1;
	}
	return 0;
}

/* s without its optional marks (owned); when map is given, (*map)[i] is
 * the offset in s of the output's byte i (the array has one more entry:
 * the end). */
static char *strip_marks(const char *s, size_t **map)
{
	size_t len = strlen(s), l, n = 0;
	char *out = xmalloc(len + 1);
	if (map)
		*map = xmalloc((len + 1) * sizeof **map);
	for (size_t i = 0; i < len; i += l) {
		unsigned cp = utf8_decode_n(s + i, len - i, &l);
		if (!l)
			l = 1;
		if (optional_mark(cp))
			continue;
		for (size_t k = 0; k < l; k++) {
			if (map)
				(*map)[n] = i + k;
			out[n++] = s[i + k];
		}
	}
	out[n] = 0;
	if (map)
		(*map)[n] = len;
	return out;
}

/* A term as PostgreSQL will match it. */
struct pterm {
	char *tsq;  /* owned: its tsquery as text ("" = nothing indexable), or NULL: substring */
	char *like; /* owned: the ILIKE pattern of a substring term */
	char *bare; /* owned: a Hebrew or Arabic term without its optional marks (like is of it) */
	const char *text;
	int exclude;
};

/* '%text%' with LIKE's \ % _ escaped (owned). */
static char *like_pattern(const char *t)
{
	struct buf b = {0};
	buf_add(&b, "%");
	for (const char *s = t; *s; s++) {
		if (*s == '\\' || *s == '%' || *s == '_')
			buf_add(&b, "\\");
		buf_addn(&b, s, 1);
	}
	buf_add(&b, "%");
	return b.p;
}

/* The word being typed as to_tsquery text: 'text':* with quotes and
 * backslashes escaped (owned). */
static char *prefix_query(const char *t)
{
	struct buf b = {0};
	buf_add(&b, "'");
	for (const char *s = t; *s; s++) {
		if (*s == '\'' || *s == '\\')
			buf_addn(&b, s, 1);
		buf_addn(&b, s, 1);
	}
	buf_add(&b, "':*");
	return b.p;
}

/* Fills t[0..q->nterms): substring patterns here, tsqueries by one round
 * trip. Returns 0 or FE_E*. */
static int terms_of(PGconn *c, const struct search_query *q, struct pterm *t)
{
	struct buf sql = {0};
	struct params p = {0};
	char *pre[MAX_PARAMS] = {0};
	int npre = 0, asked = 0, rc = 0;
	buf_add(&sql, "SELECT ");
	for (size_t i = 0; i < q->nterms && i < MAX_PARAMS; i++) {
		t[i].text = q->terms[i].text;
		t[i].exclude = q->terms[i].exclude;
		if (unspaced(t[i].text)) {
			t[i].like = like_pattern(t[i].text);
			continue;
		}
		if (marked_script(t[i].text)) {
			t[i].bare = strip_marks(t[i].text, NULL);
			t[i].like = like_pattern(t[i].bare);
			continue;
		}
		int n;
		if (q->terms[i].prefix && !q->terms[i].phrase && !q->terms[i].exclude) {
			pre[npre] = prefix_query(t[i].text);
			n = param_s(&p, pre[npre++]);
			buf_addf(&sql, "%sto_tsquery('fe_search', $%d)::text", asked ? ", " : "", n);
		} else {
			n = param_s(&p, t[i].text);
			buf_addf(&sql, "%sphraseto_tsquery('fe_search', $%d)::text", asked ? ", " : "", n);
		}
		asked++;
	}
	if (asked) {
		PGresult *r = run(c, sql.p, &p, q, &rc);
		if (r) {
			int col = 0;
			for (size_t i = 0; i < q->nterms && i < MAX_PARAMS; i++)
				if (!t[i].like)
					t[i].tsq = xstrdup(PQntuples(r) ? PQgetvalue(r, 0, col++) : "");
			PQclear(r);
		}
	}
	for (int i = 0; i < npre; i++)
		free(pre[i]);
	buf_free(&sql);
	return rc;
}

/* 1 when the member (email, display name) answers to name: the email's
 * local part (ASCII case folded) or the display name (lib/utf8 folding),
 * whole. */
static int user_is(const char *email, const char *fullname, const char *name)
{
	const char *at = strchr(email, '@');
	size_t local = at ? (size_t)(at - email) : strlen(email);
	if (local == strlen(name) && !strncasecmp(email, name, local))
		return 1;
	char a[SEARCH_NAME_BYTES * 2], b[SEARCH_NAME_BYTES * 2];
	utf8_fold(fullname, a, sizeof a);
	utf8_fold(name, b, sizeof b);
	return !strcmp(a, b);
}

/* '{1,2,3}' of ids, a bigint[] parameter (owned). */
static char *id_array(const int64_t *ids, size_t n)
{
	struct buf b = {0};
	buf_add(&b, "{");
	for (size_t i = 0; i < n; i++)
		buf_addf(&b, "%s%lld", i ? "," : "", (long long)ids[i]);
	buf_add(&b, "}");
	return b.p;
}

/* Narrows q's chats to the in: names (in:#name a chat's name, in:@name the
 * direct chat with that member). *ids owned. Returns 0 or FE_E*. */
static int in_chats(PGconn *c, const struct search_query *q, int64_t **ids, size_t *n)
{
	struct params p = {0};
	char *chats = id_array(q->chats, q->nchats);
	char folded[SEARCH_MAX_NAMES][SEARCH_NAME_BYTES * 2];
	struct buf sql = {0};
	int rc = 0;
	*ids = xcalloc(q->nchats ? q->nchats : 1, sizeof **ids);
	*n = 0;
	param_s(&p, chats);
	param_i(&p, q->user_id);
	/* channels by folded name (the list starts with NULL, which matches
	 * nothing, for in: of direct chats only); direct chats with their
	 * other member */
	buf_add(&sql, "SELECT c.id, c.chat_type, u.email, u.fullname FROM chats c"
	              " LEFT JOIN chat_members cm ON c.chat_type = 'Single' AND cm.chat_id = c.id"
	              " AND cm.user_id <> $2 LEFT JOIN users u ON u.id = cm.user_id"
	              " WHERE c.id = ANY($1::bigint[]) AND (c.chat_type = 'Single' OR c.name_key IN (NULL");
	for (int i = 0; i < q->f.nin; i++) {
		if (q->f.in[i].kind == SEARCH_NAME_DM)
			continue;
		utf8_fold(q->f.in[i].text, folded[i], sizeof folded[i]);
		buf_addf(&sql, ", $%d", param_s(&p, folded[i]));
	}
	buf_add(&sql, "))");
	PGresult *r = run(c, sql.p, &p, q, &rc);
	for (int row = 0; r && row < PQntuples(r); row++) {
		int64_t id = strtoll(PQgetvalue(r, row, 0), NULL, 10);
		int single = !strcmp(PQgetvalue(r, row, 1), "Single"), hit = !single;
		for (int i = 0; single && i < q->f.nin && !hit; i++)
			hit = q->f.in[i].kind == SEARCH_NAME_DM && !PQgetisnull(r, row, 2) &&
			      user_is(PQgetvalue(r, row, 2), PQgetvalue(r, row, 3), q->f.in[i].text);
		int dup = 0;
		for (size_t k = 0; k < *n; k++)
			dup |= (*ids)[k] == id;
		if (hit && !dup && *n < q->nchats)
			(*ids)[(*n)++] = id;
	}
	PQclear(r);
	free(chats);
	buf_free(&sql);
	return rc;
}

/* The senders from: names (from:me the caller), members of the caller's
 * workspace. *ids owned. Returns 0 or FE_E*. */
static int from_users(PGconn *c, const struct search_query *q, int64_t **ids, size_t *n)
{
	struct params p = {0};
	int rc = 0;
	size_t cap = 16;
	*ids = xcalloc(cap, sizeof **ids);
	*n = 0;
	param_i(&p, q->user_id);
	PGresult *r = run(c,
	                  "SELECT u.id, u.email, u.fullname FROM users u WHERE u.workspace_id ="
	                  " (SELECT workspace_id FROM users WHERE id = $1)",
	                  &p, q, &rc);
	for (int row = 0; r && row < PQntuples(r); row++) {
		int64_t id = strtoll(PQgetvalue(r, row, 0), NULL, 10);
		int hit = 0;
		for (int i = 0; i < q->f.nfrom && !hit; i++)
			hit = q->f.from[i].kind == SEARCH_NAME_ME
			          ? id == q->user_id
			          : user_is(PQgetvalue(r, row, 1), PQgetvalue(r, row, 2), q->f.from[i].text);
		if (!hit)
			continue;
		if (*n == cap) {
			cap *= 2;
			*ids = xrealloc(*ids, cap * sizeof **ids);
		}
		(*ids)[(*n)++] = id;
	}
	PQclear(r);
	return rc;
}

/* ---- snippets ---- */

static int cmp_place(const void *a, const void *b)
{
	const size_t *x = a, *y = b;
	return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* The places ts_headline marked in content: hl is content with <mark> and
 * </mark> inserted (HighlightAll), walked beside it. Returns how many
 * places were added to pos from *n on. */
static void headline_places(const char *content, const char *hl, size_t pos[MAX_MARKS][2], int *n)
{
	size_t j = 0, clen = strlen(content), open = SIZE_MAX;
	for (size_t i = 0; hl[i];) {
		if (j < clen && hl[i] == content[j]) {
			i++, j++;
		} else if (!strncmp(hl + i, "<mark>", 6)) {
			open = j;
			i += 6;
		} else if (!strncmp(hl + i, "</mark>", 7)) {
			if (open != SIZE_MAX && *n < MAX_MARKS && j > open) {
				pos[*n][0] = open;
				pos[*n][1] = j;
				(*n)++;
			}
			open = SIZE_MAX;
			i += 7;
		} else {
			return; /* not the content: keep what was found */
		}
	}
}

/* Every occurrence of each substring term in content. */
static void substring_places(const char *content, const struct pterm *t, size_t nt, size_t pos[MAX_MARKS][2],
                             int *n)
{
	for (size_t i = 0; i < nt; i++) {
		if (!t[i].like || t[i].exclude)
			continue;
		if (t[i].bare) { /* found without the marks; the word's trailing marks marked too */
			size_t *map, len = strlen(t[i].bare), clen = strlen(content);
			char *bare = strip_marks(content, &map);
			for (const char *s = bare; len && *n < MAX_MARKS && (s = strstr(s, t[i].bare));
			     s += len) {
				size_t from = map[s - bare], to = map[s - bare + len - 1] + 1, l;
				while (to < clen &&
				       optional_mark(utf8_decode_n(content + to, clen - to, &l)) && l)
					to += l;
				pos[*n][0] = from;
				pos[*n][1] = to;
				(*n)++;
			}
			free(bare);
			free(map);
			continue;
		}
		size_t len = strlen(t[i].text);
		for (const char *s = content; len && *n < MAX_MARKS && (s = strstr(s, t[i].text)); s += len) {
			pos[*n][0] = (size_t)(s - content);
			pos[*n][1] = (size_t)(s - content) + len;
			(*n)++;
		}
	}
}

/* The content with the places between <mark> and </mark>, cut to about
 * 300 bytes around the first one (as the FTS5 adapter's snippets). Returns
 * owned text. */
static char *snippet(const char *content, const char *hl, const struct pterm *t, size_t nt)
{
	size_t pos[MAX_MARKS][2];
	int n = 0;
	if (hl)
		headline_places(content, hl, pos, &n);
	substring_places(content, t, nt, pos, &n);
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
	size_t len = strlen(content), from = 0, to = len;
	if (len > 300) {
		size_t first = m ? pos[0][0] : 0;
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
	for (int k = 0; k < m; k++) {
		if (pos[k][0] < from || pos[k][1] > to)
			continue;
		buf_addn(&out, content + at, pos[k][0] - at);
		buf_add(&out, "<mark>");
		buf_addn(&out, content + pos[k][0], pos[k][1] - pos[k][0]);
		buf_add(&out, "</mark>");
		at = pos[k][1];
	}
	buf_addn(&out, content + at, to - at);
	if (to < len)
		buf_add(&out, "…");
	return out.p ? out.p : xstrdup("");
}

/* ---- the search ---- */

static int search_once(PGconn *c, const struct search_query *q, struct search_hit **out, size_t *n,
                       int64_t *total)
{
	struct pterm *t = xcalloc(q->nterms ? q->nterms : 1, sizeof *t);
	struct params p = {0};
	struct buf w = {0}, pos = {0}, neg = {0}, sql = {0};
	int64_t *narrowed = NULL, *senders = NULL;
	size_t nnarrowed = 0, nsenders = 0;
	char *chats = NULL, *sender_arr = NULL;
	PGresult *r = NULL;
	int rc = terms_of(c, q, t);
	if (rc)
		goto done;
	const int64_t *scope = q->chats;
	size_t nscope = q->nchats;
	if (q->f.nin) { /* in: first: the chats searched */
		if ((rc = in_chats(c, q, &narrowed, &nnarrowed)))
			goto done;
		scope = narrowed;
		nscope = nnarrowed;
		if (!nscope)
			goto done; /* no chat of the caller's by that name */
	}
	/* the words: positive tsqueries ANDed, excluded ones ORed */
	int positive = 0, usable = 0;
	for (size_t i = 0; i < q->nterms && i < MAX_PARAMS; i++) {
		positive |= !t[i].exclude;
		if (t[i].tsq && *t[i].tsq) {
			struct buf *b = t[i].exclude ? &neg : &pos;
			buf_addf(b, "%s(%s)", b->len ? (t[i].exclude ? " | " : " & ") : "", t[i].tsq);
			usable |= !t[i].exclude;
		}
		usable |= t[i].like && !t[i].exclude;
	}
	if (positive && !usable)
		goto done; /* words typed, none of them indexable */
	chats = id_array(scope, nscope);
	buf_addf(&w, " FROM messages m WHERE m.chat_id = ANY($%d::bigint[]) AND m.deleted_at IS NULL",
	         param_s(&p, chats));
	int posq = 0;
	if (pos.len) {
		posq = param_s(&p, pos.p);
		buf_addf(&w, " AND " DOC " @@ $%d::tsquery", posq);
	}
	if (neg.len)
		buf_addf(&w, " AND NOT (" DOC " @@ $%d::tsquery)", param_s(&p, neg.p));
	for (size_t i = 0; i < q->nterms && i < MAX_PARAMS; i++)
		if (t[i].like)
			buf_addf(&w, " AND %s %sILIKE $%d",
			         t[i].bare ? "fe_strip_marks(m.content)" : "m.content",
			         t[i].exclude ? "NOT " : "", param_s(&p, t[i].like));
	if (q->sender_id)
		buf_addf(&w, " AND m.sender_id = $%d", param_i(&p, q->sender_id));
	if (q->after_ms)
		buf_addf(&w, " AND m.created_at > $%d", param_i(&p, q->after_ms));
	if (q->before_ms)
		buf_addf(&w, " AND m.created_at < $%d", param_i(&p, q->before_ms));
	if (q->f.nfrom) {
		if ((rc = from_users(c, q, &senders, &nsenders)))
			goto done;
		if (!nsenders)
			goto done;
		sender_arr = id_array(senders, nsenders);
		buf_addf(&w, " AND m.sender_id = ANY($%d::bigint[])", param_s(&p, sender_arr));
	}
	if (q->f.has_file)
		buf_add(&w, " AND EXISTS (SELECT 1 FROM message_files mf WHERE mf.message_id = m.id)");
	if (q->f.has_link)
		buf_add(&w, " AND (m.content LIKE '%http://%' OR m.content LIKE '%https://%')");
	int by_date = q->by_date || !posq;
	char score[96];
	if (by_date)
		snprintf(score, sizeof score, "0::real");
	else
		snprintf(score, sizeof score, "ts_rank(" DOC ", $%d::tsquery)", posq);
	int lim = param_i(&p, q->limit), off = param_i(&p, q->offset);
	char headline[160];
	if (posq)
		snprintf(headline, sizeof headline,
		         "ts_headline('fe_search', m.content, $%d::tsquery,"
		         " 'StartSel=<mark>, StopSel=</mark>, HighlightAll=true')",
		         posq);
	else
		snprintf(headline, sizeof headline, "NULL");
	buf_addf(
	    &sql,
	    "SELECT h.id, m.chat_id, c.name, m.sender_id, coalesce(u.fullname, m.sender_name), m.content,"
	    " %s, m.created_at, h.total FROM (SELECT m.id, %s AS score, count(*) OVER () AS total%s"
	    " ORDER BY score DESC, m.id DESC LIMIT $%d OFFSET $%d) h"
	    " JOIN messages m ON m.id = h.id JOIN chats c ON c.id = m.chat_id"
	    " LEFT JOIN users u ON u.id = m.sender_id ORDER BY h.score DESC, h.id DESC",
	    headline, score, w.p, lim, off);
	if (!(r = run(c, sql.p, &p, q, &rc)))
		goto done;
	int rows = PQntuples(r);
	if (rows) {
		*total = strtoll(PQgetvalue(r, 0, 8), NULL, 10);
	} else if (q->offset) { /* past the last page: count alone */
		PQclear(r);
		buf_free(&sql);
		buf_addf(&sql, "SELECT count(*)%s", w.p);
		struct params cp = p;
		cp.n -= 2; /* without the page's limit and offset, the last two */
		for (int i = 0; i < cp.n; i++)
			if (p.v[i] == p.num[i])
				cp.v[i] = cp.num[i];
		if (!(r = run(c, sql.p, &cp, q, &rc)))
			goto done;
		*total = PQntuples(r) ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
		rows = 0;
	}
	if (rows)
		*out = xcalloc((size_t)rows, sizeof **out);
	for (int row = 0; row < rows; row++) {
		struct search_hit *h = &(*out)[(*n)++];
		h->id = strtoll(PQgetvalue(r, row, 0), NULL, 10);
		h->chat_id = strtoll(PQgetvalue(r, row, 1), NULL, 10);
		snprintf(h->chat_name, sizeof h->chat_name, "%s", PQgetvalue(r, row, 2));
		h->sender_id = strtoll(PQgetvalue(r, row, 3), NULL, 10);
		snprintf(h->sender_name, sizeof h->sender_name, "%s", PQgetvalue(r, row, 4));
		h->content = xstrdup(PQgetvalue(r, row, 5));
		h->snippet = snippet(h->content, PQgetisnull(r, row, 6) ? NULL : PQgetvalue(r, row, 6), t,
		                     q->nterms < MAX_PARAMS ? q->nterms : MAX_PARAMS);
		h->created_at = strtoll(PQgetvalue(r, row, 7), NULL, 10);
	}
done:
	PQclear(r);
	for (size_t i = 0; i < q->nterms; i++) {
		free(t[i].tsq);
		free(t[i].like);
		free(t[i].bare);
	}
	free(t);
	free(narrowed);
	free(senders);
	free(chats);
	free(sender_arr);
	buf_free(&w);
	buf_free(&pos);
	buf_free(&neg);
	buf_free(&sql);
	return rc;
}

static int pg_search(void *self, const struct search_query *q, struct search_hit **out, size_t *n,
                     int64_t *total)
{
	struct pgs *p = self;
	*out = NULL;
	*n = 0;
	*total = 0;
	if (should_stop(q))
		return FE_EUNAVAIL; /* waited in the queue past its deadline, or nobody waits for it */
	PGconn *c = conn(p);
	if (!c)
		return FE_EUNAVAIL;
	if (!q->nchats)
		return 0;
	int rc = search_once(c, q, out, n, total);
	if (rc) {
		search_hits_free(*out, *n);
		*out = NULL;
		*n = 0;
		*total = 0;
	}
	return rc;
}

/* The index is an expression over the messages, kept by PostgreSQL:
 * rebuilding is REINDEX. */
static int pg_rebuild(void *self)
{
	struct pgs *p = self;
	PGconn *c = PQconnectdb(p->url);
	int rc = 0;
	PGresult *r = NULL;
	if (PQstatus(c) != CONNECTION_OK ||
	    PQresultStatus(r = PQexec(c, "REINDEX INDEX messages_search")) != PGRES_COMMAND_OK) {
		log_err("search: rebuild failed: %s", PQerrorMessage(c));
		rc = FE_EINTERNAL;
	}
	PQclear(r);
	PQfinish(c);
	return rc;
}

static const struct search_ops ops = {pg_search, pg_rebuild};

int pg_search_open(const char *url, struct search *s)
{
	struct pgs *p = xcalloc(1, sizeof *p);
	snprintf(p->url, sizeof p->url, "%s", url);
	pthread_key_create(&p->key, close_conn);
	s->ops = &ops;
	s->impl = p;
	return 0;
}

void pg_search_close(struct search *s)
{
	if (!s || !s->impl)
		return;
	struct pgs *p = s->impl;
	PGconn *c = pthread_getspecific(p->key);
	PQfinish(c);
	pthread_key_delete(p->key);
	free(p);
	s->impl = NULL;
}
