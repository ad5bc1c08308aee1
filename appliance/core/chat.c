/* core/chat: chat and membership use cases. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/cached.h"
#include "core/chat.h"
#include "lib/log.h"
#include "lib/utf8.h"
#include "lib/xalloc.h"

int chat_role_manages(const char *role)
{
	return !strcmp(role, "owner") || !strcmp(role, "admin");
}

static int is_channel(const char *type)
{
	return !strcmp(type, "PublicChannel") || !strcmp(type, "PrivateChannel");
}

void chat_summaries_free(struct chat_summary *a, size_t n)
{
	for (size_t i = 0; a && i < n; i++) {
		message_clear(&a[i].last);
		free(a[i].members);
	}
	free(a);
}

int chat_require_member(struct app *app, const struct principal *p, int64_t id, struct chat *c,
                        struct fe_err *e)
{
	int rc = cached_chat(app, id, p->user_id, c);
	if (rc && rc != FE_ENOTFOUND)
		return err_store(e, rc);
	if (rc || c->workspace_id != p->workspace_id || !*c->my_role)
		return err_set(e, FE_ENOTFOUND, "NOT_FOUND", NULL, "no such chat");
	return 0;
}

/* A Single's name as viewer sees it: the other person's current full name
 * (read through user:{id}, which a profile change forgets, so a rename
 * shows at once). Left as stored ("") when the other cannot be read. */
static int single_title(struct app *app, int64_t viewer, struct chat_summary *s)
{
	struct user u;
	for (size_t i = 0; i < s->nmembers; i++) {
		if (s->members[i] == viewer)
			continue;
		int rc = cached_user(app, s->members[i], &u);
		if (rc)
			return rc == FE_ENOTFOUND ? 0 : rc;
		snprintf(s->chat.name, sizeof s->chat.name, "%s", u.fullname);
		return 0;
	}
	return 0;
}

/* Completes a summary for chat c (already loaded) as seen by p. */
static int summarize(struct app *app, const struct principal *p, struct chat_summary *s,
                     const struct unread *u)
{
	int rc;
	s->unread_count = u ? u->unread_count : 0;
	s->mention_count = u ? u->mention_count : 0;
	if ((rc = cached_member_ids(app, s->chat.id, &s->members, &s->nmembers)))
		return rc;
	if (!strcmp(s->chat.chat_type, "Single") && (rc = single_title(app, p->user_id, s)))
		return rc;
	if (s->chat.last_message_id &&
	    (rc = store_call(&app->store, message_get, s->chat.last_message_id, p->user_id, &s->last)) &&
	    rc != FE_ENOTFOUND)
		return rc;
	return 0;
}

/* Unread counters of one chat for p (zeros when none). */
static int unread_of(struct app *app, const struct principal *p, int64_t chat_id, struct unread *out)
{
	struct unread *all;
	size_t n;
	int rc = cached_unread(app, p->user_id, &all, &n);
	memset(out, 0, sizeof *out);
	for (size_t i = 0; !rc && i < n; i++)
		if (all[i].chat_id == chat_id)
			*out = all[i];
	free(all);
	return rc;
}

static int get_summary(struct app *app, const struct principal *p, int64_t id, struct chat_summary *out,
                       struct fe_err *e)
{
	struct unread u;
	memset(out, 0, sizeof *out);
	int rc = chat_require_member(app, p, id, &out->chat, e);
	if (rc)
		return rc;
	/* the cached record does not follow every message: read the chat's
	 * activity fields fresh */
	if ((rc = store_call(&app->store, chat_get, id, p->user_id, &out->chat)) ||
	    (rc = unread_of(app, p, id, &u)) || (rc = summarize(app, p, out, &u))) {
		message_clear(&out->last);
		free(out->members);
		out->members = NULL;
		return err_store(e, rc);
	}
	return 0;
}

int chat_get(struct app *app, const struct principal *p, int64_t id, struct chat_summary *out,
             struct fe_err *e)
{
	return get_summary(app, p, id, out, e);
}

int chat_list(struct app *app, const struct principal *p, struct chat_summary **out, size_t *n,
              struct fe_err *e)
{
	struct chat *chats = NULL;
	struct unread *u = NULL;
	size_t nc = 0, nu = 0;
	int rc;
	*out = NULL;
	*n = 0;
	if ((rc = store_call(&app->store, chats_of_user, p->user_id, &chats, &nc)) ||
	    (rc = cached_unread(app, p->user_id, &u, &nu)))
		goto out;
	*out = xcalloc(nc ? nc : 1, sizeof **out);
	for (size_t i = 0; i < nc; i++) {
		struct chat_summary *s = &(*out)[i];
		const struct unread *cu = NULL;
		for (size_t k = 0; k < nu && !cu; k++)
			if (u[k].chat_id == chats[i].id)
				cu = &u[k];
		s->chat = chats[i];
		*n = i + 1;
		if ((rc = summarize(app, p, s, cu)))
			goto out;
	}
out:
	free(chats);
	free(u);
	if (rc) {
		chat_summaries_free(*out, *n);
		*out = NULL;
		*n = 0;
		return err_store(e, rc);
	}
	return 0;
}

/* Checks a text field's length in characters and controls. */
static int check_text(const char *s, const char *field, size_t min, size_t max, struct fe_err *e)
{
	size_t n = utf8_chars(s);
	if (n < min || n > max || utf8_has_controls(s, 0))
		return err_set(e, FE_EINVAL, "VALIDATION_ERROR", field, "%s must be %zu..%zu characters",
		               field, min, max);
	return 0;
}

/* Checks that every id is an active user of p's workspace. */
static int check_users(struct app *app, const struct principal *p, const int64_t *ids, size_t n,
                       struct fe_err *e)
{
	for (size_t i = 0; i < n; i++) {
		struct user u;
		int rc = store_call(&app->store, user_get, ids[i], &u);
		if (rc && rc != FE_ENOTFOUND)
			return err_store(e, rc);
		if (rc || u.workspace_id != p->workspace_id || strcmp(u.status, "Active"))
			return err_set(e, FE_EINVAL, "VALIDATION_ERROR", "members",
			               "user %lld is not an active member of this workspace",
			               (long long)ids[i]);
	}
	return 0;
}

/* Copies ids without duplicates and without self into a new array. */
static int64_t *others(const int64_t *ids, size_t n, int64_t self, size_t *out_n)
{
	int64_t *o = xmalloc((n ? n : 1) * sizeof *o);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		int dup = ids[i] == self;
		for (size_t j = 0; j < k && !dup; j++)
			dup = o[j] == ids[i];
		if (!dup)
			o[k++] = ids[i];
	}
	*out_n = k;
	return o;
}

static void publish_chat(struct app *app, enum event_type t, const struct chat *c, int64_t actor,
                         int64_t user)
{
	/* one event for every member: a Single's name depends on who looks, so
	 * the event carries the stored "" (clients read the title from the list) */
	struct chat *one = NULL;
	if (!strcmp(c->chat_type, "Single") && *c->name) {
		one = xmalloc(sizeof *one);
		*one = *c;
		one->name[0] = 0;
		c = one;
	}
	struct event ev = {.type = t,
	                   .workspace_id = c->workspace_id,
	                   .chat_id = c->id,
	                   .actor_id = actor,
	                   .user_id = user,
	                   .chat = c};
	bus_publish(&app->bus, &ev);
	free(one);
}

int chat_create(struct app *app, const struct principal *p, const struct chat_create_in *in,
                struct chat_summary *out, int *created, struct fe_err *e)
{
	const char *type = in->chat_type;
	int rc;
	*created = 0;
	if (strcmp(type, "Single") && strcmp(type, "Group") && !is_channel(type))
		return err_set(e, FE_EINVAL, "VALIDATION_ERROR", "chat_type",
		               "chat_type must be Single, Group, PrivateChannel or PublicChannel");
	const char *name = in->name ? in->name : "", *desc = in->description ? in->description : "";
	if (is_channel(type) && (rc = check_text(name, "name", 1, 50, e)))
		return rc;
	if (!strcmp(type, "Group") && (rc = check_text(name, "name", 0, 50, e)))
		return rc;
	if ((rc = check_text(desc, "description", 0, 500, e)))
		return rc;
	if (in->nmembers > 1000)
		return err_set(e, FE_EINVAL, "VALIDATION_ERROR", "members", "at most 1000 members at once");
	size_t n;
	int64_t *ids = others(in->members, in->nmembers, p->user_id, &n);
	char single_key[48] = "";
	if (!strcmp(type, "Single")) {
		if (n != 1) {
			rc = err_set(e, FE_EINVAL, "VALIDATION_ERROR", "members",
			             "a Single chat needs exactly one other person");
			goto out;
		}
		name = "";
		int64_t lo = p->user_id < ids[0] ? p->user_id : ids[0], hi = p->user_id ^ ids[0] ^ lo,
		        existing;
		snprintf(single_key, sizeof single_key, "%lld:%lld", (long long)lo, (long long)hi);
		if (!store_call(&app->store, chat_find_single, p->workspace_id, single_key, &existing)) {
			rc = get_summary(app, p, existing, out, e);
			goto out;
		}
	} else if (!strcmp(type, "Group") && n < 1) {
		rc = err_set(e, FE_EINVAL, "VALIDATION_ERROR", "members",
		             "a Group needs at least one other member");
		goto out;
	}
	if ((rc = check_users(app, p, ids, n, e)))
		goto out;
	struct chat c = {0};
	c.workspace_id = p->workspace_id;
	c.created_by = p->user_id;
	c.created_at = app->now_ms();
	snprintf(c.chat_type, sizeof c.chat_type, "%s", type);
	snprintf(c.name, sizeof c.name, "%s", name);
	snprintf(c.description, sizeof c.description, "%s", desc);
	const char *creator_role = strcmp(type, "Single") ? "owner" : "member";
	if ((rc = store_call(&app->store, begin))) {
		rc = err_store(e, rc);
		goto out;
	}
	rc = store_call(&app->store, chat_insert, &c, *single_key ? single_key : NULL);
	if (rc == FE_ECONFLICT) {
		store_call(&app->store, rollback);
		rc = err_set(e, FE_ECONFLICT, "CHAT_EXISTS", "name", "a channel with this name exists");
		goto out;
	}
	if (!rc)
		rc = store_call(&app->store, member_add, c.id, p->user_id, creator_role, c.created_at);
	for (size_t i = 0; i < n && !rc; i++)
		rc = store_call(&app->store, member_add, c.id, ids[i], "member", c.created_at);
	if (rc || (rc = store_call(&app->store, commit))) {
		store_call(&app->store, rollback);
		rc = err_store(e, rc);
		goto out;
	}
	log_info("chat: created id=%lld type=%s members=%zu", (long long)c.id, type, n + 1);
	*created = 1;
	if (!(rc = get_summary(app, p, c.id, out, e)))
		publish_chat(app, EV_CHAT_CREATED, &out->chat, p->user_id, 0);
out:
	free(ids);
	return rc;
}

/* Loads the chat and requires the caller to be a chat owner/admin. */
static int require_manager(struct app *app, const struct principal *p, int64_t id, struct chat *c,
                           struct fe_err *e)
{
	int rc = chat_require_member(app, p, id, c, e);
	if (rc)
		return rc;
	if (!chat_role_manages(c->my_role))
		return err_set(e, FE_EFORBIDDEN, "FORBIDDEN", NULL, "chat owner or admin only");
	return 0;
}

int chat_update(struct app *app, const struct principal *p, int64_t id, const char *name,
                const char *description, struct chat_summary *out, struct fe_err *e)
{
	struct chat c;
	int rc;
	if ((rc = chat_require_member(app, p, id, &c, e)))
		return rc;
	if (name && !strcmp(c.chat_type, "Single"))
		return err_set(e, FE_EINVAL, "VALIDATION_ERROR", "name", "a Single chat has no name");
	if (!chat_role_manages(c.my_role))
		return err_set(e, FE_EFORBIDDEN, "FORBIDDEN", NULL, "chat owner or admin only");
	if (name) {
		if ((rc = check_text(name, "name", is_channel(c.chat_type) ? 1 : 0, 50, e)))
			return rc;
		snprintf(c.name, sizeof c.name, "%s", name);
	}
	if (description) {
		if ((rc = check_text(description, "description", 0, 500, e)))
			return rc;
		snprintf(c.description, sizeof c.description, "%s", description);
	}
	c.updated_at = app->now_ms();
	rc = store_call(&app->store, chat_update, &c);
	cache_forget_chat(app, id);
	if (rc == FE_ECONFLICT)
		return err_set(e, rc, "CHAT_EXISTS", "name", "a channel with this name exists");
	if (rc)
		return err_store(e, rc);
	if ((rc = get_summary(app, p, id, out, e)))
		return rc;
	publish_chat(app, EV_CHAT_UPDATED, &out->chat, p->user_id, 0);
	return 0;
}

int chat_delete(struct app *app, const struct principal *p, int64_t id, struct fe_err *e)
{
	struct chat c;
	int64_t *members = NULL;
	size_t n = 0;
	int rc = chat_require_member(app, p, id, &c, e);
	if (rc)
		return rc;
	if (strcmp(c.my_role, "owner"))
		return err_set(e, FE_EFORBIDDEN, "FORBIDDEN", NULL, "only a chat owner can delete it");
	if ((rc = store_call(&app->store, member_ids, id, &members, &n)))
		return err_store(e, rc);
	cache_forget_chat(app, id);
	if ((rc = store_call(&app->store, begin)) || (rc = store_call(&app->store, chat_delete, id)) ||
	    (rc = store_call(&app->store, commit))) {
		store_call(&app->store, rollback);
		free(members);
		return err_store(e, rc);
	}
	log_info("chat: deleted id=%lld by=%lld", (long long)id, (long long)p->user_id);
	struct event ev = {.type = EV_CHAT_DELETED,
	                   .workspace_id = c.workspace_id,
	                   .chat_id = id,
	                   .actor_id = p->user_id,
	                   .chat = &c,
	                   .audience = members,
	                   .naudience = n};
	bus_publish(&app->bus, &ev);
	free(members);
	return 0;
}

int chat_public(struct app *app, const struct principal *p, struct chat **out, size_t *n, struct fe_err *e)
{
	int rc = store_call(&app->store, chats_public, p->workspace_id, p->user_id, out, n);
	return rc ? err_store(e, rc) : 0;
}

/* Adds user to chat with the read marker at the newest message (history
 * is not "unread" for newcomers). Inside the caller's transaction. */
static int add_member(struct app *app, int64_t chat, int64_t user, int64_t now)
{
	int64_t last = 0;
	int rc = store_call(&app->store, member_add, chat, user, "member", now);
	if (!rc && !(rc = store_call(&app->store, max_message_id, chat, &last)) && last)
		rc = store_call(&app->store, read_set, chat, user, last, now);
	return rc;
}

int chat_join(struct app *app, const struct principal *p, int64_t id, struct chat_summary *out,
              struct fe_err *e)
{
	struct chat c;
	int rc = cached_chat(app, id, p->user_id, &c);
	if (rc && rc != FE_ENOTFOUND)
		return err_store(e, rc);
	if (rc || c.workspace_id != p->workspace_id || (strcmp(c.chat_type, "PublicChannel") && !*c.my_role))
		return err_set(e, FE_ENOTFOUND, "NOT_FOUND", NULL, "no such chat");
	if (!*c.my_role) {
		if ((rc = store_call(&app->store, begin)) ||
		    (rc = add_member(app, id, p->user_id, app->now_ms())) ||
		    (rc = store_call(&app->store, commit))) {
			store_call(&app->store, rollback);
			return err_store(e, rc);
		}
		cache_forget_chat(app, id);
		publish_chat(app, EV_USER_JOINED_CHAT, &c, p->user_id, p->user_id);
	}
	return get_summary(app, p, id, out, e);
}

/* Removes user from c and publishes UserLeftChat to the members before the
 * change (so the one who left hears it too). */
static int remove_member(struct app *app, const struct principal *p, const struct chat *c, int64_t user,
                         struct fe_err *e)
{
	int64_t *members = NULL;
	size_t n = 0;
	int rc = store_call(&app->store, member_ids, c->id, &members, &n);
	if (!rc)
		rc = store_call(&app->store, member_remove, c->id, user);
	cache_forget_chat(app, c->id);
	if (rc) {
		free(members);
		return err_store(e, rc);
	}
	struct event ev = {.type = EV_USER_LEFT_CHAT,
	                   .workspace_id = c->workspace_id,
	                   .chat_id = c->id,
	                   .actor_id = p->user_id,
	                   .user_id = user,
	                   .chat = c,
	                   .audience = members,
	                   .naudience = n};
	bus_publish(&app->bus, &ev);
	free(members);
	return 0;
}

int chat_leave(struct app *app, const struct principal *p, int64_t id, struct fe_err *e)
{
	struct chat c;
	int rc = chat_require_member(app, p, id, &c, e);
	if (rc)
		return rc;
	if (!strcmp(c.chat_type, "Single"))
		return err_set(e, FE_EFORBIDDEN, "CANNOT_LEAVE", NULL, "nobody can leave a direct message");
	if (!strcmp(c.my_role, "owner") && c.member_count > 1) {
		int64_t owners = 0;
		if ((rc = store_call(&app->store, owner_count, id, &owners)))
			return err_store(e, rc);
		if (owners <= 1)
			return err_set(e, FE_ECONFLICT, "LAST_OWNER", NULL,
			               "hand the ownership to another member before leaving");
	}
	return remove_member(app, p, &c, p->user_id, e);
}

int chat_members(struct app *app, const struct principal *p, int64_t id, struct chat_member **out, size_t *n,
                 struct fe_err *e)
{
	struct chat c;
	int rc = chat_require_member(app, p, id, &c, e);
	if (rc)
		return rc;
	rc = store_call(&app->store, members_list, id, out, n);
	return rc ? err_store(e, rc) : 0;
}

int chat_add_members(struct app *app, const struct principal *p, int64_t id, const int64_t *users, size_t n,
                     struct fe_err *e)
{
	struct chat c;
	int rc;
	if ((rc = require_manager(app, p, id, &c, e)))
		return rc;
	if (!strcmp(c.chat_type, "Single"))
		return err_set(e, FE_EFORBIDDEN, "FORBIDDEN", NULL,
		               "a direct message has exactly two people");
	if (!n || n > 1000)
		return err_set(e, FE_EINVAL, "VALIDATION_ERROR", "user_ids", "give 1..1000 user ids");
	size_t k;
	int64_t *ids = others(users, n, p->user_id, &k);
	if ((rc = check_users(app, p, ids, k, e))) {
		free(ids);
		return rc;
	}
	int64_t now = app->now_ms();
	size_t added = 0;
	int64_t *fresh = xmalloc((k ? k : 1) * sizeof *fresh);
	if ((rc = store_call(&app->store, begin)))
		goto fail;
	for (size_t i = 0; i < k; i++) {
		struct chat_member m;
		if (!store_call(&app->store, member_get, id, ids[i], &m))
			continue;
		if ((rc = add_member(app, id, ids[i], now)))
			goto fail;
		fresh[added++] = ids[i];
	}
	if ((rc = store_call(&app->store, commit)))
		goto fail;
	cache_forget_chat(app, id);
	for (size_t i = 0; i < added; i++)
		publish_chat(app, EV_USER_JOINED_CHAT, &c, p->user_id, fresh[i]);
	free(ids);
	free(fresh);
	return 0;
fail:
	store_call(&app->store, rollback);
	free(ids);
	free(fresh);
	return err_store(e, rc);
}

int chat_remove_member(struct app *app, const struct principal *p, int64_t id, int64_t user, struct fe_err *e)
{
	struct chat c;
	struct chat_member m;
	int rc;
	if ((rc = require_manager(app, p, id, &c, e)))
		return rc;
	if (user == p->user_id)
		return chat_leave(app, p, id, e);
	if ((rc = store_call(&app->store, member_get, id, user, &m)))
		return rc == FE_ENOTFOUND ? err_set(e, rc, "NOT_FOUND", NULL, "not a member")
		                          : err_store(e, rc);
	if (!strcmp(m.role, "owner") && strcmp(c.my_role, "owner"))
		return err_set(e, FE_EFORBIDDEN, "FORBIDDEN", NULL, "an admin cannot remove an owner");
	return remove_member(app, p, &c, user, e);
}

int chat_set_role(struct app *app, const struct principal *p, int64_t id, int64_t user, const char *role,
                  struct fe_err *e)
{
	struct chat c;
	struct chat_member m;
	int rc;
	if (!role || (strcmp(role, "owner") && strcmp(role, "admin") && strcmp(role, "member")))
		return err_set(e, FE_EINVAL, "VALIDATION_ERROR", "role",
		               "role must be owner, admin or member");
	if ((rc = require_manager(app, p, id, &c, e)))
		return rc;
	if ((rc = store_call(&app->store, member_get, id, user, &m)))
		return rc == FE_ENOTFOUND ? err_set(e, rc, "NOT_FOUND", NULL, "not a member")
		                          : err_store(e, rc);
	if (!strcmp(c.chat_type, "Single"))
		return err_set(e, FE_EFORBIDDEN, "FORBIDDEN", NULL, "a direct message has no roles");
	if (strcmp(c.my_role, "owner"))
		return err_set(e, FE_EFORBIDDEN, "FORBIDDEN", NULL, "only a chat owner changes roles");
	if (!strcmp(m.role, "owner") && strcmp(role, "owner")) {
		int64_t owners = 0;
		if ((rc = store_call(&app->store, owner_count, id, &owners)))
			return err_store(e, rc);
		if (owners <= 1)
			return err_set(e, FE_ECONFLICT, "LAST_OWNER", NULL,
			               "a chat needs at least one owner");
	}
	rc = store_call(&app->store, member_set_role, id, user, role);
	cache_forget_chat(app, id);
	if (rc)
		return err_store(e, rc);
	publish_chat(app, EV_CHAT_UPDATED, &c, p->user_id, user);
	return 0;
}
