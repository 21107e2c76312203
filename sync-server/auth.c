/*
 * Request and response signatures (docs/PROTOCOL.md §3.2, §3.3).  A
 * request is accepted only when its node is enrolled and not revoked, the
 * Ed25519 signature over the canonical string verifies, and its request
 * sequence is above the last one the store saw for that node (checked and
 * stored atomically by the backend).  Wall clocks are not used for
 * freshness: a kiosk without an RTC may be years behind.  Its HLC may not
 * be more than HLC_MAX_AHEAD_MS ahead of the server's time, though, or it
 * would poison the server's clock (clock_ahead, §3.4).
 */
#define LOG_MODULE "auth"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "encode.h"
#include "log.h"
#include "server.h"
#include "str.h"
#include "xmalloc.h"

char *
auth_req_message(const char *method, const char *path, uint64_t node,
    uint64_t seq, uint64_t hlc, const void *body, size_t len)
{
	uint8_t h[CRYPTO_SHA256_LEN];
	char *hex, *msg;

	crypto_sha256(len ? body : "", len, h);
	hex = hex_encode(h, sizeof(h));
	xasprintf(&msg,
	    "OUTPOST-REQ-1\n%s\n%s\n%" PRIu64 "\n%" PRIu64 "\n%" PRIu64 "\n%s",
	    method, path, node, seq, hlc, hex);
	free(hex);
	return msg;
}

char *
auth_rsp_message(
    unsigned status, uint64_t node, uint64_t seq, const void *body, size_t len)
{
	uint8_t h[CRYPTO_SHA256_LEN];
	char *hex, *msg;

	crypto_sha256(len ? body : "", len, h);
	hex = hex_encode(h, sizeof(h));
	xasprintf(&msg, "OUTPOST-RSP-1\n%u\n%" PRIu64 "\n%" PRIu64 "\n%s",
	    status, node, seq, hex);
	free(hex);
	return msg;
}

/* Decimal without sign, leading zeros or junk; 0 or EINVAL. */
static int
auth_num(const char *s, uint64_t *out)
{
	long long v;

	if (s == NULL || s[0] == '\0' || (s[0] == '0' && s[1] != '\0') ||
	    s[0] == '-' || s[0] == '+' || s[0] == ' ')
		return EINVAL;
	if (str_to_ll(s, 0, INT64_MAX, &v) != 0)
		return EINVAL;
	*out = (uint64_t)v;
	return 0;
}

/* The HLC header: like auth_num but the whole uint64 range, so a node
 * whose clock went past 2^63 learns that its clock is the problem. */
static int
auth_hlc(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (s == NULL || s[0] < '0' || s[0] > '9' ||
	    (s[0] == '0' && s[1] != '\0'))
		return EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return EINVAL;
	*out = v;
	return 0;
}

/* Parse the four headers into REQ and SIG and look the node up: 0, or
 * an error reply left in REQ and EACCES. */
static int
auth_identify(struct request *req, const char *node_s, const char *seq_s,
    const char *hlc_s, const char *sig_s, uint8_t sig[CRYPTO_SIG_LEN])
{
	struct server *srv = req->srv;
	uint64_t node_id;
	size_t siglen;
	int err;

	if (auth_num(node_s, &node_id) != 0 ||
	    auth_num(seq_s, &req->seq) != 0 ||
	    auth_hlc(hlc_s, &req->hlc) != 0 || sig_s == NULL ||
	    strlen(sig_s) != 2 * CRYPTO_SIG_LEN ||
	    hex_decode(sig_s, sig, CRYPTO_SIG_LEN, &siglen) != 0 ||
	    siglen != CRYPTO_SIG_LEN) {
		req_error(req, WERR_BAD_SIGNATURE,
		    "missing or malformed authentication headers", -1);
		return EACCES;
	}
	err = srv->be->node_get(srv->store, node_id, &req->node);
	if (err == ENOENT) {
		req_error(req, WERR_UNKNOWN_NODE, "node not enrolled", -1);
		return EACCES;
	}
	if (err != 0) {
		req_error(req, WERR_INTERNAL, "storage failure", -1);
		return EACCES;
	}
	return 0;
}

int
auth_precheck(struct request *req, const char *node_s, const char *seq_s,
    const char *hlc_s, const char *sig_s)
{
	uint8_t sig[CRYPTO_SIG_LEN];

	if (auth_identify(req, node_s, seq_s, hlc_s, sig_s, sig) != 0)
		return EACCES;
	if (req->node.revoked) {
		req_error(req, WERR_REVOKED, "node revoked", -1);
		return EACCES;
	}
	if (req->seq <= req->node.req_seq) {
		req_error(req, WERR_STALE_REQUEST,
		    "request sequence already used",
		    (long long)req->node.req_seq);
		return EACCES;
	}
	return 0;
}

int
auth_check(struct request *req, int accept_seq, const char *node_s,
    const char *seq_s, const char *hlc_s, const char *sig_s)
{
	struct server *srv = req->srv;
	uint8_t sig[CRYPTO_SIG_LEN];
	uint64_t node_id, last = 0;
	char *msg;
	int err;

	if (auth_identify(req, node_s, seq_s, hlc_s, sig_s, sig) != 0)
		return EACCES;
	node_id = req->node.id;
	msg = auth_req_message(req->method, req->path, node_id, req->seq,
	    req->hlc, req->body, req->len);
	err = crypto_ed25519_verify(req->node.pub, msg, strlen(msg), sig);
	free(msg);
	if (err != 0) {
		req_error(
		    req, WERR_BAD_SIGNATURE, "signature does not verify", -1);
		return EACCES;
	}
	if (req->node.revoked) {
		req_error(req, WERR_REVOKED, "node revoked", -1);
		return EACCES;
	}
	if (server_hlc_ahead(srv, req->hlc)) {
		/* Before the sequence: the node retries with the same one
		 * once its clock is back. */
		log_warnx("node %" PRIu64 ": clock too far ahead", node_id);
		srv->be->alert(srv->store, node_id, "hlc-ahead",
		    "request clock beyond the drift bound", server_now_ms());
		req_error(req, WERR_CLOCK_AHEAD,
		    "node clock too far ahead of server time",
		    (long long)server_hlc(srv, 0));
		return EACCES;
	}
	if (!accept_seq) {
		/* Early refusal of an old sequence; the handler's write
		 * accepts it atomically. */
		if (req->seq <= req->node.req_seq) {
			last = req->node.req_seq;
			err = EALREADY;
		} else
			err = 0;
	} else
		err = srv->be->node_touch(
		    srv->store, node_id, req->seq, server_now_ms(), &last);
	if (err == EALREADY) {
		req_error(req, WERR_STALE_REQUEST,
		    "request sequence already used", (long long)last);
		return EACCES;
	}
	if (err != 0) {
		req_error(req, WERR_INTERNAL, "storage failure", -1);
		return EACCES;
	}
	if (accept_seq)
		req->node.req_seq = req->seq;
	server_hlc(srv, req->hlc);
	return 0;
}

void
auth_sign_response(struct server *srv, const struct request *req, char out[129])
{
	uint8_t sig[CRYPTO_SIG_LEN];
	char *msg, *hex;

	msg = auth_rsp_message(
	    req->status, req->node.id, req->seq, req->resp, req->resp_len);
	if (crypto_ed25519_sign(srv->priv, msg, strlen(msg), sig) != 0)
		fatalx("ed25519 sign failed");
	free(msg);
	hex = hex_encode(sig, sizeof(sig));
	str_lcpy(out, hex, 129);
	free(hex);
}
