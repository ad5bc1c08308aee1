/* ports/bus: domain events, published after commit, delivered to the
 * handlers registered at start-up (notification fan-out, cache, search).
 * The in-process adapter calls handlers synchronously on the loop thread,
 * in publication order; a NATS adapter could carry them between hosts. */
#ifndef FE_BUS_H
#define FE_BUS_H
#include <stddef.h>
#include <stdint.h>
#include "ports/model.h"

/* The values travel between appliances (adapters/bus_codec): append new
 * types, never renumber (appliances of two versions share one bus). */
enum event_type {
	EV_MESSAGE_CREATED = 1,
	EV_MESSAGE_UPDATED,
	EV_MESSAGE_DELETED,
	EV_REACTION_CHANGED,
	EV_CHAT_CREATED,
	EV_CHAT_UPDATED,
	EV_CHAT_DELETED,
	EV_USER_JOINED_CHAT,
	EV_USER_LEFT_CHAT,
	EV_READ_MARKER_MOVED,
	EV_TYPING_CHANGED,
	EV_PRESENCE_CHANGED,
	EV_SESSIONS_REVOKED,  /* SessionsRevoked: user_id's tokens below token_version
	                       * are void (suspension, logout-all, password change) */
	EV_USER_CHANGED,      /* UserChanged: user_id's account or profile changed
	                       * (sign-up, profile, picture): cached copies are stale */
	EV_WORKSPACE_CHANGED, /* WorkspaceChanged: workspace_id was renamed */
	EV_RESYNC,            /* Resync: events of other hosts may have been lost (a
	                       * bus between hosts reconnected): handlers drop what they
	                       * cached, clients reload. Delivered locally only, by the bus */
	EV_COUNT
};

#define EV_BIT(t) (1u << (t))
#define EV_ALL 0xffffffffu

/* Everything borrowed for the duration of the handler call. */
struct event {
	enum event_type type;
	int64_t workspace_id, chat_id;
	int64_t actor_id;              /* who did it */
	int64_t user_id;               /* whom it concerns (joined/left/read/typing/presence) */
	int64_t message_id;            /* message events, reactions, read markers */
	const struct message *message; /* created/updated */
	const struct chat *chat;       /* chat created/updated */
	const char *emoji;             /* reactions */
	int added;                     /* reactions: 1 added, 0 removed; typing: 1 typing */
	const char *status;            /* presence */
	int64_t last_seen;             /* presence, ms */
	const char *user_name;         /* typing */
	const int64_t *audience;       /* chat deleted / user left: who must hear it */
	size_t naudience;
	const char *idempotency_key; /* message created */
	int64_t token_version;       /* sessions revoked: the account's current version */
};

typedef void (*bus_handler)(void *ctx, const struct event *ev);

struct bus_ops {
	/* Registers h (with ctx, passed back on each call) for the event types
	 * in mask (EV_BIT(type) bits, or EV_ALL); handlers run in the order
	 * they subscribed. At start-up only, before serving (main.c, the unit
	 * tests' app builder): core/cached first, then the real-time fan-out.
	 * Returns 0, or FE_EINTERNAL when the adapter takes no more handlers. */
	int (*subscribe)(void *b, unsigned mask, bus_handler h, void *ctx);
	/* Delivers ev to every handler whose mask has its type (ev and what it
	 * points to are borrowed for the calls). Called by core/ use cases on
	 * the loop thread after their commit; never fails. */
	void (*publish)(void *b, const struct event *ev);
	/* Optional (NULL for the in-process bus): a bus that carries events
	 * between hosts (adapters/nats_bus) receives them on threads of its own
	 * and queues them; poll delivers the queued ones (and a Resync after a
	 * reconnection) to the handlers, on the loop thread, when the loop wakes
	 * up (http/server: LWS_CALLBACK_EVENT_WAIT_CANCELLED). */
	void (*poll)(void *b);
	/* Optional: the link's state for /health: "connected" or
	 * "reconnecting" (a static string). */
	const char *(*state)(void *b);
};

struct bus {
	const struct bus_ops *ops;
	void *impl;
};

/* Shorthand used by the use cases. */
static inline void bus_publish(struct bus *b, const struct event *ev)
{
	if (b && b->ops)
		b->ops->publish(b->impl, ev);
}

/* Delivers the events queued from other hosts (nothing for the in-process
 * bus). Loop thread only. */
static inline void bus_poll(struct bus *b)
{
	if (b && b->ops && b->ops->poll)
		b->ops->poll(b->impl);
}

/* The link's state ("connected", "reconnecting"), or NULL for a bus with
 * no link (the in-process bus). */
static inline const char *bus_state(const struct bus *b)
{
	return b && b->ops && b->ops->state ? b->ops->state(b->impl) : NULL;
}

#endif
