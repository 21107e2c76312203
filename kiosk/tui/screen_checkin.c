/*
 * Patient self check-in: a patient at a walk-in kiosk identifies
 * themselves (names and birth year, then phone when that is not enough),
 * or registers, gives the reason for the visit and consents; the kiosk
 * opens a visit for the CHW.  The patient never sees anyone else: a
 * record is used only when the names and birth year match exactly, and
 * nothing from a record is shown but the given name they typed.  The loop
 * brings this screen back to its start when idle (kiosk/tui/ui.c), and it is
 * the only screen in this mode; F12 hands the kiosk back to staff.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "phone.h"
#include "str.h"
#include "ui.h"

enum step {
	S_WHO,
	S_PHONE,
	S_ISYOU, /* a probable duplicate: "is this you?" */
	S_NEW,
	S_REASON,
	S_CONSENT,
	S_DONE,
	S_STAFF
};

/* The languages offered on the first screen, on keys 1, 2, 3; each
 * named in itself, so never translated. */
static const struct {
	int key;
	const char *code, *name;
} langs[] = { { '1', "en", "English" }, { '2', "fr", "Fran\u00e7ais" },
	{ '3', "sw", "Kiswahili" } };
enum { F_GIVEN, F_FAMILY, F_YEAR, F_PHONE, F_VILLAGE, F_SEX, F_REASON, NF };

static const char *const labels[NF] = { N_("Given name"), N_("Family name"),
	N_("Year of birth"), N_("Phone"), N_("Village"), N_("Sex (f/m/o)"),
	N_("Reason") };

static struct {
	enum step step;
	struct ui_field f[NF];
	int focus;
	char patient_id[UUID_STRLEN + 1];
	/* the record "is this you?" asks about, and whether they said no */
	struct store_patient dup;
	int said_no;
} st;

static void
restart(void)
{
	int i;

	for (i = 0; i < NF; i++)
		ui_field_clear(&st.f[i]);
	st.step = S_WHO;
	st.focus = F_GIVEN;
	explicit_bzero(st.patient_id, sizeof(st.patient_id));
	store_patient_clear(&st.dup);
	memset(&st.dup, 0, sizeof(st.dup));
	st.said_no = 0;
}

/* Nothing typed yet: digits choose the language. */
static int
blank(void)
{
	int i;

	for (i = 0; i < NF; i++)
		if (st.f[i].len > 0)
			return 0;
	return st.step == S_WHO;
}

static void
checkin_enter(struct ui *ui)
{
	(void)ui;
	restart();
}

static void
checkin_leave(struct ui *ui)
{
	(void)ui;
	restart();
}

/* The fields each step asks for, in order; ends with -1. */
static const int *
step_fields(enum step s)
{
	static const int who[] = { F_GIVEN, F_FAMILY, F_YEAR, -1 };
	static const int phone[] = { F_PHONE, -1 };
	static const int reg[] = { F_PHONE, F_VILLAGE, F_SEX, -1 };
	static const int reason[] = { F_REASON, -1 };
	static const int none[] = { -1 };

	switch (s) {
	case S_WHO:
		return who;
	case S_PHONE:
		return phone;
	case S_NEW:
		return reg;
	case S_REASON:
		return reason;
	default:
		return none;
	}
}

static void
draw_langs(void)
{
	size_t i;
	int x = 22, on;

	ui_text(16, 10, UI_C_NORMAL, "%s", _("Language:"));
	for (i = 0; i < sizeof(langs) / sizeof(langs[0]); i++) {
		on = strcmp(i18n_get(), langs[i].code) == 0;
		ui_text(16, x, on ? UI_C_FOCUS : UI_C_DIM, "%s%c %s",
		    on ? "> " : "  ", langs[i].key, langs[i].name);
		x += 16;
	}
}

static void
checkin_draw(struct ui *ui)
{
	const int *fl = step_fields(st.step);
	int i, y = 8;

	(void)ui;
	switch (st.step) {
	case S_WHO:
		ui_center(
		    3, UI_C_NORMAL, _("Welcome. Please check yourself in."));
		ui_center(5, UI_C_DIM,
		    _("Type your names and the year you "
		      "were born, then press Enter."));
		draw_langs();
		break;
	case S_ISYOU:
		ui_center(3, UI_C_NORMAL, "%s", _("Is this you?"));
		ui_center(6, UI_C_NORMAL, "%s %s",
		    st.dup.given ? st.dup.given : "",
		    st.dup.family ? st.dup.family : "");
		ui_center(7, UI_C_NORMAL, _("born %.4s, from %s"),
		    st.dup.birth_date ? st.dup.birth_date : "?",
		    st.dup.village ? st.dup.village : "?");
		ui_center(10, UI_C_NORMAL, "%s",
		    _("Press 1 for yes, 2 for no (or Y, N)."));
		return;
	case S_PHONE:
		ui_center(3, UI_C_NORMAL,
		    _("Thank you. To be sure it is you, "
		      "type your phone number."));
		break;
	case S_NEW:
		ui_center(3, UI_C_NORMAL, _("Welcome, %s. You are new here."),
		    st.f[F_GIVEN].buf);
		ui_center(
		    5, UI_C_DIM, _("A few more details, then press Enter."));
		break;
	case S_REASON:
		ui_center(3, UI_C_NORMAL, _("Welcome, %s."), st.f[F_GIVEN].buf);
		ui_center(5, UI_C_DIM,
		    _("Why have you come today? (a few "
		      "words, then Enter)"));
		break;
	case S_CONSENT:
		ui_center(3, UI_C_NORMAL, _("Consent"));
		ui_text(6, 4, UI_C_NORMAL,
		    _("The clinic will record your visit "
		      "and the measurements taken."));
		ui_text(7, 4, UI_C_NORMAL,
		    _("They are kept encrypted and shared "
		      "only with the health workers"));
		ui_text(8, 4, UI_C_NORMAL, _("who care for you."));
		ui_text(10, 4, UI_C_NORMAL,
		    _("Do you agree?  Press 1 for yes, "
		      "2 for no (or Y, N)."));
		return;
	case S_DONE:
		ui_center(6, UI_C_OK, _("+ Thank you, %s. You are checked in."),
		    st.f[F_GIVEN].buf);
		ui_center(8, UI_C_NORMAL,
		    _("Please take a seat; a health worker "
		      "will call you."));
		ui_center(12, UI_C_DIM, _("Press Enter for the next person."));
		return;
	case S_STAFF:
		ui_center(6, UI_C_WARN,
		    _("! Please ask the staff to help you "
		      "check in."));
		ui_center(12, UI_C_DIM, _("Press Enter for the next person."));
		return;
	}
	for (i = 0; fl[i] >= 0; i++, y += 2)
		ui_field_draw(y, 10, _(labels[fl[i]]), 34, &st.f[fl[i]],
		    fl[i] == st.focus, 0);
}

static int
eq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcasecmp(a, b) == 0;
}

/* Patients whose names and birth year match exactly (and the phone, in
 * E.164 with the node's country, when USE_PHONE).  Returns how many, or -1 when the store
 * cannot be searched; the first one's id goes to st. */
static int
match(struct ui *ui, int use_phone)
{
	struct store_patient *res = NULL;
	char q[2 * UI_FIELD_MAX + 2], c[3];
	const char *cc;
	size_t n = 0, i;
	int hits = 0;

	snprintf(q, sizeof(q), "%s %s", st.f[F_GIVEN].buf, st.f[F_FAMILY].buf);
	if (store_patient_find(ui->visit.store, q, 50, &res, &n) != 0)
		return -1;
	cc = store_country_get(ui->visit.store, c) == 0 ? phone_calling_code(c)
	                                                : NULL;
	for (i = 0; i < n; i++) {
		if (!eq(res[i].given, st.f[F_GIVEN].buf) ||
		    !eq(res[i].family, st.f[F_FAMILY].buf) ||
		    res[i].birth_date == NULL ||
		    strncmp(res[i].birth_date, st.f[F_YEAR].buf, 4) != 0)
			continue;
		if (use_phone &&
		    !phone_same(res[i].phone, st.f[F_PHONE].buf, cc))
			continue;
		if (hits++ == 0)
			str_lcpy(
			    st.patient_id, res[i].id, sizeof(st.patient_id));
	}
	store_patient_free_array(res, n);
	return hits;
}

/* Not found exactly: a record within two typos with the same birth year
 * (the rule staff registration uses, store_patient_duplicate) is offered
 * as "is this you?".  1 when there is one. */
static int
probable(struct ui *ui)
{
	struct store_patient typed;

	memset(&typed, 0, sizeof(typed));
	typed.given = st.f[F_GIVEN].buf;
	typed.family = st.f[F_FAMILY].buf;
	typed.birth_date = st.f[F_YEAR].buf;
	store_patient_clear(&st.dup);
	return store_patient_duplicate(ui->visit.store, &typed, &st.dup) == 0;
}

static enum ui_result
who_done(struct ui *ui)
{
	long long y;
	int n;

	if (st.f[F_GIVEN].len == 0 || st.f[F_FAMILY].len == 0 ||
	    st.f[F_YEAR].len != 4 ||
	    str_to_ll(st.f[F_YEAR].buf, 1900, 2100, &y) != 0) {
		ui_message(ui, UI_MSG_WARN,
		    _("Please type both names and the "
		      "year of birth (4 digits)."));
		return UI_REDRAW;
	}
	n = match(ui, st.step == S_PHONE);
	if (n < 0) {
		st.step = S_STAFF;
		return UI_REDRAW;
	}
	if (n == 1) {
		st.step = S_REASON;
		st.focus = F_REASON;
	} else if (n == 0 && st.step == S_WHO) {
		st.step = probable(ui) ? S_ISYOU : S_NEW;
		st.focus = F_PHONE;
	} else if (n > 1 && st.step == S_WHO) {
		st.step = S_PHONE;
		st.focus = F_PHONE;
	} else
		st.step = S_STAFF; /* still not sure who this is */
	return UI_REDRAW;
}

static enum ui_result
register_new(struct ui *ui)
{
	struct store_patient p;
	char *cause = NULL;
	int err;

	if (st.f[F_SEX].len > 0 && ui_sex_value(st.f[F_SEX].buf) == NULL) {
		st.focus = F_SEX;
		ui_message(ui, UI_MSG_WARN,
		    _("Sex: type f, m or o (or leave it "
		      "empty)."));
		return UI_REDRAW;
	}
	memset(&p, 0, sizeof(p));
	p.given = st.f[F_GIVEN].buf;
	p.family = st.f[F_FAMILY].buf;
	p.birth_date = st.f[F_YEAR].buf;
	p.phone = st.f[F_PHONE].len ? st.f[F_PHONE].buf : NULL;
	p.village = st.f[F_VILLAGE].len ? st.f[F_VILLAGE].buf : NULL;
	p.sex = (char *)ui_sex_value(st.f[F_SEX].buf);
	if ((err = store_patient_add(ui->visit.store, &p, NULL, &cause)) != 0) {
		ui_message(ui, UI_MSG_WARN, _("Not saved: %s"),
		    cause != NULL ? ui_cause(cause) : ui_strerror(err));
		free(cause);
		return UI_REDRAW;
	}
	str_lcpy(st.patient_id, p.id, sizeof(st.patient_id));
	/* "not me" to a near match: staff decide later (Home, F6) */
	if (st.said_no &&
	    store_dup_flag(ui->visit.store, p.id, st.dup.id,
	        /* stored as written; the duplicates screen translates it */
	        N_("check-in: \"is this you?\" - no")) != 0)
		ui_message(ui, UI_MSG_WARN, "%s",
		    _("Checked in, but staff must check for a duplicate."));
	st.step = S_REASON;
	st.focus = F_REASON;
	return UI_REDRAW;
}

/* Consent given: open the visit for the CHW. */
static enum ui_result
check_in(struct ui *ui)
{
	char reason[UI_FIELD_MAX + 20], enc[UUID_STRLEN + 1];
	int err;

	snprintf(
	    reason, sizeof(reason), "self check-in: %s", st.f[F_REASON].buf);
	store_audit(ui->visit.store, "consent", "patient", st.patient_id,
	    "self check-in");
	if ((err = store_encounter_open(
	         ui->visit.store, st.patient_id, reason, enc)) != 0) {
		ui_message(
		    ui, UI_MSG_WARN, _("Not checked in: %s"), ui_strerror(err));
		st.step = S_STAFF;
		return UI_REDRAW;
	}
	{
		int checked = 0;

		/* the self check-in is the appointment's evidence (issue 15);
		 * the visit is open whatever this gives (store.c logs a
		 * storage failure) */
		(void)store_appt_arrived(ui->visit.store, st.patient_id, "self",
		    clock_wall_ms(), &checked);
	}
	st.step = S_DONE;
	return UI_REDRAW;
}

static int
is_yes(int ch)
{
	return ch == '1' || ch == 'y' || ch == 'Y';
}

static int
is_no(int ch)
{
	return ch == '2' || ch == 'n' || ch == 'N';
}

static enum ui_result
checkin_key(struct ui *ui, enum ui_action a, int ch)
{
	const int *fl = step_fields(st.step);
	int i;

	if (a == UI_A_CHECKIN_EXIT)
		return UI_LOCK; /* staff unlock to leave or go on */
	if (st.step == S_DONE || st.step == S_STAFF) {
		if (a == UI_A_ENTER) {
			restart();
			i18n_set(ui->staff_lang); /* the next person chooses */
		}
		return UI_REDRAW;
	}
	if (a == UI_A_NONE && blank()) {
		for (i = 0; i < (int)(sizeof(langs) / sizeof(langs[0])); i++)
			if (ch == langs[i].key) {
				i18n_set(langs[i].code);
				return UI_REDRAW;
			}
	}
	/* yes and no on the number keys, for patients who do not read
	 * (the letters still work) */
	if (st.step == S_ISYOU) {
		if (is_yes(ch)) {
			str_lcpy(
			    st.patient_id, st.dup.id, sizeof(st.patient_id));
			st.step = S_REASON;
			st.focus = F_REASON;
		} else if (is_no(ch)) {
			st.said_no = 1;
			st.step = S_NEW;
			st.focus = F_PHONE;
		} else if (a == UI_A_BACK)
			restart();
		return UI_REDRAW;
	}
	if (st.step == S_CONSENT) {
		if (is_yes(ch))
			return check_in(ui);
		if (is_no(ch)) {
			st.step = S_STAFF;
			return UI_REDRAW;
		}
		if (a == UI_A_BACK) {
			st.step = S_REASON;
			st.focus = F_REASON;
		}
		return UI_REDRAW;
	}
	for (i = 0; fl[i] >= 0 && fl[i] != st.focus; i++)
		;
	switch (a) {
	case UI_A_NEXT:
	case UI_A_DOWN:
		st.focus = fl[i + 1] >= 0 ? fl[i + 1] : fl[0];
		return UI_REDRAW;
	case UI_A_PREV:
	case UI_A_UP:
		st.focus = i > 0 ? fl[i - 1] : fl[i];
		return UI_REDRAW;
	case UI_A_BACK:
		restart();
		return UI_REDRAW;
	case UI_A_ENTER:
		if (fl[i + 1] >= 0) {
			st.focus = fl[i + 1];
			return UI_REDRAW;
		}
		switch (st.step) {
		case S_WHO:
		case S_PHONE:
			return who_done(ui);
		case S_NEW:
			return register_new(ui);
		default:
			if (st.f[F_REASON].len == 0) {
				ui_message(ui, UI_MSG_WARN,
				    _("Please type why "
				      "you came."));
				return UI_REDRAW;
			}
			st.step = S_CONSENT;
			return UI_REDRAW;
		}
	default:
		return ui_field_key(&st.f[st.focus], a, ch) ? UI_REDRAW
		                                            : UI_HANDLED;
	}
}

const struct screen screen_checkin = {
	"checkin",
	N_("Welcome"),
	checkin_enter,
	checkin_draw,
	checkin_key,
	checkin_leave,
};
