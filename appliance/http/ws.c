/* http/ws: the WebSocket endpoint /ws (subprotocol fechatter.v1). Auth by
 * ?access_token= at the upgrade or by a first {"op":"auth"} frame within
 * 10 s; client ops send, typing, read, presence, ping; token expiry closes
 * with 4001. Per-connection state is struct conn (http/realtime.h), kept in
 * the per-session memory lws allocates. */
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/auth.h"
#include "core/message.h"
#include "core/presence.h"
#include "http/http.h"
#include "http/jsonio.h"
#include "http/realtime.h"
#include "http/ws.h"
#include "lib/jwt.h"
#include "lib/log.h"
#include "lib/utf8.h"

#define AUTH_GRACE_US (10 * LWS_USEC_PER_SEC)
#define CLOSE_AUTH 4001


/* The token's expiry (seconds), from its claims (already verified). */
static int64_t token_exp(struct app *app, const char *token)
{
	struct jwt_claims cl;
	if (jwt_verify(token, strlen(token), app->jwt_pk, JWT_ISS, JWT_AUD, app->now_ms() / 1000, &cl))
		return 0;
	return cl.exp;
}

static void arm_expiry(struct app *app, struct ws_pss *s)
{
	int64_t left = s->exp * 1000 - app->now_ms();
	lws_set_timer_usecs(s->c.wsi, left > 0 ? (lws_usec_t)left * 1000 : 1);
}

static void attach(struct app *app, struct ws_pss *s, struct lws *wsi)
{
	rt_attach(app, &s->c, wsi, CONN_WS, &s->who, s->exp, 0);
	arm_expiry(app, s);
}

/* ---- send acks ---- */

static void send_done(void *req, int rc, const struct fe_err *e, const struct message *m, int created)
{
	int64_t id = (int64_t)(intptr_t)req;
	struct conn *c = rt_find(id);
	if (!c)
		return; /* the connection is gone; the message (if any) is stored */
	if (rc) {
		rt_send_error(c, "send", NULL, e->code ? e->code : err_default_code(rc), e->message);
		return;
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "type", "ack");
	if (*m->idempotency_key)
		cJSON_AddStringToObject(o, "idempotency_key", m->idempotency_key);
	else
		cJSON_AddNullToObject(o, "idempotency_key");
	cJSON_AddBoolToObject(o, "created", created);
	cJSON_AddItemToObject(o, "message", message_json(m));
	rt_send_json(c, o);
	cJSON_Delete(o);
}

/* ---- ops ---- */

static void op_send(struct app *app, struct conn *c, cJSON *j)
{
	struct fe_err e = {0};
	struct send_in in = {0};
	int64_t chat = 0, reply_to = 0;
	cJSON *files = cJSON_GetObjectItemCaseSensitive(j, "files");
	int rc = jint(j, "chat_id", 1, 1, INT64_MAX / 2, &chat, &e) || jstr(j, "content", 0, &in.content, &e) ||
		 jstr(j, "idempotency_key", 0, &in.idempotency_key, &e) ||
		 jint(j, "reply_to", 0, 1, INT64_MAX / 2, &reply_to, &e) ||
		 (files && !cJSON_IsNull(files) && jids(files, "files", MESSAGE_MAX_FILES, in.files, &in.nfiles, &e));
	if (!rc) {
		in.content = in.content ? in.content : "";
		in.reply_to = reply_to;
		rc = message_send(app, &c->who, chat, &in, send_done, (void *)(intptr_t)c->id, &e);
	}
	if (rc)
		rt_send_error(c, "send", in.idempotency_key, e.code ? e.code : err_default_code(e.rc), e.message);
}

static void op_typing(struct app *app, struct conn *c, cJSON *j)
{
	struct fe_err e = {0};
	int64_t chat = 0;
	const char *state;
	if (jint(j, "chat_id", 1, 1, INT64_MAX / 2, &chat, &e) || jstr(j, "state", 1, &state, &e))
		goto bad;
	if (strcmp(state, "start") && strcmp(state, "stop")) {
		err_set(&e, FE_EINVAL, "VALIDATION_ERROR", "state", "state must be start or stop");
		goto bad;
	}
	if (!typing_set(app, &c->who, chat, !strcmp(state, "start"), &e))
		return;
bad:
	rt_send_error(c, "typing", NULL, e.code ? e.code : err_default_code(e.rc), e.message);
}

static void op_read(struct app *app, struct conn *c, cJSON *j)
{
	struct fe_err e = {0};
	int64_t chat = 0, mid = 0, marker;
	if (jint(j, "chat_id", 1, 1, INT64_MAX / 2, &chat, &e) || jint(j, "message_id", 1, 1, INT64_MAX / 2, &mid, &e) ||
	    message_mark_read(app, &c->who, chat, mid, &marker, &e))
		rt_send_error(c, "read", NULL, e.code ? e.code : err_default_code(e.rc), e.message);
}

static void op_presence(struct app *app, struct conn *c, cJSON *j)
{
	struct fe_err e = {0};
	const char *status;
	if (jstr(j, "status", 1, &status, &e) || presence_set(app, &c->who, status, &e))
		rt_send_error(c, "presence", NULL, e.code ? e.code : err_default_code(e.rc), e.message);
}

/* Handles one complete client message. */
static void on_message(struct app *app, struct ws_pss *s, struct lws *wsi, const char *text, size_t len)
{
	struct conn *c = &s->c;
	const char *op = NULL;
	struct fe_err e = {0};
	cJSON *j = utf8_valid(text, len) ? cJSON_ParseWithLength(text, len) : NULL;
	if (!j || !cJSON_IsObject(j) || jstr(j, "op", 1, &op, &e)) {
		rt_send_error(c, op, NULL, "INVALID_JSON", "a frame must be a JSON object with an op");
		if (!s->authed)
			c->close_code = CLOSE_AUTH; /* unauthenticated garbage: close after the error */
		cJSON_Delete(j);
		return;
	}
	if (!s->authed) {
		const char *tok = NULL;
		if (strcmp(op, "auth") || jstr(j, "token", 1, &tok, &e) ||
		    auth_authenticate(app, tok, strlen(tok), &s->who, &e)) {
			rt_send_error(c, "auth", NULL, e.code ? e.code : "UNAUTHORIZED",
				      e.message[0] ? e.message : "the first frame must be {\"op\":\"auth\",\"token\":...}");
			c->close_code = CLOSE_AUTH;
			cJSON_Delete(j);
			return;
		}
		s->exp = token_exp(app, tok);
		s->authed = 1;
		lws_set_timer_usecs(wsi, LWS_SET_TIMER_USEC_CANCEL);
		attach(app, s, wsi);
	} else if (!strcmp(op, "send")) {
		op_send(app, c, j);
	} else if (!strcmp(op, "typing")) {
		op_typing(app, c, j);
	} else if (!strcmp(op, "read")) {
		op_read(app, c, j);
	} else if (!strcmp(op, "presence")) {
		op_presence(app, c, j);
	} else if (!strcmp(op, "ping")) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "type", "pong");
		rt_send_json(c, o);
		cJSON_Delete(o);
	} else if (!strcmp(op, "auth")) {
		/* a fresh token on a live connection extends it */
		const char *tok = NULL;
		struct principal who;
		if (!jstr(j, "token", 1, &tok, &e) && !auth_authenticate(app, tok, strlen(tok), &who, &e) &&
		    who.user_id == c->who.user_id) {
			s->exp = token_exp(app, tok);
			c->token_exp = s->exp;
			arm_expiry(app, s);
		} else {
			rt_send_error(c, "auth", NULL, "INVALID_TOKEN", "the token is not valid for this connection");
		}
	} else {
		rt_send_error(c, op, NULL, "UNKNOWN_OP", "unknown op");
	}
	cJSON_Delete(j);
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
	char *b = realloc(c->rx, c->rxlen + len + 1);
	if (!b)
		abort();
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

int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct ws_pss *s = user;
	struct app *app = lws_context_user(lws_get_context(wsi));
	char tok[2048], path[64];
	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		if (lws_hdr_copy(wsi, path, sizeof path, WSI_TOKEN_GET_URI) <= 0 || strcmp(path, "/ws"))
			return 1;
		if (s) {
			const char *t = lws_get_urlarg_by_name(wsi, "access_token=", tok, sizeof tok);
			if (t) {
				struct fe_err e = {0};
				if (auth_authenticate(app, t, strlen(t), &s->who, &e)) {
					/* refuse the upgrade with a plain 401 */
					lws_return_http_status(wsi, HTTP_STATUS_UNAUTHORIZED, e.code);
					return 1;
				}
				s->exp = token_exp(app, t);
				s->authed = 1;
			}
		}
		return 0;
	case LWS_CALLBACK_ESTABLISHED:
		s->c.wsi = wsi;
		if (s->authed)
			attach(app, s, wsi);
		else
			lws_set_timer_usecs(wsi, AUTH_GRACE_US);
		return 0;
	case LWS_CALLBACK_RECEIVE:
		return on_receive(app, s, wsi, in, len);
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return rt_write(&s->c);
	case LWS_CALLBACK_TIMER:
		if (!s->authed) {
			lws_close_reason(wsi, CLOSE_AUTH, (unsigned char *)"no auth", 7);
			return -1;
		}
		rt_send_error(&s->c, "auth", NULL, "TOKEN_EXPIRED", "the access token has expired: reconnect with a fresh one");
		s->c.close_code = CLOSE_AUTH;
		return 0;
	case LWS_CALLBACK_CLOSED:
		rt_detach(app, &s->c);
		return 0;
	default:
		return 0;
	}
}
