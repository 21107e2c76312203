/*
 * The store's side of sync bookkeeping (syncstate.h): which attachments
 * went up (the sync_blobs table, made by schema migration 4) and the
 * manifest walk behind `kiosk sync manifest`.
 */
#define LOG_MODULE "store_sync"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "log.h"
#include "protocol.h"
#include "record.h"
#include "licstore.h"
#include "store_int.h"
#include "syncstate.h"
#include "uuid.h"
#include "xmalloc.h"

void
store_sync_ids_free(char **ids, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

int
store_sync_blobs_pending(struct store *s, char ***ids, size_t *n)
{
	sqlite3_stmt *st;
	const unsigned char *id;
	int rc, err;

	*ids = NULL;
	*n = 0;
	if ((err = store_prepare(s,
	         "SELECT id FROM attachments WHERE id NOT IN"
	         " (SELECT id FROM sync_blobs) ORDER BY id",
	         &st)) != 0)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((id = sqlite3_column_text(st, 0)) == NULL)
			continue;
		*ids = xreallocarray(*ids, *n + 1, sizeof(**ids));
		(*ids)[(*n)++] = xstrdup((const char *)id);
	}
	err = rc == SQLITE_DONE ? 0 : store_err(s, rc, "pending blobs");
	sqlite3_finalize(st);
	if (err != 0) {
		store_sync_ids_free(*ids, *n);
		*ids = NULL;
		*n = 0;
	}
	return err;
}

int
store_sync_blob_held(struct store *s, const char *id)
{
	sqlite3_stmt *st;
	int err;

	if ((err = store_prepare(s,
	         "INSERT OR IGNORE INTO sync_blobs(id) VALUES(?)", &st)) != 0)
		return err;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	err = store_step_done(s, st, "blob held");
	sqlite3_finalize(st);
	return err;
}

int
store_sync_refused(struct store *s, uint64_t seq, int code, const char *why,
    const char **entity, char *id)
{
	struct store_change *ch = NULL;
	char detail[192];
	size_t n = 0;
	int err;

	*entity = "?";
	id[0] = '\0';
	if (seq == 0)
		return ENOENT;
	if ((err = store_outbox_read(s, seq - 1, 1, &ch, &n)) != 0)
		return err;
	if (n != 1 || ch[0].seq != seq) {
		store_outbox_free(ch, n);
		return ENOENT;
	}
	*entity = rec_entity_name(ch[0].entity);
	snprintf(id, UUID_STRLEN + 1, "%s", ch[0].id);
	store_outbox_free(ch, n);
	snprintf(detail, sizeof(detail), "code %d: %s", code, why);
	if ((err = store_tx_begin(s)) != 0)
		return err;
	err = store_audit_append(s, "sync-refused", *entity, id, detail);
	/* A refused change wins no merge (pulled.c), and a consult another
	 * hub took shows as taken until the winner's change arrives. */
	if (err == 0) {
		sqlite3_stmt *st;

		if ((err = store_prepare(s,
		         "UPDATE outbox SET refused = 1 WHERE seq = ?", &st)) ==
		    0) {
			sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
			err = store_step_done(s, st, "outbox refused");
			sqlite3_finalize(st);
		}
	}
	if (err == 0 && strcmp(*entity, "consult") == 0 &&
	    code == WERR_CONSULT_TAKEN)
		err = store_consult_taken(s, id);
	if (err == 0 && strcmp(*entity, "consult") == 0 && code == WERR_LICENCE)
		err = store_licence_unaccept(s, id);
	return store_tx_end(s, err);
}

int
store_sync_manifest(
    struct store *s, int tables, store_manifest_fn fn, void *arg)
{
	static const struct {
		int entity;
		const char *sql;
	} q[] = {
		{ REC_PATIENT, "SELECT id FROM patients" },
		{ REC_ENCOUNTER, "SELECT id FROM encounters" },
		{ REC_OBSERVATION, "SELECT id FROM observations" },
		{ REC_FORM, "SELECT id FROM form_submissions" },
		{ REC_ALERT, "SELECT id FROM alerts" },
		{ REC_MERGE, "SELECT id FROM merges" },
	};
	sqlite3_stmt *st = NULL;
	const char *id;
	size_t i;
	int rc = SQLITE_DONE, err = 0;

	for (i = 0; i < (tables ? nitems(q) : 1) && err == 0; i++) {
		if ((err = store_prepare(s,
		         tables ? q[i].sql
		                : "SELECT entity, entity_id, body FROM outbox"
		                  " ORDER BY seq",
		         &st)) != 0)
			return err;
		while (err == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			if (tables) {
				id = (const char *)sqlite3_column_text(st, 0);
				err =
				    fn(arg, q[i].entity, id ? id : "", NULL, 0);
				continue;
			}
			id = (const char *)sqlite3_column_text(st, 1);
			err = fn(arg, sqlite3_column_int(st, 0), id ? id : "",
			    sqlite3_column_blob(st, 2),
			    (size_t)sqlite3_column_bytes(st, 2));
		}
		if (err == 0 && rc != SQLITE_DONE)
			err = store_err(s, rc, "manifest");
		sqlite3_finalize(st);
		st = NULL;
	}
	return err;
}
