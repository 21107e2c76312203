/*
 * Form drafts and submissions, and red-flag alerts.  Drafts are replaced
 * on every save and stay on this kiosk (encrypted like everything else);
 * a finished submission is an append-only record that syncs, and storing
 * it drops its draft in the same transaction, so a crash leaves either the
 * draft or the submission, never neither.
 */
#define LOG_MODULE "store"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "record.h"
#include "store_int.h"
#include "xmalloc.h"

#define FORM_XML_MAX (4 << 20)

int
store_form_draft_put(struct store *s, const char *instance_id,
    const char *form_id, const char *patient_id, const char *xml)
{
	sqlite3_stmt *st = NULL;
	int err;

	if (strlen(xml) > FORM_XML_MAX)
		return EMSGSIZE;
	if ((err = store_tx_begin(s)) != 0)
		return err;
	if ((err = store_prepare(s,
	         "INSERT OR REPLACE INTO form_drafts("
	         "instance_id, form_id, patient_id, xml, updated_ms) "
	         "VALUES(?,?,?,?,?)",
	         &st)) != 0)
		goto out;
	store_bind_text(st, 1, instance_id);
	store_bind_text(st, 2, form_id);
	store_bind_text(st, 3, patient_id);
	sqlite3_bind_blob(st, 4, xml, (int)strlen(xml), SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)HLC_MS(store_hlc_now(s)));
	err = store_step_done(s, st, "draft put");
out:
	sqlite3_finalize(st);
	return store_tx_end(s, err);
}

static char *
col_blob_str(sqlite3_stmt *st, int idx)
{
	size_t len = (size_t)sqlite3_column_bytes(st, idx);
	const void *p = sqlite3_column_blob(st, idx);

	return xstrndup(p != NULL ? p : "", len);
}

int
store_form_draft_get(
    struct store *s, const char *instance_id, char **form_id, char **xml)
{
	sqlite3_stmt *st;
	int rc, err;

	*xml = NULL;
	if (form_id != NULL)
		*form_id = NULL;
	if ((err = store_prepare(s,
	         "SELECT form_id, xml FROM form_drafts "
	         "WHERE instance_id = ?",
	         &st)) != 0)
		return err;
	store_bind_text(st, 1, instance_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (form_id != NULL)
			*form_id = store_col_text(st, 0);
		*xml = col_blob_str(st, 1);
	} else
		err =
		    rc == SQLITE_DONE ? ENOENT : store_err(s, rc, "draft get");
	sqlite3_finalize(st);
	return err;
}

int
store_form_draft_latest(struct store *s, const char *form_id,
    const char *patient_id, char **instance_id, char **xml)
{
	sqlite3_stmt *st;
	int rc, err;

	*instance_id = *xml = NULL;
	if ((err = store_prepare(s,
	         "SELECT instance_id, xml FROM form_drafts "
	         "WHERE form_id = ? AND (?2 IS NULL OR patient_id = ?2) "
	         "ORDER BY updated_ms DESC LIMIT 1",
	         &st)) != 0)
		return err;
	store_bind_text(st, 1, form_id);
	store_bind_text(st, 2, patient_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*instance_id = store_col_text(st, 0);
		*xml = col_blob_str(st, 1);
	} else
		err = rc == SQLITE_DONE ? ENOENT
		                        : store_err(s, rc, "draft latest");
	sqlite3_finalize(st);
	return err;
}

int
store_form_submit(struct store *s, const char *instance_id, const char *form_id,
    const char *form_version, const char *encounter_id, const char *patient_id,
    const char *xml)
{
	char id[UUID_STRLEN + 1];
	sqlite3_stmt *st = NULL;
	struct model_rec r;
	uint64_t hlc;
	size_t len = strlen(xml);
	int err;

	if (len > FORM_XML_MAX)
		return EMSGSIZE;
	store_new_id(id);
	if ((err = store_tx_begin(s)) != 0)
		return err;
	hlc = store_hlc_now(s);
	store_rec_init(s, &r, REC_FORM, id, hlc);
	model_set_text(&r, REC_FORM_ENCOUNTER, encounter_id);
	model_set_text(&r, REC_FORM_PATIENT, patient_id);
	model_set_text(&r, REC_FORM_FORMID, form_id);
	model_set_text(&r, REC_FORM_VERSION, form_version);
	model_set_text(&r, REC_FORM_INSTANCE, instance_id);
	model_set_bytes(&r, REC_FORM_XML, xml, len);
	model_set_text(&r, REC_FORM_STATUS, "final");
	if ((err = store_row_insert(s, &r, NULL, 0)) != 0)
		goto out;
	if ((err = store_prepare(s,
	         "DELETE FROM form_drafts "
	         "WHERE instance_id = ?",
	         &st)) != 0)
		goto out;
	store_bind_text(st, 1, instance_id);
	if ((err = store_step_done(s, st, "draft drop")) != 0)
		goto out;
	if ((err = store_outbox_put(s, &r)) != 0)
		goto out;
	err = store_audit_append(s, "create", "form_submission", id, form_id);
out:
	sqlite3_finalize(st);
	return store_tx_end(s, err);
}

int
store_alert_raise(struct store *s, const char *patient_id,
    const char *encounter_id, const char *kind, int score, const char *detail,
    char id_out[UUID_STRLEN + 1])
{
	char id[UUID_STRLEN + 1];
	struct model_rec r;
	uint64_t hlc;
	int err;

	store_new_id(id);
	if ((err = store_tx_begin(s)) != 0)
		return err;
	hlc = store_hlc_now(s);
	store_rec_init(s, &r, REC_ALERT, id, hlc);
	model_set_text(&r, REC_ALERT_PATIENT, patient_id);
	model_set_text(&r, REC_ALERT_ENCOUNTER, encounter_id);
	model_set_text(&r, REC_ALERT_KIND, kind);
	model_set_int(&r, REC_ALERT_SCORE, score);
	model_set_text(&r, REC_ALERT_DETAIL, detail);
	model_set_uint(&r, REC_ALERT_RAISED, HLC_MS(hlc));
	if ((err = store_row_insert(s, &r, NULL, 0)) != 0)
		goto out;
	if ((err = store_outbox_put(s, &r)) != 0)
		goto out;
	err = store_audit_append(s, "create", "alert", id, kind);
out:
	err = store_tx_end(s, err);
	if (err == 0 && id_out != NULL)
		memcpy(id_out, id, sizeof(id));
	return err;
}

int
store_alert_ack(struct store *s, const char *alert_id)
{
	struct model_rec r;
	uint64_t hlc;
	int err, n;

	if ((err = store_tx_begin(s)) != 0)
		return err;
	hlc = store_hlc_now(s);
	store_rec_init(s, &r, REC_ALERT, alert_id, hlc);
	model_set_uint(&r, REC_ALERT_ACKED, HLC_MS(hlc));
	model_set_text(&r, REC_ALERT_ACKED_BY, s->actor);
	if ((err = store_row_update(s, &r, "acked_ms IS NULL", &n)) != 0)
		goto out;
	if (n != 1) {
		err = ENOENT; /* unknown or already acknowledged */
		goto out;
	}
	if ((err = store_outbox_put(s, &r)) != 0)
		goto out;
	err =
	    store_audit_append(s, "change", "alert", alert_id, "acknowledged");
out:
	return store_tx_end(s, err);
}
