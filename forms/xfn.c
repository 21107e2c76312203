/*
 * ODK XPath functions registered into libxml2 under the private namespace
 * (xpr.h renames calls to ox:NAME), following the ODK XForms spec
 * (getodk/xforms-spec, "XPath functions") and Collect's behaviour where the
 * spec is silent: round() rounds the shortest decimal string half up,
 * regex() matches the whole string (POSIX ERE, with \d \w \s translated),
 * numbers format like Collect.  The rewriter refuses what is not here.
 */
#define LOG_MODULE "forms"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bikram_sambat.h"
#include "compat.h"
#include "crypto.h"
#include "encode.h"
#include "log.h"
#include "uuid.h"
#include "xfn.h"
#include "xmalloc.h"
#include "xpr.h"
#include "zscore.h"

#define ENV(c) ((struct xfn_env *)(c)->context->userData)

/* --- conversions ---------------------------------------------------------- */

void
xfn_format_number(double d, char *buf, size_t size)
{
	int prec, ex, dec;
	char *e, *z;

	if (isnan(d)) {
		snprintf(buf, size, "NaN");
		return;
	}
	if (isinf(d)) {
		snprintf(buf, size, d > 0 ? "Infinity" : "-Infinity");
		return;
	}
	if (d == 0) {
		snprintf(buf, size, "0");
		return;
	}
	if (fabs(d) < 1e21 && d == trunc(d)) {
		snprintf(buf, size, "%.0f", d);
		return;
	}
	for (prec = 15; prec < 17; prec++) {
		snprintf(buf, size, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	snprintf(buf, size, "%.*g", prec, d);
	if ((e = strchr(buf, 'e')) == NULL || fabs(d) >= 1e21)
		return;
	ex = (int)strtol(e + 1, NULL, 10);
	dec = prec - 1 - ex;
	if (dec < 0)
		dec = 0;
	snprintf(buf, size, "%.*f", dec, d);
	if (strchr(buf, '.') != NULL) {
		z = buf + strlen(buf) - 1;
		while (*z == '0')
			*z-- = '\0';
		if (*z == '.')
			*z = '\0';
	}
}

static char *
xml_to_x(xmlChar *s)
{
	char *r = xstrdup(s != NULL ? (const char *)s : "");

	xmlFree(s);
	return r;
}

char *
xfn_obj_string(xmlXPathObjectPtr o)
{
	char buf[64];

	if (o == NULL)
		return xstrdup("");
	switch (o->type) {
	case XPATH_NUMBER:
		if (isnan(o->floatval) || isinf(o->floatval))
			return xstrdup("");
		xfn_format_number(o->floatval, buf, sizeof(buf));
		return xstrdup(buf);
	case XPATH_BOOLEAN:
		return xstrdup(o->boolval ? "true" : "false");
	case XPATH_STRING:
		return xstrdup(o->stringval ? (const char *)o->stringval : "");
	default:
		return xml_to_x(xmlXPathCastToString(o));
	}
}

static long long
days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

static void
civil_from_days(long long z, int *y, int *m, int *d)
{
	long long era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int
digits(const char *s, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return 0;
		*v = *v * 10 + (s[i] - '0');
	}
	return 1;
}

static int
parse_ymd(const char *s, long long *days)
{
	int y, m, d, mdays;
	static const int ml[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };

	if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &m) ||
	    s[7] != '-' || !digits(s + 8, 2, &d))
		return EINVAL;
	if (m < 1 || m > 12 || d < 1)
		return EINVAL;
	mdays = ml[m - 1];
	if (m == 2 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		mdays = 28;
	if (d > mdays)
		return EINVAL;
	*days = days_from_civil(y, (unsigned)m, (unsigned)d);
	return 0;
}

int
xfn_parse_date(const char *s, long long *days)
{
	if (strlen(s) != 10)
		return EINVAL;
	return parse_ymd(s, days);
}

/* "hh:mm[:ss[.sss]]" then optional zone; sets *off_set when a zone is given. */
static int
parse_clock(const char *s, double *secs, int *has_off, int *off_min)
{
	int h, mi, sec = 0, oh, om;
	double frac = 0;
	const char *p;

	if (!digits(s, 2, &h) || s[2] != ':' || !digits(s + 3, 2, &mi))
		return EINVAL;
	p = s + 5;
	if (*p == ':') {
		if (!digits(p + 1, 2, &sec))
			return EINVAL;
		p += 3;
		if (*p == '.') {
			double scale = 0.1;

			p++;
			if (!isdigit((unsigned char)*p))
				return EINVAL;
			while (isdigit((unsigned char)*p)) {
				frac += (*p - '0') * scale;
				scale /= 10;
				p++;
			}
		}
	}
	if (h > 24 || mi > 59 || sec > 60)
		return EINVAL;
	*has_off = 0;
	*off_min = 0;
	if (*p == 'Z') {
		*has_off = 1;
		p++;
	} else if (*p == '+' || *p == '-') {
		if (!digits(p + 1, 2, &oh) || p[3] != ':' ||
		    !digits(p + 4, 2, &om))
			return EINVAL;
		*has_off = 1;
		*off_min = (oh * 60 + om) * (*p == '-' ? -1 : 1);
		p += 6;
	}
	if (*p != '\0')
		return EINVAL;
	*secs = h * 3600.0 + mi * 60.0 + sec + frac;
	return 0;
}

static long
local_offset_seconds(time_t t)
{
	struct tm tm;

	localtime_r(&t, &tm);
	return tm.tm_gmtoff;
}

int
xfn_parse_datetime(const char *s, double *secs)
{
	long long days;
	double clock;
	int has_off, off;

	if (strlen(s) < 16 || parse_ymd(s, &days) != 0 ||
	    (s[10] != 'T' && s[10] != ' '))
		return EINVAL;
	if (parse_clock(s + 11, &clock, &has_off, &off) != 0)
		return EINVAL;
	*secs = (double)days * 86400 + clock;
	if (has_off)
		*secs -= off * 60.0;
	else
		*secs -= (double)local_offset_seconds((time_t)*secs);
	return 0;
}

int
xfn_parse_time(const char *s, double *secs)
{
	int has_off, off;

	return parse_clock(s, secs, &has_off, &off);
}

void
xfn_days_to_date(long long days, char buf[16])
{
	int y, m, d;

	civil_from_days(days, &y, &m, &d);
	snprintf(buf, 16, "%04u-%02u-%02u", (unsigned)y % 10000u,
	    (unsigned)m % 13u, (unsigned)d % 32u);
}

static void
format_datetime(double secs, char buf[40])
{
	time_t t = (time_t)floor(secs);
	struct tm tm;
	long off;
	int ms = (int)((secs - floor(secs)) * 1000 + 0.5);

	if (ms > 999)
		ms = 999;
	localtime_r(&t, &tm);
	off = tm.tm_gmtoff;
	snprintf(buf, 40, "%04u-%02u-%02uT%02u:%02u:%02u.%03u%c%02u:%02u",
	    (unsigned)(tm.tm_year + 1900) % 10000u,
	    (unsigned)(tm.tm_mon + 1) % 13u, (unsigned)tm.tm_mday % 32u,
	    (unsigned)tm.tm_hour % 24u, (unsigned)tm.tm_min % 60u,
	    (unsigned)tm.tm_sec % 61u, (unsigned)ms % 1000u,
	    off < 0 ? '-' : '+', (unsigned)(labs(off) / 3600) % 24u,
	    (unsigned)(labs(off) % 3600 / 60) % 60u);
}

static double
now_secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void
xfn_today(char buf[16])
{
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	snprintf(buf, 16, "%04u-%02u-%02u",
	    (unsigned)(tm.tm_year + 1900) % 10000u,
	    (unsigned)(tm.tm_mon + 1) % 13u, (unsigned)tm.tm_mday % 32u);
}

void
xfn_now(char buf[40])
{
	format_datetime(now_secs(), buf);
}

/*
 * ODK number(): trims, accepts [-]digits[.digits] only (JavaRosa; libxml2
 * would also take "1e3"), converts dates to days and dateTimes to
 * fractional days since the epoch.
 */
double
xfn_str_number(const char *s)
{
	const char *p, *end;
	long long days;
	double secs;
	char *copy, *t;
	int ndig = 0;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	if (end == s)
		return NAN;
	copy = xstrndup(s, (size_t)(end - s));
	if (xfn_parse_date(copy, &days) == 0) {
		free(copy);
		return (double)days;
	}
	if (xfn_parse_datetime(copy, &secs) == 0) {
		free(copy);
		return secs / 86400.0;
	}
	p = copy;
	if (*p == '-' || *p == '+')
		p++;
	for (t = (char *)p; *t != '\0'; t++) {
		if (isdigit((unsigned char)*t))
			ndig++;
		else if (*t != '.') {
			free(copy);
			return NAN;
		}
	}
	if (ndig == 0 || strchr(p, '.') != strrchr(p, '.')) {
		free(copy);
		return NAN;
	}
	secs = strtod(copy, NULL);
	free(copy);
	return secs;
}

/* --- argument helpers ----------------------------------------------------- */

static xmlXPathObjectPtr *
pop_args(xmlXPathParserContextPtr c, int nargs)
{
	xmlXPathObjectPtr *a;
	int i;

	a = xcalloc((size_t)nargs + 1, sizeof(*a));
	for (i = nargs - 1; i >= 0; i--)
		a[i] = valuePop(c);
	return a;
}

static void
free_args(xmlXPathObjectPtr *a, int nargs)
{
	int i;

	for (i = 0; i < nargs; i++)
		xmlXPathFreeObject(a[i]);
	free(a);
}

static double
obj_number(xmlXPathObjectPtr o)
{
	char *s;
	double d;

	if (o == NULL)
		return NAN;
	if (o->type == XPATH_NUMBER)
		return o->floatval;
	if (o->type == XPATH_BOOLEAN)
		return o->boolval ? 1 : 0;
	s = xfn_obj_string(o);
	d = xfn_str_number(s);
	free(s);
	return d;
}

/* The typed value of text V of a node of KIND, as a condition. */
static int
value_bool(const char *v, int kind)
{
	double d;

	switch (kind) {
	case XFN_K_BOOLEAN:
		return strcmp(v, "true") == 0 || strcmp(v, "1") == 0;
	case XFN_K_NUMBER:
		if (*v == '\0')
			return 0;
		d = xfn_str_number(v);
		return !isnan(d) && fabs(d) > 1e-12;
	default:
		return *v != '\0';
	}
}

static int
node_kind(const struct xfn_env *env, xmlNodePtr n)
{
	if (env == NULL || env->node_kind == NULL)
		return XFN_K_STRING;
	return env->node_kind(env->arg, n);
}

int
xfn_obj_bool(const struct xfn_env *env, xmlXPathObjectPtr o)
{
	xmlChar *c;
	int r;

	if (o == NULL)
		return 0;
	if (o->type != XPATH_NODESET && o->type != XPATH_XSLT_TREE)
		return xmlXPathCastToBoolean(o);
	if (o->nodesetval == NULL || o->nodesetval->nodeNr == 0)
		return 0;
	c = xmlNodeGetContent(o->nodesetval->nodeTab[0]);
	r = value_bool(c != NULL ? (const char *)c : "",
	    node_kind(env, o->nodesetval->nodeTab[0]));
	xmlFree(c);
	return r;
}

static int
obj_bool(xmlXPathParserContextPtr c, xmlXPathObjectPtr o)
{
	return xfn_obj_bool(ENV(c), o);
}

static void
push_str(xmlXPathParserContextPtr c, const char *s)
{
	valuePush(c, xmlXPathNewString((const xmlChar *)s));
}

static void
push_str_take(xmlXPathParserContextPtr c, char *s)
{
	push_str(c, s);
	free(s);
}

static void
push_num(xmlXPathParserContextPtr c, double d)
{
	valuePush(c, xmlXPathNewFloat(d));
}

static void
push_bool(xmlXPathParserContextPtr c, int b)
{
	valuePush(c, xmlXPathNewBoolean(b));
}

static int
arity(xmlXPathParserContextPtr c, int nargs, int min, int max)
{
	if (nargs < min || (max >= 0 && nargs > max)) {
		xmlXPathSetArityError(c);
		return 0;
	}
	return 1;
}

/* Append the string values of O (all nodes of a node-set) to *acc. */
static void
append_all(char **acc, xmlXPathObjectPtr o, const char *sep, int *first)
{
	char *s, *n;
	int i;

	if (o->type == XPATH_NODESET || o->type == XPATH_XSLT_TREE) {
		if (o->nodesetval == NULL)
			return;
		for (i = 0; i < o->nodesetval->nodeNr; i++) {
			s = xml_to_x(
			    xmlNodeGetContent(o->nodesetval->nodeTab[i]));
			xasprintf(&n, "%s%s%s", *acc, *first ? "" : sep, s);
			free(*acc);
			free(s);
			*acc = n;
			*first = 0;
		}
		return;
	}
	s = xfn_obj_string(o);
	xasprintf(&n, "%s%s%s", *acc, *first ? "" : sep, s);
	free(*acc);
	free(s);
	*acc = n;
	*first = 0;
}

/* --- the functions -------------------------------------------------------- */

static void
f_concat(xmlXPathParserContextPtr c, int nargs)
{
	xmlXPathObjectPtr *a = pop_args(c, nargs);
	char *acc = xstrdup("");
	int i, first = 1;

	for (i = 0; i < nargs; i++)
		append_all(&acc, a[i], "", &first);
	free_args(a, nargs);
	push_str_take(c, acc);
}

static void
f_join(xmlXPathParserContextPtr c, int nargs)
{
	xmlXPathObjectPtr *a;
	char *acc = xstrdup(""), *sep;
	int i, first = 1;

	if (!arity(c, nargs, 1, -1)) {
		free(acc);
		return;
	}
	a = pop_args(c, nargs);
	sep = xfn_obj_string(a[0]);
	for (i = 1; i < nargs; i++)
		append_all(&acc, a[i], sep, &first);
	free(sep);
	free_args(a, nargs);
	push_str_take(c, acc);
}

static void
f_string(xmlXPathParserContextPtr c, int nargs)
{
	xmlXPathObjectPtr *a;
	char buf[64];

	if (!arity(c, nargs, 0, 1))
		return;
	if (nargs == 0) {
		push_str_take(c, xml_to_x(xmlNodeGetContent(c->context->node)));
		return;
	}
	a = pop_args(c, 1);
	if (a[0]->type == XPATH_NUMBER) {
		xfn_format_number(a[0]->floatval, buf, sizeof(buf));
		push_str(c, buf);
	} else
		push_str_take(c, xfn_obj_string(a[0]));
	free_args(a, 1);
}

static void
f_num(xmlXPathParserContextPtr c, int nargs)
{
	xmlXPathObjectPtr *a;

	if (!arity(c, nargs, 0, 1))
		return;
	if (nargs == 0) {
		char *s = xml_to_x(xmlNodeGetContent(c->context->node));

		push_num(c, xfn_str_number(s));
		free(s);
		return;
	}
	a = pop_args(c, 1);
	push_num(c, obj_number(a[0]));
	free_args(a, 1);
}

/*
 * round(x[, places]) as JavaRosa: take the shortest decimal string of x
 * and round that half away... toward +infinity (XPath 1.0 ties), so
 * round(1.005, 2) = 1.01 as in Collect.
 */
static double
round_places(double x, long places)
{
	char buf[64], *dot, *p;
	char digitsbuf[80];
	size_t n = 0, intlen, i;
	int neg = 0, carry, prec;
	long keep;
	double r;

	if (isnan(x) || isinf(x))
		return x;
	if (places > 15)
		return x;
	for (prec = 15; prec < 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, x);
		if (strtod(buf, NULL) == x)
			break;
	}
	snprintf(buf, sizeof(buf), "%.*g", prec, x);
	if (strchr(buf, 'e') != NULL) {
		if (places >= 0)
			return x; /* tiny or huge: nothing to round */
		snprintf(buf, sizeof(buf), "%.0f", x);
	}
	p = buf;
	if (*p == '-') {
		neg = 1;
		p++;
	}
	dot = strchr(p, '.');
	intlen = dot ? (size_t)(dot - p) : strlen(p);
	/* digits without the dot, decimal point after intlen digits */
	for (i = 0; p[i] != '\0' && n < sizeof(digitsbuf) - 2; i++)
		if (p[i] != '.')
			digitsbuf[n++] = p[i];
	while (n < intlen + (size_t)(places > 0 ? places : 0) + 1 &&
	    n < sizeof(digitsbuf) - 2)
		digitsbuf[n++] = '0';
	digitsbuf[n] = '\0';
	keep = (long)intlen + places; /* number of digits kept */
	if (keep < 0) {
		return neg ? -0.0 : 0.0;
	}
	/* XPath ties: toward +inf, i.e. away from zero for positives only */
	carry = 0;
	if ((size_t)keep < n) {
		int d = digitsbuf[keep] - '0';
		int rest_nonzero = 0;

		for (i = (size_t)keep + 1; i < n; i++)
			if (digitsbuf[i] != '0')
				rest_nonzero = 1;
		if (d > 5 || (d == 5 && (!neg || rest_nonzero)))
			carry = 1;
	}
	digitsbuf[keep] = '\0';
	r = keep > 0 ? strtod(digitsbuf, NULL) : 0;
	r += carry;
	r = r / pow(10, (double)places);
	if (places > 0) {
		char tmp[64];

		snprintf(tmp, sizeof(tmp), "%.*f", (int)places, r);
		r = strtod(tmp, NULL);
	}
	return neg ? -r : r;
}

static void
f_round(xmlXPathParserContextPtr c, int nargs)
{
	xmlXPathObjectPtr *a;
	double x, p = 0;

	if (!arity(c, nargs, 1, 2))
		return;
	a = pop_args(c, nargs);
	x = obj_number(a[0]);
	if (nargs == 2)
		p = obj_number(a[1]);
	free_args(a, nargs);
	if (isnan(p))
		push_num(c, NAN);
	else
		push_num(c, round_places(x, (long)p));
}

static void
f_position(xmlXPathParserContextPtr c, int nargs)
{
	xmlXPathObjectPtr *a;
	xmlNodePtr n, s;
	int pos = 1;

	if (!arity(c, nargs, 0, 1))
		return;
	if (nargs == 0) {
		push_num(c, c->context->proximityPosition);
		return;
	}
	a = pop_args(c, 1);
	if (a[0]->type != XPATH_NODESET || a[0]->nodesetval == NULL ||
	    a[0]->nodesetval->nodeNr == 0) {
		free_args(a, 1);
		push_num(c, NAN);
		return;
	}
	n = a[0]->nodesetval->nodeTab[0];
	for (s = n->prev; s != NULL; s = s->prev)
		if (s->type == XML_ELEMENT_NODE &&
		    xmlStrEqual(s->name, n->name))
			pos++;
	free_args(a, 1);
	push_num(c, pos);
}

static void
f_if(xmlXPathParserContextPtr c, int nargs)
{
	xmlXPathObjectPtr *a;
	int cond;

	if (!arity(c, nargs, 3, 3))
		return;
	a = pop_args(c, 3);
	cond = obj_bool(c, a[0]);
	valuePush(c, a[cond ? 1 : 2]);
	a[cond ? 1 : 2] = NULL;
	free_args(a, 3);
}

/* ox:bool(x), boolean(x): X as a condition (xfn_obj_bool); ox:not(x). */
static void
bool_fn(xmlXPathParserContextPtr c, int nargs, int negate)
{
	xmlXPathObjectPtr *a;
	int b;

	if (!arity(c, nargs, 1, 1))
		return;
	a = pop_args(c, 1);
	b = obj_bool(c, a[0]);
	free_args(a, 1);
	push_bool(c, negate ? !b : b);
}

static void
f_bool(xmlXPathParserContextPtr c, int nargs)
{
	bool_fn(c, nargs, 0);
}

static void
f_not(xmlXPathParserContextPtr c, int nargs)
{
	bool_fn(c, nargs, 1);
}

static void
f_coalesce(xmlXPathParserContextPtr c, int nargs)
{
	xmlXPathObjectPtr *a;
	char *s;
	int i;

	if (!arity(c, nargs, 1, -1))
		return;
	a = pop_args(c, nargs);
	for (i = 0; i < nargs; i++) {
		s = xfn_obj_string(a[i]);
		if (*s != '\0' || i == nargs - 1) {
			push_str_take(c, s);
			break;
		}
		free(s);
	}
	free_args(a, nargs);
}

static void
f_once(xmlXPathParserContextPtr c, int nargs)
{
	struct xfn_env *env = ENV(c);
	xmlXPathObjectPtr *a;
	char *cur = NULL;

	if (!arity(c, nargs, 1, 1))
		return;
	a = pop_args(c, 1);
	if (env->current != NULL)
		cur = xml_to_x(xmlNodeGetContent(env->current));
	if (cur != NULL && *cur != '\0')
		push_str(c, cur);
	else
		push_str_take(c, xfn_obj_string(a[0]));
	free(cur);
	free_args(a, 1);
}

static int
str_true(const char *s)
{
	return strcmp(s, "true") == 0 || strcmp(s, "1") == 0;
}

static void
f_boolean_from_string(xmlXPathParserContextPtr c, int nargs)
{
	xmlXPathObjectPtr *a;
	char *s;

	if (!arity(c, nargs, 1, 1))
		return;
	a = pop_args(c, 1);
	s = xfn_obj_string(a[0]);
	push_bool(c, str_true(s));
	free(s);
	free_args(a, 1);
}

/* Each arg (every node of a node-set) as boolean-from-string, into *n. */
static void
bool_values(xmlXPathObjectPtr o, int *vals, int *n, int max)
{
	char *s;
	int i;

	if (o->type == XPATH_NODESET) {
		for (i = 0; o->nodesetval && i < o->nodesetval->nodeNr; i++) {
			s = xml_to_x(
			    xmlNodeGetContent(o->nodesetval->nodeTab[i]));
			if (*n < max)
				vals[(*n)++] = str_true(s);
			free(s);
		}
		return;
	}
	if (*n < max)
		vals[(*n)++] = o->type == XPATH_BOOLEAN ? o->boolval
		    : o->type == XPATH_NUMBER
		    ? o->floatval != 0
		    : str_true((const char *)o->stringval);
}

static void
f_checklist(xmlXPathParserContextPtr c, int nargs)
{
	xmlXPathObjectPtr *a;
	int vals[256], n = 0, i, count = 0;
	double min, max;

	if (!arity(c, nargs, 2, -1))
		return;
	a = pop_args(c, nargs);
	min = obj_number(a[0]);
	max = obj_number(a[1]);
	for (i = 2; i < nargs; i++)
		bool_values(a[i], vals, &n, (int)nitems(vals));
	for (i = 0; i < n; i++)
		count += vals[i];
	free_args(a, nargs);
	push_bool(c, (min < 0 || count >= min) && (max < 0 || count <= max));
}

static void
f_weighted_checklist(xmlXPathParserContextPtr c, int nargs)
{
	xmlXPathObjectPtr *a;
	double min, max, sum = 0;
	int i, v, n;

	if (!arity(c, nargs, 2, -1) || nargs % 2 != 0) {
		xmlXPathSetArityError(c);
		return;
	}
	a = pop_args(c, nargs);
	min = obj_number(a[0]);
	max = obj_number(a[1]);
	for (i = 2; i + 1 < nargs; i += 2) {
		n = 0;
		bool_values(a[i], &v, &n, 1);
		if (n == 1 && v)
			sum += obj_number(a[i + 1]);
	}
	free_args(a, nargs);
	push_bool(c, (min < 0 || sum >= min) && (max < 0 || sum <= max));
}

/* regex(value, pattern): whole-string POSIX ERE match. */
static char *
translate_regex(const char *p)
{
	char *out = xcalloc(strlen(p) * 14 + 8, 1), *o = out;
	int in_class = 0;

	*o++ = '^';
	*o++ = '(';
	for (; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0') {
			const char *rep = NULL;

			switch (p[1]) {
			case 'd':
				rep = in_class ? "0-9" : "[0-9]";
				break;
			case 'D':
				rep = "[^0-9]";
				break;
			case 'w':
				rep = in_class ? "A-Za-z0-9_" : "[A-Za-z0-9_]";
				break;
			case 'W':
				rep = "[^A-Za-z0-9_]";
				break;
			case 's':
				rep = in_class ? "[:space:]" : "[[:space:]]";
				break;
			case 'S':
				rep = "[^[:space:]]";
				break;
			}
			if (rep != NULL) {
				memcpy(o, rep, strlen(rep));
				o += strlen(rep);
				p++;
				continue;
			}
			*o++ = *p++;
			*o++ = *p;
			continue;
		}
		if (*p == '[' && !in_class)
			in_class = 1;
		else if (*p == ']' && in_class)
			in_class = 0;
		*o++ = *p;
	}
	*o++ = ')';
	*o++ = '$';
	*o = '\0';
	return out;
}

static void
f_regex(xmlXPathParserContextPtr c, int nargs)
{
	xmlXPathObjectPtr *a;
	char *v, *pat, *ere;
	regex_t re;
	int ok = 0;

	if (!arity(c, nargs, 2, 2))
		return;
	a = pop_args(c, 2);
	v = xfn_obj_string(a[0]);
	pat = xfn_obj_string(a[1]);
	free_args(a, 2);
	ere = translate_regex(pat);
	if (regcomp(&re, ere, REG_EXTENDED | REG_NOSUB) == 0) {
		ok = regexec(&re, v, 0, NULL, 0) == 0;
		regfree(&re);
	} else
		log_warnx("regex(): pattern does not compile");
	free(ere);
	free(pat);
	free(v);
	push_bool(c, ok);
}

/* Space-separated tokens of S; returns count, fills *tok (caller frees). */
static int
tokens(const char *s, char ***tok)
{
	char *copy = xstrdup(s), *p = copy, *start;
	int n = 0;

	*tok = NULL;
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (*p != '\0' && !isspace((unsigned char)*p))
			p++;
		*tok = xreallocarray(*tok, (size_t)n + 1, sizeof(char *));
		(*tok)[n++] = xstrndup(start, (size_t)(p - start));
	}
	free(copy);
	return n;
}

static void
free_tokens(char **t, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(t[i]);
	free(t);
}

static void
f_selected(xmlXPathParserContextPtr c, int nargs)
{
	xmlXPathObjectPtr *a;
	char *list, *v, **t;
	int n, i, found = 0;

	if (!arity(c, nargs, 2, 2))
		return;
	a = pop_args(c, 2);
	list = xfn_obj_string(a[0]);
	v = xfn_obj_string(a[1]);
	free_args(a, 2);
	n = tokens(list, &t);
	{
		char *tv = xstrdup(v), *e;

		e = tv + strlen(tv);
		while (e > tv && isspace((unsigned char)e[-1]))
			*--e = '\0';
		for (e = tv; isspace((unsigned char)*e); e++)
			;
		for (i = 0; i < n; i++)
			if (strcmp(t[i], e) == 0)
				found = 1;
		free(tv);
	}
	free_tokens(t, n);
	free(list);
	free(v);
	push_bool(c, found);
}

static void
f_selected_at(xmlXPathParserContextPtr c, int nargs)
{
	xmlXPathObjectPtr *a;
	char *list, **t;
	double idx;
	int n;

	if (!arity(c, nargs, 2, 2))
		return;
	a = pop_args(c, 2);
	list = xfn_obj_string(a[0]);
	idx = obj_number(a[1]);
	free_args(a, 2);
	n = tokens(list, &t);
	push_str(c, !isnan(idx) && idx >= 0 && idx < n ? t[(int)idx] : "");
	free_tokens(t, n);
	free(list);
}

static void
f_count_selected(xmlXPathParserContextPtr c, int nargs)
{
	xmlXPathObjectPtr *a;
	char *list, **t;
	int n;

	if (!arity(c, nargs, 1, 1))
		return;
	a = pop_args(c, 1);
	list = xfn_obj_string(a[0]);
	free_args(a, 1);
	n = tokens(list, &t);
	free_tokens(t, n);
	free(list);
	push_num(c, n);
}

static void
f_count_non_empty(xmlXPathParserContextPtr c, int nargs)
{
	xmlXPathObjectPtr *a;
	char *s;
	int i, n = 0;

	if (!arity(c, nargs, 1, 1))
		return;
	a = pop_args(c, 1);
	if (a[0]->type == XPATH_NODESET && a[0]->nodesetval != NULL)
		for (i = 0; i < a[0]->nodesetval->nodeNr; i++) {
			s = xml_to_x(
			    xmlNodeGetContent(a[0]->nodesetval->nodeTab[i]));
			n += *s != '\0';
			free(s);
		}
	free_args(a, 1);
	push_num(c, n);
}

static void
f_choice_name(xmlXPathParserContextPtr c, int nargs)
{
	struct xfn_env *env = ENV(c);
	xmlXPathObjectPtr *a;
	char *v, *path, *r = NULL, *p, *e;

	if (!arity(c, nargs, 2, 2))
		return;
	a = pop_args(c, 2);
	v = xfn_obj_string(a[0]);
	path = xfn_obj_string(a[1]);
	free_args(a, 2);
	for (p = path; isspace((unsigned char)*p); p++)
		;
	e = p + strlen(p);
	while (e > p && isspace((unsigned char)e[-1]))
		*--e = '\0';
	if (env->choice_name != NULL)
		r = env->choice_name(env->arg, v, p);
	push_str(c, r != NULL ? r : "");
	free(r);
	free(v);
	free(path);
}

static void
f_itext(xmlXPathParserContextPtr c, int nargs)
{
	struct xfn_env *env = ENV(c);
	xmlXPathObjectPtr *a;
	char *id, *r = NULL;

	if (!arity(c, nargs, 1, 1))
		return;
	a = pop_args(c, 1);
	id = xfn_obj_string(a[0]);
	free_args(a, 1);
	if (env->itext != NULL)
		r = env->itext(env->arg, id);
	push_str(c, r != NULL ? r : "");
	free(r);
	free(id);
}

static void
f_today(xmlXPathParserContextPtr c, int nargs)
{
	char buf[16];

	if (!arity(c, nargs, 0, 0))
		return;
	xfn_today(buf);
	push_str(c, buf);
}

static void
f_now(xmlXPathParserContextPtr c, int nargs)
{
	char buf[40];

	if (!arity(c, nargs, 0, 0))
		return;
	xfn_now(buf);
	push_str(c, buf);
}

static void
f_date(xmlXPathParserContextPtr c, int nargs)
{
	xmlXPathObjectPtr *a;
	char buf[16], *s;
	double d;

	if (!arity(c, nargs, 1, 1))
		return;
	a = pop_args(c, 1);
	s = xfn_obj_string(a[0]);
	d = a[0]->type == XPATH_NUMBER ? a[0]->floatval : xfn_str_number(s);
	free_args(a, 1);
	free(s);
	if (isnan(d) || isinf(d) || fabs(d) > 3e6) {
		push_str(c, "");
		return;
	}
	xfn_days_to_date((long long)floor(d), buf);
	push_str(c, buf);
}

static void
f_date_time(xmlXPathParserContextPtr c, int nargs)
{
	xmlXPathObjectPtr *a;
	char buf[40];
	double d;

	if (!arity(c, nargs, 1, 1))
		return;
	a = pop_args(c, 1);
	d = obj_number(a[0]);
	free_args(a, 1);
	if (isnan(d) || isinf(d) || fabs(d) > 3e6) {
		push_str(c, "");
		return;
	}
	format_datetime(d * 86400.0, buf);
	push_str(c, buf);
}

static void
f_decimal_date_time(xmlXPathParserContextPtr c, int nargs)
{
	xmlXPathObjectPtr *a;

	if (!arity(c, nargs, 1, 1))
		return;
	a = pop_args(c, 1);
	push_num(c, obj_number(a[0]));
	free_args(a, 1);
}

static void
f_decimal_time(xmlXPathParserContextPtr c, int nargs)
{
	xmlXPathObjectPtr *a;
	char *s;
	double secs;
	int has_off, off;

	if (!arity(c, nargs, 1, 1))
		return;
	a = pop_args(c, 1);
	s = xfn_obj_string(a[0]);
	free_args(a, 1);
	if (parse_clock(s, &secs, &has_off, &off) != 0)
		push_num(c, NAN);
	else
		push_num(c, secs / 86400.0);
	free(s);
}

static void
f_format_date(xmlXPathParserContextPtr c, int nargs)
{
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
		"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	static const char *const wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
		"Fri", "Sat" };
	xmlXPathObjectPtr *a;
	char *s, *fmt, *out, *o, *p, *end;
	double secs;
	long long days;
	struct tm tm;
	time_t t;
	int ms = 0;

	if (!arity(c, nargs, 2, 2))
		return;
	a = pop_args(c, 2);
	s = xfn_obj_string(a[0]);
	fmt = xfn_obj_string(a[1]);
	if (a[0]->type == XPATH_NUMBER)
		secs = a[0]->floatval * 86400.0;
	else if (xfn_parse_date(s, &days) == 0) {
		secs = (double)days * 86400.0;
	} else if (xfn_parse_datetime(s, &secs) != 0)
		secs = NAN;
	free_args(a, 2);
	if (isnan(secs) || isinf(secs) || fabs(secs) > 1e14) {
		free(s);
		free(fmt);
		push_str(c, "");
		return;
	}
	t = (time_t)floor(secs);
	ms = (int)((secs - floor(secs)) * 1000);
	/* dates are calendar days: show them in UTC; dateTimes locally */
	if (xfn_parse_date(s, &days) == 0)
		gmtime_r(&t, &tm);
	else
		localtime_r(&t, &tm);
	out = xcalloc(strlen(fmt) * 8 + 1, 1);
	o = out;
	end = out + strlen(fmt) * 8 + 1;
	for (p = fmt; *p != '\0'; p++) {
		if (*p != '%' || p[1] == '\0') {
			*o++ = *p;
			continue;
		}
		p++;
		switch (*p) {
		case 'Y':
			o += snprintf(
			    o, (size_t)(end - o), "%04d", tm.tm_year + 1900);
			break;
		case 'y':
			o += snprintf(
			    o, (size_t)(end - o), "%02d", tm.tm_year % 100);
			break;
		case 'm':
			o += snprintf(
			    o, (size_t)(end - o), "%02d", tm.tm_mon + 1);
			break;
		case 'n':
			o +=
			    snprintf(o, (size_t)(end - o), "%d", tm.tm_mon + 1);
			break;
		case 'b':
			o += snprintf(
			    o, (size_t)(end - o), "%s", mon[tm.tm_mon]);
			break;
		case 'd':
			o += snprintf(o, (size_t)(end - o), "%02d", tm.tm_mday);
			break;
		case 'e':
			o += snprintf(o, (size_t)(end - o), "%d", tm.tm_mday);
			break;
		case 'H':
			o += snprintf(o, (size_t)(end - o), "%02d", tm.tm_hour);
			break;
		case 'h':
			o += snprintf(o, (size_t)(end - o), "%d", tm.tm_hour);
			break;
		case 'M':
			o += snprintf(o, (size_t)(end - o), "%02d", tm.tm_min);
			break;
		case 'S':
			o += snprintf(o, (size_t)(end - o), "%02d", tm.tm_sec);
			break;
		case '3':
			o += snprintf(o, (size_t)(end - o), "%03d", ms);
			break;
		case 'a':
			o += snprintf(
			    o, (size_t)(end - o), "%s", wd[tm.tm_wday]);
			break;
		default:
			*o++ = '%';
			*o++ = *p;
			break;
		}
	}
	push_str(c, out);
	free(out);
	free(s);
	free(fmt);
}

static double
arg_num1(xmlXPathParserContextPtr c, int nargs, int *ok)
{
	xmlXPathObjectPtr *a;
	double d;

	*ok = arity(c, nargs, 1, 1);
	if (!*ok)
		return NAN;
	a = pop_args(c, 1);
	d = obj_number(a[0]);
	free_args(a, 1);
	return d;
}

#define MATH1(fname, expr)                                                     \
	static void fname(xmlXPathParserContextPtr c, int nargs)               \
	{                                                                      \
		int ok;                                                        \
		double x = arg_num1(c, nargs, &ok);                            \
		if (ok)                                                        \
			push_num(c, (expr));                                   \
	}

MATH1(f_int, trunc(x))
MATH1(f_abs, fabs(x))
MATH1(f_log, log(x))
MATH1(f_log10, log10(x))
MATH1(f_sin, sin(x))
MATH1(f_cos, cos(x))
MATH1(f_tan, tan(x))
MATH1(f_asin, asin(x))
MATH1(f_acos, acos(x))
MATH1(f_atan, atan(x))
MATH1(f_sqrt, sqrt(x))
MATH1(f_exp, exp(x))
MATH1(f_exp10, pow(10, x))

static void
f_pow(xmlXPathParserContextPtr c, int nargs)
{
	xmlXPathObjectPtr *a;

	if (!arity(c, nargs, 2, 2))
		return;
	a = pop_args(c, 2);
	push_num(c, pow(obj_number(a[0]), obj_number(a[1])));
	free_args(a, 2);
}

static void
f_atan2(xmlXPathParserContextPtr c, int nargs)
{
	xmlXPathObjectPtr *a;

	if (!arity(c, nargs, 2, 2))
		return;
	a = pop_args(c, 2);
	push_num(c, atan2(obj_number(a[0]), obj_number(a[1])));
	free_args(a, 2);
}

static void
f_pi(xmlXPathParserContextPtr c, int nargs)
{
	if (arity(c, nargs, 0, 0))
		push_num(c, M_PI);
}

static uint64_t
rand64(void)
{
	struct uuid u;
	uint64_t r;

	/* uuid_v7 carries 62 random bits in its last 8 bytes */
	uuid_v7(&u);
	memcpy(&r, u.b + 8, sizeof(r));
	return r;
}

static void
f_random(xmlXPathParserContextPtr c, int nargs)
{
	if (arity(c, nargs, 0, 0))
		push_num(c, (double)(rand64() >> 11) / 9007199254740992.0);
}

/* min()/max() over numbers and every node of node-set arguments. */
static void
minmax(xmlXPathParserContextPtr c, int nargs, int want_max)
{
	xmlXPathObjectPtr *a;
	double r = NAN, v;
	char *s;
	int i, j, any = 0;

	if (!arity(c, nargs, 1, -1))
		return;
	a = pop_args(c, nargs);
	for (i = 0; i < nargs; i++) {
		if (a[i]->type == XPATH_NODESET) {
			for (j = 0;
			     a[i]->nodesetval && j < a[i]->nodesetval->nodeNr;
			     j++) {
				s = xml_to_x(xmlNodeGetContent(
				    a[i]->nodesetval->nodeTab[j]));
				v = xfn_str_number(s);
				free(s);
				if (isnan(v) ||
				    (any && (want_max ? v <= r : v >= r))) {
					if (isnan(v))
						r = NAN, any = -1;
					if (any == -1)
						break;
					continue;
				}
				r = v;
				any = 1;
			}
		} else {
			v = obj_number(a[i]);
			if (isnan(v))
				any = -1, r = NAN;
			else if (any == 0 ||
			    (any == 1 && (want_max ? v > r : v < r)))
				r = v, any = 1;
		}
		if (any == -1)
			break;
	}
	free_args(a, nargs);
	push_num(c, any == 1 ? r : NAN);
}

static void
f_min(xmlXPathParserContextPtr c, int nargs)
{
	minmax(c, nargs, 0);
}

static void
f_max(xmlXPathParserContextPtr c, int nargs)
{
	minmax(c, nargs, 1);
}

static void
f_uuid(xmlXPathParserContextPtr c, int nargs)
{
	struct uuid u;
	char s[UUID_STRLEN + 1];

	if (!arity(c, nargs, 0, 0))
		return;
	uuid_v7(&u);
	uuid_format(&u, s);
	push_str(c, s);
}

static void
f_substr(xmlXPathParserContextPtr c, int nargs)
{
	xmlXPathObjectPtr *a;
	char *s;
	double st, en;
	long len, i0, i1;

	if (!arity(c, nargs, 2, 3))
		return;
	a = pop_args(c, nargs);
	s = xfn_obj_string(a[0]);
	st = obj_number(a[1]);
	len = (long)strlen(s);
	en = nargs == 3 ? obj_number(a[2]) : (double)len;
	free_args(a, nargs);
	if (isnan(st) || isnan(en)) {
		free(s);
		push_str(c, "");
		return;
	}
	i0 = st < 0 ? len + (long)st : (long)st;
	i1 = en < 0 ? len + (long)en : (long)en;
	if (i0 < 0)
		i0 = 0;
	if (i1 > len)
		i1 = len;
	if (i1 <= i0)
		push_str(c, "");
	else {
		s[i1] = '\0';
		push_str(c, s + i0);
	}
	free(s);
}

/* The two arguments of a function as new strings; 0, or -1 (arity error
 * set) when there are not exactly two. */
static int
str_args2(xmlXPathParserContextPtr c, int nargs, char **s, char **t)
{
	xmlXPathObjectPtr *a;

	if (!arity(c, nargs, 2, 2))
		return -1;
	a = pop_args(c, 2);
	*s = xfn_obj_string(a[0]);
	*t = xfn_obj_string(a[1]);
	free_args(a, 2);
	return 0;
}

static void
f_ends_with(xmlXPathParserContextPtr c, int nargs)
{
	char *s, *t;
	size_t ls, lt;

	if (str_args2(c, nargs, &s, &t) != 0)
		return;
	ls = strlen(s);
	lt = strlen(t);
	push_bool(c, lt <= ls && strcmp(s + ls - lt, t) == 0);
	free(s);
	free(t);
}

static void
f_instance(xmlXPathParserContextPtr c, int nargs)
{
	struct xfn_env *env = ENV(c);
	xmlXPathObjectPtr *a;
	xmlDocPtr doc = NULL;
	char *id;

	if (!arity(c, nargs, 1, 1))
		return;
	a = pop_args(c, 1);
	id = xfn_obj_string(a[0]);
	free_args(a, 1);
	if (env->instance != NULL)
		doc = env->instance(env->arg, id);
	free(id);
	valuePush(c, xmlXPathNewNodeSet((xmlNodePtr)doc));
}

static void
f_current(xmlXPathParserContextPtr c, int nargs)
{
	struct xfn_env *env = ENV(c);

	if (!arity(c, nargs, 0, 0))
		return;
	valuePush(c, xmlXPathNewNodeSet(env->current));
}

static int
is_ancestor(xmlNodePtr anc, xmlNodePtr n)
{
	for (; n != NULL; n = n->parent)
		if (n == anc)
			return 1;
	return 0;
}

/*
 * indexed-repeat(target, repeat1, index1[, repeat2, index2...]): the
 * target node inside the index1-th repeat1 instance (and so on).
 */
static void
f_indexed_repeat(xmlXPathParserContextPtr c, int nargs)
{
	xmlXPathObjectPtr *a;
	xmlNodeSetPtr ns;
	xmlNodePtr scope = NULL, hit = NULL, cand;
	double idx;
	int i, j, k;

	if (!arity(c, nargs, 3, 7) || nargs % 2 == 0) {
		if (nargs % 2 == 0)
			xmlXPathSetArityError(c);
		return;
	}
	a = pop_args(c, nargs);
	for (i = 1; i + 1 < nargs; i += 2) {
		idx = obj_number(a[i + 1]);
		ns = a[i]->type == XPATH_NODESET ? a[i]->nodesetval : NULL;
		cand = NULL;
		for (j = 0, k = 0; ns && !isnan(idx) && j < ns->nodeNr; j++) {
			if (scope != NULL &&
			    !is_ancestor(scope, ns->nodeTab[j]))
				continue;
			if (++k == (int)idx) {
				cand = ns->nodeTab[j];
				break;
			}
		}
		scope = cand;
		if (scope == NULL)
			break;
	}
	ns = a[0]->type == XPATH_NODESET ? a[0]->nodesetval : NULL;
	for (j = 0; scope && ns && j < ns->nodeNr; j++)
		if (is_ancestor(scope, ns->nodeTab[j])) {
			hit = ns->nodeTab[j];
			break;
		}
	free_args(a, nargs);
	if (hit != NULL)
		valuePush(c, xmlXPathNewNodeSet(hit));
	else
		push_str(c, "");
}

/* randomize(nodes[, seed]): a shuffled copy (park-miller with a seed). */
static void
f_randomize(xmlXPathParserContextPtr c, int nargs)
{
	xmlXPathObjectPtr *a, r;
	xmlNodeSetPtr in, out;
	xmlNodePtr *v, t;
	uint64_t state;
	int i, j, n;

	if (!arity(c, nargs, 1, 2))
		return;
	a = pop_args(c, nargs);
	if (a[0]->type != XPATH_NODESET) {
		free_args(a, nargs);
		xmlXPathSetTypeError(c);
		return;
	}
	state = nargs == 2 ? (uint64_t)fabs(obj_number(a[1])) : rand64();
	state = state % 2147483646 + 1;
	in = a[0]->nodesetval;
	n = in ? in->nodeNr : 0;
	v = xcalloc((size_t)n + 1, sizeof(*v));
	for (i = 0; i < n; i++)
		v[i] = in->nodeTab[i];
	for (i = n - 1; i > 0; i--) {
		state = state * 48271 % 2147483647;
		j = (int)(state % (uint64_t)(i + 1));
		t = v[i];
		v[i] = v[j];
		v[j] = t;
	}
	/* a node-set is kept in document order by libxml2 where it sorts;
	 * the shuffled order only matters to itemsets, which read nodeTab */
	out = xmlXPathNodeSetCreate(NULL);
	for (i = 0; i < n; i++)
		xmlXPathNodeSetAddUnique(out, v[i]);
	free(v);
	free_args(a, nargs);
	r = xmlXPathWrapNodeSet(out);
	valuePush(c, r);
}

/* The calendar date of a date or dateTime string (its first 10 chars). */
/* --- CHT extensions (medic-xpath-extensions.js, read for semantics) ------ */

/* The one argument of a function as a new string; NULL (arity error set)
 * when there is not exactly one. */
static char *
str_arg1(xmlXPathParserContextPtr c, int nargs)
{
	xmlXPathObjectPtr *a;
	char *s;

	if (!arity(c, nargs, 1, 1))
		return NULL;
	a = pop_args(c, 1);
	s = xfn_obj_string(a[0]);
	free_args(a, 1);
	return s;
}

/*
 * CHT computes dates with moment.js in the device's time zone.  Here a
 * moment is its local wall-clock time in seconds since 1970-01-01T00:00
 * (local), which makes calendar arithmetic exact (a day is 86,400 s of
 * wall clock, as moment.js adds days); local_to_secs() turns it into an
 * instant as JavaScript's Date does across a DST change.
 */
static int
is_raw_number(const char *s)
{
	const char *p = s;

	if (*p == '-')
		p++;
	if (!isdigit((unsigned char)*p))
		return 0;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return 0;
		while (isdigit((unsigned char)*p))
			p++;
	}
	return *p == '\0';
}

/*
 * The instant of the local wall-clock time LOCAL, as JavaScript's Date
 * (under CHT's moment.js) resolves it: a time a DST change skips (the
 * clocks go forward at midnight in Cairo, Beirut, Santiago...) takes the
 * offset before the change, so it reads an hour later; a time it repeats
 * is the earlier instant.  One change at most within a day of LOCAL.
 */
static double
local_to_secs(double local)
{
	long before = local_offset_seconds((time_t)local - 86400),
	     after = local_offset_seconds((time_t)local + 86400);
	double t1 = local - (double)before, t2 = local - (double)after;
	int ok1 = local_offset_seconds((time_t)t1) == before,
	    ok2 = local_offset_seconds((time_t)t2) == after;

	if (ok1 && ok2)
		return t1 < t2 ? t1 : t2;
	return ok2 ? t2 : t1;
}

/* CHT's asMoment(): a number is days since 1970-01-01 (local), a date is
 * local midnight, a dateTime is that instant; 0 or EINVAL. */
static int
obj_local(xmlXPathObjectPtr o, double *local)
{
	long long days;
	double secs, d;
	char *s;
	int err = 0;

	if (o == NULL || o->type == XPATH_BOOLEAN)
		return EINVAL;
	if (o->type == XPATH_NUMBER) {
		d = o->floatval;
		if (isnan(d) || isinf(d) || fabs(d) > 3e6)
			return EINVAL;
		*local = trunc(d) * 86400;
		return 0;
	}
	s = xfn_obj_string(o);
	if (is_raw_number(s))
		*local = (double)strtoll(s, NULL, 10) * 86400;
	else if (xfn_parse_date(s, &days) == 0) {
		/* local midnight, or 01:00 where DST skips it (as in JS) */
		secs = local_to_secs((double)days * 86400);
		*local = secs + (double)local_offset_seconds((time_t)secs);
	} else if (xfn_parse_datetime(s, &secs) == 0)
		*local = secs + (double)local_offset_seconds((time_t)secs);
	else
		err = EINVAL;
	free(s);
	if (err == 0 && fabs(*local) > 3e6 * 86400)
		err = EINVAL;
	return err;
}

static int
days_in_month(int y, int m)
{
	static const int ml[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return ml[m - 1];
}

/* moment's add(n, 'months'): the day is kept, or clamped to the month's
 * last day; the time of day is kept. */
static double
add_months(double local, long n)
{
	long long days = (long long)floor(local / 86400), total;
	double tod = local - (double)days * 86400;
	int y, m, d, ny, nm;

	civil_from_days(days, &y, &m, &d);
	total = (long long)y * 12 + (m - 1) + n;
	ny = (int)(total >= 0 ? total / 12 : (total - 11) / 12);
	nm = (int)(total - (long long)ny * 12) + 1;
	if (d > days_in_month(ny, nm))
		d = days_in_month(ny, nm);
	return (double)days_from_civil(ny, (unsigned)nm, (unsigned)d) * 86400 +
	    tod;
}

/* JavaScript's Math.round away from zero for negatives (moment absRound). */
static double
abs_round(double v)
{
	return v < 0 ? -floor(-v + 0.5) : floor(v + 0.5);
}

static void
push_local(xmlXPathParserContextPtr c, double local)
{
	char buf[40];

	format_datetime(local_to_secs(local), buf);
	push_str(c, buf);
}

/*
 * add-date(date, years, months, days, hours, minutes): each amount that is
 * a non-zero number is added in that order (years as 12 months; months
 * clamp the day to the month's end; days keep the time of day; hours and
 * minutes are elapsed time).  The result is the local dateTime
 * ("2024-02-29T00:00:00.000+03:00"); a date question keeps its date part.
 * "" when DATE is not a date (CHT: "Invalid Date").
 */
static void
f_add_date(xmlXPathParserContextPtr c, int nargs)
{
	xmlXPathObjectPtr *a;
	double local, v;
	char *s;
	int i, ok;

	if (!arity(c, nargs, 1, 6))
		return;
	a = pop_args(c, nargs);
	ok = obj_local(a[0], &local) == 0;
	for (i = 1; ok && i < nargs; i++) {
		s = xfn_obj_string(a[i]);
		v = *s == '\0' ? 0 : xfn_str_number(s);
		free(s);
		if (isnan(v) || v == 0)
			continue;
		switch (i) {
		case 1:
			local = add_months(local, (long)abs_round(v * 12));
			break;
		case 2:
			local = add_months(local, (long)abs_round(v));
			break;
		case 3:
			local += abs_round(v) * 86400;
			break;
		default:
			local = local_to_secs(local) +
			    abs_round(v * (i == 4 ? 3600000 : 60000)) / 1000;
			local += (double)local_offset_seconds((time_t)local);
			break;
		}
	}
	free_args(a, nargs);
	if (!ok)
		push_str(c, "");
	else
		push_local(c, local);
}

/* moment's monthDiff(a, b), with the fraction: a.diff(b, 'months')
 * before truncation. */
static double
month_diff(double a, double b)
{
	long long da = (long long)floor(a / 86400),
	          db = (long long)floor(b / 86400);
	int ya, ma, dd, yb, mb;
	long whole;
	double anchor, anchor2, adjust;

	int db_day;

	civil_from_days(da, &ya, &ma, &dd);
	civil_from_days(db, &yb, &mb, &db_day);
	/* moment: end-of-month spans are measured from the longer month */
	if (dd < db_day)
		return -month_diff(b, a);
	whole = (long)(yb - ya) * 12 + (mb - ma);
	anchor = add_months(a, whole);
	if (b - anchor < 0) {
		anchor2 = add_months(a, whole - 1);
		adjust = (b - anchor) / (anchor - anchor2);
	} else {
		anchor2 = add_months(a, whole + 1);
		adjust = (b - anchor) / (anchor2 - anchor);
	}
	return -(whole + adjust) + 0.0;
}

enum diff_unit { DIFF_DAYS, DIFF_WEEKS, DIFF_MONTHS, DIFF_YEARS };

/* cht:difference-in-*(start, end): moment's end.diff(start, unit),
 * truncated toward zero; "" when either is not a date. */
static void
date_diff(xmlXPathParserContextPtr c, int nargs, enum diff_unit u)
{
	xmlXPathObjectPtr *a;
	double from, to, r = 0;
	int ok;

	if (!arity(c, nargs, 2, 2))
		return;
	a = pop_args(c, 2);
	ok = obj_local(a[0], &from) == 0 && obj_local(a[1], &to) == 0;
	free_args(a, 2);
	if (!ok) {
		push_str(c, "");
		return;
	}
	switch (u) {
	case DIFF_DAYS:
		r = (to - from) / 86400;
		break;
	case DIFF_WEEKS:
		r = (to - from) / (7 * 86400);
		break;
	case DIFF_MONTHS:
		r = month_diff(to, from);
		break;
	case DIFF_YEARS:
		r = month_diff(to, from) / 12;
		break;
	}
	push_num(c, trunc(r) + 0.0);
}

/* One xmlXPathFunction per unit (libxml2 passes no user data). */
#define DIFF_FN(fn, unit)                                                      \
	static void fn(xmlXPathParserContextPtr c, int nargs)                  \
	{                                                                      \
		date_diff(c, nargs, unit);                                     \
	}
DIFF_FN(f_difference_in_days, DIFF_DAYS)
DIFF_FN(f_difference_in_weeks, DIFF_WEEKS)
DIFF_FN(f_difference_in_months, DIFF_MONTHS)
DIFF_FN(f_difference_in_years, DIFF_YEARS)

/* parse-timestamp-to-date(ms): JavaScript parseInt of milliseconds since
 * the epoch, as the local dateTime; "" when it is not a number. */
static void
f_parse_timestamp_to_date(xmlXPathParserContextPtr c, int nargs)
{
	char *s, *p, buf[40];
	double ms;

	if ((s = str_arg1(c, nargs)) == NULL)
		return;
	for (p = s; isspace((unsigned char)*p); p++)
		;
	if (!isdigit((unsigned char)p[*p == '-' || *p == '+'])) {
		free(s);
		push_str(c, "");
		return;
	}
	ms = (double)strtoll(p, NULL, 10);
	free(s);
	if (fabs(ms) > 8.64e15) {
		push_str(c, "");
		return;
	}
	format_datetime(ms / 1000, buf);
	push_str(c, buf);
}

/* cht:strip-whitespace(s): every white-space character removed. */
static void
f_strip_whitespace(xmlXPathParserContextPtr c, int nargs)
{
	char *s, *p, *q;

	if ((s = str_arg1(c, nargs)) == NULL)
		return;
	for (p = q = s; *p != '\0'; p++)
		if (!isspace((unsigned char)*p))
			*q++ = *p;
	*q = '\0';
	push_str_take(c, s);
}

/* cht:validate-luhn(number[, length]): the Luhn check digit holds. */
static void
f_validate_luhn(xmlXPathParserContextPtr c, int nargs)
{
	xmlXPathObjectPtr *a;
	char *s, *p, *q;
	double want = 0;
	int sum = 0, second = 0, ok = 1, d;
	size_t len;

	if (!arity(c, nargs, 1, 2))
		return;
	a = pop_args(c, nargs);
	s = xfn_obj_string(a[0]);
	if (nargs == 2)
		want = obj_number(a[1]);
	free_args(a, nargs);
	for (p = q = s; *p != '\0'; p++)
		if (!isspace((unsigned char)*p))
			*q++ = *p;
	*q = '\0';
	len = strlen(s);
	if (len == 0 || (!isnan(want) && want != 0 && (double)len != want))
		ok = 0;
	for (p = s + len; ok && p > s; p--) {
		if (!isdigit((unsigned char)p[-1])) {
			ok = 0;
			break;
		}
		d = p[-1] - '0';
		if (second && (d *= 2) > 9)
			d -= 9;
		sum += d;
		second = !second;
	}
	free(s);
	push_bool(c, ok && sum % 10 == 0);
}

/* --- ODK and CommCare additions ------------------------------------------- */

/* trim(s): leading and trailing white space removed (ODK XForms spec). */
static void
f_trim(xmlXPathParserContextPtr c, int nargs)
{
	char *s, *p, *e;

	if ((s = str_arg1(c, nargs)) == NULL)
		return;
	for (p = s; isspace((unsigned char)*p); p++)
		;
	for (e = p + strlen(p); e > p && isspace((unsigned char)e[-1]); e--)
		;
	*e = '\0';
	push_str(c, p);
	free(s);
}

/* version(): the form's version attribute (JavaRosa: formVersion). */
static void
f_version(xmlXPathParserContextPtr c, int nargs)
{
	struct xfn_env *env = ENV(c);

	if (!arity(c, nargs, 0, 0))
		return;
	push_str(c, env->version != NULL ? env->version : "");
}

/*
 * cond(test1, value1, ..., default) (CommCare): the value after the first
 * true test (tests read as conditions, like if()), else the default.
 */
static void
f_cond(xmlXPathParserContextPtr c, int nargs)
{
	xmlXPathObjectPtr *a;
	int i, pick;

	if (nargs < 3 || nargs % 2 == 0) {
		xmlXPathSetArityError(c);
		return;
	}
	a = pop_args(c, nargs);
	pick = nargs - 1;
	for (i = 0; i + 1 < nargs; i += 2)
		if (obj_bool(c, a[i])) {
			pick = i + 1;
			break;
		}
	valuePush(c, a[pick]);
	a[pick] = NULL;
	free_args(a, nargs);
}

/* base64-decode(s): the bytes as UTF-8 text (JavaRosa); "" if not base64. */
static void
f_base64_decode(xmlXPathParserContextPtr c, int nargs)
{
	char *s;
	uint8_t *out;
	size_t len;

	if ((s = str_arg1(c, nargs)) == NULL)
		return;
	out = xmalloc(strlen(s) + 1);
	if (base64_decode(s, strlen(s), out, &len) != 0)
		len = 0;
	out[len] = '\0';
	push_str(c, (const char *)out);
	free(out);
	free(s);
}

/*
 * extract-signed(contents, key): CONTENTS (base64) is an Ed25519
 * signature (64 bytes) followed by a message; when KEY (base64; its first
 * 32 bytes) verifies it, the message as text, else "" (JavaRosa's
 * Ed25519.extractSigned: contents too short, a key too short or a
 * signature that does not verify all give "").
 */
static void
f_extract_signed(xmlXPathParserContextPtr c, int nargs)
{
	char *s, *k;
	uint8_t *msg, *key;
	size_t len, klen;

	if (str_args2(c, nargs, &s, &k) != 0)
		return;
	msg = xmalloc(strlen(s) + 1);
	key = xmalloc(strlen(k) + 1);
	if (base64_decode(s, strlen(s), msg, &len) != 0)
		len = 0;
	if (base64_decode(k, strlen(k), key, &klen) != 0)
		klen = 0;
	msg[len] = '\0';
	if (len >= CRYPTO_SIG_LEN && klen >= 32 &&
	    crypto_ed25519_verify(
	        key, msg + CRYPTO_SIG_LEN, len - CRYPTO_SIG_LEN, msg) == 0)
		push_str(c, (const char *)msg + CRYPTO_SIG_LEN);
	else
		push_str(c, "");
	free(msg);
	free(key);
	free(s);
	free(k);
}

/*
 * digest(data, algorithm[, encoding]): MD5, SHA-1, SHA-256, SHA-384 or
 * SHA-512 of the UTF-8 text, in base64 (default) or hex (ODK spec); an
 * unknown algorithm or encoding is an error, as in JavaRosa.
 */
static void
f_digest(xmlXPathParserContextPtr c, int nargs)
{
	xmlXPathObjectPtr *a;
	char *data, *alg, *enc = NULL, *out = NULL;
	uint8_t md[64];
	size_t mdlen = 0;
	int err;

	if (!arity(c, nargs, 2, 3))
		return;
	a = pop_args(c, nargs);
	data = xfn_obj_string(a[0]);
	alg = xfn_obj_string(a[1]);
	enc = nargs == 3 ? xfn_obj_string(a[2]) : xstrdup("base64");
	free_args(a, nargs);
	err = crypto_digest(alg, data, strlen(data), md, &mdlen);
	if (err == 0 && strcmp(enc, "base64") == 0)
		out = base64_encode(md, mdlen, 0);
	else if (err == 0 && strcmp(enc, "hex") == 0)
		out = hex_encode(md, mdlen);
	free(data);
	free(alg);
	free(enc);
	if (out == NULL) {
		xmlXPathSetError(c, XPATH_INVALID_ARITY);
		return;
	}
	push_str_take(c, out);
}

/* --- geo (JavaRosa's GeoUtils formulas, re-derived) ----------------------- */

#define EARTH_RADIUS_M 6378100.0

struct latlon {
	double lat, lon;
};

/* "lat lon [alt acc]" points separated by ';' appended to *P. */
static void
geo_points(const char *s, struct latlon **p, size_t *n)
{
	char *copy = xstrdup(s), *rest = copy, *pt;
	double lat, lon;

	while ((pt = strsep(&rest, ";")) != NULL) {
		if (sscanf(pt, "%lf %lf", &lat, &lon) != 2)
			continue;
		*p = xreallocarray(*p, *n + 1, sizeof(**p));
		(*p)[*n].lat = lat;
		(*p)[*n].lon = lon;
		(*n)++;
	}
	free(copy);
}

static size_t
geo_args(xmlXPathObjectPtr *a, int nargs, struct latlon **p)
{
	size_t n = 0;
	char *s;
	int i;

	*p = NULL;
	for (i = 0; i < nargs; i++) {
		s = xfn_obj_string(a[i]);
		geo_points(s, p, &n);
		free(s);
	}
	return n;
}

static double
rad(double deg)
{
	return deg * M_PI / 180;
}

/* distance(points...): metres along the points, great circles on a sphere
 * of JavaRosa's radius (spherical law of cosines). */
static void
f_distance(xmlXPathParserContextPtr c, int nargs)
{
	xmlXPathObjectPtr *a;
	struct latlon *p;
	size_t n, i;
	double total = 0, x;

	if (!arity(c, nargs, 1, -1))
		return;
	a = pop_args(c, nargs);
	n = geo_args(a, nargs, &p);
	free_args(a, nargs);
	for (i = 1; i < n; i++) {
		x = sin(rad(p[i - 1].lat)) * sin(rad(p[i].lat)) +
		    cos(rad(p[i - 1].lat)) * cos(rad(p[i].lat)) *
		        cos(rad(p[i - 1].lon - p[i].lon));
		if (x > 1)
			x = 1;
		total += acos(x) * EARTH_RADIUS_M;
	}
	free(p);
	push_num(c, total);
}

/* area(shape): square metres, triangles fanned from the first point on a
 * local plane (JavaRosa's method); 0 under three points. */
static void
f_area(xmlXPathParserContextPtr c, int nargs)
{
	xmlXPathObjectPtr *a;
	struct latlon *p;
	size_t n, i;
	double circ = 2 * M_PI * EARTH_RADIUS_M, sum = 0, x0 = 0, y0 = 0, x1,
	       y1;

	if (!arity(c, nargs, 1, 1))
		return;
	a = pop_args(c, 1);
	n = geo_args(a, 1, &p);
	free_args(a, 1);
	for (i = 1; n >= 3 && i < n; i++) {
		y1 = (p[i].lat - p[0].lat) * circ / 360;
		x1 = (p[i].lon - p[0].lon) * circ * cos(rad(p[i].lat)) / 360;
		if (i > 1)
			sum += (y0 * x1 - x0 * y1) / 2;
		x0 = x1;
		y0 = y1;
	}
	free(p);
	push_num(c, fabs(sum));
}

/* geofence(point, shape): is POINT inside the closed SHAPE (even-odd ray
 * casting over consecutive points, as JavaRosa's GeoUtils does)? */
static void
f_geofence(xmlXPathParserContextPtr c, int nargs)
{
	xmlXPathObjectPtr *a;
	struct latlon *pt, *p;
	size_t npt, n, i;
	int in = 0;

	if (!arity(c, nargs, 2, 2))
		return;
	a = pop_args(c, 2);
	npt = geo_args(a, 1, &pt);
	n = geo_args(a + 1, 1, &p);
	free_args(a, 2);
	for (i = 1; npt == 1 && i < n; i++)
		if ((p[i].lat > pt[0].lat) != (p[i - 1].lat > pt[0].lat) &&
		    pt[0].lon < (p[i - 1].lon - p[i].lon) *
		                (pt[0].lat - p[i].lat) /
		                (p[i - 1].lat - p[i].lat) +
		            p[i].lon)
			in = !in;
	free(pt);
	free(p);
	push_bool(c, in);
}

/* Bikram Sambat's day 1 (1970-01-01 BS) as the library CHT uses counts it:
 * milliseconds since the epoch. */
#define BS_EPOCH_MS (-1789990200000.0)

static void
devanagari(char *out, size_t size, int n)
{
	char digits[16];
	size_t i, o = 0;

	snprintf(digits, sizeof(digits), "%d", n);
	for (i = 0; digits[i] != '\0' && o + 4 < size; i++) {
		/* U+0966 DEVANAGARI DIGIT ZERO + d */
		out[o++] = (char)0xe0;
		out[o++] = (char)0xa5;
		out[o++] = (char)(0xa6 + (digits[i] - '0'));
	}
	out[o] = '\0';
}

/*
 * to-bikram-sambat(date) (CHT): the date in the Bikram Sambat calendar as
 * CHT writes it, "day month year" in Devanagari ("१४ असोज २०७२"); "" when
 * DATE is not a date or falls outside the calendar data (1970-2090 BS).
 */
static void
f_to_bikram_sambat(xmlXPathParserContextPtr c, int nargs)
{
	static const char *const months[] = { "बैशाख", "जेठ", "असार", "साउन",
		"भदौ", "असोज", "कार्तिक", "मंसिर", "पौष", "माघ", "फाल्गुन", "चैत" };
	xmlXPathObjectPtr *a;
	double local, days;
	char d[64], y[64], *out;
	int year, m, ok;

	if (!arity(c, nargs, 1, 1))
		return;
	a = pop_args(c, 1);
	ok = obj_local(a[0], &local) == 0;
	free_args(a, 1);
	days = ok
	    ? floor((local_to_secs(local) * 1000 - BS_EPOCH_MS) / 86400000.0) +
	        1
	    : 0;
	for (year = 0; days > 0 && year < bs_nyears; year++)
		for (m = 0; m < 12; m++) {
			if (days <= bs_month_days[year][m]) {
				devanagari(d, sizeof(d), (int)days);
				devanagari(y, sizeof(y), bs_first_year + year);
				xasprintf(&out, "%s %s %s", d, months[m], y);
				push_str_take(c, out);
				return;
			}
			days -= bs_month_days[year][m];
		}
	push_str(c, "");
}

/*
 * z-score(chart, sex, x, y) (CHT): zscore.h.  No score is "", and so is a
 * score of exactly 0, as CHT returns it ("if (!result)").  An empty X or Y
 * is no score (CHT would read "" as 0 there).
 */
static void
f_z_score(xmlXPathParserContextPtr c, int nargs)
{
	xmlXPathObjectPtr *a;
	char *chart, *sex, *xs, *ys;
	double z;
	int ok;

	if (!arity(c, nargs, 4, 4))
		return;
	a = pop_args(c, 4);
	chart = xfn_obj_string(a[0]);
	sex = xfn_obj_string(a[1]);
	xs = xfn_obj_string(a[2]);
	ys = xfn_obj_string(a[3]);
	free_args(a, 4);
	ok = zscore_cht(
	         chart, sex, xfn_str_number(xs), xfn_str_number(ys), &z) == 0 &&
	    z != 0;
	free(chart);
	free(sex);
	free(xs);
	free(ys);
	if (ok)
		push_num(c, z);
	else
		push_str(c, "");
}

/*
 * pulldata(list, column, key_column, key): COLUMN of the first row of the
 * CSV attached to the form (LIST.csv next to it, or a declared instance
 * of that id) whose KEY_COLUMN is KEY; "" when none.
 */
static void
f_pulldata(xmlXPathParserContextPtr c, int nargs)
{
	struct xfn_env *env = ENV(c);
	xmlXPathObjectPtr *a;
	char *s[4], *r = NULL;
	int i;

	if (!arity(c, nargs, 4, 4))
		return;
	a = pop_args(c, 4);
	for (i = 0; i < 4; i++)
		s[i] = xfn_obj_string(a[i]);
	free_args(a, 4);
	if (env->pulldata != NULL)
		r = env->pulldata(env->arg, s[0], s[1], s[2], s[3]);
	for (i = 0; i < 4; i++)
		free(s[i]);
	push_str_take(c, r != NULL ? r : xstrdup(""));
}

/* --- table ---------------------------------------------------------------- */

static const struct {
	const char *name;
	xmlXPathFunction fn;
} fns[] = {
	{ "concat", f_concat },
	{ "join", f_join },
	{ "string", f_string },
	{ "number", f_num },
	{ "num", f_num },
	{ "round", f_round },
	{ "position", f_position },
	{ "if", f_if },
	{ "bool", f_bool },
	{ "not", f_not },
	{ "coalesce", f_coalesce },
	{ "once", f_once },
	{ "boolean-from-string", f_boolean_from_string },
	{ "checklist", f_checklist },
	{ "weighted-checklist", f_weighted_checklist },
	{ "regex", f_regex },
	{ "selected", f_selected },
	{ "selected-at", f_selected_at },
	{ "count-selected", f_count_selected },
	{ "count-non-empty", f_count_non_empty },
	{ "choice-name", f_choice_name },
	{ "itext", f_itext },
	{ "today", f_today },
	{ "now", f_now },
	{ "date", f_date },
	{ "date-time", f_date_time },
	{ "decimal-date-time", f_decimal_date_time },
	{ "decimal-date", f_decimal_date_time },
	{ "decimal-time", f_decimal_time },
	{ "format-date", f_format_date },
	{ "format-date-time", f_format_date },
	{ "int", f_int },
	{ "abs", f_abs },
	{ "pow", f_pow },
	{ "log", f_log },
	{ "log10", f_log10 },
	{ "sin", f_sin },
	{ "cos", f_cos },
	{ "tan", f_tan },
	{ "asin", f_asin },
	{ "acos", f_acos },
	{ "atan", f_atan },
	{ "atan2", f_atan2 },
	{ "sqrt", f_sqrt },
	{ "exp", f_exp },
	{ "exp10", f_exp10 },
	{ "pi", f_pi },
	{ "random", f_random },
	{ "min", f_min },
	{ "max", f_max },
	{ "uuid", f_uuid },
	{ "substr", f_substr },
	{ "ends-with", f_ends_with },
	{ "instance", f_instance },
	{ "current", f_current },
	{ "indexed-repeat", f_indexed_repeat },
	{ "randomize", f_randomize },
	{ "difference-in-months", f_difference_in_months },
	{ "cht-difference-in-days", f_difference_in_days },
	{ "cht-difference-in-weeks", f_difference_in_weeks },
	{ "cht-difference-in-months", f_difference_in_months },
	{ "cht-difference-in-years", f_difference_in_years },
	{ "cht-strip-whitespace", f_strip_whitespace },
	{ "cht-validate-luhn", f_validate_luhn },
	{ "add-date", f_add_date },
	{ "parse-timestamp-to-date", f_parse_timestamp_to_date },
	{ "trim", f_trim },
	{ "version", f_version },
	{ "cond", f_cond },
	{ "base64-decode", f_base64_decode },
	{ "digest", f_digest },
	{ "extract-signed", f_extract_signed },
	{ "distance", f_distance },
	{ "area", f_area },
	{ "enclosed-area", f_area },
	{ "geofence", f_geofence },
	{ "pulldata", f_pulldata },
	{ "z-score", f_z_score },
	{ "to-bikram-sambat", f_to_bikram_sambat },
};

xmlXPathFunction
xfn_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < nitems(fns); i++)
		if (strcmp(fns[i].name, name) == 0)
			return fns[i].fn;
	return NULL;
}

static xmlXPathObjectPtr
var_lookup(void *data, const xmlChar *name, const xmlChar *ns_uri)
{
	struct xfn_env *env = data;
	long k;
	char *end;

	if (ns_uri != NULL)
		return NULL;
	if (xmlStrEqual(name, (const xmlChar *)"r"))
		return xmlXPathNewNodeSet((xmlNodePtr)env->primary);
	if (xmlStrncmp(name, (const xmlChar *)"rep", 3) == 0) {
		k = strtol((const char *)name + 3, &end, 10);
		if (*end == '\0' && k >= 1 && k <= env->nrep)
			return xmlXPathNewFloat(env->rep[k - 1]);
		return xmlXPathNewFloat(1);
	}
	return NULL;
}

void
xfn_register(xmlXPathContextPtr ctxt, struct xfn_env *env)
{
	size_t i;

	ctxt->userData = env;
	for (i = 0; i < nitems(fns); i++)
		xmlXPathRegisterFuncNS(ctxt, (const xmlChar *)fns[i].name,
		    (const xmlChar *)XPR_NS, fns[i].fn);
	xmlXPathRegisterVariableLookup(ctxt, var_lookup, env);
}
