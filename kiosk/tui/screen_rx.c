/*
 * The prescription sheet of screen_rx.h.  Every label is a screen string
 * (_()), so a sheet prints in the kiosk's language; the drug's generic
 * name is printed in capitals (India TPG 2020).  A sheet that lacks a
 * field its region requires is not printed: the checker names it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clinical/rx.h"
#include "i18n.h"
#include "kiosk/store/store.h"
#include "kiosk/sync/sync.h"
#include "kiosk/tui/screen_rx.h"
#include "str.h"
#include "ui.h"

/* How many doses a day, in words. */
static void
rx_freq(unsigned n, char *out, size_t len)
{
	switch (n) {
	case 1:
		snprintf(out, len, "%s", _("once a day"));
		break;
	case 2:
		snprintf(out, len, "%s", _("twice a day"));
		break;
	default:
		/* TRANSLATORS: %u is 3 or more */
		snprintf(out, len, _("%u times a day"), n);
	}
}

void
rx_sheet_of(const struct store_rx *x, int verified, struct rx_sheet *s,
    struct rx_sheet_buf *b)
{
	time_t t = (time_t)(x->signed_ms / 1000);
	struct tm tm;
	size_t i;

	memset(s, 0, sizeof(*s));
	memset(b, 0, sizeof(*b));
	for (i = 0; x->inn != NULL && x->inn[i] && i + 1 < sizeof(b->inn); i++)
		b->inn[i] = (char)toupper((unsigned char)x->inn[i]);
	if (x->age_days >= 0 && x->age_days < 2 * 365)
		snprintf(b->age, sizeof(b->age), _("%d months"),
		    x->age_days * 12 / 365);
	else if (x->age_days >= 0)
		snprintf(b->age, sizeof(b->age), _("%d years"),
		    x->age_days * 100 / 36525);
	if (x->signed_ms > 0 && gmtime_r(&t, &tm) != NULL)
		strftime(b->date, sizeof(b->date), "%Y-%m-%d", &tm);
	if (x->dose > 0)
		snprintf(b->dose, sizeof(b->dose), "%g %s", x->dose,
		    x->unit ? x->unit : "");
	if (x->per_day > 0)
		rx_freq(x->per_day, b->freq, sizeof(b->freq));
	if (x->days > 0)
		snprintf(b->days, sizeof(b->days), _("%u days"), x->days);
	s->region = x->region;
	s->clinician_name = x->clinician_name;
	s->regno = x->regno;
	s->patient_name = x->patient_name;
	s->patient_sex = x->patient_sex;
	s->patient_age = b->age;
	s->date = b->date;
	s->inn = b->inn;
	s->strength = x->strength;
	s->form = x->form;
	s->route = x->route;
	s->dose = b->dose;
	s->frequency = b->freq;
	s->duration = b->days;
	s->diagnosis = x->assessment;
	s->signed_ = verified;
	s->teleconsult = 1; /* every Outpost order is */
	s->qualification = x->qualification;
	s->clinician_address = x->clinician_address;
	s->clinician_contact = x->clinician_contact;
	s->patient_address = x->patient_village;
	s->patient_contact = x->patient_phone;
}

static const char *
rx_or_dash(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : "-";
}

int
rx_sheet_print(FILE *fp, const struct store_rx *x, int verified)
{
	struct rx_sheet s;
	struct rx_sheet_buf b;
	const char *missing;

	rx_sheet_of(x, verified, &s, &b);
	if ((missing = rx_sheet_missing(&s)) != NULL) {
		fprintf(stderr,
		    "kiosk: prescription %.8s lacks %s, which "
		    "region %s requires on a sheet%s\n",
		    x->id, missing, rx_or_dash(x->region),
		    strncmp(missing, "clinician_", 10) == 0
		        ? ": the region's licence registry holds it (`sync-server "
		          "admin licence add --address A --contact C`); sync, "
		          "then print again"
		        : "");
		return EINVAL;
	}
	fprintf(fp, "%s\n", _("PRESCRIPTION"));
	fprintf(fp, "%s%s%s\n", _("Issued by teleconsultation (Outpost)."),
	    strcmp(x->status, "active") == 0 ? "" : " ",
	    strcmp(x->status, "active") == 0        ? ""
	        : strcmp(x->status, "stopped") == 0 ? _("STOPPED")
	                                            : _("CANCELLED"));
	fprintf(fp, "%s: %s\n", _("Date"), s.date);
	fprintf(fp, "%s: %s   %s: %s\n", _("Clinician"), s.clinician_name,
	    _("Registration no."), s.regno);
	fprintf(
	    fp, "%s: %s\n", _("Qualification"), rx_or_dash(s.qualification));
	fprintf(fp, "%s: %s   %s: %s\n", _("Address"),
	    rx_or_dash(s.clinician_address), _("Contact"),
	    rx_or_dash(s.clinician_contact));
	fprintf(fp, "%s: %s   %s: %s   %s: %s\n", _("Patient"), s.patient_name,
	    _("Age"), rx_or_dash(s.patient_age), _("Sex"),
	    rx_or_dash(s.patient_sex));
	fprintf(fp, "%s: %s   %s: %s\n", _("Address"),
	    rx_or_dash(s.patient_address), _("Contact"),
	    rx_or_dash(s.patient_contact));
	fprintf(fp, "%s: %s\n", _("Diagnosis"), rx_or_dash(s.diagnosis));
	fprintf(fp, "\n%s %s, %s, %s\n", s.inn, s.strength, s.form, s.route);
	fprintf(fp, "  %s: %s, %s, %s\n", _("Take"), s.dose, s.frequency,
	    s.duration);
	if (x->note != NULL && x->note[0] != '\0')
		fprintf(fp, "  %s: %s\n", _("Instructions"), x->note);
	fprintf(fp, "\n%s: %s (%.8s)\n", _("Signed"),
	    verified ? _("yes, signature checked") : _("NOT VERIFIED"), x->id);
	return 0;
}

/* --- the screen: the consult's prescriptions --------------------------
 * For the clinician who holds the consult: choose the medicine from the
 * node's formulary (Left/Right), type dose, doses a day and days; F2
 * shows the checks, F8 signs (a soft block needs the override reason,
 * which is audited).  For anyone else, and below the form: the consult's
 * orders with their status and whether each signature verifies; opening
 * the screen marks them as read (Home stops calling them new).
 */
#define RX_NF 5
enum { RF_DOSE, RF_PER_DAY, RF_DAYS, RF_OVERRIDE, RF_NOTE };
static const char *const rx_labels[RX_NF] = { N_("Dose"), N_("Per day"),
	N_("Days"), N_("Override reason"), N_("Instructions") };
static struct {
	struct ui_field f[RX_NF];
	int focus; /* -1: the medicine */
	int editable;
	size_t item;
	struct rx_formulary form;
	int have_form;
	struct rx_result res;
	int checked;
} rs;

static int
rx_mine(struct ui *ui, const struct store_consult *c)
{
	return c->clinician != NULL &&
	    strcmp(c->clinician, ui->visit.user_id) == 0 &&
	    (strcmp(c->state, "accepted") == 0 ||
	        strcmp(c->state, "call") == 0 ||
	        strcmp(c->state, "signed") == 0);
}

static void
rx_enter(struct ui *ui)
{
	struct store_consult c;
	char *cause = NULL;
	int i;

	for (i = 0; i < RX_NF; i++)
		ui_field_clear(&rs.f[i]);
	ui_field_set(&rs.f[RF_PER_DAY], "1");
	ui_field_set(&rs.f[RF_DAYS], "5");
	rs.focus = -1;
	rs.item = 0;
	rs.checked = 0;
	rs.editable = 0;
	if (store_consult_get(ui->visit.store, ui->consult_id, &c) == 0) {
		rs.editable = rx_mine(ui, &c);
		store_consult_clear(&c);
	}
	if (rs.editable && !rs.have_form) {
		if (store_rx_formulary(ui->visit.store, &rs.form, &cause) == 0)
			rs.have_form = 1;
		else {
			ui_warn_cause(ui, ENOENT, cause);
			rs.editable = 0;
		}
		free(cause);
	}
}

static void
rx_leave(struct ui *ui)
{
	(void)ui;
	if (rs.have_form)
		rx_formulary_free(&rs.form);
	rs.have_form = 0;
}

/* The consult's records, newest first, from row Y; each marked read. */
static void
rx_draw_list(struct ui *ui, int y)
{
	struct store_consult c;
	struct store_rx *x = NULL;
	struct rx_sheet sh;
	struct rx_sheet_buf b;
	const char *why;
	char line[160];
	size_t i, n = 0;
	int ok;

	if (store_consult_get(ui->visit.store, ui->consult_id, &c) != 0)
		return;
	if (store_rx_list(ui->visit.store, c.patient_id, 0, &x, &n) != 0)
		n = 0;
	ui_text(y++, 1, UI_C_NORMAL, "%s", _("Prescriptions of this consult:"));
	for (i = 0; i < n && y < 20; i++) {
		if (x[i].consult_id == NULL ||
		    strcmp(x[i].consult_id, c.id) != 0 ||
		    strcmp(x[i].action, "order") != 0)
			continue;
		ok = store_rx_verify(ui->visit.store, &x[i], &why) == 0;
		rx_sheet_of(&x[i], ok, &sh, &b);
		snprintf(line, sizeof(line), "%s %s %s, %s, %s, %s", sh.inn,
		    sh.strength ? sh.strength : "", sh.route ? sh.route : "",
		    sh.dose, sh.frequency, sh.duration);
		ui_text(y, 2,
		    !ok                                      ? UI_C_DANGER
		        : strcmp(x[i].status, "active") == 0 ? UI_C_OK
		                                             : UI_C_DIM,
		    "%s", line);
		ui_text(y + 1, 4, ok ? UI_C_DIM : UI_C_DANGER, "%s %s, %s",
		    strcmp(x[i].status, "active") == 0        ? _("active")
		        : strcmp(x[i].status, "stopped") == 0 ? _("STOPPED")
		                                              : _("CANCELLED"),
		    sh.regno ? sh.regno : "-",
		    ok ? _("signature verified")
		       : _("do not give: the signature does not verify"));
		y += 2;
		if (!rs.editable && x[i].seen_ms == 0)
			store_rx_seen(ui->visit.store, x[i].id);
	}
	if (n == 0)
		ui_text(y, 2, UI_C_DIM, "%s", _("none"));
	store_rx_free_array(x, n);
	store_consult_clear(&c);
}

static void
rx_draw(struct ui *ui)
{
	const struct rx_item *it;
	char med[200];
	size_t i;
	int y = 3;

	if (!rs.editable) {
		rx_draw_list(ui, 3);
		ui_text(20, 1, UI_C_DIM, "%s", _("Esc back"));
		return;
	}
	it = &rs.form.items[rs.item];
	snprintf(med, sizeof(med), "< %s %s, %s, %s (%s) >", it->inn,
	    it->strength, it->form, it->routes, rx_class_name(it->cls));
	ui_text(y, 1, rs.focus < 0 ? UI_C_FOCUS : UI_C_NORMAL, "%s %-14s %s",
	    rs.focus < 0 ? ">" : " ", _("Medicine"), med);
	y += 2;
	for (i = 0; i < RX_NF; i++, y++)
		ui_field_draw(
		    y, 1, _(rx_labels[i]), 40, &rs.f[i], rs.focus == (int)i, 0);
	y++;
	if (rs.checked && rs.res.n == 0)
		ui_text(y++, 1, UI_C_OK, "%s",
		    _("+ The checks pass: F8 signs the order."));
	for (i = 0; rs.checked && i < rs.res.n && y < 14; i++) {
		snprintf(med, sizeof(med), "%s %s",
		    rs.res.f[i].level == RX_HARD ? _("!! Blocked:")
		                                 : _("! Needs a reason:"),
		    rs.res.f[i].text);
		y = ui_wrap(y, 1, 78, 2,
		    rs.res.f[i].level == RX_HARD ? UI_C_DANGER : UI_C_WARN,
		    med);
	}
	rx_draw_list(ui, 14);
	ui_text(20, 1, UI_C_DIM, "%s",
	    _("Left/Right medicine   Tab next   F2 check   F8 sign   Esc "
	      "back"));
}

/* The order typed into N; 0, or EINVAL with a message set. */
static int
rx_order_of(struct ui *ui, struct store_rx_new *n)
{
	long long per, days;

	memset(n, 0, sizeof(*n));
	n->consult_id = ui->consult_id;
	n->code = rs.form.items[rs.item].code;
	n->route = rs.form.items[rs.item].routes;
	n->first = -1;
	if (str_to_double(rs.f[RF_DOSE].buf, &n->dose) != 0 || n->dose <= 0 ||
	    str_to_ll(rs.f[RF_PER_DAY].buf, 1, 24, &per) != 0 ||
	    str_to_ll(rs.f[RF_DAYS].buf, 1, 365, &days) != 0) {
		ui_message(ui, UI_MSG_WARN, "%s",
		    _("Type the dose, doses a day (1-24) and days (1-365)."));
		return EINVAL;
	}
	n->per_day = (unsigned)per;
	n->days = (unsigned)days;
	n->override = rs.f[RF_OVERRIDE].buf;
	n->note = rs.f[RF_NOTE].buf;
	return 0;
}

static enum ui_result
rx_sign(struct ui *ui, int check_only)
{
	struct store_rx_new n;
	char id[UUID_STRLEN + 1], *cause = NULL;
	int err;

	if (rx_order_of(ui, &n) != 0)
		return UI_REDRAW;
	n.check_only = check_only;
	err =
	    store_rx_issue(ui->visit.store, &rs.form, &n, &rs.res, id, &cause);
	rs.checked = 1;
	if (err != 0)
		ui_warn_cause(ui, err, cause);
	else if (!check_only) {
		ui_message(ui, UI_MSG_OK, "%s",
		    _("Prescription signed. The clinic gets it with the next "
		      "sync."));
		ui_field_clear(&rs.f[RF_DOSE]);
		ui_field_clear(&rs.f[RF_OVERRIDE]);
		rs.checked = 0;
		sync_thread_kick();
	}
	free(cause);
	return UI_REDRAW;
}

static enum ui_result
rx_key(struct ui *ui, enum ui_action a, int ch)
{
	if (!rs.editable)
		return UI_UNHANDLED;
	switch (a) {
	case UI_A_NEXT:
	case UI_A_DOWN:
		rs.focus = rs.focus + 1 >= RX_NF ? -1 : rs.focus + 1;
		return UI_REDRAW;
	case UI_A_PREV:
	case UI_A_UP:
		rs.focus = rs.focus <= -1 ? RX_NF - 1 : rs.focus - 1;
		return UI_REDRAW;
	case UI_A_LEFT:
	case UI_A_RIGHT:
		if (rs.focus >= 0)
			return UI_HANDLED;
		rs.item = (rs.item + (a == UI_A_RIGHT ? 1 : rs.form.n - 1)) %
		    rs.form.n;
		rs.checked = 0;
		return UI_REDRAW;
	case UI_A_SAVE:
		return rx_sign(ui, 1);
	case UI_A_SIGN:
		return rx_sign(ui, 0);
	default:
		if (rs.focus < 0)
			return UI_UNHANDLED;
		rs.checked = 0;
		return ui_field_key(&rs.f[rs.focus], a, ch) ? UI_REDRAW
		                                            : UI_UNHANDLED;
	}
}

/* The same screen for those who only read the orders: no keys of its
 * own, so the key bar offers nothing they cannot do. */
const struct screen screen_rx_view = {
	"rx_view",
	N_("Prescriptions"),
	rx_enter,
	rx_draw,
	rx_key,
	rx_leave,
};

enum ui_result
screen_rx_open(struct ui *ui)
{
	struct store_consult c;
	int mine = 0;

	if (store_consult_get(ui->visit.store, ui->consult_id, &c) == 0) {
		mine = rx_mine(ui, &c);
		store_consult_clear(&c);
	}
	return ui_goto(ui, mine ? &screen_rx : &screen_rx_view);
}

const struct screen screen_rx = {
	"rx",
	N_("Prescriptions"),
	rx_enter,
	rx_draw,
	rx_key,
	rx_leave,
};
