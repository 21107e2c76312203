/*
 * Home: every red flag still waiting for acknowledgement, from any day and
 * any kiosk, above everything else; then today's visits on this kiosk
 * with where each stands (checked in and waiting, in a visit, seen, red
 * flag not acknowledged); the device, sync status and the count of red
 * flags waiting.  The list scrolls.  From here a CHW opens a red flag
 * (its recorded cause), a patient, or finds or registers one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compat.h"
#include "kiosk/sync/sync.h"
#include "i18n.h"
#include "ui.h"

#define HOME_ROWS 10 /* list rows on the screen */
#define HOME_TODAY_MAX 500 /* today's visits read (a clinic's day) */
#define HOME_APPT_MAX 100 /* today's and tomorrow's appointments listed */

static struct {
	struct store_today rows[HOME_TODAY_MAX];
	struct store_alert_row alerts[HOME_ROWS];
	size_t nalert; /* red flags waiting, in all */
	size_t nshown; /* of them in alerts[], from index top */
	int n; /* today's visits */
	int sel, top, err;
	/* today's and tomorrow's appointments (issue 15), listed after the
	 * red flags and before today's visits */
	struct store_appt_row appts[HOME_APPT_MAX];
	int nappt;
	uint64_t tomorrow_ms; /* tomorrow's midnight, local */
} st;

static void
home_enter(struct ui *ui)
{
	(void)ui;
	st.sel = 0;
	st.top = 0;
}

static const char *
dev_words(const struct ui *ui, enum ui_color *c)
{
	static char line[256];

	*c = UI_C_OK;
	switch (ui->visit.dev_state) {
	case VISIT_DEV_NONE:
		*c = UI_C_DIM;
		return _("-  no device configured: type vitals in by hand");
	case VISIT_DEV_IDLE:
		snprintf(line, sizeof(line), _("+  %s device attached, idle"),
		    ui->visit.dev_name);
		return line;
	case VISIT_DEV_READING:
		snprintf(line, sizeof(line),
		    _("+  %s device reading (%u so far)"), ui->visit.dev_name,
		    ui->visit.dev_readings);
		return line;
	case VISIT_DEV_DONE:
		snprintf(line, sizeof(line),
		    _("+  %s device: session finished"), ui->visit.dev_name);
		return line;
	default:
		*c = UI_C_WARN;
		snprintf(line, sizeof(line), _("!  %s device error: %s"),
		    ui->visit.dev_name, ui->visit.dev_error);
		return line;
	}
}

/* One line per patient: name, sex, age, village and where the visit
 * stands (never an id). */
static void
draw_patient(struct ui *ui, int y, int i, int focused)
{
	const struct store_today *t = &st.rows[i];
	struct store_patient p;
	char age[16] = "?", state[48], g[80], f[80], v[80];
	enum ui_color c = focused ? UI_C_FOCUS : UI_C_NORMAL;
	int n;

	memset(&p, 0, sizeof(p));
	if (store_patient_get(ui->visit.store, t->patient_id, &p) != 0) {
		ui_text(y, 2, UI_C_DIM, _("  (record not available)"));
		return;
	}
	if ((n = visit_age_years(p.birth_date)) >= 0)
		snprintf(age, sizeof(age), "%d", n);
	if (t->alerts > 0)
		snprintf(state, sizeof(state), _("!! red flag"));
	else if (strcmp(t->status, "open") != 0)
		snprintf(state, sizeof(state), _("+ seen"));
	else if (strncmp(t->reason, "self check-in", 13) == 0)
		snprintf(state, sizeof(state), _("* checked in, waiting"));
	else
		snprintf(state, sizeof(state), _("* in visit"));
	ui_text(y, 2, c, "%c %s %s %-2.1s %3s %s", focused ? '>' : ' ',
	    ui_fit(g, sizeof(g), p.given, 16),
	    ui_fit(f, sizeof(f), p.family, 14), p.sex ? p.sex : "", age,
	    ui_fit(v, sizeof(v), p.village, 14));
	ui_text(y, 57, t->alerts > 0 ? UI_C_DANGER : UI_C_NORMAL, "%s", state);
	store_patient_clear(&p);
}

/* The red flag's short cause for its list line. */
static void
alert_short(const struct store_alert_row *a, char *out, size_t len)
{
	if (strcmp(a->kind, "news2") == 0)
		snprintf(out, len, "NEWS2 %d", a->score);
	else if (strcmp(a->kind, "imci") == 0)
		snprintf(out, len, _("child danger sign"));
	else if (strcmp(a->kind, "emergency") == 0)
		snprintf(out, len, _("emergency key"));
	else
		snprintf(out, len, "%s", a->kind);
}

/* One line per red flag waiting: the patient, when it was raised and
 * why, in the danger colour and with "!!". */
static void
draw_alert(struct ui *ui, int y, const struct store_alert_row *a, int focused)
{
	struct store_patient p;
	char g[80], f[80], when[32], why[32];

	memset(&p, 0, sizeof(p));
	if (store_patient_get(ui->visit.store, a->patient_id, &p) != 0)
		memset(&p, 0, sizeof(p));
	ui_when(a->raised_ms, when, sizeof(when));
	alert_short(a, why, sizeof(why));
	ui_text(y, 2, focused ? UI_C_FOCUS : UI_C_DANGER,
	    "%c !! %s %s %s  %-18s", focused ? '>' : ' ',
	    ui_fit(g, sizeof(g), p.given ? p.given : _("(unknown)"), 14),
	    ui_fit(f, sizeof(f), p.family, 14), when, why);
	store_patient_clear(&p);
}

static int
home_appt_add(void *arg, const struct store_appt_row *r)
{
	(void)arg;
	if (st.nappt < HOME_APPT_MAX)
		st.appts[st.nappt++] = *r;
	return 0;
}

/* Today's and tomorrow's appointments on this kiosk's clock. */
static int
load_appts(struct ui *ui)
{
	time_t now = time(NULL);
	struct tm tm;
	uint64_t from;

	st.nappt = 0;
	localtime_r(&now, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	from = (uint64_t)mktime(&tm) * 1000;
	tm.tm_mday += 1;
	tm.tm_isdst = -1;
	st.tomorrow_ms = (uint64_t)mktime(&tm) * 1000;
	tm.tm_mday += 1;
	tm.tm_isdst = -1;
	return store_appt_list(ui->visit.store, from,
	    (uint64_t)mktime(&tm) * 1000, home_appt_add, NULL);
}

/* One line per appointment: day and time, the patient, the clinician,
 * the status. */
static void
draw_appt(struct ui *ui, int y, const struct store_appt_row *r, int focused)
{
	struct store_patient p;
	char name[96], g[100], c[80], hm[8], state[32];
	time_t t = (time_t)(r->start_ms / 1000);
	struct tm tm;

	memset(&p, 0, sizeof(p));
	if (store_patient_get(ui->visit.store, r->patient_id, &p) != 0)
		memset(&p, 0, sizeof(p));
	snprintf(name, sizeof(name), "%s %s",
	    p.given ? p.given : _("(unknown)"), p.family ? p.family : "");
	localtime_r(&t, &tm);
	strftime(hm, sizeof(hm), "%H:%M", &tm);
	snprintf(state, sizeof(state), "%s",
	    strcmp(r->status, "booked") == 0           ? _("booked")
	        : strcmp(r->status, "checked-in") == 0 ? _("checked in")
	        : strcmp(r->status, "proposed") == 0   ? _("proposed")
	                                               : r->status);
	ui_text(y, 2, focused ? UI_C_FOCUS : UI_C_NORMAL,
	    "%c %-8s %s  %s %s %s", focused ? '>' : ' ',
	    r->start_ms < st.tomorrow_ms ? _("today") : _("tomorrow"), hm,
	    ui_fit(g, sizeof(g), name, 26),
	    ui_fit(c, sizeof(c), r->clinician[0] ? r->clinician : "-", 12),
	    state);
	store_patient_clear(&p);
}

/* Read the red flags shown from st.top on, today's and tomorrow's
 * appointments, and today's visits. */
static void
load(struct ui *ui)
{
	int n;

	st.nshown = 0;
	st.nalert = 0;
	st.n = 0;
	st.err = ui->visit.store == NULL
	    ? EINVAL
	    : store_alert_count_pending(ui->visit.store, &st.nalert);
	if (st.err == 0 && (size_t)st.top < st.nalert)
		st.err = store_alert_list_pending(ui->visit.store,
		    (size_t)st.top, st.alerts, HOME_ROWS, &st.nshown);
	if (st.err == 0)
		st.err = load_appts(ui);
	if (st.err == 0)
		st.err =
		    visit_today_list(&ui->visit, st.rows, HOME_TODAY_MAX, &n);
	if (st.err == 0)
		st.n = n;
}

static int
total(void)
{
	return (int)st.nalert + st.nappt + st.n;
}

/* Keep the selection on the screen. */
static void
scroll_to_sel(void)
{
	if (st.sel >= total())
		st.sel = total() > 0 ? total() - 1 : 0;
	if (st.sel < st.top)
		st.top = st.sel;
	if (st.sel >= st.top + HOME_ROWS)
		st.top = st.sel - HOME_ROWS + 1;
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
	    _("!  The clock says %s: that cannot be right; set the date."),
	    when);
}

/* Sync status in the sync client's own words (sync_status_line, as
 * `kiosk sync status` prints it), with a mark: nothing set up, all well,
 * or something to look at. */
static void
draw_sync(struct ui *ui, int y)
{
	struct sync_status ss;
	char line[256], shown[260];
	const char *text, *p;
	int bad;

	memset(&ss, 0, sizeof(ss));
	if (sync_status_get(ui->visit.store, &ss) != 0) {
		ui_text(y, 10, UI_C_WARN,
		    _("!  status cannot be read (see the log)"));
		return;
	}
	if (!ss.enrolled) {
		ui_text(y, 10, UI_C_DIM,
		    _("-  not enrolled with a server: everything stays on this "
		      "kiosk"));
		return;
	}
	sync_status_line(&ss, (uint64_t)time(NULL) * 1000, line, sizeof(line));
	/* the line without its "Sync:" word (the row is labelled) */
	text =
	    (p = strchr(line, ':')) != NULL ? p + 1 + strspn(p + 1, " ") : line;
	bad = ss.last_ok_ms == 0 || ss.last_error[0] != '\0';
	snprintf(shown, sizeof(shown), "%s  %s", bad ? "!" : "+", text);
	/* two rows when it needs them, never cut */
	ui_wrap(y, 10, 68, 2, bad ? UI_C_WARN : UI_C_OK, shown);
}

/* Consults (issue 13): a clinician's queue, a CHW's new answers. */
static int
draw_consults(struct ui *ui, int y)
{
	struct store_consult *c = NULL;
	struct store_rx *rx = NULL;
	size_t n = 0, nrx = 0;
	int mine = ui->visit.user_role == STORE_ROLE_CLINICIAN;

	if (store_consult_list(ui->visit.store,
	        mine ? STORE_CL_QUEUE : STORE_CL_NEW, &c, &n) != 0)
		return 0;
	/* new orders from a clinician (issue 14, kiosk/tui/screen_rx.c) */
	if (!mine && store_rx_list(ui->visit.store, NULL, 1, &rx, &nrx) == 0)
		store_rx_free_array(rx, nrx);
	/* for a CHW, nothing drawn when there is nothing to say */
	if (n > 0 || mine || nrx > 0)
		ui_text(y, 1, UI_C_NORMAL, "%s", _("Consults:"));
	if (!mine && nrx > 0)
		ui_text(y, 11, UI_C_OK,
		    _("NEW: %zu answer(s), %zu prescription(s): F5, then F6"),
		    n, nrx);
	else if (n == 0 && mine)
		ui_text(y, 11, UI_C_DIM, "%s",
		    _("none waiting; F5 opens the queue"));
	else if (n == 0)
		;
	else if (mine)
		ui_text(
		    y, 11, UI_C_WARN, _("%zu waiting for a clinician: F5"), n);
	else
		ui_text(y, 11, UI_C_OK,
		    _("NEW: %zu answer(s) from a clinician: F5 reads them"), n);
	store_consult_free_array(c, n);
	return n > 0 || mine;
}

/* Today's and tomorrow's appointments (issue 15; screen_appt*.c to
 * come), on this kiosk's wall clock, with the reminders due: within 2 h
 * (T-2 h) a warning, within 24 h (T-24 h) the time. */
struct home_appts {
	uint64_t now, tomorrow; /* Unix ms: now, tomorrow's midnight */
	int today, next_day;
	uint64_t next; /* the first start from now, 0: none */
};

static int
home_appt_count(void *arg, const struct store_appt_row *r)
{
	struct home_appts *a = arg;

	if (r->start_ms < a->now)
		return 0;
	if (r->start_ms < a->tomorrow)
		a->today++;
	else
		a->next_day++;
	if (a->next == 0)
		a->next = r->start_ms;
	return 0;
}

static void
draw_appts(struct ui *ui, int y)
{
	struct home_appts a;
	time_t now = time(NULL), t;
	struct tm tm;
	char hm[8];

	memset(&a, 0, sizeof(a));
	localtime_r(&now, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_mday += 1;
	tm.tm_isdst = -1;
	a.now = (uint64_t)now * 1000;
	a.tomorrow = (uint64_t)mktime(&tm) * 1000;
	tm.tm_mday += 1;
	tm.tm_isdst = -1;
	if (store_appt_list(ui->visit.store, a.now,
	        (uint64_t)mktime(&tm) * 1000, home_appt_count, &a) != 0 ||
	    a.today + a.next_day == 0)
		return;
	ui_text(y, 1, UI_C_NORMAL, "%s", _("Appointments:"));
	ui_text(y, 15, UI_C_NORMAL, _("today %d, tomorrow %d"), a.today,
	    a.next_day);
	t = (time_t)(a.next / 1000);
	localtime_r(&t, &tm);
	strftime(hm, sizeof(hm), "%H:%M", &tm);
	if (a.next - a.now <= 2 * 3600 * 1000ULL)
		ui_text(y, 42, UI_C_WARN, _("! due within 2 h: %s"), hm);
	else if (a.next - a.now <= 24 * 3600 * 1000ULL)
		ui_text(y, 42, UI_C_OK, _("next within 24 h: %s"), hm);
}

/* Referrals (issue 14): new ones to this facility and the follow-ups
 * due, on row Y; nothing drawn when there is nothing to say. */
static void
draw_referrals(struct ui *ui, int y)
{
	struct store_referral *v = NULL;
	struct sync_status ss;
	size_t nnew = 0, ndue = 0;
	uint64_t now = (uint64_t)time(NULL) * 1000;

	memset(&ss, 0, sizeof(ss));
	if (sync_status_get(ui->visit.store, &ss) != 0 || ss.facility[0] == 0)
		return;
	if (store_referral_list(ui->visit.store, STORE_REF_NEW, ss.facility,
	        now, &v, &nnew) == 0)
		store_referral_free_array(v, nnew);
	v = NULL;
	if (store_referral_list(ui->visit.store, STORE_REF_FOLLOWUP,
	        ss.facility, now, &v, &ndue) == 0)
		store_referral_free_array(v, ndue);
	if (nnew == 0 && ndue == 0)
		return;
	ui_text(y, 1, UI_C_NORMAL, "%s", _("Referrals:"));
	if (nnew > 0)
		ui_text(y, 12, UI_C_OK, _("NEW: %zu to this facility"), nnew);
	if (ndue > 0)
		ui_text(y, 40, UI_C_WARN, _("FOLLOW UP: %zu due"), ndue);
	ui_text(y, 62, UI_C_DIM, "%s", _("F8 opens them"));
}

/* Self check-in and the duplicates it leaves for staff. */
static void
draw_handover(struct ui *ui)
{
	struct store_dup d[10];
	size_t n = 0;

	if (store_dup_list(ui->visit.store, d, nitems(d), &n) != 0)
		n = 0;
	ui_text(21, 1, UI_C_DIM, "%s", _("F7 patients check themselves in"));
	if (n > 0)
		ui_text(21, 40, UI_C_WARN, _("F6 probable duplicates: %zu%s"),
		    n, n == nitems(d) ? "+" : "");
	else
		ui_text(21, 40, UI_C_DIM, "%s", _("F6 probable duplicates"));
}

static void
home_draw(struct ui *ui)
{
	enum ui_color c;
	const char *d;
	int i, y = 2, idx, below;

	load(ui);
	scroll_to_sel();
	if (st.top > 0) /* the window moved: read the red flags again */
		load(ui);
	if (st.nalert > 0)
		ui_text(y++, 1, UI_C_DANGER,
		    ngettext(" !! %zu red flag waiting (any day)  |  "
		             "today's patients: %d ",
		        " !! %zu red flags waiting (any day)  |  today's "
		        "patients: %d ",
		        st.nalert),
		    st.nalert, st.n);
	else if (st.nappt > 0)
		ui_text(y++, 1, UI_C_TITLE, "%s",
		    _(" Appointments today and tomorrow, then today's "
		      "patients "));
	else
		ui_text(
		    y++, 1, UI_C_TITLE, _(" Today's patients on this kiosk "));
	if (st.err != 0)
		ui_text(y++, 4, UI_C_WARN, _("! The list cannot be read: %s"),
		    ui_strerror(st.err));
	else if (total() == 0)
		ui_text(y++, 4, UI_C_DIM,
		    _("None yet. F3 finds a patient, F4 registers a new one."));
	for (i = 0; i < HOME_ROWS && st.top + i < total(); i++) {
		idx = st.top + i;
		if ((size_t)idx < st.nalert) {
			if ((size_t)i < st.nshown)
				draw_alert(
				    ui, y++, &st.alerts[i], idx == st.sel);
		} else if (idx < (int)st.nalert + st.nappt)
			draw_appt(ui, y++, &st.appts[idx - (int)st.nalert],
			    idx == st.sel);
		else
			draw_patient(ui, y++, idx - (int)st.nalert - st.nappt,
			    idx == st.sel);
	}
	below = total() - st.top - HOME_ROWS;
	if (st.top > 0 || below > 0)
		ui_text(13, 4, UI_C_DIM, _("Rows %d-%d of %d: Up/Down scrolls"),
		    st.top + 1, total() - (below > 0 ? below : 0), total());

	draw_clock(14);
	if (time(NULL) >= CLOCK_FLOOR_S) /* the clock's row is free */
		draw_referrals(ui, 14);
	y = 15;
	d = dev_words(ui, &c);
	ui_text(y++, 1, UI_C_NORMAL, _("Device:"));
	ui_text(y - 1, 10, c, "%s", d);
	ui_text(y++, 1, UI_C_NORMAL, _("Sync:"));
	draw_sync(ui, y - 1);
	y++; /* the sync line's second row */
	ui_text(y++, 1, UI_C_NORMAL, _("Alerts:"));
	if (st.nalert > 0)
		ui_text(y - 1, 10, UI_C_DANGER,
		    ngettext("!! %zu red flag not acknowledged: it is at the "
		             "top",
		        "!! %zu red flags not acknowledged: they are at the top",
		        st.nalert),
		    st.nalert);
	else
		ui_text(y - 1, 10, UI_C_OK, "%s", _("+  none waiting"));
	if (!draw_consults(ui, y))
		draw_appts(ui, y);
	else if (st.top == 0 && below <= 0)
		draw_appts(ui, 13);
	ui_text(20, 1, UI_C_DIM, "%s",
	    _("F3 or / find a patient   F4 register   "
	      "Up/Down + Enter open   F12 lock"));
	draw_handover(ui);
}

/* F9: a hub clinician's own schedule (issue 15). */
static enum ui_result
home_schedule(struct ui *ui)
{
	uint8_t *role = NULL;
	size_t len = 0;
	int hub;

	hub = store_state_get(ui->visit.store, SYNC_K_ROLE, &role, &len) == 0 &&
	    len >= 3 && memcmp(role, "hub", 3) == 0 &&
	    (len == 3 || role[3] == 0);
	free(role);
	if (!hub || ui->visit.user_role != STORE_ROLE_CLINICIAN) {
		ui_message(ui, UI_MSG_WARN, "%s",
		    _("The schedule is for clinicians on a hub node."));
		return UI_REDRAW;
	}
	return ui_goto(ui, &screen_schedule);
}

static enum ui_result
home_key(struct ui *ui, enum ui_action a, int ch)
{
	struct store_patient p;
	const char *pid;
	char aid[UUID_STRLEN + 1] = "";
	int err;

	(void)ch;
	if (ui_list_key(&st.sel, total(), a)) {
		scroll_to_sel();
		return UI_REDRAW;
	}
	switch (a) {
	case UI_A_FIND:
		return ui_goto(ui, &screen_find);
	case UI_A_CONSULT:
		return ui_goto(ui, &screen_consults);
	case UI_A_NEW:
		return ui_goto(ui, &screen_register);
	case UI_A_CHECKIN:
		return ui_checkin_start(ui);
	case UI_A_DUPS:
		return ui_goto(ui, &screen_dups);
	case UI_A_REFERRAL:
		return ui_goto(ui, &screen_referrals);
	case UI_A_MFA:
		if (visit_session_needs_code(&ui->visit, ui->visit.user_name)) {
			ui_message(ui, UI_MSG_INFO, "%s",
			    _("You have a second factor already."));
			return UI_REDRAW;
		}
		return screen_mfa_enrol_open(ui, 0, 0);
	case UI_A_DASH:
		if (ui->visit.user_role != STORE_ROLE_ADMIN) {
			ui_message(ui, UI_MSG_WARN, "%s",
			    _("The region's figures are for administrators."));
			return UI_REDRAW;
		}
		return ui_goto(ui, &screen_dash);
	case UI_A_SCHEDULE:
		return home_schedule(ui);
	case UI_A_ENTER:
		if (total() == 0)
			return UI_HANDLED;
		if ((size_t)st.sel < st.nalert) {
			if ((size_t)(st.sel - st.top) >= st.nshown)
				return UI_HANDLED;
			pid = st.alerts[st.sel - st.top].patient_id;
			memcpy(aid, st.alerts[st.sel - st.top].id, sizeof(aid));
		} else if (st.sel < (int)st.nalert + st.nappt)
			pid = st.appts[st.sel - (int)st.nalert].patient_id;
		else
			pid = st.rows[st.sel - (int)st.nalert - st.nappt]
			          .patient_id;
		memset(&p, 0, sizeof(p));
		if ((err = store_patient_get(ui->visit.store, pid, &p)) != 0) {
			ui_message(ui, UI_MSG_WARN, _("Cannot open: %s"),
			    ui_strerror(err));
			return UI_REDRAW;
		}
		visit_session_patient(&ui->visit, &p);
		store_patient_clear(&p);
		/* a red flag opens with its recorded cause over the visit */
		if (aid[0] != '\0' &&
		    (err = visit_session_alert(&ui->visit, aid)) != 0)
			ui_message(ui, UI_MSG_WARN,
			    _("That red flag was acknowledged meanwhile."));
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
	N_("Home"),
	home_enter,
	home_draw,
	home_key,
	NULL,
};
