/*
 * What the UI needs from the store and store.h does not offer yet:
 * today's visits on this kiosk (including the patients who checked
 * themselves in) with their state, a patient's red flag still waiting for
 * acknowledgement from an earlier session, and today's visit still open
 * for a patient, to carry on with.  Read-only queries through the raw
 * handle (store_db), as kiosk/cli/cmd_db.c does; they belong in the store
 * (say store_encounter_list_today, store_alert_pending,
 * store_encounter_open_today) when it grows them.  No curses here.
 */
#define LOG_MODULE "ui"

#include <errno.h>
#include <sqlcipher/sqlite3.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "str.h"
#include "kiosk/tui/ui.h"

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
col_text(sqlite3_stmt *st, int i, char *out, size_t len)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	str_lcpy(out, t != NULL ? (const char *)t : "", len);
}

int
ui_today_list(struct ui *ui, struct ui_today *rows, int max, int *n)
{
	static const char sql[] =
	    "SELECT e.patient_id, MAX(e.started_ms), e.status, e.reason,"
	    " (SELECT COUNT(*) FROM alerts a WHERE a.patient_id = e.patient_id"
	    "  AND a.acked_ms IS NULL AND a.deleted = 0)"
	    " FROM encounters e WHERE e.deleted = 0 AND e.started_ms >= ?1"
	    " GROUP BY e.patient_id ORDER BY 2 DESC LIMIT ?2";
	sqlite3_stmt *st = NULL;
	int rc;

	*n = 0;
	if (ui->store == NULL)
		return EINVAL;
	rc = sqlite3_prepare_v2(store_db(ui->store), sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		log_warnx("today: %s", sqlite3_errstr(rc));
		return EIO;
	}
	sqlite3_bind_int64(st, 1, today_start_ms());
	sqlite3_bind_int(st, 2, max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < max) {
		col_text(
		    st, 0, rows[*n].patient_id, sizeof(rows[*n].patient_id));
		col_text(st, 2, rows[*n].status, sizeof(rows[*n].status));
		col_text(st, 3, rows[*n].reason, sizeof(rows[*n].reason));
		rows[*n].alerts = sqlite3_column_int(st, 4);
		(*n)++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		log_warnx("today: %s", sqlite3_errstr(rc));
		return EIO;
	}
	return 0;
}

/* Run SQL (?1 the text T, ?2 the integer I when SQL has it) and copy the first column of
 * its first row into ID_OUT: 0, ENOENT when no row, EIO. */
static int
query_id(struct ui *ui, const char *what, const char *sql, const char *t,
    int64_t i, char id_out[UUID_STRLEN + 1])
{
	sqlite3_stmt *st = NULL;
	int rc, err = ENOENT;

	id_out[0] = '\0';
	if (ui->store == NULL)
		return EINVAL;
	rc = sqlite3_prepare_v2(store_db(ui->store), sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		log_warnx("%s: %s", what, sqlite3_errstr(rc));
		return EIO;
	}
	sqlite3_bind_text(st, 1, t, -1, SQLITE_STATIC);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_int64(st, 2, i);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		col_text(st, 0, id_out, UUID_STRLEN + 1);
		err = 0;
	} else if (rc != SQLITE_DONE) {
		log_warnx("%s: %s", what, sqlite3_errstr(rc));
		err = EIO;
	}
	sqlite3_finalize(st);
	return err;
}

int
ui_alert_pending(
    struct ui *ui, const char *patient_id, char id_out[UUID_STRLEN + 1])
{
	return query_id(ui, "pending alert",
	    "SELECT id FROM alerts WHERE patient_id = ?1 AND acked_ms IS NULL"
	    " AND deleted = 0 ORDER BY raised_ms DESC LIMIT 1",
	    patient_id, 0, id_out);
}

int
ui_open_visit(
    struct ui *ui, const char *patient_id, char id_out[UUID_STRLEN + 1])
{
	return query_id(ui, "open visit",
	    "SELECT id FROM encounters WHERE patient_id = ?1 AND status = 'open'"
	    " AND deleted = 0 AND started_ms >= ?2"
	    " ORDER BY started_ms DESC LIMIT 1",
	    patient_id, today_start_ms(), id_out);
}
