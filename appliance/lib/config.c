/* lib/config: directive table, parsing and range checks. */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "lib/config.h"
#include "lib/log.h"
#include "lib/proxy.h"

enum kind { K_INT, K_I64, K_STR, K_ENUM, K_LEVEL, K_FLAG, K_ORIGINS /* repeatable, adds up */, K_LIST };
/* K_LIST: a comma list of trusted proxy entries (lib/proxy); a directive
 * repeated within one source adds to the list, a later source replaces it */

struct directive {
	const char *name;
	enum kind kind;
	size_t off, size;
	int64_t min, max;
	const char *choices; /* K_ENUM: "a|b", value = index */
	const char *help;
};

#define F(m) offsetof(struct config, m), sizeof(((struct config *)0)->m)
static const struct directive table[] = {
    {"bind", K_STR, F(bind), 0, 0, NULL, "address to listen on (default 127.0.0.1)"},
    {"port", K_INT, F(port), 1, 65535, NULL, "HTTP port (default 8080)"},
    {"tls-port", K_INT, F(tls_port), 0, 65535, NULL, "HTTPS/WSS port, 0 = off (default 0)"},
    {"cert", K_STR, F(cert), 0, 0, NULL, "TLS certificate PEM (default: self-signed in DATA)"},
    {"key", K_STR, F(key), 0, 0, NULL, "TLS private key PEM"},
    {"data", K_STR, F(data), 0, 0, NULL, "data folder (default ./data)"},
    {"durability", K_ENUM, F(durability_full), 0, 1, "normal|full",
     "full: fsync every commit (default); normal: faster, may lose the last commits on power loss"},
    {"upload-limit", K_I64, F(upload_limit), 1, (int64_t)1 << 32, NULL,
     "largest file upload in bytes (default 10485760)"},
    {"body-limit", K_I64, F(body_limit), 1024, 16 << 20, NULL, "largest JSON body in bytes (default 65536)"},
    {"log-level", K_LEVEL, F(log_level), 0, 3, NULL, "error|warn|info|debug (default info)"},
    {"registration", K_ENUM, F(registration_open), 0, 1, "invite|open",
     "invite: new accounts need an invite code (default); open: anyone may create a workspace"},
    {"login-rate-ip", K_INT, F(login_rate_ip), 1, 1000000, NULL,
     "sign-in/sign-up attempts per minute per client address (default 20)"},
    {"login-rate-account", K_INT, F(login_rate_account), 1, 1000000, NULL,
     "sign-in attempts per minute per account (default 10)"},
    {"workers", K_INT, F(workers), 1, 64, NULL, "password hashing threads (default 2)"},
    /* searches and per-user limits */
    {"search-workers", K_INT, F(search_workers), 1, 64, NULL,
     "search threads, apart from the hashing threads (default 2)"},
    {"search-timeout", K_INT, F(search_timeout_ms), 0, 600000, NULL,
     "milliseconds after which a search is stopped (503 SEARCH_TIMEOUT), 0 = never (default 10000)"},
    {"search-concurrency", K_INT, F(search_concurrency), 0, 10000, NULL,
     "searches one user may have running at once, beyond that 429, 0 = no cap (default 3)"},
    {"search-mmap", K_I64, F(search_mmap), 0, (int64_t)1 << 40, NULL,
     "bytes of the database each search thread maps (touched pages count as resident memory), 0 = none "
     "(default 0)"},
    {"search-cache", K_I64, F(search_cache), 1 << 20, (int64_t)1 << 32, NULL,
     "bytes of each search thread's page cache (resident once filled; default 16777216)"},
    {"search-map-rss", K_I64, F(search_map_rss), 0, (int64_t)1 << 40, NULL,
     "resident bytes above which a search thread unmaps the database after a search, 0 = after every "
     "search (default 41943040)"},
    {"search-rank-window", K_INT, F(search_rank_window), 0, 1000000, NULL,
     "newest matches a relevance search scores; older ones follow them newest first, 0 = score every "
     "match (default 1000)"},
    {"send-rate", K_INT, F(send_rate), 0, 1000000, NULL,
     "messages one user may send per minute (HTTP and WebSocket), 0 = no limit (default 600)"},
    {"upload-rate", K_INT, F(upload_rate), 0, 1000000, NULL,
     "file uploads per user per minute, 0 = no limit (default 60)"},
    {"search-rate", K_INT, F(search_rate), 0, 1000000, NULL,
     "searches per user per minute, 0 = no limit (default 60)"},
    {"invite-rate", K_INT, F(invite_rate), 0, 1000000, NULL,
     "invites created per user per minute, 0 = no limit (default 30)"},
    {"profile-rate", K_INT, F(profile_rate), 0, 1000000, NULL,
     "profile changes per user per minute, 0 = no limit (default 30)"},
    {"cache-size", K_I64, F(cache_size), 0, (int64_t)1 << 34, NULL,
     "bytes of the in-memory cache, 0 = off (default 33554432)"},
    {"token-cache", K_INT, F(token_cache), 0, 1 << 20, NULL,
     "verified access tokens kept, so a token seen before skips its signature check, 0 = off (default 4096)"},
    /* connection and body limits (http/server.c) */
    {"max-connections", K_INT, F(max_connections), 0, 10000000, NULL,
     "open connections in all, 0 = 3/4 of the descriptor limit (default 0)"},
    {"max-connections-per-ip", K_INT, F(max_connections_per_ip), 1, 10000000, NULL,
     "open connections from one client address (default 256)"},
    {"body-timeout", K_INT, F(body_timeout), 1, 30, NULL,
     "seconds a request body may pause, and may take beyond body-min-rate (default 20, at most 30)"},
    {"body-min-rate", K_INT, F(body_min_rate), 0, 1000000000, NULL,
     "bytes per second a request body must average, 0 = no minimum (default 500)"},
    {"out", K_STR, F(out), 0, 0, NULL, "file the backup or export command writes (export: - for stdout)"},
    /* backup, restore, export and import (issue 10) */
    {"in", K_STR, F(in), 0, 0, NULL,
     "archive the restore command reads, or the export file import loads (- for stdin)"},
    {"force", K_FLAG, F(force), 0, 1, NULL,
     "restore: replace a data folder that holds data (moved aside to DATA/before-restore-TIME/); no value"},
    {"workspace", K_I64, F(workspace), 0, (int64_t)1 << 53, NULL,
     "export: the workspace id to write, 0 = the only one (default 0); import --slack: the workspace to "
     "import into, 0 = the only one (a new one on an empty appliance)"},
    /* Slack import (issue 16) */
    {"slack", K_STR, F(slack), 0, 0, NULL,
     "import: a Slack export to bring in (its .zip or unpacked folder) instead of --in"},
    {"link-ttl", K_INT, F(link_ttl), 1, 90 * 86400, NULL,
     "import --slack: seconds a printed set-password link stays valid (default 604800, 7 days)"},
    {"group-commit", K_ENUM, F(group_commit), 0, 1, "off|on",
     "on: the sends of one event-loop turn share one commit (default); off: one commit each (for "
     "comparison)"},
    {"sync-pipeline", K_ENUM, F(sync_pipeline), 0, 1, "off|on",
     "on (with durability full and group commit): a second thread syncs a committed batch to disk "
     "while the next one is written; answers still wait for their sync, but a read may show a "
     "message a moment before it is on disk (default off)"},
    /* operations (issue 9) */
    {"log-file", K_STR, F(log_file), 0, 0, NULL,
     "append the log to this file instead of stderr; SIGHUP reopens it (log rotation)"},
    /* real-time (WebSocket, SSE) */
    {"ws-auth-timeout", K_INT, F(ws_auth_timeout), 1, 300, NULL,
     "seconds a WebSocket without a token has to send {\"op\":\"auth\"} before it is closed (default 10)"},
    /* clients served from elsewhere (issue 12) */
    {"cors-origin", K_ORIGINS, F(cors_origins), 0, CONFIG_CORS_MAX, NULL,
     "an origin (scheme://host[:port]) whose pages may call the API (CORS); repeatable, up to 16 (default "
     "none)"},
    /* scale-out (issue 15): only fechatter-cluster has the postgres store and the nats bus */
    {"store", K_ENUM, F(store_postgres), 0, 1, "sqlite|postgres",
     "sqlite: the database in DATA (default); postgres: a shared PostgreSQL at --pg-url (fechatter-cluster)"},
    {"pg-url", K_STR, F(pg_url), 0, 0, NULL,
     "PostgreSQL connection URL for --store postgres (postgresql://...)"},
    {"bus", K_ENUM, F(bus_nats), 0, 1, "local|nats",
     "local: events stay in this process (default); nats: shared with the other appliances through "
     "--nats-url (fechatter-cluster)"},
    {"nats-url", K_STR, F(nats_url), 0, 0, NULL,
     "NATS server URL for --bus nats (default nats://127.0.0.1:4222)"},
    {"files", K_STR, F(files), 0, 0, NULL,
     "folder of uploaded files (default DATA/files); appliances of one cluster share one"},
    {"to", K_STR, F(to), 0, 0, NULL, "migrate: the store to copy the single-box database into (postgres)"},
    /* behind a reverse proxy */
    {"trust-proxy", K_LIST, F(trust_proxy), 0, 0, NULL,
     "proxy address or CIDR range (repeat, or a comma list) whose X-Forwarded-For/-Proto are believed; - = "
     "none (default none)"},
};
#define NDIR (sizeof table / sizeof table[0])

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof *c);
	strcpy(c->command, "serve");
	strcpy(c->bind, "127.0.0.1");
	c->port = 8080;
	strcpy(c->data, "./data");
	strcpy(c->nats_url, "nats://127.0.0.1:4222");
	c->durability_full = 1;
	c->link_ttl = 7 * 86400;
	c->upload_limit = 10 << 20;
	c->body_limit = 64 << 10;
	c->log_level = LOG_INFO;
	c->login_rate_ip = 20;
	c->login_rate_account = 10;
	c->workers = 2;
	/* searches and per-user limits */
	c->search_workers = 2;
	c->search_timeout_ms = 10000;
	c->search_concurrency = 3;
	c->search_mmap = 0;
	c->search_cache = 16 << 20;
	c->search_map_rss = 40 << 20;
	c->search_rank_window = 1000;
	c->send_rate = 600;
	c->upload_rate = 60;
	c->search_rate = 60;
	c->invite_rate = 30;
	c->profile_rate = 30;
	c->group_commit = 1;
	c->cache_size = 32 << 20;
	c->token_cache = 4096;
	c->ws_auth_timeout = 10;
	c->max_connections_per_ip = 256;
	c->body_timeout = 20;
	c->body_min_rate = 500;
}

static const struct directive *find(const char *name)
{
	for (size_t i = 0; i < NDIR; i++)
		if (!strcmp(table[i].name, name))
			return &table[i];
	return NULL;
}

/* 1 when o (n bytes) is "http://" or "https://" then a host of letters,
 * digits, '-', '.' (or a bracketed IPv6 address) and an optional :port, and
 * nothing else: what a browser sends as Origin. */
static int origin_ok(const char *o, size_t n)
{
	size_t k = !strncmp(o, "https://", 8) ? 8 : !strncmp(o, "http://", 7) ? 7 : 0;
	if (!k || n <= k || n > 120)
		return 0;
	const char *h = o + k, *end = o + n;
	if (*h == '[') {
		const char *rb = memchr(h, ']', (size_t)(end - h));
		if (!rb || rb == h + 1)
			return 0;
		for (const char *q = h + 1; q < rb; q++)
			if (!isxdigit((unsigned char)*q) && *q != ':' && *q != '.')
				return 0;
		h = rb + 1;
	} else {
		const char *q = h;
		while (q < end && (isalnum((unsigned char)*q) || *q == '-' || *q == '.'))
			q++;
		if (q == h)
			return 0;
		h = q;
	}
	if (h < end && *h == ':') {
		long port = 0;
		const char *q = h + 1;
		for (; q < end && isdigit((unsigned char)*q) && port <= 65535; q++)
			port = port * 10 + (*q - '0');
		if (q == h + 1 || port < 1 || port > 65535)
			return 0;
		h = q;
	}
	return h == end;
}

/* Adds the origins in val (separated by spaces or commas; "-" for none) to
 * the list at p (size bytes, space-separated), at most max in all;
 * duplicates are kept once. */
static int add_origins(char *p, size_t size, int64_t max, const char *name, const char *val,
                       const char *origin)
{
	const char *s = val;
	int any = 0;
	if (!strcmp(val, "-"))
		return 0; /* "none", as config_print writes an empty list */
	while (*s) {
		s += strspn(s, " ,\t");
		size_t n = strcspn(s, " ,\t");
		if (!n)
			break;
		any = 1;
		if (!origin_ok(s, n)) {
			fprintf(stderr,
			        "fechatter: %s: '%s' must be an origin such as "
			        "https://chat.example.com:8443, not '%.*s'\n",
			        origin, name, (int)n, s);
			return -1;
		}
		int64_t count = 0;
		int dup = 0;
		for (const char *q = p; *q;) {
			size_t m = strcspn(q, " ");
			dup |= m == n && !strncasecmp(q, s, n);
			count++;
			q += m + (q[m] == ' ');
		}
		if (!dup) {
			if (count >= max || strlen(p) + n + 2 > size) {
				fprintf(stderr, "fechatter: %s: at most %lld values of '%s'\n", origin,
				        (long long)max, name);
				return -1;
			}
			snprintf(p + strlen(p), size - strlen(p), "%s%.*s", *p ? " " : "", (int)n, s);
		}
		s += n;
	}
	if (!any) {
		fprintf(stderr, "fechatter: %s: '%s' needs an origin\n", origin, name);
		return -1;
	}
	return 0;
}

int config_cors_allowed(const struct config *c, const char *o, size_t n)
{
	for (const char *q = c->cors_origins; n && *q;) {
		size_t m = strcspn(q, " ");
		if (m == n && !strncasecmp(q, o, n))
			return 1;
		q += m + (q[m] == ' ');
	}
	return 0;
}

/* Sets one directive from text; origin names the source in messages. */
static int set(struct config *c, const struct directive *d, const char *val, const char *origin)
{
	char *p = (char *)c + d->off;
	if (d->kind == K_ORIGINS)
		return add_origins(p, d->size, d->max, d->name, val, origin);
	if (d->kind == K_LIST) {
		if (!strcmp(val, "-")) { /* none (what config_print writes for an empty list) */
			*p = 0;
			return 0;
		}
		struct proxy_trust t = {0};
		char err[160];
		if (proxy_trust_parse(&t, p, err, sizeof err) ||
		    proxy_trust_parse(&t, val, err, sizeof err)) {
			fprintf(stderr, "fechatter: %s: '%s': %s\n", origin, d->name, err);
			return -1;
		}
		size_t have = strlen(p);
		if (have + 1 + strlen(val) >= d->size) {
			fprintf(stderr, "fechatter: %s: '%s' is longer than %zu characters in all\n", origin,
			        d->name, d->size - 1);
			return -1;
		}
		snprintf(p + have, d->size - have, "%s%s", have ? "," : "", val);
		return 0;
	}
	if (d->kind == K_STR) {
		if (strlen(val) >= d->size || !*val) {
			fprintf(stderr, "fechatter: %s: value of '%s' must be 1..%zu characters\n", origin,
			        d->name, d->size - 1);
			return -1;
		}
		strcpy(p, val);
		return 0;
	}
	if (d->kind == K_ENUM) {
		const char *s = d->choices;
		for (int i = 0; s && *s; i++) {
			size_t n = strcspn(s, "|");
			if (strlen(val) == n && !strncmp(s, val, n)) {
				*(int *)p = i;
				return 0;
			}
			s += n + (s[n] == '|');
		}
		fprintf(stderr, "fechatter: %s: '%s' must be one of %s, not '%s'\n", origin, d->name,
		        d->choices, val);
		return -1;
	}
	if (d->kind == K_FLAG) {
		fprintf(stderr, "fechatter: %s: '%s' is a command-line flag only (--%s)\n", origin, d->name,
		        d->name);
		return -1;
	}
	if (d->kind == K_LEVEL) {
		int l = log_level_parse(val);
		if (l < 0) {
			fprintf(stderr, "fechatter: %s: '%s' must be error|warn|info|debug, not '%s'\n",
			        origin, d->name, val);
			return -1;
		}
		*(int *)p = l;
		return 0;
	}
	char *end;
	errno = 0;
	long long v = strtoll(val, &end, 10);
	if (errno || end == val || *end || v < d->min || v > d->max) {
		fprintf(stderr, "fechatter: %s: '%s' must be an integer in %lld..%lld, not '%s'\n", origin,
		        d->name, (long long)d->min, (long long)d->max, val);
		return -1;
	}
	if (d->kind == K_INT)
		*(int *)p = (int)v;
	else
		*(int64_t *)p = v;
	return 0;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
	return s;
}

int config_read(struct config *c, FILE *f, const char *path)
{
	char line[512], origin[300];
	int lineno = 0, rc = 0;
	while (rc == 0 && fgets(line, sizeof line, f)) {
		lineno++;
		char *s = trim(line);
		if (!*s || *s == '#')
			continue;
		char *v = s + strcspn(s, " \t=");
		if (*v)
			*v++ = 0;
		v = trim(v);
		if (*v == '=')
			v = trim(v + 1);
		snprintf(origin, sizeof origin, "%s:%d", path, lineno);
		const struct directive *d = find(s);
		if (!d || !strcmp(s, "config")) {
			fprintf(stderr, "fechatter: %s: unknown key '%s'\n", origin, s);
			rc = -1;
		} else {
			rc = set(c, d, v, origin);
		}
	}
	return rc;
}

static int load_file(struct config *c, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "fechatter: cannot open config file %s: %s\n", path, strerror(errno));
		return -1;
	}
	int rc = config_read(c, f, path);
	fclose(f);
	return rc;
}

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: fechatter [serve] [options]\n\n"
	    "Fechatter appliance: a team chat server in one binary.\n\n"
	    "commands:\n  serve                    run the server (default)\n"
	    "  demo                     seed a demo workspace into an empty data folder, then serve\n"
	    "  backup --out FILE        write one archive of the database and the files (also while "
	    "serving)\n"
	    "  restore --in FILE        put an archive back into the data folder (server stopped; --force)\n"
	    "  routes                   print the HTTP route table (method, path, auth)\n"
	    "  version                  print `fechatter VERSION linux-ARCH` and exit\n"
	    "  reindex                  rebuild the search index from the messages, then exit (server "
	    "stopped)\n"
	    "  check                    check the database, the search index and the files, exit 0 when ok\n"
	    "                           (server stopped)\n"
	    "  export --out FILE        write one workspace as NDJSON (- for stdout; also while serving)\n"
	    "  import --in FILE         load an export into an empty data folder (server stopped)\n"
	    "  import --slack PATH      bring a Slack export (.zip or folder) into the workspace\n"
	    "                           (server stopped; re-running adds nothing twice)\n"
	    "  migrate --to postgres --pg-url URL [--files DIR]\n"
	    "                           copy the database into an empty PostgreSQL (fechatter-cluster;\n"
	    "                           server stopped)\n\n"
	    "options (also FECHATTER_<NAME> environment variables, and `name value`\n"
	    "lines in the file given with --config; flags win over the environment,\n"
	    "the environment over the file):\n");
	for (size_t i = 0; i < NDIR; i++) {
		char left[40];
		snprintf(left, sizeof left, "--%s %s", table[i].name,
		         table[i].kind == K_ENUM      ? table[i].choices
		         : table[i].kind == K_STR     ? "VALUE"
		         : table[i].kind == K_ORIGINS ? "ORIGIN"
		         : table[i].kind == K_LIST    ? "ADDR"
		         : table[i].kind == K_FLAG    ? ""
		                                      : "N");
		fprintf(out, "  %-28s %s\n", left, table[i].help);
	}
	fprintf(out, "  %-28s %s\n  %-28s %s\n  %-28s %s\n", "--config FILE", "read settings from FILE",
	        "--check-config", "validate the settings, print them and exit", "--help", "this text");
}

static void env_name(const char *name, char *out, size_t n)
{
	snprintf(out, n, "FECHATTER_");
	size_t k = strlen(out);
	for (const char *p = name; *p && k + 1 < n; p++)
		out[k++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
	out[k] = 0;
}

int config_load(struct config *c, int argc, char **argv)
{
	config_defaults(c);
	/* pass 1: commands, --help, --check-config, --config, and flag syntax */
	int i = 1;
	if (argc > 1 && argv[1][0] != '-') {
		static const char *commands[] = {"serve",   "demo",   "backup", "reindex", "routes", "check",
		                                 "restore", "export", "import", "version", "migrate"};
		int known = 0;
		for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
			known |= !strcmp(argv[1], commands[k]);
		if (!known) {
			fprintf(stderr, "fechatter: unknown command '%s' (try --help)\n", argv[1]);
			return -1;
		}
		snprintf(c->command, sizeof c->command, "%s", argv[1]);
		i = 2;
	}
	int first_flag = i;
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 1;
		}
		if (!strcmp(a, "--check-config")) {
			c->check_only = 1;
			continue;
		}
		if (strncmp(a, "--", 2)) {
			fprintf(stderr, "fechatter: unexpected argument '%s' (try --help)\n", a);
			return -1;
		}
		const char *name = a + 2, *eq = strchr(name, '=');
		char key[64];
		snprintf(key, sizeof key, "%.*s", (int)(eq ? (size_t)(eq - name) : strlen(name)), name);
		if (strcmp(key, "config") && !find(key)) {
			fprintf(stderr, "fechatter: unknown option '--%s' (try --help)\n", key);
			return -1;
		}
		if (find(key) && find(key)->kind == K_FLAG) {
			if (eq) {
				fprintf(stderr, "fechatter: option '--%s' takes no value\n", key);
				return -1;
			}
			continue;
		}
		const char *val = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
		if (!val) {
			fprintf(stderr, "fechatter: option '--%s' needs a value\n", key);
			return -1;
		}
		if (!strcmp(key, "config"))
			snprintf(c->config_file, sizeof c->config_file, "%s", val);
	}
	if (!*c->config_file && getenv("FECHATTER_CONFIG"))
		snprintf(c->config_file, sizeof c->config_file, "%s", getenv("FECHATTER_CONFIG"));
	if (*c->config_file && load_file(c, c->config_file))
		return -1;
	/* environment */
	for (size_t k = 0; k < NDIR; k++) {
		char name[64];
		env_name(table[k].name, name, sizeof name);
		const char *v = getenv(name);
		if (v && table[k].kind == K_LIST)
			*((char *)c + table[k].off) = 0; /* the environment replaces the file's list */
		if (v && set(c, &table[k], v, name))
			return -1;
	}
	/* flags */
	char listed[NDIR] = {0}; /* K_LIST directives given as flags: the flags replace the list */
	for (i = first_flag; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--check-config"))
			continue;
		const char *name = a + 2, *eq = strchr(name, '=');
		char key[64], origin[80];
		snprintf(key, sizeof key, "%.*s", (int)(eq ? (size_t)(eq - name) : strlen(name)), name);
		if (strcmp(key, "config") && find(key)->kind == K_FLAG) {
			*(int *)((char *)c + find(key)->off) = 1;
			continue;
		}
		const char *val = eq ? eq + 1 : argv[++i];
		if (!strcmp(key, "config"))
			continue;
		snprintf(origin, sizeof origin, "--%s", key);
		const struct directive *d = find(key);
		if (d->kind == K_LIST && !listed[d - table]++)
			*((char *)c + d->off) = 0;
		if (set(c, d, val, origin))
			return -1;
	}
	if (c->tls_port && c->tls_port == c->port) {
		fprintf(stderr, "fechatter: 'tls-port' must differ from 'port'\n");
		return -1;
	}
	if (!!*c->cert != !!*c->key) {
		fprintf(stderr, "fechatter: 'cert' and 'key' must be given together\n");
		return -1;
	}
	return 0;
}

void config_print(const struct config *c, FILE *out)
{
	for (size_t i = 0; i < NDIR; i++) {
		const struct directive *d = &table[i];
		const char *p = (const char *)c + d->off;
		if (d->kind == K_FLAG)
			continue; /* a command-line flag, not a setting */
		/* "key = =x" reads back as "=x" where "key =x" would read "x" */
		fprintf(out, d->kind == K_STR && *p == '=' ? "%s = " : "%s ", d->name);
		switch (d->kind) {
		case K_STR:
		case K_ORIGINS:
		case K_LIST:
			fprintf(out, "%s\n", *p ? p : "-");
			break;
		case K_INT:
			fprintf(out, "%d\n", *(const int *)p);
			break;
		case K_I64:
			fprintf(out, "%lld\n", (long long)*(const int64_t *)p);
			break;
		case K_LEVEL: {
			static const char *n[] = {"error", "warn", "info", "debug"};
			fprintf(out, "%s\n", n[*(const int *)p & 3]);
			break;
		}
		case K_ENUM: {
			const char *s = d->choices;
			for (int k = *(const int *)p; k > 0; k--)
				s += strcspn(s, "|") + 1;
			fprintf(out, "%.*s\n", (int)strcspn(s, "|"), s);
			break;
		}
		case K_FLAG:
			break;
		}
	}
}
