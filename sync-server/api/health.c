/*
 * GET /v1/health: unsigned liveness answer {1: "ok", 2: version, 3: hlc}.
 * It touches no storage, so it measures the HTTP layer alone.
 */
#include "compat.h"
#include "cborx.h"
#include "sync-server/server.h"

static int
api_health_run(struct request *req)
{
	cbor_item_t *m = cborx_map(3);

	cborx_map_put(m, HEALTH_K_STATUS, cborx_text("ok"));
	cborx_map_put(m, HEALTH_K_VERSION, cborx_text(OUTPOST_VERSION));
	cborx_map_put(m, HEALTH_K_HLC, cborx_uint(server_hlc(req->srv, 0)));
	req_reply(req, m);
	return 0;
}

const struct route api_health = {
	.method = "GET",
	.path = PROTO_PATH_HEALTH,
	.max_body = 0,
	.flags = 0,
	.handler = api_health_run,
};
