/*
 * Triage: the National Early Warning Score 2 (Royal College of Physicians,
 * 2017, Chart 1 scoring, Charts 3 and 4 thresholds and response) for adults,
 * and the WHO IMCI general danger signs for children (Chart Booklet, 2014).
 * The tables are transcribed in research/forms-interop.md §5 and
 * perf-reliability.md §8; tests/clinical/test_triage.c checks every band edge.
 *
 * Pure functions: no allocation, no store, no curses, no logging.  Callers
 * decide what to do with a red flag (the UI raises a store alert the CHW
 * must acknowledge).  Deliberately absent: SATS/TEWS (the research note says
 * its chart is not yet verified), and any scoring for under-16s or pregnancy,
 * where NEWS2 is "not applicable" rather than a number; a child of 5-15 gets
 * the WHO ETAT emergency signs to look for instead of a score.
 */
#ifndef KIOSK_TRIAGE_H
#define KIOSK_TRIAGE_H

#include <stddef.h>

/* The NEWS2 parameters, in chart order. */
enum news2_param {
	NEWS2_RR = 0, /* respiration rate, breaths/min */
	NEWS2_SPO2, /* oxygen saturation, %, scale 1 or 2 */
	NEWS2_AIR_O2, /* air or supplemental oxygen */
	NEWS2_SBP, /* systolic blood pressure, mmHg */
	NEWS2_PULSE, /* pulse, /min */
	NEWS2_ACVPU, /* consciousness */
	NEWS2_TEMP, /* temperature, °C to one decimal */
	NEWS2_NPARAM
};

/* Consciousness: Alert, or new Confusion, Voice, Pain, Unresponsive. */
enum triage_acvpu {
	TRIAGE_ALERT = 0,
	TRIAGE_CONFUSION,
	TRIAGE_VOICE,
	TRIAGE_PAIN,
	TRIAGE_UNRESPONSIVE,
};

/* Risk bands (Chart 3), lowest first; NA when NEWS2 does not apply. */
enum news2_risk {
	NEWS2_RISK_NA = 0,
	NEWS2_RISK_LOW, /* aggregate 0-4 */
	NEWS2_RISK_LOW_MEDIUM, /* a 3 in any single parameter */
	NEWS2_RISK_MEDIUM, /* aggregate 5-6 */
	NEWS2_RISK_HIGH, /* aggregate 7 or more */
};

struct news2_input {
	unsigned have; /* bit (1u << NEWS2_x) per parameter that was measured */
	int rr;
	int spo2;
	int scale2; /* 1 only when a clinician recorded SpO2 scale 2 */
	int oxygen; /* on supplemental oxygen (NEWS2_AIR_O2) */
	int sbp;
	int pulse;
	int acvpu; /* enum triage_acvpu */
	double temp;
	int age; /* years; negative when unknown (scored as an adult) */
	int pregnant;
};

#define NEWS2_HAVE_ALL ((1u << NEWS2_NPARAM) - 1)

struct news2_result {
	int applicable; /* 0: under 16 or pregnant; nothing else set */
	const char *not_applicable; /* the reason, when not applicable */
	int complete; /* every parameter was measured */
	int points[NEWS2_NPARAM]; /* -1 for a parameter not measured */
	int score; /* aggregate of the measured parameters, 0-20 */
	int single3; /* some parameter scored 3 */
	int red_flag; /* score >= 7 or single3: alert the CHW */
	enum news2_risk risk; /* from what was measured: a lower bound
				   when not complete */
};

/*
 * Score IN.  Temperature is rounded to one decimal before lookup; other
 * values are integers.  Parameters missing from IN->have get points -1
 * and do not count; the aggregate is then a lower bound (every missing
 * parameter can only add points), so a red flag is already certain.
 * Returns 0, or EINVAL with *CAUSE (static text) when a measured value
 * is outside the plausible range (news2_range) or ACVPU is unknown.
 */
int news2_score(
    const struct news2_input *in, struct news2_result *out, const char **cause);

/* Points for one value (the chart row), exposed for tests and the UI. */
int news2_points_rr(int rr);
int news2_points_spo2(int spo2, int scale2, int oxygen);
int news2_points_sbp(int sbp);
int news2_points_pulse(int pulse);
int news2_points_acvpu(int acvpu);
int news2_points_temp(double temp);

/* Range accepted for manual entry of a parameter: outside MIN-MAX a value
 * is impossible and refused; outside USUAL_MIN-USUAL_MAX it is possible
 * but rare enough (a slipped key: 0, 300) that the person confirms it
 * before it is stored and scored. */
struct news2_range {
	const char *name; /* "rr", "spo2", ... (JSON key) */
	const char *label; /* "Respiration rate" */
	const char *unit; /* "/min", "%", "mmHg", "°C" or "" */
	double min, max;
	double usual_min, usual_max;
};
/* 1 when V (within the range) is outside the usual range of P. */
int news2_unusual(enum news2_param p, double v);
const struct news2_range *news2_range(enum news2_param);

/* Risk band name ("low", "low-medium", "medium", "high", "not applicable"),
 * minimum monitoring and the clinical response (Chart 4).  Lent strings. */
const char *news2_risk_name(enum news2_risk);
const char *news2_risk_monitoring(enum news2_risk, int score);
const char *news2_risk_response(enum news2_risk, int score);

/* The cause of a red flag in words, for the alert record and the screen:
 * "NEWS2 9, risk high; scored 3: Respiration rate, SpO2" (" so far" after
 * the score while not every parameter is measured).  Cut to fit OUT of
 * LEN bytes; returns OUT. */
char *news2_describe(const struct news2_result *r, char *out, size_t len);

/* The response level of a risk band (RCP Chart 4): 0 routine (low), 1
 * urgent (a 3 in one parameter, or 5-6), 2 emergency (7 or more).  A red
 * flag is raised again only when this rises. */
int news2_response_level(enum news2_risk);

/* What to do for a child of 5 to 15 years, for whom there is no score
 * here (NEWS2 is for 16 and over, the IMCI danger signs for under 5): the
 * WHO ETAT emergency signs (Emergency Triage Assessment and Treatment,
 * 2016), any one of which means treat and refer now (the caller says
 * so).  Lent string. */
const char *triage_child_emergency_signs(void);

/* Parse "A", "C", "V", "P", "U" (any case) or the full word; -1 if not. */
int triage_acvpu_parse(const char *);
/* The letter for an ACVPU value ("A"...). */
const char *triage_acvpu_name(int acvpu);

/*
 * WHO IMCI: general danger signs for a child 2 months up to 5 years, and
 * the severe signs of a sick young infant (up to 2 months).  Any one sign
 * classifies VERY SEVERE DISEASE: urgent referral.
 */
enum imci_sign {
	IMCI_NOT_ABLE_TO_DRINK = 0, /* not able to drink or breastfeed */
	IMCI_VOMITS_EVERYTHING,
	IMCI_CONVULSIONS, /* convulsions in this illness */
	IMCI_LETHARGIC, /* lethargic or unconscious */
	IMCI_CONVULSING_NOW,
	/* young infant (under 2 months) */
	IMCI_NOT_FEEDING_WELL,
	IMCI_CHEST_INDRAWING, /* severe chest indrawing */
	IMCI_MOVES_ONLY_STIMULATED, /* movement only when stimulated, or none */
	IMCI_NSIGN
};

struct imci_input {
	int age_months; /* 0-59 */
	unsigned signs; /* bit (1u << IMCI_x) per sign observed */
	int rr; /* breaths/min, 0 when not counted */
	double temp; /* axillary °C, 0 when not measured */
};

struct imci_result {
	int applicable; /* 0 from 5 years on */
	int danger; /* a danger sign: VERY SEVERE DISEASE */
	unsigned signs; /* the signs that count, including those
				   derived from rr and temp (bits beyond
				   IMCI_NSIGN: IMCI_X_*) */
	int fast_breathing; /* rr at or above the age threshold */
	int fever; /* temp >= 37.5 */
	const char *classification; /* "VERY SEVERE DISEASE" or NULL */
	const char *action; /* what to do, for the screen */
};

/* Derived signs reported in imci_result.signs. */
#define IMCI_X_FAST_BREATHING_INFANT (1u << 16) /* >= 60/min under 2 months */
#define IMCI_X_FEVER_INFANT (1u << 17) /* >= 37.5 under 2 months */
#define IMCI_X_LOW_TEMP_INFANT (1u << 18) /* < 35.5 under 2 months */

/* Classify IN.  Returns 0, or EINVAL with *CAUSE for a negative age. */
int imci_assess(
    const struct imci_input *in, struct imci_result *out, const char **cause);
/* Words for a sign (IMCI_x or an IMCI_X_* bit index). */
const char *imci_sign_text(int sign);

#endif
