/* lib/config: the server's settings from a table of directives. Sources, in
 * order of precedence: command-line flags, FECHATTER_* environment variables,
 * a `key value` config file (--config FILE). Every value is range-checked;
 * an unknown key stops start-up naming it. */
#ifndef FE_CONFIG_H
#define FE_CONFIG_H
#include <stdint.h>
#include <stdio.h>

#define CONFIG_CORS_MAX 16 /* --cors-origin values at most */

struct config {
	char command[16]; /* serve (default), or a later subcommand */
	char bind[64];
	int port;
	int tls_port; /* 0 = no TLS listener */
	char cert[256], key[256];
	char data[256];
	int durability_full;  /* 1 = synchronous=FULL, 0 = NORMAL */
	int64_t upload_limit; /* bytes */
	int64_t body_limit;   /* bytes, JSON bodies */
	int log_level;
	int registration_open;
	int login_rate_ip; /* per minute */
	int login_rate_account;
	int workers; /* password hashing threads */
	/* searches and per-user limits (core/limits, core/search); rates are
	 * per user per minute, sliding window; 0 = off */
	int search_workers;     /* search threads, a lane of their own */
	int search_timeout_ms;  /* a search's deadline, 0 = none */
	int search_concurrency; /* searches one user may have running */
	int64_t search_mmap;    /* bytes of the file each search connection maps */
	int64_t search_map_rss; /* resident bytes above which a search connection unmaps after a search */
	int search_rank_window; /* newest matches a relevance search scores (bm25), 0 = all */
	int64_t search_cache;   /* bytes of each search connection's page cache */
	int send_rate, upload_rate, search_rate, invite_rate, profile_rate;
	int group_commit;    /* 1 = batch the writes of one loop turn (default) */
	int sync_pipeline;   /* 1 = sync a batch on a second thread while the next commits */
	int64_t cache_size;  /* bytes of the in-memory cache, 0 = off */
	int token_cache;     /* verified access tokens kept (core/auth), 0 = off */
	int ws_auth_timeout; /* seconds a WebSocket has to authenticate */
	/* connection and body limits (http/server.c) */
	int max_connections; /* 0 = derived from the descriptor limit */
	int max_connections_per_ip;
	int body_timeout;   /* seconds a body may take, plus received/body_min_rate */
	int body_min_rate;  /* bytes per second a body must keep up, 0 = none */
	char out[256];      /* backup: destination file */
	char in[256];       /* restore: the archive; import: the export file, "-" = stdin */
	int force;          /* restore: replace a folder holding data */
	int64_t workspace;  /* export: the workspace, 0 = the only one */
	char slack[256];    /* import: a Slack export (zip or folder), "" = none */
	int link_ttl;       /* import --slack: seconds a set-password link lives */
	char log_file[256]; /* "" = stderr; else appended to, reopened on SIGHUP */
	/* --cors-origin (repeatable): origins allowed to call the API from a
	 * browser, space-separated, each "scheme://host[:port]"; "" = none */
	char cors_origins[CONFIG_CORS_MAX * 128];
	char trust_proxy[512]; /* "" = none; comma list of addresses/CIDR (lib/proxy) */
	/* scale-out (issue 15) */
	int store_postgres; /* 1 = --store postgres (fechatter-cluster only) */
	char pg_url[512];
	int bus_nats; /* 1 = --bus nats (fechatter-cluster only) */
	char nats_url[512];
	char files[256]; /* "" = DATA/files */
	char to[16];     /* migrate --to: "postgres" */
	char config_file[256];
	int check_only;
};

/* The built-in defaults (what runs when nothing is configured). */
void config_defaults(struct config *c);

/* Fills c from defaults, the config file, the environment and argv.
 * Returns 0, 1 when --help was printed (caller exits 0), or -1 after printing
 * the reason to stderr (caller exits 2). */
int config_load(struct config *c, int argc, char **argv);

/* Applies the `key value` lines of an open config file f on top of c (the
 * file reader of config_load); path names the file in messages. Stops at
 * the first bad line. Returns 0, or -1 after printing the reason to stderr.
 * Does not close f. */
int config_read(struct config *c, FILE *f, const char *path);

/* 1 when origin (an Origin header's value, len bytes) is one of
 * c->cors_origins (compared case-insensitively), else 0. */
int config_cors_allowed(const struct config *c, const char *origin, size_t len);

/* Prints the effective configuration, one `key value` per line. */
void config_print(const struct config *c, FILE *out);

#endif
