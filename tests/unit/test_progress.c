/* tests/unit/test_progress: the long-command progress line (lib/progress):
 * percent, rate and time left from a known clock; unknown totals; plain
 * output (not a terminal) writes the final summary line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "lib/progress.h"

static void test_format_known_total(void **state)
{
	struct progress p;
	progress_begin(&p, "export", 1000, "rows");
	p.done = 250;
	char line[256];
	progress_format(&p, p.started_ms + 1000, line, sizeof line);
	/* 250 rows in 1 s: 250 rows/s, 750 left → 3 s */
	assert_string_equal(line, "export 25% 250/1000 rows, 250 rows/s, 3s left");
	p.done = 1000;
	progress_format(&p, p.started_ms + 200000, line, sizeof line);
	assert_string_equal(line, "export 100% 1000/1000 rows, 5 rows/s, 0s left");
}

static void test_format_unknown_total_and_no_time(void **state)
{
	struct progress p;
	progress_begin(&p, "import", 0, "rows");
	p.done = 42;
	char line[256];
	progress_format(&p, p.started_ms, line, sizeof line);
	assert_string_equal(line, "import 42 rows, 0 rows/s");
	progress_begin(&p, "files", 10, "files");
	progress_format(&p, p.started_ms, line, sizeof line);
	assert_string_equal(line, "files 0% 0/10 files, 0 files/s, ? left");
	/* long waits read as minutes and hours */
	p.done = 1;
	progress_format(&p, p.started_ms + 100000, line, sizeof line);
	assert_string_equal(line, "files 10% 1/10 files, 0 files/s, 15m00s left");
}

static void test_plain_output(void **state)
{
	struct progress p;
	progress_begin(&p, "backup", 3, "files");
	FILE *f = tmpfile();
	assert_non_null(f);
	p.out = f;
	p.tty = 0;
	for (uint64_t i = 1; i <= 3; i++)
		progress_update(&p, i); /* within PROGRESS_PLAIN_MS: no line yet */
	progress_end(&p);
	rewind(f);
	char text[512] = {0};
	size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	assert_true(n > 0);
	assert_non_null(strstr(text, "backup done: 3 files in "));
	assert_null(strchr(text, '\r'));                    /* no redraws into a log */
	assert_ptr_equal(strchr(text, '\n'), text + n - 1); /* one line */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_format_known_total),
	    cmocka_unit_test(test_format_unknown_total_and_no_time),
	    cmocka_unit_test(test_plain_output),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
