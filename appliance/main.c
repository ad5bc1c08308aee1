/* main: reads the configuration, locks the data folder, prepares the
 * signing key and the store, starts the workers and the server, and shuts
 * down cleanly on SIGINT/SIGTERM (drain, checkpoint, close, exit 0). SIGHUP
 * reopens the log file (--log-file) and is otherwise harmless; SIGUSR1,
 * SIGUSR2, SIGQUIT and SIGPIPE are ignored. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "adapters/fs_blobs.h"
#include "adapters/fts5_search.h"
#include "adapters/local_bus.h"
#include "adapters/lru_cache.h"
#include "adapters/sqlite_store.h"
#include "core/app.h"
#include "core/auth.h"
#include "core/cached.h"
#include "core/demo.h"
#include "core/limits.h"
#include "core/presence.h"
#include "core/writer.h"
#include "http/http.h"
#include "http/realtime.h"
#include "lib/config.h"
#include "lib/crypto.h"
#include "lib/datalock.h"
#include "lib/log.h"
#include "lib/ratelimit.h"
#include "lib/timefmt.h"
#include "lib/workers.h"

/* The server SIGINT/SIGTERM stop (set once it runs), and whether one came
 * before it did. */
static struct server *volatile serving;
static volatile sig_atomic_t stop_signalled;

static void on_signal(int sig)
{
	(void)sig;
	stop_signalled = 1;
	if (serving)
		server_stop_request(serving);
}

static void on_hangup(int sig)
{
	(void)sig;
	log_reopen(); /* async-signal-safe: open, dup2, close */
}

/* From the start, no signal but SIGINT/SIGTERM (and SIGKILL) ends the
 * process: log rotation and `systemctl reload` send SIGHUP. */
static void quiet_signals(void)
{
	struct sigaction sa = {0};
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = on_hangup;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
}

/* Takes the data folder's lock for command; on failure logs who holds it.
 * Returns the lock's descriptor (kept open until exit) or -1. */
static int lock_data(const char *dir, const char *command)
{
	pid_t holder;
	int fd = datalock_acquire(dir, &holder);
	if (fd >= 0)
		return fd;
	if (holder) {
		char who[32] = "pid unknown";
		if (holder > 0)
			snprintf(who, sizeof who, "pid %ld", (long)holder);
		log_err("main: %s refused: the data folder %s is in use by another fechatter process (%s);"
			" stop it first (`fechatter backup` works beside a running server)",
			command, dir, who);
	} else
		log_err("main: cannot lock the data folder %s: %s", dir, strerror(errno));
	return -1;
}

/* Refuses an existing empty database file beside data of an earlier run
 * (the signing key or files/): starting would make a fresh, empty install
 * and lock the old accounts out. An empty file in an otherwise empty folder
 * is a fresh install. Returns 0 to go on, -1 (logged) to refuse. */
static int refuse_empty_database(const char *dir, const char *dbpath)
{
	struct stat sb;
	char key[600], files[600];
	if (stat(dbpath, &sb) || sb.st_size != 0)
		return 0;
	snprintf(key, sizeof key, "%s/jwt_ed25519.key", dir);
	snprintf(files, sizeof files, "%s/files", dir);
	int has_key = !stat(key, &sb), has_files = !stat(files, &sb) && S_ISDIR(sb.st_mode);
	if (!has_key && !has_files)
		return 0;
	log_err("main: the database %s is empty (0 bytes) but the data folder holds %s from an earlier run:"
		" refusing to start as a fresh install; restore the database from a backup (or, for a new"
		" install, remove the empty file)",
		dbpath, has_key ? "the signing key" : "files/");
	return -1;
}

/* Creates dir and its missing parents (mkdir -p). */
static int ensure_dir(const char *dir)
{
	char path[512];
	snprintf(path, sizeof path, "%s", dir);
	for (char *p = path + 1; ; p++) {
		char c = *p;
		if (c && c != '/')
			continue;
		*p = 0;
		if (mkdir(path, 0700) && errno != EEXIST) {
			log_err("main: cannot create data folder %s: %s", path, strerror(errno));
			return -1;
		}
		*p = c;
		if (!c)
			return 0;
	}
}

/* Loads DATA/jwt_ed25519.key (64 bytes, libsodium layout) or makes it (0600). */
static int load_signing_key(struct app *app, const char *dir)
{
	char path[512], tmp[520];
	snprintf(path, sizeof path, "%s/jwt_ed25519.key", dir);
	app->jwt_sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	if (!app->jwt_sk)
		return -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, app->jwt_sk, crypto_sign_SECRETKEYBYTES);
		close(fd);
		if (n != crypto_sign_SECRETKEYBYTES) {
			log_err("main: signing key %s is damaged (expected 64 bytes)", path);
			return -1;
		}
		crypto_sign_ed25519_sk_to_pk(app->jwt_pk, app->jwt_sk);
		return 0;
	}
	crypto_sign_keypair(app->jwt_pk, app->jwt_sk);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, app->jwt_sk, crypto_sign_SECRETKEYBYTES) != crypto_sign_SECRETKEYBYTES ||
	    fsync(fd) || close(fd) || rename(tmp, path)) {
		log_err("main: cannot write signing key %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	log_info("main: made a new token signing key %s", path);
	return 0;
}

int main(int argc, char **argv)
{
	struct config cfg;
	int rc = config_load(&cfg, argc, argv);
	if (rc)
		return rc > 0 ? 0 : 2;
	fe_log_level = cfg.log_level;
	if (!strcmp(cfg.command, "routes")) {
		static const char *auth[] = {"none", "user", "user+query", "user+query+cookie"};
		for (int i = 0; routes[i].pattern; i++)
			printf("%s %s %s\n", method_name(routes[i].method), routes[i].pattern, auth[routes[i].auth]);
		return 0;
	}
	if (cfg.check_only) {
		config_print(&cfg, stdout);
		printf("configuration ok\n");
		return 0;
	}
	quiet_signals();
	if (*cfg.log_file && log_open(cfg.log_file)) {
		fprintf(stderr, "fechatter: cannot open log file %s: %s\n", cfg.log_file, strerror(errno));
		return 1;
	}
	char dbpath[512], err[512];
	snprintf(dbpath, sizeof dbpath, "%s/fechatter.db", cfg.data);
	if (!strcmp(cfg.command, "check")) {
		struct stat sb;
		if (stat(cfg.data, &sb) || !S_ISDIR(sb.st_mode)) {
			log_err("main: no data folder %s", cfg.data);
			return 1;
		}
		int lock = lock_data(cfg.data, "check");
		if (lock < 0)
			return 1;
		int bad = sqlite_store_check(dbpath, stdout);
		close(lock);
		return bad ? 1 : 0;
	}
	if (crypto_init()) {
		log_err("main: libsodium failed to initialise");
		return 1;
	}
	struct app app = {0};
	struct server *srv = NULL;
	int exit_code = 1;
	app.cfg = &cfg;
	app.now_ms = time_now_ms;
	app.started_ms = time_now_ms();
	int lock = -1;
	if (ensure_dir(cfg.data))
		goto out;
	/* backup copies online, beside a running server; everything else
	 * (serve, demo, reindex) must have the folder to itself */
	if (strcmp(cfg.command, "backup") &&
	    ((lock = lock_data(cfg.data, cfg.command)) < 0 || refuse_empty_database(cfg.data, dbpath)))
		goto out;
	if (load_signing_key(&app, cfg.data))
		goto out;
	if (!strcmp(cfg.command, "backup")) {
		if (!*cfg.out) {
			fprintf(stderr, "fechatter: backup needs --out FILE\n");
			return 2;
		}
		if (sqlite_store_backup(dbpath, cfg.out, err, sizeof err)) {
			log_err("main: %s", err);
			return 1;
		}
		log_info("main: database copied to %s (copy the files/ folder beside it too)", cfg.out);
		return 0;
	}
	sqlite_store_init();
	if (sqlite_store_open(dbpath, cfg.durability_full, &app.store, err, sizeof err)) {
		log_err("main: %s", err);
		goto out;
	}
	fts5_search_open(dbpath, &app.search);
	if (!strcmp(cfg.command, "reindex")) {
		log_info("main: rebuilding the search index");
		exit_code = app.search.ops->rebuild(app.search.impl) ? 1 : 0;
		if (!exit_code)
			log_info("main: search index rebuilt");
		goto out;
	}
	char files[512];
	snprintf(files, sizeof files, "%s/files", cfg.data);
	if (fs_blobs_open(files, &app.blobs))
		goto out;
	local_bus_new(&app.bus);
	if (cfg.cache_size)
		lru_cache_new((size_t)cfg.cache_size, time_now_ms, &app.cache);
	cached_init(&app); /* before the fan-out subscribes (in server_start) */
	app.writer = writer_new(&app);
	if (!cfg.durability_full)
		log_warn("main: durability normal: the last commits may be lost on power failure");
	if (auth_init()) {
		log_err("main: out of memory");
		goto out;
	}
	if (!strcmp(cfg.command, "demo") && demo_seed(&app)) {
		log_err("main: the demo could not be seeded");
		goto out;
	}
	app.presence = presence_new();
	app.metrics = metrics_new();
	app.rl_ip = ratelimit_new((unsigned)cfg.login_rate_ip, 60000, 65536);
	app.rl_account = ratelimit_new((unsigned)cfg.login_rate_account, 60000, 65536);
	app.limits = limits_new(&cfg, 65536);
	struct sigaction sa = {0};
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (!(app.hub = rt_new(&app))) { /* after cached_init, after the demo's events */
		log_err("main: the real-time hub cannot subscribe to the bus");
		goto out;
	}
	if (!(srv = server_start(&app)))
		goto out;
	serving = srv;
	if (stop_signalled)
		server_stop_request(srv);
	const struct workers_lane lanes[] = {[APP_LANE_HASH] = {cfg.workers, 10},
					     [APP_LANE_SEARCH] = {cfg.search_workers, 15}};
	app.workers = workers_start_lanes(lanes, 2, server_wake, srv);
	if (!app.workers) {
		log_err("main: cannot start worker threads");
		goto out;
	}
	/* before "ready": a reader of the log sees it by then */
	int fresh = 0;
	if (!auth_needs_owner(&app, &fresh, NULL) && fresh)
		log_info("main: no account yet: the first visit to the web page creates the owner account");
	log_info("main: ready data=%s durability=%s registration=%s", cfg.data, cfg.durability_full ? "full" : "normal",
		 cfg.registration_open ? "open" : "invite");
	server_run(srv);
	exit_code = 0;
out:
	workers_stop(app.workers);
	app.workers = NULL; /* lws_context_destroy may still call back */
	writer_free(app.writer); /* flushes what is still queued */
	serving = NULL;
	server_free(srv);
	fts5_search_close(&app.search);
	sqlite_store_close(&app.store);
	fs_blobs_free(&app.blobs);
	local_bus_free(&app.bus); /* before the hub, its subscriber */
	rt_free(app.hub);
	presence_free(app.presence);
	metrics_free(app.metrics);
	lru_cache_free(&app.cache);
	ratelimit_free(app.rl_ip);
	ratelimit_free(app.rl_account);
	limits_free(app.limits);
	if (app.jwt_sk)
		sodium_free(app.jwt_sk);
	if (!exit_code)
		log_info("main: stopped cleanly");
	log_flush();
	if (lock >= 0)
		close(lock);
	return exit_code;
}
