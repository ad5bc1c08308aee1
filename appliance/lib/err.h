/* lib/err: the project's error codes and the error detail a use case fills.
 * Functions return 0 or a negative FE_E* code; err_http_status() maps a code
 * to its HTTP status, the detail carries the API error code string. */
#ifndef FE_ERR_H
#define FE_ERR_H

enum {
	FE_OK = 0,
	FE_EINVAL = -1,     /* 400 VALIDATION_ERROR */
	FE_EAUTH = -2,      /* 401 UNAUTHORIZED */
	FE_EFORBIDDEN = -3, /* 403 FORBIDDEN */
	FE_ENOTFOUND = -4,  /* 404 NOT_FOUND */
	FE_ECONFLICT = -5,  /* 409 CONFLICT */
	FE_ETOOBIG = -6,    /* 413 PAYLOAD_TOO_LARGE */
	FE_EMEDIA = -7,     /* 415 UNSUPPORTED_MEDIA_TYPE */
	FE_EUNPROC = -8,    /* 422 UNPROCESSABLE */
	FE_ERATE = -9,      /* 429 RATE_LIMITED */
	FE_EUNAVAIL = -10,  /* 503 SERVICE_UNAVAILABLE */
	FE_ENOSPC = -11,    /* 507 DISK_FULL */
	FE_EINTERNAL = -12, /* 500 INTERNAL_ERROR */
	FE_EMETHOD = -13,   /* 405 METHOD_NOT_ALLOWED */
	FE_ELENGTH = -14,   /* 411 LENGTH_REQUIRED */
	FE_ERANGE = -15,    /* 416 RANGE_NOT_SATISFIABLE */
	FE_ECORRUPT = -16,  /* 503 DATABASE_CORRUPT: the database file is damaged */
	FE_EGONE = -17,     /* 410 GONE: a single-use link already used or expired */
};

/* What went wrong, for the client: code string (static), message, field. */
struct fe_err {
	int rc;
	const char *code;  /* static string, e.g. "USER_EXISTS"; NULL = default for rc */
	const char *field; /* static string or NULL */
	char message[160];
	int retry_after; /* seconds, for FE_ERATE */
};

/* Fills e (when not NULL) and returns rc, so callers can write
 * `return err_set(e, FE_EINVAL, "VALIDATION_ERROR", "email", "email is required");` */
int err_set(struct fe_err *e, int rc, const char *code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* The client-facing detail of a store failure: NOT_FOUND, DISK_FULL,
 * DATABASE_CORRUPT, or a database error. Returns rc. */
int err_store(struct fe_err *e, int rc);

/* HTTP status for an FE_E* code (500 for unknown codes). */
int err_http_status(int rc);

/* Default API code string for an FE_E* code. Static. */
const char *err_default_code(int rc);

#endif
