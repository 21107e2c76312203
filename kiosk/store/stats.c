/*
 * Row counts for `kiosk db stats`: how much a node holds, table by table.
 * Counts only; no row contents leave this file.
 */
#include <errno.h>
#include <stdio.h>

#include "compat.h"
#include "store_int.h"

static const char *const store_stats_tables[STORE_STATS_N] = { "users",
	"patients", "encounters", "observations", "form_submissions", "alerts",
	"attachments", "outbox", "audit" };

int
store_stats(struct store *s, struct store_stat out[STORE_STATS_N])
{
	sqlite3_stmt *st;
	char sql[128];
	size_t i;
	int err;

	for (i = 0; i < STORE_STATS_N; i++) {
		out[i].table = store_stats_tables[i];
		out[i].rows = 0;
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s",
		    store_stats_tables[i]);
		if ((err = store_prepare(s, sql, &st)) != 0)
			return err;
		if (sqlite3_step(st) == SQLITE_ROW)
			out[i].rows = (long long)sqlite3_column_int64(st, 0);
		else
			err = store_err(s, sqlite3_errcode(s->db), "stats");
		sqlite3_finalize(st);
		if (err != 0)
			return err;
	}
	return 0;
}
