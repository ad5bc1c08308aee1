/* lib/workers: one mutex, a job queue and a condition variable per lane, and
 * one done list that the loop drains. */
#include <pthread.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "lib/workers.h"
#include "lib/xalloc.h"

struct job {
	work_fn run, done;
	void *arg;
	struct job *next;
};

struct lane {
	pthread_cond_t cv;
	struct job *head, *tail; /* queued */
	int queued, nice;
};

struct thread {
	struct workers *w;
	int lane;
	pthread_t id;
};

struct workers {
	pthread_mutex_t mu;
	struct job *done_head, *done_tail;
	int stopping, pending;
	void (*wake)(void *);
	void *wake_arg;
	struct lane *lanes;
	int nlanes;
	struct thread *threads;
	int nthreads;
};

static void *worker_main(void *p)
{
	struct thread *t = p;
	struct workers *w = t->w;
	struct lane *l = &w->lanes[t->lane];
	/* below the event loop's priority: on a small box the loop must keep
	 * answering while passwords hash or searches run */
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), l->nice);
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!l->head && !w->stopping)
			pthread_cond_wait(&l->cv, &w->mu);
		struct job *j = l->head;
		if (!j)
			break;
		l->head = j->next;
		if (!l->head)
			l->tail = NULL;
		l->queued--;
		pthread_mutex_unlock(&w->mu);
		j->run(j->arg);
		pthread_mutex_lock(&w->mu);
		j->next = NULL;
		if (w->done_tail)
			w->done_tail->next = j;
		else
			w->done_head = j;
		w->done_tail = j;
		if (w->wake)
			w->wake(w->wake_arg);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

struct workers *workers_start_lanes(const struct workers_lane *lanes, int nlanes, void (*wake)(void *),
                                    void *wake_arg)
{
	if (nlanes < 1)
		return NULL;
	int total = 0;
	for (int i = 0; i < nlanes; i++) {
		if (lanes[i].threads < 1)
			return NULL;
		total += lanes[i].threads;
	}
	struct workers *w = xcalloc(1, sizeof *w);
	pthread_mutex_init(&w->mu, NULL);
	w->wake = wake;
	w->wake_arg = wake_arg;
	w->lanes = xcalloc((size_t)nlanes, sizeof *w->lanes);
	w->nlanes = nlanes;
	w->threads = xcalloc((size_t)total, sizeof *w->threads);
	int ok = 1;
	for (int i = 0; i < nlanes; i++) {
		pthread_cond_init(&w->lanes[i].cv, NULL);
		w->lanes[i].nice = lanes[i].nice;
	}
	for (int i = 0; i < nlanes && ok; i++) {
		int started = 0;
		for (int k = 0; k < lanes[i].threads; k++) {
			struct thread *t = &w->threads[w->nthreads];
			t->w = w;
			t->lane = i;
			if (pthread_create(&t->id, NULL, worker_main, t))
				break;
			w->nthreads++;
			started++;
		}
		ok = started > 0; /* a lane without threads would never run its jobs */
	}
	if (!ok) {
		workers_stop(w);
		return NULL;
	}
	return w;
}

struct workers *workers_start(int n, void (*wake)(void *), void *wake_arg)
{
	struct workers_lane l = {n, 10};
	return workers_start_lanes(&l, 1, wake, wake_arg);
}

int workers_submit_to(struct workers *w, int lane, work_fn run, work_fn done, void *arg)
{
	if (lane < 0 || lane >= w->nlanes)
		return -1;
	struct job *j = xmalloc(sizeof *j);
	*j = (struct job){run, done, arg, NULL};
	struct lane *l = &w->lanes[lane];
	pthread_mutex_lock(&w->mu);
	if (w->stopping) {
		pthread_mutex_unlock(&w->mu);
		free(j);
		return -1;
	}
	if (l->tail)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
	l->queued++;
	w->pending++;
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

int workers_submit(struct workers *w, work_fn run, work_fn done, void *arg)
{
	return workers_submit_to(w, 0, run, done, arg);
}

void workers_drain(struct workers *w)
{
	pthread_mutex_lock(&w->mu);
	struct job *j = w->done_head;
	w->done_head = w->done_tail = NULL;
	pthread_mutex_unlock(&w->mu);
	while (j) {
		struct job *next = j->next;
		j->done(j->arg);
		pthread_mutex_lock(&w->mu);
		w->pending--;
		pthread_mutex_unlock(&w->mu);
		free(j);
		j = next;
	}
}

int workers_pending(struct workers *w)
{
	pthread_mutex_lock(&w->mu);
	int n = w->pending;
	pthread_mutex_unlock(&w->mu);
	return n;
}

int workers_queued(struct workers *w, int lane)
{
	if (lane < 0 || lane >= w->nlanes)
		return 0;
	pthread_mutex_lock(&w->mu);
	int n = w->lanes[lane].queued;
	pthread_mutex_unlock(&w->mu);
	return n;
}

void workers_stop(struct workers *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stopping = 1;
	for (int i = 0; i < w->nlanes; i++)
		pthread_cond_broadcast(&w->lanes[i].cv);
	pthread_mutex_unlock(&w->mu);
	for (int i = 0; i < w->nthreads; i++)
		pthread_join(w->threads[i].id, NULL);
	workers_drain(w);
	for (int i = 0; i < w->nlanes; i++)
		pthread_cond_destroy(&w->lanes[i].cv);
	pthread_mutex_destroy(&w->mu);
	free(w->threads);
	free(w->lanes);
	free(w);
}
