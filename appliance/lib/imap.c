/* lib/imap: open-addressing int64 map. */
#include <stdlib.h>
#include "lib/imap.h"
#include "lib/xalloc.h"

static size_t slot_of(const struct imap *m, int64_t key)
{
	uint64_t h = (uint64_t)key * 0x9E3779B97F4A7C15ull;
	return (size_t)(h >> 17) & (m->cap - 1);
}

void *imap_get(const struct imap *m, int64_t key)
{
	if (!m->cap)
		return NULL;
	for (size_t i = slot_of(m, key);; i = (i + 1) & (m->cap - 1)) {
		if (m->slots[i].key == key)
			return m->slots[i].val;
		if (!m->slots[i].key)
			return NULL;
	}
}

static void grow(struct imap *m)
{
	struct imap old = *m;
	m->cap = old.cap ? old.cap * 2 : 16;
	m->n = 0;
	m->slots = xcalloc(m->cap, sizeof *m->slots);
	for (size_t i = 0; i < old.cap; i++)
		if (old.slots[i].key)
			imap_put(m, old.slots[i].key, old.slots[i].val);
	free(old.slots);
}

void imap_put(struct imap *m, int64_t key, void *val)
{
	if ((m->n + 1) * 4 > m->cap * 3)
		grow(m);
	size_t i = slot_of(m, key);
	while (m->slots[i].key && m->slots[i].key != key)
		i = (i + 1) & (m->cap - 1);
	if (!m->slots[i].key)
		m->n++;
	m->slots[i].key = key;
	m->slots[i].val = val;
}

void *imap_del(struct imap *m, int64_t key)
{
	if (!m->cap)
		return NULL;
	size_t i = slot_of(m, key);
	while (m->slots[i].key != key) {
		if (!m->slots[i].key)
			return NULL;
		i = (i + 1) & (m->cap - 1);
	}
	void *val = m->slots[i].val;
	m->n--;
	/* backward shift: pull later members of the cluster into the hole when
	 * their home slot is not cyclically in (hole, their slot] */
	for (size_t j = i;;) {
		j = (j + 1) & (m->cap - 1);
		if (!m->slots[j].key)
			break;
		size_t k = slot_of(m, m->slots[j].key);
		int stays = i < j ? (k > i && k <= j) : (k > i || k <= j);
		if (!stays) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	m->slots[i].key = 0;
	m->slots[i].val = NULL;
	return val;
}

void imap_free(struct imap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->n = 0;
}
