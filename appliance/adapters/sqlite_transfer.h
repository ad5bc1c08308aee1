/* adapters/sqlite_transfer: the transfer ports (ports/transfer.h) on
 * SQLite: a read-only source that walks one workspace (fechatter export,
 * also beside a running server) and a sink that loads one into an empty
 * store (fechatter import). Apart from the store port: the server never
 * uses them. */
#ifndef FE_SQLITE_TRANSFER_H
#define FE_SQLITE_TRANSFER_H
#include <stddef.h>
#include <stdint.h>
#include "ports/store.h"
#include "ports/transfer.h"

/* Opens the database at path read-only as a source for workspace_id (0:
 * the only workspace). Safe while a server writes (WAL: the walk reads one
 * snapshot). Returns 0 and fills *out (close with out->ops->close), -1 when
 * the database cannot be opened or read, TR_EINPUT when the workspace does
 * not exist or, with 0, there is not exactly one; the reason is in err. */
int sqlite_export_open(const char *path, int64_t workspace_id, struct tr_source *out, char *err,
                       size_t errlen);

/* Starts an import into the store st (a SQLite store from
 * sqlite_store_open; borrowed, must outlive the sink): refuses with
 * TR_EINPUT when it already holds users; else opens the one transaction
 * the whole import runs in and fills *out (close with out->ops->close,
 * which rolls back unless committed). Returns 0, TR_EINPUT or TR_ESTORE
 * with the reason in err. */
int sqlite_import_open(struct store *st, struct tr_sink *out, char *err, size_t errlen);

#endif
