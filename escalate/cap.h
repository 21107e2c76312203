/*
 * CAP 1.2 for partners (issue 16; research emergency.md §1.1, §7.5): one
 * incident as an OASIS Common Alerting Protocol 1.2 alert, scope Private,
 * addressed to the partner, `incidents` the incident's UUID.  Alert opens
 * it, Update carries a level change or an ETA, Cancel closes it; an
 * Update or Cancel references the first Alert.  What a crew needs and
 * nothing more: age, sex, NEWS2 and vitals, the site (docs/SECURITY.md,
 * "PHI over SMS" applies alike).  Pure: builds text, sends nothing.
 */
#ifndef ESC_CAP_H
#define ESC_CAP_H

#include <stdint.h>

enum esc_cap_type {
	ESC_CAP_ALERT = 1,
	ESC_CAP_UPDATE,
	ESC_CAP_CANCEL,
};

struct esc_cap_in {
	const char *uuid; /* the incident, 36 characters */
	const char *code; /* its 6-character code */
	const char *sender; /* e.g. "outpost-hub.example.org", no spaces */
	const char *addresses; /* the partner, required with Private */
	enum esc_cap_type type;
	int seq; /* message number in the incident: 1 the Alert */
	int64_t sent_ms; /* Unix ms of this message */
	int64_t first_ms; /* Unix ms of the Alert (references) */
	int exercise; /* a drill: status Exercise */
	const char *summary; /* "F34 NEWS2 9 (SpO2 84 ...)" */
	const char *site; /* area description (landmark) */
	int has_pos;
	double lat, lon;
	const char *contact; /* the CHW's callback number */
	const char *note; /* Update: level/ETA; Cancel: the reason */
};

/* The document into *OUT (xmalloc'd, caller frees).  EINVAL: a required
 * field is missing or the sender/uuid carry spaces, commas, '<' or '&'. */
int esc_cap_build(const struct esc_cap_in *, char **out);

#endif
