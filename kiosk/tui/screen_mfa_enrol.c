/*
 * Setting up the second factor (issue 17; kiosk/store/mfapolicy.h): the
 * policy brings a clinician or administrator here after their unlock once
 * their grace period is over, and M on Home brings them here during it.
 * The otpauth:// URI as a QR code drawn with half blocks beside the key
 * in base32, grouped by four for typing by hand; then the code the phone
 * shows, checked (a wrong one counts toward the lockout like a wrong
 * passphrase); then the recovery codes, shown this once.  Only then Home.
 * When enrolment is compulsory, Esc locks the kiosk instead of going
 * back.  The secret and the codes are wiped on leaving.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kiosk/visit/qr.h"
#include "ui.h"

#define QR_X 0
#define QR_Y 1
#define SIDE_X 43
#define SIDE_W 36

static struct {
	struct visit_mfa m;
	char **qr;
	int qr_rows, qr_w;
	struct ui_field code;
	int forced; /* the grace is over: no way past but enrolling */
	int next_forced; /* set before ui_goto/ui_replace */
} st;

enum ui_result
screen_mfa_enrol_open(struct ui *ui, int forced, int replace)
{
	st.next_forced = forced;
	return replace ? ui_replace(ui, &screen_mfa_enrol)
	               : ui_goto(ui, &screen_mfa_enrol);
}

static void
enrol_wipe(void)
{
	qr_rows_free(st.qr, st.qr_rows);
	st.qr = NULL;
	st.qr_rows = st.qr_w = 0;
	visit_mfa_clear(&st.m);
	ui_field_clear(&st.code);
}

static void
enrol_enter(struct ui *ui)
{
	enrol_wipe();
	st.forced = st.next_forced;
	st.next_forced = 0;
	visit_mfa_start(&ui->visit, &st.m);
	if (st.m.uri == NULL ||
	    qr_rows(st.m.uri, 1, &st.qr, &st.qr_rows, &st.qr_w) != 0 ||
	    st.qr_rows > ui_rows() - 3 || st.qr_w > SIDE_X - 1) {
		qr_rows_free(st.qr, st.qr_rows);
		st.qr = NULL;
		st.qr_rows = 0;
	}
}

static void
enrol_leave(struct ui *ui)
{
	(void)ui;
	enrol_wipe();
	st.forced = 0;
}

/* The key in groups of four, two lines of four groups. */
static void
draw_key(int y, const char *b32)
{
	char line[2][24];
	size_t i, n = strlen(b32), o[2] = { 0, 0 };
	int l;

	memset(line, 0, sizeof(line));
	for (i = 0; i < n && i < 32; i++) {
		l = i < 16 ? 0 : 1;
		if (i % 4 == 0 && i % 16 != 0)
			line[l][o[l]++] = ' ';
		line[l][o[l]++] = b32[i];
	}
	ui_text(y, SIDE_X + 2, UI_C_TITLE, "%s", line[0]);
	ui_text(y + 1, SIDE_X + 2, UI_C_TITLE, "%s", line[1]);
}

/* One row of the QR code, a cell per call: ui_text cuts its text at the
 * screen edge by bytes, and a half block is three. */
static void
draw_qr_row(int y, const char *row)
{
	char cell[8];
	size_t l;
	int x = QR_X;

	while (*row != '\0') {
		l = *row == ' ' ? 1 : 3;
		memcpy(cell, row, l);
		cell[l] = '\0';
		ui_text(y, x++, UI_C_NORMAL, "%s", cell);
		row += l;
	}
}

static void
draw_setup(struct ui *ui)
{
	int i, y;

	if (st.qr != NULL)
		for (i = 0; i < st.qr_rows; i++)
			draw_qr_row(QR_Y + i, st.qr[i]);
	else
		ui_wrap(3, 2, SIDE_X - 4, 4, UI_C_WARN,
		    _("The QR code cannot be drawn here: type the key "
		      "shown on the right into the app."));
	y = ui_wrap(2, SIDE_X, SIDE_W, 2, UI_C_NORMAL,
	    st.forced ? _("A second factor is needed to go on.")
	              : _("Set up your second factor."));
	y = ui_wrap(y + 1, SIDE_X, SIDE_W, 4, UI_C_NORMAL,
	    _("Scan the code with an authenticator app on your phone (TOTP, "
	      "6 digits), or type this key in it:"));
	draw_key(y + 1, st.m.b32 != NULL ? st.m.b32 : "");
	y = ui_wrap(y + 4, SIDE_X, SIDE_W, 2, UI_C_NORMAL,
	    _("Then type the code your phone shows, and Enter:"));
	ui_field_draw(y + 1, SIDE_X - 2, _("Code"), 8, &st.code, 1, 0);
	ui_wrap(y + 3, SIDE_X, SIDE_W, 3, UI_C_DIM,
	    st.forced ? _("Your role needs it (clinicians and administrators). "
	                  "Esc locks the kiosk.")
	              : _("Esc: not now."));
	(void)ui;
}

static void
draw_codes(struct ui *ui)
{
	int i;

	ui_center(2, UI_C_OK, "%s", _("Second factor set up for you."));
	ui_center(4, UI_C_NORMAL, "%s",
	    _("Recovery codes: each one unlocks once instead of a code."));
	for (i = 0; i < TOTP_RECOVERY_N; i++)
		ui_text(6 + i % 5, 20 + (i / 5) * 24, UI_C_TITLE, "%2d. %s",
		    i + 1, st.m.codes[i]);
	ui_center(12, UI_C_WARN, "%s",
	    _("Write these down now and keep them apart from the phone:"));
	ui_center(13, UI_C_WARN, "%s", _("they are not shown again."));
	ui_center(15, UI_C_DIM, "%s",
	    _("Next time you unlock, type the code your phone shows."));
	ui_center(17, UI_C_NORMAL, "%s", _("Enter: I have written them down"));
	(void)ui;
}

static void
enrol_draw(struct ui *ui)
{
	if (st.m.done)
		draw_codes(ui);
	else
		draw_setup(ui);
}

/* Where the unlock would have gone (as screen_unlock.c's try_unlock):
 * Home, or self check-in; back to Home when set up from there. */
static enum ui_result
enrol_done(struct ui *ui)
{
	if (!st.forced)
		return UI_BACK;
	if (ui->handed_over) {
		ui->checkin = 0;
		ui->handed_over = 0;
		return ui_replace(ui, &screen_home);
	}
	return ui_replace(ui, ui->checkin ? &screen_checkin : &screen_home);
}

static enum ui_result
enrol_check(struct ui *ui)
{
	char *cause = NULL, words[256];
	int err;

	if (st.code.len == 0) {
		ui_message(ui, UI_MSG_INFO, "%s",
		    _("Type the code your phone shows."));
		return UI_REDRAW;
	}
	err = visit_mfa_confirm(&ui->visit, &st.m, st.code.buf, &cause);
	ui_field_clear(&st.code);
	if (err == 0) {
		ui_message(ui, UI_MSG_OK, "%s",
		    _("Second factor saved. Write the recovery codes down."));
		return UI_REDRAW;
	}
	ui_message(ui, err == EPERM ? UI_MSG_DANGER : UI_MSG_WARN,
	    _("Not set up: %s"),
	    cause != NULL ? ui_keyring_cause(cause, words, sizeof(words))
	                  : ui_strerror(err));
	free(cause);
	/* locked out: nobody goes on as this user */
	return err == EPERM ? UI_LOCK : UI_REDRAW;
}

static enum ui_result
enrol_key(struct ui *ui, enum ui_action a, int ch)
{
	switch (a) {
	case UI_A_ENTER:
		if (st.m.done)
			return enrol_done(ui);
		return enrol_check(ui);
	case UI_A_BACK:
		if (st.m.done)
			return UI_HANDLED; /* Enter says they are written */
		return st.forced ? UI_LOCK : UI_BACK;
	case UI_A_TICK:
		return UI_HANDLED;
	default:
		if (st.m.done)
			return UI_UNHANDLED;
		if (ch >= '0' && ch <= '9' && st.code.len >= TOTP_DIGITS)
			return UI_HANDLED;
		return ui_field_key(&st.code, a, ch) ? UI_REDRAW : UI_UNHANDLED;
	}
}

const struct screen screen_mfa_enrol = {
	"mfa_enrol",
	N_("Second factor"),
	enrol_enter,
	enrol_draw,
	enrol_key,
	enrol_leave,
};
