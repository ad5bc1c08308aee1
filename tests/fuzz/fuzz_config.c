/* tests/fuzz/fuzz_config: lib/config's file reader on arbitrary file
 * contents. An accepted configuration prints (config_print) lines that,
 * read on top of it, change nothing. */
#include "fuzz.h"
#include "lib/config.h"

/* config_print of c, with the lines of unset strings ("key -") left out,
 * so it can be read back. Owned. (A value that starts with '=' prints as
 * "key = =x": found by this harness, which once read "key =x" back as "x".) */
static char *printed(const struct config *c, size_t *len)
{
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);
	if (!f)
		abort();
	config_print(c, f);
	fclose(f);
	char *out = malloc(n + 1), *o = out;
	if (!out)
		abort();
	for (char *line = text; *line;) {
		size_t l = strcspn(line, "\n");
		if (!(l >= 2 && line[l - 2] == ' ' && line[l - 1] == '-')) {
			memcpy(o, line, l);
			o += l;
			*o++ = '\n';
		}
		line += l + (line[l] == '\n');
	}
	*o = 0;
	*len = (size_t)(o - out);
	free(text);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	FILE *f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	struct config c;
	config_defaults(&c);
	int rc = config_read(&c, f, "fuzz.conf");
	fclose(f);
	CHECK(rc == 0 || rc == -1);
	if (rc)
		return 0;
	size_t n1, n2;
	char *p1 = printed(&c, &n1);
	FILE *g = fmemopen(p1, n1, "r");
	CHECK(g);
	struct config c2 = c; /* applying its own printout changes nothing */
	CHECK(config_read(&c2, g, "printed") == 0);
	fclose(g);
	char *p2 = printed(&c2, &n2);
	CHECK(n1 == n2 && !strcmp(p1, p2));
	free(p1);
	free(p2);
	return 0;
}
