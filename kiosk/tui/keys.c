/*
 * Every key binding of the kiosk UI, in one table: which key does what on
 * which screen, and the words the help overlay and the key bar show.
 * Screen entries come before the global ones (screen NULL) and win.
 * Text-entry screens bind only function and movement keys, so letters and
 * digits always reach the field being typed in.  Key names stay as printed
 * on the keyboard; what they do is marked N_() and translated where the
 * key bar and the help draw it (ui.c).
 */
#include <curses.h>
#include <string.h>

#include "ui.h"

#define CTRL(c) ((c)&0x1f)
#define ESC 27

/* clang-format off */
const struct ui_key ui_keys[] = {
	/* unlock */
	{ "unlock", '\n', UI_A_ENTER, "Enter", N_("next field / unlock") },
	{ "unlock", KEY_ENTER, UI_A_ENTER, NULL, NULL },
	{ "unlock", KEY_F(10), UI_A_QUIT, "F10", N_("quit") },

	/* home */
	{ "home", KEY_F(3), UI_A_FIND, "F3", N_("find a patient") },
	{ "home", '/', UI_A_FIND, "/", NULL },
	{ "home", KEY_F(4), UI_A_NEW, "F4", N_("register a patient") },
	{ "home", '\n', UI_A_ENTER, "Enter", N_("open the patient") },
	{ "home", KEY_ENTER, UI_A_ENTER, NULL, NULL },
	{ "home", KEY_F(10), UI_A_QUIT, "F10", N_("quit") },
	/* not in the key bar: the home screen's Consults line names it */
	{ "home", KEY_F(5), UI_A_CONSULT, "F5", NULL },
	{ "home", KEY_F(7), UI_A_CHECKIN, "F7", N_("patient check-in") },
	{ "home", KEY_F(6), UI_A_DUPS, "F6", N_("probable duplicates") },

	/* probable duplicates */
	{ "dups", KEY_F(2), UI_A_MERGE, "F2", N_("merge: same person") },
	{ "dups", 'd', UI_A_TOGGLE, "D", N_("different people") },
	{ "dups", 'D', UI_A_TOGGLE, NULL, NULL },

	/* find */
	{ "find", '\n', UI_A_ENTER, "Enter", N_("open the patient") },
	{ "find", KEY_ENTER, UI_A_ENTER, NULL, NULL },
	{ "find", KEY_F(4), UI_A_NEW, "F4", N_("register a new patient") },

	/* the patient before the visit */
	{ "patient", '\n', UI_A_ENTER, "Enter", N_("start the visit") },
	{ "patient", KEY_ENTER, UI_A_ENTER, NULL, NULL },
	{ "patient", KEY_F(6), UI_A_RX, "F6", N_("documented allergies") },

	/* register */
	{ "register", KEY_F(2), UI_A_SAVE, "F2", N_("save the patient") },
	{ "register", '\n', UI_A_ENTER, "Enter", N_("next field") },
	{ "register", KEY_ENTER, UI_A_ENTER, NULL, NULL },

	/* vitals */
	{ "vitals", '\n', UI_A_ENTER, "Enter", N_("save the value") },
	{ "vitals", KEY_ENTER, UI_A_ENTER, NULL, NULL },
	{ "vitals", ' ', UI_A_TOGGLE, "Space", N_("oxygen yes/no, next ACVPU") },
	{ "vitals", KEY_F(5), UI_A_FORMS, "F5", N_("forms") },
	{ "vitals", KEY_F(6), UI_A_DANGER, "F6", N_("danger signs") },
	{ "vitals", KEY_F(8), UI_A_FINISH, "F8", N_("end visit") },
	{ "vitals", KEY_F(9), UI_A_ACK, "F9", N_("acknowledge") },
	{ "vitals", KEY_F(11), UI_A_EMERGENCY, "F11", N_("EMERGENCY") },
	{ "vitals", KEY_F(7), UI_A_CONSULT, "F7", N_("ask a clinician") },
	{ "vitals", KEY_F(4), UI_A_CANCEL, "F4", N_("cancel (nothing recorded)") },

	/* alert */
	{ "alert", KEY_F(9), UI_A_ACK, "F9", N_("acknowledge: I have seen it") },

	/* child danger signs */
	{ "danger", ' ', UI_A_TOGGLE, "Space", N_("tick / untick the sign") },
	{ "danger", KEY_F(9), UI_A_ACK, "F9", N_("acknowledge the red flag") },

	/* forms */
	{ "forms", '\n', UI_A_ENTER, "Enter", N_("open the form") },
	{ "forms", KEY_ENTER, UI_A_ENTER, NULL, NULL },

	/* form */
	{ "form", '\n', UI_A_ENTER, "Enter", N_("save the answer") },
	{ "form", KEY_ENTER, UI_A_ENTER, NULL, NULL },
	{ "form", KEY_LEFT, UI_A_LEFT, "Left", N_("previous choice") },
	{ "form", KEY_RIGHT, UI_A_RIGHT, "Right", N_("next choice") },
	{ "form", KEY_F(6), UI_A_LANGUAGE, "F6", N_("next language") },
	{ "form", KEY_F(7), UI_A_TOGGLE, "F7", N_("tick / untick the choice") },
	{ "form", KEY_F(10), UI_A_FINISH, "F10", N_("finish the form") },

	/* consults (issue 13) */
	{ "consult_req", KEY_F(2), UI_A_SAVE, "F2", N_("ask for the clinician") },
	{ "consult_req", KEY_LEFT, UI_A_LEFT, "Left", N_("previous mode") },
	{ "consult_req", KEY_RIGHT, UI_A_RIGHT, "Right", N_("next mode") },
	{ "consult_req", KEY_F(8), UI_A_FINISH, "F8", N_("cancel the consult") },
	{ "consults", '\n', UI_A_ENTER, "Enter", N_("accept / open the consult") },
	{ "consults", KEY_ENTER, UI_A_ENTER, NULL, NULL },
	{ "consult_patient", KEY_F(2), UI_A_SAVE, "F2", N_("write the note") },
	{ "consult_patient", KEY_F(7), UI_A_CALL, "F7", N_("call") },
	{ "consult_patient", KEY_F(8), UI_A_FINISH, "F8",
	    N_("return to the queue") },
	{ "consult_note", KEY_F(2), UI_A_SAVE, "F2", N_("save the note") },
	{ "consult_note", KEY_F(8), UI_A_SIGN, "F8", N_("sign the note") },
	{ "consult_note", '\n', UI_A_NEXT, "Enter", N_("next field") },
	{ "consult_note", KEY_ENTER, UI_A_NEXT, NULL, NULL },
	{ "consult_note", KEY_F(6), UI_A_RX, "F6", N_("prescriptions") },
	{ "rx", KEY_F(2), UI_A_SAVE, "F2", N_("check the order") },
	{ "rx", KEY_F(8), UI_A_SIGN, "F8", N_("sign the order") },
	{ "rx", KEY_LEFT, UI_A_LEFT, "Left", N_("previous medicine") },
	{ "rx", KEY_RIGHT, UI_A_RIGHT, "Right", N_("next medicine") },
	{ "rx", '\n', UI_A_NEXT, "Enter", N_("next field") },
	{ "rx", KEY_ENTER, UI_A_NEXT, NULL, NULL },
	{ "rx_view", ESC, UI_A_BACK, "Esc", N_("back to the answer") },

	/* referrals (issue 14) */
	{ "home", KEY_F(8), UI_A_REFERRAL, "F8", N_("referrals") },
	{ "vitals", KEY_F(3), UI_A_REFERRAL, "F3", N_("refer the patient") },
	{ "consult_patient", KEY_F(3), UI_A_REFERRAL, "F3", N_("refer the patient") },
	{ "referral_new", KEY_F(2), UI_A_SAVE, "F2", N_("refer") },
	{ "referral_new", '\n', UI_A_NEXT, "Enter", N_("next field") },
	{ "referral_new", KEY_ENTER, UI_A_NEXT, NULL, NULL },
	{ "referral_new", KEY_LEFT, UI_A_LEFT, "Left", N_("less urgent") },
	{ "referral_new", KEY_RIGHT, UI_A_RIGHT, "Right", N_("more urgent") },
	{ "referrals", KEY_F(2), UI_A_SAVE, "F2", N_("accept the referral") },
	{ "referrals", KEY_F(9), UI_A_ACK, "F9", N_("the patient was seen") },
	{ "referrals", KEY_F(6), UI_A_REJECT, "F6", N_("reject, with the reason") },
	{ "referrals", KEY_F(8), UI_A_CANCEL, "F8", N_("cancel our referral") },
	{ "referrals", KEY_F(7), UI_A_FINISH, "F7", N_("record the follow-up outcome") },
	{ "referrals", KEY_LEFT, UI_A_LEFT, "Left", N_("previous outcome") },
	{ "referrals", KEY_RIGHT, UI_A_RIGHT, "Right", N_("next outcome") },

	/* the region's figures (issue 17), administrators */
	{ "home", KEY_F(2), UI_A_DASH, "F2", N_("region figures (administrators)") },
	{ "dash", '\n', UI_A_ENTER, "Enter", N_("open the facility") },
	{ "dash", KEY_ENTER, UI_A_ENTER, NULL, NULL },

	/* the CALL NOW card (issue 16) */
	{ "emergency", KEY_F(2), UI_A_SAVE, "F2", N_("phoned: coming") },
	{ "emergency", KEY_F(9), UI_A_ACK, "F9", N_("arrived") },
	{ "emergency", KEY_F(8), UI_A_CANCEL, "F8", N_("cancel") },
	{ "emergency", KEY_F(6), UI_A_NEW, "F6", N_("note") },
	{ "emergency", '\n', UI_A_ENTER, "Enter", N_("send now (NEWS2 window)") },
	{ "emergency", KEY_ENTER, UI_A_ENTER, NULL, NULL },
	/* not in the key bar: the urgent band's line names it */
	{ "alert", KEY_F(7), UI_A_CONSULT, "F7", NULL },

	/* appointments (issue 15) */
	{ "vitals", KEY_F(2), UI_A_APPT, "F2", N_("appointments") },
	{ "appt", KEY_F(2), UI_A_SAVE, "F2", N_("book the slot") },
	{ "appt", KEY_F(6), UI_A_RESCHEDULE, "F6", N_("move to the slot") },
	{ "appt", KEY_F(8), UI_A_CANCEL, "F8", N_("cancel, with a reason") },
	{ "appt", '\n', UI_A_ENTER, "Enter",
	    N_("a refused one: its alternatives; cancelling: confirm") },
	{ "appt", KEY_ENTER, UI_A_ENTER, NULL, NULL },
	{ "home", KEY_F(9), UI_A_SCHEDULE, "F9",
	    N_("my schedule (clinicians on a hub)") },
	{ "schedule", '\n', UI_A_ENTER, "Enter", N_("open the patient") },
	{ "schedule", KEY_ENTER, UI_A_ENTER, NULL, NULL },

	/* self check-in */
	{ "checkin", '\n', UI_A_ENTER, "Enter", N_("continue") },
	{ "checkin", KEY_ENTER, UI_A_ENTER, NULL, NULL },
	{ "checkin", KEY_F(12), UI_A_CHECKIN_EXIT, "F12", N_("staff: leave") },

	/* call */
	{ "call", '\n', UI_A_ENTER, "Enter", N_("answer the call") },
	{ "call", KEY_ENTER, UI_A_ENTER, NULL, NULL },
	{ "call", KEY_F(5), UI_A_MUTE, "F5", N_("mute / unmute") },
	{ "call", KEY_F(6), UI_A_HOLD, "F6", N_("hold / resume") },
	{ "call", KEY_F(7), UI_A_MODE, "F7", N_("thinner link: next step down") },
	{ "call", KEY_F(10), UI_A_HANGUP, "F10", N_("end or refuse the call") },

	/* the waitlist (issue 15) */
	{ "patient", KEY_F(7), UI_A_WAITLIST, "F7", N_("waitlist") },
	{ "waitlist", KEY_F(2), UI_A_SAVE, "F2", N_("list the patient") },
	{ "waitlist", '\n', UI_A_ENTER, "Enter", N_("accept the offer") },
	{ "waitlist", KEY_ENTER, UI_A_ENTER, NULL, NULL },
	{ "waitlist", KEY_F(8), UI_A_REJECT, "F8", N_("decline the offer") },
	{ "waitlist", KEY_F(6), UI_A_CANCEL, "F6", N_("take the entry off the list") },
	{ "waitlist", KEY_LEFT, UI_A_LEFT, "Left", N_("more urgent") },
	{ "waitlist", KEY_RIGHT, UI_A_RIGHT, "Right", N_("less urgent") },

	/* the second factor (issue 17): M on Home while the grace runs
	 * (the unlock message names it; F9 is a hub clinician's schedule) */
	{ "home", 'm', UI_A_MFA, "M", NULL },
	{ "home", 'M', UI_A_MFA, NULL, NULL },
	{ "mfa_enrol", '\n', UI_A_ENTER, "Enter", N_("check the code / go on") },
	{ "mfa_enrol", KEY_ENTER, UI_A_ENTER, NULL, NULL },
	/* break-glass (issue 17): not in Find's key bar; Find names it on
	 * an enrolled node, where it works */
	{ "find", KEY_F(7), UI_A_BREAKGLASS, "F7", NULL },
	{ "breakglass", '\n', UI_A_ENTER, "Enter", N_("search / choose / go on") },
	{ "breakglass", KEY_ENTER, UI_A_ENTER, NULL, NULL },

	/* every screen */
	{ NULL, KEY_F(1), UI_A_HELP, "F1", N_("help: the keys of this screen") },
	{ NULL, ESC, UI_A_BACK, "Esc", N_("back") },
	{ NULL, KEY_F(12), UI_A_LOCK, "F12", N_("lock the kiosk") },
	{ NULL, KEY_F(11), UI_A_EMERGENCY, "F11", N_("EMERGENCY: the CALL NOW card") },
	{ NULL, KEY_UP, UI_A_UP, "Up/Down", N_("move up and down") },
	{ NULL, KEY_DOWN, UI_A_DOWN, NULL, NULL }, /* listed with Up */
	{ NULL, '\t', UI_A_NEXT, "Tab", N_("next field") },
	{ NULL, KEY_BTAB, UI_A_PREV, NULL, NULL },
	{ NULL, KEY_BACKSPACE, UI_A_ERASE, NULL, NULL },
	{ NULL, 127, UI_A_ERASE, NULL, NULL },
	{ NULL, CTRL('H'), UI_A_ERASE, NULL, NULL },
	{ NULL, 0, UI_A_NONE, NULL, NULL },
};
/* clang-format on */

/* clang-format off */
const struct ui_screen_help ui_screen_help[] = {
	{ "unlock", N_("Type your user name and your passphrase or PIN, then "
	    "Enter."), UI_G_UPDOWN | UI_G_TAB | UI_G_TYPE },
	{ "home", N_("Red flags waiting come first, then today's and "
	    "tomorrow's appointments, then today's patients. Up/Down "
	    "chooses, Enter opens."),
	    UI_G_UPDOWN | UI_G_LOCK },
	{ "find", N_("Type a name (typos are fine), phone, village, birth year "
	    "or id; choose with Up/Down, open with Enter."),
	    UI_G_UPDOWN | UI_G_BACK | UI_G_LOCK | UI_G_TYPE },
	{ "patient", N_("Who the patient is and what was done before. Enter "
	    "starts the visit; Esc goes back without one."),
	    UI_G_BACK | UI_G_LOCK },
	{ "register", N_("Fill the fields (given and family name are needed), "
	    "then F2 saves."),
	    UI_G_UPDOWN | UI_G_TAB | UI_G_BACK | UI_G_LOCK | UI_G_TYPE },
	{ "vitals", N_("Type each value and press Enter; NEWS2 is scored as "
	    "values come. For choices type the letter shown."),
	    UI_G_UPDOWN | UI_G_TAB | UI_G_BACK | UI_G_LOCK | UI_G_TYPE },
	{ "alert", N_("A red flag: act on it now, then press F9 to say you have "
	    "seen it."), UI_G_BACK | UI_G_LOCK },
	{ "danger", N_("Tick each sign you see with its number or Space; any one "
	    "means urgent referral."), UI_G_UPDOWN | UI_G_BACK | UI_G_LOCK },
	{ "forms", N_("Choose a form with Up/Down and open it with Enter."),
	    UI_G_UPDOWN | UI_G_BACK | UI_G_LOCK },
	{ "form", N_("Answer each question and press Enter; the draft is kept "
	    "with every answer."),
	    UI_G_UPDOWN | UI_G_TAB | UI_G_BACK | UI_G_LOCK | UI_G_TYPE },
	{ "dups", N_("Pairs check-in or registration thought may be one person. "
	    "F2 merges the lower record into the upper one; D says they "
	    "are different people."), UI_G_UPDOWN | UI_G_BACK | UI_G_LOCK },
	{ "checkin", N_("Type your answers and press Enter to go on."),
	    UI_G_TAB | UI_G_TYPE },
	{ "consult_req", N_("Say why a clinician is needed, choose how "
	    "(Left/Right), then F2. The queue position shows after the "
	    "next sync."), UI_G_BACK | UI_G_LOCK | UI_G_TYPE },
	{ "consults", N_("Waiting consults, most urgent first, then the "
	    "longest waiting. Enter accepts one."),
	    UI_G_UPDOWN | UI_G_BACK | UI_G_LOCK },
	{ "consult_patient", N_("The consult's patient: vital signs with "
	    "their trend, red flags, visits, forms and attachments."),
	    UI_G_BACK | UI_G_LOCK },
	{ "consult_note", N_("Write the SOAP note, F2 saves it, F8 signs "
	    "it with your key."),
	    UI_G_UPDOWN | UI_G_TAB | UI_G_BACK | UI_G_LOCK | UI_G_TYPE },
	{ "rx_view", N_("The consult's prescriptions: each order, its "
	    "status and whether its signature verifies. Give only what "
	    "verifies."), UI_G_LOCK },
	{ "rx", N_("The consult's prescriptions: choose the medicine, type "
	    "dose, doses a day and days; F2 checks, F8 signs. A warning needs "
	    "a reason."),
	    UI_G_TAB | UI_G_BACK | UI_G_LOCK | UI_G_TYPE },
	{ "call", N_("A call with the clinician. It rings until you press "
	    "Enter; F10 ends it. \"Secure\" shows only once the call is "
	    "encrypted."), UI_G_BACK | UI_G_LOCK },
	{ "referral_new", N_("Type the facility, why, and in how many days "
	    "the patient should be seen; Left/Right urgency; F2 refers."),
	    UI_G_BACK | UI_G_LOCK | UI_G_TYPE },
	{ "emergency", N_("Phone the services, nearest first, and read the "
	    "script. F2: one is coming. F9: help arrived. F8: cancel, with "
	    "why."), UI_G_BACK | UI_G_LOCK },
	{ "referrals", N_("Referrals to this facility (IN) and from it (OUT) "
	    "with their status. A follow-up shows when one was not seen by "
	    "its due date."), UI_G_UPDOWN | UI_G_BACK | UI_G_LOCK | UI_G_TYPE },
	{ "dash", N_("The region's figures as the server last sent them, "
	    "with their age. Enter opens a facility and its kiosks; Esc goes "
	    "back."), UI_G_UPDOWN | UI_G_BACK | UI_G_LOCK },
	{ "waitlist", N_("Waitlist entries and any slot offered to the patient. "
	    "Enter accepts, F8 declines; F2 lists the patient."),
	    UI_G_UPDOWN | UI_G_TAB | UI_G_BACK | UI_G_LOCK | UI_G_TYPE },
	{ "appt", N_("The patient's appointments and the facility's free "
	    "slots of the next 7 days; Tab switches list. Without a link a "
	    "booking is proposed."),
	    UI_G_UPDOWN | UI_G_TAB | UI_G_BACK | UI_G_LOCK },
	{ "schedule", N_("Your appointments today and the next 6 days as "
	    "this hub pulled them: patient, village, status, checked in or "
	    "not."),
	    UI_G_UPDOWN | UI_G_BACK | UI_G_LOCK },
	{ "mfa_enrol", N_("Scan the QR code with an authenticator app (or type "
	    "the key), then type its 6-digit code and Enter. Wrong codes "
	    "count."),
	    UI_G_BACK | UI_G_LOCK | UI_G_TYPE },
	{ "breakglass", N_("A patient of another facility: search the region, "
	    "choose, write why (10 letters or more), confirm. All is "
	    "recorded."),
	    UI_G_UPDOWN | UI_G_BACK | UI_G_LOCK | UI_G_TYPE },
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
