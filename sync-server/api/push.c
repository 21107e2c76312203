/*
 * POST /v1/push: store one outbox batch of a node, exactly once
 * (docs/PROTOCOL.md §4).  The store applies the batch in one transaction
 * and keeps the response bytes with the batch key; the answer is sent only
 * after the commit, and a re-sent batch gets the same bytes back.  A
 * conflicting re-send is refused and recorded as an alert.
 *
 * Each change is checked against the record model and the authorisation
 * table (policy.c) and refused on its own (§4.1): the batch is still
 * acknowledged, so one bad change never holds back the node's outbox, and
 * the answer lists what was refused and why.
 */
#define LOG_MODULE "api_push"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cborx.h"
#include "log.h"
#include "sync-server/api/appointments.h"
#include "sync-server/emergency.h"
#include "sync-server/claim_build.h"
#include "sync-server/policy.h"
#include "sync-server/registry.h"
#include "sync-server/server.h"
#include "sync-server/wire.h"
#include "xmalloc.h"

static int
api_push_encode(const struct spush *p, uint64_t hw, uint64_t accepted,
    uint64_t dups, uint8_t **out, size_t *len, void *arg)
{
	struct server *srv = arg;
	cbor_item_t *m = cborx_map(5), *arr, *r;
	size_t i, n = 0;
	int err;

	cborx_map_put(m, PUSHED_K_HW, cborx_uint(hw));
	cborx_map_put(m, PUSHED_K_ACCEPTED, cborx_uint(accepted));
	cborx_map_put(m, PUSHED_K_DUPS, cborx_uint(dups));
	cborx_map_put(m, PUSHED_K_HLC, cborx_uint(server_hlc(srv, 0)));
	for (i = 0; i < p->n; i++)
		n += p->verdicts[i].code != 0;
	if (n > 0) {
		arr = cborx_array(n);
		for (i = 0; i < p->n; i++) {
			if (p->verdicts[i].code == 0)
				continue;
			r = cborx_array(PUSHED_R_COUNT);
			cborx_array_push(r, cborx_uint(p->changes[i].seq));
			cborx_array_push(
			    r, cborx_uint((uint64_t)p->verdicts[i].code));
			cborx_array_push(r, cborx_text(p->verdicts[i].why));
			cborx_array_push(arr, r);
		}
		cborx_map_put(m, PUSHED_K_REFUSED, arr);
	}
	err = cborx_encode(m, out, len);
	cbor_decref(&m);
	return err;
}

/* Accepted emergency changes upserted into the incident table
 * (sync-server/emergency.c), as the fast path does. */
static void
api_push_emergencies(struct server *srv, const struct spush *p)
{
	int *ok = xcalloc(p->n ? p->n : 1, sizeof(*ok));
	size_t i;

	for (i = 0; i < p->n; i++)
		ok[i] = p->verdicts[i].code == 0;
	emergency_pushed(srv, p->node, p->changes, ok, p->n);
	free(ok);
}

/* Log and alert what was refused: sequence numbers, codes and reasons
 * that name fields, never their values. */
static void
api_push_refusals(struct server *srv, const struct spush *p)
{
	char detail[160];
	size_t i, n = 0, first = 0;

	for (i = 0; i < p->n; i++)
		if (p->verdicts[i].code != 0 && n++ == 0)
			first = i;
	if (n == 0)
		return;
	snprintf(detail, sizeof(detail),
	    "%zu change(s) refused; seq %" PRIu64 ": %s", n,
	    p->changes[first].seq, p->verdicts[first].why);
	log_warnx("node %" PRIu64 ": %s", p->node, detail);
	srv->be->alert(srv->store, p->node,
	    p->verdicts[first].code == WERR_FORBIDDEN ? "push-forbidden"
	                                              : "push-invalid",
	    detail, p->now_ms);
}

/*
 * The claim builder (issue 15) on a push, new or replayed: a replay runs
 * it again, so a server killed after the commit and before the builder
 * finishes when the node sends the unanswered batch again (and a builder
 * that failed answers busy, so the node sends it again too).  Which changes
 * were refused comes from the verdicts, or for a replay from the stored
 * answer (the verdicts of a replay are not judged again).
 */
static int
api_push_claims(
    struct request *req, const struct spush *p, const struct spush_result *res)
{
	struct claim_ctx c = { req->srv->be, req->srv->store, p->now_ms };
	cbor_item_t *root = NULL, *arr, *r;
	uint64_t seq;
	size_t i, j;
	int *refused, err;

	if (req->srv->be->claim_ev_put == NULL)
		return 0;
	refused = xcalloc(p->n ? p->n : 1, sizeof(*refused));
	for (i = 0; i < p->n; i++)
		refused[i] = p->verdicts[i].code != 0;
	if (res->replay) {
		if (cborx_decode(res->response, res->response_len,
		        res->response_len, &root) != 0) {
			free(refused);
			return 0;
		}
		arr = cborx_map_get(root, PUSHED_K_REFUSED);
		for (j = 0; arr != NULL && cbor_isa_array(arr) &&
		     j < cbor_array_size(arr);
		     j++) {
			r = cbor_array_handle(arr)[j];
			if (!cbor_isa_array(r) || cbor_array_size(r) == 0 ||
			    cborx_get_uint(
			        cbor_array_handle(r)[PUSHED_R_SEQ], &seq) != 0)
				continue;
			for (i = 0; i < p->n; i++)
				if (p->changes[i].seq == seq)
					refused[i] = 1;
		}
		cbor_decref(&root);
	}
	if ((err = claim_pushed(&c, &req->node, p->changes, p->n, refused)) !=
	    0)
		log_warnx("node %" PRIu64 ": claim evidence not kept (%s);"
		          " answered busy, the node sends the batch again",
		    p->node, strerror(err));
	free(refused);
	return err;
}

static int
api_push_run(struct request *req)
{
	struct server *srv = req->srv;
	struct wire_push w;
	struct spush p;
	struct spush_result res;
	struct sverdict *verdicts;
	char detail[96];
	size_t i;
	int err;

	if ((err = wire_push_decode(req->body, req->len, &w)) != 0) {
		if (err == EMSGSIZE)
			req_error(req, WERR_TOO_LARGE, "too many changes", -1);
		else
			req_error(req, WERR_BAD_REQUEST, "malformed batch", -1);
		return 0;
	}
	if (w.n > srv->push_max_changes) {
		wire_push_free(&w);
		req_error(req, WERR_TOO_LARGE, "too many changes", -1);
		return 0;
	}
	for (i = 0; i < w.n; i++)
		if (server_hlc_ahead(srv, w.changes[i].hlc))
			break;
	if (i < w.n) {
		/* One change from the future would win every merge and drag
		 * every clock of the region after it: refuse the batch. */
		snprintf(detail, sizeof(detail),
		    "change %" PRIu64 " stamped beyond the drift bound",
		    w.changes[i].seq);
		log_warnx("node %" PRIu64 ": %s", req->node.id, detail);
		srv->be->alert(srv->store, req->node.id, "hlc-ahead", detail,
		    server_now_ms());
		wire_push_free(&w);
		req_error(req, WERR_CLOCK_AHEAD,
		    "change clock too far ahead of server time",
		    (long long)server_hlc(srv, 0));
		return 0;
	}
	verdicts = xcalloc(w.n ? w.n : 1, sizeof(*verdicts));
	for (i = 0; i < w.n; i++)
		policy_read(&w.changes[i], &verdicts[i]);
	registry_recheck(
	    srv, &req->node, w.changes, w.n, verdicts, server_now_ms());
	memset(&p, 0, sizeof(p));
	p.verdicts = verdicts;
	p.authorize_cb = policy_authorize;
	p.node = req->node.id;
	p.first = w.first;
	p.last = w.last;
	p.outbox_last = w.outbox_last;
	p.req_seq = req->seq;
	p.changes = w.changes;
	p.n = w.n;
	p.now_ms = server_now_ms();
	p.encode_cb = api_push_encode;
	p.arg = srv;
	wire_push_hash(&w, p.hash);
	err = srv->be->push(srv->store, &p, &res);
	if (err == 0 && !res.replay)
		api_push_refusals(srv, &p);
	if (err == 0 && !res.replay)
		api_appt_pushed(req, &p); /* appointments.c, issue 15 */
	if (err == 0 && !res.replay) /* issue 16: the incident table */
		api_push_emergencies(srv, &p);
	if (err == 0 && api_push_claims(req, &p, &res) != 0) {
		/* claim_build.c, issue 15: the batch is stored, its evidence
		 * not; a busy answer brings it again (a replay), and the
		 * builder runs on the replay */
		free(res.response);
		wire_push_free(&w);
		free(verdicts);
		req_error(req, WERR_UNAVAILABLE, "store busy", -1);
		return 0;
	}
	wire_push_free(&w);
	free(verdicts);
	if (err == 0) {
		free(req->resp);
		req->resp = res.response;
		req->resp_len = res.response_len;
		req->status = 200;
		log_debug("node %" PRIu64 ": batch %" PRIu64 "-%" PRIu64
		          "%s, hw %" PRIu64,
		    p.node, p.first, p.last, res.replay ? " (replay)" : "",
		    res.hw);
		return 0;
	}
	switch (err) {
	case EEXIST:
		snprintf(detail, sizeof(detail),
		    "batch %" PRIu64 "-%" PRIu64 " conflicts", p.first, p.last);
		log_warnx("node %" PRIu64 ": %s", p.node, detail);
		srv->be->alert(srv->store, p.node, "push-conflict", detail,
		    server_now_ms());
		req_error(req, WERR_CONFLICT,
		    "batch key or sequence holds different content", -1);
		return 0;
	case EALREADY:
		req_error(req, WERR_STALE_REQUEST,
		    "request sequence already used", (long long)res.last_seq);
		return 0;
	case ERANGE:
		req_error(req, WERR_GAP,
		    "batch starts after the high-water mark",
		    (long long)res.hw);
		return 0;
	case EBUSY:
		req_error(req, WERR_UNAVAILABLE, "store busy", -1);
		return 0;
	default:
		req_error(req, WERR_INTERNAL, "storage failure", -1);
		return 0;
	}
}

const struct route api_push = {
	.method = "POST",
	.path = PROTO_PATH_PUSH,
	.max_body = 1024 * 1024,
	.flags = ROUTE_SIGNED | ROUTE_SEQ_IN_STORE,
	.handler = api_push_run,
};
