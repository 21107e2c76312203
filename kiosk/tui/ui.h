/*
 * The kiosk's terminal UI: one poll loop that owns curses (kiosk/tui/ui.c),
 * one `const struct screen` per file (kiosk/tui/screen_*.c), every key binding
 * in one table (kiosk/tui/keys.c).  Key handlers return what happens next and
 * never draw; the loop draws the screen on top of the stack.
 *
 * The UI unlocks the store itself (passphrase typed inside curses, then
 * the keyring), so ui_run needs no kctx_open beforehand.  It locks again
 * after an idle time, wiping the key and clearing the screen.  In self
 * check-in mode a staff member unlocks once; patients then see only the
 * check-in flow, which returns to its start when idle, and leaving the
 * mode takes the staff passphrase again.
 *
 * Models stay outside: the store (kiosk/store/store.h), triage (clinical/triage.h),
 * devices (devices/device.h) and forms (forms/form.h) include no curses.
 * The visit itself (session, patient, vitals, device worker) lives in
 * kiosk/visit/visit.h without a terminal: struct ui holds one struct visit
 * and drives it; the visit never calls back here except through the say
 * callback this loop sets (ui.c).
 */
#ifndef KIOSK_UI_H
#define KIOSK_UI_H

#include <stddef.h>
#include <stdint.h>

#include "i18n.h"
#include "kiosk/call/call.h"
#include "kiosk/visit/emergency.h"
#include "kiosk/visit/visit.h"

struct kctx;

struct ui_opts {
	int checkin; /* patient self check-in mode */
	unsigned idle_lock_s; /* lock after this many idle seconds; 0
				   never */
	unsigned checkin_idle_s; /* check-in: clear a half-typed entry
				    after this many idle seconds; 0 never
				    (env OUTPOST_CHECKIN_IDLE_S) */
	long max_frames; /* stop after drawing this many frames (tests);
				   0 no limit */
	int speech; /* speak the check-in prompts (kiosk/tui/speech.c) */
	/* Calls (screen_call.c): baresip's ports, 0 each for the default
	 * (CALL_*_DEFAULT; `kiosk ui` has no options for them yet, tests
	 * set them); tests also set a sound source, a player and a
	 * recording directory (NULL: the board's ALSA device, none). */
	int call_sip_port, call_ctrl_port, call_rtp_port;
	const char *call_audio_source, *call_audio_player, *call_record_dir;
	const char *call_video_dev; /* where to look for cameras and the
				       framebuffer; NULL: /dev (tests) */
};

#define UI_IDLE_LOCK_DEFAULT_S 300
#define UI_CHECKIN_IDLE_DEFAULT_S 60
/* How often the background sync runs when nothing new was saved. */
#define UI_SYNC_INTERVAL_S VISIT_SYNC_INTERVAL_S
/* How often the home screen redraws to follow sync and alerts. */
#define UI_HOME_REFRESH_MS 3000
/* How often the consult screens redraw to follow the queue. */
#define CONSULT_REFRESH_MS 3000

/*
 * Run the UI on the node in CTX->data_dir until the user quits.  Returns
 * an exit status (0, or 1 after printing what went wrong on stderr once
 * the terminal is restored).  ui_run uses the defaults; `kiosk ui
 * [--checkin] [--idle-lock SECONDS]` (kiosk/cli/cmd_ui.c) sets them.
 */
int ui_run(struct kctx *ctx);
int ui_run_opts(struct kctx *ctx, const struct ui_opts *opts);

/* What a key handler asks the loop to do. */
enum ui_result {
	UI_UNHANDLED = 0, /* not mine: the loop may try global keys */
	UI_HANDLED, /* nothing visible changed */
	UI_REDRAW, /* draw again */
	UI_GOTO, /* push ui->next (set with ui_goto) */
	UI_REPLACE, /* replace the top screen with ui->next */
	UI_BACK, /* pop this screen */
	UI_HOME, /* pop to the first screen after unlock */
	UI_LOCK, /* lock now */
	UI_QUIT, /* leave the program */
};

/* Actions the key table maps keys to (kiosk/tui/keys.c). */
enum ui_action {
	UI_A_NONE = 0, /* not bound: text entry gets the key */
	UI_A_QUIT,
	UI_A_BACK,
	UI_A_HELP,
	UI_A_LOCK,
	UI_A_UP,
	UI_A_DOWN,
	UI_A_LEFT,
	UI_A_RIGHT,
	UI_A_NEXT, /* next field */
	UI_A_PREV, /* previous field */
	UI_A_ENTER, /* choose / confirm the field */
	UI_A_ERASE, /* delete the last character */
	UI_A_SAVE,
	UI_A_FIND,
	UI_A_NEW,
	UI_A_FORMS,
	UI_A_ACK, /* acknowledge a red flag */
	UI_A_TOGGLE, /* flip a yes/no field, cycle a choice */
	UI_A_FINISH, /* finish a form or a visit */
	UI_A_CHECKIN_EXIT,
	UI_A_DANGER, /* child danger signs (IMCI) */
	UI_A_LANGUAGE, /* the form's next language */
	UI_A_EMERGENCY, /* the CHW's emergency key */
	UI_A_CONSULT, /* consults: ask a clinician, the queue, answers */
	UI_A_CALL, /* call the consult's patient (wt-media's call screen) */
	UI_A_SIGN, /* sign the consult note */
	UI_A_CHECKIN, /* Home: hand the kiosk over for self check-in */
	UI_A_DUPS, /* Home: probable duplicates to resolve */
	UI_A_MERGE, /* merge the two records shown */
	UI_A_CANCEL, /* cancel a visit that recorded nothing */
	UI_A_TICK, /* not a key: the time the screen asked for (wake_ms) */
	UI_A_HANGUP, /* end or refuse the call */
	UI_A_MUTE, /* mute / unmute our microphone */
	UI_A_HOLD, /* hold / resume */
	UI_A_MODE, /* the CHW chooses the next step of the ladder */
	UI_A_RX, /* issue 14: the consult's prescriptions; on the patient
		  * screen, the documented allergies */
	UI_A_REFERRAL, /* referrals: refer from the visit, the list from Home */
	UI_A_REJECT, /* reject a referral (issue 14) */
	UI_A_DASH, /* Home, administrators: the region's figures (issue 17) */
	UI_A_WAITLIST, /* the patient screen: the waitlist (issue 15) */
	UI_A_APPT, /* the visit: the patient's appointments (issue 15) */
	UI_A_RESCHEDULE, /* move the chosen appointment to the chosen slot */
	UI_A_SCHEDULE, /* Home on a hub: the clinician's own schedule */
	UI_A_MFA, /* Home: set up the second factor (issue 17) */
	UI_A_BREAKGLASS, /* Find: another facility's patient (issue 17) */
};

struct ui_key {
	const char *screen; /* screen name, or NULL for every screen */
	int key; /* curses key code or character */
	enum ui_action action;
	const char *label; /* key as shown: "F2", "Enter" (N_: shown
			      through _()) */
	const char *help; /* what it does; NULL: not listed (N_) */
};

/* What F1 says about a screen besides its own keys: what the screen is
 * for, and which of the keys of every screen act there (UI_G_*). */
#define UI_G_BACK 0x1u /* Esc */
#define UI_G_LOCK 0x2u /* F12 */
#define UI_G_UPDOWN 0x4u /* Up, Down */
#define UI_G_TAB 0x8u /* Tab */
#define UI_G_TYPE 0x10u /* typing goes into the field marked > */
#define UI_G_EMERG 0x20u /* F11 (set by the loop while unlocked) */
struct ui_screen_help {
	const char *screen;
	const char *about;
	unsigned globals;
};
/* One row per screen, ending with a zero entry (kiosk/tui/keys.c). */
extern const struct ui_screen_help ui_screen_help[];

/* The one key table, ending with a zero entry. */
extern const struct ui_key ui_keys[];
/* The action KEY has on SCREEN (screen entries first, then global). */
enum ui_action ui_key_action(const char *screen, int key);

struct ui;

struct screen {
	const char *name;
	const char *title;
	void (*enter)(struct ui *); /* may be NULL */
	void (*draw)(struct ui *);
	enum ui_result (*key)(struct ui *, enum ui_action, int ch);
	void (*leave)(struct ui *); /* may be NULL */
};

/* The screens, one per file, and listed once by name in screens[]
 * (kiosk/tui/screens.c, NULL-terminated). */
extern const struct screen *const screens[];
/* The screen called NAME, or NULL. */
const struct screen *ui_screen_find(const char *name);
extern const struct screen screen_unlock;
extern const struct screen screen_home;
extern const struct screen screen_find;
extern const struct screen screen_patient;
extern const struct screen screen_register;
extern const struct screen screen_vitals;
extern const struct screen screen_alert;
extern const struct screen screen_danger;
extern const struct screen screen_forms;
extern const struct screen screen_form;
extern const struct screen screen_checkin;
extern const struct screen screen_consult_req;
extern const struct screen screen_consults;
extern const struct screen screen_consult_patient;
extern const struct screen screen_consult_note;
extern const struct screen screen_dups;
extern const struct screen screen_call;
extern const struct screen screen_rx;
extern const struct screen screen_rx_view;
/* F6 on a consult: its prescriptions, to write (the clinician who holds
 * it) or to read (kiosk/tui/screen_rx.c). */
enum ui_result screen_rx_open(struct ui *);
extern const struct screen screen_referral_new;
extern const struct screen screen_referrals;
extern const struct screen screen_dash;
/* The CALL NOW card (issue 16, kiosk/tui/screen_emergency.c). */
extern const struct screen screen_emergency;
/* The waitlist, F7 on the patient screen (issue 15, screen_waitlist.c). */
extern const struct screen screen_waitlist;
/* Appointments from the visit, and a hub clinician's schedule (issue 15,
 * kiosk/tui/screen_appt.c, screen_schedule.c). */
extern const struct screen screen_appt;
extern const struct screen screen_schedule;
struct tm;
/* "Thu 03 Dec" in the screen language (the C library's names are
 * English whatever the language) into OUT of LEN bytes. */
void ui_day_text(char *out, size_t len, const struct tm *tm);

/* Setting up the second factor (issue 17, kiosk/tui/screen_mfa_enrol.c):
 * FORCED when the policy's grace is over (Esc locks), REPLACE the top
 * screen (after the unlock) or go on top of it (F9 on Home). */
extern const struct screen screen_mfa_enrol;
/* Break-glass with a search on the server (issue 17, F7 on Find on an
 * enrolled node; kiosk/tui/screen_breakglass.c). */
extern const struct screen screen_breakglass;
enum ui_result screen_mfa_enrol_open(struct ui *, int forced, int replace);
/* A line of text input (UTF-8). */
#define UI_FIELD_MAX 128
struct ui_field {
	char buf[UI_FIELD_MAX];
	size_t len;
};
/* Apply an unbound key CH to F: printable characters are appended, the
 * erase action removes one character.  Returns 1 when F changed. */
int ui_field_key(struct ui_field *f, enum ui_action a, int ch);
void ui_field_set(struct ui_field *f, const char *s);
void ui_field_clear(struct ui_field *f); /* wipes */

/*
 * _() in the screens: gettext, and under the test-only
 * OUTPOST_TEXT_REPORT (kiosk/tui/ui.c) it also remembers which msgid each
 * translation came from, so text that does not fit is reported by its
 * msgid (never as drawn), and reports a string shown untranslated.
 */
const char *ui_tr(const char *msgid) __attribute__((format_arg(1)));
#undef _
#define _(s) ui_tr(s)

/*
 * Spoken prompts (kiosk/tui/speech.c, eSpeak NG): start returns 0, or -1
 * when eSpeak NG cannot start (then nothing is spoken); ui_speak says
 * TEXT in the voice of the screen language (i18n_get()), cutting the
 * last prompt short.  TEXT must be catalogue text, never patient data.
 */
int ui_speech_start(void);
void ui_speak(const char *text);
void ui_speech_stop(void);

/* Kinds of status line: the visit's (kiosk/visit/visit.h). */
#define UI_MSG_INFO VISIT_MSG_INFO
#define UI_MSG_OK VISIT_MSG_OK
#define UI_MSG_WARN VISIT_MSG_WARN
#define UI_MSG_DANGER VISIT_MSG_DANGER

/* The call engine while unlocked (kiosk/tui/screen_call.c). */
struct ui_call {
	struct call_engine *engine; /* NULL: no SIP account, or locked */
	int tried; /* start tried since unlock */
	char consult[40]; /* the consult's id (hex) the call is for */
	char peer[160]; /* SIP URI of the other node */
	int outgoing; /* we call (the hub) */
	int have_video; /* camera and display found */
	struct call_video video; /* what was found (call_video_probe) */
	char advice[2048]; /* the clinician's advice as it arrives */
	unsigned seen; /* status generation last drawn */
};

/* The UI: the terminal's state and the visit it shows.  Reset on lock. */
struct ui {
	struct kctx *ctx;
	struct ui_opts opts;
	struct visit visit; /* session, patient, vitals, devices */

	const struct screen *stack[8];
	int depth;
	const struct screen *next; /* for UI_GOTO / UI_REPLACE */

	char msg[200]; /* one status line */
	int msg_kind; /* UI_MSG_* */
	int help; /* help overlay shown */
	int quit_asked; /* "Quit the kiosk?" waits for Y */
	uint64_t wake_ms; /* clock_mono_ms() at which the top screen gets
			     UI_A_TICK (a countdown); 0 none */

	char prefill[UI_FIELD_MAX]; /* name typed on find, for register */
	char consult_id[UUID_STRLEN + 1]; /* the consult in hand (issue 13) */
	char last_user[64]; /* who was unlocked before the last lock: the
			       unlock screen offers that name again */
	int checkin; /* self check-in now (--checkin, or handed over) */
	int handed_over; /* check-in started from Home: the staff unlock
			    ends it and goes back Home */
	char staff_lang[8]; /* the staff's screen language, restored when
			       they take the kiosk back */
	struct ui_call call;
	/* Emergencies (issue 16): the newest open incident as the card and
	 * the status strip show it, read again every second while unlocked
	 * (ui_emergency_refresh); NULL until the first read. */
	struct visit_emerg *emerg;
	uint64_t emerg_read_ms; /* clock_mono_ms() of the last read */
};

/* The emergency key (F11 on any screen once unlocked, not in self
 * check-in): the card of the incident open, else a new incident raised at
 * once (manual: level 1 pages now) and its card; without a roster the card
 * says to phone (kiosk/tui/screen_emergency.c). */
enum ui_result ui_emergency_key(struct ui *);
/* Read the open incident again into ui->emerg (kiosk/tui/ui.c). */
void ui_emergency_refresh(struct ui *);

/* Hand the unlocked kiosk to patients for self check-in (Home, F7); the
 * staff take it back with F12 and their unlock. */
enum ui_result ui_checkin_start(struct ui *);

/*
 * Calls (kiosk/tui/screen_call.c).  screen_call_set says what the call
 * screen is for before ui_goto(u, &screen_call): the consult's id, the
 * other node's SIP URI, and whether we call (the hub) or are called.
 * screen_call_advice replaces the advice text shown during the call (the
 * consult record feeds it as the clinician writes).  The loop starts the
 * engine after unlock (ui_call_start, when the node has SIP credentials),
 * polls it (ui_call_poll: 1 redraw, 2 open the call screen because a call
 * rings) and stops it at lock (ui_call_stop).
 */
void screen_call_set(struct ui *, const char *consult_id_hex,
    const char *peer_uri, int outgoing);
void screen_call_advice(struct ui *, const char *text);
/* Why calls here are voice only (no camera, no screen), or NULL. */
const char *screen_call_voice_only(const struct ui *);
void ui_call_start(struct ui *);
int ui_call_poll(struct ui *);
int ui_call_fd(const struct ui *);
int ui_call_live(const struct ui *);
void ui_call_stop(struct ui *);

/* One frame of the top screen (or its F1 help when ui->help is set), as
 * the loop draws it: title, screen, message, key bar.  Tests render a
 * screen with it on a curses screen of their own. */
void ui_draw(struct ui *ui);
/* Screen navigation for key handlers: set the next screen and return
 * the result to give back to the loop. */
enum ui_result ui_goto(struct ui *, const struct screen *);
enum ui_result ui_replace(struct ui *, const struct screen *);
/* Up/Down in a list of N rows: moves *SEL within it and returns 1; 0 for
 * any other action. */
int ui_list_key(int *sel, int n, enum ui_action a);
/* Put a line in the status area (printf-style). */
void ui_message(struct ui *, int kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The stored sex code ("female", "male", "other", "unknown") in the
 * screen language; another value as it is. */
const char *ui_sex_name(const char *sex);
/* A warning for a store error ERR: CAUSE in words when the store gave
 * one, else ui_strerror(ERR). */
void ui_warn_cause(struct ui *, int err, const char *cause);
/* Words for an errno value a person can act on (visit_strerror). */
const char *ui_strerror(int err);
/* A cause from a lower layer in the screen's language: the rule texts
 * marked N_() where they are made (model/phone.c, kiosk/store/patient.c)
 * are in the catalogue; any other shows as written. */
const char *ui_cause(const char *cause);
/* A cause from the keyring (a wrong passphrase or code, a locked user)
 * in the screen's language, written into OUT of LEN bytes; any other
 * cause as it is. */
const char *ui_keyring_cause(const char *cause, char *out, size_t len);
/* Ask "Quit the kiosk?" on the status line: the next key quits if it is
 * Y, and goes on otherwise (UI_QUIT from a key handler asks this too). */
void ui_ask_quit(struct ui *);
/* F9 on a screen that shows the red flag: acknowledge it and say so;
 * returns DONE, or UI_REDRAW when the store refused (message set). */
enum ui_result ui_ack_key(struct ui *, enum ui_result done);

/* --- drawing helpers for screens (kiosk/tui/ui.c; curses stays there) --- */
enum ui_color {
	UI_C_NORMAL = 0,
	UI_C_TITLE,
	UI_C_OK,
	UI_C_WARN,
	UI_C_DANGER,
	UI_C_FOCUS,
	UI_C_DIM,
};
/* Text at row Y, column X in colour C, cut at the screen edge. */
void ui_text(int y, int x, enum ui_color c, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* S cut or padded with spaces to WIDTH characters (not bytes: labels and
 * names are UTF-8) into OUT of LEN bytes; returns OUT. */
char *ui_fit(char *out, size_t len, const char *s, int width);
/* Text centred on row Y. */
void ui_center(int y, enum ui_color c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A labelled input field; SECRET shows stars.  Focused fields show a
 * '>' marker as well as colour. */
void ui_field_draw(int y, int x, const char *label, int width,
    const struct ui_field *f, int focused, int secret);
/* TEXT wrapped at spaces to WIDTH columns from row Y, at most MAXROWS
 * rows; returns the row after the last one written. */
int ui_wrap(
    int y, int x, int width, int maxrows, enum ui_color c, const char *text);
/* Columns of UTF-8 text S (one per character, for the scripts the forms
 * ship in). */
int ui_width(const char *s);
/* How many rows ui_wrap needs for TEXT at WIDTH columns. */
int ui_wrap_rows(int width, const char *text);
/* Fill row Y with colour C. */
void ui_bar(int y, enum ui_color c);
/* Unix MS as local "YYYY-MM-DD HH:MM" into OUT of LEN; returns OUT. */
char *ui_when(int64_t ms, char *out, size_t len);
/* Rows and columns of the screen. */
int ui_rows(void);
int ui_cols(void);
/* Show or hide the cursor at Y, X (for text entry). */
void ui_cursor(int y, int x);

#endif
