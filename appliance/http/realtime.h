/* http/realtime: the connection hub for WebSocket and SSE clients. It
 * subscribes to the bus at start-up, renders each event once, and queues it
 * to every open connection of every user in the event's audience (chat
 * members, or the workspace for presence). Each connection has an outbound
 * queue bounded by bytes; writes happen only in the writeable callback,
 * where one send carries as many queued messages as fit in a batch. SSE
 * events also enter a replay ring for Last-Event-ID. */
#ifndef FE_REALTIME_H
#define FE_REALTIME_H
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include "core/app.h"

#define RT_QUEUE_MAX                                                                                         \
	(4u << 20)               /* outbound bytes per connection; a reader that                             \
	                          * falls this far behind is cut. The queued messages                        \
	                          * are shared by every connection, so the bound costs                       \
	                          * memory once per message, not per connection; 4 MiB                       \
	                          * lets a reader on a slow link ride out a burst */
#define RT_FRAME_MAX (64u << 10) /* inbound WebSocket frame */
#define RT_SNDBUF (64 << 10)     /* kernel send buffer of a real-time socket */
#define RT_BATCH_WS (16u << 10)  /* most bytes of queued WebSocket frames one send carries */

struct lws;
struct outmsg;
struct rt_hub;

enum conn_kind { CONN_WS, CONN_SSE };

struct conn {
	struct lws *wsi;
	struct rt_hub *hub; /* set before anything is queued (rt_attach, or by the WebSocket at once) */
	enum conn_kind kind;
	int attached;    /* registered in the hub (authenticated) */
	int close_code;  /* close once the queue is flushed (WS close code) */
	int overflow;    /* queue limit hit: close now */
	int revoked;     /* its token was revoked: unregistered, closing, no more ops */
	int peer_closed; /* WebSocket: the client sent a close frame (lws answers it) */
	struct principal who;
	int64_t id;
	struct conn *next;       /* the user's other connections */
	struct conn *dirty_next; /* the hub's list of connections written at rt_release */
	int dirty;
	struct outmsg **q;
	uint32_t qhead, qlen, qcap;
	uint32_t qbytes;
	uint64_t seen_id; /* SSE: newest broadcast event id queued (or resumed from) */
	char *rx;         /* a WebSocket message being assembled (owned) */
	uint32_t rxlen;
};

/* Makes app's hub (app->hub) and subscribes it to app's bus (with the hub
 * as the handler's context): call after cached_init (its invalidation must
 * run before the fan-out reads chat members) and before the server starts.
 * Returns owned (rt_free), or NULL when the bus refuses the subscription. */
struct rt_hub *rt_new(struct app *app);
/* Frees the hub, its replay ring and its maps (NULL-safe). The bus still
 * holds the subscription: free the bus first (or never publish again). */
void rt_free(struct rt_hub *h);

/* Registers an authenticated connection in app->hub (who carries its
 * token's expiry and version: the stream ends then, or when SessionsRevoked
 * names a newer version);
 * queues connection_confirmed, then
 * (SSE, last_id > 0) the ring's events after last_id for the user, or a
 * resync event when last_id is older than the ring; then presence. */
void rt_attach(struct app *app, struct conn *c, struct lws *wsi, enum conn_kind kind,
               const struct principal *who, uint64_t last_id);
/* Unregisters (NULL-safe, idempotent) and frees the queue. */
void rt_detach(struct app *app, struct conn *c);

/* Queues obj (rendered now; obj is not freed) to one connection. */
void rt_send_json(struct conn *c, cJSON *obj);
/* Queues raw bytes (e.g. an SSE comment) to one connection. */
void rt_send_raw(struct conn *c, const char *text, size_t len);
/* Queues an error event {"type":"error","op","error":{code,message}}. */
void rt_send_error(struct conn *c, const char *op, const char *key, const char *code, const char *message);

/* A turn of events (a group commit's): from rt_hold to rt_release the
 * broadcast WebSocket frames are only queued; rt_release then writes each
 * connection's frames at once, as many per send as fit (RT_BATCH_WS), with
 * no pass of the event loop in between (a pass polls every open socket).
 * What a socket cannot take now, or a connection that is closing, waits for
 * its writeable callback. Not nested; both NULL-safe; loop thread only. */
void rt_hold(struct rt_hub *h);
void rt_release(struct rt_hub *h);

/* Writes queued messages, in order: several per send when several are
 * queued (RT_BATCH_WS bytes at most on a WebSocket, none cut). Returns 0,
 * or -1 to close the connection (queue overflow, or a close requested and
 * the queue is empty). */
int rt_write(struct conn *c);

/* The newest message_created event's message object as its events carried
 * it (JSON text, borrowed: valid until the next event), when that message
 * is id; NULL otherwise (no such event, or a newer one since). For the
 * sender's acknowledgement, which carries the same object. */
const char *rt_message_json(struct rt_hub *h, int64_t id);

/* Finds a live connection of h by id (for answers that come after a commit). */
struct conn *rt_find(struct rt_hub *h, int64_t id);

/* Shutdown: from rt_stop_accepting() on, ops that would write are refused
 * (rt_stopping() is 1); rt_pending() counts the connections that still have
 * queued bytes the socket can take (a stalled reader is not waited for);
 * rt_close_all() asks every connection to close with code once its queue is
 * flushed. */
void rt_stop_accepting(struct rt_hub *h);
int rt_stopping(struct rt_hub *h);
size_t rt_pending(struct rt_hub *h);
size_t rt_open(struct rt_hub *h);
void rt_close_all(struct rt_hub *h, int code);

/* Counters for /metrics. */
struct rt_stats {
	uint64_t connections, events, deliveries, dropped_slow;
	uint64_t writes;  /* sends of queued messages (one per batch) */
	uint64_t batched; /* messages that went in a batch of two or more */
};
void rt_stats(struct rt_hub *h, struct rt_stats *out);

#endif
