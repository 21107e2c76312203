/*
 * The dashboard's figures (sync-server/report/figures.c; issue 17,
 * Dashboard, "figures are right"):
 *
 *   sqlite, postgresql  a synthetic region (report/synth.c: 50 clinic
 *               kiosks in 10 facilities and 2 hubs; OUTPOST_FIG_VISITS
 *               visits, default 3000, full size 100000) pushed into a
 *               fresh store; every figure equals a reference computed
 *               here from what the generator decided (struct
 *               synth_truth), with this file's own loops, sort and
 *               percentile, never from the store
 *   empty       a region with kiosks and nothing synced: zeros, and the
 *               tiles of what this server does not hold yet say so
 *   report      the HTML report of a small region: one self-contained
 *               file, no script, no external reference, every tile and
 *               its source named, the drill-down anchors present
 *   json        the figures' CBOR for the admin node decodes to the same
 *               numbers
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cborx.h"
#include "clock.h"
#include "log.h"
#include "figures.h"
#include "sync-server/report/compute.h"
#include "sync-server/report/html.h"
#include "sync-server/report/synth.h"
#include "sync-server/store/pgtest.h"
#include "test.h"
#include "compat.h"
#include "xmalloc.h"

#define DAY (24ULL * 3600 * 1000)
#define GRACE (30ULL * 60 * 1000)
/* a fixed "now" (2026-11-29 10:00 UTC), so the runs are repeatable */
#define NOW 1795946400000ULL

static int
cmp64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The p-th percentile, nearest rank, of N values: sorted here. */
static uint64_t
pct(uint64_t *v, size_t n, unsigned p)
{
	size_t rank;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp64);
	rank = (p * n + 99) / 100;
	return v[rank - 1];
}

/* The reference of one kiosk, facility or region. */
struct ref {
	uint64_t visits, day[FIG_DAYS], dev, typed, alerts, acked;
	uint64_t consults, referrals, appts, noshows;
};

static int
ref_eq(const struct ref *r, const struct fig_counts *c, const char *what)
{
	int i;

	if (r->visits != c->visits || r->dev != c->obs_device ||
	    r->typed != c->obs_typed || r->alerts != c->alerts ||
	    r->acked != c->alerts_acked || r->consults != c->consults ||
	    r->referrals != c->referrals || r->appts != c->appts ||
	    r->noshows != c->noshows) {
		fprintf(stderr,
		    "  %s: visits %llu/%llu obs %llu,%llu/%llu,%llu alerts "
		    "%llu,%llu/%llu,%llu consults %llu/%llu referrals "
		    "%llu/%llu appts %llu,%llu/%llu,%llu\n",
		    what, (unsigned long long)r->visits,
		    (unsigned long long)c->visits, (unsigned long long)r->dev,
		    (unsigned long long)r->typed,
		    (unsigned long long)c->obs_device,
		    (unsigned long long)c->obs_typed,
		    (unsigned long long)r->alerts, (unsigned long long)r->acked,
		    (unsigned long long)c->alerts,
		    (unsigned long long)c->alerts_acked,
		    (unsigned long long)r->consults,
		    (unsigned long long)c->consults,
		    (unsigned long long)r->referrals,
		    (unsigned long long)c->referrals,
		    (unsigned long long)r->appts,
		    (unsigned long long)r->noshows,
		    (unsigned long long)c->appts,
		    (unsigned long long)c->noshows);
		return EINVAL;
	}
	for (i = 0; i < FIG_DAYS; i++)
		if (r->day[i] != c->day[i]) {
			fprintf(stderr, "  %s: day %d: %llu != %llu\n", what, i,
			    (unsigned long long)r->day[i],
			    (unsigned long long)c->day[i]);
			return EINVAL;
		}
	return 0;
}

/* Region, facility (by name) and kiosk references, side by side. */
struct refs {
	struct ref region;
	struct ref *kiosk; /* by truth index */
	char (*fac)[SSTORE_TEXT_MAX];
	struct ref *facref;
	size_t nfac;
};

static struct ref *
fac_ref(struct refs *R, const char *name)
{
	size_t i;

	for (i = 0; i < R->nfac; i++)
		if (strcmp(R->fac[i], name) == 0)
			return &R->facref[i];
	snprintf(R->fac[R->nfac], SSTORE_TEXT_MAX, "%s", name);
	return &R->facref[R->nfac++];
}

/* Add to the region, the kiosk K and its facility. */
#define ADD3(R, t, k, field, n)                                                \
	do {                                                                   \
		(R)->region.field += (n);                                      \
		(R)->kiosk[k].field += (n);                                    \
		fac_ref((R), (t)->kiosks[k].facility)->field += (n);           \
	} while (0)

static int
check_region(
    const struct store_backend *be, const char *target, uint64_t visits)
{
	struct synth_opts o;
	struct synth_truth t;
	struct figures f;
	struct refs R;
	struct sstore *s = NULL;
	uint64_t *iv = NULL, day0, d, complete, nstale = 0, pending = 0;
	uint64_t ca = 0, cd = 0, cf = 0, cc = 0, co = 0;
	uint64_t rc = 0, rcomp = 0, rrej = 0, rfail = 0, ropen = 0;
	uint64_t att = 0, ns = 0, nsp = 0, up = 0;
	size_t i, n, nacc, nseen;
	uint64_t *acc = NULL, *seen = NULL;
	char what[96];
	int err = 0;

	memset(&t, 0, sizeof(t));
	memset(&f, 0, sizeof(f));
	memset(&R, 0, sizeof(R));
	memset(&o, 0, sizeof(o));
	o.region = "r1";
	o.facilities = 10;
	o.kiosks = 50;
	o.hubs = 2;
	o.visits = visits;
	o.seed = 17;
	o.now_ms = NOW;
	TEST_ERR(be->open(target, NULL, &s));
	TEST_ERR(synth_region(be, s, &o, &t));
	/* another region's kiosks and visits stay out of r1's figures */
	o.region = "r2";
	o.kiosks = 3;
	o.facilities = 1;
	o.hubs = 0;
	o.visits = 50;
	o.seed = 18;
	{
		struct synth_truth other;

		err = synth_region(be, s, &o, &other);
		synth_truth_clear(&other);
		TEST_ERR(err);
	}
	TEST_ERR(figures_compute(be, s, "r1", NOW, &f));

	R.kiosk = xcalloc(t.nkiosks, sizeof(*R.kiosk));
	R.fac = xcalloc(t.nkiosks, sizeof(*R.fac));
	R.facref = xcalloc(t.nkiosks, sizeof(*R.facref));
	day0 = (NOW / DAY) * DAY - (FIG_DAYS - 1) * DAY;
	TEST_EQ(f.day0_ms, day0);

	/* kiosks: every one of r1, sync age, stale, pending */
	TEST_EQ(f.nkiosks, t.nkiosks);
	for (i = 0; i < t.nkiosks; i++) {
		const struct fig_kiosk *k = NULL;
		size_t j;

		for (j = 0; j < f.nkiosks; j++)
			if (f.kiosks[j].node == t.kiosks[i].node)
				k = &f.kiosks[j];
		TEST_TRUE(k != NULL);
		TEST_STR(k->facility, t.kiosks[i].facility);
		TEST_EQ(k->last_sync_ms, t.kiosks[i].last_push_ms);
		TEST_EQ(k->age_ms, NOW - t.kiosks[i].last_push_ms);
		TEST_EQ(k->stale, NOW - t.kiosks[i].last_push_ms > 2 * DAY);
		TEST_EQ(k->pending, t.kiosks[i].pending);
		nstale += NOW - t.kiosks[i].last_push_ms > 2 * DAY;
		pending += t.kiosks[i].pending;
		(void)fac_ref(&R, t.kiosks[i].facility);
	}
	TEST_EQ(f.nstale, nstale);
	TEST_TRUE(nstale > 0);
	TEST_EQ(f.pending, pending);
	TEST_EQ(f.nfacs, R.nfac);

	/* visits per day, vital signs by source */
	for (i = 0; i < t.nvisits; i++) {
		const struct synth_visit *v = &t.visits[i];

		ADD3(&R, &t, v->kiosk, visits, 1);
		ADD3(&R, &t, v->kiosk, dev, v->obs_device);
		ADD3(&R, &t, v->kiosk, typed, v->obs_typed);
		if (v->started_ms >= day0) {
			d = (v->started_ms - day0) / DAY;
			if (d < FIG_DAYS)
				ADD3(&R, &t, v->kiosk, day[d], 1);
		}
	}

	/* red flags and their acknowledgement */
	iv = xcalloc(t.nalerts + 1, sizeof(*iv));
	for (i = n = 0; i < t.nalerts; i++) {
		ADD3(&R, &t, t.alerts[i].kiosk, alerts, 1);
		if (t.alerts[i].acked_ms) {
			ADD3(&R, &t, t.alerts[i].kiosk, acked, 1);
			iv[n++] = t.alerts[i].acked_ms - t.alerts[i].raised_ms;
		}
	}
	TEST_EQ(f.ack.n, n);
	TEST_EQ(f.ack.median_ms, pct(iv, n, 50));
	TEST_EQ(f.ack.p90_ms, pct(iv, n, 90));
	free(iv);
	iv = NULL;

	/* consults */
	iv = xcalloc(t.nconsults + 1, sizeof(*iv));
	for (i = n = 0; i < t.nconsults; i++) {
		const struct synth_consult *c = &t.consults[i];

		ADD3(&R, &t, c->kiosk, consults, 1);
		ca++;
		cd += c->end == SYNTH_C_DONE;
		cf += c->end == SYNTH_C_FAILED;
		cc += c->end == SYNTH_C_CANCELLED;
		co += c->end == SYNTH_C_OPEN;
		if (c->accepted_ms)
			iv[n++] = c->accepted_ms - c->requested_ms;
	}
	TEST_EQ(f.c_requested, ca);
	TEST_EQ(f.c_done, cd);
	TEST_EQ(f.c_failed, cf);
	TEST_EQ(f.c_cancelled, cc);
	TEST_EQ(f.c_open, co);
	TEST_EQ(f.c_wait.n, n);
	TEST_EQ(f.c_wait.median_ms, pct(iv, n, 50));
	TEST_EQ(f.c_wait.p90_ms, pct(iv, n, 90));

	/* referrals */
	acc = xcalloc(t.nreferrals + 1, sizeof(*acc));
	seen = xcalloc(t.nreferrals + 1, sizeof(*seen));
	nacc = nseen = 0;
	for (i = 0; i < t.nreferrals; i++) {
		const struct synth_referral *r = &t.referrals[i];

		ADD3(&R, &t, r->kiosk, referrals, 1);
		rc += r->end == SYNTH_R_CANCELLED;
		rcomp += r->end == SYNTH_R_COMPLETED;
		rrej += r->end == SYNTH_R_REJECTED;
		rfail += r->end == SYNTH_R_FAILED;
		ropen += r->end == SYNTH_R_OPEN;
		if (r->accepted_ms)
			acc[nacc++] = r->accepted_ms - r->at_ms;
		if (r->seen_ms)
			seen[nseen++] = r->seen_ms - r->at_ms;
	}
	TEST_EQ(f.ref.issued, t.nreferrals);
	TEST_EQ(f.ref.cancelled, rc);
	TEST_EQ(f.ref.completed, rcomp);
	TEST_EQ(f.ref.rejected, rrej);
	TEST_EQ(f.ref.failed, rfail);
	TEST_EQ(f.ref.open, ropen);
	TEST_EQ(f.ref.accepted, nacc);
	TEST_EQ(f.ref.accept_median_ms, pct(acc, nacc, 50));
	TEST_EQ(f.ref.seen_median_ms, pct(seen, nseen, 50));
	TEST_EQ(f.ref.seen_p90_ms, pct(seen, nseen, 90));

	/* appointments: the no-show rule, written out again */
	for (i = 0; i < t.nappts; i++) {
		const struct synth_appt *a = &t.appts[i];
		const struct synth_kiosk *k = &t.kiosks[a->kiosk];

		if (a->status == 2)
			continue; /* cancelled */
		if (a->status == 1) {
			att++;
		} else if (NOW < a->end_ms + GRACE) {
			up++;
			continue;
		} else {
			complete = k->pending == 0 ? k->last_push_ms : 0;
			if (complete >= a->end_ms + GRACE)
				ns++;
			else
				nsp++;
			ADD3(&R, &t, a->kiosk, noshows, 1);
		}
		ADD3(&R, &t, a->kiosk, appts, 1);
	}
	TEST_EQ(f.a_attended, att);
	TEST_EQ(f.a_noshow, ns);
	TEST_EQ(f.a_noshow_prov, nsp);
	TEST_EQ(f.a_upcoming, up);
	TEST_TRUE(att + ns + nsp == 0 ||
	    f.noshow_rate == (double)(ns + nsp) / (double)(att + ns + nsp));

	/* the counts, region, facility and kiosk */
	TEST_ERR(ref_eq(&R.region, &f.c, "region"));
	for (i = 0; i < R.nfac; i++) {
		const struct fig_facility *fa = figures_facility(&f, R.fac[i]);

		TEST_TRUE(fa != NULL);
		snprintf(what, sizeof(what), "facility %s", R.fac[i]);
		TEST_ERR(ref_eq(&R.facref[i], &fa->c, what));
	}
	for (i = 0; i < t.nkiosks; i++) {
		size_t j;

		for (j = 0; j < f.nkiosks; j++)
			if (f.kiosks[j].node == t.kiosks[i].node)
				break;
		snprintf(what, sizeof(what), "kiosk %zu", i);
		TEST_ERR(ref_eq(&R.kiosk[i], &f.kiosks[j].c, what));
	}
	/* the other workflows' tiles: their tables exist; the generator
	 * stores records directly (no push: no claim is built), raises no
	 * incident and opens no patient by break-glass */
	TEST_EQ(f.claims.available, 1);
	TEST_EQ(f.claims.n, 0);
	TEST_EQ(f.emergencies.available, 1);
	TEST_EQ(f.emergencies.n, 0);
	TEST_EQ(f.breakglass.available, 1);
	TEST_EQ(f.breakglass.n, 0);
	/* the generator made every kind (a figure of 0 proves little) */
	TEST_TRUE(t.nalerts > 0 && t.nconsults > 0 && t.nreferrals > 0 &&
	    t.nappts > 0 && ns > 0 && nsp > 0 && att > 0 && cd > 0 && cf > 0 &&
	    rcomp > 0);
	fprintf(stderr,
	    "  %s: %zu kiosks, %zu visits, %llu changes, %zu alerts, %zu "
	    "consults, %zu referrals, %zu appointments\n",
	    be->name, t.nkiosks, t.nvisits, (unsigned long long)t.changes,
	    t.nalerts, t.nconsults, t.nreferrals, t.nappts);
out:
	free(iv);
	free(acc);
	free(seen);
	free(R.kiosk);
	free(R.fac);
	free(R.facref);
	figures_clear(&f);
	synth_truth_clear(&t);
	if (s != NULL)
		be->close(s);
	return err;
}

static uint64_t
env_visits(void)
{
	const char *v = getenv("OUTPOST_FIG_VISITS");
	char *end;
	unsigned long long n;

	if (v == NULL || *v == '\0')
		return 3000;
	n = strtoull(v, &end, 10);
	return *end == '\0' && n > 0 ? n : 3000;
}

static int
test_sqlite(void)
{
	char *d = test_tmpdir("figures");
	int err;

	if (d == NULL)
		return EIO;
	err = check_region(&store_sqlite_backend, d, env_visits());
	test_rmdir(d);
	return err;
}

static int
test_postgresql(void)
{
	struct pgtest pg;
	char ci[256];
	int err, rc;

	if ((rc = pgtest_start(&pg)) != 0) {
		fprintf(stderr, "postgresql: %s\n", pg.why);
		return rc == 77 ? TEST_SKIP : EIO;
	}
	if ((err = pgtest_newdb(&pg, ci, sizeof(ci))) == 0)
		err = check_region(&store_pg_backend, ci, env_visits());
	if (pgtest_stop(&pg) != 0 && err == 0)
		err = EIO;
	return err;
}

/* A small region in a fresh SQLite store of D (the caller's). */
static int
small_region(const char *d, uint64_t visits, struct figures *f)
{
	struct synth_opts o;
	struct synth_truth t;
	struct sstore *s = NULL;
	int err;

	memset(&o, 0, sizeof(o));
	o.region = "r1";
	o.facilities = 3;
	o.kiosks = 6;
	o.hubs = 1;
	o.visits = visits;
	o.seed = 5;
	o.now_ms = NOW;
	if ((err = store_sqlite_backend.open(d, NULL, &s)) != 0)
		return err;
	err = synth_region(&store_sqlite_backend, s, &o, &t);
	synth_truth_clear(&t);
	if (err == 0)
		err = figures_compute(&store_sqlite_backend, s, "r1", NOW, f);
	store_sqlite_backend.close(s);
	return err;
}

static int
test_empty(void)
{
	struct figures f;
	char *d = test_tmpdir("figures");
	size_t i;
	int err = 0;

	memset(&f, 0, sizeof(f));
	TEST_TRUE(d != NULL);
	TEST_ERR(small_region(d, 0, &f));
	TEST_EQ(f.nkiosks, 7);
	TEST_EQ(f.nfacs, 4);
	TEST_EQ(f.c.visits, 0);
	TEST_EQ(f.c.alerts, 0);
	TEST_EQ(f.c_requested, 0);
	TEST_EQ(f.ref.issued, 0);
	TEST_EQ(f.ack.n, 0);
	TEST_EQ(f.noshow_rate == 0, 1);
	TEST_EQ(f.changes, 0);
	/* never pushed: the age counts from enrolment */
	for (i = 0; i < f.nkiosks; i++) {
		TEST_EQ(f.kiosks[i].last_sync_ms, 0);
		TEST_EQ(f.kiosks[i].stale, 1);
	}
	TEST_EQ(f.claims.available, 1);
	TEST_EQ(f.claims.n, 0);
	/* a region with no kiosk at all */
	figures_clear(&f);
	{
		struct sstore *s = NULL;

		TEST_ERR(store_sqlite_backend.open(d, NULL, &s));
		err = figures_compute(
		    &store_sqlite_backend, s, "nowhere", NOW, &f);
		store_sqlite_backend.close(s);
		TEST_ERR(err);
		TEST_EQ(f.nkiosks, 0);
		TEST_EQ(f.nfacs, 0);
	}
out:
	figures_clear(&f);
	test_rmdir(d);
	return err;
}

/* The whole file PATH, NUL-terminated, into *OUT (the caller's). */
static int
slurp(const char *path, char **out, size_t *len)
{
	FILE *fp = fopen(path, "r");
	long n;

	*out = NULL;
	if (fp == NULL)
		return errno;
	if (fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) != 0) {
		fclose(fp);
		return EIO;
	}
	*out = xmalloc((size_t)n + 1);
	*len = fread(*out, 1, (size_t)n, fp);
	(*out)[*len] = '\0';
	fclose(fp);
	return *len == (size_t)n ? 0 : EIO;
}

static int
test_report(void)
{
	static const char *const must[] = { "<svg", "Kiosks",
		"Visits per facility per day", "Vital signs", "Red flags",
		"Consults", "Referrals", "No-shows", "Claims", "Emergencies",
		"Break-glass", "Source:", "id=\"fac-r1-f00\"",
		"href=\"#fac-r1-f00\"", "id=\"kiosk-" };
	static const char *const mustnt[] = { "<script", "http://", "https://",
		"src=", "@import", "url(" };
	struct figures f;
	char *d = test_tmpdir("figures"), *out = NULL, *html = NULL;
	size_t len = 0, i;
	int err = 0;

	memset(&f, 0, sizeof(f));
	TEST_TRUE(d != NULL);
	TEST_ERR(small_region(d, 300, &f));
	xasprintf(&out, "%s/report", d);
	TEST_ERR(figures_html_write(&f, out));
	free(out);
	xasprintf(&out, "%s/report/index.html", d);
	TEST_ERR(slurp(out, &html, &len));
	TEST_TRUE(len > 1000);
	for (i = 0; i < nitems(must); i++)
		if (strstr(html, must[i]) == NULL)
			TEST_FAILED("report lacks %s", must[i]);
	for (i = 0; i < nitems(mustnt); i++)
		if (strstr(html, mustnt[i]) != NULL)
			TEST_FAILED("report has %s", mustnt[i]);
	TEST_TRUE(strncmp(html, "<!DOCTYPE html>", 15) == 0);
out:
	free(html);
	free(out);
	figures_clear(&f);
	test_rmdir(d);
	return err;
}

static int
test_cbor(void)
{
	struct figures f, g;
	char *d = test_tmpdir("figures");
	uint8_t *b = NULL;
	size_t len = 0, i;
	int err = 0;

	memset(&f, 0, sizeof(f));
	memset(&g, 0, sizeof(g));
	TEST_TRUE(d != NULL);
	TEST_ERR(small_region(d, 300, &f));
	TEST_ERR(figures_cbor(&f, &b, &len));
	TEST_ERR(figures_from_cbor(b, len, &g));
	TEST_STR(g.region, f.region);
	TEST_EQ(g.now_ms, f.now_ms);
	TEST_EQ(g.nkiosks, f.nkiosks);
	TEST_EQ(g.nfacs, f.nfacs);
	TEST_EQ(g.nstale, f.nstale);
	TEST_EQ(g.c.visits, f.c.visits);
	for (i = 0; i < FIG_DAYS; i++)
		TEST_EQ(g.c.day[i], f.c.day[i]);
	TEST_EQ(g.c.obs_device, f.c.obs_device);
	TEST_EQ(g.c.alerts_acked, f.c.alerts_acked);
	TEST_EQ(g.ack.median_ms, f.ack.median_ms);
	TEST_EQ(g.c_done, f.c_done);
	TEST_EQ(g.c_wait.p90_ms, f.c_wait.p90_ms);
	TEST_EQ(g.ref.completed, f.ref.completed);
	TEST_EQ(g.ref.seen_median_ms, f.ref.seen_median_ms);
	TEST_EQ(g.a_noshow + g.a_noshow_prov, f.a_noshow + f.a_noshow_prov);
	for (i = 0; i < f.nfacs; i++) {
		TEST_STR(g.facs[i].name, f.facs[i].name);
		TEST_EQ(g.facs[i].c.visits, f.facs[i].c.visits);
		TEST_EQ(g.facs[i].nstale, f.facs[i].nstale);
	}
	for (i = 0; i < f.nkiosks; i++) {
		TEST_EQ(g.kiosks[i].node, f.kiosks[i].node);
		TEST_EQ(g.kiosks[i].age_ms, f.kiosks[i].age_ms);
		TEST_EQ(g.kiosks[i].pending, f.kiosks[i].pending);
	}
	/* truncated or foreign bytes are refused, not half read */
	figures_clear(&g);
	TEST_EQ(figures_from_cbor(b, len / 2, &g), EBADMSG);
	figures_clear(&g);
	TEST_EQ(figures_from_cbor((const uint8_t *)"\xa0", 1, &g), EBADMSG);
out:
	free(b);
	figures_clear(&f);
	figures_clear(&g);
	test_rmdir(d);
	return err;
}

TEST_MAIN({ "sqlite", test_sqlite }, { "postgresql", test_postgresql },
    { "empty", test_empty }, { "report", test_report }, { "cbor", test_cbor })
