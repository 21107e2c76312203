/*
 * kiosk/store/today.c: the kiosk screen's questions about today, asked of
 * a real store.  Only encounters started since local midnight count, one
 * row per patient (their newest), newest first; a closed or older visit
 * is not one to carry on with; a red flag waits until acknowledged,
 * whatever day it was raised, and belongs to its own patient only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kiosk/store/store.h"
#include "test.h"
#include "xmalloc.h"

static const uint8_t key[32] = { 9, 9, 9 };

static int
add_patient(struct store *s, const char *given, char id[UUID_STRLEN + 1])
{
	struct store_patient p = { 0 };
	char *cause = NULL;
	int err;

	p.given = (char *)given;
	p.family = (char *)"Test";
	p.sex = (char *)"male";
	p.birth_date = (char *)"1975";
	err = store_patient_add(s, &p, NULL, &cause);
	free(cause);
	if (err == 0)
		memcpy(id, p.id, UUID_STRLEN + 1);
	return err;
}

/* Let the clock move on, so encounters opened one after the other have
 * different start times. */
static void
tick(void)
{
	struct timespec ts = { 0, 5 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

/* An open encounter of PATIENT started at STARTED_MS (Unix ms). */
static int
old_encounter(struct store *s, const char *patient, uint64_t started_ms,
    char id[UUID_STRLEN + 1])
{
	struct store_encounter e = { 0 };
	int err;

	snprintf(e.patient_id, sizeof(e.patient_id), "%s", patient);
	e.reason = (char *)"yesterday";
	e.started_ms = started_ms;
	if ((err = store_encounter_save(s, &e, NULL, 0)) == 0)
		memcpy(id, e.id, UUID_STRLEN + 1);
	return err;
}

static int
test_today(void)
{
	struct store *s = NULL;
	struct store_today rows[4];
	struct store_alert_row ar[4];
	char a[UUID_STRLEN + 1], b[UUID_STRLEN + 1], c[UUID_STRLEN + 1];
	char ea[UUID_STRLEN + 1], ea2[UUID_STRLEN + 1], eb[UUID_STRLEN + 1];
	char ec[UUID_STRLEN + 1], id[UUID_STRLEN + 1], al[UUID_STRLEN + 1];
	char *d = test_tmpdir("today");
	uint64_t yesterday = ((uint64_t)time(NULL) - 2 * 86400) * 1000;
	size_t n;
	int err = 0;

	TEST_TRUE(d != NULL);
	TEST_ERR(store_open(d, key, 1, &s));
	TEST_ERR(add_patient(s, "Amina", a));
	TEST_ERR(add_patient(s, "Bello", b));
	TEST_ERR(add_patient(s, "Chidi", c));
	TEST_ERR(store_encounter_list_today(s, rows, 4, &n));
	TEST_EQ(n, 0);
	TEST_EQ(store_encounter_open_today(s, a, id), ENOENT);
	TEST_EQ(id[0], '\0');
	TEST_EQ(store_alert_pending(s, a, id), ENOENT);

	/* C: only an old visit, still open, and an old red flag */
	TEST_ERR(old_encounter(s, c, yesterday, ec));
	TEST_ERR(store_alert_raise(s, c, ec, "news2", 7, "old", al));
	/* A: two visits today, the first closed; B: one, later */
	TEST_ERR(store_encounter_open(s, a, "vitals", ea));
	TEST_ERR(store_encounter_close(s, ea));
	tick();
	TEST_ERR(store_encounter_open(s, a, "forms", ea2));
	tick();
	TEST_ERR(store_encounter_open(s, b, "self check-in: cough", eb));

	TEST_ERR(store_encounter_list_today(s, rows, 4, &n));
	TEST_EQ(n, 2); /* C's visit is not today's */
	TEST_STR(rows[0].patient_id, b); /* newest first */
	TEST_STR(rows[0].status, "open");
	TEST_STR(rows[0].reason, "self check-in: cough");
	TEST_EQ(rows[0].alerts, 0);
	TEST_STR(rows[1].patient_id, a);
	TEST_STR(rows[1].reason, "forms"); /* A's newest */
	TEST_ERR(store_encounter_list_today(s, rows, 1, &n));
	TEST_EQ(n, 1);
	TEST_ERR(store_encounter_list_today(s, rows, 0, &n));
	TEST_EQ(n, 0);

	TEST_ERR(store_encounter_open_today(s, a, id));
	TEST_STR(id, ea2); /* not the closed one */
	TEST_ERR(store_encounter_close(s, ea2));
	TEST_EQ(store_encounter_open_today(s, a, id), ENOENT);
	TEST_EQ(store_encounter_open_today(s, c, id), ENOENT); /* old */

	/* red flags: C's old one still waits; B's counts for B only */
	TEST_ERR(store_alert_pending(s, c, id));
	TEST_STR(id, al);
	TEST_ERR(store_alert_raise(s, b, eb, "news2", 3, "rr", al));
	TEST_ERR(store_alert_pending(s, b, id));
	TEST_STR(id, al);
	TEST_EQ(store_alert_pending(s, a, id), ENOENT);
	TEST_ERR(store_encounter_list_today(s, rows, 4, &n));
	TEST_EQ(rows[0].alerts, 1);
	TEST_EQ(rows[1].alerts, 0);
	/* every red flag waiting, any day, newest first, in pages */
	TEST_ERR(store_alert_count_pending(s, &n));
	TEST_EQ(n, 2);
	TEST_ERR(store_alert_list_pending(s, 0, ar, 4, &n));
	TEST_EQ(n, 2);
	TEST_STR(ar[0].id, al); /* B's, the newest */
	TEST_STR(ar[0].patient_id, b);
	TEST_STR(ar[0].kind, "news2");
	TEST_EQ(ar[0].score, 3);
	TEST_STR(ar[0].detail, "rr");
	TEST_TRUE(ar[0].raised_ms > 0 && ar[0].acked_ms == 0);
	TEST_STR(ar[1].patient_id, c); /* C's, of an earlier day's visit */
	TEST_ERR(store_alert_list_pending(s, 1, ar, 4, &n));
	TEST_EQ(n, 1);
	TEST_STR(ar[0].patient_id, c);
	TEST_ERR(store_alert_list_pending(s, 2, ar, 4, &n));
	TEST_EQ(n, 0);
	TEST_ERR(store_alert_get(s, al, &ar[0]));
	TEST_STR(ar[0].patient_id, b);
	TEST_EQ(store_alert_get(s, "nope", &ar[0]), ENOENT);
	TEST_ERR(store_alert_ack(s, al));
	TEST_ERR(store_alert_get(s, al, &ar[0]));
	TEST_TRUE(ar[0].acked_ms > 0);
	TEST_ERR(store_alert_count_pending(s, &n));
	TEST_EQ(n, 1);
	TEST_EQ(store_alert_pending(s, b, id), ENOENT);
	TEST_ERR(store_encounter_list_today(s, rows, 4, &n));
	TEST_EQ(rows[0].alerts, 0);
out:
	store_close(s);
	test_rmdir(d);
	return err;
}

TEST_MAIN({ "today", test_today })
