/*
 * A synthetic region for the dashboard (issue 17, Dashboard, item 4):
 * kiosks enrolled in the store, and their visits with vital signs (from
 * devices and typed), red flags and their acknowledgements, consults,
 * referrals and appointments, pushed through the store backend as the
 * kiosks would push them (model/ bodies, one batch per 4096 changes per
 * node, more than a kiosk may send in one push), so any backend can be
 * filled.  `sync-server admin synth` and
 * tests/sync-server/report/test_figures.c use it.
 *
 * It also returns what it decided, as plain facts (struct synth_truth):
 * a test computes its reference figures from those with its own loops,
 * never from the store.  Everything is synthetic; no real patient.
 */
#ifndef SYNC_SERVER_REPORT_SYNTH_H
#define SYNC_SERVER_REPORT_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "sync-server/store/backend.h"

struct synth_opts {
	const char *region;
	unsigned facilities; /* clinic facilities "<region>-f<i>" */
	unsigned kiosks; /* clinic kiosks, spread over the facilities */
	unsigned hubs; /* hub kiosks (facility "<region>-hub") */
	uint64_t visits;
	uint64_t seed;
	uint64_t now_ms; /* the region's "now": nothing is later */
};

struct synth_kiosk {
	uint64_t node;
	char facility[SSTORE_TEXT_MAX];
	int hub;
	uint64_t last_push_ms; /* 0: never pushed */
	uint64_t pending; /* outbox end reported beyond what it pushed */
};

struct synth_visit {
	uint32_t kiosk;
	uint64_t started_ms;
	uint8_t obs_device, obs_typed;
};

struct synth_alert {
	uint32_t kiosk;
	uint64_t raised_ms, acked_ms; /* acked 0: never acknowledged */
};

enum synth_consult_end {
	SYNTH_C_OPEN, /* requested, or accepted and not done */
	SYNTH_C_DONE, /* signed, or closed */
	SYNTH_C_FAILED,
	SYNTH_C_CANCELLED,
};

struct synth_consult {
	uint32_t kiosk;
	int end; /* enum synth_consult_end */
	uint64_t requested_ms, accepted_ms; /* accepted 0: never */
};

enum synth_ref_end {
	SYNTH_R_OPEN,
	SYNTH_R_COMPLETED,
	SYNTH_R_REJECTED,
	SYNTH_R_FAILED,
	SYNTH_R_CANCELLED,
};

struct synth_referral {
	uint32_t kiosk, target; /* the referring and the target kiosk */
	int end; /* enum synth_ref_end */
	uint64_t at_ms, accepted_ms, seen_ms; /* 0: no such step */
};

struct synth_appt {
	uint32_t kiosk;
	int status; /* 0 booked, 1 checked-in, 2 cancelled */
	uint64_t end_ms;
};

struct synth_truth {
	struct synth_kiosk *kiosks;
	size_t nkiosks;
	struct synth_visit *visits;
	size_t nvisits;
	struct synth_alert *alerts;
	size_t nalerts;
	struct synth_consult *consults;
	size_t nconsults;
	struct synth_referral *referrals;
	size_t nreferrals;
	struct synth_appt *appts;
	size_t nappts;
	uint64_t changes; /* pushed */
};

/*
 * Enrol the kiosks of O in S and push their records; *T (the caller's,
 * free with synth_truth_clear) says what was made.  EINVAL for options
 * out of range; the backend's errno values.
 */
int synth_region(const struct store_backend *be, struct sstore *s,
    const struct synth_opts *o, struct synth_truth *t);
void synth_truth_clear(struct synth_truth *);

#endif
