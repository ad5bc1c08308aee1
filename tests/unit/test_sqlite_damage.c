/* tests/unit/test_sqlite_damage: a damaged database file (adapters
 * sqlite_store/sqlite_util, fts5_search). The check passes on a sound file;
 * corruption met by a search worker's connection (adapters/fts5_search,
 * its own connection to the file) marks that store damaged, after which
 * ping and statements answer FE_ECORRUPT, the error detail is 503
 * DATABASE_CORRUPT, and the offline check fails. The flag belongs to the
 * store: a second store open in the same process stays sound (issue 11).
 * The tests share the file, so they run in order. */
#define TESTAPP_STORE_ONLY
#include <fcntl.h>
#include <sqlite3.h>
#include "testapp.h"
#include "adapters/fts5_search.h"

static char path[64];
static int64_t ws_id, chat_id, msg_id;

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
	struct user u = new_user(ws_id, "ann@acme.io", "Ann Arbor", "member", T0);
	store_insert_user(&f, &u);
	struct chat c = {.workspace_id = ws_id, .created_by = u.id, .created_at = T0};
	snprintf(c.chat_type, sizeof c.chat_type, "Group");
	snprintf(c.name, sizeof c.name, "General");
	assert_int_equal(f.ops->chat_insert(f.impl, &c, NULL), 0);
	chat_id = c.id;
	struct message m = {.chat_id = c.id, .sender_id = u.id, .created_at = T0};
	m.content = "the deployment is on Friday";
	assert_int_equal(f.ops->message_insert(f.impl, &m), 0);
	msg_id = m.id;
	assert_int_equal(f.ops->ping(f.impl), 0);
	assert_int_equal(sqlite_store_damaged(&f), 0);
	sqlite_store_close(&f);
	FILE *out = tmpfile();
	assert_int_equal(sqlite_store_check(path, out), 0);
	fclose(out);
}

/* Searches store f's file for "deployment" in the test's chat with a
 * search worker's connection (this thread's); returns the search's rc. */
static int search_deployment(struct store *f)
{
	struct search se = {0};
	struct search_term t = {.text = "deployment"};
	struct search_query q = {.terms = &t, .nterms = 1, .chats = &chat_id, .nchats = 1, .limit = 10};
	struct search_hit *hits = NULL;
	size_t n = 0;
	int64_t total = 0;
	fts5_search_open(path, f, NULL, &se);
	int rc = se.ops->search(se.impl, &q, &hits, &n, &total);
	search_hits_free(hits, n);
	fts5_search_close(&se);
	return rc;
}

static void test_corruption_met_by_a_search_marks_its_store_only(void **state)
{
	/* a second, sound store open in the same process all along */
	char path2[64], err[512] = "";
	struct store g = {0};
	temp_db_path(path2, sizeof path2, "fechatter_damage_other");
	assert_int_equal(sqlite_store_open(path2, 1, &g, err, sizeof err), 0);
	int64_t ws2 = store_add_workspace(&g, "Other", T0);

	/* the messages table's root page gets a page type that does not exist */
	int64_t page = scalar("PRAGMA page_size"),
	        root = scalar("SELECT rootpage FROM sqlite_schema WHERE name = 'messages'");
	assert_true(page > 0 && root > 1);
	int fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "\xff", 1, (off_t)((root - 1) * page)), 1);
	close(fd);

	struct store f = {0};
	assert_int_equal(sqlite_store_open(path, 1, &f, err, sizeof err), 0);
	assert_int_equal(f.ops->ping(f.impl), 0); /* nothing met it yet */
	assert_int_equal(sqlite_store_damaged(&f), 0);
	/* a search worker's connection (not the store's) meets the damage */
	assert_int_equal(search_deployment(&f), FE_ECORRUPT);
	assert_int_equal(sqlite_store_damaged(&f), 1);
	assert_int_equal(f.ops->ping(f.impl), FE_ECORRUPT);

	/* the other store in the process is not damaged */
	assert_int_equal(sqlite_store_damaged(&g), 0);
	assert_int_equal(g.ops->ping(g.impl), 0);
	struct workspace w = {0};
	assert_int_equal(g.ops->workspace_get(g.impl, ws2, &w), 0);
	assert_string_equal(w.name, "Other");
	sqlite_store_close(&g);
	remove_db_files(path2);

	/* the store's own statements over the damage answer FE_ECORRUPT,
	 * detail DATABASE_CORRUPT; it stays damaged */
	struct message m = {0};
	int rc = f.ops->message_get(f.impl, msg_id, 0, &m);
	assert_int_equal(rc, FE_ECORRUPT);
	struct fe_err e = {0};
	err_store(&e, rc);
	assert_string_equal(e.code, "DATABASE_CORRUPT");
	assert_int_equal(err_http_status(rc), 503);
	assert_int_equal(f.ops->workspace_get(f.impl, ws_id, &w), 0); /* a sound table still reads */
	assert_int_equal(sqlite_store_damaged(&f), 1);
	assert_int_equal(f.ops->ping(f.impl), FE_ECORRUPT);
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
	    cmocka_unit_test(test_corruption_met_by_a_search_marks_its_store_only),
	    cmocka_unit_test(test_missing_or_empty_file_fails_the_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
