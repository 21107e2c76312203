/*
 * Unlock: who is at the keyboard and their passphrase or PIN.  The
 * passphrase is wiped from memory as soon as the keyring has checked it,
 * and on leaving the screen.  After wrong passphrases the next try waits
 * (kiosk/store/keyring.h): the screen counts the wait down and stays
 * alive (Esc stops it).  Switching user is locking (F12) and
 * unlocking as someone else.  A user with a second factor (issue 17) is
 * asked for the code from their authenticator, or a recovery code, in a
 * third field that appears only for them; a wrong code counts like a
 * wrong passphrase.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "kiosk/kctx.h"
#include "kiosk/store/mfapolicy.h"
#include "str.h"
#include "ui.h"

static struct {
	struct ui_field user, pass, code;
	int focus; /* 0 user, 1 passphrase, 2 code */
	int need_code; /* the user typed has a second factor */
	int quit_after; /* check-in mode: F10 asked to quit once unlocked */
	uint64_t until; /* clock_mono_ms() when the waiting try is checked;
			   0 when none waits */
} st;

static void
unlock_enter(struct ui *ui)
{
	ui_field_clear(&st.user);
	ui_field_clear(&st.pass);
	ui_field_clear(&st.code);
	st.need_code = 0;
	/* after a lock, the person who was working is the likely one */
	ui_field_set(&st.user,
	    ui->last_user[0] != '\0'    ? ui->last_user
	        : ui->ctx->user != NULL ? ui->ctx->user
	                                : "");
	st.focus = st.user.len > 0 ? 1 : 0;
	st.quit_after = 0;
	st.until = 0;
}

static void
unlock_leave(struct ui *ui)
{
	ui->wake_ms = 0;
	st.until = 0;
	ui_field_clear(&st.user);
	ui_field_clear(&st.pass);
	ui_field_clear(&st.code);
	st.need_code = 0;
}

static void
unlock_draw(struct ui *ui)
{
	uint64_t now;
	int y = 5, b;

	ui_center(y, UI_C_NORMAL, _("This kiosk is locked."));
	ui_center(y + 1, UI_C_DIM, "%s",
	    ui->handed_over ? _("Staff: unlock to take the kiosk back.")
	        : ui->checkin
	        ? _("Staff: unlock to start patient self check-in.")
	        : _("Type your user name and passphrase or PIN."));
	ui_field_draw(y + 4, 14, _("User"), 30, &st.user, st.focus == 0, 0);
	ui_field_draw(
	    y + 6, 14, _("Passphrase / PIN"), 30, &st.pass, st.focus == 1, 1);
	b = y + 9;
	if (st.need_code) {
		ui_field_draw(
		    y + 8, 14, _("Code"), 30, &st.code, st.focus == 2, 1);
		ui_text(y + 9, 14, UI_C_DIM, "%s",
		    _("6 digits from your authenticator app, or a recovery "
		      "code"));
		b = y + 11;
	}
	if (st.until != 0) {
		/* the wait after wrong passphrases, as it runs */
		now = clock_mono_ms();
		ui_center(b, UI_C_WARN,
		    _("!  Wrong passphrase before: checking this one in %u s."),
		    (unsigned)((st.until > now ? st.until - now : 0) + 999) /
		        1000);
		ui_center(b + 1, UI_C_DIM, _("Esc: stop and type it again"));
		return;
	}
	if (ui->checkin)
		ui_text(b, 12, UI_C_DIM, "%s",
		    st.quit_after
		        ? _("Enter: unlock and quit    Esc: do not quit")
		        : _("Enter: unlock    F10: quit (staff "
		            "passphrase first)"));
	else
		ui_text(b, 16, UI_C_DIM,
		    _("Enter: unlock    Tab: other field    "
		      "F10: quit"));
}

/* Check the typed passphrase now. */
static enum ui_result
try_unlock(struct ui *ui)
{
	char *cause = NULL, words[256];
	int err, left;

	st.until = 0;
	err = visit_session_unlock(&ui->visit, st.user.buf, st.pass.buf,
	    st.need_code ? st.code.buf : NULL, &left, &cause);
	ui_field_clear(&st.pass);
	ui_field_clear(&st.code);
	if (err != 0) {
		ui_message(ui, UI_MSG_DANGER, _("Not unlocked: %s"),
		    cause != NULL
		        ? ui_keyring_cause(cause, words, sizeof(words))
		        : ui_strerror(err));
		free(cause);
		st.focus = 1;
		return UI_REDRAW;
	}
	st.need_code = 0;
	if (left >= 0)
		ui_message(ui, UI_MSG_WARN,
		    _("Unlocked with a recovery code: %d left. Enrol again "
		      "for new ones."),
		    left);
	else if (ui->visit.mfa_due > 0 &&
	    ui->visit.mfa_due <= MFA_REMIND_DAYS &&
	    (!ui->checkin || ui->handed_over)) {
		/* the last days of the second-factor policy's grace: the
		 * welcome says so (not on the check-in screen patients see
		 * next: M is not theirs); gone at the next key, as the welcome
		 * is */
		if (ui->visit.mfa_due == 1)
			ui_message(ui, UI_MSG_INFO,
			    _("Welcome, %s. A second factor is needed from "
			      "tomorrow: M sets it up."),
			    ui->visit.user_name);
		else
			ui_message(ui, UI_MSG_INFO,
			    _("Welcome, %s. A second factor is needed in %d "
			      "days: M sets it up."),
			    ui->visit.user_name, ui->visit.mfa_due);
	} else
		ui_message(ui, UI_MSG_OK, _("Unlocked. Welcome, %s."),
		    ui->visit.user_name);
	/* the unlock switched to this user's language: check-in goes back
	 * to it after each patient */
	str_lcpy(ui->staff_lang, i18n_get(), sizeof(ui->staff_lang));
	if (st.quit_after)
		ui_ask_quit(ui);
	if (ui->visit.mfa_due == 0) {
		/* the policy's grace is over: enrol before anything else */
		ui_message(ui, UI_MSG_INFO, _("Unlocked. Welcome, %s."),
		    ui->visit.user_name);
		return screen_mfa_enrol_open(ui, 1, 1);
	}
	if (ui->handed_over) { /* staff take the kiosk back */
		ui->checkin = 0;
		ui->handed_over = 0;
		return ui_replace(ui, &screen_home);
	}
	return ui_replace(ui, ui->checkin ? &screen_checkin : &screen_home);
}

/* A try after wrong passphrases waits (kiosk/store/keyring.h): count
 * the seconds down on the screen, a tick each second, then check it. */
static enum ui_result
wait_tick(struct ui *ui)
{
	uint64_t now = clock_mono_ms(), left;

	if (now >= st.until)
		return try_unlock(ui);
	left = st.until - now;
	ui->wake_ms = now + (left % 1000 ? left % 1000 : 1000);
	return UI_REDRAW;
}

static enum ui_result
unlock_key(struct ui *ui, enum ui_action a, int ch)
{
	struct ui_field *f = st.focus == 0 ? &st.user
	    : st.focus == 1                ? &st.pass
	                                   : &st.code;
	uint64_t wait;
	int nf = st.need_code ? 3 : 2;

	if (st.until != 0) {
		if (a == UI_A_TICK)
			return wait_tick(ui);
		if (a == UI_A_BACK) {
			st.until = 0;
			ui->wake_ms = 0;
			ui_field_clear(&st.pass);
			ui_field_clear(&st.code);
			return UI_REDRAW;
		}
		return UI_HANDLED; /* nothing else while the wait runs */
	}
	switch (a) {
	case UI_A_TICK:
		return UI_HANDLED;
	case UI_A_UP:
	case UI_A_PREV:
		st.focus = (st.focus + nf - 1) % nf;
		return UI_REDRAW;
	case UI_A_DOWN:
	case UI_A_NEXT:
		st.focus = (st.focus + 1) % nf;
		return UI_REDRAW;
	case UI_A_QUIT:
		/* a patient at a check-in kiosk must not end it: quitting
		 * there takes the staff passphrase */
		if (!ui->checkin)
			return UI_QUIT;
		st.quit_after = 1;
		st.focus = 1;
		ui_message(ui, UI_MSG_WARN,
		    _("Staff: type the passphrase to quit the kiosk."));
		return UI_REDRAW;
	case UI_A_BACK:
		ui_field_clear(&st.pass);
		ui_field_clear(&st.code);
		st.quit_after = 0;
		return UI_REDRAW;
	case UI_A_LOCK:
		return UI_HANDLED;
	case UI_A_ENTER:
		if (st.focus == 0 || st.pass.len == 0) {
			st.focus = 1;
			return UI_REDRAW;
		}
		if (st.user.len == 0) {
			st.focus = 0;
			ui_message(ui, UI_MSG_WARN, _("Type your user name."));
			return UI_REDRAW;
		}
		st.need_code =
		    visit_session_needs_code(&ui->visit, st.user.buf);
		if (st.need_code && st.code.len == 0) {
			st.focus = 2;
			ui_message(ui, UI_MSG_INFO,
			    _("Type the code from your authenticator app."));
			return UI_REDRAW;
		}
		if ((wait = visit_session_unlock_wait(
		         &ui->visit, st.user.buf)) > 0) {
			ui->msg[0] = '\0';
			st.until = clock_mono_ms() + wait;
			return wait_tick(ui);
		}
		return try_unlock(ui);
	default:
		return ui_field_key(f, a, ch) ? UI_REDRAW : UI_HANDLED;
	}
}

const struct screen screen_unlock = {
	"unlock",
	N_("Unlock"),
	unlock_enter,
	unlock_draw,
	unlock_key,
	unlock_leave,
};
