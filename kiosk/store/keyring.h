/*
 * The keyring: a CBOR file beside the database that holds the database's
 * random 256-bit data key wrapped once per user.  A user's wrapping key
 * comes from their passphrase or PIN through PBKDF2-HMAC-SHA512 with a
 * per-entry salt and iteration count (calibrated to a target time on this
 * machine, stored per entry so it can be raised later), and wraps the data
 * key with AES-256-GCM bound to the user name.  A recovery copy of the data
 * key is sealed to the region's X25519 public key when one is configured.
 *
 * Failed unlocks are counted per user: each try after a failure waits
 * delay_base_ms * 2^(failures-1) (capped at 30 s) before it is checked, and
 * after max_failures the entry refuses every try until an administrator
 * clears it (`kiosk user unlock`) or the region key recovers it.  Failures
 * are kept in the keyring until the next successful unlock moves them into
 * the audit log.
 *
 * Saving is atomic: temp file, fsync, rename, fsync of the directory.
 * Keys passed in and out are 32 bytes; callers wipe them.
 */
#ifndef KIOSK_KEYRING_H
#define KIOSK_KEYRING_H

#include <stddef.h>
#include <stdint.h>

#define KEYRING_FILE "keyring"
#define KEYRING_DEFAULT_KDF_MS 750
#define KEYRING_DEFAULT_MAX_FAILURES 10
#define KEYRING_DEFAULT_DELAY_MS 1000

struct keyring;

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

/* PBKDF2 iterations that take about TARGET_MS here (at least 1000). */
uint32_t keyring_calibrate(unsigned target_ms);

/*
 * Add (or replace) NAME's entry wrapping KEY under PASS with ITERATIONS.
 * EINVAL when PASS is shorter than 4 characters.
 */
int keyring_put_user(struct keyring *, const char *name, const char *pass,
    const uint8_t key[32], uint32_t iterations);
/*
 * Give NAME the data KEY, the one way every caller does it (init, restore,
 * recover, user add, passwd): wrap it under PASS with ITERATIONS (0: keep
 * NAME's stored count, or calibrate to KEYRING_DEFAULT_KDF_MS when NAME
 * has none), seal the recovery copy to PUB unless PUB is NULL, and save.
 * Returns 0 or the first error: EINVAL (PASS too short) or an error of
 * keyring_save; on error the file on disk is unchanged.
 */
int keyring_wrap_user(struct keyring *, const char *name, const char *pass,
    const uint8_t key[32], uint32_t iterations, const uint8_t pub[32]);
int keyring_has_user(const struct keyring *, const char *name);
int keyring_remove_user(struct keyring *, const char *name);

/*
 * Unwrap the data key for NAME with PASS, waiting first if earlier tries
 * failed.  Saves the keyring (failure counts) before returning.  Returns
 * 0, ENOENT (no such user), EACCES (wrong passphrase; *CAUSE says how many
 * tries remain), EPERM (locked out until an administrator recovers it),
 * or an I/O error.
 */
int keyring_unlock(struct keyring *, const char *name, const char *pass,
    uint8_t key[32], char **cause);
/* Clear NAME's failure count and lockout (administrator action). */
int keyring_reset_failures(struct keyring *, const char *name);
/* Iterations stored for NAME (0 when absent). */
uint32_t keyring_iterations(const struct keyring *, const char *name);

/* Seal KEY to the region public key PUB as the recovery copy. */
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

/* Write BUF to DIR/NAME atomically with mode 0600 (also used for exports). */
int keyring_write_atomic(
    const char *dir, const char *name, const void *buf, size_t len);

#endif
