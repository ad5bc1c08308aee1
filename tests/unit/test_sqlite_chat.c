/* tests/unit/test_sqlite_chat: the conversation half of the store port
 * (ports/store.h) on a real in-memory SQLite database with the embedded
 * schema: chats, members, messages (pages, threads, edits, tombstones),
 * reactions, mentions, read markers, unread counts and files. */
#define TESTAPP_STORE_ONLY /* the adapter alone, no app */
#include "testapp.h"

#define OPS (st.ops)
#define IMPL (st.impl)

static int64_t add_workspace(const char *name)
{
	return store_add_workspace(&st, name, T0);
}

static int64_t add_user(int64_t ws, const char *email, const char *fullname)
{
	struct user u = new_user(ws, email, fullname, "member", T0);
	snprintf(u.avatar_url, sizeof u.avatar_url, "/a/%s.png", email);
	store_insert_user(&st, &u);
	/* the avatar is part of the profile, not of the insert */
	assert_int_equal(OPS->user_update_profile(IMPL, &u), 0);
	return u.id;
}

static int64_t ws, wsB, alice, bob, carol, dave;

static void seed(void)
{
	ws = add_workspace("Acme");
	wsB = add_workspace("Bravo");
	alice = add_user(ws, "alice@acme.io", "Alice Liddell");
	bob = add_user(ws, "bob@acme.io", "Bob Builder");
	carol = add_user(ws, "carol@acme.io", "Carol Danvers");
	dave = add_user(wsB, "dave@bravo.io", "Dave Bravo");
}

static int insert_chat(int64_t w, const char *type, const char *name, int64_t by, int64_t at,
                       const char *single_key, int64_t *id)
{
	struct chat c = {0};
	c.workspace_id = w;
	c.created_by = by;
	c.created_at = at;
	snprintf(c.chat_type, sizeof c.chat_type, "%s", type);
	snprintf(c.name, sizeof c.name, "%s", name);
	snprintf(c.description, sizeof c.description, "about %s", name);
	int rc = OPS->chat_insert(IMPL, &c, single_key);
	if (!rc) {
		assert_true(c.id > 0);
		*id = c.id;
	}
	return rc;
}

static int64_t mk_chat(const char *type, const char *name, int64_t by, int64_t at)
{
	int64_t id = 0;
	assert_int_equal(insert_chat(ws, type, name, by, at, NULL, &id), 0);
	assert_int_equal(OPS->member_add(IMPL, id, by, "owner", at), 0);
	return id;
}

static int64_t msg_full(int64_t chat, int64_t sender, const char *content, int64_t reply_to, const char *key,
                        int mentions_all, int64_t at)
{
	struct message m = {0};
	m.chat_id = chat;
	m.sender_id = sender;
	m.content = (char *)content;
	m.reply_to = reply_to;
	m.mentions_all = mentions_all;
	m.created_at = at;
	snprintf(m.idempotency_key, sizeof m.idempotency_key, "%s", key ? key : "");
	assert_int_equal(OPS->message_insert(IMPL, &m), 0);
	assert_true(m.id > 0);
	assert_int_equal(OPS->chat_touch(IMPL, chat, m.id, at), 0);
	return m.id;
}

static int64_t msg(int64_t chat, int64_t sender, const char *content, int64_t at)
{
	return msg_full(chat, sender, content, 0, NULL, 0, at);
}

static struct chat get_chat(int64_t id, int64_t viewer)
{
	struct chat c;
	memset(&c, 0, sizeof c);
	assert_int_equal(OPS->chat_get(IMPL, id, viewer, &c), 0);
	return c;
}

static int64_t add_file(int64_t uploader, const char *sha_char, const char *name)
{
	struct file_rec f = {0};
	memset(f.sha256, sha_char[0], 64);
	f.sha256[64] = 0;
	snprintf(f.ext, sizeof f.ext, "png");
	snprintf(f.mime_type, sizeof f.mime_type, "image/png");
	snprintf(f.filename, sizeof f.filename, "%s", name);
	f.size = 1234;
	f.uploader_id = uploader;
	f.created_at = T0;
	assert_int_equal(OPS->file_insert(IMPL, &f), 0);
	assert_true(f.id > 0);
	return f.id;
}

/* ---- chats ---- */

static void test_chat_insert_get(void **state)
{
	seed();
	int64_t id = mk_chat("PublicChannel", "general", alice, T0 + 5);
	assert_int_equal(OPS->member_add(IMPL, id, bob, "member", T0 + 6), 0);
	struct chat c = get_chat(id, alice);
	assert_int_equal(c.id, id);
	assert_int_equal(c.workspace_id, ws);
	assert_string_equal(c.chat_type, "PublicChannel");
	assert_string_equal(c.name, "general");
	assert_string_equal(c.description, "about general");
	assert_int_equal(c.created_by, alice);
	assert_int_equal(c.created_at, T0 + 5);
	assert_int_equal(c.updated_at, T0 + 5);
	assert_int_equal(c.last_activity_at, T0 + 5);
	assert_int_equal(c.last_message_id, 0);
	assert_int_equal(c.member_count, 2);
	assert_string_equal(c.my_role, "owner");
	assert_string_equal(get_chat(id, bob).my_role, "member");
	assert_string_equal(get_chat(id, carol).my_role, "");
	assert_int_equal(get_chat(id, carol).member_count, 2);
	assert_int_equal(OPS->chat_get(IMPL, id + 100, alice, &c), FE_ENOTFOUND);
}

static void test_channel_names_unique_folded(void **state)
{
	seed();
	int64_t id;
	assert_int_equal(insert_chat(ws, "PublicChannel", "Über", alice, T0, NULL, &id), 0);
	assert_int_equal(insert_chat(ws, "PrivateChannel", "über", alice, T0, NULL, &id), FE_ECONFLICT);
	assert_int_equal(insert_chat(ws, "PublicChannel", "ÜBER", alice, T0, NULL, &id), FE_ECONFLICT);
	/* another workspace, or a group, may use the name */
	assert_int_equal(insert_chat(wsB, "PublicChannel", "über", dave, T0, NULL, &id), 0);
	assert_int_equal(insert_chat(ws, "Group", "über", alice, T0, NULL, &id), 0);
	assert_int_equal(insert_chat(ws, "Group", "Über", alice, T0, NULL, &id), 0);
	/* renaming onto a taken name conflicts too */
	int64_t other;
	assert_int_equal(insert_chat(ws, "PrivateChannel", "random", alice, T0, NULL, &other), 0);
	struct chat c = get_chat(other, alice);
	snprintf(c.name, sizeof c.name, "üBER");
	assert_int_equal(OPS->chat_update(IMPL, &c), FE_ECONFLICT);
	snprintf(c.name, sizeof c.name, "Random Two");
	snprintf(c.description, sizeof c.description, "new");
	c.updated_at = T0 + 99;
	assert_int_equal(OPS->chat_update(IMPL, &c), 0);
	c = get_chat(other, alice);
	assert_string_equal(c.name, "Random Two");
	assert_string_equal(c.description, "new");
	assert_int_equal(c.updated_at, T0 + 99);
	c.id = 99999;
	assert_int_equal(OPS->chat_update(IMPL, &c), FE_ENOTFOUND);
}

static void test_single_key(void **state)
{
	seed();
	int64_t id, found = 0, id2;
	char key[48];
	snprintf(key, sizeof key, "%lld:%lld", (long long)alice, (long long)bob);
	assert_int_equal(OPS->chat_find_single(IMPL, ws, key, &found), FE_ENOTFOUND);
	assert_int_equal(insert_chat(ws, "Single", "", alice, T0, key, &id), 0);
	assert_int_equal(OPS->chat_find_single(IMPL, ws, key, &found), 0);
	assert_int_equal(found, id);
	assert_int_equal(insert_chat(ws, "Single", "", bob, T0, key, &id2), FE_ECONFLICT);
	/* the key is per workspace */
	assert_int_equal(OPS->chat_find_single(IMPL, wsB, key, &found), FE_ENOTFOUND);
	/* several Singles have the empty name without conflict */
	snprintf(key, sizeof key, "%lld:%lld", (long long)alice, (long long)carol);
	assert_int_equal(insert_chat(ws, "Single", "", alice, T0, key, &id2), 0);
	assert_int_not_equal(id2, id);
}

static void test_chats_of_user_order(void **state)
{
	seed();
	int64_t a = mk_chat("Group", "a", alice, T0 + 1);
	int64_t b = mk_chat("Group", "b", alice, T0 + 2);
	int64_t c = mk_chat("Group", "c", alice, T0 + 3);
	int64_t x = mk_chat("Group", "x", bob, T0 + 4); /* not alice's */
	struct chat *list = NULL;
	size_t n = 0;
	assert_int_equal(OPS->chats_of_user(IMPL, alice, &list, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(list[0].id, c);
	assert_int_equal(list[1].id, b);
	assert_int_equal(list[2].id, a);
	assert_string_equal(list[0].my_role, "owner");
	free(list);
	/* a message moves a chat to the front */
	int64_t m = msg(a, alice, "hi", T0 + 10);
	assert_int_equal(OPS->chats_of_user(IMPL, alice, &list, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(list[0].id, a);
	assert_int_equal(list[0].last_message_id, m);
	assert_int_equal(list[0].last_activity_at, T0 + 10);
	assert_int_equal(list[1].id, c);
	assert_int_equal(list[2].id, b);
	free(list);
	/* same activity time: the higher id first */
	msg(b, alice, "x", T0 + 20);
	msg(c, alice, "y", T0 + 20);
	assert_int_equal(OPS->chats_of_user(IMPL, alice, &list, &n), 0);
	assert_int_equal(list[0].id, c);
	assert_int_equal(list[1].id, b);
	assert_int_equal(list[2].id, a);
	free(list);
	assert_int_equal(OPS->chats_of_user(IMPL, bob, &list, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].id, x);
	free(list);
	assert_int_equal(OPS->chats_of_user(IMPL, carol, &list, &n), 0);
	assert_int_equal(n, 0);
	free(list);
}

/* The narrow query core needs for search scope and cache invalidation:
 * ids alone, ascending, the user's chats only; leaving drops one. */
static void test_chat_ids_of_user(void **state)
{
	seed();
	int64_t a = mk_chat("Group", "a", alice, T0 + 1);
	int64_t x = mk_chat("Group", "x", bob, T0 + 2); /* not alice's, yet */
	int64_t b = mk_chat("Group", "b", alice, T0 + 3);
	msg(a, alice, "a moves to the front of chats_of_user", T0 + 10);
	int64_t *ids = NULL;
	size_t n = 0;
	assert_int_equal(OPS->chat_ids_of_user(IMPL, alice, &ids, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(ids[0], a);
	assert_int_equal(ids[1], b);
	free(ids);
	assert_int_equal(OPS->member_add(IMPL, x, alice, "member", T0 + 11), 0);
	assert_int_equal(OPS->chat_ids_of_user(IMPL, alice, &ids, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(ids[1], x);
	free(ids);
	assert_int_equal(OPS->member_remove(IMPL, a, alice), 0);
	assert_int_equal(OPS->chat_ids_of_user(IMPL, alice, &ids, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(ids[0], x);
	assert_int_equal(ids[1], b);
	free(ids);
	assert_int_equal(OPS->chat_ids_of_user(IMPL, carol, &ids, &n), 0);
	assert_int_equal(n, 0);
	free(ids);
}

static void test_chat_touch_never_lowers_last_message(void **state)
{
	seed();
	int64_t c = mk_chat("Group", "g", alice, T0);
	assert_int_equal(OPS->chat_touch(IMPL, c, 50, T0 + 1), 0);
	assert_int_equal(OPS->chat_touch(IMPL, c, 40, T0 + 2), 0);
	struct chat got = get_chat(c, alice);
	assert_int_equal(got.last_message_id, 50);
	assert_int_equal(got.last_activity_at, T0 + 2);
}

static void test_chats_public(void **state)
{
	seed();
	int64_t zeta = mk_chat("PublicChannel", "zeta", alice, T0);
	int64_t alpha = mk_chat("PublicChannel", "Alpha", bob, T0);
	int64_t beta = mk_chat("PublicChannel", "beta", bob, T0);
	mk_chat("PrivateChannel", "secret", bob, T0);
	mk_chat("Group", "grp", bob, T0);
	int64_t other;
	assert_int_equal(insert_chat(wsB, "PublicChannel", "bravo-pub", dave, T0, NULL, &other), 0);
	struct chat *list = NULL;
	size_t n = 0;
	/* alice is in zeta: she sees alpha and beta, by name without case */
	assert_int_equal(OPS->chats_public(IMPL, ws, alice, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(list[0].id, alpha);
	assert_int_equal(list[1].id, beta);
	assert_string_equal(list[0].my_role, "");
	assert_int_equal(list[0].member_count, 1);
	free(list);
	assert_int_equal(OPS->chats_public(IMPL, ws, carol, &list, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(list[0].id, alpha);
	assert_int_equal(list[1].id, beta);
	assert_int_equal(list[2].id, zeta);
	free(list);
	assert_int_equal(OPS->chats_public(IMPL, wsB, carol, &list, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].id, other);
	free(list);
}

/* ---- members ---- */

static void test_members(void **state)
{
	seed();
	int64_t c = mk_chat("PrivateChannel", "team", alice, T0);
	assert_int_equal(OPS->member_add(IMPL, c, bob, "member", T0 + 1), 0);
	assert_int_equal(OPS->member_add(IMPL, c, carol, "admin", T0 + 2), 0);
	assert_int_equal(OPS->member_add(IMPL, c, bob, "member", T0 + 3), FE_ECONFLICT);

	struct chat_member m;
	assert_int_equal(OPS->member_get(IMPL, c, carol, &m), 0);
	assert_int_equal(m.chat_id, c);
	assert_int_equal(m.user_id, carol);
	assert_string_equal(m.role, "admin");
	assert_int_equal(m.joined_at, T0 + 2);
	assert_string_equal(m.fullname, "Carol Danvers");
	assert_string_equal(m.avatar_url, "/a/carol@acme.io.png");
	assert_int_equal(OPS->member_get(IMPL, c, dave, &m), FE_ENOTFOUND);

	struct chat_member *list = NULL;
	size_t n = 0;
	assert_int_equal(OPS->members_list(IMPL, c, &list, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(list[0].user_id, alice);
	assert_string_equal(list[0].role, "owner");
	assert_int_equal(list[1].user_id, bob);
	assert_string_equal(list[1].fullname, "Bob Builder");
	assert_int_equal(list[2].user_id, carol);
	free(list);

	int64_t *ids = NULL;
	assert_int_equal(OPS->member_ids(IMPL, c, &ids, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(ids[0], alice);
	assert_int_equal(ids[1], bob);
	assert_int_equal(ids[2], carol);
	free(ids);

	int64_t owners = -1;
	assert_int_equal(OPS->owner_count(IMPL, c, &owners), 0);
	assert_int_equal(owners, 1);
	assert_int_equal(OPS->member_set_role(IMPL, c, bob, "owner"), 0);
	assert_int_equal(OPS->owner_count(IMPL, c, &owners), 0);
	assert_int_equal(owners, 2);
	assert_int_equal(OPS->member_get(IMPL, c, bob, &m), 0);
	assert_string_equal(m.role, "owner");
	assert_string_equal(get_chat(c, bob).my_role, "owner");
	assert_int_equal(OPS->member_set_role(IMPL, c, dave, "owner"), FE_ENOTFOUND);
	/* the schema refuses an unknown role */
	assert_int_not_equal(OPS->member_set_role(IMPL, c, bob, "king"), 0);
	assert_int_equal(OPS->member_get(IMPL, c, bob, &m), 0);
	assert_string_equal(m.role, "owner");

	assert_int_equal(OPS->member_remove(IMPL, c, bob), 0);
	assert_int_equal(OPS->member_remove(IMPL, c, bob), FE_ENOTFOUND);
	assert_int_equal(OPS->member_get(IMPL, c, bob, &m), FE_ENOTFOUND);
	assert_int_equal(get_chat(c, alice).member_count, 2);
	assert_string_equal(get_chat(c, bob).my_role, "");
	assert_int_equal(OPS->owner_count(IMPL, c, &owners), 0);
	assert_int_equal(owners, 1);
	/* removing a member drops their read marker */
	assert_int_equal(OPS->member_add(IMPL, c, bob, "member", T0 + 4), 0);
	int64_t mid = msg(c, alice, "x", T0 + 5);
	assert_int_equal(OPS->read_set(IMPL, c, bob, mid, T0 + 6), 0);
	assert_int_equal(OPS->member_remove(IMPL, c, bob), 0);
	int64_t marker = -1;
	assert_int_equal(OPS->read_get(IMPL, c, bob, &marker), 0);
	assert_int_equal(marker, 0);
}

/* ---- messages ---- */

static void test_message_insert_get(void **state)
{
	seed();
	int64_t c = mk_chat("Group", "g", alice, T0);
	assert_int_equal(OPS->member_add(IMPL, c, bob, "member", T0), 0);
	int64_t id = msg_full(c, alice, "hello @Bob Builder", 0, "key-1", 1, T0 + 7);
	int64_t f1 = add_file(alice, "a", "one.png");
	int64_t f2 = add_file(alice, "b", "two.png");
	int64_t users[] = {bob, carol, bob};
	assert_int_equal(OPS->mentions_insert(IMPL, id, c, users, 3), 0);
	int64_t files[] = {f2, f1};
	assert_int_equal(OPS->message_files_insert(IMPL, id, files, 2), 0);
	assert_int_equal(OPS->reaction_add(IMPL, id, bob, "👍", T0 + 8), 0);
	assert_int_equal(OPS->reaction_add(IMPL, id, alice, "👍", T0 + 9), 0);
	assert_int_equal(OPS->reaction_add(IMPL, id, alice, "🎉", T0 + 10), 0);
	assert_int_equal(OPS->reaction_add(IMPL, id, alice, "🎉", T0 + 11), FE_ECONFLICT);

	struct message m;
	assert_int_equal(OPS->message_get(IMPL, id, bob, &m), 0);
	assert_int_equal(m.id, id);
	assert_int_equal(m.chat_id, c);
	assert_int_equal(m.sender_id, alice);
	assert_string_equal(m.content, "hello @Bob Builder");
	assert_string_equal(m.idempotency_key, "key-1");
	assert_string_equal(m.sender_name, "Alice Liddell");
	assert_string_equal(m.sender_avatar, "/a/alice@acme.io.png");
	assert_int_equal(m.created_at, T0 + 7);
	assert_int_equal(m.edited_at, 0);
	assert_int_equal(m.deleted_at, 0);
	assert_int_equal(m.reply_to, 0);
	assert_int_equal(m.reply_count, 0);
	assert_int_equal(m.mentions_all, 1);
	assert_int_equal(m.nmentions, 2);
	assert_int_equal(m.mentions[0], bob < carol ? bob : carol);
	assert_int_equal(m.mentions[1], bob < carol ? carol : bob);
	assert_int_equal(m.nfiles, 2);
	assert_int_equal(m.files[0].id, f1);
	assert_string_equal(m.files[0].filename, "one.png");
	assert_int_equal(m.files[1].id, f2);
	assert_int_equal(m.nreactions, 2);
	assert_string_equal(m.reactions[0].emoji, "👍");
	assert_int_equal(m.reactions[0].count, 2);
	assert_int_equal(m.reactions[0].me, 1);
	assert_string_equal(m.reactions[1].emoji, "🎉");
	assert_int_equal(m.reactions[1].count, 1);
	assert_int_equal(m.reactions[1].me, 0);
	message_clear(&m);

	assert_int_equal(OPS->reaction_remove(IMPL, id, bob, "👍"), 0);
	assert_int_equal(OPS->reaction_remove(IMPL, id, bob, "👍"), FE_ENOTFOUND);
	struct reaction_sum *rs = NULL;
	size_t n = 0;
	assert_int_equal(OPS->reactions_of(IMPL, id, bob, &rs, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(rs[0].count, 1);
	assert_int_equal(rs[0].me, 0);
	free(rs);

	int64_t found = 0;
	assert_int_equal(OPS->message_by_key(IMPL, alice, "key-1", &found), 0);
	assert_int_equal(found, id);
	assert_int_equal(OPS->message_by_key(IMPL, bob, "key-1", &found), FE_ENOTFOUND);
	assert_int_equal(OPS->message_by_key(IMPL, alice, "key-2", &found), FE_ENOTFOUND);
	/* the same key for the same sender is refused by the schema; empty key is none */
	struct message dup = {0};
	dup.chat_id = c;
	dup.sender_id = alice;
	dup.content = "again";
	dup.created_at = T0;
	snprintf(dup.idempotency_key, sizeof dup.idempotency_key, "key-1");
	assert_int_equal(OPS->message_insert(IMPL, &dup), FE_ECONFLICT);
	int64_t k0 = msg_full(c, alice, "no key", 0, "", 0, T0);
	int64_t k1 = msg_full(c, alice, "no key", 0, "", 0, T0);
	assert_int_not_equal(k0, k1);
	assert_int_equal(OPS->message_get(IMPL, 424242, bob, &m), FE_ENOTFOUND);
	int64_t max = 0;
	assert_int_equal(OPS->max_message_id(IMPL, c, &max), 0);
	assert_int_equal(max, k1);
	int64_t empty = mk_chat("Group", "empty", alice, T0);
	assert_int_equal(OPS->max_message_id(IMPL, empty, &max), 0);
	assert_int_equal(max, 0);
}

static void test_messages_page(void **state)
{
	seed();
	int64_t c = mk_chat("Group", "g", alice, T0);
	int64_t other = mk_chat("Group", "o", alice, T0);
	int64_t id[10];
	for (int i = 0; i < 10; i++) {
		char text[16];
		snprintf(text, sizeof text, "m%d", i);
		id[i] = msg(c, alice, text, T0 + i);
		msg(other, alice, "noise", T0 + i);
	}
	struct message *p = NULL;
	size_t n = 0;
	/* newest first, unbounded */
	assert_int_equal(OPS->messages_page(IMPL, c, 0, -1, 3, alice, &p, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(p[0].id, id[9]);
	assert_int_equal(p[1].id, id[8]);
	assert_int_equal(p[2].id, id[7]);
	assert_string_equal(p[0].content, "m9");
	messages_free(p, n);
	/* before: strictly below */
	assert_int_equal(OPS->messages_page(IMPL, c, id[7], -1, 3, alice, &p, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(p[0].id, id[6]);
	assert_int_equal(p[2].id, id[4]);
	messages_free(p, n);
	assert_int_equal(OPS->messages_page(IMPL, c, id[1], -1, 5, alice, &p, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(p[0].id, id[0]);
	messages_free(p, n);
	/* after: the oldest `limit` above it, still newest first */
	assert_int_equal(OPS->messages_page(IMPL, c, 0, id[2], 3, alice, &p, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(p[0].id, id[5]);
	assert_int_equal(p[1].id, id[4]);
	assert_int_equal(p[2].id, id[3]);
	messages_free(p, n);
	/* after 0 = from the very first */
	assert_int_equal(OPS->messages_page(IMPL, c, 0, 0, 2, alice, &p, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(p[0].id, id[1]);
	assert_int_equal(p[1].id, id[0]);
	messages_free(p, n);
	/* after and before together */
	assert_int_equal(OPS->messages_page(IMPL, c, id[5], id[2], 10, alice, &p, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(p[0].id, id[4]);
	assert_int_equal(p[1].id, id[3]);
	messages_free(p, n);
	/* after the newest: nothing */
	assert_int_equal(OPS->messages_page(IMPL, c, 0, id[9], 10, alice, &p, &n), 0);
	assert_int_equal(n, 0);
	free(p);
	/* only this chat's messages */
	assert_int_equal(OPS->messages_page(IMPL, c, 0, -1, 100, alice, &p, &n), 0);
	assert_int_equal(n, 10);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(p[i].chat_id, c);
	messages_free(p, n);
}

static void test_replies(void **state)
{
	seed();
	int64_t c = mk_chat("Group", "g", alice, T0);
	int64_t root = msg(c, alice, "root", T0);
	int64_t other_root = msg(c, alice, "other root", T0);
	int64_t r[5];
	for (int i = 0; i < 5; i++) {
		r[i] = msg_full(c, bob, "reply", root, NULL, 0, T0 + i);
		assert_int_equal(OPS->reply_count_add(IMPL, root, 1), 0);
	}
	msg_full(c, bob, "elsewhere", other_root, NULL, 0, T0);
	struct message m;
	assert_int_equal(OPS->message_get(IMPL, root, alice, &m), 0);
	assert_int_equal(m.reply_count, 5);
	message_clear(&m);
	assert_int_equal(OPS->message_get(IMPL, r[2], alice, &m), 0);
	assert_int_equal(m.reply_to, root);
	message_clear(&m);

	struct message *p = NULL;
	size_t n = 0;
	assert_int_equal(OPS->replies_page(IMPL, root, 0, 3, alice, &p, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(p[0].id, r[0]);
	assert_int_equal(p[1].id, r[1]);
	assert_int_equal(p[2].id, r[2]);
	messages_free(p, n);
	assert_int_equal(OPS->replies_page(IMPL, root, r[2], 10, alice, &p, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(p[0].id, r[3]);
	assert_int_equal(p[1].id, r[4]);
	messages_free(p, n);
	/* reply_count never below 0 */
	assert_int_equal(OPS->reply_count_add(IMPL, other_root, -5), 0);
	assert_int_equal(OPS->message_get(IMPL, other_root, alice, &m), 0);
	assert_int_equal(m.reply_count, 0);
	message_clear(&m);
}

static void test_edit_delete_tombstone(void **state)
{
	seed();
	int64_t c = mk_chat("Group", "g", alice, T0);
	assert_int_equal(OPS->member_add(IMPL, c, bob, "member", T0), 0);
	int64_t id = msg(c, alice, "first", T0);
	int64_t f = add_file(alice, "c", "pic.png");
	int64_t users[] = {bob};
	assert_int_equal(OPS->mentions_insert(IMPL, id, c, users, 1), 0);
	assert_int_equal(OPS->message_files_insert(IMPL, id, &f, 1), 0);
	assert_int_equal(OPS->reaction_add(IMPL, id, bob, "ok", T0), 0);

	assert_int_equal(OPS->message_edit(IMPL, id, "second", T0 + 50), 0);
	struct message m;
	assert_int_equal(OPS->message_get(IMPL, id, alice, &m), 0);
	assert_string_equal(m.content, "second");
	assert_int_equal(m.edited_at, T0 + 50);
	assert_int_equal(m.created_at, T0);
	assert_int_equal(m.nfiles, 1);
	message_clear(&m);
	assert_int_equal(OPS->message_edit(IMPL, 99999, "x", T0), FE_ENOTFOUND);

	assert_int_equal(OPS->message_delete(IMPL, id, T0 + 60), 0);
	assert_int_equal(OPS->message_get(IMPL, id, alice, &m), 0);
	assert_int_equal(m.id, id);
	assert_string_equal(m.content, "");
	assert_int_equal(m.deleted_at, T0 + 60);
	assert_int_equal(m.created_at, T0);
	assert_int_equal(m.nreactions, 0);
	assert_int_equal(m.nmentions, 0);
	assert_int_equal(m.nfiles, 0);
	message_clear(&m);
	/* the rows themselves are gone, not just hidden */
	struct reaction_sum *rs = NULL;
	size_t n = 9;
	assert_int_equal(OPS->reactions_of(IMPL, id, bob, &rs, &n), 0);
	assert_int_equal(n, 0);
	free(rs);
	struct unread *u = NULL;
	assert_int_equal(OPS->unread_counts(IMPL, bob, &u, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(u[0].unread_count, 0);
	assert_int_equal(u[0].mention_count, 0);
	free(u);
	/* a tombstone can be neither edited nor deleted again */
	assert_int_equal(OPS->message_edit(IMPL, id, "zombie", T0 + 70), FE_ENOTFOUND);
	assert_int_equal(OPS->message_delete(IMPL, id, T0 + 70), FE_ENOTFOUND);
	assert_int_equal(OPS->message_delete(IMPL, 99999, T0 + 70), FE_ENOTFOUND);
	assert_int_equal(OPS->message_get(IMPL, id, alice, &m), 0);
	assert_string_equal(m.content, "");
	assert_int_equal(m.deleted_at, T0 + 60);
	message_clear(&m);
	/* tombstones still appear in pages */
	struct message *p = NULL;
	assert_int_equal(OPS->messages_page(IMPL, c, 0, -1, 10, alice, &p, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(p[0].deleted_at, T0 + 60);
	messages_free(p, n);
}

/* ---- read markers and unread ---- */

static void test_read_markers(void **state)
{
	seed();
	int64_t c = mk_chat("Group", "g", alice, T0);
	int64_t marker = -1;
	assert_int_equal(OPS->read_get(IMPL, c, bob, &marker), 0);
	assert_int_equal(marker, 0);
	assert_int_equal(OPS->read_set(IMPL, c, bob, 10, T0 + 1), 0);
	assert_int_equal(OPS->read_get(IMPL, c, bob, &marker), 0);
	assert_int_equal(marker, 10);
	assert_int_equal(OPS->read_set(IMPL, c, bob, 5, T0 + 2), 0);
	assert_int_equal(OPS->read_get(IMPL, c, bob, &marker), 0);
	assert_int_equal(marker, 10);
	assert_int_equal(OPS->read_set(IMPL, c, bob, 12, T0 + 3), 0);
	assert_int_equal(OPS->read_get(IMPL, c, bob, &marker), 0);
	assert_int_equal(marker, 12);
	/* per user and per chat */
	assert_int_equal(OPS->read_get(IMPL, c, alice, &marker), 0);
	assert_int_equal(marker, 0);
	int64_t c2 = mk_chat("Group", "h", alice, T0);
	assert_int_equal(OPS->read_get(IMPL, c2, bob, &marker), 0);
	assert_int_equal(marker, 0);
}

static void test_unread_counts(void **state)
{
	seed();
	int64_t c = mk_chat("Group", "g", alice, T0);
	int64_t quiet = mk_chat("Group", "q", bob, T0);
	assert_int_equal(OPS->member_add(IMPL, c, bob, "member", T0), 0);
	assert_int_equal(OPS->member_add(IMPL, c, carol, "member", T0), 0);
	int64_t m1 = msg(c, alice, "one", T0 + 1);
	int64_t m2 = msg_full(c, alice, "@Bob Builder two", 0, NULL, 0, T0 + 2);
	int64_t users[] = {bob};
	assert_int_equal(OPS->mentions_insert(IMPL, m2, c, users, 1), 0);
	msg(c, bob, "own message", T0 + 3);
	int64_t m4 = msg_full(c, carol, "@everyone four", 0, NULL, 1, T0 + 4);
	int64_t m5 = msg(c, carol, "five, deleted", T0 + 5);
	assert_int_equal(OPS->message_delete(IMPL, m5, T0 + 6), 0);

	struct unread *u = NULL;
	size_t n = 0;
	assert_int_equal(OPS->unread_counts(IMPL, bob, &u, &n), 0);
	assert_int_equal(n, 2);
	/* ordered by chat id */
	assert_int_equal(u[0].chat_id, c);
	assert_int_equal(u[0].unread_count, 3);  /* m1, m2, m4 */
	assert_int_equal(u[0].mention_count, 2); /* m2, m4 */
	assert_int_equal(u[1].chat_id, quiet);
	assert_int_equal(u[1].unread_count, 0);
	assert_int_equal(u[1].mention_count, 0);
	free(u);
	/* reading up to m2 leaves m4 */
	assert_int_equal(OPS->read_set(IMPL, c, bob, m2, T0 + 7), 0);
	assert_int_equal(OPS->unread_counts(IMPL, bob, &u, &n), 0);
	assert_int_equal(u[0].unread_count, 1);
	assert_int_equal(u[0].mention_count, 1);
	free(u);
	assert_int_equal(OPS->read_set(IMPL, c, bob, m4, T0 + 8), 0);
	assert_int_equal(OPS->unread_counts(IMPL, bob, &u, &n), 0);
	assert_int_equal(u[0].unread_count, 0);
	assert_int_equal(u[0].mention_count, 0);
	free(u);
	/* alice: carol's m4 only (own and deleted excluded); the @everyone counts */
	assert_int_equal(OPS->unread_counts(IMPL, alice, &u, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(u[0].chat_id, c);
	assert_int_equal(u[0].unread_count, 2); /* bob's own message, carol's m4 */
	assert_int_equal(u[0].mention_count, 1);
	free(u);
	(void)m1;
	/* a user in no chat */
	assert_int_equal(OPS->unread_counts(IMPL, dave, &u, &n), 0);
	assert_int_equal(n, 0);
	free(u);
}

/* ---- files ---- */

static void test_files(void **state)
{
	seed();
	int64_t f = add_file(alice, "d", "report.pdf");
	struct file_rec got;
	memset(&got, 0, sizeof got);
	assert_int_equal(OPS->file_get(IMPL, f, &got), 0);
	assert_int_equal(got.id, f);
	assert_int_equal(got.uploader_id, alice);
	assert_int_equal(got.size, 1234);
	assert_string_equal(got.filename, "report.pdf");
	assert_string_equal(got.ext, "png");
	assert_string_equal(got.mime_type, "image/png");
	assert_int_equal(strlen(got.sha256), 64);
	assert_int_equal(OPS->file_get(IMPL, f + 1000, &got), FE_ENOTFOUND);

	/* the same content from the same uploader: the existing row */
	struct file_rec again = {0};
	memcpy(again.sha256, got.sha256, sizeof again.sha256);
	snprintf(again.ext, sizeof again.ext, "png");
	snprintf(again.mime_type, sizeof again.mime_type, "image/png");
	snprintf(again.filename, sizeof again.filename, "renamed.png");
	again.size = 1234;
	again.uploader_id = alice;
	again.created_at = T0 + 1000;
	assert_int_equal(OPS->file_insert(IMPL, &again), 0);
	assert_int_equal(again.id, f);
	assert_string_equal(again.filename, "report.pdf");
	assert_int_equal(again.created_at, T0);
	/* another uploader gets their own row */
	again.uploader_id = bob;
	again.id = 0;
	snprintf(again.filename, sizeof again.filename, "renamed.png");
	assert_int_equal(OPS->file_insert(IMPL, &again), 0);
	assert_int_not_equal(again.id, f);
	assert_string_equal(again.filename, "renamed.png");
	int64_t fbob = again.id;

	/* the rows of one content, by id: one per uploader */
	struct file_rec *rows;
	size_t n;
	assert_int_equal(OPS->files_by_sha(IMPL, got.sha256, &rows, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(rows[0].id, f);
	assert_int_equal(rows[0].uploader_id, alice);
	assert_int_equal(rows[1].id, fbob);
	assert_int_equal(rows[1].uploader_id, bob);
	free(rows);
	char nosuch[65];
	memset(nosuch, 'f', 64);
	nosuch[64] = 0;
	assert_int_equal(OPS->files_by_sha(IMPL, nosuch, &rows, &n), 0);
	assert_int_equal(n, 0);
	free(rows);

	/* in a chat of the user: not before alice shares it in a chat carol is in */
	assert_int_equal(OPS->file_in_chats_of(IMPL, f, carol), FE_ENOTFOUND);
	int64_t c = mk_chat("Group", "g", alice, T0);
	assert_int_equal(OPS->member_add(IMPL, c, carol, "member", T0), 0);
	int64_t m = msg(c, alice, "see attached", T0 + 1);
	assert_int_equal(OPS->message_files_insert(IMPL, m, &f, 1), 0);
	assert_int_equal(OPS->file_in_chats_of(IMPL, f, carol), 0);
	assert_int_equal(OPS->file_in_chats_of(IMPL, fbob, carol),
	                 FE_ENOTFOUND);                             /* bob's row is another file */
	assert_int_equal(OPS->file_in_chats_of(IMPL, f, alice), 0); /* the sender is a member too */
	/* not for someone outside the chat */
	assert_int_equal(OPS->file_in_chats_of(IMPL, f, dave), FE_ENOTFOUND);
	assert_int_equal(OPS->file_in_chats_of(IMPL, f, bob), FE_ENOTFOUND);
	/* not once carol left; again once back */
	assert_int_equal(OPS->member_remove(IMPL, c, carol), 0);
	assert_int_equal(OPS->file_in_chats_of(IMPL, f, carol), FE_ENOTFOUND);
	assert_int_equal(OPS->member_add(IMPL, c, carol, "member", T0 + 2), 0);
	assert_int_equal(OPS->file_in_chats_of(IMPL, f, carol), 0);
	/* not after the message is deleted */
	assert_int_equal(OPS->message_delete(IMPL, m, T0 + 3), 0);
	assert_int_equal(OPS->file_in_chats_of(IMPL, f, carol), FE_ENOTFOUND);

	/* a picture: seen by the owner's workspace (bob, carol, alice), not by dave */
	struct user u;
	assert_int_equal(OPS->file_avatar_in_workspace_of(IMPL, f, bob), FE_ENOTFOUND);
	assert_int_equal(OPS->user_get(IMPL, alice, &u), 0);
	u.avatar_file_id = f;
	assert_int_equal(OPS->user_update_profile(IMPL, &u), 0);
	assert_int_equal(OPS->user_get(IMPL, alice, &u), 0);
	assert_int_equal(u.avatar_file_id, f);
	assert_int_equal(OPS->file_avatar_in_workspace_of(IMPL, f, bob), 0);
	assert_int_equal(OPS->file_avatar_in_workspace_of(IMPL, f, carol), 0);
	assert_int_equal(OPS->file_avatar_in_workspace_of(IMPL, f, alice), 0);
	assert_int_equal(OPS->file_avatar_in_workspace_of(IMPL, f, dave), FE_ENOTFOUND);
	assert_int_equal(OPS->file_avatar_in_workspace_of(IMPL, fbob, bob), FE_ENOTFOUND);
	/* the url text alone names nothing: only the file id counts */
	assert_int_equal(OPS->user_get(IMPL, dave, &u), 0);
	snprintf(u.avatar_url, sizeof u.avatar_url, "/api/files/%s.png", got.sha256);
	assert_int_equal(OPS->user_update_profile(IMPL, &u), 0);
	assert_int_equal(OPS->files_by_sha(IMPL, got.sha256, &rows, &n), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(OPS->file_avatar_in_workspace_of(IMPL, rows[i].id, dave), FE_ENOTFOUND);
	free(rows);
	/* cleared: private again */
	assert_int_equal(OPS->user_get(IMPL, alice, &u), 0);
	u.avatar_file_id = 0;
	assert_int_equal(OPS->user_update_profile(IMPL, &u), 0);
	assert_int_equal(OPS->file_avatar_in_workspace_of(IMPL, f, bob), FE_ENOTFOUND);
}

/* ---- deletion and id reuse ---- */

static void test_chat_delete_ids_not_reused(void **state)
{
	seed();
	int64_t c = mk_chat("Group", "doomed", alice, T0);
	assert_int_equal(OPS->member_add(IMPL, c, bob, "member", T0), 0);
	int64_t root = msg(c, alice, "root", T0);
	int64_t reply = msg_full(c, bob, "reply", root, NULL, 0, T0 + 1);
	assert_int_equal(OPS->reply_count_add(IMPL, root, 1), 0);
	int64_t users[] = {bob};
	assert_int_equal(OPS->mentions_insert(IMPL, reply, c, users, 1), 0);
	assert_int_equal(OPS->reaction_add(IMPL, root, bob, "x", T0), 0);
	int64_t f = add_file(alice, "e", "f.png");
	assert_int_equal(OPS->message_files_insert(IMPL, root, &f, 1), 0);
	assert_int_equal(OPS->read_set(IMPL, c, bob, root, T0), 0);

	assert_int_equal(OPS->chat_delete(IMPL, c), 0);
	struct chat got;
	assert_int_equal(OPS->chat_get(IMPL, c, alice, &got), FE_ENOTFOUND);
	struct message m;
	assert_int_equal(OPS->message_get(IMPL, root, alice, &m), FE_ENOTFOUND);
	assert_int_equal(OPS->message_get(IMPL, reply, alice, &m), FE_ENOTFOUND);
	int64_t *ids = NULL;
	size_t n = 9;
	assert_int_equal(OPS->member_ids(IMPL, c, &ids, &n), 0);
	assert_int_equal(n, 0);
	free(ids);
	struct chat *list = NULL;
	assert_int_equal(OPS->chats_of_user(IMPL, bob, &list, &n), 0);
	assert_int_equal(n, 0);
	free(list);
	struct unread *u = NULL;
	assert_int_equal(OPS->unread_counts(IMPL, bob, &u, &n), 0);
	assert_int_equal(n, 0);
	free(u);
	assert_int_equal(OPS->chat_delete(IMPL, c), FE_ENOTFOUND);
	/* the file row survives (content-addressed, uploader keeps it) */
	struct file_rec fr;
	assert_int_equal(OPS->file_get(IMPL, f, &fr), 0);

	/* new chat and message ids never reuse the deleted ones */
	int64_t c2 = mk_chat("Group", "next", alice, T0);
	assert_true(c2 > c);
	int64_t m2 = msg(c2, alice, "fresh", T0);
	assert_true(m2 > reply);
}

static void test_chat_delete_only_that_chat(void **state)
{
	seed();
	int64_t a = mk_chat("Group", "a", alice, T0);
	int64_t b = mk_chat("Group", "b", alice, T0);
	msg(a, alice, "a1", T0);
	int64_t b1 = msg(b, alice, "b1", T0);
	assert_int_equal(OPS->chat_delete(IMPL, a), 0);
	struct message m;
	assert_int_equal(OPS->message_get(IMPL, b1, alice, &m), 0);
	assert_string_equal(m.content, "b1");
	message_clear(&m);
	assert_int_equal(get_chat(b, alice).member_count, 1);
}

/* The original's on-disk name: the hash without its first 6 characters
 * names one content, by extension; two contents ending alike: none. */
static void test_file_sha_by_suffix(void **state)
{
	seed();
	int64_t f = add_file(alice, "d", "a.png");
	add_file(bob, "d", "a.png"); /* the same content again: still one */
	struct file_rec got;
	assert_int_equal(OPS->file_get(IMPL, f, &got), 0);
	char sha[65] = "";
	assert_int_equal(OPS->file_sha_by_suffix(IMPL, got.sha256 + 6, "png", sha), 0);
	assert_string_equal(sha, got.sha256);
	assert_int_equal(OPS->file_sha_by_suffix(IMPL, got.sha256 + 6, "jpg", sha), FE_ENOTFOUND);
	assert_int_equal(OPS->file_sha_by_suffix(IMPL, got.sha256 + 7, "png", sha), FE_ENOTFOUND);
	/* a second content with the same last 58 characters: ambiguous */
	struct file_rec twin = got;
	twin.id = 0;
	memcpy(twin.sha256, "eeeeee", 6);
	assert_int_equal(OPS->file_insert(IMPL, &twin), 0);
	assert_int_equal(OPS->file_sha_by_suffix(IMPL, got.sha256 + 6, "png", sha), FE_ENOTFOUND);
	/* the full name still names each */
	struct file_rec *rows;
	size_t n;
	assert_int_equal(OPS->files_by_sha(IMPL, twin.sha256, &rows, &n), 0);
	assert_int_equal(n, 1);
	free(rows);
}

#define T(f) cmocka_unit_test_setup_teardown(f, store_setup, store_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_chat_insert_get),
	    T(test_channel_names_unique_folded),
	    T(test_single_key),
	    T(test_chats_of_user_order),
	    T(test_chat_ids_of_user),
	    T(test_chat_touch_never_lowers_last_message),
	    T(test_chats_public),
	    T(test_members),
	    T(test_message_insert_get),
	    T(test_messages_page),
	    T(test_replies),
	    T(test_edit_delete_tombstone),
	    T(test_read_markers),
	    T(test_unread_counts),
	    T(test_files),
	    T(test_file_sha_by_suffix),
	    T(test_chat_delete_ids_not_reused),
	    T(test_chat_delete_only_that_chat),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
