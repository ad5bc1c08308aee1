/* http/send_decode: the one reading of a message send, a JSON object sent
 * as an HTTP body (POST /api/chat/{id}/messages) or as a WebSocket "send"
 * op, into the use case's input (core/message: struct send_in). Pure: no
 * libwebsockets, no app state (a fuzzer reaches it through http/wsop), so
 * both transports accept the same forms and refuse bad input with the same
 * errors. */
#ifndef FE_SEND_DECODE_H
#define FE_SEND_DECODE_H
#include <cjson/cJSON.h>
#include <stdint.h>
#include "core/message.h"
#include "lib/err.h"

/* Reads j's fields, in this order so that every later error can carry the
 * key: idempotency_key (string), then chat_id (required, a positive id) when
 * chat_id is not NULL (the WebSocket form; HTTP takes it from the path),
 * content (string, absent or null: ""), reply_to (a positive id), files
 * (absent or null: none; else an array of at most MESSAGE_MAX_FILES file ids
 * or file urls, a url kept in in->file_urls for message_send to resolve).
 * Type and shape only: what the values name is checked by message_send.
 * Returns 0 with *in filled (strings borrowed from j, content trimmed), or
 * FE_EINVAL (VALIDATION_ERROR naming the field) with e set; in->
 * idempotency_key is set as soon as it was read, even on a later error. */
int send_decode(cJSON *j, int64_t *chat_id, struct send_in *in, struct fe_err *e);

#endif
