/*
 * Keyring file: wrapping the data key per user, failure counting and the
 * region recovery copy.  See keyring.h for the policy.  The file is CBOR:
 *
 *   { 1: 1 (version), 2: max_failures, 3: delay_base_ms,
 *     4: [ { 1: name, 2: "argon2id", 3: t_cost (passes), 4: salt(16),
 *            5: wrapped key (nonce || ct || tag), 6: failures,
 *            7: last failure ms, 8: locked,
 *            9: m_cost (KiB), 10: parallelism (lanes),
 *            11: second factor, sealed (optional, see below),
 *            12: last TOTP step used, 13: recovery codes used (bits) } ... ],
 *     5: { 1: region public key, 2: sealed data key },        (optional)
 *     6: [ { 1: user, 2: ms } ... ]  failures not yet audited,
 *     7: generation (saves so far; absent in older files: 0) }
 *
 * Entries of older kiosks have 2: "pbkdf2-sha512", 3: iterations and no
 * 9 or 10; they are read, never written.
 *
 * The second factor (issue 17): the TOTP secret and the SHA-256 of each
 * one-time recovery code (totp.h), sealed with AES-256-GCM under a key
 * derived from the data key (HMAC-SHA256(data key, "outpost-mfa-v1"))
 * and bound to the user name, so it is read only after the passphrase has
 * opened the data key, and a passphrase reset keeps it.  The last step
 * used and the codes used are kept in clear beside it (like the failure
 * counts: someone who can write the card can reset them).
 *
 * This file never sees the database; it does not log names.
 */
#define LOG_MODULE "keyring"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <argon2.h>

#include "cborx.h"
#include "clock.h"
#include "crypto.h"
#include "fileio.h"
#include "hlc.h"
#include "keyring.h"
#include "log.h"
#include "totp.h"
#include "xmalloc.h"

#define KEYRING_VERSION 1
#define KEYRING_MAX_FILE (1 << 20)
#define KEYRING_MAX_LOGGED 100
#define KEYRING_SALT_LEN 16
#define KEYRING_WRAPPED_LEN (32 + CRYPTO_AEAD_OVERHEAD)
#define KEYRING_MIN_ITER 1000
#define KEYRING_MAX_DELAY_MS 30000
/* What a file may ask of Argon2id (a damaged one must not ask for 4 TiB). */
#define KEYRING_MAX_T_COST 64
#define KEYRING_MAX_M_COST (1024 * 1024) /* KiB: 1 GiB */
#define KEYRING_MAX_LANES 16
#define KEYRING_MIN_M_COST 64 /* KiB, the floor of --kdf-ms */
/* The sealed second factor: the secret, then one hash per recovery code. */
#define KEYRING_MFA_PLAIN_LEN (TOTP_SECRET_LEN + 32 * TOTP_RECOVERY_N)
#define KEYRING_MFA_SEALED_LEN (KEYRING_MFA_PLAIN_LEN + CRYPTO_AEAD_OVERHEAD)

enum keyring_kdf_id { KDF_ARGON2ID, KDF_PBKDF2 };

struct keyring_entry {
	char *name;
	enum keyring_kdf_id kdf;
	uint32_t iterations; /* PBKDF2 only */
	struct keyring_kdf cost; /* Argon2id only */
	uint8_t salt[KEYRING_SALT_LEN];
	uint8_t wrapped[KEYRING_WRAPPED_LEN];
	unsigned failures;
	uint64_t last_failure_ms;
	int locked;
	int has_mfa;
	uint8_t mfa[KEYRING_MFA_SEALED_LEN];
	uint64_t mfa_last_step;
	uint32_t mfa_used; /* bit i: recovery code i used */
};

struct keyring {
	char *dir;
	unsigned max_failures;
	unsigned delay_base_ms;
	struct keyring_entry *users;
	size_t nusers;
	int has_recovery;
	uint8_t region_pub[32];
	uint8_t sealed[32 + CRYPTO_SEAL_OVERHEAD];
	struct keyring_failure *failed;
	size_t nfailed;
	/* Saves so far, in the file: tells whether another process saved it
	 * since this copy was loaded or saved. */
	uint64_t generation;
	/* Made by keyring_new and never saved: a file on disk is not its
	 * older self, so a locked update must not reload it. */
	int fresh;
};

struct keyring *
keyring_new(const char *dir, unsigned max_failures, unsigned delay_base_ms)
{
	struct keyring *k = xcalloc(1, sizeof(*k));

	k->dir = xstrdup(dir);
	k->fresh = 1;
	k->max_failures =
	    max_failures ? max_failures : KEYRING_DEFAULT_MAX_FAILURES;
	k->delay_base_ms = delay_base_ms;
	return k;
}

void
keyring_free(struct keyring *k)
{
	size_t i;

	if (k == NULL)
		return;
	for (i = 0; i < k->nusers; i++)
		free(k->users[i].name);
	free(k->users);
	keyring_clear_failures(k);
	free(k->dir);
	explicit_bzero(k, sizeof(*k));
	free(k);
}

static struct keyring_entry *
keyring_find(const struct keyring *k, const char *name)
{
	size_t i;

	for (i = 0; i < k->nusers; i++)
		if (strcmp(k->users[i].name, name) == 0)
			return &k->users[i];
	return NULL;
}

int
keyring_has_user(const struct keyring *k, const char *name)
{
	return keyring_find(k, name) != NULL;
}

const char *
keyring_user_kdf(
    const struct keyring *k, const char *name, struct keyring_kdf *cost)
{
	struct keyring_entry *e = keyring_find(k, name);

	if (cost != NULL)
		memset(cost, 0, sizeof(*cost));
	if (e == NULL)
		return NULL;
	if (e->kdf == KDF_PBKDF2)
		return "pbkdf2-sha512";
	if (cost != NULL)
		*cost = e->cost;
	return "argon2id";
}

int
keyring_pass_check(const char *pass, const char **why)
{
	const unsigned char *p;
	size_t chars = 0;

	/* Count UTF-8 characters: every byte but continuation bytes. */
	for (p = (const unsigned char *)pass; *p != '\0'; p++)
		if ((*p & 0xc0) != 0x80)
			chars++;
	if (chars >= KEYRING_MIN_PASS)
		return 0;
	*why = "a passphrase or PIN needs at least 6 characters "
	       "(a PIN at least 6 digits)";
	return EINVAL;
}

void
keyring_kdf_default(struct keyring_kdf *cost)
{
	cost->t_cost = KEYRING_ARGON2_T_COST;
	cost->m_cost = KEYRING_ARGON2_M_COST;
	cost->parallelism = KEYRING_ARGON2_LANES;
}

static int
keyring_kdf_valid(const struct keyring_kdf *c)
{
	return c->t_cost >= 1 && c->t_cost <= KEYRING_MAX_T_COST &&
	    c->parallelism >= 1 && c->parallelism <= KEYRING_MAX_LANES &&
	    c->m_cost >= 8 * c->parallelism && c->m_cost <= KEYRING_MAX_M_COST;
}

int
keyring_argon2id(const struct keyring_kdf *cost, const char *pass,
    const uint8_t *salt, size_t saltlen, uint8_t out[32])
{
	int rc;

	if (!keyring_kdf_valid(cost))
		return EINVAL;
	rc = argon2id_hash_raw(cost->t_cost, cost->m_cost, cost->parallelism,
	    pass, strlen(pass), salt, saltlen, out, 32);
	if (rc == ARGON2_OK)
		return 0;
	return rc == ARGON2_MEMORY_ALLOCATION_ERROR ? ENOMEM : EINVAL;
}

void
keyring_kdf_calibrate(unsigned target_ms, struct keyring_kdf *cost)
{
	uint8_t out[32], salt[KEYRING_SALT_LEN] = { 0 };
	struct keyring_kdf probe;
	uint64_t t0, us;
	double m;

	keyring_kdf_default(&probe);
	probe.m_cost = 1024;
	t0 = clock_mono_us();
	if (keyring_argon2id(&probe, "calibrate", salt, sizeof(salt), out) != 0)
		log_warnx("argon2id calibration failed");
	us = clock_mono_us() - t0;
	if (us == 0)
		us = 1;
	m = (double)probe.m_cost * target_ms * 1000.0 / (double)us;
	if (m < KEYRING_MIN_M_COST)
		m = KEYRING_MIN_M_COST;
	if (m > KEYRING_MAX_M_COST)
		m = KEYRING_MAX_M_COST;
	keyring_kdf_default(cost);
	cost->m_cost = (uint32_t)m;
	explicit_bzero(out, sizeof(out));
}

/* Wrapping key from the passphrase, bound to the user name via AAD. */
static int
keyring_derive(const struct keyring_entry *e, const char *pass, uint8_t kek[32])
{
	if (e->kdf == KDF_PBKDF2)
		return crypto_pbkdf2_sha512(pass, strlen(pass), e->salt,
		    sizeof(e->salt), e->iterations, kek, 32);
	return keyring_argon2id(&e->cost, pass, e->salt, sizeof(e->salt), kek);
}

static char *
keyring_aad(const char *name)
{
	char *aad;

	xasprintf(&aad, "outpost-keyring-v1:%s", name);
	return aad;
}

/* Wrap KEY for E under PASS with Argon2id at COST (new salt). */
static int
keyring_wrap_entry(struct keyring_entry *e, const char *pass,
    const uint8_t key[32], const struct keyring_kdf *cost)
{
	uint8_t kek[32];
	char *aad;
	int err;

	e->kdf = KDF_ARGON2ID;
	e->iterations = 0;
	e->cost = *cost;
	crypto_random(e->salt, sizeof(e->salt));
	if ((err = keyring_derive(e, pass, kek)) != 0)
		return err;
	aad = keyring_aad(e->name);
	err = crypto_aead_seal(kek, aad, strlen(aad), key, 32, e->wrapped);
	free(aad);
	explicit_bzero(kek, sizeof(kek));
	return err;
}

int
keyring_put_user(struct keyring *k, const char *name, const char *pass,
    const uint8_t key[32], const struct keyring_kdf *cost)
{
	struct keyring_kdf def;
	struct keyring_entry *e;
	const char *why;

	if (keyring_pass_check(pass, &why) != 0)
		return EINVAL;
	if (cost == NULL) {
		keyring_kdf_default(&def);
		cost = &def;
	}
	if (!keyring_kdf_valid(cost))
		return EINVAL;
	if ((e = keyring_find(k, name)) == NULL) {
		k->users =
		    xreallocarray(k->users, k->nusers + 1, sizeof(*k->users));
		e = &k->users[k->nusers++];
		memset(e, 0, sizeof(*e));
		e->name = xstrdup(name);
	}
	e->failures = 0;
	e->locked = 0;
	e->last_failure_ms = 0;
	return keyring_wrap_entry(e, pass, key, cost);
}

static int keyring_update(
    struct keyring *, int (*)(struct keyring *, void *), void *);
static int keyring_seal_recovery(
    struct keyring *, const uint8_t pub[32], const uint8_t key[32]);

struct keyring_wrap_args {
	const char *name, *pass;
	const uint8_t *key, *pub;
	const struct keyring_kdf *cost;
};

static int
keyring_wrap_apply(struct keyring *k, void *arg)
{
	const struct keyring_wrap_args *a = arg;
	const struct keyring_kdf *cost = a->cost;
	struct keyring_kdf stored;
	const char *kdf;
	int err;

	if (cost == NULL &&
	    (kdf = keyring_user_kdf(k, a->name, &stored)) != NULL &&
	    strcmp(kdf, "argon2id") == 0)
		cost = &stored;
	if ((err = keyring_put_user(k, a->name, a->pass, a->key, cost)) != 0)
		return err;
	if (a->pub != NULL)
		return keyring_seal_recovery(k, a->pub, a->key);
	return 0;
}

int
keyring_wrap_user(struct keyring *k, const char *name, const char *pass,
    const uint8_t key[32], const struct keyring_kdf *cost,
    const uint8_t pub[32])
{
	struct keyring_wrap_args a = { name, pass, key, pub, cost };

	return keyring_update(k, keyring_wrap_apply, &a);
}

int
keyring_remove_user(struct keyring *k, const char *name)
{
	struct keyring_entry *e = keyring_find(k, name);
	size_t i;

	if (e == NULL)
		return ENOENT;
	i = (size_t)(e - k->users);
	free(e->name);
	memmove(&k->users[i], &k->users[i + 1],
	    (k->nusers - i - 1) * sizeof(*k->users));
	k->nusers--;
	return 0;
}

static void
keyring_note_failure(struct keyring *k, const char *name)
{
	if (k->nfailed >= KEYRING_MAX_LOGGED)
		return; /* the count in the entry still grows */
	k->failed =
	    xreallocarray(k->failed, k->nfailed + 1, sizeof(*k->failed));
	k->failed[k->nfailed].user = xstrdup(name);
	k->failed[k->nfailed].at_ms = hlc_wall_ms();
	k->nfailed++;
}

/*
 * Take the exclusive lock of DIR that every unlock holds from reading the
 * failure counts to saving them (flock on the directory: the keyring file
 * itself is replaced by rename, so it cannot carry the lock).  Returns the
 * descriptor, or -1 with errno set.
 */
static int
keyring_lock(const char *dir)
{
	int fd, e;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	while (flock(fd, LOCK_EX) == -1) {
		if (errno == EINTR)
			continue;
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static void
keyring_unlock_dir(int fd)
{
	flock(fd, LOCK_UN);
	close(fd);
}

/* When another process saved the file since K last saw it, replace what K
 * holds by the file (under the lock), so the counts it saved are not lost.
 * A keyring never saved (ENOENT) stays as it is. */
static int
keyring_reload(struct keyring *k)
{
	struct keyring *d, old;
	char *dir;
	int err;

	if ((err = keyring_load(k->dir, &d)) != 0)
		return err == ENOENT ? 0 : err;
	if (d->generation == k->generation) {
		keyring_free(d);
		return 0;
	}
	old = *k;
	*k = *d;
	*d = old;
	dir = k->dir;
	k->dir = d->dir;
	d->dir = dir;
	keyring_free(d);
	return 0;
}

/*
 * Change K with APPLY and save it, under DIR's lock, on top of what
 * other processes saved meanwhile (failure counts of unlocks, another
 * administrator's change): a keyring loaded earlier is first read again.
 * On error nothing is saved.
 */
static int
keyring_update(
    struct keyring *k, int (*apply)(struct keyring *, void *), void *arg)
{
	int fd, err;

	if ((fd = keyring_lock(k->dir)) == -1) {
		err = errno;
		log_warnx("could not lock the keyring: %s", strerror(err));
		return err;
	}
	if ((k->fresh || (err = keyring_reload(k)) == 0) &&
	    (err = apply(k, arg)) == 0)
		err = keyring_save(k);
	keyring_unlock_dir(fd);
	return err;
}

/* Re-wrap a PBKDF2 entry with Argon2id at the default cost; on failure
 * the entry stays as it was (it still unlocks). */
static void
keyring_upgrade(
    struct keyring_entry *e, const char *pass, const uint8_t key[32])
{
	struct keyring_entry ne = *e;
	struct keyring_kdf cost;
	int err;

	keyring_kdf_default(&cost);
	if ((err = keyring_wrap_entry(&ne, pass, key, &cost)) != 0) {
		log_warnx(
		    "could not move an entry to argon2id: %s", strerror(err));
		return;
	}
	*e = ne;
	log_info("keyring entry moved from pbkdf2 to argon2id");
}

/* What a try for E must still wait: delay_base_ms * 2^(failures-1),
 * capped, counted from the last failure (a clock set back counts as no
 * time passed). */
static uint64_t
keyring_wait_left(const struct keyring *k, const struct keyring_entry *e)
{
	uint64_t delay, now = hlc_wall_ms(), since;
	unsigned shift;

	if (e->failures == 0)
		return 0;
	shift = e->failures - 1 > 15 ? 15 : e->failures - 1;
	delay = (uint64_t)k->delay_base_ms << shift;
	if (delay > KEYRING_MAX_DELAY_MS)
		delay = KEYRING_MAX_DELAY_MS;
	since = now > e->last_failure_ms ? now - e->last_failure_ms : 0;
	return since >= delay ? 0 : delay - since;
}

uint64_t
keyring_wait_ms(const struct keyring *k, const char *name)
{
	const struct keyring_entry *e = keyring_find(k, name);

	return e == NULL || e->locked ? 0 : keyring_wait_left(k, e);
}

/* --- second factor --- */

int
keyring_user_mfa(const struct keyring *k, const char *name)
{
	const struct keyring_entry *e = keyring_find(k, name);

	return e != NULL && e->has_mfa;
}

int
keyring_mfa_left(const struct keyring *k, const char *name)
{
	const struct keyring_entry *e = keyring_find(k, name);

	if (e == NULL || !e->has_mfa)
		return 0;
	return TOTP_RECOVERY_N - __builtin_popcount(e->mfa_used);
}

/* The sealing key of NAME's second factor and its AAD, from the data key. */
static char *
keyring_mfa_key(const char *name, const uint8_t key[32], uint8_t mk[32])
{
	static const char label[] = "outpost-mfa-v1";
	char *aad;

	crypto_hmac_sha256(key, 32, label, sizeof(label) - 1, mk);
	xasprintf(&aad, "%s:%s", label, name);
	return aad;
}

static int
keyring_mfa_open(const struct keyring_entry *e, const uint8_t key[32],
    uint8_t plain[KEYRING_MFA_PLAIN_LEN])
{
	uint8_t mk[32];
	char *aad = keyring_mfa_key(e->name, key, mk);
	int err;

	err = crypto_aead_open(
	    mk, aad, strlen(aad), e->mfa, sizeof(e->mfa), plain);
	explicit_bzero(mk, sizeof(mk));
	free(aad);
	return err;
}

struct keyring_mfa_args {
	const char *name;
	const uint8_t *key, *secret;
	const char (*codes)[TOTP_RECOVERY_LEN + 1];
	uint64_t used_step;
};

static int
keyring_mfa_apply(struct keyring *k, void *arg)
{
	const struct keyring_mfa_args *a = arg;
	struct keyring_entry *e = keyring_find(k, a->name);
	uint8_t plain[KEYRING_MFA_PLAIN_LEN], mk[32];
	char *aad;
	size_t i;
	int err = 0;

	if (e == NULL)
		return ENOENT;
	if (a->secret == NULL) { /* removal */
		e->has_mfa = 0;
		memset(e->mfa, 0, sizeof(e->mfa));
		e->mfa_last_step = 0;
		e->mfa_used = 0;
		return 0;
	}
	memcpy(plain, a->secret, TOTP_SECRET_LEN);
	for (i = 0; i < TOTP_RECOVERY_N && err == 0; i++)
		err = totp_recovery_hash(
		    a->name, a->codes[i], plain + TOTP_SECRET_LEN + 32 * i);
	if (err == 0) {
		aad = keyring_mfa_key(a->name, a->key, mk);
		err = crypto_aead_seal(
		    mk, aad, strlen(aad), plain, sizeof(plain), e->mfa);
		free(aad);
	}
	explicit_bzero(plain, sizeof(plain));
	explicit_bzero(mk, sizeof(mk));
	if (err != 0)
		return err;
	e->has_mfa = 1;
	e->mfa_last_step = a->used_step;
	e->mfa_used = 0;
	return 0;
}

int
keyring_mfa_set(struct keyring *k, const char *name, const uint8_t key[32],
    const uint8_t secret[TOTP_SECRET_LEN],
    const char codes[TOTP_RECOVERY_N][TOTP_RECOVERY_LEN + 1],
    uint64_t used_step)
{
	struct keyring_mfa_args a = { name, key, secret, codes, used_step };

	return keyring_update(k, keyring_mfa_apply, &a);
}

int
keyring_mfa_clear(struct keyring *k, const char *name)
{
	struct keyring_mfa_args a = { name, NULL, NULL, NULL, 0 };

	return keyring_update(k, keyring_mfa_apply, &a);
}

/* Whether CODE looks like a recovery code rather than a TOTP code. */
static int
keyring_is_recovery(const char *code)
{
	for (; *code != '\0'; code++)
		if (*code != ' ' && (*code < '0' || *code > '9'))
			return 1;
	return 0;
}

/*
 * Check E's second factor with the data KEY just unwrapped: a TOTP code
 * not used before, or an unused recovery code (*RECOVERY set).  0, or
 * EACCES (a wrong code), or EBADMSG (the sealed factor does not open).
 */
static int
keyring_mfa_check(struct keyring_entry *e, const uint8_t key[32],
    const char *code, time_t now, int *recovery)
{
	uint8_t plain[KEYRING_MFA_PLAIN_LEN], h[32];
	uint64_t step;
	int i, hit = -1, err;

	if ((err = keyring_mfa_open(e, key, plain)) != 0) {
		log_warnx("a second factor in the keyring does not open");
		return EBADMSG;
	}
	if (keyring_is_recovery(code)) {
		err = EACCES;
		if (totp_recovery_hash(e->name, code, h) == 0)
			for (i = 0; i < TOTP_RECOVERY_N; i++)
				if (!(e->mfa_used & (1u << i)) &&
				    crypto_memcmp(h,
				        plain + TOTP_SECRET_LEN + 32 * i,
				        32) == 0)
					hit = i;
		if (hit >= 0) {
			e->mfa_used |= 1u << hit;
			*recovery = 1;
			err = 0;
		}
	} else if ((err = totp_verify(plain, TOTP_SECRET_LEN, code, now,
	                e->mfa_last_step, &step)) == 0)
		e->mfa_last_step = step;
	explicit_bzero(plain, sizeof(plain));
	explicit_bzero(h, sizeof(h));
	return err;
}

static int
keyring_unlock_locked(struct keyring *k, const char *name, const char *pass,
    const char *code, time_t now, uint8_t key[32], int *recovery, char **cause)
{
	struct keyring_entry *e;
	uint64_t delay;
	uint8_t kek[32];
	char *aad;
	int err, serr;

	if ((err = keyring_reload(k)) != 0)
		return err;
	if ((e = keyring_find(k, name)) == NULL) {
		/* Record it too: someone is guessing user names. */
		keyring_note_failure(k, name);
		keyring_save(k);
		xasprintf(cause, "no user called \"%s\" on this kiosk", name);
		return ENOENT;
	}
	if (e->locked) {
		xasprintf(cause,
		    "user \"%s\" is locked after %u wrong "
		    "passphrases; an administrator must unlock it "
		    "(kiosk user unlock %s) or recover it with the region key",
		    name, e->failures, name);
		return EPERM;
	}
	if (e->has_mfa && (code == NULL || *code == '\0')) {
		/* Nothing checked, so nothing counted: ask for the code. */
		xasprintf(cause,
		    "user \"%s\" also needs the code from their "
		    "authenticator (or a recovery code)",
		    name);
		return EACCES;
	}
	if ((delay = keyring_wait_left(k, e)) > 0)
		usleep((useconds_t)(delay * 1000));
	if ((err = keyring_derive(e, pass, kek)) != 0)
		return err;
	aad = keyring_aad(name);
	err = crypto_aead_open(
	    kek, aad, strlen(aad), e->wrapped, sizeof(e->wrapped), key);
	free(aad);
	explicit_bzero(kek, sizeof(kek));
	if (err == 0 && e->has_mfa &&
	    (err = keyring_mfa_check(e, key, code, now, recovery)) != 0) {
		explicit_bzero(key, 32);
		if (err == EACCES)
			err =
			    EBADMSG; /* counted below like a wrong passphrase */
		else
			return err;
	}
	if (err == 0) {
		e->failures = 0;
		e->last_failure_ms = 0;
		if (e->kdf == KDF_PBKDF2)
			keyring_upgrade(e, pass, key);
		return keyring_save(k);
	}
	if (err != EBADMSG)
		return err;
	e->failures++;
	e->last_failure_ms = hlc_wall_ms();
	keyring_note_failure(k, name);
	/* With a second factor, the words do not say which one was wrong. */
	if (e->failures >= k->max_failures) {
		e->locked = 1;
		xasprintf(cause,
		    "wrong %s; user \"%s\" is now locked "
		    "after %u tries and needs an administrator to unlock it",
		    e->has_mfa ? "passphrase or code" : "passphrase", name,
		    e->failures);
		err = EPERM;
	} else {
		xasprintf(cause,
		    "wrong %s for \"%s\" (%u of %u tries "
		    "used; each further try waits longer)",
		    e->has_mfa ? "passphrase or code" : "passphrase", name,
		    e->failures, k->max_failures);
		err = EACCES;
	}
	if ((serr = keyring_save(k)) != 0)
		log_warnx(
		    "could not record a failed unlock: %s", strerror(serr));
	return err;
}

int
keyring_unlock_mfa(struct keyring *k, const char *name, const char *pass,
    const char *code, time_t now, uint8_t key[32], int *recovery, char **cause)
{
	int fd, err, rec = 0;

	*cause = NULL;
	if (recovery != NULL)
		*recovery = 0;
	if ((fd = keyring_lock(k->dir)) == -1) {
		err = errno;
		log_warnx("could not lock the keyring: %s", strerror(err));
		return err;
	}
	err = keyring_unlock_locked(
	    k, name, pass, code, now != 0 ? now : time(NULL), key, &rec, cause);
	keyring_unlock_dir(fd);
	if (err == 0 && recovery != NULL)
		*recovery = rec;
	return err;
}

int
keyring_unlock(struct keyring *k, const char *name, const char *pass,
    uint8_t key[32], char **cause)
{
	return keyring_unlock_mfa(k, name, pass, NULL, 0, key, NULL, cause);
}

/* A wrong code typed to confirm an enrolment counts like a wrong
 * passphrase (keyring_mfa_failed). */
struct keyring_fail_args {
	const char *name;
	int locked;
	unsigned failures, max;
};

static int
keyring_fail_apply(struct keyring *k, void *arg)
{
	struct keyring_fail_args *a = arg;
	struct keyring_entry *e = keyring_find(k, a->name);

	if (e == NULL)
		return ENOENT;
	if (!e->locked) {
		e->failures++;
		e->last_failure_ms = hlc_wall_ms();
		keyring_note_failure(k, a->name);
		if (e->failures >= k->max_failures)
			e->locked = 1;
	}
	a->locked = e->locked;
	a->failures = e->failures;
	a->max = k->max_failures;
	return 0;
}

int
keyring_mfa_failed(struct keyring *k, const char *name, char **cause)
{
	struct keyring_fail_args a = { name, 0, 0, 0 };
	int err;

	*cause = NULL;
	if ((err = keyring_update(k, keyring_fail_apply, &a)) != 0)
		return err;
	if (a.locked) {
		xasprintf(cause,
		    "wrong code; user \"%s\" is now locked after %u tries "
		    "and needs an administrator to unlock it",
		    name, a.failures);
		return EPERM;
	}
	xasprintf(cause,
	    "wrong code for \"%s\" (%u of %u tries used; each further try "
	    "waits longer)",
	    name, a.failures, a.max);
	return EACCES;
}

static int
keyring_reset_apply(struct keyring *k, void *arg)
{
	struct keyring_entry *e = keyring_find(k, arg);

	if (e == NULL)
		return ENOENT;
	e->failures = 0;
	e->locked = 0;
	e->last_failure_ms = 0;
	return 0;
}

int
keyring_reset_failures(struct keyring *k, const char *name)
{
	return keyring_update(k, keyring_reset_apply, (void *)name);
}

static int
keyring_seal_recovery(
    struct keyring *k, const uint8_t pub[32], const uint8_t key[32])
{
	int err;

	if ((err = crypto_seal_to(
	         pub, "outpost-recovery-v1", key, 32, k->sealed)) != 0)
		return err;
	memcpy(k->region_pub, pub, 32);
	k->has_recovery = 1;
	return 0;
}

static int
keyring_recovery_apply(struct keyring *k, void *arg)
{
	const struct keyring_wrap_args *a = arg;

	return keyring_seal_recovery(k, a->pub, a->key);
}

int
keyring_set_recovery(
    struct keyring *k, const uint8_t pub[32], const uint8_t key[32])
{
	struct keyring_wrap_args a = { NULL, NULL, key, pub, NULL };

	return keyring_update(k, keyring_recovery_apply, &a);
}

int
keyring_has_recovery(const struct keyring *k)
{
	return k->has_recovery;
}

int
keyring_region_key(const struct keyring *k, uint8_t pub[32])
{
	if (!k->has_recovery)
		return ENOENT;
	memcpy(pub, k->region_pub, 32);
	return 0;
}

int
keyring_recover(
    const struct keyring *k, const uint8_t priv[32], uint8_t key[32])
{
	if (!k->has_recovery)
		return ENOENT;
	return crypto_unseal(
	    priv, "outpost-recovery-v1", k->sealed, sizeof(k->sealed), key);
}

const struct keyring_failure *
keyring_failures(const struct keyring *k, size_t *n)
{
	*n = k->nfailed;
	return k->failed;
}

void
keyring_clear_failures(struct keyring *k)
{
	size_t i;

	for (i = 0; i < k->nfailed; i++)
		free(k->failed[i].user);
	free(k->failed);
	k->failed = NULL;
	k->nfailed = 0;
}

int
keyring_forget_failures(struct keyring *k, size_t n)
{
	struct keyring_failure *done;
	size_t i, j;
	int fd, err;

	if (n > k->nfailed)
		n = k->nfailed;
	done = xcalloc(n ? n : 1, sizeof(*done));
	for (i = 0; i < n; i++) {
		done[i].user = xstrdup(k->failed[i].user);
		done[i].at_ms = k->failed[i].at_ms;
	}
	if ((fd = keyring_lock(k->dir)) == -1) {
		err = errno;
		goto out;
	}
	if ((err = keyring_reload(k)) == 0) {
		for (i = 0; i < n; i++) {
			for (j = 0; j < k->nfailed; j++)
				if (k->failed[j].at_ms == done[i].at_ms &&
				    strcmp(k->failed[j].user, done[i].user) ==
				        0)
					break;
			if (j == k->nfailed)
				continue;
			free(k->failed[j].user);
			memmove(&k->failed[j], &k->failed[j + 1],
			    (k->nfailed - j - 1) * sizeof(*k->failed));
			k->nfailed--;
		}
		err = keyring_save(k);
	}
	keyring_unlock_dir(fd);
out:
	for (i = 0; i < n; i++)
		free(done[i].user);
	free(done);
	return err;
}

/* --- file format --- */

static cbor_item_t *
keyring_encode(const struct keyring *k)
{
	cbor_item_t *root, *users, *u, *rec, *fails, *f;
	size_t i;

	root = cborx_map(7);
	cborx_map_put(root, 1, cborx_uint(KEYRING_VERSION));
	cborx_map_put(root, 2, cborx_uint(k->max_failures));
	cborx_map_put(root, 3, cborx_uint(k->delay_base_ms));
	users = cborx_array(k->nusers);
	for (i = 0; i < k->nusers; i++) {
		const struct keyring_entry *e = &k->users[i];
		u = cborx_map(13);
		cborx_map_put(u, 1, cborx_text(e->name));
		if (e->kdf == KDF_PBKDF2) {
			cborx_map_put(u, 2, cborx_text("pbkdf2-sha512"));
			cborx_map_put(u, 3, cborx_uint(e->iterations));
		} else {
			cborx_map_put(u, 2, cborx_text("argon2id"));
			cborx_map_put(u, 3, cborx_uint(e->cost.t_cost));
		}
		cborx_map_put(u, 4, cborx_bytes(e->salt, sizeof(e->salt)));
		cborx_map_put(
		    u, 5, cborx_bytes(e->wrapped, sizeof(e->wrapped)));
		cborx_map_put(u, 6, cborx_uint(e->failures));
		cborx_map_put(u, 7, cborx_uint(e->last_failure_ms));
		cborx_map_put(u, 8, cborx_bool(e->locked));
		if (e->kdf == KDF_ARGON2ID) {
			cborx_map_put(u, 9, cborx_uint(e->cost.m_cost));
			cborx_map_put(u, 10, cborx_uint(e->cost.parallelism));
		}
		if (e->has_mfa) {
			cborx_map_put(
			    u, 11, cborx_bytes(e->mfa, sizeof(e->mfa)));
			cborx_map_put(u, 12, cborx_uint(e->mfa_last_step));
			cborx_map_put(u, 13, cborx_uint(e->mfa_used));
		}
		cborx_array_push(users, u);
	}
	cborx_map_put(root, 4, users);
	if (k->has_recovery) {
		rec = cborx_map(2);
		cborx_map_put(rec, 1, cborx_bytes(k->region_pub, 32));
		cborx_map_put(
		    rec, 2, cborx_bytes(k->sealed, sizeof(k->sealed)));
		cborx_map_put(root, 5, rec);
	}
	fails = cborx_array(k->nfailed);
	for (i = 0; i < k->nfailed; i++) {
		f = cborx_map(2);
		cborx_map_put(f, 1, cborx_text(k->failed[i].user));
		cborx_map_put(f, 2, cborx_uint(k->failed[i].at_ms));
		cborx_array_push(fails, f);
	}
	cborx_map_put(root, 6, fails);
	cborx_map_put(root, 7, cborx_uint(k->generation));
	return root;
}

static int
keyring_decode_entry(const cbor_item_t *u, struct keyring_entry *e)
{
	const uint8_t *p;
	char *kdf = NULL;
	uint64_t v;
	size_t len;
	int b, err;

	memset(e, 0, sizeof(*e));
	if ((err = cborx_map_text(u, 1, 256, &e->name)) != 0)
		return EBADMSG;
	if (cborx_map_text(u, 2, 32, &kdf) != 0)
		err = EBADMSG;
	else if (strcmp(kdf, "argon2id") == 0)
		e->kdf = KDF_ARGON2ID;
	else if (strcmp(kdf, "pbkdf2-sha512") == 0)
		e->kdf = KDF_PBKDF2;
	else
		err = EBADMSG;
	free(kdf);
	if (err != 0 || cborx_map_uint(u, 3, &v) != 0)
		return EBADMSG;
	if (e->kdf == KDF_PBKDF2) {
		if (v < KEYRING_MIN_ITER || v > UINT32_MAX)
			return EBADMSG;
		e->iterations = (uint32_t)v;
	} else {
		e->cost.t_cost = v <= UINT32_MAX ? (uint32_t)v : 0;
		if (cborx_map_uint(u, 9, &v) != 0 || v > UINT32_MAX)
			return EBADMSG;
		e->cost.m_cost = (uint32_t)v;
		if (cborx_map_uint(u, 10, &v) != 0 || v > UINT32_MAX)
			return EBADMSG;
		e->cost.parallelism = (uint32_t)v;
		if (!keyring_kdf_valid(&e->cost))
			return EBADMSG;
	}
	if (cborx_map_bytes(u, 4, 64, &p, &len) != 0 || len != sizeof(e->salt))
		return EBADMSG;
	memcpy(e->salt, p, len);
	if (cborx_map_bytes(u, 5, 128, &p, &len) != 0 ||
	    len != sizeof(e->wrapped))
		return EBADMSG;
	memcpy(e->wrapped, p, len);
	if (cborx_map_uint(u, 6, &v) != 0 || v > 1000000)
		return EBADMSG;
	e->failures = (unsigned)v;
	if (cborx_map_uint(u, 7, &e->last_failure_ms) != 0)
		return EBADMSG;
	if (cborx_get_bool(cborx_map_get(u, 8), &b) != 0)
		return EBADMSG;
	e->locked = b;
	if (cborx_map_get(u, 11) == NULL)
		return 0; /* no second factor */
	if (cborx_map_bytes(u, 11, 1024, &p, &len) != 0 ||
	    len != sizeof(e->mfa) || cborx_map_uint(u, 12, &e->mfa_last_step) ||
	    cborx_map_uint(u, 13, &v) != 0 || v >= (1u << TOTP_RECOVERY_N))
		return EBADMSG;
	memcpy(e->mfa, p, len);
	e->mfa_used = (uint32_t)v;
	e->has_mfa = 1;
	return 0;
}

static int
keyring_decode(struct keyring *k, const cbor_item_t *root)
{
	cbor_item_t *users, *rec, *fails;
	const uint8_t *p;
	uint64_t v;
	size_t i, n, len;
	char *name;

	if (cborx_map_uint(root, 1, &v) != 0 || v != KEYRING_VERSION)
		return EBADMSG;
	if (cborx_map_uint(root, 2, &v) != 0 || v == 0 || v > 1000)
		return EBADMSG;
	k->max_failures = (unsigned)v;
	if (cborx_map_uint(root, 3, &v) != 0 || v > KEYRING_MAX_DELAY_MS)
		return EBADMSG;
	k->delay_base_ms = (unsigned)v;
	if (cborx_map_get(root, 7) != NULL &&
	    cborx_map_uint(root, 7, &k->generation) != 0)
		return EBADMSG;
	users = cborx_map_get(root, 4);
	if (users == NULL || !cbor_isa_array(users))
		return EBADMSG;
	n = cbor_array_size(users);
	k->users = xcalloc(n ? n : 1, sizeof(*k->users));
	for (i = 0; i < n; i++) {
		if (keyring_decode_entry(
		        cbor_array_handle(users)[i], &k->users[i]) != 0) {
			free(k->users[i].name);
			return EBADMSG;
		}
		k->nusers++;
	}
	if ((rec = cborx_map_get(root, 5)) != NULL) {
		if (cborx_map_bytes(rec, 1, 32, &p, &len) != 0 || len != 32)
			return EBADMSG;
		memcpy(k->region_pub, p, 32);
		if (cborx_map_bytes(rec, 2, 256, &p, &len) != 0 ||
		    len != sizeof(k->sealed))
			return EBADMSG;
		memcpy(k->sealed, p, len);
		k->has_recovery = 1;
	}
	fails = cborx_map_get(root, 6);
	if (fails == NULL || !cbor_isa_array(fails))
		return EBADMSG;
	n = cbor_array_size(fails);
	for (i = 0; i < n && i < KEYRING_MAX_LOGGED; i++) {
		cbor_item_t *f = cbor_array_handle(fails)[i];
		if (cborx_map_text(f, 1, 256, &name) != 0)
			return EBADMSG;
		k->failed = xreallocarray(
		    k->failed, k->nfailed + 1, sizeof(*k->failed));
		k->failed[k->nfailed].user = name;
		if (cborx_map_uint(f, 2, &k->failed[k->nfailed].at_ms) != 0)
			k->failed[k->nfailed].at_ms = 0;
		k->nfailed++;
	}
	return 0;
}

int
keyring_load(const char *dir, struct keyring **out)
{
	struct keyring *k = NULL;
	cbor_item_t *root = NULL;
	uint8_t *buf = NULL;
	struct stat st;
	char *path;
	ssize_t n;
	int fd = -1, err = 0;

	*out = NULL;
	xasprintf(&path, "%s/%s", dir, KEYRING_FILE);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		err = errno;
		goto out;
	}
	if (fstat(fd, &st) == -1) {
		err = errno;
		goto out;
	}
	if (st.st_size <= 0 || st.st_size > KEYRING_MAX_FILE) {
		err = EBADMSG;
		goto out;
	}
	buf = xmalloc((size_t)st.st_size);
	if ((n = read(fd, buf, (size_t)st.st_size)) != st.st_size) {
		err = n < 0 ? errno : EBADMSG;
		goto out;
	}
	if (cborx_decode(buf, (size_t)n, KEYRING_MAX_FILE, &root) != 0) {
		err = EBADMSG;
		goto out;
	}
	k = keyring_new(dir, 1, 0);
	if ((err = keyring_decode(k, root)) != 0)
		goto out;
	*out = k;
	k = NULL;
out:
	if (err == EBADMSG)
		log_warnx("keyring file is damaged");
	if (root != NULL)
		cbor_decref(&root);
	keyring_free(k);
	free(buf);
	free(path);
	if (fd != -1)
		close(fd);
	return err;
}

int
keyring_write_atomic(
    const char *dir, const char *name, const void *buf, size_t len)
{
	char *path;
	int err;

	xasprintf(&path, "%s/%s", dir, name);
	err = fileio_write_atomic(path, buf, len, 0600);
	free(path);
	return err;
}

int
keyring_save(struct keyring *k)
{
	cbor_item_t *root;
	uint8_t *buf = NULL;
	size_t len;
	int err;

	k->generation++;
	root = keyring_encode(k);
	err = cborx_encode(root, &buf, &len);
	cbor_decref(&root);
	if (err == 0)
		err = keyring_write_atomic(k->dir, KEYRING_FILE, buf, len);
	if (err == 0)
		k->fresh = 0;
	if (err != 0)
		log_warnx("could not save the keyring: %s", strerror(err));
	free(buf);
	return err;
}
