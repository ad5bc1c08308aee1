/* adapters/bus_codec: a domain event (ports/bus.h) as compact JSON text, and
 * back, for buses that carry events between hosts (adapters/nats_bus). The
 * text carries every field the bus's handlers read (core/cached,
 * http/realtime): the message with its files, mentions and reactions, the
 * chat row, the audience, the token version, and the origin id of the
 * appliance that published it. No libnats here, so the static build and its
 * unit tests have it too. */
#ifndef FE_BUS_CODEC_H
#define FE_BUS_CODEC_H
#include <stddef.h>
#include "ports/bus.h"

/* An event rebuilt from text: ev points into the rest of the struct (so
 * it is decoded in place and never copied). */
struct decoded_event {
	struct event ev;
	char origin[40];
	struct message msg;
	struct chat chat;
	char emoji[36];
	char status[16];
	char user_name[UTF8_BUF(50)];
	char idempotency_key[72];
	int64_t *audience; /* owned */
};

/* ev (borrowed) as JSON text tagged with origin (at most 39 bytes). Returns
 * owned NUL-terminated text (free()) with its length in *len; never NULL
 * (aborts when out of memory). */
char *bus_codec_encode(const struct event *ev, const char *origin, size_t *len);

/* Rebuilds the event of text (len bytes, not necessarily NUL-terminated)
 * into *out. Returns 0, or FE_EINVAL when the text is not an encoded event
 * (not JSON, unknown type, a field of the wrong kind): *out is then left
 * cleared. Free what it holds with bus_codec_clear. */
int bus_codec_decode(const char *text, size_t len, struct decoded_event *out);
/* Frees what *d owns (NULL-safe, idempotent). */
void bus_codec_clear(struct decoded_event *d);

/* The subject an event is carried on: "<prefix>.<workspace>.chat.<chat>"
 * for events of a chat (messages, reactions, chats, members, read markers,
 * typing), "<prefix>.<workspace>.user.<user>" for personal events
 * (presence, sessions revoked, user changed), "<prefix>.<workspace>.workspace"
 * for a workspace change. Writes at most n bytes (NUL included). */
void bus_codec_subject(const struct event *ev, const char *prefix, char *out, size_t n);

#endif
