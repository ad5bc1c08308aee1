/* tests/unit/test_workers: the worker pool (lib/workers): every job runs
 * once on a worker, every done callback once on the draining thread,
 * pending counts, stop semantics, and lanes: a lane whose threads are all
 * blocked never holds up another lane's jobs. No timing assertions: waits
 * are on conditions, bounded to 10 s. */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include "testutil.h"
#include "lib/workers.h"

#define NJOBS 100

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int wakes;        /* wake callbacks not yet consumed */
static int runs[NJOBS];  /* per job: run count */
static int dones[NJOBS]; /* per job: done count */
static int runs_total;
static int done_wrong_thread;
static int run_on_main;
static pthread_t main_thread;
static int gate_open;        /* jobs wait for it when gated */
static struct workers *pool; /* for callbacks that use the pool */
static int submit_in_done_rc;

static void on_wake(void *arg)
{
	int *counter = arg;
	pthread_mutex_lock(&mu);
	wakes++;
	if (counter)
		(*counter)++;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static int setup(void **state)
{
	pthread_mutex_lock(&mu);
	wakes = 0;
	memset(runs, 0, sizeof runs);
	memset(dones, 0, sizeof dones);
	runs_total = 0;
	done_wrong_thread = 0;
	run_on_main = 0;
	gate_open = 1;
	submit_in_done_rc = 99;
	pthread_mutex_unlock(&mu);
	main_thread = pthread_self();
	pool = NULL;
	return 0;
}

static void job_run(void *arg)
{
	int i = *(int *)arg;
	pthread_mutex_lock(&mu);
	while (!gate_open)
		pthread_cond_wait(&cv, &mu);
	runs[i]++;
	runs_total++;
	if (pthread_equal(pthread_self(), main_thread))
		run_on_main++;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static void job_done(void *arg)
{
	int i = *(int *)arg;
	if (!pthread_equal(pthread_self(), main_thread))
		done_wrong_thread++;
	dones[i]++;
}

static int count_done(void)
{
	int n = 0;
	for (int i = 0; i < NJOBS; i++)
		n += dones[i];
	return n;
}

static void deadline_in(struct timespec *ts, int s)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += s;
}

/* Waits for wakes and drains until `want` done callbacks ran (10 s bound). */
static void drain_until(struct workers *w, int want)
{
	struct timespec dl;
	deadline_in(&dl, 10);
	while (count_done() < want) {
		int timed_out = 0;
		pthread_mutex_lock(&mu);
		while (!wakes && !timed_out)
			timed_out = pthread_cond_timedwait(&cv, &mu, &dl) == ETIMEDOUT;
		wakes = 0;
		pthread_mutex_unlock(&mu);
		workers_drain(w);
		if (timed_out)
			break;
	}
	assert_int_equal(count_done(), want);
}

/* Waits until `want` runs happened (10 s bound). */
static void wait_runs(int want)
{
	struct timespec dl;
	deadline_in(&dl, 10);
	pthread_mutex_lock(&mu);
	int timed_out = 0;
	while (runs_total < want && !timed_out)
		timed_out = pthread_cond_timedwait(&cv, &mu, &dl) == ETIMEDOUT;
	int n = runs_total;
	pthread_mutex_unlock(&mu);
	assert_int_equal(n, want);
}

static int ids[NJOBS];

static void test_hundred_jobs(void **state)
{
	int wake_count = 0;
	struct workers *w = workers_start(4, on_wake, &wake_count);
	assert_non_null(w);
	for (int i = 0; i < NJOBS; i++) {
		ids[i] = i;
		assert_int_equal(workers_submit(w, job_run, job_done, &ids[i]), 0);
	}
	drain_until(w, NJOBS);
	for (int i = 0; i < NJOBS; i++) {
		assert_int_equal(runs[i], 1);
		assert_int_equal(dones[i], 1);
	}
	assert_int_equal(done_wrong_thread, 0);
	assert_int_equal(run_on_main, 0);
	assert_int_equal(workers_pending(w), 0);
	pthread_mutex_lock(&mu);
	int wc = wake_count;
	pthread_mutex_unlock(&mu);
	assert_true(wc >= 1);
	/* draining again runs nothing twice */
	workers_drain(w);
	assert_int_equal(count_done(), NJOBS);
	workers_stop(w);
	assert_int_equal(count_done(), NJOBS);
}

static void test_pending_counts(void **state)
{
	struct workers *w = workers_start(2, on_wake, NULL);
	assert_non_null(w);
	assert_int_equal(workers_pending(w), 0);
	pthread_mutex_lock(&mu);
	gate_open = 0;
	pthread_mutex_unlock(&mu);
	for (int i = 0; i < 5; i++) {
		ids[i] = i;
		assert_int_equal(workers_submit(w, job_run, job_done, &ids[i]), 0);
		assert_int_equal(workers_pending(w), i + 1);
	}
	/* queued or running, nothing done */
	workers_drain(w);
	assert_int_equal(count_done(), 0);
	assert_int_equal(workers_pending(w), 5);

	pthread_mutex_lock(&mu);
	gate_open = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	wait_runs(5);
	/* run but not drained: still pending; the done callbacks wait */
	assert_int_equal(count_done(), 0);
	assert_int_equal(workers_pending(w), 5);
	drain_until(w, 5);
	assert_int_equal(workers_pending(w), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(dones[i], 1);
	workers_stop(w);
}

static void test_stop_runs_remaining_done(void **state)
{
	struct workers *w = workers_start(3, on_wake, NULL);
	assert_non_null(w);
	for (int i = 0; i < 10; i++) {
		ids[i] = i;
		assert_int_equal(workers_submit(w, job_run, job_done, &ids[i]), 0);
	}
	/* no drain: stop finishes the queue and runs every done callback here */
	workers_stop(w);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(runs[i], 1);
		assert_int_equal(dones[i], 1);
	}
	assert_int_equal(count_done(), 10);
	assert_int_equal(done_wrong_thread, 0);
}

static void noop_run(void *arg)
{
}

static void noop_done(void *arg)
{
	int *n = arg;
	(*n)++;
}

/* A done callback run by workers_stop: the pool is stopping then. */
static void submit_from_done(void *arg)
{
	int *n = arg;
	(*n)++;
	submit_in_done_rc = workers_submit(pool, noop_run, noop_done, arg);
}

static void test_submit_while_stopping_refused(void **state)
{
	int calls = 0;
	pool = workers_start(1, on_wake, NULL);
	assert_non_null(pool);
	assert_int_equal(workers_submit(pool, noop_run, submit_from_done, &calls), 0);
	workers_stop(pool);
	pool = NULL;
	assert_int_equal(submit_in_done_rc, -1);
	assert_int_equal(calls, 1); /* the refused job's done never ran */
}

static void test_stop_null_and_idle(void **state)
{
	workers_stop(NULL);
	struct workers *w = workers_start(2, NULL, NULL);
	assert_non_null(w);
	assert_int_equal(workers_pending(w), 0);
	workers_stop(w);
}

/* ---- lanes ---- */

enum { HASH = 0, SEARCH = 1 };

static int blocked_started, blocked_finished; /* search-lane jobs */

/* A search-lane job that holds its thread until the gate opens. */
static void blocking_run(void *arg)
{
	pthread_mutex_lock(&mu);
	blocked_started++;
	pthread_cond_broadcast(&cv);
	while (!gate_open)
		pthread_cond_wait(&cv, &mu);
	blocked_finished++;
	pthread_mutex_unlock(&mu);
}

/* A hash-lane job: counts its run, never waits for the gate. */
static void hash_run(void *arg)
{
	int i = *(int *)arg;
	pthread_mutex_lock(&mu);
	runs[i]++;
	pthread_mutex_unlock(&mu);
}

/* Waits until *counter reaches want (10 s bound); returns its value. */
static int wait_count(int *counter, int want)
{
	struct timespec dl;
	deadline_in(&dl, 10);
	pthread_mutex_lock(&mu);
	int timed_out = 0;
	while (*counter < want && !timed_out)
		timed_out = pthread_cond_timedwait(&cv, &mu, &dl) == ETIMEDOUT;
	int n = *counter;
	pthread_mutex_unlock(&mu);
	return n;
}

static void set_gate(int open)
{
	pthread_mutex_lock(&mu);
	gate_open = open;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

/* The search lane saturated (both threads blocked, more jobs queued): a
 * job on the hash lane still runs and completes. With one shared queue it
 * would wait behind the blocked jobs until the gate opens. */
static void test_hash_lane_not_blocked_by_saturated_search_lane(void **state)
{
	const struct workers_lane lanes[] = {[HASH] = {1, 10}, [SEARCH] = {2, 15}};
	struct workers *w = workers_start_lanes(lanes, 2, on_wake, NULL);
	assert_non_null(w);
	blocked_started = blocked_finished = 0;
	set_gate(0);
	for (int i = 0; i < 6; i++) {
		ids[i] = i;
		assert_int_equal(workers_submit_to(w, SEARCH, blocking_run, job_done, &ids[i]), 0);
	}
	/* barrier: both search threads hold a job, four wait in the queue */
	assert_int_equal(wait_count(&blocked_started, 2), 2);
	assert_int_equal(workers_queued(w, SEARCH), 4);
	assert_int_equal(workers_queued(w, HASH), 0);

	ids[10] = 10;
	assert_int_equal(workers_submit_to(w, HASH, hash_run, job_done, &ids[10]), 0);
	drain_until(w, 1); /* gate still closed: only the hash job can finish */
	assert_int_equal(dones[10], 1);
	assert_int_equal(runs[10], 1);
	pthread_mutex_lock(&mu);
	int started = blocked_started, finished = blocked_finished;
	pthread_mutex_unlock(&mu);
	assert_int_equal(started, 2);
	assert_int_equal(finished, 0);
	assert_int_equal(workers_pending(w), 6);

	set_gate(1);
	drain_until(w, 7);
	assert_int_equal(blocked_finished, 6);
	for (int i = 0; i < 6; i++)
		assert_int_equal(dones[i], 1);
	assert_int_equal(done_wrong_thread, 0);
	assert_int_equal(workers_pending(w), 0);
	workers_stop(w);
}

static void test_lanes_bad_arguments(void **state)
{
	const struct workers_lane none[] = {{1, 10}, {0, 10}};
	assert_null(workers_start_lanes(none, 2, NULL, NULL)); /* a lane without threads */
	assert_null(workers_start_lanes(none, 0, NULL, NULL));
	struct workers *w = workers_start(1, on_wake, NULL);
	assert_non_null(w);
	int calls = 0;
	/* one lane: lane 1 does not exist, nothing is queued */
	assert_int_equal(workers_submit_to(w, 1, noop_run, noop_done, &calls), -1);
	assert_int_equal(workers_submit_to(w, -1, noop_run, noop_done, &calls), -1);
	assert_int_equal(workers_pending(w), 0);
	assert_int_equal(workers_queued(w, 1), 0);
	workers_stop(w);
	assert_int_equal(calls, 0);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_hundred_jobs),
	    T(test_pending_counts),
	    T(test_stop_runs_remaining_done),
	    T(test_submit_while_stopping_refused),
	    T(test_stop_null_and_idle),
	    T(test_hash_lane_not_blocked_by_saturated_search_lane),
	    T(test_lanes_bad_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
