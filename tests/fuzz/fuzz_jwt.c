/* tests/fuzz/fuzz_jwt: lib/jwt. The first input byte picks what the rest is:
 *   0: a token as received (header, payload, signature all attacker's);
 *   1: a header and a payload (split at the first 0xff byte; no 0xff: the
 *      standard header) signed with the test key, so the claim parser behind
 *      the signature check is reached with arbitrary JSON;
 *   2: a claims struct's bytes: what jwt_sign signs, jwt_verify must give
 *      back unchanged.
 * Every accepted token holds claims that are consistent with the checks. */
#include <sodium.h>
#include "fuzz.h"
#include "lib/jwt.h"

#define NOW 1700000000
static unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];

static void init(void)
{
	static int done;
	if (done)
		return;
	unsigned char seed[crypto_sign_SEEDBYTES] = {1, 2, 3, 4, 5, 6, 7, 8};
	if (sodium_init() < 0 || crypto_sign_seed_keypair(pk, sk, seed))
		abort();
	done = 1;
}

static void check_accepted(const struct jwt_claims *c, const char *iss, const char *aud, int64_t now)
{
	CHECK(memchr(c->iss, 0, sizeof c->iss) && memchr(c->aud, 0, sizeof c->aud) &&
	      memchr(c->role, 0, sizeof c->role));
	CHECK(!strcmp(c->iss, iss) && !strcmp(c->aud, aud));
	CHECK(now < c->exp && c->iat <= now + 60);
}

static void verify_raw(const char *tok, size_t len)
{
	struct jwt_claims c;
	memset(&c, 0x5a, sizeof c);
	int rc = jwt_verify(tok, len, pk, "fechatter", "fechatter-web", NOW, &c);
	CHECK(rc <= 0 && rc >= JWT_ECLAIMS);
	if (rc == JWT_OK)
		check_accepted(&c, "fechatter", "fechatter-web", NOW);
}

/* base64url(header) "." base64url(payload) "." signature, then verified. */
static void sign_parts(const uint8_t *h, size_t hl, const uint8_t *p, size_t pl)
{
	const int v = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
	size_t cap = sodium_base64_ENCODED_LEN(hl, v) + sodium_base64_ENCODED_LEN(pl, v) +
	             sodium_base64_ENCODED_LEN(crypto_sign_BYTES, v) + 2;
	char *tok = malloc(cap);
	if (!tok)
		abort();
	sodium_bin2base64(tok, cap, h, hl, v);
	size_t n = strlen(tok);
	tok[n++] = '.';
	sodium_bin2base64(tok + n, cap - n, p, pl, v);
	n += strlen(tok + n);
	unsigned char sig[crypto_sign_BYTES];
	crypto_sign_detached(sig, NULL, (const unsigned char *)tok, n, sk);
	tok[n++] = '.';
	sodium_bin2base64(tok + n, cap - n, sig, sizeof sig, v);
	verify_raw(tok, strlen(tok));
	free(tok);
}

static void roundtrip(const uint8_t *data, size_t size)
{
	struct jwt_claims c;
	memset(&c, 0, sizeof c);
	memcpy(&c, data, size < sizeof c ? size : sizeof c);
	char *tok = jwt_sign(&c, sk);
	if (!tok)
		return;
	CHECK(strlen(tok) <= 4096);
	if (c.iat < c.exp) {
		struct jwt_claims back;
		int rc = jwt_verify(tok, strlen(tok), pk, c.iss, c.aud, c.iat, &back);
		CHECK(rc == JWT_OK);
		CHECK(!strcmp(back.iss, c.iss) && !strcmp(back.aud, c.aud) && !strcmp(back.role, c.role));
		CHECK(back.sub == c.sub && back.iat == c.iat && back.exp == c.exp);
		CHECK(back.workspace_id == c.workspace_id && back.token_version == c.token_version);
	}
	free(tok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	init();
	if (!size)
		return 0;
	uint8_t mode = data[0] % 3;
	data++, size--;
	if (mode == 0) {
		/* an exact-size copy: the token need not be NUL-terminated */
		char *tok = malloc(size ? size : 1);
		if (!tok)
			abort();
		memcpy(tok, data, size);
		verify_raw(tok, size);
		free(tok);
	} else if (mode == 1) {
		static const char std[] = "{\"alg\":\"EdDSA\",\"typ\":\"JWT\"}";
		const uint8_t *cut = memchr(data, 0xff, size);
		if (cut)
			sign_parts(data, (size_t)(cut - data), cut + 1, size - (size_t)(cut - data) - 1);
		else
			sign_parts((const uint8_t *)std, sizeof std - 1, data, size);
	} else {
		roundtrip(data, size);
	}
	return 0;
}
