/*
 * Encounters and their observations.  An observation is an append-only
 * clinical fact: LOINC code, value, UCUM unit, the device it came from and
 * that device's provenance record, when it was taken (device clock) and
 * recorded (kiosk clock).  store_encounter_save() stores a whole encounter
 * in one transaction; the UI path opens one and adds observations as they
 * arrive, each in its own transaction, so nothing entered is lost.
 */
#define LOG_MODULE "store"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "record.h"
#include "store_int.h"
#include "xmalloc.h"

static int
encounter_insert(struct store *s, struct store_encounter *e)
{
	struct model_rec r;
	int err;

	e->hlc = store_hlc_now(s);
	if (e->started_ms == 0)
		e->started_ms = HLC_MS(e->hlc);
	store_rec_init(s, &r, REC_ENCOUNTER, e->id, e->hlc);
	model_set_text(&r, REC_ENC_PATIENT, e->patient_id);
	model_set_uint(&r, REC_ENC_STARTED, e->started_ms);
	if (e->ended_ms != 0)
		model_set_uint(&r, REC_ENC_ENDED, e->ended_ms);
	model_set_text(&r, REC_ENC_REASON, e->reason);
	model_set_text(&r, REC_ENC_STATUS, e->status ? e->status : "open");
	err = store_row_insert(s, &r, NULL, 0);
	if (err == EINVAL)
		err = ENOENT; /* foreign key: no such patient */
	if (err != 0)
		return err;
	if ((err = store_outbox_put(s, &r)) != 0)
		return err;
	return store_audit_append(s, "create", "encounter", e->id, NULL);
}

static int
obs_valid(const struct store_obs *o)
{
	return o->loinc != NULL && o->loinc[0] != '\0' &&
	    strlen(o->loinc) < 16 && isfinite(o->value) &&
	    (o->unit == NULL || strlen(o->unit) < 32);
}

static int
obs_insert(struct store *s, const char *encounter_id, const char *patient_id,
    struct store_obs *o)
{
	struct model_rec r;
	cbor_item_t *prov;
	uint64_t hlc = store_hlc_now(s), now = HLC_MS(hlc);
	int err;

	if (!obs_valid(o))
		return EINVAL;
	store_new_id(o->id);
	store_rec_init(s, &r, REC_OBSERVATION, o->id, hlc);
	model_set_text(&r, REC_OBS_ENCOUNTER, encounter_id);
	model_set_text(&r, REC_OBS_PATIENT, patient_id);
	model_set_text(&r, REC_OBS_LOINC, o->loinc);
	model_set_double(&r, REC_OBS_VALUE, o->value);
	model_set_text(&r, REC_OBS_UNIT, o->unit);
	model_set_text(&r, REC_OBS_TEXT, o->text);
	model_set_text(&r, REC_OBS_PANEL, o->panel);
	model_set_text(&r, REC_OBS_DEVICE, o->device_id);
	model_set_cbor(
	    &r, REC_OBS_PROVENANCE, o->provenance, o->provenance_len);
	if (o->taken_ms != 0)
		model_set_uint(&r, REC_OBS_TAKEN, o->taken_ms);
	model_set_uint(&r, REC_OBS_RECORDED, now);
	if ((err = store_row_insert(s, &r, NULL, 0)) != 0)
		return err;
	/* The row keeps the provenance bytes as given; the change carries
	 * them only when they are one CBOR item (of at most 64 KiB). */
	if (o->provenance != NULL &&
	    cborx_decode(o->provenance, o->provenance_len, 1 << 16, &prov) == 0)
		cbor_decref(&prov);
	else
		model_set_cbor(&r, REC_OBS_PROVENANCE, NULL, 0);
	return store_outbox_put(s, &r);
}

int
store_encounter_open(struct store *s, const char *patient_id,
    const char *reason, char id_out[UUID_STRLEN + 1])
{
	struct store_encounter e = { 0 };
	int err;

	store_new_id(e.id);
	snprintf(e.patient_id, sizeof(e.patient_id), "%s", patient_id);
	e.reason = (char *)reason;
	if ((err = store_tx_begin(s)) != 0)
		return err;
	err = store_tx_end(s, encounter_insert(s, &e));
	if (err == 0)
		memcpy(id_out, e.id, sizeof(e.id));
	return err;
}

int
store_encounter_save(struct store *s, struct store_encounter *e,
    struct store_obs *obs, size_t nobs)
{
	size_t i;
	int err;

	store_new_id(e->id);
	if ((err = store_tx_begin(s)) != 0)
		return err;
	err = encounter_insert(s, e);
	for (i = 0; i < nobs && err == 0; i++)
		err = obs_insert(s, e->id, e->patient_id, &obs[i]);
	return store_tx_end(s, err);
}

/* Patient of an encounter (inside or outside a transaction). */
static int
encounter_patient(struct store *s, const char *encounter_id,
    char out[UUID_STRLEN + 1], int *open)
{
	sqlite3_stmt *st;
	int rc, err;

	if ((err = store_prepare(s,
	         "SELECT patient_id, status FROM encounters "
	         "WHERE id = ? AND deleted = 0",
	         &st)) != 0)
		return err;
	store_bind_text(st, 1, encounter_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(out, UUID_STRLEN + 1, "%s",
		    (const char *)sqlite3_column_text(st, 0));
		*open = strcmp((const char *)sqlite3_column_text(st, 1),
		            "open") == 0;
	} else
		err = rc == SQLITE_DONE ? ENOENT
		                        : store_err(s, rc, "encounter lookup");
	sqlite3_finalize(st);
	return err;
}

int
store_obs_add_many(
    struct store *s, const char *encounter_id, struct store_obs *o, size_t n)
{
	char patient[UUID_STRLEN + 1];
	size_t i;
	int err, open;

	if ((err = store_tx_begin(s)) != 0)
		return err;
	err = encounter_patient(s, encounter_id, patient, &open);
	if (err == 0 && !open)
		err = EINVAL; /* closed encounters take no new readings */
	for (i = 0; i < n && err == 0; i++)
		err = obs_insert(s, encounter_id, patient, &o[i]);
	return store_tx_end(s, err);
}

int
store_obs_add(struct store *s, const char *encounter_id, struct store_obs *o)
{
	return store_obs_add_many(s, encounter_id, o, 1);
}

int
store_encounter_close(struct store *s, const char *encounter_id)
{
	char patient[UUID_STRLEN + 1];
	struct model_rec r;
	uint64_t hlc;
	int err, open, n;

	if ((err = store_tx_begin(s)) != 0)
		return err;
	if ((err = encounter_patient(s, encounter_id, patient, &open)) != 0)
		goto out;
	if (!open)
		goto out; /* closing twice is harmless */
	hlc = store_hlc_now(s);
	store_rec_init(s, &r, REC_ENCOUNTER, encounter_id, hlc);
	model_set_text(&r, REC_ENC_STATUS, "closed");
	model_set_uint(&r, REC_ENC_ENDED, HLC_MS(hlc));
	if ((err = store_row_update(s, &r, NULL, &n)) != 0)
		goto out;
	if ((err = store_outbox_put(s, &r)) != 0)
		goto out;
	err = store_audit_append(
	    s, "change", "encounter", encounter_id, "closed");
out:
	return store_tx_end(s, err);
}

int
store_encounter_get(struct store *s, const char *id, struct store_encounter *e)
{
	sqlite3_stmt *st;
	int rc, err;

	if ((err = store_prepare(s,
	         "SELECT id, patient_id, reason, status, "
	         "started_ms, ended_ms, hlc FROM encounters WHERE id = ? AND "
	         "deleted = 0",
	         &st)) != 0)
		return err;
	store_bind_text(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		memset(e, 0, sizeof(*e));
		snprintf(e->id, sizeof(e->id), "%s",
		    (const char *)sqlite3_column_text(st, 0));
		snprintf(e->patient_id, sizeof(e->patient_id), "%s",
		    (const char *)sqlite3_column_text(st, 1));
		e->reason = store_col_text(st, 2);
		e->status = store_col_text(st, 3);
		e->started_ms = (uint64_t)sqlite3_column_int64(st, 4);
		e->ended_ms = (uint64_t)sqlite3_column_int64(st, 5);
		e->hlc = (uint64_t)sqlite3_column_int64(st, 6);
	} else
		err = rc == SQLITE_DONE ? ENOENT
		                        : store_err(s, rc, "encounter get");
	sqlite3_finalize(st);
	return err;
}

void
store_encounter_clear(struct store_encounter *e)
{
	if (e == NULL)
		return;
	free(e->reason);
	free(e->status);
	e->reason = e->status = NULL;
}

int
store_obs_list(struct store *s, const char *encounter_id,
    struct store_obs **out, size_t *n)
{
	struct store_obs *o = NULL;
	sqlite3_stmt *st;
	size_t cnt = 0;
	int rc, err;

	*out = NULL;
	*n = 0;
	if ((err = store_prepare(s,
	         "SELECT id, loinc, value, unit, panel, "
	         "value_text, device_id, provenance, taken_ms FROM observations "
	         "WHERE encounter_id = ? AND deleted = 0 ORDER BY hlc",
	         &st)) != 0)
		return err;
	store_bind_text(st, 1, encounter_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_obs *x;
		o = xreallocarray(o, cnt + 1, sizeof(*o));
		x = &o[cnt++];
		memset(x, 0, sizeof(*x));
		snprintf(x->id, sizeof(x->id), "%s",
		    (const char *)sqlite3_column_text(st, 0));
		x->loinc = store_col_text(st, 1);
		x->value = sqlite3_column_double(st, 2);
		x->unit = store_col_text(st, 3);
		x->panel = store_col_text(st, 4);
		x->text = store_col_text(st, 5);
		x->device_id = store_col_text(st, 6);
		if (sqlite3_column_type(st, 7) == SQLITE_BLOB) {
			x->provenance_len = (size_t)sqlite3_column_bytes(st, 7);
			x->provenance = xmemdup(
			    sqlite3_column_blob(st, 7), x->provenance_len);
		}
		x->taken_ms = (uint64_t)sqlite3_column_int64(st, 8);
	}
	if (rc != SQLITE_DONE) {
		err = store_err(s, rc, "observation list");
		store_obs_free_array(o, cnt);
		o = NULL;
		cnt = 0;
	}
	sqlite3_finalize(st);
	*out = o;
	*n = cnt;
	return err;
}

void
store_obs_free_array(struct store_obs *o, size_t n)
{
	size_t i;

	for (i = 0; o != NULL && i < n; i++) {
		free((char *)o[i].loinc);
		free((char *)o[i].unit);
		free((char *)o[i].panel);
		free((char *)o[i].text);
		free((char *)o[i].device_id);
		free((uint8_t *)o[i].provenance);
	}
	free(o);
}
