/* tests/unit/test_file: the file-read rule and what a file may be used for
 * (core/file) on a real app: SQLite in memory, files, chats, messages and
 * pictures seeded through the store port, a fake clock. The rule is asked
 * through core only, as the download route, the message send (HTTP and
 * WebSocket) and the profile update do. */
#include "testapp.h"
#include "core/file.h"
#include "core/workspace.h"

#define S (app.store.ops)
#define SI (app.store.impl)

/* ---- harness (testapp.h) ---- */

static int setup(void **state)
{
	return app_setup(&(struct app_opts){0});
}

static int teardown(void **state)
{
	return app_teardown();
}

static int64_t wsA, wsB;
static struct principal ann, ben, cat, xen;

/* ann, ben and cat share workspace Acme; xen is in Bravo. */
static void seed(void)
{
	wsA = add_workspace("Acme");
	wsB = add_workspace("Bravo");
	ann = add_member(wsA, "ann@acme.io", "Ann");
	ben = add_member(wsA, "ben@acme.io", "Ben");
	cat = add_member(wsA, "cat@acme.io", "Cat");
	xen = add_member(wsB, "xen@bravo.io", "Xen");
}

static const char PNG_SHA[] = "1111111111111111111111111111111111111111111111111111111111111111";
static const char PDF_SHA[] = "2222222222222222222222222222222222222222222222222222222222222222";

/* Records a file row of content sha uploaded by who. */
static struct file_rec add_file(const struct principal *who, const char *sha, const char *ext,
                                const char *mime)
{
	struct file_rec f = {0};
	snprintf(f.sha256, sizeof f.sha256, "%s", sha);
	snprintf(f.ext, sizeof f.ext, "%s", ext);
	snprintf(f.mime_type, sizeof f.mime_type, "%s", mime);
	snprintf(f.filename, sizeof f.filename, "f.%s", ext);
	f.size = 10;
	f.uploader_id = who->user_id;
	f.created_at = fake_now;
	assert_int_equal(S->file_insert(SI, &f), 0);
	return f;
}

/* A group chat of owner with the given other member (0: none). */
static int64_t add_chat(const struct principal *owner, const struct principal *other)
{
	struct chat c = {0};
	c.workspace_id = owner->workspace_id;
	c.created_by = owner->user_id;
	c.created_at = fake_now;
	snprintf(c.chat_type, sizeof c.chat_type, "Group");
	assert_int_equal(S->chat_insert(SI, &c, NULL), 0);
	assert_int_equal(S->member_add(SI, c.id, owner->user_id, "owner", fake_now), 0);
	if (other)
		assert_int_equal(S->member_add(SI, c.id, other->user_id, "member", fake_now), 0);
	return c.id;
}

/* A message of sender in chat carrying file id; returns the message id. */
static int64_t attach(int64_t chat, const struct principal *sender, int64_t file)
{
	struct message m = {0};
	m.chat_id = chat;
	m.sender_id = sender->user_id;
	m.content = "see attached";
	m.created_at = fake_now;
	assert_int_equal(S->message_insert(SI, &m), 0);
	assert_int_equal(S->message_files_insert(SI, m.id, &file, 1), 0);
	return m.id;
}

static enum file_grant access_of(const struct principal *who, const struct file_rec *f)
{
	enum file_grant how = 99;
	assert_int_equal(file_access(&app, who->user_id, f, &how), 0);
	return how;
}

static int set_picture_id(const struct principal *who, int64_t id, struct fe_err *e)
{
	struct user u;
	struct profile_in in = {0};
	in.has_avatar_file_id = 1;
	in.avatar_file_id = id;
	return workspace_update_profile(&app, who, &in, &u, e);
}

static int set_picture_url(const struct principal *who, const char *url, struct fe_err *e)
{
	struct user u;
	struct profile_in in = {0};
	in.avatar_url = url;
	return workspace_update_profile(&app, who, &in, &u, e);
}

/* ---- the rule ---- */

static void test_url(void **state)
{
	seed();
	struct file_rec f = add_file(&ann, PNG_SHA, "png", "image/png");
	char url[FILE_URL_MAX];
	file_url(&f, url, sizeof url);
	assert_string_equal(
	    url, "/api/files/1111111111111111111111111111111111111111111111111111111111111111.png");
	assert_true(file_url_like(url));
	assert_false(file_url_like("https://example.com/api/files/x.png"));
	/* the one parser reads back what the one formatter wrote */
	struct file_name fn;
	assert_int_equal(file_url_parse(url, &fn), 0);
	assert_string_equal(fn.sha256, f.sha256);
	assert_string_equal(fn.ext, "png");
	assert_string_equal(fn.suffix, "");
	const char *bad[] = {
	    "https://example.com/api/files/"
	    "1111111111111111111111111111111111111111111111111111111111111111.png",
	    "/files/1111111111111111111111111111111111111111111111111111111111111111.png",
	    "/api/files/1111111111111111111111111111111111111111111111111111111111111111",
	    "/api/files/1111111111111111111111111111111111111111111111111111111111111111.",
	    "/api/files/1111111111111111111111111111111111111111111111111111111111111111.p.g",
	    "/api/files/1111111111111111111111111111111111111111111111111111111111111111.toolongx",
	    "/api/files/111111111111111111111111111111111111111111111111111111111111111A.png",
	    "/api/files/111111111111111111111111111111111111111111111111111111111111111.png",
	    "/api/files/1111111111111111111111111111111111111111111111111111111111.png", /* short: routes only
	                                                                                  */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(file_url_parse(bad[i], &fn), FE_ENOTFOUND);
	/* a route's name: full, or with allow_short the original's 58-hex form */
	assert_int_equal(file_name_parse(url + strlen(FILE_URL_PREFIX), 0, &fn), 0);
	assert_string_equal(fn.sha256, f.sha256);
	const char *shortname = "1111111111111111111111111111111111111111111111111111111111.gif";
	assert_int_equal(file_name_parse(shortname, 0, &fn), FE_ENOTFOUND);
	assert_int_equal(file_name_parse(shortname, 1, &fn), 0);
	assert_string_equal(fn.sha256, "");
	assert_string_equal(fn.suffix, "1111111111111111111111111111111111111111111111111111111111");
	assert_string_equal(fn.ext, "gif");
}

static void test_uploader_reads(void **state)
{
	seed();
	struct file_rec f = add_file(&ann, PNG_SHA, "png", "image/png");
	assert_int_equal(access_of(&ann, &f), FILE_UPLOADER);
	assert_int_equal(access_of(&ben, &f), FILE_NO_ACCESS);
	assert_int_equal(access_of(&xen, &f), FILE_NO_ACCESS);
}

static void test_chat_members_read_while_referenced(void **state)
{
	seed();
	struct file_rec f = add_file(&ann, PNG_SHA, "png", "image/png");
	int64_t c = add_chat(&ann, &ben);
	int64_t m = attach(c, &ann, f.id);
	assert_int_equal(access_of(&ben, &f), FILE_IN_CHAT);
	assert_int_equal(access_of(&cat, &f), FILE_NO_ACCESS);
	/* removed from the chat: gone */
	assert_int_equal(S->member_remove(SI, c, ben.user_id), 0);
	assert_int_equal(access_of(&ben, &f), FILE_NO_ACCESS);
	assert_int_equal(S->member_add(SI, c, ben.user_id, "member", fake_now), 0);
	assert_int_equal(access_of(&ben, &f), FILE_IN_CHAT);
	/* the message deleted: gone; the uploader keeps it */
	assert_int_equal(S->message_delete(SI, m, fake_now + 1), 0);
	assert_int_equal(access_of(&ben, &f), FILE_NO_ACCESS);
	assert_int_equal(access_of(&ann, &f), FILE_UPLOADER);
}

static void test_picture_is_seen_by_its_workspace_only(void **state)
{
	seed();
	struct fe_err e = {0};
	struct file_rec f = add_file(&ann, PNG_SHA, "png", "image/png");
	assert_int_equal(set_picture_id(&ann, f.id, &e), 0);
	assert_int_equal(access_of(&ben, &f), FILE_AVATAR);
	assert_int_equal(access_of(&cat, &f), FILE_AVATAR);
	assert_int_equal(access_of(&xen, &f), FILE_NO_ACCESS);
	/* a chat reference is the stronger reason */
	attach(add_chat(&ann, &ben), &ann, f.id);
	assert_int_equal(access_of(&ben, &f), FILE_IN_CHAT);
	assert_int_equal(access_of(&cat, &f), FILE_AVATAR);
	/* another picture: the old one is the uploader's (and the chat's) again */
	struct file_rec g = add_file(&ann, PDF_SHA, "gif", "image/gif");
	assert_int_equal(set_picture_id(&ann, g.id, &e), 0);
	assert_int_equal(access_of(&cat, &f), FILE_NO_ACCESS);
	assert_int_equal(access_of(&cat, &g), FILE_AVATAR);
	assert_int_equal(set_picture_id(&ann, 0, &e), 0);
	assert_int_equal(access_of(&cat, &g), FILE_NO_ACCESS);
}

/* ---- pictures: only an image the caller uploaded ---- */

static void test_picture_must_be_own_image(void **state)
{
	seed();
	struct fe_err e = {0};
	struct user u;
	struct file_rec mine = add_file(&ben, PNG_SHA, "png", "image/png");
	struct file_rec theirs = add_file(&ann, PDF_SHA, "gif", "image/gif");
	struct file_rec doc = add_file(&ben, PDF_SHA, "pdf", "application/pdf");
	char url[FILE_URL_MAX];

	/* by id and by url: the stored url is written from the file row */
	assert_int_equal(set_picture_id(&ben, mine.id, &e), 0);
	assert_int_equal(workspace_user(&app, &ben, ben.user_id, &u, &e), 0);
	file_url(&mine, url, sizeof url);
	assert_string_equal(u.avatar_url, url);
	assert_int_equal(u.avatar_file_id, mine.id);
	assert_int_equal(set_picture_url(&ben, "", &e), 0);
	assert_int_equal(workspace_user(&app, &ben, ben.user_id, &u, &e), 0);
	assert_string_equal(u.avatar_url, "");
	assert_int_equal(u.avatar_file_id, 0);
	assert_int_equal(set_picture_url(&ben, url, &e), 0);
	assert_int_equal(workspace_user(&app, &ben, ben.user_id, &u, &e), 0);
	assert_int_equal(u.avatar_file_id, mine.id);

	/* refused, and nothing changes: someone else's, unknown, not an image */
	struct {
		int64_t id;
		const char *url, *field;
	} bad[] = {
	    {theirs.id, NULL, "avatar_file_id"},
	    {theirs.id + 100, NULL, "avatar_file_id"},
	    {doc.id, NULL, "avatar_file_id"},
	    {0, "/api/files/2222222222222222222222222222222222222222222222222222222222222222.gif",
	     "avatar_url"},
	    {0, "/api/files/2222222222222222222222222222222222222222222222222222222222222222.pdf",
	     "avatar_url"},
	    {0, "/api/files/3333333333333333333333333333333333333333333333333333333333333333.png",
	     "avatar_url"},
	    {0, "/api/files/1111111111111111111111111111111111111111111111111111111111111111.gif",
	     "avatar_url"},
	    {0, "/api/files/abc.png", "avatar_url"},
	    {0, "/api/files/", "avatar_url"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&e, 0, sizeof e);
		int rc =
		    bad[i].url ? set_picture_url(&ben, bad[i].url, &e) : set_picture_id(&ben, bad[i].id, &e);
		assert_int_equal(rc, FE_EINVAL);
		assert_string_equal(e.code, "INVALID_AVATAR");
		assert_string_equal(e.field, bad[i].field);
		assert_int_equal(workspace_user(&app, &ben, ben.user_id, &u, &e), 0);
		assert_int_equal(u.avatar_file_id, mine.id);
		assert_int_equal(access_of(&cat, &theirs), FILE_NO_ACCESS);
		assert_int_equal(access_of(&cat, &doc), FILE_NO_ACCESS);
	}
	/* one way at a time */
	struct profile_in both = {0};
	both.has_avatar_file_id = 1;
	both.avatar_file_id = mine.id;
	both.avatar_url = url;
	assert_int_equal(workspace_update_profile(&app, &ben, &both, &u, &e), FE_EINVAL);
	assert_string_equal(e.field, "avatar_file_id");
	/* an outside address names no file */
	assert_int_equal(set_picture_url(&ben, "https://example.com/b.png", &e), 0);
	assert_int_equal(workspace_user(&app, &ben, ben.user_id, &u, &e), 0);
	assert_int_equal(u.avatar_file_id, 0);
	assert_int_equal(access_of(&cat, &mine), FILE_NO_ACCESS);
}

/* the holes of issue 9: a file of another workspace, of a chat the caller
 * left, or seen only as a picture, never becomes the caller's */
static void test_picture_grants_nothing_else(void **state)
{
	seed();
	struct fe_err e = {0};
	char url[FILE_URL_MAX];
	struct file_rec f = add_file(&ann, PNG_SHA, "png", "image/png");
	file_url(&f, url, sizeof url);
	/* another workspace */
	assert_int_equal(set_picture_url(&xen, url, &e), FE_EINVAL);
	assert_int_equal(access_of(&xen, &f), FILE_NO_ACCESS);
	/* removed from the chat that carried it */
	int64_t c = add_chat(&ann, &cat);
	attach(c, &ann, f.id);
	assert_int_equal(S->member_remove(SI, c, cat.user_id), 0);
	assert_int_equal(set_picture_url(&cat, url, &e), FE_EINVAL);
	assert_int_equal(set_picture_id(&cat, f.id, &e), FE_EINVAL);
	assert_int_equal(access_of(&cat, &f), FILE_NO_ACCESS);
	assert_int_equal(access_of(&ben, &f), FILE_NO_ACCESS);
}

/* ---- attaching: uploaded, or forwarded from one of the caller's chats ---- */

static void test_attach(void **state)
{
	seed();
	struct fe_err e = {0};
	int64_t id = 0;
	char url[FILE_URL_MAX];
	struct file_rec f = add_file(&ann, PNG_SHA, "png", "image/png");
	file_url(&f, url, sizeof url);
	assert_int_equal(file_check_attach(&app, &ann, f.id, &e), 0);
	assert_int_equal(file_resolve_url(&app, &ann, url, &id, &e), 0);
	assert_int_equal(id, f.id);
	assert_int_equal(file_check_attach(&app, &ben, f.id, &e), FE_EINVAL);
	assert_string_equal(e.field, "files");
	assert_int_equal(file_resolve_url(&app, &ben, url, &id, &e), FE_EINVAL);
	assert_int_equal(file_check_attach(&app, &ben, f.id + 100, &e), FE_EINVAL);

	/* seen only as ann's picture: not enough to share it */
	assert_int_equal(set_picture_id(&ann, f.id, &e), 0);
	assert_int_equal(access_of(&ben, &f), FILE_AVATAR);
	assert_int_equal(file_check_attach(&app, &ben, f.id, &e), FE_EINVAL);
	assert_int_equal(file_resolve_url(&app, &ben, url, &id, &e), FE_EINVAL);

	/* in one of ben's chats: ben may forward it */
	int64_t c = add_chat(&ann, &ben);
	attach(c, &ann, f.id);
	assert_int_equal(file_check_attach(&app, &ben, f.id, &e), 0);
	id = 0;
	assert_int_equal(file_resolve_url(&app, &ben, url, &id, &e), 0);
	assert_int_equal(id, f.id);
	/* once removed, no longer */
	assert_int_equal(S->member_remove(SI, c, ben.user_id), 0);
	assert_int_equal(file_check_attach(&app, &ben, f.id, &e), FE_EINVAL);
	assert_int_equal(file_resolve_url(&app, &ben, url, &id, &e), FE_EINVAL);
}

/* the same content uploaded by two people: a url resolves to the row that
 * gives the caller the strongest reason (their own first) */
static void test_same_content_two_uploaders(void **state)
{
	seed();
	struct fe_err e = {0};
	int64_t id = 0;
	char url[FILE_URL_MAX];
	struct file_rec a = add_file(&ann, PNG_SHA, "png", "image/png");
	struct file_rec b = add_file(&ben, PNG_SHA, "png", "image/png");
	assert_int_not_equal(a.id, b.id);
	file_url(&a, url, sizeof url);
	assert_int_equal(file_resolve_url(&app, &ann, url, &id, &e), 0);
	assert_int_equal(id, a.id);
	assert_int_equal(file_resolve_url(&app, &ben, url, &id, &e), 0);
	assert_int_equal(id, b.id);
	assert_int_equal(file_resolve_url(&app, &cat, url, &id, &e), FE_EINVAL);
	/* by url, a picture is the caller's own row */
	assert_int_equal(set_picture_url(&ben, url, &e), 0);
	struct user u;
	assert_int_equal(workspace_user(&app, &ben, ben.user_id, &u, &e), 0);
	assert_int_equal(u.avatar_file_id, b.id);
	assert_int_equal(access_of(&cat, &b), FILE_AVATAR);
	assert_int_equal(access_of(&cat, &a), FILE_NO_ACCESS);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_url),
	    T(test_uploader_reads),
	    T(test_chat_members_read_while_referenced),
	    T(test_picture_is_seen_by_its_workspace_only),
	    T(test_picture_must_be_own_image),
	    T(test_picture_grants_nothing_else),
	    T(test_attach),
	    T(test_same_content_two_uploaders),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
