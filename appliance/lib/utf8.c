/* lib/utf8: a strict decoder after RFC 3629. */
#include <stdint.h>
#include "lib/utf8.h"

int utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str, *e = s + len;
	while (s < e) {
		unsigned c = *s;
		if (c < 0x80) {
			s++;
			continue;
		}
		int n;
		uint32_t cp, min;
		if ((c & 0xe0) == 0xc0) { n = 1; cp = c & 0x1f; min = 0x80; }
		else if ((c & 0xf0) == 0xe0) { n = 2; cp = c & 0x0f; min = 0x800; }
		else if ((c & 0xf8) == 0xf0) { n = 3; cp = c & 0x07; min = 0x10000; }
		else return 0;
		if (e - s <= n)
			return 0;
		for (int i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		s += n + 1;
	}
	return 1;
}

unsigned utf8_decode(const char *str, size_t *len)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned c = s[0], n, cp, min;
	*len = 1;
	if (c < 0x80)
		return c;
	if ((c & 0xe0) == 0xc0) { n = 1; cp = c & 0x1f; min = 0x80; }
	else if ((c & 0xf0) == 0xe0) { n = 2; cp = c & 0x0f; min = 0x800; }
	else if ((c & 0xf8) == 0xf0) { n = 3; cp = c & 0x07; min = 0x10000; }
	else return 0xfffd;
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

static size_t put_cp(uint32_t c, char *o)
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
	o[0] = (char)(0xE0 | (c >> 12));
	o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
	o[2] = (char)(0x80 | (c & 0x3F));
	return 3;
}

void utf8_fold(const char *str, char *out, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t k = 0;
	while (*s) {
		uint32_t c = *s;
		size_t m = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
		if (k + m >= n)
			break; /* folding never lengthens a character, so this is the input's length too */
		if (m == 2 && (s[1] & 0xC0) == 0x80) {
			k += put_cp(fold_cp(((c & 0x1F) << 6) | (s[1] & 0x3F)), out + k);
			s += 2;
		} else if (m == 1) {
			out[k++] = (char)fold_cp(c);
			s++;
		} else {
			for (size_t i = 0; i < m && *s; i++) /* copied as they are */
				out[k++] = (char)*s++;
		}
	}
	out[k] = 0;
}

/* Plain letters for U+00E0..U+00FF and U+0100..U+017F ('.' keeps the
 * character as it is). */
static const char latin1[] = "aaaaaaaceeeeiiiidnooooo.ouuuuyty";
static const char latin_a[] = "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiiiijjkkklllllll"
			      "lllnnnnnnnnnoooooooorrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";

void utf8_fold_plain(const char *str, char *out, size_t n)
{
	utf8_fold(str, out, n);
	unsigned char *s = (unsigned char *)out, *o = (unsigned char *)out;
	while (*s) {
		if ((s[0] == 0xC3 || s[0] == 0xC4 || s[0] == 0xC5) && (s[1] & 0xC0) == 0x80) {
			uint32_t c = ((s[0] & 0x1Fu) << 6) | (s[1] & 0x3Fu);
			char plain = c >= 0xE0 && c <= 0xFF ? latin1[c - 0xE0] : c >= 0x100 && c <= 0x17F ? latin_a[c - 0x100] : '.';
			if (plain != '.') {
				*o++ = (unsigned char)plain;
				s += 2;
				continue;
			}
		}
		*o++ = *s++;
	}
	*o = 0;
}
