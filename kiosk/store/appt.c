/*
 * Appointments on the kiosk (issue 15; REC_APPOINTMENT, docs/PROTOCOL.md
 * §11): a proposed booking of one of the server's slots, its cancel and
 * its check-in evidence, each a row change, its outbox change and an
 * audit entry in one transaction.  The server decides whether the slot
 * is the patient's; what it answered is kept in server_state (not
 * synced).  The check-in evidence (checkin_ms, checkin_by: the CHW's
 * key or the patient's self check-in) is what a claim builder reads.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "store.h"
#include "store_int.h"
#include "xmalloc.h"

int
store_appt_propose(
    struct store *s, const struct store_appt *a, char id_out[UUID_STRLEN + 1])
{
	char id[UUID_STRLEN + 1];
	struct model_rec r;
	struct uuid u;
	int err;

	if (a->patient_id == NULL || uuid_parse(a->patient_id, &u) != 0 ||
	    a->slot_id == 0 || a->end_ms <= a->start_ms)
		return EINVAL;
	store_new_id(id);
	if ((err = store_tx_begin(s)) != 0)
		return err;
	store_rec_init(s, &r, REC_APPOINTMENT, id, store_hlc_now(s));
	model_set_text(&r, REC_APPT_PATIENT, a->patient_id);
	model_set_uint(&r, REC_APPT_SLOT, a->slot_id);
	model_set_uint(&r, REC_APPT_START, a->start_ms);
	model_set_uint(&r, REC_APPT_END, a->end_ms);
	if (a->clinician != NULL && a->clinician[0] != '\0')
		model_set_text(&r, REC_APPT_CLINICIAN, a->clinician);
	if (a->replaces != NULL && a->replaces[0] != '\0')
		model_set_text(&r, REC_APPT_REPLACES, a->replaces);
	model_set_text(&r, REC_APPT_STATUS, "proposed");
	if ((err = store_row_insert(s, &r, NULL, 0)) != 0 ||
	    (err = store_outbox_put(s, &r)) != 0)
		goto out;
	err = store_audit_append(s, "create", "appointment", id, "proposed");
out:
	err = store_tx_end(s, err);
	if (err == 0 && id_out != NULL)
		memcpy(id_out, id, sizeof(id));
	return err;
}

/* Write R, a change of appointment ID in the caller's transaction, to
 * its row where WHERE holds, then (*CHANGES: a row did) to the outbox
 * and the audit log as WHAT. */
static int
appt_put(struct store *s, struct model_rec *r, const char *id,
    const char *where, const char *what, int *changes)
{
	int err;

	*changes = 0;
	if ((err = store_row_update(s, r, where, changes)) != 0 ||
	    *changes == 0 || (err = store_outbox_put(s, r)) != 0)
		return err;
	return store_audit_append(s, "update", "appointment", id, what);
}

/* Change appointment ID: STATUS, and the reason or the check-in. */
static int
store_appt_change(struct store *s, const char *id, const char *status,
    const char *reason, const char *by, uint64_t at_ms)
{
	struct model_rec r;
	int err, changes = 0;

	if ((err = store_tx_begin(s)) != 0)
		return err;
	store_rec_init(s, &r, REC_APPOINTMENT, id, store_hlc_now(s));
	model_set_text(&r, REC_APPT_STATUS, status);
	if (reason != NULL)
		model_set_text(&r, REC_APPT_CANCEL_REASON, reason);
	if (by != NULL) {
		model_set_uint(&r, REC_APPT_CHECKIN_MS, at_ms);
		model_set_text(&r, REC_APPT_CHECKIN_BY, by);
	}
	err = appt_put(s, &r, id,
	    "status IN ('proposed', 'booked', 'checked-in')", status, &changes);
	if (err == 0 && changes == 0)
		err = ENOENT;
	return store_tx_end(s, err);
}

int
store_appt_cancel(struct store *s, const char *id, const char *reason)
{
	if (reason == NULL || reason[0] == '\0')
		return EINVAL;
	return store_appt_change(s, id, "cancelled", reason, NULL, 0);
}

int
store_appt_checkin(
    struct store *s, const char *id, const char *by, uint64_t at_ms)
{
	if (by == NULL || (strcmp(by, "chw") != 0 && strcmp(by, "self") != 0))
		return EINVAL;
	return store_appt_change(s, id, "checked-in", NULL, by, at_ms);
}

/* An appointment a booked reschedule replaced: the server cancelled it
 * in the same transaction (docs/PROTOCOL.md §11), with no record of its
 * own coming back. */
#define APPT_REPLACED                                                          \
	"EXISTS (SELECT 1 FROM appointments b WHERE b.replaces ="              \
	" appointments.id AND b.deleted = 0 AND (b.server_state = 'booked'"    \
	" OR b.status = 'booked'))"

int
store_appt_list(struct store *s, uint64_t from_ms, uint64_t to_ms,
    int (*cb)(void *, const struct store_appt_row *), void *arg)
{
	sqlite3_stmt *st = NULL;
	struct store_appt_row row;
	const unsigned char *t;
	int rc, err;

	if ((err = store_prepare(s,
	         "SELECT id, patient_id, slot_start_ms, slot_end_ms,"
	         " CASE WHEN status = 'proposed' AND server_state IS NOT NULL"
	         " THEN server_state ELSE status END,"
	         " coalesce(clinician_id, '') FROM appointments"
	         " WHERE deleted = 0 AND slot_start_ms >= ? AND slot_start_ms < ?"
	         " AND status NOT IN ('cancelled', 'refused')"
	         " AND coalesce(server_state, '') <> 'refused' AND NOT " APPT_REPLACED
	         " ORDER BY slot_start_ms, id",
	         &st)) != 0)
		return err;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)from_ms);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)to_ms);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&row, 0, sizeof(row));
		if ((t = sqlite3_column_text(st, 0)) != NULL)
			snprintf(row.id, sizeof(row.id), "%s", t);
		if ((t = sqlite3_column_text(st, 1)) != NULL)
			snprintf(
			    row.patient_id, sizeof(row.patient_id), "%s", t);
		row.start_ms = (uint64_t)sqlite3_column_int64(st, 2);
		row.end_ms = (uint64_t)sqlite3_column_int64(st, 3);
		if ((t = sqlite3_column_text(st, 4)) != NULL)
			snprintf(row.status, sizeof(row.status), "%s", t);
		if ((t = sqlite3_column_text(st, 5)) != NULL)
			snprintf(row.clinician, sizeof(row.clinician), "%s", t);
		if ((err = cb(arg, &row)) != 0)
			break;
	}
	if (err == 0 && rc != SQLITE_DONE)
		err = store_err(s, rc, "appointments");
	sqlite3_finalize(st);
	return err;
}

int
store_appt_pending(struct store *s,
    int (*cb)(void *, const char *id, const char *patient_id, uint64_t slot),
    void *arg)
{
	struct appt_pending {
		char id[UUID_STRLEN + 1], pat[UUID_STRLEN + 1];
		uint64_t slot;
	} *v = NULL;
	sqlite3_stmt *st = NULL;
	const unsigned char *id, *pat;
	size_t n = 0, i;
	int rc, err;

	if ((err = store_prepare(s,
	         "SELECT id, patient_id, slot_id FROM appointments"
	         " WHERE deleted = 0 AND slot_id IS NOT NULL"
	         " AND server_state IS NULL AND status = 'proposed'"
	         /* this node's own proposals: a pulled one is not ours
	          * to ask for (its node learns the answer and says) */
	         " AND EXISTS (SELECT 1 FROM outbox o WHERE o.entity = ?"
	         " AND o.entity_id = appointments.id) ORDER BY hlc",
	         &st)) != 0)
		return err;
	sqlite3_bind_int(st, 1, REC_APPOINTMENT);
	/* read them all first: CB writes the answers, and a write inside
	 * this read would fail (SQLITE_BUSY_SNAPSHOT) whenever another
	 * connection (the screen's, a `kiosk sync`) wrote meanwhile */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		id = sqlite3_column_text(st, 0);
		pat = sqlite3_column_text(st, 1);
		if (id == NULL || pat == NULL)
			continue;
		v = xreallocarray(v, n + 1, sizeof(*v));
		snprintf(v[n].id, sizeof(v[n].id), "%s", id);
		snprintf(v[n].pat, sizeof(v[n].pat), "%s", pat);
		v[n++].slot = (uint64_t)sqlite3_column_int64(st, 2);
	}
	if (rc != SQLITE_DONE)
		err = store_err(s, rc, "appointments pending");
	sqlite3_finalize(st);
	for (i = 0; err == 0 && i < n; i++)
		err = cb(arg, v[i].id, v[i].pat, v[i].slot);
	free(v);
	return err;
}

int
store_appt_answer(
    struct store *s, const char *id, const char *answer, const char *alts)
{
	sqlite3_stmt *st = NULL;
	struct model_rec r;
	int rc, err, changes = 0;

	if ((err = store_prepare(s,
	         "UPDATE appointments SET server_state = ?, alts = ?"
	         " WHERE id = ?",
	         &st)) != 0)
		return err;
	sqlite3_bind_text(st, 1, answer, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(
	    st, 2, alts != NULL ? alts : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, id, -1, SQLITE_TRANSIENT);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		err = store_err(s, rc, "appointment answer");
	else if (sqlite3_changes(s->db) == 0)
		err = ENOENT;
	sqlite3_finalize(st);
	if (err != 0 ||
	    (strcmp(answer, "booked") != 0 && strcmp(answer, "refused") != 0))
		return err;
	/* What the server answered, synced as the record's status (a
	 * proposal still standing only), so the facility's other nodes and
	 * the hubs that pull it know it too (issue 15, the schedules). */
	if ((err = store_tx_begin(s)) != 0)
		return err;
	store_rec_init(s, &r, REC_APPOINTMENT, id, store_hlc_now(s));
	model_set_text(&r, REC_APPT_STATUS, answer);
	err = appt_put(s, &r, id, "status = 'proposed'", answer, &changes);
	return store_tx_end(s, err);
}

int
store_appt_arrived(struct store *s, const char *patient_id, const char *by,
    uint64_t now_ms, int *checked)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *t;
	char id[UUID_STRLEN + 1] = "";
	int rc, err;

	*checked = 0;
	/* the patient's appointment whose slot is now, or starts within the
	 * hour or ended within the half hour (early and late arrivals) */
	if ((err = store_prepare(s,
	         "SELECT id FROM appointments WHERE patient_id = ?"
	         " AND deleted = 0 AND status IN ('proposed', 'booked')"
	         " AND coalesce(server_state, '') <> 'refused'"
	         " AND slot_start_ms <= ? + 3600000"
	         " AND slot_end_ms >= ? - 1800000"
	         " ORDER BY abs(slot_start_ms - ?) LIMIT 1",
	         &st)) != 0)
		return err;
	sqlite3_bind_text(st, 1, patient_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now_ms);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)now_ms);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)now_ms);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	    (t = sqlite3_column_text(st, 0)) != NULL)
		snprintf(id, sizeof(id), "%s", t);
	else if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		err = store_err(s, rc, "appointment arrived");
	sqlite3_finalize(st);
	if (err != 0 || id[0] == '\0')
		return err;
	if ((err = store_appt_checkin(s, id, by, now_ms)) == 0)
		*checked = 1;
	return err;
}

/* The first row's text of SQL with ARG bound to ?1 into OUT ("" when
 * none or NULL). */
static int
appt_one_text(struct store *s, const char *sql, const char *arg, char *out,
    size_t len, const char *what)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *t;
	int rc, err;

	out[0] = '\0';
	if ((err = store_prepare(s, sql, &st)) != 0)
		return err;
	store_bind_text(st, 1, arg);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	    (t = sqlite3_column_text(st, 0)) != NULL)
		snprintf(out, len, "%s", t);
	else if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		err = store_err(s, rc, what);
	sqlite3_finalize(st);
	return err;
}

int
store_appt_clinician_name(
    struct store *s, const char *clinician, char *out, size_t len)
{
	/* a user of this node, else a clinician of a consult or a
	 * prescription it holds (their name and registration number come
	 * with it) */
	return appt_one_text(s,
	    "SELECT coalesce(nullif(display_name, ''), name) FROM users"
	    " WHERE deleted = 0 AND (name = ?1 OR licence = ?1)"
	    " UNION ALL SELECT clinician_name FROM consults"
	    " WHERE regno = ?1 AND clinician_name <> ''"
	    " UNION ALL SELECT clinician_name FROM prescriptions"
	    " WHERE regno = ?1 AND clinician_name <> '' LIMIT 1",
	    clinician, out, len, "clinician name");
}

int
store_appt_user_regno(
    struct store *s, const char *user_id, char *out, size_t len)
{
	return appt_one_text(s,
	    "SELECT licence FROM users WHERE id = ?1 AND deleted = 0", user_id,
	    out, len, "user regno");
}

static void
appt_col(sqlite3_stmt *st, int col, char *out, size_t len)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	snprintf(out, len, "%s", t != NULL ? (const char *)t : "");
}

int
store_appt_of_patient(struct store *s, const char *patient_id, uint64_t now_ms,
    int (*cb)(void *, const struct store_appt_row *), void *arg)
{
	sqlite3_stmt *st = NULL;
	struct store_appt_row row;
	int rc, err;

	if ((err = store_prepare(s,
	         "SELECT id, patient_id, slot_start_ms, slot_end_ms,"
	         " CASE WHEN status IN ('cancelled', 'checked-in', 'refused')"
	         " THEN status"
	         " WHEN coalesce(server_state, '') = 'refused' THEN 'refused'"
	         " WHEN " APPT_REPLACED " THEN 'cancelled'"
	         " WHEN server_state = 'booked' THEN 'booked'"
	         " ELSE status END,"
	         " coalesce(clinician_id, ''), coalesce(slot_id, 0),"
	         " CASE WHEN status = 'cancelled' THEN cancel_reason"
	         " WHEN " APPT_REPLACED " THEN 'rescheduled' END,"
	         " alts, replaces FROM appointments"
	         " WHERE deleted = 0 AND patient_id = ?"
	         " ORDER BY slot_end_ms < ?2,"
	         " CASE WHEN slot_end_ms >= ?2 THEN slot_start_ms"
	         " ELSE -slot_start_ms END, id",
	         &st)) != 0)
		return err;
	sqlite3_bind_text(st, 1, patient_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now_ms);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&row, 0, sizeof(row));
		appt_col(st, 0, row.id, sizeof(row.id));
		appt_col(st, 1, row.patient_id, sizeof(row.patient_id));
		row.start_ms = (uint64_t)sqlite3_column_int64(st, 2);
		row.end_ms = (uint64_t)sqlite3_column_int64(st, 3);
		appt_col(st, 4, row.status, sizeof(row.status));
		appt_col(st, 5, row.clinician, sizeof(row.clinician));
		row.slot_id = (uint64_t)sqlite3_column_int64(st, 6);
		appt_col(st, 7, row.reason, sizeof(row.reason));
		appt_col(st, 8, row.answer, sizeof(row.answer));
		appt_col(st, 9, row.replaces, sizeof(row.replaces));
		if ((err = cb(arg, &row)) != 0)
			break;
	}
	if (err == 0 && rc != SQLITE_DONE)
		err = store_err(s, rc, "appointments of a patient");
	sqlite3_finalize(st);
	return err;
}
