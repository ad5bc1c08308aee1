/* core/workspace: users and the workspace: profiles, listing, renaming,
 * invite codes, roles and suspension. Every use case is scoped to the
 * caller's workspace: a record of another workspace is FE_ENOTFOUND. */
#ifndef FE_WORKSPACE_H
#define FE_WORKSPACE_H
#include <stddef.h>
#include "core/app.h"
#include "lib/err.h"
#include "ports/model.h"

int workspace_get(struct app *app, const struct principal *p, struct workspace *w, struct fe_err *e);
int workspace_rename(struct app *app, const struct principal *p, const char *name, struct workspace *w, struct fe_err *e);

/* A user of the caller's workspace (FE_ENOTFOUND otherwise). */
int workspace_user(struct app *app, const struct principal *p, int64_t id, struct user *u, struct fe_err *e);
/* Users of the caller's workspace; *out owned, free(). */
int workspace_users(struct app *app, const struct principal *p, struct user **out, size_t *n, struct fe_err *e);

/* Profile update of the caller: fields left NULL keep their value.
 * The picture is given by one of avatar_file_id (has_avatar_file_id set;
 * 0 clears) or avatar_url ("" clears; "/api/files/..." must name a file the
 * caller uploaded, as core/file's file_avatar; else an https:// or http://
 * address outside, which grants nothing). A picture file must be an image
 * the caller uploaded: 400 INVALID_AVATAR otherwise. */
struct profile_in {
	const char *fullname, *title, *department, *avatar_url, *bio, *timezone, *language;
	int has_avatar_file_id;
	int64_t avatar_file_id;
};
int workspace_update_profile(struct app *app, const struct principal *p, const struct profile_in *in, struct user *u,
		      struct fe_err *e);

/* Invites (owner/admin). max_uses 1..1000, hours 1..720. */
int workspace_invite_create(struct app *app, const struct principal *p, int max_uses, int hours, struct invite *out,
		     struct fe_err *e);
int workspace_invites(struct app *app, const struct principal *p, struct invite **out, size_t *n, struct fe_err *e);
int workspace_invite_revoke(struct app *app, const struct principal *p, const char *code, struct fe_err *e);

/* Role (admin|member) and status (Active|Suspended) of a user; NULL keeps. */
int workspace_set_user(struct app *app, const struct principal *p, int64_t id, const char *role, const char *status,
		struct user *u, struct fe_err *e);

/* 1 when the caller is a workspace owner or admin. */
int workspace_is_admin(const struct principal *p);

#endif
