/*
 * The descriptor is the one list (issue 8): a field added to the patient
 * descriptor appears in the store, on the wire and in the merge with no
 * other edit.  The test adds a throwaway field (key 90, column
 * "nickname", which it adds to the table of two stores with ALTER TABLE),
 * saves a patient through the store's own write path on kiosk A, finds the
 * key in A's outbox body, applies that body as a pulled page on kiosk B
 * (kiosk/sync/apply.c, the real decoder and merge), and sees the column
 * set there; a later change with a lower HLC loses, a higher one wins, a
 * tie goes to the higher origin.
 *
 * Also the apply path itself, without a server: append-only facts are
 * inserted once, a change a constraint refuses is skipped on its own
 * savepoint while the rest of the page and its cursor commit.
 */
#define LOG_MODULE "test_descriptor"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cborx.h"
#include "kiosk/store/store_int.h"
#include "kiosk/sync/sync.h"
#include "kiosk/sync/sync_int.h"
#include "model.h"
#include "test.h"
#include "xmalloc.h"

#define K_NICK 90

/* One column of row ID of TABLE as text ("" for NULL); caller frees. */
static char *
col(struct store *s, const char *table, const char *column, const char *id)
{
	sqlite3_stmt *st;
	char sql[256];
	char *v = NULL;

	snprintf(
	    sql, sizeof(sql), "SELECT %s FROM %s WHERE id = ?", column, table);
	if (store_prepare(s, sql, &st) != 0)
		return NULL;
	store_bind_text(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = xstrdup(sqlite3_column_text(st, 0) != NULL
		        ? (const char *)sqlite3_column_text(st, 0)
		        : "");
	sqlite3_finalize(st);
	return v;
}

/* Apply one change as a pulled page of its own. */
static int
pull_one(struct store *s, int entity, const char *id, uint64_t hlc,
    const uint8_t *body, size_t len, uint64_t origin, uint64_t *applied)
{
	cbor_item_t *page = cborx_array(1), *c = cborx_array(5);
	struct uuid u;
	uint64_t n;
	int err;

	uuid_parse(id, &u);
	cborx_array_push(c, cborx_uint((uint64_t)entity));
	cborx_array_push(c, cborx_bytes(u.b, UUID_LEN));
	cborx_array_push(c, cborx_uint(hlc));
	cborx_array_push(c, cborx_bytes(body, len));
	cborx_array_push(c, cborx_uint(origin));
	cborx_array_push(page, c);
	err = sync_apply_page(s, page, (const uint8_t *)"cur", 3, &n, applied);
	cbor_decref(&page);
	return err;
}

/* The body of a patient change carrying only the nickname. */
static int
nick_body(
    const char *id, uint64_t hlc, const char *nick, uint8_t **out, size_t *len)
{
	struct model_rec r;
	cbor_item_t *m;
	int err;

	model_rec_init(&r, model_entity(REC_PATIENT), id, hlc, NULL);
	if ((err = model_set_text(&r, K_NICK, nick)) != 0 ||
	    (err = model_encode(&r, &m)) != 0)
		return err;
	err = cborx_encode(m, out, len);
	cbor_decref(&m);
	return err;
}

static int
test_throwaway_field(void)
{
	static const uint8_t key[32] = { 1, 2, 3 };
	const struct model_entity *base = model_entity(REC_PATIENT);
	struct model_field fields[MODEL_FIELDS_MAX];
	struct model_entity ext;
	struct store *a = NULL, *b = NULL;
	struct store_change *ch = NULL;
	struct model_rec r;
	cbor_item_t *body = NULL;
	char *da = test_tmpdir("descr"), *db = test_tmpdir("descr"), *v = NULL,
	     *t = NULL;
	char id[UUID_STRLEN + 1];
	uint8_t *nb = NULL;
	uint64_t hlc, last, applied;
	size_t n = 0, nlen;
	int err = 0;

	TEST_TRUE(da != NULL && db != NULL);
	/* The whole "edit": one more line in the patient descriptor... */
	memcpy(fields, base->fields, base->nfields * sizeof(*fields));
	fields[base->nfields] =
	    (struct model_field){ K_NICK, "nickname", MODEL_TEXT, 1 };
	ext = *base;
	ext.fields = fields;
	ext.nfields = base->nfields + 1;
	model_test_override(REC_PATIENT, &ext);
	/* ...and its column (a schema migration, in real life). */
	TEST_ERR(store_open(da, key, 1, &a));
	TEST_ERR(store_open(db, key, 1, &b));
	TEST_ERR(
	    store_exec(a, "ALTER TABLE patients ADD COLUMN nickname TEXT"));
	TEST_ERR(
	    store_exec(b, "ALTER TABLE patients ADD COLUMN nickname TEXT"));

	/* The store: kiosk A saves a patient through its write path. */
	store_new_id(id);
	TEST_ERR(store_tx_begin(a));
	hlc = store_hlc_now(a);
	store_rec_init(a, &r, REC_PATIENT, id, hlc);
	TEST_ERR(model_set_text(&r, REC_PAT_GIVEN, "Amina"));
	TEST_ERR(model_set_text(&r, REC_PAT_FAMILY, "Okafor"));
	TEST_ERR(model_set_text(&r, K_NICK, "Mimi"));
	TEST_ERR(store_tx_end(a, store_patient_write(a, &r, NULL)));
	v = col(a, "patients", "nickname", id);
	TEST_STR(v, "Mimi");
	free(v);
	v = NULL;

	/* The wire: the change in A's outbox carries the key. */
	TEST_ERR(store_outbox_last(a, &last));
	TEST_ERR(store_outbox_read(a, last - 1, 1, &ch, &n));
	TEST_EQ(n, 1);
	TEST_EQ(ch[0].entity, REC_PATIENT);
	TEST_STR(ch[0].id, id);
	TEST_ERR(cborx_decode(ch[0].body, ch[0].len, 1 << 20, &body));
	TEST_ERR(cborx_map_text(body, K_NICK, 64, &t));
	TEST_STR(t, "Mimi");

	/* The merge: kiosk B pulls it... */
	TEST_ERR(pull_one(
	    b, REC_PATIENT, id, ch[0].hlc, ch[0].body, ch[0].len, 7, &applied));
	TEST_EQ(applied, 1);
	v = col(b, "patients", "nickname", id);
	TEST_STR(v, "Mimi");
	free(v);
	v = NULL;
	/* ...an older change of the field loses... */
	TEST_ERR(nick_body(id, ch[0].hlc - 1, "Old", &nb, &nlen));
	TEST_ERR(
	    pull_one(b, REC_PATIENT, id, ch[0].hlc - 1, nb, nlen, 9, &applied));
	TEST_EQ(applied, 0);
	v = col(b, "patients", "nickname", id);
	TEST_STR(v, "Mimi");
	free(v);
	v = NULL;
	free(nb);
	nb = NULL;
	/* ...a tie goes to the higher origin, a lower one loses... */
	TEST_ERR(nick_body(id, ch[0].hlc, "Low", &nb, &nlen));
	TEST_ERR(
	    pull_one(b, REC_PATIENT, id, ch[0].hlc, nb, nlen, 6, &applied));
	TEST_EQ(applied, 0);
	free(nb);
	nb = NULL;
	TEST_ERR(nick_body(id, ch[0].hlc, "Tie", &nb, &nlen));
	TEST_ERR(
	    pull_one(b, REC_PATIENT, id, ch[0].hlc, nb, nlen, 8, &applied));
	TEST_EQ(applied, 1);
	v = col(b, "patients", "nickname", id);
	TEST_STR(v, "Tie");
	free(v);
	v = NULL;
	free(nb);
	nb = NULL;
	/* ...a newer one wins, and leaves the other fields alone. */
	TEST_ERR(nick_body(id, ch[0].hlc + 5, "Momo", &nb, &nlen));
	TEST_ERR(
	    pull_one(b, REC_PATIENT, id, ch[0].hlc + 5, nb, nlen, 1, &applied));
	TEST_EQ(applied, 1);
	v = col(b, "patients", "nickname", id);
	TEST_STR(v, "Momo");
	free(v);
	v = col(b, "patients", "given", id);
	TEST_STR(v, "Amina");
	free(v);
	v = NULL;

	/* The typed path is unchanged by the extra field. */
	{
		struct store_patient p = { 0 };
		char *cause = NULL;

		p.given = (char *)"Baraka";
		p.family = (char *)"Otieno";
		TEST_ERR(store_patient_add(a, &p, NULL, &cause));
		v = col(a, "patients", "nickname", p.id);
		TEST_STR(v, "");
	}
out:
	model_test_override(REC_PATIENT, NULL);
	free(v);
	free(t);
	free(nb);
	if (body != NULL)
		cbor_decref(&body);
	store_outbox_free(ch, n);
	store_close(a);
	store_close(b);
	test_rmdir(da);
	test_rmdir(db);
	return err;
}

static int
test_apply_page(void)
{
	static const uint8_t key[32] = { 4, 5, 6 };
	struct store *a = NULL, *b = NULL;
	struct store_change *ch = NULL;
	cbor_item_t *page = NULL;
	char *da = test_tmpdir("descr"), *db = test_tmpdir("descr"), *v = NULL;
	char pid[UUID_STRLEN + 1], enc[UUID_STRLEN + 1], *cause = NULL;
	uint8_t *cur = NULL;
	size_t n = 0, i, clen;
	uint64_t cnt, applied;
	struct store_obs o = { 0 };
	struct store_patient p = { 0 };
	struct uuid u;
	int err = 0;

	TEST_TRUE(da != NULL && db != NULL);
	TEST_ERR(store_open(da, key, 1, &a));
	TEST_ERR(store_open(db, key, 1, &b));
	p.given = (char *)"Amina";
	p.family = (char *)"Okafor";
	TEST_ERR(store_patient_add(a, &p, NULL, &cause));
	snprintf(pid, sizeof(pid), "%s", p.id);
	TEST_ERR(store_encounter_open(a, pid, "fever", enc));
	o.loinc = "8310-5";
	o.value = 38.5;
	o.unit = "Cel";
	TEST_ERR(store_obs_add(a, enc, &o));
	TEST_ERR(
	    store_form_submit(a, "uuid:1", "anc", "1", enc, pid, "<data/>"));
	TEST_ERR(store_alert_raise(a, pid, enc, "news2", 7, "rr", NULL));
	TEST_ERR(store_outbox_read(a, 0, 100, &ch, &n));
	TEST_TRUE(n >= 5);

	/* A's changes as one page for B, plus one that a constraint
	 * refuses: an observation of an encounter B does not have. */
	page = cborx_array(n + 1);
	for (i = 0; i <= n; i++) {
		cbor_item_t *c = cborx_array(5);
		struct store_change *x = &ch[i < n ? i : n - 1];
		int bad = i == n;

		if (bad) {
			struct model_rec r;
			cbor_item_t *m;
			uint8_t *bb;
			size_t bl;
			char oid[UUID_STRLEN + 1];

			store_new_id(oid);
			model_rec_init(&r, model_entity(REC_OBSERVATION), oid,
			    x->hlc, NULL);
			model_set_text(&r, REC_OBS_ENCOUNTER, oid);
			model_set_text(&r, REC_OBS_PATIENT, pid);
			model_set_text(&r, REC_OBS_LOINC, "8867-4");
			TEST_ERR(model_encode(&r, &m));
			TEST_ERR(cborx_encode(m, &bb, &bl));
			cbor_decref(&m);
			uuid_parse(oid, &u);
			cborx_array_push(c, cborx_uint(REC_OBSERVATION));
			cborx_array_push(c, cborx_bytes(u.b, UUID_LEN));
			cborx_array_push(c, cborx_uint(x->hlc));
			cborx_array_push(c, cborx_bytes(bb, bl));
			free(bb);
		} else {
			uuid_parse(x->id, &u);
			cborx_array_push(c, cborx_uint((uint64_t)x->entity));
			cborx_array_push(c, cborx_bytes(u.b, UUID_LEN));
			cborx_array_push(c, cborx_uint(x->hlc));
			cborx_array_push(c, cborx_bytes(x->body, x->len));
		}
		cborx_array_push(c, cborx_uint(3));
		cborx_array_push(page, c);
	}
	TEST_ERR(
	    sync_apply_page(b, page, (const uint8_t *)"c1", 2, &cnt, &applied));
	TEST_EQ(cnt, n + 1);
	TEST_EQ(applied, n); /* all but the refused one */
	TEST_ERR(store_state_get(b, SYNC_K_CURSOR, &cur, &clen));
	TEST_EQ(clen, 2);
	TEST_MEM(cur, "c1", 2);
	v = col(b, "observations", "loinc", o.id);
	TEST_STR(v, "8310-5");
	free(v);
	v = col(b, "encounters", "status", enc);
	TEST_STR(v, "open");
	free(v);
	v = NULL;
	/* The same page again changes nothing. */
	TEST_ERR(
	    sync_apply_page(b, page, (const uint8_t *)"c2", 2, &cnt, &applied));
	TEST_EQ(applied, 0);
	/* Pulled changes never enter B's outbox. */
	TEST_ERR(store_outbox_last(b, &cnt));
	TEST_EQ(cnt, 0);
out:
	free(v);
	free(cur);
	free(cause);
	if (page != NULL)
		cbor_decref(&page);
	store_outbox_free(ch, n);
	store_close(a);
	store_close(b);
	test_rmdir(da);
	test_rmdir(db);
	return err;
}

TEST_MAIN({ "throwaway_field", test_throwaway_field },
    { "apply_page", test_apply_page })
