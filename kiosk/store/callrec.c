/*
 * A consult call's evidence (REC_CALL) as the kiosk keeps and syncs it:
 * one row in `calls`, its change in the outbox and an audit entry, in one
 * transaction.  Append-only: the row is never updated (a trigger refuses
 * it), so what a node recorded stays as recorded.  No patient data: the
 * peer is a node's SIP URI and the consult is named by its id.
 */
#include <errno.h>
#include <string.h>

#include "record.h"
#include "store.h"
#include "store_int.h"

static void
put_mark(struct model_rec *r, uint64_t key, const struct store_call_mark *m)
{
	if (m->wall_ms == 0 && m->mono_ms == 0)
		return; /* not seen: absent, never made up */
	model_set_uint(r, key, m->wall_ms);
	model_set_uint(r, key + 1, m->mono_ms);
}

int
store_call_add(
    struct store *s, const struct store_call *c, char id_out[UUID_STRLEN + 1])
{
	char id[UUID_STRLEN + 1];
	struct model_rec r;
	int err;

	if (c->end_kind == NULL || c->end_kind[0] == '\0')
		return EINVAL;
	store_new_id(id);
	if ((err = store_tx_begin(s)) != 0)
		return err;
	store_rec_init(s, &r, REC_CALL, id, store_hlc_now(s));
	if (c->consult_id != NULL && c->consult_id[0] != '\0')
		model_set_text(&r, REC_CALL_CONSULT, c->consult_id);
	if (c->sip_call_id != NULL && c->sip_call_id[0] != '\0')
		model_set_text(&r, REC_CALL_SIP_ID, c->sip_call_id);
	if (c->peer != NULL && c->peer[0] != '\0')
		model_set_text(&r, REC_CALL_PEER, c->peer);
	model_set_bool(&r, REC_CALL_OUTGOING, c->outgoing != 0);
	put_mark(&r, REC_CALL_RINGING, &c->ringing);
	put_mark(&r, REC_CALL_ESTABLISHED, &c->established);
	put_mark(&r, REC_CALL_MEDIA_RX, &c->media_rx);
	put_mark(&r, REC_CALL_MEDIA_TX, &c->media_tx);
	put_mark(&r, REC_CALL_SECURE, &c->secure);
	put_mark(&r, REC_CALL_ENDED, &c->ended);
	model_set_text(&r, REC_CALL_END, c->end_kind);
	if (c->end_reason != NULL && c->end_reason[0] != '\0')
		model_set_text(&r, REC_CALL_END_REASON, c->end_reason);
	model_set_uint(&r, REC_CALL_CONNECTED_MS, c->connected_ms);
	if ((err = store_row_insert(s, &r, NULL, 0)) != 0 ||
	    (err = store_outbox_put(s, &r)) != 0)
		goto out;
	err = store_audit_append(s, "create", "call", id, c->end_kind);
out:
	err = store_tx_end(s, err);
	if (err == 0 && id_out != NULL)
		memcpy(id_out, id, sizeof(id));
	return err;
}
