/* lib/xalloc: the aborting allocator family. Running out of memory is not an
 * error the server recovers from: each of these writes one log line
 * ("xalloc: out of memory ...") and aborts instead of returning NULL, so
 * callers never test the result. Memory is plain heap memory: free it with
 * free(). Places that answer a client's oversized request with ENOMEM keep
 * calling malloc and testing for NULL. */
#ifndef FE_XALLOC_H
#define FE_XALLOC_H
#include <stddef.h>

/* malloc(n) (at least one byte); never NULL. */
void *xmalloc(size_t n);

/* calloc(n, size) (at least one byte, overflow checked); never NULL. */
void *xcalloc(size_t n, size_t size);

/* realloc(p, n) (at least one byte); never NULL. p is NULL or owned by the
 * caller, and is invalid afterwards. */
void *xrealloc(void *p, size_t n);

/* strdup(s) / strndup(s, n); never NULL. */
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Points cJSON's allocator at xmalloc and free, so that cJSON's allocation
 * failures abort the same way. Call once at start-up, before threads. */
void xalloc_cjson_hooks(void);

#endif
