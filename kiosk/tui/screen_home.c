/*
 * Home: today's visits on this kiosk with where each stands (checked in
 * and waiting, in a visit, seen, red flag not acknowledged), the device,
 * sync status and the count of red flags waiting.  From here
 * a CHW finds or registers a patient.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kiosk/sync/sync.h"
#include "ui.h"

#define HOME_ROWS 10

static struct {
	struct store_today rows[HOME_ROWS];
	int n, sel, err;
} st;

static void
home_enter(struct ui *ui)
{
	(void)ui;
	st.sel = 0;
}

static const char *
dev_words(const struct ui *ui, enum ui_color *c)
{
	static char line[256];

	*c = UI_C_OK;
	switch (ui->visit.dev_state) {
	case VISIT_DEV_NONE:
		*c = UI_C_DIM;
		return "-  no device configured: type vitals in by hand";
	case VISIT_DEV_IDLE:
		snprintf(line, sizeof(line), "+  %s device attached, idle",
		    ui->visit.dev_name);
		return line;
	case VISIT_DEV_READING:
		snprintf(line, sizeof(line), "+  %s device reading (%u so far)",
		    ui->visit.dev_name, ui->visit.dev_readings);
		return line;
	case VISIT_DEV_DONE:
		snprintf(line, sizeof(line), "+  %s device: session finished",
		    ui->visit.dev_name);
		return line;
	default:
		*c = UI_C_WARN;
		snprintf(line, sizeof(line), "!  %s device error: %s",
		    ui->visit.dev_name, ui->visit.dev_error);
		return line;
	}
}

/* One line per patient: name, sex, age, village and where the visit
 * stands (never an id). */
static void
draw_patient(struct ui *ui, int y, int i)
{
	const struct store_today *t = &st.rows[i];
	struct store_patient p;
	char age[16] = "?", state[48], g[80], f[80], v[80];
	enum ui_color c = i == st.sel ? UI_C_FOCUS : UI_C_NORMAL;
	int n;

	memset(&p, 0, sizeof(p));
	if (store_patient_get(ui->visit.store, t->patient_id, &p) != 0) {
		ui_text(y, 2, UI_C_DIM, "  (record not available)");
		return;
	}
	if ((n = visit_age_years(p.birth_date)) >= 0)
		snprintf(age, sizeof(age), "%d", n);
	if (t->alerts > 0)
		snprintf(state, sizeof(state), "!! red flag");
	else if (strcmp(t->status, "open") != 0)
		snprintf(state, sizeof(state), "+ seen");
	else if (strncmp(t->reason, "self check-in", 13) == 0)
		snprintf(state, sizeof(state), "* checked in, waiting");
	else
		snprintf(state, sizeof(state), "* in visit");
	ui_text(y, 2, c, "%c %s %s %-2.1s %3s %s", i == st.sel ? '>' : ' ',
	    ui_fit(g, sizeof(g), p.given, 16),
	    ui_fit(f, sizeof(f), p.family, 14), p.sex ? p.sex : "", age,
	    ui_fit(v, sizeof(v), p.village, 14));
	ui_text(y, 57, t->alerts > 0 ? UI_C_DANGER : UI_C_NORMAL, "%s", state);
	store_patient_clear(&p);
}

/*
 * Boards without a real-time clock boot in the past.  Records stay in
 * order whatever the clock says (hybrid logical clock), but dates shown
 * and stored would be wrong: say so while the clock is before this code
 * was written.
 */
#define CLOCK_FLOOR_S 1735689600 /* 2025-01-01T00:00:00Z */

static void
draw_clock(int y)
{
	time_t now = time(NULL);
	struct tm tm;
	char when[32];

	if (now >= CLOCK_FLOOR_S)
		return;
	localtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
	ui_text(y, 1, UI_C_WARN,
	    "!  The clock says %s: that cannot be right; set the date.", when);
}

/* Sync status in the sync client's own words (sync_status_line, as
 * `kiosk sync status` prints it), with a mark: nothing set up, all well,
 * or something to look at. */
static void
draw_sync(struct ui *ui, int y)
{
	struct sync_status ss;
	char line[256];
	const char *text;
	int bad;

	memset(&ss, 0, sizeof(ss));
	if (sync_status_get(ui->visit.store, &ss) != 0) {
		ui_text(
		    y, 10, UI_C_WARN, "!  status cannot be read (see the log)");
		return;
	}
	if (!ss.enrolled) {
		ui_text(y, 10, UI_C_DIM,
		    "-  not enrolled with a server: everything stays on this "
		    "kiosk");
		return;
	}
	sync_status_line(&ss, (uint64_t)time(NULL) * 1000, line, sizeof(line));
	text = strncmp(line, "Sync: ", 6) == 0 ? line + 6 : line;
	bad = ss.last_ok_ms == 0 || ss.last_error[0] != '\0';
	ui_text(y, 10, bad ? UI_C_WARN : UI_C_OK, "%s  %.66s", bad ? "!" : "+",
	    text);
}

static void
home_draw(struct ui *ui)
{
	enum ui_color c;
	const char *d;
	int i, y = 2, n;

	ui_text(y++, 1, UI_C_TITLE, " Today's patients on this kiosk ");
	st.err = visit_today_list(&ui->visit, st.rows, HOME_ROWS, &st.n);
	if (st.sel >= st.n)
		st.sel = st.n > 0 ? st.n - 1 : 0;
	if (st.err != 0)
		ui_text(y++, 4, UI_C_WARN, "! The list cannot be read: %s",
		    ui_strerror(st.err));
	else if (st.n == 0)
		ui_text(y++, 4, UI_C_DIM,
		    "None yet. F3 finds a patient, F4 registers a new one.");
	for (i = 0; i < st.n; i++)
		draw_patient(ui, y++, i);

	draw_clock(13);
	y = 15;
	d = dev_words(ui, &c);
	ui_text(y++, 1, UI_C_NORMAL, "Device:");
	ui_text(y - 1, 10, c, "%s", d);
	ui_text(y++, 1, UI_C_NORMAL, "Sync:");
	draw_sync(ui, y - 1);
	ui_text(y++, 1, UI_C_NORMAL, "Alerts:");
	for (i = 0, n = 0; i < st.n; i++)
		n += st.rows[i].alerts > 0;
	if (n > 0)
		ui_text(y - 1, 10, UI_C_DANGER,
		    "!! %d patient%s with a red flag not acknowledged", n,
		    n == 1 ? "" : "s");
	else
		ui_text(y - 1, 10, UI_C_OK, "+  none waiting");
	ui_text(19, 1, UI_C_DIM,
	    "F3 or / find a patient   F4 register   "
	    "Up/Down + Enter open   F12 lock");
}

static enum ui_result
home_key(struct ui *ui, enum ui_action a, int ch)
{
	struct store_patient p;
	int err;

	(void)ch;
	if (ui_list_key(&st.sel, st.n, a))
		return UI_REDRAW;
	switch (a) {
	case UI_A_FIND:
		return ui_goto(ui, &screen_find);
	case UI_A_NEW:
		return ui_goto(ui, &screen_register);
	case UI_A_ENTER:
		if (st.n == 0)
			return UI_HANDLED;
		memset(&p, 0, sizeof(p));
		if ((err = store_patient_get(ui->visit.store,
		         st.rows[st.sel].patient_id, &p)) != 0) {
			ui_message(ui, UI_MSG_WARN, "Cannot open: %s",
			    ui_strerror(err));
			return UI_REDRAW;
		}
		visit_session_patient(&ui->visit, &p);
		store_patient_clear(&p);
		return ui_goto(ui, &screen_vitals);
	case UI_A_QUIT:
		return UI_QUIT;
	case UI_A_BACK:
		return UI_HANDLED;
	default:
		return UI_UNHANDLED;
	}
}

const struct screen screen_home = {
	"home",
	"Home",
	home_enter,
	home_draw,
	home_key,
	NULL,
};
