/* lib/imap: a hash map from int64 keys to pointers (open addressing, linear
 * probing, tombstone-free deletion by backward shift). Single-threaded. */
#ifndef FE_IMAP_H
#define FE_IMAP_H
#include <stddef.h>
#include <stdint.h>

struct imap {
	struct imap_slot {
		int64_t key; /* 0 = empty: keys must be non-zero */
		void *val;
	} * slots;
	size_t cap, n;
};

/* Returns the value for key, or NULL. */
void *imap_get(const struct imap *m, int64_t key);
/* Sets key to val (val non-NULL). Aborts on allocation failure. */
void imap_put(struct imap *m, int64_t key, void *val);
/* Removes key; returns its value or NULL. */
void *imap_del(struct imap *m, int64_t key);
/* Frees the table (not the values). */
void imap_free(struct imap *m);

/* Iterates: for (size_t i = 0; i < m->cap; i++) if (m->slots[i].key) ... */

#endif
