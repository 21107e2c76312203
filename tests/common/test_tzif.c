/*
 * The TZif reader (common/tzif.c) against tzdata's compiled zones: known
 * offsets and DST changes (dates from the zone's published rules, not
 * from the reader), gaps and folds, the footer rule past the file's last
 * transition, and refusals of bad names and damaged files.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "test.h"
#include "tzif.h"
#include "xmalloc.h"

/* UTC instant of the civil reading Y-M-D h:m (as if UTC). */
static int64_t
at(int y, unsigned m, unsigned d, int h, int mi)
{
	return tzif_days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60;
}

static int
test_civil(void)
{
	int64_t z;
	unsigned m, d;
	int y, err = 0;

	TEST_EQ(tzif_days_from_civil(1970, 1, 1), 0);
	TEST_EQ(tzif_days_from_civil(2000, 3, 1), 11017);
	TEST_EQ(tzif_weekday(tzif_days_from_civil(2026, 12, 2)), 3);
	for (z = -800000; z < 800000; z += 997) {
		tzif_civil_from_days(z, &y, &m, &d);
		TEST_EQ(tzif_days_from_civil(y, m, d), z);
	}
out:
	return err;
}

static int
test_new_york(void)
{
	struct tzif *z = NULL;
	int64_t u[2];
	int err = 0;

	TEST_ERR(tzif_load("America/New_York", &z));
	/* 2026: DST from Sunday 8 March 02:00 EST to 1 November 02:00 EDT. */
	TEST_EQ(tzif_offset(z, at(2026, 1, 15, 12, 0)), -5 * 3600);
	TEST_EQ(tzif_offset(z, at(2026, 3, 8, 6, 59)), -5 * 3600);
	TEST_EQ(tzif_offset(z, at(2026, 3, 8, 7, 0)), -4 * 3600);
	TEST_EQ(tzif_offset(z, at(2026, 11, 1, 5, 59)), -4 * 3600);
	TEST_EQ(tzif_offset(z, at(2026, 11, 1, 6, 0)), -5 * 3600);
	/* the gap: 02:30 on 8 March does not exist */
	TEST_EQ(tzif_to_utc(z, at(2026, 3, 8, 2, 30), u), 0);
	TEST_EQ(tzif_to_utc(z, at(2026, 3, 8, 3, 0), u), 1);
	TEST_EQ(u[0], at(2026, 3, 8, 7, 0));
	/* the fold: 01:30 on 1 November happens twice, EDT first */
	TEST_EQ(tzif_to_utc(z, at(2026, 11, 1, 1, 30), u), 2);
	TEST_EQ(u[0], at(2026, 11, 1, 5, 30));
	TEST_EQ(u[1], at(2026, 11, 1, 6, 30));
	TEST_EQ(tzif_to_local(z, at(2026, 7, 4, 16, 0)), at(2026, 7, 4, 12, 0));
	/* far past the file's transitions: the footer's M3.2.0,M11.1.0 */
	TEST_EQ(tzif_offset(z, at(2101, 3, 13, 6, 59)), -5 * 3600);
	TEST_EQ(tzif_offset(z, at(2101, 3, 13, 7, 0)), -4 * 3600);
	TEST_EQ(tzif_offset(z, at(2101, 11, 6, 5, 59)), -4 * 3600);
	TEST_EQ(tzif_offset(z, at(2101, 11, 6, 6, 0)), -5 * 3600);
out:
	tzif_free(z);
	return err;
}

static int
test_london(void)
{
	struct tzif *z = NULL;
	int64_t u[2];
	int err = 0;

	TEST_ERR(tzif_load("Europe/London", &z));
	/* 2026: BST from Sunday 29 March 01:00 UTC to 25 October 01:00 UTC */
	TEST_EQ(tzif_offset(z, at(2026, 3, 29, 0, 59)), 0);
	TEST_EQ(tzif_offset(z, at(2026, 3, 29, 1, 0)), 3600);
	TEST_EQ(tzif_offset(z, at(2026, 10, 25, 0, 59)), 3600);
	TEST_EQ(tzif_offset(z, at(2026, 10, 25, 1, 0)), 0);
	TEST_EQ(tzif_to_utc(z, at(2026, 3, 29, 1, 15), u), 0);
	TEST_EQ(tzif_to_utc(z, at(2026, 10, 25, 1, 15), u), 2);
	TEST_EQ(u[0], at(2026, 10, 25, 0, 15));
	TEST_EQ(u[1], at(2026, 10, 25, 1, 15));
	/* the footer GMT0BST,M3.5.0/1,M10.5.0 in 2150 (last Sundays) */
	TEST_EQ(tzif_offset(z, at(2150, 3, 29, 0, 59)), 0);
	TEST_EQ(tzif_offset(z, at(2150, 3, 29, 1, 0)), 3600);
	TEST_EQ(tzif_offset(z, at(2150, 10, 25, 0, 59)), 3600);
	TEST_EQ(tzif_offset(z, at(2150, 10, 25, 1, 0)), 0);
out:
	tzif_free(z);
	return err;
}

static int
test_fixed(void)
{
	struct tzif *ke = NULL, *in = NULL;
	int64_t u[2], t;
	int err = 0;

	TEST_ERR(tzif_load("Africa/Nairobi", &ke));
	TEST_ERR(tzif_load("Asia/Kolkata", &in));
	for (t = at(2020, 1, 1, 0, 0); t < at(2040, 1, 1, 0, 0);
	     t += 86400 * 7 + 3607) {
		TEST_EQ(tzif_offset(ke, t), 3 * 3600);
		TEST_EQ(tzif_offset(in, t), 5 * 3600 + 1800);
		TEST_EQ(tzif_to_utc(in, t, u), 1);
		TEST_EQ(u[0], t - 19800);
	}
	/* history: India was +05:53:20 before 1942 (Madras time, LMT-ish) */
	TEST_TRUE(tzif_offset(in, at(1900, 1, 1, 0, 0)) != 19800);
out:
	tzif_free(ke);
	tzif_free(in);
	return err;
}

static int
test_refusals(void)
{
	static const char *bad[] = { "", "/etc/passwd", "../../etc/passwd",
		"Europe/../../x", "Europe/Lon don", "Europe/London;rm" };
	struct tzif *z = NULL;
	uint8_t *buf = NULL;
	size_t i, len = 0;
	FILE *f = NULL;
	int err = 0, rc;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		TEST_EQ(tzif_load(bad[i], &z), EINVAL);
	TEST_EQ(tzif_load("Mars/Olympus_Mons", &z), ENOENT);
	TEST_EQ(tzif_load("Europe", &z), ENOENT);
	TEST_TRUE(z == NULL);
	/* every truncation of a real file is refused or parses, no crash;
	 * a flipped magic is refused */
	TEST_TRUE((f = fopen(TZIF_DIR "/Europe/London", "rb")) != NULL);
	buf = xmalloc(8192);
	len = fread(buf, 1, 8192, f);
	TEST_TRUE(len > 100 && len < 8192);
	for (i = 0; i < len; i++) {
		rc = tzif_parse(buf, i, &z);
		TEST_TRUE(rc == EPROTO || rc == 0);
		tzif_free(z);
		z = NULL;
	}
	TEST_ERR(tzif_parse(buf, len, &z));
	tzif_free(z);
	z = NULL;
	buf[0] = 'X';
	TEST_EQ(tzif_parse(buf, len, &z), EPROTO);
	/* a transition count larger than the file */
	buf[0] = 'T';
	buf[32] = 0x7f;
	TEST_EQ(tzif_parse(buf, len, &z), EPROTO);
out:
	if (f != NULL)
		fclose(f);
	free(buf);
	tzif_free(z);
	return err;
}

TEST_MAIN({ "civil", test_civil }, { "new_york", test_new_york },
    { "london", test_london }, { "fixed", test_fixed },
    { "refusals", test_refusals })
