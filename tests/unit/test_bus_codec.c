/* tests/unit/test_bus_codec: adapters/bus_codec, events as the NATS bus
 * carries them between appliances: every field the handlers read survives
 * the trip (message with files, mentions and reactions; chat row; audience;
 * a token version of INT64_MAX), absent pointers stay absent, the origin
 * travels, subjects per chat and per user, and bad text is refused. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "adapters/bus_codec.h"
#include "lib/err.h"

/* d.ev points into d: decoded in place, never copied */
static void roundtrip(const struct event *ev, const char *origin, struct decoded_event *d)
{
	size_t len;
	char *text = bus_codec_encode(ev, origin, &len);
	assert_int_equal(strlen(text), len);
	assert_int_equal(bus_codec_decode(text, len, d), 0);
	free(text);
}

static void test_message_created(void **state)
{
	(void)state;
	int64_t mentions[] = {7, 9007199254740991LL};
	struct file_rec files[2] = {{.id = 3,
	                             .size = 1234,
	                             .uploader_id = 5,
	                             .created_at = 1700000000123LL,
	                             .sha256 = "abcd",
	                             .ext = "png",
	                             .mime_type = "image/png",
	                             .filename = "cat \"1\".png"},
	                            {.id = 4, .filename = "b.txt"}};
	struct reaction_sum reactions[1] = {{.emoji = "👍", .count = 2, .me = 1}};
	struct message m = {.id = 42,
	                    .chat_id = 6,
	                    .sender_id = 5,
	                    .reply_to = 40,
	                    .reply_count = 1,
	                    .created_at = 1700000000999LL,
	                    .edited_at = 1700000001000LL,
	                    .content = "héllo \n \"world\" \\",
	                    .idempotency_key = "key-1",
	                    .sender_name = "Ann Åberg",
	                    .sender_avatar = "/files/1/ab.png",
	                    .mentions_all = 1,
	                    .mentions = mentions,
	                    .nmentions = 2,
	                    .files = files,
	                    .nfiles = 2,
	                    .reactions = reactions,
	                    .nreactions = 1};
	struct event ev = {.type = EV_MESSAGE_CREATED,
	                   .workspace_id = 1,
	                   .chat_id = 6,
	                   .actor_id = 5,
	                   .message_id = 42,
	                   .message = &m,
	                   .idempotency_key = m.idempotency_key};
	struct decoded_event d;
	roundtrip(&ev, "origin-A", &d);
	assert_string_equal(d.origin, "origin-A");
	assert_int_equal(d.ev.type, EV_MESSAGE_CREATED);
	assert_int_equal(d.ev.workspace_id, 1);
	assert_int_equal(d.ev.chat_id, 6);
	assert_int_equal(d.ev.actor_id, 5);
	assert_int_equal(d.ev.message_id, 42);
	assert_string_equal(d.ev.idempotency_key, "key-1");
	assert_null(d.ev.chat);
	assert_null(d.ev.emoji);
	assert_null(d.ev.status);
	assert_null(d.ev.user_name);
	assert_null(d.ev.audience);
	const struct message *r = d.ev.message;
	assert_non_null(r);
	assert_int_equal(r->id, 42);
	assert_int_equal(r->chat_id, 6);
	assert_int_equal(r->sender_id, 5);
	assert_int_equal(r->reply_to, 40);
	assert_int_equal(r->reply_count, 1);
	assert_int_equal(r->created_at, 1700000000999LL);
	assert_int_equal(r->edited_at, 1700000001000LL);
	assert_int_equal(r->deleted_at, 0);
	assert_string_equal(r->content, m.content);
	assert_string_equal(r->idempotency_key, "key-1");
	assert_string_equal(r->sender_name, "Ann Åberg");
	assert_string_equal(r->sender_avatar, "/files/1/ab.png");
	assert_int_equal(r->mentions_all, 1);
	assert_int_equal(r->nmentions, 2);
	assert_int_equal(r->mentions[1], 9007199254740991LL);
	assert_int_equal(r->nfiles, 2);
	assert_memory_equal(&r->files[0], &files[0], sizeof files[0]);
	assert_memory_equal(&r->files[1], &files[1], sizeof files[1]);
	assert_int_equal(r->nreactions, 1);
	assert_string_equal(r->reactions[0].emoji, "👍");
	assert_int_equal(r->reactions[0].count, 2);
	assert_int_equal(r->reactions[0].me, 1);
	bus_codec_clear(&d);
	bus_codec_clear(&d); /* idempotent */
}

static void test_chat_and_audience(void **state)
{
	(void)state;
	struct chat c = {.id = 9,
	                 .workspace_id = 2,
	                 .created_by = 3,
	                 .last_message_id = 77,
	                 .last_activity_at = 5,
	                 .created_at = 6,
	                 .updated_at = 7,
	                 .chat_type = "PrivateChannel",
	                 .name = "ops",
	                 .description = "the on-call room",
	                 .member_count = 4,
	                 .my_role = "owner"};
	int64_t aud[] = {3, 4, 8};
	struct event ev = {.type = EV_CHAT_DELETED,
	                   .workspace_id = 2,
	                   .chat_id = 9,
	                   .actor_id = 3,
	                   .chat = &c,
	                   .audience = aud,
	                   .naudience = 3};
	struct decoded_event d;
	roundtrip(&ev, "B", &d);
	assert_non_null(d.ev.chat);
	assert_memory_equal(d.ev.chat, &c, sizeof c);
	assert_int_equal(d.ev.naudience, 3);
	assert_memory_equal(d.ev.audience, aud, sizeof aud);
	bus_codec_clear(&d);
	/* an empty audience stays an audience (nobody), not "the members" */
	ev.naudience = 0;
	roundtrip(&ev, "B", &d);
	assert_non_null(d.ev.audience);
	assert_int_equal(d.ev.naudience, 0);
	bus_codec_clear(&d);
}

static void test_personal_events(void **state)
{
	(void)state;
	struct event rev = {.type = EV_SESSIONS_REVOKED,
	                    .workspace_id = 1,
	                    .user_id = 12,
	                    .actor_id = 12,
	                    .token_version = INT64_MAX};
	struct decoded_event d;
	roundtrip(&rev, "A", &d);
	assert_int_equal(d.ev.type, EV_SESSIONS_REVOKED);
	assert_int_equal(d.ev.user_id, 12);
	assert_true(d.ev.token_version == INT64_MAX);
	bus_codec_clear(&d);
	rev.token_version = 3;
	roundtrip(&rev, "A", &d);
	assert_int_equal(d.ev.token_version, 3);
	bus_codec_clear(&d);

	struct event pres = {.type = EV_PRESENCE_CHANGED,
	                     .workspace_id = 1,
	                     .user_id = 12,
	                     .actor_id = 12,
	                     .status = "away",
	                     .last_seen = 1700000000000LL};
	roundtrip(&pres, "A", &d);
	assert_string_equal(d.ev.status, "away");
	assert_int_equal(d.ev.last_seen, 1700000000000LL);
	bus_codec_clear(&d);

	struct event typing = {.type = EV_TYPING_CHANGED,
	                       .workspace_id = 1,
	                       .chat_id = 4,
	                       .user_id = 12,
	                       .actor_id = 12,
	                       .added = 1,
	                       .user_name = "Bo"};
	roundtrip(&typing, "A", &d);
	assert_int_equal(d.ev.added, 1);
	assert_string_equal(d.ev.user_name, "Bo");
	bus_codec_clear(&d);

	struct event react = {.type = EV_REACTION_CHANGED,
	                      .workspace_id = 1,
	                      .chat_id = 4,
	                      .user_id = 12,
	                      .message_id = 99,
	                      .emoji = "🎉",
	                      .added = 0};
	roundtrip(&react, "A", &d);
	assert_string_equal(d.ev.emoji, "🎉");
	assert_int_equal(d.ev.added, 0);
	assert_int_equal(d.ev.message_id, 99);
	bus_codec_clear(&d);
}

static void test_subjects(void **state)
{
	(void)state;
	char s[96];
	struct event msg = {.type = EV_MESSAGE_CREATED, .workspace_id = 1, .chat_id = 6};
	bus_codec_subject(&msg, "fechatter", s, sizeof s);
	assert_string_equal(s, "fechatter.1.chat.6");
	struct event rev = {.type = EV_SESSIONS_REVOKED, .workspace_id = 3, .user_id = 12};
	bus_codec_subject(&rev, "fechatter", s, sizeof s);
	assert_string_equal(s, "fechatter.3.user.12");
	struct event read = {.type = EV_READ_MARKER_MOVED, .workspace_id = 3, .chat_id = 5, .user_id = 12};
	bus_codec_subject(&read, "fechatter", s, sizeof s);
	assert_string_equal(s, "fechatter.3.chat.5");
	struct event user = {.type = EV_USER_CHANGED, .workspace_id = 3, .user_id = 12};
	bus_codec_subject(&user, "fechatter", s, sizeof s);
	assert_string_equal(s, "fechatter.3.user.12");
	struct event ws = {.type = EV_WORKSPACE_CHANGED, .workspace_id = 3};
	bus_codec_subject(&ws, "fechatter", s, sizeof s);
	assert_string_equal(s, "fechatter.3.workspace");
}

static void test_bad_text(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "",
	    "not json",
	    "[]",
	    "{}",                                                  /* no type */
	    "{\"t\":0}",                                           /* no such type */
	    "{\"t\":999}",                                         /* no such type */
	    "{\"t\":1.5}",                                         /* not an integer */
	    "{\"t\":1,\"c\":\"x\"}",                               /* id not a number */
	    "{\"t\":1,\"msg\":[]}",                                /* message not an object */
	    "{\"t\":1,\"msg\":{\"x\":3}}",                         /* content not text */
	    "{\"t\":1,\"msg\":{\"mn\":[1.5]}}",                    /* mention not an id */
	    "{\"t\":7,\"au\":{}}",                                 /* audience not an array */
	    "{\"t\":5,\"chat\":{\"t\":\"aaaaaaaaaaaaaaaaaaaa\"}}", /* chat type too long */
	    "{\"t\":13,\"tv\":\"12x\"}",                           /* version not a number */
	    "{\"o\":5,\"t\":1}",                                   /* origin not text */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct decoded_event d;
		assert_int_equal(bus_codec_decode(bad[i], strlen(bad[i]), &d), FE_EINVAL);
		assert_null(d.ev.message);
		assert_null(d.audience);
	}
	/* the length is honoured: a valid prefix of a longer buffer */
	const char *t = "{\"t\":1,\"c\":4}garbage";
	struct decoded_event d;
	assert_int_equal(bus_codec_decode(t, 13, &d), 0);
	assert_int_equal(d.ev.chat_id, 4);
	bus_codec_clear(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_message_created), cmocka_unit_test(test_chat_and_audience),
	    cmocka_unit_test(test_personal_events), cmocka_unit_test(test_subjects),
	    cmocka_unit_test(test_bad_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
