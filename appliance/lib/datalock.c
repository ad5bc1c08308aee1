/* lib/datalock: the data folder's lock file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/datalock.h"

/* The pid written in the lock file (when the kernel does not name one). */
static pid_t pid_in_file(int fd)
{
	char b[32];
	ssize_t n = pread(fd, b, sizeof b - 1, 0);
	if (n <= 0)
		return 0;
	b[n] = 0;
	long v = strtol(b, NULL, 10);
	return v > 0 ? (pid_t)v : 0;
}

int datalock_acquire(const char *dir, pid_t *holder)
{
	char path[600];
	*holder = 0;
	snprintf(path, sizeof path, "%s/fechatter.lock", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0)
		return -1;
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
	if (fcntl(fd, F_SETLK, &fl) == 0) {
		char b[32];
		int n = snprintf(b, sizeof b, "%ld\n", (long)getpid());
		if (ftruncate(fd, 0) == 0 && pwrite(fd, b, (size_t)n, 0) == n)
			return fd;
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	int e = errno;
	if (e == EAGAIN || e == EACCES) {
		struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
		if (fcntl(fd, F_GETLK, &q) == 0 && q.l_type != F_UNLCK && q.l_pid > 0)
			*holder = q.l_pid;
		else
			*holder = pid_in_file(fd);
		if (!*holder)
			*holder = -1; /* held, by an unknown process */
	}
	close(fd);
	errno = e;
	return -1;
}
