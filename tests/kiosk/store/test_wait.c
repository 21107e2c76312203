/*
 * The waitlist in the kiosk store (kiosk/store/waitlist.c): an entry is
 * refused without a patient, a category 1-3 or a service; listed, it
 * waits to be sent; removed before it was sent it is simply removed;
 * decline and accept need a live offer; the server's answer is kept; a
 * booked offer makes an appointment the server already answered (a row
 * and an outbox change) and ends the entry.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kiosk/store/store.h"
#include "test.h"

static const uint8_t key[32] = { 7, 7, 7 };

struct got {
	int n;
	struct store_wait last;
};

static int
collect(void *arg, const struct store_wait *w)
{
	struct got *g = arg;

	g->n++;
	g->last = *w;
	return 0;
}

static int
booked(void *arg, const struct store_appt_row *row)
{
	int *n = arg;

	*n += strcmp(row->status, "booked") == 0;
	return 0;
}

static int
test_wait(void)
{
	struct store *s = NULL;
	struct store_patient p = { 0 };
	struct store_wait w, got;
	struct got g;
	char id[UUID_STRLEN + 1], id2[UUID_STRLEN + 1], *cause = NULL;
	char *d = test_tmpdir("wait");
	uint64_t now = 1800000000000ULL;
	int err = 0, n = 0;

	TEST_TRUE(d != NULL);
	TEST_ERR(store_open(d, key, 1, &s));
	p.given = (char *)"Baraka";
	p.family = (char *)"Test";
	p.sex = (char *)"male";
	TEST_ERR(store_patient_add(s, &p, NULL, &cause));
	memset(&w, 0, sizeof(w));
	TEST_EQ(store_wait_add(s, &w, id), EINVAL);
	snprintf(w.patient_id, sizeof(w.patient_id), "%s", p.id);
	w.urgency = 4;
	snprintf(w.service, sizeof(w.service), "gp");
	TEST_EQ(store_wait_add(s, &w, id), EINVAL);
	w.urgency = 1;
	w.service[0] = '\0';
	TEST_EQ(store_wait_add(s, &w, id), EINVAL);
	snprintf(w.service, sizeof(w.service), "gp");
	snprintf(w.lang, sizeof(w.lang), "sw");
	TEST_ERR(store_wait_add(s, &w, id));
	TEST_ERR(store_wait_get(s, id, &got));
	TEST_STR(got.status, "new");
	TEST_STR(got.pending, "add");
	TEST_STR(got.lang, "sw");
	/* no offer: nothing to accept or decline */
	TEST_EQ(store_wait_intent(s, id, "accept", now), EALREADY);
	TEST_EQ(store_wait_intent(s, id, "decline", now), EALREADY);
	TEST_EQ(store_wait_intent(s, "nope", "remove", now), ENOENT);
	/* a second entry removed before it was sent: just removed */
	TEST_ERR(store_wait_add(s, &w, id2));
	TEST_ERR(store_wait_intent(s, id2, "remove", now));
	TEST_ERR(store_wait_get(s, id2, &got));
	TEST_STR(got.status, "removed");
	TEST_STR(got.pending, "");
	TEST_EQ(store_wait_intent(s, id2, "remove", now), EALREADY);
	/* the server listed it, then offered a slot until now + 1 h */
	TEST_ERR(store_wait_get(s, id, &got));
	snprintf(got.status, sizeof(got.status), "offered");
	got.listed_ms = now - 1000;
	got.offer_slot = 42;
	got.offer_start_ms = now + 86400000ULL;
	got.offer_end_ms = got.offer_start_ms + 1800000;
	got.offer_expires_ms = now + 3600000;
	TEST_ERR(store_wait_answer(s, &got, 1));
	memset(&g, 0, sizeof(g));
	TEST_ERR(store_wait_list(s, p.id, collect, &g));
	TEST_EQ(g.n, 2);
	memset(&g, 0, sizeof(g));
	TEST_ERR(store_wait_list(s, NULL, collect, &g));
	TEST_EQ(g.n, 2);
	/* lapsed at the kiosk's clock: refused; live: accepted */
	TEST_EQ(store_wait_intent(s, id, "accept", now + 3600000), EALREADY);
	TEST_ERR(store_wait_intent(s, id, "accept", now));
	TEST_ERR(store_wait_get(s, id, &got));
	TEST_STR(got.pending, "accept");
	TEST_TRUE(got.appt_id[0] != '\0');
	/* one answer at a time: a decline now waits for the accept */
	TEST_EQ(store_wait_intent(s, id, "decline", now), EALREADY);
	/* the server booked it: an appointment answered booked */
	TEST_ERR(store_wait_booked(s, &got));
	TEST_ERR(store_wait_get(s, id, &got));
	TEST_STR(got.status, "booked");
	TEST_STR(got.pending, "");
	TEST_ERR(store_appt_list(s, now, now + 2 * 86400000ULL, booked, &n));
	TEST_EQ(n, 1);
	TEST_EQ(store_wait_intent(s, id, "remove", now), EALREADY);
out:
	free(cause);
	if (s != NULL)
		store_close(s);
	test_rmdir(d);
	return err;
}

TEST_MAIN({ "wait", test_wait })
