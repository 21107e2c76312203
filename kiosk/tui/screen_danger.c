/*
 * WHO IMCI danger signs for a child under 5 (clinical/triage.h does the
 * classification): the CHW ticks what they see; breathing rate and
 * temperature come from the visit's vital signs.  Any sign classifies
 * VERY SEVERE DISEASE: the screen says so in red with "!!", has the visit
 * record a store alert once (kiosk/visit/danger.c) and asks for F9.  The sign list follows the
 * child's age: the general danger signs from 2 months, the sick young
 * infant's signs before.
 */
#include <stdio.h>
#include <string.h>

#include "ui.h"

static const int child_signs[] = { IMCI_NOT_ABLE_TO_DRINK,
	IMCI_VOMITS_EVERYTHING, IMCI_CONVULSIONS, IMCI_LETHARGIC,
	IMCI_CONVULSING_NOW, -1 };
static const int infant_signs[] = { IMCI_NOT_FEEDING_WELL, IMCI_CONVULSIONS,
	IMCI_CHEST_INDRAWING, IMCI_MOVES_ONLY_STIMULATED, -1 };

static int focus;

static int
age_months(const struct ui *ui)
{
	return visit_age_months(ui->visit.patient.birth_date);
}

static const int *
signs(const struct ui *ui)
{
	int m = age_months(ui);

	return m >= 0 && m < 2 ? infant_signs : child_signs;
}

static void
danger_enter(struct ui *ui)
{
	struct imci_result r;

	focus = 0;
	ui->visit.vitals.imci_checked = 1; /* the IMCI form starts from it */
	/* signs derived from the vitals (an infant's breathing or
	 * temperature) count before anything is ticked */
	visit_danger_assess(&ui->visit, &r);
	visit_danger_raise(&ui->visit, &r);
}

static void
danger_draw(struct ui *ui)
{
	const int *s = signs(ui);
	struct imci_result r;
	unsigned b;
	int i, y = 5, m = age_months(ui);

	visit_danger_assess(&ui->visit, &r);
	ui_text(2, 1, UI_C_NORMAL, "%s %s: %s", ui->visit.patient.given,
	    ui->visit.patient.family,
	    m < 0 ? _("age unknown, assessed as a child of 2 months-5 years")
	        : m < 2  ? _("sick young infant (under 2 months)")
	        : m < 60 ? _("child of 2 months to 5 years")
	                 : _("5 years or older: IMCI does not apply"));
	ui_text(3, 1, UI_C_DIM,
	    _("Tick each sign you see (its number, or "
	      "Space on the line marked >)."));
	for (i = 0; s[i] >= 0; i++, y++)
		ui_text(y, 3, i == focus ? UI_C_FOCUS : UI_C_NORMAL,
		    "%c %d [%c] %s", i == focus ? '>' : ' ', i + 1,
		    (ui->visit.vitals.imci_signs & (1u << s[i])) ? 'x' : ' ',
		    _(imci_sign_text(s[i])));
	y++;
	for (b = 16; b <= 18; b++)
		if (r.signs & (1u << b))
			ui_text(y++, 3, UI_C_WARN,
			    _("!  %s (from the vital signs)"),
			    _(imci_sign_text((int)b)));
	if (r.fast_breathing && m >= 2)
		ui_text(y++, 3, UI_C_WARN,
		    _("!  fast breathing for the age "
		      "(assess for pneumonia)"));
	if (r.fever && m >= 2)
		ui_text(
		    y++, 3, UI_C_WARN, _("!  fever (37.5 \u00b0C or more)"));
	y++;
	if (!r.applicable)
		ui_text(
		    y, 1, UI_C_DIM, _("IMCI is for children under 5 years."));
	else if (r.danger) {
		ui_text(y, 1, UI_C_DANGER, "!! %s", _(r.classification));
		ui_wrap(y + 1, 4, 74, 3, UI_C_NORMAL, _(r.action));
		if (ui->visit.vitals.alert_pending)
			ui_text(19, 1, UI_C_DANGER,
			    _("!! Press F9 to acknowledge "
			      "that you have seen this."));
	} else
		ui_text(y, 1, UI_C_OK, _("+  no general danger sign ticked"));
	ui_text(20, 1, UI_C_DIM,
	    _("Up/Down move  Space or 1-5 tick  F9 "
	      "acknowledge  Esc back to the visit"));
}

static enum ui_result
danger_key(struct ui *ui, enum ui_action a, int ch)
{
	const int *s = signs(ui);
	int n, i;

	for (n = 0; s[n] >= 0; n++)
		;
	if (ui_list_key(&focus, n, a))
		return UI_REDRAW;
	switch (a) {
	case UI_A_ACK:
		return ui_ack_key(ui, UI_REDRAW);
	case UI_A_TOGGLE:
		i = focus;
		break;
	case UI_A_NONE:
		if (ch < '1' || ch >= '1' + n)
			return UI_HANDLED;
		i = ch - '1';
		focus = i;
		break;
	default:
		return UI_UNHANDLED;
	}
	visit_danger_toggle(&ui->visit, s[i]);
	return UI_REDRAW;
}

const struct screen screen_danger = {
	"danger",
	N_("Child danger signs (WHO IMCI)"),
	danger_enter,
	danger_draw,
	danger_key,
	NULL,
};
