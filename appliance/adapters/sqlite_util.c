/* adapters/sqlite_util: prepared-statement cache, binding and error mapping
 * shared by the SQLite store modules. */
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "adapters/sqlite_internal.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/xalloc.h"

int sq_note_corrupt(struct sq *s, int rc, const char *detail)
{
	if ((rc & 0xff) != SQLITE_CORRUPT && (rc & 0xff) != SQLITE_NOTADB)
		return 0;
	if (s && !__atomic_exchange_n(s->corrupt, 1, __ATOMIC_SEQ_CST))
		log_err(
		    "store: the database file is damaged (rc=%d %s): /health fails and the API answers 503"
		    " DATABASE_CORRUPT; stop the server, run `fechatter check`, restore from a backup",
		    rc, detail ? detail : sqlite3_errstr(rc));
	return 1;
}

int sq_is_corrupt(struct sq *s)
{
	return s ? __atomic_load_n(s->corrupt, __ATOMIC_SEQ_CST) : 0;
}

/* The FE_E* code of a statement that could not be prepared or bound. */
static int stmt_error(struct sq *s)
{
	return sq_is_corrupt(s) ? FE_ECORRUPT : FE_EINTERNAL;
}

int sq_map_rc(struct sq *s, int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		sq_note_corrupt(s, rc, sqlite3_errmsg(s->db));
		return FE_ECORRUPT;
	case SQLITE_CONSTRAINT:
		return (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) ? FE_ECONFLICT
		                                                                              : FE_EINVAL;
	case SQLITE_FULL:
		return FE_ENOSPC;
	case SQLITE_READONLY:
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		log_err("store: unavailable rc=%d msg=%s", rc, sqlite3_errmsg(s->db));
		return FE_EUNAVAIL;
	default:
		log_err("store: error rc=%d msg=%s", rc, sqlite3_errmsg(s->db));
		return FE_EINTERNAL;
	}
}

/* Returns the cached prepared statement for sql (a string literal: the
 * pointer is the key), reset and unbound. NULL on a prepare error (logged). */
sqlite3_stmt *sq_stmt(struct sq *s, const char *sql)
{
	for (int i = 0; i < s->ncache; i++)
		if (s->cache[i].sql == sql) {
			sqlite3_reset(s->cache[i].st);
			sqlite3_clear_bindings(s->cache[i].st);
			return s->cache[i].st;
		}
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
	if (rc != SQLITE_OK) {
		sq_note_corrupt(s, rc, sqlite3_errmsg(s->db));
		log_err("store: prepare failed: %s", sqlite3_errmsg(s->db));
		return NULL;
	}
	if (s->ncache < MAX_STMTS) {
		s->cache[s->ncache].sql = sql;
		s->cache[s->ncache++].st = st;
	}
	return st;
}

/* Binds arguments by a format: i = int64, t = text (NULL binds NULL). */
int sq_bindv(sqlite3_stmt *st, const char *fmt, va_list ap)
{
	for (int i = 1; *fmt; fmt++, i++) {
		int rc;
		if (*fmt == 'i') {
			rc = sqlite3_bind_int64(st, i, va_arg(ap, int64_t));
		} else {
			const char *t = va_arg(ap, const char *);
			rc = t ? sqlite3_bind_text(st, i, t, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
		}
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

/* The cached statement for sql with the arguments bound; NULL (statement
 * reset) on a prepare or bind error. */
static sqlite3_stmt *bound(struct sq *s, const char *sql, const char *fmt, va_list ap)
{
	sqlite3_stmt *st = sq_stmt(s, sql);
	if (st && sq_bindv(st, fmt, ap) != SQLITE_OK) {
		log_err("store: bind failed: %s", sqlite3_errmsg(s->db));
		sqlite3_reset(st);
		return NULL;
	}
	return st;
}

/* Runs a statement that returns no rows. Returns 0 or FE_E*; *changes gets
 * the number of rows changed when not NULL. */
int sq_exec(struct sq *s, const char *sql, int *changes, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sqlite3_stmt *st = bound(s, sql, fmt, ap);
	va_end(ap);
	if (!st)
		return stmt_error(s);
	int rc = sqlite3_step(st);
	int ret = sq_map_rc(s, rc == SQLITE_DONE ? SQLITE_OK : rc);
	if (changes)
		*changes = sqlite3_changes(s->db);
	sqlite3_reset(st);
	return ret;
}

/* Prepares and binds a query; the caller steps it. NULL on error. */
sqlite3_stmt *sq_query(struct sq *s, const char *sql, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sqlite3_stmt *st = bound(s, sql, fmt, ap);
	va_end(ap);
	return st;
}

void sq_text(sqlite3_stmt *st, int i, char *out, size_t n)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	snprintf(out, n, "%s", t ? (const char *)t : "");
}

int64_t sq_i64(sqlite3_stmt *st, int i)
{
	return sqlite3_column_int64(st, i);
}

int sq_row(struct sq *s, sqlite3_stmt *st, void (*row)(sqlite3_stmt *st, void *el), void *el)
{
	if (!st)
		return stmt_error(s);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		row(st, el);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? FE_ENOTFOUND : sq_map_rc(s, rc);
}

int sq_rows(struct sq *s, sqlite3_stmt *st, void *outp, size_t *n, size_t size,
            void (*row)(sqlite3_stmt *st, void *el), void (*clear)(void *el))
{
	char **a = outp;
	size_t cap = 0;
	int rc;
	*a = NULL;
	*n = 0;
	if (!st)
		return stmt_error(s);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			char *b = xrealloc(*a, cap * size);
			*a = b;
		}
		char *el = *a + (*n)++ * size;
		memset(el, 0, size);
		row(st, el);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return 0;
	for (size_t i = 0; clear && i < *n; i++)
		clear(*a + i * size);
	free(*a);
	*a = NULL;
	*n = 0;
	return sq_map_rc(s, rc);
}

static void row_i64(sqlite3_stmt *st, void *el)
{
	*(int64_t *)el = sq_i64(st, 0);
}

int sq_scalar(struct sq *s, const char *sql, int64_t *out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sqlite3_stmt *st = bound(s, sql, fmt, ap);
	va_end(ap);
	return sq_row(s, st, row_i64, out);
}
