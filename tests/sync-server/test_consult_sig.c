/*
 * The server checks a consult note's signature at push (issue 13,
 * sync-server/policy.c), on a real server on loopback with real signed
 * requests: a clinic requests a consult, a hub accepts it, then the hub
 * pushes signed notes.  A note changed after signing, one signed with
 * another key than the one it carries, and one without its key are each
 * refused on their own (invalid_change, with the reason), and never
 * reach the clinic; the good one in the same batch is stored and pulled.
 */
#define LOG_MODULE "test_consult_sig"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cborx.h"
#include "compat.h"
#include "consult.h"
#include "fixture.h"
#include "model.h"
#include "record.h"
#include "test.h"
#include "uuid.h"

struct pn {
	struct tnode t;
	uint64_t seq;
};

static uint64_t hlc_counter;

static uint64_t
now_hlc(void)
{
	return HLC_MAKE(hlc_wall_ms(), 0) + (hlc_counter++ & 0xffff);
}

/* Push COUNT changes of record ID (a consult, or ENTITY when not 0);
 * *ANSWER the decoded map. */
static int
push_ent(struct fix *f, struct pn *n, int entity, size_t count,
    const struct uuid *id, uint8_t *const *body, const size_t *blen,
    cbor_item_t **answer)
{
	cbor_item_t *m = cborx_map(3), *arr = cborx_array(count), *c;
	struct tresp r;
	uint8_t *b = NULL;
	size_t i, len;
	int err;

	memset(&r, 0, sizeof(r));
	*answer = NULL;
	for (i = 0; i < count; i++) {
		c = cborx_array(PUSH_C_COUNT);
		cborx_array_push(c, cborx_uint(n->seq + 1 + i));
		cborx_array_push(
		    c, cborx_uint(entity ? (uint64_t)entity : REC_CONSULT));
		cborx_array_push(c, cborx_bytes(id->b, 16));
		cborx_array_push(c, cborx_uint(now_hlc()));
		cborx_array_push(c, cborx_bytes(body[i], blen[i]));
		cborx_array_push(arr, c);
	}
	cborx_map_put(m, PUSH_K_FIRST, cborx_uint(n->seq + 1));
	cborx_map_put(m, PUSH_K_LAST, cborx_uint(n->seq + count));
	cborx_map_put(m, PUSH_K_CHANGES, arr);
	if ((err = cborx_encode(m, &b, &len)) != 0)
		goto out;
	if ((err = tnode_do(f->port, &n->t, PROTO_PATH_PUSH, b, len, &r)) != 0)
		goto out;
	if (r.status != 200 ||
	    cborx_decode(r.body, r.len, r.len, answer) != 0) {
		fprintf(stderr, "  push answered %u\n", r.status);
		err = EPROTO;
		goto out;
	}
	n->seq += count;
out:
	cbor_decref(&m);
	free(b);
	tresp_clear(&r);
	return err;
}

static void
enc(struct model_rec *r, uint8_t **out, size_t *len)
{
	cbor_item_t *m = NULL;

	if (model_encode(r, &m) != 0 || cborx_encode(m, out, len) != 0)
		abort();
	cbor_decref(&m);
	model_rec_clear(r);
}

/*
 * The "signed" change of consult IDS by clinician "u-doc": the note's
 * plan PLAN, signed with PRIV over the plan SIGNED_PLAN, carrying KEY
 * (NULL: no key).
 */
static void
signed_body(const char *ids, const uint8_t priv[32], const uint8_t *key,
    const char *plan, const char *signed_plan, uint8_t **out, size_t *len)
{
	struct consult_note n = { ids, "u-doc", "MW-1234", "cough", "RR 22",
		"TB?", signed_plan, 1700000000000ULL };
	struct model_rec r;
	uint8_t *msg, sig[64];
	size_t mlen;

	if (consult_sig_bytes(&n, &msg, &mlen) != 0 ||
	    crypto_ed25519_sign(priv, msg, mlen, sig) != 0)
		abort();
	free(msg);
	model_rec_init(&r, model_entity(REC_CONSULT), ids, now_hlc(), NULL);
	model_set_text(&r, REC_CONSULT_STATE, "signed");
	model_set_text(&r, REC_CONSULT_CLINICIAN, "u-doc");
	model_set_text(&r, REC_CONSULT_REGNO, "MW-1234");
	model_set_text(&r, REC_CONSULT_SUBJECTIVE, "cough");
	model_set_text(&r, REC_CONSULT_OBJECTIVE, "RR 22");
	model_set_text(&r, REC_CONSULT_ASSESSMENT, "TB?");
	model_set_text(&r, REC_CONSULT_PLAN, plan);
	model_set_uint(&r, REC_CONSULT_SIGNED, n.signed_ms);
	model_set_bytes(&r, REC_CONSULT_SIG, sig, sizeof(sig));
	if (key != NULL)
		model_set_bytes(&r, REC_CONSULT_SIGNKEY, key, 32);
	enc(&r, out, len);
}

/* Pull everything N may see: how many changes of ID carry a signature,
 * and the last plan served into PLAN. */
static int
pulled(struct fix *f, struct pn *n, const struct uuid *id, int *count,
    char *plan, size_t plen)
{
	uint8_t cur[64], *b = NULL;
	const uint8_t *p;
	size_t curlen = 0, len, i, pl;
	struct tresp r;
	cbor_item_t *req, *it = NULL, *arr, **cs, **c;
	int err = 0, more = 1, pages = 0;

	*count = 0;
	plan[0] = '\0';
	memset(&r, 0, sizeof(r));
	while (more && pages++ < 100 && err == 0) {
		req = cborx_map(2);
		cborx_map_put(req, PULL_K_CURSOR, cborx_bytes(cur, curlen));
		cborx_map_put(req, PULL_K_MAX, cborx_uint(500));
		if ((err = cborx_encode(req, &b, &len)) == 0)
			err = tnode_do(
			    f->port, &n->t, PROTO_PATH_PULL, b, len, &r);
		cbor_decref(&req);
		free(b);
		b = NULL;
		if (err != 0)
			break;
		if (r.status != 200 ||
		    cborx_decode(r.body, r.len, r.len, &it) != 0 ||
		    cborx_map_bytes(
		        it, PULLED_K_CURSOR, sizeof(cur), &p, &pl) != 0) {
			err = EPROTO;
			break;
		}
		memcpy(cur, p, pl);
		curlen = pl;
		arr = cborx_map_get(it, PULLED_K_CHANGES);
		cs = cbor_array_handle(arr);
		for (i = 0; i < cbor_array_size(arr); i++) {
			struct model_rec rec;
			const struct model_value *v;

			c = cbor_array_handle(cs[i]);
			if (cborx_get_bytes(c[PULL_C_ID], 16, &p, &pl) != 0 ||
			    pl != 16 || memcmp(p, id->b, 16) != 0)
				continue;
			if (cborx_get_bytes(c[PULL_C_BODY], 1 << 20, &p, &pl) !=
			    0)
				continue;
			memset(&rec, 0, sizeof(rec));
			if (model_decode(
			        model_entity(REC_CONSULT), p, pl, &rec) == 0) {
				if ((v = model_get(&rec, REC_CONSULT_PLAN)) !=
				        NULL &&
				    !v->null)
					snprintf(plan, plen, "%s", v->text);
				*count +=
				    model_get(&rec, REC_CONSULT_SIG) != NULL;
			}
			model_rec_clear(&rec);
		}
		more = 0;
		cborx_get_bool(cborx_map_get(it, PULLED_K_MORE), &more);
		cbor_decref(&it);
		it = NULL;
		tresp_clear(&r);
	}
	if (it != NULL)
		cbor_decref(&it);
	tresp_clear(&r);
	return err;
}

static int
test_note_signature(void)
{
	struct fix f;
	struct pn clinic, hub;
	struct uuid id, pat, enc_id;
	struct model_rec r;
	uint8_t priv[32], pub[32], opriv[32], opub[32], *body[4];
	size_t blen[4], i;
	char ids[UUID_STRLEN + 1], pats[UUID_STRLEN + 1], encs[UUID_STRLEN + 1],
	    why[200], plan[64];
	cbor_item_t *ans = NULL;
	int err = 0, n;

	memset(body, 0, sizeof(body));
	memset(&clinic, 0, sizeof(clinic));
	memset(&hub, 0, sizeof(hub));
	TEST_ERR(fix_start(&f));
	TEST_ERR(fix_node_as(&f, "north", "clinic", "fac-1", &clinic.t, NULL));
	TEST_ERR(fix_node_as(&f, "north", "hub", "hub-1", &hub.t, NULL));
	uuid_v7(&id);
	uuid_v7(&pat);
	uuid_v7(&enc_id);
	uuid_format(&id, ids);
	uuid_format(&pat, pats);
	uuid_format(&enc_id, encs);
	/* the clinic registers the patient (its facility's scope) */
	model_rec_init(&r, model_entity(REC_PATIENT), pats, now_hlc(), NULL);
	model_set_text(&r, REC_PAT_GIVEN, "Amina");
	model_set_text(&r, REC_PAT_FAMILY, "Okafor");
	enc(&r, &body[0], &blen[0]);
	TEST_ERR(push_ent(&f, &clinic, REC_PATIENT, 1, &pat, body, blen, &ans));
	TEST_EQ(fix_refusal(ans, clinic.seq, why, sizeof(why)), 0);
	cbor_decref(&ans);
	free(body[0]);
	body[0] = NULL;
	/* the clinic asks */
	model_rec_init(&r, model_entity(REC_CONSULT), ids, now_hlc(), NULL);
	model_set_text(&r, REC_CONSULT_PATIENT, pats);
	model_set_text(&r, REC_CONSULT_ENCOUNTER, encs);
	model_set_text(&r, REC_CONSULT_REASON, "cough");
	model_set_uint(&r, REC_CONSULT_URGENCY, CONSULT_MEDIUM);
	model_set_text(&r, REC_CONSULT_MODE, "voice");
	model_set_text(&r, REC_CONSULT_STATE, "requested");
	model_set_uint(&r, REC_CONSULT_REQUESTED, 1700000000000ULL);
	enc(&r, &body[0], &blen[0]);
	TEST_ERR(push_ent(&f, &clinic, 0, 1, &id, body, blen, &ans));
	TEST_EQ(fix_refusal(ans, clinic.seq, why, sizeof(why)), 0);
	cbor_decref(&ans);
	free(body[0]);
	body[0] = NULL;
	/* the hub accepts */
	model_rec_init(&r, model_entity(REC_CONSULT), ids, now_hlc(), NULL);
	model_set_text(&r, REC_CONSULT_STATE, "accepted");
	model_set_text(&r, REC_CONSULT_CLINICIAN, "u-doc");
	model_set_uint(&r, REC_CONSULT_ACCEPTED, 1700000001000ULL);
	enc(&r, &body[0], &blen[0]);
	TEST_ERR(push_ent(&f, &hub, 0, 1, &id, body, blen, &ans));
	TEST_EQ(fix_refusal(ans, hub.seq, why, sizeof(why)), 0);
	cbor_decref(&ans);
	free(body[0]);
	body[0] = NULL;
	/* then four signed notes in one batch */
	crypto_ed25519_keygen(priv, pub);
	crypto_ed25519_keygen(opriv, opub);
	/* 1: the plan changed after signing */
	signed_body(ids, priv, pub, "no test needed", "sputum test", &body[0],
	    &blen[0]);
	/* 2: signed with another key than the one it carries */
	signed_body(
	    ids, opriv, pub, "sputum test", "sputum test", &body[1], &blen[1]);
	/* 3: without its key */
	signed_body(
	    ids, priv, NULL, "sputum test", "sputum test", &body[2], &blen[2]);
	/* 4: good */
	signed_body(
	    ids, priv, pub, "sputum test", "sputum test", &body[3], &blen[3]);
	TEST_ERR(push_ent(&f, &hub, 0, 4, &id, body, blen, &ans));
	TEST_EQ(fix_refusal(ans, hub.seq - 3, why, sizeof(why)),
	    WERR_INVALID_CHANGE);
	TEST_TRUE(strstr(why, "signature does not verify") != NULL);
	TEST_EQ(fix_refusal(ans, hub.seq - 2, why, sizeof(why)),
	    WERR_INVALID_CHANGE);
	TEST_TRUE(strstr(why, "signature does not verify") != NULL);
	TEST_EQ(fix_refusal(ans, hub.seq - 1, why, sizeof(why)),
	    WERR_INVALID_CHANGE);
	TEST_TRUE(strstr(why, "carries its signer, key") != NULL);
	TEST_EQ(fix_refusal(ans, hub.seq, why, sizeof(why)), 0);
	cbor_decref(&ans);
	/* the clinic gets the good note only */
	TEST_ERR(pulled(&f, &clinic, &id, &n, plan, sizeof(plan)));
	TEST_EQ(n, 1);
	TEST_STR(plan, "sputum test");
out:
	if (ans != NULL)
		cbor_decref(&ans);
	for (i = 0; i < nitems(body); i++)
		free(body[i]);
	fix_stop(&f);
	return err;
}

TEST_MAIN({ "note_signature", test_note_signature })
