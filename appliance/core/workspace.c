/* core/workspace: workspace and user use cases. */
#include <stdio.h>
#include <string.h>
#include "core/auth.h"
#include "core/cached.h"
#include "core/file.h"
#include "core/limits.h"
#include "core/workspace.h"
#include "lib/crypto.h"
#include "lib/log.h"
#include "lib/utf8.h"

int workspace_is_admin(const struct principal *p)
{
	return !strcmp(p->role, "owner") || !strcmp(p->role, "admin");
}

static int need_admin(const struct principal *p, struct fe_err *e)
{
	return workspace_is_admin(p)
	           ? 0
	           : err_set(e, FE_EFORBIDDEN, "FORBIDDEN", NULL, "workspace owner or admin only");
}

int workspace_get(struct app *app, const struct principal *p, struct workspace *w, struct fe_err *e)
{
	int rc = cached_workspace(app, p->workspace_id, w);
	return rc ? err_store(e, rc) : 0;
}

/* Checks a text field: chars in [min,max], no control characters. */
static int check_text(const char *s, const char *field, size_t min, size_t max, int newlines,
                      struct fe_err *e)
{
	size_t n = utf8_chars(s);
	if (n < min || n > max || utf8_has_controls(s, newlines))
		return err_set(e, FE_EINVAL, "VALIDATION_ERROR", field,
		               "%s must be %zu..%zu characters without control characters", field, min, max);
	return 0;
}

int workspace_rename(struct app *app, const struct principal *p, const char *name, struct workspace *w,
                     struct fe_err *e)
{
	int rc;
	if ((rc = need_admin(p, e)) || (rc = check_text(name, "name", 1, 50, 0, e)))
		return rc;
	rc = store_call(&app->store, workspace_rename, p->workspace_id, name);
	cache_forget_workspace(app, p->workspace_id);
	if (rc == FE_ECONFLICT)
		return err_set(e, rc, "WORKSPACE_EXISTS", "name", "a workspace with this name exists");
	if (rc)
		return err_store(e, rc);
	log_info("workspace: renamed id=%lld", (long long)p->workspace_id);
	struct event ev = {
	    .type = EV_WORKSPACE_CHANGED, .workspace_id = p->workspace_id, .actor_id = p->user_id};
	bus_publish(&app->bus, &ev); /* the other appliances' caches */
	return workspace_get(app, p, w, e);
}

int workspace_user(struct app *app, const struct principal *p, int64_t id, struct user *u, struct fe_err *e)
{
	int rc = cached_user(app, id, u);
	if (!rc && u->workspace_id != p->workspace_id)
		rc = FE_ENOTFOUND;
	return rc ? err_store(e, rc) : 0;
}

int workspace_users(struct app *app, const struct principal *p, struct user **out, size_t *n,
                    struct fe_err *e)
{
	int rc = store_call(&app->store, users_list, p->workspace_id, out, n);
	return rc ? err_store(e, rc) : 0;
}

/* Applies the picture of in to u (avatar_url already copied and checked as
 * text): a file picture is checked by core/file and its url written from
 * the file row, so the stored url always names the stored file id. */
static int set_picture(struct app *app, const struct principal *p, const struct profile_in *in,
                       struct user *u, struct fe_err *e)
{
	struct file_rec f;
	int rc;
	if (in->has_avatar_file_id && in->avatar_url)
		return err_set(e, FE_EINVAL, "VALIDATION_ERROR", "avatar_file_id",
		               "give avatar_file_id or avatar_url, not both");
	if (in->has_avatar_file_id && !in->avatar_file_id) {
		u->avatar_url[0] = 0;
		u->avatar_file_id = 0;
		return 0;
	}
	if (in->has_avatar_file_id || (in->avatar_url && file_url_like(in->avatar_url))) {
		const char *url = in->has_avatar_file_id ? NULL : in->avatar_url;
		if ((rc = file_avatar(app, p, in->avatar_file_id, url, &f, e)))
			return rc;
		file_url(&f, u->avatar_url, sizeof u->avatar_url);
		u->avatar_file_id = f.id;
		return 0;
	}
	if (!in->avatar_url)
		return 0; /* unchanged */
	const char *a = in->avatar_url;
	if (*a && strncmp(a, "https://", 8) && strncmp(a, "http://", 7))
		return err_set(e, FE_EINVAL, "VALIDATION_ERROR", "avatar_url",
		               "avatar_url must start with https://, http:// or " FILE_URL_PREFIX);
	u->avatar_file_id = 0;
	return 0;
}

int workspace_update_profile(struct app *app, const struct principal *p, const struct profile_in *in,
                             struct user *u, struct fe_err *e)
{
	int rc;
	if ((rc = limits_hit(app, LIMIT_PROFILE, p->user_id, e)))
		return rc;
	if ((rc = workspace_user(app, p, p->user_id, u, e)))
		return rc;
	struct {
		const char *val, *field;
		char *dst;
		size_t size, min, max;
		int newlines;
	} f[] = {
	    {in->fullname, "fullname", u->fullname, sizeof u->fullname, 1, 50, 0},
	    {in->title, "title", u->title, sizeof u->title, 0, 100, 0},
	    {in->department, "department", u->department, sizeof u->department, 0, 100, 0},
	    {in->avatar_url, "avatar_url", u->avatar_url, sizeof u->avatar_url, 0, 500, 0},
	    {in->bio, "bio", u->bio, sizeof u->bio, 0, 1000, 1},
	    {in->timezone, "timezone", u->timezone, sizeof u->timezone, 0, 64, 0},
	    {in->language, "language", u->language, sizeof u->language, 0, 16, 0},
	};
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
		if (!f[i].val)
			continue;
		if ((rc = check_text(f[i].val, f[i].field, f[i].min, f[i].max, f[i].newlines, e)))
			return rc;
		snprintf(f[i].dst, f[i].size, "%s", f[i].val);
	}
	if ((rc = set_picture(app, p, in, u, e)))
		return rc;
	u->updated_at = app->now_ms();
	rc = store_call(&app->store, user_update_profile, u);
	cache_forget_profile(app, u->id, u->workspace_id);
	if (rc)
		return err_store(e, rc);
	struct event ev = {.type = EV_USER_CHANGED,
	                   .workspace_id = u->workspace_id,
	                   .actor_id = p->user_id,
	                   .user_id = u->id};
	bus_publish(&app->bus, &ev); /* the other appliances' caches */
	return 0;
}

int workspace_invite_create(struct app *app, const struct principal *p, int max_uses, int hours,
                            struct invite *out, struct fe_err *e)
{
	int rc;
	if ((rc = need_admin(p, e)))
		return rc;
	if ((rc = limits_hit(app, LIMIT_INVITE, p->user_id, e)))
		return rc;
	if (max_uses < 1 || max_uses > 1000)
		return err_set(e, FE_EINVAL, "VALIDATION_ERROR", "max_uses", "max_uses must be 1..1000");
	if (hours < 1 || hours > 720)
		return err_set(e, FE_EINVAL, "VALIDATION_ERROR", "expires_in_hours",
		               "expires_in_hours must be 1..720");
	memset(out, 0, sizeof *out);
	random_b64url(12, out->code, sizeof out->code);
	out->workspace_id = p->workspace_id;
	out->created_by = p->user_id;
	out->max_uses = max_uses;
	out->created_at = app->now_ms();
	out->expires_at = out->created_at + (int64_t)hours * 3600 * 1000;
	rc = store_call(&app->store, invite_insert, out);
	return rc ? err_store(e, rc) : 0;
}

int workspace_invites(struct app *app, const struct principal *p, struct invite **out, size_t *n,
                      struct fe_err *e)
{
	int rc;
	if ((rc = need_admin(p, e)))
		return rc;
	rc = store_call(&app->store, invites_active, p->workspace_id, app->now_ms(), out, n);
	return rc ? err_store(e, rc) : 0;
}

int workspace_invite_revoke(struct app *app, const struct principal *p, const char *code, struct fe_err *e)
{
	int rc;
	if ((rc = need_admin(p, e)))
		return rc;
	rc = store_call(&app->store, invite_revoke, p->workspace_id, code, app->now_ms());
	return rc ? err_store(e, rc) : 0;
}

int workspace_set_user(struct app *app, const struct principal *p, int64_t id, const char *role,
                       const char *status, struct user *u, struct fe_err *e)
{
	struct store *st = &app->store;
	int rc;
	if ((rc = need_admin(p, e)) || (rc = workspace_user(app, p, id, u, e)))
		return rc;
	if (role && strcmp(role, "admin") && strcmp(role, "member"))
		return err_set(e, FE_EINVAL, "VALIDATION_ERROR", "role", "role must be admin or member");
	if (status && strcmp(status, "Active") && strcmp(status, "Suspended"))
		return err_set(e, FE_EINVAL, "VALIDATION_ERROR", "status",
		               "status must be Active or Suspended");
	if (id == p->user_id)
		return err_set(e, FE_EFORBIDDEN, "FORBIDDEN", NULL,
		               "you cannot change your own role or status");
	if (!strcmp(u->role, "owner"))
		return err_set(e, FE_EFORBIDDEN, "FORBIDDEN", NULL, "the workspace owner cannot be changed");
	int role_change = role && strcmp(role, u->role);
	if (strcmp(p->role, "owner") && (role_change || !strcmp(u->role, "admin")))
		return err_set(e, FE_EFORBIDDEN, "FORBIDDEN", NULL,
		               "only the workspace owner manages admins");
	int suspend = status && !strcmp(status, "Suspended") && strcmp(u->status, "Suspended");
	if ((rc = store_call(st, begin)))
		return err_store(e, rc);
	int revoked = 0;
	if ((rc = store_call(st, user_set_role_status, id, role ? role : u->role,
	                     status ? status : u->status)) ||
	    (suspend && ((rc = store_call(st, user_bump_token_version, id)) ||
	                 (rc = store_call(st, refresh_revoke_user, id, app->now_ms(), &revoked)))) ||
	    (rc = store_call(st, commit))) {
		store_call(st, rollback);
		return err_store(e, rc);
	}
	cache_forget_user(app, id, p->workspace_id);
	/* a suspension closes the user's streams (older token version); any
	 * other change closes none, but the event makes every appliance of a
	 * cluster forget the account state it checks tokens against (core/cached) */
	auth_sessions_revoked(app, id, p->workspace_id);
	log_info("workspace: user changed id=%lld role=%s status=%s by=%lld", (long long)id,
	         role ? role : u->role, status ? status : u->status, (long long)p->user_id);
	return workspace_user(app, p, id, u, e);
}
