/*
 * hlcpoison: a rogue node for tests/e2e/hlc_poison.sh (issue 9, item 2).
 * It enrols with TOKEN at the sync server on loopback PORT and pushes,
 * for each HLC argument, one observation change stamped with it, signing
 * each request as docs/PROTOCOL.md §3.2 says:
 *
 *   hlcpoison PORT TOKEN HLC...
 *
 * HLC is "max" (2^63-1), "+N" (N days ahead of the wall clock) or "now";
 * a "hdr:" prefix puts it in the X-Outpost-HLC header of an ordinary
 * change instead.  One line per push: "HTTP-status error-code" (0 when
 * the answer is not an error).  Exit 0 when every push got an answer.
 */
#define LOG_MODULE "hlcpoison"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cborx.h"
#include "crypto.h"
#include "encode.h"
#include "etoken.h"
#include "hlc.h"
#include "protocol.h"
#include "record.h"
#include "sync-server/client.h"
#include "uuid.h"
#include "xmalloc.h"

static int
hlc_arg(const char *s, uint64_t *out)
{
	char *end;
	unsigned long days;

	if (strcmp(s, "max") == 0)
		*out = (uint64_t)INT64_MAX;
	else if (strcmp(s, "now") == 0)
		*out = HLC_MAKE(hlc_wall_ms(), 0);
	else if (s[0] == '+') {
		days = strtoul(s + 1, &end, 10);
		if (*end != '\0' || days > 100000)
			return EINVAL;
		*out = HLC_MAKE(hlc_wall_ms() + days * 24ULL * 3600 * 1000, 0);
	} else
		return EINVAL;
	return 0;
}

static uint8_t *
push_body(uint64_t seq, uint64_t hlc, size_t *len)
{
	cbor_item_t *m = cborx_map(4), *arr = cborx_array(1);
	cbor_item_t *c = cborx_array(PUSH_C_COUNT), *body = cborx_map(4);
	struct uuid id;
	uint8_t *b, *out;
	size_t blen;

	uuid_v7(&id);
	cborx_map_put(body, REC_K_ID, cborx_bytes(id.b, 16));
	cborx_map_put(body, REC_K_HLC, cborx_uint(hlc));
	cborx_map_put(body, REC_OBS_LOINC, cborx_text("8867-4"));
	cborx_map_put(body, REC_OBS_VALUE, cborx_double(61.0));
	if (cborx_encode(body, &b, &blen) != 0)
		abort();
	cbor_decref(&body);
	cborx_array_push(c, cborx_uint(seq));
	cborx_array_push(c, cborx_uint(REC_OBSERVATION));
	cborx_array_push(c, cborx_bytes(id.b, 16));
	cborx_array_push(c, cborx_uint(hlc));
	cborx_array_push(c, cborx_bytes(b, blen));
	free(b);
	cborx_array_push(arr, c);
	cborx_map_put(m, PUSH_K_FIRST, cborx_uint(seq));
	cborx_map_put(m, PUSH_K_LAST, cborx_uint(seq));
	cborx_map_put(m, PUSH_K_CHANGES, arr);
	cborx_map_put(m, PUSH_K_OUTBOX_LAST, cborx_uint(seq));
	if (cborx_encode(m, &out, len) != 0)
		abort();
	cbor_decref(&m);
	return out;
}

static int
signed_push(unsigned port, struct tnode *n, uint64_t hdr_hlc,
    const uint8_t *body, size_t len, struct tresp *r)
{
	uint8_t d[CRYPTO_SHA256_LEN], sig[CRYPTO_SIG_LEN];
	char *msg, *hex, hdr[512];
	int err;

	n->seq++;
	crypto_sha256(body, len, d);
	hex = hex_encode(d, sizeof(d));
	xasprintf(&msg,
	    "OUTPOST-REQ-1\nPOST\n%s\n%" PRIu64 "\n%" PRIu64 "\n%" PRIu64
	    "\n%s",
	    PROTO_PATH_PUSH, n->id, n->seq, hdr_hlc, hex);
	free(hex);
	crypto_ed25519_sign(n->priv, msg, strlen(msg), sig);
	free(msg);
	hex = hex_encode(sig, sizeof(sig));
	snprintf(hdr, sizeof(hdr),
	    "X-Outpost-Node: %" PRIu64 "\r\nX-Outpost-Seq: %" PRIu64
	    "\r\nX-Outpost-HLC: %" PRIu64 "\r\nX-Outpost-Sig: %s\r\n",
	    n->id, n->seq, hdr_hlc, hex);
	free(hex);
	err = http_do(port, "POST", PROTO_PATH_PUSH, hdr, body, len, r);
	return err;
}

static int
enroll(unsigned port, const char *token, struct tnode *n)
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
	cborx_map_put(m, ENROLL_K_LABEL, cborx_text("hlcpoison"));
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

int
main(int argc, char **argv)
{
	struct tnode n;
	struct tresp r;
	uint64_t hlc, code, detail;
	uint8_t *body;
	size_t len;
	unsigned long port;
	const char *a;
	int i, hdr, err;

	if (argc < 4 || (port = strtoul(argv[1], NULL, 10)) == 0 ||
	    port > 65535) {
		fprintf(stderr, "usage: hlcpoison PORT TOKEN HLC...\n");
		return 2;
	}
	memset(&n, 0, sizeof(n));
	if ((err = enroll((unsigned)port, argv[2], &n)) != 0) {
		fprintf(stderr, "hlcpoison: enrol: %s\n", strerror(err));
		return 1;
	}
	for (i = 3; i < argc; i++) {
		a = argv[i];
		hdr = strncmp(a, "hdr:", 4) == 0;
		if (hlc_arg(hdr ? a + 4 : a, &hlc) != 0) {
			fprintf(stderr, "hlcpoison: bad HLC %s\n", a);
			return 2;
		}
		memset(&r, 0, sizeof(r));
		body =
		    push_body(1, hdr ? HLC_MAKE(hlc_wall_ms(), 0) : hlc, &len);
		err = signed_push((unsigned)port, &n,
		    hdr ? hlc : HLC_MAKE(hlc_wall_ms(), 0), body, len, &r);
		free(body);
		if (err != 0) {
			fprintf(stderr, "hlcpoison: push: %s\n", strerror(err));
			return 1;
		}
		code = r.status == 200 ? 0 : tresp_code(&r, &detail);
		printf("%u %" PRIu64 "\n", r.status, code);
		tresp_clear(&r);
	}
	return 0;
}
