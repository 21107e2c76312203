/*
 * Register a patient.  Before creating the record the screen looks for a
 * probable duplicate (names within two typos and the same birth year, or
 * the same phone number: store_patient_duplicate) and shows it: Enter then
 * opens the existing record, F2 again registers the new one anyway and
 * leaves the pair on the duplicates screen (Home, F6).  The store checks the
 * fields and its words are shown as they are.
 */
#define LOG_MODULE "ui"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "str.h"
#include "ui.h"

enum { F_GIVEN, F_FAMILY, F_SEX, F_BIRTH, F_PHONE, F_VILLAGE, F_NATID, NF };

static const char *const labels[NF] = { N_("Given name"), N_("Family name"),
	N_("Sex (f/m/o)"), N_("Birth date/year"), N_("Phone"), N_("Village"),
	N_("National id") };

static struct {
	struct ui_field f[NF];
	int focus;
	int dup; /* a probable duplicate is shown */
	struct store_patient dup_p;
} st;

static void
dup_clear(void)
{
	if (st.dup)
		store_patient_clear(&st.dup_p);
	memset(&st.dup_p, 0, sizeof(st.dup_p));
	st.dup = 0;
}

static void
reg_enter(struct ui *ui)
{
	char *sp;
	int i;

	for (i = 0; i < NF; i++)
		ui_field_clear(&st.f[i]);
	st.focus = 0;
	dup_clear();
	/* a name typed on the find screen: "given family" */
	if (ui->prefill[0] != '\0') {
		sp = strchr(ui->prefill, ' ');
		if (sp != NULL) {
			*sp = '\0';
			ui_field_set(&st.f[F_FAMILY], sp + 1);
		}
		ui_field_set(&st.f[F_GIVEN], ui->prefill);
		ui->prefill[0] = '\0';
	}
}

static void
reg_leave(struct ui *ui)
{
	int i;

	(void)ui;
	for (i = 0; i < NF; i++)
		ui_field_clear(&st.f[i]);
	dup_clear();
}

static void
reg_draw(struct ui *ui)
{
	const struct store_patient *d = &st.dup_p;
	int i;

	(void)ui;
	ui_text(2, 2, UI_C_NORMAL,
	    _("New patient. Given and family name are "
	      "needed; the rest helps find them again."));
	for (i = 0; i < NF; i++)
		ui_field_draw(
		    4 + i * 2, 2, _(labels[i]), 36, &st.f[i], i == st.focus, 0);
	if (st.dup) {
		ui_text(18, 2, UI_C_DANGER,
		    _("!! Probably already registered: "
		      "%s %s, born %s, %s"),
		    d->given ? d->given : "", d->family ? d->family : "",
		    d->birth_date ? d->birth_date : "?",
		    d->village ? d->village : "");
		ui_text(19, 2, UI_C_WARN,
		    _("!  Enter: open that record.  F2: register a new "
		      "patient anyway."));
	} else
		ui_text(19, 2, UI_C_DIM,
		    _("Tab/Enter next field   F2 save   "
		      "Esc cancel"));
}

/* Look for a probable duplicate of what was typed (the store's rule,
 * store_patient_duplicate).  1 when one is shown. */
static int
find_duplicate(struct ui *ui)
{
	struct store_patient typed;

	memset(&typed, 0, sizeof(typed));
	typed.given = st.f[F_GIVEN].buf;
	typed.family = st.f[F_FAMILY].buf;
	typed.birth_date = st.f[F_BIRTH].len ? st.f[F_BIRTH].buf : NULL;
	typed.phone = st.f[F_PHONE].len ? st.f[F_PHONE].buf : NULL;
	if (store_patient_duplicate(ui->visit.store, &typed, &st.dup_p) != 0)
		return 0;
	st.dup = 1;
	return 1;
}

static enum ui_result
save(struct ui *ui)
{
	struct store_patient p;
	enum store_patient_field bad = STORE_PF_GIVEN;
	char *cause = NULL;
	int err;

	if (st.f[F_GIVEN].len == 0 || st.f[F_FAMILY].len == 0) {
		st.focus = st.f[F_GIVEN].len == 0 ? F_GIVEN : F_FAMILY;
		ui_message(
		    ui, UI_MSG_WARN, _("Type the given and family name."));
		return UI_REDRAW;
	}
	if (st.f[F_SEX].len > 0 && ui_sex_value(st.f[F_SEX].buf) == NULL) {
		st.focus = F_SEX;
		ui_message(ui, UI_MSG_WARN,
		    _("Sex: type f, m or o (or leave it "
		      "empty)."));
		return UI_REDRAW;
	}
	if (!st.dup && find_duplicate(ui)) {
		ui_message(
		    ui, UI_MSG_WARN, _("Check this is not the same person."));
		return UI_REDRAW;
	}
	memset(&p, 0, sizeof(p));
	p.given = st.f[F_GIVEN].buf;
	p.family = st.f[F_FAMILY].buf;
	p.sex = (char *)ui_sex_value(st.f[F_SEX].buf);
	p.birth_date = st.f[F_BIRTH].len ? st.f[F_BIRTH].buf : NULL;
	p.phone = st.f[F_PHONE].len ? st.f[F_PHONE].buf : NULL;
	p.village = st.f[F_VILLAGE].len ? st.f[F_VILLAGE].buf : NULL;
	p.national_id = st.f[F_NATID].len ? st.f[F_NATID].buf : NULL;
	/* a field the store would refuse: say why and go to it */
	if (store_patient_check(&p, &bad, &cause) != 0) {
		st.focus = (int)bad;
		ui_message(ui, UI_MSG_WARN, "%s: %s", _(labels[st.focus]),
		    ui_cause(cause));
		free(cause);
		dup_clear();
		return UI_REDRAW;
	}
	err = store_patient_add(ui->visit.store, &p, NULL, &cause);
	if (err != 0) {
		ui_message(ui, UI_MSG_DANGER, _("Not saved: %s"),
		    cause != NULL ? ui_cause(cause) : ui_strerror(err));
		free(cause);
		dup_clear();
		return UI_REDRAW;
	}
	/* saved over a probable duplicate: staff check it later (F6) */
	if (st.dup &&
	    store_dup_flag(ui->visit.store, p.id, st.dup_p.id,
	        N_("registration: saved anyway")) != 0)
		log_warnx("probable duplicate not kept for review");
	visit_session_patient(&ui->visit, &p);
	ui_message(ui, UI_MSG_OK, _("Registered %s %s."), p.given, p.family);
	return ui_replace(ui, &screen_vitals);
}

static enum ui_result
reg_key(struct ui *ui, enum ui_action a, int ch)
{
	switch (a) {
	case UI_A_SAVE:
		return save(ui);
	case UI_A_ENTER:
		if (st.dup) {
			visit_session_patient(&ui->visit, &st.dup_p);
			ui_message(
			    ui, UI_MSG_OK, _("Opened the existing record."));
			return ui_replace(ui, &screen_vitals);
		}
		/* Enter moves on like Tab */
		/* FALLTHROUGH */
	case UI_A_NEXT:
	case UI_A_DOWN:
		st.focus = (st.focus + 1) % NF;
		return UI_REDRAW;
	case UI_A_PREV:
	case UI_A_UP:
		st.focus = (st.focus + NF - 1) % NF;
		return UI_REDRAW;
	default:
		if (!ui_field_key(&st.f[st.focus], a, ch))
			return UI_UNHANDLED;
		dup_clear(); /* what was typed changed: check again */
		return UI_REDRAW;
	}
}

const struct screen screen_register = {
	"register",
	N_("Register a patient"),
	reg_enter,
	reg_draw,
	reg_key,
	reg_leave,
};
