/*
 * Applying pulled changes to the kiosk's tables (DESIGN.md §5,
 * docs/PROTOCOL.md §5.2), one page per transaction together with the new
 * pull cursor, so a crash leaves either the whole page and its cursor or
 * neither.  Applying is idempotent: a page seen twice changes nothing.
 *
 *   - Append-only facts (observations, form submissions): inserted when
 *     the id is new, otherwise ignored.
 *   - Mutable records (patients, encounters, alerts): merged per field by
 *     HLC.  sync_field_hlc remembers the HLC (and origin node) each field
 *     last came with; a field the table never got from sync counts as
 *     written at the row's HLC.  Ties go to the higher origin node id, so
 *     every kiosk picks the same winner.
 *   - Other entities are not applied on the kiosk yet (counted, skipped).
 *
 * A change that cannot be applied (a constraint fails, a field has the
 * wrong type) is rolled back on its own savepoint and logged by id, so one
 * bad record never blocks the rest.  Pulled changes never enter the
 * outbox.  The node's HLC in the meta table is moved past every pulled
 * HLC.  Nothing identifying a patient is logged.
 *
 * This file reads the page and decodes each body through the entity's
 * descriptor (model/model.h); the merge rule is model_merge_wins(), and
 * every statement is the store's (kiosk/store/pulled.c): no SQL here.
 */
#define LOG_MODULE "sync_apply"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cborx.h"
#include "log.h"
#include "protocol.h"
#include "model.h"
#include "record.h"
#include "kiosk/store/store.h"
#include "sync.h"
#include "sync_int.h"
#include "uuid.h"

/* Apply one change; *CHANGED when it altered a row. */
static int
apply_one(struct store *s, int entity, const char *id, uint64_t hlc,
    uint64_t origin, uint64_t self, const uint8_t *body, size_t len,
    int *changed)
{
	struct model_rec r;
	int err;

	*changed = 0;
	if (!store_pull_keeps(entity))
		return 0; /* not kept on the kiosk */
	if ((err = model_decode(model_entity(entity), body, len, &r)) == 0) {
		/* The change's own id and HLC, whatever the body says. */
		snprintf(r.id, sizeof(r.id), "%s", id);
		r.hlc = hlc;
		err = store_pull_apply(s, &r, origin, self, changed);
	}
	model_rec_clear(&r);
	return err;
}

int
sync_apply_page(struct store *s, const void *changes_item,
    const uint8_t *cursor, size_t cursor_len, uint64_t *n, uint64_t *applied)
{
	cbor_item_t *arr = (cbor_item_t *)changes_item, **f;
	const uint8_t *idb, *body;
	size_t i, idlen, blen;
	uint64_t entity, hlc, origin, self, max_hlc = 0;
	struct uuid u;
	char id[UUID_STRLEN + 1];
	int err, changed;

	*n = *applied = 0;
	if (!cbor_isa_array(arr))
		return EBADMSG;
	if (sync_state_u64(s, SYNC_K_NODE, &self) != 0)
		self = 0;
	if ((err = store_pull_begin(s)) != 0)
		return err;
	for (i = 0; i < cbor_array_size(arr); i++) {
		cbor_item_t *c = cbor_array_handle(arr)[i];

		if (!cbor_isa_array(c) || cbor_array_size(c) != PULL_C_COUNT) {
			err = EBADMSG;
			goto out;
		}
		f = cbor_array_handle(c);
		if (cborx_get_uint(f[PULL_C_ENTITY], &entity) != 0 ||
		    cborx_get_bytes(f[PULL_C_ID], 16, &idb, &idlen) != 0 ||
		    idlen != 16 || cborx_get_uint(f[PULL_C_HLC], &hlc) != 0 ||
		    cborx_get_bytes(
		        f[PULL_C_BODY], MODEL_BODY_MAX, &body, &blen) != 0 ||
		    cborx_get_uint(f[PULL_C_ORIGIN], &origin) != 0 ||
		    hlc > INT64_MAX || origin > INT64_MAX ||
		    entity > REC_ENTITY_MAX) {
			err = EBADMSG;
			goto out;
		}
		memcpy(u.b, idb, 16);
		uuid_format(&u, id);
		if (hlc > max_hlc)
			max_hlc = hlc;
		(*n)++;
		if ((err = store_pull_change_begin(s)) != 0)
			goto out;
		err = apply_one(s, (int)entity, id, hlc, origin, self, body,
		    blen, &changed);
		if (err == EINVAL || err == EBADMSG) {
			/* This record cannot be applied here; keep going. */
			log_warnx("change %s (entity %d) not applied: %s", id,
			    (int)entity, strerror(err));
			err = 0;
			changed = 0;
			if ((err = store_pull_change_end(s, 1)) != 0)
				goto out;
		} else if (err != 0)
			goto out;
		else if ((err = store_pull_change_end(s, 0)) != 0)
			goto out;
		*applied += changed != 0;
	}
out:
	/* The cursor, and the node clock past everything seen, commit with
	 * the page; on error nothing of it stays. */
	return store_pull_end(
	    s, err, SYNC_K_CURSOR, cursor, cursor_len, max_hlc);
}
