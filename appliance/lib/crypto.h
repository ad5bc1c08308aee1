/* lib/crypto: the few libsodium calls the server needs, named for their use. */
#ifndef FE_CRYPTO_H
#define FE_CRYPTO_H
#include <stddef.h>
#include <stdint.h>

#define PW_HASH_MAX 128 /* crypto_pwhash_STRBYTES */

/* Initialises libsodium. Returns 0 or -1. Call once before threads start. */
int fe_crypto_init(void);

/* argon2id (t=2, m=19 MiB, as OWASP recommends for small servers).
 * Slow by design: call on a worker thread, never on the event loop.
 * out receives the encoded hash (NUL-terminated). Returns 0 or -1 (no memory). */
int pw_hash(const char *password, char out[PW_HASH_MAX]);

/* Returns 0 when password matches the encoded hash, -1 otherwise. Slow. */
int pw_verify(const char *hash, const char *password);

/* Writes nbytes random bytes as base64url without padding into out
 * (at least nbytes*4/3+2 bytes). */
void random_b64url(size_t nbytes, char *out, size_t outlen);

/* Unique ids without a system call each: the n-th output of ChaCha20 under
 * key (a random key drawn once with random_bytes), nbytes of it as
 * base64url without padding into out. Distinct n give distinct, unrelated
 * looking ids; for labels (request ids), not secrets. */
void stream_b64url(const unsigned char key[32], uint64_t n, size_t nbytes, char *out, size_t outlen);
/* Fills buf with n random bytes (the system's generator). */
void random_bytes(void *buf, size_t n);

/* SHA-256 of data as 64 lowercase hex characters plus NUL. */
void sha256_hex(const void *data, size_t len, char out[65]);

#endif
