/* tests/fuzz/fuzz_range: http/range on arbitrary Range headers against a
 * file size taken from the first 8 input bytes. */
#include "fuzz.h"
#include "http/range.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t fsize = 0;
	if (size >= 8) {
		uint64_t u = 0;
		memcpy(&u, data, 8);
		/* a few small sizes often, any non-negative size sometimes */
		fsize = (u >> 63) ? (int64_t)(u & INT64_MAX) : (int64_t)(u % 4096);
		data += 8;
		size -= 8;
	}
	char *h = fuzz_str(data, size > 200 ? 200 : size); /* the handler reads at most 95 bytes */
	int64_t off = -7, len = -7;
	int rc = range_parse(h, fsize, &off, &len);
	CHECK(rc >= -1 && rc <= 1);
	if (rc == 1) {
		CHECK(off >= 0 && len >= 1);
		CHECK(off < fsize && len <= fsize - off); /* inside the file */
	} else {
		CHECK(off == -7 && len == -7); /* untouched */
	}
	if (rc != 0)
		CHECK(!strncmp(h, "bytes=", 6) && !strchr(h, ','));
	free(h);
	return 0;
}
