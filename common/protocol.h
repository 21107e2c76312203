/*
 * The sync protocol's numbers by name (docs/PROTOCOL.md is the contract):
 * the paths, the wire error codes (§2) and the keys of every message map
 * and the positions in every change array.  The kiosk's sync client and
 * the sync server both use these names; no bare key or code appears in
 * either (tests/e2e/protocol_names.sh checks).  Changing a value here
 * changes the protocol.
 */
#ifndef OUTPOST_PROTOCOL_H
#define OUTPOST_PROTOCOL_H

#define PROTO_PATH_ENROLL "/v1/enroll"
#define PROTO_PATH_PUSH "/v1/push"
#define PROTO_PATH_PULL "/v1/pull"
#define PROTO_PATH_BLOB "/v1/blob"
#define PROTO_PATH_HEALTH "/v1/health"

/* Error codes on the wire (§2), with the HTTP status in the comment. */
enum wire_err {
	WERR_BAD_REQUEST = 1, /* 400 bad_request */
	WERR_TOO_LARGE = 2, /* 413 too_large */
	WERR_BAD_SIGNATURE = 3, /* 401 bad_signature */
	WERR_UNKNOWN_NODE = 4, /* 401 unknown_node */
	WERR_REVOKED = 5, /* 403 revoked */
	WERR_STALE_REQUEST = 6, /* 401 stale_request, detail: last seq */
	WERR_CONFLICT = 7, /* 409 conflict */
	WERR_GAP = 8, /* 409 gap, detail: high-water mark */
	WERR_NOT_FOUND = 9, /* 404 not_found */
	WERR_METHOD = 10, /* 405 method_not_allowed */
	WERR_BAD_TOKEN = 11, /* 403 bad_token */
	WERR_INTERNAL = 12, /* 500 internal */
	WERR_UNAVAILABLE = 13, /* 503 unavailable */
	WERR_RESYNC = 14, /* 410 resync */
	WERR_CLOCK_AHEAD = 15, /* 400 clock_ahead, detail: server HLC */
	/* Per change, in a push answer's refused list (§4.1); 400/403 if
	 * ever sent as a whole answer. */
	WERR_INVALID_CHANGE = 16, /* 400 invalid_change */
	WERR_FORBIDDEN = 17, /* 403 forbidden */
	/* 18-23: other changes of issue 9 */
	WERR_OVER_QUOTA = 24, /* 507 over_quota, detail: quota in bytes */
	/* Per change, consults (issue 13, §4.2). */
	WERR_CONSULT_TAKEN = 25, /* 409 consult_taken */
	WERR_CONSULT_STEP = 26, /* 409 consult_step */
	/* Per change, licences (issue 14, §10): 27-29. */
	WERR_LICENCE = 27, /* 403 licence */
	/* Per change, prescriptions (issue 14, §4.3). */
	WERR_RX_BLOCKED = 30, /* 422 rx_blocked: a hard block */
	WERR_RX_OVERRIDE = 31, /* 422 rx_override: soft block, no reason */
	WERR_RX_INVALID = 32, /* 400 rx_invalid: shape or signature */
	/* Per change, referrals (issue 14, §4.3). */
	WERR_REFERRAL_INVALID = 33, /* 400 referral_invalid */
	WERR_REFERRAL_SIDE = 34, /* 403 referral_side */
	WERR_REFERRAL_REQUESTER = 35, /* 403 referral_requester */
	/* a step against its request as the server holds it (issue 14) */
	WERR_REFERRAL_PARTY = 46, /* 403 referral_party */
	/* Booking (issue 15, §11): an appointment answer's APPT_K_RESULT. */
	WERR_SLOT_TAKEN = 36, /* 409 slot_taken, with alternatives */
	WERR_NO_SLOT = 37, /* 404 no_slot: no such bookable slot */
	WERR_SLOT_OFFERED = 38, /* 409 slot_offered: offered to the waitlist */
	WERR_APPT_STATE = 39, /* 409 appt_state: not ours, or not active */
	/* Admin routes (issue 17, §12): the region's figures, the export. */
	WERR_FIGURES = 44, /* 503 figures: the store could not give them */
	WERR_NOT_ADMIN = 45, /* 403 not_admin: only admin nodes */
	WERR_OUT_OF_REGION = 48, /* 403 out_of_region: another region */
	/* Emergencies (issue 16, §13). */
	WERR_EMERG_INVALID = 50, /* 400 emergency_invalid: body or record */
	WERR_EMERG_OWNER =
	    51, /* 403 emergency_owner: another node's incident */
	WERR_GATEWAY_AUTH = 52, /* 401 gateway_auth: callback secret wrong */
	WERR_NO_ROSTER = 53, /* 404 no_roster: none kept for this node */
	/* The waitlist (issue 15, §11.1): a waitlist answer's WAIT_K_RESULT. */
	WERR_WAIT_UNKNOWN = 54, /* 404 wait_unknown: no such entry */
	WERR_WAIT_STATE = 55, /* 409 wait_state: not in a state for that */
	WERR_BREAKGLASS_REASON = 40, /* 400: no written reason */
	WERR_BREAKGLASS_SCOPE = 41, /* 403: not this node's, or no patient */
	WERR_BREAKGLASS_QUERY = 42, /* 400: a search too short to be one
				       person's (§15.1) */
	WERR_BREAKGLASS_RATE = 56, /* 429 breakglass_rate: too many searches
				      (§15.1), detail: seconds to wait */
};

#define WERR_MAX WERR_BREAKGLASS_RATE

/* The error body of any non-200 answer (§2). */
#define ERR_K_CODE 1 /* uint: enum wire_err */
#define ERR_K_MESSAGE 2 /* text, English */
#define ERR_K_DETAIL 3 /* uint, only where §2 lists one */

/* POST /v1/enroll request (§3.1). */
#define ENROLL_K_TOKEN 1 /* text */
#define ENROLL_K_PUB 2 /* bytes: 32, Ed25519 public key */
#define ENROLL_K_LABEL 3 /* text: the node's uuid */
#define ENROLL_K_HLC 4 /* uint */

/* Its answer. */
#define ENROLLED_K_NODE 1 /* uint: node id */
#define ENROLLED_K_SERVER_PUB 2 /* bytes: 32 */
#define ENROLLED_K_REGION 3 /* text */
#define ENROLLED_K_FACILITY 4 /* text */
#define ENROLLED_K_ROLE 5 /* text */
#define ENROLLED_K_HLC 6 /* uint: server HLC */
#define ENROLLED_K_SETTINGS 7 /* map, SETTINGS_K_* */
#define ENROLLED_K_SIP 8 /* map, SIP_K_*: present when the region has SIP */

/* The node's SIP credentials in an enrolment answer (docs/PROTOCOL.md §3.1). */
#define SIP_K_USER 1 /* text: SIP user name */
#define SIP_K_PASSWORD 2 /* text: SIP password, sent once */
#define SIP_K_REGISTRAR 3 /* text: "host:port" of the region's Kamailio */
#define SIP_K_TURN 4 /* text: "host:port" of its coturn relay (optional) */

/* The settings map in the enrolment answer. */
#define SETTINGS_K_PUSH_BYTES 1 /* uint: max push CBOR bytes */
#define SETTINGS_K_PUSH_CHANGES 2 /* uint: max changes per push */
#define SETTINGS_K_PULL_PAGE 3 /* uint: max changes per pull page */

/* The protocol's own limits (and the settings' defaults). */
#define PROTO_PUSH_MAX_BYTES (256 * 1024)
#define PROTO_PUSH_MAX_CHANGES 512
#define PROTO_PULL_MAX 500

/* POST /v1/push request (§4). */
#define PUSH_K_FIRST 1 /* uint: first_seq */
#define PUSH_K_LAST 2 /* uint: last_seq */
#define PUSH_K_CHANGES 3 /* array of change arrays, PUSH_C_* */
#define PUSH_K_OUTBOX_LAST 4 /* uint, optional */

/* One pushed change: [seq, entity, uuid, hlc, body]. */
#define PUSH_C_SEQ 0
#define PUSH_C_ENTITY 1
#define PUSH_C_ID 2 /* bytes: 16 */
#define PUSH_C_HLC 3
#define PUSH_C_BODY 4 /* bytes: the record's CBOR map */
#define PUSH_C_COUNT 5

/* Its answer. */
#define PUSHED_K_HW 1 /* uint: high-water mark */
#define PUSHED_K_ACCEPTED 2 /* uint */
#define PUSHED_K_DUPS 3 /* uint */
#define PUSHED_K_HLC 4 /* uint: server HLC */
#define PUSHED_K_REFUSED 5 /* array of refusals, PUSHED_R_*; absent: none */

/* One refused change (§4.1): [seq, code, message]. */
#define PUSHED_R_SEQ 0
#define PUSHED_R_CODE                                                          \
	1 /* uint: WERR_INVALID_CHANGE, WERR_FORBIDDEN,
                          * WERR_CONSULT_TAKEN, WERR_CONSULT_STEP,
                          * WERR_RX_* or WERR_REFERRAL_* */
#define PUSHED_R_MESSAGE 2 /* text, English, no record content */
#define PUSHED_R_COUNT 3

/* POST /v1/pull request (§5). */
#define PULL_K_CURSOR 1 /* bytes, empty or absent: from the start */
#define PULL_K_MAX 2 /* uint: max changes */
/* The pull's companions (§5.4): a map of PULLALSO_K_* to the exact body
 * the node would POST to that route; the answer carries each route's
 * answer, so that one request does what five did. */
#define PULL_K_ALSO 3
#define PULLALSO_K_LICENCES 1 /* PROTO_PATH_LICENCES */
#define PULLALSO_K_ROSTER 2 /* PROTO_PATH_ROSTER */
#define PULLALSO_K_QUEUE 3 /* PROTO_PATH_CONSULTS */
#define PULLALSO_K_AUDIT 4 /* PROTO_PATH_AUDIT */
#define PULL_ALSO_MAX (60 * 1024) /* bytes of companions a node sends */

/* Its answer. */
#define PULLED_K_CHANGES 1 /* array of change arrays, PULL_C_* */
#define PULLED_K_CURSOR 2 /* bytes: the next cursor */
#define PULLED_K_MORE 3 /* bool: pull again at once */
#define PULLED_K_HLC 4 /* uint: server HLC (docs/PROTOCOL.md §3.4) */
/* map of PULLALSO_K_* to [status, body]: each companion's HTTP status and
 * its answer's CBOR, as the route itself would have sent them */
#define PULLED_K_ALSO 5
#define PULLED_A_STATUS 0 /* uint */
#define PULLED_A_BODY 1 /* bytes */

/* One pulled change: [entity, uuid, hlc, body, origin node]. */
#define PULL_C_ENTITY 0
#define PULL_C_ID 1 /* bytes: 16 */
#define PULL_C_HLC 2
#define PULL_C_BODY 3 /* bytes */
#define PULL_C_ORIGIN 4 /* uint: node id */
#define PULL_C_COUNT 5

/* POST /v1/blob request (§6). */
#define BLOB_K_HASH 1 /* bytes: 32, SHA-256 of the whole file */
#define BLOB_K_TOTAL 2 /* uint */
#define BLOB_K_OFFSET 3 /* uint */
#define BLOB_K_CHUNK 4 /* bytes */
#define BLOB_CHUNK_MAX (256 * 1024)

/* Its answer. */
#define BLOBBED_K_HELD 1 /* uint: bytes the server holds */

/* POST /v1/consults/queue answer (§9; the request is an empty map): the region's open consults for a
 * hub, a clinic's own for a clinic. */
#define PROTO_PATH_CONSULTS "/v1/consults/queue"
#define QUEUE_K_ITEMS 1 /* array of item maps, QITEM_K_* */
#define QUEUE_K_WAIT_MS                                                        \
	2 /* uint: median request-to-accept of the last
                           * 20 accepts in the region; absent: none yet */
#define QUEUE_K_LENGTH 3 /* uint: consults waiting in the region */
#define QITEM_K_ID 1 /* bytes: 16 */
#define QITEM_K_STATE 2 /* text: "queued", "accepted", ... */
#define QITEM_K_URGENCY 3 /* uint */
#define QITEM_K_REQUESTED 4 /* uint: Unix ms */
#define QITEM_K_FACILITY 5 /* text */
#define QITEM_K_POSITION 6 /* uint: 1 = next; only while queued */
#define QITEM_K_ACCEPTED_BY 7 /* uint: node id of the accepting hub */
/* The requesting node: the one a hub calls, sip:n<id>@registrar. */
#define QITEM_K_NODE 8 /* uint: node id */

/* POST /v1/licences (§10): the signed licence snapshot of the node's
 * region (model/licence.h), absent when the node holds that version. */
#define PROTO_PATH_LICENCES "/v1/licences"
#define LICREQ_K_HELD 1 /* uint: the version the node holds; absent: none */
#define LICENCES_K_SNAPSHOT 1 /* bytes: the signed envelope, LIC_E_* */

/* POST /v1/appointments (issue 15, §11): book, reschedule, cancel or
 * check in one appointment, idempotent by its id (the kiosk's UUID). */
#define PROTO_PATH_APPOINTMENTS "/v1/appointments"
#define APPTREQ_K_ID 1 /* bytes: 16, the appointment */
#define APPTREQ_K_SLOT 2 /* uint: the slot to book */
#define APPTREQ_K_PATIENT 3 /* bytes: 16 */
#define APPTREQ_K_REPLACES 4 /* bytes: 16, reschedule: cancelled if booked */
#define APPTREQ_K_ENTRY 5 /* bytes: 16, accepting this waitlist entry's offer */
#define APPTREQ_K_CANCEL 6 /* text: cancel ID, with this reason */
#define APPTREQ_K_CHECKIN 7 /* text: "chw" or "self": check-in evidence */
#define APPTREQ_K_AT 8 /* uint: Unix ms of the check-in */
/* Its answer (200). */
#define APPT_K_ID 1 /* bytes: 16 */
#define APPT_K_RESULT                                                          \
	2 /* uint: 0 done, WERR_SLOT_TAKEN..WERR_APPT_STATE or WERR_LICENCE */
#define APPT_K_SLOT 3 /* slot map, SLOT_K_* */
#define APPT_K_ALTS 4 /* array of slot maps: up to 3 free slots nearby */
#define APPT_K_REPLAY 5 /* bool: the stored answer to an earlier request */
#define SLOT_K_ID 1 /* uint */
#define SLOT_K_START 2 /* uint: Unix ms, UTC */
#define SLOT_K_END 3 /* uint: Unix ms, UTC */
#define SLOT_K_STATUS 4 /* text: free, busy, busy-unavailable */
/* 5 is OFFER_K_EXPIRES in a waitlist offer's slot map. */
#define SLOT_K_CLINICIAN                                                       \
	6 /* text: the schedule's clinician (a user name or
                              registration number; absent: not known) */
/* POST /v1/slots: the slots of the node's facility (§11). */
#define PROTO_PATH_SLOTS "/v1/slots"
/* POST /v1/waitlist (issue 15, §11.1): one waitlist request, signed. */
#define PROTO_PATH_WAITLIST "/v1/waitlist"
#define WAITREQ_K_ID 1 /* bytes: 16, the entry (the kiosk made it) */
#define WAITREQ_K_OP 2 /* text: "add", "remove", "decline", "status" */
#define WAITREQ_K_PATIENT 3 /* bytes: 16 (add) */
#define WAITREQ_K_URGENCY 4 /* uint: category 1..3 (add) */
#define WAITREQ_K_SERVICE 5 /* text (add) */
#define WAITREQ_K_LANG 6 /* text: hard preference, "" any (add) */
#define WAITREQ_K_MODALITY 7 /* text: hard preference (add) */
#define WAITREQ_K_CLINICIAN 8 /* text: hard preference (add) */
#define WAITREQ_K_SLOT 9 /* uint: the offered slot declined (decline) */
#define WAIT_K_ID 1 /* bytes: 16 */
#define WAIT_K_RESULT 2 /* uint: 0, WERR_WAIT_UNKNOWN or WERR_WAIT_STATE */
#define WAIT_K_STATUS 3 /* text: waiting, offered, booked, removed, expired */
#define WAIT_K_URGENCY 4 /* uint */
#define WAIT_K_LISTED 5 /* uint: Unix ms the server listed it */
#define WAIT_K_RECOMMENDED 6 /* uint: ms, the category's recommended wait */
#define WAIT_K_OFFERS 7 /* uint: offers that passed it by */
#define WAIT_K_OFFER 8 /* map: SLOT_K_ID, _START, _END and OFFER_K_EXPIRES */
#define OFFER_K_EXPIRES 5 /* uint: Unix ms the offer lapses */
#define SLOTSREQ_K_FROM 1 /* uint: Unix ms */
#define SLOTSREQ_K_TO 2 /* uint: Unix ms, at most 31 days after FROM */
#define SLOTS_K_ITEMS 1 /* array of slot maps */

/* POST /v1/admin/figures (issue 17, §12): the region's figures for an
 * admin node; the body is an empty map, the answer model/figures.h's CBOR
 * map (text keys, figures_cbor). */
#define PROTO_PATH_ADMIN_FIGURES "/v1/admin/figures"

/* POST /v1/emergency (issue 16, §13): the kiosk's fast path, idempotent
 * by the incident's UUID; the same record body as its sync change. */
#define PROTO_PATH_EMERGENCY "/v1/emergency"
#define EMREQ_K_ID 1 /* bytes: 16, the incident */
#define EMREQ_K_HLC 2 /* uint: the record's HLC */
#define EMREQ_K_RECORD 3 /* bytes: the REC_EMERGENCY record body (§5.2.0) */
#define EMREQ_K_PAGES                                                          \
	4 /* array of [loop, level, rcpt, status]: the
                         * kiosk's modem pages as they stand */
#define EMREQ_K_TEXT 5 /* text: the page as the kiosk built it (§7.5) */
/* One page of EMREQ_K_PAGES: the array's positions. */
#define EMPAGE_LOOP 0 /* uint, 1-based */
#define EMPAGE_LEVEL 1 /* uint, 0-based */
#define EMPAGE_RCPT 2 /* text: the roster service id */
#define EMPAGE_STATUS 3 /* text: the kiosk's send status */
#define EMPAGE_COUNT 4
/* Its answer: the incident as the server holds it. */
#define EMERG_K_STATE 1 /* text: esc_state_name() */
#define EMERG_K_ACKED_BY 2 /* text: who said yes ("" nobody yet) */
#define EMERG_K_ETA 3 /* uint: minutes */
#define EMERG_K_ACKED 4 /* uint: Unix ms of the yes, 0 none */
#define EMERG_K_CREATED 5 /* bool: this request created it */
/* POST /v1/roster: the node's signed roster (escalate/roster.h), absent
 * when the node holds that version. */
#define PROTO_PATH_ROSTER "/v1/roster"
#define ROSTERREQ_K_HELD 1 /* uint: the version held; absent: none */
#define ROSTER_K_SIGNED 1 /* bytes: [body, signature] */
#define ROSTER_K_VERSION 2 /* uint */
/* The SMS gateway's callbacks (unsigned; ?secret=, docs/OPERATIONS.md):
 * form-encoded as Africa's Talking posts them. */
#define PROTO_PATH_GW_DLR "/v1/gateway/dlr"
#define PROTO_PATH_GW_INBOUND "/v1/gateway/inbound"

/* POST /v1/audit: the node's audit chain since its last anchor (§14,
 * issue 17). */
#define PROTO_PATH_AUDIT "/v1/audit"
#define AUDITREQ_K_FIRST 1 /* uint: the seq of the first entry sent */
#define AUDITREQ_K_ENTRIES 2 /* array of bytes: each entry's hashed CBOR */
#define AUDITREQ_K_HEAD 3 /* uint: the node's newest audit seq */
#define AUDIT_MAX_ENTRIES 512 /* per request */
/* Keys of an entry's CBOR that the server reads (the kiosk's hashed map,
 * kiosk/store/store.c: 1 seq ... 8 detail, 9 the previous hash). */
#define AUDITENT_K_SEQ 1 /* uint */
#define AUDITENT_K_PREV 9 /* bytes: 32 */
/* Its answer (200). */
#define AUDIT_K_STATUS 1 /* uint: AUDIT_S_* */
#define AUDIT_K_SEQ 2 /* uint: the server's anchor for the node now */
#define AUDIT_S_EXTENDS 0 /* the entries extend the anchor: moved to the last */
#define AUDIT_S_FIRST 1 /* no anchor before: the last entry is the first */
#define AUDIT_S_BREAK 2 /* it no longer extends the anchor: stored, alerted */
#define AUDIT_S_RESEND 3 /* FIRST is not the anchor's next: send from SEQ + 1 */

/* POST /v1/breakglass: open a patient outside the facility's scope
 * with a written reason (§13, issue 17). */
#define PROTO_PATH_BREAKGLASS "/v1/breakglass"
#define BREAKGLASS_K_PATIENT 1 /* bytes: 16, the patient's id */
#define BREAKGLASS_K_REASON 2 /* text: why, BREAKGLASS_REASON_MIN..512 bytes */
#define BREAKGLASS_K_USER 3 /* text: the user's id on the node */
#define BREAKGLASS_REASON_MIN 10
/* Its answer (200): {BREAKGLASS_K_PATIENT: the id}; the next pull brings
 * the patient and their history. */
/* POST /v1/breakglass/search (§15.1): find a patient of the region by
 * name, phone or id before a break-glass access; minimal fields only,
 * every search recorded on the server. */
#define PROTO_PATH_BREAKGLASS_SEARCH "/v1/breakglass/search"
#define BGSEARCH_K_QUERY 1 /* text: name words, phone digits, or an id */
#define BGSEARCH_K_USER 2 /* text: the user's id on the node */
#define BGSEARCH_NAME_MIN 3 /* letters of a name search */
#define BGSEARCH_DIGITS_MIN 6 /* digits of a phone search */
#define BGSEARCH_MAX 10 /* patients in one answer */
/* The searches answered (§15.1), per user of a node and per node, in the
 * last minute and the last 24 hours; one more: WERR_BREAKGLASS_RATE. */
#define BGSEARCH_USER_PER_MINUTE 10
#define BGSEARCH_USER_PER_DAY 60
#define BGSEARCH_NODE_PER_MINUTE 20
#define BGSEARCH_NODE_PER_DAY 200
/* Its answer (200): {BGSEARCH_K_FOUND: [{BGS_P_*}...], BGSEARCH_K_MORE:
 * true when more matched than BGSEARCH_MAX (the user narrows it)}. */
#define BGSEARCH_K_FOUND 1
#define BGSEARCH_K_MORE 2
#define BGS_P_ID 1 /* bytes: 16 */
#define BGS_P_GIVEN 2 /* text */
#define BGS_P_FAMILY 3 /* text */
#define BGS_P_BIRTH_YEAR 4 /* uint, 0: unknown */
#define BGS_P_SEX 5 /* text, "" unknown */
#define BGS_P_VILLAGE 6 /* text, "" unknown */
#define BGS_P_FACILITY 7 /* text: the facility that registered them */

/* GET /v1/health answer (§7). */
#define HEALTH_K_STATUS 1 /* text: "ok" */
#define HEALTH_K_VERSION 2 /* text */
#define HEALTH_K_HLC 3 /* uint */

/*
 * POST /v1/admin/export (issue 17, §12): an admin node's export of its
 * own region, FHIR R4 NDJSON or CSV, by date range.  Clinic and hub
 * nodes: not_admin; another region named: out_of_region.
 */
#define PROTO_PATH_ADMIN_EXPORT "/v1/admin/export"
#define EXPREQ_K_FORMAT 1 /* text: "fhir" or "csv" */
#define EXPREQ_K_FROM 2 /* uint: Unix ms, inclusive; absent: 0 */
#define EXPREQ_K_TO 3 /* uint: Unix ms, exclusive; absent: no end */
#define EXPREQ_K_REGION 4 /* text: must be the node's own; absent: it */
#define EXPORT_K_FILES 1 /* array of [name text, content bytes] */
#define EXPORT_K_SKIPPED 2 /* uint: records left out (a reference unheld) */
#define EXPORT_K_MALFORMED 3 /* uint: forms whose instance did not parse */
#define EXPORT_MAX_BYTES (32u << 20) /* larger: too_large, narrow the range */

#endif
