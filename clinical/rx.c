/*
 * The formulary and the order checks of rx.h.  The rules, hard and soft,
 * are research/workflows.md §6.6; the numbers are the formulary file's.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rx.h"
#include "compat.h"
#include "str.h"
#include "xmalloc.h"

enum {
	COL_CODE,
	COL_INN,
	COL_INGREDIENTS,
	COL_FORM,
	COL_STRENGTH,
	COL_UNIT,
	COL_ROUTES,
	COL_CLASS,
	COL_MIN_AGE,
	COL_MIN_WEIGHT,
	COL_DOSE_USUAL,
	COL_DOSE_ABS,
	COL_DAY_USUAL,
	COL_DAY_ABS,
	COL_KG_DOSE,
	COL_KG_DAY,
	COL_ALLERGY,
	COL_SOURCE,
	NCOLS
};

static const char *const col_names[NCOLS] = { "code", "inn", "ingredients",
	"form", "strength", "unit", "routes", "class", "min_age_days",
	"min_weight_kg", "dose_usual", "dose_abs", "day_usual", "day_abs",
	"kg_dose", "kg_day", "allergy", "source" };

static void
rx_item_free(struct rx_item *it)
{
	free(it->code);
	free(it->inn);
	free(it->ingredients);
	free(it->form);
	free(it->strength);
	free(it->unit);
	free(it->routes);
	free(it->allergy);
	free(it->source);
}

void
rx_formulary_free(struct rx_formulary *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		rx_item_free(&f->items[i]);
	free(f->items);
	memset(f, 0, sizeof(*f));
}

/* A number column: "-" is RX_NONE; else a finite value >= 0. */
static int
rx_num(const char *s, double *out)
{
	if (strcmp(s, "-") == 0) {
		*out = RX_NONE;
		return 0;
	}
	if (str_to_double(s, out) != 0 || !isfinite(*out) || *out < 0)
		return EINVAL;
	return 0;
}

static int
rx_class_of(const char *s)
{
	if (strcmp(s, "O") == 0)
		return RX_CLASS_O;
	if (strcmp(s, "A") == 0)
		return RX_CLASS_A;
	if (strcmp(s, "B") == 0)
		return RX_CLASS_B;
	if (strcmp(s, "P") == 0)
		return RX_CLASS_P;
	return -1;
}

/* Fill IT from the NCOLS fields of one line; the bad column's index on
 * failure, else -1. */
static int
rx_item_from(char **col, struct rx_item *it)
{
	double *num[] = { &it->min_weight_kg, &it->dose_usual, &it->dose_abs,
		&it->day_usual, &it->day_abs, &it->kg_dose, &it->kg_day };
	long long age;
	size_t i;

	if (col[COL_CODE][0] == '\0' || strcmp(col[COL_CODE], "-") == 0)
		return COL_CODE;
	if (col[COL_INN][0] == '\0')
		return COL_INN;
	if (col[COL_ROUTES][0] == '\0')
		return COL_ROUTES;
	if ((it->cls = rx_class_of(col[COL_CLASS])) < 0)
		return COL_CLASS;
	if (str_to_ll(col[COL_MIN_AGE], 0, 50000, &age) != 0)
		return COL_MIN_AGE;
	it->min_age_days = (int)age;
	for (i = 0; i < nitems(num); i++)
		if (rx_num(col[COL_MIN_WEIGHT + i], num[i]) != 0)
			return (int)(COL_MIN_WEIGHT + i);
	/* an absolute maximum below the usual one is a typing error */
	if (it->dose_abs >= 0 && it->dose_usual > it->dose_abs)
		return COL_DOSE_ABS;
	if (it->day_abs >= 0 && it->day_usual > it->day_abs)
		return COL_DAY_ABS;
	it->code = xstrdup(col[COL_CODE]);
	it->inn = xstrdup(col[COL_INN]);
	it->ingredients = xstrdup(col[COL_INGREDIENTS]);
	it->form = xstrdup(col[COL_FORM]);
	it->strength = xstrdup(col[COL_STRENGTH]);
	it->unit = xstrdup(col[COL_UNIT]);
	it->routes = xstrdup(col[COL_ROUTES]);
	it->allergy = xstrdup(col[COL_ALLERGY]);
	it->source = xstrdup(col[COL_SOURCE]);
	return -1;
}

/* Split LINE at tabs into COL; the number of fields (NCOLS + 1 when
 * there are more). */
static size_t
rx_split(char *line, char **col)
{
	size_t n = 0;
	char *p = line;

	for (;;) {
		if (n == NCOLS)
			return NCOLS + 1;
		col[n++] = p;
		if ((p = strchr(p, '\t')) == NULL)
			return n;
		*p++ = '\0';
	}
}

/* The header line must name the columns in order. */
static int
rx_header_ok(char **col, size_t lineno, char *why, size_t wlen)
{
	size_t i;

	for (i = 0; i < NCOLS; i++)
		if (strcmp(col[i], col_names[i]) != 0) {
			snprintf(why, wlen,
			    "line %zu: the header's column %zu is not \"%s\"",
			    lineno, i + 1, col_names[i]);
			return EINVAL;
		}
	return 0;
}

int
rx_formulary_parse(const char *text, size_t len, const char *region,
    struct rx_formulary *f, char *why, size_t wlen)
{
	char *buf, *line, *next, *col[NCOLS], *p;
	size_t ncol, lineno = 0;
	int bad, header = 0, err = 0;

	memset(f, 0, sizeof(*f));
	if (why != NULL && wlen > 0)
		why[0] = '\0';
	str_lcpy(f->region, region ? region : "", sizeof(f->region));
	buf = xstrndup(text, len);
	for (line = buf; line != NULL && err == 0; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((p = strchr(line, '\r')) != NULL)
			*p = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if ((ncol = rx_split(line, col)) != NCOLS) {
			snprintf(why, wlen, "line %zu: %s columns than %d",
			    lineno, ncol < NCOLS ? "fewer" : "more", NCOLS);
			err = EINVAL;
		} else if (!header) {
			err = rx_header_ok(col, lineno, why, wlen);
			header = 1;
		} else {
			f->items = xreallocarray(
			    f->items, f->n + 1, sizeof(*f->items));
			memset(&f->items[f->n], 0, sizeof(f->items[f->n]));
			if ((bad = rx_item_from(col, &f->items[f->n])) >= 0) {
				snprintf(why, wlen, "line %zu: bad %s", lineno,
				    col_names[bad]);
				err = EINVAL;
			} else if (rx_formulary_find(f, f->items[f->n].code) !=
			    NULL) {
				snprintf(why, wlen, "line %zu: code %s twice",
				    lineno, f->items[f->n].code);
				rx_item_free(&f->items[f->n]);
				err = EINVAL;
			} else
				f->n++;
		}
	}
	if (err == 0 && f->n == 0) {
		snprintf(why, wlen, "no medicine in the formulary");
		err = EINVAL;
	}
	free(buf);
	if (err != 0)
		rx_formulary_free(f);
	return err;
}

const struct rx_item *
rx_formulary_find(const struct rx_formulary *f, const char *code)
{
	size_t i;

	for (i = 0; code != NULL && i < f->n; i++)
		if (strcmp(f->items[i].code, code) == 0)
			return &f->items[i];
	return NULL;
}

/* Is WORD (WLEN bytes) one of the SEP-separated words of LIST
 * (case-insensitive, spaces around each ignored)? */
static int
rx_in_list(const char *list, int sep, const char *word, size_t wlen)
{
	const char *p = list, *e, *a, *b;

	while (wlen > 0 && isspace((unsigned char)*word)) {
		word++;
		wlen--;
	}
	while (wlen > 0 && isspace((unsigned char)word[wlen - 1]))
		wlen--;
	if (wlen == 0 || list == NULL)
		return 0;
	for (;;) {
		if ((e = strchr(p, sep)) == NULL)
			e = p + strlen(p);
		for (a = p; a < e && isspace((unsigned char)*a); a++)
			;
		for (b = e; b > a && isspace((unsigned char)b[-1]); b--)
			;
		if ((size_t)(b - a) == wlen && strncasecmp(a, word, wlen) == 0)
			return 1;
		if (*e == '\0')
			return 0;
		p = e + 1;
	}
}

/* The first word of LIST (SEP-separated) that is also in OTHER (OSEP),
 * its length in *N; NULL when none. */
static const char *
rx_common(const char *list, int sep, const char *other, int osep, size_t *n)
{
	const char *p = list, *e;

	if (list == NULL || other == NULL)
		return NULL;
	for (;;) {
		if ((e = strchr(p, sep)) == NULL)
			e = p + strlen(p);
		if (rx_in_list(other, osep, p, (size_t)(e - p))) {
			*n = (size_t)(e - p);
			return p;
		}
		if (*e == '\0')
			return NULL;
		p = e + 1;
	}
}

static void rx_add(struct rx_result *r, int check, int level, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static void
rx_add(struct rx_result *r, int check, int level, const char *fmt, ...)
{
	va_list ap;

	if (level > r->level)
		r->level = level;
	if (r->n >= RX_FINDINGS_MAX)
		return;
	r->f[r->n].check = check;
	r->f[r->n].level = level;
	va_start(ap, fmt);
	vsnprintf(r->f[r->n].text, sizeof(r->f[r->n].text), fmt, ap);
	va_end(ap);
	r->n++;
}

/* The list class against the consult's mode and first/follow-up. */
static void
rx_check_class(
    const struct rx_item *it, const struct rx_context *c, struct rx_result *r)
{
	int video = c->mode != NULL && strcmp(c->mode, "video") == 0;

	switch (it->cls) {
	case RX_CLASS_P:
		rx_add(r, RX_PROHIBITED, RX_HARD,
		    "%s may not be prescribed by telemedicine", it->inn);
		break;
	case RX_CLASS_A:
		if (c->first_consult && !video)
			rx_add(r, RX_CLASS_MODE, RX_HARD,
			    "%s (list A) needs a video call on a first consult",
			    it->inn);
		break;
	case RX_CLASS_B:
		if (c->first_consult)
			rx_add(r, RX_CLASS_FIRST, RX_HARD,
			    "%s (list B) only on a follow-up consult", it->inn);
		break;
	}
}

/* A child's dose against the usual mg/kg of the weight measured at this
 * visit. */
static void
rx_check_child(const struct rx_item *it, const struct rx_order *o,
    const struct rx_context *c, struct rx_result *r)
{
	double day = o->dose * o->per_day;

	if (it->kg_dose < 0 && it->kg_day < 0)
		return;
	if (c->weight_kg <= 0) {
		rx_add(r, RX_WEIGHT, RX_HARD,
		    "weigh the child at this visit before prescribing %s",
		    it->inn);
		return;
	}
	if (it->kg_dose >= 0 && o->dose > it->kg_dose * c->weight_kg + 1e-9)
		rx_add(r, RX_MGKG, RX_SOFT,
		    "%s %g %s a dose is above %g %s/kg for %.1f kg", it->inn,
		    o->dose, it->unit, it->kg_dose, it->unit, c->weight_kg);
	else if (it->kg_day >= 0 && day > it->kg_day * c->weight_kg + 1e-9)
		rx_add(r, RX_MGKG, RX_SOFT,
		    "%s %g %s a day is above %g %s/kg for %.1f kg", it->inn,
		    day, it->unit, it->kg_day, it->unit, c->weight_kg);
}

/* Dose and daily dose against the usual and absolute maxima. */
static void
rx_check_dose(const struct rx_item *it, const struct rx_order *o,
    const struct rx_context *c, struct rx_result *r)
{
	double day = o->dose * o->per_day;

	if (it->dose_abs >= 0 && o->dose > it->dose_abs)
		rx_add(r, RX_DOSE_ABS, RX_HARD,
		    "%s %g %s a dose is above the maximum %g", it->inn, o->dose,
		    it->unit, it->dose_abs);
	else if (it->dose_usual >= 0 && o->dose > it->dose_usual)
		rx_add(r, RX_DOSE_USUAL, RX_SOFT,
		    "%s %g %s a dose is above the usual %g", it->inn, o->dose,
		    it->unit, it->dose_usual);
	if (it->day_abs >= 0 && day > it->day_abs)
		rx_add(r, RX_DAY_ABS, RX_HARD,
		    "%s %g %s a day is above the maximum %g", it->inn, day,
		    it->unit, it->day_abs);
	else if (it->day_usual >= 0 && day > it->day_usual)
		rx_add(r, RX_DAY_USUAL, RX_SOFT,
		    "%s %g %s a day is above the usual %g", it->inn, day,
		    it->unit, it->day_usual);
	if (c->age_days >= 0 && c->age_days < RX_CHILD_DAYS)
		rx_check_child(it, o, c, r);
}

/* Age and weight against the product's minima. */
static void
rx_check_age(
    const struct rx_item *it, const struct rx_context *c, struct rx_result *r)
{
	if (c->age_days < 0)
		rx_add(r, RX_AGE, RX_HARD, "the patient's age is not known");
	else if (c->age_days < it->min_age_days)
		rx_add(r, RX_AGE, RX_HARD,
		    "%s is not for a patient under %d days old", it->inn,
		    it->min_age_days);
	if (it->min_weight_kg <= 0)
		return;
	/* a minimum weight is a child's rule: an adult need not be weighed */
	if (c->weight_kg <= 0) {
		if (c->age_days >= 0 && c->age_days < RX_CHILD_DAYS &&
		    !rx_result_has(r, RX_WEIGHT))
			rx_add(r, RX_WEIGHT, RX_HARD,
			    "weigh the patient at this visit before "
			    "prescribing %s",
			    it->inn);
	} else if (c->weight_kg < it->min_weight_kg)
		rx_add(r, RX_WEIGHT, RX_HARD,
		    "%s is not for a patient under %g kg", it->inn,
		    it->min_weight_kg);
}

/* Duplicate ingredient and documented allergy. */
static void
rx_check_patient(
    const struct rx_item *it, const struct rx_context *c, struct rx_result *r)
{
	const char *w;
	char *copy, *p;
	size_t i, n;

	for (i = 0; i < c->nactive; i++)
		if ((w = rx_common(it->ingredients, '+', c->active[i], '+',
		         &n)) != NULL) {
			rx_add(r, RX_DUPLICATE, RX_SOFT,
			    "%.*s is already in an active prescription", (int)n,
			    w);
			break;
		}
	if (c->allergies == NULL || c->allergies[0] == '\0')
		return;
	/* the documented list is comma-, semicolon- or newline-separated */
	copy = xstrdup(c->allergies);
	for (p = copy; *p; p++)
		if (*p == ';' || *p == '\n')
			*p = ',';
	if ((w = rx_common(copy, ',', it->allergy, '|', &n)) == NULL)
		w = rx_common(copy, ',', it->ingredients, '+', &n);
	if (w != NULL)
		rx_add(r, RX_ALLERGY, RX_SOFT, "documented allergy: %.*s (%s)",
		    (int)n, w, it->inn);
	free(copy);
}

void
rx_check(const struct rx_formulary *f, const struct rx_order *o,
    const struct rx_context *c, struct rx_result *r)
{
	const struct rx_item *it;

	memset(r, 0, sizeof(*r));
	if ((it = rx_formulary_find(f, o->code)) == NULL) {
		rx_add(r, RX_FORMULARY, RX_HARD,
		    "%s is not in the formulary of region %s",
		    o->code ? o->code : "(none)", f->region);
		return;
	}
	if (o->route == NULL || strchr(o->route, '|') != NULL ||
	    !rx_in_list(it->routes, '|', o->route, strlen(o->route)))
		rx_add(r, RX_ROUTE, RX_HARD, "%s %s is not given by route %s",
		    it->inn, it->form, o->route ? o->route : "(none)");
	rx_check_class(it, c, r);
	if (o->per_day < 1 || o->per_day > 24 || o->days < 1 || o->days > 365 ||
	    !isfinite(o->dose) || o->dose <= 0)
		rx_add(r, RX_SHAPE, RX_HARD,
		    "dose, doses a day (1-24) and days (1-365) must be set");
	else
		rx_check_dose(it, o, c, r);
	rx_check_age(it, c, r);
	rx_check_patient(it, c, r);
}

int
rx_result_has(const struct rx_result *r, int check)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->f[i].check == check)
			return 1;
	return 0;
}

const char *
rx_check_name(int check)
{
	static const char *const names[RX_CHECK_MAX + 1] = {
		[RX_FORMULARY] = "formulary",
		[RX_ROUTE] = "route",
		[RX_PROHIBITED] = "prohibited",
		[RX_CLASS_MODE] = "class-mode",
		[RX_CLASS_FIRST] = "class-first",
		[RX_DOSE_ABS] = "dose-max",
		[RX_DAY_ABS] = "day-max",
		[RX_AGE] = "age",
		[RX_WEIGHT] = "weight",
		[RX_DOSE_USUAL] = "dose-usual",
		[RX_DAY_USUAL] = "day-usual",
		[RX_MGKG] = "mg-per-kg",
		[RX_DUPLICATE] = "duplicate",
		[RX_ALLERGY] = "allergy",
		[RX_SHAPE] = "shape",
	};

	if (check < 1 || check > RX_CHECK_MAX)
		return "unknown";
	return names[check];
}

const char *
rx_class_name(int cls)
{
	static const char *const names[] = { "O", "A", "B", "prohibited" };

	return cls >= 0 && cls < (int)nitems(names) ? names[cls] : "?";
}

/* Days from 1970-01-01 of Y-M-D (proleptic Gregorian, H. Hinnant's
 * days_from_civil). */
static long
rx_days_from_civil(long y, unsigned m, unsigned d)
{
	long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long)doe - 719468;
}

int
rx_age_days(const char *birth, uint64_t today_ms)
{
	static const unsigned mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30,
		31, 30, 31 };
	unsigned y, m = 7, d = 1;
	long b, t;
	int n = 0;

	if (birth == NULL)
		return -1;
	if (strlen(birth) == 10) {
		if (sscanf(birth, "%4u-%2u-%2u%n", &y, &m, &d, &n) != 3 ||
		    n != 10)
			return -1;
	} else if (strlen(birth) == 4) {
		if (sscanf(birth, "%4u%n", &y, &n) != 1 || n != 4)
			return -1;
	} else
		return -1;
	if (y < 1880 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return -1;
	if (m == 2 && d == 29 && (y % 4 != 0 || (y % 100 == 0 && y % 400 != 0)))
		return -1;
	b = rx_days_from_civil((long)y, m, d);
	t = (long)(today_ms / 86400000u);
	if (t < b)
		return -1;
	return (int)(t - b);
}

/* --- the region's sheet --- */

struct rx_sheet_field {
	const char *name;
	size_t off;
};
#define SF(f)                                                                  \
	{                                                                      \
#f, offsetof(struct rx_sheet, f)                               \
	}

/* Every region: what any prescription must carry. */
static const struct rx_sheet_field sheet_common[] = { SF(clinician_name),
	SF(regno), SF(patient_name), SF(date), SF(inn), SF(strength), SF(form),
	SF(route), SF(dose), SF(frequency), SF(duration) };
/* India (TPG 2020, Annexure 2): also the prescriber's address and
 * contact, the patient's age and sex, the provisional diagnosis, and the
 * teleconsultation statement. */
static const struct rx_sheet_field sheet_in[] = { SF(clinician_address),
	SF(clinician_contact), SF(patient_age), SF(patient_sex),
	SF(diagnosis) };

static const char *
rx_sheet_lacks(
    const struct rx_sheet *s, const struct rx_sheet_field *f, size_t n)
{
	const char *v;
	size_t i;

	for (i = 0; i < n; i++) {
		memcpy(&v, (const char *)s + f[i].off, sizeof(v));
		if (v == NULL || v[0] == '\0')
			return f[i].name;
	}
	return NULL;
}

const char *
rx_sheet_missing(const struct rx_sheet *s)
{
	const char *m;

	if ((m = rx_sheet_lacks(s, sheet_common, nitems(sheet_common))) != NULL)
		return m;
	if (!s->signed_)
		return "signature";
	if (s->region != NULL && strcmp(s->region, "IN") == 0) {
		if ((m = rx_sheet_lacks(s, sheet_in, nitems(sheet_in))) != NULL)
			return m;
		if (!s->teleconsult)
			return "teleconsultation statement";
	}
	return NULL;
}
