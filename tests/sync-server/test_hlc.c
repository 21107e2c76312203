/*
 * Issue 9, item 2: one node must not be able to poison the clocks of its
 * region.  A change or a request HLC beyond HLC_MAX_AHEAD_MS of the
 * server's time is refused with clock_ahead and an alert, the server clock
 * unmoved; an enrolment with a bad token leaves the clock alone (also
 * after a restart); a server whose stored clock was poisoned comes back.
 */
#define LOG_MODULE "test_hlc"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cborx.h"
#include "compat.h"
#include "client.h"
#include "fixture.h"
#include "hlc.h"
#include "protocol.h"
#include "record.h"
#include "sync-server/server.h"
#include "test.h"
#include "uuid.h"

#define TEN_YEARS_MS (10ULL * 365 * 24 * 3600 * 1000)

/* A push of one observation stamped HLC. */
static void
push_one(uint64_t seq, uint64_t hlc, uint8_t **out, size_t *len)
{
	cbor_item_t *m = cborx_map(4), *arr = cborx_array(1);
	cbor_item_t *c = cborx_array(5), *body = cborx_map(4);
	struct uuid id;
	uint8_t *b;
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
	if (cborx_encode(m, out, len) != 0)
		abort();
	cbor_decref(&m);
}

static uint64_t
alerts(struct fix *f)
{
	struct sstats st;
	uint64_t n = UINT64_MAX;

	memset(&st, 0, sizeof(st));
	if (f->srv.be->stats(f->srv.store, &st) == 0)
		n = st.alerts;
	sstats_clear(&st);
	return n;
}

/* The server clock's milliseconds, without moving it. */
static uint64_t
clock_ms(struct fix *f)
{
	return HLC_MS(f->srv.hlc.last);
}

static int
refused_push(struct fix *f, struct tnode *n, const uint8_t pub[32],
    uint64_t hlc, uint64_t *hw)
{
	struct tresp r;
	uint8_t *body = NULL;
	size_t len;
	uint64_t a0 = alerts(f), detail;
	int err = 0;

	memset(&r, 0, sizeof(r));
	push_one(*hw + 1, hlc, &body, &len);
	TEST_ERR(tnode_do(f->port, n, "/v1/push", body, len, &r));
	TEST_EQ(r.status, 400);
	TEST_EQ(tresp_code(&r, &detail), WERR_CLOCK_AHEAD);
	TEST_ERR(tresp_verify(&r, n, pub));
	TEST_TRUE(HLC_MS(detail) <= hlc_wall_ms() + 1000);
	TEST_EQ(alerts(f), a0 + 1);
	TEST_TRUE(clock_ms(f) <= hlc_wall_ms() + 1000);
out:
	tresp_clear(&r);
	free(body);
	return err;
}

static int
test_push_ahead_refused(void)
{
	struct fix f;
	struct tnode n;
	struct tresp r;
	uint8_t pub[32], *body = NULL;
	size_t len;
	uint64_t hw = 0, now;
	int err = 0;

	memset(&r, 0, sizeof(r));
	TEST_ERR(fix_start(&f));
	TEST_ERR(fix_node(&f, "r1", &n, pub));
	TEST_ERR(refused_push(&f, &n, pub, INT64_MAX, &hw));
	now = hlc_wall_ms();
	TEST_ERR(
	    refused_push(&f, &n, pub, HLC_MAKE(now + TEN_YEARS_MS, 0), &hw));
	TEST_ERR(refused_push(
	    &f, &n, pub, HLC_MAKE(now + HLC_MAX_AHEAD_MS + 60000, 0), &hw));
	/* An hour ahead is a clock a bit fast: accepted, the seq unused. */
	push_one(1, HLC_MAKE(now + 3600 * 1000, 0), &body, &len);
	TEST_ERR(tnode_do(f.port, &n, "/v1/push", body, len, &r));
	TEST_EQ(r.status, 200);
out:
	tresp_clear(&r);
	free(body);
	fix_stop(&f);
	return err;
}

/* A request HLC header of 2^63-1 (or past 2^63: a kiosk poisoned before
 * the bound) gets a signed clock_ahead with the server clock in detail. */
static int
test_header_ahead_refused(void)
{
	static const uint64_t bad[] = { INT64_MAX, (uint64_t)INT64_MAX + 1,
		UINT64_MAX };
	struct fix f;
	struct tnode n;
	struct tresp r;
	uint8_t pub[32], *body = NULL;
	size_t len, i;
	uint64_t detail, a0, good;
	int err = 0;

	memset(&r, 0, sizeof(r));
	TEST_ERR(fix_start(&f));
	TEST_ERR(fix_node(&f, "r1", &n, pub));
	good = n.hlc;
	push_one(1, good, &body, &len);
	for (i = 0; i < nitems(bad); i++) {
		a0 = alerts(&f);
		n.hlc = bad[i];
		TEST_ERR(tnode_do(f.port, &n, "/v1/push", body, len, &r));
		TEST_EQ(r.status, 400);
		TEST_EQ(tresp_code(&r, &detail), WERR_CLOCK_AHEAD);
		TEST_ERR(tresp_verify(&r, &n, pub));
		TEST_TRUE(HLC_MS(detail) <= hlc_wall_ms() + 1000);
		TEST_EQ(alerts(&f), a0 + 1);
		TEST_TRUE(clock_ms(&f) <= hlc_wall_ms() + 1000);
		tresp_clear(&r);
	}
	/* Clock back: the same batch goes through. */
	n.hlc = good;
	TEST_ERR(tnode_do(f.port, &n, "/v1/push", body, len, &r));
	TEST_EQ(r.status, 200);
out:
	tresp_clear(&r);
	free(body);
	fix_stop(&f);
	return err;
}

static int
enroll_huge(struct fix *f, const char *token, uint64_t hlc, struct tresp *r)
{
	cbor_item_t *m = cborx_map(4);
	uint8_t priv[32], pub[32], *body = NULL;
	size_t len;
	int err;

	crypto_ed25519_keygen(priv, pub);
	cborx_map_put(m, ENROLL_K_TOKEN, cborx_text(token));
	cborx_map_put(m, ENROLL_K_PUB, cborx_bytes(pub, 32));
	cborx_map_put(m, ENROLL_K_LABEL, cborx_text("poisoner"));
	cborx_map_put(m, ENROLL_K_HLC, cborx_uint(hlc));
	if ((err = cborx_encode(m, &body, &len)) == 0)
		err =
		    http_do(f->port, "POST", "/v1/enroll", NULL, body, len, r);
	cbor_decref(&m);
	free(body);
	return err;
}

static int
test_enroll_bad_token_clock(void)
{
	struct fix f;
	struct tresp r;
	char token[33];
	int err = 0;

	memset(&r, 0, sizeof(r));
	TEST_ERR(fix_start(&f));
	TEST_ERR(
	    enroll_huge(&f, "0123456789abcdef0123456789abcdef", INT64_MAX, &r));
	TEST_EQ(r.status, 403);
	TEST_EQ(tresp_code(&r, NULL), WERR_BAD_TOKEN);
	tresp_clear(&r);
	TEST_TRUE(clock_ms(&f) <= hlc_wall_ms() + 1000);
	/* Within the bound, a bad token still moves nothing. */
	TEST_ERR(enroll_huge(&f, "0123456789abcdef0123456789abcdef",
	    HLC_MAKE(hlc_wall_ms() + 12 * 3600 * 1000, 0), &r));
	TEST_EQ(r.status, 403);
	tresp_clear(&r);
	TEST_TRUE(clock_ms(&f) <= hlc_wall_ms() + 1000);
	/* A good token with a poisoned clock enrols, the clock unmoved. */
	TEST_ERR(fix_token(&f, "r1", token));
	TEST_ERR(enroll_huge(&f, token, INT64_MAX, &r));
	TEST_EQ(r.status, 200);
	tresp_clear(&r);
	TEST_TRUE(clock_ms(&f) <= hlc_wall_ms() + 1000);
	/* ... and after a restart. */
	httpd_stop(&f.srv);
	server_close(&f.srv);
	TEST_ERR(server_open(&f.srv, f.dir));
	TEST_TRUE(clock_ms(&f) <= hlc_wall_ms() + 1000);
out:
	tresp_clear(&r);
	fix_stop(&f);
	return err;
}

/* A server whose stored clock was poisoned (before the bound) resets it
 * on open, with an alert. */
static int
test_server_recovers(void)
{
	struct fix f;
	uint64_t a0;
	int err = 0;

	TEST_ERR(fix_start(&f));
	httpd_stop(&f.srv);
	a0 = alerts(&f);
	f.srv.hlc.last = (uint64_t)INT64_MAX + 1;
	server_close(&f.srv);
	TEST_ERR(server_open(&f.srv, f.dir));
	TEST_TRUE(clock_ms(&f) <= hlc_wall_ms() + 1000);
	TEST_TRUE(clock_ms(&f) + 60000 >= hlc_wall_ms());
	TEST_EQ(alerts(&f), a0 + 1);
	/* stays back after another restart */
	server_close(&f.srv);
	TEST_ERR(server_open(&f.srv, f.dir));
	TEST_TRUE(clock_ms(&f) <= hlc_wall_ms() + 1000);
	TEST_EQ(alerts(&f), a0 + 1);
out:
	fix_stop(&f);
	return err;
}

TEST_MAIN({ "push_ahead_refused", test_push_ahead_refused },
    { "header_ahead_refused", test_header_ahead_refused },
    { "enroll_bad_token_clock", test_enroll_bad_token_clock },
    { "server_recovers", test_server_recovers })
