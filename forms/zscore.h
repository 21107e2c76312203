/*
 * WHO Child Growth Standards for z-score() (internal to forms/): the LMS
 * tables (zscore_who.c, generated from WHO's published tables) and CHT's
 * z-score method over them.
 */
#ifndef FORMS_ZSCORE_H
#define FORMS_ZSCORE_H

#include <stddef.h>

struct zscore_lms {
	int sex; /* 1 male, 2 female */
	double key; /* age in days, or length in cm */
	double l, m, s;
};

extern const struct zscore_lms zscore_wfa[], zscore_lhfa[], zscore_wfl[];
extern const size_t zscore_wfa_n, zscore_lhfa_n, zscore_wfl_n;

/*
 * CHT's z-score(chart, sex, x, y) (webapp z-score.service.ts): CHART is
 * "weight-for-age", "height-for-age" or "weight-for-height" (WHO's
 * weight-for-length table, as CHT's charts use), SEX "male" or "female",
 * X the age in days or the length in cm (the nearest row is used; outside
 * the table there is no score), Y the measure.  The score is interpolated
 * linearly between the WHO SD lines -4..+4 and held at -4/+4 beyond
 * them.  Returns 0 and *z, or EINVAL when there is no score.
 */
int zscore_cht(
    const char *chart, const char *sex, double x, double y, double *z);

#endif
