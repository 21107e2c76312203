/*
 * POST /v1/breakglass (issue 17; docs/PROTOCOL.md §15): a user of a
 * clinic or hub node opens a patient outside the facility's scope, with a
 * written reason.  The server records who (node, facility, the user's id
 * on the node), which patient, why and when, alerts it, and puts the
 * patient in the facility's scope: the node's next pull back-fills the
 * patient's history as a visit at a second facility would (§5.3).
 * Listed by `sync-server admin breakglass`.  The reason is free text and
 * may name the patient: it is stored, never logged.
 */
#define LOG_MODULE "api_breakglass"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cborx.h"
#include "log.h"
#include "str.h"
#include "sync-server/server.h"

/* Characters of REASON that are not blanks. */
static size_t
bg_letters(const char *reason)
{
	size_t n = 0;

	for (; *reason != '\0'; reason++)
		if (*reason != ' ' && *reason != '\t' && *reason != '\n' &&
		    *reason != '\r')
			n++;
	return n;
}

static int
api_breakglass_run(struct request *req)
{
	struct server *srv = req->srv;
	struct sbreakglass b;
	cbor_item_t *it = NULL, *m;
	const uint8_t *p;
	char *reason = NULL, *user = NULL, detail[128];
	size_t len;
	int err;

	memset(&b, 0, sizeof(b));
	if (cborx_decode_items(req->body, req->len, req->len, 16, &it) != 0 ||
	    !cbor_isa_map(it) ||
	    cborx_map_bytes(it, BREAKGLASS_K_PATIENT, 16, &p, &len) != 0 ||
	    len != 16 ||
	    cborx_map_text(it, BREAKGLASS_K_USER, SSTORE_TEXT_MAX - 1, &user) !=
	        0 ||
	    (cborx_map_get(it, BREAKGLASS_K_REASON) != NULL &&
	        cborx_map_text(it, BREAKGLASS_K_REASON,
	            SBREAKGLASS_REASON_MAX - 1, &reason) != 0)) {
		req_error(
		    req, WERR_BAD_REQUEST, "malformed break-glass request", -1);
		goto out;
	}
	memcpy(b.patient, p, 16);
	if (reason == NULL || bg_letters(reason) < BREAKGLASS_REASON_MIN) {
		req_error(req, WERR_BREAKGLASS_REASON,
		    "a break-glass access needs a written reason (at least "
		    "10 letters)",
		    -1);
		goto out;
	}
	if (strcmp(req->node.role, "clinic") != 0 &&
	    strcmp(req->node.role, "hub") != 0) {
		req_error(req, WERR_BREAKGLASS_SCOPE,
		    "only clinic and hub nodes open patients outside their "
		    "scope (an admin node has its region already)",
		    -1);
		goto out;
	}
	b.node = req->node.id;
	str_lcpy(b.region, req->node.region, sizeof(b.region));
	str_lcpy(b.facility, req->node.facility, sizeof(b.facility));
	str_lcpy(b.user, user, sizeof(b.user));
	str_lcpy(b.reason, reason, sizeof(b.reason));
	b.at_ms = server_now_ms();
	if ((err = srv->be->breakglass_add(srv->store, &b)) == ENOENT) {
		req_error(req, WERR_BREAKGLASS_SCOPE,
		    "the region holds no such patient", -1);
		goto out;
	}
	if (err != 0) {
		req_error(req, WERR_INTERNAL, "storage failure", -1);
		goto out;
	}
	snprintf(
	    detail, sizeof(detail), "break-glass at facility %s", b.facility);
	if (srv->be->alert(srv->store, b.node, "breakglass", detail, b.at_ms) !=
	    0)
		log_warnx("a break-glass alert was not stored");
	log_info("node %llu: break-glass access recorded",
	    (unsigned long long)b.node);
	m = cborx_map(1);
	cborx_map_put(m, BREAKGLASS_K_PATIENT, cborx_bytes(b.patient, 16));
	req_reply(req, m);
out:
	if (it != NULL)
		cbor_decref(&it);
	free(reason);
	free(user);
	return 0;
}

const struct route api_breakglass = {
	.method = "POST",
	.path = PROTO_PATH_BREAKGLASS,
	.max_body = 4096,
	.flags = ROUTE_SIGNED,
	.handler = api_breakglass_run,
};
