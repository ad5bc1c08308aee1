/* adapters/sqlite_store: the store port on SQLite (WAL, foreign keys,
 * synchronous FULL or NORMAL), with the embedded schema migrations. */
#ifndef FE_SQLITE_STORE_H
#define FE_SQLITE_STORE_H
#include <stdio.h>
#include "ports/store.h"

/* durability argument of sqlite_store_open beyond 0 (synchronous=NORMAL) and
 * 1 (FULL): commits are not synced by SQLite (NORMAL: checkpoints still sync
 * the log before and the database after); the caller makes them durable with
 * the store's sync entry (fdatasync of the write-ahead log), e.g. from
 * another thread while the next transaction is written. */
#define SQLITE_DEFERRED_SYNC 2

/* Opens (creating) the database at path (":memory:" for tests), applies the
 * pending migrations in one transaction, fills *st. durability_full selects
 * synchronous=FULL (1), NORMAL (0) or NORMAL with the commits synced by the
 * caller (SQLITE_DEFERRED_SYNC; not for ":memory:"). Returns 0, or -1 with a
 * reason in err (errlen bytes): the database is newer than this binary,
 * unreadable, or a migration failed. */
int sqlite_store_open(const char *path, int durability_full, struct store *st, char *err, size_t errlen);

/* SQLite's automatic checkpoint (pages: 1000 after sqlite_store_open)
 * runs inside the commit that leaves the write-ahead log at `pages` pages or
 * more: that commit returns only after the copy into the database (tens of
 * ms on a busy disk). deferred 1 moves it out of the commits: they only note
 * the log's length, and the store's checkpoint entry copies the log when it
 * reached `pages` (the writer thread calls it after handing a batch over).
 * deferred 0 (re)sets the automatic checkpoint at `pages`. Call on the
 * thread that uses st, outside a transaction. */
void sqlite_store_checkpoints(struct store *st, int pages, int deferred);

/* Checkpoints the WAL (TRUNCATE) and closes. NULL-safe. */
void sqlite_store_close(struct store *st);

/* Writes a consistent copy of the database at src (safe while a server
 * writes to it: SQLite's online backup inside one read transaction, so the
 * copy is the database as of the start and never restarts) to dest,
 * through dest.tmp and a rename; progress on stderr (lib/progress).
 * Returns 0 or -1 with a reason in err (dest.tmp removed). */
int sqlite_store_backup(const char *src, const char *dest, char *err, size_t errlen);

/* What a database holds, for a backup's manifest. */
struct store_summary {
	int schema_version;
	int64_t workspaces, users, chats, messages, files; /* messages: live; files: distinct contents */
};

/* Fills *sum from the database at path (no server on it: a copy, or a
 * stopped server's). Returns 0, or -1
 * with a reason in err (cannot open, not a fechatter database). */
int sqlite_store_summary(const char *path, struct store_summary *sum, char *err, size_t errlen);

/* Calls fn(sha256 hex, arg) once for each distinct file content the
 * database at path (no server on it) references (table files), in order. The string is
 * borrowed for the call. Returns 0, or -1 with a reason in err. */
int sqlite_store_file_shas(const char *path, void (*fn)(const char *sha, void *arg), void *arg, char *err,
                           size_t errlen);

/* Routes SQLite's error log to ours, so the detail of the corruption any
 * connection of the process meets (SQLITE_CORRUPT, SQLITE_NOTADB) is
 * logged. Marking is per store: once the store's own connection, or a
 * search worker reading for it (fts5_search_open), meets damage, the store
 * is damaged for good (logged once): ping answers FE_ECORRUPT, statements
 * FE_ECORRUPT; another store in the process is not affected. Call once
 * before the first database is opened. Returns 0 or -1 (SQLite already
 * initialised). */
int sqlite_store_init(void);

/* 1 once st (a store sqlite_store_open filled) met corruption, else 0. */
int sqlite_store_damaged(const struct store *st);
/* Makes st, a second connection to owner's file (the writer thread's),
 * mark and read owner's damage flag: the file is damaged once, whichever
 * connection met it, and logged once. owner must outlive st. */
void sqlite_store_share_damage(struct store *st, const struct store *owner);

/* PRAGMA integrity_check of the database at path (no server on it).
 * Returns 0 when it answers ok, else -1 with the first problem in err. */
int sqlite_store_integrity(const char *path, char *err, size_t errlen);

/* Offline check of the database at path (no server on it): PRAGMA
 * integrity_check, each FTS5 index's integrity-check, and the word index
 * against the messages (every live message indexed, no row for a deleted or
 * missing one; ids listed), one line each to out, then "database: ok" or
 * "database: damaged". Returns 0 when all are ok; -1 when something is
 * damaged, the file is missing or empty, or cannot be opened. */
int sqlite_store_check(const char *path, FILE *out);

/* The schema version this binary knows (highest embedded migration). */
int sqlite_store_schema_version(void);

#endif
