/*
 * The prescription rules both programs share (issue 14): the exact bytes
 * a clinician signs for an order, a cancel or a stop (REC_PRESCRIPTION,
 * model/record.h).  Pure functions.
 */
#ifndef MODEL_PRESCRIPTION_H
#define MODEL_PRESCRIPTION_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

/*
 * The signed bytes of prescription record R: the deterministic CBOR
 * array ["outpost-rx/1", id (bytes 16), then every field of the
 * descriptor but the signature and "by", in descriptor order, each its
 * value or null; a float as an unsigned count of thousandths].  So every
 * field a sheet shows is signed.  EINVAL: R is not a prescription, its
 * id not a uuid, or a float negative or not finite.
 */
int prescription_sig_bytes(
    const struct model_rec *r, uint8_t **out, size_t *len);

/* Is ACTION one a prescription may carry? */
int prescription_action_valid(const char *action);

#endif
