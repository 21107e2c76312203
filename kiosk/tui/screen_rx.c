/*
 * The prescription sheet of screen_rx.h.  Every label is a screen string
 * (_()), so a sheet prints in the kiosk's language; the drug's generic
 * name is printed in capitals (India TPG 2020).  A sheet that lacks a
 * field its region requires is not printed: the checker names it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clinical/rx.h"
#include "i18n.h"
#include "kiosk/store/store.h"
#include "kiosk/tui/screen_rx.h"

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
		fprintf(stderr, "kiosk: prescription %.8s lacks %s, which "
		                "region %s requires on a sheet\n",
		    x->id, missing, rx_or_dash(x->region));
		return EINVAL;
	}
	fprintf(fp, "%s\n", _("PRESCRIPTION"));
	fprintf(fp, "%s %s\n", _("Issued by teleconsultation (Outpost)."),
	    strcmp(x->status, "active") == 0 ? ""
	        : strcmp(x->status, "stopped") == 0
	        ? _("STOPPED")
	        : _("CANCELLED"));
	fprintf(fp, "%s: %s\n", _("Date"), s.date);
	fprintf(fp, "%s: %s   %s: %s\n", _("Clinician"), s.clinician_name,
	    _("Registration no."), s.regno);
	fprintf(fp, "%s: %s   %s: %s   %s: %s\n", _("Patient"),
	    s.patient_name, _("Age"), rx_or_dash(s.patient_age), _("Sex"),
	    rx_or_dash(s.patient_sex));
	fprintf(fp, "%s: %s\n", _("Diagnosis"), rx_or_dash(s.diagnosis));
	fprintf(fp, "\n%s %s, %s, %s\n", s.inn, s.strength, s.form, s.route);
	fprintf(fp, "  %s: %s, %s, %s\n", _("Take"), s.dose, s.frequency,
	    s.duration);
	if (x->note != NULL && x->note[0] != '\0')
		fprintf(fp, "  %s: %s\n", _("Instructions"), x->note);
	fprintf(fp, "\n%s: %s (%.8s)\n", _("Signed"),
	    verified ? _("yes, signature checked") : _("NOT VERIFIED"),
	    x->id);
	return 0;
}
