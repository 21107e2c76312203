/*
 * The embedded store: one SQLCipher database (WAL, synchronous=FULL) in the
 * server's data directory, encrypted under the server store key (a raw
 * 256-bit key, from --key-file or a systemd credential; main.c).  A
 * plaintext server.db made by an older sync-server is encrypted in place
 * when it is first opened with a key (sqlcipher_export).  Without a key
 * (the in-process tests only; the program refuses to start without one)
 * the database is plain SQLite.  Writes go through one connection under a mutex
 * and are all BEGIN IMMEDIATE transactions, so SQLite admits one writer at
 * a time and change positions (the pull feed's INTEGER PRIMARY KEY) commit
 * in the order they are assigned: a reader can never see position 11
 * before 10 exists (docs/PROTOCOL.md §5.1).  Reads use a small pool of
 * read-only connections, each seeing a committed prefix of the feed.
 *
 * Group commit: pushes and request-sequence updates that arrive while a
 * transaction is being written queue up; the next writer takes the whole
 * queue into one transaction (one savepoint per request) and one fsync,
 * then wakes every waiter.  No answer leaves before its commit.
 *
 * It does not interpret record bodies: they are stored and served as the
 * exact bytes the node sent, with their SHA-256.  What the authorisation
 * needs of them (patient, soft delete) the caller reads and passes in
 * struct schange; the store keeps the record index and patient scopes
 * and asks the caller's authorize_cb about each change.  SQLite messages
 * are logged here and turned into errno values.
 */
#define LOG_MODULE "store_sqlite"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlcipher/sqlite3.h>
#include <unistd.h>

#include "cborx.h"
#include "crypto.h"
#include "encode.h"
#include "fileio.h"
#include "licence.h"
#include "sync-server/store/emerg_sql.h"
#include "sync-server/store/partner_sql.h"
#include "compat.h"
#include "log.h"
#include "record.h"
#include "backend.h"
#include "sqlite_int.h"
#include "str.h"
#include "xmalloc.h"

#define SQ_READERS 4
#define SQ_PULL_BUDGET (256 * 1024)

struct sq_reader {
	sqlite3 *db;
	pthread_mutex_t mu;
};

struct sstore {
	char *path;
	char *keysql; /* PRAGMA key statement, NULL without a key; wiped */
	sqlite3 *w;
	pthread_mutex_t wmu;
	sqlite3_stmt *st_dup, *st_ins, *st_batch_get, *st_batch_put;
	sqlite3_stmt *st_rec_get, *st_rec_put, *st_scope_get, *st_scope_put;
	struct sq_reader r[SQ_READERS];
	unsigned next_reader;
	pthread_mutex_t rmu;
	uint64_t era;
	/* group commit: writes waiting for the next transaction */
	pthread_mutex_t qmu;
	pthread_cond_t qcv;
	struct sq_job *qhead, **qtail;
	int leader;
	uint64_t groups, grouped; /* commits, and jobs they carried */
};

/*
 * A write that joins a group commit: FN runs inside the group's
 * transaction under its own savepoint (so its failure undoes only its own
 * work), and the caller is woken once the whole group is durable.
 */
struct sq_job {
	int (*fn)(struct sstore *, void *arg);
	void *arg;
	int err;
	int done;
	struct sq_job *next;
};

/*
 * The server schema as numbered migrations (PRAGMA user_version), as the
 * kiosk's (kiosk/store/schema.c): a new store runs them all, an older one
 * those it lacks, each in one transaction with its version bump.  Version
 * 1 keeps IF NOT EXISTS because stores made before versioning hold its
 * tables at user_version 0.  New tables take a new migration, never an
 * edit of an old one.
 */
static const char sq_migration_1[] =
    "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS tokens(hash BLOB PRIMARY KEY, role TEXT,"
    " region TEXT, facility TEXT, expires_ms INTEGER, used_ms INTEGER,"
    " node INTEGER);"
    "CREATE TABLE IF NOT EXISTS nodes(id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " pub BLOB NOT NULL UNIQUE, role TEXT, region TEXT, facility TEXT,"
    " label TEXT, revoked INTEGER NOT NULL DEFAULT 0,"
    " req_seq INTEGER NOT NULL DEFAULT 0, hw INTEGER NOT NULL DEFAULT 0,"
    " outbox_last INTEGER NOT NULL DEFAULT 0, enrolled_ms INTEGER,"
    " last_seen_ms INTEGER NOT NULL DEFAULT 0,"
    " last_push_ms INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS batches(node INTEGER NOT NULL,"
    " first INTEGER NOT NULL, last INTEGER NOT NULL, hash BLOB NOT NULL,"
    " response BLOB NOT NULL, received_ms INTEGER,"
    " PRIMARY KEY(node, first, last)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS changes(pos INTEGER PRIMARY KEY AUTOINCREMENT,"
    " region TEXT NOT NULL, node INTEGER NOT NULL, seq INTEGER NOT NULL,"
    " entity INTEGER NOT NULL, id BLOB NOT NULL, hlc INTEGER NOT NULL,"
    " hash BLOB NOT NULL, body BLOB NOT NULL, UNIQUE(node, seq));"
    "CREATE INDEX IF NOT EXISTS changes_pull ON changes(region, pos);"
    "CREATE TABLE IF NOT EXISTS alerts(id INTEGER PRIMARY KEY, node INTEGER,"
    " kind TEXT, detail TEXT, at_ms INTEGER);";

/*
 * Validation and authorisation of pushes (issue 9, item 3): a refused
 * change is kept (so its retry is recognised) but never served; the
 * record index says who created each record, where, and for which
 * patient; the scope lists, per patient, the facilities that registered
 * or visited them.  Records pushed before this migration are indexed by
 * their first change (patients with themselves as patient; the patient of
 * older encounters is unknown, so they widen no scope).
 */
static const char sq_migration_records[] =
    "ALTER TABLE changes ADD COLUMN refused INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE records(entity INTEGER NOT NULL, id BLOB NOT NULL,"
    " region TEXT NOT NULL, facility TEXT NOT NULL, node INTEGER NOT NULL,"
    " patient BLOB, pos INTEGER NOT NULL,"
    " PRIMARY KEY(entity, id)) WITHOUT ROWID;"
    "CREATE INDEX records_patient ON records(patient);"
    "INSERT OR IGNORE INTO records(entity, id, region, facility, node,"
    " patient, pos) SELECT c.entity, c.id, c.region,"
    " coalesce(n.facility, ''), c.node,"
    " CASE WHEN c.entity = 3 THEN c.id END, min(c.pos)"
    " FROM changes c LEFT JOIN nodes n ON n.id = c.node"
    " GROUP BY c.entity, c.id;"
    "CREATE TABLE scope(region TEXT NOT NULL, patient BLOB NOT NULL,"
    " facility TEXT NOT NULL, pos INTEGER NOT NULL,"
    " PRIMARY KEY(region, patient, facility)) WITHOUT ROWID;"
    "CREATE INDEX scope_pull ON scope(region, facility, pos);"
    "CREATE INDEX changes_record ON changes(entity, id);"
    "INSERT OR IGNORE INTO scope(region, patient, facility, pos)"
    " SELECT region, patient, facility, pos FROM records"
    " WHERE patient IS NOT NULL;";

/* Issue 9, item 8: which node uploaded which attachment, and its size
 * (per-node answers with no existence oracle, and quotas). */
static const char sq_migration_blobs[] =
    "CREATE TABLE IF NOT EXISTS blob_owners(node INTEGER NOT NULL, hash BLOB NOT NULL,"
    " size INTEGER NOT NULL, at_ms INTEGER NOT NULL,"
    " PRIMARY KEY(node, hash)) WITHOUT ROWID;";

/* Issue 13: the consult queue, one row per consult, kept by the push
 * that changes it (state, accepting hub, server times of queueing and
 * accepting); read by GET /v1/consults/queue and the lifecycle check. */
static const char sq_migration_consults[] =
    "CREATE TABLE consults(id BLOB PRIMARY KEY, region TEXT NOT NULL,"
    " facility TEXT NOT NULL, patient BLOB, state TEXT NOT NULL,"
    " urgency INTEGER NOT NULL DEFAULT 0, queued_ms INTEGER NOT NULL,"
    " accepted_node INTEGER NOT NULL DEFAULT 0, accepted_ms INTEGER,"
    " handed_to TEXT NOT NULL DEFAULT '', pos INTEGER NOT NULL)"
    " WITHOUT ROWID;"
    "CREATE INDEX consults_queue ON consults(region, state, urgency);";

/* Issue 13, calls: the node that requested a consult, so the hub that
 * accepts it can call that node (sip:n<node>@registrar). */
static const char sq_migration_call2[] =
    "ALTER TABLE consults ADD COLUMN node INTEGER NOT NULL DEFAULT 0;";

/* Issue 14: the licence registry (model/licence.h; times in Unix ms) and
 * its append-only event log (triggers refuse UPDATE and DELETE). */
static const char sq_migration_licences[] =
    "CREATE TABLE licences(regulator TEXT NOT NULL, regno TEXT NOT NULL,"
    " name TEXT NOT NULL DEFAULT '', cadre TEXT NOT NULL,"
    " scope INTEGER NOT NULL, juris TEXT NOT NULL,"
    " valid_from INTEGER NOT NULL, valid_to INTEGER NOT NULL,"
    " status INTEGER NOT NULL, status_at INTEGER NOT NULL DEFAULT 0,"
    " rev INTEGER NOT NULL DEFAULT 1,"
    " PRIMARY KEY(regulator, regno)) WITHOUT ROWID;"
    "CREATE TABLE licence_events(seq INTEGER PRIMARY KEY,"
    " regulator TEXT NOT NULL, regno TEXT NOT NULL, event TEXT NOT NULL,"
    " detail TEXT NOT NULL DEFAULT '', at_ms INTEGER NOT NULL);"
    "CREATE TRIGGER licence_events_no_update BEFORE UPDATE ON"
    " licence_events BEGIN SELECT RAISE(ABORT, 'append-only'); END;"
    "CREATE TRIGGER licence_events_no_delete BEFORE DELETE ON"
    " licence_events BEGIN SELECT RAISE(ABORT, 'append-only'); END;";

/* Issue 15: booking.  Schedules (FHIR Schedule) with weekly hours read
 * in the facility's zone; slots (FHIR Slot) in UTC; appointments (FHIR
 * Appointment) keyed by the UUID the kiosk made, with the answer first
 * given (a re-sent request gets it again).  The guard against double
 * booking is the partial unique index: one active appointment per slot.
 * Every status change leaves an appt_events row.  The waitlist, and at
 * most one live offer per slot (its PRIMARY KEY) and per entry. */
static const char sq_migration_sched[] =
    "CREATE TABLE schedules(id INTEGER PRIMARY KEY,"
    " clinician TEXT NOT NULL, facility TEXT NOT NULL, region TEXT NOT NULL,"
    " tz TEXT NOT NULL, service TEXT NOT NULL,"
    " modalities TEXT NOT NULL DEFAULT '', langs TEXT NOT NULL DEFAULT '',"
    " UNIQUE(clinician, facility, service));"
    "CREATE TABLE schedule_hours(schedule INTEGER NOT NULL, wday INTEGER"
    " NOT NULL, start_min INTEGER NOT NULL, end_min INTEGER NOT NULL,"
    " slot_min INTEGER NOT NULL, PRIMARY KEY(schedule, wday, start_min));"
    "CREATE TABLE slots(id INTEGER PRIMARY KEY, schedule INTEGER NOT NULL,"
    " start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL,"
    " status TEXT NOT NULL DEFAULT 'free', UNIQUE(schedule, start_ms));"
    "CREATE INDEX slots_start ON slots(start_ms);"
    "CREATE TABLE appointments(id BLOB PRIMARY KEY, slot INTEGER NOT NULL,"
    " patient BLOB NOT NULL, node INTEGER NOT NULL, status TEXT NOT NULL,"
    " answer TEXT NOT NULL, created_ms INTEGER NOT NULL,"
    " updated_ms INTEGER NOT NULL, reason TEXT NOT NULL DEFAULT '',"
    " checkin_ms INTEGER, checkin_by TEXT) WITHOUT ROWID;"
    "CREATE UNIQUE INDEX appointments_one_active_per_slot"
    " ON appointments(slot) WHERE status IN ('booked', 'checked-in',"
    " 'arrived', 'fulfilled');"
    "CREATE INDEX appointments_slot ON appointments(slot);"
    "CREATE TABLE appt_events(id INTEGER PRIMARY KEY, appt BLOB NOT NULL,"
    " at_ms INTEGER NOT NULL, from_status TEXT NOT NULL,"
    " to_status TEXT NOT NULL, why TEXT NOT NULL);"
    "CREATE INDEX appt_events_appt ON appt_events(appt);"
    "CREATE TABLE waitlist(id BLOB PRIMARY KEY, patient BLOB NOT NULL,"
    " region TEXT NOT NULL, service TEXT NOT NULL, urgency INTEGER NOT NULL,"
    " listed_ms INTEGER NOT NULL, recommended_ms INTEGER NOT NULL,"
    " lang TEXT NOT NULL DEFAULT '', modality TEXT NOT NULL DEFAULT '',"
    " clinician TEXT NOT NULL DEFAULT '',"
    " status TEXT NOT NULL DEFAULT 'waiting',"
    " offers INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
    "CREATE TABLE slot_offers(slot INTEGER PRIMARY KEY,"
    " entry BLOB NOT NULL UNIQUE, offered_ms INTEGER NOT NULL,"
    " expires_ms INTEGER NOT NULL);"
    "CREATE TABLE offer_passed(slot INTEGER NOT NULL, entry BLOB NOT NULL,"
    " PRIMARY KEY(slot, entry)) WITHOUT ROWID;";

/* Issue 16: emergency incidents by UUID (fast path and sync upsert the
 * same row), their pages (the kiosk's modem pages as reported, the
 * server's gateway pages) and the gateway's replies (backend.h). */
static const char sq_migration_emergency[] =
    "CREATE TABLE emerg_incidents(id BLOB PRIMARY KEY,"
    " code TEXT NOT NULL DEFAULT '', node INTEGER NOT NULL DEFAULT 0,"
    " state TEXT NOT NULL, level INTEGER NOT NULL DEFAULT 0,"
    " loop INTEGER NOT NULL DEFAULT 0, modem TEXT NOT NULL DEFAULT '',"
    " hlc INTEGER NOT NULL DEFAULT 0, raised_ms INTEGER NOT NULL DEFAULT 0,"
    " first_send_ms INTEGER NOT NULL DEFAULT 0,"
    " first_delivery_ms INTEGER NOT NULL DEFAULT 0,"
    " acked_ms INTEGER NOT NULL DEFAULT 0,"
    " arrived_ms INTEGER NOT NULL DEFAULT 0,"
    " ended_ms INTEGER NOT NULL DEFAULT 0,"
    " acked_by TEXT NOT NULL DEFAULT '', eta_min INTEGER NOT NULL DEFAULT 0,"
    " eng BLOB, updated_ms INTEGER NOT NULL,"
    " page TEXT NOT NULL DEFAULT '') WITHOUT ROWID;"
    "CREATE INDEX emerg_incidents_state ON emerg_incidents(state);"
    "CREATE TABLE emerg_pages(incident BLOB NOT NULL, loop INTEGER NOT NULL,"
    " level INTEGER NOT NULL, rcpt TEXT NOT NULL, channel TEXT NOT NULL,"
    " status TEXT NOT NULL, attempt INTEGER NOT NULL DEFAULT 0,"
    " ext_id TEXT NOT NULL DEFAULT '', at_ms INTEGER NOT NULL,"
    " updated_ms INTEGER NOT NULL,"
    " PRIMARY KEY(incident, loop, level, rcpt, channel)) WITHOUT ROWID;"
    "CREATE INDEX emerg_pages_ext ON emerg_pages(ext_id);"
    "CREATE TABLE emerg_replies(ext_id TEXT PRIMARY KEY, incident BLOB,"
    " from_num TEXT NOT NULL, text TEXT NOT NULL, kind TEXT NOT NULL,"
    " counted INTEGER NOT NULL, at_ms INTEGER NOT NULL) WITHOUT ROWID;";

/* Issue 17: each node's audit chain anchors (and breaks), and the
 * break-glass accesses (a patient opened outside a facility's scope,
 * with its reason). */
static const char sq_migration_anchor[] =
    "CREATE TABLE audit_anchors(id INTEGER PRIMARY KEY,"
    " node INTEGER NOT NULL, seq INTEGER NOT NULL, hash BLOB NOT NULL,"
    " ok INTEGER NOT NULL, detail TEXT NOT NULL, at_ms INTEGER NOT NULL);"
    "CREATE INDEX audit_anchors_node ON audit_anchors(node, id);"
    "CREATE TABLE breakglass(id INTEGER PRIMARY KEY,"
    " node INTEGER NOT NULL, region TEXT NOT NULL, facility TEXT NOT NULL,"
    " patient BLOB NOT NULL, user_id TEXT NOT NULL, reason TEXT NOT NULL,"
    " at_ms INTEGER NOT NULL);";

/* Issue 15: claims, built on the server from evidence only
 * (sync-server/claims.c).  The evidence a claim rests on, one row per
 * pushed change and what it speaks for; one claim per (consult, payer)
 * by the UNIQUE constraint; a no-bill decision per consult or
 * appointment; the claims' append-only event log. */
static const char sq_migration_claims[] =
    "CREATE TABLE claim_evidence(subject BLOB NOT NULL, rec BLOB NOT NULL,"
    " hlc INTEGER NOT NULL, kind TEXT NOT NULL, patient BLOB,"
    " clinician TEXT NOT NULL DEFAULT '', node INTEGER NOT NULL,"
    " region TEXT NOT NULL DEFAULT '', facility TEXT NOT NULL DEFAULT '',"
    " hash BLOB NOT NULL, body BLOB NOT NULL, at_ms INTEGER NOT NULL,"
    " PRIMARY KEY(subject, rec, hlc)) WITHOUT ROWID;"
    "CREATE INDEX claim_evidence_patient ON claim_evidence(patient, kind);"
    "CREATE INDEX claim_evidence_clinician"
    " ON claim_evidence(clinician, kind);"
    "CREATE TABLE claims(id INTEGER PRIMARY KEY, subject BLOB NOT NULL,"
    " payer TEXT NOT NULL, business_id TEXT NOT NULL UNIQUE, appt BLOB,"
    " patient BLOB NOT NULL, member TEXT NOT NULL, regno TEXT NOT NULL,"
    " facility TEXT NOT NULL, service TEXT NOT NULL, mode TEXT NOT NULL,"
    " status TEXT NOT NULL, hold TEXT NOT NULL DEFAULT '',"
    " price INTEGER NOT NULL, service_ms INTEGER NOT NULL,"
    " rule_version INTEGER NOT NULL, digest BLOB NOT NULL,"
    " created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL,"
    " UNIQUE(subject, payer));"
    "CREATE INDEX claims_status ON claims(status);"
    "CREATE INDEX claims_patient ON claims(patient, payer);"
    "CREATE INDEX claims_appt ON claims(appt);"
    "CREATE TABLE claim_nobill(subject BLOB PRIMARY KEY, kind TEXT NOT NULL,"
    " patient BLOB, reason TEXT NOT NULL, decided_ms INTEGER NOT NULL)"
    " WITHOUT ROWID;"
    "CREATE TABLE claim_events(id INTEGER PRIMARY KEY,"
    " business_id TEXT NOT NULL, at_ms INTEGER NOT NULL,"
    " from_status TEXT NOT NULL, to_status TEXT NOT NULL,"
    " why TEXT NOT NULL);"
    "CREATE TRIGGER claim_events_no_update BEFORE UPDATE ON claim_events"
    " BEGIN SELECT RAISE(ABORT, 'append-only'); END;"
    "CREATE TRIGGER claim_events_no_delete BEFORE DELETE ON claim_events"
    " BEGIN SELECT RAISE(ABORT, 'append-only'); END;";

/* Issue 16: the partners of a region that take CAP 1.2 or FHIR, and the
 * durable delivery queue of the messages for them, one row per
 * (partner, incident, message number): the body as first built, so a
 * retry sends the same bytes (sync-server/partners.c). */
static const char sq_migration_partners[] =
    "CREATE TABLE partners(id INTEGER PRIMARY KEY, region TEXT NOT NULL,"
    " url TEXT NOT NULL, format TEXT NOT NULL,"
    " secret TEXT NOT NULL DEFAULT '', added_ms INTEGER NOT NULL,"
    " UNIQUE(region, url, format));"
    "CREATE TABLE partner_queue(partner INTEGER NOT NULL,"
    " incident BLOB NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL,"
    " status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
    " next_ms INTEGER NOT NULL, created_ms INTEGER NOT NULL,"
    " updated_ms INTEGER NOT NULL, last_error TEXT NOT NULL DEFAULT '',"
    " body TEXT NOT NULL, PRIMARY KEY(partner, incident, seq))"
    " WITHOUT ROWID;"
    "CREATE INDEX partner_queue_due ON partner_queue(status, next_ms);";

/* Issue 17: the break-glass searches (docs/PROTOCOL.md §15.1). */
static const char sq_migration_bgsearch[] =
    "CREATE TABLE breakglass_search(id INTEGER PRIMARY KEY,"
    " node INTEGER NOT NULL, region TEXT NOT NULL, facility TEXT NOT NULL,"
    " user_id TEXT NOT NULL, query TEXT NOT NULL, found INTEGER NOT NULL,"
    " at_ms INTEGER NOT NULL);";

/* Issue 15: who works at which hub, by the names a schedule may give
 * them (a user's name and registration number, from the users its nodes
 * push): an appointment with them brings its patient into the hub's
 * scope (docs/PROTOCOL.md §5.3).  Users pushed before it are known from
 * their next change. */
static const char sq_migration_staff[] =
    "CREATE TABLE staff(region TEXT NOT NULL, name TEXT NOT NULL,"
    " facility TEXT NOT NULL, PRIMARY KEY(region, name, facility))"
    " WITHOUT ROWID;";

/* Issue 14: where a licensed clinician practises and how to reach them
 * (a prescription sheet prints both; model/licence.h). */
static const char sq_migration_licence_contact[] =
    "ALTER TABLE licences ADD COLUMN address TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE licences ADD COLUMN contact TEXT NOT NULL DEFAULT '';";

static const char *const sq_migrations[] = { sq_migration_1,
	sq_migration_records, sq_migration_blobs, sq_migration_consults,
	sq_migration_call2, sq_migration_licences, sq_migration_sched,
	sq_migration_emergency, sq_migration_anchor, sq_migration_claims,
	sq_migration_partners, sq_migration_bgsearch, sq_migration_staff,
	sq_migration_licence_contact };

static int
sq_err(sqlite3 *db, int rc, const char *what)
{
	log_warnx("%s: %s (%d)", what, sqlite3_errmsg(db), rc);
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return EBUSY;
	case SQLITE_FULL:
		return ENOSPC;
	case SQLITE_READONLY:
		return EROFS;
	case SQLITE_NOMEM:
		return ENOMEM;
	default:
		return EIO;
	}
}

static int
sq_exec(sqlite3 *db, const char *sql)
{
	int rc;

	if ((rc = sqlite3_exec(db, sql, NULL, NULL, NULL)) != SQLITE_OK)
		return sq_err(db, rc, "exec");
	return 0;
}

/* Bring the store to the latest schema; EPROTO if it is newer than us. */
static int
sq_migrate(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	char sql[64];
	int v = -1, n = (int)nitems(sq_migrations), rc, err;

	if ((rc = sqlite3_prepare_v2(
	         db, "PRAGMA user_version", -1, &st, NULL)) != SQLITE_OK)
		return sq_err(db, rc, "user_version");
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (v < 0)
		return sq_err(db, sqlite3_errcode(db), "user_version");
	if (v > n) {
		log_warnx(
		    "server.db has schema %d, newer than this program (%d):"
		    " run the newer sync-server",
		    v, n);
		return EPROTO;
	}
	for (; v < n; v++) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if ((err = sq_exec(db, "BEGIN IMMEDIATE")) != 0)
			return err;
		if ((err = sq_exec(db, sq_migrations[v])) != 0 ||
		    (err = sq_exec(db, sql)) != 0 ||
		    (err = sq_exec(db, "COMMIT")) != 0) {
			(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			log_warnx("server.db: migration %d failed", v + 1);
			return err;
		}
		log_info("server.db schema migrated to version %d", v + 1);
	}
	return 0;
}

static int
sq_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st)
{
	int rc;

	rc = sqlite3_prepare_v2(db, sql, -1, st, NULL);
	if (rc != SQLITE_OK)
		return sq_err(db, rc, "prepare");
	return 0;
}

/*
 * Key a fresh connection and prove the key: SQLCipher reads nothing
 * until the first query, so a wrong key (or a file that is not a
 * database) shows as SQLITE_NOTADB here, reported as EKEYREJECTED.
 */
static int
sq_key(sqlite3 *db, const char *keysql)
{
	int rc;

	if (keysql != NULL &&
	    (rc = sqlite3_exec(db, keysql, NULL, NULL, NULL)) != SQLITE_OK)
		return sq_err(db, rc, "key");
	rc = sqlite3_exec(
	    db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
	if (rc == SQLITE_NOTADB) {
		log_warnx("server.db: the store key does not open it");
		return EKEYREJECTED;
	}
	if (rc != SQLITE_OK)
		return sq_err(db, rc, "key check");
	return 0;
}

static int
sq_open_conn(const char *path, int readonly, const char *keysql, sqlite3 **out)
{
	sqlite3 *db = NULL;
	int rc, flags, err;

	flags = readonly ? SQLITE_OPEN_READONLY
	                 : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	flags |= SQLITE_OPEN_NOMUTEX;
	if ((rc = sqlite3_open_v2(path, &db, flags, NULL)) != SQLITE_OK) {
		err = db ? sq_err(db, rc, "open") : ENOMEM;
		sqlite3_close(db);
		return err;
	}
	sqlite3_busy_timeout(db, 10000);
	if ((err = sq_key(db, keysql)) != 0) {
		sqlite3_close(db);
		return err;
	}
	if (!readonly &&
	    (err = sq_exec(db,
	         "PRAGMA journal_mode=WAL;"
	         "PRAGMA synchronous=FULL;")) != 0) {
		sqlite3_close(db);
		return err;
	}
	*out = db;
	return 0;
}

static const char *
sq_text(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return t ? (const char *)t : "";
}

static void
sq_node_row(sqlite3_stmt *st, struct snode *n)
{
	const void *pub;

	memset(n, 0, sizeof(*n));
	n->id = (uint64_t)sqlite3_column_int64(st, 0);
	pub = sqlite3_column_blob(st, 1);
	if (pub != NULL && sqlite3_column_bytes(st, 1) == 32)
		memcpy(n->pub, pub, 32);
	str_lcpy(n->role, sq_text(st, 2), sizeof(n->role));
	str_lcpy(n->region, sq_text(st, 3), sizeof(n->region));
	str_lcpy(n->facility, sq_text(st, 4), sizeof(n->facility));
	str_lcpy(n->label, sq_text(st, 5), sizeof(n->label));
	n->revoked = sqlite3_column_int(st, 6);
	n->req_seq = (uint64_t)sqlite3_column_int64(st, 7);
	n->hw = (uint64_t)sqlite3_column_int64(st, 8);
	n->enrolled_ms = (uint64_t)sqlite3_column_int64(st, 9);
	n->last_seen_ms = (uint64_t)sqlite3_column_int64(st, 10);
	n->last_push_ms = (uint64_t)sqlite3_column_int64(st, 11);
	n->outbox_last = (uint64_t)sqlite3_column_int64(st, 12);
}

#define SQ_NODE_COLS                                                           \
	"id, pub, role, region, facility, label, revoked, req_seq, hw,"        \
	" enrolled_ms, last_seen_ms, last_push_ms, outbox_last"

static int sq_meta_get(struct sstore *, const char *, uint8_t **, size_t *);
static int sq_meta_put(struct sstore *, const char *, const void *, size_t);

static void sq_close(struct sstore *);

/* Does PATH hold a plaintext SQLite database (its 16-byte header)? */
static int
sq_is_plain(const char *path)
{
	static const char magic[16] = "SQLite format 3";
	char head[16];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, head, sizeof(head));
	close(fd);
	return n == (ssize_t)sizeof(head) && memcmp(head, magic, 16) == 0;
}

/*
 * Encrypt a plaintext server.db in place: export it into PATH.enc under
 * the key (sqlcipher_export copies schema and rows; user_version is
 * copied by hand), then rename it over PATH and drop the plaintext WAL.
 * The blocks the plaintext file held are not wiped (docs/OPERATIONS.md).
 */
static int
sq_encrypt_plain(const char *path, const char *keysql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char *tmp = NULL, *attach = NULL, *side = NULL, sql[64];
	int rc, v = 0, err;

	xasprintf(&tmp, "%s.enc", path);
	unlink(tmp);
	/* keysql is `PRAGMA key = "x'...'"`: reuse its quoted key. */
	xasprintf(
	    &attach, "ATTACH DATABASE ? AS enc KEY %s", strchr(keysql, '"'));
	if ((rc = sqlite3_open_v2(path, &db,
	         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL)) !=
	    SQLITE_OK) {
		err = db ? sq_err(db, rc, "open plaintext") : ENOMEM;
		goto out;
	}
	if ((err = sq_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)")) != 0)
		goto out;
	if ((rc = sqlite3_prepare_v2(
	         db, "PRAGMA user_version", -1, &st, NULL)) != SQLITE_OK) {
		err = sq_err(db, rc, "user_version");
		goto out;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if ((rc = sqlite3_prepare_v2(db, attach, -1, &st, NULL)) != SQLITE_OK) {
		err = sq_err(db, rc, "attach");
		goto out;
	}
	sqlite3_bind_text(st, 1, tmp, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE) {
		err = sq_err(db, rc, "attach");
		goto out;
	}
	snprintf(sql, sizeof(sql), "PRAGMA enc.user_version = %d", v);
	if ((err = sq_exec(db, "SELECT sqlcipher_export('enc')")) != 0 ||
	    (err = sq_exec(db, sql)) != 0 ||
	    (err = sq_exec(db, "DETACH DATABASE enc")) != 0)
		goto out;
	sqlite3_close(db);
	db = NULL;
	if ((err = fileio_rename(tmp, path)) != 0)
		goto out;
	xasprintf(&side, "%s-wal", path);
	unlink(side);
	free(side);
	xasprintf(&side, "%s-shm", path);
	unlink(side);
	log_info("server.db was plaintext: encrypted under the store key");
out:
	sqlite3_close(db);
	if (err != 0)
		unlink(tmp);
	if (attach != NULL)
		explicit_bzero(attach, strlen(attach));
	free(attach);
	free(side);
	free(tmp);
	return err;
}

static int
sq_open(const char *dir, const uint8_t *key, struct sstore **out)
{
	struct sstore *s;
	uint8_t *v = NULL;
	size_t len, i;
	char *hex;
	int err;

	s = xcalloc(1, sizeof(*s));
	xasprintf(&s->path, "%s/server.db", dir);
	if (key != NULL) {
		hex = hex_encode(key, 32);
		xasprintf(&s->keysql, "PRAGMA key = \"x'%s'\"", hex);
		xfree_secret_str(hex);
	}
	pthread_mutex_init(&s->wmu, NULL);
	pthread_mutex_init(&s->rmu, NULL);
	pthread_mutex_init(&s->qmu, NULL);
	pthread_cond_init(&s->qcv, NULL);
	s->qtail = &s->qhead;
	for (i = 0; i < SQ_READERS; i++)
		pthread_mutex_init(&s->r[i].mu, NULL);
	if (s->keysql != NULL && sq_is_plain(s->path) &&
	    (err = sq_encrypt_plain(s->path, s->keysql)) != 0) {
		log_warnx("server.db is plaintext and could not be encrypted");
		goto out;
	}
	if ((err = sq_open_conn(s->path, 0, s->keysql, &s->w)) != 0)
		goto out;
	if ((err = sq_migrate(s->w)) != 0)
		goto out;
	if ((err = sq_prepare(s->w,
	         "SELECT entity, id, hlc, hash, refused FROM changes"
	         " WHERE node = ? AND seq = ?",
	         &s->st_dup)) != 0 ||
	    (err = sq_prepare(s->w,
	         "INSERT INTO changes(region, node, seq, entity, id, hlc,"
	         " hash, body, refused) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)",
	         &s->st_ins)) != 0 ||
	    (err = sq_prepare(s->w,
	         "SELECT region, facility, patient FROM records"
	         " WHERE entity = ? AND id = ?",
	         &s->st_rec_get)) != 0 ||
	    (err = sq_prepare(s->w,
	         "INSERT OR IGNORE INTO records(entity, id, region, facility,"
	         " node, patient, pos) VALUES(?, ?, ?, ?, ?, ?, ?)",
	         &s->st_rec_put)) != 0 ||
	    (err = sq_prepare(s->w,
	         "SELECT 1 FROM scope WHERE region = ? AND patient = ?"
	         " AND facility = ?",
	         &s->st_scope_get)) != 0 ||
	    (err = sq_prepare(s->w,
	         "INSERT OR IGNORE INTO scope(region, patient, facility, pos)"
	         " VALUES(?, ?, ?, ?)",
	         &s->st_scope_put)) != 0 ||
	    (err = sq_prepare(s->w,
	         "SELECT hash, response FROM batches"
	         " WHERE node = ? AND first = ? AND last = ?",
	         &s->st_batch_get)) != 0 ||
	    (err = sq_prepare(s->w,
	         "INSERT INTO batches(node, first, last, hash, response,"
	         " received_ms) VALUES(?, ?, ?, ?, ?, ?)",
	         &s->st_batch_put)) != 0)
		goto out;
	/* The feed era: fixed when the database is created. */
	err = sq_meta_get(s, "era", &v, &len);
	if (err == ENOENT) {
		crypto_random(&s->era, sizeof(s->era));
		s->era &= 0x7fffffffffffffffULL;
		err = sq_meta_put(s, "era", &s->era, sizeof(s->era));
	} else if (err == 0 && len == sizeof(s->era))
		memcpy(&s->era, v, len);
	else if (err == 0)
		err = EIO;
	free(v);
	if (err != 0)
		goto out;
	for (i = 0; i < SQ_READERS; i++)
		if ((err = sq_open_conn(s->path, 1, s->keysql, &s->r[i].db)) !=
		    0)
			goto out;
	*out = s;
out:
	if (err != 0)
		sq_close(s);
	return err;
}

static void
sq_close(struct sstore *s)
{
	size_t i;

	if (s == NULL)
		return;
	if (s->groups > 0)
		log_info("%llu commits carried %llu writes",
		    (unsigned long long)s->groups,
		    (unsigned long long)s->grouped);
	sqlite3_finalize(s->st_dup);
	sqlite3_finalize(s->st_ins);
	sqlite3_finalize(s->st_batch_get);
	sqlite3_finalize(s->st_batch_put);
	sqlite3_finalize(s->st_rec_get);
	sqlite3_finalize(s->st_rec_put);
	sqlite3_finalize(s->st_scope_get);
	sqlite3_finalize(s->st_scope_put);
	for (i = 0; i < SQ_READERS; i++) {
		sqlite3_close(s->r[i].db);
		pthread_mutex_destroy(&s->r[i].mu);
	}
	sqlite3_close(s->w);
	pthread_mutex_destroy(&s->wmu);
	pthread_mutex_destroy(&s->rmu);
	pthread_mutex_destroy(&s->qmu);
	pthread_cond_destroy(&s->qcv);
	xfree_secret_str(s->keysql);
	free(s->path);
	free(s);
}

/* Borrow a reader connection; give it back with sq_reader_put. */
static struct sq_reader *
sq_reader_get(struct sstore *s)
{
	struct sq_reader *r;
	unsigned i;

	pthread_mutex_lock(&s->rmu);
	i = s->next_reader++ % SQ_READERS;
	pthread_mutex_unlock(&s->rmu);
	r = &s->r[i];
	pthread_mutex_lock(&r->mu);
	return r;
}

static void
sq_reader_put(struct sq_reader *r)
{
	pthread_mutex_unlock(&r->mu);
}

static int
sq_meta_get(struct sstore *s, const char *key, uint8_t **val, size_t *len)
{
	sqlite3_stmt *st = NULL;
	int rc, err;

	pthread_mutex_lock(&s->wmu);
	if ((err = sq_prepare(s->w, "SELECT v FROM meta WHERE k = ?", &st)))
		goto out;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		err = ENOENT;
	else if (rc != SQLITE_ROW)
		err = sq_err(s->w, rc, "meta get");
	else {
		*len = (size_t)sqlite3_column_bytes(st, 0);
		*val = xmemdup(*len ? sqlite3_column_blob(st, 0) : "", *len);
	}
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->wmu);
	return err;
}

static int
sq_meta_put(struct sstore *s, const char *key, const void *val, size_t len)
{
	sqlite3_stmt *st = NULL;
	int rc, err;

	pthread_mutex_lock(&s->wmu);
	if ((err = sq_prepare(
	         s->w, "INSERT OR REPLACE INTO meta(k, v) VALUES(?, ?)", &st)))
		goto out;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, len ? val : "", (int)len, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		err = sq_err(s->w, rc, "meta put");
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->wmu);
	return err;
}

static int
sq_token_add(struct sstore *s, const struct stoken *t)
{
	sqlite3_stmt *st = NULL;
	int rc, err;

	pthread_mutex_lock(&s->wmu);
	if ((err = sq_prepare(s->w,
	         "INSERT INTO tokens(hash, role, region, facility, expires_ms)"
	         " VALUES(?, ?, ?, ?, ?)",
	         &st)))
		goto out;
	sqlite3_bind_blob(st, 1, t->hash, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, t->role, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, t->region, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, t->facility, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)t->expires_ms);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		err = sq_err(s->w, rc, "token add");
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->wmu);
	return err;
}

static int
sq_node_get_conn(sqlite3 *db, uint64_t id, struct snode *out)
{
	sqlite3_stmt *st = NULL;
	int rc, err;

	if ((err = sq_prepare(
	         db, "SELECT " SQ_NODE_COLS " FROM nodes WHERE id = ?", &st)))
		return err;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		sq_node_row(st, out);
	else if (rc == SQLITE_DONE)
		err = ENOENT;
	else
		err = sq_err(db, rc, "node get");
	sqlite3_finalize(st);
	return err;
}

static int
sq_enroll(struct sstore *s, const uint8_t hash[32], const uint8_t pub[32],
    const char *label, uint64_t now_ms, struct snode *out)
{
	sqlite3_stmt *st = NULL;
	char role[SSTORE_TEXT_MAX], region[SSTORE_TEXT_MAX];
	char facility[SSTORE_TEXT_MAX];
	sqlite3_int64 id;
	int rc, err, began = 0;

	pthread_mutex_lock(&s->wmu);
	if ((err = sq_exec(s->w, "BEGIN IMMEDIATE")) != 0)
		goto out;
	began = 1;
	if ((err = sq_prepare(s->w,
	         "SELECT role, region, facility, expires_ms, used_ms"
	         " FROM tokens WHERE hash = ?",
	         &st)))
		goto out;
	sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		err = ENOENT;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		err = sq_err(s->w, rc, "token get");
		goto out;
	}
	if (sqlite3_column_type(st, 4) != SQLITE_NULL ||
	    (uint64_t)sqlite3_column_int64(st, 3) < now_ms) {
		err = EACCES;
		goto out;
	}
	str_lcpy(role, sq_text(st, 0), sizeof(role));
	str_lcpy(region, sq_text(st, 1), sizeof(region));
	str_lcpy(facility, sq_text(st, 2), sizeof(facility));
	sqlite3_finalize(st);
	st = NULL;
	if ((err = sq_prepare(s->w,
	         "INSERT INTO nodes(pub, role, region, facility, label,"
	         " enrolled_ms) VALUES(?, ?, ?, ?, ?, ?)",
	         &st)))
		goto out;
	sqlite3_bind_blob(st, 1, pub, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, role, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, region, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, facility, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, label, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)now_ms);
	rc = sqlite3_step(st);
	if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		err = EEXIST; /* this public key is already enrolled */
		goto out;
	}
	if (rc != SQLITE_DONE) {
		err = sq_err(s->w, rc, "node add");
		goto out;
	}
	id = sqlite3_last_insert_rowid(s->w);
	sqlite3_finalize(st);
	st = NULL;
	/* A hub enrolled now gets the patients of the consults already
	 * open in its region, as the hubs enrolled before them did. */
	if (strcmp(role, "hub") == 0) {
		if ((err = sq_prepare(s->w,
		         "INSERT OR IGNORE INTO scope(region, patient,"
		         " facility, pos) SELECT region, patient, ?2, min(pos)"
		         " FROM consults WHERE region = ?1 AND patient IS NOT"
		         " NULL AND state IN ('requested', 'accepted', 'call')"
		         " GROUP BY region, patient",
		         &st)))
			goto out;
		sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, facility, -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
			err = sq_err(s->w, rc, "hub scope");
			goto out;
		}
		sqlite3_finalize(st);
		st = NULL;
	}
	if ((err = sq_prepare(s->w,
	         "UPDATE tokens SET used_ms = ?, node = ? WHERE hash = ?",
	         &st)))
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)now_ms);
	sqlite3_bind_int64(st, 2, id);
	sqlite3_bind_blob(st, 3, hash, 32, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
		err = sq_err(s->w, rc, "token use");
		goto out;
	}
	if ((err = sq_node_get_conn(s->w, (uint64_t)id, out)) != 0)
		goto out;
	err = sq_exec(s->w, "COMMIT");
	began = err != 0;
out:
	sqlite3_finalize(st);
	if (began)
		sqlite3_exec(s->w, "ROLLBACK", NULL, NULL, NULL);
	pthread_mutex_unlock(&s->wmu);
	return err;
}

static int
sq_node_get(struct sstore *s, uint64_t id, struct snode *out)
{
	struct sq_reader *r = sq_reader_get(s);
	int err;

	err = sq_node_get_conn(r->db, id, out);
	sq_reader_put(r);
	return err;
}

static int
sq_update(struct sstore *s, const char *sql, uint64_t a, uint64_t b, uint64_t c,
    int *changed)
{
	sqlite3_stmt *st = NULL;
	int rc, err;

	if ((err = sq_prepare(s->w, sql, &st)))
		return err;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)a);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)b);
	if (sqlite3_bind_parameter_count(st) >= 3)
		sqlite3_bind_int64(st, 3, (sqlite3_int64)c);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		err = sq_err(s->w, rc, "update");
	else if (changed != NULL)
		*changed = sqlite3_changes(s->w);
	sqlite3_finalize(st);
	return err;
}

static int
sq_node_revoke(struct sstore *s, uint64_t id)
{
	int err, changed = 0;

	pthread_mutex_lock(&s->wmu);
	err = sq_update(
	    s, "UPDATE nodes SET revoked = ? WHERE id = ?", 1, id, 0, &changed);
	pthread_mutex_unlock(&s->wmu);
	if (err == 0 && changed == 0)
		err = ENOENT;
	return err;
}

static int
sq_blob_own(struct sstore *s, uint64_t node, const uint8_t hash[32],
    uint64_t size, uint64_t now_ms)
{
	sqlite3_stmt *st = NULL;
	int rc, err;

	pthread_mutex_lock(&s->wmu);
	if ((err = sq_prepare(s->w,
	         "INSERT OR IGNORE INTO blob_owners(node, hash, size, at_ms)"
	         " VALUES(?, ?, ?, ?)",
	         &st)))
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)node);
	sqlite3_bind_blob(st, 2, hash, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)size);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)now_ms);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		err = sq_err(s->w, rc, "blob own");
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->wmu);
	return err;
}

/* HASH null: the sum of NODE's sizes; else that blob's size or ENOENT. */
static int
sq_blob_size(
    struct sstore *s, uint64_t node, const uint8_t *hash, uint64_t *size)
{
	sqlite3_stmt *st = NULL;
	int rc, err;

	pthread_mutex_lock(&s->wmu);
	if ((err = sq_prepare(s->w,
	         hash ? "SELECT size FROM blob_owners WHERE node = ?"
	                " AND hash = ?"
	              : "SELECT coalesce(sum(size), 0) FROM blob_owners"
	                " WHERE node = ?",
	         &st)))
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)node);
	if (hash != NULL)
		sqlite3_bind_blob(st, 2, hash, 32, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*size = (uint64_t)sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_DONE)
		err = ENOENT;
	else
		err = sq_err(s->w, rc, "blob size");
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->wmu);
	return err;
}

static int
sq_blob_owned(
    struct sstore *s, uint64_t node, const uint8_t hash[32], uint64_t *size)
{
	return sq_blob_size(s, node, hash, size);
}

static int
sq_blob_usage(struct sstore *s, uint64_t node, uint64_t *bytes)
{
	return sq_blob_size(s, node, NULL, bytes);
}

/* Write one group: every job in its savepoint, one COMMIT for all. */
static void
sq_group_commit(struct sstore *s, struct sq_job *batch)
{
	struct sq_job *j;
	int err, lost = 0;

	pthread_mutex_lock(&s->wmu);
	if ((err = sq_exec(s->w, "BEGIN IMMEDIATE")) != 0) {
		for (j = batch; j != NULL; j = j->next)
			j->err = err;
		goto out;
	}
	for (j = batch; j != NULL; j = j->next) {
		if (lost) {
			j->err = EIO;
			continue;
		}
		if ((j->err = sq_exec(s->w, "SAVEPOINT job")) != 0)
			continue;
		j->err = j->fn(s, j->arg);
		if (sqlite3_get_autocommit(s->w)) {
			/* SQLite rolled the whole transaction back (I/O
			 * error, disk full): nothing of the group stays. */
			lost = 1;
			continue;
		}
		if (j->err != 0)
			sqlite3_exec(s->w, "ROLLBACK TO job", NULL, NULL, NULL);
		sqlite3_exec(s->w, "RELEASE job", NULL, NULL, NULL);
	}
	if (!lost && (err = sq_exec(s->w, "COMMIT")) != 0)
		lost = 1;
	if (lost) {
		if (!sqlite3_get_autocommit(s->w))
			sqlite3_exec(s->w, "ROLLBACK", NULL, NULL, NULL);
		for (j = batch; j != NULL; j = j->next)
			if (j->err == 0)
				j->err = EIO;
	}
	s->groups++;
	for (j = batch; j != NULL; j = j->next)
		s->grouped++;
out:
	pthread_mutex_unlock(&s->wmu);
}

/* Queue JOB for the next group commit and wait until it is durable. */
static int
sq_group_run(struct sstore *s, struct sq_job *job)
{
	struct sq_job *batch, *j, *next;
	int err;

	job->done = 0;
	job->err = 0;
	job->next = NULL;
	pthread_mutex_lock(&s->qmu);
	*s->qtail = job;
	s->qtail = &job->next;
	while (!job->done) {
		if (s->leader) {
			pthread_cond_wait(&s->qcv, &s->qmu);
			continue;
		}
		s->leader = 1;
		batch = s->qhead;
		s->qhead = NULL;
		s->qtail = &s->qhead;
		pthread_mutex_unlock(&s->qmu);
		sq_group_commit(s, batch);
		pthread_mutex_lock(&s->qmu);
		for (j = batch; j != NULL; j = next) {
			next = j->next;
			j->done = 1; /* the owner may free J once we unlock */
		}
		s->leader = 0;
		pthread_cond_broadcast(&s->qcv);
	}
	err = job->err;
	pthread_mutex_unlock(&s->qmu);
	return err;
}

struct sq_touch {
	uint64_t id, seq, now_ms, last;
};

static int
sq_touch_job(struct sstore *s, void *arg)
{
	struct sq_touch *t = arg;
	struct snode n;
	int err, changed = 0;

	err = sq_update(s,
	    "UPDATE nodes SET req_seq = ?1, last_seen_ms = ?3"
	    " WHERE id = ?2 AND req_seq < ?1",
	    t->seq, t->id, t->now_ms, &changed);
	if (err == 0 && changed == 0) {
		err = sq_node_get_conn(s->w, t->id, &n);
		if (err == 0) {
			t->last = n.req_seq;
			err = EALREADY;
		}
	}
	return err;
}

static int
sq_node_touch(struct sstore *s, uint64_t id, uint64_t seq, uint64_t now_ms,
    uint64_t *last)
{
	struct sq_touch t = { id, seq, now_ms, 0 };
	struct sq_job job = { sq_touch_job, &t, 0, 0, NULL };
	int err;

	if (seq > INT64_MAX)
		return EINVAL;
	err = sq_group_run(s, &job);
	if (err == EALREADY)
		*last = t.last;
	return err;
}

static void
sq_change_hash(const struct schange *c, uint8_t out[32])
{
	crypto_sha256(c->body, c->len, out);
}

/* Inside the push transaction: is stored (node, seq) the same change?
 * *REFUSED (when not NULL) gets the code it was refused with, or 0. */
static int
sq_push_dup(struct sstore *s, uint64_t node, const struct schange *c, int *same,
    int *refused)
{
	sqlite3_stmt *st = s->st_dup;
	uint8_t h[32];
	int rc, err = 0;

	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)node);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)c->seq);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		*same = -1; /* not stored */
		goto out;
	}
	if (rc != SQLITE_ROW) {
		err = sq_err(s->w, rc, "dup");
		goto out;
	}
	sq_change_hash(c, h);
	*same = sqlite3_column_int(st, 0) == c->entity &&
	    sqlite3_column_bytes(st, 1) == 16 &&
	    memcmp(sqlite3_column_blob(st, 1), c->id, 16) == 0 &&
	    (uint64_t)sqlite3_column_int64(st, 2) == c->hlc &&
	    sqlite3_column_bytes(st, 3) == 32 &&
	    memcmp(sqlite3_column_blob(st, 3), h, 32) == 0;
	if (refused != NULL)
		*refused = sqlite3_column_int(st, 4);
out:
	sqlite3_reset(st);
	return err;
}

static int
sq_push_insert(struct sstore *s, const char *region, uint64_t node,
    const struct schange *c, int refused)
{
	sqlite3_stmt *st = s->st_ins;
	uint8_t h[32];
	int rc, err = 0;

	sq_change_hash(c, h);
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)node);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)c->seq);
	sqlite3_bind_int(st, 4, c->entity);
	sqlite3_bind_blob(st, 5, c->id, 16, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)c->hlc);
	sqlite3_bind_blob(st, 7, h, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 8, c->len ? (const void *)c->body : "",
	    (int)c->len, SQLITE_STATIC);
	sqlite3_bind_int(st, 9, refused);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		err = sq_err(s->w, rc, "insert change");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return err;
}

/* Is PATIENT in the scope of FACILITY in REGION? */
static int
sq_scope_has(struct sstore *s, const char *region, const uint8_t patient[16],
    const char *facility, int *in)
{
	sqlite3_stmt *st = s->st_scope_get;
	int rc, err = 0;

	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, patient, 16, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, facility, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	*in = rc == SQLITE_ROW;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		err = sq_err(s->w, rc, "scope get");
	sqlite3_reset(st);
	return err;
}

/* The queue row of consult ID, for the lifecycle check. */
static int
sq_consult_facts(struct sstore *s, const uint8_t id[16], struct sfacts *f)
{
	sqlite3_stmt *st = NULL;
	int rc, err;

	if ((err = sq_prepare(s->w,
	         "SELECT state, accepted_node, handed_to FROM consults"
	         " WHERE id = ?",
	         &st)) != 0)
		return err;
	sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		str_lcpy(
		    f->consult_state, sq_text(st, 0), sizeof(f->consult_state));
		f->consult_node = (uint64_t)sqlite3_column_int64(st, 1);
		str_lcpy(f->consult_handed, sq_text(st, 2),
		    sizeof(f->consult_handed));
	} else if (rc != SQLITE_DONE)
		err = sq_err(s->w, rc, "consult get");
	sqlite3_finalize(st);
	return err;
}

/* Run SQL with ?1 the consult id and ?2..?4 the values given (TEXT
 * when a string is given, else the integers). */
static int
sq_consult_update(struct sstore *s, const char *sql, const uint8_t id[16],
    const char *text, uint64_t a, uint64_t b)
{
	sqlite3_stmt *st = NULL;
	int rc, err;

	if ((err = sq_prepare(s->w, sql, &st)) != 0)
		return err;
	sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
	if (text != NULL)
		sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 2, (sqlite3_int64)a);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)a);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)b);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		err = sq_err(s->w, rc, "consult put");
	sqlite3_finalize(st);
	return err;
}

/*
 * Keep the queue row of an accepted consult change: a new consult is
 * queued (at the server's clock) and its patient enters the scope of the
 * region's hub facilities, so they pull the whole encounter packet; an
 * edit moves its state, accepting hub and handover.
 */
static int
sq_consult_index(struct sstore *s, const struct snode *node,
    const struct schange *c, int created, sqlite3_int64 pos, uint64_t now_ms)
{
	const struct sconsult *cs = &c->consult;
	sqlite3_stmt *st = NULL;
	int rc, err = 0;

	if (created) {
		if ((err = sq_prepare(s->w,
		         "INSERT OR IGNORE INTO consults(id, region, facility,"
		         " patient, state, urgency, queued_ms, pos, node)"
		         " VALUES(?, ?, ?, ?, 'requested', ?, ?, ?, ?)",
		         &st)) != 0)
			return err;
		sqlite3_bind_blob(st, 1, c->id, 16, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, node->region, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, node->facility, -1, SQLITE_STATIC);
		if (c->has_patient)
			sqlite3_bind_blob(st, 4, c->patient, 16, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, (sqlite3_int64)cs->urgency);
		sqlite3_bind_int64(st, 6, (sqlite3_int64)now_ms);
		sqlite3_bind_int64(st, 7, pos);
		sqlite3_bind_int64(st, 8, (sqlite3_int64)node->id);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return sq_err(s->w, rc, "consult queue");
		if (!c->has_patient)
			return 0;
		if ((err = sq_prepare(s->w,
		         "INSERT OR IGNORE INTO scope(region, patient, facility,"
		         " pos) SELECT DISTINCT ?1, ?2, facility, ?3 FROM nodes"
		         " WHERE region = ?1 AND role = 'hub' AND revoked = 0"
		         " AND facility IS NOT NULL",
		         &st)) != 0)
			return err;
		sqlite3_bind_text(st, 1, node->region, -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 2, c->patient, 16, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, pos);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		return rc == SQLITE_DONE ? 0 : sq_err(s->w, rc, "hub scope");
	}
	if (cs->has_state)
		err = sq_consult_update(s,
		    "UPDATE consults SET state = ?2,"
		    " accepted_node = CASE ?2 WHEN 'accepted' THEN ?3"
		    " WHEN 'requested' THEN 0 ELSE accepted_node END,"
		    " accepted_ms = CASE WHEN ?2 = 'accepted' AND"
		    " accepted_node <> ?3 THEN ?4 ELSE accepted_ms END,"
		    " handed_to = CASE ?2 WHEN 'accepted' THEN ''"
		    " ELSE handed_to END WHERE id = ?1",
		    c->id, cs->state, node->id, now_ms);
	if (err == 0 && cs->has_handed)
		err = sq_consult_update(s,
		    "UPDATE consults SET handed_to = ?2 WHERE id = ?1", c->id,
		    cs->handed_to, 0, 0);
	if (err == 0 && cs->has_urgency)
		err = sq_consult_update(s,
		    "UPDATE consults SET urgency = ?2 WHERE id = ?1", c->id,
		    NULL, cs->urgency, 0);
	return err;
}

/* Referral step C (issue 14): judged with its request as accepted
 * before, in the store or earlier in this batch (same transaction). */
static int
sq_referral_judge(struct sstore *s, const struct snode *node,
    const struct spush *p, const struct schange *c, struct sfacts *f,
    struct sverdict *v)
{
	sqlite3_stmt *st = NULL;
	int rc, err;

	if ((err = sq_prepare(s->w,
	         "SELECT body FROM changes WHERE entity = 9 AND id = ?"
	         " AND refused = 0 ORDER BY pos LIMIT 1",
	         &st)) != 0)
		return err;
	sqlite3_bind_blob(st, 1, c->referral.referral, 16, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		f->ref_request = sqlite3_column_blob(st, 0);
		f->ref_request_len = (size_t)sqlite3_column_bytes(st, 0);
	} else if (rc != SQLITE_DONE)
		err = sq_err(s->w, rc, "referral request");
	if (err == 0)
		p->authorize_cb(node, c, f, v);
	sqlite3_finalize(st);
	return err;
}

/* Gather what the policy needs about change C and let it judge. */
static int
sq_push_judge(struct sstore *s, const struct snode *node, const struct spush *p,
    const struct schange *c, struct sverdict *v)
{
	sqlite3_stmt *st = s->st_rec_get;
	struct sfacts f;
	uint8_t patient[16];
	int rc, err = 0, has = c->has_patient;

	memset(&f, 0, sizeof(f));
	if (has)
		memcpy(patient, c->patient, 16);
	sqlite3_reset(st);
	sqlite3_bind_int(st, 1, c->entity);
	sqlite3_bind_blob(st, 2, c->id, 16, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		f.exists = 1;
		str_lcpy(f.region, sq_text(st, 0), sizeof(f.region));
		str_lcpy(f.facility, sq_text(st, 1), sizeof(f.facility));
		/* An edit is judged by the patient the record was created
		 * for, not the one the change claims. */
		has = sqlite3_column_bytes(st, 2) == 16;
		if (has)
			memcpy(patient, sqlite3_column_blob(st, 2), 16);
	} else if (rc != SQLITE_DONE)
		err = sq_err(s->w, rc, "record get");
	sqlite3_reset(st);
	if (err == 0 && has)
		err = sq_scope_has(
		    s, node->region, patient, node->facility, &f.in_scope);
	if (err == 0 && f.exists && c->is_consult)
		err = sq_consult_facts(s, c->id, &f);
	if (err == 0 && c->is_referral && !c->referral.request)
		return sq_referral_judge(s, node, p, c, &f, v);
	if (err == 0)
		p->authorize_cb(node, c, &f, v);
	return err;
}

/* Put PATIENT in FACILITY's scope at feed position POS (kept when it is
 * there already). */
static int
sq_scope_put(struct sstore *s, const char *region, const uint8_t *patient,
    const char *facility, sqlite3_int64 pos)
{
	sqlite3_stmt *st = s->st_scope_put;
	int rc, err = 0;

	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, patient, 16, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, facility, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, pos);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		err = sq_err(s->w, rc, "scope put");
	sqlite3_reset(st);
	return err;
}

static int sq_staff_index(struct sstore *, const struct snode *,
    const struct schange *, sqlite3_int64, uint64_t);
static int sq_appt_scope(struct sstore *, const struct snode *,
    const struct schange *, sqlite3_int64);

/* Index an accepted change: a new record, and the scope it widens. */
static int
sq_push_index(struct sstore *s, const struct snode *node,
    const struct schange *c, uint64_t now_ms)
{
	sqlite3_stmt *st = s->st_rec_put;
	sqlite3_int64 pos = sqlite3_last_insert_rowid(s->w);
	int rc, err = 0, created;

	sqlite3_reset(st);
	sqlite3_bind_int(st, 1, c->entity);
	sqlite3_bind_blob(st, 2, c->id, 16, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, node->region, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, node->facility, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)node->id);
	if (c->has_patient)
		sqlite3_bind_blob(st, 6, c->patient, 16, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 6);
	sqlite3_bind_int64(st, 7, pos);
	rc = sqlite3_step(st);
	created = sqlite3_changes(s->w) > 0;
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return sq_err(s->w, rc, "record put");
	if (c->is_consult &&
	    (err = sq_consult_index(s, node, c, created, pos, now_ms)) != 0)
		return err;
	if (c->entity == REC_USER && strcmp(node->role, "hub") == 0 &&
	    (err = sq_staff_index(s, node, c, pos, now_ms)) != 0)
		return err;
	if (!created || !c->has_patient)
		return 0;
	if (c->appt_slot != 0 && (err = sq_appt_scope(s, node, c, pos)) != 0)
		return err;
	if (c->widens)
		err = sq_scope_put(
		    s, node->region, c->patient, node->facility, pos);
	/* a referral: its target facility pulls the patient and their
	 * history from here on (issue 14) */
	if (err == 0 && c->scope_facility[0] != '\0')
		err = sq_scope_put(
		    s, node->region, c->patient, c->scope_facility, pos);
	return err;
}

/*
 * A stored batch key whose hash differs: a replay all the same when every
 * change is stored as sent (batches stored before the hash left out
 * outbox_last had hashed the whole body); otherwise a conflict (EEXIST).
 */
static int
sq_push_same_changes(struct sstore *s, const struct spush *p)
{
	size_t i;
	int err, same;

	for (i = 0; i < p->n; i++) {
		if ((err = sq_push_dup(
		         s, p->node, &p->changes[i], &same, NULL)) != 0)
			return err;
		if (same != 1)
			return EEXIST;
	}
	return 0;
}

struct sq_push_arg {
	const struct spush *p;
	struct spush_result *res;
};

/* The push transaction's body (docs/PROTOCOL.md §4), run as a job. */
static int
sq_push_job(struct sstore *s, void *arg)
{
	const struct spush *p = ((struct sq_push_arg *)arg)->p;
	struct spush_result *res = ((struct sq_push_arg *)arg)->res;
	sqlite3_stmt *st = s->st_batch_get;
	struct snode node;
	uint64_t hw, accepted = 0, dups = 0;
	uint8_t *resp = NULL;
	size_t i, resp_len = 0;
	int rc, err, same = 0;

	/* 0. The request sequence, in the same commit as the batch. */
	if (p->req_seq != 0) {
		struct sq_touch t = { p->node, p->req_seq, p->now_ms, 0 };

		if ((err = sq_touch_job(s, &t)) != 0) {
			res->last_seq = t.last;
			return err;
		}
	}
	/* 1. A batch key seen before: same bytes, or a conflict. */
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)p->node);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)p->first);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)p->last);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		err = 0;
		if (sqlite3_column_bytes(st, 0) != 32 ||
		    memcmp(sqlite3_column_blob(st, 0), p->hash, 32) != 0)
			err = sq_push_same_changes(s, p);
		if (err == 0) {
			res->replay = 1;
			res->response_len = (size_t)sqlite3_column_bytes(st, 1);
			res->response = xmemdup(
			    res->response_len ? sqlite3_column_blob(st, 1) : "",
			    res->response_len);
		}
		sqlite3_reset(st);
		return err;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return sq_err(s->w, rc, "batch get");
	if ((err = sq_node_get_conn(s->w, p->node, &node)) != 0)
		return err;
	hw = node.hw;
	res->hw = hw;
	/* 2. Nothing may be skipped. */
	if (p->first > hw + 1)
		return ERANGE;
	/* 3, 4. Known sequences must match; the rest is stored. */
	for (i = 0; i < p->n; i++) {
		const struct schange *c = &p->changes[i];

		struct sverdict none = { 0, "" };
		struct sverdict *v = p->verdicts ? &p->verdicts[i] : &none;
		int refused = 0;

		if (c->seq <= hw) {
			if ((err = sq_push_dup(
			         s, p->node, c, &same, &refused)) != 0)
				return err;
			if (same == 0)
				return EEXIST;
			if (same == 1) {
				/* Refused then: say so again, since the
				 * answer that said it may have been lost. */
				if (refused != 0 && v->code == 0) {
					v->code = refused;
					snprintf(v->why, sizeof(v->why),
					    "refused before");
				}
				dups++;
				continue;
			}
		}
		if (v->code == 0 && p->authorize_cb != NULL &&
		    (err = sq_push_judge(s, &node, p, c, v)) != 0)
			return err;
		if ((err = sq_push_insert(
		         s, node.region, p->node, c, v->code)) != 0)
			return err;
		if (v->code != 0)
			continue;
		if ((err = sq_push_index(s, &node, c, p->now_ms)) != 0)
			return err;
		accepted++;
	}
	if (p->last > hw)
		hw = p->last;
	if ((err = sq_update(s,
	         "UPDATE nodes SET hw = ?1, last_push_ms = ?3 WHERE id = ?2",
	         hw, p->node, p->now_ms, NULL)) != 0 ||
	    (err = sq_update(s,
	         "UPDATE nodes SET outbox_last = ?1 WHERE id = ?2"
	         " AND outbox_last < ?1",
	         p->outbox_last > INT64_MAX ? 0 : p->outbox_last, p->node, 0,
	         NULL)) != 0)
		return err;
	/* 5. Store the key with its response; the group commits it. */
	if ((err = p->encode_cb(
	         p, hw, accepted, dups, &resp, &resp_len, p->arg)) != 0)
		return err;
	st = s->st_batch_put;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)p->node);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)p->first);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)p->last);
	sqlite3_bind_blob(st, 4, p->hash, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, resp, (int)resp_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)p->now_ms);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		free(resp);
		return sq_err(s->w, rc, "batch put");
	}
	res->hw = hw;
	res->accepted = accepted;
	res->dups = dups;
	res->response = resp;
	res->response_len = resp_len;
	return 0;
}

static int
sq_push(struct sstore *s, const struct spush *p, struct spush_result *res)
{
	struct sq_push_arg a = { p, res };
	struct sq_job job = { sq_push_job, &a, 0, 0, NULL };
	uint64_t hw, last;
	int err;

	memset(res, 0, sizeof(*res));
	if (p->first > INT64_MAX || p->last > INT64_MAX || p->first == 0 ||
	    p->last < p->first)
		return EINVAL;
	err = sq_group_run(s, &job);
	if (err != 0) {
		/* Rolled back: the response (if made) was never stored. */
		hw = res->hw;
		last = res->last_seq;
		free(res->response);
		memset(res, 0, sizeof(*res));
		res->hw = hw;
		res->last_seq = last;
	}
	return err;
}

/* A cursor is [era, dpos, pos]: the delivery position and change
 * position of the last change served (docs/PROTOCOL.md §5.3); [era, pos]
 * (made before scoped pulls) stands for [era, pos, pos]. */
static int
sq_cursor_decode(struct sstore *s, const uint8_t *c, size_t len, uint64_t *dpos,
    uint64_t *pos)
{
	cbor_item_t *it = NULL, **a;
	uint64_t era;
	size_t n;
	int err = 0;

	*dpos = *pos = 0;
	if (len == 0)
		return 0;
	if (cborx_decode(c, len, 64, &it) != 0)
		return EINVAL;
	n = cbor_isa_array(it) ? cbor_array_size(it) : 0;
	a = n ? cbor_array_handle(it) : NULL;
	if ((n != 2 && n != 3) || cborx_get_uint(a[0], &era) != 0 ||
	    cborx_get_uint(a[1], dpos) != 0 ||
	    cborx_get_uint(a[n - 1], pos) != 0 || *dpos > INT64_MAX ||
	    *pos > *dpos)
		err = EINVAL;
	else if (era != s->era)
		err = ESTALE;
	cbor_decref(&it);
	return err;
}

static void
sq_cursor_encode(
    struct sstore *s, uint64_t dpos, uint64_t pos, uint8_t **out, size_t *len)
{
	cbor_item_t *a = cborx_array(3);

	cborx_array_push(a, cborx_uint(s->era));
	cborx_array_push(a, cborx_uint(dpos));
	cborx_array_push(a, cborx_uint(pos));
	if (cborx_encode(a, out, len) != 0)
		fatalx("cursor encode");
	cbor_decref(&a);
}

/*
 * The pull queries, ordered by (dpos, pos).  ?1 region, ?2 cursor dpos,
 * ?3 cursor pos, ?4 the puller, ?5 page size, ?6 its facility.  A change
 * of a patient in the facility's scope is delivered at dpos = the later
 * of its own position and the scope's: a change made before the patient
 * entered the scope comes with the change that brought them in.
 *
 * The unary + in the back-fill half keeps SQLite off changes_pull there:
 * with it, SQLite scanned every earlier change of the region for each
 * patient in scope (a catchment of 10,000 patients took over ten minutes
 * for its first page); without it, each patient's own records are found
 * through records_patient and changes_record (0.15 s).
 * tests/sync-server/store/test_sqlite.c checks the plan.
 */
const char sq_pull_region[] =
    "SELECT pos, entity, id, hlc, body, node, pos FROM changes"
    " WHERE region = ?1 AND (pos > ?2 OR (pos = ?2 AND ?3 < ?2))"
    " AND node <> ?4 AND refused = 0 ORDER BY pos LIMIT ?5";
const char sq_pull_facility[] =
    "SELECT * FROM ("
    /* changes after the cursor, of patients already in scope then */
    " SELECT c.pos, c.entity, c.id, c.hlc, c.body, c.node, c.pos AS dpos"
    " FROM changes c JOIN records r ON r.entity = c.entity AND r.id = c.id"
    " LEFT JOIN scope sc ON sc.region = ?1 AND sc.patient = r.patient"
    " AND sc.facility = ?6"
    " WHERE c.region = ?1 AND (c.pos > ?2 OR (c.pos = ?2 AND ?3 < ?2))"
    " AND c.node <> ?4 AND c.refused = 0"
    " AND ((r.patient IS NULL AND r.facility = ?6) OR sc.pos <= c.pos)"
    " UNION ALL"
    /* earlier changes of patients who entered the scope after it */
    " SELECT c.pos, c.entity, c.id, c.hlc, c.body, c.node, sc.pos AS dpos"
    " FROM scope sc JOIN records r ON r.patient = sc.patient"
    " JOIN changes c ON c.entity = r.entity AND c.id = r.id"
    " WHERE sc.region = ?1 AND sc.facility = ?6"
    " AND (sc.pos > ?2 OR (sc.pos = ?2 AND c.pos > ?3))"
    " AND +c.pos < sc.pos AND +c.region = ?1 AND c.node <> ?4"
    " AND c.refused = 0"
    ") ORDER BY dpos, pos LIMIT ?5";

static int
sq_pull(struct sstore *s, const struct snode *node, int scope,
    const uint8_t *cursor, size_t cursor_len, size_t max, uint64_t now_ms,
    struct spull_result *res)
{
	struct sq_reader *r = NULL;
	sqlite3_stmt *st = NULL;
	struct schange *c;
	uint64_t pos, dpos;
	size_t cap = 0, bytes = 0;
	int rc, err;

	(void)now_ms;
	memset(res, 0, sizeof(*res));
	if ((err = sq_cursor_decode(s, cursor, cursor_len, &dpos, &pos)) != 0)
		return err;
	if (max == 0)
		max = 1;
	r = sq_reader_get(s);
	if ((err = sq_prepare(r->db,
	         scope == SPULL_REGION ? sq_pull_region : sq_pull_facility,
	         &st)))
		goto out;
	sqlite3_bind_text(st, 1, node->region, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)dpos);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)pos);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)node->id);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)max);
	if (scope != SPULL_REGION)
		sqlite3_bind_text(st, 6, node->facility, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (res->n == cap) {
			cap = cap ? cap * 2 : 64;
			res->changes = xreallocarray(
			    res->changes, cap, sizeof(*res->changes));
		}
		c = &res->changes[res->n++];
		memset(c, 0, sizeof(*c));
		pos = (uint64_t)sqlite3_column_int64(st, 0);
		c->entity = sqlite3_column_int(st, 1);
		if (sqlite3_column_bytes(st, 2) == 16)
			memcpy(c->id, sqlite3_column_blob(st, 2), 16);
		c->hlc = (uint64_t)sqlite3_column_int64(st, 3);
		c->len = (size_t)sqlite3_column_bytes(st, 4);
		c->body =
		    xmemdup(c->len ? sqlite3_column_blob(st, 4) : "", c->len);
		c->origin = (uint64_t)sqlite3_column_int64(st, 5);
		dpos = (uint64_t)sqlite3_column_int64(st, 6);
		c->seq = pos;
		bytes += c->len;
		if (bytes >= SQ_PULL_BUDGET)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		err = sq_err(r->db, rc, "pull");
		goto out;
	}
	res->more = rc == SQLITE_ROW || res->n == max;
	sq_cursor_encode(s, dpos, pos, &res->cursor, &res->cursor_len);
out:
	sqlite3_finalize(st);
	sq_reader_put(r);
	if (err != 0)
		spull_result_clear(res);
	return err;
}

static int
sq_alert(struct sstore *s, uint64_t node, const char *kind, const char *detail,
    uint64_t now_ms)
{
	sqlite3_stmt *st = NULL;
	int rc, err;

	pthread_mutex_lock(&s->wmu);
	if ((err = sq_prepare(s->w,
	         "INSERT INTO alerts(node, kind, detail, at_ms)"
	         " VALUES(?, ?, ?, ?)",
	         &st)))
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)node);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, detail, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)now_ms);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		err = sq_err(s->w, rc, "alert");
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->wmu);
	return err;
}

/* --- the audit anchor and break-glass (issue 17) ---------------------- */

static void
sq_anchor_row(sqlite3_stmt *st, struct sanchor *a)
{
	memset(a, 0, sizeof(*a));
	a->node = (uint64_t)sqlite3_column_int64(st, 0);
	a->seq = (uint64_t)sqlite3_column_int64(st, 1);
	if (sqlite3_column_bytes(st, 2) == 32)
		memcpy(a->hash, sqlite3_column_blob(st, 2), 32);
	a->ok = sqlite3_column_int(st, 3);
	str_lcpy(a->detail, sq_text(st, 4), sizeof(a->detail));
	a->at_ms = (uint64_t)sqlite3_column_int64(st, 5);
}

#define SQ_ANCHOR_COLS "node, seq, hash, ok, detail, at_ms"

static int
sq_anchor_get(struct sstore *s, uint64_t node, struct sanchor *out, int *broken)
{
	sqlite3_stmt *st = NULL;
	uint64_t id = 0;
	int rc, err;

	*broken = 0;
	pthread_mutex_lock(&s->wmu);
	if ((err = sq_prepare(s->w,
	         "SELECT " SQ_ANCHOR_COLS ", id FROM audit_anchors"
	         " WHERE node = ? AND ok = 1 ORDER BY id DESC LIMIT 1",
	         &st)) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)node);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sq_anchor_row(st, out);
		id = (uint64_t)sqlite3_column_int64(st, 6);
	} else
		err = rc == SQLITE_DONE ? ENOENT : sq_err(s->w, rc, "anchor");
	sqlite3_finalize(st);
	st = NULL;
	if (err != 0 ||
	    (err = sq_prepare(s->w,
	         "SELECT count(*) FROM audit_anchors WHERE node = ?"
	         " AND ok = 0 AND id > ?",
	         &st)) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)node);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*broken = sqlite3_column_int(st, 0) > 0;
	else
		err = sq_err(s->w, rc, "anchor breaks");
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->wmu);
	return err;
}

static int
sq_anchor_add(struct sstore *s, const struct sanchor *a)
{
	sqlite3_stmt *st = NULL;
	int rc, err;

	pthread_mutex_lock(&s->wmu);
	if ((err = sq_prepare(s->w,
	         "INSERT INTO audit_anchors(" SQ_ANCHOR_COLS ")"
	         " VALUES(?, ?, ?, ?, ?, ?)",
	         &st)) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)a->node);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)a->seq);
	sqlite3_bind_blob(st, 3, a->hash, 32, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, a->ok);
	sqlite3_bind_text(st, 5, a->detail, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)a->at_ms);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		err = sq_err(s->w, rc, "anchor add");
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->wmu);
	return err;
}

static int
sq_anchor_list(struct sstore *s, uint64_t node, size_t max,
    struct sanchor **out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	int rc, err;

	*out = NULL;
	*n = 0;
	pthread_mutex_lock(&s->wmu);
	if ((err = sq_prepare(s->w,
	         "SELECT " SQ_ANCHOR_COLS " FROM audit_anchors"
	         " WHERE node = ? ORDER BY id DESC LIMIT ?",
	         &st)) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)node);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = xreallocarray(*out, *n + 1, sizeof(**out));
		sq_anchor_row(st, &(*out)[(*n)++]);
	}
	if (rc != SQLITE_DONE)
		err = sq_err(s->w, rc, "anchor list");
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->wmu);
	return err;
}

/* Run SQL (one statement) with ?1..?8 B's node, region, facility,
 * patient, user, reason, at_ms and POS (binding a number SQL does not
 * use is harmless); *ONE (may be NULL) its first row's first column. */
static int
sq_breakglass_step(struct sstore *s, const char *sql,
    const struct sbreakglass *b, int64_t pos, int64_t *one)
{
	sqlite3_stmt *st = NULL;
	int rc, err;

	if ((err = sq_prepare(s->w, sql, &st)) != 0)
		return err;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)b->node);
	sqlite3_bind_text(st, 2, b->region, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, b->facility, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, b->patient, 16, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, b->user, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, b->reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)b->at_ms);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)pos);
	rc = sqlite3_step(st);
	if (one != NULL)
		*one = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		err = sq_err(s->w, rc, "breakglass");
	sqlite3_finalize(st);
	return err;
}

/*
 * The patient enters the facility's scope at a feed position of its own,
 * reserved past every change (AUTOINCREMENT never hands out a position
 * at or below sqlite_sequence's), so the facility's cursor, wherever it
 * is, is below it and the next pull back-fills the patient's history.
 */
static int
sq_breakglass_add(struct sstore *s, const struct sbreakglass *b)
{
	int64_t pos = 0, n = 0;
	int err;

	pthread_mutex_lock(&s->wmu);
	if ((err = sq_exec(s->w, "BEGIN IMMEDIATE")) != 0)
		goto out;
	if ((err = sq_breakglass_step(s,
	         "SELECT count(*) FROM records WHERE entity = 3 AND id = ?4"
	         " AND region = ?2",
	         b, 0, &n)) != 0)
		goto done;
	if (n == 0) {
		err = ENOENT;
		goto done;
	}
	if ((err = sq_exec(s->w,
	         "UPDATE sqlite_sequence SET seq = seq + 1"
	         " WHERE name = 'changes'")) != 0 ||
	    (err = sq_breakglass_step(s,
	         "SELECT seq FROM sqlite_sequence WHERE name = 'changes'", b, 0,
	         &pos)) != 0)
		goto done;
	if ((err = sq_breakglass_step(s,
	         "INSERT OR IGNORE INTO scope(region, patient, facility, pos)"
	         " VALUES(?2, ?4, ?3, ?8)",
	         b, pos, NULL)) != 0 ||
	    (err = sq_breakglass_step(s,
	         "INSERT INTO breakglass(node, region, facility, patient,"
	         " user_id, reason, at_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	         b, pos, NULL)) != 0)
		goto done;
	err = sq_exec(s->w, "COMMIT");
done:
	if (err != 0)
		sqlite3_exec(s->w, "ROLLBACK", NULL, NULL, NULL);
out:
	pthread_mutex_unlock(&s->wmu);
	return err;
}

static int
sq_breakglass_list(
    struct sstore *s, size_t max, struct sbreakglass **out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	struct sbreakglass *b;
	int rc, err;

	*out = NULL;
	*n = 0;
	pthread_mutex_lock(&s->wmu);
	if ((err = sq_prepare(s->w,
	         "SELECT node, region, facility, patient, user_id, reason,"
	         " at_ms FROM breakglass ORDER BY id DESC LIMIT ?",
	         &st)) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, max ? (sqlite3_int64)max : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = xreallocarray(*out, *n + 1, sizeof(**out));
		b = &(*out)[(*n)++];
		memset(b, 0, sizeof(*b));
		b->node = (uint64_t)sqlite3_column_int64(st, 0);
		str_lcpy(b->region, sq_text(st, 1), sizeof(b->region));
		str_lcpy(b->facility, sq_text(st, 2), sizeof(b->facility));
		if (sqlite3_column_bytes(st, 3) == 16)
			memcpy(b->patient, sqlite3_column_blob(st, 3), 16);
		str_lcpy(b->user, sq_text(st, 4), sizeof(b->user));
		str_lcpy(b->reason, sq_text(st, 5), sizeof(b->reason));
		b->at_ms = (uint64_t)sqlite3_column_int64(st, 6);
	}
	if (rc != SQLITE_DONE)
		err = sq_err(s->w, rc, "breakglass list");
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->wmu);
	return err;
}

/* Insert B (the caller holds wmu). */
static int
sq_bgsearch_insert(struct sstore *s, const struct sbgsearch *b)
{
	sqlite3_stmt *st = NULL;
	int rc, err;

	if ((err = sq_prepare(s->w,
	         "INSERT INTO breakglass_search(node, region, facility,"
	         " user_id, query, found, at_ms)"
	         " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	         &st)) != 0)
		return err;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)b->node);
	sqlite3_bind_text(st, 2, b->region, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, b->facility, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, b->user, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, b->query, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)b->found);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)b->at_ms);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		err = sq_err(s->w, rc, "breakglass search");
	sqlite3_finalize(st);
	return err;
}

static int
sq_bgsearch_add(struct sstore *s, const struct sbgsearch *b)
{
	int err;

	pthread_mutex_lock(&s->wmu);
	err = sq_bgsearch_insert(s, b);
	pthread_mutex_unlock(&s->wmu);
	return err;
}

/* The node's recent searches read and judged, and B inserted, in one
 * BEGIN IMMEDIATE transaction: one writer at a time, in this process
 * (wmu) and in any other on the file (SQLite's lock).  No index on
 * (node, at_ms): the table holds what the limit lets through, and the
 * search it guards reads the whole region anyway. */
static int
sq_bgsearch_admit(struct sstore *s, const struct sbgsearch *b,
    uint64_t since_ms, sbgsearch_admit_cb admit, void *arg)
{
	struct sbgrecent *r = xcalloc(SBGRECENT_MAX, sizeof(*r));
	sqlite3_stmt *st = NULL;
	size_t n = 0;
	int rc, err;

	pthread_mutex_lock(&s->wmu);
	if ((err = sq_exec(s->w, "BEGIN IMMEDIATE")) != 0 ||
	    (err = sq_prepare(
	         s->w, "SELECT 1 FROM nodes WHERE id = ?1", &st)) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)b->node);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_ROW) { /* a node the store does not know */
		err = rc == SQLITE_DONE ? ENOENT
		                        : sq_err(s->w, rc, "breakglass node");
		goto out;
	}
	if ((err = sq_prepare(s->w,
	         "SELECT user_id, at_ms FROM breakglass_search"
	         " WHERE node = ?1 AND at_ms >= ?2"
	         " ORDER BY at_ms DESC, id DESC LIMIT ?3",
	         &st)) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)b->node);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)since_ms);
	sqlite3_bind_int64(st, 3, SBGRECENT_MAX);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		str_lcpy(r[n].user, sq_text(st, 0), sizeof(r[n].user));
		r[n++].at_ms = (uint64_t)sqlite3_column_int64(st, 1);
	}
	if (rc != SQLITE_DONE) {
		err = sq_err(s->w, rc, "breakglass search recent");
		goto out;
	}
	if ((err = admit(r, n, arg)) != 0 ||
	    (err = sq_bgsearch_insert(s, b)) != 0)
		goto out;
	err = sq_exec(s->w, "COMMIT");
out:
	sqlite3_finalize(st);
	if (!sqlite3_get_autocommit(s->w))
		sqlite3_exec(s->w, "ROLLBACK", NULL, NULL, NULL);
	pthread_mutex_unlock(&s->wmu);
	free(r);
	return err;
}

static int
sq_bgsearch_list(
    struct sstore *s, size_t max, struct sbgsearch **out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	struct sbgsearch *b;
	int rc, err;

	*out = NULL;
	*n = 0;
	pthread_mutex_lock(&s->wmu);
	if ((err = sq_prepare(s->w,
	         "SELECT node, region, facility, user_id, query, found, at_ms"
	         " FROM breakglass_search ORDER BY id DESC LIMIT ?",
	         &st)) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, max ? (sqlite3_int64)max : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = xreallocarray(*out, *n + 1, sizeof(**out));
		b = &(*out)[(*n)++];
		memset(b, 0, sizeof(*b));
		b->node = (uint64_t)sqlite3_column_int64(st, 0);
		str_lcpy(b->region, sq_text(st, 1), sizeof(b->region));
		str_lcpy(b->facility, sq_text(st, 2), sizeof(b->facility));
		str_lcpy(b->user, sq_text(st, 3), sizeof(b->user));
		str_lcpy(b->query, sq_text(st, 4), sizeof(b->query));
		b->found = (uint64_t)sqlite3_column_int64(st, 5);
		b->at_ms = (uint64_t)sqlite3_column_int64(st, 6);
	}
	if (rc != SQLITE_DONE)
		err = sq_err(s->w, rc, "breakglass search list");
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->wmu);
	return err;
}

static int
sq_count(sqlite3 *db, const char *sql, uint64_t *n)
{
	sqlite3_stmt *st = NULL;
	int rc, err;

	if ((err = sq_prepare(db, sql, &st)))
		return err;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*n = (uint64_t)sqlite3_column_int64(st, 0);
	else
		err = sq_err(db, rc, "count");
	sqlite3_finalize(st);
	return err;
}

static int
sq_stats(struct sstore *s, struct sstats *out)
{
	struct sq_reader *r = sq_reader_get(s);
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int rc, err;

	memset(out, 0, sizeof(*out));
	/* One read transaction, so the figures agree with each other. */
	if ((err = sq_exec(r->db, "BEGIN")) != 0)
		goto out;
	if ((err = sq_prepare(r->db,
	         "SELECT entity, count(*) FROM changes GROUP BY entity"
	         " ORDER BY entity",
	         &st)))
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		out->entities = xreallocarray(
		    out->entities, out->nentities + 1, sizeof(*out->entities));
		out->entities[out->nentities].entity =
		    sqlite3_column_int(st, 0);
		out->entities[out->nentities++].records =
		    (uint64_t)sqlite3_column_int64(st, 1);
	}
	if (rc != SQLITE_DONE) {
		err = sq_err(r->db, rc, "stats");
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((err = sq_prepare(r->db,
	         "SELECT " SQ_NODE_COLS ", (SELECT count(*) FROM changes c"
	         " WHERE c.node = nodes.id) FROM nodes"
	         " ORDER BY id",
	         &st)))
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (out->nnodes == cap) {
			cap = cap ? cap * 2 : 16;
			out->nodes =
			    xreallocarray(out->nodes, cap, sizeof(*out->nodes));
			out->node_records = xreallocarray(
			    out->node_records, cap, sizeof(*out->node_records));
		}
		sq_node_row(st, &out->nodes[out->nnodes]);
		out->node_records[out->nnodes++] =
		    (uint64_t)sqlite3_column_int64(st, 13);
	}
	if (rc != SQLITE_DONE) {
		err = sq_err(r->db, rc, "stats");
		goto out;
	}
	if ((err = sq_count(
	         r->db, "SELECT count(*) FROM batches", &out->batches)) != 0 ||
	    (err = sq_count(
	         r->db, "SELECT count(*) FROM alerts", &out->alerts)) != 0 ||
	    (err = sq_count(r->db,
	         "SELECT count(*) FROM tokens WHERE used_ms IS NULL",
	         &out->open_tokens)) != 0 ||
	    /* patients (entity 3) a merge (entity 15) names as retired */
	    (err = sq_count(r->db,
	         "SELECT count(DISTINCT patient) FROM records WHERE"
	         " entity = 15 AND patient IN"
	         " (SELECT id FROM records WHERE entity = 3)",
	         &out->merged)) != 0)
		goto out;
out:
	sqlite3_finalize(st);
	sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
	sq_reader_put(r);
	if (err != 0)
		sstats_clear(out);
	return err;
}

static int
sq_manifest(struct sstore *s,
    void (*cb)(const struct schange *, const uint8_t hash[32], void *),
    void *arg)
{
	struct sq_reader *r = sq_reader_get(s);
	sqlite3_stmt *st = NULL;
	struct schange c;
	int rc, err;

	if ((err = sq_prepare(r->db,
	         "SELECT node, seq, entity, id, hlc, hash FROM changes"
	         " ORDER BY pos",
	         &st)))
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&c, 0, sizeof(c));
		c.origin = (uint64_t)sqlite3_column_int64(st, 0);
		c.seq = (uint64_t)sqlite3_column_int64(st, 1);
		c.entity = sqlite3_column_int(st, 2);
		if (sqlite3_column_bytes(st, 3) == 16)
			memcpy(c.id, sqlite3_column_blob(st, 3), 16);
		c.hlc = (uint64_t)sqlite3_column_int64(st, 4);
		if (sqlite3_column_bytes(st, 5) == 32)
			cb(&c, sqlite3_column_blob(st, 5), arg);
	}
	if (rc != SQLITE_DONE)
		err = sq_err(r->db, rc, "manifest");
out:
	sqlite3_finalize(st);
	sq_reader_put(r);
	return err;
}

/* The median of N request-to-accept times (sorted in place). */
static int
sq_u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void
squeue_finish(struct squeue *q, const struct snode *node, int all,
    uint64_t *waits, size_t nwaits)
{
	size_t i, j;
	uint64_t pos = 0;

	for (i = 0, j = 0; i < q->n; i++) {
		struct sconsult_item *it = &q->items[i];

		if (strcmp(it->state, "requested") == 0) {
			it->position = ++pos;
			q->waiting++;
		}
		if (all || strcmp(it->facility, node->facility) == 0)
			q->items[j++] = *it;
	}
	q->n = j;
	if (nwaits > 0) {
		qsort(waits, nwaits, sizeof(*waits), sq_u64_cmp);
		q->has_wait = 1;
		q->wait_ms = nwaits % 2
		    ? waits[nwaits / 2]
		    : (waits[nwaits / 2 - 1] + waits[nwaits / 2]) / 2;
	}
}

static int
sq_consult_queue(
    struct sstore *s, const struct snode *node, int all, struct squeue *q)
{
	struct sq_reader *r = NULL;
	sqlite3_stmt *st = NULL;
	uint64_t waits[SQUEUE_WAITS];
	size_t cap = 0, nwaits = 0;
	int rc, err;

	memset(q, 0, sizeof(*q));
	r = sq_reader_get(s);
	if ((err = sq_prepare(r->db,
	         "SELECT id, state, facility, urgency, queued_ms,"
	         " accepted_node, node FROM consults WHERE region = ?"
	         " AND state IN ('requested', 'accepted', 'call')"
	         " ORDER BY state <> 'requested', urgency DESC, queued_ms, id",
	         &st)) != 0)
		goto out;
	sqlite3_bind_text(st, 1, node->region, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct sconsult_item *it;

		if (q->n == cap) {
			cap = cap ? cap * 2 : 16;
			q->items = xreallocarray(q->items, cap, sizeof(*it));
		}
		it = &q->items[q->n++];
		memset(it, 0, sizeof(*it));
		if (sqlite3_column_bytes(st, 0) == 16)
			memcpy(it->id, sqlite3_column_blob(st, 0), 16);
		str_lcpy(it->state, sq_text(st, 1), sizeof(it->state));
		str_lcpy(it->facility, sq_text(st, 2), sizeof(it->facility));
		it->urgency = (uint64_t)sqlite3_column_int64(st, 3);
		it->requested_ms = (uint64_t)sqlite3_column_int64(st, 4);
		it->accepted_node = (uint64_t)sqlite3_column_int64(st, 5);
		it->node = (uint64_t)sqlite3_column_int64(st, 6);
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE) {
		err = sq_err(r->db, rc, "consult queue");
		goto out;
	}
	if ((err = sq_prepare(r->db,
	         "SELECT accepted_ms - queued_ms FROM consults"
	         " WHERE region = ? AND accepted_ms IS NOT NULL"
	         " ORDER BY accepted_ms DESC LIMIT " SQUEUE_WAITS_SQL,
	         &st)) != 0)
		goto out;
	sqlite3_bind_text(st, 1, node->region, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && nwaits < SQUEUE_WAITS) {
		sqlite3_int64 w = sqlite3_column_int64(st, 0);

		waits[nwaits++] = w > 0 ? (uint64_t)w : 0;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		err = sq_err(r->db, rc, "consult waits");
		goto out;
	}
	squeue_finish(q, node, all, waits, nwaits);
out:
	sqlite3_finalize(st);
	sq_reader_put(r);
	if (err != 0)
		squeue_clear(q);
	return err;
}

void
squeue_clear(struct squeue *q)
{
	free(q->items);
	memset(q, 0, sizeof(*q));
}

void
spull_result_clear(struct spull_result *res)
{
	size_t i;

	if (res == NULL)
		return;
	for (i = 0; i < res->n; i++)
		free((void *)res->changes[i].body);
	free(res->changes);
	free(res->cursor);
	memset(res, 0, sizeof(*res));
}

void
sstats_clear(struct sstats *st)
{
	free(st->entities);
	free(st->nodes);
	free(st->node_records);
	memset(st, 0, sizeof(*st));
}

/* --- licences (issue 14) ---------------------------------------------- */

/* One licence and its event, inside the caller's transaction. */
static int
sq_licence_one(struct sstore *s, const struct licence *l, const char *event,
    const char *detail, uint64_t now_ms)
{
	sqlite3_stmt *st = NULL;
	int rc, err;

	/* SQLCipher's SQLite (3.15) has no upsert: update, else insert. */
	for (int pass = 0; pass < 2; pass++) {
		if ((err = sq_prepare(s->w,
		         pass == 0
		             ? "UPDATE licences SET name = ?3, cadre = ?4,"
		               " scope = ?5, juris = ?6, valid_from = ?7,"
		               " valid_to = ?8, status = ?9, status_at = ?10,"
		               " address = ?11, contact = ?12, rev = rev + 1"
		               " WHERE regulator = ?1 AND regno = ?2"
		             : "INSERT INTO licences(regulator, regno, name,"
		               " cadre, scope, juris, valid_from, valid_to,"
		               " status, status_at, address, contact)"
		               " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
		               " ?11, ?12)",
		         &st)))
			goto fail;
		sqlite3_bind_text(st, 1, l->regulator, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, l->regno, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, l->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, l->cadre, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, (sqlite3_int64)l->scope);
		sqlite3_bind_text(st, 6, l->juris, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 7, l->valid_from);
		sqlite3_bind_int64(st, 8, l->valid_to);
		sqlite3_bind_int64(st, 9, l->status);
		sqlite3_bind_int64(st, 10, l->status_at);
		sqlite3_bind_text(st, 11, l->address, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 12, l->contact, -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
			err = sq_err(s->w, rc, "licence put");
			goto fail;
		}
		sqlite3_finalize(st);
		st = NULL;
		if (sqlite3_changes(s->w) > 0)
			break;
	}
	if ((err = sq_prepare(s->w,
	         "INSERT INTO licence_events(regulator, regno, event, detail,"
	         " at_ms) VALUES(?, ?, ?, ?, ?)",
	         &st)))
		goto fail;
	sqlite3_bind_text(st, 1, l->regulator, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, l->regno, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, event, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, detail ? detail : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)now_ms);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
		err = sq_err(s->w, rc, "licence event");
		goto fail;
	}
fail:
	sqlite3_finalize(st);
	return err;
}

static int
sq_licence_put(struct sstore *s, const struct licence *ls, size_t n,
    const char *event, const char *detail, uint64_t now_ms)
{
	int err;

	pthread_mutex_lock(&s->wmu);
	if ((err = sq_exec(s->w, "BEGIN IMMEDIATE")) != 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if ((err = sq_licence_one(s, &ls[i], event, detail, now_ms)))
			goto fail;
	if ((err = sq_exec(s->w, "COMMIT")) != 0)
		goto fail;
	goto out;
fail:
	(void)sqlite3_exec(s->w, "ROLLBACK", NULL, NULL, NULL);
out:
	pthread_mutex_unlock(&s->wmu);
	return err;
}

static void
sq_col_text(sqlite3_stmt *st, int col, char *out, size_t size)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	snprintf(out, size, "%s", t ? (const char *)t : "");
}

static int
sq_licence_list(struct sstore *s, struct licence_set *out, uint64_t *version)
{
	sqlite3_stmt *st = NULL;
	int rc, err;

	memset(out, 0, sizeof(*out));
	*version = 0;
	pthread_mutex_lock(&s->wmu);
	if ((err = sq_exec(s->w, "BEGIN")) != 0)
		goto out;
	if ((err = sq_prepare(s->w,
	         "SELECT regulator, regno, name, cadre, scope, juris,"
	         " valid_from, valid_to, status, status_at, rev, address,"
	         " contact FROM licences ORDER BY regno, regulator",
	         &st)))
		goto done;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct licence l;

		memset(&l, 0, sizeof(l));
		sq_col_text(st, 0, l.regulator, sizeof(l.regulator));
		sq_col_text(st, 1, l.regno, sizeof(l.regno));
		sq_col_text(st, 2, l.name, sizeof(l.name));
		sq_col_text(st, 3, l.cadre, sizeof(l.cadre));
		l.scope = (uint32_t)sqlite3_column_int64(st, 4);
		sq_col_text(st, 5, l.juris, sizeof(l.juris));
		l.valid_from = sqlite3_column_int64(st, 6);
		l.valid_to = sqlite3_column_int64(st, 7);
		l.status = (int)sqlite3_column_int64(st, 8);
		l.status_at = sqlite3_column_int64(st, 9);
		l.rev = (uint64_t)sqlite3_column_int64(st, 10);
		sq_col_text(st, 11, l.address, sizeof(l.address));
		sq_col_text(st, 12, l.contact, sizeof(l.contact));
		licence_set_add(out, &l);
	}
	if (rc != SQLITE_DONE) {
		err = sq_err(s->w, rc, "licence list");
		goto done;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((err = sq_prepare(s->w,
	         "SELECT coalesce(max(seq), 0) FROM licence_events", &st)))
		goto done;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW)
		err = sq_err(s->w, rc, "licence version");
	else
		*version = (uint64_t)sqlite3_column_int64(st, 0);
done:
	(void)sqlite3_exec(s->w, "COMMIT", NULL, NULL, NULL);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->wmu);
	if (err)
		licence_set_clear(out);
	return err;
}

/* --- booking (issue 15) ------------------------------------------------- */

/*
 * Prepare SQL on DB and bind its parameters in order from FMT: 'i' a
 * uint64_t, 'x' a 16-byte id, 't' a text, 'n' NULL.
 */
static int
sq_bindf(sqlite3 *db, sqlite3_stmt **st, const char *sql, const char *fmt, ...)
{
	va_list ap;
	int i, err;

	if ((err = sq_prepare(db, sql, st)) != 0)
		return err;
	va_start(ap, fmt);
	for (i = 1; *fmt != '\0'; fmt++, i++) {
		switch (*fmt) {
		case 'i':
			sqlite3_bind_int64(
			    *st, i, (sqlite3_int64)va_arg(ap, uint64_t));
			break;
		case 'x':
			sqlite3_bind_blob(*st, i, va_arg(ap, const uint8_t *),
			    16, SQLITE_TRANSIENT);
			break;
		case 't':
			sqlite3_bind_text(*st, i, va_arg(ap, const char *), -1,
			    SQLITE_TRANSIENT);
			break;
		default:
			sqlite3_bind_null(*st, i);
			break;
		}
	}
	va_end(ap);
	return 0;
}

/* Run a statement that returns no rows; *CHANGED rows it changed. */
static int
sq_done(sqlite3 *db, sqlite3_stmt *st, const char *what, int *changed)
{
	int rc, err = 0;

	if ((rc = sqlite3_step(st)) != SQLITE_DONE && rc != SQLITE_ROW)
		err = (rc & 0xff) == SQLITE_CONSTRAINT ? EEXIST
		                                       : sq_err(db, rc, what);
	else if (changed != NULL)
		*changed = sqlite3_changes(db);
	sqlite3_finalize(st);
	return err;
}

static void
sq_slot_row(sqlite3_stmt *st, int col, struct sslot *o)
{
	memset(o, 0, sizeof(*o));
	o->id = (uint64_t)sqlite3_column_int64(st, col);
	o->schedule = (uint64_t)sqlite3_column_int64(st, col + 1);
	o->start_ms = (uint64_t)sqlite3_column_int64(st, col + 2);
	o->end_ms = (uint64_t)sqlite3_column_int64(st, col + 3);
	str_lcpy(o->status, sq_text(st, col + 4), sizeof(o->status));
	str_lcpy(o->clinician, sq_text(st, col + 5), sizeof(o->clinician));
}

/* A slot's columns, with its schedule's clinician (the slot map's). */
#define SQ_SLOT_COLS                                                           \
	"s.id, s.schedule, s.start_ms, s.end_ms, s.status,"                    \
	" (SELECT clinician FROM schedules WHERE id = s.schedule)"
#define SQ_ACTIVE "('booked', 'checked-in', 'arrived', 'fulfilled')"

static int
sq_audit(struct sstore *s, const uint8_t id[16], uint64_t at, const char *from,
    const char *to, const char *why)
{
	sqlite3_stmt *st = NULL;
	int err;

	if ((err = sq_bindf(s->w, &st,
	         "INSERT INTO appt_events(appt, at_ms, from_status, to_status,"
	         " why) VALUES(?, ?, ?, ?, ?)",
	         "xittt", id, at, from, to, why)) != 0)
		return err;
	return sq_done(s->w, st, "appointment audit", NULL);
}

struct sq_sched_def {
	const struct ssched *d;
	const struct shours *h;
	size_t n;
	uint64_t id;
};

static int
sq_sched_define_job(struct sstore *s, void *arg)
{
	struct sq_sched_def *a = arg;
	const struct ssched *d = a->d;
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc, err;

	/* SQLCipher's SQLite (3.15) has no upsert nor RETURNING. */
	if ((err = sq_bindf(s->w, &st,
	         "INSERT OR IGNORE INTO schedules(clinician, facility, region,"
	         " tz, service, modalities, langs) VALUES(?, ?, ?, ?, ?, ?, ?)",
	         "ttttttt", d->clinician, d->facility, d->region, d->tz,
	         d->service, d->modalities, d->langs)) != 0 ||
	    (err = sq_done(s->w, st, "schedule define", NULL)) != 0)
		return err;
	if ((err = sq_bindf(s->w, &st,
	         "UPDATE schedules SET region = ?1, tz = ?2, modalities = ?3,"
	         " langs = ?4 WHERE clinician = ?5 AND facility = ?6"
	         " AND service = ?7",
	         "ttttttt", d->region, d->tz, d->modalities, d->langs,
	         d->clinician, d->facility, d->service)) != 0 ||
	    (err = sq_done(s->w, st, "schedule define", NULL)) != 0)
		return err;
	if ((err = sq_bindf(s->w, &st,
	         "SELECT id FROM schedules WHERE clinician = ? AND facility = ?"
	         " AND service = ?",
	         "ttt", d->clinician, d->facility, d->service)) != 0)
		return err;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		a->id = (uint64_t)sqlite3_column_int64(st, 0);
	else
		err = sq_err(s->w, rc, "schedule define");
	sqlite3_finalize(st);
	if (err != 0)
		return err;
	if ((err = sq_bindf(s->w, &st,
	         "DELETE FROM schedule_hours WHERE schedule = ?", "i",
	         a->id)) != 0 ||
	    (err = sq_done(s->w, st, "schedule hours", NULL)) != 0)
		return err;
	for (i = 0; i < a->n; i++)
		if ((err = sq_bindf(s->w, &st,
		         "INSERT OR REPLACE INTO schedule_hours(schedule, wday,"
		         " start_min, end_min, slot_min) VALUES(?, ?, ?, ?, ?)",
		         "iiiii", a->id, (uint64_t)a->h[i].wday,
		         (uint64_t)a->h[i].start_min, (uint64_t)a->h[i].end_min,
		         (uint64_t)a->h[i].slot_min)) != 0 ||
		    (err = sq_done(s->w, st, "schedule hours", NULL)) != 0)
			return err;
	return 0;
}

static int
sq_sched_define(struct sstore *s, const struct ssched *d,
    const struct shours *h, size_t n, uint64_t *id)
{
	struct sq_sched_def a = { d, h, n, 0 };
	struct sq_job job = { sq_sched_define_job, &a, 0, 0, NULL };
	int err;

	if ((err = sq_group_run(s, &job)) == 0)
		*id = a.id;
	return err;
}

static int
sq_sched_get(struct sstore *s, uint64_t id, struct ssched *d,
    struct shours **hours, size_t *nhours)
{
	struct sq_reader *r = sq_reader_get(s);
	sqlite3_stmt *st = NULL;
	size_t n = 0;
	int rc, err;

	*hours = NULL;
	*nhours = 0;
	memset(d, 0, sizeof(*d));
	if ((err = sq_bindf(r->db, &st,
	         "SELECT clinician, facility, region, tz, service, modalities,"
	         " langs FROM schedules WHERE id = ?",
	         "i", id)) != 0)
		goto out;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		d->id = id;
		str_lcpy(d->clinician, sq_text(st, 0), sizeof(d->clinician));
		str_lcpy(d->facility, sq_text(st, 1), sizeof(d->facility));
		str_lcpy(d->region, sq_text(st, 2), sizeof(d->region));
		str_lcpy(d->tz, sq_text(st, 3), sizeof(d->tz));
		str_lcpy(d->service, sq_text(st, 4), sizeof(d->service));
		str_lcpy(d->modalities, sq_text(st, 5), sizeof(d->modalities));
		str_lcpy(d->langs, sq_text(st, 6), sizeof(d->langs));
	} else
		err =
		    rc == SQLITE_DONE ? ENOENT : sq_err(r->db, rc, "schedule");
	sqlite3_finalize(st);
	st = NULL;
	if (err != 0)
		goto out;
	if ((err = sq_bindf(r->db, &st,
	         "SELECT wday, start_min, end_min, slot_min FROM schedule_hours"
	         " WHERE schedule = ? ORDER BY wday, start_min",
	         "i", id)) != 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*hours = xreallocarray(*hours, n + 1, sizeof(**hours));
		(*hours)[n].wday = sqlite3_column_int(st, 0);
		(*hours)[n].start_min = sqlite3_column_int(st, 1);
		(*hours)[n].end_min = sqlite3_column_int(st, 2);
		(*hours)[n].slot_min = sqlite3_column_int(st, 3);
		n++;
	}
	if (rc != SQLITE_DONE)
		err = sq_err(r->db, rc, "schedule hours");
	*nhours = n;
out:
	sqlite3_finalize(st);
	sq_reader_put(r);
	if (err != 0) {
		free(*hours);
		*hours = NULL;
		*nhours = 0;
	}
	return err;
}

struct sq_slots_add {
	uint64_t sched;
	const struct sslot *v;
	size_t n;
	uint64_t added;
};

static int
sq_slots_add_job(struct sstore *s, void *arg)
{
	struct sq_slots_add *a = arg;
	sqlite3_stmt *st = NULL;
	size_t i;
	int err, changed;

	a->added = 0;
	if ((err = sq_prepare(s->w,
	         "INSERT OR IGNORE INTO slots(schedule, start_ms, end_ms)"
	         " VALUES(?, ?, ?)",
	         &st)) != 0)
		return err;
	for (i = 0; i < a->n && err == 0; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, (sqlite3_int64)a->sched);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)a->v[i].start_ms);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)a->v[i].end_ms);
		if ((changed = sqlite3_step(st)) != SQLITE_DONE)
			err = sq_err(s->w, changed, "slot add");
		else
			a->added += (uint64_t)sqlite3_changes(s->w);
	}
	sqlite3_finalize(st);
	return err;
}

static int
sq_slots_add(struct sstore *s, uint64_t sched, const struct sslot *v, size_t n,
    uint64_t *added)
{
	struct sq_slots_add a = { sched, v, n, 0 };
	struct sq_job job = { sq_slots_add_job, &a, 0, 0, NULL };
	int err;

	if ((err = sq_group_run(s, &job)) == 0 && added != NULL)
		*added = a.added;
	return err;
}

static int
sq_slots_list(struct sstore *s, uint64_t sched, const char *facility,
    uint64_t from_ms, uint64_t to_ms, struct sslot **out, size_t *n)
{
	struct sq_reader *r = sq_reader_get(s);
	sqlite3_stmt *st = NULL;
	int rc, err;

	*out = NULL;
	*n = 0;
	if ((err = sq_bindf(r->db, &st,
	         "SELECT " SQ_SLOT_COLS " FROM slots s JOIN schedules d"
	         " ON d.id = s.schedule WHERE (?1 = 0 AND d.facility = ?2"
	         " OR s.schedule = ?1) AND s.start_ms >= ?3 AND s.start_ms < ?4"
	         " ORDER BY s.start_ms, s.id",
	         "itii", sched, facility ? facility : "", from_ms, to_ms)) != 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = xreallocarray(*out, *n + 1, sizeof(**out));
		sq_slot_row(st, 0, &(*out)[(*n)++]);
	}
	if (rc != SQLITE_DONE)
		err = sq_err(r->db, rc, "slots list");
out:
	sqlite3_finalize(st);
	sq_reader_put(r);
	if (err != 0) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return err;
}

/* Up to SBOOK_ALTS free slots of the same facility and service as SLOT,
 * after NOW, nearest to SLOT's start first. */
static int
sq_book_alts(struct sstore *s, const struct sslot *slot, uint64_t now,
    struct sbook_result *r)
{
	sqlite3_stmt *st = NULL;
	int rc, err;

	r->nalts = 0;
	if ((err = sq_bindf(s->w, &st,
	         "SELECT " SQ_SLOT_COLS " FROM slots s JOIN schedules d"
	         " ON d.id = s.schedule JOIN schedules o ON o.id = ?1"
	         " WHERE d.facility = o.facility AND d.service = o.service"
	         " AND s.id <> ?2 AND s.status = 'free' AND s.start_ms > ?3"
	         " AND NOT EXISTS (SELECT 1 FROM appointments a"
	         " WHERE a.slot = s.id AND a.status IN " SQ_ACTIVE ")"
	         " AND NOT EXISTS (SELECT 1 FROM slot_offers f"
	         " WHERE f.slot = s.id AND f.expires_ms > ?3)"
	         " ORDER BY abs(s.start_ms - ?4), s.start_ms LIMIT "
	         "3",
	         "iiii", slot->schedule, slot->id, now, slot->start_ms)) != 0)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && r->nalts < SBOOK_ALTS)
		sq_slot_row(st, 0, &r->alts[r->nalts++]);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		err = sq_err(s->w, rc, "alternatives");
	sqlite3_finalize(st);
	return err;
}

/*
 * The hub scope of appointments (issue 15, docs/PROTOCOL.md §5.3): a new
 * appointment record C brings its patient into the scope of every hub
 * facility of the region where its slot's clinician works (staff), at
 * the record's feed position POS, so the hub pulls the appointment and
 * the patient with them.  The slot names the clinician, not the record:
 * the server's schedule, not the kiosk's word, routes the patient.
 */
static int
sq_appt_scope(struct sstore *s, const struct snode *node,
    const struct schange *c, sqlite3_int64 pos)
{
	sqlite3_stmt *st = NULL;
	int err;

	if (c->appt_slot > INT64_MAX)
		return 0;
	if ((err = sq_bindf(s->w, &st,
	         "INSERT OR IGNORE INTO scope(region, patient, facility, pos)"
	         " SELECT DISTINCT ?1, ?2, f.facility, ?3 FROM slots sl"
	         " JOIN schedules d ON d.id = sl.schedule"
	         " JOIN staff f ON f.region = ?1 AND f.name = d.clinician"
	         " WHERE sl.id = ?4 AND d.region = ?1",
	         "txii", node->region, c->patient, (uint64_t)pos,
	         c->appt_slot)) != 0)
		return err;
	return sq_done(s->w, st, "appointment scope", NULL);
}

/*
 * A user pushed by a hub NODE works at its facility (issue 15): each
 * name of C (backend.h, schange.staff) is kept, and a new one brings the
 * patients of that clinician's active appointments that have not ended
 * by NOW_MS into the facility's scope at POS (their history with them).
 */
static int
sq_staff_index(struct sstore *s, const struct snode *node,
    const struct schange *c, sqlite3_int64 pos, uint64_t now_ms)
{
	sqlite3_stmt *st = NULL;
	size_t i;
	int err = 0, added;

	for (i = 0; i < nitems(c->staff) && err == 0; i++) {
		if (c->staff[i][0] == '\0')
			continue;
		added = 0;
		if ((err = sq_bindf(s->w, &st,
		         "INSERT OR IGNORE INTO staff(region, name, facility)"
		         " VALUES(?, ?, ?)",
		         "ttt", node->region, c->staff[i], node->facility)) !=
		        0 ||
		    (err = sq_done(s->w, st, "staff", &added)) != 0 ||
		    added == 0)
			continue;
		if ((err = sq_bindf(s->w, &st,
		         "INSERT OR IGNORE INTO scope(region, patient,"
		         " facility, pos) SELECT DISTINCT ?1, a.patient, ?2, ?3"
		         " FROM schedules d JOIN slots sl ON sl.schedule = d.id"
		         " JOIN appointments a ON a.slot = sl.id"
		         " WHERE d.region = ?1 AND d.clinician = ?4"
		         " AND a.status IN " SQ_ACTIVE " AND sl.end_ms > ?5",
		         "ttiti", node->region, node->facility, (uint64_t)pos,
		         c->staff[i], now_ms)) == 0)
			err = sq_done(s->w, st, "staff scope", NULL);
	}
	return err;
}

static int
sq_slot_get(struct sstore *s, uint64_t id, struct sslot *o)
{
	sqlite3_stmt *st = NULL;
	int rc, err;

	if ((err = sq_bindf(s->w, &st,
	         "SELECT " SQ_SLOT_COLS " FROM slots s WHERE s.id = ?", "i",
	         id)) != 0)
		return err;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		sq_slot_row(st, 0, o);
	else
		err = rc == SQLITE_DONE ? ENOENT : sq_err(s->w, rc, "slot");
	sqlite3_finalize(st);
	return err;
}

/* Cancel ID inside the current transaction (see appt_cancel). */
static int
sq_cancel_in(struct sstore *s, const uint8_t id[16], uint64_t node,
    const char *why, uint64_t now)
{
	sqlite3_stmt *st = NULL;
	char status[24] = "";
	uint64_t slot = 0, owner = 0;
	int rc, err, changed = 0;

	if ((err = sq_bindf(s->w, &st,
	         "SELECT status, slot, node FROM appointments WHERE id = ?",
	         "x", id)) != 0)
		return err;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		str_lcpy(status, sq_text(st, 0), sizeof(status));
		slot = (uint64_t)sqlite3_column_int64(st, 1);
		owner = (uint64_t)sqlite3_column_int64(st, 2);
	} else
		err = rc == SQLITE_DONE ? ENOENT : sq_err(s->w, rc, "cancel");
	sqlite3_finalize(st);
	if (err != 0)
		return err;
	if (node != 0 && owner != node)
		return EACCES;
	if (strcmp(status, "booked") != 0)
		return EALREADY;
	if ((err = sq_bindf(s->w, &st,
	         "UPDATE appointments SET status = 'cancelled', reason = ?,"
	         " updated_ms = ? WHERE id = ? AND status = 'booked'",
	         "tix", why, now, id)) != 0 ||
	    (err = sq_done(s->w, st, "cancel", &changed)) != 0)
		return err;
	if ((err = sq_bindf(s->w, &st,
	         "UPDATE slots SET status = 'free' WHERE id = ?"
	         " AND status = 'busy'",
	         "i", slot)) != 0 ||
	    (err = sq_done(s->w, st, "slot free", NULL)) != 0)
		return err;
	return sq_audit(s, id, now, "booked", "cancelled", why);
}

struct sq_book {
	const struct sbook *b;
	struct sbook_result *r;
};

/* A known appointment: its stored answer, or EEXIST if the request
 * differs.  ENOENT: not known. */
static int
sq_book_known(struct sstore *s, const struct sbook *b, struct sbook_result *r)
{
	sqlite3_stmt *st = NULL;
	uint64_t slot = 0;
	char answer[16] = "";
	int rc, err, same = 0;

	if ((err = sq_bindf(s->w, &st,
	         "SELECT slot, patient, answer FROM appointments WHERE id = ?",
	         "x", b->id)) != 0)
		return err;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		slot = (uint64_t)sqlite3_column_int64(st, 0);
		same = sqlite3_column_bytes(st, 1) == 16 &&
		    memcmp(sqlite3_column_blob(st, 1), b->patient, 16) == 0;
		str_lcpy(answer, sq_text(st, 2), sizeof(answer));
	} else
		err = rc == SQLITE_DONE ? ENOENT : sq_err(s->w, rc, "book");
	sqlite3_finalize(st);
	if (err != 0)
		return err;
	if (slot != b->slot || !same)
		return EEXIST;
	r->replay = 1;
	if ((err = sq_slot_get(s, slot, &r->slot)) != 0)
		return err;
	if (strcmp(answer, "booked") == 0)
		r->outcome = SBOOK_BOOKED;
	else {
		r->outcome = SBOOK_TAKEN;
		err = sq_book_alts(s, &r->slot, b->now_ms, r);
	}
	return err;
}

/* Whether the slot is held: an active appointment, or a live offer to
 * someone other than B's waitlist entry (the application check). */
static int
sq_book_check(struct sstore *s, const struct sbook *b, int *outcome)
{
	sqlite3_stmt *st = NULL;
	int rc, err;

	*outcome = 0;
	if ((err = sq_bindf(s->w, &st,
	         "SELECT (SELECT count(*) FROM appointments WHERE slot = ?1"
	         " AND status IN " SQ_ACTIVE "), (SELECT count(*) FROM"
	         " slot_offers WHERE slot = ?1 AND expires_ms > ?2"
	         " AND entry IS NOT ?3)",
	         b->has_entry ? "iix" : "iin", b->slot, b->now_ms, b->entry)) !=
	    0)
		return err;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_int64(st, 0) > 0)
			*outcome = SBOOK_TAKEN;
		else if (sqlite3_column_int64(st, 1) > 0)
			*outcome = SBOOK_OFFERED;
	} else
		err = sq_err(s->w, rc, "book check");
	sqlite3_finalize(st);
	return err;
}

/* B's gate asked about SLOT with its schedule's clinician and region:
 * 0 (allowed), EACCES (refused) or the store's errno. */
static int
sq_book_gate(struct sstore *s, const struct sbook *b, const struct sslot *slot)
{
	sqlite3_stmt *st = NULL;
	char clinician[SSTORE_TEXT_MAX], region[SSTORE_TEXT_MAX];
	int rc, err;

	if ((err = sq_bindf(s->w, &st,
	         "SELECT clinician, region FROM schedules WHERE id = ?", "i",
	         slot->schedule)) != 0)
		return err;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		str_lcpy(clinician, sq_text(st, 0), sizeof(clinician));
		str_lcpy(region, sq_text(st, 1), sizeof(region));
		err = b->gate_cb(slot, clinician, region, b->gate_arg) != 0
		    ? EACCES
		    : 0;
	} else /* a slot without its schedule: nobody to license */
		err = rc == SQLITE_DONE ? EACCES
		                        : sq_err(s->w, rc, "book schedule");
	sqlite3_finalize(st);
	return err;
}

static int
sq_book_job(struct sstore *s, void *arg)
{
	struct sq_book *a = arg;
	const struct sbook *b = a->b;
	struct sbook_result *r = a->r;
	sqlite3_stmt *st = NULL;
	int err, outcome = 0;

	memset(r, 0, sizeof(*r));
	if ((err = sq_book_known(s, b, r)) != ENOENT)
		return err;
	if ((err = sq_slot_get(s, b->slot, &r->slot)) == ENOENT ||
	    (err == 0 && strcmp(r->slot.status, "free") != 0 &&
	        strcmp(r->slot.status, "busy") != 0)) {
		r->outcome = SBOOK_NO_SLOT;
		return 0;
	} else if (err != 0)
		return err;
	if (b->gate_cb != NULL) {
		if ((err = sq_book_gate(s, b, &r->slot)) == EACCES) {
			r->outcome = SBOOK_NOT_PERMITTED;
			return 0;
		} else if (err != 0)
			return err;
	}
	if (b->app_check && (err = sq_book_check(s, b, &outcome)) != 0)
		return err;
	if (outcome == SBOOK_OFFERED) {
		r->outcome = outcome;
		return sq_book_alts(s, &r->slot, b->now_ms, r);
	}
	if (outcome == 0) {
		/* The guard: the partial unique index refuses a second
		 * active appointment of the slot (EEXIST). */
		if ((err = sq_bindf(s->w, &st,
		         "INSERT INTO appointments(id, slot, patient, node,"
		         " status, answer, created_ms, updated_ms)"
		         " VALUES(?1, ?2, ?3, ?4, 'booked', 'booked', ?5, ?5)",
		         "xixii", b->id, b->slot, b->patient, b->node,
		         b->now_ms)) != 0)
			return err;
		err = sq_done(s->w, st, "book", NULL);
		if (err == 0)
			outcome = SBOOK_BOOKED;
		else if (err == EEXIST)
			outcome = SBOOK_TAKEN;
		else
			return err;
	}
	r->outcome = outcome;
	if (outcome == SBOOK_TAKEN) {
		if ((err = sq_bindf(s->w, &st,
		         "INSERT INTO appointments(id, slot, patient, node,"
		         " status, answer, created_ms, updated_ms, reason)"
		         " VALUES(?1, ?2, ?3, ?4, 'refused', 'taken', ?5, ?5,"
		         " 'slot_taken')",
		         "xixii", b->id, b->slot, b->patient, b->node,
		         b->now_ms)) != 0 ||
		    (err = sq_done(s->w, st, "book refused", NULL)) != 0 ||
		    (err = sq_audit(s, b->id, b->now_ms, "proposed", "refused",
		         "slot_taken")) != 0)
			return err;
		return sq_book_alts(s, &r->slot, b->now_ms, r);
	}
	if ((err = sq_audit(s, b->id, b->now_ms, "proposed", "booked",
	         b->has_entry ? "waitlist offer" : "request")) != 0 ||
	    (err = sq_bindf(s->w, &st,
	         "UPDATE slots SET status = 'busy' WHERE id = ?", "i",
	         b->slot)) != 0 ||
	    (err = sq_done(s->w, st, "slot busy", NULL)) != 0 ||
	    (err = sq_bindf(s->w, &st, "DELETE FROM slot_offers WHERE slot = ?",
	         "i", b->slot)) != 0 ||
	    (err = sq_done(s->w, st, "offer done", NULL)) != 0)
		return err;
	if (b->has_entry &&
	    ((err = sq_bindf(s->w, &st,
	          "UPDATE waitlist SET status = 'booked' WHERE id = ?", "x",
	          b->entry)) != 0 ||
	        (err = sq_done(s->w, st, "waitlist booked", NULL)) != 0))
		return err;
	if (b->has_replaces) {
		err = sq_cancel_in(
		    s, b->replaces, b->node, "rescheduled", b->now_ms);
		/* The old one must go with the new one, or neither. */
		if (err != 0)
			return err == EIO ? EIO : EXDEV;
	}
	return 0;
}

static int
sq_appt_book(struct sstore *s, const struct sbook *b, struct sbook_result *r)
{
	struct sq_book a = { b, r };
	struct sq_job job = { sq_book_job, &a, 0, 0, NULL };

	if (b->slot > INT64_MAX || b->now_ms > INT64_MAX)
		return EINVAL;
	return sq_group_run(s, &job);
}

struct sq_cancel {
	const uint8_t *id;
	uint64_t node, now;
	const char *why;
};

static int
sq_cancel_job(struct sstore *s, void *arg)
{
	struct sq_cancel *c = arg;

	return sq_cancel_in(s, c->id, c->node, c->why, c->now);
}

static int
sq_appt_cancel(struct sstore *s, const uint8_t id[16], uint64_t node,
    const char *why, uint64_t now_ms)
{
	struct sq_cancel c = { id, node, now_ms, why };
	struct sq_job job = { sq_cancel_job, &c, 0, 0, NULL };

	return sq_group_run(s, &job);
}

struct sq_checkin {
	const uint8_t *id;
	const char *by;
	uint64_t at, now;
};

static int
sq_checkin_job(struct sstore *s, void *arg)
{
	struct sq_checkin *c = arg;
	sqlite3_stmt *st = NULL;
	char status[24] = "";
	int rc, err;

	if ((err = sq_bindf(s->w, &st,
	         "SELECT status FROM appointments WHERE id = ?", "x", c->id)) !=
	    0)
		return err;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		str_lcpy(status, sq_text(st, 0), sizeof(status));
	else
		err = rc == SQLITE_DONE ? ENOENT : sq_err(s->w, rc, "checkin");
	sqlite3_finalize(st);
	if (err != 0)
		return err;
	if (strcmp(status, "checked-in") == 0)
		return 0; /* evidence again: the first one stands */
	if (strcmp(status, "booked") != 0 &&
	    strcmp(status, "noshow-provisional") != 0 &&
	    strcmp(status, "noshow") != 0)
		return EALREADY;
	if ((err = sq_bindf(s->w, &st,
	         "UPDATE appointments SET status = 'checked-in', checkin_ms = ?,"
	         " checkin_by = ?, updated_ms = ? WHERE id = ?",
	         "itix", c->at, c->by, c->now, c->id)) != 0 ||
	    (err = sq_done(s->w, st, "checkin", NULL)) != 0)
		return err;
	return sq_audit(s, c->id, c->now, status, "checked-in",
	    strcmp(status, "booked") == 0 ? "check-in evidence"
	                                  : "late check-in evidence");
}

static int
sq_appt_checkin(struct sstore *s, const uint8_t id[16], const char *by,
    uint64_t at_ms, uint64_t now_ms)
{
	struct sq_checkin c = { id, by, at_ms, now_ms };
	struct sq_job job = { sq_checkin_job, &c, 0, 0, NULL };

	return sq_group_run(s, &job);
}

struct sq_sweep {
	uint64_t now, grace, changed;
};

/* A node's sync proves a window complete when its last push came after
 * the window's end and acknowledged the whole outbox it reported. */
#define SQ_NODE_COMPLETE(end)                                                  \
	"(SELECT n.last_push_ms >= " end " AND n.hw >= n.outbox_last"          \
	" FROM nodes n WHERE n.id = a.node)"

static int
sq_sweep_job(struct sstore *s, void *arg)
{
	struct sq_sweep *w = arg;
	sqlite3_stmt *st = NULL;
	struct {
		uint8_t id[16];
		char from[24], to[24];
	} *v = NULL;
	size_t n = 0, i;
	int rc, err, fin;

	w->changed = 0;
	if ((err = sq_bindf(s->w, &st,
	         "SELECT a.id, a.status, coalesce(" SQ_NODE_COMPLETE(
	             "s.end_ms + ?2") ", 0)"
	                              " FROM appointments a JOIN slots s ON s.id = a.slot"
	                              " WHERE a.status IN ('booked', 'noshow-provisional')"
	                              " AND s.end_ms + ?2 <= ?1",
	         "ii", w->now, w->grace)) != 0)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		fin = sqlite3_column_int(st, 2);
		if (strcmp(sq_text(st, 1), "noshow-provisional") == 0 && !fin)
			continue;
		v = xreallocarray(v, n + 1, sizeof(*v));
		memcpy(v[n].id, sqlite3_column_blob(st, 0), 16);
		str_lcpy(v[n].from, sq_text(st, 1), sizeof(v[n].from));
		str_lcpy(v[n].to, fin ? "noshow" : "noshow-provisional",
		    sizeof(v[n].to));
		n++;
	}
	if (rc != SQLITE_DONE)
		err = sq_err(s->w, rc, "sweep");
	sqlite3_finalize(st);
	for (i = 0; i < n && err == 0; i++) {
		if ((err = sq_bindf(s->w, &st,
		         "UPDATE appointments SET status = ?, updated_ms = ?"
		         " WHERE id = ?",
		         "tix", v[i].to, w->now, v[i].id)) != 0 ||
		    (err = sq_done(s->w, st, "sweep", NULL)) != 0)
			break;
		err = sq_audit(s, v[i].id, w->now, v[i].from, v[i].to,
		    strcmp(v[i].to, "noshow") == 0
		        ? "no check-in; the kiosk's sync covers the slot"
		        : "no check-in yet; the kiosk has not synced since");
		w->changed++;
	}
	free(v);
	return err;
}

static int
sq_appt_sweep(
    struct sstore *s, uint64_t now_ms, uint64_t grace_ms, uint64_t *changed)
{
	struct sq_sweep w = { now_ms, grace_ms, 0 };
	struct sq_job job = { sq_sweep_job, &w, 0, 0, NULL };
	int err;

	if ((err = sq_group_run(s, &job)) == 0 && changed != NULL)
		*changed = w.changed;
	return err;
}

static int
sq_one_u64(struct sstore *s, const char *sql, const char *fmt,
    const uint8_t *id, uint64_t *out)
{
	struct sq_reader *r = sq_reader_get(s);
	sqlite3_stmt *st = NULL;
	int rc, err;

	if ((err = sq_bindf(r->db, &st, sql, fmt, id)) == 0) {
		if ((rc = sqlite3_step(st)) == SQLITE_ROW)
			*out = (uint64_t)sqlite3_column_int64(st, 0);
		else
			err = sq_err(r->db, rc, "count");
	}
	sqlite3_finalize(st);
	sq_reader_put(r);
	return err;
}

static int
sq_appt_invariant(struct sstore *s, uint64_t *doubled)
{
	return sq_one_u64(s,
	    "SELECT count(*) FROM (SELECT slot FROM appointments"
	    " WHERE status IN " SQ_ACTIVE " GROUP BY slot HAVING count(*) > 1)",
	    "", NULL, doubled);
}

static int
sq_appt_audits(struct sstore *s, const uint8_t id[16], uint64_t *n)
{
	return sq_one_u64(
	    s, "SELECT count(*) FROM appt_events WHERE appt = ?", "x", id, n);
}

static int
sq_patient_in_scope(struct sstore *s, const char *region, const char *facility,
    const uint8_t patient[16], int *yes)
{
	struct sq_reader *r = sq_reader_get(s);
	sqlite3_stmt *st = NULL;
	int rc, err;

	*yes = 0;
	if ((err = sq_bindf(r->db, &st,
	         "SELECT 1 FROM scope WHERE region = ? AND patient = ?"
	         " AND facility = ?",
	         "txt", region, patient, facility)) == 0) {
		if ((rc = sqlite3_step(st)) == SQLITE_ROW)
			*yes = 1;
		else if (rc != SQLITE_DONE)
			err = sq_err(r->db, rc, "scope");
	}
	sqlite3_finalize(st);
	sq_reader_put(r);
	return err;
}

static int
sq_appt_status(struct sstore *s, const uint8_t id[16], char *status,
    size_t size, uint64_t *slot)
{
	struct sq_reader *r = sq_reader_get(s);
	sqlite3_stmt *st = NULL;
	int rc, err;

	if ((err = sq_bindf(r->db, &st,
	         "SELECT status, slot FROM appointments WHERE id = ?", "x",
	         id)) == 0) {
		if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			str_lcpy(status, sq_text(st, 0), size);
			if (slot != NULL)
				*slot = (uint64_t)sqlite3_column_int64(st, 1);
		} else
			err = rc == SQLITE_DONE ? ENOENT
			                        : sq_err(r->db, rc, "status");
	}
	sqlite3_finalize(st);
	sq_reader_put(r);
	return err;
}

static int
sq_wait_add(struct sstore *s, const struct swait *w)
{
	sqlite3_stmt *st = NULL;
	int err;

	pthread_mutex_lock(&s->wmu);
	if ((err = sq_bindf(s->w, &st,
	         "INSERT OR IGNORE INTO waitlist(id, patient, region, service,"
	         " urgency, listed_ms, recommended_ms, lang, modality,"
	         " clinician) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	         "xxttiiittt", w->id, w->patient, w->region, w->service,
	         (uint64_t)w->urgency, w->listed_ms, w->recommended_ms, w->lang,
	         w->modality, w->clinician)) == 0)
		err = sq_done(s->w, st, "waitlist add", NULL);
	pthread_mutex_unlock(&s->wmu);
	return err;
}

struct sq_offer {
	uint64_t slot, now, expires;
	size_t (*rank_cb)(const struct swait *, size_t, const struct ssched *,
	    const struct sslot *, size_t *, void *);
	void *arg;
	struct soffer *out;
};

/* Drop SLOT's offers expired at NOW (or ENTRY's, declined): the entry
 * waits again and never gets this slot again. */
static int
sq_offer_drop(
    struct sstore *s, uint64_t slot, const uint8_t *entry, uint64_t now)
{
	sqlite3_stmt *st = NULL;
	const char *cond = entry != NULL ? "entry = ?2" : "expires_ms <= ?2";
	char sql[512];
	int err;

	snprintf(sql, sizeof(sql),
	    "INSERT OR IGNORE INTO offer_passed(slot, entry) SELECT slot, entry"
	    " FROM slot_offers WHERE slot = ?1 AND %s",
	    cond);
	if ((err = entry ? sq_bindf(s->w, &st, sql, "ix", slot, entry)
	                 : sq_bindf(s->w, &st, sql, "ii", slot, now)) != 0 ||
	    (err = sq_done(s->w, st, "offer passed", NULL)) != 0)
		return err;
	snprintf(sql, sizeof(sql),
	    "UPDATE waitlist SET status = 'waiting', offers = offers + 1"
	    " WHERE id IN (SELECT entry FROM slot_offers WHERE slot = ?1"
	    " AND %s)",
	    cond);
	if ((err = entry ? sq_bindf(s->w, &st, sql, "ix", slot, entry)
	                 : sq_bindf(s->w, &st, sql, "ii", slot, now)) != 0 ||
	    (err = sq_done(s->w, st, "offer passed", NULL)) != 0)
		return err;
	snprintf(sql, sizeof(sql),
	    "DELETE FROM slot_offers WHERE slot = ?1 AND %s", cond);
	if ((err = entry ? sq_bindf(s->w, &st, sql, "ix", slot, entry)
	                 : sq_bindf(s->w, &st, sql, "ii", slot, now)) != 0)
		return err;
	return sq_done(s->w, st, "offer drop", NULL);
}

static int
sq_offer_job(struct sstore *s, void *arg)
{
	struct sq_offer *o = arg;
	sqlite3_stmt *st = NULL;
	struct swait *v = NULL;
	struct ssched d;
	struct sslot slot;
	size_t n = 0, *order = NULL, k;
	int rc, err;

	if ((err = sq_offer_drop(s, o->slot, NULL, o->now)) != 0 ||
	    (err = sq_slot_get(s, o->slot, &slot)) != 0)
		return err;
	/* The live offer, if any. */
	if ((err = sq_bindf(s->w, &st,
	         "SELECT entry, offered_ms, expires_ms FROM slot_offers"
	         " WHERE slot = ?",
	         "i", o->slot)) != 0)
		return err;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		o->out->slot = o->slot;
		memcpy(o->out->entry, sqlite3_column_blob(st, 0), 16);
		o->out->offered_ms = (uint64_t)sqlite3_column_int64(st, 1);
		o->out->expires_ms = (uint64_t)sqlite3_column_int64(st, 2);
		sqlite3_finalize(st);
		return 0;
	}
	sqlite3_finalize(st);
	if (strcmp(slot.status, "free") != 0)
		return ENOENT;
	memset(&d, 0, sizeof(d));
	if ((err = sq_bindf(s->w, &st,
	         "SELECT clinician, facility, region, service, modalities,"
	         " langs FROM schedules WHERE id = ?",
	         "i", slot.schedule)) != 0)
		return err;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		d.id = slot.schedule;
		str_lcpy(d.clinician, sq_text(st, 0), sizeof(d.clinician));
		str_lcpy(d.facility, sq_text(st, 1), sizeof(d.facility));
		str_lcpy(d.region, sq_text(st, 2), sizeof(d.region));
		str_lcpy(d.service, sq_text(st, 3), sizeof(d.service));
		str_lcpy(d.modalities, sq_text(st, 4), sizeof(d.modalities));
		str_lcpy(d.langs, sq_text(st, 5), sizeof(d.langs));
	} else
		err = rc == SQLITE_DONE ? ENOENT : sq_err(s->w, rc, "offer");
	sqlite3_finalize(st);
	if (err != 0)
		return err;
	if ((err = sq_bindf(s->w, &st,
	         "SELECT id, patient, urgency, listed_ms, recommended_ms, lang,"
	         " modality, clinician FROM waitlist w WHERE region = ?"
	         " AND service = ? AND status = 'waiting' AND NOT EXISTS"
	         " (SELECT 1 FROM offer_passed p WHERE p.slot = ? AND"
	         " p.entry = w.id)",
	         "tti", d.region, d.service, o->slot)) != 0)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct swait *w;

		v = xreallocarray(v, n + 1, sizeof(*v));
		w = &v[n++];
		memset(w, 0, sizeof(*w));
		memcpy(w->id, sqlite3_column_blob(st, 0), 16);
		memcpy(w->patient, sqlite3_column_blob(st, 1), 16);
		str_lcpy(w->region, d.region, sizeof(w->region));
		str_lcpy(w->service, d.service, sizeof(w->service));
		w->urgency = sqlite3_column_int(st, 2);
		w->listed_ms = (uint64_t)sqlite3_column_int64(st, 3);
		w->recommended_ms = (uint64_t)sqlite3_column_int64(st, 4);
		str_lcpy(w->lang, sq_text(st, 5), sizeof(w->lang));
		str_lcpy(w->modality, sq_text(st, 6), sizeof(w->modality));
		str_lcpy(w->clinician, sq_text(st, 7), sizeof(w->clinician));
	}
	if (rc != SQLITE_DONE)
		err = sq_err(s->w, rc, "waitlist");
	sqlite3_finalize(st);
	if (err != 0)
		goto out;
	order = xcalloc(n ? n : 1, sizeof(*order));
	k = n ? o->rank_cb(v, n, &d, &slot, order, o->arg) : 0;
	if (k == 0) {
		err = ENOENT;
		goto out;
	}
	o->out->slot = o->slot;
	memcpy(o->out->entry, v[order[0]].id, 16);
	o->out->offered_ms = o->now;
	o->out->expires_ms = o->expires;
	if ((err = sq_bindf(s->w, &st,
	         "INSERT INTO slot_offers(slot, entry, offered_ms, expires_ms)"
	         " VALUES(?, ?, ?, ?)",
	         "ixii", o->slot, o->out->entry, o->now, o->expires)) != 0 ||
	    (err = sq_done(s->w, st, "offer", NULL)) != 0 ||
	    (err = sq_bindf(s->w, &st,
	         "UPDATE waitlist SET status = 'offered' WHERE id = ?", "x",
	         o->out->entry)) != 0 ||
	    (err = sq_done(s->w, st, "offer", NULL)) != 0)
		goto out;
out:
	free(order);
	free(v);
	return err;
}

static int
sq_wait_offer(struct sstore *s, uint64_t slot, uint64_t now_ms,
    uint64_t expires_ms,
    size_t (*rank_cb)(const struct swait *, size_t, const struct ssched *,
        const struct sslot *, size_t *, void *),
    void *arg, struct soffer *out)
{
	struct sq_offer o = { slot, now_ms, expires_ms, rank_cb, arg, out };
	struct sq_job job = { sq_offer_job, &o, 0, 0, NULL };

	memset(out, 0, sizeof(*out));
	return sq_group_run(s, &job);
}

struct sq_decline {
	uint64_t slot, now;
	const uint8_t *entry;
};

static int
sq_decline_job(struct sstore *s, void *arg)
{
	struct sq_decline *d = arg;
	int err, changed = 0;
	sqlite3_stmt *st = NULL;

	if ((err = sq_bindf(s->w, &st,
	         "SELECT 1 FROM slot_offers WHERE slot = ? AND entry = ?"
	         " AND expires_ms > ?",
	         "ixi", d->slot, d->entry, d->now)) != 0)
		return err;
	changed = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	if (!changed)
		return ENOENT;
	return sq_offer_drop(s, d->slot, d->entry, d->now);
}

static int
sq_wait_decline(
    struct sstore *s, uint64_t slot, const uint8_t entry[16], uint64_t now_ms)
{
	struct sq_decline d = { slot, now_ms, entry };
	struct sq_job job = { sq_decline_job, &d, 0, 0, NULL };

	return sq_group_run(s, &job);
}

/* --- the waitlist's own routes (issue 15, POST /v1/waitlist) ----------- */

static int
sq_wait_get(struct sstore *s, const uint8_t id[16], struct swait_state *o)
{
	struct sq_reader *r = sq_reader_get(s);
	sqlite3_stmt *st = NULL;
	const void *b;
	int rc, err;

	memset(o, 0, sizeof(*o));
	if ((err = sq_bindf(r->db, &st,
	         "SELECT w.patient, w.region, w.service, w.urgency,"
	         " w.listed_ms, w.recommended_ms, w.lang, w.modality,"
	         " w.clinician, w.status, w.offers, o.slot, o.offered_ms,"
	         " o.expires_ms, s.start_ms, s.end_ms FROM waitlist w"
	         " LEFT JOIN slot_offers o ON o.entry = w.id"
	         " LEFT JOIN slots s ON s.id = o.slot WHERE w.id = ?",
	         "x", id)) == 0) {
		if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			memcpy(o->w.id, id, 16);
			if ((b = sqlite3_column_blob(st, 0)) != NULL &&
			    sqlite3_column_bytes(st, 0) == 16)
				memcpy(o->w.patient, b, 16);
			str_lcpy(
			    o->w.region, sq_text(st, 1), sizeof(o->w.region));
			str_lcpy(
			    o->w.service, sq_text(st, 2), sizeof(o->w.service));
			o->w.urgency = sqlite3_column_int(st, 3);
			o->w.listed_ms = (uint64_t)sqlite3_column_int64(st, 4);
			o->w.recommended_ms =
			    (uint64_t)sqlite3_column_int64(st, 5);
			str_lcpy(o->w.lang, sq_text(st, 6), sizeof(o->w.lang));
			str_lcpy(o->w.modality, sq_text(st, 7),
			    sizeof(o->w.modality));
			str_lcpy(o->w.clinician, sq_text(st, 8),
			    sizeof(o->w.clinician));
			str_lcpy(o->status, sq_text(st, 9), sizeof(o->status));
			o->offers = (uint64_t)sqlite3_column_int64(st, 10);
			if (sqlite3_column_type(st, 11) != SQLITE_NULL) {
				o->offer.slot =
				    (uint64_t)sqlite3_column_int64(st, 11);
				memcpy(o->offer.entry, id, 16);
				o->offer.offered_ms =
				    (uint64_t)sqlite3_column_int64(st, 12);
				o->offer.expires_ms =
				    (uint64_t)sqlite3_column_int64(st, 13);
				o->start_ms =
				    (uint64_t)sqlite3_column_int64(st, 14);
				o->end_ms =
				    (uint64_t)sqlite3_column_int64(st, 15);
			}
		} else
			err = rc == SQLITE_DONE ? ENOENT
			                        : sq_err(r->db, rc, "waitlist");
	}
	sqlite3_finalize(st);
	sq_reader_put(r);
	return err;
}

struct sq_wremove {
	const uint8_t *id;
	uint64_t now, slot;
};

static int
sq_wremove_job(struct sstore *s, void *arg)
{
	struct sq_wremove *x = arg;
	sqlite3_stmt *st = NULL;
	char status[16] = "";
	int rc, err;

	if ((err = sq_bindf(s->w, &st,
	         "SELECT w.status, coalesce(o.slot, 0) FROM waitlist w"
	         " LEFT JOIN slot_offers o ON o.entry = w.id WHERE w.id = ?",
	         "x", x->id)) != 0)
		return err;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		str_lcpy(status, sq_text(st, 0), sizeof(status));
		x->slot = (uint64_t)sqlite3_column_int64(st, 1);
	} else
		err = rc == SQLITE_DONE ? ENOENT : sq_err(s->w, rc, "waitlist");
	sqlite3_finalize(st);
	if (err != 0)
		return err;
	if (strcmp(status, "waiting") != 0 && strcmp(status, "offered") != 0)
		return EALREADY;
	if (x->slot != 0 &&
	    (err = sq_offer_drop(s, x->slot, x->id, x->now)) != 0)
		return err;
	if ((err = sq_bindf(s->w, &st,
	         "UPDATE waitlist SET status = 'removed' WHERE id = ?", "x",
	         x->id)) != 0)
		return err;
	return sq_done(s->w, st, "waitlist remove", NULL);
}

static int
sq_wait_remove(
    struct sstore *s, const uint8_t id[16], uint64_t now_ms, uint64_t *slot)
{
	struct sq_wremove x = { id, now_ms, 0 };
	struct sq_job job = { sq_wremove_job, &x, 0, 0, NULL };
	int err;

	*slot = 0;
	if ((err = sq_group_run(s, &job)) == 0)
		*slot = x.slot;
	return err;
}

struct sq_wsweep {
	uint64_t now;
	struct sslot *v;
	size_t n;
};

static int
sq_wsweep_job(struct sstore *s, void *arg)
{
	struct sq_wsweep *x = arg;
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc, err;

	if ((err = sq_bindf(s->w, &st,
	         "UPDATE waitlist SET status = 'expired' WHERE status ="
	         " 'waiting' AND listed_ms + 2 * recommended_ms <= ?",
	         "i", x->now)) != 0 ||
	    (err = sq_done(s->w, st, "waitlist expire", NULL)) != 0)
		return err;
	if ((err = sq_bindf(s->w, &st,
	         "SELECT " SQ_SLOT_COLS " FROM slots s WHERE s.id IN"
	         " (SELECT slot FROM slot_offers WHERE expires_ms <= ?)"
	         " ORDER BY s.id",
	         "i", x->now)) != 0)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		x->v = xreallocarray(x->v, x->n + 1, sizeof(*x->v));
		sq_slot_row(st, 0, &x->v[x->n++]);
	}
	if (rc != SQLITE_DONE)
		err = sq_err(s->w, rc, "offers due");
	sqlite3_finalize(st);
	for (i = 0; err == 0 && i < x->n; i++)
		err = sq_offer_drop(s, x->v[i].id, NULL, x->now);
	return err;
}

static int
sq_wait_sweep(struct sstore *s, uint64_t now_ms, struct sslot **out, size_t *n)
{
	struct sq_wsweep x = { now_ms, NULL, 0 };
	struct sq_job job = { sq_wsweep_job, &x, 0, 0, NULL };
	int err;

	*out = NULL;
	*n = 0;
	if ((err = sq_group_run(s, &job)) != 0) {
		free(x.v);
		return err;
	}
	*out = x.v;
	*n = x.n;
	return 0;
}

/* Emergencies (issue 16, backend.h): few rows, on the writer.  No UPSERT
 * in SQLCipher 3.4: insert or ignore, then merge (emerg_sql.h). */
static void
sq_bind_u64(sqlite3_stmt *st, const char *name, uint64_t v)
{
	int i = sqlite3_bind_parameter_index(st, name);

	if (i > 0)
		sqlite3_bind_int64(st, i, (sqlite3_int64)v);
}

static void
sq_bind_str(sqlite3_stmt *st, const char *name, const char *v)
{
	int i = sqlite3_bind_parameter_index(st, name);

	if (i > 0)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

static void
sq_bind_blob(sqlite3_stmt *st, const char *name, const void *v, size_t n)
{
	int i = sqlite3_bind_parameter_index(st, name);

	if (i > 0 && v != NULL)
		sqlite3_bind_blob(st, i, v, (int)n, SQLITE_STATIC);
	else if (i > 0)
		sqlite3_bind_null(st, i);
}

static void
sq_emerg_bind(sqlite3_stmt *st, const struct semerg *e)
{
	sq_bind_blob(st, ":id", e->id, 16);
	sq_bind_str(st, ":code", e->code);
	sq_bind_u64(st, ":node", e->node);
	sq_bind_str(st, ":state", e->state);
	sq_bind_u64(st, ":level", e->level);
	sq_bind_u64(st, ":loop", e->loop);
	sq_bind_str(st, ":modem", e->modem);
	sq_bind_u64(st, ":hlc", e->hlc);
	sq_bind_u64(st, ":raised_ms", e->raised_ms);
	sq_bind_u64(st, ":first_send_ms", e->first_send_ms);
	sq_bind_u64(st, ":first_delivery_ms", e->first_delivery_ms);
	sq_bind_u64(st, ":acked_ms", e->acked_ms);
	sq_bind_u64(st, ":arrived_ms", e->arrived_ms);
	sq_bind_u64(st, ":ended_ms", e->ended_ms);
	sq_bind_str(st, ":acked_by", e->acked_by);
	sq_bind_u64(st, ":eta_min", e->eta_min);
	sq_bind_blob(st, ":eng", e->eng_len ? e->eng : NULL, e->eng_len);
	sq_bind_u64(st, ":updated_ms", e->updated_ms);
	sq_bind_str(st, ":page", e->page);
}

static int
sq_emerg_upsert(struct sstore *s, const struct semerg *e, int *created)
{
	sqlite3_stmt *st = NULL;
	int rc, err, fresh = 0;

	pthread_mutex_lock(&s->wmu);
	if ((err = sq_exec(s->w, "BEGIN IMMEDIATE")) != 0)
		goto out;
	if ((err = sq_prepare(s->w, EMERG_SQ_INSERT, &st)) != 0)
		goto done;
	sq_emerg_bind(st, e);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
		err = sq_err(s->w, rc, "emergency insert");
		goto done;
	}
	fresh = sqlite3_changes(s->w) == 1;
	sqlite3_finalize(st);
	st = NULL;
	if (fresh)
		goto done;
	if ((err = sq_prepare(s->w, EMERG_SQ_UPDATE, &st)) != 0)
		goto done;
	sq_emerg_bind(st, e);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		err = sq_err(s->w, rc, "emergency update");
done:
	if (err == 0)
		err = sq_exec(s->w, "COMMIT");
	if (err != 0)
		(void)sqlite3_exec(s->w, "ROLLBACK", NULL, NULL, NULL);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->wmu);
	if (err == 0 && created != NULL)
		*created = fresh;
	return err;
}

static void
sq_emerg_row(sqlite3_stmt *st, struct semerg *e)
{
	const void *b;
	size_t n;

	memset(e, 0, sizeof(*e));
	if ((b = sqlite3_column_blob(st, 0)) != NULL &&
	    sqlite3_column_bytes(st, 0) == 16)
		memcpy(e->id, b, 16);
	sq_col_text(st, 1, e->code, sizeof(e->code));
	e->node = (uint64_t)sqlite3_column_int64(st, 2);
	sq_col_text(st, 3, e->state, sizeof(e->state));
	e->level = (uint64_t)sqlite3_column_int64(st, 4);
	e->loop = (uint64_t)sqlite3_column_int64(st, 5);
	sq_col_text(st, 6, e->modem, sizeof(e->modem));
	e->hlc = (uint64_t)sqlite3_column_int64(st, 7);
	e->raised_ms = (uint64_t)sqlite3_column_int64(st, 8);
	e->first_send_ms = (uint64_t)sqlite3_column_int64(st, 9);
	e->first_delivery_ms = (uint64_t)sqlite3_column_int64(st, 10);
	e->acked_ms = (uint64_t)sqlite3_column_int64(st, 11);
	e->arrived_ms = (uint64_t)sqlite3_column_int64(st, 12);
	e->ended_ms = (uint64_t)sqlite3_column_int64(st, 13);
	sq_col_text(st, 14, e->acked_by, sizeof(e->acked_by));
	e->eta_min = (uint64_t)sqlite3_column_int64(st, 15);
	n = (size_t)sqlite3_column_bytes(st, 16);
	if ((b = sqlite3_column_blob(st, 16)) != NULL && n <= sizeof(e->eng)) {
		memcpy(e->eng, b, n);
		e->eng_len = n;
	}
	e->updated_ms = (uint64_t)sqlite3_column_int64(st, 17);
	sq_col_text(st, 18, e->page, sizeof(e->page));
}

static int
sq_emerg_list(struct sstore *s, const uint8_t *id, int open, uint64_t since_ms,
    int (*cb)(const struct semerg *, void *), void *arg)
{
	sqlite3_stmt *st = NULL;
	struct semerg *e = xcalloc(1, sizeof(*e));
	int rc, err;

	pthread_mutex_lock(&s->wmu);
	if ((err = sq_prepare(s->w,
	         id != NULL ? EMERG_SQL_GET
	                    : (open ? EMERG_SQL_OPEN : EMERG_SQL_SINCE),
	         &st)) != 0)
		goto out;
	if (id != NULL)
		sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
	else if (!open)
		sqlite3_bind_int64(st, 1, (sqlite3_int64)since_ms);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sq_emerg_row(st, e);
		if (open && since_ms > e->raised_ms)
			continue;
		if ((err = cb(e, arg)) != 0)
			goto out;
	}
	if (rc != SQLITE_DONE)
		err = sq_err(s->w, rc, "emergency list");
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->wmu);
	free(e);
	return err;
}

static void
sq_emerg_page_bind(sqlite3_stmt *st, const struct semerg_page *p)
{
	sq_bind_blob(st, ":incident", p->incident, 16);
	sq_bind_u64(st, ":loop", p->loop);
	sq_bind_u64(st, ":level", p->level);
	sq_bind_str(st, ":rcpt", p->rcpt);
	sq_bind_str(st, ":channel", p->channel);
	sq_bind_str(st, ":status", p->status);
	sq_bind_u64(st, ":attempt", p->attempt);
	sq_bind_str(st, ":ext_id", p->ext_id);
	sq_bind_u64(st, ":at_ms", p->at_ms);
	sq_bind_u64(st, ":updated_ms", p->updated_ms);
}

static int
sq_emerg_page_put(struct sstore *s, const struct semerg_page *p, int claim)
{
	sqlite3_stmt *st = NULL;
	int rc, err;

	pthread_mutex_lock(&s->wmu);
	if ((err = sq_exec(s->w, "BEGIN IMMEDIATE")) != 0)
		goto out;
	if ((err = sq_prepare(s->w, EMERG_SQ_PAGE_INSERT, &st)) != 0)
		goto done;
	sq_emerg_page_bind(st, p);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
		err = sq_err(s->w, rc, "emergency page");
		goto done;
	}
	if (sqlite3_changes(s->w) == 1)
		goto done;
	if (claim) {
		err = EEXIST;
		goto done;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((err = sq_prepare(s->w, EMERG_SQ_PAGE_UPDATE, &st)) != 0)
		goto done;
	sq_emerg_page_bind(st, p);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		err = sq_err(s->w, rc, "emergency page update");
done:
	if (err == 0)
		err = sq_exec(s->w, "COMMIT");
	if (err != 0)
		(void)sqlite3_exec(s->w, "ROLLBACK", NULL, NULL, NULL);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->wmu);
	return err;
}

static int
sq_emerg_pages(struct sstore *s, const uint8_t *id, const char *ext,
    int (*cb)(const struct semerg_page *, void *), void *arg)
{
	sqlite3_stmt *st = NULL;
	struct semerg_page p;
	const void *b;
	int rc, err;

	pthread_mutex_lock(&s->wmu);
	if ((err = sq_prepare(s->w,
	         id != NULL ? EMERG_SQL_PAGES_OF : EMERG_SQL_PAGES_EXT, &st)))
		goto out;
	if (id != NULL)
		sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
	else
		sqlite3_bind_text(st, 1, ext ? ext : "", -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&p, 0, sizeof(p));
		if ((b = sqlite3_column_blob(st, 0)) != NULL &&
		    sqlite3_column_bytes(st, 0) == 16)
			memcpy(p.incident, b, 16);
		p.loop = (uint64_t)sqlite3_column_int64(st, 1);
		p.level = (uint64_t)sqlite3_column_int64(st, 2);
		sq_col_text(st, 3, p.rcpt, sizeof(p.rcpt));
		sq_col_text(st, 4, p.channel, sizeof(p.channel));
		sq_col_text(st, 5, p.status, sizeof(p.status));
		p.attempt = (uint64_t)sqlite3_column_int64(st, 6);
		sq_col_text(st, 7, p.ext_id, sizeof(p.ext_id));
		p.at_ms = (uint64_t)sqlite3_column_int64(st, 8);
		p.updated_ms = (uint64_t)sqlite3_column_int64(st, 9);
		if ((err = cb(&p, arg)) != 0)
			goto out;
	}
	if (rc != SQLITE_DONE)
		err = sq_err(s->w, rc, "emergency pages");
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->wmu);
	return err;
}

static int
sq_emerg_reply_add(struct sstore *s, const struct semerg_reply *r)
{
	static const uint8_t zero[16];
	sqlite3_stmt *st = NULL;
	int rc, err;

	pthread_mutex_lock(&s->wmu);
	if ((err = sq_prepare(s->w, EMERG_SQ_REPLY_ADD, &st)) != 0)
		goto out;
	sqlite3_bind_text(st, 1, r->ext_id, -1, SQLITE_STATIC);
	if (memcmp(r->incident, zero, 16) != 0)
		sqlite3_bind_blob(st, 2, r->incident, 16, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_text(st, 3, r->from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, r->text, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, r->kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)r->counted);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)r->at_ms);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		err = sq_err(s->w, rc, "emergency reply");
	else if (sqlite3_changes(s->w) == 0)
		err = EEXIST;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->wmu);
	return err;
}

/* --- partners (issue 16) ---------------------------------------------- */

static int
sq_partner_add(struct sstore *s, struct spartner *p)
{
	sqlite3_stmt *st = NULL;
	int rc, err;

	pthread_mutex_lock(&s->wmu);
	if ((err = sq_prepare(s->w, PARTNER_SQ_ADD, &st)) != 0)
		goto out;
	sqlite3_bind_text(st, 1, p->region, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, p->url, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, p->format, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, p->secret, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)p->added_ms);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		err = sq_err(s->w, rc, "partner add");
	else if (sqlite3_changes(s->w) == 0)
		err = EEXIST;
	else
		p->id = (uint64_t)sqlite3_last_insert_rowid(s->w);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->wmu);
	return err;
}

static int
sq_partner_list(struct sstore *s, const char *region,
    int (*cb)(const struct spartner *, void *), void *arg)
{
	sqlite3_stmt *st = NULL;
	struct spartner p;
	int rc, err;

	pthread_mutex_lock(&s->wmu);
	if ((err = sq_prepare(s->w, PARTNER_SQL_LIST, &st)) != 0)
		goto out;
	sqlite3_bind_text(st, 1, region ? region : "", -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&p, 0, sizeof(p));
		p.id = (uint64_t)sqlite3_column_int64(st, 0);
		sq_col_text(st, 1, p.region, sizeof(p.region));
		sq_col_text(st, 2, p.url, sizeof(p.url));
		sq_col_text(st, 3, p.format, sizeof(p.format));
		sq_col_text(st, 4, p.secret, sizeof(p.secret));
		p.added_ms = (uint64_t)sqlite3_column_int64(st, 5);
		if ((err = cb(&p, arg)) != 0)
			goto out;
	}
	if (rc != SQLITE_DONE)
		err = sq_err(s->w, rc, "partner list");
out:
	explicit_bzero(&p, sizeof(p));
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->wmu);
	return err;
}

static int
sq_pq_add(struct sstore *s, const struct spq *q)
{
	sqlite3_stmt *st = NULL;
	int rc, err;

	pthread_mutex_lock(&s->wmu);
	if ((err = sq_prepare(s->w, PQ_SQ_ADD, &st)) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)q->partner);
	sqlite3_bind_blob(st, 2, q->incident, 16, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)q->seq);
	sqlite3_bind_text(st, 4, q->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, q->status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)q->attempts);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)q->next_ms);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)q->created_ms);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)q->updated_ms);
	sqlite3_bind_text(st, 10, q->last_error, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, q->body ? q->body : "", -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		err = sq_err(s->w, rc, "partner queue add");
	else if (sqlite3_changes(s->w) == 0)
		err = EEXIST;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->wmu);
	return err;
}

static int
sq_pq_list(struct sstore *s, const uint8_t *incident, uint64_t due_ms,
    int (*cb)(const struct spq *, void *), void *arg)
{
	sqlite3_stmt *st = NULL;
	struct spq q;
	const void *b;
	int rc, err;

	pthread_mutex_lock(&s->wmu);
	if ((err = sq_prepare(
	         s->w, incident != NULL ? PQ_SQL_OF : PQ_SQL_DUE, &st)) != 0)
		goto out;
	if (incident != NULL)
		sqlite3_bind_blob(st, 1, incident, 16, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 1, (sqlite3_int64)due_ms);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&q, 0, sizeof(q));
		q.partner = (uint64_t)sqlite3_column_int64(st, 0);
		if ((b = sqlite3_column_blob(st, 1)) != NULL &&
		    sqlite3_column_bytes(st, 1) == 16)
			memcpy(q.incident, b, 16);
		q.seq = (uint64_t)sqlite3_column_int64(st, 2);
		sq_col_text(st, 3, q.kind, sizeof(q.kind));
		sq_col_text(st, 4, q.status, sizeof(q.status));
		q.attempts = (uint64_t)sqlite3_column_int64(st, 5);
		q.next_ms = (uint64_t)sqlite3_column_int64(st, 6);
		q.created_ms = (uint64_t)sqlite3_column_int64(st, 7);
		q.updated_ms = (uint64_t)sqlite3_column_int64(st, 8);
		sq_col_text(st, 9, q.last_error, sizeof(q.last_error));
		q.body = (const char *)sqlite3_column_text(st, 10);
		if (q.body == NULL)
			q.body = "";
		if ((err = cb(&q, arg)) != 0)
			goto out;
	}
	if (rc != SQLITE_DONE)
		err = sq_err(s->w, rc, "partner queue");
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->wmu);
	return err;
}

static int
sq_pq_mark(struct sstore *s, const struct spq *q)
{
	sqlite3_stmt *st = NULL;
	int rc, err;

	pthread_mutex_lock(&s->wmu);
	if ((err = sq_prepare(s->w, PQ_SQL_MARK, &st)) != 0)
		goto out;
	sqlite3_bind_text(st, 1, q->status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)q->attempts);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)q->next_ms);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)q->updated_ms);
	sqlite3_bind_text(st, 5, q->last_error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)q->partner);
	sqlite3_bind_blob(st, 7, q->incident, 16, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)q->seq);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		err = sq_err(s->w, rc, "partner queue mark");
	else if (sqlite3_changes(s->w) == 0)
		err = ENOENT;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->wmu);
	return err;
}

/* --- claims (issue 15) ------------------------------------------------- */

struct sq_ev_put {
	const struct sclaim_ev *e;
	int mismatch;
};

static int
sq_ev_put_one(struct sstore *s, struct sq_ev_put *a)
{
	const struct sclaim_ev *e = a->e;
	sqlite3_stmt *st = NULL;
	int rc, err, changed = 0;

	a->mismatch = 0;
	if ((err = sq_bindf(s->w, &st,
	         "INSERT OR IGNORE INTO claim_evidence(subject, rec, hlc, kind,"
	         " patient, clinician, node, region, facility, hash, body,"
	         " at_ms) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	         "xxitntittnni", e->subject, e->rec, e->hlc, e->kind,
	         e->clinician, e->node, e->region, e->facility, e->at_ms)) != 0)
		return err;
	if (e->has_patient)
		sqlite3_bind_blob(st, 5, e->patient, 16, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 10, e->hash, 32, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 11, e->len ? (const void *)e->body : "",
	    (int)e->len, SQLITE_TRANSIENT);
	if ((err = sq_done(s->w, st, "claim evidence", &changed)) != 0 ||
	    changed)
		return err;
	if ((err = sq_bindf(s->w, &st,
	         "SELECT hash FROM claim_evidence WHERE subject = ? AND rec = ?"
	         " AND hlc = ?",
	         "xxi", e->subject, e->rec, e->hlc)) != 0)
		return err;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		a->mismatch = sqlite3_column_bytes(st, 0) != 32 ||
		    memcmp(sqlite3_column_blob(st, 0), e->hash, 32) != 0;
	else
		err = sq_err(s->w, rc, "claim evidence");
	sqlite3_finalize(st);
	return err;
}

struct sq_ev_batch {
	const struct sclaim_ev *ev;
	size_t n;
	int *mismatch;
};

static int
sq_ev_put_job(struct sstore *s, void *arg)
{
	struct sq_ev_batch *b = arg;
	struct sq_ev_put a;
	size_t i;
	int err = 0;

	for (i = 0; i < b->n && err == 0; i++) {
		a.e = &b->ev[i];
		if ((err = sq_ev_put_one(s, &a)) == 0 && b->mismatch != NULL)
			b->mismatch[i] = a.mismatch;
	}
	return err;
}

static int
sq_claim_ev_put(
    struct sstore *s, const struct sclaim_ev *ev, size_t n, int *mismatch)
{
	struct sq_ev_batch b = { ev, n, mismatch };
	struct sq_job job = { sq_ev_put_job, &b, 0, 0, NULL };

	return n == 0 ? 0 : sq_group_run(s, &job);
}

/* SELECT with only Q's filters in its WHERE, each as its numbered
 * parameter (?1 subject, ?2 patient, ?3 COL3, ?4 COL4, ?5 status, ?6
 * payer), so the indexes serve it: "?1 IS NULL OR ..." would scan. */
static void
sq_claimq_sql(char *sql, size_t size, const char *select,
    const struct sclaimq *q, const char *col3, const char *col4,
    const char *order)
{
	const char *and = " WHERE";
	size_t n;

	n = (size_t)snprintf(sql, size, "%s", select);
#define SQ_FILTER(cond, fmt, ...)                                              \
	do {                                                                   \
		if ((cond) && n < size) {                                      \
			n += (size_t)snprintf(                                 \
			    sql + n, size - n, fmt, and, __VA_ARGS__);         \
			and = " AND";                                          \
		}                                                              \
	} while (0)
	SQ_FILTER(q->subject != NULL, "%s subject = ?%d", 1);
	SQ_FILTER(q->patient != NULL, "%s patient = ?%d", 2);
	SQ_FILTER(q->clinician != NULL, "%s %s = ?3", col3);
	SQ_FILTER(q->kind != NULL, "%s %s = ?4", col4);
	SQ_FILTER(q->status != NULL, "%s status = ?%d", 5);
	SQ_FILTER(q->payer != NULL, "%s payer = ?%d", 6);
#undef SQ_FILTER
	if (n < size)
		snprintf(sql + n, size - n, "%s", order);
}

/* Bind Q's filters to ?1 .. ?6 (NULL: any). */
static void
sq_claimq_bind(sqlite3_stmt *st, const struct sclaimq *q)
{
	if (q->subject != NULL)
		sqlite3_bind_blob(st, 1, q->subject, 16, SQLITE_TRANSIENT);
	if (q->patient != NULL)
		sqlite3_bind_blob(st, 2, q->patient, 16, SQLITE_TRANSIENT);
	if (q->clinician != NULL)
		sqlite3_bind_text(st, 3, q->clinician, -1, SQLITE_TRANSIENT);
	if (q->kind != NULL)
		sqlite3_bind_text(st, 4, q->kind, -1, SQLITE_TRANSIENT);
	if (q->status != NULL)
		sqlite3_bind_text(st, 5, q->status, -1, SQLITE_TRANSIENT);
	if (q->payer != NULL)
		sqlite3_bind_text(st, 6, q->payer, -1, SQLITE_TRANSIENT);
}

static void
sq_blob16(sqlite3_stmt *st, int col, uint8_t out[16], int *has)
{
	int ok = sqlite3_column_bytes(st, col) == 16;

	memset(out, 0, 16);
	if (ok)
		memcpy(out, sqlite3_column_blob(st, col), 16);
	if (has != NULL)
		*has = ok;
}

static int
sq_claim_ev_list(struct sstore *s, const struct sclaimq *q,
    void (*cb)(const struct sclaim_ev *, void *), void *arg)
{
	struct sq_reader *r = sq_reader_get(s);
	sqlite3_stmt *st = NULL;
	struct sclaim_ev e;
	char sql[512];
	int rc, err;

	sq_claimq_sql(sql, sizeof(sql),
	    "SELECT subject, rec, hlc, kind, patient, clinician, node,"
	    " region, facility, hash, body, at_ms FROM claim_evidence",
	    q, "clinician", "kind", " ORDER BY hlc, rec");
	if ((err = sq_prepare(r->db, sql, &st)) != 0)
		goto out;
	sq_claimq_bind(st, q);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&e, 0, sizeof(e));
		sq_blob16(st, 0, e.subject, NULL);
		sq_blob16(st, 1, e.rec, NULL);
		e.hlc = (uint64_t)sqlite3_column_int64(st, 2);
		sq_col_text(st, 3, e.kind, sizeof(e.kind));
		sq_blob16(st, 4, e.patient, &e.has_patient);
		sq_col_text(st, 5, e.clinician, sizeof(e.clinician));
		e.node = (uint64_t)sqlite3_column_int64(st, 6);
		sq_col_text(st, 7, e.region, sizeof(e.region));
		sq_col_text(st, 8, e.facility, sizeof(e.facility));
		if (sqlite3_column_bytes(st, 9) == 32)
			memcpy(e.hash, sqlite3_column_blob(st, 9), 32);
		e.body = sqlite3_column_blob(st, 10);
		e.len = (size_t)sqlite3_column_bytes(st, 10);
		e.at_ms = (uint64_t)sqlite3_column_int64(st, 11);
		cb(&e, arg);
	}
	if (rc != SQLITE_DONE)
		err = sq_err(r->db, rc, "claim evidence");
out:
	sqlite3_finalize(st);
	sq_reader_put(r);
	return err;
}

static int
sq_claim_event(struct sstore *s, const char *bid, uint64_t at, const char *from,
    const char *to, const char *why)
{
	sqlite3_stmt *st = NULL;
	int err;

	if ((err = sq_bindf(s->w, &st,
	         "INSERT INTO claim_events(business_id, at_ms, from_status,"
	         " to_status, why) VALUES(?, ?, ?, ?, ?)",
	         "tittt", bid, at, from, to, why)) != 0)
		return err;
	return sq_done(s->w, st, "claim event", NULL);
}

struct sq_claim_put {
	const struct sclaim *c;
	int created;
};

static int
sq_claim_put_job(struct sstore *s, void *arg)
{
	struct sq_claim_put *a = arg;
	const struct sclaim *c = a->c;
	sqlite3_stmt *st = NULL;
	int err, changed = 0;

	a->created = 0;
	if ((err = sq_bindf(s->w, &st,
	         "INSERT OR IGNORE INTO claims(subject, payer, business_id,"
	         " appt, patient, member, regno, facility, service, mode,"
	         " status, hold, price, service_ms, rule_version, digest,"
	         " created_ms, updated_ms)"
	         " VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	         "xttnxtttttttiiinii", c->subject, c->payer, c->business_id,
	         c->patient, c->member, c->regno, c->facility, c->service,
	         c->mode, c->status, c->hold, (uint64_t)c->price, c->service_ms,
	         (uint64_t)1, c->created_ms, c->updated_ms)) != 0)
		return err;
	if (c->has_appt)
		sqlite3_bind_blob(st, 4, c->appt, 16, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 16, c->digest, 32, SQLITE_TRANSIENT);
	if ((err = sq_done(s->w, st, "claim", &changed)) != 0 || !changed)
		return err;
	a->created = 1;
	if ((err = sq_bindf(s->w, &st,
	         "DELETE FROM claim_nobill WHERE subject = ? OR subject = ?",
	         "xx", c->subject, c->has_appt ? c->appt : c->subject)) != 0 ||
	    (err = sq_done(s->w, st, "claim no-bill", NULL)) != 0)
		return err;
	return sq_claim_event(s, c->business_id, c->created_ms, "", c->status,
	    c->hold[0] ? c->hold : "built from evidence");
}

static int
sq_claim_put(struct sstore *s, const struct sclaim *c, int *created)
{
	struct sq_claim_put a = { c, 0 };
	struct sq_job job = { sq_claim_put_job, &a, 0, 0, NULL };
	int err;

	if ((err = sq_group_run(s, &job)) == 0 && created != NULL)
		*created = a.created;
	return err;
}

static int
sq_nobill_job(struct sstore *s, void *arg)
{
	const struct snobill *n = arg;
	sqlite3_stmt *st = NULL;
	int rc, err, same = 0;

	if (n->reason[0] == '\0') {
		if ((err = sq_bindf(s->w, &st,
		         "DELETE FROM claim_nobill WHERE subject = ?", "x",
		         n->subject)) != 0)
			return err;
		return sq_done(s->w, st, "no-bill", NULL);
	}
	/* SQLCipher 3.4's SQLite has no upsert: read, then replace */
	if ((err = sq_bindf(s->w, &st,
	         "SELECT (SELECT reason FROM claim_nobill WHERE subject = ?1),"
	         " EXISTS (SELECT 1 FROM claims WHERE subject = ?1"
	         " OR appt = ?1)",
	         "x", n->subject)) != 0)
		return err;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW)
		err = sq_err(s->w, rc, "no-bill");
	else
		same = sqlite3_column_int(st, 1) ||
		    strcmp(sq_text(st, 0), n->reason) == 0;
	sqlite3_finalize(st);
	if (err != 0 || same)
		return err;
	if ((err = sq_bindf(s->w, &st,
	         "INSERT OR REPLACE INTO claim_nobill(subject, kind, patient,"
	         " reason, decided_ms) VALUES(?, ?, ?, ?, ?)",
	         "xtnti", n->subject, n->kind, n->reason, n->decided_ms)) != 0)
		return err;
	if (n->has_patient)
		sqlite3_bind_blob(st, 3, n->patient, 16, SQLITE_TRANSIENT);
	return sq_done(s->w, st, "no-bill", NULL);
}

static int
sq_claim_nobill(struct sstore *s, const struct snobill *n)
{
	struct sq_job job = { sq_nobill_job, (void *)(uintptr_t)n, 0, 0, NULL };

	return sq_group_run(s, &job);
}

#define SQ_CLAIM_COLS                                                          \
	"subject, appt, patient, business_id, payer, member, regno,"           \
	" facility, service, mode, status, hold, price, service_ms,"           \
	" created_ms, updated_ms, digest"

static void
sq_claim_row(sqlite3_stmt *st, struct sclaim *c)
{
	memset(c, 0, sizeof(*c));
	sq_blob16(st, 0, c->subject, NULL);
	sq_blob16(st, 1, c->appt, &c->has_appt);
	sq_blob16(st, 2, c->patient, NULL);
	sq_col_text(st, 3, c->business_id, sizeof(c->business_id));
	sq_col_text(st, 4, c->payer, sizeof(c->payer));
	sq_col_text(st, 5, c->member, sizeof(c->member));
	sq_col_text(st, 6, c->regno, sizeof(c->regno));
	sq_col_text(st, 7, c->facility, sizeof(c->facility));
	sq_col_text(st, 8, c->service, sizeof(c->service));
	sq_col_text(st, 9, c->mode, sizeof(c->mode));
	sq_col_text(st, 10, c->status, sizeof(c->status));
	sq_col_text(st, 11, c->hold, sizeof(c->hold));
	c->price = sqlite3_column_int64(st, 12);
	c->service_ms = (uint64_t)sqlite3_column_int64(st, 13);
	c->created_ms = (uint64_t)sqlite3_column_int64(st, 14);
	c->updated_ms = (uint64_t)sqlite3_column_int64(st, 15);
	if (sqlite3_column_bytes(st, 16) == 32)
		memcpy(c->digest, sqlite3_column_blob(st, 16), 32);
}

static int
sq_claims_list(struct sstore *s, const struct sclaimq *q,
    void (*cb)(const struct sclaim *, void *), void *arg)
{
	struct sq_reader *r = sq_reader_get(s);
	sqlite3_stmt *st = NULL;
	struct sclaim c;
	char sql[512];
	int rc, err;

	sq_claimq_sql(sql, sizeof(sql), "SELECT " SQ_CLAIM_COLS " FROM claims",
	    q, "regno", "mode", " ORDER BY id");
	if ((err = sq_prepare(r->db, sql, &st)) != 0)
		goto out;
	sq_claimq_bind(st, q);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sq_claim_row(st, &c);
		cb(&c, arg);
	}
	if (rc != SQLITE_DONE)
		err = sq_err(r->db, rc, "claims");
out:
	sqlite3_finalize(st);
	sq_reader_put(r);
	return err;
}

static int
sq_nobill_list(
    struct sstore *s, void (*cb)(const struct snobill *, void *), void *arg)
{
	struct sq_reader *r = sq_reader_get(s);
	sqlite3_stmt *st = NULL;
	struct snobill n;
	int rc, err;

	if ((err = sq_prepare(r->db,
	         "SELECT subject, kind, patient, reason, decided_ms"
	         " FROM claim_nobill ORDER BY decided_ms, subject",
	         &st)) != 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&n, 0, sizeof(n));
		sq_blob16(st, 0, n.subject, NULL);
		sq_col_text(st, 1, n.kind, sizeof(n.kind));
		sq_blob16(st, 2, n.patient, &n.has_patient);
		sq_col_text(st, 3, n.reason, sizeof(n.reason));
		n.decided_ms = (uint64_t)sqlite3_column_int64(st, 4);
		cb(&n, arg);
	}
	if (rc != SQLITE_DONE)
		err = sq_err(r->db, rc, "no-bill");
out:
	sqlite3_finalize(st);
	sq_reader_put(r);
	return err;
}

struct sq_claim_status {
	const char *bid, *from, *to, *why;
	uint64_t now;
};

static int
sq_claim_status_job(struct sstore *s, void *arg)
{
	struct sq_claim_status *a = arg;
	sqlite3_stmt *st = NULL;
	char was[16] = "";
	int rc, err;

	if ((err = sq_bindf(s->w, &st,
	         "SELECT status FROM claims WHERE business_id = ?", "t",
	         a->bid)) != 0)
		return err;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		sq_col_text(st, 0, was, sizeof(was));
	else
		err = rc == SQLITE_DONE ? ENOENT : sq_err(s->w, rc, "claim");
	sqlite3_finalize(st);
	if (err != 0)
		return err;
	if (a->from[0] != '\0' && strcmp(was, a->from) != 0)
		return EALREADY;
	if ((err = sq_bindf(s->w, &st,
	         "UPDATE claims SET status = ?1, updated_ms = ?2,"
	         " hold = CASE WHEN ?1 = 'held' THEN substr(?3, 1, 23)"
	         " ELSE '' END WHERE business_id = ?4",
	         "titt", a->to, a->now, a->why, a->bid)) != 0 ||
	    (err = sq_done(s->w, st, "claim", NULL)) != 0)
		return err;
	return sq_claim_event(s, a->bid, a->now, was, a->to, a->why);
}

static int
sq_claim_status(struct sstore *s, const char *bid, const char *from,
    const char *to, const char *why, uint64_t now_ms)
{
	struct sq_claim_status a = { bid, from, to, why, now_ms };
	struct sq_job job = { sq_claim_status_job, &a, 0, 0, NULL };

	return sq_group_run(s, &job);
}

const struct store_backend store_sqlite_backend = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.blob_own = sq_blob_own,
	.blob_owned = sq_blob_owned,
	.blob_usage = sq_blob_usage,
	.token_add = sq_token_add,
	.enroll = sq_enroll,
	.node_get = sq_node_get,
	.node_revoke = sq_node_revoke,
	.node_touch = sq_node_touch,
	.push = sq_push,
	.pull = sq_pull,
	.alert = sq_alert,
	.stats = sq_stats,
	.manifest = sq_manifest,
	.consult_queue = sq_consult_queue,
	.sched_define = sq_sched_define,
	.sched_get = sq_sched_get,
	.slots_add = sq_slots_add,
	.slots_list = sq_slots_list,
	.appt_book = sq_appt_book,
	.appt_cancel = sq_appt_cancel,
	.appt_checkin = sq_appt_checkin,
	.appt_sweep = sq_appt_sweep,
	.appt_status = sq_appt_status,
	.appt_invariant = sq_appt_invariant,
	.appt_audits = sq_appt_audits,
	.patient_in_scope = sq_patient_in_scope,
	.anchor_get = sq_anchor_get,
	.anchor_add = sq_anchor_add,
	.anchor_list = sq_anchor_list,
	.breakglass_add = sq_breakglass_add,
	.breakglass_list = sq_breakglass_list,
	.bgsearch_add = sq_bgsearch_add,
	.bgsearch_admit = sq_bgsearch_admit,
	.bgsearch_list = sq_bgsearch_list,
	.wait_add = sq_wait_add,
	.wait_offer = sq_wait_offer,
	.wait_decline = sq_wait_decline,
	.wait_get = sq_wait_get,
	.wait_remove = sq_wait_remove,
	.wait_sweep = sq_wait_sweep,
	.meta_get = sq_meta_get,
	.meta_put = sq_meta_put,
	.licence_put = sq_licence_put,
	.licence_list = sq_licence_list,
	.emerg_upsert = sq_emerg_upsert,
	.emerg_list = sq_emerg_list,
	.emerg_page_put = sq_emerg_page_put,
	.emerg_pages = sq_emerg_pages,
	.emerg_reply_add = sq_emerg_reply_add,
	.partner_add = sq_partner_add,
	.partner_list = sq_partner_list,
	.pq_add = sq_pq_add,
	.pq_list = sq_pq_list,
	.pq_mark = sq_pq_mark,
	.claim_ev_put = sq_claim_ev_put,
	.claim_ev_list = sq_claim_ev_list,
	.claim_put = sq_claim_put,
	.claim_nobill = sq_claim_nobill,
	.claims_list = sq_claims_list,
	.nobill_list = sq_nobill_list,
	.claim_status = sq_claim_status,
};
