/*
 * Referral accounting and export (issue 14; the region dashboard's
 * numbers, workflows.md §5.3 and criterion 12).  Pure functions over
 * decoded referral facts (model/record.h REC_REFERRAL, model/referral.h):
 * no SQL, no HTTP.  `sync-server admin referrals` feeds them the region's
 * accepted facts.
 */
#ifndef SYNC_SERVER_WORK_REFERRAL_H
#define SYNC_SERVER_WORK_REFERRAL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "model.h"

#define RREF_TEXT_MAX 64

/* One referral fact, as read from its body. */
struct rref_fact {
	int request; /* 1: the request (ServiceRequest); 0: a step */
	char id[UUID_STRLEN + 1]; /* the fact's own id */
	char referral[UUID_STRLEN + 1]; /* the referral it belongs to */
	uint64_t hlc, at_ms;
	int state; /* a step's enum referral_state */
	int outcome_state; /* a follow-up's, referral_outcome_state */
	/* a request's: */
	uint64_t due_ms;
	char patient[UUID_STRLEN + 1];
	char from[RREF_TEXT_MAX], target[RREF_TEXT_MAX];
	char urgency[16], role[16];
	char requester[UUID_STRLEN + 1];
	char reason[256]; /* clipped; FHIR export only */
	char state_reason[128], outcome[32];
};

/*
 * Read a REC_REFERRAL record into F.  EINVAL when it lacks what its kind
 * needs (the server refuses those at push).
 */
int rref_fact_read(const struct model_rec *r, struct rref_fact *f);

/* The numbers of a set of referrals. */
struct rref_stats {
	uint64_t issued; /* requests */
	uint64_t cancelled; /* revoked by the referrer: not counted below */
	uint64_t counted; /* issued - cancelled: the completion rate's base */
	uint64_t completed; /* seen at the target facility */
	uint64_t self_reported; /* "seen elsewhere", the CHW's follow-up */
	uint64_t rejected, failed; /* distinct: declined vs not seen */
	uint64_t open; /* not in a terminal state */
	uint64_t followup_due; /* open, due-by passed, no follow-up yet */
	uint64_t followed_up; /* a follow-up outcome was recorded */
	uint64_t orphan_steps; /* steps whose request is not held */
	double completion_rate; /* completed / counted; 0 when none */
	/* request -> first accept, of those accepted (ms) */
	uint64_t accepted;
	uint64_t accept_median_ms, accept_p90_ms;
	double accept_mean_ms;
	/* request -> seen at the target, of those completed there (ms) */
	uint64_t seen_median_ms, seen_p90_ms;
};

/*
 * The numbers of the N facts (any order; the array is reordered) at
 * NOW_MS.  Percentiles are nearest-rank: the p-th of k sorted values is
 * the ceil(p * k / 100)-th; 0 when there is none.
 */
void rref_stats(
    struct rref_fact *facts, size_t n, uint64_t now_ms, struct rref_stats *out);

/* Nearest-rank percentile P (1..100) of K sorted values. */
uint64_t rref_percentile(const uint64_t *sorted, size_t k, unsigned p);

/*
 * Append to B the FHIR R4 ServiceRequest and Task of each referral among
 * the N facts, as the entries of a Bundle of type "collection" (the whole
 * Bundle is written).  EMSGSIZE when B's maximum is passed.
 */
int rref_fhir_bundle(struct rref_fact *facts, size_t n, struct buf *b);

#endif
