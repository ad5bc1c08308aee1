/* tests/unit/test_xalloc: the aborting allocator family (lib/xalloc): the
 * ordinary results, and an allocation that fails (an impossible size, or an
 * address-space limit in a child process) aborts with one log line, for our
 * calls and, once xalloc_cjson_hooks has run, for cJSON's. */
#include <cjson/cJSON.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "testutil.h"
#include "lib/xalloc.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1 /* ASan reports impossible sizes itself and needs its address space */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

static void test_results(void **state)
{
	char *s = xstrdup("hello");
	assert_string_equal(s, "hello");
	char *t = xstrndup("hello", 3);
	assert_string_equal(t, "hel");
	unsigned char *z = xcalloc(64, 4);
	for (int i = 0; i < 256; i++)
		assert_int_equal(z[i], 0);
	memcpy(z, "abc", 4);
	z = xrealloc(z, 1 << 20);
	assert_string_equal((char *)z, "abc");
	void *empty = xmalloc(0); /* never NULL, even for zero bytes */
	assert_non_null(empty);
	free(empty);
	free(z);
	free(t);
	free(s);
}

/* Runs fn in a child with stderr captured into out; returns its wait status. */
static int in_child(void (*fn)(void), char *out, size_t outlen)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		close(p[0]);
		dup2(p[1], 2);
		fn();
		_exit(0);
	}
	close(p[1]);
	size_t n = 0;
	ssize_t k;
	while (n + 1 < outlen && (k = read(p[0], out + n, outlen - 1 - n)) > 0)
		n += (size_t)k;
	out[n] = 0;
	close(p[0]);
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void assert_aborted(int status, const char *out, const char *call)
{
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	assert_non_null(strstr(out, "xalloc: out of memory"));
	assert_non_null(strstr(out, call));
}

static void huge_malloc(void)
{
	volatile size_t n = SIZE_MAX / 2;
	free(xmalloc(n));
}
static void huge_calloc(void)
{
	volatile size_t n = SIZE_MAX / 4;
	free(xcalloc(n, 8));
}
static void huge_realloc(void)
{
	volatile size_t n = SIZE_MAX / 2;
	free(xrealloc(xmalloc(16), n));
}

static void test_failure_aborts(void **state)
{
	if (UNDER_ASAN)
		skip();
	char out[512];
	assert_aborted(in_child(huge_malloc, out, sizeof out), out, "call=malloc");
	assert_aborted(in_child(huge_calloc, out, sizeof out), out, "call=calloc");
	assert_aborted(in_child(huge_realloc, out, sizeof out), out, "call=realloc");
}

/* cJSON asks its allocator for INT_MAX bytes (a print buffer) under a 512 MiB
 * address-space limit: NULL with cJSON's own allocator (exit 0), an abort
 * once the hooks point it at xmalloc. */
static void cjson_big_print(int hooks)
{
	struct rlimit rl = {512u << 20, 512u << 20};
	if (setrlimit(RLIMIT_AS, &rl))
		_exit(4);
	if (hooks)
		xalloc_cjson_hooks();
	cJSON *o = cJSON_CreateObject();
	char *s = cJSON_PrintBuffered(o, INT_MAX, 0);
	_exit(s ? 3 : 0);
}
static void print_plain(void)
{
	cjson_big_print(0);
}
static void print_hooked(void)
{
	cjson_big_print(1);
}

static void test_cjson_hooks(void **state)
{
	if (UNDER_ASAN)
		skip();
	char out[512];
	int status = in_child(print_plain, out, sizeof out);
	assert_true(WIFEXITED(status));
	/* an emulator (qemu-user, make test ARCH=...) does not apply RLIMIT_AS
	 * to the guest: the allocation cannot be made to fail there */
	if (WEXITSTATUS(status) == 3 && getenv("FECHATTER_LAUNCHER") && *getenv("FECHATTER_LAUNCHER"))
		skip();
	assert_int_equal(WEXITSTATUS(status), 0); /* the limit makes the allocation fail */
	assert_aborted(in_child(print_hooked, out, sizeof out), out, "call=malloc");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_results),
	    cmocka_unit_test(test_failure_aborts),
	    cmocka_unit_test(test_cjson_hooks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
