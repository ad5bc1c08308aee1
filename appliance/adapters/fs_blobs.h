/* adapters/fs_blobs: blobs as files under DIR/ab/abcdef... (by SHA-256),
 * written in DIR/tmp, fsynced, renamed, and the folder fsynced. */
#ifndef FE_FS_BLOBS_H
#define FE_FS_BLOBS_H
#include "ports/blobs.h"

/* Prepares dir (creating dir and dir/tmp, clearing leftovers in tmp).
 * Returns 0 or -1 (logged). Free with fs_blobs_free. */
int fs_blobs_open(const char *dir, struct blobs *b);
void fs_blobs_free(struct blobs *b);

#endif
