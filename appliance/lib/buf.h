/* lib/buf: a growable text buffer. Allocation failure aborts. */
#ifndef FE_BUF_H
#define FE_BUF_H
#include <stddef.h>

struct buf {
	char *p; /* NUL-terminated once anything was added; owned */
	size_t len, cap;
};

void buf_add(struct buf *b, const char *s);
void buf_addn(struct buf *b, const char *s, size_t n);
void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Frees the contents; the buffer can be reused. */
void buf_free(struct buf *b);

#endif
