/*
 * Claims workflow (issue 15), pure functions: no SQL, no HTTP, no clock.
 *
 * A claim is derived from evidence, never entered (research workflows.md
 * §6.3).  The builder (sync-server/claims.c) reads what nodes pushed,
 * fills one struct claim_ev per consult and asks claim_decide:
 *
 *   E1 check-in: the appointment's check-in or the visit's record,
 *      attested by the node key that signed the push
 *   E2 presence: a payer may demand the CHW's key (not self check-in)
 *   E3 media: both parties' call records saw the call established and
 *      connected for at least the payer's minimum (store-and-forward: the
 *      clinician's signed review is the act)
 *   E4 note signed by the clinician, licensed at consult start or at
 *      signing (both: a clean claim; one only: the claim is held)
 *   E5 coverage: a payer and member id valid on the service date, for a
 *      payer the server is configured for
 *   E6 no claim yet for (consult, payer), nor for the patient and payer
 *      within the payer's frequency window
 *
 * all hold -> a claim (held when an anomaly or a licence change is seen);
 * any fails -> no claim, with the first failing rule's reason.  The one
 * claim per (consult, payer) itself is the store's UNIQUE constraint.
 */
#ifndef SYNC_SERVER_WORK_CLAIMS_H
#define SYNC_SERVER_WORK_CLAIMS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define CLAIM_TEXT_MAX 64
#define CLAIM_PRICES 3 /* video, voice, store-forward */
#define CLAIM_RULE_VERSION 1

/* Why a consult or appointment is not claimed (stored by name). */
enum claim_reason {
	CLAIM_R_NONE = 0,
	CLAIM_R_NOSHOW, /* E1: no check-in evidence */
	CLAIM_R_CANCELLED,
	CLAIM_R_PRESENCE, /* E2: the payer wants the CHW's check-in */
	CLAIM_R_FAILED_CALL, /* E3: a party never connected, or failed */
	CLAIM_R_TOO_SHORT, /* E3: connected less than the payer's minimum */
	CLAIM_R_UNSIGNED, /* E4: no signed note */
	CLAIM_R_LICENCE, /* E4: not licensed at start nor at signing */
	CLAIM_R_COVERAGE, /* E5 */
	CLAIM_R_DUPLICATE, /* E6 */
	CLAIM_R_MAX
};

/* Why a claim is held for review instead of being submitted. */
enum claim_hold {
	CLAIM_H_NONE = 0,
	CLAIM_H_LICENCE_CHANGE, /* licensed at one end of the consult only */
	CLAIM_H_OVERLAP, /* the clinician in two overlapping calls */
	CLAIM_H_CLOCK, /* a node's clock implausible for the evidence */
	CLAIM_H_HASH, /* one change seen with two different bodies */
	CLAIM_H_MAX
};

struct claim_ev {
	int cancelled; /* the consult or its appointment was cancelled */
	int failed; /* the hub marked the consult failed */
	int checkin; /* E1 */
	int checkin_chw; /* the check-in was under the CHW's key */
	int presence_chw; /* E2: the payer wants checkin_chw */
	int store_forward; /* no call: E3 is the signed review */
	int legs; /* parties whose call record saw it established */
	uint64_t connected_ms; /* the shorter party's connected time */
	uint64_t min_ms; /* the payer's minimum */
	int note_signed; /* E4 */
	int lic_start, lic_signed; /* E4 */
	int covered; /* E5 */
	int claimed; /* E6 fails: a claim exists for (consult, payer) */
	int freq_dup; /* E6 fails: the frequency rule */
	int overlap, clock_bad, hash_mismatch; /* anomalies */
};

struct claim_decision {
	int bill; /* 1: a claim */
	enum claim_reason reason; /* bill 0: why not */
	enum claim_hold hold; /* bill 1: CLAIM_H_NONE or why held */
};

void claim_decide(const struct claim_ev *, struct claim_decision *);

/* "noshow", "cancelled", "presence", "failed_call", "too_short",
 * "unsigned", "licence", "coverage", "duplicate"; "" for NONE. */
const char *claim_reason_name(enum claim_reason);
enum claim_reason claim_reason_parse(const char *); /* NONE unknown */
const char *claim_hold_name(enum claim_hold); /* "" for NONE */

/*
 * A payer as configured by `admin payer` (kept in the store's metadata
 * as the text claim_payer_format writes):
 *   "name=NHIF min=300 presence=chw|any freq=1 video=CODE:PRICE
 *    voice=CODE:PRICE store-forward=CODE:PRICE endpoint=URL"
 * MIN in seconds, FREQ in days (at most one claim per patient within
 * it; 0: no rule), PRICE in the currency's minor unit.
 */
struct claim_price {
	char service[CLAIM_TEXT_MAX];
	int64_t price;
};

struct claim_payer {
	char code[CLAIM_TEXT_MAX];
	char name[CLAIM_TEXT_MAX];
	uint64_t min_ms;
	int presence_chw;
	int freq_days;
	struct claim_price prices[CLAIM_PRICES];
	char endpoint[256];
};

/* EINVAL with *CAUSE (static text) on a bad item. */
int claim_payer_parse(const char *code, const char *text, struct claim_payer *,
    const char **cause);
int claim_payer_format(const struct claim_payer *, struct buf *);
/* The price list entry for a consult MODE ("video", "voice",
 * "store-forward"); NULL when the payer lists none. */
const struct claim_price *claim_payer_price(
    const struct claim_payer *, const char *mode);

/* One claim as exported: the neutral claim record. */
struct claim_row {
	uint8_t subject[16]; /* the consult */
	uint8_t patient[16];
	char business_id[CLAIM_TEXT_MAX]; /* stable for the claim's life */
	char payer[CLAIM_TEXT_MAX];
	char member[CLAIM_TEXT_MAX];
	char regno[CLAIM_TEXT_MAX]; /* the rendering clinician */
	char facility[CLAIM_TEXT_MAX];
	char service[CLAIM_TEXT_MAX];
	char mode[16];
	char status[16]; /* ready held submitted accepted rejected queued */
	char hold[24];
	int64_t price;
	uint64_t service_ms, created_ms, updated_ms;
	uint8_t digest[32]; /* SHA-256 over the evidence used */
};

/* The business id of (consult, payer): "OP-" and 24 hex digits of a
 * SHA-256 over both, so a rebuilt claim gets the same one. */
void claim_business_id(
    const uint8_t subject[16], const char *payer, char out[CLAIM_TEXT_MAX]);

/* The frequency rule: is SERVICE_MS within FREQ_DAYS (calendar days in
 * UTC, 0: never) of any of the N earlier service instants PREV? */
int claim_freq_hit(
    const uint64_t *prev, size_t n, uint64_t service_ms, int freq_days);

/* A FHIR R4 Claim resource (JSON object) for R; an openIMIS-style
 * submission body.  ENOMEM/EMSGSIZE from buf. */
int claim_fhir(const struct claim_row *, struct buf *);
/* CSV: the header line, then one line per claim. */
int claim_csv_header(struct buf *);
int claim_csv_row(const struct claim_row *, struct buf *);

#endif
