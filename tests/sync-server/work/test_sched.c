/*
 * The booking workflow's pure functions (sync-server/work/sched.c):
 * slot generation across DST changes (America/New_York, Europe/London)
 * and in zones without DST (Africa/Nairobi, Asia/Kolkata), reminders at
 * the intended local time, the waitlist order against a reference written
 * here independently (selection of the minimum, 32-bit limb products),
 * and the no-show rule for a kiosk offline for 48 hours.
 *
 * OUTPOST_SCHED_WAITLISTS sets how many random waitlists (default 10000).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync-server/work/sched.h"
#include "test.h"
#include "tzif.h"

static int64_t
civil_ms(int y, unsigned m, unsigned d, int h, int mi)
{
	return (tzif_days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60) *
	    1000;
}

/*
 * Every half hour of every day of 2026 in ZONE: each local day has each
 * of its existing half-hour readings exactly once; GAP_DAY (0: none)
 * lacks the two readings from GAP_MIN, and no reading is doubled on the
 * fold day.
 */
static int
zone_year(const char *zone, int64_t gap_day, int gap_min)
{
	struct sched_hours h[7];
	struct sched_slot *s = NULL;
	struct tzif *z = NULL;
	int64_t first = tzif_days_from_civil(2026, 1, 1), day, local;
	size_t n = 0, i, k;
	int seen[48], d, err = 0, m;

	TEST_ERR(tzif_load(zone, &z));
	for (d = 0; d < 7; d++)
		h[d] = (struct sched_hours){ d, 0, 1440, 30 };
	TEST_ERR(sched_slots(z, h, 7, first, 365, &s, &n));
	for (i = 1; i < n; i++)
		TEST_TRUE(s[i].start_ms > s[i - 1].start_ms);
	k = 0;
	for (day = first; day < first + 365; day++) {
		memset(seen, 0, sizeof(seen));
		while (k < n) {
			local = tzif_to_local(z, s[k].start_ms / 1000);
			if (local / 86400 != day)
				break;
			TEST_EQ(s[k].end_ms - s[k].start_ms, 30 * 60 * 1000);
			TEST_EQ(local % 1800, 0);
			seen[(local % 86400) / 1800]++;
			k++;
		}
		for (m = 0; m < 48; m++) {
			int want = !(day == gap_day &&
			    (m * 30 == gap_min || m * 30 == gap_min + 30));

			if (seen[m] != want)
				TEST_FAILED("%s day %lld %02d:%02d: %d slots,"
				            " want %d",
				    zone, (long long)day, m / 2, m % 2 * 30,
				    seen[m], want);
		}
	}
	TEST_EQ(k, n);
	TEST_EQ(n, 365 * 48 - (gap_day ? 2 : 0));
out:
	free(s);
	tzif_free(z);
	return err;
}

static int
test_dst_slots(void)
{
	int err = 0;

	/* New York springs forward at 02:00 on 8 March, London at 01:00
	 * on 29 March (2026 rules); the autumn folds must not double. */
	TEST_ERR(zone_year(
	    "America/New_York", tzif_days_from_civil(2026, 3, 8), 120));
	TEST_ERR(
	    zone_year("Europe/London", tzif_days_from_civil(2026, 3, 29), 60));
	TEST_ERR(zone_year("Africa/Nairobi", 0, 0));
	TEST_ERR(zone_year("Asia/Kolkata", 0, 0));
out:
	return err;
}

/* Clinic hours: Monday 09:00 local is 14:00 UTC in New York's winter and
 * 13:00 in its summer; Kolkata's is 03:30 UTC all year. */
static int
test_clinic_hours(void)
{
	struct sched_hours h;
	struct sched_slot *s = NULL;
	struct tzif *ny = NULL, *in = NULL;
	const char *cause;
	size_t n;
	int err = 0;

	TEST_ERR(tzif_load("America/New_York", &ny));
	TEST_ERR(tzif_load("Asia/Kolkata", &in));
	TEST_ERR(sched_hours_parse("mon 09:00-12:00/20", &h, &cause));
	TEST_EQ(h.wday, 1);
	TEST_EQ(h.slot_min, 20);
	TEST_EQ(sched_hours_parse("mon 09:00-08:00/20", &h, &cause), EINVAL);
	TEST_TRUE(cause != NULL);
	TEST_EQ(sched_hours_parse("xyz 09:00-12:00/20", &h, &cause), EINVAL);
	TEST_EQ(sched_hours_parse("mon 09:00-12:00/2", &h, &cause), EINVAL);
	TEST_EQ(sched_hours_parse("mon 09:00-25:00/20", &h, &cause), EINVAL);
	TEST_ERR(sched_hours_parse("mon 09:00-12:00/20", &h, &cause));
	/* the week of 2 March and the week of 9 March 2026 */
	TEST_ERR(sched_slots(
	    ny, &h, 1, tzif_days_from_civil(2026, 3, 1), 14, &s, &n));
	TEST_EQ(n, 18);
	TEST_EQ(s[0].start_ms, civil_ms(2026, 3, 2, 14, 0));
	TEST_EQ(s[8].start_ms, civil_ms(2026, 3, 2, 16, 40));
	TEST_EQ(s[9].start_ms, civil_ms(2026, 3, 9, 13, 0));
	free(s);
	s = NULL;
	TEST_ERR(sched_slots(
	    in, &h, 1, tzif_days_from_civil(2026, 3, 1), 14, &s, &n));
	TEST_EQ(n, 18);
	TEST_EQ(s[0].start_ms, civil_ms(2026, 3, 2, 3, 30));
	TEST_EQ(s[9].start_ms, civil_ms(2026, 3, 9, 3, 30));
out:
	free(s);
	tzif_free(ny);
	tzif_free(in);
	return err;
}

/* Reminders at the intended local time (within 60 s), the day after a
 * change and over a week of slots in each zone. */
static int
test_reminders(void)
{
	static const char *zones[] = { "America/New_York", "Europe/London",
		"Africa/Nairobi", "Asia/Kolkata" };
	struct sched_hours h[7];
	struct sched_slot *s = NULL;
	struct tzif *z = NULL;
	int64_t r[2], local, d;
	size_t zi, i, n;
	int err = 0;

	TEST_ERR(tzif_load("America/New_York", &z));
	/* Monday 9 March 09:00 EDT: Sunday 09:00 EDT, 23 real hours before */
	sched_reminders(z, civil_ms(2026, 3, 9, 13, 0), r);
	TEST_EQ(r[0], civil_ms(2026, 3, 8, 13, 0));
	TEST_EQ(r[1], civil_ms(2026, 3, 9, 11, 0));
	/* Monday 2 November 09:00 EST: Sunday 09:00 EST, 25 hours before */
	sched_reminders(z, civil_ms(2026, 11, 2, 14, 0), r);
	TEST_EQ(r[0], civil_ms(2026, 11, 1, 14, 0));
	/* Sunday 8 March 04:00 EDT: T-2 h is 02:00, which does not exist:
	 * the reminder goes at 03:00 EDT, when the gap ends */
	sched_reminders(z, civil_ms(2026, 3, 8, 8, 0), r);
	TEST_EQ(r[1], civil_ms(2026, 3, 8, 7, 0));
	tzif_free(z);
	z = NULL;
	for (d = 0; d < 7; d++)
		h[d] = (struct sched_hours){ (int)d, 7 * 60, 19 * 60, 60 };
	for (zi = 0; zi < sizeof(zones) / sizeof(zones[0]); zi++) {
		TEST_ERR(tzif_load(zones[zi], &z));
		TEST_ERR(sched_slots(
		    z, h, 7, tzif_days_from_civil(2026, 1, 1), 365, &s, &n));
		for (i = 0; i < n; i++) {
			local = tzif_to_local(z, s[i].start_ms / 1000);
			sched_reminders(z, s[i].start_ms, r);
			d = tzif_to_local(z, r[0] / 1000) - (local - 86400);
			TEST_TRUE(d >= -60 && d <= 60);
			d = tzif_to_local(z, r[1] / 1000) - (local - 7200);
			TEST_TRUE(d >= -60 && d <= 60);
		}
		free(s);
		s = NULL;
		tzif_free(z);
		z = NULL;
	}
out:
	free(s);
	tzif_free(z);
	return err;
}

/* --- the waitlist reference --------------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* x * y as four 32-bit limbs, most significant first. */
static void
ref_mul(uint64_t x, uint64_t y, uint32_t out[4])
{
	uint64_t xl = x & 0xffffffff, xh = x >> 32, yl = y & 0xffffffff,
	         yh = y >> 32, ll = xl * yl, lh = xl * yh, hl = xh * yl,
	         hh = xh * yh, mid;

	mid = (ll >> 32) + (lh & 0xffffffff) + (hl & 0xffffffff);
	out[3] = (uint32_t)ll;
	out[2] = (uint32_t)mid;
	mid = (mid >> 32) + (lh >> 32) + (hl >> 32) + (hh & 0xffffffff);
	out[1] = (uint32_t)mid;
	out[0] = (uint32_t)((mid >> 32) + (hh >> 32));
}

/* Does the comma list LIST contain WORD?  (Split by hand.) */
static int
ref_in(const char *list, const char *word)
{
	char tok[SCHED_TEXT_MAX];
	size_t i = 0;

	for (;; list++) {
		if (*list == ',' || *list == '\0') {
			tok[i] = '\0';
			if (strcmp(tok, word) == 0)
				return 1;
			i = 0;
			if (*list == '\0')
				return 0;
		} else if (i + 1 < sizeof(tok))
			tok[i++] = *list;
	}
}

static int
ref_ok(const struct sched_wl *e, const struct sched_wl_slot *s)
{
	return e->recommended_ms > 0 && !strcmp(e->service, s->service) &&
	    (!e->clinician[0] || !strcmp(e->clinician, s->clinician)) &&
	    (!e->lang[0] || ref_in(s->langs, e->lang)) &&
	    (!e->modality[0] || ref_in(s->modalities, e->modality));
}

/* Is A strictly better than B? */
static int
ref_better(const struct sched_wl *a, const struct sched_wl *b, int64_t now)
{
	uint32_t x[4], y[4];
	uint64_t wa, wb;
	int i;

	if (a->urgency != b->urgency)
		return a->urgency < b->urgency;
	wa = a->listed_ms < now ? (uint64_t)(now - a->listed_ms) : 0;
	wb = b->listed_ms < now ? (uint64_t)(now - b->listed_ms) : 0;
	ref_mul(wa, (uint64_t)b->recommended_ms, x);
	ref_mul(wb, (uint64_t)a->recommended_ms, y);
	for (i = 0; i < 4; i++)
		if (x[i] != y[i])
			return x[i] > y[i];
	if (a->listed_ms != b->listed_ms)
		return a->listed_ms < b->listed_ms;
	for (i = 0; i < 16; i++)
		if (a->id[i] != b->id[i])
			return a->id[i] < b->id[i];
	return 0;
}

static void
pick(char *out, const char *const *from, size_t n)
{
	snprintf(out, SCHED_TEXT_MAX, "%s", from[rnd() % n]);
}

static int
test_waitlist(void)
{
	static const char *langs[] = { "", "en", "sw", "hi", "fr" };
	static const char *mods[] = { "", "video", "audio", "in_person" };
	static const char *clins[] = { "", "c1", "c2", "c3" };
	static const char *svcs[] = { "gp", "gp", "anc" };
	static const int64_t rec[] = { 30 * 86400000LL, 90 * 86400000LL,
		365 * 86400000LL };
	const char *env = getenv("OUTPOST_SCHED_WAITLISTS");
	struct sched_wl e[64];
	struct sched_wl_slot s;
	size_t order[64], ref[64], n, k, nref, i, j, best, rounds, r;
	int used[64], err = 0;
	int64_t now = civil_ms(2026, 12, 2, 9, 0);
	uint64_t nonempty = 0;

	rounds = env != NULL ? strtoul(env, NULL, 10) : 10000;
	for (r = 0; r < rounds; r++) {
		n = rnd() % 65;
		memset(&s, 0, sizeof(s));
		pick(s.clinician, clins + 1, 3);
		pick(s.service, svcs, 3);
		snprintf(s.langs, sizeof(s.langs), "%s",
		    rnd() % 2 ? "en,sw" : "hi,en,fr");
		snprintf(s.modalities, sizeof(s.modalities), "%s",
		    rnd() % 2 ? "video,audio" : "in_person");
		for (i = 0; i < n; i++) {
			memset(&e[i], 0, sizeof(e[i]));
			for (j = 0; j < 16; j++) /* few ids: ties reach them */
				e[i].id[j] = j < 15 ? 0 : (uint8_t)(rnd() % 7);
			e[i].id[0] = (uint8_t)i;
			e[i].urgency = 1 + (int)(rnd() % 3);
			e[i].recommended_ms = rnd() % 50 == 0
			    ? 0
			    : rec[rnd() % 3] / (rnd() % 2 ? 1 : 3);
			/* listed on few distinct instants, some in the
			 * future, so every tie-break is exercised */
			e[i].listed_ms = now -
			    (int64_t)(rnd() % 40) * 3 * 86400000LL +
			    (rnd() % 10 == 0 ? 86400000LL : 0);
			pick(e[i].lang, langs, 5);
			pick(e[i].modality, mods, 4);
			pick(e[i].clinician, clins, 4);
			pick(e[i].service, svcs, 3);
		}
		k = sched_wl_rank(e, n, &s, now, order);
		memset(used, 0, sizeof(used));
		for (nref = 0;; nref++) {
			best = n;
			for (i = 0; i < n; i++)
				if (!used[i] && ref_ok(&e[i], &s) &&
				    (best == n ||
				        ref_better(&e[i], &e[best], now)))
					best = i;
			if (best == n)
				break;
			used[best] = 1;
			ref[nref] = best;
		}
		if (k != nref)
			TEST_FAILED("waitlist %zu: %zu eligible, reference %zu",
			    r, k, nref);
		for (i = 0; i < k; i++)
			if (order[i] != ref[i])
				TEST_FAILED("waitlist %zu: place %zu is %zu,"
				            " reference %zu",
				    r, i, order[i], ref[i]);
		nonempty += k > 1;
	}
	/* the generator must produce real rankings, not empty lists */
	TEST_TRUE(rounds == 0 || nonempty > rounds / 4);
	printf("# %zu random waitlists ranked as the reference\n", rounds);
	/* an offer is held 4 h at most, half the time to the slot */
	TEST_EQ(sched_offer_hold_ms(now + 86400000LL, now), 4 * 3600000LL);
	TEST_EQ(sched_offer_hold_ms(now + 3600000LL, now), 1800000LL);
	TEST_EQ(sched_offer_hold_ms(now, now), 60000);
out:
	return err;
}

/*
 * A kiosk offline for 48 hours: 40 appointments, 30 checked in on the
 * kiosk (evidence held in its outbox), 10 absent.  Evaluated every 10
 * minutes of the 48 hours, nothing is a final no-show; once the kiosk
 * syncs (evidence arrives, its outbox acknowledged), the 30 are attended
 * and the 10 final no-shows: 0 misclassified.
 */
static int
test_offline_48h(void)
{
	int64_t t0 = civil_ms(2026, 12, 1, 6, 0), end[40], now, synced;
	int came[40], arrived[40], i, err = 0, noshow = 0, attended = 0;

	for (i = 0; i < 40; i++) {
		end[i] = t0 + (int64_t)(i + 1) * 3600000LL;
		came[i] = i % 4 != 0;
		arrived[i] = 0; /* no evidence at the server yet */
	}
	for (now = t0; now < t0 + 48 * 3600000LL; now += 600000)
		for (i = 0; i < 40; i++)
			TEST_TRUE(sched_attendance(arrived[i], end[i], now,
			              t0 - 1000) != SCHED_NOSHOW);
	/* the sync: evidence arrives and the push proves the window */
	synced = t0 + 48 * 3600000LL;
	for (i = 0; i < 40; i++)
		arrived[i] = came[i];
	for (i = 0; i < 40; i++) {
		enum sched_attendance a =
		    sched_attendance(arrived[i], end[i], synced, synced);

		TEST_EQ(a, came[i] ? SCHED_ATTENDED : SCHED_NOSHOW);
		noshow += a == SCHED_NOSHOW;
		attended += a == SCHED_ATTENDED;
	}
	TEST_EQ(noshow, 10);
	TEST_EQ(attended, 30);
	/* before the grace ends nothing is decided */
	TEST_EQ(
	    sched_attendance(0, end[0], end[0] + 1, synced), SCHED_UPCOMING);
out:
	return err;
}

TEST_MAIN({ "dst_slots", test_dst_slots },
    { "clinic_hours", test_clinic_hours }, { "reminders", test_reminders },
    { "waitlist", test_waitlist }, { "offline_48h", test_offline_48h })
