/* tests/unit/test_config: settings from defaults, a config file, FECHATTER_*
 * environment variables and flags (lib/config), with their precedence and
 * range checks. config_load prints its refusals to stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "testutil.h"
#include "lib/config.h"
#include "lib/log.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof(a[0])))

static const char *env_names[] = {
    "FECHATTER_BIND",
    "FECHATTER_PORT",
    "FECHATTER_TLS_PORT",
    "FECHATTER_CERT",
    "FECHATTER_KEY",
    "FECHATTER_DATA",
    "FECHATTER_DURABILITY",
    "FECHATTER_UPLOAD_LIMIT",
    "FECHATTER_BODY_LIMIT",
    "FECHATTER_LOG_LEVEL",
    "FECHATTER_REGISTRATION",
    "FECHATTER_LOGIN_RATE_IP",
    "FECHATTER_LOGIN_RATE_ACCOUNT",
    "FECHATTER_WORKERS",
    "FECHATTER_CONFIG",
    "FECHATTER_TRUST_PROXY",
};

static char conf_path[64];

static int setup(void **state)
{
	for (size_t i = 0; i < sizeof env_names / sizeof env_names[0]; i++)
		unsetenv(env_names[i]);
	conf_path[0] = 0;
	return 0;
}

static int teardown(void **state)
{
	if (conf_path[0])
		unlink(conf_path);
	return setup(state);
}

/* Writes text to a fresh temp file; its path is in conf_path. */
static const char *write_conf(const char *text)
{
	snprintf(conf_path, sizeof conf_path, "/tmp/fe_conf_XXXXXX");
	int fd = mkstemp(conf_path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return conf_path;
}

static void test_defaults(void **state)
{
	struct config c;
	memset(&c, 0x5a, sizeof c);
	char *argv[] = {"fechatter"};
	assert_int_equal(config_load(&c, ARGC(argv), argv), 0);
	assert_string_equal(c.command, "serve");
	assert_string_equal(c.bind, "127.0.0.1");
	assert_int_equal(c.port, 8080);
	assert_int_equal(c.tls_port, 0);
	assert_string_equal(c.cert, "");
	assert_string_equal(c.key, "");
	assert_string_equal(c.data, "./data");
	assert_int_equal(c.durability_full, 1);
	assert_int_equal(c.upload_limit, 10485760);
	assert_int_equal(c.body_limit, 65536);
	assert_int_equal(c.log_level, LOG_INFO);
	assert_int_equal(c.registration_open, 0);
	assert_int_equal(c.login_rate_ip, 20);
	assert_int_equal(c.login_rate_account, 10);
	assert_int_equal(c.workers, 2);
	assert_string_equal(c.config_file, "");
	assert_int_equal(c.check_only, 0);
}

static void test_flags(void **state)
{
	struct config c;
	char *argv[] = {"fechatter",
	                "--bind",
	                "0.0.0.0",
	                "--port",
	                "9000",
	                "--tls-port",
	                "9443",
	                "--data",
	                "/tmp/fe-data",
	                "--durability",
	                "normal",
	                "--upload-limit",
	                "2048",
	                "--body-limit",
	                "4096",
	                "--log-level",
	                "debug",
	                "--registration",
	                "open",
	                "--login-rate-ip",
	                "7",
	                "--login-rate-account",
	                "3",
	                "--workers",
	                "4",
	                "--cert",
	                "/tmp/c.pem",
	                "--key",
	                "/tmp/k.pem"};
	assert_int_equal(config_load(&c, ARGC(argv), argv), 0);
	assert_string_equal(c.bind, "0.0.0.0");
	assert_int_equal(c.port, 9000);
	assert_int_equal(c.tls_port, 9443);
	assert_string_equal(c.data, "/tmp/fe-data");
	assert_int_equal(c.durability_full, 0);
	assert_int_equal(c.upload_limit, 2048);
	assert_int_equal(c.body_limit, 4096);
	assert_int_equal(c.log_level, LOG_DEBUG);
	assert_int_equal(c.registration_open, 1);
	assert_int_equal(c.login_rate_ip, 7);
	assert_int_equal(c.login_rate_account, 3);
	assert_int_equal(c.workers, 4);
	assert_string_equal(c.cert, "/tmp/c.pem");
	assert_string_equal(c.key, "/tmp/k.pem");
}

static void test_equals_form(void **state)
{
	struct config c;
	char *argv[] = {"fechatter", "--port=9001", "--data=/srv/x", "--registration=open",
	                "--log-level=warn"};
	assert_int_equal(config_load(&c, ARGC(argv), argv), 0);
	assert_int_equal(c.port, 9001);
	assert_string_equal(c.data, "/srv/x");
	assert_int_equal(c.registration_open, 1);
	assert_int_equal(c.log_level, LOG_WARN);
}

static void test_last_flag_wins(void **state)
{
	struct config c;
	char *argv[] = {"fechatter", "--port", "9001", "--port=9002"};
	assert_int_equal(config_load(&c, ARGC(argv), argv), 0);
	assert_int_equal(c.port, 9002);
}

static void test_file(void **state)
{
	struct config c;
	const char *p = write_conf("# a comment\n"
	                           "\n"
	                           "port 7000\n"
	                           "   bind   10.1.2.3   \n"
	                           "\t# indented comment\n"
	                           "registration open\n"
	                           "workers\t3\n"
	                           "durability normal\n"
	                           "log-level error\n");
	char *argv[] = {"fechatter", "--config", (char *)p};
	assert_int_equal(config_load(&c, ARGC(argv), argv), 0);
	assert_int_equal(c.port, 7000);
	assert_string_equal(c.bind, "10.1.2.3");
	assert_int_equal(c.registration_open, 1);
	assert_int_equal(c.workers, 3);
	assert_int_equal(c.durability_full, 0);
	assert_int_equal(c.log_level, LOG_ERR);
	assert_string_equal(c.config_file, p);
	/* untouched keys keep their defaults */
	assert_int_equal(c.login_rate_ip, 20);
	assert_string_equal(c.data, "./data");
}

static void test_env_over_file_flag_over_env(void **state)
{
	struct config c;
	const char *p = write_conf("port 7000\nworkers 3\n");
	char *argv[] = {"fechatter", "--config", (char *)p};
	setenv("FECHATTER_PORT", "7100", 1);
	assert_int_equal(config_load(&c, ARGC(argv), argv), 0);
	assert_int_equal(c.port, 7100);
	assert_int_equal(c.workers, 3);

	char *argv2[] = {"fechatter", "--config", (char *)p, "--port", "7200"};
	assert_int_equal(config_load(&c, ARGC(argv2), argv2), 0);
	assert_int_equal(c.port, 7200);

	/* environment names use underscores for dashes */
	setenv("FECHATTER_LOGIN_RATE_IP", "33", 1);
	setenv("FECHATTER_REGISTRATION", "open", 1);
	assert_int_equal(config_load(&c, ARGC(argv), argv), 0);
	assert_int_equal(c.login_rate_ip, 33);
	assert_int_equal(c.registration_open, 1);
}

static void test_config_from_env(void **state)
{
	struct config c;
	const char *p = write_conf("port 7300\n");
	setenv("FECHATTER_CONFIG", p, 1);
	char *argv[] = {"fechatter"};
	assert_int_equal(config_load(&c, ARGC(argv), argv), 0);
	assert_int_equal(c.port, 7300);
}

static void test_file_errors(void **state)
{
	struct config c;
	const char *p = write_conf("port 7000\nno-such-key 1\n");
	char *argv[] = {"fechatter", "--config", (char *)p};
	assert_int_equal(config_load(&c, ARGC(argv), argv), -1);
	unlink(conf_path);

	p = write_conf("port 99999\n");
	char *argv2[] = {"fechatter", "--config", (char *)p};
	assert_int_equal(config_load(&c, ARGC(argv2), argv2), -1);
	unlink(conf_path);

	/* the file cannot name another file */
	p = write_conf("config /etc/other\n");
	char *argv3[] = {"fechatter", "--config", (char *)p};
	assert_int_equal(config_load(&c, ARGC(argv3), argv3), -1);
	unlink(conf_path);

	char *argv4[] = {"fechatter", "--config", "/nonexistent/fechatter.conf"};
	assert_int_equal(config_load(&c, ARGC(argv4), argv4), -1);
}

static void test_unknown_flag(void **state)
{
	struct config c;
	char *argv[] = {"fechatter", "--no-such-flag", "1"};
	assert_int_equal(config_load(&c, ARGC(argv), argv), -1);
	char *argv2[] = {"fechatter", "--port=9000", "--colour=red"};
	assert_int_equal(config_load(&c, ARGC(argv2), argv2), -1);
	char *argv3[] = {"fechatter", "--port", "9000", "stray"};
	assert_int_equal(config_load(&c, ARGC(argv3), argv3), -1);
	char *argv4[] = {"fechatter", "--port"}; /* no value */
	assert_int_equal(config_load(&c, ARGC(argv4), argv4), -1);
}

static void test_port_range(void **state)
{
	struct config c;
	const char *bad[] = {"0", "70000", "abc", "", "80x", "-1", "65536"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *argv[] = {"fechatter", "--port", (char *)bad[i]};
		assert_int_equal(config_load(&c, ARGC(argv), argv), -1);
	}
	char *ok1[] = {"fechatter", "--port", "1"};
	assert_int_equal(config_load(&c, ARGC(ok1), ok1), 0);
	assert_int_equal(c.port, 1);
	char *ok2[] = {"fechatter", "--port", "65535"};
	assert_int_equal(config_load(&c, ARGC(ok2), ok2), 0);
	assert_int_equal(c.port, 65535);

	/* the environment is range-checked too */
	char *argv[] = {"fechatter"};
	setenv("FECHATTER_PORT", "abc", 1);
	assert_int_equal(config_load(&c, ARGC(argv), argv), -1);
	setenv("FECHATTER_PORT", "70000", 1);
	assert_int_equal(config_load(&c, ARGC(argv), argv), -1);
}

static void test_other_ranges(void **state)
{
	struct config c;
	char *a1[] = {"fechatter", "--workers", "0"};
	assert_int_equal(config_load(&c, ARGC(a1), a1), -1);
	char *a2[] = {"fechatter", "--workers", "65"};
	assert_int_equal(config_load(&c, ARGC(a2), a2), -1);
	char *a3[] = {"fechatter", "--body-limit", "1023"};
	assert_int_equal(config_load(&c, ARGC(a3), a3), -1);
	char *a4[] = {"fechatter", "--upload-limit", "0"};
	assert_int_equal(config_load(&c, ARGC(a4), a4), -1);
	char *a5[] = {"fechatter", "--upload-limit", "4294967296"};
	assert_int_equal(config_load(&c, ARGC(a5), a5), 0);
	assert_int_equal(c.upload_limit, 4294967296LL);
	char *a6[] = {"fechatter", "--upload-limit", "4294967297"};
	assert_int_equal(config_load(&c, ARGC(a6), a6), -1);
	char *a7[] = {"fechatter", "--login-rate-ip", "0"};
	assert_int_equal(config_load(&c, ARGC(a7), a7), -1);
	char *a8[] = {"fechatter", "--data", ""};
	assert_int_equal(config_load(&c, ARGC(a8), a8), -1);
	/* tls-port must differ from port; cert and key go together */
	char *a9[] = {"fechatter", "--port", "9000", "--tls-port", "9000"};
	assert_int_equal(config_load(&c, ARGC(a9), a9), -1);
	char *a10[] = {"fechatter", "--cert", "/tmp/c.pem"};
	assert_int_equal(config_load(&c, ARGC(a10), a10), -1);
	char *a11[] = {"fechatter", "--key", "/tmp/k.pem"};
	assert_int_equal(config_load(&c, ARGC(a11), a11), -1);
}

static void test_enums(void **state)
{
	struct config c;
	char *a1[] = {"fechatter", "--durability", "full"};
	assert_int_equal(config_load(&c, ARGC(a1), a1), 0);
	assert_int_equal(c.durability_full, 1);
	char *a2[] = {"fechatter", "--durability", "normal"};
	assert_int_equal(config_load(&c, ARGC(a2), a2), 0);
	assert_int_equal(c.durability_full, 0);
	char *a3[] = {"fechatter", "--durability", "fast"};
	assert_int_equal(config_load(&c, ARGC(a3), a3), -1);
	char *a4[] = {"fechatter", "--durability", "FULL"};
	assert_int_equal(config_load(&c, ARGC(a4), a4), -1);
	char *a4b[] = {"fechatter", "--durability", "ful"};
	assert_int_equal(config_load(&c, ARGC(a4b), a4b), -1);
	char *a5[] = {"fechatter", "--registration", "invite"};
	assert_int_equal(config_load(&c, ARGC(a5), a5), 0);
	assert_int_equal(c.registration_open, 0);
	char *a6[] = {"fechatter", "--registration", "closed"};
	assert_int_equal(config_load(&c, ARGC(a6), a6), -1);
	const char *levels[] = {"error", "warn", "info", "debug"};
	for (int i = 0; i < 4; i++) {
		char *a[] = {"fechatter", "--log-level", (char *)levels[i]};
		assert_int_equal(config_load(&c, ARGC(a), a), 0);
		assert_int_equal(c.log_level, i);
	}
	char *a7[] = {"fechatter", "--log-level", "verbose"};
	assert_int_equal(config_load(&c, ARGC(a7), a7), -1);
}

static void test_help(void **state)
{
	struct config c;
	char *a1[] = {"fechatter", "--help"};
	assert_int_equal(config_load(&c, ARGC(a1), a1), 1);
	char *a2[] = {"fechatter", "--port", "9000", "-h"};
	assert_int_equal(config_load(&c, ARGC(a2), a2), 1);
	char *a3[] = {"fechatter", "serve", "--help"};
	assert_int_equal(config_load(&c, ARGC(a3), a3), 1);
}

static void test_commands(void **state)
{
	struct config c;
	char *a1[] = {"fechatter", "serve", "--port", "9100"};
	assert_int_equal(config_load(&c, ARGC(a1), a1), 0);
	assert_string_equal(c.command, "serve");
	assert_int_equal(c.port, 9100);
	char *a2[] = {"fechatter", "serve"};
	assert_int_equal(config_load(&c, ARGC(a2), a2), 0);
	assert_int_equal(c.port, 8080);
	char *a3[] = {"fechatter", "launch", "--port", "9100"};
	assert_int_equal(config_load(&c, ARGC(a3), a3), -1);
	char *a4[] = {"fechatter", "--check-config", "--port", "9200"};
	assert_int_equal(config_load(&c, ARGC(a4), a4), 0);
	assert_int_equal(c.check_only, 1);
	assert_int_equal(c.port, 9200);
}

static void test_print(void **state)
{
	struct config c;
	char *argv[] = {"fechatter", "--port", "9300", "--registration", "open", "--durability", "normal"};
	assert_int_equal(config_load(&c, ARGC(argv), argv), 0);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	config_print(&c, f);
	fclose(f);
	assert_non_null(strstr(buf, "port 9300\n"));
	assert_non_null(strstr(buf, "registration open\n"));
	assert_non_null(strstr(buf, "durability normal\n"));
	assert_non_null(strstr(buf, "log-level info\n"));
	assert_non_null(strstr(buf, "cert -\n"));
	free(buf);
}

/* A value starting with '=' prints so that reading it back gives it again
 * (found by tests/fuzz/fuzz_config: "key ==x" printed as "key =x", read "x"). */
static void test_print_reads_back(void **state)
{
	struct config c, again;
	config_defaults(&c);
	FILE *in = fmemopen((char *)"cert ==x\n", 9, "r");
	assert_non_null(in);
	assert_int_equal(config_read(&c, in, "t"), 0);
	fclose(in);
	assert_string_equal(c.cert, "=x");
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	config_print(&c, out);
	fclose(out);
	config_defaults(&again);
	in = fmemopen(buf, len, "r");
	assert_int_equal(config_read(&again, in, "printed"), 0);
	fclose(in);
	assert_string_equal(again.cert, "=x");
	free(buf);
}

/* --trust-proxy: a list; repeats add within one source, a later source
 * replaces the list, "-" empties it, bad entries stop start-up. */
static void test_trust_proxy(void **state)
{
	struct config c;
	char *argv0[] = {"fechatter"};
	assert_int_equal(config_load(&c, ARGC(argv0), argv0), 0);
	assert_string_equal(c.trust_proxy, "");
	const char *p = write_conf("trust-proxy 10.0.0.0/8\ntrust-proxy ::1\n");
	char *argv[] = {"fechatter", "--config", (char *)p};
	assert_int_equal(config_load(&c, ARGC(argv), argv), 0);
	assert_string_equal(c.trust_proxy, "10.0.0.0/8,::1");
	setenv("FECHATTER_TRUST_PROXY", "192.168.0.1, 192.168.0.2", 1);
	assert_int_equal(config_load(&c, ARGC(argv), argv), 0);
	assert_string_equal(c.trust_proxy, "192.168.0.1, 192.168.0.2");
	char *argv2[] = {"fechatter",     "--config",  (char *)p,
	                 "--trust-proxy", "127.0.0.1", "--trust-proxy=::1"};
	assert_int_equal(config_load(&c, ARGC(argv2), argv2), 0);
	assert_string_equal(c.trust_proxy, "127.0.0.1,::1");
	char *argv3[] = {"fechatter", "--trust-proxy", "-"};
	assert_int_equal(config_load(&c, ARGC(argv3), argv3), 0);
	assert_string_equal(c.trust_proxy, "");
	unsetenv("FECHATTER_TRUST_PROXY");
	const char *bad[] = {"1.2.3.4:80", "10.0.0.0/33", "localhost", "127.0.0.1,nope"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char *argv4[] = {"fechatter", "--trust-proxy", (char *)bad[i]};
		assert_int_equal(config_load(&c, ARGC(argv4), argv4), -1);
	}
	/* printed, it reads back (also when empty) */
	for (int k = 0; k < 2; k++) {
		struct config again;
		config_defaults(&c);
		if (k)
			strcpy(c.trust_proxy, "127.0.0.1,fd00::/8");
		char *buf = NULL;
		size_t len = 0;
		FILE *out = open_memstream(&buf, &len);
		config_print(&c, out);
		fclose(out);
		config_defaults(&again);
		FILE *in = fmemopen(buf, len, "r");
		assert_int_equal(config_read(&again, in, "printed"), 0);
		fclose(in);
		assert_string_equal(again.trust_proxy, c.trust_proxy);
		free(buf);
	}
}

/* --force is a flag: no value; it cannot come from the environment or a
 * file (a forgotten FECHATTER_FORCE must not make every restore forced). */
static void test_flag_takes_no_value(void **state)
{
	struct config c;
	char *argv[] = {"fechatter", "restore", "--force", "--in", "a.tar"};
	assert_int_equal(config_load(&c, ARGC(argv), argv), 0);
	assert_int_equal(c.force, 1);
	assert_string_equal(c.in, "a.tar");
	char *plain[] = {"fechatter", "restore", "--in", "a.tar"};
	assert_int_equal(config_load(&c, ARGC(plain), plain), 0);
	assert_int_equal(c.force, 0);
	char *valued[] = {"fechatter", "restore", "--force=yes"};
	assert_int_equal(config_load(&c, ARGC(valued), valued), -1);
	setenv("FECHATTER_FORCE", "1", 1);
	assert_int_equal(config_load(&c, ARGC(plain), plain), -1);
	unsetenv("FECHATTER_FORCE");
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	config_print(&c, f);
	fclose(f);
	assert_null(strstr(buf, "force"));
	free(buf);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_defaults),
	    T(test_flags),
	    T(test_equals_form),
	    T(test_last_flag_wins),
	    T(test_file),
	    T(test_env_over_file_flag_over_env),
	    T(test_config_from_env),
	    T(test_file_errors),
	    T(test_unknown_flag),
	    T(test_port_range),
	    T(test_other_ranges),
	    T(test_enums),
	    T(test_help),
	    T(test_commands),
	    T(test_print),
	    T(test_print_reads_back),
	    T(test_trust_proxy),
	    T(test_flag_takes_no_value),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
