/* tests/unit/testutil.h: the whole unit-test harness: cmocka plus helpers. */
#ifndef FE_TESTUTIL_H
#define FE_TESTUTIL_H
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

/* The number of entries of dir, "." and ".." aside (fails the test when dir
 * cannot be opened). */
static inline int count_entries(const char *dir)
{
	int n = 0;
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}
#endif
