/* lib/embedded: lookup in the build-time table of embedded files. */
#include <string.h>
#include "lib/embedded.h"

const struct embedded_file *embedded_find(const char *path)
{
	for (const struct embedded_file *f = embedded_files; f->path; f++)
		if (!strcmp(f->path, path))
			return f;
	return NULL;
}
