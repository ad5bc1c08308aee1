/* adapters/pg_util: the connection of a PostgreSQL store with its circuit
 * breaker, prepared statements, parameters, results and error mapping.
 *
 * Every statement is sent with libpq's asynchronous calls and waited for
 * with poll() up to the store's timeout: a database that stops answering
 * (crashed host, frozen process) costs the caller that long once, then the
 * connection is dropped and the breaker opens, and further calls fail at
 * once with FE_EUNAVAIL until the next reconnect try (100 ms, doubling to
 * 5 s). A refused connection (database down on a live host) fails at once. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "adapters/pg_internal.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/timefmt.h"
#include "lib/xalloc.h"

#define PG_GRACE_MS 500
#define OID_INT8 20
#define OID_TEXT 25

/* Waits until sock is ready for ev or deadline (monotonic us); 1 ready,
 * 0 timed out, -1 error. */
static int wait_fd(int sock, short ev, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - time_mono_us();
		if (left <= 0)
			return 0;
		struct pollfd p = {sock, ev, 0};
		int r = poll(&p, 1, (int)(left / 1000) + 1);
		if (r > 0)
			return 1;
		if (r == 0)
			continue; /* loop re-checks the deadline */
		if (errno != EINTR)
			return -1;
	}
}

/* A new connection within timeout_ms, or NULL (reason in err). */
static PGconn *connect_nb(const char *url, int timeout_ms, char *err, size_t errlen)
{
	char opts[64], tcp[16];
	snprintf(opts, sizeof opts, "-c statement_timeout=%d", timeout_ms);
	snprintf(tcp, sizeof tcp, "%d", timeout_ms * 2);
	const char *k[] = {
	    "dbname",           "connect_timeout",  "keepalives", "keepalives_idle",  "keepalives_interval",
	    "keepalives_count", "tcp_user_timeout", "options",    "application_name", NULL};
	const char *v[] = {url, "2", "1", "2", "1", "3", tcp, opts, "fechatter", NULL};
	PGconn *c = PQconnectStartParams(k, v, 1);
	if (!c || PQstatus(c) == CONNECTION_BAD) {
		snprintf(err, errlen, "%s", c ? PQerrorMessage(c) : "out of memory");
		PQfinish(c);
		return NULL;
	}
	int64_t deadline = time_mono_us() + (int64_t)timeout_ms * 1000;
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	while (st != PGRES_POLLING_OK) {
		if (st == PGRES_POLLING_FAILED) {
			snprintf(err, errlen, "%s", PQerrorMessage(c));
			PQfinish(c);
			return NULL;
		}
		int r = wait_fd(PQsocket(c), st == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline);
		if (r <= 0) {
			snprintf(err, errlen, "no answer within %d ms", timeout_ms);
			PQfinish(c);
			return NULL;
		}
		st = PQconnectPoll(c);
	}
	return c;
}

void pg_drop(struct pg *s, const char *why)
{
	if (s->conn) {
		PQfinish(s->conn);
		s->conn = NULL;
	}
	for (int i = 0; i < s->ncache; i++)
		s->cache[i].prepared = 0;
	if (s->depth)
		s->lost = 1;
	int64_t now = time_mono_us();
	if (!s->down_since_us) {
		s->down_since_us = now;
		log_warn(
		    "store: postgres connection lost (%s): the store is unavailable, retrying with backoff",
		    why ? why : "?");
	}
	s->backoff_ms = pg_next_backoff(0);
	s->next_try_us = now + (int64_t)s->backoff_ms * 1000;
}

/* An idle connection (outside a transaction) that has something to read
 * was closed by the server (a restart, a terminated backend): it is
 * dropped and a new one tried at once, so that the first statement after
 * the database came back does not fail on the dead one. */
static void drop_if_stale(struct pg *s)
{
	if (!s->conn || s->depth)
		return;
	struct pollfd p = {PQsocket(s->conn), POLLIN, 0};
	if (poll(&p, 1, 0) <= 0)
		return;
	if (PQconsumeInput(s->conn) && PQstatus(s->conn) == CONNECTION_OK)
		return; /* a notice: the connection is fine */
	pg_drop(s, "closed by the server");
	s->backoff_ms = 0;
	s->next_try_us = 0;
}

int pg_ready(struct pg *s)
{
	drop_if_stale(s);
	if (s->conn)
		return s->lost ? FE_EUNAVAIL : 0;
	if (s->depth)
		return FE_EUNAVAIL; /* the transaction is gone: rollback first */
	int64_t now = time_mono_us();
	if (now < s->next_try_us)
		return FE_EUNAVAIL;
	char err[256];
	PGconn *c = connect_nb(s->url, s->timeout_ms, err, sizeof err);
	if (!c) {
		s->backoff_ms = pg_next_backoff(s->backoff_ms);
		s->next_try_us = time_mono_us() + (int64_t)s->backoff_ms * 1000;
		if (!s->down_since_us)
			s->down_since_us = now;
		char *nl = strchr(err, '\n');
		if (nl)
			*nl = 0;
		log_debug("store: postgres reconnect failed (%s); next try in %d ms", err, s->backoff_ms);
		return FE_EUNAVAIL;
	}
	s->conn = c;
	s->lost = s->aborted = 0;
	s->backoff_ms = 0;
	if (s->down_since_us)
		log_info("store: postgres connection restored after %" PRId64 " ms",
		         (time_mono_us() - s->down_since_us) / 1000);
	s->down_since_us = 0;
	return 0;
}

/* Waits for the results of what was sent; returns the last (an error one
 * wins), or NULL with *lost set when the connection failed or the
 * deadline passed. */
static PGresult *wait_results(struct pg *s, int *lost)
{
	/* the server cancels a statement at timeout_ms (statement_timeout: an
	 * error, the connection stays); no answer PG_GRACE_MS later means the
	 * server or the network is gone */
	int64_t deadline = time_mono_us() + (int64_t)(s->timeout_ms + PG_GRACE_MS) * 1000;
	PGresult *last = NULL, *r;
	*lost = 0;
	for (;;) {
		while (PQisBusy(s->conn)) {
			int w = wait_fd(PQsocket(s->conn), POLLIN, deadline);
			if (w <= 0 || !PQconsumeInput(s->conn)) {
				*lost = 1;
				PQclear(last);
				return NULL;
			}
		}
		if (!(r = PQgetResult(s->conn)))
			break;
		ExecStatusType st = PQresultStatus(r);
		if (last && PQresultStatus(last) == PGRES_FATAL_ERROR && st != PGRES_FATAL_ERROR) {
			PQclear(r);
			continue;
		}
		PQclear(last);
		last = r;
	}
	if (!last && PQstatus(s->conn) == CONNECTION_BAD)
		*lost = 1;
	return last;
}

/* Turns a finished send into 0 or FE_E*; *out gets the result on success
 * (when not NULL; else it is cleared). */
static int finish(struct pg *s, int sent, PGresult **out)
{
	int lost = !sent;
	PGresult *r = sent ? wait_results(s, &lost) : NULL;
	if (out)
		*out = NULL;
	ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (!lost && r && (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)) {
		if (out)
			*out = r;
		else
			PQclear(r);
		return 0;
	}
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	int rc = lost ? FE_EUNAVAIL : pg_map_sqlstate(state);
	if (lost || pg_sqlstate_lost(state) || PQstatus(s->conn) == CONNECTION_BAD) {
		char why[200];
		snprintf(why, sizeof why, "%s", r ? PQresultErrorMessage(r) : PQerrorMessage(s->conn));
		char *nl = strchr(why, '\n');
		if (nl)
			*nl = 0;
		pg_drop(s, *why ? why : "no answer in time");
		rc = FE_EUNAVAIL;
	} else if (rc == FE_EINTERNAL || rc == FE_EUNAVAIL) {
		log_err("store: postgres error %s: %s", state ? state : "?",
		        r ? PQresultErrorMessage(r) : "");
	}
	if (s->depth && !s->aborted) {
		s->aborted = 1;
		s->abort_rc = rc;
	}
	PQclear(r);
	return rc;
}

/* Simple-protocol text (several statements allowed); even in an aborted
 * transaction when allow_aborted (rollback). */
static int simple(struct pg *s, const char *text, int allow_aborted)
{
	int rc = pg_ready(s);
	if (rc)
		return rc;
	if (s->aborted && !allow_aborted)
		return s->abort_rc;
	return finish(s, PQsendQuery(s->conn, text), NULL);
}

int pg_simple(struct pg *s, const char *text)
{
	return simple(s, text, 0);
}

int pg_rollback_text(struct pg *s, const char *text)
{
	return simple(s, text, 1);
}

void pg_res_clear(struct pg_res *res)
{
	if (res && res->r) {
		PQclear(res->r);
		res->r = NULL;
	}
}

/* Runs prepared sql with values (already text). */
static int run(struct pg *s, const char *sql, int n, const char *const *vals, const Oid *types,
               PGresult **out)
{
	int rc = pg_ready(s);
	if (rc)
		return rc;
	if (s->aborted)
		return s->abort_rc;
	int i;
	for (i = 0; i < s->ncache && s->cache[i].sql != sql; i++)
		;
	if (i == s->ncache && s->ncache < PG_MAX_STMTS)
		s->cache[s->ncache++].sql = sql;
	if (i == s->ncache) /* the cache is full: unnamed */
		return finish(s, PQsendQueryParams(s->conn, sql, n, types, vals, NULL, NULL, 0), out);
	char name[16];
	snprintf(name, sizeof name, "s%d", i);
	if (!s->cache[i].prepared) {
		if ((rc = finish(s, PQsendPrepare(s->conn, name, sql, n, types), NULL))) {
			log_err("store: prepare failed rc=%d: %.120s", rc, sql);
			return rc;
		}
		s->cache[i].prepared = 1;
	}
	return finish(s, PQsendQueryPrepared(s->conn, name, n, vals, NULL, NULL, 0), out);
}

/* Formats params by fmt into text values. */
static int vrun(struct pg *s, const char *sql, PGresult **out, const char *fmt, va_list ap)
{
	const char *vals[PG_MAX_PARAMS];
	Oid types[PG_MAX_PARAMS];
	char nums[PG_MAX_PARAMS][24];
	int n = 0;
	for (; *fmt && n < PG_MAX_PARAMS; fmt++, n++) {
		if (*fmt == 'i') {
			snprintf(nums[n], sizeof nums[n], "%" PRId64, va_arg(ap, int64_t));
			vals[n] = nums[n];
			types[n] = OID_INT8;
		} else {
			vals[n] = va_arg(ap, const char *);
			types[n] = OID_TEXT;
		}
	}
	return run(s, sql, n, vals, types, out);
}

int pg_execf(struct pg *s, const char *sql, struct pg_res *res, int *changes, const char *fmt, ...)
{
	va_list ap;
	PGresult *r = NULL;
	va_start(ap, fmt);
	int rc = vrun(s, sql, &r, fmt, ap);
	va_end(ap);
	if (changes)
		*changes = r ? atoi(PQcmdTuples(r)) : 0;
	if (res) {
		res->r = r;
		res->nrows = r ? PQntuples(r) : 0;
		res->row = 0;
	} else {
		PQclear(r);
	}
	return rc;
}

void pg_text(const struct pg_res *res, int i, char *out, size_t n)
{
	snprintf(out, n, "%s", PQgetvalue(res->r, res->row, i));
}

int64_t pg_i64(const struct pg_res *res, int i)
{
	return strtoll(PQgetvalue(res->r, res->row, i), NULL, 10);
}

char *pg_strdup(const struct pg_res *res, int i)
{
	return xstrdup(PQgetvalue(res->r, res->row, i));
}

int pg_row(struct pg *s, const char *sql, void (*row)(const struct pg_res *res, void *el), void *el,
           const char *fmt, ...)
{
	va_list ap;
	PGresult *r = NULL;
	va_start(ap, fmt);
	int rc = vrun(s, sql, &r, fmt, ap);
	va_end(ap);
	if (rc)
		return rc;
	struct pg_res res = {r, PQntuples(r), 0};
	if (res.nrows > 0)
		row(&res, el);
	else
		rc = FE_ENOTFOUND;
	PQclear(r);
	return rc;
}

int pg_rows(struct pg *s, const char *sql, void *outp, size_t *n, size_t size,
            void (*row)(const struct pg_res *res, void *el), const char *fmt, ...)
{
	va_list ap;
	PGresult *r = NULL;
	char **a = outp;
	*a = NULL;
	*n = 0;
	va_start(ap, fmt);
	int rc = vrun(s, sql, &r, fmt, ap);
	va_end(ap);
	if (rc)
		return rc;
	struct pg_res res = {r, PQntuples(r), 0};
	if (res.nrows > 0) {
		*a = xcalloc((size_t)res.nrows, size);
		for (res.row = 0; res.row < res.nrows; res.row++)
			row(&res, *a + (size_t)res.row * size);
		*n = (size_t)res.nrows;
	}
	PQclear(r);
	return 0;
}

int pg_scalar(struct pg *s, const char *sql, int64_t *out, const char *fmt, ...)
{
	va_list ap;
	PGresult *r = NULL;
	va_start(ap, fmt);
	int rc = vrun(s, sql, &r, fmt, ap);
	va_end(ap);
	if (rc)
		return rc;
	if (PQntuples(r) > 0)
		*out = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	else
		rc = FE_ENOTFOUND;
	PQclear(r);
	return rc;
}
