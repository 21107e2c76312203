/*
 * Enrolling the second factor from the screens (issue 17): the policy
 * (kiosk/store/mfapolicy.h) sends a clinician or administrator without
 * one here after their unlock.  The same steps as `kiosk user mfa enrol`
 * (kiosk/cli/cmd_user.c): a new secret, a first code from the phone to
 * confirm it, then recovery codes shown once; a wrong code counts toward
 * the user's lockout like a wrong passphrase.  No curses here.
 */
#define LOG_MODULE "mfa"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "i18n.h"
#include "kiosk/kctx.h"
#include "kiosk/store/keyring.h"
#include "log.h"
#include "visit.h"
#include "xmalloc.h"

void
visit_mfa_start(struct visit *v, struct visit_mfa *m)
{
	visit_mfa_clear(m);
	crypto_random(m->secret, sizeof(m->secret));
	m->b32 = totp_base32(m->secret, sizeof(m->secret));
	m->uri = totp_uri_short("Outpost", v->user_name, m->b32);
}

int
visit_mfa_confirm(
    struct visit *v, struct visit_mfa *m, const char *code, char **cause)
{
	struct keyring *kr = NULL;
	uint64_t step = 0, wait;
	int i, err;

	*cause = NULL;
	if (v->store == NULL || m->b32 == NULL || m->done)
		return EINVAL;
	if ((err = keyring_load(v->ctx->data_dir, &kr)) != 0) {
		*cause = xstrdup(_("the keyring cannot be read (see the log)"));
		return err;
	}
	if ((wait = keyring_wait_ms(kr, v->user_name)) > 0) {
		xasprintf(cause, _("wrong code before: try again in %u s"),
		    (unsigned)((wait + 999) / 1000));
		err = EAGAIN;
		goto out;
	}
	if (totp_verify(m->secret, sizeof(m->secret), code, time(NULL), 0,
	        &step) != 0) {
		err = keyring_mfa_failed(kr, v->user_name, cause);
		store_audit(v->store, "login-failed", "user", v->user_id,
		    "mfa enrolment code");
		log_info("enrolment code refused: %d", err);
		goto out;
	}
	for (i = 0; i < TOTP_RECOVERY_N; i++)
		totp_recovery_new(m->codes[i]);
	if ((err = keyring_mfa_set(kr, v->user_name, store_key(v->store),
	         m->secret, (const char(*)[TOTP_RECOVERY_LEN + 1]) m->codes,
	         step)) != 0) {
		explicit_bzero(m->codes, sizeof(m->codes));
		*cause = xstrdup(_("the second factor was not saved (see the "
		                   "log)"));
		log_warnx("second factor not saved: %s", strerror(err));
		goto out;
	}
	store_audit(v->store, "change", "user", v->user_id, "mfa enrolled");
	m->done = 1;
	v->mfa_due = -1;
	explicit_bzero(m->secret, sizeof(m->secret));
	xfree_secret_str(m->b32);
	xfree_secret_str(m->uri);
	m->b32 = m->uri = NULL;
out:
	keyring_free(kr);
	return err;
}

void
visit_mfa_clear(struct visit_mfa *m)
{
	xfree_secret_str(m->b32);
	xfree_secret_str(m->uri);
	explicit_bzero(m, sizeof(*m));
}
