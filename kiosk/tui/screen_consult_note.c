/*
 * The consult note (issue 13).  For the clinician holding the consult:
 * the SOAP note and the advice given during a call, F2 saves (the advice
 * reaches the CHW with the next sync, as it arrives), F8 signs it with
 * the clinician's Ed25519 key, which closes it to edits.  For anyone
 * else (the CHW reading the answer): the note, who signed it, and
 * whether the signature verifies; opening it marks the answer as read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consult.h"
#include "i18n.h"
#include "kiosk/store/store.h"
#include "kiosk/sync/sync.h"
#include "ui.h"

#define NF 5
static const char *const labels[NF] = { N_("S subjective"), N_("O objective"),
	N_("A assessment"), N_("P plan"), N_("Advice") };
static struct ui_field f[NF];
static int focus, editable;

static void
note_enter(struct ui *ui)
{
	struct store_consult c;
	const char *v[NF];
	int i;

	focus = 0;
	editable = 0;
	for (i = 0; i < NF; i++)
		ui_field_clear(&f[i]);
	if (store_consult_get(ui->visit.store, ui->consult_id, &c) != 0)
		return;
	v[0] = c.subjective;
	v[1] = c.objective;
	v[2] = c.assessment;
	v[3] = c.plan;
	v[4] = c.advice;
	for (i = 0; i < NF; i++)
		ui_field_set(&f[i], v[i] ? v[i] : "");
	editable = c.clinician != NULL &&
	    strcmp(c.clinician, ui->visit.user_id) == 0 &&
	    (strcmp(c.state, "accepted") == 0 || strcmp(c.state, "call") == 0);
	if (!editable &&
	    (strcmp(c.state, "signed") == 0 || strcmp(c.state, "failed") == 0))
		store_consult_seen(ui->visit.store, c.id);
	store_consult_clear(&c);
}

static void
note_draw(struct ui *ui)
{
	struct store_consult c;
	const char *why;
	char when[32];
	int i, y = 4, err;

	if (store_consult_get(ui->visit.store, ui->consult_id, &c) != 0) {
		ui_text(
		    3, 2, UI_C_WARN, "%s", _("! The consult cannot be read."));
		return;
	}
	ui_text(2, 1, UI_C_TITLE, _(" %s: %s "),
	    c.patient_name && c.patient_name[0] ? c.patient_name : "?",
	    c.reason ? c.reason : "");
	if (editable) {
		for (i = 0; i < NF; i++, y += 2)
			ui_field_draw(/* [ at column 20, ] by 79 */
			    y, 1, _(labels[i]), 57, &f[i], i == focus, 0);
		ui_text(20, 1, UI_C_DIM, "%s",
		    _("Tab/Enter next field   F2 save   F8 sign   Esc back"));
		store_consult_clear(&c);
		return;
	}
	for (i = 0; i < NF; i++) {
		ui_text(y, 1, UI_C_NORMAL, "%s:", _(labels[i]));
		y = ui_wrap(y, 16, 62, 2, UI_C_NORMAL, f[i].buf);
	}
	y++;
	err = store_consult_verify(ui->visit.store, &c, &why);
	if (err == 0)
		ui_text(y++, 1, UI_C_OK,
		    _("+ Signed by %s, registration %s, %s: signature "
		      "verified"),
		    c.clinician_name ? c.clinician_name : "?",
		    c.regno && c.regno[0] ? c.regno : "-",
		    ui_when((int64_t)c.signed_ms, when, sizeof(when)));
	else if (err == ENOENT)
		ui_text(y++, 1, UI_C_DIM, _("Not signed yet (%s)."), c.state);
	else
		ui_text(y++, 1, UI_C_DANGER,
		    _("!! Do not act on this note: %s."),
		    why ? why : ui_strerror(err));
	ui_text(20, 1, UI_C_DIM, "%s", _("Esc back"));
	store_consult_clear(&c);
}

static int
note_save(struct ui *ui)
{
	struct store_consult_note n;
	char *cause = NULL;
	int err;

	n.subjective = f[0].buf;
	n.objective = f[1].buf;
	n.assessment = f[2].buf;
	n.plan = f[3].buf;
	n.advice = f[4].buf;
	err = store_consult_note(ui->visit.store, ui->consult_id, &n, &cause);
	if (err != 0)
		ui_warn_cause(ui, err, cause);
	free(cause);
	return err;
}

static enum ui_result
note_key(struct ui *ui, enum ui_action a, int ch)
{
	char *cause = NULL;
	int err;

	if (a == UI_A_RX) /* the consult's prescriptions (issue 14) */
		return screen_rx_open(ui);
	if (!editable)
		return UI_UNHANDLED;
	switch (a) {
	case UI_A_NEXT:
	case UI_A_DOWN:
		focus = (focus + 1) % NF;
		return UI_REDRAW;
	case UI_A_PREV:
	case UI_A_UP:
		focus = (focus + NF - 1) % NF;
		return UI_REDRAW;
	case UI_A_SAVE:
		if (note_save(ui) == 0) {
			ui_message(ui, UI_MSG_OK, "%s",
			    _("Note saved; it goes with the next sync."));
			sync_thread_kick();
		}
		return UI_REDRAW;
	case UI_A_SIGN:
		if (note_save(ui) != 0)
			return UI_REDRAW;
		err =
		    store_consult_sign(ui->visit.store, ui->consult_id, &cause);
		if (err != 0)
			ui_warn_cause(ui, err, cause);
		else {
			ui_message(ui, UI_MSG_OK, "%s",
			    _("Note signed. The CHW gets it with the next "
			      "sync."));
			editable = 0;
			sync_thread_kick();
		}
		free(cause);
		return UI_REDRAW;
	default:
		return ui_field_key(&f[focus], a, ch) ? UI_REDRAW
		                                      : UI_UNHANDLED;
	}
}

const struct screen screen_consult_note = {
	"consult_note",
	N_("Consult note"),
	note_enter,
	note_draw,
	note_key,
	NULL,
};
