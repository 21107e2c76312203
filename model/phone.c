/*
 * Phone numbers to E.164 (phone.h).  The country table holds the calling
 * codes of the countries Outpost is deployed in or near, and a few more;
 * a node whose country is missing keeps local numbers as typed.  No I/O.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "compat.h"
#include "i18n.h"
#include "phone.h"

static const struct {
	const char *iso2, *cc;
} countries[] = {
	{ "BD", "880" },
	{ "BF", "226" },
	{ "BI", "257" },
	{ "BJ", "229" },
	{ "CD", "243" },
	{ "CI", "225" },
	{ "CM", "237" },
	{ "ET", "251" },
	{ "GB", "44" },
	{ "GH", "233" },
	{ "GN", "224" },
	{ "HT", "509" },
	{ "IN", "91" },
	{ "KE", "254" },
	{ "LR", "231" },
	{ "LS", "266" },
	{ "MG", "261" },
	{ "ML", "223" },
	{ "MW", "265" },
	{ "MZ", "258" },
	{ "NE", "227" },
	{ "NG", "234" },
	{ "NP", "977" },
	{ "PK", "92" },
	{ "RW", "250" },
	{ "SD", "249" },
	{ "SL", "232" },
	{ "SN", "221" },
	{ "SO", "252" },
	{ "SS", "211" },
	{ "TD", "235" },
	{ "TG", "228" },
	{ "TZ", "255" },
	{ "UG", "256" },
	{ "US", "1" },
	{ "ZA", "27" },
	{ "ZM", "260" },
	{ "ZW", "263" },
};

static int
country_index(const char *iso2)
{
	size_t i;

	if (iso2 == NULL || strlen(iso2) != 2)
		return -1;
	for (i = 0; i < nitems(countries); i++)
		if (strcasecmp(countries[i].iso2, iso2) == 0)
			return (int)i;
	return -1;
}

const char *
phone_calling_code(const char *iso2)
{
	int i = country_index(iso2);

	return i < 0 ? NULL : countries[i].cc;
}

const char *
phone_country(const char *iso2)
{
	int i = country_index(iso2);

	return i < 0 ? NULL : countries[i].iso2;
}

int
phone_normalise(
    const char *in, const char *cc, char *out, size_t len, const char **cause)
{
	char d[64];
	size_t n = 0, start = 0;
	int plus = 0;
	const char *p;

	*cause = NULL;
	if (len < PHONE_MAX)
		return EINVAL;
	for (p = in; *p == ' '; p++)
		;
	if (*p == '+') {
		plus = 1;
		p++;
	}
	for (; *p != '\0'; p++) {
		if (isdigit((unsigned char)*p)) {
			if (n + 1 >= sizeof(d))
				break;
			d[n++] = *p;
		} else if (strchr(" -.()", *p) == NULL) {
			*cause =
			    N_("a phone number holds only digits, spaces and "
			       "dashes, and may start with +");
			return EINVAL;
		}
	}
	d[n] = '\0';
	if (n < 6 || (!plus && n > 17)) {
		*cause = N_("phone must have 6 to 15 digits");
		return EINVAL;
	}
	if (!plus && d[0] == '0' && d[1] == '0') {
		plus = 1; /* 00: the international prefix */
		start = 2;
	}
	if (plus) {
		if (d[start] == '0') {
			*cause =
			    N_("after + comes the country code, which never "
			       "starts with 0");
			return EINVAL;
		}
		if (n - start < 7 || n - start > 15) {
			*cause =
			    N_("an international number has 7 to 15 digits "
			       "after the +");
			return EINVAL;
		}
		snprintf(out, len, "+%s", d + start);
		return 0;
	}
	if (cc == NULL && n > 15) {
		*cause = N_("phone must have 6 to 15 digits");
		return EINVAL;
	}
	if (cc == NULL) {
		snprintf(out, len, "%s", d); /* no country: as typed */
		return 0;
	}
	if (d[0] == '0')
		start = 1; /* the trunk prefix */
	else if (n > 10 && strncmp(d, cc, strlen(cc)) == 0) {
		snprintf(out, len, "+%s", d); /* the country code, no + */
		return 0;
	}
	if (strlen(cc) + n - start > 15) {
		*cause =
		    N_("with the country code this number has more than 15 "
		       "digits");
		return EINVAL;
	}
	snprintf(out, len, "+%s%s", cc, d + start);
	return 0;
}

/* The digits of S into OUT. */
static void
digits_of(const char *s, char *out, size_t len)
{
	size_t o = 0;

	for (; *s != '\0' && o + 1 < len; s++)
		if (isdigit((unsigned char)*s))
			out[o++] = *s;
	out[o] = '\0';
}

/* The digits of S after a + and country code CC (may be NULL), or after a
 * trunk 0 or an international 00, into OUT. */
static void
national_digits(const char *s, const char *cc, char *out, size_t len)
{
	const char *p;
	char d[64];

	digits_of(s, d, sizeof(d));
	p = d;
	while (*s == ' ')
		s++;
	if (*s == '+' || strncmp(d, "00", 2) == 0) {
		if (strncmp(d, "00", 2) == 0 && *s != '+')
			p += 2;
		if (cc != NULL && strncmp(p, cc, strlen(cc)) == 0)
			p += strlen(cc);
	} else if (*p == '0')
		p++;
	snprintf(out, len, "%s", p);
}

int
phone_same(const char *a, const char *b, const char *cc)
{
	char x[PHONE_MAX], y[PHONE_MAX];
	const char *why;

	return a != NULL && b != NULL &&
	    phone_normalise(a, cc, x, sizeof(x), &why) == 0 &&
	    phone_normalise(b, cc, y, sizeof(y), &why) == 0 &&
	    strcmp(x, y) == 0;
}

int
phone_match(const char *stored, const char *query, const char *cc)
{
	char sn[64], qn[64];
	const char *intl;

	if (stored == NULL || query == NULL)
		return 0;
	if (phone_same(stored, query, cc))
		return 1; /* whole numbers: the same number */
	/* a part: anywhere in the national number */
	/* a part of 4 digits or more: anywhere in the national number */
	digits_of(query, qn, sizeof(qn));
	if (strlen(qn) < 4)
		return 0;
	intl = strspn(query, " ") + query;
	if (*intl != '+' && strncmp(qn, "00", 2) != 0) {
		/* a local number or part: after the trunk 0 */
		national_digits(stored, cc, sn, sizeof(sn));
		national_digits(query, cc, qn, sizeof(qn));
		if (qn[0] != '\0' && strstr(sn, qn) != NULL)
			return 1;
	}
	/* or the digits as typed ("254756" in +254756477422); an
	 * international number or part only so */
	digits_of(stored, sn, sizeof(sn));
	digits_of(query, qn, sizeof(qn));
	return strstr(sn, qn) != NULL;
}
