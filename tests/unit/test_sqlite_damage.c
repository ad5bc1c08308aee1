/* tests/unit/test_sqlite_damage: a damaged database file (adapters
 * sqlite_store/sqlite_util). The check passes on a sound file; corruption
 * met by any connection of the process (here a plain sqlite3 connection,
 * as a search worker's would be) marks the store damaged through SQLite's
 * error log, after which ping and statements answer FE_ECORRUPT, the
 * error detail is 503 DATABASE_CORRUPT, and the offline check fails. The
 * damaged flag is process-wide and sticky, so the tests run in order. */
#define TESTAPP_STORE_ONLY
#include <fcntl.h>
#include <sqlite3.h>
#include "testapp.h"

static char path[64];
static int64_t ws_id;

static int64_t scalar(const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	int64_t v = -1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return v;
}

static void test_sound_file_passes(void **state)
{
	char err[512] = "";
	struct store f = {0};
	temp_db_path(path, sizeof path, "fechatter_damage");
	assert_int_equal(sqlite_store_open(path, 1, &f, err, sizeof err), 0);
	for (int i = 0; i < 50; i++) {
		struct workspace w = {.created_at = T0};
		snprintf(w.name, sizeof w.name, "Workspace %d", i);
		assert_int_equal(f.ops->workspace_insert(f.impl, &w), 0);
		ws_id = w.id;
	}
	assert_int_equal(f.ops->ping(f.impl), 0);
	sqlite_store_close(&f);
	FILE *out = tmpfile();
	assert_int_equal(sqlite_store_check(path, out), 0);
	fclose(out);
	assert_int_equal(sqlite_store_damaged(), 0);
}

static void test_corruption_met_elsewhere_marks_the_store(void **state)
{
	/* the workspaces table's root page gets a page type that does not exist */
	int64_t page = scalar("PRAGMA page_size"),
	        root = scalar("SELECT rootpage FROM sqlite_schema WHERE name = 'workspaces'");
	assert_true(page > 0 && root > 1);
	int fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "\xff", 1, (off_t)((root - 1) * page)), 1);
	close(fd);

	char err[512] = "";
	struct store f = {0};
	assert_int_equal(sqlite_store_open(path, 1, &f, err, sizeof err), 0);
	assert_int_equal(f.ops->ping(f.impl), 0); /* nothing met it yet */
	assert_int_equal(sqlite_store_damaged(), 0);
	/* another connection (not the store's) meets the damage */
	assert_true(scalar("SELECT count(*) FROM workspaces WHERE name LIKE 'W%'") < 0);
	assert_int_equal(sqlite_store_damaged(), 1);
	assert_int_equal(f.ops->ping(f.impl), FE_ECORRUPT);

	/* the store's own statements answer FE_ECORRUPT, detail DATABASE_CORRUPT */
	struct workspace w = {0};
	int rc = f.ops->workspace_get(f.impl, ws_id, &w);
	assert_int_equal(rc, FE_ECORRUPT);
	struct fe_err e = {0};
	err_store(&e, rc);
	assert_string_equal(e.code, "DATABASE_CORRUPT");
	assert_int_equal(err_http_status(rc), 503);
	sqlite_store_close(&f);

	FILE *out = tmpfile();
	assert_int_equal(sqlite_store_check(path, out), -1);
	rewind(out);
	char line[300], last[300] = "";
	while (fgets(line, sizeof line, out))
		snprintf(last, sizeof last, "%s", line);
	fclose(out);
	assert_string_equal(last, "database: damaged\n");
	remove_db_files(path);
}

static void test_missing_or_empty_file_fails_the_check(void **state)
{
	char p[64];
	temp_db_path(p, sizeof p, "fechatter_damage_empty");
	FILE *out = tmpfile();
	assert_int_equal(sqlite_store_check(p, out), -1); /* missing */
	int fd = open(p, O_WRONLY | O_CREAT, 0600);
	close(fd);
	assert_int_equal(sqlite_store_check(p, out), -1); /* empty */
	fclose(out);
	unlink(p);
}

int main(void)
{
	if (sqlite_store_init())
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sound_file_passes),
	    cmocka_unit_test(test_corruption_met_elsewhere_marks_the_store),
	    cmocka_unit_test(test_missing_or_empty_file_fails_the_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
