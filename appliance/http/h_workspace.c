/* http/h_workspace: users, profiles, the workspace, invites, roles. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/cached.h"
#include "core/workspace.h"
#include "http/handlers.h"
#include "http/jsonio.h"

void h_me(struct req *r)
{
	struct fe_err e = {0};
	struct user u;
	struct workspace w;
	if (workspace_user(r->app, &r->who, r->who.user_id, &u, &e) ||
	    workspace_get(r->app, &r->who, &w, &e)) {
		resp_err(r, &e);
		return;
	}
	cJSON *d = json_user(&u, 1);
	cJSON_AddItemToObject(d, "workspace", json_workspace(&w));
	resp_ok(r, 200, d);
}

/* Answers a kept page in the form it came in. */
static void send_body(struct req *r, struct cached_body *b)
{
	if (b->gzip)
		resp_gzip(r, 200, "application/json; charset=utf-8", b->data, b->len);
	else
		resp_raw(r, 200, "application/json; charset=utf-8", b->data, b->len);
}

void h_users(struct req *r)
{
	struct fe_err e = {0};
	struct user *list;
	size_t n;
	char *text;
	struct cached_body b;
	struct cached_page pg = {.kind = CACHED_WS_USERS, .id = r->who.workspace_id};
	if (!cached_page_fetch(r->app, &pg, req_accepts_gzip(r), &b)) {
		send_body(r, &b);
		return;
	}
	if (workspace_users(r->app, &r->who, &list, &n, &e)) {
		resp_err(r, &e);
		return;
	}
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(a, json_user(&list[i], 0));
	free(list);
	text = json_ok_text(a, NULL);
	cached_page_keep(r->app, &pg, text, strlen(text), req_accepts_gzip(r), &b);
	send_body(r, &b);
}

void h_cache_stats(struct req *r)
{
	struct cache_family_stats fam[16];
	size_t n = 0;
	if (!workspace_is_admin(&r->who)) {
		resp_fail(r, FE_EFORBIDDEN, "FORBIDDEN", NULL, "workspace owner or admin only");
		return;
	}
	if (r->app->cache.ops)
		r->app->cache.ops->stats(r->app->cache.impl, fam, 16, &n);
	cJSON *d = cJSON_CreateObject(), *fams = cJSON_CreateObject();
	uint64_t hits = 0, misses = 0;
	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "hits", (double)fam[i].hits);
		cJSON_AddNumberToObject(o, "misses", (double)fam[i].misses);
		cJSON_AddNumberToObject(o, "evictions", (double)fam[i].evictions);
		cJSON_AddNumberToObject(o, "entries", (double)fam[i].entries);
		cJSON_AddNumberToObject(o, "bytes", (double)fam[i].bytes);
		cJSON_AddItemToObject(fams, fam[i].family, o);
		hits += fam[i].hits;
		misses += fam[i].misses;
	}
	cJSON_AddItemToObject(d, "families", fams);
	cJSON_AddNumberToObject(d, "hit_rate", hits + misses ? (double)hits / (double)(hits + misses) : 0);
	resp_ok(r, 200, d);
}

void h_user_profile(struct req *r)
{
	struct fe_err e = {0};
	struct user u;
	int64_t id = req_cap_id(r, "id");
	if (!id) {
		resp_fail(r, FE_ENOTFOUND, NULL, NULL, "no such user");
		return;
	}
	if (workspace_user(r->app, &r->who, id, &u, &e))
		resp_err(r, &e);
	else
		resp_ok(r, 200, json_user(&u, 1));
}

void h_update_profile(struct req *r)
{
	struct fe_err e = {0};
	struct profile_in in = {0};
	struct user u;
	cJSON *j = req_json(r);
	if (!j)
		return;
	/* avatar_file_id: null clears the picture, absent keeps it */
	in.has_avatar_file_id = cJSON_GetObjectItemCaseSensitive(j, "avatar_file_id") != NULL;
	if (jint(j, "avatar_file_id", 0, 1, (INT64_C(1) << 53) - 1, &in.avatar_file_id, &e) ||
	    jstr(j, "fullname", 0, &in.fullname, &e) || jstr(j, "title", 0, &in.title, &e) ||
	    jstr(j, "department", 0, &in.department, &e) || jstr(j, "avatar_url", 0, &in.avatar_url, &e) ||
	    jstr(j, "bio", 0, &in.bio, &e) || jstr(j, "timezone", 0, &in.timezone, &e) ||
	    jstr(j, "language", 0, &in.language, &e) ||
	    workspace_update_profile(r->app, &r->who, &in, &u, &e))
		resp_err(r, &e);
	else
		resp_ok(r, 200, json_user(&u, 1));
	cJSON_Delete(j);
}

void h_workspace_get(struct req *r)
{
	struct fe_err e = {0};
	struct workspace w;
	if (workspace_get(r->app, &r->who, &w, &e))
		resp_err(r, &e);
	else
		resp_ok(r, 200, json_workspace(&w));
}

void h_workspace_patch(struct req *r)
{
	struct fe_err e = {0};
	struct workspace w;
	const char *name;
	cJSON *j = req_json(r);
	if (!j)
		return;
	if (jstr(j, "name", 1, &name, &e) || workspace_rename(r->app, &r->who, name, &w, &e))
		resp_err(r, &e);
	else
		resp_ok(r, 200, json_workspace(&w));
	cJSON_Delete(j);
}

void h_invite_create(struct req *r)
{
	struct fe_err e = {0};
	struct invite inv;
	int64_t max_uses = 1, hours = 168;
	cJSON *j = req_json(r);
	if (!j)
		return;
	if (jint(j, "max_uses", 0, 1, 1000, &max_uses, &e) ||
	    jint(j, "expires_in_hours", 0, 1, 720, &hours, &e) ||
	    workspace_invite_create(r->app, &r->who, (int)max_uses, (int)hours, &inv, &e))
		resp_err(r, &e);
	else
		resp_ok(r, 201, json_invite(&inv));
	cJSON_Delete(j);
}

void h_invites(struct req *r)
{
	struct fe_err e = {0};
	struct invite *list;
	size_t n;
	if (workspace_invites(r->app, &r->who, &list, &n, &e)) {
		resp_err(r, &e);
		return;
	}
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(a, json_invite(&list[i]));
	free(list);
	resp_ok(r, 200, a);
}

void h_invite_revoke(struct req *r)
{
	struct fe_err e = {0};
	const char *code = req_cap(r, "code");
	if (workspace_invite_revoke(r->app, &r->who, code, &e)) {
		resp_err(r, &e);
		return;
	}
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "code", code);
	resp_ok(r, 200, d);
}

void h_workspace_user_patch(struct req *r)
{
	struct fe_err e = {0};
	struct user u;
	const char *role, *status;
	int64_t id = req_cap_id(r, "id");
	cJSON *j = req_json(r);
	if (!j)
		return;
	if (!id)
		resp_fail(r, FE_ENOTFOUND, NULL, NULL, "no such user");
	else if (jstr(j, "role", 0, &role, &e) || jstr(j, "status", 0, &status, &e) ||
	         workspace_set_user(r->app, &r->who, id, role, status, &u, &e))
		resp_err(r, &e);
	else
		resp_ok(r, 200, json_user(&u, 0));
	cJSON_Delete(j);
}
