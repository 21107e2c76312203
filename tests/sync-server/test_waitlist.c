/*
 * POST /v1/waitlist (sync-server/api/waitlist.c, docs/PROTOCOL.md §11.1)
 * through the real HTTP server on loopback, and the offer that moves on
 * (sync-server/wait_timer.c):
 *
 * add: listed once per entry uuid (the same request again answers the
 *   same entry; the uuid with another patient is a conflict), only for a
 *   patient in the node's facility scope, only by clinic and hub nodes;
 *   malformed entries refused; an unknown entry is wait_unknown.
 * decline: a cancel offers the slot to the best-ranked entry; its decline
 *   hands it to the next at once, a second decline is wait_state; a
 *   removal passes it on too; the last one books it through the offer.
 * expiry: a lapsed offer moves on at the sweep (a fake clock, in
 *   process), then by the timer thread itself with a short hold.
 * concurrent: 4 threads decline and sweep one slot's offers at once (the
 *   sweep's clock at the offer's expiry); then the last holders lapse:
 *   each of the 8 entries was offered the slot exactly once.
 *
 * The store is SQLite, or PostgreSQL with OUTPOST_TEST_PG (fixture.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "cborx.h"
#include "model.h"
#include "protocol.h"
#include "uuid.h"
#include "sync-server/server.h"
#include "sync-server/wait_timer.h"
#include "test.h"
#include "fixture.h"

/* Slots of fac-1: 6 half-hours from tomorrow (server clock). */
static int
mk_slots(struct fix *f, uint64_t *first)
{
	struct ssched d;
	struct shours h = { 1, 0, 1440, 30 };
	struct sslot v[6];
	uint64_t id, added, base = hlc_wall_ms() + 86400000ULL;
	struct sslot *l = NULL;
	size_t i, n = 0;
	int err;

	memset(&d, 0, sizeof(d));
	snprintf(d.clinician, sizeof(d.clinician), "dr-a");
	snprintf(d.facility, sizeof(d.facility), "fac-1");
	snprintf(d.region, sizeof(d.region), "north");
	snprintf(d.tz, sizeof(d.tz), "Africa/Nairobi");
	snprintf(d.service, sizeof(d.service), "gp");
	snprintf(d.langs, sizeof(d.langs), "sw,en");
	if ((err = f->srv.be->sched_define(f->srv.store, &d, &h, 1, &id)) != 0)
		return err;
	for (i = 0; i < 6; i++) {
		v[i].start_ms = base - base % 1800000ULL + i * 1800000ULL;
		v[i].end_ms = v[i].start_ms + 1800000ULL;
	}
	if ((err = f->srv.be->slots_add(f->srv.store, id, v, 6, &added)) != 0)
		return err;
	if ((err = f->srv.be->slots_list(f->srv.store, 0, "fac-1", 0,
	         base + 3 * 86400000ULL, &l, &n)) != 0)
		return err;
	*first = n > 0 ? l[0].id : 0;
	free(l);
	return n == 6 ? 0 : EPROTO;
}

/* Node N registers a patient whose id is 16 bytes of PAT. */
static int
scope_patient(struct fix *f, struct tnode *n, uint64_t *seq, uint8_t pat)
{
	struct model_rec r;
	struct uuid id;
	cbor_item_t *body = NULL;
	char ids[UUID_STRLEN + 1];
	int ent = REC_PATIENT, err;
	size_t refused = 9;

	memset(id.b, pat, 16);
	uuid_format(&id, ids);
	model_rec_init(&r, model_entity(REC_PATIENT), ids, 0, NULL);
	model_set_text(&r, REC_PAT_GIVEN, "Test");
	model_set_text(&r, REC_PAT_FAMILY, "Patient");
	if (model_encode(&r, &body) != 0)
		abort();
	model_rec_clear(&r);
	err = fix_push(f, n, seq, 1, &ent, &id, &body, &refused);
	cbor_decref(&body);
	return err != 0 ? err : refused != 0 ? EPERM : 0;
}

/* POST REQ (consumed) to PATH as N; *IT the decoded 200 answer. */
static int
post(struct fix *f, struct tnode *n, const char *path, cbor_item_t *req,
    struct tresp *r, cbor_item_t **it)
{
	uint8_t *body = NULL;
	size_t len;
	int err;

	*it = NULL;
	tresp_clear(r);
	if ((err = cborx_encode(req, &body, &len)) != 0)
		return err;
	cbor_decref(&req);
	err = tnode_do(f->port, n, path, body, len, r);
	free(body);
	if (err == 0 && r->status == 200)
		err = cborx_decode(r->body, r->len, r->len, it);
	return err;
}

static cbor_item_t *
wl_req(uint8_t id, const char *op)
{
	cbor_item_t *m = cborx_map(9);
	uint8_t e[16];

	memset(e, id, 16);
	cborx_map_put(m, WAITREQ_K_ID, cborx_bytes(e, 16));
	cborx_map_put(m, WAITREQ_K_OP, cborx_text(op));
	return m;
}

static cbor_item_t *
wl_add_req(uint8_t id, uint8_t patient, uint64_t urgency, const char *lang)
{
	cbor_item_t *m = wl_req(id, "add");
	uint8_t p[16];

	memset(p, patient, 16);
	cborx_map_put(m, WAITREQ_K_PATIENT, cborx_bytes(p, 16));
	cborx_map_put(m, WAITREQ_K_URGENCY, cborx_uint(urgency));
	cborx_map_put(m, WAITREQ_K_SERVICE, cborx_text("gp"));
	if (lang != NULL)
		cborx_map_put(m, WAITREQ_K_LANG, cborx_text(lang));
	return m;
}

/* The entry's status word and result from a 200 answer IT. */
static int
wl_status(const cbor_item_t *it, uint64_t *result, char *st, size_t size)
{
	char *t = NULL;

	st[0] = '\0';
	if (cborx_map_uint(it, WAIT_K_RESULT, result) != 0)
		return EPROTO;
	if (cborx_map_text(it, WAIT_K_STATUS, 16, &t) == 0) {
		snprintf(st, size, "%s", t);
		free(t);
	}
	return 0;
}

/* Ask entry ID's status as N: its word and its offered slot (0: none). */
static int
wl_ask(struct fix *f, struct tnode *n, uint8_t id, char st[16], uint64_t *slot)
{
	struct tresp r;
	cbor_item_t *it = NULL, *o;
	uint64_t result = 99;
	int err;

	memset(&r, 0, sizeof(r));
	*slot = 0;
	if ((err = post(f, n, PROTO_PATH_WAITLIST, wl_req(id, "status"), &r,
	         &it)) == 0 &&
	    (err = it == NULL ? EPROTO : wl_status(it, &result, st, 16)) == 0 &&
	    result != 0)
		err = EPROTO;
	if (err == 0 && (o = cborx_map_get(it, WAIT_K_OFFER)) != NULL &&
	    cborx_map_uint(o, SLOT_K_ID, slot) != 0)
		err = EPROTO;
	if (it != NULL)
		cbor_decref(&it);
	tresp_clear(&r);
	return err;
}

static int
test_add(void)
{
	struct fix f;
	struct tresp r;
	struct tnode c1, c2, adm;
	cbor_item_t *it = NULL, *m;
	uint64_t s1 = 0, s2 = 0, result = 99, listed = 0, listed2 = 1, rec = 0;
	char st[16];
	int err = 0;

	memset(&r, 0, sizeof(r));
	TEST_ERR(fix_start(&f));
	TEST_ERR(fix_node_as(&f, "north", "clinic", "fac-1", &c1, NULL));
	TEST_ERR(fix_node_as(&f, "north", "clinic", "fac-2", &c2, NULL));
	TEST_ERR(fix_node_as(&f, "north", "admin", "office", &adm, NULL));
	TEST_ERR(scope_patient(&f, &c1, &s1, 0x41));
	TEST_ERR(scope_patient(&f, &c1, &s1, 0x42));
	TEST_ERR(scope_patient(&f, &c2, &s2, 0x43));
	TEST_ERR(post(&f, &c1, PROTO_PATH_WAITLIST,
	    wl_add_req(0xa1, 0x41, 2, "sw"), &r, &it));
	TEST_EQ(r.status, 200);
	TEST_ERR(wl_status(it, &result, st, sizeof(st)));
	TEST_EQ(result, 0);
	TEST_STR(st, "waiting");
	TEST_ERR(cborx_map_uint(it, WAIT_K_LISTED, &listed));
	TEST_ERR(cborx_map_uint(it, WAIT_K_RECOMMENDED, &rec));
	TEST_EQ(rec, 90 * 86400000ULL); /* category 2: within 90 days */
	cbor_decref(&it);
	/* the same request again: the same entry, listed when first sent */
	usleep(5000);
	TEST_ERR(post(&f, &c1, PROTO_PATH_WAITLIST,
	    wl_add_req(0xa1, 0x41, 2, "sw"), &r, &it));
	TEST_EQ(r.status, 200);
	TEST_ERR(cborx_map_uint(it, WAIT_K_LISTED, &listed2));
	TEST_EQ(listed2, listed);
	cbor_decref(&it);
	/* the entry's uuid with another patient */
	TEST_ERR(post(&f, &c1, PROTO_PATH_WAITLIST,
	    wl_add_req(0xa1, 0x42, 2, NULL), &r, &it));
	TEST_EQ(r.status, 409);
	TEST_EQ(tresp_code(&r, NULL), WERR_CONFLICT);
	/* another facility: neither lists nor reads fac-1's patient */
	TEST_ERR(post(&f, &c2, PROTO_PATH_WAITLIST,
	    wl_add_req(0xa2, 0x41, 1, NULL), &r, &it));
	TEST_EQ(r.status, 403);
	TEST_EQ(tresp_code(&r, NULL), WERR_FORBIDDEN);
	TEST_ERR(post(
	    &f, &c2, PROTO_PATH_WAITLIST, wl_req(0xa1, "status"), &r, &it));
	TEST_EQ(r.status, 403);
	TEST_ERR(post(
	    &f, &c2, PROTO_PATH_WAITLIST, wl_req(0xa1, "remove"), &r, &it));
	TEST_EQ(r.status, 403);
	/* an admin node keeps no waitlist */
	TEST_ERR(post(&f, &adm, PROTO_PATH_WAITLIST,
	    wl_add_req(0xa3, 0x41, 1, NULL), &r, &it));
	TEST_EQ(r.status, 403);
	/* malformed: no such category, no service, no operation */
	TEST_ERR(post(&f, &c1, PROTO_PATH_WAITLIST,
	    wl_add_req(0xa4, 0x41, 4, NULL), &r, &it));
	TEST_EQ(r.status, 400);
	m = wl_req(0xa5, "add");
	cborx_map_put(m, WAITREQ_K_URGENCY, cborx_uint(1));
	TEST_ERR(post(&f, &c1, PROTO_PATH_WAITLIST, m, &r, &it));
	TEST_EQ(r.status, 400);
	TEST_ERR(
	    post(&f, &c1, PROTO_PATH_WAITLIST, wl_req(0xa1, "wait"), &r, &it));
	TEST_EQ(r.status, 400);
	/* unknown entry: a result, not an error */
	TEST_ERR(post(
	    &f, &c1, PROTO_PATH_WAITLIST, wl_req(0xaf, "status"), &r, &it));
	TEST_EQ(r.status, 200);
	TEST_ERR(wl_status(it, &result, st, sizeof(st)));
	TEST_EQ(result, WERR_WAIT_UNKNOWN);
	cbor_decref(&it);
	/* removed, then removed again: wait_state */
	TEST_ERR(post(
	    &f, &c1, PROTO_PATH_WAITLIST, wl_req(0xa1, "remove"), &r, &it));
	TEST_ERR(wl_status(it, &result, st, sizeof(st)));
	TEST_EQ(result, 0);
	TEST_STR(st, "removed");
	cbor_decref(&it);
	TEST_ERR(post(
	    &f, &c1, PROTO_PATH_WAITLIST, wl_req(0xa1, "remove"), &r, &it));
	TEST_ERR(wl_status(it, &result, st, sizeof(st)));
	TEST_EQ(result, WERR_WAIT_STATE);
out:
	if (it != NULL)
		cbor_decref(&it);
	tresp_clear(&r);
	fix_stop(&f);
	return err;
}

/* Book FIRST for patient 0x40 as N, then cancel it: the slot is freed
 * and offered to the waitlist. */
static int
free_slot(struct fix *f, struct tnode *n, uint64_t first, uint8_t appt)
{
	struct tresp r;
	cbor_item_t *m, *it = NULL;
	uint8_t a[16], p[16];
	uint64_t result = 99;
	int err = 0;

	memset(&r, 0, sizeof(r));
	memset(a, appt, 16);
	memset(p, 0x40, 16);
	m = cborx_map(3);
	cborx_map_put(m, APPTREQ_K_ID, cborx_bytes(a, 16));
	cborx_map_put(m, APPTREQ_K_SLOT, cborx_uint(first));
	cborx_map_put(m, APPTREQ_K_PATIENT, cborx_bytes(p, 16));
	TEST_ERR(post(f, n, PROTO_PATH_APPOINTMENTS, m, &r, &it));
	TEST_ERR(cborx_map_uint(it, APPT_K_RESULT, &result));
	TEST_EQ(result, 0);
	cbor_decref(&it);
	m = cborx_map(2);
	cborx_map_put(m, APPTREQ_K_ID, cborx_bytes(a, 16));
	cborx_map_put(m, APPTREQ_K_CANCEL, cborx_text("clinician away"));
	TEST_ERR(post(f, n, PROTO_PATH_APPOINTMENTS, m, &r, &it));
	TEST_ERR(cborx_map_uint(it, APPT_K_RESULT, &result));
	TEST_EQ(result, 0);
out:
	if (it != NULL)
		cbor_decref(&it);
	tresp_clear(&r);
	return err;
}

/* fac-1's clinic C1 with patients 0x40 (books and cancels) and 0x51..
 * 0x50+N listed as entries 0xb1.. with urgency 1, 2, 3, 3...: the best
 * ranked is 0xb1. */
static int
setup(struct fix *f, struct tnode *c1, int n, uint64_t *first)
{
	struct tresp r;
	cbor_item_t *it = NULL;
	uint64_t s1 = 0;
	int err = 0, i;

	memset(&r, 0, sizeof(r));
	TEST_ERR(fix_start(f));
	TEST_ERR(fix_node_as(f, "north", "clinic", "fac-1", c1, NULL));
	TEST_ERR(mk_slots(f, first));
	TEST_ERR(scope_patient(f, c1, &s1, 0x40));
	for (i = 1; i <= n; i++) {
		TEST_ERR(scope_patient(f, c1, &s1, (uint8_t)(0x50 + i)));
		TEST_ERR(post(f, c1, PROTO_PATH_WAITLIST,
		    wl_add_req((uint8_t)(0xb0 + i), (uint8_t)(0x50 + i),
		        (uint64_t)(i < 3 ? i : 3), i == 2 ? "sw" : NULL),
		    &r, &it));
		TEST_EQ(r.status, 200);
		cbor_decref(&it);
	}
out:
	if (it != NULL)
		cbor_decref(&it);
	tresp_clear(&r);
	return err;
}

static int
test_decline(void)
{
	struct fix f;
	struct tresp r;
	struct tnode c1;
	cbor_item_t *it = NULL, *m, *o;
	uint64_t first = 0, slot = 0, result = 99, v = 0;
	uint8_t a[16], p[16], e[16];
	char st[16];
	int err = 0;

	memset(&r, 0, sizeof(r));
	memset(&f, 0, sizeof(f));
	TEST_ERR(setup(&f, &c1, 3, &first));
	TEST_ERR(free_slot(&f, &c1, first, 0x31));
	/* the urgent entry holds the offer: slot, start, end, expiry */
	TEST_ERR(post(
	    &f, &c1, PROTO_PATH_WAITLIST, wl_req(0xb1, "status"), &r, &it));
	TEST_ERR(wl_status(it, &result, st, sizeof(st)));
	TEST_STR(st, "offered");
	o = cborx_map_get(it, WAIT_K_OFFER);
	TEST_TRUE(o != NULL);
	TEST_ERR(cborx_map_uint(o, SLOT_K_ID, &slot));
	TEST_EQ(slot, first);
	TEST_ERR(cborx_map_uint(o, OFFER_K_EXPIRES, &v));
	TEST_TRUE(v > hlc_wall_ms() && v <= hlc_wall_ms() + 4 * 3600000ULL);
	TEST_ERR(cborx_map_uint(o, SLOT_K_START, &v));
	TEST_TRUE(v > hlc_wall_ms());
	cbor_decref(&it);
	TEST_ERR(wl_ask(&f, &c1, 0xb2, st, &slot));
	TEST_STR(st, "waiting");
	/* it declines: the next ranked has it at once */
	m = wl_req(0xb1, "decline");
	cborx_map_put(m, WAITREQ_K_SLOT, cborx_uint(first));
	TEST_ERR(post(&f, &c1, PROTO_PATH_WAITLIST, m, &r, &it));
	TEST_ERR(wl_status(it, &result, st, sizeof(st)));
	TEST_EQ(result, 0);
	TEST_STR(st, "waiting");
	TEST_ERR(cborx_map_uint(it, WAIT_K_OFFERS, &v));
	TEST_EQ(v, 1);
	cbor_decref(&it);
	TEST_ERR(wl_ask(&f, &c1, 0xb2, st, &slot));
	TEST_STR(st, "offered");
	TEST_EQ(slot, first);
	/* declining again: no such live offer */
	m = wl_req(0xb1, "decline");
	cborx_map_put(m, WAITREQ_K_SLOT, cborx_uint(first));
	TEST_ERR(post(&f, &c1, PROTO_PATH_WAITLIST, m, &r, &it));
	TEST_ERR(wl_status(it, &result, st, sizeof(st)));
	TEST_EQ(result, WERR_WAIT_STATE);
	cbor_decref(&it);
	/* the holder leaves the list: its offer passes on too */
	TEST_ERR(post(
	    &f, &c1, PROTO_PATH_WAITLIST, wl_req(0xb2, "remove"), &r, &it));
	TEST_ERR(wl_status(it, &result, st, sizeof(st)));
	TEST_STR(st, "removed");
	cbor_decref(&it);
	TEST_ERR(wl_ask(&f, &c1, 0xb3, st, &slot));
	TEST_STR(st, "offered");
	TEST_ERR(wl_ask(&f, &c1, 0xb1, st, &slot));
	TEST_STR(st, "waiting"); /* never offered that slot again */
	/* the third accepts: booked through the offer (key 5) */
	memset(a, 0x33, 16);
	memset(p, 0x53, 16);
	memset(e, 0xb3, 16);
	m = cborx_map(4);
	cborx_map_put(m, APPTREQ_K_ID, cborx_bytes(a, 16));
	cborx_map_put(m, APPTREQ_K_SLOT, cborx_uint(first));
	cborx_map_put(m, APPTREQ_K_PATIENT, cborx_bytes(p, 16));
	cborx_map_put(m, APPTREQ_K_ENTRY, cborx_bytes(e, 16));
	TEST_ERR(post(&f, &c1, PROTO_PATH_APPOINTMENTS, m, &r, &it));
	TEST_ERR(cborx_map_uint(it, APPT_K_RESULT, &result));
	TEST_EQ(result, 0);
	cbor_decref(&it);
	TEST_ERR(wl_ask(&f, &c1, 0xb3, st, &slot));
	TEST_STR(st, "booked");
	TEST_EQ(slot, 0);
out:
	if (it != NULL)
		cbor_decref(&it);
	tresp_clear(&r);
	fix_stop(&f);
	return err;
}

static int
test_expiry(void)
{
	struct fix f;
	struct tnode c1;
	struct swait_state ws;
	uint64_t first = 0, slot = 0, t0;
	unsigned moved = 9;
	uint8_t e[16];
	char st[16];
	int err = 0;

	memset(&f, 0, sizeof(f));
	TEST_ERR(setup(&f, &c1, 3, &first));
	f.srv.wait_hold_ms = 400; /* offers held 400 ms */
	TEST_ERR(free_slot(&f, &c1, first, 0x31));
	TEST_ERR(wl_ask(&f, &c1, 0xb1, st, &slot));
	TEST_STR(st, "offered");
	/* the real timer (50 ms ticks) moves the lapsed offer on by itself */
	TEST_ERR(waitlist_start(&f.srv, 50));
	t0 = hlc_wall_ms();
	do {
		usleep(50000);
		TEST_ERR(wl_ask(&f, &c1, 0xb2, st, &slot));
	} while (strcmp(st, "offered") != 0 && hlc_wall_ms() < t0 + 5000);
	TEST_STR(st, "offered");
	TEST_EQ(slot, first);
	waitlist_stop(&f.srv);
	TEST_ERR(wl_ask(&f, &c1, 0xb1, st, &slot));
	TEST_STR(st, "waiting");
	/* a fake clock, in process: the sweep a millisecond before the
	 * expiry moves nothing, at the expiry the offer moves on */
	f.srv.wait_hold_ms = 0; /* sched.h's rule again */
	memset(e, 0xb2, 16);
	TEST_ERR(f.srv.be->wait_get(f.srv.store, e, &ws));
	TEST_STR(ws.status, "offered");
	TEST_ERR(waitlist_tick(&f.srv, ws.offer.expires_ms - 1, &moved));
	TEST_EQ(moved, 0);
	TEST_ERR(waitlist_tick(&f.srv, ws.offer.expires_ms, &moved));
	TEST_EQ(moved, 1);
	TEST_ERR(wl_ask(&f, &c1, 0xb2, st, &slot));
	TEST_STR(st, "waiting");
	memset(e, 0xb3, 16);
	TEST_ERR(f.srv.be->wait_get(f.srv.store, e, &ws));
	TEST_STR(ws.status, "offered");
	TEST_EQ(ws.offer.slot, first);
	/* the last one lapses: nobody left, the slot stays free */
	TEST_ERR(waitlist_tick(&f.srv, ws.offer.expires_ms, &moved));
	TEST_EQ(moved, 0);
	TEST_ERR(f.srv.be->wait_get(f.srv.store, e, &ws));
	TEST_STR(ws.status, "waiting");
	TEST_EQ(ws.offers, 1);
out:
	fix_stop(&f);
	return err;
}

#define CONC_ENTRIES 8
#define CONC_THREADS 4

struct conc {
	struct fix *f;
	uint64_t slot;
	unsigned seed;
	int err;
};

/* Decline or let lapse whichever entry holds the slot, until nobody
 * does. */
static void *
conc_run(void *arg)
{
	struct conc *c = arg;
	struct swait_state ws;
	uint8_t e[16];
	int i, k, idle = 0;

	for (k = 0; k < 400 && idle < 40; k++) {
		i = (int)(rand_r(&c->seed) % CONC_ENTRIES) + 1;
		memset(e, 0xb0 + i, 16);
		if ((c->err = c->f->srv.be->wait_get(
		         c->f->srv.store, e, &ws)) != 0)
			return NULL;
		if (strcmp(ws.status, "offered") != 0 || ws.offer.slot == 0) {
			idle++;
			continue;
		}
		idle = 0;
		if (rand_r(&c->seed) % 2) {
			if (c->f->srv.be->wait_decline(c->f->srv.store, c->slot,
			        e, ws.offer.offered_ms) == 0)
				(void)waitlist_offer(&c->f->srv, c->slot,
				    ws.start_ms, ws.offer.offered_ms);
		} else if ((c->err = waitlist_tick(
		                &c->f->srv, ws.offer.expires_ms, NULL)) != 0)
			return NULL;
	}
	return NULL;
}

static int
test_concurrent(void)
{
	struct fix f;
	struct tnode c1;
	struct conc c[CONC_THREADS];
	pthread_t t[CONC_THREADS];
	struct swait_state ws;
	uint64_t first = 0, offers = 0;
	uint8_t e[16];
	int err = 0, i, offered = 0;

	memset(&f, 0, sizeof(f));
	TEST_ERR(setup(&f, &c1, CONC_ENTRIES, &first));
	TEST_ERR(free_slot(&f, &c1, first, 0x31));
	for (i = 0; i < CONC_THREADS; i++) {
		c[i].f = &f;
		c[i].slot = first;
		c[i].seed = 77u + (unsigned)i;
		c[i].err = 0;
		TEST_ERR(pthread_create(&t[i], NULL, conc_run, &c[i]));
	}
	for (i = 0; i < CONC_THREADS; i++) {
		pthread_join(t[i], NULL);
		TEST_ERR(c[i].err);
	}
	/* whoever still holds it lets it lapse, one at a time */
	for (i = 1; i <= CONC_ENTRIES; i++) {
		memset(e, 0xb0 + i, 16);
		TEST_ERR(f.srv.be->wait_get(f.srv.store, e, &ws));
		if (strcmp(ws.status, "offered") == 0) {
			TEST_ERR(
			    waitlist_tick(&f.srv, ws.offer.expires_ms, NULL));
			i = 0;
		}
	}
	/* the slot went down the whole list: each entry offered it once */
	for (i = 1; i <= CONC_ENTRIES; i++) {
		memset(e, 0xb0 + i, 16);
		TEST_ERR(f.srv.be->wait_get(f.srv.store, e, &ws));
		offered += strcmp(ws.status, "offered") == 0;
		offers += ws.offers;
		if (strcmp(ws.status, "offered") == 0)
			TEST_EQ(ws.offer.slot, first);
		else
			TEST_EQ(ws.offer.slot, 0);
		TEST_EQ(ws.offers, 1);
	}
	TEST_EQ(offered, 0);
	TEST_EQ(offers, CONC_ENTRIES);
out:
	fix_stop(&f);
	return err;
}

TEST_MAIN({ "add", test_add }, { "decline", test_decline },
    { "expiry", test_expiry }, { "concurrent", test_concurrent })
