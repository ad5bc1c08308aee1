/* adapters/local_bus: handler list and synchronous dispatch. */
#include <stdlib.h>
#include "adapters/local_bus.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/xalloc.h"

#define MAX_SUBS 16

struct local_bus {
	struct {
		unsigned mask;
		bus_handler h;
		void *ctx;
	} subs[MAX_SUBS];
	int n;
	uint64_t published[EV_COUNT];
};

static int lb_subscribe(void *p, unsigned mask, bus_handler h, void *ctx)
{
	struct local_bus *b = p;
	if (b->n == MAX_SUBS)
		return FE_EINTERNAL;
	b->subs[b->n].mask = mask;
	b->subs[b->n].h = h;
	b->subs[b->n].ctx = ctx;
	b->n++;
	return 0;
}

static void lb_publish(void *p, const struct event *ev)
{
	struct local_bus *b = p;
	if (ev->type > 0 && ev->type < EV_COUNT)
		b->published[ev->type]++;
	log_debug("bus: publish type=%d chat=%lld", ev->type, (long long)ev->chat_id);
	for (int i = 0; i < b->n; i++)
		if (b->subs[i].mask & EV_BIT(ev->type))
			b->subs[i].h(b->subs[i].ctx, ev);
}

static const struct bus_ops ops = {lb_subscribe, lb_publish, NULL, NULL};

int local_bus_new(struct bus *b)
{
	struct local_bus *lb = xcalloc(1, sizeof *lb);
	b->ops = &ops;
	b->impl = lb;
	return 0;
}

void local_bus_free(struct bus *b)
{
	if (b && b->impl) {
		free(b->impl);
		b->impl = NULL;
	}
}
