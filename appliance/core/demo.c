/* core/demo: the demo workspace, written through the use cases. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/chat.h"
#include "core/demo.h"
#include "core/message.h"
#include "lib/crypto.h"
#include "lib/err.h"
#include "lib/log.h"

static const struct {
	const char *email, *name, *title, *role;
} people[] = {
    {"ada@demo.local", "Ada Lovelace", "Founder", "owner"},
    {"grace@demo.local", "Grace Hopper", "Engineering lead", "admin"},
    {"margaret@demo.local", "Margaret Hamilton", "Flight software", "member"},
    {"linus@demo.local", "Linus Pauling", "Research", "member"},
};
#define NPEOPLE (sizeof people / sizeof people[0])

static void sent(void *req, int rc, const struct fe_err *e, const struct message *m, int created)
{
	int64_t *id = req;
	*id = rc ? 0 : m->id;
}

/* Sends text as who in chat (the writer writes through before serving). */
static int64_t say(struct app *app, const struct principal *who, int64_t chat, int64_t reply_to,
                   const char *text)
{
	struct send_in in = {.content = text, .reply_to = reply_to};
	struct fe_err e = {0};
	int64_t id = 0;
	if (message_send(app, who, chat, &in, sent, &id, &e))
		log_warn("demo: message not sent: %s", e.message);
	return id;
}

int demo_seed(struct app *app)
{
	struct store *st = &app->store;
	int64_t n = 0;
	int rc = store_call(st, workspace_count, &n);
	if (rc || n)
		return rc;
	char hash[PW_HASH_MAX];
	if (pw_hash(DEMO_PASSWORD, hash))
		return FE_EINTERNAL;
	struct workspace w = {0};
	snprintf(w.name, sizeof w.name, "Demo");
	w.created_at = app->now_ms();
	struct principal p[NPEOPLE];
	if ((rc = store_call(st, begin)) || (rc = store_call(st, workspace_insert, &w)))
		goto fail;
	for (size_t i = 0; i < NPEOPLE; i++) {
		struct user u = {0};
		u.workspace_id = w.id;
		snprintf(u.email, sizeof u.email, "%s", people[i].email);
		snprintf(u.fullname, sizeof u.fullname, "%s", people[i].name);
		snprintf(u.role, sizeof u.role, "%s", people[i].role);
		u.created_at = w.created_at;
		if ((rc = store_call(st, user_insert, &u, hash)))
			goto fail;
		snprintf(u.title, sizeof u.title, "%s", people[i].title);
		u.updated_at = u.created_at;
		if ((rc = store_call(st, user_update_profile, &u)))
			goto fail;
		p[i] = (struct principal){.user_id = u.id, .workspace_id = w.id};
		snprintf(p[i].role, sizeof p[i].role, "%s", people[i].role);
	}
	if ((rc = store_call(st, workspace_set_owner, w.id, p[0].user_id)) || (rc = store_call(st, commit)))
		goto fail;

	struct fe_err e = {0};
	struct chat_summary general = {0}, eng = {0}, dm = {0};
	int created;
	int64_t all[NPEOPLE - 1] = {p[1].user_id, p[2].user_id, p[3].user_id};
	struct chat_create_in gi = {"general", "PublicChannel", "Company-wide announcements and chatter", all,
	                            NPEOPLE - 1};
	struct chat_create_in ei = {"engineering", "PrivateChannel", "Builds, releases and the pager", all,
	                            2};
	struct chat_create_in di = {NULL, "Single", NULL, &p[1].user_id, 1};
	if ((rc = chat_create(app, &p[0], &gi, &general, &created, &e)) ||
	    (rc = chat_create(app, &p[0], &ei, &eng, &created, &e)) ||
	    (rc = chat_create(app, &p[0], &di, &dm, &created, &e))) {
		log_err("demo: %s", e.message);
		goto done;
	}
	int64_t g = general.chat.id, en = eng.chat.id;
	int64_t hello =
	    say(app, &p[0], g, 0,
	        "Welcome to **Fechatter**, everyone! This whole chat server is one small binary.");
	say(app, &p[1], g, 0, "Hi @Ada Lovelace, glad to be here. Is it true it runs on a Raspberry Pi?");
	say(app, &p[0], g, 0,
	    "It is: SQLite for storage, FTS5 for search, WebSocket for live updates. Try the search box!");
	say(app, &p[3], g, hello, "Congratulations on the launch.");
	say(app, &p[2], g, hello, "Seconded. Thread replies live over here.");
	int64_t release = say(app, &p[1], en, 0, "Release checklist for `v1.0`:\n1. tag\n2. build\n3. ship");
	say(app, &p[2], en, release, "Build is green on arm64 and x86_64.");
	say(app, &p[1], en, 0, "@everyone deploy window opens at 15:00.");
	say(app, &p[0], dm.chat.id, 0, "Grace, can you review the deployment notes before Friday?");
	say(app, &p[1], dm.chat.id, 0, "On it.");
	int changed;
	struct reaction_sum *sums;
	size_t nsums;
	if (!message_react(app, &p[1], g, hello, "🎉", 1, &changed, &sums, &nsums, &e))
		free(sums);
	if (!message_react(app, &p[2], g, hello, "🎉", 1, &changed, &sums, &nsums, &e))
		free(sums);
	log_info("demo: seeded workspace Demo: sign in as ada@demo.local (or grace@, margaret@, linus@) with "
	         "password %s",
	         DEMO_PASSWORD);
done:
	message_clear(&general.last);
	free(general.members);
	message_clear(&eng.last);
	free(eng.members);
	message_clear(&dm.last);
	free(dm.members);
	return rc;
fail:
	store_call(st, rollback);
	return rc;
}
