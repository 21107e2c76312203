/*
 * Issue 17 through a real sync-server: the audit anchor and break-glass.
 *
 * anchor_honest: a kiosk that syncs again and again (and once with more
 * audit entries than two requests carry) always extends its anchor, and
 * `admin audit NODE` says "extends".  anchor_rewritten: the attacker of
 * docs/SECURITY.md (the data key in hand) drops the audit triggers,
 * edits an entry below the anchor and recomputes every later hash, so
 * `kiosk db check` passes; the next sync is detected as a break (stored,
 * alerted, shown by `admin audit NODE`), and nothing else is refused: the
 * records of that sync still reach the server.  breakglass: a patient of
 * another facility is not pulled; break-glass without a reason and for an
 * unknown patient is refused; with a reason it is listed by `admin
 * breakglass`, audited on the kiosk, and the next pull brings the patient
 * with their visit.  Skipped when the server binary is missing.
 */
#define LOG_MODULE "test_anchor"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cborx.h"
#include "crypto.h"
#include "encode.h"
#include "fileio.h"
#include "hlc.h"
#include "kiosk/store/store_int.h"
#include "kiosk/sync/sync.h"
#include "log.h"
#include "str.h"
#include "test.h"
#include "syncfix.h"
#include "xmalloc.h"

static int
run(struct store *s)
{
	char *cause = NULL;
	int err = sync_run(s, NULL, &cause);

	if (err != 0)
		fprintf(stderr, "  sync: %s\n", cause ? cause : strerror(err));
	free(cause);
	return err;
}

static int
count(struct store *s, const char *sql)
{
	sqlite3_stmt *st;
	int n = -1;

	if (store_prepare(s, sql, &st) != 0)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

static uint64_t
now(void)
{
	return hlc_wall_ms();
}

/* `sync-server admin ARGS`: its exit status, its output in OUT. */
static int
admin(struct srv *srv, const char *args, char *out, size_t size)
{
	char cmd[1024];
	size_t n = 0;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd),
	    "'%s' --data '%s/srv' --key-file '%s/store.key' admin %s", srv->bin,
	    srv->dir, srv->dir, args);
	if ((p = popen(cmd, "r")) == NULL)
		return -1;
	n = fread(out, 1, size - 1, p);
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static long long
node_id(struct store *s)
{
	uint8_t *v = NULL;
	size_t len;
	char buf[32];
	long long id = 0;

	if (store_state_get(s, SYNC_K_NODE, &v, &len) == 0 &&
	    len < sizeof(buf)) {
		memcpy(buf, v, len);
		buf[len] = '\0';
		id = strtoll(buf, NULL, 10);
	}
	free(v);
	return id;
}

static int
add_patient(struct store *s, const char *given, char id[UUID_STRLEN + 1])
{
	struct store_patient p = { 0 };
	char visit[UUID_STRLEN + 1], *cause = NULL;
	int err;

	p.given = (char *)given;
	p.family = (char *)"Otieno";
	p.birth_date = (char *)"1984-03-02";
	if ((err = store_patient_add(s, &p, NULL, &cause)) == 0)
		err = store_encounter_open(s, p.id, "cough", visit);
	if (err == 0)
		str_lcpy(id, p.id, UUID_STRLEN + 1);
	free(cause);
	return err;
}

static int
test_anchor_honest(void)
{
	struct srv srv;
	struct store *c = NULL;
	char out[4096], args[64], id[UUID_STRLEN + 1];
	int err = 0, i, rc;

	if ((err = srv_start(&srv)) != 0)
		return err;
	TEST_ERR(node_open_as(&srv, "clinic", "clinic", now, &c));
	for (i = 0; i < 5; i++) {
		TEST_ERR(add_patient(c, "Achieng", id));
		TEST_ERR(store_audit(c, "view", "patient", id, NULL));
		TEST_ERR(run(c));
	}
	/* more entries than one request carries: caught up in one run */
	TEST_ERR(store_tx_begin(c));
	for (i = 0; i < 1100 && err == 0; i++)
		err = store_audit(c, "view", "patient", id, NULL);
	TEST_ERR(store_tx_end(c, err));
	TEST_ERR(run(c));
	TEST_ERR(run(c)); /* nothing new: nothing sent, still anchored */
	snprintf(args, sizeof(args), "audit %lld", node_id(c));
	rc = admin(&srv, args, out, sizeof(out));
	if (rc != 0 || strstr(out, "extends") == NULL)
		TEST_FAILED("admin audit: %d %s", rc, out);
	/* the anchor is the kiosk's newest entry (a sync audits nothing) */
	{
		char want[64];
		snprintf(want, sizeof(want), "now entry %d ",
		    count(c, "SELECT max(seq) FROM audit"));
		if (strstr(out, want) == NULL)
			TEST_FAILED(
			    "anchor not at the head (%s): %s", want, out);
	}
	TEST_EQ(admin(&srv, "audit 999", out, sizeof(out)), 1);
	TEST_TRUE(strstr(out, "no audit anchor yet") != NULL);
out:
	store_close(c);
	srv_stop(&srv);
	return err;
}

/* The attacker's rewrite: entry SEQ's detail changed and every later
 * hash recomputed in the documented form (kiosk/store/store.c). */
static int
rewrite_from(struct store *s, int seq)
{
	sqlite3 *db = store_db(s);
	sqlite3_stmt *st = NULL, *up = NULL;
	uint8_t prev[32], h[32], *buf = NULL;
	cbor_item_t *m;
	size_t len;
	int rc, err = 0, i;
	char sql[128];

	if (sqlite3_exec(db,
	        "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;",
	        NULL, NULL, NULL) != SQLITE_OK)
		return EIO;
	snprintf(sql, sizeof(sql),
	    "UPDATE audit SET detail = 'nothing to see' WHERE seq = %d", seq);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return EIO;
	snprintf(
	    sql, sizeof(sql), "SELECT hash FROM audit WHERE seq = %d", seq - 1);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW)
		return EIO;
	memcpy(prev, sqlite3_column_blob(st, 0), 32);
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(db,
	        "SELECT seq, at_ms, hlc, actor, action, entity, entity_id,"
	        " detail FROM audit WHERE seq >= ? ORDER BY seq",
	        -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
	        "UPDATE audit SET prev_hash = ?, hash = ? WHERE seq = ?", -1,
	        &up, NULL) != SQLITE_OK)
		return EIO;
	sqlite3_bind_int(st, 1, seq);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		m = cborx_map(9);
		cborx_map_put(
		    m, 1, cborx_uint((uint64_t)sqlite3_column_int64(st, 0)));
		cborx_map_put(
		    m, 2, cborx_uint((uint64_t)sqlite3_column_int64(st, 1)));
		cborx_map_put(
		    m, 3, cborx_uint((uint64_t)sqlite3_column_int64(st, 2)));
		for (i = 3; i <= 7; i++)
			cborx_map_put(m, (uint64_t)i + 1,
			    sqlite3_column_type(st, i) == SQLITE_NULL
			        ? cborx_null()
			        : cborx_text((const char *)sqlite3_column_text(
			              st, i)));
		cborx_map_put(m, 9, cborx_bytes(prev, 32));
		err = cborx_encode(m, &buf, &len);
		cbor_decref(&m);
		if (err != 0)
			break;
		crypto_sha256(buf, len, h);
		free(buf);
		sqlite3_bind_blob(up, 1, prev, 32, SQLITE_TRANSIENT);
		sqlite3_bind_blob(up, 2, h, 32, SQLITE_TRANSIENT);
		sqlite3_bind_int64(up, 3, sqlite3_column_int64(st, 0));
		if (sqlite3_step(up) != SQLITE_DONE)
			err = EIO;
		sqlite3_reset(up);
		memcpy(prev, h, 32);
	}
	sqlite3_finalize(st);
	sqlite3_finalize(up);
	if (err == 0 &&
	    sqlite3_exec(db,
	        "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
	        " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only');"
	        " END; CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
	        " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only');"
	        " END;",
	        NULL, NULL, NULL) != SQLITE_OK)
		err = EIO;
	return err;
}

static int
test_anchor_rewritten(void)
{
	struct srv srv;
	struct store *c = NULL;
	struct sync_report rep;
	char out[4096], args[64], id[UUID_STRLEN + 1], *report = NULL;
	char *cause = NULL;
	int err = 0, i, rc;

	if ((err = srv_start(&srv)) != 0)
		return err;
	TEST_ERR(node_open_as(&srv, "clinic", "clinic", now, &c));
	for (i = 0; i < 3; i++) {
		TEST_ERR(add_patient(c, "Wanjiru", id));
		TEST_ERR(run(c));
	}
	snprintf(args, sizeof(args), "audit %lld", node_id(c));
	TEST_EQ(admin(&srv, args, out, sizeof(out)), 0);
	/* rewrite entry 3, below the anchor; the kiosk alone sees nothing */
	TEST_TRUE(count(c, "SELECT max(seq) FROM audit") > 5);
	TEST_ERR(rewrite_from(c, 3));
	TEST_ERR(store_check(c, &report));
	free(report);
	report = NULL;
	/* the next sync: detected, and its record still delivered */
	TEST_ERR(add_patient(c, "Njeri", id));
	memset(&rep, 0, sizeof(rep));
	err = sync_run(c, &rep, &cause);
	if (err != 0)
		TEST_FAILED("the sync after the rewrite failed: %s",
		    cause ? cause : strerror(err));
	TEST_TRUE(rep.pushed >= 2); /* the patient and the visit */
	TEST_EQ(rep.acked, count(c, "SELECT max(seq) FROM outbox"));
	rc = admin(&srv, args, out, sizeof(out));
	if (rc != 1 || strstr(out, "BROKEN") == NULL)
		TEST_FAILED("admin audit after the rewrite: %d %s", rc, out);
	TEST_TRUE(strstr(out, "does not carry the hash") != NULL);
	/* alerted on the server, audited on the kiosk; syncing goes on */
	TEST_EQ(count(c,
	            "SELECT count(*) FROM audit WHERE action ="
	            " 'audit-anchor-break'"),
	    1);
	TEST_ERR(run(c));
	TEST_EQ(admin(&srv, args, out, sizeof(out)), 1);
	/* one alert (stats' "warnings") for the break, not one per sync */
	rc = admin(&srv, "stats --json", out, sizeof(out));
	TEST_EQ(rc, 0);
	TEST_TRUE(strstr(out, "\"warnings\":1,") != NULL);
out:
	free(cause);
	free(report);
	store_close(c);
	srv_stop(&srv);
	return err;
}

static int
test_breakglass(void)
{
	struct srv srv;
	struct store *a = NULL, *b = NULL;
	struct store_user nurse = { 0 };
	char out[4096], id[UUID_STRLEN + 1], *cause = NULL, sql[256];
	int err = 0, rc;

	if ((err = srv_start(&srv)) != 0)
		return err;
	TEST_ERR(node_open_at(&srv, "clinic_a", "clinic", "fa", now, &a));
	TEST_ERR(node_open_at(&srv, "clinic_b", "clinic", "fb", now, &b));
	TEST_ERR(store_user_add(b, "nurse", STORE_ROLE_CLINICIAN, &nurse));
	store_set_actor(b, nurse.id);
	TEST_ERR(add_patient(a, "Akinyi", id));
	TEST_ERR(run(a));
	TEST_ERR(run(b));
	snprintf(sql, sizeof(sql),
	    "SELECT count(*) FROM patients WHERE id = '%s'", id);
	TEST_EQ(count(b, sql), 0); /* not in fb's scope: not pulled */
	/* no reason, a blank one, an unknown patient: refused */
	TEST_EQ(sync_breakglass(b, id, "", &cause), EINVAL);
	free(cause);
	cause = NULL;
	TEST_EQ(sync_breakglass(b, id, "  urgent   ", &cause), EACCES);
	TEST_TRUE(strstr(cause, "reason") != NULL);
	free(cause);
	cause = NULL;
	TEST_EQ(sync_breakglass(b, "0190a1b2-c3d4-7e5f-8607-18293a4b5c6d",
	            "transferred unconscious from fa", &cause),
	    EACCES);
	TEST_TRUE(strstr(cause, "no such patient") != NULL);
	free(cause);
	cause = NULL;
	TEST_EQ(count(b,
	            "SELECT count(*) FROM audit WHERE action ="
	            " 'breakglass'"),
	    0);
	TEST_ERR(run(b));
	TEST_EQ(count(b, sql), 0);
	/* with a reason: recorded, audited, and the next pull brings them */
	TEST_ERR(sync_breakglass(
	    b, id, "arrived unconscious, referred from fa", &cause));
	TEST_EQ(count(b,
	            "SELECT count(*) FROM audit WHERE action ="
	            " 'breakglass'"),
	    1);
	TEST_ERR(run(b));
	TEST_EQ(count(b, sql), 1);
	snprintf(sql, sizeof(sql),
	    "SELECT count(*) FROM encounters WHERE patient_id = '%s'", id);
	TEST_EQ(count(b, sql), 1); /* their history: the visit at fa */
	rc = admin(&srv, "breakglass", out, sizeof(out));
	TEST_EQ(rc, 0);
	TEST_TRUE(strstr(out, id) != NULL);
	TEST_TRUE(strstr(out, "arrived unconscious") != NULL);
	TEST_TRUE(strstr(out, "fb") != NULL);
	rc = admin(&srv, "breakglass --json", out, sizeof(out));
	TEST_EQ(rc, 0);
	TEST_TRUE(strstr(out, "\"reason\": \"arrived unconscious") != NULL);
	/* fa's own patients stay out of fb's scope */
	TEST_ERR(add_patient(a, "Kerubo", id));
	TEST_ERR(run(a));
	TEST_ERR(run(b));
	snprintf(sql, sizeof(sql),
	    "SELECT count(*) FROM patients WHERE id = '%s'", id);
	TEST_EQ(count(b, sql), 0);
out:
	free(cause);
	store_user_clear(&nurse);
	store_close(a);
	store_close(b);
	srv_stop(&srv);
	return err;
}

TEST_MAIN({ "anchor_honest", test_anchor_honest },
    { "anchor_rewritten", test_anchor_rewritten },
    { "breakglass", test_breakglass })
