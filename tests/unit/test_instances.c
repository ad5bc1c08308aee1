/* tests/unit/test_instances: two apps in one process keep their in-memory
 * state apart (issue 11, "state in one place"): presence (core/presence),
 * the real-time hub and its counters (http/realtime, subscribed to each
 * app's own bus with the hub as context) and the request metrics
 * (http/metrics). Each app is built as main.c builds it: a real SQLite
 * store (in memory), the in-process bus, app_state_new. The two stores hold
 * the same ids, so state leaking through a global would show. */
#include "core/presence.h"
#include "http/http.h"
#include "http/realtime.h"
#include "testapp.h"

static struct config cfg_b;
static struct app a, b;
static struct principal ann_a, ann_b; /* user 1 of workspace 1, in each store */

static int build(struct app *x, struct config *c, struct principal *ann)
{
	memset(x, 0, sizeof *x);
	x->cfg = c;
	x->now_ms = fake_clock;
	x->started_ms = T0;
	if (open_memory_store(&x->store) || local_bus_new(&x->bus) || app_state_new(x, 1))
		return -1;
	int64_t ws = store_add_workspace(&x->store, "Acme", T0);
	struct user u = new_user(ws, "ann@acme.io", "Ann Arbor", "member", T0);
	store_insert_user(&x->store, &u);
	*ann = (struct principal){u.id, ws, "member"};
	return 0;
}

static void destroy(struct app *x)
{
	local_bus_free(&x->bus);
	app_state_free(x);
	sqlite_store_close(&x->store);
}

static int setup(void **state)
{
	fe_log_level = LOG_ERR;
	clock_set(T0);
	default_config(&cfg);
	default_config(&cfg_b);
	return build(&a, &cfg, &ann_a) || build(&b, &cfg_b, &ann_b) ? -1 : 0;
}

static int teardown(void **state)
{
	destroy(&a);
	destroy(&b);
	return 0;
}

/* How many users presence_online lists in x for p's workspace. */
static size_t online_count(struct app *x, const struct principal *p)
{
	struct presence_info *out = NULL;
	size_t n = 0;
	struct fe_err e = {0};
	assert_int_equal(presence_online(x, p, 0, &out, &n, &e), 0);
	free(out);
	return n;
}

static uint64_t hub_events(struct app *x)
{
	struct rt_stats s;
	rt_stats(x->hub, &s);
	return s.events;
}

static void test_same_ids(void **state)
{
	/* the premise: both apps know user 1 of workspace 1 */
	assert_int_equal(ann_a.user_id, ann_b.user_id);
	assert_int_equal(ann_a.workspace_id, ann_b.workspace_id);
}

/* Presence of user 1 in app A is not seen in app B, and each app's
 * presence event reaches its own hub only. */
static void test_presence_and_hub_apart(void **state)
{
	struct fe_err e = {0};
	presence_connect(&a, &ann_a);
	assert_int_equal(online_count(&a, &ann_a), 1);
	assert_int_equal(online_count(&b, &ann_b), 0);
	/* B does not think ann is connected: setting her status is refused */
	assert_int_equal(presence_set(&b, &ann_b, "away", &e), FE_ECONFLICT);
	assert_int_equal(presence_set(&a, &ann_a, "away", &e), 0);
	/* A's two presence events (online, away) went to A's hub */
	assert_int_equal(hub_events(&a), 2);
	assert_int_equal(hub_events(&b), 0);
	presence_connect(&b, &ann_b);
	assert_int_equal(hub_events(&a), 2);
	assert_int_equal(hub_events(&b), 1);
	presence_disconnect(&a, &ann_a);
	assert_int_equal(online_count(&a, &ann_a), 0);
	assert_int_equal(online_count(&b, &ann_b), 1);
	presence_disconnect(&b, &ann_b);
}

/* A request counted in A's metrics shows in A's /metrics text only. */
static void test_metrics_apart(void **state)
{
	static const char line[] =
	    "fechatter_http_requests_total{route=\"/api/signup\",method=\"POST\",status=\"201\"} 2";
	metrics_request(a.metrics, 0, M_POST, 201, 1500);
	metrics_request(a.metrics, 0, M_POST, 201, 2500);
	metrics_conn(a.metrics, 1);
	size_t len;
	char *ta = metrics_render(&a, &len), *tb = metrics_render(&b, &len);
	assert_non_null(strstr(ta, line));
	assert_non_null(strstr(ta, "fechatter_http_connections_open 1\n"));
	assert_null(strstr(tb, "fechatter_http_requests_total{"));
	assert_non_null(strstr(tb, "fechatter_http_connections_open 0\n"));
	free(ta);
	free(tb);
	metrics_conn(a.metrics, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_same_ids, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_presence_and_hub_apart, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_metrics_apart, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
