/* http/router: segment-by-segment matching of "/a/{id}/b" patterns. */
#include <stdio.h>
#include <string.h>
#include "http/router.h"

/* Matches one pattern; fills captures into r. Returns 1 on a match. */
static int match(const char *pat, const char *path, struct req *r)
{
	if (!strcmp(pat, "*"))
		return strncmp(path, "/api/", 5) && strcmp(path, "/api");
	int ncaps = 0;
	while (*pat && *path) {
		if (*pat != '/' || *path != '/')
			return 0;
		pat++, path++;
		size_t pl = strcspn(pat, "/"), sl = strcspn(path, "/");
		if (*pat == '{') {
			if (!sl || ncaps >= MAX_CAPS || sl >= sizeof r->caps[0].value)
				return 0;
			snprintf(r->caps[ncaps].name, sizeof r->caps[0].name, "%.*s", (int)(pl - 2), pat + 1);
			memcpy(r->caps[ncaps].value, path, sl);
			r->caps[ncaps].value[sl] = 0;
			ncaps++;
		} else if (pl != sl || strncmp(pat, path, pl)) {
			return 0;
		}
		pat += pl, path += sl;
	}
	if (*pat || *path)
		return 0;
	r->ncaps = ncaps;
	return 1;
}

int router_match(struct req *r)
{
	int path_found = 0;
	enum method m = r->method == M_HEAD ? M_GET : r->method;
	for (int i = 0; routes[i].pattern; i++) {
		if (!match(routes[i].pattern, r->path, r))
			continue;
		if (routes[i].method != m) {
			path_found = 1;
			continue;
		}
		r->route = &routes[i];
		r->route_index = i;
		return 0;
	}
	r->ncaps = 0;
	return path_found ? FE_EMETHOD : FE_ENOTFOUND;
}

int64_t router_body_limit(const struct req *r)
{
	/* uploads: the file limit is checked exactly while parsing; allow for
	 * the multipart framing around it here */
	return r->route->upload ? r->app->cfg->upload_limit + 65536 : r->app->cfg->body_limit;
}

int router_count(void)
{
	int n = 0;
	while (routes[n].pattern)
		n++;
	return n;
}
