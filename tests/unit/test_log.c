/* tests/unit/test_log: lib/log writes to the file given to log_open,
 * suppresses a flood of one repeated line after LOG_BURST lines with one
 * "suppressed N similar lines" summary once the window has passed, leaves
 * different lines alone, and log_reopen moves new lines to a new file of
 * the same name (log rotation). A fake clock drives the windows. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "testutil.h"
#include "lib/log.h"

static int64_t fake_now = 1000;
static int64_t fake_clock(void)
{
	return fake_now;
}

static char dir[64], path[128];
static int saved_stderr = -1;

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/fechatter-log-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof path, "%s/server.log", dir);
	saved_stderr = dup(2);
	log_set_clock(fake_clock);
	fe_log_level = LOG_INFO;
	return log_open(path);
}

static int teardown(void **state)
{
	(void)state;
	log_flush();
	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	log_set_clock(NULL);
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* How many lines of the file at p contain needle. */
static int count_in(const char *p, const char *needle)
{
	fflush(stderr);
	FILE *f = fopen(p, "r");
	if (!f)
		return -1;
	char line[1200];
	int n = 0;
	while (fgets(line, sizeof line, f))
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

static void test_flood_suppressed_then_summarised(void **state)
{
	(void)state;
	for (int i = 0; i < 1000; i++) {
		log_err("lws: accept: errno %d", 24);
		fake_now += 1; /* 1000 lines in one second */
	}
	assert_int_equal(count_in(path, "lws: accept: errno 24"), LOG_BURST);
	assert_int_equal(count_in(path, "suppressed"), 0);
	/* other lines still pass during the flood */
	log_info("main: ready");
	assert_int_equal(count_in(path, "main: ready"), 1);
	/* the window passes: the next line brings the summary */
	fake_now += LOG_WINDOW_MS;
	log_info("main: something else");
	assert_int_equal(count_in(path, "log: suppressed 995 similar lines: lws: accept: errno 24"), 1);
	/* a new window lets the line through again */
	log_err("lws: accept: errno %d", 24);
	assert_int_equal(count_in(path, "lws: accept: errno 24"), LOG_BURST + 2); /* + the summary */
}

static void test_different_and_rare_lines_pass(void **state)
{
	(void)state;
	for (int i = 0; i < 50; i++) {
		log_info("chat: created id=%d", i);
		fake_now += 10;
	}
	assert_int_equal(count_in(path, "chat: created id="), 50);
	/* the same line, once a window: never suppressed */
	for (int i = 0; i < 20; i++) {
		log_warn("store: slow");
		fake_now += LOG_WINDOW_MS;
	}
	assert_int_equal(count_in(path, "store: slow"), 20);
	assert_int_equal(count_in(path, "suppressed"), 0);
}

static void test_flush_writes_pending_summary(void **state)
{
	(void)state;
	for (int i = 0; i < LOG_BURST + 3; i++)
		log_warn("http: refused");
	assert_int_equal(count_in(path, "suppressed"), 0);
	log_flush();
	assert_int_equal(count_in(path, "log: suppressed 3 similar lines: http: refused"), 1);
	log_flush(); /* nothing pending: nothing more */
	assert_int_equal(count_in(path, "suppressed"), 1);
}

static void test_reopen_after_rename(void **state)
{
	(void)state;
	char old[160];
	snprintf(old, sizeof old, "%s.1", path);
	log_info("before rotation");
	assert_int_equal(rename(path, old), 0);
	log_info("after rename, before reopen"); /* still the renamed file */
	log_reopen();
	log_info("after reopen");
	assert_int_equal(count_in(old, "before rotation"), 1);
	assert_int_equal(count_in(old, "after rename, before reopen"), 1);
	assert_int_equal(count_in(old, "after reopen"), 0);
	assert_int_equal(count_in(path, "after reopen"), 1);
	assert_int_equal(count_in(path, "before"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_flood_suppressed_then_summarised, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_different_and_rare_lines_pass, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_flush_writes_pending_summary, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reopen_after_rename, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
