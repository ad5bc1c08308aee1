/* lib/crypto: libsodium wrappers. */
#include <sodium.h>
#include <stdint.h>
#include <string.h>
#include "lib/crypto.h"

#define PW_OPSLIMIT 2
#define PW_MEMLIMIT (19u << 20)

int fe_crypto_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

int pw_hash(const char *password, char out[PW_HASH_MAX])
{
	return crypto_pwhash_str_alg(out, password, strlen(password), PW_OPSLIMIT, PW_MEMLIMIT,
	                             crypto_pwhash_ALG_ARGON2ID13)
	           ? -1
	           : 0;
}

int pw_verify(const char *hash, const char *password)
{
	return crypto_pwhash_str_verify(hash, password, strlen(password)) ? -1 : 0;
}

void random_b64url(size_t nbytes, char *out, size_t outlen)
{
	unsigned char buf[64];
	if (nbytes > sizeof buf)
		nbytes = sizeof buf;
	randombytes_buf(buf, nbytes);
	sodium_bin2base64(out, outlen, buf, nbytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(buf, sizeof buf);
}

void unique_id_b64url(char *out, size_t outlen)
{
	static unsigned char prefix[6];
	static int ready; /* 0 none, 1 drawing, 2 drawn */
	static uint64_t counter;
	int expect = 0;
	if (__atomic_load_n(&ready, __ATOMIC_ACQUIRE) != 2) {
		if (__atomic_compare_exchange_n(&ready, &expect, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			randombytes_buf(prefix, sizeof prefix);
			__atomic_store_n(&ready, 2, __ATOMIC_RELEASE);
		}
		while (__atomic_load_n(&ready, __ATOMIC_ACQUIRE) != 2)
			; /* another thread is drawing the prefix (once per process) */
	}
	uint64_t n = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
	unsigned char b[12];
	memcpy(b, prefix, sizeof prefix);
	for (int i = 0; i < 6; i++)
		b[6 + i] = (unsigned char)(n >> (8 * (5 - i)));
	sodium_bin2base64(out, outlen, b, sizeof b, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, data, len);
	sodium_bin2hex(out, 65, h, sizeof h);
}
