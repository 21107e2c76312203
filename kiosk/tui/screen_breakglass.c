/*
 * Break-glass (issue 17; docs/PROTOCOL.md §15): F7 on Find, on a node
 * enrolled with a server, opens a patient outside this facility's scope.
 * Search the region on the server (name, phone digits or id: it answers
 * name, birth year, sex, village and facility only, and records the
 * search), choose the patient, write why (at least
 * BREAKGLASS_REASON_MIN letters; the letters and words typed are
 * counted on the screen), confirm; the server records the access and
 * puts the patient in this facility's scope, this kiosk audits it
 * (kiosk/sync/client.c sync_breakglass, as `kiosk breakglass`), and the
 * screen waits for the sync that brings the patient and their history,
 * showing it, then opens the patient.  Without a link it says that
 * break-glass needs one.  The reason is never logged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "kiosk/sync/sync.h"
#include "protocol.h"
#include "ui.h"

#define BG_ROWS BGSEARCH_MAX
#define BG_PULL_MS 60000 /* how long the screen waits for the history */

enum bg_stage { BG_SEARCH, BG_REASON, BG_CONFIRM, BG_PULL };

static struct {
	enum bg_stage stage;
	struct ui_field q, reason;
	int searched; /* the list is the answer to the words in Q */
	struct sync_bg_found *f;
	size_t n;
	int more, sel;
	uint64_t t0_wall, t0_mono; /* the access recorded; the wait began */
	int opened_local; /* the patient is in the store now */
} st;

static void
bg_results_free(void)
{
	sync_bg_found_free(st.f, st.n);
	st.f = NULL;
	st.n = 0;
	st.more = st.sel = 0;
	st.searched = 0;
}

static void
bg_enter(struct ui *ui)
{
	(void)ui;
	bg_results_free();
	ui_field_clear(&st.q);
	ui_field_clear(&st.reason);
	st.stage = BG_SEARCH;
}

static void
bg_leave(struct ui *ui)
{
	ui->wake_ms = 0;
	bg_results_free();
	ui_field_clear(&st.q);
	ui_field_clear(&st.reason);
}

/* Letters (not blanks) and words of S. */
static void
bg_count(const char *s, int *letters, int *words)
{
	int in = 0;

	*letters = *words = 0;
	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '\t') {
			in = 0;
			continue;
		}
		if (((unsigned char)*s & 0xc0) != 0x80)
			(*letters)++;
		if (!in)
			(*words)++;
		in = 1;
	}
}

/* One found patient on a line of WIDTH columns into OUT. */
static void
bg_line(const struct sync_bg_found *p, char *out, size_t len)
{
	char g[96], fa[96], v[64], fac[64], year[8];

	if (p->birth_year != 0)
		snprintf(year, sizeof(year), "%04u", (unsigned)p->birth_year);
	else
		snprintf(year, sizeof(year), "?");
	snprintf(out, len, "%s %s %-4s %-2.1s %s %s",
	    ui_fit(g, sizeof(g), p->given, 16),
	    ui_fit(fa, sizeof(fa), p->family, 16), year, p->sex,
	    ui_fit(v, sizeof(v), p->village, 14),
	    ui_fit(fac, sizeof(fac), p->facility, 12));
}

static void
draw_search(void)
{
	char line[160];
	size_t i;

	ui_text(2, 2, UI_C_NORMAL, "%s",
	    _("A patient of another facility: search the region on the "
	      "server."));
	ui_field_draw(3, 0, _("Search"), 40, &st.q, 1, 0);
	ui_text(5, 2, UI_C_DIM, "%s",
	    _("A name (3 letters or more), phone digits or the patient's id."));
	if (!st.searched) {
		ui_text(6, 2, UI_C_DIM, "%s",
		    _("Enter searches. Every search is recorded on the server."));
		return;
	}
	if (st.n == 0) {
		ui_text(7, 2, UI_C_WARN, "%s",
		    _("! No patient of the region matches."));
		return;
	}
	ui_text(7, 2, UI_C_DIM, "  %-16s %-16s %-4s %-2s %-14s %s",
	    _("Given name"), _("Family name"), _("Born"), _("Sx"), _("Village"),
	    _("Facility"));
	for (i = 0; i < st.n; i++) {
		bg_line(&st.f[i], line, sizeof(line));
		ui_text(8 + (int)i, 2,
		    (int)i == st.sel ? UI_C_FOCUS : UI_C_NORMAL, "%c %s",
		    (int)i == st.sel ? '>' : ' ', line);
	}
	if (st.more)
		ui_text(19, 2, UI_C_WARN, "%s",
		    _("! More patients match: add words to narrow it."));
	ui_text(20, 2, UI_C_DIM, "%s",
	    _("Up/Down choose   Enter: this patient   Esc back"));
}

static void
draw_patient(int y, const struct sync_bg_found *p)
{
	char line[160];

	bg_line(p, line, sizeof(line));
	ui_text(y, 4, UI_C_TITLE, "%s", line);
}

static void
draw_reason(void)
{
	int letters, words;

	ui_text(
	    2, 2, UI_C_NORMAL, "%s", _("Open outside this facility's scope:"));
	draw_patient(3, &st.f[st.sel]);
	ui_text(5, 2, UI_C_NORMAL, "%s",
	    _("Why do you open this patient? Required, at least 10 letters;"));
	ui_text(6, 2, UI_C_NORMAL, "%s",
	    _("recorded with your name and read by the region's "
	      "administrators."));
	ui_field_draw(8, 0, _("Reason"), 56, &st.reason, 1, 0);
	bg_count(st.reason.buf, &letters, &words);
	ui_text(10, 2, letters >= BREAKGLASS_REASON_MIN ? UI_C_OK : UI_C_DIM,
	    _("%d letters, %d words (at least %d letters)"), letters, words,
	    BREAKGLASS_REASON_MIN);
	ui_text(
	    12, 2, UI_C_DIM, "%s", _("Enter: go on   Esc: back to the search"));
}

static void
draw_confirm(void)
{
	ui_text(2, 2, UI_C_WARN, "%s",
	    _("Open this patient outside this facility's scope?"));
	draw_patient(4, &st.f[st.sel]);
	ui_text(6, 2, UI_C_NORMAL, "%s", _("Reason:"));
	ui_wrap(7, 4, 72, 3, UI_C_NORMAL, st.reason.buf);
	ui_wrap(11, 2, 76, 3, UI_C_DIM,
	    _("The access is recorded on the server and in this kiosk's "
	      "audit log with your name, and the region's administrators "
	      "are alerted."));
	ui_text(15, 2, UI_C_NORMAL, "%s",
	    _("Enter: open the patient   Esc: change the reason"));
}

static void
draw_pull(struct ui *ui)
{
	uint64_t s = (clock_mono_ms() - st.t0_mono) / 1000;

	(void)ui;
	ui_text(2, 2, UI_C_OK, "%s",
	    _("Access recorded. Bringing the patient's history from the "
	      "server:"));
	draw_patient(4, &st.f[st.sel]);
	if (clock_mono_ms() - st.t0_mono < BG_PULL_MS)
		ui_text(6, 2, UI_C_NORMAL, _("Waiting for the sync... %u s"),
		    (unsigned)s);
	else
		ui_wrap(6, 2, 76, 3, UI_C_WARN,
		    _("! The history has not arrived yet. The patient opens "
		      "from Find once the sync brings them; Esc goes back."));
	ui_text(8, 2, UI_C_DIM, "%s",
	    st.opened_local ? _("The patient is here; the rest of their "
	                        "history is on its way.")
	                    : _("Nothing of the patient is here yet."));
}

static void
bg_draw(struct ui *ui)
{
	switch (st.stage) {
	case BG_SEARCH:
		draw_search();
		break;
	case BG_REASON:
		draw_reason();
		break;
	case BG_CONFIRM:
		draw_confirm();
		break;
	case BG_PULL:
		draw_pull(ui);
		break;
	}
}

/* A failure to reach the server in words: break-glass needs a link. */
static void
bg_link_error(struct ui *ui, int err, const char *cause)
{
	if (err == EDQUOT) /* bg_search's */
		return;
	if (err == ENOTCONN)
		ui_message(ui, UI_MSG_WARN, "%s",
		    _("Break-glass needs a link to the server: this kiosk is "
		      "not enrolled with one."));
	else if (err == EACCES || err == EINVAL)
		ui_message(ui, UI_MSG_WARN, _("Refused: %s"),
		    cause != NULL ? cause : ui_strerror(err));
	else /* the link's own words are English: not on the screen */
		ui_message(ui, UI_MSG_WARN, "%s",
		    _("Break-glass needs a link to the server, and there is "
		      "none now."));
}

static enum ui_result
bg_search(struct ui *ui)
{
	char *cause = NULL;
	uint64_t wait = 0;
	int err;

	bg_results_free();
	err = sync_breakglass_search(
	    ui->visit.store, st.q.buf, &st.f, &st.n, &st.more, &wait, &cause);
	/* the server's limit on searches (§15.1): how long to wait */
	if (err == EDQUOT && wait < 120)
		ui_message(ui, UI_MSG_WARN,
		    _("Too many searches: at most %d a minute and %d a day. "
		      "Search again in %u s."),
		    BGSEARCH_USER_PER_MINUTE, BGSEARCH_USER_PER_DAY,
		    (unsigned)wait);
	else if (err == EDQUOT)
		ui_message(ui, UI_MSG_WARN,
		    _("Too many searches: at most %d a minute and %d a day. "
		      "Search again in %u h %u min."),
		    BGSEARCH_USER_PER_MINUTE, BGSEARCH_USER_PER_DAY,
		    (unsigned)((wait + 59) / 60 / 60),
		    (unsigned)((wait + 59) / 60 % 60));
	if (err != 0) {
		bg_link_error(ui, err, cause);
		free(cause);
		return UI_REDRAW;
	}
	st.searched = 1;
	return UI_REDRAW;
}

static enum ui_result
bg_open(struct ui *ui)
{
	char *cause = NULL;
	int err;

	err = sync_breakglass(
	    ui->visit.store, st.f[st.sel].id, st.reason.buf, &cause);
	if (err != 0) {
		bg_link_error(ui, err, cause);
		free(cause);
		return UI_REDRAW;
	}
	ui_field_clear(&st.reason);
	st.stage = BG_PULL;
	st.t0_wall = clock_wall_ms();
	st.t0_mono = clock_mono_ms();
	st.opened_local = 0;
	sync_thread_kick();
	ui->wake_ms = clock_mono_ms() + 500;
	return UI_REDRAW;
}

/* While the sync runs: open the patient once a sync finished after the
 * access and the patient is in the store. */
static enum ui_result
bg_tick(struct ui *ui)
{
	struct store_patient p;
	struct sync_status ss;
	int synced;

	memset(&p, 0, sizeof(p));
	st.opened_local =
	    store_patient_get(ui->visit.store, st.f[st.sel].id, &p) == 0;
	synced = sync_status_get(ui->visit.store, &ss) == 0 &&
	    ss.last_ok_ms > st.t0_wall;
	if (st.opened_local && synced) {
		ui->wake_ms = 0;
		visit_session_patient(&ui->visit, &p);
		store_patient_clear(&p);
		ui_message(ui, UI_MSG_OK, "%s",
		    _("Opened outside this facility's scope (recorded)."));
		return ui_replace(ui, &screen_patient);
	}
	if (st.opened_local)
		store_patient_clear(&p);
	if (!synced && clock_mono_ms() - st.t0_mono > 2000)
		sync_thread_kick();
	ui->wake_ms = clock_mono_ms() + 500;
	return UI_REDRAW;
}

static enum ui_result
bg_key(struct ui *ui, enum ui_action a, int ch)
{
	int letters, words;

	if (a == UI_A_TICK)
		return st.stage == BG_PULL ? bg_tick(ui) : UI_HANDLED;
	switch (st.stage) {
	case BG_SEARCH:
		if (st.searched && ui_list_key(&st.sel, (int)st.n, a))
			return UI_REDRAW;
		if (a == UI_A_ENTER) {
			if (!st.searched)
				return bg_search(ui);
			if (st.n == 0)
				return UI_HANDLED;
			st.stage = BG_REASON;
			return UI_REDRAW;
		}
		if (!ui_field_key(&st.q, a, ch))
			return UI_UNHANDLED;
		if (st.searched)
			bg_results_free(); /* new words: search again */
		return UI_REDRAW;
	case BG_REASON:
		if (a == UI_A_BACK) {
			st.stage = BG_SEARCH;
			return UI_REDRAW;
		}
		if (a == UI_A_ENTER) {
			bg_count(st.reason.buf, &letters, &words);
			if (letters < BREAKGLASS_REASON_MIN) {
				ui_message(ui, UI_MSG_WARN,
				    _("Write why you open this patient: at "
				      "least %d letters (now %d)."),
				    BREAKGLASS_REASON_MIN, letters);
				return UI_REDRAW;
			}
			ui->msg[0] = '\0'; /* the refusal before is answered */
			st.stage = BG_CONFIRM;
			return UI_REDRAW;
		}
		return ui_field_key(&st.reason, a, ch) ? UI_REDRAW
		                                       : UI_UNHANDLED;
	case BG_CONFIRM:
		if (a == UI_A_BACK) {
			st.stage = BG_REASON;
			return UI_REDRAW;
		}
		if (a == UI_A_ENTER)
			return bg_open(ui);
		return UI_UNHANDLED;
	case BG_PULL:
		return UI_UNHANDLED; /* Esc: back to Find */
	}
	return UI_UNHANDLED;
}

const struct screen screen_breakglass = {
	"breakglass",
	N_("Another facility's patient"),
	bg_enter,
	bg_draw,
	bg_key,
	bg_leave,
};
