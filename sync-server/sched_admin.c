/*
 * `sync-server --data DIR admin schedule ...` (issue 15): define a
 * clinician's weekly hours at a facility and generate its slots, in the
 * facility's IANA zone (common/tzif.c reads tzdata; no TZ variable), stored
 * in UTC; or list a facility's slots.
 *
 *   schedule --clinician C --facility F --region R --tz ZONE
 *            --hours "mon 08:00-12:00/30" [--hours ...]
 *            [--service S] [--modalities video,audio] [--langs en,sw]
 *            [--days N]         (slots for the next N local days, 28)
 *   schedule --list --facility F [--tz ZONE] [--days N]
 *   schedule --sweep   booked appointments past their slot and 30 min
 *                      without check-in become no-shows: provisional
 *                      until their kiosk's sync covers the slot (run it
 *                      from a timer, e.g. every 15 minutes)
 *
 * Re-running it is safe: the hours are replaced and slots that exist are
 * kept (a booked slot is never touched).  Output: counts and times only.
 */
#define LOG_MODULE "sched_admin"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "str.h"
#include "tzif.h"
#include "xmalloc.h"
#include "sync-server/sched_admin.h"
#include "sync-server/work/sched.h"

#define SCHED_ADMIN_HOURS_MAX 28

static int
sched_admin_usage(void)
{
	fprintf(stderr,
	    "usage: sync-server --data DIR admin schedule --clinician C"
	    " --facility F --region R --tz ZONE --hours \"mon 08:00-12:00/30\""
	    " [--hours ...] [--service S] [--modalities M] [--langs L]"
	    " [--days N]\n"
	    "       sync-server --data DIR admin schedule --list --facility F"
	    " [--tz ZONE] [--days N]\n"
	    "       sync-server --data DIR admin schedule --sweep\n");
	return 2;
}

static void
sched_admin_local(const struct tzif *z, uint64_t ms, char *out, size_t size)
{
	int64_t l = tzif_to_local(z, (int64_t)(ms / 1000));
	unsigned m, d;
	int y;

	tzif_civil_from_days(l / 86400, &y, &m, &d);
	snprintf(out, size, "%04d-%02u-%02u %02d:%02d", y, m, d,
	    (int)(l % 86400 / 3600), (int)(l % 3600 / 60));
}

static int
sched_admin_list(const struct store_backend *be, struct sstore *s,
    const char *facility, const struct tzif *z, long long days)
{
	struct sslot *v = NULL;
	uint64_t now = clock_wall_ms();
	size_t n = 0, i;
	char when[32];

	if (be->slots_list(s, 0, facility, now,
	        now + (uint64_t)days * 86400000ULL, &v, &n) != 0) {
		fprintf(stderr, "sync-server: schedule: cannot read slots\n");
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (z != NULL)
			sched_admin_local(z, v[i].start_ms, when, sizeof(when));
		else
			snprintf(when, sizeof(when), "%llu",
			    (unsigned long long)v[i].start_ms);
		/* the clinician last: `kiosk appt book --clinician` */
		printf("%llu\t%s\t%llu min\t%s\t%s\n",
		    (unsigned long long)v[i].id, when,
		    (unsigned long long)((v[i].end_ms - v[i].start_ms) / 60000),
		    v[i].status, v[i].clinician);
	}
	printf("%zu slots\n", n);
	free(v);
	return 0;
}

int
sched_admin(
    const struct store_backend *be, struct sstore *s, int argc, char **argv)
{
	struct sched_hours h[SCHED_ADMIN_HOURS_MAX];
	struct shours sh[SCHED_ADMIN_HOURS_MAX];
	struct sched_slot *gen = NULL;
	struct sslot *v = NULL;
	struct ssched d;
	struct tzif *z = NULL;
	const char *cause, *tz = NULL;
	long long days = 28;
	uint64_t id, added = 0;
	size_t nh = 0, n = 0, i;
	int list = 0, rc = 1, err, k;
	int64_t today;

	memset(&d, 0, sizeof(d));
	snprintf(d.service, sizeof(d.service), "gp");
	for (k = 1; k < argc; k++) {
		const char *a = argv[k],
		           *val = k + 1 < argc ? argv[k + 1] : NULL;
		char *dst = NULL;
		size_t size = 0;

		if (strcmp(a, "--list") == 0) {
			list = 1;
			continue;
		}
		if (strcmp(a, "--sweep") == 0 && argc == 2) {
			if ((err = be->appt_sweep(s, clock_wall_ms(),
			         SCHED_GRACE_MS, &added)) != 0) {
				fprintf(stderr,
				    "sync-server: schedule: sweep failed: %s\n",
				    strerror(err));
				return 1;
			}
			printf("%llu appointments became no-shows (provisional"
			       " or final)\n",
			    (unsigned long long)added);
			return 0;
		}
		if (val == NULL)
			return sched_admin_usage();
		k++;
		if (strcmp(a, "--clinician") == 0)
			dst = d.clinician, size = sizeof(d.clinician);
		else if (strcmp(a, "--facility") == 0)
			dst = d.facility, size = sizeof(d.facility);
		else if (strcmp(a, "--region") == 0)
			dst = d.region, size = sizeof(d.region);
		else if (strcmp(a, "--service") == 0)
			dst = d.service, size = sizeof(d.service);
		else if (strcmp(a, "--modalities") == 0)
			dst = d.modalities, size = sizeof(d.modalities);
		else if (strcmp(a, "--langs") == 0)
			dst = d.langs, size = sizeof(d.langs);
		else if (strcmp(a, "--tz") == 0)
			tz = val;
		else if (strcmp(a, "--days") == 0) {
			if (str_to_ll(val, 1, 366, &days) != 0) {
				fprintf(stderr,
				    "sync-server: schedule: --days"
				    " takes 1 to 366\n");
				return 2;
			}
		} else if (strcmp(a, "--hours") == 0) {
			if (nh == SCHED_ADMIN_HOURS_MAX)
				return sched_admin_usage();
			if (sched_hours_parse(val, &h[nh], &cause) != 0) {
				fprintf(stderr,
				    "sync-server: schedule: --hours \"%s\": %s\n",
				    val, cause);
				return 2;
			}
			nh++;
		} else
			return sched_admin_usage();
		if (dst != NULL && str_lcpy(dst, val, size) >= size) {
			fprintf(stderr,
			    "sync-server: schedule: %s is too long\n", a);
			return 2;
		}
	}
	if (tz != NULL && (err = tzif_load(tz, &z)) != 0) {
		fprintf(stderr,
		    "sync-server: schedule: %s is not a time zone of tzdata"
		    " (%s); give an IANA name such as Africa/Nairobi\n",
		    tz, err == ENOENT ? "no such zone" : "unreadable");
		return 1;
	}
	if (list) {
		rc = d.facility[0] == '\0'
		    ? sched_admin_usage()
		    : sched_admin_list(be, s, d.facility, z, days);
		goto out;
	}
	if (d.clinician[0] == '\0' || d.facility[0] == '\0' ||
	    d.region[0] == '\0' || z == NULL || nh == 0) {
		rc = sched_admin_usage();
		goto out;
	}
	str_lcpy(d.tz, tz, sizeof(d.tz));
	for (i = 0; i < nh; i++) {
		sh[i].wday = h[i].wday;
		sh[i].start_min = h[i].start_min;
		sh[i].end_min = h[i].end_min;
		sh[i].slot_min = h[i].slot_min;
	}
	/* Today on the facility's own calendar. */
	today = tzif_to_local(z, (int64_t)(clock_wall_ms() / 1000)) / 86400;
	if ((err = sched_slots(z, h, nh, today, (int)days, &gen, &n)) != 0)
		goto out;
	v = xcalloc(n ? n : 1, sizeof(*v));
	for (i = 0; i < n; i++) {
		v[i].start_ms = (uint64_t)gen[i].start_ms;
		v[i].end_ms = (uint64_t)gen[i].end_ms;
	}
	if ((err = be->sched_define(s, &d, sh, nh, &id)) != 0 ||
	    (err = be->slots_add(s, id, v, n, &added)) != 0) {
		fprintf(stderr, "sync-server: schedule: cannot store it: %s\n",
		    strerror(err));
		goto out;
	}
	printf("schedule %llu (%s at %s, %s): %zu weekly windows, %zu slots"
	       " in the next %lld days, %llu new\n",
	    (unsigned long long)id, d.clinician, d.facility, d.tz, nh, n, days,
	    (unsigned long long)added);
	rc = 0;
out:
	free(gen);
	free(v);
	tzif_free(z);
	return rc;
}
