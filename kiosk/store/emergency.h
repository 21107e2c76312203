/*
 * Emergency incidents in the kiosk store (issue 16; research emergency.md
 * §7.7): the incident row (REC_EMERGENCY, synced), the engine's state
 * (escalate.h, kept with the row, local), its append-only event log and
 * its send intents.
 *
 * Durable before outward: each call is one transaction that runs the
 * engine, writes the row, its outbox change, the audit entry, the events
 * and every send the engine asked for (status "pending").  A send is tried
 * only after store_emergency_claim committed it as "sending" and checked,
 * inside that transaction, that the engine still wants it; a yes
 * committed first makes the claim fail (ECANCELED).  After a crash, a send
 * left "sending" is unknown: store_emergency_recover makes it pending again
 * while its level is current (at most one duplicate per recipient per
 * level) and "superseded" otherwise.
 *
 * Errors as store.h; ENOENT: no such incident or send; EALREADY: the step
 * does not apply in the incident's state (closed, already acknowledged).
 * Nothing identifying a patient is logged.
 */
#ifndef KIOSK_STORE_EMERGENCY_H
#define KIOSK_STORE_EMERGENCY_H

#include <stdint.h>

#include "escalate/escalate.h"
#include "escalate/roster.h"
#include "uuid.h"

struct store;

#define STORE_EMERG_VITALS_MAX 64
#define STORE_EMERG_TEXT_MAX 200

/* What the kiosk knows when an emergency is raised. */
struct store_emergency_in {
	const char *patient_id; /* NULL: unknown person */
	const char *encounter_id; /* NULL: no open visit */
	enum esc_trigger trigger; /* manual (the key) or auto (NEWS2) */
	int news2; /* -1: none */
	const char *vitals; /* "SpO2 84 RR 28 ..." or NULL */
	int age; /* -1: unknown */
	char sex; /* 'F', 'M' or 0 */
	uint64_t roster_version;
	const char *modem; /* "none", "ok", "failed", "unknown" */
};

/* One incident as stored. */
struct store_emergency {
	char id[UUID_STRLEN + 1];
	struct esc_incident eng;
	char patient_id[UUID_STRLEN + 1];
	char encounter_id[UUID_STRLEN + 1];
	int news2; /* -1: none */
	char vitals[STORE_EMERG_VITALS_MAX];
	int age; /* -1 unknown */
	char sex;
	char note[STORE_EMERG_TEXT_MAX];
	char end_reason[STORE_EMERG_TEXT_MAX];
	uint64_t raised_ms, first_send_ms, first_delivery_ms;
};

/* One send intent. */
struct store_emergency_send {
	int64_t id;
	char incident_id[UUID_STRLEN + 1];
	struct esc_action act; /* kind, loop, level, rcpt */
	char channel[8]; /* "sms" (the kiosk's modem) */
	char status[12]; /* pending sending sent delivered failed unknown
			    superseded */
	int attempts;
};

/* What a step does (store_emergency_step). */
enum store_emerg_op {
	STORE_EMERG_TICK = 1, /* time passed */
	STORE_EMERG_CONFIRM, /* the CHW confirms an automatic trigger */
	STORE_EMERG_ACK, /* a person said yes (BY, ETA minutes) */
	STORE_EMERG_DECLINE, /* a roster contact cannot come */
	STORE_EMERG_ARRIVED,
	STORE_EMERG_NOT_ARRIVED,
	STORE_EMERG_CANCEL, /* TEXT: the reason (required) */
	STORE_EMERG_NOTE, /* TEXT: the note */
};

/*
 * Raise an incident: a new UUID (ID_OUT), the engine started under POL,
 * and everything it asks for, in one transaction.  EINVAL: POL has a
 * level nobody can be paged on.
 */
int store_emergency_raise(struct store *, const struct store_emergency_in *,
    const struct esc_policy *, const struct esc_now *,
    char id_out[UUID_STRLEN + 1]);
/* Apply OP to incident ID at NOW, in one transaction.  BY and TEXT as
 * the op says (else NULL); ETA in minutes for ACK. */
int store_emergency_step(struct store *, const char *id, enum store_emerg_op,
    const struct esc_policy *, const struct esc_now *, const char *by,
    uint32_t eta, const char *text);
/* Incident ID.  ENOENT when none. */
int store_emergency_get(
    struct store *, const char *id, struct store_emergency *);
/* Call CB for each incident not closed, oldest first; CB's non-zero
 * return stops the walk and is returned. */
int store_emergency_open(struct store *,
    int (*cb)(void *, const struct store_emergency *), void *arg);
/* Call CB for each pending send, oldest first. */
int store_emergency_pending(struct store *,
    int (*cb)(void *, const struct store_emergency_send *), void *arg);
/* Call CB for every send of incident ID, oldest first (what the kiosk
 * reports to the server on the fast path, research §7.3). */
int store_emergency_sends(struct store *, const char *id,
    int (*cb)(void *, const struct store_emergency_send *), void *arg);
/* Mark send SEND_ID "sending" if its incident still wants it (0, *OUT
 * filled), else "superseded" (ECANCELED). */
int store_emergency_claim(
    struct store *, int64_t send_id, struct store_emergency_send *out);
/* Record a send's outcome: "sent", "delivered", "failed", "unknown";
 * EXT_ID (may be NULL) is the modem's or gateway's message reference.
 * The first "sent" and the first "delivered" mark the incident. */
int store_emergency_result(struct store *, int64_t send_id, const char *status,
    const char *ext_id, const struct esc_now *);
/* A delivery report for the modem's message reference REF: STATUS
 * ("delivered" or "failed") for the newest send of that reference still
 * "sent" or "unknown" (references wrap at 255), as store_emergency_result
 * records it.  ENOENT: no such send (a late or foreign report). */
int store_emergency_report(struct store *, const char *ref, const char *status,
    const struct esc_now *);
/* Append an event KIND (with DETAIL) to incident ID's log alone: a reply
 * from a number not on the roster, shown and not counted. */
int store_emergency_event(struct store *, const char *id,
    const struct esc_now *, const char *kind, const char *detail);
/* One entry of an incident's event log. */
struct store_emergency_ev {
	int64_t seq;
	int64_t at_ms; /* wall clock */
	char kind[24]; /* raise, page, sent, failed, ack, reply,
			  reply-foreign, cancel, note... */
	char detail[STORE_EMERG_TEXT_MAX];
};
/* Call CB for each event of incident ID, oldest first (KIND NULL: all,
 * else only that kind); CB's non-zero return stops the walk and is
 * returned. */
int store_emergency_events(struct store *, const char *id, const char *kind,
    int (*cb)(void *, const struct store_emergency_ev *), void *arg);

/*
 * The roster (escalate/roster.h), kept signed in the store's state.
 * store_emergency_roster_put takes BUF only when esc_roster_accept does
 * against the one kept (signature under the server's PUB, not older, not
 * expired at NOW); else the kept one stays and *CAUSE says why (its
 * errors).  store_emergency_roster_get gives the kept one (ENOENT: none)
 * and *STALE when it expired at NOW (it still works: "roster stale").
 */
int store_emergency_roster_put(struct store *, const uint8_t *buf, size_t len,
    const uint8_t pub[32], int64_t now, char **cause);
int store_emergency_roster_get(struct store *, const uint8_t pub[32],
    int64_t now, struct esc_roster *, int *stale);
/* After a restart: each "sending" send becomes "pending" while its level
 * is current, else "superseded".  *RESENT, *SUPERSEDED: counts (may be
 * NULL). */
int store_emergency_recover(struct store *, int *resent, int *superseded);

#endif
