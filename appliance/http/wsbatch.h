/* http/wsbatch: packs several outbound messages of one connection into one
 * buffer, so that one send carries them (pure: no lws, no I/O). A WebSocket
 * message becomes one unmasked text frame (RFC 6455 5.2: FIN, opcode 1, the
 * payload length in 7, 7+16 or 7+64 bits), exactly the bytes lws_write(...,
 * LWS_WRITE_TEXT) would put on the wire; an SSE message goes as it is. */
#ifndef FE_WSBATCH_H
#define FE_WSBATCH_H
#include <stddef.h>
#include <stdint.h>

#define WSB_HDR_MAX 10 /* longest server frame header */

/* Writes the header of a server text frame of len payload bytes into out
 * (WSB_HDR_MAX bytes of room). Returns its length: 2, 4 or 10. */
size_t wsb_text_header(unsigned char *out, uint64_t len);

/* Appends one message (p, len) to the batch out[0..used), as a text frame
 * when ws is 1 or as it is when ws is 0, if it fits whole within cap bytes.
 * Returns the new used length, or 0 when it does not fit (out is then
 * untouched: a message is never cut at the end of a batch). */
size_t wsb_put(unsigned char *out, size_t cap, size_t used, int ws, const void *p, size_t len);

#endif
