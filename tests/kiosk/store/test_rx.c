/*
 * Prescriptions in the kiosk store (issue 14, kiosk/store/rx.c): an order
 * is checked with what the store knows of the patient (age, allergies,
 * the visit's weight, active orders) and refused or sent to override as
 * clinical/rx.h says; a signed order verifies and a tampered one does
 * not; a cancel is a new signed record; and on a second store that
 * receives the records in any order, twice, each is stored once and a
 * cancel is applied only once its order is there.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cborx.h"
#include "clinical/rx.h"
#include "crypto.h"
#include "hlc.h"
#include "kiosk/store/store_int.h"
#include "model.h"
#include "record.h"
#include "test.h"
#include "xmalloc.h"

static int
count(struct store *s, const char *sql)
{
	sqlite3_stmt *st;
	int n = -1;

	if (store_prepare(s, sql, &st) != 0)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

struct fx {
	char *dir, *dir2;
	struct store *s, *s2;
	struct rx_formulary f;
	char pat[UUID_STRLEN + 1], visit[UUID_STRLEN + 1];
	char consult[UUID_STRLEN + 1];
	struct store_user chw, doc;
};

static int
open_store(char **dir, struct store **s)
{
	uint8_t key[32];
	int err = 0;

	*dir = test_tmpdir("rx");
	TEST_TRUE(*dir != NULL);
	crypto_random(key, sizeof(key));
	TEST_ERR(store_open(*dir, key, 1, s));
	TEST_ERR(store_country_set(*s, "IN"));
out:
	return err;
}

/* A 30-year-old weighed 61.5 kg at this visit, on a voice consult the
 * clinician accepted. */
static int
fx_open(struct fx *f, const char *mode, const char *birth)
{
	struct store_patient p = { 0 };
	struct store_obs w = {
		.loinc = "29463-7", .value = 61.5, .unit = "kg"
	};
	struct store_consult_req q = { NULL, "fever", mode, 0, 1 };
	char *cause = NULL;
	int err = 0;

	memset(f, 0, sizeof(*f));
	TEST_ERR(open_store(&f->dir, &f->s));
	TEST_ERR(open_store(&f->dir2, &f->s2));
	TEST_ERR(store_rx_formulary(f->s, &f->f, &cause));
	TEST_ERR(store_user_add(f->s, "chw", STORE_ROLE_CHW, &f->chw));
	TEST_ERR(store_user_add(f->s, "doc", STORE_ROLE_CLINICIAN, &f->doc));
	p.given = (char *)"Asha";
	p.family = (char *)"Kumari";
	p.sex = (char *)"female";
	p.birth_date = (char *)birth;
	store_set_actor(f->s, f->chw.id);
	TEST_ERR(store_patient_add(f->s, &p, NULL, &cause));
	memcpy(f->pat, p.id, sizeof(f->pat));
	TEST_ERR(store_encounter_open(f->s, f->pat, "fever", f->visit));
	TEST_ERR(store_obs_add(f->s, f->visit, &w));
	q.encounter_id = f->visit;
	TEST_ERR(store_consult_request(f->s, &q, f->consult, &cause));
	store_set_actor(f->s, f->doc.id);
	TEST_ERR(store_user_signkey(f->s, f->doc.id, "MCI-12345"));
	TEST_ERR(store_consult_accept(f->s, f->consult, &cause));
out:
	if (cause != NULL)
		fprintf(stderr, "  %s\n", cause);
	free(cause);
	return err;
}

static void
fx_close(struct fx *f)
{
	if (f->s != NULL)
		store_close(f->s);
	if (f->s2 != NULL)
		store_close(f->s2);
	test_rmdir(f->dir);
	test_rmdir(f->dir2);
	rx_formulary_free(&f->f);
	store_user_clear(&f->chw);
	store_user_clear(&f->doc);
}

static int
issue(struct fx *f, const char *code, double dose, unsigned per_day,
    const char *override, char id[UUID_STRLEN + 1], char **cause)
{
	struct store_rx_new n = { f->consult, code, "oral", "after food", dose,
		per_day, 5, override, -1, 0 };

	free(*cause);
	*cause = NULL;
	return store_rx_issue(f->s, &f->f, &n, NULL, id, cause);
}

/* Issue, refuse, override, duplicate, cancel, verify, tamper. */
static int
test_issue(void)
{
	struct fx f;
	struct store_rx x;
	char id[UUID_STRLEN + 1], id2[UUID_STRLEN + 1], cid[UUID_STRLEN + 1];
	char *cause = NULL;
	const char *why;
	int err = 0, n0;

	memset(&x, 0, sizeof(x));
	TEST_ERR(fx_open(&f, "voice", "1996-03-10"));
	/* a CHW may not prescribe */
	store_set_actor(f.s, f.chw.id);
	TEST_EQ(issue(&f, "PCM500", 1000, 4, NULL, id, &cause), EPERM);
	store_set_actor(f.s, f.doc.id);
	TEST_ERR(issue(&f, "PCM500", 1000, 4, NULL, id, &cause));
	TEST_EQ(count(f.s, "SELECT count(*) FROM outbox WHERE entity = 8"), 1);
	TEST_EQ(count(f.s,
	            "SELECT count(*) FROM audit WHERE entity = "
	            "'prescription'"),
	    1);
	TEST_ERR(store_rx_get(f.s, id, &x));
	TEST_STR(x.status, "active");
	TEST_STR(x.regno, "MCI-12345");
	TEST_STR(x.patient_name, "Asha Kumari");
	TEST_TRUE(x.weight_kg == 61.5);
	TEST_TRUE(x.first_consult == 1);
	TEST_ERR(store_rx_verify(f.s, &x, &why));
	store_rx_clear(&x);
	/* hard: list A on a voice first consult; 10x dose; no row */
	TEST_EQ(issue(&f, "AMX500", 500, 3, NULL, id2, &cause), EPERM);
	TEST_TRUE(strstr(cause, "list A") != NULL);
	TEST_EQ(issue(&f, "ZNC20", 200, 1, "I know", id2, &cause), EPERM);
	TEST_EQ(count(f.s, "SELECT count(*) FROM prescriptions"), 1);
	/* soft: a duplicate ingredient needs a reason, which is audited */
	TEST_EQ(issue(&f, "PCM120S", 500, 2, NULL, id2, &cause), EAGAIN);
	TEST_TRUE(strstr(cause, "already in an active") != NULL);
	TEST_ERR(issue(&f, "PCM120S", 500, 2, "syrup at night", id2, &cause));
	TEST_EQ(count(f.s,
	            "SELECT count(*) FROM audit WHERE entity = 'prescription'"
	            " AND detail LIKE 'override%syrup at night'"),
	    1);
	/* a documented allergy, set on the patient record (synced) */
	n0 = count(f.s, "SELECT count(*) FROM outbox WHERE entity = 3");
	TEST_ERR(store_patient_set_allergies(f.s, f.pat, "Latex, zinc"));
	TEST_EQ(
	    count(f.s, "SELECT count(*) FROM outbox WHERE entity = 3"), n0 + 1);
	TEST_EQ(count(f.s,
	            "SELECT count(*) FROM patients WHERE allergies ="
	            " 'Latex, zinc'"),
	    1);
	TEST_EQ(issue(&f, "ZNC20", 20, 1, NULL, id2, &cause), EAGAIN);
	TEST_TRUE(strstr(cause, "allergy") != NULL);
	/* cancel: a new signed record; the order becomes cancelled */
	free(cause);
	cause = NULL;
	TEST_EQ(store_rx_end(f.s, id, "cancel", "", cid, &cause), EINVAL);
	free(cause);
	cause = NULL;
	TEST_ERR(store_rx_end(f.s, id, "cancel", "wrong drug", cid, &cause));
	TEST_ERR(store_rx_get(f.s, id, &x));
	TEST_STR(x.status, "cancelled");
	store_rx_clear(&x);
	TEST_ERR(store_rx_get(f.s, cid, &x));
	TEST_STR(x.action, "cancel");
	TEST_STR(x.order_id, id);
	TEST_TRUE(x.applied_ms > 0);
	TEST_ERR(store_rx_verify(f.s, &x, &why));
	store_rx_clear(&x);
	free(cause);
	cause = NULL;
	TEST_EQ(store_rx_end(f.s, id, "stop", "again", cid, &cause), EINVAL);
	/* tampered: a dose changed after signing does not verify */
	TEST_ERR(store_exec(f.s,
	    "UPDATE prescriptions SET dose = 2000 WHERE action = 'order'"));
	TEST_ERR(store_rx_get(f.s, id, &x));
	TEST_EQ(store_rx_verify(f.s, &x, &why), EBADMSG);
	TEST_STR(why, "the prescription does not match its signature");
out:
	free(cause);
	store_rx_clear(&x);
	fx_close(&f);
	return err;
}

/* The prescriptions of S's outbox, decoded, in outbox order. */
static int
outbox_rx(struct store *s, struct model_rec *r, size_t max, size_t *n)
{
	sqlite3_stmt *st;
	int err = 0;

	*n = 0;
	TEST_ERR(store_prepare(
	    s, "SELECT body FROM outbox WHERE entity = 8 ORDER BY seq", &st));
	while (*n < max && sqlite3_step(st) == SQLITE_ROW) {
		err = model_decode(model_entity(REC_PRESCRIPTION),
		    sqlite3_column_blob(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0), &r[*n]);
		if (err != 0)
			break;
		(*n)++;
	}
	sqlite3_finalize(st);
out:
	return err;
}

static int
pull(struct store *s, const struct model_rec *r)
{
	int changed = 0, err;

	if ((err = store_pull_begin(s)) != 0)
		return err;
	store_pull_change_begin(s);
	err = store_pull_apply(s, r, 7, 1, &changed);
	store_pull_change_end(s, err != 0);
	return store_pull_end(
	    s, err, "test.cursor", (const uint8_t *)"c", 1, r->hlc);
}

/* On the clinic's store: the cancel first (kept pending), then the order
 * (the cancel applied with it), then both again (nothing new). */
static int
test_cancel_first(void)
{
	struct fx f;
	struct model_rec r[4];
	struct store_rx x;
	char id[UUID_STRLEN + 1], cid[UUID_STRLEN + 1], *cause = NULL;
	size_t n = 0, i;
	int err = 0, round;

	memset(r, 0, sizeof(r));
	memset(&x, 0, sizeof(x));
	TEST_ERR(fx_open(&f, "video", "2022-01-15"));
	/* a 4-year-old on zinc, then stopped */
	TEST_ERR(issue(&f, "ZNC20", 20, 1, NULL, id, &cause));
	free(cause);
	cause = NULL;
	TEST_ERR(store_rx_end(f.s, id, "stop", "diarrhoea over", cid, &cause));
	TEST_ERR(outbox_rx(f.s, r, 4, &n));
	TEST_EQ(n, 2);
	for (round = 0; round < 2; round++) {
		TEST_ERR(pull(f.s2, &r[1])); /* the stop */
		TEST_EQ(count(f.s2,
		            "SELECT count(*) FROM prescriptions WHERE"
		            " action = 'stop' AND applied_ms IS NULL"),
		    round == 0 ? 1 : 0);
		TEST_ERR(pull(f.s2, &r[0])); /* its order */
		TEST_EQ(count(f.s2, "SELECT count(*) FROM prescriptions"), 2);
		TEST_EQ(count(f.s2,
		            "SELECT count(*) FROM prescriptions WHERE"
		            " action = 'stop' AND applied_ms IS NOT NULL"),
		    1);
		TEST_EQ(count(f.s2,
		            "SELECT count(*) FROM prescriptions WHERE"
		            " action = 'order' AND status = 'stopped'"),
		    1);
	}
	/* a pulled order still running is new on Home until it is read;
	 * the stopped one is not, nor are those made here */
	TEST_EQ(count(f.s,
	            "SELECT count(*) FROM prescriptions"
	            " WHERE seen_ms IS NULL"),
	    0);
	{
		struct store_rx *l = NULL;
		size_t nl = 0;

		free(cause);
		cause = NULL;
		TEST_ERR(issue(&f, "ORS", 200, 6, "more fluids", id, &cause));
		for (i = 0; i < n; i++)
			model_rec_clear(&r[i]);
		TEST_ERR(outbox_rx(f.s, r, 4, &n));
		TEST_EQ(n, 3);
		TEST_ERR(pull(f.s2, &r[2]));
		TEST_ERR(store_rx_list(f.s2, NULL, 1, &l, &nl));
		TEST_EQ(nl, 1);
		TEST_STR(l[0].code, "ORS");
		TEST_ERR(store_rx_seen(f.s2, l[0].id));
		store_rx_free_array(l, nl);
		TEST_ERR(store_rx_list(f.s2, NULL, 1, &l, &nl));
		TEST_EQ(nl, 0);
	}
	/* pulled changes never go back out */
	TEST_EQ(count(f.s2, "SELECT count(*) FROM outbox WHERE entity = 8"), 0);
	/* the clinic verifies the hub's signature (it knows no key of the
	 * clinician: the record's own key) */
	TEST_ERR(store_rx_get(f.s2, id, &x));
	{
		const char *why;

		TEST_ERR(store_rx_verify(f.s2, &x, &why));
	}
out:
	for (i = 0; i < n; i++)
		model_rec_clear(&r[i]);
	store_rx_clear(&x);
	free(cause);
	fx_close(&f);
	return err;
}

TEST_MAIN({ "issue", test_issue }, { "cancel_first", test_cancel_first });
