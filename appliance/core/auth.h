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

/* rc is 0 (r valid) or FE_E* (e valid). Both borrowed for the call. */
typedef void (*auth_cb)(void *req, int rc, const struct fe_err *e, const struct auth_result *r);

struct signup_in {
	const char *email, *password, *fullname;
	const char *workspace_name; /* may be NULL */
	const char *invite_code;    /* may be NULL */
	const char *client;         /* client address, for rate limits */
};

int auth_signup(struct app *app, const struct signup_in *in, auth_cb cb, void *req, struct fe_err *e);

/* Whether the appliance is fresh: *needs is 1 while no workspace exists
 * (the next sign-up without an invite creates the first workspace and owns
 * it, even with invite-only registration), else 0. Cheap enough for an
 * unauthenticated route: the store is asked once, then the answer is the
 * flag app->setup_state, which the sign-up creating a workspace flips.
 * Loop thread only. Returns 0, or FE_E* (e set) when the store fails. */
int auth_needs_owner(struct app *app, int *needs, struct fe_err *e);

int auth_signin(struct app *app, const char *email, const char *password, const char *client, auth_cb cb,
		void *req, struct fe_err *e);

int auth_change_password(struct app *app, const struct principal *p, const char *current, const char *next,
			 auth_cb cb, void *req, struct fe_err *e);

/* Synchronous: rotates refresh_token into a new pair in *r. */
int auth_refresh(struct app *app, const char *refresh_token, struct auth_result *r, struct fe_err *e);

/* Revokes one refresh token of the caller (NULL/empty: nothing to revoke). */
int auth_logout(struct app *app, const struct principal *p, const char *refresh_token, struct fe_err *e);

/* Revokes every refresh token and every access token of the caller. */
int auth_logout_all(struct app *app, const struct principal *p, int *revoked, struct fe_err *e);

/* Checks an access token (len bytes) and the account behind it: fills *p,
 * with the token's expiry and version (a stream it opens ends then, or when
 * a newer version revokes it); FE_EAUTH (INVALID_TOKEN or TOKEN_EXPIRED)
 * otherwise. */
int auth_authenticate(struct app *app, const char *token, size_t len, struct principal *p, struct fe_err *e);

/* Checks the token of the file-download cookie (len bytes): a JWT of
 * audience JWT_AUD_FILES, made with every auth result and living as long
 * as an access token, under the same account checks as auth_authenticate
 * (token version, status, workspace), so logout-all, a password change and
 * a suspension end it too. Fills *p; FE_EAUTH (INVALID_TOKEN or
 * TOKEN_EXPIRED) otherwise. Only the file routes may call it. */
int auth_authenticate_file(struct app *app, const char *token, size_t len, struct principal *p, struct fe_err *e);

/* Prepares the dummy hash used to equalise sign-in timing. Call once at
 * start-up, before serving (takes as long as one password hash). */
int auth_init(void);

/* After a commit that bumped user_id's token version (suspension,
 * logout-all, password change): publishes SessionsRevoked with the version
 * now current (read from the store), so the real-time hubs close every open
 * stream of the user that was opened with an older token. */
void auth_sessions_revoked(struct app *app, int64_t user_id, int64_t workspace_id);

/* Validation shared with the handlers: 0 or FE_EINVAL naming the field. */
int auth_check_email(const char *email, struct fe_err *e);
int auth_check_password(const char *pw, const char *field, struct fe_err *e);

#endif
