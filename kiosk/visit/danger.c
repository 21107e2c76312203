/*
 * WHO IMCI danger signs for the child in hand (clinical/triage.h does the
 * classification): the signs the CHW ticked (visit->vitals.imci_signs),
 * with breathing rate and temperature from the visit's vital signs, and
 * the store alert a danger sign raises, once per visit.  The screen that
 * shows them is kiosk/tui/screen_danger.c.  No curses and no SQL here
 * (kiosk/visit/visit.h), and no values in the log.
 */
#define LOG_MODULE "ui"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "visit.h"

void
visit_danger_assess(const struct visit *v, struct imci_result *r)
{
	struct imci_input in;
	int m = visit_age_months(v->patient.birth_date);

	memset(&in, 0, sizeof(in));
	in.age_months = m >= 0 ? m : 12; /* unknown: a child, not an infant */
	in.signs = v->vitals.imci_signs;
	if (v->vitals.in.have & (1u << NEWS2_RR))
		in.rr = v->vitals.in.rr;
	if (v->vitals.in.have & (1u << NEWS2_TEMP))
		in.temp = v->vitals.in.temp;
	if (imci_assess(&in, r, NULL) != 0)
		memset(r, 0, sizeof(*r));
}

void
visit_danger_raise(struct visit *vis, const struct imci_result *r)
{
	struct visit_vitals *v = &vis->vitals;
	char detail[160];
	size_t o;
	int n = 0, err, i;

	if (!r->danger || v->imci_raised)
		return;
	/* the cause in words: the classification and every sign found */
	snprintf(detail, sizeof(detail), "IMCI %s", r->classification);
	for (i = 0; i < 32; i++) {
		if (!(r->signs & (1u << i)))
			continue;
		o = strlen(detail);
		snprintf(detail + o, sizeof(detail) - o, "%s%s",
		    n++ ? ", " : ": ", imci_sign_text(i));
	}
	v->imci_raised = 1;
	v->alert_pending = 1;
	v->alert_shown = 1; /* the danger signs screen shows it */
	v->alert_id[0] = '\0';
	if (visit_session_encounter(vis, "danger signs") == 0) {
		err = store_alert_raise(vis->store, vis->patient.id,
		    vis->encounter_id, "imci", n, detail, v->alert_id);
		if (err != 0) {
			log_warnx("alert raise: %d", err);
			v->alert_id[0] = '\0';
		} else
			log_info("red flag raised: alert %s", v->alert_id);
	}
	visit_vitals_alert_note(vis, "imci", n, detail);
}

void
visit_danger_toggle(struct visit *v, int sign)
{
	struct imci_result r;

	if (sign < 0 || sign >= IMCI_NSIGN)
		return;
	v->vitals.imci_signs ^= 1u << sign;
	visit_danger_assess(v, &r);
	visit_danger_raise(v, &r);
}
