/* adapters/nats_bus: local dispatch plus NATS publication and subscription
 * (see nats_bus.h). */
#include <nats/nats.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "adapters/bus_codec.h"
#include "adapters/nats_bus.h"
#include "lib/crypto.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/xalloc.h"

#define MAX_SUBS 16
#define PREFIX "fechatter"
#define RECONNECT_WAIT_MS 1000

struct inbound {
	struct inbound *next;
	struct decoded_event d;
};

struct nats_bus {
	struct {
		unsigned mask;
		bus_handler h;
		void *ctx;
	} subs[MAX_SUBS];
	int n;
	char origin[24];
	natsConnection *nc;
	natsSubscription *sub;
	/* filled by libnats threads, emptied by the loop */
	pthread_mutex_t mu;
	struct inbound *head, *tail;
	int resync; /* reconnected: a Resync is due */
	void (*wake)(void *);
	void *wake_arg;
	atomic_int connected;
	uint64_t published, received, dropped;
};

static int nb_subscribe(void *p, unsigned mask, bus_handler h, void *ctx)
{
	struct nats_bus *b = p;
	if (b->n == MAX_SUBS)
		return FE_EINTERNAL;
	b->subs[b->n].mask = mask;
	b->subs[b->n].h = h;
	b->subs[b->n].ctx = ctx;
	b->n++;
	return 0;
}

static void dispatch(struct nats_bus *b, const struct event *ev)
{
	for (int i = 0; i < b->n; i++)
		if (b->subs[i].mask & EV_BIT(ev->type))
			b->subs[i].h(b->subs[i].ctx, ev);
}

static void nb_publish(void *p, const struct event *ev)
{
	struct nats_bus *b = p;
	log_debug("bus: publish type=%d chat=%lld", ev->type, (long long)ev->chat_id);
	dispatch(b, ev);
	if (ev->type == EV_RESYNC)
		return; /* local only */
	char subject[96];
	size_t len;
	bus_codec_subject(ev, PREFIX, subject, sizeof subject);
	char *text = bus_codec_encode(ev, b->origin, &len);
	/* buffered by libnats (also while reconnecting, in its reconnect buffer):
	 * never blocks the loop */
	natsStatus s = natsConnection_Publish(b->nc, subject, text, (int)len);
	free(text);
	if (s == NATS_OK) {
		b->published++;
	} else {
		b->dropped++;
		log_warn("bus: NATS publish on %s failed: %s", subject, natsStatus_GetText(s));
	}
}

/* Takes the queue (and the Resync due) under the lock. */
static struct inbound *take(struct nats_bus *b, int *resync)
{
	pthread_mutex_lock(&b->mu);
	struct inbound *list = b->head;
	b->head = b->tail = NULL;
	*resync = b->resync;
	b->resync = 0;
	pthread_mutex_unlock(&b->mu);
	return list;
}

static void nb_poll(void *p)
{
	struct nats_bus *b = p;
	int resync;
	struct inbound *in = take(b, &resync);
	if (resync) {
		struct event ev = {.type = EV_RESYNC};
		log_info("bus: NATS reconnected: handlers and clients resynchronise");
		dispatch(b, &ev);
	}
	while (in) {
		struct inbound *next = in->next;
		log_debug("bus: from %s type=%d chat=%lld", in->d.origin, in->d.ev.type,
		          (long long)in->d.ev.chat_id);
		dispatch(b, &in->d.ev);
		bus_codec_clear(&in->d);
		free(in);
		in = next;
	}
}

static const char *nb_state(void *p)
{
	struct nats_bus *b = p;
	return atomic_load(&b->connected) ? "connected" : "reconnecting";
}

static const struct bus_ops ops = {nb_subscribe, nb_publish, nb_poll, nb_state};

/* Appends (in arrival order) and wakes the loop when the queue was empty
 * (the loop takes all of it at once). Any thread. */
static void enqueue(struct nats_bus *b, struct inbound *in, int resync)
{
	pthread_mutex_lock(&b->mu);
	int idle = !b->head && !b->resync; /* else a wake-up is pending already */
	if (in) {
		if (b->tail)
			b->tail->next = in;
		else
			b->head = in;
		b->tail = in;
	}
	if (resync)
		b->resync = 1;
	/* under the lock, so that nats_bus_set_wake(NULL) returns only once no
	 * thread can still wake a server being freed (lws_cancel_service only
	 * writes to a pipe) */
	if (idle && b->wake)
		b->wake(b->wake_arg);
	pthread_mutex_unlock(&b->mu);
}

/* libnats's delivery thread: decodes, drops our own and bad events. */
static void on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
	struct nats_bus *b = closure;
	struct inbound *in = xcalloc(1, sizeof *in);
	const char *data = natsMsg_GetData(msg);
	int len = natsMsg_GetDataLength(msg);
	if (bus_codec_decode(data ? data : "", len > 0 ? (size_t)len : 0, &in->d)) {
		log_warn("bus: dropped an undecodable event on %s (%d bytes)", natsMsg_GetSubject(msg), len);
		free(in);
	} else if (!strcmp(in->d.origin, b->origin)) {
		bus_codec_clear(&in->d); /* ours (NoEcho should have kept it away) */
		free(in);
	} else {
		b->received++;
		enqueue(b, in, 0);
	}
	natsMsg_Destroy(msg);
}

static void on_disconnected(natsConnection *nc, void *closure)
{
	struct nats_bus *b = closure;
	atomic_store(&b->connected, 0);
	log_warn("bus: NATS connection lost: reconnecting (events of other appliances are missed meanwhile)");
}

static void on_reconnected(natsConnection *nc, void *closure)
{
	struct nats_bus *b = closure;
	atomic_store(&b->connected, 1);
	log_info("bus: NATS connection back");
	enqueue(b, NULL, 1);
}

static void on_closed(natsConnection *nc, void *closure)
{
	struct nats_bus *b = closure;
	atomic_store(&b->connected, 0);
}

static void on_error(natsConnection *nc, natsSubscription *sub, natsStatus err, void *closure)
{
	log_warn("bus: NATS: %s", natsStatus_GetText(err));
}

int nats_bus_new(struct bus *out, const char *url, char *err, size_t n)
{
	struct nats_bus *b = xcalloc(1, sizeof *b);
	natsOptions *o = NULL;
	natsStatus s;
	pthread_mutex_init(&b->mu, NULL);
	random_b64url(12, b->origin, sizeof b->origin);
	if ((s = natsOptions_Create(&o)) != NATS_OK || (s = natsOptions_SetURL(o, url)) != NATS_OK ||
	    (s = natsOptions_SetName(o, "fechatter")) != NATS_OK ||
	    (s = natsOptions_SetNoEcho(o, true)) != NATS_OK ||
	    (s = natsOptions_SetAllowReconnect(o, true)) != NATS_OK ||
	    (s = natsOptions_SetMaxReconnect(o, -1)) != NATS_OK ||
	    (s = natsOptions_SetReconnectWait(o, RECONNECT_WAIT_MS)) != NATS_OK ||
	    (s = natsOptions_SetDisconnectedCB(o, on_disconnected, b)) != NATS_OK ||
	    (s = natsOptions_SetReconnectedCB(o, on_reconnected, b)) != NATS_OK ||
	    (s = natsOptions_SetClosedCB(o, on_closed, b)) != NATS_OK ||
	    (s = natsOptions_SetErrorHandler(o, on_error, b)) != NATS_OK) {
		snprintf(err, n, "NATS options: %s", natsStatus_GetText(s));
		goto fail;
	}
	if ((s = natsConnection_Connect(&b->nc, o)) != NATS_OK) {
		snprintf(err, n, "cannot connect to NATS at %s: %s", url, natsStatus_GetText(s));
		goto fail;
	}
	atomic_store(&b->connected, 1);
	if ((s = natsConnection_Subscribe(&b->sub, b->nc, PREFIX ".>", on_msg, b)) != NATS_OK ||
	    (s = natsSubscription_SetPendingLimits(b->sub, -1, -1)) != NATS_OK ||
	    (s = natsConnection_Flush(b->nc)) != NATS_OK) {
		snprintf(err, n, "cannot subscribe to %s.> on NATS at %s: %s", PREFIX, url,
		         natsStatus_GetText(s));
		goto fail;
	}
	natsOptions_Destroy(o);
	log_info("bus: NATS at %s, subscribed to %s.>, origin %s", url, PREFIX, b->origin);
	out->ops = &ops;
	out->impl = b;
	return 0;
fail:
	natsOptions_Destroy(o);
	natsSubscription_Destroy(b->sub);
	natsConnection_Destroy(b->nc);
	pthread_mutex_destroy(&b->mu);
	free(b);
	return -1;
}

void nats_bus_set_wake(struct bus *out, void (*wake)(void *), void *arg)
{
	struct nats_bus *b = out->impl;
	pthread_mutex_lock(&b->mu);
	b->wake = wake;
	b->wake_arg = arg;
	if ((b->head || b->resync) && wake)
		wake(arg);
	pthread_mutex_unlock(&b->mu);
}

void nats_bus_free(struct bus *out)
{
	if (!out || !out->impl)
		return;
	struct nats_bus *b = out->impl;
	natsSubscription_Unsubscribe(b->sub);
	natsSubscription_Destroy(b->sub);
	natsConnection_FlushTimeout(b->nc, 2000); /* what we published still goes out */
	natsConnection_Close(b->nc);
	natsConnection_Destroy(b->nc);
	nats_CloseAndWait(2000); /* no libnats thread calls back into b any more */
	int resync;
	for (struct inbound *in = take(b, &resync), *next; in; in = next) {
		next = in->next;
		bus_codec_clear(&in->d);
		free(in);
	}
	log_info("bus: NATS closed: %llu events published, %llu received, %llu not published",
	         (unsigned long long)b->published, (unsigned long long)b->received,
	         (unsigned long long)b->dropped);
	pthread_mutex_destroy(&b->mu);
	free(b);
	out->impl = NULL;
}
