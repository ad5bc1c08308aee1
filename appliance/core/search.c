/* core/search: query parsing, membership, and the worker round trip. */
#include <stdlib.h>
#include <string.h>
#include "core/chat.h"
#include "core/limits.h"
#include "core/search.h"
#include "lib/log.h"
#include "lib/timefmt.h"
#include "lib/utf8.h"
#include "lib/workers.h"
#include "lib/xalloc.h"

#define MAX_TERMS 16
#define MAX_TERM_BYTES 100

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

static int add_term(struct search_term *t, size_t *k, size_t max, const char *s, size_t n, int phrase)
{
	if (*k == max || !n || n > MAX_TERM_BYTES || !has_word(s, n))
		return 0;
	t[*k].text = xstrndup(s, n);
	t[*k].phrase = phrase;
	t[*k].prefix = 0;
	(*k)++;
	return 1;
}

size_t search_parse(const char *q, struct search_term *terms, size_t max)
{
	size_t k = 0, len = strlen(q);
	int last_is_word = 0;
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)q[i];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			i++;
			last_is_word = 0;
			continue;
		}
		const char *close = c == '"' ? strchr(q + i + 1, '"') : NULL;
		if (close) { /* a balanced "phrase" */
			add_term(terms, &k, max, q + i + 1, (size_t)(close - q - i - 1), 1);
			i = (size_t)(close - q) + 1;
			last_is_word = 0;
			continue;
		}
		if (c == '"') { /* an unbalanced quote is just a character, and ends a word */
			i++;
			last_is_word = 0;
			continue;
		}
		size_t j = i;
		while (j < len && q[j] != ' ' && q[j] != '\t' && q[j] != '\n' && q[j] != '\r' && q[j] != '"')
			j++;
		last_is_word = add_term(terms, &k, max, q + i, j - i, 0);
		i = j;
	}
	if (k && last_is_word)
		terms[k - 1].prefix = 1; /* the word being typed */
	return k;
}

void search_terms_free(struct search_term *terms, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(terms[i].text);
}

struct search_job {
	struct app *app;
	struct search_term terms[MAX_TERMS];
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

/* Loop thread only. */
static struct search_stats stats;
static struct search_job *queued; /* jobs submitted to the workers, until done() */

static void unlink_job(struct search_job *j)
{
	if (j->prev)
		j->prev->next = j->next;
	else if (queued == j)
		queued = j->next;
	if (j->next)
		j->next->prev = j->prev;
	j->prev = j->next = NULL;
}

void search_stats(struct search_stats *out)
{
	*out = stats;
}

static void job_free(struct search_job *j)
{
	if (j->user_id)
		limits_leave(j->app, j->user_id);
	search_terms_free(j->terms, j->q.nterms);
	free(j->chats);
	search_hits_free(j->out.hits, j->out.n);
	free(j);
}

static void run(void *arg)
{
	struct search_job *j = arg;
	int64_t t0 = time_mono_us();
	j->rc = j->app->search.ops->search(j->app->search.impl, &j->q, &j->out.hits, &j->out.n, &j->out.total);
	j->out.took_ms = (double)(time_mono_us() - t0) / 1000.0;
}

static void done(void *arg)
{
	struct search_job *j = arg;
	struct fe_err e = {0};
	int timeout = j->app->cfg->search_timeout_ms;
	int cancel = __atomic_load_n(&j->cancel, __ATOMIC_RELAXED);
	unlink_job(j);
	stats.in_progress--;
	if (!j->rc) {
		stats.ok++;
	} else if (cancel) {
		stats.cancelled++;
		if (cancel == CANCEL_SHUTDOWN)
			err_set(&e, FE_EUNAVAIL, "SHUTTING_DOWN", NULL, "the server is shutting down");
		else
			err_set(&e, FE_EUNAVAIL, "SEARCH_CANCELLED", NULL, "the search was cancelled");
	} else if (j->rc == FE_EUNAVAIL && j->q.deadline_us && time_mono_us() >= j->q.deadline_us) {
		stats.timeouts++;
		log_info("search: stopped at its deadline user=%lld timeout_ms=%d terms=%zu chats=%zu",
			 (long long)j->user_id, timeout, j->q.nterms, j->q.nchats);
		err_set(&e, FE_EUNAVAIL, "SEARCH_TIMEOUT", NULL,
			"the search took longer than %d ms: narrow it down (a chat, a sender, dates)",
			timeout);
	} else {
		stats.failed++;
		err_set(&e, j->rc, NULL, NULL, "the search failed");
	}
	j->cb(j->req, j->rc, &e, &j->out);
	job_free(j);
}

void search_cancel(struct search_job *j)
{
	__atomic_store_n(&j->cancel, CANCEL_CLIENT_GONE, __ATOMIC_RELAXED);
}

void search_cancel_all(void)
{
	for (struct search_job *j = queued; j; j = j->next)
		__atomic_store_n(&j->cancel, CANCEL_SHUTDOWN, __ATOMIC_RELAXED);
}

int search_messages(struct app *app, const struct principal *p, const struct search_in *in, search_cb cb, void *req,
		    struct search_job **job, struct fe_err *e)
{
	size_t qlen = in->q ? utf8_chars(in->q) : 0;
	if (!qlen || qlen > 500)
		return err_set(e, FE_EINVAL, "VALIDATION_ERROR", "q", "q must be 1..500 characters");
	if (in->limit < 1 || in->limit > 100)
		return err_set(e, FE_EINVAL, "VALIDATION_ERROR", "limit", "limit must be 1..100");
	if (in->offset < 0 || in->offset > 10000)
		return err_set(e, FE_EINVAL, "VALIDATION_ERROR", "offset", "offset must be 0..10000");
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
	j->q.chats = j->chats;
	j->q.terms = j->terms;
	j->q.nterms = search_parse(in->q, j->terms, MAX_TERMS);
	j->q.sender_id = in->sender_id;
	j->q.after_ms = in->after_ms;
	j->q.before_ms = in->before_ms;
	j->q.by_date = in->by_date;
	j->q.limit = in->limit;
	j->q.offset = in->offset;
	if (app->cfg->search_timeout_ms > 0)
		j->q.deadline_us = time_mono_us() + (int64_t)app->cfg->search_timeout_ms * 1000;
	j->q.cancel = &j->cancel;
	stats.in_progress++;
	if (!j->q.nterms || !j->q.nchats) { /* nothing to look for, or nowhere */
		done(j);
		return 0;
	}
	if (workers_submit_to(app->workers, APP_LANE_SEARCH, run, done, j)) {
		stats.in_progress--;
		rc = err_set(e, FE_EUNAVAIL, "SHUTTING_DOWN", NULL, "the server is shutting down");
		goto fail;
	}
	j->next = queued;
	if (queued)
		queued->prev = j;
	queued = j;
	if (job)
		*job = j;
	return 0;
fail:
	job_free(j);
	return rc;
}
