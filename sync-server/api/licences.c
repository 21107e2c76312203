/*
 * POST /v1/licences (issue 14; docs/PROTOCOL.md §10): the signed licence
 * snapshot of the node's region (sync-server/registry.c), for every role.
 * The kiosk fetches it before each pull, so a revocation arrives ahead of
 * other data, and verifies it with the server key it pinned at enrolment.
 * The request body is an empty map (signed like every node request).
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
	size_t len;
	cbor_item_t *m;

	if (registry_snapshot(
	        req->srv, req->node.region, server_now_ms(), &env, &len) != 0) {
		req_error(req, WERR_INTERNAL, "storage failure", -1);
		return 0;
	}
	m = cborx_map(1);
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
