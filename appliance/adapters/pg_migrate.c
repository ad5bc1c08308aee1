/* adapters/pg_migrate: see the header.
 *
 * The tables are the SQLite database's ordinary ones (adapters/sqlite_rows),
 * each copied into the PostgreSQL table of the same name, column by column
 * by name (PostgreSQL's generated columns, e.g. messages.tsv, are computed
 * there). Tables go in an order that satisfies the foreign keys; the one
 * cycle (files.uploader_id -> users, users.avatar_file_id -> files) is cut
 * by copying users without avatar_file_id and setting it once the files are
 * in. The content hash of a table is order-free: the sum (mod 2^64, two
 * words) of a BLAKE2b hash of each row's values (NULL distinct from ''),
 * computed from the values read from SQLite while copying, and from the
 * values PostgreSQL gives back after the commit. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libpq-fe.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "adapters/pg_migrate.h"
#include "adapters/pg_store.h"
#include "adapters/sqlite_rows.h"
#include "lib/buf.h"
#include "lib/fdio.h"
#include "lib/progress.h"
#include "lib/timefmt.h"
#include "lib/xalloc.h"

#define COPY_CHUNK (256 * 1024)

/* The foreign keys' order; tables not named here come after, by name. */
static const char *const order[] = {"workspaces",     "users",     "files",         "invites",
                                    "refresh_tokens", "chats",     "chat_members",  "messages",
                                    "mentions",       "reactions", "message_files", "read_markers"};

/* The column copied after its table's target exists (the cycle). */
#define LATE_TABLE "users"
#define LATE_COL "avatar_file_id"

struct sum {
	uint64_t a, b;
	int64_t rows;
};

struct table {
	struct sqlite_rows_table s;
	int cols[SQLITE_ROWS_MAX_COLS]; /* s's columns PostgreSQL has too */
	int ncols;
	int late; /* index into cols of LATE_COL, or -1 */
	int has_identity;
	struct sum src, dst;
};

/* Adds one row's values to *s. */
static void sum_row(struct sum *s, const char *const *v, const size_t *len, int n)
{
	crypto_generichash_state h;
	unsigned char out[16];
	crypto_generichash_init(&h, NULL, 0, sizeof out);
	for (int i = 0; i < n; i++) {
		unsigned char tag = v[i] ? 1 : 0;
		uint64_t l = v[i] ? len[i] : 0;
		crypto_generichash_update(&h, &tag, 1);
		crypto_generichash_update(&h, (const unsigned char *)&l, sizeof l);
		if (v[i])
			crypto_generichash_update(&h, (const unsigned char *)v[i], len[i]);
	}
	crypto_generichash_final(&h, out, sizeof out);
	uint64_t x, y;
	memcpy(&x, out, 8);
	memcpy(&y, out + 8, 8);
	s->a += x;
	s->b += y;
	s->rows++;
}

static void sum_hex(const struct sum *s, char out[33])
{
	snprintf(out, 33, "%016llx%016llx", (unsigned long long)s->a, (unsigned long long)s->b);
}

static PGresult *exec1(PGconn *c, const char *sql, int n, const char *const *vals)
{
	return PQexecParams(c, sql, n, NULL, vals, NULL, NULL, 0);
}

static int ok(PGresult *r)
{
	int s = PQresultStatus(r);
	return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

/* ---- the copy ---- */

struct copy {
	PGconn *c;
	struct table *t;
	struct buf out;
	int only; /* -1: every column but the late one; else: id and the late column, non-NULL */
	struct progress *pr;
	uint64_t *done;
	char err[512];
};

static void escape(struct buf *b, const char *v, size_t n)
{
	if (!v) {
		buf_add(b, "\\N");
		return;
	}
	size_t from = 0;
	for (size_t i = 0; i < n; i++) {
		const char *e = v[i] == '\\'   ? "\\\\"
		                : v[i] == '\t' ? "\\t"
		                : v[i] == '\n' ? "\\n"
		                : v[i] == '\r' ? "\\r"
		                               : NULL;
		if (!e)
			continue;
		buf_addn(b, v + from, i - from);
		buf_add(b, e);
		from = i + 1;
	}
	buf_addn(b, v + from, n - from);
}

static int flush(struct copy *k)
{
	if (k->out.len && PQputCopyData(k->c, k->out.p, (int)k->out.len) != 1) {
		snprintf(k->err, sizeof k->err, "%s: %s", k->t->s.name, PQerrorMessage(k->c));
		return -1;
	}
	k->out.len = 0;
	return 0;
}

static int copy_row(void *arg, const char *const *v, const size_t *len)
{
	struct copy *k = arg;
	struct table *t = k->t;
	if (k->only >= 0) { /* the late column: id, value */
		if (!v[t->late])
			return 0;
		escape(&k->out, v[k->only], len[k->only]);
		buf_add(&k->out, "\t");
		escape(&k->out, v[t->late], len[t->late]);
		buf_add(&k->out, "\n");
	} else {
		sum_row(&t->src, v, len, t->ncols);
		int first = 1;
		for (int i = 0; i < t->ncols; i++) {
			if (i == t->late)
				continue;
			if (!first)
				buf_add(&k->out, "\t");
			first = 0;
			escape(&k->out, v[i], len[i]);
		}
		buf_add(&k->out, "\n");
		if (++*k->done % 1000 == 0)
			progress_update(k->pr, *k->done);
	}
	return k->out.len >= COPY_CHUNK ? flush(k) : 0;
}

/* COPY sql FROM STDIN with the rows of t (k->only as in struct copy). */
static int copy_table(struct sqlite_rows *db, PGconn *c, struct table *t, const char *sql, int only,
                      struct progress *pr, uint64_t *done, char *err, size_t errlen)
{
	struct copy k = {.c = c, .t = t, .only = only, .pr = pr, .done = done};
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		snprintf(err, errlen, "%s: %s", t->s.name, PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	PQclear(r);
	int rc = sqlite_rows_scan(db, &t->s, t->cols, t->ncols, copy_row, &k, err, errlen);
	if (!rc)
		rc = flush(&k);
	if (rc && k.err[0])
		snprintf(err, errlen, "%s", k.err);
	PQputCopyEnd(c, rc ? "migrate: reading the SQLite side failed" : NULL);
	while ((r = PQgetResult(c))) {
		if (!rc && PQresultStatus(r) != PGRES_COMMAND_OK) {
			snprintf(err, errlen, "%s: %s", t->s.name, PQresultErrorMessage(r));
			rc = -1;
		}
		PQclear(r);
	}
	buf_free(&k.out);
	return rc ? -1 : 0;
}

/* ---- the schema on the PostgreSQL side ---- */

/* Fills t->cols with the columns PostgreSQL has; returns the number of
 * SQLite columns it lacks (written into missing), or -1 when the table is
 * not there at all. */
static int match_columns(PGconn *c, struct table *t, char *missing, size_t mlen)
{
	const char *v[1] = {t->s.name};
	PGresult *r =
	    exec1(c,
	          "SELECT column_name, is_identity FROM information_schema.columns WHERE table_schema ="
	          " current_schema() AND table_name = $1 AND is_generated = 'NEVER'",
	          1, v);
	int lack = 0;
	t->ncols = 0;
	t->late = -1;
	if (!ok(r) || !PQntuples(r)) {
		PQclear(r);
		return -1;
	}
	for (int i = 0; i < t->s.ncols; i++) {
		int found = 0;
		for (int row = 0; row < PQntuples(r) && !found; row++)
			if (!strcmp(PQgetvalue(r, row, 0), t->s.col[i])) {
				found = 1;
				if (!strcmp(t->s.col[i], "id") && !strcmp(PQgetvalue(r, row, 1), "YES"))
					t->has_identity = 1;
			}
		if (!found) {
			size_t l = strlen(missing);
			snprintf(missing + l, mlen - l, "%s%s.%s", l ? ", " : "", t->s.name, t->s.col[i]);
			lack++;
			continue;
		}
		if (!strcmp(t->s.name, LATE_TABLE) && !strcmp(t->s.col[i], LATE_COL))
			t->late = t->ncols;
		t->cols[t->ncols++] = i;
	}
	PQclear(r);
	return lack;
}

static int rank(const char *name)
{
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
		if (!strcmp(order[i], name))
			return (int)i;
	return (int)(sizeof order / sizeof order[0]);
}

static int by_order(const void *a, const void *b)
{
	const struct table *x = a, *y = b;
	int rx = rank(x->s.name), ry = rank(y->s.name);
	return rx != ry ? rx - ry : strcmp(x->s.name, y->s.name);
}

/* The sum of t's rows in PostgreSQL (the same columns, read back). */
static int pg_sum(PGconn *c, struct table *t, char *err, size_t errlen)
{
	struct buf sql = {0};
	buf_add(&sql, "SELECT ");
	for (int i = 0; i < t->ncols; i++)
		buf_addf(&sql, "%s\"%s\"", i ? ", " : "", t->s.col[t->cols[i]]);
	buf_addf(&sql, " FROM \"%s\"", t->s.name);
	int rc = 0;
	memset(&t->dst, 0, sizeof t->dst);
	if (!PQsendQuery(c, sql.p) || !PQsetSingleRowMode(c)) {
		snprintf(err, errlen, "%s: %s", t->s.name, PQerrorMessage(c));
		buf_free(&sql);
		return -1;
	}
	PGresult *r;
	const char *v[SQLITE_ROWS_MAX_COLS];
	size_t len[SQLITE_ROWS_MAX_COLS];
	while ((r = PQgetResult(c))) {
		int s = PQresultStatus(r);
		if (s == PGRES_SINGLE_TUPLE) {
			for (int i = 0; i < t->ncols; i++) {
				v[i] = PQgetisnull(r, 0, i) ? NULL : PQgetvalue(r, 0, i);
				len[i] = (size_t)PQgetlength(r, 0, i);
			}
			sum_row(&t->dst, v, len, t->ncols);
		} else if (s != PGRES_TUPLES_OK && !rc) {
			snprintf(err, errlen, "%s: %s", t->s.name, PQresultErrorMessage(r));
			rc = -1;
		}
		PQclear(r);
	}
	buf_free(&sql);
	return rc;
}

/* ---- uploaded files ---- */

static const char *files_from, *files_to;
static int64_t files_n, files_bytes, files_failed;

static int copy_one(const char *path, const struct stat *sb, int type, struct FTW *f)
{
	(void)f;
	const char *rel = path + strlen(files_from);
	while (*rel == '/')
		rel++;
	if (!strncmp(rel, "tmp", 3) && (rel[3] == '/' || !rel[3]))
		return 0; /* unfinished uploads */
	char dst[4096];
	snprintf(dst, sizeof dst, "%s/%s", files_to, rel);
	if (type == FTW_D) {
		if (mkdir(dst, 0750) && errno != EEXIST)
			files_failed++;
		return 0;
	}
	if (type != FTW_F)
		return 0;
	struct stat have;
	if (!stat(dst, &have) && have.st_size == sb->st_size)
		return 0; /* named by its content: already there */
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.migrate-tmp", dst);
	int in = open(path, O_RDONLY | O_CLOEXEC),
	    out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	char b[65536];
	ssize_t n = 0;
	int bad = in < 0 || out < 0;
	while (!bad && (n = read(in, b, sizeof b)) > 0)
		bad = fd_write_all(out, b, (size_t)n) != 0;
	bad |= n < 0 || (out >= 0 && fsync(out));
	if (in >= 0)
		close(in);
	if (out >= 0)
		bad |= close(out) != 0;
	if (bad || rename(tmp, dst)) {
		fprintf(stderr, "fechatter: migrate: cannot copy %s to %s: %s\n", path, dst, strerror(errno));
		unlink(tmp);
		files_failed++;
		return 0;
	}
	files_n++;
	files_bytes += sb->st_size;
	return 0;
}

static int count_one(const char *path, const struct stat *sb, int type, struct FTW *f)
{
	(void)f, (void)sb;
	const char *rel = path + strlen(files_from);
	while (*rel == '/')
		rel++;
	if (type == FTW_F && strncmp(rel, "tmp/", 4))
		files_n++;
	return 0;
}

/* ---- the command ---- */

int pg_migrate_run(const struct pg_migrate_opts *o)
{
	char err[1024];
	struct sqlite_rows *db = NULL;
	struct table *t = NULL;
	struct sqlite_rows_table *st = NULL;
	size_t n = 0;
	PGconn *c = NULL;
	PGresult *r = NULL, *indexes = NULL;
	int code = 2;
	if (sodium_init() < 0) {
		fprintf(stderr, "fechatter: migrate: libsodium failed to initialise\n");
		return 1;
	}
	if (sqlite_rows_open(o->sqlite_path, &db, err, sizeof err) ||
	    sqlite_rows_tables(db, &st, &n, err, sizeof err)) {
		fprintf(stderr, "fechatter: migrate: %s\n", err);
		goto out;
	}
	/* the schema, as the PostgreSQL store applies it (nothing when there) */
	struct store ps = {0};
	if (pg_store_open(o->pg_url, 60000, 1, &ps, err, sizeof err)) {
		fprintf(stderr, "fechatter: migrate: PostgreSQL at --pg-url: %s\n", err);
		goto out;
	}
	pg_store_close(&ps);
	c = PQconnectdb(o->pg_url);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "fechatter: migrate: cannot connect to PostgreSQL at --pg-url: %s",
		        PQerrorMessage(c));
		goto out;
	}
	PQclear(PQexec(c, "SET client_min_messages = warning"));
	t = xcalloc(n ? n : 1, sizeof *t);
	char missing[1024] = "";
	uint64_t total = 0;
	int absent = 0;
	for (size_t i = 0; i < n; i++) {
		t[i].s = st[i];
		int lack = match_columns(c, &t[i], missing, sizeof missing);
		if (lack < 0) {
			size_t l = strlen(missing);
			snprintf(missing + l, sizeof missing - l, "%stable %s", l ? ", " : "", t[i].s.name);
			absent++;
		}
		total += (uint64_t)t[i].s.rows;
	}
	if (absent == (int)n) {
		fprintf(stderr,
		        "fechatter: migrate: the PostgreSQL database has no fechatter schema (no table of the"
		        " single-box database is there): create it first (schema/postgres/)\n");
		goto out;
	}
	if (missing[0]) {
		fprintf(
		    stderr,
		    "fechatter: migrate: PostgreSQL lacks what the single-box database holds (%s): its schema"
		    " is older than this database's; nothing copied\n",
		    missing);
		goto out;
	}
	qsort(t, n, sizeof *t, by_order);
	for (size_t i = 0; i < n; i++) {
		char sql[200];
		snprintf(sql, sizeof sql, "SELECT EXISTS (SELECT 1 FROM \"%s\")", t[i].s.name);
		r = PQexec(c, sql);
		if (!ok(r)) {
			fprintf(stderr, "fechatter: migrate: %s: %s", t[i].s.name, PQresultErrorMessage(r));
			goto out;
		}
		if (!strcmp(PQgetvalue(r, 0, 0), "t")) {
			fprintf(
			    stderr,
			    "fechatter: migrate: the PostgreSQL database is not empty (table %s has rows):"
			    " migrate copies into an empty database only; nothing copied\n",
			    t[i].s.name);
			goto out;
		}
		PQclear(r);
		r = NULL;
	}
	code = 1;
	/* the copy: one transaction */
	struct progress pr;
	uint64_t done = 0;
	int64_t t0 = time_mono_us(), t_idx = 0;
	progress_begin(&pr, "migrate", total, "rows");
	r = PQexec(c, "BEGIN");
	if (!ok(r)) {
		fprintf(stderr, "fechatter: migrate: BEGIN: %s", PQresultErrorMessage(r));
		goto out;
	}
	PQclear(r);
	r = NULL;
	PQclear(PQexec(c, "SET LOCAL maintenance_work_mem = '256MB'")); /* for the index builds */
	/* secondary indexes (not those of a constraint) are dropped for the
	 * copy and built again after it, in the same transaction: one build
	 * of each (the GIN ones above all) instead of an update per row */
	struct buf names = {0};
	buf_add(&names, "{");
	for (size_t i = 0; i < n; i++)
		buf_addf(&names, "%s\"%s\"", i ? "," : "", t[i].s.name);
	buf_add(&names, "}");
	const char *nv[1] = {names.p};
	indexes =
	    exec1(c,
	          "SELECT format('%I', ic.relname), pg_get_indexdef(i.indexrelid) FROM pg_index i"
	          " JOIN pg_class t ON t.oid = i.indrelid JOIN pg_class ic ON ic.oid = i.indexrelid"
	          " WHERE t.relnamespace = current_schema()::regnamespace AND t.relname = ANY($1::text[])"
	          " AND NOT i.indisprimary AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE"
	          " k.conindid = i.indexrelid)",
	          1, nv);
	buf_free(&names);
	if (!ok(indexes)) {
		snprintf(err, sizeof err, "listing the indexes: %s", PQresultErrorMessage(indexes));
		goto copy_failed;
	}
	for (int k = 0; k < PQntuples(indexes); k++) {
		char sql[256];
		snprintf(sql, sizeof sql, "DROP INDEX %s", PQgetvalue(indexes, k, 0));
		r = PQexec(c, sql);
		if (!ok(r)) {
			snprintf(err, sizeof err, "%s: %s", sql, PQresultErrorMessage(r));
			goto copy_failed;
		}
		PQclear(r);
		r = NULL;
	}
	for (size_t i = 0; i < n; i++) {
		struct buf sql = {0};
		buf_addf(&sql, "COPY \"%s\" (", t[i].s.name);
		for (int k = 0, first = 1; k < t[i].ncols; k++) {
			if (k == t[i].late)
				continue;
			buf_addf(&sql, "%s\"%s\"", first ? "" : ", ", t[i].s.col[t[i].cols[k]]);
			first = 0;
		}
		buf_add(&sql, ") FROM STDIN");
		int rc = copy_table(db, c, &t[i], sql.p, -1, &pr, &done, err, sizeof err);
		buf_free(&sql);
		if (rc)
			goto copy_failed;
		progress_update(&pr, done);
	}
	/* the late column, once the files are in */
	for (size_t i = 0; i < n; i++) {
		if (t[i].late < 0)
			continue;
		int id = -1;
		for (int k = 0; k < t[i].ncols; k++)
			if (!strcmp(t[i].s.col[t[i].cols[k]], "id"))
				id = k;
		r = PQexec(c, "CREATE TEMP TABLE fe_migrate_late (id bigint, v bigint) ON COMMIT DROP");
		if (!ok(r) || id < 0) {
			snprintf(err, sizeof err, "%s.%s: %s", t[i].s.name, LATE_COL,
			         PQresultErrorMessage(r));
			goto copy_failed;
		}
		PQclear(r);
		r = NULL;
		if (copy_table(db, c, &t[i], "COPY fe_migrate_late (id, v) FROM STDIN", id, &pr, &done, err,
		               sizeof err))
			goto copy_failed;
		char sql[256];
		snprintf(sql, sizeof sql,
		         "UPDATE \"%s\" x SET \"%s\" = l.v FROM fe_migrate_late l WHERE x.id = l.id",
		         t[i].s.name, LATE_COL);
		r = PQexec(c, sql);
		if (!ok(r)) {
			snprintf(err, sizeof err, "%s.%s: %s", t[i].s.name, LATE_COL,
			         PQresultErrorMessage(r));
			goto copy_failed;
		}
		PQclear(r);
		r = NULL;
	}
	t_idx = time_mono_us();
	for (int k = 0; k < PQntuples(indexes); k++) {
		r = PQexec(c, PQgetvalue(indexes, k, 1));
		if (!ok(r)) {
			snprintf(err, sizeof err, "building %s: %s", PQgetvalue(indexes, k, 0),
			         PQresultErrorMessage(r));
			goto copy_failed;
		}
		PQclear(r);
		r = NULL;
	}
	/* the sequences past every id SQLite handed out */
	for (size_t i = 0; i < n; i++) {
		if (!t[i].has_identity)
			continue;
		char sql[400], seq[24];
		snprintf(seq, sizeof seq, "%lld", (long long)t[i].s.seq);
		const char *v[2] = {t[i].s.name, seq};
		snprintf(sql, sizeof sql,
		         "SELECT CASE WHEN m > 0 THEN setval(pg_get_serial_sequence($1, 'id'), m, true)"
		         " ELSE setval(pg_get_serial_sequence($1, 'id'), 1, false) END FROM"
		         " (SELECT greatest(coalesce(max(id), 0), $2::bigint) AS m FROM \"%s\") x",
		         t[i].s.name);
		r = exec1(c, sql, 2, v);
		if (!ok(r)) {
			snprintf(err, sizeof err, "%s: moving the id sequence: %s", t[i].s.name,
			         PQresultErrorMessage(r));
			goto copy_failed;
		}
		PQclear(r);
		r = NULL;
	}
	r = PQexec(c, "COMMIT");
	if (!ok(r)) {
		snprintf(err, sizeof err, "COMMIT: %s", PQresultErrorMessage(r));
		goto copy_failed;
	}
	PQclear(r);
	r = NULL;
	progress_end(&pr);
	int64_t t1 = time_mono_us();
	fprintf(o->out,
	        "migrate: %llu rows in %zu tables copied in %.1f s (%.0f rows/s; of which building the "
	        "indexes and the commit %.1f s)\n",
	        (unsigned long long)done, n, (double)(t1 - t0) / 1e6,
	        (double)done * 1e6 / (double)(t1 - t0 + 1), (double)(t1 - t_idx) / 1e6);
	/* the signing key: tokens the single box issued stay valid */
	if (o->key_path) {
		unsigned char sk[64], want[64];
		int fd = open(o->key_path, O_RDONLY | O_CLOEXEC), made = 0;
		ssize_t got = fd >= 0 ? fd_read_full(fd, sk, sizeof sk) : -1;
		if (fd >= 0)
			close(fd);
		struct store ks = {0};
		if (got != (ssize_t)sizeof sk) {
			fprintf(o->out, "signing key: none in %s: everyone signs in again\n", o->key_path);
		} else if (memcpy(want, sk, sizeof sk),
		           pg_store_open(o->pg_url, 60000, 0, &ks, err, sizeof err) ||
		               pg_store_signing_key(&ks, sk, &made)) {
			fprintf(o->out, "signing key: not stored (%s): everyone signs in again\n",
			        ks.impl ? "the database refused it" : err);
		} else {
			fprintf(o->out, "signing key: %s\n",
			        made || !memcmp(sk, want, sizeof sk)
			            ? "the single box's, stored: signed-in sessions go on"
			            : "the database already had another one: everyone signs in again");
		}
		pg_store_close(&ks);
		sodium_memzero(sk, sizeof sk);
		sodium_memzero(want, sizeof want);
	}
	/* the check */
	PQclear(PQexec(c, "ANALYZE"));
	int bad = 0;
	fprintf(o->out, "%-16s %10s %10s  %-32s  %-32s  %s\n", "table", "sqlite", "postgres", "sqlite hash",
	        "postgres hash", "check");
	for (size_t i = 0; i < n; i++) {
		char hs[33], hd[33];
		if (pg_sum(c, &t[i], err, sizeof err)) {
			fprintf(stderr, "fechatter: migrate: check: %s\n", err);
			t[i].dst.rows = -1;
		}
		sum_hex(&t[i].src, hs);
		sum_hex(&t[i].dst, hd);
		int same = t[i].src.rows == t[i].s.rows && t[i].dst.rows == t[i].s.rows && !strcmp(hs, hd);
		bad |= !same;
		fprintf(o->out, "%-16s %10lld %10lld  %s  %s  %s\n", t[i].s.name, (long long)t[i].s.rows,
		        (long long)t[i].dst.rows, hs, hd, same ? "ok" : "MISMATCH");
	}
	/* uploaded files */
	files_from = o->files_from;
	struct stat sb;
	if (stat(o->files_from, &sb) || !S_ISDIR(sb.st_mode)) {
		fprintf(o->out, "files: no %s (no uploads to copy)\n", o->files_from);
	} else if (o->files_to) {
		files_to = o->files_to;
		if (mkdir(files_to, 0750) && errno != EEXIST) {
			fprintf(stderr, "fechatter: migrate: cannot create %s: %s\n", files_to,
			        strerror(errno));
			bad = 1;
		} else {
			nftw(o->files_from, copy_one, 16, FTW_PHYS);
			fprintf(o->out, "files: %lld copied (%lld bytes) from %s to %s%s\n",
			        (long long)files_n, (long long)files_bytes, o->files_from, files_to,
			        files_failed ? ", SOME FAILED" : "");
			bad |= files_failed != 0;
		}
	} else {
		nftw(o->files_from, count_one, 16, FTW_PHYS);
		fprintf(
		    o->out,
		    "files: %lld uploaded files are in %s: copy that folder to the cluster's shared --files"
		    " folder (or run migrate again with --files DIR)\n",
		    (long long)files_n, o->files_from);
	}
	fprintf(o->out, "%s\n", bad ? "migrate: CHECK FAILED" : "migrate: ok, every table matches");
	code = bad ? 1 : 0;
	goto out;
copy_failed:
	progress_end(&pr);
	PQclear(r);
	r = NULL;
	PQclear(PQexec(c, "ROLLBACK"));
	fprintf(stderr, "fechatter: migrate: copy failed, nothing kept (rolled back): %s\n", err);
	code = 1;
out:
	PQclear(r);
	PQclear(indexes);
	PQfinish(c);
	free(t);
	free(st);
	sqlite_rows_close(db);
	return code;
}
