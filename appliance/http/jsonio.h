/* http/jsonio: reading typed fields from request JSON with precise errors,
 * and rendering domain records as the API's JSON objects. */
#ifndef FE_JSONIO_H
#define FE_JSONIO_H
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/err.h"
#include "ports/model.h"

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
cJSON *user_json(const struct user *u, int with_profile);
cJSON *workspace_json(const struct workspace *w);
cJSON *invite_json(const struct invite *i);
cJSON *file_json(const struct file_rec *f);
cJSON *reactions_json(const struct reaction_sum *r, size_t n);
cJSON *message_json(const struct message *m);
/* Chat fields common to every chat rendering. */
cJSON *chat_json(const struct chat *c);
cJSON *member_json(const struct chat_member *m);
/* Reads an array of at most max positive integer ids into out. */
int jids(cJSON *arr, const char *field, size_t max, int64_t *out, size_t *n, struct fe_err *e);

#endif
