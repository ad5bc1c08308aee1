/* http/headguard: every request head goes through http/reqhead before
 * libwebsockets parses it, and what reqhead refuses gets the JSON envelope
 * with the security headers, then the connection closes.
 *
 * Why a link-time wrap: lws 4.1.6 gives the application no callback before
 * it has parsed the whole head, and for the heads it refuses itself (unknown
 * methods, targets not starting with '/', bad escapes) it writes its HTML 403
 * page or closes without an answer (%00, a full header table) before any
 * callback runs. The one place every head passes through is its internal
 * lws_parse(); the Makefile links with -Wl,--wrap=lws_parse (as it wraps
 * mbedTLS's cipher list), so the calls lws makes reach __wrap_lws_parse
 * here. If a future lws renames the function, the link fails loudly. */
#include <libwebsockets.h>
#include <string.h>
#include "http/http.h"
#include "http/reqhead.h"

/* lws's own return codes (lib/core-net/private-lib-core-net.h) */
#define LPR_FAIL (-1)
#define LPR_FORBIDDEN (-2)

int __real_lws_parse(struct lws *wsi, unsigned char *buf, int *len);
int __wrap_lws_parse(struct lws *wsi, unsigned char *buf, int *len);

/* Writes a whole error answer on a connection whose head is being read. */
static void refuse(struct lws *wsi, int status, const char *code, const char *message, const char *allow)
{
	unsigned char buf[LWS_PRE + 2048];
	size_t n = http_error_text((char *)buf + LWS_PRE, sizeof buf - LWS_PRE, status, code, message, allow);
	if (n)
		lws_write(wsi, buf + LWS_PRE, n, LWS_WRITE_HTTP);
}

int __wrap_lws_parse(struct lws *wsi, unsigned char *buf, int *len)
{
	/* our HTTP connections only, not an HTTP/2 stream's decoded headers */
	const struct lws_protocols *proto = lws_get_protocol(wsi);
	struct req *r = NULL;
	if (proto && proto->name && !strcmp(proto->name, "http") && lws_get_network_wsi(wsi) == wsi)
		r = lws_wsi_user(wsi);
	if (r && *len > 0) {
		size_t used;
		struct reqhead *h = &r->head;
		if (reqhead_feed(h, buf, (size_t)*len, &used) == REQHEAD_REFUSE) {
			refuse(wsi, h->status, h->code, h->message, h->allow);
			return LPR_FORBIDDEN;
		}
	}
	int rc = __real_lws_parse(wsi, buf, len);
	if (rc == LPR_FAIL && r) {
		/* a head the scanner let through overflowed lws's header table
		 * (many short fields, many query parameters) */
		refuse(wsi, 431, "HEADERS_TOO_LARGE", "the request head has too many fields or parameters",
		       NULL);
	}
	return rc;
}
