/* tests/unit/test_writer: the group-commit writer (core/writer) with fake
 * write ops whose apply writes a workspace row through the real store
 * (SQLite in memory) and can be made to fail: savepoints per op, done
 * callbacks once each in submission order after COMMIT, group commit off,
 * statistics, and writer_free flushing what is queued. */
#include <sys/stat.h>
#include "testapp.h"

#define S (app.store.ops)
#define SI (app.store.impl)

/* A fake write: inserts workspace `name`; fail_rc != 0 makes apply fail
 * after its insert (the savepoint must undo it); fail_before makes it fail
 * without writing. */
struct fop {
	struct write_op op;
	char name[32];
	int fail_rc, fail_before;
	int applied, done_calls, done_rc, done_seq, done_committed;
	int64_t id;
	struct fop *resubmit; /* submitted from done */
};

static int seq;
static int done_order[64];
static int ndone;

static int apply_fop(struct app *a, struct store *st, struct write_op *op)
{
	struct fop *f = (struct fop *)op;
	assert_ptr_equal(a, &app);
	assert_false(committed()); /* inside the batch transaction */
	f->applied++;
	if (f->fail_before)
		return f->fail_rc;
	struct workspace w = {0};
	snprintf(w.name, sizeof w.name, "%s", f->name);
	w.created_at = T0;
	assert_ptr_equal(st, &a->store); /* on the loop: the loop's connection */
	int rc = st->ops->workspace_insert(st->impl, &w);
	if (rc)
		return rc;
	f->id = w.id;
	return f->fail_rc;
}

static void done_fop(struct app *a, struct write_op *op, int rc)
{
	struct fop *f = (struct fop *)op;
	f->done_calls++;
	f->done_rc = rc;
	f->done_seq = seq++;
	f->done_committed = committed();
	assert_true(ndone < 64);
	done_order[ndone++] = atoi(f->name + 1);
	if (f->resubmit)
		writer_submit(a->writer, &f->resubmit->op);
}

static void init_fop(struct fop *f, int i)
{
	memset(f, 0, sizeof *f);
	f->op.apply = apply_fop;
	f->op.done = done_fop;
	snprintf(f->name, sizeof f->name, "w%d", i);
}

static int setup(void **state)
{
	seq = 0;
	ndone = 0;
	/* the test plays the loop */
	return app_setup(&(struct app_opts){.writer = TA_WRITER_LOOP});
}

static int teardown(void **state)
{
	return app_teardown();
}

static int64_t count_ws(void)
{
	int64_t n = -1;
	assert_int_equal(S->workspace_count(SI, &n), 0);
	return n;
}

static int ws_named(int64_t id, const char *name)
{
	struct workspace w;
	if (S->workspace_get(SI, id, &w))
		return 0;
	return !strcmp(w.name, name);
}

static void test_batch_commit_order(void **state)
{
	struct fop f[6];
	for (int i = 0; i < 6; i++) {
		init_fop(&f[i], i);
		writer_submit(app.writer, &f[i].op);
	}
	/* queued: one flush request, nothing applied or answered yet */
	assert_int_equal(flush_requests, 1);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(f[i].applied, 0);
		assert_int_equal(f[i].done_calls, 0);
	}
	assert_int_equal(count_ws(), 0);
	writer_flush(app.writer);
	assert_int_equal(count_ws(), 6);
	assert_int_equal(ndone, 6);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(f[i].applied, 1);
		assert_int_equal(f[i].done_calls, 1);
		assert_int_equal(f[i].done_rc, 0);
		assert_int_equal(f[i].done_seq, i);
		assert_true(f[i].done_committed); /* answered only after COMMIT */
		assert_int_equal(done_order[i], i);
		assert_true(ws_named(f[i].id, f[i].name));
	}
	struct writer_stats st;
	writer_stats(app.writer, &st);
	assert_int_equal(st.batches, 1);
	assert_int_equal(st.ops, 6);
	assert_int_equal(st.max_batch, 6);
	assert_int_equal(st.failed_batches, 0);
	/* flushing an empty queue is not a batch */
	writer_flush(app.writer);
	writer_stats(app.writer, &st);
	assert_int_equal(st.batches, 1);
	assert_int_equal(ndone, 6);
	/* the next submit asks for a flush again */
	struct fop g;
	init_fop(&g, 10);
	writer_submit(app.writer, &g.op);
	assert_int_equal(flush_requests, 2);
	writer_flush(app.writer);
	assert_int_equal(g.done_calls, 1);
	writer_stats(app.writer, &st);
	assert_int_equal(st.batches, 2);
	assert_int_equal(st.ops, 7);
	assert_int_equal(st.max_batch, 6);
}

static void test_failure_isolated(void **state)
{
	struct fop f[5];
	for (int i = 0; i < 5; i++)
		init_fop(&f[i], i);
	f[1].fail_rc = FE_EINVAL; /* wrote its row, then failed: undone */
	f[3].fail_rc = FE_EFORBIDDEN;
	f[3].fail_before = 1; /* failed before writing */
	for (int i = 0; i < 5; i++)
		writer_submit(app.writer, &f[i].op);
	writer_flush(app.writer);
	assert_int_equal(count_ws(), 3);
	assert_true(f[1].id > 0);
	assert_false(ws_named(f[1].id, "w1"));
	assert_true(ws_named(f[0].id, "w0"));
	assert_true(ws_named(f[2].id, "w2"));
	assert_true(ws_named(f[4].id, "w4"));
	int want_rc[5] = {0, FE_EINVAL, 0, FE_EFORBIDDEN, 0};
	/* without savepoints up to the first failure (w1), then the whole
	 * batch again, each write in its savepoint */
	int want_applied[5] = {2, 2, 1, 1, 1};
	for (int i = 0; i < 5; i++) {
		assert_int_equal(f[i].applied, want_applied[i]);
		assert_int_equal(f[i].done_calls, 1);
		assert_int_equal(f[i].done_rc, want_rc[i]);
		assert_int_equal(f[i].done_seq, i);
		assert_true(f[i].done_committed);
	}
	struct writer_stats st;
	writer_stats(app.writer, &st);
	assert_int_equal(st.batches, 1);
	assert_int_equal(st.ops, 5);
	assert_int_equal(st.failed_batches, 0);
	assert_int_equal(st.replays, 1);
	/* the store is usable afterwards: no transaction left open */
	assert_true(committed());
	struct fop g;
	init_fop(&g, 9);
	writer_submit(app.writer, &g.op);
	writer_flush(app.writer);
	assert_int_equal(g.done_rc, 0);
	assert_int_equal(count_ws(), 4);
}

static void test_all_fail(void **state)
{
	struct fop f[3];
	for (int i = 0; i < 3; i++) {
		init_fop(&f[i], i);
		f[i].fail_rc = FE_ECONFLICT;
		writer_submit(app.writer, &f[i].op);
	}
	writer_flush(app.writer);
	assert_int_equal(count_ws(), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(f[i].done_calls, 1);
		assert_int_equal(f[i].done_rc, FE_ECONFLICT);
	}
	assert_true(committed());
}

static void test_group_commit_off(void **state)
{
	cfg.group_commit = 0;
	struct fop f[4];
	struct writer_stats st;
	for (int i = 0; i < 4; i++) {
		init_fop(&f[i], i);
		f[i].fail_rc = i == 2 ? FE_EINVAL : 0;
		writer_submit(app.writer, &f[i].op);
		/* flushed at once: applied, committed and answered before submit
		 * returns (a failing write is applied again in its savepoint) */
		assert_int_equal(f[i].applied, i == 2 ? 2 : 1);
		assert_int_equal(f[i].done_calls, 1);
		assert_true(f[i].done_committed);
		writer_stats(app.writer, &st);
		assert_int_equal(st.batches, (uint64_t)i + 1);
	}
	assert_int_equal(flush_requests, 0);
	assert_int_equal(f[2].done_rc, FE_EINVAL);
	assert_int_equal(f[3].done_rc, 0);
	assert_int_equal(count_ws(), 3);
	writer_stats(app.writer, &st);
	assert_int_equal(st.ops, 4);
	assert_int_equal(st.max_batch, 1);
}

static void test_write_through_without_loop(void **state)
{
	app.schedule_flush = NULL;
	struct fop f;
	init_fop(&f, 1);
	writer_submit(app.writer, &f.op);
	assert_int_equal(f.done_calls, 1);
	assert_int_equal(f.done_rc, 0);
	assert_int_equal(count_ws(), 1);
}

static void test_done_resubmits(void **state)
{
	struct fop a, b;
	init_fop(&a, 1);
	init_fop(&b, 2);
	a.resubmit = &b;
	writer_submit(app.writer, &a.op);
	writer_flush(app.writer);
	assert_int_equal(a.done_calls, 1);
	/* b went into the next batch, with a new flush request */
	assert_int_equal(b.applied, 0);
	assert_int_equal(flush_requests, 2);
	writer_flush(app.writer);
	assert_int_equal(b.done_calls, 1);
	assert_int_equal(b.done_rc, 0);
	assert_int_equal(count_ws(), 2);
	struct writer_stats st;
	writer_stats(app.writer, &st);
	assert_int_equal(st.batches, 2);
	assert_int_equal(st.max_batch, 1);
}

static void test_free_flushes(void **state)
{
	static struct fop f[3];
	for (int i = 0; i < 3; i++) {
		init_fop(&f[i], i);
		writer_submit(app.writer, &f[i].op);
	}
	assert_int_equal(ndone, 0);
	writer_free(app.writer);
	app.writer = NULL;
	assert_int_equal(ndone, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(f[i].done_calls, 1);
		assert_int_equal(f[i].done_rc, 0);
		assert_int_equal(done_order[i], i);
	}
	assert_int_equal(count_ws(), 3);
	writer_free(NULL); /* NULL-safe */
}

/* ---- on a writer thread (the server's way): a file database, the
 * loop's connection app.store and the writer's own connection ---- */

static char tpath[64];
static struct store wst;
static pthread_t loop_thread;
static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int gate_entered, gate_open, wakes_seen;

/* A write that holds its batch open until the test opens the gate. */
struct gop {
	struct fop f;
	int gated;
	pthread_t applied_on, done_on;
	int visible_in_done; /* its row, read on the loop's connection in done */
};

static int apply_gop(struct app *a, struct store *st, struct write_op *op)
{
	struct gop *g = (struct gop *)op;
	g->applied_on = pthread_self();
	assert_ptr_equal(st, &wst); /* the writer's connection, not the loop's */
	struct workspace w = {0};
	snprintf(w.name, sizeof w.name, "%s", g->f.name);
	w.created_at = T0;
	int rc = st->ops->workspace_insert(st->impl, &w);
	g->f.id = w.id;
	g->f.applied++;
	if (g->gated) {
		pthread_mutex_lock(&gate_mu);
		gate_entered = 1;
		pthread_cond_broadcast(&gate_cv);
		while (!gate_open)
			pthread_cond_wait(&gate_cv, &gate_mu);
		pthread_mutex_unlock(&gate_mu);
	}
	return rc ? rc : g->f.fail_rc;
}

static void done_gop(struct app *a, struct write_op *op, int rc)
{
	struct gop *g = (struct gop *)op;
	g->done_on = pthread_self();
	g->f.done_calls++;
	g->f.done_rc = rc;
	g->f.done_seq = seq++;
	g->visible_in_done = ws_named(g->f.id, g->f.name);
}

static void on_writer_wake(void *arg)
{
	assert_ptr_equal(arg, &wakes_seen);
	pthread_mutex_lock(&gate_mu);
	wakes_seen++;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_mu);
}

static void init_gop(struct gop *g, int i)
{
	memset(g, 0, sizeof *g);
	g->f.op.apply = apply_gop;
	g->f.op.done = done_gop;
	snprintf(g->f.name, sizeof g->f.name, "w%d", i);
}

/* Waits (bounded: 10 s, then fails) until *flag >= want. */
static void wait_for(int *flag, int want)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&gate_mu);
	int rc = 0;
	while (*flag < want && rc == 0)
		rc = pthread_cond_timedwait(&gate_cv, &gate_mu, &until);
	int ok = *flag >= want;
	pthread_mutex_unlock(&gate_mu);
	assert_true(ok);
}

static int setup_thread(void **state)
{
	if (setup(state))
		return -1;
	char err[512];
	sqlite_store_close(&app.store);
	assert_true(temp_db_path(tpath, sizeof tpath, "fe_writer") >= 0);
	assert_int_equal(sqlite_store_open(tpath, 1, &app.store, err, sizeof err), 0);
	assert_int_equal(sqlite_store_open(tpath, 1, &wst, err, sizeof err), 0);
	gate_entered = gate_open = wakes_seen = 0;
	loop_thread = pthread_self();
	return writer_start_thread(app.writer, &wst, 0, on_writer_wake, &wakes_seen);
}

static int teardown_thread(void **state)
{
	pthread_mutex_lock(&gate_mu);
	gate_open = 1; /* never leave the thread waiting */
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_mu);
	writer_free(app.writer);
	app.writer = NULL;
	sqlite_store_close(&wst);
	teardown(state);
	remove_db_files(tpath);
	return 0;
}

/* The loop hands a turn's writes over and goes on: while the thread holds
 * a batch open (waiting for its commit), the next turns' writes queue up
 * and form the next batch; each is answered on the loop, after its commit
 * (its row is then visible on the loop's own connection). */
static void test_thread_batch_grows_while_committing(void **state)
{
	static struct gop g[5];
	for (int i = 0; i < 5; i++)
		init_gop(&g[i], i);
	g[0].gated = 1;
	writer_submit(app.writer, &g[0].f.op);
	assert_int_equal(flush_requests, 1);
	writer_kick(app.writer); /* the end of the turn */
	wait_for(&gate_entered, 1);
	/* the thread is inside batch 1; the loop is free: three more turns */
	for (int i = 1; i < 5; i++) {
		writer_submit(app.writer, &g[i].f.op);
		if (i != 2)
			writer_kick(app.writer);
	}
	writer_reap(app.writer);
	for (int i = 0; i < 5; i++)
		assert_int_equal(g[i].f.done_calls, 0); /* nothing answered before its commit */
	assert_false(ws_named(g[0].f.id, "w0"));        /* not committed: the loop does not see it */
	pthread_mutex_lock(&gate_mu);
	gate_open = 1;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_mu);
	wait_for(&wakes_seen, 2); /* two batches, two wake-ups */
	writer_reap(app.writer);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(g[i].f.done_calls, 1);
		assert_int_equal(g[i].f.done_rc, 0);
		assert_int_equal(g[i].f.done_seq, i);
		assert_true(g[i].visible_in_done);
		assert_false(pthread_equal(g[i].applied_on, loop_thread));
		assert_true(pthread_equal(g[i].done_on, loop_thread));
	}
	struct writer_stats st;
	writer_stats(app.writer, &st);
	assert_int_equal(st.batches, 2);
	assert_int_equal(st.ops, 5);
	assert_int_equal(st.max_batch, 4);
	assert_int_equal(count_ws(), 5);
}

/* A write failing with a full disk fails its whole batch (SQLite may have
 * rolled the transaction back under the writes before it): nothing of it
 * is acknowledged or kept; the next batch writes again. */
static void test_thread_full_disk_fails_the_batch(void **state)
{
	static struct gop g[4];
	for (int i = 0; i < 4; i++)
		init_gop(&g[i], i);
	g[1].f.fail_rc = FE_ENOSPC;
	for (int i = 0; i < 3; i++)
		writer_submit(app.writer, &g[i].f.op);
	writer_flush(app.writer);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(g[i].f.done_calls, 1);
		assert_int_equal(g[i].f.done_rc, FE_ENOSPC);
		assert_false(g[i].visible_in_done);
	}
	assert_int_equal(count_ws(), 0);
	writer_submit(app.writer, &g[3].f.op);
	writer_flush(app.writer);
	assert_int_equal(g[3].f.done_rc, 0);
	assert_true(g[3].visible_in_done);
	struct writer_stats st;
	writer_stats(app.writer, &st);
	assert_int_equal(st.failed_batches, 1);
	assert_int_equal(count_ws(), 1);
}

/* writer_free commits what is queued or handed over, answers it, stops
 * the thread. */
static void test_thread_free_flushes(void **state)
{
	static struct gop g[3];
	for (int i = 0; i < 3; i++) {
		init_gop(&g[i], i);
		writer_submit(app.writer, &g[i].f.op);
	}
	writer_kick(app.writer);
	writer_free(app.writer);
	app.writer = NULL;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(g[i].f.done_calls, 1);
		assert_int_equal(g[i].f.done_rc, 0);
		assert_true(g[i].visible_in_done);
		assert_true(pthread_equal(g[i].done_on, loop_thread));
	}
	assert_int_equal(count_ws(), 3);
}

/* ---- the sync pipeline: the writer's connection leaves its commits
 * unsynced; a syncer thread syncs (here: a gated wrapper around the
 * store's sync) while the writer thread commits the next batch ---- */

static struct store_ops gated_ops;
static struct store gated;
static int syncs_entered, sync_open, sync_rc;
static int (*real_sync)(void *s);

static int gated_sync(void *impl)
{
	pthread_mutex_lock(&gate_mu);
	syncs_entered++;
	pthread_cond_broadcast(&gate_cv);
	while (!sync_open)
		pthread_cond_wait(&gate_cv, &gate_mu);
	pthread_mutex_unlock(&gate_mu);
	int rc = real_sync(impl);
	return rc ? rc : sync_rc;
}

static int setup_pipeline(void **state)
{
	if (setup(state))
		return -1;
	char err[512];
	sqlite_store_close(&app.store);
	assert_true(temp_db_path(tpath, sizeof tpath, "fe_writer") >= 0);
	assert_int_equal(sqlite_store_open(tpath, 1, &app.store, err, sizeof err), 0);
	assert_int_equal(sqlite_store_open(tpath, SQLITE_DEFERRED_SYNC, &wst, err, sizeof err), 0);
	gated_ops = *wst.ops;
	real_sync = gated_ops.sync;
	gated_ops.sync = gated_sync;
	gated.ops = &gated_ops;
	gated.impl = wst.impl;
	gate_entered = wakes_seen = syncs_entered = sync_open = sync_rc = 0;
	gate_open = 1;
	loop_thread = pthread_self();
	return writer_start_thread(app.writer, &gated, 1, on_writer_wake, &wakes_seen);
}

static int teardown_pipeline(void **state)
{
	pthread_mutex_lock(&gate_mu);
	sync_open = 1;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_mu);
	return teardown_thread(state);
}

static int apply_gop_on_gated(struct app *a, struct store *st, struct write_op *op)
{
	assert_ptr_equal(st, &gated);
	struct gop *g = (struct gop *)op;
	g->applied_on = pthread_self();
	struct workspace w = {0};
	snprintf(w.name, sizeof w.name, "%s", g->f.name);
	w.created_at = T0;
	int rc = st->ops->workspace_insert(st->impl, &w);
	g->f.id = w.id;
	g->f.applied++;
	return rc;
}

/* While batch 1 waits for its sync, batch 2 is committed (both visible to
 * the loop's connection), neither answered; one sync then answers both,
 * in order, on the loop. */
static void test_pipeline_answers_after_sync(void **state)
{
	static struct gop g[3];
	for (int i = 0; i < 3; i++) {
		init_gop(&g[i], i);
		g[i].f.op.apply = apply_gop_on_gated;
	}
	writer_submit(app.writer, &g[0].f.op);
	writer_kick(app.writer);
	wait_for(&syncs_entered, 1); /* batch 1 committed, its sync waits */
	assert_true(ws_named(g[0].f.id, "w0"));
	writer_submit(app.writer, &g[1].f.op);
	writer_submit(app.writer, &g[2].f.op);
	writer_kick(app.writer);
	/* batch 2 commits beside the pending sync (bounded wait: 10 s) */
	for (int i = 0; i < 1000 && !ws_named(g[2].f.id, "w2"); i++)
		usleep(10000);
	assert_true(ws_named(g[1].f.id, "w1"));
	assert_true(ws_named(g[2].f.id, "w2"));
	writer_reap(app.writer);
	for (int i = 0; i < 3; i++)
		assert_int_equal(g[i].f.done_calls, 0); /* nothing answered before its sync */
	pthread_mutex_lock(&gate_mu);
	sync_open = 1;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_mu);
	writer_flush(app.writer);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(g[i].f.done_calls, 1);
		assert_int_equal(g[i].f.done_rc, 0);
		assert_int_equal(g[i].f.done_seq, i);
		assert_true(pthread_equal(g[i].done_on, loop_thread));
	}
	struct writer_stats st;
	writer_stats(app.writer, &st);
	assert_int_equal(st.batches, 2);
}

/* A failed sync answers its writes with the error (committed, but not
 * known to be on disk): the client retries with its idempotency key. */
static void test_pipeline_sync_failure(void **state)
{
	static struct gop g[2];
	for (int i = 0; i < 2; i++) {
		init_gop(&g[i], i);
		g[i].f.op.apply = apply_gop_on_gated;
		writer_submit(app.writer, &g[i].f.op);
	}
	sync_rc = FE_EUNAVAIL;
	sync_open = 1;
	writer_flush(app.writer);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(g[i].f.done_calls, 1);
		assert_int_equal(g[i].f.done_rc, FE_EUNAVAIL);
	}
}

/* ---- the checkpoint after the answer: the writer thread's connection
 * leaves its checkpoints to the writer (sqlite_store_checkpoints deferred),
 * which runs one (here: a gated wrapper around the store's) after handing
 * each batch over, so that a long checkpoint never holds an answer ---- */

static int ckpts_entered, ckpt_open;
static int (*real_checkpoint)(void *s);

static int gated_checkpoint(void *impl)
{
	pthread_mutex_lock(&gate_mu);
	ckpts_entered++;
	pthread_cond_broadcast(&gate_cv);
	while (!ckpt_open)
		pthread_cond_wait(&gate_cv, &gate_mu);
	pthread_mutex_unlock(&gate_mu);
	return real_checkpoint(impl);
}

static int setup_checkpoint(void **state)
{
	if (setup(state))
		return -1;
	char err[512];
	sqlite_store_close(&app.store);
	assert_true(temp_db_path(tpath, sizeof tpath, "fe_writer") >= 0);
	assert_int_equal(sqlite_store_open(tpath, 1, &app.store, err, sizeof err), 0);
	assert_int_equal(sqlite_store_open(tpath, 1, &wst, err, sizeof err), 0);
	sqlite_store_checkpoints(&wst, 1, 1); /* any commit asks for one */
	gated_ops = *wst.ops;
	real_checkpoint = gated_ops.checkpoint;
	assert_non_null(real_checkpoint);
	gated_ops.checkpoint = gated_checkpoint;
	gated.ops = &gated_ops;
	gated.impl = wst.impl;
	gate_entered = wakes_seen = ckpts_entered = ckpt_open = 0;
	gate_open = 1;
	loop_thread = pthread_self();
	return writer_start_thread(app.writer, &gated, 0, on_writer_wake, &wakes_seen);
}

static int teardown_checkpoint(void **state)
{
	pthread_mutex_lock(&gate_mu);
	ckpt_open = 1; /* never leave the thread waiting */
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_mu);
	return teardown_thread(state);
}

/* A batch is answered while the writer thread is still inside the
 * checkpoint that follows its commit; the next batch waits for the
 * checkpoint, then commits and is answered too; the database file then
 * holds the copied pages (the log was checkpointed). */
static void test_checkpoint_after_answer(void **state)
{
	static struct gop g[2];
	for (int i = 0; i < 2; i++) {
		init_gop(&g[i], i);
		g[i].f.op.apply = apply_gop_on_gated;
	}
	struct stat before, after;
	assert_int_equal(stat(tpath, &before), 0);
	writer_submit(app.writer, &g[0].f.op);
	writer_kick(app.writer);
	wait_for(&ckpts_entered, 1); /* committed, handed over, checkpoint held */
	wait_for(&wakes_seen, 1);    /* the loop was woken before the checkpoint */
	writer_reap(app.writer);
	assert_int_equal(g[0].f.done_calls, 1); /* answered during the checkpoint */
	assert_int_equal(g[0].f.done_rc, 0);
	assert_true(g[0].visible_in_done);
	writer_submit(app.writer, &g[1].f.op);
	writer_kick(app.writer);
	pthread_mutex_lock(&gate_mu);
	ckpt_open = 1;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_mu);
	writer_flush(app.writer);
	assert_int_equal(g[1].f.done_calls, 1);
	assert_int_equal(g[1].f.done_rc, 0);
	assert_true(g[1].visible_in_done);
	wait_for(&ckpts_entered, 2);
	writer_free(app.writer); /* joins the thread: its checkpoint is over */
	app.writer = NULL;
	assert_int_equal(stat(tpath, &after), 0);
	assert_true(after.st_size > before.st_size); /* the schema's pages, copied from the log */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_batch_commit_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failure_isolated, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_all_fail, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_group_commit_off, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_through_without_loop, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_done_resubmits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_free_flushes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_thread_batch_grows_while_committing, setup_thread,
	                                    teardown_thread),
	    cmocka_unit_test_setup_teardown(test_thread_full_disk_fails_the_batch, setup_thread,
	                                    teardown_thread),
	    cmocka_unit_test_setup_teardown(test_thread_free_flushes, setup_thread, teardown_thread),
	    cmocka_unit_test_setup_teardown(test_pipeline_answers_after_sync, setup_pipeline,
	                                    teardown_pipeline),
	    cmocka_unit_test_setup_teardown(test_pipeline_sync_failure, setup_pipeline, teardown_pipeline),
	    cmocka_unit_test_setup_teardown(test_checkpoint_after_answer, setup_checkpoint,
	                                    teardown_checkpoint),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
