/* core/file: uploaded files: registration after the bytes are stored (type
 * sniffed from the content, deduplicated by SHA-256) and access checks for
 * downloads (uploader, or member of a chat whose message references it). */
#ifndef FE_FILE_H
#define FE_FILE_H
#include <stddef.h>
#include "core/app.h"
#include "lib/err.h"
#include "ports/model.h"

/* Registers a stored blob for p. head: the first bytes (for sniffing);
 * filename: the client's name (cleaned, for Content-Disposition only). */
int file_register(struct app *app, const struct principal *p, const char *sha256, int64_t size,
		  const unsigned char *head, size_t headlen, const char *filename, struct file_rec *out,
		  struct fe_err *e);

/* Opens "<sha256>.<ext>" for p: *fd (caller closes), *f. FE_ENOTFOUND for
 * anything p may not read, a malformed name, or a wrong extension. */
int file_open(struct app *app, const struct principal *p, const char *name, struct file_rec *f, int *fd,
	      int64_t *size, struct fe_err *e);

/* The id of the file behind url ("/api/files/<sha256>.<ext>") that p may
 * read; FE_EINVAL naming field "files" otherwise. */
int file_resolve_url(struct app *app, const struct principal *p, const char *url, int64_t *id, struct fe_err *e);

/* 1 when the file's type may be shown inline (raster images). */
int file_inline(const struct file_rec *f);

#endif
