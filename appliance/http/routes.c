/* http/routes: the one table of every endpoint: method, path pattern,
 * handler, auth need. Order matters only for "*", which comes last. */
#include "http/handlers.h"

const struct route routes[] = {
	{M_POST, "/api/signup", h_signup, AUTH_NONE, 0},
	{M_POST, "/api/signin", h_signin, AUTH_NONE, 0},
	{M_POST, "/api/refresh", h_refresh, AUTH_NONE, 0},
	{M_POST, "/api/logout", h_logout, AUTH_USER, 0},
	{M_POST, "/api/logout-all", h_logout_all, AUTH_USER, 0},
	{M_POST, "/api/users/change-password", h_change_password, AUTH_USER, 0},

	{M_GET, "/api/users/me", h_me, AUTH_USER, 0},
	{M_GET, "/api/users", h_users, AUTH_USER, 0},
	{M_GET, "/api/users/{id}/profile", h_user_profile, AUTH_USER, 0},
	{M_PUT, "/api/users/profile", h_update_profile, AUTH_USER, 0},
	{M_GET, "/api/workspace", h_workspace_get, AUTH_USER, 0},
	{M_PATCH, "/api/workspace", h_workspace_patch, AUTH_USER, 0},
	{M_POST, "/api/workspace/invites", h_invite_create, AUTH_USER, 0},
	{M_GET, "/api/workspace/invites", h_invites, AUTH_USER, 0},
	{M_DELETE, "/api/workspace/invites/{code}", h_invite_revoke, AUTH_USER, 0},
	{M_PATCH, "/api/workspace/users/{id}", h_workspace_user_patch, AUTH_USER, 0},

	{M_GET, "/health", h_health, AUTH_NONE, 0},
	{M_GET, "/health/readiness", h_readiness, AUTH_NONE, 0},
	{M_GET, "/metrics", h_metrics, AUTH_NONE, 0},
	{M_GET, "*", h_static, AUTH_NONE, 0},
	{0, NULL, NULL, 0, 0},
};
