/* http/h_setup: GET /api/setup, what the web client needs before anyone has
 * signed in: whether the appliance still needs its first account (the
 * owner) and how registration works. Unauthenticated, so it says nothing
 * else and answers from a cached flag (core/auth: auth_needs_owner). */
#include "core/auth.h"
#include "http/handlers.h"
#include "http/jsonio.h"

void h_setup(struct req *r)
{
	struct fe_err e = {0};
	int needs = 0;
	if (auth_needs_owner(r->app, &needs, &e)) {
		resp_err(r, &e);
		return;
	}
	cJSON *d = cJSON_CreateObject();
	cJSON_AddBoolToObject(d, "needs_owner", needs);
	cJSON_AddStringToObject(d, "registration", r->app->cfg->registration_open ? "open" : "invite");
	resp_header(r, "cache-control", "no-store");
	resp_ok(r, 200, d);
}
