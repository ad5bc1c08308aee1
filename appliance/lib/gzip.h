/* lib/gzip: gzip bodies (RFC 1952, zlib) and the Accept-Encoding rule that
 * decides whether a client takes them. */
#ifndef FE_GZIP_H
#define FE_GZIP_H
#include <stddef.h>

/* Answers at least this long are worth compressing (smaller ones fit one
 * packet either way). */
#define GZIP_MIN_BYTES 1024
/* The level of an answer compressed for one request (cheap), and of one
 * compressed once and kept (a cached page: smaller). */
#define GZIP_LEVEL_LIVE 1
#define GZIP_LEVEL_KEPT 6

/* Compresses in[0..n) into one gzip member at level (1..9) into *out
 * (owned, free()) and *out_len. Returns 0, or -1 when zlib fails (out of
 * memory); *out is then NULL. Deterministic: no name, mtime 0. */
int gzip_compress(const void *in, size_t n, int level, char **out, size_t *out_len);

/* Decompresses one gzip member in[0..n) into *out (owned, free(); NUL
 * added after the *out_len bytes for convenience). Returns 0, or -1 when in
 * is not one complete gzip member or memory ran out; *out is then NULL. */
int gzip_inflate(const void *in, size_t n, char **out, size_t *out_len);

/* 1 when an Accept-Encoding value (NULL: no header) accepts gzip: "gzip" or
 * "x-gzip" listed with a q above 0, or, when neither is listed, "*" with a
 * q above 0. Case-insensitive; a malformed q counts as 0 (identity is
 * always acceptable to send, so doubt means no gzip). */
int gzip_accepted(const char *accept_encoding);

#endif
