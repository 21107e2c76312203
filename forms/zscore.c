/*
 * z-score() for CHT forms: CHT's method (cht-core webapp
 * z-score.service.ts, read for semantics) over the WHO Child Growth
 * Standards.  CHT reads WHO's published expanded z-score tables (SD lines
 * -4..+4, rounded); here each SD line is computed from WHO's L, M, S
 * parameters (zscore_who.c) the way WHO computes those tables: within
 * +-3 SD X = M (1 + L S z)^(1/L); beyond, for the weight indicators, the
 * +-3 SD line plus the distance between the 2 and 3 SD lines (WHO's
 * restricted LMS, anthro's compute_zscore_adjusted).  Scores may differ
 * from CHT's in the fourth decimal, where WHO's tables were rounded.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "compat.h"
#include "zscore.h"

static double
lms_sd(const struct zscore_lms *r, double z)
{
	if (fabs(r->l) < 1e-12)
		return r->m * exp(r->s * z);
	return r->m * pow(1 + r->l * r->s * z, 1 / r->l);
}

/* The nine SD lines -4..+4 of row R. */
static void
sd_lines(const struct zscore_lms *r, int restricted, double p[9])
{
	int k;

	for (k = -3; k <= 3; k++)
		p[k + 4] = lms_sd(r, k);
	if (restricted) {
		p[0] = p[1] - (p[2] - p[1]);
		p[8] = p[7] + (p[7] - p[6]);
	} else {
		p[0] = lms_sd(r, -4);
		p[8] = lms_sd(r, 4);
	}
}

int
zscore_cht(const char *chart, const char *sex, double x, double y, double *z)
{
	static const struct {
		const char *id;
		const struct zscore_lms *rows;
		const size_t *n;
		int restricted;
	} charts[] = {
		{ "weight-for-age", zscore_wfa, &zscore_wfa_n, 1 },
		{ "height-for-age", zscore_lhfa, &zscore_lhfa_n, 0 },
		{ "weight-for-height", zscore_wfl, &zscore_wfl_n, 1 },
	};
	const struct zscore_lms *rows = NULL, *best = NULL, *first = NULL,
	                        *last = NULL;
	size_t i, n = 0;
	double p[9], diff, bestdiff = INFINITY;
	int s, lower, restricted = 0;

	if (strcmp(sex, "male") == 0)
		s = 1;
	else if (strcmp(sex, "female") == 0)
		s = 2;
	else
		return EINVAL;
	for (i = 0; i < nitems(charts); i++)
		if (strcmp(chart, charts[i].id) == 0) {
			rows = charts[i].rows;
			n = *charts[i].n;
			restricted = charts[i].restricted;
		}
	if (rows == NULL || isnan(x) || isnan(y))
		return EINVAL;
	for (i = 0; i < n; i++) {
		if (rows[i].sex != s)
			continue;
		if (first == NULL)
			first = &rows[i];
		last = &rows[i];
		diff = fabs(rows[i].key - x);
		if (diff < bestdiff) {
			bestdiff = diff;
			best = &rows[i];
		}
	}
	/* outside the table: no score */
	if (best == NULL || x < first->key || x > last->key)
		return EINVAL;
	sd_lines(best, restricted, p);
	for (lower = -1, i = 0; i < 9; i++)
		if (p[i] <= y)
			lower = (int)i;
	if (lower == -1)
		*z = -4;
	else if (lower >= 8)
		*z = 4;
	else
		*z = lower - 4 + (y - p[lower]) / (p[lower + 1] - p[lower]);
	return 0;
}
