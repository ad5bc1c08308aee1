/* http/reqhead: strict, incremental scanning of HTTP/1.1 request heads
 * (RFC 9112 sections 3 and 5, framing rules of section 6.3). */
#include <string.h>
#include <strings.h>
#include "http/reqhead.h"

enum {
	S_METHOD,
	S_TARGET_FIRST,
	S_TARGET,
	S_VERSION,
	S_LINE_CR, /* CR that ends the request line or a field line */
	S_LINE,    /* start of a field line, or the empty line */
	S_NAME,
	S_VALUE,
	S_END_CR,
	S_DONE,
};

#define ALLOW "GET, HEAD, POST, PUT, PATCH, DELETE"

static int refuse(struct reqhead *h, int status, const char *code, const char *message)
{
	h->verdict = REQHEAD_REFUSE;
	h->status = status;
	h->code = code;
	h->message = message;
	return REQHEAD_REFUSE;
}

static int bad(struct reqhead *h, const char *message)
{
	return refuse(h, 400, "BAD_REQUEST", message);
}

/* tchar of RFC 9110 section 5.6.2 */
static int is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* The method is complete: known methods go on, others are refused. */
static int method_done(struct reqhead *h)
{
	static const char *const known[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (!strcmp(h->method, known[i]))
			return REQHEAD_MORE;
	if (!strcmp(h->method, "TRACE") || !strcmp(h->method, "CONNECT")) {
		h->allow = ALLOW;
		return refuse(h, 405, "METHOD_NOT_ALLOWED", "this method is not allowed on this server");
	}
	if (!strcmp(h->method, "PRI"))
		return refuse(h, 501, "NOT_IMPLEMENTED", "HTTP/2 is not supported; use HTTP/1.1");
	return refuse(h, 501, "NOT_IMPLEMENTED", "this method is not implemented");
}

static int version_done(struct reqhead *h)
{
	const char *v = h->value;
	if (!strcmp(v, "HTTP/1.1") || !strcmp(v, "HTTP/1.0"))
		return REQHEAD_MORE;
	if (strlen(v) == 8 && !strncmp(v, "HTTP/", 5) && v[5] >= '0' && v[5] <= '9' && v[6] == '.' &&
	    v[7] >= '0' && v[7] <= '9')
		return refuse(h, 505, "HTTP_VERSION_NOT_SUPPORTED",
		              "only HTTP/1.1 and HTTP/1.0 are supported");
	return bad(h, "malformed request line");
}

/* A field line is complete: the framing and upgrade rules. h->value holds the
 * start of the value without leading white space, h->tok its length
 * without trailing white space (may exceed the buffer). */
static int field_done(struct reqhead *h)
{
	size_t n = h->tok;
	int fits = n < sizeof h->value;
	if (fits)
		h->value[n] = 0;
	if (!strcmp(h->name, "content-length")) {
		if (++h->cl_count > 1)
			return bad(h, "more than one Content-Length header");
		if (!n || n > 15 || strspn(h->value, "0123456789") != n)
			return bad(h, "Content-Length must be a decimal number");
	} else if (!strcmp(h->name, "transfer-encoding")) {
		h->te_count++;
	} else if (!strcmp(h->name, "upgrade")) {
		if (!fits || strcasecmp(h->value, "websocket"))
			return bad(h, "only Upgrade: websocket is supported");
	}
	if (h->cl_count && h->te_count)
		return bad(h, "Content-Length and Transfer-Encoding together are ambiguous");
	return REQHEAD_MORE;
}

static int step(struct reqhead *h, unsigned char c)
{
	/* a percent-escape counts as the one byte it stands for, as lws stores it
	 * (a search for 500 CJK characters is 4,500 bytes escaped) */
	int escaped = h->state == S_TARGET && h->pct;
	if (!escaped && ++h->bytes > REQHEAD_MAX_BYTES) {
		if (h->state == S_TARGET || h->state == S_TARGET_FIRST)
			return refuse(h, 414, "URI_TOO_LONG", "the request target is too long");
		return refuse(h, 431, "HEADERS_TOO_LARGE", "the request header fields are too large");
	}
	switch (h->state) {
	case S_METHOD:
		if (c == ' ') {
			if (!h->tok)
				return bad(h, "malformed request line");
			h->state = S_TARGET_FIRST;
			h->tok = 0;
			return method_done(h);
		}
		if (!is_tchar(c))
			return bad(h, "malformed request line");
		if (h->tok + 1 >= sizeof h->method)
			return refuse(h, 501, "NOT_IMPLEMENTED", "this method is not implemented");
		h->method[h->tok++] = (char)c;
		return REQHEAD_MORE;
	case S_TARGET_FIRST:
		if (c == '/') {
			h->state = S_TARGET;
			return REQHEAD_MORE;
		}
		if (c == '*') {
			if (!strcmp(h->method, "OPTIONS")) {
				h->allow = ALLOW;
				return refuse(h, 405, "METHOD_NOT_ALLOWED",
				              "OPTIONS is not supported on this server");
			}
			return bad(h, "'*' is a request target for OPTIONS only");
		}
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
			return bad(h, "absolute-form request targets are not supported; send the path only");
		return bad(h, "the request target must start with /");
	case S_TARGET:
		if (h->pct) {
			if (!is_hex(c))
				return bad(h, "malformed percent-escape in the request target");
			if (h->pct == 2)
				h->pct_nul = c == '0';
			else if (h->pct_nul && c == '0')
				return bad(h, "NUL (%00) is not allowed in the request target");
			h->pct--;
			return REQHEAD_MORE;
		}
		if (c == ' ') {
			h->state = S_VERSION;
			h->tok = 0;
			return REQHEAD_MORE;
		}
		if (c < 0x21 || c > 0x7e)
			return bad(h, "malformed request target");
		if (c == '%')
			h->pct = 2;
		return REQHEAD_MORE;
	case S_VERSION:
		if (c == '\r' || c == '\n') {
			h->value[h->tok] = 0;
			h->state = c == '\r' ? S_LINE_CR : S_LINE;
			return version_done(h);
		}
		if (h->tok + 1 >= sizeof h->value || c < 0x21 || c > 0x7e)
			return bad(h, "malformed request line");
		h->value[h->tok++] = (char)c;
		return REQHEAD_MORE;
	case S_LINE_CR:
		if (c != '\n')
			return bad(h, "a CR not followed by LF");
		h->state = S_LINE;
		return REQHEAD_MORE;
	case S_LINE:
		if (c == '\r') {
			h->state = S_END_CR;
			return REQHEAD_MORE;
		}
		if (c == '\n') {
			h->state = S_DONE;
			return REQHEAD_DONE;
		}
		if (c == ' ' || c == '\t')
			return bad(h, "obsolete line folding is not allowed");
		if (!is_tchar(c))
			return bad(h, "malformed header field name");
		if (++h->fields > REQHEAD_MAX_FIELDS)
			return refuse(h, 431, "HEADERS_TOO_LARGE", "too many request header fields");
		memset(h->name, 0, sizeof h->name);
		h->tok = 0;
		h->state = S_NAME;
		__attribute__((fallthrough)); /* c is the name's first character */
	case S_NAME:
		if (c == ':') {
			h->state = S_VALUE;
			h->tok = 0;
			h->started = 0;
			h->blanks = 0;
			memset(h->value, 0, sizeof h->value);
			return REQHEAD_MORE;
		}
		if (c == ' ' || c == '\t')
			return bad(h, "white space between a header field name and its colon is not allowed");
		if (!is_tchar(c))
			return bad(h, "a header field line without a colon");
		if (h->tok + 1 < sizeof h->name)
			h->name[h->tok] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
		else
			h->name[0] = '#'; /* too long to be a name we check */
		h->tok++;
		return REQHEAD_MORE;
	case S_VALUE:
		if (c == '\r' || c == '\n') {
			h->state = c == '\r' ? S_LINE_CR : S_LINE;
			return field_done(h); /* trailing blanks were never counted */
		}
		if (c == ' ' || c == '\t') {
			h->blanks += h->started; /* leading blanks are dropped */
			return REQHEAD_MORE;
		}
		if (c < 0x20 || c == 0x7f)
			return bad(h, "a control character in a header field");
		for (; h->blanks; h->blanks--, h->tok++) /* blanks inside the value */
			if (h->tok + 1 < sizeof h->value)
				h->value[h->tok] = ' ';
		h->started = 1;
		if (h->tok + 1 < sizeof h->value)
			h->value[h->tok] = (char)c;
		h->tok++;
		return REQHEAD_MORE;
	case S_END_CR:
		if (c != '\n')
			return bad(h, "a CR not followed by LF");
		h->state = S_DONE;
		return REQHEAD_DONE;
	}
	return REQHEAD_DONE;
}

int reqhead_feed(struct reqhead *h, const unsigned char *p, size_t n, size_t *used)
{
	*used = 0;
	if (h->verdict)
		return h->verdict;
	for (size_t i = 0; i < n; i++) {
		int v = step(h, p[i]);
		if (v == REQHEAD_MORE)
			continue;
		*used = i + 1;
		if (v == REQHEAD_DONE && h->cl_count && h->te_count)
			return bad(h, "Content-Length and Transfer-Encoding together are ambiguous");
		h->verdict = v;
		return v;
	}
	*used = n;
	return REQHEAD_MORE;
}
