/* lib/crypto: libsodium wrappers. */
#include <pthread.h>
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

static unsigned char id_prefix[6]; /* drawn once per process */
static pthread_once_t id_once = PTHREAD_ONCE_INIT;

static void draw_id_prefix(void)
{
	randombytes_buf(id_prefix, sizeof id_prefix);
}

void unique_id_b64url(char *out, size_t outlen)
{
	static uint64_t counter;
	pthread_once(&id_once, draw_id_prefix);
	uint64_t n = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
	unsigned char b[12];
	memcpy(b, id_prefix, sizeof id_prefix);
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
