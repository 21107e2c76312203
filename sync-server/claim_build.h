/*
 * The claim builder (issue 15): the only writer of claims.  It keeps, as
 * claim evidence in the store, what nodes pushed about consults, their
 * calls, appointments and visits (and the coverage `admin coverage`
 * records), then decides each consult and appointment it touched with
 * work/claims.h's claim_decide: a claim (one per consult and payer, by
 * the store's UNIQUE constraint) or a no-bill reason.
 *
 * Every step is idempotent: evidence by (subject, record, hlc), claims by
 * (consult, payer), no-bill rows by subject.  It runs after each push,
 * new or replayed, so a server killed between the push's commit and the
 * builder finishes the work when the node sends the unanswered batch
 * again; `admin claims --build` decides everything with evidence again.
 */
#ifndef SYNC_SERVER_CLAIM_BUILD_H
#define SYNC_SERVER_CLAIM_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "sync-server/store/backend.h"
#include "sync-server/work/claims.h"

struct claim_ctx {
	const struct store_backend *be;
	struct sstore *st;
	uint64_t now_ms;
};

/*
 * Keep the evidence among the N CHANGES PUSHER pushed (REFUSED[i] set:
 * the store refused change i, it is no evidence) and decide what they
 * speak for.  0, or the store's errno of the first failure (the builder
 * stops there, as a killed server would).
 */
int claim_pushed(const struct claim_ctx *, const struct snode *pusher,
    const struct schange *changes, size_t n, const int *refused);

/* Decide consult ID (an appointment: claim_decide_appt) from its
 * evidence now.  0 when there is nothing to decide yet. */
int claim_decide_consult(const struct claim_ctx *, const uint8_t id[16]);
int claim_decide_appt(const struct claim_ctx *, const uint8_t id[16]);

/* Decide every consult and appointment with evidence; *N how many. */
int claim_build_all(const struct claim_ctx *, size_t *n);

/* Record coverage of PATIENT by PAYER with MEMBER from FROM_MS to TO_MS
 * (0: open) as evidence, and decide the patient's consults again. */
int claim_coverage_add(const struct claim_ctx *, const uint8_t patient[16],
    const char *payer, const char *member, uint64_t from_ms, uint64_t to_ms);

/* The payer CODE as configured (ENOENT: none). */
int claim_payer_get(
    const struct claim_ctx *, const char *code, struct claim_payer *);
int claim_payer_put(const struct claim_ctx *, const struct claim_payer *);

void claim_row_from(const struct sclaim *, struct claim_row *);

/* `sync-server admin claims|payer|coverage ...` (claim_admin.c): 0, 1
 * (failed, said why), 2 (usage). */
int admin_claims(
    const struct store_backend *, struct sstore *, int argc, char **argv);
int admin_payer(
    const struct store_backend *, struct sstore *, int argc, char **argv);
int admin_coverage(
    const struct store_backend *, struct sstore *, int argc, char **argv);

#endif
