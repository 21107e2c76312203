/*
 * POST /v1/enroll: a node trades a one-time token made by
 * `sync-server admin enroll-token` for a node id, registering its Ed25519
 * public key; it learns the server key (pinned from then on), its role,
 * region and facility, and the sync settings (docs/PROTOCOL.md §3.1).
 * Only the token's SHA-256 is stored; the token itself is never logged.
 */
#define LOG_MODULE "api_enroll"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "cborx.h"
#include "crypto.h"
#include "log.h"
#include "sync-server/server.h"
#include "sync-server/sipcred.h"
#include "sync-server/wire.h"

static int
api_enroll_run(struct request *req)
{
	struct server *srv = req->srv;
	struct wire_enroll w;
	struct snode node;
	cbor_item_t *m, *set;
	uint8_t hash[CRYPTO_SHA256_LEN];
	int err;

	if (wire_enroll_decode(req->body, req->len, &w) != 0) {
		req_error(req, WERR_BAD_REQUEST, "malformed enrolment", -1);
		return 0;
	}
	crypto_sha256(w.token, strlen(w.token), hash);
	err = srv->be->enroll(
	    srv->store, hash, w.pub, w.label, server_now_ms(), &node);
	wire_enroll_free(&w);
	if (err == ENOENT || err == EACCES || err == EEXIST) {
		log_info("enrolment refused (%s)", strerror(err));
		req_error(req, WERR_BAD_TOKEN,
		    err == EEXIST ? "key already enrolled"
		                  : "token unknown, used or expired",
		    -1);
		return 0;
	}
	if (err != 0) {
		req_error(req, WERR_INTERNAL, "storage failure", -1);
		return 0;
	}
	/* Only now, the token good, may the node's clock move ours (and
	 * only within the drift bound, which server_hlc keeps). */
	if (w.hlc != 0)
		server_hlc(srv, w.hlc);
	log_info("node %" PRIu64 " enrolled (role %s, region %s)", node.id,
	    node.role, node.region);
	m = cborx_map(8);
	cborx_map_put(m, ENROLLED_K_NODE, cborx_uint(node.id));
	cborx_map_put(m, ENROLLED_K_SERVER_PUB, cborx_bytes(srv->pub, 32));
	cborx_map_put(m, ENROLLED_K_REGION, cborx_text(node.region));
	cborx_map_put(m, ENROLLED_K_FACILITY, cborx_text(node.facility));
	cborx_map_put(m, ENROLLED_K_ROLE, cborx_text(node.role));
	cborx_map_put(m, ENROLLED_K_HLC, cborx_uint(server_hlc(srv, 0)));
	set = cborx_map(3);
	cborx_map_put(
	    set, SETTINGS_K_PUSH_BYTES, cborx_uint(srv->push_max_bytes));
	cborx_map_put(
	    set, SETTINGS_K_PUSH_CHANGES, cborx_uint(srv->push_max_changes));
	cborx_map_put(set, SETTINGS_K_PULL_PAGE, cborx_uint(srv->pull_max));
	cborx_map_put(m, ENROLLED_K_SETTINGS, set);
	/* SIP credentials when the region runs Kamailio (sipcred.h): the
	 * password goes out once, only its HA1 stays.  A table that cannot
	 * be written leaves the node enrolled without SIP (logged). */
	{
		struct sipcred c;

		if (sipcred_issue(srv->data_dir, node.id, &c) == 0) {
			cbor_item_t *sip = cborx_map(4);

			cborx_map_put(sip, SIP_K_USER, cborx_text(c.user));
			cborx_map_put(
			    sip, SIP_K_PASSWORD, cborx_text(c.password));
			cborx_map_put(
			    sip, SIP_K_REGISTRAR, cborx_text(c.registrar));
			if (c.turn[0] != '\0')
				cborx_map_put(
				    sip, SIP_K_TURN, cborx_text(c.turn));
			cborx_map_put(m, ENROLLED_K_SIP, sip);
			explicit_bzero(&c, sizeof(c));
		}
	}
	req_reply(req, m);
	return 0;
}

const struct route api_enroll = {
	.method = "POST",
	.path = PROTO_PATH_ENROLL,
	.max_body = 4096,
	.flags = 0,
	.handler = api_enroll_run,
};
