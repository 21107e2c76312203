/*
 * POST /v1/appointments and POST /v1/slots (sync-server/api/appointments.c,
 * docs/PROTOCOL.md §11) through the real HTTP server on loopback: the
 * facility's slots, a booking answered at once, the same request re-sent
 * answered the same, a second patient refused with slot_taken and 3
 * alternatives, a reschedule, a cancel (only by the booking node), check-in
 * evidence, and refusals of admin nodes, unsigned and malformed requests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cborx.h"
#include "licence.h"
#include "model.h"
#include "protocol.h"
#include "uuid.h"
#include "sync-server/server.h"
#include "test.h"
#include "fixture.h"

/* Slots of fac-1: 6 half-hours from tomorrow (server clock). */
static int
mk_slots(struct fix *f)
{
	struct ssched d;
	struct shours h = { 1, 0, 1440, 30 };
	struct sslot v[6];
	uint64_t id, added, base = hlc_wall_ms() + 86400000ULL;
	size_t i;
	int err;

	memset(&d, 0, sizeof(d));
	snprintf(d.clinician, sizeof(d.clinician), "dr-a");
	snprintf(d.facility, sizeof(d.facility), "fac-1");
	snprintf(d.region, sizeof(d.region), "north");
	snprintf(d.tz, sizeof(d.tz), "Africa/Nairobi");
	snprintf(d.service, sizeof(d.service), "gp");
	if ((err = f->srv.be->sched_define(f->srv.store, &d, &h, 1, &id)) != 0)
		return err;
	for (i = 0; i < 6; i++) {
		v[i].start_ms = base - base % 1800000ULL + i * 1800000ULL;
		v[i].end_ms = v[i].start_ms + 1800000ULL;
	}
	return f->srv.be->slots_add(f->srv.store, id, v, 6, &added);
}

static cbor_item_t *rec_body(struct model_rec *);

/* Node N registers a patient whose id is 16 bytes of PAT, which puts
 * the patient in its facility's scope (a booking needs that). */
static int
scope_patient(struct fix *f, struct tnode *n, uint64_t *seq, uint8_t pat)
{
	struct model_rec r;
	struct uuid id;
	cbor_item_t *body;
	char ids[UUID_STRLEN + 1];
	int ent = REC_PATIENT, err;
	size_t refused = 9;

	memset(id.b, pat, 16);
	uuid_format(&id, ids);
	model_rec_init(&r, model_entity(REC_PATIENT), ids, 0, NULL);
	model_set_text(&r, REC_PAT_GIVEN, "Test");
	model_set_text(&r, REC_PAT_FAMILY, "Patient");
	body = rec_body(&r);
	err = fix_push(f, n, seq, 1, &ent, &id, &body, &refused);
	cbor_decref(&body);
	return err != 0 ? err : refused != 0 ? EPERM : 0;
}

/* Send a booking map; *IT the decoded answer (caller's). */
static int
appt_do(struct fix *f, struct tnode *n, cbor_item_t *req, struct tresp *r,
    cbor_item_t **it)
{
	uint8_t *body = NULL;
	size_t len;
	int err;

	*it = NULL;
	tresp_clear(r);
	if ((err = cborx_encode(req, &body, &len)) != 0)
		return err;
	cbor_decref(&req);
	err = tnode_do(f->port, n, PROTO_PATH_APPOINTMENTS, body, len, r);
	free(body);
	if (err == 0 && r->status == 200)
		err = cborx_decode(r->body, r->len, r->len, it);
	return err;
}

static cbor_item_t *
book_req(uint8_t id, uint64_t slot, uint8_t patient)
{
	cbor_item_t *m = cborx_map(4); /* room for APPTREQ_K_REPLACES */
	uint8_t a[16], p[16];

	memset(a, id, 16);
	memset(p, patient, 16);
	cborx_map_put(m, APPTREQ_K_ID, cborx_bytes(a, 16));
	cborx_map_put(m, APPTREQ_K_SLOT, cborx_uint(slot));
	cborx_map_put(m, APPTREQ_K_PATIENT, cborx_bytes(p, 16));
	return m;
}

/* The facility's 6 slots of the next two days, as node N asks for them
 * (POST /v1/slots); *FIRST the earliest's id. */
static int
first_slot(struct fix *f, struct tnode *n, uint64_t *first)
{
	struct tresp r;
	cbor_item_t *m, *it = NULL, *arr;
	uint8_t *body = NULL;
	char *who = NULL;
	size_t len;
	int err = 0;

	memset(&r, 0, sizeof(r));
	m = cborx_map(2);
	cborx_map_put(m, SLOTSREQ_K_FROM, cborx_uint(hlc_wall_ms()));
	cborx_map_put(
	    m, SLOTSREQ_K_TO, cborx_uint(hlc_wall_ms() + 2 * 86400000ULL));
	TEST_ERR(cborx_encode(m, &body, &len));
	TEST_ERR(tnode_do(f->port, n, PROTO_PATH_SLOTS, body, len, &r));
	TEST_EQ(r.status, 200);
	TEST_ERR(cborx_decode(r.body, r.len, r.len, &it));
	arr = cborx_map_get(it, SLOTS_K_ITEMS);
	TEST_TRUE(
	    arr != NULL && cbor_isa_array(arr) && cbor_array_size(arr) == 6);
	cbor_decref(&m);
	m = cbor_array_get(arr, 0);
	TEST_ERR(cborx_map_uint(m, SLOT_K_ID, first));
	/* whose slot it is: the schedule's clinician */
	TEST_ERR(cborx_map_text(m, SLOT_K_CLINICIAN, 64, &who));
	TEST_STR(who, "dr-a");
out:
	free(who);
	if (m != NULL)
		cbor_decref(&m);
	if (it != NULL)
		cbor_decref(&it);
	free(body);
	tresp_clear(&r);
	return err;
}

static int
test_appointments(void)
{
	struct fix f;
	struct tresp r;
	struct tnode c1, c2, adm;
	cbor_item_t *it = NULL, *m, *arr;
	uint64_t result = 99, first = 0, v;
	uint8_t id[16];
	uint64_t s1 = 0, s2 = 0;
	char st[24];
	int err = 0;

	memset(&r, 0, sizeof(r));
	TEST_ERR(fix_start(&f));
	TEST_ERR(fix_node_as(&f, "north", "clinic", "fac-1", &c1, NULL));
	TEST_ERR(fix_node_as(&f, "north", "clinic", "fac-2", &c2, NULL));
	TEST_ERR(fix_node_as(&f, "north", "admin", "reg", &adm, NULL));
	TEST_ERR(mk_slots(&f));
	TEST_ERR(scope_patient(&f, &c1, &s1, 0x21));
	TEST_ERR(scope_patient(&f, &c2, &s2, 0x22));
	/* the facility's slots */
	TEST_ERR(first_slot(&f, &c1, &first));
	/* booked at once */
	TEST_ERR(appt_do(&f, &c1, book_req(0x11, first, 0x21), &r, &it));
	TEST_EQ(r.status, 200);
	TEST_ERR(cborx_map_uint(it, APPT_K_RESULT, &result));
	TEST_EQ(result, 0);
	TEST_TRUE(cborx_map_get(it, APPT_K_REPLAY) == NULL);
	cbor_decref(&it);
	/* re-sent: the same answer, marked as a replay */
	TEST_ERR(appt_do(&f, &c1, book_req(0x11, first, 0x21), &r, &it));
	TEST_ERR(cborx_map_uint(it, APPT_K_RESULT, &result));
	TEST_EQ(result, 0);
	TEST_TRUE(cborx_map_get(it, APPT_K_REPLAY) != NULL);
	cbor_decref(&it);
	/* the same id for another slot: a conflict */
	TEST_ERR(appt_do(&f, &c1, book_req(0x11, first + 1, 0x21), &r, &it));
	TEST_EQ(r.status, 409);
	TEST_EQ(tresp_code(&r, NULL), WERR_CONFLICT);
	/* c1 may not book for a patient its facility never saw */
	TEST_ERR(appt_do(&f, &c1, book_req(0x19, first + 4, 0x22), &r, &it));
	TEST_EQ(r.status, 403);
	TEST_EQ(tresp_code(&r, NULL), WERR_FORBIDDEN);
	/* another kiosk, the same slot: slot_taken with 3 alternatives */
	TEST_ERR(appt_do(&f, &c2, book_req(0x12, first, 0x22), &r, &it));
	TEST_EQ(r.status, 200);
	TEST_ERR(cborx_map_uint(it, APPT_K_RESULT, &result));
	TEST_EQ(result, WERR_SLOT_TAKEN);
	arr = cborx_map_get(it, APPT_K_ALTS);
	TEST_TRUE(arr != NULL && cbor_array_size(arr) == 3);
	m = cbor_array_get(arr, 0);
	TEST_ERR(cborx_map_uint(m, SLOT_K_ID, &v));
	TEST_TRUE(cborx_map_get(m, SLOT_K_CLINICIAN) != NULL);
	cbor_decref(&m);
	TEST_EQ(v, first + 1);
	cbor_decref(&it);
	/* c2 takes the first alternative, then reschedules to the next */
	TEST_ERR(appt_do(&f, &c2, book_req(0x13, first + 1, 0x22), &r, &it));
	TEST_ERR(cborx_map_uint(it, APPT_K_RESULT, &result));
	TEST_EQ(result, 0);
	cbor_decref(&it);
	m = book_req(0x14, first + 2, 0x22);
	memset(id, 0x13, 16);
	cborx_map_put(m, APPTREQ_K_REPLACES, cborx_bytes(id, 16));
	TEST_ERR(appt_do(&f, &c2, m, &r, &it));
	TEST_ERR(cborx_map_uint(it, APPT_K_RESULT, &result));
	TEST_EQ(result, 0);
	cbor_decref(&it);
	TEST_ERR(f.srv.be->appt_status(f.srv.store, id, st, sizeof(st), NULL));
	TEST_STR(st, "cancelled");
	/* c1 may not cancel c2's booking; c2 may */
	memset(id, 0x14, 16);
	m = cborx_map(2);
	cborx_map_put(m, APPTREQ_K_ID, cborx_bytes(id, 16));
	cborx_map_put(m, APPTREQ_K_CANCEL, cborx_text("patient asked"));
	TEST_ERR(appt_do(&f, &c1, cbor_incref(m), &r, &it));
	TEST_ERR(cborx_map_uint(it, APPT_K_RESULT, &result));
	TEST_EQ(result, WERR_APPT_STATE);
	cbor_decref(&it);
	TEST_ERR(appt_do(&f, &c2, cbor_incref(m), &r, &it));
	TEST_ERR(cborx_map_uint(it, APPT_K_RESULT, &result));
	TEST_EQ(result, 0);
	cbor_decref(&it);
	/* asked again (its pushed record got there first): done for c2,
	 * still refused for c1 */
	TEST_ERR(appt_do(&f, &c2, cbor_incref(m), &r, &it));
	TEST_ERR(cborx_map_uint(it, APPT_K_RESULT, &result));
	TEST_EQ(result, 0);
	cbor_decref(&it);
	TEST_ERR(appt_do(&f, &c1, m, &r, &it));
	TEST_ERR(cborx_map_uint(it, APPT_K_RESULT, &result));
	TEST_EQ(result, WERR_APPT_STATE);
	cbor_decref(&it);
	/* check-in evidence for c1's booking */
	memset(id, 0x11, 16);
	m = cborx_map(3);
	cborx_map_put(m, APPTREQ_K_ID, cborx_bytes(id, 16));
	cborx_map_put(m, APPTREQ_K_CHECKIN, cborx_text("self"));
	cborx_map_put(m, APPTREQ_K_AT, cborx_uint(hlc_wall_ms()));
	TEST_ERR(appt_do(&f, &c1, m, &r, &it));
	TEST_ERR(cborx_map_uint(it, APPT_K_RESULT, &result));
	TEST_EQ(result, 0);
	cbor_decref(&it);
	TEST_ERR(f.srv.be->appt_status(f.srv.store, id, st, sizeof(st), NULL));
	TEST_STR(st, "checked-in");
	/* refusals: an admin node, a malformed map, no patient */
	TEST_ERR(appt_do(&f, &adm, book_req(0x15, first + 3, 0x23), &r, &it));
	TEST_EQ(r.status, 403);
	TEST_EQ(tresp_code(&r, NULL), WERR_FORBIDDEN);
	m = cborx_map(1);
	memset(id, 0x16, 16);
	cborx_map_put(m, APPTREQ_K_ID, cborx_bytes(id, 16));
	TEST_ERR(appt_do(&f, &c1, m, &r, &it));
	TEST_EQ(r.status, 400);
	TEST_EQ(tresp_code(&r, NULL), WERR_BAD_REQUEST);
	tresp_clear(&r);
	TEST_ERR(tnode_do(f.port, &c1, PROTO_PATH_APPOINTMENTS, "\x01", 1, &r));
	TEST_EQ(r.status, 400);
	tresp_clear(&r);
	TEST_ERR(http_do(
	    f.port, "POST", PROTO_PATH_APPOINTMENTS, NULL, "\xa0", 1, &r));
	TEST_EQ(r.status, 401);
out:
	if (it != NULL)
		cbor_decref(&it);
	tresp_clear(&r);
	fix_stop(&f);
	return err;
}

static cbor_item_t *
rec_body(struct model_rec *r)
{
	cbor_item_t *m = NULL;

	if (model_encode(r, &m) != 0)
		abort();
	model_rec_clear(r);
	return m;
}

/*
 * The offline path (docs/PROTOCOL.md §11): a kiosk pushes a patient and
 * two proposed appointments of one slot (entity 10); the server books the
 * first and refuses the second as it stores them, and the kiosk's later
 * request with the same ids gets those answers (replay).  A pushed
 * check-in on the booked one is evidence.  An appointment for a patient
 * the facility never saw is refused by the policy (scope).
 */
static int
test_offline(void)
{
	struct fix f;
	struct tresp r;
	struct tnode c1, c2;
	struct model_rec rec;
	struct uuid id[3], pat, other;
	cbor_item_t *body[3], *it = NULL, *ask;
	char ids[3][UUID_STRLEN + 1], pats[UUID_STRLEN + 1];
	char others[UUID_STRLEN + 1], st[24];
	int ent[3] = { REC_PATIENT, REC_APPOINTMENT, REC_APPOINTMENT };
	uint64_t seq = 0, seq2 = 0, first, result = 99;
	struct sslot *v = NULL;
	size_t nv = 0, refused = 9, i;
	int err = 0;

	memset(&r, 0, sizeof(r));
	TEST_ERR(fix_start(&f));
	TEST_ERR(fix_node_as(&f, "north", "clinic", "fac-1", &c1, NULL));
	TEST_ERR(fix_node_as(&f, "north", "clinic", "fac-2", &c2, NULL));
	TEST_ERR(mk_slots(&f));
	TEST_ERR(f.srv.be->slots_list(f.srv.store, 0, "fac-1", 0,
	    hlc_wall_ms() + 3 * 86400000ULL, &v, &nv));
	TEST_EQ(nv, 6);
	first = v[0].id;
	uuid_v7(&pat);
	uuid_format(&pat, pats);
	for (i = 0; i < 3; i++) {
		uuid_v7(&id[i]);
		uuid_format(&id[i], ids[i]);
	}
	id[0] = pat;
	model_rec_init(&rec, model_entity(REC_PATIENT), pats, 0, NULL);
	model_set_text(&rec, REC_PAT_GIVEN, "Amina");
	model_set_text(&rec, REC_PAT_FAMILY, "Test");
	body[0] = rec_body(&rec);
	for (i = 1; i < 3; i++) {
		model_rec_init(
		    &rec, model_entity(REC_APPOINTMENT), ids[i], 0, NULL);
		model_set_text(&rec, REC_APPT_PATIENT, pats);
		model_set_uint(&rec, REC_APPT_SLOT, first);
		model_set_text(&rec, REC_APPT_STATUS, "proposed");
		body[i] = rec_body(&rec);
	}
	TEST_ERR(fix_push(&f, &c1, &seq, 3, ent, id, body, &refused));
	for (i = 0; i < 3; i++)
		cbor_decref(&body[i]);
	TEST_EQ(refused, 0);
	TEST_ERR(
	    f.srv.be->appt_status(f.srv.store, id[1].b, st, sizeof(st), NULL));
	TEST_STR(st, "booked");
	TEST_ERR(
	    f.srv.be->appt_status(f.srv.store, id[2].b, st, sizeof(st), NULL));
	TEST_STR(st, "refused");
	/* the next sync asks with the same ids: the stored answers */
	ask = cborx_map(3);
	cborx_map_put(ask, APPTREQ_K_ID, cborx_bytes(id[2].b, 16));
	cborx_map_put(ask, APPTREQ_K_SLOT, cborx_uint(first));
	cborx_map_put(ask, APPTREQ_K_PATIENT, cborx_bytes(pat.b, 16));
	TEST_ERR(appt_do(&f, &c1, ask, &r, &it));
	TEST_ERR(cborx_map_uint(it, APPT_K_RESULT, &result));
	TEST_EQ(result, WERR_SLOT_TAKEN);
	TEST_TRUE(cborx_map_get(it, APPT_K_REPLAY) != NULL);
	TEST_TRUE(cborx_map_get(it, APPT_K_ALTS) != NULL);
	cbor_decref(&it);
	/* check-in evidence pushed with the record */
	model_rec_init(&rec, model_entity(REC_APPOINTMENT), ids[1], 0, NULL);
	model_set_text(&rec, REC_APPT_STATUS, "checked-in");
	model_set_uint(&rec, REC_APPT_CHECKIN_MS, hlc_wall_ms());
	model_set_text(&rec, REC_APPT_CHECKIN_BY, "chw");
	body[0] = rec_body(&rec);
	TEST_ERR(fix_push(&f, &c1, &seq, 1, ent + 1, id + 1, body, &refused));
	cbor_decref(&body[0]);
	TEST_EQ(refused, 0);
	TEST_ERR(
	    f.srv.be->appt_status(f.srv.store, id[1].b, st, sizeof(st), NULL));
	TEST_STR(st, "checked-in");
	/* another facility, a patient it never saw: refused, not booked */
	uuid_v7(&other);
	uuid_format(&other, others);
	model_rec_init(&rec, model_entity(REC_APPOINTMENT), others, 0, NULL);
	model_set_text(&rec, REC_APPT_PATIENT, pats);
	model_set_uint(&rec, REC_APPT_SLOT, first + 1);
	model_set_text(&rec, REC_APPT_STATUS, "proposed");
	body[0] = rec_body(&rec);
	TEST_ERR(fix_push(&f, &c2, &seq2, 1, ent + 1, &other, body, &refused));
	cbor_decref(&body[0]);
	TEST_EQ(refused, 1);
	TEST_EQ(
	    f.srv.be->appt_status(f.srv.store, other.b, st, sizeof(st), NULL),
	    ENOENT);
out:
	free(v);
	if (it != NULL)
		cbor_decref(&it);
	tresp_clear(&r);
	fix_stop(&f);
	return err;
}

/* A cancel hands the slot to the waitlist: the best eligible entry (an
 * urgent one without a language the clinician lacks) gets the one live
 * offer; another kiosk is told slot_offered; the offered patient books
 * it through the offer. */
static int
test_waitlist_offer(void)
{
	struct fix f;
	struct tresp r;
	struct tnode c1, c2;
	struct swait w;
	struct sslot *v = NULL;
	cbor_item_t *it = NULL, *m;
	uint64_t first, result = 99, now = hlc_wall_ms(), doubled = 1;
	uint8_t id[16], e3[16];
	uint64_t s1 = 0, s2 = 0;
	size_t nv = 0;
	char st[24];
	int err = 0, i;

	memset(&r, 0, sizeof(r));
	TEST_ERR(fix_start(&f));
	TEST_ERR(fix_node_as(&f, "north", "clinic", "fac-1", &c1, NULL));
	TEST_ERR(fix_node_as(&f, "north", "clinic", "fac-1", &c2, NULL));
	TEST_ERR(mk_slots(&f));
	TEST_ERR(f.srv.be->slots_list(
	    f.srv.store, 0, "fac-1", 0, now + 3 * 86400000ULL, &v, &nv));
	TEST_EQ(nv, 6);
	first = v[0].id;
	for (i = 1; i <= 3; i++) {
		memset(&w, 0, sizeof(w));
		memset(w.id, 0xe0 + i, 16);
		memset(w.patient, 0x80 + i, 16);
		snprintf(w.region, sizeof(w.region), "north");
		snprintf(w.service, sizeof(w.service), "gp");
		w.urgency = i == 1 ? 2 : 1;
		w.listed_ms = now - (uint64_t)(i == 3 ? 1 : 60) * 86400000ULL;
		w.recommended_ms = 90 * 86400000ULL;
		if (i == 2) /* the clinician speaks no French */
			snprintf(w.lang, sizeof(w.lang), "fr");
		TEST_ERR(f.srv.be->wait_add(f.srv.store, &w));
	}
	TEST_ERR(scope_patient(&f, &c1, &s1, 0x41));
	TEST_ERR(scope_patient(&f, &c2, &s2, 0x42));
	TEST_ERR(scope_patient(&f, &c2, &s2, 0x83));
	TEST_ERR(appt_do(&f, &c1, book_req(0x31, first, 0x41), &r, &it));
	TEST_ERR(cborx_map_uint(it, APPT_K_RESULT, &result));
	TEST_EQ(result, 0);
	cbor_decref(&it);
	memset(id, 0x31, 16);
	m = cborx_map(2);
	cborx_map_put(m, APPTREQ_K_ID, cborx_bytes(id, 16));
	cborx_map_put(m, APPTREQ_K_CANCEL, cborx_text("clinic closed"));
	TEST_ERR(appt_do(&f, &c1, m, &r, &it));
	TEST_ERR(cborx_map_uint(it, APPT_K_RESULT, &result));
	TEST_EQ(result, 0);
	cbor_decref(&it);
	/* c2 cannot take the offered slot */
	TEST_ERR(appt_do(&f, &c2, book_req(0x32, first, 0x42), &r, &it));
	TEST_ERR(cborx_map_uint(it, APPT_K_RESULT, &result));
	TEST_EQ(result, WERR_SLOT_OFFERED);
	TEST_TRUE(cborx_map_get(it, APPT_K_ALTS) != NULL);
	cbor_decref(&it);
	/* e3 (urgent, eligible) holds it and books it */
	memset(e3, 0xe3, 16);
	m = book_req(0x33, first, 0x83);
	cborx_map_put(m, APPTREQ_K_ENTRY, cborx_bytes(e3, 16));
	TEST_ERR(appt_do(&f, &c2, m, &r, &it));
	TEST_ERR(cborx_map_uint(it, APPT_K_RESULT, &result));
	TEST_EQ(result, 0);
	cbor_decref(&it);
	memset(id, 0x33, 16);
	TEST_ERR(f.srv.be->appt_status(f.srv.store, id, st, sizeof(st), NULL));
	TEST_STR(st, "booked");
	TEST_ERR(f.srv.be->appt_invariant(f.srv.store, &doubled));
	TEST_EQ(doubled, 0);
out:
	free(v);
	if (it != NULL)
		cbor_decref(&it);
	tresp_clear(&r);
	fix_stop(&f);
	return err;
}

/*
 * The licence gate: in a region with a registry, a clinician whose
 * licence does not permit booking at the slot's time is not booked
 * (result 27 licence), and is once the registry permits it; nothing is
 * stored for the refusal, so the same request is checked again.
 */
static int
test_licence_gate(void)
{
	struct fix f;
	struct tresp r;
	struct tnode c1;
	struct licence l;
	cbor_item_t *it = NULL;
	uint64_t result = 99, first = 0, s1 = 0;
	uint8_t id[16];
	char st[24];
	int err = 0;

	memset(&r, 0, sizeof(r));
	TEST_ERR(fix_start(&f));
	TEST_ERR(fix_node_as(&f, "north", "clinic", "fac-1", &c1, NULL));
	TEST_ERR(mk_slots(&f));
	TEST_ERR(scope_patient(&f, &c1, &s1, 0x21));
	TEST_ERR(first_slot(&f, &c1, &first));
	/* dr-a holds a licence in the region for consults only */
	memset(&l, 0, sizeof(l));
	snprintf(l.regno, sizeof(l.regno), "dr-a");
	snprintf(l.regulator, sizeof(l.regulator), "KMPDC");
	snprintf(l.cadre, sizeof(l.cadre), "medical officer");
	snprintf(l.name, sizeof(l.name), "Dr A");
	snprintf(l.juris, sizeof(l.juris), "north");
	l.scope = LIC_SCOPE(LIC_ACT_CONSULT);
	l.valid_from = (int64_t)hlc_wall_ms() - 86400000LL;
	l.valid_to = (int64_t)hlc_wall_ms() + 30 * 86400000LL;
	TEST_ERR(f.srv.be->licence_put(f.srv.store, &l, 1, "add", "", 1));
	TEST_ERR(appt_do(&f, &c1, book_req(0x11, first, 0x21), &r, &it));
	TEST_EQ(r.status, 200);
	TEST_ERR(cborx_map_uint(it, APPT_K_RESULT, &result));
	TEST_EQ(result, WERR_LICENCE);
	cbor_decref(&it);
	memset(id, 0x11, 16);
	TEST_EQ(f.srv.be->appt_status(f.srv.store, id, st, sizeof(st), NULL),
	    ENOENT);
	/* a licence that ends before the slot: still refused */
	l.scope = LIC_SCOPE_ALL;
	l.valid_to = (int64_t)hlc_wall_ms() + 3600000LL;
	TEST_ERR(f.srv.be->licence_put(f.srv.store, &l, 1, "add", "", 2));
	TEST_ERR(appt_do(&f, &c1, book_req(0x11, first, 0x21), &r, &it));
	TEST_EQ(r.status, 200);
	TEST_ERR(cborx_map_uint(it, APPT_K_RESULT, &result));
	TEST_EQ(result, WERR_LICENCE);
	cbor_decref(&it);
	/* permitted at the slot's time: booked */
	l.valid_to = (int64_t)hlc_wall_ms() + 30 * 86400000LL;
	TEST_ERR(f.srv.be->licence_put(f.srv.store, &l, 1, "add", "", 3));
	TEST_ERR(appt_do(&f, &c1, book_req(0x11, first, 0x21), &r, &it));
	TEST_EQ(r.status, 200);
	TEST_ERR(cborx_map_uint(it, APPT_K_RESULT, &result));
	TEST_EQ(result, 0);
	cbor_decref(&it);
out:
	if (it != NULL)
		cbor_decref(&it);
	tresp_clear(&r);
	fix_stop(&f);
	return err;
}

TEST_MAIN({ "appointments", test_appointments }, { "offline", test_offline },
    { "waitlist_offer", test_waitlist_offer },
    { "licence_gate", test_licence_gate })
