/*
 * Concurrency on the real daemon: several nodes push at once (their
 * requests share group commits), with re-sent and conflicting batches
 * mixed in, while another node of the region pulls in small pages the
 * whole time.  Every accepted change is stored once, a refused batch
 * undoes only itself, and the puller sees every change exactly once: the
 * pull cursor never passes a change that commits late
 * (docs/PROTOCOL.md §5.1, research/scale.md §1).
 */
#define LOG_MODULE "test_sync_concurrency"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cborx.h"
#include "client.h"
#include "fixture.h"
#include "record.h"
#include "test.h"
#include "uuid.h"
#include "xmalloc.h"

#define PUSHERS 6
#define BATCHES 30
#define PER_BATCH 5

struct pusher {
	struct fix *f;
	struct tnode n;
	uint64_t accepted, conflicts, failures;
};

static volatile int pushers_done;

static void
build(uint64_t first, int variant, struct uuid *ids, uint8_t **out, size_t *len)
{
	cbor_item_t *m = cborx_map(3), *arr = cborx_array(PER_BATCH), *c, *b;
	uint8_t *body;
	size_t blen;
	int i;

	for (i = 0; i < PER_BATCH; i++) {
		b = cborx_map(3);
		cborx_map_put(b, REC_K_ID, cborx_bytes(ids[i].b, 16));
		cborx_map_put(b, REC_OBS_LOINC, cborx_text("8867-4"));
		cborx_map_put(b, REC_OBS_VALUE, cborx_double(70 + variant));
		if (cborx_encode(b, &body, &blen) != 0)
			abort();
		cbor_decref(&b);
		c = cborx_array(5);
		cborx_array_push(c, cborx_uint(first + (uint64_t)i));
		cborx_array_push(c, cborx_uint(REC_OBSERVATION));
		cborx_array_push(c, cborx_bytes(ids[i].b, 16));
		cborx_array_push(c, cborx_uint(first + (uint64_t)i));
		cborx_array_push(c, cborx_bytes(body, blen));
		free(body);
		cborx_array_push(arr, c);
	}
	cborx_map_put(m, 1, cborx_uint(first));
	cborx_map_put(m, 2, cborx_uint(first + PER_BATCH - 1));
	cborx_map_put(m, 3, arr);
	if (cborx_encode(m, out, len) != 0)
		abort();
	cbor_decref(&m);
}

static void *
push_run(void *arg)
{
	struct pusher *p = arg;
	struct uuid ids[PER_BATCH];
	struct tresp r;
	uint8_t *body, *bad;
	size_t len, blen;
	uint64_t first;
	int b, i;

	for (b = 0; b < BATCHES; b++) {
		first = 1 + (uint64_t)b * PER_BATCH;
		for (i = 0; i < PER_BATCH; i++)
			uuid_v7(&ids[i]);
		build(first, 0, ids, &body, &len);
		if (tnode_do(p->f->port, &p->n, "/v1/push", body, len, &r) ||
		    r.status != 200)
			p->failures++;
		else
			p->accepted += PER_BATCH;
		tresp_clear(&r);
		if (b % 4 == 1) { /* the same batch again: no change */
			if (tnode_do(
			        p->f->port, &p->n, "/v1/push", body, len, &r) ||
			    r.status != 200)
				p->failures++;
			tresp_clear(&r);
		}
		if (b % 5 == 2) { /* same key, other content: refused */
			build(first, 1, ids, &bad, &blen);
			if (tnode_do(p->f->port, &p->n, "/v1/push", bad, blen,
			        &r) == 0 &&
			    r.status == 409)
				p->conflicts++;
			else
				p->failures++;
			tresp_clear(&r);
			free(bad);
		}
		free(body);
	}
	return NULL;
}

static int
id_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

/* One pull page; appends the ids seen to *IDS. */
static int
pull_page(struct fix *f, struct tnode *n, uint8_t **cursor, size_t *clen,
    uint8_t **ids, size_t *nids, int *more)
{
	struct tresp r;
	cbor_item_t *req, *it = NULL, *arr;
	uint8_t *body = NULL;
	const uint8_t *p;
	size_t len, i, plen;
	int err = 0;

	memset(&r, 0, sizeof(r));
	req = cborx_map(2);
	cborx_map_put(
	    req, 1, cborx_bytes(*cursor ? *cursor : (uint8_t *)"", *clen));
	cborx_map_put(req, 2, cborx_uint(7));
	TEST_ERR(cborx_encode(req, &body, &len));
	cbor_decref(&req);
	TEST_ERR(tnode_do(f->port, n, "/v1/pull", body, len, &r));
	TEST_EQ(r.status, 200);
	TEST_ERR(cborx_decode(r.body, r.len, r.len, &it));
	arr = cborx_map_get(it, 1);
	TEST_TRUE(arr != NULL && cbor_isa_array(arr));
	*ids = xreallocarray(*ids, *nids + cbor_array_size(arr) + 1, 16);
	for (i = 0; i < cbor_array_size(arr); i++) {
		TEST_ERR(cborx_get_bytes(
		    cbor_array_handle(cbor_array_handle(arr)[i])[1], 16, &p,
		    &plen));
		memcpy(*ids + 16 * (*nids)++, p, 16);
	}
	TEST_ERR(cborx_map_bytes(it, 2, 64, &p, &plen));
	free(*cursor);
	*cursor = xmemdup(p, plen ? plen : 1);
	*clen = plen;
	TEST_ERR(cborx_get_bool(cborx_map_get(it, 3), more));
out:
	if (it != NULL)
		cbor_decref(&it);
	free(body);
	tresp_clear(&r);
	return err;
}

static int
test_concurrent_push_pull(void)
{
	struct fix f;
	struct pusher p[PUSHERS];
	struct tnode reader;
	struct sstats st;
	pthread_t t[PUSHERS];
	uint8_t *ids = NULL, *cursor = NULL;
	uint64_t accepted = 0, conflicts = 0;
	size_t nids = 0, clen = 0, i;
	int err = 0, more, started = 0;

	memset(&st, 0, sizeof(st));
	TEST_ERR(fix_start(&f));
	TEST_ERR(fix_node(&f, "north", &reader, NULL));
	for (i = 0; i < PUSHERS; i++) {
		memset(&p[i], 0, sizeof(p[i]));
		p[i].f = &f;
		TEST_ERR(fix_node(&f, "north", &p[i].n, NULL));
	}
	for (i = 0; i < PUSHERS; i++)
		TEST_EQ(pthread_create(&t[i], NULL, push_run, &p[i]), 0);
	started = 1;
	/* pull while they push; then join and drain */
	for (i = 0; i < 400; i++)
		TEST_ERR(
		    pull_page(&f, &reader, &cursor, &clen, &ids, &nids, &more));
	for (i = 0; i < PUSHERS; i++)
		pthread_join(t[i], NULL);
	started = 0;
	do
		TEST_ERR(
		    pull_page(&f, &reader, &cursor, &clen, &ids, &nids, &more));
	while (more);
	for (i = 0; i < PUSHERS; i++) {
		TEST_EQ(p[i].failures, 0);
		accepted += p[i].accepted;
		conflicts += p[i].conflicts;
	}
	TEST_EQ(accepted, PUSHERS * BATCHES * PER_BATCH);
	TEST_EQ(nids, accepted);
	qsort(ids, nids, 16, id_cmp);
	for (i = 1; i < nids; i++)
		TEST_TRUE(memcmp(ids + 16 * (i - 1), ids + 16 * i, 16) != 0);
	TEST_ERR(f.srv.be->stats(f.srv.store, &st));
	TEST_EQ(st.entities[0].records, accepted);
	TEST_EQ(st.alerts, conflicts);
out:
	if (started)
		for (i = 0; i < PUSHERS; i++)
			pthread_join(t[i], NULL);
	sstats_clear(&st);
	free(ids);
	free(cursor);
	fix_stop(&f);
	return err;
}

TEST_MAIN({ "concurrent_push_pull", test_concurrent_push_pull })
