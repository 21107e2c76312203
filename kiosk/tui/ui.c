/*
 * The UI loop and everything that touches the terminal as a whole: curses
 * setup and teardown, colours, the key bar and help overlay drawn from the
 * key table, the idle lock, and restoring the terminal on a fatal error or
 * signal.  Screens (kiosk/tui/screen_*.c) draw their own body with the
 * helpers here and never set curses modes.
 *
 * One thread owns curses.  The device worker (kiosk/visit/devices.c) posts
 * readings through a pipe; the loop polls stdin and that pipe, and the
 * visit (kiosk/visit/visit.h) speaks to the status line only through the
 * say callback set here.  stderr
 * is sent to the node's log file while curses runs, so nothing but curses
 * reaches the terminal.
 */
#define LOG_MODULE "ui"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "clock.h"
#include "compat.h"
#include "kiosk/kctx.h"
#include "log.h"
#include "str.h"
#include "ui.h"
#include "xmalloc.h"

static int curses_on;
static int saved_stderr = -1;
static volatile sig_atomic_t got_stop;

/* Restore the terminal: safe to call twice, and from the fatal hook. */
static void
ui_restore(void)
{
	if (curses_on) {
		curses_on = 0;
		curs_set(1);
		endwin();
	}
	if (saved_stderr >= 0) {
		dup2(saved_stderr, 2);
		close(saved_stderr);
		saved_stderr = -1;
	}
}

static void
on_stop(int sig)
{
	(void)sig;
	got_stop = 1;
}

/* A crash: put the terminal back before the default action (htop's
 * CRT_handleSIGSEGV does the same). */
static void
on_crash(int sig)
{
	if (curses_on)
		endwin();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
ui_start_curses(const char *logpath)
{
	struct sigaction sa;
	const char *why = NULL;
	int fd;

	/* UTF-8 whatever LANG says; the language of the screens */
	if (i18n_init(&why) != 0)
		log_warnx("%s", why);
	/* stderr goes to the log while curses owns the terminal (T6) */
	fd = open(logpath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		saved_stderr = dup(2);
		dup2(fd, 2);
		close(fd);
	}
	log_set_fatal_hook(ui_restore);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_crash;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (initscr() == NULL)
		fatalx("cannot initialise the terminal");
	curses_on = 1;
	set_escdelay(25);
	raw();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	if (has_colors()) {
		start_color();
		use_default_colors();
		init_pair(UI_C_TITLE, COLOR_WHITE, COLOR_BLUE);
		init_pair(UI_C_OK, COLOR_GREEN, -1);
		init_pair(UI_C_WARN, COLOR_YELLOW, -1);
		init_pair(UI_C_DANGER, COLOR_WHITE, COLOR_RED);
		init_pair(UI_C_FOCUS, COLOR_BLACK, COLOR_CYAN);
		init_pair(UI_C_DIM, COLOR_CYAN, -1);
	}
}

static attr_t
attr_of(enum ui_color c)
{
	attr_t a = c == UI_C_NORMAL ? A_NORMAL : COLOR_PAIR(c);

	if (c == UI_C_DANGER || c == UI_C_TITLE || c == UI_C_WARN)
		a |= A_BOLD;
	if (!has_colors() && (c == UI_C_FOCUS || c == UI_C_DANGER))
		a |= A_REVERSE;
	return a;
}

char *
ui_when(int64_t ms, char *out, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	if (len > 0 && strftime(out, len, "%Y-%m-%d %H:%M", &tm) == 0)
		out[0] = '\0';
	return out;
}

int
ui_rows(void)
{
	return LINES;
}

int
ui_cols(void)
{
	return COLS;
}

/*
 * Test-only report of screen text that does not fit (OUTPOST_TEXT_REPORT
 * names a file; tests/tui/lang.sh reads it).  Each line is a kind, the
 * screen and the catalogue msgid of the text (never the text as drawn,
 * which may hold patient data):
 *   cut SCREEN MSGID           past the right edge or past its rows
 *   overlap SCREEN MSGID MSGID drawn over other text on its row
 *   untranslated LANG MSGID    shown in English while LANG is not "en"
 * A format that is not a catalogue string ("%s") is named "-".  ui_tr()
 * remembers which msgid each translation came from, so a cut can be
 * traced back to the string to shorten.
 */
static FILE *report;
static int report_checked;
static const char *report_screen = "-";
static struct {
	const char *tr, *id;
} tr_seen[2048];
static struct span {
	int y, x0, x1;
	const char *id;
} spans[512];
static int nspans;

static int
reporting(void)
{
	const char *p;

	if (!report_checked) {
		report_checked = 1;
		if ((p = getenv("OUTPOST_TEXT_REPORT")) != NULL && p[0] != '\0')
			report = fopen(p, "ae");
		if (report != NULL)
			setvbuf(report, NULL, _IOLBF, 0);
	}
	return report != NULL;
}

/* MSGID as one line: newlines and tabs escaped. */
static void
report_id(const char *id)
{
	fputc('\t', report);
	for (; *id != '\0'; id++)
		if (*id == '\n')
			fputs("\\n", report);
		else if (*id == '\t')
			fputs("\\t", report);
		else
			fputc(*id, report);
}

/* The msgid that TR was translated from, or "-". */
static const char *
msgid_of(const char *tr)
{
	size_t i, h = ((uintptr_t)tr >> 3) % nitems(tr_seen);

	for (i = 0; tr != NULL && i < nitems(tr_seen); i++) {
		if (tr_seen[h].tr == NULL)
			break;
		if (tr_seen[h].tr == tr)
			return tr_seen[h].id;
		h = (h + 1) % nitems(tr_seen);
	}
	return "-";
}

static void
report_line(const char *kind, const char *a, const char *b)
{
	fprintf(report, "%s\t%s", kind, report_screen);
	report_id(a);
	if (b != NULL)
		report_id(b);
	fputc('\n', report);
}

const char *
ui_tr(const char *msgid)
{
	const char *tr = gettext(msgid);
	size_t i, h;

	if (!reporting())
		return tr;
	h = ((uintptr_t)tr >> 3) % nitems(tr_seen);
	for (i = 0; i < nitems(tr_seen); i++) {
		if (tr_seen[h].tr == NULL || tr_seen[h].tr == tr) {
			tr_seen[h].tr = tr;
			tr_seen[h].id = msgid;
			break;
		}
		h = (h + 1) % nitems(tr_seen);
	}
	/* gettext returns the msgid itself when no catalogue has it */
	if (tr == msgid && strcmp(i18n_get(), "en") != 0 && msgid[0] != '\0')
		fprintf(report, "untranslated\t%s", i18n_get()),
		    report_id(msgid), fputc('\n', report);
	return tr;
}

/* Bytes of S's longest start that takes at most COLS columns on the
 * terminal; its columns in *WIDTH. */
static size_t
text_fit(const char *s, int cols, int *width)
{
	wchar_t wc;
	mbstate_t st;
	size_t n, off = 0;
	int w = 0, cw;

	memset(&st, 0, sizeof(st));
	while (s[off] != '\0') {
		n = mbrtowc(&wc, s + off, MB_CUR_MAX, &st);
		if (n == (size_t)-1 || n == (size_t)-2) {
			memset(&st, 0, sizeof(st));
			n = 1;
			cw = 1;
		} else
			cw = (cw = wcwidth(wc)) < 0 ? 1 : cw;
		if (w + cw > cols)
			break;
		w += cw;
		off += n;
	}
	*width = w;
	return off;
}

/* Columns S takes on the terminal. */
static int
text_width(const char *s)
{
	int w;

	text_fit(s, INT_MAX, &w);
	return w;
}

/* Spoken prompts: on during a check-in frame with --speech; what the
 * centred lines of this frame say, and what was last spoken. */
static int speaking;
static char prompt[1024], spoken[1024];

static void
add_prompt(const char *s)
{
	size_t n = strlen(prompt);

	snprintf(prompt + n, sizeof(prompt) - n, "%s%s", n ? " " : "", s);
}

/* The catalogue string being drawn when the format is not it (a
 * centred line, a wrapped text, the status line); NULL: the format. */
static const char *draw_id;

/* LINE of format FMT drawn at Y, X: report what is cut or overlaps. */
static void
check_fit(int y, int x, const char *fmt, const char *line)
{
	char trimmed[512];
	const char *id = msgid_of(draw_id != NULL ? draw_id : fmt);
	size_t n = strlen(line);
	int i, lead = 0, end;

	/* spaces around the text pad it: they hide nothing */
	while (n > 0 && line[n - 1] == ' ')
		n--;
	memcpy(trimmed, line, n);
	trimmed[n] = '\0';
	while (trimmed[lead] == ' ')
		lead++;
	end = x + text_width(trimmed);
	if (end > COLS)
		report_line("cut", id, NULL);
	if (end <= x + lead)
		return;
	for (i = 0; i < nspans; i++)
		if (spans[i].y == y && x + lead < spans[i].x1 &&
		    spans[i].x0 < end)
			report_line("overlap", id, spans[i].id);
	if (nspans < (int)nitems(spans))
		spans[nspans++] = (struct span){ y, x + lead, end, id };
}

static void
vtext(int y, int x, enum ui_color c, const char *fmt, va_list ap)
{
	char line[512];
	int w;

	if (y < 0 || y >= LINES || x < 0 || x >= COLS)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (reporting())
		check_fit(y, x, fmt, line);
	attrset(attr_of(c));
	/* cut by columns, not bytes: accented text fills the row */
	mvaddnstr(y, x, line, (int)text_fit(line, COLS - x, &w));
	attrset(A_NORMAL);
}

void
ui_text(int y, int x, enum ui_color c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vtext(y, x, c, fmt, ap);
	va_end(ap);
}

void
ui_center(int y, enum ui_color c, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int x;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	x = (COLS - text_width(line)) / 2;
	/* a prompt to speak: catalogue text alone, no arguments (so never
	 * a name or anything typed) */
	if (speaking && strchr(fmt, '%') == NULL)
		add_prompt(line);
	draw_id = fmt;
	ui_text(y, x < 0 ? 0 : x, c, "%s", line);
	draw_id = NULL;
}

/* TEXT wrapped at spaces, rows Y up to (not including) row END; only
 * counted when DRAW is 0. */
static int
wrap_draw(int y, int x, int width, int maxrows, enum ui_color c,
    const char *text, int end, int draw)
{
	const char *p = text, *cut, *was = draw_id;
	int n, rows = 0;

	if (draw_id == NULL)
		draw_id = text;
	while (*p != '\0' && rows++ < maxrows && y < end) {
		n = (int)strlen(p);
		if (n > width) {
			for (cut = p + width; cut > p && *cut != ' '; cut--)
				;
			n = cut > p ? (int)(cut - p) : width;
		}
		if (draw)
			ui_text(y, x, c, "%.*s", n, p);
		y++;
		p += n;
		while (*p == ' ')
			p++;
	}
	/* rows ran out before the text did: the rest is not shown */
	if (*p != '\0' && reporting())
		report_line("cut", msgid_of(draw_id), NULL);
	draw_id = was;
	return y;
}

static int
wrap_until(int y, int x, int width, int maxrows, enum ui_color c,
    const char *text, int end)
{
	return wrap_draw(y, x, width, maxrows, c, text, end, 1);
}

int
ui_wrap_rows(int width, const char *text)
{
	return text == NULL || width < 1
	    ? 0
	    : wrap_draw(0, 0, width, 1000, UI_C_NORMAL, text, 1000, 0);
}

int
ui_wrap(int y, int x, int width, int maxrows, enum ui_color c, const char *text)
{
	return wrap_until(y, x, width, maxrows, c, text, LINES - 2);
}

void
ui_bar(int y, enum ui_color c)
{
	if (y < 0 || y >= LINES)
		return;
	attrset(attr_of(c));
	mvhline(y, 0, ' ', COLS);
	attrset(A_NORMAL);
}

static int cursor_y = -1, cursor_x;
static const char *msg_fmt; /* the catalogue string of ui->msg */

void
ui_cursor(int y, int x)
{
	cursor_y = y;
	cursor_x = x;
}

int
ui_width(const char *s)
{
	int n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

char *
ui_fit(char *out, size_t len, const char *s, int width)
{
	size_t o = 0, n;
	int w = 0;

	if (s == NULL)
		s = "";
	while (*s != '\0' && w < width) {
		/* one character: a lead byte and its continuation bytes */
		for (n = 1; ((unsigned char)s[n] & 0xc0) == 0x80; n++)
			;
		if (o + n >= len)
			break;
		memcpy(out + o, s, n);
		o += n;
		s += n;
		w++;
	}
	for (; w < width && o + 1 < len; w++)
		out[o++] = ' ';
	out[o] = '\0';
	return out;
}

void
ui_field_draw(int y, int x, const char *label, int width,
    const struct ui_field *f, int focused, int secret)
{
	char shown[UI_FIELD_MAX];
	size_t i, n = 0;

	/* a label longer than its 16 columns runs under the field */
	if (reporting() && text_width(label) > 16)
		report_line("cut", msgid_of(label), NULL);
	ui_text(y, x, focused ? UI_C_FOCUS : UI_C_NORMAL, "%c %-16s",
	    focused ? '>' : ' ', label);
	if (secret) {
		/* one star per character, not per byte */
		for (i = 0; i < f->len && n + 1 < sizeof(shown); i++)
			if (((unsigned char)f->buf[i] & 0xc0) != 0x80)
				shown[n++] = '*';
		shown[n] = '\0';
	} else {
		memcpy(shown, f->buf, f->len + 1);
		n = (size_t)ui_width(shown);
	}
	/* pad by characters, not bytes: names are UTF-8 */
	ui_text(y, x + 19, UI_C_NORMAL, "[%s%*s]", shown,
	    (int)n < width ? width - (int)n : 0, "");
	if (focused)
		ui_cursor(y, x + 20 + (int)n);
}

/* --- fields --- */

int
ui_field_key(struct ui_field *f, enum ui_action a, int ch)
{
	char u[8];
	size_t n;
	mbstate_t st;

	if (a == UI_A_ERASE) {
		if (f->len == 0)
			return 0;
		/* drop one UTF-8 character */
		do
			f->len--;
		while (f->len > 0 &&
		    ((unsigned char)f->buf[f->len] & 0xc0) == 0x80);
		f->buf[f->len] = '\0';
		return 1;
	}
	if (a != UI_A_NONE || ch < 32 || ch == 127)
		return 0;
	memset(&st, 0, sizeof(st));
	n = wcrtomb(u, (wchar_t)ch, &st);
	if (n == (size_t)-1 || f->len + n >= sizeof(f->buf))
		return 0;
	memcpy(f->buf + f->len, u, n);
	f->len += n;
	f->buf[f->len] = '\0';
	return 1;
}

void
ui_field_set(struct ui_field *f, const char *s)
{
	size_t n = s == NULL ? 0 : strlen(s);

	if (n >= sizeof(f->buf))
		n = sizeof(f->buf) - 1;
	memcpy(f->buf, s == NULL ? "" : s, n);
	f->buf[n] = '\0';
	f->len = n;
}

void
ui_field_clear(struct ui_field *f)
{
	explicit_bzero(f, sizeof(*f));
}

/* --- messages and navigation --- */

void
ui_message(struct ui *ui, int kind, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ui->msg, sizeof(ui->msg), fmt, ap);
	va_end(ap);
	ui->msg_kind = kind;
	msg_fmt = fmt;
}

int
ui_list_key(int *sel, int n, enum ui_action a)
{
	if (a == UI_A_UP) {
		if (*sel > 0)
			(*sel)--;
		return 1;
	}
	if (a == UI_A_DOWN) {
		if (*sel + 1 < n)
			(*sel)++;
		return 1;
	}
	return 0;
}

enum ui_result
ui_goto(struct ui *ui, const struct screen *s)
{
	ui->next = s;
	return UI_GOTO;
}

enum ui_result
ui_replace(struct ui *ui, const struct screen *s)
{
	ui->next = s;
	return UI_REPLACE;
}

const char *
ui_sex_name(const char *sex)
{
	static const char *const names[] = { N_("female"), N_("male"),
		N_("other"), N_("unknown") };
	size_t i;

	for (i = 0; i < nitems(names); i++)
		if (strcmp(sex, names[i]) == 0)
			return _(names[i]);
	return sex;
}

const char *
ui_cause(const char *cause)
{
	return cause != NULL && cause[0] != '\0' ? _(cause) : "";
}

/* The keyring's words for a wrong or locked unlock (kiosk/store/keyring.c
 * writes them in English): "wrong WHAT for", "wrong WHAT; user", by WHAT. */
static const struct {
	const char *what, *tries, *locked;
} keyring_words[] = {
	{ "passphrase or code",
	    N_("wrong passphrase or code for \"%s\" (%u of %u tries used; "
	       "each further try waits longer)"),
	    N_("wrong passphrase or code; user \"%s\" is now locked after %u "
	       "tries and needs an administrator to unlock it") },
	{ "passphrase",
	    N_("wrong passphrase for \"%s\" (%u of %u tries used; each "
	       "further try waits longer)"),
	    N_("wrong passphrase; user \"%s\" is now locked after %u tries "
	       "and needs an administrator to unlock it") },
	{ "code",
	    N_("wrong code for \"%s\" (%u of %u tries used; each further try "
	       "waits longer)"),
	    N_("wrong code; user \"%s\" is now locked after %u tries and "
	       "needs an administrator to unlock it") },
};

const char *
ui_keyring_cause(const char *cause, char *out, size_t len)
{
	const char *p;
	char name[64];
	unsigned a, b;
	size_t i, n;

	if (cause == NULL)
		return NULL;
	for (i = 0;
	     i < nitems(keyring_words) && strncmp(cause, "wrong ", 6) == 0;
	     i++) {
		n = strlen(keyring_words[i].what);
		if (strncmp(cause + 6, keyring_words[i].what, n) != 0)
			continue;
		p = cause + 6 + n;
		if (sscanf(p, " for \"%63[^\"]\" (%u of %u tries used", name,
		        &a, &b) == 3) {
			snprintf(
			    out, len, _(keyring_words[i].tries), name, a, b);
			return out;
		}
		if (sscanf(p,
		        "; user \"%63[^\"]\" is now locked after %u tries",
		        name, &a) == 2) {
			snprintf(out, len, _(keyring_words[i].locked), name, a);
			return out;
		}
	}
	if (sscanf(cause, "user \"%63[^\"]\" is locked after %u wrong", name,
	        &a) == 2) {
		snprintf(out, len,
		    _("user \"%s\" is locked after %u wrong passphrases; an "
		      "administrator must unlock it (kiosk user unlock %s) or "
		      "recover it with the region key"),
		    name, a, name);
		return out;
	}
	if (sscanf(cause, "user \"%63[^\"]\" also needs the code", name) == 1) {
		snprintf(out, len,
		    _("user \"%s\" also needs the code from their authenticator "
		      "(or a recovery code)"),
		    name);
		return out;
	}
	if (sscanf(cause, "no user called \"%63[^\"]\" on this", name) == 1) {
		snprintf(
		    out, len, _("no user called \"%s\" on this kiosk"), name);
		return out;
	}
	return cause;
}

void
ui_warn_cause(struct ui *ui, int err, const char *cause)
{
	ui_message(ui, UI_MSG_WARN, "%s",
	    cause != NULL ? ui_cause(cause) : ui_strerror(err));
}

const char *
ui_strerror(int err)
{
	return visit_strerror(err);
}

/* The visit speaks to the person through this (visit->say). */
static void
ui_say(void *arg, int kind, const char *text)
{
	ui_message(arg, kind, "%s", text);
}

void
ui_ask_quit(struct ui *ui)
{
	ui->quit_asked = 1;
	ui_message(ui, UI_MSG_WARN,
	    _("Quit the kiosk? Y quits, any other key stays."));
}

enum ui_result
ui_checkin_start(struct ui *ui)
{
	str_lcpy(ui->staff_lang, i18n_get(), sizeof(ui->staff_lang));
	ui->checkin = 1;
	ui->handed_over = 1;
	visit_session_patient_clear(&ui->visit);
	log_info("kiosk handed over for self check-in");
	return ui_replace(ui, &screen_checkin);
}

enum ui_result
ui_ack_key(struct ui *ui, enum ui_result done)
{
	if (!ui->visit.vitals.alert_pending)
		return done == UI_BACK ? UI_BACK : UI_HANDLED;
	if (visit_vitals_ack(&ui->visit) != 0) {
		ui_message(ui, UI_MSG_DANGER,
		    _("Acknowledgement not saved: try "
		      "again."));
		return UI_REDRAW;
	}
	ui_message(ui, UI_MSG_OK, _("Red flag acknowledged."));
	return done;
}

/* --- the frame: title, key bar, message, help --- */

static const struct screen *
top(struct ui *ui)
{
	return ui->stack[ui->depth - 1];
}

static void
draw_title(struct ui *ui)
{
	char when[32];
	time_t now = time(NULL);
	struct tm tm;

	ui_bar(0, UI_C_TITLE);
	if (ui->checkin)
		ui_text(0, 1, UI_C_TITLE, _("Outpost self check-in | %s"),
		    _(top(ui)->title));
	else
		ui_text(0, 1, UI_C_TITLE, "Outpost | %s", _(top(ui)->title));
	if (ui->visit.store != NULL && !ui->checkin) {
		localtime_r(&now, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
		ui_text(0,
		    COLS - 1 - (int)strlen(when) - 3 -
		        text_width(ui->visit.user_name),
		    UI_C_TITLE, "%s | %s", ui->visit.user_name, when);
	}
}

/* --- emergencies (issue 16) --- */

void
ui_emergency_refresh(struct ui *ui)
{
	if (ui->emerg == NULL)
		ui->emerg = xcalloc(1, sizeof(*ui->emerg));
	ui->emerg_read_ms = clock_mono_ms();
	if (ui->visit.store == NULL ||
	    visit_emergency_view(&ui->visit, ui->emerg) != 0)
		ui->emerg->open = 0;
}

/*
 * The status strip: row 1, under the title, on every screen while an
 * incident is open: its code, how it stands, the time since it was
 * raised and the last reply.  Row 1 is the frame's (no screen draws
 * there), so the strip never covers a red flag.
 */
static void
draw_strip(struct ui *ui)
{
	const struct visit_emerg *v = ui->emerg;
	const struct esc_incident *inc;
	char state[96], reply[80], line[320], fit[640];
	unsigned left;

	if (v == NULL || v->open == 0 || ui->help)
		return;
	inc = &v->e.eng;
	left = (unsigned)((v->next_ms + 999) / 1000);
	switch (inc->state) {
	case ESC_CONFIRMING:
		snprintf(state, sizeof(state), _("sends in %u s"), left);
		break;
	case ESC_PAGING:
		snprintf(
		    state, sizeof(state), _("paging level %d"), inc->level + 1);
		break;
	case ESC_ACKED:
		snprintf(state, sizeof(state), _("%s is coming"),
		    strcmp(inc->ack_by, "chw-phoned") == 0 ? _("help")
		                                           : inc->ack_by);
		break;
	case ESC_UNRESOLVED:
		snprintf(state, sizeof(state), "%s", _("nobody said yes"));
		break;
	default:
		snprintf(
		    state, sizeof(state), "%s", _(esc_state_name(inc->state)));
		break;
	}
	if (v->nreplies == 0)
		snprintf(reply, sizeof(reply), "%s", _("none"));
	else
		snprintf(reply, sizeof(reply), "%s%.60s",
		    v->replies[v->nreplies - 1].foreign ? "? " : "",
		    v->replies[v->nreplies - 1].text);
	snprintf(line, sizeof(line),
	    _("!! EMERGENCY %s | %s%s | %02u:%02u | "
	      "reply: %s"),
	    inc->code, state, v->no_network ? _(" | NO NETWORK") : "",
	    (unsigned)(v->elapsed_s / 60), (unsigned)(v->elapsed_s % 60),
	    reply);
	ui_bar(1, UI_C_DANGER);
	ui_text(
	    1, 1, UI_C_DANGER, "%s", ui_fit(fit, sizeof(fit), line, COLS - 2));
}

/* The key bar: the keys of this screen with a label, then F1 help. */
static void
draw_keybar(struct ui *ui)
{
	const struct ui_key *k;
	const char *name = top(ui)->name;
	int x = 0, w, hw = text_width(_("help"));

	ui_bar(LINES - 1, UI_C_NORMAL);
	for (k = ui_keys; k->key != 0; k++) {
		if (k->label == NULL || k->help == NULL || k->screen == NULL ||
		    strcmp(k->screen, name) != 0 || k->label[0] != 'F')
			continue;
		w = (int)strlen(k->label) + 1 + text_width(_(k->help)) + 2;
		/* The last needs no gap.  Keys that do not fit stay in the
		 * F1 list (the busiest screens, home and vitals, have more
		 * keys than 80 columns hold; home names its others on its
		 * own rows), so a key left off the bar is not text cut. */
		if (x + w > COLS - hw - 4) /* two blanks before F1 */
			break;
		ui_text(LINES - 1, x, UI_C_FOCUS, "%s", k->label);
		ui_text(LINES - 1, x + (int)strlen(k->label), UI_C_NORMAL,
		    " %s", _(k->help));
		x += w;
	}
	ui_text(LINES - 1, COLS - hw - 4, UI_C_FOCUS, "F1");
	ui_text(LINES - 1, COLS - hw - 2, UI_C_NORMAL, " %s", _("help"));
}

static void
draw_message(struct ui *ui)
{
	static const char *const mark[] = { "  ", "+ ", "! ", "!! " };
	static const enum ui_color col[] = { UI_C_NORMAL, UI_C_OK, UI_C_WARN,
		UI_C_DANGER };

	char line[sizeof(ui->msg) + 8];
	int rows;

	if (ui->msg[0] == '\0')
		return;
	/* a long message takes the row above too, never cut */
	snprintf(line, sizeof(line), "%s%s", mark[ui->msg_kind & 3], ui->msg);
	rows = (int)strlen(line) > COLS - 2 ? 2 : 1;
	ui_bar(LINES - 2, UI_C_NORMAL);
	if (rows == 2)
		ui_bar(LINES - 3, UI_C_NORMAL);
	draw_id = msg_fmt;
	wrap_until(LINES - 1 - rows, 1, COLS - 2, rows, col[ui->msg_kind & 3],
	    line, LINES - 1);
	draw_id = NULL;
}

/* The UI_G_* bit of a key of every screen, 0 for F1 (always listed). */
static unsigned
global_bit(const struct ui_key *k)
{
	switch (k->action) {
	case UI_A_BACK:
		return UI_G_BACK;
	case UI_A_LOCK:
		return UI_G_LOCK;
	case UI_A_UP:
	case UI_A_DOWN:
		return UI_G_UPDOWN;
	case UI_A_NEXT:
		return UI_G_TAB;
	case UI_A_EMERGENCY:
		return UI_G_EMERG;
	default:
		return 0;
	}
}

/* Whether screen NAME has its own entry for KEY. */
static int
screen_binds(const char *name, int key)
{
	const struct ui_key *k;

	for (k = ui_keys; k->key != 0; k++)
		if (k->screen != NULL && k->key == key &&
		    strcmp(k->screen, name) == 0)
			return 1;
	return 0;
}

/* Whether the F1 list of screen NAME shows key K in PASS (0: the
 * screen's own keys, 1: the global keys G allows). */
static int
help_lists(const struct ui_key *k, const char *name, unsigned g, int pass)
{
	if (k->label == NULL || k->help == NULL)
		return 0;
	if (pass == 0)
		return k->screen != NULL && strcmp(k->screen, name) == 0;
	/* a key of every screen that this screen binds itself is listed
	 * once, with the screen's words */
	if (k->screen == NULL && screen_binds(name, k->key))
		return 0;
	return k->screen == NULL &&
	    (global_bit(k) == 0 || (g & global_bit(k)) != 0);
}

/* F1: what this screen is for, its own keys, and the keys of every
 * screen that act here. */
static void
draw_help(struct ui *ui)
{
	const struct ui_screen_help *h;
	const struct ui_key *k;
	const char *name = top(ui)->name;
	unsigned g = 0;
	int y, pass, n;

	for (h = ui_screen_help; h->screen != NULL; h++)
		if (strcmp(h->screen, name) == 0)
			break;
	if (h->screen != NULL)
		g = h->globals;
	if (ui->checkin)
		g &= ~UI_G_LOCK;
	/* the emergency key works once unlocked, never in self check-in */
	if (ui->visit.store != NULL && !ui->checkin)
		g |= UI_G_EMERG;
	for (y = 2; y < LINES - 2; y++)
		ui_bar(y, UI_C_NORMAL);
	ui_text(2, 2, UI_C_TITLE, _(" Keys on this screen (%s) "),
	    _(top(ui)->title));
	y = 3;
	if (h->about != NULL)
		y = wrap_until(
		    3, 4, COLS - 8, 2, UI_C_NORMAL, _(h->about), LINES - 3);
	/* a blank row under the text when every key still fits */
	for (pass = 0, n = 0; pass < 2; pass++)
		for (k = ui_keys; k->key != 0; k++)
			n += help_lists(k, name, g, pass);
	if (y + 1 + n <= LINES - 3)
		y++;
	for (pass = 0; pass < 2; pass++)
		for (k = ui_keys; k->key != 0; k++) {
			if (!help_lists(k, name, g, pass))
				continue;
			if (y >= LINES - 3) { /* a key left off the list */
				if (reporting())
					report_line("cut", k->help, NULL);
				continue;
			}
			ui_text(y, 4, UI_C_FOCUS, "%-6s", k->label);
			ui_text(y++, 12, UI_C_NORMAL, "%s", _(k->help));
		}
	if (g & UI_G_TYPE)
		ui_text(y + 1 < LINES - 2 ? y + 1 : LINES - 3, 4, UI_C_DIM,
		    _("Type letters and numbers straight into the field "
		      "marked >."));
	ui_text(LINES - 2, 2, UI_C_NORMAL, _("Press any key to close help."));
}

void
ui_draw(struct ui *ui)
{
	erase();
	cursor_y = -1;
	nspans = 0;
	report_screen = ui->help ? "help" : top(ui)->name;
	if (COLS < 80 || LINES < 24) {
		ui_text(0, 0, UI_C_WARN,
		    _("! Make the window at least 80x24 "
		      "(now %dx%d)."),
		    COLS, LINES);
		ui_text(1, 0, UI_C_NORMAL, _("  Keys do nothing until then."));
		refresh();
		return;
	}
	draw_title(ui);
	draw_strip(ui);
	prompt[0] = '\0';
	speaking = ui->opts.speech && ui->opts.checkin && !ui->help &&
	    ui->visit.store != NULL;
	if (ui->help)
		draw_help(ui);
	else {
		top(ui)->draw(ui);
		draw_message(ui);
	}
	/* say the screen's prompts when they change */
	if (speaking && strcmp(prompt, spoken) != 0) {
		memcpy(spoken, prompt, sizeof(spoken));
		ui_speak(prompt);
	}
	speaking = 0;
	draw_keybar(ui);
	if (cursor_y >= 0 && !ui->help) {
		curs_set(1);
		move(cursor_y, cursor_x);
	} else
		curs_set(0);
	refresh();
}

/* --- the stack --- */

static void
push(struct ui *ui, const struct screen *s)
{
	if (ui->depth == (int)nitems(ui->stack)) {
		log_warnx("screen stack full at %s", s->name);
		return;
	}
	ui->stack[ui->depth++] = s;
	if (s->enter != NULL)
		s->enter(ui);
}

static void
pop(struct ui *ui)
{
	const struct screen *s = top(ui);

	if (s->leave != NULL)
		s->leave(ui);
	ui->depth--;
}

static void
pop_all(struct ui *ui)
{
	while (ui->depth > 0)
		pop(ui);
}

/* Lock: leave every screen, forget the session, show the unlock screen.
 * In check-in mode an idle kiosk returns to the check-in start instead:
 * the store stays open for the next patient, who sees nothing of this
 * one. */
static void
lock(struct ui *ui, int idle)
{
	if (ui->checkin && idle && ui->visit.store != NULL) {
		pop_all(ui);
		visit_session_patient_clear(&ui->visit);
		i18n_set(ui->staff_lang);
		push(ui, &screen_checkin);
		ui_message(
		    ui, UI_MSG_INFO, "%s", _("Welcome. Start again here."));
		clear();
		return;
	}
	pop_all(ui);
	if (ui->emerg != NULL)
		ui->emerg->open = 0; /* read again after the next unlock */
	/* the patient's language choice ends with the check-in */
	if (ui->checkin)
		i18n_set(ui->staff_lang);
	ui_call_stop(ui); /* a call ends at lock, with its evidence */
	if (ui->visit.user_name[0] != '\0')
		memcpy(
		    ui->last_user, ui->visit.user_name, sizeof(ui->last_user));
	visit_session_lock(&ui->visit);
	ui->msg[0] = '\0';
	ui->help = 0;
	clear(); /* nothing of the last screen stays in the terminal */
	push(ui, &screen_unlock);
	if (idle)
		ui_message(ui, UI_MSG_INFO,
		    _("Locked after %u s without a key."),
		    ui->opts.idle_lock_s);
}

static int
apply(struct ui *ui, enum ui_result r)
{
	switch (r) {
	case UI_GOTO:
		if (ui->next != NULL)
			push(ui, ui->next);
		break;
	case UI_REPLACE:
		pop(ui);
		if (ui->next != NULL)
			push(ui, ui->next);
		break;
	case UI_BACK:
		if (ui->depth > 1)
			pop(ui);
		break;
	case UI_HOME:
		while (ui->depth > 1)
			pop(ui);
		break;
	case UI_LOCK:
		lock(ui, 0);
		break;
	case UI_QUIT:
		ui_ask_quit(ui);
		break;
	default:
		break;
	}
	ui->next = NULL;
	return 0;
}

/* Read one key; returns 0 when none is waiting. */
static int
read_key(int *key, int *ch)
{
	wint_t w;
	int r = get_wch(&w);

	if (r == ERR)
		return 0;
	if (r == KEY_CODE_YES) {
		*key = (int)w;
		*ch = 0;
	} else {
		/* nonl(): Return arrives as CR; the table says '\n' */
		if (w == '\r')
			w = '\n';
		*ch = (int)w;
		*key = w < 128 ? (int)w : 0; /* the table binds ASCII only */
	}
	return 1;
}

static int
handle_key(struct ui *ui, int key, int ch)
{
	const struct screen *s = top(ui);
	enum ui_action a = key ? ui_key_action(s->name, key) : UI_A_NONE;
	enum ui_result r;

	if (key == KEY_RESIZE)
		return 0;
	/* the screen shows only "make the window larger": a key typed
	 * blind must not act */
	if (COLS < 80 || LINES < 24)
		return 0;
	if (ui->quit_asked) {
		ui->quit_asked = 0;
		ui->msg[0] = '\0';
		return ch == 'y' || ch == 'Y';
	}
	if (ui->help) {
		ui->help = 0;
		return 0;
	}
	if (a == UI_A_HELP) {
		ui->help = 1;
		return 0;
	}
	/* a new key replaces the last message, unless it is an error the
	 * person has not had time to read */
	if (ui->msg_kind < UI_MSG_WARN)
		ui->msg[0] = '\0';
	/* the emergency key acts on every screen; the visit's own handler
	 * first keeps the value being typed */
	if (a == UI_A_EMERGENCY && s != &screen_vitals &&
	    s != &screen_emergency)
		return apply(ui, ui_emergency_key(ui));
	r = s->key(ui, a, ch);
	if (r != UI_UNHANDLED)
		return apply(ui, r);
	switch (a) {
	case UI_A_LOCK:
		if (ui->visit.store != NULL && !ui->checkin)
			lock(ui, 0);
		return 0;
	case UI_A_BACK:
		return apply(ui, UI_BACK);
	default:
		return 0;
	}
}

int
ui_run_opts(struct kctx *ctx, const struct ui_opts *opts)
{
	struct ui *ui;
	struct pollfd pfd[3];
	uint64_t last_key, idle_ms, t;
	long frames = 0;
	char *logpath, lang[8];
	int key, ch, dirty = 1, quit = 0, timeout, n;
	uint64_t last_home = 0;

	ui = xcalloc(1, sizeof(*ui));
	ui->ctx = ctx;
	ui->opts = *opts;
	ui->checkin = opts->checkin;
	str_lcpy(ui->staff_lang, i18n_get(), sizeof(ui->staff_lang));
	visit_init(&ui->visit, ctx);
	ui->visit.say = ui_say;
	ui->visit.say_arg = ui;
	/* main() has pointed the log at DIR/kiosk.log already */
	logpath = kctx_path(ctx, "kiosk.log");
	ui_start_curses(logpath);
	free(logpath);
	/* the kiosk's own language until someone unlocks */
	if (kctx_lang_get(ctx, lang) == 0)
		(void)i18n_set_default(lang);
	log_info("ui start%s, idle lock %u s",
	    opts->checkin ? " (check-in)" : "", opts->idle_lock_s);
	visit_devices_init(&ui->visit);
	if (opts->speech && ui_speech_start() != 0)
		ui_message(ui, UI_MSG_WARN,
		    _("Spoken prompts cannot start (see the log): the screen "
		      "still works."));
	push(ui, &screen_unlock);

	last_key = clock_mono_ms();
	while (!quit && !got_stop) {
		/* check-in clears a half-typed entry soon; staff lock later */
		idle_ms = (uint64_t)(ui->checkin ? opts->checkin_idle_s
		                                 : opts->idle_lock_s) *
		    1000;
		if (dirty) {
			ui_draw(ui);
			dirty = 0;
			if (opts->max_frames > 0 &&
			    ++frames >= opts->max_frames)
				break;
		}
		timeout = 1000;
		/* no idle lock in the middle of a call, nor while an
		 * emergency is open (the worker pages only while unlocked) */
		if (ui_call_live(ui) ||
		    (ui->emerg != NULL && ui->emerg->open > 0))
			last_key = clock_mono_ms();
		if (idle_ms > 0) {
			t = clock_mono_ms() - last_key;
			if (t >= idle_ms) {
				/* nothing to lock on the unlock screen */
				if (ui->visit.store != NULL)
					lock(ui, 1);
				last_key = clock_mono_ms();
				dirty = 1;
				continue;
			}
			if (idle_ms - t < (uint64_t)timeout)
				timeout = (int)(idle_ms - t);
		}
		if (ui->wake_ms != 0) {
			t = clock_mono_ms();
			if (t >= ui->wake_ms) {
				ui->wake_ms = 0;
				if (apply(ui, top(ui)->key(ui, UI_A_TICK, 0)))
					break;
				dirty = 1;
				continue;
			}
			if (ui->wake_ms - t < (uint64_t)timeout)
				timeout = (int)(ui->wake_ms - t);
		}
		pfd[0].fd = 0;
		pfd[0].events = POLLIN;
		pfd[1].fd = visit_devices_fd(&ui->visit);
		pfd[1].events = POLLIN;
		/* the call engine: its socket, and its timers every tick */
		pfd[2].fd = ui_call_fd(ui);
		pfd[2].events = POLLIN;
		if (pfd[2].fd >= 0 && timeout > CALL_TICK_MS)
			timeout = CALL_TICK_MS;
		n = poll(pfd, 3, timeout);
		if (n < 0 && errno != EINTR)
			fatal("poll");
		if (n > 0 &&
		    (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL)) &&
		    !(pfd[0].revents & POLLIN)) {
			/* the terminal went away: nothing can reach us */
			log_warnx("terminal closed");
			break;
		}
		if (n > 0 && pfd[1].fd >= 0 && (pfd[1].revents & POLLIN))
			dirty |= visit_devices_drain(&ui->visit);
		if (ui->visit.store != NULL)
			ui_call_start(ui); /* once per unlock */
		switch (ui_call_poll(ui)) {
		case 2: /* a call rings: over whatever is open */
			push(ui, &screen_call);
			/* fall through */
		case 1:
			dirty = 1;
			break;
		default:
			break;
		}
		while (read_key(&key, &ch)) {
			last_key = clock_mono_ms();
			dirty = 1;
			if (handle_key(ui, key, ch)) {
				quit = 1;
				break;
			}
		}
		/* a new red flag, typed or from the device, opens the alert
		 * over the visit at once */
		if (ui->visit.vitals.alert_pending &&
		    !ui->visit.vitals.alert_shown &&
		    top(ui) == &screen_vitals) {
			push(ui, &screen_alert);
			dirty = 1;
		}
		/* NEWS2 >= 7 raised an incident (its confirm window runs):
		 * the CALL NOW card over the red flag */
		if (ui->visit.vitals.emerg_new && ui->visit.store != NULL) {
			ui->visit.vitals.emerg_new = 0;
			if (top(ui) != &screen_emergency)
				push(ui, &screen_emergency);
			dirty = 1;
		}
		/* the strip and the card follow the incident every second */
		if (ui->visit.store != NULL &&
		    clock_mono_ms() - ui->emerg_read_ms >= 1000) {
			int was = ui->emerg != NULL && ui->emerg->open > 0;

			ui_emergency_refresh(ui);
			if (was || ui->emerg->open > 0)
				dirty = 1;
		}
		/* a clock in the title: redraw once a minute is enough,
		 * but the timeout above wakes every second anyway */
		if (n == 0 && ui->visit.store != NULL && !ui->checkin &&
		    time(NULL) % 60 == 0)
			dirty = 1;
		/* the home screen's sync line follows the background sync */
		if (ui->visit.store != NULL && top(ui) == &screen_home &&
		    clock_mono_ms() - last_home >= UI_HOME_REFRESH_MS) {
			last_home = clock_mono_ms();
			dirty = 1;
		}
	}
	pop_all(ui);
	ui_speech_stop();
	ui_call_stop(ui);
	visit_devices_fini(&ui->visit);
	visit_session_lock(&ui->visit);
	ui_restore();
	log_info("ui stop");
	free(ui->emerg);
	free(ui);
	return 0;
}

int
ui_run(struct kctx *ctx)
{
	struct ui_opts o;

	memset(&o, 0, sizeof(o));
	o.idle_lock_s = UI_IDLE_LOCK_DEFAULT_S;
	o.checkin_idle_s = UI_CHECKIN_IDLE_DEFAULT_S;
	return ui_run_opts(ctx, &o);
}
