/* lib/workers: small pools of threads for CPU-heavy work (password hashing,
 * searches), so the event loop never blocks on it. Threads are grouped in
 * lanes: each lane has its own queue and its own threads, so a lane that is
 * saturated (every thread busy, jobs queued) never delays another lane's
 * jobs. A job's `run` executes on a thread of its lane; its `done` executes
 * later on the loop thread, inside workers_drain(). */
#ifndef FE_WORKERS_H
#define FE_WORKERS_H

struct workers;

typedef void (*work_fn)(void *arg);

/* One lane: `threads` threads (>= 1) that run at niceness `nice` (0..19;
 * above 0 = below the event loop's priority). */
struct workers_lane {
	int threads;
	int nice;
};

/* Starts the lanes (lane i = lanes[i]). wake(wake_arg) is called from a
 * worker after a job finished, to make the loop call workers_drain() (e.g.
 * lws_cancel_service). Returns owned, free with workers_stop(); NULL when
 * nlanes < 1 or no thread of some lane could start (nothing left running). */
struct workers *workers_start_lanes(const struct workers_lane *lanes, int nlanes, void (*wake)(void *),
                                    void *wake_arg);

/* One lane of n threads at niceness 10 (workers_start_lanes). */
struct workers *workers_start(int n, void (*wake)(void *), void *wake_arg);

/* Queues a job on lane (0 .. nlanes-1): run(arg) on one of that lane's
 * threads, then done(arg) on the loop thread. Returns 0, or -1 when the pool
 * is stopping or has no such lane (nothing queued, done never runs). */
int workers_submit_to(struct workers *w, int lane, work_fn run, work_fn done, void *arg);

/* workers_submit_to(w, 0, ...). */
int workers_submit(struct workers *w, work_fn run, work_fn done, void *arg);

/* Runs the done callbacks of finished jobs. Loop thread only. */
void workers_drain(struct workers *w);

/* Number of jobs queued or running (not yet drained), over every lane. */
int workers_pending(struct workers *w);

/* Jobs of lane waiting for a thread (not yet running); 0 for no such lane. */
int workers_queued(struct workers *w, int lane);

/* Finishes queued jobs, joins the threads, runs remaining done callbacks,
 * frees. NULL is a no-op. */
void workers_stop(struct workers *w);

#endif
