/* tests/unit/testapp.h: the harness the use-case and store tests share: a
 * fake clock, a default config, a real app (SQLite in memory, and on demand
 * the in-process bus with an event recorder, the in-memory cache, the
 * writer, worker threads with keys and rate limiters, the in-memory state:
 * presence, metrics and on demand the real-time hub), and seeding helpers.
 * Header-only: everything is static inline or marked unused, so a test
 * includes it whole and uses what it needs. A test of an adapter alone
 * (no app) defines TESTAPP_STORE_ONLY before including it: it then gets the
 * clock, temp databases, store seeding and a store `st` with
 * store_setup/store_teardown, but not the app section, whose names (app,
 * cfg, add_workspace, add_user, ...) stay free for its own.
 * TESTAPP_CLOCK_ONLY gives the fake clock alone. */
#ifndef FE_TESTAPP_H
#define FE_TESTAPP_H
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "testutil.h"
#include "adapters/local_bus.h"
#include "adapters/lru_cache.h"
#include "adapters/sqlite_internal.h"
#include "adapters/sqlite_store.h"
#include "core/app.h"
#include "core/auth.h"
#include "core/cached.h"
#include "core/presence.h"
#include "core/search.h"
#include "core/writer.h"
#include "http/http.h"
#include "http/realtime.h"
#include "lib/config.h"
#include "lib/crypto.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/ratelimit.h"
#include "lib/workers.h"

#define TA_UNUSED __attribute__((unused))

#define T0 1700000000000LL

/* ---- fake clock ---- */

static int64_t fake_now TA_UNUSED;

static inline int64_t fake_clock(void)
{
	return fake_now;
}

static inline void clock_set(int64_t ms)
{
	fake_now = ms;
}

static inline void clock_advance(int64_t ms)
{
	fake_now += ms;
}

#ifndef TESTAPP_CLOCK_ONLY

/* ---- temp-file databases ---- */

/* A temp file path "/tmp/<prefix>_XXXXXX" in out (the file itself is
 * removed; SQLite creates it). Returns mkstemp's result: < 0 on failure. */
static inline int temp_db_path(char *out, size_t n, const char *prefix)
{
	snprintf(out, n, "/tmp/%s_XXXXXX", prefix);
	int fd = mkstemp(out);
	if (fd < 0)
		return fd;
	close(fd);
	unlink(out);
	return fd;
}

/* Removes a database file and its -wal and -shm companions. */
static inline void remove_db_files(const char *db)
{
	char p[600];
	unlink(db);
	snprintf(p, sizeof p, "%s-wal", db);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", db);
	unlink(p);
}

/* ---- store seeding (any store) ---- */

/* Opens an in-memory store with the embedded schema into *s. */
static inline int open_memory_store(struct store *s)
{
	char err[512] = "";
	memset(s, 0, sizeof *s);
	if (sqlite_store_open(":memory:", 1, s, err, sizeof err)) {
		fprintf(stderr, "store: %s\n", err);
		return -1;
	}
	return 0;
}

/* Inserts workspace `name` created at `at`; returns its id. */
static inline int64_t store_add_workspace(struct store *s, const char *name, int64_t at)
{
	struct workspace w = {0};
	snprintf(w.name, sizeof w.name, "%s", name);
	w.created_at = at;
	assert_int_equal(s->ops->workspace_insert(s->impl, &w), 0);
	return w.id;
}

/* A user row, not yet inserted (store_insert_user gives it a fake password
 * hash). */
static inline struct user new_user(int64_t ws, const char *email, const char *fullname, const char *role,
                                   int64_t at)
{
	struct user u = {0};
	u.workspace_id = ws;
	snprintf(u.email, sizeof u.email, "%s", email);
	snprintf(u.fullname, sizeof u.fullname, "%s", fullname);
	snprintf(u.role, sizeof u.role, "%s", role);
	u.created_at = at;
	return u;
}

static inline void store_insert_user(struct store *s, struct user *u)
{
	assert_int_equal(s->ops->user_insert(s->impl, u, "$argon2id$fake"), 0);
}

#ifdef TESTAPP_STORE_ONLY

/* ---- a store alone: `st`, in memory, opened by store_setup ---- */

static struct store st TA_UNUSED;

static inline int store_setup(void **state)
{
	fe_log_level = LOG_ERR;
	return open_memory_store(&st);
}

static inline int store_teardown(void **state)
{
	sqlite_store_close(&st);
	return 0;
}

#else /* !TESTAPP_STORE_ONLY */

/* ---- the app ---- */

static struct config cfg TA_UNUSED;
static struct app app TA_UNUSED;

/* The test config: serve on 127.0.0.1:8080, full durability, group commit,
 * one worker, generous login rates. */
static inline void default_config(struct config *c)
{
	config_defaults(c);
	c->log_level = LOG_ERR;
	c->login_rate_ip = 1000;
	c->login_rate_account = 1000;
	c->workers = 1;
	c->cache_size = 0; /* tests that want a cache make their own */
}

/* 1 when no transaction is open on the app store's connection. */
static inline int committed(void)
{
	return sqlite3_get_autocommit(((struct sq *)app.store.impl)->db) != 0;
}

/* -- the event recorder (on the bus) -- */

#ifndef MAX_EV
#define MAX_EV 128
#endif

/* What the recorder keeps of one event. */
struct rec {
	enum event_type type;
	int64_t workspace_id, chat_id, actor_id, user_id, message_id, last_seen;
	int added;
	int64_t audience[16];
	size_t naudience;
	int has_chat;
	char chat_name[UTF8_BUF(50)];
	int has_message;
	char content[64];
	char emoji[36];
	char key[72];
	char status[16];
	char user_name[64];
	int after_commit; /* published after the COMMIT */
};
static struct rec evs[MAX_EV] TA_UNUSED;
static int nev TA_UNUSED;

static inline void record(void *ctx, const struct event *ev)
{
	assert_true(nev < MAX_EV);
	struct rec *r = &evs[nev++];
	memset(r, 0, sizeof *r);
	r->type = ev->type;
	r->workspace_id = ev->workspace_id;
	r->chat_id = ev->chat_id;
	r->actor_id = ev->actor_id;
	r->user_id = ev->user_id;
	r->message_id = ev->message_id;
	r->last_seen = ev->last_seen;
	r->added = ev->added;
	r->naudience = ev->naudience;
	for (size_t i = 0; i < ev->naudience && i < 16; i++)
		r->audience[i] = ev->audience[i];
	r->after_commit = committed();
	if (ev->chat) {
		r->has_chat = 1;
		snprintf(r->chat_name, sizeof r->chat_name, "%s", ev->chat->name);
	}
	if (ev->message) {
		r->has_message = 1;
		snprintf(r->content, sizeof r->content, "%.60s", ev->message->content);
	}
	if (ev->emoji)
		snprintf(r->emoji, sizeof r->emoji, "%s", ev->emoji);
	if (ev->idempotency_key)
		snprintf(r->key, sizeof r->key, "%s", ev->idempotency_key);
	if (ev->status)
		snprintf(r->status, sizeof r->status, "%s", ev->status);
	if (ev->user_name)
		snprintf(r->user_name, sizeof r->user_name, "%s", ev->user_name);
}

static inline void clear_events(void)
{
	nev = 0;
}

static inline int audience_has(const struct rec *r, int64_t user)
{
	for (size_t i = 0; i < r->naudience; i++)
		if (r->audience[i] == user)
			return 1;
	return 0;
}

/* -- the loop, played by the test: it counts flush requests -- */

static int flush_requests TA_UNUSED;

static inline void request_flush(void *loop)
{
	assert_ptr_equal(loop, &flush_requests);
	flush_requests++;
}

/* -- worker threads: a completion wakes the test thread -- */

static pthread_mutex_t wake_mu TA_UNUSED = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake_cv TA_UNUSED = PTHREAD_COND_INITIALIZER;
static int wakes TA_UNUSED;

static inline void on_wake(void *arg)
{
	pthread_mutex_lock(&wake_mu);
	wakes++;
	pthread_cond_signal(&wake_cv);
	pthread_mutex_unlock(&wake_mu);
}

/* What an asynchronous account use case (core/auth) reported. */
struct outcome {
	int called;
	int rc;
	struct fe_err e;
	struct auth_result r;
};

static inline void on_done(void *req, int rc, const struct fe_err *e, const struct auth_result *r)
{
	struct outcome *o = req;
	o->called++;
	o->rc = rc;
	if (e)
		o->e = *e;
	if (!rc && r)
		o->r = *r;
}

/* Waits (at most 10 s) until o's callback ran, draining on this thread. */
static inline void wait_done(struct outcome *o)
{
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 10;
	while (!o->called) {
		int timed_out = 0;
		pthread_mutex_lock(&wake_mu);
		while (!wakes && !timed_out)
			timed_out = pthread_cond_timedwait(&wake_cv, &wake_mu, &deadline) == ETIMEDOUT;
		wakes = 0;
		pthread_mutex_unlock(&wake_mu);
		workers_drain(app.workers);
		if (timed_out && !o->called)
			break;
	}
	assert_int_equal(o->called, 1);
}

/* cmocka group setup for tests running core/auth. */
static inline int auth_group_setup(void **state)
{
	if (fe_crypto_init())
		return -1;
	return auth_init() ? -1 : 0;
}

/* -- an app's in-memory state (main.c makes the same) -- */

/* Makes a's presence and metrics and, with hub, its real-time hub
 * subscribed to a's bus (which must exist; subscribe after cached_init, as
 * main.c does). 0 or -1. */
static inline int app_state_new(struct app *a, int hub)
{
	a->presence = presence_new();
	a->searches = searches_new();
	a->metrics = metrics_new();
	if (hub && !(a->hub = rt_new(a)))
		return -1;
	return 0;
}

/* Frees what app_state_new made; call after local_bus_free (the bus holds
 * the hub's subscription). */
static inline void app_state_free(struct app *a)
{
	rt_free(a->hub);
	presence_free(a->presence);
	searches_free(a->searches);
	metrics_free(a->metrics);
	a->hub = NULL;
	a->presence = NULL;
	a->searches = NULL;
	a->metrics = NULL;
}

/* -- setup and teardown -- */

enum { TA_NO_WRITER, TA_WRITE_THROUGH, TA_WRITER_LOOP };

/* Which parts app_setup starts besides the store (SQLite in memory). */
struct app_opts {
	int workers;     /* > 0: that many worker threads, Ed25519 keys, login rate limiters */
	int bus;         /* the in-process bus */
	unsigned record; /* events the recorder keeps (EV_ALL, EV_BIT()s); implies bus */
	int cache;       /* the in-memory cache with cached_init's handler; implies bus */
	int hub;         /* the real-time hub (http/realtime) on the bus; implies bus */
	/* TA_WRITE_THROUGH: no loop (schedule_flush NULL; app.loop is still
	 * &flush_requests); TA_WRITER_LOOP: the test plays the loop
	 * (request_flush) and calls writer_flush itself */
	int writer;
};

/* Builds cfg and app at T0 with what o asks for; 0 or -1 (a cmocka setup). */
static inline int app_setup(const struct app_opts *o)
{
	fe_log_level = LOG_ERR;
	default_config(&cfg);
	if (o->workers > 0)
		cfg.workers = o->workers;
	memset(&app, 0, sizeof app);
	clock_set(T0);
	app.cfg = &cfg;
	app.now_ms = fake_clock;
	app.started_ms = T0;
	app.auth_cache = auth_cache_new(cfg.token_cache);
	if (open_memory_store(&app.store))
		return -1;
	if (o->bus || o->record || o->cache || o->hub)
		local_bus_new(&app.bus);
	if (o->record && app.bus.ops->subscribe(app.bus.impl, o->record, record, NULL))
		return -1;
	if (o->cache) {
		assert_int_equal(lru_cache_new(8 << 20, fake_clock, &app.cache), 0);
		cached_init(&app);
	}
	if (app_state_new(&app, o->hub))
		return -1;
	if (o->writer != TA_NO_WRITER) {
		app.schedule_flush = o->writer == TA_WRITER_LOOP ? request_flush : NULL;
		app.loop = &flush_requests;
		flush_requests = 0;
		app.writer = writer_new(&app);
	}
	clear_events();
	if (o->workers > 0) {
		app.jwt_sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
		if (!app.jwt_sk)
			return -1;
		crypto_sign_keypair(app.jwt_pk, app.jwt_sk);
		app.rl_ip = ratelimit_new((unsigned)cfg.login_rate_ip, 60000, 1000);
		app.rl_account = ratelimit_new((unsigned)cfg.login_rate_account, 60000, 1000);
		wakes = 0;
		app.workers = workers_start(cfg.workers, on_wake, NULL);
		return app.workers ? 0 : -1;
	}
	return 0;
}

/* Frees whatever app_setup started (each part is NULL-safe). */
static inline int app_teardown(void)
{
	workers_stop(app.workers);
	writer_free(app.writer);
	local_bus_free(&app.bus);
	app_state_free(&app);
	lru_cache_free(&app.cache);
	auth_cache_free(app.auth_cache);
	app.auth_cache = NULL;
	sqlite_store_close(&app.store);
	ratelimit_free(app.rl_ip);
	ratelimit_free(app.rl_account);
	sodium_free(app.jwt_sk);
	return 0;
}

/* -- seeding the app's store, at fake_now -- */

static inline int64_t add_workspace(const char *name)
{
	return store_add_workspace(&app.store, name, fake_now);
}

/* Seeds a user with that role and returns its principal. */
static inline struct principal add_user(int64_t ws, const char *email, const char *fullname, const char *role)
{
	struct user u = new_user(ws, email, fullname, role, fake_now);
	store_insert_user(&app.store, &u);
	struct principal p = {.user_id = u.id, .workspace_id = ws};
	snprintf(p.role, sizeof p.role, "%s", role);
	return p;
}

/* Seeds a plain member. */
static inline struct principal add_member(int64_t ws, const char *email, const char *fullname)
{
	return add_user(ws, email, fullname, "member");
}

#endif /* !TESTAPP_STORE_ONLY */
#endif /* !TESTAPP_CLOCK_ONLY */
#endif
