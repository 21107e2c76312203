/*
 * A rogue node for the test tools (hlcpoison, flood): it enrols with a
 * token over tests/sync-server/client.h's raw HTTP and signs requests the
 * way docs/PROTOCOL.md §3.2 says, with libcommon only (the tools do not
 * link the server's library).  Static functions in a header, like
 * client.h.
 */
#ifndef TESTS_TOOLS_NODE_H
#define TESTS_TOOLS_NODE_H

#include "etoken.h"
#include "hlc.h"
#include "protocol.h"
#include "sync-server/client.h"

/* POST BODY to PATH signed as node N with the next sequence and HDR_HLC
 * in the X-Outpost-HLC header. */
static inline int
node_post(unsigned port, struct tnode *n, const char *path, uint64_t hdr_hlc,
    const uint8_t *body, size_t len, struct tresp *r)
{
	uint8_t d[CRYPTO_SHA256_LEN], sig[CRYPTO_SIG_LEN];
	char *msg, *hex, hdr[512];

	n->seq++;
	crypto_sha256(len ? body : (const uint8_t *)"", len, d);
	hex = hex_encode(d, sizeof(d));
	xasprintf(&msg,
	    "OUTPOST-REQ-1\nPOST\n%s\n%" PRIu64 "\n%" PRIu64 "\n%" PRIu64
	    "\n%s",
	    path, n->id, n->seq, hdr_hlc, hex);
	free(hex);
	crypto_ed25519_sign(n->priv, msg, strlen(msg), sig);
	free(msg);
	tnode_headers(n, hdr_hlc, sig, hdr, sizeof(hdr));
	return http_do(port, "POST", path, hdr, body, len, r);
}

/* Enrol a new key pair with TOKEN as LABEL; N gets the node id. */
static inline int
node_enroll(
    unsigned port, const char *token, const char *label, struct tnode *n)
{
	cbor_item_t *m = cborx_map(4), *it = NULL;
	struct tresp r;
	uint8_t *body = NULL;
	char secret[ETOKEN_SECRET_LEN + 1], fp[ETOKEN_FP_LEN + 1];
	size_t len;
	int err;

	memset(&r, 0, sizeof(r));
	crypto_ed25519_keygen(n->priv, n->pub);
	/* A token as typed carries the server key's fingerprint; the
	 * server is sent its secret part (common/etoken.h). */
	if (etoken_parse(token, secret, fp) == 0)
		token = secret;
	cborx_map_put(m, ENROLL_K_TOKEN, cborx_text(token));
	cborx_map_put(m, ENROLL_K_PUB, cborx_bytes(n->pub, 32));
	cborx_map_put(m, ENROLL_K_LABEL, cborx_text(label));
	cborx_map_put(m, ENROLL_K_HLC, cborx_uint(HLC_MAKE(hlc_wall_ms(), 0)));
	err = cborx_encode(m, &body, &len);
	cbor_decref(&m);
	if (err == 0)
		err = http_do(
		    port, "POST", PROTO_PATH_ENROLL, NULL, body, len, &r);
	if (err == 0 &&
	    (r.status != 200 || cborx_decode(r.body, r.len, r.len, &it) != 0 ||
	        cborx_map_uint(it, ENROLLED_K_NODE, &n->id) != 0))
		err = EPROTO;
	if (it != NULL)
		cbor_decref(&it);
	tresp_clear(&r);
	free(body);
	return err;
}

#endif
