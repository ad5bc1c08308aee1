/* adapters/lru_cache: hash map + doubly linked LRU list + tag lists. */
#include <stdlib.h>
#include <string.h>
#include "adapters/lru_cache.h"
#include "lib/err.h"
#include "lib/xalloc.h"

#define MAX_FAMILIES 16

struct entry {
	struct entry *hnext;         /* hash chain */
	struct entry *prev, *next;   /* LRU: head = most recent */
	struct entry *tprev, *tnext; /* the tag's list */
	struct tag *tag;
	int64_t expires;
	size_t len, size;
	int family;
	char *key;
	char val[];
};

struct tag {
	struct tag *hnext;
	struct entry *first;
	char name[];
};

struct lru {
	struct entry **buckets;
	size_t nbuckets, n;
	struct tag **tbuckets;
	size_t ntbuckets;
	struct entry *head, *tail;
	size_t bytes, max;
	int64_t (*now)(void);
	struct cache_family_stats fam[MAX_FAMILIES];
	int nfam;
};

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static int family_of(struct lru *c, const char *key)
{
	size_t n = strcspn(key, ":");
	if (n >= sizeof c->fam[0].family)
		n = sizeof c->fam[0].family - 1;
	for (int i = 0; i < c->nfam; i++)
		if (strlen(c->fam[i].family) == n && !strncmp(c->fam[i].family, key, n))
			return i;
	int i = c->nfam < MAX_FAMILIES ? c->nfam++ : MAX_FAMILIES - 1;
	memcpy(c->fam[i].family, key, n);
	c->fam[i].family[n] = 0;
	return i;
}

static struct entry **slot(struct lru *c, const char *key)
{
	struct entry **p = &c->buckets[hash(key) & (c->nbuckets - 1)];
	while (*p && strcmp((*p)->key, key))
		p = &(*p)->hnext;
	return p;
}

static struct tag **tslot(struct lru *c, const char *name)
{
	struct tag **p = &c->tbuckets[hash(name) & (c->ntbuckets - 1)];
	while (*p && strcmp((*p)->name, name))
		p = &(*p)->hnext;
	return p;
}

static void lru_unlink(struct lru *c, struct entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
}

static void lru_front(struct lru *c, struct entry *e)
{
	e->prev = NULL;
	e->next = c->head;
	if (c->head)
		c->head->prev = e;
	c->head = e;
	if (!c->tail)
		c->tail = e;
}

/* Removes e everywhere and frees it. */
static void drop(struct lru *c, struct entry *e, int evicted)
{
	*slot(c, e->key) = e->hnext;
	lru_unlink(c, e);
	if (e->tag) {
		if (e->tprev)
			e->tprev->tnext = e->tnext;
		else
			e->tag->first = e->tnext;
		if (e->tnext)
			e->tnext->tprev = e->tprev;
		if (!e->tag->first) { /* the tag is empty: forget it */
			struct tag **tp = tslot(c, e->tag->name);
			*tp = e->tag->hnext;
			free(e->tag);
		}
	}
	struct cache_family_stats *f = &c->fam[e->family];
	f->entries--;
	f->bytes -= e->size;
	f->evictions += (uint64_t)evicted;
	c->bytes -= e->size;
	c->n--;
	free(e->key);
	free(e);
}

static void grow(struct lru *c)
{
	size_t nb = c->nbuckets * 2;
	struct entry **b = xcalloc(nb, sizeof *b);
	for (size_t i = 0; i < c->nbuckets; i++)
		for (struct entry *e = c->buckets[i], *next; e; e = next) {
			next = e->hnext;
			struct entry **p = &b[hash(e->key) & (nb - 1)];
			e->hnext = *p;
			*p = e;
		}
	free(c->buckets);
	c->buckets = b;
	c->nbuckets = nb;
}

static int c_get(void *p, const char *key, char **val, size_t *len)
{
	struct lru *c = p;
	struct entry *e = *slot(c, key);
	int fam = e ? e->family : family_of(c, key);
	if (e && e->expires <= c->now()) {
		drop(c, e, 0);
		e = NULL;
	}
	if (!e) {
		c->fam[fam].misses++;
		return FE_ENOTFOUND;
	}
	c->fam[fam].hits++;
	lru_unlink(c, e);
	lru_front(c, e);
	*val = xmalloc(e->len + 1);
	memcpy(*val, e->val, e->len);
	(*val)[e->len] = 0;
	*len = e->len;
	return 0;
}

static void c_del(void *p, const char *key)
{
	struct lru *c = p;
	struct entry *e = *slot(c, key);
	if (e)
		drop(c, e, 0);
}

static void c_put(void *p, const char *key, const void *val, size_t len, int ttl_s, const char *tag)
{
	struct lru *c = p;
	c_del(c, key);
	size_t size = sizeof(struct entry) + len + 1 + strlen(key) + 1;
	if (size > c->max / 4)
		return; /* too big to be worth it */
	while (c->bytes + size > c->max && c->tail)
		drop(c, c->tail, 1);
	struct entry *e = xmalloc(sizeof *e + len + 1);
	e->key = xstrdup(key);
	if (len)
		memcpy(e->val, val, len);
	e->val[len] = 0;
	e->len = len;
	e->size = size;
	e->expires = c->now() + (int64_t)ttl_s * 1000;
	e->family = family_of(c, key);
	e->tag = NULL;
	e->tprev = e->tnext = NULL;
	if (tag) {
		struct tag **tp = tslot(c, tag);
		if (!*tp) {
			*tp = xcalloc(1, sizeof **tp + strlen(tag) + 1);
			strcpy((*tp)->name, tag);
		}
		e->tag = *tp;
		e->tnext = e->tag->first;
		if (e->tnext)
			e->tnext->tprev = e;
		e->tag->first = e;
	}
	struct entry **s = slot(c, key);
	e->hnext = *s;
	*s = e;
	lru_front(c, e);
	c->bytes += size;
	c->n++;
	c->fam[e->family].entries++;
	c->fam[e->family].bytes += size;
	if (c->n > c->nbuckets)
		grow(c);
}

static void c_del_tag(void *p, const char *tag)
{
	struct lru *c = p;
	struct tag *t = *tslot(c, tag);
	while (t) {
		struct entry *e = t->first;
		int last = !e->tnext;
		drop(c, e, 0); /* frees t with its last entry */
		if (last)
			break;
	}
}

static void c_stats(void *p, struct cache_family_stats *out, size_t max, size_t *n)
{
	struct lru *c = p;
	*n = 0;
	for (int i = 0; i < c->nfam && *n < max; i++)
		out[(*n)++] = c->fam[i];
}

static void c_clear(void *p)
{
	struct lru *c = p;
	while (c->head)
		drop(c, c->head, 0);
}

static const struct cache_ops ops = {c_get, c_put, c_del, c_del_tag, c_stats, c_clear};

int lru_cache_new(size_t max_bytes, int64_t (*now_ms)(void), struct cache *out)
{
	struct lru *c = xcalloc(1, sizeof *c);
	c->max = max_bytes;
	c->now = now_ms;
	c->nbuckets = 256;
	c->ntbuckets = 256;
	c->buckets = xcalloc(c->nbuckets, sizeof *c->buckets);
	c->tbuckets = xcalloc(c->ntbuckets, sizeof *c->tbuckets);
	out->ops = &ops;
	out->impl = c;
	return 0;
}

void lru_cache_free(struct cache *cc)
{
	if (!cc || !cc->impl)
		return;
	struct lru *c = cc->impl;
	while (c->head)
		drop(c, c->head, 0);
	free(c->buckets);
	free(c->tbuckets);
	free(c);
	cc->impl = NULL;
}
