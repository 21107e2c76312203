/*
 * POST /v1/consults/queue (issue 13; docs/PROTOCOL.md §9): the consult
 * queue of the node's region.  A hub gets every waiting or accepted
 * consult, ordered by urgency (highest first) then by how long it has
 * waited; a clinic gets its own facility's open consults, each with its
 * position among the region's waiting ones.  Both get the region's
 * expected wait: the median request-to-accept time of its last 20
 * accepted consults, by the server's clock (absent until one is
 * accepted).  It is an estimate from recent history, not a promise.
 * The request body is an empty map (signed like every node request).
 */
#define LOG_MODULE "api_consults"

#include <errno.h>
#include <string.h>

#include "cborx.h"
#include "log.h"
#include "sync-server/policy.h"
#include "sync-server/server.h"
#include "sync-server/wire.h"

static int
api_consults_run(struct request *req)
{
	struct server *srv = req->srv;
	struct squeue q;
	cbor_item_t *m, *arr, *it;
	int role = policy_role(req->node.role), err;
	size_t i;

	if (role != POLICY_HUB && role != POLICY_CLINIC) {
		req_error(req, WERR_FORBIDDEN,
		    "only clinic and hub nodes have a consult queue", -1);
		return 0;
	}
	if (srv->be->consult_queue == NULL ||
	    (err = srv->be->consult_queue(
	         srv->store, &req->node, role == POLICY_HUB, &q)) != 0) {
		req_error(req, WERR_INTERNAL, "storage failure", -1);
		return 0;
	}
	m = cborx_map(3);
	arr = cborx_array(q.n);
	for (i = 0; i < q.n; i++) {
		const struct sconsult_item *c = &q.items[i];

		it = cborx_map(8);
		cborx_map_put(it, QITEM_K_ID, cborx_bytes(c->id, 16));
		cborx_map_put(it, QITEM_K_STATE,
		    cborx_text(strcmp(c->state, "requested") == 0 ? "queued"
		                                                  : c->state));
		cborx_map_put(it, QITEM_K_URGENCY, cborx_uint(c->urgency));
		cborx_map_put(
		    it, QITEM_K_REQUESTED, cborx_uint(c->requested_ms));
		cborx_map_put(it, QITEM_K_FACILITY, cborx_text(c->facility));
		if (c->position > 0)
			cborx_map_put(
			    it, QITEM_K_POSITION, cborx_uint(c->position));
		if (c->accepted_node > 0)
			cborx_map_put(it, QITEM_K_ACCEPTED_BY,
			    cborx_uint(c->accepted_node));
		if (c->node > 0)
			cborx_map_put(it, QITEM_K_NODE, cborx_uint(c->node));
		cborx_array_push(arr, it);
	}
	cborx_map_put(m, QUEUE_K_ITEMS, arr);
	if (q.has_wait)
		cborx_map_put(m, QUEUE_K_WAIT_MS, cborx_uint(q.wait_ms));
	cborx_map_put(m, QUEUE_K_LENGTH, cborx_uint(q.waiting));
	squeue_clear(&q);
	req_reply(req, m);
	return 0;
}

const struct route api_consults = {
	.method = "POST",
	.path = PROTO_PATH_CONSULTS,
	.max_body = 64,
	.flags = ROUTE_SIGNED,
	.handler = api_consults_run,
};
