/* lib/crypto: libsodium wrappers. */
#include <sodium.h>
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

void sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, data, len);
	sodium_bin2hex(out, 65, h, sizeof h);
}

void stream_b64url(const unsigned char key[32], uint64_t n, size_t nbytes, char *out, size_t outlen)
{
	unsigned char buf[64], nonce[crypto_stream_chacha20_NONCEBYTES];
	if (nbytes > sizeof buf)
		nbytes = sizeof buf;
	for (size_t i = 0; i < sizeof nonce; i++)
		nonce[i] = (unsigned char)(n >> (8 * i));
	crypto_stream_chacha20(buf, nbytes, nonce, key);
	sodium_bin2base64(out, outlen, buf, nbytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void random_bytes(void *buf, size_t n)
{
	randombytes_buf(buf, n);
}
