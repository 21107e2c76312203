/*
 * Consults (issue 13), F5 on the home screen.  For a clinician (a hub
 * kiosk): the consults they hold, then the region's waiting ones, most
 * urgent first, then the longest waiting (the order of the server's
 * queue); Enter accepts one (a consult another clinician took first
 * says so) and opens its patient.  For a CHW: this kiosk's consults,
 * answers first; Enter opens the answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "consult.h"
#include "i18n.h"
#include "kiosk/store/licstore.h"
#include "kiosk/store/store.h"
#include "kiosk/sync/sync.h"
#include "clock.h"
#include "ui.h"
#include "xmalloc.h"

#define ROWS 12

static struct store_consult *list;
static size_t nlist;
static int sel;

static int
clinician(const struct ui *ui)
{
	return ui->visit.user_role == STORE_ROLE_CLINICIAN;
}

static void
cs_load(struct ui *ui)
{
	struct store_consult *a = NULL, *b = NULL;
	size_t na = 0, nb = 0;

	store_consult_free_array(list, nlist);
	list = NULL;
	nlist = 0;
	if (clinician(ui)) {
		store_consult_list(ui->visit.store, STORE_CL_MINE, &a, &na);
		store_consult_list(ui->visit.store, STORE_CL_QUEUE, &b, &nb);
	} else {
		store_consult_list(ui->visit.store, STORE_CL_NEW, &a, &na);
		store_consult_list(ui->visit.store, STORE_CL_OPEN, &b, &nb);
	}
	list = a;
	nlist = na;
	if (nb > 0) {
		size_t i, j;

		list = xreallocarray(list, na + nb, sizeof(*list));
		for (i = 0, j = na; i < nb; i++) {
			/* an answer listed as new is not listed again */
			size_t k;
			int dup = 0;

			for (k = 0; k < na; k++)
				dup |= strcmp(list[k].id, b[i].id) == 0;
			if (dup)
				store_consult_clear(&b[i]);
			else
				list[j++] = b[i];
		}
		nlist = j;
		free(b);
	}
	if (sel >= (int)nlist)
		sel = nlist > 0 ? (int)nlist - 1 : 0;
}

static void
cs_enter(struct ui *ui)
{
	sel = 0;
	cs_load(ui);
}

static void
cs_leave(struct ui *ui)
{
	ui->wake_ms = 0;
	store_consult_free_array(list, nlist);
	list = NULL;
	nlist = 0;
}

/* Issue 14: whether the licence list held here lets this clinician
 * consult (nothing when the kiosk holds no list that names anyone). */
static void
cs_licence(struct ui *ui)
{
	struct licence_verdict v;

	if (store_licence_mine(ui->visit.store, LIC_ACT_CONSULT,
	        (int64_t)time(NULL) * 1000, &v) != 0)
		return;
	if (!v.permitted) {
		ui_wrap(17, 2, 76, 2, UI_C_DANGER, _(v.words));
		return;
	}
	ui_text(
	    17, 2, UI_C_DIM, "%s", _("Your licence lets you consult here."));
	if (v.recheck)
		ui_wrap(18, 2, 76, 2, UI_C_DANGER,
		    _("The licence list is out of date: your acts are "
		      "flagged until the next sync."));
}

static void
cs_draw(struct ui *ui)
{
	struct sync_queue q;
	const struct sync_queue_item *it;
	uint64_t now = (uint64_t)time(NULL) * 1000;
	char name[24], why[26], pos[24];
	int i, y = 4;

	/* follow the sync: the queue comes back with each run */
	ui->wake_ms = clock_mono_ms() + CONSULT_REFRESH_MS;

	cs_load(ui);
	sync_queue_get(ui->visit.store, &q);
	if (clinician(ui))
		ui_text(2, 1, UI_C_TITLE, " %s ",
		    _("Consults: yours, then the queue (most urgent first)"));
	else
		ui_text(2, 1, UI_C_TITLE, " %s ",
		    _("Consults asked from this kiosk"));
	if (q.known)
		ui_text(3, 2, UI_C_DIM,
		    _("Region: %llu waiting; expected wait %s"),
		    (unsigned long long)q.waiting,
		    q.has_wait ? "" : _("not known yet"));
	if (q.known && q.has_wait)
		ui_text(3, 40, UI_C_DIM, _("about %llu min"),
		    (unsigned long long)((q.wait_ms + 59999) / 60000));
	if (nlist == 0)
		ui_text(y, 4, UI_C_DIM, "%s",
		    clinician(ui) ? _("No consult waits. The queue comes "
		                      "with each sync.")
		                  : _("None. F7 on a visit asks a clinician."));
	for (i = 0; i < ROWS && i < (int)nlist; i++) {
		const struct store_consult *c = &list[i];
		uint64_t wait =
		    now > c->requested_ms ? (now - c->requested_ms) / 60000 : 0;

		it = sync_queue_find(&q, c->id);
		if (it != NULL && it->position > 0)
			snprintf(pos, sizeof(pos), "#%llu",
			    (unsigned long long)it->position);
		else
			pos[0] = '\0';
		ui_text(y + i, 1,
		    i == sel                         ? UI_C_FOCUS
		        : c->urgency == CONSULT_HIGH ? UI_C_DANGER
		                                     : UI_C_NORMAL,
		    "%c %-6s %-9s %4llu min %-4s %s %s", i == sel ? '>' : ' ',
		    _(consult_urgency_name(c->urgency)), c->state,
		    (unsigned long long)wait, pos,
		    ui_fit(name, sizeof(name),
		        c->patient_name && c->patient_name[0] ? c->patient_name
		                                              : "?",
		        20),
		    ui_fit(why, sizeof(why), c->reason ? c->reason : "", 24));
	}
	sync_queue_clear(&q);
	if (clinician(ui))
		cs_licence(ui);
	ui_text(20, 1, UI_C_DIM, "%s",
	    clinician(ui) ? _("Up/Down choose   Enter accept / open   Esc "
	                      "home")
	                  : _("Up/Down choose   Enter open the answer   Esc "
	                      "home"));
}

static enum ui_result
cs_key(struct ui *ui, enum ui_action a, int ch)
{
	const struct store_consult *c;
	char *cause = NULL;
	int err;

	(void)ch;
	if (a == UI_A_TICK || ui_list_key(&sel, (int)nlist, a))
		return UI_REDRAW;
	if (a != UI_A_ENTER)
		return UI_UNHANDLED;
	if (nlist == 0)
		return UI_HANDLED;
	c = &list[sel];
	memcpy(ui->consult_id, c->id, sizeof(ui->consult_id));
	ui->wake_ms = 0; /* the next screen has no tick of its own */
	if (!clinician(ui))
		return ui_goto(ui, &screen_consult_note);
	if (strcmp(c->state, "requested") == 0) {
		err = store_consult_accept(ui->visit.store, c->id, &cause);
		if (err != 0) {
			ui_warn_cause(ui, err, cause);
			free(cause);
			return UI_REDRAW;
		}
		ui_message(ui, UI_MSG_OK, "%s",
		    _("Accepted. If another clinician accepted it first, "
		      "the next sync says so."));
		sync_thread_kick();
	}
	return ui_goto(ui, &screen_consult_patient);
}

const struct screen screen_consults = {
	"consults",
	N_("Consults"),
	cs_enter,
	cs_draw,
	cs_key,
	cs_leave,
};
