/* core/writer: the batch queue and its transaction. */
#include <stdlib.h>
#include "core/writer.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/xalloc.h"

struct writer {
	struct app *app;
	struct write_op *head, *tail;
	int scheduled;
	struct writer_stats stats;
};

struct writer *writer_new(struct app *app)
{
	struct writer *w = xcalloc(1, sizeof *w);
	w->app = app;
	return w;
}

void writer_free(struct writer *w)
{
	if (!w)
		return;
	writer_flush(w);
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
			writer_flush(w); /* no loop (tests): write through */
	}
}

void writer_flush(struct writer *w)
{
	struct app *app = w->app;
	struct store *st = &app->store;
	struct write_op *batch = w->head;
	w->head = w->tail = NULL;
	w->scheduled = 0;
	if (!batch)
		return;
	uint64_t n = 0;
	int rc = store_call(st, begin);
	for (struct write_op *op = batch; op && !rc; op = op->next) {
		n++;
		if ((op->rc = store_call(st, begin)))
			continue;
		if ((op->rc = op->apply(app, op)))
			store_call(st, rollback);
		else if ((op->rc = store_call(st, commit)))
			store_call(st, rollback);
	}
	if (!rc && (rc = store_call(st, commit)))
		store_call(st, rollback);
	w->stats.batches++;
	w->stats.ops += n;
	if (n > w->stats.max_batch)
		w->stats.max_batch = n;
	if (rc) {
		w->stats.failed_batches++;
		log_err("writer: batch of %llu failed rc=%d", (unsigned long long)n, rc);
	}
	for (struct write_op *op = batch, *next; op; op = next) {
		next = op->next;
		op->done(app, op, rc ? rc : op->rc);
	}
}

void writer_stats(const struct writer *w, struct writer_stats *out)
{
	*out = w->stats;
}
