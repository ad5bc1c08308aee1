/* tests/fuzz/fuzz.h: what every harness shares. A harness defines
 * LLVMFuzzerTestOneInput; it is linked either with libFuzzer (make fuzz,
 * clang) or with tests/fuzz/replay.c (make test, any compiler), which feeds
 * it the committed corpus. A broken invariant aborts, so both see it. */
#ifndef FE_FUZZ_H
#define FE_FUZZ_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant of the code under test: abort naming it when false. */
#define CHECK(cond)                                                                                          \
	do {                                                                                                 \
		if (!(cond)) {                                                                               \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);         \
			abort();                                                                             \
		}                                                                                            \
	} while (0)

/* A NUL-terminated copy of the input (owned: free). */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = 0;
	return s;
}

/* The harnesses' own oracle (not the project's json_has_nul): 1 when the
 * JSON text holds a \u0000 escape, "u0000" after an odd run of backslashes
 * (in valid JSON a backslash only occurs inside strings). */
static inline int fuzz_has_nul_escape(const char *s, size_t len)
{
	for (size_t i = 0; i + 5 <= len; i++) {
		if (memcmp(s + i, "u0000", 5))
			continue;
		size_t run = 0;
		while (run < i && s[i - 1 - run] == '\\')
			run++;
		if (run % 2)
			return 1;
	}
	return 0;
}

#endif
