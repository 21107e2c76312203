/*
 * POST /v1/pull: a page of the changes in the node's scope (policy.c:
 * its region for an admin node, its facility's patients and records for
 * the others; never its own changes) after an opaque cursor
 * (docs/PROTOCOL.md §5).
 * The backend guarantees the cursor never passes a change that commits
 * later with a lower position (§5.1).
 */
#define LOG_MODULE "api_pull"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "cborx.h"
#include "log.h"
#include "sync-server/policy.h"
#include "sync-server/server.h"
#include "sync-server/wire.h"

static int
api_pull_run(struct request *req)
{
	struct server *srv = req->srv;
	struct wire_pull w;
	struct spull_result res;
	cbor_item_t *m, *arr, *c;
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
	wire_pull_free(&w);
	if (err == ESTALE) {
		req_error(req, WERR_RESYNC, "cursor from another era", -1);
		return 0;
	}
	if (err == EINVAL) {
		req_error(req, WERR_BAD_REQUEST, "malformed cursor", -1);
		return 0;
	}
	if (err != 0) {
		req_error(req, WERR_INTERNAL, "storage failure", -1);
		return 0;
	}
	m = cborx_map(4);
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
	spull_result_clear(&res);
	req_reply(req, m);
	return 0;
}

const struct route api_pull = {
	.method = "POST",
	.path = PROTO_PATH_PULL,
	.max_body = 4096,
	.flags = ROUTE_SIGNED,
	.handler = api_pull_run,
};
