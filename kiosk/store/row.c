/*
 * Rows from model descriptors (model/model.h): the one place that turns a
 * record's fields into INSERT and UPDATE statements and binds their
 * values, for local writes (patient.c, encounter.c...) and pulled changes
 * (pulled.c) alike, and that turns a record into its outbox body.  A field
 * added to a descriptor is thus written, sent and merged with no edit
 * here.
 *
 * Column names come only from the descriptors (constants), never from
 * input.  Nothing here opens a transaction: callers do.
 */
#define LOG_MODULE "store"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "store_int.h"
#include "xmalloc.h"

void
store_rec_init(struct store *s, struct model_rec *r, int entity, const char *id,
    uint64_t hlc)
{
	struct uuid u;

	model_rec_init(r, model_entity(entity), id, hlc, s->node_id);
	assert(r->e != NULL);
	if (s->actor != NULL && uuid_parse(s->actor, &u) == 0)
		model_set_uuid(r, REC_K_BY, s->actor);
}

int
store_outbox_put(struct store *s, const struct model_rec *r)
{
	cbor_item_t *body;
	int err;

	if ((err = model_encode(r, &body)) != 0) {
		log_warnx("record %s (entity %d) cannot be encoded", r->id,
		    r->e->entity);
		return err;
	}
	return store_outbox_append(s, r->e->entity, r->id, r->hlc, body);
}

/* Re-stamp one outbox change C with HLC NH: its body, its outbox row, and
 * the record's row when that still carries the old stamp. */
static int
store_restamp_one(struct store *s, const struct store_change *c, uint64_t nh)
{
	const struct model_entity *e = model_entity(c->entity);
	struct model_rec r;
	cbor_item_t *body = NULL;
	sqlite3_stmt *st = NULL;
	uint8_t *buf = NULL;
	char sql[128];
	size_t len;
	int err;

	if (e == NULL)
		return EBADMSG;
	if ((err = model_decode(e, c->body, c->len, &r)) != 0)
		goto out;
	r.hlc = nh;
	if ((err = model_encode(&r, &body)) != 0 ||
	    (err = cborx_encode(body, &buf, &len)) != 0)
		goto out;
	if ((err = store_prepare(s,
	         "UPDATE outbox SET hlc = ?, body = ? WHERE seq = ?", &st)) !=
	    0)
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)nh);
	sqlite3_bind_blob(st, 2, buf, (int)len, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)c->seq);
	if ((err = store_step_done(s, st, "outbox restamp")) != 0)
		goto out;
	sqlite3_finalize(st);
	st = NULL;
	snprintf(sql, sizeof(sql),
	    "UPDATE %s SET hlc = ? WHERE id = ? AND hlc = ?", e->table);
	if ((err = store_prepare(s, sql, &st)) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)nh);
	store_bind_text(st, 2, c->id);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)c->hlc);
	err = store_step_done(s, st, "row restamp");
out:
	sqlite3_finalize(st);
	if (body != NULL)
		cbor_decref(&body);
	free(buf);
	model_rec_clear(&r);
	return err;
}

int
store_outbox_restamp(
    struct store *s, uint64_t after, uint64_t bound_ms, size_t *n)
{
	struct store_change *c = NULL;
	size_t cnt = 0, i;
	int err;

	*n = 0;
	if ((err = store_tx_begin(s)) != 0)
		return err;
	do {
		if ((err = store_outbox_read(s, after, 256, &c, &cnt)) != 0)
			break;
		for (i = 0; i < cnt && err == 0; i++) {
			after = c[i].seq;
			if (HLC_MS(c[i].hlc) <= bound_ms)
				continue;
			if ((err = store_restamp_one(
			         s, &c[i], store_hlc_now(s))) == 0)
				(*n)++;
		}
		store_outbox_free(c, cnt);
		c = NULL;
	} while (err == 0 && cnt == 256);
	if (err != 0) {
		log_warnx("could not re-stamp the outbox: %s", strerror(err));
		*n = 0;
	}
	return store_tx_end(s, err);
}

int
store_bind_value(sqlite3_stmt *st, int idx, const struct model_field *f,
    const struct model_value *v)
{
	int rc = SQLITE_OK;

	if (v->null)
		rc = sqlite3_bind_null(st, idx);
	else
		switch (f->type) {
		case MODEL_TEXT:
		case MODEL_UUID:
			rc = store_bind_text(st, idx, v->text);
			break;
		case MODEL_UINT:
			if (v->u > INT64_MAX)
				return EINVAL;
			rc = sqlite3_bind_int64(st, idx, (sqlite3_int64)v->u);
			break;
		case MODEL_INT:
			rc = sqlite3_bind_int64(st, idx, (sqlite3_int64)v->i);
			break;
		case MODEL_BOOL:
			rc = sqlite3_bind_int(st, idx, v->i != 0);
			break;
		case MODEL_DOUBLE:
			rc = sqlite3_bind_double(st, idx, v->d);
			break;
		case MODEL_BYTES:
		case MODEL_CBOR:
			if (v->len > INT32_MAX)
				return EINVAL;
			rc = sqlite3_bind_blob(st, idx,
			    v->p != NULL ? (const void *)v->p : "", (int)v->len,
			    SQLITE_TRANSIENT);
			break;
		default:
			return EINVAL;
		}
	return rc == SQLITE_OK ? 0 : EINVAL;
}

/* Is column COL among the fields R carries? */
static int
row_has_col(const struct model_rec *r, const char *col)
{
	size_t i;

	for (i = 0; i < r->e->nfields; i++)
		if (r->v[i].set && strcmp(r->e->fields[i].col, col) == 0)
			return 1;
	return 0;
}

int
store_row_insert(struct store *s, const struct model_rec *r,
    const struct store_col *extra, size_t nextra)
{
	const struct model_entity *e = r->e;
	struct buf cols, vals;
	sqlite3_stmt *st = NULL;
	char *sql = NULL;
	size_t i;
	int err = 0, idx = 3;

	buf_init(&cols, 8192);
	buf_init(&vals, 4096);
	buf_printf(&cols, "INSERT INTO %s(id, hlc", e->table);
	buf_printf(&vals, ") VALUES(?1, ?2");
	for (i = 0; i < e->nfields; i++)
		if (r->v[i].set) {
			buf_printf(&cols, ", %s", e->fields[i].col);
			buf_printf(&vals, ", ?%d", idx++);
		}
	for (i = 0; i < nextra; i++) {
		buf_printf(&cols, ", %s", extra[i].col);
		buf_printf(&vals, ", ?%d", idx++);
	}
	for (i = 0; i < e->ndefaults; i++) {
		if (row_has_col(r, e->defaults[i].col))
			continue;
		buf_printf(&cols, ", %s", e->defaults[i].col);
		if (strcmp(e->defaults[i].sql, MODEL_DEFAULT_MS) == 0)
			buf_printf(&vals, ", %" PRIu64, HLC_MS(r->hlc));
		else
			buf_printf(&vals, ", %s", e->defaults[i].sql);
	}
	buf_printf(&vals, ")");
	buf_append(&cols, vals.data, vals.len);
	sql = buf_take_str(&cols);
	if ((err = store_prepare(s, sql, &st)) != 0)
		goto out;
	store_bind_text(st, 1, r->id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)r->hlc);
	idx = 3;
	for (i = 0; i < e->nfields && err == 0; i++)
		if (r->v[i].set)
			err = store_bind_value(
			    st, idx++, &e->fields[i], &r->v[i]);
	for (i = 0; i < nextra && err == 0; i++) {
		if (extra[i].p == NULL)
			sqlite3_bind_null(st, idx);
		else if (extra[i].blob)
			sqlite3_bind_blob(st, idx, extra[i].p,
			    (int)extra[i].len, SQLITE_TRANSIENT);
		else
			store_bind_text(st, idx, extra[i].p);
		idx++;
	}
	if (err == 0)
		err = store_step_done(s, st, "insert");
out:
	sqlite3_finalize(st);
	buf_free(&vals);
	free(sql);
	return err;
}

int
store_row_update(
    struct store *s, const struct model_rec *r, const char *where, int *changes)
{
	const struct model_entity *e = r->e;
	struct buf b;
	sqlite3_stmt *st = NULL;
	char *sql = NULL;
	size_t i;
	int err = 0, idx = 3, n = 0;

	*changes = 0;
	buf_init(&b, 8192);
	buf_printf(&b, "UPDATE %s SET hlc = ?2", e->table);
	for (i = 0; i < e->nfields; i++)
		if (r->v[i].set && e->fields[i].mutable_) {
			buf_printf(&b, ", %s = ?%d", e->fields[i].col, idx++);
			n++;
		}
	buf_printf(
	    &b, " WHERE id = ?1%s%s", where ? " AND " : "", where ? where : "");
	sql = buf_take_str(&b);
	if (n == 0)
		goto out; /* nothing to change */
	if ((err = store_prepare(s, sql, &st)) != 0)
		goto out;
	store_bind_text(st, 1, r->id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)r->hlc);
	idx = 3;
	for (i = 0; i < e->nfields && err == 0; i++)
		if (r->v[i].set && e->fields[i].mutable_)
			err = store_bind_value(
			    st, idx++, &e->fields[i], &r->v[i]);
	if (err == 0 && (err = store_step_done(s, st, "update")) == 0)
		*changes = sqlite3_changes(s->db);
out:
	sqlite3_finalize(st);
	free(sql);
	return err;
}
