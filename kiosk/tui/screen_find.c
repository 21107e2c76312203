/*
 * Find a patient: one search line that takes a name (typos forgiven), an
 * id, a phone number, a village or a birth year; the store decides the
 * order (kiosk/store/store.h, store_patient_find).  Results refresh as the CHW
 * types; the list scrolls and says how many were found.  F4 registers a new patient with what was typed as the name.
 */
#include <stdio.h>
#include <string.h>

#include "kiosk/sync/sync.h"
#include "str.h"
#include "ui.h"

#define FIND_MAX 200 /* results read; more: type more to narrow */
#define FIND_ROWS 10 /* results on the screen at once */

static struct {
	struct ui_field q;
	struct store_patient *res;
	size_t n;
	int sel, top;
	int err;
	int enrolled; /* break-glass (F7) works: there is a server */
} st;

static void
results_free(void)
{
	store_patient_free_array(st.res, st.n);
	st.res = NULL;
	st.n = 0;
	st.sel = 0;
	st.top = 0;
}

static void
search(struct ui *ui)
{
	results_free();
	st.err = 0;
	if (st.q.len < 2)
		return;
	st.err = store_patient_find(
	    ui->visit.store, st.q.buf, FIND_MAX, &st.res, &st.n);
	if (st.err != 0) {
		st.res = NULL;
		st.n = 0;
	}
}

static void
find_enter(struct ui *ui)
{
	struct sync_status ss;

	st.enrolled = sync_status_get(ui->visit.store, &ss) == 0 && ss.enrolled;
	ui_field_clear(&st.q);
	results_free();
	st.err = 0;
}

static void
find_leave(struct ui *ui)
{
	(void)ui;
	ui_field_clear(&st.q);
	results_free();
}

static void
find_draw(struct ui *ui)
{
	const struct store_patient *p;
	char age[16], g[96], f[96], v[96];
	size_t i;
	int y = 6, n, last;

	(void)ui;
	ui_text(2, 2, UI_C_NORMAL,
	    _("Name, phone, village, birth year or patient id:"));
	ui_field_draw(3, 0, _("Search"), 40, &st.q, 1, 0);
	if (st.err != 0)
		ui_text(5, 2, UI_C_WARN, _("! Search failed: %s"),
		    ui_strerror(st.err));
	else if (st.q.len < 2)
		ui_text(
		    5, 2, UI_C_DIM, _("Type at least two letters or digits."));
	else if (st.n == 0)
		ui_text(5, 2, UI_C_WARN,
		    _("! No patient found. F4 registers "
		      "a new patient."));
	else {
		ui_text(5, 2, UI_C_DIM, "  %-18s %-16s %-2s %-3s %-14s %s",
		    _("Given name"), _("Family name"), _("Sx"), _("Age"),
		    _("Village"), _("Phone"));
		/* how many, and where the window is */
		last = st.n - (size_t)st.top < FIND_ROWS ? (int)st.n
		                                         : st.top + FIND_ROWS;
		if (st.n >= FIND_MAX)
			ui_text(17, 2, UI_C_WARN,
			    _("! %d or more found: type more to narrow. Rows "
			      "%d-%d."),
			    FIND_MAX, st.top + 1, last);
		else if (st.n > FIND_ROWS)
			ui_text(17, 2, UI_C_DIM,
			    _("%zu found. Rows %d-%d: Up/Down scrolls."), st.n,
			    st.top + 1, last);
		else
			ui_text(17, 2, UI_C_DIM, _("%zu found."), st.n);
	}
	for (i = (size_t)st.top; i < st.n && i < (size_t)st.top + FIND_ROWS;
	     i++) {
		p = &st.res[i];
		n = visit_age_years(p->birth_date);
		snprintf(age, sizeof(age), "%d", n);
		ui_text(y++, 2, (int)i == st.sel ? UI_C_FOCUS : UI_C_NORMAL,
		    "%c %s %s %-2.1s %-3s %s %s", (int)i == st.sel ? '>' : ' ',
		    ui_fit(g, sizeof(g), p->given, 18),
		    ui_fit(f, sizeof(f), p->family, 16), p->sex ? p->sex : "",
		    n >= 0 ? age : "?", ui_fit(v, sizeof(v), p->village, 14),
		    p->phone ? p->phone : "");
	}
	ui_text(18, 2, UI_C_DIM,
	    _("Up/Down choose   Enter open   "
	      "F4 register new   Esc back"));
	if (st.enrolled)
		ui_text(19, 2, UI_C_DIM, "%s",
		    _("F7 a patient of another facility (break-glass)"));
}

static enum ui_result
find_key(struct ui *ui, enum ui_action a, int ch)
{
	if (ui_list_key(&st.sel, (int)st.n, a)) {
		if (st.sel < st.top)
			st.top = st.sel;
		if (st.sel >= st.top + FIND_ROWS)
			st.top = st.sel - FIND_ROWS + 1;
		return UI_REDRAW;
	}
	switch (a) {
	case UI_A_ENTER:
		if (st.n == 0)
			return UI_HANDLED;
		/* the patient first; the visit starts on a key there */
		visit_session_patient(&ui->visit, &st.res[st.sel]);
		return ui_replace(ui, &screen_patient);
	case UI_A_BREAKGLASS:
		if (!st.enrolled) {
			ui_message(ui, UI_MSG_WARN, "%s",
			    _("Break-glass needs a link to the server: this "
			      "kiosk is not enrolled with one."));
			return UI_REDRAW;
		}
		return ui_goto(ui, &screen_breakglass);
	case UI_A_NEW:
		/* the register screen takes the typed name from here */
		str_lcpy(ui->prefill, st.q.buf, sizeof(ui->prefill));
		return ui_replace(ui, &screen_register);
	default:
		if (!ui_field_key(&st.q, a, ch))
			return UI_UNHANDLED;
		search(ui);
		return UI_REDRAW;
	}
}

const struct screen screen_find = {
	"find",
	N_("Find a patient"),
	find_enter,
	find_draw,
	find_key,
	find_leave,
};
