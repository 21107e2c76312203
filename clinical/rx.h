/*
 * Prescriptions (issue 14): a region's formulary, shipped as data
 * (clinical/formulary/<region>.tsv, each number with its source), and the
 * safety checks of an order against it, the patient and the consult
 * (research/workflows.md §4.4 and §6.6):
 *
 *   hard blocks (the order cannot be signed): not in the formulary, a
 *   route the product does not have, a drug prohibited by telemedicine,
 *   a list-A drug on a first consult that is not by video, a list-B drug
 *   on a first consult, a dose or a daily dose above the absolute
 *   maximum, a patient younger or lighter than the product allows, a
 *   child's order without the weight measured at this visit, an
 *   unknown age;
 *   soft blocks (signed only with an override reason, which is audited):
 *   a dose or daily dose above the usual maximum, a child's dose above
 *   the usual mg/kg, a duplicate ingredient among the patient's active
 *   orders, a documented allergy matching the drug or its class.
 *
 * Pure functions: no file, no store, no logging (the caller reads the
 * formulary file and passes its text).  The kiosk checks before signing
 * and the sync server checks again at push (sync-server/policy.c).
 */
#ifndef CLINICAL_RX_H
#define CLINICAL_RX_H

#include <stddef.h>
#include <stdint.h>

/* Telemedicine list classes (India TPG 2020). */
enum rx_class {
	RX_CLASS_O = 0, /* any mode */
	RX_CLASS_A, /* first consult by video only */
	RX_CLASS_B, /* follow-up only */
	RX_CLASS_P, /* prohibited */
};

/* "No limit" in a formulary number column. */
#define RX_NONE (-1.0)
/* Children (mg/kg checks, weight required) are under this age. */
#define RX_CHILD_DAYS 4383 /* 12 years */

struct rx_item {
	char *code, *inn, *ingredients, *form, *strength, *unit, *routes;
	char *allergy, *source;
	int cls; /* enum rx_class */
	int min_age_days;
	double min_weight_kg; /* RX_NONE: any */
	double dose_usual, dose_abs, day_usual, day_abs; /* RX_NONE: none */
	double kg_dose, kg_day; /* RX_NONE: no mg/kg rule */
};

struct rx_formulary {
	char region[8];
	struct rx_item *items;
	size_t n;
};

/*
 * Parse formulary TEXT (LEN bytes, the TSV of clinical/formulary/) of
 * REGION.  EINVAL with WHY (line number and column) on a bad line; F is
 * then empty.  Free with rx_formulary_free.
 */
int rx_formulary_parse(const char *text, size_t len, const char *region,
    struct rx_formulary *f, char *why, size_t wlen);
void rx_formulary_free(struct rx_formulary *f);
/* The item of CODE (case-sensitive), NULL when the formulary has none. */
const struct rx_item *rx_formulary_find(
    const struct rx_formulary *f, const char *code);

/* An order as the clinician writes it. */
struct rx_order {
	const char *code; /* formulary code */
	const char *route;
	double dose; /* in the item's unit */
	unsigned per_day; /* doses a day, 1-24 */
	unsigned days; /* duration, 1-365 */
};

/* What the checks know of the patient and the consult. */
struct rx_context {
	int age_days; /* -1: unknown */
	double weight_kg; /* measured at this visit; 0: none */
	const char *allergies; /* the patient's documented list; NULL: none */
	const char *mode; /* "video", "voice", "store-forward" */
	int first_consult; /* first, > 6 months since the last, or new complaint */
	/* the ingredients of the patient's active orders, "+"-joined each */
	const char *const *active;
	size_t nactive;
};

enum rx_check {
	RX_FORMULARY = 1, /* not in the formulary */
	RX_ROUTE,
	RX_PROHIBITED,
	RX_CLASS_MODE, /* list A on a first consult not by video */
	RX_CLASS_FIRST, /* list B on a first consult */
	RX_DOSE_ABS,
	RX_DAY_ABS,
	RX_AGE, /* under the minimum age, or age unknown */
	RX_WEIGHT, /* under the minimum weight, or a child not weighed */
	RX_DOSE_USUAL,
	RX_DAY_USUAL,
	RX_MGKG, /* a child's dose or daily dose above the usual mg/kg */
	RX_DUPLICATE,
	RX_ALLERGY,
	RX_SHAPE, /* frequency or duration out of range */
	RX_CHECK_MAX = RX_SHAPE,
};

enum rx_level { RX_PASS = 0, RX_SOFT = 1, RX_HARD = 2 };

#define RX_FINDINGS_MAX 16
struct rx_finding {
	int check; /* enum rx_check */
	int level; /* RX_SOFT or RX_HARD */
	char text[160]; /* in English, names the drug and the limit */
};

struct rx_result {
	int level; /* the highest level found */
	size_t n;
	struct rx_finding f[RX_FINDINGS_MAX];
};

/* Check order O against F and the context C into R.  Never fails. */
void rx_check(const struct rx_formulary *f, const struct rx_order *o,
    const struct rx_context *c, struct rx_result *r);
/* Does R hold a finding of CHECK? */
int rx_result_has(const struct rx_result *r, int check);
const char *rx_check_name(int check);
const char *rx_class_name(int cls);

/* Age in days on TODAY_MS (Unix ms) of BIRTH ("YYYY-MM-DD" or "YYYY",
 * a year alone taken as 1 July); -1 when BIRTH is not a date. */
int rx_age_days(const char *birth, uint64_t today_ms);

/*
 * The issued sheet, as the region's checker sees it.  Every field a
 * region requires must be set and non-empty (rx_sheet_missing).
 */
struct rx_sheet {
	const char *region;
	const char *clinician_name, *regno;
	const char *patient_name, *patient_sex, *patient_age;
	const char *date; /* YYYY-MM-DD */
	const char *inn, *strength, *form, *route;
	const char *dose, *frequency, *duration;
	const char *diagnosis; /* the consult's assessment */
	int signed_; /* carries a verified signature */
	int teleconsult; /* says it was issued by teleconsultation */
	/* Printed when known, required by no region yet: the signer's
	 * qualification (the licence snapshot's cadre and regulator), the
	 * patient's address (village) and contact (phone). */
	const char *qualification;
	const char *patient_address, *patient_contact;
	/* The signer's practice address and contact (phone or e-mail), as
	 * the region's licence snapshot holds them: India requires both. */
	const char *clinician_address, *clinician_contact;
};

/* The name of the first field SHEET lacks that its region requires,
 * NULL when none (a region without a rule requires the common ones). */
const char *rx_sheet_missing(const struct rx_sheet *sheet);

#endif
