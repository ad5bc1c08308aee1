/* adapters/pg_internal: what the PostgreSQL store modules share: the
 * connection with its circuit breaker, the prepared-statement cache,
 * parameters, results and error mapping. */
#ifndef FE_PG_INTERNAL_H
#define FE_PG_INTERNAL_H
#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>
#include "adapters/pgmap.h"
#include "ports/store.h"

#define PG_MAX_STMTS 128
#define PG_MAX_PARAMS 16

struct pg {
	PGconn *conn; /* NULL while disconnected (the breaker is then open) */
	char url[512];
	int timeout_ms; /* statement_timeout and connect deadline; no answer 500 ms past it drops the
	                   connection */
	int depth;      /* transaction nesting */
	int aborted;    /* a statement failed inside the transaction: only rollback helps */
	int abort_rc;   /* its FE_E* code */
	int lost;       /* the connection went away inside the transaction */
	struct {
		const char *sql; /* a string literal: its address is the key */
		int prepared;    /* on the current connection */
	} cache[PG_MAX_STMTS];
	int ncache;
	/* the circuit breaker: while conn is NULL, calls fail at once with
	 * FE_EUNAVAIL until next_try_us, when one reconnect is tried; each
	 * failed try doubles backoff_ms (100 ms .. 5 s) */
	int64_t next_try_us;
	int backoff_ms;
	int64_t down_since_us; /* 0 while connected */
};

/* A query's result: rows of text (PQgetvalue). */
struct pg_res {
	PGresult *r;
	int nrows, row;
};

/* Connects (non-blocking connect with a deadline of s->timeout_ms, TCP
 * keepalives, statement_timeout) if the breaker allows. Returns 0 when
 * connected, FE_EUNAVAIL otherwise (breaker open, or the try failed: the
 * backoff then doubles). */
int pg_ready(struct pg *s);
/* Drops the connection and opens the breaker (logged once per outage). */
void pg_drop(struct pg *s, const char *why);
/* Runs sql (a string literal, prepared once per connection) with params
 * by format (i = int64_t, t = text, NULL for SQL NULL). *res gets the
 * result (caller pg_res_clear) when res is not NULL; *changes the count of
 * rows a command changed. Returns 0 or FE_E*; a failure inside a
 * transaction leaves it aborted (pg_rollback clears it). */
int pg_execf(struct pg *s, const char *sql, struct pg_res *res, int *changes, const char *fmt, ...);
/* Runs text with the simple protocol (no parameters, several statements
 * allowed). Returns 0 or FE_E*. */
int pg_simple(struct pg *s, const char *text);
/* As pg_simple, also in an aborted transaction (for rollback). */
int pg_rollback_text(struct pg *s, const char *text);
void pg_res_clear(struct pg_res *res);
/* Column i of the current row: text copied into out (n bytes, "" for NULL),
 * an integer (0 for NULL), or a new malloc'd string. */
void pg_text(const struct pg_res *res, int i, char *out, size_t n);
int64_t pg_i64(const struct pg_res *res, int i);
char *pg_strdup(const struct pg_res *res, int i);
/* One-row query: row(res, el) reads it. FE_ENOTFOUND when none. */
int pg_row(struct pg *s, const char *sql, void (*row)(const struct pg_res *res, void *el), void *el,
           const char *fmt, ...);
/* Every row into a new array *outp of elements of size bytes (zeroed,
 * filled by row), *n of them. On error nothing is returned. */
int pg_rows(struct pg *s, const char *sql, void *outp, size_t *n, size_t size,
            void (*row)(const struct pg_res *res, void *el), const char *fmt, ...);
/* First column of the first row as an integer. FE_ENOTFOUND when no row. */
int pg_scalar(struct pg *s, const char *sql, int64_t *out, const char *fmt, ...);

#endif
