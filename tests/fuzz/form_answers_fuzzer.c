/*
 * Fuzz harness for the region export's reading of a form's OpenRosa
 * instance (sync-server/work/export.c, "a form's answers"): any bytes a
 * kiosk saved as a form's XML must give a QuestionnaireResponse whose
 * items each have a linkId and either sub-items or one valueString
 * answer (never both), or no items at all, and CSV answer rows that
 * parse; nothing may crash, leak or read out of bounds.  `make check`
 * replays tests/fuzz/corpus/form_answers; `make fuzz` builds it for
 * libFuzzer.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <jansson.h>

#include "buf.h"
#include "cborx.h"
#include "hlc.h"
#include "model.h"
#include "record.h"
#include "sync-server/work/export.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
items_check(json_t *items)
{
	json_t *it, *sub, *ans;
	size_t i;

	assert(json_is_array(items) && json_array_size(items) > 0);
	json_array_foreach(items, i, it)
	{
		assert(
		    json_string_value(json_object_get(it, "linkId")) != NULL);
		sub = json_object_get(it, "item");
		ans = json_object_get(it, "answer");
		assert((sub == NULL) != (ans == NULL));
		if (sub != NULL)
			items_check(sub);
		else
			assert(json_array_size(ans) == 1 &&
			    json_string_value(json_object_get(
			        json_array_get(ans, 0), "valueString")) !=
			        NULL);
	}
}

static int
take(void *arg, const char *name, const struct buf *b)
{
	json_error_t jerr;
	json_t *o, *items;

	(void)arg;
	if (strcmp(name, "QuestionnaireResponse.ndjson") != 0)
		return 0;
	o = json_loadb((const char *)b->data, b->len, 0, &jerr);
	assert(o != NULL);
	if ((items = json_object_get(o, "item")) != NULL)
		items_check(items);
	json_decref(o);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t id[16] = { 1, 2, 3, 4, 5, 6, 0x70, 8, 0x80, 10 };
	struct xport_summary sum;
	struct model_rec r;
	cbor_item_t *m = NULL;
	uint8_t *body = NULL;
	struct xport *x;
	size_t len;

	if (size > 64 * 1024)
		return 0;
	model_rec_init(&r, model_entity(REC_FORM),
	    "01020304-0506-7008-800a-000000000000", HLC_MAKE(1, 0), NULL);
	model_set_text(&r, REC_FORM_FORMID, "f");
	model_set_bytes(&r, REC_FORM_XML, data, size);
	assert(model_encode(&r, &m) == 0);
	assert(cborx_encode(m, &body, &len) == 0);
	cbor_decref(&m);
	model_rec_clear(&r);
	x = xport_new();
	xport_add(x, REC_FORM, id, HLC_MAKE(1, 0), 1, body, len);
	free(body);
	assert(xport_run(x, 0, UINT64_MAX, XPORT_FHIR | XPORT_CSV, 1 << 24,
	           take, NULL, &sum) == 0);
	assert(sum.malformed <= 1);
	xport_free(x);
	return 0;
}
