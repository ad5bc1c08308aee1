/* ports/blobs: content-addressed file storage. A blob is written through a
 * writer into a temporary place, made durable, then published under its
 * SHA-256: a crash never leaves a half blob under its final name, and the
 * same content is stored once. */
#ifndef FE_BLOBS_H
#define FE_BLOBS_H
#include <stddef.h>
#include <stdint.h>

struct blob_writer;

/* Callers: the upload handler (http/upload.c: begin, write, commit, abort)
 * and core/file (open), on the loop thread. Every function returns 0 or a
 * negative FE_E* code: FE_ENOSPC when the disk is full, FE_EUNAVAIL or
 * FE_EINTERNAL when the folder cannot be written, besides those named. */

struct blobs_ops {
	/* Starts a new blob. Returns 0 or FE_E* (FE_ENOSPC, FE_EUNAVAIL). */
	int (*begin)(void *b, struct blob_writer **w);
	/* Appends bytes. Returns 0 or FE_E* (FE_ENOSPC when the disk is full). */
	int (*write)(void *b, struct blob_writer *w, const void *data, size_t len);
	/* Syncs and publishes under its SHA-256 (content already stored: the
	 * new copy is dropped); fills sha256 (hex) and size; frees w either
	 * way (nothing is published on an error). */
	int (*commit)(void *b, struct blob_writer *w, char sha256[65], int64_t *size);
	/* Discards an unfinished blob; frees w. NULL-safe. */
	void (*abort)(void *b, struct blob_writer *w);
	/* Opens a published blob for reading: *fd (caller closes) and *size.
	 * FE_ENOTFOUND when absent or sha256 is not 64 lowercase hex digits. */
	int (*open)(void *b, const char *sha256, int *fd, int64_t *size);
};

struct blobs {
	const struct blobs_ops *ops;
	void *impl;
};

#endif
