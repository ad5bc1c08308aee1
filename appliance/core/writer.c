/* core/writer: the batch queue, its transaction and the writer thread. */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include "core/writer.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/xalloc.h"

struct writer {
	struct app *app;
	/* loop side: the writes of this turn */
	struct write_op *head, *tail;
	int scheduled;
	/* the thread (threaded 1) and what it shares with the loop, under mu */
	int threaded, stopping, busy;
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t work, idle;
	/* the sync pipeline (pipelined 1): committed batches wait in the sync
	 * list for the syncer thread's fdatasync before they are answered */
	int pipelined, sync_stop, syncing;
	pthread_t sync_tid;
	pthread_cond_t sync_work;
	struct write_op *sync_head, *sync_tail;
	struct write_op *in_head, *in_tail;   /* handed over, not yet taken */
	struct write_op *out_head, *out_tail; /* finished, for writer_reap */
	struct store *st;                     /* the thread's connection */
	void (*wake)(void *);
	void *wake_arg;
	struct writer_stats stats;
	int one_cpu; /* the process may run on one CPU only (writer_kick yields) */
};

struct writer *writer_new(struct app *app)
{
	struct writer *w = xcalloc(1, sizeof *w);
	w->app = app;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->idle, NULL);
	pthread_cond_init(&w->sync_work, NULL);
	return w;
}

/* A failure that may have undone more than the write (SQLite rolls the
 * whole transaction back on some of them, e.g. a full disk): the batch
 * fails as a whole, so that no write is acknowledged without its commit. */
static int fails_batch(int rc)
{
	return rc == FE_ENOSPC || rc == FE_EUNAVAIL || rc == FE_ECORRUPT || rc == FE_EINTERNAL;
}

#define REPLAY 1 /* apply_batch: a write failed without savepoints */

/* One transaction over the batch; each op->rc gets the write's result.
 * Without savepoints, the first failing write rolls everything back and
 * REPLAY is returned. Returns 0, REPLAY or the batch's FE_E* error (the
 * transaction is rolled back then). */
static int apply_batch(struct app *app, struct store *st, struct write_op *batch, int savepoints)
{
	int rc = store_call(st, begin);
	if (rc)
		return rc;
	for (struct write_op *op = batch; op; op = op->next) {
		if (!savepoints) {
			if ((op->rc = op->apply(app, st, op))) {
				store_call(st, rollback);
				return REPLAY;
			}
			continue;
		}
		if ((op->rc = store_call(st, begin)) == 0) {
			if ((op->rc = op->apply(app, st, op)))
				store_call(st, rollback);
			else if ((op->rc = store_call(st, commit)))
				store_call(st, rollback);
		}
		if (fails_batch(op->rc)) {
			store_call(st, rollback);
			return op->rc;
		}
	}
	if ((rc = store_call(st, commit)))
		store_call(st, rollback);
	return rc;
}

/* Applies and commits batch on st; every op->rc is then its final result. */
static void run_batch(struct writer *w, struct store *st, struct write_op *batch)
{
	uint64_t n = 0;
	for (struct write_op *op = batch; op; op = op->next)
		n++;
	int rc = apply_batch(w->app, st, batch, 0), replay = rc == REPLAY;
	if (replay)
		rc = apply_batch(w->app, st, batch, 1);
	if (rc)
		log_err("writer: batch of %llu failed rc=%d", (unsigned long long)n, rc);
	for (struct write_op *op = batch; op; op = op->next)
		if (rc)
			op->rc = rc;
	pthread_mutex_lock(&w->mu);
	w->stats.batches++;
	w->stats.ops += n;
	w->stats.replays += (uint64_t)replay;
	if (n > w->stats.max_batch)
		w->stats.max_batch = n;
	if (rc)
		w->stats.failed_batches++;
	pthread_mutex_unlock(&w->mu);
}

/* Appends the list first..last to the queue head/tail (under w->mu). */
static void append(struct write_op **head, struct write_op **tail, struct write_op *first,
                   struct write_op *last)
{
	if (*tail)
		(*tail)->next = first;
	else
		*head = first;
	*tail = last;
}

static void run_done(struct app *app, struct write_op *batch)
{
	for (struct write_op *op = batch, *next; op; op = next) {
		next = op->next;
		op->done(app, op, op->rc);
	}
}

static void *writer_main(void *p)
{
	struct writer *w = p;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->in_head && !w->stopping)
			pthread_cond_wait(&w->work, &w->mu);
		struct write_op *batch = w->in_head, *last = w->in_tail;
		if (!batch)
			break;
		w->in_head = w->in_tail = NULL;
		w->busy = 1;
		pthread_mutex_unlock(&w->mu);
		run_batch(w, w->st, batch);
		pthread_mutex_lock(&w->mu);
		if (w->pipelined) { /* answered after the syncer's fdatasync */
			append(&w->sync_head, &w->sync_tail, batch, last);
			pthread_cond_signal(&w->sync_work);
		} else {
			append(&w->out_head, &w->out_tail, batch, last);
			if (w->wake)
				w->wake(w->wake_arg);
		}
		w->busy = 0;
		pthread_cond_broadcast(&w->idle);
		/* the batch is answered on the loop meanwhile: a checkpoint
		 * (tens of ms on a busy disk) delays the next batch, never an
		 * acknowledgement or its event */
		if (w->st->ops->checkpoint) {
			pthread_mutex_unlock(&w->mu);
			store_call(w->st, checkpoint);
			pthread_mutex_lock(&w->mu);
		}
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* The sync pipeline: makes the committed batches durable, all those
 * waiting with one fdatasync, while the writer thread writes the next one;
 * then hands them to the loop. A write whose sync failed is answered with
 * that error (it is in the database, not known to be on disk). */
static void *syncer_main(void *p)
{
	struct writer *w = p;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->sync_head && !w->sync_stop)
			pthread_cond_wait(&w->sync_work, &w->mu);
		struct write_op *batch = w->sync_head, *last = w->sync_tail;
		if (!batch)
			break;
		w->sync_head = w->sync_tail = NULL;
		w->syncing = 1;
		pthread_mutex_unlock(&w->mu);
		int rc = store_call(w->st, sync);
		for (struct write_op *op = batch; rc && op; op = op->next)
			if (!op->rc)
				op->rc = rc;
		pthread_mutex_lock(&w->mu);
		append(&w->out_head, &w->out_tail, batch, last);
		w->syncing = 0;
		pthread_cond_broadcast(&w->idle);
		if (w->wake)
			w->wake(w->wake_arg);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int writer_start_thread(struct writer *w, struct store *st, int pipelined, void (*wake)(void *),
                        void *wake_arg)
{
	writer_flush(w);
	w->st = st;
	w->wake = wake;
	w->wake_arg = wake_arg;
	w->pipelined = pipelined;
	if (pipelined && pthread_create(&w->sync_tid, NULL, syncer_main, w)) {
		log_err("writer: cannot start the syncer thread; writing on the loop");
		return -1;
	}
	if (pthread_create(&w->tid, NULL, writer_main, w)) {
		log_err("writer: cannot start the writer thread; writing on the loop");
		if (pipelined) {
			pthread_mutex_lock(&w->mu);
			w->sync_stop = 1;
			pthread_cond_signal(&w->sync_work);
			pthread_mutex_unlock(&w->mu);
			pthread_join(w->sync_tid, NULL);
			w->pipelined = 0;
		}
		return -1;
	}
	w->threaded = 1;
	cpu_set_t cpus;
	w->one_cpu = !sched_getaffinity(0, sizeof cpus, &cpus) && CPU_COUNT(&cpus) == 1;
	return 0;
}

void writer_free(struct writer *w)
{
	if (!w)
		return;
	writer_flush(w);
	if (w->threaded) {
		pthread_mutex_lock(&w->mu);
		w->stopping = 1;
		pthread_cond_signal(&w->work);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->tid, NULL);
		if (w->pipelined) {
			pthread_mutex_lock(&w->mu);
			w->sync_stop = 1;
			pthread_cond_signal(&w->sync_work);
			pthread_mutex_unlock(&w->mu);
			pthread_join(w->sync_tid, NULL);
		}
		writer_reap(w);
	}
	pthread_cond_destroy(&w->sync_work);
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->idle);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

void writer_submit(struct writer *w, struct write_op *op)
{
	op->next = NULL;
	op->rc = 0;
	if (w->tail)
		w->tail->next = op;
	else
		w->head = op;
	w->tail = op;
	if (!w->app->cfg->group_commit) {
		writer_flush(w); /* one transaction per write */
		return;
	}
	if (!w->scheduled) {
		w->scheduled = 1;
		if (w->app->schedule_flush)
			w->app->schedule_flush(w->app->loop);
		else
			writer_flush(w); /* no loop (tests, demo seeding): write through */
	}
}

/* Takes the turn's queue. */
static struct write_op *take(struct writer *w, struct write_op **last)
{
	struct write_op *batch = w->head;
	*last = w->tail;
	w->head = w->tail = NULL;
	w->scheduled = 0;
	return batch;
}

void writer_kick(struct writer *w)
{
	if (!w->threaded) {
		writer_flush(w);
		return;
	}
	struct write_op *last, *batch = take(w, &last);
	if (!batch)
		return;
	pthread_mutex_lock(&w->mu);
	int idle = !w->busy && !w->in_head;
	append(&w->in_head, &w->in_tail, batch, last);
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->mu);
	/* On one CPU the woken thread waits until the loop blocks (its next
	 * poll first walks every connection): the loop steps aside so the
	 * commit starts now, and the loop goes on while it waits for the disk. */
	if (idle && w->one_cpu)
		sched_yield();
}

void writer_flush(struct writer *w)
{
	if (!w->threaded) {
		struct write_op *last, *batch = take(w, &last);
		if (!batch)
			return;
		run_batch(w, &w->app->store, batch);
		run_done(w->app, batch);
		return;
	}
	writer_kick(w);
	pthread_mutex_lock(&w->mu);
	while (w->in_head || w->busy || w->sync_head || w->syncing)
		pthread_cond_wait(&w->idle, &w->mu);
	pthread_mutex_unlock(&w->mu);
	writer_reap(w);
}

void writer_reap(struct writer *w)
{
	if (!w || !w->threaded)
		return;
	pthread_mutex_lock(&w->mu);
	struct write_op *done = w->out_head;
	w->out_head = w->out_tail = NULL;
	pthread_mutex_unlock(&w->mu);
	run_done(w->app, done);
}

void writer_stats(struct writer *w, struct writer_stats *out)
{
	pthread_mutex_lock(&w->mu);
	*out = w->stats;
	pthread_mutex_unlock(&w->mu);
}
