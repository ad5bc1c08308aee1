/* tests/fuzz/fuzz_sniff: lib/sniff on arbitrary file heads, complete and
 * cut, and sniff_by_ext on arbitrary extensions. */
#include "fuzz.h"
#include "lib/sniff.h"
#include "lib/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int complete = 0; complete <= 1; complete++) {
		struct sniffed s = sniff(data, size, complete);
		CHECK(s.mime && s.ext);
		const struct sniffed *back = sniff_by_ext(s.ext);
		CHECK(back && !strcmp(back->mime, s.mime)); /* every result has its extension */
		if (!strcmp(s.ext, "txt")) {
			size_t n = size > 512 ? 512 : size;
			CHECK(!memchr(data, 0, n)); /* text never holds NUL */
			if (complete && size <= 512)
				CHECK(utf8_valid((const char *)data, size));
		}
		if (s.inline_ok)
			CHECK(!strncmp(s.mime, "image/", 6));
	}
	char *ext = fuzz_str(data, size > 16 ? 16 : size);
	sniff_by_ext(ext);
	free(ext);
	return 0;
}
