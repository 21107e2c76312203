/*
 * POST /v1/appointments (issue 15; docs/PROTOCOL.md §11): one appointment
 * request of a clinic or hub node, answered at once and idempotent by the
 * appointment's id (the UUID the kiosk made): a re-sent request gets the
 * stored answer.  Book a slot (APPTREQ_K_SLOT, with APPTREQ_K_REPLACES a
 * reschedule, with APPTREQ_K_ENTRY the acceptance of a waitlist offer),
 * cancel (APPTREQ_K_CANCEL) or give check-in evidence (APPTREQ_K_CHECKIN).
 * A refused booking answers 200 with APPT_K_RESULT WERR_SLOT_TAKEN and up
 * to 3 alternatives; malformed requests get the ordinary error body.
 *
 * POST /v1/slots: the node's facility's slots in a window (31 days at
 * most), so the kiosk can offer them.
 *
 * The store decides (its partial unique index: one active appointment per
 * slot); the application check here only makes the refusal friendlier.
 */
#define LOG_MODULE "api_appointments"

#include <errno.h>
#include <string.h>

#include "cborx.h"
#include "licence.h"
#include "log.h"
#include "model.h"
#include "protocol.h"
#include "str.h"
#include "uuid.h"
#include "xmalloc.h"
#include "sync-server/api/appointments.h"
#include "sync-server/policy.h"
#include "sync-server/registry.h"
#include "sync-server/server.h"
#include "sync-server/wait_timer.h"
#include "sync-server/wire.h"
#include "sync-server/work/sched.h"

#define APPT_ITEMS_MAX 32
#define SLOTS_WINDOW_MAX (31 * 86400 * 1000ULL)

/*
 * The licence gate: may the slot's clinician be booked for the slot's
 * time?  licence_permitted(LIC_ACT_BOOK) on the registry read before the
 * booking (the gate runs inside the store's transaction and must not call
 * the store), in the schedule's region; a region nobody is registered for
 * has licensing off.  Returns 0 to allow; a refusal keeps its words.
 */
struct appt_gate {
	struct licence_set reg;
	char words[160];
};

static int
api_appt_licence_gate(const struct sslot *slot, const char *clinician,
    const char *region, void *arg)
{
	struct appt_gate *g = arg;
	struct licence_verdict lv;

	if (!registry_region_on(&g->reg, region))
		return 0;
	if (licence_permitted(&g->reg, clinician, LIC_ACT_BOOK, region,
	        (int64_t)slot->start_ms, &lv))
		return 0;
	snprintf(g->words, sizeof(g->words),
	    "the clinician cannot be booked at that time: %s", lv.words);
	return -1;
}

/* Read the registry for B's gate: 0 or the store's errno. */
static int
api_appt_gate_load(struct server *srv, struct sbook *b, struct appt_gate *g)
{
	uint64_t version;

	memset(g, 0, sizeof(*g));
	snprintf(g->words, sizeof(g->words),
	    "the slot's clinician may not be booked at that time");
	if (srv->be->licence_list == NULL)
		return 0;
	b->gate_cb = api_appt_licence_gate;
	b->gate_arg = g;
	return srv->be->licence_list(srv->store, &g->reg, &version);
}

static cbor_item_t *
api_slot_map(const struct sslot *s)
{
	cbor_item_t *m = cborx_map(5);

	cborx_map_put(m, SLOT_K_ID, cborx_uint(s->id));
	cborx_map_put(m, SLOT_K_START, cborx_uint(s->start_ms));
	cborx_map_put(m, SLOT_K_END, cborx_uint(s->end_ms));
	cborx_map_put(m, SLOT_K_STATUS, cborx_text(s->status));
	/* whose slot: the kiosk records it on the appointment, and the
	 * clinician's hub pulls the appointment (docs/PROTOCOL.md §5.3) */
	if (s->clinician[0] != '\0')
		cborx_map_put(m, SLOT_K_CLINICIAN, cborx_text(s->clinician));
	return m;
}

static int
api_appt_root(struct request *req, cbor_item_t **root)
{
	*root = NULL;
	if (!wire_plain(req->body, req->len) ||
	    cborx_decode_items(
	        req->body, req->len, req->len, APPT_ITEMS_MAX, root) != 0 ||
	    !cbor_isa_map(*root)) {
		if (*root != NULL)
			cbor_decref(root);
		req_error(req, WERR_BAD_REQUEST, "not a CBOR map", -1);
		return EBADMSG;
	}
	return 0;
}

/* A 16-byte id at KEY: 1 present, 0 absent, -1 malformed. */
static int
api_appt_id(const cbor_item_t *root, uint64_t key, uint8_t out[16])
{
	const uint8_t *p;
	size_t len;
	int rc = cborx_map_bytes(root, key, 16, &p, &len);

	if (rc == ENOENT)
		return 0;
	if (rc != 0 || len != 16)
		return -1;
	memcpy(out, p, 16);
	return 1;
}

static void
api_appt_answer(struct request *req, const uint8_t id[16], int result,
    const struct sbook_result *r)
{
	cbor_item_t *m = cborx_map(5), *alts;
	size_t i;

	cborx_map_put(m, APPT_K_ID, cborx_bytes(id, 16));
	cborx_map_put(m, APPT_K_RESULT, cborx_uint((uint64_t)result));
	if (r != NULL && r->slot.id != 0)
		cborx_map_put(m, APPT_K_SLOT, api_slot_map(&r->slot));
	if (r != NULL && r->nalts > 0) {
		alts = cborx_array(r->nalts);
		for (i = 0; i < r->nalts; i++)
			cborx_array_push(alts, api_slot_map(&r->alts[i]));
		cborx_map_put(m, APPT_K_ALTS, alts);
	}
	if (r != NULL && r->replay)
		cborx_map_put(m, APPT_K_REPLAY, cborx_bool(1));
	req_reply(req, m);
}

/*
 * A slot freed by a cancel goes to the waitlist: one offer, held
 * min(4 h, half the time to the slot), to the best eligible entry
 * (docs/PROTOCOL.md §11).  Nobody waiting is not an error.
 */
static void
api_appt_offer(struct request *req, uint64_t slot_id)
{
	struct server *srv = req->srv;
	struct sslot *v = NULL;
	uint64_t now = server_now_ms(), start = 0;
	size_t n = 0, i;

	if (srv->be->slots_list(srv->store, 0, req->node.facility, now,
	        now + SLOTS_WINDOW_MAX, &v, &n) == 0)
		for (i = 0; i < n; i++)
			if (v[i].id == slot_id)
				start = v[i].start_ms;
	free(v);
	if (start == 0)
		return; /* past, or far enough ahead to wait for a request */
	(void)waitlist_offer(srv, slot_id, start, now);
}

static int
api_appt_book(struct request *req, cbor_item_t *root, const uint8_t id[16])
{
	struct server *srv = req->srv;
	struct sbook b;
	struct sbook_result r;
	struct appt_gate gate;
	int rc, err, result;

	memset(&b, 0, sizeof(b));
	memcpy(b.id, id, 16);
	if (cborx_map_uint(root, APPTREQ_K_SLOT, &b.slot) != 0 || b.slot == 0 ||
	    api_appt_id(root, APPTREQ_K_PATIENT, b.patient) != 1 ||
	    (rc = api_appt_id(root, APPTREQ_K_REPLACES, b.replaces)) < 0 ||
	    (b.has_replaces = rc,
	        rc = api_appt_id(root, APPTREQ_K_ENTRY, b.entry)) < 0) {
		req_error(req, WERR_BAD_REQUEST,
		    "a booking needs a slot number and a 16-byte patient id",
		    -1);
		return 0;
	}
	b.has_entry = rc;
	/* As the policy's "scope" on create: a node books only for a
	 * patient its facility registered or saw. */
	if (srv->be->patient_in_scope(srv->store, req->node.region,
	        req->node.facility, b.patient, &rc) != 0) {
		req_error(req, WERR_INTERNAL, "storage failure", -1);
		return 0;
	}
	if (!rc) {
		req_error(req, WERR_FORBIDDEN,
		    "this patient was never registered or seen at your"
		    " facility",
		    -1);
		return 0;
	}
	b.node = req->node.id;
	b.now_ms = server_now_ms();
	b.app_check = 1;
	if ((err = api_appt_gate_load(srv, &b, &gate)) == 0)
		err = srv->be->appt_book(srv->store, &b, &r);
	licence_set_clear(&gate.reg);
	if (err == EEXIST) {
		req_error(req, WERR_CONFLICT,
		    "this appointment id was used for another slot or patient",
		    -1);
		return 0;
	}
	if (err == EXDEV || err == EACCES || err == EALREADY || err == ENOENT) {
		req_error(req, WERR_APPT_STATE,
		    "the appointment to reschedule is not this node's active"
		    " booking",
		    -1);
		return 0;
	}
	if (err == EBUSY) { /* nothing stored: the kiosk asks again */
		req_error(req, WERR_UNAVAILABLE, "store busy", -1);
		return 0;
	}
	if (err != 0) {
		req_error(req, WERR_INTERNAL, "storage failure", -1);
		return 0;
	}
	switch (r.outcome) {
	case SBOOK_BOOKED:
		result = 0;
		break;
	case SBOOK_TAKEN:
		result = WERR_SLOT_TAKEN;
		break;
	case SBOOK_OFFERED:
		result = WERR_SLOT_OFFERED;
		break;
	case SBOOK_NOT_PERMITTED: /* not stored: asked again, checked again */
		log_info("node %llu: appointment refused: %s",
		    (unsigned long long)b.node, gate.words);
		result = WERR_LICENCE;
		break;
	default:
		result = WERR_NO_SLOT;
		break;
	}
	log_info("node %llu: appointment %s", (unsigned long long)b.node,
	    result == 0 ? "booked" : "refused");
	api_appt_answer(req, id, result, &r);
	return 0;
}

static int
api_appt_run(struct request *req)
{
	struct server *srv = req->srv;
	cbor_item_t *root = NULL;
	uint8_t id[16];
	uint64_t at = 0, slot = 0;
	char *text = NULL, status[24];
	int role = policy_role(req->node.role), err, result = 0;

	if (role != POLICY_HUB && role != POLICY_CLINIC) {
		req_error(req, WERR_FORBIDDEN,
		    "only clinic and hub nodes book appointments", -1);
		return 0;
	}
	if (srv->be->appt_book == NULL) {
		req_error(
		    req, WERR_UNAVAILABLE, "no booking in this store", -1);
		return 0;
	}
	if (api_appt_root(req, &root) != 0)
		return 0;
	if (api_appt_id(root, APPTREQ_K_ID, id) != 1) {
		req_error(
		    req, WERR_BAD_REQUEST, "no 16-byte appointment id", -1);
		goto out;
	}
	if (cborx_map_text(root, APPTREQ_K_CANCEL, 64, &text) == 0) {
		err = srv->be->appt_cancel(
		    srv->store, id, req->node.id, text, server_now_ms());
		if (err == 0 &&
		    srv->be->appt_status(
		        srv->store, id, status, sizeof(status), &slot) == 0)
			api_appt_offer(req, slot);
		/* this node's appointment cancelled already (its pushed
		 * record got there first): done, as a repeated book is */
		if (err == EALREADY &&
		    srv->be->appt_status(
		        srv->store, id, status, sizeof(status), &slot) == 0 &&
		    strcmp(status, "cancelled") == 0)
			err = 0;
		if (err == ENOENT)
			result = WERR_NO_SLOT;
		else if (err == EACCES || err == EALREADY)
			result = WERR_APPT_STATE;
		else if (err != 0) {
			req_error(req, WERR_INTERNAL, "storage failure", -1);
			goto out;
		}
		api_appt_answer(req, id, result, NULL);
	} else if (cborx_map_text(root, APPTREQ_K_CHECKIN, 8, &text) == 0) {
		if ((strcmp(text, "chw") != 0 && strcmp(text, "self") != 0) ||
		    cborx_map_uint(root, APPTREQ_K_AT, &at) != 0 ||
		    at > INT64_MAX) {
			req_error(req, WERR_BAD_REQUEST,
			    "a check-in names \"chw\" or \"self\" and its time",
			    -1);
			goto out;
		}
		err = srv->be->appt_checkin(
		    srv->store, id, text, at, server_now_ms());
		if (err == ENOENT)
			result = WERR_NO_SLOT;
		else if (err == EALREADY)
			result = WERR_APPT_STATE;
		else if (err != 0) {
			req_error(req, WERR_INTERNAL, "storage failure", -1);
			goto out;
		}
		api_appt_answer(req, id, result, NULL);
	} else
		api_appt_book(req, root, id);
out:
	free(text);
	cbor_decref(&root);
	return 0;
}

static int
api_slots_run(struct request *req)
{
	struct server *srv = req->srv;
	cbor_item_t *root = NULL, *m, *arr;
	struct sslot *v = NULL;
	uint64_t from, to;
	size_t n = 0, i;

	if (srv->be->slots_list == NULL) {
		req_error(
		    req, WERR_UNAVAILABLE, "no booking in this store", -1);
		return 0;
	}
	if (api_appt_root(req, &root) != 0)
		return 0;
	if (cborx_map_uint(root, SLOTSREQ_K_FROM, &from) != 0 ||
	    cborx_map_uint(root, SLOTSREQ_K_TO, &to) != 0 || to < from ||
	    to - from > SLOTS_WINDOW_MAX || to > INT64_MAX) {
		req_error(req, WERR_BAD_REQUEST,
		    "give a window of at most 31 days", -1);
		goto out;
	}
	if (srv->be->slots_list(
	        srv->store, 0, req->node.facility, from, to, &v, &n) != 0) {
		req_error(req, WERR_INTERNAL, "storage failure", -1);
		goto out;
	}
	arr = cborx_array(n);
	for (i = 0; i < n; i++)
		cborx_array_push(arr, api_slot_map(&v[i]));
	m = cborx_map(1);
	cborx_map_put(m, SLOTS_K_ITEMS, arr);
	req_reply(req, m);
out:
	free(v);
	cbor_decref(&root);
	return 0;
}

/*
 * The offline path: an appointment record (entity 10) that a push stored
 * is acted on at once, as its request would be (proposed: book; cancelled:
 * cancel; check-in evidence: check in).  The kiosk reads the answer on its
 * next sync by sending the same request (idempotent).  Failures here are
 * logged and left for that request; the push itself has succeeded.
 */
static void
api_appt_pushed_one(struct request *req, const struct schange *c)
{
	struct server *srv = req->srv;
	const struct model_value *st, *slot, *pat, *rep, *at, *by, *why;
	struct model_rec r;
	struct sbook b;
	struct sbook_result res;
	struct appt_gate gate;
	struct uuid u;
	uint64_t freed = 0;
	char status[24];
	int err = 0;

	if (model_decode(model_entity(REC_APPOINTMENT), c->body, c->len, &r) !=
	    0) {
		model_rec_clear(&r);
		return;
	}
	st = model_get(&r, REC_APPT_STATUS);
	slot = model_get(&r, REC_APPT_SLOT);
	pat = model_get(&r, REC_APPT_PATIENT);
	rep = model_get(&r, REC_APPT_REPLACES);
	at = model_get(&r, REC_APPT_CHECKIN_MS);
	by = model_get(&r, REC_APPT_CHECKIN_BY);
	why = model_get(&r, REC_APPT_CANCEL_REASON);
	if (st != NULL && st->text != NULL &&
	    strcmp(st->text, "proposed") == 0 && slot != NULL && pat != NULL &&
	    pat->text != NULL && uuid_parse(pat->text, &u) == 0) {
		memset(&b, 0, sizeof(b));
		memcpy(b.id, c->id, 16);
		memcpy(b.patient, u.b, 16);
		b.slot = slot->u;
		if (rep != NULL && rep->text != NULL &&
		    uuid_parse(rep->text, &u) == 0) {
			b.has_replaces = 1;
			memcpy(b.replaces, u.b, 16);
		}
		b.node = req->node.id;
		b.now_ms = server_now_ms();
		b.app_check = 1;
		if ((err = api_appt_gate_load(srv, &b, &gate)) == 0)
			err = srv->be->appt_book(srv->store, &b, &res);
		licence_set_clear(&gate.reg);
	} else if (st != NULL && st->text != NULL &&
	    strcmp(st->text, "cancelled") == 0) {
		err = srv->be->appt_cancel(srv->store, c->id, req->node.id,
		    why != NULL && why->text != NULL ? why->text : "",
		    server_now_ms());
		/* the freed slot goes to the waitlist, as a cancel request's */
		if (err == 0 &&
		    srv->be->appt_status(
		        srv->store, c->id, status, sizeof(status), &freed) == 0)
			api_appt_offer(req, freed);
	}
	if (at != NULL && at->u > 0 && by != NULL && by->text != NULL &&
	    (strcmp(by->text, "chw") == 0 || strcmp(by->text, "self") == 0))
		err = srv->be->appt_checkin(
		    srv->store, c->id, by->text, at->u, server_now_ms());
	if (err != 0 && err != EALREADY && err != ENOENT)
		log_warnx("node %llu: a pushed appointment was not acted on"
		          " (%s); its next request will be",
		    (unsigned long long)req->node.id, strerror(err));
	model_rec_clear(&r);
}

void
api_appt_pushed(struct request *req, const struct spush *p)
{
	size_t i;

	if (req->srv->be->appt_book == NULL)
		return;
	for (i = 0; i < p->n; i++)
		if (p->changes[i].entity == REC_APPOINTMENT &&
		    p->verdicts[i].code == 0)
			api_appt_pushed_one(req, &p->changes[i]);
}

const struct route api_appointments = {
	.method = "POST",
	.path = PROTO_PATH_APPOINTMENTS,
	.max_body = 512,
	.flags = ROUTE_SIGNED,
	.handler = api_appt_run,
};

const struct route api_slots = {
	.method = "POST",
	.path = PROTO_PATH_SLOTS,
	.max_body = 64,
	.flags = ROUTE_SIGNED,
	.handler = api_slots_run,
};
