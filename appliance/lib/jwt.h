/* lib/jwt: access tokens as JSON Web Tokens signed with EdDSA (Ed25519,
 * libsodium). Header {"alg":"EdDSA","typ":"JWT"}; anything else (alg none,
 * HS256, ...) is refused. Encoding is base64url without padding. */
#ifndef FE_JWT_H
#define FE_JWT_H
#include <stddef.h>
#include <stdint.h>

struct jwt_claims {
	char iss[64];
	char aud[64];
	int64_t sub;           /* user id ("sub" is a decimal string in the token) */
	int64_t iat, exp;      /* seconds since the epoch */
	int64_t workspace_id;  /* claim "wid" */
	char role[16];         /* claim "role": owner|admin|member */
	int64_t token_version; /* claim "tv": user's session generation */
};

enum {
	JWT_OK = 0,
	JWT_EMALFORMED = -1, /* not three base64url parts, bad JSON, missing claim */
	JWT_EALG = -2,       /* header alg is not EdDSA */
	JWT_ESIG = -3,       /* signature does not verify */
	JWT_EEXPIRED = -4,   /* now >= exp */
	JWT_ECLAIMS = -5,    /* iss or aud mismatch, iat in the future (> now + 60) */
};

/* Signs the claims with the 64-byte Ed25519 secret key.
 * Returns an owned NUL-terminated token (free with free()), NULL on failure. */
char *jwt_sign(const struct jwt_claims *c, const unsigned char sk[64]);

/* Verifies token (len bytes, need not be NUL-terminated) with the 32-byte
 * public key: signature, alg, iss, aud, exp against now (seconds).
 * Fills *out on success. Returns JWT_OK or a negative JWT_E* code. */
int jwt_verify(const char *token, size_t len, const unsigned char pk[32], const char *iss, const char *aud,
               int64_t now, struct jwt_claims *out);

/* A bounded cache of verified tokens, so that a token seen before costs a
 * keyed hash instead of a signature check. Keyed by BLAKE2b-256 of the
 * public key and the token under a random per-cache key (an attacker
 * cannot aim at a slot), the full hash compared in constant time; 8-way
 * set-associative, least recently used way evicted. Only tokens whose
 * signature verified are kept. Not thread-safe: one thread uses a cache. */
struct jwt_cache;

/* A cache of about entries tokens (rounded up to a multiple of 8); NULL
 * when entries is 0 (no cache) or memory is short. Owned: jwt_cache_free
 * (NULL-safe). */
struct jwt_cache *jwt_cache_new(size_t entries);
void jwt_cache_free(struct jwt_cache *c);

/* jwt_verify through the cache c (NULL: plain jwt_verify). A hit skips the
 * signature check and the payload parse only: iss, aud, exp and iat are
 * checked against the arguments and now on every hit, in jwt_verify's
 * order, so the answer is always the one jwt_verify would give (an expired
 * token's entry is dropped). A miss verifies and keeps the token when it
 * verified. Same arguments and returns as jwt_verify. */
int jwt_verify_cached(struct jwt_cache *c, const char *token, size_t len, const unsigned char pk[32],
                      const char *iss, const char *aud, int64_t now, struct jwt_claims *out);

/* The cache's counters since it was made (each may be NULL): lookups that
 * hit, lookups that missed (and verified the signature). */
void jwt_cache_stats(const struct jwt_cache *c, uint64_t *hits, uint64_t *misses);

#endif
