/* core/writer: group commit. Writes queued during one turn of the event
 * loop are applied in one transaction; only after COMMIT does each write's
 * done callback run (answer the client, publish events). With
 * synchronous=FULL an acknowledged write is durable.
 *
 * Two ways to run:
 * - on the loop (writer_new alone: tests, commands, group commit off): the
 *   batch is applied and committed on the loop thread, on app->store, at
 *   the end of the turn (app->schedule_flush) or at once without a loop;
 * - on a writer thread (writer_start_thread, the server): the thread owns
 *   its own write connection; at the end of each turn the loop hands the
 *   turn's writes over and goes on reading frames while the thread applies
 *   and commits (waiting for fsync); the writes handed over meanwhile form
 *   the next batch. Finished batches come back through a list the loop
 *   drains (writer_reap, after the thread's wake call).
 *
 * A batch is applied first without savepoints; when a write fails, the
 * whole transaction is rolled back and the batch applied again with each
 * write inside its own savepoint, so one failing write does not undo the
 * others. An apply may therefore run twice and must be repeatable (start
 * from the op's inputs, not from what an earlier run left in it). */
#ifndef FE_WRITER_H
#define FE_WRITER_H
#include <stdint.h>
#include "core/app.h"

struct write_op {
	/* Applies the write inside the batch transaction on st (the writer's
	 * connection); returns 0 or FE_E*. Runs on the writer thread when
	 * there is one: it may use st, the op, app->cfg and app->now_ms, but
	 * nothing the loop owns (app->store, the cache, the bus, presence). */
	int (*apply)(struct app *app, struct store *st, struct write_op *op);
	/* Runs on the loop after the batch committed (rc 0) or failed (rc
	 * FE_E*). Frees op. */
	void (*done)(struct app *app, struct write_op *op, int rc);
	struct write_op *next;
	int rc;
};

struct writer_stats {
	/* batches committed or failed, writes in them, batches whose BEGIN or
	 * COMMIT failed, the largest batch, batches applied a second time
	 * with savepoints (a write failed) */
	uint64_t batches, ops, failed_batches, max_batch, replays;
};

/* A writer for app (borrowed: it must outlive the writer), running on the
 * loop thread with app->store. Returns owned, free with writer_free().
 * Aborts when out of memory. Called on the loop thread (main.c, tests). */
struct writer *writer_new(struct app *app);

/* Moves the writes to a thread of their own that owns st (borrowed: an
 * open store on the same database as app->store, used by nobody else
 * until writer_free returned; the caller closes it after). wake(wake_arg)
 * is called from the thread after each batch, to make the loop call
 * writer_reap (server_wake: lws_cancel_service). pipelined: st leaves its
 * commits unsynced (sqlite_store_open with SQLITE_DEFERRED_SYNC); a second
 * thread syncs them (st's sync entry, one fdatasync for every batch
 * committed meanwhile) while the writer thread writes the next batch, and
 * a batch is answered only after the sync that followed its commit.
 * Flushes what is queued first. Returns 0, or -1 when a thread cannot
 * start (the writer then stays on the loop). */
int writer_start_thread(struct writer *w, struct store *st, int pipelined, void (*wake)(void *),
                        void *wake_arg);

/* Flushes what is still queued and stops the thread (every done callback
 * runs, on the calling thread), then frees w. NULL-safe. */
void writer_free(struct writer *w);

/* Queues op (borrowed until its done callback, which frees it) and asks
 * the loop for a flush at the end of this turn (app->schedule_flush),
 * which calls writer_kick. With group commit off (cfg group_commit 0), or
 * without a loop (tests, demo seeding), the write is done (writer_flush)
 * before this returns. Loop thread only. */
void writer_submit(struct writer *w, struct write_op *op);

/* End of a loop turn: on the loop, the same as writer_flush; with a thread,
 * hands what is queued to the thread and returns at once. */
void writer_kick(struct writer *w);

/* Applies and commits everything queued and waits for it; then runs every
 * done callback of finished batches in queue order: rc is the write's own
 * result, or the batch's error when BEGIN or COMMIT failed (then nothing
 * of the batch is kept: a full disk fails the batch, the next one tries
 * again). Nothing queued: nothing happens. Loop thread only; blocks for a
 * commit (shutdown, tests, group commit off). */
void writer_flush(struct writer *w);

/* Runs the done callbacks of the batches the thread finished (in order);
 * never blocks. Loop thread only (on the loop's wake-up). */
void writer_reap(struct writer *w);

/* Copies the counters since writer_new. Any thread. */
void writer_stats(struct writer *w, struct writer_stats *out);

#endif
