/* tests/unit/test_slack_import: core/slack_import on a real in-memory
 * SQLite store, fed by an in-memory slack_source (records as the adapter
 * makes them): Slack markup to our text, emoji names, the new store
 * operations (import_map, password_tokens), and what the e2e fixture does
 * not reach: a channel name taken by an existing chat (-2), an email that
 * already has an account (mapped, not duplicated), a reply whose root is
 * missing, a tombstone, several workspaces without --workspace (refused,
 * nothing written), and a re-run that adds nothing (members included). */
#define TESTAPP_STORE_ONLY
#include "testapp.h"
#include "core/slack_import.h"

/* ---- Slack markup ---- */

static int fake_lookup(void *ctx, const char *id, const char **name, int64_t *uid)
{
	if (!strcmp(id, "U1")) {
		*name = "Ada Lovelace";
		*uid = 11;
		return 0;
	}
	if (!strcmp(id, "U2")) {
		*name = "Grace Hopper";
		*uid = 12;
		return 0;
	}
	return -1;
}

static char *convert(const char *in, int64_t self, int64_t *ids, size_t *n, int *all)
{
	struct buf b = {0};
	*n = 0;
	*all = 0;
	slack_text(in, fake_lookup, NULL, self, &b, ids, 8, n, all);
	return b.p;
}

static void test_text(void **state)
{
	int64_t ids[8];
	size_t n;
	int all;
	char *t = convert("hi <@U1> and <@U2|grace>, <@U1> again", 0, ids, &n, &all);
	assert_string_equal(t, "hi @Ada Lovelace and @Grace Hopper, @Ada Lovelace again");
	assert_int_equal(n, 2);
	assert_int_equal(ids[0], 11);
	assert_int_equal(ids[1], 12);
	assert_int_equal(all, 0);
	free(t);
	/* self-mentions are not mentions; unknown users keep their label or id */
	t = convert("<@U1> <@U9|old name> <@U8>", 11, ids, &n, &all);
	assert_string_equal(t, "@Ada Lovelace @old name @U8");
	assert_int_equal(n, 0);
	free(t);
	t = convert("<!here> <!channel|channel> <!everyone> <!subteam^S1|@devs> <!date^1|fallback>", 0, ids,
	            &n, &all);
	assert_string_equal(t, "@here @channel @everyone @devs fallback");
	assert_int_equal(all, 1);
	free(t);
	t = convert(
	    "see <#C1|general>, <https://a.example/x?a=1&amp;b=2|the &lt;doc&gt;> and <https://b.example> "
	    "or <mailto:x@y.org|x@y.org>; 1 &lt; 2 &amp;&amp; 3 &gt; 2",
	    0, ids, &n, &all);
	assert_string_equal(t,
	                    "see #general, [the <doc>](https://a.example/x?a=1&b=2) and https://b.example or "
	                    "x@y.org; 1 < 2 && 3 > 2");
	free(t);
	t = convert("unclosed <https://x", 0, ids, &n, &all);
	assert_string_equal(t, "unclosed <https://x");
	free(t);
	t = convert("", 0, ids, &n, &all);
	assert_string_equal(t, "");
	free(t);
}

static void test_emoji(void **state)
{
	char e[36];
	assert_int_equal(slack_emoji("+1", e, sizeof e), 0);
	assert_string_equal(e, "👍");
	assert_int_equal(slack_emoji("thumbsup::skin-tone-4", e, sizeof e), 0);
	assert_string_equal(e, "👍");
	assert_int_equal(slack_emoji("party_parrot", e, sizeof e), 0);
	assert_string_equal(e, ":party_parrot:");
	assert_int_equal(slack_emoji("a_very_long_custom_emoji_name_indeed", e, sizeof e), -1);
	assert_int_equal(slack_emoji("", e, sizeof e), -1);
}

/* ---- store operations ---- */

static void test_store_ops(void **state)
{
	int64_t ws = store_add_workspace(&st, "W", T0), id = 0, n = 0;
	struct user u = new_user(ws, "a@x.org", "A", "member", T0);
	store_insert_user(&st, &u);
	assert_int_equal(store_call(&st, import_map_get, "slack.user", "U1", &id), FE_ENOTFOUND);
	assert_int_equal(store_call(&st, import_map_put, "slack.user", "U1", u.id), 0);
	assert_int_equal(store_call(&st, import_map_put, "slack.user", "U1", u.id), FE_ECONFLICT);
	assert_int_equal(store_call(&st, import_map_put, "slack.bot", "U1", 99), 0); /* kinds apart */
	assert_int_equal(store_call(&st, import_map_get, "slack.user", "U1", &id), 0);
	assert_int_equal(id, u.id);
	assert_int_equal(store_call(&st, import_map_get, "slack.bot", "U1", &n), 0);
	assert_int_equal(n, 99);

	char token[AUTH_LINK_TOKEN_MAX], hash[65];
	int64_t exp;
	struct password_token t;
	assert_int_equal(auth_password_link_new(&st, u.id, T0, 1000, token, &exp), 0);
	assert_int_equal(strlen(token), 43);
	assert_int_equal(exp, T0 + 1000);
	sha256_hex(token, strlen(token), hash);
	assert_int_equal(store_call(&st, password_token_get, token, &t), FE_ENOTFOUND); /* only the hash */
	assert_int_equal(store_call(&st, password_token_get, hash, &t), 0);
	assert_int_equal(t.user_id, u.id);
	assert_int_equal(t.expires_at, T0 + 1000);
	assert_int_equal(t.used_at, 0);
	assert_int_equal(store_call(&st, password_token_use, t.id, T0 + 1), 0);
	assert_int_equal(store_call(&st, password_token_use, t.id, T0 + 2), FE_ECONFLICT);
	assert_int_equal(store_call(&st, password_token_get, hash, &t), 0);
	assert_int_equal(t.used_at, T0 + 1);
}

/* ---- the import, from records ---- */

static const char *const gen_members[] = {"U1", "U2"};
static const char *const ada[] = {"U1"};
static struct slack_user users[] = {
    {.id = "U1",
     .name = "ada",
     .real_name = "Ada Lovelace",
     .display_name = "",
     .email = "ada@x.org",
     .title = "",
     .tz = "",
     .is_primary_owner = 1},
    {.id = "U2",
     .name = "grace",
     .real_name = "",
     .display_name = "Grace",
     .email = "",
     .title = "",
     .tz = ""},
};
static struct slack_channel channels[] = {
    {SLACK_PUBLIC, "C1", "general", "the purpose", "U1", 1000, gen_members, 2},
};
static struct slack_reaction react[] = {{"+1", ada, 1}};
static struct slack_message msgs[] = {
    {.file = "general/1970-01-01.json",
     .ts_us = 2000000,
     .ts = "2.000000",
     .thread_ts = "",
     .user = "U1",
     .bot_id = "",
     .username = "",
     .subtype = "",
     .text = "root <@U2>",
     .reactions = react,
     .nreactions = 1},
    {.file = "general/1970-01-01.json",
     .ts_us = 3000000,
     .ts = "3.000000",
     .thread_ts = "1.000000",
     .user = "U2",
     .bot_id = "",
     .username = "",
     .subtype = "",
     .text = "reply to a root not exported"},
    {.file = "general/1970-01-01.json",
     .ts_us = 4000000,
     .ts = "4.000000",
     .thread_ts = "2.000000",
     .user = "U2",
     .bot_id = "",
     .username = "",
     .subtype = "",
     .text = "a real reply"},
    {.file = "general/1970-01-01.json",
     .ts_us = 5000000,
     .ts = "5.000000",
     .thread_ts = "",
     .user = "U1",
     .bot_id = "",
     .username = "",
     .subtype = "tombstone",
     .text = "This message was deleted."},
    {.file = "general/1970-01-01.json",
     .ts_us = 6000000,
     .ts = "6.000000",
     .thread_ts = "",
     .user = "U2",
     .bot_id = "",
     .username = "",
     .subtype = "channel_join",
     .text = "<@U2> has joined the channel"},
};

static int src_users(void *impl, slack_user_cb cb, void *ctx, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof users / sizeof users[0]; i++) {
		int rc = cb(ctx, &users[i]);
		if (rc)
			return rc;
	}
	return 0;
}

static int src_channels(void *impl, slack_channel_cb cb, void *ctx, char *err, size_t errlen)
{
	return cb(ctx, &channels[0]);
}

static int src_messages(void *impl, const char *folder, slack_message_cb cb, void *ctx, char *err,
                        size_t errlen)
{
	for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++) {
		int rc = cb(ctx, &msgs[i]);
		if (rc)
			return rc;
	}
	return 0;
}

static void src_close(void *impl)
{
}

static const struct slack_source_ops src_ops = {src_users, src_channels, src_messages, src_close};

static int64_t count(const char *sql)
{
	int64_t n = -1;
	assert_int_equal(sq_scalar(st.impl, sql, &n, ""), 0);
	return n;
}

static int run_import(int64_t ws, struct slack_import_stats *s, char *err, size_t errlen)
{
	struct slack_source src = {&src_ops, NULL};
	struct slack_import_opts o = {
	    .workspace_id = ws, .link_ttl_ms = 60000, .now_ms = fake_clock, .batch = 2};
	return slack_import(&st, &src, &o, s, err, errlen);
}

static void test_import_into_existing(void **state)
{
	clock_set(T0);
	int64_t ws = store_add_workspace(&st, "Acme", T0);
	struct user owner = new_user(ws, "ada@x.org", "Ada L.", "owner", T0); /* has a password */
	store_insert_user(&st, &owner);
	struct chat c = {.workspace_id = ws, .created_by = owner.id, .created_at = T0};
	snprintf(c.chat_type, sizeof c.chat_type, "PublicChannel");
	snprintf(c.name, sizeof c.name, "General"); /* taken, case-folded */
	assert_int_equal(store_call(&st, chat_insert, &c, NULL), 0);
	struct slack_import_stats s;
	char err[256];
	assert_int_equal(run_import(0, &s, err, sizeof err), 0);
	assert_int_equal(s.workspace_id, ws);
	assert_int_equal(s.workspace_created, 0);
	assert_int_equal(s.users_merged, 1); /* ada's email has an account */
	assert_int_equal(s.users_new, 1);
	assert_int_equal(count("SELECT count(*) FROM users"), 2);
	assert_int_equal(count("SELECT count(*) FROM chats WHERE name = 'general-2'"), 1);
	assert_int_equal(s.messages_new, 4);
	assert_int_equal(s.deleted, 1);
	assert_int_equal(s.skipped_system, 1);
	assert_int_equal(count("SELECT count(*) FROM messages WHERE deleted_at = 5000 AND content = ''"), 1);
	assert_int_equal(s.orphan_replies, 1);
	assert_int_equal(s.replies, 1);
	assert_int_equal(s.reactions, 1);
	assert_int_equal(s.mentions, 1);
	assert_int_equal(count("SELECT reply_count FROM messages WHERE content = 'root @Grace'"), 1);
	assert_int_equal(count("SELECT count(*) FROM messages WHERE reply_to IS NULL"), 3);
	assert_int_equal(count("SELECT created_at FROM messages WHERE content = 'a real reply'"), 4000);
	/* Grace, new and without a password, got a link; Ada has a password */
	assert_int_equal(s.links, 1);
	assert_int_equal(count("SELECT count(*) FROM users WHERE password_hash = ''"), 1);
	assert_int_equal(count("SELECT count(*) FROM users WHERE email = 'u2@slack-import.invalid'"), 1);
	/* read markers at the end of the import for both members */
	assert_int_equal(count("SELECT count(*) FROM read_markers"), 2);

	/* again: nothing new, and who left the channel since stays out */
	assert_int_equal(store_call(&st, member_remove,
	                            count("SELECT id FROM chats WHERE name = 'general-2'"),
	                            count("SELECT id FROM users WHERE email = 'u2@slack-import.invalid'")),
	                 0);
	int64_t before = count("SELECT count(*) FROM messages") * 1000 +
	                 count("SELECT count(*) FROM chats") * 100 +
	                 count("SELECT count(*) FROM users") * 10 + count("SELECT count(*) FROM reactions");
	assert_int_equal(run_import(0, &s, err, sizeof err), 0);
	assert_int_equal(s.messages_new, 0);
	assert_int_equal(s.messages_mapped, 4);
	assert_int_equal(s.chats_new, 0);
	assert_int_equal(s.users_new + s.users_merged, 0);
	int64_t after = count("SELECT count(*) FROM messages") * 1000 +
	                count("SELECT count(*) FROM chats") * 100 + count("SELECT count(*) FROM users") * 10 +
	                count("SELECT count(*) FROM reactions");
	assert_int_equal(after, before);
	assert_int_equal(count("SELECT count(*) FROM chat_members m JOIN chats c ON c.id = m.chat_id"
	                       " WHERE c.name = 'general-2'"),
	                 1);
}

static void test_import_new_workspace(void **state)
{
	clock_set(T0);
	struct slack_import_stats s;
	char err[256];
	assert_int_equal(run_import(0, &s, err, sizeof err), 0);
	assert_int_equal(s.workspace_created, 1);
	struct workspace w;
	assert_int_equal(store_call(&st, workspace_get, s.workspace_id, &w), 0);
	assert_string_equal(w.name, "Slack");
	struct user u;
	assert_int_equal(store_call(&st, user_get, w.owner_id, &u), 0);
	assert_string_equal(u.email, "ada@x.org"); /* the primary owner */
	assert_string_equal(u.role, "owner");
	assert_int_equal(s.links, 2);
}

static void test_several_workspaces_refused(void **state)
{
	store_add_workspace(&st, "One", T0);
	store_add_workspace(&st, "Two", T0);
	struct slack_import_stats s;
	char err[256];
	assert_int_equal(run_import(0, &s, err, sizeof err), SLACK_EINPUT);
	assert_non_null(strstr(err, "--workspace"));
	assert_int_equal(run_import(7, &s, err, sizeof err), SLACK_EINPUT);
	assert_non_null(strstr(err, "no workspace 7"));
	assert_int_equal(count("SELECT count(*) FROM users"), 0);
	assert_int_equal(count("SELECT count(*) FROM import_map"), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, store_setup, store_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_text),  cmocka_unit_test(test_emoji), T(test_store_ops),
	    T(test_import_into_existing), T(test_import_new_workspace), T(test_several_workspaces_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
