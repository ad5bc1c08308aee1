/* lib/err: error code table. */
#include <stdarg.h>
#include <stdio.h>
#include "lib/err.h"

static const struct {
	int rc, status;
	const char *code;
} table[] = {
    {FE_EINVAL, 400, "VALIDATION_ERROR"},
    {FE_EAUTH, 401, "UNAUTHORIZED"},
    {FE_EFORBIDDEN, 403, "FORBIDDEN"},
    {FE_ENOTFOUND, 404, "NOT_FOUND"},
    {FE_EMETHOD, 405, "METHOD_NOT_ALLOWED"},
    {FE_ECONFLICT, 409, "CONFLICT"},
    {FE_ETOOBIG, 413, "PAYLOAD_TOO_LARGE"},
    {FE_EMEDIA, 415, "UNSUPPORTED_MEDIA_TYPE"},
    {FE_EUNPROC, 422, "UNPROCESSABLE"},
    {FE_ERATE, 429, "RATE_LIMITED"},
    {FE_EUNAVAIL, 503, "SERVICE_UNAVAILABLE"},
    {FE_ENOSPC, 507, "DISK_FULL"},
    {FE_EINTERNAL, 500, "INTERNAL_ERROR"},
    {FE_ELENGTH, 411, "LENGTH_REQUIRED"},
    {FE_ERANGE, 416, "RANGE_NOT_SATISFIABLE"},
    {FE_ECORRUPT, 503, "DATABASE_CORRUPT"},
    {FE_EGONE, 410, "GONE"},
};

int err_set(struct fe_err *e, int rc, const char *code, const char *field, const char *fmt, ...)
{
	if (!e)
		return rc;
	e->rc = rc;
	e->code = code;
	e->field = field;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof e->message, fmt, ap);
	va_end(ap);
	return rc;
}

int err_store(struct fe_err *e, int rc)
{
	if (rc == FE_ENOTFOUND)
		return err_set(e, rc, "NOT_FOUND", NULL, "not found");
	if (rc == FE_ENOSPC)
		return err_set(e, rc, "DISK_FULL", NULL, "the disk is full");
	if (rc == FE_ECORRUPT)
		return err_set(e, rc, "DATABASE_CORRUPT", NULL,
		               "the database file is damaged; the operator must check and restore it");
	return err_set(e, rc, NULL, NULL, "the database cannot be written");
}

int err_http_status(int rc)
{
	for (unsigned i = 0; i < sizeof table / sizeof table[0]; i++)
		if (table[i].rc == rc)
			return table[i].status;
	return 500;
}

const char *err_default_code(int rc)
{
	for (unsigned i = 0; i < sizeof table / sizeof table[0]; i++)
		if (table[i].rc == rc)
			return table[i].code;
	return "INTERNAL_ERROR";
}
