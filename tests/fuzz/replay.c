/* tests/fuzz/replay: replays a fuzz corpus without libFuzzer. Usage:
 * replay DIR|FILE...  Calls LLVMFuzzerTestOneInput once per file (each file
 * of a directory, sorted), then prints "replayed N inputs". A crash or a
 * failed invariant aborts the process: the caller counts that as a failure. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "fuzz.h"

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return -1;
	}
	size_t cap = 4096, n = 0, got;
	uint8_t *buf = malloc(cap);
	if (!buf)
		abort();
	while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			uint8_t *more = realloc(buf, cap *= 2);
			if (!more)
				abort();
			buf = more;
		}
	}
	fclose(f);
	/* a copy of exactly n bytes, so sanitizers see reads past the input */
	uint8_t *in = malloc(n ? n : 1);
	if (!in)
		abort();
	memcpy(in, buf, n);
	free(buf);
	LLVMFuzzerTestOneInput(in, n);
	free(in);
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char **argv)
{
	long count = 0;
	int rc = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st)) {
			perror(argv[i]);
			rc = 1;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			rc |= replay_file(argv[i]) ? 1 : 0;
			count++;
			continue;
		}
		struct dirent **names;
		int n = scandir(argv[i], &names, NULL, by_name);
		if (n < 0) {
			perror(argv[i]);
			rc = 1;
			continue;
		}
		for (int k = 0; k < n; k++) {
			char path[4096];
			snprintf(path, sizeof path, "%s/%s", argv[i], names[k]->d_name);
			if (!stat(path, &st) && S_ISREG(st.st_mode)) {
				rc |= replay_file(path) ? 1 : 0;
				count++;
			}
			free(names[k]);
		}
		free(names);
	}
	printf("replayed %ld inputs\n", count);
	return rc;
}
