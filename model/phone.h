/*
 * Phone numbers in E.164 ("+254756477422"), the form the kiosk stores, so
 * one number typed as 0756 477 422 at one clinic and +254756477422 at
 * another is the same patient's.  A local number becomes E.164 with the
 * node's country (`kiosk init --country KE`, `kiosk country KE`).  Pure
 * functions; the store normalises with them on every registration, import
 * and search (kiosk/store/patient.c).
 */
#ifndef MODEL_PHONE_H
#define MODEL_PHONE_H

#include <stddef.h>

/* "+" + 15 digits + NUL, with room to spare */
#define PHONE_MAX 20

/* The calling code ("254") of the ISO 3166 alpha-2 country ISO2 (any
 * case), or NULL when it is not in the table. */
const char *phone_calling_code(const char *iso2);
/* The ISO 3166 alpha-2 code (upper case) of the table's entry for ISO2,
 * or NULL: the spelling to store. */
const char *phone_country(const char *iso2);

/*
 * Normalise IN into OUT (at least PHONE_MAX bytes): spaces, dashes, dots
 * and brackets go; "+CC..." and "00CC..." stay international; with CC
 * (the node's calling code digits, or NULL), a local number with its
 * leading 0 ("0756477422") or without it ("756477422") becomes
 * "+CC756477422".  Without CC a local number is kept as its digits.
 * Returns 0, or EINVAL with *CAUSE (static English text, for the person
 * who typed it) when IN is not a phone number.
 */
int phone_normalise(
    const char *in, const char *cc, char *out, size_t len, const char **cause);

/* Are A and B, normalised with CC, the same whole number?  0 when either
 * is not a phone number. */
int phone_same(const char *a, const char *b, const char *cc);

/*
 * Does the stored number STORED answer a search for QUERY (digits, maybe
 * spaces, dashes or a leading + or 0)?  Both are normalised with CC; a
 * whole number must be the same number, a part (4 digits or more) may
 * match anywhere after the country code or trunk 0.
 */
int phone_match(const char *stored, const char *query, const char *cc);

#endif
