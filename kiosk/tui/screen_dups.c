/*
 * Probable duplicates (Home, F6): the pairs of records self check-in or
 * registration thought may be one person ("is this you?" answered no),
 * for staff to resolve.  Each pair shows both records (names, birth
 * year, village, phone); F2 merges the newer record into the older one
 * (kiosk/store/merge.c: a synced, audited merge record), D says they are
 * different people.  The list is read again after each answer.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ui.h"

#define DUPS_MAX 6 /* pairs on the screen */

static struct {
	struct store_dup rows[DUPS_MAX];
	size_t n;
	int sel, err;
} st;

static void
load(struct ui *ui)
{
	st.err = store_dup_list(ui->visit.store, st.rows, DUPS_MAX, &st.n);
	if (st.err != 0)
		st.n = 0;
	if (st.sel >= (int)st.n)
		st.sel = st.n > 0 ? (int)st.n - 1 : 0;
}

static void
dups_enter(struct ui *ui)
{
	st.sel = 0;
	load(ui);
}

/* One record of a pair on one line. */
static void
draw_one(struct ui *ui, int y, const char *id, const char *mark, int focused)
{
	struct store_patient p;
	char g[80], f[80], v[80], ph[40];

	memset(&p, 0, sizeof(p));
	if (store_patient_get(ui->visit.store, id, &p) != 0) {
		ui_text(
		    y, 4, UI_C_DIM, "%s %s", mark, _("(record not available)"));
		return;
	}
	ui_text(y, 4, focused ? UI_C_FOCUS : UI_C_NORMAL, "%s %s %s %.4s %s %s",
	    mark, ui_fit(g, sizeof(g), p.given, 14),
	    ui_fit(f, sizeof(f), p.family, 14),
	    p.birth_date ? p.birth_date : "????",
	    ui_fit(v, sizeof(v), p.village, 14),
	    ui_fit(ph, sizeof(ph), p.phone, 14));
	store_patient_clear(&p);
}

static void
dups_draw(struct ui *ui)
{
	size_t i;
	int y = 4;

	ui_text(2, 1, UI_C_TITLE, " %s ",
	    _("Probable duplicates: is each pair one person?"));
	if (st.err != 0) {
		ui_text(y, 4, UI_C_WARN, "! %s: %s",
		    _("The list cannot be read"), ui_strerror(st.err));
		return;
	}
	if (st.n == 0) {
		ui_text(y, 4, UI_C_OK, "+  %s",
		    _("None waiting. Check-in adds a pair when someone says "
		      "\"not me\"."));
		return;
	}
	for (i = 0; i < st.n; i++, y += 3) {
		ui_text(y, 2, (int)i == st.sel ? UI_C_FOCUS : UI_C_DIM, "%c %s",
		    (int)i == st.sel ? '>' : ' ',
		    /* the two reasons the kiosk writes are in the catalogue;
		     * any other (another kiosk's) shows as it was written */
		    st.rows[i].why[0] != '\0' ? _(st.rows[i].why) : "");
		draw_one(
		    ui, y + 1, st.rows[i].old_id, _("keep "), (int)i == st.sel);
		draw_one(
		    ui, y + 2, st.rows[i].new_id, _("merge"), (int)i == st.sel);
	}
	ui_text(21, 1, UI_C_DIM, "%s",
	    _("F2 same person: merge the lower into the upper   D different "
	      "people"));
}

static enum ui_result
dups_key(struct ui *ui, enum ui_action a, int ch)
{
	const struct store_dup *d;
	int err;

	(void)ch;
	if (ui_list_key(&st.sel, (int)st.n, a))
		return UI_REDRAW;
	if (st.n == 0 || (a != UI_A_MERGE && a != UI_A_TOGGLE))
		return UI_UNHANDLED;
	d = &st.rows[st.sel];
	if (a == UI_A_MERGE) {
		err = store_patient_merge(
		    ui->visit.store, d->old_id, d->new_id, d->why);
		if (err == EEXIST)
			err = 0;
		if (err != 0)
			ui_message(ui, UI_MSG_WARN, "%s: %s", _("Not merged"),
			    ui_strerror(err));
		else
			ui_message(ui, UI_MSG_OK, "%s",
			    _("Merged: one record now, on every kiosk after "
			      "sync."));
	} else if ((err = store_dup_dismiss(ui->visit.store, d->id)) != 0)
		ui_message(ui, UI_MSG_WARN, "%s: %s", _("Not saved"),
		    ui_strerror(err));
	else
		ui_message(ui, UI_MSG_OK, "%s", _("Kept as two people."));
	load(ui);
	return UI_REDRAW;
}

const struct screen screen_dups = {
	"dups",
	N_("Probable duplicates"),
	dups_enter,
	dups_draw,
	dups_key,
	NULL,
};
