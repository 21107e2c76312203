/*
 * The claim builder behind POST /v1/push (sync-server/api/push.c; issue
 * 15) on a real server on loopback:
 *
 *   push     a clinic's visit and consult request are kept as evidence
 *            with the pushing node; a change the policy refused (an
 *            appointment of a patient another facility registered) is
 *            not, neither at the push nor when the batch is sent again
 *            (the replay reads the refusals from the stored answer)
 *   busy     the builder failing after the push's commit (a store fault
 *            in process) answers 503, so the node sends the batch again:
 *            the replay keeps the evidence, exactly once
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cborx.h"
#include "hlc.h"
#include "model.h"
#include "protocol.h"
#include "record.h"
#include "sync-server/claim_build.h"
#include "sync-server/server.h"
#include "test.h"
#include "uuid.h"
#include "xmalloc.h"
#include "fixture.h"

/* The request body of a batch of N changes from *SEQ + 1. */
static int
batch(uint64_t seq, size_t n, const int *ent, const struct uuid *id,
    struct model_rec *rec, uint8_t **out, size_t *len)
{
	cbor_item_t *m = cborx_map(3), *arr = cborx_array(n), *c, *b;
	uint8_t *bb;
	size_t i, blen;
	int err = 0;

	for (i = 0; i < n && err == 0; i++) {
		if ((err = model_encode(&rec[i], &b)) != 0 ||
		    (err = cborx_encode(b, &bb, &blen)) != 0)
			break;
		cbor_decref(&b);
		c = cborx_array(PUSH_C_COUNT);
		cborx_array_push(c, cborx_uint(seq + 1 + i));
		cborx_array_push(c, cborx_uint((uint64_t)ent[i]));
		cborx_array_push(c, cborx_bytes(id[i].b, 16));
		cborx_array_push(c, cborx_uint(HLC_MAKE(hlc_wall_ms(), i)));
		cborx_array_push(c, cborx_bytes(bb, blen));
		cborx_array_push(arr, c);
		free(bb);
	}
	cborx_map_put(m, PUSH_K_FIRST, cborx_uint(seq + 1));
	cborx_map_put(m, PUSH_K_LAST, cborx_uint(seq + n));
	cborx_map_put(m, PUSH_K_CHANGES, arr);
	if (err == 0)
		err = cborx_encode(m, out, len);
	cbor_decref(&m);
	return err;
}

static void
count_cb(const struct sclaim_ev *e, void *arg)
{
	(void)e;
	(*(int *)arg)++;
}

static int
evidence(struct fix *f, const struct uuid *subject)
{
	struct sclaimq q = { 0 };
	int n = 0;

	q.subject = subject->b;
	if (f->srv.be->claim_ev_list(f->srv.store, &q, count_cb, &n) != 0)
		return -1;
	return n;
}

static int fail_puts;
static const struct store_backend *real_be;

static int
failing_put(
    struct sstore *s, const struct sclaim_ev *e, size_t n, int *mismatch)
{
	if (fail_puts > 0) {
		fail_puts--;
		return EIO;
	}
	return real_be->claim_ev_put(s, e, n, mismatch);
}

static int
test_push(void)
{
	struct fix f;
	struct tnode c1, c2;
	struct tresp r;
	struct model_rec rec[3];
	struct uuid id[3], other;
	struct store_backend faulty;
	char pat[UUID_STRLEN + 1], enc[UUID_STRLEN + 1];
	char con[UUID_STRLEN + 1], oth[UUID_STRLEN + 1];
	int ent[3] = { REC_PATIENT, REC_ENCOUNTER, REC_CONSULT };
	int ent2[1] = { REC_APPOINTMENT };
	uint8_t *body = NULL;
	size_t len;
	int err = 0;

	memset(&r, 0, sizeof(r));
	TEST_ERR(fix_start(&f));
	TEST_ERR(fix_node_as(&f, "north", "clinic", "fac-1", &c1, NULL));
	TEST_ERR(fix_node_as(&f, "north", "clinic", "fac-2", &c2, NULL));
	uuid_v7(&id[0]);
	uuid_v7(&id[1]);
	uuid_v7(&id[2]);
	uuid_format(&id[0], pat);
	uuid_format(&id[1], enc);
	uuid_format(&id[2], con);
	model_rec_init(&rec[0], model_entity(REC_PATIENT), pat, 0, NULL);
	model_set_text(&rec[0], REC_PAT_GIVEN, "Amina");
	model_set_text(&rec[0], REC_PAT_FAMILY, "Test");
	model_rec_init(&rec[1], model_entity(REC_ENCOUNTER), enc, 0, NULL);
	model_set_text(&rec[1], REC_ENC_PATIENT, pat);
	model_set_uint(&rec[1], REC_ENC_STARTED, hlc_wall_ms());
	model_set_text(&rec[1], REC_ENC_STATUS, "open");
	model_rec_init(&rec[2], model_entity(REC_CONSULT), con, 0, NULL);
	model_set_text(&rec[2], REC_CONSULT_PATIENT, pat);
	model_set_text(&rec[2], REC_CONSULT_ENCOUNTER, enc);
	model_set_text(&rec[2], REC_CONSULT_REASON, "cough");
	model_set_uint(&rec[2], REC_CONSULT_URGENCY, 1);
	model_set_text(&rec[2], REC_CONSULT_MODE, "video");
	model_set_text(&rec[2], REC_CONSULT_STATE, "requested");
	model_set_uint(&rec[2], REC_CONSULT_REQUESTED, hlc_wall_ms());

	/* the builder fails after the commit: busy, then the replay */
	real_be = f.srv.be;
	faulty = *f.srv.be;
	faulty.claim_ev_put = failing_put;
	f.srv.be = &faulty;
	fail_puts = 1;
	TEST_ERR(batch(0, 3, ent, id, rec, &body, &len));
	TEST_ERR(tnode_do(f.port, &c1, PROTO_PATH_PUSH, body, len, &r));
	TEST_EQ(r.status, 503);
	TEST_EQ(evidence(&f, &id[2]), 0);
	tresp_clear(&r);
	TEST_ERR(tnode_do(f.port, &c1, PROTO_PATH_PUSH, body, len, &r));
	TEST_EQ(r.status, 200);
	TEST_EQ(evidence(&f, &id[1]), 1); /* the visit */
	TEST_EQ(evidence(&f, &id[2]), 1); /* the consult */
	tresp_clear(&r);
	TEST_ERR(tnode_do(f.port, &c1, PROTO_PATH_PUSH, body, len, &r));
	TEST_EQ(r.status, 200);
	TEST_EQ(evidence(&f, &id[2]), 1); /* once */
	tresp_clear(&r);
	free(body);
	body = NULL;

	/* refused: fac-2 never saw the patient */
	uuid_v7(&other);
	uuid_format(&other, oth);
	model_rec_clear(&rec[0]);
	model_rec_init(&rec[0], model_entity(REC_APPOINTMENT), oth, 0, NULL);
	model_set_text(&rec[0], REC_APPT_PATIENT, pat);
	model_set_uint(&rec[0], REC_APPT_SLOT, 1);
	model_set_text(&rec[0], REC_APPT_STATUS, "checked-in");
	model_set_uint(&rec[0], REC_APPT_CHECKIN_MS, hlc_wall_ms());
	model_set_text(&rec[0], REC_APPT_CHECKIN_BY, "chw");
	TEST_ERR(batch(0, 1, ent2, &other, rec, &body, &len));
	TEST_ERR(tnode_do(f.port, &c2, PROTO_PATH_PUSH, body, len, &r));
	TEST_EQ(r.status, 200);
	TEST_EQ(evidence(&f, &other), 0);
	tresp_clear(&r);
	TEST_ERR(tnode_do(f.port, &c2, PROTO_PATH_PUSH, body, len, &r));
	TEST_EQ(r.status, 200); /* the replay */
	TEST_EQ(evidence(&f, &other), 0);
out:
	model_rec_clear(&rec[0]);
	model_rec_clear(&rec[1]);
	model_rec_clear(&rec[2]);
	free(body);
	tresp_clear(&r);
	f.srv.be = real_be != NULL ? real_be : f.srv.be;
	fix_stop(&f);
	return err;
}

TEST_MAIN({ "push", test_push })
