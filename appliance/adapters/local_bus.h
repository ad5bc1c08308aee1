/* adapters/local_bus: the in-process event bus: a fixed list of handlers,
 * called synchronously in registration order. */
#ifndef FE_LOCAL_BUS_H
#define FE_LOCAL_BUS_H
#include "ports/bus.h"

/* Fills *b with a new bus. Returns 0. Free with local_bus_free. */
int local_bus_new(struct bus *b);
void local_bus_free(struct bus *b);

#endif
