/*
 * Referrals in the kiosk store (kiosk/store/referral.c; issue 14), two
 * stores and no server: a CHW refers at fac-a (bad input refused with the
 * reason, nothing written); fac-b applies the facts pulled in any order
 * and twice, and holds each once; each side may take only its own steps,
 * and only those the state allows; the state folds the same on both; the
 * due-by follow-up; a patient's open referrals in the summary.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "crypto.h"
#include "kiosk/store/store.h"
#include "model.h"
#include "model/referral.h"
#include "test.h"
#include "xmalloc.h"

/* Apply every change of FROM's outbox after *AFTER on TO, in reverse
 * order, twice; *AFTER moves on. */
static int
carry(struct store *from, struct store *to, uint64_t *after)
{
	struct store_change *c = NULL;
	struct model_rec r;
	size_t n = 0, i;
	int changed, round, err;

	if ((err = store_outbox_read(from, *after, 100, &c, &n)) != 0)
		return err;
	for (round = 0; round < 2 && err == 0; round++) {
		if ((err = store_pull_begin(to)) != 0)
			break;
		for (i = n; i-- > 0 && err == 0;) {
			if (!store_pull_keeps(c[i].entity))
				continue;
			if ((err = model_decode(model_entity(c[i].entity),
			         c[i].body, c[i].len, &r)) == 0)
				err = store_pull_apply(to, &r, 7, 1, &changed);
			model_rec_clear(&r);
		}
		err = store_pull_end(
		    to, err, "test-cursor", (const uint8_t *)"c", 1, 0);
	}
	if (n > 0)
		*after = c[n - 1].seq;
	store_outbox_free(c, n);
	return err;
}

static struct store *
open_with_chw(const char *dir)
{
	struct store *s = NULL;
	struct store_user u;
	uint8_t key[32];

	crypto_random(key, 32);
	if (store_open(dir, key, 1, &s) != 0)
		return NULL;
	memset(&u, 0, sizeof(u));
	if (store_user_add(s, "chw", STORE_ROLE_CHW, &u) != 0) {
		store_close(s);
		return NULL;
	}
	store_set_actor(s, u.id);
	store_user_clear(&u);
	return s;
}

static int
test_referral(void)
{
	char *da = test_tmpdir("ref-a"), *db = test_tmpdir("ref-b");
	struct store *a = NULL, *b = NULL;
	struct store_patient p = { 0 };
	struct store_referral r = { 0 }, *v = NULL;
	struct store_referral_req q;
	struct store_summary sum;
	char id[UUID_STRLEN + 1], late[UUID_STRLEN + 1], *cause = NULL;
	uint64_t now = clock_wall_ms(), aa = 0, ab = 0;
	size_t n = 0;
	int err = 0, k;

	memset(&sum, 0, sizeof(sum));

	TEST_TRUE(da != NULL && db != NULL);
	TEST_TRUE((a = open_with_chw(da)) != NULL);
	TEST_TRUE((b = open_with_chw(db)) != NULL);
	p.given = xstrdup("Ama");
	p.family = xstrdup("Mensah");
	TEST_ERR(store_patient_add(a, &p, NULL, &cause));
	memset(&q, 0, sizeof(q));
	q.patient_id = p.id;
	q.from = "fac-a";
	q.target = "fac-b";
	q.reason = "suspected TB";
	q.urgency = "urgent";
	q.due_ms = now + 86400000ULL;
	/* bad input: refused with the reason, nothing written */
	q.target = "fac-a";
	TEST_EQ(store_referral_new(a, &q, id, &cause), EINVAL);
	TEST_TRUE(cause != NULL && strstr(cause, "another facility") != NULL);
	free(cause);
	cause = NULL;
	q.target = "fac-b";
	q.urgency = "soon";
	TEST_EQ(store_referral_new(a, &q, id, &cause), EINVAL);
	free(cause);
	cause = NULL;
	q.urgency = "urgent";
	q.due_ms = now - 1000;
	TEST_EQ(store_referral_new(a, &q, id, &cause), EINVAL);
	free(cause);
	cause = NULL;
	q.due_ms = now + 86400000ULL;
	TEST_ERR(
	    store_referral_list(a, STORE_REF_OUTGOING, "fac-a", now, &v, &n));
	TEST_EQ(n, 0);
	store_referral_free_array(v, n);
	v = NULL;
	TEST_ERR(store_referral_new(a, &q, id, &cause));
	q.due_ms = clock_wall_ms() + 60000; /* passed at "now + 1 h" below */
	q.reason = "x-ray";
	TEST_ERR(store_referral_new(a, &q, late, &cause));
	TEST_ERR(store_patient_summary(a, p.id, &sum));
	TEST_EQ(sum.open_referrals, 2);

	/* fac-b gets the facts backwards and twice: each once */
	TEST_ERR(carry(a, b, &aa));
	TEST_ERR(store_referral_list(b, STORE_REF_NEW, "fac-b", now, &v, &n));
	TEST_EQ(n, 2);
	store_referral_free_array(v, n);
	v = NULL;
	TEST_ERR(store_referral_receive(b, "fac-b", &n));
	TEST_EQ(n, 2);
	TEST_ERR(store_referral_receive(b, "fac-b", &n));
	TEST_EQ(n, 0); /* received once */
	/* the wrong side, the wrong step */
	TEST_EQ(store_referral_step(a, id, "fac-a", "accepted", NULL, &cause),
	    EPERM);
	free(cause);
	cause = NULL;
	TEST_EQ(store_referral_step(b, id, "fac-b", "cancelled", NULL, &cause),
	    EPERM);
	free(cause);
	cause = NULL;
	TEST_EQ(
	    store_referral_step(b, id, "fac-b", "in-progress", NULL, &cause),
	    EALREADY);
	free(cause);
	cause = NULL;
	TEST_ERR(store_referral_step(b, id, "fac-b", "accepted", NULL, &cause));
	TEST_ERR(
	    store_referral_step(b, id, "fac-b", "completed", NULL, &cause));
	TEST_EQ(store_referral_step(b, id, "fac-b", "accepted", NULL, &cause),
	    EALREADY);
	free(cause);
	cause = NULL;
	/* back to fac-a (twice, backwards): the same state there */
	TEST_ERR(carry(b, a, &ab));
	for (k = 0; k < 2; k++) {
		TEST_ERR(store_referral_get(k ? a : b, id, now, &r));
		TEST_EQ(r.state, REF_COMPLETED);
		TEST_EQ(r.nsteps, 3); /* received, accepted, completed */
		TEST_TRUE(!r.followup_due);
		store_referral_clear(&r);
	}
	/* the late one: a follow-up for fac-a's CHW, then the outcome */
	TEST_ERR(store_referral_list(
	    a, STORE_REF_FOLLOWUP, "fac-a", now + 3600000, &v, &n));
	TEST_EQ(n, 1);
	TEST_STR(v[0].id, late);
	store_referral_free_array(v, n);
	v = NULL;
	TEST_EQ(
	    store_referral_step(a, late, "fac-a", "follow-up", "gone", &cause),
	    EINVAL);
	free(cause);
	cause = NULL;
	TEST_ERR(
	    store_referral_step(a, late, "fac-a", "follow-up", "died", &cause));
	TEST_ERR(store_referral_get(a, late, now + 3600000, &r));
	TEST_EQ(r.state, REF_FAILED);
	TEST_STR(r.outcome, "died");
	TEST_TRUE(!r.followup_due);
	store_referral_clear(&r);
	TEST_ERR(store_patient_summary(a, p.id, &sum));
	TEST_EQ(sum.open_referrals, 0);
	/* fac-b holds each of fac-a's facts once */
	TEST_ERR(carry(a, b, &aa));
	TEST_ERR(store_referral_get(b, late, now + 3600000, &r));
	TEST_EQ(r.state, REF_FAILED);
	TEST_EQ(r.nsteps, 2); /* received, follow-up */
	store_referral_clear(&r);
out:
	free(cause);
	store_referral_free_array(v, n);
	store_patient_clear(&p);
	if (a != NULL)
		store_close(a);
	if (b != NULL)
		store_close(b);
	test_rmdir(da);
	test_rmdir(db);
	return err;
}

TEST_MAIN({ "referral", test_referral })
