/*
 * The waitlist (issue 15, docs/PROTOCOL.md §11.1), F7 on the patient
 * screen.  The patient's entries with their urgency in words, their hard
 * preferences and what the server last said; a live offer of a freed
 * slot shown first and large, with its expiry in local time: Enter
 * accepts it (the next sync books it, naming the entry), F8 declines it
 * (the next candidate gets it).  Below, the patient is listed: urgency
 * with Left/Right, the service and the preferences typed (Tab), F2
 * lists.  F6 takes the chosen entry off the list.  Everything goes at the
 * next sync (kicked at once); offers arrive with a sync too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "i18n.h"
#include "kiosk/store/store.h"
#include "kiosk/sync/sync.h"
#include "str.h"
#include "ui.h"
#include "xmalloc.h"

#define WL_ROWS 5
#define WL_FIELDS 4

static struct store_wait *list;
static size_t nlist;
static int sel, urgency = 2, field;
static struct ui_field fields[WL_FIELDS]; /* service, language, modality,
                                            clinician */

static const char *const urgency_words[] = { "?", N_("urgent: within 30 days"),
	N_("soon: within 90 days"), N_("routine: within a year") };
static const char *const field_names[WL_FIELDS] = { N_("Service"),
	N_("Language"), N_("Modality"), N_("Clinician") };

static int
wl_collect(void *arg, const struct store_wait *w)
{
	(void)arg;
	list = xreallocarray(list, nlist + 1, sizeof(*list));
	list[nlist++] = *w;
	return 0;
}

static void
wl_load(struct ui *ui)
{
	free(list);
	list = NULL;
	nlist = 0;
	(void)store_wait_list(
	    ui->visit.store, ui->visit.patient.id, wl_collect, NULL);
	if (sel >= (int)nlist)
		sel = nlist > 0 ? (int)nlist - 1 : 0;
}

/* The entry whose offer is live at NOW, or NULL. */
static const struct store_wait *
wl_offer(uint64_t now)
{
	size_t i;

	for (i = 0; i < nlist; i++)
		if (strcmp(list[i].status, "offered") == 0 &&
		    list[i].offer_expires_ms > now)
			return &list[i];
	return NULL;
}

static void
wl_enter(struct ui *ui)
{
	int i;

	sel = 0;
	urgency = 2;
	field = 0;
	for (i = 0; i < WL_FIELDS; i++)
		ui_field_clear(&fields[i]);
	wl_load(ui);
}

static void
wl_leave(struct ui *ui)
{
	int i;

	(void)ui;
	free(list);
	list = NULL;
	nlist = 0;
	for (i = 0; i < WL_FIELDS; i++)
		ui_field_clear(&fields[i]);
}

static const char *
wl_status(const struct store_wait *w, uint64_t now)
{
	if (strcmp(w->pending, "add") == 0)
		return _("to send");
	if (strcmp(w->pending, "accept") == 0)
		return _("accepting");
	if (strcmp(w->pending, "decline") == 0)
		return _("declining");
	if (strcmp(w->pending, "remove") == 0)
		return _("removing");
	if (strcmp(w->status, "offered") == 0)
		return w->offer_expires_ms > now ? _("OFFER") : _("waiting");
	if (strcmp(w->status, "waiting") == 0)
		return _("waiting");
	if (strcmp(w->status, "booked") == 0)
		return _("booked");
	if (strcmp(w->status, "removed") == 0)
		return _("removed");
	if (strcmp(w->status, "expired") == 0)
		return _("expired: list again");
	return w->status;
}

static void
wl_draw(struct ui *ui)
{
	const struct store_patient *p = &ui->visit.patient;
	const struct store_wait *w, *o;
	uint64_t now = clock_wall_ms();
	char start[32], end[32], until[32], prefs[160], svc[16];
	int i, y = 4;

	wl_load(ui);
	ui_text(2, 1, UI_C_TITLE, "%s %s", p->given ? p->given : "",
	    p->family ? p->family : "");
	if ((o = wl_offer(now)) != NULL) {
		ui_when((int64_t)o->offer_start_ms, start, sizeof(start));
		ui_when((int64_t)o->offer_end_ms, end, sizeof(end));
		ui_when((int64_t)o->offer_expires_ms, until, sizeof(until));
		ui_text(3, 1, UI_C_DANGER, "%s",
		    _("A FREED SLOT IS OFFERED TO THIS PATIENT"));
		ui_text(4, 3, UI_C_WARN, _("%s to %s (%s)"), start,
		    strlen(end) > 11 ? end + 11 : end, o->service);
		ui_text(5, 3, UI_C_WARN,
		    _("Answer before %s: Enter accepts, "
		      "F8 declines."),
		    until);
		y = 7;
	} else
		ui_text(3, 1, UI_C_DIM, "%s",
		    _("No offer now. Offers come with a sync."));
	if (nlist == 0)
		ui_text(y, 3, UI_C_DIM, "%s",
		    _("Not on the waitlist. List the patient below."));
	for (i = 0; i < WL_ROWS && i < (int)nlist; i++) {
		w = &list[i];
		snprintf(prefs, sizeof(prefs), "%.20s%s%.20s%s%.20s%s",
		    w->lang[0] ? w->lang : "", w->lang[0] ? " " : "",
		    w->modality[0] ? w->modality : "",
		    w->modality[0] ? " " : "", w->clinician,
		    w->lang[0] || w->modality[0] || w->clinician[0] ? "" : "-");
		ui_text(y + i, 1,
		    i == sel                 ? UI_C_FOCUS
		        : w == o             ? UI_C_WARN
		        : w->note[0] != '\0' ? UI_C_WARN
		                             : UI_C_NORMAL,
		    "%c %-23.23s %-8s %-20.20s %s", i == sel ? '>' : ' ',
		    _(urgency_words[w->urgency >= 1 && w->urgency <= 3
		            ? w->urgency
		            : 0]),
		    ui_fit(svc, sizeof(svc), w->service, 8), prefs,
		    wl_status(w, now));
	}
	if (nlist > 0 && list[sel].note[0] != '\0')
		ui_text(y + WL_ROWS, 3, UI_C_WARN, "%s", _(list[sel].note));
	ui_text(14, 1, UI_C_TITLE, "%s", _("List the patient"));
	ui_text(15, 3, UI_C_NORMAL, _("Urgency: < %s >  (Left/Right)"),
	    _(urgency_words[urgency]));
	for (i = 0; i < WL_FIELDS; i++)
		ui_field_draw(16 + i, 3, _(field_names[i]), 30, &fields[i],
		    i == field, 0);
	ui_text(20, 1, UI_C_DIM, "%s",
	    _("F2 list  Enter accept the offer  F8 decline  F6 take off  "
	      "Esc back"));
}

static enum ui_result
wl_done(struct ui *ui, int err, const char *ok)
{
	if (err != 0)
		ui_warn_cause(ui, err, NULL);
	else {
		ui_message(ui, UI_MSG_OK, "%s", ok);
		sync_thread_kick();
	}
	return UI_REDRAW;
}

static enum ui_result
wl_save(struct ui *ui)
{
	struct store_wait w;
	int i, err;

	if (fields[0].buf[0] == '\0') {
		ui_message(ui, UI_MSG_WARN, "%s",
		    _("Type the service the patient waits for (gp, "
		      "dental...)."));
		return UI_REDRAW;
	}
	memset(&w, 0, sizeof(w));
	snprintf(
	    w.patient_id, sizeof(w.patient_id), "%s", ui->visit.patient.id);
	w.urgency = urgency;
	for (i = 0; i < WL_FIELDS; i++)
		if (strlen(fields[i].buf) >= STORE_WAIT_TEXT) {
			ui_message(ui, UI_MSG_WARN,
			    _("%s: at most %d letters."), _(field_names[i]),
			    STORE_WAIT_TEXT - 1);
			return UI_REDRAW;
		}
	str_lcpy(w.service, fields[0].buf, sizeof(w.service));
	str_lcpy(w.lang, fields[1].buf, sizeof(w.lang));
	str_lcpy(w.modality, fields[2].buf, sizeof(w.modality));
	str_lcpy(w.clinician, fields[3].buf, sizeof(w.clinician));
	if ((err = store_wait_add(ui->visit.store, &w, NULL)) != 0)
		return wl_done(ui, err, NULL);
	for (i = 0; i < WL_FIELDS; i++)
		ui_field_clear(&fields[i]);
	field = 0;
	return wl_done(
	    ui, 0, _("Listed. The server has it after the next sync."));
}

static enum ui_result
wl_offer_act(struct ui *ui, const char *op)
{
	const struct store_wait *o = wl_offer(clock_wall_ms());
	int err;

	if (o == NULL) {
		ui_message(ui, UI_MSG_WARN, "%s",
		    _("No live offer for this patient."));
		return UI_REDRAW;
	}
	err = store_wait_intent(ui->visit.store, o->id, op, clock_wall_ms());
	if (err == EALREADY) {
		ui_message(ui, UI_MSG_WARN, "%s",
		    _("The offer lapsed or was already answered."));
		return UI_REDRAW;
	}
	return wl_done(ui, err,
	    strcmp(op, "accept") == 0
	        ? _("Accepted: the next sync books the slot.")
	        : _("Declined: the next patient gets the slot."));
}

static enum ui_result
wl_key(struct ui *ui, enum ui_action a, int ch)
{
	int err;

	if (ui_list_key(&sel, (int)nlist, a))
		return UI_REDRAW;
	switch (a) {
	case UI_A_TICK:
		return UI_REDRAW;
	case UI_A_SAVE:
		return wl_save(ui);
	case UI_A_ENTER:
		return wl_offer_act(ui, "accept");
	case UI_A_REJECT:
		return wl_offer_act(ui, "decline");
	case UI_A_CANCEL:
		if (nlist == 0)
			return UI_HANDLED;
		err = store_wait_intent(
		    ui->visit.store, list[sel].id, "remove", clock_wall_ms());
		if (err == EALREADY) {
			ui_message(ui, UI_MSG_WARN, "%s",
			    _("That entry is booked, removed or expired "
			      "already."));
			return UI_REDRAW;
		}
		return wl_done(
		    ui, err, _("Taken off the list at the next sync."));
	case UI_A_LEFT:
		urgency = urgency > 1 ? urgency - 1 : 3;
		return UI_REDRAW;
	case UI_A_RIGHT:
		urgency = urgency < 3 ? urgency + 1 : 1;
		return UI_REDRAW;
	case UI_A_NEXT:
		field = (field + 1) % WL_FIELDS;
		return UI_REDRAW;
	case UI_A_PREV:
		field = (field + WL_FIELDS - 1) % WL_FIELDS;
		return UI_REDRAW;
	default:
		return ui_field_key(&fields[field], a, ch) ? UI_REDRAW
		                                           : UI_UNHANDLED;
	}
}

const struct screen screen_waitlist = {
	"waitlist",
	N_("Waitlist"),
	wl_enter,
	wl_draw,
	wl_key,
	wl_leave,
};
