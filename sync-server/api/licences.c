/*
 * POST /v1/licences (issue 14; docs/PROTOCOL.md §10): the signed licence
 * snapshot of the node's region (sync-server/registry.c), for every role.
 * The kiosk asks for it with each pull (a companion, api/pull.c) and
 * takes it before the page's records, so a revocation arrives ahead of
 * other data, and verifies it with the server key it pinned at enrolment.
 * The request names the version the node holds (an empty map: none);
 * when it is the current one the answer carries no snapshot, so a kiosk
 * on a 2G link pays for the list only when it changed.
 */
#define LOG_MODULE "api_licences"

#include <errno.h>
#include <stdlib.h>

#include "cborx.h"
#include "log.h"
#include "sync-server/registry.h"
#include "sync-server/server.h"
#include "sync-server/wire.h"

static int
api_licences_run(struct request *req)
{
	uint8_t *env = NULL;
	uint64_t held = 0, version;
	size_t len;
	cbor_item_t *m, *it = NULL;
	int bad;

	bad = cborx_decode_items(req->body, req->len, 64, 8, &it) != 0 ||
	    !cbor_isa_map(it) ||
	    (cborx_map_get(it, LICREQ_K_HELD) != NULL &&
	        cborx_map_uint(it, LICREQ_K_HELD, &held) != 0);
	if (it != NULL)
		cbor_decref(&it);
	if (bad) {
		req_error(
		    req, WERR_BAD_REQUEST, "malformed licences request", -1);
		return 0;
	}
	if (registry_snapshot(req->srv, req->node.region, server_now_ms(), &env,
	        &len, &version) != 0) {
		req_error(req, WERR_INTERNAL, "storage failure", -1);
		return 0;
	}
	m = cborx_map(1);
	if (version != held)
		cborx_map_put(m, LICENCES_K_SNAPSHOT, cborx_bytes(env, len));
	free(env);
	req_reply(req, m);
	return 0;
}

const struct route api_licences = {
	.method = "POST",
	.path = PROTO_PATH_LICENCES,
	.max_body = 64,
	.flags = ROUTE_SIGNED,
	.handler = api_licences_run,
};
