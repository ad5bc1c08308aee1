/* http/router: matches a request against the route table. */
#ifndef FE_ROUTER_H
#define FE_ROUTER_H
#include "http/http.h"

/* Finds the route for r->method and r->path, fills r->route, r->route_index
 * and the captures. Returns 0, FE_ENOTFOUND, or FE_EMETHOD when the path
 * exists with other methods. HEAD matches GET routes. */
int router_match(struct req *r);

/* Largest body the matched route accepts. */
int64_t router_body_limit(const struct req *r);

/* Number of routes in the table. */
int router_count(void);

#endif
