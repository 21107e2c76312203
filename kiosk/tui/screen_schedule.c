/*
 * A hub clinician's own schedule (issue 15), F9 on Home: their
 * appointments today and the next 6 days, by day, whoever booked them,
 * from what this hub has pulled (the appointments whose clinician is the
 * user logged in, by user name or registration number), in this kiosk's
 * clock (the facility's time): the patient, where they live, the status
 * and whether they checked in.  Enter opens the patient.
 *
 * An appointment with a clinician who is a user of this hub brings the
 * appointment and its patient into the hub's scope (docs/PROTOCOL.md
 * §5.3), so every booking with them comes with the next sync.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "i18n.h"
#include "kiosk/store/store.h"
#include "kiosk/sync/sync.h"
#include "ui.h"

#define SC_MAX 200
#define SC_ROWS 14
#define SC_DAYS 7

static struct {
	struct store_appt_row r[SC_MAX];
	int n, sel, err;
	char who[64], regno[64]; /* the names a schedule gives the user */
} sc;

static int
sc_collect(void *arg, const struct store_appt_row *r)
{
	(void)arg;
	if (sc.n < SC_MAX &&
	    (strcmp(r->clinician, sc.who) == 0 ||
	        (sc.regno[0] != '\0' && strcmp(r->clinician, sc.regno) == 0)))
		sc.r[sc.n++] = *r;
	return 0;
}

static uint64_t
sc_midnight(int days)
{
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_mday += days;
	tm.tm_isdst = -1;
	return (uint64_t)mktime(&tm) * 1000;
}

static void
sc_load(struct ui *ui)
{
	sc.n = 0;
	snprintf(sc.who, sizeof(sc.who), "%s", ui->visit.user_name);
	sc.err = store_appt_user_regno(
	    ui->visit.store, ui->visit.user_id, sc.regno, sizeof(sc.regno));
	if (sc.err == 0)
		sc.err = store_appt_list(ui->visit.store, sc_midnight(0),
		    sc_midnight(SC_DAYS), sc_collect, NULL);
	if (sc.sel >= sc.n)
		sc.sel = sc.n > 0 ? sc.n - 1 : 0;
}

static void
sc_enter(struct ui *ui)
{
	sc.sel = 0;
	sc_load(ui);
}

static int
sc_day(uint64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	return tm.tm_year * 400 + tm.tm_yday;
}

static const char *
sc_status(const struct store_appt_row *r)
{
	if (strcmp(r->status, "checked-in") == 0)
		return _("checked in");
	if (strcmp(r->status, "booked") == 0)
		return _("booked, not checked in");
	if (strcmp(r->status, "proposed") == 0)
		return _("proposed");
	return r->status;
}

static void
sc_draw(struct ui *ui)
{
	struct store_patient p;
	char day[32], hm[8], name[80], g[64], v[64], st[64];
	int rows[2 * SC_MAX], n = 0, i, y = 3, top = 0, selrow = 0, d;
	time_t t;
	struct tm tm;

	sc_load(ui);
	ui_text(2, 1, UI_C_TITLE, " %s ",
	    _("My appointments: today and the next 6 days"));
	if (sc.err != 0) {
		ui_text(4, 3, UI_C_WARN, _("! The list cannot be read: %s"),
		    ui_strerror(sc.err));
		return;
	}
	if (sc.n == 0) {
		ui_wrap(4, 3, 74, 3, UI_C_DIM,
		    _("None pulled to this hub for you. Appointments booked "
		      "with you come with the next sync."));
		return;
	}
	for (i = 0; i < sc.n; i++) {
		if (i == 0 ||
		    sc_day(sc.r[i].start_ms) != sc_day(sc.r[i - 1].start_ms))
			rows[n++] = -1 - i;
		if (i == sc.sel)
			selrow = n;
		rows[n++] = i;
	}
	if (selrow >= SC_ROWS)
		top = selrow - SC_ROWS + 1;
	for (i = top; i < n && i < top + SC_ROWS; i++, y++) {
		if (rows[i] < 0) {
			t = (time_t)(sc.r[-1 - rows[i]].start_ms / 1000);
			localtime_r(&t, &tm);
			ui_day_text(day, sizeof(day), &tm);
			ui_text(y, 2, UI_C_TITLE, "%s", day);
			continue;
		}
		d = rows[i];
		t = (time_t)(sc.r[d].start_ms / 1000);
		localtime_r(&t, &tm);
		strftime(hm, sizeof(hm), "%H:%M", &tm);
		memset(&p, 0, sizeof(p));
		if (store_patient_get(
		        ui->visit.store, sc.r[d].patient_id, &p) != 0)
			memset(&p, 0, sizeof(p));
		snprintf(name, sizeof(name), "%s %s",
		    p.given ? p.given : _("(not pulled)"),
		    p.family ? p.family : "");
		ui_text(y, 3,
		    d == sc.sel ? UI_C_FOCUS
		        : strcmp(sc.r[d].status, "checked-in") == 0
		        ? UI_C_OK
		        : UI_C_NORMAL,
		    "%c %s  %s %s  %s", d == sc.sel ? '>' : ' ', hm,
		    ui_fit(g, sizeof(g), name, 26),
		    ui_fit(v, sizeof(v), p.village ? p.village : "", 14),
		    ui_fit(st, sizeof(st), sc_status(&sc.r[d]), 24));
		store_patient_clear(&p);
	}
	ui_text(20, 1, UI_C_DIM, "%s",
	    _("Up/Down choose   Enter open the patient   Esc home"));
}

static enum ui_result
sc_key(struct ui *ui, enum ui_action a, int ch)
{
	struct store_patient p;
	int err;

	(void)ch;
	if (ui_list_key(&sc.sel, sc.n, a))
		return UI_REDRAW;
	if (a != UI_A_ENTER || sc.n == 0)
		return UI_UNHANDLED;
	memset(&p, 0, sizeof(p));
	if ((err = store_patient_get(
	         ui->visit.store, sc.r[sc.sel].patient_id, &p)) != 0) {
		ui_message(
		    ui, UI_MSG_WARN, _("Cannot open: %s"), ui_strerror(err));
		return UI_REDRAW;
	}
	visit_session_patient(&ui->visit, &p);
	store_patient_clear(&p);
	return ui_goto(ui, &screen_patient);
}

const struct screen screen_schedule = {
	"schedule",
	N_("My schedule"),
	sc_enter,
	sc_draw,
	sc_key,
	NULL,
};
