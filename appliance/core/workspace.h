/* core/workspace: users and the workspace: profiles, listing, renaming,
 * invite codes, roles and suspension. Every use case is scoped to the
 * caller's workspace: a record of another workspace is FE_ENOTFOUND. */
#ifndef FE_WORKSPACE_H
#define FE_WORKSPACE_H
#include <stddef.h>
#include "core/app.h"
#include "lib/err.h"
#include "ports/model.h"

/* The use cases below, in common: called by the HTTP handlers
 * (http/h_workspace.c) on the loop thread, which owns the store,
 * the cache and the bus. p is the authenticated caller (borrowed for the
 * call); "workspace admin" means a workspace owner or admin (p->role, see
 * workspace_is_admin); others get FE_EFORBIDDEN (FORBIDDEN). Errors: 0, or a
 * negative FE_E* code with e filled; "store errors" are what err_store()
 * makes of a failed store call (FE_ENOTFOUND, FE_ENOSPC, FE_ECORRUPT, or
 * FE_EUNAVAIL / FE_EINTERNAL as the store returned them). Outputs are the
 * caller's storage (plain structs, nothing to free) unless said owned. */

/* The caller's workspace, with member_count. Who: any workspace user.
 * Errors: store errors. */
int workspace_get(struct app *app, const struct principal *p, struct workspace *w, struct fe_err *e);
/* Renames the caller's workspace and fills w with it afterwards. Who: a
 * workspace admin. Errors: FE_EINVAL (VALIDATION_ERROR, field name) unless
 * name is 1..50 characters without control characters; FE_ECONFLICT
 * (WORKSPACE_EXISTS) when another workspace has the name (case-folded);
 * store errors. name is borrowed. */
int workspace_rename(struct app *app, const struct principal *p, const char *name, struct workspace *w,
                     struct fe_err *e);

/* User id of the caller's workspace, whatever their status. Who: any
 * workspace user. Errors: FE_ENOTFOUND (NOT_FOUND) when there is none or
 * they belong to another workspace; store errors. */
int workspace_user(struct app *app, const struct principal *p, int64_t id, struct user *u, struct fe_err *e);
/* The users of the caller's workspace (Suspended ones too), by id. Who:
 * any workspace user. Errors: store errors. *out owned (free). */
int workspace_users(struct app *app, const struct principal *p, struct user **out, size_t *n,
                    struct fe_err *e);

/* Profile update of the caller: fields left NULL keep their value.
 * The picture is given by one of avatar_file_id (has_avatar_file_id set;
 * 0 clears) or avatar_url ("" clears; "/api/files/..." must name a file the
 * caller uploaded, as core/file's file_avatar; else an https:// or http://
 * address outside, which grants nothing). A picture file must be an image
 * the caller uploaded: FE_EINVAL (INVALID_AVATAR) otherwise. */
struct profile_in {
	const char *fullname, *title, *department, *avatar_url, *bio, *timezone, *language;
	int has_avatar_file_id;
	int64_t avatar_file_id;
};
/* Updates the caller's own profile (nobody edits another's) and fills u
 * with it afterwards; forgets the user's cache entries. Who: any workspace
 * user, for themselves. Errors, in order: FE_ERATE (RATE_LIMITED) past the
 * per-user profile limit (core/limits); FE_EINVAL (VALIDATION_ERROR naming
 * the field) unless fullname is 1..50 characters, title and department
 * 0..100, avatar_url 0..500, bio 0..1000, timezone 0..64, language 0..16,
 * without control characters (bio may hold newlines and tabs); FE_EINVAL
 * (field avatar_file_id) when both pictures are given, (avatar_url) for an
 * address that is neither http(s):// nor a file URL; core/file's
 * file_avatar errors (INVALID_AVATAR); store errors. in is borrowed. */
int workspace_update_profile(struct app *app, const struct principal *p, const struct profile_in *in,
                             struct user *u, struct fe_err *e);

/* Makes a random invite code for the caller's workspace, usable max_uses
 * times for hours hours. Who: a workspace admin. Errors, in order:
 * FE_EFORBIDDEN; FE_ERATE (RATE_LIMITED) past the per-user invite limit;
 * FE_EINVAL (VALIDATION_ERROR) unless max_uses is 1..1000 (field max_uses)
 * and hours 1..720 (field expires_in_hours); store errors. out gets the
 * stored invite. */
int workspace_invite_create(struct app *app, const struct principal *p, int max_uses, int hours,
                            struct invite *out, struct fe_err *e);
/* The caller's workspace's usable invites now (not revoked, not expired,
 * uses left), newest first, at most 1000. Who: a workspace admin. Errors:
 * store errors. *out owned (free). */
int workspace_invites(struct app *app, const struct principal *p, struct invite **out, size_t *n,
                      struct fe_err *e);
/* Revokes the live invite code of the caller's workspace. Who: a workspace
 * admin. Errors: FE_ENOTFOUND (NOT_FOUND) for an unknown code, another
 * workspace's, or one already revoked; store errors. code is borrowed. */
int workspace_invite_revoke(struct app *app, const struct principal *p, const char *code, struct fe_err *e);

/* Sets the workspace role (admin or member) and/or status (Active or
 * Suspended) of user id of the caller's workspace (NULL keeps a value) in
 * one transaction, and fills u with the user afterwards. Suspending an
 * Active user also bumps their token version and revokes their refresh
 * tokens, then publishes SessionsRevoked (auth_sessions_revoked), which
 * closes their open streams. Forgets the user's cache entries.
 * Who: a workspace admin; only the workspace owner may change anyone's
 * role or touch an admin (an admin may only set a member's status).
 * Errors, in order: FE_EFORBIDDEN (FORBIDDEN) for a plain member;
 * FE_ENOTFOUND (NOT_FOUND) when id is not a user of the workspace;
 * FE_EINVAL (VALIDATION_ERROR, field role or status) for another value;
 * FE_EFORBIDDEN for the caller's own account, for the workspace owner's,
 * and for an admin changing a role or an admin; store errors. role and
 * status are borrowed. */
int workspace_set_user(struct app *app, const struct principal *p, int64_t id, const char *role,
                       const char *status, struct user *u, struct fe_err *e);

/* 1 when the caller is a workspace owner or admin (p->role), else 0.
 * Pure: any thread. */
int workspace_is_admin(const struct principal *p);

#endif
