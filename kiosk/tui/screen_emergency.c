/*
 * The CALL NOW card (issue 16; research emergency.md §7.1, §7.4): full
 * screen, the human call first.  It opens on the emergency key (F11, any
 * screen once unlocked) and over the red flag when NEWS2 reaches 7; the
 * incident is already recorded and the worker pages beside it.  It shows
 * the services to phone, nearest first (the signed roster's ranking), a
 * short script to read aloud (age, sex, vitals and site: no name, since
 * it leaves the kiosk), where the kiosk is, the patient's latest vitals
 * (their name too, for the CHW), the incident's code, how the pages stand
 * and the replies (one from a number not on the roster is shown and not
 * counted).
 *
 * The no-network variant: when neither the modem nor the server can be
 * reached (visit_emergency_view), the card says so and lists more
 * services with their numbers, and what to do when no phone works.
 * Without a roster nobody can be paged: the card says to phone.
 *
 * Keys: Enter sends at once while an automatic trigger's window runs; F2
 * the CHW phoned and they are coming; F9 help arrived; F8 cancel (the
 * reason is asked); F6 a note.  Esc goes back; the status strip (ui.c)
 * stays on every screen while the incident is open, and F11 brings the
 * card back.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kiosk/visit/emergency.h"
#include "ui.h"

enum { ENTRY_NONE, ENTRY_CANCEL, ENTRY_NOTE };

static struct {
	struct ui_field f;
	int entry;
	int raise_err; /* why no incident is shown: ENOENT no roster */
} st;

static void
card_enter(struct ui *ui)
{
	ui_field_clear(&st.f);
	st.entry = ENTRY_NONE;
	ui_emergency_refresh(ui);
}

static void
card_leave(struct ui *ui)
{
	(void)ui;
	ui_field_clear(&st.f);
	st.entry = ENTRY_NONE;
}

/* "F 34" / "34" / "F" / "?" for the script and the patient line. */
static void
who(const struct store_emergency *e, char *out, size_t len)
{
	if (e->sex && e->age >= 0)
		snprintf(out, len, "%c %d", e->sex, e->age);
	else if (e->age >= 0)
		snprintf(out, len, "%d", e->age);
	else if (e->sex)
		snprintf(out, len, "%c", e->sex);
	else
		snprintf(out, len, "?");
}

/* The services to phone, nearest first, from row Y: at most MAX. */
static int
draw_services(const struct visit_emerg *v, int y, int max)
{
	const struct esc_service *s;
	char name[64], travel[24];
	const char *num;
	int i;

	for (i = 0; i < v->nranked && i < max; i++) {
		s = &v->roster.services[v->order[i]];
		num = s->nvoice > 0 ? s->voice[0]
		    : s->nsms > 0   ? s->sms[0]
		                    : "-";
		if (s->travel_min >= 0)
			snprintf(
			    travel, sizeof(travel), _("%d min"), s->travel_min);
		else
			snprintf(travel, sizeof(travel), "?");
		ui_text(y + i, 2, UI_C_NORMAL, "%d  %s  %-16s %-8s %s", i + 1,
		    ui_fit(name, sizeof(name), s->name, 28), num, travel,
		    esc_service_open(s, (int64_t)time(NULL)) ? _("open")
		                                             : _("closed"));
	}
	return y + i;
}

/* How the pages stand, one line at Y. */
static void
draw_state(const struct visit_emerg *v, int y)
{
	const struct esc_incident *inc = &v->e.eng;
	unsigned left = (unsigned)((v->next_ms + 999) / 1000);

	switch (inc->state) {
	case ESC_CONFIRMING:
		ui_text(y, 2, UI_C_WARN,
		    _("!  NEWS2 %d: the pages go in %u s. Enter sends now; F8 "
		      "cancels (say why)."),
		    v->e.news2, left);
		break;
	case ESC_PAGING:
		if (v->modem_stuck) {
			ui_text(y, 2, UI_C_WARN,
			    _("!  Paging level %d: the modem does not answer, "
			      "no SMS has gone."),
			    inc->level + 1);
			break;
		}
		ui_text(y, 2, UI_C_NORMAL,
		    _("Paging level %d: %d SMS sent, %d failed. Next level in "
		      "%u:%02u."),
		    inc->level + 1, v->sent, v->failed, left / 60, left % 60);
		break;
	case ESC_ACKED:
		if (strcmp(inc->ack_by, "chw-phoned") == 0)
			ui_text(y, 2, UI_C_OK,
			    _("+  You phoned and they are coming. F9 when they "
			      "arrive."));
		else
			ui_text(y, 2, UI_C_OK,
			    _("+  %s said yes: coming, about %u min. F9 when "
			      "they arrive."),
			    inc->ack_by, inc->eta_min);
		break;
	case ESC_UNRESOLVED:
		ui_text(y, 2, UI_C_WARN,
		    _("!  Nobody has said yes to the pages: keep phoning."));
		break;
	default:
		ui_text(y, 2, UI_C_OK, _("+  Closed: %s."),
		    _(esc_state_name(inc->state)));
		break;
	}
}

/* The replies, newest last, from row Y (at most 2 rows). */
static void
draw_replies(const struct visit_emerg *v, int y)
{
	char when[32], line[STORE_EMERG_TEXT_MAX + 64];
	int i, first = v->nreplies > 2 ? v->nreplies - 2 : 0;

	if (v->nreplies == 0) {
		ui_text(y, 2, UI_C_DIM, _("Replies: none yet."));
		return;
	}
	for (i = first; i < v->nreplies; i++) {
		ui_when(v->replies[i].at_ms, when, sizeof(when));
		snprintf(line, sizeof(line), "%s  %s", when + 11,
		    v->replies[i].text);
		if (v->replies[i].foreign)
			ui_text(y++, 2, UI_C_WARN,
			    _("?  %.40s (not on the roster: not counted)"),
			    line);
		else
			ui_text(y++, 2, UI_C_NORMAL, _("Reply %.60s"), line);
	}
}

/* No roster, so no incident: phone. */
static void
draw_no_roster(struct ui *ui)
{
	int y;

	for (y = 2; y <= 4; y++)
		ui_bar(y, UI_C_DANGER);
	ui_center(3, UI_C_DANGER, "%s", _("!! CALL NOW !!"));
	ui_text(6, 2, UI_C_WARN,
	    _("!  Phone the emergency number for this clinic yourself now."));
	if (st.raise_err == ENOENT)
		ui_wrap(8, 2, 76, 3, UI_C_NORMAL,
		    _("This kiosk has no emergency roster from the server, so "
		      "it cannot page anyone or list the services near you. "
		      "Ask the supervisor to enrol the kiosk and install its "
		      "roster."));
	else
		ui_wrap(8, 2, 76, 3, UI_C_NORMAL,
		    _("The emergency could not be recorded on this kiosk, so "
		      "it pages nobody: the line below says why."));
	if (ui->visit.have_patient)
		ui_text(12, 2, UI_C_NORMAL, _("Patient: %s %s"),
		    ui->visit.patient.given ? ui->visit.patient.given : "",
		    ui->visit.patient.family ? ui->visit.patient.family : "");
}

static void
draw_entry(void)
{
	if (st.entry == ENTRY_NONE)
		return;
	ui_field_draw(20, 1,
	    st.entry == ENTRY_CANCEL ? _("Why cancel") : _("Note"), 56, &st.f,
	    1, 0);
}

static void
card_draw(struct ui *ui)
{
	const struct visit_emerg *v = ui->emerg;
	const struct store_emergency *e;
	char script[400], p[16], head[96], what[160];
	int y;

	if (v == NULL || v->open == 0) {
		draw_no_roster(ui);
		return;
	}
	e = &v->e;
	who(e, p, sizeof(p));
	ui_bar(2, UI_C_DANGER);
	snprintf(head, sizeof(head),
	    v->no_network ? _("!! NO NETWORK: PHONE NOW !!  Incident %s")
	                  : _("!! CALL NOW !!  Incident %s"),
	    e->eng.code);
	ui_center(2, UI_C_DANGER, "%s", head);
	draw_state(v, 3);
	if (v->no_network) {
		ui_text(5, 2, UI_C_WARN,
		    _("!  No SMS can go and the server cannot be reached. Phone, "
		      "nearest first:"));
		y = draw_services(v, 6, 5);
		ui_wrap(y + 1, 2, 76, 2, UI_C_NORMAL,
		    _("If no phone works: find transport in the community (a "
		      "car, a motorbike) and take the patient to the nearest "
		      "open service above."));
	} else {
		ui_text(5, 2, UI_C_NORMAL, _("Phone now, nearest first:"));
		draw_services(v, 6, 3);
		/* read aloud: no name, it leaves the kiosk */
		what[0] = '\0';
		if (e->sex || e->age >= 0)
			snprintf(what, sizeof(what), _(" Patient %s."), p);
		if (e->news2 >= 0)
			snprintf(what + strlen(what),
			    sizeof(what) - strlen(what), _(" NEWS2 %d."),
			    e->news2);
		if (e->vitals[0])
			snprintf(what + strlen(what),
			    sizeof(what) - strlen(what), " %s.", e->vitals);
		snprintf(script, sizeof(script),
		    _("Say: \"Emergency at %s, incident %s.%s We are at %.5f, "
		      "%.5f.\""),
		    v->roster.landmark[0] ? v->roster.landmark
		                          : v->roster.site_id,
		    e->eng.code, what, v->roster.lat, v->roster.lon);
		ui_wrap(10, 2, 76, 3, UI_C_NORMAL, script);
	}
	if (v->roster.directions[0])
		ui_wrap(14, 2, 76, 1, UI_C_DIM, v->roster.directions);
	y = 15;
	if (ui->visit.have_patient && e->patient_id[0] &&
	    strcmp(e->patient_id, ui->visit.patient.id) == 0)
		ui_text(y++, 2, UI_C_NORMAL, _("Patient: %s %s (%s)"),
		    ui->visit.patient.given ? ui->visit.patient.given : "",
		    ui->visit.patient.family ? ui->visit.patient.family : "",
		    p);
	ui_text(y, 2, UI_C_NORMAL, _("Latest vitals: %s"),
	    e->vitals[0] ? e->vitals : _("none taken"));
	draw_replies(v, 17);
	if (v->open > 1)
		ui_text(19, 2, UI_C_WARN,
		    _("!  %d emergencies are open: this card shows the newest."),
		    v->open);
	draw_entry();
}

/* The CHW's step on the incident shown, and what to say after. */
static enum ui_result
step(struct ui *ui, enum store_emerg_op op, const char *by, const char *text,
    const char *done)
{
	int err;

	err =
	    visit_emergency_step(&ui->visit, ui->emerg->e.id, op, by, 0, text);
	if (err == EALREADY) {
		ui_message(ui, UI_MSG_WARN, "%s",
		    _("That step does not apply any more (already "
		      "acknowledged or closed)."));
		return UI_REDRAW;
	}
	if (err != 0) {
		ui_message(ui, UI_MSG_DANGER,
		    _("Not recorded (%s): try again, and keep phoning."),
		    ui_strerror(err));
		return UI_REDRAW;
	}
	ui_message(ui, UI_MSG_OK, "%s", done);
	ui_emergency_refresh(ui);
	/* closed: the card's work is done, back to where the CHW was */
	return op == STORE_EMERG_ARRIVED || op == STORE_EMERG_CANCEL
	    ? UI_BACK
	    : UI_REDRAW;
}

static enum ui_result
entry_key(struct ui *ui, enum ui_action a, int ch)
{
	char text[UI_FIELD_MAX];
	int kind = st.entry;

	if (a == UI_A_BACK) {
		st.entry = ENTRY_NONE;
		ui_field_clear(&st.f);
		return UI_REDRAW;
	}
	if (a != UI_A_ENTER)
		return ui_field_key(&st.f, a, ch) ? UI_REDRAW : UI_HANDLED;
	if (st.f.len == 0) {
		ui_message(ui, UI_MSG_WARN, "%s",
		    kind == ENTRY_CANCEL
		        ? _("Say why it is cancelled: everyone paged is told.")
		        : _("Type the note first."));
		return UI_REDRAW;
	}
	memcpy(text, st.f.buf, st.f.len + 1);
	st.entry = ENTRY_NONE;
	ui_field_clear(&st.f);
	if (kind == ENTRY_CANCEL)
		return step(ui, STORE_EMERG_CANCEL, NULL, text,
		    _("Cancelled: everyone paged is told why."));
	return step(ui, STORE_EMERG_NOTE, NULL, text, _("Note saved."));
}

static enum ui_result
card_key(struct ui *ui, enum ui_action a, int ch)
{
	if (ui->emerg == NULL || ui->emerg->open == 0)
		return a == UI_A_BACK ? UI_BACK : UI_UNHANDLED;
	if (st.entry != ENTRY_NONE)
		return entry_key(ui, a, ch);
	switch (a) {
	case UI_A_ENTER:
		if (ui->emerg->e.eng.state != ESC_CONFIRMING)
			return UI_HANDLED;
		return step(ui, STORE_EMERG_CONFIRM, NULL, NULL,
		    _("Sent now: the pages are going."));
	case UI_A_SAVE: /* F2: the CHW phoned and they are coming */
		return step(ui, STORE_EMERG_ACK, "chw-phoned", NULL,
		    _("Recorded: you phoned and they are coming. Paging "
		      "stops."));
	case UI_A_ACK: /* F9: help arrived */
		return step(ui, STORE_EMERG_ARRIVED, NULL, NULL,
		    _("Recorded: help arrived. The emergency is closed."));
	case UI_A_CANCEL:
		st.entry = ENTRY_CANCEL;
		return UI_REDRAW;
	case UI_A_NEW: /* F6: a note */
		st.entry = ENTRY_NOTE;
		return UI_REDRAW;
	case UI_A_EMERGENCY:
		return UI_HANDLED; /* already here */
	case UI_A_BACK:
		return UI_BACK;
	default:
		return UI_UNHANDLED;
	}
}

const struct screen screen_emergency = {
	"emergency",
	N_("EMERGENCY"),
	card_enter,
	card_draw,
	card_key,
	card_leave,
};

enum ui_result
ui_emergency_key(struct ui *ui)
{
	char id[UUID_STRLEN + 1];
	int err;

	if (ui->visit.store == NULL || ui->checkin)
		return UI_HANDLED;
	ui_emergency_refresh(ui);
	if (ui->emerg != NULL && ui->emerg->open > 0)
		return ui_goto(ui, &screen_emergency); /* the one open */
	err = visit_emergency_raise(&ui->visit, ESC_TRIG_MANUAL, id);
	st.raise_err = err;
	if (err != 0 && err != ENOENT)
		ui_message(ui, UI_MSG_DANGER,
		    _("The emergency was not recorded (%s): phone now."),
		    ui_strerror(err));
	ui_emergency_refresh(ui);
	return ui_goto(ui, &screen_emergency);
}
