/*
 * POST /v1/appointments and POST /v1/slots (sync-server/api/appointments.c,
 * docs/PROTOCOL.md §10) through the real HTTP server on loopback: the
 * facility's slots, a booking answered at once, the same request re-sent
 * answered the same, a second patient refused with slot_taken and 3
 * alternatives, a reschedule, a cancel (only by the booking node), check-in
 * evidence, and refusals of admin nodes, unsigned and malformed requests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cborx.h"
#include "protocol.h"
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

static int
test_appointments(void)
{
	struct fix f;
	struct tresp r;
	struct tnode c1, c2, adm;
	cbor_item_t *it = NULL, *m, *arr;
	uint64_t result = 99, first = 0, v;
	uint8_t id[16], *body = NULL;
	size_t len;
	char st[24];
	int err = 0;

	memset(&r, 0, sizeof(r));
	TEST_ERR(fix_start(&f));
	TEST_ERR(fix_node_as(&f, "north", "clinic", "fac-1", &c1, NULL));
	TEST_ERR(fix_node_as(&f, "north", "clinic", "fac-1", &c2, NULL));
	TEST_ERR(fix_node_as(&f, "north", "admin", "reg", &adm, NULL));
	TEST_ERR(mk_slots(&f));
	/* the facility's slots */
	m = cborx_map(2);
	cborx_map_put(m, SLOTSREQ_K_FROM, cborx_uint(hlc_wall_ms()));
	cborx_map_put(
	    m, SLOTSREQ_K_TO, cborx_uint(hlc_wall_ms() + 2 * 86400000ULL));
	TEST_ERR(cborx_encode(m, &body, &len));
	cbor_decref(&m);
	TEST_ERR(tnode_do(f.port, &c1, PROTO_PATH_SLOTS, body, len, &r));
	TEST_EQ(r.status, 200);
	TEST_ERR(cborx_decode(r.body, r.len, r.len, &it));
	arr = cborx_map_get(it, SLOTS_K_ITEMS);
	TEST_TRUE(arr != NULL && cbor_isa_array(arr) &&
	    cbor_array_size(arr) == 6);
	m = cbor_array_get(arr, 0);
	TEST_ERR(cborx_map_uint(m, SLOT_K_ID, &first));
	cbor_decref(&m);
	cbor_decref(&it);
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
	/* another kiosk, the same slot: slot_taken with 3 alternatives */
	TEST_ERR(appt_do(&f, &c2, book_req(0x12, first, 0x22), &r, &it));
	TEST_EQ(r.status, 200);
	TEST_ERR(cborx_map_uint(it, APPT_K_RESULT, &result));
	TEST_EQ(result, WERR_SLOT_TAKEN);
	arr = cborx_map_get(it, APPT_K_ALTS);
	TEST_TRUE(arr != NULL && cbor_array_size(arr) == 3);
	m = cbor_array_get(arr, 0);
	TEST_ERR(cborx_map_uint(m, SLOT_K_ID, &v));
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
	TEST_ERR(appt_do(&f, &c2, m, &r, &it));
	TEST_ERR(cborx_map_uint(it, APPT_K_RESULT, &result));
	TEST_EQ(result, 0);
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
	TEST_ERR(http_do(f.port, "POST", PROTO_PATH_APPOINTMENTS, NULL,
	    "\xa0", 1, &r));
	TEST_EQ(r.status, 401);
out:
	free(body);
	if (it != NULL)
		cbor_decref(&it);
	tresp_clear(&r);
	fix_stop(&f);
	return err;
}

TEST_MAIN({ "appointments", test_appointments })
