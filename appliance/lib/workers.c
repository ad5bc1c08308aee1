/* lib/workers: mutex + condition variable job queue, and a done list that
 * the loop drains. */
#include <pthread.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "lib/workers.h"

struct job {
	work_fn run, done;
	void *arg;
	struct job *next;
};

struct workers {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *head, *tail;   /* queued */
	struct job *done_head, *done_tail;
	int stopping, pending, n;
	void (*wake)(void *);
	void *wake_arg;
	pthread_t threads[];
};

static void *worker_main(void *p)
{
	struct workers *w = p;
	/* below the event loop's priority: on a small box the loop must keep
	 * answering while passwords hash */
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->head && !w->stopping)
			pthread_cond_wait(&w->cv, &w->mu);
		struct job *j = w->head;
		if (!j)
			break;
		w->head = j->next;
		if (!w->head)
			w->tail = NULL;
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

struct workers *workers_start(int n, void (*wake)(void *), void *wake_arg)
{
	struct workers *w = calloc(1, sizeof *w + (size_t)n * sizeof(pthread_t));
	if (!w)
		return NULL;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->wake = wake;
	w->wake_arg = wake_arg;
	for (int i = 0; i < n; i++) {
		if (pthread_create(&w->threads[i], NULL, worker_main, w))
			break;
		w->n++;
	}
	if (!w->n) {
		free(w);
		return NULL;
	}
	return w;
}

int workers_submit(struct workers *w, work_fn run, work_fn done, void *arg)
{
	struct job *j = malloc(sizeof *j);
	if (!j)
		abort();
	*j = (struct job){run, done, arg, NULL};
	pthread_mutex_lock(&w->mu);
	if (w->stopping) {
		pthread_mutex_unlock(&w->mu);
		free(j);
		return -1;
	}
	if (w->tail)
		w->tail->next = j;
	else
		w->head = j;
	w->tail = j;
	w->pending++;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return 0;
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

void workers_stop(struct workers *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stopping = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	for (int i = 0; i < w->n; i++)
		pthread_join(w->threads[i], NULL);
	workers_drain(w);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
}
