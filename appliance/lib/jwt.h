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

#endif
