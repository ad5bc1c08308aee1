/* http/range: the Range header of file downloads. */
#include <stdlib.h>
#include <string.h>
#include "http/range.h"

int range_parse(const char *h, int64_t size, int64_t *off, int64_t *len)
{
	long long a = -1, b = -1;
	char *end;
	if (strncmp(h, "bytes=", 6) || strchr(h, ','))
		return 0;
	h += 6;
	if (*h == '-') {
		b = strtoll(h + 1, &end, 10);
		if (end == h + 1 || *end || b <= 0)
			return 0;
		if (size == 0)
			return -1;
		*off = b >= size ? 0 : size - b;
		*len = size - *off;
		return 1;
	}
	a = strtoll(h, &end, 10);
	if (end == h || *end != '-' || a < 0)
		return 0;
	if (end[1]) {
		char *e2;
		b = strtoll(end + 1, &e2, 10);
		if (*e2 || b < a)
			return 0;
	}
	if (a >= size)
		return -1;
	if (b < 0 || b >= size)
		b = size - 1;
	*off = a;
	*len = b - a + 1;
	return 1;
}
