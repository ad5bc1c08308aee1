/* adapters/sqlite_internal: what the SQLite store modules share: the
 * connection state, the statement cache, binding and error mapping. */
#ifndef FE_SQLITE_INTERNAL_H
#define FE_SQLITE_INTERNAL_H
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include "ports/store.h"

#define MAX_STMTS 128

struct sq {
	sqlite3 *db;
	char path[512];
	int depth;  /* transaction nesting */
	int wal_fd; /* SQLITE_DEFERRED_SYNC: the write-ahead log, for op_sync; else -1 */
	/* sqlite_store_checkpoints(.., deferred 1): the log's pages after this
	 * connection's last commit, and the length that asks for a checkpoint */
	int wal_pages, ckpt_pages;
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} cache[MAX_STMTS];
	int ncache;
	int own_corrupt; /* set (atomically) once damage was met, never cleared */
	int *corrupt;    /* &own_corrupt, or the flag of the store s shares (sqlite_store_share_damage) */
};

/* Maps an SQLite result code to FE_E* (0 for OK/DONE/ROW); CORRUPT and
 * NOTADB are FE_ECORRUPT and mark the database damaged. */
int sq_map_rc(struct sq *s, int rc);
/* When rc is SQLITE_CORRUPT or SQLITE_NOTADB (any extended code): marks the
 * store s damaged (logged once per store, with detail when not NULL) and
 * returns 1; else returns 0. s NULL only tests rc. Thread-safe (search
 * workers mark the store whose file they read). */
int sq_note_corrupt(struct sq *s, int rc, const char *detail);
/* 1 once corruption was met by s or by a connection reading for it (a
 * search worker's), else 0. s NULL is 0. Thread-safe. */
int sq_is_corrupt(struct sq *s);
/* The cached prepared statement for sql (a string literal: its address is
 * the key), reset and unbound; NULL on a prepare error (logged). */
sqlite3_stmt *sq_stmt(struct sq *s, const char *sql);
/* Binds by format: i = int64_t, t = text (NULL binds NULL). */
int sq_bindv(sqlite3_stmt *st, const char *fmt, va_list ap);
/* Runs a statement returning no rows; *changes (if not NULL) gets the count. */
int sq_exec(struct sq *s, const char *sql, int *changes, const char *fmt, ...);
/* Prepares and binds a query for the caller to step; NULL on error. */
sqlite3_stmt *sq_query(struct sq *s, const char *sql, const char *fmt, ...);
void sq_text(sqlite3_stmt *st, int i, char *out, size_t n);
int64_t sq_i64(sqlite3_stmt *st, int i);
/* Runs a query whose first row's first column is an integer into *out;
 * FE_ENOTFOUND when there is no row. */
int sq_scalar(struct sq *s, const char *sql, int64_t *out, const char *fmt, ...);
/* Steps a bound one-row query: row(st, el) reads the row, then the
 * statement is reset. FE_ENOTFOUND when there is no row; st NULL is
 * FE_EINTERNAL. */
int sq_row(struct sq *s, sqlite3_stmt *st, void (*row)(sqlite3_stmt *st, void *el), void *el);
/* Steps st to its end, turning each row into a new element of the array
 * *outp (elements of size bytes, zeroed, filled by row); *n counts them.
 * st NULL is FE_EINTERNAL. On error the array is freed, after clear (when
 * not NULL) released what each element owns. Returns 0 or FE_E*. */
int sq_rows(struct sq *s, sqlite3_stmt *st, void *outp, size_t *n, size_t size,
            void (*row)(sqlite3_stmt *st, void *el), void (*clear)(void *el));

#endif
