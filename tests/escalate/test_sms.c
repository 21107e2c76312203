/*
 * The emergency SMS (escalate/sms.c): §7.5's example byte for byte,
 * OUTPOST_ESC_SMS_N (1,000) random incidents each one GSM-7 segment that
 * carries the code, age/sex, NEWS2 and every vital, the coordinates to 5
 * decimals and the callback (§7.10 criterion 2, the builder's half), the
 * landmark dropped before anything else, failing closed, the cancel text,
 * and replies as people type them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "escalate/sms.h"
#include "test.h"

static uint64_t
rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int
rnd_in(uint64_t *s, int lo, int hi)
{
	return lo + (int)(rnd(s) % (uint64_t)(hi - lo + 1));
}

/* The test's own view of a safe text: printable ASCII that GSM 03.38's
 * basic table has at the same code, so one byte is one septet. */
static int
gsm7_safe(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		        (*s >= '0' && *s <= '9') ||
		        strchr(" .,:;-+/()'?!=", *s) != NULL))
			return 0;
	return 1;
}

static void
example(struct esc_sms_in *in)
{
	memset(in, 0, sizeof(*in));
	snprintf(in->code, sizeof(in->code), "K7Q2M9");
	in->age = 34;
	in->sex = 'F';
	in->news2 = 9;
	in->spo2 = 84;
	in->rr = 28;
	in->hr = 132;
	in->sbp = 88;
	in->temp_dc = 391;
	in->avpu = 'V';
	in->landmark = "Gede disp";
	in->has_pos = 1;
	in->lat = -3.3095;
	in->lon = 40.0173;
	in->chw_phone = "+254712345678";
}

static int
test_example(void)
{
	struct esc_sms_in in;
	char out[ESC_SMS_MAX + 1];
	int err = 0;

	example(&in);
	TEST_ERR(esc_sms_page(&in, out));
	TEST_STR(out,
	    "EMERGENCY K7Q2M9: F34 NEWS2 9 (SpO2 84 RR 28 HR 132 "
	    "BP 88 T39.1 V). Gede disp. -3.30950,40.01730. CHW "
	    "+254712345678. Reply K7Q2M9 A=accept X=cannot");
	TEST_EQ(strlen(out), 147); /* the research's count */
	TEST_EQ(esc_gsm7_septets(out), 147);
	in.repeat = 2;
	in.loops = 5;
	TEST_ERR(esc_sms_page(&in, out));
	TEST_TRUE(strncmp(out, "REPEAT 2/5 EMERGENCY K7Q2M9: ", 29) == 0);
	/* a manual trigger without readings */
	example(&in);
	in.news2 = in.spo2 = in.rr = in.hr = in.sbp = in.temp_dc = ESC_VAL_NONE;
	in.avpu = 0;
	in.has_pos = 0;
	TEST_ERR(esc_sms_page(&in, out));
	TEST_STR(out,
	    "EMERGENCY K7Q2M9: F34. Gede disp. CHW +254712345678. "
	    "Reply K7Q2M9 A=accept X=cannot");
	/* refused: a code that is not one, a callback not E.164 */
	example(&in);
	snprintf(in.code, sizeof(in.code), "K7Q2MU");
	TEST_EQ(esc_sms_page(&in, out), EINVAL);
	example(&in);
	in.chw_phone = "0712345678";
	TEST_EQ(esc_sms_page(&in, out), EINVAL);
	TEST_STR(out, "");
out:
	return err;
}

static int
test_landmark_dropped_first(void)
{
	struct esc_sms_in in;
	char out[ESC_SMS_MAX + 1];
	int err = 0;

	example(&in);
	/* non-ASCII and extension characters: transliterated or left out,
	 * then cut to 20 */
	in.landmark = "Dispensaire de l'\xc3\xa9glise [Nord] {~} \xe2\x82\xac";
	TEST_ERR(esc_sms_page(&in, out));
	TEST_TRUE(strstr(out, " Dispensaire de l'egl. ") != NULL);
	TEST_EQ(esc_gsm7_septets(out), (int)strlen(out));
	/* the longest realistic text: the landmark goes, nothing else */
	in.repeat = 5;
	in.loops = 5;
	in.age = 101;
	in.news2 = 20;
	in.spo2 = 100;
	in.rr = 45;
	in.hr = 210;
	in.sbp = 240;
	in.temp_dc = 425;
	in.lat = -33.12345;
	in.lon = -170.12345;
	in.chw_phone = "+254712345678901";
	TEST_ERR(esc_sms_page(&in, out));
	TEST_TRUE(strlen(out) <= ESC_SMS_MAX);
	TEST_TRUE(strstr(out, "Dispensaire") == NULL);
	TEST_TRUE(strstr(out, "HR 210") != NULL);
	TEST_TRUE(strstr(out, "-33.12345,-170.12345.") != NULL);
	/* beyond that it fails closed: no cut code, vitals or callback */
	in.rr = -32000;
	in.hr = -32000;
	in.sbp = -32000;
	in.spo2 = -32000;
	TEST_EQ(esc_sms_page(&in, out), EMSGSIZE);
	TEST_STR(out, "");
out:
	return err;
}

static int
test_random_incidents(void)
{
	static const char *const marks[] = { "", "Gede disp",
		"Kilifi County Hospital Annex", "Centre de sant\xc3\xa9 Mbour",
		"Zahanati ya Kijiji cha Mwembe", "\xe0\xa4\x97\xe0\xa4\xbe",
		"St. Mary's (north gate)" };
	struct esc_sms_in in;
	char out[ESC_SMS_MAX + 1], phone[20], want[64];
	const char *mark;
	const char *e = getenv("OUTPOST_ESC_SMS_N");
	long i, n = e != NULL ? strtol(e, NULL, 10) : 1000, land = 0;
	uint64_t seed = 160;
	int err = 0, j;

	if (n <= 0)
		n = 1000;
	for (i = 0; i < n; i++) {
		memset(&in, 0, sizeof(in));
		for (j = 0; j < ESC_CODE_LEN; j++)
			in.code[j] =
			    "0123456789ABCDEFGHJKMNPQRSTVWXYZ"[rnd(&seed) % 32];
		in.age = rnd_in(&seed, 0, 110);
		in.sex = "FM"[rnd(&seed) % 2];
		in.news2 = rnd_in(&seed, 7, 20);
		in.spo2 = rnd_in(&seed, 50, 100);
		in.rr = rnd_in(&seed, 4, 60);
		in.hr = rnd_in(&seed, 20, 250);
		in.sbp = rnd_in(&seed, 40, 260);
		in.temp_dc = rnd_in(&seed, 300, 430);
		in.avpu = "ACVPU"[rnd(&seed) % 5];
		in.landmark = marks[rnd(&seed) % nitems(marks)];
		in.has_pos = 1;
		in.lat = rnd_in(&seed, -3500000, 3500000) / 100000.0;
		in.lon = rnd_in(&seed, -18000000, 18000000) / 100000.0;
		snprintf(phone, sizeof(phone), "+%d%llu", rnd_in(&seed, 1, 9),
		    (unsigned long long)(rnd(&seed) % 1000000000000ULL));
		in.chw_phone = phone;
		in.repeat = rnd_in(&seed, 0, 5);
		in.loops = 5;
		if ((err = esc_sms_page(&in, out)) != 0)
			TEST_FAILED("incident %ld: %s", i, strerror(err));
		if (strlen(out) > ESC_SMS_MAX || !gsm7_safe(out))
			TEST_FAILED(
			    "incident %ld: not one GSM-7 segment: %s", i, out);
#define HAS(fmt, ...)                                                          \
	do {                                                                   \
		snprintf(want, sizeof(want), fmt, __VA_ARGS__);                \
		if (strstr(out, want) == NULL)                                 \
			TEST_FAILED(                                           \
			    "incident %ld: no \"%s\" in %s", i, want, out);    \
	} while (0)
		HAS("EMERGENCY %s: %c%d NEWS2 %d (", in.code, in.sex, in.age,
		    in.news2);
		HAS("SpO2 %d RR %d HR %d BP %d T%d.%d %c)", in.spo2, in.rr,
		    in.hr, in.sbp, in.temp_dc / 10, in.temp_dc % 10, in.avpu);
		HAS(" %.5f,%.5f.", in.lat, in.lon);
		HAS(" CHW %s.", phone);
		HAS("Reply %s A=accept X=cannot", in.code);
#undef HAS
		/* "...V). Gede disp. -3.30950,..." keeps the landmark */
		mark = strstr(out, "). ");
		land += mark != NULL && mark[3] != '-' &&
		    (mark[3] < '0' || mark[3] > '9');
	}
	printf("  %ld incidents: one segment each, %ld with a landmark\n", n,
	    land);
	TEST_TRUE(land > 0 && land < n);
out:
	return err;
}

static int
test_cancel(void)
{
	char out[ESC_SMS_MAX + 1];
	char longr[400];
	int err = 0;

	TEST_ERR(esc_sms_cancel("K7Q2M9", "patient stabilised", out));
	TEST_STR(out, "CANCELLED K7Q2M9: patient stabilised");
	TEST_ERR(esc_sms_cancel("K7Q2M9", "", out));
	TEST_STR(out, "CANCELLED K7Q2M9: no reason given");
	memset(longr, 'a', sizeof(longr) - 1);
	longr[sizeof(longr) - 1] = '\0';
	TEST_ERR(esc_sms_cancel("K7Q2M9", longr, out));
	TEST_EQ(strlen(out), ESC_SMS_MAX);
	TEST_EQ(esc_sms_cancel("bad", "x", out), EINVAL);
out:
	return err;
}

static int
test_replies(void)
{
	static const struct {
		const char *text;
		int ok;
		char kind;
		unsigned minutes;
	} t[] = {
		{ "K7Q2M9 A", 1, 'A', 0 },
		{ "k7q2m9 a 20", 1, 'A', 20 },
		{ "  K7Q2M9   A   45  ", 1, 'A', 45 },
		{ "K7Q2M9A15", 1, 'A', 15 },
		{ "K 7 Q 2 M 9 x", 1, 'X', 0 },
		{ "k7q2m9 D.", 1, 'D', 0 },
		{ "K7Q2M9 a!\r\n", 1, 'A', 0 },
		{ "k7q2mg x", 1, 'X', 0 }, /* G is a Crockford digit */
		{ "K7Q2M9", 0, 0, 0 },
		{ "K7Q2M9 B", 0, 0, 0 },
		{ "K7Q2M9 X 20", 0, 0, 0 }, /* minutes only with A */
		{ "K7Q2M9 A 9999", 0, 0, 0 },
		{ "K7Q2M9 A twenty", 0, 0, 0 },
		{ "OK COMING", 0, 0, 0 },
		{ "", 0, 0, 0 },
		{ "K7Q2U9 A", 0, 0, 0 },
	};
	struct esc_reply r;
	size_t i;
	int err = 0, rc;

	for (i = 0; i < nitems(t); i++) {
		rc = esc_reply_parse(t[i].text, strlen(t[i].text), &r);
		if (t[i].ok != (rc == 0))
			TEST_FAILED("\"%s\": %s", t[i].text,
			    rc ? "refused" : "accepted");
		if (rc != 0)
			continue;
		TEST_EQ(r.kind, t[i].kind);
		TEST_EQ(r.minutes, t[i].minutes);
	}
	/* O and I typed for 0 and 1 still name the incident */
	TEST_ERR(esc_reply_parse("oi2m9z a", 8, &r));
	TEST_STR(r.code, "012M9Z");
out:
	return err;
}

TEST_MAIN({ "example", test_example },
    { "landmark_dropped_first", test_landmark_dropped_first },
    { "random_incidents", test_random_incidents }, { "cancel", test_cancel },
    { "replies", test_replies })
