/*
 * Booking workflow (issue 15), pure functions: no SQL, no HTTP, no clock.
 *
 * - Slots: a clinician's weekly hours at a facility, read in the
 *   facility's IANA zone (common/tzif.h), become slots stored in UTC.
 * - Reminders: T-24 h and T-2 h on the facility's wall clock.
 * - Waitlist: which entries may take a freed slot (hard preferences) and
 *   in which order (urgency category, then the fraction of the
 *   recommended wait already used, then time listed, then entry id).
 * - No-show: an appointment without check-in evidence is a provisional
 *   no-show until its kiosk's sync proves the slot window complete.
 *
 * All instants are milliseconds since the Unix epoch (UTC).
 */
#ifndef SYNC_SERVER_WORK_SCHED_H
#define SYNC_SERVER_WORK_SCHED_H

#include <stddef.h>
#include <stdint.h>

#include "tzif.h"

#define SCHED_TEXT_MAX 64
#define SCHED_MIN_SLOT 5 /* minutes */

/* One weekly window: WDAY 0 = Sunday, minutes after local midnight. */
struct sched_hours {
	int wday;
	int start_min, end_min; /* end exclusive, > start, <= 1440 */
	int slot_min; /* slot length, SCHED_MIN_SLOT..end-start */
};

struct sched_slot {
	int64_t start_ms, end_ms; /* UTC */
};

/*
 * Parse "mon 08:00-12:00/30" (day, local window, slot minutes; days by
 * three-letter English name).  EINVAL with *CAUSE set (static text).
 */
int sched_hours_parse(
    const char *spec, struct sched_hours *, const char **cause);

/*
 * The slots of the local civil days FIRST_DAY .. FIRST_DAY + NDAYS - 1
 * (day numbers, tzif_days_from_civil) under HOURS in zone Z, in start
 * order, *OUT the caller's.  A local start that does not exist (the
 * spring-forward gap) has no slot; one that happens twice (the autumn
 * fold) has one, at its first occurrence.  A slot lasts SLOT_MIN real
 * minutes.  Overlapping windows give each start once.
 */
int sched_slots(const struct tzif *z, const struct sched_hours *hours,
    size_t nhours, int64_t first_day, int ndays, struct sched_slot **out,
    size_t *n);

/*
 * The reminder instants of a slot starting at START_MS in zone Z: OUT[0]
 * the same wall-clock time the day before (T-24 h local), OUT[1] two
 * wall-clock hours before (T-2 h local).  A reminder whose wall time
 * falls in a gap is moved to the instant the gap ends; in a fold, its
 * first occurrence.
 */
void sched_reminders(const struct tzif *z, int64_t start_ms, int64_t out[2]);

/* --- waitlist ---------------------------------------------------------- */

struct sched_wl {
	uint8_t id[16];
	int urgency; /* category: 1 most urgent */
	int64_t listed_ms;
	int64_t recommended_ms; /* the category's recommended wait, > 0 */
	/* Hard preferences: empty means any. */
	char lang[SCHED_TEXT_MAX];
	char modality[SCHED_TEXT_MAX];
	char clinician[SCHED_TEXT_MAX];
	char service[SCHED_TEXT_MAX]; /* must equal the slot's */
};

struct sched_wl_slot {
	char clinician[SCHED_TEXT_MAX];
	char service[SCHED_TEXT_MAX];
	char modalities
	    [SCHED_TEXT_MAX]; /* comma-separated, e.g. "video,audio" */
	char langs[SCHED_TEXT_MAX]; /* comma-separated, the clinician's */
	int64_t start_ms;
};

/* Whether entry E may be offered slot S (hard preferences, service). */
int sched_wl_eligible(const struct sched_wl *e, const struct sched_wl_slot *s);
/* <0: A ranks before B at NOW_MS; a total order (ids differ). */
int sched_wl_cmp(
    const struct sched_wl *a, const struct sched_wl *b, int64_t now_ms);
/*
 * The eligible entries of E[0..N) for S, best first, as indexes into
 * ORDER (room for N); returns how many.
 */
size_t sched_wl_rank(const struct sched_wl *e, size_t n,
    const struct sched_wl_slot *s, int64_t now_ms, size_t *order);
/* How long an offer for a slot starting at START_MS is held, made at
 * NOW_MS: min(4 h, half the time to the start), at least 1 minute. */
int64_t sched_offer_hold_ms(int64_t start_ms, int64_t now_ms);

/* The recommended wait of urgency category URGENCY (the Australian
 * elective categories, workflows §2.3): 1 within 30 days, 2 within 90,
 * 3 within 365; 0 for any other category. */
int64_t sched_wl_recommended_ms(int urgency);

/* --- no-show ----------------------------------------------------------- */

enum sched_attendance {
	SCHED_UPCOMING, /* the slot and its grace have not ended */
	SCHED_ATTENDED, /* check-in evidence exists */
	SCHED_NOSHOW_PROVISIONAL, /* no evidence yet; the kiosk may hold it */
	SCHED_NOSHOW, /* no evidence, and the kiosk's sync proves none */
};

#define SCHED_GRACE_MS (30 * 60 * 1000LL)

/*
 * What an appointment is at NOW_MS.  COMPLETE_MS: the server time of the
 * owning node's last push that acknowledged its whole outbox (every
 * change made on the kiosk before that push has arrived), 0 if none.
 */
enum sched_attendance sched_attendance(
    int has_checkin, int64_t slot_end_ms, int64_t now_ms, int64_t complete_ms);

#endif
