/*
 * The consult rules both programs share (issue 13): the urgency a request
 * takes from NEWS2 and danger signs, and the exact bytes a clinician
 * signs.  Pure functions.
 */
#ifndef MODEL_CONSULT_H
#define MODEL_CONSULT_H

#include <stddef.h>
#include <stdint.h>

enum consult_urgency {
	CONSULT_LOW = 0, /* NEWS2 0-4, no danger sign */
	CONSULT_MEDIUM = 1, /* NEWS2 5-6, or a single parameter scoring 3 */
	CONSULT_HIGH = 2, /* NEWS2 7 or more, or a WHO IMCI danger sign */
};

/* The urgency of a request from the visit's NEWS2 total (negative: not
 * scored), whether one parameter scored 3, and danger signs. */
int consult_urgency(int news2, int red_single, int danger);
const char *consult_urgency_name(int urgency);

/* The modes a CHW may ask for. */
int consult_mode_valid(const char *mode);

/* The note a clinician signs. */
struct consult_note {
	const char *consult_id; /* uuid text */
	const char *clinician; /* user id text */
	const char *regno; /* may be NULL: "" */
	const char *subjective, *objective, *assessment, *plan; /* NULL: "" */
	uint64_t signed_ms;
};

/*
 * The signed bytes: the deterministic CBOR array ["outpost-consult-
 * note/1", consult id (bytes 16), clinician, regno, S, O, A, P,
 * signed_ms].  EINVAL for a consult id that is not a uuid.
 */
int consult_sig_bytes(const struct consult_note *, uint8_t **out, size_t *len);

#endif
