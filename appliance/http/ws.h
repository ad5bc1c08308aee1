/* http/ws: the WebSocket protocol callback and its per-session state. */
#ifndef FE_WS_H
#define FE_WS_H
#include <libwebsockets.h>
#include "http/realtime.h"
#include "http/wsop.h"

#define WS_PROTOCOL "fechatter.v1"
#define WS_RX_BUFFER 1024        /* per connection; larger frames arrive in fragments */
#define WS_TX_PACKET RT_BATCH_WS /* lws sends this much at once (a batch of frames) */

struct ws_pss {
	struct conn c;
	struct principal who; /* from the upgrade's access_token or the auth frame */
	int authed;
	struct wsframe_scan scan; /* the client's frame headers (http/wsguard) */
	int scan_state;           /* WSCAN_* */
	int proto_error;          /* a frame broke RFC 6455: close 1002 */
};

enum { WSCAN_IDLE, WSCAN_ARMED, WSCAN_ON, WSCAN_OFF };

/* LWS_CALLBACK_HTTP_CONFIRM_UPGRADE (delivered to the HTTP protocol): only
 * a GET of /ws offering the fechatter.v1 subprotocol, with a valid token when
 * one is given, may upgrade. Returns 0 to let the upgrade go on, 1 when it
 * was refused with a JSON error answer (4xx), -1 to hang up. */
int ws_confirm_upgrade(struct lws *wsi, const char *upgrade);

int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len);

#endif
