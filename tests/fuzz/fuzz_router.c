/* tests/fuzz/fuzz_router: http/router's pure matcher on arbitrary methods
 * and paths. A match must be explained by its pattern: the pattern with the
 * captures put back gives the path again. */
#include "fuzz.h"
#include "http/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	enum method m = (enum method)(data[0] % (M_OTHER + 1));
	/* the server copies at most 511 bytes of path into struct req */
	char *path = fuzz_str(data + 1, size - 1 > 511 ? 511 : size - 1);
	struct route_cap caps[MAX_CAPS];
	int ncaps = -1, idx = -1;
	int rc = router_match_path(m, path, caps, &ncaps, &idx);
	CHECK(rc == 0 || rc == FE_ENOTFOUND || rc == FE_EMETHOD);
	if (rc) {
		CHECK(ncaps == 0);
		free(path);
		return 0;
	}
	CHECK(idx >= 0 && idx < router_count());
	const struct route *rt = &routes[idx];
	CHECK(rt->method == (m == M_HEAD ? M_GET : m));
	CHECK(ncaps >= 0 && ncaps <= MAX_CAPS);
	if (!strcmp(rt->pattern, "*")) {
		CHECK(strncmp(path, "/api/", 5) && strcmp(path, "/api"));
		free(path);
		return 0;
	}
	/* rebuild the path from the pattern and the captures */
	char back[1024];
	size_t k = 0;
	int c = 0;
	for (const char *p = rt->pattern; *p;) {
		if (*p == '{') {
			size_t pl = strcspn(p, "}");
			CHECK(c < ncaps);
			CHECK(strlen(caps[c].name) == pl - 1 && !strncmp(caps[c].name, p + 1, pl - 1));
			size_t vl = strlen(caps[c].value);
			CHECK(vl > 0 && vl < sizeof caps[c].value && !strchr(caps[c].value, '/'));
			CHECK(k + vl < sizeof back);
			memcpy(back + k, caps[c].value, vl);
			k += vl;
			c++;
			p += pl + 1;
		} else {
			CHECK(k + 1 < sizeof back);
			back[k++] = *p++;
		}
	}
	back[k] = 0;
	CHECK(c == ncaps);
	CHECK(!strcmp(back, path));
	free(path);
	return 0;
}
