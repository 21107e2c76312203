/*
 * POST /v1/pull: a page of the changes in the node's scope (policy.c:
 * its region for an admin node, its facility's patients and records for
 * the others; never its own changes) after an opaque cursor
 * (docs/PROTOCOL.md §5).
 * The backend guarantees the cursor never passes a change that commits
 * later with a lower position (§5.1).
 *
 * The request may carry the pull's companions (§5.4): the bodies the node
 * would otherwise POST to /v1/licences, /v1/roster, /v1/consults/queue and
 * /v1/audit after its pushes.  Once the page is read, each runs through
 * its own route's handler, with this request's node, and its status and
 * answer ride in this answer: on 2G a request costs more than its bytes.
 */
#define LOG_MODULE "api_pull"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cborx.h"
#include "compat.h"
#include "log.h"
#include "sync-server/policy.h"
#include "sync-server/server.h"
#include "sync-server/wire.h"

extern const struct route api_licences, api_roster, api_consults, api_audit;

static const struct {
	uint64_t key;
	const struct route *route;
} pull_also[] = {
	{ PULLALSO_K_LICENCES, &api_licences },
	{ PULLALSO_K_ROSTER, &api_roster },
	{ PULLALSO_K_QUEUE, &api_consults },
	{ PULLALSO_K_AUDIT, &api_audit },
};

/* Each companion ALSO names (unknown keys are skipped, for later ones),
 * answered as its route answers it: [status, body]. */
static cbor_item_t *
pull_also_run(struct request *req, cbor_item_t *also)
{
	const struct route *r;
	struct request sub;
	cbor_item_t *out, *v, *pair;
	const uint8_t *b;
	size_t i, blen, n = 0;
	int err;

	for (i = 0; i < nitems(pull_also); i++)
		if (cborx_map_get(also, pull_also[i].key) != NULL)
			n++;
	out = cborx_map(n);
	for (i = 0; i < nitems(pull_also); i++) {
		if ((v = cborx_map_get(also, pull_also[i].key)) == NULL)
			continue;
		r = pull_also[i].route;
		sub = *req;
		sub.path = r->path;
		sub.status = 0;
		sub.err = 0;
		sub.resp = NULL;
		sub.resp_len = 0;
		/* (a route that takes the request sequence in its own
		 * store transaction could not be one: this pull took it) */
		if ((r->flags & ROUTE_SEQ_IN_STORE) ||
		    cborx_get_bytes(v, PULL_ALSO_MAX, &b, &blen) != 0)
			req_error(
			    &sub, WERR_BAD_REQUEST, "malformed companion", -1);
		else if (blen > r->max_body)
			req_error(&sub, WERR_TOO_LARGE, "body too large", -1);
		else {
			sub.body = blen ? b : (const uint8_t *)"";
			sub.len = blen;
			if ((err = r->handler(&sub)) != 0 || sub.status == 0) {
				log_warnx("%s in a pull: %s", sub.path,
				    strerror(err ? err : EIO));
				req_error(
				    &sub, WERR_INTERNAL, "internal error", -1);
			} else if (sub.resp_len > PULL_ALSO_MAX)
				/* a large licence list: the node asks the
				 * route itself, and the page stays small */
				req_error(&sub, WERR_TOO_LARGE,
				    "answer too large for a pull", -1);
		}
		pair = cborx_array(2);
		cborx_array_push(pair, cborx_uint(sub.status));
		cborx_array_push(pair, cborx_bytes(sub.resp, sub.resp_len));
		cborx_map_put(out, pull_also[i].key, pair);
		free(sub.resp);
	}
	return out;
}

static int
api_pull_run(struct request *req)
{
	struct server *srv = req->srv;
	struct wire_pull w;
	struct spull_result res;
	cbor_item_t *m, *arr, *c, *also;
	size_t i;
	int err;

	if (wire_pull_decode(req->body, req->len, &w) != 0) {
		req_error(req, WERR_BAD_REQUEST, "malformed pull", -1);
		return 0;
	}
	if (w.cursor_len > 0 && !wire_plain(w.cursor, w.cursor_len)) {
		wire_pull_free(&w);
		req_error(req, WERR_BAD_REQUEST, "malformed cursor", -1);
		return 0;
	}
	log_debug("node %" PRIu64 ": pull of up to %" PRIu64 " asked",
	    req->node.id, w.max);
	if (w.max > srv->pull_max)
		w.max = srv->pull_max;
	err =
	    srv->be->pull(srv->store, &req->node, policy_pull_scope(&req->node),
	        w.cursor, w.cursor_len, w.max, server_now_ms(), &res);
	if (err == ESTALE) {
		wire_pull_free(&w);
		req_error(req, WERR_RESYNC, "cursor from another era", -1);
		return 0;
	}
	if (err == EINVAL) {
		wire_pull_free(&w);
		req_error(req, WERR_BAD_REQUEST, "malformed cursor", -1);
		return 0;
	}
	if (err != 0) {
		wire_pull_free(&w);
		req_error(req, WERR_INTERNAL, "storage failure", -1);
		return 0;
	}
	/* only with the page: a refused pull is sent again whole */
	also = w.also != NULL ? pull_also_run(req, w.also) : NULL;
	wire_pull_free(&w);
	m = cborx_map(also != NULL ? 5 : 4);
	arr = cborx_array(res.n);
	for (i = 0; i < res.n; i++) {
		c = cborx_array(PULL_C_COUNT);
		cborx_array_push(
		    c, cborx_uint((uint64_t)res.changes[i].entity));
		cborx_array_push(c, cborx_bytes(res.changes[i].id, 16));
		cborx_array_push(c, cborx_uint(res.changes[i].hlc));
		cborx_array_push(
		    c, cborx_bytes(res.changes[i].body, res.changes[i].len));
		cborx_array_push(c, cborx_uint(res.changes[i].origin));
		cborx_array_push(arr, c);
	}
	cborx_map_put(m, PULLED_K_CHANGES, arr);
	cborx_map_put(
	    m, PULLED_K_CURSOR, cborx_bytes(res.cursor, res.cursor_len));
	cborx_map_put(m, PULLED_K_MORE, cborx_bool(res.more));
	cborx_map_put(m, PULLED_K_HLC, cborx_uint(server_hlc(req->srv, 0)));
	if (also != NULL)
		cborx_map_put(m, PULLED_K_ALSO, also);
	spull_result_clear(&res);
	req_reply(req, m);
	return 0;
}

const struct route api_pull = {
	.method = "POST",
	.path = PROTO_PATH_PULL,
	.max_body = 4096 + PULL_ALSO_MAX,
	.flags = ROUTE_SIGNED,
	.handler = api_pull_run,
};
