/* adapters/pg_counters: ports/counters in one PostgreSQL table,
 *   fe_rate_counters(key, bucket, hits, expires_ms), primary key (key, bucket),
 * one row per key and fixed bucket of window_ms (bucket = now / window). A hit
 * is one INSERT ... ON CONFLICT DO UPDATE whose WHERE clauses are the
 * two-bucket sliding-window test of lib/ratelimit (cur + prev * (W - e) / W <
 * limit, in integers): the row lock of the upsert makes concurrent hits from
 * several appliances count one after the other, so the limit holds exactly
 * across them; a refused hit changes nothing and RETURNs no row. Only a
 * refusal reads the two buckets back for Retry-After (ratelimit_verdict).
 *
 * The statement is synchronous on the loop thread (one loopback round trip,
 * taken only where a limit is on: a sign-in, a sign-up, a send ...), its
 * wait for the answer bounded (WAIT_MS; connecting: 2 s). When
 * PostgreSQL does not answer (or fails), the hit is counted in an in-memory
 * window of this appliance (the limit then holds per appliance, as on a
 * single box) and the connection is retried at most every RETRY_MS. Rows
 * older than the previous bucket are deleted every PURGE_EVERY hits. */
#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "adapters/pg_counters.h"
#include "lib/log.h"
#include "lib/ratelimit.h"
#include "lib/timefmt.h"
#include "lib/xalloc.h"

#define KEY_MAX 127
#define RETRY_MS 5000
#define WAIT_MS 1000 /* the longest a hit waits for the database */
#define PURGE_EVERY 4096
#define NLOCAL 16 /* distinct (limit, window) pairs kept for the fall-back */

struct local_window {
	unsigned limit, window;
	struct ratelimit *rl;
};

struct pg_counters {
	PGconn *db;
	char url[512];
	int ready;          /* connected with the statements prepared */
	int64_t retry_at;   /* monotonic ms of the next connection attempt */
	unsigned long hits; /* for the purge */
	struct local_window local[NLOCAL];
};

static const char CREATE_SQL[] = "CREATE TABLE IF NOT EXISTS fe_rate_counters ("
                                 " key text NOT NULL, bucket bigint NOT NULL, hits integer NOT NULL,"
                                 " expires_ms bigint NOT NULL, PRIMARY KEY (key, bucket))";

/* $1 key, $2 bucket, $3 limit, $4 window, $5 W - elapsed, $6 expires_ms */
static const char HIT_SQL[] =
    "INSERT INTO fe_rate_counters AS c (key, bucket, hits, expires_ms)"
    " SELECT $1::text, $2::bigint, 1, $6::bigint"
    "  WHERE $3::bigint > 0 AND COALESCE((SELECT p.hits FROM fe_rate_counters p"
    "   WHERE p.key = $1::text AND p.bucket = $2::bigint - 1), 0)::bigint * $5::bigint < $3::bigint * "
    "$4::bigint"
    " ON CONFLICT (key, bucket) DO UPDATE SET hits = c.hits + 1"
    "  WHERE c.hits < $3::bigint AND COALESCE((SELECT p.hits FROM fe_rate_counters p"
    "   WHERE p.key = $1::text AND p.bucket = $2::bigint - 1), 0)::bigint * $5::bigint"
    "   < ($3::bigint - c.hits) * $4::bigint"
    " RETURNING hits";

/* $1 key, $2 bucket: the current and the previous bucket's hits */
static const char READ_SQL[] = "SELECT COALESCE(MAX(hits) FILTER (WHERE bucket = $2::bigint), 0),"
                               " COALESCE(MAX(hits) FILTER (WHERE bucket = $2::bigint - 1), 0)"
                               " FROM fe_rate_counters WHERE key = $1::text"
                               " AND bucket IN ($2::bigint, $2::bigint - 1)";

static const char RESET_SQL[] = "DELETE FROM fe_rate_counters WHERE key = $1::text";
static const char PURGE_SQL[] = "DELETE FROM fe_rate_counters WHERE expires_ms < $1::bigint";

static int ok(PGresult *r, ExecStatusType want)
{
	int good = r && PQresultStatus(r) == want;
	if (!good)
		log_warn("pg_counters: %s", r ? PQresultErrorMessage(r) : "no result");
	return good;
}

/* Connects (blocking, bounded by connect_timeout in the URL or libpq's
 * default), creates the table and prepares the statements. 0 or -1. */
static int connect_db(struct pg_counters *c, char *err, size_t errlen)
{
	if (c->db)
		PQfinish(c->db);
	c->ready = 0;
	/* bounded waits, since a hit runs on the loop: a statement or a lock
	 * wait the server stops, a connection attempt, and a peer that went
	 * silent (unacknowledged data); a URL that sets any of them wins */
	static const char *const keys[] = {"options", "connect_timeout", "tcp_user_timeout", "dbname", NULL};
	const char *vals[] = {"-c statement_timeout=1000 -c lock_timeout=500", "2", "2000", c->url, NULL};
	c->db = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(c->db) != CONNECTION_OK) {
		snprintf(err, errlen, "cannot connect: %s", PQerrorMessage(c->db));
		return -1;
	}
	PGresult *r = PQexec(c->db, CREATE_SQL);
	int good = ok(r, PGRES_COMMAND_OK);
	PQclear(r);
	static const struct {
		const char *name, *sql;
		int nparams;
	} stmts[] = {{"fe_rc_hit", HIT_SQL, 6},
	             {"fe_rc_read", READ_SQL, 2},
	             {"fe_rc_reset", RESET_SQL, 1},
	             {"fe_rc_purge", PURGE_SQL, 1}};
	for (size_t i = 0; good && i < sizeof stmts / sizeof stmts[0]; i++) {
		r = PQprepare(c->db, stmts[i].name, stmts[i].sql, stmts[i].nparams, NULL);
		good = ok(r, PGRES_COMMAND_OK);
		PQclear(r);
	}
	if (!good) {
		snprintf(err, errlen, "cannot prepare the counters: %s", PQerrorMessage(c->db));
		return -1;
	}
	c->ready = 1;
	return 0;
}

/* Whether the connection can be used now (reconnecting at most every
 * RETRY_MS after a failure). */
static int usable(struct pg_counters *c)
{
	if (c->ready && c->db && PQstatus(c->db) == CONNECTION_OK)
		return 1;
	int64_t now = time_mono_us() / 1000;
	if (now < c->retry_at)
		return 0;
	char err[256];
	if (connect_db(c, err, sizeof err)) {
		c->retry_at = now + RETRY_MS;
		log_warn("pg_counters: %s; rate limits hold per appliance until it is back", err);
		return 0;
	}
	log_info("pg_counters: shared rate-limit counters reconnected");
	return 1;
}

/* Runs prepared statement stmt and waits at most WAIT_MS for its result
 * (poll on the connection's socket), so a database that froze or went
 * silent never holds the loop longer. Returns the result (PQclear it), or
 * NULL on failure or time-out: the connection is then closed. */
static PGresult *exec_bounded(struct pg_counters *c, const char *stmt, int n, const char *const *params)
{
	if (!c->db)
		return NULL;
	if (!PQsendQueryPrepared(c->db, stmt, n, params, NULL, NULL, 0)) {
		log_warn("pg_counters: %s", PQerrorMessage(c->db));
		return NULL;
	}
	int64_t deadline = time_mono_us() / 1000 + WAIT_MS;
	while (PQisBusy(c->db)) {
		int64_t left = deadline - time_mono_us() / 1000;
		struct pollfd pfd = {.fd = PQsocket(c->db), .events = POLLIN};
		int rc = left > 0 ? poll(&pfd, 1, (int)left) : 0;
		if (rc == 0 || (rc < 0 && errno != EINTR)) {
			log_warn("pg_counters: no answer from the database within %d ms", WAIT_MS);
			PQfinish(c->db);
			c->db = NULL;
			return NULL;
		}
		if (rc > 0 && !PQconsumeInput(c->db)) {
			log_warn("pg_counters: %s", PQerrorMessage(c->db));
			return NULL;
		}
	}
	PGresult *r = PQgetResult(c->db), *more;
	while ((more = PQgetResult(c->db)))
		PQclear(more);
	return r;
}

static void failed(struct pg_counters *c)
{
	c->ready = 0;
	c->retry_at = time_mono_us() / 1000 + RETRY_MS;
	log_warn(
	    "pg_counters: shared counters unavailable; rate limits hold per appliance until they are back");
}

static int local_hit(struct pg_counters *c, const char *key, unsigned window, unsigned limit, int64_t now)
{
	struct local_window *w = NULL;
	for (int i = 0; i < NLOCAL && !w; i++) {
		if (c->local[i].rl && c->local[i].limit == limit && c->local[i].window == window)
			w = &c->local[i];
		else if (!c->local[i].rl) {
			w = &c->local[i];
			w->limit = limit;
			w->window = window;
			w->rl = ratelimit_new(limit, window, 65536);
		}
	}
	if (!w)
		return 0; /* more distinct limits than ever configured: let it pass */
	return ratelimit_hit(w->rl, key, now);
}

static int64_t floor_div(int64_t t, int64_t w)
{
	int64_t b = t / w;
	return t % w < 0 ? b - 1 : b;
}

static int pg_hit(void *impl, const char *key, unsigned window, unsigned limit, int64_t now)
{
	struct pg_counters *c = impl;
	char k[KEY_MAX + 1];
	snprintf(k, sizeof k, "%s", key);
	if (!window)
		window = 1;
	if (!usable(c))
		return local_hit(c, k, window, limit, now);
	int64_t bucket = floor_div(now, window);
	int64_t elapsed = now - bucket * (int64_t)window;
	char sb[24], sl[24], sw[24], sr[24], se[24];
	snprintf(sb, sizeof sb, "%lld", (long long)bucket);
	snprintf(sl, sizeof sl, "%u", limit);
	snprintf(sw, sizeof sw, "%u", window);
	snprintf(sr, sizeof sr, "%lld", (long long)(window - elapsed));
	snprintf(se, sizeof se, "%lld", (long long)((bucket + 2) * (int64_t)window));
	const char *p[6] = {k, sb, sl, sw, sr, se};
	PGresult *r = exec_bounded(c, "fe_rc_hit", 6, p);
	if (!ok(r, PGRES_TUPLES_OK)) {
		PQclear(r);
		failed(c);
		return local_hit(c, k, window, limit, now);
	}
	int allowed = PQntuples(r) == 1;
	PQclear(r);
	if (++c->hits % PURGE_EVERY == 0) {
		char sn[24];
		snprintf(sn, sizeof sn, "%lld", (long long)now);
		const char *pp[1] = {sn};
		PQclear(exec_bounded(c, "fe_rc_purge", 1, pp));
	}
	if (allowed)
		return 0;
	/* refused: read both buckets back for Retry-After */
	r = exec_bounded(c, "fe_rc_read", 2, p);
	uint32_t cur = limit, prev = 0;
	if (ok(r, PGRES_TUPLES_OK) && PQntuples(r) == 1) {
		cur = (uint32_t)strtoul(PQgetvalue(r, 0, 0), NULL, 10);
		prev = (uint32_t)strtoul(PQgetvalue(r, 0, 1), NULL, 10);
	}
	PQclear(r);
	int wait = ratelimit_verdict(limit, window, cur, prev, (uint64_t)elapsed);
	return wait ? wait : 1; /* refused by the database: at least a second */
}

static void pg_reset(void *impl, const char *key)
{
	struct pg_counters *c = impl;
	char k[KEY_MAX + 1];
	snprintf(k, sizeof k, "%s", key);
	for (int i = 0; i < NLOCAL; i++)
		if (c->local[i].rl)
			ratelimit_reset(c->local[i].rl, k);
	if (!usable(c))
		return;
	const char *p[1] = {k};
	PGresult *r = exec_bounded(c, "fe_rc_reset", 1, p);
	if (!ok(r, PGRES_COMMAND_OK))
		failed(c);
	PQclear(r);
}

static const struct counters_ops pg_counters_ops = {pg_hit, pg_reset};

int pg_counters_open(const char *url, struct counters *out, char *err, size_t errlen)
{
	struct pg_counters *c = xcalloc(1, sizeof *c);
	if (strlen(url) >= sizeof c->url) {
		snprintf(err, errlen, "--pg-url is too long");
		free(c);
		return -1;
	}
	snprintf(c->url, sizeof c->url, "%s", url);
	/* two appliances starting together may race on CREATE TABLE IF NOT
	 * EXISTS (one gets a unique violation): try again once */
	if (connect_db(c, err, errlen) && connect_db(c, err, errlen)) {
		PQfinish(c->db);
		free(c);
		return -1;
	}
	out->ops = &pg_counters_ops;
	out->impl = c;
	return 0;
}

void pg_counters_close(struct counters *out)
{
	if (!out || out->ops != &pg_counters_ops)
		return;
	struct pg_counters *c = out->impl;
	PQfinish(c->db);
	for (int i = 0; i < NLOCAL; i++)
		ratelimit_free(c->local[i].rl);
	free(c);
	out->ops = NULL;
	out->impl = NULL;
}
