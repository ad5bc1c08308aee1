/* tests/unit/test_chat: the chat and membership use cases (core/chat) on a
 * real app: SQLite in memory, the in-process bus with a recording handler,
 * the writer in write-through mode (no loop) for the messages that give
 * chats their activity, and a fake clock. */
#define MAX_EV 64 /* events recorded per test */
#include "testapp.h"
#include "core/chat.h"
#include "core/message.h"

/* ---- harness (testapp.h) ---- */

static int setup(void **state)
{
	return app_setup(&(struct app_opts){.record = EV_ALL, .writer = TA_WRITE_THROUGH});
}

static int teardown(void **state)
{
	return app_teardown();
}

static int64_t wsA, wsB;
static struct principal ann, ben, cat, dan, eve, bob_b;

static void seed(void)
{
	wsA = add_workspace("Acme");
	wsB = add_workspace("Bravo");
	ann = add_user(wsA, "ann@acme.io", "Ann Arbor", "owner");
	ben = add_user(wsA, "ben@acme.io", "Ben Bay", "member");
	cat = add_user(wsA, "cat@acme.io", "Cat Cove", "member");
	dan = add_user(wsA, "dan@acme.io", "Dan Dale", "member");
	eve = add_user(wsA, "eve@acme.io", "Eve Elm", "member");
	bob_b = add_user(wsB, "bob@bravo.io", "Bob Bravo", "owner");
	clear_events();
}

static int create(const struct principal *p, const char *type, const char *name, const int64_t *members,
                  size_t n, struct chat_summary *out, int *created, struct fe_err *e)
{
	struct chat_create_in in = {name, type, NULL, members, n};
	memset(out, 0, sizeof *out);
	return chat_create(&app, p, &in, out, created, e);
}

/* Creates a chat that must succeed; returns its id. */
static int64_t mk(const struct principal *p, const char *type, const char *name, const int64_t *members,
                  size_t n)
{
	struct chat_summary s;
	struct fe_err e = {0};
	int created = -1;
	assert_int_equal(create(p, type, name, members, n, &s, &created, &e), 0);
	assert_int_equal(created, 1);
	int64_t id = s.chat.id;
	message_clear(&s.last);
	free(s.members);
	return id;
}

struct sent {
	int called, rc, created;
	int64_t id;
};

static void on_sent(void *req, int rc, const struct fe_err *e, const struct message *m, int created)
{
	struct sent *s = req;
	s->called++;
	s->rc = rc;
	if (!rc) {
		s->id = m->id;
		s->created = created;
	}
}

static int64_t send_msg(const struct principal *p, int64_t chat, const char *content)
{
	struct send_in in = {0};
	struct sent s = {0};
	struct fe_err e = {0};
	in.content = content;
	assert_int_equal(message_send(&app, p, chat, &in, on_sent, &s, &e), 0);
	assert_int_equal(s.called, 1);
	assert_int_equal(s.rc, 0);
	assert_int_equal(s.created, 1);
	return s.id;
}

static void summary_clear(struct chat_summary *s)
{
	message_clear(&s->last);
	free(s->members);
	s->members = NULL;
}

static const struct rec *only_event(enum event_type t)
{
	assert_int_equal(nev, 1);
	assert_int_equal(evs[0].type, t);
	return &evs[0];
}

/* ---- create ---- */

static void test_create_single(void **state)
{
	seed();
	struct chat_summary s;
	struct fe_err e = {0};
	int created = -1;
	int64_t other[] = {ben.user_id};
	assert_int_equal(create(&ann, "Single", "ignored", other, 1, &s, &created, &e), 0);
	assert_int_equal(created, 1);
	int64_t id = s.chat.id;
	assert_true(id > 0);
	assert_string_equal(s.chat.chat_type, "Single");
	assert_string_equal(s.chat.name, "Ben Bay"); /* the other person, as the viewer sees it (issue 12) */
	assert_int_equal(s.chat.workspace_id, wsA);
	assert_int_equal(s.chat.created_by, ann.user_id);
	assert_int_equal(s.chat.member_count, 2);
	assert_string_equal(s.chat.my_role, "member"); /* both people of a Single are members */
	assert_int_equal(s.nmembers, 2);
	assert_int_equal(s.members[0], ann.user_id);
	assert_int_equal(s.members[1], ben.user_id);
	assert_int_equal(s.last.id, 0);
	summary_clear(&s);
	const struct rec *r = only_event(EV_CHAT_CREATED);
	assert_int_equal(r->chat_id, id);
	assert_int_equal(r->actor_id, ann.user_id);
	assert_int_equal(r->workspace_id, wsA);
	assert_true(r->has_chat);

	/* the same pair again, from either side: the existing chat, no event */
	clear_events();
	created = -1;
	assert_int_equal(create(&ann, "Single", NULL, other, 1, &s, &created, &e), 0);
	assert_int_equal(created, 0);
	assert_int_equal(s.chat.id, id);
	summary_clear(&s);
	int64_t me[] = {ann.user_id, ben.user_id}; /* the caller may appear too */
	assert_int_equal(create(&ben, "Single", NULL, me, 2, &s, &created, &e), 0);
	assert_int_equal(created, 0);
	assert_int_equal(s.chat.id, id);
	assert_string_equal(s.chat.my_role, "member");
	summary_clear(&s);
	assert_int_equal(nev, 0);

	/* another pair is another chat */
	int64_t third[] = {cat.user_id};
	assert_int_equal(create(&ann, "Single", NULL, third, 1, &s, &created, &e), 0);
	assert_int_equal(created, 1);
	assert_int_not_equal(s.chat.id, id);
	summary_clear(&s);

	/* exactly one other person */
	int64_t two[] = {ben.user_id, cat.user_id};
	assert_int_equal(create(&ann, "Single", NULL, two, 2, &s, &created, &e), FE_EINVAL);
	assert_string_equal(e.field, "members");
	int64_t self[] = {ann.user_id};
	assert_int_equal(create(&ann, "Single", NULL, self, 1, &s, &created, &e), FE_EINVAL);
	assert_string_equal(e.field, "members");
	assert_int_equal(create(&ann, "Single", NULL, NULL, 0, &s, &created, &e), FE_EINVAL);
}

static void test_create_group(void **state)
{
	seed();
	struct chat_summary s;
	struct fe_err e = {0};
	int created = -1;
	assert_int_equal(create(&ann, "Group", "Lunch", NULL, 0, &s, &created, &e), FE_EINVAL);
	assert_string_equal(e.field, "members");
	int64_t self[] = {ann.user_id, ann.user_id};
	assert_int_equal(create(&ann, "Group", "Lunch", self, 2, &s, &created, &e), FE_EINVAL);
	assert_string_equal(e.field, "members");
	assert_int_equal(nev, 0);

	int64_t m[] = {ben.user_id, cat.user_id, ben.user_id};
	assert_int_equal(create(&ann, "Group", "Lunch", m, 3, &s, &created, &e), 0);
	assert_int_equal(created, 1);
	assert_string_equal(s.chat.chat_type, "Group");
	assert_string_equal(s.chat.name, "Lunch");
	assert_int_equal(s.chat.member_count, 3);
	assert_string_equal(s.chat.my_role, "owner");
	assert_int_equal(s.nmembers, 3);
	int64_t gid = s.chat.id;
	summary_clear(&s);
	assert_int_equal(only_event(EV_CHAT_CREATED)->chat_id, gid);

	/* a group name may be empty, and groups may share names */
	assert_int_equal(create(&ann, "Group", NULL, m, 1, &s, &created, &e), 0);
	assert_string_equal(s.chat.name, "");
	summary_clear(&s);
	assert_int_equal(create(&ben, "Group", "lunch", m + 1, 1, &s, &created, &e), 0);
	summary_clear(&s);
	struct chat_member *list = NULL;
	size_t n = 0;
	assert_int_equal(chat_members(&app, &cat, gid, &list, &n, &e), 0);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(list[i].role, list[i].user_id == ann.user_id ? "owner" : "member");
	free(list);
}

static void test_create_validation(void **state)
{
	seed();
	struct chat_summary s;
	struct fe_err e = {0};
	int created;
	int64_t m[] = {ben.user_id};
	assert_int_equal(create(&ann, "Room", "x", m, 1, &s, &created, &e), FE_EINVAL);
	assert_string_equal(e.field, "chat_type");
	assert_int_equal(create(&ann, "PublicChannel", "", m, 1, &s, &created, &e), FE_EINVAL);
	assert_string_equal(e.field, "name");
	assert_int_equal(create(&ann, "PrivateChannel", NULL, m, 1, &s, &created, &e), FE_EINVAL);
	assert_string_equal(e.field, "name");
	char n51[52];
	memset(n51, 'n', 51);
	n51[51] = 0;
	assert_int_equal(create(&ann, "PublicChannel", n51, m, 1, &s, &created, &e), FE_EINVAL);
	assert_string_equal(e.field, "name");
	assert_int_equal(create(&ann, "Group", n51, m, 1, &s, &created, &e), FE_EINVAL);
	assert_string_equal(e.field, "name");
	assert_int_equal(create(&ann, "PublicChannel", "bad\x01name", m, 1, &s, &created, &e), FE_EINVAL);
	/* 50 characters, not bytes */
	char u50[120] = "";
	for (int i = 0; i < 50; i++)
		strcat(u50, "é");
	assert_int_equal(create(&ann, "PublicChannel", u50, m, 1, &s, &created, &e), 0);
	summary_clear(&s);
	char d501[502];
	memset(d501, 'd', 501);
	d501[501] = 0;
	struct chat_create_in in = {"desc", "PublicChannel", d501, m, 1};
	assert_int_equal(chat_create(&app, &ann, &in, &s, &created, &e), FE_EINVAL);
	assert_string_equal(e.field, "description");
	in.description = "A fine channel";
	assert_int_equal(chat_create(&app, &ann, &in, &s, &created, &e), 0);
	assert_string_equal(s.chat.description, "A fine channel");
	summary_clear(&s);
}

static void test_channel_names_unique(void **state)
{
	seed();
	struct chat_summary s;
	struct fe_err e = {0};
	int created;
	mk(&ann, "PublicChannel", "Über", NULL, 0);
	clear_events();
	assert_int_equal(create(&ben, "PublicChannel", "über", NULL, 0, &s, &created, &e), FE_ECONFLICT);
	assert_non_null(e.code);
	assert_string_equal(e.code, "CHAT_EXISTS");
	memset(&e, 0, sizeof e);
	assert_int_equal(create(&ben, "PrivateChannel", "ÜBER", NULL, 0, &s, &created, &e), FE_ECONFLICT);
	assert_string_equal(e.code, "CHAT_EXISTS");
	mk(&ann, "PublicChannel", "General", NULL, 0);
	memset(&e, 0, sizeof e);
	assert_int_equal(create(&cat, "PrivateChannel", "gENERAL", NULL, 0, &s, &created, &e), FE_ECONFLICT);
	assert_string_equal(e.code, "CHAT_EXISTS");
	assert_int_equal(nev, 1); /* only General's ChatCreated */
	/* the failed attempts left nothing behind */
	struct chat_summary *list = NULL;
	size_t n = 0;
	assert_int_equal(chat_list(&app, &ben, &list, &n, &e), 0);
	assert_int_equal(n, 0);
	chat_summaries_free(list, n);
	/* another workspace may use the name */
	assert_int_equal(create(&bob_b, "PublicChannel", "über", NULL, 0, &s, &created, &e), 0);
	summary_clear(&s);
	/* renaming onto a taken name conflicts */
	int64_t other = mk(&ann, "PublicChannel", "random", NULL, 0);
	memset(&e, 0, sizeof e);
	assert_int_equal(chat_update(&app, &ann, other, "üBER", NULL, &s, &e), FE_ECONFLICT);
	assert_string_equal(e.code, "CHAT_EXISTS");
}

static void test_members_other_workspace(void **state)
{
	seed();
	struct chat_summary s;
	struct fe_err e = {0};
	int created;
	int64_t m[] = {ben.user_id, bob_b.user_id};
	assert_int_equal(create(&ann, "Group", "x", m, 2, &s, &created, &e), FE_EINVAL);
	assert_string_equal(e.field, "members");
	int64_t single[] = {bob_b.user_id};
	assert_int_equal(create(&ann, "Single", NULL, single, 1, &s, &created, &e), FE_EINVAL);
	assert_string_equal(e.field, "members");
	int64_t ghost[] = {987654};
	assert_int_equal(create(&ann, "PublicChannel", "ghosts", ghost, 1, &s, &created, &e), FE_EINVAL);
	assert_string_equal(e.field, "members");
	/* a suspended user is not an active member */
	assert_int_equal(
	    app.store.ops->user_set_role_status(app.store.impl, eve.user_id, "member", "Suspended"), 0);
	int64_t sus[] = {eve.user_id};
	assert_int_equal(create(&ann, "Group", "x", sus, 1, &s, &created, &e), FE_EINVAL);
	assert_string_equal(e.field, "members");
	assert_int_equal(nev, 0);
	struct chat_summary *list = NULL;
	size_t n = 0;
	assert_int_equal(chat_list(&app, &ann, &list, &n, &e), 0);
	assert_int_equal(n, 0);
	chat_summaries_free(list, n);
}

/* ---- list and get ---- */

static void test_list_by_activity(void **state)
{
	seed();
	int64_t m[] = {ben.user_id};
	clock_set(T0 + 1);
	int64_t a = mk(&ann, "Group", "a", m, 1);
	clock_set(T0 + 2);
	int64_t b = mk(&ann, "Group", "b", m, 1);
	clock_set(T0 + 3);
	int64_t c = mk(&ann, "PublicChannel", "c", m, 1);
	mk(&cat, "Group", "not ann's", (int64_t[]){dan.user_id}, 1);

	struct chat_summary *list = NULL;
	size_t n = 0;
	struct fe_err e = {0};
	assert_int_equal(chat_list(&app, &ann, &list, &n, &e), 0);
	assert_int_equal(n, 3);
	assert_int_equal(list[0].chat.id, c);
	assert_int_equal(list[1].chat.id, b);
	assert_int_equal(list[2].chat.id, a);
	chat_summaries_free(list, n);

	clock_set(T0 + 10);
	int64_t m1 = send_msg(&ben, a, "wake up a");
	clock_set(T0 + 11);
	send_msg(&ann, b, "then b");
	clock_set(T0 + 12);
	int64_t m3 = send_msg(&ben, a, "a again");
	assert_true(m3 > m1);
	assert_int_equal(chat_list(&app, &ann, &list, &n, &e), 0);
	assert_int_equal(n, 3);
	assert_int_equal(list[0].chat.id, a);
	assert_int_equal(list[1].chat.id, b);
	assert_int_equal(list[2].chat.id, c);
	/* the summary carries the last message, unread counts and members */
	assert_int_equal(list[0].last.id, m3);
	assert_string_equal(list[0].last.content, "a again");
	assert_int_equal(list[0].unread_count, 2);
	assert_int_equal(list[1].unread_count, 0); /* own message */
	assert_int_equal(list[2].last.id, 0);
	assert_int_equal(list[0].nmembers, 2);
	chat_summaries_free(list, n);

	struct chat_summary s;
	assert_int_equal(chat_get(&app, &ann, a, &s, &e), 0);
	assert_int_equal(s.chat.id, a);
	assert_int_equal(s.chat.last_message_id, m3);
	assert_int_equal(s.chat.last_activity_at, T0 + 12);
	assert_int_equal(s.last.id, m3);
	assert_int_equal(s.unread_count, 2);
	summary_clear(&s);
}

static void test_get_invisible(void **state)
{
	seed();
	int64_t m[] = {ben.user_id};
	int64_t g = mk(&ann, "Group", "g", m, 1);
	int64_t pub = mk(&ann, "PublicChannel", "pub", NULL, 0);
	struct chat_summary s;
	struct fe_err e = {0};
	assert_int_equal(chat_get(&app, &cat, g, &s, &e), FE_ENOTFOUND);
	assert_string_equal(e.code, "NOT_FOUND");
	/* even a public channel is not readable before joining */
	assert_int_equal(chat_get(&app, &cat, pub, &s, &e), FE_ENOTFOUND);
	assert_int_equal(chat_get(&app, &bob_b, g, &s, &e), FE_ENOTFOUND);
	assert_int_equal(chat_get(&app, &ann, 424242, &s, &e), FE_ENOTFOUND);
	struct chat_member *list = NULL;
	size_t n = 0;
	assert_int_equal(chat_members(&app, &cat, g, &list, &n, &e), FE_ENOTFOUND);
	assert_int_equal(chat_delete(&app, &cat, g, &e), FE_ENOTFOUND);
	assert_int_equal(chat_update(&app, &cat, g, "mine", NULL, &s, &e), FE_ENOTFOUND);
	assert_int_equal(chat_leave(&app, &cat, g, &e), FE_ENOTFOUND);
	assert_int_equal(chat_get(&app, &ben, g, &s, &e), 0);
	assert_string_equal(s.chat.my_role, "member");
	summary_clear(&s);
}

/* ---- update and delete ---- */

static void test_update_rights(void **state)
{
	seed();
	int64_t m[] = {ben.user_id, cat.user_id};
	int64_t g = mk(&ann, "PrivateChannel", "team", m, 2);
	struct chat_summary s;
	struct fe_err e = {0};
	clear_events();
	assert_int_equal(chat_update(&app, &ben, g, "mine", NULL, &s, &e), FE_EFORBIDDEN);
	assert_int_equal(nev, 0);

	clock_set(T0 + 500);
	assert_int_equal(chat_update(&app, &ann, g, "Team A", "the A team", &s, &e), 0);
	assert_string_equal(s.chat.name, "Team A");
	assert_string_equal(s.chat.description, "the A team");
	assert_int_equal(s.chat.updated_at, T0 + 500);
	summary_clear(&s);
	const struct rec *r = only_event(EV_CHAT_UPDATED);
	assert_int_equal(r->chat_id, g);
	assert_int_equal(r->actor_id, ann.user_id);
	assert_string_equal(r->chat_name, "Team A");

	/* a chat admin may update; NULL keeps a value */
	assert_int_equal(chat_set_role(&app, &ann, g, cat.user_id, "admin", &e), 0);
	clear_events();
	assert_int_equal(chat_update(&app, &cat, g, NULL, "by the admin", &s, &e), 0);
	assert_string_equal(s.chat.name, "Team A");
	assert_string_equal(s.chat.description, "by the admin");
	summary_clear(&s);
	assert_int_equal(only_event(EV_CHAT_UPDATED)->actor_id, cat.user_id);
	/* a channel name cannot become empty */
	assert_int_equal(chat_update(&app, &ann, g, "", NULL, &s, &e), FE_EINVAL);
	assert_string_equal(e.field, "name");

	/* a Single cannot be renamed */
	int64_t single = mk(&ann, "Single", NULL, (int64_t[]){dan.user_id}, 1);
	clear_events();
	memset(&e, 0, sizeof e);
	assert_int_equal(chat_update(&app, &ann, single, "Our DM", NULL, &s, &e), FE_EINVAL);
	assert_string_equal(e.field, "name");
	assert_int_equal(nev, 0);
	assert_int_equal(chat_get(&app, &ann, single, &s, &e), 0);
	assert_string_equal(s.chat.name, "Dan Dale"); /* the other person's name, not a stored one */
	summary_clear(&s);
}

static void test_delete_owner_only(void **state)
{
	seed();
	int64_t m[] = {ben.user_id, cat.user_id};
	int64_t g = mk(&ann, "Group", "g", m, 2);
	send_msg(&ben, g, "hello");
	struct fe_err e = {0};
	assert_int_equal(chat_set_role(&app, &ann, g, ben.user_id, "admin", &e), 0);
	clear_events();
	assert_int_equal(chat_delete(&app, &cat, g, &e), FE_EFORBIDDEN);
	assert_int_equal(chat_delete(&app, &ben, g, &e), FE_EFORBIDDEN); /* admin */
	assert_int_equal(nev, 0);
	assert_int_equal(chat_delete(&app, &ann, g, &e), 0);
	const struct rec *r = only_event(EV_CHAT_DELETED);
	assert_int_equal(r->chat_id, g);
	assert_int_equal(r->actor_id, ann.user_id);
	assert_int_equal(r->naudience, 3);
	assert_true(audience_has(r, ann.user_id));
	assert_true(audience_has(r, ben.user_id));
	assert_true(audience_has(r, cat.user_id));
	struct chat_summary s;
	assert_int_equal(chat_get(&app, &ann, g, &s, &e), FE_ENOTFOUND);
	assert_int_equal(chat_get(&app, &ben, g, &s, &e), FE_ENOTFOUND);
	assert_int_equal(chat_delete(&app, &ann, g, &e), FE_ENOTFOUND);
	struct chat_summary *list = NULL;
	size_t n = 0;
	assert_int_equal(chat_list(&app, &ben, &list, &n, &e), 0);
	assert_int_equal(n, 0);
	chat_summaries_free(list, n);
}

/* ---- join and leave ---- */

static void test_join_public_only(void **state)
{
	seed();
	int64_t pub = mk(&ann, "PublicChannel", "town-square", NULL, 0);
	int64_t priv = mk(&ann, "PrivateChannel", "backroom", NULL, 0);
	int64_t grp = mk(&ann, "Group", "grp", (int64_t[]){ben.user_id}, 1);
	int64_t m1 = send_msg(&ann, pub, "history before joining");
	struct fe_err e = {0};
	struct chat_summary s;

	struct chat *pubs = NULL;
	size_t n = 0;
	assert_int_equal(chat_public(&app, &cat, &pubs, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(pubs[0].id, pub);
	free(pubs);
	assert_int_equal(chat_public(&app, &bob_b, &pubs, &n, &e), 0);
	assert_int_equal(n, 0);
	free(pubs);

	clear_events();
	assert_int_equal(chat_join(&app, &cat, priv, &s, &e), FE_ENOTFOUND);
	assert_int_equal(chat_join(&app, &cat, grp, &s, &e), FE_ENOTFOUND);
	assert_int_equal(chat_join(&app, &bob_b, pub, &s, &e), FE_ENOTFOUND); /* other workspace */
	assert_int_equal(chat_join(&app, &cat, 424242, &s, &e), FE_ENOTFOUND);
	assert_int_equal(nev, 0);

	assert_int_equal(chat_join(&app, &cat, pub, &s, &e), 0);
	assert_int_equal(s.chat.id, pub);
	assert_string_equal(s.chat.my_role, "member");
	assert_int_equal(s.chat.member_count, 2);
	/* history is not unread for a newcomer */
	assert_int_equal(s.unread_count, 0);
	assert_int_equal(s.last.id, m1);
	summary_clear(&s);
	const struct rec *r = only_event(EV_USER_JOINED_CHAT);
	assert_int_equal(r->chat_id, pub);
	assert_int_equal(r->user_id, cat.user_id);
	assert_int_equal(r->actor_id, cat.user_id);
	int64_t marker = 0;
	assert_int_equal(app.store.ops->read_get(app.store.impl, pub, cat.user_id, &marker), 0);
	assert_int_equal(marker, m1);

	/* joining again is fine and silent */
	clear_events();
	assert_int_equal(chat_join(&app, &cat, pub, &s, &e), 0);
	assert_int_equal(s.chat.member_count, 2);
	summary_clear(&s);
	assert_int_equal(nev, 0);
	/* a member of a private channel "joining" gets it back */
	assert_int_equal(chat_join(&app, &ann, priv, &s, &e), 0);
	assert_int_equal(s.chat.id, priv);
	summary_clear(&s);
	assert_int_equal(nev, 0);
	assert_int_equal(chat_public(&app, &cat, &pubs, &n, &e), 0);
	assert_int_equal(n, 0);
	free(pubs);
}

static void test_leave_rules(void **state)
{
	seed();
	struct fe_err e = {0};
	int64_t single = mk(&ann, "Single", NULL, (int64_t[]){ben.user_id}, 1);
	memset(&e, 0, sizeof e);
	assert_int_equal(chat_leave(&app, &ann, single, &e), FE_EFORBIDDEN);
	assert_string_equal(e.code, "CANNOT_LEAVE");
	assert_int_equal(chat_leave(&app, &ben, single, &e), FE_EFORBIDDEN);

	int64_t g = mk(&ann, "Group", "g", (int64_t[]){ben.user_id, cat.user_id}, 2);
	clear_events();
	memset(&e, 0, sizeof e);
	assert_int_equal(chat_leave(&app, &ann, g, &e), FE_ECONFLICT);
	assert_string_equal(e.code, "LAST_OWNER");
	assert_int_equal(nev, 0);

	/* a plain member leaves; the audience includes the leaver */
	assert_int_equal(chat_leave(&app, &cat, g, &e), 0);
	const struct rec *r = only_event(EV_USER_LEFT_CHAT);
	assert_int_equal(r->chat_id, g);
	assert_int_equal(r->user_id, cat.user_id);
	assert_int_equal(r->actor_id, cat.user_id);
	assert_int_equal(r->naudience, 3);
	assert_true(audience_has(r, cat.user_id));
	assert_true(audience_has(r, ann.user_id));
	assert_true(audience_has(r, ben.user_id));
	struct chat_summary s;
	assert_int_equal(chat_get(&app, &cat, g, &s, &e), FE_ENOTFOUND);
	assert_int_equal(chat_leave(&app, &cat, g, &e), FE_ENOTFOUND);

	/* with a second owner the first may leave */
	assert_int_equal(chat_set_role(&app, &ann, g, ben.user_id, "owner", &e), 0);
	clear_events();
	assert_int_equal(chat_leave(&app, &ann, g, &e), 0);
	assert_int_equal(only_event(EV_USER_LEFT_CHAT)->user_id, ann.user_id);
	/* the last member, an owner, may leave an otherwise empty chat */
	assert_int_equal(chat_leave(&app, &ben, g, &e), 0);
	assert_int_equal(chat_get(&app, &ben, g, &s, &e), FE_ENOTFOUND);
}

/* ---- members ---- */

static void test_add_remove_members(void **state)
{
	seed();
	struct fe_err e = {0};
	int64_t g = mk(&ann, "PrivateChannel", "team", (int64_t[]){ben.user_id}, 1);
	int64_t m1 = send_msg(&ann, g, "before cat");
	clear_events();

	/* a plain member cannot add */
	int64_t add[] = {cat.user_id};
	assert_int_equal(chat_add_members(&app, &ben, g, add, 1, &e), FE_EFORBIDDEN);
	/* not from another workspace */
	int64_t foreign[] = {cat.user_id, bob_b.user_id};
	assert_int_equal(chat_add_members(&app, &ann, g, foreign, 2, &e), FE_EINVAL);
	assert_string_equal(e.field, "members");
	assert_int_equal(chat_add_members(&app, &ann, g, NULL, 0, &e), FE_EINVAL);
	assert_int_equal(nev, 0);

	int64_t both[] = {cat.user_id, dan.user_id, ben.user_id /* already in */, cat.user_id};
	assert_int_equal(chat_add_members(&app, &ann, g, both, 4, &e), 0);
	assert_int_equal(nev, 2);
	assert_int_equal(evs[0].type, EV_USER_JOINED_CHAT);
	assert_int_equal(evs[0].user_id, cat.user_id);
	assert_int_equal(evs[0].actor_id, ann.user_id);
	assert_int_equal(evs[0].chat_id, g);
	assert_int_equal(evs[1].type, EV_USER_JOINED_CHAT);
	assert_int_equal(evs[1].user_id, dan.user_id);
	struct chat_member *list = NULL;
	size_t n = 0;
	assert_int_equal(chat_members(&app, &cat, g, &list, &n, &e), 0);
	assert_int_equal(n, 4);
	free(list);
	/* newcomers start with the history read */
	struct chat_summary s;
	assert_int_equal(chat_get(&app, &cat, g, &s, &e), 0);
	assert_int_equal(s.unread_count, 0);
	assert_int_equal(s.last.id, m1);
	summary_clear(&s);

	/* Single: nobody can be added */
	int64_t single = mk(&ann, "Single", NULL, (int64_t[]){eve.user_id}, 1);
	assert_int_equal(chat_add_members(&app, &ann, single, add, 1, &e), FE_EFORBIDDEN);

	/* remove: members cannot; admins cannot remove an owner; owners can */
	assert_int_equal(chat_set_role(&app, &ann, g, ben.user_id, "admin", &e), 0);
	clear_events();
	assert_int_equal(chat_remove_member(&app, &cat, g, dan.user_id, &e), FE_EFORBIDDEN);
	assert_int_equal(chat_remove_member(&app, &ben, g, ann.user_id, &e), FE_EFORBIDDEN);
	assert_int_equal(chat_remove_member(&app, &ben, g, eve.user_id, &e), FE_ENOTFOUND);
	assert_int_equal(nev, 0);
	assert_int_equal(chat_remove_member(&app, &ben, g, dan.user_id, &e), 0);
	const struct rec *r = only_event(EV_USER_LEFT_CHAT);
	assert_int_equal(r->user_id, dan.user_id);
	assert_int_equal(r->actor_id, ben.user_id);
	assert_true(audience_has(r, dan.user_id));
	assert_int_equal(r->naudience, 4);
	assert_int_equal(chat_get(&app, &dan, g, &s, &e), FE_ENOTFOUND);
	clear_events();
	assert_int_equal(chat_remove_member(&app, &ann, g, cat.user_id, &e), 0);
	assert_int_equal(only_event(EV_USER_LEFT_CHAT)->user_id, cat.user_id);
	/* removing oneself is leaving (the last owner may not) */
	memset(&e, 0, sizeof e);
	assert_int_equal(chat_remove_member(&app, &ann, g, ann.user_id, &e), FE_ECONFLICT);
	assert_string_equal(e.code, "LAST_OWNER");
	assert_int_equal(chat_members(&app, &ann, g, &list, &n, &e), 0);
	assert_int_equal(n, 2);
	free(list);
}

static void test_set_role(void **state)
{
	seed();
	struct fe_err e = {0};
	int64_t g = mk(&ann, "Group", "g", (int64_t[]){ben.user_id, cat.user_id}, 2);
	clear_events();
	assert_int_equal(chat_set_role(&app, &ann, g, ben.user_id, "king", &e), FE_EINVAL);
	assert_string_equal(e.field, "role");
	assert_int_equal(chat_set_role(&app, &ben, g, cat.user_id, "admin", &e), FE_EFORBIDDEN);
	assert_int_equal(chat_set_role(&app, &ann, g, dan.user_id, "admin", &e), FE_ENOTFOUND);
	assert_int_equal(chat_set_role(&app, &dan, g, ben.user_id, "admin", &e), FE_ENOTFOUND);
	assert_int_equal(nev, 0);

	assert_int_equal(chat_set_role(&app, &ann, g, ben.user_id, "admin", &e), 0);
	const struct rec *r = only_event(EV_CHAT_UPDATED);
	assert_int_equal(r->chat_id, g);
	assert_int_equal(r->user_id, ben.user_id);
	assert_int_equal(r->actor_id, ann.user_id);
	struct chat_member m;
	assert_int_equal(app.store.ops->member_get(app.store.impl, g, ben.user_id, &m), 0);
	assert_string_equal(m.role, "admin");
	/* an admin does not change roles */
	clear_events();
	assert_int_equal(chat_set_role(&app, &ben, g, cat.user_id, "admin", &e), FE_EFORBIDDEN);
	assert_int_equal(chat_set_role(&app, &ben, g, ben.user_id, "owner", &e), FE_EFORBIDDEN);
	assert_int_equal(nev, 0);
	/* the last owner cannot be demoted */
	memset(&e, 0, sizeof e);
	assert_int_equal(chat_set_role(&app, &ann, g, ann.user_id, "member", &e), FE_ECONFLICT);
	assert_string_equal(e.code, "LAST_OWNER");
	assert_int_equal(app.store.ops->member_get(app.store.impl, g, ann.user_id, &m), 0);
	assert_string_equal(m.role, "owner");
	/* make another owner first, then step down */
	assert_int_equal(chat_set_role(&app, &ann, g, cat.user_id, "owner", &e), 0);
	assert_int_equal(chat_set_role(&app, &ann, g, ann.user_id, "member", &e), 0);
	assert_int_equal(app.store.ops->member_get(app.store.impl, g, ann.user_id, &m), 0);
	assert_string_equal(m.role, "member");
	/* ann, now a member, can no longer manage */
	assert_int_equal(chat_set_role(&app, &ann, g, ann.user_id, "owner", &e), FE_EFORBIDDEN);
	int64_t owners = 0;
	assert_int_equal(app.store.ops->owner_count(app.store.impl, g, &owners), 0);
	assert_int_equal(owners, 1);
	/* a Single has no roles */
	int64_t single = mk(&ann, "Single", NULL, (int64_t[]){dan.user_id}, 1);
	assert_int_equal(chat_set_role(&app, &ann, single, dan.user_id, "owner", &e), FE_EFORBIDDEN);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_create_single),
	    T(test_create_group),
	    T(test_create_validation),
	    T(test_channel_names_unique),
	    T(test_members_other_workspace),
	    T(test_list_by_activity),
	    T(test_get_invisible),
	    T(test_update_rights),
	    T(test_delete_owner_only),
	    T(test_join_public_only),
	    T(test_leave_rules),
	    T(test_add_remove_members),
	    T(test_set_role),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
