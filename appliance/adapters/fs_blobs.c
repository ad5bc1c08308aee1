/* adapters/fs_blobs: content-addressed files on the local file system. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "adapters/fs_blobs.h"
#include "lib/err.h"
#include "lib/fdio.h"
#include "lib/log.h"
#include "lib/xalloc.h"

struct fsb {
	char dir[400];
	unsigned seq;
};

struct blob_writer {
	int fd;
	char tmp[512];
	int64_t size;
	crypto_hash_sha256_state h;
};

static int errno_rc(int e)
{
	return e == ENOSPC || e == EDQUOT ? FE_ENOSPC : FE_EUNAVAIL;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

static int b_begin(void *p, struct blob_writer **out)
{
	struct fsb *b = p;
	struct blob_writer *w = xcalloc(1, sizeof *w);
	snprintf(w->tmp, sizeof w->tmp, "%s/tmp/up-%d-%u", b->dir, (int)getpid(), b->seq++);
	w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (w->fd < 0) {
		int e = errno;
		log_err("blobs: cannot create %s: %s", w->tmp, strerror(e));
		free(w);
		return errno_rc(e);
	}
	crypto_hash_sha256_init(&w->h);
	*out = w;
	return 0;
}

static int b_write(void *p, struct blob_writer *w, const void *data, size_t len)
{
	const char *d = data;
	crypto_hash_sha256_update(&w->h, data, len);
	w->size += (int64_t)len;
	if (fd_write_all(w->fd, d, len))
		return errno_rc(errno);
	return 0;
}

static void b_abort(void *p, struct blob_writer *w)
{
	if (!w)
		return;
	close(w->fd);
	unlink(w->tmp);
	free(w);
}

static int b_commit(void *p, struct blob_writer *w, char sha[65], int64_t *size)
{
	struct fsb *b = p;
	unsigned char h[crypto_hash_sha256_BYTES];
	char sub[420], final[512];
	crypto_hash_sha256_final(&w->h, h);
	sodium_bin2hex(sha, 65, h, sizeof h);
	*size = w->size;
	if (fsync(w->fd)) {
		int e = errno;
		b_abort(p, w);
		return errno_rc(e);
	}
	snprintf(sub, sizeof sub, "%s/%.2s", b->dir, sha);
	snprintf(final, sizeof final, "%s/%s", sub, sha);
	if (mkdir(sub, 0700) && errno != EEXIST) {
		int e = errno;
		b_abort(p, w);
		return errno_rc(e);
	}
	struct stat st;
	if (!stat(final, &st) && st.st_size == w->size) {
		b_abort(p, w); /* the same content is already there */
		return 0;
	}
	if (rename(w->tmp, final)) {
		int e = errno;
		b_abort(p, w);
		return errno_rc(e);
	}
	close(w->fd);
	free(w);
	fsync_dir(sub);
	return 0;
}

static int b_open(void *p, const char *sha, int *fd, int64_t *size)
{
	struct fsb *b = p;
	if (strlen(sha) != 64 || strspn(sha, "0123456789abcdef") != 64)
		return FE_ENOTFOUND;
	char path[512];
	snprintf(path, sizeof path, "%s/%.2s/%s", b->dir, sha, sha);
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return FE_ENOTFOUND;
	struct stat st;
	if (fstat(*fd, &st)) {
		close(*fd);
		return FE_EUNAVAIL;
	}
	*size = st.st_size;
	return 0;
}

static const struct blobs_ops ops = {b_begin, b_write, b_commit, b_abort, b_open};

int fs_blobs_open(const char *dir, struct blobs *out)
{
	struct fsb *b = xcalloc(1, sizeof *b);
	snprintf(b->dir, sizeof b->dir, "%s", dir);
	char tmp[420];
	snprintf(tmp, sizeof tmp, "%s/tmp", dir);
	if ((mkdir(dir, 0700) && errno != EEXIST) || (mkdir(tmp, 0700) && errno != EEXIST)) {
		log_err("blobs: cannot create %s: %s", tmp, strerror(errno));
		free(b);
		return -1;
	}
	DIR *d = opendir(tmp); /* leftovers of a crash mid-upload */
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[700];
		snprintf(path, sizeof path, "%s/%s", tmp, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	out->ops = &ops;
	out->impl = b;
	return 0;
}

void fs_blobs_free(struct blobs *b)
{
	if (b && b->impl) {
		free(b->impl);
		b->impl = NULL;
	}
}
