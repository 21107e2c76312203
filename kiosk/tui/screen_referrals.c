/*
 * Referrals (issue 14), F8 on the home screen.  First the referrals sent
 * to this kiosk's facility that are not ended (F2 accept, F9 seen, F6
 * reject with the reason typed below), then this kiosk's own referrals
 * with their status as the other facility last synced it; one whose
 * due-by passed unseen asks for the CHW's follow-up: Left/Right choose
 * the outcome, F7 records it.  F8 cancels one of ours.
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
#include "xmalloc.h"

#define ROWS 11

static struct store_referral *list;
static size_t nlist, nin; /* the first NIN are incoming */
static int sel, outcome;
static struct ui_field note;
static char facility[64];

static void
rf_load(struct ui *ui)
{
	struct store_referral *in = NULL, *out = NULL;
	struct sync_status ss;
	size_t nout = 0, i;
	uint64_t now = clock_wall_ms();

	store_referral_free_array(list, nlist);
	list = NULL;
	nlist = nin = 0;
	memset(&ss, 0, sizeof(ss));
	sync_status_get(ui->visit.store, &ss);
	snprintf(facility, sizeof(facility), "%s", ss.facility);
	store_referral_list(
	    ui->visit.store, STORE_REF_INCOMING, facility, now, &in, &nin);
	store_referral_list(
	    ui->visit.store, STORE_REF_OUTGOING, facility, now, &out, &nout);
	list = xreallocarray(in, nin + nout + 1, sizeof(*list));
	for (i = 0; i < nout; i++)
		list[nin + i] = out[i];
	free(out);
	nlist = nin + nout;
	if (sel >= (int)nlist)
		sel = nlist > 0 ? (int)nlist - 1 : 0;
}

static void
rf_enter(struct ui *ui)
{
	sel = 0;
	outcome = 0;
	ui_field_clear(&note);
	rf_load(ui);
}

static void
rf_leave(struct ui *ui)
{
	(void)ui;
	store_referral_free_array(list, nlist);
	list = NULL;
	nlist = nin = 0;
}

static const char *
rf_state(const struct store_referral *r)
{
	if (r->followup_due)
		return _("FOLLOW UP");
	if (r->self_reported)
		return _("seen elsewhere");
	switch (r->state) {
	case REF_REQUESTED:
		return _("sent");
	case REF_RECEIVED:
		return _("received");
	case REF_ACCEPTED:
		return _("accepted");
	case REF_REJECTED:
		return _("rejected");
	case REF_IN_PROGRESS:
		return _("in progress");
	case REF_COMPLETED:
		return _("seen");
	case REF_FAILED:
		return _("not seen");
	case REF_CANCELLED:
		return _("cancelled");
	default:
		return "?";
	}
}

static void
rf_draw(struct ui *ui)
{
	char name[24], fac[16], due[32];
	const struct store_referral *r;
	int i, y = 4;

	rf_load(ui);
	ui_text(2, 1, UI_C_TITLE, " %s ", _("Referrals"));
	ui_text(2, 14, UI_C_DIM, _("%zu to this facility, %zu from it"), nin,
	    nlist - nin);
	if (nlist == 0)
		ui_text(y, 4, UI_C_DIM, "%s",
		    _("None. F3 on a visit refers the patient."));
	for (i = 0; i < ROWS && i < (int)nlist; i++) {
		r = &list[i];
		ui_when((int64_t)r->due_ms, due, sizeof(due));
		ui_text(y + i, 1,
		    i == sel              ? UI_C_FOCUS
		        : r->followup_due ? UI_C_WARN
		        : (size_t)i < nin ? UI_C_OK
		                          : UI_C_NORMAL,
		    "%c %-4s %-7s %-15s %s %s %s", i == sel ? '>' : ' ',
		    (size_t)i < nin ? _("IN") : _("OUT"), r->urgency,
		    rf_state(r),
		    ui_fit(name, sizeof(name),
		        r->patient_name[0] ? r->patient_name : "?", 18),
		    ui_fit(fac, sizeof(fac),
		        (size_t)i < nin ? r->from : r->target, 12),
		    due);
	}
	if (nlist > 0) {
		r = &list[sel];
		ui_wrap(16, 1, 78, 1, UI_C_DIM,
		    r->state_reason[0] ? r->state_reason : r->reason);
		if (r->followup_due)
			ui_text(17, 1, UI_C_WARN,
			    _("Outcome: < %s >  F7 records it"),
			    referral_outcomes[outcome]);
	}
	ui_field_draw(18, 1, _("Reason"), 56, &note, 1, 0);
	ui_text(20, 1, UI_C_DIM, "%s",
	    _("IN: F2 accept  F9 seen  F6 reject   OUT: F8 cancel  F7 "
	      "follow-up   Esc home"));
}

static enum ui_result
rf_step(struct ui *ui, const char *state, const char *text)
{
	char *cause = NULL;
	int err;

	if (nlist == 0)
		return UI_HANDLED;
	err = store_referral_step(
	    ui->visit.store, list[sel].id, facility, state, text, &cause);
	if (err != 0)
		ui_warn_cause(ui, err, cause);
	else {
		ui_message(ui, UI_MSG_OK, "%s",
		    _("Recorded. The other facility sees it after the next "
		      "sync."));
		ui_field_clear(&note);
		sync_thread_kick();
	}
	free(cause);
	return UI_REDRAW;
}

static enum ui_result
rf_key(struct ui *ui, enum ui_action a, int ch)
{
	if (ui_list_key(&sel, (int)nlist, a))
		return UI_REDRAW;
	switch (a) {
	case UI_A_TICK:
		return UI_REDRAW;
	case UI_A_SAVE:
		return rf_step(ui, "accepted", NULL);
	case UI_A_ACK:
		return rf_step(ui, "completed", NULL);
	case UI_A_REJECT:
		return rf_step(ui, "rejected", note.buf);
	case UI_A_CANCEL:
		return rf_step(ui, "cancelled", note.buf);
	case UI_A_FINISH:
		return rf_step(ui, "follow-up", referral_outcomes[outcome]);
	case UI_A_LEFT:
		outcome = outcome > 0 ? outcome - 1 : 4;
		return UI_REDRAW;
	case UI_A_RIGHT:
		outcome = (outcome + 1) % 5;
		return UI_REDRAW;
	default:
		return ui_field_key(&note, a, ch) ? UI_REDRAW : UI_UNHANDLED;
	}
}

const struct screen screen_referrals = {
	"referrals",
	N_("Referrals"),
	rf_enter,
	rf_draw,
	rf_key,
	rf_leave,
};
