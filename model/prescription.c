/*
 * The prescription rules of prescription.h.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "cborx.h"
#include "prescription.h"
#include "record.h"
#include "uuid.h"

int
prescription_action_valid(const char *action)
{
	return action != NULL &&
	    (strcmp(action, "order") == 0 || strcmp(action, "cancel") == 0 ||
	        strcmp(action, "stop") == 0);
}

/* The signed form of value V of field F. */
static cbor_item_t *
rx_sig_value(const struct model_field *f, const struct model_value *v)
{
	if (!v->set || v->null)
		return cborx_null();
	switch (f->type) {
	case MODEL_TEXT:
	case MODEL_UUID:
		return cborx_text(v->text);
	case MODEL_UINT:
		return cborx_uint(v->u);
	case MODEL_BOOL:
		return cborx_bool((int)v->i);
	case MODEL_DOUBLE:
		if (!isfinite(v->d) || v->d < 0 || v->d > 1e12)
			return NULL;
		return cborx_uint((uint64_t)llround(v->d * 1000));
	case MODEL_BYTES:
		return cborx_bytes(v->p, v->len);
	default:
		return NULL;
	}
}

int
prescription_sig_bytes(const struct model_rec *r, uint8_t **out, size_t *len)
{
	const struct model_entity *e = r->e;
	cbor_item_t *a, *it;
	struct uuid u;
	size_t i;
	int err = 0;

	*out = NULL;
	*len = 0;
	if (e == NULL || e->entity != REC_PRESCRIPTION ||
	    uuid_parse(r->id, &u) != 0)
		return EINVAL;
	a = cborx_array(e->nfields); /* less SIG and "by", plus tag and id */
	cborx_array_push(a, cborx_text("outpost-rx/1"));
	cborx_array_push(a, cborx_bytes(u.b, UUID_LEN));
	for (i = 0; i < e->nfields && err == 0; i++) {
		if (e->fields[i].key == REC_RX_SIG ||
		    e->fields[i].key == REC_K_BY)
			continue;
		if ((it = rx_sig_value(&e->fields[i], &r->v[i])) == NULL)
			err = EINVAL;
		else
			cborx_array_push(a, it);
	}
	if (err == 0 && cborx_encode(a, out, len) != 0)
		err = ENOMEM;
	cbor_decref(&a);
	return err;
}
