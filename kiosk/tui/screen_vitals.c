/*
 * The visit: vital signs, typed or arriving live from the device, with
 * NEWS2 scored as each one lands, then the forms of the visit (F5).  A
 * value is stored when Enter is pressed or the CHW moves to another field
 * (kiosk/visit/vitals.c stores and scores); nothing waits for a "save" key.
 * The device is read only while this screen is open.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "devices/device.h"
#include "i18n.h"
#include "str.h"
#include "ui.h"

/* Rows of the screen, in the order a CHW takes them. */
enum { R_RR, R_SPO2, R_O2, R_SBP, R_DIA, R_PULSE, R_ACVPU, R_TEMP, R_PREG, NR };

static const struct {
	const char *label;
	int param; /* enum news2_param, or -1 */
	const char *unit;
} rows[NR] = {
	[R_RR] = { N_("Respiration"), NEWS2_RR, N_("/min") },
	[R_SPO2] = { "SpO2", NEWS2_SPO2, N_("%") },
	[R_O2] = { N_("Oxygen given"), NEWS2_AIR_O2, N_("A air, O oxygen") },
	[R_SBP] = { N_("BP systolic"), NEWS2_SBP, N_("mmHg") },
	[R_DIA] = { N_("BP diastolic"), -1, N_("mmHg") },
	[R_PULSE] = { N_("Pulse"), NEWS2_PULSE, N_("/min") },
	[R_ACVPU] = { N_("Consciousness"), NEWS2_ACVPU, N_("A, C, V, P or U") },
	[R_TEMP] = { N_("Temperature"), NEWS2_TEMP, N_("\u00b0C") },
	[R_PREG] = { N_("Pregnant"), -1, N_("Y yes, N no") },
};

static struct {
	struct ui_field f;
	int focus;
	int edited; /* f holds typed text not yet stored */
	int end_asked; /* F8 asked "End this visit?" */
	int confirm; /* f holds an unusual value shown once: Enter saves */
} st;

/* "Pregnant" is not asked of a man or a child under 10. */
static int
row_shown(const struct ui *ui, int row)
{
	const struct store_patient *p = &ui->visit.patient;
	int age;

	if (row != R_PREG)
		return 1;
	if (p->sex != NULL && strcmp(p->sex, "male") == 0)
		return 0;
	age = visit_age_years(p->birth_date);
	return age < 0 || age >= 10;
}

/* The next row shown from the focus, DIR +1 or -1. */
static int
next_row(const struct ui *ui, int dir)
{
	int r = st.focus;

	do
		r = (r + NR + dir) % NR;
	while (!row_shown(ui, r));
	return r;
}

static int
is_toggle(int row)
{
	return row == R_O2 || row == R_ACVPU || row == R_PREG;
}

/* The stored value of ROW as text, "" when not measured. */
static void
row_value(const struct ui *ui, int row, char *buf, size_t len)
{
	const struct visit_vitals *v = &ui->visit.vitals;
	int p = rows[row].param;

	buf[0] = '\0';
	if (row == R_DIA) {
		if (v->dia > 0)
			snprintf(buf, len, "%d", v->dia);
		return;
	}
	if (row == R_PREG) {
		snprintf(buf, len, "%s", v->in.pregnant ? _("yes") : _("no"));
		return;
	}
	if (!(v->in.have & (1u << p))) {
		if (row == R_O2 || row == R_ACVPU)
			snprintf(buf, len, "?");
		return;
	}
	switch (p) {
	case NEWS2_RR:
		snprintf(buf, len, "%d", v->in.rr);
		break;
	case NEWS2_SPO2:
		snprintf(buf, len, "%d", v->in.spo2);
		break;
	case NEWS2_AIR_O2:
		snprintf(buf, len, "%s", v->in.oxygen ? _("oxygen") : _("air"));
		break;
	case NEWS2_SBP:
		snprintf(buf, len, "%d", v->in.sbp);
		break;
	case NEWS2_PULSE:
		snprintf(buf, len, "%d", v->in.pulse);
		break;
	case NEWS2_ACVPU:
		snprintf(buf, len, "%s", triage_acvpu_name(v->in.acvpu));
		break;
	default:
		snprintf(buf, len, "%.1f", v->in.temp);
		break;
	}
}

static void
load_field(struct ui *ui)
{
	char buf[32];

	row_value(ui, st.focus, buf, sizeof(buf));
	ui_field_set(&st.f, buf);
	st.edited = 0;
	st.confirm = 0;
}

static void
vitals_enter(struct ui *ui)
{
	st.focus = R_RR;
	st.end_asked = 0;
	load_field(ui);
	visit_devices_start(&ui->visit);
}

static void
vitals_leave(struct ui *ui)
{
	visit_devices_stop(&ui->visit);
	ui_field_clear(&st.f);
}

static void
draw_patient(struct ui *ui)
{
	const struct store_patient *p = &ui->visit.patient;
	int age = visit_age_years(p->birth_date);
	char a[32];

	if (age >= 0)
		snprintf(a, sizeof(a), _("%d y"), age);
	else
		snprintf(a, sizeof(a), "%s", _("age ?"));
	ui_text(2, 1, UI_C_NORMAL, _("Patient: %s %s, %s, %s, %s"),
	    p->given ? p->given : "", p->family ? p->family : "",
	    p->sex ? ui_sex_name(p->sex) : _("sex ?"), a,
	    p->village ? p->village : "");
	ui_text(3, 1, UI_C_DIM, _("Visit: %s%s%.50s"),
	    ui->visit.encounter_id[0] ? _("open, values saved as entered")
	                              : _("starts with the first value "
	                                  "(F4 cancels it)"),
	    ui->visit.visit_reason[0] ? "; " : "", ui->visit.visit_reason);
}

static void
draw_news2(struct ui *ui, int y)
{
	const struct news2_result *r = &ui->visit.vitals.r;
	enum ui_color c;
	int n = 0, i, age;

	for (i = 0; i < NEWS2_NPARAM; i++)
		if (ui->visit.vitals.in.have & (1u << i))
			n++;
	age = visit_age_years(ui->visit.patient.birth_date);
	if (age >= 5 && age < 16) {
		/* no score for 5-15 here: say so, and what to look for */
		ui_text(y, 1, UI_C_WARN,
		    _("!  NEWS2 does not apply under 16 (age %d): no score. "
		      "Refer now if:"),
		    age);
		ui_wrap(y + 1, 4, 75, 2, UI_C_NORMAL,
		    _(triage_child_emergency_signs()));
		return;
	}
	if (!r->applicable && n > 0) {
		ui_text(y, 1, UI_C_WARN, _("!  NEWS2 not applicable: %s."),
		    _(r->not_applicable));
		ui_text(y + 1, 4, UI_C_NORMAL, "%s.",
		    _(news2_risk_response(NEWS2_RISK_NA, 0)));
		return;
	}
	if (n == 0) {
		ui_text(y, 1, UI_C_DIM, _("NEWS2: no values yet."));
		return;
	}
	c = r->risk >= NEWS2_RISK_MEDIUM || r->red_flag ? UI_C_DANGER : UI_C_OK;
	if (r->complete)
		ui_text(y, 1, c, _("%s NEWS2 %d  risk %s  (%s)"),
		    r->red_flag ? "!!" : "+", r->score,
		    _(news2_risk_name(r->risk)),
		    _(news2_risk_monitoring(r->risk, r->score)));
	else
		ui_text(y, 1, c,
		    _("%s NEWS2 at least %d  risk %s or higher  "
		      "(%d of 7 measured)"),
		    r->red_flag ? "!!" : "~", r->score,
		    _(news2_risk_name(r->risk)), n);
	ui_wrap(y + 1, 4, 74, 2, UI_C_NORMAL,
	    _(news2_risk_response(r->risk, r->score)));
}

/* The recorded cause of the pending red flag, on two rows at most. */
static void
draw_cause(const char *detail)
{
	char line[200];

	snprintf(line, sizeof(line), _("Cause: %s"), detail);
	ui_wrap(19, 4, 74, 2, UI_C_WARN, line);
}

/* A red flag from before this visit's values: when and why, so a low
 * score now does not read as the reason. */
static void
draw_stored_alert(struct ui *ui)
{
	const struct store_alert_row *a = &ui->visit.vitals.alert;
	char when[32];

	ui_when(a->raised_ms, when, sizeof(when));
	ui_text(18, 1, UI_C_DANGER,
	    _("!! RED FLAG of %s not acknowledged. F9 acknowledges it."), when);
	draw_cause(a->detail);
}

static void
vitals_draw(struct ui *ui)
{
	const struct visit_vitals *v = &ui->visit.vitals;
	char buf[32], pts[16];
	const char *src;
	int i, y, p, age;

	/* a reading that arrived for the focused row shows at once */
	if (!st.edited)
		load_field(ui);
	draw_patient(ui);
	for (i = 0; i < NR; i++) {
		y = 5 + i;
		p = rows[i].param;
		if (!row_shown(ui, i))
			continue;
		if (i == st.focus)
			ui_field_draw(y, 0, _(rows[i].label), 8, &st.f, 1, 0);
		else {
			struct ui_field f;

			row_value(ui, i, buf, sizeof(buf));
			ui_field_set(&f, buf);
			ui_field_draw(y, 0, _(rows[i].label), 8, &f, 0, 0);
		}
		ui_text(y, 30, UI_C_DIM, "%-18s", _(rows[i].unit));
		pts[0] = '\0';
		if (p >= 0 && v->r.applicable && v->r.points[p] >= 0)
			snprintf(pts, sizeof(pts),
			    ngettext("%d pt", "%d pts", v->r.points[p]),
			    v->r.points[p]);
		ui_text(y, 49,
		    v->r.applicable && p >= 0 && v->r.points[p] == 3
		        ? UI_C_DANGER
		        : UI_C_NORMAL,
		    "%-6s", pts);
		src = "";
		if (p >= 0 && (v->in.have & (1u << p)))
			src = (v->from_device & (1u << p)) ? _("device")
			                                   : _("typed");
		ui_text(y, 57, UI_C_DIM, "%s", src);
	}
	draw_news2(ui, 15);
	if (!v->alert_pending &&
	    (age = visit_age_years(ui->visit.patient.birth_date)) >= 0 &&
	    age < 5)
		ui_text(18, 1, UI_C_WARN,
		    _("!  Child under 5: F6 checks the WHO "
		      "general danger signs."));
	if (v->alert_pending && v->alert_stored)
		draw_stored_alert(ui);
	else if (v->alert_pending) {
		ui_text(18, 1, UI_C_DANGER, "%s",
		    v->emergency ? _("!! EMERGENCY recorded: call for help. F9 "
		                     "acknowledges it.")
		                 : _("!! RED FLAG recorded: act now. F9 "
		                     "acknowledges that you have seen it."));
		if (!v->emergency && v->alert.detail[0])
			draw_cause(v->alert.detail);
	}
	switch (ui->visit.dev_state) {
	case VISIT_DEV_NONE:
		ui_text(21, 1, UI_C_DIM,
		    _("Device: none configured; type the "
		      "values."));
		break;
	case VISIT_DEV_READING:
		ui_text(21, 1, UI_C_OK, _("+ Device %s: reading (%u received)"),
		    ui->visit.dev_name, ui->visit.dev_readings);
		break;
	case VISIT_DEV_DONE:
		ui_text(21, 1, UI_C_OK,
		    _("+ Device %s: finished (%u received)"),
		    ui->visit.dev_name, ui->visit.dev_readings);
		break;
	case VISIT_DEV_ERROR:
		ui_text(21, 1, UI_C_WARN,
		    _("! Device %s: %s. Type the values."), ui->visit.dev_name,
		    ui->visit.dev_error);
		break;
	default:
		ui_text(
		    21, 1, UI_C_DIM, _("Device %s: idle"), ui->visit.dev_name);
		break;
	}
	ui_text(14, 1, UI_C_DIM,
	    _("Up/Down field  Enter save  Space choices  F7 ask a clinician  "
	      "Esc home"));
}

/* The range message for ROW: "Respiration: a number from 0 to 80 /min". */
static void
say_range(struct ui *ui, const char *what)
{
	const struct news2_range *rg = news2_range(rows[st.focus].param);
	const struct dev_quantity_info *qi = dev_quantity_info(DEV_Q_DIA);

	if (st.focus == R_DIA && qi != NULL)
		ui_message(ui, UI_MSG_WARN,
		    _("%s: %s from %g to %g mmHg, below the systolic."),
		    _(rows[st.focus].label), what, qi->min, qi->max);
	else if (rg != NULL)
		ui_message(ui, UI_MSG_WARN, _("%s: %s from %g to %g %s."),
		    _(rows[st.focus].label), what, rg->min, rg->max,
		    _(rows[st.focus].unit));
}

/*
 * Store what was typed in the focused row.  A value that cannot be is
 * refused with its range; one that can be but rarely is (respiration 0,
 * systolic 300) is stored only when Enter (ENTER set) confirms it.  Returns 0, or an
 * errno with the message set and the typed text kept: EINVAL refused,
 * EAGAIN waiting for confirmation.
 */
static int
commit(struct ui *ui, int enter)
{
	const struct news2_range *rg;
	const char *cause = NULL;
	char buf[UI_FIELD_MAX], *c;
	double d;
	long long n;
	int err, p = rows[st.focus].param;

	if (!st.edited || is_toggle(st.focus))
		return 0;
	if (st.f.len == 0) {
		st.edited = 0;
		return 0;
	}
	memcpy(buf, st.f.buf, sizeof(buf));
	if ((c = strchr(buf, ',')) != NULL)
		*c = '.'; /* a decimal comma */
	if (st.focus == R_DIA) {
		if (str_to_ll(buf, 0, 99999, &n) != 0) {
			say_range(ui, _("a whole number"));
			return EINVAL;
		}
		err = visit_vitals_set_dia(&ui->visit, (int)n, 0);
		if (err == EINVAL) {
			say_range(ui, _("not saved, it must be"));
			return err;
		}
		st.edited = 0;
		if (err != 0)
			ui_message(ui, UI_MSG_WARN, _("Not saved: %s"),
			    ui_strerror(err));
		else
			ui_message(ui, UI_MSG_OK, _("BP diastolic saved."));
		return err;
	}
	rg = news2_range(p);
	if (p == NEWS2_TEMP ? str_to_double(buf, &d) != 0
	                    : str_to_ll(buf, 0, 99999, &n) != 0) {
		say_range(ui,
		    p == NEWS2_TEMP ? _("a number such as 36.8,")
		                    : _("a whole number"));
		return EINVAL;
	}
	if (p != NEWS2_TEMP)
		d = (double)n;
	if (d < rg->min || d > rg->max) {
		say_range(ui, _("not saved, it must be"));
		return EINVAL;
	}
	if (news2_unusual(p, d) && !(st.confirm && enter)) {
		st.confirm = 1;
		ui_message(ui, UI_MSG_WARN,
		    _("%s %s %s is unusual: Enter again to save it, or correct "
		      "it."),
		    _(rows[st.focus].label), buf, _(rows[st.focus].unit));
		return EAGAIN;
	}
	st.confirm = 0;
	if ((err = visit_vitals_set(&ui->visit, p, d, 0, &cause)) != 0) {
		ui_message(ui, UI_MSG_WARN, _("Not saved: %s"), cause);
		return err;
	}
	st.edited = 0;
	ui_message(ui, UI_MSG_OK, _("%s saved."), _(rows[st.focus].label));
	return 0;
}

/* Only digits reach a number field (and one decimal point in the
 * temperature): a letter is refused at once, with the range. */
static int
accepts(int ch)
{
	if (ch >= '0' && ch <= '9')
		return 1;
	return st.focus == R_TEMP && (ch == '.' || ch == ',') &&
	    strchr(st.f.buf, '.') == NULL && strchr(st.f.buf, ',') == NULL;
}

static void
toggle(struct ui *ui, int ch)
{
	const struct visit_vitals *v = &ui->visit.vitals;
	const char *cause = NULL;
	int a;

	switch (st.focus) {
	case R_O2:
		if (ch == 'o' || ch == 'O')
			a = 1;
		else if (ch == 'a' || ch == 'A')
			a = 0;
		else if (ch == 0)
			a = (v->in.have & (1u << NEWS2_AIR_O2)) ? !v->in.oxygen
			                                        : 0;
		else
			return;
		visit_vitals_set(&ui->visit, NEWS2_AIR_O2, a, 0, &cause);
		break;
	case R_ACVPU:
		if (ch != 0 && ch != ' ') {
			char s[2] = { (char)ch, '\0' };

			if ((a = triage_acvpu_parse(s)) < 0)
				return;
		} else
			a = (v->in.have & (1u << NEWS2_ACVPU))
			    ? (v->in.acvpu + 1) % (TRIAGE_UNRESPONSIVE + 1)
			    : TRIAGE_ALERT;
		visit_vitals_set(&ui->visit, NEWS2_ACVPU, a, 0, &cause);
		break;
	default:
		if (ch == 'y' || ch == 'Y')
			a = 1;
		else if (ch == 'n' || ch == 'N')
			a = 0;
		else if (ch == 0)
			a = !v->in.pregnant;
		else
			return;
		visit_vitals_pregnant(&ui->visit, a);
		break;
	}
	load_field(ui);
}

/* F8 confirmed: close the visit (not while a red flag waits). */
static enum ui_result
end_visit(struct ui *ui)
{
	int err;

	if ((err = visit_session_end(&ui->visit)) == EBUSY) {
		ui_message(ui, UI_MSG_DANGER,
		    _("Acknowledge the red flag "
		      "first (F9)."));
		return UI_REDRAW;
	}
	if (err != 0) {
		ui_message(ui, UI_MSG_WARN,
		    _("The visit could not be "
		      "closed: try again."));
		return UI_REDRAW;
	}
	ui_message(ui, UI_MSG_OK, _("Visit ended."));
	return UI_HOME;
}

static enum ui_result
vitals_key(struct ui *ui, enum ui_action a, int ch)
{
	if (st.end_asked) {
		st.end_asked = 0;
		ui->msg[0] = '\0';
		if (ch == 'y' || ch == 'Y')
			return end_visit(ui);
		return UI_REDRAW; /* any other key: the visit goes on */
	}
	switch (a) {
	case UI_A_UP:
	case UI_A_PREV:
		if (commit(ui, 0) != 0)
			return UI_REDRAW; /* nothing typed is lost */
		st.focus = next_row(ui, -1);
		load_field(ui);
		return UI_REDRAW;
	case UI_A_DOWN:
	case UI_A_NEXT:
		if (commit(ui, 0) != 0)
			return UI_REDRAW;
		st.focus = next_row(ui, 1);
		load_field(ui);
		return UI_REDRAW;
	case UI_A_ENTER:
		if (commit(ui, 1) == 0) {
			st.focus = next_row(ui, 1);
			load_field(ui);
		}
		return UI_REDRAW;
	case UI_A_TOGGLE:
		if (!is_toggle(st.focus))
			return UI_HANDLED;
		toggle(ui, 0);
		return UI_REDRAW;
	case UI_A_ACK:
		return ui_ack_key(ui, UI_REDRAW);
	case UI_A_FORMS:
		if (commit(ui, 0) != 0)
			return UI_REDRAW;
		return ui_goto(ui, &screen_forms);
	case UI_A_DANGER:
		if (commit(ui, 0) != 0)
			return UI_REDRAW;
		/* the IMCI signs are for under 5s: not to be ticked for an
		 * older child or an adult (an unknown age is let through) */
		if (visit_age_months(ui->visit.patient.birth_date) >= 60) {
			int y = visit_age_years(ui->visit.patient.birth_date);

			/* and what to use instead */
			ui_message(ui, UI_MSG_WARN,
			    y < 16 ? _("Danger signs (F6) are for children "
			               "under 5; this patient is %d: look for "
			               "the emergency signs listed here.")
			           : _("Danger signs (F6) are for children "
			               "under 5; this patient is %d: NEWS2 "
			               "scores the vital signs, F11 for an "
			               "emergency."),
			    y);
			return UI_REDRAW;
		}
		return ui_goto(ui, &screen_danger);
	case UI_A_APPT: /* book, cancel, reschedule (issue 15) */
		if (commit(ui, 0) != 0)
			return UI_REDRAW;
		return ui_goto(ui, &screen_appt);
	case UI_A_REFERRAL: /* refer the patient (issue 14) */
		if (commit(ui, 0) != 0)
			return UI_REDRAW;
		return ui_goto(ui, &screen_referral_new);
	case UI_A_CONSULT: /* ask a clinician (issue 13) */
		if (commit(ui, 0) != 0)
			return UI_REDRAW;
		return ui_goto(ui, &screen_consult_req);
	case UI_A_EMERGENCY:
		commit(ui, 0);
		/* an incident open already: its card */
		ui_emergency_refresh(ui);
		if (ui->emerg->open > 0)
			return ui_goto(ui, &screen_emergency);
		if (visit_vitals_emergency(&ui->visit) != 0)
			ui_message(ui, UI_MSG_DANGER,
			    _("The emergency was not "
			      "recorded: call anyway."));
		/* the incident pages at once; with no roster nobody can be
		 * paged and the red flag's screen says to call */
		switch (
		    visit_emergency_raise(&ui->visit, ESC_TRIG_MANUAL, NULL)) {
		case 0:
			ui_emergency_refresh(ui);
			return ui_goto(ui, &screen_emergency);
		case ENOENT:
			break;
		default:
			ui_message(ui, UI_MSG_DANGER, "%s",
			    _("The emergency was not recorded: phone now."));
			break;
		}
		return ui_goto(ui, &screen_alert);
	case UI_A_FINISH:
		if (commit(ui, 0) != 0)
			return UI_REDRAW;
		st.end_asked = 1;
		ui_message(ui, UI_MSG_WARN,
		    _("End this visit? Y ends it, any other key goes on."));
		return UI_REDRAW;
	case UI_A_CANCEL:
		if (visit_session_cancel(&ui->visit) == EBUSY) {
			ui_message(ui, UI_MSG_WARN, "%s",
			    _("This visit has recorded values, so it cannot be "
			      "cancelled: F8 ends it."));
			return UI_REDRAW;
		}
		ui_message(ui, UI_MSG_OK, "%s",
		    _("Visit cancelled: nothing was recorded, so nothing is "
		      "kept."));
		return UI_HOME;
	case UI_A_BACK:
		if (commit(ui, 0) != 0)
			return UI_REDRAW;
		return UI_BACK;
	default:
		if (is_toggle(st.focus)) {
			if (a == UI_A_NONE && ch > ' ' && ch < 127) {
				toggle(ui, ch);
				return UI_REDRAW;
			}
			return UI_UNHANDLED;
		}
		if (a == UI_A_NONE && ch > ' ' && !accepts(ch)) {
			say_range(ui, _("type digits only,"));
			return UI_REDRAW;
		}
		if (a == UI_A_NONE && !st.edited && ch > ' ') {
			/* typing replaces the shown value */
			ui_field_clear(&st.f);
		}
		if (!ui_field_key(&st.f, a, ch))
			return UI_UNHANDLED;
		st.edited = 1;
		st.confirm = 0;
		return UI_REDRAW;
	}
}

const struct screen screen_vitals = {
	"vitals",
	N_("Visit: vital signs and NEWS2"),
	vitals_enter,
	vitals_draw,
	vitals_key,
	vitals_leave,
};
