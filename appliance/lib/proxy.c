/* lib/proxy: trusted proxies and the X-Forwarded-For rule (see proxy.h). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/proxy.h"

static void map_v4(const unsigned char v4[4], unsigned char key[16])
{
	memset(key, 0, 10);
	key[10] = key[11] = 0xff;
	memcpy(key + 12, v4, 4);
}

static int is_v4_mapped(const unsigned char key[16])
{
	static const unsigned char prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	return !memcmp(key, prefix, 12);
}

/* "" or ":N" with N a port (1..5 digits, at most 65535). */
static int port_ok(const char *s, size_t n)
{
	if (!n)
		return 1;
	if (s[0] != ':' || n < 2 || n > 6)
		return 0;
	long v = 0;
	for (size_t i = 1; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	return v <= 65535;
}

int proxy_addr_parse(const char *s, size_t n, unsigned char key[16])
{
	char buf[64];
	if (!n || n >= sizeof buf)
		return -1;
	if (s[0] == '[') {
		const char *close = memchr(s, ']', n);
		if (!close || !port_ok(close + 1, n - (size_t)(close + 1 - s)))
			return -1;
		size_t len = (size_t)(close - s - 1);
		memcpy(buf, s + 1, len);
		buf[len] = 0;
		return inet_pton(AF_INET6, buf, key) == 1 ? 0 : -1;
	}
	memcpy(buf, s, n);
	buf[n] = 0;
	const char *colon = strchr(buf, ':');
	if (colon && strchr(colon + 1, ':')) /* two or more colons: IPv6 */
		return inet_pton(AF_INET6, buf, key) == 1 ? 0 : -1;
	if (colon) { /* IPv4:port */
		if (!port_ok(colon, strlen(colon)))
			return -1;
		buf[colon - buf] = 0;
	}
	unsigned char v4[4];
	if (inet_pton(AF_INET, buf, v4) != 1)
		return -1;
	map_v4(v4, key);
	return 0;
}

/* A trust entry's address: IPv4, IPv6 or [IPv6], no port. *v4 = 1 for the
 * dotted IPv4 form (its prefix length counts 32 bits). */
static int addr_only(const char *s, size_t n, unsigned char key[16], int *v4)
{
	char buf[64];
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']')
		s++, n -= 2;
	if (!n || n >= sizeof buf)
		return -1;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (strchr(buf, ':'))
		return inet_pton(AF_INET6, buf, key) == 1 ? 0 : -1;
	unsigned char a[4];
	if (inet_pton(AF_INET, buf, a) != 1)
		return -1;
	map_v4(a, key);
	*v4 = 1;
	return 0;
}

int proxy_trust_parse(struct proxy_trust *t, const char *list, char *err, size_t errlen)
{
	const char *p = list;
	for (;;) {
		p += strspn(p, ", \t");
		if (!*p)
			return 0;
		size_t n = strcspn(p, ", \t");
		const char *slash = memchr(p, '/', n);
		size_t alen = slash ? (size_t)(slash - p) : n;
		unsigned char key[16];
		int bits = 128, v4 = 0;
		if (addr_only(p, alen, key, &v4)) {
			snprintf(err, errlen, "'%.*s' is not an IPv4 or IPv6 address (nor a CIDR range)",
			         (int)n, p);
			return -1;
		}
		if (slash) {
			const char *b = slash + 1;
			size_t blen = n - alen - 1;
			int max = v4 ? 32 : 128;
			long v = 0;
			if (!blen || blen > 3)
				v = -1;
			for (size_t i = 0; i < blen && v >= 0; i++)
				v = b[i] >= '0' && b[i] <= '9' ? v * 10 + (b[i] - '0') : -1;
			if (v < 0 || v > max) {
				snprintf(err, errlen, "'%.*s': the prefix length must be 0..%d", (int)n, p,
				         max);
				return -1;
			}
			bits = (int)v + (v4 ? 96 : 0);
		}
		if (t->n >= PROXY_TRUST_MAX) {
			snprintf(err, errlen, "more than %d trusted proxy entries", PROXY_TRUST_MAX);
			return -1;
		}
		/* clear the host bits so matching compares prefixes only */
		for (int i = 0; i < 16; i++) {
			int keep = bits - i * 8;
			key[i] &= keep >= 8 ? 0xff : keep <= 0 ? 0 : (unsigned char)(0xff << (8 - keep));
		}
		memcpy(t->e[t->n].addr, key, 16);
		t->e[t->n].bits = bits;
		t->n++;
		p += n;
	}
}

int proxy_trusted(const struct proxy_trust *t, const unsigned char key[16])
{
	for (int k = 0; t && k < t->n; k++) {
		int bits = t->e[k].bits, i = 0;
		for (; bits >= 8; i++, bits -= 8)
			if (key[i] != t->e[k].addr[i])
				break;
		if (bits >= 8)
			continue;
		if (!bits || !((key[i] ^ t->e[k].addr[i]) & (0xff << (8 - bits))))
			return 1;
	}
	return 0;
}

static void key_text(const unsigned char key[16], char *out, size_t outlen)
{
	char buf[INET6_ADDRSTRLEN];
	if (is_v4_mapped(key))
		inet_ntop(AF_INET, key + 12, buf, sizeof buf);
	else
		inet_ntop(AF_INET6, key, buf, sizeof buf);
	snprintf(out, outlen, "%s", buf);
}

int proxy_client(const struct proxy_trust *t, const char *peer, const char *xff, char *out, size_t outlen)
{
	unsigned char cur[16];
	snprintf(out, outlen, "%s", peer);
	if (!t || !t->n || !xff || proxy_addr_parse(peer, strlen(peer), cur) || !proxy_trusted(t, cur))
		return 0;
	size_t end = strlen(xff);
	int found = 0;
	for (int hops = 0; hops < PROXY_MAX_HOPS; hops++) {
		while (end && (xff[end - 1] == ',' || xff[end - 1] == ' ' || xff[end - 1] == '\t'))
			end--;
		if (!end)
			break;
		size_t start = end;
		while (start && xff[start - 1] != ',')
			start--;
		size_t s = start;
		while (s < end && (xff[s] == ' ' || xff[s] == '\t'))
			s++;
		unsigned char k[16];
		if (proxy_addr_parse(xff + s, end - s, k))
			break; /* garbage: the last address accepted stands */
		memcpy(cur, k, 16);
		found = 1;
		if (!proxy_trusted(t, cur))
			break;
		end = start;
	}
	if (found)
		key_text(cur, out, outlen);
	return found;
}
