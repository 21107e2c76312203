/*
 * The referral rules both programs share (issue 14): a referral is a FHIR
 * ServiceRequest (a "request" fact, REC_REFERRAL) plus the Task that
 * tracks it, moved by append-only "step" facts (model/record.h).  Pure
 * functions: which states exist, which side of a referral may take which
 * step, and the Task's state folded from its facts.
 *
 *   requested -> received -> accepted | rejected(reason)
 *   accepted -> in-progress -> completed (seen) | failed
 *   requested | received | accepted -> cancelled (the referrer)
 *   after due-by, not seen: the referring CHW's follow-up outcome, a step
 *   "follow-up" with OUTCOME; it ends the Task as failed, or as completed
 *   (self-reported) for "seen-elsewhere".
 */
#ifndef MODEL_REFERRAL_H
#define MODEL_REFERRAL_H

#include <stddef.h>
#include <stdint.h>

enum referral_side {
	REFERRAL_TARGET = 1, /* the target facility's nodes */
	REFERRAL_REFERRER = 2, /* the referring facility's nodes */
};

/* The Task's states, in the order they move. */
enum referral_state {
	REF_REQUESTED = 0,
	REF_RECEIVED,
	REF_ACCEPTED,
	REF_REJECTED,
	REF_IN_PROGRESS,
	REF_COMPLETED,
	REF_FAILED,
	REF_CANCELLED,
	REF_FOLLOW_UP, /* a step only: the CHW's outcome */
	REF_STATES,
};

/* The state's name ("in-progress"...), NULL out of range. */
const char *referral_state_name(int state);
/* The state named NAME, -1 when none. */
int referral_state_from_name(const char *name);
/* Rejected, completed, failed or cancelled. */
int referral_state_terminal(int state);
/* Which side writes a step to STATE (0: none; requested is the request). */
int referral_state_side(int state);
/*
 * May a step move a Task from CUR to NEXT?  The kiosks ask before writing
 * one; the server accepts facts that race (both sides offline) and the
 * fold below decides.
 */
int referral_step_ok(int cur, int next);

int referral_urgency_valid(const char *urgency); /* routine urgent asap stat */
int referral_outcome_valid(const char *outcome);
/* The Task state a follow-up OUTCOME ends in: REF_COMPLETED for
 * "seen-elsewhere", REF_FAILED for the others, -1 when unknown. */
int referral_outcome_state(const char *outcome);
/* The outcomes, NULL-terminated: seen-elsewhere improved refused
 * unreachable died. */
extern const char *const referral_outcomes[];
extern const char *const referral_urgencies[];

/* One step fact, as the fold reads it. */
struct referral_step {
	uint64_t hlc;
	int state; /* enum referral_state (REF_FOLLOW_UP: see outcome) */
	int outcome_state; /* REF_FOLLOW_UP: referral_outcome_state */
	uint64_t at_ms;
};

/* What a referral's steps add up to. */
struct referral_fold {
	int state; /* the Task's state */
	int self_reported; /* completed by the CHW's "seen-elsewhere" */
	uint64_t received_ms, accepted_ms, rejected_ms, seen_ms, ended_ms;
	int followed_up; /* a follow-up outcome was recorded */
};

/*
 * Fold N steps (any order; sorted here by HLC, the array is reordered)
 * into the Task's state: the latest step wins, except that a "completed"
 * from the target facility (seen) stands once written.  Each *_ms is the
 * first step of its kind; 0 when none.
 */
void referral_fold(
    struct referral_step *steps, size_t n, struct referral_fold *out);

/*
 * A follow-up is due: DUE_MS passed at NOW_MS and the referral is not
 * seen, not ended and not yet followed up.
 */
int referral_followup_due(
    const struct referral_fold *f, uint64_t due_ms, uint64_t now_ms);

#endif
