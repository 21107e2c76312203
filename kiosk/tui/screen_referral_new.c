/*
 * Refer the patient (issue 14), F3 from the visit: the CHW types the
 * facility the patient goes to, why, and in how many days they should be
 * seen, chooses the urgency (Left/Right), and F2 refers.  The referral
 * goes to that facility with the next sync, with the patient and their
 * visits; Home (F8) follows it.  A clinician refers the same way, F3 from
 * a consult's patient: the referral names the consult.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "i18n.h"
#include "kiosk/store/store.h"
#include "kiosk/sync/sync.h"
#include "model/referral.h"
#include "ui.h"

enum { F_TARGET, F_REASON, F_DAYS, F_COUNT };

static struct ui_field fields[F_COUNT];
static int focus, urgency;
static char made[UUID_STRLEN + 1];
/* The patient referred: the visit's, or a clinician's consult's. */
static char pid[UUID_STRLEN + 1], pname[96], consult[UUID_STRLEN + 1];

/* The days a referral of each urgency is due in, unless typed. */
static const char *const due_days[] = { "14", "3", "1", "1" };

static void
rn_enter(struct ui *ui)
{
	int i;

	for (i = 0; i < F_COUNT; i++)
		ui_field_clear(&fields[i]);
	ui_field_set(&fields[F_REASON], ui->visit.visit_reason);
	pid[0] = consult[0] = '\0';
	snprintf(pname, sizeof(pname), "%s %s",
	    ui->visit.patient.given ? ui->visit.patient.given : "",
	    ui->visit.patient.family ? ui->visit.patient.family : "");
	snprintf(pid, sizeof(pid), "%s", ui->visit.patient.id);
	if (ui->visit.user_role == STORE_ROLE_CLINICIAN &&
	    ui->consult_id[0] != '\0') {
		struct store_consult c;

		if (store_consult_get(ui->visit.store, ui->consult_id, &c) ==
		    0) {
			snprintf(pid, sizeof(pid), "%s",
			    c.patient_id ? c.patient_id : "");
			snprintf(pname, sizeof(pname), "%s",
			    c.patient_name ? c.patient_name : "?");
			snprintf(consult, sizeof(consult), "%s", c.id);
			ui_field_set(&fields[F_REASON],
			    c.assessment ? c.assessment : "");
			store_consult_clear(&c);
		}
	}
	focus = F_TARGET;
	urgency = 0;
	made[0] = '\0';
}

static void
rn_draw(struct ui *ui)
{
	static const char *const labels[F_COUNT] = { N_("To facility"),
		N_("Why"), N_("Due in days") };
	int i, x = 12;

	(void)ui;
	ui_text(2, 1, UI_C_NORMAL, _("Patient: %s"), pname);
	if (made[0] != '\0') {
		ui_text(4, 1, UI_C_OK, " %s ",
		    _("Referred. It goes to the facility with the next "
		      "sync."));
		ui_text(6, 2, UI_C_NORMAL, "%s",
		    _("F8 on the home screen shows its status: received, "
		      "accepted, seen."));
		ui_text(20, 1, UI_C_DIM, "%s", _("Esc back"));
		return;
	}
	ui_text(3, 1, UI_C_TITLE, " %s ", _("Refer the patient"));
	for (i = 0; i < F_COUNT; i++)
		ui_field_draw(5 + 2 * i, 1, _(labels[i]),
		    i == F_REASON ? 56 : 24, &fields[i], i == focus, 0);
	ui_text(11, 1, UI_C_NORMAL, "%s", _("Urgency:"));
	for (i = 0; referral_urgencies[i] != NULL; i++) {
		ui_text(11, x, i == urgency ? UI_C_FOCUS : UI_C_NORMAL,
		    "(%c) %s", i == urgency ? '*' : ' ', referral_urgencies[i]);
		x += (int)strlen(referral_urgencies[i]) + 6;
	}
	ui_wrap(13, 1, 78, 2, UI_C_DIM,
	    _("Empty days: 14 for routine, 3 for urgent, 1 for asap or "
	      "stat. If the patient is not seen by then, you get a "
	      "follow-up on the home screen."));
	ui_text(20, 1, UI_C_DIM, "%s",
	    _("Type   Enter next field   Left/Right urgency   F2 refer   "
	      "Esc back"));
}

static enum ui_result
rn_save(struct ui *ui)
{
	struct store_referral_req q;
	struct sync_status ss;
	char *cause = NULL, *end;
	const char *days =
	    fields[F_DAYS].len ? fields[F_DAYS].buf : due_days[urgency];
	unsigned long d = strtoul(days, &end, 10);
	int err;

	if (*end != '\0' || d < 1 || d > 365) {
		ui_message(ui, UI_MSG_WARN, "%s",
		    _("Due in days: a number from 1 to 365."));
		return UI_REDRAW;
	}
	memset(&ss, 0, sizeof(ss));
	sync_status_get(ui->visit.store, &ss);
	memset(&q, 0, sizeof(q));
	q.patient_id = pid;
	q.encounter_id = consult[0] == '\0' && ui->visit.encounter_id[0]
	    ? ui->visit.encounter_id
	    : NULL;
	q.consult_id = consult[0] ? consult : NULL;
	q.from = ss.facility;
	q.target = fields[F_TARGET].buf;
	q.reason = fields[F_REASON].buf;
	q.urgency = referral_urgencies[urgency];
	q.due_ms = clock_wall_ms() + (uint64_t)d * 86400000ULL;
	if ((err = store_referral_new(ui->visit.store, &q, made, &cause)) !=
	    0) {
		made[0] = '\0';
		ui_warn_cause(ui, err, cause);
		free(cause);
		return UI_REDRAW;
	}
	ui_message(ui, UI_MSG_OK, "%s", _("Referred."));
	sync_thread_kick();
	return UI_REDRAW;
}

static enum ui_result
rn_key(struct ui *ui, enum ui_action a, int ch)
{
	if (made[0] != '\0')
		return UI_UNHANDLED;
	switch (a) {
	case UI_A_NEXT:
	case UI_A_ENTER:
	case UI_A_DOWN:
		focus = (focus + 1) % F_COUNT;
		return UI_REDRAW;
	case UI_A_PREV:
	case UI_A_UP:
		focus = (focus + F_COUNT - 1) % F_COUNT;
		return UI_REDRAW;
	case UI_A_LEFT:
		urgency = (urgency + 3) % 4;
		return UI_REDRAW;
	case UI_A_RIGHT:
		urgency = (urgency + 1) % 4;
		return UI_REDRAW;
	case UI_A_SAVE:
		return rn_save(ui);
	default:
		return ui_field_key(&fields[focus], a, ch) ? UI_REDRAW
		                                           : UI_UNHANDLED;
	}
}

const struct screen screen_referral_new = {
	"referral_new",
	N_("Refer"),
	rn_enter,
	rn_draw,
	rn_key,
	NULL,
};
