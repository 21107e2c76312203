/*
 * Fuzz harness for model_decode (model/model.c), which reads every pulled
 * record body on the kiosk: the first byte picks the entity, the rest is
 * the body.  A body must be refused or accepted without crashing, leaking
 * or reading out of bounds; an accepted one must encode again, and that
 * encoding must decode to the same fields.  `make check` replays
 * tests/fuzz/corpus/model_decode; `make fuzz` builds it for libFuzzer.
 */
#include <assert.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cborx.h"
#include "model.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
same_value(const struct model_field *f, const struct model_value *a,
    const struct model_value *b)
{
	assert(a->set == b->set && a->null == b->null);
	if (!a->set || a->null)
		return;
	switch (f->type) {
	case MODEL_TEXT:
	case MODEL_UUID:
		assert(strcmp(a->text, b->text) == 0);
		break;
	case MODEL_UINT:
		assert(a->u == b->u);
		break;
	case MODEL_INT:
	case MODEL_BOOL:
		assert(a->i == b->i);
		break;
	case MODEL_DOUBLE:
		assert(a->d == b->d || (isnan(a->d) && isnan(b->d)));
		break;
	default:
		assert(a->len == b->len && memcmp(a->p, b->p, a->len) == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct model_entity *e;
	struct model_rec r, again;
	cbor_item_t *m = NULL;
	uint8_t *enc = NULL;
	size_t len, i;

	if (size < 1 ||
	    (e = model_entity(1 + data[0] % REC_ENTITY_MAX)) == NULL)
		return 0;
	memset(&again, 0, sizeof(again));
	if (model_decode(e, data + 1, size - 1, &r) == 0) {
		if (model_encode(&r, &m) == 0) {
			assert(cborx_encode(m, &enc, &len) == 0);
			assert(model_decode(e, enc, len, &again) == 0);
			for (i = 0; i < e->nfields; i++)
				same_value(&e->fields[i], &r.v[i], &again.v[i]);
			cbor_decref(&m);
			free(enc);
		}
	}
	model_rec_clear(&again);
	model_rec_clear(&r);
	return 0;
}
