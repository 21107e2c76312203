/*
 * The keyring: a CBOR file beside the database that holds the database's
 * random 256-bit data key wrapped once per user.  A user's wrapping key
 * comes from their passphrase or PIN through Argon2id with a per-entry
 * salt and a fixed cost (passes, memory, lanes) recorded in the entry, and
 * wraps the data key with AES-256-GCM bound to the user name.  Entries
 * written by older kiosks use PBKDF2-HMAC-SHA512; they still unlock, and
 * are re-wrapped with Argon2id at the default cost by their first
 * successful unlock.  A recovery copy of the data key is sealed to the
 * region's X25519 public key when one is configured.
 *
 * A passphrase or PIN is accepted when it has at least KEYRING_MIN_PASS
 * characters (UTF-8 characters, not bytes), so an all-digit PIN needs at
 * least 6 digits.
 *
 * Failed unlocks are counted per user: a try after a failure is checked
 * no sooner than delay_base_ms * 2^(failures-1) (capped at 30 s) after
 * that failure (keyring_unlock waits what is left; a screen can show the
 * wait as it runs with keyring_wait_ms), and
 * after max_failures the entry refuses every try until an administrator
 * clears it (`kiosk user unlock`) or the region key recovers it.  Failures
 * are kept in the keyring until the next successful unlock moves them into
 * the audit log.  An unlock holds an exclusive lock (flock on DIR) from
 * reading the counts on disk to saving them, so concurrent tries, from any
 * number of processes, each count and each wait their turn.
 *
 * Saving is atomic: temp file, fsync, rename, fsync of the directory.
 * Keys passed in and out are 32 bytes; callers wipe them.
 */
#ifndef KIOSK_KEYRING_H
#define KIOSK_KEYRING_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "totp.h"

#define KEYRING_FILE "keyring"
#define KEYRING_MIN_PASS 6
/* The fixed Argon2id cost of new entries: see docs/SECURITY.md. */
#define KEYRING_ARGON2_T_COST 2
#define KEYRING_ARGON2_M_COST 65536 /* KiB: 64 MiB */
#define KEYRING_ARGON2_LANES 1
#define KEYRING_DEFAULT_MAX_FAILURES 10
#define KEYRING_DEFAULT_DELAY_MS 1000

struct keyring;

/* An Argon2id cost, as recorded in each entry. */
struct keyring_kdf {
	uint32_t t_cost; /* passes */
	uint32_t m_cost; /* memory in KiB */
	uint32_t parallelism; /* lanes */
};

struct keyring_failure {
	char *user;
	uint64_t at_ms;
};

/* Create a new, empty keyring for DIR (not yet saved). */
struct keyring *keyring_new(
    const char *dir, unsigned max_failures, unsigned delay_base_ms);
/* Load DIR's keyring: ENOENT when there is none, EBADMSG when corrupt. */
int keyring_load(const char *dir, struct keyring **out);
/* Write atomically; EIO/ENOSPC/EROFS on failure (the old file stays). */
int keyring_save(struct keyring *);
void keyring_free(struct keyring *);

/* 0 when PASS is acceptable as a new passphrase or PIN; else EINVAL with
 * *WHY (static text) saying what is missing. */
int keyring_pass_check(const char *pass, const char **why);
/* The default cost: KEYRING_ARGON2_T_COST, _M_COST, _LANES. */
void keyring_kdf_default(struct keyring_kdf *);
/* Argon2id with COST; 0, EINVAL (cost out of range) or ENOMEM. */
int keyring_argon2id(const struct keyring_kdf *cost, const char *pass,
    const uint8_t *salt, size_t saltlen, uint8_t out[32]);
/*
 * A cost with the default passes and lanes and the memory that takes
 * about TARGET_MS here (at least 64 KiB): for tests (`--kdf-ms`), never
 * the default, since it varies from run to run.
 */
void keyring_kdf_calibrate(unsigned target_ms, struct keyring_kdf *);

/*
 * Add (or replace) NAME's entry wrapping KEY under PASS with Argon2id at
 * COST (NULL: the default).  EINVAL when keyring_pass_check refuses PASS
 * or COST is out of range.
 */
int keyring_put_user(struct keyring *, const char *name, const char *pass,
    const uint8_t key[32], const struct keyring_kdf *cost);
/*
 * Give NAME the data KEY, the one way every caller does it (init, restore,
 * recover, user add, passwd): wrap it under PASS with Argon2id at COST
 * (NULL: keep NAME's stored Argon2id cost, or the default when NAME has
 * none or a PBKDF2 entry), seal the recovery copy to PUB unless PUB is
 * NULL, and save, under DIR's lock on top of what other processes saved
 * meanwhile (a copy loaded earlier is read again first; what it held
 * unsaved is dropped).  Returns 0 or the first error: EINVAL (PASS refused) or
 * an error of keyring_save; on error the file on disk is unchanged.
 */
int keyring_wrap_user(struct keyring *, const char *name, const char *pass,
    const uint8_t key[32], const struct keyring_kdf *cost,
    const uint8_t pub[32]);
int keyring_has_user(const struct keyring *, const char *name);
int keyring_remove_user(struct keyring *, const char *name);

/*
 * Unwrap the data key for NAME with PASS, waiting first if earlier tries
 * failed.  Under DIR's lock, first re-reads the keyring from disk (what
 * the caller's copy held unsaved is dropped), and saves it (failure counts;
 * a PBKDF2 entry re-wrapped with Argon2id) before returning.  Returns
 * 0, ENOENT (no such user), EACCES (wrong passphrase; *CAUSE says how many
 * tries remain), EPERM (locked out until an administrator recovers it),
 * or an I/O error.
 */
int keyring_unlock(struct keyring *, const char *name, const char *pass,
    uint8_t key[32], char **cause);
/*
 * The second factor (TOTP, RFC 6238; kiosk/store/totp.h).  When NAME has
 * one, an unlock needs CODE too: a TOTP code of a step within one of NOW's
 * (0: the clock) and later than the last one used, or one of the unused
 * recovery codes (*RECOVERY set; RECOVERY may be NULL).  A wrong code
 * counts, waits and locks exactly like a wrong passphrase, under the same
 * lock, and the words do not say which of the two was wrong.  A missing
 * CODE is EACCES with nothing checked or counted.  Otherwise as
 * keyring_unlock, which is this with no CODE.
 */
int keyring_unlock_mfa(struct keyring *, const char *name, const char *pass,
    const char *code, time_t now, uint8_t key[32], int *recovery, char **cause);
/* 1 when NAME has a second factor. */
int keyring_user_mfa(const struct keyring *, const char *name);
/* NAME's unused recovery codes (0 without a second factor). */
int keyring_mfa_left(const struct keyring *, const char *name);
/*
 * Enrol NAME's second factor: SECRET (TOTP_SECRET_LEN bytes) and the
 * hashes of CODES, sealed under a key derived from the data KEY, with no
 * code used yet and USED_STEP as the last step used (the step of the code
 * that confirmed the enrolment, so it cannot unlock; 0: none); replaces an
 * earlier one.  Saved under DIR's lock.
 * ENOENT (no such user), EINVAL (a code not of the recovery form), or an
 * error of keyring_save.
 */
int keyring_mfa_set(struct keyring *, const char *name, const uint8_t key[32],
    const uint8_t secret[TOTP_SECRET_LEN],
    const char codes[TOTP_RECOVERY_N][TOTP_RECOVERY_LEN + 1],
    uint64_t used_step);
/*
 * A wrong code typed to confirm NAME's enrolment (the enrolment screen
 * the policy forces): counted, waited and locked like a wrong passphrase,
 * and saved under DIR's lock.  EACCES (counted; *CAUSE says how many tries
 * remain), EPERM (now or already locked out), ENOENT, or an error of
 * keyring_save.  *CAUSE is the caller's to free.
 */
int keyring_mfa_failed(struct keyring *, const char *name, char **cause);
/* Remove NAME's second factor (administrator); ENOENT no such user. */
int keyring_mfa_clear(struct keyring *, const char *name);

/* How many ms a try for NAME must still wait because of its earlier
 * failures (0: none, or no such user, or locked out). */
uint64_t keyring_wait_ms(const struct keyring *, const char *name);
/* Clear NAME's failure count and lockout (administrator action) and save,
 * under DIR's lock like every change below that saves. */
int keyring_reset_failures(struct keyring *, const char *name);
/* NAME's KDF, "argon2id" or "pbkdf2-sha512" (NULL when absent), and its
 * Argon2id cost in *COST (zeros for a PBKDF2 entry) unless COST is NULL. */
const char *keyring_user_kdf(
    const struct keyring *, const char *name, struct keyring_kdf *cost);

/* Seal KEY to the region public key PUB as the recovery copy, and save. */
int keyring_set_recovery(
    struct keyring *, const uint8_t pub[32], const uint8_t key[32]);
int keyring_has_recovery(const struct keyring *);
/* The region public key of the recovery copy; ENOENT when none. */
int keyring_region_key(const struct keyring *, uint8_t pub[32]);
/* Open the recovery copy with the region private key; EBADMSG when it is
 * the wrong key, ENOENT when no recovery copy exists. */
int keyring_recover(
    const struct keyring *, const uint8_t priv[32], uint8_t key[32]);

/* Failures recorded since the last successful unlock; the keyring keeps
 * ownership until keyring_clear_failures(). */
const struct keyring_failure *keyring_failures(
    const struct keyring *, size_t *n);
void keyring_clear_failures(struct keyring *);
/*
 * The first N failures of keyring_failures() are in the audit log: under
 * DIR's lock, re-read the keyring, drop those N from it and save, so
 * failures other processes recorded meanwhile (and their counts) stay.
 */
int keyring_forget_failures(struct keyring *, size_t n);

/* Write BUF to DIR/NAME atomically with mode 0600 (also used for exports). */
int keyring_write_atomic(
    const char *dir, const char *name, const void *buf, size_t len);

#endif
