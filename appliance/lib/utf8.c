/* lib/utf8: a strict decoder after RFC 3629, and the NUL check of JSON text. */
#include <stdint.h>
#include <string.h>
#include "lib/utf8.h"

/* The one decoder: the code point at s[0..avail), *len its length 1..4;
 * U+FFFD with *len = 1 for a byte that starts no well-formed sequence
 * (overlong, surrogate, > U+10FFFF, cut by avail or by a non-continuation
 * byte such as a NUL). Never reads past a byte that ends the sequence. */
unsigned utf8_decode_n(const char *str, size_t avail, size_t *len)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned c = s[0], n, cp, min;
	*len = 1;
	if (c < 0x80)
		return c;
	if ((c & 0xe0) == 0xc0) {
		n = 1;
		cp = c & 0x1f;
		min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 2;
		cp = c & 0x0f;
		min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		n = 3;
		cp = c & 0x07;
		min = 0x10000;
	} else
		return 0xfffd;
	if (avail <= n)
		return 0xfffd;
	for (unsigned i = 1; i <= n; i++) { /* stops at the first non-continuation, e.g. a NUL */
		if ((s[i] & 0xc0) != 0x80)
			return 0xfffd;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0xfffd;
	*len = n + 1;
	return cp;
}

unsigned utf8_decode(const char *s, size_t *len)
{
	return utf8_decode_n(s, 4, len);
}

int utf8_valid(const char *s, size_t len)
{
	for (size_t i = 0, n; i < len; i += n)
		if (utf8_decode_n(s + i, len - i, &n) == 0xfffd && n == 1)
			return 0;
	return 1;
}

size_t utf8_encode(unsigned c, char *o)
{
	if (c < 0x80) {
		o[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (char)(0xC0 | (c >> 6));
		o[1] = (char)(0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (char)(0xE0 | (c >> 12));
		o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
		o[2] = (char)(0x80 | (c & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | (c >> 18));
	o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((c >> 6) & 0x3F));
	o[3] = (char)(0x80 | (c & 0x3F));
	return 4;
}

size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

int utf8_has_controls(const char *str, int allow_newlines)
{
	const unsigned char *s = (const unsigned char *)str;
	for (; *s; s++) {
		if (*s < 0x20 && !(allow_newlines && (*s == '\n' || *s == '\t')))
			return 1;
		if (*s == 0x7f)
			return 1;
		if (*s == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f) /* C1 controls U+0080..U+009F */
			return 1;
	}
	return 0;
}

/* Lower-case of code point c for the scripts utf8_fold covers. */
static uint32_t fold_cp(uint32_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c + 32;
	if ((c >= 0xC0 && c <= 0xDE && c != 0xD7) || (c >= 0x391 && c <= 0x3AB && c != 0x3A2) ||
	    (c >= 0x410 && c <= 0x42F))
		return c + 32;
	if (c >= 0x400 && c <= 0x40F)
		return c + 80;
	if (((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) && !(c & 1))
		return c + 1;
	if (((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) && (c & 1))
		return c + 1;
	return c;
}

void utf8_fold(const char *str, char *out, size_t n)
{
	size_t k = 0, len;
	for (const char *s = str; *s; s += len) {
		unsigned c = utf8_decode(s, &len);
		if (k + len >= n)
			break; /* folding never changes a character's length, so this is the input's length
			          too */
		if (c == 0xfffd && len == 1)
			out[k++] = *s; /* not UTF-8: copied as it is */
		else
			k += utf8_encode(fold_cp(c), out + k);
	}
	out[k] = 0;
}

/* Escapes are followed one by one, so the escaped backslash of \\u0000
 * does not start an escape. */
int json_has_nul(const char *s, size_t len)
{
	int in_string = 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!c)
			return 1;
		if (!in_string) {
			in_string = c == '"';
			continue;
		}
		if (c == '"') {
			in_string = 0;
		} else if (c == '\\' && i + 1 < len) {
			i++; /* the escaped character, never an escape itself */
			if (!s[i] || (s[i] == 'u' && i + 4 < len && !memcmp(s + i + 1, "0000", 4)))
				return 1;
		}
	}
	return 0;
}
