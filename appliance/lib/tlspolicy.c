/* lib/tlspolicy: the TLS cipher policy. libwebsockets' mbedTLS backend takes
 * no cipher list, so the build links with
 * -Wl,--wrap=mbedtls_ssl_list_ciphersuites: every SSL configuration mbedTLS
 * makes then offers only what this list allows: ECDHE key exchange with an
 * AEAD cipher (AES-GCM, ChaCha20-Poly1305, AES-CCM with a full tag). With
 * mbedTLS 2.28 that also means TLS 1.2 only. */
#include <mbedtls/ssl_ciphersuites.h>
#include <string.h>

const int *__real_mbedtls_ssl_list_ciphersuites(void);
const int *__wrap_mbedtls_ssl_list_ciphersuites(void);

static int allowed(const char *name)
{
	if (strncmp(name, "TLS-ECDHE-", 10))
		return 0;
	return strstr(name, "-GCM-") || strstr(name, "CHACHA20-POLY1305") ||
	       (strstr(name, "-CCM") && !strstr(name, "CCM-8"));
}

const int *__wrap_mbedtls_ssl_list_ciphersuites(void)
{
	static int list[64];
	static int made;
	if (!made) {
		int n = 0;
		for (const int *id = __real_mbedtls_ssl_list_ciphersuites(); *id && n < 63; id++) {
			const mbedtls_ssl_ciphersuite_t *cs = mbedtls_ssl_ciphersuite_from_id(*id);
			if (cs && allowed(cs->name))
				list[n++] = *id;
		}
		list[n] = 0;
		made = 1;
	}
	return list;
}
