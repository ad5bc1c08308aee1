/* search-baseline: runs SQL queries (one per line of a file) against a
 * SQLite database, read-only, one at a time, and prints "milliseconds rows"
 * for each (prepare + every step + finalize, CLOCK_MONOTONIC). The queries
 * are run REPEAT times; only the last round is printed (the earlier ones
 * warm the caches). Used by search.sh for the plain-FTS5 baseline.
 * usage: search-baseline DB QUERIES_FILE [REPEAT] */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s DB QUERIES_FILE [REPEAT]\n", argv[0]);
		return 2;
	}
	int repeat = argc > 3 ? atoi(argv[3]) : 2;
	if (repeat < 1 || repeat > 100)
		repeat = 2;
	sqlite3 *db;
	if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fprintf(stderr, "cannot open %s: %s\n", argv[1], sqlite3_errmsg(db));
		return 1;
	}
	sqlite3_busy_timeout(db, 10000);
	FILE *f = fopen(argv[2], "r");
	if (!f) {
		perror(argv[2]);
		return 1;
	}
	size_t cap = 0, n = 0;
	char **q = NULL, *line = NULL;
	size_t lcap = 0;
	ssize_t len;
	while ((len = getline(&line, &lcap, f)) > 0) {
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		if (!len)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			q = realloc(q, cap * sizeof *q);
			if (!q)
				abort();
		}
		q[n++] = strdup(line);
	}
	fclose(f);
	free(line);
	for (int r = 0; r < repeat; r++) {
		for (size_t i = 0; i < n; i++) {
			sqlite3_stmt *st;
			long rows = 0;
			double t0 = now_ms();
			if (sqlite3_prepare_v2(db, q[i], -1, &st, NULL) != SQLITE_OK) {
				fprintf(stderr, "prepare failed for query %zu: %s\n", i + 1, sqlite3_errmsg(db));
				return 1;
			}
			int s;
			while ((s = sqlite3_step(st)) == SQLITE_ROW) {
				for (int c = 0; c < sqlite3_column_count(st); c++)
					(void)sqlite3_column_text(st, c); /* the values are produced, as a server would */
				rows++;
			}
			sqlite3_finalize(st);
			double ms = now_ms() - t0;
			if (s != SQLITE_DONE) {
				fprintf(stderr, "query %zu failed: %s\n", i + 1, sqlite3_errmsg(db));
				return 1;
			}
			if (r == repeat - 1)
				printf("%.4f %ld\n", ms, rows);
		}
	}
	sqlite3_close(db);
	return 0;
}
