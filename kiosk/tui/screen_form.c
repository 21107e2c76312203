/*
 * Fill one form (forms/form.h is the model; this file only shows it).
 * The prompts are listed in body order with their answers; the focused
 * one is answered in place: typing for inputs, a number or Left/Right for
 * a single choice, a number or F7 for a multiple choice.  Each answer is
 * checked by the engine (constraint and type messages are shown as the
 * form words them) and the draft is saved in the store at once, so a
 * power cut or a killed kiosk loses nothing: opening the form again for
 * the same patient resumes the draft.  F10 validates and stores the
 * finished record.  Notes wrap over up to NOTE_ROWS rows of the list and
 * take the cursor (the whole text shows below), so none is cut or passed
 * by; a long choice list flows over the rows below and scrolls to keep the
 * choice marked > in view.  Group ends take no row.  Not here: repeat
 * removal and media (the engine lists unsupported controls; they show as
 * such).
 */
#define LOG_MODULE "ui"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "forms/form.h"
#include "log.h"
#include "str.h"
#include "ui.h"
#include "xmalloc.h"

#define LIST_TOP 4
#define LIST_ROWS 11 /* rows 4-14; the focused prompt's detail below */
#define DETAIL_TOP 16
#define DETAIL_END 20 /* rows 16-19 */
#define NOTE_ROWS 3 /* a note's rows in the list at most */

static struct {
	struct form *f;
	struct form_prompt *p;
	size_t n;
	size_t focus; /* index into p */
	size_t top; /* first prompt shown */
	struct ui_field edit;
	int edited;
	char *problem; /* why the form could not be opened */
	int choice; /* cursor in the choices of a select */
} st;

static int
answerable(const struct form_prompt *p)
{
	switch (p->kind) {
	case FORM_INPUT:
	case FORM_SELECT1:
	case FORM_SELECT:
	case FORM_RANGE:
	case FORM_TRIGGER:
		return !p->readonly;
	case FORM_REPEAT:
		return p->can_add;
	default:
		return 0;
	}
}

/* A note the cursor stops on: its text would otherwise be passed by. */
static const char *
note_text(const struct form_prompt *p)
{
	if (p->label != NULL && p->label[0] != '\0')
		return p->label;
	return p->value != NULL ? p->value : "";
}

static int
focusable(const struct form_prompt *p)
{
	return answerable(p) || (p->kind == FORM_NOTE && *note_text(p));
}

static int
note_width(const struct form_prompt *p)
{
	return 76 - 2 * p->depth;
}

/* Rows prompt P takes in the list. */
static int
height(const struct form_prompt *p)
{
	int h;

	switch (p->kind) {
	case FORM_END:
		return 0; /* a group's end: nothing to show */
	case FORM_NOTE:
		h = ui_wrap_rows(note_width(p), note_text(p));
		return h > NOTE_ROWS ? NOTE_ROWS : h;
	default:
		return 1;
	}
}

static void
load_edit(void)
{
	const struct form_prompt *p;
	size_t i;

	ui_field_clear(&st.edit);
	st.edited = 0;
	st.choice = 0;
	if (st.focus >= st.n || (p = &st.p[st.focus])->value == NULL)
		return;
	ui_field_set(&st.edit, p->value);
	/* a single choice's marker starts on the answer */
	for (i = 0; p->kind == FORM_SELECT1 && i < p->nchoices; i++)
		if (strcmp(p->choices[i].value, p->value) == 0)
			st.choice = (int)i;
}

/* Fetch the prompts again (relevance may have changed), keeping the
 * focus on the prompt at PATH when it is still there. */
static void
refresh(const char *path)
{
	size_t i;

	form_prompts_free(st.p, st.n);
	st.p = NULL;
	st.n = 0;
	if (form_prompts(st.f, &st.p, &st.n) != 0) {
		st.p = NULL;
		st.n = 0;
	}
	st.focus = 0;
	for (i = 0; i < st.n; i++)
		if (path != NULL && st.p[i].path != NULL &&
		    strcmp(st.p[i].path, path) == 0) {
			st.focus = i;
			break;
		}
	if (path == NULL || i == st.n)
		for (st.focus = 0;
		     st.focus < st.n && !answerable(&st.p[st.focus]);
		     st.focus++)
			;
	if (st.focus >= st.n)
		st.focus = 0;
	load_edit();
}

/* Save the draft in the store; 0 or an errno (message set). */
static int
save_draft(struct ui *ui)
{
	char *xml = NULL;
	int err;

	if ((err = form_draft_save(st.f, &xml)) == 0)
		err = store_form_draft_put(ui->visit.store,
		    form_instance_id(st.f), form_id(st.f), ui->visit.patient.id,
		    xml);
	xfree_secret_str(xml);
	if (err != 0) {
		log_warnx("draft save: %d", err);
		ui_message(ui, UI_MSG_DANGER, _("The draft was not saved: %s"),
		    ui_strerror(err));
	}
	return err;
}

/*
 * The IMCI form asks the danger signs the F6 screen already has: once that
 * screen was opened, each sign is "yes" (ticked) or "no" (looked for, not
 * ticked), and the child's age in months comes from the birth date.
 * Returns how many answers were set.
 */
static int
prefill_imci(struct ui *ui)
{
	static const struct {
		const char *path;
		int sign; /* enum imci_sign */
	} map[] = {
		{ "/data/signs/unable_to_drink", IMCI_NOT_ABLE_TO_DRINK },
		{ "/data/signs/vomits_everything", IMCI_VOMITS_EVERYTHING },
		{ "/data/signs/convulsions", IMCI_CONVULSIONS },
		{ "/data/signs/lethargic", IMCI_LETHARGIC },
		{ "/data/signs/convulsing_now", IMCI_CONVULSING_NOW },
	};
	char v[16], *cause = NULL, *old = NULL;
	size_t i;
	int n = 0, m = visit_age_months(ui->visit.patient.birth_date);

	if (!ui->visit.vitals.imci_checked)
		return 0;
	if (m >= 2 && m < 60 && form_get(st.f, "/data/age_months", &old) == 0) {
		snprintf(v, sizeof(v), "%d", m);
		if (form_set(st.f, "/data/age_months", v, &cause) == 0)
			n++;
		free(cause);
		cause = NULL;
	}
	free(old);
	for (i = 0; i < nitems(map); i++) {
		old = NULL;
		if (form_get(st.f, map[i].path, &old) != 0)
			continue; /* not in this form */
		free(old);
		if (form_set(st.f, map[i].path,
		        (ui->visit.vitals.imci_signs & (1u << map[i].sign))
		            ? "yes"
		            : "no",
		        &cause) == 0)
			n++;
		free(cause);
		cause = NULL;
	}
	return n;
}

/*
 * A new record starts with the visit's vital signs where the form asks
 * for them (the shipped vitals_triage.xml names them /data/vitals/...):
 * nothing is typed twice.  Fields the form does not have are skipped.
 */
static void
prefill(struct ui *ui)
{
	static const struct {
		const char *path;
		int param; /* enum news2_param, or -1 for diastolic */
	} map[] = {
		{ "/data/vitals/temperature", NEWS2_TEMP },
		{ "/data/vitals/pulse", NEWS2_PULSE },
		{ "/data/vitals/resp_rate", NEWS2_RR },
		{ "/data/vitals/spo2", NEWS2_SPO2 },
		{ "/data/vitals/on_oxygen", NEWS2_AIR_O2 },
		{ "/data/vitals/sbp", NEWS2_SBP },
		{ "/data/vitals/dbp", -1 },
		{ "/data/vitals/acvpu", NEWS2_ACVPU },
	};
	const struct news2_input *in = &ui->visit.vitals.in;
	char v[32], *cause, *old;
	size_t i;
	int p, n = 0;

	for (i = 0; i < nitems(map); i++) {
		p = map[i].param;
		if (p < 0 ? ui->visit.vitals.dia == 0 : !(in->have & (1u << p)))
			continue;
		old = NULL;
		if (form_get(st.f, map[i].path, &old) != 0)
			continue; /* not in this form */
		free(old);
		switch (p) {
		case NEWS2_TEMP:
			snprintf(v, sizeof(v), "%.1f", in->temp);
			break;
		case NEWS2_PULSE:
			snprintf(v, sizeof(v), "%d", in->pulse);
			break;
		case NEWS2_RR:
			snprintf(v, sizeof(v), "%d", in->rr);
			break;
		case NEWS2_SPO2:
			snprintf(v, sizeof(v), "%d", in->spo2);
			break;
		case NEWS2_AIR_O2:
			snprintf(v, sizeof(v), "%s", in->oxygen ? "yes" : "no");
			break;
		case NEWS2_SBP:
			snprintf(v, sizeof(v), "%d", in->sbp);
			break;
		case NEWS2_ACVPU:
			snprintf(
			    v, sizeof(v), "%s", triage_acvpu_name(in->acvpu));
			break;
		default:
			snprintf(v, sizeof(v), "%d", ui->visit.vitals.dia);
			break;
		}
		cause = NULL;
		if (form_set(st.f, map[i].path, v, &cause) == 0)
			n++;
		free(cause);
	}
	n += prefill_imci(ui);
	if (n > 0) {
		ui_message(ui, UI_MSG_OK,
		    ngettext("%d answer taken from the visit (vital signs, "
		             "danger signs).",
		        "%d answers taken from the visit (vital signs, danger "
		        "signs).",
		        n),
		    n);
		save_draft(ui);
	}
}

static void
form_enter(struct ui *ui)
{
	char *cause = NULL, *iid = NULL, *xml = NULL;
	size_t i;
	int err;

	memset(&st, 0, sizeof(st));
	if ((err = form_load(ui->visit.form_path, &st.f, &cause)) != 0) {
		st.problem = cause != NULL ? cause : xstrdup(ui_strerror(err));
		return;
	}
	form_set_property(st.f, "deviceid", store_node_id(ui->visit.store));
	form_set_property(st.f, "username", ui->visit.user_name);
	err = store_form_draft_latest(
	    ui->visit.store, form_id(st.f), ui->visit.patient.id, &iid, &xml);
	if (err == 0) {
		err = form_draft_restore(st.f, xml, strlen(xml), &cause);
		if (err == 0)
			ui_message(ui, UI_MSG_OK,
			    _("Draft resumed: nothing was "
			      "lost."));
		else {
			log_warnx("draft restore: %d", err);
			ui_message(ui, UI_MSG_WARN,
			    _("The saved draft could not "
			      "be used; starting again."));
			free(cause);
			cause = NULL;
		}
	}
	free(iid);
	xfree_secret_str(xml);
	if (err != 0) {
		/* CHT forms read the patient and contact from inputs/, set
		 * before the start so the load events see them */
		(void)visit_form_inputs(&ui->visit, st.f);
		if ((err = form_start(st.f, &cause)) != 0) {
			st.problem =
			    cause != NULL ? cause : xstrdup(ui_strerror(err));
			form_free(st.f);
			st.f = NULL;
			return;
		}
		prefill(ui);
	}
	refresh(NULL);
	/* a resumed or prefilled record goes on where answers stop */
	for (i = 0; i < st.n; i++)
		if (answerable(&st.p[i]) &&
		    (st.p[i].value == NULL || st.p[i].value[0] == '\0')) {
			st.focus = i;
			load_edit();
			break;
		}
}

static void
form_leave(struct ui *ui)
{
	(void)ui;
	form_prompts_free(st.p, st.n);
	form_free(st.f);
	free(st.problem);
	ui_field_clear(&st.edit);
	memset(&st, 0, sizeof(st));
}

/* Is VALUE one of the space-separated words of SET? */
static int
in_set(const char *set, const char *value)
{
	size_t n = strlen(value);
	const char *p = set;

	while ((p = strstr(p, value)) != NULL) {
		if ((p == set || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

static const char *
choice_label(const struct form_prompt *p, const char *value)
{
	size_t i;

	for (i = 0; i < p->nchoices; i++)
		if (strcmp(p->choices[i].value, value) == 0)
			return p->choices[i].label;
	return value;
}

/* The labels of the ticked choices of a multiple choice, comma-separated. */
static void
labels_of(const struct form_prompt *p, char *out, size_t len)
{
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; i < p->nchoices && n + 1 < len; i++) {
		if (!in_set(p->value ? p->value : "", p->choices[i].value))
			continue;
		n += (size_t)snprintf(out + n, len - n, "%s%s", n ? ", " : "",
		    p->choices[i].label);
		if (n >= len)
			n = len - 1;
	}
}

/* Prompt I at row Y, in at most ROWS rows. */
static void
draw_line(int y, size_t i, int rows)
{
	const struct form_prompt *p = &st.p[i];
	const char *v = p->value != NULL ? p->value : "";
	char shown[160], label[160], cell[160];
	int focused = i == st.focus;
	enum ui_color c = focused ? UI_C_FOCUS : UI_C_NORMAL;

	switch (p->kind) {
	case FORM_GROUP:
	case FORM_REPEAT:
		ui_text(y, 1 + 2 * p->depth, focused ? UI_C_FOCUS : UI_C_TITLE,
		    "%c %s%s", focused ? '>' : ' ', p->label ? p->label : "",
		    p->kind == FORM_REPEAT && p->can_add
		        ? _("  (Enter: add one)")
		        : "");
		return;
	case FORM_NOTE:
		if (focused)
			ui_text(y, 1 + 2 * p->depth, UI_C_FOCUS, ">");
		ui_wrap(y, 3 + 2 * p->depth, note_width(p),
		    rows < NOTE_ROWS ? rows : NOTE_ROWS,
		    focused ? UI_C_FOCUS : UI_C_DIM, note_text(p));
		return;
	case FORM_UPLOAD:
		ui_text(y, 1 + 2 * p->depth, UI_C_WARN,
		    _("  ! %.50s: not "
		      "supported here"),
		    p->label ? p->label : "");
		return;
	default:
		break;
	}
	if (focused && (p->kind == FORM_INPUT || p->kind == FORM_RANGE))
		v = st.edit.buf;
	else if (p->kind == FORM_SELECT1 && *v != '\0')
		v = choice_label(p, v);
	if (p->kind == FORM_SELECT)
		labels_of(p, shown, sizeof(shown));
	else
		snprintf(shown, sizeof(shown), "%s", v);
	ui_text(y, 1 + 2 * p->depth, c, "%c %s%s", focused ? '>' : ' ',
	    p->required ? "*" : " ",
	    ui_fit(label, sizeof(label), p->label, 37 - 2 * p->depth));
	ui_text(
	    y, 42, UI_C_NORMAL, "[%s]", ui_fit(cell, sizeof(cell), shown, 34));
	if (focused && (p->kind == FORM_INPUT || p->kind == FORM_RANGE))
		ui_cursor(y, 43 + (int)(st.edit.len < 34 ? st.edit.len : 34));
}

/* Choice I of P as shown: ">3(*) Label". */
static void
choice_text(const struct form_prompt *p, size_t i, char *out, size_t len)
{
	char lab[160];
	size_t k;
	int on = p->kind == FORM_SELECT1
	    ? strcmp(p->value ? p->value : "", p->choices[i].value) == 0
	    : in_set(p->value ? p->value : "", p->choices[i].value);

	snprintf(out, len, "%s%zu%s %s", (int)i == st.choice ? ">" : "", i + 1,
	    p->kind == FORM_SELECT ? (on ? "[x]" : "[ ]")
	                           : (on ? "(*)" : "( )"),
	    ui_fit(lab, sizeof(lab), p->choices[i].label, 60));
	/* ui_fit pads: the label ends at its last non-space */
	for (k = strlen(out); k > 0 && out[k - 1] == ' ';)
		out[--k] = '\0';
}

#define CHOICE_X 2
#define CHOICE_W 72 /* columns 2-73, 5-76 after "<<"; ">>" at 78 */

/* Lay out the choices of P from FIRST over ROWS rows; draws them when
 * Y >= 0.  Returns the last choice that fits. */
static size_t
layout_choices(const struct form_prompt *p, size_t first, int y, int rows)
{
	char t[200];
	size_t i, last = first;
	int r = 0, x = 0, w;

	for (i = first; i < p->nchoices; i++) {
		choice_text(p, i, t, sizeof(t));
		w = ui_width(t);
		if (x > 0 && x + w > CHOICE_W) {
			if (++r >= rows)
				break;
			x = 0;
		}
		if (y >= 0)
			ui_text(y + r, CHOICE_X + (first > 0 ? 3 : 0) + x,
			    (int)i == st.choice ? UI_C_FOCUS : UI_C_NORMAL,
			    "%s", t);
		last = i;
		x += w + 2;
	}
	return last;
}

/* The choices of P on ROWS rows from Y, scrolled so the one marked > is
 * in view; "<<" and ">>" say that more are before or after. */
static void
draw_choices(const struct form_prompt *p, int y, int rows)
{
	size_t first = 0, last;

	if (p->nchoices == 0 || rows < 1)
		return;
	while (first < (size_t)st.choice &&
	    layout_choices(p, first, -1, rows) < (size_t)st.choice)
		first++;
	last = layout_choices(p, first, y, rows);
	if (first > 0)
		ui_text(y, CHOICE_X, UI_C_DIM, "<<");
	if (last + 1 < p->nchoices)
		ui_text(y + rows - 1, 78, UI_C_DIM, ">>");
}

/* The focused prompt in full: label (a note's whole text), hint,
 * choices. */
static void
draw_detail(void)
{
	const struct form_prompt *p = &st.p[st.focus];
	int y, select = p->kind == FORM_SELECT1 || p->kind == FORM_SELECT;

	if (p->kind == FORM_NOTE) {
		ui_wrap(DETAIL_TOP, 2, 76, DETAIL_END - DETAIL_TOP, UI_C_NORMAL,
		    note_text(p));
		return;
	}
	y = ui_wrap(
	    DETAIL_TOP, 2, 76, 2, UI_C_NORMAL, p->label ? p->label : "");
	if (p->hint != NULL && p->hint[0] != '\0')
		y = ui_wrap(
		    y, 2, 76, select ? 1 : DETAIL_END - y, UI_C_DIM, p->hint);
	if (select)
		draw_choices(p, y, DETAIL_END - y);
}

/* Move the window so the focused prompt is in it. */
static void
scroll_to_focus(void)
{
	size_t i;
	int rows;

	if (st.focus < st.top)
		st.top = st.focus;
	while (st.top < st.focus) {
		for (rows = 0, i = st.top; i <= st.focus; i++)
			rows += height(&st.p[i]);
		if (rows <= LIST_ROWS)
			break;
		st.top++;
	}
}

static void
form_draw(struct ui *ui)
{
	size_t i;
	int y = LIST_TOP, h, more;

	if (st.f == NULL) {
		ui_text(3, 2, UI_C_WARN, _("! This form cannot be opened:"));
		ui_wrap(4, 4, 74, 6, UI_C_NORMAL, st.problem ? st.problem : "");
		ui_text(12, 2, UI_C_DIM, _("Esc: back."));
		return;
	}
	ui_text(2, 1, UI_C_NORMAL, "%.50s  -  %s %s", form_title(st.f),
	    ui->visit.patient.given ? ui->visit.patient.given : "",
	    ui->visit.patient.family ? ui->visit.patient.family : "");
	if (form_language(st.f) != NULL)
		ui_text(2, 66, UI_C_DIM, "[%.10s]", form_language(st.f));
	scroll_to_focus();
	for (i = st.top; i < st.n && y < LIST_TOP + LIST_ROWS; i++) {
		if ((h = height(&st.p[i])) == 0)
			continue;
		draw_line(y, i, LIST_TOP + LIST_ROWS - y);
		y += h;
	}
	for (more = 0; i < st.n && !more; i++)
		more = height(&st.p[i]) > 0;
	if (y > LIST_TOP + LIST_ROWS)
		more = 1; /* the last note is cut: the rest shows below */
	if (st.top > 0)
		ui_text(LIST_TOP - 1, 70, UI_C_DIM, "%s", _("^ more"));
	if (more)
		ui_text(LIST_TOP + LIST_ROWS, 70, UI_C_DIM, "%s", _("v more"));
	if (st.n > 0)
		draw_detail();
	ui_text(20, 1, UI_C_DIM,
	    _("Enter save  Up/Down move  F10 finish  "
	      "Esc back (draft kept)  * required"));
}

/* Answer the focused prompt with VALUE; 0 or an errno (message set). */
static int
answer(struct ui *ui, const char *value)
{
	const struct form_prompt *p = &st.p[st.focus];
	char *cause = NULL, *path;
	int err;

	path = xstrdup(p->path);
	err = form_set(st.f, path, value, &cause);
	if (err != 0 && cause == NULL)
		ui_message(
		    ui, UI_MSG_WARN, _("Not accepted: %s"), ui_strerror(err));
	else if (cause != NULL)
		/* a constraint message is stored with the value; a type
		 * error is not */
		ui_message(ui, UI_MSG_WARN, "%s", cause);
	else
		ui->msg[0] = '\0'; /* an earlier complaint no longer holds */
	free(cause);
	if (err == 0 || err == EINVAL)
		save_draft(ui);
	refresh(path);
	free(path);
	return err;
}

static int
commit(struct ui *ui)
{
	if (!st.edited || st.n == 0)
		return 0;
	st.edited = 0;
	return answer(ui, st.edit.buf);
}

static void
move(int dir)
{
	size_t i = st.focus;

	for (;;) {
		if (dir < 0 && i == 0)
			return;
		if (dir > 0 && i + 1 >= st.n)
			return;
		i = dir < 0 ? i - 1 : i + 1;
		if (focusable(&st.p[i]))
			break;
	}
	st.focus = i;
	load_edit();
}

static enum ui_result
finish(struct ui *ui)
{
	struct form_issue *iss = NULL;
	char *xml = NULL, *cause = NULL, *nl;
	size_t n;
	int err;

	/* the first thing missing or wrong: say it and go there */
	if ((n = form_validate(st.f, &iss)) > 0) {
		ui_message(ui, UI_MSG_WARN, _("Not finished (%zu to fix): %s"),
		    n, iss[0].message != NULL ? iss[0].message : _("required"));
		refresh(iss[0].path);
		form_issues_free(iss, n);
		return UI_REDRAW;
	}
	form_issues_free(iss, n);
	if ((err = form_finalize(st.f, &xml, &cause)) != 0) {
		if (cause != NULL && (nl = strchr(cause, '\n')) != NULL)
			*nl = '\0';
		ui_message(ui, UI_MSG_WARN, _("Not finished: %s"),
		    cause != NULL ? cause : ui_strerror(err));
		free(cause);
		return UI_REDRAW;
	}
	if ((err = visit_session_encounter(&ui->visit, "forms")) == 0)
		err = store_form_submit(ui->visit.store, form_instance_id(st.f),
		    form_id(st.f), form_version(st.f), ui->visit.encounter_id,
		    ui->visit.patient.id, xml);
	xfree_secret_str(xml);
	if (err != 0) {
		log_warnx("form submit: %d", err);
		ui_message(ui, UI_MSG_DANGER, _("The form was not stored: %s"),
		    ui_strerror(err));
		return UI_REDRAW;
	}
	ui_message(ui, UI_MSG_OK, _("Form \"%.40s\" finished and stored."),
	    form_title(st.f));
	return UI_BACK;
}

static enum ui_result
choose(struct ui *ui, int n)
{
	const struct form_prompt *p = &st.p[st.focus];
	char set[512];
	const char *v;
	size_t i, len = 0;

	if (n < 0 || (size_t)n >= p->nchoices)
		return UI_HANDLED;
	st.choice = n;
	v = p->choices[n].value;
	if (p->kind == FORM_SELECT1) {
		answer(ui, v);
		return UI_REDRAW;
	}
	/* multiple choice: toggle V in the set */
	set[0] = '\0';
	for (i = 0; i < p->nchoices; i++) {
		int on = in_set(p->value ? p->value : "", p->choices[i].value);

		if ((int)i == n)
			on = !on;
		if (on && len + strlen(p->choices[i].value) + 2 < sizeof(set))
			len += (size_t)snprintf(set + len, sizeof(set) - len,
			    "%s%s", len ? " " : "", p->choices[i].value);
	}
	answer(ui, set);
	if (st.focus < st.n && st.p[st.focus].kind == FORM_SELECT)
		st.choice = n; /* the marker stays on the choice ticked */
	return UI_REDRAW;
}

/* Switch to the form's next language (any time: answers stay). */
static enum ui_result
next_language(struct ui *ui)
{
	const char *const *langs;
	const char *cur = form_language(st.f);
	char *path;
	size_t n = form_languages(st.f, &langs), i;

	if (n < 2) {
		ui_message(ui, UI_MSG_INFO, _("This form has one language."));
		return UI_REDRAW;
	}
	for (i = 0; i < n; i++)
		if (cur != NULL && strcmp(langs[i], cur) == 0)
			break;
	i = i < n ? (i + 1) % n : 0;
	if (form_set_language(st.f, langs[i]) != 0)
		return UI_HANDLED;
	ui_message(ui, UI_MSG_OK, _("Language: %s"), langs[i]);
	path = st.focus < st.n && st.p[st.focus].path != NULL
	    ? xstrdup(st.p[st.focus].path)
	    : NULL;
	save_draft(ui); /* the draft keeps the language */
	refresh(path);
	free(path);
	return UI_REDRAW;
}

static enum ui_result
form_key(struct ui *ui, enum ui_action a, int ch)
{
	struct form_prompt *p;
	int idx;

	if (st.f == NULL || st.n == 0)
		return a == UI_A_BACK ? UI_BACK : UI_UNHANDLED;
	p = &st.p[st.focus];
	switch (a) {
	case UI_A_UP:
	case UI_A_PREV:
		commit(ui);
		move(-1);
		return UI_REDRAW;
	case UI_A_DOWN:
	case UI_A_NEXT:
		commit(ui);
		move(1);
		return UI_REDRAW;
	case UI_A_ENTER:
		if (p->kind == FORM_TRIGGER)
			answer(ui, "OK");
		else if (p->kind == FORM_REPEAT) {
			if (form_repeat_add(st.f, p->path, &idx) == 0)
				save_draft(ui);
			refresh(p->path);
			return UI_REDRAW;
		} else if (st.edited && commit(ui) != 0)
			return UI_REDRAW;
		move(1);
		return UI_REDRAW;
	case UI_A_LEFT:
	case UI_A_RIGHT:
		if (p->kind != FORM_SELECT1 && p->kind != FORM_SELECT)
			return UI_HANDLED;
		if (p->nchoices == 0)
			return UI_HANDLED;
		st.choice =
		    (st.choice + (a == UI_A_LEFT ? -1 : 1) + (int)p->nchoices) %
		    (int)p->nchoices;
		return p->kind == FORM_SELECT1 ? choose(ui, st.choice)
		                               : UI_REDRAW;
	case UI_A_TOGGLE:
		return p->kind == FORM_SELECT ? choose(ui, st.choice)
		                              : UI_HANDLED;
	case UI_A_FINISH:
		commit(ui);
		return finish(ui);
	case UI_A_LANGUAGE:
		commit(ui);
		return next_language(ui);
	case UI_A_BACK:
		commit(ui);
		return UI_BACK;
	default:
		if ((p->kind == FORM_SELECT1 || p->kind == FORM_SELECT) &&
		    a == UI_A_NONE && ch >= '1' && ch <= '9')
			return choose(ui, ch - '1');
		if (p->kind != FORM_INPUT && p->kind != FORM_RANGE)
			return UI_UNHANDLED;
		if (!ui_field_key(&st.edit, a, ch))
			return UI_UNHANDLED;
		st.edited = 1;
		return UI_REDRAW;
	}
}

const struct screen screen_form = {
	"form",
	N_("Form"),
	form_enter,
	form_draw,
	form_key,
	form_leave,
};
