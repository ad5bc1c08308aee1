/* core/demo: a ready-to-explore workspace for `fechatter demo` (the offline
 * demo from a downloaded binary): people, channels, a direct message, a
 * thread, mentions and reactions. Runs before serving, on an empty store. */
#ifndef FE_DEMO_H
#define FE_DEMO_H
#include "core/app.h"

#define DEMO_PASSWORD "demo-password"

/* Seeds the demo when the store has no workspace yet. Returns 0 (also when
 * there was something already: nothing is touched then) or FE_E*.
 * Slow (one password hash). */
int demo_seed(struct app *app);

#endif
