/*
 * Internals shared by the store's files; nothing outside the store
 * includes this (but tests).  A write is:
 *
 *	if ((err = store_tx_begin(s)) != 0) return err;
 *	store_rec_init(s, &r, REC_..., id, store_hlc_now(s));
 *	model_set_text(&r, REC_..., value); ...      (model/model.h)
 *	err = store_row_insert(s, &r, NULL, 0);      (or store_row_update)
 *	err = store_outbox_put(s, &r);               (syncable rows)
 *	err = store_audit_append(s, "create", "patient", id, NULL);
 *	return store_tx_end(s, err);      commits when err == 0, else rolls back
 */
#ifndef KIOSK_STORE_INT_H
#define KIOSK_STORE_INT_H

/* bench/store builds the same store against plain SQLite to measure what
 * encryption costs (PRAGMA key is then ignored). */
#ifdef STORE_PLAIN_SQLITE
#include <sqlite3.h>
#else
#include <sqlcipher/sqlite3.h>
#endif

#include "cborx.h"
#include "hlc.h"
#include "model.h"
#include "store.h"

struct store {
	sqlite3 *db;
	char *dir;
	uint8_t key[32];
	char node_id[UUID_STRLEN + 1];
	char *actor; /* user id, or NULL for "system" */
	struct hlc hlc;
	uint64_t hlc_ref_ms; /* server time from its last answer, or 0 */
	int in_tx;
	int migrated; /* schema in place: commits persist the clock */
};

/* Map a SQLite result code to an errno value, logging SQLite's message. */
int store_err(struct store *, int rc, const char *what);
/* Prepare SQL; logs and maps errors. */
int store_prepare(struct store *, const char *sql, sqlite3_stmt **);
/* Run SQL with no results. */
int store_exec(struct store *, const char *sql);
/* Step a statement expected to finish (SQLITE_DONE). */
int store_step_done(struct store *, sqlite3_stmt *, const char *what);

int store_tx_begin(struct store *);
/* Commit when ERR is 0 (returning the commit's result), else roll back
 * and return ERR. */
int store_tx_end(struct store *, int err);

/* Append a change record; takes ownership of BODY. */
int store_outbox_append(struct store *, int entity, const char *id,
    uint64_t hlc, cbor_item_t *body);
int store_audit_append(struct store *, const char *action, const char *entity,
    const char *entity_id, const char *detail);

/* Pulled change R lost field I to the value stored with (WON_HLC,
 * WON_ORIGIN): keep it as a conflict when the values differ
 * (conflict.c; inside the pull's transaction). */
int store_conflict_keep(struct store *, const struct model_rec *r, size_t i,
    uint64_t origin, uint64_t won_hlc, uint64_t won_origin);

/* --- records through model descriptors (row.c) --- */
/* Start record R of ENTITY for a local change: its id and HLC, this node,
 * and the acting user as REC_K_BY when it is a user id. */
void store_rec_init(struct store *, struct model_rec *r, int entity,
    const char *id, uint64_t hlc);
/* Append R's body (model_encode) to the outbox. */
int store_outbox_put(struct store *, const struct model_rec *r);
/* A column only the kiosk keeps (not synced): text, or a blob when BLOB. */
struct store_col {
	const char *col;
	const void *p; /* NULL: SQL NULL */
	size_t len;
	int blob;
};
/* Insert R as a new row: the columns of its set fields, the descriptor's
 * defaults for the NOT NULL columns it lacks, and EXTRA. */
int store_row_insert(struct store *, const struct model_rec *r,
    const struct store_col *extra, size_t nextra);
/* Set the mutable fields R carries, and hlc, on row R->id (AND WHERE when
 * not NULL); *CHANGES: rows changed (0 when R carries no such field). */
int store_row_update(
    struct store *, const struct model_rec *r, const char *where, int *changes);
/* Write new patient R (patient.c: its row with IMPORT_KEY when not NULL,
 * its change, its audit entry) inside the open transaction. */
int store_patient_write(
    struct store *, const struct model_rec *r, const char *import_key);
/* Bind value V of field F to parameter IDX; EINVAL when it does not fit. */
int store_bind_value(sqlite3_stmt *, int idx, const struct model_field *f,
    const struct model_value *v);
/*
 * The patient merges in force, as a table for FROM (merge.c): of two
 * merges naming the same pair in opposite directions (made at the same
 * time on two kiosks) only the earlier, by (hlc, id), so every node
 * keeps the same survivor whatever order they arrive in.
 */
#define STORE_MERGES_IN_FORCE                                                  \
	"(SELECT * FROM merges m WHERE m.deleted = 0 AND NOT EXISTS"           \
	" (SELECT 1 FROM merges r WHERE r.deleted = 0"                         \
	" AND r.duplicate_id = m.survivor_id"                                  \
	" AND r.survivor_id = m.duplicate_id"                                  \
	" AND (r.hlc < m.hlc OR (r.hlc = m.hlc AND r.id < m.id))))"
/* The acting user's name, registration number and public signing key,
 * and their private key (consult.c; a prescription is signed the same
 * way, rx.c). */
int consult_actor(
    struct store *, char **name, char **regno, uint8_t pub[32], int *has_pub);
int consult_priv(struct store *, uint8_t priv[32]);
/* Prescription R was just stored (pulled or made here): apply a cancel
 * or stop whose order is here, or the pending ones naming this order
 * (rx.c; inside the open transaction). */
int store_rx_stored(struct store *, const struct model_rec *r);

/* Fill OUT with a fresh UUIDv7 string. */
void store_new_id(char out[UUID_STRLEN + 1]);

/* Bind helpers: NULL strings bind as SQL NULL. */
int store_bind_text(sqlite3_stmt *, int idx, const char *);
/* Column as a new string (NULL for SQL NULL). */
char *store_col_text(sqlite3_stmt *, int idx);

/* Tests only: the SQLite VFS to open databases with (NULL: default). */
extern const char *store_test_vfs;

/* store_open, stopping the schema at MAX_VERSION (0 = newest): for the
 * migration tests. */
int store_open_at(const char *dir, const uint8_t key[32], int create,
    int max_version, struct store **out);

/* Migrations (store_schema.c): bring the schema to MAX (0 = newest). */
int store_schema_migrate(struct store *, int max);
int store_schema_latest(void);

#endif
