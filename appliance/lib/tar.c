/* lib/tar: see tar.h. The ustar header layout (POSIX.1-1988):
 * name 0..99, mode 100, uid 108, gid 116, size 124 (12), mtime 136 (12),
 * chksum 148 (8), typeflag 156, linkname 157, magic 257 "ustar\0",
 * version 263 "00", uname 265, gname 297, devmajor 329, devminor 337,
 * prefix 345 (155). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "lib/fdio.h"
#include "lib/tar.h"

#define BLOCK 512

static void octal(char *field, size_t width, uint64_t v)
{
	/* width-1 digits and a NUL (callers keep v within them) */
	field[width - 1] = 0;
	for (size_t i = width - 1; i-- > 0; v >>= 3)
		field[i] = (char)('0' + (v & 7));
}

static unsigned checksum(const unsigned char *h)
{
	unsigned sum = 0;
	for (int i = 0; i < BLOCK; i++)
		sum += (i >= 148 && i < 156) ? ' ' : h[i];
	return sum;
}

void tar_writer_init(struct tar_writer *w, int fd)
{
	memset(w, 0, sizeof *w);
	w->fd = fd;
}

int tar_add(struct tar_writer *w, const char *name, int64_t size, int dir, unsigned mode, time_t mtime)
{
	size_t n = strlen(name);
	if (w->left || !n || n > TAR_NAME_MAX || size < 0 || (dir && size)) {
		errno = EINVAL;
		return -1;
	}
	unsigned char h[BLOCK] = {0};
	memcpy(h, name, n);
	octal((char *)h + 100, 8, mode & 07777);
	octal((char *)h + 108, 8, 0);
	octal((char *)h + 116, 8, 0);
	if ((uint64_t)size < 077777777777ULL) {
		octal((char *)h + 124, 12, (uint64_t)size);
	} else { /* GNU base-256: a high bit, then the value big-endian */
		h[124] = 0x80;
		for (int i = 0; i < 8; i++)
			h[135 - i] = (unsigned char)((uint64_t)size >> (8 * i));
	}
	octal((char *)h + 136, 12, mtime > 0 ? (uint64_t)mtime : 0);
	h[156] = dir ? '5' : '0';
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	snprintf((char *)h + 148, 8, "%06o", checksum(h));
	h[155] = ' ';
	if (fd_write_all(w->fd, h, BLOCK))
		return -1;
	w->written += BLOCK;
	w->left = size;
	return 0;
}

int tar_write(struct tar_writer *w, const void *data, size_t len)
{
	if ((int64_t)len > w->left) {
		errno = EINVAL;
		return -1;
	}
	if (len && fd_write_all(w->fd, data, len))
		return -1;
	w->left -= (int64_t)len;
	w->written += (int64_t)len;
	if (!w->left && w->written % BLOCK) {
		static const char zero[BLOCK];
		size_t pad = BLOCK - (size_t)(w->written % BLOCK);
		if (fd_write_all(w->fd, zero, pad))
			return -1;
		w->written += (int64_t)pad;
	}
	return 0;
}

int tar_finish(struct tar_writer *w)
{
	static const char zero[2 * BLOCK];
	if (w->left) {
		errno = EINVAL;
		return -1;
	}
	if (fd_write_all(w->fd, zero, sizeof zero))
		return -1;
	w->written += (int64_t)sizeof zero;
	return 0;
}

void tar_reader_init(struct tar_reader *r, int fd)
{
	memset(r, 0, sizeof *r);
	r->fd = fd;
}

/* Parses an octal (or base-256) number field; -1 when malformed. */
static int64_t number(const unsigned char *f, size_t width)
{
	if (f[0] & 0x80) {
		if (width != 12 || f[0] != 0x80 || f[1] || f[2] || f[3] || (f[4] & 0x80))
			return -1;
		int64_t v = 0;
		for (size_t i = 4; i < width; i++)
			v = (v << 8) | f[i];
		return v;
	}
	size_t i = 0;
	int64_t v = 0;
	while (i < width && f[i] == ' ')
		i++;
	int digits = 0;
	for (; i < width && f[i] >= '0' && f[i] <= '7'; i++, digits++) {
		if (v > (INT64_MAX >> 3))
			return -1;
		v = v * 8 + (f[i] - '0');
	}
	for (; i < width; i++)
		if (f[i] != ' ' && f[i] != 0)
			return -1;
	return digits ? v : -1;
}

static int skip(struct tar_reader *r, char *err, size_t errlen)
{
	char buf[8192];
	while (r->left) {
		int64_t n = tar_read(r, buf, sizeof buf, err, errlen);
		if (n < 0)
			return -1;
	}
	return 0;
}

int tar_next(struct tar_reader *r, struct tar_entry *e, char *err, size_t errlen)
{
	unsigned char h[BLOCK];
	if (r->ended)
		return 0;
	if (skip(r, err, errlen))
		return -1;
	if (r->pad) {
		ssize_t n = fd_read_full(r->fd, h, (size_t)r->pad);
		if (n != r->pad) {
			snprintf(err, errlen, "the archive is cut short (at byte %lld)",
			         (long long)r->offset);
			return -1;
		}
		r->offset += r->pad;
		r->pad = 0;
	}
	ssize_t n = fd_read_full(r->fd, h, BLOCK);
	if (n < 0) {
		snprintf(err, errlen, "cannot read the archive: %s", strerror(errno));
		return -1;
	}
	if (n != BLOCK) {
		snprintf(err, errlen, "the archive is cut short (at byte %lld)", (long long)r->offset);
		return -1;
	}
	r->offset += BLOCK;
	int zero = 1;
	for (int i = 0; i < BLOCK && zero; i++)
		zero = !h[i];
	if (zero) { /* the end: a second zero block must follow */
		n = fd_read_full(r->fd, h, BLOCK);
		int z2 = n == BLOCK;
		for (int i = 0; z2 && i < BLOCK; i++)
			z2 = !h[i];
		if (!z2) {
			snprintf(err, errlen, "the archive is cut short or damaged (at byte %lld)",
			         (long long)r->offset);
			return -1;
		}
		r->offset += BLOCK;
		r->ended = 1;
		return 0;
	}
	if (memcmp(h + 257, "ustar", 5)) {
		snprintf(err, errlen, "not a tar archive (no ustar header at byte %lld)",
		         (long long)r->offset - BLOCK);
		return -1;
	}
	int64_t sum = number(h + 148, 8);
	if (sum < 0 || (unsigned)sum != checksum(h)) {
		snprintf(err, errlen, "damaged archive: bad header checksum at byte %lld",
		         (long long)r->offset - BLOCK);
		return -1;
	}
	memset(e, 0, sizeof *e);
	if (h[345]) { /* a prefix: names longer than ours ever are */
		snprintf(err, errlen, "unexpected member name (with a prefix) at byte %lld",
		         (long long)r->offset - BLOCK);
		return -1;
	}
	memcpy(e->name, h, 100 > TAR_NAME_MAX ? TAR_NAME_MAX : 100);
	if (h[99]) {
		snprintf(err, errlen, "member name too long at byte %lld", (long long)r->offset - BLOCK);
		return -1;
	}
	char type = (char)h[156];
	if (type != '0' && type != 0 && type != '5') {
		snprintf(err, errlen, "member %.99s is not a regular file or a folder (type '%c'): refused",
		         e->name, type >= 32 && type < 127 ? type : '?');
		return -1;
	}
	e->dir = type == '5';
	e->size = number(h + 124, 12);
	e->mtime = number(h + 136, 12);
	int64_t mode = number(h + 100, 8);
	if (e->size < 0 || e->mtime < 0 || mode < 0 || (e->dir && e->size)) {
		snprintf(err, errlen, "damaged header of member %.99s", e->name);
		return -1;
	}
	e->mode = (unsigned)mode & 07777;
	r->left = e->size;
	r->pad = (int)((BLOCK - e->size % BLOCK) % BLOCK);
	return 1;
}

int64_t tar_read(struct tar_reader *r, void *buf, size_t len, char *err, size_t errlen)
{
	if ((int64_t)len > r->left)
		len = (size_t)r->left;
	if (!len)
		return 0;
	ssize_t n = fd_read_full(r->fd, buf, len);
	if (n < 0) {
		snprintf(err, errlen, "cannot read the archive: %s", strerror(errno));
		return -1;
	}
	if ((size_t)n != len) {
		snprintf(err, errlen, "the archive is cut short (at byte %lld)", (long long)(r->offset + n));
		return -1;
	}
	r->left -= n;
	r->offset += n;
	return n;
}
