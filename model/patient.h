/*
 * The patient rules every part of the kiosk applies: the sex vocabulary,
 * what a birth date may look like, and an age from it.  Pure functions; the
 * store validates with them, the command line and the screens parse what
 * people type with them.
 */
#ifndef MODEL_PATIENT_H
#define MODEL_PATIENT_H

#include <time.h>

/*
 * The stored value ("female", "male", "other", "unknown") for what a person
 * typed: any case, a non-empty start of one of those words ("f", "fem",
 * "M", "o", "u"...) or "woman"/"man".  NULL when it is none of them.
 */
const char *patient_sex_parse(const char *typed);
/* Is S exactly one of the stored values? */
int patient_sex_valid(const char *s);

/*
 * Is S a birth date: "YYYY" or "YYYY-MM-DD", a real calendar date, year
 * from 1880, not after the day following NOW.
 */
int patient_birth_valid(const char *s, time_t now);

/*
 * Age in whole months at NOW (local time) of someone born on BIRTH
 * ("YYYY" counts from 1 July of that year); -1 when BIRTH cannot be read
 * or is in the future.  Lenient on purpose: it reads whatever a synced
 * record carries.
 */
int patient_age_months(const char *birth, time_t now);

/*
 * Probably one person: given and family names each within two typos
 * (case ignored) and birth years that agree, or either unknown.  What
 * staff registration and self check-in both ask before creating a
 * patient (kiosk/store/patient.c, store_patient_duplicate).
 */
int patient_probably_same(const char *given_a, const char *family_a,
    const char *birth_a, const char *given_b, const char *family_b,
    const char *birth_b);

#endif
