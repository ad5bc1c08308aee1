/* tests/fuzz/fuzz_json_body: http/jsonio json_body_parse() on arbitrary
 * bodies. The first input byte picks the Content-Type (low 3 bits index the
 * table below), the rest is the body. Checked: an accepted body is UTF-8
 * without a raw NUL or a \u0000 escape and gives an object or array whose
 * printed form parses back to the same tree; a refusal sets the error with
 * its code and leaves *out NULL; the verdict follows the media type rule. */
#include <float.h>
#include <math.h>
#include <strings.h>
#include "fuzz.h"
#include "http/jsonio.h"
#include "lib/utf8.h"

static const char *const types[8] = {
    "application/json",     "application/json; charset=utf-8",
    "APPLICATION/JSON",     NULL,
    "text/plain",           "application/jsonx",
    "application/json\t;x", "application/",
};

/* the media type rule of the contract, written independently */
static int json_type(const char *ct)
{
	if (!ct || strlen(ct) < 16 || strncasecmp(ct, "application/json", 16))
		return 0;
	return strchr("; \t", ct[16]) != NULL; /* also the terminating NUL */
}

/* 1 when a number of the tree is not finite (cJSON prints those as null) */
static int has_nonfinite(const cJSON *j)
{
	for (; j; j = j->next) {
		if (cJSON_IsNumber(j) && !isfinite(j->valuedouble))
			return 1;
		if (has_nonfinite(j->child))
			return 1;
	}
	return 0;
}

/* cJSON prints a number with 15 digits when that reads back within one
 * epsilon (its compare_double), so printing may move the last bit */
static int near(double a, double b)
{
	double m = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
	return a == b || fabs(a - b) <= m * DBL_EPSILON;
}

/* ordered structural equality (cJSON_Compare looks object members up by
 * name, so duplicate names make a tree unequal to itself) */
static int same(const cJSON *a, const cJSON *b)
{
	for (; a && b; a = a->next, b = b->next) {
		if ((a->type & 0xff) != (b->type & 0xff))
			return 0;
		if ((a->string || b->string) && (!a->string || !b->string || strcmp(a->string, b->string)))
			return 0;
		if (cJSON_IsString(a) && strcmp(a->valuestring, b->valuestring))
			return 0;
		if (cJSON_IsNumber(a) && !near(a->valuedouble, b->valuedouble))
			return 0;
		if (!same(a->child, b->child))
			return 0;
	}
	return !a && !b;
}

/* 1 when an object of the tree has two members of the same name */
static int has_dup_names(const cJSON *j)
{
	for (; j; j = j->next) {
		if (cJSON_IsObject(j))
			for (const cJSON *a = j->child; a; a = a->next)
				for (const cJSON *b = a->next; b; b = b->next)
					if (!strcmp(a->string, b->string))
						return 1;
		if (has_dup_names(j->child))
			return 1;
	}
	return 0;
}

/* every key and string of the tree is valid UTF-8 */
static int strings_utf8(const cJSON *j)
{
	for (; j; j = j->next) {
		if (j->string && !utf8_valid(j->string, strlen(j->string)))
			return 0;
		if (cJSON_IsString(j) && !utf8_valid(j->valuestring, strlen(j->valuestring)))
			return 0;
		if (!strings_utf8(j->child))
			return 0;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *ct = types[0];
	if (size) {
		ct = types[data[0] & 7];
		data++;
		size--;
	}
	/* an exact-size copy, so that reads past the body are seen */
	char *body = malloc(size ? size : 1);
	if (!body)
		abort();
	if (size)
		memcpy(body, data, size);

	cJSON *j = (cJSON *)1;
	struct fe_err e = {0};
	int rc = json_body_parse(body, size, ct, &j, &e);
	if (!size) {
		CHECK(rc == 0 && cJSON_IsObject(j) && !j->child); /* empty body: {} */
	} else if (!json_type(ct)) {
		CHECK(rc == FE_EMEDIA && e.rc == FE_EMEDIA && !strcmp(e.code, "UNSUPPORTED_MEDIA_TYPE"));
	} else if (memchr(body, 0, size) || !utf8_valid(body, size) || fuzz_has_nul_escape(body, size)) {
		CHECK(rc == FE_EINVAL); /* NUL characters and bad UTF-8 are refused */
	}
	if (rc) {
		CHECK(rc == FE_EINVAL || rc == FE_EMEDIA);
		CHECK(j == NULL && e.rc == rc && e.code && e.message[0]);
		if (rc == FE_EINVAL)
			CHECK(!strcmp(e.code, "INVALID_JSON"));
	} else {
		CHECK(j && (cJSON_IsObject(j) || cJSON_IsArray(j)));
		CHECK(!j->next && !j->prev && !j->string);
		CHECK(strings_utf8(j));
		if (size) {
			CHECK(!memchr(body, 0, size) && utf8_valid(body, size) &&
			      !fuzz_has_nul_escape(body, size));
			/* the same parse of a NUL-terminated copy gives the same tree */
			char *s = fuzz_str(data, size);
			cJSON *k = cJSON_Parse(s);
			CHECK(k && same(j, k));
			cJSON_Delete(k);
			free(s);
		}
		/* printed and parsed again: the same tree (non-finite numbers
		 * print as null, so they only have to come back as null) */
		char *out = cJSON_PrintUnformatted(j);
		CHECK(out && utf8_valid(out, strlen(out)));
		cJSON *back = cJSON_Parse(out);
		CHECK(back);
		if (!has_nonfinite(j)) {
			CHECK(same(j, back));
			if (!has_dup_names(j))
				CHECK(cJSON_Compare(j, back, 1));
		}
		/* the printed form is itself an accepted body, giving the same tree */
		cJSON *again = NULL;
		struct fe_err e2 = {0};
		CHECK(json_body_parse(out, strlen(out), "application/json", &again, &e2) == 0);
		CHECK(same(back, again));
		cJSON_Delete(again);
		cJSON_Delete(back);
		free(out);
	}
	cJSON_Delete(j == (cJSON *)1 ? NULL : j);
	free(body);
	return 0;
}
