/*
 * Applying pulled changes to the kiosk's tables (DESIGN.md §5,
 * docs/PROTOCOL.md §5.2), one page per transaction together with the new
 * pull cursor, so a crash leaves either the whole page and its cursor or
 * neither.  Applying is idempotent: a page seen twice changes nothing.
 *
 *   - Append-only facts (observations, form submissions): inserted when
 *     the id is new, otherwise ignored.
 *   - Mutable records (patients, encounters, alerts): merged per field by
 *     HLC.  sync_field_hlc remembers the HLC (and origin node) each field
 *     last came with; a field the table never got from sync counts as
 *     written at the row's HLC.  Ties go to the higher origin node id, so
 *     every kiosk picks the same winner.
 *   - Other entities are not applied on the kiosk yet (counted, skipped).
 *
 * A change that cannot be applied (a constraint fails) is rolled back on
 * its own savepoint and logged by id, so one bad record never blocks the
 * rest.  Pulled changes never enter the outbox.  The node's HLC in the
 * meta table is moved past every pulled HLC.  Nothing identifying a
 * patient is logged.
 */
#define LOG_MODULE "sync_apply"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlcipher/sqlite3.h>

#include "compat.h"
#include "buf.h"
#include "cborx.h"
#include "hlc.h"
#include "log.h"
#include "record.h"
#include "kiosk/store/store.h"
#include "sync.h"
#include "sync_int.h"
#include "uuid.h"
#include "xmalloc.h"

enum { F_TEXT, F_UINT, F_INT, F_DOUBLE, F_BYTES, F_CBOR, F_BOOL, F_UUID };

struct apply_field {
	uint64_t key;
	const char *col;
	int type;
};

struct apply_table {
	int entity;
	const char *table;
	int mutable_;
	const struct apply_field *fields;
	size_t nfields;
	/* NOT NULL columns a partial body may lack: column, SQL default. */
	const char *const *defaults;
};

static const struct apply_field patient_fields[] = {
	{ REC_PAT_GIVEN, "given", F_TEXT },
	{ REC_PAT_FAMILY, "family", F_TEXT },
	{ REC_PAT_SEX, "sex", F_TEXT },
	{ REC_PAT_BIRTH, "birth_date", F_TEXT },
	{ REC_PAT_PHONE, "phone", F_TEXT },
	{ REC_PAT_VILLAGE, "village", F_TEXT },
	{ REC_PAT_NATID, "national_id", F_TEXT },
	{ REC_K_DELETED, "deleted", F_BOOL },
	{ REC_K_BY, "created_by", F_UUID },
};
static const char *const patient_defaults[] = { "given", "''", "family", "''",
	"created_ms", "?ms", NULL };

static const struct apply_field encounter_fields[] = {
	{ REC_ENC_PATIENT, "patient_id", F_TEXT },
	{ REC_ENC_STARTED, "started_ms", F_UINT },
	{ REC_ENC_ENDED, "ended_ms", F_UINT },
	{ REC_ENC_REASON, "reason", F_TEXT },
	{ REC_ENC_STATUS, "status", F_TEXT },
	{ REC_K_DELETED, "deleted", F_BOOL },
	{ REC_K_BY, "created_by", F_UUID },
};
static const char *const encounter_defaults[] = { "status", "'open'",
	"started_ms", "?ms", NULL };

static const struct apply_field obs_fields[] = {
	{ REC_OBS_ENCOUNTER, "encounter_id", F_TEXT },
	{ REC_OBS_PATIENT, "patient_id", F_TEXT },
	{ REC_OBS_LOINC, "loinc", F_TEXT },
	{ REC_OBS_VALUE, "value", F_DOUBLE },
	{ REC_OBS_UNIT, "unit", F_TEXT },
	{ REC_OBS_DEVICE, "device_id", F_TEXT },
	{ REC_OBS_PROVENANCE, "provenance", F_CBOR },
	{ REC_OBS_TAKEN, "taken_ms", F_UINT },
	{ REC_OBS_RECORDED, "recorded_ms", F_UINT },
	{ REC_OBS_TEXT, "value_text", F_TEXT },
	{ REC_OBS_PANEL, "panel", F_TEXT },
	{ REC_K_BY, "created_by", F_UUID },
};
static const char *const obs_defaults[] = { "recorded_ms", "?ms", NULL };

static const struct apply_field form_fields[] = {
	{ REC_FORM_ENCOUNTER, "encounter_id", F_TEXT },
	{ REC_FORM_PATIENT, "patient_id", F_TEXT },
	{ REC_FORM_FORMID, "form_id", F_TEXT },
	{ REC_FORM_VERSION, "form_version", F_TEXT },
	{ REC_FORM_INSTANCE, "instance_id", F_TEXT },
	{ REC_FORM_XML, "xml", F_BYTES },
	{ REC_FORM_STATUS, "status", F_TEXT },
	{ REC_K_BY, "created_by", F_UUID },
};
static const char *const form_defaults[] = { "created_ms", "?ms", NULL };

static const struct apply_field alert_fields[] = {
	{ REC_ALERT_PATIENT, "patient_id", F_TEXT },
	{ REC_ALERT_ENCOUNTER, "encounter_id", F_TEXT },
	{ REC_ALERT_KIND, "kind", F_TEXT },
	{ REC_ALERT_SCORE, "score", F_INT },
	{ REC_ALERT_DETAIL, "detail", F_TEXT },
	{ REC_ALERT_RAISED, "raised_ms", F_UINT },
	{ REC_ALERT_ACKED, "acked_ms", F_UINT },
	{ REC_ALERT_ACKED_BY, "acked_by", F_TEXT },
	{ REC_K_DELETED, "deleted", F_BOOL },
};
static const char *const alert_defaults[] = { "kind", "'unknown'", "raised_ms",
	"?ms", NULL };

static const struct apply_table apply_tables[] = {
	{ REC_PATIENT, "patients", 1, patient_fields, nitems(patient_fields),
	    patient_defaults },
	{ REC_ENCOUNTER, "encounters", 1, encounter_fields,
	    nitems(encounter_fields), encounter_defaults },
	{ REC_OBSERVATION, "observations", 0, obs_fields, nitems(obs_fields),
	    obs_defaults },
	{ REC_FORM, "form_submissions", 0, form_fields, nitems(form_fields),
	    form_defaults },
	{ REC_ALERT, "alerts", 1, alert_fields, nitems(alert_fields),
	    alert_defaults },
};

static int
apply_sql_err(sqlite3 *db, int rc, const char *what)
{
	log_warnx("%s: %s (%d)", what, sqlite3_errmsg(db), rc);
	if ((rc & 0xff) == SQLITE_FULL)
		return ENOSPC;
	if ((rc & 0xff) == SQLITE_BUSY)
		return EBUSY;
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return EINVAL;
	return EIO;
}

static int
apply_exec(sqlite3 *db, const char *sql)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : apply_sql_err(db, rc, "exec");
}

/* Bind the value of field F found in BODY to parameter IDX. */
static int
apply_bind(
    sqlite3_stmt *st, int idx, const struct apply_field *f, cbor_item_t *v)
{
	const uint8_t *p;
	uint8_t *enc;
	size_t len;
	uint64_t u;
	int64_t i;
	double d;
	int b;
	char *t;
	struct uuid id;
	char ustr[UUID_STRLEN + 1];

	/* (cbor_is_null asserts on floats in libcbor 0.8: check width first) */
	if (cbor_isa_float_ctrl(v) && cbor_float_get_width(v) == CBOR_FLOAT_0 &&
	    cbor_is_null(v))
		return sqlite3_bind_null(st, idx) == SQLITE_OK ? 0 : EIO;
	switch (f->type) {
	case F_TEXT:
		if (cborx_get_text(v, 1 << 20, &t) != 0)
			return EBADMSG;
		sqlite3_bind_text(st, idx, t, -1, free);
		return 0;
	case F_UINT:
		if (cborx_get_uint(v, &u) != 0 || u > INT64_MAX)
			return EBADMSG;
		sqlite3_bind_int64(st, idx, (sqlite3_int64)u);
		return 0;
	case F_INT:
		if (cborx_get_int(v, &i) != 0)
			return EBADMSG;
		sqlite3_bind_int64(st, idx, (sqlite3_int64)i);
		return 0;
	case F_DOUBLE:
		if (cborx_get_double(v, &d) != 0)
			return EBADMSG;
		sqlite3_bind_double(st, idx, d);
		return 0;
	case F_BOOL:
		if (cborx_get_bool(v, &b) != 0)
			return EBADMSG;
		sqlite3_bind_int(st, idx, b != 0);
		return 0;
	case F_BYTES:
		if (cborx_get_bytes(v, 16 << 20, &p, &len) != 0)
			return EBADMSG;
		sqlite3_bind_blob(st, idx, p, (int)len, SQLITE_TRANSIENT);
		return 0;
	case F_UUID:
		if (cborx_get_bytes(v, UUID_LEN, &p, &len) != 0 ||
		    len != UUID_LEN)
			return EBADMSG;
		memcpy(id.b, p, UUID_LEN);
		uuid_format(&id, ustr);
		sqlite3_bind_text(st, idx, ustr, -1, SQLITE_TRANSIENT);
		return 0;
	case F_CBOR:
		if (cborx_encode(v, &enc, &len) != 0)
			return EBADMSG;
		sqlite3_bind_blob(st, idx, enc, (int)len, free);
		return 0;
	}
	return EBADMSG;
}

/*
 * The HLC and origin a field of a row last came with: the newer of what a
 * pull recorded in sync_field_hlc and this node's own changes to the
 * record that carry the field (read back from the outbox, origin SELF).
 * Every node thus picks, per field, the change with the greatest
 * (HLC, origin) it has seen, and all converge on the same value.
 */
static int
apply_field_hlc(sqlite3 *db, int entity, const char *id, uint64_t key,
    uint64_t self, uint64_t *hlc, uint64_t *origin)
{
	sqlite3_stmt *st = NULL;
	cbor_item_t *it;
	uint64_t h;
	int rc;

	*hlc = 0;
	*origin = 0;
	rc = sqlite3_prepare_v2(db,
	    "SELECT hlc, origin FROM sync_field_hlc"
	    " WHERE entity = ? AND id = ? AND field = ?",
	    -1, &st, NULL);
	if (rc != SQLITE_OK)
		return apply_sql_err(db, rc, "field hlc");
	sqlite3_bind_int(st, 1, entity);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)key);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*hlc = (uint64_t)sqlite3_column_int64(st, 0);
		*origin = (uint64_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return apply_sql_err(db, rc, "field hlc");
	rc = sqlite3_prepare_v2(db,
	    "SELECT hlc, body FROM outbox WHERE entity_id = ? AND entity = ?"
	    " AND hlc >= ? ORDER BY hlc DESC",
	    -1, &st, NULL);
	if (rc != SQLITE_OK)
		return apply_sql_err(db, rc, "own changes");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, entity);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)*hlc);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		h = (uint64_t)sqlite3_column_int64(st, 0);
		if (h < *hlc || (h == *hlc && self <= *origin))
			break;
		if (cborx_decode(sqlite3_column_blob(st, 1),
		        (size_t)sqlite3_column_bytes(st, 1), 16 << 20,
		        &it) != 0)
			continue;
		if (cbor_isa_map(it) && cborx_map_get(it, key) != NULL) {
			*hlc = h;
			*origin = self;
			cbor_decref(&it);
			break;
		}
		cbor_decref(&it);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE
	    ? 0
	    : apply_sql_err(db, rc, "own changes");
}

static int
apply_field_hlc_put(sqlite3 *db, int entity, const char *id, uint64_t key,
    uint64_t hlc, uint64_t origin)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db,
	    "INSERT OR REPLACE INTO sync_field_hlc(entity, id, field, hlc,"
	    " origin) VALUES(?, ?, ?, ?, ?)",
	    -1, &st, NULL);
	if (rc != SQLITE_OK)
		return apply_sql_err(db, rc, "field hlc put");
	sqlite3_bind_int(st, 1, entity);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)key);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)hlc);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)origin);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : apply_sql_err(db, rc, "field hlc put");
}

static int
apply_insert(sqlite3 *db, const struct apply_table *t, const char *id,
    uint64_t hlc, cbor_item_t *body)
{
	struct buf cols, vals;
	sqlite3_stmt *st = NULL;
	cbor_item_t *v;
	size_t i, j;
	int rc, err = 0, idx = 3, have;
	char *sql = NULL;

	buf_init(&cols, 4096);
	buf_init(&vals, 4096);
	buf_printf(&cols, "INSERT INTO %s(id, hlc", t->table);
	buf_printf(&vals, ") VALUES(?1, ?2");
	for (i = 0; i < t->nfields; i++)
		if (cborx_map_get(body, t->fields[i].key) != NULL) {
			buf_printf(&cols, ", %s", t->fields[i].col);
			buf_printf(&vals, ", ?%d", idx++);
		}
	for (j = 0; t->defaults[j] != NULL; j += 2) {
		have = 0;
		for (i = 0; i < t->nfields; i++)
			if (strcmp(t->fields[i].col, t->defaults[j]) == 0 &&
			    cborx_map_get(body, t->fields[i].key) != NULL)
				have = 1;
		if (have)
			continue;
		buf_printf(&cols, ", %s", t->defaults[j]);
		if (strcmp(t->defaults[j + 1], "?ms") == 0)
			buf_printf(&vals, ", %" PRIu64, HLC_MS(hlc));
		else
			buf_printf(&vals, ", %s", t->defaults[j + 1]);
	}
	buf_printf(&vals, ")");
	buf_append(&cols, vals.data, vals.len);
	sql = buf_take_str(&cols);
	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		err = apply_sql_err(db, rc, "insert prepare");
		goto out;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)hlc);
	idx = 3;
	for (i = 0; i < t->nfields; i++)
		if ((v = cborx_map_get(body, t->fields[i].key)) != NULL)
			if ((err = apply_bind(st, idx++, &t->fields[i], v)) !=
			    0)
				goto out;
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		err = apply_sql_err(db, rc, "insert");
out:
	sqlite3_finalize(st);
	buf_free(&vals);
	free(sql);
	return err;
}

/* Merge the fields of BODY into the existing row; *CHANGED when any won. */
static int
apply_merge(sqlite3 *db, const struct apply_table *t, const char *id,
    uint64_t hlc, uint64_t origin, uint64_t self, uint64_t row_hlc,
    cbor_item_t *body, int *changed)
{
	sqlite3_stmt *st = NULL;
	cbor_item_t *v;
	uint64_t fh, fo;
	char *sql = NULL;
	size_t i;
	int rc, err = 0;

	for (i = 0; i < t->nfields; i++) {
		if ((v = cborx_map_get(body, t->fields[i].key)) == NULL ||
		    t->fields[i].key == REC_K_BY)
			continue;
		if ((err = apply_field_hlc(db, t->entity, id, t->fields[i].key,
		         self, &fh, &fo)) != 0)
			return err;
		if (hlc < fh || (hlc == fh && origin <= fo))
			continue;
		xasprintf(&sql, "UPDATE %s SET %s = ?1 WHERE id = ?2", t->table,
		    t->fields[i].col);
		rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
		free(sql);
		if (rc != SQLITE_OK)
			return apply_sql_err(db, rc, "merge prepare");
		if ((err = apply_bind(st, 1, &t->fields[i], v)) == 0) {
			sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
			if ((rc = sqlite3_step(st)) != SQLITE_DONE)
				err = apply_sql_err(db, rc, "merge");
		}
		sqlite3_finalize(st);
		st = NULL;
		if (err == 0)
			err = apply_field_hlc_put(
			    db, t->entity, id, t->fields[i].key, hlc, origin);
		if (err != 0)
			return err;
		*changed = 1;
	}
	if (*changed && hlc > row_hlc) {
		xasprintf(
		    &sql, "UPDATE %s SET hlc = ?1 WHERE id = ?2", t->table);
		rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
		free(sql);
		if (rc != SQLITE_OK)
			return apply_sql_err(db, rc, "hlc prepare");
		sqlite3_bind_int64(st, 1, (sqlite3_int64)hlc);
		sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return apply_sql_err(db, rc, "hlc");
	}
	return 0;
}

/* Apply one change; *CHANGED when it altered a row. */
static int
apply_one(sqlite3 *db, int entity, const char *id, uint64_t hlc,
    uint64_t origin, uint64_t self, const uint8_t *body, size_t len,
    int *changed)
{
	const struct apply_table *t = NULL;
	sqlite3_stmt *st = NULL;
	cbor_item_t *it = NULL;
	uint64_t row_hlc = 0;
	char *sql = NULL;
	size_t i;
	int rc, err = 0, exists = 0;

	*changed = 0;
	for (i = 0; i < nitems(apply_tables); i++)
		if (apply_tables[i].entity == entity)
			t = &apply_tables[i];
	if (t == NULL)
		return 0; /* not kept on the kiosk */
	if (cborx_decode(body, len, 16 << 20, &it) != 0 || !cbor_isa_map(it))
		return EBADMSG;
	xasprintf(&sql, "SELECT hlc FROM %s WHERE id = ?", t->table);
	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		err = apply_sql_err(db, rc, "lookup");
		goto out;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		exists = 1;
		row_hlc = (uint64_t)sqlite3_column_int64(st, 0);
	} else if (rc != SQLITE_DONE) {
		err = apply_sql_err(db, rc, "lookup");
		goto out;
	}
	if (!exists) {
		if ((err = apply_insert(db, t, id, hlc, it)) != 0)
			goto out;
		*changed = 1;
		if (t->mutable_)
			for (i = 0; i < t->nfields && err == 0; i++)
				if (cborx_map_get(it, t->fields[i].key))
					err = apply_field_hlc_put(db, entity,
					    id, t->fields[i].key, hlc, origin);
	} else if (t->mutable_)
		err = apply_merge(
		    db, t, id, hlc, origin, self, row_hlc, it, changed);
out:
	sqlite3_finalize(st);
	free(sql);
	cbor_decref(&it);
	return err;
}

int
sync_apply_page(struct store *s, const void *changes_item,
    const uint8_t *cursor, size_t cursor_len, uint64_t *n, uint64_t *applied)
{
	sqlite3 *db = store_db(s);
	cbor_item_t *arr = (cbor_item_t *)changes_item, **f;
	sqlite3_stmt *st = NULL;
	const uint8_t *idb, *body;
	size_t i, idlen, blen;
	uint64_t entity, hlc, origin, self, max_hlc = 0;
	struct uuid u;
	char id[UUID_STRLEN + 1];
	int rc, err, changed;

	*n = *applied = 0;
	if (!cbor_isa_array(arr))
		return EBADMSG;
	if (sync_state_u64(s, SYNC_K_NODE, &self) != 0)
		self = 0;
	if ((err = apply_exec(db, "BEGIN IMMEDIATE")) != 0)
		return err;
	for (i = 0; i < cbor_array_size(arr); i++) {
		cbor_item_t *c = cbor_array_handle(arr)[i];

		if (!cbor_isa_array(c) || cbor_array_size(c) != 5) {
			err = EBADMSG;
			goto out;
		}
		f = cbor_array_handle(c);
		if (cborx_get_uint(f[0], &entity) != 0 ||
		    cborx_get_bytes(f[1], 16, &idb, &idlen) != 0 ||
		    idlen != 16 || cborx_get_uint(f[2], &hlc) != 0 ||
		    cborx_get_bytes(f[3], 16 << 20, &body, &blen) != 0 ||
		    cborx_get_uint(f[4], &origin) != 0 || hlc > INT64_MAX ||
		    origin > INT64_MAX || entity > REC_ENTITY_MAX) {
			err = EBADMSG;
			goto out;
		}
		memcpy(u.b, idb, 16);
		uuid_format(&u, id);
		if (hlc > max_hlc)
			max_hlc = hlc;
		(*n)++;
		if ((err = apply_exec(db, "SAVEPOINT one")) != 0)
			goto out;
		err = apply_one(db, (int)entity, id, hlc, origin, self, body,
		    blen, &changed);
		if (err == EINVAL || err == EBADMSG) {
			/* This record cannot be applied here; keep going. */
			log_warnx("change %s (entity %d) not applied: %s", id,
			    (int)entity, strerror(err));
			apply_exec(db, "ROLLBACK TO one");
			err = 0;
			changed = 0;
		}
		if (err != 0)
			goto out;
		if ((err = apply_exec(db, "RELEASE one")) != 0)
			goto out;
		*applied += changed != 0;
	}
	/* The cursor, and the node clock past everything seen. */
	rc = sqlite3_prepare_v2(db,
	    "INSERT OR REPLACE INTO sync_state(key, value) VALUES(?, ?)", -1,
	    &st, NULL);
	if (rc != SQLITE_OK) {
		err = apply_sql_err(db, rc, "cursor");
		goto out;
	}
	sqlite3_bind_text(st, 1, SYNC_K_CURSOR, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, cursor_len ? (const void *)cursor : "",
	    (int)cursor_len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE) {
		err = apply_sql_err(db, rc, "cursor");
		goto out;
	}
	if (max_hlc > 0) {
		rc = sqlite3_prepare_v2(db,
		    "UPDATE meta SET value = ?1 WHERE key = 'hlc'"
		    " AND CAST(value AS INTEGER) < ?1",
		    -1, &st, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_bind_int64(st, 1, (sqlite3_int64)max_hlc);
			rc = sqlite3_step(st);
			sqlite3_finalize(st);
			st = NULL;
		}
		if (rc != SQLITE_DONE && rc != SQLITE_OK) {
			err = apply_sql_err(db, rc, "hlc");
			goto out;
		}
	}
	if ((err = apply_exec(db, "COMMIT")) == 0 && max_hlc > 0)
		store_hlc_merge(s, max_hlc);
out:
	if (err != 0 && sqlite3_get_autocommit(db) == 0)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return err;
}
