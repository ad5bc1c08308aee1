/* http/range: the Range request header (RFC 9110 §14.2), single byte
 * ranges only. Pure: no request, no libwebsockets. */
#ifndef FE_RANGE_H
#define FE_RANGE_H
#include <stdint.h>

/* Parses h ("bytes=a-b", "bytes=a-", "bytes=-n"; NUL-terminated) against a
 * file of size bytes. Returns 1 with [*off, *off + *len) inside the file
 * for a satisfiable single range, 0 for a malformed or unsupported header
 * (serve the whole file; *off and *len untouched), -1 when unsatisfiable. */
int range_parse(const char *h, int64_t size, int64_t *off, int64_t *len);

#endif
