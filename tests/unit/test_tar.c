/* tests/unit/test_tar: the ustar writer and strict reader (lib/tar): a
 * round trip through a real file, GNU tar reading what we write, the
 * refusals (links, bad checksums, a cut archive, not a tar), and sizes past
 * the octal field in base-256. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "testutil.h"
#include "lib/tar.h"

static char path[64];

static int setup(void **state)
{
	snprintf(path, sizeof path, "/tmp/fechatter_tar_XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	unlink(path);
	return 0;
}

/* Writes an archive: a.txt ("hello"), files/ (a folder), files/b (600 bytes). */
static void write_sample(void)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	struct tar_writer w;
	tar_writer_init(&w, fd);
	assert_int_equal(tar_add(&w, "a.txt", 5, 0, 0600, 1700000000), 0);
	assert_int_equal(tar_write(&w, "hel", 3), 0);
	assert_int_equal(tar_write(&w, "lo", 2), 0);
	assert_int_equal(tar_add(&w, "files/", 0, 1, 0700, 1700000000), 0);
	char big[600];
	memset(big, 'x', sizeof big);
	assert_int_equal(tar_add(&w, "files/b", sizeof big, 0, 0600, 1700000000), 0);
	assert_int_equal(tar_write(&w, big, sizeof big), 0);
	assert_int_equal(tar_finish(&w), 0);
	assert_int_equal(w.written, 512 + 512 + 512 + 512 + 1024 + 1024);
	close(fd);
}

static void test_round_trip(void **state)
{
	write_sample();
	int fd = open(path, O_RDONLY);
	struct tar_reader r;
	struct tar_entry e;
	char err[256], buf[1024];
	tar_reader_init(&r, fd);
	assert_int_equal(tar_next(&r, &e, err, sizeof err), 1);
	assert_string_equal(e.name, "a.txt");
	assert_int_equal(e.size, 5);
	assert_int_equal(e.mtime, 1700000000);
	assert_int_equal(e.mode, 0600);
	assert_int_equal(tar_read(&r, buf, sizeof buf, err, sizeof err), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(tar_next(&r, &e, err, sizeof err), 1);
	assert_string_equal(e.name, "files/");
	assert_int_equal(e.dir, 1);
	assert_int_equal(tar_next(&r, &e, err, sizeof err), 1);
	assert_string_equal(e.name, "files/b");
	assert_int_equal(e.size, 600);
	/* not read: tar_next skips it */
	assert_int_equal(tar_next(&r, &e, err, sizeof err), 0);
	assert_int_equal(tar_next(&r, &e, err, sizeof err), 0);
	close(fd);
}

static void test_gnu_tar_reads_it(void **state)
{
	write_sample();
	char cmd[200], line[200];
	snprintf(cmd, sizeof cmd, "tar tvf %s 2>&1", path);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	int n = 0, b = 0;
	while (fgets(line, sizeof line, p)) {
		n++;
		b |= strstr(line, " 600 ") && strstr(line, "files/b");
	}
	assert_int_equal(pclose(p), 0);
	assert_int_equal(n, 3);
	assert_true(b);
}

/* Rewrites byte at of the archive with v, fixing the checksum when fix. */
static void poke(off_t at, unsigned char v, int fix)
{
	int fd = open(path, O_RDWR);
	unsigned char h[512];
	assert_int_equal(pread(fd, h, 512, 0), 512);
	h[at] = v;
	if (fix) {
		unsigned sum = 0;
		for (int i = 0; i < 512; i++)
			sum += (i >= 148 && i < 156) ? ' ' : h[i];
		snprintf((char *)h + 148, 8, "%06o", sum);
		h[155] = ' ';
	}
	assert_int_equal(pwrite(fd, h, 512, 0), 512);
	close(fd);
}

static int first_error(char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY);
	struct tar_reader r;
	struct tar_entry e;
	tar_reader_init(&r, fd);
	int rc;
	while ((rc = tar_next(&r, &e, err, errlen)) == 1)
		;
	close(fd);
	return rc;
}

static void test_refusals(void **state)
{
	char err[256];
	write_sample();
	poke(156, '2', 1); /* a symbolic link */
	assert_int_equal(first_error(err, sizeof err), -1);
	assert_non_null(strstr(err, "not a regular file"));

	write_sample();
	poke(0, 'b', 0); /* name changed, checksum not */
	assert_int_equal(first_error(err, sizeof err), -1);
	assert_non_null(strstr(err, "checksum"));

	write_sample();
	poke(257, 'x', 1); /* no ustar magic */
	assert_int_equal(first_error(err, sizeof err), -1);
	assert_non_null(strstr(err, "not a tar"));

	write_sample();
	assert_int_equal(truncate(path, 512 + 300), 0); /* inside a.txt's block */
	assert_int_equal(first_error(err, sizeof err), -1);
	assert_non_null(strstr(err, "cut short"));

	write_sample();
	assert_int_equal(truncate(path, 4 * 512 + 512), 0); /* one end block only */
	assert_int_equal(first_error(err, sizeof err), -1);
	assert_non_null(strstr(err, "cut short"));

	assert_int_equal(truncate(path, 0), 0);
	assert_int_equal(first_error(err, sizeof err), -1);
}

static void test_writer_limits_and_base256(void **state)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	struct tar_writer w;
	tar_writer_init(&w, fd);
	char name[TAR_NAME_MAX + 2];
	memset(name, 'n', sizeof name - 1);
	name[sizeof name - 1] = 0;
	assert_int_equal(tar_add(&w, name, 1, 0, 0600, 0), -1); /* 100 bytes: too long */
	assert_int_equal(tar_add(&w, "x", 2, 0, 0600, 0), 0);
	assert_int_equal(tar_write(&w, "abc", 3), -1); /* more than announced */
	assert_int_equal(tar_finish(&w), -1);          /* incomplete */
	close(fd);
	/* 9 GiB does not fit 11 octal digits: base-256, read back the same */
	fd = open(path, O_WRONLY | O_TRUNC);
	tar_writer_init(&w, fd);
	int64_t big = (int64_t)9 << 30;
	assert_int_equal(tar_add(&w, "big", big, 0, 0600, 0), 0);
	close(fd);
	fd = open(path, O_RDONLY);
	struct tar_reader r;
	struct tar_entry e;
	char err[256];
	tar_reader_init(&r, fd);
	assert_int_equal(tar_next(&r, &e, err, sizeof err), 1);
	assert_int_equal(e.size, big);
	close(fd);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {T(test_round_trip), T(test_gnu_tar_reads_it), T(test_refusals),
	                                   T(test_writer_limits_and_base256)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
