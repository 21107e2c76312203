/*
 * The consult rules of consult.h.
 */
#include <errno.h>
#include <string.h>

#include "cborx.h"
#include "consult.h"
#include "uuid.h"

int
consult_urgency(int news2, int red_single, int danger)
{
	if (danger || news2 >= 7)
		return CONSULT_HIGH;
	if (news2 >= 5 || red_single)
		return CONSULT_MEDIUM;
	return CONSULT_LOW;
}

const char *
consult_urgency_name(int urgency)
{
	switch (urgency) {
	case CONSULT_HIGH:
		return "high";
	case CONSULT_MEDIUM:
		return "medium";
	default:
		return "low";
	}
}

int
consult_mode_valid(const char *mode)
{
	return mode != NULL &&
	    (strcmp(mode, "video") == 0 || strcmp(mode, "voice") == 0 ||
	        strcmp(mode, "store-forward") == 0);
}

int
consult_sig_bytes(const struct consult_note *n, uint8_t **out, size_t *len)
{
	const char *t[7] = { n->clinician, n->regno, n->subjective,
		n->objective, n->assessment, n->plan, NULL };
	cbor_item_t *a;
	struct uuid u;
	size_t i;
	int err;

	*out = NULL;
	*len = 0;
	if (n->consult_id == NULL || uuid_parse(n->consult_id, &u) != 0)
		return EINVAL;
	a = cborx_array(9);
	cborx_array_push(a, cborx_text("outpost-consult-note/1"));
	cborx_array_push(a, cborx_bytes(u.b, UUID_LEN));
	for (i = 0; i < 6; i++)
		cborx_array_push(a, cborx_text(t[i] != NULL ? t[i] : ""));
	cborx_array_push(a, cborx_uint(n->signed_ms));
	err = cborx_encode(a, out, len) == 0 ? 0 : ENOMEM;
	cbor_decref(&a);
	return err;
}
