/*
 * Pulled changes into the kiosk's tables: the store half of applying a
 * page (kiosk/sync/apply.c decodes the page and the bodies; this file
 * holds every SQL statement that applying needs).
 *
 *   - A page is one store transaction (store_pull_begin/store_pull_end),
 *     which also writes the new pull cursor, so a crash leaves either the
 *     whole page and its cursor or neither.
 *   - Each change runs on its own savepoint (store_pull_change_begin/end):
 *     one that cannot be applied is rolled back alone.
 *   - Append-only facts are inserted when the id is new, else ignored.
 *     Mutable records are merged per field with model_merge_wins(): the
 *     table sync_field_hlc remembers the (HLC, origin) each field last came
 *     with; this node's own changes are read back from the outbox (but
 *     not those the server refused: nobody else has them).  A
 *     pulled value that loses to a different value is kept as a conflict
 *     (conflict.c), not dropped.
 *
 * Pulled changes never enter the outbox.  The node clock is moved past
 * every pulled HLC when the page commits.
 */
#define LOG_MODULE "store"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "log.h"
#include "model.h"
#include "store_int.h"
#include "xmalloc.h"

/* The entities whose pulled changes the kiosk keeps in its tables. */
static const int pull_kept[] = { REC_PATIENT, REC_ENCOUNTER, REC_OBSERVATION,
	REC_FORM, REC_ALERT, REC_CONSULT, REC_MERGE, REC_PRESCRIPTION,
	REC_REFERRAL, REC_APPOINTMENT };

int
store_pull_keeps(int entity)
{
	size_t i;

	for (i = 0; i < nitems(pull_kept); i++)
		if (pull_kept[i] == entity)
			return model_entity(entity) != NULL;
	return 0;
}

int
store_pull_begin(struct store *s)
{
	return store_tx_begin(s);
}

int
store_pull_end(struct store *s, int err, const char *cursor_key,
    const uint8_t *cursor, size_t cursor_len, uint64_t max_hlc)
{
	if (err == 0)
		err = store_state_put(s, cursor_key,
		    cursor_len ? (const void *)cursor : "", cursor_len);
	/* store_tx_end persists the clock with the commit. */
	if (err == 0 && max_hlc > 0)
		store_hlc_merge(s, max_hlc);
	return store_tx_end(s, err);
}

int
store_pull_change_begin(struct store *s)
{
	return store_exec(s, "SAVEPOINT pulled");
}

int
store_pull_change_end(struct store *s, int undo)
{
	if (undo)
		store_exec(s, "ROLLBACK TO pulled");
	return store_exec(s, "RELEASE pulled");
}

/*
 * The HLC and origin a field of a row last came with: the newer of what a
 * pull recorded in sync_field_hlc and this node's own changes to the
 * record that carry the field (read back from the outbox, origin SELF).
 * Every node thus picks, per field, the change with the greatest
 * (HLC, origin) it has seen, and all converge on the same value.
 */
static int
pull_field_hlc(struct store *s, int entity, const char *id, uint64_t key,
    uint64_t self, uint64_t *hlc, uint64_t *origin)
{
	sqlite3_stmt *st = NULL;
	cbor_item_t *it;
	uint64_t h;
	int rc, err;

	*hlc = 0;
	*origin = 0;
	if ((err = store_prepare(s,
	         "SELECT hlc, origin FROM sync_field_hlc"
	         " WHERE entity = ? AND id = ? AND field = ?",
	         &st)) != 0)
		return err;
	sqlite3_bind_int(st, 1, entity);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)key);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*hlc = (uint64_t)sqlite3_column_int64(st, 0);
		*origin = (uint64_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_err(s, rc, "field hlc");
	if ((err = store_prepare(s,
	         "SELECT hlc, body FROM outbox WHERE entity_id = ? AND "
	         "entity = ? AND hlc >= ? AND refused = 0 ORDER BY hlc DESC",
	         &st)) != 0)
		return err;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, entity);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)*hlc);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		h = (uint64_t)sqlite3_column_int64(st, 0);
		if (!model_merge_wins(h, self, *hlc, *origin))
			break;
		if (cborx_decode(sqlite3_column_blob(st, 1),
		        (size_t)sqlite3_column_bytes(st, 1), MODEL_BODY_MAX,
		        &it) != 0)
			continue;
		if (cbor_isa_map(it) && cborx_map_get(it, key) != NULL) {
			*hlc = h;
			*origin = self;
			cbor_decref(&it);
			break;
		}
		cbor_decref(&it);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE
	    ? 0
	    : store_err(s, rc, "own changes");
}

static int
pull_field_hlc_put(struct store *s, int entity, const char *id, uint64_t key,
    uint64_t hlc, uint64_t origin)
{
	sqlite3_stmt *st = NULL;
	int err;

	if ((err = store_prepare(s,
	         "INSERT OR REPLACE INTO sync_field_hlc(entity, id, field, "
	         "hlc, origin) VALUES(?, ?, ?, ?, ?)",
	         &st)) != 0)
		return err;
	sqlite3_bind_int(st, 1, entity);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)key);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)hlc);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)origin);
	err = store_step_done(s, st, "field hlc put");
	sqlite3_finalize(st);
	return err;
}

/* Set column F of row ID to V. */
static int
pull_set(struct store *s, const struct model_entity *e,
    const struct model_field *f, const struct model_value *v, const char *id)
{
	sqlite3_stmt *st = NULL;
	char sql[256];
	int err;

	if ((size_t)snprintf(sql, sizeof(sql),
	        "UPDATE %s SET %s = ?1 WHERE id = ?2", e->table,
	        f->col) >= sizeof(sql))
		return EINVAL;
	if ((err = store_prepare(s, sql, &st)) != 0)
		return err;
	if ((err = store_bind_value(st, 1, f, v)) == 0) {
		sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
		err = store_step_done(s, st, "merge");
	}
	sqlite3_finalize(st);
	return err;
}

/* Merge the fields of R into the existing row; *CHANGED when any won. */
static int
pull_merge(struct store *s, const struct model_rec *r, uint64_t origin,
    uint64_t self, uint64_t row_hlc, int *changed)
{
	const struct model_entity *e = r->e;
	sqlite3_stmt *st = NULL;
	uint64_t fh, fo;
	char sql[128];
	size_t i;
	int err;

	for (i = 0; i < e->nfields; i++) {
		if (!r->v[i].set || !e->fields[i].mutable_)
			continue;
		if ((err = pull_field_hlc(s, e->entity, r->id, e->fields[i].key,
		         self, &fh, &fo)) != 0)
			return err;
		if (!model_merge_wins(r->hlc, origin, fh, fo)) {
			if ((err = store_conflict_keep(
			         s, r, i, origin, fh, fo)) != 0)
				return err;
			continue;
		}
		if ((err = pull_set(s, e, &e->fields[i], &r->v[i], r->id)) !=
		        0 ||
		    (err = pull_field_hlc_put(s, e->entity, r->id,
		         e->fields[i].key, r->hlc, origin)) != 0)
			return err;
		*changed = 1;
	}
	if (!*changed || r->hlc <= row_hlc)
		return 0;
	snprintf(
	    sql, sizeof(sql), "UPDATE %s SET hlc = ?1 WHERE id = ?2", e->table);
	if ((err = store_prepare(s, sql, &st)) != 0)
		return err;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)r->hlc);
	sqlite3_bind_text(st, 2, r->id, -1, SQLITE_STATIC);
	err = store_step_done(s, st, "hlc");
	sqlite3_finalize(st);
	return err;
}

/*
 * What applying says upward: a constraint (unique or not) means this
 * record cannot go in here (EINVAL, skipped by the caller); any other
 * SQLite error is the store's (EIO and the others, which stop the page).
 */
static int
pull_errno(struct store *s, int err)
{
	if (err == EEXIST)
		return EINVAL;
	if (err == EINVAL &&
	    (sqlite3_extended_errcode(s->db) & 0xff) != SQLITE_CONSTRAINT)
		return EIO;
	return err;
}

static int
pull_apply(struct store *s, const struct model_rec *r, uint64_t origin,
    uint64_t self, int *changed)
{
	const struct model_entity *e = r->e;
	sqlite3_stmt *st = NULL;
	uint64_t row_hlc = 0;
	char sql[128];
	size_t i;
	int rc, err, exists = 0;

	*changed = 0;
	snprintf(sql, sizeof(sql), "SELECT hlc FROM %s WHERE id = ?", e->table);
	if ((err = store_prepare(s, sql, &st)) != 0)
		return err;
	sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		exists = 1;
		row_hlc = (uint64_t)sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_err(s, rc, "lookup");
	if (exists)
		return e->mutable_
		    ? pull_merge(s, r, origin, self, row_hlc, changed)
		    : 0;
	if ((err = store_row_insert(s, r, NULL, 0)) != 0)
		return err;
	*changed = 1;
	/* a cancel waits for its order (rx.c) */
	if (e->entity == REC_PRESCRIPTION && (err = store_rx_stored(s, r)) != 0)
		return err;
	for (i = 0; i < e->nfields && err == 0 && e->mutable_; i++)
		if (r->v[i].set)
			err = pull_field_hlc_put(s, e->entity, r->id,
			    e->fields[i].key, r->hlc, origin);
	return err;
}

int
store_pull_apply(struct store *s, const struct model_rec *r, uint64_t origin,
    uint64_t self, int *changed)
{
	return pull_errno(s, pull_apply(s, r, origin, self, changed));
}
