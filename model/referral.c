/*
 * The referral rules of referral.h.
 */
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "referral.h"

static const char *const state_names[REF_STATES] = {
	[REF_REQUESTED] = "requested",
	[REF_RECEIVED] = "received",
	[REF_ACCEPTED] = "accepted",
	[REF_REJECTED] = "rejected",
	[REF_IN_PROGRESS] = "in-progress",
	[REF_COMPLETED] = "completed",
	[REF_FAILED] = "failed",
	[REF_CANCELLED] = "cancelled",
	[REF_FOLLOW_UP] = "follow-up",
};

const char *const referral_outcomes[] = { "seen-elsewhere", "improved",
	"refused", "unreachable", "died", NULL };
const char *const referral_urgencies[] = { "routine", "urgent", "asap", "stat",
	NULL };

const char *
referral_state_name(int state)
{
	return state >= 0 && state < REF_STATES ? state_names[state] : NULL;
}

int
referral_state_from_name(const char *name)
{
	int i;

	if (name == NULL)
		return -1;
	for (i = 0; i < REF_STATES; i++)
		if (strcmp(name, state_names[i]) == 0)
			return i;
	return -1;
}

int
referral_state_terminal(int state)
{
	return state == REF_REJECTED || state == REF_COMPLETED ||
	    state == REF_FAILED || state == REF_CANCELLED;
}

int
referral_state_side(int state)
{
	switch (state) {
	case REF_RECEIVED:
	case REF_ACCEPTED:
	case REF_REJECTED:
	case REF_IN_PROGRESS:
	case REF_COMPLETED:
	case REF_FAILED:
		return REFERRAL_TARGET;
	case REF_CANCELLED:
	case REF_FOLLOW_UP:
		return REFERRAL_REFERRER;
	default:
		return 0;
	}
}

int
referral_step_ok(int cur, int next)
{
	if (referral_state_terminal(cur))
		return 0;
	switch (next) {
	case REF_RECEIVED:
		return cur == REF_REQUESTED;
	case REF_ACCEPTED:
	case REF_REJECTED:
		return cur == REF_REQUESTED || cur == REF_RECEIVED;
	case REF_IN_PROGRESS:
		return cur == REF_ACCEPTED;
	case REF_COMPLETED:
		/* "seen": a patient who walks in is seen whatever the
		 * paperwork said */
		return cur == REF_REQUESTED || cur == REF_RECEIVED ||
		    cur == REF_ACCEPTED || cur == REF_IN_PROGRESS;
	case REF_FAILED:
		return cur == REF_ACCEPTED || cur == REF_IN_PROGRESS;
	case REF_CANCELLED:
		return cur == REF_REQUESTED || cur == REF_RECEIVED ||
		    cur == REF_ACCEPTED;
	case REF_FOLLOW_UP:
		return 1;
	default:
		return 0;
	}
}

static int
in_set(const char *s, const char *const *set)
{
	if (s == NULL)
		return 0;
	for (; *set != NULL; set++)
		if (strcmp(s, *set) == 0)
			return 1;
	return 0;
}

int
referral_urgency_valid(const char *urgency)
{
	return in_set(urgency, referral_urgencies);
}

int
referral_outcome_valid(const char *outcome)
{
	return in_set(outcome, referral_outcomes);
}

int
referral_outcome_state(const char *outcome)
{
	if (!referral_outcome_valid(outcome))
		return -1;
	return strcmp(outcome, "seen-elsewhere") == 0 ? REF_COMPLETED
	                                              : REF_FAILED;
}

static int
step_cmp(const void *a, const void *b)
{
	const struct referral_step *x = a, *y = b;

	return x->hlc < y->hlc ? -1 : x->hlc > y->hlc;
}

static void
first(uint64_t *slot, uint64_t at)
{
	if (*slot == 0)
		*slot = at;
}

void
referral_fold(struct referral_step *steps, size_t n, struct referral_fold *out)
{
	size_t i;
	int st, seen = 0;

	memset(out, 0, sizeof(*out));
	out->state = REF_REQUESTED;
	if (n > 1)
		qsort(steps, n, sizeof(*steps), step_cmp);
	for (i = 0; i < n; i++) {
		st = steps[i].state;
		switch (st) {
		case REF_RECEIVED:
			first(&out->received_ms, steps[i].at_ms);
			break;
		case REF_ACCEPTED:
			first(&out->accepted_ms, steps[i].at_ms);
			break;
		case REF_REJECTED:
			first(&out->rejected_ms, steps[i].at_ms);
			break;
		case REF_COMPLETED:
			first(&out->seen_ms, steps[i].at_ms);
			seen = 1;
			break;
		case REF_FOLLOW_UP:
			out->followed_up = 1;
			st = steps[i].outcome_state;
			break;
		default:
			break;
		}
		if (st < 0 || st >= REF_STATES || seen)
			continue;
		out->state = st;
		out->self_reported =
		    steps[i].state == REF_FOLLOW_UP && st == REF_COMPLETED;
		if (referral_state_terminal(st))
			first(&out->ended_ms, steps[i].at_ms);
		else
			out->ended_ms = 0;
	}
	if (seen) {
		out->state = REF_COMPLETED;
		out->self_reported = 0;
		out->ended_ms = out->seen_ms;
	}
}

int
referral_followup_due(
    const struct referral_fold *f, uint64_t due_ms, uint64_t now_ms)
{
	return due_ms != 0 && now_ms > due_ms && !f->followed_up &&
	    f->state != REF_COMPLETED && !referral_state_terminal(f->state);
}
