/* core/auth: accounts and sessions: sign-up, sign-in, refresh-token rotation
 * with reuse detection, logout, password change, access-token checks.
 * Password hashing runs on the worker pool; the use cases that need it are
 * asynchronous: they return 0 and later call the callback exactly once on
 * the loop thread, or return a negative FE_E* code (callback not called). */
#ifndef FE_AUTH_H
#define FE_AUTH_H
#include <stddef.h>
#include "core/app.h"
#include "lib/err.h"
#include "ports/model.h"

struct auth_result {
	struct user user;
	struct workspace workspace;
	char access_token[1024];
	char refresh_token[64];
	char file_token[1024]; /* for the file-download cookie (auth_authenticate_file) */
	int expires_in;
};

/* Callers, in common: the HTTP handlers (http/h_accounts.c, h_setup.c) and
 * the request authentication (http/server.c, ws.c), on the
 * loop thread, which owns the store, the cache and the bus; the workers
 * only hash. Errors: 0, or a negative FE_E* code with e filled (in the
 * callback's e for what fails after queueing). "Store errors" are the
 * store's codes (FE_ENOSPC, FE_EUNAVAIL, FE_ECORRUPT, FE_EINTERNAL) with a
 * generic message. Strings passed in are borrowed for the call (copied
 * when a job is queued); the job's copies of passwords are wiped
 * (sodium_free) when it ends. */

/* The outcome of an asynchronous use case, called once on the loop thread:
 * rc is 0 (r valid: the account, its workspace, a new token pair and file
 * token) or FE_E* (e valid). Both borrowed for the call. */
typedef void (*auth_cb)(void *req, int rc, const struct fe_err *e, const struct auth_result *r);

struct signup_in {
	const char *email, *password, *fullname;
	const char *workspace_name; /* may be NULL */
	const char *invite_code;    /* may be NULL */
	const char *client;         /* client address, for rate limits */
};

/* Creates an account and signs it in (asynchronous: the password is hashed
 * on a worker). With an invite code the account joins the invite's
 * workspace as a member (one use counted); without one it creates a
 * workspace and owns it: named in->workspace_name, else "Default" for the
 * appliance's first, else "<fullname>'s workspace". Who: anyone (no
 * principal), limited per client address.
 * Errors before queueing (cb not called), in order: FE_ERATE (RATE_LIMITED,
 * e->retry_after) for in->client; FE_EINVAL (VALIDATION_ERROR) for email
 * (auth_check_email), password (auth_check_password), fullname (1..50
 * characters, no controls), workspace_name (1..50 when given); FE_EINVAL
 * (INVALID_INVITE) for an invite code that is over 63 bytes, unknown,
 * revoked, expired or used up; FE_ECONFLICT (USER_EXISTS) for a taken email
 * (case-insensitive); FE_EFORBIDDEN (INVITE_REQUIRED) without an invite
 * when a workspace exists and registration is closed (cfg
 * registration_open); FE_EUNAVAIL (SHUTTING_DOWN) when the worker pool
 * takes no more work; store errors. In cb, after hashing, the account is
 * written in one transaction; FE_EINVAL (INVALID_INVITE) when the invite
 * was used up meanwhile, FE_ECONFLICT (WORKSPACE_EXISTS or USER_EXISTS)
 * when a name or the email was taken meanwhile, FE_EINTERNAL when hashing
 * failed, store errors. */
int auth_signup(struct app *app, const struct signup_in *in, auth_cb cb, void *req, struct fe_err *e);

/* Whether the appliance is fresh: *needs is 1 while no workspace exists
 * (the next sign-up without an invite creates the first workspace and owns
 * it, even with invite-only registration), else 0. Cheap enough for an
 * unauthenticated route: the store is asked once, then the answer is the
 * flag app->setup_state, which the sign-up creating a workspace flips.
 * Loop thread only. Returns 0, or FE_E* (e set) when the store fails. */
int auth_needs_owner(struct app *app, int *needs, struct fe_err *e);

/* Checks email and password (asynchronous: verified on a worker, against a
 * dummy hash when the email is unknown, so both take as long) and issues a
 * new token pair. Who: anyone, limited per client address and per account
 * (a success resets the account's limit).
 * Errors before queueing: FE_ERATE (RATE_LIMITED, e->retry_after);
 * FE_EINVAL (VALIDATION_ERROR, field password) for a password over 512
 * bytes; FE_EUNAVAIL (SHUTTING_DOWN); store errors. In cb: FE_EAUTH
 * (INVALID_CREDENTIALS) for an unknown email or a wrong password (the same
 * answer), FE_EFORBIDDEN (ACCOUNT_SUSPENDED) for a suspended account (only
 * with the right password), store errors. */
int auth_signin(struct app *app, const char *email, const char *password, const char *client, auth_cb cb,
                void *req, struct fe_err *e);

/* Changes the caller's password (asynchronous: current verified and next
 * hashed on a worker), then in one transaction bumps the token version and
 * revokes every refresh token, publishes SessionsRevoked, and answers a new
 * token pair (this session goes on). Who: any signed-in user, for
 * themselves. Errors before queueing: FE_EINVAL (VALIDATION_ERROR) for
 * next (auth_check_password, field new_password) or a current over 512
 * bytes (current_password); FE_EAUTH when the account is gone;
 * FE_EUNAVAIL (SHUTTING_DOWN); store errors. In cb: FE_EAUTH
 * (INVALID_CREDENTIALS, field current_password) for a wrong current
 * password, FE_EINTERNAL when hashing failed, store errors. */
int auth_change_password(struct app *app, const struct principal *p, const char *current, const char *next,
                         auth_cb cb, void *req, struct fe_err *e);

/* Password-set links: single-use, expiring tokens that let the holder of
 * an account without a password (an imported one) choose it. The appliance
 * sends no e-mail: whoever makes a link hands it out. */
#define AUTH_LINK_TOKEN_MAX 64                /* a token: 43 base64url characters and NUL */
#define AUTH_LINK_TTL_MS (7LL * 86400 * 1000) /* the default lifetime: 7 days */

/* Makes a link for user_id valid ttl_ms from now: the token (random, 32
 * bytes as base64url) into token, only its SHA-256 stored; *expires_at (when
 * not NULL) gets its expiry. Synchronous, any thread owning st (the import
 * runs it offline, inside its transaction). Errors: store errors (token
 * wiped). */
int auth_password_link_new(struct store *st, int64_t user_id, int64_t now, int64_t ttl_ms,
                           char token[AUTH_LINK_TOKEN_MAX], int64_t *expires_at);

/* Sets the password of the account behind a link (asynchronous: hashed on
 * a worker), then in one transaction marks the link used, bumps the token
 * version, revokes every refresh token, and signs in (a new token pair).
 * Who: anyone holding a link, limited per client address. Errors before
 * queueing: FE_ERATE; FE_EINVAL (INVALID_PASSWORD_TOKEN, field token) for
 * an empty, over-128-byte or unknown token; FE_EGONE (PASSWORD_TOKEN_USED,
 * PASSWORD_TOKEN_EXPIRED) for a link used already or past its expiry;
 * FE_EINVAL (VALIDATION_ERROR, field password, auth_check_password);
 * FE_EUNAVAIL (SHUTTING_DOWN); store errors. In cb: the same link errors
 * when the link was used meanwhile (a race), FE_EFORBIDDEN
 * (ACCOUNT_SUSPENDED), FE_EINTERNAL when hashing failed, store errors. */
int auth_set_password(struct app *app, const char *token, const char *password, const char *client,
                      auth_cb cb, void *req, struct fe_err *e);

/* Synchronous: rotates refresh_token (marks it rotated) into a new pair of
 * the same family in *r (the caller's storage), in one transaction. Who:
 * anyone holding a refresh token (no principal). Errors: FE_EAUTH
 * (INVALID_REFRESH_TOKEN) for an empty, over-128-byte, unknown, revoked or
 * expired token (or family), or one whose account is gone, or a rotation
 * lost to a concurrent one; FE_EAUTH (TOKEN_REUSED) for a token rotated
 * already: its whole family is revoked (stolen or replayed); FE_EFORBIDDEN
 * (ACCOUNT_SUSPENDED); store errors. */
int auth_refresh(struct app *app, const char *refresh_token, struct auth_result *r, struct fe_err *e);

/* Revokes one refresh token of the caller (NULL/empty, unknown, another
 * user's or revoked already: nothing to do, 0). Access tokens live on
 * until they expire. Who: any signed-in user. Errors: store errors. */
int auth_logout(struct app *app, const struct principal *p, const char *refresh_token, struct fe_err *e);

/* Revokes every refresh token and every access token of the caller (bumps
 * the token version) in one transaction, forgets the user's cache entries
 * and publishes SessionsRevoked (open streams close); *revoked gets the
 * number of refresh tokens revoked. Who: any signed-in user, for
 * themselves. Errors: store errors. */
int auth_logout_all(struct app *app, const struct principal *p, int *revoked, struct fe_err *e);

/* Checks an access token (len bytes) and the account behind it: fills *p,
 * with the token's expiry and version (a stream it opens ends then, or when
 * a newer version revokes it); FE_EAUTH (INVALID_TOKEN or TOKEN_EXPIRED)
 * otherwise: a bad signature, issuer or audience, an expired token, an
 * account gone, suspended, moved or whose token version changed. A token
 * seen before skips its signature check (app->auth_cache); every other
 * check is made on every call, against the account's current state (read
 * through app->auth_cache, else cached_user). Loop thread. token is
 * borrowed; *p is the caller's storage. */
int auth_authenticate(struct app *app, const char *token, size_t len, struct principal *p, struct fe_err *e);

/* Checks the token of the file-download cookie (len bytes): a JWT of
 * audience JWT_AUD_FILES, made with every auth result and living as long
 * as an access token, under the same account checks as auth_authenticate
 * (token version, status, workspace), so logout-all, a password change and
 * a suspension end it too. Fills *p; FE_EAUTH (INVALID_TOKEN or
 * TOKEN_EXPIRED) otherwise. Only the file routes may call it. */
int auth_authenticate_file(struct app *app, const char *token, size_t len, struct principal *p,
                           struct fe_err *e);

/* The caches behind auth_authenticate: up to entries verified tokens
 * (lib/jwt's jwt_cache: a token seen before skips its signature check) and
 * as many account states (id, workspace, role, status, token version:
 * what a token is checked against, read through cached_user on a miss and
 * kept until auth_forget_user or TTL_USER). Expiry, token version, status,
 * workspace and role are checked on every request, hit or not. NULL when
 * entries is 0 (no caching: every request verifies and reads
 * cached_user). Owned by the app (app->auth_cache): auth_cache_free,
 * NULL-safe. Made by main.c and the unit tests' app builder. */
struct auth_cache *auth_cache_new(int entries);
void auth_cache_free(struct auth_cache *c);

/* Forgets user_id's account state, so the next request reads it again.
 * core/cached's cache_forget_user calls it: every write that changes a
 * user's role, status or token version (logout-all, password change,
 * suspension, role change) already calls that after its commit. Loop
 * thread; nothing without a cache. */
void auth_forget_user(struct app *app, int64_t user_id);
/* Forgets every cached account state (core/cached on a Resync: the events
 * that would have forgotten some were lost). Loop thread. */
void auth_forget_all(struct app *app);

/* Counters of app's token cache since start (0 without one): requests
 * whose token was found verified, and those that verified a signature. */
void auth_cache_stats(const struct app *app, uint64_t *hits, uint64_t *misses);

/* Prepares the dummy hash used to equalise sign-in timing. Call once at
 * start-up, before serving (takes as long as one password hash). Returns
 * 0, or -1 when hashing fails (no memory). Called by main.c before the
 * service loop starts. */
int auth_init(void);

/* After a commit that bumped user_id's token version (suspension,
 * logout-all, password change): publishes SessionsRevoked with the version
 * now current (read from the store), so the real-time hubs close every open
 * stream of the user that was opened with an older token. Also after a role
 * or status change that bumped nothing (no stream is closed then): every
 * appliance hearing it forgets the account state (core/cached). */
void auth_sessions_revoked(struct app *app, int64_t user_id, int64_t workspace_id);

/* Validation shared with the handlers: 0 or FE_EINVAL (VALIDATION_ERROR)
 * naming the field, with e filled. An email is 3..254 bytes with one '@'
 * not first, a '.' after it (not right after the '@', not last), no
 * controls, spaces or <>"(),;:\[]. A password is 8..128 characters
 * (field names it: "password", "new_password"). Pure: any thread. */
int auth_check_email(const char *email, struct fe_err *e);
int auth_check_password(const char *pw, const char *field, struct fe_err *e);

#endif
