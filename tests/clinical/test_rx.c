/*
 * Prescription checks (clinical/rx.c) on the shipped formulary
 * clinical/formulary/IN.tsv (workflows.md §7 criterion 10): seeded unsafe
 * orders of every kind are all blocked or sent to override, with the
 * check that names the defect; clean orders all pass.  Every seeded order
 * starts from a clean one, so the seeded defect is the only one.
 *
 * OUTPOST_RX_ORDERS sets how many orders of each kind (default 25: 250
 * unsafe, 250 clean); the seed is fixed, and printed.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clinical/rx.h"
#include "compat.h"
#include "str.h"
#include "tests/test.h"
#include "xmalloc.h"

#define FORMULARY "clinical/formulary/IN.tsv"

static struct rx_formulary form;

static int
load(void)
{
	char why[160], *text = NULL;
	size_t len = 0;
	FILE *fp;
	int err;

	if (form.n > 0)
		return 0;
	if ((fp = fopen(FORMULARY, "r")) == NULL) {
		fprintf(stderr, "  %s: %s\n", FORMULARY, strerror(errno));
		return errno;
	}
	text = xmalloc(1 << 20);
	len = fread(text, 1, 1 << 20, fp);
	fclose(fp);
	err = rx_formulary_parse(text, len, "IN", &form, why, sizeof(why));
	if (err != 0)
		fprintf(stderr, "  %s: %s\n", FORMULARY, why);
	free(text);
	return err;
}

/* --- a seeded generator --- */

static uint64_t rng = 0x5eed14ull;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double
uniform(double lo, double hi)
{
	return lo + (hi - lo) * (double)(next() % 1000001) / 1000000.0;
}

static int
per_kind(void)
{
	const char *s = getenv("OUTPOST_RX_ORDERS");
	long long n;

	return s != NULL && str_to_ll(s, 1, 1000000, &n) == 0 ? (int)n : 25;
}

/* One order and its context, owning nothing. */
struct gen {
	const struct rx_item *it;
	struct rx_order o;
	struct rx_context c;
	char route[32];
	char allergies[96];
	const char *active[1];
};

static int
has_dose_limits(const struct rx_item *it)
{
	return it->dose_usual > 0 && it->day_usual > 0;
}

/* A random item matching WANT (NULL: any non-prohibited with dose
 * limits). */
static const struct rx_item *
pick(int (*want)(const struct rx_item *))
{
	const struct rx_item *it;
	size_t tries;

	for (tries = 0; tries < 100000; tries++) {
		it = &form.items[next() % form.n];
		if (want != NULL ? want(it)
		                 : it->cls != RX_CLASS_P && has_dose_limits(it))
			return it;
	}
	return NULL;
}

/* A clean order of IT: a patient old and heavy enough, a consult mode
 * the class allows, a dose within every usual limit. */
static void
clean(struct gen *g, const struct rx_item *it, int child)
{
	double cap, daycap;
	int lo;

	memset(g, 0, sizeof(*g));
	g->it = it;
	snprintf(g->route, sizeof(g->route), "%.*s",
	    (int)strcspn(it->routes, "|"), it->routes);
	g->o.code = it->code;
	g->o.route = g->route;
	if (child && it->min_age_days < RX_CHILD_DAYS) {
		lo = it->min_age_days > 365 ? it->min_age_days : 365;
		g->c.age_days = lo + (int)(next() % (RX_CHILD_DAYS - lo));
		g->c.weight_kg = uniform(10, 35);
	} else {
		lo = it->min_age_days > 18 * 366 ? it->min_age_days : 18 * 366;
		g->c.age_days = lo + (int)(next() % (50 * 365));
		g->c.weight_kg = uniform(45, 95);
	}
	if (it->min_weight_kg > 0 && g->c.weight_kg < it->min_weight_kg)
		g->c.weight_kg = it->min_weight_kg + 1;
	g->c.allergies = "latex, bee stings";
	g->active[0] = "vitamin-nothing";
	g->c.active = g->active;
	g->c.nactive = 1;
	/* the class decides mode and first/follow-up */
	if (it->cls == RX_CLASS_B) {
		g->c.first_consult = 0;
		g->c.mode = (next() & 1) ? "voice" : "store-forward";
	} else if (it->cls == RX_CLASS_A) {
		g->c.first_consult = (int)(next() & 1);
		g->c.mode = g->c.first_consult ? "video" : "voice";
	} else {
		g->c.first_consult = 1;
		g->c.mode = (next() & 1) ? "voice" : "store-forward";
	}
	g->o.per_day = 1 + (unsigned)(next() % 4);
	g->o.days = 1 + (unsigned)(next() % 14);
	cap = it->dose_usual > 0 ? it->dose_usual : 500;
	daycap = it->day_usual > 0 ? it->day_usual : cap * g->o.per_day;
	if (g->c.age_days < RX_CHILD_DAYS) {
		if (it->kg_dose >= 0 && it->kg_dose * g->c.weight_kg < cap)
			cap = it->kg_dose * g->c.weight_kg;
		if (it->kg_day >= 0 && it->kg_day * g->c.weight_kg < daycap)
			daycap = it->kg_day * g->c.weight_kg;
	}
	if (cap * g->o.per_day > daycap)
		g->o.per_day = (unsigned)floor(daycap / cap);
	if (g->o.per_day < 1) {
		g->o.per_day = 1;
		cap = daycap;
	}
	g->o.dose = floor(uniform(0.5, 1.0) * cap * 100) / 100;
	g->c.active = g->active;
}

static void
show(const char *what, const struct gen *g, const struct rx_result *r)
{
	size_t i;

	fprintf(stderr,
	    "  %s: %s %g x%u for %u d, %s, age %d d, %.1f kg, %s%s:"
	    " level %d\n",
	    what, g->o.code, g->o.dose, g->o.per_day, g->o.days, g->o.route,
	    g->c.age_days, g->c.weight_kg, g->c.mode,
	    g->c.first_consult ? " first" : "", r->level);
	for (i = 0; i < r->n; i++)
		fprintf(stderr, "    %s: %s\n", rx_check_name(r->f[i].check),
		    r->f[i].text);
}

/* --- the kinds of criterion 10 --- */

static int
want_dose_abs(const struct rx_item *it)
{
	return it->cls != RX_CLASS_P && has_dose_limits(it) && it->dose_abs > 0;
}

static int
want_day_abs(const struct rx_item *it)
{
	return it->cls != RX_CLASS_P && has_dose_limits(it) &&
	    it->day_abs > 0 && it->day_abs / it->dose_usual < 23;
}

static int
want_mgkg(const struct rx_item *it)
{
	return it->cls != RX_CLASS_P && it->kg_dose > 0 &&
	    it->min_age_days < RX_CHILD_DAYS;
}

static int
want_min_age(const struct rx_item *it)
{
	return it->cls != RX_CLASS_P && has_dose_limits(it) &&
	    it->min_age_days > 0;
}

static int
want_prohibited(const struct rx_item *it)
{
	return it->cls == RX_CLASS_P;
}

static int
want_a(const struct rx_item *it)
{
	return it->cls == RX_CLASS_A;
}

static int
want_b(const struct rx_item *it)
{
	return it->cls == RX_CLASS_B;
}

static int
want_allergy(const struct rx_item *it)
{
	return it->cls != RX_CLASS_P && strcmp(it->allergy, "-") != 0;
}

enum kind {
	K_TENFOLD,
	K_DAY,
	K_MGKG,
	K_AGE,
	K_DUP,
	K_ALLERGY,
	K_ROUTE,
	K_PROHIBITED,
	K_A_AUDIO,
	K_B_FIRST,
	K_N
};

static const char *const kind_names[K_N] = { "10x dose", "daily dose",
	"paediatric mg/kg", "under age", "duplicate ingredient", "allergy",
	"wrong route", "prohibited", "list A on audio first consult",
	"list B on first consult" };

/* Seed one unsafe order of KIND into G; the check that must name it. */
static int
seed(struct gen *g, enum kind k)
{
	const struct rx_item *it;
	static const char *const routes[] = { "oral", "topical", "ophthalmic",
		"inhalation", "intravenous", "rectal" };
	size_t i, n;
	unsigned per;

	switch (k) {
	case K_TENFOLD:
		clean(g, pick(want_dose_abs), (int)(next() & 1));
		g->o.dose = g->o.dose * 10 > g->it->dose_abs
		    ? g->o.dose * 10
		    : g->it->dose_abs * 1.01;
		return RX_DOSE_ABS;
	case K_DAY:
		clean(g, pick(want_day_abs), 0);
		g->o.dose = g->it->dose_usual;
		per = (unsigned)floor(g->it->day_abs / g->o.dose) + 1;
		g->o.per_day = per;
		return RX_DAY_ABS;
	case K_MGKG:
		clean(g, pick(want_mgkg), 1);
		g->o.per_day = 1;
		g->o.dose = g->it->kg_dose * g->c.weight_kg * uniform(1.2, 3);
		return RX_MGKG;
	case K_AGE:
		clean(g, pick(want_min_age), 1);
		g->c.age_days = (int)(next() % (unsigned)g->it->min_age_days);
		g->c.weight_kg = g->c.weight_kg > 0 ? g->c.weight_kg : 5;
		return RX_AGE;
	case K_DUP:
		clean(g, pick(NULL), (int)(next() & 1));
		g->active[0] = g->it->ingredients;
		return RX_DUPLICATE;
	case K_ALLERGY:
		clean(g, pick(want_allergy), (int)(next() & 1));
		/* one of the item's allergy words, in capitals after another */
		it = g->it;
		for (i = 0, n = 0; it->allergy[i]; i++)
			n += it->allergy[i] == '|';
		n = next() % (n + 1);
		{
			const char *p = it->allergy, *e;
			size_t j;

			for (j = 0; j < n; j++)
				p = strchr(p, '|') + 1;
			e = strchr(p, '|');
			snprintf(g->allergies, sizeof(g->allergies),
			    "latex; %.*s", e ? (int)(e - p) : (int)strlen(p),
			    p);
		}
		g->c.allergies = g->allergies;
		return RX_ALLERGY;
	case K_ROUTE:
		clean(g, pick(NULL), (int)(next() & 1));
		do
			snprintf(g->route, sizeof(g->route), "%s",
			    routes[next() % nitems(routes)]);
		while (strstr(g->it->routes, g->route) != NULL);
		return RX_ROUTE;
	case K_PROHIBITED:
		it = pick(want_prohibited);
		clean(g, it, 0);
		g->c.mode = "video";
		g->o.dose = 10;
		return RX_PROHIBITED;
	case K_A_AUDIO:
		clean(g, pick(want_a), (int)(next() & 1));
		g->c.first_consult = 1;
		g->c.mode = (next() & 1) ? "voice" : "store-forward";
		return RX_CLASS_MODE;
	case K_B_FIRST:
		clean(g, pick(want_b), 0);
		g->c.first_consult = 1;
		g->c.mode = (next() & 1) ? "video" : "voice";
		return RX_CLASS_FIRST;
	default:
		return 0;
	}
}

static int
test_formulary_shipped(void)
{
	const struct rx_item *it;
	size_t i, child = 0, cls[4] = { 0 };
	int err;

	TEST_ERR(load());
	TEST_TRUE(form.n >= 40);
	for (i = 0; i < form.n; i++) {
		it = &form.items[i];
		TEST_TRUE(strlen(it->source) > 8); /* every row says where */
		TEST_TRUE(strstr(it->source, "WHO EML") != NULL);
		cls[it->cls]++;
		child += it->min_age_days < RX_CHILD_DAYS && it->kg_dose > 0;
	}
	TEST_TRUE(cls[RX_CLASS_O] > 0 && cls[RX_CLASS_A] > 0 &&
	    cls[RX_CLASS_B] > 0 && cls[RX_CLASS_P] > 0);
	TEST_TRUE(child >= 8);
	/* the paediatric ones the task names */
	TEST_TRUE((it = rx_formulary_find(&form, "AMX250D")) != NULL);
	TEST_TRUE(it->kg_dose == 40 && it->kg_day == 80);
	TEST_TRUE((it = rx_formulary_find(&form, "PCM120S")) != NULL);
	TEST_TRUE(it->kg_dose == 15 && it->kg_day == 60);
	TEST_TRUE(rx_formulary_find(&form, "ORS") != NULL);
	TEST_TRUE(rx_formulary_find(&form, "ZNC20") != NULL);
	TEST_TRUE(rx_formulary_find(&form, "AL20") != NULL);
	TEST_TRUE(rx_formulary_find(&form, "CTX240S") != NULL);
	TEST_TRUE(rx_formulary_find(&form, "SAL100") != NULL);
	TEST_TRUE(rx_formulary_find(&form, "nope") == NULL);
	err = 0;
out:
	return err;
}

static int
test_formulary_bad(void)
{
	struct rx_formulary f;
	char why[160], text[2048];
	const char *hdr = "code\tinn\tingredients\tform\tstrength\tunit\troutes"
	                  "\tclass\tmin_age_days\tmin_weight_kg\tdose_usual"
	                  "\tdose_abs\tday_usual\tday_abs\tkg_dose\tkg_day"
	                  "\tallergy\tsource\n";
	const char *row = "X\tx\tx\ttablet\t1 mg\tmg\toral\tO\t0\t-\t1\t2\t3"
	                  "\t4\t-\t-\t-\tsrc\n";
	int err;

	snprintf(text, sizeof(text), "# c\n%s%s", hdr, row);
	TEST_ERR(
	    rx_formulary_parse(text, strlen(text), "ZZ", &f, why, sizeof(why)));
	TEST_EQ(f.n, 1);
	rx_formulary_free(&f);
	/* class Q, usual above absolute, a column short, a code twice */
	snprintf(text, sizeof(text), "%s%s", hdr,
	    "X\tx\tx\ttablet\t1 mg\tmg\toral\tQ\t0\t-\t1\t2\t3\t4\t-\t-\t-\ts\n");
	TEST_EQ(
	    rx_formulary_parse(text, strlen(text), "ZZ", &f, why, sizeof(why)),
	    EINVAL);
	TEST_STR(why, "line 2: bad class");
	snprintf(text, sizeof(text), "%s%s", hdr,
	    "X\tx\tx\ttablet\t1 mg\tmg\toral\tO\t0\t-\t3\t2\t3\t4\t-\t-\t-\ts\n");
	TEST_EQ(
	    rx_formulary_parse(text, strlen(text), "ZZ", &f, why, sizeof(why)),
	    EINVAL);
	TEST_STR(why, "line 2: bad dose_abs");
	snprintf(text, sizeof(text), "%sX\tx\n", hdr);
	TEST_EQ(
	    rx_formulary_parse(text, strlen(text), "ZZ", &f, why, sizeof(why)),
	    EINVAL);
	TEST_STR(why, "line 2: fewer columns than 18");
	snprintf(text, sizeof(text), "%s%s%s", hdr, row, row);
	TEST_EQ(
	    rx_formulary_parse(text, strlen(text), "ZZ", &f, why, sizeof(why)),
	    EINVAL);
	TEST_STR(why, "line 3: code X twice");
	TEST_EQ(f.n, 0);
	err = 0;
out:
	return err;
}

/* Hand-made edges: a 10 kg child on paracetamol 15 mg/kg. */
static int
test_edges(void)
{
	struct rx_order o = { "PCM120S", "oral", 150, 4, 3 };
	struct rx_context c = { 3 * 365, 10, NULL, "voice", 1, NULL, 0 };
	struct rx_result r;
	int err;

	TEST_ERR(load());
	rx_check(&form, &o, &c, &r);
	TEST_EQ(r.level, RX_PASS);
	o.dose = 151; /* above 15 mg/kg */
	rx_check(&form, &o, &c, &r);
	TEST_EQ(r.level, RX_SOFT);
	TEST_TRUE(rx_result_has(&r, RX_MGKG));
	o.dose = 120;
	o.per_day = 6; /* 720 mg a day, above 60 mg/kg */
	rx_check(&form, &o, &c, &r);
	TEST_EQ(r.level, RX_SOFT);
	c.weight_kg = 0; /* not weighed at this visit */
	rx_check(&form, &o, &c, &r);
	TEST_EQ(r.level, RX_HARD);
	TEST_TRUE(rx_result_has(&r, RX_WEIGHT));
	/* an adult: 1 g four times a day passes, five times is hard */
	c.age_days = 30 * 365;
	c.weight_kg = 0;
	o.dose = 1000;
	o.per_day = 4;
	rx_check(&form, &o, &c, &r);
	TEST_EQ(r.level, RX_PASS);
	o.per_day = 5;
	rx_check(&form, &o, &c, &r);
	TEST_EQ(r.level, RX_HARD);
	TEST_TRUE(rx_result_has(&r, RX_DAY_ABS));
	/* age unknown is hard; artemether-lumefantrine needs 5 kg */
	c.age_days = -1;
	o.per_day = 4;
	rx_check(&form, &o, &c, &r);
	TEST_TRUE(rx_result_has(&r, RX_AGE) && r.level == RX_HARD);
	o.code = "AL20";
	o.dose = 20;
	o.per_day = 2;
	c.age_days = 200;
	c.weight_kg = 4.5;
	c.mode = "video";
	rx_check(&form, &o, &c, &r);
	TEST_TRUE(rx_result_has(&r, RX_WEIGHT) && r.level == RX_HARD);
	c.weight_kg = 5;
	rx_check(&form, &o, &c, &r);
	TEST_EQ(r.level, RX_PASS);
	/* ORS: no dose limit, any age, list O on a voice first consult */
	o.code = "ORS";
	o.dose = 2000;
	o.per_day = 10;
	c.mode = "voice";
	rx_check(&form, &o, &c, &r);
	TEST_EQ(r.level, RX_PASS);
	/* allergy by class, case and spaces ignored */
	o.code = "AMX250D";
	o.dose = 200;
	o.per_day = 2;
	c.mode = "video";
	c.allergies = "Sulfa ;  PENICILLIN ";
	rx_check(&form, &o, &c, &r);
	TEST_TRUE(rx_result_has(&r, RX_ALLERGY) && r.level == RX_SOFT);
	c.allergies = "pen"; /* not a word of the list */
	rx_check(&form, &o, &c, &r);
	TEST_EQ(r.level, RX_PASS);
	o.code = "NOPE";
	rx_check(&form, &o, &c, &r);
	TEST_TRUE(rx_result_has(&r, RX_FORMULARY) && r.level == RX_HARD);
	err = 0;
out:
	return err;
}

static int
test_seeded_unsafe(void)
{
	struct gen g;
	struct rx_result r;
	int n = per_kind(), i, k, want, blocked = 0, total = 0;
	int err = 0;

	TEST_ERR(load());
	rng = 0x5eed14ull;
	fprintf(
	    stderr, "  seed 0x5eed14, %d orders of each of %d kinds\n", n, K_N);
	for (k = 0; k < K_N; k++)
		for (i = 0; i < n; i++) {
			want = seed(&g, (enum kind)k);
			rx_check(&form, &g.o, &g.c, &r);
			total++;
			if (r.level >= RX_SOFT && rx_result_has(&r, want)) {
				blocked++;
				continue;
			}
			show(kind_names[k], &g, &r);
			err = EINVAL;
		}
	fprintf(stderr, "  unsafe: %d of %d blocked or sent to override\n",
	    blocked, total);
	TEST_TRUE(total >= 200);
	TEST_EQ(blocked, total);
out:
	return err;
}

static int
test_clean_pass(void)
{
	struct gen g;
	struct rx_result r;
	int n = per_kind() * K_N, i, passed = 0, err = 0, children = 0;

	TEST_ERR(load());
	rng = 0xc1ea4ull;
	for (i = 0; i < n; i++) {
		clean(&g, pick(NULL), i & 1);
		children += g.c.age_days < RX_CHILD_DAYS;
		rx_check(&form, &g.o, &g.c, &r);
		if (r.level == RX_PASS && r.n == 0) {
			passed++;
			continue;
		}
		show("clean", &g, &r);
		err = EINVAL;
	}
	fprintf(stderr, "  clean: %d of %d passed (%d children)\n", passed, n,
	    children);
	TEST_TRUE(n >= 200 && children >= n / 5);
	TEST_EQ(passed, n);
out:
	return err;
}

static int
test_age_days(void)
{
	uint64_t day = 86400000ull;
	int err;

	TEST_EQ(rx_age_days("1970-01-01", 0), 0);
	TEST_EQ(rx_age_days("1970-01-01", 365 * day), 365);
	TEST_EQ(rx_age_days("2000-03-01", 11017 * day), 0); /* 2000-03-01 */
	TEST_EQ(rx_age_days("2000-02-29", 11017 * day), 1);
	TEST_EQ(rx_age_days("2000", 11017 * day), -1); /* 1 July, later */
	TEST_EQ(rx_age_days("1999", 11017 * day), 11017 - 10773);
	TEST_EQ(rx_age_days("2001-02-29", 20000 * day), -1);
	TEST_EQ(rx_age_days("20x1-02-02", 20000 * day), -1);
	TEST_EQ(rx_age_days(NULL, 0), -1);
	err = 0;
out:
	return err;
}

static int
test_sheet(void)
{
	struct rx_sheet s = { "IN", "Dr A", "MCI-1234", "Asha K", "F", "34 y",
		"2026-12-02", "AMOXICILLIN", "500 mg", "capsule", "oral",
		"500 mg", "3 times a day", "5 days", "cough", 1, 1, NULL, NULL,
		NULL, "PHC Kothapalli, Nalgonda", "+919876500011" };
	const char **f[] = { &s.clinician_name, &s.regno, &s.patient_name,
		&s.date, &s.inn, &s.strength, &s.form, &s.route, &s.dose,
		&s.frequency, &s.duration, &s.patient_age, &s.patient_sex,
		&s.diagnosis, &s.clinician_address, &s.clinician_contact };
	const char *keep;
	size_t i;
	int err;

	TEST_TRUE(rx_sheet_missing(&s) == NULL);
	for (i = 0; i < nitems(f); i++) {
		keep = *f[i];
		*f[i] = "";
		TEST_TRUE(rx_sheet_missing(&s) != NULL);
		*f[i] = keep;
	}
	s.regno = NULL;
	TEST_STR(rx_sheet_missing(&s), "regno");
	s.regno = "MCI-1234";
	/* India asks for the prescriber's address and contact (TPG 2020,
	 * Annexure 2): the checker names the one missing */
	s.clinician_address = NULL;
	TEST_STR(rx_sheet_missing(&s), "clinician_address");
	s.clinician_address = "PHC Kothapalli, Nalgonda";
	s.clinician_contact = "";
	TEST_STR(rx_sheet_missing(&s), "clinician_contact");
	s.region = "KE"; /* not required there */
	TEST_TRUE(rx_sheet_missing(&s) == NULL);
	s.region = "IN";
	s.clinician_contact = "dr.rao@phc.example.in";
	s.teleconsult = 0;
	TEST_STR(rx_sheet_missing(&s), "teleconsultation statement");
	s.region = "KE"; /* no Indian rule there */
	TEST_TRUE(rx_sheet_missing(&s) == NULL);
	s.signed_ = 0;
	TEST_STR(rx_sheet_missing(&s), "signature");
	err = 0;
out:
	return err;
}

static int
test_cleanup(void)
{
	rx_formulary_free(&form);
	return 0;
}

TEST_MAIN({ "formulary_shipped", test_formulary_shipped },
    { "formulary_bad", test_formulary_bad }, { "edges", test_edges },
    { "seeded_unsafe", test_seeded_unsafe }, { "clean_pass", test_clean_pass },
    { "age_days", test_age_days }, { "sheet", test_sheet },
    { "cleanup", test_cleanup });
