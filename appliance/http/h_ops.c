/* http/h_ops: health, readiness, metrics and the embedded web assets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include "http/handlers.h"
#include "lib/embedded.h"

#define VERSION "0.1.0"

void h_health(struct req *r)
{
	struct app *app = r->app;
	int ping = app->store.ops->ping(app->store.impl), store_ok = ping == 0;
	struct statvfs sv;
	const char *disk = "ok";
	if (statvfs(app->cfg->data, &sv) == 0) {
		double free_bytes = (double)sv.f_bavail * (double)sv.f_frsize;
		if (free_bytes < 16.0 * 1024 * 1024)
			disk = "low";
	} else {
		disk = "unknown";
	}
	const char *status = !store_ok ? "unhealthy" : strcmp(disk, "ok") ? "degraded" : "healthy";
	cJSON *o = cJSON_CreateObject(), *c = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "status", status);
	cJSON_AddNumberToObject(o, "uptime_seconds", (double)((app->now_ms() - app->started_ms) / 1000));
	cJSON_AddStringToObject(o, "version", VERSION);
	cJSON_AddStringToObject(c, "store", store_ok ? "ok" : ping == FE_ECORRUPT ? "corrupt" : "down");
	cJSON_AddStringToObject(c, "disk", disk);
	cJSON_AddItemToObject(o, "components", c);
	char *text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	resp_raw(r, store_ok ? 200 : 503, "application/json; charset=utf-8", text, strlen(text));
}

void h_readiness(struct req *r)
{
	int ok = r->app->store.ops->ping(r->app->store.impl) == 0;
	const char *body = ok ? "{\"status\":\"ready\"}" : "{\"status\":\"not_ready\"}";
	resp_static(r, ok ? 200 : 503, "application/json; charset=utf-8", (const unsigned char *)body, strlen(body));
}

void h_metrics(struct req *r)
{
	size_t len;
	char *text = metrics_render(r->app, &len);
	resp_raw(r, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
}

static const char *mime_of(const char *path)
{
	static const struct { const char *ext, *type; } t[] = {
		{".html", "text/html; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
		{".js", "text/javascript; charset=utf-8"}, {".mjs", "text/javascript; charset=utf-8"},
		{".json", "application/json"}, {".svg", "image/svg+xml"}, {".png", "image/png"},
		{".ico", "image/x-icon"}, {".webmanifest", "application/manifest+json"},
		{".woff2", "font/woff2"}, {".txt", "text/plain; charset=utf-8"},
	};
	const char *dot = strrchr(path, '.');
	for (size_t i = 0; dot && i < sizeof t / sizeof t[0]; i++)
		if (!strcmp(dot, t[i].ext))
			return t[i].type;
	return "application/octet-stream";
}

/* 1 for a path the web client routes itself (/login, /chat/42): no file
 * extension in its last segment, and outside the server's own prefixes. */
static int is_client_route(const char *p)
{
	static const char *const reserved[] = {"/api", "/ws", "/events", "/health", "/metrics"};
	for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++) {
		size_t n = strlen(reserved[i]);
		if (!strncmp(p, reserved[i], n) && (p[n] == 0 || p[n] == '/'))
			return 0;
	}
	return !strchr(strrchr(p, '/'), '.');
}

void h_static(struct req *r)
{
	char full[600];
	const char *p = r->path;
	if (strstr(p, "..") || strchr(p, '\\')) {
		resp_fail(r, FE_ENOTFOUND, NULL, NULL, "no such file");
		return;
	}
	snprintf(full, sizeof full, "web%s%s", p, p[strlen(p) - 1] == '/' ? "index.html" : "");
	const struct embedded_file *f = embedded_find(full);
	if (!f && is_client_route(p))
		f = embedded_find("web/index.html");
	if (!f) {
		resp_fail(r, FE_ENOTFOUND, NULL, NULL, "no such file");
		return;
	}
	char inm[128];
	resp_header(r, "etag", f->etag);
	resp_header(r, "cache-control", "no-cache");
	if (!req_header(r, "if-none-match:", inm, sizeof inm) && strstr(inm, f->etag)) {
		resp_static(r, 304, mime_of(f->path), NULL, 0);
		return;
	}
	resp_static(r, 200, mime_of(f->path), f->data, f->len);
}
