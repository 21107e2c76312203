/*
 * The second-factor policy of this node (issue 17; docs/SECURITY.md
 * "Second factor"): clinicians, facility administrators and regional
 * administrators must have TOTP (kiosk/store/totp.h) to unlock, after a
 * grace period counted from the later of the policy's start and the
 * user's creation; CHWs are exempt (they share kiosks, PIN only).  The
 * policy is a node setting kept in the encrypted store (sync_state key
 * "mfa_policy"), so it is read after the passphrase opened the store and
 * a file-system attacker cannot relax it.
 */
#ifndef KIOSK_MFAPOLICY_H
#define KIOSK_MFAPOLICY_H

#include <stdint.h>

struct store;
struct store_user;
struct keyring;

#define MFA_POLICY_KEY "mfa_policy"
#define MFA_GRACE_DAYS_DEFAULT 14
#define MFA_GRACE_DAYS_MAX 365
/* The unlock reminds a user in the last days of their grace (F9 on Home
 * sets the second factor up at any time). */
#define MFA_REMIND_DAYS 7

struct mfa_policy {
	int required; /* 0: the second factor is optional for everyone */
	int grace_days; /* 0: compulsory at the next unlock */
	uint64_t start_ms; /* when the policy (or its last change) began */
};

/*
 * The policy in force into *P.  A node that has none yet (a new node, or
 * one upgraded from before the policy) gets the default, required with
 * MFA_GRACE_DAYS_DEFAULT days from now, and it is stored, so the grace
 * runs from the first unlock that saw it.  0 or a store error.
 */
int store_mfa_policy_get(struct store *, struct mfa_policy *p);
/* Set the policy (administrator; audited): REQUIRED, GRACE_DAYS (0 to
 * MFA_GRACE_DAYS_MAX, else EINVAL) from now. */
int store_mfa_policy_set(struct store *, int required, int grace_days);

/*
 * Whether a user of ROLE created at CREATED_MS, with (HAS_MFA 1) or
 * without a second factor, must enrol at NOW_MS under P: -1 no (exempt
 * role, already enrolled, or the policy is off), 0 yes now (the grace is
 * over), N > 0 in N days (rounded up).
 */
int mfa_policy_due(const struct mfa_policy *p, int role, uint64_t created_ms,
    int has_mfa, uint64_t now_ms);

/*
 * mfa_policy_due for user U now, under the store's policy and with the
 * second factor the keyring KR holds for them: what the screen's unlock
 * and every `kiosk` command that acts as a user ask (kiosk/kctx.c).  A
 * store that cannot read or start its policy leaves the user as they are
 * (-1), logged.
 */
int store_mfa_due(
    struct store *, const struct keyring *kr, const struct store_user *u);

#endif
