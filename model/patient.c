/*
 * Patient rules (patient.h), in one place for the store, the command line
 * and the screens.  No I/O.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "compat.h"
#include "patient.h"
#include "str.h"

static const char *const sex_values[] = { "female", "male", "other",
	"unknown" };

const char *
patient_sex_parse(const char *s)
{
	size_t i, len;

	if (s == NULL || (len = strlen(s)) == 0)
		return NULL;
	if (strcasecmp(s, "woman") == 0)
		return "female";
	if (strcasecmp(s, "man") == 0)
		return "male";
	for (i = 0; i < nitems(sex_values); i++)
		if (len <= strlen(sex_values[i]) &&
		    strncasecmp(s, sex_values[i], len) == 0)
			return sex_values[i];
	return NULL;
}

int
patient_sex_valid(const char *s)
{
	size_t i;

	for (i = 0; s != NULL && i < nitems(sex_values); i++)
		if (strcmp(s, sex_values[i]) == 0)
			return 1;
	return 0;
}

int
patient_birth_valid(const char *s, time_t now)
{
	struct tm tm = { 0 }, today;
	long long y, m, d;
	time_t t;
	char buf[5];

	if (s == NULL)
		return 0;
	gmtime_r(&now, &today);
	if (strlen(s) != 4 && strlen(s) != 10)
		return 0;
	memcpy(buf, s, 4);
	buf[4] = '\0';
	if (str_to_ll(buf, 1880, today.tm_year + 1900, &y) != 0)
		return 0;
	if (strlen(s) == 4)
		return 1;
	if (s[4] != '-' || s[7] != '-' || !isdigit((unsigned char)s[5]) ||
	    !isdigit((unsigned char)s[6]) || !isdigit((unsigned char)s[8]) ||
	    !isdigit((unsigned char)s[9]))
		return 0;
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (m < 1 || m > 12 || d < 1 || d > 31)
		return 0;
	/* Round-trip through timegm to refuse 2023-02-30. */
	tm.tm_year = (int)y - 1900;
	tm.tm_mon = (int)m - 1;
	tm.tm_mday = (int)d;
	tm.tm_hour = 12;
	t = timegm(&tm);
	gmtime_r(&t, &tm);
	if (tm.tm_mday != d || tm.tm_mon != m - 1)
		return 0;
	return t <= now + 86400;
}

/* Birth date parts: month and day default to mid-year when only the year
 * is known.  Returns 0 or EINVAL. */
static int
birth_parts(const char *birth, long long *y, long long *m, long long *d)
{
	char part[8];

	*m = 7;
	*d = 1;
	if (birth == NULL || strlen(birth) < 4)
		return EINVAL;
	memcpy(part, birth, 4);
	part[4] = '\0';
	if (str_to_ll(part, 1850, 2200, y) != 0)
		return EINVAL;
	if (strlen(birth) >= 10 && birth[4] == '-' && birth[7] == '-') {
		memcpy(part, birth + 5, 2);
		part[2] = '\0';
		if (str_to_ll(part, 1, 12, m) != 0)
			return EINVAL;
		memcpy(part, birth + 8, 2);
		if (str_to_ll(part, 1, 31, d) != 0)
			return EINVAL;
	}
	return 0;
}

int
patient_age_months(const char *birth, time_t now)
{
	long long y, m, d;
	struct tm tm;
	int months;

	if (birth_parts(birth, &y, &m, &d) != 0)
		return -1;
	localtime_r(&now, &tm);
	months = (tm.tm_year + 1900 - (int)y) * 12 + tm.tm_mon + 1 - (int)m;
	if (tm.tm_mday < d)
		months--;
	return months < 0 ? -1 : months;
}

/* Birth years agree, or one is not known. */
static int
same_year(const char *a, const char *b)
{
	return a == NULL || b == NULL || strlen(a) < 4 || strlen(b) < 4 ||
	    strncmp(a, b, 4) == 0;
}

int
patient_probably_same(const char *ga, const char *fa, const char *ba,
    const char *gb, const char *fb, const char *bb)
{
	return ga != NULL && fa != NULL && gb != NULL && fb != NULL &&
	    str_edit_distance(ga, gb, 2) <= 2 &&
	    str_edit_distance(fa, fb, 2) <= 2 && same_year(ba, bb);
}
