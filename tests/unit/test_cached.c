/* tests/unit/test_cached: read-through caching and invalidation
 * (core/cached) with the real in-memory cache (adapters/lru_cache), a real
 * store (SQLite in memory), the in-process bus with cached_init's handler,
 * and the use cases (chat, message) publishing their events. */
#include "testapp.h"
#include "core/cached.h"
#include "core/chat.h"
#include "core/message.h"
#include "lib/gzip.h"
#include "lib/xalloc.h"

#define S (app.store.ops)
#define SI (app.store.impl)
#define C (app.cache.ops)
#define CI (app.cache.impl)

static int setup(void **state)
{
	/* sends write through */
	return app_setup(&(struct app_opts){.cache = 1, .writer = TA_WRITE_THROUGH});
}

static int teardown(void **state)
{
	return app_teardown();
}

static struct cache_family_stats fam(const char *name)
{
	struct cache_family_stats all[16], none;
	size_t n = 0;
	memset(&none, 0, sizeof none);
	C->stats(CI, all, 16, &n);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(all[i].family, name))
			return all[i];
	return none;
}

static int in_cache(const char *key)
{
	char *v = NULL;
	size_t len = 0;
	/* a probe counts as a hit or miss: callers compare stats before probing */
	if (C->get(CI, key, &v, &len))
		return 0;
	free(v);
	return 1;
}

static int64_t wsA;
static struct principal ann, ben, cat, dan, eve;
static int64_t room, other;

static int64_t make_chat(const struct principal *owner, const char *name, const int64_t *members, size_t n)
{
	struct chat_summary s;
	struct fe_err e = {0};
	int created;
	struct chat_create_in in = {name, "Group", NULL, members, n};
	assert_int_equal(chat_create(&app, owner, &in, &s, &created, &e), 0);
	message_clear(&s.last);
	free(s.members);
	return s.chat.id;
}

/* room: eve (owner, the highest id), cat, ann, ben. other: dan and cat. */
static void seed(void)
{
	wsA = add_workspace("Acme");
	ann = add_member(wsA, "ann@acme.io", "Ann Arbor");
	ben = add_member(wsA, "ben@acme.io", "Ben Bay");
	cat = add_member(wsA, "cat@acme.io", "Cat Cove");
	dan = add_member(wsA, "dan@acme.io", "Dan Dale");
	eve = add_member(wsA, "eve@acme.io", "Eve Elm");
	int64_t m[] = {cat.user_id, ann.user_id, ben.user_id};
	room = make_chat(&eve, "Room", m, 3);
	int64_t m2[] = {cat.user_id};
	other = make_chat(&dan, "Other", m2, 1);
}

static void on_sent(void *req, int rc, const struct fe_err *e, const struct message *m, int created)
{
	int64_t *id = req;
	assert_int_equal(rc, 0);
	*id = m->id;
}

static int64_t send_ok(const struct principal *p, int64_t chat, const char *text)
{
	struct send_in in = {0};
	struct fe_err e = {0};
	int64_t id = 0;
	in.content = text;
	assert_int_equal(message_send(&app, p, chat, &in, on_sent, &id, &e), 0);
	assert_true(id > 0); /* write-through: already done */
	return id;
}

/* The unread counter of chat for user through the cache (-1: no row). */
static int64_t unread(int64_t user, int64_t chat)
{
	struct unread *u = NULL;
	size_t n = 0;
	int64_t r = -1;
	assert_int_equal(cached_unread(&app, user, &u, &n), 0);
	for (size_t i = 0; i < n; i++)
		if (u[i].chat_id == chat)
			r = u[i].unread_count;
	free(u);
	return r;
}

static int has_id(const int64_t *ids, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return 1;
	return 0;
}

/* ---- user ---- */

static void test_user_hit_and_forget(void **state)
{
	seed();
	struct user u;
	struct cache_family_stats f0 = fam("user");
	assert_int_equal(cached_user(&app, ben.user_id, &u), 0);
	assert_int_equal(u.id, ben.user_id);
	assert_string_equal(u.fullname, "Ben Bay");
	assert_string_equal(u.email, "ben@acme.io");
	struct cache_family_stats f1 = fam("user");
	assert_int_equal(f1.misses, f0.misses + 1);
	assert_int_equal(f1.hits, f0.hits);
	assert_int_equal(f1.entries, f0.entries + 1);
	/* second read: a hit, same record */
	memset(&u, 0, sizeof u);
	assert_int_equal(cached_user(&app, ben.user_id, &u), 0);
	assert_string_equal(u.fullname, "Ben Bay");
	assert_int_equal(u.workspace_id, wsA);
	struct cache_family_stats f2 = fam("user");
	assert_int_equal(f2.hits, f1.hits + 1);
	assert_int_equal(f2.misses, f1.misses);
	/* a change behind the cache's back is not seen ... */
	struct user changed = u;
	snprintf(changed.fullname, sizeof changed.fullname, "Benjamin Bay");
	assert_int_equal(S->user_update_profile(SI, &changed), 0);
	assert_int_equal(cached_user(&app, ben.user_id, &u), 0);
	assert_string_equal(u.fullname, "Ben Bay");
	/* ... until it is forgotten */
	cache_forget_user(&app, ben.user_id, wsA);
	assert_int_equal(cached_user(&app, ben.user_id, &u), 0);
	assert_string_equal(u.fullname, "Benjamin Bay");
	struct cache_family_stats f3 = fam("user");
	assert_int_equal(f3.misses, f2.misses + 1);
	assert_int_equal(f3.entries, f2.entries);
	/* a missing user is not found and not cached */
	assert_int_equal(cached_user(&app, 999999, &u), FE_ENOTFOUND);
	assert_int_equal(cached_user(&app, 999999, &u), FE_ENOTFOUND);
	struct cache_family_stats f4 = fam("user");
	assert_int_equal(f4.entries, f3.entries);
	assert_int_equal(f4.misses, f3.misses + 2);
	/* expiry after TTL_USER: read from the store again */
	snprintf(changed.fullname, sizeof changed.fullname, "B. Bay");
	assert_int_equal(S->user_update_profile(SI, &changed), 0);
	clock_advance((int64_t)TTL_USER * 1000 + 1);
	assert_int_equal(cached_user(&app, ben.user_id, &u), 0);
	assert_string_equal(u.fullname, "B. Bay");
}

/* ---- chat ---- */

static void test_chat_per_viewer(void **state)
{
	seed();
	struct chat c;
	cache_forget_chat(&app, room);
	struct cache_family_stats f0 = fam("chat");
	assert_int_equal(cached_chat(&app, room, eve.user_id, &c), 0);
	assert_int_equal(c.id, room);
	assert_string_equal(c.name, "Room");
	assert_string_equal(c.chat_type, "Group");
	assert_int_equal(c.workspace_id, wsA);
	assert_int_equal(c.member_count, 4);
	assert_string_equal(c.my_role, "owner");
	struct cache_family_stats f1 = fam("chat");
	assert_int_equal(f1.misses, f0.misses + 1);
	/* other viewers from the same cached entry */
	assert_int_equal(cached_chat(&app, room, ben.user_id, &c), 0);
	assert_string_equal(c.my_role, "member");
	assert_int_equal(c.member_count, 4);
	assert_int_equal(cached_chat(&app, room, dan.user_id, &c), 0);
	assert_string_equal(c.my_role, "");
	assert_int_equal(c.member_count, 4);
	assert_int_equal(cached_chat(&app, room, 0, &c), 0);
	assert_string_equal(c.my_role, "");
	struct cache_family_stats f2 = fam("chat");
	assert_int_equal(f2.hits, f1.hits + 3);
	assert_int_equal(f2.misses, f1.misses);
	assert_int_equal(cached_chat(&app, other, dan.user_id, &c), 0);
	assert_int_equal(c.member_count, 2);
	assert_string_equal(c.my_role, "owner");
	assert_int_equal(cached_chat(&app, other, cat.user_id, &c), 0);
	assert_string_equal(c.my_role, "member");
	/* a missing chat */
	assert_int_equal(cached_chat(&app, 777777, ann.user_id, &c), FE_ENOTFOUND);
}

static void test_member_ids_sorted(void **state)
{
	seed();
	int64_t *ids = NULL;
	size_t n = 0;
	assert_int_equal(cached_member_ids(&app, room, &ids, &n), 0);
	assert_int_equal(n, 4);
	int64_t want[] = {ann.user_id, ben.user_id, cat.user_id,
	                  eve.user_id}; /* ids ascend in creation order */
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(ids[i], want[i]);
	free(ids);
	/* from the cache, same answer */
	struct cache_family_stats f0 = fam("chat");
	assert_int_equal(cached_member_ids(&app, room, &ids, &n), 0);
	assert_int_equal(fam("chat").hits, f0.hits + 1);
	assert_int_equal(n, 4);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(ids[i], want[i]);
	free(ids);
	assert_int_equal(cached_member_ids(&app, 777777, &ids, &n), FE_ENOTFOUND);
}

/* ---- invalidation by events ---- */

static void test_add_members_invalidates(void **state)
{
	seed();
	struct chat c;
	int64_t *ids = NULL;
	size_t n = 0;
	struct fe_err e = {0};
	/* warm: the room's members and dan's unread counters */
	assert_int_equal(cached_member_ids(&app, room, &ids, &n), 0);
	assert_false(has_id(ids, n, dan.user_id));
	free(ids);
	assert_int_equal(unread(dan.user_id, room), -1);
	assert_int_equal(unread(dan.user_id, other), 0);
	struct cache_family_stats u0 = fam("unread");
	assert_int_equal(unread(dan.user_id, room), -1); /* cached */
	assert_int_equal(fam("unread").hits, u0.hits + 1);

	assert_int_equal(chat_add_members(&app, &eve, room, &dan.user_id, 1, &e), 0);
	assert_int_equal(cached_member_ids(&app, room, &ids, &n), 0);
	assert_int_equal(n, 5);
	assert_true(has_id(ids, n, dan.user_id));
	for (size_t i = 1; i < n; i++)
		assert_true(ids[i - 1] < ids[i]);
	free(ids);
	assert_int_equal(cached_chat(&app, room, dan.user_id, &c), 0);
	assert_int_equal(c.member_count, 5);
	assert_string_equal(c.my_role, "member");
	/* dan's counters now list the room (forgotten by the joined event) */
	assert_int_equal(unread(dan.user_id, room), 0);
}

/* The bus alone invalidates: a change made in the store, announced with an
 * event, is visible at the next cached read. */
static void test_published_event_invalidates(void **state)
{
	seed();
	int64_t *ids = NULL;
	size_t n = 0;
	assert_int_equal(cached_member_ids(&app, other, &ids, &n), 0);
	assert_int_equal(n, 2);
	free(ids);
	assert_int_equal(S->member_add(SI, other, ben.user_id, "member", fake_now), 0);
	/* not yet announced: the cache still answers the old list */
	assert_int_equal(cached_member_ids(&app, other, &ids, &n), 0);
	assert_int_equal(n, 2);
	free(ids);
	struct event ev = {.type = EV_USER_JOINED_CHAT,
	                   .workspace_id = wsA,
	                   .chat_id = other,
	                   .actor_id = dan.user_id,
	                   .user_id = ben.user_id};
	bus_publish(&app.bus, &ev);
	assert_int_equal(cached_member_ids(&app, other, &ids, &n), 0);
	assert_int_equal(n, 3);
	assert_true(has_id(ids, n, ben.user_id));
	free(ids);
	/* a user who left: gone from the list */
	assert_int_equal(S->member_remove(SI, other, cat.user_id), 0);
	int64_t audience[] = {dan.user_id, ben.user_id, cat.user_id};
	struct event left = {.type = EV_USER_LEFT_CHAT,
	                     .workspace_id = wsA,
	                     .chat_id = other,
	                     .actor_id = cat.user_id,
	                     .user_id = cat.user_id,
	                     .audience = audience,
	                     .naudience = 3};
	bus_publish(&app.bus, &left);
	assert_int_equal(cached_member_ids(&app, other, &ids, &n), 0);
	assert_int_equal(n, 2);
	assert_false(has_id(ids, n, cat.user_id));
	free(ids);
	/* typing and presence events are not the cache's business */
	assert_int_equal(S->member_add(SI, other, ann.user_id, "member", fake_now), 0);
	struct event typing = {.type = EV_TYPING_CHANGED,
	                       .workspace_id = wsA,
	                       .chat_id = other,
	                       .user_id = ann.user_id,
	                       .added = 1,
	                       .user_name = "Ann Arbor"};
	bus_publish(&app.bus, &typing);
	assert_int_equal(cached_member_ids(&app, other, &ids, &n), 0);
	assert_int_equal(n, 2);
	free(ids);
}

/* Events as another appliance's bus delivers them: the use case that made
 * the change ran there, so only the event forgets what this one cached. */
static void test_remote_events_invalidate(void **state)
{
	seed();
	struct user u;
	struct workspace w;
	char key[64], wkey[64];
	snprintf(key, sizeof key, "user:%lld", (long long)ann.user_id);
	snprintf(wkey, sizeof wkey, "workspace:%lld", (long long)wsA);
	assert_int_equal(cached_user(&app, ann.user_id, &u), 0);
	assert_int_equal(cached_workspace(&app, wsA, &w), 0);
	assert_true(in_cache(key));
	assert_true(in_cache(wkey));
	struct event changed = {.type = EV_USER_CHANGED, .workspace_id = wsA, .user_id = ann.user_id};
	bus_publish(&app.bus, &changed);
	assert_false(in_cache(key));
	assert_false(in_cache(wkey)); /* its member count */
	assert_int_equal(cached_workspace(&app, wsA, &w), 0);
	struct event renamed = {.type = EV_WORKSPACE_CHANGED, .workspace_id = wsA};
	bus_publish(&app.bus, &renamed);
	assert_false(in_cache(wkey));
	assert_int_equal(cached_user(&app, ann.user_id, &u), 0);
	struct event revoked = {
	    .type = EV_SESSIONS_REVOKED, .workspace_id = wsA, .user_id = ann.user_id, .token_version = 2};
	bus_publish(&app.bus, &revoked);
	assert_false(in_cache(key));
	/* Resync: everything cached goes */
	struct chat c;
	struct unread *un;
	size_t n;
	char ckey[64], ukey[64];
	assert_int_equal(cached_user(&app, ann.user_id, &u), 0);
	assert_int_equal(cached_chat(&app, room, ann.user_id, &c), 0);
	assert_int_equal(cached_unread(&app, ann.user_id, &un, &n), 0);
	free(un);
	snprintf(ckey, sizeof ckey, "chat:%lld", (long long)room);
	snprintf(ukey, sizeof ukey, "unread:%lld", (long long)ann.user_id);
	assert_true(in_cache(key) && in_cache(ckey) && in_cache(ukey));
	struct event resync = {.type = EV_RESYNC};
	bus_publish(&app.bus, &resync);
	assert_false(in_cache(key));
	assert_false(in_cache(ckey));
	assert_false(in_cache(ukey));
}

static void test_unread_after_send_and_read(void **state)
{
	seed();
	struct fe_err e = {0};
	/* warm ben's and cat's counters */
	assert_int_equal(unread(ben.user_id, room), 0);
	assert_int_equal(unread(cat.user_id, room), 0);
	assert_int_equal(unread(cat.user_id, other), 0);
	struct cache_family_stats f0 = fam("unread");
	assert_int_equal(unread(ben.user_id, room), 0);
	assert_int_equal(fam("unread").hits, f0.hits + 1); /* really cached */

	int64_t m1 = send_ok(&ann, room, "one");
	assert_int_equal(unread(ben.user_id, room), 1);
	assert_int_equal(unread(cat.user_id, room), 1);
	assert_int_equal(unread(cat.user_id, other), 0);
	assert_int_equal(unread(ann.user_id, room), 0); /* own message */
	int64_t m2 = send_ok(&eve, room, "two");
	assert_int_equal(unread(ben.user_id, room), 2);
	assert_int_equal(unread(ann.user_id, room), 1);
	/* a send in another chat does not touch the room's counters ... */
	send_ok(&dan, other, "elsewhere");
	assert_int_equal(unread(cat.user_id, other), 1);
	assert_int_equal(unread(cat.user_id, room), 2);

	/* read markers: ben reads the first, then everything */
	int64_t marker = 0;
	assert_int_equal(message_mark_read(&app, &ben, room, m1, &marker, &e), 0);
	assert_int_equal(marker, m1);
	assert_int_equal(unread(ben.user_id, room), 1);
	assert_int_equal(unread(cat.user_id, room), 2); /* others unchanged */
	assert_int_equal(message_mark_read(&app, &ben, room, m2, &marker, &e), 0);
	assert_int_equal(unread(ben.user_id, room), 0);
	/* through the use case too */
	struct unread *u = NULL;
	size_t n = 0;
	assert_int_equal(message_unread(&app, &cat, &u, &n, &e), 0);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(u[i].unread_count, u[i].chat_id == room ? 2 : 1);
	free(u);
}

static void test_unread_empty(void **state)
{
	seed();
	struct principal lone = add_member(wsA, "lone@acme.io", "Lone Wolf");
	struct unread *u = (struct unread *)0x1;
	size_t n = 9;
	assert_int_equal(cached_unread(&app, lone.user_id, &u, &n), 0);
	assert_int_equal(n, 0);
	free(u);
	n = 9;
	assert_int_equal(cached_unread(&app, lone.user_id, &u, &n), 0);
	assert_int_equal(n, 0);
	free(u);
}

static void test_forget_profile_drops_pages(void **state)
{
	seed();
	char key[64], tag[48];
	/* fake rendered pages of three chats: room and other are cat's, the
	 * third is a chat cat is not in */
	int64_t m3[] = {ann.user_id};
	int64_t third = make_chat(&ben, "Third", m3, 1);
	int64_t chats[] = {room, other, third};
	for (int i = 0; i < 3; i++) {
		snprintf(tag, sizeof tag, "messages:%lld", (long long)chats[i]);
		for (int page = 0; page < 2; page++) {
			snprintf(key, sizeof key, "messages:%lld:p%d", (long long)chats[i], page);
			C->put(CI, key, "rendered", 8, TTL_MESSAGES, tag);
		}
	}
	struct user u;
	assert_int_equal(cached_user(&app, cat.user_id, &u), 0);
	assert_int_equal(fam("messages").entries, 6);
	assert_int_equal(fam("user").entries, 1);

	cache_forget_profile(&app, cat.user_id, wsA);
	struct cache_family_stats f = fam("messages");
	assert_int_equal(f.entries, 2);
	assert_int_equal(fam("user").entries, 0);
	for (int i = 0; i < 3; i++)
		for (int page = 0; page < 2; page++) {
			snprintf(key, sizeof key, "messages:%lld:p%d", (long long)chats[i], page);
			assert_int_equal(in_cache(key), chats[i] == third);
		}
}

static void test_message_events_drop_pages(void **state)
{
	seed();
	struct fe_err e = {0};
	char tag[48];
	snprintf(tag, sizeof tag, "messages:%lld", (long long)room);
	C->put(CI, "messages:room-page", "x", 1, TTL_MESSAGES, tag);
	C->put(CI, "messages:keep", "y", 1, TTL_MESSAGES, "messages:999999");
	int64_t id = send_ok(&ann, room, "hello");
	assert_false(in_cache("messages:room-page"));
	assert_true(in_cache("messages:keep"));
	/* an edit drops the pages again */
	C->put(CI, "messages:room-page", "x", 1, TTL_MESSAGES, tag);
	struct message out = {0};
	assert_int_equal(message_edit(&app, &ann, room, id, "hello again", &out, &e), 0);
	message_clear(&out);
	assert_false(in_cache("messages:room-page"));
	/* and a delete */
	C->put(CI, "messages:room-page", "x", 1, TTL_MESSAGES, tag);
	memset(&out, 0, sizeof out);
	assert_int_equal(message_delete(&app, &ann, room, id, &out, &e), 0);
	message_clear(&out);
	assert_false(in_cache("messages:room-page"));
	assert_true(in_cache("messages:keep"));
}

/* Rendered pages go in and out by name (core/cached owns their keys): a
 * first page per chat, size and viewer, dropped by the chat's events and
 * its members' profile changes; the workspace's users, dropped by a user
 * change. */
static void test_rendered_pages(void **state)
{
	seed();
	char *body = NULL;
	size_t len = 0;
	struct cached_page a = {CACHED_FIRST_PAGE, room, 50, ann.user_id};
	struct cached_page a20 = {CACHED_FIRST_PAGE, room, 20, ann.user_id};
	struct cached_page b = {CACHED_FIRST_PAGE, room, 50, ben.user_id};
	struct cached_page o = {CACHED_FIRST_PAGE, other, 50, cat.user_id};
	struct cached_page users = {.kind = CACHED_WS_USERS, .id = wsA};
	assert_int_equal(cached_page_get(&app, &a, &body, &len), FE_ENOTFOUND);
	cached_page_put(&app, &a, "page-a", 6);
	cached_page_put(&app, &b, "page-b", 6);
	cached_page_put(&app, &o, "page-o", 6);
	cached_page_put(&app, &users, "users", 5);
	assert_int_equal(cached_page_get(&app, &a, &body, &len), 0);
	assert_int_equal(len, 6);
	assert_memory_equal(body, "page-a", 6);
	free(body);
	/* another size or viewer is another page */
	assert_int_equal(cached_page_get(&app, &a20, &body, &len), FE_ENOTFOUND);
	assert_int_equal(cached_page_get(&app, &b, &body, &len), 0);
	assert_memory_equal(body, "page-b", 6);
	free(body);
	assert_int_equal(fam("messages").entries, 3);
	assert_int_equal(fam("workspace").entries, 1);

	/* a send to room drops room's pages, not other's nor the users */
	send_ok(&ann, room, "hello");
	assert_int_equal(cached_page_get(&app, &a, &body, &len), FE_ENOTFOUND);
	assert_int_equal(cached_page_get(&app, &b, &body, &len), FE_ENOTFOUND);
	assert_int_equal(cached_page_get(&app, &o, &body, &len), 0);
	free(body);
	assert_int_equal(cached_page_get(&app, &users, &body, &len), 0);
	free(body);

	/* cat's profile change: other's page (cat is a member) and the users */
	cache_forget_profile(&app, cat.user_id, wsA);
	assert_int_equal(cached_page_get(&app, &o, &body, &len), FE_ENOTFOUND);
	assert_int_equal(cached_page_get(&app, &users, &body, &len), FE_ENOTFOUND);

	/* a user change drops the users page */
	cached_page_put(&app, &users, "users", 5);
	cache_forget_user(&app, dan.user_id, wsA);
	assert_int_equal(cached_page_get(&app, &users, &body, &len), FE_ENOTFOUND);

	/* a page expires after its TTL */
	cached_page_put(&app, &a, "page-a", 6);
	clock_advance((int64_t)TTL_MESSAGES * 1000 + 1);
	assert_int_equal(cached_page_get(&app, &a, &body, &len), FE_ENOTFOUND);

	/* without a cache: always a miss, a put is a no-op */
	struct cache keep = app.cache;
	app.cache.ops = NULL;
	cached_page_put(&app, &a, "page-a", 6);
	assert_int_equal(cached_page_get(&app, &a, &body, &len), FE_ENOTFOUND);
	app.cache = keep;
}

/* A page is kept per form its readers take: as rendered for readers
 * without gzip, and gzip for readers that accept it (as rendered when too
 * small to compress); each form is one entry, made when its reader misses,
 * and both go on the chat's next event. */
static void test_page_forms(void **state)
{
	seed();
	struct cached_page a = {CACHED_FIRST_PAGE, room, 50, ann.user_id};
	struct cached_body b;
	char *plain;
	size_t plen, len = 4000;
	char *page = xmalloc(len + 1);
	static const char pat[] = "{\"id\":1,\"content\":\"lunch at noon\"},";
	for (size_t i = 0; i < len; i++)
		page[i] = pat[i % (sizeof pat - 1)];
	page[len] = 0;
	char *copy = xmalloc(len + 1);
	memcpy(copy, page, len + 1);

	/* a gzip reader misses, then its form is made and kept: gzip */
	assert_int_equal(cached_page_fetch(&app, &a, 1, &b), FE_ENOTFOUND);
	cached_page_keep(&app, &a, copy, len, 1, &b);
	assert_int_equal(b.gzip, 1);
	assert_true(b.len < len / 4);
	assert_int_equal(gzip_inflate(b.data, b.len, &plain, &plen), 0);
	assert_int_equal(plen, len);
	assert_memory_equal(plain, page, len);
	free(plain);
	size_t glen = b.len;
	free(b.data);
	assert_int_equal(fam("messages").entries, 1);
	assert_int_equal(cached_page_fetch(&app, &a, 1, &b), 0);
	assert_int_equal(b.gzip, 1);
	assert_int_equal(b.len, glen);
	assert_int_equal(gzip_inflate(b.data, b.len, &plain, &plen), 0);
	assert_memory_equal(plain, page, len);
	free(plain);
	free(b.data);

	/* a reader without gzip: its own form, as rendered */
	assert_int_equal(cached_page_fetch(&app, &a, 0, &b), FE_ENOTFOUND);
	copy = xmalloc(len + 1);
	memcpy(copy, page, len + 1);
	cached_page_keep(&app, &a, copy, len, 0, &b);
	assert_int_equal(b.gzip, 0);
	free(b.data);
	assert_int_equal(cached_page_fetch(&app, &a, 0, &b), 0);
	assert_int_equal(b.gzip, 0);
	assert_int_equal(b.len, len);
	assert_memory_equal(b.data, page, len);
	free(b.data);
	assert_int_equal(fam("messages").entries, 2);

	/* both forms go with the chat's next event */
	send_ok(&ann, room, "hello");
	assert_int_equal(cached_page_fetch(&app, &a, 1, &b), FE_ENOTFOUND);
	assert_int_equal(cached_page_fetch(&app, &a, 0, &b), FE_ENOTFOUND);
	assert_int_equal(fam("messages").entries, 0);

	/* a small page is kept as rendered for gzip readers too */
	cached_page_keep(&app, &a, xstrdup("page-a"), 6, 1, &b);
	assert_int_equal(b.gzip, 0);
	assert_int_equal(b.len, 6);
	free(b.data);
	assert_int_equal(cached_page_fetch(&app, &a, 1, &b), 0);
	assert_int_equal(b.gzip, 0);
	assert_int_equal(b.len, 6);
	assert_memory_equal(b.data, "page-a", 6);
	free(b.data);

	/* the users page: a user change drops both forms */
	struct cached_page users = {.kind = CACHED_WS_USERS, .id = wsA};
	copy = xmalloc(len + 1);
	memcpy(copy, page, len + 1);
	cached_page_keep(&app, &users, copy, len, 1, &b);
	free(b.data);
	cached_page_put(&app, &users, page, len);
	assert_int_equal(fam("workspace").entries, 2);
	cache_forget_user(&app, dan.user_id, wsA);
	assert_int_equal(cached_page_fetch(&app, &users, 1, &b), FE_ENOTFOUND);
	assert_int_equal(cached_page_fetch(&app, &users, 0, &b), FE_ENOTFOUND);

	/* without a cache: nothing kept, the answer still made */
	struct cache keep = app.cache;
	app.cache.ops = NULL;
	copy = xmalloc(len + 1);
	memcpy(copy, page, len + 1);
	cached_page_keep(&app, &a, copy, len, 1, &b);
	assert_int_equal(b.gzip, 1);
	free(b.data);
	assert_int_equal(cached_page_fetch(&app, &a, 1, &b), FE_ENOTFOUND);
	app.cache = keep;
	free(page);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_user_hit_and_forget, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_chat_per_viewer, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_member_ids_sorted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_add_members_invalidates, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_published_event_invalidates, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remote_events_invalidate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unread_after_send_and_read, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unread_empty, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_forget_profile_drops_pages, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_message_events_drop_pages, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rendered_pages, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_page_forms, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
