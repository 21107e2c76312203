/*
 * Concurrent edits kept (issue 9, item 3).  The per-field merge of pulled
 * changes (pulled.c) picks the value with the greatest (HLC, origin); the
 * other value used to vanish.  Now a pulled value that loses to a
 * different value is kept here with its whole change body, its HLC, the
 * node it came from and the user who made it, and the winner's HLC and
 * node, until a facility administrator keeps the current value or writes
 * the lost one back (`kiosk conflict list|resolve`).  Every resolution is
 * an audit entry; taking the lost value is an ordinary edit (row, outbox
 * change, audit entry in one transaction), so it syncs and wins
 * everywhere.
 *
 * Where a loss is seen: on the node whose own edit won (the other edit
 * was made without seeing it, so the two were concurrent), and on nodes
 * that received the winner first.  Not here: deciding who is right.
 */
#define LOG_MODULE "store"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cborx.h"
#include "clock.h"
#include "hlc.h"
#include "log.h"
#include "model.h"
#include "store_int.h"
#include "str.h"
#include "xmalloc.h"

/* The text SQLite gives value V of field F (as the tables hold it). */
static char *
conflict_text(
    struct store *s, const struct model_field *f, const struct model_value *v)
{
	sqlite3_stmt *st = NULL;
	char *t = NULL;

	if (v == NULL || store_prepare(s, "SELECT ?1", &st) != 0)
		return xstrdup("");
	if (store_bind_value(st, 1, f, v) == 0 &&
	    sqlite3_step(st) == SQLITE_ROW)
		t = store_col_text(st, 0);
	sqlite3_finalize(st);
	return t != NULL ? t : xstrdup("");
}

int
store_conflict_keep(struct store *s, const struct model_rec *r, size_t i,
    uint64_t origin, uint64_t won_hlc, uint64_t won_origin)
{
	const struct model_entity *e = r->e;
	const struct model_field *f = &e->fields[i];
	const struct model_value *by = model_get(r, REC_K_BY);
	sqlite3_stmt *st = NULL;
	cbor_item_t *m = NULL;
	uint8_t *body = NULL;
	char sql[256];
	size_t len;
	int rc, err;

	/* The same value lost nothing; a loss already kept stays one. */
	if ((size_t)snprintf(sql, sizeof(sql),
	        "SELECT 1 FROM %s WHERE id = ?2 AND %s IS ?1 UNION ALL"
	        " SELECT 1 FROM conflicts WHERE entity = ?3 AND"
	        " record_id = ?2 AND field = ?4 AND lost_hlc = ?5 AND"
	        " lost_origin = ?6",
	        e->table, f->col) >= sizeof(sql))
		return EINVAL;
	if ((err = store_prepare(s, sql, &st)) != 0)
		return err;
	if ((err = store_bind_value(st, 1, f, &r->v[i])) != 0) {
		sqlite3_finalize(st);
		return err;
	}
	sqlite3_bind_text(st, 2, r->id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, e->entity);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)f->key);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)r->hlc);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)origin);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	st = NULL;
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return store_err(s, rc, "conflict check");
	if ((err = model_encode(r, &m)) != 0 ||
	    (err = cborx_encode(m, &body, &len)) != 0)
		goto out;
	if ((err = store_prepare(s,
	         "INSERT INTO conflicts(entity, record_id, field, col,"
	         " lost_body, lost_hlc, lost_origin, lost_by, won_hlc,"
	         " won_origin, at_ms) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	         &st)) != 0)
		goto out;
	sqlite3_bind_int(st, 1, e->entity);
	sqlite3_bind_text(st, 2, r->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)f->key);
	sqlite3_bind_text(st, 4, f->col, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, body, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)r->hlc);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)origin);
	if (by != NULL && by->text != NULL)
		sqlite3_bind_text(st, 8, by->text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)won_hlc);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)won_origin);
	sqlite3_bind_int64(st, 11, (sqlite3_int64)hlc_wall_ms());
	err = store_step_done(s, st, "conflict keep");
	if (err == 0)
		log_info("conflict kept: %s %s field %" PRIu64, e->table, r->id,
		    f->key);
out:
	sqlite3_finalize(st);
	if (m != NULL)
		cbor_decref(&m);
	free(body);
	return err;
}

void
store_conflict_free(struct store_conflict *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(c[i].lost);
		free(c[i].current);
	}
	free(c);
}

/* The lost value of C (decoded from BODY) and the current one, as text. */
static void
conflict_values(struct store *s, struct store_conflict *c, uint64_t field,
    const void *body, size_t len)
{
	const struct model_entity *e = model_entity(c->entity);
	sqlite3_stmt *st = NULL;
	struct model_rec r;
	char sql[160];
	int i;

	memset(&r, 0, sizeof(r));
	if (e == NULL || (i = model_field_index(e, field)) < 0) {
		c->lost = xstrdup("");
		c->current = xstrdup("");
		return;
	}
	if (model_decode(e, body, len, &r) == 0)
		c->lost = conflict_text(s, &e->fields[i], model_get(&r, field));
	else
		c->lost = xstrdup("");
	model_rec_clear(&r);
	snprintf(sql, sizeof(sql), "SELECT %s FROM %s WHERE id = ?",
	    e->fields[i].col, e->table);
	if (store_prepare(s, sql, &st) == 0) {
		sqlite3_bind_text(st, 1, c->record_id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			c->current = store_col_text(st, 0);
		sqlite3_finalize(st);
	}
	if (c->current == NULL)
		c->current = xstrdup("");
}

int
store_conflict_list(
    struct store *s, int all, struct store_conflict **out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	struct store_conflict *c;
	char detail[32];
	int rc, err;

	*out = NULL;
	*n = 0;
	if ((err = store_prepare(s,
	         "SELECT id, entity, record_id, field, col, lost_body,"
	         " lost_hlc, lost_origin, coalesce(lost_by, ''), won_hlc,"
	         " won_origin, at_ms, coalesce(resolved_ms, 0),"
	         " coalesce(resolved_by, ''), coalesce(resolution, '')"
	         " FROM conflicts WHERE ?1 OR resolved_ms IS NULL"
	         " ORDER BY id",
	         &st)) != 0)
		return err;
	sqlite3_bind_int(st, 1, all != 0);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = xreallocarray(*out, *n + 1, sizeof(**out));
		c = &(*out)[(*n)++];
		memset(c, 0, sizeof(*c));
		c->id = sqlite3_column_int64(st, 0);
		c->entity = sqlite3_column_int(st, 1);
		str_lcpy(c->record_id, (const char *)sqlite3_column_text(st, 2),
		    sizeof(c->record_id));
		str_lcpy(c->col, (const char *)sqlite3_column_text(st, 4),
		    sizeof(c->col));
		c->lost_hlc = (uint64_t)sqlite3_column_int64(st, 6);
		c->lost_origin = (uint64_t)sqlite3_column_int64(st, 7);
		str_lcpy(c->lost_by, (const char *)sqlite3_column_text(st, 8),
		    sizeof(c->lost_by));
		c->won_hlc = (uint64_t)sqlite3_column_int64(st, 9);
		c->won_origin = (uint64_t)sqlite3_column_int64(st, 10);
		c->at_ms = (uint64_t)sqlite3_column_int64(st, 11);
		c->resolved_ms = (uint64_t)sqlite3_column_int64(st, 12);
		str_lcpy(c->resolved_by,
		    (const char *)sqlite3_column_text(st, 13),
		    sizeof(c->resolved_by));
		str_lcpy(c->resolution,
		    (const char *)sqlite3_column_text(st, 14),
		    sizeof(c->resolution));
		conflict_values(s, c, (uint64_t)sqlite3_column_int64(st, 3),
		    sqlite3_column_blob(st, 5),
		    (size_t)sqlite3_column_bytes(st, 5));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		err = store_err(s, rc, "conflict list");
	if (err == 0 && (err = store_tx_begin(s)) == 0) {
		snprintf(detail, sizeof(detail), "%zu listed", *n);
		err = store_tx_end(
		    s, store_audit_append(s, "view", "conflicts", "", detail));
	}
	if (err != 0) {
		store_conflict_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return err;
}

/* Write field FIELD of the lost change BODY back as this node's edit. */
static int
conflict_take(struct store *s, int entity, const char *id, uint64_t field,
    const void *body, size_t len)
{
	const struct model_entity *e = model_entity(entity);
	struct model_rec lost, r;
	int i, err, n = 0;

	memset(&lost, 0, sizeof(lost));
	if (e == NULL || (i = model_field_index(e, field)) < 0)
		return EINVAL;
	if ((err = model_decode(e, body, len, &lost)) != 0)
		goto out;
	store_rec_init(s, &r, entity, id, store_hlc_now(s));
	r.v[i] = lost.v[i];
	if ((err = store_row_update(s, &r, NULL, &n)) == 0 && n != 1)
		err = ESTALE;
	if (err == 0)
		err = store_outbox_put(s, &r);
out:
	model_rec_clear(&lost);
	return err;
}

int
store_conflict_resolve(
    struct store *s, int64_t id, int take_theirs, char **cause)
{
	sqlite3_stmt *st = NULL;
	char detail[96], rid[UUID_STRLEN + 1], col[32];
	int entity = 0, rc, err;
	uint64_t field = 0;

	if ((err = store_tx_begin(s)) != 0)
		return err;
	if ((err = store_prepare(s,
	         "SELECT entity, record_id, field, col, lost_body FROM"
	         " conflicts WHERE id = ? AND resolved_ms IS NULL",
	         &st)) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		err = ENOENT;
		if (cause != NULL)
			xasprintf(cause,
			    "no open conflict %lld: see kiosk conflict list",
			    (long long)id);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		err = store_err(s, rc, "conflict get");
		goto out;
	}
	entity = sqlite3_column_int(st, 0);
	str_lcpy(rid, (const char *)sqlite3_column_text(st, 1), sizeof(rid));
	field = (uint64_t)sqlite3_column_int64(st, 2);
	str_lcpy(col, (const char *)sqlite3_column_text(st, 3), sizeof(col));
	if (take_theirs &&
	    (err = conflict_take(s, entity, rid, field,
	         sqlite3_column_blob(st, 4),
	         (size_t)sqlite3_column_bytes(st, 4))) != 0) {
		if (err == ESTALE && cause != NULL)
			xasprintf(cause, "the record of conflict %lld is gone",
			    (long long)id);
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((err = store_prepare(s,
	         "UPDATE conflicts SET resolved_ms = ?, resolved_by = ?,"
	         " resolution = ? WHERE id = ?",
	         &st)) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)hlc_wall_ms());
	sqlite3_bind_text(
	    st, 2, s->actor ? s->actor : "system", -1, SQLITE_STATIC);
	sqlite3_bind_text(
	    st, 3, take_theirs ? "theirs" : "current", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, id);
	if ((err = store_step_done(s, st, "conflict resolve")) != 0)
		goto out;
	snprintf(detail, sizeof(detail), "conflict %lld, field %s: kept %s",
	    (long long)id, col, take_theirs ? "theirs" : "current");
	err = store_audit_append(
	    s, "conflict-resolve", rec_entity_name(entity), rid, detail);
out:
	sqlite3_finalize(st);
	return store_tx_end(s, err);
}
