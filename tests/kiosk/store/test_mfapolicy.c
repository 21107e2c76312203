/*
 * The second-factor policy (kiosk/store/mfapolicy.h) and the enrolment
 * code's lockout (keyring_mfa_failed):
 *
 * due: who must enrol and when: CHWs exempt, an enrolled user or a policy
 * off never, the grace counted from the later of the policy's start and
 * the user's creation, days rounded up, 0 once over.
 *
 * stored: a store without a policy gets the default (required, 14 days)
 * from now, kept; a change is kept and audited; a grace out of range is
 * refused; a damaged row reads as required now.
 *
 * enrol_lockout: a wrong enrolment code counts like a wrong passphrase
 * and the last allowed one locks the user; a locked user stays locked.
 *
 * store_due: what the screen's unlock and every `kiosk` command ask
 * (store_mfa_due): a new node's clinician has the default 14 days, none
 * once an administrator sets 0, never once enrolled in the keyring; a
 * CHW never.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "kiosk/store/keyring.h"
#include "kiosk/store/mfapolicy.h"
#include "kiosk/store/store.h"
#include "kiosk/store/totp.h"
#include "role.h"
#include "test.h"

#define DAY (24ull * 3600 * 1000)

static int
test_due(void)
{
	struct mfa_policy p = { 1, 14, 100 * DAY };
	int err = 0;

	TEST_EQ(mfa_policy_due(&p, REC_ROLE_CHW, 0, 0, 100 * DAY), -1);
	TEST_EQ(mfa_policy_due(&p, REC_ROLE_CLINICIAN, 0, 1, 200 * DAY), -1);
	TEST_EQ(mfa_policy_due(&p, 99, 0, 0, 200 * DAY), -1);
	/* an old user: from the policy's start */
	TEST_EQ(mfa_policy_due(&p, REC_ROLE_CLINICIAN, 1, 0, 100 * DAY), 14);
	TEST_EQ(
	    mfa_policy_due(&p, REC_ROLE_FACILITY_ADMIN, 1, 0, 100 * DAY + 1),
	    14);
	TEST_EQ(
	    mfa_policy_due(&p, REC_ROLE_REGIONAL_ADMIN, 1, 0, 113 * DAY), 1);
	TEST_EQ(mfa_policy_due(&p, REC_ROLE_CLINICIAN, 1, 0, 114 * DAY - 1), 1);
	TEST_EQ(mfa_policy_due(&p, REC_ROLE_CLINICIAN, 1, 0, 114 * DAY), 0);
	/* a user made later: from their creation */
	TEST_EQ(mfa_policy_due(&p, REC_ROLE_CLINICIAN, 110 * DAY, 0, 114 * DAY),
	    10);
	p.grace_days = 0;
	TEST_EQ(mfa_policy_due(&p, REC_ROLE_CLINICIAN, 1, 0, 100 * DAY), 0);
	p.required = 0;
	TEST_EQ(mfa_policy_due(&p, REC_ROLE_CLINICIAN, 1, 0, 900 * DAY), -1);
out:
	return err;
}

static int
test_stored(void)
{
	struct store *s = NULL;
	struct mfa_policy p, q;
	uint8_t key[32];
	char *d = test_tmpdir("mfapol");
	int err = 0;

	crypto_random(key, sizeof(key));
	TEST_ERR(store_open(d, key, 1, &s));
	TEST_ERR(store_mfa_policy_get(s, &p));
	TEST_EQ(p.required, 1);
	TEST_EQ(p.grace_days, MFA_GRACE_DAYS_DEFAULT);
	TEST_TRUE(p.start_ms > 0);
	TEST_ERR(store_mfa_policy_get(s, &q)); /* kept: the same start */
	TEST_EQ(q.start_ms, p.start_ms);
	TEST_EQ(store_mfa_policy_set(s, 1, -1), EINVAL);
	TEST_EQ(store_mfa_policy_set(s, 1, MFA_GRACE_DAYS_MAX + 1), EINVAL);
	TEST_ERR(store_mfa_policy_set(s, 0, 3));
	TEST_ERR(store_mfa_policy_get(s, &q));
	TEST_EQ(q.required, 0);
	TEST_EQ(q.grace_days, 3);
	TEST_TRUE(q.start_ms >= p.start_ms);
	/* a damaged row: the strictest reading */
	TEST_ERR(store_state_put(s, MFA_POLICY_KEY, "maybe 3", 7));
	TEST_ERR(store_mfa_policy_get(s, &q));
	TEST_EQ(q.required, 1);
	TEST_EQ(q.grace_days, 0);
out:
	if (s != NULL)
		store_close(s);
	test_rmdir(d);
	return err;
}

static int
test_enrol_lockout(void)
{
	static const struct keyring_kdf cheap = { 1, 64, 1 };
	struct keyring *k = NULL;
	uint8_t key[32], out[32];
	char *d = test_tmpdir("mfalock"), *cause = NULL;
	int err = 0;

	crypto_random(key, sizeof(key));
	k = keyring_new(d, 3, 0);
	TEST_ERR(keyring_wrap_user(k, "doc", "doc-pass", key, &cheap, NULL));
	TEST_EQ(keyring_mfa_failed(k, "doc", &cause), EACCES);
	TEST_TRUE(cause != NULL && strstr(cause, "1 of 3") != NULL);
	free(cause);
	TEST_EQ(keyring_mfa_failed(k, "doc", &cause), EACCES);
	free(cause);
	TEST_EQ(keyring_mfa_failed(k, "doc", &cause), EPERM);
	TEST_TRUE(cause != NULL && strstr(cause, "locked") != NULL);
	free(cause);
	TEST_EQ(keyring_mfa_failed(k, "doc", &cause), EPERM);
	free(cause);
	cause = NULL;
	/* the right passphrase no longer unlocks */
	TEST_EQ(keyring_unlock(k, "doc", "doc-pass", out, &cause), EPERM);
	free(cause);
	cause = NULL;
	TEST_EQ(keyring_mfa_failed(k, "nobody", &cause), ENOENT);
out:
	free(cause);
	keyring_free(k);
	test_rmdir(d);
	return err;
}

static int
test_store_due(void)
{
	static const struct keyring_kdf cheap = { 1, 64, 1 };
	char codes[TOTP_RECOVERY_N][TOTP_RECOVERY_LEN + 1];
	uint8_t key[32], secret[TOTP_SECRET_LEN];
	struct store_user doc, chw;
	struct keyring *k = NULL;
	struct store *s = NULL;
	char *d = test_tmpdir("mfadue");
	int err = 0, i;

	memset(&doc, 0, sizeof(doc));
	memset(&chw, 0, sizeof(chw));
	crypto_random(key, sizeof(key));
	TEST_ERR(store_open(d, key, 1, &s));
	k = keyring_new(d, 3, 0);
	TEST_ERR(keyring_wrap_user(k, "doc", "doc-pass", key, &cheap, NULL));
	TEST_ERR(keyring_wrap_user(k, "chw1", "chw-pass", key, &cheap, NULL));
	TEST_ERR(store_user_add(s, "doc", REC_ROLE_CLINICIAN, &doc));
	TEST_ERR(store_user_add(s, "chw1", REC_ROLE_CHW, &chw));
	TEST_EQ(store_mfa_due(s, k, &doc), MFA_GRACE_DAYS_DEFAULT);
	TEST_EQ(store_mfa_due(s, k, &chw), -1);
	TEST_ERR(store_mfa_policy_set(s, 1, 0));
	TEST_EQ(store_mfa_due(s, k, &doc), 0);
	TEST_EQ(store_mfa_due(s, k, &chw), -1);
	crypto_random(secret, sizeof(secret));
	for (i = 0; i < TOTP_RECOVERY_N; i++)
		totp_recovery_new(codes[i]);
	TEST_ERR(keyring_mfa_set(k, "doc", key, secret, codes, 0));
	TEST_EQ(store_mfa_due(s, k, &doc), -1);
	TEST_ERR(store_mfa_policy_set(s, 0, 0));
	TEST_ERR(keyring_mfa_clear(k, "doc"));
	TEST_EQ(store_mfa_due(s, k, &doc), -1); /* the policy is off */
out:
	store_user_clear(&doc);
	store_user_clear(&chw);
	keyring_free(k);
	if (s != NULL)
		store_close(s);
	test_rmdir(d);
	return err;
}

TEST_MAIN({ "due", test_due }, { "stored", test_stored },
    { "enrol_lockout", test_enrol_lockout }, { "store_due", test_store_due })
