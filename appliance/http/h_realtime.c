/* http/h_realtime: the SSE stream (/events) and the HTTP forms of typing
 * and presence. */
#include <errno.h>
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "core/presence.h"
#include "http/handlers.h"
#include "http/jsonio.h"
#include "http/realtime.h"
#include "lib/xalloc.h"

#define SSE_HEARTBEAT_MS 25000
#define SSE_CHECK_US (2 * LWS_USEC_PER_SEC)

/* Arms the stream's timer: a liveness check every 2 s (lws does not read
 * an h1 connection in the middle of an answer, so a client that went away
 * is only seen by looking), bounded by the token's expiry. */
static void sse_arm(struct req *r)
{
	int64_t left_us = (r->conn->who.token_exp * 1000 - r->app->now_ms()) * 1000;
	lws_set_timer_usecs(r->wsi, left_us < SSE_CHECK_US ? (left_us > 0 ? left_us : 1) : SSE_CHECK_US);
}

static int sse_writable(struct req *r);
static void sse_timer(struct req *r);
static void sse_close(struct req *r);

void h_events(struct req *r)
{
	char last[32] = "";
	/* the router verified the token: r->who carries its expiry, which
	 * bounds the stream */
	r->conn = xcalloc(1, sizeof *r->conn);
	r->stream = 1;
	r->on_writable = sse_writable;
	r->on_timer = sse_timer;
	r->on_close = sse_close;
	resp_header(r, "cache-control", "no-store");
	resp_header(r, "x-accel-buffering", "no");
	resp_raw(r, 200, "text/event-stream", NULL, 0);
	if (req_header(r, "last-event-id:", last, sizeof last) &&
	    req_query(r, "last_event_id", last, sizeof last))
		*last = 0;
	rt_attach(r->app, r->conn, r->wsi, CONN_SSE, &r->who, strtoull(last, NULL, 10));
	r->sse_ping_ms = r->app->now_ms();
	sse_arm(r);
}

/* Writes what the hub queued for the stream (one call writes a few). */
static int sse_writable(struct req *r)
{
	return rt_write(r->conn);
}

/* The stream's timer: the client went away, the token expired, or a
 * heartbeat is due. */
static void sse_timer(struct req *r)
{
	char c;
	int64_t now = r->app->now_ms();
	ssize_t n = recv(lws_get_socket_fd(r->wsi), &c, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
		r->conn->overflow = 1; /* the client is gone: close at once */
		lws_callback_on_writable(r->wsi);
		return;
	}
	if (now / 1000 >= r->conn->who.token_exp) {
		rt_send_error(r->conn, "auth", NULL, "TOKEN_EXPIRED",
		              "the access token has expired: reconnect with a fresh one");
		r->conn->close_code = 1000;
		return;
	}
	if (now - r->sse_ping_ms >= SSE_HEARTBEAT_MS) {
		static const char ping[] = ": ping\n\n";
		rt_send_raw(r->conn, ping, sizeof ping - 1);
		r->sse_ping_ms = now;
	}
	sse_arm(r);
}

/* The stream's socket closed: it leaves the hub. */
static void sse_close(struct req *r)
{
	rt_detach(r->app, r->conn);
	free(r->conn);
	r->conn = NULL;
}

void h_ws(struct req *r)
{
	static const char body[] = "{\"success\":false,\"error\":{\"code\":\"UPGRADE_REQUIRED\",\"message\":"
	                           "\"/ws is a WebSocket: upgrade with the subprotocol fechatter.v1\"}}";
	resp_header(r, "upgrade", "websocket");
	resp_static(r, 426, "application/json; charset=utf-8", (const unsigned char *)body, sizeof body - 1);
}

void h_realtime_ping(struct req *r)
{
	struct fe_err e = {0};
	int64_t id = 0;
	cJSON *j = req_json(r);
	if (!j)
		return;
	if (jint(j, "connection_id", 1, 1, INT64_MAX / 2, &id, &e)) {
		resp_err(r, &e);
	} else {
		struct conn *c = rt_find(r->app->hub, id);
		if (!c || c->who.user_id != r->who.user_id) {
			resp_fail(r, FE_ENOTFOUND, "NOT_FOUND", "connection_id",
			          "no such connection of yours");
		} else {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "type", "pong");
			rt_send_json(c, o);
			cJSON_Delete(o);
			cJSON *d = cJSON_CreateObject();
			cJSON_AddNumberToObject(d, "connection_id", (double)id);
			resp_ok(r, 200, d);
		}
	}
	cJSON_Delete(j);
}

static void typing(struct req *r, int on)
{
	struct fe_err e = {0};
	int64_t chat = req_cap_id(r, "id");
	if (typing_set(r->app, &r->who, chat, on, &e)) {
		resp_err(r, &e);
		return;
	}
	cJSON *d = cJSON_CreateObject();
	cJSON_AddNumberToObject(d, "chat_id", (double)chat);
	cJSON_AddBoolToObject(d, "is_typing", on);
	resp_ok(r, 200, d);
}

void h_typing_start(struct req *r)
{
	typing(r, 1);
}

void h_typing_stop(struct req *r)
{
	typing(r, 0);
}

void h_typing_users(struct req *r)
{
	struct fe_err e = {0};
	struct typing_info *list;
	size_t n;
	if (typing_users(r->app, &r->who, req_cap_id(r, "id"), &list, &n, &e)) {
		resp_err(r, &e);
		return;
	}
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "user_id", (double)list[i].user_id);
		cJSON_AddStringToObject(o, "user_name", list[i].user_name);
		jtime(o, "expires_at", list[i].expires_at);
		cJSON_AddItemToArray(a, o);
	}
	free(list);
	resp_ok(r, 200, a);
}

void h_presence_set(struct req *r)
{
	struct fe_err e = {0};
	const char *status;
	cJSON *j = req_json(r);
	if (!j)
		return;
	if (jstr(j, "status", 1, &status, &e) || presence_set(r->app, &r->who, status, &e)) {
		resp_err(r, &e);
	} else {
		cJSON *d = cJSON_CreateObject();
		cJSON_AddNumberToObject(d, "user_id", (double)r->who.user_id);
		cJSON_AddStringToObject(d, "status", status);
		resp_ok(r, 200, d);
	}
	cJSON_Delete(j);
}

void h_online_users(struct req *r)
{
	struct fe_err e = {0};
	struct presence_info *list;
	size_t n;
	char buf[32];
	int64_t chat = 0;
	if (!req_query(r, "chat_id", buf, sizeof buf)) {
		char *end;
		chat = strtoll(buf, &end, 10);
		if (!*buf || *end || chat < 1) {
			resp_fail(r, FE_EINVAL, "VALIDATION_ERROR", "chat_id", "chat_id must be a chat id");
			return;
		}
	}
	if (presence_online(r->app, &r->who, chat, &list, &n, &e)) {
		resp_err(r, &e);
		return;
	}
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "user_id", (double)list[i].user_id);
		cJSON_AddStringToObject(o, "status", list[i].status);
		jtime(o, "last_seen", list[i].last_seen);
		cJSON_AddItemToArray(a, o);
	}
	free(list);
	resp_ok(r, 200, a);
}
