/*
 * POST /v1/blob: attachments (ECG strips, photos, recordings) uploaded by
 * SHA-256 in chunks and resumed from the last byte the server holds
 * (docs/PROTOCOL.md §6).  Issue 9, item 8: every answer is about the
 * asking node alone.  A partial upload belongs to the node that sent it
 * (another node uploading the same file has its own), "held" counts only
 * what that node sent, and a file the server holds from another node
 * reads as absent until this node has sent it whole: no node learns
 * whether the server holds a file it has not itself uploaded.  Each node
 * has a quota (uploads held plus partial ones); stale partial uploads are
 * swept.  Files are sealed at rest (blobstore.c).  Every chunk is fsynced
 * before `held` is answered.  Blob writes are serialised by the server
 * mutex: uploads are rare and large.
 */
#define LOG_MODULE "api_blob"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cborx.h"
#include "log.h"
#include "sync-server/blobstore.h"
#include "sync-server/server.h"
#include "sync-server/wire.h"

#define BLOB_MAX (64ULL * 1024 * 1024)

enum api_blob_outcome { BLOB_OK, BLOB_PAST_TOTAL, BLOB_MISMATCH, BLOB_QUOTA };

/* One chunk from NODE: *HELD is what NODE has sent of the file. */
static int
api_blob_write(struct server *srv, uint64_t node, const struct wire_blob *w,
    uint64_t *held, enum api_blob_outcome *out)
{
	uint64_t owned = 0, others;
	int err;

	*out = BLOB_OK;
	if (srv->blob_swept_ms + srv->blob_sweep_ms <= server_now_ms()) {
		blobstore_sweep(srv);
		srv->blob_swept_ms = server_now_ms();
	}
	err = srv->be->blob_owned(srv->store, node, w->hash, held);
	if (err != ENOENT)
		return err; /* 0: this node uploaded it whole */
	if ((err = blobstore_held(srv, node, w->hash, held)) != 0)
		return err;
	if (w->chunk_len == 0 || w->offset != *held)
		return 0;
	if (w->offset + w->chunk_len > w->total) {
		*out = BLOB_PAST_TOTAL;
		return 0;
	}
	/* The whole file counts from its first chunk, so a node over its
	 * quota learns it before sending the rest. */
	if ((err = srv->be->blob_usage(srv->store, node, &owned)) != 0)
		return err;
	others = blobstore_partial_bytes(srv, node, w->hash);
	if (owned + others + w->total > srv->blob_quota) {
		*out = BLOB_QUOTA;
		return 0;
	}
	if ((err = blobstore_append(
	         srv, node, w->hash, w->offset, w->chunk, w->chunk_len)) != 0)
		return err;
	*held = w->offset + w->chunk_len;
	if (*held < w->total)
		return 0;
	if ((err = blobstore_finish(srv, node, w->hash)) == EBADMSG) {
		*held = 0;
		*out = BLOB_MISMATCH;
		return 0;
	}
	if (err != 0)
		return err;
	return srv->be->blob_own(
	    srv->store, node, w->hash, w->total, server_now_ms());
}

static int
api_blob_run(struct request *req)
{
	struct server *srv = req->srv;
	struct wire_blob w;
	enum api_blob_outcome out;
	cbor_item_t *m;
	uint64_t held = 0;
	int err;

	if (wire_blob_decode(req->body, req->len, &w) != 0) {
		req_error(req, WERR_BAD_REQUEST, "malformed blob chunk", -1);
		return 0;
	}
	if (w.total > BLOB_MAX) {
		wire_blob_free(&w);
		req_error(req, WERR_TOO_LARGE, "file too large", -1);
		return 0;
	}
	pthread_mutex_lock(&srv->mu);
	err = api_blob_write(srv, req->node.id, &w, &held, &out);
	pthread_mutex_unlock(&srv->mu);
	wire_blob_free(&w);
	if (err != 0) {
		log_warnx("blob write: %s", strerror(err));
		req_error(req, WERR_INTERNAL, "storage failure", -1);
		return 0;
	}
	switch (out) {
	case BLOB_PAST_TOTAL:
		req_error(
		    req, WERR_BAD_REQUEST, "chunk runs past the total", -1);
		return 0;
	case BLOB_MISMATCH:
		req_error(
		    req, WERR_CONFLICT, "content does not match its hash", -1);
		return 0;
	case BLOB_QUOTA:
		log_info(
		    "node %" PRIu64 ": attachment quota reached", req->node.id);
		req_error(req, WERR_OVER_QUOTA,
		    "attachment quota of this node reached",
		    (long long)srv->blob_quota);
		return 0;
	case BLOB_OK:
		break;
	}
	m = cborx_map(1);
	cborx_map_put(m, BLOBBED_K_HELD, cborx_uint(held));
	req_reply(req, m);
	return 0;
}

const struct route api_blob = {
	.method = "POST",
	.path = PROTO_PATH_BLOB,
	.max_body = BLOB_CHUNK_MAX + 128,
	.flags = ROUTE_SIGNED,
	.handler = api_blob_run,
};
