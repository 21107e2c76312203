/*
 * The consult's patient, for the clinician on a hub (issue 13): who they
 * are and why the CHW asked, each vital sign with its trend (newest
 * first), NEWS2 and red flags (danger signs among them), earlier visits,
 * forms and attachments, all from what the sync brought.  F2 writes the
 * note, F7 calls, F8 returns the consult to the queue.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "consult.h"
#include "i18n.h"
#include "kiosk/store/store.h"
#include "kiosk/sync/sync.h"
#include "ui.h"
#include "xmalloc.h"

static const struct {
	const char *loinc, *name;
} vital_names[] = {
	{ "9279-1", N_("Resp. rate") },
	{ "59408-5", N_("SpO2") },
	{ "8480-6", N_("Systolic BP") },
	{ "8462-4", N_("Diastolic BP") },
	{ "8867-4", N_("Pulse") },
	{ "8310-5", N_("Temperature") },
	{ "29463-7", N_("Weight") },
};

static const char *
vital_name(const char *loinc)
{
	size_t i;

	for (i = 0; i < sizeof(vital_names) / sizeof(*vital_names); i++)
		if (strcmp(vital_names[i].loinc, loinc) == 0)
			return _(vital_names[i].name);
	return loinc;
}

/*
 * F7: call the clinic kiosk that asked.  The server's queue names the
 * node that requested the consult; its SIP name is n<node> at the
 * region's registrar (sync-server/sipcred.c), the same registrar this
 * hub registered with.  The consult moves to "call" and the call screen
 * dials; the clinic's kiosk rings and answers only on the CHW's key.
 */
static enum ui_result
consult_call(struct ui *ui)
{
	struct sync_queue q;
	const struct sync_queue_item *it;
	char *user = NULL, *pw = NULL, *reg = NULL, *cause = NULL, uri[160];
	uint64_t node = 0;
	int err;

	if (ui->call.engine == NULL) {
		ui_message(ui, UI_MSG_WARN, "%s",
		    _("Calls are not set up on this hub. Write the note: it "
		      "goes back by sync."));
		return UI_REDRAW;
	}
	if (ui_call_live(ui)) {
		ui_message(ui, UI_MSG_WARN, "%s",
		    _("A call is already on: end it first (F10)."));
		return UI_REDRAW;
	}
	if (sync_queue_get(ui->visit.store, &q) == 0 &&
	    (it = sync_queue_find(&q, ui->consult_id)) != NULL)
		node = it->node;
	sync_queue_clear(&q);
	if (node == 0) {
		ui_message(ui, UI_MSG_WARN, "%s",
		    _("The clinic's kiosk is not known yet: sync, then call "
		      "again."));
		return UI_REDRAW;
	}
	if (sync_sip_get(ui->visit.store, &user, &pw, &reg) != 0) {
		ui_message(ui, UI_MSG_WARN, "%s",
		    _("Calls are not set up on this hub. Write the note: it "
		      "goes back by sync."));
		return UI_REDRAW;
	}
	snprintf(
	    uri, sizeof(uri), "sip:n%llu@%s", (unsigned long long)node, reg);
	free(user);
	xfree_secret_str(pw);
	free(reg);
	err = store_consult_step(
	    ui->visit.store, ui->consult_id, "call", NULL, NULL, &cause);
	if (err != 0) {
		ui_warn_cause(ui, err, cause);
		free(cause);
		return UI_REDRAW;
	}
	sync_thread_kick();
	screen_call_set(ui, ui->consult_id, uri, 1);
	return ui_goto(ui, &screen_call);
}

/* A consult's or a visit's state in the screen's language (the store
 * keeps the protocol's words); one not listed shows as stored. */
static const char *
state_word(const char *st)
{
	static const char *const words[] = { N_("requested"), N_("queued"),
		N_("accepted"), N_("call"), N_("signed"), N_("closed"),
		N_("cancelled"), N_("failed"), N_("taken"), N_("open") };
	size_t i;

	for (i = 0; st != NULL && i < nitems(words); i++)
		if (strcmp(st, words[i]) == 0)
			return _(words[i]);
	return st != NULL ? st : "";
}

static void
pat_draw(struct ui *ui)
{
	struct store_consult c;
	struct store_patient p;
	struct store_chart ch;
	char when[32], line[96];
	int i, j, y, at;

	if (store_consult_get(ui->visit.store, ui->consult_id, &c) != 0) {
		ui_text(
		    3, 2, UI_C_WARN, "%s", _("! The consult cannot be read."));
		return;
	}
	memset(&p, 0, sizeof(p));
	if (c.patient_id == NULL ||
	    store_patient_get(ui->visit.store, c.patient_id, &p) != 0) {
		ui_text(3, 2, UI_C_WARN, "%s",
		    _("! The patient has not arrived yet: sync again."));
		store_consult_clear(&c);
		return;
	}
	ui_text(2, 1, UI_C_TITLE, " %s %s, %s, %s%s%s ", p.given, p.family,
	    p.sex ? ui_sex_name(p.sex) : "?", p.birth_date ? p.birth_date : "?",
	    p.village ? ", " : "", p.village ? p.village : "");
	ui_text(3, 1, c.urgency == CONSULT_HIGH ? UI_C_DANGER : UI_C_NORMAL,
	    _("%s urgency, NEWS2 %s, %s: %s"),
	    _(consult_urgency_name(c.urgency)),
	    c.news2 >= 0 ? (snprintf(when, sizeof(when), "%d", c.news2), when)
	                 : "-",
	    state_word(c.state), c.reason ? c.reason : "");
	if (store_consult_chart(ui->visit.store, c.patient_id, &ch) != 0) {
		ui_text(
		    5, 2, UI_C_WARN, "%s", _("! The chart cannot be read."));
		goto out;
	}
	y = 5;
	ui_text(y++, 1, UI_C_NORMAL, "%s", _("Vital signs (newest first):"));
	for (i = 0; i < ch.nvitals && y < 12; i++) {
		const struct store_chart_vital *v = &ch.vitals[i];

		at =
		    snprintf(line, sizeof(line), "%-13s", vital_name(v->loinc));
		for (j = 0; j < v->n && at < (int)sizeof(line) - 12; j++)
			at += snprintf(line + at, sizeof(line) - (size_t)at,
			    "%s%g", j ? " <- " : " ", v->value[j]);
		snprintf(line + at, sizeof(line) - (size_t)at, " %s", v->unit);
		ui_text(y++, 3, UI_C_NORMAL, "%s", line);
	}
	if (ch.nvitals == 0)
		ui_text(y++, 3, UI_C_DIM, "%s", _("none recorded"));
	y = 5;
	ui_text(y++, 45, UI_C_NORMAL, "%s", _("Red flags:"));
	for (i = 0; i < ch.nalerts && i < 3; i++)
		ui_text(y++, 46, UI_C_DANGER, "!! %.30s%s%s%s",
		    ch.alerts[i].text, ch.alerts[i].tag[0] ? " [" : "",
		    ch.alerts[i].tag[0] ? _("not acknowledged") : "",
		    ch.alerts[i].tag[0] ? "]" : "");
	if (ch.nalerts == 0)
		ui_text(y++, 46, UI_C_OK, "%s", _("+ none"));
	ui_text(y++, 45, UI_C_NORMAL, _("Forms: %d"), ch.nforms);
	for (i = 0; i < ch.nforms && i < 2; i++)
		ui_text(y++, 46, UI_C_NORMAL, "%.32s", ch.forms[i].text);
	ui_text(y++, 45, UI_C_NORMAL, _("Attachments: %d"), ch.nattach);
	for (i = 0; i < ch.nattach && i < 1; i++)
		ui_text(y++, 46, UI_C_NORMAL, _("%.20s, %s bytes"),
		    ch.attach[i].text, ch.attach[i].tag);
	y = 13;
	ui_text(y++, 1, UI_C_NORMAL, "%s", _("Visits:"));
	for (i = 0; i < ch.nvisits && i < 4; i++)
		ui_text(y++, 3, UI_C_NORMAL, "%s  %.48s (%s)",
		    ui_when((int64_t)ch.visits[i].ms, when, sizeof(when)),
		    ch.visits[i].text, state_word(ch.visits[i].tag));
	if (c.advice != NULL && c.advice[0] != '\0')
		ui_text(18, 1, UI_C_NORMAL, _("Advice given: %.60s"), c.advice);
out:
	ui_text(20, 1, UI_C_DIM, "%s",
	    _("F2 note   F7 call   F8 back to the queue   Esc the queue"));
	store_patient_clear(&p);
	store_consult_clear(&c);
}

static enum ui_result
pat_key(struct ui *ui, enum ui_action a, int ch)
{
	char *cause = NULL;
	int err;

	(void)ch;
	switch (a) {
	case UI_A_SAVE:
		return ui_goto(ui, &screen_consult_note);
	case UI_A_CALL:
		return consult_call(ui);
	case UI_A_REFERRAL: /* the clinician refers from the consult */
		return ui_goto(ui, &screen_referral_new);
	case UI_A_FINISH:
		err = store_consult_step(ui->visit.store, ui->consult_id,
		    "requested", "returned to the queue", NULL, &cause);
		if (err != 0) {
			ui_warn_cause(ui, err, cause);
			free(cause);
			return UI_REDRAW;
		}
		ui_message(ui, UI_MSG_OK, "%s",
		    _("The consult is back in the queue."));
		sync_thread_kick();
		return UI_BACK;
	default:
		return UI_UNHANDLED;
	}
}

const struct screen screen_consult_patient = {
	"consult_patient",
	N_("Consult: the patient"),
	NULL,
	pat_draw,
	pat_key,
	NULL,
};
