/* tests/unit/test_instances: two apps in one process keep their in-memory
 * state apart (issue 11, "state in one place"): presence (core/presence),
 * the real-time hub and its counters (http/realtime, subscribed to each
 * app's own bus with the hub as context) and the request metrics
 * (http/metrics), the server's own counters and stop flag (http/server),
 * the searches queued or running and their counters (core/search).
 * Each app is built as main.c builds it: a real SQLite store (in memory),
 * the in-process bus, app_state_new. The two stores hold the same ids, so
 * state leaking through a global would show. The last test runs two whole
 * servers in one process (each on its own thread and port) and talks HTTP
 * to them over real sockets. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "testapp.h"
#include "core/presence.h"
#include "core/search.h"
#include "http/http.h"
#include "http/realtime.h"

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
	*ann = (struct principal){.user_id = u.id, .workspace_id = ws, .role = "member"};
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

/* ---- searches ---- */

/* A search port that holds every search until release_searches(), then
 * answers no hits, or FE_EUNAVAIL when the search was cancelled. */
static pthread_mutex_t fs_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t fs_cv = PTHREAD_COND_INITIALIZER;
static int fs_released, fs_running;

static int held_search(void *s, const struct search_query *q, struct search_hit **out, size_t *n,
                       int64_t *total)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&fs_mu);
	fs_running++;
	pthread_cond_broadcast(&fs_cv);
	while (!fs_released && pthread_cond_timedwait(&fs_cv, &fs_mu, &until) == 0)
		;
	fs_running--;
	pthread_mutex_unlock(&fs_mu);
	*out = NULL;
	*n = 0;
	*total = 0;
	return __atomic_load_n(q->cancel, __ATOMIC_RELAXED) ? FE_EUNAVAIL : 0;
}

static const struct search_ops held_ops = {.search = held_search};

static void release_searches(void)
{
	pthread_mutex_lock(&fs_mu);
	fs_released = 1;
	pthread_cond_broadcast(&fs_cv);
	pthread_mutex_unlock(&fs_mu);
}

struct answered {
	int called, rc;
	char code[32];
};

static void on_answer(void *req, int rc, const struct fe_err *e, const struct search_out *out)
{
	struct answered *r = req;
	r->called++;
	r->rc = rc;
	snprintf(r->code, sizeof r->code, "%s", rc ? e->code : "");
}

/* Runs x's finished searches' callbacks until none is pending (10 s). */
static void drain(struct app *x)
{
	for (int i = 0; i < 1000 && workers_pending(x->workers) > 0; i++) {
		usleep(10000);
		workers_drain(x->workers);
	}
	assert_int_equal(workers_pending(x->workers), 0);
}

static struct search_stats stats_of(struct app *x)
{
	struct search_stats s;
	search_stats(x, &s);
	return s;
}

/* A search queued in A is counted and cancelled in A only: B's stats stay
 * empty and stopping B's searches leaves A's running. */
static void test_searches_apart(void **state)
{
	static const struct workers_lane lanes[] = {{1, 0}, {1, 0}};
	struct app *apps[] = {&a, &b};
	for (int i = 0; i < 2; i++) {
		struct app *x = apps[i];
		x->search = (struct search){.ops = &held_ops};
		x->workers = workers_start_lanes(lanes, 2, on_wake, NULL);
		assert_non_null(x->workers);
		struct chat c = {.workspace_id = 1, .created_by = 1, .created_at = T0};
		snprintf(c.chat_type, sizeof c.chat_type, "Group");
		snprintf(c.name, sizeof c.name, "General");
		assert_int_equal(x->store.ops->chat_insert(x->store.impl, &c, NULL), 0);
		assert_int_equal(x->store.ops->member_add(x->store.impl, c.id, 1, "owner", T0), 0);
	}
	fs_released = 0;
	struct search_in in = {.q = "deploy", .limit = 20};
	struct answered r1 = {0}, r2 = {0};
	struct fe_err e = {0};
	struct search_job *job = NULL;
	assert_int_equal(search_messages(&a, &ann_a, &in, on_answer, &r1, &job, &e), 0);
	assert_non_null(job);
	assert_int_equal(stats_of(&a).in_progress, 1);
	assert_int_equal(stats_of(&b).in_progress, 0);
	search_cancel_all(&b); /* B has nothing to stop; A's search goes on */
	release_searches();
	drain(&a);
	assert_int_equal(r1.called, 1);
	assert_int_equal(r1.rc, 0);
	assert_int_equal(stats_of(&a).ok, 1);
	assert_int_equal(stats_of(&a).in_progress, 0);
	assert_int_equal(stats_of(&b).ok, 0);

	/* and stopping A's searches stops A's */
	fs_released = 0;
	assert_int_equal(search_messages(&a, &ann_a, &in, on_answer, &r2, &job, &e), 0);
	search_cancel_all(&a);
	release_searches();
	drain(&a);
	assert_int_equal(r2.called, 1);
	assert_int_equal(r2.rc, FE_EUNAVAIL);
	assert_string_equal(r2.code, "SHUTTING_DOWN");
	assert_int_equal(stats_of(&a).cancelled, 1);
	assert_int_equal(stats_of(&b).cancelled, 0);
	for (int i = 0; i < 2; i++) {
		workers_stop(apps[i]->workers);
		apps[i]->workers = NULL;
	}
}

/* ---- two servers ---- */

/* A port that was free a moment ago (bound to port 0, then closed). */
static int free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t n = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &n), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

/* GETs path from 127.0.0.1:port (Connection: close); returns the whole
 * answer (owned), or NULL when nothing answers (10 s at most). */
static char *http_get(int port, const char *path)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_port = htons((uint16_t)port),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct timeval tv = {10, 0};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
		close(fd);
		return NULL;
	}
	char req[256];
	int k = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
	                 path);
	assert_int_equal(send(fd, req, (size_t)k, MSG_NOSIGNAL), k);
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap);
	assert_non_null(buf);
	for (ssize_t got; (got = recv(fd, buf + len, cap - len - 1, 0)) > 0;) {
		len += (size_t)got;
		if (len + 1 == cap) {
			cap *= 2;
			char *more = realloc(buf, cap);
			assert_non_null(more);
			buf = more;
		}
	}
	close(fd);
	buf[len] = 0;
	if (!len) {
		free(buf);
		return NULL;
	}
	return buf;
}

struct running {
	struct app *app;
	struct config cfg;
	struct server *srv;
	pthread_t thread;
};

static void *serve(void *arg)
{
	server_run(((struct running *)arg)->srv);
	return NULL;
}

/* Starts x's server on a free port, on its own thread (x as built by
 * build(), plus the writer and a worker, as main.c does). */
static void start(struct running *rn, struct app *x)
{
	rn->app = x;
	default_config(&rn->cfg);
	rn->cfg.port = free_port();
	snprintf(rn->cfg.bind, sizeof rn->cfg.bind, "127.0.0.1");
	snprintf(rn->cfg.data, sizeof rn->cfg.data, "/tmp");
	x->cfg = &rn->cfg;
	x->writer = writer_new(x);
	rn->srv = server_start(x);
	assert_non_null(rn->srv);
	x->workers = workers_start(1, server_wake, rn->srv);
	assert_non_null(x->workers);
	assert_int_equal(pthread_create(&rn->thread, NULL, serve, rn), 0);
}

/* Stops rn's server only, waits for its thread, frees what start() made. */
static void stop(struct running *rn)
{
	server_stop_request(rn->srv);
	assert_int_equal(pthread_join(rn->thread, NULL), 0);
	workers_stop(rn->app->workers);
	rn->app->workers = NULL;
	writer_free(rn->app->writer);
	rn->app->writer = NULL;
	server_free(rn->srv);
}

static int count_of(const char *text, const char *needle)
{
	int n = 0;
	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* Two servers in one process: each counts only its own requests, and
 * stopping one leaves the other serving. */
static void test_two_servers(void **state)
{
	static const char health2[] =
	    "fechatter_http_requests_total{route=\"/health\",method=\"GET\",status=\"200\"} 2";
	struct running ra, rb;
	start(&ra, &a);
	start(&rb, &b);
	for (int i = 0; i < 2; i++) {
		char *t = http_get(ra.cfg.port, "/health");
		assert_non_null(t);
		assert_non_null(strstr(t, "HTTP/1.1 200"));
		free(t);
	}
	char *ma = http_get(ra.cfg.port, "/metrics"), *mb = http_get(rb.cfg.port, "/metrics");
	assert_non_null(ma);
	assert_non_null(mb);
	assert_int_equal(count_of(ma, health2), 1);
	assert_null(strstr(mb, "route=\"/health\""));
	free(ma);
	free(mb);
	/* A stops; B still serves, and still knows nothing of A's requests */
	stop(&ra);
	assert_null(http_get(ra.cfg.port, "/health"));
	char *t = http_get(rb.cfg.port, "/health");
	assert_non_null(t);
	assert_non_null(strstr(t, "HTTP/1.1 200"));
	free(t);
	mb = http_get(rb.cfg.port, "/metrics");
	assert_non_null(mb);
	assert_non_null(
	    strstr(mb, "fechatter_http_requests_total{route=\"/health\",method=\"GET\",status=\"200\"} 1\n"));
	free(mb);
	stop(&rb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_same_ids, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_presence_and_hub_apart, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_metrics_apart, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_searches_apart, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_two_servers, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
