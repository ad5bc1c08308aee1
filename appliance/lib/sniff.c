/* lib/sniff: magic numbers after the WHATWG MIME sniffing standard's table. */
#include <string.h>
#include "lib/sniff.h"
#include "lib/utf8.h"

static const struct sniffed types[] = {
    {"image/png", "png", 1},
    {"image/jpeg", "jpg", 1},
    {"image/gif", "gif", 1},
    {"image/webp", "webp", 1},
    {"application/pdf", "pdf", 0},
    {"application/zip", "zip", 0},
    {"application/gzip", "gz", 0},
    {"video/mp4", "mp4", 0},
    {"video/webm", "webm", 0},
    {"audio/mpeg", "mp3", 0},
    {"audio/ogg", "ogg", 0},
    {"audio/wav", "wav", 0},
    {"text/plain; charset=utf-8", "txt", 0},
    {"application/octet-stream", "bin", 0},
};
enum { PNG, JPG, GIF, WEBP, PDF, ZIP, GZ, MP4, WEBM, MP3, OGG, WAV, TXT, BIN };

static int starts(const unsigned char *h, size_t len, size_t off, const char *magic, size_t n)
{
	return len >= off + n && !memcmp(h + off, magic, n);
}

struct sniffed sniff(const unsigned char *h, size_t len, int complete)
{
	if (starts(h, len, 0, "\x89PNG\r\n\x1a\n", 8))
		return types[PNG];
	if (starts(h, len, 0, "\xff\xd8\xff", 3))
		return types[JPG];
	if (starts(h, len, 0, "GIF87a", 6) || starts(h, len, 0, "GIF89a", 6))
		return types[GIF];
	if (starts(h, len, 0, "RIFF", 4) && starts(h, len, 8, "WEBP", 4))
		return types[WEBP];
	if (starts(h, len, 0, "RIFF", 4) && starts(h, len, 8, "WAVE", 4))
		return types[WAV];
	if (starts(h, len, 0, "%PDF-", 5))
		return types[PDF];
	if (starts(h, len, 0, "PK\x03\x04", 4))
		return types[ZIP];
	if (starts(h, len, 0, "\x1f\x8b\x08", 3))
		return types[GZ];
	if (starts(h, len, 4, "ftyp", 4))
		return types[MP4];
	if (starts(h, len, 0, "\x1a\x45\xdf\xa3", 4))
		return types[WEBM];
	if (starts(h, len, 0, "ID3", 3) || (len >= 2 && h[0] == 0xff && (h[1] & 0xe0) == 0xe0))
		return types[MP3];
	if (starts(h, len, 0, "OggS", 4))
		return types[OGG];
	/* text: valid UTF-8 without NUL (a cut multi-byte character at the end of
	 * an incomplete head is forgiven) */
	size_t n = len > 512 ? 512 : len;
	if (memchr(h, 0, n))
		return types[BIN];
	if (utf8_valid((const char *)h, n))
		return types[TXT];
	if (complete && len <= n)
		return types[BIN];
	/* the head may end inside a character: forgive only a valid start of one */
	for (size_t cut = 1; cut < 4 && cut < n; cut++) {
		unsigned char lead = h[n - cut];
		size_t need = lead >= 0xF0 && lead <= 0xF4  ? 4
		              : lead >= 0xE0 && lead < 0xF0 ? 3
		              : lead >= 0xC2 && lead < 0xE0 ? 2
		                                            : 0;
		if ((lead & 0xC0) == 0x80)
			continue; /* a continuation byte: look further back for the lead */
		if (need > cut && utf8_valid((const char *)h, n - cut))
			return types[TXT];
		break;
	}
	return types[BIN];
}

const struct sniffed *sniff_by_ext(const char *ext)
{
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (!strcmp(types[i].ext, ext))
			return &types[i];
	return NULL;
}
