/* http/metrics: request counters by route, method and status, a latency
 * histogram per route, open connections; rendered as Prometheus text. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/auth.h"
#include "core/limits.h"
#include "core/search.h"
#include "core/writer.h"
#include "http/http.h"
#include "http/realtime.h"
#include "http/router.h"
#include "lib/timefmt.h"
#include "lib/workers.h"
#include "lib/xalloc.h"

#define MAX_SERIES 512
#define NBUCKETS 12
static const double bounds[NBUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                        0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

struct hist {
	uint64_t buckets[NBUCKETS + 1];
	double sum;
	uint64_t count;
};

/* One app's counters (app->metrics). */
struct metrics {
	struct {
		short route;
		unsigned char method;
		short status;
		uint64_t count;
	} series[MAX_SERIES];
	int nseries;
	struct hist *hists; /* one per route, plus one for unmatched (index 0 = unmatched) */
	int nhists;
	int64_t conns;
};

struct metrics *metrics_new(void)
{
	struct metrics *m = xcalloc(1, sizeof *m);
	return m;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	free(m->hists);
	free(m);
}

static const char *route_label(int i)
{
	return i < 0 ? "unmatched" : routes[i].pattern;
}

void metrics_request(struct metrics *mx, int route, enum method m, int status, int64_t us)
{
	int i;
	for (i = 0; i < mx->nseries; i++)
		if (mx->series[i].route == route && mx->series[i].method == m &&
		    mx->series[i].status == status)
			break;
	if (i == mx->nseries && mx->nseries < MAX_SERIES)
		mx->series[mx->nseries++] =
		    (typeof(mx->series[0])){(short)route, (unsigned char)m, (short)status, 0};
	if (i < mx->nseries)
		mx->series[i].count++;
	if (!mx->hists) {
		mx->nhists = router_count() + 1;
		mx->hists = xcalloc((size_t)mx->nhists, sizeof *mx->hists);
	}
	struct hist *h = &mx->hists[route + 1];
	double s = (double)us / 1e6;
	int b = 0;
	while (b < NBUCKETS && s > bounds[b])
		b++;
	h->buckets[b]++;
	h->sum += s;
	h->count++;
}

void metrics_conn(struct metrics *mx, int delta)
{
	mx->conns += delta;
}

struct out {
	char *buf;
	size_t len, cap;
};

static void outf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void outf(struct out *o, const char *fmt, ...)
{
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < o->cap - o->len) {
			o->len += (size_t)n;
			return;
		}
		o->cap = o->cap * 2 + (size_t)n;
		o->buf = xrealloc(o->buf, o->cap);
	}
}

char *metrics_render(struct app *app, size_t *len)
{
	const struct metrics *mx = app->metrics;
	struct out o = {xmalloc(8192), 0, 8192};
	outf(&o, "# HELP fechatter_http_requests_total HTTP requests by route, method and status.\n"
	         "# TYPE fechatter_http_requests_total counter\n");
	for (int i = 0; i < mx->nseries; i++)
		outf(&o, "fechatter_http_requests_total{route=\"%s\",method=\"%s\",status=\"%d\"} %llu\n",
		     route_label(mx->series[i].route), method_name(mx->series[i].method),
		     mx->series[i].status, (unsigned long long)mx->series[i].count);
	outf(&o, "# HELP fechatter_http_request_duration_seconds Time from request to the last byte of the "
	         "answer.\n"
	         "# TYPE fechatter_http_request_duration_seconds histogram\n");
	for (int r = 0; r < mx->nhists; r++) {
		const struct hist *h = &mx->hists[r];
		if (!h->count)
			continue;
		uint64_t cum = 0;
		for (int b = 0; b <= NBUCKETS; b++) {
			cum += h->buckets[b];
			if (b < NBUCKETS)
				outf(&o,
				     "fechatter_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} "
				     "%llu\n",
				     route_label(r - 1), bounds[b], (unsigned long long)cum);
			else
				outf(&o,
				     "fechatter_http_request_duration_seconds_bucket{route=\"%s\",le=\"+"
				     "Inf\"} %llu\n",
				     route_label(r - 1), (unsigned long long)cum);
		}
		outf(&o, "fechatter_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n",
		     route_label(r - 1), h->sum);
		outf(&o, "fechatter_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
		     route_label(r - 1), (unsigned long long)h->count);
	}
	struct writer_stats ws = {0};
	if (app->writer)
		writer_stats(app->writer, &ws);
	outf(&o,
	     "# HELP fechatter_write_batches_total Group-commit transactions.\n"
	     "# TYPE fechatter_write_batches_total counter\nfechatter_write_batches_total %llu\n"
	     "# HELP fechatter_write_ops_total Writes committed through the group-commit path.\n"
	     "# TYPE fechatter_write_ops_total counter\nfechatter_write_ops_total %llu\n"
	     "# HELP fechatter_write_batch_max Largest batch so far.\n"
	     "# TYPE fechatter_write_batch_max gauge\nfechatter_write_batch_max %llu\n",
	     (unsigned long long)ws.batches, (unsigned long long)ws.ops, (unsigned long long)ws.max_batch);
	struct cache_family_stats fam[16];
	size_t nf = 0;
	if (app->cache.ops)
		app->cache.ops->stats(app->cache.impl, fam, 16, &nf);
	static const char *names[] = {"hits", "misses", "evictions", "entries", "bytes"};
	for (int k = 0; k < 5; k++) {
		outf(&o, "# TYPE fechatter_cache_%s %s\n", names[k], k < 3 ? "counter" : "gauge");
		for (size_t i = 0; i < nf; i++) {
			uint64_t v[] = {fam[i].hits, fam[i].misses, fam[i].evictions, fam[i].entries,
			                fam[i].bytes};
			outf(&o, "fechatter_cache_%s{family=\"%s\"} %llu\n", names[k], fam[i].family,
			     (unsigned long long)v[k]);
		}
	}
	struct rt_stats rs = {0};
	if (app->hub)
		rt_stats(app->hub, &rs);
	outf(
	    &o,
	    "# TYPE fechatter_realtime_connections_total counter\nfechatter_realtime_connections_total %llu\n"
	    "# TYPE fechatter_events_total counter\nfechatter_events_total %llu\n"
	    "# TYPE fechatter_deliveries_total counter\nfechatter_deliveries_total %llu\n"
	    "# TYPE fechatter_slow_consumers_dropped_total counter\nfechatter_slow_consumers_dropped_total "
	    "%llu\n",
	    (unsigned long long)rs.connections, (unsigned long long)rs.events,
	    (unsigned long long)rs.deliveries, (unsigned long long)rs.dropped_slow);
	outf(&o,
	     "# HELP fechatter_realtime_writes_total Sends of queued real-time messages (one per batch).\n"
	     "# TYPE fechatter_realtime_writes_total counter\nfechatter_realtime_writes_total %llu\n"
	     "# HELP fechatter_realtime_batched_total Real-time messages sent in a batch of two or more.\n"
	     "# TYPE fechatter_realtime_batched_total counter\nfechatter_realtime_batched_total %llu\n",
	     (unsigned long long)rs.writes, (unsigned long long)rs.batched);
	outf(&o, "# HELP fechatter_rate_limited_total Actions refused by a per-user limit (429).\n"
	         "# TYPE fechatter_rate_limited_total counter\n");
	for (int k = 0; k < LIMIT_NKINDS; k++)
		outf(&o, "fechatter_rate_limited_total{limit=\"%s\"} %llu\n", limits_name(k),
		     (unsigned long long)limits_refused(app->limits, k));
	struct search_stats ss;
	search_stats(app, &ss);
	outf(&o,
	     "# HELP fechatter_searches_total Searches finished, by outcome.\n"
	     "# TYPE fechatter_searches_total counter\n"
	     "fechatter_searches_total{outcome=\"ok\"} %llu\n"
	     "fechatter_searches_total{outcome=\"timeout\"} %llu\n"
	     "fechatter_searches_total{outcome=\"cancelled\"} %llu\n"
	     "fechatter_searches_total{outcome=\"failed\"} %llu\n"
	     "# HELP fechatter_searches_in_progress Searches queued or running.\n"
	     "# TYPE fechatter_searches_in_progress gauge\nfechatter_searches_in_progress %lld\n",
	     (unsigned long long)ss.ok, (unsigned long long)ss.timeouts, (unsigned long long)ss.cancelled,
	     (unsigned long long)ss.failed, (long long)ss.in_progress);
	uint64_t th, tm;
	auth_cache_stats(app, &th, &tm);
	outf(&o,
	     "# HELP fechatter_token_cache_total Access tokens checked: found verified (hit) or signature "
	     "verified (miss).\n"
	     "# TYPE fechatter_token_cache_total counter\n"
	     "fechatter_token_cache_total{result=\"hit\"} %llu\n"
	     "fechatter_token_cache_total{result=\"miss\"} %llu\n",
	     (unsigned long long)th, (unsigned long long)tm);
	if (app->workers)
		outf(&o,
		     "# HELP fechatter_worker_queue Jobs waiting for a worker thread, by lane.\n"
		     "# TYPE fechatter_worker_queue gauge\n"
		     "fechatter_worker_queue{lane=\"hash\"} %d\nfechatter_worker_queue{lane=\"search\"} %d\n",
		     workers_queued(app->workers, APP_LANE_HASH),
		     workers_queued(app->workers, APP_LANE_SEARCH));
	int64_t db = 0, wal = 0;
	store_call(&app->store, sizes, &db, &wal);
	outf(&o,
	     "# HELP fechatter_http_connections_open Open HTTP connections.\n"
	     "# TYPE fechatter_http_connections_open gauge\nfechatter_http_connections_open %lld\n"
	     "# HELP fechatter_db_size_bytes Size of the database file.\n"
	     "# TYPE fechatter_db_size_bytes gauge\nfechatter_db_size_bytes %lld\n"
	     "# HELP fechatter_wal_size_bytes Size of the write-ahead log.\n"
	     "# TYPE fechatter_wal_size_bytes gauge\nfechatter_wal_size_bytes %lld\n"
	     "# HELP fechatter_uptime_seconds Seconds since start.\n"
	     "# TYPE fechatter_uptime_seconds gauge\nfechatter_uptime_seconds %lld\n",
	     (long long)mx->conns, (long long)db, (long long)wal,
	     (long long)((app->now_ms() - app->started_ms) / 1000));
	*len = o.len;
	return o.buf;
}
