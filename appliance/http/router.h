/* http/router: matches a request against the route table. */
#ifndef FE_ROUTER_H
#define FE_ROUTER_H
#include "http/http.h"

/* One "{name}" segment of a matched path. */
struct route_cap {
	char name[32];
	char value[256];
};

/* The pure matcher (no request, no libwebsockets): finds the route for
 * method m and path (NUL-terminated). On a match fills *route_index, caps
 * (MAX_CAPS entries) and *ncaps; capture values are non-empty and hold no
 * '/'; a segment too long for a capture value does not match.
 * Returns 0, FE_ENOTFOUND, or FE_EMETHOD when the path exists with other
 * methods (then *ncaps is 0). HEAD matches GET routes. */
int router_match_path(enum method m, const char *path, struct route_cap caps[MAX_CAPS], int *ncaps,
                      int *route_index);

/* router_match_path for r->method and r->path; fills r->route,
 * r->route_index and the captures. Same results. */
int router_match(struct req *r);

/* Largest body the matched route accepts. */
int64_t router_body_limit(const struct req *r);

/* Number of routes in the table. */
int router_count(void);

#endif
