/* lib/utf8: validation and counting of UTF-8 text. */
#ifndef FE_UTF8_H
#define FE_UTF8_H
#include <stddef.h>

/* 1 when s[0..len) is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
int utf8_valid(const char *s, size_t len);

/* Decodes the code point at s, reading at most avail bytes (avail >= 1).
 * Sets *len to its length in bytes, 1..4. A byte that does not start a
 * well-formed sequence within avail bytes (no overlongs, no surrogates,
 * <= U+10FFFF) decodes as U+FFFD with *len = 1. This is the decoder of the
 * whole program: everything that reads code points calls it. */
unsigned utf8_decode_n(const char *s, size_t avail, size_t *len);

/* utf8_decode_n for s that may be any bytes, NUL-terminated or not: a byte
 * after a NUL or after an unexpected byte is never read. */
unsigned utf8_decode(const char *s, size_t *len);

/* Writes code point c (<= U+10FFFF) at out as UTF-8; returns its length 1..4. */
size_t utf8_encode(unsigned c, char *out);

/* Number of code points in a valid UTF-8 string. */
size_t utf8_chars(const char *s);

/* 1 when s contains a control character other than \n and \t (C0, DEL, C1). */
int utf8_has_controls(const char *s, int allow_newlines);

/* Writes a case-folded copy of s into out (at most n bytes with the NUL):
 * ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic capitals become
 * small letters; everything else is copied. The result is never longer
 * than the input. */
void utf8_fold(const char *s, char *out, size_t n);

/* The bytes that hold a UTF-8 text of at most chars characters (4 bytes
 * each at most) with its NUL: a buffer such as char name[UTF8_BUF(50)]. */
#define UTF8_BUF(chars) ((chars)*4 + 4)

/* 1 when the JSON text s (len bytes, need not be NUL-terminated) holds a NUL
 * character: a raw zero byte, or a \u0000 escape inside a string (cJSON
 * would cut the value there). 0 otherwise, the text \\u0000 included. */
int json_has_nul(const char *s, size_t len);

#endif
