/*
 * The waitlist on the kiosk (issue 15, docs/PROTOCOL.md §11.1): this
 * kiosk's entries, what the next sync sends for each (PENDING) and what
 * the server last answered (status, the live offer).  Entries are not
 * records: the server keeps the list; each change here is audited.  An
 * accepted offer becomes an appointment (REC_APPOINTMENT) once the server
 * booked it (store_wait_booked).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "record.h"
#include "store.h"
#include "store_int.h"

#define WAIT_COLS                                                              \
	"id, patient_id, urgency, service, lang, modality, clinician, status," \
	" pending, created_ms, listed_ms, answered_ms, offer_slot,"            \
	" offer_start_ms, offer_end_ms, offer_expires_ms, appt_id, note"

static void
wait_text(sqlite3_stmt *st, int col, char *out, size_t size)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	snprintf(out, size, "%s", t != NULL ? (const char *)t : "");
}

static void
wait_row(sqlite3_stmt *st, struct store_wait *w)
{
	memset(w, 0, sizeof(*w));
	wait_text(st, 0, w->id, sizeof(w->id));
	wait_text(st, 1, w->patient_id, sizeof(w->patient_id));
	w->urgency = sqlite3_column_int(st, 2);
	wait_text(st, 3, w->service, sizeof(w->service));
	wait_text(st, 4, w->lang, sizeof(w->lang));
	wait_text(st, 5, w->modality, sizeof(w->modality));
	wait_text(st, 6, w->clinician, sizeof(w->clinician));
	wait_text(st, 7, w->status, sizeof(w->status));
	wait_text(st, 8, w->pending, sizeof(w->pending));
	w->created_ms = (uint64_t)sqlite3_column_int64(st, 9);
	w->listed_ms = (uint64_t)sqlite3_column_int64(st, 10);
	w->answered_ms = (uint64_t)sqlite3_column_int64(st, 11);
	w->offer_slot = (uint64_t)sqlite3_column_int64(st, 12);
	w->offer_start_ms = (uint64_t)sqlite3_column_int64(st, 13);
	w->offer_end_ms = (uint64_t)sqlite3_column_int64(st, 14);
	w->offer_expires_ms = (uint64_t)sqlite3_column_int64(st, 15);
	wait_text(st, 16, w->appt_id, sizeof(w->appt_id));
	wait_text(st, 17, w->note, sizeof(w->note));
}

int
store_wait_add(
    struct store *s, const struct store_wait *w, char id_out[UUID_STRLEN + 1])
{
	char id[UUID_STRLEN + 1], detail[32];
	sqlite3_stmt *st = NULL;
	struct uuid u;
	int err;

	if (uuid_parse(w->patient_id, &u) != 0 || w->urgency < 1 ||
	    w->urgency > 3 || w->service[0] == '\0')
		return EINVAL;
	store_new_id(id);
	if ((err = store_tx_begin(s)) != 0)
		return err;
	if ((err = store_prepare(s,
	         "INSERT INTO waitlist(id, patient_id, urgency, service, lang,"
	         " modality, clinician, created_ms) VALUES(?, ?, ?, ?, ?, ?, ?,"
	         " ?)",
	         &st)) != 0)
		goto out;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, w->patient_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 3, w->urgency);
	sqlite3_bind_text(st, 4, w->service, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, w->lang, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 6, w->modality, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 7, w->clinician, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)hlc_wall_ms());
	if ((err = store_step_done(s, st, "waitlist add")) != 0)
		goto out;
	snprintf(detail, sizeof(detail), "urgency %d", w->urgency);
	err = store_audit_append(s, "create", "waitlist", id, detail);
out:
	sqlite3_finalize(st);
	err = store_tx_end(s, err);
	if (err == 0 && id_out != NULL)
		memcpy(id_out, id, sizeof(id));
	return err;
}

int
store_wait_get(struct store *s, const char *id, struct store_wait *out)
{
	sqlite3_stmt *st = NULL;
	int rc, err;

	if ((err = store_prepare(s,
	         "SELECT " WAIT_COLS " FROM waitlist WHERE id = ?", &st)) != 0)
		return err;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		wait_row(st, out);
	else
		err = rc == SQLITE_DONE ? ENOENT : store_err(s, rc, "waitlist");
	sqlite3_finalize(st);
	return err;
}

int
store_wait_list(struct store *s, const char *patient_id,
    int (*cb)(void *, const struct store_wait *), void *arg)
{
	sqlite3_stmt *st = NULL;
	struct store_wait w;
	int rc, err;

	if ((err = store_prepare(s,
	         "SELECT " WAIT_COLS " FROM waitlist WHERE ?1 IS NULL"
	         " OR patient_id = ?1 ORDER BY created_ms, id",
	         &st)) != 0)
		return err;
	if (patient_id != NULL)
		sqlite3_bind_text(st, 1, patient_id, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		wait_row(st, &w);
		if ((err = cb(arg, &w)) != 0)
			break;
	}
	if (err == 0 && rc != SQLITE_DONE)
		err = store_err(s, rc, "waitlist");
	sqlite3_finalize(st);
	return err;
}

static int
wait_finished(const char *status)
{
	return strcmp(status, "booked") == 0 ||
	    strcmp(status, "removed") == 0 || strcmp(status, "expired") == 0;
}

int
store_wait_intent(
    struct store *s, const char *id, const char *op, uint64_t now_ms)
{
	struct store_wait w;
	sqlite3_stmt *st = NULL;
	char appt[UUID_STRLEN + 1] = "";
	const char *status;
	int err;

	if (strcmp(op, "remove") != 0 && strcmp(op, "decline") != 0 &&
	    strcmp(op, "accept") != 0)
		return EINVAL;
	if ((err = store_tx_begin(s)) != 0)
		return err;
	if ((err = store_wait_get(s, id, &w)) != 0)
		goto out;
	if (wait_finished(w.status)) {
		err = EALREADY;
		goto out;
	}
	status = w.status;
	if (strcmp(op, "remove") != 0 &&
	    (strcmp(w.status, "offered") != 0 || w.offer_expires_ms <= now_ms ||
	        strcmp(w.pending, "") != 0)) {
		err = EALREADY;
		goto out;
	}
	if (strcmp(op, "accept") == 0)
		store_new_id(appt);
	/* never sent: nothing for the server to remove */
	if (strcmp(op, "remove") == 0 && strcmp(w.pending, "add") == 0) {
		status = "removed";
		op = "";
	}
	if ((err = store_prepare(s,
	         "UPDATE waitlist SET pending = ?, status = ?, note = '',"
	         " appt_id = CASE WHEN ? = '' THEN appt_id ELSE ? END"
	         " WHERE id = ?",
	         &st)) != 0)
		goto out;
	sqlite3_bind_text(st, 1, op, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, status, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, appt, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, appt, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, id, -1, SQLITE_TRANSIENT);
	if ((err = store_step_done(s, st, "waitlist intent")) != 0)
		goto out;
	err = store_audit_append(s, "update", "waitlist", id,
	    op[0] != '\0' ? op : "removed before it was sent");
out:
	sqlite3_finalize(st);
	return store_tx_end(s, err);
}

int
store_wait_answer(struct store *s, const struct store_wait *w, int clear)
{
	sqlite3_stmt *st = NULL;
	int err;

	if ((err = store_prepare(s,
	         "UPDATE waitlist SET status = ?, listed_ms = ?, offer_slot = ?,"
	         " offer_start_ms = ?, offer_end_ms = ?, offer_expires_ms = ?,"
	         " note = ?, answered_ms = ?,"
	         " pending = CASE WHEN ? THEN '' ELSE pending END WHERE id = ?",
	         &st)) != 0)
		return err;
	sqlite3_bind_text(st, 1, w->status, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)w->listed_ms);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)w->offer_slot);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)w->offer_start_ms);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)w->offer_end_ms);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)w->offer_expires_ms);
	sqlite3_bind_text(st, 7, w->note, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)hlc_wall_ms());
	sqlite3_bind_int(st, 9, clear);
	sqlite3_bind_text(st, 10, w->id, -1, SQLITE_TRANSIENT);
	err = store_step_done(s, st, "waitlist answer");
	sqlite3_finalize(st);
	return err;
}

int
store_wait_booked(struct store *s, const struct store_wait *w)
{
	sqlite3_stmt *st = NULL;
	struct model_rec r;
	int err;

	if (w->appt_id[0] == '\0' || w->offer_slot == 0 ||
	    w->offer_end_ms <= w->offer_start_ms)
		return EINVAL;
	if ((err = store_tx_begin(s)) != 0)
		return err;
	store_rec_init(s, &r, REC_APPOINTMENT, w->appt_id, store_hlc_now(s));
	model_set_text(&r, REC_APPT_PATIENT, w->patient_id);
	model_set_uint(&r, REC_APPT_SLOT, w->offer_slot);
	model_set_uint(&r, REC_APPT_START, w->offer_start_ms);
	model_set_uint(&r, REC_APPT_END, w->offer_end_ms);
	model_set_text(&r, REC_APPT_STATUS, "proposed");
	if ((err = store_row_insert(s, &r, NULL, 0)) != 0 ||
	    (err = store_outbox_put(s, &r)) != 0)
		goto out;
	if ((err = store_prepare(s,
	         "UPDATE appointments SET server_state = 'booked' WHERE id = ?;",
	         &st)) != 0)
		goto out;
	sqlite3_bind_text(st, 1, w->appt_id, -1, SQLITE_TRANSIENT);
	if ((err = store_step_done(s, st, "appointment answer")) != 0)
		goto out;
	sqlite3_finalize(st);
	st = NULL;
	if ((err = store_prepare(s,
	         "UPDATE waitlist SET status = 'booked', pending = '',"
	         " note = '', answered_ms = ? WHERE id = ?",
	         &st)) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)hlc_wall_ms());
	sqlite3_bind_text(st, 2, w->id, -1, SQLITE_TRANSIENT);
	if ((err = store_step_done(s, st, "waitlist booked")) != 0)
		goto out;
	if ((err = store_audit_append(s, "create", "appointment", w->appt_id,
	         "waitlist offer")) == 0)
		err = store_audit_append(
		    s, "update", "waitlist", w->id, "booked");
out:
	sqlite3_finalize(st);
	return store_tx_end(s, err);
}
