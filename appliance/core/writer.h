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

/* All functions run on the loop thread, which owns the store: main.c (and
 * the unit tests' app builder) make and free the writer; core/message
 * submits sends; the server calls writer_flush when the loop asks
 * (app->schedule_flush). */

/* A writer for app (borrowed: it must outlive the writer). Returns owned,
 * free with writer_free(). Aborts when out of memory. */
struct writer *writer_new(struct app *app);
/* Flushes what is still queued (every done callback runs), then frees w.
 * NULL-safe. */
void writer_free(struct writer *w);

/* Queues op (borrowed until its done callback, which frees it) and asks
 * the loop for a flush at the end of this turn (app->schedule_flush). With
 * group commit off (cfg group_commit 0), or without a loop (tests), it is
 * written at once (writer_flush) before this returns. */
void writer_submit(struct writer *w, struct write_op *op);

/* Applies and commits everything queued in one transaction, each write in
 * its own savepoint, then runs every done callback in queue order: rc is
 * the write's own result, or the batch's error when BEGIN or COMMIT failed
 * (then nothing of the batch is kept). Nothing queued: nothing happens. */
void writer_flush(struct writer *w);

/* Copies the counters since writer_new: batches flushed, writes in them,
 * batches whose BEGIN or COMMIT failed, the largest batch. */
void writer_stats(const struct writer *w, struct writer_stats *out);

#endif
