/*
 * Ask a clinician (issue 13), F7 from the visit: the CHW says why, picks
 * how (video, voice, or store-and-forward: the visit goes to the hub by
 * the ordinary sync and the answer comes back on a later one), and F2
 * sends.  The urgency comes from the visit's NEWS2 and danger signs.
 * Once asked, the screen shows where the consult stands: its place in
 * the region's queue and the expected wait, as the server last said
 * (sync_queue_get: the median wait of recently accepted consults, an
 * estimate from history, not a promise), or the clinician's answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "consult.h"
#include "i18n.h"
#include "kiosk/store/store.h"
#include "kiosk/sync/sync.h"
#include "clock.h"
#include "ui.h"

static const char *const modes[] = { "video", "voice", "store-forward" };
static struct ui_field reason;
static int mode;

/* The open consult of the visit in hand, into ui->consult_id. */
static int
req_find(struct ui *ui)
{
	struct store_consult *c = NULL;
	size_t i, n = 0;

	ui->consult_id[0] = '\0';
	if (ui->visit.encounter_id[0] == '\0' ||
	    store_consult_list(ui->visit.store, STORE_CL_ALL, &c, &n) != 0)
		return 0;
	for (i = n; i-- > 0;)
		if (c[i].encounter_id != NULL &&
		    strcmp(c[i].encounter_id, ui->visit.encounter_id) == 0 &&
		    strcmp(c[i].state, "cancelled") != 0) {
			memcpy(ui->consult_id, c[i].id, sizeof(ui->consult_id));
			break;
		}
	store_consult_free_array(c, n);
	return ui->consult_id[0] != '\0';
}

static int
req_urgency(const struct ui *ui, int *news2)
{
	const struct news2_result *r = &ui->visit.vitals.r;
	struct imci_result im;

	visit_danger_assess(&ui->visit, &im);
	*news2 = r->applicable && ui->visit.vitals.in.have ? r->score : -1;
	return consult_urgency(
	    *news2, r->applicable && r->single3, im.applicable && im.danger);
}

static void
req_enter(struct ui *ui)
{
	ui_field_clear(&reason);
	mode = 0;
	if (!req_find(ui))
		ui_field_set(&reason, ui->visit.visit_reason);
}

static const char *
req_state(const char *state)
{
	if (strcmp(state, "requested") == 0)
		return _("waiting for a clinician");
	if (strcmp(state, "accepted") == 0)
		return _("a clinician has taken it");
	if (strcmp(state, "call") == 0)
		return _("the clinician is calling");
	if (strcmp(state, "signed") == 0)
		return _("ANSWERED: the clinician's note is here");
	if (strcmp(state, "closed") == 0)
		return _("closed");
	if (strcmp(state, "failed") == 0)
		return _("the clinician could not help");
	return state;
}

static void
req_draw_status(struct ui *ui)
{
	struct store_consult c;
	struct sync_queue q;
	const struct sync_queue_item *it;
	char when[32];
	int y = 6;

	/* follow the sync: the queue comes back with each run */
	ui->wake_ms = clock_mono_ms() + CONSULT_REFRESH_MS;

	if (store_consult_get(ui->visit.store, ui->consult_id, &c) != 0) {
		ui_text(
		    y, 2, UI_C_WARN, "%s", _("! The consult cannot be read."));
		return;
	}
	ui_text(y++, 2, UI_C_NORMAL, _("Asked at %s, urgency %s, by %s."),
	    ui_when((int64_t)c.requested_ms, when, sizeof(when)),
	    _(consult_urgency_name(c.urgency)), c.mode ? c.mode : "?");
	ui_text(y++, 2, UI_C_NORMAL, _("Reason: %s"), c.reason ? c.reason : "");
	y++;
	ui_text(y++, 2, strcmp(c.state, "signed") == 0 ? UI_C_OK : UI_C_TITLE,
	    " %s ", req_state(c.state));
	sync_queue_get(ui->visit.store, &q);
	it = sync_queue_find(&q, c.id);
	if (strcmp(c.state, "requested") == 0) {
		if (it != NULL && it->position > 0)
			ui_text(y++, 2, UI_C_NORMAL,
			    _("Place in the queue: %llu of %llu waiting in "
			      "the region."),
			    (unsigned long long)it->position,
			    (unsigned long long)q.waiting);
		else
			ui_text(y++, 2, UI_C_DIM, "%s",
			    _("Place in the queue: known after the next "
			      "sync."));
		if (q.has_wait)
			ui_text(y++, 2, UI_C_NORMAL,
			    _("Expected wait: about %llu min (recent "
			      "consults waited that long)."),
			    (unsigned long long)((q.wait_ms + 59999) / 60000));
		else
			ui_text(y++, 2, UI_C_DIM, "%s",
			    _("Expected wait: not known yet."));
	} else if (c.clinician_name != NULL)
		ui_text(y++, 2, UI_C_NORMAL, _("Clinician: %s %s"),
		    c.clinician_name, c.regno ? c.regno : "");
	if (c.advice != NULL && c.advice[0] != '\0')
		ui_wrap(y + 1, 2, 76, 3, UI_C_NORMAL, c.advice);
	sync_queue_clear(&q);
	store_consult_clear(&c);
	ui_text(20, 1, UI_C_DIM, "%s",
	    _("F5 on the home screen opens the answers   F8 cancel   Esc "
	      "back to the visit"));
}

static void
req_draw(struct ui *ui)
{
	int news2, u = req_urgency(ui, &news2), i, x = 10;

	ui_text(2, 1, UI_C_NORMAL, _("Patient: %s %s"), ui->visit.patient.given,
	    ui->visit.patient.family);
	if (ui->consult_id[0] != '\0') {
		ui_text(3, 1, UI_C_TITLE, " %s ", _("Consult asked"));
		req_draw_status(ui);
		return;
	}
	if (news2 >= 0)
		ui_text(3, 1, u == CONSULT_HIGH ? UI_C_DANGER : UI_C_NORMAL,
		    _("Urgency: %s (NEWS2 %d, and the danger signs)"),
		    _(consult_urgency_name(u)), news2);
	else
		ui_text(3, 1, u == CONSULT_HIGH ? UI_C_DANGER : UI_C_NORMAL,
		    _("Urgency: %s (no NEWS2 yet; the danger signs)"),
		    _(consult_urgency_name(u)));
	ui_field_draw(5, 1, _("Why"), 56, &reason, 1, 0);
	ui_text(7, 1, UI_C_NORMAL, "%s", _("How:"));
	for (i = 0; i < 3; i++) {
		ui_text(7, x, i == mode ? UI_C_FOCUS : UI_C_NORMAL, "(%c) %s",
		    i == mode ? '*' : ' ', modes[i]);
		x += (int)strlen(modes[i]) + 6;
	}
	ui_wrap(9, 1, 78, 3, UI_C_DIM,
	    _("store-forward: the visit goes to the clinicians' queue with "
	      "the next sync, and their note comes back on a later one."));
	ui_text(20, 1, UI_C_DIM, "%s",
	    _("Type why   Left/Right how   F2 ask   Esc back"));
}

static enum ui_result
req_key(struct ui *ui, enum ui_action a, int ch)
{
	struct store_consult_req q;
	char *cause = NULL;
	int err;

	if (a == UI_A_TICK)
		return UI_REDRAW;
	if (ui->consult_id[0] != '\0') {
		if (a != UI_A_FINISH)
			return UI_UNHANDLED;
		err = store_consult_step(ui->visit.store, ui->consult_id,
		    "cancelled", "cancelled by the CHW", NULL, &cause);
		if (err != 0)
			ui_warn_cause(ui, err, cause);
		else {
			ui_message(
			    ui, UI_MSG_OK, "%s", _("Consult cancelled."));
			ui->consult_id[0] = '\0';
			sync_thread_kick();
		}
		free(cause);
		return UI_REDRAW;
	}
	switch (a) {
	case UI_A_LEFT:
		mode = (mode + 2) % 3;
		return UI_REDRAW;
	case UI_A_RIGHT:
		mode = (mode + 1) % 3;
		return UI_REDRAW;
	case UI_A_SAVE:
		if ((err = visit_session_encounter(&ui->visit, reason.buf)) !=
		    0) {
			ui_message(ui, UI_MSG_WARN, "%s", ui_strerror(err));
			return UI_REDRAW;
		}
		memset(&q, 0, sizeof(q));
		q.encounter_id = ui->visit.encounter_id;
		q.reason = reason.buf;
		q.mode = modes[mode];
		q.urgency = req_urgency(ui, &q.news2);
		err = store_consult_request(
		    ui->visit.store, &q, ui->consult_id, &cause);
		if (err != 0) {
			ui->consult_id[0] = '\0';
			ui_warn_cause(ui, err, cause);
			free(cause);
			req_find(ui);
			return UI_REDRAW;
		}
		ui_message(ui, UI_MSG_OK, "%s",
		    _("A clinician is asked. The consult goes with the next "
		      "sync."));
		sync_thread_kick();
		return UI_REDRAW;
	default:
		return ui_field_key(&reason, a, ch) ? UI_REDRAW : UI_UNHANDLED;
	}
}

static void
req_leave(struct ui *ui)
{
	ui->wake_ms = 0;
}

const struct screen screen_consult_req = {
	"consult_req",
	N_("Ask a clinician"),
	req_enter,
	req_draw,
	req_key,
	req_leave,
};
