/* adapters/nats_bus: the event bus of fechatter-cluster. Every event is
 * delivered to this appliance's handlers at once, synchronously, in order,
 * exactly as adapters/local_bus does, and published to NATS (core, at most
 * once) on "fechatter.<workspace>.chat.<chat>" for the events of a chat
 * (messages, reactions, chats, members, read markers, typing) or
 * "fechatter.<workspace>.user.<user>" for personal events (presence,
 * sessions revoked), as adapters/bus_codec's JSON with this appliance's
 * origin id. Every appliance subscribes to "fechatter.>" and delivers the
 * events of the OTHER appliances to the same handlers, on the loop thread:
 * libnats calls back on its own threads, which decode and queue; the loop,
 * woken up, delivers (bus_poll). The link reconnects by itself (forever,
 * every second); after a reconnection the handlers get a Resync event
 * (events of other appliances may have been lost meanwhile). */
#ifndef FE_NATS_BUS_H
#define FE_NATS_BUS_H
#include "ports/bus.h"

/* Connects to url and subscribes. Returns 0 with *b filled, or -1 with a
 * message in err (n bytes) when NATS cannot be reached or refuses. Free
 * with nats_bus_free. */
int nats_bus_new(struct bus *b, const char *url, char *err, size_t n);
/* Sets how a receiving thread wakes the loop up (http/server's server_wake
 * with the server): until then received events wait in the queue. */
void nats_bus_set_wake(struct bus *b, void (*wake)(void *), void *arg);
/* Drains and closes the connection, frees the queue (NULL-safe). */
void nats_bus_free(struct bus *b);

#endif
