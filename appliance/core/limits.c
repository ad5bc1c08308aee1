/* core/limits: one lib/ratelimit window per action, keyed by user id, and
 * a map of running searches per user. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "core/limits.h"
#include "lib/imap.h"
#include "lib/log.h"
#include "lib/ratelimit.h"
#include "lib/xalloc.h"

#define WINDOW_MS 60000

static const char *const names[LIMIT_NKINDS] = {"send",   "upload",  "search",
                                                "invite", "profile", "search_running"};
static const char *const what[LIMIT_NKINDS] = {"messages", "uploads",         "searches",
                                               "invites",  "profile changes", "searches"};

struct limits {
	struct ratelimit *rl[LIMIT_SEARCH_RUNNING]; /* NULL = that limit is off */
	unsigned rate[LIMIT_SEARCH_RUNNING];        /* per minute (the cluster's shared counters) */
	int running_cap;                            /* 0 = off */
	struct imap running; /* user id -> searches running (as a pointer-sized count) */
	uint64_t refused[LIMIT_NKINDS];
};

struct limits *limits_new(const struct config *cfg, size_t max_users)
{
	struct limits *l = xcalloc(1, sizeof *l);
	const int rates[LIMIT_SEARCH_RUNNING] = {cfg->send_rate, cfg->upload_rate, cfg->search_rate,
	                                         cfg->invite_rate, cfg->profile_rate};
	for (int k = 0; k < LIMIT_SEARCH_RUNNING; k++)
		if (rates[k] > 0) {
			l->rl[k] = ratelimit_new((unsigned)rates[k], WINDOW_MS, max_users);
			l->rate[k] = (unsigned)rates[k];
		}
	l->running_cap = cfg->search_concurrency;
	return l;
}

void limits_free(struct limits *l)
{
	if (!l)
		return;
	for (int k = 0; k < LIMIT_SEARCH_RUNNING; k++)
		ratelimit_free(l->rl[k]);
	imap_free(&l->running);
	free(l);
}

int limits_hit(struct app *app, enum limit_kind k, int64_t user_id, struct fe_err *e)
{
	struct limits *l = app->limits;
	if (!l || k < 0 || k >= LIMIT_SEARCH_RUNNING || !l->rl[k])
		return 0;
	char key[48];
	int wait;
	if (!app->counters.ops) {
		snprintf(key, sizeof key, "%lld", (long long)user_id);
		wait = ratelimit_hit(l->rl[k], key, app->now_ms());
	} else { /* a cluster: one window for all appliances */
		snprintf(key, sizeof key, "%s:%lld", names[k], (long long)user_id);
		wait = app->counters.ops->hit(app->counters.impl, key, WINDOW_MS, l->rate[k], app->now_ms());
	}
	if (!wait)
		return 0;
	l->refused[k]++;
	log_debug("limits: refused action=%s user=%lld retry_after=%d", names[k], (long long)user_id, wait);
	err_set(e, FE_ERATE, "RATE_LIMITED", NULL, "too many %s, retry in %d s", what[k], wait);
	if (e)
		e->retry_after = wait;
	return FE_ERATE;
}

int limits_enter(struct app *app, int64_t user_id, struct fe_err *e)
{
	struct limits *l = app->limits;
	if (!l || !l->running_cap || !user_id)
		return 0;
	intptr_t n = (intptr_t)imap_get(&l->running, user_id);
	if (n >= l->running_cap) {
		l->refused[LIMIT_SEARCH_RUNNING]++;
		log_debug("limits: refused action=search_running user=%lld running=%ld", (long long)user_id,
		          (long)n);
		err_set(e, FE_ERATE, "TOO_MANY_SEARCHES", NULL,
		        "%ld searches of yours are still running, retry in 1 s", (long)n);
		if (e)
			e->retry_after = 1;
		return FE_ERATE;
	}
	imap_put(&l->running, user_id, (void *)(n + 1));
	return 0;
}

void limits_leave(struct app *app, int64_t user_id)
{
	struct limits *l = app->limits;
	if (!l || !l->running_cap || !user_id)
		return;
	intptr_t n = (intptr_t)imap_get(&l->running, user_id);
	if (n > 1)
		imap_put(&l->running, user_id, (void *)(n - 1));
	else
		imap_del(&l->running, user_id);
}

const char *limits_name(enum limit_kind k)
{
	return k >= 0 && k < LIMIT_NKINDS ? names[k] : "unknown";
}

uint64_t limits_refused(const struct limits *l, enum limit_kind k)
{
	return l && k >= 0 && k < LIMIT_NKINDS ? l->refused[k] : 0;
}
