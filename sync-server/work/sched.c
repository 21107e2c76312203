/*
 * Booking workflow, pure functions (see sched.h).  Time zone conversion
 * is common/tzif.c's, with no global state, so the server's threads may
 * call these at once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync-server/work/sched.h"
#include "xmalloc.h"

static const char *const sched_days[] = { "sun", "mon", "tue", "wed", "thu",
	"fri", "sat" };

/* "hh:mm" at P into minutes; the end after it, or NULL. */
static const char *
sched_hhmm(const char *p, int *min)
{
	int h, m;

	if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9' ||
	    p[2] != ':' || p[3] < '0' || p[3] > '9' || p[4] < '0' || p[4] > '9')
		return NULL;
	h = (p[0] - '0') * 10 + (p[1] - '0');
	m = (p[3] - '0') * 10 + (p[4] - '0');
	if (h > 24 || m > 59 || (h == 24 && m != 0))
		return NULL;
	*min = h * 60 + m;
	return p + 5;
}

int
sched_hours_parse(const char *spec, struct sched_hours *h, const char **cause)
{
	const char *p = spec;
	char *e;
	long len;
	int i;

	*cause = "expected a day, a local window and a slot length,"
	         " like \"mon 08:00-12:00/30\"";
	for (i = 0; i < 7; i++)
		if (strncmp(p, sched_days[i], 3) == 0 && p[3] == ' ')
			break;
	if (i == 7)
		return EINVAL;
	h->wday = i;
	p += 4;
	if ((p = sched_hhmm(p, &h->start_min)) == NULL || *p++ != '-' ||
	    (p = sched_hhmm(p, &h->end_min)) == NULL || *p++ != '/')
		return EINVAL;
	if (*p < '0' || *p > '9')
		return EINVAL;
	len = strtol(p, &e, 10);
	if (*e != '\0')
		return EINVAL;
	if (h->end_min <= h->start_min) {
		*cause = "the window must end after it starts, on the same day";
		return EINVAL;
	}
	if (len < SCHED_MIN_SLOT || len > h->end_min - h->start_min) {
		*cause = "the slot length must be at least 5 minutes and fit"
		         " in the window";
		return EINVAL;
	}
	h->slot_min = (int)len;
	*cause = NULL;
	return 0;
}

static int
sched_slot_cmp(const void *a, const void *b)
{
	const struct sched_slot *x = a, *y = b;

	return x->start_ms < y->start_ms ? -1 : x->start_ms > y->start_ms;
}

int
sched_slots(const struct tzif *z, const struct sched_hours *hours,
    size_t nhours, int64_t first_day, int ndays, struct sched_slot **out,
    size_t *n)
{
	struct sched_slot *v = NULL;
	size_t nv = 0, cap = 0, i, j;
	int64_t day, local, u[2];
	int m;

	*out = NULL;
	*n = 0;
	if (ndays < 0 || ndays > 3660)
		return EINVAL;
	for (i = 0; i < nhours; i++)
		if (hours[i].wday < 0 || hours[i].wday > 6 ||
		    hours[i].start_min < 0 ||
		    hours[i].end_min <= hours[i].start_min ||
		    hours[i].end_min > 1440 ||
		    hours[i].slot_min < SCHED_MIN_SLOT)
			return EINVAL;
	for (day = first_day; day < first_day + ndays; day++) {
		for (i = 0; i < nhours; i++) {
			const struct sched_hours *h = &hours[i];

			if (h->wday != tzif_weekday(day))
				continue;
			for (m = h->start_min; m + h->slot_min <= h->end_min;
			     m += h->slot_min) {
				local = day * 86400 + (int64_t)m * 60;
				if (tzif_to_utc(z, local, u) == 0)
					continue; /* the gap: no such time */
				if (nv == cap) {
					cap = cap ? cap * 2 : 64;
					v = xreallocarray(v, cap, sizeof(*v));
				}
				v[nv].start_ms = u[0] * 1000;
				v[nv].end_ms =
				    (u[0] + (int64_t)h->slot_min * 60) * 1000;
				nv++;
			}
		}
	}
	if (nv > 1) {
		qsort(v, nv, sizeof(*v), sched_slot_cmp);
		for (i = 1, j = 0; i < nv; i++) /* overlapping windows */
			if (v[i].start_ms != v[j].start_ms)
				v[++j] = v[i];
		nv = j + 1;
	}
	*out = v;
	*n = nv;
	return 0;
}

/* The first instant at or after the wall reading LOCAL in zone Z. */
static int64_t
sched_wall_to_utc(const struct tzif *z, int64_t local)
{
	int64_t u[2];
	int32_t before;

	if (tzif_to_utc(z, local, u) > 0)
		return u[0];
	/* A gap: the instant the clocks jumped, read with the offset in
	 * force before it. */
	before = tzif_offset(z, local - 86400);
	u[0] = local - before;
	while (tzif_offset(z, u[0]) == before)
		u[0]++;
	return u[0];
}

void
sched_reminders(const struct tzif *z, int64_t start_ms, int64_t out[2])
{
	int64_t start = start_ms / 1000, local = tzif_to_local(z, start);

	out[0] = sched_wall_to_utc(z, local - 86400) * 1000 + start_ms % 1000;
	out[1] = sched_wall_to_utc(z, local - 7200) * 1000 + start_ms % 1000;
}

/* Whether the comma-separated LIST holds WORD. */
static int
sched_list_has(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p = list;

	while (*p != '\0') {
		if (strncmp(p, word, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return 1;
		if ((p = strchr(p, ',')) == NULL)
			break;
		p++;
	}
	return 0;
}

int
sched_wl_eligible(const struct sched_wl *e, const struct sched_wl_slot *s)
{
	if (strcmp(e->service, s->service) != 0)
		return 0;
	if (e->clinician[0] != '\0' && strcmp(e->clinician, s->clinician) != 0)
		return 0;
	if (e->lang[0] != '\0' && !sched_list_has(s->langs, e->lang))
		return 0;
	if (e->modality[0] != '\0' &&
	    !sched_list_has(s->modalities, e->modality))
		return 0;
	return 1;
}

/* a * b as a 128-bit number (both >= 0). */
static void
sched_mul(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
	unsigned __int128 p = (unsigned __int128)a * b;

	*hi = (uint64_t)(p >> 64);
	*lo = (uint64_t)p;
}

int
sched_wl_cmp(const struct sched_wl *a, const struct sched_wl *b, int64_t now_ms)
{
	uint64_t wa, wb, ah, al, bh, bl;

	if (a->urgency != b->urgency)
		return a->urgency < b->urgency ? -1 : 1;
	/* More of the recommended wait used ranks first: wa/ra > wb/rb,
	 * compared exactly as wa*rb > wb*ra. */
	wa = now_ms > a->listed_ms ? (uint64_t)(now_ms - a->listed_ms) : 0;
	wb = now_ms > b->listed_ms ? (uint64_t)(now_ms - b->listed_ms) : 0;
	sched_mul(wa, (uint64_t)b->recommended_ms, &ah, &al);
	sched_mul(wb, (uint64_t)a->recommended_ms, &bh, &bl);
	if (ah != bh || al != bl)
		return (ah > bh || (ah == bh && al > bl)) ? -1 : 1;
	if (a->listed_ms != b->listed_ms)
		return a->listed_ms < b->listed_ms ? -1 : 1;
	return memcmp(a->id, b->id, 16);
}

/* Insertion by binary search keeps the rank stable and needs no
 * qsort context (the comparison depends on NOW). */
size_t
sched_wl_rank(const struct sched_wl *e, size_t n, const struct sched_wl_slot *s,
    int64_t now_ms, size_t *order)
{
	size_t i, k = 0, lo, hi, mid;

	for (i = 0; i < n; i++) {
		if (e[i].recommended_ms <= 0 || !sched_wl_eligible(&e[i], s))
			continue;
		lo = 0;
		hi = k;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			if (sched_wl_cmp(&e[order[mid]], &e[i], now_ms) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		memmove(&order[lo + 1], &order[lo], (k - lo) * sizeof(*order));
		order[lo] = i;
		k++;
	}
	return k;
}

int64_t
sched_offer_hold_ms(int64_t start_ms, int64_t now_ms)
{
	int64_t hold = 4 * 3600 * 1000LL, half = (start_ms - now_ms) / 2;

	if (half < hold)
		hold = half;
	return hold < 60 * 1000 ? 60 * 1000 : hold;
}

enum sched_attendance
sched_attendance(
    int has_checkin, int64_t slot_end_ms, int64_t now_ms, int64_t complete_ms)
{
	if (has_checkin)
		return SCHED_ATTENDED;
	if (now_ms < slot_end_ms + SCHED_GRACE_MS)
		return SCHED_UPCOMING;
	if (complete_ms >= slot_end_ms + SCHED_GRACE_MS)
		return SCHED_NOSHOW;
	return SCHED_NOSHOW_PROVISIONAL;
}

int64_t
sched_wl_recommended_ms(int urgency)
{
	static const int64_t days[] = { 30, 90, 365 };

	if (urgency < 1 || urgency > 3)
		return 0;
	return days[urgency - 1] * 86400000LL;
}
