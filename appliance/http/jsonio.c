/* http/jsonio: JSON field access and record rendering. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "core/file.h"
#include "http/jsonio.h"
#include "lib/timefmt.h"
#include "lib/utf8.h"

static int is_json_type(const char *ct)
{
	if (!ct || strncasecmp(ct, "application/json", 16))
		return 0;
	return !ct[16] || ct[16] == ';' || ct[16] == ' ' || ct[16] == '\t';
}

int json_body_parse(const char *body, size_t len, const char *content_type, cJSON **out, struct fe_err *e)
{
	*out = NULL;
	if (!len) {
		*out = cJSON_CreateObject();
		return 0;
	}
	if (!is_json_type(content_type))
		return err_set(e, FE_EMEDIA, "UNSUPPORTED_MEDIA_TYPE", NULL,
		               "the body must be application/json");
	if (!utf8_valid(body, len))
		return err_set(e, FE_EINVAL, "INVALID_JSON", NULL, "the body is not valid UTF-8");
	if (json_has_nul(body, len))
		return err_set(e, FE_EINVAL, "INVALID_JSON", NULL, "NUL characters are not allowed");
	const char *end = NULL;
	cJSON *j = cJSON_ParseWithLengthOpts(body, len, &end, 0);
	if (j && end) {
		size_t k = (size_t)(end - body);
		while (k < len && (body[k] == ' ' || body[k] == '\t' || body[k] == '\n' || body[k] == '\r'))
			k++;
		if (k != len) { /* something after the value */
			cJSON_Delete(j);
			j = NULL;
		}
	}
	if (!j || !(cJSON_IsObject(j) || cJSON_IsArray(j))) {
		cJSON_Delete(j);
		return err_set(e, FE_EINVAL, "INVALID_JSON", NULL, "the body must be a JSON object or array");
	}
	*out = j;
	return 0;
}

int jstr(cJSON *o, const char *name, int required, const char **out, struct fe_err *e)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	*out = NULL;
	if (!v || cJSON_IsNull(v)) {
		if (required)
			return err_set(e, FE_EINVAL, "VALIDATION_ERROR", name, "%s is required", name);
		return 0;
	}
	if (!cJSON_IsString(v) || !v->valuestring)
		return err_set(e, FE_EINVAL, "VALIDATION_ERROR", name, "%s must be a string", name);
	char *s = v->valuestring;
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
	*out = s;
	return 0;
}

int jint(cJSON *o, const char *name, int required, int64_t min, int64_t max, int64_t *out, struct fe_err *e)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	if (!v || cJSON_IsNull(v)) {
		if (required)
			return err_set(e, FE_EINVAL, "VALIDATION_ERROR", name, "%s is required", name);
		return 0;
	}
	double d = cJSON_IsNumber(v) ? v->valuedouble : 0;
	/* the range first: converting a double outside int64_t (1e300, or a
	 * number too large to parse, which is infinite) is undefined */
	/* cppcheck-suppress incorrectLogicOperator ; a false positive: cppcheck
	 * 2.10 misreads the hex float 0x1p63 (2^63); d = 0 makes both false */
	if (!cJSON_IsNumber(v) || !(d >= (double)min && d <= (double)max) || d < -0x1p63 || d >= 0x1p63 ||
	    d != (double)(int64_t)d)
		return err_set(e, FE_EINVAL, "VALIDATION_ERROR", name, "%s must be an integer in %lld..%lld",
		               name, (long long)min, (long long)max);
	*out = (int64_t)d;
	return 0;
}

void jtime(cJSON *o, const char *name, int64_t ms)
{
	if (!ms) {
		cJSON_AddNullToObject(o, name);
		return;
	}
	char t[32];
	time_rfc3339(ms, t);
	cJSON_AddStringToObject(o, name, t);
}

cJSON *json_user(const struct user *u, int with_profile)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)u->id);
	cJSON_AddStringToObject(o, "fullname", u->fullname);
	cJSON_AddStringToObject(o, "email", u->email);
	cJSON_AddNumberToObject(o, "workspace_id", (double)u->workspace_id);
	cJSON_AddStringToObject(o, "role", u->role);
	cJSON_AddStringToObject(o, "status", u->status);
	if (*u->avatar_url)
		cJSON_AddStringToObject(o, "avatar_url", u->avatar_url);
	else
		cJSON_AddNullToObject(o, "avatar_url");
	if (u->avatar_file_id)
		cJSON_AddNumberToObject(o, "avatar_file_id", (double)u->avatar_file_id);
	else
		cJSON_AddNullToObject(o, "avatar_file_id");
	jtime(o, "created_at", u->created_at);
	if (with_profile) {
		cJSON_AddStringToObject(o, "title", u->title);
		cJSON_AddStringToObject(o, "department", u->department);
		cJSON_AddStringToObject(o, "bio", u->bio);
		cJSON_AddStringToObject(o, "timezone", u->timezone);
		cJSON_AddStringToObject(o, "language", u->language);
	}
	return o;
}

cJSON *json_workspace(const struct workspace *w)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)w->id);
	cJSON_AddStringToObject(o, "name", w->name);
	cJSON_AddNumberToObject(o, "owner_id", (double)w->owner_id);
	cJSON_AddNumberToObject(o, "member_count", (double)w->member_count);
	jtime(o, "created_at", w->created_at);
	return o;
}

cJSON *json_invite(const struct invite *i)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "code", i->code);
	cJSON_AddNumberToObject(o, "workspace_id", (double)i->workspace_id);
	cJSON_AddNumberToObject(o, "created_by", (double)i->created_by);
	cJSON_AddNumberToObject(o, "max_uses", i->max_uses);
	cJSON_AddNumberToObject(o, "uses", i->uses);
	jtime(o, "expires_at", i->expires_at);
	jtime(o, "created_at", i->created_at);
	return o;
}

cJSON *json_file(const struct file_rec *f)
{
	char url[FILE_URL_MAX];
	cJSON *o = cJSON_CreateObject();
	file_url(f, url, sizeof url);
	cJSON_AddNumberToObject(o, "id", (double)f->id);
	cJSON_AddStringToObject(o, "url", url);
	cJSON_AddStringToObject(o, "filename", f->filename);
	cJSON_AddStringToObject(o, "mime_type", f->mime_type);
	cJSON_AddNumberToObject(o, "size", (double)f->size);
	jtime(o, "created_at", f->created_at);
	return o;
}

cJSON *json_reactions(const struct reaction_sum *r, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "emoji", r[i].emoji);
		cJSON_AddNumberToObject(o, "count", r[i].count);
		cJSON_AddBoolToObject(o, "me", r[i].me);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static void add_id_or_null(cJSON *o, const char *name, int64_t id)
{
	if (id)
		cJSON_AddNumberToObject(o, name, (double)id);
	else
		cJSON_AddNullToObject(o, name);
}

cJSON *json_message(const struct message *m)
{
	cJSON *o = cJSON_CreateObject(), *s = cJSON_CreateObject(), *files = cJSON_CreateArray(),
	      *mentions = cJSON_CreateArray();
	cJSON_AddNumberToObject(o, "id", (double)m->id);
	cJSON_AddNumberToObject(o, "chat_id", (double)m->chat_id);
	cJSON_AddNumberToObject(o, "sender_id", (double)m->sender_id);
	cJSON_AddNumberToObject(s, "id", (double)m->sender_id);
	cJSON_AddStringToObject(s, "fullname", m->sender_name);
	if (*m->sender_avatar)
		cJSON_AddStringToObject(s, "avatar_url", m->sender_avatar);
	else
		cJSON_AddNullToObject(s, "avatar_url");
	cJSON_AddItemToObject(o, "sender", s);
	cJSON_AddStringToObject(o, "content", m->content ? m->content : "");
	for (int i = 0; i < m->nfiles; i++)
		cJSON_AddItemToArray(files, json_file(&m->files[i]));
	cJSON_AddItemToObject(o, "files", files);
	add_id_or_null(o, "reply_to", m->reply_to);
	cJSON_AddNumberToObject(o, "reply_count", (double)m->reply_count);
	cJSON_AddItemToObject(o, "reactions", json_reactions(m->reactions, (size_t)m->nreactions));
	for (int i = 0; i < m->nmentions; i++)
		cJSON_AddItemToArray(mentions, cJSON_CreateNumber((double)m->mentions[i]));
	cJSON_AddItemToObject(o, "mentions", mentions);
	cJSON_AddBoolToObject(o, "mentions_all", m->mentions_all);
	if (*m->idempotency_key)
		cJSON_AddStringToObject(o, "idempotency_key", m->idempotency_key);
	else
		cJSON_AddNullToObject(o, "idempotency_key");
	jtime(o, "created_at", m->created_at);
	jtime(o, "edited_at", m->edited_at);
	cJSON_AddBoolToObject(o, "deleted", m->deleted_at != 0);
	return o;
}

cJSON *json_chat(const struct chat *c)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)c->id);
	cJSON_AddNumberToObject(o, "workspace_id", (double)c->workspace_id);
	cJSON_AddStringToObject(o, "name", c->name);
	cJSON_AddStringToObject(o, "chat_type", c->chat_type);
	cJSON_AddStringToObject(o, "description", c->description);
	cJSON_AddNumberToObject(o, "created_by", (double)c->created_by);
	cJSON_AddNumberToObject(o, "member_count", (double)c->member_count);
	jtime(o, "created_at", c->created_at);
	jtime(o, "updated_at", c->updated_at);
	return o;
}

cJSON *json_member(const struct chat_member *m)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "user_id", (double)m->user_id);
	cJSON_AddStringToObject(o, "fullname", m->fullname);
	if (*m->avatar_url)
		cJSON_AddStringToObject(o, "avatar_url", m->avatar_url);
	else
		cJSON_AddNullToObject(o, "avatar_url");
	cJSON_AddStringToObject(o, "role", m->role);
	jtime(o, "joined_at", m->joined_at);
	return o;
}

int jids(cJSON *arr, const char *field, size_t max, int64_t *out, size_t *n, struct fe_err *e)
{
	*n = 0;
	if (!cJSON_IsArray(arr))
		return err_set(e, FE_EINVAL, "VALIDATION_ERROR", field, "%s must be an array of ids", field);
	cJSON *it;
	cJSON_ArrayForEach(it, arr)
	{
		double d = cJSON_IsNumber(it) ? it->valuedouble : 0;
		if (!cJSON_IsNumber(it) || d < 1 || d > 9007199254740991.0 || d != (double)(int64_t)d)
			return err_set(e, FE_EINVAL, "VALIDATION_ERROR", field,
			               "%s must hold positive integer ids", field);
		if (*n == max)
			return err_set(e, FE_EINVAL, "VALIDATION_ERROR", field, "%s holds more than %zu ids",
			               field, max);
		out[(*n)++] = (int64_t)d;
	}
	return 0;
}

char *json_ok_text(cJSON *data, cJSON *meta)
{
	cJSON *env = cJSON_CreateObject();
	cJSON_AddTrueToObject(env, "success");
	cJSON_AddItemToObject(env, "data", data ? data : cJSON_CreateObject());
	if (meta)
		cJSON_AddItemToObject(env, "meta", meta);
	char *text = cJSON_PrintUnformatted(env);
	cJSON_Delete(env);
	if (!text)
		abort();
	return text;
}

char *json_error_text(const char *code, const char *message, const char *field)
{
	cJSON *env = cJSON_CreateObject(), *err = cJSON_CreateObject();
	cJSON_AddFalseToObject(env, "success");
	cJSON_AddStringToObject(err, "code", code);
	cJSON_AddStringToObject(err, "message", message);
	if (field)
		cJSON_AddStringToObject(err, "field", field);
	cJSON_AddItemToObject(env, "error", err);
	char *text = cJSON_PrintUnformatted(env);
	cJSON_Delete(env);
	if (!text)
		abort();
	return text;
}
