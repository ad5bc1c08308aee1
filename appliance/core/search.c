/* core/search: query parsing, membership, and the worker round trip. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "core/chat.h"
#include "core/limits.h"
#include "core/search.h"
#include "lib/log.h"
#include "lib/timefmt.h"
#include "lib/utf8.h"
#include "lib/workers.h"
#include "lib/xalloc.h"

#define MAX_TERMS SEARCH_MAX_TERMS
#define MAX_TERM_BYTES 100
#define DAY_MS 86400000LL

/* 1 when s[0..n) has a letter or digit (any non-ASCII byte counts). */
static int has_word(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80 || (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z'))
			return 1;
	}
	return 0;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int add_term(struct search_term *t, size_t *k, size_t max, const char *s, size_t n, int phrase,
                    int exclude)
{
	if (*k == max || !n || n > MAX_TERM_BYTES || !has_word(s, n))
		return 0;
	t[*k].text = xstrndup(s, n);
	t[*k].phrase = phrase;
	t[*k].prefix = 0;
	t[*k].exclude = exclude;
	(*k)++;
	return 1;
}

int search_date(const char *s, size_t n, int64_t *day_ms)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (n != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (size_t i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -1;
	int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	int m = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1] + (m == 2 && leap))
		return -1;
	/* days from 1970-01-01 (the civil-from-days inverse, proleptic Gregorian) */
	int yy = m <= 2 ? y - 1 : y;
	int64_t era = yy / 400, yoe = yy - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	*day_ms = (era * 146097 + doe - 719468) * DAY_MS;
	return 0;
}

static void tighten(struct search_filters *f, int64_t after, int64_t before)
{
	if (after && (!f->after_ms || after > f->after_ms))
		f->after_ms = after;
	if (before && (!f->before_ms || before < f->before_ms))
		f->before_ms = before;
}

static int add_name(struct search_name *v, int *n, int kind, const char *s, size_t len)
{
	if (*n == SEARCH_MAX_NAMES)
		return FE_EINVAL;
	v[*n].kind = kind;
	snprintf(v[*n].text, sizeof v[*n].text, "%.*s", (int)len, s);
	(*n)++;
	return 0;
}

/* Applies op:value. Returns 0, 1 when it is no filter (a plain word), or
 * FE_EINVAL (a bad date, too many names). */
static int apply(struct search_filters *f, const char *op, const char *v, size_t n)
{
	int64_t day;
	if (!n)
		return 1; /* "on:" alone is a word */
	if (!strcmp(op, "from") || !strcmp(op, "in")) {
		int from = op[0] == 'f', kind = from ? SEARCH_NAME_USER : SEARCH_NAME_CHANNEL;
		if (n && (v[0] == '@' || (!from && v[0] == '#'))) {
			kind = v[0] == '@' && !from ? SEARCH_NAME_DM : kind;
			v++, n--;
		} else if (from && n == 2 && (v[0] | 32) == 'm' && (v[1] | 32) == 'e') {
			kind = SEARCH_NAME_ME;
		}
		if (!n || n >= SEARCH_NAME_BYTES || memchr(v, '\0', n))
			return 1;
		return from ? add_name(f->from, &f->nfrom, kind, v, n) : add_name(f->in, &f->nin, kind, v, n);
	}
	if (!strcmp(op, "has")) {
		if ((n == 4 || n == 5) && !strncasecmp(v, "files", n))
			f->has_file = 1;
		else if ((n == 4 || n == 5) && !strncasecmp(v, "links", n))
			f->has_link = 1;
		else
			return 1;
		return 0;
	}
	if (search_date(v, n, &day))
		return FE_EINVAL;
	if (!strcmp(op, "before"))
		tighten(f, 0, day > 0 ? day : 1);
	else if (!strcmp(op, "after"))
		tighten(f, day + DAY_MS - 1, 0);
	else
		tighten(f, day > 0 ? day - 1 : -1, day + DAY_MS);
	return 0;
}

/* The operator s[0..n) names, before its colon: "from", ..., or NULL. */
static const char *operator(const char *s, size_t n, size_t *colon)
{
	static const char *const ops[] = {"from", "in", "before", "after", "on", "has"};
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		size_t l = strlen(ops[i]);
		if (n > l && s[l] == ':' && !strncasecmp(s, ops[i], l)) {
			*colon = l;
			return ops[i];
		}
	}
	return NULL;
}

int search_parse_query(const char *q, struct search_parsed *out, const char **field)
{
	size_t k = 0, len = strlen(q);
	int last_is_word = 0;
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < len;) {
		if (is_space(q[i])) {
			i++;
			last_is_word = 0;
			continue;
		}
		int exclude = q[i] == '-' && i + 1 < len && !is_space(q[i + 1]);
		i += (size_t)exclude;
		const char *close = q[i] == '"' ? strchr(q + i + 1, '"') : NULL;
		if (close) { /* a balanced "phrase" */
			add_term(out->terms, &k, MAX_TERMS, q + i + 1, (size_t)(close - q - i - 1), 1,
			         exclude);
			i = (size_t)(close - q) + 1;
			last_is_word = 0;
			continue;
		}
		if (q[i] == '"') { /* an unbalanced quote is just a character, and ends a word */
			i++;
			last_is_word = 0;
			continue;
		}
		size_t j = i, colon;
		while (j < len && !is_space(q[j]) && q[j] != '"')
			j++;
		const char *op = exclude ? NULL : operator(q + i, j - i, &colon);
		if (op) {
			const char *v = q + i + colon + 1;
			size_t vn = (size_t)(q + j - v), end = j;
			const char *vclose = j < len && q[j] == '"' ? strchr(q + j + 1, '"') : NULL;
			if (vclose && (vn == 0 || (vn == 1 && (v[0] == '@' || v[0] == '#')))) {
				/* a quoted name: from:"Ann Lee", in:#"Road map" */
				struct search_filters tmp = out->f;
				char name[SEARCH_NAME_BYTES + 2];
				size_t qn = (size_t)(vclose - q - j - 1);
				if (qn + vn < sizeof name - 1) {
					memcpy(name, v, vn);
					memcpy(name + vn, q + j + 1, qn);
					int r = apply(&tmp, op, name, vn + qn);
					if (r < 0) {
						*field = op;
						out->nterms = k;
						return r;
					}
					if (!r) {
						out->f = tmp;
						i = (size_t)(vclose - q) + 1;
						last_is_word = 0;
						continue;
					}
				}
			} else {
				int r = apply(&out->f, op, v, vn);
				if (r < 0) {
					*field = op;
					out->nterms = k;
					return r;
				}
				if (!r) {
					i = end;
					last_is_word = 0;
					continue;
				}
			}
		}
		int added = add_term(out->terms, &k, MAX_TERMS, q + i, j - i, 0, exclude);
		last_is_word = added && !exclude;
		i = j;
	}
	if (k && last_is_word)
		out->terms[k - 1].prefix = 1; /* the word being typed */
	out->nterms = k;
	return 0;
}

void search_parsed_free(struct search_parsed *p)
{
	search_terms_free(p->terms, p->nterms);
	p->nterms = 0;
}

int search_filter_apply(struct search_filters *f, const char *op, const char *value)
{
	size_t n = strlen(value);
	if (!strcmp(op, "has")) { /* "file", "link", "file,link" */
		struct search_filters tmp = *f;
		for (size_t i = 0; i <= n;) {
			size_t j = i;
			while (j < n && value[j] != ',' && !is_space(value[j]))
				j++;
			if (j > i && apply(&tmp, op, value + i, j - i))
				return FE_EINVAL;
			i = j + 1;
		}
		*f = tmp;
		return 0;
	}
	return apply(f, op, value, n) ? FE_EINVAL : 0;
}

int search_filters_any(const struct search_filters *f)
{
	return f->nfrom || f->nin || f->after_ms || f->before_ms || f->has_file || f->has_link;
}

size_t search_parse(const char *q, struct search_term *terms, size_t max)
{
	struct search_parsed p;
	const char *field;
	size_t n = 0;
	search_parse_query(q, &p, &field);
	for (size_t i = 0; i < p.nterms; i++) {
		if (n < max)
			terms[n++] = p.terms[i];
		else
			free(p.terms[i].text);
	}
	return n;
}

void search_terms_free(struct search_term *terms, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(terms[i].text);
}

struct search_job {
	struct app *app;
	struct search_parsed parsed;
	int64_t *chats;
	struct search_query q;
	struct search_out out;
	int rc;
	int cancel;      /* CANCEL_* (atomically: the worker reads it) */
	int64_t user_id; /* holds one of this user's concurrent-search slots */
	search_cb cb;
	void *req;
	struct search_job *prev, *next; /* the queued and running jobs */
};

enum { CANCEL_CLIENT_GONE = 1, CANCEL_SHUTDOWN = 2 };

/* An app's searches (app->searches). Loop thread only. */
struct searches {
	struct search_stats stats;
	struct search_job *queued; /* jobs submitted to the workers, until done() */
};

struct searches *searches_new(void)
{
	return xcalloc(1, sizeof(struct searches));
}

void searches_free(struct searches *s)
{
	free(s);
}

static void unlink_job(struct search_job *j)
{
	struct searches *s = j->app->searches;
	if (j->prev)
		j->prev->next = j->next;
	else if (s->queued == j)
		s->queued = j->next;
	if (j->next)
		j->next->prev = j->prev;
	j->prev = j->next = NULL;
}

void search_stats(const struct app *app, struct search_stats *out)
{
	*out = app->searches->stats;
}

static void job_free(struct search_job *j)
{
	if (j->user_id)
		limits_leave(j->app, j->user_id);
	search_parsed_free(&j->parsed);
	free(j->chats);
	search_hits_free(j->out.hits, j->out.n);
	free(j);
}

static void run(void *arg)
{
	struct search_job *j = arg;
	int64_t t0 = time_mono_us();
	j->rc =
	    j->app->search.ops->search(j->app->search.impl, &j->q, &j->out.hits, &j->out.n, &j->out.total);
	j->out.took_ms = (double)(time_mono_us() - t0) / 1000.0;
}

static void done(void *arg)
{
	struct search_job *j = arg;
	struct search_stats *stats = &j->app->searches->stats;
	struct fe_err e = {0};
	int timeout = j->app->cfg->search_timeout_ms;
	int cancel = __atomic_load_n(&j->cancel, __ATOMIC_RELAXED);
	unlink_job(j);
	stats->in_progress--;
	if (!j->rc) {
		stats->ok++;
	} else if (cancel) {
		stats->cancelled++;
		if (cancel == CANCEL_SHUTDOWN)
			err_set(&e, FE_EUNAVAIL, "SHUTTING_DOWN", NULL, "the server is shutting down");
		else
			err_set(&e, FE_EUNAVAIL, "SEARCH_CANCELLED", NULL, "the search was cancelled");
	} else if (j->rc == FE_EUNAVAIL && j->q.deadline_us && time_mono_us() >= j->q.deadline_us) {
		stats->timeouts++;
		log_info("search: stopped at its deadline user=%lld timeout_ms=%d terms=%zu chats=%zu",
		         (long long)j->user_id, timeout, j->q.nterms, j->q.nchats);
		err_set(&e, FE_EUNAVAIL, "SEARCH_TIMEOUT", NULL,
		        "the search took longer than %d ms: narrow it down (a chat, a sender, dates)",
		        timeout);
	} else {
		stats->failed++;
		err_set(&e, j->rc, NULL, NULL, "the search failed");
	}
	j->cb(j->req, j->rc, &e, &j->out);
	job_free(j);
}

void search_cancel(struct search_job *j)
{
	__atomic_store_n(&j->cancel, CANCEL_CLIENT_GONE, __ATOMIC_RELAXED);
}

void search_cancel_all(struct app *app)
{
	for (struct search_job *j = app->searches->queued; j; j = j->next)
		__atomic_store_n(&j->cancel, CANCEL_SHUTDOWN, __ATOMIC_RELAXED);
}

int search_messages(struct app *app, const struct principal *p, const struct search_in *in, search_cb cb,
                    void *req, struct search_job **job, struct fe_err *e)
{
	size_t qlen = in->q ? utf8_chars(in->q) : 0;
	int param_filters = in->f && search_filters_any(in->f);
	if ((!qlen && !param_filters && !in->sender_id && !in->after_ms && !in->before_ms) || qlen > 500)
		return err_set(e, FE_EINVAL, "VALIDATION_ERROR", "q", "q must be 1..500 characters");
	int rc = limits_enter(app, p->user_id, e);
	if (rc)
		return rc;
	if ((rc = limits_hit(app, LIMIT_SEARCH, p->user_id, e))) {
		limits_leave(app, p->user_id);
		return rc;
	}
	struct search_job *j = xcalloc(1, sizeof *j);
	j->app = app;
	j->user_id = p->user_id; /* job_free gives the slot back */
	j->cb = cb;
	j->req = req;
	if (in->chat_id) {
		struct chat c;
		if ((rc = chat_require_member(app, p, in->chat_id, &c, e)))
			goto fail;
		j->chats = xmalloc(sizeof *j->chats);
		j->chats[0] = in->chat_id;
		j->q.nchats = 1;
	} else if ((rc = store_call(&app->store, chat_ids_of_user, p->user_id, &j->chats, &j->q.nchats))) {
		err_set(e, rc, NULL, NULL, "store error");
		goto fail;
	}
	const char *field = NULL;
	if (search_parse_query(in->q ? in->q : "", &j->parsed, &field)) {
		rc = err_set(e, FE_EINVAL, "VALIDATION_ERROR", field,
		             !strcmp(field, "from") || !strcmp(field, "in")
		                 ? "%s: names at most %d, in the query and the parameter together"
		                 : "%s: must be a day YYYY-MM-DD (UTC)",
		             field, SEARCH_MAX_NAMES);
		goto fail;
	}
	struct search_filters *f = &j->parsed.f;
	if (in->f) { /* the parameters' filters join the query's */
		for (int i = 0; i < in->f->nfrom; i++)
			if (f->nfrom < SEARCH_MAX_NAMES)
				f->from[f->nfrom++] = in->f->from[i];
		for (int i = 0; i < in->f->nin; i++)
			if (f->nin < SEARCH_MAX_NAMES)
				f->in[f->nin++] = in->f->in[i];
		f->has_file |= in->f->has_file;
		f->has_link |= in->f->has_link;
		if (in->f->after_ms && (!f->after_ms || in->f->after_ms > f->after_ms))
			f->after_ms = in->f->after_ms;
		if (in->f->before_ms && (!f->before_ms || in->f->before_ms < f->before_ms))
			f->before_ms = in->f->before_ms;
	}
	j->q.chats = j->chats;
	j->q.terms = j->parsed.terms;
	j->q.nterms = j->parsed.nterms;
	j->q.user_id = p->user_id;
	j->q.f = *f;
	j->q.sender_id = in->sender_id;
	j->q.after_ms = in->after_ms;
	j->q.before_ms = in->before_ms;
	if (f->after_ms && (!j->q.after_ms || f->after_ms > j->q.after_ms))
		j->q.after_ms = f->after_ms;
	if (f->before_ms && (!j->q.before_ms || f->before_ms < j->q.before_ms))
		j->q.before_ms = f->before_ms;
	j->q.by_date = in->by_date;
	j->q.limit = in->limit;
	j->q.offset = in->offset;
	if (app->cfg->search_timeout_ms > 0)
		j->q.deadline_us = time_mono_us() + (int64_t)app->cfg->search_timeout_ms * 1000;
	j->q.cancel = &j->cancel;
	struct searches *ss = app->searches;
	ss->stats.in_progress++;
	int filtered = search_filters_any(f) || j->q.sender_id || j->q.after_ms || j->q.before_ms;
	if ((!j->q.nterms && !filtered) || !j->q.nchats) { /* nothing to look for, or nowhere */
		done(j);
		return 0;
	}
	if (workers_submit_to(app->workers, APP_LANE_SEARCH, run, done, j)) {
		ss->stats.in_progress--;
		rc = err_set(e, FE_EUNAVAIL, "SHUTTING_DOWN", NULL, "the server is shutting down");
		goto fail;
	}
	j->next = ss->queued;
	if (ss->queued)
		ss->queued->prev = j;
	ss->queued = j;
	if (job)
		*job = j;
	return 0;
fail:
	job_free(j);
	return rc;
}
