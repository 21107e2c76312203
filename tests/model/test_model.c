/*
 * model/: every entity's body is encoded from its descriptor into exactly
 * the bytes the hand-written encoders of before produced (same keys, same
 * deterministic CBOR), decodes back to the same values, and bad bodies are
 * refused with EBADMSG.  The per-field merge rule: higher HLC wins, ties go
 * to the higher origin.  The patient rules: one sex vocabulary, birth
 * dates, ages.
 */
#define LOG_MODULE "test_model"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cborx.h"
#include "compat.h"
#include "model.h"
#include "patient.h"
#include "prescription.h"
#include "record.h"
#include "test.h"
#include "uuid.h"
#include "xmalloc.h"

#define ID "0190a4b2-7c3d-7e8f-9a0b-1c2d3e4f5a6b"
#define NODE "0190a4b2-0000-7000-8000-000000000001"
#define USER "0190a4b2-0000-7000-8000-0000000000aa"
#define HLC ((uint64_t)1733000000000 << 16 | 7)

/* The common keys as kiosk/store/store.c's store_body_new wrote them. */
static cbor_item_t *
legacy_body(size_t nfields, int with_by)
{
	cbor_item_t *m = cborx_map(nfields + 4);
	struct uuid u;

	uuid_parse(ID, &u);
	cborx_map_put(m, REC_K_ID, cborx_bytes(u.b, UUID_LEN));
	cborx_map_put(m, REC_K_HLC, cborx_uint(HLC));
	if (with_by) {
		uuid_parse(USER, &u);
		cborx_map_put(m, REC_K_BY, cborx_bytes(u.b, UUID_LEN));
	}
	uuid_parse(NODE, &u);
	cborx_map_put(m, REC_K_NODE, cborx_bytes(u.b, UUID_LEN));
	return m;
}

static void
rec_start(struct model_rec *r, int entity, int with_by)
{
	model_rec_init(r, model_entity(entity), ID, HLC, NODE);
	if (with_by)
		model_set_uuid(r, REC_K_BY, USER);
}

/* Encode R and the legacy map WANT (consumed); 0 when the bytes match. */
static int
same_bytes(const struct model_rec *r, cbor_item_t *want, uint8_t **outp,
    size_t *outlen)
{
	cbor_item_t *got = NULL;
	uint8_t *a = NULL, *b = NULL;
	size_t alen, blen;
	int err = 0;

	*outp = NULL;
	TEST_ERR(model_encode(r, &got));
	TEST_ERR(cborx_encode(got, &a, &alen));
	TEST_ERR(cborx_encode(want, &b, &blen));
	TEST_EQ(alen, blen);
	TEST_MEM(a, b, alen);
	TEST_TRUE(cborx_is_canonical(a, alen));
	*outp = a;
	*outlen = alen;
	a = NULL;
out:
	if (got != NULL)
		cbor_decref(&got);
	cbor_decref(&want);
	free(a);
	free(b);
	return err;
}

static int
test_encode_patient(void)
{
	struct model_rec r, d;
	cbor_item_t *w;
	uint8_t *enc = NULL;
	size_t len;
	int err = 0;

	memset(&d, 0, sizeof(d));
	rec_start(&r, REC_PATIENT, 1);
	model_set_text(&r, REC_PAT_GIVEN, "Amina");
	model_set_text(&r, REC_PAT_FAMILY, "Okafor");
	model_set_text(&r, REC_PAT_SEX, "female");
	model_set_text(&r, REC_PAT_BIRTH, "1990-04-02");
	model_set_text(&r, REC_PAT_VILLAGE, "Kisumu");
	w = legacy_body(7, 1);
	cborx_map_put(w, REC_PAT_GIVEN, cborx_text("Amina"));
	cborx_map_put(w, REC_PAT_FAMILY, cborx_text("Okafor"));
	cborx_map_put(w, REC_PAT_SEX, cborx_text("female"));
	cborx_map_put(w, REC_PAT_BIRTH, cborx_text("1990-04-02"));
	cborx_map_put(w, REC_PAT_VILLAGE, cborx_text("Kisumu"));
	TEST_ERR(same_bytes(&r, w, &enc, &len));
	/* ...and back. */
	TEST_ERR(model_decode(model_entity(REC_PATIENT), enc, len, &d));
	TEST_STR(d.id, ID);
	TEST_STR(d.node, NODE);
	TEST_EQ(d.hlc, HLC);
	TEST_STR(model_get(&d, REC_PAT_GIVEN)->text, "Amina");
	TEST_STR(model_get(&d, REC_PAT_VILLAGE)->text, "Kisumu");
	TEST_STR(model_get(&d, REC_K_BY)->text, USER);
	TEST_TRUE(model_get(&d, REC_PAT_PHONE) == NULL);
	TEST_TRUE(model_get(&d, REC_K_DELETED) == NULL);
out:
	model_rec_clear(&d);
	free(enc);
	return err;
}

static int
test_encode_encounter(void)
{
	struct model_rec r, d;
	cbor_item_t *w;
	uint8_t *enc = NULL;
	size_t len;
	int err = 0;

	memset(&d, 0, sizeof(d));
	/* Opening, as encounter.c wrote it (no user: no "by"). */
	rec_start(&r, REC_ENCOUNTER, 0);
	model_set_text(&r, REC_ENC_PATIENT, NODE);
	model_set_uint(&r, REC_ENC_STARTED, 1733000000000ULL);
	model_set_text(&r, REC_ENC_REASON, "cough");
	model_set_text(&r, REC_ENC_STATUS, "open");
	w = legacy_body(5, 0);
	cborx_map_put(w, REC_ENC_PATIENT, cborx_text(NODE));
	cborx_map_put(w, REC_ENC_STARTED, cborx_uint(1733000000000ULL));
	cborx_map_put(w, REC_ENC_REASON, cborx_text("cough"));
	cborx_map_put(w, REC_ENC_STATUS, cborx_text("open"));
	TEST_ERR(same_bytes(&r, w, &enc, &len));
	TEST_ERR(model_decode(model_entity(REC_ENCOUNTER), enc, len, &d));
	TEST_EQ(model_get(&d, REC_ENC_STARTED)->u, 1733000000000ULL);
	TEST_STR(model_get(&d, REC_ENC_STATUS)->text, "open");
	TEST_TRUE(model_get(&d, REC_K_BY) == NULL);
	model_rec_clear(&d);
	free(enc);
	enc = NULL;
	/* Closing: two fields only. */
	rec_start(&r, REC_ENCOUNTER, 1);
	model_set_text(&r, REC_ENC_STATUS, "closed");
	model_set_uint(&r, REC_ENC_ENDED, 1733000999000ULL);
	w = legacy_body(2, 1);
	cborx_map_put(w, REC_ENC_STATUS, cborx_text("closed"));
	cborx_map_put(w, REC_ENC_ENDED, cborx_uint(1733000999000ULL));
	TEST_ERR(same_bytes(&r, w, &enc, &len));
out:
	model_rec_clear(&d);
	free(enc);
	return err;
}

static int
test_encode_observation(void)
{
	static const uint8_t prov[] = { 0xa2, 0x02, 0x61, 'b', 0x01, 0x61,
		'a' }; /* {2: "b", 1: "a"}, not in key order */
	struct model_rec r, d;
	cbor_item_t *w, *p = NULL;
	uint8_t *enc = NULL;
	size_t len;
	int err = 0;

	memset(&d, 0, sizeof(d));
	rec_start(&r, REC_OBSERVATION, 1);
	model_set_text(&r, REC_OBS_ENCOUNTER, ID);
	model_set_text(&r, REC_OBS_PATIENT, NODE);
	model_set_text(&r, REC_OBS_LOINC, "8310-5");
	model_set_double(&r, REC_OBS_VALUE, 37.2);
	model_set_text(&r, REC_OBS_UNIT, "Cel");
	model_set_text(&r, REC_OBS_DEVICE, "virtual:thermo");
	model_set_cbor(&r, REC_OBS_PROVENANCE, prov, sizeof(prov));
	model_set_uint(&r, REC_OBS_TAKEN, 1733000000001ULL);
	model_set_uint(&r, REC_OBS_RECORDED, 1733000000002ULL);
	w = legacy_body(11, 1);
	cborx_map_put(w, REC_OBS_ENCOUNTER, cborx_text(ID));
	cborx_map_put(w, REC_OBS_PATIENT, cborx_text(NODE));
	cborx_map_put(w, REC_OBS_LOINC, cborx_text("8310-5"));
	cborx_map_put(w, REC_OBS_VALUE, cborx_double(37.2));
	cborx_map_put(w, REC_OBS_UNIT, cborx_text("Cel"));
	cborx_map_put(w, REC_OBS_DEVICE, cborx_text("virtual:thermo"));
	TEST_ERR(cborx_decode(prov, sizeof(prov), 1 << 16, &p));
	cborx_map_put(w, REC_OBS_PROVENANCE, p);
	cborx_map_put(w, REC_OBS_TAKEN, cborx_uint(1733000000001ULL));
	cborx_map_put(w, REC_OBS_RECORDED, cborx_uint(1733000000002ULL));
	TEST_ERR(same_bytes(&r, w, &enc, &len));
	TEST_ERR(model_decode(model_entity(REC_OBSERVATION), enc, len, &d));
	TEST_TRUE(fabs(model_get(&d, REC_OBS_VALUE)->d - 37.2) < 1e-9);
	/* The provenance comes back as its canonical encoding. */
	TEST_EQ(model_get(&d, REC_OBS_PROVENANCE)->len, sizeof(prov));
	TEST_TRUE(model_get(&d, REC_OBS_PROVENANCE)->p[1] == 0x01);
	/* A whole-number value is a float on the wire all the same. */
	model_rec_clear(&d);
	free(enc);
	enc = NULL;
	rec_start(&r, REC_OBSERVATION, 0);
	model_set_text(&r, REC_OBS_LOINC, "8867-4");
	model_set_double(&r, REC_OBS_VALUE, 72);
	w = legacy_body(2, 0);
	cborx_map_put(w, REC_OBS_LOINC, cborx_text("8867-4"));
	cborx_map_put(w, REC_OBS_VALUE, cborx_double(72));
	TEST_ERR(same_bytes(&r, w, &enc, &len));
out:
	model_rec_clear(&d);
	free(enc);
	return err;
}

static int
test_encode_form_alert(void)
{
	static const char xml[] = "<data id=\"anc\"><bp>120</bp></data>";
	struct model_rec r, d;
	cbor_item_t *w;
	uint8_t *enc = NULL;
	size_t len;
	int err = 0;

	memset(&d, 0, sizeof(d));
	rec_start(&r, REC_FORM, 1);
	model_set_text(&r, REC_FORM_ENCOUNTER, ID);
	model_set_text(&r, REC_FORM_PATIENT, NODE);
	model_set_text(&r, REC_FORM_FORMID, "anc");
	model_set_text(&r, REC_FORM_VERSION, "3");
	model_set_text(&r, REC_FORM_INSTANCE, "uuid:" ID);
	model_set_bytes(&r, REC_FORM_XML, xml, strlen(xml));
	model_set_text(&r, REC_FORM_STATUS, "final");
	w = legacy_body(7, 1);
	cborx_map_put(w, REC_FORM_ENCOUNTER, cborx_text(ID));
	cborx_map_put(w, REC_FORM_PATIENT, cborx_text(NODE));
	cborx_map_put(w, REC_FORM_FORMID, cborx_text("anc"));
	cborx_map_put(w, REC_FORM_VERSION, cborx_text("3"));
	cborx_map_put(w, REC_FORM_INSTANCE, cborx_text("uuid:" ID));
	cborx_map_put(w, REC_FORM_XML, cborx_bytes(xml, strlen(xml)));
	cborx_map_put(w, REC_FORM_STATUS, cborx_text("final"));
	TEST_ERR(same_bytes(&r, w, &enc, &len));
	TEST_ERR(model_decode(model_entity(REC_FORM), enc, len, &d));
	TEST_EQ(model_get(&d, REC_FORM_XML)->len, strlen(xml));
	TEST_MEM(model_get(&d, REC_FORM_XML)->p, xml, strlen(xml));
	model_rec_clear(&d);
	free(enc);
	enc = NULL;

	rec_start(&r, REC_ALERT, 1);
	model_set_text(&r, REC_ALERT_PATIENT, NODE);
	model_set_text(&r, REC_ALERT_KIND, "news2");
	model_set_int(&r, REC_ALERT_SCORE, -3);
	model_set_text(&r, REC_ALERT_DETAIL, "rr");
	model_set_uint(&r, REC_ALERT_RAISED, 1733000000000ULL);
	w = legacy_body(6, 1);
	cborx_map_put(w, REC_ALERT_PATIENT, cborx_text(NODE));
	cborx_map_put(w, REC_ALERT_KIND, cborx_text("news2"));
	cborx_map_put(w, REC_ALERT_SCORE, cborx_int(-3));
	cborx_map_put(w, REC_ALERT_DETAIL, cborx_text("rr"));
	cborx_map_put(w, REC_ALERT_RAISED, cborx_uint(1733000000000ULL));
	TEST_ERR(same_bytes(&r, w, &enc, &len));
	TEST_ERR(model_decode(model_entity(REC_ALERT), enc, len, &d));
	TEST_EQ(model_get(&d, REC_ALERT_SCORE)->i, -3);
	TEST_TRUE(model_get(&d, REC_ALERT_ENCOUNTER) == NULL);
out:
	model_rec_clear(&d);
	free(enc);
	return err;
}

static int
test_encode_user_attachment(void)
{
	uint8_t hash[32], *enc = NULL;
	struct model_rec r;
	cbor_item_t *w;
	size_t len;
	int err = 0;

	rec_start(&r, REC_USER, 0);
	model_set_text(&r, REC_USER_NAME, "nurse");
	model_set_uint(&r, REC_USER_ROLE, 2);
	w = legacy_body(2, 0);
	cborx_map_put(w, REC_USER_NAME, cborx_text("nurse"));
	cborx_map_put(w, REC_USER_ROLE, cborx_uint(2));
	TEST_ERR(same_bytes(&r, w, &enc, &len));
	free(enc);
	enc = NULL;

	memset(hash, 0xab, sizeof(hash));
	rec_start(&r, REC_ATTACHMENT, 1);
	model_set_text(&r, REC_ATT_OWNER_ENTITY, "patient");
	model_set_text(&r, REC_ATT_OWNER_ID, NODE);
	model_set_bytes(&r, REC_ATT_SHA256, hash, 32);
	model_set_uint(&r, REC_ATT_SIZE, 70000);
	model_set_text(&r, REC_ATT_MIME, "image/jpeg");
	w = legacy_body(5, 1);
	cborx_map_put(w, 10, cborx_text("patient"));
	cborx_map_put(w, 11, cborx_text(NODE));
	cborx_map_put(w, 12, cborx_bytes(hash, 32));
	cborx_map_put(w, 13, cborx_uint(70000));
	cborx_map_put(w, 14, cborx_text("image/jpeg"));
	TEST_ERR(same_bytes(&r, w, &enc, &len));
out:
	free(enc);
	return err;
}

/* The map is as big as what is in it: any number of set fields encodes. */
static int
test_encode_sizes(void)
{
	const struct model_entity *e = model_entity(REC_PATIENT);
	struct model_rec r;
	cbor_item_t *m = NULL;
	size_t i;
	int err = 0;

	rec_start(&r, REC_PATIENT, 1);
	for (i = 0; i < e->nfields; i++)
		switch (e->fields[i].type) {
		case MODEL_TEXT:
			model_set_text(&r, e->fields[i].key, "x");
			break;
		case MODEL_BOOL:
			model_set_bool(&r, e->fields[i].key, 1);
			break;
		}
	TEST_ERR(model_encode(&r, &m));
	TEST_EQ(cbor_map_size(m), 3 + e->nfields);
	cbor_decref(&m);
	/* A field set to null travels as null. */
	rec_start(&r, REC_PATIENT, 0);
	model_set_text(&r, REC_PAT_PHONE, "x");
	r.v[model_field_index(e, REC_PAT_PHONE)].null = 1;
	TEST_ERR(model_encode(&r, &m));
	TEST_EQ(cbor_map_size(m), 4);
	TEST_TRUE(cbor_is_null(cborx_map_get(m, REC_PAT_PHONE)));
	cbor_decref(&m);
	/* A "by" that is no user id cannot be encoded. */
	rec_start(&r, REC_PATIENT, 0);
	model_set_uuid(&r, REC_K_BY, "system");
	TEST_EQ(model_encode(&r, &m), EINVAL);
	TEST_TRUE(m == NULL);
	/* Setting a field the entity lacks, or with another type. */
	TEST_EQ(model_set_text(&r, REC_ENC_STATUS + 100, "x"), ENOENT);
	TEST_EQ(model_set_uint(&r, REC_PAT_GIVEN, 1), EINVAL);
	TEST_TRUE(model_entity(REC_NODE) == NULL);
	TEST_TRUE(model_entity(0) == NULL);
	TEST_TRUE(model_entity(REC_ENTITY_MAX + 1) == NULL);
out:
	if (m != NULL)
		cbor_decref(&m);
	return err;
}

/* Encode map M (consumed) and decode it as ENTITY; the decode result. */
static int
decode_map(int entity, cbor_item_t *m, struct model_rec *d)
{
	uint8_t *b = NULL;
	size_t len;
	int err;

	if ((err = cborx_encode(m, &b, &len)) == 0)
		err = model_decode(model_entity(entity), b, len, d);
	cbor_decref(&m);
	free(b);
	return err;
}

static int
test_decode_refuses(void)
{
	static const uint8_t notmap[] = { 0x83, 0x01, 0x02, 0x03 };
	static const uint8_t trunc[] = { 0xa1, 0x0a };
	const struct model_field bad_fields[] = { { 10, "x", 99, 1 } };
	const struct model_entity bad = { REC_PATIENT, "patients", 1,
		bad_fields, 1, NULL, 0 };
	struct model_rec d;
	cbor_item_t *m;
	char *big;
	int err = 0;

	memset(&d, 0, sizeof(d));
	TEST_EQ(
	    model_decode(model_entity(REC_PATIENT), notmap, sizeof(notmap), &d),
	    EBADMSG);
	model_rec_clear(&d);
	TEST_EQ(
	    model_decode(model_entity(REC_PATIENT), trunc, sizeof(trunc), &d),
	    EBADMSG);
	model_rec_clear(&d);
	/* Wrong types. */
	m = cborx_map(1);
	cborx_map_put(m, REC_PAT_GIVEN, cborx_uint(5));
	TEST_EQ(decode_map(REC_PATIENT, m, &d), EBADMSG);
	model_rec_clear(&d);
	m = cborx_map(1);
	cborx_map_put(m, REC_ENC_STARTED, cborx_int(-1));
	TEST_EQ(decode_map(REC_ENCOUNTER, m, &d), EBADMSG);
	model_rec_clear(&d);
	m = cborx_map(1);
	cborx_map_put(m, REC_ENC_STARTED, cborx_uint(UINT64_MAX));
	TEST_EQ(decode_map(REC_ENCOUNTER, m, &d), EBADMSG);
	model_rec_clear(&d);
	m = cborx_map(1);
	cborx_map_put(m, REC_K_BY, cborx_bytes("short", 5));
	TEST_EQ(decode_map(REC_PATIENT, m, &d), EBADMSG);
	model_rec_clear(&d);
	m = cborx_map(1);
	cborx_map_put(m, REC_K_DELETED, cborx_text("yes"));
	TEST_EQ(decode_map(REC_PATIENT, m, &d), EBADMSG);
	model_rec_clear(&d);
	/* A float where a bool belongs (libcbor 0.8 asserted on it). */
	m = cborx_map(1);
	cborx_map_put(m, REC_K_DELETED, cborx_double(0.5));
	TEST_EQ(decode_map(REC_PATIENT, m, &d), EBADMSG);
	model_rec_clear(&d);
	/* Oversize text. */
	big = xmalloc(MODEL_TEXT_MAX + 2);
	memset(big, 'a', MODEL_TEXT_MAX + 1);
	big[MODEL_TEXT_MAX + 1] = '\0';
	m = cborx_map(1);
	cborx_map_put(m, REC_PAT_FAMILY, cborx_text(big));
	free(big);
	TEST_EQ(decode_map(REC_PATIENT, m, &d), EBADMSG);
	model_rec_clear(&d);
	/* A descriptor with a type the model does not know. */
	m = cborx_map(1);
	cborx_map_put(m, 10, cborx_text("x"));
	{
		uint8_t *b = NULL;
		size_t len;

		TEST_ERR(cborx_encode(m, &b, &len));
		err = model_decode(&bad, b, len, &d);
		free(b);
		cbor_decref(&m);
		TEST_EQ(err, EINVAL);
		err = 0;
	}
	model_rec_clear(&d);
	/* Unknown keys are ignored, null is a value. */
	m = cborx_map(3);
	cborx_map_put(m, 999, cborx_text("from the future"));
	cborx_map_put(m, REC_PAT_PHONE, cborx_null());
	cborx_map_put(m, REC_PAT_GIVEN, cborx_text("Ann"));
	TEST_ERR(decode_map(REC_PATIENT, m, &d));
	TEST_TRUE(model_get(&d, REC_PAT_PHONE)->null);
	TEST_STR(model_get(&d, REC_PAT_GIVEN)->text, "Ann");
	TEST_EQ(d.id[0], '\0');
out:
	model_rec_clear(&d);
	return err;
}

static int
test_merge_rule(void)
{
	int err = 0;

	TEST_TRUE(model_merge_wins(10, 1, 9, 5)); /* higher HLC wins */
	TEST_TRUE(!model_merge_wins(9, 5, 10, 1)); /* lower loses */
	TEST_TRUE(model_merge_wins(10, 5, 10, 4)); /* tie: higher origin */
	TEST_TRUE(!model_merge_wins(10, 4, 10, 5));
	TEST_TRUE(!model_merge_wins(10, 4, 10, 4)); /* the same change */
	TEST_TRUE(model_merge_wins(1, 0, 0, 0)); /* never written */
out:
	return err;
}

static int
test_patient_rules(void)
{
	static const char *const yes[][2] = { { "f", "female" },
		{ "F", "female" }, { "female", "female" }, { "Fem", "female" },
		{ "woman", "female" }, { "m", "male" }, { "MALE", "male" },
		{ "man", "male" }, { "o", "other" }, { "Other", "other" },
		{ "u", "unknown" }, { "unknown", "unknown" } };
	static const char *const no[] = { "", "x", "females", "moo", "mann",
		"w", "女" };
	time_t now = 1764590400; /* 2025-12-01 12:00 UTC */
	size_t i;
	int err = 0;

	for (i = 0; i < nitems(yes); i++)
		TEST_STR(patient_sex_parse(yes[i][0]), yes[i][1]);
	for (i = 0; i < nitems(no); i++)
		TEST_TRUE(patient_sex_parse(no[i]) == NULL);
	TEST_TRUE(patient_sex_parse(NULL) == NULL);
	TEST_TRUE(patient_sex_valid("female"));
	TEST_TRUE(!patient_sex_valid("f"));
	TEST_TRUE(!patient_sex_valid(NULL));

	TEST_TRUE(patient_birth_valid("1990", now));
	TEST_TRUE(patient_birth_valid("2024-02-29", now));
	TEST_TRUE(patient_birth_valid("2025-12-02", now)); /* a day's slack */
	TEST_TRUE(!patient_birth_valid("2023-02-29", now));
	TEST_TRUE(!patient_birth_valid("2026", now));
	TEST_TRUE(!patient_birth_valid("1879", now));
	TEST_TRUE(!patient_birth_valid("1990-13-01", now));
	TEST_TRUE(!patient_birth_valid("1990/01/01", now));
	TEST_TRUE(!patient_birth_valid("90", now));
	TEST_TRUE(!patient_birth_valid(NULL, now));

	TEST_EQ(patient_age_months("2023-11-15", now), 24);
	TEST_EQ(patient_age_months("2023-12-15", now), 23);
	TEST_EQ(patient_age_months("2000", now), 305); /* from 1 July */
	TEST_EQ(patient_age_months("2026-01-01", now), -1);
	TEST_EQ(patient_age_months("19x0", now), -1);
	TEST_EQ(patient_age_months(NULL, now), -1);
out:
	return err;
}

/* Issue 10, item 8: the merge record (entity 15) is an append-only fact
 * of two patient ids and a reason; the "probably one person" rule both
 * registration and self check-in use. */
static int
test_merge_record(void)
{
	uint8_t *enc = NULL;
	struct model_rec r, d;
	cbor_item_t *w;
	size_t len;
	int err = 0;

	memset(&d, 0, sizeof(d));
	TEST_TRUE(model_entity(REC_MERGE) != NULL);
	TEST_EQ(model_entity(REC_MERGE)->mutable_, 0);
	TEST_STR(rec_entity_name(REC_MERGE), "merge");
	rec_start(&r, REC_MERGE, 1);
	model_set_text(&r, REC_MERGE_SURVIVOR, NODE);
	model_set_text(&r, REC_MERGE_DUPLICATE, USER);
	model_set_text(&r, REC_MERGE_REASON, "check-in said no");
	w = legacy_body(6, 1);
	cborx_map_put(w, REC_MERGE_SURVIVOR, cborx_text(NODE));
	cborx_map_put(w, REC_MERGE_DUPLICATE, cborx_text(USER));
	cborx_map_put(w, REC_MERGE_REASON, cborx_text("check-in said no"));
	TEST_ERR(same_bytes(&r, w, &enc, &len));
	TEST_ERR(model_decode(model_entity(REC_MERGE), enc, len, &d));
	TEST_STR(model_get(&d, REC_MERGE_DUPLICATE)->text, USER);

	TEST_TRUE(patient_probably_same(
	    "Zawdi", "Achieng", "1988", "Zawadi", "achieng", "1988-04-02"));
	TEST_TRUE(patient_probably_same(
	    "Zawadi", "Achieng", NULL, "Zawadi", "Achieng", "1988"));
	TEST_TRUE(!patient_probably_same(
	    "Zawadi", "Achieng", "1989", "Zawadi", "Achieng", "1988"));
	TEST_TRUE(!patient_probably_same(
	    "Zaw", "Achieng", "1988", "Zawadi", "Achieng", "1988"));
	TEST_TRUE(!patient_probably_same(
	    NULL, "Achieng", "1988", "Zawadi", "Achieng", "1988"));
out:
	model_rec_clear(&d);
	free(enc);
	return err;
}

/* A prescription's signed bytes: every field but the signature, so a
 * change of any one changes them; a negative dose cannot be signed. */
static int
test_prescription_sig(void)
{
	const struct model_entity *e = model_entity(REC_PRESCRIPTION);
	struct model_rec r;
	uint8_t *a = NULL, *b = NULL;
	size_t alen, blen, i;
	int err = 0;

	TEST_TRUE(e != NULL && e->mutable_ == 0);
	model_rec_init(&r, e, "01890a5d-ac96-774b-bcce-b302099a8057", 5, NULL);
	model_set_text(&r, REC_RX_ACTION, "order");
	model_set_text(&r, REC_RX_CODE, "PCM500");
	model_set_double(&r, REC_RX_DOSE, 500);
	model_set_uint(&r, REC_RX_PER_DAY, 3);
	model_set_bool(&r, REC_RX_FIRST, 1);
	model_set_bytes(
	    &r, REC_RX_SIGKEY, "0123456789abcdef0123456789abcdef", 32);
	TEST_ERR(prescription_sig_bytes(&r, &a, &alen));
	for (i = 0; i < e->nfields; i++) {
		uint64_t k = e->fields[i].key;
		struct model_value keep = r.v[i];

		if (k == REC_RX_SIG || k == REC_K_BY)
			continue;
		switch (e->fields[i].type) {
		case MODEL_TEXT:
			model_set_text(&r, k, "changed");
			break;
		case MODEL_UINT:
			model_set_uint(&r, k, 99);
			break;
		case MODEL_DOUBLE:
			model_set_double(&r, k, 500.5);
			break;
		case MODEL_BOOL:
			model_set_bool(&r, k, !keep.i);
			break;
		case MODEL_BYTES:
			model_set_bytes(&r, k, "x", 1);
			break;
		}
		TEST_ERR(prescription_sig_bytes(&r, &b, &blen));
		if (blen == alen && memcmp(a, b, alen) == 0)
			TEST_FAILED("field %s is not signed", e->fields[i].col);
		free(b);
		b = NULL;
		r.v[i] = keep;
	}
	/* the signature itself is not signed */
	model_set_bytes(&r, REC_RX_SIG, "sig", 3);
	TEST_ERR(prescription_sig_bytes(&r, &b, &blen));
	TEST_TRUE(blen == alen && memcmp(a, b, alen) == 0);
	model_set_double(&r, REC_RX_DOSE, -1);
	free(b);
	b = NULL;
	TEST_EQ(prescription_sig_bytes(&r, &b, &blen), EINVAL);
	TEST_TRUE(prescription_action_valid("stop"));
	TEST_TRUE(!prescription_action_valid("edit"));
out:
	free(a);
	free(b);
	return err;
}

TEST_MAIN({ "encode_patient", test_encode_patient },
    { "encode_encounter", test_encode_encounter },
    { "encode_observation", test_encode_observation },
    { "encode_form_alert", test_encode_form_alert },
    { "encode_user_attachment", test_encode_user_attachment },
    { "encode_sizes", test_encode_sizes },
    { "decode_refuses", test_decode_refuses },
    { "merge_rule", test_merge_rule }, { "merge_record", test_merge_record },
    { "patient_rules", test_patient_rules },
    { "prescription_sig", test_prescription_sig })
