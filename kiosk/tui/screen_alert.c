/*
 * The red flag: opened over the visit as soon as NEWS2 reaches 7 or a
 * single parameter scores 3, or at once by the CHW's emergency key (F11).  It says what was found and what the RCP
 * chart asks for, in red and with "!!" so it does not rely on colour.
 * The alert is already recorded in the store; F9 records that the CHW
 * has seen it.  Esc goes back without acknowledging: the banner stays on
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

/* The CHW pressed the emergency key: what to do, whatever the scores. */
static void
emergency_draw(struct ui *ui)
{
	int y;

	for (y = 2; y <= 4; y++)
		ui_bar(y, UI_C_DANGER);
	ui_center(3, UI_C_DANGER, "!! EMERGENCY !!");
	ui_text(6, 2, UI_C_NORMAL, "Patient: %s %s",
	    ui->visit.patient.given ? ui->visit.patient.given : "",
	    ui->visit.patient.family ? ui->visit.patient.family : "");
	ui_text(7, 2, UI_C_NORMAL, "Raised by %s with the emergency key%s.",
	    ui->visit.user_name,
	    ui->visit.vitals.alert_id[0] ? " and recorded" : "");
	ui_text(9, 2, UI_C_WARN,
	    "!  Call the emergency number for this clinic now.");
	ui_text(10, 2, UI_C_NORMAL,
	    "   Stay with the patient. Keep taking "
	    "vital signs: each is saved as");
	ui_text(11, 2, UI_C_NORMAL,
	    "   you enter it and goes with the "
	    "patient's record.");
	ui_text(19, 2, UI_C_DANGER,
	    "!! Press F9 to acknowledge that help has been called.");
	ui_text(20, 2, UI_C_DIM,
	    "Esc: back to the visit without "
	    "acknowledging (the alert stays).");
}

static void
alert_draw(struct ui *ui)
{
	const struct news2_result *r = &ui->visit.vitals.r;
	const struct news2_range *rg;
	char line[200];
	int y, i, n = 0;

	if (ui->visit.vitals.emergency) {
		emergency_draw(ui);
		return;
	}
	for (y = 2; y <= 4; y++)
		ui_bar(y, UI_C_DANGER);
	ui_center(3, UI_C_DANGER, "!! RED FLAG !!  NEWS2 %s%d  risk %s",
	    r->complete ? "" : "at least ", r->score, news2_risk_name(r->risk));
	ui_text(6, 2, UI_C_NORMAL, "Patient: %s %s",
	    ui->visit.patient.given ? ui->visit.patient.given : "",
	    ui->visit.patient.family ? ui->visit.patient.family : "");
	line[0] = '\0';
	for (i = 0; i < NEWS2_NPARAM; i++) {
		if (r->points[i] != 3)
			continue;
		rg = news2_range(i);
		n += snprintf(line + strlen(line), sizeof(line) - strlen(line),
		         "%s%s", n ? ", " : "", rg->label) > 0;
	}
	if (n > 0)
		ui_text(7, 2, UI_C_WARN, "!  Scored 3: %s", line);
	ui_text(9, 2, UI_C_NORMAL, "What to do now (RCP NEWS2 chart 4):");
	y = ui_wrap(
	    10, 4, 72, 4, UI_C_NORMAL, news2_risk_response(r->risk, r->score));
	ui_text(y + 1, 4, UI_C_NORMAL, "Monitoring: %s",
	    news2_risk_monitoring(r->risk, r->score));
	if (r->risk == NEWS2_RISK_HIGH)
		ui_text(y + 3, 2, UI_C_WARN,
		    "!  Call the emergency number for "
		    "this clinic now.");
	else
		ui_text(y + 3, 2, UI_C_WARN, "!  Tell the clinician now.");
	ui_text(19, 2, UI_C_DANGER,
	    "!! Press F9 to acknowledge that you "
	    "have seen this alert.");
	ui_text(20, 2, UI_C_DIM,
	    "Esc: back to the visit without "
	    "acknowledging (the alert stays).");
}

static enum ui_result
alert_key(struct ui *ui, enum ui_action a, int ch)
{
	(void)ch;
	switch (a) {
	case UI_A_ACK:
		return ui_ack_key(ui, UI_BACK);
	case UI_A_BACK:
		return UI_BACK;
	default:
		return UI_UNHANDLED;
	}
}

const struct screen screen_alert = {
	"alert",
	"RED FLAG",
	alert_enter,
	alert_draw,
	alert_key,
	NULL,
};
