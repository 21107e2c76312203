/*
 * What a node may push (issue 9, item 3), on a real server on loopback
 * with real signed requests.
 *
 * validate: every pushed body goes through the model/ descriptors: an
 * unknown field, a wrong type, an oversize field, an unknown entity, a
 * body that is not a map or names another id are each refused on their
 * own (invalid_change, with a reason), the rest of the batch is stored,
 * the high-water mark moves past the refused change (so the node's outbox
 * never wedges), a refused change is never served to a pull, and a retry
 * is told again.
 *
 * matrix: the authorisation table of docs/SECURITY.md ("Who may change
 * what"), read from the document itself, is first compared cell by cell
 * with the code's table (policy_rule), then mounted: for each role x
 * entity a node of that role creates a record, and edits and soft-deletes
 * a record of its own facility, one of a patient who visited it, one of
 * another facility and one of another region; each outcome must be what
 * the document's cell says.
 */
#define LOG_MODULE "test_policy"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cborx.h"
#include "compat.h"
#include "crypto.h"
#include "fixture.h"
#include "model.h"
#include "prescription.h"
#include "record.h"
#include "sync-server/policy.h"
#include "sync-server/server.h"
#include "test.h"
#include "uuid.h"
#include "xmalloc.h"

/* A node and its outbox sequence (the request sequence is in T). */
struct pn {
	struct tnode t;
	uint64_t seq;
	const char *facility; /* the referrals it makes are from here */
};

/* The facility a referral body is made from: the pushing node's
 * (policy_referral_step refuses another). */
static const char *referral_from = "f1";

static uint64_t hlc_counter;

static uint64_t
now_hlc(void)
{
	return HLC_MAKE(hlc_wall_ms(), 0) + (hlc_counter++ & 0xffff);
}

/* A push of one change per body (HLC from HLC[i], or now when NULL);
 * returns the answer's decoded map. */
static int
push_n(struct fix *f, struct pn *n, size_t count, const int *entity,
    const struct uuid *id, uint8_t *const *body, const size_t *blen,
    const uint64_t *hlc, cbor_item_t **answer)
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
		cborx_array_push(c, cborx_uint((uint64_t)entity[i]));
		cborx_array_push(c, cborx_bytes(id[i].b, 16));
		cborx_array_push(
		    c, cborx_uint(hlc != NULL ? hlc[i] : now_hlc()));
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
	if (r.status != 200) {
		fprintf(stderr, "  push answered %u (code %" PRIu64 ")\n",
		    r.status, tresp_code(&r, NULL));
		err = EPROTO;
		goto out;
	}
	if (cborx_decode(r.body, r.len, r.len, answer) != 0) {
		err = EBADMSG;
		goto out;
	}
	n->seq += count;
out:
	cbor_decref(&m);
	free(b);
	tresp_clear(&r);
	return err;
}

/* Push one change; *CODE is 0 when stored, else the refusal's code. */
static int
push_one(struct fix *f, struct pn *n, int entity, const struct uuid *id,
    uint8_t *body, size_t blen, uint64_t *code, char *why, size_t wlen)
{
	cbor_item_t *a = NULL;
	int err;

	if ((err = push_n(f, n, 1, &entity, id, &body, &blen, NULL, &a)) != 0)
		return err;
	*code = fix_refusal(a, n->seq, why, wlen);
	cbor_decref(&a);
	return 0;
}

/* A clean signed order of paracetamol for an adult (issue 14), with
 * DOSE, or a cancel of ORDER when ORDER is not NULL; OVERRIDE may be
 * NULL.  The signer's key is made once. */
static uint8_t rx_priv[32], rx_pub[32];

static void
rx_body(struct model_rec *r, const char *pats, const char *code, double dose,
    const char *override, const char *order)
{
	static uint8_t sig[64]; /* lent to R until it is encoded */
	uint8_t *msg = NULL;
	size_t len;

	if (rx_pub[0] == 0 && rx_pub[1] == 0 &&
	    crypto_ed25519_keygen(rx_priv, rx_pub) != 0)
		abort();
	model_set_text(r, REC_RX_PATIENT, pats);
	model_set_text(r, REC_RX_ACTION, order ? "cancel" : "order");
	model_set_text(r, REC_RX_ORDER, order);
	model_set_text(r, REC_RX_REGION, "IN");
	model_set_text(r, REC_RX_CODE, code);
	model_set_text(r, REC_RX_ROUTE, "oral");
	model_set_double(r, REC_RX_DOSE, dose);
	model_set_uint(r, REC_RX_PER_DAY, 3);
	model_set_uint(r, REC_RX_DAYS, 3);
	model_set_text(r, REC_RX_OVERRIDE, override ? override : "");
	model_set_uint(r, REC_RX_AGE_DAYS, 30 * 365);
	model_set_double(r, REC_RX_WEIGHT, 60);
	model_set_text(r, REC_RX_MODE, "video");
	model_set_bool(r, REC_RX_FIRST, 1);
	model_set_text(
	    r, REC_RX_CLINICIAN, "0190a5d0-0000-7000-8000-000000000001");
	model_set_text(r, REC_RX_REGNO, "MCI-1");
	model_set_uint(r, REC_RX_SIGNED, hlc_wall_ms());
	model_set_bytes(r, REC_RX_SIGKEY, rx_pub, 32);
	if (prescription_sig_bytes(r, &msg, &len) != 0 ||
	    crypto_ed25519_sign(rx_priv, msg, len, sig) != 0)
		abort();
	free(msg);
	model_set_bytes(r, REC_RX_SIG, sig, 64);
}

/*
 * A valid body of ENTITY for record ID of patient PAT; VARIANT changes a
 * field's value; DELETES adds the soft-delete flag (a bare {id, hlc,
 * deleted} for an entity that has none, which the model refuses).
 */
static void
body_of(int entity, const struct uuid *id, const struct uuid *pat, int variant,
    int deletes, uint8_t **out, size_t *len)
{
	const struct model_entity *e = model_entity(entity);
	static const uint8_t sha[32] = { 1, 2, 3 };
	struct model_rec r;
	char ids[UUID_STRLEN + 1], pats[UUID_STRLEN + 1], text[32];
	cbor_item_t *m = NULL;

	uuid_format(id, ids);
	uuid_format(pat, pats);
	snprintf(text, sizeof(text), "v%d", variant);
	if (deletes && model_field_index(e, REC_K_DELETED) < 0) {
		m = cborx_map(3);
		cborx_map_put(m, REC_K_ID, cborx_bytes(id->b, 16));
		cborx_map_put(m, REC_K_HLC, cborx_uint(now_hlc()));
		cborx_map_put(m, REC_K_DELETED, cborx_bool(1));
		goto enc;
	}
	model_rec_init(&r, e, ids, now_hlc(), NULL);
	switch (entity) {
	case REC_USER: /* a facility admin: every node role takes one */
		model_set_text(&r, REC_USER_NAME, text);
		model_set_uint(&r, REC_USER_ROLE, 3);
		break;
	case REC_PATIENT:
		model_set_text(&r, REC_PAT_GIVEN, text);
		model_set_text(&r, REC_PAT_FAMILY, "Test");
		break;
	case REC_ENCOUNTER:
		model_set_text(&r, REC_ENC_PATIENT, pats);
		model_set_text(&r, REC_ENC_REASON, text);
		break;
	case REC_OBSERVATION:
		model_set_text(&r, REC_OBS_PATIENT, pats);
		model_set_text(&r, REC_OBS_LOINC, "8867-4");
		model_set_double(&r, REC_OBS_VALUE, 60.0 + variant);
		break;
	case REC_FORM:
		model_set_text(&r, REC_FORM_PATIENT, pats);
		model_set_text(&r, REC_FORM_FORMID, text);
		break;
	case REC_ALERT:
		model_set_text(&r, REC_ALERT_PATIENT, pats);
		model_set_text(&r, REC_ALERT_KIND, "news2");
		model_set_text(&r, REC_ALERT_DETAIL, text);
		break;
	case REC_ATTACHMENT:
		model_set_text(&r, REC_ATT_OWNER_ENTITY, "patient");
		model_set_text(&r, REC_ATT_OWNER_ID, pats);
		model_set_bytes(&r, REC_ATT_SHA256, sha, sizeof(sha));
		model_set_uint(&r, REC_ATT_SIZE, (uint64_t)variant);
		break;
	case REC_MERGE: /* its patient is the record it retires */
		model_set_text(&r, REC_MERGE_SURVIVOR, ids);
		model_set_text(&r, REC_MERGE_DUPLICATE, pats);
		model_set_text(&r, REC_MERGE_REASON, text);
		break;
	case REC_PRESCRIPTION:
		model_set_text(&r, REC_RX_NOTE, text);
		rx_body(&r, pats, "PCM500", 500 + variant, NULL, NULL);
		break;
	case REC_CALL:
		model_set_text(&r, REC_CALL_SIP_ID, text);
		model_set_text(&r, REC_CALL_END, "local");
		model_set_uint(&r, REC_CALL_CONNECTED_MS, (uint64_t)variant);
		break;
	case REC_REFERRAL: /* a clinician's request, valid from any role */
		model_set_text(&r, REC_REF_KIND, "request");
		model_set_text(&r, REC_REF_REFERRAL, ids);
		model_set_text(&r, REC_REF_PATIENT, pats);
		model_set_text(&r, REC_REF_FROM, referral_from);
		model_set_text(&r, REC_REF_TARGET, "elsewhere");
		model_set_text(&r, REC_REF_REASON, text);
		model_set_text(&r, REC_REF_URGENCY, "urgent");
		model_set_uint(&r, REC_REF_DUE, 1);
		model_set_text(&r, REC_REF_REQ_ROLE, "clinician");
		model_set_text(&r, REC_REF_CONSULT, ids);
		break;
	case REC_EMERGENCY:
		model_set_text(&r, REC_EMERG_PATIENT, pats);
		model_set_text(&r, REC_EMERG_CODE, "938NKR");
		model_set_text(&r, REC_EMERG_TRIGGER, "key");
		model_set_text(&r, REC_EMERG_NOTE, text);
		break;
	case REC_APPOINTMENT:
		model_set_text(&r, REC_APPT_PATIENT, pats);
		model_set_uint(&r, REC_APPT_SLOT, (uint64_t)variant + 1);
		model_set_text(&r, REC_APPT_STATUS, "proposed");
		model_set_text(&r, REC_APPT_CANCEL_REASON, text);
		break;
	default:
		abort();
	}
	if (deletes)
		model_set_bool(&r, REC_K_DELETED, 1);
	if (model_encode(&r, &m) != 0)
		abort();
enc:
	if (cborx_encode(m, out, len) != 0)
		abort();
	cbor_decref(&m);
}

/* A body given as key/value pairs of one map (for the bad bodies). */
static void
raw_body(cbor_item_t *m, uint8_t **out, size_t *len)
{
	if (cborx_encode(m, out, len) != 0)
		abort();
	cbor_decref(&m);
}

/* A pull cursor kept between pulls. */
struct cur {
	uint8_t b[64];
	size_t len;
};

/*
 * Pull from *CUR to the end in pages of MAX, moving *CUR; SEEN[i] counts
 * the changes of record ID[i] served, *TOTAL (when not NULL) them all.
 */
static int
pull_from(struct fix *f, struct pn *n, struct cur *cur, uint64_t max,
    const struct uuid *id, size_t nid, int *seen, size_t *total)
{
	cbor_item_t *req, *it = NULL, *arr, **cs, **c;
	struct tresp r;
	uint8_t *b = NULL;
	const uint8_t *p;
	size_t i, j, len, plen;
	int err = 0, more = 1, pages = 0;

	memset(&r, 0, sizeof(r));
	memset(seen, 0, nid * sizeof(*seen));
	if (total != NULL)
		*total = 0;
	while (more && pages++ < 1000 && err == 0) {
		req = cborx_map(2);
		cborx_map_put(
		    req, PULL_K_CURSOR, cborx_bytes(cur->b, cur->len));
		cborx_map_put(req, PULL_K_MAX, cborx_uint(max));
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
		        it, PULLED_K_CURSOR, sizeof(cur->b), &p, &plen) != 0) {
			err = EPROTO;
			break;
		}
		memcpy(cur->b, p, plen);
		cur->len = plen;
		arr = cborx_map_get(it, PULLED_K_CHANGES);
		cs = cbor_array_handle(arr);
		for (i = 0; i < cbor_array_size(arr); i++) {
			c = cbor_array_handle(cs[i]);
			if (total != NULL)
				(*total)++;
			if (cborx_get_bytes(c[PULL_C_ID], 16, &p, &plen) != 0 ||
			    plen != 16)
				continue;
			for (j = 0; j < nid; j++)
				seen[j] += memcmp(p, id[j].b, 16) == 0;
		}
		more = 0;
		cborx_get_bool(cborx_map_get(it, PULLED_K_MORE), &more);
		cbor_decref(&it);
		tresp_clear(&r);
	}
	if (it != NULL)
		cbor_decref(&it);
	tresp_clear(&r);
	return err;
}

/* Pull everything N may see; *SEEN is set if record ID is among it. */
static int
pulled_has(struct fix *f, struct pn *n, const struct uuid *id, int *seen)
{
	struct cur cur = { { 0 }, 0 };

	return pull_from(f, n, &cur, 500, id, 1, seen, NULL);
}

static int
test_validate(void)
{
	struct fix f;
	struct pn a, b;
	struct uuid id[8], pat;
	int ent[8];
	uint8_t *body[8];
	size_t blen[8], i;
	cbor_item_t *m, *ans = NULL;
	char why[128], *big;
	uint64_t hw, hlc[8];
	int err = 0, seen;

	memset(body, 0, sizeof(body));
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	TEST_ERR(fix_start(&f));
	TEST_ERR(fix_node(&f, "north", &a.t, NULL));
	TEST_ERR(fix_node(&f, "north", &b.t, NULL));
	for (i = 0; i < nitems(id); i++) {
		uuid_v7(&id[i]);
		ent[i] = REC_PATIENT;
	}
	pat = id[0];
	/* 0: good; 1: unknown field 90; 2: given as a number; 3: family of
	 * 5000 bytes; 4: an entity without a descriptor (prescription); 5: an
	 * array, not a map; 6: id of another record; 7: good again */
	body_of(REC_PATIENT, &id[0], &pat, 0, 0, &body[0], &blen[0]);
	m = cborx_map(3);
	cborx_map_put(m, REC_K_ID, cborx_bytes(id[1].b, 16));
	cborx_map_put(m, REC_PAT_GIVEN, cborx_text("A"));
	cborx_map_put(m, 90, cborx_text("nickname"));
	raw_body(m, &body[1], &blen[1]);
	m = cborx_map(2);
	cborx_map_put(m, REC_K_ID, cborx_bytes(id[2].b, 16));
	cborx_map_put(m, REC_PAT_GIVEN, cborx_uint(7));
	raw_body(m, &body[2], &blen[2]);
	big = xmalloc(5001);
	memset(big, 'x', 5000);
	big[5000] = '\0';
	m = cborx_map(2);
	cborx_map_put(m, REC_K_ID, cborx_bytes(id[3].b, 16));
	cborx_map_put(m, REC_PAT_FAMILY, cborx_text(big));
	free(big);
	raw_body(m, &body[3], &blen[3]);
	ent[4] = REC_NODE; /* no descriptor */
	body_of(REC_PATIENT, &id[4], &pat, 4, 0, &body[4], &blen[4]);
	m = cborx_array(1);
	cborx_array_push(m, cborx_uint(1));
	raw_body(m, &body[5], &blen[5]);
	body_of(REC_PATIENT, &id[0], &pat, 6, 0, &body[6], &blen[6]);
	body_of(REC_PATIENT, &id[7], &id[7], 7, 0, &body[7], &blen[7]);
	for (i = 0; i < nitems(hlc); i++)
		hlc[i] = now_hlc();
	TEST_ERR(push_n(&f, &a, 8, ent, id, body, blen, hlc, &ans));
	/* the batch is acknowledged whole: the outbox moves on */
	TEST_ERR(cborx_map_uint(ans, PUSHED_K_HW, &hw));
	TEST_EQ(hw, 8);
	TEST_EQ(fix_refusal(ans, 1, why, sizeof(why)), 0);
	TEST_EQ(fix_refusal(ans, 2, why, sizeof(why)), WERR_INVALID_CHANGE);
	TEST_STR(why, "unknown field 90 for patients");
	TEST_EQ(fix_refusal(ans, 3, why, sizeof(why)), WERR_INVALID_CHANGE);
	TEST_STR(why, "field 10 (given) is not text");
	TEST_EQ(fix_refusal(ans, 4, why, sizeof(why)), WERR_INVALID_CHANGE);
	TEST_STR(why, "field 11 (family) over 4096 bytes");
	TEST_EQ(fix_refusal(ans, 5, why, sizeof(why)), WERR_INVALID_CHANGE);
	TEST_STR(why, "unknown entity 1");
	TEST_EQ(fix_refusal(ans, 6, why, sizeof(why)), WERR_INVALID_CHANGE);
	TEST_STR(why, "the body is not a CBOR map");
	TEST_EQ(fix_refusal(ans, 7, why, sizeof(why)), WERR_INVALID_CHANGE);
	TEST_STR(why, "field 0 (id) is not the change's uuid");
	TEST_EQ(fix_refusal(ans, 8, why, sizeof(why)), 0);
	cbor_decref(&ans);
	/* a refused change never reaches another node; a good one does */
	TEST_ERR(pulled_has(&f, &b, &id[1], &seen));
	TEST_EQ(seen, 0);
	TEST_ERR(pulled_has(&f, &b, &id[3], &seen));
	TEST_EQ(seen, 0);
	TEST_ERR(pulled_has(&f, &b, &id[7], &seen));
	TEST_EQ(seen, 1);
	/* a re-push from seq 2 (its answer lost) is told again */
	a.seq = 1;
	TEST_ERR(push_n(
	    &f, &a, 2, ent + 1, id + 1, body + 1, blen + 1, hlc + 1, &ans));
	TEST_EQ(fix_refusal(ans, 2, why, sizeof(why)), WERR_INVALID_CHANGE);
	TEST_EQ(fix_refusal(ans, 3, why, sizeof(why)), WERR_INVALID_CHANGE);
	cbor_decref(&ans);
out:
	if (ans != NULL)
		cbor_decref(&ans);
	for (i = 0; i < nitems(body); i++)
		free(body[i]);
	fix_stop(&f);
	return err;
}

/* --- the matrix --- */

#define N_ENTITIES 13
static const int entities[N_ENTITIES] = { REC_USER, REC_PATIENT, REC_ENCOUNTER,
	REC_OBSERVATION, REC_FORM, REC_ALERT, REC_ATTACHMENT, REC_MERGE,
	REC_CALL, REC_PRESCRIPTION, REC_REFERRAL, REC_EMERGENCY,
	REC_APPOINTMENT };

static int
rule_of_name(const char *s)
{
	int i;

	for (i = POLICY_NO; i <= POLICY_NONE; i++)
		if (strcmp(s, policy_rule_name(i)) == 0)
			return i;
	return -1;
}

/* Split a table line "| a | b | ... |" into at most MAX trimmed cells. */
static size_t
cells(char *line, char **out, size_t max)
{
	size_t n = 0;
	char *p = line, *q, *e;

	if (*p != '|')
		return 0;
	p++;
	while (n < max && (q = strchr(p, '|')) != NULL) {
		*q = '\0';
		while (*p == ' ')
			p++;
		e = q;
		while (e > p && e[-1] == ' ')
			*--e = '\0';
		out[n++] = p;
		p = q + 1;
	}
	return n;
}

/* The table between the policy-table markers of docs/SECURITY.md. */
static int
doc_table(int t[POLICY_ROLES][REC_ENTITY_MAX + 1][POLICY_OPS])
{
	FILE *fp = fopen("docs/SECURITY.md", "r");
	char line[512], *c[6];
	int in = 0, rows = 0, role, ent, op, r;

	if (fp == NULL) {
		fprintf(stderr,
		    "  docs/SECURITY.md: run from the repository"
		    " root\n");
		return ENOENT;
	}
	memset(t, 0xff,
	    sizeof(int) * POLICY_ROLES * (REC_ENTITY_MAX + 1) * POLICY_OPS);
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strstr(line, "<!-- policy-table -->") != NULL)
			in = 1;
		else if (strstr(line, "<!-- /policy-table -->") != NULL)
			in = 0;
		if (!in || cells(line, c, 6) != 5 ||
		    (role = policy_role(c[0])) < 0)
			continue;
		if ((ent = rec_entity_from_name(c[1])) <= 0) {
			fprintf(stderr, "  unknown entity %s\n", c[1]);
			fclose(fp);
			return EINVAL;
		}
		for (op = 0; op < POLICY_OPS; op++) {
			if ((r = rule_of_name(c[2 + op])) < 0) {
				fprintf(stderr, "  bad cell %s\n", c[2 + op]);
				fclose(fp);
				return EINVAL;
			}
			t[role][ent][op] = r;
		}
		rows++;
	}
	fclose(fp);
	return rows > 0 ? 0 : ENOENT;
}

enum { T_OWN, T_SCOPE, T_OTHER, T_REGION, T_COUNT };
static const char *const target_names[T_COUNT] = { "its own facility's",
	"a visiting patient's", "another facility's", "another region's" };

/* Must an edit or delete under RULE of target T of ENTITY be stored? */
static int
expect_ok(int rule, int entity, int t)
{
	int has_patient = entity != REC_USER && entity != REC_ATTACHMENT &&
	    entity != REC_CALL;

	switch (rule) {
	case POLICY_YES:
		return t != T_REGION;
	case POLICY_SCOPE:
		return t == T_OWN || (t == T_SCOPE && has_patient);
	case POLICY_OWN:
		return t == T_OWN;
	default:
		return 0;
	}
}

struct world {
	struct fix f;
	struct pn actor[POLICY_ROLES], sibling[POLICY_ROLES];
	struct pn other, south;
	struct pn hub, south_hub; /* only hubs create prescriptions */
	struct uuid p_own[POLICY_ROLES], p_visit[POLICY_ROLES], p_other,
	    p_south;
	/* target[role][entity index][T_*]: a record to edit */
	struct uuid target[POLICY_ROLES][N_ENTITIES][T_COUNT];
};

static const char *const facilities[POLICY_ROLES] = { "f1", "hub1", "office" };

/* N creates record ID of ENTITY for PAT; it must be stored. */
static int
create(struct world *w, struct pn *n, int entity, struct uuid *id,
    const struct uuid *pat)
{
	uint8_t *b = NULL;
	size_t len;
	uint64_t code;
	char why[128];
	int err;

	if (entity == REC_PATIENT)
		*id = *pat;
	else
		uuid_v7(id);
	if (entity == REC_PRESCRIPTION)
		n = n == &w->south ? &w->south_hub : &w->hub;
	referral_from = n->facility;
	body_of(entity, id, pat, 0, 0, &b, &len);
	err = push_one(&w->f, n, entity, id, b, len, &code, why, sizeof(why));
	free(b);
	if (err == 0 && code != 0) {
		fprintf(stderr, "  setup: a clinic could not create a %s: %s\n",
		    rec_entity_name(entity), why);
		err = EPROTO;
	}
	return err;
}

static int
world_make(struct world *w)
{
	struct uuid enc;
	size_t e;
	int role, err;

	memset(w, 0, sizeof(*w));
	w->other.facility = "f2";
	w->south.facility = "s1";
	for (role = 0; role < POLICY_ROLES; role++)
		w->actor[role].facility = w->sibling[role].facility =
		    facilities[role];
	if ((err = fix_start(&w->f)) != 0 ||
	    (err = fix_node_as(
	         &w->f, "north", "clinic", "f2", &w->other.t, NULL)) != 0 ||
	    (err = fix_node_as(
	         &w->f, "south", "clinic", "s1", &w->south.t, NULL)) != 0 ||
	    (err = fix_node_as(
	         &w->f, "north", "hub", "hub9", &w->hub.t, NULL)) != 0 ||
	    (err = fix_node_as(
	         &w->f, "south", "hub", "hub8", &w->south_hub.t, NULL)) != 0)
		return err;
	uuid_v7(&w->p_other);
	uuid_v7(&w->p_south);
	if ((err = create(
	         w, &w->other, REC_PATIENT, &w->p_other, &w->p_other)) != 0 ||
	    (err = create(
	         w, &w->south, REC_PATIENT, &w->p_south, &w->p_south)) != 0)
		return err;
	for (role = 0; role < POLICY_ROLES; role++) {
		/* the actor, and a clinic of the same facility that makes
		 * the facility's own records and visits */
		if ((err = fix_node_as(&w->f, "north", policy_role_name(role),
		         facilities[role], &w->actor[role].t, NULL)) != 0 ||
		    (err = fix_node_as(&w->f, "north", "clinic",
		         facilities[role], &w->sibling[role].t, NULL)) != 0)
			return err;
		uuid_v7(&w->p_own[role]);
		uuid_v7(&w->p_visit[role]);
		if ((err = create(w, &w->sibling[role], REC_PATIENT,
		         &w->p_own[role], &w->p_own[role])) != 0 ||
		    (err = create(w, &w->other, REC_PATIENT, &w->p_visit[role],
		         &w->p_visit[role])) != 0 ||
		    (err = create(w, &w->sibling[role], REC_ENCOUNTER, &enc,
		         &w->p_visit[role])) != 0)
			return err;
		for (e = 0; e < nitems(entities); e++) {
			struct uuid *t = w->target[role][e];

			if ((err = create(w, &w->sibling[role], entities[e],
			         &t[T_OWN], &w->p_own[role])) != 0 ||
			    (err = create(w, &w->other, entities[e],
			         &t[T_SCOPE], &w->p_visit[role])) != 0 ||
			    (err = create(w, &w->other, entities[e],
			         &t[T_OTHER], &w->p_other)) != 0 ||
			    (err = create(w, &w->south, entities[e],
			         &t[T_REGION], &w->p_south)) != 0)
				return err;
		}
	}
	return 0;
}

/* One attempt; *BAD counts outcomes that differ from EXPECT (0 stored,
 * else the refusal code). */
static int
attempt(struct world *w, int role, int entity, int op, const char *what,
    const struct uuid *id, const struct uuid *pat, uint64_t expect, int *bad)
{
	uint8_t *b = NULL;
	size_t len;
	uint64_t code;
	char why[128];
	int err;

	referral_from = w->actor[role].facility;
	body_of(entity, id, pat, 1 + op, op == POLICY_DELETE, &b, &len);
	err = push_one(&w->f, &w->actor[role], entity, id, b, len, &code, why,
	    sizeof(why));
	free(b);
	if (err == 0 && code != expect) {
		fprintf(stderr,
		    "  %s %s %s (%s): got %" PRIu64 " (%s), table says %" PRIu64
		    "\n",
		    policy_role_name(role), policy_op_name(op),
		    rec_entity_name(entity), what, code, why, expect);
		(*bad)++;
	}
	return err;
}

static int
test_matrix(void)
{
	static int doc[POLICY_ROLES][REC_ENTITY_MAX + 1][POLICY_OPS];
	static struct world w;
	struct uuid fresh;
	const struct uuid *pat;
	size_t e;
	int role, op, t, rule, bad = 0, tried = 0, err = 0;
	uint64_t expect;

	memset(&w, 0, sizeof(w));
	TEST_ERR(doc_table(doc));
	/* the document and the code hold the same table, every cell */
	for (role = 0; role < POLICY_ROLES; role++)
		for (e = 0; e < nitems(entities); e++)
			for (op = 0; op < POLICY_OPS; op++)
				if (doc[role][entities[e]][op] !=
				    policy_rule(role, entities[e], op)) {
					fprintf(stderr,
					    "  %s %s %s: doc %d, code %d\n",
					    policy_role_name(role),
					    rec_entity_name(entities[e]),
					    policy_op_name(op),
					    doc[role][entities[e]][op],
					    policy_rule(role, entities[e], op));
					bad++;
				}
	TEST_EQ(bad, 0);
	/* and the server does what the document says */
	TEST_ERR(world_make(&w));
	for (role = 0; role < POLICY_ROLES; role++)
		for (e = 0; e < nitems(entities); e++) {
			int ent = entities[e];

			rule = doc[role][ent][POLICY_CREATE];
			/* scope on create (a merge): the patient it names
			 * must be in the pusher's facility scope */
			for (t = 0; rule == POLICY_SCOPE && t < T_COUNT; t++) {
				uuid_v7(&fresh);
				pat = t == T_OWN   ? &w.p_own[role]
				    : t == T_SCOPE ? &w.p_visit[role]
				    : t == T_OTHER ? &w.p_other
				                   : &w.p_south;
				TEST_ERR(attempt(&w, role, ent, POLICY_CREATE,
				    target_names[t], &fresh, pat,
				    t == T_OWN || t == T_SCOPE ? 0
				                               : WERR_FORBIDDEN,
				    &bad));
				tried++;
			}
			uuid_v7(&fresh);
			pat = ent == REC_PATIENT ? &fresh : &w.p_own[role];
			if (rule != POLICY_SCOPE) {
				TEST_ERR(attempt(&w, role, ent, POLICY_CREATE,
				    "new", &fresh, pat,
				    rule == POLICY_YES ? 0 : WERR_FORBIDDEN,
				    &bad));
				tried++;
			}
			for (op = POLICY_EDIT; op < POLICY_OPS; op++)
				for (t = 0; t < T_COUNT; t++) {
					rule = doc[role][ent][op];
					expect = rule == POLICY_NONE
					    ? WERR_INVALID_CHANGE
					    : expect_ok(rule, ent, t)
					    ? 0
					    : WERR_FORBIDDEN;
					pat = t == T_OWN   ? &w.p_own[role]
					    : t == T_SCOPE ? &w.p_visit[role]
					    : t == T_OTHER ? &w.p_other
					                   : &w.p_south;
					TEST_ERR(attempt(&w, role, ent, op,
					    target_names[t],
					    &w.target[role][e][t], pat, expect,
					    &bad));
					tried++;
				}
		}
	printf("  %d attempts, %d differ from docs/SECURITY.md\n", tried, bad);
	TEST_EQ(bad, 0);
out:
	fix_stop(&w.f);
	return err;
}

/* The pull tests' pushes: body B0 (LEN bytes; freed) as record ID[K] of
 * ENT from NODE, or one body_of makes for patient ID[PAT]; each must be
 * stored (their F, ID, B0, LEN and CODE). */
#define PUSH_BODY(node, ent, k)                                                \
	do {                                                                   \
		TEST_ERR(push_one(                                             \
		    &f, &node, ent, &id[k], b0, len, &code, NULL, 0));         \
		free(b0);                                                      \
		b0 = NULL;                                                     \
		TEST_EQ(code, 0);                                              \
	} while (0)
#define PUSH(node, ent, k, pat, variant)                                       \
	do {                                                                   \
		body_of(ent, &id[k], &id[pat], variant, 0, &b0, &len);         \
		PUSH_BODY(node, ent, k);                                       \
	} while (0)

/*
 * Pulls carry what each node needs (issue 9, item 3): a clinic gets the
 * patients its facility registered or saw, with everything recorded about
 * them anywhere in the region, and its facility's own records; nothing of
 * a patient it never saw.  A patient who visits a second facility brings
 * their earlier records to it, although its cursor is already past them
 * (in pages of one, so the cursor's tie-break is exercised).  A hub gets
 * the patients it consulted; an admin node the whole region.
 */
static int
test_pull_scope(void)
{
	struct fix f;
	struct pn a, a2, b, hub, adm;
	struct cur ca = { { 0 }, 0 }, ch = { { 0 }, 0 }, cm = { { 0 }, 0 };
	/* 0 p1 (registered at f2), 1 its encounter at f2, 2 an observation
	 * of it, 3 a user of f2, 4 p2 (registered at f1 by a2), 5 a's visit
	 * of p1, 6 f2's later edit of p1, 7 p3 (f2, never seen by f1), 8 the
	 * hub's consult of p3 */
	struct uuid id[9];
	int seen[9], err = 0;
	size_t i, total;
	uint8_t *b0 = NULL;
	size_t len;
	uint64_t code;

	memset(&a, 0, sizeof(a));
	memset(&a2, 0, sizeof(a2));
	memset(&b, 0, sizeof(b));
	memset(&hub, 0, sizeof(hub));
	memset(&adm, 0, sizeof(adm));
	for (i = 0; i < nitems(id); i++)
		uuid_v7(&id[i]);
	TEST_ERR(fix_start(&f));
	TEST_ERR(fix_node_as(&f, "north", "clinic", "f1", &a.t, NULL));
	TEST_ERR(fix_node_as(&f, "north", "clinic", "f1", &a2.t, NULL));
	TEST_ERR(fix_node_as(&f, "north", "clinic", "f2", &b.t, NULL));
	TEST_ERR(fix_node_as(&f, "north", "hub", "hub1", &hub.t, NULL));
	TEST_ERR(fix_node_as(&f, "north", "admin", "office", &adm.t, NULL));
	PUSH(b, REC_PATIENT, 0, 0, 0);
	PUSH(b, REC_ENCOUNTER, 1, 0, 0);
	PUSH(b, REC_OBSERVATION, 2, 0, 0);
	PUSH(b, REC_USER, 3, 0, 0);
	PUSH(a2, REC_PATIENT, 4, 4, 0);
	PUSH(b, REC_PATIENT, 7, 7, 0);
	/* a (f1) gets its facility's patient, none of f2's */
	TEST_ERR(pull_from(&f, &a, &ca, 1, id, nitems(id), seen, &total));
	TEST_EQ(total, 1);
	TEST_EQ(seen[4], 1);
	/* the hub has consulted nobody yet */
	TEST_ERR(pull_from(&f, &hub, &ch, 500, id, nitems(id), seen, &total));
	TEST_EQ(total, 0);
	/* p1 visits f1: a records the visit; its cursor is past p1's
	 * records, and still it gets them, once each, in pages of one */
	PUSH(a, REC_ENCOUNTER, 5, 0, 0);
	TEST_ERR(pull_from(&f, &a, &ca, 1, id, nitems(id), seen, &total));
	TEST_EQ(seen[0], 1);
	TEST_EQ(seen[1], 1);
	TEST_EQ(seen[2], 1);
	TEST_EQ(seen[3], 0); /* f2's user stays there */
	TEST_EQ(seen[7], 0); /* p3 never came to f1 */
	TEST_EQ(total, 3);
	/* a node of the same facility gets the visit and the history */
	{
		struct cur c2 = { { 0 }, 0 };

		TEST_ERR(
		    pull_from(&f, &a2, &c2, 2, id, nitems(id), seen, &total));
		TEST_EQ(seen[0] + seen[1] + seen[2] + seen[5], 4);
		TEST_EQ(seen[7] + seen[3], 0);
	}
	/* later edits of p1 anywhere reach f1 */
	PUSH(b, REC_PATIENT, 0, 0, 6);
	TEST_ERR(pull_from(&f, &a, &ca, 1, id, nitems(id), seen, &total));
	TEST_EQ(total, 1);
	TEST_EQ(seen[0], 1);
	/* the hub consults p3: p3's record comes to the hub, nothing else */
	PUSH(hub, REC_ENCOUNTER, 8, 7, 0);
	TEST_ERR(pull_from(&f, &hub, &ch, 500, id, nitems(id), seen, &total));
	TEST_EQ(total, 1);
	TEST_EQ(seen[7], 1);
	/* the admin node sees the region, all but its own */
	TEST_ERR(pull_from(&f, &adm, &cm, 500, id, nitems(id), seen, &total));
	TEST_EQ(total, 9);
out:
	free(b0);
	fix_stop(&f);
	return err;
}

/* Schedules of dr-a, dr-b and dr-c at f1 (north), half-hour slots from
 * tomorrow; SLOT[i] the first slot of the i-th. */
static int
appt_slots(struct fix *f, uint64_t slot[3])
{
	static const char *const who[3] = { "dr-a", "dr-b", "dr-c" };
	struct shours h = { 1, 0, 1440, 30 };
	struct ssched d;
	struct sslot v[2], *got = NULL;
	uint64_t sched, added, base = hlc_wall_ms() + 86400000ULL;
	size_t i, k, n = 0;
	int err = 0;

	for (i = 0; i < 3 && err == 0; i++) {
		memset(&d, 0, sizeof(d));
		snprintf(d.clinician, sizeof(d.clinician), "%s", who[i]);
		snprintf(d.facility, sizeof(d.facility), "f1");
		snprintf(d.region, sizeof(d.region), "north");
		snprintf(d.tz, sizeof(d.tz), "Africa/Nairobi");
		snprintf(d.service, sizeof(d.service), "gp");
		memset(v, 0, sizeof(v));
		for (k = 0; k < nitems(v); k++) {
			v[k].start_ms =
			    base - base % 1800000ULL + (2 * i + k) * 1800000ULL;
			v[k].end_ms = v[k].start_ms + 1800000ULL;
		}
		if ((err = f->srv.be->sched_define(
		         f->srv.store, &d, &h, 1, &sched)) != 0 ||
		    (err = f->srv.be->slots_add(
		         f->srv.store, sched, v, nitems(v), &added)) != 0 ||
		    (err = f->srv.be->slots_list(f->srv.store, sched, NULL, 0,
		         UINT64_C(1) << 62, &got, &n)) != 0)
			break;
		if (n != nitems(v) || strcmp(got[0].clinician, who[i]) != 0)
			err = EIO;
		slot[i] = n > 0 ? got[0].id : 0;
		free(got);
		got = NULL;
	}
	return err;
}

/* A user of a hub: a clinician by NAME, with REGNO when not NULL; with
 * NAME NULL, an edit that adds REGNO. */
static void
staff_body(const struct uuid *id, const char *name, const char *regno,
    uint8_t **out, size_t *len)
{
	struct model_rec r;
	char ids[UUID_STRLEN + 1];
	cbor_item_t *m = NULL;

	uuid_format(id, ids);
	model_rec_init(&r, model_entity(REC_USER), ids, now_hlc(), NULL);
	if (name != NULL) {
		model_set_text(&r, REC_USER_NAME, name);
		model_set_uint(&r, REC_USER_ROLE, 2);
	}
	if (regno != NULL)
		model_set_text(&r, REC_USER_REGNO, regno);
	if (model_encode(&r, &m) != 0 || cborx_encode(m, out, len) != 0)
		abort();
	cbor_decref(&m);
}

/*
 * Appointments reach their clinician's hub (issue 15, docs/PROTOCOL.md
 * §5.3, docs/SECURITY.md): a clinic of f1 books p1 with dr-a, a user of
 * hub1, and p2 with dr-b, known on hub2 by the registration number an
 * edit of her user gave.  hub1
 * pulls p1 (with their earlier visit: the patient's history comes, as
 * for a consult) and p1's appointment, and its later edit, but nothing of
 * p2; hub2 the reverse.  dr-c, added to hub1 after p3's appointment with
 * them was booked, brings it and p3 to hub1, though hub1's cursor is
 * already past them.
 */
static int
test_appt_scope(void)
{
	struct fix f;
	struct pn a, h1, h2;
	struct cur c1 = { { 0 }, 0 }, c2 = { { 0 }, 0 };
	/* 0 p1, 1 p1's visit, 2 p2, 3 p3, 4-6 the appointments of p1 (dr-a),
	 * p2 (dr-b) and p3 (dr-c), 7-9 the users dr-a (hub1), Bett (dr-b's
	 * registration number, hub2), dr-c (hub1) */
	struct uuid id[10];
	uint64_t slot[3], code;
	int seen[10], err = 0;
	size_t i, total;
	uint8_t *b0 = NULL;
	size_t len;

	memset(&a, 0, sizeof(a));
	memset(&h1, 0, sizeof(h1));
	memset(&h2, 0, sizeof(h2));
	for (i = 0; i < nitems(id); i++)
		uuid_v7(&id[i]);
	TEST_ERR(fix_start(&f));
	TEST_ERR(fix_node_as(&f, "north", "clinic", "f1", &a.t, NULL));
	TEST_ERR(fix_node_as(&f, "north", "hub", "hub1", &h1.t, NULL));
	TEST_ERR(fix_node_as(&f, "north", "hub", "hub2", &h2.t, NULL));
	TEST_ERR(appt_slots(&f, slot));
	staff_body(&id[7], "dr-a", NULL, &b0, &len);
	PUSH_BODY(h1, REC_USER, 7);
	staff_body(&id[8], "Bett", NULL, &b0, &len);
	PUSH_BODY(h2, REC_USER, 8);
	/* her registration number comes with a later edit */
	staff_body(&id[8], NULL, "dr-b", &b0, &len);
	PUSH_BODY(h2, REC_USER, 8);
	PUSH(a, REC_PATIENT, 0, 0, 0);
	PUSH(a, REC_ENCOUNTER, 1, 0, 0);
	PUSH(a, REC_PATIENT, 2, 2, 0);
	PUSH(a, REC_PATIENT, 3, 3, 0);
	/* body_of's appointment books slot VARIANT + 1 */
	PUSH(a, REC_APPOINTMENT, 4, 0, (int)slot[0] - 1);
	PUSH(a, REC_APPOINTMENT, 5, 2, (int)slot[1] - 1);
	PUSH(a, REC_APPOINTMENT, 6, 3, (int)slot[2] - 1);
	TEST_ERR(pull_from(&f, &h1, &c1, 1, id, nitems(id), seen, &total));
	TEST_EQ(seen[0] + seen[1] + seen[4], 3);
	TEST_EQ(seen[2] + seen[3] + seen[5] + seen[6], 0);
	TEST_EQ(total, 3);
	TEST_ERR(pull_from(&f, &h2, &c2, 500, id, nitems(id), seen, &total));
	TEST_EQ(seen[2] + seen[5], 2);
	TEST_EQ(seen[0] + seen[1] + seen[3] + seen[4] + seen[6], 0);
	TEST_EQ(total, 2);
	/* the clinic's later edit of p1's appointment follows it */
	PUSH(a, REC_APPOINTMENT, 4, 0, (int)slot[0] - 1);
	TEST_ERR(pull_from(&f, &h1, &c1, 1, id, nitems(id), seen, &total));
	TEST_EQ(total, 1);
	TEST_EQ(seen[4], 1);
	/* dr-c joins hub1: p3's booked appointment and p3 come after all */
	staff_body(&id[9], "dr-c", NULL, &b0, &len);
	PUSH_BODY(h1, REC_USER, 9);
	TEST_ERR(pull_from(&f, &h1, &c1, 1, id, nitems(id), seen, &total));
	TEST_EQ(seen[3] + seen[6], 2);
	TEST_EQ(total, 2);
	TEST_ERR(pull_from(&f, &h2, &c2, 500, id, nitems(id), seen, &total));
	TEST_EQ(total, 0);
out:
	free(b0);
	fix_stop(&f);
	return err;
}

/* Issue 14: the server checks a pushed prescription again and refuses
 * per change, with the prescription codes; a clinic gets the orders of
 * its patients. */
static int
test_prescription(void)
{
	struct fix f;
	struct pn a, hub;
	struct cur ca = { { 0 }, 0 };
	struct model_rec r;
	struct uuid pat, id[8];
	char pats[UUID_STRLEN + 1], ids[UUID_STRLEN + 1],
	    order[UUID_STRLEN + 1];
	cbor_item_t *m = NULL;
	uint8_t *b = NULL;
	size_t len, i, total;
	uint64_t code;
	int seen[8], err = 0;
	static const struct {
		const char *code;
		double dose;
		const char *override;
		int cancel_of, flip;
		uint64_t expect;
	} cases[] = {
		{ "PCM500", 500, NULL, -1, 0, 0 }, /* 0: clean */
		{ "PCM500", 5000, "sure", -1, 0, WERR_RX_BLOCKED }, /* 10x */
		{ "MOR10", 10, "sure", -1, 0,
		    WERR_RX_BLOCKED }, /* prohibited */
		{ "IBU400", 600, NULL, -1, 0, WERR_RX_OVERRIDE }, /* usual */
		{ "IBU400", 600, "severe pain", -1, 0, 0 }, /* overridden */
		{ "PCM500", 500, NULL, -1, 1, WERR_RX_INVALID }, /* tampered */
		{ "NOPE", 1, NULL, -1, 0, WERR_RX_BLOCKED }, /* formulary */
		{ "PCM500", 500, NULL, 0, 0, 0 }, /* 7: cancel of 0 */
	};

	memset(&a, 0, sizeof(a));
	memset(&hub, 0, sizeof(hub));
	TEST_ERR(fix_start(&f));
	TEST_ERR(fix_node_as(&f, "north", "clinic", "f1", &a.t, NULL));
	TEST_ERR(fix_node_as(&f, "north", "hub", "hub1", &hub.t, NULL));
	uuid_v7(&pat);
	uuid_format(&pat, pats);
	body_of(REC_PATIENT, &pat, &pat, 0, 0, &b, &len);
	TEST_ERR(push_one(&f, &a, REC_PATIENT, &pat, b, len, &code, NULL, 0));
	free(b);
	b = NULL;
	TEST_EQ(code, 0);
	for (i = 0; i < nitems(cases); i++) {
		char why[128] = "";

		uuid_v7(&id[i]);
		uuid_format(&id[i], ids);
		model_rec_init(
		    &r, model_entity(REC_PRESCRIPTION), ids, now_hlc(), NULL);
		if (cases[i].cancel_of >= 0)
			uuid_format(&id[cases[i].cancel_of], order);
		rx_body(&r, pats, cases[i].code, cases[i].dose,
		    cases[i].override, cases[i].cancel_of >= 0 ? order : NULL);
		if (cases[i].flip)
			model_set_double(&r, REC_RX_DOSE, cases[i].dose + 1);
		TEST_ERR(model_encode(&r, &m));
		TEST_TRUE(cborx_encode(m, &b, &len) == 0);
		cbor_decref(&m);
		TEST_ERR(push_one(&f, &hub, REC_PRESCRIPTION, &id[i], b, len,
		    &code, why, sizeof(why)));
		free(b);
		b = NULL;
		if (code != cases[i].expect)
			fprintf(stderr, "  case %zu: %s\n", i, why);
		TEST_EQ(code, cases[i].expect);
	}
	/* a clinic may not prescribe */
	uuid_v7(&id[7]);
	body_of(REC_PRESCRIPTION, &id[7], &pat, 0, 0, &b, &len);
	TEST_ERR(
	    push_one(&f, &a, REC_PRESCRIPTION, &id[7], b, len, &code, NULL, 0));
	TEST_EQ(code, WERR_FORBIDDEN);
	/* the clinic gets the stored orders of its patient (the clean one
	 * and the overridden one), no refused one */
	TEST_ERR(pull_from(&f, &a, &ca, 500, id, 7, seen, &total));
	TEST_EQ(seen[0] + seen[4], 2);
	TEST_EQ(seen[1] + seen[2] + seen[3] + seen[5] + seen[6], 0);
out:
	free(b);
	fix_stop(&f);
	return err;
}

/* A referral fact's body (the policy reads it, no server). */
static void
referral_body(const struct uuid *id, const char *ref, const char *pat,
    const char *kind, const char *from, const char *to, const char *state,
    const char *role, const char *consult, const char *outcome, uint8_t **out,
    size_t *len)
{
	struct model_rec r;
	cbor_item_t *m = NULL;
	char ids[UUID_STRLEN + 1];

	uuid_format(id, ids);
	model_rec_init(&r, model_entity(REC_REFERRAL), ids, now_hlc(), NULL);
	model_set_text(&r, REC_REF_KIND, kind);
	model_set_text(&r, REC_REF_REFERRAL, ref != NULL ? ref : ids);
	model_set_text(&r, REC_REF_PATIENT, pat);
	model_set_text(&r, REC_REF_FROM, from);
	model_set_text(&r, REC_REF_TARGET, to);
	model_set_text(&r, REC_REF_STATE, state);
	model_set_text(&r, REC_REF_OUTCOME, outcome);
	if (strcmp(kind, "request") == 0) {
		model_set_text(&r, REC_REF_REASON, "r");
		model_set_text(&r, REC_REF_URGENCY, "routine");
		model_set_uint(&r, REC_REF_DUE, 1);
		model_set_text(&r, REC_REF_REQ_ROLE, role);
		model_set_text(&r, REC_REF_CONSULT, consult);
	}
	if (model_encode(&r, &m) != 0 || cborx_encode(m, out, len) != 0)
		abort();
	cbor_decref(&m);
}

/* What the server says of one referral fact pushed by a ROLE node of
 * FACILITY: the code (policy_read, then the table's SCOPE allowing it,
 * then policy_referral_step). */
static int
referral_verdict(const char *role, const char *facility, const uint8_t *b,
    size_t len, const struct uuid *id)
{
	struct schange c;
	struct sverdict v;
	struct snode n;

	memset(&c, 0, sizeof(c));
	memset(&v, 0, sizeof(v));
	memset(&n, 0, sizeof(n));
	c.entity = REC_REFERRAL;
	memcpy(c.id, id->b, 16);
	c.body = b;
	c.len = len;
	snprintf(n.role, sizeof(n.role), "%s", role);
	snprintf(n.facility, sizeof(n.facility), "%s", facility);
	snprintf(n.region, sizeof(n.region), "north");
	policy_read(&c, &v);
	if (v.code == 0)
		policy_referral_step(&n, &c, NULL, &v);
	return v.code;
}

/*
 * Who may write which referral fact (policy_referral_step, docs/SECURITY.md
 * "Referrals"): a request from the pusher's own facility, a hub's only a
 * clinician's from a consult, a clinician's always from a consult; target
 * steps from the target facility, cancel and follow-up from the
 * referring one; malformed facts refused as referral_invalid.
 */
static int
test_referral_steps(void)
{
	static const struct {
		const char *role, *facility, *kind, *from, *to, *state,
		    *req_role, *consult, *outcome;
		int code;
	} c[] = {
		{ "clinic", "fa", "request", "fa", "fb", NULL, "chw", NULL,
		    NULL, 0 },
		{ "clinic", "fc", "request", "fa", "fb", NULL, "chw", NULL,
		    NULL, WERR_REFERRAL_SIDE },
		{ "clinic", "fa", "request", "fa", "fb", NULL, "clinician",
		    NULL, NULL, WERR_REFERRAL_REQUESTER },
		{ "clinic", "fa", "request", "fa", "fb", NULL, "clinician",
		    "c1", NULL, 0 },
		{ "hub", "fa", "request", "fa", "fb", NULL, "chw", NULL, NULL,
		    WERR_REFERRAL_REQUESTER },
		{ "hub", "fa", "request", "fa", "fb", NULL, "clinician", "c1",
		    NULL, 0 },
		{ "clinic", "fa", "request", "fa", "fa", NULL, "chw", NULL,
		    NULL, WERR_REFERRAL_INVALID },
		{ "clinic", "fa", "request", "fa", "fb", NULL, "nurse", NULL,
		    NULL, WERR_REFERRAL_INVALID },
		{ "clinic", "fa", "request", "fa", "fb", "accepted", "chw",
		    NULL, NULL, WERR_REFERRAL_INVALID },
		{ "clinic", "fb", "step", "fa", "fb", "accepted", NULL, NULL,
		    NULL, 0 },
		{ "clinic", "fb", "step", "fa", "fb", "completed", NULL, NULL,
		    NULL, 0 },
		{ "clinic", "fa", "step", "fa", "fb", "accepted", NULL, NULL,
		    NULL, WERR_REFERRAL_SIDE },
		{ "clinic", "fc", "step", "fa", "fb", "completed", NULL, NULL,
		    NULL, WERR_REFERRAL_SIDE },
		{ "clinic", "fa", "step", "fa", "fb", "cancelled", NULL, NULL,
		    NULL, 0 },
		{ "clinic", "fb", "step", "fa", "fb", "cancelled", NULL, NULL,
		    NULL, WERR_REFERRAL_SIDE },
		{ "clinic", "fa", "step", "fa", "fb", "follow-up", NULL, NULL,
		    "died", 0 },
		{ "clinic", "fb", "step", "fa", "fb", "follow-up", NULL, NULL,
		    "died", WERR_REFERRAL_SIDE },
		{ "clinic", "fa", "step", "fa", "fb", "follow-up", NULL, NULL,
		    NULL, WERR_REFERRAL_INVALID },
		{ "clinic", "fa", "step", "fa", "fb", "follow-up", NULL, NULL,
		    "vanished", WERR_REFERRAL_INVALID },
		{ "clinic", "fb", "step", "fa", "fb", "rejected", NULL, NULL,
		    NULL, WERR_REFERRAL_INVALID },
		{ "clinic", "fb", "step", "fa", "fb", "seen", NULL, NULL, NULL,
		    WERR_REFERRAL_INVALID },
		{ "clinic", "fb", "step", "fa", "fb", "requested", NULL, NULL,
		    NULL, WERR_REFERRAL_INVALID },
	};
	struct uuid id, pat, ref;
	char pats[UUID_STRLEN + 1], refs[UUID_STRLEN + 1];
	uint8_t *b = NULL;
	size_t i, len;
	int code, err = 0;

	uuid_v7(&pat);
	uuid_v7(&ref);
	uuid_format(&pat, pats);
	uuid_format(&ref, refs);
	for (i = 0; i < nitems(c); i++) {
		uuid_v7(&id);
		referral_body(&id, strcmp(c[i].kind, "step") == 0 ? refs : NULL,
		    pats, c[i].kind, c[i].from, c[i].to, c[i].state,
		    c[i].req_role, c[i].consult, c[i].outcome, &b, &len);
		code = referral_verdict(c[i].role, c[i].facility, b, len, &id);
		free(b);
		b = NULL;
		if (code != c[i].code)
			TEST_FAILED("case %zu (%s %s %s %s): code %d, want %d",
			    i, c[i].role, c[i].facility, c[i].kind,
			    c[i].state ? c[i].state : "-", code, c[i].code);
	}
	/* a step that names itself as its referral is not a step */
	uuid_v7(&id);
	uuid_format(&id, refs);
	referral_body(&id, refs, pats, "step", "fa", "fb", "accepted", NULL,
	    NULL, NULL, &b, &len);
	TEST_EQ(referral_verdict("clinic", "fb", b, len, &id),
	    WERR_REFERRAL_INVALID);
out:
	free(b);
	return err;
}

/*
 * One emergency incident (entity 12, issue 16 criterion 7, the sync half):
 * the kiosk's push and three replays of the same change give one record;
 * the regional office's acknowledgement is an edit of that record, and a
 * hub outside the patient's scope may not move it.
 */
static int
test_emergency_once(void)
{
	struct fix f;
	struct pn a, hub, adm;
	struct uuid pat, inc;
	struct model_rec r;
	cbor_item_t *ans = NULL, *m = NULL;
	uint8_t *b = NULL;
	size_t len;
	uint64_t code, hlc, base;
	char ids[UUID_STRLEN + 1], pats[UUID_STRLEN + 1], why[200];
	int seen = 0, err = 0, i, ent = REC_EMERGENCY;

	memset(&a, 0, sizeof(a));
	memset(&hub, 0, sizeof(hub));
	memset(&adm, 0, sizeof(adm));
	uuid_v7(&pat);
	uuid_v7(&inc);
	uuid_format(&pat, pats);
	uuid_format(&inc, ids);
	TEST_ERR(fix_start(&f));
	TEST_ERR(fix_node_as(&f, "north", "clinic", "f1", &a.t, NULL));
	TEST_ERR(fix_node_as(&f, "north", "hub", "hub1", &hub.t, NULL));
	TEST_ERR(fix_node_as(&f, "north", "admin", "office", &adm.t, NULL));
	body_of(REC_PATIENT, &pat, &pat, 0, 0, &b, &len);
	TEST_ERR(push_one(&f, &a, REC_PATIENT, &pat, b, len, &code, NULL, 0));
	free(b);
	b = NULL;
	TEST_EQ(code, 0);
	/* the incident as the kiosk raised it, pushed, then the same bundle
	 * (same outbox sequence) replayed 3 times, as after lost answers */
	hlc = now_hlc();
	model_rec_init(&r, model_entity(REC_EMERGENCY), ids, hlc, NULL);
	model_set_text(&r, REC_EMERG_PATIENT, pats);
	model_set_text(&r, REC_EMERG_CODE, "938NKR");
	model_set_text(&r, REC_EMERG_TRIGGER, "key");
	model_set_text(&r, REC_EMERG_STATE, "paging");
	model_set_uint(&r, REC_EMERG_LOOP, 1);
	TEST_ERR(model_encode(&r, &m));
	TEST_ERR(cborx_encode(m, &b, &len));
	cbor_decref(&m);
	base = a.seq;
	for (i = 0; i < 4; i++) {
		a.seq = base;
		TEST_ERR(push_n(&f, &a, 1, &ent, &inc, &b, &len, &hlc, &ans));
		TEST_EQ(fix_refusal(ans, a.seq, why, sizeof(why)), 0);
		cbor_decref(&ans);
	}
	free(b);
	b = NULL;
	TEST_ERR(pulled_has(&f, &adm, &inc, &seen));
	TEST_EQ(seen, 1);
	/* the hub has not seen the patient: it may not move the incident */
	model_rec_init(&r, model_entity(REC_EMERGENCY), ids, now_hlc(), NULL);
	model_set_text(&r, REC_EMERG_STATE, "acknowledged");
	model_set_text(&r, REC_EMERG_ACKED_BY, "district-oncall");
	TEST_ERR(model_encode(&r, &m));
	TEST_ERR(cborx_encode(m, &b, &len));
	cbor_decref(&m);
	TEST_ERR(push_one(
	    &f, &hub, REC_EMERGENCY, &inc, b, len, &code, why, sizeof(why)));
	TEST_EQ(code, WERR_FORBIDDEN);
	/* the regional office (a dispatcher's yes) may */
	TEST_ERR(push_one(
	    &f, &adm, REC_EMERGENCY, &inc, b, len, &code, why, sizeof(why)));
	TEST_EQ(code, 0);
	TEST_ERR(pulled_has(&f, &a, &inc, &seen));
	TEST_TRUE(seen >= 1);
out:
	free(b);
	fix_stop(&f);
	return err;
}

/* A referral fact pushed by N: request REF (STATE NULL) or one of its
 * steps, naming FROM and TO, made by user BY (NULL: none); the code. */
static int
party_push(struct fix *f, struct pn *n, const struct uuid *ref,
    const char *pats, const char *from, const char *to, const char *state,
    const char *by, uint64_t *code)
{
	struct model_rec r;
	cbor_item_t *m = NULL;
	struct uuid id;
	uint8_t *b = NULL;
	size_t len;
	char ids[UUID_STRLEN + 1], refs[UUID_STRLEN + 1], why[128];
	int err;

	if (state == NULL)
		id = *ref;
	else
		uuid_v7(&id);
	uuid_format(&id, ids);
	uuid_format(ref, refs);
	model_rec_init(&r, model_entity(REC_REFERRAL), ids, now_hlc(), NULL);
	model_set_text(&r, REC_REF_KIND, state == NULL ? "request" : "step");
	model_set_text(&r, REC_REF_REFERRAL, refs);
	model_set_text(&r, REC_REF_PATIENT, pats);
	model_set_text(&r, REC_REF_FROM, from);
	model_set_text(&r, REC_REF_TARGET, to);
	if (state == NULL) {
		model_set_text(&r, REC_REF_REASON, "r");
		model_set_text(&r, REC_REF_URGENCY, "routine");
		model_set_uint(&r, REC_REF_DUE, 1);
		model_set_text(&r, REC_REF_REQ_ROLE, "chw");
		model_set_text(&r, REC_REF_REQUESTER, by);
	} else {
		model_set_text(&r, REC_REF_STATE, state);
		if (strcmp(state, "follow-up") == 0)
			model_set_text(&r, REC_REF_OUTCOME, "improved");
		if (strcmp(state, "rejected") == 0)
			model_set_text(&r, REC_REF_STATE_REASON, "full");
		if (by != NULL)
			model_set_uuid(&r, REC_K_BY, by);
	}
	if (model_encode(&r, &m) != 0 || cborx_encode(m, &b, &len) != 0)
		abort();
	cbor_decref(&m);
	err = push_one(f, n, REC_REFERRAL, &id, b, len, code, why, sizeof(why));
	free(b);
	return err;
}

/* A request and a step of it in one batch (the step's code in *CODE). */
static int
party_batch(struct fix *f, struct pn *n, const struct uuid *ref,
    const char *pats, const char *to_step, uint64_t *req_code, uint64_t *code)
{
	int ent[2] = { REC_REFERRAL, REC_REFERRAL };
	struct uuid id[2];
	struct model_rec r;
	cbor_item_t *m = NULL, *ans = NULL;
	uint8_t *b[2] = { NULL, NULL };
	size_t len[2], i;
	char ids[UUID_STRLEN + 1], refs[UUID_STRLEN + 1], why[128];
	int err;

	id[0] = *ref;
	uuid_v7(&id[1]);
	uuid_format(ref, refs);
	for (i = 0; i < 2; i++) {
		uuid_format(&id[i], ids);
		model_rec_init(
		    &r, model_entity(REC_REFERRAL), ids, now_hlc(), NULL);
		model_set_text(&r, REC_REF_KIND, i == 0 ? "request" : "step");
		model_set_text(&r, REC_REF_REFERRAL, refs);
		model_set_text(&r, REC_REF_PATIENT, pats);
		model_set_text(&r, REC_REF_FROM, "fa");
		model_set_text(&r, REC_REF_TARGET, i == 0 ? "fb" : to_step);
		if (i == 0) {
			model_set_text(&r, REC_REF_REASON, "r");
			model_set_text(&r, REC_REF_URGENCY, "routine");
			model_set_uint(&r, REC_REF_DUE, 1);
			model_set_text(&r, REC_REF_REQ_ROLE, "chw");
		} else
			model_set_text(&r, REC_REF_STATE, "cancelled");
		if (model_encode(&r, &m) != 0 ||
		    cborx_encode(m, &b[i], &len[i]) != 0)
			abort();
		cbor_decref(&m);
	}
	err = push_n(f, n, 2, ent, id, b, len, NULL, &ans);
	if (err == 0) {
		*req_code = fix_refusal(ans, n->seq - 1, why, sizeof(why));
		*code = fix_refusal(ans, n->seq, why, sizeof(why));
	}
	cbor_decref(&ans);
	free(b[0]);
	free(b[1]);
	return err;
}

/*
 * Referral steps judged against their request as the server holds it
 * (docs/PROTOCOL.md §4.3, referral_party): a node of another facility
 * forging an accept or a cancel is refused, whether it names the real
 * facilities or its own; the target's
 * steps and the referrer's cancel pass; the requesting user may cancel
 * from another facility's node; a request pushed earlier in the same
 * batch is the one a step is checked against; a step whose request the
 * server does not hold yet is judged by its own fields and kept.
 */
static int
test_referral_party(void)
{
	static const char user[] = "0190a5d0-0000-7000-8000-0000000000aa";
	static const char other[] = "0190a5d0-0000-7000-8000-0000000000bb";
	struct fix f;
	struct pn a, a2, b, c;
	struct uuid pat, enc, ref, r2, r3, r4;
	char pats[UUID_STRLEN + 1];
	uint8_t *body = NULL;
	size_t len;
	uint64_t code, rcode;
	int err = 0;

	memset(&a, 0, sizeof(a));
	memset(&a2, 0, sizeof(a2));
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	uuid_v7(&pat);
	uuid_v7(&ref);
	uuid_v7(&r2);
	uuid_v7(&r3);
	uuid_v7(&r4);
	uuid_format(&pat, pats);
	TEST_ERR(fix_start(&f));
	TEST_ERR(fix_node_as(&f, "north", "clinic", "fa", &a.t, NULL));
	TEST_ERR(fix_node_as(&f, "north", "clinic", "fa", &a2.t, NULL));
	TEST_ERR(fix_node_as(&f, "north", "clinic", "fb", &b.t, NULL));
	TEST_ERR(fix_node_as(&f, "north", "clinic", "fc", &c.t, NULL));
	/* P registered at fa; fc saw them too (so the table lets fc write
	 * referral facts of P: only the request can refuse it) */
	body_of(REC_PATIENT, &pat, &pat, 0, 0, &body, &len);
	TEST_ERR(
	    push_one(&f, &a, REC_PATIENT, &pat, body, len, &code, NULL, 0));
	free(body);
	body = NULL;
	TEST_EQ(code, 0);
	uuid_v7(&enc);
	body_of(REC_ENCOUNTER, &enc, &pat, 0, 0, &body, &len);
	TEST_ERR(
	    push_one(&f, &c, REC_ENCOUNTER, &enc, body, len, &code, NULL, 0));
	free(body);
	body = NULL;
	TEST_EQ(code, 0);

	/* fa refers P to fb, as USER */
	TEST_ERR(party_push(&f, &a, &ref, pats, "fa", "fb", NULL, user, &code));
	TEST_EQ(code, 0);
	/* fc forges fb's accept naming the real facilities */
	TEST_ERR(party_push(
	    &f, &c, &ref, pats, "fa", "fb", "accepted", NULL, &code));
	TEST_EQ(code, WERR_REFERRAL_PARTY);
	/* ... or naming itself as the target (its own fields would pass) */
	TEST_ERR(party_push(
	    &f, &c, &ref, pats, "fa", "fc", "accepted", NULL, &code));
	TEST_EQ(code, WERR_REFERRAL_PARTY);
	/* fc forges a cancel naming itself as the referrer */
	TEST_ERR(party_push(
	    &f, &c, &ref, pats, "fc", "fb", "cancelled", NULL, &code));
	TEST_EQ(code, WERR_REFERRAL_PARTY);
	TEST_ERR(party_push(
	    &f, &c, &ref, pats, "fc", "fb", "follow-up", other, &code));
	TEST_EQ(code, WERR_REFERRAL_PARTY);
	/* fb names another referrer in its accept */
	TEST_ERR(party_push(
	    &f, &b, &ref, pats, "fx", "fb", "accepted", NULL, &code));
	TEST_EQ(code, WERR_REFERRAL_PARTY);
	/* fb may not cancel, even naming itself as the referrer */
	TEST_ERR(party_push(
	    &f, &b, &ref, pats, "fb", "fb", "cancelled", NULL, &code));
	TEST_EQ(code, WERR_REFERRAL_PARTY);
	TEST_ERR(party_push(
	    &f, &b, &ref, pats, "fa", "fb", "cancelled", NULL, &code));
	TEST_EQ(code, WERR_REFERRAL_PARTY);
	/* the honest flow: fb receives and accepts, fa's other node
	 * cancels (the referring facility), fa records the follow-up */
	TEST_ERR(party_push(
	    &f, &b, &ref, pats, "fa", "fb", "received", NULL, &code));
	TEST_EQ(code, 0);
	TEST_ERR(party_push(
	    &f, &b, &ref, pats, "fa", "fb", "accepted", NULL, &code));
	TEST_EQ(code, 0);
	TEST_ERR(party_push(
	    &f, &a2, &ref, pats, "fa", "fb", "follow-up", NULL, &code));
	TEST_EQ(code, 0);
	TEST_ERR(party_push(
	    &f, &a2, &ref, pats, "fa", "fb", "cancelled", NULL, &code));
	TEST_EQ(code, 0);
	/* the requesting user cancels from fc's node; another user may not */
	TEST_ERR(party_push(
	    &f, &c, &ref, pats, "fa", "fb", "cancelled", user, &code));
	TEST_EQ(code, 0);
	TEST_ERR(party_push(
	    &f, &c, &ref, pats, "fa", "fb", "cancelled", other, &code));
	TEST_EQ(code, WERR_REFERRAL_PARTY);

	/* in one batch: the request, then a step checked against it */
	TEST_ERR(party_batch(&f, &a, &r2, pats, "fb", &rcode, &code));
	TEST_EQ(rcode, 0);
	TEST_EQ(code, 0);
	TEST_ERR(party_batch(&f, &a, &r3, pats, "fz", &rcode, &code));
	TEST_EQ(rcode, 0);
	TEST_EQ(code, WERR_REFERRAL_PARTY);

	/* a step before its request (it reached fb by another way): judged
	 * by its own fields and kept; the request still comes in */
	TEST_ERR(
	    party_push(&f, &b, &r4, pats, "fa", "fb", "accepted", NULL, &code));
	TEST_EQ(code, 0);
	TEST_ERR(
	    party_push(&f, &c, &r4, pats, "fa", "fb", "accepted", NULL, &code));
	TEST_EQ(code, WERR_REFERRAL_SIDE);
	TEST_ERR(party_push(&f, &a, &r4, pats, "fa", "fb", NULL, user, &code));
	TEST_EQ(code, 0);
	/* and from then on the request decides */
	TEST_ERR(
	    party_push(&f, &c, &r4, pats, "fa", "fc", "accepted", NULL, &code));
	TEST_EQ(code, WERR_REFERRAL_PARTY);
out:
	free(body);
	fix_stop(&f);
	return err;
}

TEST_MAIN({ "validate", test_validate }, { "matrix", test_matrix },
    { "pull_scope", test_pull_scope }, { "appt_scope", test_appt_scope },
    { "prescription", test_prescription },
    { "referral_steps", test_referral_steps },
    { "referral_party", test_referral_party },
    { "emergency_once", test_emergency_once })
