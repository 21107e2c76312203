/*
 * The call screen on a real call: a hub engine calls the kiosk's engine
 * through a real Kamailio; the UI's poll asks to open the call screen over
 * whatever is open.
 *   ring_answer_end: the screen's logic without a terminal: the call rings
 *     until the CHW's key (Enter), and nothing else answers it; F10 ends
 *     it and the evidence is handed over.
 *   call_in_three_languages (issue 10, item 10: tests/tui/lang*.sh walk
 *     the other screens in tmux; a call there would need a sound card):
 *     in each state of the call (ringing, in the call with advice, muted
 *     and on hold, ended) and on its F1 help, the whole frame is drawn by
 *     the kiosk's own ui_draw() on a curses screen of 80x24 in English,
 *     French and Kiswahili, and read back.  Fails when the kiosk's text
 *     report (OUTPOST_TEXT_REPORT, kiosk/tui/ui.c) names text cut,
 *     overlapping or untranslated, when a state's words are not on the
 *     screen in the language, or when a French or Kiswahili row is the
 *     English one with a word that is not a name, a key or a unit.
 */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wchar.h>

#include "common/i18n.h"
#include "kiosk/call/callfix.h"
#include "kiosk/tui/ui.h"

static const char *const users[] = { "kiosk1", "hub1" };
static const char *const pws[] = { "k-pw-1", "h-pw-1" };

/* Kamailio, the kiosk's engine in a UI over Home and the hub's engine
 * (*H): the hub calls, the call screen opens over Home, ringing. */
static int
call_ringing(struct callfix *fx, struct ui **uip, struct call_engine **h)
{
	struct call_cfg kc, hc;
	const struct call_status *ks, *hs;
	char kd[512], kr[512], hd[512], hr[512], uri[128];
	struct ui *ui;
	int err = 0, r, i;

	ui = *uip = xcalloc(1, sizeof(*ui));
	ui->stack[0] = &screen_home;
	ui->depth = 1;
	TEST_ERR(callfix_subscriber(fx, users, pws, 2));
	TEST_ERR(callfix_kamailio_start(fx));
	callfix_cfg(
	    fx, 0, &kc, "kiosk1", pws[0], "ausine,440", kd, kr, sizeof(kd));
	callfix_cfg(
	    fx, 1, &hc, "hub1", pws[1], "ausine,1000", hd, hr, sizeof(hd));
	ui->call.engine = call_engine_new(&kc);
	*h = call_engine_new(&hc);
	TEST_ERR(call_engine_start(ui->call.engine));
	TEST_ERR(call_engine_start(*h));
	ks = call_engine_status(ui->call.engine);
	hs = call_engine_status(*h);
	CALLFIX_WAIT(ui->call.engine, *h, 5000,
	    ks->reg == CALL_REG_OK && hs->reg == CALL_REG_OK);
	TEST_EQ(ks->reg, CALL_REG_OK);
	/* nothing rings: the poll asks for nothing */
	TEST_TRUE(ui_call_poll(ui) != 2);
	snprintf(uri, sizeof(uri), "sip:kiosk1@%s", fx->registrar);
	TEST_ERR(call_dial(*h, uri));
	for (r = 0, i = 0; i < 150 && r != 2; i++) {
		call_engine_poll(*h, 10);
		r = ui_call_poll(ui);
		usleep(10000);
	}
	TEST_EQ(r, 2); /* open the call screen over home */
	TEST_TRUE(strstr(ui->call.peer, "hub1") != NULL);
	ui->stack[ui->depth++] = &screen_call;
out:
	return err;
}

static int
test_ring_answer_end(void)
{
	struct callfix fx;
	struct call_engine *h = NULL;
	struct ui *ui = NULL;
	const struct call_status *ks, *hs;
	int err;

	if (!callfix_have_tools())
		return TEST_SKIP;
	if ((err = callfix_init(&fx)) != 0)
		return err;
	TEST_ERR(call_ringing(&fx, &ui, &h));
	ks = call_engine_status(ui->call.engine);
	hs = call_engine_status(h);
	/* keys that are not the answer key do not answer */
	TEST_EQ(screen_call.key(ui, UI_A_MUTE, 0), UI_REDRAW);
	TEST_EQ(screen_call.key(ui, UI_A_HOLD, 0), UI_REDRAW);
	TEST_EQ(screen_call.key(ui, UI_A_BACK, 0), UI_REDRAW); /* stays */
	CALLFIX_WAIT(ui->call.engine, h, 1500, 0);
	TEST_EQ(ks->state, CALL_S_RINGING);
	TEST_EQ(hs->state, CALL_S_DIALING);
	TEST_EQ(ui_call_poll(ui) == 2, 0); /* already on the call screen */
	/* the CHW's key */
	TEST_EQ(screen_call.key(ui, UI_A_ENTER, '\n'), UI_REDRAW);
	CALLFIX_WAIT(
	    ui->call.engine, h, 3000, ks->state == CALL_S_UP && ks->secure);
	TEST_EQ(ks->state, CALL_S_UP);
	TEST_TRUE(ks->secure);
	TEST_TRUE(ui_call_live(ui));
	TEST_EQ(screen_call.key(ui, UI_A_MUTE, 0), UI_REDRAW);
	TEST_EQ(ks->muted, 1);
	TEST_EQ(screen_call.key(ui, UI_A_HOLD, 0), UI_REDRAW);
	TEST_EQ(ks->held, 1);
	TEST_EQ(screen_call.key(ui, UI_A_HOLD, 0), UI_REDRAW);
	TEST_EQ(ks->held, 0);
	screen_call_advice(ui, "Give ORS.");
	TEST_STR(ui->call.advice, "Give ORS.");
	TEST_EQ(screen_call.key(ui, UI_A_HANGUP, 0), UI_REDRAW);
	TEST_EQ(ks->state, CALL_S_ENDED);
	TEST_EQ(ks->ev.end, CALL_END_LOCAL);
	TEST_TRUE(!ui_call_live(ui));
	CALLFIX_WAIT(ui->call.engine, h, 3000, hs->state == CALL_S_ENDED);
	TEST_EQ(hs->ev.end, CALL_END_REMOTE);
	TEST_EQ(screen_call.key(ui, UI_A_BACK, 0), UI_BACK);
out:
	if (ui != NULL)
		ui_call_stop(ui);
	free(ui);
	call_engine_free(h);
	callfix_fini(&fx);
	return err;
}

static const char *const langs[] = { "en", "fr", "sw" };
#define NLANG 3
#define ROWS 24
#define COLS_ 80

/* The words a translated row may share with the English one. */
static const char *const allowed[] = { "sip", "kiosk1", "hub1", "Give", "ORS",
	"Enter", "Esc", "F1", "F10", "F12", "F2", "F3", "F4", "F5", "F6", "F7",
	"F8", "F9", "F11", "Opus", "opus", "kbit", "s", "ms", "Outpost",
	"Codec2", "codec2", "YYYY", "MM", "DD", "HH", NULL };

static char rows[NLANG][ROWS][4 * COLS_ + 1];
static char report[256];

/* The frame now, row by row, into rows[L]. */
static void
render(struct ui *ui, int l, int help)
{
	wchar_t wb[COLS_ + 1];
	size_t n;
	int y, k;

	i18n_set(langs[l]);
	ui->help = help;
	ui_draw(ui);
	for (y = 0; y < ROWS; y++) {
		k = mvinnwstr(y, 0, wb, COLS_);
		wb[k < 0 ? 0 : k] = L'\0';
		n = wcstombs(rows[l][y], wb, sizeof(rows[l][y]) - 1);
		if (n == (size_t)-1)
			n = 0;
		rows[l][y][n] = '\0';
		while (n > 0 && rows[l][y][n - 1] == ' ')
			rows[l][y][--n] = '\0';
	}
}

static int
on_screen(int l, const char *text)
{
	int y;

	for (y = 0; y < ROWS; y++)
		if (strstr(rows[l][y], text) != NULL)
			return 1;
	return 0;
}

static int
allowed_word(const char *w, size_t n)
{
	int i;

	for (i = 0; allowed[i] != NULL; i++)
		if (strlen(allowed[i]) == n && memcmp(allowed[i], w, n) == 0)
			return 1;
	return 0;
}

/* Rows of language L the same as the English ones with a word that is
 * not allowed: counted, and each printed. */
static int
english_left(int l, const char *state)
{
	const char *p, *w;
	int y, bad = 0;

	for (y = 0; y < ROWS; y++) {
		if (strcmp(rows[l][y], rows[0][y]) != 0)
			continue;
		for (p = rows[l][y]; *p != '\0';) {
			if (!((*p >= 'A' && *p <= 'Z') ||
			        (*p >= 'a' && *p <= 'z'))) {
				p++;
				continue;
			}
			for (w = p; (*p >= 'A' && *p <= 'Z') ||
			     (*p >= 'a' && *p <= 'z') ||
			     (*p >= '0' && *p <= '9');
			     p++)
				;
			if (!allowed_word(w, (size_t)(p - w))) {
				fprintf(stderr,
				    "  %s %s row %d in English: %s\n", langs[l],
				    state, y, rows[l][y]);
				bad++;
				break;
			}
		}
	}
	return bad;
}

/* Nothing in the kiosk's text report so far. */
static int
report_empty(void)
{
	struct stat st;
	char line[512];
	FILE *f;

	if (stat(report, &st) != 0 || st.st_size == 0)
		return 1;
	if ((f = fopen(report, "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			fprintf(stderr, "  report: %s", line);
		fclose(f);
	}
	return 0;
}

/* STATE drawn in each language (its F1 help with HELP): MSGID's words
 * before its first conversion on the screen in each, nothing reported,
 * nothing left in English. */
static int
walk(struct ui *ui, const char *state, const char *msgid, int help)
{
	char piece[256], *p;
	int l, err = 0, bad = 0;

	for (l = 0; l < NLANG; l++) {
		i18n_set(langs[l]);
		snprintf(piece, sizeof(piece), "%s", gettext(msgid));
		if ((p = strchr(piece, '%')) != NULL)
			*p = '\0';
		for (p = piece + strlen(piece); p > piece && p[-1] == ' ';)
			*--p = '\0';
		for (p = piece; *p == ' '; p++)
			;
		render(ui, l, help);
		if (!on_screen(l, p)) {
			fprintf(stderr, "  %s %s: \"%s\" not on the screen\n",
			    langs[l], state, p);
			bad++;
		}
		if (l > 0)
			bad += english_left(l, state);
	}
	i18n_set("en");
	ui->help = 0;
	TEST_EQ(bad, 0);
	TEST_TRUE(report_empty());
out:
	return err;
}

static int
test_call_in_three_languages(void)
{
	struct callfix fx;
	struct call_engine *h = NULL;
	struct ui *ui = NULL;
	const struct call_status *ks;
	const char *why = NULL;
	FILE *out = NULL, *in = NULL;
	SCREEN *scr = NULL;
	int err;

	if (!callfix_have_tools())
		return TEST_SKIP;
	if ((err = callfix_init(&fx)) != 0)
		return err;
	/* the kiosk's report of text cut, overlapping or untranslated */
	snprintf(report, sizeof(report), "%s/text-report", fx.dir);
	setenv("OUTPOST_TEXT_REPORT", report, 1);
	if (getenv("OUTPOST_LOCALEDIR") == NULL) {
		char d[256];

		snprintf(d, sizeof(d), "%s/locale",
		    getenv("OUTPOST_BUILD") ? getenv("OUTPOST_BUILD")
		                            : "build");
		setenv("OUTPOST_LOCALEDIR", d, 1);
	}
	TEST_EQ(i18n_init(&why), 0);
	TEST_EQ(i18n_set("fr"), 0);
	TEST_EQ(i18n_set("sw"), 0);
	TEST_EQ(i18n_set("en"), 0);
	/* a curses screen of 80x24 of our own, drawn into nothing */
	out = fopen("/dev/null", "w");
	in = fopen("/dev/null", "r");
	TEST_TRUE(out != NULL && in != NULL);
	scr = newterm("xterm", out, in);
	TEST_TRUE(scr != NULL);
	resizeterm(ROWS, COLS_);
	TEST_EQ(LINES, ROWS);
	TEST_EQ(COLS, COLS_);

	TEST_ERR(call_ringing(&fx, &ui, &h));
	ks = call_engine_status(ui->call.engine);

	/* ringing, and the screen's F1 help */
	TEST_EQ(ks->state, CALL_S_RINGING);
	TEST_ERR(walk(
	    ui, "ringing", "RINGING: press Enter to answer, F10 to refuse", 0));
	TEST_ERR(walk(ui, "help", " Keys on this screen (%s) ", 1));

	/* answered: secure, advice, muted and on hold */
	TEST_EQ(screen_call.key(ui, UI_A_ENTER, '\n'), UI_REDRAW);
	CALLFIX_WAIT(
	    ui->call.engine, h, 3000, ks->state == CALL_S_UP && ks->secure);
	TEST_EQ(ks->state, CALL_S_UP);
	screen_call_advice(ui, "Give ORS.");
	TEST_ERR(walk(ui, "in-call", "Secure: the call is encrypted.", 0));
	TEST_EQ(screen_call.key(ui, UI_A_MUTE, 0), UI_REDRAW);
	TEST_EQ(screen_call.key(ui, UI_A_HOLD, 0), UI_REDRAW);
	CALLFIX_WAIT(ui->call.engine, h, 1000, ks->muted && ks->held);
	TEST_ERR(walk(ui, "muted-held", "On hold.", 0));

	/* ended from here */
	TEST_EQ(screen_call.key(ui, UI_A_HANGUP, 0), UI_REDRAW);
	CALLFIX_WAIT(ui->call.engine, h, 3000, ks->state == CALL_S_ENDED);
	TEST_EQ(ks->state, CALL_S_ENDED);
	TEST_ERR(walk(ui, "ended", "Connected %llu s.", 0));
out:
	if (scr != NULL) {
		endwin();
		delscreen(scr);
	}
	if (out != NULL)
		fclose(out);
	if (in != NULL)
		fclose(in);
	if (ui != NULL)
		ui_call_stop(ui);
	free(ui);
	call_engine_free(h);
	callfix_fini(&fx);
	return err;
}

TEST_MAIN({ "ring_answer_end", test_ring_answer_end },
    { "call_in_three_languages", test_call_in_three_languages })
