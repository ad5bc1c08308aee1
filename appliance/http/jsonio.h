/* http/jsonio: reading typed fields from request JSON with precise errors,
 * and rendering domain records as the API's JSON objects. */
#ifndef FE_JSONIO_H
#define FE_JSONIO_H
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/err.h"
#include "lib/utf8.h" /* json_has_nul */
#include "ports/model.h"

/* Parses a request body as JSON, without libwebsockets (so a fuzzer can call
 * it): content_type (the Content-Type header, may be NULL) must be
 * application/json, parameters allowed; the body must be UTF-8 without NUL
 * characters, neither raw nor written as a \u0000 escape (the text \\u0000,
 * an escaped backslash then "u0000", is fine), and one JSON object or array
 * with nothing but white space after it. An empty body is an empty object.
 * Returns 0 and *out (owned, free with cJSON_Delete), or FE_EMEDIA
 * (UNSUPPORTED_MEDIA_TYPE) or FE_EINVAL (INVALID_JSON) with e filled and
 * *out NULL. body need not be NUL-terminated. */
int json_body_parse(const char *body, size_t len, const char *content_type, cJSON **out, struct fe_err *e);

/* The success envelope of docs/API.md, {"success":true,"data":data
 * [,"meta":meta]}, as one compact JSON text. Takes ownership of data (NULL:
 * {}) and meta (NULL: no meta). Returns owned, free with free(). */
char *json_ok_text(cJSON *data, cJSON *meta);

/* The error envelope of docs/API.md, {"success":false,"error":{code,
 * message[,field]}}, as one compact JSON text. Returns owned, free with
 * free(); field may be NULL. */
char *json_error_text(const char *code, const char *message, const char *field);

/* Reads string field name of o into *out (borrowed from o, trimmed of
 * surrounding white space in place). Absent or null: *out = NULL, and an
 * error when required. Wrong type: FE_EINVAL naming the field. */
int jstr(cJSON *o, const char *name, int required, const char **out, struct fe_err *e);

/* Reads an integer field in [min, max]; absent/null leaves *out unchanged
 * (error when required). */
int jint(cJSON *o, const char *name, int required, int64_t min, int64_t max, int64_t *out, struct fe_err *e);

/* Adds an RFC 3339 time (ms since epoch) or null when ms is 0. */
void jtime(cJSON *o, const char *name, int64_t ms);

/* The user object; with_profile adds title, department, bio, timezone, language. */
cJSON *json_user(const struct user *u, int with_profile);
cJSON *json_workspace(const struct workspace *w);
cJSON *json_invite(const struct invite *i);
cJSON *json_file(const struct file_rec *f);
cJSON *json_reactions(const struct reaction_sum *r, size_t n);
cJSON *json_message(const struct message *m);
/* Chat fields common to every chat rendering. */
cJSON *json_chat(const struct chat *c);
cJSON *json_member(const struct chat_member *m);
/* Reads an array of at most max positive integer ids into out. */
int jids(cJSON *arr, const char *field, size_t max, int64_t *out, size_t *n, struct fe_err *e);

#endif
