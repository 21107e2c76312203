/*
 * The emergency SMS text and the replies to it (research emergency.md
 * §7.5): one GSM-7 segment (at most 160 septets) from the ASCII subset of
 * the GSM 03.38 basic alphabet, no extension characters.  The text names
 * no patient: age, sex, NEWS2 and its vitals, the site and the CHW's
 * callback number (docs/SECURITY.md, "PHI over SMS").
 *
 *   EMERGENCY K7Q2M9: F34 NEWS2 9 (SpO2 84 RR 28 HR 132 BP 88 T39.1 V).
 *   Gede disp. -3.30950,40.01730. CHW +254712345678. Reply K7Q2M9
 *   A=accept X=cannot
 *
 * Pure functions; no I/O.
 */
#ifndef ESC_SMS_H
#define ESC_SMS_H

#include <stddef.h>
#include <stdint.h>

#include "escalate/escalate.h"

#define ESC_SMS_MAX 160 /* septets in one segment */
#define ESC_LANDMARK_MAX 20
#define ESC_VAL_NONE (-32768) /* a vital not measured */

struct esc_sms_in {
	char code[ESC_CODE_LEN + 1];
	int age; /* years, ESC_VAL_NONE unknown */
	char sex; /* 'F', 'M', or 0 unknown */
	int news2; /* ESC_VAL_NONE: manual trigger without a score */
	int spo2, rr, hr, sbp; /* ESC_VAL_NONE: not measured */
	int temp_dc; /* tenths of a degree C */
	char avpu; /* 'A', 'C', 'V', 'P', 'U' or 0 */
	const char *landmark; /* site text, cut to 20, dropped first */
	int has_pos;
	double lat, lon; /* printed to 5 decimals */
	const char *chw_phone; /* E.164 */
	int repeat, loops; /* "REPEAT 2/5 " when repeat > 0 */
};

/*
 * Build the page into OUT (ESC_SMS_MAX + 1 bytes).  Drops the landmark
 * when the text would not fit; 0, or EMSGSIZE when even then it would not
 * (fails closed: never a cut code, vitals or callback), EINVAL on a bad
 * code or a callback that is not E.164.
 */
int esc_sms_page(const struct esc_sms_in *, char out[ESC_SMS_MAX + 1]);
/* "CANCELLED K7Q2M9: <reason>", the reason cut to fit; 0 or EINVAL. */
int esc_sms_cancel(
    const char *code, const char *reason, char out[ESC_SMS_MAX + 1]);
/* Septets of S in GSM 03.38 (an extension character counts 2), or -1 when
 * a character is not in the alphabet. */
int esc_gsm7_septets(const char *s);

enum esc_reply_kind {
	ESC_R_ACCEPT = 'A', /* "<CODE> A [minutes]" */
	ESC_R_CANNOT = 'X', /* "<CODE> X" */
	ESC_R_DONE = 'D', /* "<CODE> D": arrived / done */
};

struct esc_reply {
	char code[ESC_CODE_LEN + 1];
	enum esc_reply_kind kind;
	uint32_t minutes; /* ETA with A, 0 when not given */
};

/* Parse a reply, tolerant of case, spaces and a trailing '.' or '!':
 * "k7q2m9 a 20", "K7Q2M9A", " K7Q2M9  x ".  0 or EINVAL (not a reply). */
int esc_reply_parse(const char *text, size_t len, struct esc_reply *);

#endif
