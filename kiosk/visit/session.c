/*
 * The session: unlocking the store with a typed passphrase (through the
 * keyring, as kctx_open does for commands), the patient in hand and their
 * visit, and forgetting all of it on lock.  No curses and no SQL here
 * (kiosk/visit/visit.h).
 */
#define LOG_MODULE "ui"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "kiosk/kctx.h"
#include "i18n.h"
#include "kiosk/store/keyring.h"
#include "kiosk/store/mfapolicy.h"
#include "log.h"
#include "patient.h"
#include "str.h"
#include "kiosk/sync/sync.h"
#include "kiosk/visit/emergency.h"
#include "visit.h"
#include "xmalloc.h"

/*
 * While someone is logged in, an enrolled kiosk syncs in the background on
 * its own connection (kiosk/sync/thread.c).  Locking stops it, so no key
 * stays in memory while the kiosk is locked.
 */
static void
visit_session_sync_start(struct visit *v)
{
	struct sync_status ss;
	int err;

	if (sync_status_get(v->store, &ss) != 0 || !ss.enrolled)
		return;
	if ((err = sync_thread_start(v->ctx->data_dir, store_key(v->store),
	         VISIT_SYNC_INTERVAL_S)) != 0 &&
	    err != EALREADY)
		log_warnx("background sync not started: %s", strerror(err));
}

/*
 * The second-factor policy for the user just unlocked (mfapolicy.h):
 * whether they must enrol now, in how many days, or not at all.  A store
 * that cannot say leaves them as they are (-1), logged.
 */
static void
visit_session_mfa_due(
    struct visit *v, const struct keyring *kr, const struct store_user *u)
{
	v->mfa_due = store_mfa_due(v->store, kr, u);
}

int
visit_session_unlock(struct visit *v, const char *user, const char *pass,
    const char *code, int *recovery_left, char **cause)
{
	struct keyring *kr = NULL;
	struct store_user u;
	uint8_t key[32];
	int err, recovery = 0;

	*cause = NULL;
	*recovery_left = -1;
	v->mfa_due = -1;
	memset(&u, 0, sizeof(u));
	if ((err = keyring_load(v->ctx->data_dir, &kr)) != 0) {
		log_warnx("keyring load: %d", err);
		*cause = xstrdup(err == ENOENT
		        ? _("this node is not set up: run `kiosk init` first")
		        : _("the keyring cannot be read (see the log)"));
		return err;
	}
	err =
	    keyring_unlock_mfa(kr, user, pass, code, 0, key, &recovery, cause);
	if (err == 0 && recovery)
		*recovery_left = keyring_mfa_left(kr, user);
	if (err != 0) {
		log_info("unlock refused: %d", err);
		if (*cause == NULL)
			*cause = xstrdup(err == ENOENT
			        ? _("no such user on this kiosk")
			        : visit_strerror(err));
		goto out;
	}
	err = store_open(v->ctx->data_dir, key, 0, &v->store);
	explicit_bzero(key, sizeof(key));
	if (err != 0) {
		log_warnx("store open: %d", err);
		*cause =
		    xstrdup(_("the database cannot be opened (see the log)"));
		goto out;
	}
	if (store_user_get(v->store, user, &u) == 0) {
		if (u.disabled) {
			store_audit(
			    v->store, "login-failed", "user", u.id, "disabled");
			store_close(v->store);
			v->store = NULL;
			*cause = xstrdup(_("this user is disabled"));
			err = EPERM;
			goto out;
		}
		str_lcpy(v->user_id, u.id, sizeof(v->user_id));
		v->user_role = u.role;
		visit_session_mfa_due(v, kr, &u);
		/* the user's screens from here on; the kiosk's language
		 * when unset */
		if (u.lang == NULL || i18n_set(u.lang) != 0)
			i18n_reset();
		store_set_actor(v->store, u.id);
	}
	str_lcpy(v->user_name, user, sizeof(v->user_name));
	/* failed tries since the last unlock go to the audit log */
	kctx_audit_failures(v->store, kr);
	store_audit(v->store, "login", "user", u.id[0] ? u.id : NULL, "ui");
	log_info("unlocked");
	visit_session_sync_start(v);
	/* emergencies page from their own thread while someone is in */
	if ((err = emerg_worker_start(v->ctx->data_dir, store_key(v->store))) !=
	        0 &&
	    err != EALREADY)
		log_warnx("emergency worker not started: %s", strerror(err));
	err = 0;
out:
	store_user_clear(&u);
	keyring_free(kr);
	return err;
}

int
visit_session_needs_code(struct visit *v, const char *user)
{
	struct keyring *kr = NULL;
	int need;

	if (keyring_load(v->ctx->data_dir, &kr) != 0)
		return 0;
	need = keyring_user_mfa(kr, user);
	keyring_free(kr);
	return need;
}

uint64_t
visit_session_unlock_wait(struct visit *v, const char *user)
{
	struct keyring *kr = NULL;
	uint64_t ms;

	if (keyring_load(v->ctx->data_dir, &kr) != 0)
		return 0;
	ms = keyring_wait_ms(kr, user);
	keyring_free(kr);
	return ms;
}

void
visit_session_patient_clear(struct visit *v)
{
	if (v->have_patient)
		store_patient_clear(&v->patient);
	memset(&v->patient, 0, sizeof(v->patient));
	v->have_patient = 0;
	v->encounter_id[0] = '\0';
	v->visit_reason[0] = '\0';
	v->form_path[0] = '\0';
	visit_vitals_reset(&v->vitals);
}

void
visit_session_lock(struct visit *v)
{
	visit_devices_stop(v);
	visit_session_patient_clear(v);
	sync_thread_stop(); /* it holds a copy of the key: wipe it too */
	emerg_worker_stop(); /* so does the emergency worker */
	if (v->store != NULL) {
		store_audit(v->store, "logout", "user",
		    v->user_id[0] ? v->user_id : NULL, NULL);
		store_close(v->store); /* wipes the key */
		v->store = NULL;
		log_info("locked");
	}
	memset(v->user_id, 0, sizeof(v->user_id));
	memset(v->user_name, 0, sizeof(v->user_name));
	v->user_role = 0;
	v->mfa_due = -1;
	i18n_reset(); /* the unlock screen, in the kiosk's language */
}

static char *
dup_or_null(const char *s)
{
	return s == NULL ? NULL : xstrdup(s);
}

void
visit_session_patient(struct visit *v, const struct store_patient *p)
{
	struct store_encounter e;

	/* the patient already in hand: keep their open visit and vitals */
	if (v->have_patient && strcmp(v->patient.id, p->id) == 0)
		return;
	visit_session_patient_clear(v);
	memcpy(v->patient.id, p->id, sizeof(v->patient.id));
	v->patient.given = dup_or_null(p->given);
	v->patient.family = dup_or_null(p->family);
	v->patient.sex = dup_or_null(p->sex);
	v->patient.birth_date = dup_or_null(p->birth_date);
	v->patient.phone = dup_or_null(p->phone);
	v->patient.village = dup_or_null(p->village);
	v->patient.national_id = dup_or_null(p->national_id);
	v->patient.hlc = p->hlc;
	v->patient.created_ms = p->created_ms;
	v->have_patient = 1;
	v->vitals.in.age = visit_age_years(p->birth_date);
	/* today's visit still open (a check-in, or left for a moment) goes
	 * on with what it holds */
	if (v->store != NULL &&
	    store_encounter_open_today(v->store, p->id, v->encounter_id) == 0) {
		visit_vitals_resume(v, v->encounter_id);
		memset(&e, 0, sizeof(e));
		/* the patient's own words from a check-in are worth showing;
		 * the kiosk's ("vitals", "forms") are not */
		if (store_encounter_get(v->store, v->encounter_id, &e) == 0 &&
		    e.reason != NULL &&
		    strncmp(e.reason, "self check-in", 13) == 0)
			str_lcpy(
			    v->visit_reason, e.reason, sizeof(v->visit_reason));
		store_encounter_clear(&e);
	}
	/* a red flag left from before (another session, a crash) is still
	 * there to acknowledge */
	if (v->store != NULL &&
	    store_alert_pending(v->store, p->id, v->vitals.alert_id) == 0) {
		v->vitals.alert_pending = 1;
		v->vitals.alert_shown = 1;
		if (store_alert_get(
		        v->store, v->vitals.alert_id, &v->vitals.alert) == 0)
			v->vitals.alert_stored = 1;
	}
}

int
visit_session_alert(struct visit *v, const char *alert_id)
{
	struct store_alert_row a;
	int err;

	if (v->store == NULL || !v->have_patient)
		return EINVAL;
	if ((err = store_alert_get(v->store, alert_id, &a)) != 0)
		return err;
	if (strcmp(a.patient_id, v->patient.id) != 0 || a.acked_ms != 0)
		return ENOENT;
	/* the red flag raised in this visit already shows its own cause */
	if (v->vitals.alert_pending &&
	    strcmp(v->vitals.alert_id, alert_id) == 0 &&
	    !v->vitals.alert_stored) {
		v->vitals.alert_shown = 0;
		return 0;
	}
	memcpy(v->vitals.alert_id, a.id, sizeof(v->vitals.alert_id));
	v->vitals.alert = a;
	v->vitals.alert_stored = 1;
	v->vitals.alert_pending = 1;
	v->vitals.alert_shown = 0; /* the screen opens it */
	v->vitals.emergency = strcmp(a.kind, "emergency") == 0;
	return 0;
}

int
visit_session_encounter(struct visit *v, const char *reason)
{
	int err;

	if (!v->have_patient || v->store == NULL)
		return EINVAL;
	if (v->encounter_id[0] != '\0')
		return 0;
	err = store_encounter_open(
	    v->store, v->patient.id, reason, v->encounter_id);
	if (err != 0) {
		v->encounter_id[0] = '\0';
		log_warnx("encounter open: %d", err);
	} else {
		int checked = 0;

		/* the CHW's visit is the appointment's check-in evidence
		 * (issue 15); a failure here loses no visit */
		if (store_appt_arrived(v->store, v->patient.id, "chw",
		        clock_wall_ms(), &checked) != 0)
			log_warnx("appointment check-in not recorded");
	}
	return err;
}

int
visit_session_end(struct visit *v)
{
	int err;

	if (v->vitals.alert_pending)
		return EBUSY;
	if (v->encounter_id[0] != '\0' &&
	    (err = store_encounter_close(v->store, v->encounter_id)) != 0) {
		log_warnx("encounter close: %d", err);
		return err;
	}
	visit_session_patient_clear(v);
	return 0;
}

int
visit_session_cancel(struct visit *v)
{
	if (!v->have_patient)
		return EINVAL;
	if (v->encounter_id[0] != '\0')
		return EBUSY; /* something is recorded: F8 ends it */
	visit_session_patient_clear(v);
	return 0;
}

int
visit_age_months(const char *birth)
{
	return patient_age_months(birth, time(NULL));
}

int
visit_age_years(const char *birth)
{
	int months = visit_age_months(birth);

	return months < 0 ? -1 : months / 12;
}

const char *
ui_sex_value(const char *s)
{
	return patient_sex_parse(s);
}
