/*
 * POST /v1/breakglass/search (issue 17; docs/PROTOCOL.md §15.1), on a real
 * server on loopback with real signed requests:
 *
 * scope: patients of two facilities of region north and one of region
 * south, with the same given name.  A clinic of north finds north's by
 * name, phone digits and id, the facility that registered each named;
 * south's never (not by name, not by its id); each answer item has the
 * minimal fields and nothing else (no phone, no national id).
 *
 * refusals: a search too short to be one person's (breakglass_query 42),
 * an admin node (breakglass_scope 41); a malformed body.
 *
 * recorded: every search answered is in the store's search table with
 * the node, facility, user, words and count; the refused ones are not.
 *
 * rate: one user of a node is answered 10 searches in a minute and
 * refused the 11th (breakglass_rate 56, HTTP 429, the wait in seconds),
 * not recorded; another user of the node is answered until the node's 20
 * a minute, then a third is refused; another node is answered.  A day's
 * 60 per user counts searches recorded in the store by others (written
 * there directly, as another server instance would), the wait is until
 * the oldest of them leaves the 24 hours, and older ones do not count.
 */
#define LOG_MODULE "test_bgsearch"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cborx.h"
#include "compat.h"
#include "crypto.h"
#include "fixture.h"
#include "model.h"
#include "record.h"
#include "sync-server/server.h"
#include "test.h"
#include "uuid.h"
#include "xmalloc.h"

static uint64_t push_seq[64];
static uint64_t hlc_n;

/* A patient pushed by N with the fields given (NULL: absent). */
static int
push_patient(struct fix *f, struct tnode *n, struct uuid *id, const char *given,
    const char *family, const char *birth, const char *phone, const char *natid)
{
	struct model_rec r;
	cbor_item_t *m, *body, *arr, *c;
	uint8_t *bb = NULL, *b = NULL;
	size_t blen, len;
	char ids[UUID_STRLEN + 1];
	struct tresp resp;
	int err;

	uuid_v7(id);
	uuid_format(id, ids);
	model_rec_init(&r, model_entity(REC_PATIENT), ids,
	    HLC_MAKE(hlc_wall_ms(), hlc_n++ & 0xffff), NULL);
	model_set_text(&r, REC_PAT_GIVEN, given);
	model_set_text(&r, REC_PAT_FAMILY, family);
	model_set_text(&r, REC_PAT_SEX, "female");
	model_set_text(&r, REC_PAT_BIRTH, birth);
	model_set_text(&r, REC_PAT_VILLAGE, "Mbeya");
	if (phone != NULL)
		model_set_text(&r, REC_PAT_PHONE, phone);
	if (natid != NULL)
		model_set_text(&r, REC_PAT_NATID, natid);
	if (model_encode(&r, &body) != 0 || cborx_encode(body, &bb, &blen))
		abort();
	cbor_decref(&body);
	model_rec_clear(&r);
	push_seq[n->id % 64]++;
	c = cborx_array(PUSH_C_COUNT);
	cborx_array_push(c, cborx_uint(push_seq[n->id % 64]));
	cborx_array_push(c, cborx_uint(REC_PATIENT));
	cborx_array_push(c, cborx_bytes(id->b, 16));
	cborx_array_push(c, cborx_uint(HLC_MAKE(hlc_wall_ms(), hlc_n++)));
	cborx_array_push(c, cborx_bytes(bb, blen));
	free(bb);
	arr = cborx_array(1);
	cborx_array_push(arr, c);
	m = cborx_map(3);
	cborx_map_put(m, PUSH_K_FIRST, cborx_uint(push_seq[n->id % 64]));
	cborx_map_put(m, PUSH_K_LAST, cborx_uint(push_seq[n->id % 64]));
	cborx_map_put(m, PUSH_K_CHANGES, arr);
	err = cborx_encode(m, &b, &len);
	cbor_decref(&m);
	if (err != 0)
		return err;
	memset(&resp, 0, sizeof(resp));
	err = tnode_do(f->port, n, PROTO_PATH_PUSH, b, len, &resp);
	free(b);
	if (err == 0 && resp.status != 200)
		err = EPROTO;
	tresp_clear(&resp);
	return err;
}

/* A search for QUERY by USER of N: the answer (*IT the caller's, NULL on
 * a refusal), its HTTP status, error code and detail (DETAIL may be
 * NULL). */
static int
search_as(struct fix *f, struct tnode *n, const char *user, const char *query,
    cbor_item_t **it, unsigned *status, uint64_t *code, uint64_t *detail)
{
	cbor_item_t *m = cborx_map(2);
	struct tresp r;
	uint8_t *b = NULL;
	size_t len;
	int err;

	*it = NULL;
	cborx_map_put(m, BGSEARCH_K_QUERY, cborx_text(query));
	cborx_map_put(m, BGSEARCH_K_USER, cborx_text(user));
	err = cborx_encode(m, &b, &len);
	cbor_decref(&m);
	if (err != 0)
		return err;
	memset(&r, 0, sizeof(r));
	err = tnode_do(f->port, n, PROTO_PATH_BREAKGLASS_SEARCH, b, len, &r);
	free(b);
	if (err != 0)
		return err;
	*status = r.status;
	*code = r.status == 200 ? 0 : tresp_code(&r, detail);
	if (r.status == 200 && cborx_decode(r.body, r.len, r.len, it) != 0)
		err = EPROTO;
	tresp_clear(&r);
	return err;
}

static int
search(struct fix *f, struct tnode *n, const char *query, cbor_item_t **it,
    unsigned *status, uint64_t *code)
{
	return search_as(f, n, "user-1", query, it, status, code, NULL);
}

/* How many patients ANSWER holds; with WANT (NULL: none) among them, its
 * facility into FAC; every item only the minimal keys.  -1: malformed. */
static int
found(const cbor_item_t *answer, const struct uuid *want, char *fac,
    size_t faclen, int *more)
{
	cbor_item_t *arr = cborx_map_get(answer, BGSEARCH_K_FOUND), *p;
	struct cbor_pair *kv;
	const uint8_t *id;
	char *t = NULL;
	uint64_t key;
	size_t i, k, len, n;
	int bad = 0;

	if (arr == NULL || !cbor_isa_array(arr))
		return -1;
	*more = 0;
	cborx_get_bool(cborx_map_get(answer, BGSEARCH_K_MORE), more);
	n = cbor_array_size(arr);
	for (i = 0; i < n; i++) {
		p = cbor_array_get(arr, i);
		kv = cbor_map_handle(p);
		/* the minimal fields, each once, nothing else */
		if (cbor_map_size(p) != 7)
			bad = 1;
		for (k = 0; k < cbor_map_size(p); k++)
			if (cborx_get_uint(kv[k].key, &key) != 0 ||
			    key < BGS_P_ID || key > BGS_P_FACILITY)
				bad = 1;
		if (want != NULL &&
		    cborx_map_bytes(p, BGS_P_ID, 16, &id, &len) == 0 &&
		    len == 16 && memcmp(id, want->b, 16) == 0 &&
		    cborx_map_text(p, BGS_P_FACILITY, 64, &t) == 0) {
			snprintf(fac, faclen, "%s", t);
			free(t);
			t = NULL;
		}
		cbor_decref(&p);
	}
	return bad ? -1 : (int)n;
}

static int
test_scope(void)
{
	static struct fix f;
	struct tnode c1, c2, s1, adm;
	struct uuid p_f1, p_f2, p_south, p_other;
	struct sbgsearch *rows = NULL;
	cbor_item_t *it = NULL;
	char fac[64], ids[UUID_STRLEN + 1];
	unsigned status;
	uint64_t code;
	size_t nrows = 0;
	int err = 0, more;

	TEST_ERR(fix_start(&f));
	TEST_ERR(fix_node_as(&f, "north", "clinic", "f1", &c1, NULL));
	TEST_ERR(fix_node_as(&f, "north", "clinic", "f2", &c2, NULL));
	TEST_ERR(fix_node_as(&f, "south", "clinic", "s1", &s1, NULL));
	TEST_ERR(fix_node_as(&f, "north", "admin", "office", &adm, NULL));
	TEST_ERR(push_patient(&f, &c1, &p_f1, "Amina", "Mwangi", "1990-04-02",
	    "+255700111000", NULL));
	TEST_ERR(push_patient(&f, &c2, &p_f2, "Amina", "Juma", "1988-01-20",
	    "+255 700 111 222", "19880120-00012"));
	TEST_ERR(push_patient(
	    &f, &s1, &p_south, "Amina", "Juma", "1988", "+255700111222", NULL));
	TEST_ERR(push_patient(
	    &f, &c2, &p_other, "Baraka", "Ngowi", "2001", NULL, NULL));

	/* by name: north's two Aminas, never south's */
	TEST_ERR(search(&f, &c1, "amina", &it, &status, &code));
	TEST_EQ(status, 200);
	fac[0] = '\0';
	TEST_EQ(found(it, &p_f2, fac, sizeof(fac), &more), 2);
	TEST_STR(fac, "f2");
	TEST_EQ(more, 0);
	cbor_decref(&it);
	fac[0] = '\0';
	TEST_ERR(search(&f, &c1, "Juma Ami", &it, &status, &code));
	TEST_EQ(found(it, &p_south, fac, sizeof(fac), &more), 1);
	TEST_STR(fac, ""); /* south's Amina Juma is not the one found */
	TEST_EQ(found(it, &p_f2, fac, sizeof(fac), &more), 1);
	TEST_STR(fac, "f2");
	cbor_decref(&it);
	/* by phone digits (local form), by national id, by id */
	TEST_ERR(search(&f, &c1, "0700 111 222", &it, &status, &code));
	TEST_EQ(status, 200);
	fac[0] = '\0';
	TEST_EQ(found(it, &p_f2, fac, sizeof(fac), &more), 1);
	TEST_STR(fac, "f2");
	cbor_decref(&it);
	TEST_ERR(search(&f, &c1, "19880120-00012", &it, &status, &code));
	TEST_EQ(found(it, NULL, fac, sizeof(fac), &more), 1);
	cbor_decref(&it);
	uuid_format(&p_f2, ids);
	TEST_ERR(search(&f, &c1, ids, &it, &status, &code));
	TEST_EQ(found(it, NULL, fac, sizeof(fac), &more), 1);
	cbor_decref(&it);
	/* south's patient by its own id: nothing */
	uuid_format(&p_south, ids);
	TEST_ERR(search(&f, &c1, ids, &it, &status, &code));
	TEST_EQ(status, 200);
	TEST_EQ(found(it, NULL, fac, sizeof(fac), &more), 0);
	cbor_decref(&it);
	/* and south's clinic finds only its own Amina */
	TEST_ERR(search(&f, &s1, "amina", &it, &status, &code));
	fac[0] = '\0';
	TEST_EQ(found(it, &p_south, fac, sizeof(fac), &more), 1);
	TEST_STR(fac, "s1");
	cbor_decref(&it);

	/* refusals, not recorded */
	TEST_ERR(search(&f, &c1, "am", &it, &status, &code));
	TEST_EQ(status, 400);
	TEST_EQ(code, WERR_BREAKGLASS_QUERY);
	TEST_ERR(search(&f, &c1, "12345", &it, &status, &code));
	TEST_EQ(code, WERR_BREAKGLASS_QUERY);
	TEST_ERR(search(&f, &adm, "amina", &it, &status, &code));
	TEST_EQ(status, 403);
	TEST_EQ(code, WERR_BREAKGLASS_SCOPE);

	/* every search answered is recorded, newest first */
	TEST_ERR(f.srv.be->bgsearch_list(f.srv.store, 0, &rows, &nrows));
	TEST_EQ(nrows, 7);
	TEST_STR(rows[0].query, "amina");
	TEST_STR(rows[0].facility, "s1");
	TEST_STR(rows[0].region, "south");
	TEST_EQ(rows[0].found, 1);
	TEST_STR(rows[6].query, "amina");
	TEST_STR(rows[6].facility, "f1");
	TEST_STR(rows[6].user, "user-1");
	TEST_EQ(rows[6].node, c1.id);
	TEST_EQ(rows[6].found, 2);
	TEST_EQ(rows[1].found, 0); /* south's id, from north */
out:
	if (it != NULL)
		cbor_decref(&it);
	free(rows);
	fix_stop(&f);
	return err;
}

/* N searches by USER of node T, each answered (WANT 200) or refused. */
static int
searches(struct fix *f, struct tnode *t, const char *user, size_t n,
    unsigned want, uint64_t *code, uint64_t *detail)
{
	cbor_item_t *it = NULL;
	unsigned status = 0;
	size_t i;
	int err = 0;

	for (i = 0; i < n && err == 0; i++) {
		err =
		    search_as(f, t, user, "amina", &it, &status, code, detail);
		if (it != NULL)
			cbor_decref(&it);
		if (err == 0 && status != want) {
			fprintf(stderr, "  search %zu of %s: %u, not %u\n",
			    i + 1, user, status, want);
			err = EPROTO;
		}
	}
	return err;
}

/* K searches of USER by node NODE written straight into the store, the
 * first AGO_MS ago, one a minute further back each. */
static int
recorded(
    struct fix *f, uint64_t node, const char *user, size_t k, uint64_t ago_ms)
{
	struct sbgsearch q;
	size_t i;
	int err = 0;

	memset(&q, 0, sizeof(q));
	q.node = node;
	snprintf(q.region, sizeof(q.region), "north");
	snprintf(q.facility, sizeof(q.facility), "f2");
	snprintf(q.user, sizeof(q.user), "%s", user);
	snprintf(q.query, sizeof(q.query), "amina");
	for (i = 0; i < k && err == 0; i++) {
		q.at_ms = hlc_wall_ms() - ago_ms - i * 60000;
		err = f->srv.be->bgsearch_add(f->srv.store, &q);
	}
	return err;
}

static int
test_rate(void)
{
	static struct fix f;
	struct tnode c1, c2;
	struct uuid p;
	struct sbgsearch *rows = NULL;
	uint64_t code = 0, detail = 0, oldest_ms, want_s;
	size_t nrows = 0;
	int err = 0;

	memset(push_seq, 0, sizeof(push_seq)); /* a new server's nodes */
	TEST_ERR(fix_start(&f));
	TEST_ERR(fix_node_as(&f, "north", "clinic", "f1", &c1, NULL));
	TEST_ERR(fix_node_as(&f, "north", "clinic", "f2", &c2, NULL));
	TEST_ERR(
	    push_patient(&f, &c2, &p, "Amina", "Mwangi", "1990", NULL, NULL));

	/* a user: 10 a minute, the 11th refused with the wait, unrecorded */
	TEST_ERR(searches(
	    &f, &c1, "nurse-a", BGSEARCH_USER_PER_MINUTE, 200, &code, &detail));
	TEST_ERR(searches(&f, &c1, "nurse-a", 1, 429, &code, &detail));
	TEST_EQ(code, WERR_BREAKGLASS_RATE);
	TEST_TRUE(detail >= 1 && detail <= 60);
	/* another user of the node, up to the node's 20 a minute */
	TEST_ERR(searches(&f, &c1, "nurse-b",
	    BGSEARCH_NODE_PER_MINUTE - BGSEARCH_USER_PER_MINUTE, 200, &code,
	    &detail));
	TEST_ERR(searches(&f, &c1, "nurse-c", 1, 429, &code, &detail));
	TEST_EQ(code, WERR_BREAKGLASS_RATE);
	/* another node */
	TEST_ERR(searches(&f, &c2, "nurse-a", 1, 200, &code, &detail));
	TEST_ERR(f.srv.be->bgsearch_list(f.srv.store, 0, &rows, &nrows));
	TEST_EQ(nrows, BGSEARCH_NODE_PER_MINUTE + 1);

	/* the day: 59 in the store from the last 2 to 3 hours, the 60th
	 * answered, the 61st refused until the oldest is a day old */
	TEST_ERR(recorded(
	    &f, c2.id, "nurse-d", BGSEARCH_USER_PER_DAY - 1, 2 * 3600 * 1000));
	oldest_ms = hlc_wall_ms() - 2 * 3600 * 1000 -
	    (BGSEARCH_USER_PER_DAY - 2) * 60000;
	TEST_ERR(searches(&f, &c2, "nurse-d", 1, 200, &code, &detail));
	TEST_ERR(searches(&f, &c2, "nurse-d", 1, 429, &code, &detail));
	TEST_EQ(code, WERR_BREAKGLASS_RATE);
	want_s = (oldest_ms + 24 * 3600 * 1000 - hlc_wall_ms()) / 1000;
	printf("  the day's limit: one more in %" PRIu64 " s (about %" PRIu64
	       ")\n",
	    detail, want_s);
	TEST_TRUE(detail + 5 >= want_s && detail <= want_s + 5);
	/* searches older than a day do not count */
	TEST_ERR(recorded(
	    &f, c2.id, "nurse-e", BGSEARCH_USER_PER_DAY, 25 * 3600 * 1000));
	TEST_ERR(searches(&f, &c2, "nurse-e", 1, 200, &code, &detail));
out:
	free(rows);
	fix_stop(&f);
	return err;
}

TEST_MAIN({ "scope", test_scope }, { "rate", test_rate })
