/*
 * Keyring file: wrapping the data key per user, failure counting and the
 * region recovery copy.  See keyring.h for the policy.  The file is CBOR:
 *
 *   { 1: 1 (version), 2: max_failures, 3: delay_base_ms,
 *     4: [ { 1: name, 2: "pbkdf2-sha512", 3: iterations, 4: salt(16),
 *            5: wrapped key (nonce || ct || tag), 6: failures,
 *            7: last failure ms, 8: locked } ... ],
 *     5: { 1: region public key, 2: sealed data key },        (optional)
 *     6: [ { 1: user, 2: ms } ... ]  failures not yet audited }
 *
 * This file never sees the database; it does not log names.
 */
#define LOG_MODULE "keyring"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cborx.h"
#include "clock.h"
#include "crypto.h"
#include "fileio.h"
#include "hlc.h"
#include "keyring.h"
#include "log.h"
#include "xmalloc.h"

#define KEYRING_VERSION 1
#define KEYRING_MAX_FILE (1 << 20)
#define KEYRING_MAX_LOGGED 100
#define KEYRING_SALT_LEN 16
#define KEYRING_WRAPPED_LEN (32 + CRYPTO_AEAD_OVERHEAD)
#define KEYRING_MIN_ITER 1000
#define KEYRING_MAX_DELAY_MS 30000

struct keyring_entry {
	char *name;
	uint32_t iterations;
	uint8_t salt[KEYRING_SALT_LEN];
	uint8_t wrapped[KEYRING_WRAPPED_LEN];
	unsigned failures;
	uint64_t last_failure_ms;
	int locked;
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
};

struct keyring *
keyring_new(const char *dir, unsigned max_failures, unsigned delay_base_ms)
{
	struct keyring *k = xcalloc(1, sizeof(*k));

	k->dir = xstrdup(dir);
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

uint32_t
keyring_iterations(const struct keyring *k, const char *name)
{
	struct keyring_entry *e = keyring_find(k, name);

	return e != NULL ? e->iterations : 0;
}

uint32_t
keyring_calibrate(unsigned target_ms)
{
	uint8_t out[32], salt[KEYRING_SALT_LEN] = { 0 };
	uint32_t probe = 20000;
	uint64_t t0, us;
	double iter;

	t0 = clock_mono_us();
	crypto_pbkdf2_sha512(
	    "calibrate", 9, salt, sizeof(salt), probe, out, sizeof(out));
	us = clock_mono_us() - t0;
	if (us == 0)
		us = 1;
	iter = (double)probe * target_ms * 1000.0 / (double)us;
	if (iter < KEYRING_MIN_ITER)
		iter = KEYRING_MIN_ITER;
	if (iter > 50000000.0)
		iter = 50000000.0;
	return (uint32_t)iter;
}

/* Wrapping key from the passphrase, bound to the user name via AAD. */
static int
keyring_derive(const struct keyring_entry *e, const char *pass, uint8_t kek[32])
{
	return crypto_pbkdf2_sha512(pass, strlen(pass), e->salt,
	    sizeof(e->salt), e->iterations, kek, 32);
}

static char *
keyring_aad(const char *name)
{
	char *aad;

	xasprintf(&aad, "outpost-keyring-v1:%s", name);
	return aad;
}

int
keyring_put_user(struct keyring *k, const char *name, const char *pass,
    const uint8_t key[32], uint32_t iterations)
{
	struct keyring_entry *e;
	uint8_t kek[32];
	char *aad;
	int err;

	if (strlen(pass) < 4)
		return EINVAL;
	if (iterations < KEYRING_MIN_ITER)
		iterations = KEYRING_MIN_ITER;
	if ((e = keyring_find(k, name)) == NULL) {
		k->users =
		    xreallocarray(k->users, k->nusers + 1, sizeof(*k->users));
		e = &k->users[k->nusers++];
		memset(e, 0, sizeof(*e));
		e->name = xstrdup(name);
	}
	e->iterations = iterations;
	e->failures = 0;
	e->locked = 0;
	e->last_failure_ms = 0;
	crypto_random(e->salt, sizeof(e->salt));
	if ((err = keyring_derive(e, pass, kek)) != 0)
		return err;
	aad = keyring_aad(name);
	err = crypto_aead_seal(kek, aad, strlen(aad), key, 32, e->wrapped);
	free(aad);
	explicit_bzero(kek, sizeof(kek));
	return err;
}

int
keyring_wrap_user(struct keyring *k, const char *name, const char *pass,
    const uint8_t key[32], uint32_t iterations, const uint8_t pub[32])
{
	int err;

	if (iterations == 0)
		iterations = keyring_iterations(k, name);
	if (iterations == 0)
		iterations = keyring_calibrate(KEYRING_DEFAULT_KDF_MS);
	if ((err = keyring_put_user(k, name, pass, key, iterations)) != 0)
		return err;
	if (pub != NULL && (err = keyring_set_recovery(k, pub, key)) != 0)
		return err;
	return keyring_save(k);
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

int
keyring_unlock(struct keyring *k, const char *name, const char *pass,
    uint8_t key[32], char **cause)
{
	struct keyring_entry *e = keyring_find(k, name);
	uint64_t delay;
	uint8_t kek[32];
	char *aad;
	int err, serr;

	*cause = NULL;
	if (e == NULL) {
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
	if (e->failures > 0) {
		unsigned shift = e->failures - 1 > 15 ? 15 : e->failures - 1;
		delay = (uint64_t)k->delay_base_ms << shift;
		if (delay > KEYRING_MAX_DELAY_MS)
			delay = KEYRING_MAX_DELAY_MS;
		usleep((useconds_t)(delay * 1000));
	}
	if ((err = keyring_derive(e, pass, kek)) != 0)
		return err;
	aad = keyring_aad(name);
	err = crypto_aead_open(
	    kek, aad, strlen(aad), e->wrapped, sizeof(e->wrapped), key);
	free(aad);
	explicit_bzero(kek, sizeof(kek));
	if (err == 0) {
		e->failures = 0;
		e->last_failure_ms = 0;
		return keyring_save(k);
	}
	if (err != EBADMSG)
		return err;
	e->failures++;
	e->last_failure_ms = hlc_wall_ms();
	keyring_note_failure(k, name);
	if (e->failures >= k->max_failures) {
		e->locked = 1;
		xasprintf(cause,
		    "wrong passphrase; user \"%s\" is now locked "
		    "after %u tries and needs an administrator to unlock it",
		    name, e->failures);
		err = EPERM;
	} else {
		xasprintf(cause,
		    "wrong passphrase for \"%s\" (%u of %u tries "
		    "used; each further try waits longer)",
		    name, e->failures, k->max_failures);
		err = EACCES;
	}
	if ((serr = keyring_save(k)) != 0)
		log_warnx(
		    "could not record a failed unlock: %s", strerror(serr));
	return err;
}

int
keyring_reset_failures(struct keyring *k, const char *name)
{
	struct keyring_entry *e = keyring_find(k, name);

	if (e == NULL)
		return ENOENT;
	e->failures = 0;
	e->locked = 0;
	e->last_failure_ms = 0;
	return 0;
}

int
keyring_set_recovery(
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

/* --- file format --- */

static cbor_item_t *
keyring_encode(const struct keyring *k)
{
	cbor_item_t *root, *users, *u, *rec, *fails, *f;
	size_t i;

	root = cborx_map(6);
	cborx_map_put(root, 1, cborx_uint(KEYRING_VERSION));
	cborx_map_put(root, 2, cborx_uint(k->max_failures));
	cborx_map_put(root, 3, cborx_uint(k->delay_base_ms));
	users = cborx_array(k->nusers);
	for (i = 0; i < k->nusers; i++) {
		const struct keyring_entry *e = &k->users[i];
		u = cborx_map(8);
		cborx_map_put(u, 1, cborx_text(e->name));
		cborx_map_put(u, 2, cborx_text("pbkdf2-sha512"));
		cborx_map_put(u, 3, cborx_uint(e->iterations));
		cborx_map_put(u, 4, cborx_bytes(e->salt, sizeof(e->salt)));
		cborx_map_put(
		    u, 5, cborx_bytes(e->wrapped, sizeof(e->wrapped)));
		cborx_map_put(u, 6, cborx_uint(e->failures));
		cborx_map_put(u, 7, cborx_uint(e->last_failure_ms));
		cborx_map_put(u, 8, cborx_bool(e->locked));
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
	if (cborx_map_text(u, 2, 32, &kdf) != 0 ||
	    strcmp(kdf, "pbkdf2-sha512") != 0)
		err = EBADMSG;
	free(kdf);
	if (err != 0 || cborx_map_uint(u, 3, &v) != 0 || v < KEYRING_MIN_ITER ||
	    v > UINT32_MAX)
		return EBADMSG;
	e->iterations = (uint32_t)v;
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
	cbor_item_t *root = keyring_encode(k);
	uint8_t *buf = NULL;
	size_t len;
	int err;

	err = cborx_encode(root, &buf, &len);
	cbor_decref(&root);
	if (err == 0)
		err = keyring_write_atomic(k->dir, KEYRING_FILE, buf, len);
	if (err != 0)
		log_warnx("could not save the keyring: %s", strerror(err));
	free(buf);
	return err;
}
