/* http/ws: the WebSocket endpoint /ws (subprotocol fechatter.v1; any other
 * upgrade is refused in ws_confirm_upgrade). Auth by ?access_token= at the
 * upgrade or by a first {"op":"auth"} frame within --ws-auth-timeout
 * seconds (10); client ops (decoded by http/wsop) send, typing, read,
 * presence, ping; token expiry and revocation close with 4001.
 * Per-connection state is struct conn (http/realtime.h), kept in the
 * per-session memory lws allocates. */
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "core/auth.h"
#include "core/message.h"
#include "core/presence.h"
#include "http/http.h"
#include "http/jsonio.h"
#include "http/realtime.h"
#include "http/ws.h"
#include "http/wsop.h"
#include "lib/log.h"
#include "lib/utf8.h"
#include "lib/xalloc.h"

#define CLOSE_AUTH 4001

static void arm_expiry(struct app *app, struct ws_pss *s)
{
	int64_t left = s->c.who.token_exp * 1000 - app->now_ms();
	lws_set_timer_usecs(s->c.wsi, left > 0 ? (lws_usec_t)left * 1000 : 1);
}

static void attach(struct app *app, struct ws_pss *s, struct lws *wsi)
{
	rt_attach(app, &s->c, wsi, CONN_WS, &s->who, 0);
	arm_expiry(app, s);
}

/* ---- send acks ---- */

/* What a send's answer needs after the commit: the connection (by id, it
 * may be gone by then) and the op's idempotency key. Owned by send_done. */
struct send_req {
	struct rt_hub *hub;
	int64_t conn_id;
	char key[]; /* "" when the send had none */
};

static void send_done(void *req, int rc, const struct fe_err *e, const struct message *m, int created)
{
	struct send_req *sr = req;
	struct conn *c = rt_find(sr->hub, sr->conn_id);
	if (!c) {
		free(sr);
		return; /* the connection is gone; the message (if any) is stored */
	}
	if (rc) {
		rt_send_error(c, "send", *sr->key ? sr->key : NULL, e->code ? e->code : err_default_code(rc),
		              e->message);
		free(sr);
		return;
	}
	struct rt_hub *sr_hub = sr->hub;
	free(sr);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "type", "ack");
	if (*m->idempotency_key)
		cJSON_AddStringToObject(o, "idempotency_key", m->idempotency_key);
	else
		cJSON_AddNullToObject(o, "idempotency_key");
	cJSON_AddBoolToObject(o, "created", created);
	/* the message_created event just rendered the same object */
	const char *raw = created ? rt_message_json(sr_hub, m->id) : NULL;
	if (raw)
		cJSON_AddRawToObject(o, "message", raw);
	else
		cJSON_AddItemToObject(o, "message", json_message(m));
	rt_send_json(c, o);
	cJSON_Delete(o);
}

/* ---- ops ---- */

static void op_send(struct app *app, struct conn *c, struct wsop *op)
{
	struct fe_err e = {0};
	if (rt_stopping(app->hub)) {
		rt_send_error(c, "send", op->key, "SHUTTING_DOWN",
		              "the server is shutting down: send again after reconnecting");
		return;
	}
	size_t klen = op->key ? strlen(op->key) : 0;
	struct send_req *sr = xmalloc(sizeof *sr + klen + 1);
	sr->hub = app->hub;
	sr->conn_id = c->id;
	memcpy(sr->key, op->key ? op->key : "", klen + 1);
	if (message_send(app, &c->who, op->chat_id, &op->send, send_done, sr, &e)) {
		free(sr);
		rt_send_error(c, "send", op->key, e.code ? e.code : err_default_code(e.rc), e.message);
	}
}

static void op_read(struct app *app, struct conn *c, struct wsop *op)
{
	struct fe_err e = {0};
	int64_t marker;
	if (rt_stopping(app->hub))
		err_set(&e, FE_EUNAVAIL, "SHUTTING_DOWN", NULL, "the server is shutting down");
	else if (!message_mark_read(app, &c->who, op->chat_id, op->message_id, &marker, &e))
		return;
	rt_send_error(c, "read", NULL, e.code ? e.code : err_default_code(e.rc), e.message);
}

/* The first frame of a connection without a token: it must authenticate. */
static void on_first(struct app *app, struct ws_pss *s, struct lws *wsi, struct wsop *op, int rc,
                     struct fe_err *e)
{
	struct conn *c = &s->c;
	if (rc && !op->name) {
		rt_send_error(c, NULL, NULL, e->code, e->message);
	} else if (op->kind != WSOP_AUTH) {
		rt_send_error(c, "auth", NULL, "UNAUTHORIZED",
		              "the first frame must be {\"op\":\"auth\",\"token\":...}");
	} else if (rc || auth_authenticate(app, op->token, strlen(op->token), &s->who, e)) {
		rt_send_error(c, "auth", NULL, e->code ? e->code : "UNAUTHORIZED", e->message);
	} else {
		s->authed = 1;
		lws_set_timer_usecs(wsi, LWS_SET_TIMER_USEC_CANCEL);
		attach(app, s, wsi);
		return;
	}
	c->close_code = CLOSE_AUTH; /* close after the error */
}

/* Handles one complete client message: decodes it (wsop_decode, pure) and
 * runs the op. */
static void on_message(struct app *app, struct ws_pss *s, struct lws *wsi, const char *text, size_t len)
{
	struct conn *c = &s->c;
	struct wsop op;
	struct fe_err e = {0};
	if (c->revoked || c->close_code)
		return; /* closing (revoked, expired, refused): nothing more is accepted */
	int rc = wsop_decode(text, len, &op, &e);
	if (!s->authed) {
		on_first(app, s, wsi, &op, rc, &e);
	} else if (rc) {
		rt_send_error(c, op.name, op.key, e.code ? e.code : err_default_code(e.rc), e.message);
	} else {
		switch (op.kind) {
		case WSOP_SEND:
			op_send(app, c, &op);
			break;
		case WSOP_TYPING:
			if (typing_set(app, &c->who, op.chat_id, op.typing_on, &e))
				rt_send_error(c, "typing", NULL, e.code ? e.code : err_default_code(e.rc),
				              e.message);
			break;
		case WSOP_READ:
			op_read(app, c, &op);
			break;
		case WSOP_PRESENCE:
			if (presence_set(app, &c->who, op.status, &e))
				rt_send_error(c, "presence", NULL, e.code ? e.code : err_default_code(e.rc),
				              e.message);
			break;
		case WSOP_PING: {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "type", "pong");
			rt_send_json(c, o);
			cJSON_Delete(o);
			break;
		}
		case WSOP_AUTH: {
			/* a fresh token on a live connection extends it */
			struct principal who;
			if (!auth_authenticate(app, op.token, strlen(op.token), &who, &e) &&
			    who.user_id == c->who.user_id) {
				c->who.token_exp = who.token_exp;
				c->who.token_version = who.token_version;
				arm_expiry(app, s);
			} else {
				rt_send_error(c, "auth", NULL, "INVALID_TOKEN",
				              "the token is not valid for this connection");
			}
			break;
		}
		default:
			rt_send_error(c, op.name, NULL, "UNKNOWN_OP", "unknown op");
			break;
		}
	}
	wsop_free(&op);
}

/* Assembles fragments; returns 0, or -1 to close (frame too big). */
static int on_receive(struct app *app, struct ws_pss *s, struct lws *wsi, const char *in, size_t len)
{
	struct conn *c = &s->c;
	int final = lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi);
	if (!c->rx && final) {
		on_message(app, s, wsi, in, len);
		return 0;
	}
	if (c->rxlen + len > RT_FRAME_MAX) {
		lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, (unsigned char *)"too large", 9);
		return -1;
	}
	char *b = xrealloc(c->rx, c->rxlen + len + 1);
	c->rx = b;
	memcpy(c->rx + c->rxlen, in, len);
	c->rxlen += (uint32_t)len;
	if (final) {
		on_message(app, s, wsi, c->rx, c->rxlen);
		free(c->rx);
		c->rx = NULL;
		c->rxlen = 0;
	}
	return 0;
}

/* ---- the upgrade ---- */

/* Answers a refused upgrade with the API's JSON error envelope and the
 * security headers, written at once (lws expects the answer from the
 * CONFIRM_UPGRADE callback). Returns 1 (answered), or -1 to hang up when the
 * answer cannot be written. */
static int refuse(struct lws *wsi, int status, const char *code, const char *message)
{
	unsigned char head[LWS_PRE + 1024], *start = head + LWS_PRE, *p = start,
	                                    *end = head + sizeof head - 1;
	char *text = json_error_text(code, message, NULL);
	size_t n = strlen(text);
	static const struct {
		const char *n, *v;
	} fixed[] = {
	    {"x-content-type-options:", "nosniff"},
	    {"x-frame-options:", "DENY"},
	    {"referrer-policy:", "no-referrer"},
	    {"content-security-policy:", "default-src 'none'; frame-ancestors 'none'"},
	    {"cache-control:", "no-store"},
	};
	int rc =
	    lws_add_http_common_headers(wsi, (unsigned)status, "application/json; charset=utf-8", n, &p, end);
	for (size_t i = 0; !rc && i < sizeof fixed / sizeof fixed[0]; i++)
		rc = lws_add_http_header_by_name(wsi, (const unsigned char *)fixed[i].n,
		                                 (const unsigned char *)fixed[i].v, (int)strlen(fixed[i].v),
		                                 &p, end);
	if (!rc)
		rc = lws_finalize_write_http_header(wsi, start, &p, end);
	if (!rc) {
		unsigned char *body = xmalloc(LWS_PRE + n);
		memcpy(body + LWS_PRE, text, n);
		rc = lws_write(wsi, body + LWS_PRE, n, LWS_WRITE_HTTP_FINAL) != (int)n;
		free(body);
	}
	free(text);
	return rc ? -1 : 1;
}

/* 1 when the offered subprotocols (comma-separated) select fechatter.v1:
 * lws binds the first one it knows, and the plain "http" protocol is one of
 * those, so it must not come first. */
static int offers_protocol(struct lws *wsi)
{
	char list[128];
	int n = lws_hdr_copy(wsi, list, sizeof list, WSI_TOKEN_PROTOCOL);
	if (n <= 0)
		return 0;
	for (char *save = NULL, *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		t += strspn(t, " \t");
		size_t k = strcspn(t, " \t");
		if (k == strlen(WS_PROTOCOL) && !strncmp(t, WS_PROTOCOL, k))
			return 1;
		if (k == 4 && !strncmp(t, "http", 4))
			return 0;
	}
	return 0;
}

int ws_confirm_upgrade(struct lws *wsi, const char *upgrade)
{
	struct app *app = lws_context_user(lws_get_context(wsi));
	char path[64], tok[2048];
	if (!upgrade || strcasecmp(upgrade, "websocket"))
		return refuse(wsi, 400, "BAD_REQUEST", "the only upgrade served is websocket, at /ws");
	if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) <= 0)
		return refuse(wsi, 405, "METHOD_NOT_ALLOWED", "a WebSocket upgrade is a GET");
	if (lws_hdr_copy(wsi, path, sizeof path, WSI_TOKEN_GET_URI) <= 0 || strcmp(path, "/ws"))
		return refuse(wsi, 404, "NOT_FOUND", "WebSocket upgrades are served at /ws only");
	if (!offers_protocol(wsi))
		return refuse(wsi, 400, "UNSUPPORTED_SUBPROTOCOL",
		              "the WebSocket subprotocol " WS_PROTOCOL " is required");
	const char *t = lws_get_urlarg_by_name(wsi, "access_token=", tok, sizeof tok);
	if (t) {
		struct fe_err e = {0};
		struct principal who;
		if (auth_authenticate(app, t, strlen(t), &who, &e))
			return refuse(wsi, 401, e.code ? e.code : "UNAUTHORIZED", e.message);
	}
	return 0;
}

int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct ws_pss *s = user;
	struct app *app = lws_context_user(lws_get_context(wsi));
	char tok[2048], path[64];
	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		/* ws_confirm_upgrade() answered the refusals; this is the last check */
		if (!s || lws_hdr_copy(wsi, path, sizeof path, WSI_TOKEN_GET_URI) <= 0 || strcmp(path, "/ws"))
			return 1;
		const char *t = lws_get_urlarg_by_name(wsi, "access_token=", tok, sizeof tok);
		if (t) {
			struct fe_err e = {0};
			if (auth_authenticate(app, t, strlen(t), &s->who, &e))
				return 1;
			s->authed = 1;
		}
		return 0;
	case LWS_CALLBACK_ESTABLISHED:
		s->c.wsi = wsi;
		s->c.hub = app->hub;
		s->scan_state = WSCAN_ARMED; /* http/wsguard scans what is read from now on */
		if (s->authed)
			attach(app, s, wsi);
		else
			lws_set_timer_usecs(wsi, (lws_usec_t)app->cfg->ws_auth_timeout * LWS_USEC_PER_SEC);
		return 0;
	case LWS_CALLBACK_RECEIVE:
		if (s->scan_state == WSCAN_ARMED)
			s->scan_state =
			    WSCAN_OFF; /* frames came with the upgrade request: no scan from mid-stream */
		/* no extension is negotiated, so every reserved bit must be 0
		 * (RFC 6455 5.2); lws 4.1.6 built without extensions lets RSV1 through */
		if (s->proto_error || lws_get_reserved_bits(wsi)) {
			lws_close_reason(wsi, LWS_CLOSE_STATUS_PROTOCOL_ERR, (unsigned char *)"rsv bits", 8);
			return -1;
		}
		return on_receive(app, s, wsi, in, len);
	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (s->proto_error) {
			lws_close_reason(wsi, LWS_CLOSE_STATUS_PROTOCOL_ERR, (unsigned char *)"bad frame", 9);
			return -1;
		}
		return rt_write(&s->c);
	case LWS_CALLBACK_TIMER:
		if (!s->authed) {
			lws_close_reason(wsi, CLOSE_AUTH, (unsigned char *)"no auth", 7);
			return -1;
		}
		rt_send_error(&s->c, "auth", NULL, "TOKEN_EXPIRED",
		              "the access token has expired: reconnect with a fresh one");
		s->c.close_code = CLOSE_AUTH;
		return 0;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		s->c.peer_closed = 1; /* lws sends the answering close: nothing after it */
		return 0;
	case LWS_CALLBACK_CLOSED:
		rt_detach(app, &s->c);
		return 0;
	default:
		return 0;
	}
}
