/* tests/unit/test_presence: connections, presence status and typing
 * (core/presence) on a real app: SQLite in memory, the in-process bus with
 * a recording handler, a fake clock. The presence state is the app's
 * (app->presence), made in every setup and freed in every teardown. */
#define MAX_EV 64 /* events recorded per test */
#include "testapp.h"
#include "core/chat.h"
#include "core/presence.h"

#define S (app.store.ops)
#define SI (app.store.impl)

static int setup(void **state)
{
	/* only presence and typing are recorded */
	return app_setup(&(struct app_opts){.record = EV_BIT(EV_PRESENCE_CHANGED) | EV_BIT(EV_TYPING_CHANGED),
	                                    .writer = TA_WRITE_THROUGH});
}

static int teardown(void **state)
{
	return app_teardown();
}

static int64_t wsA, wsB;
static struct principal ann, ben, cat, dan, bob_b;
static int64_t room, pair;

/* room: ann, ben, cat. pair: ann and dan. bob_b is in another workspace. */
static void seed(void)
{
	wsA = add_workspace("Acme");
	wsB = add_workspace("Bravo");
	ann = add_member(wsA, "ann@acme.io", "Ann Arbor");
	ben = add_member(wsA, "ben@acme.io", "Ben Bay");
	cat = add_member(wsA, "cat@acme.io", "Cat Cove");
	dan = add_member(wsA, "dan@acme.io", "Dan Dale");
	bob_b = add_member(wsB, "bob@bravo.io", "Bob Bravo");
	struct chat_summary s;
	struct fe_err e = {0};
	int created;
	int64_t m1[] = {ben.user_id, cat.user_id};
	struct chat_create_in in = {"Room", "Group", NULL, m1, 2};
	assert_int_equal(chat_create(&app, &ann, &in, &s, &created, &e), 0);
	room = s.chat.id;
	message_clear(&s.last);
	free(s.members);
	int64_t m2[] = {dan.user_id, cat.user_id};
	struct chat_create_in in2 = {"Pair", "Group", NULL, m2, 2};
	assert_int_equal(chat_create(&app, &ann, &in2, &s, &created, &e), 0);
	pair = s.chat.id;
	message_clear(&s.last);
	free(s.members);
	nev = 0;
}

/* The status of user in presence_online(p), or NULL when not listed. */
static const char *listed(const struct principal *p, int64_t chat_id, int64_t user, int64_t *last_seen)
{
	struct presence_info *out = NULL;
	size_t n = 0;
	struct fe_err e = {0};
	const char *st = NULL;
	assert_int_equal(presence_online(&app, p, chat_id, &out, &n, &e), 0);
	for (size_t i = 0; i < n; i++)
		if (out[i].user_id == user) {
			assert_null(st); /* once */
			st = out[i].status;
			if (last_seen)
				*last_seen = out[i].last_seen;
		}
	free(out);
	return st;
}

static size_t nlisted(const struct principal *p, int64_t chat_id)
{
	struct presence_info *out = NULL;
	size_t n = 0;
	struct fe_err e = {0};
	assert_int_equal(presence_online(&app, p, chat_id, &out, &n, &e), 0);
	free(out);
	return n;
}

/* ---- connections ---- */

static void test_connect_counting(void **state)
{
	seed();
	clock_set(T0 + 100);
	presence_connect(&app, &ben);
	assert_int_equal(nev, 1);
	assert_int_equal(evs[0].type, EV_PRESENCE_CHANGED);
	assert_int_equal(evs[0].user_id, ben.user_id);
	assert_int_equal(evs[0].workspace_id, wsA);
	assert_string_equal(evs[0].status, "online");
	assert_int_equal(evs[0].last_seen, T0 + 100);
	int64_t seen = 0;
	assert_string_equal(listed(&ann, 0, ben.user_id, &seen), "online");
	assert_int_equal(seen, T0 + 100);
	/* second and third connections: silent */
	presence_connect(&app, &ben);
	presence_connect(&app, &ben);
	assert_int_equal(nev, 1);
	/* closing two of three: still online, silent */
	clock_set(T0 + 200);
	presence_disconnect(&app, &ben);
	presence_disconnect(&app, &ben);
	assert_int_equal(nev, 1);
	assert_string_equal(listed(&ann, 0, ben.user_id, NULL), "online");
	/* the last one: offline, with last_seen */
	clock_set(T0 + 300);
	presence_disconnect(&app, &ben);
	assert_int_equal(nev, 2);
	assert_int_equal(evs[1].type, EV_PRESENCE_CHANGED);
	assert_int_equal(evs[1].user_id, ben.user_id);
	assert_string_equal(evs[1].status, "offline");
	assert_int_equal(evs[1].last_seen, T0 + 300);
	assert_null(listed(&ann, 0, ben.user_id, NULL));
	/* more disconnects than connects: nothing */
	presence_disconnect(&app, &ben);
	presence_disconnect(&app, &cat); /* never connected */
	assert_int_equal(nev, 2);
	assert_null(listed(&ann, 0, ben.user_id, NULL));
	/* connecting again: online again */
	presence_connect(&app, &ben);
	assert_int_equal(nev, 3);
	assert_string_equal(evs[2].status, "online");
	assert_string_equal(listed(&ann, 0, ben.user_id, NULL), "online");
}

static void test_presence_set(void **state)
{
	seed();
	struct fe_err e = {0};
	/* not connected: conflict, and no event */
	assert_int_equal(presence_set(&app, &ann, "away", &e), FE_ECONFLICT);
	assert_int_equal(presence_set(&app, &ann, "online", &e), FE_ECONFLICT);
	assert_int_equal(nev, 0);
	assert_null(listed(&ben, 0, ann.user_id, NULL));
	presence_connect(&app, &ann);
	nev = 0;
	/* bad status */
	assert_int_equal(presence_set(&app, &ann, "busy", &e), FE_EINVAL);
	assert_int_equal(presence_set(&app, &ann, "offline", &e), FE_EINVAL);
	assert_int_equal(presence_set(&app, &ann, NULL, &e), FE_EINVAL);
	assert_int_equal(nev, 0);
	/* away */
	clock_set(T0 + 5);
	assert_int_equal(presence_set(&app, &ann, "away", &e), 0);
	assert_int_equal(nev, 1);
	assert_string_equal(evs[0].status, "away");
	assert_int_equal(evs[0].user_id, ann.user_id);
	assert_string_equal(listed(&ben, 0, ann.user_id, NULL), "away");
	/* away again: no change, no event */
	assert_int_equal(presence_set(&app, &ann, "away", &e), 0);
	assert_int_equal(nev, 1);
	/* back online */
	assert_int_equal(presence_set(&app, &ann, "online", &e), 0);
	assert_int_equal(nev, 2);
	assert_string_equal(evs[1].status, "online");
	assert_string_equal(listed(&ben, 0, ann.user_id, NULL), "online");
	/* away, then all connections close: offline; setting fails again */
	assert_int_equal(presence_set(&app, &ann, "away", &e), 0);
	presence_disconnect(&app, &ann);
	assert_int_equal(nev, 4);
	assert_string_equal(evs[3].status, "offline");
	assert_int_equal(presence_set(&app, &ann, "online", &e), FE_ECONFLICT);
	assert_int_equal(nev, 4);
	/* a new connection starts online, not away */
	presence_connect(&app, &ann);
	assert_string_equal(evs[4].status, "online");
	assert_string_equal(listed(&ben, 0, ann.user_id, NULL), "online");
}

static void test_online_filters(void **state)
{
	seed();
	struct fe_err e = {0};
	presence_connect(&app, &ann);
	presence_connect(&app, &ben);
	presence_connect(&app, &dan);
	presence_connect(&app, &bob_b);
	struct fe_err e2 = {0};
	assert_int_equal(presence_set(&app, &dan, "away", &e2), 0);
	/* workspace A: ann, ben, dan (cat offline, bob elsewhere) */
	assert_int_equal(nlisted(&cat, 0), 3);
	assert_string_equal(listed(&cat, 0, ann.user_id, NULL), "online");
	assert_string_equal(listed(&cat, 0, ben.user_id, NULL), "online");
	assert_string_equal(listed(&cat, 0, dan.user_id, NULL), "away");
	assert_null(listed(&cat, 0, cat.user_id, NULL));
	assert_null(listed(&cat, 0, bob_b.user_id, NULL));
	/* workspace B sees only bob */
	assert_int_equal(nlisted(&bob_b, 0), 1);
	assert_string_equal(listed(&bob_b, 0, bob_b.user_id, NULL), "online");
	/* room (ann, ben, cat): ann and ben */
	assert_int_equal(nlisted(&cat, room), 2);
	assert_non_null(listed(&cat, room, ann.user_id, NULL));
	assert_non_null(listed(&cat, room, ben.user_id, NULL));
	assert_null(listed(&cat, room, dan.user_id, NULL));
	/* pair (ann, dan, cat): ann and dan */
	assert_int_equal(nlisted(&ann, pair), 2);
	assert_string_equal(listed(&ann, pair, dan.user_id, NULL), "away");
	assert_null(listed(&ann, pair, ben.user_id, NULL));
	/* a chat the caller is not in, or of another workspace: not found */
	struct presence_info *out = (struct presence_info *)0x1;
	size_t n = 7;
	assert_int_equal(presence_online(&app, &ben, pair, &out, &n, &e), FE_ENOTFOUND);
	assert_int_equal(presence_online(&app, &bob_b, room, &out, &n, &e), FE_ENOTFOUND);
	assert_int_equal(presence_online(&app, &ann, 987654, &out, &n, &e), FE_ENOTFOUND);
	/* after ben leaves, the room lists only ann */
	presence_disconnect(&app, &ben);
	assert_int_equal(nlisted(&cat, room), 1);
	assert_int_equal(nlisted(&cat, 0), 2);
}

/* ---- typing ---- */

static void test_typing_start_stop(void **state)
{
	seed();
	struct fe_err e = {0};
	assert_int_equal(typing_set(&app, &ben, room, 1, &e), 0);
	assert_int_equal(nev, 1);
	assert_int_equal(evs[0].type, EV_TYPING_CHANGED);
	assert_int_equal(evs[0].chat_id, room);
	assert_int_equal(evs[0].user_id, ben.user_id);
	assert_int_equal(evs[0].workspace_id, wsA);
	assert_int_equal(evs[0].added, 1);
	assert_string_equal(evs[0].user_name, "Ben Bay");
	/* a second start only extends */
	clock_set(T0 + 4000);
	assert_int_equal(typing_set(&app, &ben, room, 1, &e), 0);
	assert_int_equal(nev, 1);
	struct typing_info *t = NULL;
	size_t n = 0;
	assert_int_equal(typing_users(&app, &ann, room, &t, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(t[0].user_id, ben.user_id);
	assert_string_equal(t[0].user_name, "Ben Bay");
	assert_int_equal(t[0].expires_at, T0 + 4000 + TYPING_TTL_MS);
	free(t);
	/* cat types too; ann types in the other chat */
	assert_int_equal(typing_set(&app, &cat, room, 1, &e), 0);
	assert_int_equal(typing_set(&app, &ann, pair, 1, &e), 0);
	assert_int_equal(nev, 3);
	assert_int_equal(typing_users(&app, &ann, room, &t, &n, &e), 0);
	assert_int_equal(n, 2);
	int seen_ben = 0, seen_cat = 0;
	for (size_t i = 0; i < n; i++) {
		seen_ben += t[i].user_id == ben.user_id;
		seen_cat += t[i].user_id == cat.user_id;
	}
	assert_int_equal(seen_ben, 1);
	assert_int_equal(seen_cat, 1);
	free(t);
	assert_int_equal(typing_users(&app, &dan, pair, &t, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(t[0].user_id, ann.user_id);
	assert_string_equal(t[0].user_name, "Ann Arbor");
	free(t);
	/* stop publishes false once */
	assert_int_equal(typing_set(&app, &ben, room, 0, &e), 0);
	assert_int_equal(nev, 4);
	assert_int_equal(evs[3].type, EV_TYPING_CHANGED);
	assert_int_equal(evs[3].added, 0);
	assert_int_equal(evs[3].user_id, ben.user_id);
	assert_int_equal(evs[3].chat_id, room);
	assert_int_equal(typing_set(&app, &ben, room, 0, &e), 0);
	assert_int_equal(nev, 4);
	assert_int_equal(typing_users(&app, &ann, room, &t, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(t[0].user_id, cat.user_id);
	free(t);
	/* starting again after a stop publishes again */
	assert_int_equal(typing_set(&app, &ben, room, 1, &e), 0);
	assert_int_equal(nev, 5);
	assert_int_equal(evs[4].added, 1);
}

static void test_typing_expiry(void **state)
{
	seed();
	struct fe_err e = {0};
	assert_int_equal(typing_set(&app, &ben, room, 1, &e), 0);
	clock_set(T0 + 3000);
	assert_int_equal(typing_set(&app, &cat, room, 1, &e), 0);
	clock_set(T0 + 5000);
	assert_int_equal(typing_set(&app, &ann, pair, 1, &e), 0);
	assert_int_equal(typing_set(&app, &ann, pair, 1, &e), 0); /* extend at 5 s: until 15 s */
	nev = 0;
	clock_set(T0 + 9999);
	typing_tick(&app);
	assert_int_equal(nev, 0);
	clock_set(T0 + 10000 + 1); /* ben's 10 s are over */
	typing_tick(&app);
	assert_int_equal(nev, 1);
	assert_int_equal(evs[0].type, EV_TYPING_CHANGED);
	assert_int_equal(evs[0].user_id, ben.user_id);
	assert_int_equal(evs[0].chat_id, room);
	assert_int_equal(evs[0].added, 0);
	typing_tick(&app); /* nothing more */
	assert_int_equal(nev, 1);
	struct typing_info *t = NULL;
	size_t n = 0;
	assert_int_equal(typing_users(&app, &ann, room, &t, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(t[0].user_id, cat.user_id);
	free(t);
	/* cat extends before expiry and survives her first deadline */
	clock_set(T0 + 12000);
	assert_int_equal(typing_set(&app, &cat, room, 1, &e), 0);
	clock_set(T0 + 14000);
	typing_tick(&app);
	assert_int_equal(nev, 1);
	clock_set(T0 + 15001); /* ann's extended 10 s are over */
	typing_tick(&app);
	assert_int_equal(nev, 2);
	assert_int_equal(evs[1].user_id, ann.user_id);
	assert_int_equal(evs[1].chat_id, pair);
	assert_int_equal(evs[1].added, 0);
	clock_set(T0 + 22001);
	typing_tick(&app);
	assert_int_equal(nev, 3);
	assert_int_equal(evs[2].user_id, cat.user_id);
	assert_int_equal(evs[2].added, 0);
	assert_int_equal(typing_users(&app, &ann, room, &t, &n, &e), 0);
	assert_int_equal(n, 0);
	free(t);
	/* a stop after expiry says nothing */
	assert_int_equal(typing_set(&app, &cat, room, 0, &e), 0);
	assert_int_equal(nev, 3);
}

static void test_typing_not_member(void **state)
{
	seed();
	struct fe_err e = {0};
	assert_int_equal(typing_set(&app, &ben, pair, 1, &e), FE_ENOTFOUND);
	assert_int_equal(typing_set(&app, &ben, pair, 0, &e), FE_ENOTFOUND);
	assert_int_equal(typing_set(&app, &bob_b, room, 1, &e), FE_ENOTFOUND);
	assert_int_equal(typing_set(&app, &bob_b, room, 0, &e), FE_ENOTFOUND);
	assert_int_equal(typing_set(&app, &ann, 424242, 1, &e), FE_ENOTFOUND);
	assert_int_equal(nev, 0);
	struct typing_info *t = NULL;
	size_t n = 0;
	assert_int_equal(typing_users(&app, &ben, pair, &t, &n, &e), FE_ENOTFOUND);
	/* a member's typing is not stoppable by a non-member */
	assert_int_equal(typing_set(&app, &dan, pair, 1, &e), 0);
	assert_int_equal(typing_set(&app, &ben, pair, 0, &e), FE_ENOTFOUND);
	assert_int_equal(typing_users(&app, &ann, pair, &t, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(t[0].user_id, dan.user_id);
	free(t);
}

static void test_disconnect_ends_typing(void **state)
{
	seed();
	struct fe_err e = {0};
	presence_connect(&app, &ann);
	presence_connect(&app, &ann);
	assert_int_equal(typing_set(&app, &ann, room, 1, &e), 0);
	assert_int_equal(typing_set(&app, &ann, pair, 1, &e), 0);
	assert_int_equal(typing_set(&app, &cat, room, 1, &e), 0);
	nev = 0;
	presence_disconnect(&app, &ann); /* one connection left: still typing */
	assert_int_equal(nev, 0);
	presence_disconnect(&app, &ann);
	/* offline, then a stop for each chat ann typed in */
	assert_int_equal(nev, 3);
	assert_int_equal(evs[0].type, EV_PRESENCE_CHANGED);
	assert_string_equal(evs[0].status, "offline");
	int stops_room = 0, stops_pair = 0;
	for (int i = 1; i < 3; i++) {
		assert_int_equal(evs[i].type, EV_TYPING_CHANGED);
		assert_int_equal(evs[i].user_id, ann.user_id);
		assert_int_equal(evs[i].added, 0);
		stops_room += evs[i].chat_id == room;
		stops_pair += evs[i].chat_id == pair;
	}
	assert_int_equal(stops_room, 1);
	assert_int_equal(stops_pair, 1);
	struct typing_info *t = NULL;
	size_t n = 0;
	assert_int_equal(typing_users(&app, &cat, room, &t, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(t[0].user_id, cat.user_id);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_connect_counting, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_presence_set, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_online_filters, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_typing_start_stop, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_typing_expiry, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_typing_not_member, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_disconnect_ends_typing, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
