/* http/router: segment-by-segment matching of "/a/{id}/b" patterns. */
#include <stdio.h>
#include <string.h>
#include "http/router.h"

/* Matches one pattern; fills caps and *ncaps_out. Returns 1 on a match. */
static int match(const char *pat, const char *path, struct route_cap *caps, int *ncaps_out)
{
	if (!strcmp(pat, "*")) {
		*ncaps_out = 0;
		return strncmp(path, "/api/", 5) && strcmp(path, "/api");
	}
	int ncaps = 0;
	while (*pat && *path) {
		if (*pat != '/' || *path != '/')
			return 0;
		pat++, path++;
		size_t pl = strcspn(pat, "/"), sl = strcspn(path, "/");
		if (*pat == '{') {
			if (!sl || ncaps >= MAX_CAPS || sl >= sizeof caps[0].value)
				return 0;
			snprintf(caps[ncaps].name, sizeof caps[0].name, "%.*s", (int)(pl - 2), pat + 1);
			memcpy(caps[ncaps].value, path, sl);
			caps[ncaps].value[sl] = 0;
			ncaps++;
		} else if (pl != sl || strncmp(pat, path, pl)) {
			return 0;
		}
		pat += pl, path += sl;
	}
	if (*pat || *path)
		return 0;
	*ncaps_out = ncaps;
	return 1;
}

int router_match_path(enum method method, const char *path, struct route_cap caps[MAX_CAPS], int *ncaps,
                      int *route_index)
{
	int path_found = 0;
	enum method m = method == M_HEAD ? M_GET : method;
	for (int i = 0; routes[i].pattern; i++) {
		if (!match(routes[i].pattern, path, caps, ncaps))
			continue;
		if (routes[i].method != m) {
			path_found = 1;
			continue;
		}
		*route_index = i;
		return 0;
	}
	*ncaps = 0;
	return path_found ? FE_EMETHOD : FE_ENOTFOUND;
}

/* struct req keeps its captures in an array of the same shape */
_Static_assert(sizeof((struct req *)0)->caps[0].name == sizeof((struct route_cap *)0)->name,
               "capture name size");
_Static_assert(sizeof((struct req *)0)->caps[0].value == sizeof((struct route_cap *)0)->value,
               "capture value size");

int router_match(struct req *r)
{
	struct route_cap caps[MAX_CAPS];
	int ncaps = 0, i = 0;
	int rc = router_match_path(r->method, r->path, caps, &ncaps, &i);
	for (int k = 0; k < ncaps; k++) {
		memcpy(r->caps[k].name, caps[k].name, sizeof caps[k].name);
		memcpy(r->caps[k].value, caps[k].value, sizeof caps[k].value);
	}
	r->ncaps = ncaps;
	if (rc == 0) {
		r->route = &routes[i];
		r->route_index = i;
	}
	return rc;
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
