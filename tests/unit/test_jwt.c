/* tests/unit/test_jwt: EdDSA JWT signing and strict verification
 * (lib/jwt): roundtrip, tampering, alg confusion, claims, malformed input. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "lib/jwt.h"

#define ISS "fechatter"
#define AUD "fechatter-api"
#define NOW 1700000000

static unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
static unsigned char pk2[crypto_sign_PUBLICKEYBYTES], sk2[crypto_sign_SECRETKEYBYTES];

static int setup(void **state)
{
	if (sodium_init() < 0)
		return -1;
	crypto_sign_keypair(pk, sk);
	crypto_sign_keypair(pk2, sk2);
	return 0;
}

static int teardown(void **state)
{
	sodium_memzero(sk, sizeof sk);
	sodium_memzero(sk2, sizeof sk2);
	return 0;
}

static struct jwt_claims claims(void)
{
	struct jwt_claims c;
	memset(&c, 0, sizeof c);
	strcpy(c.iss, ISS);
	strcpy(c.aud, AUD);
	c.sub = 42;
	c.iat = NOW;
	c.exp = NOW + 900;
	c.workspace_id = 7;
	strcpy(c.role, "member");
	c.token_version = 3;
	return c;
}

/* jwt_sign that must succeed (fail_msg does not return; abort() tells the
 * compiler so) */
static char *sign(const struct jwt_claims *c, const unsigned char *key)
{
	char *t = jwt_sign(c, key);
	if (!t) {
		fail_msg("jwt_sign returned NULL");
		abort();
	}
	return t;
}

/* p, which must not be NULL */
static char *must(char *p)
{
	if (!p) {
		fail_msg("unexpected NULL");
		abort();
	}
	return p;
}

/* dst = the first alen bytes of a, then b, then c */
static void join(char *dst, size_t cap, const char *a, size_t alen, const char *b, const char *c)
{
	size_t bl = strlen(b), cl = strlen(c);
	assert_true(alen + bl + cl < cap);
	memcpy(dst, a, alen);
	memcpy(dst + alen, b, bl);
	memcpy(dst + alen + bl, c, cl + 1);
}

static int verify(const char *tok)
{
	struct jwt_claims out;
	return jwt_verify(tok, strlen(tok), pk, ISS, AUD, NOW, &out);
}

/* base64url (no padding) of n bytes; owned */
static char *b64(const void *data, size_t n)
{
	size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *s = must(malloc(cap));
	sodium_bin2base64(s, cap, data, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return s;
}

/* "b64(header).b64(payload)" plus "." and the Ed25519 signature with key
 * (or an empty signature when key is NULL); owned */
static char *craft(const char *header, const char *payload, const unsigned char *key)
{
	char *h = b64(header, strlen(header)), *p = b64(payload, strlen(payload));
	size_t cap = strlen(h) + strlen(p) + 100;
	char *t = must(malloc(cap));
	snprintf(t, cap, "%s.%s", h, p);
	free(h);
	free(p);
	strcat(t, ".");
	if (key) {
		unsigned char sig[crypto_sign_BYTES];
		crypto_sign_detached(sig, NULL, (unsigned char *)t, strlen(t) - 1, key);
		char *s = b64(sig, sizeof sig);
		strcat(t, s);
		free(s);
	}
	return t;
}

static const char good_header[] = "{\"alg\":\"EdDSA\",\"typ\":\"JWT\"}";
static const char good_payload[] = "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"42\","
                                   "\"iat\":1700000000,\"exp\":1700000900,\"wid\":7,"
                                   "\"role\":\"member\",\"tv\":3}";

static void test_roundtrip(void **state)
{
	struct jwt_claims c = claims();
	char *tok = sign(&c, sk);
	assert_non_null(strchr(tok, '.'));
	assert_null(strchr(tok, '='));
	assert_null(strchr(tok, '+'));
	assert_null(strchr(tok, '/'));

	struct jwt_claims out;
	memset(&out, 0xA5, sizeof out);
	assert_int_equal(jwt_verify(tok, strlen(tok), pk, ISS, AUD, NOW, &out), JWT_OK);
	assert_string_equal(out.iss, ISS);
	assert_string_equal(out.aud, AUD);
	assert_int_equal(out.sub, 42);
	assert_int_equal(out.iat, NOW);
	assert_int_equal(out.exp, NOW + 900);
	assert_int_equal(out.workspace_id, 7);
	assert_string_equal(out.role, "member");
	assert_int_equal(out.token_version, 3);

	/* the header is exactly the fixed EdDSA header */
	char *h = b64(good_header, strlen(good_header));
	assert_memory_equal(tok, h, strlen(h));
	assert_int_equal(tok[strlen(h)], '.');
	free(h);

	/* out may be NULL; len need not cover a NUL terminator */
	assert_int_equal(jwt_verify(tok, strlen(tok), pk, ISS, AUD, NOW, NULL), JWT_OK);
	size_t n = strlen(tok);
	char *padded = malloc(n + 8);
	assert_non_null(padded);
	memcpy(padded, tok, n);
	memcpy(padded + n, "garbage!", 8);
	assert_int_equal(jwt_verify(padded, n, pk, ISS, AUD, NOW, NULL), JWT_OK);
	free(padded);
	free(tok);
}

static void test_roundtrip_large_values(void **state)
{
	struct jwt_claims c = claims();
	c.sub = INT64_MAX; /* "sub" is a string, so no double rounding */
	c.workspace_id = 9007199254740991LL;
	c.token_version = 0;
	strcpy(c.role, "owner");
	char *tok = sign(&c, sk), *t;
	struct jwt_claims out;
	assert_int_equal(jwt_verify(tok, strlen(tok), pk, ISS, AUD, NOW, &out), JWT_OK);
	assert_true(out.sub == INT64_MAX);
	assert_true(out.workspace_id == 9007199254740991LL);
	assert_int_equal(out.token_version, 0);
	assert_string_equal(out.role, "owner");
	free(tok);

	/* numeric claims a double cannot hold exactly are refused, not rounded */
	c.workspace_id = 9007199254740993LL;
	assert_null(jwt_sign(&c, sk));
	c.workspace_id = 7;
	c.exp = INT64_MAX;
	assert_null(jwt_sign(&c, sk));
	t = craft(good_header,
	          "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"42\",\"iat\":1700000000,"
	          "\"exp\":1700000900,\"wid\":9007199254740993,\"role\":\"member\",\"tv\":3}",
	          sk);
	assert_int_equal(verify(t), JWT_EMALFORMED);
	free(t);
}

static void test_sign_rejects_unterminated_strings(void **state)
{
	struct jwt_claims c = claims();
	memset(c.iss, 'x', sizeof c.iss);
	assert_null(jwt_sign(&c, sk));
	c = claims();
	memset(c.role, 'x', sizeof c.role);
	assert_null(jwt_sign(&c, sk));
}

static void test_tampered_payload(void **state)
{
	struct jwt_claims c = claims();
	char *tok = sign(&c, sk);
	/* splice in a payload that promotes the user to owner */
	char *evil = must(strdup(good_payload));
	char *r = must(strstr(evil, "member"));
	memcpy(r, "owner\"", 6);
	memmove(r + 6, r + 7, strlen(r + 7) + 1);
	char *p = b64(evil, strlen(evil));
	char *d1 = must(strchr(tok, '.')), *d2 = must(strrchr(tok, '.'));
	char forged[2048];
	join(forged, sizeof forged, tok, (size_t)(d1 - tok) + 1, p, d2);
	assert_int_equal(verify(forged), JWT_ESIG);

	/* flipping one bit of the original payload also breaks it */
	char *t2 = strdup(tok);
	assert_non_null(t2);
	t2[(d1 - tok) + 5] ^= 0x01;
	assert_int_not_equal(verify(t2), JWT_OK);
	free(t2);
	free(p);
	free(evil);
	free(tok);
}

static void test_tampered_signature(void **state)
{
	struct jwt_claims c = claims();
	char *tok = sign(&c, sk);
	char *d2 = must(strrchr(tok, '.'));
	unsigned char sig[crypto_sign_BYTES];
	size_t n = 0;
	assert_int_equal(sodium_base642bin(sig, sizeof sig, d2 + 1, strlen(d2 + 1), NULL, &n, NULL,
	                                   sodium_base64_VARIANT_URLSAFE_NO_PADDING),
	                 0);
	assert_int_equal(n, sizeof sig);
	for (size_t i = 0; i < sizeof sig; i += 21) {
		sig[i] ^= 0x80;
		char *s = b64(sig, sizeof sig);
		char forged[2048];
		join(forged, sizeof forged, tok, (size_t)(d2 - tok) + 1, s, "");
		assert_int_equal(verify(forged), JWT_ESIG);
		free(s);
		sig[i] ^= 0x80;
	}

	/* truncated signature (63 bytes) and an all-zero one */
	char *s = b64(sig, sizeof sig - 1);
	char forged[2048];
	join(forged, sizeof forged, tok, (size_t)(d2 - tok) + 1, s, "");
	assert_int_equal(verify(forged), JWT_ESIG);
	free(s);
	unsigned char zero[crypto_sign_BYTES] = {0};
	s = b64(zero, sizeof zero);
	join(forged, sizeof forged, tok, (size_t)(d2 - tok) + 1, s, "");
	assert_int_equal(verify(forged), JWT_ESIG);
	free(s);
	free(tok);
}

static void test_empty_signature(void **state)
{
	char *t = craft(good_header, good_payload, NULL);
	assert_int_equal(verify(t), JWT_ESIG);
	free(t);
	/* the same token correctly signed verifies, so only the signature was at fault */
	t = craft(good_header, good_payload, sk);
	assert_int_equal(verify(t), JWT_OK);
	free(t);
}

static void test_alg_none(void **state)
{
	static const char *headers[] = {
	    "{\"alg\":\"none\",\"typ\":\"JWT\"}",
	    "{\"alg\":\"None\"}",
	    "{\"alg\":\"NONE\"}",
	    "{\"alg\":\"eddsa\",\"typ\":\"JWT\"}",
	    "{\"alg\":\"EdDSA \",\"typ\":\"JWT\"}",
	    "{\"typ\":\"JWT\"}",
	    "{\"alg\":null}",
	    "{\"alg\":[\"EdDSA\"]}",
	    "{\"alg\":\"\"}",
	};
	for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
		char *t = craft(headers[i], good_payload, NULL);
		assert_int_equal(verify(t), JWT_EALG);
		free(t);
		/* even with a valid Ed25519 signature over the same input */
		t = craft(headers[i], good_payload, sk);
		assert_int_equal(verify(t), JWT_EALG);
		free(t);
	}
}

static void test_hs256_key_confusion(void **state)
{
	/* classic attack: HMAC-SHA256 keyed with the public key */
	static const char h[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	char *t = craft(h, good_payload, NULL);
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, pk, sizeof pk);
	crypto_auth_hmacsha256_update(&st, (unsigned char *)t, strlen(t) - 1);
	crypto_auth_hmacsha256_final(&st, mac);
	char *m = b64(mac, sizeof mac);
	char forged[2048];
	snprintf(forged, sizeof forged, "%s%s", t, m);
	assert_int_equal(verify(forged), JWT_EALG);
	free(m);
	free(t);
}

static void test_other_key(void **state)
{
	struct jwt_claims c = claims();
	char *tok = sign(&c, sk2);
	assert_int_equal(verify(tok), JWT_ESIG);
	assert_int_equal(jwt_verify(tok, strlen(tok), pk2, ISS, AUD, NOW, NULL), JWT_OK);
	free(tok);
}

static void test_expiry(void **state)
{
	struct jwt_claims c = claims();
	char *tok = sign(&c, sk);
	size_t n = strlen(tok);
	assert_int_equal(jwt_verify(tok, n, pk, ISS, AUD, c.exp - 1, NULL), JWT_OK);
	assert_int_equal(jwt_verify(tok, n, pk, ISS, AUD, c.exp, NULL), JWT_EEXPIRED);
	assert_int_equal(jwt_verify(tok, n, pk, ISS, AUD, c.exp + 86400, NULL), JWT_EEXPIRED);
	free(tok);

	c.exp = c.iat - 1;
	tok = sign(&c, sk);
	assert_int_equal(verify(tok), JWT_EEXPIRED);
	free(tok);
}

static void test_wrong_iss_aud(void **state)
{
	struct jwt_claims c = claims();
	char *tok = sign(&c, sk);
	size_t n = strlen(tok);
	assert_int_equal(jwt_verify(tok, n, pk, "other", AUD, NOW, NULL), JWT_ECLAIMS);
	assert_int_equal(jwt_verify(tok, n, pk, ISS, "other", NOW, NULL), JWT_ECLAIMS);
	assert_int_equal(jwt_verify(tok, n, pk, ISS "x", AUD, NOW, NULL), JWT_ECLAIMS);
	assert_int_equal(jwt_verify(tok, n, pk, ISS, "", NOW, NULL), JWT_ECLAIMS);
	free(tok);
}

static void test_iat_in_future(void **state)
{
	struct jwt_claims c = claims();
	c.iat = NOW + 60;
	char *tok = sign(&c, sk);
	assert_int_equal(verify(tok), JWT_OK);
	free(tok);
	c.iat = NOW + 61;
	tok = sign(&c, sk);
	assert_int_equal(verify(tok), JWT_ECLAIMS);
	free(tok);
}

static void test_failure_leaves_out_untouched(void **state)
{
	struct jwt_claims c = claims(), out, ref;
	char *tok = sign(&c, sk2);
	memset(&out, 0x5A, sizeof out);
	ref = out;
	assert_int_equal(jwt_verify(tok, strlen(tok), pk, ISS, AUD, NOW, &out), JWT_ESIG);
	assert_memory_equal(&out, &ref, sizeof out);
	assert_int_equal(jwt_verify(tok, strlen(tok), pk2, ISS, AUD, c.exp, &out), JWT_EEXPIRED);
	assert_memory_equal(&out, &ref, sizeof out);
	free(tok);
}

static void test_bad_claims_signed(void **state)
{
	/* correctly signed but unusable payloads */
	static const char *payloads[] = {
	    "{}",
	    "[]",
	    "not json",
	    "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":42,\"iat\":1700000000,"
	    "\"exp\":1700000900,\"wid\":7,\"role\":\"member\",\"tv\":3}",
	    "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"4x2\",\"iat\":1700000000,"
	    "\"exp\":1700000900,\"wid\":7,\"role\":\"member\",\"tv\":3}",
	    "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"42\",\"iat\":1700000000,"
	    "\"exp\":\"1700000900\",\"wid\":7,\"role\":\"member\",\"tv\":3}",
	    "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"42\",\"iat\":1700000000,"
	    "\"exp\":1700000900.5,\"wid\":7,\"role\":\"member\",\"tv\":3}",
	    "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"42\",\"iat\":1700000000,"
	    "\"exp\":1700000900,\"wid\":7,\"role\":\"member\"}",
	    "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"42\",\"iat\":1700000000,"
	    "\"exp\":1700000900,\"wid\":7,\"role\":\"administrator-role\",\"tv\":3}",
	    "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"99999999999999999999\","
	    "\"iat\":1700000000,\"exp\":1700000900,\"wid\":7,\"role\":\"member\",\"tv\":3}",
	    "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"42\",\"iat\":1700000000,"
	    "\"exp\":1e300,\"wid\":7,\"role\":\"member\",\"tv\":3}",
	};
	for (size_t i = 0; i < sizeof payloads / sizeof payloads[0]; i++) {
		char *t = craft(good_header, payloads[i], sk);
		assert_int_equal(verify(t), JWT_EMALFORMED);
		free(t);
	}
	char *t = craft(good_header, good_payload, sk);
	assert_int_equal(verify(t), JWT_OK);
	free(t);
}

static void test_malformed(void **state)
{
	struct jwt_claims c = claims();
	char *tok = sign(&c, sk);
	char *d1 = must(strchr(tok, '.')), *d2 = must(strrchr(tok, '.'));
	char buf[8192];

	assert_int_equal(jwt_verify("", 0, pk, ISS, AUD, NOW, NULL), JWT_EMALFORMED);
	assert_int_equal(verify("."), JWT_EMALFORMED);
	assert_int_equal(verify(".."), JWT_EMALFORMED);
	assert_int_equal(verify("..."), JWT_EMALFORMED);
	assert_int_equal(verify("abc"), JWT_EMALFORMED);

	/* two parts */
	join(buf, sizeof buf, tok, (size_t)(d2 - tok), "", "");
	assert_int_equal(verify(buf), JWT_EMALFORMED);
	/* four parts */
	snprintf(buf, sizeof buf, "%s.", tok);
	assert_int_equal(verify(buf), JWT_EMALFORMED);
	snprintf(buf, sizeof buf, "%s.AAAA", tok);
	assert_int_equal(verify(buf), JWT_EMALFORMED);
	/* empty header or payload */
	snprintf(buf, sizeof buf, "%s", d1);
	assert_int_equal(verify(buf), JWT_EMALFORMED);
	join(buf, sizeof buf, tok, (size_t)(d1 - tok) + 1, d2, "");
	assert_int_equal(verify(buf), JWT_EMALFORMED);

	/* bad base64: characters outside the url alphabet, padding, whitespace */
	join(buf, sizeof buf, tok, (size_t)(d1 - tok), "!", d1);
	assert_int_equal(verify(buf), JWT_EMALFORMED);
	snprintf(buf, sizeof buf, "%s==", tok);
	assert_int_equal(verify(buf), JWT_EMALFORMED);
	snprintf(buf, sizeof buf, " %s", tok);
	assert_int_equal(verify(buf), JWT_EMALFORMED);
	snprintf(buf, sizeof buf, "%s", tok);
	buf[d2 - tok + 3] = '+';
	assert_int_equal(verify(buf), JWT_EMALFORMED);
	snprintf(buf, sizeof buf, "%s", tok);
	buf[d2 - tok + 3] = '/';
	assert_int_equal(verify(buf), JWT_EMALFORMED);
	/* header is not JSON */
	char *h = b64("{\"alg\":\"EdDSA\"", 14);
	snprintf(buf, sizeof buf, "%s%s", h, d1);
	assert_int_equal(verify(buf), JWT_EMALFORMED);
	free(h);

	/* an embedded NUL inside len */
	snprintf(buf, sizeof buf, "%s", tok);
	size_t n = strlen(buf);
	buf[5] = 0;
	assert_int_equal(jwt_verify(buf, n, pk, ISS, AUD, NOW, NULL), JWT_EMALFORMED);

	/* huge: a valid token followed by more than 4 KiB of padding, and a
	 * 4097-byte token-shaped string */
	memset(buf, 'A', sizeof buf);
	buf[100] = '.';
	buf[200] = '.';
	assert_int_equal(jwt_verify(buf, 4097, pk, ISS, AUD, NOW, NULL), JWT_EMALFORMED);
	assert_int_equal(jwt_verify(buf, sizeof buf, pk, ISS, AUD, NOW, NULL), JWT_EMALFORMED);
	char *big = malloc(1 << 20);
	assert_non_null(big);
	memset(big, 'A', 1 << 20);
	memcpy(big, tok, strlen(tok));
	assert_int_equal(jwt_verify(big, 1 << 20, pk, ISS, AUD, NOW, NULL), JWT_EMALFORMED);
	free(big);

	/* NULL arguments */
	assert_int_equal(jwt_verify(NULL, 10, pk, ISS, AUD, NOW, NULL), JWT_EMALFORMED);
	assert_int_equal(jwt_verify(tok, strlen(tok), NULL, ISS, AUD, NOW, NULL), JWT_EMALFORMED);
	free(tok);
}

/* ---- the verified-token cache ---- */

static uint64_t hits_of(const struct jwt_cache *c)
{
	uint64_t h;
	jwt_cache_stats(c, &h, NULL);
	return h;
}

static uint64_t misses_of(const struct jwt_cache *c)
{
	uint64_t m;
	jwt_cache_stats(c, NULL, &m);
	return m;
}

static void test_cache_hit_gives_the_same_claims(void **state)
{
	struct jwt_cache *c = jwt_cache_new(64);
	assert_non_null(c);
	struct jwt_claims in = claims(), a, b;
	char *t = sign(&in, sk);
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	assert_int_equal(jwt_verify_cached(c, t, strlen(t), pk, ISS, AUD, NOW, &a), JWT_OK);
	assert_int_equal(misses_of(c), 1);
	assert_int_equal(jwt_verify_cached(c, t, strlen(t), pk, ISS, AUD, NOW + 1, &b), JWT_OK);
	assert_int_equal(hits_of(c), 1);
	assert_memory_equal(&a, &b, sizeof a);
	/* checked against the arguments on a hit, as jwt_verify does */
	assert_int_equal(jwt_verify_cached(c, t, strlen(t), pk, ISS, "fechatter-files", NOW, &b),
	                 JWT_ECLAIMS);
	assert_int_equal(jwt_verify_cached(c, t, strlen(t), pk, "other", AUD, NOW, &b), JWT_ECLAIMS);
	assert_int_equal(jwt_verify_cached(c, t, strlen(t), pk, ISS, AUD, NOW - 61, &b),
	                 JWT_ECLAIMS); /* iat */
	assert_int_equal(hits_of(c), 4);
	/* another public key is another entry: that key did not sign it */
	assert_int_equal(jwt_verify_cached(c, t, strlen(t), pk2, ISS, AUD, NOW, &b), JWT_ESIG);
	assert_int_equal(misses_of(c), 2);
	/* expired on a hit: refused, and the entry dropped */
	assert_int_equal(jwt_verify_cached(c, t, strlen(t), pk, ISS, AUD, NOW + 900, &b), JWT_EEXPIRED);
	assert_int_equal(hits_of(c), 5);
	assert_int_equal(jwt_verify_cached(c, t, strlen(t), pk, ISS, AUD, NOW, &b), JWT_OK);
	assert_int_equal(misses_of(c), 3);
	free(t);
	jwt_cache_free(c);
}

static void test_cache_keeps_only_verified_tokens(void **state)
{
	struct jwt_cache *c = jwt_cache_new(64);
	struct jwt_claims in = claims(), out;
	char *t = sign(&in, sk2); /* signed by another key */
	for (int i = 0; i < 3; i++)
		assert_int_equal(jwt_verify_cached(c, t, strlen(t), pk, ISS, AUD, NOW, &out), JWT_ESIG);
	assert_int_equal(hits_of(c), 0);
	assert_int_equal(misses_of(c), 3);
	free(t);
	/* a valid token with its last signature character changed */
	t = sign(&in, sk);
	assert_int_equal(jwt_verify_cached(c, t, strlen(t), pk, ISS, AUD, NOW, &out), JWT_OK);
	size_t n = strlen(t);
	t[n - 2] = t[n - 2] == 'A' ? 'B' : 'A';
	assert_int_not_equal(jwt_verify_cached(c, t, n, pk, ISS, AUD, NOW, &out), JWT_OK);
	assert_int_equal(hits_of(c), 0);
	free(t);
	jwt_cache_free(c);
}

static void test_cache_is_bounded_lru(void **state)
{
	/* 8 entries: one set of 8 ways */
	struct jwt_cache *c = jwt_cache_new(8);
	char *t[9];
	struct jwt_claims in = claims(), out;
	for (int i = 0; i < 9; i++) {
		in.sub = 100 + i;
		t[i] = sign(&in, sk);
	}
	for (int i = 0; i < 8; i++)
		assert_int_equal(jwt_verify_cached(c, t[i], strlen(t[i]), pk, ISS, AUD, NOW, &out), JWT_OK);
	/* use token 0 again, so token 1 is now the least recently used */
	assert_int_equal(jwt_verify_cached(c, t[0], strlen(t[0]), pk, ISS, AUD, NOW, &out), JWT_OK);
	assert_int_equal(hits_of(c), 1);
	assert_int_equal(jwt_verify_cached(c, t[8], strlen(t[8]), pk, ISS, AUD, NOW, &out), JWT_OK);
	assert_int_equal(misses_of(c), 9);
	assert_int_equal(jwt_verify_cached(c, t[1], strlen(t[1]), pk, ISS, AUD, NOW, &out), JWT_OK);
	assert_int_equal(misses_of(c), 10); /* evicted */
	assert_int_equal(out.sub, 101);
	assert_int_equal(jwt_verify_cached(c, t[0], strlen(t[0]), pk, ISS, AUD, NOW, &out), JWT_OK);
	assert_int_equal(jwt_verify_cached(c, t[8], strlen(t[8]), pk, ISS, AUD, NOW, &out), JWT_OK);
	assert_int_equal(hits_of(c), 3); /* kept */
	assert_int_equal(out.sub, 108);
	for (int i = 0; i < 9; i++)
		free(t[i]);
	jwt_cache_free(c);
	/* no entries: no cache, plain verification */
	assert_null(jwt_cache_new(0));
	in.sub = 1;
	char *u = sign(&in, sk);
	assert_int_equal(jwt_verify_cached(NULL, u, strlen(u), pk, ISS, AUD, NOW, &out), JWT_OK);
	free(u);
	jwt_cache_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip),
	    cmocka_unit_test(test_cache_hit_gives_the_same_claims),
	    cmocka_unit_test(test_cache_keeps_only_verified_tokens),
	    cmocka_unit_test(test_cache_is_bounded_lru),
	    cmocka_unit_test(test_roundtrip_large_values),
	    cmocka_unit_test(test_sign_rejects_unterminated_strings),
	    cmocka_unit_test(test_tampered_payload),
	    cmocka_unit_test(test_tampered_signature),
	    cmocka_unit_test(test_empty_signature),
	    cmocka_unit_test(test_alg_none),
	    cmocka_unit_test(test_hs256_key_confusion),
	    cmocka_unit_test(test_other_key),
	    cmocka_unit_test(test_expiry),
	    cmocka_unit_test(test_wrong_iss_aud),
	    cmocka_unit_test(test_iat_in_future),
	    cmocka_unit_test(test_failure_leaves_out_untouched),
	    cmocka_unit_test(test_bad_claims_signed),
	    cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
