/* tests/unit/test_auth: the account and session use cases (core/auth) on a
 * real app: SQLite in memory, real worker threads for password hashing,
 * Ed25519 keys, rate limiters and a fake clock. */
#include "testapp.h"
#include "core/auth.h"
#include "core/workspace.h"
#include "lib/jwt.h"

#define DAY_MS (86400LL * 1000)

/* ---- harness (testapp.h) ---- */

static int setup(void **state)
{
	return app_setup(&(struct app_opts){.workers = 2});
}

static int teardown(void **state)
{
	return app_teardown();
}

static int setup_cached(void **state)
{
	return app_setup(&(struct app_opts){.workers = 2, .cache = 1});
}

/* Runs a sign-up to its end: the synchronous refusal or the callback's rc. */
static int signup(const char *email, const char *pw, const char *name, const char *ws, const char *invite,
                  struct outcome *o)
{
	struct signup_in in = {email, pw, name, ws, invite, "127.0.0.1"};
	memset(o, 0, sizeof *o);
	int rc = auth_signup(&app, &in, on_done, o, &o->e);
	if (rc) {
		assert_int_equal(o->called, 0);
		o->rc = rc;
		return rc;
	}
	wait_done(o);
	return o->rc;
}

static int signin_from(const char *client, const char *email, const char *pw, struct outcome *o)
{
	memset(o, 0, sizeof *o);
	int rc = auth_signin(&app, email, pw, client, on_done, o, &o->e);
	if (rc) {
		assert_int_equal(o->called, 0);
		o->rc = rc;
		return rc;
	}
	wait_done(o);
	return o->rc;
}

static int signin(const char *email, const char *pw, struct outcome *o)
{
	return signin_from("127.0.0.1", email, pw, o);
}

static int change_password(const struct principal *p, const char *cur, const char *next, struct outcome *o)
{
	memset(o, 0, sizeof *o);
	int rc = auth_change_password(&app, p, cur, next, on_done, o, &o->e);
	if (rc) {
		assert_int_equal(o->called, 0);
		o->rc = rc;
		return rc;
	}
	wait_done(o);
	return o->rc;
}

static int authenticate(const char *token, struct principal *p, struct fe_err *e)
{
	return auth_authenticate(&app, token, strlen(token), p, e);
}

/* The first account: owner of "Default". */
static struct outcome owner;
static void make_owner(void)
{
	assert_int_equal(signup("alice@example.com", "correct horse", "Alice", NULL, NULL, &owner), 0);
}

static void add_invite(const char *code, int64_t ws, int64_t by, int max_uses)
{
	struct invite i = {0};
	snprintf(i.code, sizeof i.code, "%s", code);
	i.workspace_id = ws;
	i.created_by = by;
	i.max_uses = max_uses;
	i.created_at = fake_now;
	i.expires_at = fake_now + 3600 * 1000;
	assert_int_equal(app.store.ops->invite_insert(app.store.impl, &i), 0);
}

static struct outcome o1, o2;

/* ---- sign-up ---- */

static void test_first_signup_creates_default_workspace(void **state)
{
	make_owner();
	assert_int_equal(owner.called, 1);
	assert_true(owner.r.user.id > 0);
	assert_string_equal(owner.r.user.email, "alice@example.com");
	assert_string_equal(owner.r.user.fullname, "Alice");
	assert_string_equal(owner.r.user.role, "owner");
	assert_string_equal(owner.r.user.status, "Active");
	assert_string_equal(owner.r.workspace.name, "Default");
	assert_int_equal(owner.r.workspace.id, owner.r.user.workspace_id);
	assert_int_equal(owner.r.workspace.owner_id, owner.r.user.id);
	assert_int_equal(owner.r.workspace.member_count, 1);
	assert_true(strlen(owner.r.access_token) > 20);
	assert_true(strlen(owner.r.refresh_token) > 20);
	assert_int_equal(owner.r.expires_in, ACCESS_TTL_S);

	/* persisted: owner set, password hashed (not stored in clear) */
	struct workspace w = {0};
	assert_int_equal(app.store.ops->workspace_get(app.store.impl, owner.r.workspace.id, &w), 0);
	assert_int_equal(w.owner_id, owner.r.user.id);
	struct user u = {0};
	assert_int_equal(app.store.ops->user_get(app.store.impl, owner.r.user.id, &u), 0);
	assert_string_equal(u.role, "owner");
	struct credentials c = {0};
	assert_int_equal(app.store.ops->credentials_by_id(app.store.impl, owner.r.user.id, &c), 0);
	assert_int_equal(c.user_id, owner.r.user.id);
	assert_null(strstr(c.password_hash, "correct horse"));
	assert_true(strncmp(c.password_hash, "$argon2id$", 10) == 0);
	assert_string_equal(c.status, "Active");
	assert_int_equal(workers_pending(app.workers), 0);
}

static void test_second_signup_needs_invite(void **state)
{
	make_owner();
	assert_int_equal(signup("bob@example.com", "password12", "Bob", NULL, NULL, &o1), FE_EFORBIDDEN);
	assert_string_equal(o1.e.code, "INVITE_REQUIRED");
	assert_string_equal(o1.e.field, "invite_code");
	/* even with a workspace name while registration is invite-only */
	assert_int_equal(signup("bob@example.com", "password12", "Bob", "Bobs", NULL, &o1), FE_EFORBIDDEN);
	assert_string_equal(o1.e.code, "INVITE_REQUIRED");
	struct user u;
	assert_int_equal(app.store.ops->user_by_email(app.store.impl, "bob@example.com", &u), FE_ENOTFOUND);
}

/* Two first sign-ups on a fresh invite-only appliance, both past the early
 * check before either password hash is made: only the one that commits
 * first becomes an owner; the other is refused when it reaches the store. */
static void test_racing_first_signups_one_owner(void **state)
{
	int needs = -1;
	struct fe_err e = {0};
	assert_int_equal(auth_needs_owner(&app, &needs, &e), 0);
	assert_int_equal(needs, 1);
	struct signup_in a = {"ann@example.com", "password12", "Ann", "Ann's", NULL, "127.0.0.1"};
	struct signup_in b = {"ben@example.com", "password12", "Ben", "Ben's", NULL, "127.0.0.1"};
	memset(&o1, 0, sizeof o1);
	memset(&o2, 0, sizeof o2);
	assert_int_equal(auth_signup(&app, &a, on_done, &o1, &o1.e), 0);
	assert_int_equal(auth_signup(&app, &b, on_done, &o2, &o2.e), 0);
	wait_done(&o1);
	wait_done(&o2);
	assert_int_equal(o1.called + o2.called, 2);
	assert_int_equal((o1.rc == 0) + (o2.rc == 0), 1);
	struct outcome *won = o1.rc ? &o2 : &o1, *lost = o1.rc ? &o1 : &o2;
	assert_string_equal(won->r.user.role, "owner");
	assert_int_equal(lost->rc, FE_EFORBIDDEN);
	assert_string_equal(lost->e.code, "INVITE_REQUIRED");
	int64_t n = 0;
	assert_int_equal(app.store.ops->workspace_count(app.store.impl, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(auth_needs_owner(&app, &needs, &e), 0);
	assert_int_equal(needs, 0);
}

/* The fresh flag is read from the store once, then flips with the first
 * workspace; an invite sign-up or a refused one does not change it. */
static void test_needs_owner_flag(void **state)
{
	int needs = -1;
	struct fe_err e = {0};
	/* a refused first sign-up leaves the appliance fresh */
	assert_int_equal(signup("bad", "password12", "Bad", NULL, NULL, &o1), FE_EINVAL);
	assert_int_equal(auth_needs_owner(&app, &needs, &e), 0);
	assert_int_equal(needs, 1);
	make_owner();
	assert_int_equal(auth_needs_owner(&app, &needs, &e), 0);
	assert_int_equal(needs, 0);
	/* a new app over the same store (a restart) learns it from the store */
	app.setup_state = 0;
	assert_int_equal(auth_needs_owner(&app, &needs, &e), 0);
	assert_int_equal(needs, 0);
}

static void test_open_registration_new_workspace(void **state)
{
	make_owner();
	cfg.registration_open = 1;
	assert_int_equal(signup("bob@example.com", "password12", "Bob", "Beta", NULL, &o1), 0);
	assert_string_equal(o1.r.workspace.name, "Beta");
	assert_true(o1.r.workspace.id != owner.r.workspace.id);
	assert_string_equal(o1.r.user.role, "owner");
	assert_int_equal(o1.r.workspace.owner_id, o1.r.user.id);
	assert_int_equal(o1.r.workspace.member_count, 1);

	/* without a name once a workspace exists: a new one named after the
	 * person (issue 12), made unique, never an existing one */
	assert_int_equal(signup("carol@example.com", "password12", "Carol", NULL, NULL, &o2), 0);
	assert_string_equal(o2.r.workspace.name, "Carol's workspace");
	assert_string_equal(o2.r.user.role, "owner");
	assert_int_equal(signup("carol2@example.com", "password12", "Carol", NULL, NULL, &o2), 0);
	assert_string_equal(o2.r.workspace.name, "Carol's workspace 2");
	assert_int_equal(o2.r.workspace.member_count, 1);
	int64_t n = 0;
	assert_int_equal(app.store.ops->workspace_count(app.store.impl, &n), 0);
	assert_int_equal(n, 4);
}

static void test_duplicate_workspace_name(void **state)
{
	make_owner();
	cfg.registration_open = 1;
	assert_int_equal(signup("bob@example.com", "password12", "Bob", "Beta", NULL, &o1), 0);
	assert_int_equal(signup("carol@example.com", "password12", "Carol", "bETA", NULL, &o2), FE_ECONFLICT);
	assert_non_null(o2.e.code);
	assert_string_equal(o2.e.code, "WORKSPACE_EXISTS");
	/* nothing half-made: no user, no extra workspace */
	struct user u;
	assert_int_equal(app.store.ops->user_by_email(app.store.impl, "carol@example.com", &u), FE_ENOTFOUND);
	int64_t n = 0;
	assert_int_equal(app.store.ops->workspace_count(app.store.impl, &n), 0);
	assert_int_equal(n, 2);
	/* "Default" (the first workspace) is taken too */
	assert_int_equal(signup("dave@example.com", "password12", "Dave", "default", NULL, &o2),
	                 FE_ECONFLICT);
	assert_string_equal(o2.e.code, "WORKSPACE_EXISTS");
}

static void test_invite_signup_joins_as_member(void **state)
{
	make_owner();
	int64_t ws = owner.r.workspace.id;
	add_invite("JOINME", ws, owner.r.user.id, 2);
	assert_int_equal(signup("bob@example.com", "password12", "Bob", NULL, "JOINME", &o1), 0);
	assert_int_equal(o1.r.user.workspace_id, ws);
	assert_string_equal(o1.r.user.role, "member");
	assert_int_equal(o1.r.workspace.id, ws);
	assert_int_equal(o1.r.workspace.member_count, 2);
	struct invite i = {0};
	assert_int_equal(app.store.ops->invite_get(app.store.impl, "JOINME", &i), 0);
	assert_int_equal(i.uses, 1);

	assert_int_equal(signup("carol@example.com", "password12", "Carol", NULL, "JOINME", &o2), 0);
	assert_int_equal(app.store.ops->invite_get(app.store.impl, "JOINME", &i), 0);
	assert_int_equal(i.uses, 2);
	/* used up */
	assert_int_equal(signup("dave@example.com", "password12", "Dave", NULL, "JOINME", &o2), FE_EINVAL);
	assert_string_equal(o2.e.code, "INVALID_INVITE");
	/* unknown */
	assert_int_equal(signup("dave@example.com", "password12", "Dave", NULL, "NOSUCH", &o2), FE_EINVAL);
	assert_string_equal(o2.e.code, "INVALID_INVITE");
	assert_string_equal(o2.e.field, "invite_code");
	int64_t n = 0;
	assert_int_equal(app.store.ops->workspace_count(app.store.impl, &n), 0);
	assert_int_equal(n, 1);
}

static void test_revoked_or_expired_invite(void **state)
{
	make_owner();
	int64_t ws = owner.r.workspace.id;
	add_invite("REVOKED", ws, owner.r.user.id, 5);
	add_invite("SOONGONE", ws, owner.r.user.id, 5);
	assert_int_equal(app.store.ops->invite_revoke(app.store.impl, ws, "REVOKED", fake_now), 0);
	assert_int_equal(signup("bob@example.com", "password12", "Bob", NULL, "REVOKED", &o1), FE_EINVAL);
	assert_string_equal(o1.e.code, "INVALID_INVITE");
	clock_advance(3600 * 1000); /* expires_at == now */
	assert_int_equal(signup("bob@example.com", "password12", "Bob", NULL, "SOONGONE", &o1), FE_EINVAL);
	assert_string_equal(o1.e.code, "INVALID_INVITE");
}

static void test_duplicate_email(void **state)
{
	make_owner();
	add_invite("JOINME", owner.r.workspace.id, owner.r.user.id, 5);
	assert_int_equal(signup("ALICE@Example.com", "password12", "Alice 2", NULL, "JOINME", &o1),
	                 FE_ECONFLICT);
	assert_string_equal(o1.e.code, "USER_EXISTS");
	assert_string_equal(o1.e.field, "email");
	struct invite i = {0};
	assert_int_equal(app.store.ops->invite_get(app.store.impl, "JOINME", &i), 0);
	assert_int_equal(i.uses, 0);
}

static void expect_invalid(const char *email, const char *pw, const char *name, const char *ws,
                           const char *field)
{
	struct outcome o;
	assert_int_equal(signup(email, pw, name, ws, NULL, &o), FE_EINVAL);
	assert_int_equal(o.e.rc, FE_EINVAL);
	assert_non_null(o.e.field);
	assert_string_equal(o.e.field, field);
}

static void test_validation_names_field(void **state)
{
	char p129[130], n51[52], p128[129], n50[101];
	memset(p129, 'p', 129);
	p129[129] = 0;
	memset(p128, 'p', 128);
	p128[128] = 0;
	memset(n51, 'n', 51);
	n51[51] = 0;
	expect_invalid("not-an-email", "password12", "X", NULL, "email");
	expect_invalid("a@b", "password12", "X", NULL, "email");
	expect_invalid("a b@example.com", "password12", "X", NULL, "email");
	expect_invalid("@example.com", "password12", "X", NULL, "email");
	expect_invalid("a@example.com", "pass123", "X", NULL, "password");
	expect_invalid("a@example.com", p129, "X", NULL, "password");
	/* characters, not bytes: seven two-byte characters are too short */
	expect_invalid("a@example.com", "ééééééé", "X", NULL, "password");
	expect_invalid("a@example.com", "password12", "", NULL, "fullname");
	expect_invalid("a@example.com", "password12", n51, NULL, "fullname");
	expect_invalid("a@example.com", "password12", "Tab\tName", NULL, "fullname");
	expect_invalid("a@example.com", "password12", "X", "", "workspace_name");
	expect_invalid("a@example.com", "password12", "X", n51, "workspace_name");
	int64_t n = -1;
	assert_int_equal(app.store.ops->workspace_count(app.store.impl, &n), 0);
	assert_int_equal(n, 0);

	/* the limits themselves are accepted: 128-character password, 50
	 * two-byte characters of name */
	for (int i = 0; i < 50; i++)
		memcpy(n50 + 2 * i, "é", 2);
	n50[100] = 0;
	assert_int_equal(signup("a@example.com", p128, n50, NULL, NULL, &o1), 0);
	assert_string_equal(o1.r.user.fullname, n50);
	assert_int_equal(signin("a@example.com", p128, &o2), 0);
}

/* ---- sign-in and tokens ---- */

static void test_signin(void **state)
{
	make_owner();
	assert_int_equal(signin("alice@example.com", "correct horse", &o1), 0);
	assert_int_equal(o1.r.user.id, owner.r.user.id);
	assert_int_equal(o1.r.workspace.id, owner.r.workspace.id);
	assert_true(strlen(o1.r.access_token) > 20);
	assert_true(strlen(o1.r.refresh_token) > 20);
	assert_string_not_equal(o1.r.refresh_token, owner.r.refresh_token);
	/* email in another case */
	assert_int_equal(signin("Alice@EXAMPLE.com", "correct horse", &o2), 0);
	assert_int_equal(o2.r.user.id, owner.r.user.id);
}

static void test_signin_wrong_password_unknown_email(void **state)
{
	make_owner();
	assert_int_equal(signin("alice@example.com", "wrong horse", &o1), FE_EAUTH);
	assert_int_equal(o1.called, 1); /* refused after the hash check, not before */
	assert_string_equal(o1.e.code, "INVALID_CREDENTIALS");
	assert_int_equal(signin("nobody@example.com", "correct horse", &o2), FE_EAUTH);
	assert_int_equal(o2.called, 1);
	assert_string_equal(o2.e.code, "INVALID_CREDENTIALS");
	/* same message either way */
	assert_string_equal(o1.e.message, o2.e.message);
	assert_int_equal(signin("alice@example.com", "", &o1), FE_EAUTH);
	assert_string_equal(o1.e.code, "INVALID_CREDENTIALS");
}

static void test_signin_suspended(void **state)
{
	make_owner();
	add_invite("JOINME", owner.r.workspace.id, owner.r.user.id, 5);
	assert_int_equal(signup("bob@example.com", "password12", "Bob", NULL, "JOINME", &o1), 0);
	assert_int_equal(
	    app.store.ops->user_set_role_status(app.store.impl, o1.r.user.id, "member", "Suspended"), 0);
	assert_int_equal(signin("bob@example.com", "password12", &o2), FE_EFORBIDDEN);
	assert_string_equal(o2.e.code, "ACCOUNT_SUSPENDED");
	struct principal p;
	struct fe_err e = {0};
	assert_int_equal(authenticate(o1.r.access_token, &p, &e), FE_EAUTH);
	struct auth_result r;
	assert_int_equal(auth_refresh(&app, o1.r.refresh_token, &r, &e), FE_EFORBIDDEN);
	assert_string_equal(e.code, "ACCOUNT_SUSPENDED");
}

static void test_authenticate(void **state)
{
	make_owner();
	struct principal p;
	memset(&p, 0, sizeof p);
	struct fe_err e = {0};
	assert_int_equal(authenticate(owner.r.access_token, &p, &e), 0);
	assert_int_equal(p.user_id, owner.r.user.id);
	assert_int_equal(p.workspace_id, owner.r.workspace.id);
	assert_string_equal(p.role, "owner");

	/* role comes from the store, not from the token */
	add_invite("JOINME", owner.r.workspace.id, owner.r.user.id, 5);
	assert_int_equal(signup("bob@example.com", "password12", "Bob", NULL, "JOINME", &o1), 0);
	assert_int_equal(app.store.ops->user_set_role_status(app.store.impl, o1.r.user.id, "admin", "Active"),
	                 0);
	assert_int_equal(authenticate(o1.r.access_token, &p, &e), 0);
	assert_int_equal(p.user_id, o1.r.user.id);
	assert_string_equal(p.role, "admin");

	/* garbage and tampering */
	assert_int_equal(authenticate("not.a.token", &p, &e), FE_EAUTH);
	assert_string_equal(e.code, "INVALID_TOKEN");
	char t[1024];
	snprintf(t, sizeof t, "%s", owner.r.access_token);
	size_t n = strlen(t);
	t[n - 3] = t[n - 3] == 'A' ? 'B' : 'A';
	assert_int_equal(authenticate(t, &p, &e), FE_EAUTH);
	assert_string_equal(e.code, "INVALID_TOKEN");
	/* a prefix of a valid token (len is honoured) */
	assert_int_equal(
	    auth_authenticate(&app, owner.r.access_token, strlen(owner.r.access_token) - 1, &p, &e),
	    FE_EAUTH);
}

static void test_refresh_rotation_and_reuse(void **state)
{
	make_owner();
	struct auth_result r1, r2;
	struct fe_err e = {0};
	char old[64];
	snprintf(old, sizeof old, "%s", owner.r.refresh_token);
	clock_advance(1000);
	assert_int_equal(auth_refresh(&app, old, &r1, &e), 0);
	assert_string_not_equal(r1.refresh_token, old);
	assert_int_equal(r1.user.id, owner.r.user.id);
	assert_int_equal(r1.workspace.id, owner.r.workspace.id);
	assert_int_equal(r1.expires_in, ACCESS_TTL_S);
	struct principal p;
	assert_int_equal(authenticate(r1.access_token, &p, &e), 0);
	assert_int_equal(p.user_id, owner.r.user.id);

	/* the old token again: reuse, the whole family is revoked */
	memset(&e, 0, sizeof e);
	assert_int_equal(auth_refresh(&app, old, &r2, &e), FE_EAUTH);
	assert_string_equal(e.code, "TOKEN_REUSED");
	memset(&e, 0, sizeof e);
	assert_int_equal(auth_refresh(&app, r1.refresh_token, &r2, &e), FE_EAUTH);
	assert_non_null(e.code);
	assert_string_equal(e.code, "INVALID_REFRESH_TOKEN");

	/* another sign-in's family is not affected */
	assert_int_equal(signin("alice@example.com", "correct horse", &o1), 0);
	assert_int_equal(auth_refresh(&app, o1.r.refresh_token, &r2, &e), 0);

	/* junk */
	assert_int_equal(auth_refresh(&app, "", &r2, &e), FE_EAUTH);
	assert_string_equal(e.code, "INVALID_REFRESH_TOKEN");
	assert_int_equal(auth_refresh(&app, "nonsense", &r2, &e), FE_EAUTH);
	assert_string_equal(e.code, "INVALID_REFRESH_TOKEN");
}

static void test_logout_one(void **state)
{
	make_owner();
	assert_int_equal(signin("alice@example.com", "correct horse", &o1), 0);
	struct principal p;
	struct fe_err e = {0};
	assert_int_equal(authenticate(owner.r.access_token, &p, &e), 0);
	assert_int_equal(auth_logout(&app, &p, owner.r.refresh_token, &e), 0);
	struct auth_result r;
	assert_int_equal(auth_refresh(&app, owner.r.refresh_token, &r, &e), FE_EAUTH);
	assert_string_equal(e.code, "INVALID_REFRESH_TOKEN");
	/* the other session still works; logging out twice or nothing is fine */
	assert_int_equal(auth_refresh(&app, o1.r.refresh_token, &r, &e), 0);
	assert_int_equal(auth_logout(&app, &p, owner.r.refresh_token, &e), 0);
	assert_int_equal(auth_logout(&app, &p, NULL, &e), 0);
	assert_int_equal(auth_logout(&app, &p, "", &e), 0);
}

static void test_logout_all(void **state)
{
	make_owner();
	assert_int_equal(signin("alice@example.com", "correct horse", &o1), 0);
	struct principal p;
	struct fe_err e = {0};
	assert_int_equal(authenticate(owner.r.access_token, &p, &e), 0);
	int revoked = -1;
	assert_int_equal(auth_logout_all(&app, &p, &revoked, &e), 0);
	assert_int_equal(revoked, 2);
	struct user u = {0};
	assert_int_equal(app.store.ops->user_get(app.store.impl, p.user_id, &u), 0);
	assert_int_equal(u.token_version, 1);

	struct principal q;
	assert_int_equal(authenticate(owner.r.access_token, &q, &e), FE_EAUTH);
	assert_string_equal(e.code, "INVALID_TOKEN");
	assert_int_equal(authenticate(o1.r.access_token, &q, &e), FE_EAUTH);
	struct auth_result r;
	assert_int_equal(auth_refresh(&app, owner.r.refresh_token, &r, &e), FE_EAUTH);
	assert_int_equal(auth_refresh(&app, o1.r.refresh_token, &r, &e), FE_EAUTH);

	/* a new sign-in works again */
	assert_int_equal(signin("alice@example.com", "correct horse", &o2), 0);
	assert_int_equal(authenticate(o2.r.access_token, &q, &e), 0);
	assert_int_equal(q.user_id, p.user_id);
	assert_int_equal(p.token_version, 0);
	assert_int_equal(q.token_version, 1); /* the version the new token was made with */
}

static void test_change_password(void **state)
{
	make_owner();
	struct principal p;
	struct fe_err e = {0};
	assert_int_equal(authenticate(owner.r.access_token, &p, &e), 0);

	assert_int_equal(change_password(&p, "correct horse", "short", &o1), FE_EINVAL);
	assert_string_equal(o1.e.field, "new_password");

	assert_int_equal(change_password(&p, "wrong horse", "battery staple", &o1), FE_EAUTH);
	assert_int_equal(o1.called, 1);
	assert_string_equal(o1.e.code, "INVALID_CREDENTIALS");
	assert_int_equal(authenticate(owner.r.access_token, &p, &e), 0); /* nothing changed */

	assert_int_equal(change_password(&p, "correct horse", "battery staple", &o1), 0);
	assert_true(strlen(o1.r.access_token) > 20);
	struct principal q;
	assert_int_equal(authenticate(o1.r.access_token, &q, &e), 0);
	assert_int_equal(q.user_id, p.user_id);
	assert_int_equal(authenticate(owner.r.access_token, &q, &e), FE_EAUTH);
	struct auth_result r;
	assert_int_equal(auth_refresh(&app, owner.r.refresh_token, &r, &e), FE_EAUTH);
	assert_int_equal(auth_refresh(&app, o1.r.refresh_token, &r, &e), 0);

	assert_int_equal(signin("alice@example.com", "correct horse", &o2), FE_EAUTH);
	assert_string_equal(o2.e.code, "INVALID_CREDENTIALS");
	assert_int_equal(signin("alice@example.com", "battery staple", &o2), 0);
	assert_int_equal(o2.r.user.id, p.user_id);
}

/* ---- rate limits ---- */

static void test_rate_limit_signin_per_client(void **state)
{
	make_owner();
	ratelimit_free(app.rl_ip);
	cfg.login_rate_ip = 3;
	app.rl_ip = ratelimit_new((unsigned)cfg.login_rate_ip, 60000, 1000);
	for (int i = 0; i < 3; i++) {
		int rc = signin_from("10.0.0.9", "alice@example.com", "wrong horse", &o1);
		assert_int_equal(rc, FE_EAUTH);
		assert_int_equal(o1.called, 1);
	}
	/* the fourth is refused up front, even with the right password */
	assert_int_equal(signin_from("10.0.0.9", "alice@example.com", "correct horse", &o1), FE_ERATE);
	assert_int_equal(o1.called, 0);
	assert_string_equal(o1.e.code, "RATE_LIMITED");
	assert_true(o1.e.retry_after >= 1);
	assert_true(o1.e.retry_after <= 61);
	/* another client is not affected */
	assert_int_equal(signin_from("10.0.0.10", "alice@example.com", "correct horse", &o2), 0);
	/* after the window, the first client may try again */
	clock_advance(2 * 60000);
	assert_int_equal(signin_from("10.0.0.9", "alice@example.com", "correct horse", &o2), 0);
}

static void test_rate_limit_signin_per_account(void **state)
{
	make_owner();
	ratelimit_free(app.rl_account);
	app.rl_account = ratelimit_new(2, 60000, 1000);
	char client[32];
	for (int i = 0; i < 2; i++) {
		snprintf(client, sizeof client, "10.0.1.%d", i);
		assert_int_equal(signin_from(client, "alice@example.com", "wrong horse", &o1), FE_EAUTH);
	}
	/* other clients, other case of the same email: the account is limited */
	assert_int_equal(signin_from("10.0.1.99", "ALICE@example.com", "correct horse", &o1), FE_ERATE);
	assert_true(o1.e.retry_after >= 1);
}

/* ---- clock ---- */

static void test_access_token_expiry(void **state)
{
	make_owner();
	struct principal p;
	struct fe_err e = {0};
	int64_t iat = app.now_ms() / 1000;
	clock_advance((ACCESS_TTL_S - 1) * 1000LL);
	assert_int_equal(authenticate(owner.r.access_token, &p, &e), 0);
	/* the principal carries the expiry, so streams need not read the token again */
	assert_int_equal(p.token_exp, iat + ACCESS_TTL_S);
	assert_int_equal(p.token_version, 0);
	struct principal pf;
	assert_int_equal(
	    auth_authenticate_file(&app, owner.r.file_token, strlen(owner.r.file_token), &pf, &e), 0);
	assert_int_equal(pf.token_exp, iat + ACCESS_TTL_S);
	clock_advance(1000);
	assert_int_equal(authenticate(owner.r.access_token, &p, &e), FE_EAUTH);
	assert_string_equal(e.code, "TOKEN_EXPIRED");
	/* the refresh token still gives a fresh access token */
	struct auth_result r;
	assert_int_equal(auth_refresh(&app, owner.r.refresh_token, &r, &e), 0);
	assert_int_equal(authenticate(r.access_token, &p, &e), 0);
}

static void test_refresh_token_expiry(void **state)
{
	make_owner();
	struct auth_result r;
	struct fe_err e = {0};
	clock_advance(15 * DAY_MS);
	assert_int_equal(auth_refresh(&app, owner.r.refresh_token, &r, &e), FE_EAUTH);
	assert_string_equal(e.code, "INVALID_REFRESH_TOKEN");
	assert_non_null(strstr(e.message, "expired"));
}

static void test_refresh_sliding_then_absolute(void **state)
{
	make_owner();
	struct auth_result r1, r2, r3;
	struct fe_err e = {0};
	clock_set(T0 + 13 * DAY_MS);
	assert_int_equal(auth_refresh(&app, owner.r.refresh_token, &r1, &e), 0);
	clock_set(T0 + 26 * DAY_MS);
	assert_int_equal(auth_refresh(&app, r1.refresh_token, &r2, &e), 0);
	/* r2 slides to T0+40d but the family ends at T0+30d */
	clock_set(T0 + 30 * DAY_MS);
	assert_int_equal(auth_refresh(&app, r2.refresh_token, &r3, &e), FE_EAUTH);
	assert_string_equal(e.code, "INVALID_REFRESH_TOKEN");
	clock_set(T0 + 30 * DAY_MS - 1);
	assert_int_equal(auth_refresh(&app, r2.refresh_token, &r3, &e), 0);
}

/* ---- credentials stay in the authentication use case (issue 9, item 5) ---- */

/* The stored hash of user id, read straight from the database file's table
 * (not through the store port, whose user records must not carry it). */
static void stored_hash(int64_t id, char *out, size_t n)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(((struct sq *)app.store.impl)->db,
	                                    "SELECT password_hash FROM users WHERE id = ?", -1, &st, NULL),
	                 SQLITE_OK);
	sqlite3_bind_int64(st, 1, id);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	assert_true(strncmp(out, "$argon2id$", 10) == 0);
}

/* Fails when the len bytes at p hold the hash, or any argon2 hash. */
static void assert_no_hash(const void *p, size_t len, const char *hash, const char *what)
{
	if (memmem(p, len, hash, strlen(hash)) || memmem(p, len, "$argon2", 7))
		fail_msg("%s holds a password hash", what);
}

static void test_hash_never_cached_or_listed(void **state)
{
	char hash[PW_HASH_MAX], key[48], *val;
	size_t len, n;
	make_owner();
	int64_t id = owner.r.user.id;
	stored_hash(id, hash, sizeof hash);
	/* a sign-in, then a request: the account is in the cache as user:{id} */
	assert_int_equal(signin("alice@example.com", "correct horse", &o1), 0);
	assert_no_hash(&o1.r, sizeof o1.r, hash, "the sign-in result");
	struct principal p;
	struct fe_err e = {0};
	assert_int_equal(authenticate(o1.r.access_token, &p, &e), 0);
	snprintf(key, sizeof key, "user:%lld", (long long)id);
	assert_int_equal(app.cache.ops->get(app.cache.impl, key, &val, &len), 0);
	assert_true(len > 0);
	assert_no_hash(val, len, hash, "the cached user");
	free(val);
	struct user u;
	assert_int_equal(cached_user(&app, id, &u), 0);
	assert_no_hash(&u, sizeof u, hash, "a user read through the cache");
	assert_int_equal(app.store.ops->user_by_email(app.store.impl, "alice@example.com", &u), 0);
	assert_no_hash(&u, sizeof u, hash, "a user read by email");
	/* the users list */
	struct user *list;
	assert_int_equal(workspace_users(&app, &p, &list, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_no_hash(list, n * sizeof *list, hash, "the users list");
	free(list);
	/* a password change reads the credentials again: still nothing cached */
	assert_int_equal(change_password(&p, "correct horse", "battery staple", &o2), 0);
	stored_hash(id, hash, sizeof hash);
	assert_int_equal(authenticate(o2.r.access_token, &p, &e), 0);
	assert_int_equal(app.cache.ops->get(app.cache.impl, key, &val, &len), 0);
	assert_no_hash(val, len, hash, "the cached user after a password change");
	free(val);
	assert_no_hash(&o2.r, sizeof o2.r, hash, "the password change result");
}

/* ---- the token cache (--token-cache): a hit skips the signature check,
 * never a revocation rule ---- */

static uint64_t cache_hits(void)
{
	uint64_t h;
	auth_cache_stats(&app, &h, NULL);
	return h;
}

static uint64_t cache_misses(void)
{
	uint64_t m;
	auth_cache_stats(&app, NULL, &m);
	return m;
}

/* Authenticates token twice, the second time from the cache. */
static void authenticate_cached(const char *token, struct principal *p)
{
	struct fe_err e = {0};
	assert_int_equal(authenticate(token, p, &e), 0);
	uint64_t h = cache_hits();
	assert_int_equal(authenticate(token, p, &e), 0);
	assert_int_equal(cache_hits(), h + 1);
}

/* Signs up bob@example.com as a member of the owner's workspace into o1. */
static void make_member(void)
{
	add_invite("JOINME", owner.r.workspace.id, owner.r.user.id, 5);
	assert_int_equal(signup("bob@example.com", "password12", "Bob", NULL, "JOINME", &o1), 0);
}

static void test_token_cache_hit_skips_verification(void **state)
{
	make_owner();
	struct principal p, q;
	struct fe_err e = {0};
	uint64_t h = cache_hits(), m = cache_misses();
	assert_int_equal(authenticate(owner.r.access_token, &p, &e), 0);
	assert_int_equal(cache_misses(), m + 1); /* the signature was verified once */
	assert_int_equal(cache_hits(), h);
	memset(&q, 0, sizeof q);
	assert_int_equal(authenticate(owner.r.access_token, &q, &e), 0);
	assert_int_equal(cache_hits(), h + 1);
	assert_int_equal(cache_misses(), m + 1);
	/* the same principal as the full check gave */
	assert_int_equal(q.user_id, p.user_id);
	assert_int_equal(q.workspace_id, p.workspace_id);
	assert_string_equal(q.role, "owner");
	assert_int_equal(q.token_exp, p.token_exp);
	assert_int_equal(q.token_version, p.token_version);
}

static void test_cached_token_refused_after_logout_all(void **state)
{
	make_owner();
	struct principal p;
	struct fe_err e = {0};
	authenticate_cached(owner.r.access_token, &p);
	int revoked;
	assert_int_equal(auth_logout_all(&app, &p, &revoked, &e), 0);
	uint64_t h = cache_hits();
	assert_int_equal(authenticate(owner.r.access_token, &p, &e), FE_EAUTH);
	assert_string_equal(e.code, "INVALID_TOKEN");
	assert_int_equal(cache_hits(), h + 1); /* found verified, refused by its version */
}

static void test_cached_token_refused_after_password_change(void **state)
{
	make_owner();
	struct principal p;
	struct fe_err e = {0};
	authenticate_cached(owner.r.access_token, &p);
	assert_int_equal(change_password(&p, "correct horse", "battery staple", &o1), 0);
	uint64_t h = cache_hits();
	assert_int_equal(authenticate(owner.r.access_token, &p, &e), FE_EAUTH);
	assert_string_equal(e.code, "INVALID_TOKEN");
	assert_int_equal(cache_hits(), h + 1);
	assert_int_equal(authenticate(o1.r.access_token, &p, &e), 0); /* the new token works */
}

static void test_cached_token_refused_after_suspension(void **state)
{
	make_owner();
	make_member();
	struct principal po, pb;
	struct fe_err e = {0};
	authenticate_cached(owner.r.access_token, &po);
	authenticate_cached(o1.r.access_token, &pb);
	struct user u;
	assert_int_equal(workspace_set_user(&app, &po, pb.user_id, NULL, "Suspended", &u, &e), 0);
	uint64_t h = cache_hits();
	assert_int_equal(authenticate(o1.r.access_token, &pb, &e), FE_EAUTH);
	assert_string_equal(e.code, "INVALID_TOKEN");
	assert_int_equal(cache_hits(), h + 1);
	/* reactivated: the old token stays refused (its version is gone) */
	assert_int_equal(workspace_set_user(&app, &po, u.id, NULL, "Active", &u, &e), 0);
	assert_int_equal(authenticate(o1.r.access_token, &pb, &e), FE_EAUTH);
	/* and the status is read again on every request, not only the version:
	 * a suspension that left the version alone still refuses the token */
	assert_int_equal(signin("bob@example.com", "password12", &o2), 0);
	authenticate_cached(o2.r.access_token, &pb);
	assert_int_equal(
	    app.store.ops->user_set_role_status(app.store.impl, pb.user_id, "member", "Suspended"), 0);
	auth_forget_user(&app, pb.user_id); /* what cache_forget_user does after such a write */
	assert_int_equal(authenticate(o2.r.access_token, &pb, &e), FE_EAUTH);
}

static void test_cached_token_sees_role_change(void **state)
{
	make_owner();
	make_member();
	struct principal po, pb;
	struct fe_err e = {0};
	authenticate_cached(owner.r.access_token, &po);
	authenticate_cached(o1.r.access_token, &pb);
	assert_string_equal(pb.role, "member");
	struct user u;
	assert_int_equal(workspace_set_user(&app, &po, pb.user_id, "admin", NULL, &u, &e), 0);
	uint64_t h = cache_hits();
	assert_int_equal(authenticate(o1.r.access_token, &pb, &e), 0);
	assert_int_equal(cache_hits(), h + 1);
	assert_string_equal(pb.role, "admin"); /* the role is the store's, as of now */
}

static void test_cached_token_expires(void **state)
{
	make_owner();
	struct principal p;
	struct fe_err e = {0};
	authenticate_cached(owner.r.access_token, &p);
	clock_advance((ACCESS_TTL_S - 1) * 1000LL);
	uint64_t h = cache_hits();
	assert_int_equal(authenticate(owner.r.access_token, &p, &e), 0);
	clock_advance(1000); /* now == exp */
	assert_int_equal(authenticate(owner.r.access_token, &p, &e), FE_EAUTH);
	assert_string_equal(e.code, "TOKEN_EXPIRED");
	assert_int_equal(cache_hits(), h + 2);
	/* the expired entry was dropped: with the clock set back, the token is
	 * verified again (a miss), not found */
	clock_advance(-1000);
	uint64_t m = cache_misses();
	assert_int_equal(authenticate(owner.r.access_token, &p, &e), 0);
	assert_int_equal(cache_misses(), m + 1);
}

static void test_forged_token_is_not_a_hit(void **state)
{
	make_owner();
	struct principal p;
	struct fe_err e = {0};
	authenticate_cached(owner.r.access_token, &p);
	uint64_t h = cache_hits(), m = cache_misses();
	char t[1024];
	const char *tok = owner.r.access_token;
	size_t n = strlen(tok);
	/* another signature on the same header and payload */
	snprintf(t, sizeof t, "%s", tok);
	t[n - 5] = t[n - 5] == 'A' ? 'B' : 'A';
	assert_int_equal(authenticate(t, &p, &e), FE_EAUTH);
	assert_string_equal(e.code, "INVALID_TOKEN");
	/* the same claims signed with another key */
	struct jwt_claims c;
	assert_int_equal(jwt_verify(tok, n, app.jwt_pk, JWT_ISS, JWT_AUD, app.now_ms() / 1000, &c), 0);
	unsigned char pk2[32], sk2[64];
	crypto_sign_keypair(pk2, sk2);
	char *other = jwt_sign(&c, sk2);
	assert_non_null(other);
	assert_int_equal(authenticate(other, &p, &e), FE_EAUTH);
	assert_string_equal(e.code, "INVALID_TOKEN");
	free(other);
	/* the cached token with a byte more or less */
	snprintf(t, sizeof t, "%sA", tok);
	assert_int_equal(authenticate(t, &p, &e), FE_EAUTH);
	assert_int_equal(auth_authenticate(&app, tok, n - 1, &p, &e), FE_EAUTH);
	assert_int_equal(cache_hits(), h); /* none of them was found */
	assert_int_equal(cache_misses(), m + 4);
	assert_int_equal(authenticate(tok, &p, &e), 0); /* the real one still is */
	assert_int_equal(cache_hits(), h + 1);
}

static void test_cached_file_token_is_no_access_token(void **state)
{
	make_owner();
	struct principal p;
	struct fe_err e = {0};
	const char *ft = owner.r.file_token, *at = owner.r.access_token;
	assert_int_equal(auth_authenticate_file(&app, ft, strlen(ft), &p, &e), 0);
	assert_int_equal(auth_authenticate_file(&app, ft, strlen(ft), &p, &e), 0);
	authenticate_cached(at, &p);
	uint64_t h = cache_hits();
	assert_int_equal(authenticate(ft, &p, &e), FE_EAUTH); /* audience checked on a hit */
	assert_string_equal(e.code, "INVALID_TOKEN");
	assert_int_equal(auth_authenticate_file(&app, at, strlen(at), &p, &e), FE_EAUTH);
	assert_string_equal(e.code, "INVALID_TOKEN");
	assert_int_equal(cache_hits(), h + 2);
}

/* --token-cache 0: no cache, every request verifies; the rules hold. */
static int setup_no_token_cache(void **state)
{
	if (setup(state))
		return -1;
	auth_cache_free(app.auth_cache);
	app.auth_cache = NULL;
	return 0;
}

static void test_no_token_cache(void **state)
{
	make_owner();
	struct principal p;
	struct fe_err e = {0};
	assert_int_equal(authenticate(owner.r.access_token, &p, &e), 0);
	assert_int_equal(authenticate(owner.r.access_token, &p, &e), 0);
	assert_int_equal(cache_hits(), 0);
	assert_int_equal(cache_misses(), 0);
	int revoked;
	assert_int_equal(auth_logout_all(&app, &p, &revoked, &e), 0);
	assert_int_equal(authenticate(owner.r.access_token, &p, &e), FE_EAUTH);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_first_signup_creates_default_workspace),
	    cmocka_unit_test_setup_teardown(test_hash_never_cached_or_listed, setup_cached, teardown),
	    T(test_second_signup_needs_invite),
	    T(test_racing_first_signups_one_owner),
	    T(test_needs_owner_flag),
	    T(test_open_registration_new_workspace),
	    T(test_duplicate_workspace_name),
	    T(test_invite_signup_joins_as_member),
	    T(test_revoked_or_expired_invite),
	    T(test_duplicate_email),
	    T(test_validation_names_field),
	    T(test_signin),
	    T(test_signin_wrong_password_unknown_email),
	    T(test_signin_suspended),
	    T(test_authenticate),
	    T(test_refresh_rotation_and_reuse),
	    T(test_logout_one),
	    T(test_logout_all),
	    T(test_change_password),
	    T(test_rate_limit_signin_per_client),
	    T(test_rate_limit_signin_per_account),
	    T(test_access_token_expiry),
	    T(test_refresh_token_expiry),
	    T(test_refresh_sliding_then_absolute),
	    T(test_token_cache_hit_skips_verification),
	    T(test_cached_token_refused_after_logout_all),
	    T(test_cached_token_refused_after_password_change),
	    T(test_cached_token_refused_after_suspension),
	    T(test_cached_token_sees_role_change),
	    T(test_cached_token_expires),
	    T(test_forged_token_is_not_a_hit),
	    T(test_cached_file_token_is_no_access_token),
	    cmocka_unit_test_setup_teardown(test_no_token_cache, setup_no_token_cache, teardown),
	    cmocka_unit_test_setup_teardown(test_logout_all, setup_no_token_cache, teardown),
	    cmocka_unit_test_setup_teardown(test_change_password, setup_no_token_cache, teardown),
	};
	return cmocka_run_group_tests(tests, auth_group_setup, NULL);
}
