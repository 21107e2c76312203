/*
 * The patient before the visit (issue 10, item 12): who this is (name,
 * sex, age, village, phone, national id), their earlier visits, the last
 * vital signs with their time, open referrals and forms left unfinished,
 * all from the store (store_patient_summary).  Nothing starts until Enter:
 * opening a patient by mistake and going back (Esc) leaves no visit.  A
 * visit of today still open is carried on by the same Enter.  Not here:
 * editing the patient, and referrals themselves (F3 in the visit refers,
 * F8 on Home lists them; the section says "none" or how many are open).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "kiosk/sync/sync.h"
#include "ui.h"

static struct {
	struct store_summary sum;
	int err;
	char allergies[UI_FIELD_MAX]; /* documented (issue 14) */
	struct ui_field edit; /* F6: the allergies being typed */
	int editing;
} st;

/* The vital signs as shown: LOINC code, name and format. */
static const struct {
	const char *loinc, *name, *fmt; /* fmt NULL: the coded text */
} vital_names[] = {
	{ "8310-5", N_("Temp"), "%.1f \u00b0C" },
	{ "8867-4", N_("Pulse"), "%.0f/min" },
	{ "9279-1", N_("Resp"), "%.0f/min" },
	{ "59408-5", N_("SpO2"), "%.0f%%" },
	{ "8480-6", N_("BP"), "%.0f" }, /* the diastolic follows */
	{ "3150-0", N_("O2"), NULL },
	{ "67775-7", N_("ACVPU"), NULL },
	{ "29463-7", N_("Weight"), "%.1f kg" },
	{ "2339-0", N_("Glucose"), "%.0f mg/dL" },
	{ "15074-8", N_("Glucose"), "%.1f mmol/L" },
};

static const struct store_summary_vital *
vital(const char *loinc)
{
	size_t i;

	for (i = 0; i < st.sum.nvitals; i++)
		if (strcmp(st.sum.vitals[i].loinc, loinc) == 0)
			return &st.sum.vitals[i];
	return NULL;
}

/* The last vital signs in one line of words, into OUT. */
static void
vitals_line(char *out, size_t len)
{
	const struct store_summary_vital *v, *dia;
	char val[32];
	size_t i, o = 0;

	out[0] = '\0';
	for (i = 0; i < sizeof(vital_names) / sizeof(vital_names[0]); i++) {
		if ((v = vital(vital_names[i].loinc)) == NULL)
			continue;
		if (vital_names[i].fmt == NULL)
			snprintf(
			    val, sizeof(val), "%s", v->text[0] ? v->text : "?");
		else
			snprintf(
			    val, sizeof(val), vital_names[i].fmt, v->value);
		if (strcmp(v->loinc, "8480-6") == 0 &&
		    (dia = vital("8462-4")) != NULL) {
			o = strlen(val);
			snprintf(
			    val + o, sizeof(val) - o, "/%.0f mmHg", dia->value);
		}
		o = strlen(out);
		snprintf(out + o, len - o, "%s%s %s", o ? "   " : "",
		    _(vital_names[i].name), val);
	}
}

/* The documented allergies (REC_PAT_ALLERGIES), for the prescription
 * checks: shown on row 5, F6 edits them. */
static void
patient_allergies_load(struct ui *ui)
{
	char *a = NULL;

	st.allergies[0] = '\0';
	if (store_patient_allergies(
	        ui->visit.store, ui->visit.patient.id, &a) == 0 &&
	    a != NULL)
		snprintf(st.allergies, sizeof(st.allergies), "%s", a);
	free(a);
}

static enum ui_result
patient_allergies_key(struct ui *ui, enum ui_action a, int ch)
{
	int err;

	switch (a) {
	case UI_A_ENTER:
		err = store_patient_set_allergies(
		    ui->visit.store, ui->visit.patient.id, st.edit.buf);
		if (err != 0)
			ui_warn_cause(ui, err, NULL);
		else {
			ui_message(ui, UI_MSG_OK, "%s",
			    _("Allergies saved; they go with the next sync."));
			patient_allergies_load(ui);
			sync_thread_kick();
		}
		st.editing = 0;
		return UI_REDRAW;
	case UI_A_BACK:
		st.editing = 0;
		return UI_REDRAW;
	default:
		ui_field_key(&st.edit, a, ch);
		return UI_REDRAW;
	}
}

static void
patient_enter(struct ui *ui)
{
	memset(&st, 0, sizeof(st));
	st.err = store_patient_summary(
	    ui->visit.store, ui->visit.patient.id, &st.sum);
	patient_allergies_load(ui);
}

static void
patient_leave(struct ui *ui)
{
	(void)ui;
	memset(&st, 0, sizeof(st)); /* forget what was shown */
}

static void
patient_draw(struct ui *ui)
{
	const struct store_patient *p = &ui->visit.patient;
	const struct store_summary_visit *v;
	char when[32], line[512], age[32];
	size_t i;
	int y, a = visit_age_years(p->birth_date);

	if (a >= 0)
		snprintf(age, sizeof(age), _("%d years"), a);
	else
		snprintf(age, sizeof(age), "%s", _("age unknown"));
	ui_text(2, 1, UI_C_TITLE, "%s %s", p->given ? p->given : "",
	    p->family ? p->family : "");
	ui_text(3, 1, UI_C_NORMAL, "%s, %s%s%s%s",
	    p->sex ? ui_sex_name(p->sex) : _("sex ?"), age,
	    p->birth_date ? _(" (born ") : "",
	    p->birth_date ? p->birth_date : "", p->birth_date ? ")" : "");
	ui_text(4, 1, UI_C_NORMAL, "%s %s   %s %s   %s %s", _("Village:"),
	    p->village ? p->village : "-", _("Phone:"),
	    p->phone ? p->phone : "-", _("National id:"),
	    p->national_id ? p->national_id : "-");
	if (st.editing)
		ui_field_draw(5, 1, _("Allergies:"), 60, &st.edit, 1, 0);
	else
		ui_text(5, 1, st.allergies[0] ? UI_C_WARN : UI_C_NORMAL,
		    "%s %s", _("Allergies:"),
		    st.allergies[0] ? st.allergies : _("none documented (F6)"));
	ui_text(20, 1, UI_C_DIM, "%s",
	    _("Enter start the visit   Esc back   F12 lock"));
	if (st.err != 0) {
		ui_text(6, 1, UI_C_WARN, "! %s %s",
		    _("The record cannot be read:"), ui_strerror(st.err));
		return;
	}
	y = 6;
	if (st.sum.nvisits == 0)
		ui_text(
		    y++, 1, UI_C_NORMAL, "%s", _("Visits: none recorded yet."));
	else
		ui_text(y++, 1, UI_C_NORMAL, _("Visits: %u, the last %zu:"),
		    st.sum.total_visits, st.sum.nvisits);
	for (i = 0; i < st.sum.nvisits; i++) {
		v = &st.sum.visits[i];
		ui_text(y++, 3, UI_C_NORMAL, "%s  %-6s  %3u %-6s  %.34s",
		    ui_when((int64_t)v->started_ms, when, sizeof(when)),
		    strcmp(v->status, "open") == 0 ? _("open") : _("closed"),
		    v->nobs, v->nobs == 1 ? _("value") : _("values"),
		    v->reason);
	}
	y++;
	if (st.sum.nvitals == 0)
		ui_text(y++, 1, UI_C_NORMAL, "%s",
		    _("Last vital signs: none recorded."));
	else {
		ui_text(y++, 1, UI_C_NORMAL, _("Last vital signs (%s):"),
		    ui_when((int64_t)st.sum.vitals_ms, when, sizeof(when)));
		vitals_line(line, sizeof(line));
		y = ui_wrap(y, 3, 76, 2, UI_C_NORMAL, line);
	}
	y++;
	if (st.sum.open_referrals == 0)
		ui_text(y++, 1, UI_C_NORMAL, "%s", _("Referrals: none open."));
	else
		ui_text(y++, 1, UI_C_WARN, _("! Referrals: %u open."),
		    st.sum.open_referrals);
	if (st.sum.ndrafts == 0)
		ui_text(
		    y++, 1, UI_C_NORMAL, "%s", _("Forms not finished: none."));
	else {
		line[0] = '\0';
		for (i = 0; i < st.sum.ndrafts; i++) {
			size_t o = strlen(line);

			snprintf(line + o, sizeof(line) - o, "%s%s",
			    i ? ", " : "", st.sum.drafts[i].form_id);
		}
		ui_text(
		    y++, 1, UI_C_WARN, _("* Forms not finished: %.60s"), line);
	}
	if (ui->visit.vitals.alert_pending)
		ui_text(18, 1, UI_C_DANGER, "%s",
		    _("!! A red flag waits for this patient: Enter, then F9."));
	ui_text(19, 1, UI_C_OK, "%s",
	    ui->visit.encounter_id[0]
	        ? _("A visit of today is open: Enter carries it on.")
	        : _("Enter starts the visit; Esc goes back and starts none."));
}

static enum ui_result
patient_key(struct ui *ui, enum ui_action a, int ch)
{
	if (st.editing)
		return patient_allergies_key(ui, a, ch);
	switch (a) {
	case UI_A_RX:
		ui_field_set(&st.edit, st.allergies);
		st.editing = 1;
		return UI_REDRAW;
	case UI_A_ENTER:
		return ui_replace(ui, &screen_vitals);
	case UI_A_WAITLIST: /* issue 15 */
		return ui_goto(ui, &screen_waitlist);
	case UI_A_BACK:
		/* nothing was started: put the patient down */
		if (ui->visit.encounter_id[0] == '\0')
			visit_session_patient_clear(&ui->visit);
		return UI_BACK;
	default:
		return UI_UNHANDLED;
	}
}

const struct screen screen_patient = {
	"patient",
	N_("Patient"),
	patient_enter,
	patient_draw,
	patient_key,
	patient_leave,
};
