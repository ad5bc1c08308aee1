/* lib/workers: a small pool of threads for CPU-heavy work (password hashing),
 * so the event loop never blocks on it. A job's `run` executes on a worker;
 * its `done` executes later on the loop thread, inside workers_drain(). */
#ifndef FE_WORKERS_H
#define FE_WORKERS_H

struct workers;

typedef void (*work_fn)(void *arg);

/* Starts n threads. wake(wake_arg) is called from a worker after a job
 * finished, to make the loop call workers_drain() (e.g. lws_cancel_service).
 * Returns owned, free with workers_stop(); NULL on failure. */
struct workers *workers_start(int n, void (*wake)(void *), void *wake_arg);

/* Queues a job. run(arg) on a worker, then done(arg) on the loop thread.
 * Returns 0, or -1 when the pool is stopping (nothing queued). */
int workers_submit(struct workers *w, work_fn run, work_fn done, void *arg);

/* Runs the done callbacks of finished jobs. Loop thread only. */
void workers_drain(struct workers *w);

/* Number of jobs queued or running (not yet drained). */
int workers_pending(struct workers *w);

/* Finishes queued jobs, joins the threads, runs remaining done callbacks, frees. */
void workers_stop(struct workers *w);

#endif
