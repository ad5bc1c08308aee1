/* http/h_chats: chats and members. */
#include <stdlib.h>
#include <string.h>
#include "core/chat.h"
#include "http/handlers.h"
#include "http/jsonio.h"
#include "lib/xalloc.h"

#define MAX_IDS 1000

static cJSON *summary_json(const struct chat_summary *s)
{
	cJSON *o = json_chat(&s->chat), *members = cJSON_CreateArray();
	cJSON *last = s->last.id ? json_message(&s->last) : cJSON_CreateNull();
	if (s->last.id) /* flat, besides sender{}: the original's clients render previews from it */
		cJSON_AddStringToObject(last, "sender_name", s->last.sender_name);
	cJSON_AddItemToObject(o, "last_message", last);
	cJSON_AddNumberToObject(o, "unread_count", (double)s->unread_count);
	cJSON_AddNumberToObject(o, "mention_count", (double)s->mention_count);
	for (size_t i = 0; i < s->nmembers; i++)
		cJSON_AddItemToArray(members, cJSON_CreateNumber((double)s->members[i]));
	cJSON_AddItemToObject(o, "chat_members", members);
	cJSON_AddStringToObject(o, "my_role", s->chat.my_role);
	return o;
}

/* Answers a summary (or the error) and frees it. */
static void send_summary(struct req *r, int status, int rc, struct chat_summary *s, const struct fe_err *e)
{
	if (rc) {
		resp_err(r, e);
		return;
	}
	resp_ok(r, status, summary_json(s));
	message_clear(&s->last);
	free(s->members);
}

void h_chats_list(struct req *r)
{
	struct fe_err e = {0};
	struct chat_summary *list;
	size_t n;
	if (chat_list(r->app, &r->who, &list, &n, &e)) {
		resp_err(r, &e);
		return;
	}
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(a, summary_json(&list[i]));
	chat_summaries_free(list, n);
	resp_ok(r, 200, a);
}

void h_chat_create(struct req *r)
{
	struct fe_err e = {0};
	struct chat_create_in in = {0};
	struct chat_summary s = {0};
	int64_t *ids = xmalloc(MAX_IDS * sizeof *ids);
	cJSON *j = req_json(r);
	if (!j)
		goto out;
	cJSON *members = cJSON_GetObjectItemCaseSensitive(j, "members");
	int created = 0, rc;
	if (jstr(j, "name", 0, &in.name, &e) || jstr(j, "chat_type", 1, &in.chat_type, &e) ||
	    jstr(j, "description", 0, &in.description, &e) ||
	    (members && !cJSON_IsNull(members) && jids(members, "members", MAX_IDS, ids, &in.nmembers, &e))) {
		resp_err(r, &e);
		goto out;
	}
	in.members = ids;
	rc = chat_create(r->app, &r->who, &in, &s, &created, &e);
	send_summary(r, created ? 201 : 200, rc, &s, &e);
out:
	free(ids);
	cJSON_Delete(j);
}

void h_chats_public(struct req *r)
{
	struct fe_err e = {0};
	struct chat *list;
	size_t n;
	if (chat_public(r->app, &r->who, &list, &n, &e)) {
		resp_err(r, &e);
		return;
	}
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "id", (double)list[i].id);
		cJSON_AddStringToObject(o, "name", list[i].name);
		cJSON_AddStringToObject(o, "description", list[i].description);
		cJSON_AddNumberToObject(o, "member_count", (double)list[i].member_count);
		cJSON_AddItemToArray(a, o);
	}
	free(list);
	resp_ok(r, 200, a);
}

void h_chat_get(struct req *r)
{
	struct fe_err e = {0};
	struct chat_summary s = {0};
	int rc = chat_get(r->app, &r->who, req_cap_id(r, "id"), &s, &e);
	send_summary(r, 200, rc, &s, &e);
}

void h_chat_patch(struct req *r)
{
	struct fe_err e = {0};
	struct chat_summary s = {0};
	const char *name, *desc;
	cJSON *j = req_json(r);
	if (!j)
		return;
	if (jstr(j, "name", 0, &name, &e) || jstr(j, "description", 0, &desc, &e))
		resp_err(r, &e);
	else
		send_summary(r, 200, chat_update(r->app, &r->who, req_cap_id(r, "id"), name, desc, &s, &e),
		             &s, &e);
	cJSON_Delete(j);
}

/* Answers {"id": id} or the error. */
static void send_id(struct req *r, int rc, const char *name, int64_t id, const struct fe_err *e)
{
	if (rc) {
		resp_err(r, e);
		return;
	}
	cJSON *d = cJSON_CreateObject();
	cJSON_AddNumberToObject(d, name, (double)id);
	resp_ok(r, 200, d);
}

void h_chat_delete(struct req *r)
{
	struct fe_err e = {0};
	int64_t id = req_cap_id(r, "id");
	send_id(r, chat_delete(r->app, &r->who, id, &e), "id", id, &e);
}

void h_chat_join(struct req *r)
{
	struct fe_err e = {0};
	struct chat_summary s = {0};
	send_summary(r, 200, chat_join(r->app, &r->who, req_cap_id(r, "id"), &s, &e), &s, &e);
}

void h_chat_leave(struct req *r)
{
	struct fe_err e = {0};
	int64_t id = req_cap_id(r, "id");
	send_id(r, chat_leave(r->app, &r->who, id, &e), "chat_id", id, &e);
}

static void send_members(struct req *r, int64_t id)
{
	struct fe_err e = {0};
	struct chat_member *list;
	size_t n;
	if (chat_members(r->app, &r->who, id, &list, &n, &e)) {
		resp_err(r, &e);
		return;
	}
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(a, json_member(&list[i]));
	free(list);
	resp_ok(r, 200, a);
}

void h_chat_members(struct req *r)
{
	send_members(r, req_cap_id(r, "id"));
}

void h_chat_members_add(struct req *r)
{
	struct fe_err e = {0};
	int64_t id = req_cap_id(r, "id");
	size_t n = 0;
	int64_t *ids = xmalloc(MAX_IDS * sizeof *ids);
	cJSON *arr = NULL;
	/* the body is a bare array of ids, or {"user_ids": [...]} */
	if (!(arr = req_json_any(r)))
		goto out;
	cJSON *list = arr;
	if (cJSON_IsObject(arr) && !(list = cJSON_GetObjectItemCaseSensitive(arr, "user_ids")))
		list = cJSON_GetObjectItemCaseSensitive(arr, "members");
	if (jids(list, "user_ids", MAX_IDS, ids, &n, &e))
		goto bad;
	if (chat_add_members(r->app, &r->who, id, ids, n, &e))
		goto bad;
	send_members(r, id);
	goto out;
bad:
	if (!e.rc)
		err_set(&e, FE_EINVAL, "INVALID_JSON", NULL, "the body must be an array of user ids");
	resp_err(r, &e);
out:
	cJSON_Delete(arr);
	free(ids);
}

void h_chat_member_remove(struct req *r)
{
	struct fe_err e = {0};
	int64_t user = req_cap_id(r, "user_id");
	send_id(r, chat_remove_member(r->app, &r->who, req_cap_id(r, "id"), user, &e), "user_id", user, &e);
}

void h_chat_member_patch(struct req *r)
{
	struct fe_err e = {0};
	const char *role;
	int64_t id = req_cap_id(r, "id"), user = req_cap_id(r, "user_id");
	cJSON *j = req_json(r);
	if (!j)
		return;
	if (jstr(j, "role", 1, &role, &e) || chat_set_role(r->app, &r->who, id, user, role, &e)) {
		resp_err(r, &e);
	} else {
		struct chat_member *list;
		size_t n;
		if (chat_members(r->app, &r->who, id, &list, &n, &e)) {
			resp_err(r, &e);
		} else {
			cJSON *d = NULL;
			for (size_t i = 0; i < n && !d; i++)
				if (list[i].user_id == user)
					d = json_member(&list[i]);
			free(list);
			resp_ok(r, 200, d);
		}
	}
	cJSON_Delete(j);
}
