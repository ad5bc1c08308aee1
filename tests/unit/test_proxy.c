/* tests/unit/test_proxy: trusted proxy lists and the X-Forwarded-For rule
 * (lib/proxy): addresses with and without ports, CIDR ranges, the right-most
 * untrusted address, forged and malformed headers, IPv6, too many hops. */
#include <stdio.h>
#include <string.h>
#include "testutil.h"
#include "lib/proxy.h"

static struct proxy_trust trust(const char *list)
{
	struct proxy_trust t;
	char err[160] = "";
	memset(&t, 0, sizeof t);
	if (proxy_trust_parse(&t, list, err, sizeof err))
		fail_msg("trust list '%s' refused: %s", list, err);
	return t;
}

/* The client proxy_client gives for peer + xff; *via = its return. */
static const char *client(const struct proxy_trust *t, const char *peer, const char *xff, int *via)
{
	static char out[64];
	memset(out, 'x', sizeof out);
	int v = proxy_client(t, peer, xff, out, sizeof out);
	if (via)
		*via = v;
	return out;
}

static void test_addr_parse(void **state)
{
	unsigned char k[16], v4[16], v6[16];
	static const unsigned char mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3};
	static const unsigned char loop6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	const char *good4[] = {"10.1.2.3", "10.1.2.3:80", "10.1.2.3:65535", "::ffff:10.1.2.3",
	                       "[::ffff:10.1.2.3]:1"};
	for (size_t i = 0; i < sizeof good4 / sizeof *good4; i++) {
		assert_int_equal(proxy_addr_parse(good4[i], strlen(good4[i]), v4), 0);
		assert_memory_equal(v4, mapped, 16);
	}
	const char *good6[] = {"::1", "[::1]", "[::1]:443", "0:0:0:0:0:0:0:1"};
	for (size_t i = 0; i < sizeof good6 / sizeof *good6; i++) {
		assert_int_equal(proxy_addr_parse(good6[i], strlen(good6[i]), v6), 0);
		assert_memory_equal(v6, loop6, 16);
	}
	const char *bad[] = {
	    "",          "unknown",       "1.2.3",          "1.2.3.4.5", "256.1.1.1", "1.2.3.4:",
	    "1.2.3.4:x", "1.2.3.4:65536", "1.2.3.4:123456", "01.2.3.4x", "[::1",      "[::1]x",
	    "[1.2.3.4]", "::1%eth0",      "fe80::1%1",      " 1.2.3.4",  "1.2.3.4 ",  "1.2.3.4 5.6.7.8",
	    "::g",       "_hidden",       "1.2.3.4/8",      "0x7f.0.0.1"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		if (!proxy_addr_parse(bad[i], strlen(bad[i]), k))
			fail_msg("'%s' parsed as an address", bad[i]);
	/* the length is honoured: not NUL-terminated input */
	assert_int_equal(proxy_addr_parse("10.1.2.3, 9.9.9.9", 8, k), 0);
	assert_memory_equal(k, mapped, 16);
	char longs[200];
	memset(longs, '1', sizeof longs);
	assert_int_equal(proxy_addr_parse(longs, sizeof longs, k), -1);
}

static void test_trust_parse(void **state)
{
	struct proxy_trust t;
	char err[160];
	memset(&t, 0, sizeof t);
	assert_int_equal(proxy_trust_parse(&t, "", err, sizeof err), 0);
	assert_int_equal(t.n, 0);
	assert_int_equal(proxy_trust_parse(&t, "127.0.0.1, ::1 10.0.0.0/8,[fd00::]/8", err, sizeof err), 0);
	assert_int_equal(t.n, 4);
	assert_int_equal(t.e[0].bits, 128);
	assert_int_equal(t.e[2].bits, 96 + 8);
	assert_int_equal(t.e[3].bits, 8);
	const char *bad[] = {"1.2.3.4:80", "[::1]:443",   "10.0.0.0/33", "::/129",      "10.0.0.0/",
	                     "10.0.0.0/x", "10.0.0.0/-1", "localhost",   "1.2.3.4/8/8", "10.0.0.0/0008"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		memset(&t, 0, sizeof t);
		err[0] = 0;
		if (!proxy_trust_parse(&t, bad[i], err, sizeof err))
			fail_msg("trust entry '%s' accepted", bad[i]);
		assert_true(strlen(err) > 0);
	}
	/* at most PROXY_TRUST_MAX entries */
	char list[2048] = "";
	for (int i = 0; i <= PROXY_TRUST_MAX; i++)
		snprintf(list + strlen(list), sizeof list - strlen(list), "10.0.0.%d,", i);
	memset(&t, 0, sizeof t);
	assert_int_equal(proxy_trust_parse(&t, list, err, sizeof err), -1);
	assert_non_null(strstr(err, "more than"));
}

static void test_trusted_cidr(void **state)
{
	struct proxy_trust t = trust("10.0.0.0/8,192.168.1.128/25,fd00::/8,::1,172.16.5.5/32,0.0.0.0/0");
	struct proxy_trust narrow = trust("10.0.0.0/8,192.168.1.128/25,fd00::/8,::1");
	unsigned char k[16];
	struct {
		const char *a;
		int in;
	} cases[] = {
	    {"10.0.0.1", 1},      {"10.255.255.255", 1}, {"11.0.0.0", 0},
	    {"192.168.1.128", 1}, {"192.168.1.255", 1},  {"192.168.1.127", 0},
	    {"fd12::1", 1},       {"fe00::1", 0},        {"::1", 1},
	    {"::2", 0},           {"9.9.9.9", 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		assert_int_equal(proxy_addr_parse(cases[i].a, strlen(cases[i].a), k), 0);
		if (proxy_trusted(&narrow, k) != cases[i].in)
			fail_msg("%s: trusted=%d, expected %d", cases[i].a, !cases[i].in, cases[i].in);
	}
	/* 0.0.0.0/0 is every IPv4 address, and no IPv6 one */
	assert_int_equal(proxy_addr_parse("9.9.9.9", 7, k), 0);
	assert_int_equal(proxy_trusted(&t, k), 1);
	assert_int_equal(proxy_addr_parse("2001:db8::1", 11, k), 0);
	assert_int_equal(proxy_trusted(&t, k), 0);
	/* host bits in a range are ignored */
	struct proxy_trust h = trust("10.1.2.3/8");
	assert_int_equal(proxy_addr_parse("10.200.0.1", 10, k), 0);
	assert_int_equal(proxy_trusted(&h, k), 1);
	/* an empty list trusts nobody */
	struct proxy_trust none = trust("");
	assert_int_equal(proxy_trusted(&none, k), 0);
}

static void test_xff_rule(void **state)
{
	struct proxy_trust t = trust("127.0.0.1,10.0.0.0/8");
	int via;
	/* a trusted peer: the right-most untrusted address */
	assert_string_equal(client(&t, "127.0.0.1", "203.0.113.7", &via), "203.0.113.7");
	assert_int_equal(via, 1);
	/* a forged left part does not matter */
	assert_string_equal(client(&t, "127.0.0.1", "1.1.1.1, 203.0.113.7", &via), "203.0.113.7");
	/* trusted hops are skipped */
	assert_string_equal(client(&t, "127.0.0.1", "1.1.1.1, 203.0.113.7, 10.0.0.5,10.9.9.9", &via),
	                    "203.0.113.7");
	/* the peer as lws writes it on a dual-stack socket */
	assert_string_equal(client(&t, "::ffff:127.0.0.1", "203.0.113.7", &via), "203.0.113.7");
	/* an untrusted peer: the header is ignored */
	assert_string_equal(client(&t, "198.51.100.1", "203.0.113.7", &via), "198.51.100.1");
	assert_int_equal(via, 0);
	/* no header, an empty one, one of separators only: the peer */
	assert_string_equal(client(&t, "127.0.0.1", NULL, &via), "127.0.0.1");
	assert_int_equal(via, 0);
	assert_string_equal(client(&t, "127.0.0.1", "", &via), "127.0.0.1");
	assert_string_equal(client(&t, "127.0.0.1", " , ,, ", &via), "127.0.0.1");
	assert_int_equal(via, 0);
	/* spaces, tabs and empty entries around the addresses */
	assert_string_equal(client(&t, "127.0.0.1", "  1.1.1.1 ,\t203.0.113.7\t , ", &via), "203.0.113.7");
	assert_string_equal(client(&t, "127.0.0.1", "1.1.1.1,,,203.0.113.8", &via), "203.0.113.8");
	/* ports are dropped; IPv6 with and without brackets, in RFC 5952 form */
	assert_string_equal(client(&t, "127.0.0.1", "203.0.113.9:51234", &via), "203.0.113.9");
	assert_string_equal(client(&t, "127.0.0.1", "[2001:DB8:0:0::1]:443", &via), "2001:db8::1");
	assert_string_equal(client(&t, "127.0.0.1", "2001:db8::2", &via), "2001:db8::2");
	assert_string_equal(client(&t, "127.0.0.1", "::ffff:203.0.113.10", &via), "203.0.113.10");
	/* garbage: the walk stops and the last address accepted stands */
	assert_string_equal(client(&t, "127.0.0.1", "unknown", &via), "127.0.0.1");
	assert_int_equal(via, 0);
	assert_string_equal(client(&t, "127.0.0.1", "203.0.113.7, <script>", &via), "127.0.0.1");
	assert_string_equal(client(&t, "127.0.0.1", "1.1.1.1, 203.0.113.7 evil, 10.0.0.5", &via), "10.0.0.5");
	assert_int_equal(via, 1);
	assert_string_equal(client(&t, "127.0.0.1", "garbage, 203.0.113.7", &via), "203.0.113.7");
	assert_string_equal(client(&t, "127.0.0.1", "1.2.3.4:99999", &via), "127.0.0.1");
	assert_string_equal(client(&t, "127.0.0.1", "\xff\xfe\x01", &via), "127.0.0.1");
	/* all trusted: the left-most one */
	assert_string_equal(client(&t, "127.0.0.1", "10.0.0.1, 10.0.0.2", &via), "10.0.0.1");
	assert_int_equal(via, 1);
	/* an unparsable peer text: itself, header ignored */
	assert_string_equal(client(&t, "weird", "203.0.113.7", &via), "weird");
	assert_int_equal(via, 0);
	/* an empty trust list ignores the header */
	struct proxy_trust none = trust("");
	assert_string_equal(client(&none, "127.0.0.1", "203.0.113.7", &via), "127.0.0.1");
	assert_string_equal(client(NULL, "127.0.0.1", "203.0.113.7", &via), "127.0.0.1");
}

static void test_ipv6_proxy(void **state)
{
	struct proxy_trust t = trust("::1,fd00::/8");
	int via;
	assert_string_equal(client(&t, "::1", "2001:db8::7, fd00::3", &via), "2001:db8::7");
	assert_string_equal(client(&t, "::1", "198.51.100.4", &via), "198.51.100.4");
	/* an IPv4 peer is not ::1 */
	assert_string_equal(client(&t, "127.0.0.1", "198.51.100.4", &via), "127.0.0.1");
	assert_int_equal(via, 0);
}

static void test_too_many_hops(void **state)
{
	struct proxy_trust t = trust("127.0.0.1,10.0.0.0/8");
	char xff[4096] = "203.0.113.7";
	/* the client behind PROXY_MAX_HOPS - 1 trusted hops is still found */
	for (int i = 0; i < PROXY_MAX_HOPS - 1; i++)
		snprintf(xff + strlen(xff), sizeof xff - strlen(xff), ", 10.0.0.%d", i + 1);
	int via;
	assert_string_equal(client(&t, "127.0.0.1", xff, &via), "203.0.113.7");
	/* one more trusted hop: the walk stops at the last one looked at (a
	 * trusted address, so no client-chosen value gets through) */
	snprintf(xff + strlen(xff), sizeof xff - strlen(xff), ", 10.0.1.1");
	const char *c = client(&t, "127.0.0.1", xff, &via);
	assert_int_equal(via, 1);
	assert_string_equal(c, "10.0.0.1");
	/* a long forged list left of the real client changes nothing */
	char big[8192] = "";
	for (int i = 0; i < 500; i++)
		snprintf(big + strlen(big), sizeof big - strlen(big), "1.1.%d.%d, ", i / 250, i % 250);
	snprintf(big + strlen(big), sizeof big - strlen(big), "203.0.113.99");
	assert_string_equal(client(&t, "127.0.0.1", big, &via), "203.0.113.99");
	/* the output is bounded by its buffer */
	char small[8];
	proxy_client(&t, "127.0.0.1", "203.0.113.7", small, sizeof small);
	assert_int_equal(strlen(small), sizeof small - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_addr_parse),   cmocka_unit_test(test_trust_parse),
	    cmocka_unit_test(test_trusted_cidr), cmocka_unit_test(test_xff_rule),
	    cmocka_unit_test(test_ipv6_proxy),   cmocka_unit_test(test_too_many_hops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
