/*
 * Appointments in the kiosk store (kiosk/store/appt.c): a proposal is a
 * row and an outbox change of entity REC_APPOINTMENT carrying the slot; a
 * cancel needs a reason and changes only an active one; check-in evidence
 * names the CHW or the patient; the list gives a window's appointments by
 * start, without cancelled ones.
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
	TEST_ERR(store_appt_answer(s, id, "booked", "43@1800086400000"));
	TEST_EQ(store_appt_answer(s, "no-such-id", "booked", NULL), ENOENT);
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
	TEST_EQ(seen.n, 4);
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

TEST_MAIN({ "appt", test_appt })
