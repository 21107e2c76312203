/*
 * Patient merges and the probable duplicates that lead to them.  A merge
 * is an append-only record (entity 15, model/record.h) naming a survivor
 * and a duplicate; it is written with its outbox change and audit entry
 * in one transaction, and pulled ones land in the same table.  Nothing is
 * rewritten: reads resolve a merged id to its survivor
 * (store_patient_resolve) and search leaves merged-away records out, so a
 * merge applied twice, or before the patients it names, gives the same
 * result.  The suspected pairs (dup_suspects) stay on this kiosk.
 *
 * Two merges of one pair in opposite directions (made at once on two
 * kiosks): the earlier by (hlc, id) is in force on every node
 * (STORE_MERGES_IN_FORCE).  Deliberately not here: deciding that two
 * people are one (staff do, on the duplicates screen), and longer cycles
 * (a into b, b into c, c into a at once), where reading stops at the
 * loop.
 */
#define LOG_MODULE "store"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "patient.h"
#include "record.h"
#include "store_int.h"
#include "str.h"
#include "xmalloc.h"

/* How many merges a chain may have (a into b into c...). */
#define MERGE_CHAIN_MAX 8

/* Run SQL with up to three text parameters (NULL binds SQL NULL). */
static int
exec3(struct store *s, const char *sql, const char *a, const char *b,
    const char *c)
{
	sqlite3_stmt *st;
	int err;

	if ((err = store_prepare(s, sql, &st)) != 0)
		return err;
	store_bind_text(st, 1, a);
	store_bind_text(st, 2, b);
	if (c != NULL)
		store_bind_text(st, 3, c);
	err = store_step_done(s, st, "merge");
	sqlite3_finalize(st);
	return err;
}

int
store_patient_resolve(
    struct store *s, const char *id, char out[UUID_STRLEN + 1])
{
	char cur[UUID_STRLEN + 1];
	const unsigned char *t;
	sqlite3_stmt *st;
	int i, rc, err;

	str_lcpy(cur, id, sizeof(cur));
	if ((err = store_prepare(s,
	         "SELECT survivor_id FROM " STORE_MERGES_IN_FORCE
	         " e WHERE e.duplicate_id = ? ORDER BY e.hlc, e.id LIMIT 1",
	         &st)) != 0)
		return err;
	for (i = 0; i < MERGE_CHAIN_MAX; i++) {
		sqlite3_reset(st);
		store_bind_text(st, 1, cur);
		rc = sqlite3_step(st);
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_ROW) {
			err = store_err(s, rc, "merge resolve");
			break;
		}
		t = sqlite3_column_text(st, 0);
		if (t == NULL || strcmp((const char *)t, id) == 0)
			break; /* a cycle: stop at the last one */
		str_lcpy(cur, (const char *)t, sizeof(cur));
	}
	sqlite3_finalize(st);
	if (err == 0)
		memcpy(out, cur, sizeof(cur));
	return err;
}

/* The suspected pair (?1, ?2), either way round, is resolved: merged. */
#define SUSPECTS_MERGED                                                        \
	"UPDATE dup_suspects SET resolution = 'merged',"                       \
	" resolved_ms = CAST(strftime('%s','now') AS INTEGER) * 1000"          \
	" WHERE resolved_ms IS NULL AND ((new_id = ?1 AND old_id = ?2) OR"     \
	" (new_id = ?2 AND old_id = ?1))"

int
store_patient_merge(struct store *s, const char *survivor,
    const char *duplicate, const char *reason)
{
	struct store_patient a, b;
	char sid[UUID_STRLEN + 1], did[UUID_STRLEN + 1];
	char id[UUID_STRLEN + 1];
	struct model_rec r;
	int err;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	if ((err = store_patient_resolve(s, survivor, sid)) != 0 ||
	    (err = store_patient_resolve(s, duplicate, did)) != 0)
		return err;
	if (strcmp(sid, did) == 0) { /* one record already */
		err = exec3(s, SUSPECTS_MERGED, did, sid, NULL);
		return err != 0 ? err : EEXIST;
	}
	/* both must be known here and not deleted */
	if ((err = store_patient_get(s, sid, &a)) != 0 ||
	    (err = store_patient_get(s, did, &b)) != 0)
		goto out;
	store_new_id(id);
	if ((err = store_tx_begin(s)) != 0)
		goto out;
	store_rec_init(s, &r, REC_MERGE, id, store_hlc_now(s));
	model_set_text(&r, REC_MERGE_SURVIVOR, sid);
	model_set_text(&r, REC_MERGE_DUPLICATE, did);
	model_set_text(&r, REC_MERGE_REASON, reason);
	if ((err = store_row_insert(s, &r, NULL, 0)) == 0 &&
	    (err = store_outbox_put(s, &r)) == 0)
		err = store_audit_append(s, "merge", "patient", did, sid);
	if (err == 0)
		err = exec3(s, SUSPECTS_MERGED, did, sid, NULL);
	err = store_tx_end(s, err);
	if (err == 0)
		log_info("patient merge %s", id);
out:
	store_patient_clear(&a);
	store_patient_clear(&b);
	return err;
}

int
store_patient_duplicate(struct store *s, const struct store_patient *typed,
    struct store_patient *out)
{
	struct store_patient *res = NULL;
	char q[2 * 200 + 2];
	size_t n = 0, i;
	int err;

	memset(out, 0, sizeof(*out));
	if (typed->given == NULL || typed->family == NULL)
		return ENOENT;
	snprintf(q, sizeof(q), "%s %s", typed->given, typed->family);
	if ((err = store_patient_find(s, q, 10, &res, &n)) != 0 &&
	    err != EINVAL)
		return err;
	for (i = 0; i < n; i++)
		if (patient_probably_same(res[i].given, res[i].family,
		        res[i].birth_date, typed->given, typed->family,
		        typed->birth_date)) {
			*out = res[i];
			memset(&res[i], 0, sizeof(res[i]));
			store_patient_free_array(res, n);
			return 0;
		}
	store_patient_free_array(res, n);
	res = NULL;
	n = 0;
	/* the same phone number */
	if (typed->phone != NULL && strlen(typed->phone) >= 6 &&
	    store_patient_find(s, typed->phone, 1, &res, &n) == 0 && n > 0) {
		*out = res[0];
		memset(&res[0], 0, sizeof(res[0]));
		store_patient_free_array(res, n);
		return 0;
	}
	store_patient_free_array(res, n);
	return ENOENT;
}

int
store_dup_flag(
    struct store *s, const char *new_id, const char *old_id, const char *why)
{
	int err;

	if ((err = store_tx_begin(s)) != 0)
		return err;
	err = exec3(s,
	    "INSERT INTO dup_suspects(new_id, old_id, why, at_ms)"
	    " VALUES (?1, ?2, ?3, CAST(strftime('%s','now') AS INTEGER)"
	    " * 1000)",
	    new_id, old_id, why);
	if (err == 0)
		err = store_audit_append(
		    s, "flag", "patient", new_id, "probable duplicate");
	return store_tx_end(s, err);
}

int
store_dup_list(struct store *s, struct store_dup *out, size_t max, size_t *n)
{
	const unsigned char *t;
	sqlite3_stmt *st;
	int rc = SQLITE_DONE, err;

	*n = 0;
	if ((err = store_prepare(s,
	         "SELECT id, new_id, old_id, why FROM dup_suspects"
	         " WHERE resolved_ms IS NULL ORDER BY id",
	         &st)) != 0)
		return err;
	while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_dup *d = &out[*n];

		memset(d, 0, sizeof(*d));
		d->id = sqlite3_column_int64(st, 0);
		if ((t = sqlite3_column_text(st, 1)) != NULL)
			str_lcpy(d->new_id, (const char *)t, sizeof(d->new_id));
		if ((t = sqlite3_column_text(st, 2)) != NULL)
			str_lcpy(d->old_id, (const char *)t, sizeof(d->old_id));
		if ((t = sqlite3_column_text(st, 3)) != NULL)
			str_lcpy(d->why, (const char *)t, sizeof(d->why));
		(*n)++;
	}
	if (*n < max && rc != SQLITE_DONE)
		err = store_err(s, rc, "dup list");
	sqlite3_finalize(st);
	return err;
}

int
store_dup_dismiss(struct store *s, int64_t id)
{
	char num[24];
	int err;

	snprintf(num, sizeof(num), "%lld", (long long)id);
	if ((err = store_tx_begin(s)) != 0)
		return err;
	err = exec3(s,
	    "UPDATE dup_suspects SET resolved_ms ="
	    " CAST(strftime('%s','now') AS INTEGER) * 1000,"
	    " resolution = 'different' WHERE id = CAST(?1 AS INTEGER)"
	    " AND resolved_ms IS NULL",
	    num, NULL, NULL);
	if (err == 0)
		err = store_audit_append(
		    s, "resolve", "patient", NULL, "not a duplicate");
	return store_tx_end(s, err);
}
