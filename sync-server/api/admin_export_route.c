/*
 * POST /v1/admin/export (issue 17; docs/PROTOCOL.md §12): an admin node's
 * export of its own region, FHIR R4 NDJSON or CSV, for a date range.
 * Only admin nodes (not_admin), only their region (out_of_region: the
 * scope policy_admin_query gives).  The answer carries every file whole
 * ([name, bytes]); an export over EXPORT_MAX_BYTES is refused (too_large)
 * so the node asks for a shorter range.  Nothing of it is logged but the
 * node id and counts, nor written to disk.
 */
#define LOG_MODULE "api_export"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cborx.h"
#include "compat.h"
#include "log.h"
#include "str.h"
#include "sync-server/admin_export.h"
#include "sync-server/policy.h"
#include "sync-server/server.h"
#include "sync-server/work/export.h"

struct files {
	cbor_item_t *pair[32]; /* one per resource type or entity, at most */
	size_t n, total;
};

static int
add_file(void *arg, const char *name, const struct buf *b)
{
	struct files *f = arg;
	cbor_item_t *pair;

	if ((f->total += b->len) > EXPORT_MAX_BYTES)
		return EMSGSIZE;
	if (f->n == nitems(f->pair))
		return ENOSPC;
	pair = cborx_array(2);
	cborx_array_push(pair, cborx_text(name));
	cborx_array_push(pair, cborx_bytes(b->data, b->len));
	f->pair[f->n++] = pair;
	return 0;
}

static void
files_clear(struct files *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		cbor_decref(&f->pair[i]);
	f->n = 0;
}

static int
api_export_run(struct request *req)
{
	struct server *srv = req->srv;
	struct xport_summary sum;
	struct files f;
	struct xport *x = NULL;
	cbor_item_t *it = NULL, *m, *arr;
	size_t i;
	const char *format = NULL;
	char region[SSTORE_TEXT_MAX];
	uint64_t from = 0, to = UINT64_MAX;
	char *fmt = NULL, *reg = NULL;
	int code, formats, err, bad;

	region[0] = '\0';
	bad = cborx_decode_items(req->body, req->len, 256, 16, &it) != 0 ||
	    !cbor_isa_map(it) ||
	    cborx_map_text(it, EXPREQ_K_FORMAT, 8, &fmt) != 0 ||
	    (cborx_map_get(it, EXPREQ_K_FROM) != NULL &&
	        cborx_map_uint(it, EXPREQ_K_FROM, &from) != 0) ||
	    (cborx_map_get(it, EXPREQ_K_TO) != NULL &&
	        cborx_map_uint(it, EXPREQ_K_TO, &to) != 0);
	if (!bad) {
		format = strcmp(fmt, "fhir") == 0 ? "fhir"
		    : strcmp(fmt, "csv") == 0     ? "csv"
		                                  : NULL;
		bad = format == NULL || from >= to;
	}
	if (!bad && cborx_map_get(it, EXPREQ_K_REGION) != NULL) {
		bad = cborx_map_text(
		          it, EXPREQ_K_REGION, sizeof(region) - 1, &reg) != 0;
		if (!bad)
			str_lcpy(region, reg, sizeof(region));
	}
	free(fmt);
	free(reg);
	if (it != NULL)
		cbor_decref(&it);
	/* who may ask comes before what was asked */
	code = policy_admin_query(&req->node, region[0] ? region : NULL);
	if (code == WERR_NOT_ADMIN) {
		req_error(req, WERR_NOT_ADMIN,
		    "only an admin node may export its region", -1);
		return 0;
	}
	if (bad) {
		req_error(
		    req, WERR_BAD_REQUEST, "malformed export request", -1);
		return 0;
	}
	if (code != 0) {
		req_error(
		    req, code, "an admin node exports its own region only", -1);
		return 0;
	}
	formats = strcmp(format, "fhir") == 0 ? XPORT_FHIR : XPORT_CSV;
	x = xport_new();
	memset(&f, 0, sizeof(f));
	err = admin_export_collect(srv->be, srv->store, req->node.region, x);
	if (err == 0)
		err = xport_run(
		    x, from, to, formats, EXPORT_MAX_BYTES, add_file, &f, &sum);
	xport_free(x);
	if (err == EMSGSIZE) {
		files_clear(&f);
		req_error(req, WERR_TOO_LARGE,
		    "the export is too large: ask for a shorter date range",
		    EXPORT_MAX_BYTES);
		return 0;
	}
	if (err != 0) {
		files_clear(&f);
		req_error(req, WERR_INTERNAL, "storage failure", -1);
		return 0;
	}
	log_info("node %" PRIu64 ": export (%s) of %" PRIu64 " records, %zu "
	         "files, %" PRIu64 " forms without their answers (malformed)",
	    req->node.id, format, sum.chosen + sum.referenced, sum.files,
	    sum.malformed);
	arr = cborx_array(f.n);
	for (i = 0; i < f.n; i++)
		cborx_array_push(arr, f.pair[i]);
	m = cborx_map(3);
	cborx_map_put(m, EXPORT_K_FILES, arr);
	cborx_map_put(m, EXPORT_K_SKIPPED, cborx_uint(sum.skipped));
	cborx_map_put(m, EXPORT_K_MALFORMED, cborx_uint(sum.malformed));
	req_reply(req, m);
	return 0;
}

const struct route api_admin_export = {
	.method = "POST",
	.path = PROTO_PATH_ADMIN_EXPORT,
	.max_body = 256,
	.flags = ROUTE_SIGNED,
	.handler = api_export_run,
};
