/*
 * POST /v1/audit (issue 17; docs/PROTOCOL.md §14): the node's audit
 * chain anchored on the server.  The node sends the entries written since
 * the server's anchor for it, each as the exact CBOR its hash covers
 * (kiosk/store/store.c: the entry's fields and the previous entry's
 * hash); the server recomputes every hash from its stored anchor: the
 * first entry must carry the anchor's hash as its previous one, each next
 * entry its predecessor's.  When they do, the newest entry becomes the
 * anchor.  When they do not, the node's history was rewritten after the
 * anchor: a break is stored and alerted, and the anchor stays where it
 * was (every later request from that node is a break too, until an
 * administrator looks).  Nothing else is refused: pushes and pulls go on.
 *
 * It learns nothing but the entries' fields (actions, record and user
 * ids, details without patient data) and keeps only the anchors.
 */
#define LOG_MODULE "api_audit"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cborx.h"
#include "crypto.h"
#include "log.h"
#include "sync-server/server.h"

#define AUDIT_ENTRY_MAX 8192 /* bytes of one entry's CBOR */

/* Entry BUF's seq and previous hash. */
static int
audit_entry(const uint8_t *buf, size_t len, uint64_t *seq, uint8_t prev[32])
{
	cbor_item_t *m = NULL;
	const uint8_t *p;
	size_t plen;
	int err = EBADMSG;

	if (len > AUDIT_ENTRY_MAX ||
	    cborx_decode_items(buf, len, AUDIT_ENTRY_MAX, 32, &m) != 0)
		return EBADMSG;
	if (cbor_isa_map(m) && cborx_map_uint(m, AUDITENT_K_SEQ, seq) == 0 &&
	    cborx_map_bytes(m, AUDITENT_K_PREV, 32, &p, &plen) == 0 &&
	    plen == 32) {
		memcpy(prev, p, 32);
		err = 0;
	}
	cbor_decref(&m);
	return err;
}

static void
audit_answer(struct request *req, uint64_t status, uint64_t seq)
{
	cbor_item_t *m = cborx_map(2);

	cborx_map_put(m, AUDIT_K_STATUS, cborx_uint(status));
	cborx_map_put(m, AUDIT_K_SEQ, cborx_uint(seq));
	req_reply(req, m);
}

static int
api_audit_run(struct request *req)
{
	struct server *srv = req->srv;
	struct sanchor an, add;
	cbor_item_t *it = NULL, *arr;
	uint8_t prev[32], h[32];
	uint64_t first = 0, seq, want;
	size_t i, n = 0;
	int err, have, broken = 0, bad = 0, status;

	memset(&an, 0, sizeof(an));
	memset(&add, 0, sizeof(add));
	if (cborx_decode_items(req->body, req->len, req->len,
	        16 + AUDIT_MAX_ENTRIES, &it) != 0 ||
	    !cbor_isa_map(it) ||
	    cborx_map_uint(it, AUDITREQ_K_FIRST, &first) != 0 || first == 0 ||
	    (arr = cborx_map_get(it, AUDITREQ_K_ENTRIES)) == NULL ||
	    !cbor_isa_array(arr) || (n = cbor_array_size(arr)) == 0 ||
	    n > AUDIT_MAX_ENTRIES) {
		if (it != NULL)
			cbor_decref(&it);
		req_error(req, WERR_BAD_REQUEST, "malformed audit request", -1);
		return 0;
	}
	err = srv->be->anchor_get(srv->store, req->node.id, &an, &broken);
	if (err != 0 && err != ENOENT) {
		cbor_decref(&it);
		req_error(req, WERR_INTERNAL, "storage failure", -1);
		return 0;
	}
	have = err == 0;
	if (have && first != an.seq + 1) {
		/* not the entries after the anchor: send those */
		cbor_decref(&it);
		audit_answer(req, AUDIT_S_RESEND, an.seq);
		return 0;
	}
	/* Walk the chain: from the anchor's hash when there is one (else
	 * trust the first entry's previous hash: the first anchor). */
	want = first;
	for (i = 0; i < n && !bad; i++) {
		cbor_item_t *e = cbor_array_handle(arr)[i];
		if (!cbor_isa_bytestring(e) ||
		    !cbor_bytestring_is_definite(e) ||
		    audit_entry(cbor_bytestring_handle(e),
		        cbor_bytestring_length(e), &seq, prev) != 0 ||
		    seq != want) {
			cbor_decref(&it);
			req_error(
			    req, WERR_BAD_REQUEST, "malformed audit entry", -1);
			return 0;
		}
		if (i == 0 ? have && memcmp(prev, an.hash, 32) != 0
		           : memcmp(prev, h, 32) != 0) {
			bad = 1;
			add.seq = seq;
			memcpy(add.hash, prev, 32);
			snprintf(add.detail, sizeof(add.detail),
			    "entry %llu does not carry the hash of entry %llu"
			    " %s",
			    (unsigned long long)seq,
			    (unsigned long long)(seq - 1),
			    i == 0 ? "as anchored" : "as sent");
			break;
		}
		crypto_sha256(
		    cbor_bytestring_handle(e), cbor_bytestring_length(e), h);
		want++;
	}
	cbor_decref(&it);
	add.node = req->node.id;
	add.at_ms = server_now_ms();
	if (bad) {
		status = AUDIT_S_BREAK;
		if (!broken) { /* one break row and alert per anchor */
			add.ok = 0;
			log_warnx("node %llu: audit chain does not extend its "
			          "anchor (%s)",
			    (unsigned long long)req->node.id, add.detail);
			if (srv->be->anchor_add(srv->store, &add) != 0 ||
			    srv->be->alert(srv->store, req->node.id,
			        "audit-break", add.detail, add.at_ms) != 0) {
				req_error(
				    req, WERR_INTERNAL, "storage failure", -1);
				return 0;
			}
		}
		audit_answer(req, (uint64_t)status, have ? an.seq : 0);
		return 0;
	}
	add.ok = 1;
	add.seq = want - 1;
	memcpy(add.hash, h, 32);
	snprintf(add.detail, sizeof(add.detail), "%zu entries", n);
	if (srv->be->anchor_add(srv->store, &add) != 0) {
		req_error(req, WERR_INTERNAL, "storage failure", -1);
		return 0;
	}
	audit_answer(req, have ? AUDIT_S_EXTENDS : AUDIT_S_FIRST, add.seq);
	return 0;
}

const struct route api_audit = {
	.method = "POST",
	.path = PROTO_PATH_AUDIT,
	.max_body = 1024 * 1024,
	.flags = ROUTE_SIGNED,
	.handler = api_audit_run,
};
