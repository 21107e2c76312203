/*
 * The server's emergency escalation (issue 16, research emergency.md §7.3).
 *
 * An incident arrives by the fast path (POST /v1/emergency, api/emergency.c)
 * or as a synced REC_EMERGENCY change (api/push.c), and is upserted by its
 * UUID into one row (store/backend.h "Emergencies").  A timer thread runs
 * the same engine as the kiosk (escalate/) under the kiosk's roster (kept
 * per node, `admin roster sign ... --node N`) and pages by the SMS gateway
 * only what the kiosk cannot (esc_server_owns): a page is first recorded
 * "deferred"; it is sent when the kiosk reported no modem, a failed one, a
 * failed send of that page, or nothing for ESC_HANDOVER_MS; it is "left"
 * when the kiosk's modem sent it.  Durable before outward: a page is
 * committed "sending" before the gateway is asked; after a crash a page
 * left "sending" is sent once more while its level is current (attempt 2)
 * and never a third time: at most one duplicate per recipient per level.
 *
 * The gateway (gateway.c, Africa's Talking's HTTP API) posts delivery
 * reports and inbound SMS to /v1/gateway/dlr and /v1/gateway/inbound with
 * the callback secret; only a yes ("<CODE> A [min]") from a number the
 * roster lists stops escalation.  No patient data in logs: codes, levels
 * and counts.
 */
#ifndef SYNC_SERVER_EMERGENCY_H
#define SYNC_SERVER_EMERGENCY_H

#include <stddef.h>
#include <stdint.h>

#include "escalate/escalate.h"
#include "sync-server/store/backend.h"

struct server;
struct schange;
struct esc_roster;

/* `admin roster sign SPEC OUT [--node N]` (ARGV[0] is "roster"): 0, 1
 * (failed, after saying why) or 2 (usage).  With --node the signed roster
 * is also kept for node N, served by POST /v1/roster and used by the
 * server's engine for that node's incidents. */
int admin_roster(const char *data_dir, const char *store, const uint8_t *key,
    int argc, char **argv);
/* Keep BUF (a signed roster) as node NODE's: 0, or EBADMSG when it does
 * not verify under the server key. */
int emergency_roster_put(
    struct server *, uint64_t node, const uint8_t *buf, size_t len);
/* Node NODE's roster, verified, into R: 0 or ENOENT. */
int emergency_roster_of(struct server *, uint64_t node, struct esc_roster *r);
/* Node NODE's signed roster (*BUF xmalloc'd): 0 or ENOENT. */
int emergency_roster_get(
    struct server *, uint64_t node, uint8_t **buf, size_t *len);

/* The gateway (gateway.c): DATA/gateway.conf, docs/OPERATIONS.md. */
struct gateway_cfg {
	char url[256]; /* the messaging endpoint */
	char username[64];
	char apikey[128];
	char from[24]; /* sender id or short code, "" none */
	char secret[64]; /* the callback secret */
};
/* 0, ENOENT (no file: no gateway), or EINVAL/EPERM with a warning. */
int gateway_load(const char *path, struct gateway_cfg *);
/* Submit TEXT to TO: 0 accepted (EXT_ID its message id), EIO refused
 * for good, EAGAIN refused for now, ETIMEDOUT no answer (unknown). */
int gateway_send(const struct gateway_cfg *, const char *to, const char *text,
    char ext_id[64]);
/* A delivery report's status word in the five of research §4.1:
 * "sent", "delivered", "failed", or NULL (not one we know). */
const char *gateway_status(const char *word);

/* Start/stop the timer thread (every TICK_MS; 0: 1000); reads
 * DATA/gateway.conf when there is one.  An in-process test may set
 * srv->emerg's clock and faults after emergency_start with TICK_MS
 * UINT32_MAX (no thread: it calls emergency_tick itself). */
int emergency_start(struct server *, uint32_t tick_ms);
void emergency_stop(struct server *);

/* The test hooks: a clock instead of esc_now_read, and a fault point
 * (called with a name before and after every commit of the timer; a
 * non-zero return abandons the tick there, as kill -9 would). */
struct emerg_hooks {
	int (*now)(void *arg, struct esc_now *);
	int (*fault)(void *arg, const char *point);
	void *arg;
};
void emergency_hooks(struct server *, const struct emerg_hooks *);
/* Use CFG as the gateway (tests; NULL: none). */
void emergency_gateway(struct server *, const struct gateway_cfg *);

/* One pass of the timer: every open incident's engine ticked, its
 * deferred pages judged, owned ones sent.  *SENT (may be NULL): pages
 * handed to the gateway.  Also recovers pages left "sending". */
int emergency_tick(struct server *, int *sent);

/* Upsert an incident from a decoded record BODY (the sync change or the
 * fast path), by NODE, with the kiosk's modem PAGES and page TEXT (may be
 * NULL).  EBADMSG: not a usable record; EACCES: another node's incident.
 * *OUT (may be NULL): the row after. */
int emergency_ingest(struct server *, uint64_t node, const uint8_t id[16],
    uint64_t hlc, const uint8_t *body, size_t len,
    const struct semerg_page *pages, size_t npages, const char *text,
    struct semerg *out, int *created);
/* The accepted REC_EMERGENCY changes of a push (api/push.c). */
void emergency_pushed(struct server *, uint64_t node,
    const struct schange *changes, const int *accepted, size_t n);

/* Is SECRET the gateway's callback secret?  0 without a gateway. */
int emergency_callback_ok(struct server *, const char *secret);
/* The gateway's callbacks: a delivery report of message EXT; an inbound
 * SMS EXT from FROM.  EEXIST: a duplicate (nothing done). */
int emergency_dlr(struct server *, const char *ext, const char *status);
int emergency_inbound(
    struct server *, const char *ext, const char *from, const char *text);

/*
 * For the regional dashboard (research §7.3 row 17): the intervals of
 * every incident raised at or after SINCE_MS, trigger -> first send ->
 * first delivery -> acknowledged -> arrived, in ms (-1: not reached).
 * *OUT xmalloc'd (the caller frees), *N rows.  Codes and times only.
 */
struct emerg_interval {
	char code[8];
	uint64_t node;
	char state[16];
	uint64_t raised_ms;
	int64_t to_first_send, to_first_delivery, to_ack, to_arrival;
};
int store_emergency_intervals(
    struct server *, uint64_t since_ms, struct emerg_interval **out, size_t *n);

#endif
