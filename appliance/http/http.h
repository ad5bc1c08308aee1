/* http/http: the request object the handlers see, and how they answer.
 * A handler runs on the loop thread; it answers at once with one of the
 * resp_* calls, or defers (req_defer) and answers later through the ticket.
 * Every response carries the JSON envelope of docs/API.md (except /health,
 * /metrics and static assets), x-request-id and the security headers. */
#ifndef FE_HTTP_H
#define FE_HTTP_H
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include "core/app.h"
#include "http/reqhead.h"
#include "lib/err.h"

enum method { M_GET, M_POST, M_PUT, M_PATCH, M_DELETE, M_HEAD, M_OPTIONS, M_OTHER };

#define MAX_CAPS 4

/* The file-download cookie's name (set by http/h_accounts.c, read on the
 * AUTH_FILE routes only). */
#define FILE_COOKIE "file_token"

struct req;
struct route;

typedef void (*handler_fn)(struct req *r);

enum auth_need {
	AUTH_NONE,
	AUTH_USER,
	AUTH_USER_QUERY, /* also ?access_token= */
	AUTH_FILE,       /* file GET/HEAD: also ?access_token= and the file_token cookie */
};

struct route {
	enum method method;
	const char *pattern; /* "/api/users/{id}/profile"; "*" = any path outside /api/ */
	handler_fn handler;
	enum auth_need auth;
	/* an upload: the body limit is --upload-limit instead of --body-limit,
	 * and the body is streamed: the handler runs once the head is
	 * authenticated and takes the body through r->on_body and
	 * r->on_body_done (http/upload.c sets them), or answers at once */
	int upload;
};

/* The route table (http/routes.c); terminated by a NULL pattern. */
extern const struct route routes[];

/* Per-request state; lives in the libwebsockets per-session memory. */
struct req {
	struct lws *wsi;
	struct app *app;
	enum method method;
	const struct route *route;
	int route_index;
	char path[512];
	char request_id[72];
	char client[64]; /* client address: the peer, or X-Forwarded-For from a trusted proxy */
	int fwd_tls;     /* a trusted proxy said X-Forwarded-Proto: https */
	struct {
		char name[32];
		char value[256];
	} caps[MAX_CAPS];
	int ncaps;
	struct principal who; /* valid when route->auth != AUTH_NONE */
	/* body */
	char *body;
	size_t body_len, body_cap;
	int64_t body_expected;
	int body_done;
	int64_t body_got;                 /* body bytes received, kept or not */
	int64_t body_t0_us, body_last_us; /* body clock (body-timeout, body-min-rate) */
	/* response */
	int status;
	char content_type[96]; /* a copy: callers may pass a type held in a record on their stack */
	char *resp;
	const unsigned char *resp_static; /* borrowed body (embedded asset) */
	size_t resp_len, resp_off;
	int resp_fd;           /* > 0: body streamed from this file (owned) */
	int64_t fd_off;        /* next byte of resp_fd to send */
	struct upload *upload; /* multipart upload in progress (http/upload.c's hooks own it) */
	struct conn *conn;     /* SSE stream (http/h_realtime.c's hooks own it) */
	int stream;            /* answer is an endless stream: no Content-Length, no in-flight count */
	int resp_gzip;         /* the body is gzip: Content-Encoding: gzip */
	int vary_ae;           /* the body depends on Accept-Encoding: Vary: Accept-Encoding */
	int ae_gzip;           /* req_accepts_gzip's answer + 1 (0: not read yet) */
	int64_t sse_ping_ms;   /* last SSE heartbeat */
	/* Hooks a handler sets to take over part of the request's life, so the
	 * server names no handler's functions; NULL: the server's default. All
	 * are cleared when the request ends. */
	void (*on_body)(struct req *r, const void *in, size_t len); /* each body chunk (else kept in body) */
	handler_fn on_body_done;           /* streamed body complete: answers (see route.upload) */
	int (*on_writable)(struct req *r); /* a stream's headers are out: writes; -1 closes */
	void (*on_timer)(struct req *r);   /* the request's lws timer fired (the handler armed it) */
	void (*on_close)(
	    struct req *r); /* the request ends (answered or closed): frees the handler's state */
	struct {
		char name[32];
		char value[640];
	} xh[6]; /* extra headers (a Set-Cookie holds a JWT) */
	int nxh;
	int headers_sent, answered, close_after, in_flight;
	int64_t t0_us;
	struct ticket *ticket;
	struct reqhead head;   /* the head's strict scan (http/headguard.c) */
	char cors_origin[128]; /* the request's Origin when --cors-origin lists it, else "" */
	int preflight;         /* answering a CORS preflight (OPTIONS) */
};

/* A deferred request: ticket->r becomes NULL when the client went away;
 * then gone(gone_arg) is called once, when set (to stop work nobody waits
 * for). */
struct ticket {
	struct req *r;
	void (*gone)(void *arg);
	void *gone_arg;
};

/* Returns the capture named name ("id"), or NULL. */
const char *req_cap(struct req *r, const char *name);
/* Parses capture name as a positive id; 0 when absent or malformed. */
int64_t req_cap_id(struct req *r, const char *name);
/* Copies a query argument's value (URL-decoded) into buf; 0 or -1 absent. */
int req_query(struct req *r, const char *name, char *buf, size_t len);
/* Copies a request header (lowercase name with ':', e.g. "if-none-match:"). */
int req_header(struct req *r, const char *name, char *buf, size_t len);
/* Copies a cookie's value; 0 or -1 absent. */
int req_cookie(struct req *r, const char *name, char *buf, size_t len);
/* 1 when the client reached us over TLS: on our own TLS port, or through a
 * trusted proxy that said X-Forwarded-Proto: https (--trust-proxy). For
 * what depends on it, e.g. the Secure attribute of cookies. */
int req_is_tls(struct req *r);
/* Parses the body as a JSON object. On failure answers 400/415 itself and
 * returns NULL. Owned: cJSON_Delete. An empty body gives an empty object. */
cJSON *req_json(struct req *r);
/* The same, accepting an array too. */
cJSON *req_json_any(struct req *r);

/* Adds a response header line (name without colon). */
void resp_header(struct req *r, const char *name, const char *value);
/* Answers {"success":true,"data":data}; takes ownership of data (may be NULL: {}). */
void resp_ok(struct req *r, int status, cJSON *data);
/* The same with a "meta" object (paging); takes ownership of both. */
void resp_ok_meta(struct req *r, int status, cJSON *data, cJSON *meta);
/* Answers the error envelope for e (status from e->rc). */
void resp_err(struct req *r, const struct fe_err *e);
/* Shorthand: resp_err with a code, field and message. */
void resp_fail(struct req *r, int rc, const char *code, const char *field, const char *msg);
/* Answers a raw body; takes ownership of body (malloc'd). A 200/201 JSON
 * body of at least GZIP_MIN_BYTES is sent gzip (level GZIP_LEVEL_LIVE) to a
 * client that accepts it, with Vary: Accept-Encoding whether or not. */
void resp_raw(struct req *r, int status, const char *content_type, char *body, size_t len);
/* Answers with len bytes of fd from offset off; takes ownership of fd. */
void resp_file(struct req *r, int status, const char *content_type, int fd, int64_t off, int64_t len);
/* 1 when the client accepts a gzip body (Accept-Encoding, lib/gzip's rule). */
int req_accepts_gzip(struct req *r);
/* Answers with an owned body that is already gzip (Content-Encoding: gzip,
 * Vary: Accept-Encoding); only for a client req_accepts_gzip said yes to. */
void resp_gzip(struct req *r, int status, const char *content_type, char *gz, size_t len);
/* Answers with a borrowed static body (must outlive the response). */
void resp_static(struct req *r, int status, const char *content_type, const unsigned char *body, size_t len);

/* While a transaction is in progress lws does not read the socket, so it
 * would not see a client that left before its deferred answer: a timer
 * peeks at the socket this often (http/server.c). */
#define REQ_DEFER_CHECK_US 200000

/* Defers the answer: returns a ticket to pass to asynchronous work. */
struct ticket *req_defer(struct req *r);
/* Ends a deferral; returns the request, or NULL if the client went away
 * (then nothing is to be answered). Frees the ticket. */
struct req *ticket_take(struct ticket *t);

/* The server (http/server.c). */
struct server;
/* Starts listening as configured, for app: app->hub, app->presence and
 * app->metrics must be made (main.c) and outlive the server. Sets app->loop
 * and app->schedule_flush. Returns owned, NULL on failure (logged). */
struct server *server_start(struct app *app);
/* Serves until server_stop_request(s); then drains and returns. */
void server_run(struct server *s);
/* Async-signal-safe: asks s's loop to shut down gracefully. */
void server_stop_request(struct server *s);
/* Closes every connection (they detach from app->hub) and frees s (NULL-safe). */
void server_free(struct server *s);
/* Wakes the loop from another thread (workers). */
void server_wake(void *server);

/* Multipart uploads (http/upload.c), for the handler of a route marked
 * upload, called when the head arrives (after auth, before the body):
 * checks the upload limit and the content type, then sets r's hooks so the
 * part named "file" streams to the blob store and done(r) runs once the
 * body is complete (done calls upload_finish). Returns 0, or -1 having
 * answered an error. What it holds is freed when the request ends. */
int upload_start(struct req *r, handler_fn done);
/* In done: the stored file (sha256, size, head, filename) or an error
 * already answered (returns -1). */
struct upload_result {
	char sha256[65];
	int64_t size;
	const unsigned char *head;
	size_t headlen;
	const char *filename;
};
int upload_finish(struct req *r, struct upload_result *out);

/* Metrics (http/metrics.c): one app's request counters (app->metrics). */
struct metrics;
/* Empty counters. Owned: metrics_free (NULL-safe). Aborts when out of memory. */
struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);
/* Counts one answered request (route: its index in the route table, -1:
 * unmatched; m: its method) and its latency. */
void metrics_request(struct metrics *mx, int route, enum method m, int status, int64_t us);
/* Open HTTP connections: +1 / -1. */
void metrics_conn(struct metrics *m, int delta);
/* Renders app's counters (app->metrics, which must be set; app->hub's when
 * set) as Prometheus text; returns malloc'd text. */
char *metrics_render(struct app *app, size_t *len);

const char *method_name(enum method m);

/* Formats a whole HTTP/1.1 error answer that closes the connection: status
 * line, the JSON envelope's headers with the security headers, an Allow
 * header when allow is not NULL, and {"success":false,"error":{code,
 * message}}. Returns its length, 0 when buf is too small. For answers
 * written outside the request lifecycle (refused heads and connections). */
size_t http_error_text(char *buf, size_t size, int status, const char *code, const char *message,
                       const char *allow);

#endif
