/* tests/unit/test_fs_blobs: opening the file blob store (adapters/fs_blobs)
 * clears what a crash mid-upload left in DIR/tmp. The sweep reads the folder
 * with readdir, which a 32-bit build without a 64-bit off_t/ino_t gets wrong
 * on file systems with 64-bit directory offsets or inode numbers (it stops at
 * once with EOVERFLOW, leaving everything behind). */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "testutil.h"
#include "adapters/fs_blobs.h"
#include "lib/log.h"

static void touch(const char *dir, const char *name)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "partial", 7), 7);
	close(fd);
}

static void test_open_clears_leftovers(void **state)
{
	char dir[64] = "/tmp/fe-blobs-XXXXXX", tmp[128];
	assert_non_null(mkdtemp(dir));
	snprintf(tmp, sizeof tmp, "%s/tmp", dir);
	assert_int_equal(mkdir(tmp, 0700), 0);
	char name[32];
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof name, "upload-%d", i);
		touch(tmp, name);
	}
	assert_int_equal(count_entries(tmp), 40);

	struct blobs b = {0};
	assert_int_equal(fs_blobs_open(dir, &b), 0);
	assert_int_equal(count_entries(tmp), 0);
	fs_blobs_free(&b);

	assert_int_equal(rmdir(tmp), 0);
	assert_int_equal(rmdir(dir), 0);
}

static void test_open_creates_folders(void **state)
{
	char dir[64] = "/tmp/fe-blobs-XXXXXX", sub[128], tmp[160];
	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof sub, "%s/files", dir);
	snprintf(tmp, sizeof tmp, "%s/tmp", sub);
	struct blobs b = {0};
	assert_int_equal(fs_blobs_open(sub, &b), 0);
	struct stat st;
	assert_int_equal(stat(tmp, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(count_entries(tmp), 0);
	fs_blobs_free(&b);
	assert_int_equal(rmdir(tmp), 0);
	assert_int_equal(rmdir(sub), 0);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	fe_log_level = LOG_ERR;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_open_clears_leftovers),
	    cmocka_unit_test(test_open_creates_folders),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
