/*
 * A visit without a terminal: the unlocked session (store and user), the
 * patient in hand, their encounter, the vital signs and their NEWS2
 * score, the red flag waiting for acknowledgement, and the device worker
 * that feeds readings in.  The kiosk screen (kiosk/tui/) holds one
 * struct visit and drives it; a test can drive it just as well.
 *
 * The rule of this folder:
 *   - kiosk/visit/ never includes curses nor anything from kiosk/tui/, and
 *     never calls into it.  What the visit has to tell the person ("device
 *     removed") goes through the say callback the UI sets (visit->say); a
 *     visit without one stays silent.
 *   - kiosk/visit/ runs no SQL: it asks the store (kiosk/store/store.h).
 *   - The UI reads struct visit to draw it and changes it through the
 *     functions below; it writes only its own bookkeeping there
 *     (vitals.alert_shown when it opens the alert, vitals.imci_checked when
 *     it shows the danger signs, form_path).
 *
 * Threads: everything here runs on the UI loop's thread, except the
 * device worker (kiosk/visit/devices.c), which posts events through a
 * pipe (visit_devices_fd) and never touches the visit itself.
 */
#ifndef KIOSK_VISIT_H
#define KIOSK_VISIT_H

#include <stddef.h>
#include <stdint.h>

#include "clinical/triage.h"
#include "kiosk/store/store.h"
#include "kiosk/store/totp.h"

struct kctx;

/* How often the background sync runs when nothing new was saved. */
#define VISIT_SYNC_INTERVAL_S 30

/* Kinds of message for the person (the UI shows them on its status line). */
#define VISIT_MSG_INFO 0
#define VISIT_MSG_OK 1
#define VISIT_MSG_WARN 2
#define VISIT_MSG_DANGER 3

/* A message for the person: TEXT is lent for the call. */
typedef void (*visit_say_cb)(void *arg, int kind, const char *text);

/* Vital signs being taken in the current encounter. */
struct visit_vitals {
	struct news2_input in; /* in.have: what has been measured */
	int dia; /* diastolic, 0 when not measured */
	unsigned from_device; /* bit per NEWS2 parameter read from a device */
	struct news2_result r;
	int alert_raised; /* response level (news2_response_level) of the
			     last red flag recorded in this visit, 0 none */
	char alert_id[UUID_STRLEN + 1];
	int alert_pending; /* raised and not yet acknowledged */
	struct store_alert_row alert; /* the pending one, as recorded */
	int alert_stored; /* it was raised before this visit's values (an
			     earlier session or day): its cause is the
			     record's, not today's score */
	int alert_shown; /* the alert screen has been opened for it */
	unsigned imci_signs; /* IMCI danger signs ticked (imci_input) */
	int imci_checked; /* the danger signs screen was opened: a sign
			     not ticked was looked for and is absent */
	int imci_raised; /* an IMCI alert was recorded in this visit */
	int emergency; /* the pending alert is the CHW's emergency key */
	char emerg_id[UUID_STRLEN + 1]; /* the incident NEWS2 >= 7 raised in
					   this visit (issue 16), "" none */
	int emerg_new; /* just raised: the UI opens the CALL NOW card */
};

/* What the device worker last said. */
enum visit_dev_state {
	VISIT_DEV_NONE = 0, /* no device configured */
	VISIT_DEV_IDLE, /* configured, not reading now */
	VISIT_DEV_READING,
	VISIT_DEV_DONE, /* session over */
	VISIT_DEV_ERROR,
};

struct visit {
	struct kctx *ctx;

	/* the session: NULL store while locked */
	struct store *store;
	char user_id[UUID_STRLEN + 1];
	char user_name[64];
	int user_role;
	int mfa_due; /* second factor (kiosk/store/mfapolicy.h): -1 not
			needed, 0 enrol now, N days of grace left */

	/* the patient in hand, and their encounter */
	int have_patient;
	struct store_patient patient;
	char encounter_id[UUID_STRLEN + 1];
	char visit_reason[96]; /* of a visit carried on (a check-in) */
	struct visit_vitals vitals;
	char form_path[256]; /* the form chosen for this visit */

	/* the device worker (kiosk/visit/devices.c) */
	int dev_state; /* enum visit_dev_state */
	char dev_name[64]; /* shown: "virtual" or the driver */
	char dev_driver[32]; /* provenance of readings */
	char dev_id[96];
	char dev_serial[64];
	char dev_firmware[64];
	uint16_t dev_vid, dev_pid;
	char dev_error[128];
	unsigned dev_readings;
	int dev_pipe[2];
	void *dev_worker;

	/* set by the UI: where messages for the person go (may be NULL) */
	visit_say_cb say;
	void *say_arg;
};

/* --- the visit itself (kiosk/visit/visit.c) --- */
/* Start V empty and locked, on the node of CTX (lent, may be NULL for a
 * visit whose store the caller opens itself). */
void visit_init(struct visit *v, struct kctx *ctx);
/* Tell the person something through v->say (printf-style). */
void visit_say(struct visit *v, int kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Words for an errno value a person can act on (static text). */
const char *visit_strerror(int err);
/* Today's visits on this kiosk, one row per patient, newest first, at
 * most MAX (store_encounter_list_today); 0, EINVAL while locked, or a
 * store error. */
int visit_today_list(
    struct visit *v, struct store_today *rows, int max, int *n);

/* --- the session (kiosk/visit/session.c) --- */
/* Unlock the store as USER with PASS and, when USER has a second factor,
 * CODE (a TOTP or recovery code; NULL otherwise); 0 or errno with *cause
 * (static or caller-freed: always free with free()).  *RECOVERY_LEFT is
 * the recovery codes left when one was used, else -1. */
int visit_session_unlock(struct visit *, const char *user, const char *pass,
    const char *code, int *recovery_left, char **cause);
/* 1 when USER has a second factor (the unlock needs a code). */
int visit_session_needs_code(struct visit *, const char *user);
/* How many ms an unlock of USER must still wait after earlier wrong
 * passphrases (keyring_wait_ms), 0 when none or unknown. */
uint64_t visit_session_unlock_wait(struct visit *, const char *user);
/* --- the second factor's enrolment (kiosk/visit/mfa.c) --- */
/* A TOTP secret being enrolled for the user in session: shown, then
 * confirmed by a first code; the recovery codes exist once it is. */
struct visit_mfa {
	uint8_t secret[TOTP_SECRET_LEN];
	char *b32; /* the secret in base32, to type by hand */
	char *uri; /* otpauth:// URI, for the QR code */
	char codes[TOTP_RECOVERY_N][TOTP_RECOVERY_LEN + 1];
	int done; /* enrolled: CODES hold the recovery codes */
};
/* A new secret for the user in session into M (visit_mfa_clear wipes). */
void visit_mfa_start(struct visit *, struct visit_mfa *m);
/*
 * Check CODE against M's secret: on success the second factor and new
 * recovery codes are saved in the keyring (M->done, audited) and
 * v->mfa_due becomes -1.  A wrong code counts like a wrong passphrase
 * (keyring_mfa_failed): EACCES with *CAUSE, or EPERM when the user is now
 * locked out (the caller locks the kiosk).  EAGAIN with *CAUSE while an
 * earlier wrong try's wait runs (nothing counted).  *CAUSE: free().
 */
int visit_mfa_confirm(
    struct visit *, struct visit_mfa *m, const char *code, char **cause);
void visit_mfa_clear(struct visit_mfa *m);

/* Forget everything about the session: patient, vitals, store, key. */
void visit_session_lock(struct visit *);
/* Make P the patient in hand (copied); the patient already in hand keeps
 * their visit, another one brings their unacknowledged red flag, if any. */
void visit_session_patient(struct visit *, const struct store_patient *p);
void visit_session_patient_clear(struct visit *);
/* Make the red flag ALERT_ID (of the patient in hand) the one pending,
 * to be shown with its recorded cause: 0, ENOENT (unknown, acknowledged
 * or another patient's) or a store error. */
int visit_session_alert(struct visit *, const char *alert_id);
/* The encounter of the patient in hand, opened on first use. */
int visit_session_encounter(struct visit *, const char *reason);
/* End the visit of the patient in hand: close its encounter and put the
 * patient down.  EBUSY while a red flag waits for acknowledgement (the
 * visit goes on), or the store's error (likewise). */
int visit_session_end(struct visit *);
/* Cancel the visit of the patient in hand when it has recorded nothing:
 * no encounter was opened (one opens with the first value, form or sign),
 * so nothing is written and the patient is put down.  EBUSY when the
 * visit holds records (end it instead: visit_session_end), EINVAL with no
 * patient in hand. */
int visit_session_cancel(struct visit *);
/* The store's word for a typed sex ("f" -> "female"), NULL when empty
 * or not understood. */
const char *ui_sex_value(const char *typed);
/* Age in whole years / months from a "YYYY[-MM-DD]" birth date (a year
 * alone counts from mid-year), or -1. */
int visit_age_years(const char *birth_date);
int visit_age_months(const char *birth_date);

/* --- opening a form (kiosk/visit/form_inputs.c) --- */
struct form;
/*
 * CHT's inputs convention: fill the inputs group of F, a form just
 * started for the patient in hand, as CHT does when a form is opened on a
 * contact: inputs/source = contact, source_id, contact/_id, patient_id,
 * name, sex, date_of_birth, phone, and user/name.  Nodes the form does not
 * have are skipped, and so is a value the node's type refuses.  Returns
 * how many values were set (0 for a form without an inputs group or
 * without a patient in hand).
 */
int visit_form_inputs(struct visit *, struct form *f);

/* --- vitals (kiosk/visit/vitals.c) --- */
void visit_vitals_reset(struct visit_vitals *);
/*
 * Record one measured parameter for the patient in hand: update NEWS2,
 * raise a store alert on a new red flag and, for a typed value, store the
 * observation in the visit (device readings are stored whole, with their
 * provenance, by kiosk/visit/devices.c through vitals_save).  Returns 0 or
 * an errno (EINVAL with *cause for an implausible value, static text).
 */
int visit_vitals_set(struct visit *, enum news2_param p, double value,
    int from_device, const char **cause);
/* Diastolic pressure (not part of NEWS2, stored with the BP panel). */
int visit_vitals_set_dia(struct visit *, int dia, int from_device);
/* Carry on with the visit ENCOUNTER_ID: its stored vital signs become
 * the visit's, scored, without raising again the red flags they raised
 * when they were entered. */
void visit_vitals_resume(struct visit *, const char *encounter_id);
/* Recompute NEWS2 (after the patient's age or a flag changed). */
void visit_vitals_rescore(struct visit *);
/* Pregnant or not (NEWS2 does not apply in pregnancy), then rescore. */
void visit_vitals_pregnant(struct visit *, int pregnant);
/* The CHW's emergency key: record an "emergency" alert for the patient
 * in hand at once (later issues escalate it from the store). */
int visit_vitals_emergency(struct visit *);
/* Note the red flag just raised in this visit (v->vitals.alert_id) as
 * the pending one, with its cause, for the screens. */
void visit_vitals_alert_note(
    struct visit *, const char *kind, int score, const char *detail);
/* Acknowledge the pending red flag, and the patient's earlier ones. */
int visit_vitals_ack(struct visit *);

/* --- child danger signs, WHO IMCI (kiosk/visit/danger.c) --- */
/* Classify the signs ticked in v->vitals.imci_signs for the child in
 * hand, with breathing and temperature from the vital signs (an unknown
 * age is assessed as a child of 2 months to 5 years). */
void visit_danger_assess(const struct visit *, struct imci_result *r);
/* A danger sign in R: record the red flag as a store alert, once per
 * visit, pending until acknowledged. */
void visit_danger_raise(struct visit *, const struct imci_result *r);
/* Tick or untick SIGN (enum imci_sign), classify again and raise the red
 * flag a new danger sign calls for. */
void visit_danger_toggle(struct visit *, int sign);

/* --- devices (kiosk/visit/devices.c) --- */
/* Note which device is configured (for the home screen). */
void visit_devices_init(struct visit *);
/* Release the devices when the UI ends. */
void visit_devices_fini(struct visit *);
/* Start / stop reading the device for the current visit. */
void visit_devices_start(struct visit *);
void visit_devices_stop(struct visit *);
/* The pipe the UI loop polls for the worker's events, or -1. */
int visit_devices_fd(const struct visit *);
/* Drain one event from the worker (call when visit_devices_fd is
 * readable); returns 1 when something changed for the screen. */
int visit_devices_drain(struct visit *);

#endif
