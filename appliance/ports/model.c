/* ports/model: freeing the records that own memory. */
#include <stdlib.h>
#include "ports/model.h"
#include "ports/search.h"

void message_clear(struct message *m)
{
	if (!m)
		return;
	free(m->content);
	free(m->mentions);
	free(m->files);
	free(m->reactions);
	m->content = NULL;
	m->mentions = NULL;
	m->files = NULL;
	m->reactions = NULL;
	m->nmentions = m->nfiles = m->nreactions = 0;
}

void messages_free(struct message *a, size_t n)
{
	for (size_t i = 0; a && i < n; i++)
		message_clear(&a[i]);
	free(a);
}

void search_hits_free(struct search_hit *h, size_t n)
{
	for (size_t i = 0; h && i < n; i++) {
		free(h[i].content);
		free(h[i].snippet);
	}
	free(h);
}
