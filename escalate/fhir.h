/*
 * FHIR R4 for the EHR (issue 16; research emergency.md §1.3, §7.5): one
 * incident as a Bundle (type "collection", or "transaction" for a
 * partner) of a Flag (active, clinical),
 * a ServiceRequest (priority stat, "emergency transport", the incident's
 * UUID as identifier) and one Communication per page delivered.  JSON
 * text only; nothing sent, no validator linked (tests/escalate/test_fhir.c
 * checks the shape R4 requires).
 */
#ifndef ESC_FHIR_H
#define ESC_FHIR_H

#include <stdint.h>

struct esc_fhir_msg {
	const char *recipient; /* roster service id */
	int64_t sent_ms;
	const char *text; /* the SMS as sent */
	int seq; /* its Communication's number (0: its place, from 1) */
};

struct esc_fhir_in {
	const char *uuid; /* the incident */
	const char *code; /* 6 characters */
	const char *patient_id; /* NULL: unknown person (subject: the site) */
	const char *site_id; /* Location id of the kiosk */
	int64_t raised_ms;
	int active; /* 0 once arrived or cancelled */
	const char *summary;
	int nmsg;
	const struct esc_fhir_msg *msg;
	/* 1: a "transaction" Bundle for a partner's FHIR server, each entry
	 * a PUT of its resource by its stable id (sending it twice updates,
	 * never duplicates); 0: a "collection" */
	int transaction;
};

/* The Bundle into *OUT (xmalloc'd).  EINVAL: no uuid or site. */
int esc_fhir_bundle(const struct esc_fhir_in *, char **out);

#endif
