/* lib/fdio: whole reads and writes on a file descriptor, retried across
 * EINTR and short counts (the one copy of these loops). */
#ifndef FE_FDIO_H
#define FE_FDIO_H
#include <stddef.h>
#include <sys/types.h>

/* Writes all len bytes. Returns 0, or -1 with errno set (nothing says how
 * much was written). */
int fd_write_all(int fd, const void *data, size_t len);

/* Reads until len bytes or end of file. Returns the count (smaller than len
 * only at end of file), or -1 with errno set. */
ssize_t fd_read_full(int fd, void *data, size_t len);

#endif
