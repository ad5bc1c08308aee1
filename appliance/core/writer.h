/* core/writer: group commit. Writes queued during one turn of the event
 * loop are applied in one transaction at the end of the turn (each inside
 * its own savepoint, so one failing write does not undo the others); only
 * after COMMIT does each write's done callback run (answer the client,
 * publish events). With synchronous=FULL an acknowledged write is durable. */
#ifndef FE_WRITER_H
#define FE_WRITER_H
#include <stdint.h>
#include "core/app.h"

struct write_op {
	/* Applies the write inside the batch transaction; returns 0 or FE_E*. */
	int (*apply)(struct app *app, struct write_op *op);
	/* Runs after the batch committed (rc 0) or failed (rc FE_E*). Frees op. */
	void (*done)(struct app *app, struct write_op *op, int rc);
	struct write_op *next;
	int rc;
};

struct writer_stats {
	uint64_t batches, ops, failed_batches, max_batch;
};

/* Returns owned, free with writer_free(). */
struct writer *writer_new(struct app *app);
void writer_free(struct writer *w);

/* Queues op and asks the loop for a flush at the end of this turn. */
void writer_submit(struct writer *w, struct write_op *op);

/* Applies and commits everything queued, then runs the done callbacks. */
void writer_flush(struct writer *w);

void writer_stats(const struct writer *w, struct writer_stats *out);

#endif
