/* lib/tar: a small POSIX ustar writer and a strict reader, for the backup
 * archive (adapters/backup). Regular files and directories only; names of
 * at most 99 bytes (no prefix field); sizes beyond the octal field (8 GiB)
 * in GNU's base-256 form, which GNU tar and bsdtar read. The reader refuses
 * anything else (links, devices, pax/GNU extension headers, a bad checksum,
 * a cut archive) with a reason, so a caller never acts on half an archive.
 * Both work on a file descriptor the caller owns; no allocation. */
#ifndef FE_TAR_H
#define FE_TAR_H
#include <stdint.h>
#include <time.h>

#define TAR_NAME_MAX 99

struct tar_writer {
	int fd;
	int64_t left;    /* bytes of the current member still to write */
	int64_t written; /* archive bytes so far */
};

/* Starts an archive on fd (open for writing; not closed here). */
void tar_writer_init(struct tar_writer *w, int fd);

/* Writes the header of a regular file (or, with dir set, a directory and
 * size 0) named name, mode (e.g. 0600), mtime; the size bytes follow with
 * tar_write. Returns 0, or -1 with errno set (EINVAL: name too long or the
 * previous member not complete). */
int tar_add(struct tar_writer *w, const char *name, int64_t size, int dir, unsigned mode, time_t mtime);

/* Appends len bytes of the current member's data (at most what its size
 * leaves); pads the member to 512 bytes when it is complete. Returns 0 or
 * -1 with errno set (EINVAL: more than the size announced). */
int tar_write(struct tar_writer *w, const void *data, size_t len);

/* Writes the two zero blocks that end an archive. Returns 0 or -1 (errno);
 * EINVAL when a member is incomplete. */
int tar_finish(struct tar_writer *w);

struct tar_reader {
	int fd;
	int64_t left; /* data bytes of the current member not read yet */
	int pad;      /* padding bytes after them */
	int ended;    /* the end-of-archive blocks were read */
	int64_t offset;
};

struct tar_entry {
	char name[TAR_NAME_MAX + 1];
	int64_t size;
	int dir; /* 1: a directory */
	unsigned mode;
	int64_t mtime;
};

/* Starts reading an archive from fd (not closed here). */
void tar_reader_init(struct tar_reader *r, int fd);

/* Moves to the next member, skipping whatever is left of the current one.
 * Returns 1 with *e filled, 0 at the end of the archive (the two zero
 * blocks), or -1 with a reason in err (errlen bytes): a read error, a cut
 * archive, not a tar file, a bad checksum, or a member type other than a
 * regular file or a directory. */
int tar_next(struct tar_reader *r, struct tar_entry *e, char *err, size_t errlen);

/* Reads up to len bytes of the current member's data into buf. Returns the
 * count (0 once the member is done), or -1 with a reason in err (read
 * error, cut archive). */
int64_t tar_read(struct tar_reader *r, void *buf, size_t len, char *err, size_t errlen);

#endif
