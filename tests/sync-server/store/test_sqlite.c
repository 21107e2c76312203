/*
 * sync-server/store/sqlite.c: the schema is built by numbered migrations
 * (PRAGMA user_version).  A new store is at the latest version; a store
 * made before versioning (its tables at user_version 0) is brought up to
 * date with its data kept; a store newer than this program is refused.
 * The facility pull's back-fill half finds each patient's records through
 * their own indexes, not by scanning the region's changes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlcipher/sqlite3.h>

#include "sync-server/store/backend.h"
#include "sync-server/store/sqlite_int.h"
#include "test.h"

static const struct store_backend *be = &store_sqlite_backend;

/* Run SQL on DIR/server.db directly; the first column of the first row
 * goes to *OUT when OUT is set. */
static int
db_do(const char *dir, const char *sql, int *out)
{
	char path[256];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc;

	snprintf(path, sizeof(path), "%s/server.db", dir);
	if ((rc = sqlite3_open(path, &db)) == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW && out != NULL)
			*out = sqlite3_column_int(st, 0);
		rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : EIO;
}

/* The schema version of a store made by this program. */
#define SQ_LATEST                                                              \
	14 /* 5: consults.node (issue 13), 6: the licence registry (issue 14), 7: bookings (issue 15), 8: emergencies (issue 16), 9: audit anchors and break-glass (issue 17), 10: claims (issue 15), 11: partners (issue 16), 12: break-glass searches (issue 17), 13: hub staff (issue 15), 14: licences.address and .contact (issue 14) */

static int
test_migrations(void)
{
	/* the tables of issues 15 (booking, claims, hub staff), 16
	 * (emergencies) and 17 (audit anchors, break-glass) */
	static const char *const booking[] = { "schedules", "schedule_hours",
		"slots", "appointments", "appt_events", "waitlist",
		"slot_offers", "offer_passed", "emerg_incidents", "emerg_pages",
		"emerg_replies", "audit_anchors", "breakglass",
		"claim_evidence", "claims", "claim_nobill", "claim_events",
		"partners", "partner_queue", "breakglass_search", "staff" };
	char dir[] = "/tmp/outpost-sstore-XXXXXX";
	struct sstore *s = NULL;
	size_t i;
	struct stoken t;
	struct sstats st;
	char cmd[300];
	int v = -1, err = 0;

	memset(&st, 0, sizeof(st));
	TEST_TRUE(mkdtemp(dir) != NULL);
	/* new: the latest version */
	TEST_ERR(be->open(dir, NULL, &s));
	memset(&t, 0, sizeof(t));
	memset(t.hash, 7, sizeof(t.hash));
	snprintf(t.role, sizeof(t.role), "clinic");
	snprintf(t.region, sizeof(t.region), "north");
	snprintf(t.facility, sizeof(t.facility), "fac");
	t.expires_ms = UINT64_MAX / 2;
	TEST_ERR(be->token_add(s, &t));
	be->close(s);
	s = NULL;
	TEST_ERR(db_do(dir, "PRAGMA user_version", &v));
	TEST_EQ(v, SQ_LATEST);
	/* made before versioning: version 1's tables at version 0, data
	 * kept (what later migrations added is dropped first; SQLCipher's
	 * SQLite 3.15 has no DROP COLUMN, so the table that gained a column,
	 * empty here, goes whole and version 1 makes it again) */
	TEST_ERR(db_do(dir, "DROP TABLE records", NULL));
	TEST_ERR(db_do(dir, "DROP TABLE scope", NULL));
	TEST_ERR(db_do(dir, "DROP TABLE changes", NULL));
	TEST_ERR(db_do(dir, "DROP TABLE blob_owners", NULL));
	TEST_ERR(db_do(dir, "DROP TABLE consults", NULL));
	TEST_ERR(db_do(dir, "DROP TABLE licences", NULL));
	TEST_ERR(db_do(dir, "DROP TABLE licence_events", NULL));
	for (i = 0; i < sizeof(booking) / sizeof(booking[0]); i++) {
		snprintf(cmd, sizeof(cmd), "DROP TABLE %s", booking[i]);
		TEST_ERR(db_do(dir, cmd, NULL));
	}
	TEST_ERR(db_do(dir, "PRAGMA user_version = 0", NULL));
	TEST_ERR(be->open(dir, NULL, &s));
	TEST_ERR(be->stats(s, &st));
	TEST_EQ(st.open_tokens, 1);
	be->close(s);
	s = NULL;
	TEST_ERR(db_do(dir, "PRAGMA user_version", &v));
	TEST_EQ(v, SQ_LATEST);
	/* newer than this program: refused, untouched */
	TEST_ERR(db_do(dir, "PRAGMA user_version = 99", NULL));
	TEST_EQ(be->open(dir, NULL, &s), EPROTO);
	TEST_TRUE(s == NULL);
	TEST_ERR(db_do(dir, "PRAGMA user_version", &v));
	TEST_EQ(v, 99);
out:
	sstats_clear(&st);
	if (s != NULL)
		be->close(s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return err;
}

/*
 * The plan of the facility pull.  The back-fill half (earlier changes of
 * patients who entered the scope after the cursor) must reach changes
 * through changes_record, per record of the patient; searching
 * changes_pull by (region, pos < scope pos) scans every earlier change of
 * the region for every patient in scope, and a 10,000-patient catchment
 * then took minutes per page.  The plan is the same on an empty store:
 * the store runs no ANALYZE.
 */
static int
test_pull_plan(void)
{
	char dir[] = "/tmp/outpost-sstore-XXXXXX", path[300], *sql = NULL;
	struct sstore *s = NULL;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int by_record = 0, by_region_pos = 0, err = 0;

	TEST_TRUE(mkdtemp(dir) != NULL);
	TEST_ERR(be->open(dir, NULL, &s));
	be->close(s);
	s = NULL;
	snprintf(path, sizeof(path), "%s/server.db", dir);
	TEST_EQ(sqlite3_open(path, &db), SQLITE_OK);
	TEST_TRUE(
	    asprintf(&sql, "EXPLAIN QUERY PLAN %s", sq_pull_facility) > 0);
	TEST_EQ(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(st, 3);

		if (d == NULL || strstr(d, "TABLE changes") == NULL)
			continue;
		by_record += strstr(d, "changes_record") != NULL;
		by_region_pos += strstr(d, "pos<?") != NULL;
	}
	TEST_TRUE(by_record >= 1);
	TEST_EQ(by_region_pos, 0);
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(sql);
	if (s != NULL)
		be->close(s);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path) != 0)
		err = EIO;
	return err;
}

TEST_MAIN({ "migrations", test_migrations }, { "pull_plan", test_pull_plan })
