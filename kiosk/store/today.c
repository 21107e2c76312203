/*
 * What the kiosk screen asks of today: the visits started today on this
 * kiosk (including the patients who checked themselves in) with their
 * state, a patient's red flag still waiting for acknowledgement from an
 * earlier session, and a patient's visit of today still open, to carry on
 * with, and every red flag still waiting, from any day (Home lists them
 * above everything else).  Read-only: no transaction, no outbox, no audit.  "Today" starts
 * at the kiosk's local midnight.  The visit (kiosk/visit/) runs no SQL of
 * its own; these are its queries.
 */
#define LOG_MODULE "store"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "store_int.h"
#include "str.h"

/* Local midnight, in Unix ms. */
static int64_t
today_start_ms(void)
{
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm) * 1000;
}

static void
col_copy(sqlite3_stmt *st, int i, char *out, size_t len)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	str_lcpy(out, t != NULL ? (const char *)t : "", len);
}

int
store_encounter_list_today(
    struct store *s, struct store_today *rows, size_t max, size_t *n)
{
	static const char sql[] =
	    "SELECT e.patient_id, MAX(e.started_ms), e.status, e.reason,"
	    " (SELECT COUNT(*) FROM alerts a WHERE a.patient_id = e.patient_id"
	    "  AND a.acked_ms IS NULL AND a.deleted = 0)"
	    " FROM encounters e WHERE e.deleted = 0 AND e.started_ms >= ?1"
	    " GROUP BY e.patient_id ORDER BY 2 DESC LIMIT ?2";
	sqlite3_stmt *st = NULL;
	int rc = SQLITE_DONE, err;

	*n = 0;
	if ((err = store_prepare(s, sql, &st)) != 0)
		return err;
	sqlite3_bind_int64(st, 1, today_start_ms());
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&rows[*n], 0, sizeof(rows[*n]));
		col_copy(
		    st, 0, rows[*n].patient_id, sizeof(rows[*n].patient_id));
		col_copy(st, 2, rows[*n].status, sizeof(rows[*n].status));
		col_copy(st, 3, rows[*n].reason, sizeof(rows[*n].reason));
		rows[*n].alerts = sqlite3_column_int(st, 4);
		(*n)++;
	}
	if (*n < max && rc != SQLITE_DONE)
		err = store_err(s, rc, "today list");
	sqlite3_finalize(st);
	return err;
}

/* Run SQL (?1 the text T, ?2 the integer I when SQL has it) and copy the
 * first column of its first row into ID_OUT: 0, ENOENT when no row, or a
 * store error. */
static int
query_id(struct store *s, const char *what, const char *sql, const char *t,
    int64_t i, char id_out[UUID_STRLEN + 1])
{
	sqlite3_stmt *st = NULL;
	int rc, err;

	id_out[0] = '\0';
	if ((err = store_prepare(s, sql, &st)) != 0)
		return err;
	store_bind_text(st, 1, t);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_int64(st, 2, i);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		col_copy(st, 0, id_out, UUID_STRLEN + 1);
	else if (rc == SQLITE_DONE)
		err = ENOENT;
	else
		err = store_err(s, rc, what);
	sqlite3_finalize(st);
	return err;
}

/* Patient ?1 and the records merged into it (kiosk/store/merge.c): a
 * merged-away record's visits and red flags are the survivor's. */
#define MERGED_INTO_1                                                          \
	"SELECT ?1 UNION SELECT duplicate_id FROM " STORE_MERGES_IN_FORCE      \
	" e WHERE e.survivor_id = ?1"

int
store_alert_pending(
    struct store *s, const char *patient_id, char id_out[UUID_STRLEN + 1])
{
	return query_id(s, "pending alert",
	    "SELECT id FROM alerts WHERE patient_id IN (" MERGED_INTO_1 ")"
	    " AND acked_ms IS NULL"
	    " AND deleted = 0 ORDER BY raised_ms DESC LIMIT 1",
	    patient_id, 0, id_out);
}

int
store_encounter_open_today(
    struct store *s, const char *patient_id, char id_out[UUID_STRLEN + 1])
{
	return query_id(s, "open visit",
	    "SELECT id FROM encounters WHERE patient_id IN (" MERGED_INTO_1 ")"
	    " AND status = 'open'"
	    " AND deleted = 0 AND started_ms >= ?2"
	    " ORDER BY started_ms DESC LIMIT 1",
	    patient_id, today_start_ms(), id_out);
}

int
store_alert_count_pending(struct store *s, size_t *n)
{
	sqlite3_stmt *st = NULL;
	int rc, err;

	*n = 0;
	if ((err = store_prepare(s,
	         "SELECT COUNT(*) FROM alerts WHERE acked_ms IS NULL"
	         " AND deleted = 0",
	         &st)) != 0)
		return err;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*n = (size_t)sqlite3_column_int64(st, 0);
	else
		err = store_err(s, rc, "alert count");
	sqlite3_finalize(st);
	return err;
}

#define ALERT_COLS                                                             \
	"SELECT id, patient_id, kind, score, detail, raised_ms, acked_ms"      \
	" FROM alerts"

static void
alert_row(sqlite3_stmt *st, struct store_alert_row *r)
{
	memset(r, 0, sizeof(*r));
	col_copy(st, 0, r->id, sizeof(r->id));
	col_copy(st, 1, r->patient_id, sizeof(r->patient_id));
	col_copy(st, 2, r->kind, sizeof(r->kind));
	r->score = sqlite3_column_int(st, 3);
	col_copy(st, 4, r->detail, sizeof(r->detail));
	r->raised_ms = sqlite3_column_int64(st, 5);
	r->acked_ms = sqlite3_column_int64(st, 6);
}

int
store_alert_list_pending(struct store *s, size_t offset,
    struct store_alert_row *rows, size_t max, size_t *n)
{
	sqlite3_stmt *st = NULL;
	int rc = SQLITE_DONE, err;

	*n = 0;
	if ((err = store_prepare(s,
	         ALERT_COLS " WHERE acked_ms IS NULL AND deleted = 0"
	                    " ORDER BY raised_ms DESC, id LIMIT ?1 OFFSET ?2",
	         &st)) != 0)
		return err;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)max);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)offset);
	while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW)
		alert_row(st, &rows[(*n)++]);
	if (*n < max && rc != SQLITE_DONE)
		err = store_err(s, rc, "alert list");
	sqlite3_finalize(st);
	return err;
}

int
store_alert_get(
    struct store *s, const char *alert_id, struct store_alert_row *out)
{
	sqlite3_stmt *st = NULL;
	int rc, err;

	memset(out, 0, sizeof(*out));
	if ((err = store_prepare(s, ALERT_COLS " WHERE id = ?1", &st)) != 0)
		return err;
	store_bind_text(st, 1, alert_id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		alert_row(st, out);
	else if (rc == SQLITE_DONE)
		err = ENOENT;
	else
		err = store_err(s, rc, "alert get");
	sqlite3_finalize(st);
	return err;
}

int
store_form_submitted(struct store *s, const char *form_id,
    const char *patient_id, const char *encounter_id, int *n)
{
	sqlite3_stmt *st = NULL;
	int rc, err;

	*n = 0;
	if ((err = store_prepare(s,
	         "SELECT COUNT(*) FROM form_submissions WHERE form_id = ?1"
	         " AND patient_id = ?2 AND encounter_id = ?3",
	         &st)) != 0)
		return err;
	store_bind_text(st, 1, form_id);
	store_bind_text(st, 2, patient_id);
	store_bind_text(st, 3, encounter_id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*n = sqlite3_column_int(st, 0);
	else
		err = store_err(s, rc, "form submitted");
	sqlite3_finalize(st);
	return err;
}
