/*
 * The kiosk's side of an emergency (issue 16, research emergency.md §7.2):
 * raising an incident with the roster's policy, and the pump that keeps it
 * going: ticks every open incident, sends each page it claims through the
 * sms_port, records the result, and reads replies.
 *
 * The sms_port is the narrow interface to whatever sends SMS: the kiosk's
 * modem in production (ModemManager over D-Bus, emergency_mm.c), and
 * emergency_sms_fake (kiosk/visit/emergency_sms.c), an in-memory modem for
 * tests with scripted outcomes, and emergency_sms_dir, a modem in a folder
 * for the screen tests.  A reply "<CODE> A [minutes]", "<CODE> X"
 * or "<CODE> D" counts only from a number the roster lists for a service;
 * from any other number it is kept as an event and shown, never counted.
 *
 * The pump does blocking modem work and runs on its worker thread
 * (emergency_worker.c), never the UI's.  No SQL here (kiosk/store/emergency.h); no
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
	/* The next delivery report (NULL: the back-end has none): 0 with
	 * REF the sent SMS's message reference and *DELIVERED 1 (received
	 * by the phone) or 0 (failed for good), or ENOENT when none. */
	int (*report)(void *arg, char ref[32], int *delivered);
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
	int delivered; /* delivery reports of pages */
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

/*
 * A modem in a folder, for the screen tests (OUTPOST_TEST_MODEM_DIR,
 * test-only; it stands in for a GSM modem, which cannot run here).
 * DIR/modem says how the modem behaves now, read at each send: absent or
 * "ok" (taken), "fail" (+CMS ERROR: EIO), "gone" (unplugged: ENODEV),
 * "hang N" (no +CMGS for N seconds, or until DIR/modem changes, then
 * ETIMEDOUT).  Each SMS taken is
 * appended to DIR/sent as "TO<tab>TEXT"; each file DIR/in/NAME.sms
 * ("FROM" on the first line, the text on the second) is one received SMS,
 * removed once read, in name order.
 */
struct sms_dir {
	char dir[256];
	int nsent;
};
void emergency_sms_dir(struct sms_port *, struct sms_dir *, const char *dir);

/*
 * The production modem (emergency_mm.c): ModemManager on the system bus
 * through libmm-glib, the first modem with the Messaging interface; one
 * page is created with a delivery report and a validity of one hour, then
 * sent (30 s at most); received SMS are read and deleted.  0, or ENODEV
 * when ModemManager is not on the bus.  Call it, and the port, from one
 * thread only (the worker's).
 */
struct sms_mm;
int emergency_sms_mm(struct sms_port *, struct sms_mm **);
void emergency_sms_mm_free(struct sms_mm *);
/* Cut a call in flight short (from any thread: the worker's stop); every
 * later send fails at once. */
void emergency_sms_mm_cancel(struct sms_mm *);

/*
 * The pump's worker thread (emergency_worker.c): the UI never sends.  It
 * opens its own store connection (like the sync thread), recovers sends a
 * crash cut short, then pumps every second and whenever kicked: the
 * roster from the store (checked against the pinned server key), the
 * callback number (EMERG_K_CALLBACK), the modem (OUTPOST_TEST_MODEM_DIR's
 * folder modem in tests; else ModemManager, looked for again every 30 s
 * while it is not on the bus).  A send that hangs blocks only this thread; the UI reads
 * what the modem did through emerg_worker_status.
 */
#define EMERG_K_CALLBACK "emergency.callback" /* E.164, the CHW's phone */

enum emerg_modem {
	EMERG_MODEM_NONE = 0, /* no modem back-end */
	EMERG_MODEM_UNTRIED, /* present, nothing sent yet */
	EMERG_MODEM_OK, /* the last send was taken */
	EMERG_MODEM_FAILED, /* the last send was refused or timed out */
};

struct emerg_worker_status {
	int running;
	enum emerg_modem modem;
	uint64_t busy_since_ms; /* clock_mono_ms() a send started, 0 idle */
	int last_err; /* of the last send: 0, EIO, ETIMEDOUT, ENODEV... */
	uint64_t rounds; /* pumps done */
	int pump_err; /* of the last pump: 0, EINVAL no roster, ... */
};

int emerg_worker_start(const char *dir, const uint8_t key[32]);
void emerg_worker_kick(void);
void emerg_worker_stop(void);
void emerg_worker_status(struct emerg_worker_status *);
/* A send that has not answered for this long counts as no modem. */
#define EMERG_MODEM_STUCK_MS 5000

/*
 * From the visit (emergency_visit.c, the UI thread's side: short store
 * transactions only, the worker kicked for every send).
 *
 * visit_emergency_raise: an incident for the patient in hand (age, sex,
 * NEWS2 and the visit's validated vital signs; none when no patient is in
 * hand), manual (the key: level 1 pages at once) or automatic (NEWS2 >= 7:
 * the confirm window first; its length is the roster's, or the test-only
 * OUTPOST_EMERGENCY_CONFIRM_S).  0, ENOENT (no usable roster: nobody can
 * be paged, the card says to phone), or a store error.
 * visit_emergency_step: the CHW's step on incident ID (store_emergency_step
 * under the roster's policy).
 * visit_emergency_view: what the card and the strip show of the newest
 * open incident; ENOENT when none is open.
 */
struct visit;
#define VISIT_EMERG_REPLIES 3
struct visit_emerg_reply {
	int64_t at_ms;
	int foreign; /* from a number not on the roster: not counted */
	char text[STORE_EMERG_TEXT_MAX]; /* "<service or number>: <text>" */
};
struct visit_emerg {
	int open; /* incidents open */
	struct store_emergency e; /* the newest open one */
	int have_roster, roster_stale;
	struct esc_roster roster;
	int nranked, order[ESC_MAX_SERVICES]; /* nearest first */
	int nreplies; /* the latest, oldest first */
	struct visit_emerg_reply replies[VISIT_EMERG_REPLIES];
	int sent, failed; /* SMS sends recorded */
	char last_sent_to[STORE_EMERG_TEXT_MAX];
	uint64_t elapsed_s; /* since it was raised (wall clock) */
	uint64_t next_ms; /* to the engine's next step, 0 none/due */
	enum emerg_modem modem;
	int modem_stuck, modem_down;
	int server_up, server_down;
	int no_network; /* neither path: the card's no-network variant */
};
int visit_emergency_raise(
    struct visit *, enum esc_trigger, char id[UUID_STRLEN + 1]);
int visit_emergency_step(struct visit *, const char *id, enum store_emerg_op,
    const char *by, uint32_t eta, const char *text);
int visit_emergency_view(struct visit *, struct visit_emerg *);

#endif
