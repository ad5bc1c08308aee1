/* lib/sniff: the type of a file from its first bytes, never from the name
 * or the type a client claims. */
#ifndef FE_SNIFF_H
#define FE_SNIFF_H
#include <stddef.h>

struct sniffed {
	const char *mime; /* e.g. "image/png" */
	const char *ext;  /* e.g. "png" */
	int inline_ok;    /* safe to show inline (raster images) */
};

/* Decides from head (the first len bytes, up to 512 are looked at);
 * complete = 1 when head is the whole file (lets short files be text). */
struct sniffed sniff(const unsigned char *head, size_t len, int complete);

/* The type for a known extension, or NULL. */
const struct sniffed *sniff_by_ext(const char *ext);

#endif
