/* lib/gzip: gzip bodies through zlib and the Accept-Encoding rule. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>
#include "lib/gzip.h"

/* windowBits 15 plus 16: a gzip header and trailer instead of zlib's */
#define GZIP_WBITS (15 + 16)

int gzip_compress(const void *in, size_t n, int level, char **out, size_t *out_len)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	*out = NULL;
	if (deflateInit2(&z, level, Z_DEFLATED, GZIP_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	uLong cap = deflateBound(&z, (uLong)n);
	char *buf = malloc(cap ? cap : 1);
	if (!buf) {
		deflateEnd(&z);
		return -1;
	}
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = (Bytef *)buf;
	z.avail_out = (uInt)cap;
	int rc = deflate(&z, Z_FINISH); /* deflateBound's room: one call finishes */
	size_t got = z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(buf);
		return -1;
	}
	*out = buf;
	*out_len = got;
	return 0;
}

int gzip_inflate(const void *in, size_t n, char **out, size_t *out_len)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	*out = NULL;
	if (n < 18 || inflateInit2(&z, GZIP_WBITS) != Z_OK)
		return -1;
	/* the trailer's last 4 bytes: the length modulo 2^32 (a hint only) */
	const unsigned char *t = (const unsigned char *)in + n - 4;
	size_t cap = ((size_t)t[0] | (size_t)t[1] << 8 | (size_t)t[2] << 16 | (size_t)t[3] << 24) + 1;
	char *buf = malloc(cap);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	int rc = Z_OK;
	while (buf) {
		z.next_out = (Bytef *)buf + z.total_out;
		z.avail_out = (uInt)(cap - z.total_out);
		rc = inflate(&z, Z_FINISH);
		if (rc != Z_BUF_ERROR || z.avail_in == 0)
			break;
		char *more = realloc(buf, cap * 2); /* the hint lied: grow */
		if (!more)
			break;
		buf = more;
		cap *= 2;
	}
	size_t got = z.total_out;
	inflateEnd(&z);
	/* one whole member, nothing after it, and room for the NUL */
	if (!buf || rc != Z_STREAM_END || z.avail_in || got >= cap) {
		free(buf);
		return -1;
	}
	buf[got] = 0;
	*out = buf;
	*out_len = got;
	return 0;
}

/* 1 when the q of a parameter list ("; q=0.5; ...") is above 0; no q: 1. */
static int q_positive(const char *p, const char *end)
{
	while (p < end) {
		p += strspn(p, " \t;");
		if (p + 2 <= end && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
			p += 2;
			if (p < end && *p == '1')
				return 1;
			if (p >= end || *p != '0')
				return 0; /* malformed */
			for (p++; p < end && *p == '.'; p++)
				;
			for (; p < end && isdigit((unsigned char)*p); p++)
				if (*p != '0')
					return 1;
			return 0;
		}
		while (p < end && *p != ';')
			p++;
	}
	return 1;
}

int gzip_accepted(const char *ae)
{
	int gzip = -1, star = -1;
	for (const char *p = ae; p && *p;) {
		p += strspn(p, " \t,");
		const char *e = p + strcspn(p, ",");
		size_t tl = strcspn(p, " \t;,");
		if (tl > (size_t)(e - p))
			tl = (size_t)(e - p);
		int q = q_positive(p + tl, e);
		if ((tl == 4 && !strncasecmp(p, "gzip", 4)) || (tl == 6 && !strncasecmp(p, "x-gzip", 6)))
			gzip = gzip > 0 ? gzip : q;
		else if (tl == 1 && *p == '*')
			star = q;
		p = e;
	}
	return gzip >= 0 ? gzip : star > 0;
}
