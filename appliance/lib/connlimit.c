/* lib/connlimit: two open-addressing hash tables (linear probing, deletion
 * by backward shift, doubling when half full): address -> open count, and
 * connection id -> address. */
#include <stdlib.h>
#include <string.h>
#include "lib/connlimit.h"
#include "lib/xalloc.h"

struct slot {
	unsigned char key[16];
	int used;
	int count;              /* addresses: open connections */
	unsigned char addr[16]; /* ids: the connection's address */
};

struct table {
	struct slot *s;
	size_t cap, n; /* cap is a power of two */
};

struct connlimit {
	int per_addr, total_max, total;
	struct table addrs, ids;
};

static size_t hash(const unsigned char k[16])
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (int i = 0; i < 16; i++)
		h = (h ^ k[i]) * 1099511628211ull;
	return (size_t)(h ^ (h >> 29));
}

static struct slot *find(const struct table *t, const unsigned char k[16])
{
	for (size_t i = hash(k) & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
		if (!t->s[i].used)
			return NULL;
		if (!memcmp(t->s[i].key, k, 16))
			return &t->s[i];
	}
}

static void grow(struct table *t);

/* Returns the slot of k, inserting a zeroed one if absent. */
static struct slot *get(struct table *t, const unsigned char k[16])
{
	struct slot *s = find(t, k);
	if (s)
		return s;
	if (2 * (t->n + 1) > t->cap)
		grow(t);
	size_t i = hash(k) & (t->cap - 1);
	while (t->s[i].used)
		i = (i + 1) & (t->cap - 1);
	memset(&t->s[i], 0, sizeof t->s[i]);
	memcpy(t->s[i].key, k, 16);
	t->s[i].used = 1;
	t->n++;
	return &t->s[i];
}

static void grow(struct table *t)
{
	struct table old = *t;
	t->cap = old.cap ? old.cap * 2 : 64;
	t->s = xcalloc(t->cap, sizeof *t->s);
	t->n = 0;
	for (size_t i = 0; i < old.cap; i++)
		if (old.s[i].used)
			*get(t, old.s[i].key) = old.s[i];
	free(old.s);
}

/* Removes slot s, shifting later members of its probe run back. */
static void del(struct table *t, struct slot *s)
{
	size_t i = (size_t)(s - t->s), mask = t->cap - 1;
	t->s[i].used = 0;
	t->n--;
	for (size_t j = (i + 1) & mask; t->s[j].used; j = (j + 1) & mask) {
		size_t home = hash(t->s[j].key) & mask;
		/* move j into the hole at i when its home is not in (i, j] */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			t->s[i] = t->s[j];
			t->s[j].used = 0;
			i = j;
		}
	}
}

static void id_key(uint64_t id, unsigned char k[16])
{
	memset(k, 0, 16);
	memcpy(k, &id, sizeof id);
}

struct connlimit *connlimit_new(int per_addr, int total)
{
	struct connlimit *c = xcalloc(1, sizeof *c);
	c->per_addr = per_addr < 1 ? 1 : per_addr;
	c->total_max = total < 1 ? 1 : total;
	grow(&c->addrs);
	grow(&c->ids);
	return c;
}

void connlimit_free(struct connlimit *c)
{
	if (!c)
		return;
	free(c->addrs.s);
	free(c->ids.s);
	free(c);
}

int connlimit_count(const struct connlimit *c, const unsigned char addr[16])
{
	const struct slot *s = find(&c->addrs, addr);
	return s ? s->count : 0;
}

int connlimit_total(const struct connlimit *c)
{
	return c->total;
}

int connlimit_check(const struct connlimit *c, const unsigned char addr[16])
{
	if (c->total >= c->total_max)
		return CONNLIMIT_TOTAL;
	if (connlimit_count(c, addr) >= c->per_addr)
		return CONNLIMIT_PER_ADDR;
	return CONNLIMIT_OK;
}

void connlimit_remove(struct connlimit *c, uint64_t id)
{
	unsigned char k[16];
	id_key(id, k);
	struct slot *s = find(&c->ids, k);
	if (!s)
		return;
	unsigned char addr[16];
	memcpy(addr, s->addr, 16);
	del(&c->ids, s);
	c->total--;
	struct slot *a = find(&c->addrs, addr);
	if (a && --a->count <= 0)
		del(&c->addrs, a);
}

void connlimit_add(struct connlimit *c, uint64_t id, const unsigned char addr[16])
{
	unsigned char k[16];
	connlimit_remove(c, id);
	id_key(id, k);
	memcpy(get(&c->ids, k)->addr, addr, 16);
	get(&c->addrs, addr)->count++;
	c->total++;
}
