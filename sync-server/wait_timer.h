/*
 * The waitlist's moving offers (issue 15, docs/PROTOCOL.md §11.1): a
 * freed slot is offered to the best-ranked eligible entry, held for
 * min(4 h, half the time to the slot); when the offer lapses (the timer
 * here) or is declined or its entry removed (POST /v1/waitlist), the
 * entry waits again, never offered that slot again, and the next ranked
 * candidate gets the offer.  The store keeps at most one live offer per
 * slot (its PRIMARY KEY).
 */
#ifndef SYNC_SERVER_WAIT_TIMER_H
#define SYNC_SERVER_WAIT_TIMER_H

#include <stdint.h>

#include "sync-server/server.h"

/* Offer slot SLOT (starting at START_MS) to the next candidate at NOW_MS:
 * 0 offered (or an offer already live), ENOENT nobody to offer (or the
 * slot starts too soon to hold it), else the store's errno. */
int waitlist_offer(
    struct server *, uint64_t slot, uint64_t start_ms, uint64_t now_ms);
/* One sweep at NOW_MS: stale entries expire, lapsed offers move on.
 * *MOVED (NULL: not wanted) how many slots were offered on. */
int waitlist_tick(struct server *, uint64_t now_ms, unsigned *moved);
/* The timer thread: a sweep every TICK_MS (0: 10 s); sets
 * srv->wait_stop_hook.  waitlist_stop joins it (server_close calls it). */
int waitlist_start(struct server *, uint32_t tick_ms);
void waitlist_stop(struct server *);

#endif
