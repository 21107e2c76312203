/*
 * TZif reader (see tzif.h).  Version 1 files use the 32-bit block;
 * version 2 and later the 64-bit block and the footer.  Files with leap
 * second records ("right/" zones) are refused: their instants are not
 * Unix time.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tzif.h"
#include "xmalloc.h"

#define TZIF_MAX_FILE (256 * 1024)
#define TZIF_MAX_OFF (26 * 3600)

/* A POSIX TZ rule: the day (kind 'M', 'J' or 'n') and the time. */
struct tzrule {
	char kind;
	int m, w, d; /* M: month, week 1-5, weekday; J, n: d */
	int32_t secs; /* local time of day of the change */
};

struct tzposix {
	int valid, has_dst;
	int32_t std_off, dst_off; /* seconds east of UTC */
	struct tzrule start, end;
};

struct tzif {
	size_t n; /* transitions */
	int64_t *at;
	uint8_t *idx;
	size_t ntypes;
	int32_t *types; /* utoff of each local time type */
	struct tzposix footer;
};

int64_t
tzif_days_from_civil(int y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void
tzif_civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	int64_t era, doe, yoe, doy, mp, yy;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yy = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yy + (*m <= 2));
}

int
tzif_weekday(int64_t days)
{
	int64_t w = (days + 4) % 7; /* 1970-01-01 was a Thursday */

	return (int)(w < 0 ? w + 7 : w);
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static int64_t
be64(const uint8_t *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* --- the footer: a POSIX TZ string ----------------------------------- */

static const char *
tz_name(const char *p)
{
	const char *s = p;

	if (*p == '<') {
		while (*p != '\0' && *p != '>')
			p++;
		return *p == '>' && p - s >= 4 ? p + 1 : NULL;
	}
	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
		p++;
	return p - s >= 3 ? p : NULL;
}

/* [+-]hh[:mm[:ss]], hours up to MAXH; *OUT in seconds. */
static const char *
tz_time(const char *p, int maxh, int32_t *out)
{
	int sign = 1, part = 0, v;
	int32_t t = 0;

	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	for (;;) {
		if (*p < '0' || *p > '9')
			return NULL;
		for (v = 0; *p >= '0' && *p <= '9' && v < 1000; p++)
			v = v * 10 + (*p - '0');
		if ((part == 0 && v > maxh) || (part > 0 && v > 59))
			return NULL;
		t += v * (part == 0 ? 3600 : part == 1 ? 60 : 1);
		if (++part == 3 || *p != ':')
			break;
		p++;
	}
	*out = sign * t;
	return p;
}

static const char *
tz_rule(const char *p, struct tzrule *r)
{
	char *e;
	long v;

	r->secs = 7200;
	if (*p == 'M') {
		r->kind = 'M';
		r->m = (int)strtol(p + 1, &e, 10);
		if (*e != '.' || r->m < 1 || r->m > 12)
			return NULL;
		r->w = (int)strtol(e + 1, &e, 10);
		if (*e != '.' || r->w < 1 || r->w > 5)
			return NULL;
		r->d = (int)strtol(e + 1, &e, 10);
		if (r->d < 0 || r->d > 6)
			return NULL;
	} else {
		r->kind = *p == 'J' ? 'J' : 'n';
		if (*p == 'J')
			p++;
		if (*p < '0' || *p > '9')
			return NULL;
		v = strtol(p, &e, 10);
		if (v < (r->kind == 'J') || v > 365)
			return NULL;
		r->d = (int)v;
	}
	p = e;
	if (*p == '/' && (p = tz_time(p + 1, 167, &r->secs)) == NULL)
		return NULL;
	return p;
}

static int
tz_posix(const char *p, struct tzposix *z)
{
	int32_t t;

	memset(z, 0, sizeof(*z));
	if ((p = tz_name(p)) == NULL || (p = tz_time(p, 24, &t)) == NULL)
		return EPROTO;
	z->std_off = -t;
	z->dst_off = z->std_off;
	if (*p != '\0') {
		if ((p = tz_name(p)) == NULL)
			return EPROTO;
		z->has_dst = 1;
		z->dst_off = z->std_off + 3600;
		if (*p != ',' && *p != '\0') {
			if ((p = tz_time(p, 24, &t)) == NULL)
				return EPROTO;
			z->dst_off = -t;
		}
		if (*p == '\0') /* no rule: POSIX's default is US rules */
			p = ",M3.2.0,M11.1.0";
		if (*p != ',' || (p = tz_rule(p + 1, &z->start)) == NULL ||
		    *p != ',' || (p = tz_rule(p + 1, &z->end)) == NULL ||
		    *p != '\0')
			return EPROTO;
	}
	z->valid = 1;
	return 0;
}

static int
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Day number (days since 1970) of rule R in year Y. */
static int64_t
tz_rule_day(const struct tzrule *r, int y)
{
	static const unsigned mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
		31, 30, 31 };
	int64_t first, day;
	unsigned len;

	if (r->kind == 'J') /* 1-365, February 29 never counted */
		return tzif_days_from_civil(y, 1, 1) + r->d - 1 +
		    (is_leap(y) && r->d >= 60);
	if (r->kind == 'n')
		return tzif_days_from_civil(y, 1, 1) + r->d;
	first = tzif_days_from_civil(y, (unsigned)r->m, 1);
	day = first + ((r->d - tzif_weekday(first)) + 7) % 7 +
	    (int64_t)(r->w - 1) * 7;
	len = mdays[r->m - 1] + (r->m == 2 && is_leap(y));
	while (day >= first + len)
		day -= 7;
	return day;
}

static int32_t
tz_posix_offset(const struct tzposix *z, int64_t utc)
{
	int64_t start, end;
	unsigned m, d;
	int y;

	if (!z->has_dst)
		return z->std_off;
	tzif_civil_from_days(floor_div(utc + z->std_off, 86400), &y, &m, &d);
	/* The start is read on the standard clock, the end on DST's. */
	start = tz_rule_day(&z->start, y) * 86400 + z->start.secs - z->std_off;
	end = tz_rule_day(&z->end, y) * 86400 + z->end.secs - z->dst_off;
	if (start < end)
		return utc >= start && utc < end ? z->dst_off : z->std_off;
	return utc >= end && utc < start ? z->std_off : z->dst_off;
}

/* --- the file ---------------------------------------------------------- */

struct tzhead {
	uint32_t isut, isstd, leap, time, type, chars;
};

static int
tz_head(const uint8_t *p, size_t len, struct tzhead *h, int *version)
{
	if (len < 44 || memcmp(p, "TZif", 4) != 0)
		return EPROTO;
	*version = p[4] == 0 ? 1 : p[4] - '0';
	if (*version < 1 || *version > 9)
		return EPROTO;
	h->isut = be32(p + 20);
	h->isstd = be32(p + 24);
	h->leap = be32(p + 28);
	h->time = be32(p + 32);
	h->type = be32(p + 36);
	h->chars = be32(p + 40);
	if (h->type == 0 || h->type > 256 || h->time > 100000 ||
	    h->chars > 65536 || h->leap > 100000 ||
	    (h->isut != 0 && h->isut != h->type) ||
	    (h->isstd != 0 && h->isstd != h->type))
		return EPROTO;
	return 0;
}

static size_t
tz_block_len(const struct tzhead *h, size_t tsize)
{
	return (size_t)h->time * (tsize + 1) + (size_t)h->type * 6 + h->chars +
	    (size_t)h->leap * (tsize + 4) + h->isstd + h->isut;
}

int
tzif_parse(const uint8_t *buf, size_t len, struct tzif **out)
{
	struct tzhead h;
	struct tzif *z;
	const uint8_t *p = buf, *end = buf + len, *nl;
	size_t tsize = 4, i, blen;
	char footer[128];
	int version, err;

	*out = NULL;
	if ((err = tz_head(p, len, &h, &version)) != 0)
		return err;
	blen = tz_block_len(&h, 4);
	if (version >= 2) {
		if (blen > len - 44)
			return EPROTO;
		p += 44 + blen;
		if ((err = tz_head(p, (size_t)(end - p), &h, &version)) != 0)
			return err;
		tsize = 8;
		blen = tz_block_len(&h, 8);
	}
	if (h.leap != 0)
		return EPROTO;
	p += 44;
	if (blen > (size_t)(end - p))
		return EPROTO;
	z = xcalloc(1, sizeof(*z));
	z->n = h.time;
	z->at = xcalloc(z->n ? z->n : 1, sizeof(*z->at));
	z->idx = xcalloc(z->n ? z->n : 1, 1);
	z->ntypes = h.type;
	z->types = xcalloc(z->ntypes, sizeof(*z->types));
	for (i = 0; i < z->n; i++, p += tsize) {
		z->at[i] = tsize == 8 ? be64(p) : (int32_t)be32(p);
		if (i > 0 && z->at[i] <= z->at[i - 1])
			goto bad;
	}
	for (i = 0; i < z->n; i++)
		if ((z->idx[i] = *p++) >= z->ntypes)
			goto bad;
	for (i = 0; i < z->ntypes; i++, p += 6) {
		z->types[i] = (int32_t)be32(p);
		if (z->types[i] < -TZIF_MAX_OFF || z->types[i] > TZIF_MAX_OFF ||
		    p[4] > 1)
			goto bad;
	}
	p += h.chars + h.isstd + h.isut;
	if (version >= 2) {
		if (p >= end || *p != '\n' ||
		    (nl = memchr(p + 1, '\n', (size_t)(end - p - 1))) == NULL ||
		    (size_t)(nl - p - 1) >= sizeof(footer))
			goto bad;
		memcpy(footer, p + 1, (size_t)(nl - p - 1));
		footer[nl - p - 1] = '\0';
		if (footer[0] != '\0' && tz_posix(footer, &z->footer) != 0)
			goto bad;
	}
	*out = z;
	return 0;
bad:
	tzif_free(z);
	return EPROTO;
}

static int
tz_name_ok(const char *name)
{
	const char *p;

	if (name[0] == '\0' || name[0] == '/' || strlen(name) > 128)
		return 0;
	for (p = name; *p != '\0'; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		        (*p >= '0' && *p <= '9') || *p == '/' || *p == '_' ||
		        *p == '-' || *p == '+' || *p == '.'))
			return 0;
	if (strstr(name, "..") != NULL)
		return 0;
	return 1;
}

int
tzif_load(const char *name, struct tzif **out)
{
	const char *dir = getenv("TZDIR");
	char path[PATH_MAX];
	uint8_t *buf;
	struct stat sb;
	ssize_t r;
	size_t got = 0;
	int fd, err;

	*out = NULL;
	if (name == NULL || !tz_name_ok(name))
		return EINVAL;
	if (dir == NULL || dir[0] == '\0')
		dir = TZIF_DIR;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path))
		return EINVAL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT || errno == ENOTDIR ? ENOENT : errno;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > TZIF_MAX_FILE) {
		close(fd);
		return S_ISDIR(sb.st_mode) ? ENOENT : EPROTO;
	}
	buf = xmalloc((size_t)sb.st_size + 1);
	while (got < (size_t)sb.st_size &&
	    (r = read(fd, buf + got, (size_t)sb.st_size - got)) > 0)
		got += (size_t)r;
	close(fd);
	err = got == (size_t)sb.st_size ? tzif_parse(buf, got, out) : EIO;
	free(buf);
	return err;
}

void
tzif_free(struct tzif *z)
{
	if (z == NULL)
		return;
	free(z->at);
	free(z->idx);
	free(z->types);
	free(z);
}

int32_t
tzif_offset(const struct tzif *z, int64_t utc)
{
	size_t lo, hi, mid;

	if (z->n == 0 || utc < z->at[0])
		return z->n == 0 && z->footer.valid
		    ? tz_posix_offset(&z->footer, utc)
		    : z->types[0];
	if (utc >= z->at[z->n - 1] && z->footer.valid)
		return tz_posix_offset(&z->footer, utc);
	lo = 0;
	hi = z->n; /* at[lo] <= utc < at[hi] */
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (z->at[mid] <= utc)
			lo = mid;
		else
			hi = mid;
	}
	return z->types[z->idx[lo]];
}

int64_t
tzif_to_local(const struct tzif *z, int64_t utc)
{
	return utc + tzif_offset(z, utc);
}

int
tzif_to_utc(const struct tzif *z, int64_t local, int64_t out[2])
{
	int32_t cand[4];
	int64_t u;
	size_t i, j;
	int n = 0;

	/* Every offset in force within a day either side. */
	cand[0] = tzif_offset(z, local - 86400);
	cand[1] = tzif_offset(z, local + 86400);
	cand[2] = tzif_offset(z, local - cand[0]);
	cand[3] = tzif_offset(z, local - cand[1]);
	for (i = 0; i < 4; i++) {
		for (j = 0; j < i; j++)
			if (cand[j] == cand[i])
				break;
		if (j < i)
			continue;
		u = local - cand[i];
		if (tzif_offset(z, u) != cand[i])
			continue;
		if (n == 1 && out[0] == u)
			continue;
		if (n < 2)
			out[n++] = u;
	}
	if (n == 2 && out[1] < out[0]) {
		u = out[0];
		out[0] = out[1];
		out[1] = u;
	}
	return n;
}
