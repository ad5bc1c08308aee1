/* adapters/sqlite_rows: see the header. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include "adapters/sqlite_rows.h"
#include "lib/buf.h"
#include "lib/xalloc.h"

struct sqlite_rows {
	sqlite3 *db;
};

static int fail(sqlite3 *db, char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s: %s", what, db ? sqlite3_errmsg(db) : "no memory");
	return -1;
}

int sqlite_rows_open(const char *path, struct sqlite_rows **out, char *err, size_t errlen)
{
	struct stat sb;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	if (stat(path, &sb)) {
		snprintf(err, errlen, "%s: no such database (is --data the single-box data folder?)", path);
		return -1;
	}
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fail(db, err, errlen, path);
		sqlite3_close_v2(db);
		return -1;
	}
	sqlite3_busy_timeout(db, 5000);
	int rc = sqlite3_prepare_v2(
	    db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'messages'", -1, &st,
	    NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		snprintf(err, errlen, "%s is not a readable fechatter database: %s", path,
		         rc == SQLITE_NOTADB ? "file is not an SQLite database" : sqlite3_errmsg(db));
	} else if (sqlite3_column_int(st, 0) != 1) {
		snprintf(err, errlen, "%s is an SQLite database but not a fechatter one (no messages table)",
		         path);
		rc = SQLITE_ERROR;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW) {
		sqlite3_close_v2(db);
		return -1;
	}
	*out = xcalloc(1, sizeof **out);
	(*out)->db = db;
	return 0;
}

void sqlite_rows_close(struct sqlite_rows *r)
{
	if (!r)
		return;
	sqlite3_close_v2(r->db);
	free(r);
}

static int64_t one_int(sqlite3 *db, const char *sql, const char *arg, int *ok)
{
	sqlite3_stmt *st = NULL;
	int64_t v = 0;
	*ok = sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK;
	if (*ok && arg)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	int s = *ok ? sqlite3_step(st) : SQLITE_ERROR;
	if (s == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else if (s != SQLITE_DONE)
		*ok = 0;
	sqlite3_finalize(st);
	return v;
}

int sqlite_rows_tables(struct sqlite_rows *r, struct sqlite_rows_table **t, size_t *n, char *err,
                       size_t errlen)
{
	sqlite3_stmt *st = NULL, *ci = NULL;
	size_t cap = 16;
	*t = xcalloc(cap, sizeof **t);
	*n = 0;
	/* ordinary tables: not SQLite's, not virtual ones (FTS5) nor their
	 * shadow tables (named after the virtual table) */
	if (sqlite3_prepare_v2(
	        r->db,
	        "SELECT name FROM sqlite_master t WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
	        " AND sql NOT LIKE 'CREATE VIRTUAL%' AND NOT EXISTS (SELECT 1 FROM sqlite_master v"
	        " WHERE v.type = 'table' AND v.sql LIKE 'CREATE VIRTUAL%'"
	        " AND t.name LIKE v.name || '\\_%' ESCAPE '\\') ORDER BY name",
	        -1, &st, NULL) != SQLITE_OK)
		return fail(r->db, err, errlen, "listing the tables");
	int s;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap *= 2;
			*t = xrealloc(*t, cap * sizeof **t);
		}
		struct sqlite_rows_table *tb = &(*t)[*n];
		memset(tb, 0, sizeof *tb);
		snprintf(tb->name, sizeof tb->name, "%s", (const char *)sqlite3_column_text(st, 0));
		if (sqlite3_prepare_v2(r->db, "SELECT name, type, pk FROM pragma_table_info(?)", -1, &ci,
		                       NULL) != SQLITE_OK)
			break;
		sqlite3_bind_text(ci, 1, tb->name, -1, SQLITE_STATIC);
		while (sqlite3_step(ci) == SQLITE_ROW && tb->ncols < SQLITE_ROWS_MAX_COLS) {
			snprintf(tb->col[tb->ncols], SQLITE_ROWS_NAME, "%s",
			         (const char *)sqlite3_column_text(ci, 0));
			tb->is_int[tb->ncols] =
			    !strcasecmp((const char *)sqlite3_column_text(ci, 1), "INTEGER");
			tb->pk[tb->ncols] = sqlite3_column_int(ci, 2);
			tb->ncols++;
		}
		sqlite3_finalize(ci);
		ci = NULL;
		char sql[160];
		int ok;
		snprintf(sql, sizeof sql, "SELECT count(*) FROM \"%s\"", tb->name);
		tb->rows = one_int(r->db, sql, NULL, &ok);
		if (!ok) {
			s = SQLITE_ERROR;
			break;
		}
		tb->seq = one_int(
		    r->db,
		    "SELECT CASE WHEN EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence')"
		    " THEN (SELECT seq FROM sqlite_sequence WHERE name = ?) END",
		    tb->name, &ok);
		(*n)++;
	}
	sqlite3_finalize(st);
	if (s != SQLITE_DONE) {
		fail(r->db, err, errlen, "reading the tables");
		free(*t);
		*t = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

int sqlite_rows_scan(struct sqlite_rows *r, const struct sqlite_rows_table *t, const int *cols, int n,
                     int (*row)(void *arg, const char *const *vals, const size_t *lens), void *arg, char *err,
                     size_t errlen)
{
	struct buf sql = {0};
	sqlite3_stmt *st = NULL;
	const char *vals[SQLITE_ROWS_MAX_COLS];
	size_t lens[SQLITE_ROWS_MAX_COLS];
	buf_add(&sql, "SELECT ");
	for (int i = 0; i < n; i++)
		buf_addf(&sql, "%s\"%s\"", i ? ", " : "", t->col[cols[i]]);
	buf_addf(&sql, " FROM \"%s\" ORDER BY ", t->name);
	int keys = 0;
	for (int k = 1; k <= t->ncols; k++)
		for (int i = 0; i < t->ncols; i++)
			if (t->pk[i] == k)
				buf_addf(&sql, "%s\"%s\"", keys++ ? ", " : "", t->col[i]);
	if (!keys)
		buf_add(&sql, "rowid");
	int rc = 0;
	if (sqlite3_prepare_v2(r->db, sql.p, -1, &st, NULL) != SQLITE_OK) {
		rc = fail(r->db, err, errlen, t->name);
		goto out;
	}
	int s;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < n; i++) {
			vals[i] = (const char *)sqlite3_column_text(st, i);
			lens[i] = vals[i] ? (size_t)sqlite3_column_bytes(st, i) : 0;
		}
		if ((rc = row(arg, vals, lens)))
			goto out;
	}
	if (s != SQLITE_DONE)
		rc = fail(r->db, err, errlen, t->name);
out:
	sqlite3_finalize(st);
	buf_free(&sql);
	return rc;
}
