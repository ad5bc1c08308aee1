/* lib/embedded: files compiled into the binary (web/ assets, schema/ SQL).
 * The table is generated at build time by packaging/embed.sh. */
#ifndef FE_EMBEDDED_H
#define FE_EMBEDDED_H
#include <stddef.h>

struct embedded_file {
	const char *path;          /* as in the source tree, e.g. "web/index.html" */
	const unsigned char *data; /* NUL-terminated for convenience, len excludes it */
	size_t len;
	const char *etag; /* quoted strong ETag */
	/* the gzip form (web assets of 1 KiB or more that compress), else NULL
	 * and 0; its own strong ETag (another representation) */
	const unsigned char *gz;
	size_t gz_len;
	const char *gz_etag;
};

/* Terminated by an entry whose path is NULL. */
extern const struct embedded_file embedded_files[];

/* Returns the entry whose path equals path, or NULL. Borrowed, static. */
const struct embedded_file *embedded_find(const char *path);

#endif
