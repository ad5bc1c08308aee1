/* http/realtime: hub, fan-out, queues and the SSE replay ring. */
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "core/cached.h"
#include "core/presence.h"
#include "http/jsonio.h"
#include "http/realtime.h"
#include "http/wsbatch.h"
#include "lib/imap.h"
#include "lib/log.h"
#include "lib/xalloc.h"

/* A rendered event shared by every queue holding it. data[LWS_PRE..] is the
 * payload: lws writes frame headers into the LWS_PRE bytes before it. */
struct outmsg {
	int refs;
	uint32_t len;
	unsigned char data[];
};

#define RING_MAX 4096
#define RING_BYTES (4u << 20)

#define CLOSE_REVOKED 4001

/* One app's hub (app->hub): its connections, counters and replay ring. */
struct rt_hub {
	struct app *app;
	int stopping;
	struct imap by_user; /* user_id -> first struct conn */
	struct imap by_id;   /* conn id -> struct conn */
	int64_t next_conn_id;
	uint64_t next_event_id;
	struct rt_stats stats;
	int holding;        /* rt_hold: broadcast WebSocket frames wait for rt_release */
	struct conn *dirty; /* the connections they were queued on */
	/* the newest message_created event's message object, rendered (owned):
	 * the sender's acknowledgement carries the same bytes */
	int64_t last_msg_id;
	char *last_msg_json;
	struct {
		uint64_t id;
		struct outmsg *sse;
		int64_t *audience; /* sorted user ids */
		size_t n;
	} ring[RING_MAX];
	size_t ring_head, ring_len, ring_bytes;
};

static void replay(struct rt_hub *h, struct conn *c, uint64_t last_id);
static void fan_ws(struct rt_hub *h, struct conn *c, struct outmsg *m);
static const char *type_name(enum event_type t);

static struct outmsg *msg_new(const char *text, size_t len)
{
	struct outmsg *m = xmalloc(sizeof *m + LWS_PRE + len + 1);
	m->refs = 1;
	m->len = (uint32_t)len;
	memcpy(m->data + LWS_PRE, text, len);
	m->data[LWS_PRE + len] = 0;
	return m;
}

static void msg_unref(struct outmsg *m)
{
	if (m && --m->refs == 0)
		free(m);
}

/* Queues m (taking a reference) on c; flags overflow beyond the limit.
 * Returns 1 when m was queued. The writeable callback is requested when
 * wake is 1 (or on overflow). */
static int enqueue_m(struct conn *c, struct outmsg *m, int wake)
{
	if (c->overflow || c->close_code || !c->wsi)
		return 0;
	if (c->qbytes + m->len > RT_QUEUE_MAX) {
		c->overflow = 1;
		c->hub->stats.dropped_slow++;
		log_warn("rt: slow consumer dropped conn=%lld user=%lld queued=%u", (long long)c->id,
		         (long long)c->who.user_id, c->qbytes);
		lws_callback_on_writable(c->wsi);
		return 0;
	}
	if (c->qlen == c->qcap) {
		uint32_t cap = c->qcap ? c->qcap * 2 : 4;
		struct outmsg **q = xmalloc(cap * sizeof *q);
		for (uint32_t i = 0; i < c->qlen; i++)
			q[i] = c->q[(c->qhead + i) % c->qcap];
		free(c->q);
		c->q = q;
		c->qcap = cap;
		c->qhead = 0;
	}
	c->q[(c->qhead + c->qlen) % c->qcap] = m;
	c->qlen++;
	c->qbytes += m->len;
	m->refs++;
	c->hub->stats.deliveries++;
	if (wake)
		lws_callback_on_writable(c->wsi);
	return 1;
}

static void enqueue(struct conn *c, struct outmsg *m)
{
	if (c->overflow || c->close_code || !c->wsi)
		return;
	enqueue_m(c, m, 1);
}

static void queue_clear(struct conn *c)
{
	for (uint32_t i = 0; i < c->qlen; i++)
		msg_unref(c->q[(c->qhead + i) % c->qcap]);
	free(c->q);
	c->q = NULL;
	c->qlen = c->qcap = c->qhead = c->qbytes = 0;
}

/* One send carries every queued message that fits in a batch: a WebSocket
 * batch is at most RT_BATCH_WS bytes (the protocol's tx_packet_size lets lws
 * send that much at once), an SSE batch at most lws's serving buffer (what
 * lws sends at once on an HTTP connection). Batches are packed in this
 * buffer: the event loop has one thread, and lws copies what the socket did
 * not take. */
#define RT_BATCH_SSE 4096u
static unsigned char batch_buf[LWS_PRE + RT_BATCH_WS];

/* Takes the first k queued messages off c's queue. */
static void dequeue(struct conn *c, uint32_t k)
{
	for (uint32_t i = 0; i < k; i++) {
		struct outmsg *m = c->q[c->qhead];
		c->qhead = (c->qhead + 1) % c->qcap;
		c->qlen--;
		c->qbytes -= m->len;
		msg_unref(m);
	}
}

/* Packs as many queued messages as fit in one batch (from the head, in
 * order, none cut). Returns how many (0 or 1: send the head alone), with
 * *used the batch's bytes in batch_buf[LWS_PRE..]. */
static uint32_t pack(struct conn *c, size_t *used)
{
	int ws = c->kind == CONN_WS;
	size_t cap = ws ? RT_BATCH_WS : RT_BATCH_SSE;
	uint32_t k = 0;
	*used = 0;
	if (c->qlen < 2 || lws_get_network_wsi(c->wsi) != c->wsi)
		return 0; /* one message, or a stream inside a multiplexed connection */
	for (; k < c->qlen; k++) {
		struct outmsg *m = c->q[(c->qhead + k) % c->qcap];
		size_t u = wsb_put(batch_buf + LWS_PRE, cap, *used, ws, m->data + LWS_PRE, m->len);
		if (!u)
			break;
		*used = u;
	}
	return k;
}

/* Writes the queued messages one send can carry. Returns 1 written, 0
 * nothing to write, -1 close. */
static int write_some(struct conn *c)
{
	if (c->overflow) {
		if (c->kind == CONN_WS && c->qbytes)
			lws_close_reason(c->wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION,
			                 (unsigned char *)"too slow", 8);
		return -1;
	}
	if (c->revoked && lws_send_pipe_choked(c->wsi))
		return -1; /* revoked and not reading: no need to wait for it */
	if (!c->qlen) {
		if (c->close_code && !lws_send_pipe_choked(c->wsi)) {
			if (c->kind == CONN_WS)
				lws_close_reason(c->wsi, (enum lws_close_status)c->close_code,
				                 (unsigned char *)"closing", 7);
			return -1;
		}
		return 0;
	}
	size_t used;
	uint32_t k = pack(c, &used);
	int ok;
	c->hub->stats.writes++;
	if (k >= 2) {
		/* the frames are built: lws sends the bytes as they are */
		ok = lws_write(c->wsi, batch_buf + LWS_PRE, used, LWS_WRITE_HTTP) >= (int)used;
		c->hub->stats.batched += k;
		dequeue(c, k);
	} else {
		struct outmsg *m = c->q[c->qhead];
		ok = lws_write(c->wsi, m->data + LWS_PRE, m->len,
		               c->kind == CONN_WS ? LWS_WRITE_TEXT : LWS_WRITE_HTTP) >= (int)m->len;
		dequeue(c, 1);
	}
	return ok ? 1 : -1;
}

int rt_write(struct conn *c)
{
	/* several sends per callback while the socket takes them (bounded,
	 * so one busy connection does not starve the others) */
	for (int i = 0; i < 8; i++) {
		int rc = write_some(c);
		if (rc <= 0)
			return rc;
		if (!c->qlen || lws_send_pipe_choked(c->wsi))
			break;
	}
	if (c->qlen || c->close_code)
		lws_callback_on_writable(c->wsi);
	return 0;
}

/* Frames rendered JSON text (len bytes, borrowed) for one transport. SSE
 * frames carry an id when id > 0. */
static struct outmsg *render_text(const char *text, size_t len, enum conn_kind kind, uint64_t id)
{
	if (kind == CONN_WS)
		return msg_new(text, len);
	size_t n = len + 48;
	char *buf = xmalloc(n);
	int k = id ? snprintf(buf, n, "id: %llu\ndata: %s\n\n", (unsigned long long)id, text)
	           : snprintf(buf, n, "data: %s\n\n", text);
	struct outmsg *m = msg_new(buf, (size_t)k);
	free(buf);
	return m;
}

/* Renders obj for one transport. SSE frames carry an id when id > 0. */
static struct outmsg *render(cJSON *obj, enum conn_kind kind, uint64_t id)
{
	char *text = cJSON_PrintUnformatted(obj);
	if (!text)
		abort();
	struct outmsg *m = render_text(text, strlen(text), kind, id);
	free(text);
	return m;
}

/* Keeps the message object of a rendered message_created event (text, len
 * bytes): event_json appends "type" last to json_message's object, so the
 * object is the text without that member. Keeps nothing when the text does
 * not end so. */
static void keep_message(struct rt_hub *h, int64_t id, const char *text, size_t len)
{
	char tail[64];
	size_t t = (size_t)snprintf(tail, sizeof tail, ",\"type\":\"%s\"}", type_name(EV_MESSAGE_CREATED));
	free(h->last_msg_json);
	h->last_msg_json = NULL;
	h->last_msg_id = 0;
	if (len <= t || memcmp(text + len - t, tail, t))
		return;
	char *o = xmalloc(len - t + 2);
	memcpy(o, text, len - t);
	o[len - t] = '}';
	o[len - t + 1] = 0;
	h->last_msg_json = o;
	h->last_msg_id = id;
}

const char *rt_message_json(struct rt_hub *h, int64_t id)
{
	return h && id && h->last_msg_id == id ? h->last_msg_json : NULL;
}

void rt_send_json(struct conn *c, cJSON *obj)
{
	/* on SSE a direct event carries the id of the newest broadcast event the
	 * stream is up to date with (so Last-Event-ID resumes after it) */
	struct outmsg *m = render(obj, c->kind, c->kind == CONN_SSE ? c->seen_id : 0);
	if (c->kind == CONN_WS)
		fan_ws(c->hub, c, m); /* while held, leaves with the batch's events */
	else
		enqueue(c, m);
	msg_unref(m);
}

void rt_send_raw(struct conn *c, const char *text, size_t len)
{
	struct outmsg *m = msg_new(text, len);
	enqueue(c, m);
	msg_unref(m);
}

void rt_send_error(struct conn *c, const char *op, const char *key, const char *code, const char *message)
{
	cJSON *o = cJSON_CreateObject(), *e = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "type", "error");
	cJSON_AddStringToObject(o, "op", op ? op : "");
	if (key)
		cJSON_AddStringToObject(o, "idempotency_key", key);
	cJSON_AddStringToObject(e, "code", code);
	cJSON_AddStringToObject(e, "message", message);
	cJSON_AddItemToObject(o, "error", e);
	rt_send_json(c, o);
	cJSON_Delete(o);
}

struct conn *rt_find(struct rt_hub *h, int64_t id)
{
	return imap_get(&h->by_id, id);
}

void rt_attach(struct app *app, struct conn *c, struct lws *wsi, enum conn_kind kind,
               const struct principal *who, uint64_t last_id)
{
	struct rt_hub *h = app->hub;
	c->hub = h;
	c->wsi = wsi;
	c->kind = kind;
	c->who = *who;
	/* A small kernel send buffer keeps a stalled client's backlog in our
	 * bounded queue, where it is counted, instead of megabytes of socket
	 * buffer (loopback auto-tuning grows to several MiB). */
	int sndbuf = RT_SNDBUF;
	setsockopt(lws_get_socket_fd(wsi), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
	c->id = ++h->next_conn_id;
	c->attached = 1;
	c->next = imap_get(&h->by_user, who->user_id);
	imap_put(&h->by_user, who->user_id, c);
	imap_put(&h->by_id, c->id, c);
	h->stats.connections++;
	c->seen_id = last_id ? last_id : h->next_event_id;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "type", "connection_confirmed");
	cJSON_AddNumberToObject(o, "user_id", (double)who->user_id);
	cJSON_AddNumberToObject(o, "connection_id", (double)c->id);
	rt_send_json(c, o);
	cJSON_Delete(o);
	if (last_id)
		replay(h, c, last_id);
	presence_connect(app, who);
}

/* Unregisters c from the hub (it gets no more events) and marks its user
 * offline when it was the last connection. */
static void unlink_conn(struct rt_hub *h, struct conn *c)
{
	if (c->attached) {
		c->attached = 0;
		struct conn *head = imap_get(&h->by_user, c->who.user_id);
		if (head == c) {
			if (c->next)
				imap_put(&h->by_user, c->who.user_id, c->next);
			else
				imap_del(&h->by_user, c->who.user_id);
		} else {
			for (struct conn *p = head; p; p = p->next)
				if (p->next == c) {
					p->next = c->next;
					break;
				}
		}
		imap_del(&h->by_id, c->id);
		presence_disconnect(h->app, &c->who);
	}
}

void rt_detach(struct app *app, struct conn *c)
{
	if (c->dirty) /* closed between rt_hold and rt_release */
		for (struct conn **p = &app->hub->dirty; *p; p = &(*p)->dirty_next)
			if (*p == c) {
				*p = c->dirty_next;
				c->dirty = 0;
				break;
			}
	unlink_conn(app->hub, c);
	queue_clear(c);
	free(c->rx);
	c->rx = NULL;
	c->rxlen = 0;
}

/* ---- fan-out ---- */

static const char *type_name(enum event_type t)
{
	switch (t) {
	case EV_MESSAGE_CREATED:
		return "new_message";
	case EV_MESSAGE_UPDATED:
		return "message_updated";
	case EV_MESSAGE_DELETED:
		return "message_deleted";
	case EV_REACTION_CHANGED:
		return "reaction";
	case EV_CHAT_CREATED:
		return "chat_created";
	case EV_CHAT_UPDATED:
		return "chat_updated";
	case EV_CHAT_DELETED:
		return "chat_deleted";
	case EV_USER_JOINED_CHAT:
		return "member_joined";
	case EV_USER_LEFT_CHAT:
		return "member_left";
	case EV_READ_MARKER_MOVED:
		return "read";
	case EV_TYPING_CHANGED:
		return "typing_status";
	case EV_PRESENCE_CHANGED:
		return "presence";
	default:
		return "unknown";
	}
}

/* The event as the API describes it. Owned: cJSON_Delete. */
static cJSON *event_json(struct app *app, const struct event *ev)
{
	cJSON *o;
	if ((ev->type == EV_MESSAGE_CREATED || ev->type == EV_MESSAGE_UPDATED) && ev->message)
		o = json_message(ev->message);
	else
		o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "type", type_name(ev->type));
	switch (ev->type) {
	case EV_MESSAGE_CREATED:
	case EV_MESSAGE_UPDATED:
		break;
	case EV_MESSAGE_DELETED:
		cJSON_AddNumberToObject(o, "id", (double)ev->message_id);
		cJSON_AddNumberToObject(o, "chat_id", (double)ev->chat_id);
		break;
	case EV_REACTION_CHANGED:
		cJSON_AddNumberToObject(o, "message_id", (double)ev->message_id);
		cJSON_AddNumberToObject(o, "chat_id", (double)ev->chat_id);
		cJSON_AddStringToObject(o, "emoji", ev->emoji ? ev->emoji : "");
		cJSON_AddNumberToObject(o, "user_id", (double)ev->user_id);
		cJSON_AddBoolToObject(o, "added", ev->added);
		break;
	case EV_TYPING_CHANGED:
		cJSON_AddNumberToObject(o, "chat_id", (double)ev->chat_id);
		cJSON_AddNumberToObject(o, "user_id", (double)ev->user_id);
		cJSON_AddStringToObject(o, "user_name", ev->user_name ? ev->user_name : "");
		cJSON_AddBoolToObject(o, "is_typing", ev->added);
		break;
	case EV_PRESENCE_CHANGED:
		cJSON_AddNumberToObject(o, "user_id", (double)ev->user_id);
		cJSON_AddStringToObject(o, "status", ev->status ? ev->status : "offline");
		jtime(o, "last_seen", ev->last_seen);
		break;
	case EV_READ_MARKER_MOVED:
		cJSON_AddNumberToObject(o, "chat_id", (double)ev->chat_id);
		cJSON_AddNumberToObject(o, "user_id", (double)ev->user_id);
		cJSON_AddNumberToObject(o, "message_id", (double)ev->message_id);
		break;
	case EV_CHAT_CREATED:
	case EV_CHAT_UPDATED:
		cJSON_AddNumberToObject(o, "chat_id", (double)ev->chat_id);
		if (ev->chat) {
			cJSON *chat = json_chat(ev->chat), *members = cJSON_CreateArray();
			int64_t *ids;
			size_t n;
			if (!cached_member_ids(app, ev->chat_id, &ids, &n)) {
				for (size_t i = 0; i < n; i++)
					cJSON_AddItemToArray(members, cJSON_CreateNumber((double)ids[i]));
				free(ids);
			}
			cJSON_AddItemToObject(chat, "chat_members", members);
			cJSON_AddItemToObject(o, "chat", chat);
		}
		if (ev->user_id)
			cJSON_AddNumberToObject(o, "user_id", (double)ev->user_id);
		break;
	case EV_CHAT_DELETED:
		cJSON_AddNumberToObject(o, "chat_id", (double)ev->chat_id);
		break;
	case EV_USER_JOINED_CHAT:
	case EV_USER_LEFT_CHAT:
		cJSON_AddNumberToObject(o, "chat_id", (double)ev->chat_id);
		cJSON_AddNumberToObject(o, "user_id", (double)ev->user_id);
		break;
	default:
		break;
	}
	return o;
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* Who hears ev: a sorted, owned array of user ids. */
static int audience_of(struct rt_hub *h, const struct event *ev, int64_t **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (ev->type == EV_PRESENCE_CHANGED) {
		size_t cap = 0;
		for (size_t i = 0; i < h->by_user.cap; i++) {
			struct conn *c = h->by_user.slots[i].val;
			if (!h->by_user.slots[i].key || c->who.workspace_id != ev->workspace_id)
				continue;
			if (*n == cap) {
				cap = cap ? cap * 2 : 16;
				int64_t *b = xrealloc(*out, cap * sizeof *b);
				*out = b;
			}
			(*out)[(*n)++] = h->by_user.slots[i].key;
		}
	} else if (ev->audience) {
		*out = xmalloc((ev->naudience ? ev->naudience : 1) * sizeof **out);
		memcpy(*out, ev->audience, ev->naudience * sizeof **out);
		*n = ev->naudience;
	} else {
		int rc = cached_member_ids(h->app, ev->chat_id, out, n);
		if (rc)
			return rc;
	}
	if (ev->type == EV_TYPING_CHANGED) /* never echoed to the typer */
		for (size_t i = 0; i < *n; i++)
			if ((*out)[i] == ev->user_id)
				(*out)[i--] = (*out)[--(*n)];
	if (*n > 1)
		qsort(*out, *n, sizeof **out, cmp_id);
	return 0;
}

static void ring_push(struct rt_hub *h, uint64_t id, struct outmsg *sse, int64_t *audience, size_t n)
{
	while (h->ring_len && (h->ring_len == RING_MAX || h->ring_bytes + sse->len > RING_BYTES)) {
		h->ring_bytes -= h->ring[h->ring_head].sse->len;
		msg_unref(h->ring[h->ring_head].sse);
		free(h->ring[h->ring_head].audience);
		h->ring_head = (h->ring_head + 1) % RING_MAX;
		h->ring_len--;
	}
	size_t i = (h->ring_head + h->ring_len) % RING_MAX;
	h->ring[i].id = id;
	h->ring[i].sse = sse;
	h->ring[i].audience = audience;
	h->ring[i].n = n;
	h->ring_len++;
	h->ring_bytes += sse->len;
}

/* SessionsRevoked: every connection of the user opened with an older
 * token is unregistered at once (no later event reaches it, no op is taken
 * from it), told why after what was already queued (e.g. the acks of sends
 * committed before), and closed: WebSocket 4001, SSE stream ended; a
 * client that does not read is cut without waiting. */
static void revoke_sessions(struct rt_hub *h, const struct event *ev)
{
	struct conn *list[64];
	size_t n;
	do {
		n = 0;
		for (struct conn *c = imap_get(&h->by_user, ev->user_id); c && n < 64; c = c->next)
			if (c->who.token_version < ev->token_version)
				list[n++] = c;
		for (size_t i = 0; i < n; i++) {
			struct conn *c = list[i];
			unlink_conn(h, c);
			rt_send_error(
			    c, "auth", NULL, "TOKEN_REVOKED",
			    "the session was revoked (suspension, sign-out everywhere or password change)");
			c->revoked = 1;
			c->close_code = CLOSE_REVOKED;
			lws_callback_on_writable(c->wsi);
			log_info("rt: closed conn=%lld user=%lld (sessions revoked)", (long long)c->id,
			         (long long)c->who.user_id);
		}
	} while (n == 64);
}

/* Resync: events of other appliances may have been lost (the bus between
 * them reconnected): every connection is told {"type":"resync"}, as a
 * stream resumed from beyond the replay ring is, and reloads over HTTP. The
 * replay ring is emptied too: resuming from it would skip what was lost. */
static void resync_all(struct rt_hub *h)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "type", "resync");
	for (size_t i = 0; i < h->by_id.cap; i++) {
		struct conn *c = h->by_id.slots[i].val;
		if (h->by_id.slots[i].key && c->attached)
			rt_send_json(c, o);
	}
	cJSON_Delete(o);
	while (h->ring_len) {
		h->ring_bytes -= h->ring[h->ring_head].sse->len;
		msg_unref(h->ring[h->ring_head].sse);
		free(h->ring[h->ring_head].audience);
		h->ring_head = (h->ring_head + 1) % RING_MAX;
		h->ring_len--;
	}
	log_info("rt: resync sent to %zu connections", h->by_id.n);
}

/* Queues a broadcast frame on a WebSocket. While the hub holds writes
 * (rt_hold), the connection is only marked: rt_release writes what the
 * turn queued for it, in as few sends as fit. */
static void fan_ws(struct rt_hub *h, struct conn *c, struct outmsg *m)
{
	if (!h->holding) {
		enqueue(c, m);
		return;
	}
	if (enqueue_m(c, m, 0) && !c->dirty) {
		c->dirty = 1;
		c->dirty_next = h->dirty;
		h->dirty = c;
	}
}

void rt_hold(struct rt_hub *h)
{
	if (h)
		h->holding = 1;
}

void rt_release(struct rt_hub *h)
{
	if (!h)
		return;
	h->holding = 0;
	struct conn *c = h->dirty;
	h->dirty = NULL;
	while (c) {
		struct conn *next = c->dirty_next;
		c->dirty = 0;
		c->dirty_next = NULL;
		/* written now unless something else is under way on the socket: a
		 * close (ours or the client's), a cut, or bytes lws still holds */
		if (c->qlen && !c->overflow && !c->close_code && !c->revoked && !c->peer_closed &&
		    !lws_partial_buffered(c->wsi) && write_some(c) < 0)
			lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
		else if (c->qlen)
			lws_callback_on_writable(c->wsi);
		c = next;
	}
}

static void on_event(void *ctx, const struct event *ev)
{
	struct rt_hub *h = ctx;
	int64_t *aud;
	size_t n;
	if (ev->type == EV_SESSIONS_REVOKED) {
		revoke_sessions(h, ev);
		return;
	}
	if (ev->type == EV_RESYNC) {
		resync_all(h);
		return;
	}
	if (ev->type == EV_USER_CHANGED || ev->type == EV_WORKSPACE_CHANGED)
		return; /* for caches only: clients reload what they show */
	/* "offline" from another appliance of a cluster while the user still
	 * has a connection here: not so (a local "offline" comes only once the
	 * user's last connection here is gone) */
	if (ev->type == EV_PRESENCE_CHANGED && ev->status && !strcmp(ev->status, "offline") &&
	    imap_get(&h->by_user, ev->user_id))
		return;
	if (audience_of(h, ev, &aud, &n)) {
		log_err("rt: cannot compute the audience of event type=%d chat=%lld", ev->type,
		        (long long)ev->chat_id);
		return;
	}
	cJSON *obj = event_json(h->app, ev);
	uint64_t id = ++h->next_event_id;
	char *text = cJSON_PrintUnformatted(obj);
	if (!text)
		abort();
	size_t len = strlen(text);
	if (ev->type == EV_MESSAGE_CREATED && ev->message)
		keep_message(h, ev->message->id, text, len);
	struct outmsg *ws = NULL, *sse = render_text(text, len, CONN_SSE, id);
	h->stats.events++;
	for (size_t i = 0; i < n; i++)
		for (struct conn *c = imap_get(&h->by_user, aud[i]); c; c = c->next) {
			if (c->kind == CONN_SSE) {
				enqueue(c, sse);
				c->seen_id = id;
			} else {
				if (!ws)
					ws = render_text(text, len, CONN_WS, 0);
				fan_ws(h, c, ws);
			}
		}
	cJSON_Delete(obj);
	free(text);
	msg_unref(ws);
	ring_push(h, id, sse, aud, n); /* the ring keeps our reference and the audience */
}

static void replay(struct rt_hub *h, struct conn *c, uint64_t last_id)
{
	uint64_t oldest = h->ring_len ? h->ring[h->ring_head].id : h->next_event_id + 1;
	if (last_id > h->next_event_id) /* never issued here: another appliance's */
		c->seen_id = h->next_event_id;
	if (last_id + 1 < oldest || last_id > h->next_event_id) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "type", "resync");
		rt_send_json(c, o);
		cJSON_Delete(o);
		return;
	}
	for (size_t k = 0; k < h->ring_len; k++) {
		size_t i = (h->ring_head + k) % RING_MAX;
		if (h->ring[i].id <= last_id)
			continue;
		if (bsearch(&c->who.user_id, h->ring[i].audience, h->ring[i].n, sizeof(int64_t), cmp_id))
			enqueue(c, h->ring[i].sse);
		c->seen_id = h->ring[i].id;
	}
}

struct rt_hub *rt_new(struct app *app)
{
	struct rt_hub *h = xcalloc(1, sizeof *h);
	h->app = app;
	/* event ids start at a base of this start (its time in ms x 1000), so a
	 * Last-Event-ID from before a restart is older than the ring and one from
	 * another appliance of a cluster older or newer than any issued here:
	 * either way the stream starts with resync, never with a wrong replay */
	h->next_event_id = (uint64_t)app->now_ms() * 1000;
	if (app->bus.ops->subscribe(app->bus.impl, EV_ALL, on_event, h)) {
		free(h);
		return NULL;
	}
	return h;
}

void rt_free(struct rt_hub *h)
{
	if (!h)
		return;
	while (h->ring_len) {
		msg_unref(h->ring[h->ring_head].sse);
		free(h->ring[h->ring_head].audience);
		h->ring_head = (h->ring_head + 1) % RING_MAX;
		h->ring_len--;
	}
	imap_free(&h->by_user);
	imap_free(&h->by_id);
	free(h->last_msg_json);
	free(h);
}

void rt_stop_accepting(struct rt_hub *h)
{
	h->stopping = 1;
}

int rt_stopping(struct rt_hub *h)
{
	return h->stopping;
}

size_t rt_pending(struct rt_hub *h)
{
	size_t n = 0;
	for (size_t i = 0; i < h->by_id.cap; i++) {
		struct conn *c = h->by_id.slots[i].val;
		if (h->by_id.slots[i].key && c->qlen && !c->overflow && !lws_send_pipe_choked(c->wsi))
			n++;
	}
	return n;
}

size_t rt_open(struct rt_hub *h)
{
	return h->by_id.n;
}

void rt_close_all(struct rt_hub *h, int code)
{
	for (size_t i = 0; i < h->by_id.cap; i++) {
		struct conn *c = h->by_id.slots[i].val;
		if (h->by_id.slots[i].key && !c->close_code) {
			c->close_code = code;
			lws_callback_on_writable(c->wsi);
		}
	}
}

void rt_stats(struct rt_hub *h, struct rt_stats *out)
{
	*out = h->stats;
}
