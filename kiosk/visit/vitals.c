/*
 * Vital signs for the visit in hand: each value (typed or from a device)
 * is range-checked, stored at once as an observation of the visit, and
 * NEWS2 is scored again (whole numbers rounded, temperature to one
 * decimal, as the chart asks).  A red flag (aggregate 7 or more, or a 3 in one
 * parameter) is recorded as a store alert the CHW must acknowledge; a
 * higher risk band later raises a new alert.  No curses and no SQL here
 * (kiosk/visit/visit.h), and no values in the log.
 */
#define LOG_MODULE "vitals"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "compat.h"
#include "devices/device.h"
#include "kiosk/visit/emergency.h"
#include "log.h"
#include "visit.h"

void
visit_vitals_reset(struct visit_vitals *v)
{
	memset(v, 0, sizeof(*v));
	v->in.age = -1;
	v->r.risk = NEWS2_RISK_LOW;
}

/* Codes and units: the device module's table where it has the quantity,
 * LOINC for the rest. */
static void
obs_code(enum news2_param p, struct store_obs *o)
{
	const struct dev_quantity_info *qi = NULL;

	switch (p) {
	case NEWS2_RR:
		o->loinc = "9279-1";
		o->unit = "/min";
		return;
	case NEWS2_SPO2:
		qi = dev_quantity_info(DEV_Q_SPO2);
		break;
	case NEWS2_SBP:
		qi = dev_quantity_info(DEV_Q_SYS);
		break;
	case NEWS2_PULSE:
		qi = dev_quantity_info(DEV_Q_PULSE);
		break;
	case NEWS2_TEMP:
		qi = dev_quantity_info(DEV_Q_TEMP);
		break;
	case NEWS2_ACVPU:
		o->loinc = "67775-7"; /* level of responsiveness (AVPU) */
		o->unit = "{score}";
		return;
	default:
		o->loinc = "3150-0"; /* inhaled oxygen: text air/oxygen */
		o->unit = "{boolean}";
		return;
	}
	if (qi != NULL) {
		o->loinc = qi->loinc;
		o->unit = qi->unit;
		o->panel = qi->panel;
	}
}

void
visit_vitals_alert_note(
    struct visit *vis, const char *kind, int score, const char *detail)
{
	struct store_alert_row *a = &vis->vitals.alert;

	memset(a, 0, sizeof(*a));
	memcpy(a->id, vis->vitals.alert_id, sizeof(a->id));
	memcpy(a->patient_id, vis->patient.id, sizeof(a->patient_id));
	snprintf(a->kind, sizeof(a->kind), "%s", kind);
	a->score = score;
	snprintf(a->detail, sizeof(a->detail), "%s", detail);
	a->raised_ms = (int64_t)time(NULL) * 1000;
	vis->vitals.alert_stored = 0;
}

/*
 * A red flag is recorded, and its screen opened, when the response level
 * (RCP Chart 4: urgent, then emergency) rises; a band change within one
 * level (a 3 in one parameter, then 5-6) only changes the score the
 * screen shows, so the alert does not open again over the CHW's typing.
 */
static void
check_red_flag(struct visit *vis)
{
	struct visit_vitals *v = &vis->vitals;
	char detail[160];
	int err, level = news2_response_level(v->r.risk);

	if (!v->r.applicable || !v->r.red_flag ||
	    (v->alert_raised && level <= v->alert_raised))
		return;
	news2_describe(&v->r, detail, sizeof(detail));
	v->alert_raised = level;
	v->alert_pending = 1;
	v->alert_shown = 0;
	v->alert_id[0] = '\0';
	if (vis->store != NULL && vis->have_patient) {
		err = store_alert_raise(vis->store, vis->patient.id,
		    vis->encounter_id[0] ? vis->encounter_id : NULL, "news2",
		    v->r.score, detail, v->alert_id);
		if (err != 0) {
			log_warnx("alert raise: %d", err);
			v->alert_id[0] = '\0';
		} else
			log_info("red flag raised: alert %s", v->alert_id);
	}
	visit_vitals_alert_note(vis, "news2", v->r.score, detail);
	/* NEWS2 >= 7 (the emergency band) from values that passed their
	 * range checks: an incident, once per visit, whose confirm window
	 * sends on timeout (issue 16).  Without a roster the red flag
	 * alone stands (its screen says to call). */
	if (v->r.risk == NEWS2_RISK_HIGH && v->emerg_id[0] == '\0' &&
	    vis->store != NULL && vis->have_patient) {
		err = visit_emergency_raise(vis, ESC_TRIG_AUTO, v->emerg_id);
		if (err == 0)
			v->emerg_new = 1;
		else {
			v->emerg_id[0] = '\0';
			if (err != ENOENT)
				log_warnx("emergency not raised: %d", err);
		}
	}
}

void
visit_vitals_rescore(struct visit *vis)
{
	struct visit_vitals *v = &vis->vitals;
	const char *cause = NULL;

	if (news2_score(&v->in, &v->r, &cause) != 0) {
		/* values are checked before they get here */
		log_warnx("rescore: %s", cause);
		return;
	}
	check_red_flag(vis);
}

void
visit_vitals_pregnant(struct visit *vis, int pregnant)
{
	vis->vitals.in.pregnant = pregnant != 0;
	visit_vitals_rescore(vis);
}

int
visit_vitals_set(struct visit *vis, enum news2_param p, double value,
    int from_device, const char **cause)
{
	struct visit_vitals *v = &vis->vitals;
	const struct news2_range *rg = news2_range(p);
	struct news2_input in = v->in;
	struct news2_result r;
	struct store_obs o;
	int err;

	if (rg == NULL)
		return EINVAL;
	switch (p) {
	case NEWS2_RR:
		in.rr = (int)lround(value);
		break;
	case NEWS2_SPO2:
		in.spo2 = (int)lround(value);
		break;
	case NEWS2_AIR_O2:
		in.oxygen = value != 0;
		break;
	case NEWS2_SBP:
		in.sbp = (int)lround(value);
		break;
	case NEWS2_PULSE:
		in.pulse = (int)lround(value);
		break;
	case NEWS2_ACVPU:
		in.acvpu = (int)lround(value);
		break;
	default:
		in.temp = value;
		break;
	}
	in.have |= 1u << p;
	/* check the value alone, whatever the age */
	in.age = -1;
	in.pregnant = 0;
	if ((err = news2_score(&in, &r, cause)) != 0)
		return err;
	in.age = v->in.age;
	in.pregnant = v->in.pregnant;
	v->in = in;
	if (from_device)
		v->from_device |= 1u << p;
	else
		v->from_device &= ~(1u << p);

	if (!from_device && vis->store != NULL && vis->have_patient &&
	    (err = visit_session_encounter(vis, "vitals")) == 0) {
		memset(&o, 0, sizeof(o));
		obs_code(p, &o);
		o.value = value;
		if (p == NEWS2_ACVPU)
			o.text = triage_acvpu_name((int)value);
		else if (p == NEWS2_AIR_O2)
			o.text = value != 0 ? "oxygen" : "air";
		err = store_obs_add(vis->store, vis->encounter_id, &o);
		if (err != 0)
			log_warnx("obs add: %d", err);
	}
	visit_vitals_rescore(vis);
	if (err != 0 && cause != NULL)
		*cause = visit_strerror(err);
	return err;
}

int
visit_vitals_set_dia(struct visit *vis, int dia, int from_device)
{
	const struct dev_quantity_info *qi = dev_quantity_info(DEV_Q_DIA);
	struct store_obs o;
	int err;

	if (qi == NULL || dia < qi->min || dia > qi->max)
		return EINVAL;
	/* diastolic below systolic, as devices/ checks a reading */
	if ((vis->vitals.in.have & (1u << NEWS2_SBP)) &&
	    dia >= vis->vitals.in.sbp)
		return EINVAL;
	vis->vitals.dia = dia;
	if (from_device || vis->store == NULL || !vis->have_patient)
		return 0;
	if ((err = visit_session_encounter(vis, "vitals")) != 0)
		return err;
	memset(&o, 0, sizeof(o));
	o.loinc = qi->loinc;
	o.unit = qi->unit;
	o.panel = qi->panel;
	o.value = dia;
	if ((err = store_obs_add(vis->store, vis->encounter_id, &o)) != 0)
		log_warnx("obs add: %d", err);
	return err;
}

int
visit_vitals_emergency(struct visit *vis)
{
	struct visit_vitals *v = &vis->vitals;
	int err;

	v->alert_pending = 1;
	v->alert_shown = 1; /* the caller opens the alert screen */
	v->emergency = 1;
	v->alert_id[0] = '\0';
	if (vis->store == NULL || !vis->have_patient)
		return EINVAL;
	if ((err = visit_session_encounter(vis, "emergency")) == 0)
		err = store_alert_raise(vis->store, vis->patient.id,
		    vis->encounter_id, "emergency", 0, "emergency key",
		    v->alert_id);
	visit_vitals_alert_note(vis, "emergency", 0, "emergency key");
	if (err != 0)
		log_warnx("emergency alert: %d", err);
	else
		log_info("emergency raised: alert %s", v->alert_id);
	return err;
}

int
visit_vitals_ack(struct visit *vis)
{
	struct visit_vitals *v = &vis->vitals;
	char id[UUID_STRLEN + 1];
	int err = 0, i;

	if (!v->alert_pending)
		return 0;
	if (vis->store != NULL && v->alert_id[0] != '\0' &&
	    (err = store_alert_ack(vis->store, v->alert_id)) != 0) {
		log_warnx("alert ack: %d", err);
		return err;
	}
	log_info("red flag acknowledged: alert %s", v->alert_id);
	/* seeing the newest red flag is seeing the patient's earlier ones
	 * too (a later reading, another session): none stays behind */
	for (i = 0; vis->store != NULL && vis->have_patient && i < 64 &&
	     store_alert_pending(vis->store, vis->patient.id, id) == 0;
	     i++) {
		if ((err = store_alert_ack(vis->store, id)) != 0) {
			log_warnx("alert ack: %d", err);
			return err;
		}
		log_info("red flag acknowledged: alert %s", id);
	}
	v->alert_pending = 0;
	v->alert_stored = 0;
	memset(&v->alert, 0, sizeof(v->alert));
	v->emergency = 0;
	return 0;
}

/* The NEWS2 parameter an observation code stands for, or -1 (diastolic
 * is -2). */
static int
param_of(const char *loinc)
{
	static const struct {
		const char *loinc;
		int p;
	} map[] = {
		{ "9279-1", NEWS2_RR },
		{ "59408-5", NEWS2_SPO2 },
		{ "3150-0", NEWS2_AIR_O2 },
		{ "8480-6", NEWS2_SBP },
		{ "8867-4", NEWS2_PULSE },
		{ "67775-7", NEWS2_ACVPU },
		{ "8310-5", NEWS2_TEMP },
		{ "8462-4", -2 },
	};
	size_t i;

	for (i = 0; loinc != NULL && i < nitems(map); i++)
		if (strcmp(map[i].loinc, loinc) == 0)
			return map[i].p;
	return -1;
}

void
visit_vitals_resume(struct visit *vis, const char *encounter_id)
{
	struct visit_vitals *v = &vis->vitals;
	struct store_obs *obs = NULL;
	size_t n = 0, i;
	int p;

	if (store_obs_list(vis->store, encounter_id, &obs, &n) != 0)
		return;
	/* in order: a later value replaces an earlier one */
	for (i = 0; i < n; i++) {
		if ((p = param_of(obs[i].loinc)) == -1)
			continue;
		if (p == -2) {
			v->dia = (int)obs[i].value;
			continue;
		}
		switch (p) {
		case NEWS2_RR:
			v->in.rr = (int)obs[i].value;
			break;
		case NEWS2_SPO2:
			v->in.spo2 = (int)obs[i].value;
			break;
		case NEWS2_AIR_O2:
			v->in.oxygen = obs[i].value != 0;
			break;
		case NEWS2_SBP:
			v->in.sbp = (int)obs[i].value;
			break;
		case NEWS2_PULSE:
			v->in.pulse = (int)obs[i].value;
			break;
		case NEWS2_ACVPU:
			v->in.acvpu = obs[i].text != NULL
			    ? triage_acvpu_parse(obs[i].text)
			    : (int)obs[i].value;
			if (v->in.acvpu < 0)
				continue;
			break;
		default:
			v->in.temp = obs[i].value;
			break;
		}
		v->in.have |= 1u << p;
		if (obs[i].device_id != NULL)
			v->from_device |= 1u << p;
		else
			v->from_device &= ~(1u << p);
	}
	store_obs_free_array(obs, n);
	if (news2_score(&v->in, &v->r, NULL) != 0) {
		/* stored values out of today's ranges: start clean */
		visit_vitals_reset(v);
		v->in.age = visit_age_years(vis->patient.birth_date);
		return;
	}
	/* these values raised their flags when they were entered */
	if (v->r.applicable && v->r.red_flag)
		v->alert_raised = news2_response_level(v->r.risk);
	log_info("visit %s resumed", encounter_id);
}
