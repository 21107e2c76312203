/*
 * Clinician licences: the check permitted(clinician, act, region, time)
 * (docs/workflows §6.5), shared by the kiosk (offline, on its snapshot)
 * and the sync server (on its registry), and the signed registry snapshot
 * a region's kiosks hold.  Pure: no I/O, no clock (the caller passes the
 * act's time), no store.
 *
 * A licence permits ACT in REGION at T when its status was active at T (no
 * suspension or revocation effective at or before T), valid_from <= T <
 * valid_to, one of its jurisdictions covers REGION (a jurisdiction covers
 * itself and every region below it: "KE" covers "KE-47"; "*" covers every
 * region) and its scope holds ACT.  A clinician may hold several licences;
 * one that permits is enough.  Documentation (LIC_ACT_NOTE) is never
 * refused: a note signed without a permitting licence is permitted but
 * flagged licence_lapsed.
 *
 * The snapshot is a deterministic CBOR map (LIC_S_*) signed with Ed25519
 * by the server's key, the one kiosks pin at enrolment; it carries only
 * what a kiosk needs.  licence_snapshot_open() refuses a bad signature
 * (EBADMSG), a version not above the one held (ESTALE) and a malformed
 * body (EBADMSG); a snapshot past its not_after still opens, and every
 * verdict on it is flagged for re-check.
 */
#ifndef LICENCE_H
#define LICENCE_H

#include <stddef.h>
#include <stdint.h>

enum licence_act {
	LIC_ACT_BOOK,
	LIC_ACT_CONSULT,
	LIC_ACT_NOTE,
	LIC_ACT_PRESCRIBE,
	LIC_ACT_REFER,
	LIC_ACT_CLAIM,
	LIC_ACTS
};
#define LIC_SCOPE(act) (1u << (act))
#define LIC_SCOPE_ALL ((1u << LIC_ACTS) - 1)

/* A licence's recorded status (the registry's, not the verdict). */
enum licence_status {
	LIC_STATUS_ACTIVE = 0,
	LIC_STATUS_SUSPENDED = 1,
	LIC_STATUS_REVOKED = 2,
};

/* The verdict's reason: the 8 states of workflows §7 criterion 7. */
enum licence_state {
	LIC_ST_ACTIVE = 0,
	LIC_ST_EXPIRED,
	LIC_ST_SUSPENDED,
	LIC_ST_REVOKED,
	LIC_ST_NOT_YET_VALID,
	LIC_ST_WRONG_JURISDICTION,
	LIC_ST_WRONG_SCOPE,
	LIC_ST_UNKNOWN,
	LIC_STATES
};

#define LIC_REGNO_MAX 48
#define LIC_TEXT_MAX 64
#define LIC_JURIS_MAX 128 /* space-separated jurisdiction codes */
#define LIC_ADDR_MAX 128

struct licence {
	char regno[LIC_REGNO_MAX];
	char regulator[LIC_TEXT_MAX];
	char cadre[LIC_TEXT_MAX]; /* "medical officer", "nurse" ... */
	char name[LIC_TEXT_MAX]; /* the clinician's name as registered */
	char juris[LIC_JURIS_MAX]; /* "KE", "KE-47 KE-30", "*" */
	/* Where the clinician practises and how to reach them, as a
	 * prescription sheet prints them (India's TPG 2020 asks for both);
	 * "" when not registered.  CONTACT is a phone number in E.164 or an
	 * e-mail address (licence_contact_ok). */
	char address[LIC_ADDR_MAX];
	char contact[LIC_TEXT_MAX];
	uint32_t scope; /* LIC_SCOPE() bits */
	int64_t valid_from; /* Unix ms, inclusive */
	int64_t valid_to; /* Unix ms, exclusive */
	int status; /* enum licence_status */
	int64_t status_at; /* Unix ms the status took effect; 0: always */
	uint64_t rev; /* per-licence revision */
};

struct licence_set {
	struct licence *l; /* sorted by regno after licence_set_sort() */
	size_t n, cap;
	char region[LIC_TEXT_MAX];
	uint64_t version; /* monotonic per region */
	int64_t issued; /* Unix ms */
	int64_t not_after; /* Unix ms; 0: never stale (server registry) */
};

struct licence_verdict {
	int permitted; /* 1 or 0 */
	enum licence_state state;
	int lapsed; /* a note permitted without a permitting licence */
	int recheck; /* judged on a snapshot past its not_after */
	/* Words a CHW or clinician reads (N_(): translate with _()). */
	const char *words;
};

const char *licence_act_name(enum licence_act);
/* "book", "consult"...: LIC_ACTS when unknown. */
enum licence_act licence_act_parse(const char *);
const char *licence_state_name(enum licence_state);
const char *licence_status_name(int);
/* "active", "suspended", "revoked": -1 when unknown. */
int licence_status_parse(const char *);
/* Parse "consult,note,prescribe" or "all" into scope bits: 0 or EINVAL. */
int licence_scope_parse(const char *, uint32_t *);
/* Write the scope as "consult,note" into BUF. */
void licence_scope_str(uint32_t, char *buf, size_t len);
/* Is C a contact licence.h takes: "" (none), +E.164 (8 to 15 digits
 * after the '+') or an e-mail address (one '@', text on both sides, a dot
 * in the domain, no spaces)?  1 or 0. */
int licence_contact_ok(const char *c);
/* "phone" or "email" (FHIR ContactPoint.system) for a valid contact. */
const char *licence_contact_system(const char *c);
/* Does the jurisdiction list JURIS cover REGION? */
int licence_juris_covers(const char *juris, const char *region);

/* Append a copy of L. */
void licence_set_add(struct licence_set *, const struct licence *);
void licence_set_sort(struct licence_set *);
void licence_set_clear(struct licence_set *);

/*
 * The check.  Returns 1 when ACT by REGNO in REGION at AT (Unix ms) is
 * permitted, else 0; WHY (may be NULL) gets the reason.  A LIC_ACT_NOTE
 * always returns 1, with why->lapsed set when no licence permits it.
 */
int licence_permitted(const struct licence_set *, const char *regno,
    enum licence_act act, const char *region, int64_t at,
    struct licence_verdict *why);

/* Snapshot keys (a CBOR map signed as a whole, docs/PROTOCOL.md). */
#define LIC_S_REGION 1 /* text */
#define LIC_S_VERSION 2 /* uint */
#define LIC_S_ISSUED 3 /* uint: Unix ms */
#define LIC_S_NOT_AFTER 4 /* uint: Unix ms */
#define LIC_S_LICENCES 5 /* array of arrays, LIC_L_* */
#define LIC_S_STRINGS 6 /* array of text: regulators, cadres, jurisdictions */
/* Present when some licence has an address or a contact: an array in the
 * order of LIC_S_LICENCES, one [address, contact] pair of indexes into
 * LIC_S_STRINGS each ("" when none).  A kiosk that does not know the key
 * ignores it. */
#define LIC_S_CONTACTS 7
/* The signed envelope. */
#define LIC_E_BODY 1 /* bytes: the snapshot map */
#define LIC_E_SIG 2 /* bytes(64): Ed25519 over BODY */
/*
 * One licence, an array in this order (revocations are sent first).  The
 * regulator, cadre and jurisdictions are indexes into LIC_S_STRINGS; times
 * are Unix seconds, rounded so that the snapshot never permits more than
 * the registry (valid_from up, valid_to and status_at down).  The name is
 * not sent: a kiosk has it from the user record.  The address and the
 * contact travel in LIC_S_CONTACTS (practices share an address, which the
 * string table then holds once).
 */
enum {
	LIC_L_REGNO,
	LIC_L_REGULATOR,
	LIC_L_CADRE,
	LIC_L_JURIS,
	LIC_L_SCOPE,
	LIC_L_FROM,
	LIC_L_TO,
	LIC_L_STATUS,
	LIC_L_STATUS_AT,
	LIC_L_REV,
	LIC_L_COUNT
};
#define LIC_SNAPSHOT_MAX (4 * 1024 * 1024)
#define LIC_SNAPSHOT_MAX_LICENCES 50000

/*
 * Encode and sign SET as a snapshot: *OUT (the caller's) holds the
 * envelope.  Suspended and revoked licences come first.  0, EINVAL or EIO.
 */
int licence_snapshot_seal(const struct licence_set *, const uint8_t priv[32],
    uint8_t **out, size_t *len);
/*
 * Verify and decode a snapshot envelope with the pinned server key PUB
 * into OUT (empty on entry; cleared on error).  HELD is the version the
 * caller holds (0: none): a version below it gives ESTALE (no rollback),
 * the same version EALREADY (keep what is held).  Returns 0, EBADMSG (bad
 * signature or malformed), EMSGSIZE (too large), ESTALE or EALREADY.
 */
int licence_snapshot_open(const uint8_t *buf, size_t len, const uint8_t pub[32],
    uint64_t held, struct licence_set *out);

#endif
