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
	sqlite3_stmt *st = NULL;
	cbor_item_t *b;
	int err;

	e->hlc = store_hlc_now(s);
	if (e->started_ms == 0)
		e->started_ms = HLC_MS(e->hlc);
	if ((err = store_prepare(s,
	         "INSERT INTO encounters(id, hlc, "
	         "patient_id, reason, status, started_ms, ended_ms, created_by) "
	         "VALUES(?,?,?,?,?,?,?,?)",
	         &st)) != 0)
		return err;
	store_bind_text(st, 1, e->id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)e->hlc);
	store_bind_text(st, 3, e->patient_id);
	store_bind_text(st, 4, e->reason);
	store_bind_text(st, 5, e->status ? e->status : "open");
	sqlite3_bind_int64(st, 6, (sqlite3_int64)e->started_ms);
	if (e->ended_ms != 0)
		sqlite3_bind_int64(st, 7, (sqlite3_int64)e->ended_ms);
	store_bind_text(st, 8, s->actor);
	err = store_step_done(s, st, "encounter insert");
	sqlite3_finalize(st);
	if (err == EINVAL)
		err = ENOENT; /* foreign key: no such patient */
	if (err != 0)
		return err;
	b = store_body_new(s, e->id, e->hlc, 5);
	store_body_text(b, REC_ENC_PATIENT, e->patient_id);
	cborx_map_put(b, REC_ENC_STARTED, cborx_uint(e->started_ms));
	if (e->ended_ms != 0)
		cborx_map_put(b, REC_ENC_ENDED, cborx_uint(e->ended_ms));
	store_body_text(b, REC_ENC_REASON, e->reason);
	store_body_text(b, REC_ENC_STATUS, e->status ? e->status : "open");
	if ((err = store_outbox_append(s, REC_ENCOUNTER, e->id, e->hlc, b)) !=
	    0)
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
	sqlite3_stmt *st = NULL;
	cbor_item_t *b, *prov;
	uint64_t hlc = store_hlc_now(s), now = HLC_MS(hlc);
	int err;

	if (!obs_valid(o))
		return EINVAL;
	store_new_id(o->id);
	if ((err = store_prepare(s,
	         "INSERT INTO observations(id, hlc, "
	         "encounter_id, patient_id, loinc, value, value_text, unit, panel, "
	         "device_id, provenance, taken_ms, recorded_ms, created_by) "
	         "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	         &st)) != 0)
		return err;
	store_bind_text(st, 1, o->id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)hlc);
	store_bind_text(st, 3, encounter_id);
	store_bind_text(st, 4, patient_id);
	store_bind_text(st, 5, o->loinc);
	sqlite3_bind_double(st, 6, o->value);
	store_bind_text(st, 7, o->text);
	store_bind_text(st, 8, o->unit);
	store_bind_text(st, 9, o->panel);
	store_bind_text(st, 10, o->device_id);
	if (o->provenance != NULL)
		sqlite3_bind_blob(st, 11, o->provenance, (int)o->provenance_len,
		    SQLITE_TRANSIENT);
	if (o->taken_ms != 0)
		sqlite3_bind_int64(st, 12, (sqlite3_int64)o->taken_ms);
	sqlite3_bind_int64(st, 13, (sqlite3_int64)now);
	store_bind_text(st, 14, s->actor);
	err = store_step_done(s, st, "observation insert");
	sqlite3_finalize(st);
	if (err != 0)
		return err;
	b = store_body_new(s, o->id, hlc, 11);
	store_body_text(b, REC_OBS_ENCOUNTER, encounter_id);
	store_body_text(b, REC_OBS_PATIENT, patient_id);
	store_body_text(b, REC_OBS_LOINC, o->loinc);
	cborx_map_put(b, REC_OBS_VALUE, cborx_double(o->value));
	store_body_text(b, REC_OBS_UNIT, o->unit);
	store_body_text(b, REC_OBS_TEXT, o->text);
	store_body_text(b, REC_OBS_PANEL, o->panel);
	store_body_text(b, REC_OBS_DEVICE, o->device_id);
	if (o->provenance != NULL &&
	    cborx_decode(o->provenance, o->provenance_len, 1 << 16, &prov) == 0)
		cborx_map_put(b, REC_OBS_PROVENANCE, prov);
	if (o->taken_ms != 0)
		cborx_map_put(b, REC_OBS_TAKEN, cborx_uint(o->taken_ms));
	cborx_map_put(b, REC_OBS_RECORDED, cborx_uint(now));
	return store_outbox_append(s, REC_OBSERVATION, o->id, hlc, b);
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
	sqlite3_stmt *st = NULL;
	cbor_item_t *b;
	uint64_t hlc;
	int err, open;

	if ((err = store_tx_begin(s)) != 0)
		return err;
	if ((err = encounter_patient(s, encounter_id, patient, &open)) != 0)
		goto out;
	if (!open)
		goto out; /* closing twice is harmless */
	hlc = store_hlc_now(s);
	if ((err = store_prepare(s,
	         "UPDATE encounters SET status = 'closed', "
	         "ended_ms = ?, hlc = ? WHERE id = ?",
	         &st)) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)HLC_MS(hlc));
	sqlite3_bind_int64(st, 2, (sqlite3_int64)hlc);
	store_bind_text(st, 3, encounter_id);
	if ((err = store_step_done(s, st, "encounter close")) != 0)
		goto out;
	b = store_body_new(s, encounter_id, hlc, 2);
	store_body_text(b, REC_ENC_STATUS, "closed");
	cborx_map_put(b, REC_ENC_ENDED, cborx_uint(HLC_MS(hlc)));
	if ((err = store_outbox_append(
	         s, REC_ENCOUNTER, encounter_id, hlc, b)) != 0)
		goto out;
	err = store_audit_append(
	    s, "change", "encounter", encounter_id, "closed");
out:
	sqlite3_finalize(st);
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
