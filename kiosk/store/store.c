/*
 * The store's core: opening SQLCipher with a raw key, the pragmas that keep
 * data safe (WAL, synchronous=FULL, in-memory temp store), transactions,
 * the outbox, the hash-chained audit log, key/value sync state, the
 * integrity check and backups.  Entity reads and writes live in
 * store_<entity>.c; the schema in store_schema.c.
 *
 * SQLite's own messages are logged here and mapped to errno values; no
 * patient data reaches the log (only record ids and error codes).
 */
#define LOG_MODULE "store"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "crypto.h"
#include "encode.h"
#include "log.h"
#include "phone.h"
#include "record.h"
#include "role.h"
#include "store_int.h"
#include "xmalloc.h"

#define STORE_BUSY_MS 5000

const char *store_test_vfs;
#define STORE_PAGE_SIZE 4096

int
store_err(struct store *s, int rc, const char *what)
{
	int ext =
	    s != NULL && s->db != NULL ? sqlite3_extended_errcode(s->db) : rc;

	/* Constraint failures are how idempotent writes say "already
	 * there": not worth a warning. */
	log_at(
	    (rc & 0xff) == SQLITE_CONSTRAINT ? LOG_LEVEL_DEBUG : LOG_LEVEL_WARN,
	    0, "%s: %s (sqlite %d/%d)", what,
	    s != NULL && s->db != NULL ? sqlite3_errmsg(s->db)
	                               : sqlite3_errstr(rc),
	    rc, ext);
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_FULL:
		return ENOSPC;
	case SQLITE_READONLY:
		return EROFS;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return EBUSY;
	case SQLITE_NOTADB:
	case SQLITE_AUTH:
	case SQLITE_PERM:
		return EACCES;
	case SQLITE_CORRUPT:
		return EBADMSG;
	case SQLITE_CONSTRAINT:
		return (ext == SQLITE_CONSTRAINT_UNIQUE ||
		           ext == SQLITE_CONSTRAINT_PRIMARYKEY)
		    ? EEXIST
		    : EINVAL;
	case SQLITE_NOMEM:
		return ENOMEM;
	case SQLITE_CANTOPEN:
		return EACCES;
	case SQLITE_MISUSE:
	case SQLITE_RANGE:
	case SQLITE_ERROR:
		return EINVAL;
	case SQLITE_IOERR:
	default:
		return EIO;
	}
}

int
store_prepare(struct store *s, const char *sql, sqlite3_stmt **st)
{
	int rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);

	if (rc != SQLITE_OK) {
		*st = NULL;
		return store_err(s, rc, "prepare");
	}
	return 0;
}

int
store_exec(struct store *s, const char *sql)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : store_err(s, rc, "exec");
}

int
store_step_done(struct store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 0;
	return store_err(s, rc, what);
}

int
store_bind_text(sqlite3_stmt *st, int idx, const char *v)
{
	if (v == NULL)
		return sqlite3_bind_null(st, idx);
	return sqlite3_bind_text(st, idx, v, -1, SQLITE_TRANSIENT);
}

char *
store_col_text(sqlite3_stmt *st, int idx)
{
	const unsigned char *t = sqlite3_column_text(st, idx);

	return t != NULL ? xstrdup((const char *)t) : NULL;
}

void
store_new_id(char out[UUID_STRLEN + 1])
{
	struct uuid u;

	uuid_v7(&u);
	uuid_format(&u, out);
}

/* --- transactions --- */

/*
 * Several connections (the UI, the sync thread) write to one database, each
 * with its own clock.  Under the write lock, take the persisted clock if it
 * is ahead of ours, so no connection ever stamps a change earlier than one
 * another connection already committed (a pulled change, say).
 */
static int
store_hlc_reload(struct store *s)
{
	sqlite3_stmt *st;
	uint64_t v;
	int rc;

	if (sqlite3_prepare_v2(s->db,
	        "SELECT value FROM meta WHERE key = "
	        "'hlc'",
	        -1, &st, NULL) != SQLITE_OK)
		return 0; /* no meta table yet: the first migration */
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		v = (uint64_t)sqlite3_column_int64(st, 0);
		/* ... or the persisted one when ours is far beyond it: another
		 * connection reset a poisoned clock (store_hlc_recover). */
		if (v > s->hlc.last ||
		    hlc_too_far(&s->hlc, s->hlc.last, HLC_MS(v)))
			s->hlc.last = v;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE
	    ? 0
	    : store_err(s, rc, "load hlc");
}

int
store_tx_begin(struct store *s)
{
	int err;

	if (s->in_tx) {
		log_warnx("nested transaction refused");
		return EINVAL;
	}
	if ((err = store_exec(s, "BEGIN IMMEDIATE")) != 0)
		return err;
	s->in_tx = 1;
	if ((err = store_hlc_reload(s)) != 0) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		s->in_tx = 0;
	}
	return err;
}

void
store_hlc_merge(struct store *s, uint64_t remote)
{
	uint64_t ref = s->hlc_ref_ms;

	if (ref != 0 && hlc_clamp(&s->hlc, ref) != 0)
		log_warnx("node clock was far ahead of the server's; reset");
	if (ref == 0)
		ref = HLC_MS(s->hlc.last);
	if (hlc_merge(&s->hlc, remote, ref) != 0)
		log_warnx("pulled change stamped far in the future; "
		          "clock not moved to it");
}

void
store_hlc_reference(struct store *s, uint64_t server_hlc)
{
	s->hlc_ref_ms = HLC_MS(server_hlc);
}

int
store_hlc_recover(struct store *s, uint64_t server_hlc)
{
	int err, reset;

	store_hlc_reference(s, server_hlc);
	if ((err = store_tx_begin(s)) != 0)
		return err;
	reset = hlc_clamp(&s->hlc, s->hlc_ref_ms) != 0;
	if ((err = store_tx_end(s, 0)) != 0)
		return err;
	if (!reset)
		return ERANGE;
	log_warnx("node clock was far ahead of the server's; reset");
	return 0;
}

static int
store_hlc_persist(struct store *s)
{
	sqlite3_stmt *st;
	int err;

	if ((err = store_prepare(s,
	         "INSERT OR REPLACE INTO meta(key, value) "
	         "VALUES('hlc', ?)",
	         &st)) != 0)
		return err;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)s->hlc.last);
	err = store_step_done(s, st, "save hlc");
	sqlite3_finalize(st);
	return err;
}

int
store_tx_end(struct store *s, int err)
{
	int rc;

	if (!s->in_tx)
		return err != 0 ? err : EINVAL;
	if (err == 0 && s->migrated)
		err = store_hlc_persist(s);
	if (err == 0) {
		rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
		if (rc == SQLITE_OK) {
			s->in_tx = 0;
			return 0;
		}
		err = store_err(s, rc, "commit");
	}
	/* A failed COMMIT may already have rolled back; ROLLBACK then
	 * reports "no transaction", which is fine. */
	if (sqlite3_get_autocommit(s->db) == 0)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_tx = 0;
	return err;
}

/* --- open / close --- */

static int
store_meta_get_text(struct store *s, const char *key, char *out, size_t len)
{
	sqlite3_stmt *st;
	const unsigned char *t;
	int err, rc;

	if ((err = store_prepare(
	         s, "SELECT value FROM meta WHERE key = ?", &st)) != 0)
		return err;
	store_bind_text(st, 1, key);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && (t = sqlite3_column_text(st, 0)) != NULL)
		snprintf(out, len, "%s", (const char *)t);
	else if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		err = ENOENT;
	else
		err = store_err(s, rc, "meta");
	sqlite3_finalize(st);
	return err;
}

int
store_country_get(struct store *s, char out[3])
{
	char buf[8];
	int err;

	if ((err = store_meta_get_text(s, "country", buf, sizeof(buf))) != 0)
		return err;
	if (phone_country(buf) == NULL)
		return ENOENT;
	snprintf(out, 3, "%s", phone_country(buf));
	return 0;
}

int
store_country_set(struct store *s, const char *iso2)
{
	sqlite3_stmt *st;
	const char *c = phone_country(iso2);
	int err;

	if (c == NULL)
		return EINVAL;
	if ((err = store_tx_begin(s)) != 0)
		return err;
	err = store_prepare(s,
	    "INSERT OR REPLACE INTO meta(key, value) VALUES('country', ?)",
	    &st);
	if (err == 0) {
		store_bind_text(st, 1, c);
		err = store_step_done(s, st, "country");
		sqlite3_finalize(st);
	}
	if (err == 0)
		err = store_audit_append(s, "change", "node", s->node_id, c);
	return store_tx_end(s, err);
}

static int
store_load_hlc(struct store *s)
{
	sqlite3_stmt *st;
	uint64_t last = 0;
	int err;

	if ((err = store_prepare(
	         s, "SELECT value FROM meta WHERE key = 'hlc'", &st)) != 0)
		return err;
	if (sqlite3_step(st) == SQLITE_ROW)
		last = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	hlc_init(&s->hlc, last);
	return 0;
}

/* First open: this node's identity. */
static int
store_init_node(struct store *s)
{
	sqlite3_stmt *st = NULL;
	uint64_t hlc;
	int err;

	if (store_meta_get_text(s, "node_id", s->node_id, sizeof(s->node_id)) ==
	    0)
		return 0;
	store_new_id(s->node_id);
	if ((err = store_tx_begin(s)) != 0)
		return err;
	hlc = store_hlc_now(s);
	err = store_prepare(s,
	    "INSERT INTO meta(key, value) "
	    "VALUES('node_id', ?)",
	    &st);
	if (err == 0) {
		store_bind_text(st, 1, s->node_id);
		err = store_step_done(s, st, "node id");
		sqlite3_finalize(st);
		st = NULL;
	}
	if (err == 0)
		err = store_prepare(s,
		    "INSERT INTO nodes(id, hlc, role, "
		    "is_self, created_ms) VALUES(?, ?, 'clinic', 1, ?)",
		    &st);
	if (err == 0) {
		store_bind_text(st, 1, s->node_id);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)hlc);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)HLC_MS(hlc));
		err = store_step_done(s, st, "node row");
		sqlite3_finalize(st);
	}
	if (err == 0)
		err = store_audit_append(
		    s, "create", "node", s->node_id, "store created");
	return store_tx_end(s, err);
}

static int
store_key_db(struct store *s)
{
	char *hex = hex_encode(s->key, 32), *sql;
	int err;

	xasprintf(&sql, "PRAGMA key = \"x'%s'\"", hex);
	err = store_exec(s, sql);
	explicit_bzero(sql, strlen(sql));
	explicit_bzero(hex, strlen(hex));
	free(sql);
	free(hex);
	if (err == 0)
		err = store_exec(s, "PRAGMA cipher_page_size = 4096");
	return err;
}

/*
 * Owner-only modes on every open (issue 9): the data directory 0700, the
 * database and its -wal and -shm 0600, whatever an older version or the
 * umask left.  SQLite gives a new -wal or -shm the mode of the database,
 * so a new database is made 0600 here first.  A mode already right is not
 * touched (a read-only medium still opens); one that cannot be set is
 * logged, and the open goes on.
 */
static void
store_restrict(const char *dir, const char *path, int create)
{
	static const char *const sfx[] = { "", "-wal", "-shm" };
	struct stat sb;
	char *p;
	size_t i;
	int fd;

	if (stat(dir, &sb) == 0 && (sb.st_mode & 07777) != 0700 &&
	    chmod(dir, 0700) == -1)
		log_warn("chmod 0700 data directory");
	if (create && stat(path, &sb) == -1 && errno == ENOENT &&
	    (fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) !=
	        -1)
		close(fd);
	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		xasprintf(&p, "%s%s", path, sfx[i]);
		if (stat(p, &sb) == 0 && (sb.st_mode & 07777) != 0600 &&
		    chmod(p, 0600) == -1)
			log_warn("chmod 0600 %s%s", STORE_DB_FILE, sfx[i]);
		free(p);
	}
}

int
store_open_at(const char *dir, const uint8_t key[32], int create,
    int max_version, struct store **out)
{
	struct store *s;
	struct stat sb;
	sqlite3_stmt *st = NULL;
	char *path;
	int rc, err = 0;

	*out = NULL;
	s = xcalloc(1, sizeof(*s));
	s->dir = xstrdup(dir);
	memcpy(s->key, key, 32);
	xasprintf(&path, "%s/%s", dir, STORE_DB_FILE);
	if (!create && stat(path, &sb) == -1) {
		err = errno;
		goto out;
	}
	store_restrict(dir, path, create);
	rc = sqlite3_open_v2(path, &s->db,
	    SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0),
	    store_test_vfs);
	if (rc != SQLITE_OK) {
		err = store_err(s, rc, "open");
		goto out;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, STORE_BUSY_MS);
	if ((err = store_key_db(s)) != 0)
		goto out;
	/* The first read tells whether the key is right. */
	rc = sqlite3_prepare_v2(
	    s->db, "SELECT count(*) FROM sqlite_master", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW) {
		err = (rc & 0xff) == SQLITE_NOTADB
		    ? EACCES
		    : store_err(s, rc, "first read");
		goto out;
	}
	/* No clear text outside the encrypted file: temp tables and sorts
	 * stay in memory; WAL frames are encrypted like pages. */
	if ((err = store_exec(s,
	         "PRAGMA temp_store = MEMORY;"
	         "PRAGMA journal_mode = WAL;"
	         "PRAGMA synchronous = FULL;"
	         "PRAGMA foreign_keys = ON;")) != 0)
		goto out;
	/* Migrations never persist the clock (s->migrated is still 0), so
	 * it is loaded once they are done. */
	hlc_init(&s->hlc, 0);
	if ((err = store_schema_migrate(s, max_version)) != 0)
		goto out;
	s->migrated = 1;
	if ((err = store_load_hlc(s)) != 0)
		goto out;
	err = store_init_node(s);
out:
	free(path);
	if (err != 0) {
		store_close(s);
		return err;
	}
	*out = s;
	return 0;
}

int
store_open(
    const char *dir, const uint8_t key[32], int create, struct store **out)
{
	return store_open_at(dir, key, create, 0, out);
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	if (s->db != NULL && sqlite3_close(s->db) != SQLITE_OK)
		log_warnx("close: %s", sqlite3_errmsg(s->db));
	free(s->dir);
	free(s->actor);
	explicit_bzero(s->key, sizeof(s->key));
	free(s);
}

const uint8_t *
store_key(const struct store *s)
{
	return s->key;
}

void
store_set_actor(struct store *s, const char *user_id)
{
	free(s->actor);
	s->actor = user_id != NULL ? xstrdup(user_id) : NULL;
}

const char *
store_actor(const struct store *s)
{
	return s->actor;
}

const char *
store_node_id(const struct store *s)
{
	return s->node_id;
}

uint64_t
store_hlc_now(struct store *s)
{
	return hlc_now(&s->hlc);
}

int
store_schema_version(struct store *s)
{
	sqlite3_stmt *st;
	int v = 0;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

void *
store_db(struct store *s)
{
	return s->db;
}

const char *
store_role_name(int role)
{
	return rec_role_name(role);
}

int
store_role_from_name(const char *name)
{
	return rec_role_from_name(name);
}

/* --- record bodies and the outbox --- */

int
store_outbox_append(struct store *s, int entity, const char *id, uint64_t hlc,
    cbor_item_t *body)
{
	sqlite3_stmt *st = NULL;
	uint8_t *buf = NULL;
	size_t len;
	int err;

	err = cborx_encode(body, &buf, &len);
	cbor_decref(&body);
	if (err != 0)
		return err;
	if ((err = store_prepare(s,
	         "INSERT INTO outbox(entity, entity_id, "
	         "hlc, body, created_ms) VALUES(?, ?, ?, ?, ?)",
	         &st)) != 0)
		goto out;
	sqlite3_bind_int(st, 1, entity);
	store_bind_text(st, 2, id);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)hlc);
	sqlite3_bind_blob(st, 4, buf, (int)len, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)hlc_wall_ms());
	err = store_step_done(s, st, "outbox append");
out:
	sqlite3_finalize(st);
	free(buf);
	return err;
}

int
store_outbox_read(struct store *s, uint64_t after, size_t max,
    struct store_change **out, size_t *n)
{
	struct store_change *c = NULL;
	sqlite3_stmt *st;
	size_t cnt = 0;
	int rc, err;

	*out = NULL;
	*n = 0;
	if ((err = store_prepare(s,
	         "SELECT seq, entity, entity_id, hlc, body "
	         "FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
	         &st)) != 0)
		return err;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)after);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	c = xcalloc(max ? max : 1, sizeof(*c));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && cnt < max) {
		const unsigned char *id = sqlite3_column_text(st, 2);
		c[cnt].seq = (uint64_t)sqlite3_column_int64(st, 0);
		c[cnt].entity = sqlite3_column_int(st, 1);
		snprintf(c[cnt].id, sizeof(c[cnt].id), "%s",
		    id ? (const char *)id : "");
		c[cnt].hlc = (uint64_t)sqlite3_column_int64(st, 3);
		c[cnt].len = (size_t)sqlite3_column_bytes(st, 4);
		c[cnt].body = xmemdup(sqlite3_column_blob(st, 4), c[cnt].len);
		cnt++;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		err = store_err(s, rc, "outbox read");
		store_outbox_free(c, cnt);
		c = NULL;
		cnt = 0;
	}
	sqlite3_finalize(st);
	*out = c;
	*n = cnt;
	return err;
}

void
store_outbox_free(struct store_change *c, size_t n)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < n; i++)
		free(c[i].body);
	free(c);
}

static int
store_single_int(struct store *s, const char *sql, uint64_t *v)
{
	sqlite3_stmt *st;
	int rc, err;

	if ((err = store_prepare(s, sql, &st)) != 0)
		return err;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = (uint64_t)sqlite3_column_int64(st, 0);
	else
		err = store_err(s, rc, "count");
	sqlite3_finalize(st);
	return err;
}

int
store_outbox_last(struct store *s, uint64_t *seq)
{
	return store_single_int(
	    s, "SELECT ifnull(max(seq), 0) FROM outbox", seq);
}

int
store_patient_count(struct store *s, uint64_t *n)
{
	return store_single_int(
	    s, "SELECT count(*) FROM patients WHERE deleted = 0", n);
}

int
store_encounter_count(struct store *s, uint64_t *n)
{
	return store_single_int(
	    s, "SELECT count(*) FROM encounters WHERE deleted = 0", n);
}

int
store_state_get(struct store *s, const char *key, uint8_t **val, size_t *len)
{
	sqlite3_stmt *st;
	int rc, err;

	*val = NULL;
	*len = 0;
	if ((err = store_prepare(s,
	         "SELECT value FROM sync_state "
	         "WHERE key = ?",
	         &st)) != 0)
		return err;
	store_bind_text(st, 1, key);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*len = (size_t)sqlite3_column_bytes(st, 0);
		*val = xmemdup(sqlite3_column_blob(st, 0), *len);
	} else if (rc == SQLITE_DONE)
		err = ENOENT;
	else
		err = store_err(s, rc, "state get");
	sqlite3_finalize(st);
	return err;
}

int
store_state_put(struct store *s, const char *key, const void *val, size_t len)
{
	sqlite3_stmt *st;
	int err;

	if ((err = store_prepare(s,
	         "INSERT OR REPLACE INTO sync_state"
	         "(key, value) VALUES(?, ?)",
	         &st)) != 0)
		return err;
	store_bind_text(st, 1, key);
	sqlite3_bind_blob(st, 2, val, (int)len, SQLITE_TRANSIENT);
	err = store_step_done(s, st, "state put");
	sqlite3_finalize(st);
	return err;
}

/* --- audit log --- */

/* The CBOR an entry's hash covers: every column but the hash itself
 * (also what the server's anchor recomputes, docs/PROTOCOL.md §14). */
static int
store_audit_cbor(uint64_t seq, uint64_t at_ms, uint64_t hlc, const char *actor,
    const char *action, const char *entity, const char *entity_id,
    const char *detail, const uint8_t prev[32], uint8_t **buf, size_t *len)
{
	cbor_item_t *m = cborx_map(9);
	int err;

	cborx_map_put(m, 1, cborx_uint(seq));
	cborx_map_put(m, 2, cborx_uint(at_ms));
	cborx_map_put(m, 3, cborx_uint(hlc));
	cborx_map_put(m, 4, actor ? cborx_text(actor) : cborx_null());
	cborx_map_put(m, 5, cborx_text(action));
	cborx_map_put(m, 6, entity ? cborx_text(entity) : cborx_null());
	cborx_map_put(m, 7, entity_id ? cborx_text(entity_id) : cborx_null());
	cborx_map_put(m, 8, detail ? cborx_text(detail) : cborx_null());
	cborx_map_put(m, 9, cborx_bytes(prev, 32));
	err = cborx_encode(m, buf, len);
	cbor_decref(&m);
	return err;
}

static int
store_audit_hash(uint64_t seq, uint64_t at_ms, uint64_t hlc, const char *actor,
    const char *action, const char *entity, const char *entity_id,
    const char *detail, const uint8_t prev[32], uint8_t out[32])
{
	uint8_t *buf = NULL;
	size_t len;
	int err;

	err = store_audit_cbor(seq, at_ms, hlc, actor, action, entity,
	    entity_id, detail, prev, &buf, &len);
	if (err == 0)
		crypto_sha256(buf, len, out);
	free(buf);
	return err;
}

void
store_audit_entries_free(struct store_audit_entry *e, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(e[i].cbor);
	free(e);
}

int
store_audit_entries(struct store *s, uint64_t first, size_t max,
    struct store_audit_entry **out, size_t *n, uint64_t *head)
{
	sqlite3_stmt *st = NULL;
	struct store_audit_entry *e;
	uint8_t prev[32];
	int rc, err;

	*out = NULL;
	*n = 0;
	*head = 0;
	if ((err = store_prepare(s, "SELECT max(seq) FROM audit", &st)) != 0)
		return err;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*head = (uint64_t)sqlite3_column_int64(st, 0);
	else
		err = store_err(s, rc, "audit head");
	sqlite3_finalize(st);
	st = NULL;
	if (err != 0 || max == 0)
		return err;
	if ((err = store_prepare(s,
	         "SELECT seq, at_ms, hlc, actor, action, entity, entity_id,"
	         " detail, prev_hash FROM audit WHERE seq >= ? ORDER BY seq"
	         " LIMIT ?",
	         &st)) != 0)
		return err;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)first);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(prev, 0, sizeof(prev));
		if (sqlite3_column_bytes(st, 8) == 32)
			memcpy(prev, sqlite3_column_blob(st, 8), 32);
		*out = xreallocarray(*out, *n + 1, sizeof(**out));
		e = &(*out)[*n];
		e->seq = (uint64_t)sqlite3_column_int64(st, 0);
		if ((err = store_audit_cbor(e->seq,
		         (uint64_t)sqlite3_column_int64(st, 1),
		         (uint64_t)sqlite3_column_int64(st, 2),
		         (const char *)sqlite3_column_text(st, 3),
		         (const char *)sqlite3_column_text(st, 4),
		         (const char *)sqlite3_column_text(st, 5),
		         (const char *)sqlite3_column_text(st, 6),
		         (const char *)sqlite3_column_text(st, 7), prev,
		         &e->cbor, &e->len)) != 0)
			break;
		(*n)++;
	}
	if (err == 0 && rc != SQLITE_DONE)
		err = store_err(s, rc, "audit read");
	sqlite3_finalize(st);
	if (err != 0) {
		store_audit_entries_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return err;
}

int
store_audit_append(struct store *s, const char *action, const char *entity,
    const char *entity_id, const char *detail)
{
	sqlite3_stmt *st = NULL;
	uint8_t prev[32] = { 0 }, hash[32];
	uint64_t seq = 1, at = hlc_wall_ms(), hlc = store_hlc_now(s);
	int rc, err;

	if ((err = store_prepare(s,
	         "SELECT seq, hash FROM audit "
	         "ORDER BY seq DESC LIMIT 1",
	         &st)) != 0)
		return err;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		seq = (uint64_t)sqlite3_column_int64(st, 0) + 1;
		if (sqlite3_column_bytes(st, 1) == 32)
			memcpy(prev, sqlite3_column_blob(st, 1), 32);
	} else if (rc != SQLITE_DONE)
		err = store_err(s, rc, "audit tail");
	sqlite3_finalize(st);
	st = NULL;
	if (err != 0)
		return err;
	if ((err = store_audit_hash(seq, at, hlc, s->actor, action, entity,
	         entity_id, detail, prev, hash)) != 0)
		return err;
	if ((err = store_prepare(s,
	         "INSERT INTO audit(seq, at_ms, hlc, actor, "
	         "action, entity, entity_id, detail, prev_hash, hash) "
	         "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	         &st)) != 0)
		return err;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)at);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)hlc);
	store_bind_text(st, 4, s->actor);
	store_bind_text(st, 5, action);
	store_bind_text(st, 6, entity);
	store_bind_text(st, 7, entity_id);
	store_bind_text(st, 8, detail);
	sqlite3_bind_blob(st, 9, prev, 32, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 10, hash, 32, SQLITE_TRANSIENT);
	err = store_step_done(s, st, "audit append");
	sqlite3_finalize(st);
	return err;
}

int
store_audit(struct store *s, const char *action, const char *entity,
    const char *entity_id, const char *detail)
{
	int err;

	if (s->in_tx)
		return store_audit_append(s, action, entity, entity_id, detail);
	if ((err = store_tx_begin(s)) != 0)
		return err;
	err = store_audit_append(s, action, entity, entity_id, detail);
	return store_tx_end(s, err);
}

/* --- checks --- */

static int
store_check_pragma(
    struct store *s, const char *pragma, struct buf *rep, int *rows)
{
	sqlite3_stmt *st;
	const unsigned char *t;
	int rc, err, bad = 0;

	*rows = 0;
	if ((err = store_prepare(s, pragma, &st)) != 0)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		(*rows)++;
		t = sqlite3_column_text(st, 0);
		if (t != NULL && strcmp((const char *)t, "ok") != 0) {
			if (!bad)
				buf_printf(
				    rep, "%s: %s\n", pragma, (const char *)t);
			bad = 1;
		}
	}
	if (rc != SQLITE_DONE)
		err = store_err(s, rc, pragma);
	sqlite3_finalize(st);
	return err != 0 ? err : bad ? EBADMSG : 0;
}

static int
store_check_audit(struct store *s, struct buf *rep, uint64_t *count)
{
	sqlite3_stmt *st;
	uint8_t prev[32] = { 0 }, h[32];
	uint64_t seq, expect = 1;
	int rc, err;

	*count = 0;
	if ((err = store_prepare(s,
	         "SELECT seq, at_ms, hlc, actor, action, "
	         "entity, entity_id, detail, prev_hash, hash FROM audit "
	         "ORDER BY seq",
	         &st)) != 0)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		seq = (uint64_t)sqlite3_column_int64(st, 0);
		if (seq != expect) {
			buf_printf(rep,
			    "audit: entry %llu is missing "
			    "(found %llu next)\n",
			    (unsigned long long)expect,
			    (unsigned long long)seq);
			err = EBADMSG;
			break;
		}
		if (sqlite3_column_bytes(st, 8) != 32 ||
		    memcmp(sqlite3_column_blob(st, 8), prev, 32) != 0) {
			buf_printf(rep,
			    "audit: entry %llu does not carry the "
			    "hash of entry %llu (chain broken at entry "
			    "%llu)\n",
			    (unsigned long long)seq,
			    (unsigned long long)(seq - 1),
			    (unsigned long long)seq);
			err = EBADMSG;
			break;
		}
		store_audit_hash(seq, (uint64_t)sqlite3_column_int64(st, 1),
		    (uint64_t)sqlite3_column_int64(st, 2),
		    (const char *)sqlite3_column_text(st, 3),
		    (const char *)sqlite3_column_text(st, 4),
		    (const char *)sqlite3_column_text(st, 5),
		    (const char *)sqlite3_column_text(st, 6),
		    (const char *)sqlite3_column_text(st, 7), prev, h);
		if (sqlite3_column_bytes(st, 9) != 32 ||
		    memcmp(sqlite3_column_blob(st, 9), h, 32) != 0) {
			buf_printf(rep,
			    "audit: entry %llu was altered (its "
			    "content does not match its hash)\n",
			    (unsigned long long)seq);
			err = EBADMSG;
			break;
		}
		memcpy(prev, h, 32);
		expect++;
		(*count)++;
	}
	if (err == 0 && rc != SQLITE_DONE)
		err = store_err(s, rc, "audit read");
	sqlite3_finalize(st);
	return err;
}

static int
store_check_outbox(struct store *s, struct buf *rep, uint64_t *count)
{
	sqlite3_stmt *st;
	uint64_t seq, expect = 1;
	cbor_item_t *it;
	int rc, err;

	*count = 0;
	if ((err = store_prepare(
	         s, "SELECT seq, body FROM outbox ORDER BY seq", &st)) != 0)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		seq = (uint64_t)sqlite3_column_int64(st, 0);
		if (seq != expect) {
			buf_printf(rep, "outbox: change %llu is missing\n",
			    (unsigned long long)expect);
			err = EBADMSG;
			break;
		}
		if (cborx_decode(sqlite3_column_blob(st, 1),
		        (size_t)sqlite3_column_bytes(st, 1), 1 << 24,
		        &it) != 0) {
			buf_printf(rep,
			    "outbox: change %llu is not valid "
			    "CBOR\n",
			    (unsigned long long)seq);
			err = EBADMSG;
			break;
		}
		cbor_decref(&it);
		expect++;
		(*count)++;
	}
	if (err == 0 && rc != SQLITE_DONE)
		err = store_err(s, rc, "outbox read");
	sqlite3_finalize(st);
	return err;
}

/* SQLCipher's version, or "(none)" when built against plain SQLite. */
static const char *
store_cipher_version(struct store *s)
{
	static char v[32];
	sqlite3_stmt *st;

	snprintf(v, sizeof(v), "(none)");
	if (store_prepare(s, "PRAGMA cipher_version", &st) != 0)
		return v;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(v, sizeof(v), "%s",
		    (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return v;
}

int
store_check(struct store *s, char **report)
{
	struct buf rep;
	uint64_t naudit = 0, nout = 0;
	int err, e, rows;

	buf_init(&rep, 1 << 20);
	err = store_check_pragma(s, "PRAGMA integrity_check", &rep, &rows);
	if (err == 0)
		buf_printf(&rep, "integrity_check: ok\n");
	e = store_check_pragma(s, "PRAGMA cipher_integrity_check", &rep, &rows);
	if (e == 0 && rows == 0)
		buf_printf(&rep,
		    "cipher_integrity_check: not available in "
		    "SQLCipher %s; every page's HMAC was still verified as "
		    "integrity_check read it\n",
		    store_cipher_version(s));
	else if (e == 0)
		buf_printf(&rep, "cipher_integrity_check: ok\n");
	if (err == 0)
		err = e;
	e = store_check_audit(s, &rep, &naudit);
	if (e == 0)
		buf_printf(&rep, "audit chain: ok (%llu entries)\n",
		    (unsigned long long)naudit);
	if (err == 0)
		err = e;
	e = store_check_outbox(s, &rep, &nout);
	if (e == 0)
		buf_printf(&rep, "outbox: ok (%llu changes, no gaps)\n",
		    (unsigned long long)nout);
	if (err == 0)
		err = e;
	*report = buf_take_str(&rep);
	return err;
}

int
store_backup(struct store *s, const char *path)
{
	struct store dst = { 0 };
	sqlite3_backup *b;
	int rc, err;

	unlink(path);
	rc = sqlite3_open_v2(
	    path, &dst.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		err = store_err(&dst, rc, "backup open");
		goto out;
	}
	memcpy(dst.key, s->key, 32);
	if ((err = store_key_db(&dst)) != 0)
		goto out;
	if ((b = sqlite3_backup_init(dst.db, "main", s->db, "main")) == NULL) {
		err = store_err(&dst, sqlite3_errcode(dst.db), "backup init");
		goto out;
	}
	rc = sqlite3_backup_step(b, -1);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		err = store_err(&dst, rc, "backup");
		goto out;
	}
	err = store_exec(&dst, "PRAGMA journal_mode = DELETE");
out:
	if (dst.db != NULL)
		sqlite3_close(dst.db);
	explicit_bzero(dst.key, sizeof(dst.key));
	if (err != 0)
		unlink(path);
	return err;
}
