/* lib/xalloc: malloc, calloc, realloc and strdup that abort on NULL. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include "lib/log.h"
#include "lib/xalloc.h"

static void oom(const char *what, size_t n)
{
	log_err("xalloc: out of memory call=%s bytes=%zu", what, n);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom("malloc", n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom("calloc", n * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom("realloc", n);
	return q;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		oom("strdup", strlen(s) + 1);
	return p;
}

char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);
	if (!p)
		oom("strndup", n + 1);
	return p;
}

static void *cjson_malloc(size_t n)
{
	return xmalloc(n);
}

void xalloc_cjson_hooks(void)
{
	cJSON_Hooks h = {cjson_malloc, free};
	cJSON_InitHooks(&h);
}
