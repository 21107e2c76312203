/*
 * NEWS2 and WHO IMCI general danger signs, transcribed from the RCP chart
 * (2017) and the WHO IMCI Chart Booklet (2014); see triage.h.  Each chart
 * row is one function with its bands written out as the chart prints
 * them, so a reviewer can hold this file next to Chart 1.  Third-party
 * calculators are not an oracle: at least one scores every SpO2 >= 93 on
 * oxygen on scale 2 as 3, which the chart does not.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"
#include "triage.h"

/* A temperature in tenths of a degree, rounded half up (35.05 -> 351),
 * with a small allowance for binary floating point (35.05 * 10 is not
 * exactly 350.5). */
static long
tenths(double t)
{
	return (long)floor(t * 10.0 + 0.5 + 1e-6);
}

/* Respiration rate: <=8 3, 9-11 1, 12-20 0, 21-24 2, >=25 3. */
int
news2_points_rr(int rr)
{
	if (rr <= 8)
		return 3;
	if (rr <= 11)
		return 1;
	if (rr <= 20)
		return 0;
	if (rr <= 24)
		return 2;
	return 3;
}

/*
 * SpO2.  Scale 1: <=91 3, 92-93 2, 94-95 1, >=96 0.
 * Scale 2: <=83 3, 84-85 2, 86-87 1, 88-92 0, >=93 on air 0,
 * 93-94 on oxygen 1, 95-96 on oxygen 2, >=97 on oxygen 3.
 * The oxygen row itself (+2) is scored separately (NEWS2_AIR_O2).
 */
int
news2_points_spo2(int spo2, int scale2, int oxygen)
{
	if (!scale2) {
		if (spo2 <= 91)
			return 3;
		if (spo2 <= 93)
			return 2;
		if (spo2 <= 95)
			return 1;
		return 0;
	}
	if (spo2 <= 83)
		return 3;
	if (spo2 <= 85)
		return 2;
	if (spo2 <= 87)
		return 1;
	if (spo2 <= 92 || !oxygen)
		return 0;
	if (spo2 <= 94)
		return 1;
	if (spo2 <= 96)
		return 2;
	return 3;
}

/* Systolic BP: <=90 3, 91-100 2, 101-110 1, 111-219 0, >=220 3. */
int
news2_points_sbp(int sbp)
{
	if (sbp <= 90)
		return 3;
	if (sbp <= 100)
		return 2;
	if (sbp <= 110)
		return 1;
	if (sbp <= 219)
		return 0;
	return 3;
}

/* Pulse: <=40 3, 41-50 1, 51-90 0, 91-110 1, 111-130 2, >=131 3. */
int
news2_points_pulse(int pulse)
{
	if (pulse <= 40)
		return 3;
	if (pulse <= 50)
		return 1;
	if (pulse <= 90)
		return 0;
	if (pulse <= 110)
		return 1;
	if (pulse <= 130)
		return 2;
	return 3;
}

/* Consciousness: Alert 0; new Confusion, Voice, Pain, Unresponsive 3. */
int
news2_points_acvpu(int acvpu)
{
	return acvpu == TRIAGE_ALERT ? 0 : 3;
}

/*
 * Temperature, rounded to one decimal first and compared in tenths so
 * that 35.05 and floating-point noise land where the chart puts them:
 * <=35.0 3, 35.1-36.0 1, 36.1-38.0 0, 38.1-39.0 1, >=39.1 2.
 */
int
news2_points_temp(double temp)
{
	long t = tenths(temp);

	if (t <= 350)
		return 3;
	if (t <= 360)
		return 1;
	if (t <= 380)
		return 0;
	if (t <= 390)
		return 1;
	return 2;
}

/* What manual entry accepts; wider than any real patient in a clinic, so
 * it only catches typing slips (a missing digit, a misplaced point). */
static const struct news2_range ranges[NEWS2_NPARAM] = {
	[NEWS2_RR] = { "rr", N_("Respiration rate"), "/min", 0, 80, 5, 60 },
	[NEWS2_SPO2] = { "spo2", N_("SpO2"), "%", 50, 100, 70, 100 },
	[NEWS2_AIR_O2] = { "oxygen", N_("Air or oxygen"), "", 0, 1, 0, 1 },
	[NEWS2_SBP] = { "sbp", N_("Systolic BP"), "mmHg", 40, 300, 60, 250 },
	[NEWS2_PULSE] = { "pulse", N_("Pulse"), "/min", 20, 250, 30, 200 },
	[NEWS2_ACVPU] = { "acvpu", N_("Consciousness"), "", 0, 4, 0, 4 },
	[NEWS2_TEMP] = { "temp", N_("Temperature"), "\u00b0C", 25, 45, 32, 42 },
};

int
news2_unusual(enum news2_param p, double v)
{
	if ((int)p < 0 || p >= NEWS2_NPARAM)
		return 0;
	return v < ranges[p].usual_min || v > ranges[p].usual_max;
}

const struct news2_range *
news2_range(enum news2_param p)
{
	if ((int)p < 0 || p >= NEWS2_NPARAM)
		return NULL;
	return &ranges[p];
}

static int
in_range(enum news2_param p, double v)
{
	return v >= ranges[p].min && v <= ranges[p].max;
}

int
news2_score(
    const struct news2_input *in, struct news2_result *out, const char **cause)
{
	static const char *const bad[NEWS2_NPARAM] = {
		[NEWS2_RR] = "respiration rate must be 0-80 /min",
		[NEWS2_SPO2] = "SpO2 must be 50-100 %",
		[NEWS2_AIR_O2] = "oxygen must be yes or no",
		[NEWS2_SBP] = "systolic BP must be 40-300 mmHg",
		[NEWS2_PULSE] = "pulse must be 20-250 /min",
		[NEWS2_ACVPU] = "consciousness must be one of A, C, V, P, U",
		[NEWS2_TEMP] = "temperature must be 25.0-45.0 \u00b0C",
	};
	double v[NEWS2_NPARAM];
	int i, p;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < NEWS2_NPARAM; i++)
		out->points[i] = -1;

	v[NEWS2_RR] = in->rr;
	v[NEWS2_SPO2] = in->spo2;
	v[NEWS2_AIR_O2] = in->oxygen ? 1 : 0;
	v[NEWS2_SBP] = in->sbp;
	v[NEWS2_PULSE] = in->pulse;
	v[NEWS2_ACVPU] = in->acvpu;
	v[NEWS2_TEMP] = in->temp;
	for (i = 0; i < NEWS2_NPARAM; i++) {
		if (!(in->have & (1u << i)))
			continue;
		if (!in_range(i, v[i]) ||
		    (i == NEWS2_TEMP && isnan(in->temp))) {
			if (cause != NULL)
				*cause = bad[i];
			return EINVAL;
		}
	}

	if (in->age >= 0 && in->age < 16) {
		out->not_applicable = N_("not used under 16 years");
		return 0;
	}
	if (in->pregnant) {
		out->not_applicable = N_("not used in pregnancy");
		return 0;
	}
	out->applicable = 1;
	out->complete = (in->have & NEWS2_HAVE_ALL) == NEWS2_HAVE_ALL;

	for (i = 0; i < NEWS2_NPARAM; i++) {
		if (!(in->have & (1u << i)))
			continue;
		switch (i) {
		case NEWS2_RR:
			p = news2_points_rr(in->rr);
			break;
		case NEWS2_SPO2:
			/* Scale 2 on oxygen needs to know the oxygen row;
			 * unknown oxygen is scored as air (the lower bound). */
			p = news2_points_spo2(in->spo2, in->scale2 != 0,
			    (in->have & (1u << NEWS2_AIR_O2)) && in->oxygen);
			break;
		case NEWS2_AIR_O2:
			p = in->oxygen ? 2 : 0;
			break;
		case NEWS2_SBP:
			p = news2_points_sbp(in->sbp);
			break;
		case NEWS2_PULSE:
			p = news2_points_pulse(in->pulse);
			break;
		case NEWS2_ACVPU:
			p = news2_points_acvpu(in->acvpu);
			break;
		default:
			p = news2_points_temp(in->temp);
			break;
		}
		out->points[i] = p;
		out->score += p;
		if (p == 3)
			out->single3 = 1;
	}

	if (out->score >= 7)
		out->risk = NEWS2_RISK_HIGH;
	else if (out->score >= 5)
		out->risk = NEWS2_RISK_MEDIUM;
	else if (out->single3)
		out->risk = NEWS2_RISK_LOW_MEDIUM;
	else
		out->risk = NEWS2_RISK_LOW;
	out->red_flag = out->score >= 7 || out->single3;
	return 0;
}

const char *
news2_risk_name(enum news2_risk r)
{
	switch (r) {
	case NEWS2_RISK_LOW:
		return N_("low");
	case NEWS2_RISK_LOW_MEDIUM:
		return N_("low-medium");
	case NEWS2_RISK_MEDIUM:
		return N_("medium");
	case NEWS2_RISK_HIGH:
		return N_("high");
	default:
		return N_("not applicable");
	}
}

/* Chart 4: minimum frequency of monitoring. */
const char *
news2_risk_monitoring(enum news2_risk r, int score)
{
	switch (r) {
	case NEWS2_RISK_LOW:
		return score == 0 ? N_("minimum 12-hourly")
		                  : N_("minimum 4-6-hourly");
	case NEWS2_RISK_LOW_MEDIUM:
	case NEWS2_RISK_MEDIUM:
		return N_("minimum 1-hourly");
	case NEWS2_RISK_HIGH:
		return N_("continuous monitoring of vital signs");
	default:
		return N_("use clinical judgement");
	}
}

/* Chart 4: clinical response. */
const char *
news2_risk_response(enum news2_risk r, int score)
{
	switch (r) {
	case NEWS2_RISK_LOW:
		if (score == 0)
			return N_("continue routine NEWS monitoring");
		return N_("inform a registered nurse, who must assess the "
		          "patient and decide on monitoring or escalation");
	case NEWS2_RISK_LOW_MEDIUM:
		return N_("a 3 in one parameter: urgent review by a clinician "
		          "to decide on the cause and escalation");
	case NEWS2_RISK_MEDIUM:
		return N_(
		    "urgent response: urgent review by a clinician or team "
		    "competent in acute illness; consider sepsis; "
		    "monitored setting");
	case NEWS2_RISK_HIGH:
		return N_("emergency response: emergency assessment by a team "
		          "with critical-care skills including airway "
		          "management; consider transfer to level 2/3 care");
	default:
		return N_("assess with the right tool for the patient and "
		          "clinical judgement");
	}
}

int
news2_response_level(enum news2_risk r)
{
	switch (r) {
	case NEWS2_RISK_LOW_MEDIUM:
	case NEWS2_RISK_MEDIUM:
		return 1;
	case NEWS2_RISK_HIGH:
		return 2;
	default:
		return 0;
	}
}

char *
news2_describe(const struct news2_result *r, char *out, size_t len)
{
	size_t o;
	int i, n = 0;

	if (len == 0)
		return out;
	snprintf(out, len, "NEWS2 %d%s, risk %s", r->score,
	    r->complete ? "" : " so far", news2_risk_name(r->risk));
	for (i = 0; i < NEWS2_NPARAM; i++) {
		if (r->points[i] != 3)
			continue;
		o = strlen(out);
		snprintf(out + o, len - o, "%s%s",
		    n++ ? ", " : "; scored 3: ", ranges[i].label);
	}
	return out;
}

const char *
triage_child_emergency_signs(void)
{
	return N_("blocked or no breathing, severe difficulty breathing, blue "
	          "lips, cold hands with a weak fast pulse, coma, convulsions, "
	          "severe dehydration.");
}

static const char *const acvpu_names[] = {
	[TRIAGE_ALERT] = "A",
	[TRIAGE_CONFUSION] = "C",
	[TRIAGE_VOICE] = "V",
	[TRIAGE_PAIN] = "P",
	[TRIAGE_UNRESPONSIVE] = "U",
};
static const char *const acvpu_words[] = {
	[TRIAGE_ALERT] = N_("alert"),
	[TRIAGE_CONFUSION] = N_("confusion"),
	[TRIAGE_VOICE] = N_("voice"),
	[TRIAGE_PAIN] = N_("pain"),
	[TRIAGE_UNRESPONSIVE] = N_("unresponsive"),
};

int
triage_acvpu_parse(const char *s)
{
	size_t i;

	if (s == NULL)
		return -1;
	for (i = 0; i < sizeof(acvpu_names) / sizeof(acvpu_names[0]); i++)
		if (strcasecmp(s, acvpu_names[i]) == 0 ||
		    strcasecmp(s, acvpu_words[i]) == 0)
			return (int)i;
	return -1;
}

const char *
triage_acvpu_name(int acvpu)
{
	if (acvpu < 0 || acvpu > TRIAGE_UNRESPONSIVE)
		return "?";
	return acvpu_names[acvpu];
}

/* --- WHO IMCI ----------------------------------------------------------- */

const char *
imci_sign_text(int sign)
{
	switch (sign) {
	case IMCI_NOT_ABLE_TO_DRINK:
		return N_("not able to drink or breastfeed");
	case IMCI_VOMITS_EVERYTHING:
		return N_("vomits everything");
	case IMCI_CONVULSIONS:
		return N_("convulsions");
	case IMCI_LETHARGIC:
		return N_("lethargic or unconscious");
	case IMCI_CONVULSING_NOW:
		return N_("convulsing now");
	case IMCI_NOT_FEEDING_WELL:
		return N_("not feeding well");
	case IMCI_CHEST_INDRAWING:
		return N_("severe chest indrawing");
	case IMCI_MOVES_ONLY_STIMULATED:
		return N_("movement only when stimulated or no movement");
	case 16:
		return N_("fast breathing (60/min or more)");
	case 17:
		return N_("fever (37.5 \u00b0C or more)");
	case 18:
		return N_("low body temperature (below 35.5 \u00b0C)");
	default:
		return "?";
	}
}

int
imci_assess(
    const struct imci_input *in, struct imci_result *out, const char **cause)
{
	/* Signs that classify each age group (Chart Booklet 2014). */
	const unsigned child = (1u << IMCI_NOT_ABLE_TO_DRINK) |
	    (1u << IMCI_VOMITS_EVERYTHING) | (1u << IMCI_CONVULSIONS) |
	    (1u << IMCI_LETHARGIC) | (1u << IMCI_CONVULSING_NOW);
	const unsigned infant = (1u << IMCI_NOT_FEEDING_WELL) |
	    (1u << IMCI_CONVULSIONS) | (1u << IMCI_CHEST_INDRAWING) |
	    (1u << IMCI_MOVES_ONLY_STIMULATED) | (1u << IMCI_LETHARGIC) |
	    (1u << IMCI_CONVULSING_NOW) | (1u << IMCI_NOT_ABLE_TO_DRINK);
	long t10 = in->temp > 0 ? tenths(in->temp) : 0;

	memset(out, 0, sizeof(*out));
	if (in->age_months < 0) {
		if (cause != NULL)
			*cause = "age in months must not be negative";
		return EINVAL;
	}
	if (in->age_months >= 60)
		return 0;
	out->applicable = 1;
	out->fever = t10 >= 375;

	if (in->age_months < 2) {
		out->signs = in->signs & infant;
		if (in->rr >= 60)
			out->signs |= IMCI_X_FAST_BREATHING_INFANT;
		if (t10 >= 375)
			out->signs |= IMCI_X_FEVER_INFANT;
		if (t10 > 0 && t10 < 355)
			out->signs |= IMCI_X_LOW_TEMP_INFANT;
		out->fast_breathing = in->rr >= 60;
		if (out->signs != 0) {
			out->danger = 1;
			out->classification = N_("VERY SEVERE DISEASE");
			out->action =
			    N_("possible serious bacterial infection: "
			       "give first dose of antibiotics, prevent "
			       "low blood sugar, keep warm, refer "
			       "URGENTLY");
		}
		return 0;
	}

	out->signs = in->signs & child;
	out->fast_breathing = in->rr >= (in->age_months < 12 ? 50 : 40);
	if (out->signs != 0) {
		out->danger = 1;
		out->classification = N_("VERY SEVERE DISEASE");
		out->action = (out->signs & (1u << IMCI_CONVULSING_NOW))
		    ? N_("general danger sign: treat the convulsion "
		         "(diazepam), complete the assessment quickly, give "
		         "pre-referral treatment, prevent low blood sugar, "
		         "keep warm, refer URGENTLY")
		    : N_("general danger sign: complete the assessment "
		         "quickly, give pre-referral treatment, prevent low "
		         "blood sugar, keep warm, refer URGENTLY");
	}
	return 0;
}
