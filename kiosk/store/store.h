/*
 * The kiosk's encrypted store: SQLCipher opened with a raw 256-bit data key
 * (the keyring, kiosk/store/keyring.h, holds that key wrapped per user).
 *
 * Every clinical write is one transaction that also appends its change
 * record (entity, id, HLC, CBOR body; model/record.h) to the outbox, and
 * an entry to the hash-chained audit log.  Rows are never deleted: a
 * delete sets `deleted`.  The sync client reads only the outbox.
 *
 * Functions return 0 or an errno value: EIO (storage failed; the write did
 * not happen), ENOSPC (disk full), EROFS (read-only medium), EEXIST (the
 * same thing is already stored), ENOENT, EINVAL (bad input; *cause says
 * why when the function takes one), EBUSY (locked by another writer too
 * long).  SQLite's own message is logged here, never returned upward.
 * Nothing identifying a patient is logged.
 */
#ifndef KIOSK_STORE_H
#define KIOSK_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "uuid.h"

struct store;

#define STORE_DB_FILE "outpost.db"
/* Where the outpost-kiosk package puts the forms and the formulary (issue
 * 18): the last place looked, after the environment and a source tree. */
#define STORE_SHARE_DIR "/usr/share/outpost-kiosk"
#define STORE_BLOB_DIR "blobs"

/* The user roles of model/role.h (issue 17): 3 is the facility admin
 * (called "admin" before), 4 the regional admin. */
enum store_role {
	STORE_ROLE_CHW = 1,
	STORE_ROLE_CLINICIAN = 2,
	STORE_ROLE_ADMIN = 3,
	STORE_ROLE_REGIONAL_ADMIN = 4,
};
const char *store_role_name(int role);
int store_role_from_name(const char *); /* 0 when unknown */

/*
 * Open (creating when CREATE is set) the database in DIR with the 32-byte
 * raw KEY and bring the schema to the newest version.  EACCES: the key
 * does not open this database.
 */
int store_open(
    const char *dir, const uint8_t key[32], int create, struct store **out);
void store_close(struct store *);
/* The data key the store was opened with (lent; for blob keys). */
const uint8_t *store_key(const struct store *);
/* Acting user for created_by/audit; id string or NULL for "system". */
void store_set_actor(struct store *, const char *user_id);
const char *store_actor(const struct store *);
/* This node's id (created on first open). */
const char *store_node_id(const struct store *);
/* A new HLC timestamp (persisted with the next write). */
uint64_t store_hlc_now(struct store *);
/*
 * This node's country (ISO 3166 alpha-2, "KE"), which makes local phone
 * numbers E.164 (model/phone.h): store_country_get fills OUT (3 bytes) or
 * returns ENOENT when none was set; store_country_set stores ISO2 (EINVAL
 * when model/phone.c does not know it), audited.
 */
int store_country_get(struct store *, char out[3]);
int store_country_set(struct store *, const char *iso2);
/* Move this connection's clock past REMOTE (a pulled change's HLC), unless
 * REMOTE is more than HLC_MAX_AHEAD_MS past physical time: the later of
 * the wall clock and the server's (store_hlc_reference; without one, this
 * clock).  A clock itself beyond that bound of the server's time is reset
 * to it (docs/PROTOCOL.md §3.4). */
void store_hlc_merge(struct store *, uint64_t remote);
/* The server's HLC from a signed answer: physical time for the bound. */
void store_hlc_reference(struct store *, uint64_t server_hlc);
/* The server refused this node's clock as too far ahead (clock_ahead,
 * detail SERVER_HLC): reset the clock to physical time and persist it.
 * ERANGE when it was not ahead of that (the wall clock itself is). */
int store_hlc_recover(struct store *, uint64_t server_hlc);
/* Schema version in force. */
int store_schema_version(struct store *);

/* --- users --- */
struct store_user {
	char id[UUID_STRLEN + 1];
	char *name;
	int role;
	int disabled;
	uint64_t created_ms;
	char *lang; /* screen language ("en", "fr", "sw"); NULL: not set */
};
int store_user_add(struct store *, const char *name, int role,
    struct store_user *out /* may be NULL */);
/* Set the screen language of user NAME to LANG (one of i18n_langs[]):
 * the row, its change for sync and an audit entry.  EINVAL for another
 * code, ENOENT for no such user. */
int store_user_set_lang(struct store *, const char *name, const char *lang);
int store_user_get(struct store *, const char *name, struct store_user *out);
int store_user_list(struct store *, struct store_user **out, size_t *n);
void store_user_clear(struct store_user *);
void store_user_free_array(struct store_user *, size_t n);

/* Make the clinician USER_ID's Ed25519 signing key (kept here, never
 * synced; its public half goes into their user record) unless they have
 * one, and set their registration number REGNO (NULL: unchanged). */
int store_user_signkey(struct store *, const char *user_id, const char *regno);

/* --- referrals (referral.c; issue 14, model/referral.h) --- */
struct store_referral_req {
	const char *patient_id;
	const char *encounter_id; /* the visit it is made from; may be NULL */
	const char *from; /* this node's facility */
	const char *target; /* the facility referred to */
	const char *reason;
	const char *urgency; /* routine urgent asap stat */
	uint64_t due_ms; /* due-by, Unix ms */
	const char *consult_id; /* a clinician's referral: its consult */
};
struct store_referral {
	char id[UUID_STRLEN + 1];
	char patient_id[UUID_STRLEN + 1];
	char *patient_name; /* "" when this kiosk has not the patient */
	char *from, *target, *reason, *urgency, *requester_role;
	char *state_reason, *outcome; /* of the latest step; "" none */
	int state; /* enum referral_state, folded from the steps */
	int self_reported; /* completed by the CHW's "seen-elsewhere" */
	int followup_due; /* model/referral.h referral_followup_due */
	uint64_t requested_ms, due_ms, updated_ms, seen_ms;
	int nsteps;
};
enum store_referral_list {
	STORE_REF_INCOMING, /* to FACILITY, not ended */
	STORE_REF_OUTGOING, /* from FACILITY, all */
	STORE_REF_FOLLOWUP, /* from FACILITY, a follow-up due at NOW */
	STORE_REF_NEW, /* to FACILITY, not yet accepted or rejected */
};
/*
 * The acting user refers a patient (one transaction: fact, outbox,
 * audit).  A CHW refers with their own type; a clinician from a consult
 * (CONSULT_ID), once referral_licence_gate allows it.  EINVAL or EPERM
 * with *CAUSE in words for the person.
 */
int store_referral_new(struct store *, const struct store_referral_req *,
    char id_out[UUID_STRLEN + 1], char **cause);
/*
 * Record a step of referral ID taken at FACILITY (this node's): STATE is
 * model/referral.h's name; NOTE the reason (rejected, failed, cancelled)
 * or, for "follow-up", the outcome.  EPERM when FACILITY is not the side
 * that takes this step, EALREADY when the referral's state does not
 * allow it (*CAUSE in words).
 */
int store_referral_step(struct store *, const char *id, const char *facility,
    const char *state, const char *note, char **cause);
/* Mark every referral to FACILITY that is still "requested" here as
 * received (the target node has it); *N how many. */
int store_referral_receive(struct store *, const char *facility, size_t *n);
int store_referral_get(struct store *, const char *id, uint64_t now_ms,
    struct store_referral *out);
int store_referral_list(struct store *, enum store_referral_list,
    const char *facility, uint64_t now_ms, struct store_referral **out,
    size_t *n);
void store_referral_clear(struct store_referral *);
void store_referral_free_array(struct store_referral *, size_t n);
/* How many facts of referral ID this store holds with id FACT (tests of
 * exactly-once delivery): 0 or 1. */
int store_referral_fact_count(struct store *, const char *fact, int *n);

/* --- consults (consult.c; issue 13) --- */
struct store_consult {
	char id[UUID_STRLEN + 1];
	char *patient_id, *encounter_id, *reason, *mode;
	char *state; /* model/record.h; "taken": another hub won (local) */
	char *clinician, *clinician_name, *regno;
	char *subjective, *objective, *assessment, *plan;
	char *end_reason, *advice, *handed_to;
	char *patient_name; /* "given family" when the patient is here */
	int urgency; /* enum consult_urgency */
	int news2; /* -1: not scored */
	uint64_t requested_ms, accepted_ms, signed_ms, seen_ms, hlc;
	int has_sig, has_signkey;
	uint8_t sig[64], signkey[32];
};
struct store_consult_req {
	const char *encounter_id, *reason, *mode;
	int urgency, news2; /* news2 < 0: not scored */
};
struct store_consult_note {
	const char *subjective, *objective, *assessment, *plan, *advice;
};
enum store_consult_list {
	STORE_CL_QUEUE, /* waiting, by urgency then request time */
	STORE_CL_MINE, /* accepted or in a call by the acting clinician */
	STORE_CL_OPEN, /* not yet closed, cancelled or failed */
	STORE_CL_NEW, /* answered (signed or failed), not yet shown here */
	STORE_CL_ALL,
};
/* Ask for a clinician from open visit Q->encounter_id.  EINVAL with
 * *CAUSE, EEXIST when the visit already waits for one. */
int store_consult_request(struct store *, const struct store_consult_req *q,
    char id_out[UUID_STRLEN + 1], char **cause);
/* ID or a unique start of it (8+ characters). */
int store_consult_get(struct store *, const char *id, struct store_consult *);
int store_consult_list(struct store *, enum store_consult_list,
    struct store_consult **out, size_t *n);
/* The acting clinician accepts a waiting consult (EALREADY with *CAUSE
 * when it is not waiting, or handed to someone else). */
int store_consult_accept(struct store *, const char *id, char **cause);
/* Move a consult to STATE: "call", "failed", "requested" (back to the
 * queue, HANDED_TO one clinician's user id or NULL), "cancelled" (WHY
 * needed), "closed" (after signing).  EINVAL with *CAUSE. */
int store_consult_step(struct store *, const char *id, const char *state,
    const char *why, const char *handed_to, char **cause);
/* Write the non-NULL parts of the note (or the advice) before signing. */
int store_consult_note(struct store *, const char *id,
    const struct store_consult_note *n, char **cause);
/* Sign the note with the acting clinician's key: state "signed". */
int store_consult_sign(struct store *, const char *id, char **cause);
/* 0: the note is the one signed, with the clinician's key; EBADMSG with
 * *WHY (static) when not; ENOENT: not signed. */
int store_consult_verify(
    struct store *, const struct store_consult *c, const char **why);
/* The answer was shown on this kiosk (the home screen's "new"). */
int store_consult_seen(struct store *, const char *id);
/* The latest advice text of consult ID (the call screen polls it). */
int store_consult_advice(struct store *, const char *id, char **text);
/* What a clinician reads of a consult's patient (the hub's patient
 * screen): each vital sign's latest values, newest first, and the latest
 * visits, red flags, forms and attachments. */
#define STORE_CHART_VITALS 10
#define STORE_CHART_TREND 3
#define STORE_CHART_ROWS 5
struct store_chart_vital {
	char loinc[16], unit[16];
	double value[STORE_CHART_TREND];
	uint64_t ms[STORE_CHART_TREND];
	int n;
};
struct store_chart_row {
	char text[120];
	uint64_t ms;
	/* a word the screen translates: a visit's status ("open",
	 * "closed"), an alert's "not acknowledged" (else ""), an
	 * attachment's size in bytes */
	char tag[24];
};
struct store_chart {
	struct store_chart_vital vitals[STORE_CHART_VITALS];
	struct store_chart_row visits[STORE_CHART_ROWS];
	struct store_chart_row alerts[STORE_CHART_ROWS];
	struct store_chart_row forms[STORE_CHART_ROWS];
	struct store_chart_row attach[STORE_CHART_ROWS];
	int nvitals, nvisits, nalerts, nforms, nattach;
};
int store_consult_chart(
    struct store *, const char *patient_id, struct store_chart *);
/* This node's change of consult ID was refused as taken by another. */
int store_consult_taken(struct store *, const char *id);
void store_consult_clear(struct store_consult *);
void store_consult_free_array(struct store_consult *, size_t n);

/* --- patients --- */
struct store_patient {
	char id[UUID_STRLEN + 1];
	char *given, *family, *sex, *birth_date, *phone, *village, *national_id;
	uint64_t hlc;
	uint64_t created_ms;
};
/* The patient fields in the order a registration asks them. */
enum store_patient_field {
	STORE_PF_GIVEN = 0,
	STORE_PF_FAMILY,
	STORE_PF_SEX,
	STORE_PF_BIRTH,
	STORE_PF_PHONE,
	STORE_PF_VILLAGE,
	STORE_PF_NATID,
};
/* The checks store_patient_add makes, without the store: 0, or EINVAL
 * with *CAUSE (caller frees) and *BAD (may be NULL) the field at fault. */
int store_patient_check(
    const struct store_patient *p, enum store_patient_field *bad, char **cause);
/*
 * Register P (id filled in).  IMPORT_KEY, when not NULL, makes the write
 * idempotent: a second add with the same key returns EEXIST and changes
 * nothing.  EINVAL with *cause for missing names or a malformed birth
 * date, sex or phone.  The phone is stored in E.164 with the node's
 * country (store_country_get; without one a local number is stored as its
 * digits); P->phone itself is left as the caller gave it.
 */
int store_patient_add(struct store *, struct store_patient *p,
    const char *import_key, char **cause);
int store_patient_get(struct store *, const char *id, struct store_patient *);
/* Change the mutable fields of an existing patient (non-NULL ones); the
 * phone normalised as by store_patient_add. */
int store_patient_update(
    struct store *, const struct store_patient *p, char **cause);
/*
 * Find patients matching TEXT: by id (or its start), phone (a local
 * number finds its E.164 form, phone_match), national id,
 * village, birth year, or name with typo tolerance.  Results best first,
 * at most MAX.  Records a "view" in the audit log.
 */
int store_patient_find(struct store *, const char *text, size_t max,
    struct store_patient **out, size_t *n);
int store_patient_count(struct store *, uint64_t *n);
/*
 * A probable duplicate of TYPED (not yet saved): a patient whose names are
 * each within two typos and whose birth year agrees
 * (patient_probably_same), else one with the same phone.  0 with *OUT
 * filled (caller clears), ENOENT when none.  Searching is audited as a
 * view.
 */
int store_patient_duplicate(struct store *, const struct store_patient *typed,
    struct store_patient *out);

/* --- patient merges (merge.c) --- */
/* The id ID stands for now: its survivor after any merges (ID itself
 * when never merged away). */
int store_patient_resolve(
    struct store *, const char *id, char out[UUID_STRLEN + 1]);
/*
 * Merge patient DUPLICATE into SURVIVOR: one merge record with its outbox
 * change and audit entry; the duplicate then leaves search and its
 * records show under the survivor (store_patient_get resolves).  EEXIST
 * when they are one record already, ENOENT when either is unknown.
 */
int store_patient_merge(struct store *, const char *survivor,
    const char *duplicate, const char *reason);
/* A pair check-in or registration thought may be one person. */
struct store_dup {
	int64_t id;
	char new_id[UUID_STRLEN + 1]; /* the record created anyway */
	char old_id[UUID_STRLEN + 1]; /* the record it resembles */
	char why[64];
};
/* Keep the pair for staff to resolve later (audited). */
int store_dup_flag(
    struct store *, const char *new_id, const char *old_id, const char *why);
/* The pairs not yet resolved, oldest first, at most MAX. */
int store_dup_list(
    struct store *, struct store_dup *out, size_t max, size_t *n);
/* Staff say pair ID are different people (audited). */
int store_dup_dismiss(struct store *, int64_t id);
void store_patient_clear(struct store_patient *);
void store_patient_free_array(struct store_patient *, size_t n);

/* --- what the patient screen shows before a visit (summary.c) --- */
#define STORE_SUMMARY_VISITS 4
#define STORE_SUMMARY_VITALS 12
#define STORE_SUMMARY_DRAFTS 4
struct store_summary_visit {
	uint64_t started_ms;
	char status[12]; /* "open", "closed" */
	char reason[64];
	unsigned nobs; /* observations recorded in it */
};
struct store_summary_vital {
	char loinc[16];
	double value;
	char text[24]; /* a coded value ("alert", "air"), or "" */
};
struct store_summary_draft {
	char form_id[64];
	uint64_t updated_ms;
};
struct store_summary {
	struct store_summary_visit visits[STORE_SUMMARY_VISITS]; /* newest
								    first */
	size_t nvisits;
	unsigned total_visits;
	/* the last value of each code in the newest visit with any */
	struct store_summary_vital vitals[STORE_SUMMARY_VITALS];
	size_t nvitals;
	uint64_t vitals_ms; /* when the last of them was recorded */
	unsigned open_referrals; /* referrals not closed, completed or
				    cancelled */
	struct store_summary_draft drafts[STORE_SUMMARY_DRAFTS];
	size_t ndrafts;
};
/* Fill SUM for PATIENT_ID (audited as a view); 0 or a store error. */
int store_patient_summary(
    struct store *, const char *patient_id, struct store_summary *sum);

/* --- conflicts: concurrent edits kept (conflict.c) --- */

/* One pulled field value that lost the per-field merge to a different
 * value (docs/PROTOCOL.md §5.2). */
struct store_conflict {
	int64_t id;
	int entity; /* enum rec_entity */
	char record_id[UUID_STRLEN + 1];
	char col[32]; /* the field's column */
	char *lost, *current; /* the two values, as text */
	uint64_t lost_hlc, lost_origin, won_hlc, won_origin;
	char lost_by[UUID_STRLEN + 1]; /* user who made the lost value, or "" */
	uint64_t at_ms, resolved_ms;
	char resolved_by[64], resolution[16]; /* "current" or "theirs" */
};
/* Conflicts, oldest first; open ones only unless ALL.  Audited as a view
 * of each record listed.  Free with store_conflict_free. */
int store_conflict_list(
    struct store *, int all, struct store_conflict **out, size_t *n);
void store_conflict_free(struct store_conflict *, size_t n);
/*
 * Resolve conflict ID: keep the current value (TAKE_THEIRS 0) or write the
 * lost value back as this node's own edit (1), which then syncs and wins
 * everywhere; either way the conflict is closed with the acting user and
 * an audit entry (`conflict-resolve`).  ENOENT no such open conflict
 * (*CAUSE says), ESTALE the record is gone.
 */
int store_conflict_resolve(
    struct store *, int64_t id, int take_theirs, char **cause);

/* --- encounters and observations --- */
struct store_obs {
	char id[UUID_STRLEN + 1]; /* filled in */
	const char *loinc;
	double value;
	const char *unit; /* UCUM */
	const char *panel; /* e.g. "85354-9" for BP, or NULL */
	const char *text; /* coded value, or NULL */
	const char *device_id; /* NULL when typed in */
	const uint8_t *provenance; /* CBOR map, or NULL */
	size_t provenance_len;
	uint64_t taken_ms; /* device clock, 0 = unknown */
};
struct store_encounter {
	char id[UUID_STRLEN + 1];
	char patient_id[UUID_STRLEN + 1];
	char *reason;
	char *status; /* "open", "closed" */
	uint64_t started_ms, ended_ms;
	uint64_t hlc;
};
/* Open an encounter for PATIENT_ID; ID_OUT receives its id. */
int store_encounter_open(struct store *, const char *patient_id,
    const char *reason, char id_out[UUID_STRLEN + 1]);
/* Close an open encounter. */
int store_encounter_close(struct store *, const char *encounter_id);
/*
 * Save a whole encounter (header + observations) in one transaction:
 * either all of it is stored or none.  Used by bulk paths (seed, bench).
 */
int store_encounter_save(struct store *, struct store_encounter *e,
    struct store_obs *obs, size_t nobs);
int store_encounter_get(
    struct store *, const char *id, struct store_encounter *);
void store_encounter_clear(struct store_encounter *);
/* Record one observation in an encounter (one transaction). */
int store_obs_add(struct store *, const char *encounter_id, struct store_obs *);
/* Record N observations that belong together (a blood-pressure panel, one
 * device reading) in one transaction: all or none.  EINVAL when the
 * encounter is closed. */
int store_obs_add_many(
    struct store *, const char *encounter_id, struct store_obs *, size_t n);
/* Observations of an encounter, in order; caller frees with
 * store_obs_free_array (strings inside are owned by the array). */
int store_obs_list(struct store *, const char *encounter_id,
    struct store_obs **out, size_t *n);
void store_obs_free_array(struct store_obs *, size_t n);
int store_encounter_count(struct store *, uint64_t *n);

/* --- form submissions --- */
/*
 * Keep a draft of the form instance INSTANCE_ID (replaced on every call;
 * drafts stay on the kiosk and are not synced).
 */
int store_form_draft_put(struct store *, const char *instance_id,
    const char *form_id, const char *patient_id, const char *xml);
/* The draft, if any: *XML is the caller's (NULL and ENOENT when none). */
int store_form_draft_get(
    struct store *, const char *instance_id, char **form_id, char **xml);
/* Latest draft for FORM_ID (and PATIENT_ID when not NULL). */
int store_form_draft_latest(struct store *, const char *form_id,
    const char *patient_id, char **instance_id, char **xml);
/* Store the finished submission (append-only, synced) and drop its
 * draft, in one transaction.  EEXIST when INSTANCE_ID is already final. */
int store_form_submit(struct store *, const char *instance_id,
    const char *form_id, const char *form_version, const char *encounter_id,
    const char *patient_id, const char *xml);

/* --- alerts (red flags) --- */
/* Record a red flag; ID_OUT receives its id. */
int store_alert_raise(struct store *, const char *patient_id,
    const char *encounter_id, const char *kind, int score, const char *detail,
    char id_out[UUID_STRLEN + 1]);
int store_alert_ack(struct store *, const char *alert_id);

/* --- consult calls' evidence (REC_CALL; kiosk/store/callrec.c) --- */
struct store_call_mark {
	uint64_t wall_ms, mono_ms; /* both 0: not seen (left out) */
};
struct store_call {
	const char *consult_id, *sip_call_id, *peer; /* NULL or "": absent */
	int outgoing;
	struct store_call_mark ringing, established, media_rx, media_tx, secure,
	    ended;
	const char *end_kind; /* required: "local", "remote", ... */
	const char *end_reason;
	uint64_t connected_ms;
};
/* Record one call's evidence (append-only, synced); EINVAL without an
 * end kind.  ID_OUT (may be NULL) receives the record's id. */
int store_call_add(
    struct store *, const struct store_call *, char id_out[UUID_STRLEN + 1]);

/* --- appointments (issue 15, kiosk/store/appt.c) --- */

struct store_appt {
	const char *patient_id; /* UUID text */
	uint64_t slot_id; /* the server's slot */
	uint64_t start_ms, end_ms; /* the slot, UTC */
	const char *clinician, *replaces; /* NULL or "": absent */
};
struct store_appt_row {
	char id[UUID_STRLEN + 1];
	char patient_id[UUID_STRLEN + 1];
	uint64_t start_ms, end_ms;
	char status[16];
	char clinician[64];
	/* store_appt_of_patient only: */
	uint64_t slot_id;
	char reason[128]; /* why cancelled; "rescheduled": replaced */
	char answer[256]; /* the server's answer: "RESULT SLOT@START@END
			     ..." (a refusal's code and alternatives) */
	char replaces[UUID_STRLEN + 1];
};
/* Propose a booking (synced; the server answers): EINVAL without a
 * patient UUID, a slot or a slot window.  ID_OUT may be NULL. */
int store_appt_propose(
    struct store *, const struct store_appt *, char id_out[UUID_STRLEN + 1]);
/* Cancel with REASON (EINVAL: none); ENOENT: no such active one. */
int store_appt_cancel(struct store *, const char *id, const char *reason);
/* Check-in evidence: BY "chw" (the CHW's key) or "self"; EINVAL else. */
int store_appt_checkin(
    struct store *, const char *id, const char *by, uint64_t at_ms);
/* The patient came: check in their appointment of this time (from an
 * hour before its slot to half an hour after), if any, with BY ("chw":
 * a visit opened by staff, "self": self check-in).  *CHECKED 1 if one
 * was.  Called by the visit and the check-in screen. */
int store_appt_arrived(struct store *, const char *patient_id, const char *by,
    uint64_t now_ms, int *checked);
/* The name by which this kiosk knows CLINICIAN, a schedule's clinician
 * (a user name or registration number): a user of this node, or the
 * clinician of a consult or prescription it holds; "" when unknown. */
int store_appt_clinician_name(
    struct store *, const char *clinician, char *out, size_t len);
/* The registration number of user USER_ID ("" when none): a schedule
 * names a clinician by it or by their user name. */
int store_appt_user_regno(
    struct store *, const char *user_id, char *out, size_t len);
/* The proposals whose server answer is not known yet (sync client). */
int store_appt_pending(struct store *,
    int (*cb)(void *, const char *id, const char *patient_id, uint64_t slot),
    void *arg);
/* Keep the server's ANSWER ("booked", "refused") and its alternatives
 * ("RESULT slot@start_ms@end_ms ...") for ID; not synced.  ENOENT: no such row. */
int store_appt_answer(
    struct store *, const char *id, const char *answer, const char *alts);
/* The appointments neither cancelled nor refused starting in [FROM_MS,
 * TO_MS), by start (STATUS: the server's answer once known); CB's non-zero
 * return stops and is returned. */
int store_appt_list(struct store *, uint64_t from_ms, uint64_t to_ms,
    int (*cb)(void *, const struct store_appt_row *), void *arg);
/* Every appointment of PATIENT_ID, cancelled and refused ones too, with
 * the status as this kiosk knows it (proposed, booked, refused,
 * cancelled, checked-in; one a booked reschedule replaced is cancelled,
 * reason "rescheduled"): those not yet ended first, soonest first, then
 * the past ones, latest first (issue 15, the visit's appointments). */
int store_appt_of_patient(struct store *, const char *patient_id,
    uint64_t now_ms, int (*cb)(void *, const struct store_appt_row *),
    void *arg);

/* --- the waitlist (issue 15, kiosk/store/waitlist.c) --- */

#define STORE_WAIT_TEXT 48
struct store_wait {
	char id[UUID_STRLEN + 1];
	char patient_id[UUID_STRLEN + 1];
	int urgency; /* 1 urgent (30 days), 2 soon (90), 3 routine (365) */
	char service[STORE_WAIT_TEXT];
	/* hard preferences, "" any */
	char lang[STORE_WAIT_TEXT], modality[STORE_WAIT_TEXT];
	char clinician[STORE_WAIT_TEXT];
	/* the server's last answer: "new" (not yet sent), "waiting",
	 * "offered", "booked", "removed", "expired" */
	char status[16];
	char pending[16]; /* what the next sync sends; "" nothing */
	uint64_t created_ms, listed_ms, answered_ms;
	uint64_t offer_slot, offer_start_ms, offer_end_ms, offer_expires_ms;
	char appt_id[UUID_STRLEN + 1]; /* the booking an accept made */
	char note[96]; /* why an accept or a request did not go through */
};
/* List W's patient (W->id made here, into ID_OUT; may be NULL): sent at
 * the next sync.  EINVAL: no patient UUID, a category outside 1-3, no
 * service. */
int store_wait_add(
    struct store *, const struct store_wait *w, char id_out[UUID_STRLEN + 1]);
/* Ask for OP on entry ID at the next sync: "remove" (EALREADY: booked,
 * removed or expired), "decline" or "accept" (EALREADY: no live offer at
 * NOW_MS).  ENOENT: no such entry. */
int store_wait_intent(
    struct store *, const char *id, const char *op, uint64_t now_ms);
/* The entries of PATIENT_ID (NULL: every one), oldest first. */
int store_wait_list(struct store *, const char *patient_id,
    int (*cb)(void *, const struct store_wait *), void *arg);
/* One entry by ID (ENOENT). */
int store_wait_get(struct store *, const char *id, struct store_wait *out);
/* Keep the server's answer for W->id (status, listed_ms, the offer,
 * note), PENDING cleared when CLEAR; not synced. */
int store_wait_answer(struct store *, const struct store_wait *w, int clear);
/* The server booked entry ID's offer as appointment W->appt_id: the entry
 * is booked and the appointment is kept (a proposal the server already
 * answered "booked", pushed at the next sync: the server's replay). */
int store_wait_booked(struct store *, const struct store_wait *w);

/* --- attachments: encrypted blob store --- */
/*
 * Store DATA encrypted (AES-256-GCM, key derived from the data key and the
 * content hash) and record an attachment row owned by OWNER_ENTITY /
 * OWNER_ID.  ID_OUT receives the attachment id; storing the same content
 * twice keeps one blob.
 */
int store_attach_put(struct store *, const char *owner_entity,
    const char *owner_id, const char *mime, const void *data, size_t len,
    char id_out[UUID_STRLEN + 1]);
/* Read and decrypt an attachment; *DATA is the caller's.  EBADMSG when the
 * blob was altered. */
int store_attach_get(
    struct store *, const char *id, uint8_t **data, size_t *len);

/* --- outbox --- */
struct store_change {
	uint64_t seq;
	int entity; /* enum rec_entity */
	char id[UUID_STRLEN + 1];
	uint64_t hlc;
	uint8_t *body; /* CBOR (model/record.h) */
	size_t len;
};
/* Up to MAX changes with seq > AFTER, in seq order. */
int store_outbox_read(struct store *, uint64_t after, size_t max,
    struct store_change **out, size_t *n);
void store_outbox_free(struct store_change *, size_t n);
/* Highest seq in the outbox (0 when empty). */
int store_outbox_last(struct store *, uint64_t *seq);
/*
 * Give every change after AFTER stamped more than BOUND_MS (the server's
 * time plus HLC_MAX_AHEAD_MS) with a fresh stamp from this node's clock,
 * in its outbox row, its body and its record's row, in one transaction;
 * *N says how many.  For changes saved while the clock was poisoned, which
 * the server refuses (clock_ahead); call it after store_hlc_recover.
 */
int store_outbox_restamp(
    struct store *, uint64_t after, uint64_t bound_ms, size_t *n);
/* Key/value state for the sync client (cursors, server key...). */
int store_state_get(
    struct store *, const char *key, uint8_t **val, size_t *len);
int store_state_put(
    struct store *, const char *key, const void *val, size_t len);

/* --- pulled changes (pulled.c; kiosk/sync/apply.c drives them) --- */
struct model_rec;
/* Does the kiosk keep pulled changes of ENTITY in its tables? */
int store_pull_keeps(int entity);
/* A page of pulled changes is one transaction: begin it... */
int store_pull_begin(struct store *);
/*
 * ...and end it: when ERR is 0, store CURSOR under CURSOR_KEY (sync_state),
 * move the node clock past MAX_HLC and commit; otherwise roll back and
 * return ERR.
 */
int store_pull_end(struct store *, int err, const char *cursor_key,
    const uint8_t *cursor, size_t cursor_len, uint64_t max_hlc);
/* Each change of a page on its own savepoint; UNDO rolls it back. */
int store_pull_change_begin(struct store *);
int store_pull_change_end(struct store *, int undo);
/*
 * Apply decoded change R (R->id, R->hlc: the change's) made on node
 * ORIGIN; SELF is this node's origin number.  New rows are inserted;
 * existing mutable ones merged per field (model_merge_wins); existing
 * append-only ones left alone.  *CHANGED when a row changed.  EINVAL: a
 * constraint refuses this record (skip it); other errors stop the page.
 */
int store_pull_apply(struct store *, const struct model_rec *r, uint64_t origin,
    uint64_t self, int *changed);

/* --- audit --- */
/*
 * Append an audit entry: ACTION ("view", "create", "change", "export",
 * "login", "login-failed"...), ENTITY and ENTITY_ID of the record touched
 * (may be NULL), DETAIL without patient data (may be NULL).
 */
int store_audit(struct store *, const char *action, const char *entity,
    const char *entity_id, const char *detail);

/*
 * The audit anchor (issue 17, docs/PROTOCOL.md §14): the entries from seq
 * FIRST on, at most MAX, each as the exact CBOR its hash covers (its
 * columns and the previous hash its row carries), for the server to
 * recompute the chain from its anchor; *HEAD the newest seq (0: none).
 * *OUT the caller's (store_audit_entries_free).  0 or a store error.
 */
struct store_audit_entry {
	uint64_t seq;
	uint8_t *cbor;
	size_t len;
};
int store_audit_entries(struct store *, uint64_t first, size_t max,
    struct store_audit_entry **out, size_t *n, uint64_t *head);
void store_audit_entries_free(struct store_audit_entry *, size_t n);

/*
 * Verify the database: PRAGMA integrity_check, cipher_integrity_check, the
 * audit chain and the outbox sequence.  Returns 0 when all hold; otherwise
 * EBADMSG and *REPORT names the first broken thing (caller frees).  *REPORT
 * also holds the summary when all is well.
 */
int store_check(struct store *, char **report);

/*
 * Write a consistent copy of the database to PATH (same key) and its
 * blobs to BLOBDIR (may be NULL), for export.
 */
int store_backup(struct store *, const char *path);

/* Low-level access for the sync client and tests in kiosk/: the raw
 * handle (a `sqlite3 *`). */
void *store_db(struct store *);

/* --- today on this kiosk (kiosk/store/today.c) ---
 * The kiosk screen's read-only questions about today (from local
 * midnight), so that the visit (kiosk/visit/) runs no SQL of its own. */
struct store_today {
	char patient_id[UUID_STRLEN + 1];
	char status[16]; /* "open", "closed" */
	char reason[64];
	int alerts; /* red flags not acknowledged */
};
/* Today's encounters, one row per patient (their newest), newest first,
 * at most MAX into ROWS; *N says how many.  0 or a store error. */
int store_encounter_list_today(
    struct store *, struct store_today *rows, size_t max, size_t *n);
/* The newest red flag of PATIENT_ID not yet acknowledged (any day):
 * 0, ENOENT when none, or a store error. */
int store_alert_pending(
    struct store *, const char *patient_id, char id_out[UUID_STRLEN + 1]);
/* A red flag (alert row) as the screens show it. */
struct store_alert_row {
	char id[UUID_STRLEN + 1];
	char patient_id[UUID_STRLEN + 1];
	char kind[16]; /* "news2", "imci", "emergency" */
	int score;
	char detail[160]; /* the cause, as recorded when raised */
	int64_t raised_ms; /* Unix ms */
	int64_t acked_ms; /* 0 while waiting */
};
/* How many red flags wait for acknowledgement, from any day and any
 * kiosk: 0 or a store error. */
int store_alert_count_pending(struct store *, size_t *n);
/* The red flags waiting for acknowledgement, newest first, skipping the
 * first OFFSET, at most MAX into ROWS; *N says how many.  0 or a store
 * error. */
int store_alert_list_pending(struct store *, size_t offset,
    struct store_alert_row *rows, size_t max, size_t *n);
/* The red flag ALERT_ID: 0, ENOENT, or a store error. */
int store_alert_get(
    struct store *, const char *alert_id, struct store_alert_row *out);
/* How many finished records of FORM_ID the visit ENCOUNTER_ID of
 * PATIENT_ID holds, into *N: 0 or a store error. */
int store_form_submitted(struct store *, const char *form_id,
    const char *patient_id, const char *encounter_id, int *n);
/* The newest encounter of PATIENT_ID started today and still open:
 * 0, ENOENT when none, or a store error. */
int store_encounter_open_today(
    struct store *, const char *patient_id, char id_out[UUID_STRLEN + 1]);

/* --- stats (stats.c) --- */
#define STORE_STATS_N 9
struct store_stat {
	const char *table; /* static */
	long long rows;
};
/*
 * Rows in each of the node's main tables (users, patients, encounters,
 * observations, form_submissions, alerts, attachments, outbox, audit), in
 * that order.  Returns 0 or an errno from the store.
 */
int store_stats(struct store *, struct store_stat out[STORE_STATS_N]);

/* --- prescriptions (rx.c; issue 14) --- */
struct rx_formulary;
struct rx_result;
struct store_rx {
	char id[UUID_STRLEN + 1];
	char *patient_id, *encounter_id, *consult_id, *action, *order_id;
	char *region, *code, *inn, *strength, *form, *route, *unit, *note;
	char *override, *allergies, *mode, *clinician, *clinician_name, *regno;
	char *status; /* an order's: "active", "cancelled", "stopped" */
	char *patient_name, *patient_sex, *patient_birth; /* when here */
	char *assessment; /* the consult's, when here */
	char *patient_village, *patient_phone; /* when here and known */
	/* The signer's qualification as the region's licence snapshot held
	 * here names it ("cadre, regulator"), and their practice address
	 * and contact (phone or e-mail), NULL when it does not
	 * (store_rx_get only). */
	char *qualification, *clinician_address, *clinician_contact;
	double dose, weight_kg;
	unsigned per_day, days;
	int age_days, first_consult, has_sig, has_signkey;
	uint64_t signed_ms, hlc, applied_ms, seen_ms;
	uint8_t sig[64], signkey[32];
};
void store_rx_clear(struct store_rx *);
void store_rx_free_array(struct store_rx *, size_t n);

/* Read the formulary of this node's country (store_country_get) from
 * $OUTPOST_FORMULARY_DIR, else clinical/formulary/, as <CC>.tsv.  EINVAL
 * or ENOENT with *CAUSE saying what to do. */
int store_rx_formulary(struct store *, struct rx_formulary *f, char **cause);

/* The one place the licence gate goes (issue 14 leaves it to the licence
 * work): today, the acting user is a clinician with a registration
 * number and a signing key on this node.  EPERM with *CAUSE. */
int rx_gate(struct store *, char **cause);

/* A new order, written by the clinician who holds CONSULT_ID. */
struct store_rx_new {
	const char *consult_id, *code, *route, *note;
	double dose;
	unsigned per_day, days;
	const char *override; /* a reason; NULL: none */
	int first; /* -1: decide (a signed consult in the last 183 days is
	            * a follow-up), 0 follow-up, 1 first */
	int check_only; /* run the checks into RES, store nothing: 0 */
};
/*
 * Check order N against F and the patient (age from the birth date,
 * allergies, the weight measured at the consult's visit, active orders),
 * then sign and store it with its change and an audit entry (the
 * override's reason audited).  RES (may be NULL) gets the checks.
 * EPERM: a hard block or the gate; EAGAIN: a soft block without an
 * override reason; EINVAL: a consult this user does not hold; each with
 * *CAUSE.
 */
int store_rx_issue(struct store *, const struct rx_formulary *f,
    const struct store_rx_new *n, struct rx_result *res,
    char id_out[UUID_STRLEN + 1], char **cause);
/* Cancel or stop (ACTION) order ORDER_ID: a new signed record naming it,
 * with WHY.  EINVAL with *CAUSE when the order is not active here. */
int store_rx_end(struct store *, const char *order_id, const char *action,
    const char *why, char id_out[UUID_STRLEN + 1], char **cause);
/* Record ID (or its unique 8+ character prefix). */
int store_rx_get(struct store *, const char *id, struct store_rx *);
/* Records of PATIENT_ID (NULL: all), newest first; ONLY_NEW: orders Home
 * has not shown yet. */
int store_rx_list(struct store *, const char *patient_id, int only_new,
    struct store_rx **out, size_t *n);
/* Check RX's signature (and that the key is the signer's when this node
 * knows them): 0, or EBADMSG / ENOENT with *WHY. */
int store_rx_verify(struct store *, const struct store_rx *, const char **why);
int store_rx_seen(struct store *, const char *id);
/* The documented allergies of PATIENT_ID (REC_PAT_ALLERGIES): get into
 * *OUT (NULL: none), set as a patient change (synced, audited). */
int store_patient_allergies(struct store *, const char *patient_id, char **out);
int store_patient_set_allergies(
    struct store *, const char *patient_id, const char *text);

#endif
