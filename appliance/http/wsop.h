/* http/wsop: decoding one WebSocket client frame into an op. Pure: no
 * libwebsockets, no app state, so a fuzz harness can drive it directly;
 * http/ws dispatches the decoded op. */
#ifndef FE_WSOP_H
#define FE_WSOP_H
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include "core/message.h"
#include "lib/err.h"

enum wsop_kind { WSOP_AUTH, WSOP_SEND, WSOP_TYPING, WSOP_READ, WSOP_PRESENCE, WSOP_PING, WSOP_UNKNOWN };

struct wsop {
	enum wsop_kind kind;
	const char *name;    /* the op as sent, NULL when unreadable */
	const char *key;     /* send: idempotency_key (NULL when absent) */
	const char *token;   /* auth */
	int64_t chat_id;     /* send, typing, read */
	int64_t message_id;  /* read */
	int typing_on;       /* typing: 1 start, 0 stop */
	const char *status;  /* presence */
	struct send_in send; /* send: content, key, reply_to, files */
	cJSON *json;         /* owned: the strings above point into it */
};

/* Decodes one complete text message of len bytes (need not be
 * NUL-terminated). Returns 0 with *op filled, or an FE_E* code with e set:
 * INVALID_JSON when the frame is not UTF-8 JSON (one value, then only white
 * space) with a string "op" (op->name NULL) or holds a NUL character, raw or
 * as a \u0000 escape (json_has_nul; op->name and a send's op->key set), else
 * the field's VALIDATION_ERROR with op->name (and op->key for a send whose
 * key could be read) set so the error can name them. An unknown op decodes
 * (kind WSOP_UNKNOWN). Always release with wsop_free(). */
int wsop_decode(const char *text, size_t len, struct wsop *op, struct fe_err *e);

/* Frees what wsop_decode() allocated (safe on a zeroed or failed op). */
void wsop_free(struct wsop *op);

/* A scanner of the frame headers a client sends (RFC 6455 5.2), fed the
 * bytes as they are read from the socket: lws 4.1.6 neither checks that a
 * client masks its frames (5.1) nor, built without extensions, refuses RSV1;
 * http/wsguard feeds it. Zero-initialised = at a frame boundary. */
struct wsframe_scan {
	uint8_t state; /* header byte 0, byte 1, extended length, mask key, payload */
	uint8_t need;  /* bytes left of the extended length or the mask key */
	uint64_t left; /* payload bytes left (the length while it is read) */
};

enum { WSF_OK = 0, WSF_RSV, WSF_UNMASKED };

/* Scans n bytes. Returns WSF_OK, or the first violation (a reserved bit
 * set, or a frame without the mask bit) with *at set to the offset in p of
 * the start of the frame that holds it (0 when it began in earlier bytes).
 * After a violation the scanner state is unspecified. */
int wsframe_scan(struct wsframe_scan *st, const unsigned char *p, size_t n, size_t *at);

#endif
