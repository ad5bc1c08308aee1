/* http/wsguard: RFC 6455 checks lws 4.1.6 leaves out on the server side.
 * The binary is linked with -Wl,--wrap=lws_ssl_capable_read, so every read
 * of a connection's (decrypted) bytes passes here first. For a /ws
 * connection the bytes are scanned for frame headers (wsframe_scan): a
 * client frame without the mask bit (5.1) or with a reserved bit set (5.2,
 * no extension is negotiated) ends the read just before that frame, and the
 * connection is closed with 1002 from its writeable callback; nothing from
 * that frame on is processed. */
#include <libwebsockets.h>
#include <string.h>
#include "http/ws.h"
#include "http/wsop.h"

#define CAPABLE_MORE_SERVICE (-4) /* lws: nothing to process now */

int __real_lws_ssl_capable_read(struct lws *wsi, unsigned char *buf, int len);
int __wrap_lws_ssl_capable_read(struct lws *wsi, unsigned char *buf, int len);

int __wrap_lws_ssl_capable_read(struct lws *wsi, unsigned char *buf, int len)
{
	int n = __real_lws_ssl_capable_read(wsi, buf, len);
	if (n <= 0)
		return n;
	const struct lws_protocols *p = lws_get_protocol(wsi);
	struct ws_pss *s = p && p->name && !strcmp(p->name, WS_PROTOCOL) ? lws_wsi_user(wsi) : NULL;
	if (!s || s->proto_error || (s->scan_state != WSCAN_ARMED && s->scan_state != WSCAN_ON))
		return n;
	s->scan_state = WSCAN_ON;
	size_t at;
	if (wsframe_scan(&s->scan, buf, (size_t)n, &at) == WSF_OK)
		return n;
	s->proto_error = 1;
	lws_callback_on_writable(wsi);
	return at ? (int)at : CAPABLE_MORE_SERVICE;
}
