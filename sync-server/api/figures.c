/*
 * POST /v1/admin/figures (issue 17; docs/PROTOCOL.md §12): the figures of
 * the node's region (sync-server/report/compute.c), for the admin node's
 * dashboard, which keeps the last answer to show offline.  Admin nodes
 * only (policy_admin_query: WERR_NOT_ADMIN, 403): the figures cover every
 * facility of the region.  The region is the node's own, from its enrolment, never from
 * the request, whose body is an empty map (signed like every node
 * request).  WERR_FIGURES (503) when the store cannot give them.  The
 * answer holds counts and intervals only.
 */
#define LOG_MODULE "api_figures"

#include <errno.h>
#include <string.h>

#include "clock.h"
#include "figures.h"
#include "log.h"
#include "sync-server/policy.h"
#include "sync-server/report/compute.h"
#include "sync-server/server.h"

static int
api_figures_run(struct request *req)
{
	struct server *srv = req->srv;
	struct figures f;
	int err;

	if ((err = policy_admin_query(&req->node, NULL)) != 0) {
		req_error(req, (enum wire_err)err,
		    "the region's figures are for admin nodes only", -1);
		return 0;
	}
	if ((err = figures_compute(srv->be, srv->store, req->node.region,
	         clock_wall_ms(), &f)) != 0) {
		log_warnx("figures of node %llu's region: %s",
		    (unsigned long long)req->node.id, strerror(err));
		figures_clear(&f);
		req_error(req, WERR_FIGURES,
		    "the figures cannot be computed now: retry later", -1);
		return 0;
	}
	req_reply(req, figures_cbor_item(&f));
	figures_clear(&f);
	return 0;
}

const struct route api_figures = {
	.method = "POST",
	.path = PROTO_PATH_ADMIN_FIGURES,
	.max_body = 64,
	.flags = ROUTE_SIGNED,
	.handler = api_figures_run,
};
