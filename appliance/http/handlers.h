/* http/handlers: the handler functions the route table points at. Each turns
 * JSON into plain structs, calls one use case and renders its result. */
#ifndef FE_HANDLERS_H
#define FE_HANDLERS_H
#include "http/http.h"

/* accounts (h_accounts.c) */
void h_signup(struct req *r);
void h_signin(struct req *r);
void h_refresh(struct req *r);
void h_logout(struct req *r);
void h_logout_all(struct req *r);
void h_change_password(struct req *r);

/* users and workspace (h_workspace.c) */
void h_me(struct req *r);
void h_users(struct req *r);
void h_user_profile(struct req *r);
void h_update_profile(struct req *r);
void h_workspace_get(struct req *r);
void h_workspace_patch(struct req *r);
void h_invite_create(struct req *r);
void h_invites(struct req *r);
void h_invite_revoke(struct req *r);
void h_workspace_user_patch(struct req *r);

/* operations and assets (h_ops.c) */
void h_health(struct req *r);
void h_readiness(struct req *r);
void h_metrics(struct req *r);
void h_static(struct req *r);

#endif
