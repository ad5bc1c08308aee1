/* tests/unit/test_workspace: the workspace and user use cases
 * (core/workspace) on a real app: SQLite in memory, worker threads, keys,
 * rate limiters and a fake clock. Accounts are made through core/auth where
 * tokens matter, directly in the store otherwise. */
#include "testapp.h"
#include "core/auth.h"
#include "core/workspace.h"

#define HOUR_MS (3600LL * 1000)

/* ---- harness (testapp.h) ---- */

static int setup(void **state)
{
	return app_setup(&(struct app_opts){.workers = 2});
}

static int teardown(void **state)
{
	return app_teardown();
}

static int signup(const char *email, const char *pw, const char *name, const char *invite, struct outcome *o)
{
	struct signup_in in = {email, pw, name, NULL, invite, "127.0.0.1"};
	memset(o, 0, sizeof *o);
	int rc = auth_signup(&app, &in, on_done, o, &o->e);
	if (rc) {
		o->rc = rc;
		return rc;
	}
	wait_done(o);
	return o->rc;
}

/* Seeds a user ("Name of <email>") and returns its principal; an owner
 * becomes its workspace's owner. */
static struct principal add_account(int64_t ws, const char *email, const char *role)
{
	char fullname[sizeof((struct user *)0)->fullname];
	snprintf(fullname, sizeof fullname, "Name of %s", email);
	struct principal p = add_user(ws, email, fullname, role);
	if (!strcmp(role, "owner"))
		assert_int_equal(app.store.ops->workspace_set_owner(app.store.impl, ws, p.user_id), 0);
	return p;
}

static int64_t wsA, wsB;
static struct principal owner, admin, admin2, member, member2, ownerB, memberB;

static void seed(void)
{
	wsA = add_workspace("Acme");
	wsB = add_workspace("Bravo");
	owner = add_account(wsA, "owner@acme.io", "owner");
	admin = add_account(wsA, "admin@acme.io", "admin");
	admin2 = add_account(wsA, "admin2@acme.io", "admin");
	member = add_account(wsA, "member@acme.io", "member");
	member2 = add_account(wsA, "member2@acme.io", "member");
	ownerB = add_account(wsB, "owner@bravo.io", "owner");
	memberB = add_account(wsB, "member@bravo.io", "member");
}

static struct user stored(int64_t id)
{
	struct user u = {0};
	assert_int_equal(app.store.ops->user_get(app.store.impl, id, &u), 0);
	return u;
}

/* ---- workspace ---- */

static void test_ws_get(void **state)
{
	seed();
	struct workspace w;
	struct fe_err e = {0};
	memset(&w, 0, sizeof w);
	assert_int_equal(workspace_get(&app, &member, &w, &e), 0);
	assert_int_equal(w.id, wsA);
	assert_string_equal(w.name, "Acme");
	assert_int_equal(w.owner_id, owner.user_id);
	assert_int_equal(w.member_count, 5);
	assert_int_equal(workspace_get(&app, &memberB, &w, &e), 0);
	assert_int_equal(w.id, wsB);
	assert_int_equal(w.member_count, 2);
	struct principal ghost = {.user_id = 999, .workspace_id = 999, .role = "member"};
	assert_int_equal(workspace_get(&app, &ghost, &w, &e), FE_ENOTFOUND);
}

static void test_ws_is_admin(void **state)
{
	seed();
	assert_true(workspace_is_admin(&owner));
	assert_true(workspace_is_admin(&admin));
	assert_false(workspace_is_admin(&member));
}

static void test_ws_rename(void **state)
{
	seed();
	struct workspace w;
	struct fe_err e = {0};
	memset(&w, 0, sizeof w);
	assert_int_equal(workspace_rename(&app, &owner, "Acme Corp", &w, &e), 0);
	assert_string_equal(w.name, "Acme Corp");
	assert_int_equal(w.id, wsA);
	assert_int_equal(workspace_rename(&app, &admin, "Acme Inc", &w, &e), 0);
	assert_string_equal(w.name, "Acme Inc");

	memset(&e, 0, sizeof e);
	assert_int_equal(workspace_rename(&app, &member, "Mine Now", &w, &e), FE_EFORBIDDEN);
	assert_int_equal(e.rc, FE_EFORBIDDEN);

	assert_int_equal(workspace_rename(&app, &owner, "", &w, &e), FE_EINVAL);
	assert_string_equal(e.field, "name");
	char n51[52];
	memset(n51, 'x', 51);
	n51[51] = 0;
	assert_int_equal(workspace_rename(&app, &owner, n51, &w, &e), FE_EINVAL);
	assert_string_equal(e.field, "name");
	assert_int_equal(workspace_rename(&app, &owner, "Line\nBreak", &w, &e), FE_EINVAL);

	memset(&e, 0, sizeof e);
	assert_int_equal(workspace_rename(&app, &owner, "bRAVO", &w, &e), FE_ECONFLICT);
	assert_non_null(e.code);
	assert_string_equal(e.code, "WORKSPACE_EXISTS");

	struct workspace now = {0};
	assert_int_equal(workspace_get(&app, &member, &now, &e), 0);
	assert_string_equal(now.name, "Acme Inc");
}

/* ---- users ---- */

static void test_ws_user_scoping(void **state)
{
	seed();
	struct user u;
	struct fe_err e = {0};
	memset(&u, 0, sizeof u);
	assert_int_equal(workspace_user(&app, &member, admin.user_id, &u, &e), 0);
	assert_int_equal(u.id, admin.user_id);
	assert_string_equal(u.email, "admin@acme.io");
	assert_int_equal(workspace_user(&app, &member, memberB.user_id, &u, &e), FE_ENOTFOUND);
	assert_string_equal(e.code, "NOT_FOUND");
	assert_int_equal(workspace_user(&app, &ownerB, owner.user_id, &u, &e), FE_ENOTFOUND);
	assert_int_equal(workspace_user(&app, &owner, 4242, &u, &e), FE_ENOTFOUND);
}

static void test_ws_users_scoping(void **state)
{
	seed();
	struct user *list = NULL;
	size_t n = 0;
	struct fe_err e = {0};
	assert_int_equal(workspace_users(&app, &member, &list, &n, &e), 0);
	assert_int_equal(n, 5);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(list[i].workspace_id, wsA);
	free(list);
	assert_int_equal(workspace_users(&app, &memberB, &list, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_int_equal(list[0].id, ownerB.user_id);
	assert_int_equal(list[1].id, memberB.user_id);
	free(list);
}

/* ---- profile ---- */

static void test_profile_update(void **state)
{
	seed();
	struct user u;
	struct fe_err e = {0};
	struct profile_in in = {0};
	in.fullname = "Mia Member";
	in.title = "Engineer";
	in.department = "R&D";
	in.avatar_url = "https://cdn.example.com/mia.png";
	in.bio = "First line\nSecond line\twith a tab";
	in.timezone = "Europe/Paris";
	in.language = "fr";
	clock_set(T0 + 5000);
	assert_int_equal(workspace_update_profile(&app, &member, &in, &u, &e), 0);
	assert_string_equal(u.fullname, "Mia Member");
	struct user s = stored(member.user_id);
	assert_string_equal(s.fullname, "Mia Member");
	assert_string_equal(s.title, "Engineer");
	assert_string_equal(s.department, "R&D");
	assert_string_equal(s.avatar_url, "https://cdn.example.com/mia.png");
	assert_string_equal(s.bio, "First line\nSecond line\twith a tab");
	assert_string_equal(s.timezone, "Europe/Paris");
	assert_string_equal(s.language, "fr");
	assert_int_equal(s.updated_at, T0 + 5000);

	/* fields left NULL keep their value; "" clears an optional one */
	struct profile_in in2 = {0};
	in2.title = "";
	assert_int_equal(workspace_update_profile(&app, &member, &in2, &u, &e), 0);
	s = stored(member.user_id);
	assert_string_equal(s.fullname, "Mia Member");
	assert_string_equal(s.title, "");
	assert_string_equal(s.department, "R&D");
	assert_string_equal(s.avatar_url, "https://cdn.example.com/mia.png");
	assert_string_equal(s.bio, "First line\nSecond line\twith a tab");

	/* the caller's own profile only */
	s = stored(admin.user_id);
	assert_string_equal(s.title, "");
}

static void expect_profile_refused(const struct profile_in *in, const char *field)
{
	struct user u;
	struct fe_err e = {0};
	struct user before = stored(member.user_id);
	assert_int_equal(workspace_update_profile(&app, &member, in, &u, &e), FE_EINVAL);
	assert_non_null(e.field);
	assert_string_equal(e.field, field);
	struct user after = stored(member.user_id);
	assert_string_equal(after.fullname, before.fullname);
	assert_string_equal(after.title, before.title);
	assert_string_equal(after.avatar_url, before.avatar_url);
	assert_string_equal(after.bio, before.bio);
	assert_int_equal(after.updated_at, before.updated_at);
}

static void test_profile_validation(void **state)
{
	seed();
	char n51[52], n50[51], b1001[1002];
	memset(n51, 'n', 51);
	n51[51] = 0;
	memset(n50, 'n', 50);
	n50[50] = 0;
	memset(b1001, 'b', 1001);
	b1001[1001] = 0;

	struct profile_in in = {0};
	in.fullname = n51;
	expect_profile_refused(&in, "fullname");
	in = (struct profile_in){0};
	in.fullname = "";
	expect_profile_refused(&in, "fullname");
	in = (struct profile_in){0};
	in.title = "New\x01Title";
	in.fullname = "Fine Name"; /* nothing is saved when one field fails */
	expect_profile_refused(&in, "title");
	in = (struct profile_in){0};
	in.title = "Multi\nline";
	expect_profile_refused(&in, "title");
	in = (struct profile_in){0};
	in.avatar_url = "javascript:alert(1)";
	expect_profile_refused(&in, "avatar_url");
	in = (struct profile_in){0};
	in.avatar_url = "data:image/png;base64,AAAA";
	expect_profile_refused(&in, "avatar_url");
	in = (struct profile_in){0};
	in.avatar_url =
	    "/api/files/abc.png"; /* a file url names a picture of one's own: tests/unit/test_file.c */
	expect_profile_refused(&in, "avatar_url");
	in = (struct profile_in){0};
	in.bio = b1001;
	expect_profile_refused(&in, "bio");
	in = (struct profile_in){0};
	in.bio = "bell\x07";
	expect_profile_refused(&in, "bio");
	in = (struct profile_in){0};
	in.department = "C1\xc2\x85"
	                "control";
	expect_profile_refused(&in, "department");

	/* the limits themselves pass */
	struct user u;
	struct fe_err e = {0};
	in = (struct profile_in){0};
	in.fullname = n50;
	in.bio = "line\nline";
	in.avatar_url = "http://example.com/a.png";
	assert_int_equal(workspace_update_profile(&app, &member, &in, &u, &e), 0);
	assert_string_equal(stored(member.user_id).fullname, n50);
}

/* ---- invites ---- */

static void test_invites(void **state)
{
	seed();
	struct invite inv, inv2;
	struct fe_err e = {0};
	memset(&inv, 0, sizeof inv);
	assert_int_equal(workspace_invite_create(&app, &owner, 5, 24, &inv, &e), 0);
	assert_true(strlen(inv.code) >= 8);
	assert_int_equal(inv.workspace_id, wsA);
	assert_int_equal(inv.created_by, owner.user_id);
	assert_int_equal(inv.max_uses, 5);
	assert_int_equal(inv.created_at, T0);
	assert_int_equal(inv.expires_at, T0 + 24 * HOUR_MS);
	assert_int_equal(workspace_invite_create(&app, &admin, 1, 1, &inv2, &e), 0);
	assert_string_not_equal(inv.code, inv2.code);

	struct invite *list = NULL;
	size_t n = 0;
	assert_int_equal(workspace_invites(&app, &admin, &list, &n, &e), 0);
	assert_int_equal(n, 2);
	free(list);
	/* not visible from the other workspace */
	assert_int_equal(workspace_invites(&app, &ownerB, &list, &n, &e), 0);
	assert_int_equal(n, 0);
	free(list);

	/* after an hour inv2 has expired */
	clock_set(T0 + HOUR_MS);
	assert_int_equal(workspace_invites(&app, &owner, &list, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].code, inv.code);
	free(list);

	/* another workspace cannot revoke it */
	assert_int_equal(workspace_invite_revoke(&app, &ownerB, inv.code, &e), FE_ENOTFOUND);
	assert_int_equal(workspace_invite_revoke(&app, &admin, inv.code, &e), 0);
	assert_int_equal(workspace_invites(&app, &owner, &list, &n, &e), 0);
	assert_int_equal(n, 0);
	free(list);
	assert_int_equal(workspace_invite_revoke(&app, &admin, inv.code, &e), FE_ENOTFOUND);
	assert_int_equal(workspace_invite_revoke(&app, &admin, "no-such-code", &e), FE_ENOTFOUND);
}

static void test_invites_member_forbidden(void **state)
{
	seed();
	struct invite inv;
	struct fe_err e = {0};
	assert_int_equal(workspace_invite_create(&app, &member, 5, 24, &inv, &e), FE_EFORBIDDEN);
	struct invite *list = NULL;
	size_t n = 0;
	assert_int_equal(workspace_invites(&app, &member, &list, &n, &e), FE_EFORBIDDEN);
	assert_int_equal(workspace_invite_create(&app, &owner, 5, 24, &inv, &e), 0);
	assert_int_equal(workspace_invite_revoke(&app, &member, inv.code, &e), FE_EFORBIDDEN);
	assert_int_equal(workspace_invites(&app, &owner, &list, &n, &e), 0);
	assert_int_equal(n, 1); /* still active */
	free(list);
}

static void test_invites_ranges(void **state)
{
	seed();
	struct invite inv;
	struct fe_err e = {0};
	assert_int_equal(workspace_invite_create(&app, &owner, 0, 24, &inv, &e), FE_EINVAL);
	assert_string_equal(e.field, "max_uses");
	assert_int_equal(workspace_invite_create(&app, &owner, 1001, 24, &inv, &e), FE_EINVAL);
	assert_string_equal(e.field, "max_uses");
	assert_int_equal(workspace_invite_create(&app, &owner, 5, 0, &inv, &e), FE_EINVAL);
	assert_string_equal(e.field, "expires_in_hours");
	assert_int_equal(workspace_invite_create(&app, &owner, 5, 721, &inv, &e), FE_EINVAL);
	assert_string_equal(e.field, "expires_in_hours");
	struct invite *list = NULL;
	size_t n = 9;
	assert_int_equal(workspace_invites(&app, &owner, &list, &n, &e), 0);
	assert_int_equal(n, 0);
	free(list);
	/* the bounds themselves */
	assert_int_equal(workspace_invite_create(&app, &owner, 1000, 720, &inv, &e), 0);
	assert_int_equal(inv.expires_at, T0 + 720 * HOUR_MS);
	assert_int_equal(workspace_invite_create(&app, &owner, 1, 1, &inv, &e), 0);
}

static void test_invite_used_by_signup(void **state)
{
	/* an invite made here lets a new account join the workspace */
	struct outcome o1, o2;
	assert_int_equal(signup("first@example.com", "password12", "First", NULL, &o1), 0);
	struct principal p = {.user_id = o1.r.user.id, .workspace_id = o1.r.workspace.id, .role = "owner"};
	struct invite inv;
	struct fe_err e = {0};
	assert_int_equal(workspace_invite_create(&app, &p, 1, 24, &inv, &e), 0);
	assert_int_equal(signup("second@example.com", "password12", "Second", inv.code, &o2), 0);
	assert_int_equal(o2.r.user.workspace_id, p.workspace_id);
	struct invite *list = NULL;
	size_t n = 9;
	assert_int_equal(workspace_invites(&app, &p, &list, &n, &e), 0);
	assert_int_equal(n, 0); /* used up */
	free(list);
}

/* ---- roles and status ---- */

static void test_set_user_rules(void **state)
{
	seed();
	struct user u;
	struct fe_err e = {0};
	/* members manage nobody */
	assert_int_equal(workspace_set_user(&app, &member, member2.user_id, NULL, "Suspended", &u, &e),
	                 FE_EFORBIDDEN);
	/* not oneself */
	assert_int_equal(workspace_set_user(&app, &owner, owner.user_id, "member", NULL, &u, &e),
	                 FE_EFORBIDDEN);
	assert_int_equal(workspace_set_user(&app, &admin, admin.user_id, NULL, "Suspended", &u, &e),
	                 FE_EFORBIDDEN);
	/* not the owner */
	assert_int_equal(workspace_set_user(&app, &admin, owner.user_id, NULL, "Suspended", &u, &e),
	                 FE_EFORBIDDEN);
	assert_int_equal(workspace_set_user(&app, &admin, owner.user_id, "member", NULL, &u, &e),
	                 FE_EFORBIDDEN);
	/* an admin neither manages admins nor grants admin */
	assert_int_equal(workspace_set_user(&app, &admin, admin2.user_id, NULL, "Suspended", &u, &e),
	                 FE_EFORBIDDEN);
	assert_int_equal(workspace_set_user(&app, &admin, admin2.user_id, "member", NULL, &u, &e),
	                 FE_EFORBIDDEN);
	assert_int_equal(workspace_set_user(&app, &admin, member.user_id, "admin", NULL, &u, &e),
	                 FE_EFORBIDDEN);
	/* bad values name the field */
	assert_int_equal(workspace_set_user(&app, &owner, member.user_id, "owner", NULL, &u, &e), FE_EINVAL);
	assert_string_equal(e.field, "role");
	assert_int_equal(workspace_set_user(&app, &owner, member.user_id, NULL, "Banned", &u, &e), FE_EINVAL);
	assert_string_equal(e.field, "status");
	/* another workspace's user is not found */
	assert_int_equal(workspace_set_user(&app, &owner, memberB.user_id, NULL, "Suspended", &u, &e),
	                 FE_ENOTFOUND);

	/* nothing changed so far */
	assert_string_equal(stored(owner.user_id).role, "owner");
	assert_string_equal(stored(admin2.user_id).role, "admin");
	assert_string_equal(stored(admin2.user_id).status, "Active");
	assert_string_equal(stored(member.user_id).role, "member");
	assert_string_equal(stored(memberB.user_id).status, "Active");
	assert_int_equal(stored(admin2.user_id).token_version, 0);

	/* what is allowed */
	memset(&u, 0, sizeof u);
	assert_int_equal(workspace_set_user(&app, &owner, member.user_id, "admin", NULL, &u, &e), 0);
	assert_string_equal(u.role, "admin");
	assert_string_equal(stored(member.user_id).role, "admin");
	assert_int_equal(stored(member.user_id).token_version, 0); /* role change only */
	assert_int_equal(workspace_set_user(&app, &owner, admin2.user_id, "member", NULL, &u, &e), 0);
	assert_string_equal(stored(admin2.user_id).role, "member");
	assert_int_equal(workspace_set_user(&app, &admin, member2.user_id, NULL, "Suspended", &u, &e), 0);
	assert_string_equal(u.status, "Suspended");
	assert_string_equal(u.role, "member");
	/* setting a member's role to member is not a change */
	assert_int_equal(workspace_set_user(&app, &admin, member2.user_id, "member", "Active", &u, &e), 0);
	assert_string_equal(stored(member2.user_id).status, "Active");
}

static void test_suspension_revokes_sessions(void **state)
{
	struct outcome o1, o2, o3;
	assert_int_equal(signup("boss@example.com", "password12", "Boss", NULL, &o1), 0);
	struct principal boss = {.user_id = o1.r.user.id, .workspace_id = o1.r.workspace.id, .role = "owner"};
	struct invite inv;
	struct fe_err e = {0};
	assert_int_equal(workspace_invite_create(&app, &boss, 5, 24, &inv, &e), 0);
	assert_int_equal(signup("worker@example.com", "password12", "Worker", inv.code, &o2), 0);
	int64_t wid = o2.r.user.id;
	/* a second session of the worker */
	memset(&o3, 0, sizeof o3);
	assert_int_equal(auth_signin(&app, "worker@example.com", "password12", "127.0.0.1", on_done, &o3, &e),
	                 0);
	wait_done(&o3);
	assert_int_equal(o3.rc, 0);

	struct principal p;
	assert_int_equal(auth_authenticate(&app, o2.r.access_token, strlen(o2.r.access_token), &p, &e), 0);
	int64_t tv = stored(wid).token_version;

	struct user u;
	assert_int_equal(workspace_set_user(&app, &boss, wid, NULL, "Suspended", &u, &e), 0);
	assert_string_equal(u.status, "Suspended");
	struct user s = stored(wid);
	assert_string_equal(s.status, "Suspended");
	assert_int_equal(s.token_version, tv + 1);

	/* every refresh token of the worker is revoked */
	char hash[65];
	struct refresh_token t;
	sha256_hex(o2.r.refresh_token, strlen(o2.r.refresh_token), hash);
	assert_int_equal(app.store.ops->refresh_get(app.store.impl, hash, &t), 0);
	assert_true(t.revoked_at > 0);
	sha256_hex(o3.r.refresh_token, strlen(o3.r.refresh_token), hash);
	assert_int_equal(app.store.ops->refresh_get(app.store.impl, hash, &t), 0);
	assert_true(t.revoked_at > 0);
	/* the boss's are not */
	sha256_hex(o1.r.refresh_token, strlen(o1.r.refresh_token), hash);
	assert_int_equal(app.store.ops->refresh_get(app.store.impl, hash, &t), 0);
	assert_int_equal(t.revoked_at, 0);

	assert_int_equal(auth_authenticate(&app, o2.r.access_token, strlen(o2.r.access_token), &p, &e),
	                 FE_EAUTH);
	assert_int_equal(auth_authenticate(&app, o3.r.access_token, strlen(o3.r.access_token), &p, &e),
	                 FE_EAUTH);
	struct auth_result r;
	assert_int_equal(auth_refresh(&app, o3.r.refresh_token, &r, &e), FE_EAUTH);

	/* suspending again does not bump again; reactivating does not either */
	assert_int_equal(workspace_set_user(&app, &boss, wid, NULL, "Suspended", &u, &e), 0);
	assert_int_equal(stored(wid).token_version, tv + 1);
	assert_int_equal(workspace_set_user(&app, &boss, wid, NULL, "Active", &u, &e), 0);
	assert_string_equal(stored(wid).status, "Active");
	assert_int_equal(stored(wid).token_version, tv + 1);
	/* old tokens stay dead; a new sign-in works */
	assert_int_equal(auth_authenticate(&app, o2.r.access_token, strlen(o2.r.access_token), &p, &e),
	                 FE_EAUTH);
	memset(&o3, 0, sizeof o3);
	assert_int_equal(auth_signin(&app, "worker@example.com", "password12", "127.0.0.1", on_done, &o3, &e),
	                 0);
	wait_done(&o3);
	assert_int_equal(o3.rc, 0);
	assert_int_equal(auth_authenticate(&app, o3.r.access_token, strlen(o3.r.access_token), &p, &e), 0);
	assert_int_equal(p.user_id, wid);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_ws_get),
	    T(test_ws_is_admin),
	    T(test_ws_rename),
	    T(test_ws_user_scoping),
	    T(test_ws_users_scoping),
	    T(test_profile_update),
	    T(test_profile_validation),
	    T(test_invites),
	    T(test_invites_member_forbidden),
	    T(test_invites_ranges),
	    T(test_invite_used_by_signup),
	    T(test_set_user_rules),
	    T(test_suspension_revokes_sessions),
	};
	return cmocka_run_group_tests(tests, auth_group_setup, NULL);
}
