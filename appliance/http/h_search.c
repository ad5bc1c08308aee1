/* http/h_search: GET or POST /api/search/messages and
 * /api/chat/{id}/messages/search. The parameters come from the query string
 * or, for POST (the original's clients, docs/API.md "Compatibility"), from a
 * JSON body; the query string wins when both name one. Besides q the
 * filters (from, in, before, after, on, has) may come as parameters, with
 * the values they take in the query (core/search.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/search.h"
#include "http/handlers.h"
#include "http/jsonio.h"
#include "lib/utf8.h"
#include "lib/xalloc.h"

/* Copies parameter name into buf: from the query string, else from the JSON
 * body (a string, or an integral number or a boolean spelled as text).
 * Returns 0 when found, 1 when absent; -1 (answered 400 naming it) when the
 * body holds it with another type or too long. */
static int param(struct req *r, cJSON *body, const char *name, char *buf, size_t len)
{
	if (!req_query(r, name, buf, len))
		return 0;
	cJSON *v = body ? cJSON_GetObjectItemCaseSensitive(body, name) : NULL;
	int n = -1;
	if (!v || cJSON_IsNull(v))
		return 1;
	if (cJSON_IsString(v))
		n = snprintf(buf, len, "%s", v->valuestring);
	else if (cJSON_IsNumber(v) && v->valuedouble > -1e15 && v->valuedouble < 1e15 &&
	         v->valuedouble == (double)(long long)v->valuedouble)
		n = snprintf(buf, len, "%lld", (long long)v->valuedouble);
	else if (cJSON_IsBool(v))
		n = snprintf(buf, len, "%s", cJSON_IsTrue(v) ? "true" : "false");
	if (n < 0 || (size_t)n >= len) {
		resp_fail(r, FE_EINVAL, "VALIDATION_ERROR", name, "wrong type or too long");
		return -1;
	}
	return 0;
}

/* Reads an integer parameter into *out (default kept when absent).
 * Returns -1 and answers 400 naming the argument when malformed. */
static int qint(struct req *r, cJSON *body, const char *name, int64_t min, int64_t max, int64_t *out)
{
	char buf[32], *end;
	int rc = param(r, body, name, buf, sizeof buf);
	if (rc)
		return rc < 0 ? -1 : 0;
	long long v = strtoll(buf, &end, 10);
	if (!*buf || *end || v < min || v > max) {
		resp_fail(r, FE_EINVAL, "VALIDATION_ERROR", name, "must be an integer in range");
		return -1;
	}
	*out = v;
	return 0;
}

/* Reads the filter parameter name (from, in, on, has; before and after when
 * not a number of milliseconds) into f. Returns 0 (absent or applied), or
 * -1 after answering 400 naming it. */
static int qfilter(struct req *r, cJSON *body, const char *name, struct search_filters *f, int *any)
{
	char buf[SEARCH_NAME_BYTES + 8];
	int rc = param(r, body, name, buf, sizeof buf);
	if (rc)
		return rc < 0 ? -1 : 0;
	if (search_filter_apply(f, name, buf)) {
		resp_fail(r, FE_EINVAL, "VALIDATION_ERROR", name,
		          !strcmp(name, "has")    ? "has must be file, link or file,link"
		          : !strcmp(name, "from") ? "from must be a member's name, @name or me"
		          : !strcmp(name, "in")
		              ? "in must be #chat or @member"
		              : "must be a day YYYY-MM-DD (UTC) or milliseconds since the epoch");
		return -1;
	}
	*any = 1;
	return 0;
}

/* before/after: milliseconds since the epoch (an integer), or a day. */
static int qbound(struct req *r, cJSON *body, const char *name, int64_t *ms, struct search_filters *f,
                  int *any)
{
	char buf[32];
	int rc = param(r, body, name, buf, sizeof buf);
	if (rc)
		return rc < 0 ? -1 : 0;
	if (*buf && strspn(buf, "0123456789") == strlen(buf))
		return qint(r, body, name, 0, INT64_MAX / 2, ms);
	return qfilter(r, body, name, f, any);
}

struct search_req {
	struct ticket *t;
	struct search_job *job; /* set once queued; valid until done() */
	char q[2048];
	int limit, offset;
};

/* The client went away: stop its search (done() still runs and frees). */
static void gone(void *arg)
{
	struct search_req *sr = arg;
	if (sr->job)
		search_cancel(sr->job);
}

static void done(void *arg, int rc, const struct fe_err *e, const struct search_out *out)
{
	struct search_req *sr = arg;
	struct req *r = ticket_take(sr->t);
	if (!r) {
		free(sr);
		return;
	}
	if (rc) {
		resp_err(r, e);
		free(sr);
		return;
	}
	cJSON *d = cJSON_CreateObject(), *hits = cJSON_CreateArray(), *page = cJSON_CreateObject();
	for (size_t i = 0; i < out->n; i++) {
		const struct search_hit *h = &out->hits[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "id", (double)h->id);
		cJSON_AddNumberToObject(o, "chat_id", (double)h->chat_id);
		cJSON_AddStringToObject(o, "chat_name", h->chat_name);
		cJSON_AddNumberToObject(o, "sender_id", (double)h->sender_id);
		cJSON_AddStringToObject(o, "sender_name", h->sender_name);
		cJSON_AddStringToObject(o, "content", h->content);
		cJSON_AddStringToObject(o, "snippet", h->snippet);
		jtime(o, "created_at", h->created_at);
		cJSON_AddItemToArray(hits, o);
	}
	cJSON_AddItemToObject(d, "hits", hits);
	cJSON_AddNumberToObject(d, "total", (double)out->total);
	cJSON_AddNumberToObject(d, "took_ms", (double)(int64_t)(out->took_ms * 1000) / 1000.0);
	cJSON_AddStringToObject(d, "query", sr->q);
	cJSON_AddNumberToObject(page, "offset", sr->offset);
	cJSON_AddNumberToObject(page, "limit", sr->limit);
	cJSON_AddBoolToObject(page, "has_more", (int64_t)sr->offset + (int64_t)out->n < out->total);
	cJSON_AddItemToObject(d, "page", page);
	resp_ok(r, 200, d);
	free(sr);
}

static void search(struct req *r, int64_t chat_id)
{
	struct fe_err e = {0};
	struct search_in in = {0};
	int64_t sender = 0, after = 0, before = 0, limit = 20, offset = 0;
	char sort[16] = "", ignored[64];
	cJSON *body = NULL;
	struct search_req *sr = xcalloc(1, sizeof *sr);
	if (r->method == M_POST && !(body = req_json(r)))
		goto bad; /* answered */
	struct search_filters f = {0};
	int any = 0;
	int rc = param(r, body, "q", sr->q, sizeof sr->q);
	if (rc < 0)
		goto bad;
	if (!utf8_valid(sr->q, strlen(sr->q))) { /* %-escapes decode to any bytes */
		resp_fail(r, FE_EINVAL, "VALIDATION_ERROR", "q", "q must be valid UTF-8");
		goto bad;
	}
	if (!chat_id && qint(r, body, "chat_id", 1, INT64_MAX / 2, &chat_id))
		goto bad;
	if (qint(r, body, "sender_id", 1, INT64_MAX / 2, &sender) ||
	    qbound(r, body, "after", &after, &f, &any) || qbound(r, body, "before", &before, &f, &any) ||
	    qfilter(r, body, "on", &f, &any) || qfilter(r, body, "from", &f, &any) ||
	    qfilter(r, body, "in", &f, &any) || qfilter(r, body, "has", &f, &any) ||
	    qint(r, body, "limit", 1, 100, &limit) || qint(r, body, "offset", 0, 10000, &offset))
		goto bad;
	if (rc && !any && !sender && !after && !before) { /* no q and nothing else to go by */
		resp_fail(r, FE_EINVAL, "VALIDATION_ERROR", "q", "q is required (1..500 characters)");
		goto bad;
	}
	/* the original's strategy and highlight: accepted and ignored (the
	 * snippet always marks the matches) */
	if (param(r, body, "strategy", ignored, sizeof ignored) < 0 ||
	    param(r, body, "highlight", ignored, sizeof ignored) < 0 ||
	    param(r, body, "sort", sort, sizeof sort) < 0)
		goto bad;
	/* relevance_time (the original's): relevance, then newest, which is
	 * what relevance does here */
	if (*sort && strcmp(sort, "date") && strcmp(sort, "relevance") && strcmp(sort, "relevance_time")) {
		resp_fail(r, FE_EINVAL, "VALIDATION_ERROR", "sort",
		          "sort must be relevance, relevance_time or date");
		goto bad;
	}
	in.q = sr->q;
	in.f = &f;
	in.chat_id = chat_id;
	in.sender_id = sender;
	in.after_ms = after;
	in.before_ms = before;
	in.by_date = !strcmp(sort, "date");
	in.limit = sr->limit = (int)limit;
	in.offset = sr->offset = (int)offset;
	sr->t = req_defer(r);
	sr->t->gone = gone;
	sr->t->gone_arg = sr;
	if (search_messages(r->app, &r->who, &in, done, sr, &sr->job, &e)) {
		ticket_take(sr->t);
		resp_err(r, &e);
		goto bad;
	}
	cJSON_Delete(body);
	return;
bad:
	cJSON_Delete(body);
	free(sr);
}

void h_search(struct req *r)
{
	search(r, 0);
}

void h_chat_search(struct req *r)
{
	int64_t id = req_cap_id(r, "id");
	if (!id) {
		resp_fail(r, FE_ENOTFOUND, NULL, NULL, "no such chat");
		return;
	}
	search(r, id);
}
