/* lib/utf8: validation and counting of UTF-8 text. */
#ifndef FE_UTF8_H
#define FE_UTF8_H
#include <stddef.h>

/* 1 when s[0..len) is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
int utf8_valid(const char *s, size_t len);

/* Number of code points in a valid UTF-8 string. */
size_t utf8_chars(const char *s);

/* 1 when s contains a control character other than \n and \t (C0, DEL, C1). */
int utf8_has_controls(const char *s, int allow_newlines);

#endif
