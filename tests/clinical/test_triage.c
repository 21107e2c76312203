/*
 * NEWS2 and IMCI danger signs (clinical/triage.c) against the RCP chart and
 * the WHO IMCI booklet.  The vectors below are written from RCP NEWS2
 * Chart 1 / Chart 3 (research/perf-reliability.md §8.1-8.2): every band
 * edge and its neighbours, both SpO2 scales on air and on oxygen, every
 * ACVPU value.  They are the repository's test-vector table (goal G-40):
 * change them only with the chart in hand, never from a calculator.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "compat.h"
#include "tests/test.h"
#include "clinical/triage.h"

struct ivec {
	int value, points;
};
struct tvec {
	double value;
	int points;
};

/* clang-format off */

/* Respiration rate: <=8 3 | 9-11 1 | 12-20 0 | 21-24 2 | >=25 3 */
static const struct ivec rr_vec[] = {
	{ 0, 3 }, { 5, 3 }, { 7, 3 }, { 8, 3 }, { 9, 1 }, { 10, 1 },
	{ 11, 1 }, { 12, 0 }, { 13, 0 }, { 16, 0 }, { 19, 0 }, { 20, 0 },
	{ 21, 2 }, { 22, 2 }, { 23, 2 }, { 24, 2 }, { 25, 3 }, { 26, 3 },
	{ 40, 3 }, { 80, 3 },
};

/* Systolic BP: <=90 3 | 91-100 2 | 101-110 1 | 111-219 0 | >=220 3 */
static const struct ivec sbp_vec[] = {
	{ 40, 3 }, { 89, 3 }, { 90, 3 }, { 91, 2 }, { 92, 2 }, { 99, 2 },
	{ 100, 2 }, { 101, 1 }, { 102, 1 }, { 109, 1 }, { 110, 1 },
	{ 111, 0 }, { 112, 0 }, { 120, 0 }, { 218, 0 }, { 219, 0 },
	{ 220, 3 }, { 221, 3 }, { 300, 3 },
};

/* Pulse: <=40 3 | 41-50 1 | 51-90 0 | 91-110 1 | 111-130 2 | >=131 3 */
static const struct ivec pulse_vec[] = {
	{ 20, 3 }, { 39, 3 }, { 40, 3 }, { 41, 1 }, { 42, 1 }, { 49, 1 },
	{ 50, 1 }, { 51, 0 }, { 52, 0 }, { 89, 0 }, { 90, 0 }, { 91, 1 },
	{ 92, 1 }, { 109, 1 }, { 110, 1 }, { 111, 2 }, { 112, 2 },
	{ 129, 2 }, { 130, 2 }, { 131, 3 }, { 132, 3 }, { 250, 3 },
};

/* Temperature: <=35.0 3 | 35.1-36.0 1 | 36.1-38.0 0 | 38.1-39.0 1 |
 * >=39.1 2.  Values are as typed, rounded to one decimal by the scorer. */
static const struct tvec temp_vec[] = {
	{ 25.0, 3 }, { 34.9, 3 }, { 35.0, 3 }, { 35.1, 1 }, { 35.2, 1 },
	{ 35.9, 1 }, { 36.0, 1 }, { 36.1, 0 }, { 36.2, 0 }, { 37.0, 0 },
	{ 37.9, 0 }, { 38.0, 0 }, { 38.1, 1 }, { 38.2, 1 }, { 38.9, 1 },
	{ 39.0, 1 }, { 39.1, 2 }, { 39.2, 2 }, { 41.0, 2 }, { 45.0, 2 },
	/* rounding to one decimal before lookup */
	{ 35.04, 3 }, { 35.05, 1 }, { 36.04, 1 }, { 36.05, 0 },
	{ 38.04, 0 }, { 38.05, 1 }, { 39.04, 1 }, { 39.05, 2 },
};

/* SpO2 scale 1 (air or oxygen alike): <=91 3 | 92-93 2 | 94-95 1 | >=96 0 */
static const struct ivec spo2_s1_vec[] = {
	{ 50, 3 }, { 85, 3 }, { 90, 3 }, { 91, 3 }, { 92, 2 }, { 93, 2 },
	{ 94, 1 }, { 95, 1 }, { 96, 0 }, { 97, 0 }, { 100, 0 },
};

/* SpO2 scale 2 on air: <=83 3 | 84-85 2 | 86-87 1 | 88-92 0 | >=93 0 */
static const struct ivec spo2_s2_air_vec[] = {
	{ 50, 3 }, { 82, 3 }, { 83, 3 }, { 84, 2 }, { 85, 2 }, { 86, 1 },
	{ 87, 1 }, { 88, 0 }, { 89, 0 }, { 92, 0 }, { 93, 0 }, { 94, 0 },
	{ 95, 0 }, { 96, 0 }, { 97, 0 }, { 98, 0 }, { 100, 0 },
};

/* SpO2 scale 2 on oxygen: <=83 3 | 84-85 2 | 86-87 1 | 88-92 0 |
 * 93-94 1 | 95-96 2 | >=97 3 */
static const struct ivec spo2_s2_o2_vec[] = {
	{ 50, 3 }, { 82, 3 }, { 83, 3 }, { 84, 2 }, { 85, 2 }, { 86, 1 },
	{ 87, 1 }, { 88, 0 }, { 89, 0 }, { 91, 0 }, { 92, 0 }, { 93, 1 },
	{ 94, 1 }, { 95, 2 }, { 96, 2 }, { 97, 3 }, { 98, 3 }, { 100, 3 },
};

/* clang-format on */

/* A normal adult: every parameter scores 0. */
static void
normal(struct news2_input *in)
{
	memset(in, 0, sizeof(*in));
	in->have = NEWS2_HAVE_ALL;
	in->rr = 16;
	in->spo2 = 97;
	in->sbp = 120;
	in->pulse = 70;
	in->acvpu = TRIAGE_ALERT;
	in->temp = 37.0;
	in->age = 40;
}

/* Each vector through the row function and through news2_score with
 * every other parameter normal, so the aggregate equals the points. */
static int
check_ivec(const char *row, const struct ivec *v, size_t n, enum news2_param p,
    int scale2, int oxygen)
{
	struct news2_input in;
	struct news2_result r;
	const char *cause = NULL;
	size_t i;
	int err = 0, got, want;

	for (i = 0; i < n; i++) {
		normal(&in);
		in.scale2 = scale2;
		in.oxygen = oxygen;
		switch (p) {
		case NEWS2_RR:
			got = news2_points_rr(v[i].value);
			in.rr = v[i].value;
			break;
		case NEWS2_SBP:
			got = news2_points_sbp(v[i].value);
			in.sbp = v[i].value;
			break;
		case NEWS2_PULSE:
			got = news2_points_pulse(v[i].value);
			in.pulse = v[i].value;
			break;
		default:
			got = news2_points_spo2(v[i].value, scale2, oxygen);
			in.spo2 = v[i].value;
			break;
		}
		if (got != v[i].points)
			TEST_FAILED("%s %d: %d points, chart says %d", row,
			    v[i].value, got, v[i].points);
		TEST_ERR(news2_score(&in, &r, &cause));
		TEST_EQ(r.applicable, 1);
		TEST_EQ(r.points[p], v[i].points);
		want = v[i].points + (oxygen ? 2 : 0);
		if (r.score != want)
			TEST_FAILED("%s %d: aggregate %d, want %d", row,
			    v[i].value, r.score, want);
		TEST_EQ(r.single3, v[i].points == 3);
	}
out:
	return err;
}

static int
test_news2_rr(void)
{
	return check_ivec("RR", rr_vec, nitems(rr_vec), NEWS2_RR, 0, 0);
}

static int
test_news2_sbp(void)
{
	return check_ivec("SBP", sbp_vec, nitems(sbp_vec), NEWS2_SBP, 0, 0);
}

static int
test_news2_pulse(void)
{
	return check_ivec(
	    "pulse", pulse_vec, nitems(pulse_vec), NEWS2_PULSE, 0, 0);
}

static int
test_news2_temp(void)
{
	struct news2_input in;
	struct news2_result r;
	size_t i;
	int err = 0, got;

	for (i = 0; i < nitems(temp_vec); i++) {
		got = news2_points_temp(temp_vec[i].value);
		if (got != temp_vec[i].points)
			TEST_FAILED("temp %.2f: %d points, chart says %d",
			    temp_vec[i].value, got, temp_vec[i].points);
		normal(&in);
		in.temp = temp_vec[i].value;
		TEST_ERR(news2_score(&in, &r, NULL));
		TEST_EQ(r.points[NEWS2_TEMP], temp_vec[i].points);
		TEST_EQ(r.score, temp_vec[i].points);
	}
out:
	return err;
}

/* Scale 1 scores the same on air and oxygen; oxygen adds its own 2. */
static int
test_news2_spo2_scale1(void)
{
	int err;

	err = check_ivec("SpO2 scale 1 air", spo2_s1_vec, nitems(spo2_s1_vec),
	    NEWS2_SPO2, 0, 0);
	if (err == 0)
		err = check_ivec("SpO2 scale 1 O2", spo2_s1_vec,
		    nitems(spo2_s1_vec), NEWS2_SPO2, 0, 1);
	return err;
}

static int
test_news2_spo2_scale2_air(void)
{
	return check_ivec("SpO2 scale 2 air", spo2_s2_air_vec,
	    nitems(spo2_s2_air_vec), NEWS2_SPO2, 1, 0);
}

static int
test_news2_spo2_scale2_oxygen(void)
{
	return check_ivec("SpO2 scale 2 O2", spo2_s2_o2_vec,
	    nitems(spo2_s2_o2_vec), NEWS2_SPO2, 1, 1);
}

/* The "air or oxygen" row: air 0, oxygen 2. */
static int
test_news2_oxygen(void)
{
	struct news2_input in;
	struct news2_result r;
	int err = 0;

	normal(&in);
	TEST_ERR(news2_score(&in, &r, NULL));
	TEST_EQ(r.points[NEWS2_AIR_O2], 0);
	TEST_EQ(r.score, 0);
	in.oxygen = 1;
	TEST_ERR(news2_score(&in, &r, NULL));
	TEST_EQ(r.points[NEWS2_AIR_O2], 2);
	TEST_EQ(r.score, 2);
	TEST_EQ(r.single3, 0);
	TEST_EQ(r.risk, NEWS2_RISK_LOW);
out:
	return err;
}

/* Alert 0; new Confusion, Voice, Pain, Unresponsive 3 each. */
static int
test_news2_acvpu(void)
{
	static const struct {
		const char *s;
		int v, points;
	} vec[] = {
		{ "A", TRIAGE_ALERT, 0 },
		{ "C", TRIAGE_CONFUSION, 3 },
		{ "V", TRIAGE_VOICE, 3 },
		{ "P", TRIAGE_PAIN, 3 },
		{ "U", TRIAGE_UNRESPONSIVE, 3 },
		{ "a", TRIAGE_ALERT, 0 },
		{ "unresponsive", TRIAGE_UNRESPONSIVE, 3 },
	};
	struct news2_input in;
	struct news2_result r;
	size_t i;
	int err = 0;

	for (i = 0; i < nitems(vec); i++) {
		TEST_EQ(triage_acvpu_parse(vec[i].s), vec[i].v);
		TEST_EQ(news2_points_acvpu(vec[i].v), vec[i].points);
		normal(&in);
		in.acvpu = vec[i].v;
		TEST_ERR(news2_score(&in, &r, NULL));
		TEST_EQ(r.points[NEWS2_ACVPU], vec[i].points);
		TEST_EQ(r.single3, vec[i].points == 3);
		TEST_EQ(r.red_flag, vec[i].points == 3);
		TEST_EQ(r.risk,
		    vec[i].points == 3 ? NEWS2_RISK_LOW_MEDIUM
		                       : NEWS2_RISK_LOW);
	}
	TEST_EQ(triage_acvpu_parse("X"), -1);
	TEST_EQ(triage_acvpu_parse(""), -1);
	TEST_STR(triage_acvpu_name(TRIAGE_PAIN), "P");
out:
	return err;
}

/*
 * Chart 3: 0 low (12-hourly); 1-4 low; a 3 in one parameter low-medium;
 * 5-6 medium; >=7 high.  Aggregates built from known sub-scores.
 */
static int
test_news2_risk_bands(void)
{
	static const struct {
		int rr, spo2, oxygen, sbp, pulse, acvpu;
		double temp;
		int score, single3;
		enum news2_risk risk;
		int red;
	} vec[] = {
		/* clang-format off */
		/* 0 */
		{ 16, 97, 0, 120, 70, 0, 37.0, 0, 0, NEWS2_RISK_LOW, 0 },
		/* 1: RR 10 */
		{ 10, 97, 0, 120, 70, 0, 37.0, 1, 0, NEWS2_RISK_LOW, 0 },
		/* 4: RR 22 (2) + SpO2 93 (2) */
		{ 22, 93, 0, 120, 70, 0, 37.0, 4, 0, NEWS2_RISK_LOW, 0 },
		/* 3 in one parameter alone: SBP 90 */
		{ 16, 97, 0, 90, 70, 0, 37.0, 3, 1, NEWS2_RISK_LOW_MEDIUM,
		    1 },
		/* 4 with a single 3: RR 7 (3) + pulse 95 (1) */
		{ 7, 97, 0, 120, 95, 0, 37.0, 4, 1, NEWS2_RISK_LOW_MEDIUM, 1 },
		/* 5: RR 22 (2) + SBP 95 (2) + temp 38.5 (1) */
		{ 22, 97, 0, 95, 70, 0, 38.5, 5, 0, NEWS2_RISK_MEDIUM, 0 },
		/* 6: oxygen (2) + SpO2 93 (2) + pulse 115 (2) */
		{ 16, 93, 1, 120, 115, 0, 37.0, 6, 0, NEWS2_RISK_MEDIUM, 0 },
		/* 6 with a 3: medium outranks the single-parameter rule,
		 * and it is still a red flag */
		{ 16, 97, 0, 120, 135, 0, 38.5, 4, 1, NEWS2_RISK_LOW_MEDIUM,
		    1 },
		{ 22, 97, 0, 120, 135, 0, 38.5, 6, 1, NEWS2_RISK_MEDIUM, 1 },
		/* 7: high */
		{ 22, 93, 0, 120, 115, 0, 38.5, 7, 0, NEWS2_RISK_HIGH, 1 },
		/* the maximum, 20: 3+3+2+3+3+3+3 */
		{ 30, 85, 1, 80, 150, TRIAGE_UNRESPONSIVE, 34.0, 20, 1,
		    NEWS2_RISK_HIGH, 1 },
		/* clang-format on */
	};
	struct news2_input in;
	struct news2_result r;
	size_t i;
	int err = 0;

	for (i = 0; i < nitems(vec); i++) {
		normal(&in);
		in.rr = vec[i].rr;
		in.spo2 = vec[i].spo2;
		in.oxygen = vec[i].oxygen;
		in.sbp = vec[i].sbp;
		in.pulse = vec[i].pulse;
		in.acvpu = vec[i].acvpu;
		in.temp = vec[i].temp;
		TEST_ERR(news2_score(&in, &r, NULL));
		if (r.score != vec[i].score || r.risk != vec[i].risk)
			TEST_FAILED("row %zu: score %d risk %s, want %d %s", i,
			    r.score, news2_risk_name(r.risk), vec[i].score,
			    news2_risk_name(vec[i].risk));
		TEST_EQ(r.single3, vec[i].single3);
		TEST_EQ(r.red_flag, vec[i].red);
		TEST_EQ(r.complete, 1);
		TEST_TRUE(r.score >= 0 && r.score <= 20);
	}
	TEST_STR(news2_risk_monitoring(NEWS2_RISK_LOW, 0), "minimum 12-hourly");
	TEST_STR(
	    news2_risk_monitoring(NEWS2_RISK_LOW, 3), "minimum 4-6-hourly");
	TEST_STR(news2_risk_monitoring(NEWS2_RISK_HIGH, 9),
	    "continuous monitoring of vital signs");
	TEST_STR(news2_risk_name(NEWS2_RISK_LOW_MEDIUM), "low-medium");
out:
	return err;
}

/* Not applicable under 16 or in pregnancy: no number at all. */
static int
test_news2_not_applicable(void)
{
	struct news2_input in;
	struct news2_result r;
	int err = 0;

	normal(&in);
	in.age = 15;
	in.rr = 30;
	TEST_ERR(news2_score(&in, &r, NULL));
	TEST_EQ(r.applicable, 0);
	TEST_EQ(r.score, 0);
	TEST_EQ(r.red_flag, 0);
	TEST_EQ(r.risk, NEWS2_RISK_NA);
	TEST_TRUE(r.not_applicable != NULL);
	TEST_STR(news2_risk_name(r.risk), "not applicable");

	in.age = 16;
	TEST_ERR(news2_score(&in, &r, NULL));
	TEST_EQ(r.applicable, 1);
	TEST_EQ(r.score, 3);

	in.age = 0;
	TEST_ERR(news2_score(&in, &r, NULL));
	TEST_EQ(r.applicable, 0);

	in.age = -1; /* unknown: scored as an adult */
	TEST_ERR(news2_score(&in, &r, NULL));
	TEST_EQ(r.applicable, 1);

	in.age = 30;
	in.pregnant = 1;
	TEST_ERR(news2_score(&in, &r, NULL));
	TEST_EQ(r.applicable, 0);
	TEST_TRUE(strstr(r.not_applicable, "pregnan") != NULL);
out:
	return err;
}

/* Missing parameters: the aggregate is a lower bound and a 3 is a red
 * flag before the rest is measured. */
static int
test_news2_partial(void)
{
	struct news2_input in;
	struct news2_result r;
	int err = 0;

	memset(&in, 0, sizeof(in));
	in.age = -1;
	TEST_ERR(news2_score(&in, &r, NULL));
	TEST_EQ(r.complete, 0);
	TEST_EQ(r.score, 0);
	TEST_EQ(r.points[NEWS2_RR], -1);

	in.have = 1u << NEWS2_PULSE;
	in.pulse = 35;
	TEST_ERR(news2_score(&in, &r, NULL));
	TEST_EQ(r.complete, 0);
	TEST_EQ(r.points[NEWS2_PULSE], 3);
	TEST_EQ(r.score, 3);
	TEST_EQ(r.red_flag, 1);

	/* scale 2 SpO2 97 with oxygen unknown scores as air (lower bound) */
	in.have = 1u << NEWS2_SPO2;
	in.spo2 = 97;
	in.scale2 = 1;
	in.oxygen = 1;
	TEST_ERR(news2_score(&in, &r, NULL));
	TEST_EQ(r.points[NEWS2_SPO2], 0);
	in.have |= 1u << NEWS2_AIR_O2;
	TEST_ERR(news2_score(&in, &r, NULL));
	TEST_EQ(r.points[NEWS2_SPO2], 3);
	TEST_EQ(r.score, 5);
out:
	return err;
}

/* Implausible values are refused with a reason, not scored. */
static int
test_news2_ranges(void)
{
	struct news2_input in;
	struct news2_result r;
	const char *cause;
	int err = 0;

	normal(&in);
	in.spo2 = 101;
	cause = NULL;
	TEST_EQ(news2_score(&in, &r, &cause), EINVAL);
	TEST_TRUE(cause != NULL && strstr(cause, "SpO2") != NULL);
	normal(&in);
	in.temp = 370; /* a missing decimal point */
	TEST_EQ(news2_score(&in, &r, &cause), EINVAL);
	normal(&in);
	in.pulse = -5;
	TEST_EQ(news2_score(&in, &r, &cause), EINVAL);
	normal(&in);
	in.acvpu = 9;
	TEST_EQ(news2_score(&in, &r, &cause), EINVAL);
	/* an out-of-range value that was not measured is ignored */
	normal(&in);
	in.have &= ~(1u << NEWS2_SBP);
	in.sbp = 9999;
	TEST_ERR(news2_score(&in, &r, &cause));
	TEST_STR(news2_range(NEWS2_SBP)->name, "sbp");
	/* possible but unusual: asked again before it is scored */
	TEST_EQ(news2_unusual(NEWS2_RR, 0), 1);
	TEST_EQ(news2_unusual(NEWS2_RR, 5), 0);
	TEST_EQ(news2_unusual(NEWS2_RR, 60), 0);
	TEST_EQ(news2_unusual(NEWS2_RR, 61), 1);
	TEST_EQ(news2_unusual(NEWS2_SBP, 300), 1);
	TEST_EQ(news2_unusual(NEWS2_SBP, 250), 0);
	TEST_EQ(news2_unusual(NEWS2_SBP, 59), 1);
	TEST_EQ(news2_unusual(NEWS2_SPO2, 69), 1);
	TEST_EQ(news2_unusual(NEWS2_PULSE, 201), 1);
	TEST_EQ(news2_unusual(NEWS2_TEMP, 31.9), 1);
	TEST_EQ(news2_unusual(NEWS2_TEMP, 36.8), 0);
	TEST_EQ(news2_unusual(NEWS2_ACVPU, 4), 0);
out:
	return err;
}

/* WHO IMCI: any general danger sign in a child 2-59 months is VERY
 * SEVERE DISEASE; each sign alone is enough. */
static int
test_imci_danger_signs(void)
{
	static const int child_signs[] = { IMCI_NOT_ABLE_TO_DRINK,
		IMCI_VOMITS_EVERYTHING, IMCI_CONVULSIONS, IMCI_LETHARGIC,
		IMCI_CONVULSING_NOW };
	struct imci_input in;
	struct imci_result r;
	const char *cause = NULL;
	size_t i;
	int err = 0;

	memset(&in, 0, sizeof(in));
	in.age_months = 24;
	TEST_ERR(imci_assess(&in, &r, &cause));
	TEST_EQ(r.applicable, 1);
	TEST_EQ(r.danger, 0);
	TEST_TRUE(r.classification == NULL);

	for (i = 0; i < nitems(child_signs); i++) {
		in.signs = 1u << child_signs[i];
		TEST_ERR(imci_assess(&in, &r, &cause));
		TEST_EQ(r.danger, 1);
		TEST_STR(r.classification, "VERY SEVERE DISEASE");
		TEST_TRUE(strstr(r.action, "URGENTLY") != NULL);
		TEST_EQ(r.signs, 1u << child_signs[i]);
	}
	in.signs = 1u << IMCI_CONVULSING_NOW;
	TEST_ERR(imci_assess(&in, &r, &cause));
	TEST_TRUE(strstr(r.action, "diazepam") != NULL);

	/* young-infant-only signs do not classify an older child */
	in.signs = 1u << IMCI_NOT_FEEDING_WELL;
	TEST_ERR(imci_assess(&in, &r, &cause));
	TEST_EQ(r.danger, 0);

	/* fast breathing: >=50 at 2-11 months, >=40 at 12-59 months; not
	 * itself a danger sign */
	in.signs = 0;
	in.age_months = 11;
	in.rr = 49;
	TEST_ERR(imci_assess(&in, &r, &cause));
	TEST_EQ(r.fast_breathing, 0);
	in.rr = 50;
	TEST_ERR(imci_assess(&in, &r, &cause));
	TEST_EQ(r.fast_breathing, 1);
	TEST_EQ(r.danger, 0);
	in.age_months = 12;
	in.rr = 39;
	TEST_ERR(imci_assess(&in, &r, &cause));
	TEST_EQ(r.fast_breathing, 0);
	in.rr = 40;
	TEST_ERR(imci_assess(&in, &r, &cause));
	TEST_EQ(r.fast_breathing, 1);

	/* fever: 37.5 and above */
	in.temp = 37.4;
	TEST_ERR(imci_assess(&in, &r, &cause));
	TEST_EQ(r.fever, 0);
	in.temp = 37.5;
	TEST_ERR(imci_assess(&in, &r, &cause));
	TEST_EQ(r.fever, 1);

	/* from 5 years: not applicable */
	in.age_months = 59;
	in.signs = 1u << IMCI_LETHARGIC;
	TEST_ERR(imci_assess(&in, &r, &cause));
	TEST_EQ(r.danger, 1);
	in.age_months = 60;
	TEST_ERR(imci_assess(&in, &r, &cause));
	TEST_EQ(r.applicable, 0);
	TEST_EQ(r.danger, 0);

	in.age_months = -1;
	TEST_EQ(imci_assess(&in, &r, &cause), EINVAL);
out:
	return err;
}

/* Sick young infant (under 2 months): fast breathing >=60, fever >=37.5,
 * low temperature <35.5 and the infant signs each mean very severe
 * disease. */
static int
test_imci_young_infant(void)
{
	struct imci_input in;
	struct imci_result r;
	int err = 0;

	memset(&in, 0, sizeof(in));
	in.age_months = 1;
	in.rr = 59;
	in.temp = 36.5;
	TEST_ERR(imci_assess(&in, &r, NULL));
	TEST_EQ(r.danger, 0);
	in.rr = 60;
	TEST_ERR(imci_assess(&in, &r, NULL));
	TEST_EQ(r.danger, 1);
	TEST_EQ(r.signs, IMCI_X_FAST_BREATHING_INFANT);
	in.rr = 40;
	in.temp = 37.5;
	TEST_ERR(imci_assess(&in, &r, NULL));
	TEST_EQ(r.signs, IMCI_X_FEVER_INFANT);
	in.temp = 37.4;
	TEST_ERR(imci_assess(&in, &r, NULL));
	TEST_EQ(r.danger, 0);
	in.temp = 35.5;
	TEST_ERR(imci_assess(&in, &r, NULL));
	TEST_EQ(r.danger, 0);
	in.temp = 35.4;
	TEST_ERR(imci_assess(&in, &r, NULL));
	TEST_EQ(r.signs, IMCI_X_LOW_TEMP_INFANT);
	in.temp = 0; /* not measured */
	in.signs = 1u << IMCI_CHEST_INDRAWING;
	TEST_ERR(imci_assess(&in, &r, NULL));
	TEST_EQ(r.danger, 1);
	TEST_TRUE(strstr(r.action, "URGENTLY") != NULL);
	in.signs = 1u << IMCI_MOVES_ONLY_STIMULATED;
	TEST_ERR(imci_assess(&in, &r, NULL));
	TEST_EQ(r.danger, 1);
	TEST_STR(
	    imci_sign_text(IMCI_CHEST_INDRAWING), "severe chest indrawing");
out:
	return err;
}

/* The cause words stored with a red flag, and the response levels at
 * which one is raised again (RCP Chart 4). */
static int
test_news2_describe(void)
{
	struct news2_input in = { 0 };
	struct news2_result r;
	char buf[160];
	int err = 0;

	in.age = -1;
	in.have = (1u << NEWS2_RR) | (1u << NEWS2_SBP) | (1u << NEWS2_PULSE);
	in.rr = 26; /* 3 */
	in.sbp = 90; /* 3 */
	in.pulse = 72; /* 0 */
	TEST_ERR(news2_score(&in, &r, NULL));
	TEST_STR(news2_describe(&r, buf, sizeof(buf)),
	    "NEWS2 6 so far, risk medium; scored 3: Respiration rate, "
	    "Systolic BP");
	in.sbp = 120;
	TEST_ERR(news2_score(&in, &r, NULL));
	TEST_STR(news2_describe(&r, buf, sizeof(buf)),
	    "NEWS2 3 so far, risk low-medium; scored 3: Respiration rate");
	/* cut to fit, never past the buffer */
	TEST_STR(news2_describe(&r, buf, 8), "NEWS2 3");
	TEST_EQ(news2_response_level(NEWS2_RISK_LOW), 0);
	TEST_EQ(news2_response_level(NEWS2_RISK_LOW_MEDIUM), 1);
	TEST_EQ(news2_response_level(NEWS2_RISK_MEDIUM), 1);
	TEST_EQ(news2_response_level(NEWS2_RISK_HIGH), 2);
	TEST_EQ(news2_response_level(NEWS2_RISK_NA), 0);
out:
	return err;
}

TEST_MAIN({ "news2_rr", test_news2_rr },
    { "news2_describe", test_news2_describe }, { "news2_sbp", test_news2_sbp },
    { "news2_pulse", test_news2_pulse }, { "news2_temp", test_news2_temp },
    { "news2_spo2_scale1", test_news2_spo2_scale1 },
    { "news2_spo2_scale2_air", test_news2_spo2_scale2_air },
    { "news2_spo2_scale2_oxygen", test_news2_spo2_scale2_oxygen },
    { "news2_oxygen", test_news2_oxygen }, { "news2_acvpu", test_news2_acvpu },
    { "news2_risk_bands", test_news2_risk_bands },
    { "news2_not_applicable", test_news2_not_applicable },
    { "news2_partial", test_news2_partial },
    { "news2_ranges", test_news2_ranges },
    { "imci_danger_signs", test_imci_danger_signs },
    { "imci_young_infant", test_imci_young_infant })
