/* tests/fuzz/fuzz_reqhead: http/reqhead on arbitrary request heads. The
 * first input byte picks how the rest is cut into reads (one byte, up to 8,
 * up to 300, or any size with empty reads too, from a generator it seeds);
 * the rest is scanned at once and in those reads. Checked: the cutting never
 * changes the verdict, the status, the refusal or the bytes used; a verdict
 * sticks; and an accepted head, read again by the simple line parser below,
 * keeps the promises of reqhead.h: one request line with a known method, an
 * origin-form target without %00, HTTP/1.0 or 1.1; field lines "name:value"
 * with no white space before the colon, no folding, no control characters;
 * at most one Content-Length, a decimal one, never with Transfer-Encoding;
 * Upgrade only websocket; within the byte and field limits. */
#include <strings.h>
#include "fuzz.h"
#include "http/reqhead.h"

static uint32_t rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static int tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int hexd(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* one field value without the white space around it */
static void trim(const unsigned char **v, size_t *n)
{
	while (*n && ((*v)[0] == ' ' || (*v)[0] == '\t'))
		(*v)++, (*n)--;
	while (*n && ((*v)[*n - 1] == ' ' || (*v)[*n - 1] == '\t'))
		(*n)--;
}

static int is_name(const unsigned char *p, size_t n, const char *name)
{
	return n == strlen(name) && !strncasecmp((const char *)p, name, n);
}

/* An accepted head of len bytes (ending with its empty line), read again. */
static void check_head(const unsigned char *p, size_t len)
{
	CHECK(len >= 2 && p[len - 1] == '\n');
	CHECK(!memchr(p, 0, len));
	size_t pos = 0, line = 0, fields = 0, cl = 0, te = 0, escapes = 0;
	int ended = 0;
	while (pos < len) {
		const unsigned char *nl = memchr(p + pos, '\n', len - pos);
		CHECK(nl); /* the head ends with LF */
		size_t end = (size_t)(nl - p), n = end - pos;
		const unsigned char *l = p + pos;
		if (n && l[n - 1] == '\r')
			n--;
		CHECK(!memchr(l, '\r', n)); /* a CR only before LF */
		pos = end + 1;
		if (line++ == 0) {
			/* request line: method SP target SP version */
			const unsigned char *sp1 = memchr(l, ' ', n);
			CHECK(sp1);
			size_t m = (size_t)(sp1 - l);
			static const char *const known[] = {"GET",   "HEAD",   "POST",   "PUT",
			                                    "PATCH", "DELETE", "OPTIONS"};
			int ok = 0;
			for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
				ok |= m == strlen(known[i]) && !memcmp(l, known[i], m);
			CHECK(ok);
			const unsigned char *t = sp1 + 1, *sp2 = memchr(t, ' ', n - m - 1);
			CHECK(sp2 && t[0] == '/');
			size_t tn = (size_t)(sp2 - t);
			for (size_t i = 0; i < tn; i++) {
				CHECK(t[i] > 0x20 && t[i] < 0x7f);
				if (t[i] == '%') {
					CHECK(i + 2 < tn && hexd(t[i + 1]) && hexd(t[i + 2]));
					CHECK(!(t[i + 1] == '0' && t[i + 2] == '0'));
					escapes += 2;
				}
			}
			size_t vn = n - m - 1 - tn - 1;
			CHECK(vn == 8 &&
			      (!memcmp(sp2 + 1, "HTTP/1.1", 8) || !memcmp(sp2 + 1, "HTTP/1.0", 8)));
			continue;
		}
		if (!n) {
			ended = 1;
			CHECK(pos == len); /* the first empty line ends the head */
			break;
		}
		fields++;
		CHECK(l[0] != ' ' && l[0] != '\t'); /* no obsolete folding */
		const unsigned char *colon = memchr(l, ':', n);
		CHECK(colon && colon > l);
		size_t nn = (size_t)(colon - l);
		for (size_t i = 0; i < nn; i++)
			CHECK(tchar(l[i])); /* no white space before the colon */
		const unsigned char *v = colon + 1;
		size_t vn = n - nn - 1;
		for (size_t i = 0; i < vn; i++)
			CHECK(v[i] == '\t' || (v[i] >= 0x20 && v[i] != 0x7f));
		trim(&v, &vn);
		if (is_name(l, nn, "content-length")) {
			cl++;
			CHECK(vn >= 1 && vn <= 15);
			for (size_t i = 0; i < vn; i++)
				CHECK(v[i] >= '0' && v[i] <= '9');
		} else if (is_name(l, nn, "transfer-encoding")) {
			te++;
		} else if (is_name(l, nn, "upgrade")) {
			CHECK(vn == 9 && !strncasecmp((const char *)v, "websocket", 9));
		}
	}
	CHECK(ended);
	CHECK(cl <= 1 && !(cl && te)); /* exactly one framing */
	CHECK(fields <= REQHEAD_MAX_FIELDS);
	CHECK(len - escapes <= REQHEAD_MAX_BYTES);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	uint8_t seed = data[0];
	const unsigned char *p = data + 1;
	size_t n = size - 1;

	/* at once */
	struct reqhead one;
	memset(&one, 0, sizeof one);
	size_t used1 = 99;
	int v1 = reqhead_feed(&one, p, n, &used1);
	CHECK(v1 == REQHEAD_MORE || v1 == REQHEAD_DONE || v1 == REQHEAD_REFUSE);
	if (v1 == REQHEAD_MORE) {
		CHECK(used1 == n);
	} else {
		CHECK(used1 >= 1 && used1 <= n);
		/* the verdict sticks, nothing more is taken */
		size_t u = 99;
		CHECK(reqhead_feed(&one, p, n, &u) == v1 && u == 0);
	}
	if (v1 == REQHEAD_REFUSE) {
		static const int statuses[] = {400, 405, 414, 431, 501, 505};
		int ok = 0;
		for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
			ok |= one.status == statuses[i];
		CHECK(ok && one.code && one.message && one.message[0]);
		CHECK(!one.allow == (one.status != 405));
	} else {
		CHECK(!one.status && !one.code && !one.allow);
	}
	if (v1 == REQHEAD_DONE)
		check_head(p, used1);
	if (v1 == REQHEAD_MORE) {
		/* no complete head inside: with an LF-LF or CRLF-CRLF in the
		 * input the scan had to end (accept or refuse) */
		for (size_t i = 0; i + 1 < n; i++)
			CHECK(!(p[i] == '\n' && p[i + 1] == '\n'));
		for (size_t i = 0; i + 3 < n; i++)
			CHECK(memcmp(p + i, "\r\n\r\n", 4));
	}

	/* in reads */
	static const uint32_t caps[4] = {1, 8, 300, 0};
	uint32_t cap = caps[seed & 3], x = 0x2545f491u ^ seed ^ (uint32_t)n * 2654435761u;
	struct reqhead h;
	memset(&h, 0, sizeof h);
	size_t off = 0, used = 0;
	int v = REQHEAD_MORE;
	while (off < n || (cap == 0 && !(rnd(&x) & 3))) {
		size_t len = cap ? 1 + rnd(&x) % cap : rnd(&x) % (n - off + 1);
		if (len > n - off)
			len = n - off;
		used = 99;
		v = reqhead_feed(&h, p + off, len, &used);
		if (v != REQHEAD_MORE) {
			CHECK(used >= 1 && used <= len);
			off += used;
			break;
		}
		CHECK(used == len);
		off += len;
		if (off == n && cap)
			break;
	}
	CHECK(v == v1 && off == used1);
	CHECK(h.status == one.status);
	CHECK(h.code == one.code && h.message == one.message && h.allow == one.allow);
	CHECK(h.bytes == one.bytes && h.fields == one.fields && h.cl_count == one.cl_count &&
	      h.te_count == one.te_count && h.state == one.state);
	return 0;
}
