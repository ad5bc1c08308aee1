/* http/ws: the WebSocket protocol callback and its per-session state. */
#ifndef FE_WS_H
#define FE_WS_H
#include <libwebsockets.h>
#include "http/realtime.h"

#define WS_PROTOCOL "fechatter.v1"
#define WS_RX_BUFFER 1024 /* per connection; larger frames arrive in fragments */

struct ws_pss {
	struct conn c;
	struct principal who; /* from the upgrade's access_token or the auth frame */
	int64_t exp;          /* token expiry, seconds */
	int authed;
};

int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len);

#endif
