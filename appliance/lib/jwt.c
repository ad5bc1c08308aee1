/* lib/jwt: EdDSA (Ed25519) JSON Web Tokens for access tokens. Signing and
 * verification with libsodium, base64url without padding, claims as JSON via
 * cJSON. Verification is strict: exactly three parts, header alg exactly
 * "EdDSA", signature checked before the payload is parsed, then iss, aud,
 * exp and iat against the caller's clock. */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/jwt.h"

#define TOKEN_MAX 4096
#define IAT_SKEW 60 /* seconds an iat may lie in the future */
/* Numeric claims must stay below 2^53 in magnitude: cJSON parses numbers into
 * doubles (and prints them with 15 significant digits), so larger integers
 * would silently change. Signing writes them as exact decimal text. */
#define JSON_INT_MAX 9007199254740991LL

static const char header_json[] = "{\"alg\":\"EdDSA\",\"typ\":\"JWT\"}";

/* base64url of n bytes appended at dst; returns the number of characters written. */
static size_t b64_put(char *dst, size_t dstlen, const unsigned char *src, size_t n)
{
	sodium_bin2base64(dst, dstlen, src, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return strlen(dst);
}

/* Decodes the base64url text s (n chars, no padding, canonical) into out
 * (outlen bytes). Returns the decoded length or -1. */
static long b64_get(unsigned char *out, size_t outlen, const char *s, size_t n)
{
	size_t len = 0;
	if (sodium_base642bin(out, outlen, s, n, NULL, &len, NULL,
	                      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return -1;
	return (long)len;
}

/* Copies a JSON string member into dst (size bytes); 0 or -1 (missing, not a
 * string, too long). */
static int get_str(const cJSON *obj, const char *name, char *dst, size_t size)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
	if (!cJSON_IsString(it) || !it->valuestring)
		return -1;
	size_t n = strlen(it->valuestring);
	if (n >= size)
		return -1;
	memcpy(dst, it->valuestring, n + 1);
	return 0;
}

/* Reads a JSON number member that is an integer exactly representable as a
 * double; 0 or -1. */
static int get_int(const cJSON *obj, const char *name, int64_t *out)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
	if (!cJSON_IsNumber(it))
		return -1;
	double v = it->valuedouble;
	if (!(v >= (double)-JSON_INT_MAX && v <= (double)JSON_INT_MAX))
		return -1; /* also rejects NaN */
	int64_t i = (int64_t)v;
	if ((double)i != v)
		return -1;
	*out = i;
	return 0;
}

/* Parses a canonical decimal string ("0" or [1-9][0-9]*, optional leading
 * '-') into an int64; 0 or -1. */
static int parse_dec(const char *s, int64_t *out)
{
	int neg = 0;
	if (*s == '-') {
		neg = 1;
		s++;
	}
	if (!*s || (s[0] == '0' && s[1]) || strlen(s) > 19)
		return -1;
	uint64_t v = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (v > (uint64_t)INT64_MAX + (uint64_t)neg)
		return -1;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

static int fits(const char *s, size_t size)
{
	return strnlen(s, size) < size;
}

/* Adds an integer member as exact decimal text; 0 when out of range. */
static int add_int(cJSON *o, const char *name, int64_t v)
{
	char buf[24];
	if (v > JSON_INT_MAX || v < -JSON_INT_MAX)
		return 0;
	snprintf(buf, sizeof buf, "%" PRId64, v);
	return cJSON_AddRawToObject(o, name, buf) != NULL;
}

char *jwt_sign(const struct jwt_claims *c, const unsigned char sk[64])
{
	if (!c || !sk || sodium_init() < 0)
		return NULL;
	if (!fits(c->iss, sizeof c->iss) || !fits(c->aud, sizeof c->aud) || !fits(c->role, sizeof c->role))
		return NULL;

	char sub[24];
	snprintf(sub, sizeof sub, "%" PRId64, c->sub);
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	int ok = cJSON_AddStringToObject(o, "iss", c->iss) && cJSON_AddStringToObject(o, "aud", c->aud) &&
	         cJSON_AddStringToObject(o, "sub", sub) && add_int(o, "iat", c->iat) &&
	         add_int(o, "exp", c->exp) && add_int(o, "wid", c->workspace_id) &&
	         cJSON_AddStringToObject(o, "role", c->role) && add_int(o, "tv", c->token_version);
	char *payload = ok ? cJSON_PrintUnformatted(o) : NULL;
	cJSON_Delete(o);
	if (!payload)
		return NULL;

	size_t hlen = sizeof header_json - 1, plen = strlen(payload);
	size_t cap = sodium_base64_ENCODED_LEN(hlen, sodium_base64_VARIANT_URLSAFE_NO_PADDING) +
	             sodium_base64_ENCODED_LEN(plen, sodium_base64_VARIANT_URLSAFE_NO_PADDING) +
	             sodium_base64_ENCODED_LEN(crypto_sign_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING) +
	             2;
	char *tok = malloc(cap);
	if (!tok) {
		free(payload);
		return NULL;
	}
	size_t n = b64_put(tok, cap, (const unsigned char *)header_json, hlen);
	tok[n++] = '.';
	n += b64_put(tok + n, cap - n, (const unsigned char *)payload, plen);
	free(payload);

	unsigned char sig[crypto_sign_BYTES];
	if (crypto_sign_detached(sig, NULL, (const unsigned char *)tok, n, sk) != 0) {
		free(tok);
		return NULL;
	}
	tok[n++] = '.';
	b64_put(tok + n, cap - n, sig, sizeof sig);
	if (strlen(tok) > TOKEN_MAX) { /* claims are bounded, so this cannot happen */
		free(tok);
		return NULL;
	}
	return tok;
}

/* Decodes and parses the header part; JWT_OK, JWT_EMALFORMED or JWT_EALG. */
static int check_header(const char *s, size_t n)
{
	unsigned char buf[TOKEN_MAX];
	long len = b64_get(buf, sizeof buf - 1, s, n);
	if (len <= 0 || memchr(buf, 0, (size_t)len))
		return JWT_EMALFORMED;
	buf[len] = 0;
	cJSON *h = cJSON_ParseWithOpts((const char *)buf, NULL, 1);
	if (!cJSON_IsObject(h)) {
		cJSON_Delete(h);
		return JWT_EMALFORMED;
	}
	int rc = JWT_OK;
	const cJSON *alg = cJSON_GetObjectItemCaseSensitive(h, "alg");
	const cJSON *typ = cJSON_GetObjectItemCaseSensitive(h, "typ");
	if (!cJSON_IsString(alg) || strcmp(alg->valuestring, "EdDSA") != 0)
		rc = JWT_EALG;
	else if (typ && (!cJSON_IsString(typ) || strcmp(typ->valuestring, "JWT") != 0))
		rc = JWT_EMALFORMED;
	else if (cJSON_GetObjectItemCaseSensitive(h, "crit"))
		rc = JWT_EMALFORMED; /* no extensions are understood */
	cJSON_Delete(h);
	return rc;
}

/* Decodes and parses the (already authenticated) payload into c. */
static int parse_payload(const char *s, size_t n, struct jwt_claims *c)
{
	unsigned char buf[TOKEN_MAX];
	long len = b64_get(buf, sizeof buf - 1, s, n);
	if (len <= 0 || memchr(buf, 0, (size_t)len))
		return JWT_EMALFORMED;
	buf[len] = 0;
	cJSON *p = cJSON_ParseWithOpts((const char *)buf, NULL, 1);
	int rc = JWT_EMALFORMED;
	char sub[24];
	if (cJSON_IsObject(p) && get_str(p, "iss", c->iss, sizeof c->iss) == 0 &&
	    get_str(p, "aud", c->aud, sizeof c->aud) == 0 && get_str(p, "sub", sub, sizeof sub) == 0 &&
	    parse_dec(sub, &c->sub) == 0 && get_int(p, "iat", &c->iat) == 0 &&
	    get_int(p, "exp", &c->exp) == 0 && get_int(p, "wid", &c->workspace_id) == 0 &&
	    get_str(p, "role", c->role, sizeof c->role) == 0 && get_int(p, "tv", &c->token_version) == 0)
		rc = JWT_OK;
	cJSON_Delete(p);
	return rc;
}

int jwt_verify(const char *token, size_t len, const unsigned char pk[32], const char *iss, const char *aud,
               int64_t now, struct jwt_claims *out)
{
	if (!token || !pk || !iss || !aud || sodium_init() < 0)
		return JWT_EMALFORMED;
	if (len == 0 || len > TOKEN_MAX || memchr(token, 0, len))
		return JWT_EMALFORMED;

	const char *d1 = memchr(token, '.', len);
	if (!d1)
		return JWT_EMALFORMED;
	const char *d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token));
	if (!d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)))
		return JWT_EMALFORMED;
	size_t hlen = (size_t)(d1 - token), plen = (size_t)(d2 - d1 - 1);
	size_t slen = len - (size_t)(d2 + 1 - token);
	if (hlen == 0 || plen == 0)
		return JWT_EMALFORMED;

	int rc = check_header(token, hlen);
	if (rc != JWT_OK)
		return rc;

	/* the signature covers "header.payload" exactly as transmitted */
	unsigned char sig[crypto_sign_BYTES + 1];
	if (slen == 0)
		return JWT_ESIG;
	long siglen = b64_get(sig, sizeof sig, d2 + 1, slen);
	if (siglen < 0)
		return JWT_EMALFORMED;
	if (siglen != crypto_sign_BYTES)
		return JWT_ESIG;
	if (crypto_sign_verify_detached(sig, (const unsigned char *)token, (size_t)(d2 - token), pk) != 0)
		return JWT_ESIG;

	struct jwt_claims c;
	memset(&c, 0, sizeof c);
	rc = parse_payload(d1 + 1, plen, &c);
	if (rc != JWT_OK)
		return rc;
	if (strcmp(c.iss, iss) != 0 || strcmp(c.aud, aud) != 0)
		return JWT_ECLAIMS;
	if (now >= c.exp)
		return JWT_EEXPIRED;
	if (c.iat > now + IAT_SKEW)
		return JWT_ECLAIMS;
	if (out)
		*out = c;
	return JWT_OK;
}

/* ---- the verified-token cache ---- */

#define WAYS 8
#define HASH_BYTES crypto_generichash_BYTES /* 32 */

struct jwt_slot {
	unsigned char h[HASH_BYTES];
	uint64_t used; /* LRU stamp; 0 = empty */
	struct jwt_claims c;
};

struct jwt_cache {
	unsigned char key[crypto_generichash_KEYBYTES];
	size_t nsets;
	uint64_t tick, hits, misses;
	struct jwt_slot *slots; /* nsets * WAYS */
};

struct jwt_cache *jwt_cache_new(size_t entries)
{
	if (!entries || sodium_init() < 0)
		return NULL;
	struct jwt_cache *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->nsets = (entries + WAYS - 1) / WAYS;
	c->slots = calloc(c->nsets * WAYS, sizeof *c->slots);
	if (!c->slots) {
		free(c);
		return NULL;
	}
	crypto_generichash_keygen(c->key);
	return c;
}

void jwt_cache_free(struct jwt_cache *c)
{
	if (!c)
		return;
	sodium_memzero(c->key, sizeof c->key);
	free(c->slots);
	free(c);
}

void jwt_cache_stats(const struct jwt_cache *c, uint64_t *hits, uint64_t *misses)
{
	if (hits)
		*hits = c ? c->hits : 0;
	if (misses)
		*misses = c ? c->misses : 0;
}

/* The claims checks jwt_verify makes after the signature, in its order. */
static int check_claims(const struct jwt_claims *c, const char *iss, const char *aud, int64_t now)
{
	if (strcmp(c->iss, iss) != 0 || strcmp(c->aud, aud) != 0)
		return JWT_ECLAIMS;
	if (now >= c->exp)
		return JWT_EEXPIRED;
	if (c->iat > now + IAT_SKEW)
		return JWT_ECLAIMS;
	return JWT_OK;
}

int jwt_verify_cached(struct jwt_cache *c, const char *token, size_t len, const unsigned char pk[32],
                      const char *iss, const char *aud, int64_t now, struct jwt_claims *out)
{
	if (!c || !token || !pk || !iss || !aud || len == 0 || len > TOKEN_MAX)
		return jwt_verify(token, len, pk, iss, aud, now, out);
	unsigned char h[HASH_BYTES];
	crypto_generichash_state st;
	crypto_generichash_init(&st, c->key, sizeof c->key, sizeof h);
	crypto_generichash_update(&st, pk, 32);
	crypto_generichash_update(&st, (const unsigned char *)token, len);
	crypto_generichash_final(&st, h, sizeof h);
	uint64_t ix;
	memcpy(&ix, h, sizeof ix);
	struct jwt_slot *set = c->slots + (ix % c->nsets) * WAYS, *victim = set;
	for (int i = 0; i < WAYS; i++) {
		struct jwt_slot *s = &set[i];
		if (s->used && sodium_memcmp(s->h, h, sizeof h) == 0) {
			c->hits++;
			int rc = check_claims(&s->c, iss, aud, now);
			if (rc == JWT_EEXPIRED) {
				memset(s, 0, sizeof *s);
				return rc;
			}
			if (rc != JWT_OK)
				return rc;
			s->used = ++c->tick;
			if (out)
				*out = s->c;
			return JWT_OK;
		}
		if (s->used < victim->used)
			victim = s;
	}
	c->misses++;
	struct jwt_claims claims;
	int rc = jwt_verify(token, len, pk, iss, aud, now, &claims);
	if (rc != JWT_OK)
		return rc;
	memcpy(victim->h, h, sizeof h);
	victim->c = claims;
	victim->used = ++c->tick;
	if (out)
		*out = claims;
	return JWT_OK;
}
