/* adapters/sqlite_rows: a single-box database read table by table, row by
 * row, every value as text (integers in decimal, NULL as a NULL pointer),
 * for `fechatter migrate --to postgres` (adapters/pg_migrate.c). Read only;
 * the caller holds the data folder's lock so nothing writes meanwhile. */
#ifndef FE_SQLITE_ROWS_H
#define FE_SQLITE_ROWS_H
#include <stddef.h>
#include <stdint.h>

struct sqlite_rows;

#define SQLITE_ROWS_MAX_COLS 32
#define SQLITE_ROWS_NAME 64

/* A table's columns (generated ones left out), in declaration order. */
struct sqlite_rows_table {
	char name[SQLITE_ROWS_NAME];
	char col[SQLITE_ROWS_MAX_COLS][SQLITE_ROWS_NAME];
	int is_int[SQLITE_ROWS_MAX_COLS]; /* declared INTEGER */
	int pk[SQLITE_ROWS_MAX_COLS];     /* position in the primary key (1-based), 0 = not in it */
	int ncols;
	int64_t rows;
	int64_t seq; /* sqlite_sequence's value (AUTOINCREMENT), else 0 */
};

/* Opens path read-only and checks it is a fechatter database (its
 * schema can be read and it has a messages table). Returns 0 with *out
 * (free with sqlite_rows_close), or -1 with a message in err (the file is
 * missing, is not an SQLite database, or is damaged). */
int sqlite_rows_open(const char *path, struct sqlite_rows **out, char *err, size_t errlen);
void sqlite_rows_close(struct sqlite_rows *r);

/* The ordinary tables (not SQLite's own, not FTS5's), with their columns,
 * row counts and sequences: *t owned (free()), *n of them. Returns 0 or -1
 * with err. */
int sqlite_rows_tables(struct sqlite_rows *r, struct sqlite_rows_table **t, size_t *n, char *err,
                       size_t errlen);

/* Calls row(arg, vals, lens) for each row of table t (columns cols[0..n),
 * names from t) in primary-key order; vals[i] NULL for NULL; the values
 * live until row returns. A nonzero return from row stops the scan and is
 * returned. Returns 0, row's value, or -1 with err. */
int sqlite_rows_scan(struct sqlite_rows *r, const struct sqlite_rows_table *t, const int *cols, int n,
                     int (*row)(void *arg, const char *const *vals, const size_t *lens), void *arg, char *err,
                     size_t errlen);

#endif
