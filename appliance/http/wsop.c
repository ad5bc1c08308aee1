/* http/wsop: WebSocket op decoding (pure). */
#include <string.h>
#include "http/jsonio.h"
#include "http/send_decode.h"
#include "http/wsop.h"
#include "lib/utf8.h"

#define ID_MAX (INT64_MAX / 2)

/* The send decoder shared with HTTP (http/send_decode); op->key is the
 * key as soon as it was read, so that every later error can carry it. */
static int decode_send(struct wsop *op, struct fe_err *e)
{
	int rc = send_decode(op->json, &op->chat_id, &op->send, e);
	op->key = op->send.idempotency_key;
	return rc;
}

int wsop_decode(const char *text, size_t len, struct wsop *op, struct fe_err *e)
{
	static const struct {
		const char *name;
		enum wsop_kind kind;
	} ops[] = {
	    {"auth", WSOP_AUTH}, {"send", WSOP_SEND},         {"typing", WSOP_TYPING},
	    {"read", WSOP_READ}, {"presence", WSOP_PRESENCE}, {"ping", WSOP_PING},
	};
	memset(op, 0, sizeof *op);
	op->kind = WSOP_UNKNOWN;
	const char *end = NULL;
	op->json = utf8_valid(text, len) ? cJSON_ParseWithLengthOpts(text, len, &end, 0) : NULL;
	if (op->json && end) { /* one JSON value, then nothing but white space */
		size_t k = (size_t)(end - text);
		while (k < len && (text[k] == ' ' || text[k] == '\t' || text[k] == '\n' || text[k] == '\r'))
			k++;
		if (k != len) {
			cJSON_Delete(op->json);
			op->json = NULL;
		}
	}
	const char *name = NULL;
	if (!op->json || !cJSON_IsObject(op->json) || jstr(op->json, "op", 1, &name, NULL) || !name)
		return err_set(e, FE_EINVAL, "INVALID_JSON", NULL,
		               "a frame must be a JSON object with an op");
	op->name = name;
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (!strcmp(name, ops[i].name))
			op->kind = ops[i].kind;
	cJSON *j = op->json;
	/* a NUL character would cut a value short: refused as in request
	 * bodies, the error naming the op (and a send's key) when readable */
	if (json_has_nul(text, len)) {
		if (op->kind == WSOP_SEND)
			jstr(j, "idempotency_key", 0, &op->key, NULL);
		return err_set(e, FE_EINVAL, "INVALID_JSON", NULL, "NUL characters are not allowed");
	}
	const char *state;
	int rc;
	switch (op->kind) {
	case WSOP_AUTH:
		return jstr(j, "token", 1, &op->token, e);
	case WSOP_SEND:
		return decode_send(op, e);
	case WSOP_TYPING:
		if ((rc = jint(j, "chat_id", 1, 1, ID_MAX, &op->chat_id, e)) ||
		    (rc = jstr(j, "state", 1, &state, e)))
			return rc;
		if (strcmp(state, "start") && strcmp(state, "stop"))
			return err_set(e, FE_EINVAL, "VALIDATION_ERROR", "state",
			               "state must be start or stop");
		op->typing_on = !strcmp(state, "start");
		return 0;
	case WSOP_READ:
		if ((rc = jint(j, "chat_id", 1, 1, ID_MAX, &op->chat_id, e)))
			return rc;
		return jint(j, "message_id", 1, 1, ID_MAX, &op->message_id, e);
	case WSOP_PRESENCE:
		return jstr(j, "status", 1, &op->status, e);
	default:
		return 0;
	}
}

void wsop_free(struct wsop *op)
{
	cJSON_Delete(op->json);
	op->json = NULL;
}

enum { F_B0, F_B1, F_EXT, F_KEY, F_PAY };

int wsframe_scan(struct wsframe_scan *st, const unsigned char *p, size_t n, size_t *at)
{
	size_t start = 0; /* where the current frame began in p */
	for (size_t i = 0; i < n; i++) {
		unsigned char b = p[i];
		switch (st->state) {
		case F_B0:
			start = i;
			if (b & 0x70) {
				*at = start;
				return WSF_RSV;
			}
			st->state = F_B1;
			break;
		case F_B1:
			if (!(b & 0x80)) {
				*at = start;
				return WSF_UNMASKED;
			}
			b &= 0x7f;
			st->left = b < 126 ? b : 0;
			st->need = b == 126 ? 2 : b == 127 ? 8 : 4;
			st->state = b < 126 ? F_KEY : F_EXT;
			break;
		case F_EXT:
			st->left = st->left << 8 | b;
			if (--st->need == 0) {
				st->need = 4;
				st->state = F_KEY;
			}
			break;
		case F_KEY:
			if (--st->need == 0)
				st->state = st->left ? F_PAY : F_B0;
			break;
		default: { /* F_PAY: skip the payload */
			uint64_t k = n - i < st->left ? n - i : st->left;
			st->left -= k;
			i += (size_t)k - 1;
			if (!st->left)
				st->state = F_B0;
			break;
		}
		}
	}
	return WSF_OK;
}
