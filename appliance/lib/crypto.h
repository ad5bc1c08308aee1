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

/* A process-unique id, not a secret (request ids): 16 base64url
 * characters of 6 random bytes drawn once per process and a 48-bit
 * counter, so an id costs no system call. out holds at least 17 bytes.
 * Any thread. */
void unique_id_b64url(char *out, size_t outlen);

/* SHA-256 of data as 64 lowercase hex characters plus NUL. */
void sha256_hex(const void *data, size_t len, char out[65]);

#endif
