/* http/request: the request API the handlers use (http/http.h): captures,
 * query, headers, cookies, the JSON body, answers (resp_*) and deferred
 * answers (tickets). What it reads lws has parsed already; answers are
 * written later by the server (http/server.c) in the writeable callback. */
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "http/http.h"
#include "http/jsonio.h"
#include "lib/gzip.h"
#include "lib/xalloc.h"

/* ---- reading the request ---- */

const char *method_name(enum method m)
{
	static const char *n[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "OTHER"};
	return n[m];
}

const char *req_cap(struct req *r, const char *name)
{
	for (int i = 0; i < r->ncaps; i++)
		if (!strcmp(r->caps[i].name, name))
			return r->caps[i].value;
	return NULL;
}

int64_t req_cap_id(struct req *r, const char *name)
{
	const char *v = req_cap(r, name);
	if (!v || !*v || strlen(v) > 18)
		return 0;
	int64_t n = 0;
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		n = n * 10 + (*p - '0');
	}
	return n;
}

int req_query(struct req *r, const char *name, char *buf, size_t len)
{
	char key[64], frag[4096];
	snprintf(key, sizeof key, "%s=", name);
	/* lws copies each "name=value" fragment into frag (stopping at the first
	 * that does not fit, hence the big buffer) and points past the '=' */
	const char *v = lws_get_urlarg_by_name(r->wsi, key, frag, (int)sizeof frag);
	if (!v || strlen(v) >= len)
		return -1;
	memcpy(buf, v, strlen(v) + 1);
	return 0;
}

int req_header(struct req *r, const char *name, char *buf, size_t len)
{
	/* headers lws knows by token are not in its custom-header list */
	static const struct {
		const char *name;
		enum lws_token_indexes tok;
	} known[] = {
	    {"if-none-match:", WSI_TOKEN_HTTP_IF_NONE_MATCH},
	    {"range:", WSI_TOKEN_HTTP_RANGE},
	    {"content-type:", WSI_TOKEN_HTTP_CONTENT_TYPE},
	    {"user-agent:", WSI_TOKEN_HTTP_USER_AGENT},
	    {"origin:", WSI_TOKEN_ORIGIN},
	    {"accept-encoding:", WSI_TOKEN_HTTP_ACCEPT_ENCODING},
	};
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
		if (strcmp(name, known[i].name))
			continue;
		int n = lws_hdr_total_length(r->wsi, known[i].tok);
		if (n <= 0 || (size_t)n >= len)
			return -1;
		return lws_hdr_copy(r->wsi, buf, (int)len, known[i].tok) < 0 ? -1 : 0;
	}
	int n = lws_hdr_custom_length(r->wsi, name, (int)strlen(name));
	if (n < 0 || (size_t)n >= len)
		return -1;
	return lws_hdr_custom_copy(r->wsi, buf, (int)len, name, (int)strlen(name)) < 0 ? -1 : 0;
}

int req_cookie(struct req *r, const char *name, char *buf, size_t len)
{
	size_t max = len;
	return lws_http_cookie_get(r->wsi, name, buf, &max) ? -1 : 0;
}

int req_accepts_gzip(struct req *r)
{
	if (!r->ae_gzip) {
		char ae[256];
		r->ae_gzip = 1 + (!req_header(r, "accept-encoding:", ae, sizeof ae) && gzip_accepted(ae));
	}
	return r->ae_gzip - 1;
}

/* ---- answering ---- */

static void answer(struct req *r, int status)
{
	if (r->answered)
		return;
	r->answered = 1;
	r->status = status;
	lws_callback_on_writable(r->wsi);
}

void resp_header(struct req *r, const char *name, const char *value)
{
	if (r->nxh >= (int)(sizeof r->xh / sizeof r->xh[0]))
		return;
	snprintf(r->xh[r->nxh].name, sizeof r->xh[0].name, "%s:", name);
	snprintf(r->xh[r->nxh].value, sizeof r->xh[0].value, "%s", value);
	r->nxh++;
}

/* The answer's Content-Type, copied (NULL: JSON); a longer type than the
 * buffer is cut, which no type we send is. */
static void set_type(struct req *r, const char *content_type)
{
	snprintf(r->content_type, sizeof r->content_type, "%s", content_type ? content_type : "");
}

/* The answer's body: an owned one (freed with the request), a borrowed one,
 * or neither (a file: resp_fd); any earlier owned body is freed. */
static void set_body(struct req *r, char *owned, const unsigned char *borrowed, size_t len)
{
	free(r->resp);
	r->resp = owned;
	r->resp_static = borrowed;
	r->resp_len = len;
	r->resp_off = 0;
	r->resp_gzip = 0;
}

/* 1 when an answer is JSON worth compressing (resp_raw). */
static int compressible(int status, const char *content_type, size_t len)
{
	return (status == 200 || status == 201) && len >= GZIP_MIN_BYTES &&
	       (!content_type || !strncmp(content_type, "application/json", 16));
}

void resp_raw(struct req *r, int status, const char *content_type, char *body, size_t len)
{
	if (!r->answered && compressible(status, content_type, len)) {
		char *gz;
		size_t glen;
		r->vary_ae = 1;
		if (req_accepts_gzip(r) && !gzip_compress(body, len, GZIP_LEVEL_LIVE, &gz, &glen)) {
			free(body);
			resp_gzip(r, status, content_type, gz, glen);
			return;
		}
	}
	set_body(r, body, NULL, len);
	set_type(r, content_type);
	answer(r, status);
}

void resp_gzip(struct req *r, int status, const char *content_type, char *gz, size_t len)
{
	set_body(r, gz, NULL, len);
	r->resp_gzip = 1;
	r->vary_ae = 1;
	set_type(r, content_type);
	answer(r, status);
}

void resp_file(struct req *r, int status, const char *content_type, int fd, int64_t off, int64_t len)
{
	if (r->answered) {
		close(fd);
		return;
	}
	set_body(r, NULL, NULL, (size_t)len);
	r->resp_fd = fd;
	r->fd_off = off;
	set_type(r, content_type);
	answer(r, status);
}

void resp_static(struct req *r, int status, const char *content_type, const unsigned char *body, size_t len)
{
	set_body(r, NULL, body, len);
	set_type(r, content_type);
	answer(r, status);
}

void resp_ok(struct req *r, int status, cJSON *data)
{
	char *text = json_ok_text(data, NULL);
	resp_raw(r, status, "application/json; charset=utf-8", text, strlen(text));
}

void resp_ok_meta(struct req *r, int status, cJSON *data, cJSON *meta)
{
	char *text = json_ok_text(data, meta);
	resp_raw(r, status, "application/json; charset=utf-8", text, strlen(text));
}

void resp_err(struct req *r, const struct fe_err *e)
{
	int rc = e->rc ? e->rc : FE_EINTERNAL;
	char *text = json_error_text(e->code ? e->code : err_default_code(rc),
	                             e->message[0] ? e->message : err_default_code(rc), e->field);
	if (rc == FE_ERATE) {
		char ra[16];
		snprintf(ra, sizeof ra, "%d", e->retry_after > 0 ? e->retry_after : 1);
		resp_header(r, "retry-after", ra);
	}
	resp_raw(r, err_http_status(rc), "application/json; charset=utf-8", text, strlen(text));
}

void resp_fail(struct req *r, int rc, const char *code, const char *field, const char *msg)
{
	struct fe_err e = {0};
	err_set(&e, rc, code, field, "%s", msg);
	resp_err(r, &e);
}

struct ticket *req_defer(struct req *r)
{
	struct ticket *t = xcalloc(1, sizeof *t);
	t->r = r;
	r->ticket = t;
	lws_set_timer_usecs(r->wsi, REQ_DEFER_CHECK_US);
	return t;
}

struct req *ticket_take(struct ticket *t)
{
	struct req *r = t->r;
	if (r)
		r->ticket = NULL;
	free(t);
	return r;
}

/* ---- the body ---- */

cJSON *req_json(struct req *r)
{
	cJSON *j = req_json_any(r);
	if (j && !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		resp_fail(r, FE_EINVAL, "INVALID_JSON", NULL, "the body must be a JSON object");
		return NULL;
	}
	return j;
}

cJSON *req_json_any(struct req *r)
{
	char ct[128] = "";
	struct fe_err e = {0};
	cJSON *j = NULL;
	if (r->body_len)
		lws_hdr_copy(r->wsi, ct, sizeof ct, WSI_TOKEN_HTTP_CONTENT_TYPE);
	if (json_body_parse(r->body, r->body_len, ct, &j, &e)) {
		resp_err(r, &e);
		return NULL;
	}
	return j;
}

int req_is_tls(struct req *r)
{
	return lws_is_ssl(r->wsi) || r->fwd_tls;
}
