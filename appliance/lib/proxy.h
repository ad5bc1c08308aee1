/* lib/proxy: who the client is behind a trusted reverse proxy. A list of
 * trusted proxy addresses (--trust-proxy: exact IPv4/IPv6 addresses or CIDR
 * ranges), and the X-Forwarded-For rule nginx's realip module applies with
 * `real_ip_recursive on`: when the TCP peer is trusted, the client is the
 * right-most address of X-Forwarded-For that is not itself trusted. Pure (no
 * sockets, no lws), so it can be unit-tested. */
#ifndef FE_PROXY_H
#define FE_PROXY_H
#include <stddef.h>

#define PROXY_TRUST_MAX 32 /* entries in a trust list */
#define PROXY_MAX_HOPS 32  /* X-Forwarded-For entries looked at, from the right */

struct proxy_trust {
	int n;
	struct {
		unsigned char addr[16]; /* IPv6, or IPv4-mapped IPv6 */
		int bits;               /* prefix length over the 16 bytes (IPv4 /n is 96 + n) */
	} e[PROXY_TRUST_MAX];
};

/* Parses one address into its 16-byte key (IPv4 as IPv4-mapped IPv6):
 * "1.2.3.4", "1.2.3.4:80", "::1", "[::1]" or "[::1]:443" (the forms found in
 * X-Forwarded-For); s need not be terminated, n is its length. Returns 0, or
 * -1 for anything else (empty, garbage, a zone id, a bad port). */
int proxy_addr_parse(const char *s, size_t n, unsigned char key[16]);

/* Parses a trust list: entries separated by commas and/or spaces, each an
 * address ("127.0.0.1", "::1") or a CIDR range ("10.0.0.0/8", "fd00::/8").
 * Appends to t (zero it first for a fresh list). Returns 0, or -1 with a
 * one-line reason in err (at most errlen bytes): a bad entry, a bad prefix
 * length, more than PROXY_TRUST_MAX entries. An empty list is valid. */
int proxy_trust_parse(struct proxy_trust *t, const char *list, char *err, size_t errlen);

/* 1 when key (16 bytes) is in one of t's entries, else 0. */
int proxy_trusted(const struct proxy_trust *t, const unsigned char key[16]);

/* The client address of a request whose TCP peer is peer (text, as lws
 * writes it: "127.0.0.1", "::1", "::ffff:127.0.0.1"), given its
 * X-Forwarded-For value xff (several headers joined with commas; NULL or ""
 * when absent). When the peer is not trusted (or t is empty, or the peer
 * text does not parse) the client is the peer and xff is ignored. Else the
 * entries of xff are taken from the right: each trusted one is skipped, the
 * first untrusted one is the client; the walk stops at an entry that does
 * not parse, after PROXY_MAX_HOPS entries, or at the left end, and then the
 * client is the last address accepted (a trusted one, possibly the peer).
 * Writes the client's numeric text into out (IPv4 dotted, IPv6 per
 * RFC 5952; the peer's own text when it is the client). Returns 1 when the
 * client came from xff, 0 when it is the peer. */
int proxy_client(const struct proxy_trust *t, const char *peer, const char *xff, char *out, size_t outlen);

#endif
