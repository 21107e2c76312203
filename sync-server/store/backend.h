/*
 * The sync server's store, behind one table of functions.  Endpoints talk
 * only to this interface; store_sqlite.c is the embedded default and a
 * PostgreSQL backend can be added beside it without touching an endpoint
 * (docs/PROTOCOL.md §5.1 says how each backend keeps the pull cursor
 * correct).
 *
 * Every function returns 0 or an errno value: EIO (storage failed, nothing
 * changed), ENOENT (no such node/token), EACCES (token used or expired),
 * EALREADY (stale request sequence), EEXIST (conflicting content),
 * ERANGE (gap before a batch), ESTALE (cursor from another era), EBUSY,
 * EKEYREJECTED (open: the store key does not open the store).
 * Backend library messages are logged inside the backend; nothing that
 * identifies a patient is logged.
 */
#ifndef SYNC_SERVER_STORE_BACKEND_H
#define SYNC_SERVER_STORE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#define SSTORE_TEXT_MAX 64

struct sstore;
struct licence;
struct licence_set;

struct snode {
	uint64_t id;
	uint8_t pub[32];
	char role[SSTORE_TEXT_MAX];
	char region[SSTORE_TEXT_MAX];
	char facility[SSTORE_TEXT_MAX];
	char label[SSTORE_TEXT_MAX];
	int revoked;
	uint64_t req_seq; /* last request sequence seen */
	uint64_t hw; /* push high-water mark */
	uint64_t outbox_last; /* highest outbox seq the node reported */
	uint64_t last_seen_ms, last_push_ms, last_pull_ms;
	uint64_t enrolled_ms;
};

struct stoken {
	uint8_t hash[32]; /* SHA-256 of the token text */
	char role[SSTORE_TEXT_MAX];
	char region[SSTORE_TEXT_MAX];
	char facility[SSTORE_TEXT_MAX];
	uint64_t expires_ms;
};

/* What a pushed consult change says about its lifecycle (issue 13),
 * read from the body by policy_read; text fields are bounded copies. */
#define SCONSULT_ID_MAX 40
struct sconsult {
	int has_state;
	char state[16];
	int has_clinician;
	char clinician[SCONSULT_ID_MAX];
	int has_handed;
	char handed_to[SCONSULT_ID_MAX];
	int has_urgency;
	uint64_t urgency;
	uint64_t requested_ms;
	int request; /* carries reason, urgency or mode */
	int note; /* carries the SOAP note, advice, signature or accept time */
};

/* What a pushed referral fact says (issue 14; model/referral.h), read
 * from the body by policy_read. */
struct sreferral {
	int request; /* a request (ServiceRequest); 0: a step */
	int state; /* a step's state (enum referral_state) */
	char from[SSTORE_TEXT_MAX]; /* the referring facility */
	char target[SSTORE_TEXT_MAX]; /* the target facility */
	char role[16]; /* a request's requester role: chw, clinician */
	int has_consult; /* a request names its consult */
	uint8_t referral[16]; /* a step's request (key 11) */
	char by[40]; /* a step's user (key 3), a request's (18); "": none */
};

/* One change of a push (pointers lent from the decoded request). */
struct schange {
	uint64_t seq;
	int entity;
	uint8_t id[16];
	uint64_t hlc;
	const uint8_t *body;
	size_t len;
	uint64_t origin; /* pull only: the node that pushed it */
	/* Push only, read from the body by the caller (api/push.c): */
	int deletes; /* the body carries the soft-delete flag */
	int has_patient; /* PATIENT is the record's patient (a patient: */
	uint8_t patient[16]; /* itself); it scopes pulls and edits */
	int widens; /* accepted as a create, it puts PATIENT in the scope of
	             * the pusher's facility (a registration, a visit) */
	int hub_scope; /* accepted as a create, it puts PATIENT in the scope
	                * of every hub facility of the region (a consult) */
	int is_consult; /* a consult: CONSULT says what it changes */
	struct sconsult consult;
	/* Accepted as a create, it puts PATIENT in the scope of this
	 * facility too ("": none): a referral's target facility, so its
	 * nodes pull the patient and their history (issue 14). */
	char scope_facility[SSTORE_TEXT_MAX];
	int is_referral; /* a referral fact: REFERRAL says what */
	struct sreferral referral;
	/* An appointment (issue 15): the slot it proposes (0: none).  As a
	 * create, it puts PATIENT in the scope of the hub facilities where
	 * the slot's clinician is a user (docs/PROTOCOL.md §5.3). */
	uint64_t appt_slot;
	/* A user (issue 15): the names a schedule may give them by, its
	 * user name and registration number ("": absent in this change).
	 * Pushed by a hub, the hub's facility is where they work: the
	 * patients of their active appointments enter its scope. */
	char staff[2][SSTORE_TEXT_MAX];
};

/*
 * What the store knows of the record a pushed change touches, for the
 * authorisation callback (sync-server/policy.c decides).
 */
struct sfacts {
	int exists; /* a change of this record was accepted before */
	char region[SSTORE_TEXT_MAX]; /* of the node that created it */
	char facility[SSTORE_TEXT_MAX];
	int in_scope; /* its patient is in the pushing facility's scope */
	/* A consult's row in the server's queue (exists only): */
	char consult_state[16];
	uint64_t consult_node; /* the hub node that accepted it, 0: none */
	char consult_handed[SCONSULT_ID_MAX];
	/* A referral step's request (issue 14), as accepted before: in the
	 * store, or earlier in the same batch; lent for the callback.
	 * NULL: the server does not hold it (yet). */
	const uint8_t *ref_request;
	size_t ref_request_len;
};

/* One consult in the queue route's answer. */
struct sconsult_item {
	uint8_t id[16];
	char state[16];
	char facility[SSTORE_TEXT_MAX];
	uint64_t urgency, requested_ms, accepted_node;
	uint64_t node; /* the node that requested it (the one a hub calls) */
	uint64_t position; /* 1-based among waiting ones; 0 otherwise */
};

struct squeue {
	struct sconsult_item *items;
	size_t n;
	uint64_t waiting; /* consults waiting in the region */
	int has_wait;
	uint64_t wait_ms; /* median request-to-accept of recent accepts */
};

/* The outcome of one pushed change: 0, or a wire error code (enum
 * wire_err) with a reason that names no record content. */
struct sverdict {
	int code;
	char why[112];
};

struct spush {
	uint64_t node;
	uint64_t first, last;
	uint8_t hash[32]; /* SHA-256 of the request body */
	const struct schange *changes;
	size_t n;
	uint64_t outbox_last; /* node's highest outbox seq, 0 if unknown */
	/* The request's sequence, accepted in the same transaction as the
	 * batch (as node_touch would); 0 when already accepted. */
	uint64_t req_seq;
	uint64_t now_ms;
	/*
	 * One verdict per change, the caller's: codes set before the call
	 * (validation) refuse the change; the store asks authorize_cb about
	 * the others, in order, inside the transaction (so a batch that
	 * creates a record and then edits it is judged as it goes).  A
	 * refused change is stored, so a retry is recognised, but never
	 * served to a pull; the others are stored and served.
	 */
	struct sverdict *verdicts;
	void (*authorize_cb)(const struct snode *pusher, const struct schange *,
	    const struct sfacts *, struct sverdict *);
	/*
	 * Called inside the transaction, after the changes are applied, to
	 * encode the response that will be stored with the batch key and
	 * sent.  *OUT is allocated by the callback; the store takes it.
	 */
	int (*encode_cb)(const struct spush *, uint64_t hw, uint64_t accepted,
	    uint64_t dups, uint8_t **out, size_t *len, void *arg);
	void *arg;
};

struct spush_result {
	uint64_t hw;
	uint64_t accepted, dups;
	int replay; /* the batch key was already stored */
	uint64_t last_seq; /* EALREADY: the node's last request sequence */
	uint8_t *response; /* the caller's: bytes to send */
	size_t response_len;
};

#define SPULL_REGION 0
#define SPULL_FACILITY 1

struct spull_result {
	struct schange *changes; /* bodies owned by the result */
	size_t n;
	uint8_t *cursor; /* next cursor, the caller's */
	size_t cursor_len;
	int more;
};

struct sstats_entity {
	int entity;
	uint64_t records;
};

struct sstats {
	struct sstats_entity *entities;
	size_t nentities;
	struct snode *nodes;
	uint64_t *node_records; /* records held per node, parallel to nodes */
	size_t nnodes;
	uint64_t batches;
	uint64_t alerts;
	uint64_t open_tokens;
	uint64_t merged; /* patients held that a merge record retired into
			    another: "one record" is patients - merged */
};

/* --- booking (issue 15): schedules, slots, appointments, waitlist ------ */

/* A clinician's schedule at a facility (FHIR Schedule); its weekly hours
 * are read in TZ, an IANA zone name. */
struct ssched {
	uint64_t id;
	char clinician[SSTORE_TEXT_MAX];
	char facility[SSTORE_TEXT_MAX];
	char region[SSTORE_TEXT_MAX];
	char tz[SSTORE_TEXT_MAX];
	char service[SSTORE_TEXT_MAX];
	char modalities[SSTORE_TEXT_MAX]; /* comma-separated */
	char langs[SSTORE_TEXT_MAX]; /* comma-separated */
};

struct shours {
	int wday, start_min, end_min, slot_min;
};

/* One slot (FHIR Slot): UTC instants; status free | busy |
 * busy-unavailable | entered-in-error. */
struct sslot {
	uint64_t id, schedule;
	uint64_t start_ms, end_ms;
	char status[20];
	char clinician[SSTORE_TEXT_MAX]; /* its schedule's ("": unknown) */
};

#define SBOOK_ALTS 3
enum sbook_outcome {
	SBOOK_BOOKED = 1,
	SBOOK_TAKEN, /* another active appointment holds the slot */
	SBOOK_NO_SLOT, /* no such slot, or not bookable */
	SBOOK_OFFERED, /* held by a live waitlist offer to someone else */
	SBOOK_NOT_PERMITTED, /* GATE_CB refused the slot's clinician */
};

struct sbook {
	uint8_t id[16]; /* the appointment, made by the requesting node */
	uint64_t slot;
	uint8_t patient[16];
	uint64_t node;
	uint64_t now_ms;
	int has_replaces; /* a reschedule: cancel REPLACES if booked */
	uint8_t replaces[16];
	int has_entry; /* accepting a waitlist offer for ENTRY */
	uint8_t entry[16];
	/* The application's availability check (a friendlier refusal
	 * before the insert); 0 leaves only the partial unique index. */
	int app_check;
	/* Asked, inside the transaction, about the slot before booking it
	 * (the licence gate, sync-server/api/appointments.c), with its
	 * schedule's clinician and region: 0 lets it be booked; NULL:
	 * always.  It must not call the store. */
	int (*gate_cb)(const struct sslot *, const char *clinician,
	    const char *region, void *arg);
	void *gate_arg;
};

struct sbook_result {
	int outcome; /* enum sbook_outcome */
	int replay; /* the appointment id was known: its stored answer */
	struct sslot slot;
	struct sslot alts[SBOOK_ALTS]; /* SBOOK_TAKEN: later free slots */
	size_t nalts;
};

/* A waitlist entry (backend's copy of sync-server/work/sched.h's). */
struct swait {
	uint8_t id[16];
	uint8_t patient[16];
	char region[SSTORE_TEXT_MAX];
	char service[SSTORE_TEXT_MAX];
	int urgency;
	uint64_t listed_ms, recommended_ms;
	char lang[SSTORE_TEXT_MAX], modality[SSTORE_TEXT_MAX];
	char clinician[SSTORE_TEXT_MAX];
};

struct soffer {
	uint64_t slot;
	uint8_t entry[16];
	uint64_t offered_ms, expires_ms;
};

/* A waitlist entry as wait_get reads it: the entry, its status
 * ("waiting", "offered", "booked", "removed", "expired"), how many
 * offers passed it by, and its offer (slot 0: none) with the slot's
 * start and end. */
struct swait_state {
	struct swait w;
	char status[16];
	uint64_t offers;
	struct soffer offer;
	uint64_t start_ms, end_ms;
};

/*
 * Emergency incidents (issue 16, escalate/): one row per incident UUID,
 * whether it came by the fast path (POST /v1/emergency) or by sync; the
 * pages sent for it (the kiosk's modem pages as it reported them, the
 * server's gateway pages); the replies that came back through the
 * gateway.  Times are Unix ms, 0 for "not yet".
 */
#define SEMERG_ENG_MAX 2048
struct semerg {
	uint8_t id[16];
	char code[8];
	uint64_t node; /* the kiosk that raised it */
	char state[16]; /* esc_state_name() */
	uint64_t level, loop;
	char modem[12]; /* "none" "ok" "failed" "unknown" (§7.3) */
	uint64_t hlc; /* of the state: the newest wins, a closed state stays */
	uint64_t raised_ms, first_send_ms, first_delivery_ms, acked_ms,
	    arrived_ms, ended_ms; /* the earliest non-zero wins */
	char acked_by[24];
	uint64_t eta_min;
	/* The server's engine (struct esc_incident), 0 bytes: keep the one
	 * stored. */
	size_t eng_len;
	uint8_t eng[SEMERG_ENG_MAX];
	uint64_t updated_ms;
	char page[164]; /* the page as the kiosk built it (§7.5), "" none */
};

/* One page of (incident, loop, level, recipient) on CHANNEL: "modem"
 * (the kiosk's, as it reported it) or "gateway" (the server's). */
struct semerg_page {
	uint8_t incident[16];
	uint64_t loop, level;
	char rcpt[24];
	char channel[8];
	/* deferred (left to the kiosk for now), sending, unknown, sent,
	 * failed, delivered, left (the kiosk did it), superseded */
	char status[12];
	uint64_t attempt;
	char ext_id[64]; /* the gateway's or modem's message id */
	uint64_t at_ms, updated_ms;
};

/* One reply through the gateway, unique by the gateway's message id. */
struct semerg_reply {
	char ext_id[64];
	uint8_t incident[16]; /* zero: no open incident had that code */
	char from[20];
	char text[164];
	char kind[4]; /* "A", "X", "D", "" unreadable */
	uint64_t counted; /* 1: a roster number's, applied */
	uint64_t at_ms;
};

/*
 * Partners (issue 16, sync-server/partners.c): a region's machine
 * endpoints that take an incident as CAP 1.2 or FHIR R4, and the durable
 * queue of the messages for them, one per (partner, incident, seq): seq
 * is the message's number in the incident (stable: a message built again
 * is the same row), BODY the document as first built.
 */
struct spartner {
	uint64_t id;
	char region[SSTORE_TEXT_MAX];
	char url[256];
	char format[8]; /* "cap" or "fhir" */
	char secret[64]; /* "" none */
	uint64_t added_ms;
};
#define PQ_DUE_MAX 32 /* partner_sql.h's LIMIT */
struct spq {
	uint64_t partner;
	uint8_t incident[16];
	uint64_t seq;
	char kind[8]; /* Alert, Update, Cancel */
	char status[12]; /* pending, delivered, refused */
	uint64_t attempts, next_ms, created_ms, updated_ms;
	char last_error[64];
	const char *body; /* NUL-terminated; in a callback the store's */
};

/* A node's audit anchor, or a break (issue 17; docs/PROTOCOL.md §14). */
struct sanchor {
	uint64_t node;
	uint64_t seq; /* anchor: its newest entry; break: the entry whose
	               * previous hash is not the anchor's chain */
	uint8_t hash[32]; /* anchor: that entry's hash; break: the previous
	                   * hash it carried */
	int ok; /* 1 an anchor, 0 a break */
	uint64_t at_ms;
	char detail[128]; /* a break's reason; no patient data */
};

/* A break-glass access (issue 17): a user of a clinic or hub node opened
 * a patient outside its facility's scope, with a written reason. */
#define SBREAKGLASS_REASON_MAX 512
struct sbreakglass {
	uint64_t node;
	char region[SSTORE_TEXT_MAX];
	char facility[SSTORE_TEXT_MAX];
	uint8_t patient[16];
	char user[SSTORE_TEXT_MAX]; /* the user's id on the node */
	char reason[SBREAKGLASS_REASON_MAX];
	uint64_t at_ms;
};

/* A break-glass search (issue 17, docs/PROTOCOL.md §15.1): who looked
 * for a patient outside their facility's scope, with what words, and how
 * many patients matched.  The query may name a patient: stored, listed to
 * the administrator, never logged. */
#define SBGSEARCH_QUERY_MAX 128
struct sbgsearch {
	uint64_t node;
	char region[SSTORE_TEXT_MAX];
	char facility[SSTORE_TEXT_MAX];
	char user[SSTORE_TEXT_MAX];
	char query[SBGSEARCH_QUERY_MAX];
	uint64_t found;
	uint64_t at_ms;
};

/* One of a node's recent break-glass searches, as the rate limit
 * (docs/PROTOCOL.md §15.1) sees it: who, and when. */
struct sbgrecent {
	char user[SSTORE_TEXT_MAX];
	uint64_t at_ms;
};
/* The most searches bgsearch_admit shows its judge: above the most any
 * limit lets a node make in its window. */
#define SBGRECENT_MAX 256
/* Judge a search by the node's N recent ones R (newest first): 0 to
 * record it, or an errno returned as is. */
typedef int (*sbgsearch_admit_cb)(
    const struct sbgrecent *r, size_t n, void *arg);

/* --- claims (issue 15; sync-server/claims.c, work/claims.h) ----------- */

/* One piece of claim evidence: a pushed change the claim builder keeps,
 * under the consult, appointment, visit or patient it speaks for.  KIND
 * "consult", "call", "appt", "visit", "coverage" or "mismatch" (the same
 * change seen with another body).  BODY is lent to a list callback. */
struct sclaim_ev {
	uint8_t subject[16];
	uint8_t rec[16];
	uint64_t hlc;
	char kind[16];
	int has_patient;
	uint8_t patient[16];
	char clinician[SSTORE_TEXT_MAX]; /* a consult's signer regno */
	uint64_t node; /* the node that pushed it (0: the server) */
	char region[SSTORE_TEXT_MAX];
	char facility[SSTORE_TEXT_MAX];
	uint8_t hash[32]; /* SHA-256 of BODY */
	const uint8_t *body;
	size_t len;
	uint64_t at_ms; /* when the server received it */
};

/* A filter of evidence or claims: each non-NULL field must match. */
struct sclaimq {
	const uint8_t *subject;
	const uint8_t *patient;
	const char *clinician;
	const char *kind;
	const char *status; /* claims only */
	const char *payer; /* claims only */
};

/* One claim (the neutral claim record, work/claims.h's claim_row). */
struct sclaim {
	uint8_t subject[16]; /* the consult */
	int has_appt;
	uint8_t appt[16]; /* its appointment, when one was matched */
	uint8_t patient[16];
	char business_id[SSTORE_TEXT_MAX];
	char payer[SSTORE_TEXT_MAX];
	char member[SSTORE_TEXT_MAX];
	char regno[SSTORE_TEXT_MAX];
	char facility[SSTORE_TEXT_MAX];
	char service[SSTORE_TEXT_MAX];
	char mode[16];
	char status[16]; /* ready held submitted accepted rejected queued */
	char hold[24];
	int64_t price;
	uint64_t service_ms, created_ms, updated_ms;
	uint8_t digest[32];
};

/* A decision not to bill SUBJECT (kind "consult" or "appointment"). */
struct snobill {
	uint8_t subject[16];
	char kind[16];
	int has_patient;
	uint8_t patient[16];
	char reason[24]; /* work/claims.h claim_reason_name() */
	uint64_t decided_ms;
};

struct store_backend {
	const char *name;
	/*
	 * Open (creating) the store in DIR, encrypted under the 32-byte KEY
	 * (copied; NULL: unencrypted, for in-process tests only).  A
	 * plaintext store opened with a key is encrypted first.
	 * EKEYREJECTED: KEY does not open it; EPROTO: made by a newer
	 * version.
	 */
	int (*open)(const char *dir, const uint8_t *key, struct sstore **out);
	void (*close)(struct sstore *);
	/* Store a new enrolment token. */
	int (*token_add)(struct sstore *, const struct stoken *);
	/*
	 * Consume the token with HASH (valid at NOW_MS) and create a node for
	 * PUB in one transaction; *OUT describes the node.  ENOENT unknown
	 * token, EACCES used or expired.
	 */
	int (*enroll)(struct sstore *, const uint8_t hash[32],
	    const uint8_t pub[32], const char *label, uint64_t now_ms,
	    struct snode *out);
	int (*node_get)(struct sstore *, uint64_t id, struct snode *out);
	int (*node_revoke)(struct sstore *, uint64_t id);
	/*
	 * Accept request sequence SEQ from node ID: atomically require
	 * SEQ > the stored one and store it.  EALREADY with *LAST set
	 * otherwise.
	 */
	int (*node_touch)(struct sstore *, uint64_t id, uint64_t seq,
	    uint64_t now_ms, uint64_t *last);
	/* Idempotent ingest of one batch (docs/PROTOCOL.md §4).  EEXIST
	 * conflict, ERANGE gap (res->hw set), EALREADY stale request
	 * sequence (res->last_seq set). */
	int (*push)(
	    struct sstore *, const struct spush *, struct spush_result *res);
	/*
	 * Up to MAX changes for NODE's scope after CURSOR (empty: start),
	 * never NODE's own nor refused ones.  SCOPE SPULL_REGION: every
	 * change of the region.  SPULL_FACILITY: the changes of records
	 * whose patient is in the scope of NODE's facility, and of records
	 * without a patient created at that facility; a patient who enters
	 * the scope later brings their earlier changes along, delivered at
	 * the position of the change that widened the scope, so a cursor
	 * already past them still gets them (docs/PROTOCOL.md §5.3).
	 */
	int (*pull)(struct sstore *, const struct snode *node, int scope,
	    const uint8_t *cursor, size_t cursor_len, size_t max,
	    uint64_t now_ms, struct spull_result *res);
	/* Record an alert (conflicting batch...): no patient data. */
	int (*alert)(struct sstore *, uint64_t node, const char *kind,
	    const char *detail, uint64_t now_ms);
	int (*stats)(struct sstore *, struct sstats *);
	/* Call CB for every stored change, in feed order (admin manifest). */
	int (*manifest)(struct sstore *,
	    void (*cb)(const struct schange *, const uint8_t hash[32], void *),
	    void *arg);
	/*
	 * Attachments (issue 9, item 8): record that NODE uploaded the blob
	 * with SHA-256 HASH and SIZE bytes (idempotent); whether it did
	 * (*SIZE, or ENOENT); the bytes of every blob it uploaded.
	 */
	int (*blob_own)(struct sstore *, uint64_t node, const uint8_t hash[32],
	    uint64_t size, uint64_t now_ms);
	int (*blob_owned)(struct sstore *, uint64_t node,
	    const uint8_t hash[32], uint64_t *size);
	int (*blob_usage)(struct sstore *, uint64_t node, uint64_t *bytes);
	/*
	 * The consult queue (issue 13) of NODE's region: a hub (ALL) gets
	 * every waiting or accepted consult, by urgency (highest first) then
	 * request time; a clinic the open consults its facility created,
	 * each with its position among the waiting ones.
	 */
	int (*consult_queue)(struct sstore *, const struct snode *node, int all,
	    struct squeue *out);
	/*
	 * Booking (issue 15).  sched_define: create or update the schedule
	 * of (clinician, facility, service) and replace its weekly hours;
	 * *ID its id.  slots_add: store SLOTS of schedule SCHED (start
	 * already known: kept as is), *ADDED how many were new.  slots_list:
	 * the slots of SCHED (0: every schedule of FACILITY) starting in
	 * [FROM_MS, TO_MS), *OUT the caller's.
	 */
	int (*sched_define)(struct sstore *, const struct ssched *,
	    const struct shours *, size_t nhours, uint64_t *id);
	int (*sched_get)(struct sstore *, uint64_t id, struct ssched *,
	    struct shours **hours, size_t *nhours);
	int (*slots_add)(struct sstore *, uint64_t sched,
	    const struct sslot *slots, size_t n, uint64_t *added);
	int (*slots_list)(struct sstore *, uint64_t sched, const char *facility,
	    uint64_t from_ms, uint64_t to_ms, struct sslot **out, size_t *n);
	/*
	 * Book (FHIR Appointment): one transaction.  A known appointment id
	 * gives its stored answer (replay; EEXIST if the request names
	 * another slot or patient).  The partial unique index (one active
	 * appointment per slot) decides; a refusal is stored too, so a
	 * re-sent request gets the same answer, and carries up to
	 * SBOOK_ALTS later free slots of the same facility and service.
	 */
	int (*appt_book)(
	    struct sstore *, const struct sbook *, struct sbook_result *);
	/* Cancel ID (booked by NODE; ENOENT unknown, EACCES another node's,
	 * EALREADY not active): the slot is free again. */
	int (*appt_cancel)(struct sstore *, const uint8_t id[16], uint64_t node,
	    const char *reason, uint64_t now_ms);
	/* Check-in evidence for ID at AT_MS (BY: "chw" or "self"); a
	 * provisional or final no-show flips back to checked-in, audited. */
	int (*appt_checkin)(struct sstore *, const uint8_t id[16],
	    const char *by, uint64_t at_ms, uint64_t now_ms);
	/* Booked appointments past their slot end + GRACE_MS become no-shows:
	 * final only when the owning node's last push at or after that time
	 * acknowledged its whole outbox, provisional otherwise (re-checked on
	 * each sweep).  *CHANGED how many moved. */
	int (*appt_sweep)(struct sstore *, uint64_t now_ms, uint64_t grace_ms,
	    uint64_t *changed);
	/* An appointment's status ("booked", "cancelled", "refused",
	 * "checked-in", "noshow-provisional", "noshow"), and its slot. */
	int (*appt_status)(struct sstore *, const uint8_t id[16], char *status,
	    size_t size, uint64_t *slot);
	/* The invariant: how many slots hold more than one active
	 * appointment (must be 0), and how many audit rows ID has. */
	int (*appt_invariant)(struct sstore *, uint64_t *doubled);
	int (*appt_audits)(struct sstore *, const uint8_t id[16], uint64_t *n);
	/* Is PATIENT in the scope of FACILITY in REGION (registered or seen
	 * there, docs/PROTOCOL.md §5.3)?  *YES 1 or 0. */
	int (*patient_in_scope)(struct sstore *, const char *region,
	    const char *facility, const uint8_t patient[16], int *yes);
	/*
	 * The waitlist.  wait_add: list an entry (idempotent by id).
	 * wait_offer: the slot's live offer, or a new one: expired offers
	 * are dropped first (their entry back to waiting, never offered
	 * that slot again), then RANK_CB orders the waiting entries of the
	 * slot's region and service (it returns how many of them, best
	 * first, in ORDER) and the first gets the offer until EXPIRES_MS.
	 * ENOENT: nobody to offer.  wait_decline: ENTRY declines the offer
	 * of SLOT (ENOENT: no such live offer).
	 */
	int (*wait_add)(struct sstore *, const struct swait *);
	int (*wait_offer)(struct sstore *, uint64_t slot, uint64_t now_ms,
	    uint64_t expires_ms,
	    size_t (*rank_cb)(const struct swait *, size_t n,
	        const struct ssched *, const struct sslot *, size_t *order,
	        void *arg),
	    void *arg, struct soffer *out);
	int (*wait_decline)(struct sstore *, uint64_t slot,
	    const uint8_t entry[16], uint64_t now_ms);
	/*
	 * wait_get: entry ID (ENOENT: unknown).  wait_remove: ID leaves the
	 * list (EALREADY: booked, removed or expired already); its offer, if
	 * any, passes ("never offered that slot again") and *SLOT names it
	 * (0: none) so the caller offers it on.  wait_sweep: entries still
	 * waiting at NOW_MS after twice their recommended wait expire; every
	 * offer expired at NOW_MS passes (its entry waits again, never
	 * offered that slot again) and *OUT (the caller's) lists those
	 * slots, with their start, to offer on.
	 */
	int (*wait_get)(
	    struct sstore *, const uint8_t id[16], struct swait_state *out);
	int (*wait_remove)(struct sstore *, const uint8_t id[16],
	    uint64_t now_ms, uint64_t *slot);
	int (*wait_sweep)(
	    struct sstore *, uint64_t now_ms, struct sslot **out, size_t *n);
	/* Key/value metadata (server keys, feed era). */
	int (*meta_get)(
	    struct sstore *, const char *key, uint8_t **val, size_t *len);
	int (*meta_put)(
	    struct sstore *, const char *key, const void *val, size_t len);
	/*
	 * The licence registry (issue 14, model/licence.h).  licence_put
	 * inserts or replaces each of the N licences L (by regulator and
	 * regno), raising its rev, and appends EVENT ("add", "suspend"...)
	 * with DETAIL to the append-only event log for each: all in one
	 * transaction, or nothing.  licence_list fills
	 * OUT (the caller clears it) with every licence and *VERSION with
	 * the last event's number (it grows with every change).
	 */
	int (*licence_put)(struct sstore *, const struct licence *l, size_t n,
	    const char *event, const char *detail, uint64_t now_ms);
	int (*licence_list)(
	    struct sstore *, struct licence_set *out, uint64_t *version);
	/*
	 * Emergencies (struct semerg).  emerg_upsert: insert or merge E by
	 * its id (*CREATED 1 when new).  emerg_list: CB for the incident ID
	 * (NULL: every one), only the open ones (not arrived or cancelled)
	 * when OPEN, only those raised at or after SINCE_MS.  emerg_page_put:
	 * insert P, or with CLAIM only when absent (EEXIST otherwise: the
	 * one that inserts it sends it); else merge its status (the higher
	 * of deferred < sending < unknown < sent < failed < delivered <
	 * left, superseded; a delivery is never undone), attempt (max) and
	 * ext_id.  emerg_pages: CB for the pages of ID (NULL: any), or the
	 * one whose ext_id is EXT (NULL: any).  emerg_reply_add: EEXIST when
	 * the gateway already gave that message.
	 */
	int (*emerg_upsert)(
	    struct sstore *, const struct semerg *, int *created);
	int (*emerg_list)(struct sstore *, const uint8_t *id, int open,
	    uint64_t since_ms, int (*cb)(const struct semerg *, void *),
	    void *arg);
	int (*emerg_page_put)(
	    struct sstore *, const struct semerg_page *, int claim);
	int (*emerg_pages)(struct sstore *, const uint8_t *id, const char *ext,
	    int (*cb)(const struct semerg_page *, void *), void *arg);
	int (*emerg_reply_add)(struct sstore *, const struct semerg_reply *);
	/*
	 * Partners (struct spartner, struct spq).  partner_add: insert P
	 * (P->id set), EEXIST when REGION, URL and FORMAT are held already.
	 * partner_list: CB for REGION's ("": every one), by id.  pq_add:
	 * insert Q unless its (partner, incident, seq) is held (EEXIST).
	 * pq_list: CB for INCIDENT's rows, or (INCIDENT NULL) for the
	 * pending ones whose next_ms is at or before DUE_MS, at most
	 * PQ_DUE_MAX, soonest first.  pq_mark: Q's status, attempts,
	 * next_ms, updated_ms and last_error.
	 */
	int (*partner_add)(struct sstore *, struct spartner *p);
	int (*partner_list)(struct sstore *, const char *region,
	    int (*cb)(const struct spartner *, void *), void *arg);
	int (*pq_add)(struct sstore *, const struct spq *q);
	int (*pq_list)(struct sstore *, const uint8_t *incident,
	    uint64_t due_ms, int (*cb)(const struct spq *, void *), void *arg);
	int (*pq_mark)(struct sstore *, const struct spq *q);
	/*
	 * The audit anchor (issue 17).  anchor_get: NODE's newest anchor
	 * (OK rows only; ENOENT: none yet) and in *BROKEN whether a break
	 * was stored after it.  anchor_add: append A (an anchor or a
	 * break).  anchor_list: NODE's rows, newest first, at most MAX;
	 * *OUT the caller's (free()).
	 */
	int (*anchor_get)(
	    struct sstore *, uint64_t node, struct sanchor *out, int *broken);
	int (*anchor_add)(struct sstore *, const struct sanchor *a);
	int (*anchor_list)(struct sstore *, uint64_t node, size_t max,
	    struct sanchor **out, size_t *n);
	/*
	 * Break-glass (issue 17).  breakglass_add: record B and put its
	 * patient in the scope of B's facility (docs/PROTOCOL.md §5.3), so
	 * the facility's next pull back-fills the patient's history.
	 * ENOENT: the region holds no such patient.  breakglass_list: every
	 * access, newest first, at most MAX (0: all); *OUT the caller's.
	 */
	int (*breakglass_add)(struct sstore *, const struct sbreakglass *b);
	int (*breakglass_list)(
	    struct sstore *, size_t max, struct sbreakglass **out, size_t *n);
	/*
	 * Claims (issue 15).  claim_ev_put: keep the N pieces of evidence
	 * EV in one transaction, each idempotent by (subject, rec, hlc);
	 * MISMATCH[i] (NULL: not wanted) 1 when that key holds another body
	 * (that one not changed).  claim_ev_list: CB for each piece
	 * matching Q (subject, patient, clinician, kind), by hlc.
	 * claim_put: one transaction: the claim, unless one exists for
	 * (subject, payer) (the UNIQUE constraint decides: *CREATED 0), the
	 * no-bill rows of its subject and appointment dropped, an event.
	 * claim_nobill: record (REASON non-empty) or drop (REASON "")
	 * SUBJECT's no-bill decision; never beside a claim of SUBJECT.
	 * claims_list: CB for each claim matching Q (subject, patient,
	 * status, payer), oldest first.  nobill_list: every decision.
	 * claim_status: move claim BUSINESS_ID from FROM ("": any) to TO
	 * with an event saying WHY (EALREADY: not in FROM; ENOENT:
	 * unknown); to "held", WHY is the hold's name (its first 23
	 * bytes are kept as the claim's hold), to anything else the hold
	 * is cleared.
	 */
	int (*claim_ev_put)(struct sstore *, const struct sclaim_ev *ev,
	    size_t n, int *mismatch);
	int (*claim_ev_list)(struct sstore *, const struct sclaimq *,
	    void (*cb)(const struct sclaim_ev *, void *), void *arg);
	int (*claim_put)(struct sstore *, const struct sclaim *, int *created);
	int (*claim_nobill)(struct sstore *, const struct snobill *);
	int (*claims_list)(struct sstore *, const struct sclaimq *,
	    void (*cb)(const struct sclaim *, void *), void *arg);
	int (*nobill_list)(struct sstore *,
	    void (*cb)(const struct snobill *, void *), void *arg);
	int (*claim_status)(struct sstore *, const char *business_id,
	    const char *from, const char *to, const char *why, uint64_t now_ms);
	/* Break-glass searches (issue 17): bgsearch_add records S;
	 * bgsearch_list every search, newest first, at most MAX (0: all);
	 * *OUT the caller's (free()). */
	int (*bgsearch_add)(struct sstore *, const struct sbgsearch *s);
	/* bgsearch_admit records S as bgsearch_add does, once ADMIT agrees:
	 * ADMIT sees S->node's searches recorded at or after SINCE_MS,
	 * newest first, at most SBGRECENT_MAX, under a lock on the node held
	 * until S is recorded (SQLite: the write transaction; PostgreSQL: the
	 * node row's lock, FOR NO KEY UPDATE), so concurrent searches of one
	 * node, through any server instance, are judged one after the other.
	 * ADMIT's error is returned and nothing is recorded; ENOENT for a
	 * node the store does not know. */
	int (*bgsearch_admit)(struct sstore *, const struct sbgsearch *s,
	    uint64_t since_ms, sbgsearch_admit_cb admit, void *arg);
	int (*bgsearch_list)(
	    struct sstore *, size_t max, struct sbgsearch **out, size_t *n);
};

extern const struct store_backend store_sqlite_backend;
/* PostgreSQL (pg.c): open's DIR is a libpq conninfo or postgresql:// URI. */
extern const struct store_backend store_pg_backend;

/* The claims in STATUS ("ready", "held", "submitted"...; NULL: all),
 * oldest first: for dashboards. */
static inline int
store_claims_by_status(const struct store_backend *be, struct sstore *s,
    const char *status, void (*cb)(const struct sclaim *, void *), void *arg)
{
	struct sclaimq q = { 0 };

	q.status = status;
	return be->claims_list(s, &q, cb, arg);
}

void spull_result_clear(struct spull_result *);
/* CB for every accepted change of REGION, in feed order, as an admin
 * node's pull sees it, PAGE changes a read; stops at CB's first non-zero
 * return, which it returns (or the store's errno).  store/region.c. */
int store_region_each(const struct store_backend *be, struct sstore *s,
    const char *region, size_t page, uint64_t now_ms,
    int (*cb)(const struct schange *, void *), void *arg);
void sstats_clear(struct sstats *);
void squeue_clear(struct squeue *);
/* Shared by the backends: number the waiting items of Q (ordered), keep
 * those NODE may see (ALL: every one), and the median of WAITS. */
#define SQUEUE_WAITS 20
#define SQUEUE_WAITS_SQL "20"
void squeue_finish(struct squeue *q, const struct snode *node, int all,
    uint64_t *waits, size_t nwaits);

#endif
