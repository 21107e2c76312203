/*
 * Claim submission (issue 15; claim_submit.c): every claim "ready",
 * "approved", "queued" or "submitted" sent to its payer's endpoint as an
 * openIMIS-style FHIR R4 Claim (one adapter), a payer's "duplicate"
 * answered by asking its status, never by a second claim.
 */
#ifndef SYNC_SERVER_CLAIM_SUBMIT_H
#define SYNC_SERVER_CLAIM_SUBMIT_H

#include <stddef.h>

#include "sync-server/claim_build.h"

struct claim_submit_stats {
	size_t sent; /* POSTs */
	size_t queried; /* GETs of a claim's status */
	size_t duplicates; /* 409: the payer had it */
	size_t accepted, rejected, queued;
};

/* Submit what is due, each exchange bounded by TIMEOUT_MS.  0, or the
 * store's errno (a payer's failure leaves its claim "queued"). */
int claim_submit(
    const struct claim_ctx *, long timeout_ms, struct claim_submit_stats *);

#endif
