/*
 * Emergencies (issue 16; docs/PROTOCOL.md §13):
 *
 *   POST /v1/emergency       the kiosk's fast path, signed, idempotent by
 *                            the incident's UUID (sync upserts the same
 *                            row); answers the incident as the server
 *                            holds it, so the kiosk learns of a yes that
 *                            came through the gateway
 *   POST /v1/roster          the node's signed roster (escalate/roster.h)
 *   POST /v1/gateway/dlr     the SMS gateway's delivery reports and
 *   POST /v1/gateway/inbound inbound SMS, form-encoded, authenticated by
 *                            the callback secret in the query (?secret=)
 *
 * The work is sync-server/emergency.c's; no patient data in logs.
 */
#define LOG_MODULE "api_emergency"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cborx.h"
#include "crypto.h"
#include "escalate/roster.h"
#include "log.h"
#include "sync-server/emergency.h"
#include "sync-server/server.h"
#include "xmalloc.h"

#define EM_PAGES_MAX 32

static int
pages_decode(const cbor_item_t *arr, struct semerg_page *out, size_t *n)
{
	cbor_item_t *it, **items, **f;
	char *t = NULL;
	size_t i;

	*n = 0;
	if (arr == NULL)
		return 0;
	if (!cbor_isa_array(arr) || cbor_array_size(arr) > EM_PAGES_MAX)
		return EBADMSG;
	items = cbor_array_handle(arr);
	for (i = 0; i < cbor_array_size(arr); i++) {
		it = items[i];
		memset(&out[i], 0, sizeof(out[i]));
		if (!cbor_isa_array(it) || cbor_array_size(it) != EMPAGE_COUNT)
			return EBADMSG;
		f = cbor_array_handle(it);
		if (cborx_get_uint(f[EMPAGE_LOOP], &out[i].loop) ||
		    cborx_get_uint(f[EMPAGE_LEVEL], &out[i].level) ||
		    out[i].loop > 100 || out[i].level >= ESC_MAX_LEVELS)
			return EBADMSG;
		if (cborx_get_text(
		        f[EMPAGE_RCPT], sizeof(out[i].rcpt) - 1, &t) != 0)
			return EBADMSG;
		snprintf(out[i].rcpt, sizeof(out[i].rcpt), "%s", t);
		free(t);
		t = NULL;
		if (cborx_get_text(
		        f[EMPAGE_STATUS], sizeof(out[i].status) - 1, &t) != 0)
			return EBADMSG;
		snprintf(out[i].status, sizeof(out[i].status), "%s", t);
		free(t);
		t = NULL;
		(*n)++;
	}
	return 0;
}

static void
ingest_refused(struct request *req, int err)
{
	switch (err) {
	case EBADMSG:
		req_error(
		    req, WERR_EMERG_INVALID, "not an emergency record", -1);
		break;
	case EACCES:
		req_error(req, WERR_EMERG_OWNER,
		    "the incident was raised by another node", -1);
		break;
	case EBUSY:
		req_error(req, WERR_UNAVAILABLE, "store busy", -1);
		break;
	default:
		req_error(req, WERR_INTERNAL, "storage failure", -1);
		break;
	}
}

static int
api_emergency_run(struct request *req)
{
	struct server *srv = req->srv;
	struct semerg_page pages[EM_PAGES_MAX];
	struct semerg *e = NULL;
	cbor_item_t *it = NULL, *m;
	const uint8_t *id = NULL, *rec = NULL;
	size_t idlen = 0, reclen = 0, np = 0;
	uint64_t hlc = 0;
	char *text = NULL;
	int err, created = 0;

	if (strcmp(req->node.role, "clinic") != 0) {
		req_error(req, WERR_FORBIDDEN,
		    "only a clinic kiosk raises an emergency", -1);
		return 0;
	}
	err = cborx_decode_items(req->body, req->len, 16384, 512, &it) != 0 ||
	    !cbor_isa_map(it) ||
	    cborx_map_bytes(it, EMREQ_K_ID, 16, &id, &idlen) != 0 ||
	    idlen != 16 || cborx_map_uint(it, EMREQ_K_HLC, &hlc) != 0 ||
	    cborx_map_bytes(it, EMREQ_K_RECORD, 8192, &rec, &reclen) != 0 ||
	    pages_decode(cborx_map_get(it, EMREQ_K_PAGES), pages, &np) != 0 ||
	    (cborx_map_get(it, EMREQ_K_TEXT) != NULL &&
	        cborx_map_text(it, EMREQ_K_TEXT, 160, &text) != 0);
	if (err) {
		req_error(req, WERR_EMERG_INVALID, "malformed emergency", -1);
		goto out;
	}
	if (server_hlc_ahead(srv, hlc)) {
		req_error(req, WERR_CLOCK_AHEAD,
		    "change clock too far ahead of server time",
		    (long long)server_hlc(srv, 0));
		goto out;
	}
	(void)server_hlc(srv, hlc);
	e = xcalloc(1, sizeof(*e));
	err = emergency_ingest(srv, req->node.id, id, hlc, rec, reclen, pages,
	    np, text, e, &created);
	if (err != 0) {
		ingest_refused(req, err);
		goto out;
	}
	log_info("node %" PRIu64 ": incident %s by the fast path%s",
	    req->node.id, e->code, created ? " (new)" : "");
	m = cborx_map(5);
	cborx_map_put(m, EMERG_K_STATE, cborx_text(e->state));
	cborx_map_put(m, EMERG_K_ACKED_BY, cborx_text(e->acked_by));
	cborx_map_put(m, EMERG_K_ETA, cborx_uint(e->eta_min));
	cborx_map_put(m, EMERG_K_ACKED, cborx_uint(e->acked_ms));
	cborx_map_put(m, EMERG_K_CREATED, cborx_bool(created));
	req_reply(req, m);
out:
	free(e);
	free(text);
	if (it != NULL)
		cbor_decref(&it);
	return 0;
}

static int
api_roster_run(struct request *req)
{
	struct esc_roster *r = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	uint64_t held = 0;
	cbor_item_t *it = NULL, *m;
	char *cause = NULL;
	int bad, err;

	bad = cborx_decode_items(req->body, req->len, 64, 8, &it) != 0 ||
	    !cbor_isa_map(it) ||
	    (cborx_map_get(it, ROSTERREQ_K_HELD) != NULL &&
	        cborx_map_uint(it, ROSTERREQ_K_HELD, &held) != 0);
	if (it != NULL)
		cbor_decref(&it);
	if (bad) {
		req_error(
		    req, WERR_BAD_REQUEST, "malformed roster request", -1);
		return 0;
	}
	err = emergency_roster_get(req->srv, req->node.id, &buf, &len);
	if (err == ENOENT) {
		req_error(
		    req, WERR_NO_ROSTER, "no roster kept for this node", -1);
		return 0;
	}
	r = xcalloc(1, sizeof(*r));
	if (err == 0 &&
	    (err = esc_roster_open(buf, len, req->srv->pub, r, &cause)) != 0)
		log_warnx("node %" PRIu64 ": the kept roster does not open",
		    req->node.id);
	if (err != 0) {
		req_error(req, WERR_INTERNAL, "storage failure", -1);
		goto out;
	}
	m = cborx_map(2);
	cborx_map_put(m, ROSTER_K_VERSION, cborx_uint(r->version));
	if (r->version != held)
		cborx_map_put(m, ROSTER_K_SIGNED, cborx_bytes(buf, len));
	req_reply(req, m);
out:
	free(cause);
	free(buf);
	free(r);
	return 0;
}

/* --- the gateway's callbacks --------------------------------------------- */

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The value of KEY in a form-encoded BODY, decoded into OUT; 0, ENOENT,
 * or EBADMSG (too long, a bad escape, a NUL). */
static int
form_get(
    const uint8_t *body, size_t len, const char *key, char *out, size_t size)
{
	size_t i = 0, klen = strlen(key), o;
	int hi, lo;

	while (i < len) {
		size_t end = i;

		while (end < len && body[end] != '&')
			end++;
		if (end - i > klen && body[i + klen] == '=' &&
		    memcmp(body + i, key, klen) == 0) {
			for (o = 0, i += klen + 1; i < end; i++) {
				int c = body[i];

				if (c == '+')
					c = ' ';
				else if (c == '%') {
					if (i + 2 >= end)
						return EBADMSG;
					hi = hexval(body[i + 1]);
					lo = hexval(body[i + 2]);
					if (hi < 0 || lo < 0)
						return EBADMSG;
					c = hi * 16 + lo;
					i += 2;
				}
				if (c == 0 || o + 1 >= size)
					return EBADMSG;
				out[o++] = (char)c;
			}
			out[o] = '\0';
			return 0;
		}
		i = end + 1;
	}
	return ENOENT;
}

static int
gw_auth(struct request *req)
{
	if (emergency_callback_ok(req->srv, req->secret))
		return 0;
	req_error(req, WERR_GATEWAY_AUTH, "callback secret", -1);
	return EACCES;
}

static int
api_gw_dlr_run(struct request *req)
{
	char id[64], word[32];
	const char *status;
	int err;

	if (gw_auth(req) != 0)
		return 0;
	if (form_get(req->body, req->len, "id", id, sizeof(id)) != 0 ||
	    form_get(req->body, req->len, "status", word, sizeof(word)) != 0) {
		req_error(
		    req, WERR_BAD_REQUEST, "a report needs id and status", -1);
		return 0;
	}
	if ((status = gateway_status(word)) == NULL) {
		req_reply(req, cborx_map(0)); /* a status we do not use */
		return 0;
	}
	err = emergency_dlr(req->srv, id, status);
	if (err != 0 && err != ENOENT) {
		req_error(req, WERR_UNAVAILABLE, "store busy", -1);
		return 0;
	}
	req_reply(req, cborx_map(0));
	return 0;
}

static int
api_gw_inbound_run(struct request *req)
{
	char id[64], from[20], text[200];
	int err;

	if (gw_auth(req) != 0)
		return 0;
	if (form_get(req->body, req->len, "id", id, sizeof(id)) != 0 ||
	    form_get(req->body, req->len, "from", from, sizeof(from)) != 0 ||
	    form_get(req->body, req->len, "text", text, sizeof(text)) != 0) {
		req_error(req, WERR_BAD_REQUEST,
		    "an inbound SMS needs id, from and text", -1);
		return 0;
	}
	err = emergency_inbound(req->srv, id, from, text);
	if (err != 0 && err != EEXIST) {
		req_error(req, WERR_UNAVAILABLE, "store busy", -1);
		return 0;
	}
	req_reply(req, cborx_map(0));
	return 0;
}

const struct route api_emergency = {
	.method = "POST",
	.path = PROTO_PATH_EMERGENCY,
	.max_body = 16384,
	.flags = ROUTE_SIGNED,
	.handler = api_emergency_run,
};

const struct route api_roster = {
	.method = "POST",
	.path = PROTO_PATH_ROSTER,
	.max_body = 64,
	.flags = ROUTE_SIGNED,
	.handler = api_roster_run,
};

const struct route api_gw_dlr = {
	.method = "POST",
	.path = PROTO_PATH_GW_DLR,
	.max_body = 4096,
	.flags = 0,
	.handler = api_gw_dlr_run,
};

const struct route api_gw_inbound = {
	.method = "POST",
	.path = PROTO_PATH_GW_INBOUND,
	.max_body = 4096,
	.flags = 0,
	.handler = api_gw_inbound_run,
};
