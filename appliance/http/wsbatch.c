/* http/wsbatch: frame headers and batch packing for the real-time writer. */
#include <string.h>
#include "http/wsbatch.h"

size_t wsb_text_header(unsigned char *out, uint64_t len)
{
	out[0] = 0x81; /* FIN, text */
	if (len < 126) {
		out[1] = (unsigned char)len;
		return 2;
	}
	if (len <= 0xffff) {
		out[1] = 126;
		out[2] = (unsigned char)(len >> 8);
		out[3] = (unsigned char)len;
		return 4;
	}
	out[1] = 127;
	for (int i = 0; i < 8; i++)
		out[2 + i] = (unsigned char)(len >> (56 - 8 * i));
	return 10;
}

size_t wsb_put(unsigned char *out, size_t cap, size_t used, int ws, const void *p, size_t len)
{
	unsigned char hdr[WSB_HDR_MAX];
	size_t h = ws ? wsb_text_header(hdr, len) : 0;
	if (used > cap || len > cap - used || h > cap - used - len)
		return 0;
	memcpy(out + used, hdr, h);
	memcpy(out + used + h, p, len);
	return used + h + len;
}
