/*
 * Appointments from the visit (issue 15), F2 on the vitals screen: the
 * patient's appointments (upcoming first, with their status; a refused
 * one says why) and the facility's free slots of the next 7 days, by day,
 * on this kiosk's clock (the facility's time), each with its clinician (a
 * name this kiosk knows, else the id the server gives; the proposal
 * records the id, so the clinician's hub pulls it).  F2 books the chosen slot,
 * F6 moves the chosen booked appointment to it (the server cancels the
 * old one in the same transaction), F8 cancels the chosen appointment
 * with a reason.  Tab moves between the two lists.
 *
 * Every request is first a proposal saved here (kiosk/store/appt.c, in
 * the outbox), then, when the server answered the slot list, asked at
 * once on the booking worker (kiosk/sync/book.h), so the answer shows
 * while the CHW is still with the patient: booked; slot taken, with the
 * server's 3 alternatives to choose from; a licence refusal.  Without a
 * link the proposal goes by sync and the answer comes with a later sync.
 * The worker runs one request at a time and the screen never waits for
 * it: a slot list that has not come within a second is "no link", and
 * the slots last fetched are offered to propose from.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "compat.h"
#include "i18n.h"
#include "kiosk/kctx.h"
#include "kiosk/store/store.h"
#include "kiosk/sync/book.h"
#include "kiosk/sync/sync.h"
#include "protocol.h"
#include "ui.h"
#include "xmalloc.h"

#define AP_ROWS 5 /* appointments shown */
#define AP_MAX 64 /* appointments read */
#define SL_ROWS 8 /* slot list rows (day headers included) */
#define AP_DAYS 7
#define AP_LINK_WAIT_MS 1000 /* a slot list slower than this: no link */
#define AP_TICK_MS 100
#define AP_CACHE_KEY "appt.slots" /* the last slot list (sync_state) */

enum ap_link { LINK_ASKING, LINK_UP, LINK_DOWN };
enum ap_focus { FOC_APPTS, FOC_SLOTS, FOC_REASON };

/* Reasons to cancel (stored in English, shown translated), then "other"
 * with the text typed. */
static const char *const ap_reasons[] = {
	N_("patient asked"),
	N_("patient unwell"),
	N_("patient travelling"),
	N_("seen already"),
	N_("other (type it)"),
};
#define AP_OTHER ((int)nitems(ap_reasons) - 1)

static struct {
	struct store_appt_row ap[AP_MAX];
	int nap, asel, atop;
	struct book_slot *sl; /* the free slots shown (or the alternatives) */
	size_t nsl;
	int ssel;
	int alts; /* sl holds a refusal's alternatives */
	enum ap_link link;
	uint64_t asked_ms, fetched_ms; /* mono; wall of the list shown */
	enum ap_focus focus;
	int reason; /* the reason chosen while cancelling */
	struct ui_field other;
	char pending[UUID_STRLEN + 1]; /* asked, the answer not back */
	struct book_job queued; /* asked while the slot list was running */
	int has_queued;
	char pid[UUID_STRLEN + 1], pname[96];
} ap;

static void ap_load(struct ui *ui);

static int
ap_collect(void *arg, const struct store_appt_row *r)
{
	(void)arg;
	if (ap.nap < AP_MAX)
		ap.ap[ap.nap++] = *r;
	return 0;
}

static void
ap_load(struct ui *ui)
{
	ap.nap = 0;
	if (ui->visit.store != NULL)
		store_appt_of_patient(
		    ui->visit.store, ap.pid, clock_wall_ms(), ap_collect, NULL);
	if (ap.asel >= ap.nap)
		ap.asel = ap.nap > 0 ? ap.nap - 1 : 0;
}

/* A new slot list; the chosen slot stays chosen if it is still in it (a
 * list refreshed while the user moves must not move the cursor). */
static void
ap_slots_set(struct book_slot *v, size_t n, int alts)
{
	uint64_t was = 0;
	size_t i;

	if (ap.ssel >= 0 && (size_t)ap.ssel < ap.nsl && !alts && !ap.alts)
		was = ap.sl[ap.ssel].id;
	free(ap.sl);
	ap.sl = v;
	ap.nsl = n;
	ap.ssel = 0;
	ap.alts = alts;
	for (i = 0; was != 0 && i < n; i++)
		if (v[i].id == was)
			ap.ssel = (int)i;
}

/* The free slots of a list, kept for when the link is down. */
#define AP_WORD_MAX 256 /* one slot's word (book_slot_fmt) and a space */

static void
ap_slots_keep(struct ui *ui, const struct book_slot *v, size_t n)
{
	struct book_slot *f = xcalloc(n ? n : 1, sizeof(*f));
	char *txt = xcalloc(n + 1, AP_WORD_MAX);
	size_t i, k = 0, off = 0;
	int w;

	for (i = 0; i < n; i++) {
		if (strcmp(v[i].status, "free") != 0)
			continue;
		f[k++] = v[i];
		if ((w = book_slot_fmt(&v[i], txt + off,
		         (n + 1) * AP_WORD_MAX - off - 1)) < 0)
			continue;
		off += (size_t)w;
		txt[off++] = ' ';
	}
	store_state_put(ui->visit.store, AP_CACHE_KEY, txt, off);
	free(txt);
	ap_slots_set(f, k, 0);
	ap.fetched_ms = clock_wall_ms();
}

/* Parse "ID@START@END[@CLINICIAN] ..." (book_slot_fmt's words, from
 * TEXT, LEN bytes) into free slots that have not started by NOW. */
static size_t
ap_slots_parse(const char *text, size_t len, uint64_t now,
    struct book_slot *out, size_t max)
{
	char *buf, *p, *save = NULL;
	size_t n = 0;

	if (text == NULL || len == 0)
		return 0;
	buf = xmalloc(len + 1);
	memcpy(buf, text, len);
	buf[len] = '\0';
	for (p = strtok_r(buf, " ", &save); p != NULL && n < max;
	     p = strtok_r(NULL, " ", &save))
		if (book_slot_scan(p, &out[n]) == 0 && out[n].start_ms >= now)
			n++;
	free(buf);
	return n;
}

/* Who a slot is with, as this kiosk knows them: a name, else the id the
 * server gave (kept for the screen's life: a few clinicians at most). */
static struct {
	char id[64], name[64];
} ap_who_cache[16];

static const char *
ap_who(struct ui *ui, const char *clinician)
{
	size_t i;

	if (clinician[0] == '\0')
		return "";
	for (i = 0; i < nitems(ap_who_cache) && ap_who_cache[i].id[0]; i++)
		if (strcmp(ap_who_cache[i].id, clinician) == 0)
			return ap_who_cache[i].name;
	if (i == nitems(ap_who_cache))
		i = 0; /* full: reuse the first */
	snprintf(
	    ap_who_cache[i].id, sizeof(ap_who_cache[i].id), "%s", clinician);
	if (store_appt_clinician_name(ui->visit.store, clinician,
	        ap_who_cache[i].name, sizeof(ap_who_cache[i].name)) != 0 ||
	    ap_who_cache[i].name[0] == '\0')
		snprintf(ap_who_cache[i].name, sizeof(ap_who_cache[i].name),
		    "%s", clinician);
	return ap_who_cache[i].name;
}

static void
ap_slots_cached(struct ui *ui)
{
	struct book_slot *v = xcalloc(BOOK_SLOTS_MAX, sizeof(*v));
	uint8_t *t = NULL;
	size_t len = 0;

	if (store_state_get(ui->visit.store, AP_CACHE_KEY, &t, &len) != 0)
		len = 0;
	ap_slots_set(v,
	    ap_slots_parse((const char *)t, t ? len : 0, clock_wall_ms(), v,
	        BOOK_SLOTS_MAX),
	    0);
	free(t);
}

static void
ap_ask_slots(struct ui *ui)
{
	struct book_job j;
	uint64_t now = clock_wall_ms();

	memset(&j, 0, sizeof(j));
	j.kind = BOOK_SLOTS;
	j.from_ms = now;
	j.to_ms = now + AP_DAYS * 86400000ULL;
	ap.asked_ms = clock_mono_ms();
	if (book_async_start(
	        ui->ctx->data_dir, store_key(ui->visit.store), &j) == 0)
		ap.link = LINK_ASKING;
	else
		ap.link = LINK_DOWN;
}

static void
ap_enter(struct ui *ui)
{
	struct sync_status ss;

	memset(&ap.other, 0, sizeof(ap.other));
	memset(ap_who_cache, 0, sizeof(ap_who_cache));
	ap.asel = ap.atop = ap.ssel = 0;
	ap.focus = FOC_SLOTS;
	ap.reason = 0;
	ap.pending[0] = '\0';
	ap.has_queued = 0;
	snprintf(ap.pid, sizeof(ap.pid), "%s", ui->visit.patient.id);
	snprintf(ap.pname, sizeof(ap.pname), "%s %s",
	    ui->visit.patient.given ? ui->visit.patient.given : "",
	    ui->visit.patient.family ? ui->visit.patient.family : "");
	ap_load(ui);
	ap_slots_cached(ui);
	ap.fetched_ms = 0;
	memset(&ss, 0, sizeof(ss));
	if (sync_status_get(ui->visit.store, &ss) != 0 || !ss.enrolled)
		ap.link = LINK_DOWN;
	else
		ap_ask_slots(ui);
	ui->wake_ms = clock_mono_ms() + AP_TICK_MS;
}

static void
ap_leave(struct ui *ui)
{
	ui->wake_ms = 0;
	ap_slots_set(NULL, 0, 0);
}

static const char *const day_names[] = { N_("Sun"), N_("Mon"), N_("Tue"),
	N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat") };
static const char *const month_names[] = { N_("Jan"), N_("Feb"), N_("Mar"),
	N_("Apr"), N_("May"), N_("Jun"), N_("Jul"), N_("Aug"), N_("Sep"),
	N_("Oct"), N_("Nov"), N_("Dec") };

void
ui_day_text(char *out, size_t len, const struct tm *tm)
{
	snprintf(out, len, "%s %02d %s", _(day_names[tm->tm_wday % 7]),
	    tm->tm_mday, _(month_names[tm->tm_mon % 12]));
}

/* "Thu 03 Dec" for the day header, "09:30" for a time. */
static void
ap_day(uint64_t ms, char *out, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	ui_day_text(out, len, &tm);
}

static void
ap_hm(uint64_t ms, char *out, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(out, len, "%H:%M", &tm);
}

static int
ap_yday(uint64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	return tm.tm_year * 400 + tm.tm_yday;
}

/* Why the server refused, in words, from its stored answer's code. */
static const char *
ap_refusal(const char *answer)
{
	unsigned long code = strtoul(answer, NULL, 10);

	switch (code) {
	case WERR_SLOT_TAKEN:
		return _("slot taken: Enter shows the 3 alternatives");
	case WERR_NO_SLOT:
		return _("no such slot any more");
	case WERR_SLOT_OFFERED:
		return _("slot offered to the waitlist");
	case WERR_LICENCE:
		return _("the clinician's licence does not allow it");
	default:
		return _("refused by the server");
	}
}

static const char *
ap_status_word(const char *status)
{
	if (strcmp(status, "proposed") == 0)
		return _("proposed");
	if (strcmp(status, "booked") == 0)
		return _("booked");
	if (strcmp(status, "refused") == 0)
		return _("refused");
	if (strcmp(status, "cancelled") == 0)
		return _("cancelled");
	if (strcmp(status, "checked-in") == 0)
		return _("checked in");
	return status;
}

static void
ap_draw_appts(int y)
{
	const struct store_appt_row *r;
	char day[32], hm[8], why[160], st[40], fit[400];
	enum ui_color c;
	int i, focused;

	ui_text(y++, 1, ap.focus == FOC_APPTS ? UI_C_FOCUS : UI_C_TITLE, " %s ",
	    _("Appointments of this patient"));
	if (ap.nap == 0) {
		ui_text(y, 3, UI_C_DIM, "%s", _("None yet."));
		return;
	}
	if (ap.asel < ap.atop)
		ap.atop = ap.asel;
	if (ap.asel >= ap.atop + AP_ROWS)
		ap.atop = ap.asel - AP_ROWS + 1;
	for (i = ap.atop; i < ap.nap && i < ap.atop + AP_ROWS; i++, y++) {
		r = &ap.ap[i];
		focused = ap.focus != FOC_SLOTS && i == ap.asel;
		ap_day(r->start_ms, day, sizeof(day));
		ap_hm(r->start_ms, hm, sizeof(hm));
		why[0] = '\0';
		c = UI_C_NORMAL;
		if (strcmp(r->status, "refused") == 0) {
			snprintf(why, sizeof(why), "%s", ap_refusal(r->answer));
			c = UI_C_WARN;
		} else if (strcmp(r->status, "cancelled") == 0) {
			snprintf(why, sizeof(why), "%s",
			    r->reason[0] == '\0' ? ""
			        : strcmp(r->reason, "rescheduled") == 0
			        ? _("rescheduled") /* the server's, on a move */
			        : _(r->reason));
			c = UI_C_DIM;
		} else if (strcmp(r->status, "proposed") == 0)
			snprintf(why, sizeof(why), "%s",
			    strcmp(r->id, ap.pending) == 0
			        ? _("asking the server...")
			        : _("answered at the next sync"));
		else if (strcmp(r->status, "booked") == 0)
			c = UI_C_OK;
		snprintf(st, sizeof(st), "%s", ap_status_word(r->status));
		ui_text(y, 2, focused ? UI_C_FOCUS : c, "%c %s %s  %-10s %s",
		    focused ? '>' : ' ', day, hm, st,
		    ui_fit(fit, sizeof(fit), why, 52));
	}
	if (ap.nap > AP_ROWS)
		ui_text(y, 4, UI_C_DIM, _("%d-%d of %d: Up/Down scrolls"),
		    ap.atop + 1,
		    ap.atop + AP_ROWS < ap.nap ? ap.atop + AP_ROWS : ap.nap,
		    ap.nap);
}

/* The slot list as rows: a header for each day, then its slots.  ROW
 * -1-d is the day header of the slot at index d; otherwise a slot. */
static int
ap_rows(int *rows, int max)
{
	int n = 0;
	size_t i;

	for (i = 0; i < ap.nsl && n < max; i++) {
		if (i == 0 ||
		    ap_yday(ap.sl[i].start_ms) !=
		        ap_yday(ap.sl[i - 1].start_ms))
			rows[n++] = -1 - (int)i;
		if (n < max)
			rows[n++] = (int)i;
	}
	return n;
}

static void
ap_draw_slots(struct ui *ui, int y)
{
	static int rows[2 * BOOK_SLOTS_MAX];
	char day[32], a[8], b[8], when[32], who[200];
	int n, i, top = 0, selrow = 0, d;

	if (ap.alts)
		ui_text(y++, 1, UI_C_WARN, " %s ",
		    _("Slot taken. The server offers these: choose one, F2 "
		      "books it"));
	else
		ui_text(y++, 1, ap.focus == FOC_SLOTS ? UI_C_FOCUS : UI_C_TITLE,
		    " %s ", _("Free slots, next 7 days (facility time)"));
	if (ap.link == LINK_DOWN && !ap.alts) {
		ui_text(y - 1, 46, UI_C_WARN, "%s",
		    _("no link: booking will be proposed"));
	} else if (ap.link == LINK_ASKING && !ap.alts)
		ui_text(y - 1, 46, UI_C_DIM, "%s", _("asking the server..."));
	else if (ap.fetched_ms != 0 && !ap.alts) {
		ui_when((int64_t)ap.fetched_ms, when, sizeof(when));
		ui_text(y - 1, 46, UI_C_OK, _("online, as of %s"), when + 11);
	}
	if (ap.nsl == 0) {
		ui_text(y, 3, UI_C_DIM, "%s",
		    ap.link == LINK_UP
		        ? _("No free slot in the next 7 days.")
		        : _("No slots known yet: they come from the server."));
		return;
	}
	n = ap_rows(rows, (int)nitems(rows));
	for (i = 0; i < n; i++)
		if (rows[i] == ap.ssel)
			selrow = i;
	if (selrow >= SL_ROWS)
		top = selrow - SL_ROWS + 1;
	/* keep the chosen slot's day header in sight */
	if (top > 0 && rows[top] >= 0 && rows[top - 1] < 0 &&
	    selrow - top + 1 < SL_ROWS)
		top--;
	for (i = top; i < n && i < top + SL_ROWS; i++, y++) {
		if (rows[i] < 0) {
			d = -1 - rows[i];
			ap_day(ap.sl[d].start_ms, day, sizeof(day));
			ui_text(y, 2, UI_C_TITLE, "%s", day);
			continue;
		}
		d = rows[i];
		ap_hm(ap.sl[d].start_ms, a, sizeof(a));
		ap_hm(ap.sl[d].end_ms, b, sizeof(b));
		ui_text(y, 4,
		    d == ap.ssel && ap.focus == FOC_SLOTS ? UI_C_FOCUS
		        : ap.alts                         ? UI_C_WARN
		                                          : UI_C_NORMAL,
		    "%c %s-%s  %s",
		    d == ap.ssel && ap.focus == FOC_SLOTS ? '>' : ' ', a, b,
		    ui_fit(
		        who, sizeof(who), ap_who(ui, ap.sl[d].clinician), 40));
	}
	if (n > SL_ROWS)
		ui_text(y, 4, UI_C_DIM, "%s", _("more: Up/Down"));
}

static void
ap_draw_reason(int y)
{
	char fit[200];
	int i;

	ui_text(y++, 1, UI_C_FOCUS, " %s ",
	    _("Cancel the chosen appointment: why?"));
	for (i = 0; i < (int)nitems(ap_reasons); i++)
		ui_text(y++, 3, i == ap.reason ? UI_C_FOCUS : UI_C_NORMAL,
		    "%c %s", i == ap.reason ? '>' : ' ',
		    ui_fit(fit, sizeof(fit), _(ap_reasons[i]), 40));
	if (ap.reason == AP_OTHER)
		ui_field_draw(y, 3, _("Reason"), 50, &ap.other, 1, 0);
	ui_text(y + 1, 3, UI_C_DIM, "%s",
	    _("Up/Down choose   Enter cancels the appointment   Esc keeps "
	      "it"));
}

static void
ap_draw(struct ui *ui)
{
	ui_text(2, 1, UI_C_NORMAL, _("Patient: %s"), ap.pname);
	ap_draw_appts(3);
	if (ap.focus == FOC_REASON)
		ap_draw_reason(10);
	else
		ap_draw_slots(ui, 10);
	ui_text(20, 1, UI_C_DIM, "%s",
	    _("Tab the other list   Up/Down choose   Enter a refusal's "
	      "alternatives   Esc back"));
}

static const struct store_appt_row *
ap_chosen(void)
{
	return ap.asel < ap.nap ? &ap.ap[ap.asel] : NULL;
}

static const struct book_slot *
ap_slot(void)
{
	return ap.ssel >= 0 && (size_t)ap.ssel < ap.nsl ? &ap.sl[ap.ssel]
	                                                : NULL;
}

/* Ask the server now (the proposal is saved already); without a link or
 * while the worker is busy it goes by sync. */
static void
ap_send(struct ui *ui, const struct book_job *j, const char *proposed_msg)
{
	if (ap.link == LINK_UP &&
	    book_async_start(
	        ui->ctx->data_dir, store_key(ui->visit.store), j) == 0) {
		snprintf(ap.pending, sizeof(ap.pending), "%s", j->id);
		ui_message(ui, UI_MSG_INFO, "%s", _("Asking the server..."));
		return;
	}
	/* The worker is still on the slot list or the last request (a slow
	 * link looks like no link after a second): the request goes by
	 * sync, and is also asked directly once the worker is free and the
	 * link answered. */
	if ((ap.link == LINK_ASKING || book_async_busy()) && !ap.has_queued) {
		ap.queued = *j;
		ap.has_queued = 1;
	}
	ui_message(ui, UI_MSG_OK, "%s", proposed_msg);
	sync_thread_kick();
}

/* Ask the request queued behind the slot list; 1 if it was started. */
static int
ap_send_queued(struct ui *ui)
{
	if (!ap.has_queued)
		return 0;
	ap.has_queued = 0;
	if (book_async_start(
	        ui->ctx->data_dir, store_key(ui->visit.store), &ap.queued) != 0)
		return 0;
	snprintf(ap.pending, sizeof(ap.pending), "%s", ap.queued.id);
	return 1;
}

static enum ui_result
ap_book(struct ui *ui, const struct store_appt_row *old)
{
	const struct book_slot *sl = ap_slot();
	struct store_appt a;
	struct book_job j;
	char id[UUID_STRLEN + 1];
	int i, err;

	if (ap.pending[0] != '\0') {
		ui_message(ui, UI_MSG_WARN, "%s",
		    _("Wait: the server has not answered the last request."));
		return UI_REDRAW;
	}
	if (sl == NULL) {
		ui_message(ui, UI_MSG_WARN, "%s",
		    _("Choose a free slot first (Tab, then Up/Down)."));
		return UI_REDRAW;
	}
	for (i = 0; i < ap.nap; i++)
		if (ap.ap[i].slot_id == sl->id &&
		    (strcmp(ap.ap[i].status, "proposed") == 0 ||
		        strcmp(ap.ap[i].status, "booked") == 0)) {
			ui_message(ui, UI_MSG_WARN, "%s",
			    _("This patient has that slot already."));
			return UI_REDRAW;
		}
	memset(&a, 0, sizeof(a));
	a.patient_id = ap.pid;
	a.slot_id = sl->id;
	a.start_ms = sl->start_ms;
	a.end_ms = sl->end_ms;
	a.clinician = sl->clinician; /* whose slot: their hub pulls it */
	a.replaces = old != NULL ? old->id : NULL;
	if ((err = store_appt_propose(ui->visit.store, &a, id)) != 0) {
		ui_warn_cause(ui, err, NULL);
		return UI_REDRAW;
	}
	memset(&j, 0, sizeof(j));
	j.kind = BOOK_BOOK;
	snprintf(j.id, sizeof(j.id), "%s", id);
	snprintf(j.patient, sizeof(j.patient), "%s", ap.pid);
	if (old != NULL)
		snprintf(j.replaces, sizeof(j.replaces), "%s", old->id);
	j.slot = sl->id;
	ap.alts = 0;
	ap_send(ui, &j,
	    _("Proposed. No link now: the server answers at the next sync."));
	ap_load(ui);
	ap.focus = FOC_APPTS;
	for (i = 0; i < ap.nap; i++)
		if (strcmp(ap.ap[i].id, id) == 0)
			ap.asel = i;
	return UI_REDRAW;
}

static enum ui_result
ap_reschedule(struct ui *ui)
{
	const struct store_appt_row *r = ap_chosen();
	struct store_appt_row old;

	if (r == NULL || ap.focus == FOC_REASON)
		return UI_HANDLED;
	if (strcmp(r->status, "booked") != 0) {
		ui_message(ui, UI_MSG_WARN, "%s",
		    _("Only a booked appointment moves to another slot; cancel "
		      "a proposed one instead (F8)."));
		return UI_REDRAW;
	}
	old = *r;
	return ap_book(ui, &old);
}

static enum ui_result
ap_cancel_ask(struct ui *ui)
{
	const struct store_appt_row *r = ap_chosen();

	if (r == NULL) {
		ui_message(
		    ui, UI_MSG_WARN, "%s", _("No appointment to cancel."));
		return UI_REDRAW;
	}
	if (strcmp(r->status, "proposed") != 0 &&
	    strcmp(r->status, "booked") != 0) {
		ui_message(ui, UI_MSG_WARN, "%s",
		    _("Only a proposed or booked appointment can be "
		      "cancelled."));
		return UI_REDRAW;
	}
	ap.focus = FOC_REASON;
	ap.reason = 0;
	ui_field_clear(&ap.other);
	return UI_REDRAW;
}

static enum ui_result
ap_cancel(struct ui *ui)
{
	const struct store_appt_row *r = ap_chosen();
	const char *why;
	struct book_job j;
	int err;

	if (r == NULL)
		return UI_HANDLED;
	why = ap.reason == AP_OTHER ? ap.other.buf : ap_reasons[ap.reason];
	if (why[0] == '\0') {
		ui_message(ui, UI_MSG_WARN, "%s",
		    _("Type the reason, or choose one above."));
		return UI_REDRAW;
	}
	if ((err = store_appt_cancel(ui->visit.store, r->id, why)) != 0) {
		ui_warn_cause(ui, err, NULL);
		return UI_REDRAW;
	}
	memset(&j, 0, sizeof(j));
	j.kind = BOOK_CANCEL;
	snprintf(j.id, sizeof(j.id), "%s", r->id);
	snprintf(j.reason, sizeof(j.reason), "%s", why);
	ap.focus = FOC_APPTS;
	if (strcmp(r->status, "booked") == 0)
		ap_send(ui, &j,
		    _("Cancelled here; the server frees the slot at the next "
		      "sync."));
	else {
		ui_message(ui, UI_MSG_OK, "%s", _("Cancelled."));
		sync_thread_kick();
	}
	ap_load(ui);
	return UI_REDRAW;
}

/* Enter on a refused appointment: its alternatives in the slot list. */
static enum ui_result
ap_show_alts(struct ui *ui)
{
	const struct store_appt_row *r = ap_chosen();
	struct book_slot *v;
	const char *p;
	size_t n;

	if (r == NULL || strcmp(r->status, "refused") != 0 ||
	    (p = strchr(r->answer, ' ')) == NULL)
		return UI_HANDLED;
	v = xcalloc(BOOK_ALTS, sizeof(*v));
	n = ap_slots_parse(p, strlen(p), clock_wall_ms(), v, BOOK_ALTS);
	if (n == 0) {
		free(v);
		ui_message(ui, UI_MSG_WARN, "%s",
		    _("Those alternatives have passed: choose another slot."));
		return UI_REDRAW;
	}
	ap_slots_set(v, n, 1);
	ap.focus = FOC_SLOTS;
	return UI_REDRAW;
}

/* The worker's answer to the last request, once. */
static void
ap_answer(struct ui *ui)
{
	struct book_job j;
	struct book_answer a;
	char text[1024];
	struct book_slot *v;

	if (!book_async_poll(&j, &a)) {
		if (ap.link == LINK_ASKING &&
		    clock_mono_ms() - ap.asked_ms >= AP_LINK_WAIT_MS)
			ap.link = LINK_DOWN; /* it may still come */
		return;
	}
	if (j.kind == BOOK_SLOTS) {
		if (a.err == 0) {
			ap.link = LINK_UP;
			if (!ap.alts)
				ap_slots_keep(ui, a.slots, a.nslots);
			ap_send_queued(ui);
		} else {
			ap.link = LINK_DOWN;
			ap.has_queued = 0; /* it goes by sync, as was said */
		}
		book_answer_clear(&a);
		return;
	}
	ap.pending[0] = '\0';
	if (a.err != 0) {
		ap.link = LINK_DOWN;
		ap.has_queued = 0; /* it goes by sync, as was said */
		ui_message(ui, UI_MSG_WARN, "%s",
		    j.kind == BOOK_CANCEL
		        ? _("No answer from the server: the cancel goes with "
		            "the next sync.")
		        : _("No answer from the server: proposed; it is "
		            "answered at the next sync."));
		book_answer_clear(&a);
		ap_load(ui);
		return;
	}
	if (j.kind == BOOK_BOOK &&
	    (a.result == 0 || a.result == WERR_SLOT_TAKEN ||
	        a.result == WERR_NO_SLOT || a.result == WERR_SLOT_OFFERED ||
	        a.result == WERR_LICENCE)) {
		book_alts_text(&a, text, sizeof(text));
		store_appt_answer(ui->visit.store, j.id,
		    a.result == 0 ? "booked" : "refused", text);
	}
	if (j.kind == BOOK_CANCEL)
		ui_message(ui, a.result == 0 ? UI_MSG_OK : UI_MSG_WARN, "%s",
		    a.result == 0 ? _("Cancelled: the slot is free again.")
		                  : _("The server did not cancel it: it was "
		                      "not this kiosk's booking."));
	else if (a.result == 0)
		ui_message(ui, UI_MSG_OK, "%s",
		    j.replaces[0] ? _("Moved: booked in the new slot, the old "
		                      "one cancelled.")
		                  : _("Booked."));
	else if (a.result == WERR_SLOT_TAKEN && a.nalts > 0) {
		ui_message(ui, UI_MSG_WARN, "%s",
		    _("That slot was just taken. Choose one of the "
		      "alternatives shown."));
		v = xcalloc(BOOK_ALTS, sizeof(*v));
		memcpy(v, a.alts, (size_t)a.nalts * sizeof(*v));
		ap_slots_set(v, (size_t)a.nalts, 1);
		ap.focus = FOC_SLOTS;
	} else if (a.result == WERR_LICENCE)
		ui_message(ui, UI_MSG_WARN, "%s",
		    _("Not booked: the clinician's licence does not allow "
		      "booking them at that time. Choose another slot."));
	else
		ui_message(ui, UI_MSG_WARN, "%s",
		    a.result == WERR_SLOT_TAKEN
		        ? _("That slot was just taken and no other is free "
		            "nearby.")
		        : a.result == WERR_SLOT_OFFERED
		        ? _("That slot is offered to a waiting patient.")
		        : _("Not booked: that slot is no longer bookable."));
	book_answer_clear(&a);
	ap_load(ui);
	/* the slot list changed: ask again (not over the alternatives) */
	if (!ap_send_queued(ui) && !ap.alts && !book_async_busy())
		ap_ask_slots(ui);
}

static enum ui_result
ap_key(struct ui *ui, enum ui_action a, int ch)
{
	if (a == UI_A_TICK) {
		ap_answer(ui);
		ui->wake_ms = clock_mono_ms() + AP_TICK_MS;
		return UI_REDRAW;
	}
	if (ap.focus == FOC_REASON) {
		switch (a) {
		case UI_A_UP:
		case UI_A_DOWN:
			ui_list_key(&ap.reason, (int)nitems(ap_reasons), a);
			return UI_REDRAW;
		case UI_A_ENTER:
			return ap_cancel(ui);
		case UI_A_BACK:
			ap.focus = FOC_APPTS;
			return UI_REDRAW;
		default:
			if (ap.reason == AP_OTHER &&
			    ui_field_key(&ap.other, a, ch))
				return UI_REDRAW;
			return a == UI_A_NONE ? UI_HANDLED : UI_UNHANDLED;
		}
	}
	switch (a) {
	case UI_A_UP:
	case UI_A_DOWN:
		if (ap.focus == FOC_APPTS)
			ui_list_key(&ap.asel, ap.nap, a);
		else
			ui_list_key(&ap.ssel, (int)ap.nsl, a);
		return UI_REDRAW;
	case UI_A_NEXT:
	case UI_A_PREV:
		ap.focus = ap.focus == FOC_APPTS ? FOC_SLOTS : FOC_APPTS;
		return UI_REDRAW;
	case UI_A_SAVE:
		return ap_book(ui, NULL);
	case UI_A_RESCHEDULE:
		return ap_reschedule(ui);
	case UI_A_CANCEL:
		return ap_cancel_ask(ui);
	case UI_A_ENTER:
		return ap.focus == FOC_APPTS ? ap_show_alts(ui) : UI_HANDLED;
	case UI_A_BACK:
		if (!ap.alts)
			return UI_UNHANDLED;
		/* the alternatives put away: the whole list again */
		ap_slots_cached(ui);
		if (!book_async_busy())
			ap_ask_slots(ui);
		return UI_REDRAW;
	default:
		return UI_UNHANDLED;
	}
}

const struct screen screen_appt = {
	"appt",
	N_("Appointments"),
	ap_enter,
	ap_draw,
	ap_key,
	ap_leave,
};
