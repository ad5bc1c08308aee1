/* tests/fuzz/fuzz_wsop: http/wsop on arbitrary client frames. The first
 * input byte picks the part: even, wsop_decode() on the rest (a text
 * message); odd, wsframe_scan() on the rest (raw socket bytes), fed in
 * pieces whose sizes come from the other bits of that byte, checked against
 * a one-shot scan and a reference walk of RFC 6455 frame headers. */
#include <ctype.h>
#include "fuzz.h"
#include "http/wsop.h"
#include "lib/utf8.h"

#define ID_MAX (INT64_MAX / 2)

/* a decoded string: present, UTF-8, trimmed as jstr promises */
static int good_str(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	return s && utf8_valid(s, n) &&
	       (!n || (!isspace((unsigned char)s[0]) && !isspace((unsigned char)s[n - 1])));
}

static void check_decode(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1); /* exact size, not NUL-terminated */
	if (!text)
		abort();
	if (size)
		memcpy(text, data, size);
	struct wsop op;
	struct fe_err e = {0};
	memset(&op, 0x5a, sizeof op); /* wsop_decode must set everything */
	int rc = wsop_decode(text, size, &op, &e);
	static const char *const names[] = {"auth", "send", "typing", "read", "presence", "ping"};
	if (op.name) {
		CHECK(good_str(op.name) && op.json && cJSON_IsObject(op.json));
		enum wsop_kind k = WSOP_UNKNOWN;
		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
			if (!strcmp(op.name, names[i]))
				k = (enum wsop_kind)i;
		CHECK(op.kind == k);
	}
	if (rc) {
		CHECK(rc == FE_EINVAL && e.rc == rc && e.code && e.message[0]);
		int nul = memchr(text, 0, size) || fuzz_has_nul_escape(text, size);
		if (!op.name)
			CHECK(!strcmp(e.code, "INVALID_JSON"));
		else if (nul) /* a NUL character: refused whatever the op */
			CHECK(!strcmp(e.code, "INVALID_JSON"));
		else
			CHECK(!strcmp(e.code, "VALIDATION_ERROR") && e.field);
		/* every error answering a send carries its key when it could be read */
		if (op.name && op.kind == WSOP_SEND) {
			cJSON *k = cJSON_GetObjectItemCaseSensitive(op.json, "idempotency_key");
			if (cJSON_IsString(k)) { /* the key, trimmed in place */
				CHECK(op.key && op.key >= k->valuestring && good_str(op.key));
				for (const char *c = k->valuestring; c < op.key; c++)
					CHECK(isspace((unsigned char)*c));
			}
		}
	} else {
		/* accepted: UTF-8 JSON without NUL characters, an object with an op */
		CHECK(op.name && utf8_valid(text, size));
		CHECK(!memchr(text, 0, size) && !fuzz_has_nul_escape(text, size));
		/* one JSON value and white space: a second one is not dropped */
		const char *end = NULL;
		cJSON *again = cJSON_ParseWithLengthOpts(text, size, &end, 0);
		CHECK(again && end);
		for (size_t k = (size_t)(end - text); k < size; k++)
			CHECK(strchr(" \t\r\n", text[k]) && text[k]);
		cJSON_Delete(again);
		switch (op.kind) {
		case WSOP_AUTH:
			CHECK(good_str(op.token));
			break;
		case WSOP_SEND:
			CHECK(op.chat_id >= 1 && op.chat_id <= ID_MAX);
			CHECK(good_str(op.send.content) && op.send.idempotency_key == op.key);
			CHECK(!op.key || good_str(op.key));
			CHECK(op.send.reply_to == 0 || (op.send.reply_to >= 1 && op.send.reply_to <= ID_MAX));
			CHECK(op.send.nfiles <= MESSAGE_MAX_FILES);
			for (size_t i = 0; i < op.send.nfiles; i++)
				CHECK(op.send.files[i] >= 1 && op.send.files[i] <= 9007199254740991LL);
			break;
		case WSOP_TYPING:
			CHECK(op.chat_id >= 1 && op.chat_id <= ID_MAX &&
			      (op.typing_on == 0 || op.typing_on == 1));
			break;
		case WSOP_READ:
			CHECK(op.chat_id >= 1 && op.chat_id <= ID_MAX);
			CHECK(op.message_id >= 1 && op.message_id <= ID_MAX);
			break;
		case WSOP_PRESENCE:
			CHECK(good_str(op.status));
			break;
		default:
			break;
		}
	}
	wsop_free(&op);
	CHECK(op.json == NULL);
	wsop_free(&op); /* twice is safe */
	free(text);
}

/* The reference: walks frame headers over all n bytes at once. Returns the
 * verdict with *at the offset of the offending frame. */
static int ref_scan(const uint8_t *p, size_t n, size_t *at)
{
	size_t pos = 0;
	while (pos < n) {
		if (p[pos] & 0x70) {
			*at = pos;
			return WSF_RSV;
		}
		if (pos + 1 >= n)
			return WSF_OK;
		if (!(p[pos + 1] & 0x80)) {
			*at = pos;
			return WSF_UNMASKED;
		}
		unsigned len7 = p[pos + 1] & 0x7f;
		size_t ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
		size_t hdr = 2 + ext + 4;
		if (n - pos < 2 + ext)
			return WSF_OK;
		uint64_t len = len7 < 126 ? len7 : 0;
		for (size_t i = 0; i < ext; i++)
			len = len << 8 | p[pos + 2 + i];
		if (n - pos < hdr || len > n - pos - hdr)
			return WSF_OK; /* the rest is this frame's */
		pos += hdr + (size_t)len;
	}
	return WSF_OK;
}

static uint32_t rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static void check_frames(uint8_t seed, const uint8_t *p, size_t n)
{
	size_t ref_at = 0, one_at = 0;
	int ref = ref_scan(p, n, &ref_at);
	struct wsframe_scan one = {0};
	int v1 = wsframe_scan(&one, p, n, &one_at);
	CHECK(v1 == ref);
	if (v1)
		CHECK(one_at == ref_at);

	/* the same bytes in pieces: 1 byte, up to 8, up to 300, or any size
	 * (empty pieces too), as reads return them */
	static const uint32_t caps[4] = {1, 8, 300, 0};
	uint32_t cap = caps[seed & 3], x = 0x9e3779b9u ^ seed ^ (uint32_t)n * 2654435761u;
	struct wsframe_scan st = {0};
	int v = WSF_OK;
	size_t off = 0, at = 0, len = 0;
	while (off < n) {
		len = cap ? 1 + rnd(&x) % cap : rnd(&x) % (n - off + 1);
		if (len > n - off)
			len = n - off;
		v = wsframe_scan(&st, p + off, len, &at);
		if (v)
			break;
		off += len;
	}
	CHECK(v == ref);
	if (v) {
		/* the piece holds the offending byte; at names the frame's start
		 * in this piece, or 0 when the frame began in earlier bytes */
		size_t bad = ref_at + (v == WSF_UNMASKED);
		CHECK(bad >= off && bad < off + len);
		CHECK(at == (ref_at >= off ? ref_at - off : 0));
	} else {
		CHECK(st.state == one.state && st.need == one.need && st.left == one.left);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (data[0] & 1)
		check_frames(data[0] >> 1, data + 1, size - 1);
	else
		check_decode(data + 1, size - 1);
	return 0;
}
