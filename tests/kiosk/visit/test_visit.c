/*
 * kiosk/visit/: a visit driven without a terminal, on a real store in a
 * temporary directory.  Typed vital signs are scored (NEWS2) and stored
 * in the patient's encounter; a red flag raises a store alert that waits
 * for acknowledgement, survives taking the patient up again, and is not
 * raised twice; messages reach the person only through the say callback.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compat.h"
#include "forms/form.h"
#include "kiosk/kctx.h"
#include "kiosk/store/store.h"
#include "kiosk/visit/visit.h"
#include "test.h"
#include "xmalloc.h"

static const uint8_t key[32] = { 7, 7, 7 };

/* What the visit said, as the UI would show it. */
static struct {
	int n, kind;
	char text[200];
} said;

static void
say(void *arg, int kind, const char *text)
{
	(void)arg;
	said.n++;
	said.kind = kind;
	snprintf(said.text, sizeof(said.text), "%s", text);
}

/* A store in D with one adult patient, *P filled in; V holds the store
 * as an unlocked session would. */
static int
setup(const char *d, struct visit *v, struct store_patient *p)
{
	char *cause = NULL;
	int err;

	visit_init(v, NULL);
	v->say = say;
	memset(&said, 0, sizeof(said));
	if ((err = store_open(d, key, 1, &v->store)) != 0)
		return err;
	memset(p, 0, sizeof(*p));
	p->given = (char *)"Amina";
	p->family = (char *)"Okafor";
	p->sex = (char *)"female";
	p->birth_date = (char *)"1980-05-01";
	err = store_patient_add(v->store, p, NULL, &cause);
	free(cause);
	return err;
}

static int
set(struct visit *v, enum news2_param p, double value)
{
	const char *cause = NULL;

	return visit_vitals_set(v, p, value, 0, &cause);
}

/* A full set of normal vital signs: NEWS2 0, stored, no alert. */
static int
test_vitals_scored(void)
{
	struct visit v;
	struct store_patient p;
	struct store_today rows[4];
	struct store_obs *obs = NULL;
	const char *cause = NULL;
	char *d = test_tmpdir("visit");
	size_t nobs = 0;
	int err = 0, n;

	TEST_TRUE(d != NULL);
	TEST_ERR(setup(d, &v, &p));
	/* locked: nothing to list */
	TEST_EQ(visit_today_list(&(struct visit){ 0 }, rows, 4, &n), EINVAL);
	TEST_ERR(visit_today_list(&v, rows, 4, &n));
	TEST_EQ(n, 0);

	visit_session_patient(&v, &p);
	TEST_TRUE(v.have_patient);
	TEST_TRUE(v.vitals.in.age >= 45);
	TEST_EQ(v.encounter_id[0], '\0'); /* opened on the first value */
	TEST_ERR(set(&v, NEWS2_RR, 16));
	TEST_TRUE(v.encounter_id[0] != '\0');
	TEST_EQ(v.vitals.r.complete, 0);
	TEST_ERR(set(&v, NEWS2_SPO2, 97));
	TEST_ERR(set(&v, NEWS2_AIR_O2, 0));
	TEST_ERR(set(&v, NEWS2_SBP, 124));
	TEST_ERR(visit_vitals_set_dia(&v, 80, 0));
	TEST_ERR(set(&v, NEWS2_PULSE, 72));
	TEST_ERR(set(&v, NEWS2_ACVPU, TRIAGE_ALERT));
	TEST_ERR(set(&v, NEWS2_TEMP, 36.8));
	TEST_TRUE(v.vitals.r.applicable);
	TEST_TRUE(v.vitals.r.complete);
	TEST_EQ(v.vitals.r.score, 0);
	TEST_EQ(v.vitals.r.risk, NEWS2_RISK_LOW);
	TEST_EQ(v.vitals.r.red_flag, 0);
	TEST_EQ(v.vitals.alert_pending, 0);

	/* NEWS2 does not apply in pregnancy: no score, no red flag */
	visit_vitals_pregnant(&v, 1);
	TEST_EQ(v.vitals.r.applicable, 0);
	TEST_ERR(set(&v, NEWS2_RR, 30));
	TEST_EQ(v.vitals.alert_pending, 0);
	visit_vitals_pregnant(&v, 0);
	TEST_TRUE(v.vitals.r.applicable);
	TEST_TRUE(v.vitals.alert_pending); /* RR 30 scores 3 again */
	TEST_ERR(visit_vitals_ack(&v));
	TEST_ERR(set(&v, NEWS2_RR, 16));

	/* an implausible value is refused with a reason, and changes
	 * nothing */
	TEST_EQ(visit_vitals_set(&v, NEWS2_RR, 500, 0, &cause), EINVAL);
	TEST_TRUE(cause != NULL);
	TEST_EQ(v.vitals.in.rr, 16);

	/* every value typed is in the encounter (diastolic too) */
	TEST_ERR(store_obs_list(v.store, v.encounter_id, &obs, &nobs));
	TEST_EQ(nobs, 10); /* RR three times */
	store_obs_free_array(obs, nobs);

	TEST_ERR(visit_today_list(&v, rows, 4, &n));
	TEST_EQ(n, 1);
	TEST_STR(rows[0].patient_id, p.id);
	TEST_STR(rows[0].status, "open");
	TEST_STR(rows[0].reason, "vitals");
	TEST_EQ(rows[0].alerts, 0);
	TEST_EQ(said.n, 0); /* nothing to say */
out:
	visit_session_lock(&v);
	TEST_TRUE(v.store == NULL && !v.have_patient);
	test_rmdir(d);
	return err;
}

/* A 3 in one parameter raises one alert, pending until acknowledged;
 * taking the patient up again brings it back without raising it again. */
static int
test_red_flag(void)
{
	struct visit v;
	struct store_patient p;
	struct store_today rows[4];
	char id[UUID_STRLEN + 1], enc[UUID_STRLEN + 1];
	char *d = test_tmpdir("visit");
	int err = 0, n;

	TEST_TRUE(d != NULL);
	TEST_ERR(setup(d, &v, &p));
	visit_session_patient(&v, &p);
	TEST_EQ(store_alert_pending(v.store, p.id, id), ENOENT);

	TEST_ERR(set(&v, NEWS2_PULSE, 72));
	TEST_EQ(v.vitals.alert_pending, 0);
	TEST_ERR(set(&v, NEWS2_RR, 26)); /* 25 or more: 3 points */
	TEST_EQ(v.vitals.r.score, 3);
	TEST_TRUE(v.vitals.r.single3);
	TEST_TRUE(v.vitals.r.red_flag);
	TEST_EQ(v.vitals.r.risk, NEWS2_RISK_LOW_MEDIUM);
	TEST_TRUE(v.vitals.alert_pending);
	TEST_EQ(v.vitals.alert_shown, 0); /* the UI opens the alert */
	TEST_TRUE(v.vitals.alert_id[0] != '\0');
	TEST_ERR(store_alert_pending(v.store, p.id, id));
	TEST_STR(id, v.vitals.alert_id);
	TEST_ERR(visit_today_list(&v, rows, 4, &n));
	TEST_EQ(n, 1);
	TEST_EQ(rows[0].alerts, 1);

	/* the same band again raises nothing new */
	TEST_ERR(set(&v, NEWS2_RR, 27));
	TEST_STR(v.vitals.alert_id, id);
	TEST_ERR(visit_today_list(&v, rows, 4, &n));
	TEST_EQ(rows[0].alerts, 1);

	/* put the patient down and take them up again: today's open
	 * encounter goes on, with its values and its pending red flag */
	memcpy(enc, v.encounter_id, sizeof(enc));
	visit_session_patient_clear(&v);
	TEST_EQ(v.vitals.alert_pending, 0);
	TEST_ERR(store_encounter_open_today(v.store, p.id, id));
	TEST_STR(id, enc);
	visit_session_patient(&v, &p);
	TEST_STR(v.encounter_id, enc);
	TEST_EQ(v.vitals.in.rr, 27);
	TEST_EQ(v.vitals.in.pulse, 72);
	TEST_TRUE(v.vitals.alert_pending);
	TEST_TRUE(v.vitals.alert_shown); /* not opened over the visit again */
	TEST_TRUE(v.vitals.alert_raised);
	TEST_ERR(visit_today_list(&v, rows, 4, &n));
	TEST_EQ(rows[0].alerts, 1); /* resumed, not raised again */

	TEST_ERR(visit_vitals_ack(&v));
	TEST_EQ(v.vitals.alert_pending, 0);
	TEST_EQ(store_alert_pending(v.store, p.id, id), ENOENT);
	TEST_ERR(visit_today_list(&v, rows, 4, &n));
	TEST_EQ(rows[0].alerts, 0);

	/* a higher band at the same response level (urgent: a 3 in one
	 * parameter, then 5-6) is no new red flag and opens nothing */
	v.vitals.alert_shown = 1;
	TEST_ERR(set(&v, NEWS2_TEMP, 39.5)); /* 2 points: aggregate 5 */
	TEST_EQ(v.vitals.r.risk, NEWS2_RISK_MEDIUM);
	TEST_EQ(v.vitals.alert_pending, 0);
	TEST_EQ(store_alert_pending(v.store, p.id, id), ENOENT);
	TEST_ERR(set(&v, NEWS2_TEMP, 37.0));

	/* a higher response level later is a new red flag, with its cause */
	TEST_ERR(set(&v, NEWS2_SPO2, 90)); /* 3 points */
	TEST_ERR(set(&v, NEWS2_SBP, 95)); /* 2 points: aggregate 8 */
	TEST_EQ(v.vitals.r.risk, NEWS2_RISK_HIGH);
	TEST_TRUE(v.vitals.alert_pending);
	TEST_ERR(store_alert_pending(v.store, p.id, id));
	TEST_STR(id, v.vitals.alert_id);
	TEST_EQ(v.vitals.alert_shown, 0);
	TEST_TRUE(strstr(v.vitals.alert.detail,
	              "risk high; scored 3: "
	              "Respiration rate, SpO2") != NULL);
	TEST_EQ(v.vitals.alert_stored, 0);
	/* taken up again from Home: the recorded cause, not today's */
	visit_session_patient_clear(&v);
	visit_session_patient(&v, &p);
	TEST_ERR(visit_session_alert(&v, id));
	TEST_TRUE(v.vitals.alert_stored);
	TEST_EQ(v.vitals.alert_shown, 0);
	TEST_TRUE(strstr(v.vitals.alert.detail, "scored 3: ") != NULL);
	TEST_ERR(visit_vitals_ack(&v));
	TEST_EQ(visit_session_alert(&v, id), ENOENT); /* acknowledged */
out:
	visit_session_lock(&v);
	test_rmdir(d);
	return err;
}

/* The emergency key raises an alert at once; a visit with no patient has
 * nothing to raise it for. */
static int
test_emergency(void)
{
	struct visit v;
	struct store_patient p;
	char id[UUID_STRLEN + 1];
	char *d = test_tmpdir("visit");
	int err = 0;

	TEST_TRUE(d != NULL);
	TEST_ERR(setup(d, &v, &p));
	TEST_EQ(visit_vitals_emergency(&v), EINVAL);
	visit_session_patient_clear(&v);
	visit_session_patient(&v, &p);
	TEST_ERR(visit_vitals_emergency(&v));
	TEST_TRUE(v.vitals.emergency);
	TEST_TRUE(v.vitals.alert_pending);
	TEST_ERR(store_alert_pending(v.store, p.id, id));
	TEST_STR(id, v.vitals.alert_id);
	TEST_ERR(visit_vitals_ack(&v));
	TEST_EQ(v.vitals.emergency, 0);
out:
	visit_session_lock(&v);
	test_rmdir(d);
	return err;
}

/* A danger sign in a child raises one IMCI alert per visit; the visit
 * cannot end while it waits, and ends (encounter closed) once seen. */
static int
test_danger_and_end(void)
{
	struct visit v;
	struct store_patient p;
	struct imci_result r;
	char id[UUID_STRLEN + 1], first[UUID_STRLEN + 1];
	char birth[32], *cause = NULL;
	char *d = test_tmpdir("visit");
	time_t now = time(NULL);
	struct tm tm;
	int err = 0;

	TEST_TRUE(d != NULL);
	TEST_ERR(setup(d, &v, &p));
	/* a child of two */
	localtime_r(&now, &tm);
	snprintf(birth, sizeof(birth), "%04d-%02d-%02d", tm.tm_year + 1900 - 2,
	    tm.tm_mon + 1, tm.tm_mday);
	p.id[0] = '\0';
	p.given = (char *)"Ada";
	p.birth_date = birth;
	TEST_ERR(store_patient_add(v.store, &p, NULL, &cause));
	visit_session_patient(&v, &p);

	visit_danger_assess(&v, &r);
	TEST_TRUE(r.applicable);
	TEST_EQ(r.danger, 0);
	visit_danger_raise(&v, &r);
	TEST_EQ(v.vitals.alert_pending, 0);
	TEST_EQ(store_alert_pending(v.store, p.id, id), ENOENT);

	v.vitals.imci_signs |= 1u << IMCI_LETHARGIC;
	visit_danger_assess(&v, &r);
	TEST_TRUE(r.danger);
	visit_danger_raise(&v, &r);
	TEST_TRUE(v.vitals.alert_pending);
	TEST_TRUE(v.vitals.alert_shown); /* its own screen shows it */
	TEST_ERR(store_alert_pending(v.store, p.id, first));
	TEST_STR(first, v.vitals.alert_id);
	/* once per visit */
	visit_danger_toggle(&v, IMCI_CONVULSIONS);
	TEST_TRUE(v.vitals.imci_signs & (1u << IMCI_CONVULSIONS));
	visit_danger_toggle(&v, IMCI_NSIGN); /* no such sign: nothing */
	TEST_EQ(v.vitals.imci_signs,
	    (1u << IMCI_LETHARGIC) | (1u << IMCI_CONVULSIONS));
	TEST_ERR(store_alert_pending(v.store, p.id, id));
	TEST_STR(id, first);

	TEST_EQ(visit_session_end(&v), EBUSY);
	TEST_TRUE(v.have_patient);
	TEST_ERR(visit_vitals_ack(&v));
	TEST_ERR(store_encounter_open_today(v.store, p.id, id));
	TEST_ERR(visit_session_end(&v));
	TEST_EQ(v.have_patient, 0);
	TEST_EQ(v.encounter_id[0], '\0');
	TEST_EQ(store_encounter_open_today(v.store, p.id, id), ENOENT);
	/* nothing in hand: nothing to close */
	TEST_ERR(visit_session_end(&v));
out:
	free(cause);
	visit_session_lock(&v);
	test_rmdir(d);
	return err;
}

/* A visit that recorded nothing is cancelled and leaves no encounter; one
 * with a value is not (issue 10, item 12); the patient summary counts what
 * was recorded. */
static int
test_cancel_and_summary(void)
{
	struct visit v;
	struct store_patient p;
	struct store_summary sum;
	char id[UUID_STRLEN + 1];
	char *d = test_tmpdir("visit");
	int err = 0;

	TEST_TRUE(d != NULL);
	TEST_ERR(setup(d, &v, &p));
	TEST_EQ(visit_session_cancel(&v), EINVAL); /* no one in hand */
	visit_session_patient(&v, &p);
	TEST_ERR(store_patient_summary(v.store, p.id, &sum));
	TEST_EQ(sum.nvisits, 0);
	TEST_EQ(sum.nvitals, 0);
	TEST_EQ(sum.open_referrals, 0);
	TEST_ERR(visit_session_cancel(&v));
	TEST_EQ(v.have_patient, 0);
	TEST_EQ(store_encounter_open_today(v.store, p.id, id), ENOENT);

	visit_session_patient(&v, &p);
	TEST_ERR(set(&v, NEWS2_RR, 16));
	TEST_ERR(visit_vitals_set_dia(&v, 80, 0));
	TEST_ERR(set(&v, NEWS2_SBP, 124));
	TEST_ERR(set(&v, NEWS2_RR, 18)); /* the later value is the last */
	TEST_EQ(visit_session_cancel(&v), EBUSY);
	TEST_TRUE(v.have_patient);
	TEST_ERR(store_patient_summary(v.store, p.id, &sum));
	TEST_EQ(sum.nvisits, 1);
	TEST_EQ(sum.total_visits, 1);
	TEST_STR(sum.visits[0].status, "open");
	TEST_EQ(sum.visits[0].nobs, 4);
	TEST_EQ(sum.nvitals, 3);
	TEST_STR(sum.vitals[0].loinc, "9279-1");
	TEST_TRUE(sum.vitals[0].value == 18);
	TEST_TRUE(sum.vitals_ms > 0);
	TEST_ERR(visit_session_end(&v));
out:
	visit_session_lock(&v);
	test_rmdir(d);
	return err;
}

/* visit_say reaches the UI's callback, formatted; without one it is
 * silent. */
static int
test_say(void)
{
	struct visit v;
	int err = 0;

	visit_init(&v, NULL);
	TEST_EQ(v.dev_pipe[0], -1);
	TEST_EQ(visit_devices_fd(&v), -1);
	memset(&said, 0, sizeof(said));
	visit_say(&v, VISIT_MSG_WARN, "no one listens %d", 1);
	TEST_EQ(said.n, 0);
	v.say = say;
	visit_say(&v, VISIT_MSG_WARN, "Device attached: %s", "virtual");
	TEST_EQ(said.n, 1);
	TEST_EQ(said.kind, VISIT_MSG_WARN);
	TEST_STR(said.text, "Device attached: virtual");
	/* the screens and the command line use the same words */
	TEST_STR(visit_strerror(ENOSPC), kctx_explain(ENOSPC));
out:
	return err;
}

/*
 * Opening a CHT form for the patient in hand fills its inputs group as
 * CHT does (source = contact, contact/_id, name, sex, date_of_birth,
 * user/name); what reads them sees them; nodes the form lacks are
 * skipped; a form without inputs, or no patient in hand, gets nothing.
 */
static int
test_form_inputs(void)
{
	static const char cht[] =
	    "<h:html xmlns=\"http://www.w3.org/2002/xforms\" "
	    "xmlns:h=\"http://www.w3.org/1999/xhtml\"><h:head><model>"
	    "<instance><data id=\"cht\"><inputs><source>user</source>"
	    "<source_id/><user><name/></user><contact><_id/><name/><sex/>"
	    "<date_of_birth/></contact></inputs><patient_name/><female/>"
	    "<q/></data></instance>"
	    "<bind nodeset=\"/data/inputs\" relevant=\"./source = 'user'\"/>"
	    "<bind nodeset=\"/data/inputs/contact/date_of_birth\" "
	    "type=\"date\"/>"
	    "<bind nodeset=\"/data/patient_name\" type=\"string\" "
	    "calculate=\"../inputs/contact/name\"/>"
	    "<bind nodeset=\"/data/female\" type=\"string\" "
	    "calculate=\"if(/data/inputs/contact/sex = 'female', 'y', 'n')\"/>"
	    "</model></h:head><h:body><input ref=\"/data/q\"><label>q</label>"
	    "</input></h:body></h:html>";
	static const char plain[] =
	    "<h:html xmlns=\"http://www.w3.org/2002/xforms\" "
	    "xmlns:h=\"http://www.w3.org/1999/xhtml\"><h:head><model>"
	    "<instance><data id=\"plain\"><q/></data></instance></model>"
	    "</h:head><h:body><input ref=\"/data/q\"><label>q</label>"
	    "</input></h:body></h:html>";
	static const struct {
		const char *path, *want;
	} want[] = {
		{ "/data/inputs/source", "contact" },
		{ "/data/inputs/contact/name", "Amina Okafor" },
		{ "/data/inputs/contact/sex", "female" },
		{ "/data/inputs/contact/date_of_birth", "1980-05-01" },
		{ "/data/inputs/user/name", "Grace" },
		{ "/data/patient_name", "Amina Okafor" },
		{ "/data/female", "y" },
	};
	struct visit v;
	struct store_patient p;
	struct form *f = NULL, *g = NULL;
	char *d = test_tmpdir("visit"), *cause = NULL, *val = NULL;
	size_t i;
	int err = 0;

	TEST_TRUE(d != NULL);
	TEST_ERR(setup(d, &v, &p));
	snprintf(v.user_name, sizeof(v.user_name), "Grace");
	TEST_ERR(form_load_mem(cht, strlen(cht), &f, &cause));
	TEST_ERR(form_start(f, &cause));
	TEST_EQ(visit_form_inputs(&v, f), 0); /* no patient in hand */
	visit_session_patient(&v, &p);
	/* source, source_id, _id, name, sex, date_of_birth, user/name */
	TEST_EQ(visit_form_inputs(&v, f), 7);
	for (i = 0; i < nitems(want); i++) {
		TEST_ERR(form_get(f, want[i].path, &val));
		TEST_STR(val, want[i].want);
		free(val);
		val = NULL;
	}
	TEST_ERR(form_get(f, "/data/inputs/contact/_id", &val));
	TEST_STR(val, p.id);
	TEST_ERR(form_load_mem(plain, strlen(plain), &g, &cause));
	TEST_ERR(form_start(g, &cause));
	TEST_EQ(visit_form_inputs(&v, g), 0);
out:
	free(val);
	free(cause);
	form_free(f);
	form_free(g);
	visit_session_lock(&v);
	test_rmdir(d);
	return err;
}

TEST_MAIN({ "vitals_scored", test_vitals_scored },
    { "red_flag", test_red_flag }, { "emergency", test_emergency },
    { "danger_and_end", test_danger_and_end },
    { "cancel_and_summary", test_cancel_and_summary }, { "say", test_say },
    { "form_inputs", test_form_inputs })
