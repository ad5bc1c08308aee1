/* tests/unit/test_ndjson_transfer: the export file's lines (adapters/
 * ndjson_transfer): a record written and read back is the same record;
 * every malformed line is refused with its line number (not JSON, trailing
 * text, bad UTF-8, NUL characters, over-long lines, unknown types, missing
 * or mistyped fields, out-of-range numbers, bad id arrays, control
 * characters, a deleted message with content, a Single chat without its
 * pair); blank and CRLF lines are fine. Then the SQLite sink's reference
 * checks that a well-formed line can still fail (a reply or read marker
 * naming another chat's message), and that closing an unfinished import
 * leaves the store empty. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "adapters/ndjson_transfer.h"
#include "adapters/sqlite_store.h"
#include "adapters/sqlite_transfer.h"

/* Reads the first record of text; returns read()'s result, err filled. */
static int read_one(const char *text, size_t len, struct tr_record *r, char *err, size_t errlen)
{
	FILE *f = fmemopen((void *)text, len, "r");
	assert_non_null(f);
	struct tr_codec c;
	ndjson_reader(f, &c);
	err[0] = 0;
	int rc = c.ops->read(c.impl, r, err, errlen);
	ndjson_close(&c);
	fclose(f);
	return rc;
}

static void assert_refused(const char *text, const char *want)
{
	struct tr_record r;
	char err[512];
	int rc = read_one(text, strlen(text), &r, err, sizeof err);
	if (rc != -1 || !strstr(err, want))
		fail_msg("for %s: rc %d, err \"%s\", wanted \"%s\"", text, rc, err, want);
}

static const char *msg_line =
    "{\"type\":\"message\",\"id\":7,\"chat\":2,\"sender\":3,\"reply_to\":5,\"reply_count\":0,"
    "\"content\":\"Café 日本語\\nline two\",\"idempotency_key\":\"k-1\",\"mentions_all\":true,"
    "\"mentions\":[1,3],\"files\":[4],\"created_at\":1700000000000,\"edited_at\":0,\"deleted_at\":0}";

static void test_roundtrip(void **state)
{
	struct tr_record r;
	char err[512];
	assert_int_equal(read_one(msg_line, strlen(msg_line), &r, err, sizeof err), 1);
	/* the reader's strings are borrowed: write while reading the same text */
	FILE *in = fmemopen((void *)msg_line, strlen(msg_line), "r");
	char *out = NULL;
	size_t outlen = 0;
	FILE *o = open_memstream(&out, &outlen);
	struct tr_codec rd, wr;
	ndjson_reader(in, &rd);
	ndjson_writer(o, &wr);
	assert_int_equal(rd.ops->read(rd.impl, &r, err, sizeof err), 1);
	assert_int_equal(r.kind, TR_MESSAGE);
	assert_int_equal(r.u.message.id, 7);
	assert_int_equal(r.u.message.reply_to, 5);
	assert_int_equal(r.u.message.nmentions, 2);
	assert_int_equal(r.u.message.mentions[1], 3);
	assert_int_equal(r.u.message.nfiles, 1);
	assert_int_equal(r.u.message.files[0], 4);
	assert_int_equal(r.u.message.mentions_all, 1);
	assert_string_equal(r.u.message.content, "Café 日本語\nline two");
	assert_int_equal(wr.ops->write(wr.impl, &r), 0);
	ndjson_close(&rd);
	ndjson_close(&wr);
	fclose(in);
	fclose(o);
	/* the same bytes, plus the newline */
	assert_int_equal(outlen, strlen(msg_line) + 1);
	assert_memory_equal(out, msg_line, strlen(msg_line));
	free(out);
}

static void test_blank_and_crlf_lines_and_numbering(void **state)
{
	const char *text = "\n{\"type\":\"end\"}\r\n\n{\"type\":\"end\",}\n";
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	struct tr_codec c;
	struct tr_record r;
	char err[256];
	ndjson_reader(f, &c);
	assert_int_equal(c.ops->read(c.impl, &r, err, sizeof err), 1);
	assert_int_equal(r.kind, TR_END);
	c.ops->where(c.impl, err, sizeof err);
	assert_string_equal(err, "line 2");
	assert_int_equal(c.ops->read(c.impl, &r, err, sizeof err), -1);
	assert_non_null(strstr(err, "line 4: not a JSON object"));
	ndjson_close(&c);
	fclose(f);
	/* the end of the input */
	assert_int_equal(read_one("", 0, &r, err, sizeof err), 0);
}

static void test_not_json(void **state)
{
	assert_refused("{\"type\":\"end\"", "line 1: not a JSON object");
	assert_refused("[{\"type\":\"end\"}]", "line 1: not a JSON object");
	assert_refused("\"end\"", "line 1: not a JSON object");
	assert_refused("{\"type\":\"end\"} {\"type\":\"end\"}", "line 1: not a JSON object");
	assert_refused("{\"type\":\"end\"} trailing", "line 1: not a JSON object");
}

static void test_bytes(void **state)
{
	assert_refused("{\"type\":\"end\",\"x\":\"\xff\"}", "line 1: not valid UTF-8");
	assert_refused("{\"type\":\"end\",\"x\":\"\xed\xa0\x80\"}", "not valid UTF-8"); /* a surrogate */
	assert_refused("{\"type\":\"end\",\"x\":\"\xc0\xaf\"}", "not valid UTF-8");     /* overlong */
	assert_refused("{\"type\":\"workspace\",\"name\":\"a\\u0000b\",\"owner\":1,\"created_at\":0}",
	               "line 1: holds a NUL character");
	struct tr_record r;
	char err[256];
	const char raw[] = "{\"type\":\"end\",\"x\":\"a\0b\"}";
	assert_int_equal(read_one(raw, sizeof raw - 1, &r, err, sizeof err), -1);
	assert_non_null(strstr(err, "NUL"));
	/* the escaped backslash then u0000 is plain text */
	const char *text = "{\"type\":\"end\",\"x\":\"\\\\u0000\"}";
	assert_int_equal(read_one(text, strlen(text), &r, err, sizeof err), 1);
}

static void test_long_line(void **state)
{
	size_t n = NDJSON_LINE_MAX + 10;
	char *big = malloc(n + 1);
	assert_non_null(big);
	memset(big, ' ', n);
	memcpy(big, "{\"type\":\"end\"}", 14);
	big[n] = 0;
	struct tr_record r;
	char err[256];
	assert_int_equal(read_one(big, n, &r, err, sizeof err), -1);
	assert_non_null(strstr(err, "line 1: longer than"));
	free(big);
}

static void test_types_and_fields(void **state)
{
	assert_refused("{\"kind\":\"end\"}", "line 1: missing \"type\"");
	assert_refused("{\"type\":7}", "line 1: missing \"type\"");
	assert_refused("{\"type\":\"tweet\"}", "line 1: unknown record type \"tweet\"");
	assert_refused(
	    "{\"type\":\"header\",\"format\":\"fechatter-export\",\"version\":2,\"users\":0,\"chats\":0,"
	    "\"messages\":0}",
	    "line 1: export format version 2; this binary reads version 1");
	assert_refused("{\"type\":\"header\",\"version\":1}", "\"format\" must be \"fechatter-export\"");
	assert_refused("{\"type\":\"avatar\",\"user\":1}", "line 1: avatar: missing field \"file\"");
	assert_refused("{\"type\":\"avatar\",\"user\":\"1\",\"file\":2}",
	               "avatar: \"user\" must be an integer");
	assert_refused("{\"type\":\"avatar\",\"user\":1.5,\"file\":2}", "\"user\" must be an integer");
	assert_refused("{\"type\":\"avatar\",\"user\":0,\"file\":2}", "\"user\" must be in 1..");
	assert_refused("{\"type\":\"avatar\",\"user\":-3,\"file\":2}", "\"user\" must be in 1..");
	assert_refused("{\"type\":\"avatar\",\"user\":1e300,\"file\":2}", "\"user\" must be an integer");
	assert_refused("{\"type\":\"avatar\",\"user\":true,\"file\":2}", "\"user\" must be an integer");
	assert_refused("{\"type\":\"member\",\"chat\":1,\"user\":1,\"role\":\"king\",\"joined_at\":0}",
	               "member: \"role\" must be one of owner|admin|member");
	assert_refused("{\"type\":\"member\",\"chat\":1,\"user\":1,\"role\":5,\"joined_at\":0}",
	               "member: \"role\" must be a string");
	assert_refused(
	    "{\"type\":\"file\",\"id\":1,\"sha256\":\"ABC\",\"ext\":\"png\",\"mime_type\":\"image/png\","
	    "\"size\":1,\"uploader\":1,\"filename\":\"a\",\"created_at\":0}",
	    "file: \"sha256\" must be 64 lowercase hex digits");
	assert_refused("{\"type\":\"workspace\",\"name\":\"\",\"owner\":1,\"created_at\":0}",
	               "workspace: \"name\" must not be empty");
	assert_refused("{\"type\":\"workspace\",\"name\":\"a\\u0007b\",\"owner\":1,\"created_at\":0}",
	               "workspace: \"name\" holds control characters");
	assert_refused("{\"type\":\"workspace\",\"name\":\"a\\nb\",\"owner\":1,\"created_at\":0}",
	               "\"name\" holds control characters");
	char longname[400];
	snprintf(longname, sizeof longname,
	         "{\"type\":\"workspace\",\"name\":\"%0300d\",\"owner\":1,\"created_at\":0}", 1);
	assert_refused(longname, "workspace: \"name\" is longer than 203 bytes");
}

static void test_messages_and_chats(void **state)
{
	char line[1024];
	snprintf(line, sizeof line, "%.*s\"mentions\":[1,0]%s",
	         (int)(strstr(msg_line, "\"mentions\":") - msg_line), msg_line,
	         strstr(msg_line, ",\"files\""));
	assert_refused(line, "message: \"mentions\" must be an array of ids");
	snprintf(line, sizeof line, "%.*s\"mentions\":[\"1\"]%s",
	         (int)(strstr(msg_line, "\"mentions\":") - msg_line), msg_line,
	         strstr(msg_line, ",\"files\""));
	assert_refused(line, "\"mentions\" must be an array of ids");
	snprintf(line, sizeof line, "%.*s\"mentions\":7%s",
	         (int)(strstr(msg_line, "\"mentions\":") - msg_line), msg_line,
	         strstr(msg_line, ",\"files\""));
	assert_refused(line, "\"mentions\" must be an array of ids");
	snprintf(line, sizeof line, "%.*s\"mentions_all\":1%s",
	         (int)(strstr(msg_line, "\"mentions_all\":") - msg_line), msg_line,
	         strstr(msg_line, ",\"mentions\":"));
	assert_refused(line, "message: \"mentions_all\" must be true or false");
	snprintf(line, sizeof line, "%.*s\"deleted_at\":5}",
	         (int)(strstr(msg_line, "\"deleted_at\":") - msg_line), msg_line);
	assert_refused(line, "message: a deleted message has no content");
	snprintf(line, sizeof line, "%.*s\"content\":\"a\\u0001b\"%s",
	         (int)(strstr(msg_line, "\"content\":") - msg_line), msg_line,
	         strstr(msg_line, ",\"idempotency_key\""));
	assert_refused(line, "message: \"content\" holds control characters");
	const char *chat =
	    "{\"type\":\"chat\",\"id\":1,\"chat_type\":\"%s\",\"name\":\"\",\"description\":\"\","
	    "\"created_by\":1,\"pair_low\":%d,\"pair_high\":%d,\"created_at\":0,\"updated_at\":0,"
	    "\"last_activity_at\":0}";
	snprintf(line, sizeof line, chat, "Single", 0, 0);
	assert_refused(line, "chat: \"pair_low\" and \"pair_high\" name the two users");
	snprintf(line, sizeof line, chat, "Group", 1, 2);
	assert_refused(line, "chat: \"pair_low\" and \"pair_high\"");
	snprintf(line, sizeof line, chat, "Channel", 0, 0);
	assert_refused(line, "\"chat_type\" must be one of Single|Group|PrivateChannel|PublicChannel");
	struct tr_record r;
	char err[256];
	snprintf(line, sizeof line, chat, "Single", 2, 2); /* a note to self */
	assert_int_equal(read_one(line, strlen(line), &r, err, sizeof err), 1);
}

/* ---- the SQLite sink's reference checks ---- */

static void put(struct tr_sink *k, struct tr_record *r, int want, const char *msg)
{
	char err[256] = "";
	int rc = k->ops->put(k->impl, r, err, sizeof err);
	if (rc != want || (msg && !strstr(err, msg)))
		fail_msg("%s: rc %d err \"%s\", wanted %d \"%s\"", tr_kind_name(r->kind), rc, err, want,
		         msg ? msg : "");
}

static void test_sink_references(void **state)
{
	struct store st;
	char err[256];
	assert_int_equal(sqlite_store_open(":memory:", 0, &st, err, sizeof err), 0);
	struct tr_sink k;
	assert_int_equal(sqlite_import_open(&st, &k, err, sizeof err), 0);
	struct tr_record r;
	memset(&r, 0, sizeof r);
	r.kind = TR_WORKSPACE;
	strcpy(r.u.workspace.name, "W");
	put(&k, &r, 0, NULL);
	for (int i = 1; i <= 2; i++) {
		memset(&r, 0, sizeof r);
		r.kind = TR_USER;
		r.u.user.id = i * 10;
		snprintf(r.u.user.email, sizeof r.u.user.email, "u%d@x.test", i);
		strcpy(r.u.user.fullname, "U");
		strcpy(r.u.user.role, "member");
		strcpy(r.u.user.status, "Active");
		strcpy(r.u.user.password_hash, "!");
		put(&k, &r, 0, NULL);
	}
	for (int i = 1; i <= 2; i++) {
		memset(&r, 0, sizeof r);
		r.kind = TR_CHAT;
		r.u.chat.id = i;
		r.u.chat.created_by = 10;
		strcpy(r.u.chat.chat_type, "Group");
		put(&k, &r, 0, NULL);
	}
	memset(&r, 0, sizeof r);
	r.kind = TR_MESSAGE;
	r.u.message.id = 100;
	r.u.message.chat = 1;
	r.u.message.sender = 20;
	r.u.message.content = "hello";
	put(&k, &r, 0, NULL);
	r.u.message.id = 101;
	r.u.message.chat = 2;
	r.u.message.reply_to = 100;
	put(&k, &r, TR_EINPUT, "reply_to names message 100 of another chat");
	r.u.message.reply_to = 0;
	r.u.message.sender = 30;
	put(&k, &r, TR_EINPUT, "unknown sender (user 30)");
	r.u.message.sender = 10;
	r.u.message.id = 100;
	put(&k, &r, TR_EINPUT, "duplicate message id 100");
	memset(&r, 0, sizeof r);
	r.kind = TR_READ;
	r.u.read.chat = 2;
	r.u.read.user = 10;
	r.u.read.message = 100;
	put(&k, &r, TR_EINPUT, "message 100 is not in chat 2");
	memset(&r, 0, sizeof r);
	r.kind = TR_AVATAR;
	r.u.avatar.user = 10;
	r.u.avatar.file = 1;
	put(&k, &r, TR_EINPUT, "unknown file 1");
	/* closing without commit leaves nothing */
	k.ops->close(k.impl);
	assert_int_equal(sqlite_import_open(&st, &k, err, sizeof err), 0);
	k.ops->close(k.impl);
	sqlite_store_close(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip),
	    cmocka_unit_test(test_blank_and_crlf_lines_and_numbering),
	    cmocka_unit_test(test_not_json),
	    cmocka_unit_test(test_bytes),
	    cmocka_unit_test(test_long_line),
	    cmocka_unit_test(test_types_and_fields),
	    cmocka_unit_test(test_messages_and_chats),
	    cmocka_unit_test(test_sink_references),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
