/*
 * The shape of a syncable record, shared by the kiosk store (which writes
 * change records to its outbox) and the sync server (which stores and
 * serves them).  A record body is a deterministic CBOR map with the small
 * integer keys below.  Keys 0-9 are common to every entity; entity fields
 * start at 10.  New fields take new numbers; numbers are never reused.
 */
#ifndef RECORD_H
#define RECORD_H

enum rec_entity {
	REC_NODE = 1,
	REC_USER = 2,
	REC_PATIENT = 3,
	REC_ENCOUNTER = 4,
	REC_OBSERVATION = 5,
	REC_FORM = 6,
	REC_CONSULT = 7,
	REC_PRESCRIPTION = 8,
	REC_REFERRAL = 9,
	REC_APPOINTMENT = 10,
	REC_MESSAGE = 11,
	REC_EMERGENCY = 12,
	REC_ATTACHMENT = 13,
	REC_ALERT = 14,
	REC_MERGE = 15,
	REC_CALL = 16, /* a consult call's evidence (kiosk/call/call.h) */
	REC_ENTITY_MAX = 16,
};

/* Common keys. */
#define REC_K_ID 0 /* bytes(16): UUIDv7 */
#define REC_K_HLC 1 /* uint: HLC version of this change */
#define REC_K_DELETED 2 /* bool: soft delete */
#define REC_K_BY 3 /* bytes(16): user who made the change */
#define REC_K_NODE 4 /* bytes(16): node where it was made */

/* User (kiosk operator). */
#define REC_USER_NAME 10
/* Role: 1 chw, 2 clinician, 3 facility admin (what "admin" meant before
 * issue 17), 4 regional admin; model/role.h. */
#define REC_USER_ROLE 11 /* uint */
#define REC_USER_REGNO 12 /* text: a clinician's registration number */
#define REC_USER_SIGNKEY 13 /* bytes(32): Ed25519 public key of their notes */
#define REC_USER_LANG 14 /* screen language: "en", "fr", "sw"; absent: "en" */

/* Patient. */
#define REC_PAT_GIVEN 10
#define REC_PAT_FAMILY 11
#define REC_PAT_SEX 12
#define REC_PAT_BIRTH 13 /* "YYYY-MM-DD" or "YYYY" */
#define REC_PAT_PHONE 14
#define REC_PAT_VILLAGE 15
#define REC_PAT_NATID 16
#define REC_PAT_ALLERGIES 17 /* text: documented allergies, comma-separated */
/* 18, 19: reserved for the patient's payer code and member id (issue 15,
 * claims); coverage is held on the server (`sync-server admin coverage`)
 * until the kiosk registers it. */

/* Encounter. */
#define REC_ENC_PATIENT 10
#define REC_ENC_STARTED 11 /* uint: Unix ms, kiosk clock */
#define REC_ENC_ENDED 12
#define REC_ENC_REASON 13
#define REC_ENC_STATUS 14 /* "open", "closed" */

/* Observation (append-only fact). */
#define REC_OBS_ENCOUNTER 10
#define REC_OBS_PATIENT 11
#define REC_OBS_LOINC 12
#define REC_OBS_VALUE 13 /* float */
#define REC_OBS_UNIT 14 /* UCUM */
#define REC_OBS_DEVICE 15 /* text: device id, absent when typed in */
#define REC_OBS_PROVENANCE 16 /* map, see devices/device.h */
#define REC_OBS_TAKEN 17 /* uint: Unix ms, device clock if known */
#define REC_OBS_RECORDED 18 /* uint: Unix ms, kiosk clock */
#define REC_OBS_TEXT 19 /* text value, for coded answers */
#define REC_OBS_PANEL 20 /* text: panel LOINC, e.g. 85354-9 */

/* Form submission (append-only once final). */
#define REC_FORM_ENCOUNTER 10
#define REC_FORM_PATIENT 11
#define REC_FORM_FORMID 12
#define REC_FORM_VERSION 13
#define REC_FORM_INSTANCE 14 /* "uuid:..." */
#define REC_FORM_XML 15 /* bytes: the OpenRosa instance */
#define REC_FORM_STATUS 16 /* "final" */

/*
 * Consult (issue 13): a CHW asks a remote clinician about an open visit.
 * State: "requested" (clinic) -> "accepted" (hub) -> "call" -> "signed"
 * -> "closed" (clinic), or "cancelled" (clinic) / "failed" (hub) with
 * END_REASON; a hub may return an accepted consult to "requested",
 * optionally handed to one clinician (HANDED_TO: a blind transfer).
 * Who may take which step: sync-server/policy.c, policy_consult_step.
 */
#define REC_CONSULT_PATIENT 10
#define REC_CONSULT_ENCOUNTER 11
#define REC_CONSULT_REASON 12
#define REC_CONSULT_URGENCY 13 /* uint: 0 low, 1 medium, 2 high (NEWS2) */
#define REC_CONSULT_MODE 14 /* "video", "voice", "store-forward" */
#define REC_CONSULT_STATE 15
#define REC_CONSULT_REQUESTED 16 /* uint: Unix ms */
#define REC_CONSULT_CLINICIAN 17 /* text: user id of the clinician */
#define REC_CONSULT_ACCEPTED 18 /* uint: Unix ms */
#define REC_CONSULT_SUBJECTIVE 19 /* the SOAP note, four texts */
#define REC_CONSULT_OBJECTIVE 20
#define REC_CONSULT_ASSESSMENT 21
#define REC_CONSULT_PLAN 22
#define REC_CONSULT_SIGNED 23 /* uint: Unix ms */
#define REC_CONSULT_SIG 24 /* bytes(64): Ed25519 over consult_sig_bytes */
#define REC_CONSULT_END_REASON 25 /* why cancelled, failed or returned */
#define REC_CONSULT_ADVICE 26 /* text: advice as it arrives (during a call) */
#define REC_CONSULT_HANDED_TO 27 /* text: clinician user id; "" none */
#define REC_CONSULT_NEWS2 28 /* uint: NEWS2 at the request */
#define REC_CONSULT_SIGNKEY 29 /* bytes(32): the signer's Ed25519 key */
#define REC_CONSULT_REGNO 30 /* text: the signer's registration number */
#define REC_CONSULT_CLINICIAN_NAME 31 /* text: the clinician's name */

/*
 * Prescription (issue 14; clinical/rx.h, model/prescription.h): an
 * append-only, signed fact made on a hub.  ACTION "order" is one drug
 * order; "cancel" and "stop" are new facts naming the order (ORDER), also
 * signed, applied by a kiosk only once it holds that order.  The safety
 * context the checks saw (age, weight, allergies, mode, first consult)
 * travels with the order, so the server checks it again at push.
 */
#define REC_RX_PATIENT 10 /* text: patient id */
#define REC_RX_ENCOUNTER 11 /* text: the visit's id */
#define REC_RX_CONSULT 12 /* text: the consult's id */
#define REC_RX_ACTION 13 /* "order", "cancel", "stop" */
#define REC_RX_ORDER 14 /* text: the order a cancel or stop names */
#define REC_RX_REGION 15 /* text: the formulary's region, "IN" */
#define REC_RX_CODE 16 /* text: formulary code */
#define REC_RX_INN 17 /* text: generic name */
#define REC_RX_STRENGTH 18
#define REC_RX_FORM 19
#define REC_RX_ROUTE 20
#define REC_RX_DOSE 21 /* float, in UNIT */
#define REC_RX_UNIT 22
#define REC_RX_PER_DAY 23 /* uint: doses a day */
#define REC_RX_DAYS 24 /* uint: duration in days */
#define REC_RX_NOTE 25 /* text: instructions; for cancel/stop, why */
#define REC_RX_OVERRIDE 26 /* text: the reason a soft block was overridden */
#define REC_RX_AGE_DAYS 27 /* uint: the patient's age the checks used */
#define REC_RX_WEIGHT 28 /* float: kg measured at this visit; 0 none */
#define REC_RX_ALLERGIES 29 /* text: the allergies the checks saw */
#define REC_RX_MODE 30 /* text: the consult's mode */
#define REC_RX_FIRST 31 /* bool: a first consult */
#define REC_RX_CLINICIAN 32 /* text: user id of the signer */
#define REC_RX_CLINICIAN_NAME 33
#define REC_RX_REGNO 34 /* text: the signer's registration number */
#define REC_RX_SIGNED 35 /* uint: Unix ms */
#define REC_RX_SIGKEY 36 /* bytes(32): the signer's Ed25519 key */
#define REC_RX_SIG 37 /* bytes(64): over prescription_sig_bytes */

/*
 * Referral (issue 14): append-only facts.  A "request" fact is the FHIR
 * ServiceRequest (its id is the referral's id); each later step of the
 * referral's Task is a "step" fact naming the referral, with the state it
 * moves to: received accepted rejected in-progress completed failed
 * cancelled, or "follow-up" (the referring CHW's outcome after due-by).
 * The Task's state is the latest step by HLC (model/referral.h).
 */
#define REC_REF_KIND 10 /* text: "request" or "step" */
#define REC_REF_REFERRAL 11 /* text: the referral (request) id */
#define REC_REF_PATIENT 12 /* text: patient id */
#define REC_REF_FROM 13 /* text: the referring facility */
#define REC_REF_TARGET 14 /* text: the target facility (Task owner) */
#define REC_REF_REASON 15 /* text */
#define REC_REF_URGENCY 16 /* text: routine urgent asap stat */
#define REC_REF_DUE 17 /* uint: due-by, Unix ms */
#define REC_REF_REQUESTER 18 /* text: user id of the requester */
#define REC_REF_REQ_ROLE 19 /* text: "chw" or "clinician" */
#define REC_REF_CONSULT 20 /* text: consult id (a clinician's referral) */
#define REC_REF_STATE 21 /* text: the Task state this fact moves to */
#define REC_REF_STATE_REASON 22 /* text: why (rejected, failed...) */
#define REC_REF_AT 23 /* uint: when, Unix ms (the node's clock) */
#define REC_REF_OUTCOME 24 /* text: follow-up outcome (model/referral.h) */
#define REC_REF_ENCOUNTER 25 /* text: the visit it was made from */

/* Alert (red flag raised and acknowledged on the kiosk). */
#define REC_ALERT_PATIENT 10
#define REC_ALERT_ENCOUNTER 11
#define REC_ALERT_KIND 12 /* "news2", "danger-sign", "emergency-key" */
#define REC_ALERT_SCORE 13
#define REC_ALERT_DETAIL 14
#define REC_ALERT_RAISED 15
#define REC_ALERT_ACKED 16
#define REC_ALERT_ACKED_BY 17

/* Patient merge (append-only): two records of one person become one;
 * the duplicate's records are shown under the survivor. */
#define REC_MERGE_SURVIVOR 10 /* text: the patient id kept */
#define REC_MERGE_DUPLICATE 11 /* text: the patient id merged into it */
#define REC_MERGE_REASON 12 /* text: why ("check-in said no"...) */

/*
 * Appointment (issue 15): a booking the kiosk proposes for a slot of the
 * server's schedule (docs/PROTOCOL.md §11).  The server decides: the
 * kiosk learns the answer from POST /v1/appointments with the same id
 * (at once when online, on its next sync otherwise).  Status as the
 * kiosk last knew it: "proposed", "booked", "refused", "cancelled",
 * "checked-in".  CHECKIN_MS and CHECKIN_BY are the check-in evidence a
 * claim builder reads (with the record's HLC and the node key that
 * signed the push).
 */
#define REC_APPT_PATIENT 10 /* text: patient id */
#define REC_APPT_SLOT 11 /* uint: the server's slot id */
#define REC_APPT_START 12 /* uint: slot start, Unix ms UTC */
#define REC_APPT_END 13 /* uint: slot end, Unix ms UTC */
#define REC_APPT_CLINICIAN 14 /* text: the slot's clinician */
#define REC_APPT_STATUS 15 /* text, see above */
#define REC_APPT_REPLACES 16 /* text: the appointment it reschedules */
#define REC_APPT_CANCEL_REASON 17 /* text */
#define REC_APPT_CHECKIN_MS 18 /* uint: Unix ms, kiosk clock */
#define REC_APPT_CHECKIN_BY 19 /* text: "chw" (the CHW's key) or "self" */

/* Attachment (append-only; the blob itself travels apart). */
/* REC_CALL: what one node saw of one call; an append-only fact.  Each
 * mark as Unix ms (the node's wall clock) and CLOCK_MONOTONIC ms (the
 * node's, for intervals within one boot); 0 or absent: not seen. */
#define REC_CALL_CONSULT 10 /* text: the consult's id, when known */
#define REC_CALL_SIP_ID 11 /* text: the SIP call id */
#define REC_CALL_PEER 12 /* text: the other node's SIP URI */
#define REC_CALL_OUTGOING 13 /* bool: this node called */
#define REC_CALL_RINGING 14 /* uint pairs: wall, then mono (key + 1) */
#define REC_CALL_ESTABLISHED 16
#define REC_CALL_MEDIA_RX 18
#define REC_CALL_MEDIA_TX 20
#define REC_CALL_SECURE 22 /* DTLS-SRTP up (CALL_MENC, audio) */
#define REC_CALL_ENDED 24
#define REC_CALL_END 26 /* text: local remote no-answer rejected ... */
#define REC_CALL_END_REASON 27 /* text: the SIP/baresip words */
#define REC_CALL_CONNECTED_MS 28 /* uint: established .. ended, monotonic */

/*
 * REC_EMERGENCY (issue 16, escalate/): one emergency incident, the same
 * record id (its UUID) on kiosk and server and in every message; CODE is
 * its 6-character Crockford code.  Mutable, merged per field by HLC: the
 * kiosk and the server both move STATE (escalate.h's words) and the marks.
 * No name, no patient id on the wire beyond PATIENT (the record link).
 */
#define REC_EMERG_PATIENT 10 /* text: the patient's record id, "" none */
#define REC_EMERG_ENCOUNTER 11 /* text: the visit's record id, "" none */
#define REC_EMERG_CODE 12 /* text: 6 characters (esc_code) */
#define REC_EMERG_TRIGGER 13 /* text: "key" or "news2" */
#define REC_EMERG_NEWS2 14 /* int: NEWS2 at the trigger, absent: none */
#define REC_EMERG_VITALS 15 /* text: "SpO2 84 RR 28 ..." as in the SMS */
#define REC_EMERG_AGE 16 /* uint: years */
#define REC_EMERG_SEX 17 /* text: "F", "M", "" */
#define REC_EMERG_STATE 18 /* text: esc_state_name() */
#define REC_EMERG_LEVEL 19 /* uint: the level last fired (0-based) */
#define REC_EMERG_LOOP 20 /* uint: 1-based */
#define REC_EMERG_RAISED 21 /* uint: Unix ms, the trigger */
#define REC_EMERG_FIRST_SEND 22 /* uint: Unix ms, first outward attempt */
#define REC_EMERG_FIRST_DELIVERY 23 /* uint: Unix ms, first delivery report */
#define REC_EMERG_ACKED 24 /* uint: Unix ms, a person said yes */
#define REC_EMERG_ACKED_BY 25 /* text: roster contact or user id */
#define REC_EMERG_ETA 26 /* uint: minutes given with the yes */
#define REC_EMERG_ENDED 27 /* uint: Unix ms, arrived or cancelled */
#define REC_EMERG_END_REASON 28 /* text: the cancel reason */
#define REC_EMERG_NOTE 29 /* text: the CHW's last note */
#define REC_EMERG_ROSTER 30 /* uint: roster version in use */
#define REC_EMERG_MODEM 31 /* text: "none" "ok" "failed" "unknown" (§7.3) */

#define REC_ATT_OWNER_ENTITY 10
#define REC_ATT_OWNER_ID 11
#define REC_ATT_SHA256 12 /* bytes(32) */
#define REC_ATT_SIZE 13
#define REC_ATT_MIME 14

/* Entity names as used in tables, logs and the protocol document. */
const char *rec_entity_name(int entity);
/* Inverse of rec_entity_name; 0 when unknown. */
int rec_entity_from_name(const char *);

#endif
