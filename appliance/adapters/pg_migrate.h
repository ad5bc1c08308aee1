/* adapters/pg_migrate: `fechatter migrate --to postgres` (fechatter-cluster
 * only): copies a single-box SQLite database into an empty PostgreSQL
 * database that has the schema of schema/postgres/, ids kept, in one
 * transaction (COPY ... FROM STDIN per table), moves the id sequences past
 * the copied ids (past SQLite's AUTOINCREMENT counters too, so no id is
 * ever reused), stores the single box's token signing key as the
 * cluster's (unless the database has one already), so signed-in sessions
 * go on, then checks every table: row count and a content hash
 * computed here on the rows read from each side, printed as a table. */
#ifndef FE_PG_MIGRATE_H
#define FE_PG_MIGRATE_H
#include <stdio.h>

struct pg_migrate_opts {
	const char *sqlite_path; /* DATA/fechatter.db */
	const char *pg_url;      /* conninfo or postgresql:// URL */
	const char *files_from;  /* DATA/files */
	const char *files_to;    /* the cluster's shared --files folder, or NULL: only say what to copy */
	const char *key_path;    /* DATA/jwt_ed25519.key: the token signing key, moved along (NULL: not) */
	FILE *out;               /* the report (stdout); progress goes to stderr */
};

/* Runs the migration. Returns the command's exit code: 0 when every table
 * matched on both sides (and the files were copied when asked), 1 when the
 * copy or a check failed (the transaction is rolled back when the copy
 * failed), 2 for unusable input (the SQLite file is missing, not a
 * database or damaged; PostgreSQL unreachable, without the schema, or not
 * empty), with a message on stderr. */
int pg_migrate_run(const struct pg_migrate_opts *o);

#endif
