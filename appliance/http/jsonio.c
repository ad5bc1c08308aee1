/* http/jsonio: JSON field access and record rendering. */
#include <ctype.h>
#include <string.h>
#include "http/jsonio.h"
#include "lib/timefmt.h"

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
	if (!cJSON_IsNumber(v) || d != (double)(int64_t)d || d < (double)min || d > (double)max)
		return err_set(e, FE_EINVAL, "VALIDATION_ERROR", name, "%s must be an integer in %lld..%lld", name,
			       (long long)min, (long long)max);
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

cJSON *user_json(const struct user *u, int with_profile)
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

cJSON *workspace_json(const struct workspace *w)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)w->id);
	cJSON_AddStringToObject(o, "name", w->name);
	cJSON_AddNumberToObject(o, "owner_id", (double)w->owner_id);
	cJSON_AddNumberToObject(o, "member_count", (double)w->member_count);
	jtime(o, "created_at", w->created_at);
	return o;
}

cJSON *invite_json(const struct invite *i)
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
