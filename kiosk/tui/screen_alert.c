/*
 * The red flag: opened over the visit as soon as NEWS2 reaches 7 or a
 * single parameter scores 3, or at once by the CHW's emergency key (F11).  It says what was found and what the RCP
 * chart asks for, in red and with "!!" so it does not rely on colour.
 * The alert is already recorded in the store; F9 records that the CHW
 * has seen it; in the urgent band (NEWS2 5-6 or a 3 in one parameter) F7
 * asks a clinician for an urgent consult (the consult's urgency comes from
 * the score), and NEWS2 7 or more opens the CALL NOW card over it (issue
 * 16).  A red flag raised before this visit (opened from Home)
 * shows its recorded cause: when, the score and what scored 3.  Esc goes back without acknowledging: the banner stays on
 * the visit and home screens until F9.
 */
#include <stdio.h>
#include <string.h>

#include "ui.h"

static void
alert_enter(struct ui *ui)
{
	ui->visit.vitals.alert_shown = 1;
}

/* The red band with TITLE, and the patient's name. */
static void
draw_head(struct ui *ui, const char *title)
{
	int y;

	for (y = 2; y <= 4; y++)
		ui_bar(y, UI_C_DANGER);
	ui_center(3, UI_C_DANGER, "%s", title);
	ui_text(6, 2, UI_C_NORMAL, _("Patient: %s %s"),
	    ui->visit.patient.given ? ui->visit.patient.given : "",
	    ui->visit.patient.family ? ui->visit.patient.family : "");
}

/* What F9 means here (WHAT, a whole sentence), and that Esc keeps the
 * alert. */
static void
draw_foot(const char *what)
{
	ui_text(19, 2, UI_C_DANGER, "%s", what);
	ui_text(20, 2, UI_C_DIM,
	    _("Esc: back to the visit without "
	      "acknowledging (the alert stays)."));
}

/* The CHW pressed the emergency key: what to do, whatever the scores. */
static void
emergency_draw(struct ui *ui)
{
	draw_head(ui, _("!! EMERGENCY !!"));
	ui_text(7, 2, UI_C_NORMAL, _("Raised by %s with the emergency key%s."),
	    ui->visit.user_name,
	    ui->visit.vitals.alert_id[0] ? _(" and recorded") : "");
	ui_text(9, 2, UI_C_WARN,
	    _("!  Call the emergency number for this clinic now."));
	ui_text(10, 2, UI_C_NORMAL,
	    _("   Stay with the patient. Keep taking "
	      "vital signs: each is saved as"));
	ui_text(11, 2, UI_C_NORMAL,
	    _("   you enter it and goes with the "
	      "patient's record."));
	draw_foot(_("!! Press F9 to acknowledge that help has been called."));
}

/* A red flag raised before this visit's values (another session, an
 * earlier day): what was recorded when it was raised, then the score
 * now, so a low score today does not hide it. */
static void
stored_draw(struct ui *ui)
{
	const struct store_alert_row *a = &ui->visit.vitals.alert;
	const struct news2_result *r = &ui->visit.vitals.r;
	char when[32];
	int y;

	ui_when(a->raised_ms, when, sizeof(when));
	draw_head(ui, _("!! RED FLAG NOT ACKNOWLEDGED !!"));
	ui_text(7, 2, UI_C_WARN, _("!  Raised %s, by %s."), when,
	    strcmp(a->kind, "emergency") == 0  ? _("the emergency key")
	        : strcmp(a->kind, "imci") == 0 ? _("child danger signs (IMCI)")
	                                       : _("vital signs (NEWS2)"));
	y = ui_wrap(8, 2, 76, 3, UI_C_WARN, a->detail[0] ? a->detail : "?");
	if (ui->visit.vitals.in.have == 0)
		ui_text(y + 1, 2, UI_C_NORMAL,
		    _("Now: no vital signs taken in this visit yet."));
	else if (!r->applicable)
		ui_text(y + 1, 2, UI_C_NORMAL,
		    _("Now: NEWS2 not applicable (%s)."), _(r->not_applicable));
	else
		ui_text(y + 1, 2, UI_C_NORMAL,
		    _("Now, from this visit's values: NEWS2 %s%d, risk %s."),
		    r->complete ? "" : _("at least "), r->score,
		    _(news2_risk_name(r->risk)));
	ui_wrap(y + 3, 2, 76, 3, UI_C_NORMAL,
	    _("What to do now: see the patient, take all the vital signs "
	      "again and tell the clinician what was found then and now."));
	draw_foot(
	    _("!! Press F9 to acknowledge that you have seen this alert."));
}

static void
alert_draw(struct ui *ui)
{
	const struct news2_result *r = &ui->visit.vitals.r;
	const struct news2_range *rg;
	char line[200];
	int y, i, n = 0;

	if (ui->visit.vitals.alert_stored) {
		stored_draw(ui);
		return;
	}
	if (ui->visit.vitals.emergency) {
		emergency_draw(ui);
		return;
	}
	snprintf(line, sizeof(line), _("!! RED FLAG !!  NEWS2 %s%d  risk %s"),
	    r->complete ? "" : _("at least "), r->score,
	    _(news2_risk_name(r->risk)));
	draw_head(ui, line);
	line[0] = '\0';
	for (i = 0; i < NEWS2_NPARAM; i++) {
		if (r->points[i] != 3)
			continue;
		rg = news2_range(i);
		n += snprintf(line + strlen(line), sizeof(line) - strlen(line),
		         "%s%s", n ? ", " : "", _(rg->label)) > 0;
	}
	if (n > 0)
		ui_text(7, 2, UI_C_WARN, _("!  Scored 3: %s"), line);
	ui_text(9, 2, UI_C_NORMAL, _("What to do now (RCP NEWS2 chart 4):"));
	y = ui_wrap(10, 4, 72, 4, UI_C_NORMAL,
	    _(news2_risk_response(r->risk, r->score)));
	ui_text(y + 1, 4, UI_C_NORMAL, _("Monitoring: %s"),
	    _(news2_risk_monitoring(r->risk, r->score)));
	if (r->risk == NEWS2_RISK_HIGH)
		ui_text(y + 3, 2, UI_C_WARN,
		    _("!  Call the emergency number for "
		      "this clinic now."));
	else /* the urgent band: an urgent consult (issue 16) */
		ui_text(y + 3, 2, UI_C_WARN,
		    _("!  Tell the clinician now: F7 asks for an urgent "
		      "consult."));
	draw_foot(
	    _("!! Press F9 to acknowledge that you have seen this alert."));
}

static enum ui_result
alert_key(struct ui *ui, enum ui_action a, int ch)
{
	(void)ch;
	switch (a) {
	case UI_A_ACK:
		return ui_ack_key(ui, UI_BACK);
	case UI_A_CONSULT:
		/* the urgent band's consult, for the visit in hand */
		if (ui->visit.vitals.alert_stored ||
		    ui->visit.vitals.emergency || !ui->visit.have_patient)
			return UI_HANDLED;
		return ui_replace(ui, &screen_consult_req);
	case UI_A_BACK:
		return UI_BACK;
	default:
		return UI_UNHANDLED;
	}
}

const struct screen screen_alert = {
	"alert",
	N_("RED FLAG"),
	alert_enter,
	alert_draw,
	alert_key,
	NULL,
};
