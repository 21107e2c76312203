/*
 * The UI session: unlocking the store with a typed passphrase (through the
 * keyring, as kctx_open does for commands), the patient in hand and their
 * visit, and forgetting all of it on lock.  No curses here.
 */
#define LOG_MODULE "ui"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kiosk/kctx.h"
#include "kiosk/store/keyring.h"
#include "log.h"
#include "patient.h"
#include "str.h"
#include "kiosk/sync/sync.h"
#include "kiosk/tui/ui.h"
#include "xmalloc.h"

/*
 * While someone is logged in, an enrolled kiosk syncs in the background on
 * its own connection (kiosk/sync/thread.c).  Locking stops it, so no key
 * stays in memory while the kiosk is locked.
 */
static void
ui_session_sync_start(struct ui *ui)
{
	struct sync_status ss;
	int err;

	if (sync_status_get(ui->store, &ss) != 0 || !ss.enrolled)
		return;
	if ((err = sync_thread_start(ui->ctx->data_dir, store_key(ui->store),
	         UI_SYNC_INTERVAL_S)) != 0 &&
	    err != EALREADY)
		log_warnx("background sync not started: %s", strerror(err));
}

int
ui_session_unlock(
    struct ui *ui, const char *user, const char *pass, char **cause)
{
	struct keyring *kr = NULL;
	struct store_user u;
	uint8_t key[32];
	int err;

	*cause = NULL;
	memset(&u, 0, sizeof(u));
	if ((err = keyring_load(ui->ctx->data_dir, &kr)) != 0) {
		log_warnx("keyring load: %d", err);
		*cause = xstrdup(err == ENOENT
		        ? "this node is not set up: run `kiosk init` first"
		        : "the keyring cannot be read (see the log)");
		return err;
	}
	err = keyring_unlock(kr, user, pass, key, cause);
	if (err != 0) {
		log_info("unlock refused: %d", err);
		if (*cause == NULL)
			*cause =
			    xstrdup(err == ENOENT ? "no such user on this kiosk"
			                          : ui_strerror(err));
		goto out;
	}
	err = store_open(ui->ctx->data_dir, key, 0, &ui->store);
	explicit_bzero(key, sizeof(key));
	if (err != 0) {
		log_warnx("store open: %d", err);
		*cause = xstrdup("the database cannot be opened (see the log)");
		goto out;
	}
	if (store_user_get(ui->store, user, &u) == 0) {
		if (u.disabled) {
			store_audit(ui->store, "login-failed", "user", u.id,
			    "disabled");
			store_close(ui->store);
			ui->store = NULL;
			*cause = xstrdup("this user is disabled");
			err = EPERM;
			goto out;
		}
		str_lcpy(ui->user_id, u.id, sizeof(ui->user_id));
		ui->user_role = u.role;
		store_set_actor(ui->store, u.id);
	}
	str_lcpy(ui->user_name, user, sizeof(ui->user_name));
	/* failed tries since the last unlock go to the audit log */
	kctx_audit_failures(ui->store, kr);
	store_audit(ui->store, "login", "user", u.id[0] ? u.id : NULL, "ui");
	log_info("unlocked");
	ui_session_sync_start(ui);
out:
	store_user_clear(&u);
	keyring_free(kr);
	return err;
}

void
ui_session_patient_clear(struct ui *ui)
{
	if (ui->have_patient)
		store_patient_clear(&ui->patient);
	memset(&ui->patient, 0, sizeof(ui->patient));
	ui->have_patient = 0;
	ui->encounter_id[0] = '\0';
	ui->visit_reason[0] = '\0';
	ui->form_path[0] = '\0';
	ui_vitals_reset(&ui->vitals);
}

void
ui_session_lock(struct ui *ui)
{
	ui_devices_stop(ui);
	ui_session_patient_clear(ui);
	sync_thread_stop(); /* it holds a copy of the key: wipe it too */
	if (ui->store != NULL) {
		store_audit(ui->store, "logout", "user",
		    ui->user_id[0] ? ui->user_id : NULL, NULL);
		store_close(ui->store); /* wipes the key */
		ui->store = NULL;
		log_info("locked");
	}
	memset(ui->user_id, 0, sizeof(ui->user_id));
	memset(ui->user_name, 0, sizeof(ui->user_name));
	ui->user_role = 0;
	ui->msg[0] = '\0';
	ui->help = 0;
}

static char *
dup_or_null(const char *s)
{
	return s == NULL ? NULL : xstrdup(s);
}

void
ui_session_patient(struct ui *ui, const struct store_patient *p)
{
	struct store_encounter e;

	/* the patient already in hand: keep their open visit and vitals */
	if (ui->have_patient && strcmp(ui->patient.id, p->id) == 0)
		return;
	ui_session_patient_clear(ui);
	memcpy(ui->patient.id, p->id, sizeof(ui->patient.id));
	ui->patient.given = dup_or_null(p->given);
	ui->patient.family = dup_or_null(p->family);
	ui->patient.sex = dup_or_null(p->sex);
	ui->patient.birth_date = dup_or_null(p->birth_date);
	ui->patient.phone = dup_or_null(p->phone);
	ui->patient.village = dup_or_null(p->village);
	ui->patient.national_id = dup_or_null(p->national_id);
	ui->patient.hlc = p->hlc;
	ui->patient.created_ms = p->created_ms;
	ui->have_patient = 1;
	ui->vitals.in.age = ui_age_years(p->birth_date);
	/* today's visit still open (a check-in, or left for a moment) goes
	 * on with what it holds */
	if (ui_open_visit(ui, p->id, ui->encounter_id) == 0) {
		ui_vitals_resume(ui, ui->encounter_id);
		memset(&e, 0, sizeof(e));
		/* the patient's own words from a check-in are worth showing;
		 * the kiosk's ("vitals", "forms") are not */
		if (store_encounter_get(ui->store, ui->encounter_id, &e) == 0 &&
		    e.reason != NULL &&
		    strncmp(e.reason, "self check-in", 13) == 0)
			str_lcpy(ui->visit_reason, e.reason,
			    sizeof(ui->visit_reason));
		store_encounter_clear(&e);
	}
	/* a red flag left from before (another session, a crash) is still
	 * there to acknowledge */
	if (ui_alert_pending(ui, p->id, ui->vitals.alert_id) == 0) {
		ui->vitals.alert_pending = 1;
		ui->vitals.alert_shown = 1;
	}
}

int
ui_session_encounter(struct ui *ui, const char *reason)
{
	int err;

	if (!ui->have_patient || ui->store == NULL)
		return EINVAL;
	if (ui->encounter_id[0] != '\0')
		return 0;
	err = store_encounter_open(
	    ui->store, ui->patient.id, reason, ui->encounter_id);
	if (err != 0) {
		ui->encounter_id[0] = '\0';
		log_warnx("encounter open: %d", err);
	}
	return err;
}

int
ui_age_months(const char *birth)
{
	return patient_age_months(birth, time(NULL));
}

int
ui_age_years(const char *birth)
{
	int months = ui_age_months(birth);

	return months < 0 ? -1 : months / 12;
}

const char *
ui_sex_value(const char *s)
{
	return patient_sex_parse(s);
}
