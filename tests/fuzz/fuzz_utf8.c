/* tests/fuzz/fuzz_utf8: lib/utf8 on arbitrary bytes: validation, counting,
 * control detection, case folding (also in place and into short buffers),
 * bounded decoding and encoding. */
#include "fuzz.h"
#include "lib/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int valid = utf8_valid((const char *)data, size);
	char *s = fuzz_str(data, size);
	size_t len = strlen(s);
	if (len == size) /* no NUL inside: the NUL-terminated helpers see it all */
		CHECK(!valid || utf8_chars(s) <= len);
	/* the decoder walks any bytes in steps that add up, and finds an
	 * invalid sequence exactly where utf8_valid does */
	int all_good = 1;
	for (size_t i = 0, l; i < len; i += l) {
		unsigned cp = utf8_decode(s + i, &l);
		CHECK(l >= 1 && l <= 4 && i + l <= len);
		CHECK(cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff));
		if (l == 1 && cp >= 0x80)
			all_good = 0;
	}
	if (len == size)
		CHECK(all_good == valid);
	utf8_has_controls(s, 0);
	utf8_has_controls(s, 1);

	/* folding into buffers of every small size and of the full size */
	size_t cap = len + 1;
	char *out = malloc(cap);
	if (!out)
		abort();
	const size_t sizes[] = {1, 2, 3, 4, 5, 6, 7, 8, cap / 2 + 1, cap};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		size_t n = sizes[i];
		if (n > cap)
			continue;
		utf8_fold(s, out, n);
		CHECK(strlen(out) < n);
		CHECK(strlen(out) <= len);
		if (valid && len == size)
			CHECK(utf8_valid(out, strlen(out))); /* folding keeps text well-formed */
	}
	/* in place */
	memcpy(out, s, cap);
	utf8_fold(out, out, cap);
	CHECK(strlen(out) <= len);
	/* bounded decoding agrees with utf8_valid; encoding gives the bytes back */
	int bounded_good = 1;
	for (size_t i = 0, l; i < len; i += l) {
		unsigned cp = utf8_decode_n(s + i, len - i, &l);
		CHECK(l >= 1 && l <= 4 && i + l <= len);
		if (cp == 0xfffd && l == 1)
			bounded_good = 0;
		else {
			char enc[4];
			CHECK(utf8_encode(cp, enc) == l && !memcmp(enc, s + i, l));
		}
	}
	CHECK(bounded_good == utf8_valid(s, len));
	free(out);
	free(s);
	return 0;
}
