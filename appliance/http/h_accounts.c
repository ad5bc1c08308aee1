/* http/h_accounts: sign-up, sign-in, refresh, logout, password change. */
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "core/auth.h"
#include "http/handlers.h"
#include "http/jsonio.h"
#include "lib/xalloc.h"

#define COOKIE_MAX_AGE 1209600

/* The paths the file-download cookie is scoped to: the file routes. */
static const char *const file_paths[] = {"/api/files", "/files"};

/* Sets (token non-empty) or clears the refresh cookie. */
static void set_cookie(struct req *r, const char *token)
{
	char c[320];
	snprintf(c, sizeof c, "refresh_token=%s; Path=/api; HttpOnly; SameSite=Strict; Max-Age=%d%s", token,
	         *token ? COOKIE_MAX_AGE : 0, req_is_tls(r) ? "; Secure" : "");
	resp_header(r, "set-cookie", c);
}

/* Sets (token non-empty) or clears the file-download cookie, once per file
 * path: it lets <img src> and download links load files (GET/HEAD of the
 * file routes, nothing else) and lives as long as the access token beside
 * it. */
static void set_file_cookies(struct req *r, const char *token)
{
	char c[640];
	for (size_t i = 0; i < sizeof file_paths / sizeof file_paths[0]; i++) {
		snprintf(c, sizeof c, FILE_COOKIE "=%s; Path=%s; HttpOnly; SameSite=Strict; Max-Age=%d%s",
		         token, file_paths[i], *token ? ACCESS_TTL_S : 0, req_is_tls(r) ? "; Secure" : "");
		resp_header(r, "set-cookie", c);
	}
}

static void send_auth(struct req *r, int status, const struct auth_result *a)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddItemToObject(d, "user", json_user(&a->user, 0));
	cJSON_AddItemToObject(d, "workspace", json_workspace(&a->workspace));
	cJSON_AddStringToObject(d, "access_token", a->access_token);
	cJSON_AddStringToObject(d, "refresh_token", a->refresh_token);
	cJSON_AddStringToObject(d, "token_type", "Bearer");
	cJSON_AddNumberToObject(d, "expires_in", a->expires_in);
	set_cookie(r, a->refresh_token);
	set_file_cookies(r, a->file_token);
	resp_ok(r, status, d);
}

static void done(void *req, int status, int rc, const struct fe_err *e, const struct auth_result *a)
{
	struct req *r = ticket_take(req);
	if (!r)
		return; /* the client went away */
	if (rc)
		resp_err(r, e);
	else
		send_auth(r, status, a);
}

static void done_201(void *req, int rc, const struct fe_err *e, const struct auth_result *a)
{
	done(req, 201, rc, e, a);
}

static void done_200(void *req, int rc, const struct fe_err *e, const struct auth_result *a)
{
	done(req, 200, rc, e, a);
}

/* Starts an asynchronous use case; answers at once when it fails to start. */
static void started(struct req *r, struct ticket *t, int rc, const struct fe_err *e)
{
	if (rc) {
		ticket_take(t);
		resp_err(r, e);
	}
}

void h_signup(struct req *r)
{
	struct fe_err e = {0};
	struct signup_in in = {0};
	cJSON *j = req_json(r);
	if (!j)
		return;
	if (jstr(j, "email", 1, &in.email, &e) || jstr(j, "password", 1, &in.password, &e) ||
	    jstr(j, "fullname", 1, &in.fullname, &e) ||
	    jstr(j, "workspace_name", 0, &in.workspace_name, &e) ||
	    jstr(j, "invite_code", 0, &in.invite_code, &e)) {
		resp_err(r, &e);
	} else {
		in.client = r->client;
		struct ticket *t = req_defer(r);
		started(r, t, auth_signup(r->app, &in, done_201, t, &e), &e);
	}
	cJSON_Delete(j);
}

void h_signin(struct req *r)
{
	struct fe_err e = {0};
	const char *email, *password;
	cJSON *j = req_json(r);
	if (!j)
		return;
	if (jstr(j, "email", 1, &email, &e) || jstr(j, "password", 1, &password, &e)) {
		resp_err(r, &e);
	} else {
		struct ticket *t = req_defer(r);
		started(r, t, auth_signin(r->app, email, password, r->client, done_200, t, &e), &e);
	}
	cJSON_Delete(j);
}

void h_set_password(struct req *r)
{
	struct fe_err e = {0};
	const char *token, *password;
	cJSON *j = req_json(r);
	if (!j)
		return;
	if (jstr(j, "token", 1, &token, &e) || jstr(j, "password", 1, &password, &e)) {
		resp_err(r, &e);
	} else {
		struct ticket *t = req_defer(r);
		started(r, t, auth_set_password(r->app, token, password, r->client, done_200, t, &e), &e);
	}
	cJSON_Delete(j);
}

void h_change_password(struct req *r)
{
	struct fe_err e = {0};
	const char *cur, *next;
	cJSON *j = req_json(r);
	if (!j)
		return;
	if (jstr(j, "current_password", 1, &cur, &e) || jstr(j, "new_password", 1, &next, &e)) {
		resp_err(r, &e);
	} else {
		struct ticket *t = req_defer(r);
		started(r, t, auth_change_password(r->app, &r->who, cur, next, done_200, t, &e), &e);
	}
	cJSON_Delete(j);
}

/* The refresh token from the body, else from the cookie, into buf. */
static int refresh_token_of(struct req *r, cJSON *j, char *buf, size_t len, struct fe_err *e)
{
	const char *t = NULL;
	if (jstr(j, "refresh_token", 0, &t, e))
		return -1;
	if (t)
		snprintf(buf, len, "%s", t);
	else if (req_cookie(r, "refresh_token", buf, len))
		*buf = 0;
	return 0;
}

/* For clients that keep no cookies (the original's desktop and native
 * builds): the refresh token as "Authorization: Bearer <refresh token>",
 * read on /api/refresh only. Returns 1 with buf set, 0 when there is no
 * Authorization header, -1 for one that is not a bearer token that fits. */
static int bearer_refresh(struct req *r, char *buf, size_t len)
{
	char h[200];
	int n = lws_hdr_total_length(r->wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
	if (n <= 0)
		return 0;
	if (n >= (int)sizeof h || lws_hdr_copy(r->wsi, h, sizeof h, WSI_TOKEN_HTTP_AUTHORIZATION) < 0 ||
	    strncasecmp(h, "Bearer ", 7) || !h[7] || strlen(h + 7) >= len)
		return -1;
	memcpy(buf, h + 7, strlen(h + 7) + 1); /* fits: checked above */
	return 1;
}

/* The refresh token comes from the body's refresh_token, else the
 * Authorization header, else the cookie: a client that sends one
 * explicitly means that one. */
void h_refresh(struct req *r)
{
	struct fe_err e = {0};
	char tok[160] = "";
	const char *t = NULL;
	int b = 0;
	struct auth_result *a = xcalloc(1, sizeof *a);
	cJSON *j = req_json(r);
	if (!j)
		goto out;
	if (jstr(j, "refresh_token", 0, &t, &e)) {
		resp_err(r, &e);
		goto out;
	}
	if (t)
		snprintf(tok, sizeof tok, "%s", t);
	else if ((b = bearer_refresh(r, tok, sizeof tok)) < 0) {
		resp_fail(r, FE_EAUTH, "INVALID_REFRESH_TOKEN", NULL,
		          "the Authorization header is not a bearer token");
		goto out;
	} else if (!b && req_cookie(r, "refresh_token", tok, sizeof tok))
		*tok = 0;
	if (!*tok)
		resp_fail(r, FE_EAUTH, "INVALID_REFRESH_TOKEN", NULL, "a refresh token is required");
	else if (auth_refresh(r->app, tok, a, &e))
		resp_err(r, &e);
	else
		send_auth(r, 200, a);
out:
	cJSON_Delete(j);
	free(a);
}

void h_logout(struct req *r)
{
	struct fe_err e = {0};
	char tok[160];
	cJSON *j = req_json(r);
	if (!j)
		return;
	if (refresh_token_of(r, j, tok, sizeof tok, &e) || auth_logout(r->app, &r->who, tok, &e)) {
		resp_err(r, &e);
	} else {
		set_cookie(r, "");
		set_file_cookies(r, "");
		resp_ok(r, 200, NULL);
	}
	cJSON_Delete(j);
}

void h_logout_all(struct req *r)
{
	struct fe_err e = {0};
	int n = 0;
	if (auth_logout_all(r->app, &r->who, &n, &e)) {
		resp_err(r, &e);
		return;
	}
	cJSON *d = cJSON_CreateObject();
	cJSON_AddNumberToObject(d, "revoked", n);
	set_cookie(r, "");
	set_file_cookies(r, "");
	resp_ok(r, 200, d);
}
