/*
 * POST /v1/waitlist (issue 15; docs/PROTOCOL.md §11.1): a clinic or hub
 * node lists a patient of its facility's scope on the waitlist (urgency
 * category, service, hard preferences; idempotent by the entry's uuid,
 * which the kiosk made), removes the entry, declines its offer, or asks
 * its status (with a live offer: the slot, its start and end, and when
 * the offer lapses).  A decline or removal moves the offer on at once
 * (wait_timer.c); the kiosk asks every active entry's status on each sync.
 * Refusals of the entry's state are results of a 200 answer, as
 * /v1/appointments' are; malformed requests get the error body.
 */
#define LOG_MODULE "api_waitlist"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cborx.h"
#include "log.h"
#include "protocol.h"
#include "str.h"
#include "sync-server/policy.h"
#include "sync-server/server.h"
#include "sync-server/wait_timer.h"
#include "sync-server/wire.h"
#include "sync-server/work/sched.h"

#define WAIT_ITEMS_MAX 24
#define WAIT_TEXT_MAX 48

static int
wl_id(const cbor_item_t *root, uint64_t key, uint8_t out[16])
{
	const uint8_t *p;
	size_t len;

	if (cborx_map_bytes(root, key, 16, &p, &len) != 0 || len != 16)
		return -1;
	memcpy(out, p, 16);
	return 0;
}

/* Optional text at KEY into OUT: 0, or -1 malformed or too long. */
static int
wl_text(const cbor_item_t *root, uint64_t key, char *out, size_t size)
{
	char *t = NULL;
	int rc = cborx_map_text(root, key, WAIT_TEXT_MAX, &t);

	out[0] = '\0';
	if (rc == ENOENT)
		return 0;
	if (rc != 0)
		return -1;
	str_lcpy(out, t, size);
	free(t);
	return 0;
}

static void
wl_answer(struct request *req, const uint8_t id[16], int result,
    const struct swait_state *st, uint64_t now)
{
	cbor_item_t *m = cborx_map(8), *o;
	const char *status;

	cborx_map_put(m, WAIT_K_ID, cborx_bytes(id, 16));
	cborx_map_put(m, WAIT_K_RESULT, cborx_uint((uint64_t)result));
	if (st != NULL) {
		/* a lapsed offer not yet swept: the entry waits again */
		status = st->status;
		if (strcmp(status, "offered") == 0 &&
		    (st->offer.slot == 0 || st->offer.expires_ms <= now))
			status = "waiting";
		cborx_map_put(m, WAIT_K_STATUS, cborx_text(status));
		cborx_map_put(
		    m, WAIT_K_URGENCY, cborx_uint((uint64_t)st->w.urgency));
		cborx_map_put(m, WAIT_K_LISTED, cborx_uint(st->w.listed_ms));
		cborx_map_put(
		    m, WAIT_K_RECOMMENDED, cborx_uint(st->w.recommended_ms));
		cborx_map_put(m, WAIT_K_OFFERS, cborx_uint(st->offers));
		if (strcmp(status, "offered") == 0) {
			o = cborx_map(4);
			cborx_map_put(o, SLOT_K_ID, cborx_uint(st->offer.slot));
			cborx_map_put(
			    o, SLOT_K_START, cborx_uint(st->start_ms));
			cborx_map_put(o, SLOT_K_END, cborx_uint(st->end_ms));
			cborx_map_put(o, OFFER_K_EXPIRES,
			    cborx_uint(st->offer.expires_ms));
			cborx_map_put(m, WAIT_K_OFFER, o);
		}
	}
	req_reply(req, m);
}

/* Is PATIENT in the scope of the asking node's facility?  0 yes; else
 * the error is sent. */
static int
wl_scope(struct request *req, const uint8_t patient[16])
{
	struct server *srv = req->srv;
	int yes = 0;

	if (srv->be->patient_in_scope(srv->store, req->node.region,
	        req->node.facility, patient, &yes) != 0) {
		req_error(req, WERR_INTERNAL, "storage failure", -1);
		return -1;
	}
	if (!yes) {
		req_error(req, WERR_FORBIDDEN,
		    "this patient was never registered or seen at your"
		    " facility",
		    -1);
		return -1;
	}
	return 0;
}

static void
wl_add(struct request *req, const cbor_item_t *root, const uint8_t id[16])
{
	struct server *srv = req->srv;
	struct swait w;
	struct swait_state st;
	uint64_t urgency = 0, now = server_now_ms();
	int err;

	memset(&w, 0, sizeof(w));
	memcpy(w.id, id, 16);
	if (wl_id(root, WAITREQ_K_PATIENT, w.patient) != 0 ||
	    cborx_map_uint(root, WAITREQ_K_URGENCY, &urgency) != 0 ||
	    sched_wl_recommended_ms((int)(urgency > 9 ? 0 : urgency)) == 0 ||
	    wl_text(root, WAITREQ_K_SERVICE, w.service, sizeof(w.service)) !=
	        0 ||
	    w.service[0] == '\0' ||
	    wl_text(root, WAITREQ_K_LANG, w.lang, sizeof(w.lang)) != 0 ||
	    wl_text(root, WAITREQ_K_MODALITY, w.modality, sizeof(w.modality)) !=
	        0 ||
	    wl_text(root, WAITREQ_K_CLINICIAN, w.clinician,
	        sizeof(w.clinician)) != 0) {
		req_error(req, WERR_BAD_REQUEST,
		    "an entry needs a 16-byte patient id, an urgency category"
		    " 1-3 and a service",
		    -1);
		return;
	}
	if (wl_scope(req, w.patient) != 0)
		return;
	w.urgency = (int)urgency;
	w.listed_ms = now;
	w.recommended_ms = (uint64_t)sched_wl_recommended_ms(w.urgency);
	str_lcpy(w.region, req->node.region, sizeof(w.region));
	if ((err = srv->be->wait_add(srv->store, &w)) != 0 ||
	    (err = srv->be->wait_get(srv->store, id, &st)) != 0) {
		req_error(req, WERR_INTERNAL, "storage failure", -1);
		return;
	}
	/* idempotent: the same id again is the stored entry, unless it
	 * names another patient or service */
	if (memcmp(st.w.patient, w.patient, 16) != 0 ||
	    strcmp(st.w.service, w.service) != 0 ||
	    strcmp(st.w.region, w.region) != 0) {
		req_error(req, WERR_CONFLICT,
		    "this entry id was used for another patient or service",
		    -1);
		return;
	}
	log_info("node %llu: waitlist entry listed",
	    (unsigned long long)req->node.id);
	wl_answer(req, id, 0, &st, now);
}

static int
wl_run(struct request *req)
{
	struct server *srv = req->srv;
	cbor_item_t *root = NULL;
	struct swait_state st;
	uint8_t id[16];
	uint64_t slot = 0, now = server_now_ms();
	char op[16];
	int role = policy_role(req->node.role), err, result = 0;

	if (role != POLICY_HUB && role != POLICY_CLINIC) {
		req_error(req, WERR_FORBIDDEN,
		    "only clinic and hub nodes keep a waitlist", -1);
		return 0;
	}
	if (srv->be->wait_get == NULL) {
		req_error(
		    req, WERR_UNAVAILABLE, "no waitlist in this store", -1);
		return 0;
	}
	if (!wire_plain(req->body, req->len) ||
	    cborx_decode_items(
	        req->body, req->len, req->len, WAIT_ITEMS_MAX, &root) != 0 ||
	    !cbor_isa_map(root)) {
		req_error(req, WERR_BAD_REQUEST, "not a CBOR map", -1);
		goto out;
	}
	if (wl_id(root, WAITREQ_K_ID, id) != 0 ||
	    wl_text(root, WAITREQ_K_OP, op, sizeof(op)) != 0) {
		req_error(req, WERR_BAD_REQUEST,
		    "no 16-byte entry id or no operation", -1);
		goto out;
	}
	if (strcmp(op, "add") == 0) {
		wl_add(req, root, id);
		goto out;
	}
	if (strcmp(op, "remove") != 0 && strcmp(op, "decline") != 0 &&
	    strcmp(op, "status") != 0) {
		req_error(req, WERR_BAD_REQUEST,
		    "the operation is add, remove, decline or status", -1);
		goto out;
	}
	err = srv->be->wait_get(srv->store, id, &st);
	if (err == ENOENT ||
	    (err == 0 && strcmp(st.w.region, req->node.region) != 0)) {
		wl_answer(req, id, WERR_WAIT_UNKNOWN, NULL, now);
		goto out;
	}
	if (err != 0) {
		req_error(req, WERR_INTERNAL, "storage failure", -1);
		goto out;
	}
	if (wl_scope(req, st.w.patient) != 0)
		goto out;
	if (strcmp(op, "remove") == 0) {
		err = srv->be->wait_remove(srv->store, id, now, &slot);
		if (err == EALREADY)
			result = WERR_WAIT_STATE;
		else if (err != 0) {
			req_error(req, WERR_INTERNAL, "storage failure", -1);
			goto out;
		} else if (slot != 0)
			(void)waitlist_offer(srv, slot, st.start_ms, now);
	} else if (strcmp(op, "decline") == 0) {
		if (cborx_map_uint(root, WAITREQ_K_SLOT, &slot) != 0 ||
		    slot == 0) {
			req_error(req, WERR_BAD_REQUEST,
			    "a decline names the offered slot", -1);
			goto out;
		}
		err = srv->be->wait_decline(srv->store, slot, id, now);
		if (err == ENOENT)
			result = WERR_WAIT_STATE; /* no such live offer */
		else if (err != 0) {
			req_error(req, WERR_INTERNAL, "storage failure", -1);
			goto out;
		} else
			(void)waitlist_offer(srv, slot, st.start_ms, now);
	}
	if (srv->be->wait_get(srv->store, id, &st) != 0) {
		req_error(req, WERR_INTERNAL, "storage failure", -1);
		goto out;
	}
	wl_answer(req, id, result, &st, now);
out:
	if (root != NULL)
		cbor_decref(&root);
	return 0;
}

const struct route api_waitlist = {
	.method = "POST",
	.path = PROTO_PATH_WAITLIST,
	.max_body = 512,
	.flags = ROUTE_SIGNED,
	.handler = wl_run,
};
