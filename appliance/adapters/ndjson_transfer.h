/* adapters/ndjson_transfer: the transfer codec (ports/transfer.h) as
 * NDJSON: one JSON object per line, "type" first, keys in a fixed order,
 * so one workspace always gives the same bytes. Lines are read one at a
 * time (at most NDJSON_LINE_MAX bytes), so memory does not grow with the
 * file. The format is described in docs/EXPORT.md. */
#ifndef FE_NDJSON_TRANSFER_H
#define FE_NDJSON_TRANSFER_H
#include <stdio.h>
#include "ports/transfer.h"

#define NDJSON_LINE_MAX (1 << 20)

/* A codec writing to f (borrowed; the caller flushes and closes it). */
void ndjson_writer(FILE *f, struct tr_codec *out);

/* A codec reading from f (borrowed). */
void ndjson_reader(FILE *f, struct tr_codec *out);

/* Frees what either made. NULL-safe on a zeroed codec. */
void ndjson_close(struct tr_codec *c);

#endif
