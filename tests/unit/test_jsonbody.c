/* tests/unit/test_jsonbody: the request body check (http/jsonio
 * json_body_parse): media type, UTF-8, NUL characters raw or escaped,
 * object or array, trailing garbage. */
#include <string.h>
#include "testutil.h"
#include "http/jsonio.h"

#define CT "application/json"

/* Parses s (length n) and returns the return code; *code gets the API code. */
static int parse_n(const char *s, size_t n, const char *ct, const char **code, cJSON **out)
{
	struct fe_err e = {0};
	cJSON *j = NULL;
	int rc = json_body_parse(s, n, ct, &j, &e);
	*code = rc ? e.code : NULL;
	if (rc)
		assert_null(j);
	else
		assert_non_null(j);
	if (out)
		*out = j;
	else
		cJSON_Delete(j);
	return rc;
}

static int parse(const char *s, const char **code)
{
	return parse_n(s, strlen(s), CT, code, NULL);
}

static void test_accepts_objects_and_arrays(void **state)
{
	const char *code;
	cJSON *j;
	assert_int_equal(parse_n("{\"a\":\"b\"} \r\n\t", 13, CT, &code, &j), 0);
	assert_string_equal(cJSON_GetObjectItem(j, "a")->valuestring, "b");
	cJSON_Delete(j);
	assert_int_equal(parse("[1,2]", &code), 0);
	/* empty body: an empty object, whatever the type */
	assert_int_equal(parse_n("", 0, NULL, &code, &j), 0);
	assert_true(cJSON_IsObject(j) && !j->child);
	cJSON_Delete(j);
}

static void test_media_type(void **state)
{
	const char *code;
	assert_int_equal(parse_n("{}", 2, "application/json; charset=utf-8", &code, NULL), 0);
	assert_int_equal(parse_n("{}", 2, "Application/JSON", &code, NULL), 0);
	assert_int_equal(parse_n("{}", 2, "text/plain", &code, NULL), FE_EMEDIA);
	assert_string_equal(code, "UNSUPPORTED_MEDIA_TYPE");
	assert_int_equal(parse_n("{}", 2, "application/jsonp", &code, NULL), FE_EMEDIA);
	assert_int_equal(parse_n("{}", 2, NULL, &code, NULL), FE_EMEDIA);
	assert_int_equal(parse_n("{}", 2, "", &code, NULL), FE_EMEDIA);
}

static void test_refuses_malformed(void **state)
{
	const char *code;
	const char *bad[] = {"{\"a\":", "not json", "{\"a\":1} x", "\"s\"", "42", "null", "{'a':1}", "{}{}"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(parse(bad[i], &code), FE_EINVAL);
		assert_string_equal(code, "INVALID_JSON");
	}
	assert_int_equal(parse("{\"a\":\"\xff\"}", &code), FE_EINVAL); /* not UTF-8 */
}

static void test_raw_nul(void **state)
{
	const char *code;
	static const char in_string[] = "{\"content\":\"ab\0cd\"}";
	assert_int_equal(parse_n(in_string, sizeof in_string - 1, CT, &code, NULL), FE_EINVAL);
	assert_string_equal(code, "INVALID_JSON");
	static const char outside[] = "{\"a\":1}\0";
	assert_int_equal(parse_n(outside, sizeof outside - 1, CT, &code, NULL), FE_EINVAL);
	static const char first[] = "\0{}";
	assert_int_equal(parse_n(first, sizeof first - 1, CT, &code, NULL), FE_EINVAL);
}

static void test_escaped_nul(void **state)
{
	const char *code;
	assert_int_equal(parse("{\"content\":\"ab\\u0000cd\"}", &code), FE_EINVAL);
	assert_string_equal(code, "INVALID_JSON");
	assert_int_equal(parse("{\"p\\u0000\":\"x\"}", &code), FE_EINVAL); /* in a key too */
	assert_int_equal(parse("[\"\\\\\\u0000\"]", &code), FE_EINVAL);    /* \\ then \u0000 */
}

static void test_escaped_backslash_is_not_nul(void **state)
{
	const char *code;
	cJSON *j;
	/* the JSON text "a\\u0000b": a backslash, then the letters u0000 */
	const char *s = "{\"content\":\"a\\\\u0000b\"}";
	assert_int_equal(parse_n(s, strlen(s), CT, &code, &j), 0);
	assert_string_equal(cJSON_GetObjectItem(j, "content")->valuestring, "a\\u0000b");
	cJSON_Delete(j);
	/* other escapes and a \u0000 lookalike outside any string are not NULs */
	assert_int_equal(parse("{\"c\":\"\\\"u0000\\u0041\"}", &code), 0);
	assert_int_equal(parse("{\"c\":\"\\u00001\"}", &code), FE_EINVAL);
	assert_int_equal(parse("{\"c\":\"\\u0001\"}", &code), 0);
}

/* A raw NUL right after a backslash is a NUL too (json_has_nul stepped over
 * the escaped byte without looking at it; found by fuzz_wsop, whose frames
 * may carry bytes after the JSON value). */
static void test_has_nul_after_backslash(void **state)
{
	const char s[] = "{\"c\":\"a\\\0\"}";
	assert_int_equal(json_has_nul(s, sizeof s - 1), 1);
	assert_int_equal(json_has_nul("{\"c\":\"a\\\\\"}", 10), 0);
	const char *code;
	assert_int_equal(parse_n(s, sizeof s - 1, CT, &code, NULL), FE_EINVAL);
	assert_string_equal(code, "INVALID_JSON");
}

static void test_not_nul_terminated(void **state)
{
	/* the length counts, not a terminator: "{}x" cut at 2 is fine */
	const char *code;
	assert_int_equal(parse_n("{}x", 2, CT, &code, NULL), 0);
	assert_int_equal(parse_n("{\"a\":1}", 6, CT, &code, NULL), FE_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accepts_objects_and_arrays),
	    cmocka_unit_test(test_media_type),
	    cmocka_unit_test(test_refuses_malformed),
	    cmocka_unit_test(test_raw_nul),
	    cmocka_unit_test(test_escaped_nul),
	    cmocka_unit_test(test_escaped_backslash_is_not_nul),
	    cmocka_unit_test(test_has_nul_after_backslash),
	    cmocka_unit_test(test_not_nul_terminated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
