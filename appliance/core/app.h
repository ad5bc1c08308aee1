/* core/app: the application context every use case receives: the ports,
 * the settings, the token keys and the limiters. Built by main.c. */
#ifndef FE_APP_H
#define FE_APP_H
#include <stdint.h>
#include "lib/config.h"
#include "ports/blobs.h"
#include "ports/bus.h"
#include "ports/cache.h"
#include "ports/counters.h"
#include "ports/search.h"
#include "ports/store.h"

struct workers;
struct ratelimit;
struct limits;
struct writer;
struct presence;
struct searches;
/* owned by http/ (opaque here: core never sees libwebsockets types) */
struct rt_hub;
struct metrics;
/* core/auth's caches of verified tokens and account states (opaque) */
struct auth_cache;

#define ACCESS_TTL_S 1800
#define REFRESH_SLIDE_MS (14LL * 86400 * 1000)
#define REFRESH_ABS_MS (30LL * 86400 * 1000)
#define JWT_ISS "fechatter"
#define JWT_AUD "fechatter-api"
/* the file-download cookie's token (core/auth): a JWT for this audience only,
 * so it is never an access token, nor an access token a file cookie */
#define JWT_AUD_FILES "fechatter-files"

enum { APP_LANE_HASH = 0, APP_LANE_SEARCH = 1 };

struct app {
	const struct config *cfg;
	struct store store;
	struct bus bus;
	struct blobs blobs;
	struct search search;
	struct cache cache;
	/* Asks the loop to run writer_flush() once the current turn's events are
	 * handled (group commit). Set by the server. */
	void (*schedule_flush)(void *loop);
	void *loop;
	struct writer *writer;
	/* worker lanes: APP_LANE_HASH for password hashing, APP_LANE_SEARCH for
	 * searches, so a saturated search lane never delays a sign-in */
	struct workers *workers;
	unsigned char *jwt_sk; /* 64 bytes, sodium_malloc'd */
	unsigned char jwt_pk[32];
	struct ratelimit *rl_ip, *rl_account;
	struct limits *limits; /* per-user limits (core/limits); NULL = none */
	/* rate-limit counters shared by a cluster's appliances (ports/counters);
	 * ops NULL on a single box: rl_ip, rl_account and limits count in memory */
	struct counters counters;
	/* In-memory state of this instance, made and freed by main.c (and the
	 * unit tests' app builder), so that two apps can live in one process:
	 * who is connected and typing (core/presence), the real-time hub with
	 * its connections, replay ring and counters (http/realtime; NULL until
	 * the server is about to start), the request counters (http/metrics),
	 * the searches queued or running and their counters (core/search). */
	struct presence *presence;
	struct searches *searches;
	struct rt_hub *hub;
	struct metrics *metrics;
	/* verified access tokens and the account state they are checked against
	 * (core/auth: auth_cache_new from cfg->token_cache); NULL = none */
	struct auth_cache *auth_cache;
	int64_t started_ms;
	int64_t (*now_ms)(void); /* clock port */
	int shutting_down;
	/* Whether the appliance has its first workspace yet (core/auth keeps it:
	 * auth_needs_owner): 0 not known yet, 1 none, 2 one exists. */
	int setup_state;
};

/* The authenticated caller, as resolved from a valid access token and the
 * current state of the account (role and status come from the store). */
struct principal {
	int64_t user_id, workspace_id;
	char role[8];
	int64_t token_exp;     /* the token's expiry, seconds since the epoch */
	int64_t token_version; /* the token's version claim (see SessionsRevoked) */
};

#endif
