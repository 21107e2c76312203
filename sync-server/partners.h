/*
 * The server's machine partners (issue 16, research emergency.md §1.1,
 * §1.4, §7.5): per region, an administrator lists endpoints that take an
 * incident as CAP 1.2 (an Alert, then Updates and a Cancel referencing
 * it) or as FHIR R4 (a transaction Bundle of a Flag, a ServiceRequest and
 * a Communication).  When an incident opens, moves to another level, is
 * acknowledged, arrives or is cancelled, partners_note() queues one
 * message per partner in the store (backend.h "Partners"); a worker
 * thread POSTs what is due (partners_deliver()), never a request: at
 * least once, retried with backoff, durable across a restart, and the
 * same bytes each time (the identifier "<uuid>.<seq>" is stable, so a
 * duplicate is harmless).  What a partner learns is what the SMS says
 * (age, sex, NEWS2 and vitals, the site; docs/SECURITY.md).
 */
#ifndef SYNC_SERVER_PARTNERS_H
#define SYNC_SERVER_PARTNERS_H

#include <stddef.h>
#include <stdint.h>

#include "escalate/roster.h"
#include "sync-server/store/backend.h"

struct server;
struct partners_worker;

/* The messages of an incident, by seq (stable). */
#define PARTNER_SEQ_ALERT 1 /* opened */
#define PARTNER_SEQ_LEVEL(loop, level) /* loop from 1, level from 0 */         \
	(2 + ((uint64_t)(loop)-1) * 8 + (uint64_t)(level))
#define PARTNER_SEQ_ACK 9001
#define PARTNER_SEQ_ARRIVED 9002
#define PARTNER_SEQ_CANCEL 9003

/* Backoff: 5 s doubling to 15 min; a message not taken in 24 h expires. */
#define PARTNER_BACKOFF_MS 5000
#define PARTNER_BACKOFF_MAX_MS (15 * 60 * 1000)
#define PARTNER_EXPIRE_MS (24 * 3600 * 1000ULL)

/* Queue for every partner of E's region what it has not had of E's
 * state (R: the kiosk's roster, for the site; NULL: none).  0 or the
 * store's errno; *ADDED (may be NULL) messages queued. */
int partners_note(struct server *, const struct semerg *e,
    const struct esc_roster *r, uint64_t now_ms, int *added);

/* One pass over the due messages at NOW_MS: each POSTed once, marked
 * delivered (2xx), refused (4xx but 408/429: logged, not retried) or
 * retried later.  A later message of an incident waits for the earlier
 * ones to a partner.  *DELIVERED (may be NULL) 2xx answers. */
int partners_deliver(struct server *, uint64_t now_ms, int *delivered);

/* Message SEQ of E for a partner in FORMAT ("cap", "fhir"), addressed
 * to ADDRESSES, sent at SENT_MS (*OUT xmalloc'd): 0, or EINVAL. */
int partners_doc(const struct semerg *e, const struct esc_roster *r,
    const char *format, const char *addresses, uint64_t seq, uint64_t sent_ms,
    char **out);

/* The HTTP timeout of a delivery (default 10 s; tests shorten it). */
void partners_timeout_ms(long ms);

/* The worker: a thread calling partners_deliver every TICK_MS. */
struct partners_worker *partners_start(struct server *, uint32_t tick_ms);
void partners_stop(struct partners_worker *);

/* `admin partner add REGION URL --format cap|fhir [--secret S]`,
 * `admin partner list [REGION]`; `admin emergency cap|fhir ID|CODE
 * [--seq N]`.  0, 1 (failed, after saying why) or 2 (usage). */
int admin_partner(
    const struct store_backend *, struct sstore *, int argc, char **argv);
int admin_emergency(const char *data_dir, const char *store, const uint8_t *key,
    int argc, char **argv);

#endif
