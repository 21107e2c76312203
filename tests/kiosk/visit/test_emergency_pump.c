/*
 * The kiosk's emergency pump (kiosk/visit/emergency_pump.c) on a real
 * store and the in-memory modem (kiosk/visit/emergency_sms.c; a GSM modem
 * cannot run here):
 *   offline_sms   OUTPOST_EMERG_SMS_N (200; bench/emergency.sh: 1,000)
 *                 incidents with no data link: each gives one SMS to the
 *                 level-1 roster number, one GSM-7 segment with the code,
 *                 age/sex, NEWS2 and its vitals, the coordinates to 5
 *                 decimals and the callback (§7.10 criterion 2);
 *   replies       a yes from a roster number stops paging, "X" pages the
 *                 next level at once, the same text from another number is
 *                 shown and not counted, "D" closes;
 *   failing_modem refused and unanswered submissions are recorded failed
 *                 and unknown, and a yes still stops the next level;
 *   cancel        everyone paged gets CANCELLED with the reason.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "kiosk/store/store.h"
#include "kiosk/visit/emergency.h"
#include "test.h"

#include "emergfix.h"

static int
test_offline_sms(void)
{
	struct fix f;
	struct esc_now now;
	struct store_emergency_in in;
	struct store_emergency e;
	struct emerg_report rep;
	char id[UUID_STRLEN + 1], vit[64], want[160];
	const char *t, *env = getenv("OUTPOST_EMERG_SMS_N");
	long i, n = env != NULL ? strtol(env, NULL, 10) : 0;
	uint64_t seed = 5;
	int err = 0, spo2, rr, hr, bp, tc, j;

	if (n <= 0)
		n = 200;
	TEST_ERR(fix_start(&f));
	for (i = 0; i < n; i++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		spo2 = 70 + (int)(seed >> 33) % 31;
		rr = 8 + (int)(seed >> 40) % 40;
		hr = 40 + (int)(seed >> 20) % 150;
		bp = 60 + (int)(seed >> 28) % 150;
		tc = 340 + (int)(seed >> 45) % 80;
		snprintf(vit, sizeof(vit),
		    "SpO2 %d RR %d HR %d BP %d T%d.%d %c", spo2, rr, hr, bp,
		    tc / 10, tc % 10, "ACVPU"[seed % 5]);
		memset(&in, 0, sizeof(in));
		in.trigger = ESC_TRIG_MANUAL;
		in.news2 = 7 + (int)(seed >> 50) % 12;
		in.vitals = vit;
		in.age = (int)(seed >> 36) % 100;
		in.sex = (seed >> 7) & 1 ? 'F' : 'M';
		at(&now, 1000 + (uint64_t)i * 10);
		f.fake.nsent = 0;
		TEST_ERR(emerg_raise(&f.c, &in, &now, id));
		TEST_ERR(emerg_pump(&f.c, &now, &rep));
		TEST_EQ(rep.sent, 1);
		TEST_EQ(f.fake.nsent, 1);
		TEST_STR(f.fake.sent[0].from, "+254700000001");
		t = f.fake.sent[0].text;
		if (strlen(t) > ESC_SMS_MAX ||
		    esc_gsm7_septets(t) != (int)strlen(t))
			TEST_FAILED("incident %ld: not one segment: %s", i, t);
		for (j = 0; t[j]; j++)
			if (t[j] < ' ' || t[j] > '~' ||
			    strchr("[]{}\\^~|`_@$", t[j]) != NULL)
				TEST_FAILED(
				    "incident %ld: %c in %s", i, t[j], t);
		TEST_ERR(store_emergency_get(f.s, id, &e));
		snprintf(want, sizeof(want), "EMERGENCY %s: %c%d NEWS2 %d (%s)",
		    e.eng.code, in.sex, in.age, in.news2, vit);
		if (strstr(t, want) == NULL)
			TEST_FAILED(
			    "incident %ld: no \"%s\" in %s", i, want, t);
		if (strstr(t, " -3.30950,40.01730. CHW +254712345678.") == NULL)
			TEST_FAILED(
			    "incident %ld: place or callback: %s", i, t);
		TEST_TRUE(e.first_send_ms > 0);
		/* closed, so the next incident's pump pages only its own */
		TEST_ERR(store_emergency_step(
		    f.s, id, STORE_EMERG_ARRIVED, NULL, &now, NULL, 0, NULL));
	}
	printf("  %ld incidents offline: %ld single-segment SMS to level 1\n",
	    n, n);
out:
	fix_stop(&f);
	return err;
}

static int
test_replies(void)
{
	struct fix f;
	struct esc_now now;
	struct store_emergency_in in = { .trigger = ESC_TRIG_MANUAL,
		.news2 = 9,
		.age = 34,
		.sex = 'F',
		.vitals = "SpO2 84 RR 28" };
	struct store_emergency e;
	struct emerg_report rep;
	char id[UUID_STRLEN + 1], txt[64];
	int err = 0;

	TEST_ERR(fix_start(&f));
	at(&now, 1000);
	TEST_ERR(emerg_raise(&f.c, &in, &now, id));
	TEST_ERR(emerg_pump(&f.c, &now, &rep));
	TEST_ERR(store_emergency_get(f.s, id, &e));
	/* "X" from level 1's number: level 2 at once */
	snprintf(txt, sizeof(txt), " %s x ", e.eng.code);
	emergency_sms_fake_reply(&f.fake, "+254700000001", txt);
	at(&now, 5000);
	TEST_ERR(emerg_pump(&f.c, &now, &rep));
	TEST_EQ(rep.declines, 1);
	TEST_EQ(f.fake.nsent, 2);
	TEST_STR(f.fake.sent[1].from, "+254700000002");
	/* a yes from a number not on the roster: shown, not counted */
	snprintf(txt, sizeof(txt), "%s A 10", e.eng.code);
	emergency_sms_fake_reply(&f.fake, "+254799999999", txt);
	emergency_sms_fake_reply(&f.fake, "+254700000002", "ok coming");
	at(&now, 6000);
	TEST_ERR(emerg_pump(&f.c, &now, &rep));
	TEST_EQ(rep.foreign, 1);
	TEST_EQ(rep.unreadable, 1);
	TEST_EQ(rep.acks, 0);
	TEST_EQ(state_of(&f, id), ESC_PAGING);
	/* the same yes from level 2's service: paging stops */
	snprintf(txt, sizeof(txt), "%s a 25", e.eng.code);
	emergency_sms_fake_reply(&f.fake, "+254700000002", txt);
	at(&now, 7000);
	TEST_ERR(emerg_pump(&f.c, &now, &rep));
	TEST_EQ(rep.acks, 1);
	TEST_EQ(state_of(&f, id), ESC_ACKED);
	at(&now, 5000 + 300000 * 3);
	TEST_ERR(emerg_pump(&f.c, &now, &rep));
	TEST_EQ(f.fake.nsent, 2); /* level 3 never paged */
	TEST_ERR(store_emergency_get(f.s, id, &e));
	TEST_STR(e.eng.ack_by, "malindi-ems");
	TEST_EQ(e.eng.eta_min, 25);
	snprintf(txt, sizeof(txt), "%sD", e.eng.code);
	emergency_sms_fake_reply(&f.fake, "+254700000002", txt);
	TEST_ERR(emerg_pump(&f.c, &now, &rep));
	TEST_EQ(rep.done, 1);
	TEST_EQ(state_of(&f, id), ESC_ARRIVED);
out:
	fix_stop(&f);
	return err;
}

static int
test_failing_modem(void)
{
	struct fix f;
	struct esc_now now;
	struct store_emergency_in in = {
		.trigger = ESC_TRIG_MANUAL, .news2 = -1, .age = -1
	};
	struct emerg_report rep;
	char id[UUID_STRLEN + 1];
	int err = 0;

	TEST_ERR(fix_start(&f));
	f.fake.outcome = EIO; /* +CMS ERROR */
	at(&now, 1000);
	TEST_ERR(emerg_raise(&f.c, &in, &now, id));
	TEST_ERR(emerg_pump(&f.c, &now, &rep));
	TEST_EQ(rep.failed, 1);
	TEST_EQ(rep.sent, 0);
	f.fake.outcome = ETIMEDOUT; /* no +CMGS */
	at(&now, 1000 + 300000);
	TEST_ERR(emerg_pump(&f.c, &now, &rep));
	TEST_EQ(rep.failed, 1);
	/* a failed send never stops the escalation: level 3 is next */
	f.fake.outcome = 0;
	at(&now, 1000 + 600000);
	TEST_ERR(emerg_pump(&f.c, &now, &rep));
	TEST_EQ(rep.sent, 1);
	TEST_STR(f.fake.sent[0].from, "+254700000003");
	/* no modem at all: recorded failed, nothing blocks */
	f.c.port = NULL;
	at(&now, 1000 + 900000);
	TEST_ERR(emerg_pump(&f.c, &now, &rep));
	TEST_EQ(rep.failed, 1);
	/* no roster: nothing can be raised by SMS, and it says so */
	f.c.roster = NULL;
	TEST_EQ(emerg_raise(&f.c, &in, &now, id), EINVAL);
out:
	fix_stop(&f);
	return err;
}

static int
test_cancel(void)
{
	struct fix f;
	struct esc_now now;
	struct store_emergency_in in = {
		.trigger = ESC_TRIG_MANUAL, .news2 = 8, .age = 60, .sex = 'M'
	};
	struct store_emergency e;
	struct emerg_report rep;
	char id[UUID_STRLEN + 1], want[64];
	int err = 0;

	TEST_ERR(fix_start(&f));
	at(&now, 1000);
	TEST_ERR(emerg_raise(&f.c, &in, &now, id));
	TEST_ERR(emerg_pump(&f.c, &now, &rep));
	at(&now, 1000 + 300000);
	TEST_ERR(emerg_pump(&f.c, &now, &rep));
	TEST_EQ(f.fake.nsent, 2);
	TEST_ERR(store_emergency_step(f.s, id, STORE_EMERG_CANCEL, NULL, &now,
	    NULL, 0, "patient stabilised"));
	TEST_ERR(emerg_pump(&f.c, &now, &rep));
	TEST_EQ(f.fake.nsent, 4);
	TEST_ERR(store_emergency_get(f.s, id, &e));
	snprintf(
	    want, sizeof(want), "CANCELLED %s: patient stabilised", e.eng.code);
	TEST_STR(f.fake.sent[2].text, want);
	TEST_STR(f.fake.sent[3].text, want);
	TEST_STR(f.fake.sent[2].from, "+254700000001");
	TEST_STR(f.fake.sent[3].from, "+254700000002");
out:
	fix_stop(&f);
	return err;
}

TEST_MAIN({ "offline_sms", test_offline_sms }, { "replies", test_replies },
    { "failing_modem", test_failing_modem }, { "cancel", test_cancel })
