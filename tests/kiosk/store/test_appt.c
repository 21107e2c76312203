/*
 * Appointments in the kiosk store (kiosk/store/appt.c): a proposal is a
 * row and an outbox change of entity REC_APPOINTMENT carrying the slot; a
 * cancel needs a reason and changes only an active one; the server's
 * answer is kept and synced as the status; check-in evidence names the
 * CHW or the patient; the list gives a window's appointments by start,
 * without cancelled ones; only this node's own proposals are asked for.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kiosk/store/store.h"
#include "kiosk/store/syncstate.h"
#include "model.h"
#include "test.h"

static const uint8_t key[32] = { 9, 9, 9 };

struct seen {
	int n;
	char last_status[16];
	uint64_t slot, checkin;
	char by[8];
};

static int
walk(void *arg, int entity, const char *id, const uint8_t *body, size_t len)
{
	struct seen *s = arg;
	const struct model_value *v;
	struct model_rec r;

	(void)id;
	if (entity != REC_APPOINTMENT)
		return 0;
	s->n++;
	if (model_decode(model_entity(REC_APPOINTMENT), body, len, &r) == 0) {
		if ((v = model_get(&r, REC_APPT_STATUS)) != NULL && v->set)
			snprintf(s->last_status, sizeof(s->last_status), "%s",
			    v->text);
		if ((v = model_get(&r, REC_APPT_SLOT)) != NULL && v->set)
			s->slot = v->u;
		if ((v = model_get(&r, REC_APPT_CHECKIN_MS)) != NULL && v->set)
			s->checkin = v->u;
		if ((v = model_get(&r, REC_APPT_CHECKIN_BY)) != NULL && v->set)
			snprintf(s->by, sizeof(s->by), "%s", v->text);
	}
	model_rec_clear(&r);
	return 0;
}

static int
count(void *arg, const struct store_appt_row *row)
{
	int *n = arg;

	(void)row;
	(*n)++;
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
pending(void *arg, const char *id, const char *patient, uint64_t slot)
{
	int *n = arg;

	(void)id;
	(void)patient;
	*n += slot == 42 || slot == 43;
	return 0;
}

static int
add_patient(struct store *s, char id[UUID_STRLEN + 1])
{
	struct store_patient p = { 0 };
	char *cause = NULL;
	int err;

	p.given = (char *)"Amina";
	p.family = (char *)"Test";
	p.sex = (char *)"female";
	p.birth_date = (char *)"1990";
	err = store_patient_add(s, &p, NULL, &cause);
	free(cause);
	if (err == 0)
		memcpy(id, p.id, UUID_STRLEN + 1);
	return err;
}

static int
test_appt(void)
{
	struct store *s = NULL;
	struct store_appt a;
	struct seen seen;
	char id[UUID_STRLEN + 1], id2[UUID_STRLEN + 1], pat[UUID_STRLEN + 1];
	char *d = test_tmpdir("appt");
	int err = 0, n = 0;

	memset(&seen, 0, sizeof(seen));
	memset(&a, 0, sizeof(a));
	TEST_TRUE(d != NULL);
	TEST_ERR(store_open(d, key, 1, &s));
	/* whose slot, as this kiosk names them: its user by user name or
	 * registration number, else unknown (the screen shows the id) */
	{
		struct store_user u;
		char name[64];

		memset(&u, 0, sizeof(u));
		TEST_ERR(store_user_add(s, "dra", 2, &u));
		TEST_ERR(store_appt_user_regno(s, u.id, name, sizeof(name)));
		TEST_STR(name, "");
		TEST_ERR(store_user_signkey(s, u.id, "KMPDC-77"));
		TEST_ERR(store_appt_user_regno(s, u.id, name, sizeof(name)));
		TEST_STR(name, "KMPDC-77");
		TEST_ERR(store_appt_clinician_name(
		    s, "KMPDC-77", name, sizeof(name)));
		TEST_STR(name, "dra");
		TEST_ERR(
		    store_appt_clinician_name(s, "dra", name, sizeof(name)));
		TEST_STR(name, "dra");
		TEST_ERR(
		    store_appt_clinician_name(s, "drz", name, sizeof(name)));
		TEST_STR(name, "");
		store_user_clear(&u);
	}
	TEST_EQ(store_appt_propose(s, &a, id), EINVAL);
	TEST_ERR(add_patient(s, pat));
	a.patient_id = pat;
	a.slot_id = 42;
	a.start_ms = 1800000000000ULL;
	a.end_ms = a.start_ms + 1800000;
	a.clinician = "dr-a";
	TEST_ERR(store_appt_propose(s, &a, id));
	a.slot_id = 43;
	a.start_ms += 86400000ULL;
	a.end_ms += 86400000ULL;
	TEST_ERR(store_appt_propose(s, &a, id2));
	TEST_ERR(store_sync_manifest(s, 0, walk, &seen));
	TEST_EQ(seen.n, 2);
	TEST_EQ(seen.slot, 43);
	TEST_STR(seen.last_status, "proposed");
	TEST_ERR(store_appt_list(s, 1800000000000ULL,
	    1800000000000ULL + 2 * 86400000ULL, count, &n));
	TEST_EQ(n, 2);
	/* both wait for the server's answer; one comes back booked */
	n = 0;
	TEST_ERR(store_appt_pending(s, pending, &n));
	TEST_EQ(n, 2);
	TEST_ERR(store_appt_answer(s, id, "booked", "0"));
	TEST_EQ(store_appt_answer(s, "no-such-id", "booked", NULL), ENOENT);
	/* the answer is synced as the record's status, for the facility's
	 * other nodes and the hubs */
	memset(&seen, 0, sizeof(seen));
	TEST_ERR(store_sync_manifest(s, 0, walk, &seen));
	TEST_EQ(seen.n, 3);
	TEST_STR(seen.last_status, "booked");
	n = 0;
	TEST_ERR(store_appt_pending(s, pending, &n));
	TEST_EQ(n, 1);
	n = 0;
	TEST_ERR(store_appt_list(s, 1800000000000ULL,
	    1800000000000ULL + 2 * 86400000ULL, booked, &n));
	TEST_EQ(n, 1);
	/* cancel needs a reason; then it leaves the list */
	TEST_EQ(store_appt_cancel(s, id2, ""), EINVAL);
	TEST_ERR(store_appt_cancel(s, id2, "patient travelling"));
	TEST_EQ(store_appt_cancel(s, id2, "again"), ENOENT);
	n = 0;
	TEST_ERR(store_appt_list(s, 1800000000000ULL,
	    1800000000000ULL + 2 * 86400000ULL, count, &n));
	TEST_EQ(n, 1);
	/* check-in evidence */
	TEST_EQ(store_appt_checkin(s, id, "nurse", 1), EINVAL);
	TEST_ERR(store_appt_checkin(s, id, "self", 1800000000123ULL));
	memset(&seen, 0, sizeof(seen));
	TEST_ERR(store_sync_manifest(s, 0, walk, &seen));
	/* two proposals, the answer synced as a status, a cancel, the
	 * check-in */
	TEST_EQ(seen.n, 5);
	TEST_EQ(seen.checkin, 1800000000123ULL);
	TEST_STR(seen.by, "self");
	TEST_STR(seen.last_status, "checked-in");
	/* arrival: a visit an hour before the slot checks it in; one far
	 * from any slot does nothing */
	a.slot_id = 44;
	a.start_ms = 1800000000000ULL + 3 * 86400000ULL;
	a.end_ms = a.start_ms + 1800000;
	TEST_ERR(store_appt_propose(s, &a, id2));
	TEST_ERR(store_appt_arrived(s, pat, "chw", a.start_ms - 7200000, &n));
	TEST_EQ(n, 0);
	TEST_ERR(store_appt_arrived(s, pat, "chw", a.start_ms - 3000000, &n));
	TEST_EQ(n, 1);
	memset(&seen, 0, sizeof(seen));
	TEST_ERR(store_sync_manifest(s, 0, walk, &seen));
	TEST_EQ(seen.checkin, a.start_ms - 3000000);
	TEST_STR(seen.by, "chw");
	TEST_ERR(store_appt_arrived(s, pat, "self", a.start_ms, &n));
	TEST_EQ(n, 0); /* already checked in */
out:
	store_close(s);
	test_rmdir(d);
	return err;
}

struct rows {
	int n;
	struct store_appt_row r[8];
};

static int
collect(void *arg, const struct store_appt_row *row)
{
	struct rows *v = arg;

	if (v->n < 8)
		v->r[v->n++] = *row;
	return 0;
}

/*
 * The visit's list (store_appt_of_patient, kiosk/tui/screen_appt.c):
 * every appointment of the patient with its status as the kiosk knows it
 * (refused with the server's code, cancelled with its reason, one a
 * booked reschedule replaced "cancelled", "rescheduled"); those not ended
 * first by start, then the past ones latest first.  Home's window list
 * leaves out the replaced one as well.
 */
static int
test_of_patient(void)
{
	struct store *s = NULL;
	struct store_appt a;
	struct rows v;
	char past[UUID_STRLEN + 1], old[UUID_STRLEN + 1],
	    moved[UUID_STRLEN + 1];
	char refused[UUID_STRLEN + 1], gone[UUID_STRLEN + 1];
	char pat[UUID_STRLEN + 1];
	char *d = test_tmpdir("appt_pat");
	const uint64_t now = 1800000000000ULL, h = 3600000ULL;
	int err = 0, n = 0;

	memset(&v, 0, sizeof(v));
	memset(&a, 0, sizeof(a));
	TEST_TRUE(d != NULL);
	TEST_ERR(store_open(d, key, 1, &s));
	TEST_ERR(add_patient(s, pat));
	a.patient_id = pat;
	a.slot_id = 1;
	a.start_ms = now - 48 * h;
	a.end_ms = a.start_ms + h / 2;
	TEST_ERR(store_appt_propose(s, &a, past));
	a.slot_id = 2;
	a.start_ms = now + 5 * h;
	a.end_ms = a.start_ms + h / 2;
	TEST_ERR(store_appt_propose(s, &a, old));
	TEST_ERR(store_appt_answer(s, old, "booked", "0"));
	a.slot_id = 3;
	a.start_ms = now + 2 * h;
	a.end_ms = a.start_ms + h / 2;
	TEST_ERR(store_appt_propose(s, &a, refused));
	TEST_ERR(store_appt_answer(
	    s, refused, "refused", "36 4@1800007200000@1800009000000"));
	a.slot_id = 5;
	a.start_ms = now + 3 * h;
	a.end_ms = a.start_ms + h / 2;
	TEST_ERR(store_appt_propose(s, &a, gone));
	TEST_ERR(store_appt_cancel(s, gone, "patient unwell"));
	/* moved: until the server books it, the old one stands */
	a.slot_id = 6;
	a.start_ms = now + 4 * h;
	a.end_ms = a.start_ms + h / 2;
	a.replaces = old;
	TEST_ERR(store_appt_propose(s, &a, moved));
	TEST_ERR(store_appt_list(s, now, now + 24 * h, count, &n));
	TEST_EQ(n, 2); /* old (booked) and moved (proposed) */
	TEST_ERR(store_appt_of_patient(s, pat, now, collect, &v));
	TEST_EQ(v.n, 5);
	TEST_STR(v.r[3].status, "booked"); /* old, the last upcoming */
	TEST_ERR(store_appt_answer(s, moved, "booked", "0"));
	memset(&v, 0, sizeof(v));
	TEST_ERR(store_appt_of_patient(s, pat, now, collect, &v));
	TEST_EQ(v.n, 5);
	TEST_STR(v.r[0].id, refused);
	TEST_STR(v.r[0].status, "refused");
	TEST_STR(v.r[0].answer, "36 4@1800007200000@1800009000000");
	TEST_EQ(v.r[0].slot_id, 3);
	TEST_STR(v.r[1].id, gone);
	TEST_STR(v.r[1].status, "cancelled");
	TEST_STR(v.r[1].reason, "patient unwell");
	TEST_STR(v.r[2].id, moved);
	TEST_STR(v.r[2].status, "booked");
	TEST_STR(v.r[2].replaces, old);
	TEST_STR(v.r[3].id, old);
	TEST_STR(v.r[3].status, "cancelled");
	TEST_STR(v.r[3].reason, "rescheduled");
	TEST_STR(v.r[4].id, past); /* the past one last */
	TEST_STR(v.r[4].status, "proposed");
	/* Home's window: the replaced one is gone */
	n = 0;
	TEST_ERR(store_appt_list(s, now, now + 24 * h, count, &n));
	TEST_EQ(n, 1);
out:
	store_close(s);
	test_rmdir(d);
	return err;
}

/* Apply FROM's outbox after *AFTER to TO as a pull from node 7. */
static int
pull_from(struct store *from, struct store *to, uint64_t *after)
{
	struct store_change *c = NULL;
	struct model_rec r;
	size_t n = 0, i;
	int changed, err;

	if ((err = store_outbox_read(from, *after, 100, &c, &n)) != 0)
		return err;
	if ((err = store_pull_begin(to)) != 0)
		goto out;
	for (i = 0; i < n && err == 0; i++) {
		if (!store_pull_keeps(c[i].entity))
			continue;
		if ((err = model_decode(model_entity(c[i].entity), c[i].body,
		         c[i].len, &r)) == 0)
			err = store_pull_apply(to, &r, 7, 1, &changed);
		model_rec_clear(&r);
	}
	err =
	    store_pull_end(to, err, "test-cursor", (const uint8_t *)"c", 1, 0);
	if (n > 0)
		*after = c[n - 1].seq;
out:
	store_outbox_free(c, n);
	return err;
}

/*
 * An appointment another node proposed, as a hub or the facility's other
 * kiosk pulls it: kept, listed, never asked for here (a hub asking would
 * book in its own name); the proposer's answer arrives as its status.
 */
static int
test_pulled(void)
{
	struct store *a = NULL, *b = NULL;
	struct store_appt ap;
	struct rows v;
	char id[UUID_STRLEN + 1], pat[UUID_STRLEN + 1];
	char *da = test_tmpdir("appt_a"), *db = test_tmpdir("appt_b");
	uint64_t after = 0;
	int err = 0, n = 0;

	memset(&v, 0, sizeof(v));
	memset(&ap, 0, sizeof(ap));
	TEST_TRUE(da != NULL && db != NULL);
	TEST_ERR(store_open(da, key, 1, &a));
	TEST_ERR(store_open(db, key, 1, &b));
	TEST_ERR(add_patient(a, pat));
	ap.patient_id = pat;
	ap.slot_id = 42;
	ap.start_ms = 1800000000000ULL;
	ap.end_ms = ap.start_ms + 1800000;
	ap.clinician = "dr-a";
	TEST_ERR(store_appt_propose(a, &ap, id));
	TEST_ERR(pull_from(a, b, &after));
	TEST_ERR(store_appt_of_patient(b, pat, 0, collect, &v));
	TEST_EQ(v.n, 1);
	TEST_STR(v.r[0].status, "proposed");
	TEST_STR(v.r[0].clinician, "dr-a");
	TEST_ERR(store_appt_pending(b, pending, &n));
	TEST_EQ(n, 0); /* not b's to ask */
	TEST_ERR(store_appt_pending(a, pending, &n));
	TEST_EQ(n, 1);
	TEST_ERR(store_appt_answer(a, id, "booked", "0"));
	TEST_ERR(pull_from(a, b, &after));
	memset(&v, 0, sizeof(v));
	TEST_ERR(store_appt_of_patient(b, pat, 0, collect, &v));
	TEST_EQ(v.n, 1);
	TEST_STR(v.r[0].status, "booked");
	n = 0;
	TEST_ERR(store_appt_list(b, ap.start_ms, ap.end_ms, booked, &n));
	TEST_EQ(n, 1);
out:
	store_close(a);
	store_close(b);
	test_rmdir(da);
	test_rmdir(db);
	return err;
}

TEST_MAIN({ "appt", test_appt }, { "of_patient", test_of_patient },
    { "pulled", test_pulled })
