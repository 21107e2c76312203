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
#include "compat.h"
#include "log.h"
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

static const char *const sq_migrations[] = { sq_migration_1,
	sq_migration_records, sq_migration_blobs, sq_migration_consults,
	sq_migration_call2, sq_migration_licences };

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
	if (!created || !c->has_patient)
		return 0;
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
		               " rev = rev + 1"
		               " WHERE regulator = ?1 AND regno = ?2"
		             : "INSERT INTO licences(regulator, regno, name,"
		               " cadre, scope, juris, valid_from, valid_to,"
		               " status, status_at)"
		               " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
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
	         " valid_from, valid_to, status, status_at, rev"
	         " FROM licences ORDER BY regno, regulator",
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
	.meta_get = sq_meta_get,
	.meta_put = sq_meta_put,
	.licence_put = sq_licence_put,
	.licence_list = sq_licence_list,
};
