/*
 * Every key binding of the kiosk UI, in one table: which key does what on
 * which screen, and the words the help overlay and the key bar show.
 * Screen entries come before the global ones (screen NULL) and win.
 * Text-entry screens bind only function and movement keys, so letters and
 * digits always reach the field being typed in.
 */
#include <curses.h>
#include <string.h>

#include "ui.h"

#define CTRL(c) ((c)&0x1f)
#define ESC 27

/* clang-format off */
const struct ui_key ui_keys[] = {
	/* unlock */
	{ "unlock", '\n', UI_A_ENTER, "Enter", "next field / unlock" },
	{ "unlock", KEY_ENTER, UI_A_ENTER, NULL, NULL },
	{ "unlock", KEY_F(10), UI_A_QUIT, "F10", "quit" },

	/* home */
	{ "home", KEY_F(3), UI_A_FIND, "F3", "find a patient" },
	{ "home", '/', UI_A_FIND, "/", NULL },
	{ "home", KEY_F(4), UI_A_NEW, "F4", "register a patient" },
	{ "home", '\n', UI_A_ENTER, "Enter", "open the patient" },
	{ "home", KEY_ENTER, UI_A_ENTER, NULL, NULL },
	{ "home", KEY_F(10), UI_A_QUIT, "F10", "quit" },

	/* find */
	{ "find", '\n', UI_A_ENTER, "Enter", "open the patient" },
	{ "find", KEY_ENTER, UI_A_ENTER, NULL, NULL },
	{ "find", KEY_F(4), UI_A_NEW, "F4", "register a new patient" },

	/* register */
	{ "register", KEY_F(2), UI_A_SAVE, "F2", "save the patient" },
	{ "register", '\n', UI_A_ENTER, "Enter", "next field" },
	{ "register", KEY_ENTER, UI_A_ENTER, NULL, NULL },

	/* vitals */
	{ "vitals", '\n', UI_A_ENTER, "Enter", "save the value" },
	{ "vitals", KEY_ENTER, UI_A_ENTER, NULL, NULL },
	{ "vitals", ' ', UI_A_TOGGLE, "Space", "oxygen yes/no, next ACVPU" },
	{ "vitals", KEY_F(5), UI_A_FORMS, "F5", "forms" },
	{ "vitals", KEY_F(6), UI_A_DANGER, "F6", "danger signs" },
	{ "vitals", KEY_F(8), UI_A_FINISH, "F8", "end visit" },
	{ "vitals", KEY_F(9), UI_A_ACK, "F9", "acknowledge" },
	{ "vitals", KEY_F(11), UI_A_EMERGENCY, "F11", "EMERGENCY" },

	/* alert */
	{ "alert", KEY_F(9), UI_A_ACK, "F9", "acknowledge: I have seen it" },

	/* child danger signs */
	{ "danger", ' ', UI_A_TOGGLE, "Space", "tick / untick the sign" },
	{ "danger", KEY_F(9), UI_A_ACK, "F9", "acknowledge the red flag" },

	/* forms */
	{ "forms", '\n', UI_A_ENTER, "Enter", "open the form" },
	{ "forms", KEY_ENTER, UI_A_ENTER, NULL, NULL },

	/* form */
	{ "form", '\n', UI_A_ENTER, "Enter", "save the answer" },
	{ "form", KEY_ENTER, UI_A_ENTER, NULL, NULL },
	{ "form", KEY_LEFT, UI_A_LEFT, "Left", "previous choice" },
	{ "form", KEY_RIGHT, UI_A_RIGHT, "Right", "next choice" },
	{ "form", KEY_F(6), UI_A_LANGUAGE, "F6", "next language" },
	{ "form", KEY_F(7), UI_A_TOGGLE, "F7", "tick / untick the choice" },
	{ "form", KEY_F(10), UI_A_FINISH, "F10", "finish the form" },

	/* self check-in */
	{ "checkin", '\n', UI_A_ENTER, "Enter", "continue" },
	{ "checkin", KEY_ENTER, UI_A_ENTER, NULL, NULL },
	{ "checkin", KEY_F(12), UI_A_CHECKIN_EXIT, "F12", "staff: leave" },

	/* call */
	{ "call", '\n', UI_A_ENTER, "Enter", "answer the call" },
	{ "call", KEY_ENTER, UI_A_ENTER, NULL, NULL },
	{ "call", KEY_F(5), UI_A_MUTE, "F5", "mute / unmute" },
	{ "call", KEY_F(6), UI_A_HOLD, "F6", "hold / resume" },
	{ "call", KEY_F(7), UI_A_MODE, "F7", "thinner link: next step down" },
	{ "call", KEY_F(10), UI_A_HANGUP, "F10", "end or refuse the call" },

	/* every screen */
	{ NULL, KEY_F(1), UI_A_HELP, "F1", "help: the keys of this screen" },
	{ NULL, ESC, UI_A_BACK, "Esc", "back" },
	{ NULL, KEY_F(12), UI_A_LOCK, "F12", "lock the kiosk" },
	{ NULL, KEY_UP, UI_A_UP, "Up", "move up" },
	{ NULL, KEY_DOWN, UI_A_DOWN, "Down", "move down" },
	{ NULL, '\t', UI_A_NEXT, "Tab", "next field" },
	{ NULL, KEY_BTAB, UI_A_PREV, NULL, NULL },
	{ NULL, KEY_BACKSPACE, UI_A_ERASE, NULL, NULL },
	{ NULL, 127, UI_A_ERASE, NULL, NULL },
	{ NULL, CTRL('H'), UI_A_ERASE, NULL, NULL },
	{ NULL, 0, UI_A_NONE, NULL, NULL },
};
/* clang-format on */

/* clang-format off */
const struct ui_screen_help ui_screen_help[] = {
	{ "unlock", "Type your user name and your passphrase or PIN, then "
	    "Enter.", UI_G_UPDOWN | UI_G_TAB | UI_G_TYPE },
	{ "home", "Red flags waiting come first, then today's patients. "
	    "Choose a line with Up/Down and open it with Enter.",
	    UI_G_UPDOWN | UI_G_LOCK },
	{ "find", "Type a name (typos are fine), phone, village, birth year "
	    "or id; choose with Up/Down, open with Enter.",
	    UI_G_UPDOWN | UI_G_BACK | UI_G_LOCK | UI_G_TYPE },
	{ "register", "Fill the fields (given and family name are needed), "
	    "then F2 saves.",
	    UI_G_UPDOWN | UI_G_TAB | UI_G_BACK | UI_G_LOCK | UI_G_TYPE },
	{ "vitals", "Type each value and press Enter; NEWS2 is scored as "
	    "values come. For choices type the letter shown.",
	    UI_G_UPDOWN | UI_G_TAB | UI_G_BACK | UI_G_LOCK | UI_G_TYPE },
	{ "alert", "A red flag: act on it now, then press F9 to say you have "
	    "seen it.", UI_G_BACK | UI_G_LOCK },
	{ "danger", "Tick each sign you see with its number or Space; any one "
	    "means urgent referral.", UI_G_UPDOWN | UI_G_BACK | UI_G_LOCK },
	{ "forms", "Choose a form with Up/Down and open it with Enter.",
	    UI_G_UPDOWN | UI_G_BACK | UI_G_LOCK },
	{ "form", "Answer each question and press Enter; the draft is kept "
	    "with every answer.",
	    UI_G_UPDOWN | UI_G_TAB | UI_G_BACK | UI_G_LOCK | UI_G_TYPE },
	{ "checkin", "Type your answers and press Enter to go on.",
	    UI_G_TAB | UI_G_TYPE },
	{ "call", "A call with the clinician. It rings until you press "
	    "Enter; F10 ends it. \"Secure\" shows only once the call is "
	    "encrypted.", UI_G_BACK | UI_G_LOCK },
	{ NULL, NULL, 0 },
};
/* clang-format on */

enum ui_action
ui_key_action(const char *screen, int key)
{
	const struct ui_key *k;

	for (k = ui_keys; k->key != 0; k++)
		if (k->screen != NULL && k->key == key && screen != NULL &&
		    strcmp(k->screen, screen) == 0)
			return k->action;
	for (k = ui_keys; k->key != 0; k++)
		if (k->screen == NULL && k->key == key)
			return k->action;
	return UI_A_NONE;
}
