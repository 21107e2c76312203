/*
 * The sync server's endpoints on loopback: a real libmicrohttpd daemon on
 * a free port with a fresh SQLite store per case, driven over sockets with
 * signed requests.  Covers enrolment, exactly-once push (replay, conflict,
 * gap, overlap), pull scope and paging, and the documented error for each
 * kind of bad input (docs/PROTOCOL.md §2), with the server still serving
 * afterwards.
 */
#define LOG_MODULE "test_sync_api"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlcipher/sqlite3.h>

#include <zlib.h>

#include "compat.h"
#include "cborx.h"
#include "client.h"
#include "fixture.h"
#include "crypto.h"
#include "figures.h"
#include "hlc.h"
#include "log.h"
#include "record.h"
#include "sync-server/server.h"
#include "test.h"
#include "uuid.h"
#include "xmalloc.h"

/* A record body for change SEQ, with VARIANT changing its content. */
static cbor_item_t *
change_item(uint64_t seq, const struct uuid *id, int variant)
{
	cbor_item_t *c = cborx_array(5), *body = cborx_map(4);
	uint8_t *b;
	size_t len;

	cborx_map_put(body, REC_K_ID, cborx_bytes(id->b, 16));
	cborx_map_put(body, REC_K_HLC, cborx_uint(1000 + seq));
	cborx_map_put(body, REC_OBS_LOINC, cborx_text("8867-4"));
	cborx_map_put(body, REC_OBS_VALUE, cborx_double(60.0 + variant));
	if (cborx_encode(body, &b, &len) != 0)
		abort();
	cbor_decref(&body);
	cborx_array_push(c, cborx_uint(seq));
	cborx_array_push(c, cborx_uint(REC_OBSERVATION));
	cborx_array_push(c, cborx_bytes(id->b, 16));
	cborx_array_push(c, cborx_uint(1000 + seq));
	cborx_array_push(c, cborx_bytes(b, len));
	free(b);
	return c;
}

static struct uuid ids[64];

static void
make_ids(void)
{
	size_t i;

	for (i = 0; i < nitems(ids); i++)
		uuid_v7(&ids[i]);
}

/* Push body for FIRST..LAST; VARIANT_AT changes one record's content;
 * OUTBOX_LAST is the node's highest outbox seq (key 4). */
static void
push_body_ol(uint64_t first, uint64_t last, uint64_t variant_at,
    uint64_t outbox_last, uint8_t **out, size_t *len)
{
	cbor_item_t *m = cborx_map(4), *arr = cborx_array(last - first + 1);
	uint64_t s;

	for (s = first; s <= last; s++)
		cborx_array_push(arr,
		    change_item(s, &ids[s % nitems(ids)], s == variant_at));
	cborx_map_put(m, 1, cborx_uint(first));
	cborx_map_put(m, 2, cborx_uint(last));
	cborx_map_put(m, 3, arr);
	cborx_map_put(m, 4, cborx_uint(outbox_last));
	if (cborx_encode(m, out, len) != 0)
		abort();
	cbor_decref(&m);
}

static void
push_body(uint64_t first, uint64_t last, uint64_t variant_at, uint8_t **out,
    size_t *len)
{
	push_body_ol(first, last, variant_at, last + 5, out, len);
}

static int
ack_of(const struct tresp *r, uint64_t *hw, uint64_t *acc, uint64_t *dups)
{
	cbor_item_t *it = NULL;
	int err = EBADMSG;

	if (cborx_decode(r->body, r->len, r->len, &it) != 0)
		return err;
	if (cborx_map_uint(it, 1, hw) == 0 && cborx_map_uint(it, 2, acc) == 0 &&
	    cborx_map_uint(it, 3, dups) == 0)
		err = 0;
	cbor_decref(&it);
	return err;
}

static int
test_health(void)
{
	struct fix f;
	struct tresp r;
	int err = 0;

	memset(&r, 0, sizeof(r));
	TEST_ERR(fix_start(&f));
	TEST_ERR(http_do(f.port, "GET", "/v1/health", NULL, NULL, 0, &r));
	TEST_EQ(r.status, 200);
	TEST_TRUE(r.len > 4 && memmem(r.body, r.len, "ok", 2) != NULL);
out:
	tresp_clear(&r);
	fix_stop(&f);
	return err;
}

static int
test_enroll(void)
{
	struct fix f;
	struct tresp r;
	struct tnode n;
	uint8_t pub[32], *body = NULL;
	char token[33];
	size_t len;
	int err = 0;

	memset(&r, 0, sizeof(r));
	TEST_ERR(fix_start(&f));
	/* unknown token */
	crypto_ed25519_keygen(n.priv, n.pub);
	TEST_ERR(enroll_body(
	    "00112233445566778899aabbccddeeff", n.pub, &body, &len));
	TEST_ERR(http_do(f.port, "POST", "/v1/enroll", NULL, body, len, &r));
	TEST_EQ(r.status, 403);
	TEST_EQ(tresp_code(&r, NULL), WERR_BAD_TOKEN);
	tresp_clear(&r);
	free(body);
	body = NULL;
	/* good token, once */
	TEST_ERR(fix_token(&f, "north", token));
	TEST_ERR(enroll_body(token, n.pub, &body, &len));
	TEST_ERR(http_do(f.port, "POST", "/v1/enroll", NULL, body, len, &r));
	TEST_EQ(r.status, 200);
	tresp_clear(&r);
	TEST_ERR(http_do(f.port, "POST", "/v1/enroll", NULL, body, len, &r));
	TEST_EQ(r.status, 403);
	TEST_EQ(tresp_code(&r, NULL), WERR_BAD_TOKEN);
	tresp_clear(&r);
	/* second node gets another id and the same server key */
	TEST_ERR(fix_node(&f, "north", &n, pub));
	TEST_EQ(n.id, 2);
	TEST_MEM(pub, f.srv.pub, 32);
out:
	free(body);
	tresp_clear(&r);
	fix_stop(&f);
	return err;
}

/* Overwrite a stored batch's hash, as the whole-body hash of an earlier
 * version would differ from today's. */
static int
legacy_batch_hash(const struct fix *f, uint64_t first, uint64_t last)
{
	char path[128];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc;

	snprintf(path, sizeof(path), "%s/server.db", f->dir);
	rc = sqlite3_open(path, &db);
	if (rc == SQLITE_OK)
		rc = sqlite3_busy_timeout(db, 5000);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db,
		    "UPDATE batches SET hash = zeroblob(32)"
		    " WHERE first = ? AND last = ?",
		    -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)first);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)last);
		rc = sqlite3_step(st) == SQLITE_DONE && sqlite3_changes(db) == 1
		    ? SQLITE_OK
		    : SQLITE_ERROR;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : EIO;
}

/*
 * Issue 9, item 1: the answer to a committed batch is lost, the node saves
 * more records, and re-sends the same batch key with a larger outbox_last.
 * That is a replay (the stored answer, byte for byte, nothing stored
 * again), never a conflict; other content under the key still is one.
 */
static int
test_push_lost_answer_outbox_grows(void)
{
	struct fix f;
	struct tresp r, r2;
	struct tnode n;
	struct sstats st;
	uint8_t spub[32], *body = NULL, *body2 = NULL;
	uint64_t hw, acc, dups;
	size_t len, len2;
	int err = 0;

	memset(&r, 0, sizeof(r));
	memset(&r2, 0, sizeof(r2));
	memset(&st, 0, sizeof(st));
	make_ids();
	TEST_ERR(fix_start(&f));
	TEST_ERR(fix_node(&f, "north", &n, spub));
	push_body_ol(1, 4, 0, 9, &body, &len);
	TEST_ERR(tnode_do(f.port, &n, "/v1/push", body, len, &r));
	TEST_EQ(r.status, 200);
	free(body);
	body = NULL;
	/* the answer was lost; two records were saved; the same batch again */
	push_body_ol(1, 4, 0, 11, &body, &len);
	TEST_ERR(tnode_do(f.port, &n, "/v1/push", body, len, &r2));
	TEST_EQ(r2.status, 200);
	TEST_ERR(tresp_verify(&r2, &n, spub));
	TEST_EQ(r2.len, r.len);
	TEST_MEM(r2.body, r.body, r.len);
	TEST_ERR(ack_of(&r2, &hw, &acc, &dups));
	TEST_EQ(hw, 4);
	tresp_clear(&r2);
	/* and the next batch goes on from there */
	push_body_ol(5, 6, 0, 11, &body2, &len2);
	TEST_ERR(tnode_do(f.port, &n, "/v1/push", body2, len2, &r2));
	TEST_EQ(r2.status, 200);
	TEST_ERR(ack_of(&r2, &hw, &acc, &dups));
	TEST_EQ(hw, 6);
	TEST_EQ(acc, 2);
	tresp_clear(&r2);
	free(body2);
	body2 = NULL;
	/* the same key with one body changed is still a conflict */
	push_body_ol(1, 4, 3, 11, &body2, &len2);
	TEST_ERR(tnode_do(f.port, &n, "/v1/push", body2, len2, &r2));
	TEST_EQ(r2.status, 409);
	TEST_EQ(tresp_code(&r2, NULL), WERR_CONFLICT);
	tresp_clear(&r2);
	free(body2);
	body2 = NULL;
	/* a batch stored by a version that hashed the whole body: its hash
	 * never matches, yet a re-send of the same changes is a replay */
	TEST_ERR(legacy_batch_hash(&f, 5, 6));
	push_body_ol(5, 6, 0, 12, &body2, &len2);
	TEST_ERR(tnode_do(f.port, &n, "/v1/push", body2, len2, &r2));
	TEST_EQ(r2.status, 200);
	TEST_ERR(ack_of(&r2, &hw, &acc, &dups));
	TEST_EQ(hw, 6);
	TEST_EQ(acc, 2); /* the stored answer */
	tresp_clear(&r2);
	TEST_ERR(f.srv.be->stats(f.srv.store, &st));
	TEST_EQ(st.entities[0].records, 6);
	TEST_EQ(st.alerts, 1);
out:
	sstats_clear(&st);
	free(body);
	free(body2);
	tresp_clear(&r);
	tresp_clear(&r2);
	fix_stop(&f);
	return err;
}

static int
test_push_exactly_once(void)
{
	struct fix f;
	struct tresp r, r2;
	struct tnode n;
	struct sstats st;
	uint8_t spub[32], *body = NULL, *body2 = NULL;
	uint64_t hw, acc, dups, detail;
	size_t len, len2;
	int err = 0;

	memset(&r, 0, sizeof(r));
	memset(&r2, 0, sizeof(r2));
	memset(&st, 0, sizeof(st));
	make_ids();
	TEST_ERR(fix_start(&f));
	TEST_ERR(fix_node(&f, "north", &n, spub));
	push_body(1, 3, 0, &body, &len);
	TEST_ERR(tnode_do(f.port, &n, "/v1/push", body, len, &r));
	TEST_EQ(r.status, 200);
	TEST_ERR(tresp_verify(&r, &n, spub));
	TEST_ERR(ack_of(&r, &hw, &acc, &dups));
	TEST_EQ(hw, 3);
	TEST_EQ(acc, 3);
	TEST_EQ(dups, 0);
	/* the same batch again: byte-identical answer, nothing stored */
	TEST_ERR(tnode_do(f.port, &n, "/v1/push", body, len, &r2));
	TEST_EQ(r2.status, 200);
	TEST_ERR(tresp_verify(&r2, &n, spub));
	TEST_EQ(r2.len, r.len);
	TEST_MEM(r2.body, r.body, r.len);
	tresp_clear(&r2);
	/* same key, other content: conflict and an alert */
	push_body(1, 3, 2, &body2, &len2);
	TEST_ERR(tnode_do(f.port, &n, "/v1/push", body2, len2, &r2));
	TEST_EQ(r2.status, 409);
	TEST_EQ(tresp_code(&r2, NULL), WERR_CONFLICT);
	tresp_clear(&r2);
	free(body2);
	body2 = NULL;
	/* a gap */
	push_body(6, 7, 0, &body2, &len2);
	TEST_ERR(tnode_do(f.port, &n, "/v1/push", body2, len2, &r2));
	TEST_EQ(r2.status, 409);
	TEST_EQ(tresp_code(&r2, &detail), WERR_GAP);
	TEST_EQ(detail, 3);
	tresp_clear(&r2);
	free(body2);
	body2 = NULL;
	/* overlap 2..5 after a lost ack: 2 duplicates, 2 new */
	push_body(2, 5, 0, &body2, &len2);
	TEST_ERR(tnode_do(f.port, &n, "/v1/push", body2, len2, &r2));
	TEST_EQ(r2.status, 200);
	TEST_ERR(ack_of(&r2, &hw, &acc, &dups));
	TEST_EQ(hw, 5);
	TEST_EQ(acc, 2);
	TEST_EQ(dups, 2);
	tresp_clear(&r2);
	free(body2);
	body2 = NULL;
	/* overlap whose stored part differs: conflict */
	push_body(4, 6, 4, &body2, &len2);
	TEST_ERR(tnode_do(f.port, &n, "/v1/push", body2, len2, &r2));
	TEST_EQ(r2.status, 409);
	TEST_EQ(tresp_code(&r2, NULL), WERR_CONFLICT);
	tresp_clear(&r2);
	TEST_ERR(f.srv.be->stats(f.srv.store, &st));
	TEST_EQ(st.nentities, 1);
	TEST_EQ(st.entities[0].records, 5);
	TEST_EQ(st.alerts, 2);
	TEST_EQ(st.nodes[0].hw, 5);
	TEST_EQ(st.nodes[0].outbox_last, 10);
out:
	sstats_clear(&st);
	free(body);
	free(body2);
	tresp_clear(&r);
	tresp_clear(&r2);
	fix_stop(&f);
	return err;
}

static int
test_auth_errors(void)
{
	struct fix f;
	struct tresp r;
	struct tnode n, bad;
	uint8_t *body = NULL;
	uint64_t detail;
	size_t len;
	int err = 0;

	memset(&r, 0, sizeof(r));
	make_ids();
	TEST_ERR(fix_start(&f));
	TEST_ERR(fix_node(&f, "north", &n, NULL));
	push_body(1, 1, 0, &body, &len);
	/* no headers */
	TEST_ERR(http_do(f.port, "POST", "/v1/push", NULL, body, len, &r));
	TEST_EQ(r.status, 401);
	TEST_EQ(tresp_code(&r, NULL), WERR_BAD_SIGNATURE);
	tresp_clear(&r);
	/* signed by another key */
	bad = n;
	crypto_ed25519_keygen(bad.priv, bad.pub);
	TEST_ERR(tnode_do(f.port, &bad, "/v1/push", body, len, &r));
	TEST_EQ(r.status, 401);
	TEST_EQ(tresp_code(&r, NULL), WERR_BAD_SIGNATURE);
	tresp_clear(&r);
	/* unknown node */
	bad = n;
	bad.id = 99;
	TEST_ERR(tnode_do(f.port, &bad, "/v1/push", body, len, &r));
	TEST_EQ(r.status, 401);
	TEST_EQ(tresp_code(&r, NULL), WERR_UNKNOWN_NODE);
	tresp_clear(&r);
	/* good, then the same sequence replayed */
	n.seq = 41;
	TEST_ERR(tnode_do(f.port, &n, "/v1/push", body, len, &r));
	TEST_EQ(r.status, 200);
	tresp_clear(&r);
	n.seq = 41;
	TEST_ERR(tnode_do(f.port, &n, "/v1/push", body, len, &r));
	TEST_EQ(r.status, 401);
	TEST_EQ(tresp_code(&r, &detail), WERR_STALE_REQUEST);
	TEST_EQ(detail, 42);
	tresp_clear(&r);
	/* a node clock ten years ahead is refused (clock_ahead, the
	 * sequence unused); twenty hours ahead, or ten years behind: accepted */
	n.seq = 100;
	n.hlc = HLC_MAKE(hlc_wall_ms() + 3650ULL * 86400 * 1000, 0);
	TEST_ERR(tnode_do(f.port, &n, "/v1/push", body, len, &r));
	TEST_EQ(r.status, 400);
	TEST_EQ(tresp_code(&r, NULL), WERR_CLOCK_AHEAD);
	tresp_clear(&r);
	n.seq = 100;
	n.hlc = HLC_MAKE(hlc_wall_ms() + 20ULL * 3600 * 1000, 0);
	TEST_ERR(tnode_do(f.port, &n, "/v1/push", body, len, &r));
	TEST_EQ(r.status, 200);
	tresp_clear(&r);
	n.hlc = HLC_MAKE(hlc_wall_ms() - 3650ULL * 86400 * 1000, 0);
	TEST_ERR(tnode_do(f.port, &n, "/v1/push", body, len, &r));
	TEST_EQ(r.status, 200);
	tresp_clear(&r);
	/* revoked */
	TEST_ERR(f.srv.be->node_revoke(f.srv.store, n.id));
	TEST_ERR(tnode_do(f.port, &n, "/v1/push", body, len, &r));
	TEST_EQ(r.status, 403);
	TEST_EQ(tresp_code(&r, NULL), WERR_REVOKED);
	tresp_clear(&r);
	/* still serving */
	TEST_ERR(http_do(f.port, "GET", "/v1/health", NULL, NULL, 0, &r));
	TEST_EQ(r.status, 200);
out:
	free(body);
	tresp_clear(&r);
	fix_stop(&f);
	return err;
}

static int
expect_bad(struct fix *f, struct tnode *n, const char *path, const void *body,
    size_t len, unsigned status, uint64_t code)
{
	struct tresp r;
	int err = 0;

	memset(&r, 0, sizeof(r));
	TEST_ERR(tnode_do(f->port, n, path, body, len, &r));
	if (r.status != status || tresp_code(&r, NULL) != code)
		TEST_FAILED("body of %zu bytes to %s: %u/%llu, want %u/%llu",
		    len, path, r.status,
		    (unsigned long long)tresp_code(&r, NULL), status,
		    (unsigned long long)code);
out:
	tresp_clear(&r);
	return err;
}

static int
test_bad_input(void)
{
	struct fix f;
	struct tresp r;
	struct tnode n;
	cbor_item_t *m;
	uint8_t *good = NULL, *b = NULL, *big = NULL;
	size_t glen, blen, cut;
	int err = 0;

	memset(&r, 0, sizeof(r));
	make_ids();
	TEST_ERR(fix_start(&f));
	TEST_ERR(fix_node(&f, "north", &n, NULL));
	push_body(1, 2, 0, &good, &glen);
	/* not CBOR, empty, truncated at every offset, trailing bytes */
	TEST_ERR(expect_bad(&f, &n, "/v1/push", "hello", 5, 400, 1));
	TEST_ERR(expect_bad(&f, &n, "/v1/push", "", 0, 400, 1));
	for (cut = 1; cut < glen; cut += 7)
		TEST_ERR(expect_bad(&f, &n, "/v1/push", good, cut, 400, 1));
	b = xmalloc(glen + 1);
	memcpy(b, good, glen);
	b[glen] = 0x00;
	TEST_ERR(expect_bad(&f, &n, "/v1/push", b, glen + 1, 400, 1));
	free(b);
	b = NULL;
	/* wrong types: first as text; count does not match the range */
	m = cborx_map(3);
	cborx_map_put(m, 1, cborx_text("1"));
	cborx_map_put(m, 2, cborx_uint(1));
	cborx_map_put(m, 3, cborx_array(0));
	TEST_ERR(cborx_encode(m, &b, &blen));
	cbor_decref(&m);
	TEST_ERR(expect_bad(&f, &n, "/v1/push", b, blen, 400, 1));
	free(b);
	b = NULL;
	push_body(1, 2, 0, &b, &blen);
	b[2] = 0x05; /* {1: 1, 2: 5, ...} with two changes */
	TEST_ERR(expect_bad(&f, &n, "/v1/push", b, blen, 400, 1));
	free(b);
	b = NULL;
	/* tags and indefinite lengths are not part of the protocol */
	TEST_ERR(expect_bad(&f, &n, "/v1/push", "\xc1\xa0", 2, 400, 1));
	TEST_ERR(expect_bad(&f, &n, "/v1/push", "\xbf\xff", 2, 400, 1));
	TEST_ERR(expect_bad(
	    &f, &n, "/v1/pull", "\xa1\x01\x44\xc1\x82\x01\x00", 7, 400, 1));
	/* an array instead of a map */
	TEST_ERR(expect_bad(&f, &n, "/v1/push", "\x82\x01\x02", 3, 400, 1));
	TEST_ERR(expect_bad(&f, &n, "/v1/pull", "\x82\x01\x02", 3, 400, 1));
	/* a cursor that is not ours, and one from another era */
	TEST_ERR(expect_bad(
	    &f, &n, "/v1/pull", "\xa1\x01\x43\x01\x02\x03", 6, 400, 1));
	TEST_ERR(expect_bad(
	    &f, &n, "/v1/pull", "\xa1\x01\x43\x82\x01\x00", 6, 410, 14));
	/* oversize: announced, then over the push limit */
	big = xcalloc(1, 1024 * 1024 + 10);
	TEST_ERR(expect_bad(&f, &n, "/v1/push", big, 1024 * 1024 + 10, 413, 2));
	TEST_ERR(expect_bad(&f, &n, "/v1/pull", big, 4096 + PULL_ALSO_MAX + 1,
	    413, 2)); /* with companions */
	/* unknown route, wrong method */
	TEST_ERR(http_do(f.port, "GET", "/v1/nothing", NULL, NULL, 0, &r));
	TEST_EQ(r.status, 404);
	TEST_EQ(tresp_code(&r, NULL), WERR_NOT_FOUND);
	tresp_clear(&r);
	TEST_ERR(http_do(f.port, "GET", "/v1/push", NULL, NULL, 0, &r));
	TEST_EQ(r.status, 405);
	TEST_EQ(tresp_code(&r, NULL), WERR_METHOD);
	tresp_clear(&r);
	/* raw garbage instead of HTTP */
	{
		struct buf raw;

		static const char junk[] = "\x16\x03\x01 garbage\r\n\r\n";

		TEST_ERR(http_raw(f.port, junk, sizeof(junk) - 1, &raw));
		buf_free(&raw);
	}
	/* and the good batch still goes through */
	TEST_ERR(tnode_do(f.port, &n, "/v1/push", good, glen, &r));
	TEST_EQ(r.status, 200);
out:
	free(good);
	free(b);
	free(big);
	tresp_clear(&r);
	fix_stop(&f);
	return err;
}

/* Pull everything for N with pages of MAX; counts and checks origin. */
static int
pull_all(struct fix *f, struct tnode *n, uint64_t max, size_t *count,
    size_t *pages, uint64_t not_origin)
{
	struct tresp r;
	cbor_item_t *req, *it = NULL, *arr, *more;
	uint8_t *body = NULL, *cursor = NULL;
	const uint8_t *cp;
	size_t len, clen = 0, i;
	uint64_t origin;
	int err = 0, again = 1;

	memset(&r, 0, sizeof(r));
	*count = *pages = 0;
	while (again) {
		req = cborx_map(2);
		cborx_map_put(
		    req, 1, cborx_bytes(cursor ? cursor : (uint8_t *)"", clen));
		cborx_map_put(req, 2, cborx_uint(max));
		TEST_ERR(cborx_encode(req, &body, &len));
		cbor_decref(&req);
		TEST_ERR(tnode_do(f->port, n, "/v1/pull", body, len, &r));
		free(body);
		body = NULL;
		TEST_EQ(r.status, 200);
		TEST_ERR(cborx_decode(r.body, r.len, r.len, &it));
		arr = cborx_map_get(it, 1);
		TEST_TRUE(arr != NULL && cbor_isa_array(arr));
		for (i = 0; i < cbor_array_size(arr); i++) {
			TEST_ERR(cborx_get_uint(
			    cbor_array_handle(cbor_array_handle(arr)[i])[4],
			    &origin));
			TEST_TRUE(origin != not_origin);
		}
		*count += cbor_array_size(arr);
		(*pages)++;
		TEST_ERR(cborx_map_bytes(it, 2, 64, &cp, &clen));
		free(cursor);
		cursor = xmemdup(cp, clen);
		more = cborx_map_get(it, 3);
		TEST_TRUE(more != NULL && cbor_is_bool(more));
		again = cbor_get_bool(more);
		cbor_decref(&it);
		tresp_clear(&r);
		TEST_TRUE(*pages < 100);
	}
out:
	if (it != NULL)
		cbor_decref(&it);
	free(body);
	free(cursor);
	tresp_clear(&r);
	return err;
}

/*
 * A server with lower limits announces them at enrolment and holds nodes
 * to them: a push over its change limit is too_large, a pull asking for
 * more than its page gets its page.
 */
static int
test_limits(void)
{
	struct fix f;
	struct tresp r;
	struct tnode a, b;
	cbor_item_t *it = NULL, *set;
	uint8_t *body = NULL;
	char token[33];
	size_t len, count, pages;
	uint64_t v;
	int err = 0;

	memset(&r, 0, sizeof(r));
	make_ids();
	TEST_ERR(fix_start(&f));
	f.srv.push_max_changes = 5;
	f.srv.pull_max = 3;
	/* the enrolment answer carries them */
	crypto_ed25519_keygen(a.priv, a.pub);
	TEST_ERR(fix_token(&f, "north", token));
	TEST_ERR(enroll_body(token, a.pub, &body, &len));
	TEST_ERR(
	    http_do(f.port, "POST", PROTO_PATH_ENROLL, NULL, body, len, &r));
	TEST_EQ(r.status, 200);
	TEST_ERR(cborx_decode(r.body, r.len, r.len, &it));
	set = cborx_map_get(it, ENROLLED_K_SETTINGS);
	TEST_TRUE(set != NULL && cbor_isa_map(set));
	TEST_ERR(cborx_map_uint(set, SETTINGS_K_PUSH_BYTES, &v));
	TEST_EQ(v, PROTO_PUSH_MAX_BYTES);
	TEST_ERR(cborx_map_uint(set, SETTINGS_K_PUSH_CHANGES, &v));
	TEST_EQ(v, 5);
	TEST_ERR(cborx_map_uint(set, SETTINGS_K_PULL_PAGE, &v));
	TEST_EQ(v, 3);
	cbor_decref(&it);
	tresp_clear(&r);
	free(body);
	body = NULL;
	TEST_ERR(fix_node(&f, "north", &a, NULL));
	TEST_ERR(fix_node(&f, "north", &b, NULL));
	/* six changes are one too many; five go */
	push_body(1, 6, 0, &body, &len);
	TEST_ERR(tnode_do(f.port, &a, PROTO_PATH_PUSH, body, len, &r));
	TEST_EQ(r.status, 413);
	TEST_EQ(tresp_code(&r, NULL), WERR_TOO_LARGE);
	tresp_clear(&r);
	free(body);
	push_body(1, 5, 0, &body, &len);
	TEST_ERR(tnode_do(f.port, &a, PROTO_PATH_PUSH, body, len, &r));
	TEST_EQ(r.status, 200);
	tresp_clear(&r);
	/* asking for 100 a page gets 3 */
	TEST_ERR(pull_all(&f, &b, 100, &count, &pages, b.id));
	TEST_EQ(count, 5);
	TEST_EQ(pages, 2);
out:
	if (it != NULL)
		cbor_decref(&it);
	free(body);
	tresp_clear(&r);
	fix_stop(&f);
	return err;
}

static int
test_pull_scope(void)
{
	struct fix f;
	struct tresp r;
	struct tnode a, b, c;
	uint8_t *body = NULL;
	size_t len, count, pages;
	int err = 0;

	memset(&r, 0, sizeof(r));
	make_ids();
	TEST_ERR(fix_start(&f));
	TEST_ERR(fix_node(&f, "north", &a, NULL));
	TEST_ERR(fix_node(&f, "north", &b, NULL));
	TEST_ERR(fix_node(&f, "south", &c, NULL));
	push_body(1, 7, 0, &body, &len);
	TEST_ERR(tnode_do(f.port, &a, "/v1/push", body, len, &r));
	TEST_EQ(r.status, 200);
	tresp_clear(&r);
	/* b (same region) gets a's 7 changes, in pages of 3 */
	TEST_ERR(pull_all(&f, &b, 3, &count, &pages, b.id));
	TEST_EQ(count, 7);
	TEST_EQ(pages, 3);
	/* a gets none of its own, c (other region) nothing */
	TEST_ERR(pull_all(&f, &a, 100, &count, &pages, a.id));
	TEST_EQ(count, 0);
	TEST_ERR(pull_all(&f, &c, 100, &count, &pages, c.id));
	TEST_EQ(count, 0);
out:
	free(body);
	tresp_clear(&r);
	fix_stop(&f);
	return err;
}

static int
test_blob_resume(void)
{
	struct fix f;
	struct tresp r;
	struct tnode n;
	cbor_item_t *m, *it = NULL;
	uint8_t data[5000], hash[32], *body = NULL;
	uint64_t held = 0;
	size_t len;
	int err = 0, step;
	struct stat st;
	char *path = NULL, *hex = NULL;

	memset(&r, 0, sizeof(r));
	crypto_random(data, sizeof(data));
	crypto_sha256(data, sizeof(data), hash);
	TEST_ERR(fix_start(&f));
	TEST_ERR(fix_node(&f, "north", &n, NULL));
	/* chunk 0..2000, then a wrong offset, then an empty probe, then rest */
	for (step = 0; step < 4; step++) {
		static const size_t off[] = { 0, 3000, 0, 2000 };
		static const size_t cl[] = { 2000, 100, 0, 3000 };
		static const uint64_t want[] = { 2000, 2000, 2000, 5000 };

		m = cborx_map(4);
		cborx_map_put(m, 1, cborx_bytes(hash, 32));
		cborx_map_put(m, 2, cborx_uint(sizeof(data)));
		cborx_map_put(m, 3, cborx_uint(off[step]));
		cborx_map_put(m, 4, cborx_bytes(data + off[step], cl[step]));
		TEST_ERR(cborx_encode(m, &body, &len));
		cbor_decref(&m);
		TEST_ERR(tnode_do(f.port, &n, "/v1/blob", body, len, &r));
		free(body);
		body = NULL;
		TEST_EQ(r.status, 200);
		TEST_ERR(cborx_decode(r.body, r.len, r.len, &it));
		TEST_ERR(cborx_map_uint(it, 1, &held));
		cbor_decref(&it);
		TEST_EQ(held, want[step]);
		tresp_clear(&r);
	}
	/* held by the server for this node; not named by its hash */
	TEST_ERR(f.srv.be->blob_owned(f.srv.store, n.id, hash, &held));
	TEST_EQ(held, sizeof(data));
	hex = hex_encode(hash, 32);
	xasprintf(&path, "%s/blobs/%s", f.dir, hex);
	TEST_TRUE(stat(path, &st) != 0);
out:
	if (it != NULL)
		cbor_decref(&it);
	free(body);
	free(path);
	free(hex);
	tresp_clear(&r);
	fix_stop(&f);
	return err;
}

/* Deflated request bodies: accepted, bounded (a bomb is too_large), and a
 * broken stream is bad_request.  The signature covers the inflated body. */
static int
deflated_do(struct fix *f, struct tnode *n, const uint8_t *plain, size_t plen,
    const uint8_t *sent, size_t slen, struct tresp *r)
{
	uint8_t sig[CRYPTO_SIG_LEN];
	char *msg, *hex, hdr[600];

	n->seq++;
	msg = auth_req_message(
	    "POST", "/v1/push", n->id, n->seq, n->hlc, plain, plen);
	crypto_ed25519_sign(n->priv, msg, strlen(msg), sig);
	free(msg);
	hex = hex_encode(sig, sizeof(sig));
	snprintf(hdr, sizeof(hdr),
	    "Content-Encoding: deflate\r\nAccept-Encoding: deflate\r\n"
	    "X-Outpost-Node: %" PRIu64 "\r\nX-Outpost-Seq: %" PRIu64
	    "\r\nX-Outpost-HLC: %" PRIu64 "\r\nX-Outpost-Sig: %s\r\n",
	    n->id, n->seq, n->hlc, hex);
	free(hex);
	return http_do(f->port, "POST", "/v1/push", hdr, sent, slen, r);
}

static int
test_deflate(void)
{
	struct fix f;
	struct tresp r;
	struct tnode n;
	uint8_t *body = NULL, *z = NULL, *zeros = NULL;
	uLongf zlen;
	size_t len;
	int err = 0;

	memset(&r, 0, sizeof(r));
	make_ids();
	TEST_ERR(fix_start(&f));
	TEST_ERR(fix_node(&f, "north", &n, NULL));
	push_body(1, 20, 0, &body, &len);
	zlen = compressBound(len);
	z = xmalloc(zlen);
	TEST_EQ(compress2(z, &zlen, body, len, 6), Z_OK);
	TEST_TRUE(zlen < len);
	TEST_ERR(deflated_do(&f, &n, body, len, z, zlen, &r));
	TEST_EQ(r.status, 200);
	tresp_clear(&r);
	/* a truncated stream */
	TEST_ERR(deflated_do(&f, &n, body, len, z, zlen / 2, &r));
	TEST_EQ(r.status, 400);
	TEST_EQ(tresp_code(&r, NULL), WERR_BAD_REQUEST);
	tresp_clear(&r);
	free(z);
	/* 8 MiB of zeros deflate to ~8 KiB: refused at the 1 MiB bound */
	zeros = xcalloc(1, 8 << 20);
	zlen = compressBound(8 << 20);
	z = xmalloc(zlen);
	TEST_EQ(compress2(z, &zlen, zeros, 8 << 20, 9), Z_OK);
	TEST_ERR(deflated_do(&f, &n, zeros, 8 << 20, z, zlen, &r));
	TEST_EQ(r.status, 413);
	TEST_EQ(tresp_code(&r, NULL), WERR_TOO_LARGE);
out:
	free(body);
	free(z);
	free(zeros);
	tresp_clear(&r);
	fix_stop(&f);
	return err;
}

static int
tcp_open(unsigned port)
{
	struct sockaddr_in sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Wait up to MS for FD to be closed by the peer: 1 closed, 0 still open. */
static int
closed_within(int fd, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	char c;

	if (poll(&p, 1, ms) <= 0)
		return 0;
	return recv(fd, &c, 1, MSG_DONTWAIT) <= 0;
}

/* A client that starts a request and goes silent is dropped after the
 * timeout, while others are served meanwhile. */
static int
test_slow_client_dropped(void)
{
	static const char part[] = "POST /v1/push HTTP/1.1\r\nHost: x\r\n";
	struct fix f;
	struct tresp r;
	int fd = -1, err = 0;

	memset(&r, 0, sizeof(r));
	TEST_ERR(fix_start_cfg(&f, 2, 64));
	TEST_TRUE((fd = tcp_open(f.port)) != -1);
	TEST_EQ(send(fd, part, sizeof(part) - 1, MSG_NOSIGNAL),
	    (long long)(sizeof(part) - 1));
	TEST_EQ(closed_within(fd, 100), 0); /* not yet */
	TEST_ERR(http_do(f.port, "GET", "/v1/health", NULL, NULL, 0, &r));
	TEST_EQ(r.status, 200);
	TEST_EQ(closed_within(fd, 10000), 1); /* dropped */
out:
	if (fd != -1)
		close(fd);
	tresp_clear(&r);
	fix_stop(&f);
	return err;
}

/* Connections per client address are limited; the others stay served. */
/* Send a push's headers announcing a 1 MiB body as NODE with SEQ, and no
 * body: the answer must come from the headers alone.  Its error code, or
 * 0 when the server waited for the body (no answer). */
static uint64_t
headers_only(unsigned port, uint64_t node, uint64_t seq)
{
	struct buf req, raw;
	struct tresp r;
	uint64_t code = 0;

	memset(&r, 0, sizeof(r));
	buf_init(&req, 4096);
	buf_printf(&req,
	    "POST /v1/push HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n"
	    "X-Outpost-Node: %" PRIu64 "\r\nX-Outpost-Seq: %" PRIu64
	    "\r\nX-Outpost-HLC: 1\r\nX-Outpost-Sig: %0128d\r\n\r\n",
	    node, seq, 0);
	if (http_raw(port, req.data, req.len, &raw) == 0 &&
	    http_parse(&raw, &r) == 0)
		code = tresp_code(&r, NULL);
	buf_free(&raw);
	buf_free(&req);
	tresp_clear(&r);
	return code;
}

/* Issue 9, item 5: an unknown node, a revoked one or a used sequence is
 * refused from the headers, before any of the body is read. */
static int
test_headers_before_body(void)
{
	struct fix f;
	struct tnode n;
	uint8_t spub[32];
	int err = 0;

	TEST_ERR(fix_start(&f));
	TEST_ERR(fix_node(&f, "north", &n, spub));
	TEST_EQ(headers_only(f.port, n.id + 1000, 5), WERR_UNKNOWN_NODE);
	TEST_EQ(headers_only(f.port, n.id, 0), WERR_STALE_REQUEST);
	TEST_ERR(f.srv.be->node_revoke(f.srv.store, n.id));
	TEST_EQ(headers_only(f.port, n.id, 5), WERR_REVOKED);
out:
	fix_stop(&f);
	return err;
}

static int
test_per_ip_limit(void)
{
	struct fix f;
	struct tresp r;
	int fds[5], i, err = 0;

	memset(&r, 0, sizeof(r));
	for (i = 0; i < 5; i++)
		fds[i] = -1;
	TEST_ERR(fix_start_cfg(&f, 5, 4));
	for (i = 0; i < 4; i++) {
		TEST_TRUE((fds[i] = tcp_open(f.port)) != -1);
		usleep(20000); /* in this order */
	}
	/* Four connections from one address wait for their headers for
	 * over a second: a fifth is let in and the oldest is cut instead
	 * (so a slow client cannot lock out the others behind its address;
	 * sync-server/guard.c). */
	usleep(1100000);
	TEST_TRUE((fds[4] = tcp_open(f.port)) != -1);
	TEST_EQ(closed_within(fds[0], 2000), 1);
	for (i = 1; i < 5; i++) {
		TEST_EQ(closed_within(fds[i], 10), 0);
		close(fds[i]);
		fds[i] = -1;
	}
	usleep(200000);
	TEST_ERR(http_do(f.port, "GET", "/v1/health", NULL, NULL, 0, &r));
	TEST_EQ(r.status, 200);
out:
	for (i = 0; i < 5; i++)
		if (fds[i] != -1)
			close(fds[i]);
	tresp_clear(&r);
	fix_stop(&f);
	return err;
}

/* POST /v1/consults/queue (docs/PROTOCOL.md §9): signed, for clinic and
 * hub nodes; an empty queue answers an empty list and no expected wait;
 * an admin node is refused; an unsigned request too. */
static int
test_consult_queue(void)
{
	static const uint8_t empty[] = { 0xa0 };
	struct fix f;
	struct tresp r;
	struct tnode c, h, a;
	cbor_item_t *it = NULL, *arr;
	uint64_t waiting = 99, wait;
	int err = 0;

	memset(&r, 0, sizeof(r));
	TEST_ERR(fix_start(&f));
	TEST_ERR(fix_node_as(&f, "north", "clinic", "fac-1", &c, NULL));
	TEST_ERR(fix_node_as(&f, "north", "hub", "hub-1", &h, NULL));
	TEST_ERR(fix_node_as(&f, "north", "admin", "reg", &a, NULL));
	TEST_ERR(tnode_do(
	    f.port, &h, "/v1/consults/queue", empty, sizeof(empty), &r));
	TEST_EQ(r.status, 200);
	TEST_ERR(cborx_decode(r.body, r.len, r.len, &it));
	arr = cborx_map_get(it, QUEUE_K_ITEMS);
	TEST_TRUE(
	    arr != NULL && cbor_isa_array(arr) && cbor_array_size(arr) == 0);
	TEST_ERR(cborx_map_uint(it, QUEUE_K_LENGTH, &waiting));
	TEST_EQ(waiting, 0);
	TEST_TRUE(cborx_map_uint(it, QUEUE_K_WAIT_MS, &wait) != 0);
	cbor_decref(&it);
	tresp_clear(&r);
	TEST_ERR(tnode_do(
	    f.port, &c, "/v1/consults/queue", empty, sizeof(empty), &r));
	TEST_EQ(r.status, 200);
	tresp_clear(&r);
	TEST_ERR(tnode_do(
	    f.port, &a, "/v1/consults/queue", empty, sizeof(empty), &r));
	TEST_EQ(r.status, 403);
	TEST_EQ(tresp_code(&r, NULL), WERR_FORBIDDEN);
	tresp_clear(&r);
	TEST_ERR(http_do(f.port, "POST", "/v1/consults/queue", NULL, empty,
	    sizeof(empty), &r));
	TEST_EQ(r.status, 401);
out:
	if (it != NULL)
		cbor_decref(&it);
	tresp_clear(&r);
	fix_stop(&f);
	return err;
}

/* POST /v1/admin/figures (issue 17, docs/PROTOCOL.md §12): admin nodes
 * only (clinic and hub nodes refused with not_admin), the figures of the
 * node's own region and no other (a south admin sees none of north's
 * kiosks), an unsigned request refused. */
static int
test_admin_figures(void)
{
	static const uint8_t empty[] = { 0xa0 };
	struct fix f;
	struct tresp r;
	struct tnode c, h, a, s;
	struct figures fg;
	size_t i;
	int err = 0;

	memset(&r, 0, sizeof(r));
	memset(&fg, 0, sizeof(fg));
	TEST_ERR(fix_start(&f));
	TEST_ERR(fix_node_as(&f, "north", "clinic", "fac-1", &c, NULL));
	TEST_ERR(fix_node_as(&f, "north", "hub", "hub-1", &h, NULL));
	TEST_ERR(fix_node_as(&f, "north", "admin", "reg", &a, NULL));
	TEST_ERR(fix_node_as(&f, "south", "admin", "reg-s", &s, NULL));
	TEST_ERR(tnode_do(
	    f.port, &c, PROTO_PATH_ADMIN_FIGURES, empty, sizeof(empty), &r));
	TEST_EQ(r.status, 403);
	TEST_EQ(tresp_code(&r, NULL), WERR_NOT_ADMIN);
	tresp_clear(&r);
	TEST_ERR(tnode_do(
	    f.port, &h, PROTO_PATH_ADMIN_FIGURES, empty, sizeof(empty), &r));
	TEST_EQ(r.status, 403);
	TEST_EQ(tresp_code(&r, NULL), WERR_NOT_ADMIN);
	tresp_clear(&r);
	TEST_ERR(tnode_do(
	    f.port, &a, PROTO_PATH_ADMIN_FIGURES, empty, sizeof(empty), &r));
	TEST_EQ(r.status, 200);
	TEST_ERR(figures_from_cbor(r.body, r.len, &fg));
	TEST_STR(fg.region, "north");
	TEST_EQ(fg.nkiosks, 3);
	TEST_EQ(fg.nfacs, 3);
	for (i = 0; i < fg.nkiosks; i++)
		TEST_TRUE(fg.kiosks[i].node == c.id ||
		    fg.kiosks[i].node == h.id || fg.kiosks[i].node == a.id);
	TEST_EQ(fg.claims.available, 1); /* the table exists: none yet */
	TEST_EQ(fg.claims.n, 0);
	figures_clear(&fg);
	tresp_clear(&r);
	TEST_ERR(tnode_do(
	    f.port, &s, PROTO_PATH_ADMIN_FIGURES, empty, sizeof(empty), &r));
	TEST_EQ(r.status, 200);
	TEST_ERR(figures_from_cbor(r.body, r.len, &fg));
	TEST_STR(fg.region, "south");
	TEST_EQ(fg.nkiosks, 1);
	TEST_EQ(fg.kiosks[0].node, s.id);
	tresp_clear(&r);
	TEST_ERR(http_do(f.port, "POST", PROTO_PATH_ADMIN_FIGURES, NULL, empty,
	    sizeof(empty), &r));
	TEST_EQ(r.status, 401);
out:
	figures_clear(&fg);
	tresp_clear(&r);
	fix_stop(&f);
	return err;
}

TEST_MAIN({ "health", test_health }, { "enroll", test_enroll },
    { "push_exactly_once", test_push_exactly_once },
    { "push_lost_answer_outbox_grows", test_push_lost_answer_outbox_grows },
    { "auth_errors", test_auth_errors }, { "bad_input", test_bad_input },
    { "pull_scope", test_pull_scope }, { "limits", test_limits },
    { "blob_resume", test_blob_resume }, { "deflate", test_deflate },
    { "slow_client_dropped", test_slow_client_dropped },
    { "per_ip_limit", test_per_ip_limit },
    { "headers_before_body", test_headers_before_body },
    { "consult_queue", test_consult_queue },
    { "admin_figures", test_admin_figures })
