/*
 * The forms of the visit: the XForms definitions the kiosk ships, listed
 * by title, with a mark on those that have a draft for this patient and
 * on those finished in this visit.
 * Forms are read from $OUTPOST_FORMS when set, else DATA/forms, else
 * ./forms/xforms (the shipped ones, in a source tree).  A form that does not load
 * is listed with the reason, never hidden.
 */
#define LOG_MODULE "ui"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "forms/form.h"
#include "kiosk/kctx.h"
#include "kiosk/store/store.h"
#include "log.h"
#include "str.h"
#include "ui.h"
#include "xmalloc.h"

#define FORMS_MAX 32

static struct {
	char dir[256];
	char *path[FORMS_MAX];
	char *title[FORMS_MAX];
	char *problem[FORMS_MAX];
	int draft[FORMS_MAX];
	int done[FORMS_MAX]; /* finished in this visit */
	int n, sel;
} st;

static int
is_dir(const char *p)
{
	struct stat sb;

	return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static void
pick_dir(struct ui *ui)
{
	const char *env = getenv("OUTPOST_FORMS");
	char *p;

	st.dir[0] = '\0';
	if (env != NULL && *env != '\0') {
		str_lcpy(st.dir, env, sizeof(st.dir));
		return;
	}
	p = kctx_path(ui->ctx, "forms");
	if (is_dir(p))
		str_lcpy(st.dir, p, sizeof(st.dir));
	else if (is_dir("forms/xforms") || !is_dir(STORE_SHARE_DIR "/forms"))
		str_lcpy(st.dir, "forms/xforms", sizeof(st.dir));
	else /* installed by the outpost-kiosk package (issue 18) */
		str_lcpy(st.dir, STORE_SHARE_DIR "/forms", sizeof(st.dir));
	free(p);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
forms_free(void)
{
	int i;

	for (i = 0; i < st.n; i++) {
		free(st.path[i]);
		free(st.title[i]);
		free(st.problem[i]);
	}
	memset(&st, 0, sizeof(st));
}

static void
forms_enter(struct ui *ui)
{
	struct form *f;
	struct dirent *de;
	char *cause, *iid, *xml;
	size_t len;
	DIR *d;
	int i;

	forms_free();
	pick_dir(ui);
	if ((d = opendir(st.dir)) == NULL) {
		log_warnx("no forms directory");
		return;
	}
	while ((de = readdir(d)) != NULL && st.n < FORMS_MAX) {
		len = strlen(de->d_name);
		if (len < 5 || strcmp(de->d_name + len - 4, ".xml") != 0)
			continue;
		xasprintf(&st.path[st.n++], "%s/%s", st.dir, de->d_name);
	}
	closedir(d);
	qsort(st.path, (size_t)st.n, sizeof(st.path[0]), by_name);
	for (i = 0; i < st.n; i++) {
		cause = NULL;
		if (form_load(st.path[i], &f, &cause) != 0) {
			st.title[i] = xstrdup(strrchr(st.path[i], '/') + 1);
			st.problem[i] = cause != NULL
			    ? cause
			    : xstrdup(_("cannot be read"));
			continue;
		}
		st.title[i] =
		    xstrdup(form_title(f)[0] ? form_title(f) : form_id(f));
		iid = xml = NULL;
		if (ui->visit.store != NULL && ui->visit.have_patient &&
		    store_form_draft_latest(ui->visit.store, form_id(f),
		        ui->visit.patient.id, &iid, &xml) == 0)
			st.draft[i] = 1;
		free(iid);
		xfree_secret_str(xml);
		if (ui->visit.store != NULL && ui->visit.have_patient &&
		    ui->visit.encounter_id[0] != '\0' &&
		    store_form_submitted(ui->visit.store, form_id(f),
		        ui->visit.patient.id, ui->visit.encounter_id,
		        &st.done[i]) != 0)
			st.done[i] = 0;
		form_free(f);
	}
}

static void
forms_leave(struct ui *ui)
{
	(void)ui;
	forms_free();
}

static void
forms_draw(struct ui *ui)
{
	int i, y = 4;

	ui_text(2, 1, UI_C_NORMAL, _("Forms for %s %s:"),
	    ui->visit.patient.given ? ui->visit.patient.given : "",
	    ui->visit.patient.family ? ui->visit.patient.family : "");
	if (st.n == 0)
		ui_text(y, 3, UI_C_WARN, _("! No forms found in %s."), st.dir);
	for (i = 0; i < st.n && y < 18; i++, y++) {
		if (st.problem[i] != NULL) {
			ui_text(y, 1, i == st.sel ? UI_C_FOCUS : UI_C_WARN,
			    _("%c ! %-28.28s cannot be used: %.40s"),
			    i == st.sel ? '>' : ' ', st.title[i],
			    st.problem[i]);
			continue;
		}
		ui_text(y, 1, i == st.sel ? UI_C_FOCUS : UI_C_NORMAL,
		    "%c %-50.50s %s", i == st.sel ? '>' : ' ', st.title[i],
		    st.draft[i]      ? _("* draft saved")
		        : st.done[i] ? _("+ finished in this visit")
		                     : "");
	}
	ui_text(19, 1, UI_C_DIM,
	    _("Up/Down choose   Enter open   Esc back to "
	      "the visit"));
}

static enum ui_result
forms_key(struct ui *ui, enum ui_action a, int ch)
{
	(void)ch;
	if (ui_list_key(&st.sel, st.n, a))
		return UI_REDRAW;
	switch (a) {
	case UI_A_ENTER:
		if (st.n == 0)
			return UI_HANDLED;
		if (st.problem[st.sel] != NULL) {
			ui_message(ui, UI_MSG_WARN,
			    _("This form cannot be used: "
			      "%s"),
			    st.problem[st.sel]);
			return UI_REDRAW;
		}
		str_lcpy(ui->visit.form_path, st.path[st.sel],
		    sizeof(ui->visit.form_path));
		/* back from the form goes to the visit */
		return ui_replace(ui, &screen_form);
	default:
		return UI_UNHANDLED;
	}
}

const struct screen screen_forms = {
	"forms",
	N_("Forms of the visit"),
	forms_enter,
	forms_draw,
	forms_key,
	forms_leave,
};
