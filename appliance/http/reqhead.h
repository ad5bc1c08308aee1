/* http/reqhead: a strict scanner of HTTP/1.1 request heads (request line and
 * header fields), without libwebsockets, so it can be unit-tested and fuzzed.
 *
 * libwebsockets 4.1.6 parses heads leniently and answers what it refuses
 * with an HTML 403 page or no answer at all: `Transfer-Encoding : chunked`
 * becomes an unknown header named "transfer-encoding :", a line without a
 * colon swallows the next line into its name, unknown methods, `OPTIONS *`
 * and absolute-form targets get the 403 page, `%00` and an overfull header
 * table close the connection silently. The server runs this scanner over the
 * same bytes first (http/headguard.c) and answers its refusals itself. */
#ifndef FE_REQHEAD_H
#define FE_REQHEAD_H
#include <stddef.h>

/* request line (a percent-escape counting as one byte) + header fields + the
 * empty line */
#define REQHEAD_MAX_BYTES 4096
#define REQHEAD_MAX_FIELDS 64 /* header field lines */

enum reqhead_verdict { REQHEAD_MORE, REQHEAD_DONE, REQHEAD_REFUSE };

/* Scanner state: all zero is a scanner at the start of a head. */
struct reqhead {
	int state;
	int verdict;
	size_t bytes;
	int fields;
	size_t tok;      /* length of the token being read */
	char method[12]; /* the method, when it fits (longer ones are refused) */
	char name[20];   /* the current field name, lowercase, cut to fit */
	char value[24];  /* the start of the current field value, trimmed */
	int cl_count, te_count;
	int pct;       /* hex digits still expected after a '%' */
	int pct_nul;   /* the escape so far is "%0" */
	int started;   /* the field value's first non-blank came */
	size_t blanks; /* blanks since the value's last non-blank */
	/* the refusal (REQHEAD_REFUSE): HTTP status, API code, message, and for
	 * 405 the Allow header value; all static */
	int status;
	const char *code, *message, *allow;
};

/* Scans the next n bytes of a request head. Returns REQHEAD_MORE when every
 * byte was taken and the head is not complete; REQHEAD_DONE when the empty
 * line that ends the head was seen (*used = bytes of p up to and including
 * it; what follows is body or the next request); REQHEAD_REFUSE when the
 * head must be refused (h->status, h->code, h->message say how; 400, 405,
 * 414, 431, 501 or 505). After DONE or REFUSE the verdict sticks (used 0)
 * until the caller zeroes the struct for the next head. Refused, among
 * others: unknown methods (501), TRACE and CONNECT and `OPTIONS *` (405),
 * targets not starting with '/' (400), bad or NUL (%00) escapes (400),
 * whitespace before a field's colon, a field line without a colon, obsolete
 * line folding, control characters, a second Content-Length, a malformed
 * Content-Length, Content-Length with Transfer-Encoding, an Upgrade other
 * than websocket (400), heads over REQHEAD_MAX_BYTES or REQHEAD_MAX_FIELDS
 * (431; 414 while still in the target), versions other than HTTP/1.0 and
 * HTTP/1.1 (505). */
int reqhead_feed(struct reqhead *h, const unsigned char *p, size_t n, size_t *used);

#endif
