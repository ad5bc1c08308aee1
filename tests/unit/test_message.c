/* tests/unit/test_message: the message use cases (core/message) and the
 * group-commit writer (core/writer) on a real app: SQLite in memory, the
 * in-process bus with a recording handler, a fake clock. Sends run either
 * write-through (no loop: schedule_flush NULL) or queued, with the test
 * playing the loop and calling writer_flush itself. */
#include "testapp.h"
#include "core/chat.h"
#include "core/file.h"
#include "core/message.h"

#define S (app.store.ops)
#define SI (app.store.impl)

/* ---- harness (testapp.h) ---- */

static int setup(void **state)
{
	/* write-through unless a test plays the loop */
	return app_setup(&(struct app_opts){.record = EV_ALL, .writer = TA_WRITE_THROUGH});
}

static int teardown(void **state)
{
	return app_teardown();
}

static int64_t wsA, wsB;
static struct principal ann, ben, cat, emile, bee, outsider, bob_b;
static int64_t chat, chat2;

/* ann owns `chat` (a Group with ben, cat, emile, bee); chat2 is ann's and
 * ben's other group; outsider is in the workspace but in neither chat. */
static void seed(void)
{
	wsA = add_workspace("Acme");
	wsB = add_workspace("Bravo");
	ann = add_member(wsA, "ann@acme.io", "Ann Arbor");
	ben = add_member(wsA, "ben@acme.io", "Ben Bay");
	cat = add_member(wsA, "cat@acme.io", "Cat Cove");
	emile = add_member(wsA, "emile@acme.io", "Émile Zola");
	bee = add_member(wsA, "b@acme.io", "B");
	outsider = add_member(wsA, "out@acme.io", "Otto Outsider");
	bob_b = add_member(wsB, "bob@bravo.io", "Bob Bravo");
	struct chat_summary s;
	struct fe_err e = {0};
	int created;
	int64_t members[] = {ben.user_id, cat.user_id, emile.user_id, bee.user_id};
	struct chat_create_in in = {"Room", "Group", NULL, members, 4};
	assert_int_equal(chat_create(&app, &ann, &in, &s, &created, &e), 0);
	chat = s.chat.id;
	message_clear(&s.last);
	free(s.members);
	struct chat_create_in in2 = {"Other", "Group", NULL, members, 1};
	assert_int_equal(chat_create(&app, &ann, &in2, &s, &created, &e), 0);
	chat2 = s.chat.id;
	message_clear(&s.last);
	free(s.members);
	nev = 0;
}

struct sent {
	int called, rc, created, after_commit, visible;
	int64_t id, reply_to;
	int mentions_all, nmentions;
	int64_t mentions[8];
	char content[64];
};

static void on_sent(void *req, int rc, const struct fe_err *e, const struct message *m, int created)
{
	struct sent *s = req;
	s->called++;
	s->rc = rc;
	s->after_commit = committed();
	if (!rc) {
		struct message check;
		s->id = m->id;
		s->created = created;
		s->reply_to = m->reply_to;
		s->mentions_all = m->mentions_all;
		s->nmentions = m->nmentions;
		for (int i = 0; i < m->nmentions && i < 8; i++)
			s->mentions[i] = m->mentions[i];
		snprintf(s->content, sizeof s->content, "%.60s", m->content);
		s->visible = S->message_get(SI, m->id, 0, &check) == 0;
		if (s->visible)
			message_clear(&check);
	}
}

static int send_full(const struct principal *p, int64_t c, const char *content, const char *key,
                     int64_t reply_to, struct sent *out, struct fe_err *e)
{
	struct send_in in = {0};
	in.content = content;
	in.idempotency_key = key;
	in.reply_to = reply_to;
	memset(out, 0, sizeof *out);
	return message_send(&app, p, c, &in, on_sent, out, e);
}

/* A write-through send that must succeed; returns the new id. */
static int64_t send_ok(const struct principal *p, int64_t c, const char *content)
{
	struct sent s;
	struct fe_err e = {0};
	assert_int_equal(send_full(p, c, content, NULL, 0, &s, &e), 0);
	assert_int_equal(s.called, 1);
	assert_int_equal(s.rc, 0);
	assert_int_equal(s.created, 1);
	return s.id;
}

static struct message get_msg(int64_t id, int64_t viewer)
{
	struct message m;
	assert_int_equal(S->message_get(SI, id, viewer, &m), 0);
	return m;
}

static const struct rec *only_event(enum event_type t)
{
	assert_int_equal(nev, 1);
	assert_int_equal(evs[0].type, t);
	assert_true(evs[0].after_commit);
	return &evs[0];
}

static struct unread unread_of(const struct principal *p, int64_t c)
{
	struct unread *u = NULL, r = {0};
	size_t n = 0;
	struct fe_err e = {0};
	assert_int_equal(message_unread(&app, p, &u, &n, &e), 0);
	for (size_t i = 0; i < n; i++)
		if (u[i].chat_id == c)
			r = u[i];
	free(u);
	assert_int_equal(r.chat_id, c);
	return r;
}

/* ---- sending ---- */

static void test_send_write_through(void **state)
{
	seed();
	struct sent s;
	struct fe_err e = {0};
	clock_set(T0 + 42);
	assert_int_equal(send_full(&ben, chat, "hello room", "k-1", 0, &s, &e), 0);
	assert_int_equal(s.called, 1);
	assert_int_equal(s.rc, 0);
	assert_int_equal(s.created, 1);
	assert_true(s.after_commit);
	assert_true(s.visible);
	assert_string_equal(s.content, "hello room");
	struct message m = get_msg(s.id, ann.user_id);
	assert_int_equal(m.chat_id, chat);
	assert_int_equal(m.sender_id, ben.user_id);
	assert_string_equal(m.sender_name, "Ben Bay");
	assert_string_equal(m.idempotency_key, "k-1");
	assert_int_equal(m.created_at, T0 + 42);
	assert_int_equal(m.reply_to, 0);
	message_clear(&m);
	const struct rec *r = only_event(EV_MESSAGE_CREATED);
	assert_int_equal(r->chat_id, chat);
	assert_int_equal(r->actor_id, ben.user_id);
	assert_int_equal(r->message_id, s.id);
	assert_true(r->has_message);
	assert_string_equal(r->content, "hello room");
	assert_string_equal(r->key, "k-1");
	/* the chat's activity moved */
	struct chat c;
	assert_int_equal(S->chat_get(SI, chat, ann.user_id, &c), 0);
	assert_int_equal(c.last_message_id, s.id);
	assert_int_equal(c.last_activity_at, T0 + 42);
	struct writer_stats ws;
	writer_stats(app.writer, &ws);
	assert_int_equal(ws.batches, 1);
	assert_int_equal(ws.ops, 1);
	assert_int_equal(ws.failed_batches, 0);

	/* not a member: not found, nothing queued, no callback */
	nev = 0;
	assert_int_equal(send_full(&outsider, chat, "let me in", NULL, 0, &s, &e), FE_ENOTFOUND);
	assert_int_equal(send_full(&bob_b, chat, "hi", NULL, 0, &s, &e), FE_ENOTFOUND);
	assert_int_equal(send_full(&ben, 424242, "hi", NULL, 0, &s, &e), FE_ENOTFOUND);
	assert_int_equal(s.called, 0);
	assert_int_equal(nev, 0);
	writer_stats(app.writer, &ws);
	assert_int_equal(ws.ops, 1);
}

static void test_group_commit(void **state)
{
	seed();
	app.schedule_flush = request_flush;
	struct sent s[10];
	struct fe_err e = {0};
	for (int i = 0; i < 10; i++) {
		char text[32];
		snprintf(text, sizeof text, "batch %d", i);
		assert_int_equal(send_full(i % 2 ? &ben : &cat, chat, text, NULL, 0, &s[i], &e), 0);
	}
	/* one flush was requested for the whole turn; nothing ran or shows yet */
	assert_int_equal(flush_requests, 1);
	for (int i = 0; i < 10; i++)
		assert_int_equal(s[i].called, 0);
	assert_int_equal(nev, 0);
	struct message *list = NULL;
	size_t n = 9;
	int more = 1;
	assert_int_equal(message_list(&app, &ann, chat, 0, -1, 50, &list, &n, &more, &e), 0);
	assert_int_equal(n, 0);
	free(list);
	struct writer_stats ws;
	writer_stats(app.writer, &ws);
	assert_int_equal(ws.batches, 0);
	assert_int_equal(ws.ops, 0);

	writer_flush(app.writer);
	writer_stats(app.writer, &ws);
	assert_int_equal(ws.batches, 1);
	assert_int_equal(ws.ops, 10);
	assert_int_equal(ws.max_batch, 10);
	assert_int_equal(ws.failed_batches, 0);
	for (int i = 0; i < 10; i++) {
		char text[32];
		snprintf(text, sizeof text, "batch %d", i);
		assert_int_equal(s[i].called, 1);
		assert_int_equal(s[i].rc, 0);
		assert_int_equal(s[i].created, 1);
		assert_true(s[i].after_commit);
		assert_true(s[i].visible);
		assert_string_equal(s[i].content, text);
		if (i)
			assert_true(s[i].id > s[i - 1].id); /* applied in order */
	}
	assert_int_equal(nev, 10);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(evs[i].type, EV_MESSAGE_CREATED);
		assert_int_equal(evs[i].message_id, s[i].id);
		assert_true(evs[i].after_commit);
	}
	assert_int_equal(message_list(&app, &ann, chat, 0, -1, 50, &list, &n, &more, &e), 0);
	assert_int_equal(n, 10);
	assert_int_equal(more, 0);
	messages_free(list, n);
	/* a second flush with nothing queued is not a batch */
	writer_flush(app.writer);
	writer_stats(app.writer, &ws);
	assert_int_equal(ws.batches, 1);
	/* the next send asks for a flush again */
	struct sent x;
	assert_int_equal(send_full(&ben, chat, "next turn", NULL, 0, &x, &e), 0);
	assert_int_equal(flush_requests, 2);
	assert_int_equal(x.called, 0);
	writer_flush(app.writer);
	assert_int_equal(x.called, 1);
	writer_stats(app.writer, &ws);
	assert_int_equal(ws.batches, 2);
	assert_int_equal(ws.ops, 11);
	assert_int_equal(ws.max_batch, 10);
}

static void test_group_commit_one_fails(void **state)
{
	seed();
	app.schedule_flush = request_flush;
	struct sent a, b, c;
	struct fe_err e = {0};
	assert_int_equal(send_full(&ben, chat, "first", NULL, 0, &a, &e), 0);
	assert_int_equal(send_full(&cat, chat, "cat, who leaves before the flush", NULL, 0, &b, &e), 0);
	assert_int_equal(send_full(&ben, chat, "third", NULL, 0, &c, &e), 0);
	assert_int_equal(S->member_remove(SI, chat, cat.user_id), 0);
	writer_flush(app.writer);
	assert_int_equal(a.called, 1);
	assert_int_equal(a.rc, 0);
	assert_int_equal(b.called, 1);
	assert_int_equal(b.rc, FE_ENOTFOUND);
	assert_int_equal(c.called, 1);
	assert_int_equal(c.rc, 0);
	struct writer_stats ws;
	writer_stats(app.writer, &ws);
	assert_int_equal(ws.batches, 1);
	assert_int_equal(ws.ops, 3);
	assert_int_equal(ws.failed_batches, 0);
	assert_int_equal(nev, 2);
	assert_int_equal(evs[0].message_id, a.id);
	assert_int_equal(evs[1].message_id, c.id);
	struct message *list = NULL;
	size_t n = 0;
	int more;
	assert_int_equal(message_list(&app, &ann, chat, 0, -1, 50, &list, &n, &more, &e), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].content, "third");
	assert_string_equal(list[1].content, "first");
	messages_free(list, n);
}

static void test_no_group_commit_one_batch_each(void **state)
{
	seed();
	cfg.group_commit = 0;
	app.schedule_flush = request_flush;
	for (int i = 0; i < 3; i++)
		send_ok(&ben, chat, "one at a time");
	assert_int_equal(flush_requests, 0);
	struct writer_stats ws;
	writer_stats(app.writer, &ws);
	assert_int_equal(ws.batches, 3);
	assert_int_equal(ws.ops, 3);
	assert_int_equal(ws.max_batch, 1);
}

/* ---- content ---- */

static void test_content_rules(void **state)
{
	seed();
	struct fe_err e = {0};
	struct sent s;
	assert_int_equal(message_check_content("", 0, &e), FE_EINVAL);
	assert_string_equal(e.field, "content");
	assert_int_equal(message_check_content("", 1, &e), 0);
	static char big[4 * 4001 + 1];
	memset(big, 'x', 4000);
	big[4000] = 0;
	assert_int_equal(message_check_content(big, 0, &e), 0);
	big[4000] = 'x';
	big[4001] = 0;
	memset(&e, 0, sizeof e);
	assert_int_equal(message_check_content(big, 0, &e), FE_EINVAL);
	assert_string_equal(e.field, "content");
	/* characters, not bytes: 4000 two-byte characters pass */
	big[0] = 0;
	for (int i = 0; i < 4000; i++)
		memcpy(big + 2 * i, "é", 2);
	big[8000] = 0;
	assert_int_equal(message_check_content(big, 0, &e), 0);
	memcpy(big + 8000, "é", 3);
	assert_int_equal(message_check_content(big, 0, &e), FE_EINVAL);
	assert_int_equal(message_check_content("bell\a", 0, &e), FE_EINVAL);
	assert_int_equal(message_check_content("esc\x1b[31m", 0, &e), FE_EINVAL);
	assert_int_equal(message_check_content("del\x7f", 0, &e), FE_EINVAL);
	assert_int_equal(message_check_content("c1 \xc2\x85 next line", 0, &e), FE_EINVAL);
	assert_int_equal(message_check_content("line one\nline two\tTabbed", 0, &e), 0);

	/* the same through message_send, which stores nothing on refusal */
	memset(&e, 0, sizeof e);
	assert_int_equal(send_full(&ben, chat, "", NULL, 0, &s, &e), FE_EINVAL);
	assert_string_equal(e.field, "content");
	memset(big, 'y', 4001);
	big[4001] = 0;
	assert_int_equal(send_full(&ben, chat, big, NULL, 0, &s, &e), FE_EINVAL);
	assert_int_equal(send_full(&ben, chat, "nul\x01", NULL, 0, &s, &e), FE_EINVAL);
	assert_int_equal(s.called, 0);
	big[4000] = 0;
	int64_t id = send_ok(&ben, chat, big);
	struct message m = get_msg(id, ben.user_id);
	assert_int_equal(strlen(m.content), 4000);
	message_clear(&m);
	id = send_ok(&ben, chat, "a\nb\tc");
	m = get_msg(id, ben.user_id);
	assert_string_equal(m.content, "a\nb\tc");
	message_clear(&m);
	/* idempotency keys are 1..64 characters */
	char k65[66];
	memset(k65, 'k', 65);
	k65[65] = 0;
	memset(&e, 0, sizeof e);
	assert_int_equal(send_full(&ben, chat, "x", k65, 0, &s, &e), FE_EINVAL);
	assert_string_equal(e.field, "idempotency_key");
	assert_int_equal(send_full(&ben, chat, "x", "", 0, &s, &e), FE_EINVAL);
	k65[64] = 0;
	assert_int_equal(send_full(&ben, chat, "x", k65, 0, &s, &e), 0);
	assert_int_equal(s.rc, 0);
}

static void test_idempotency(void **state)
{
	seed();
	struct sent a, b, c, d;
	struct fe_err e = {0};
	assert_int_equal(send_full(&ben, chat, "once", "same-key", 0, &a, &e), 0);
	assert_int_equal(a.created, 1);
	nev = 0;
	assert_int_equal(send_full(&ben, chat, "once (retry)", "same-key", 0, &b, &e), 0);
	assert_int_equal(b.called, 1);
	assert_int_equal(b.rc, 0);
	assert_int_equal(b.created, 0);
	assert_int_equal(b.id, a.id);
	assert_string_equal(b.content, "once"); /* the stored message */
	assert_int_equal(nev, 0);
	/* another sender with the same key makes a new message */
	assert_int_equal(send_full(&cat, chat, "mine", "same-key", 0, &c, &e), 0);
	assert_int_equal(c.created, 1);
	assert_int_not_equal(c.id, a.id);
	/* another key from the first sender too */
	assert_int_equal(send_full(&ben, chat, "once", "other-key", 0, &d, &e), 0);
	assert_int_equal(d.created, 1);
	struct message *list = NULL;
	size_t n = 0;
	int more;
	assert_int_equal(message_list(&app, &ann, chat, 0, -1, 50, &list, &n, &more, &e), 0);
	assert_int_equal(n, 3);
	messages_free(list, n);

	/* within one batch: the second with the key finds the first */
	app.schedule_flush = request_flush;
	struct sent x, y;
	assert_int_equal(send_full(&ann, chat, "batched", "batch-key", 0, &x, &e), 0);
	assert_int_equal(send_full(&ann, chat, "batched again", "batch-key", 0, &y, &e), 0);
	writer_flush(app.writer);
	assert_int_equal(x.rc, 0);
	assert_int_equal(y.rc, 0);
	assert_int_equal(x.created, 1);
	assert_int_equal(y.created, 0);
	assert_int_equal(y.id, x.id);
}

/* ---- threads ---- */

static void test_replies(void **state)
{
	seed();
	struct sent s, r1, r2;
	struct fe_err e = {0};
	int64_t root = send_ok(&ann, chat, "root");
	int64_t elsewhere = send_ok(&ann, chat2, "in the other chat");
	memset(&e, 0, sizeof e);
	assert_int_equal(send_full(&ben, chat, "cross-chat reply", NULL, elsewhere, &s, &e), FE_EINVAL);
	assert_string_equal(e.field, "reply_to");
	assert_int_equal(send_full(&ben, chat, "reply to nothing", NULL, 987654, &s, &e), FE_EINVAL);
	assert_string_equal(e.field, "reply_to");
	assert_int_equal(s.called, 0);

	assert_int_equal(send_full(&ben, chat, "first reply", NULL, root, &r1, &e), 0);
	assert_int_equal(r1.reply_to, root);
	/* a reply to the reply joins the root's thread */
	assert_int_equal(send_full(&cat, chat, "reply to reply", NULL, r1.id, &r2, &e), 0);
	assert_int_equal(r2.rc, 0);
	assert_int_equal(r2.reply_to, root);
	struct message m = get_msg(root, ann.user_id);
	assert_int_equal(m.reply_count, 2);
	message_clear(&m);
	m = get_msg(r1.id, ann.user_id);
	assert_int_equal(m.reply_count, 0);
	assert_int_equal(m.reply_to, root);
	message_clear(&m);

	struct message *list = NULL;
	size_t n = 0;
	int more = -1;
	assert_int_equal(message_replies(&app, &ann, chat, root, 0, 50, &list, &n, &more, &e), 0);
	assert_int_equal(n, 2);
	assert_int_equal(more, 0);
	assert_int_equal(list[0].id, r1.id);
	assert_int_equal(list[1].id, r2.id);
	messages_free(list, n);
	assert_int_equal(message_replies(&app, &ann, chat, root, 0, 1, &list, &n, &more, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(more, 1);
	assert_int_equal(list[0].id, r1.id);
	messages_free(list, n);
	assert_int_equal(message_replies(&app, &ann, chat, root, r1.id, 1, &list, &n, &more, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(more, 0);
	assert_int_equal(list[0].id, r2.id);
	messages_free(list, n);
	/* the thread of a message of another chat, or for a non-member: not found */
	assert_int_equal(message_replies(&app, &ann, chat, elsewhere, 0, 10, &list, &n, &more, &e),
	                 FE_ENOTFOUND);
	assert_int_equal(message_replies(&app, &outsider, chat, root, 0, 10, &list, &n, &more, &e),
	                 FE_ENOTFOUND);
	/* replies also appear in the timeline */
	assert_int_equal(message_list(&app, &ann, chat, 0, -1, 10, &list, &n, &more, &e), 0);
	assert_int_equal(n, 3);
	messages_free(list, n);
	/* deleting a reply lowers the count */
	struct message out;
	assert_int_equal(message_delete(&app, &cat, chat, r2.id, &out, &e), 0);
	message_clear(&out);
	m = get_msg(root, ann.user_id);
	assert_int_equal(m.reply_count, 1);
	message_clear(&m);
}

/* ---- paging ---- */

static void test_list_paging(void **state)
{
	seed();
	int64_t id[7];
	for (int i = 0; i < 7; i++) {
		char text[16];
		snprintf(text, sizeof text, "p%d", i);
		id[i] = send_ok(i % 2 ? &ben : &ann, chat, text);
	}
	send_ok(&ann, chat2, "noise");
	struct message *list = NULL;
	size_t n = 0;
	int more = -1;
	struct fe_err e = {0};
	assert_int_equal(message_list(&app, &ben, chat, 0, -1, 3, &list, &n, &more, &e), 0);
	assert_int_equal(n, 3);
	assert_int_equal(more, 1);
	assert_int_equal(list[0].id, id[6]);
	assert_int_equal(list[1].id, id[5]);
	assert_int_equal(list[2].id, id[4]);
	assert_string_equal(list[0].content, "p6");
	messages_free(list, n);
	assert_int_equal(message_list(&app, &ben, chat, id[4], -1, 3, &list, &n, &more, &e), 0);
	assert_int_equal(n, 3);
	assert_int_equal(more, 1);
	assert_int_equal(list[0].id, id[3]);
	assert_int_equal(list[2].id, id[1]);
	messages_free(list, n);
	assert_int_equal(message_list(&app, &ben, chat, id[1], -1, 3, &list, &n, &more, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(more, 0);
	assert_int_equal(list[0].id, id[0]);
	messages_free(list, n);
	/* exactly `limit` left: no more */
	assert_int_equal(message_list(&app, &ben, chat, id[3], -1, 3, &list, &n, &more, &e), 0);
	assert_int_equal(n, 3);
	assert_int_equal(more, 0);
	messages_free(list, n);
	/* after: the messages right after it, newest first */
	assert_int_equal(message_list(&app, &ben, chat, 0, id[1], 3, &list, &n, &more, &e), 0);
	assert_int_equal(n, 3);
	assert_int_equal(more, 1);
	assert_int_equal(list[0].id, id[4]);
	assert_int_equal(list[1].id, id[3]);
	assert_int_equal(list[2].id, id[2]);
	messages_free(list, n);
	assert_int_equal(message_list(&app, &ben, chat, 0, id[4], 3, &list, &n, &more, &e), 0);
	assert_int_equal(n, 2);
	assert_int_equal(more, 0);
	assert_int_equal(list[0].id, id[6]);
	assert_int_equal(list[1].id, id[5]);
	messages_free(list, n);
	assert_int_equal(message_list(&app, &outsider, chat, 0, -1, 3, &list, &n, &more, &e), FE_ENOTFOUND);
}

/* ---- edit and delete ---- */

static void test_edit(void **state)
{
	seed();
	int64_t id = send_ok(&ben, chat, "typo");
	struct message out;
	struct fe_err e = {0};
	nev = 0;
	assert_int_equal(message_edit(&app, &ann, chat, id, "owner edit", &out, &e), FE_EFORBIDDEN);
	assert_int_equal(message_edit(&app, &cat, chat, id, "member edit", &out, &e), FE_EFORBIDDEN);
	assert_int_equal(message_edit(&app, &outsider, chat, id, "x", &out, &e), FE_ENOTFOUND);
	assert_int_equal(message_edit(&app, &ben, chat2, id, "wrong chat", &out, &e), FE_ENOTFOUND);
	assert_int_equal(message_edit(&app, &ben, chat, 987654, "x", &out, &e), FE_ENOTFOUND);
	memset(&e, 0, sizeof e);
	assert_int_equal(message_edit(&app, &ben, chat, id, "", &out, &e), FE_EINVAL);
	assert_string_equal(e.field, "content");
	assert_int_equal(nev, 0);
	struct message m = get_msg(id, ben.user_id);
	assert_string_equal(m.content, "typo");
	assert_int_equal(m.edited_at, 0);
	message_clear(&m);

	clock_set(T0 + 777);
	memset(&out, 0, sizeof out);
	assert_int_equal(message_edit(&app, &ben, chat, id, "fixed", &out, &e), 0);
	assert_int_equal(out.id, id);
	assert_string_equal(out.content, "fixed");
	assert_int_equal(out.edited_at, T0 + 777);
	assert_int_equal(out.created_at, T0);
	message_clear(&out);
	const struct rec *r = only_event(EV_MESSAGE_UPDATED);
	assert_int_equal(r->message_id, id);
	assert_int_equal(r->chat_id, chat);
	assert_int_equal(r->actor_id, ben.user_id);
	assert_string_equal(r->content, "fixed");
	m = get_msg(id, ann.user_id);
	assert_string_equal(m.content, "fixed");
	assert_int_equal(m.edited_at, T0 + 777);
	message_clear(&m);
	/* a deleted message cannot be edited */
	assert_int_equal(message_delete(&app, &ben, chat, id, &out, &e), 0);
	message_clear(&out);
	assert_int_equal(message_edit(&app, &ben, chat, id, "zombie", &out, &e), FE_ENOTFOUND);
}

static void test_delete_rights_and_tombstone(void **state)
{
	seed();
	int64_t a = send_ok(&ben, chat, "ben's first");
	int64_t b = send_ok(&ben, chat, "ben's second");
	int64_t c = send_ok(&ann, chat, "ann's");
	int changed;
	struct reaction_sum *rs = NULL;
	size_t n = 0;
	struct fe_err e = {0};
	assert_int_equal(message_react(&app, &cat, chat, a, "👍", 1, &changed, &rs, &n, &e), 0);
	free(rs);
	struct message out;
	nev = 0;
	/* a plain member cannot delete someone else's */
	assert_int_equal(message_delete(&app, &cat, chat, a, &out, &e), FE_EFORBIDDEN);
	assert_int_equal(message_delete(&app, &ben, chat, c, &out, &e), FE_EFORBIDDEN);
	assert_int_equal(message_delete(&app, &outsider, chat, a, &out, &e), FE_ENOTFOUND);
	assert_int_equal(message_delete(&app, &ben, chat2, a, &out, &e), FE_ENOTFOUND);
	assert_int_equal(nev, 0);

	/* the sender */
	clock_set(T0 + 900);
	memset(&out, 0, sizeof out);
	assert_int_equal(message_delete(&app, &ben, chat, a, &out, &e), 0);
	assert_int_equal(out.id, a);
	assert_string_equal(out.content, "");
	assert_int_equal(out.deleted_at, T0 + 900);
	assert_int_equal(out.created_at, T0);
	assert_int_equal(out.nreactions, 0);
	message_clear(&out);
	const struct rec *r = only_event(EV_MESSAGE_DELETED);
	assert_int_equal(r->message_id, a);
	assert_int_equal(r->chat_id, chat);
	assert_int_equal(r->actor_id, ben.user_id);
	struct message m = get_msg(a, ann.user_id);
	assert_string_equal(m.content, "");
	assert_int_equal(m.deleted_at, T0 + 900);
	assert_int_equal(m.nreactions, 0);
	message_clear(&m);
	assert_int_equal(message_delete(&app, &ben, chat, a, &out, &e), FE_ENOTFOUND);
	assert_int_equal(message_react(&app, &cat, chat, a, "👍", 1, &changed, &rs, &n, &e), FE_ENOTFOUND);

	/* a chat admin deletes someone else's */
	assert_int_equal(chat_set_role(&app, &ann, chat, cat.user_id, "admin", &e), 0);
	nev = 0;
	assert_int_equal(message_delete(&app, &cat, chat, b, &out, &e), 0);
	assert_int_equal(out.deleted_at, T0 + 900);
	message_clear(&out);
	assert_int_equal(only_event(EV_MESSAGE_DELETED)->actor_id, cat.user_id);
	/* the chat owner too, and an admin may delete the owner's */
	int64_t d = send_ok(&ben, chat, "ben's third");
	assert_int_equal(message_delete(&app, &ann, chat, d, &out, &e), 0);
	message_clear(&out);
	assert_int_equal(message_delete(&app, &cat, chat, c, &out, &e), 0);
	message_clear(&out);
	/* tombstones stay in the timeline */
	struct message *list = NULL;
	int more;
	assert_int_equal(message_list(&app, &ben, chat, 0, -1, 10, &list, &n, &more, &e), 0);
	assert_int_equal(n, 4);
	for (size_t i = 0; i < n; i++) {
		assert_true(list[i].deleted_at > 0);
		assert_string_equal(list[i].content, "");
	}
	messages_free(list, n);
}

/* ---- reactions ---- */

static void test_reactions(void **state)
{
	seed();
	int64_t id = send_ok(&ann, chat, "react to me");
	int changed = -1;
	struct reaction_sum *rs = NULL;
	size_t n = 0;
	struct fe_err e = {0};
	nev = 0;
	assert_int_equal(message_react(&app, &ben, chat, id, "👍", 1, &changed, &rs, &n, &e), 0);
	assert_int_equal(changed, 1);
	assert_int_equal(n, 1);
	assert_string_equal(rs[0].emoji, "👍");
	assert_int_equal(rs[0].count, 1);
	assert_int_equal(rs[0].me, 1);
	free(rs);
	const struct rec *r = only_event(EV_REACTION_CHANGED);
	assert_int_equal(r->message_id, id);
	assert_int_equal(r->chat_id, chat);
	assert_int_equal(r->user_id, ben.user_id);
	assert_int_equal(r->added, 1);
	assert_string_equal(r->emoji, "👍");
	/* again: no change, no event */
	nev = 0;
	assert_int_equal(message_react(&app, &ben, chat, id, "👍", 1, &changed, &rs, &n, &e), 0);
	assert_int_equal(changed, 0);
	assert_int_equal(n, 1);
	assert_int_equal(rs[0].count, 1);
	free(rs);
	assert_int_equal(nev, 0);
	/* others: counts and me per viewer */
	assert_int_equal(message_react(&app, &cat, chat, id, "👍", 1, &changed, &rs, &n, &e), 0);
	assert_int_equal(changed, 1);
	free(rs);
	clock_set(T0 + 5);
	assert_int_equal(message_react(&app, &cat, chat, id, "🎉", 1, &changed, &rs, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_string_equal(rs[0].emoji, "👍");
	assert_int_equal(rs[0].count, 2);
	assert_int_equal(rs[0].me, 1);
	assert_string_equal(rs[1].emoji, "🎉");
	assert_int_equal(rs[1].count, 1);
	assert_int_equal(rs[1].me, 1);
	free(rs);
	struct message m = get_msg(id, ann.user_id);
	assert_int_equal(m.nreactions, 2);
	assert_int_equal(m.reactions[0].count, 2);
	assert_int_equal(m.reactions[0].me, 0);
	assert_int_equal(m.reactions[1].me, 0);
	message_clear(&m);
	/* removal */
	nev = 0;
	assert_int_equal(message_react(&app, &ben, chat, id, "👍", 0, &changed, &rs, &n, &e), 0);
	assert_int_equal(changed, 1);
	assert_int_equal(n, 2);
	assert_int_equal(rs[0].count, 1);
	assert_int_equal(rs[0].me, 0);
	free(rs);
	r = only_event(EV_REACTION_CHANGED);
	assert_int_equal(r->added, 0);
	nev = 0;
	assert_int_equal(message_react(&app, &ben, chat, id, "👍", 0, &changed, &rs, &n, &e), 0);
	assert_int_equal(changed, 0);
	free(rs);
	assert_int_equal(nev, 0);
	/* bad emoji, outsiders, wrong chat */
	memset(&e, 0, sizeof e);
	assert_int_equal(message_react(&app, &ben, chat, id, "", 1, &changed, &rs, &n, &e), FE_EINVAL);
	assert_string_equal(e.field, "emoji");
	assert_int_equal(message_react(&app, &ben, chat, id, "a b", 1, &changed, &rs, &n, &e), FE_EINVAL);
	assert_int_equal(message_react(&app, &ben, chat, id, NULL, 1, &changed, &rs, &n, &e), FE_EINVAL);
	assert_int_equal(message_react(&app, &ben, chat, id, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 1, &changed,
	                               &rs, &n, &e),
	                 FE_EINVAL);
	assert_int_equal(message_react(&app, &ben, chat, id, "\xff", 1, &changed, &rs, &n, &e), FE_EINVAL);
	assert_int_equal(message_react(&app, &outsider, chat, id, "👍", 1, &changed, &rs, &n, &e),
	                 FE_ENOTFOUND);
	assert_int_equal(message_react(&app, &ben, chat2, id, "👍", 1, &changed, &rs, &n, &e), FE_ENOTFOUND);
	assert_int_equal(nev, 0);
}

/* ---- mentions ---- */

static void test_mentions(void **state)
{
	seed();
	struct sent s;
	struct fe_err e = {0};
	/* full names, any case, non-ASCII folded; the sender never mentions themself */
	assert_int_equal(
	    send_full(&ann, chat, "hey @ben bay and @ÉMILE ZOLA, cc @Ann Arbor", NULL, 0, &s, &e), 0);
	assert_int_equal(s.rc, 0);
	assert_int_equal(s.mentions_all, 0);
	assert_int_equal(s.nmentions, 2);
	int64_t lo = ben.user_id < emile.user_id ? ben.user_id : emile.user_id;
	int64_t hi = ben.user_id ^ emile.user_id ^ lo;
	assert_int_equal(s.mentions[0], lo);
	assert_int_equal(s.mentions[1], hi);

	assert_int_equal(send_full(&ann, chat, "@émile zola: merci", NULL, 0, &s, &e), 0);
	assert_int_equal(s.nmentions, 1);
	assert_int_equal(s.mentions[0], emile.user_id);
	assert_int_equal(send_full(&ann, chat, "@Ben Bay", NULL, 0, &s, &e), 0);
	assert_int_equal(s.nmentions, 1);
	assert_int_equal(s.mentions[0], ben.user_id);

	/* the name must end there */
	assert_int_equal(send_full(&ann, chat, "@Ben Bayley is not Ben", NULL, 0, &s, &e), 0);
	assert_int_equal(s.nmentions, 0);
	assert_int_equal(send_full(&ann, chat, "@Ben_Bay no", NULL, 0, &s, &e), 0);
	assert_int_equal(s.nmentions, 0);
	/* a non-member is not mentioned */
	assert_int_equal(send_full(&ann, chat, "@Otto Outsider come here", NULL, 0, &s, &e), 0);
	assert_int_equal(s.nmentions, 0);
	/* an email address is not a mention (there is a member named "B") */
	assert_int_equal(send_full(&ann, chat, "write to a@b.co please", NULL, 0, &s, &e), 0);
	assert_int_equal(s.nmentions, 0);
	assert_int_equal(s.mentions_all, 0);
	assert_int_equal(send_full(&ann, chat, "ask @B about it", NULL, 0, &s, &e), 0);
	assert_int_equal(s.nmentions, 1);
	assert_int_equal(s.mentions[0], bee.user_id);
	/* @everyone / @here */
	assert_int_equal(send_full(&ann, chat, "@everyone standup now", NULL, 0, &s, &e), 0);
	assert_int_equal(s.mentions_all, 1);
	assert_int_equal(s.nmentions, 0);
	assert_int_equal(send_full(&ann, chat, "anyone @here?", NULL, 0, &s, &e), 0);
	assert_int_equal(s.mentions_all, 1);
	assert_int_equal(send_full(&ann, chat, "@everyonee typo", NULL, 0, &s, &e), 0);
	assert_int_equal(s.mentions_all, 0);
	/* the same person twice counts once */
	assert_int_equal(send_full(&ann, chat, "@Ben Bay @ben bay", NULL, 0, &s, &e), 0);
	assert_int_equal(s.nmentions, 1);
	/* stored as sent */
	struct message m = get_msg(s.id, ben.user_id);
	assert_int_equal(m.nmentions, 1);
	assert_int_equal(m.mentions[0], ben.user_id);
	message_clear(&m);
}

/* The API says a mention is the name "followed by a non-letter or the
 * end": punctuation outside ASCII (a typographic apostrophe, a closing
 * guillemet, an ellipsis) is not a letter. */
static void test_mention_before_unicode_punctuation(void **state)
{
	seed();
	struct sent s;
	struct fe_err e = {0};
	assert_int_equal(send_full(&ann, chat, "that was @Ben Bay\u2019s idea", NULL, 0, &s, &e), 0);
	assert_int_equal(s.rc, 0);
	assert_int_equal(s.nmentions, 1);
	assert_int_equal(s.mentions[0], ben.user_id);
	assert_int_equal(send_full(&ann, chat, "\u00ab@\u00c9mile Zola\u00bb a \u00e9crit", NULL, 0, &s, &e),
	                 0);
	assert_int_equal(s.nmentions, 1);
	assert_int_equal(s.mentions[0], emile.user_id);
}

/* Files: only the sender's own uploads, or files already visible to them. */
static void test_send_with_files(void **state)
{
	seed();
	struct file_rec f = {0};
	memset(f.sha256, 'a', 64);
	snprintf(f.ext, sizeof f.ext, "png");
	snprintf(f.mime_type, sizeof f.mime_type, "image/png");
	snprintf(f.filename, sizeof f.filename, "cat.png");
	f.size = 10;
	f.uploader_id = ann.user_id;
	f.created_at = T0;
	assert_int_equal(S->file_insert(SI, &f), 0);
	struct send_in in = {0};
	struct sent s = {0};
	struct fe_err e = {0};
	in.content = "";
	in.files[0] = f.id;
	in.nfiles = 1;
	/* ben cannot share ann's file before he can see it */
	memset(&e, 0, sizeof e);
	assert_int_equal(message_send(&app, &ben, chat, &in, on_sent, &s, &e), FE_EINVAL);
	assert_string_equal(e.field, "files");
	in.files[0] = 987654;
	assert_int_equal(message_send(&app, &ann, chat, &in, on_sent, &s, &e), FE_EINVAL);
	assert_string_equal(e.field, "files");
	assert_int_equal(s.called, 0);
	/* ann shares it with empty content (allowed with files) */
	in.files[0] = f.id;
	assert_int_equal(message_send(&app, &ann, chat, &in, on_sent, &s, &e), 0);
	assert_int_equal(s.rc, 0);
	struct message m = get_msg(s.id, ben.user_id);
	assert_string_equal(m.content, "");
	assert_int_equal(m.nfiles, 1);
	assert_int_equal(m.files[0].id, f.id);
	assert_string_equal(m.files[0].filename, "cat.png");
	message_clear(&m);
	/* now ben sees it and may forward it */
	in.content = "forwarding";
	memset(&s, 0, sizeof s);
	assert_int_equal(message_send(&app, &ben, chat2, &in, on_sent, &s, &e), 0);
	assert_int_equal(s.rc, 0);
	/* the same by url, resolved by message_send (HTTP and WebSocket alike) */
	char url[FILE_URL_MAX];
	file_url(&f, url, sizeof url);
	in.files[0] = 0;
	in.file_urls[0] = url;
	memset(&s, 0, sizeof s);
	assert_int_equal(message_send(&app, &ben, chat2, &in, on_sent, &s, &e), 0);
	assert_int_equal(s.rc, 0);
	m = get_msg(s.id, ben.user_id);
	assert_int_equal(m.nfiles, 1);
	assert_int_equal(m.files[0].id, f.id);
	message_clear(&m);
	/* a url naming nothing p may attach */
	in.file_urls[0] = "/api/files/0000000000000000000000000000000000000000000000000000000000000000.png";
	memset(&e, 0, sizeof e);
	assert_int_equal(message_send(&app, &ben, chat2, &in, on_sent, &s, &e), FE_EINVAL);
	assert_string_equal(e.field, "files");
	in.file_urls[0] = NULL;
	/* without files, empty content is refused */
	in.nfiles = 0;
	in.content = "";
	assert_int_equal(message_send(&app, &ann, chat, &in, on_sent, &s, &e), FE_EINVAL);
}

/* ---- read markers and unread ---- */

static void test_read_marker(void **state)
{
	seed();
	int64_t a = send_ok(&ann, chat, "one");
	int64_t b = send_ok(&ann, chat, "two");
	int64_t c = send_ok(&ann, chat, "three");
	int64_t marker = -1;
	struct fe_err e = {0};
	nev = 0;
	assert_int_equal(message_mark_read(&app, &ben, chat, b, &marker, &e), 0);
	assert_int_equal(marker, b);
	const struct rec *r = only_event(EV_READ_MARKER_MOVED);
	assert_int_equal(r->chat_id, chat);
	assert_int_equal(r->user_id, ben.user_id);
	assert_int_equal(r->message_id, b);
	/* backwards: stays, no event */
	nev = 0;
	assert_int_equal(message_mark_read(&app, &ben, chat, a, &marker, &e), 0);
	assert_int_equal(marker, b);
	assert_int_equal(message_mark_read(&app, &ben, chat, b, &marker, &e), 0);
	assert_int_equal(marker, b);
	assert_int_equal(nev, 0);
	int64_t stored = 0;
	assert_int_equal(S->read_get(SI, chat, ben.user_id, &stored), 0);
	assert_int_equal(stored, b);
	/* beyond the chat's last message */
	memset(&e, 0, sizeof e);
	assert_int_equal(message_mark_read(&app, &ben, chat, c + 100, &marker, &e), FE_EINVAL);
	assert_string_equal(e.field, "message_id");
	assert_int_equal(message_mark_read(&app, &outsider, chat, c, &marker, &e), FE_ENOTFOUND);
	assert_int_equal(message_mark_read(&app, &ben, chat, c, &marker, &e), 0);
	assert_int_equal(marker, c);
	assert_int_equal(unread_of(&ben, chat).unread_count, 0);
}

static void test_unread_counts(void **state)
{
	seed();
	send_ok(&ann, chat, "one");
	send_ok(&ann, chat, "two @Ben Bay");
	send_ok(&ben, chat, "own: never unread @everyone");
	int64_t gone = send_ok(&cat, chat, "deleted soon @Ben Bay");
	send_ok(&cat, chat, "@everyone look");
	struct message out;
	struct fe_err e = {0};
	assert_int_equal(message_delete(&app, &cat, chat, gone, &out, &e), 0);
	message_clear(&out);

	struct unread u = unread_of(&ben, chat);
	assert_int_equal(u.unread_count, 3);  /* one, two, look */
	assert_int_equal(u.mention_count, 2); /* two, look */
	u = unread_of(&ann, chat);
	assert_int_equal(u.unread_count, 2); /* ben's own-@everyone, cat's look */
	assert_int_equal(u.mention_count, 2);
	u = unread_of(&ben, chat2);
	assert_int_equal(u.unread_count, 0);
	assert_int_equal(u.mention_count, 0);
	/* chat summaries agree */
	struct chat_summary s;
	assert_int_equal(chat_get(&app, &ben, chat, &s, &e), 0);
	assert_int_equal(s.unread_count, 3);
	assert_int_equal(s.mention_count, 2);
	message_clear(&s.last);
	free(s.members);
	/* reading everything clears them */
	int64_t marker;
	int64_t last = 0;
	assert_int_equal(S->max_message_id(SI, chat, &last), 0);
	assert_int_equal(message_mark_read(&app, &ben, chat, last, &marker, &e), 0);
	u = unread_of(&ben, chat);
	assert_int_equal(u.unread_count, 0);
	assert_int_equal(u.mention_count, 0);
	/* the outsider has no entry for the chat */
	struct unread *list = NULL;
	size_t n = 9;
	assert_int_equal(message_unread(&app, &outsider, &list, &n, &e), 0);
	assert_int_equal(n, 0);
	free(list);
}

/* A send queued in the loop turn in which its sender is logged out
 * everywhere (or suspended, or changes password: the token version is
 * bumped) is refused when the batch applies: nothing is stored, nothing is
 * published, the callback gets FE_EAUTH. A send queued after a fresh
 * sign-in (the new version) goes through. */
static void test_send_racing_revocation(void **state)
{
	seed();
	app.schedule_flush = request_flush;
	struct sent a, b, c;
	struct fe_err e = {0};
	int revoked = 0;
	assert_int_equal(send_full(&ben, chat, "queued before the revocation", NULL, 0, &a, &e), 0);
	assert_int_equal(send_full(&cat, chat, "cat is not revoked", NULL, 0, &b, &e), 0);
	assert_int_equal(auth_logout_all(&app, &ben, &revoked, &e), 0);
	nev = 0;
	writer_flush(app.writer);
	assert_int_equal(a.called, 1);
	assert_int_equal(a.rc, FE_EAUTH);
	assert_int_equal(b.called, 1);
	assert_int_equal(b.rc, 0);
	assert_int_equal(nev, 1);
	assert_int_equal(evs[0].message_id, b.id);
	struct message *list = NULL;
	size_t n = 0;
	int more;
	assert_int_equal(message_list(&app, &ann, chat, 0, -1, 50, &list, &n, &more, &e), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].content, "cat is not revoked");
	messages_free(list, n);
	/* a send queued after the revocation (a new token) is stored */
	assert_int_equal(send_full(&ben, chat, "after a fresh sign-in", NULL, 0, &c, &e), 0);
	writer_flush(app.writer);
	assert_int_equal(c.rc, 0);
	/* and a suspension voids a queued send the same way */
	struct user u;
	assert_int_equal(send_full(&cat, chat, "queued before the suspension", NULL, 0, &b, &e), 0);
	assert_int_equal(S->user_get(SI, cat.user_id, &u), 0);
	assert_int_equal(S->user_set_role_status(SI, cat.user_id, u.role, "Suspended"), 0);
	cache_forget_user(&app, cat.user_id, wsA);
	writer_flush(app.writer);
	assert_int_equal(b.rc, FE_EAUTH);
}

/* ---- the send's answer and its cost ---- */

/* The answer and the MessageCreated event carry exactly what a read of the
 * stored message gives (the use case builds them from what it holds, it
 * does not read the message back): a reply with a key, two mentions named
 * out of id order, and a file. */
static struct message answered;
static void on_sent_copy(void *req, int rc, const struct fe_err *e, const struct message *m, int created)
{
	(void)e, (void)created;
	*(int *)req = rc;
	if (rc)
		return;
	answered = *m;
	answered.content = strdup(m->content);
	answered.mentions = malloc(sizeof(int64_t) * (size_t)(m->nmentions + 1));
	memcpy(answered.mentions, m->mentions, sizeof(int64_t) * (size_t)m->nmentions);
	answered.files = malloc(sizeof(struct file_rec) * (size_t)(m->nfiles + 1));
	memcpy(answered.files, m->files, sizeof(struct file_rec) * (size_t)m->nfiles);
	answered.reactions = NULL;
	answered.nreactions = m->nreactions;
}

static void assert_same_message(const struct message *a, const struct message *b)
{
	assert_int_equal(a->id, b->id);
	assert_int_equal(a->chat_id, b->chat_id);
	assert_int_equal(a->sender_id, b->sender_id);
	assert_int_equal(a->reply_to, b->reply_to);
	assert_int_equal(a->reply_count, b->reply_count);
	assert_int_equal(a->created_at, b->created_at);
	assert_int_equal(a->edited_at, b->edited_at);
	assert_int_equal(a->deleted_at, b->deleted_at);
	assert_string_equal(a->content, b->content);
	assert_string_equal(a->idempotency_key, b->idempotency_key);
	assert_string_equal(a->sender_name, b->sender_name);
	assert_string_equal(a->sender_avatar, b->sender_avatar);
	assert_int_equal(a->mentions_all, b->mentions_all);
	assert_int_equal(a->nmentions, b->nmentions);
	for (int i = 0; i < a->nmentions; i++)
		assert_int_equal(a->mentions[i], b->mentions[i]);
	assert_int_equal(a->nfiles, b->nfiles);
	for (int i = 0; i < a->nfiles; i++)
		assert_memory_equal(&a->files[i], &b->files[i], sizeof a->files[i]);
	assert_int_equal(a->nreactions, b->nreactions);
}

static void test_send_answer_is_the_stored_message(void **state)
{
	seed();
	struct user u;
	assert_int_equal(S->user_get(SI, ann.user_id, &u), 0);
	snprintf(u.avatar_url, sizeof u.avatar_url, "/files/avatar.png");
	assert_int_equal(S->user_update_profile(SI, &u), 0);
	cache_forget_user(&app, ann.user_id, wsA);
	struct file_rec f = {0};
	memset(f.sha256, 'b', 64);
	snprintf(f.ext, sizeof f.ext, "txt");
	snprintf(f.mime_type, sizeof f.mime_type, "text/plain");
	snprintf(f.filename, sizeof f.filename, "notes.txt");
	f.size = 3;
	f.uploader_id = ann.user_id;
	f.created_at = T0;
	assert_int_equal(S->file_insert(SI, &f), 0);
	int64_t root = send_ok(&ben, chat, "the root");
	struct send_in in = {0};
	in.content = "@Émile Zola and @Ben Bay: see the notes";
	in.idempotency_key = "k-answer";
	in.reply_to = root;
	in.files[0] = f.id;
	in.nfiles = 1;
	struct fe_err e = {0};
	int rc = -1;
	nev = 0;
	assert_int_equal(message_send(&app, &ann, chat, &in, on_sent_copy, &rc, &e), 0);
	assert_int_equal(rc, 0);
	struct message stored = get_msg(answered.id, ann.user_id);
	assert_int_equal(stored.nmentions, 2);
	assert_int_equal(stored.nfiles, 1);
	assert_string_equal(stored.sender_avatar, "/files/avatar.png");
	assert_same_message(&answered, &stored);
	const struct rec *r = only_event(EV_MESSAGE_CREATED);
	assert_int_equal(r->message_id, stored.id);
	message_clear(&stored);
	message_clear(&answered);
	/* the same key again answers the stored message, not created */
	rc = -1;
	assert_int_equal(message_send(&app, &ann, chat, &in, on_sent_copy, &rc, &e), 0);
	assert_int_equal(rc, 0);
	stored = get_msg(answered.id, ann.user_id);
	assert_same_message(&answered, &stored);
	message_clear(&stored);
	message_clear(&answered);
}

/* SQL statements a send costs, counted on the store's connection (every
 * statement the adapter starts; those FTS5 and triggers run inside one
 * are not counted). Before the use case answered from what it holds it
 * was 13 for a plain send with a key (SAVEPOINT, key lookup, member, user,
 * insert, read-back, index, touch, RELEASE, then the message and its three
 * detail reads). */
static int nstatements;
static int count_stmt(unsigned type, void *ctx, void *p, void *x)
{
	(void)type, (void)ctx, (void)p;
	const char *sql = x;
	if (strncmp(sql, "--", 2) && !strstr(sql, "\"main\".\"")) {
		nstatements++;
		if (getenv("SHOW_SQL")) /* SHOW_SQL=1 build/tests/test_message lists them */
			fprintf(stderr, "SQL %.110s\n", sql);
	}
	return 0;
}

static int count_send(const char *content, const char *key)
{
	struct send_in in = {0};
	struct fe_err e = {0};
	int rc = -1;
	in.content = content;
	in.idempotency_key = key;
	nstatements = 0;
	assert_int_equal(message_send(&app, &ann, chat, &in, on_sent_copy, &rc, &e), 0);
	assert_int_equal(rc, 0);
	message_clear(&answered);
	return nstatements;
}

static void test_send_statement_count(void **state)
{
	seed();
	send_ok(&ann, chat, "warm the caches");
	sqlite3 *db = ((struct sq *)app.store.impl)->db;
	sqlite3_trace_v2(db, SQLITE_TRACE_STMT, count_stmt, NULL);
	int with_key = count_send("a plain send with a key", "k-count-1");
	int plain = count_send("a plain send", NULL);
	int repeat = count_send("a plain send with a key", "k-count-1");
	sqlite3_trace_v2(db, 0, NULL, NULL);
	print_message("statements per send: plain %d, with a key %d, its repeat %d\n", plain, with_key,
	              repeat);
	/* the use case's checks on the loop (chat, member, user: 3 without a
	 * cache), then the transaction: BEGIN, the sender's row and membership,
	 * INSERT ... RETURNING, the index row, the chat's activity, COMMIT */
	assert_true(plain <= 9);
	assert_true(with_key <= 9);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_send_write_through),
	    T(test_group_commit),
	    T(test_group_commit_one_fails),
	    T(test_send_racing_revocation),
	    T(test_no_group_commit_one_batch_each),
	    T(test_content_rules),
	    T(test_idempotency),
	    T(test_replies),
	    T(test_list_paging),
	    T(test_edit),
	    T(test_delete_rights_and_tombstone),
	    T(test_reactions),
	    T(test_mentions),
	    T(test_mention_before_unicode_punctuation),
	    T(test_send_with_files),
	    T(test_read_marker),
	    T(test_unread_counts),
	    T(test_send_answer_is_the_stored_message),
	    T(test_send_statement_count),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
