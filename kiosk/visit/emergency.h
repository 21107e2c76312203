/*
 * The kiosk's side of an emergency (issue 16, research emergency.md §7.2):
 * raising an incident with the roster's policy, and the pump that keeps it
 * going: ticks every open incident, sends each page it claims through the
 * sms_port, records the result, and reads replies.
 *
 * The sms_port is the narrow interface to whatever sends SMS: the kiosk's
 * modem in production (ModemManager over D-Bus: not written yet), and
 * emergency_sms_fake (kiosk/visit/emergency_sms.c), an in-memory modem for
 * tests with scripted outcomes.  A reply "<CODE> A [minutes]", "<CODE> X"
 * or "<CODE> D" counts only from a number the roster lists for a service;
 * from any other number it is kept as an event and shown, never counted.
 *
 * The pump does blocking modem work and belongs on a worker thread, never
 * the UI's (not wired yet).  No SQL here (kiosk/store/emergency.h); no
 * patient name or id in any SMS or log line.
 */
#ifndef KIOSK_VISIT_EMERGENCY_H
#define KIOSK_VISIT_EMERGENCY_H

#include <stdint.h>

#include "escalate/escalate.h"
#include "escalate/roster.h"
#include "escalate/sms.h"
#include "kiosk/store/emergency.h"

struct sms_msg {
	char from[ESC_NUM_LEN];
	char text[ESC_SMS_MAX + 1];
};

struct sms_port {
	void *arg;
	/* Submit TEXT to TO (E.164): 0 taken by the network (REF its
	 * message reference), EIO refused (+CMS ERROR), ETIMEDOUT no answer
	 * (unknown), ENODEV no modem. */
	int (*send)(void *arg, const char *to, const char *text, char ref[32]);
	/* The next received SMS: 0, or ENOENT when none. */
	int (*recv)(void *arg, struct sms_msg *);
};

/*
 * The fast-path channel (issue 16, research §7.2, docs/PROTOCOL.md §13):
 * POST /v1/emergency, idempotent by the incident's UUID, carrying the
 * incident record, the modem pages as they stand and the page text (the
 * server pages by gateway only what the modem could not, §7.3).  Tried at
 * once, retried while the incident is open (2, 4, 8 s, then every 8 s)
 * until the server has it, and sent again when what it reports changed.
 * post: 0 with the server's view (STATE, BY, ETA: a yes given through the
 * gateway becomes the kiosk's), or an errno (no link: retried).
 * emerg_fast_sync (emergency_fast.c) is the production one: kiosk/sync's
 * signed libcurl client.
 */
struct emerg_fast {
	void *arg;
	int (*post)(void *arg, const uint8_t *body, size_t len, char state[16],
	    char by[ESC_RCPT_LEN], uint32_t *eta);
};
void emerg_fast_sync(struct emerg_fast *, struct store *);

#define EMERG_FAST_SLOTS 8
#define EMERG_FAST_WHAT 512
struct emerg_fast_slot {
	char id[UUID_STRLEN + 1];
	uint64_t next_ms; /* CLOCK_BOOTTIME ms of the next try */
	uint32_t backoff_ms;
	char what[EMERG_FAST_WHAT]; /* what the server last took, "" none */
};

struct emerg_ctx {
	struct store *s;
	const struct esc_roster *roster;
	struct sms_port *port; /* NULL: no modem */
	const char *chw_phone; /* E.164 callback number */
	struct emerg_fast *fast; /* NULL: no fast path */
	struct emerg_fast_slot fslots[EMERG_FAST_SLOTS]; /* zeroed by caller */
};

/* What one pump did. */
struct emerg_report {
	int sent, failed, superseded;
	int acks, declines, done; /* replies counted */
	int foreign; /* replies from numbers not on the roster */
	int unreadable; /* replies that were not "<CODE> A|X|D" */
	int fast_ok, fast_failed; /* fast-path posts taken, not (retried) */
	int server_acks; /* yeses the server's answer brought */
};

/* Raise an incident under the roster's policy (EINVAL: no usable roster
 * policy; store errors as kiosk/store/emergency.h). */
int emerg_raise(struct emerg_ctx *, const struct store_emergency_in *,
    const struct esc_now *, char id[UUID_STRLEN + 1]);
/* One round: replies, ticks, pending sends.  REP may be NULL. */
int emerg_pump(
    struct emerg_ctx *, const struct esc_now *, struct emerg_report *rep);
/* The page text for incident E as it would go to a service (for the
 * CALL NOW card to show what was sent).  0 or as esc_sms_page. */
int emerg_page_text(const struct emerg_ctx *, const struct store_emergency *,
    int repeat, char out[ESC_SMS_MAX + 1]);

/* The in-memory modem (emergency_sms.c): every sent SMS is kept; OUTCOME
 * is what send returns (0, EIO, ETIMEDOUT, ENODEV); inbox replies queued
 * with emergency_sms_fake_reply. */
#define SMS_FAKE_MAX 256
struct sms_fake {
	int outcome;
	int nsent;
	struct sms_msg sent[SMS_FAKE_MAX]; /* FROM holds the recipient */
	int nin, inpos;
	struct sms_msg in[16];
};
void emergency_sms_fake(struct sms_port *, struct sms_fake *);
void emergency_sms_fake_reply(
    struct sms_fake *, const char *from, const char *text);

#endif
