/* core/auth: account and session use cases. Each asynchronous use case
 * keeps its state in a job that travels to a worker (password hashing) and
 * back to the loop thread, where the store is touched. */
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/auth.h"
#include "core/cached.h"
#include "lib/crypto.h"
#include "lib/jwt.h"
#include "lib/log.h"
#include "lib/ratelimit.h"
#include "lib/utf8.h"
#include "lib/workers.h"
#include "lib/xalloc.h"

enum job_kind { JOB_SIGNUP, JOB_SIGNIN, JOB_CHPW, JOB_SETPW };

struct job {
	enum job_kind kind;
	struct app *app;
	auth_cb cb;
	void *req;
	int ok; /* worker result: hash made / password matched */
	int64_t user_id;
	int64_t token_id; /* JOB_SETPW: the password-set link */
	char email[256], fullname[UTF8_BUF(50)], workspace_name[UTF8_BUF(50)], invite_code[64];
	char password[132], new_password[132];
	char hash[PW_HASH_MAX];
};

/* A hash of a random password, verified when the email is unknown so that
 * a wrong email costs the same time as a wrong password. */
static char dummy_hash[PW_HASH_MAX];

static struct job *job_new(struct app *app, enum job_kind kind, auth_cb cb, void *req)
{
	struct job *j = sodium_malloc(sizeof *j);
	if (!j)
		abort();
	memset(j, 0, sizeof *j);
	j->kind = kind;
	j->app = app;
	j->cb = cb;
	j->req = req;
	return j;
}

static void job_free(struct job *j)
{
	sodium_free(j); /* wipes the passwords */
}

static void lower_copy(char *dst, size_t n, const char *src)
{
	size_t i = 0;
	for (; src[i] && i + 1 < n; i++)
		dst[i] = (src[i] >= 'A' && src[i] <= 'Z') ? (char)(src[i] + 32) : src[i];
	dst[i] = 0;
}

int auth_check_email(const char *email, struct fe_err *e)
{
	size_t n = strlen(email);
	const char *at = strchr(email, '@');
	if (n < 3 || n > 254 || !at || at == email || strchr(at + 1, '@') || !strchr(at + 1, '.') ||
	    at[1] == '.' || email[n - 1] == '.' || utf8_has_controls(email, 0) ||
	    strpbrk(email, " \t<>\"(),;:\\[]"))
		return err_set(e, FE_EINVAL, "VALIDATION_ERROR", "email", "email must be a valid address");
	return 0;
}

int auth_check_password(const char *pw, const char *field, struct fe_err *e)
{
	size_t n = utf8_chars(pw);
	if (n < 8 || n > 128)
		return err_set(e, FE_EINVAL, "VALIDATION_ERROR", field, "%s must be 8..128 characters",
		               field);
	return 0;
}

/* Rate limit with a key prefix. Returns 0 or FE_ERATE. */
static int limited(struct app *app, struct ratelimit *rl, const char *prefix, const char *key,
                   struct fe_err *e)
{
	char k[300];
	int wait;
	if (!app->counters.ops) {
		snprintf(k, sizeof k, "%s:%s", prefix, key);
		wait = ratelimit_hit(rl, k, app->now_ms());
	} else {
		/* a cluster: one window for all appliances, namespaced by limiter */
		int ip = rl == app->rl_ip;
		snprintf(k, sizeof k, "%s:%s:%s", ip ? "ip" : "account", prefix, key);
		int limit = ip ? app->cfg->login_rate_ip : app->cfg->login_rate_account;
		wait = app->counters.ops->hit(app->counters.impl, k, 60000, (unsigned)limit, app->now_ms());
	}
	if (!wait)
		return 0;
	err_set(e, FE_ERATE, "RATE_LIMITED", NULL, "too many attempts, retry in %d s", wait);
	if (e)
		e->retry_after = wait;
	log_warn("auth: rate-limited %s", prefix);
	return FE_ERATE;
}

/* Issues an access token for u (aud JWT_AUD), or a file-cookie token (aud
 * JWT_AUD_FILES). */
static int make_access(struct app *app, const struct user *u, const char *aud, char *out, size_t n)
{
	struct jwt_claims c = {0};
	snprintf(c.iss, sizeof c.iss, JWT_ISS);
	snprintf(c.aud, sizeof c.aud, "%s", aud);
	c.sub = u->id;
	c.iat = app->now_ms() / 1000;
	c.exp = c.iat + ACCESS_TTL_S;
	c.workspace_id = u->workspace_id;
	snprintf(c.role, sizeof c.role, "%s", u->role);
	c.token_version = u->token_version;
	char *t = jwt_sign(&c, app->jwt_sk);
	if (!t || strlen(t) >= n) {
		free(t);
		return FE_EINTERNAL;
	}
	strcpy(out, t);
	free(t);
	return 0;
}

/* Fills r with user u, its workspace, a new access token and a refresh token
 * in family (a new family when family is NULL). Inside the caller's
 * transaction when there is one. */
static int issue(struct app *app, const struct user *u, const char *family, int64_t family_expires,
                 struct auth_result *r)
{
	struct store *st = &app->store;
	int64_t now = app->now_ms();
	memset(r, 0, sizeof *r);
	r->user = *u;
	int rc = store_call(st, workspace_get, u->workspace_id, &r->workspace);
	if (rc)
		return rc;
	struct refresh_token t = {0};
	t.user_id = u->id;
	if (family)
		snprintf(t.family, sizeof t.family, "%s", family);
	else
		random_b64url(12, t.family, sizeof t.family);
	t.created_at = now;
	t.family_expires_at = family ? family_expires : now + REFRESH_ABS_MS;
	t.expires_at =
	    now + REFRESH_SLIDE_MS < t.family_expires_at ? now + REFRESH_SLIDE_MS : t.family_expires_at;
	random_b64url(32, r->refresh_token, sizeof r->refresh_token);
	char hash[65];
	sha256_hex(r->refresh_token, strlen(r->refresh_token), hash);
	if ((rc = store_call(st, refresh_insert, &t, hash)))
		return rc;
	r->expires_in = ACCESS_TTL_S;
	if ((rc = make_access(app, u, JWT_AUD, r->access_token, sizeof r->access_token)))
		return rc;
	return make_access(app, u, JWT_AUD_FILES, r->file_token, sizeof r->file_token);
}

/* Runs a job on a worker; on failure to queue, fails with 503. */
static int submit(struct job *j, work_fn run, work_fn done, struct fe_err *e)
{
	if (workers_submit(j->app->workers, run, done, j)) {
		job_free(j);
		return err_set(e, FE_EUNAVAIL, "SHUTTING_DOWN", NULL, "the server is shutting down");
	}
	return 0;
}

/* A zeroed result (about 7 KB: kept off the stack). Owned: free(). */
static struct auth_result *result_new(void)
{
	struct auth_result *r = xcalloc(1, sizeof *r);
	return r;
}

static void finish(struct job *j, int rc, const struct fe_err *e, const struct auth_result *r)
{
	j->cb(j->req, rc, e, r);
	job_free(j);
}

/* ---- sign-up ---- */

static void signup_work(void *arg)
{
	struct job *j = arg;
	j->ok = pw_hash(j->password, j->hash) == 0;
}

/* Decides where a new account goes (without changing anything): *ws_id > 0
 * joins that workspace by invite; 0 creates a workspace named name. */
static int signup_target(struct app *app, const char *invite_code, const char *ws_name, int64_t *ws_id,
                         struct fe_err *e)
{
	struct store *st = &app->store;
	int64_t now = app->now_ms(), nws = 0;
	*ws_id = 0;
	if (invite_code && *invite_code) {
		struct invite inv;
		int rc = store_call(st, invite_get, invite_code, &inv);
		if (rc && rc != FE_ENOTFOUND)
			return err_set(e, rc, NULL, NULL, "store error");
		if (rc || inv.revoked_at || inv.expires_at <= now || inv.uses >= inv.max_uses)
			return err_set(e, FE_EINVAL, "INVALID_INVITE", "invite_code",
			               "the invite code is unknown, revoked, expired or used up");
		*ws_id = inv.workspace_id;
		return 0;
	}
	int rc = store_call(st, workspace_count, &nws);
	if (rc)
		return err_set(e, rc, NULL, NULL, "store error");
	if (nws > 0 && !app->cfg->registration_open)
		return err_set(e, FE_EFORBIDDEN, "INVITE_REQUIRED", "invite_code",
		               "an invite code is required to join this server");
	(void)ws_name; /* a new workspace without a name gets a default one (create_workspace) */
	return 0;
}

/* Creates the new account's own workspace in *w (inside the caller's
 * transaction): named name when given (FE_ECONFLICT when taken); else
 * "Default" for the first workspace of the appliance, else "<fullname>'s
 * workspace", made unique with " 2", " 3", ... (the original's clients sign
 * up without a name; never find-or-create: a name that exists is never
 * joined). */
static int create_workspace(struct app *app, const char *name, const char *fullname, struct workspace *w)
{
	struct store *st = &app->store;
	int64_t nws = 0;
	int rc;
	if (*name || ((rc = store_call(st, workspace_count, &nws)) == 0 && nws == 0)) {
		snprintf(w->name, sizeof w->name, "%s", *name ? name : "Default");
		return store_call(st, workspace_insert, w);
	}
	if (rc)
		return rc;
	/* at most 35 characters of the name, so the result stays within 50 */
	char base[160];
	size_t i = 0, chars = 0;
	while (fullname[i] && chars < 35 && i + 4 < sizeof base) {
		size_t n;
		utf8_decode(fullname + i, &n);
		i += n;
		chars++;
	}
	snprintf(base, sizeof base, "%.*s's workspace", (int)i, fullname);
	rc = FE_ECONFLICT;
	for (int k = 1; k <= 99 && rc == FE_ECONFLICT; k++) {
		if (k == 1)
			snprintf(w->name, sizeof w->name, "%s", base);
		else
			snprintf(w->name, sizeof w->name, "%s %d", base, k);
		rc = store_call(st, workspace_insert, w);
	}
	return rc;
}

static void signup_done(void *arg)
{
	struct job *j = arg;
	struct app *app = j->app;
	struct store *st = &app->store;
	struct fe_err e = {0};
	struct auth_result *r = result_new();
	int rc;
	int64_t ws_id;
	if (!j->ok) {
		rc = err_set(&e, FE_EINTERNAL, NULL, NULL, "password hashing failed");
		goto out;
	}
	if ((rc = store_call(st, begin))) {
		err_set(&e, rc, NULL, NULL, "the database cannot be written");
		goto out;
	}
	/* Checked again: things may have changed while the hash was made. */
	if ((rc = signup_target(app, j->invite_code, j->workspace_name, &ws_id, &e)))
		goto rollback;
	int64_t now = app->now_ms();
	struct user u = {0};
	snprintf(u.email, sizeof u.email, "%s", j->email);
	snprintf(u.fullname, sizeof u.fullname, "%s", j->fullname);
	u.created_at = now;
	if (ws_id) {
		if ((rc = store_call(st, invite_use, j->invite_code, now))) {
			err_set(&e, rc == FE_ENOTFOUND ? FE_EINVAL : rc, "INVALID_INVITE", "invite_code",
			        "the invite code is unknown, revoked, expired or used up");
			goto rollback;
		}
		u.workspace_id = ws_id;
		strcpy(u.role, "member");
	} else {
		struct workspace w = {0};
		w.created_at = now;
		if ((rc = create_workspace(app, j->workspace_name, j->fullname, &w))) {
			err_set(&e, rc, rc == FE_ECONFLICT ? "WORKSPACE_EXISTS" : NULL, "workspace_name",
			        rc == FE_ECONFLICT ? "a workspace with this name exists" : "store error");
			goto rollback;
		}
		u.workspace_id = w.id;
		strcpy(u.role, "owner");
	}
	if ((rc = store_call(st, user_insert, &u, j->hash))) {
		err_set(&e, rc, rc == FE_ECONFLICT ? "USER_EXISTS" : NULL, "email",
		        rc == FE_ECONFLICT ? "an account with this email exists" : "store error");
		goto rollback;
	}
	if (!ws_id && (rc = store_call(st, workspace_set_owner, u.workspace_id, u.id)))
		goto rollback;
	if ((rc = issue(app, &u, NULL, 0, r)) || (rc = store_call(st, commit))) {
		err_set(&e, rc, NULL, NULL, "could not create the account");
		goto rollback;
	}
	cache_forget_user(app, u.id, u.workspace_id);
	struct event ev = {
	    .type = EV_USER_CHANGED, .workspace_id = u.workspace_id, .actor_id = u.id, .user_id = u.id};
	bus_publish(&app->bus, &ev); /* the other appliances' caches (user list, member count) */
	if (!ws_id)
		app->setup_state = 2; /* a workspace exists now: no longer fresh */
	log_info("auth: signup user=%lld workspace=%lld role=%s", (long long)u.id, (long long)u.workspace_id,
	         u.role);
	goto out;
rollback:
	store_call(st, rollback);
	if (!e.rc)
		err_set(&e, rc, NULL, NULL, "could not create the account");
out:
	finish(j, rc, &e, r);
	free(r);
}

int auth_signup(struct app *app, const struct signup_in *in, auth_cb cb, void *req, struct fe_err *e)
{
	struct store *st = &app->store;
	int rc;
	if ((rc = limited(app, app->rl_ip, "signup", in->client, e)))
		return rc;
	if ((rc = auth_check_email(in->email, e)) || (rc = auth_check_password(in->password, "password", e)))
		return rc;
	size_t n = utf8_chars(in->fullname);
	if (n < 1 || n > 50 || utf8_has_controls(in->fullname, 0))
		return err_set(e, FE_EINVAL, "VALIDATION_ERROR", "fullname",
		               "fullname must be 1..50 characters");
	const char *wsn = in->workspace_name ? in->workspace_name : "";
	n = utf8_chars(wsn);
	if (in->workspace_name && (n < 1 || n > 50 || utf8_has_controls(wsn, 0)))
		return err_set(e, FE_EINVAL, "VALIDATION_ERROR", "workspace_name",
		               "workspace_name must be 1..50 characters");
	if (in->invite_code && strlen(in->invite_code) > 63)
		return err_set(e, FE_EINVAL, "INVALID_INVITE", "invite_code", "the invite code is unknown");
	struct user u;
	rc = store_call(st, user_by_email, in->email, &u);
	if (rc == 0)
		return err_set(e, FE_ECONFLICT, "USER_EXISTS", "email", "an account with this email exists");
	if (rc != FE_ENOTFOUND)
		return err_set(e, rc, NULL, NULL, "store error");
	int64_t ws_id;
	if ((rc = signup_target(app, in->invite_code, wsn, &ws_id, e)))
		return rc;
	struct job *j = job_new(app, JOB_SIGNUP, cb, req);
	snprintf(j->email, sizeof j->email, "%s", in->email);
	snprintf(j->fullname, sizeof j->fullname, "%s", in->fullname);
	snprintf(j->workspace_name, sizeof j->workspace_name, "%s", wsn);
	snprintf(j->invite_code, sizeof j->invite_code, "%s", in->invite_code ? in->invite_code : "");
	snprintf(j->password, sizeof j->password, "%s", in->password);
	return submit(j, signup_work, signup_done, e);
}

int auth_needs_owner(struct app *app, int *needs, struct fe_err *e)
{
	if (!app->setup_state) {
		int64_t n = 0;
		int rc = store_call(&app->store, workspace_count, &n);
		if (rc)
			return err_set(e, rc, NULL, NULL, "store error");
		app->setup_state = n > 0 ? 2 : 1;
	}
	*needs = app->setup_state == 1;
	return 0;
}

/* ---- sign-in ---- */

static void verify_work(void *arg)
{
	struct job *j = arg;
	j->ok = pw_verify(j->hash, j->password) == 0;
	if (j->ok && j->kind == JOB_CHPW)
		j->ok = pw_hash(j->new_password, j->hash) == 0 ? 1 : -1;
}

static void signin_done(void *arg)
{
	struct job *j = arg;
	struct app *app = j->app;
	struct store *st = &app->store;
	struct fe_err e = {0};
	struct auth_result *r = result_new();
	struct user u;
	int rc;
	if (!j->ok || !j->user_id || store_call(st, user_get, j->user_id, &u)) {
		rc = err_set(&e, FE_EAUTH, "INVALID_CREDENTIALS", NULL, "wrong email or password");
		log_info("auth: signin failed");
	} else if (strcmp(u.status, "Active")) {
		rc = err_set(&e, FE_EFORBIDDEN, "ACCOUNT_SUSPENDED", NULL, "this account is suspended");
	} else if ((rc = issue(app, &u, NULL, 0, r))) {
		err_set(&e, rc, NULL, NULL, "could not sign in");
	} else {
		char k[300];
		if (!app->counters.ops) {
			snprintf(k, sizeof k, "signin:%s", j->email);
			ratelimit_reset(app->rl_account, k);
		} else {
			snprintf(k, sizeof k, "account:signin:%s", j->email);
			app->counters.ops->reset(app->counters.impl, k);
		}
		log_info("auth: signin user=%lld", (long long)u.id);
	}
	finish(j, rc, &e, r);
	free(r);
}

int auth_signin(struct app *app, const char *email, const char *password, const char *client, auth_cb cb,
                void *req, struct fe_err *e)
{
	struct store *st = &app->store;
	char lower[256];
	int rc;
	lower_copy(lower, sizeof lower, email);
	if ((rc = limited(app, app->rl_ip, "signin", client, e)) ||
	    (rc = limited(app, app->rl_account, "signin", lower, e)))
		return rc;
	if (strlen(password) > 512)
		return err_set(e, FE_EINVAL, "VALIDATION_ERROR", "password", "password is too long");
	struct credentials c;
	rc = store_call(st, credentials_by_email, email, &c);
	if (rc && rc != FE_ENOTFOUND)
		return err_set(e, rc, NULL, NULL, "store error");
	struct job *j = job_new(app, JOB_SIGNIN, cb, req);
	snprintf(j->email, sizeof j->email, "%s", lower);
	snprintf(j->password, sizeof j->password, "%s", password);
	if (rc == 0 && c.password_hash[0]) {
		j->user_id = c.user_id;
		snprintf(j->hash, sizeof j->hash, "%s", c.password_hash);
	} else { /* unknown, or an account without a password (set by link only) */
		snprintf(j->hash, sizeof j->hash, "%s", dummy_hash);
	}
	sodium_memzero(&c, sizeof c);
	return submit(j, verify_work, signin_done, e);
}

/* ---- change password ---- */

static void chpw_done(void *arg)
{
	struct job *j = arg;
	struct app *app = j->app;
	struct store *st = &app->store;
	struct fe_err e = {0};
	struct auth_result *r = result_new();
	struct user u;
	int rc, revoked = 0;
	if (j->ok == 0) {
		rc = err_set(&e, FE_EAUTH, "INVALID_CREDENTIALS", "current_password",
		             "the current password is wrong");
		goto out;
	}
	if (j->ok < 0) {
		rc = err_set(&e, FE_EINTERNAL, NULL, NULL, "password hashing failed");
		goto out;
	}
	if ((rc = store_call(st, begin)))
		goto out;
	if ((rc = store_call(st, user_set_password, j->user_id, j->hash)) ||
	    (rc = store_call(st, user_bump_token_version, j->user_id)) ||
	    (rc = store_call(st, refresh_revoke_user, j->user_id, app->now_ms(), &revoked)) ||
	    (rc = store_call(st, user_get, j->user_id, &u)) || (rc = issue(app, &u, NULL, 0, r)) ||
	    (rc = store_call(st, commit))) {
		store_call(st, rollback);
		goto out;
	}
	cache_forget_user(app, u.id, u.workspace_id);
	auth_sessions_revoked(app, u.id, u.workspace_id);
	log_info("auth: password changed user=%lld sessions_revoked=%d", (long long)j->user_id, revoked);
out:
	if (rc && !e.rc)
		err_set(&e, rc, NULL, NULL, "could not change the password");
	finish(j, rc, &e, r);
	free(r);
}

int auth_change_password(struct app *app, const struct principal *p, const char *current, const char *next,
                         auth_cb cb, void *req, struct fe_err *e)
{
	struct store *st = &app->store;
	int rc;
	if ((rc = auth_check_password(next, "new_password", e)))
		return rc;
	if (strlen(current) > 512)
		return err_set(e, FE_EINVAL, "VALIDATION_ERROR", "current_password",
		               "current_password is too long");
	struct credentials c;
	if ((rc = store_call(st, credentials_by_id, p->user_id, &c)))
		return err_set(e, rc == FE_ENOTFOUND ? FE_EAUTH : rc, NULL, NULL, "unknown account");
	struct job *j = job_new(app, JOB_CHPW, cb, req);
	j->user_id = c.user_id;
	snprintf(j->hash, sizeof j->hash, "%s", c.password_hash);
	snprintf(j->password, sizeof j->password, "%s", current);
	snprintf(j->new_password, sizeof j->new_password, "%s", next);
	sodium_memzero(&c, sizeof c);
	return submit(j, verify_work, chpw_done, e);
}

/* ---- password-set links ---- */

int auth_password_link_new(struct store *st, int64_t user_id, int64_t now, int64_t ttl_ms,
                           char token[AUTH_LINK_TOKEN_MAX], int64_t *expires_at)
{
	struct password_token t = {.user_id = user_id, .created_at = now, .expires_at = now + ttl_ms};
	char hash[65];
	random_b64url(32, token, AUTH_LINK_TOKEN_MAX);
	sha256_hex(token, strlen(token), hash);
	int rc = store_call(st, password_token_insert, &t, hash);
	if (rc)
		sodium_memzero(token, AUTH_LINK_TOKEN_MAX);
	else if (expires_at)
		*expires_at = t.expires_at;
	return rc;
}

/* Looks the link up by token: 0 with *t filled when it can be used at now;
 * else the error (unknown, used, expired, store). */
static int password_link(struct store *st, const char *token, int64_t now, struct password_token *t,
                         struct fe_err *e)
{
	char hash[65];
	size_t len = strlen(token);
	if (!len || len > 128)
		return err_set(e, FE_EINVAL, "INVALID_PASSWORD_TOKEN", "token", "this link is not valid");
	sha256_hex(token, len, hash);
	int rc = store_call(st, password_token_get, hash, t);
	if (rc == FE_ENOTFOUND)
		return err_set(e, FE_EINVAL, "INVALID_PASSWORD_TOKEN", "token", "this link is not valid");
	if (rc)
		return err_set(e, rc, NULL, NULL, "store error");
	if (t->used_at)
		return err_set(e, FE_EGONE, "PASSWORD_TOKEN_USED", "token",
		               "this link was used already; sign in, or ask an admin for a new one");
	if (now >= t->expires_at)
		return err_set(e, FE_EGONE, "PASSWORD_TOKEN_EXPIRED", "token",
		               "this link has expired; ask an admin for a new one");
	return 0;
}

static void setpw_work(void *arg)
{
	struct job *j = arg;
	j->ok = pw_hash(j->new_password, j->hash) == 0;
}

static void setpw_done(void *arg)
{
	struct job *j = arg;
	struct app *app = j->app;
	struct store *st = &app->store;
	struct fe_err e = {0};
	struct auth_result *r = result_new();
	struct password_token t;
	struct user u;
	int rc, revoked = 0;
	int64_t now = app->now_ms();
	if (!j->ok) {
		rc = err_set(&e, FE_EINTERNAL, NULL, NULL, "password hashing failed");
		goto out;
	}
	if ((rc = store_call(st, begin))) {
		err_set(&e, rc, NULL, NULL, "the database cannot be written");
		goto out;
	}
	/* checked again inside the transaction: used or expired meanwhile */
	if ((rc = password_link(st, j->password, now, &t, &e))) {
		store_call(st, rollback);
		goto out;
	}
	if ((rc = store_call(st, password_token_use, t.id, now)) == FE_ECONFLICT) {
		store_call(st, rollback);
		rc = err_set(&e, FE_EGONE, "PASSWORD_TOKEN_USED", "token", "this link was used already");
		goto out;
	}
	if (!rc && !(rc = store_call(st, user_get, t.user_id, &u)) && strcmp(u.status, "Active")) {
		store_call(st, rollback);
		rc = err_set(&e, FE_EFORBIDDEN, "ACCOUNT_SUSPENDED", NULL, "this account is suspended");
		goto out;
	}
	if (rc || (rc = store_call(st, user_set_password, t.user_id, j->hash)) ||
	    (rc = store_call(st, user_bump_token_version, t.user_id)) ||
	    (rc = store_call(st, refresh_revoke_user, t.user_id, now, &revoked)) ||
	    (rc = store_call(st, user_get, t.user_id, &u)) || (rc = issue(app, &u, NULL, 0, r)) ||
	    (rc = store_call(st, commit))) {
		store_call(st, rollback);
		err_set(&e, rc, NULL, NULL, "could not set the password");
		goto out;
	}
	cache_forget_user(app, u.id, u.workspace_id);
	auth_sessions_revoked(app, u.id, u.workspace_id);
	log_info("auth: password set by link user=%lld", (long long)u.id);
out:
	finish(j, rc, &e, r);
	free(r);
}

int auth_set_password(struct app *app, const char *token, const char *password, const char *client,
                      auth_cb cb, void *req, struct fe_err *e)
{
	struct password_token t;
	int rc;
	if ((rc = limited(app, app->rl_ip, "setpw", client, e)) ||
	    (rc = password_link(&app->store, token, app->now_ms(), &t, e)) ||
	    (rc = auth_check_password(password, "password", e)))
		return rc;
	struct job *j = job_new(app, JOB_SETPW, cb, req);
	j->user_id = t.user_id;
	j->token_id = t.id;
	snprintf(j->password, sizeof j->password, "%s", token); /* the token, wiped with the job */
	snprintf(j->new_password, sizeof j->new_password, "%s", password);
	return submit(j, setpw_work, setpw_done, e);
}

/* ---- refresh, logout ---- */

int auth_refresh(struct app *app, const char *token, struct auth_result *r, struct fe_err *e)
{
	struct store *st = &app->store;
	struct refresh_token t;
	struct user u;
	char hash[65];
	int64_t now = app->now_ms();
	size_t len = strlen(token);
	if (!len || len > 128)
		return err_set(e, FE_EAUTH, "INVALID_REFRESH_TOKEN", NULL, "the refresh token is not valid");
	sha256_hex(token, len, hash);
	int rc = store_call(st, refresh_get, hash, &t);
	if (rc == FE_ENOTFOUND || (!rc && t.revoked_at))
		return err_set(e, FE_EAUTH, "INVALID_REFRESH_TOKEN", NULL, "the refresh token is not valid");
	if (rc)
		return err_set(e, rc, NULL, NULL, "store error");
	if (t.rotated_at) {
		/* A rotated token came back: it was stolen or replayed. */
		store_call(st, refresh_revoke_family, t.family, now);
		log_warn("auth: refresh token reuse user=%lld family revoked", (long long)t.user_id);
		return err_set(
		    e, FE_EAUTH, "TOKEN_REUSED", NULL,
		    "this refresh token was already used; every session of its sign-in is revoked");
	}
	if (now >= t.expires_at || now >= t.family_expires_at)
		return err_set(e, FE_EAUTH, "INVALID_REFRESH_TOKEN", NULL, "the refresh token has expired");
	if ((rc = store_call(st, user_get, t.user_id, &u)))
		return err_set(e, FE_EAUTH, "INVALID_REFRESH_TOKEN", NULL, "the refresh token is not valid");
	if (strcmp(u.status, "Active"))
		return err_set(e, FE_EFORBIDDEN, "ACCOUNT_SUSPENDED", NULL, "this account is suspended");
	if ((rc = store_call(st, begin)))
		return err_set(e, rc, NULL, NULL, "the database cannot be written");
	if ((rc = store_call(st, refresh_rotate, t.id, now)) ||
	    (rc = issue(app, &u, t.family, t.family_expires_at, r)) || (rc = store_call(st, commit))) {
		store_call(st, rollback);
		return err_set(e, rc == FE_ECONFLICT ? FE_EAUTH : rc,
		               rc == FE_ECONFLICT ? "INVALID_REFRESH_TOKEN" : NULL, NULL,
		               "could not refresh the session");
	}
	return 0;
}

int auth_logout(struct app *app, const struct principal *p, const char *token, struct fe_err *e)
{
	if (!token || !*token)
		return 0;
	char hash[65];
	sha256_hex(token, strlen(token), hash);
	int rc = store_call(&app->store, refresh_revoke, p->user_id, hash, app->now_ms());
	return rc == FE_ENOTFOUND ? 0 : rc ? err_set(e, rc, NULL, NULL, "store error") : 0;
}

int auth_logout_all(struct app *app, const struct principal *p, int *revoked, struct fe_err *e)
{
	struct store *st = &app->store;
	int rc;
	if ((rc = store_call(st, begin)))
		return err_set(e, rc, NULL, NULL, "the database cannot be written");
	if ((rc = store_call(st, refresh_revoke_user, p->user_id, app->now_ms(), revoked)) ||
	    (rc = store_call(st, user_bump_token_version, p->user_id)) || (rc = store_call(st, commit))) {
		store_call(st, rollback);
		return err_set(e, rc, NULL, NULL, "store error");
	}
	cache_forget_user(app, p->user_id, p->workspace_id);
	auth_sessions_revoked(app, p->user_id, p->workspace_id);
	log_info("auth: logout-all user=%lld revoked=%d", (long long)p->user_id, *revoked);
	return 0;
}

/* ---- the caches behind authentication ---- */

/* What a token is checked against: the account's current state. */
struct account_state {
	int64_t user_id; /* 0 = empty slot */
	int64_t workspace_id, token_version;
	int64_t loaded_ms;
	int active; /* status Active */
	char role[8];
};

struct auth_cache {
	struct jwt_cache *tokens;
	size_t naccounts;
	struct account_state *accounts; /* direct-mapped by user id */
};

struct auth_cache *auth_cache_new(int entries)
{
	if (entries <= 0)
		return NULL;
	struct auth_cache *c = xcalloc(1, sizeof *c);
	c->tokens = jwt_cache_new((size_t)entries);
	c->naccounts = (size_t)entries;
	c->accounts = xcalloc(c->naccounts, sizeof *c->accounts);
	if (!c->tokens) {
		auth_cache_free(c);
		return NULL;
	}
	return c;
}

void auth_cache_free(struct auth_cache *c)
{
	if (!c)
		return;
	jwt_cache_free(c->tokens);
	free(c->accounts);
	free(c);
}

static struct account_state *account_slot(struct auth_cache *c, int64_t user_id)
{
	return &c->accounts[(uint64_t)user_id % c->naccounts];
}

void auth_forget_user(struct app *app, int64_t user_id)
{
	struct auth_cache *c = app->auth_cache;
	if (!c)
		return;
	struct account_state *a = account_slot(c, user_id);
	if (a->user_id == user_id)
		memset(a, 0, sizeof *a);
}

void auth_forget_all(struct app *app)
{
	struct auth_cache *c = app->auth_cache;
	if (c)
		memset(c->accounts, 0, c->naccounts * sizeof *c->accounts);
}

void auth_cache_stats(const struct app *app, uint64_t *hits, uint64_t *misses)
{
	jwt_cache_stats(app->auth_cache ? app->auth_cache->tokens : NULL, hits, misses);
}

/* The current state of account id into *a: from the cache while it is
 * younger than TTL_USER and not forgotten, else read through cached_user
 * (and kept). 0, or the store's code (FE_ENOTFOUND: no such account). */
static int account_state(struct app *app, int64_t id, struct account_state *a)
{
	struct auth_cache *c = app->auth_cache;
	int64_t now = app->now_ms();
	struct account_state *slot = c && id > 0 ? account_slot(c, id) : NULL;
	if (slot && slot->user_id == id && now >= slot->loaded_ms &&
	    now - slot->loaded_ms < TTL_USER * 1000LL) {
		*a = *slot;
		return 0;
	}
	struct user u;
	int rc = cached_user(app, id, &u);
	if (rc)
		return rc;
	memset(a, 0, sizeof *a);
	a->user_id = u.id;
	a->workspace_id = u.workspace_id;
	a->token_version = u.token_version;
	a->loaded_ms = now;
	a->active = !strcmp(u.status, "Active");
	snprintf(a->role, sizeof a->role, "%s", u.role);
	if (slot && u.id == id)
		*slot = *a;
	return 0;
}

/* A token of audience aud, and the account behind it. */
static int authenticate(struct app *app, const char *aud, const char *token, size_t len, struct principal *p,
                        struct fe_err *e)
{
	struct jwt_claims c;
	int rc = jwt_verify_cached(app->auth_cache ? app->auth_cache->tokens : NULL, token, len, app->jwt_pk,
	                           JWT_ISS, aud, app->now_ms() / 1000, &c);
	if (rc == JWT_EEXPIRED)
		return err_set(e, FE_EAUTH, "TOKEN_EXPIRED", NULL, "the access token has expired");
	if (rc)
		return err_set(e, FE_EAUTH, "INVALID_TOKEN", NULL, "the access token is not valid");
	struct account_state a;
	if (account_state(app, c.sub, &a) || a.workspace_id != c.workspace_id ||
	    a.token_version != c.token_version || !a.active)
		return err_set(e, FE_EAUTH, "INVALID_TOKEN", NULL, "the access token has been revoked");
	p->user_id = a.user_id;
	p->workspace_id = a.workspace_id;
	memcpy(p->role, a.role, sizeof p->role);
	p->token_exp = c.exp;
	p->token_version = c.token_version;
	return 0;
}

int auth_authenticate(struct app *app, const char *token, size_t len, struct principal *p, struct fe_err *e)
{
	return authenticate(app, JWT_AUD, token, len, p, e);
}

int auth_authenticate_file(struct app *app, const char *token, size_t len, struct principal *p,
                           struct fe_err *e)
{
	return authenticate(app, JWT_AUD_FILES, token, len, p, e);
}

void auth_sessions_revoked(struct app *app, int64_t user_id, int64_t workspace_id)
{
	struct user u;
	struct event ev = {.type = EV_SESSIONS_REVOKED,
	                   .workspace_id = workspace_id,
	                   .user_id = user_id,
	                   .actor_id = user_id,
	                   .token_version = INT64_MAX};
	/* the version now current; when it cannot be read, every stream of the
	 * user is closed (the safe side) */
	if (!cached_user(app, user_id, &u))
		ev.token_version = u.token_version;
	bus_publish(&app->bus, &ev);
}

int auth_init(void)
{
	char pw[33];
	random_b64url(24, pw, sizeof pw);
	return pw_hash(pw, dummy_hash);
}
