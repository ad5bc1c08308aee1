/* http/server: the libwebsockets context, the HTTP protocol callback, the
 * request lifecycle (route, bounded body, auth, dispatch, chunked answer in
 * the writeable callback, the handler's hooks), the peer checks of deferred
 * answers, and graceful shutdown. The request API the handlers call
 * (req_*, resp_*, tickets) is http/request.c. */
#include <errno.h>
#include <libwebsockets.h>
#include <malloc.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include "core/auth.h"
#include "core/presence.h"
#include "core/search.h"
#include "core/writer.h"
#include "http/http.h"
#include "http/jsonio.h"
#include "http/router.h"
#include "http/ws.h"
#include "lib/connlimit.h"
#include "lib/crypto.h"
#include "lib/log.h"
#include "lib/proxy.h"
#include "lib/timefmt.h"
#include "lib/tlscert.h"
#include "lib/workers.h"
#include "lib/xalloc.h"

/* One write carries the head and up to about WBUF - 8 KiB of body (the head
 * is at most a few KiB: the extra headers hold up to 6 x 640 bytes). */
#define WBUF (40 * 1024)
/* A request refused before its body is read still has its body read and
 * dropped when it is at most this big (so the client sees the answer, not a
 * reset); bigger bodies get the answer and the connection is closed. */
#define DISCARD_MAX (1 << 20)
#define CSP                                                                                                  \
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "              \
	"connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

/* A line that may repeat in a flood is logged at most once per period; the
 * next one says how many were left out. */
struct log_every {
	int64_t last_us;
	unsigned long skipped;
};

/* 1 when the line may be logged now (then *skipped = lines left out since). */
static int log_every_ok(struct log_every *l, int64_t period_us, unsigned long *skipped)
{
	int64_t now = time_mono_us();
	if (l->last_us && now - l->last_us < period_us) {
		l->skipped++;
		return 0;
	}
	*skipped = l->skipped;
	l->skipped = 0;
	l->last_us = now;
	return 1;
}

/* On every answer, errors included. */
static const struct {
	const char *n, *v;
} security_headers[] = {
    {"x-content-type-options:", "nosniff"}, {"x-frame-options:", "DENY"},
    {"referrer-policy:", "no-referrer"},    {"content-security-policy:", CSP},
    {"cache-control:", "no-store"},
};

struct server {
	struct lws_context *ctx;
	struct app *app;
	char cert[512], key[512];
	lws_sorted_usec_list_t flush_sul, tick_sul;
	struct lws_vhost *plain_vh;
	/* connection caps: an accepted connection's address waits in pending
	 * until lws creates its wsi (same call chain), then is counted by wsi */
	struct connlimit *limits;
	unsigned char pending[16];
	int has_pending;
	struct log_every refused_log, slow_log;
	unsigned long refused, slow_bodies;
	struct proxy_trust trust;             /* --trust-proxy */
	volatile sig_atomic_t stop_requested; /* server_stop_request (a signal handler) */
	int in_flight;                        /* requests received and not yet answered */
	unsigned char wbuf[LWS_PRE + WBUF];   /* on_writeable's head and body (loop thread only) */
};

/* The server of r's app (app->loop). */
static struct server *server_of(const struct req *r)
{
	return r->app->loop;
}

/* ---- the request's head ---- */

static enum method method_of(struct lws *wsi)
{
	static const struct {
		enum lws_token_indexes tok;
		enum method m;
	} t[] = {
	    {WSI_TOKEN_GET_URI, M_GET},         {WSI_TOKEN_POST_URI, M_POST},
	    {WSI_TOKEN_PUT_URI, M_PUT},         {WSI_TOKEN_PATCH_URI, M_PATCH},
	    {WSI_TOKEN_DELETE_URI, M_DELETE},   {WSI_TOKEN_HEAD_URI, M_HEAD},
	    {WSI_TOKEN_OPTIONS_URI, M_OPTIONS},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (lws_hdr_total_length(wsi, t[i].tok))
			return t[i].m;
	return M_OTHER;
}

/* 1 when the peer closed (or reset) its side of r's socket. */
static int peer_gone(struct req *r)
{
	char c;
	ssize_t n = recv(lws_get_socket_fd(r->wsi), &c, 1, MSG_PEEK | MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

size_t http_error_text(char *buf, size_t size, int status, const char *code, const char *message,
                       const char *allow)
{
	static const struct {
		int status;
		const char *reason;
	} reasons[] = {
	    {400, "Bad Request"},
	    {405, "Method Not Allowed"},
	    {408, "Request Timeout"},
	    {414, "URI Too Long"},
	    {431, "Request Header Fields Too Large"},
	    {501, "Not Implemented"},
	    {503, "Service Unavailable"},
	    {505, "HTTP Version Not Supported"},
	};
	const char *reason = "Error";
	for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
		if (reasons[i].status == status)
			reason = reasons[i].reason;
	char *body = json_error_text(code, message, NULL);
	char id[24];
	unique_id_b64url(id, sizeof id);
	size_t blen = strlen(body);
	int n = snprintf(buf, size,
	                 "HTTP/1.1 %d %s\r\ncontent-type: application/json; charset=utf-8\r\n"
	                 "content-length: %zu\r\nx-request-id: %s\r\n",
	                 status, reason, blen, id);
	for (size_t i = 0;
	     i < sizeof security_headers / sizeof security_headers[0] && n > 0 && (size_t)n < size; i++)
		n += snprintf(buf + n, size - (size_t)n, "%.*s: %s\r\n",
		              (int)strlen(security_headers[i].n) - 1, security_headers[i].n,
		              security_headers[i].v);
	if (allow && n > 0 && (size_t)n < size)
		n += snprintf(buf + n, size - (size_t)n, "allow: %s\r\n", allow);
	if (n > 0 && (size_t)n < size)
		n += snprintf(buf + n, size - (size_t)n, "connection: close\r\n\r\n%s", body);
	free(body);
	return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

/* ---- lifecycle ---- */

static void req_reset(struct req *r)
{
	free(r->resp);
	free(r->body);
	if (r->resp_fd >= 0)
		close(r->resp_fd);
	if (r->on_close) {
		void (*on_close)(struct req *) = r->on_close;
		r->on_close = NULL;
		on_close(r);
	}
	if (r->ticket) {
		r->ticket->r = NULL;
		if (r->ticket->gone)
			r->ticket->gone(r->ticket->gone_arg);
	}
	if (r->in_flight)
		server_of(r)->in_flight--;
	struct lws *wsi = r->wsi;
	struct app *app = r->app;
	memset(r, 0, sizeof *r);
	r->wsi = wsi;
	r->app = app;
	r->resp_fd = -1;
}

static void set_request_id(struct req *r)
{
	char id[72];
	if (!req_header(r, "x-request-id:", id, sizeof id) && *id && strlen(id) <= 64 &&
	    strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == strlen(id)) {
		strcpy(r->request_id, id);
		return;
	}
	unique_id_b64url(r->request_id, sizeof r->request_id); /* no system call */
}

/* Authenticates when the route needs it (from the headers, before any body
 * is read). Returns 0, or answered 401. */
static int authenticate(struct req *r)
{
	if (r->route->auth != AUTH_NONE) {
		char tok[2048] = "";
		struct fe_err e = {0};
		int n = lws_hdr_total_length(r->wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
		if (n > 0 && n < (int)sizeof tok)
			lws_hdr_copy(r->wsi, tok, sizeof tok, WSI_TOKEN_HTTP_AUTHORIZATION);
		const char *t = NULL;
		int query = r->route->auth == AUTH_USER_QUERY || r->route->auth == AUTH_FILE, cookie = 0;
		if (!strncasecmp(tok, "Bearer ", 7))
			t = tok + 7;
		else if (query && !req_query(r, "access_token", tok, sizeof tok))
			t = tok;
		else if (r->route->auth == AUTH_FILE && !req_cookie(r, FILE_COOKIE, tok, sizeof tok))
			t = tok, cookie = 1; /* file GET/HEAD only: a read, so no CSRF to fear */
		if (!t || !*t) {
			resp_fail(r, FE_EAUTH, "UNAUTHORIZED", NULL, "an access token is required");
			return -1;
		}
		if ((cookie ? auth_authenticate_file : auth_authenticate)(r->app, t, strlen(t), &r->who,
		                                                          &e)) {
			resp_err(r, &e);
			return -1;
		}
	}
	return 0;
}

/* ---- CORS (--cors-origin) ---- */

#define CORS_METHODS "GET, HEAD, POST, PUT, PATCH, DELETE"
#define CORS_HEADERS "Authorization, Content-Type, X-Request-Id, Last-Event-ID"
#define CORS_EXPOSE "X-Request-Id, Retry-After, Content-Disposition, Content-Range, ETag"
#define CORS_MAX_AGE "600"

/* Notes the request's Origin in r->cors_origin when it is a listed one. */
static void cors_note(struct req *r)
{
	char o[sizeof r->cors_origin];
	if (*r->app->cfg->cors_origins && !req_header(r, "origin:", o, sizeof o) &&
	    config_cors_allowed(r->app->cfg, o, strlen(o)))
		memcpy(r->cors_origin, o, sizeof o);
}

/* A CORS preflight from a listed origin for a path that exists: 204 with
 * what may be sent. Returns 1 when answered. Preflights from other origins
 * are not answered here: they get what OPTIONS gets without CORS (405 on a
 * known path), with no CORS headers, so the browser refuses the call. */
static int cors_preflight(struct req *r, int route_rc)
{
	char m[32];
	if (r->method != M_OPTIONS || !*r->cors_origin || route_rc != FE_EMETHOD ||
	    req_header(r, "access-control-request-method:", m, sizeof m))
		return 0;
	r->preflight = 1;
	resp_static(r, 204, NULL, NULL, 0);
	return 1;
}

/* Adds the CORS answer headers (see cors_note); returns nonzero when the
 * head is full. Never "*", and credentials only with a listed origin. */
static int cors_headers(struct req *r, unsigned char **p, unsigned char *end)
{
	static const struct {
		const char *n, *v;
	} pre[] = {
	    {"access-control-allow-methods:", CORS_METHODS},
	    {"access-control-allow-headers:", CORS_HEADERS},
	    {"access-control-max-age:", CORS_MAX_AGE},
	};
	if (!*r->app->cfg->cors_origins)
		return 0;
	if (lws_add_http_header_by_name(
	        r->wsi, (const unsigned char *)"vary:", (const unsigned char *)"Origin", 6, p, end))
		return 1;
	if (!*r->cors_origin)
		return 0;
	if (lws_add_http_header_by_name(r->wsi, (const unsigned char *)"access-control-allow-origin:",
	                                (const unsigned char *)r->cors_origin, (int)strlen(r->cors_origin), p,
	                                end) ||
	    lws_add_http_header_by_name(r->wsi, (const unsigned char *)"access-control-allow-credentials:",
	                                (const unsigned char *)"true", 4, p, end) ||
	    lws_add_http_header_by_name(r->wsi, (const unsigned char *)"access-control-expose-headers:",
	                                (const unsigned char *)CORS_EXPOSE, (int)strlen(CORS_EXPOSE), p, end))
		return 1;
	for (size_t i = 0; r->preflight && i < sizeof pre / sizeof pre[0]; i++)
		if (lws_add_http_header_by_name(r->wsi, (const unsigned char *)pre[i].n,
		                                (const unsigned char *)pre[i].v, (int)strlen(pre[i].v), p,
		                                end))
			return 1;
	return 0;
}

/* Runs the handler, or, once a streamed body is complete, the hook its
 * handler left for that (on_body_done). */
static void dispatch(struct req *r)
{
	handler_fn fn = r->on_body_done ? r->on_body_done : r->route->handler;
	r->on_body_done = NULL;
	fn(r);
	if (!r->answered && !r->ticket && !r->on_body_done) {
		log_err("http: handler gave no answer route=%s", r->route->pattern);
		resp_fail(r, FE_EINTERNAL, NULL, NULL, "internal error");
	}
}

/* Sets r->client: the TCP peer, or, when the peer is a trusted proxy
 * (--trust-proxy), the client X-Forwarded-For names (lib/proxy's rule);
 * and r->fwd_tls when a trusted proxy says X-Forwarded-Proto: https. */
static void forwarded(struct req *r)
{
	struct server *s = r->app->loop;
	char got[64];
	/* the TCP peer, asked once per connection: lws frees the request's
	 * memory between keep-alive requests, so the connection keeps it as
	 * its opaque user data (freed on LWS_CALLBACK_WSI_DESTROY) */
	const char *peer = lws_get_opaque_user_data(r->wsi);
	if (!peer) {
		lws_get_peer_simple(r->wsi, got, sizeof got);
		peer = got;
		if (strncmp(got, "getpeername", 11)) /* an error text is not kept */
			lws_set_opaque_user_data(r->wsi, xstrdup(got));
	}
	snprintf(r->client, sizeof r->client, "%s", peer);
	unsigned char k[16];
	if (!s || !s->trust.n || proxy_addr_parse(peer, strlen(peer), k) || !proxy_trusted(&s->trust, k))
		return;
	int n = lws_hdr_total_length(r->wsi, WSI_TOKEN_X_FORWARDED_FOR);
	if (n > 0) {
		char *xff = xmalloc((size_t)n + 1);
		if (lws_hdr_copy(r->wsi, xff, n + 1, WSI_TOKEN_X_FORWARDED_FOR) >= 0)
			proxy_client(&s->trust, peer, xff, r->client, sizeof r->client);
		free(xff);
	}
	char proto[64];
	if (!req_header(r, "x-forwarded-proto:", proto, sizeof proto)) {
		char *last = strrchr(proto, ','); /* the proxy nearest us appended last */
		last = last ? last + 1 : proto;
		last += strspn(last, " \t");
		r->fwd_tls = !strncasecmp(last, "https", 5) && !last[5 + strspn(last + 5, " \t")];
	}
}

/* LWS_CALLBACK_HTTP: a request line and headers arrived. Returns nonzero to
 * close the connection. */
static int on_request(struct req *r, const char *uri)
{
	req_reset(r);
	r->t0_us = time_mono_us();
	r->method = method_of(r->wsi);
	r->in_flight = 1;
	server_of(r)->in_flight++;
	snprintf(r->path, sizeof r->path, "%s", uri);
	set_request_id(r);
	cors_note(r);
	forwarded(r);
	r->route_index = -1;

	char cl[32] = "";
	int has_cl = lws_hdr_copy(r->wsi, cl, sizeof cl, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0;
	r->body_expected = has_cl ? atoll(cl) : 0;
	int body_method = r->method == M_POST || r->method == M_PUT || r->method == M_PATCH;

	if (server_of(r)->stop_requested) {
		r->close_after = 1;
		resp_fail(r, FE_EUNAVAIL, "SHUTTING_DOWN", NULL, "the server is shutting down");
		return 0;
	}
	if (lws_hdr_total_length(r->wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING)) {
		r->close_after = 1;
		resp_fail(r, FE_ELENGTH, "LENGTH_REQUIRED", NULL, "chunked request bodies are not supported");
		return 0;
	}
	int rc = router_match(r);
	if (rc && cors_preflight(r, rc))
		return 0;
	if (rc) {
		r->close_after = r->body_expected > DISCARD_MAX || (body_method && !has_cl);
		resp_fail(r, rc, NULL, NULL,
		          rc == FE_EMETHOD ? "method not allowed on this path" : "no such route");
		return 0;
	}
	if (body_method && !has_cl) {
		r->close_after = 1;
		resp_fail(r, FE_ELENGTH, "LENGTH_REQUIRED", NULL, "Content-Length is required");
		return 0;
	}
	int64_t limit = router_body_limit(r);
	if (r->body_expected < 0 || r->body_expected > limit) {
		r->close_after = 1;
		char msg[96];
		snprintf(msg, sizeof msg, "the body is larger than %lld bytes", (long long)limit);
		resp_fail(r, FE_ETOOBIG, "PAYLOAD_TOO_LARGE", NULL, msg);
		return 0;
	}
	if (authenticate(r)) {
		r->close_after = r->body_expected > DISCARD_MAX;
		return 0;
	}
	if (r->route->upload) {
		/* a streamed body: the handler runs now and takes the body through
		 * its hooks (on_body, then on_body_done), or refuses it at once */
		dispatch(r);
		if (r->answered)
			r->close_after = r->body_expected > DISCARD_MAX;
		return 0;
	}
	if (r->body_expected > 0 || (r->method == M_POST && has_cl))
		return 0; /* wait for the body (lws calls BODY_COMPLETION even for an explicit 0 on POST) */
	dispatch(r);
	return 0;
}

/* When the body must have arrived: body-timeout after its last byte, and
 * body-timeout plus received/body-min-rate seconds after it started. */
static int64_t body_deadline(const struct req *r)
{
	const struct config *c = r->app->cfg;
	int64_t t = (int64_t)c->body_timeout * 1000000;
	int64_t idle = r->body_last_us + t;
	if (!c->body_min_rate)
		return idle;
	int64_t rate = r->body_t0_us + t + r->body_got * 1000000 / c->body_min_rate;
	return rate < idle ? rate : idle;
}

/* Checks the body clock: re-arms the timer for the deadline, or answers 408
 * and returns -1 (close) when the body is too slow. */
static int body_clock(struct req *r)
{
	int64_t now = time_mono_us(), left = body_deadline(r) - now;
	if (left > 0) {
		lws_set_timer_usecs(r->wsi, left);
		return 0;
	}
	struct server *s = r->app->loop;
	unsigned long skipped;
	s->slow_bodies++;
	if (log_every_ok(&s->slow_log, 10 * 1000000, &skipped))
		log_warn("http: body too slow, closing %s %s got=%lld of %lld client=%s cut_total=%lu (%lu "
		         "not logged)",
		         method_name(r->method), r->path, (long long)r->body_got, (long long)r->body_expected,
		         r->client, s->slow_bodies, skipped);
	if (!r->headers_sent) {
		unsigned char buf[LWS_PRE + 2048];
		size_t n = http_error_text((char *)buf + LWS_PRE, sizeof buf - LWS_PRE, 408,
		                           "REQUEST_TIMEOUT", "the request body came too slowly", NULL);
		if (n)
			lws_write(r->wsi, buf + LWS_PRE, n, LWS_WRITE_HTTP);
	}
	return -1;
}

static void body_clock_start(struct req *r)
{
	r->body_t0_us = r->body_last_us = time_mono_us();
	body_clock(r);
}

static int on_body(struct req *r, const void *in, size_t len)
{
	r->body_got += (int64_t)len;
	r->body_last_us = time_mono_us();
	if (r->body_t0_us && body_clock(r)) /* no clock for an explicit Content-Length: 0 */
		return -1;
	if (r->answered || !len)
		return 0; /* already refused: discard; or the empty body of an explicit Content-Length: 0 */
	if (r->on_body) {
		r->on_body(r, in, len);
		return 0;
	}
	if (r->body_len + len > (size_t)r->body_expected) {
		r->close_after = 1;
		resp_fail(r, FE_ETOOBIG, "PAYLOAD_TOO_LARGE", NULL,
		          "the body is longer than its Content-Length");
		return 0;
	}
	if (!r->body) {
		r->body_cap = (size_t)r->body_expected + 1;
		r->body = xmalloc(r->body_cap);
	}
	memcpy(r->body + r->body_len, in, len);
	r->body_len += len;
	r->body[r->body_len] = 0;
	return 0;
}

/* Writes the answer: the headers and as much of the body as fits after them
 * in one write (the whole of an answer up to about WBUF_BODY bytes: one
 * send), then the rest in further writes. Returns nonzero to close. */
static int on_writeable(struct req *r)
{
	unsigned char *buf = server_of(r)->wbuf, *start = buf + LWS_PRE, *p = start,
	              *end = buf + sizeof server_of(r)->wbuf - 1;
	if (!r->answered || (r->body_expected > 0 && !r->body_done && !r->close_after))
		return 0; /* answered early: the body is still being read and dropped */
	int head = r->method == M_HEAD;
	if (r->headers_sent && r->on_writable)
		return r->on_writable(r); /* a stream (e.g. SSE) writes what it has queued */
	if (!r->headers_sent) {
		const char *ct = *r->content_type ? r->content_type : "application/json; charset=utf-8";
		if (r->status == 204
		        ? lws_add_http_header_status(r->wsi, 204, &p, end) /* no body, no length */
		        : lws_add_http_common_headers(r->wsi, (unsigned)r->status, ct,
		                                      r->stream ? LWS_ILLEGAL_HTTP_CONTENT_LEN : r->resp_len,
		                                      &p, end))
			return -1;
		if (cors_headers(r, &p, end))
			return -1;
		int own_cache = 0;
		for (int i = 0; i < r->nxh; i++)
			own_cache |= !strcmp(r->xh[i].name, "cache-control:");
		if (lws_add_http_header_by_name(
		        r->wsi, (const unsigned char *)"x-request-id:", (const unsigned char *)r->request_id,
		        (int)strlen(r->request_id), &p, end))
			return -1;
		for (size_t i = 0; i < sizeof security_headers / sizeof security_headers[0]; i++) {
			const char *n = security_headers[i].n, *v = security_headers[i].v;
			if (own_cache && !strcmp(n, "cache-control:"))
				continue; /* the handler set its own caching */
			if (lws_add_http_header_by_name(r->wsi, (const unsigned char *)n,
			                                (const unsigned char *)v, (int)strlen(v), &p, end))
				return -1;
		}
		for (int i = 0; i < r->nxh; i++)
			if (lws_add_http_header_by_name(r->wsi, (const unsigned char *)r->xh[i].name,
			                                (const unsigned char *)r->xh[i].value,
			                                (int)strlen(r->xh[i].value), &p, end))
				return -1;
		if (r->resp_gzip &&
		    lws_add_http_header_by_name(r->wsi, (const unsigned char *)"content-encoding:",
		                                (const unsigned char *)"gzip", 4, &p, end))
			return -1;
		if (r->vary_ae &&
		    lws_add_http_header_by_name(r->wsi, (const unsigned char *)"vary:",
		                                (const unsigned char *)"Accept-Encoding", 15, &p, end))
			return -1;
		if (r->close_after &&
		    lws_add_http_header_by_name(r->wsi, (const unsigned char *)"connection:",
		                                (const unsigned char *)"close", 5, &p, end))
			return -1;
		if (lws_finalize_http_header(r->wsi, &p, end))
			return -1;
		r->headers_sent = 1;
		if (r->stream || !r->resp_len || head) {
			/* the head alone */
			int hl = (int)(p - start);
			if (lws_write(r->wsi, start, (size_t)hl, LWS_WRITE_HTTP_HEADERS) != hl)
				return -1;
		}
		if (r->stream) {
			/* HTTP/1.1 only (ALPN): no lws_http_mark_sse, which would try to
			 * make an h2 stream immortal */
			lws_set_timeout(r->wsi, NO_PENDING_TIMEOUT, 0); /* lives until closed */
			if (r->in_flight) { /* a stream does not hold up shutdown */
				r->in_flight = 0;
				server_of(r)->in_flight--;
			}
			lws_callback_on_writable(r->wsi);
			return 0;
		}
		if (!r->resp_len || head)
			goto done;
	}
	/* the body, after the head when it is still in the buffer */
	size_t n = r->resp_len - r->resp_off, room = (size_t)(buf + sizeof server_of(r)->wbuf - p);
	if (n > room)
		n = room;
	if (r->resp_fd >= 0) {
		ssize_t got = pread(r->resp_fd, p, n, r->fd_off + (int64_t)r->resp_off);
		if (got != (ssize_t)n)
			return -1; /* the file shrank under us: cut the connection */
	} else {
		memcpy(p, (r->resp ? (const unsigned char *)r->resp : r->resp_static) + r->resp_off, n);
	}
	r->resp_off += n;
	int last = r->resp_off == r->resp_len, total = (int)(p - start + n);
	if (lws_write(r->wsi, start, (size_t)total, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != total)
		return -1;
	if (!last) {
		lws_callback_on_writable(r->wsi);
		return 0;
	}
done:
	/* the whole answer is out */
	metrics_request(r->app->metrics, r->route_index, r->method, r->status, time_mono_us() - r->t0_us);
	log_debug("http: %s %s status=%d id=%s", method_name(r->method), r->path, r->status, r->request_id);
	int close = r->close_after;
	req_reset(r);
	if (close)
		return -1;
	return lws_http_transaction_completed(r->wsi) ? -1 : 0;
}

/* The 16-byte key of a peer address (IPv4 as IPv4-mapped IPv6). */
static void addr_key(const struct sockaddr_storage *sa, unsigned char k[16])
{
	memset(k, 0, 16);
	if (sa->ss_family == AF_INET6) {
		memcpy(k, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	} else if (sa->ss_family == AF_INET) {
		k[10] = k[11] = 0xff;
		memcpy(k + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	}
}

/* LWS_CALLBACK_FILTER_NETWORK_CONNECTION: admits an accepted connection
 * under the caps, or refuses it at once (a 503 on plain HTTP, best effort)
 * and returns nonzero so lws closes it. */
static int admit(struct server *s, struct lws *listener, struct lws_filter_network_conn_args *f)
{
	if (!s || !s->limits)
		return 0;
	unsigned char k[16];
	addr_key(&f->cli_addr, k);
	int why = connlimit_check(s->limits, k);
	/* a trusted proxy carries many clients: it counts toward the total cap
	 * only (the proxy limits connections per client, e.g. nginx limit_conn) */
	if (why == CONNLIMIT_PER_ADDR && proxy_trusted(&s->trust, k))
		why = CONNLIMIT_OK;
	if (why == CONNLIMIT_OK) {
		memcpy(s->pending, k, 16);
		s->has_pending = 1;
		return 0;
	}
	s->refused++;
	if (lws_get_vhost(listener) == s->plain_vh) {
		char buf[1024];
		while (recv(f->accept_fd, buf, sizeof buf, MSG_DONTWAIT) > 0)
			; /* unread bytes would turn our close into a reset */
		size_t n =
		    http_error_text(buf, sizeof buf, 503, "TOO_MANY_CONNECTIONS",
		                    why == CONNLIMIT_TOTAL ? "the server has too many open connections"
		                                           : "too many open connections from your address",
		                    NULL);
		if (n && send(f->accept_fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			(void)0; /* best effort: the connection is closed either way */
	}
	unsigned long skipped;
	if (log_every_ok(&s->refused_log, 10 * 1000000, &skipped)) {
		char ip[64];
		lws_sa46_write_numeric_address((lws_sockaddr46 *)&f->cli_addr, ip, sizeof ip);
		log_warn(
		    "http: connection refused reason=%s client=%s open=%d refused_total=%lu (%lu not logged)",
		    why == CONNLIMIT_TOTAL ? "max-connections" : "max-connections-per-ip", ip,
		    connlimit_total(s->limits), s->refused, skipped);
	}
	return 1;
}

static int cb_http(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	/* connection accounting, before anything reads user (which is not a
	 * struct req for these) */
	if (reason == LWS_CALLBACK_FILTER_NETWORK_CONNECTION || reason == LWS_CALLBACK_WSI_CREATE ||
	    reason == LWS_CALLBACK_WSI_DESTROY) {
		struct app *a = lws_context_user(lws_get_context(wsi));
		struct server *s = a ? a->loop : NULL;
		if (reason == LWS_CALLBACK_FILTER_NETWORK_CONNECTION)
			return admit(s, wsi, user);
		if (reason == LWS_CALLBACK_WSI_DESTROY) { /* the peer text forwarded() kept */
			free(lws_get_opaque_user_data(wsi));
			lws_set_opaque_user_data(wsi, NULL);
		}
		if (!s || !s->limits)
			return 0;
		if (reason == LWS_CALLBACK_WSI_CREATE && s->has_pending) {
			connlimit_add(s->limits, (uint64_t)(uintptr_t)wsi, s->pending);
			s->has_pending = 0;
		} else if (reason == LWS_CALLBACK_WSI_DESTROY) {
			connlimit_remove(s->limits, (uint64_t)(uintptr_t)wsi);
		}
		return 0;
	}
	/* lws also calls here (the vhost's first protocol) for a connection that
	 * switched to the WebSocket protocol, e.g. a refused upgrade being closed:
	 * its per-session memory is then a struct ws_pss, not ours */
	const struct lws_protocols *proto = lws_get_protocol(wsi);
	struct req *r = proto && proto->callback == cb_http ? user : NULL;
	struct app *app = lws_context_user(lws_get_context(wsi));
	if (r && !r->wsi) {
		r->wsi = wsi;
		r->app = app;
		r->resp_fd = -1;
	}
	switch (reason) {
	case LWS_CALLBACK_HTTP_BIND_PROTOCOL:
		metrics_conn(app->metrics, 1);
		break;
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		metrics_conn(app->metrics, -1);
		if (r)
			req_reset(r);
		break;
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		return ws_confirm_upgrade(wsi, in); /* only /ws with fechatter.v1 upgrades */
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return 1; /* never a WebSocket on the HTTP protocol */
	case LWS_CALLBACK_HTTP: {
		if (!r)
			return -1;
		int rc = on_request(r, in);
		if (!rc && r->body_expected > 0)
			body_clock_start(r);
		return rc;
	}
	case LWS_CALLBACK_HTTP_BODY:
		return r ? on_body(r, in, len) : -1;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (!r)
			return -1;
		r->body_done = 1;
		lws_set_timer_usecs(wsi, LWS_SET_TIMER_USEC_CANCEL);
		if (!r->answered)
			dispatch(r);
		else
			lws_callback_on_writable(wsi);
		return 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return r ? on_writeable(r) : 0;
	case LWS_CALLBACK_CLOSED_HTTP:
		if (r)
			req_reset(r);
		break;
	case LWS_CALLBACK_TIMER:
		if (r && r->on_timer)
			r->on_timer(r);
		else if (r && r->body_t0_us && !r->body_done)
			return body_clock(r);
		else if (r && r->ticket && peer_gone(r))
			return -1; /* closes: req_reset tells the ticket's owner */
		else if (r && r->ticket)
			lws_set_timer_usecs(wsi, REQ_DEFER_CHECK_US);
		break;
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		if (app && app->workers)
			workers_drain(app->workers);
		if (app) { /* the sends the writer thread committed: their events
			    * go out together, one batch per connection */
			rt_hold(app->hub);
			writer_reap(app->writer);
			bus_poll(&app->bus); /* events from other appliances (NATS) */
			rt_release(app->hub);
		}
		break;
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols protocols[] = {
    /* tx_packet_size: lws sends at most this much of a write at once (else
     * pt_serv_buf_size, 8 KiB, and the rest is copied aside for the next
     * turn): an answer of one write goes out in one send */
    {"http", cb_http, sizeof(struct req), 0, 0, NULL, WBUF},
    {WS_PROTOCOL, ws_callback, sizeof(struct ws_pss), WS_RX_BUFFER, 0, NULL, WS_TX_PACKET},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* Idle WebSocket connections are pinged after 30 s of silence and dropped
 * when nothing came back for 40 s. */
static const lws_retry_bo_t idle_policy = {
    .secs_since_valid_ping = 30,
    .secs_since_valid_hangup = 40,
};

/* lws logs through ours, errors and warnings only. A line repeating in a
 * flood (e.g. "accept: errno 24" at the descriptor limit) is logged once per
 * 10 s with the count of the repeats left out. */
static void lws_log(int level, const char *line)
{
	static char last[160];
	static struct log_every every;
	size_t n = strlen(line);
	while (n && line[n - 1] == '\n')
		n--;
	unsigned long skipped = 0;
	if (n < sizeof last && !strncmp(last, line, n) && !last[n]) {
		if (!log_every_ok(&every, 10 * 1000000, &skipped))
			return;
	} else {
		if (every.skipped)
			log_warn("lws: the previous line repeated %lu more times", every.skipped);
		snprintf(last, sizeof last, "%.*s", (int)n, line);
		every.skipped = 0;
		every.last_us = time_mono_us();
	}
	if (skipped)
		log_warn("lws: the next line repeated %lu times in 10 s", skipped);
	if (level & LLL_ERR)
		log_err("lws: %.*s", (int)n, line);
	else
		log_warn("lws: %.*s", (int)n, line);
}

static struct lws_vhost *make_vhost(struct server *s, const char *name, int port, int tls)
{
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	info.vhost_name = name;
	info.port = port;
	info.iface = s->app->cfg->bind;
	info.protocols = protocols;
	info.keepalive_timeout = 30;
	info.timeout_secs = 30;
	info.alpn = "http/1.1";
	info.retry_and_idle_policy = &idle_policy;
	/* accepted connections get our per-session memory at once, so the head
	 * scan (http/headguard.c) has its state from the first byte */
	info.listen_accept_protocol = "http";
	if (tls) {
		info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.ssl_cert_filepath = s->cert;
		info.ssl_private_key_filepath = s->key;
	}
	struct lws_vhost *vh = lws_create_vhost(s->ctx, &info);
	if (!vh)
		log_err("http: cannot listen on %s port %d", s->app->cfg->bind, port);
	return vh;
}

/* Once a second: typing entries expire. */
static void tick_cb(lws_sorted_usec_list_t *sul)
{
	struct server *s = lws_container_of(sul, struct server, tick_sul);
	typing_tick(s->app);
	lws_sul_schedule(s->ctx, 0, &s->tick_sul, tick_cb, LWS_USEC_PER_SEC);
}

static void flush_cb(lws_sorted_usec_list_t *sul)
{
	struct server *s = lws_container_of(sul, struct server, flush_sul);
	/* to the writer thread (the loop reads on); without the thread the
	 * batch commits here and its events go out together, after it */
	rt_hold(s->app->hub);
	writer_kick(s->app->writer);
	rt_release(s->app->hub);
}

/* Group commit: the flush runs when lws next services its timers, i.e.
 * after the events of the current turn. */
static void schedule_flush(void *loop)
{
	struct server *s = loop;
	lws_sul_schedule(s->ctx, 0, &s->flush_sul, flush_cb, 1);
}

void server_wake(void *server)
{
	struct server *s = server;
	lws_cancel_service(s->ctx);
}

/* Raises the descriptor limit to its hard limit (systemd starts services
 * with 1024 soft) and returns the total connection cap: --max-connections,
 * at most 3/4 of the descriptors, the rest kept for the database, files
 * being served or uploaded, and the listeners. Under the cap, accept() never
 * meets EMFILE, the condition that made lws spin and flood the log. */
static int connection_caps(const struct config *c)
{
	struct rlimit rl;
	long fds = 1024;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_cur < rl.rlim_max) {
			struct rlimit up = {rl.rlim_max, rl.rlim_max};
			if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > 1048576)
				up.rlim_cur = up.rlim_max = 1048576; /* what the kernel allows by default */
			if (setrlimit(RLIMIT_NOFILE, &up) == 0)
				rl = up;
		}
		fds = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1048576 ? 1048576 : (long)rl.rlim_cur;
	}
	long derived = fds * 3 / 4 - 16;
	if (derived < 1)
		derived = 1;
	long total = c->max_connections && c->max_connections < derived ? c->max_connections : derived;
	if (c->max_connections > derived)
		log_warn("http: max-connections=%d is above 3/4 of the descriptor limit %ld; using %ld",
		         c->max_connections, fds, derived);
	log_info("http: descriptors=%ld max_connections=%ld max_connections_per_ip=%d", fds, total,
	         c->max_connections_per_ip);
	return (int)total;
}

struct server *server_start(struct app *app)
{
	struct server *s = xcalloc(1, sizeof *s);
	s->app = app;
	/* each answer allocates and frees its per-request memory and body (a
	 * 16 KiB page) at the top of the heap: with glibc's 128 KiB default the
	 * heap shrank and grew again (brk and fresh pages) about every 6th
	 * answer; up to 1 MiB of free top is kept instead */
	mallopt(M_TRIM_THRESHOLD, 1 << 20);
	lws_set_log_level(LLL_ERR | LLL_WARN, lws_log);
	int total = connection_caps(app->cfg);
	char why[160];
	if (proxy_trust_parse(&s->trust, app->cfg->trust_proxy, why, sizeof why)) {
		log_err("http: trust-proxy: %s", why); /* config_load checked it already */
		free(s);
		return NULL;
	}
	if (s->trust.n)
		log_info("http: trusting X-Forwarded-For and X-Forwarded-Proto from %s",
		         app->cfg->trust_proxy);
	s->limits = connlimit_new(app->cfg->max_connections_per_ip, total);
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.user = app;
	/* room for any head http/reqhead lets through (REQHEAD_MAX_BYTES of raw
	 * head; lws stores unknown field names with 8 bytes of overhead each) */
	info.max_http_header_data = REQHEAD_MAX_BYTES + 8 * REQHEAD_MAX_FIELDS + 512;
	info.timeout_secs = 30;
	info.pt_serv_buf_size = 8192;
	s->ctx = lws_create_context(&info);
	if (!s->ctx) {
		log_err("http: cannot create the libwebsockets context");
		connlimit_free(s->limits);
		free(s);
		return NULL;
	}
	s->plain_vh = make_vhost(s, "http", app->cfg->port, 0);
	if (!s->plain_vh)
		goto fail;
	if (app->cfg->tls_port) {
		char fp[128], err[256];
		if (*app->cfg->cert) {
			snprintf(s->cert, sizeof s->cert, "%s", app->cfg->cert);
			snprintf(s->key, sizeof s->key, "%s", app->cfg->key);
		} else {
			snprintf(s->cert, sizeof s->cert, "%s/tls_cert.pem", app->cfg->data);
			snprintf(s->key, sizeof s->key, "%s/tls_key.pem", app->cfg->data);
			if (tlscert_ensure(s->cert, s->key, fp, err, sizeof err)) {
				log_err("tls: cannot make a self-signed certificate: %s", err);
				goto fail;
			}
			log_info("tls: self-signed certificate %s sha256=%s", s->cert, fp);
		}
		if (!make_vhost(s, "https", app->cfg->tls_port, 1))
			goto fail;
		log_info("http: listening https://%s:%d", app->cfg->bind, app->cfg->tls_port);
	}
	lws_sul_schedule(s->ctx, 0, &s->tick_sul, tick_cb, LWS_USEC_PER_SEC);
	app->loop = s;
	app->schedule_flush = schedule_flush;
	log_info("http: listening http://%s:%d", app->cfg->bind, app->cfg->port);
	return s;
fail:
	lws_context_destroy(s->ctx);
	connlimit_free(s->limits);
	free(s);
	return NULL;
}

void server_stop_request(struct server *s)
{
	s->stop_requested = 1;
	lws_cancel_service(s->ctx);
}

/* Services s until SIGTERM/SIGINT, then drains (10 s at most): new HTTP
 * requests get 503 and WebSocket sends SHUTTING_DOWN, the answers in
 * progress finish, the group commit is flushed and every queued WebSocket
 * answer (the acks of committed sends) reaches its socket; then every
 * real-time connection is closed with 1001 (going away). */
void server_run(struct server *s)
{
	struct rt_hub *hub = s->app->hub;
	while (!s->stop_requested)
		if (lws_service(s->ctx, 0) < 0)
			break;
	rt_stop_accepting(hub);
	log_info("http: shutting down in_flight=%d realtime=%zu", s->in_flight, rt_open(hub));
	search_cancel_all(s->app); /* a search may run long: answer it now */
	int64_t deadline = time_mono_us() + 10 * 1000000;
	do {
		writer_flush(s->app->writer);
		lws_service(s->ctx, -1); /* does not block */
		usleep(2000);
	} while ((s->in_flight > 0 || workers_pending(s->app->workers) > 0 || rt_pending(hub) > 0) &&
	         time_mono_us() < deadline);
	writer_flush(s->app->writer); /* whatever the last turn queued (answered SHUTTING_DOWN or acked) */
	if (s->in_flight || rt_pending(hub))
		log_warn("http: shutdown deadline passed in_flight=%d realtime_pending=%zu", s->in_flight,
		         rt_pending(hub));
	/* say goodbye once what is queued (acks first of all) is written: 1 s,
	 * longer (up to the drain deadline) while some socket still takes
	 * bytes; a reader that stopped reading is not waited for */
	rt_close_all(hub, LWS_CLOSE_STATUS_GOINGAWAY);
	int64_t bye = time_mono_us() + 1000000;
	while (rt_open(hub) > 0 &&
	       (time_mono_us() < bye || (rt_pending(hub) > 0 && time_mono_us() < deadline))) {
		lws_service(s->ctx, -1);
		usleep(2000);
	}
}

void server_free(struct server *s)
{
	if (!s)
		return;
	lws_context_destroy(s->ctx); /* closes the connections: they leave app->hub and app->presence */
	connlimit_free(s->limits);
	free(s);
}
